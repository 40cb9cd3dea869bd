//! The catalog a service exports for ops tooling: its name and version, whether it serves HTTP
//! through the server layer, and every `#[observed]` event it contains with the catalog's
//! description, objectives and the extra families it feeds. The runtime writes it
//! ([`ServiceCatalog::to_json`]); `octo-ops` reads it (feature `serde`) and generates alert rules,
//! dashboards and configs that name exactly the series the service exports.
//!
//! ```
//! use octo_instrument_core::catalog::Objectives;
//! use octo_instrument_core::export::{EventExport, ServiceCatalog};
//!
//! let catalog = ServiceCatalog {
//!     service: "octollm-arm-coder".into(),
//!     version: Some("1.0.0".into()),
//!     http: true,
//!     events: vec![EventExport {
//!         name: "llm.request".into(),
//!         description: Some("One LLM call".into()),
//!         objectives: Objectives { latency_p95_ms: Some(10_000), error_ratio: Some(0.0015) },
//!         families: vec![],
//!     }],
//! };
//! let json = catalog.to_json();
//! assert!(json.contains(r#""slo_error_ratio":0.0015"#));
//! ```

use crate::catalog::Objectives;
use crate::json;

/// One service's exported catalog.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ServiceCatalog {
    /// The `service` label of its series and the scrape job's name.
    pub service: String,
    /// Its version, when it was known at export.
    #[cfg_attr(feature = "serde", serde(default))]
    pub version: Option<String>,
    /// Whether it serves HTTP through the server layer (the `http_*` families).
    #[cfg_attr(feature = "serde", serde(default))]
    pub http: bool,
    /// Every `#[observed]` event in the binary.
    pub events: Vec<EventExport>,
}

/// One event of an exported catalog.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct EventExport {
    /// The event name (the `event` label).
    pub name: String,
    /// The catalog's description: dashboard titles and alert text.
    #[cfg_attr(feature = "serde", serde(default))]
    pub description: Option<String>,
    /// The catalog's objectives, as the `slo_*` keys of the file.
    #[cfg_attr(feature = "serde", serde(flatten))]
    pub objectives: Objectives,
    /// The extra families the event feeds.
    #[cfg_attr(feature = "serde", serde(default))]
    pub families: Vec<String>,
}

#[cfg(feature = "serde")]
mod objectives_serde {
    //! `Objectives` as the export writes them: `slo_latency_p95_ms` and `slo_error_ratio`, the
    //! catalog file's own keys.
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use crate::catalog::Objectives;

    #[derive(Serialize, Deserialize)]
    struct Keys {
        #[serde(default)]
        slo_latency_p95_ms: Option<u64>,
        #[serde(default)]
        slo_error_ratio: Option<f64>,
    }

    impl Serialize for Objectives {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            Keys {
                slo_latency_p95_ms: self.latency_p95_ms,
                slo_error_ratio: self.error_ratio,
            }
            .serialize(serializer)
        }
    }

    impl<'de> Deserialize<'de> for Objectives {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            let keys = Keys::deserialize(deserializer)?;
            Ok(Self {
                latency_p95_ms: keys.slo_latency_p95_ms,
                error_ratio: keys.slo_error_ratio,
            })
        }
    }
}

impl ServiceCatalog {
    /// The catalog as one JSON object, numbers at full precision.
    pub fn to_json(&self) -> String {
        let mut out = String::from("{\"service\":");
        json::write_str(&mut out, &self.service);
        out.push_str(",\"version\":");
        write_optional_str(&mut out, self.version.as_deref());
        out.push_str(",\"http\":");
        out.push_str(if self.http { "true" } else { "false" });
        out.push_str(",\"events\":[");
        for (i, event) in self.events.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            event.write_json(&mut out);
        }
        out.push_str("]}");
        out
    }
}

impl EventExport {
    fn write_json(&self, out: &mut String) {
        out.push_str("{\"name\":");
        json::write_str(out, &self.name);
        out.push_str(",\"description\":");
        write_optional_str(out, self.description.as_deref());
        out.push_str(",\"slo_latency_p95_ms\":");
        match self.objectives.latency_p95_ms {
            Some(ms) => json::write_u64(out, ms),
            None => out.push_str("null"),
        }
        out.push_str(",\"slo_error_ratio\":");
        match self.objectives.error_ratio {
            Some(ratio) => json::write_f64(out, ratio),
            None => out.push_str("null"),
        }
        out.push_str(",\"families\":[");
        for (j, family) in self.families.iter().enumerate() {
            if j > 0 {
                out.push(',');
            }
            json::write_str(out, family);
        }
        out.push_str("]}");
    }
}

fn write_optional_str(out: &mut String, value: Option<&str>) {
    match value {
        Some(value) => json::write_str(out, value),
        None => out.push_str("null"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog(ratio: f64) -> ServiceCatalog {
        ServiceCatalog {
            service: "svc".into(),
            version: None,
            http: false,
            events: vec![EventExport {
                name: "task.execute".into(),
                description: None,
                objectives: Objectives {
                    latency_p95_ms: None,
                    error_ratio: Some(ratio),
                },
                families: vec!["tasks_seconds".into()],
            }],
        }
    }

    /// Regression test for issue 10: the export used the three-decimal duration writer, so an
    /// objective of 0.0015 was exported as 0.002 and its alert fired at the wrong threshold.
    #[test]
    fn objectives_keep_their_precision() {
        for ratio in [0.0015, 0.0001, 0.99995, 0.01] {
            let json = catalog(ratio).to_json();
            let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
            assert_eq!(parsed["events"][0]["slo_error_ratio"].as_f64(), Some(ratio));
        }
        assert_eq!(
            catalog(0.0015).to_json(),
            r#"{"service":"svc","version":null,"http":false,"events":[{"name":"task.execute","description":null,"slo_latency_p95_ms":null,"slo_error_ratio":0.0015,"families":["tasks_seconds"]}]}"#
        );
    }

    #[cfg(feature = "serde")]
    #[test]
    fn what_is_written_reads_back() {
        let written = catalog(0.0015);
        let read: ServiceCatalog = serde_json::from_str(&written.to_json()).unwrap();
        assert_eq!(read, written);
    }
}
