//! The `tracing` layer of the native pipeline: every span it sees gets W3C ids (a child its
//! parent's trace; a root a new trace, or the remote parent the HTTP layer read); a sampled span
//! also gets its name, kind, times and typed attributes; a finished sampled span goes to the
//! export queue. An unsampled span costs its ids and nothing more.

use std::any::TypeId;
use std::cell::{Cell, RefCell};
use std::sync::Arc;

use tracing_core::field::{Field, Visit};
use tracing_core::{Subscriber, span};
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;

use super::attrs::{AttrLimits, Recorder};
use super::record::{Kind, SpanRecord, StatusCode, now_unix_nanos};
use super::{Shared, ids};
use crate::span_data::{self, CodeLocation, EnteredParent, KnownIds};
use crate::trace::context::TraceContext;

thread_local! {
    /// The remote parent of the next root span created on this thread (see
    /// [`with_remote_parent`]).
    static REMOTE_PARENT: RefCell<Option<TraceContext>> = const { RefCell::new(None) };
    /// The code location of the next span created on this thread (see [`with_code`]).
    static CODE: Cell<Option<&'static CodeLocation>> = const { Cell::new(None) };
}

/// Creates a span (in `make`) whose code attributes are `code`: the record keeps the reference.
/// Also returns whether a native layer took them (false: the span is disabled or another
/// pipeline's).
pub(crate) fn with_code<R>(code: &'static CodeLocation, make: impl FnOnce() -> R) -> (R, bool) {
    CODE.with(|slot| slot.set(Some(code)));
    let result = make();
    let taken = CODE.with(Cell::take).is_none();
    (result, taken)
}

#[cfg(feature = "axum")]
/// Creates a span (in `make`) whose parent is `parent`, a context read from another service:
/// the span continues that trace, and its sampling follows the caller's decision.
pub(crate) fn with_remote_parent<R>(parent: TraceContext, make: impl FnOnce() -> R) -> R {
    REMOTE_PARENT.with(|slot| *slot.borrow_mut() = Some(parent));
    let result = make();
    // Unused when no native layer saw the span (disabled, or another pipeline).
    REMOTE_PARENT.with(|slot| slot.borrow_mut().take());
    result
}

/// The layer; cloning it shares its pipeline.
#[derive(Clone)]
pub(crate) struct NativeLayer {
    pub(crate) shared: Arc<Shared>,
}

/// What a new span descends from.
struct Parent {
    trace_id: [u8; 16],
    span_id: [u8; 8],
    sampled: bool,
    remote: bool,
    trace_state: Option<String>,
}

impl NativeLayer {
    /// The parent of a new span: its `tracing` parent's record (or the nearest recorded
    /// ancestor's), or for a root span the remote parent handed over by `with_remote_parent`.
    fn parent<S>(&self, attrs: &span::Attributes<'_>, ctx: &Context<'_, S>) -> Option<Parent>
    where
        S: Subscriber + for<'a> LookupSpan<'a>,
    {
        let table = &self.shared.table;
        let local = if attrs.is_contextual() {
            // The entered span, from this thread's stack of them: no registry lookup.
            match EnteredParent::current(self.owner()) {
                EnteredParent::None => None,
                EnteredParent::Known(id, ids) => {
                    return Some(Parent {
                        trace_id: ids.trace_id,
                        span_id: ids.span_id,
                        sampled: ids.sampled,
                        remote: false,
                        trace_state: ids
                            .has_state
                            .then(|| table.with(id, |record| record.trace_state.clone()))
                            .flatten(),
                    });
                }
                EnteredParent::Unknown => ctx.current_span().id().cloned(),
            }
        } else {
            attrs.parent().cloned()
        };
        if let Some(local) = local {
            let from_record = |id: &span::Id| {
                table.with(id.into_u64(), |record| Parent {
                    trace_id: record.trace_id,
                    span_id: record.span_id,
                    sampled: record.sampled,
                    remote: false,
                    trace_state: (!record.trace_state.is_empty())
                        .then(|| record.trace_state.clone()),
                })
            };
            if let Some(parent) = from_record(&local) {
                return Some(parent);
            }
            // A parent this layer did not record (a `debug` span, say): its nearest recorded
            // ancestor's, so the tree stays one trace.
            return ctx
                .span_scope(&local)
                .and_then(|mut scope| scope.find_map(|span| from_record(&span.id())));
        }
        REMOTE_PARENT
            .with(|slot| slot.borrow_mut().take())
            .map(|remote| Parent {
                trace_id: remote.trace_id,
                span_id: remote.span_id,
                sampled: remote.sampled,
                remote: true,
                trace_state: (!remote.trace_state.is_empty()).then_some(remote.trace_state),
            })
    }

    /// This pipeline, as the owner of the ids it leaves in the thread's span stack.
    fn owner(&self) -> usize {
        Arc::as_ptr(&self.shared).addr()
    }

    /// What the thread's span stack keeps of `record`.
    fn known_ids(&self, record: &SpanRecord) -> KnownIds {
        KnownIds {
            trace_id: record.trace_id,
            span_id: record.span_id,
            sampled: record.sampled,
            has_state: !record.trace_state.is_empty(),
            owner: self.owner(),
        }
    }
}

