//! `Config` and `init()`: the environment (and the builder's defaults) turned into an installed
//! subscriber, and the guard that flushes it.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use opentelemetry_sdk::trace::Sampler;
use tracing_subscriber::Layer;
use tracing_subscriber::layer::SubscriberExt;

use super::env;
use super::layer::{Format, LogLayer};
use super::sink::{Background, Sink};
use crate::Error;
use crate::filter::Selection;
use crate::identity::{self, Identity};
use crate::limits::Limits;
use crate::trace::{self, OtlpProtocol, OtlpSettings, Tracing};

static INITIALIZED: AtomicBool = AtomicBool::new(false);

/// How long dropping the [`Guard`] waits for queued lines and spans to be written.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(5);

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
    service: Option<String>,
    environment: Option<String>,
    version: Option<String>,
    log_level: Option<String>,
    json: Option<bool>,
    log_dir: Option<PathBuf>,
    otlp_endpoint: Option<String>,
    otlp_protocol: Option<OtlpProtocol>,
    value_length: Option<usize>,
    span_attribute_count: Option<usize>,
    log_queue_bytes: Option<usize>,
    span_queue_bytes: Option<usize>,
}

/// Every setting, after the environment was applied and checked.
#[derive(Debug)]
pub(crate) struct Settings {
    pub(crate) identity: Identity,
    pub(crate) directives: String,
    pub(crate) json: bool,
    pub(crate) log_dir: Option<PathBuf>,
    pub(crate) sampler: Sampler,
    pub(crate) otlp: Option<OtlpSettings>,
    /// `OTEL_SDK_DISABLED=true`: no trace layer at all (no ids, no export, no per-span cost).
    pub(crate) traces_disabled: bool,
    pub(crate) limits: Limits,
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

    /// The longest log field value and span attribute value kept, in bytes, unless
    /// `OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT` (or, for spans, `OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT`)
    /// is set; longer values are cut and end in [`TRUNCATED_MARKER`](crate::limits::TRUNCATED_MARKER).
    /// Default [`DEFAULT_VALUE_LENGTH`](crate::limits::DEFAULT_VALUE_LENGTH).
    pub fn value_length_limit(mut self, bytes: usize) -> Self {
        self.value_length = Some(bytes);
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

    /// Builds the trace pipeline these settings describe without installing anything, for a
    /// subscriber assembled by hand (see [`trace`](crate::trace)).
    pub fn tracing(&self) -> Result<Tracing, Error> {
        let settings = self.settings()?;
        settings.limits.install();
        Tracing::build(
            &settings.identity,
            &settings.directives,
            settings.sampler,
            settings.otlp.as_ref(),
            &settings.limits,
        )
    }

    /// Applies the environment over the builder values and checks everything.
    pub(crate) fn settings(&self) -> Result<Settings, Error> {
        let pick =
            |variable: &'static str, builder: Option<&String>| -> Option<(&'static str, String)> {
                env::var(variable)
                    .map(|v| (variable, v))
                    .or_else(|| builder.map(|v| (variable, v.clone())))
            };
        let service = match pick("SERVICE_NAME", self.service.as_ref()) {
            Some((var, value)) => env::parse_name(var, &value)?,
            None => identity::binary_name(),
        };
        let environment = match pick("ENVIRONMENT", self.environment.as_ref()) {
            Some((var, value)) => env::parse_name(var, &value)?,
            None => "development".to_owned(),
        };
        let version = match pick("APP_VERSION", self.version.as_ref()) {
            Some((var, value)) => env::parse_name(var, &value)?,
            None => "unknown".to_owned(),
        };
        let directives = match pick("LOG_LEVEL", self.log_level.as_ref()) {
            Some((var, value)) => env::parse_level(var, &value)?,
            None => "info".to_owned(),
        };
        let json = match env::var("JSON_LOGS") {
            Some(value) => env::parse_bool("JSON_LOGS", &value)?,
            None => self.json.unwrap_or(true),
        };
        let log_dir = env::var("LOG_DIR")
            .map(PathBuf::from)
            .or_else(|| self.log_dir.clone());
        let sampler = trace::sampler::from_env()?;
        let traces_disabled = env::var("OTEL_SDK_DISABLED")
            .map(|value| env::parse_bool("OTEL_SDK_DISABLED", &value))
            .transpose()?
            .unwrap_or(false);
        let otlp = trace::otlp_settings(self.otlp_endpoint.as_deref(), self.otlp_protocol)?
            .filter(|_| !traces_disabled);
        let limits = self.limits()?;
        Ok(Settings {
            identity: Identity {
                service,
                environment,
                version,
            },
            directives,
            json,
            log_dir,
            sampler,
            otlp,
            traces_disabled,
            limits,
        })
    }

    /// The limits: the OpenTelemetry variables, then ours, then the builder, then the defaults.
    fn limits(&self) -> Result<Limits, Error> {
        let defaults = Limits::default();
        let size = |variable: &'static str| {
            env::var(variable)
                .map(|value| env::parse_size(variable, &value))
                .transpose()
        };
        let value_length = size("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT")?
            .or(self.value_length)
            .unwrap_or(defaults.log_value_length);
        let span_value_length =
            size("OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT")?.unwrap_or(value_length);
        let span_attribute_count = match size("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT")? {
            Some(count) => count,
            None => size("OTEL_ATTRIBUTE_COUNT_LIMIT")?
                .or(self.span_attribute_count)
                .unwrap_or(defaults.span_attribute_count),
        };
        Ok(Limits {
            log_value_length: value_length,
            span_value_length,
            span_attribute_count,
            log_queue_bytes: size("OCTO_LOG_QUEUE_BYTES")?
                .or(self.log_queue_bytes)
                .unwrap_or(defaults.log_queue_bytes),
            span_queue_bytes: size("OCTO_SPAN_QUEUE_BYTES")?
                .or(self.span_queue_bytes)
                .unwrap_or(defaults.span_queue_bytes),
        })
    }

    /// Installs JSON (or console) logging to stdout, the optional log files, the trace
    /// pipeline and the metric identity, process-wide. Returns a guard that flushes queued
    /// lines and spans when dropped.
    pub fn init(self) -> Result<Guard, Error> {
        let settings = self.settings()?;
        if INITIALIZED.swap(true, Ordering::AcqRel) {
            return Err(Error::AlreadyInitialized);
        }
        let result = install(settings);
        if result.is_err() {
            INITIALIZED.store(false, Ordering::Release);
        }
        result
    }
}

