//! Installing what the settings describe: the log sinks and their writer threads, the log and
//! trace layers on one subscriber, the trace pipeline's globals, the identity and the build-info
//! series; and the guard (and [`flush`]) that writes out what is queued.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use tracing_subscriber::layer::SubscriberExt;

use super::config::Config;
use super::settings::Settings;
use crate::error::Error;
use crate::filter::Selection;
#[cfg(feature = "otlp")]
use crate::logging::LogExport;
use crate::logging::{Background, Format, LogLayer, Sink};
use crate::trace::Tracing;
use crate::{env, identity};

/// How long dropping the [`Guard`] waits for queued lines and spans to be written.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(5);

static INITIALIZED: AtomicBool = AtomicBool::new(false);

impl Config {
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
            settings.span_pipeline,
        )
    }

    /// Installs JSON (or console) logging to stdout, the optional log files, the trace
    /// pipeline and the metric identity, process-wide. Returns a guard that flushes queued
    /// lines and spans when dropped.
    pub fn init(self) -> Result<Guard, Error> {
        let settings = self.settings()?;
        if INITIALIZED.swap(true, Ordering::AcqRel) {
            return Err(Error::AlreadyInitialized);
        }
        let result = install(settings, self.log_writer.take());
        if result.is_err() {
            INITIALIZED.store(false, Ordering::Release);
        }
        result
    }

    /// Builds everything [`init`](Self::init) installs (the writer threads, the log and trace
    /// layers under their one filter, the export thread) as a subscriber of its own, without
    /// installing it: for a test or a benchmark, or a service that sets its subscriber itself.
    /// The process's metric identity (the `service` label) is left as it is.
    ///
    /// ```
    /// let (dispatch, guard) = octo_instrument::Config::new()
    ///     .service_name("octo-docs")
    ///     .log_writer(std::io::sink())
    ///     .dispatch()
    ///     .expect("a valid environment");
    /// tracing::dispatcher::with_default(&dispatch, || {
    ///     octo_instrument::info!("docs.dispatched");
    /// });
    /// assert!(guard.flush(std::time::Duration::from_secs(1)));
    /// ```
    pub fn dispatch(self) -> Result<(tracing::Dispatch, Guard), Error> {
        let settings = self.settings()?;
        let (subscriber, pipeline) = build(&settings, self.log_writer.take())?;
        Ok((
            tracing::Dispatch::new(subscriber),
            Guard {
                pipeline: Arc::new(pipeline),
            },
        ))
    }
}

/// The subscriber `init()` installs, and what holds its queued lines and spans.
fn build(
    settings: &Settings,
    log_writer: Option<Box<dyn std::io::Write + Send>>,
) -> Result<(impl tracing::Subscriber + Send + Sync + use<>, Pipeline), Error> {
    settings.limits.install();
    crate::baggage::set_log_keys(&settings.baggage_log_keys);
    let mut layer = LogLayer::with_identity(&settings.identity);
    let mut backgrounds = Vec::new();
    let queue_bytes = settings.limits.log_queue_bytes;

    let format = if settings.json {
        Format::Json
    } else {
        let color = std::io::stdout().is_terminal() && env::var("NO_COLOR").is_none();
        Format::Console { color }
    };
    let background = Background::spawn("stdout", log_writer.unwrap_or_else(stdout), queue_bytes)
        .map_err(|source| Error::Io {
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

    #[cfg(feature = "otlp")]
    let log_export = log_export(settings)?;
    #[cfg(feature = "otlp")]
    if let Some(export) = &log_export {
        layer.export_records(export.clone());
    }

    let tracing = Tracing::build(
        &settings.identity,
        &settings.directives,
        settings.sampler,
        settings.otlp.as_ref(),
        &settings.limits,
        settings.span_pipeline,
    )?;
    // One filter for the whole subscriber rather than one per layer: per-layer filtering costs
    // every span and event its bookkeeping (it doubled the cost of an observed call's span). The
    // two layers want the same spans, and the trace layer ignores events.
    let subscriber = tracing_subscriber::registry()
        .with(layer)
        .with((!settings.traces_disabled).then(|| tracing.unfiltered_layer()))
        .with(Selection::logs(&settings.directives));
    Ok((
        subscriber,
        Pipeline {
            backgrounds,
            #[cfg(feature = "otlp")]
            log_export,
            tracing,
        },
    ))
}

/// The export thread of OTLP log records, where `OTEL_LOGS_EXPORTER=otlp` asks for one.
#[cfg(feature = "otlp")]
fn log_export(settings: &Settings) -> Result<Option<Arc<LogExport>>, Error> {
    let Some(otlp) = &settings.otlp_logs else {
        return Ok(None);
    };
    let identity = &settings.identity;
    let resource =
        crate::otlp::Resource::new(&identity.service, &identity.version, &identity.environment);
    LogExport::start(
        otlp,
        resource,
        settings.limits.log_export_queue_records,
        settings.limits.log_queue_bytes,
    )
    .map(|export| Some(Arc::new(export)))
    .map_err(|reason| {
        Error::invalid(
            otlp.endpoint_variable,
            &otlp.endpoint,
            format!("an endpoint the OTLP exporter accepts ({reason})"),
        )
    })
}

fn install(
    settings: Settings,
    log_writer: Option<Box<dyn std::io::Write + Send>>,
) -> Result<Guard, Error> {
    let (subscriber, pipeline) = build(&settings, log_writer)?;
    tracing::subscriber::set_global_default(subscriber).map_err(|_| Error::SubscriberAlreadySet)?;
    pipeline.tracing.install_global();
    // `init()` runs once per process (a second call is an error before it gets here).
    identity::set(settings.identity);
    crate::prom::set_build_info(identity::current());
    crate::observe::site::register_all();
    let pipeline = Arc::new(pipeline);
    let _ = INSTALLED.set(pipeline.clone());
    Ok(Guard { pipeline })
}

/// What `init()` installed that holds queued lines and spans.
struct Pipeline {
    backgrounds: Vec<Arc<Background>>,
    #[cfg(feature = "otlp")]
    log_export: Option<Arc<LogExport>>,
    tracing: Tracing,
}

impl Pipeline {
    fn flush(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        // Every output, each within the one deadline: a failing one does not skip the others.
        let mut logs = true;
        for background in &self.backgrounds {
            logs &= background.flush(deadline.saturating_duration_since(Instant::now()));
        }
        // The exports get what is left (less once their collector was found stuck: see
        // `Exporter::flush`).
        let spans = self
            .tracing
            .flush(deadline.saturating_duration_since(Instant::now()));
        #[cfg(feature = "otlp")]
        let records = self
            .log_export
            .as_ref()
            .is_none_or(|export| export.flush(deadline.saturating_duration_since(Instant::now())));
        #[cfg(not(feature = "otlp"))]
        let records = true;
        logs && spans && records
    }
}

/// The pipeline `init()` installed, for [`flush`] from anywhere (the shutdown helper).
static INSTALLED: OnceLock<Arc<Pipeline>> = OnceLock::new();

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
