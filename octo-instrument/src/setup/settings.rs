//! The environment applied over the builder's values, and checked: every bad value is an error
//! naming its variable and what it accepts.

use std::path::PathBuf;

use crate::trace::sampler::Sampler;

use super::config::Config;
use crate::env;
use crate::error::Error;
use crate::identity::{self, Identity};
use crate::limits::Limits;
use crate::otlp::{self, LogsExporter, OtlpSettings, Signal};
use crate::trace::{self, SpanPipeline};

/// Every setting, after the environment was applied and checked.
#[derive(Debug)]
pub(super) struct Settings {
    pub(super) identity: Identity,
    pub(super) directives: String,
    pub(super) json: bool,
    pub(super) log_dir: Option<PathBuf>,
    pub(super) sampler: Sampler,
    pub(super) otlp: Option<OtlpSettings>,
    /// Where log records go over OTLP (`OTEL_LOGS_EXPORTER=otlp`), if they do.
    #[cfg_attr(not(feature = "otlp"), allow(dead_code))]
    pub(super) otlp_logs: Option<OtlpSettings>,
    /// `OTEL_SDK_DISABLED=true`: no trace layer at all (no ids, no export, no per-span cost).
    pub(super) traces_disabled: bool,
    pub(super) limits: Limits,
    pub(super) span_pipeline: SpanPipeline,
    /// The baggage keys copied onto log lines.
    pub(super) baggage_log_keys: Vec<String>,
}

impl Config {
    /// Applies the environment over the builder values and checks everything.
    pub(super) fn settings(&self) -> Result<Settings, Error> {
        let pick =
            |variable: &'static str, builder: Option<&String>| -> Option<(&'static str, String)> {
                env::var(variable)
                    .map(|v| (variable, v))
                    .or_else(|| builder.map(|v| (variable, v.clone())))
            };
        let service = match pick("SERVICE_NAME", self.service.as_ref()) {
            Some((var, value)) => env::parse_name(var, &value)?,
            None => identity::binary_name(),
        };
        let environment = match pick("ENVIRONMENT", self.environment.as_ref()) {
            Some((var, value)) => env::parse_name(var, &value)?,
            None => "development".to_owned(),
        };
        let version = match pick("APP_VERSION", self.version.as_ref()) {
            Some((var, value)) => env::parse_name(var, &value)?,
            None => "unknown".to_owned(),
        };
        let directives = match pick("LOG_LEVEL", self.log_level.as_ref()) {
            Some((var, value)) => env::parse_level(var, &value)?,
            None => "info".to_owned(),
        };
        let json = match env::var("JSON_LOGS") {
            Some(value) => env::parse_bool("JSON_LOGS", &value)?,
            None => self.json.unwrap_or(true),
        };
        let log_dir = env::var("LOG_DIR")
            .map(PathBuf::from)
            .or_else(|| self.log_dir.clone());
        let sampler = trace::sampler::from_env()?;
        let traces_disabled = env::var("OTEL_SDK_DISABLED")
            .map(|value| env::parse_bool("OTEL_SDK_DISABLED", &value))
            .transpose()?
            .unwrap_or(false);
        let otlp = otlp::settings::settings(
            Signal::Traces,
            self.otlp_endpoint.as_deref(),
            self.otlp_protocol,
            !traces_disabled,
        )?;
        // `OTEL_SDK_DISABLED` turns off every signal the SDK would export, logs included.
        let logs_exporter = LogsExporter::from_env(self.otlp_logs)?;
        let otlp_logs = otlp::settings::settings(
            Signal::Logs,
            self.otlp_endpoint.as_deref(),
            self.otlp_protocol,
            logs_exporter == LogsExporter::Otlp && !traces_disabled,
        )?;
        let limits = self.limits()?;
        let baggage_log_keys = match env::var("OCTO_BAGGAGE_LOG_KEYS") {
            Some(value) => parse_baggage_keys(&value)?,
            None => self.baggage_log_keys.clone().unwrap_or_default(),
        };
        let span_pipeline = match env::var("OCTO_SPAN_PIPELINE") {
            Some(value) => parse_pipeline(&value)?,
            None => self.span_pipeline.unwrap_or_default(),
        };
        Ok(Settings {
            identity: Identity {
                service,
                environment,
                version,
            },
            directives,
            json,
            log_dir,
            sampler,
            otlp,
            otlp_logs,
            traces_disabled,
            limits,
            span_pipeline,
            baggage_log_keys,
        })
    }

    /// The limits: the OpenTelemetry variables, then ours, then the builder, then the defaults.
    fn limits(&self) -> Result<Limits, Error> {
        let defaults = Limits::default();
        let size = |variable: &'static str| {
            env::var(variable)
                .map(|value| env::parse_size(variable, &value))
                .transpose()
        };
        let value_length = size("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT")?
            .or(self.value_length)
            .unwrap_or(defaults.log_value_length);
        let span_value_length =
            size("OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT")?.unwrap_or(value_length);
        let count = |variable: &'static str| {
            env::var(variable)
                .map(|value| env::parse_count(variable, &value))
                .transpose()
        };
        // Both are checked even when the span-specific one wins: a bad value is an error
        // wherever it is.
        let general_count = count("OTEL_ATTRIBUTE_COUNT_LIMIT")?;
        let span_attribute_count = count("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT")?
            .or(general_count)
            .or(self.span_attribute_count)
            .unwrap_or(defaults.span_attribute_count);
        Ok(Limits {
            log_value_length: value_length,
            span_value_length,
            span_attribute_count,
            log_queue_bytes: size("OCTO_LOG_QUEUE_BYTES")?
                .or(self.log_queue_bytes)
                .unwrap_or(defaults.log_queue_bytes),
            span_queue_bytes: size("OCTO_SPAN_QUEUE_BYTES")?
                .or(self.span_queue_bytes)
                .unwrap_or(defaults.span_queue_bytes),
            span_queue_spans: size("OTEL_BSP_MAX_QUEUE_SIZE")?
                .or(self.span_queue_spans)
                .unwrap_or(defaults.span_queue_spans),
            log_export_queue_records: size("OTEL_BLRP_MAX_QUEUE_SIZE")?
                .unwrap_or(defaults.log_export_queue_records),
        })
    }
}

