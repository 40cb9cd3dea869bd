//! `Config`: the builder behind `init()`, and nothing else. Its values are defaults the
//! environment overrides (`settings.rs`); `init` and `tracing` build what they describe
//! (`install.rs`).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use crate::env;
use crate::error::Error;
use crate::trace::{OtlpProtocol, SpanPipeline};

/// The builder behind [`init`](crate::init). Builder values are defaults: the environment
/// variables of the same meaning win, so operators can change a deployed service's logging
/// without a rebuild.
///
/// ```
/// let config = octo_instrument::Config::new()
///     .service_name("octollm-orchestrator")
///     .version(env!("CARGO_PKG_VERSION"))
///     .json_logs(true);
/// // `config.init()` installs it; a second `init()` in the same process is an error.
/// # let _ = config;
/// ```
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct Config {
    pub(super) service: Option<String>,
    pub(super) environment: Option<String>,
    pub(super) version: Option<String>,
    pub(super) log_level: Option<String>,
    pub(super) json: Option<bool>,
    pub(super) log_dir: Option<PathBuf>,
    pub(super) otlp_endpoint: Option<String>,
    pub(super) otlp_protocol: Option<OtlpProtocol>,
    pub(super) otlp_logs: Option<bool>,
    pub(super) baggage_log_keys: Option<Vec<String>>,
    pub(super) value_length: Option<usize>,
    pub(super) span_attribute_count: Option<usize>,
    pub(super) log_queue_bytes: Option<usize>,
    pub(super) span_queue_bytes: Option<usize>,
    pub(super) span_queue_spans: Option<usize>,
    pub(super) span_pipeline: Option<SpanPipeline>,
    pub(super) log_writer: LogWriter,
}

/// Where log lines go instead of standard output; taken by the first `init` or `dispatch`.
#[derive(Clone, Default)]
pub(super) struct LogWriter(Arc<Mutex<Option<Box<dyn std::io::Write + Send>>>>);

impl LogWriter {
    pub(super) fn take(&self) -> Option<Box<dyn std::io::Write + Send>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
    }
}

impl std::fmt::Debug for LogWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LogWriter")
    }
}

impl Config {
    /// Defaults only: no environment read yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// `service` on logs, metrics and traces, unless `SERVICE_NAME` is set.
    pub fn service_name(mut self, name: impl Into<String>) -> Self {
        self.service = Some(name.into());
        self
    }

    /// `environment`, unless `ENVIRONMENT` is set.
    pub fn environment(mut self, environment: impl Into<String>) -> Self {
        self.environment = Some(environment.into());
        self
    }

