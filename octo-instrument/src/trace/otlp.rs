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
}

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
    check_exporter_variables()?;
    let endpoint = match protocol {
        OtlpProtocol::HttpProtobuf if !verbatim => {
            format!("{}/v1/traces", endpoint.trim_end_matches('/'))
        }
        _ => endpoint,
    };
    Ok(Some(OtlpSettings { endpoint, protocol }))
}

/// The variables the OTLP exporter reads itself: checked here, because the exporter falls back
/// to its defaults on a value it cannot read, without a word.
fn check_exporter_variables() -> Result<(), Error> {
    for variable in [
        "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT",
        "OTEL_EXPORTER_OTLP_TIMEOUT",
    ] {
        if let Some(value) = env::var(variable)
            && value.trim().parse::<u64>().is_err()
        {
            return Err(Error::invalid(
                variable,
                &value,
                "a whole number of milliseconds, such as 10000",
            ));
        }
    }
    for variable in [
        "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
        "OTEL_EXPORTER_OTLP_HEADERS",
    ] {
        if let Some(value) = env::var(variable)
            && !value.split(',').all(|pair| {
                pair.split_once('=')
                    .is_some_and(|(key, _)| !key.trim().is_empty())
            })
        {
            return Err(Error::invalid(
                variable,
                &value,
                "comma-separated key=value pairs, such as api-key=secret,tenant=a",
            ));
        }
    }
    Ok(())
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
