//! The native span pipeline: a `tracing` layer that gives spans W3C ids and typed attributes in
//! pooled records (no `String` per field, no allocation per span once warm), a queue bounded in
//! spans and bytes, and an export thread that encodes OTLP protobuf itself and sends it over
//! gRPC or HTTP.

mod attrs;
#[cfg(feature = "otlp")]
mod encode;
#[cfg(feature = "otlp")]
mod export;
mod ids;
mod layer;
// What the exporter alone reads (event names, times) is unread in builds without it.
#[cfg_attr(not(feature = "otlp"), allow(dead_code))]
mod record;
mod table;

use std::sync::Arc;
use std::time::Duration;

#[cfg(feature = "axum")]
pub(crate) use layer::with_remote_parent;
pub(crate) use layer::{NativeLayer, with_code};
pub(crate) use record::{SpanEvent, StatusCode, now_unix_nanos};

use attrs::AttrLimits;
#[cfg(feature = "otlp")]
use export::ExportQueue;
use record::Pool;
use table::SpanTable;

use octo_instrument_core::families::signals;

use super::sampler::Sampler;
use crate::identity::Identity;
use crate::limits::Limits;
use crate::otlp::OtlpSettings;
#[cfg(feature = "otlp")]
use crate::otlp::Resource;

/// One native pipeline: its open spans, its record pool, its sampler and limits, and its export
/// queue where spans are exported.
pub(crate) struct Shared {
    pub(crate) table: SpanTable,
    pub(crate) pool: Pool,
    pub(crate) sampler: Sampler,
    pub(crate) limits: AttrLimits,
    #[cfg(feature = "otlp")]
    pub(crate) export: Option<ExportQueue>,
    truncated: prometheus::IntCounter,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("native::Shared")
            .field("sampler", &self.sampler)
            .finish_non_exhaustive()
    }
}

impl Shared {
    /// Builds the pipeline; with `otlp`, starts the export thread.
    #[cfg_attr(
        not(feature = "otlp"),
        expect(
            clippy::unnecessary_wraps,
            reason = "only starting the export thread can fail"
        )
    )]
    pub(crate) fn build(
        identity: &Identity,
        sampler: Sampler,
        otlp: Option<&OtlpSettings>,
        limits: &Limits,
    ) -> Result<Arc<Self>, String> {
        crate::span_data::set_lookup(ids_in_current_subscriber);
        let pool = Pool::new();
        #[cfg(feature = "otlp")]
        let export = otlp
            .map(|settings| {
                let resource =
                    Resource::new(&identity.service, &identity.version, &identity.environment);
                ExportQueue::start(
                    settings,
                    resource,
                    limits.span_queue_spans,
                    limits.span_queue_bytes,
                    pool.clone(),
                )
            })
            .transpose()?;
        #[cfg(not(feature = "otlp"))]
        let _ = (identity, otlp);
        Ok(Arc::new(Self {
            table: SpanTable::new(),
            pool,
            sampler,
            limits: AttrLimits {
                count: limits.span_attribute_count,
                value_length: limits.span_value_length,
            },
            #[cfg(feature = "otlp")]
            export,
            truncated: crate::prom::truncated(signals::SPANS),
        }))
    }

    pub(crate) fn layer(self: &Arc<Self>) -> NativeLayer {
        NativeLayer {
            shared: self.clone(),
        }
    }

    /// Exports every finished span queued so far; false when that took longer than `timeout`.
    #[cfg_attr(
        not(feature = "otlp"),
        expect(clippy::unused_self, reason = "nothing is queued without export")
    )]
    pub(crate) fn flush(&self, timeout: Duration) -> bool {
        #[cfg(feature = "otlp")]
        return self
            .export
            .as_ref()
            .is_none_or(|export| export.flush(timeout));
        #[cfg(not(feature = "otlp"))]
        {
            let _ = timeout;
            true
        }
    }

    /// Counts the attribute values of `record` cut at the length limit.
    fn count_cut(&self, record: &record::SpanRecord) {
        let cut = record.attrs.cut;
        if cut > 0 {
            self.truncated.inc_by(u64::from(cut));
        }
    }

    /// Changes the record of open span `id`, if it is sampled (an unsampled span keeps its ids
    /// and nothing else).
    pub(crate) fn with_sampled<R>(
        &self,
        id: &tracing::span::Id,
        f: impl FnOnce(&mut record::SpanRecord, AttrLimits) -> R,
    ) -> Option<R> {
        let limits = self.limits;
        self.table
            .with_mut(id.into_u64(), |record| {
                record.sampled.then(|| f(record, limits))
            })
            .flatten()
    }

    /// The trace context of open span `id`, as it is propagated.
    #[cfg(feature = "reqwest")]
    pub(crate) fn context(
        &self,
        id: &tracing::span::Id,
    ) -> Option<crate::trace::context::TraceContext> {
        self.table.with(id.into_u64(), |record| {
            crate::trace::context::TraceContext {
                trace_id: record.trace_id,
                span_id: record.span_id,
                sampled: record.sampled,
                trace_state: record.trace_state.clone(),
            }
        })
    }
}

/// The ids of span `id` in the current subscriber's native span table, if it has one, and
/// whether it is sampled.
fn ids_in_current_subscriber(id: &tracing::span::Id) -> Option<([u8; 16], [u8; 8], bool)> {
    tracing::dispatcher::get_default(|dispatch| {
        dispatch.downcast_ref::<Shared>().and_then(|shared| {
            shared.table.with(id.into_u64(), |record| {
                (record.trace_id, record.span_id, record.sampled)
            })
        })
    })
}
