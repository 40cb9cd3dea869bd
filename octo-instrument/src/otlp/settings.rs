//! Where and how each signal is exported: the OTLP variables of the OpenTelemetry specification,
//! read per signal (`OTEL_EXPORTER_OTLP_TRACES_*` or `OTEL_EXPORTER_OTLP_LOGS_*` first, then
//! `OTEL_EXPORTER_OTLP_*`), and checked up front: a typo, an unreadable certificate or a value
//! this crate does not support is an error from `init()` naming the variable, never spans or
//! records silently going nowhere (or going out in plaintext).

use std::time::Duration;

use super::Signal;
use super::variables::{Variables, first_set};
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
    /// OTLP over HTTP with protobuf bodies (`http/protobuf`), port 4318, path `/v1/traces` or
    /// `/v1/logs`.
    HttpProtobuf,
}

/// Whether log records are exported over OTLP as well as written as lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub(crate) enum LogsExporter {
    /// Lines only (`OTEL_LOGS_EXPORTER=none`, or unset).
    #[default]
    None,
    /// Every line also becomes an OTLP log record (`OTEL_LOGS_EXPORTER=otlp`).
    Otlp,
}

impl LogsExporter {
    /// `OTEL_LOGS_EXPORTER` over the builder's choice.
    pub(crate) fn from_env(chosen: Option<bool>) -> Result<Self, Error> {
        const VARIABLE: &str = "OTEL_LOGS_EXPORTER";
        match env::var(VARIABLE) {
            #[cfg(feature = "otlp")]
            None if chosen == Some(true) => Ok(Self::Otlp),
            #[cfg(not(feature = "otlp"))]
            None if chosen == Some(true) => Err(Error::invalid(
                VARIABLE,
                "",
                "otlp, which this build cannot do: enable the `otlp` feature for Config::otlp_logs",
            )),
            None => Ok(Self::None),
            Some(value) => match value.trim() {
                #[cfg(feature = "otlp")]
                "otlp" => Ok(Self::Otlp),
                #[cfg(not(feature = "otlp"))]
                "otlp" => Err(Error::invalid(
                    VARIABLE,
                    &value,
                    "none: this build has no OTLP exporter (enable the `otlp` feature)",
                )),
                "none" | "" => Ok(Self::None),
                _ => Err(Error::invalid(
                    VARIABLE,
                    &value,
                    "otlp or none (log lines are always written to stdout)",
                )),
            },
        }
    }
}

/// Whether request bodies are compressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub(crate) enum Compression {
    #[default]
    None,
    Gzip,
}

/// A checked export destination.
#[derive(Clone)]
pub(crate) struct OtlpSettings {
    pub(crate) signal: Signal,
    /// The variable the endpoint came from (the generic one for a builder value or the
    /// default), for errors about it.
    pub(crate) endpoint_variable: &'static str,
    /// The URL requests go to, with its scheme: for HTTP, already ending in the signal's path.
    pub(crate) endpoint: String,
    pub(crate) protocol: OtlpProtocol,
    /// How long one export may take (`OTEL_EXPORTER_OTLP_[..]TIMEOUT`).
    pub(crate) timeout: Duration,
    /// Headers (gRPC metadata) every export request carries (`OTEL_EXPORTER_OTLP_[..]HEADERS`).
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) compression: Compression,
    /// The TLS client configuration of an `https` endpoint: trusted roots, client certificate.
    #[cfg(feature = "otlp")]
    pub(crate) tls: Option<std::sync::Arc<rustls::ClientConfig>>,
}

impl std::fmt::Debug for OtlpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OtlpSettings")
            .field("signal", &self.signal)
            .field("endpoint", &self.endpoint)
            .field("protocol", &self.protocol)
            .field("compression", &self.compression)
            .finish_non_exhaustive()
    }
}

/// The default endpoint of the specification, for a signal turned on without one.
fn default_endpoint(protocol: OtlpProtocol) -> &'static str {
    match protocol {
        OtlpProtocol::Grpc => "http://localhost:4317",
        OtlpProtocol::HttpProtobuf => "http://localhost:4318",
    }
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

/// Checks an endpoint and gives it its scheme. gRPC may name a bare `host:port`, which is TLS
/// unless `insecure` (the specification's `OTEL_EXPORTER_OTLP_INSECURE`).
fn check_url(
    variable: &'static str,
    value: &str,
    protocol: OtlpProtocol,
    insecure: bool,
) -> Result<String, Error> {
    let value = value.trim();
    let expected = match protocol {
        OtlpProtocol::Grpc => {
            "an http:// or https:// URL with a host, such as https://otel-collector:4317 \
             (or host:port, TLS unless OTEL_EXPORTER_OTLP_INSECURE=true)"
        }
        OtlpProtocol::HttpProtobuf => {
            "an http:// or https:// URL with a host, such as https://otel-collector:4318"
        }
    };
    let (url, rest) = if let Some(rest) = value.strip_prefix("http://") {
        (value.to_owned(), rest)
    } else if let Some(rest) = value.strip_prefix("https://") {
        (value.to_owned(), rest)
    } else if protocol == OtlpProtocol::Grpc && !value.contains("://") {
        let scheme = if insecure { "http" } else { "https" };
        (format!("{scheme}://{value}"), value)
    } else {
        return Err(Error::invalid(variable, value, expected));
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host.is_empty() || host.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Error::invalid(variable, value, expected));
    }
    Ok(url)
}

