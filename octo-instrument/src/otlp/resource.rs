//! The OTLP resource and instrumentation scope every exported span and log record shares,
//! encoded once per request.

use crate::encode::protobuf::{AnyValue, key_value, string};

const SCOPE_NAME: &str = "octo-instrument";
const SCOPE_VERSION: &str = env!("CARGO_PKG_VERSION");

/// What every span and log record of a service shares: its resource.
#[derive(Clone, Debug)]
pub(crate) struct Resource {
    /// `service.name`, `service.version`, `deployment.environment.name`, `telemetry.sdk.*`.
    pub(crate) attributes: Vec<(&'static str, String)>,
}

impl Resource {
    pub(crate) fn new(service: &str, version: &str, environment: &str) -> Self {
        Self {
            attributes: vec![
                ("service.name", service.to_owned()),
                ("service.version", version.to_owned()),
                ("deployment.environment.name", environment.to_owned()),
                ("telemetry.sdk.name", "octo-instrument".to_owned()),
                ("telemetry.sdk.language", "rust".to_owned()),
                (
                    "telemetry.sdk.version",
                    env!("CARGO_PKG_VERSION").to_owned(),
                ),
            ],
        }
    }

    /// The fields of an OTLP `Resource` message.
    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        for (key, value) in &self.attributes {
            // Resource.attributes = 1
            key_value(out, 1, key, AnyValue::Str(value));
        }
    }

    /// The fields of the `InstrumentationScope` message: this crate, which made the records.
    pub(crate) fn encode_scope(out: &mut Vec<u8>) {
        string(out, 1, SCOPE_NAME);
        string(out, 2, SCOPE_VERSION);
    }
}
