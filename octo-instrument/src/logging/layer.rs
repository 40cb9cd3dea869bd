//! The `tracing` layer that writes the OctoLLM log schema: one flat JSON object per line (or a
//! coloured console line), with the fields of every enclosing span flattened in.

use std::cell::RefCell;
use std::fmt::Write as _;
use std::io::Write;
#[cfg(feature = "otlp")]
use std::sync::Arc;
use std::time::SystemTime;

use tracing_core::{Event, Level, Subscriber, span};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

use octo_instrument_core::families::signals;

use super::sink::Sink;
use crate::encode::fields::{Fields, SpanFields};
use crate::encode::hex::{ids_hex, push_hex};
use crate::encode::json;
use crate::encode::timestamp::write_rfc3339;
use crate::identity::{self, Identity};
use crate::span_data::{self, ContractFields};

/// Keys the schema sets itself; a user field of the same name is written as `fields.<key>`.
const RESERVED: &[&str] = &[
    "timestamp",
    "level",
    "event",
    "logger",
    "service",
    "environment",
    "version",
    "trace_id",
    "span_id",
];

/// Fields the runtime's own macros add for this layer (`octo.level` of `critical!`); not written.
const INTERNAL_PREFIX: &str = "octo.";

/// The field `critical!` sets: an error-level event written with `"level":"critical"`.
pub(crate) const LEVEL_FIELD: &str = octo_instrument_core::logs::CRITICAL_FIELD;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    Json,
    Console { color: bool },
}

struct Output {
    format: Format,
    sink: Sink,
}

/// Writes events in the OctoLLM log schema. [`init`](crate::init) installs one; build your own to
/// add it to a subscriber you assemble yourself (tests do this with a thread-local subscriber).
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use tracing_subscriber::layer::SubscriberExt;
///
/// #[derive(Clone, Default)]
/// struct Buffer(Arc<Mutex<Vec<u8>>>);
/// impl std::io::Write for Buffer {
///     fn write(&mut self, b: &[u8]) -> std::io::Result<usize> { self.0.lock().unwrap().write(b) }
///     fn flush(&mut self) -> std::io::Result<()> { Ok(()) }
/// }
///
/// let buffer = Buffer::default();
/// let subscriber = tracing_subscriber::registry()
///     .with(octo_instrument::logging::LogLayer::json(buffer.clone()));
/// tracing::subscriber::with_default(subscriber, || {
///     let span = tracing::info_span!("request", request_id = "req_1");
///     let _entered = span.enter();
///     tracing::info!(event = "task.created", priority = 5);
/// });
/// let line = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
/// assert!(line.contains(r#""level":"info","event":"task.created","logger":"#));
/// assert!(line.ends_with(r#""priority":5,"request_id":"req_1"}
/// "#));
/// ```
pub struct LogLayer {
    outputs: Vec<Output>,
    /// Where every line also goes as an OTLP log record.
    #[cfg(feature = "otlp")]
    otlp: Option<Arc<super::otlp::LogExport>>,
    /// `"service":..,"environment":..,"version":..` encoded once, where the layer was built
    /// with its identity; else the process's identity is read per line.
    identity: Option<String>,
}

impl LogLayer {
    /// JSON lines, written to `writer` on the logging thread.
    pub fn json(writer: impl Write + Send + 'static) -> Self {
        Self {
            outputs: vec![Output {
                format: Format::Json,
                sink: Sink::direct(writer),
            }],
            identity: None,
            #[cfg(feature = "otlp")]
            otlp: None,
        }
    }

    /// Human-readable lines, with ANSI colours when `color` is true.
    pub fn console(writer: impl Write + Send + 'static, color: bool) -> Self {
        Self {
            outputs: vec![Output {
                format: Format::Console { color },
                sink: Sink::direct(writer),
            }],
            identity: None,
            #[cfg(feature = "otlp")]
            otlp: None,
        }
    }

    /// A layer without outputs yet, whose lines carry `identity`.
    pub(crate) fn with_identity(identity: &Identity) -> Self {
        Self {
            outputs: Vec::new(),
            identity: Some(identity_fields(identity)),
            #[cfg(feature = "otlp")]
            otlp: None,
        }
    }

