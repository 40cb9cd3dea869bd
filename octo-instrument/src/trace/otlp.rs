//! Where and how spans are exported: the OTLP variables of the OpenTelemetry specification
//! (`OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT`, `..._PROTOCOL`), checked up front so a typo is an
//! error from `init()` rather than spans silently going nowhere.

use crate::env;
use crate::error::Error;

/// The OTLP transport.
///
/// ```
/// use octo_instrument::trace::OtlpProtocol;
///
/// let config = octo_instrument::Config::new()
///     .otlp_endpoint("http://127.0.0.1:4318")
///     .otlp_protocol(OtlpProtocol::HttpProtobuf);
/// # let _ = config;
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum OtlpProtocol {
    /// OTLP/gRPC (`grpc`), port 4317 by convention. The default.
    #[default]
    Grpc,
    /// OTLP over HTTP with protobuf bodies (`http/protobuf`), port 4318, path `/v1/traces`.
    HttpProtobuf,
}

/// A checked export destination.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct OtlpSettings {
    /// The URL requests go to: for HTTP, already ending in `/v1/traces`.
    pub(crate) endpoint: String,
    pub(crate) protocol: OtlpProtocol,
    /// How long one export may take (`OTEL_EXPORTER_OTLP_[TRACES_]TIMEOUT`).
    pub(crate) timeout: std::time::Duration,
    /// Headers (gRPC metadata) every export request carries (`OTEL_EXPORTER_OTLP_[TRACES_]HEADERS`).
    pub(crate) headers: Vec<(String, String)>,
}

/// The specification's default export timeout.
const DEFAULT_TIMEOUT_MS: u64 = 10_000;

const PROTOCOLS: &str = "grpc or http/protobuf";

fn parse_protocol(variable: &'static str, value: &str) -> Result<OtlpProtocol, Error> {
    match value.trim() {
        "grpc" => Ok(OtlpProtocol::Grpc),
        "http/protobuf" => Ok(OtlpProtocol::HttpProtobuf),
        "http/json" => Err(Error::invalid(
            variable,
            value,
            format!("{PROTOCOLS} (http/json is not supported)"),
        )),
        _ => Err(Error::invalid(variable, value, PROTOCOLS)),
    }
}

fn check_url(variable: &'static str, value: &str) -> Result<String, Error> {
    let value = value.trim();
    let expected = "an http:// URL with a host, such as http://otel-collector:4317 \
                    (TLS export is not built in: terminate TLS in a local collector)";
    let Some(rest) = value.strip_prefix("http://") else {
        return Err(Error::invalid(variable, value, expected));
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host.is_empty() || host.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Error::invalid(variable, value, expected));
    }
    Ok(value.to_owned())
}

/// Applies the environment over the builder's endpoint and protocol. `None`: nothing is
/// exported (spans still get ids, so logs stay correlated).
pub(crate) fn settings(
    endpoint: Option<&str>,
    protocol: Option<OtlpProtocol>,
) -> Result<Option<OtlpSettings>, Error> {
    let protocol = match (
        env::var("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"),
        env::var("OTEL_EXPORTER_OTLP_PROTOCOL"),
    ) {
        (Some(value), _) => parse_protocol("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", &value)?,
        (None, Some(value)) => parse_protocol("OTEL_EXPORTER_OTLP_PROTOCOL", &value)?,
        (None, None) => protocol.unwrap_or_default(),
    };
    // The traces-specific variable is used verbatim; the generic one (and the builder value) is a
    // base URL that HTTP appends the signal's path to, as the specification says.
    let (endpoint, verbatim) = if let Some(value) = env::var("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") {
        (
            check_url("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", &value)?,
            true,
        )
    } else if let Some(value) = env::var("OTEL_EXPORTER_OTLP_ENDPOINT") {
        (check_url("OTEL_EXPORTER_OTLP_ENDPOINT", &value)?, false)
    } else if let Some(value) = endpoint {
        (check_url("OTEL_EXPORTER_OTLP_ENDPOINT", value)?, false)
    } else {
        return Ok(None);
    };
    let endpoint = match protocol {
        OtlpProtocol::HttpProtobuf if !verbatim => {
            format!("{}/v1/traces", endpoint.trim_end_matches('/'))
        }
        _ => endpoint,
    };
    Ok(Some(OtlpSettings {
        endpoint,
        protocol,
        timeout: timeout()?,
        headers: headers()?,
    }))
}

