//! The names of the OTLP variables of each signal: the specification's `OTEL_EXPORTER_OTLP_*`,
//! each also in a `_TRACES_` and a `_LOGS_` form that wins for its signal.

use super::Signal;
use crate::env;

/// The variables of one signal, each as `[signal-specific, generic]`: the first one set wins.
pub(crate) struct Variables {
    pub(crate) endpoint: [&'static str; 2],
    pub(crate) protocol: [&'static str; 2],
    pub(crate) timeout: [&'static str; 2],
    pub(crate) headers: [&'static str; 2],
    pub(crate) compression: [&'static str; 2],
    pub(crate) certificate: [&'static str; 2],
    pub(crate) client_certificate: [&'static str; 2],
    pub(crate) client_key: [&'static str; 2],
    pub(crate) insecure: [&'static str; 2],
}

macro_rules! variables {
    ($signal:literal) => {
        Variables {
            endpoint: [
                concat!("OTEL_EXPORTER_OTLP_", $signal, "_ENDPOINT"),
                "OTEL_EXPORTER_OTLP_ENDPOINT",
            ],
            protocol: [
                concat!("OTEL_EXPORTER_OTLP_", $signal, "_PROTOCOL"),
                "OTEL_EXPORTER_OTLP_PROTOCOL",
            ],
            timeout: [
                concat!("OTEL_EXPORTER_OTLP_", $signal, "_TIMEOUT"),
                "OTEL_EXPORTER_OTLP_TIMEOUT",
            ],
            headers: [
                concat!("OTEL_EXPORTER_OTLP_", $signal, "_HEADERS"),
                "OTEL_EXPORTER_OTLP_HEADERS",
            ],
            compression: [
                concat!("OTEL_EXPORTER_OTLP_", $signal, "_COMPRESSION"),
                "OTEL_EXPORTER_OTLP_COMPRESSION",
            ],
            certificate: [
                concat!("OTEL_EXPORTER_OTLP_", $signal, "_CERTIFICATE"),
                "OTEL_EXPORTER_OTLP_CERTIFICATE",
            ],
            client_certificate: [
                concat!("OTEL_EXPORTER_OTLP_", $signal, "_CLIENT_CERTIFICATE"),
                "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE",
            ],
            client_key: [
                concat!("OTEL_EXPORTER_OTLP_", $signal, "_CLIENT_KEY"),
                "OTEL_EXPORTER_OTLP_CLIENT_KEY",
            ],
            insecure: [
                concat!("OTEL_EXPORTER_OTLP_", $signal, "_INSECURE"),
                "OTEL_EXPORTER_OTLP_INSECURE",
            ],
        }
    };
}

const TRACES: Variables = variables!("TRACES");
const LOGS: Variables = variables!("LOGS");

impl Signal {
    pub(crate) fn variables(self) -> &'static Variables {
        match self {
            Self::Traces => &TRACES,
            Self::Logs => &LOGS,
        }
    }
}

/// The first of `names` that is set, with its value.
pub(crate) fn first_set(names: [&'static str; 2]) -> Option<(&'static str, String)> {
    names
        .into_iter()
        .find_map(|name| env::var(name).map(|value| (name, value)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_signal_has_its_own_variables() {
        assert_eq!(
            Signal::Traces.variables().certificate[0],
            "OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE"
        );
        assert_eq!(
            Signal::Logs.variables().client_key[0],
            "OTEL_EXPORTER_OTLP_LOGS_CLIENT_KEY"
        );
        assert_eq!(
            Signal::Logs.variables().insecure[1],
            "OTEL_EXPORTER_OTLP_INSECURE"
        );
    }
}
