//! The OpenTelemetry SDK's pipeline (feature `otel-sdk`): `tracing-opentelemetry`'s layer over an
//! SDK tracer provider, exported through the same bounded queue and OTLP transport as the native
//! pipeline. For a
//! service that also uses the OpenTelemetry API directly (`opentelemetry::Context`,
//! `global::tracer`, a crate instrumented with it): its spans and ours share one context. It
//! costs more per span than the native pipeline.

mod export;
mod propagator;

use std::time::Duration;

use opentelemetry::KeyValue;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_core::Subscriber;
use tracing_subscriber::registry::LookupSpan;

use super::sampler::Sampler;
use crate::identity::Identity;
use crate::limits::Limits;
use crate::otlp::OtlpSettings;

/// The SDK's tracer provider and, where an endpoint is configured, our export queue behind it.
#[derive(Debug)]
pub(crate) struct SdkPipeline {
    provider: SdkTracerProvider,
    export: Option<export::ExportQueue>,
}

impl SdkPipeline {
    pub(crate) fn build(
        identity: &Identity,
        sampler: Sampler,
        otlp: Option<&OtlpSettings>,
        limits: &Limits,
    ) -> Result<Self, String> {
        let resource = Resource::builder()
            .with_service_name(identity.service.clone())
            .with_attributes([
                KeyValue::new("service.version", identity.version.clone()),
                KeyValue::new("deployment.environment.name", identity.environment.clone()),
            ])
            .build();
        let count = u32::try_from(limits.span_attribute_count).unwrap_or(u32::MAX);
        let builder = SdkTracerProvider::builder()
            .with_sampler(sampler.to_sdk())
            .with_max_attributes_per_span(count)
            .with_max_attributes_per_event(count)
            .with_resource(resource.clone());
        let export = otlp
            .map(|settings| {
                export::ExportQueue::start(
                    settings,
                    &resource,
                    limits.span_queue_spans,
                    limits.span_queue_bytes,
                )
            })
            .transpose()?;
        let builder = match &export {
            Some(queue) => builder.with_span_processor(queue.clone()),
            None => builder,
        };
        Ok(Self {
            provider: builder.build(),
            export,
        })
    }

    /// `tracing-opentelemetry`'s layer over the provider.
    pub(crate) fn layer<S>(&self) -> impl tracing_subscriber::Layer<S> + use<S>
    where
        S: Subscriber + for<'a> LookupSpan<'a>,
    {
        crate::span_data::sdk_layer_made();
        // Thread attributes (a string per span) and busy/idle timings (two clock reads per
        // poll of an async span) cost more per span than they tell; logs carry the durations.
        // Location and target would add `code.module.name` and `target`, which are not stable
        // conventions: an observed call's span gets its code attributes from the runtime, as
        // on the native pipeline.
        SpansOnly(
            tracing_opentelemetry::layer()
                .with_tracer(self.provider.tracer("octo-instrument"))
                .with_threads(false)
                .with_tracked_inactivity(false)
                .with_location(false)
                .with_target(false),
        )
    }

    pub(crate) fn provider(&self) -> &SdkTracerProvider {
        &self.provider
    }

    pub(crate) fn flush(&self, timeout: Duration) -> bool {
        self.export
            .as_ref()
            .is_none_or(|export| export.flush(timeout))
    }

    /// Installs the provider and the W3C propagators as the process-wide OpenTelemetry
    /// defaults, so code using the OpenTelemetry API directly shares them.
    pub(crate) fn install_global(&self) {
        opentelemetry::global::set_tracer_provider(self.provider.clone());
        opentelemetry::global::set_text_map_propagator(propagator::propagator());
    }
}

/// A layer that sees spans and never events: `tracing-opentelemetry` would copy every line
/// logged inside a span into it as a span event (with `level`, `target` and the line's fields as
/// attributes, none of them conventions), which the lines already carry. Unlike a per-layer
/// filter, it costs the spans nothing.
struct SpansOnly<L>(L);

impl<S, L> tracing_subscriber::Layer<S> for SpansOnly<L>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    L: tracing_subscriber::Layer<S>,
{
    fn on_register_dispatch(&self, subscriber: &tracing::Dispatch) {
        self.0.on_register_dispatch(subscriber);
    }

    fn on_layer(&mut self, subscriber: &mut S) {
        self.0.on_layer(subscriber);
    }

    fn on_new_span(
        &self,
        attrs: &tracing_core::span::Attributes<'_>,
        id: &tracing_core::span::Id,
        ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        self.0.on_new_span(attrs, id, ctx);
    }

    fn on_record(
        &self,
        span: &tracing_core::span::Id,
        values: &tracing_core::span::Record<'_>,
        ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        self.0.on_record(span, values, ctx);
    }

    fn on_follows_from(
        &self,
        span: &tracing_core::span::Id,
        follows: &tracing_core::span::Id,
        ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        self.0.on_follows_from(span, follows, ctx);
    }

    fn on_enter(
        &self,
        id: &tracing_core::span::Id,
        ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        self.0.on_enter(id, ctx);
    }

    fn on_exit(&self, id: &tracing_core::span::Id, ctx: tracing_subscriber::layer::Context<'_, S>) {
        self.0.on_exit(id, ctx);
    }

    fn on_close(&self, id: tracing_core::span::Id, ctx: tracing_subscriber::layer::Context<'_, S>) {
        self.0.on_close(id, ctx);
    }

    fn on_id_change(
        &self,
        old: &tracing_core::span::Id,
        new: &tracing_core::span::Id,
        ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        self.0.on_id_change(old, new, ctx);
    }

    /// `OpenTelemetrySpanExt` finds the SDK layer's context through this.
    unsafe fn downcast_raw(&self, id: std::any::TypeId) -> Option<*const ()> {
        if id == std::any::TypeId::of::<Self>() {
            return Some(std::ptr::from_ref(self).cast());
        }
        // SAFETY: forwarded to the wrapped layer, whose answer is for its own type ids.
        unsafe { self.0.downcast_raw(id) }
    }
}
