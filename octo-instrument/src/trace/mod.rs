//! Traces: every span the service opens (the `#[observed]` ones, the HTTP layer's, any
//! `tracing` span at `INFO` or above) becomes an OpenTelemetry span with W3C trace and span
//! ids, which the log lines inside it carry as `trace_id` and `span_id`. With an OTLP endpoint
//! configured the spans are exported in batches; without one they still get ids, so logs stay
//! correlated across services.
//!
//! [`init`](crate::init) sets all of this up. [`Config::tracing`](crate::Config::tracing) builds
//! the same pipeline for a subscriber you assemble yourself:
//!
//! ```
//! use tracing_subscriber::layer::SubscriberExt;
//!
//! let tracing = octo_instrument::Config::new().tracing().expect("valid environment");
//! let subscriber = tracing_subscriber::registry().with(tracing.layer());
//! tracing::subscriber::with_default(subscriber, || {
//!     let span = tracing::info_span!("work");
//!     let _entered = span.enter();
//!     let (trace_id, span_id) = octo_instrument::trace::current_ids().expect("inside a span");
//!     assert_eq!((trace_id.len(), span_id.len()), (32, 16));
//! });
//! ```

#[cfg(feature = "otlp")]
mod export;
mod otlp;
pub(crate) mod propagation;
pub(crate) mod sampler;
mod w3c;

use std::time::Duration;

use opentelemetry::KeyValue;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::{Sampler, SdkTracerProvider};
use tracing_core::Subscriber;
use tracing_subscriber::Layer;
use tracing_subscriber::registry::LookupSpan;

pub use otlp::OtlpProtocol;
pub(crate) use otlp::{OtlpSettings, settings as otlp_settings};

use crate::encode::hex::push_hex;
use crate::error::Error;
use crate::filter::Selection;
use crate::identity::Identity;
use crate::limits::Limits;

/// The trace pipeline: the tracer provider and, where an endpoint is configured, the export
/// queue. Dropping it does not flush; [`Guard`](crate::Guard) does that for `init()`.
pub struct Tracing {
    provider: SdkTracerProvider,
    directives: String,
    #[cfg(feature = "otlp")]
    export: Option<export::ExportQueue>,
}

impl std::fmt::Debug for Tracing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tracing")
            .field("provider", &self.provider)
            .finish_non_exhaustive()
    }
}

impl Tracing {
    pub(crate) fn build(
        identity: &Identity,
        directives: &str,
        sampler: Sampler,
        otlp: Option<&OtlpSettings>,
        limits: &Limits,
    ) -> Result<Self, Error> {
        let resource = Resource::builder()
            .with_service_name(identity.service.clone())
            .with_attributes([
                KeyValue::new("service.version", identity.version.clone()),
                KeyValue::new("deployment.environment.name", identity.environment.clone()),
            ])
            .build();
        let count = u32::try_from(limits.span_attribute_count).unwrap_or(u32::MAX);
        let builder = SdkTracerProvider::builder()
            .with_sampler(sampler)
            .with_max_attributes_per_span(count)
            .with_max_attributes_per_event(count)
            .with_resource(resource.clone());
        #[cfg(feature = "otlp")]
        {
            let export = otlp
                .map(|settings| {
                    export::ExportQueue::start(settings, resource, limits.span_queue_bytes).map_err(
                        |reason| {
                            Error::invalid(
                                "OTEL_EXPORTER_OTLP_ENDPOINT",
                                &settings.endpoint,
                                format!("an endpoint the OTLP exporter accepts ({reason})"),
                            )
                        },
                    )
                })
                .transpose()?;
            let builder = match &export {
                Some(queue) => builder.with_span_processor(queue.clone()),
                None => builder,
            };
            Ok(Self {
                provider: builder.build(),
                directives: directives.to_owned(),
                export,
            })
        }
        #[cfg(not(feature = "otlp"))]
        {
            let _ = resource;
            if let Some(settings) = otlp {
                return Err(Error::invalid(
                    "OTEL_EXPORTER_OTLP_ENDPOINT",
                    &settings.endpoint,
                    "no endpoint: this build has no OTLP exporter (enable the `otlp` feature)",
                ));
            }
            Ok(Self {
                provider: builder.build(),
                directives: directives.to_owned(),
            })
        }
    }

    /// The `tracing` layer that turns spans into OpenTelemetry spans: spans at `INFO` and
    /// above, and those `LOG_LEVEL` enables. Events stay log lines; they are not copied into
    /// the spans.
    pub fn layer<S>(&self) -> impl Layer<S> + 'static
    where
        S: Subscriber + for<'a> LookupSpan<'a>,
    {
        // Thread attributes (a string per span) and busy/idle timings (two clock reads per
        // poll of an async span) cost more per span than they tell; logs carry the durations.
        tracing_opentelemetry::layer()
            .with_tracer(self.provider.tracer("octo-instrument"))
            .with_threads(false)
            .with_tracked_inactivity(false)
            .with_filter(Selection::spans(&self.directives))
    }

    /// The tracer provider, for code that uses the OpenTelemetry API directly.
    pub fn provider(&self) -> &SdkTracerProvider {
        &self.provider
    }

    /// Exports every finished span queued so far; false when that took longer than `timeout`
    /// (a collector that is down or slow). True at once when nothing is exported.
    pub fn flush(&self, timeout: Duration) -> bool {
        #[cfg(feature = "otlp")]
        if let Some(export) = &self.export {
            return export.flush(timeout);
        }
        let _ = timeout;
        true
    }

    /// Installs the provider and the W3C trace-context and baggage propagators as the
    /// process-wide OpenTelemetry defaults.
    pub(crate) fn install_global(&self) {
        opentelemetry::global::set_tracer_provider(self.provider.clone());
        opentelemetry::global::set_text_map_propagator(propagation::propagator());
    }
}

/// A span attribute value as the span keeps it: cut at the span value limit (and counted in
/// `octo_telemetry_truncated_total{signal="spans"}`) when it is longer.
pub(crate) fn span_value(value: &str) -> std::borrow::Cow<'_, str> {
    let cut = crate::limits::cut(value, crate::limits::span_value_length());
    if matches!(cut, std::borrow::Cow::Owned(_)) {
        crate::prom::truncated("spans").inc();
    }
    cut
}

/// The trace id (32 lowercase hex) and span id (16) of the current span, as log lines show them;
/// `None` outside any traced span.
///
/// ```
/// assert_eq!(octo_instrument::trace::current_ids(), None);
/// ```
pub fn current_ids() -> Option<(String, String)> {
    crate::span_data::with_current_ids(|trace_id, span_id| {
        let mut trace = String::with_capacity(32);
        let mut span = String::with_capacity(16);
        push_hex(&mut trace, &trace_id);
        push_hex(&mut span, &span_id);
        (trace, span)
    })
}
