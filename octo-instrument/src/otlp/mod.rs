//! OTLP export, shared by every signal that leaves the process this way (the spans of either
//! pipeline, and log records when `OTEL_LOGS_EXPORTER=otlp`): the specification's variables read
//! and checked per signal ([`settings`]), TLS and mTLS with rustls ([`tls`]), one transport for
//! OTLP/gRPC and OTLP/HTTP with gzip ([`transport`]), the export thread that batches what calling
//! threads queue ([`exporter`]), and the one-line reports of failure and recovery ([`health`]).

#[cfg(feature = "otlp")]
pub(crate) mod exporter;
#[cfg(feature = "otlp")]
pub(crate) mod health;
#[cfg(feature = "otlp")]
mod resource;
// Without the exporter, the settings are still read and checked (a bad value is an error in
// every build), and most of what they hold is unread.
#[cfg_attr(not(feature = "otlp"), allow(dead_code))]
pub(crate) mod settings;
#[cfg(feature = "otlp")]
mod tls;
#[cfg(feature = "otlp")]
mod transport;
#[cfg_attr(not(feature = "otlp"), allow(dead_code))]
mod variables;

#[cfg(feature = "otlp")]
pub(crate) use resource::Resource;
pub use settings::OtlpProtocol;
pub(crate) use settings::{LogsExporter, OtlpSettings};

/// What is exported: each has its own variables, path, method and dropped-count label.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Signal {
    Traces,
    Logs,
}

impl Signal {
    /// The path OTLP/HTTP appends to a base endpoint.
    pub(crate) fn http_path(self) -> &'static str {
        match self {
            Self::Traces => "/v1/traces",
            Self::Logs => "/v1/logs",
        }
    }

    /// The gRPC method of the signal's collector service.
    #[cfg(feature = "otlp")]
    pub(crate) fn grpc_method(self) -> &'static str {
        match self {
            Self::Traces => "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
            Self::Logs => "/opentelemetry.proto.collector.logs.v1.LogsService/Export",
        }
    }

    /// The `signal` label of `octo_telemetry_dropped_total` for what the export loses.
    #[cfg(feature = "otlp")]
    pub(crate) fn dropped_label(self) -> &'static str {
        use octo_instrument_core::families::signals;
        match self {
            Self::Traces => signals::SPANS,
            Self::Logs => signals::LOGS_OTLP,
        }
    }
}