    /// `version`, unless `APP_VERSION` is set.
    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.version = Some(version.into());
        self
    }

    /// The level or directives, unless `LOG_LEVEL` is set.
    pub fn log_level(mut self, level: impl Into<String>) -> Self {
        self.log_level = Some(level.into());
        self
    }

    /// JSON lines (`true`) or the console format, unless `JSON_LOGS` is set.
    pub fn json_logs(mut self, json: bool) -> Self {
        self.json = Some(json);
        self
    }

    /// As [`json_logs`](Self::json_logs), from text spelled as `JSON_LOGS` is.
    pub fn json_logs_from(self, value: &str) -> Result<Self, Error> {
        Ok(self.json_logs(env::parse_bool("JSON_LOGS", value)?))
    }

    /// Directory for daily-rotated `<service>.<date>.log` files, unless `LOG_DIR` is set.
    pub fn log_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.log_dir = Some(dir.into());
        self
    }

    /// The OTLP collector's base URL, unless `OTEL_EXPORTER_OTLP_ENDPOINT` (or
    /// `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set. Unset everywhere: nothing is exported.
    pub fn otlp_endpoint(mut self, url: impl Into<String>) -> Self {
        self.otlp_endpoint = Some(url.into());
        self
    }

    /// The OTLP transport, unless `OTEL_EXPORTER_OTLP_PROTOCOL` is set; gRPC by default.
    pub fn otlp_protocol(mut self, protocol: OtlpProtocol) -> Self {
        self.otlp_protocol = Some(protocol);
        self
    }

    /// Whether every log line is also exported as an OTLP log record, unless
    /// `OTEL_LOGS_EXPORTER` says (`otlp` or `none`). Off by default: lines go to stdout either
    /// way. Records go to `OTEL_EXPORTER_OTLP_LOGS_ENDPOINT`, else the base endpoint
    /// (`OTEL_EXPORTER_OTLP_ENDPOINT` or [`otlp_endpoint`](Self::otlp_endpoint)), else the
    /// specification's default (`http://localhost:4317`, or `:4318` for HTTP).
    ///
    /// ```
    /// let config = octo_instrument::Config::new()
    ///     .otlp_endpoint("https://otel-collector:4317")
    ///     .otlp_logs(true);
    /// # let _ = config;
    /// ```
    pub fn otlp_logs(mut self, export: bool) -> Self {
        self.otlp_logs = Some(export);
        self
    }

    /// The baggage keys copied onto log lines (see [`baggage`](crate::baggage)), unless
    /// `OCTO_BAGGAGE_LOG_KEYS` (comma-separated) is set. None by default: baggage travels with
    /// requests without being logged.
    ///
    /// ```
    /// let config = octo_instrument::Config::new().baggage_log_keys(["tenant", "user_tier"]);
    /// # let _ = config;
    /// ```
    pub fn baggage_log_keys<I, K>(mut self, keys: I) -> Self
    where
        I: IntoIterator<Item = K>,
        K: Into<String>,
    {
        self.baggage_log_keys = Some(keys.into_iter().map(Into::into).collect());
        self
    }

    /// The longest log field value and span attribute value kept, in characters, unless
    /// `OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT` (or, for spans, `OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT`)
    /// is set; longer values are cut and end in [`TRUNCATED_MARKER`](crate::limits::TRUNCATED_MARKER),
    /// within the limit. Default [`DEFAULT_VALUE_LENGTH`](crate::limits::DEFAULT_VALUE_LENGTH).
    pub fn value_length_limit(mut self, characters: usize) -> Self {
        self.value_length = Some(characters);
        self
    }

    /// The most attributes a span keeps, unless `OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT` (or
    /// `OTEL_ATTRIBUTE_COUNT_LIMIT`) is set. Default 128.
    pub fn span_attribute_count_limit(mut self, count: usize) -> Self {
        self.span_attribute_count = Some(count);
        self
    }

    /// Bytes of log lines each writer thread may hold queued, unless `OCTO_LOG_QUEUE_BYTES` is
    /// set; lines beyond are dropped and counted. Default 8 MiB.
    pub fn log_queue_bytes(mut self, bytes: usize) -> Self {
        self.log_queue_bytes = Some(bytes);
        self
    }

    /// Bytes of finished spans the export queue may hold, unless `OCTO_SPAN_QUEUE_BYTES` is
    /// set; spans beyond are dropped and counted. Default 16 MiB.
    pub fn span_queue_bytes(mut self, bytes: usize) -> Self {
        self.span_queue_bytes = Some(bytes);
        self
    }

    /// Finished spans the export queue may hold, unless `OTEL_BSP_MAX_QUEUE_SIZE` is set; spans
    /// beyond are dropped and counted. Default 8192.
    ///
    /// ```
    /// let config = octo_instrument::Config::new().span_queue_spans(2048);
    /// # let _ = config;
    /// ```
    pub fn span_queue_spans(mut self, spans: usize) -> Self {
        self.span_queue_spans = Some(spans);
        self
    }

    /// Which span pipeline turns spans into OpenTelemetry spans, unless `OCTO_SPAN_PIPELINE`
    /// (`native` or `opentelemetry-sdk`) is set: the native one by default; the OpenTelemetry
    /// SDK's (feature `otel-sdk`) for a service that also uses the OpenTelemetry API directly.
    pub fn span_pipeline(mut self, pipeline: SpanPipeline) -> Self {
        self.span_pipeline = Some(pipeline);
        self
    }

    /// Where the log lines go instead of standard output (a file, a pipe, `io::sink()`): written
    /// by the same background thread, with the same bounds and counters.
    pub fn log_writer(self, writer: impl std::io::Write + Send + 'static) -> Self {
        *self
            .log_writer
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Box::new(writer));
        self
    }
}