    pub(crate) fn add(&mut self, format: Format, sink: Sink) {
        self.outputs.push(Output { format, sink });
    }

    /// Every line also becomes an OTLP log record, queued on `export`.
    #[cfg(feature = "otlp")]
    pub(crate) fn export_records(&mut self, export: Arc<super::otlp::LogExport>) {
        self.otlp = Some(export);
    }
}

/// Buffers reused from line to line, so formatting allocates nothing once they have grown.
#[derive(Default)]
struct Scratch {
    line: String,
    fields: Fields,
    seen: Seen,
    #[cfg(feature = "otlp")]
    record: super::otlp::Scratch,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

impl<S> Layer<S> for LogLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &span::Attributes<'_>, id: &span::Id, ctx: Context<'_, S>) {
        if attrs.values().is_empty() {
            return;
        }
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        count_cut(&mut fields);
        if let (false, Some(span)) = (fields.entries.is_empty(), ctx.span(id)) {
            span.extensions_mut().insert(SpanFields(fields));
        }
    }

    fn on_record(&self, id: &span::Id, values: &span::Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut extensions = span.extensions_mut();
        if let Some(SpanFields(fields)) = extensions.get_mut::<SpanFields>() {
            values.record(fields);
            count_cut(fields);
        } else {
            let mut fields = Fields::default();
            values.record(&mut fields);
            count_cut(&mut fields);
            extensions.insert(SpanFields(fields));
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let now = SystemTime::now();
        let write = |scratch: &mut Scratch| {
            let Scratch {
                line,
                fields,
                seen,
                #[cfg(feature = "otlp")]
                record,
            } = scratch;
            fields.clear();
            event.record(fields);
            count_cut(fields);
            let mut last_format = None;
            for output in &self.outputs {
                if last_format != Some(output.format) {
                    line.clear();
                    match output.format {
                        Format::Json => format_json(
                            line,
                            self.identity.as_deref(),
                            seen,
                            now,
                            event,
                            fields,
                            &ctx,
                        ),
                        Format::Console { color } => {
                            format_console(line, seen, now, event, fields, &ctx, color);
                        }
                    }
                    last_format = Some(output.format);
                }
                output.sink.write_line(line.as_bytes());
            }
            #[cfg(feature = "otlp")]
            if let Some(export) = &self.otlp {
                export.send(encode_record(record, seen, now, event, fields, &ctx));
            }
        };
        // A writer that logs while we format would find the scratch buffer borrowed: it gets
        // fresh buffers instead of a panic.
        let reused = SCRATCH.try_with(|scratch| {
            if let Ok(mut scratch) = scratch.try_borrow_mut() {
                write(&mut scratch);
                true
            } else {
                false
            }
        });
        if reused != Ok(true) {
            write(&mut Scratch::default());
        }
    }
}

/// Counts the values `fields` cut at the length limit.
fn count_cut(fields: &mut Fields) {
    let cut = fields.take_cut();
    if cut > 0 {
        crate::prom::truncated(signals::LOGS).inc_by(cut);
    }
}

fn level_name(level: Level) -> &'static str {
    match level {
        Level::TRACE | Level::DEBUG => "debug",
        Level::INFO => "info",
        Level::WARN => "warning",
        Level::ERROR => "error",
    }
}

/// The event's name: its `event` field, else its message, else the callsite's name.
fn event_name<'a>(event: &Event<'_>, fields: &'a Fields) -> (Option<&'static str>, EventName<'a>) {
    if let Some(value) = fields.get("event") {
        (Some("event"), EventName::Json(value))
    } else if let Some(value) = fields.get("message") {
        (Some("message"), EventName::Json(value))
    } else {
        (None, EventName::Plain(event.metadata().name()))
    }
}