/// `OTEL_EXPORTER_OTLP_TRACES_TIMEOUT`, else `OTEL_EXPORTER_OTLP_TIMEOUT`, in milliseconds.
fn timeout() -> Result<std::time::Duration, Error> {
    for variable in [
        "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT",
        "OTEL_EXPORTER_OTLP_TIMEOUT",
    ] {
        if let Some(value) = env::var(variable) {
            return value
                .trim()
                .parse::<u64>()
                .map(std::time::Duration::from_millis)
                .map_err(|_| {
                    Error::invalid(
                        variable,
                        &value,
                        "a whole number of milliseconds, such as 10000",
                    )
                });
        }
    }
    Ok(std::time::Duration::from_millis(DEFAULT_TIMEOUT_MS))
}

/// `OTEL_EXPORTER_OTLP_HEADERS` then `OTEL_EXPORTER_OTLP_TRACES_HEADERS` (which wins on a
/// shared key): `key=value` pairs, comma-separated, values percent-decoded.
fn headers() -> Result<Vec<(String, String)>, Error> {
    let mut headers: Vec<(String, String)> = Vec::new();
    for variable in [
        "OTEL_EXPORTER_OTLP_HEADERS",
        "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
    ] {
        let Some(value) = env::var(variable) else {
            continue;
        };
        let invalid = || {
            Error::invalid(
                variable,
                &value,
                "comma-separated key=value pairs, such as api-key=secret,tenant=a",
            )
        };
        for pair in value.split(',').filter(|pair| !pair.trim().is_empty()) {
            let (key, raw) = pair.split_once('=').ok_or_else(invalid)?;
            let key = key.trim().to_ascii_lowercase();
            let valid_key = !key.is_empty()
                && key
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
            let decoded = percent_decode(raw.trim()).ok_or_else(invalid)?;
            if !valid_key || decoded.chars().any(char::is_control) {
                return Err(invalid());
            }
            headers.retain(|(k, _)| *k != key);
            headers.push((key, decoded));
        }
    }
    Ok(headers)
}

/// `%XX` sequences decoded; `None` for a broken one or text that is not UTF-8 after.
fn percent_decode(text: &str) -> Option<String> {
    let mut bytes = Vec::with_capacity(text.len());
    let mut input = text.bytes();
    while let Some(byte) = input.next() {
        if byte == b'%' {
            let hex = [input.next()?, input.next()?];
            bytes.push(u8::from_str_radix(std::str::from_utf8(&hex).ok()?, 16).ok()?);
        } else {
            bytes.push(byte);
        }
    }
    String::from_utf8(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert!(check_url("X", "http://collector:4317").is_ok());
        for bad in [
            "collector:4317",
            "https://collector",
            "http://",
            "http:// x",
            "ftp://a",
        ] {
            let err = check_url("X", bad).unwrap_err().to_string();
            assert!(err.starts_with("invalid X="), "{err}");
        }
    }

    #[test]
    fn headers_are_pairs_percent_decoded() {
        assert_eq!(percent_decode("a%20b%2Cc").as_deref(), Some("a b,c"));
        assert_eq!(percent_decode("bad%2"), None);
    }

    #[test]
    fn protocols() {
        assert_eq!(parse_protocol("P", "grpc").unwrap(), OtlpProtocol::Grpc);
        assert_eq!(
            parse_protocol("P", "http/protobuf").unwrap(),
            OtlpProtocol::HttpProtobuf
        );
        let err = parse_protocol("P", "http/json").unwrap_err().to_string();
        assert!(err.contains("http/json is not supported"), "{err}");
    }
}