/// The export settings of `signal`: the environment over the builder's endpoint and protocol.
/// `None`: the signal is not exported (it is not `enabled`, or it is traces without an endpoint:
/// spans still get ids for the logs). Log records, once enabled (`OTEL_LOGS_EXPORTER=otlp`), go
/// to the specification's default endpoint where none is set.
pub(crate) fn settings(
    signal: Signal,
    endpoint: Option<&str>,
    protocol: Option<OtlpProtocol>,
    enabled: bool,
) -> Result<Option<OtlpSettings>, Error> {
    if !enabled {
        return Ok(None);
    }
    let variables = signal.variables();
    let protocol = match first_set(variables.protocol) {
        Some((variable, value)) => parse_protocol(variable, &value)?,
        None => protocol.unwrap_or_default(),
    };
    let insecure = match first_set(variables.insecure) {
        Some((variable, value)) => env::parse_bool(variable, &value)?,
        None => false,
    };
    // The signal's own variable is used verbatim; the generic one (and the builder value) is a
    // base URL that HTTP appends the signal's path to, as the specification says.
    let (variable, endpoint, verbatim) = match first_set(variables.endpoint) {
        Some((variable, value)) => {
            let verbatim = variable == variables.endpoint[0];
            (
                variable,
                check_url(variable, &value, protocol, insecure)?,
                verbatim,
            )
        }
        None => match (endpoint, signal) {
            (Some(value), _) => {
                let variable = variables.endpoint[1];
                (
                    variable,
                    check_url(variable, value, protocol, insecure)?,
                    false,
                )
            }
            (None, Signal::Logs) => (
                variables.endpoint[1],
                default_endpoint(protocol).to_owned(),
                false,
            ),
            (None, _) => return Ok(None),
        },
    };
    let endpoint = match protocol {
        OtlpProtocol::HttpProtobuf if !verbatim => {
            format!("{}{}", endpoint.trim_end_matches('/'), signal.http_path())
        }
        _ => endpoint,
    };
    let tls_wanted = endpoint.starts_with("https://");
    #[cfg(feature = "otlp")]
    let tls = super::tls::client_config(variables, variable, &endpoint, tls_wanted)?;
    #[cfg(not(feature = "otlp"))]
    let _ = tls_wanted;
    Ok(Some(OtlpSettings {
        signal,
        endpoint_variable: variable,
        endpoint,
        protocol,
        timeout: timeout(variables)?,
        headers: headers(variables, protocol)?,
        compression: compression(variables)?,
        #[cfg(feature = "otlp")]
        tls,
    }))
}

/// The specification's default export timeout.
const DEFAULT_TIMEOUT_MS: u64 = 10_000;

/// In milliseconds.
fn timeout(variables: &Variables) -> Result<Duration, Error> {
    match first_set(variables.timeout) {
        Some((variable, value)) => value
            .trim()
            .parse::<u64>()
            .map(Duration::from_millis)
            .map_err(|_| {
                Error::invalid(
                    variable,
                    &value,
                    "a whole number of milliseconds, such as 10000",
                )
            }),
        None => Ok(Duration::from_millis(DEFAULT_TIMEOUT_MS)),
    }
}

/// `gzip` or `none`; anything else is an error (the specification's other values are not
/// supported, and ignoring one would send uncompressed what was meant to be compressed).
fn compression(variables: &Variables) -> Result<Compression, Error> {
    match first_set(variables.compression) {
        None => Ok(Compression::None),
        Some((variable, value)) => match value.trim() {
            "gzip" => Ok(Compression::Gzip),
            "none" | "" => Ok(Compression::None),
            _ => Err(Error::invalid(variable, &value, "gzip or none")),
        },
    }
}

/// The generic variable then the signal's (which wins on a shared key): `key=value` pairs,
/// comma-separated, values percent-decoded to visible ASCII (what both an HTTP header and gRPC
/// ASCII metadata can carry; gRPC's binary `-bin` keys are refused).
fn headers(variables: &Variables, protocol: OtlpProtocol) -> Result<Vec<(String, String)>, Error> {
    let mut headers: Vec<(String, String)> = Vec::new();
    for variable in [variables.headers[1], variables.headers[0]] {
        let Some(value) = env::var(variable) else {
            continue;
        };
        let invalid = || {
            Error::invalid(
                variable,
                &value,
                "comma-separated key=value pairs of visible ASCII (percent-encoded), \
                 such as api-key=secret,tenant=a",
            )
        };
        for pair in value.split(',').filter(|pair| !pair.trim().is_empty()) {
            let (key, raw) = pair.split_once('=').ok_or_else(invalid)?;
            let key = key.trim().to_ascii_lowercase();
            let valid_key = !key.is_empty()
                && key
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
            let decoded = crate::encode::percent::decode(raw.trim()).ok_or_else(invalid)?;
            let visible = decoded.bytes().all(|b| b == b' ' || b.is_ascii_graphic());
            let binary = protocol == OtlpProtocol::Grpc && key.ends_with("-bin");
            if !valid_key || !visible || binary {
                return Err(invalid());
            }
            headers.retain(|(k, _)| *k != key);
            headers.push((key, decoded));
        }
    }
    Ok(headers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let grpc = OtlpProtocol::Grpc;
        let http = OtlpProtocol::HttpProtobuf;
        assert_eq!(
            check_url("X", "http://collector:4317", grpc, false).unwrap(),
            "http://collector:4317"
        );
        assert_eq!(
            check_url("X", "https://collector", http, false).unwrap(),
            "https://collector"
        );
        assert_eq!(
            check_url("X", "collector:4317", grpc, false).unwrap(),
            "https://collector:4317"
        );
        assert_eq!(
            check_url("X", "collector:4317", grpc, true).unwrap(),
            "http://collector:4317"
        );
        for (bad, protocol) in [
            ("collector:4318", http),
            ("http://", grpc),
            ("http:// x", grpc),
            ("ftp://a", grpc),
        ] {
            let err = check_url("X", bad, protocol, false)
                .unwrap_err()
                .to_string();
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
