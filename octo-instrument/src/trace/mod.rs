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

pub(crate) mod api;
pub(crate) mod context;
mod native;
pub(crate) mod propagation;
pub(crate) mod sampler;
#[cfg(feature = "otel-sdk")]
mod sdk;
#[cfg(any(feature = "axum", feature = "otel-sdk"))]
mod w3c;

use std::sync::Arc;
use std::time::Duration;

use tracing_core::Subscriber;
use tracing_subscriber::Layer;
use tracing_subscriber::registry::LookupSpan;

pub use crate::otlp::OtlpProtocol;
use crate::otlp::OtlpSettings;

use crate::encode::hex::push_hex;
use crate::error::Error;
use crate::filter::Selection;
use crate::identity::Identity;
use crate::limits::Limits;
use sampler::Sampler;

/// Which span pipeline turns `tracing` spans into OpenTelemetry spans.
///
/// ```
/// use octo_instrument::trace::SpanPipeline;
///
/// let config = octo_instrument::Config::new().span_pipeline(SpanPipeline::Native);
/// # let _ = config;
/// assert_eq!(SpanPipeline::default(), SpanPipeline::Native);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum SpanPipeline {
    /// Ours, the default: W3C ids and typed attributes in pooled records, no allocation per span
    /// once warm, OTLP protobuf encoded on the export thread. What a service that uses
    /// `tracing` (and this crate) for its spans wants.
    #[default]
    Native,
    /// `tracing-opentelemetry` over the OpenTelemetry SDK (feature `otel-sdk`), for a service
    /// that also uses the OpenTelemetry API directly (`opentelemetry::Context`,
    /// `global::tracer`, a crate instrumented with it), so both kinds of spans share one
    /// context. It costs several times more per span.
    #[cfg(feature = "otel-sdk")]
    OpenTelemetrySdk,
}

/// The trace pipeline: the layer's state and, where an endpoint is configured, the export queue.
/// Dropping it does not flush; [`Guard`](crate::Guard) does that for `init()`.
pub struct Tracing {
    pipeline: Pipeline,
    directives: String,
}

enum Pipeline {
    Native(Arc<native::Shared>),
    #[cfg(feature = "otel-sdk")]
    Sdk(sdk::SdkPipeline),
}

impl std::fmt::Debug for Tracing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let pipeline = match &self.pipeline {
            Pipeline::Native(_) => SpanPipeline::Native,
            #[cfg(feature = "otel-sdk")]
            Pipeline::Sdk(_) => SpanPipeline::OpenTelemetrySdk,
        };
        f.debug_struct("Tracing")
            .field("pipeline", &pipeline)
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
        choice: SpanPipeline,
    ) -> Result<Self, Error> {
        #[cfg(not(feature = "otlp"))]
        if let Some(settings) = otlp {
            return Err(Error::invalid(
                "OTEL_EXPORTER_OTLP_ENDPOINT",
                &settings.endpoint,
                "no endpoint: this build has no OTLP exporter (enable the `otlp` feature)",
            ));
        }
        let rejected = |settings: Option<&OtlpSettings>, reason: String| {
            Error::invalid(
                settings.map_or("OTEL_EXPORTER_OTLP_ENDPOINT", |s| s.endpoint_variable),
                settings.map_or("", |s| s.endpoint.as_str()),
                format!("an endpoint the OTLP exporter accepts ({reason})"),
            )
        };
        let pipeline = match choice {
            SpanPipeline::Native => Pipeline::Native(
                native::Shared::build(identity, sampler, otlp, limits)
                    .map_err(|reason| rejected(otlp, reason))?,
            ),
            #[cfg(feature = "otel-sdk")]
            SpanPipeline::OpenTelemetrySdk => Pipeline::Sdk(
                sdk::SdkPipeline::build(identity, sampler, otlp, limits)
                    .map_err(|reason| rejected(otlp, reason))?,
            ),
        };
        Ok(Self {
            pipeline,
            directives: directives.to_owned(),
        })
    }

    /// The `tracing` layer that turns spans into OpenTelemetry spans: spans at `INFO` and
    /// above, and those `LOG_LEVEL` enables. Events stay log lines; they are not copied into
    /// the spans.
    pub fn layer<S>(&self) -> impl Layer<S> + use<S>
    where
        S: Subscriber + for<'a> LookupSpan<'a>,
    {
        self.unfiltered_layer()
            .with_filter(Selection::spans(&self.directives))
    }

    /// The layer without its filter, for a subscriber whose one global filter selects spans
    /// (what `init()` builds: a filter per layer costs every span and event more).
    pub(crate) fn unfiltered_layer<S>(&self) -> impl Layer<S> + use<S>
    where
        S: Subscriber + for<'a> LookupSpan<'a>,
    {
        let native = match &self.pipeline {
            Pipeline::Native(shared) => Some(shared.layer()),
            #[cfg(feature = "otel-sdk")]
            Pipeline::Sdk(_) => None,
        };
        #[cfg(feature = "otel-sdk")]
        let native = {
            let sdk = match &self.pipeline {
                Pipeline::Sdk(pipeline) => Some(pipeline.layer()),
                Pipeline::Native(_) => None,
            };
            Layer::and_then(native, sdk)
        };
        native
    }

    /// The OpenTelemetry SDK's tracer provider, where that is the pipeline (feature `otel-sdk`),
    /// for code that uses the OpenTelemetry API directly.
    #[cfg(feature = "otel-sdk")]
    pub fn provider(&self) -> Option<&opentelemetry_sdk::trace::SdkTracerProvider> {
        match &self.pipeline {
            Pipeline::Sdk(pipeline) => Some(pipeline.provider()),
            Pipeline::Native(_) => None,
        }
    }

    /// Exports every finished span queued so far; false when that took longer than `timeout`
    /// (a collector that is down or slow). True at once when nothing is exported.
    pub fn flush(&self, timeout: Duration) -> bool {
        match &self.pipeline {
            Pipeline::Native(shared) => shared.flush(timeout),
            #[cfg(feature = "otel-sdk")]
            Pipeline::Sdk(pipeline) => pipeline.flush(timeout),
        }
    }

    /// Makes the pipeline the process-wide one where that means something: the SDK's provider
    /// and propagators become the OpenTelemetry globals.
    #[cfg_attr(
        not(feature = "otel-sdk"),
        expect(clippy::unused_self, reason = "only the SDK pipeline has globals")
    )]
    pub(crate) fn install_global(&self) {
        #[cfg(feature = "otel-sdk")]
        if let Pipeline::Sdk(pipeline) = &self.pipeline {
            pipeline.install_global();
        }
    }
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
