//! Data the runtime keeps about spans, on the ground floor where every layer can read it:
//! - the contract fields and request id, in the registry's span extensions, reached from a
//!   `tracing::Span` handle;
//! - the trace and span ids of the spans entered on this thread, which log lines and sampling
//!   decisions read. The native trace layer keeps them here as spans are entered and exited;
//!   with the OpenTelemetry SDK's layer they come from its context instead.

use std::cell::RefCell;

use tracing::Span;
use tracing::span::Id;
use tracing_subscriber::Registry;
use tracing_subscriber::registry::{LookupSpan, SpanRef};

use crate::encode::fields::Fields;

/// Where an `#[observed]` function is: its span's `code.function.name` (fully qualified),
/// `code.file.path` and `code.line.number`, from the call site's statics.
#[doc(hidden)]
#[derive(Debug)]
pub struct CodeLocation {
    pub function: &'static str,
    pub file: &'static str,
    pub line: u32,
}

/// The contract fields recorded on one span (`record(..)`), which every line inside it carries.
pub(crate) struct ContractFields(pub(crate) Fields);

/// Calls `f` with `span`'s registry entry; `None` when the span is disabled or the current
/// subscriber is not built on a `Registry` (then there is nowhere to keep anything).
pub(crate) fn with_span_ref<R>(
    span: &Span,
    f: impl FnOnce(SpanRef<'_, Registry>) -> R,
) -> Option<R> {
    span.with_subscriber(|(id, dispatch)| {
        let registry = dispatch.downcast_ref::<Registry>()?;
        registry.span(id).map(f)
    })
    .flatten()
}

/// The ids of one span.
#[derive(Clone, Copy, Default)]
struct Ids {
    id: u64,
    trace_id: [u8; 16],
    span_id: [u8; 8],
}

/// Spans created on this thread lately: most spans are entered on the thread that made them, so
/// their ids are found here without a lookup.
const RECENT: usize = 16;

#[derive(Default)]
struct Local {
    recent: [Ids; RECENT],
    next: usize,
    /// The entered spans, innermost last.
    entered: Vec<Ids>,
}

thread_local! {
    static LOCAL: RefCell<Local> = RefCell::new(Local::default());
}

/// A span was created on this thread with these ids.
#[inline]
pub(crate) fn remember_ids(id: &Id, trace_id: [u8; 16], span_id: [u8; 8]) {
    let _ = LOCAL.try_with(|local| {
        let mut local = local.borrow_mut();
        let slot = local.next % RECENT;
        local.recent[slot] = Ids {
            id: id.into_u64(),
            trace_id,
            span_id,
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
                *slot = Ids::default();
            }
        }
    });
}

/// Enters span `id` if its ids are known on this thread; false otherwise (the caller looks them
/// up and calls [`enter`]).
#[inline]
pub(crate) fn enter_known(id: &Id) -> bool {
    LOCAL
        .try_with(|local| {
            let mut local = local.borrow_mut();
            let id = id.into_u64();
            match local.recent.iter().find(|ids| ids.id == id).copied() {
                Some(ids) => {
                    local.entered.push(ids);
                    true
                }
                None => false,
            }
        })
        .unwrap_or(true)
}

/// Enters span `id`, with its ids.
#[inline]
pub(crate) fn enter(id: &Id, trace_id: [u8; 16], span_id: [u8; 8]) {
    let _ = LOCAL.try_with(|local| {
        local.borrow_mut().entered.push(Ids {
            id: id.into_u64(),
            trace_id,
            span_id,
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
        if let Some(position) = local.entered.iter().rposition(|ids| ids.id == id) {
            local.entered.remove(position);
        }
    });
}

/// Calls `f` with the current span's trace id and span id bytes, if there is a traced one.
pub(crate) fn with_current_ids<R>(f: impl FnOnce([u8; 16], [u8; 8]) -> R) -> Option<R> {
    let native = LOCAL
        .try_with(|local| {
            local
                .borrow()
                .entered
                .last()
                .map(|ids| (ids.trace_id, ids.span_id))
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