enum EventName<'a> {
    /// Already a JSON value (a quoted string, normally).
    Json(&'a str),
    Plain(&'static str),
}

/// Keys already written on this line, so inner values win over outer ones. Reused from line
/// to line through the thread's scratch space.
#[derive(Default)]
struct Seen(Vec<&'static str>);

impl Seen {
    /// Records `key`; false when it was written before.
    fn insert(&mut self, key: &'static str) -> bool {
        if self.0.contains(&key) {
            return false;
        }
        self.0.push(key);
        true
    }
}

/// Visits the line's fields innermost first: the event's own (except the one used as its
/// name), then each enclosing span's, leaf to root, each key once.
fn for_each_field<S>(
    seen: &mut Seen,
    event: &Event<'_>,
    fields: &Fields,
    name_key: Option<&'static str>,
    ctx: &Context<'_, S>,
    mut visit: impl FnMut(&'static str, &str),
) where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    seen.0.clear();
    for (key, value) in fields.iter() {
        if Some(key) == name_key || key.starts_with(INTERNAL_PREFIX) {
            continue;
        }
        if seen.insert(key) {
            visit(key, value);
        }
    }
    if let Some(scope) = ctx.event_scope(event) {
        for span in scope {
            let extensions = span.extensions();
            if let Some(SpanFields(span_fields)) = extensions.get::<SpanFields>() {
                for (key, value) in span_fields.iter() {
                    if seen.insert(key) {
                        visit(key, value);
                    }
                }
            }
            if let Some(ContractFields(contract)) = extensions.get::<ContractFields>() {
                for (key, value) in contract.iter() {
                    if seen.insert(key) {
                        visit(key, value);
                    }
                }
            }
        }
    }
}

/// The trace and span ids a line carries: its explicit parent's, else the current span's.
fn line_ids(event: &Event<'_>) -> Option<([u8; 16], [u8; 8])> {
    event
        .parent()
        .and_then(span_data::ids_of_anywhere)
        .or_else(|| span_data::with_current_ids(|trace_id, span_id| (trace_id, span_id)))
}

/// `,"trace_id":"..","span_id":".."`, assembled on the stack and appended at once.
fn push_ids_json(out: &mut String, trace_id: &[u8; 16], span_id: [u8; 8]) {
    const TRACE: &[u8] = b",\"trace_id\":\"";
    const SPAN: &[u8] = b"\",\"span_id\":\"";
    let (trace, span) = ids_hex(trace_id, span_id);
    let mut fragment = [b'"'; TRACE.len() + 32 + SPAN.len() + 16 + 1];
    let (head, rest) = fragment.split_at_mut(TRACE.len());
    head.copy_from_slice(TRACE);
    let (digits, rest) = rest.split_at_mut(32);
    digits.copy_from_slice(&trace);
    let (middle, rest) = rest.split_at_mut(SPAN.len());
    middle.copy_from_slice(SPAN);
    rest[..16].copy_from_slice(&span);
    json::push_ascii(out, &fragment);
}

/// `,"service":..,"environment":..,"version":..` for `identity`: the same on every line.
fn identity_fields(identity: &Identity) -> String {
    let mut out = String::with_capacity(96);
    write_identity(&mut out, identity);
    out
}

fn write_identity(out: &mut String, identity: &Identity) {
    out.push_str(",\"service\":");
    json::write_str(out, &identity.service);
    out.push_str(",\"environment\":");
    json::write_str(out, &identity.environment);
    out.push_str(",\"version\":");
    json::write_str(out, &identity.version);
}

#[allow(clippy::too_many_arguments)] // one line's worth of context, passed down once
fn format_json<S>(
    out: &mut String,
    identity: Option<&str>,
    seen: &mut Seen,
    now: SystemTime,
    event: &Event<'_>,
    fields: &Fields,
    ctx: &Context<'_, S>,
) where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    let metadata = event.metadata();
    out.push_str("{\"timestamp\":\"");
    write_rfc3339(out, now);
    out.push_str("\",\"level\":");
    match fields.get(LEVEL_FIELD) {
        Some(level) => out.push_str(level),
        None => {
            out.push('"');
            out.push_str(level_name(*metadata.level()));
            out.push('"');
        }
    }
    out.push_str(",\"event\":");
    let (name_key, name) = event_name(event, fields);
    match name {
        EventName::Json(value) => out.push_str(value),
        EventName::Plain(value) => json::write_str(out, value),
    }
    out.push_str(",\"logger\":");
    json::write_str(out, metadata.target());
    match identity {
        Some(fields) => out.push_str(fields),
        None => write_identity(out, identity::current()),
    }
    if let Some((trace_id, span_id)) = line_ids(event) {
        push_ids_json(out, &trace_id, span_id);
    }
    for_each_field(seen, event, fields, name_key, ctx, |key, value| {
        out.push(',');
        if RESERVED.contains(&key) {
            let _ = write!(out, "\"fields.{key}\":");
        } else {
            json::write_str(out, key);
            out.push(':');
        }
        out.push_str(value);
    });
    out.push_str("}\n");
}

/// The line as an OTLP log record: the same fields, read back from their JSON values.
#[cfg(feature = "otlp")]
fn encode_record<'s, S>(
    scratch: &'s mut super::otlp::Scratch,
    seen: &mut Seen,
    now: SystemTime,
    event: &Event<'_>,
    fields: &Fields,
    ctx: &Context<'_, S>,
) -> &'s [u8]
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    let metadata = event.metadata();
    let level = fields
        .get(LEVEL_FIELD)
        .map_or(level_name(*metadata.level()), |level| {
            level.trim_matches('"')
        });
    let (name_key, name) = event_name(event, fields);
    let mut plain = String::new();
    let event_json = match name {
        EventName::Json(value) => value,
        EventName::Plain(value) => {
            json::write_str(&mut plain, value);
            plain.as_str()
        }
    };
    let record = super::otlp::Record {
        time: now,
        level,
        event: event_json,
        message: fields
            .get("message")
            .filter(|_| name_key != Some("message")),
        logger: metadata.target(),
        ids: line_ids(event),
    };
    super::otlp::encode(scratch, &record, |visit| {
        for_each_field(seen, event, fields, name_key, ctx, |key, value| {
            visit(key, value);
        });
    })
}