impl<S> tracing_subscriber::Layer<S> for NativeLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &span::Attributes<'_>, id: &span::Id, ctx: Context<'_, S>) {
        let shared = &*self.shared;
        // Taken whether or not the span is sampled: it is this span's, not the next one's.
        let code = CODE.with(Cell::take);
        let mut record = shared.pool.take();
        match self.parent(attrs, &ctx) {
            Some(parent) => {
                record.trace_id = parent.trace_id;
                record.parent_span_id = parent.span_id;
                record.parent_remote = parent.remote;
                record.sampled = shared
                    .sampler
                    .sampled(Some(parent.sampled), &parent.trace_id);
                if let Some(state) = parent.trace_state {
                    record.trace_state = state;
                }
            }
            None => {
                record.trace_id = ids::trace_id();
                record.sampled = shared.sampler.sampled(None, &record.trace_id);
            }
        }
        record.span_id = ids::span_id();
        if record.sampled {
            record.name = attrs.metadata().name();
            record.code = code;
            record.start_unix_nanos = now_unix_nanos();
            attrs.record(&mut Fields {
                record: &mut record,
                limits: shared.limits,
            });
        }
        span_data::remember_ids(id, self.known_ids(&record));
        shared.table.insert(id.into_u64(), record);
    }

    fn on_record(&self, id: &span::Id, values: &span::Record<'_>, _ctx: Context<'_, S>) {
        let limits = self.shared.limits;
        self.shared.table.with_mut(id.into_u64(), |record| {
            if record.sampled {
                values.record(&mut Fields { record, limits });
            }
        });
    }

    fn on_enter(&self, id: &span::Id, _ctx: Context<'_, S>) {
        // The entered span's ids are what log lines inside it carry: recently created spans are
        // known on this thread without a lookup.
        if span_data::enter_known(id, self.owner()) {
            return;
        }
        match self
            .shared
            .table
            .with(id.into_u64(), |record| self.known_ids(record))
        {
            Some(ids) => span_data::enter(id, ids),
            None => span_data::enter_unknown(id),
        }
    }

    fn on_exit(&self, id: &span::Id, _ctx: Context<'_, S>) {
        span_data::exit(id);
    }

    fn on_close(&self, id: span::Id, _ctx: Context<'_, S>) {
        span_data::forget_ids(&id);
        let shared = &*self.shared;
        #[allow(unused_mut)] // changed where the span is exported
        let Some(mut record) = shared.table.remove(id.into_u64()) else {
            return;
        };
        #[cfg(feature = "otlp")]
        if let Some(export) = &shared.export
            && record.sampled
        {
            record.end_unix_nanos = now_unix_nanos();
            shared.count_cut(&record);
            export.send(record);
            return;
        }
        shared.count_cut(&record);
        shared.pool.give(record);
    }

    unsafe fn downcast_raw(&self, id: TypeId) -> Option<*const ()> {
        // How the span API (`trace::api`) finds this pipeline from a span's dispatcher.
        if id == TypeId::of::<Self>() {
            Some(std::ptr::from_ref(self).cast())
        } else if id == TypeId::of::<Shared>() {
            Some(Arc::as_ptr(&self.shared).cast())
        } else {
            None
        }
    }
}

/// A span's fields: the `otel.*` ones set the name, kind and status; the others are attributes.
struct Fields<'a> {
    record: &'a mut SpanRecord,
    limits: AttrLimits,
}

impl Fields<'_> {
    fn attrs(&mut self) -> Recorder<'_> {
        Recorder {
            attrs: &mut self.record.attrs,
            limits: self.limits,
        }
    }

    /// An `otel.*` field given as text: the name, kind or status, or ignored.
    fn special(&mut self, field: &Field, value: &str) {
        match field.name() {
            "otel.name" => {
                let name = self.record.name_override.get_or_insert_default();
                name.clear();
                name.push_str(crate::limits::prefix(value, self.limits.value_length));
            }
            "otel.kind" => {
                if let Some(kind) = Kind::parse(value) {
                    self.record.kind = kind;
                }
            }
            "otel.status_code" => {
                self.record.status = if value.eq_ignore_ascii_case("error") {
                    StatusCode::Error
                } else if value.eq_ignore_ascii_case("ok") {
                    StatusCode::Ok
                } else {
                    StatusCode::Unset
                };
            }
            "otel.status_message" => {
                self.record.status_message.clear();
                self.record
                    .status_message
                    .push_str(crate::limits::prefix(value, self.limits.value_length));
            }
            _ => {}
        }
    }
}

impl Visit for Fields<'_> {
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.attrs().record_f64(field, value);
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.attrs().record_i64(field, value);
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.attrs().record_u64(field, value);
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.attrs().record_bool(field, value);
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name().starts_with("otel.") {
            self.special(field, value);
        } else {
            self.attrs().record_str(field, value);
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        use std::fmt::Write as _;
        if field.name() == "otel.name" {
            // Written straight into the record's own buffer (`otel.name = %..` on every server
            // span): no text in between.
            let name = self.record.name_override.get_or_insert_default();
            name.clear();
            let mut budget = crate::limits::Budget::new(name, self.limits.value_length);
            let _ = write!(budget, "{value:?}");
        } else if field.name().starts_with("otel.") {
            let text = format!("{value:?}");
            self.special(field, &text);
        } else {
            self.attrs().record_debug(field, value);
        }
    }
}
