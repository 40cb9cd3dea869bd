//! The trace and span ids of the spans this thread made lately and of those it has entered,
//! kept by the native trace layer as spans open, are entered and exit: a log line finds its ids,
//! and a new span its parent, without a lookup in any shared table. With the OpenTelemetry SDK's
//! layer, the current ids come from its context instead.

use std::cell::RefCell;
use std::sync::OnceLock;
#[cfg(feature = "otel-sdk")]
use std::sync::atomic::{AtomicBool, Ordering};

use tracing::span::Id;

/// What this thread knows of one span: its ids and what a child of it inherits.
#[derive(Clone, Copy, Default)]
pub(crate) struct KnownIds {
    pub(crate) trace_id: [u8; 16],
    pub(crate) span_id: [u8; 8],
    pub(crate) sampled: bool,
    /// The span carries a W3C `tracestate` (which a child takes from its record).
    pub(crate) has_state: bool,
    /// The pipeline that made the span (its address): two subscribers used on one thread do
    /// not take each other's spans for parents.
    pub(crate) owner: usize,
}

/// One span this thread made or entered.
#[derive(Clone, Copy, Default)]
struct Entry {
    id: u64,
    ids: KnownIds,
    /// Entered, but the trace layer has no record of it: its ids are unknown here.
    unknown: bool,
}

/// Spans created on this thread lately: most spans are entered, and log inside them, on the
/// thread that made them, so their ids are found here without a lookup.
const RECENT: usize = 16;

#[derive(Default)]
struct Local {
    recent: [Entry; RECENT],
    next: usize,
    /// The entered spans, innermost last.
    entered: Vec<Entry>,
}

thread_local! {
    static LOCAL: RefCell<Local> = RefCell::new(Local::default());
}

/// A span was created on this thread with these ids.
#[inline]
pub(crate) fn remember_ids(id: &Id, ids: KnownIds) {
    let _ = LOCAL.try_with(|local| {
        let mut local = local.borrow_mut();
        let slot = local.next % RECENT;
        local.recent[slot] = Entry {
            id: id.into_u64(),
            ids,
            unknown: false,
        };
        local.next = local.next.wrapping_add(1);
    });
}

/// A span closed: its ids go (its id may be given to another span).
#[inline]
pub(crate) fn forget_ids(id: &Id) {
    let _ = LOCAL.try_with(|local| {
        let mut local = local.borrow_mut();
        let id = id.into_u64();
        for slot in &mut local.recent {
            if slot.id == id {
                *slot = Entry::default();
            }
        }
    });
}

/// Enters span `id` if this thread made it lately (and `owner` did); false otherwise (the
/// caller looks its ids up and calls [`enter`], or [`enter_unknown`]).
#[inline]
pub(crate) fn enter_known(id: &Id, owner: usize) -> bool {
    LOCAL
        .try_with(|local| {
            let mut local = local.borrow_mut();
            let id = id.into_u64();
            match local
                .recent
                .iter()
                .find(|entry| entry.id == id && entry.ids.owner == owner)
                .copied()
            {
                Some(entry) => {
                    local.entered.push(entry);
                    true
                }
                None => false,
            }
        })
        .unwrap_or(true)
}

/// Enters span `id`, with its ids.
#[inline]
pub(crate) fn enter(id: &Id, ids: KnownIds) {
    let _ = LOCAL.try_with(|local| {
        local.borrow_mut().entered.push(Entry {
            id: id.into_u64(),
            ids,
            unknown: false,
        });
    });
}

/// Enters span `id`, whose ids the trace layer does not have: kept so that the stack matches
/// the registry's, and skipped by readers.
#[inline]
pub(crate) fn enter_unknown(id: &Id) {
    let _ = LOCAL.try_with(|local| {
        local.borrow_mut().entered.push(Entry {
            id: id.into_u64(),
            unknown: true,
            ..Entry::default()
        });
    });
}

/// Exits span `id`.
#[inline]
pub(crate) fn exit(id: &Id) {
    let _ = LOCAL.try_with(|local| {
        let mut local = local.borrow_mut();
        let id = id.into_u64();
        // Spans exit in the reverse order of entry, nearly always.
        if let Some(position) = local.entered.iter().rposition(|entry| entry.id == id) {
            local.entered.remove(position);
        }
    });
}

/// The innermost entered span, as the parent of a span created now.
pub(crate) enum EnteredParent {
    /// No span is entered on this thread.
    None,
    /// One is, made by the asking pipeline: its `tracing` id and ids.
    Known(u64, KnownIds),
    /// One is that the asking pipeline has no record of: the caller asks the registry.
    Unknown,
}

impl EnteredParent {
    /// The innermost span entered on this thread, for the pipeline `owner`.
    #[inline]
    pub(crate) fn current(owner: usize) -> Self {
        LOCAL
            .try_with(|local| match local.borrow().entered.last() {
                None => Self::None,
                Some(entry) if entry.unknown || entry.ids.owner != owner => Self::Unknown,
                Some(entry) => Self::Known(entry.id, entry.ids),
            })
            .unwrap_or(Self::Unknown)
    }
}