const DIM: &str = "\x1b[2m";
const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

#[allow(clippy::too_many_arguments)] // one line's worth of context, passed down once
fn format_console<S>(
    out: &mut String,
    seen: &mut Seen,
    now: SystemTime,
    event: &Event<'_>,
    fields: &Fields,
    ctx: &Context<'_, S>,
    color: bool,
) where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    let metadata = event.metadata();
    let paint = |out: &mut String, code: &str| {
        if color {
            out.push_str(code);
        }
    };
    paint(out, DIM);
    write_rfc3339(out, now);
    paint(out, RESET);
    out.push(' ');
    let critical = fields.get(LEVEL_FIELD).is_some();
    let (level_color, label) = match *metadata.level() {
        Level::ERROR if critical => ("\x1b[1;31m", "CRIT "),
        Level::ERROR => ("\x1b[31m", "ERROR"),
        Level::WARN => ("\x1b[33m", " WARN"),
        Level::INFO => ("\x1b[32m", " INFO"),
        Level::DEBUG => ("\x1b[34m", "DEBUG"),
        Level::TRACE => ("\x1b[35m", "TRACE"),
    };
    paint(out, level_color);
    out.push_str(label);
    paint(out, RESET);
    out.push(' ');
    paint(out, BOLD);
    let (name_key, name) = event_name(event, fields);
    match name {
        // Console lines show the name bare: strip the JSON quotes of a plain string.
        EventName::Json(value) => out.push_str(
            value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(value),
        ),
        EventName::Plain(value) => out.push_str(value),
    }
    paint(out, RESET);
    for_each_field(seen, event, fields, name_key, ctx, |key, value| {
        out.push(' ');
        paint(out, DIM);
        out.push_str(key);
        out.push('=');
        paint(out, RESET);
        out.push_str(value);
    });
    if let Some((trace_id, _)) = line_ids(event) {
        out.push(' ');
        paint(out, DIM);
        out.push_str("trace_id=");
        push_hex(out, &trace_id);
        paint(out, RESET);
    }
    out.push(' ');
    paint(out, DIM);
    out.push_str(metadata.target());
    paint(out, RESET);
    out.push('\n');
}
