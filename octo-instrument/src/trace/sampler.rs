//! `OTEL_TRACES_SAMPLER` and `OTEL_TRACES_SAMPLER_ARG`, read as the OpenTelemetry specification
//! defines them, with errors that name the variable; and the decision they make.

use crate::env;
use crate::error::Error;

const SAMPLERS: &str = "always_on, always_off, traceidratio, parentbased_always_on, \
                        parentbased_always_off, parentbased_traceidratio";

/// Which spans are recorded and exported. A span that is not sampled still has ids, so the log
/// lines inside it stay correlated.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Sampler {
    AlwaysOn,
    AlwaysOff,
    /// Sampled when the trace id's low 63 bits fall under this share of their range.
    TraceIdRatio(f64),
    /// The parent's decision where there is a parent, else the root sampler's.
    ParentBased(Root),
}

/// The sampler of root spans under [`Sampler::ParentBased`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Root {
    AlwaysOn,
    AlwaysOff,
    TraceIdRatio(f64),
}

impl Sampler {
    /// Whether a span of `trace_id` is sampled; `parent` is the parent's decision, local or
    /// remote, where the span has a parent.
    #[inline]
    pub(crate) fn sampled(self, parent: Option<bool>, trace_id: &[u8; 16]) -> bool {
        match (self, parent) {
            (Self::ParentBased(_), Some(parent)) => parent,
            (Self::ParentBased(Root::AlwaysOn) | Self::AlwaysOn, _) => true,
            (Self::ParentBased(Root::AlwaysOff) | Self::AlwaysOff, _) => false,
            (Self::ParentBased(Root::TraceIdRatio(ratio)) | Self::TraceIdRatio(ratio), _) => {
                ratio_keeps(ratio, trace_id)
            }
        }
    }
}

/// The specification's `TraceIdRatioBased`: the trace id's low 8 bytes, as a big-endian number
/// shifted to 63 bits, under `ratio` of 2^63; so every service decides a trace the same way.
fn ratio_keeps(ratio: f64, trace_id: &[u8; 16]) -> bool {
    let mut low = [0u8; 8];
    low.copy_from_slice(&trace_id[8..]);
    let draw = u64::from_be_bytes(low) >> 1;
    // `ratio` is in [0, 1] (checked when read), so the bound is in [0, 2^63].
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let bound = (ratio * (1u64 << 63) as f64) as u64;
    draw < bound
}

/// The sampler the environment asks for; `parentbased_always_on` when it asks for none, so a
/// service continues its callers' sampling decisions.
pub(crate) fn from_env() -> Result<Sampler, Error> {
    let name = env::var("OTEL_TRACES_SAMPLER");
    let arg = env::var("OTEL_TRACES_SAMPLER_ARG");
    parse(name.as_deref(), arg.as_deref())
}

pub(crate) fn parse(name: Option<&str>, arg: Option<&str>) -> Result<Sampler, Error> {
    let ratio = || -> Result<f64, Error> {
        let Some(arg) = arg else { return Ok(1.0) };
        match arg.trim().parse::<f64>() {
            Ok(ratio) if (0.0..=1.0).contains(&ratio) => Ok(ratio),
            _ => Err(Error::invalid(
                "OTEL_TRACES_SAMPLER_ARG",
                arg,
                "a ratio between 0 and 1, such as 0.25",
            )),
        }
    };
    let name = name.map(|n| n.trim().to_ascii_lowercase());
    Ok(match name.as_deref().unwrap_or("parentbased_always_on") {
        "always_on" => Sampler::AlwaysOn,
        "always_off" => Sampler::AlwaysOff,
        "traceidratio" => Sampler::TraceIdRatio(ratio()?),
        "parentbased_always_on" => Sampler::ParentBased(Root::AlwaysOn),
        "parentbased_always_off" => Sampler::ParentBased(Root::AlwaysOff),
        "parentbased_traceidratio" => Sampler::ParentBased(Root::TraceIdRatio(ratio()?)),
        other => {
            return Err(Error::invalid(
                "OTEL_TRACES_SAMPLER",
                other,
                format!("one of {SAMPLERS}"),
            ));
        }
    })
}

#[cfg(feature = "otel-sdk")]
impl Sampler {
    /// The same sampler for the OpenTelemetry SDK's tracer provider.
    pub(crate) fn to_sdk(self) -> opentelemetry_sdk::trace::Sampler {
        use opentelemetry_sdk::trace::Sampler as Sdk;
        let root = |root| match root {
            Root::AlwaysOn => Sdk::AlwaysOn,
            Root::AlwaysOff => Sdk::AlwaysOff,
            Root::TraceIdRatio(ratio) => Sdk::TraceIdRatioBased(ratio),
        };
        match self {
            Self::AlwaysOn => Sdk::AlwaysOn,
            Self::AlwaysOff => Sdk::AlwaysOff,
            Self::TraceIdRatio(ratio) => Sdk::TraceIdRatioBased(ratio),
            Self::ParentBased(r) => Sdk::ParentBased(Box::new(root(r))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_values() {
        assert_eq!(
            parse(None, None).unwrap(),
            Sampler::ParentBased(Root::AlwaysOn)
        );
        assert_eq!(
            parse(Some("TraceIdRatio"), Some("0.5")).unwrap(),
            Sampler::TraceIdRatio(0.5)
        );
        assert_eq!(parse(Some("always_off"), None).unwrap(), Sampler::AlwaysOff);
    }

    #[test]
    fn bad_values_name_the_variable() {
        let err = parse(Some("jaeger_remote"), None).unwrap_err().to_string();
        assert!(
            err.starts_with("invalid OTEL_TRACES_SAMPLER=\"jaeger_remote\""),
            "{err}"
        );
        let err = parse(Some("traceidratio"), Some("2"))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("invalid OTEL_TRACES_SAMPLER_ARG=\"2\""),
            "{err}"
        );
    }

    #[test]
    fn decisions() {
        let low = [0u8; 16];
        let mut high = [0xffu8; 16];
        high[0] = 1;
        let half = Sampler::ParentBased(Root::TraceIdRatio(0.5));
        assert!(half.sampled(None, &low));
        assert!(!half.sampled(None, &high));
        assert!(half.sampled(Some(true), &high), "the parent decides");
        assert!(!half.sampled(Some(false), &low));
        assert!(!Sampler::AlwaysOff.sampled(Some(true), &low));
        assert!(Sampler::TraceIdRatio(1.0).sampled(None, &high));
        assert!(!Sampler::TraceIdRatio(0.0).sampled(None, &low));
    }
}