fn install(settings: Settings) -> Result<Guard, Error> {
    settings.limits.install();
    let mut layer = LogLayer::new();
    let mut backgrounds = Vec::new();
    let queue_bytes = settings.limits.log_queue_bytes;

    let format = if settings.json {
        Format::Json
    } else {
        let color = std::io::stdout().is_terminal() && env::var("NO_COLOR").is_none();
        Format::Console { color }
    };
    let background =
        Background::spawn("stdout", stdout(), queue_bytes).map_err(|source| Error::Io {
            context: "starting the log writer thread".into(),
            source,
        })?;
    layer.add(format, Sink::Background(background.clone()));
    backgrounds.push(background);

    if let Some(dir) = &settings.log_dir {
        let io_error = |source| Error::Io {
            context: format!("LOG_DIR={}: cannot write log files there", dir.display()),
            source,
        };
        std::fs::create_dir_all(dir).map_err(io_error)?;
        let appender = tracing_appender::rolling::RollingFileAppender::builder()
            .rotation(tracing_appender::rolling::Rotation::DAILY)
            .filename_prefix(&settings.identity.service)
            .filename_suffix("log")
            .build(dir)
            .map_err(|err| io_error(std::io::Error::other(err)))?;
        let background =
            Background::spawn("file", appender, queue_bytes).map_err(|source| Error::Io {
                context: "starting the log file thread".into(),
                source,
            })?;
        layer.add(Format::Json, Sink::Background(background.clone()));
        backgrounds.push(background);
    }

    let tracing = Tracing::build(
        &settings.identity,
        &settings.directives,
        settings.sampler,
        settings.otlp.as_ref(),
        &settings.limits,
    )?;
    let subscriber = tracing_subscriber::registry()
        .with(layer.with_filter(Selection::logs(&settings.directives)))
        .with((!settings.traces_disabled).then(|| tracing.layer()));
    tracing::subscriber::set_global_default(subscriber).map_err(|_| Error::SubscriberAlreadySet)?;
    tracing.install_global();

    identity::set(settings.identity);
    crate::metrics::set_build_info(identity::current());
    crate::observe::site::register_all();
    let pipeline = Arc::new(Pipeline {
        backgrounds,
        tracing,
    });
    let _ = INSTALLED.set(pipeline.clone());
    Ok(Guard { pipeline })
}

/// What `init()` installed that holds queued lines and spans.
struct Pipeline {
    backgrounds: Vec<Arc<Background>>,
    tracing: Tracing,
}

impl Pipeline {
    fn flush(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let logs = self.backgrounds.iter().all(|b| b.flush(timeout));
        let spans = self
            .tracing
            .flush(deadline.saturating_duration_since(Instant::now()));
        logs && spans
    }
}

/// The pipeline `init()` installed, for [`flush`] from anywhere (the shutdown helper).
static INSTALLED: std::sync::OnceLock<Arc<Pipeline>> = std::sync::OnceLock::new();

/// Writes out every log line and exports every span queued so far by the pipeline
/// [`init`](crate::init) installed, waiting at most `timeout`; false if that took longer. True
/// at once when `init()` was not called. Blocks: from async code, call it through
/// `spawn_blocking`.
///
/// ```
/// assert!(octo_instrument::flush(std::time::Duration::from_secs(1)));
/// ```
pub fn flush(timeout: Duration) -> bool {
    INSTALLED
        .get()
        .is_none_or(|pipeline| pipeline.flush(timeout))
}

/// Standard output for the writer thread: its own handle on the descriptor, written without
/// std's buffer and lock, so a write that would block or fail is seen as such and handled
/// (retried, or counted) instead of hidden in a buffer. Standard output itself when it cannot be
/// duplicated.
fn stdout() -> Box<dyn std::io::Write + Send> {
    use std::os::fd::AsFd;
    match std::io::stdout().as_fd().try_clone_to_owned() {
        Ok(fd) => Box::new(std::fs::File::from(fd)),
        Err(_) => Box::new(std::io::stdout()),
    }
}

/// Returned by [`init`](crate::init): keep it alive in `main`. Dropping it waits (up to five
/// seconds) until the log lines queued so far are written, so the last lines of a service that
/// exits are not lost.
///
/// ```no_run
/// use std::time::Duration;
///
/// let guard = octo_instrument::init().expect("valid environment");
/// tracing::info!(event = "service.ready");
/// // Before printing something that must come after the logs (a report, a prompt):
/// assert!(guard.flush(Duration::from_secs(1)));
/// drop(guard); // flushes again, at exit
/// ```
#[must_use = "dropping the guard at once flushes and leaves nothing to flush at exit"]
pub struct Guard {
    pipeline: Arc<Pipeline>,
}

impl Guard {
    /// Writes out every line and exports every span queued so far; false if that took longer
    /// than `timeout` in all.
    pub fn flush(&self, timeout: Duration) -> bool {
        self.pipeline.flush(timeout)
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.flush(FLUSH_TIMEOUT);
    }
}