/// `OCTO_BAGGAGE_LOG_KEYS`: comma-separated baggage keys (HTTP tokens).
fn parse_baggage_keys(value: &str) -> Result<Vec<String>, Error> {
    let keys: Vec<String> = value
        .split(',')
        .map(str::trim)
        .filter(|key| !key.is_empty())
        .map(str::to_owned)
        .collect();
    if keys.iter().all(|key| crate::baggage::valid_key(key)) {
        Ok(keys)
    } else {
        Err(Error::invalid(
            "OCTO_BAGGAGE_LOG_KEYS",
            value,
            "comma-separated baggage keys, such as tenant,user_tier",
        ))
    }
}

/// `OCTO_SPAN_PIPELINE`: `native`, or `opentelemetry-sdk` where the build has it.
fn parse_pipeline(value: &str) -> Result<SpanPipeline, Error> {
    match value.trim().to_ascii_lowercase().as_str() {
        "native" => Ok(SpanPipeline::Native),
        #[cfg(feature = "otel-sdk")]
        "opentelemetry-sdk" => Ok(SpanPipeline::OpenTelemetrySdk),
        #[cfg(not(feature = "otel-sdk"))]
        "opentelemetry-sdk" => Err(Error::invalid(
            "OCTO_SPAN_PIPELINE",
            value,
            "native (this build has no `otel-sdk` feature for opentelemetry-sdk)",
        )),
        _ => Err(Error::invalid(
            "OCTO_SPAN_PIPELINE",
            value,
            "native or opentelemetry-sdk",
        )),
    }
}