/// The trace and span ids of span `id`, where this thread knows them: a span it entered, or
/// one it made lately.
#[inline]
pub(crate) fn ids_of(id: &Id) -> Option<([u8; 16], [u8; 8])> {
    known_here(id).map(|ids| (ids.trace_id, ids.span_id))
}

/// What this thread knows of span `id`: a span it entered, or one it made lately.
#[inline]
fn known_here(id: &Id) -> Option<KnownIds> {
    let id = id.into_u64();
    LOCAL
        .try_with(|local| {
            let local = local.borrow();
            local
                .entered
                .iter()
                .rev()
                .chain(local.recent.iter())
                .find(|entry| entry.id == id && !entry.unknown)
                .map(|entry| entry.ids)
        })
        .ok()
        .flatten()
}

/// How the native pipeline finds the ids of a span this thread does not know, in the current
/// subscriber's span table (set when a native pipeline is built).
static LOOKUP: OnceLock<Lookup> = OnceLock::new();

/// Finds the trace and span ids of a span.
type Lookup = fn(&Id) -> Option<([u8; 16], [u8; 8], bool)>;

/// An OpenTelemetry SDK layer was made: its spans' ids are in its context, reached only by
/// entering them.
#[cfg(feature = "otel-sdk")]
static SDK_LAYER: AtomicBool = AtomicBool::new(false);

/// Sets how ids are looked up when this thread does not know them (see [`ids_of_anywhere`]).
pub(crate) fn set_lookup(lookup: Lookup) {
    let _ = LOOKUP.set(lookup);
}

/// Whether an OpenTelemetry SDK layer exists in the process.
#[cfg(feature = "otel-sdk")]
pub(crate) fn sdk_layer_exists() -> bool {
    SDK_LAYER.load(Ordering::Relaxed)
}

/// Notes that an OpenTelemetry SDK layer exists (see [`known_without_entering`]).
#[cfg(feature = "otel-sdk")]
pub(crate) fn sdk_layer_made() {
    SDK_LAYER.store(true, Ordering::Relaxed);
}

/// The trace and span ids of span `id`: from this thread, else from the current subscriber's
/// native span table.
pub(crate) fn ids_of_anywhere(id: &Id) -> Option<([u8; 16], [u8; 8])> {
    known_anywhere(id).map(|(trace_id, span_id, _)| (trace_id, span_id))
}

/// The trace and span ids of span `id` and whether its trace is sampled (exported): from this
/// thread, else from the current subscriber's native span table; `None` for a span the native
/// pipeline does not know.
pub(crate) fn known_anywhere(id: &Id) -> Option<([u8; 16], [u8; 8], bool)> {
    match known_here(id) {
        Some(ids) => Some((ids.trace_id, ids.span_id, ids.sampled)),
        None => LOOKUP.get().and_then(|lookup| lookup(id)),
    }
}

/// Whether a log line can name span `id` as its parent without entering it and still carry its
/// ids: the thread knows them, or no OpenTelemetry SDK layer (whose ids need the span entered)
/// exists in the process.
#[inline]
pub(crate) fn known_without_entering(id: &Id) -> bool {
    #[cfg(feature = "otel-sdk")]
    return !SDK_LAYER.load(Ordering::Relaxed) || ids_of(id).is_some();
    #[cfg(not(feature = "otel-sdk"))]
    {
        let _ = id;
        true
    }
}

/// Calls `f` with the current span's trace id and span id bytes, if there is a traced one.
pub(crate) fn with_current_ids<R>(f: impl FnOnce([u8; 16], [u8; 8]) -> R) -> Option<R> {
    let native = LOCAL
        .try_with(|local| {
            local
                .borrow()
                .entered
                .iter()
                .rev()
                .find(|entry| !entry.unknown)
                .map(|entry| (entry.ids.trace_id, entry.ids.span_id))
        })
        .ok()
        .flatten();
    match native {
        Some((trace_id, span_id)) => Some(f(trace_id, span_id)),
        None => sdk_current_ids(f),
    }
}

/// The ids from the OpenTelemetry SDK layer's context, where that layer is the one installed.
#[cfg(feature = "otel-sdk")]
fn sdk_current_ids<R>(f: impl FnOnce([u8; 16], [u8; 8]) -> R) -> Option<R> {
    use opentelemetry::trace::TraceContextExt;
    opentelemetry::Context::map_current(|cx| {
        let span = cx.span();
        let context = span.span_context();
        context
            .is_valid()
            .then(|| f(context.trace_id().to_bytes(), context.span_id().to_bytes()))
    })
}

#[cfg(not(feature = "otel-sdk"))]
fn sdk_current_ids<R>(_: impl FnOnce([u8; 16], [u8; 8]) -> R) -> Option<R> {
    None
}
