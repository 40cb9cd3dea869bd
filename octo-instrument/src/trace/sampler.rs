//! `OTEL_TRACES_SAMPLER` and `OTEL_TRACES_SAMPLER_ARG`, read as the OpenTelemetry specification
//! defines them, with errors that name the variable.

use opentelemetry_sdk::trace::Sampler;

use crate::env;
use crate::error::Error;

const SAMPLERS: &str = "always_on, always_off, traceidratio, parentbased_always_on, \
                        parentbased_always_off, parentbased_traceidratio";

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
        "traceidratio" => Sampler::TraceIdRatioBased(ratio()?),
        "parentbased_always_on" => Sampler::ParentBased(Box::new(Sampler::AlwaysOn)),
        "parentbased_always_off" => Sampler::ParentBased(Box::new(Sampler::AlwaysOff)),
        "parentbased_traceidratio" => {
            Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(ratio()?)))
        }
        other => {
            return Err(Error::invalid(
                "OTEL_TRACES_SAMPLER",
                other,
                format!("one of {SAMPLERS}"),
            ));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_values() {
        assert!(matches!(parse(None, None), Ok(Sampler::ParentBased(_))));
        assert!(matches!(
            parse(Some("TraceIdRatio"), Some("0.5")),
            Ok(Sampler::TraceIdRatioBased(r)) if (r - 0.5).abs() < f64::EPSILON
        ));
        assert!(matches!(
            parse(Some("always_off"), None),
            Ok(Sampler::AlwaysOff)
        ));
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
}
