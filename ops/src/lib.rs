//! Ops artifacts generated from what services contain. Each service exports its catalog
//! (`octo_instrument::ops::catalog_json`, `--print-catalog` in the example services); from one
//! or more catalogs this crate writes:
//!
//! - `alerts.yml`: the standard's `HighErrorRate`, `SlowRequests` (services with the HTTP layer),
//!   `ServiceDown`, `TelemetryDropped`; per event, each objective of its catalog as a fast- and a
//!   slow-burn alert on recorded shares of bad calls ([`slo`]), and where it has none, an error-ratio or
//!   a P95 rule at the default thresholds;
//! - `dashboard.json`: Grafana, with a `service` variable, the standard's Request Rate, Request
//!   Duration P95, Error Rate and Tasks In Progress panels, and a row per event;
//! - `prometheus.yml`: one scrape job per service, named as the alert rules expect;
//! - `promtail.yml`: the services' JSON log files, shipped to Loki;
//! - `grafana/provisioning/{datasources,dashboards}/octo.yml`: Prometheus, Loki and Tempo linked
//!   by `trace_id` and `request_id`, and the provider that loads `dashboard.json` ([`grafana`]).
//!
//! ```
//! let catalog: octo_ops::ServiceCatalog = serde_json::from_str(
//!     r#"{"service":"octollm-arm-coder","version":"1.0.0","http":true,"events":[
//!         {"name":"llm.request","description":"One LLM call","slo_latency_p95_ms":10000,
//!          "slo_error_ratio":0.05,"families":[]}]}"#,
//! ).unwrap();
//! let options = octo_ops::Options::new().target("octollm-arm-coder", "127.0.0.1:8081");
//! let artifacts = octo_ops::generate(&[catalog], &options).unwrap();
//! assert!(artifacts.alerts.contains("alert: \"LlmRequestErrorBudgetFastBurn\""));
//! assert!(artifacts.prometheus.contains("job_name: \"octollm-arm-coder\""));
//! ```

mod configs;
pub mod dashboard;
pub mod grafana;
mod rule;
pub mod rules;
pub mod slo;

use std::collections::BTreeMap;
use std::path::Path;

pub use grafana::GrafanaOptions;

/// One service's exported catalog, in the schema the runtime writes (one definition, in the
/// vocabulary crate).
pub use octo_instrument_core::export::ServiceCatalog;

/// One event of a catalog.
pub use octo_instrument_core::export::EventExport as Event;

/// Where the services run and the thresholds used where a catalog has none.
#[derive(Clone, Debug)]
pub struct Options {
    /// `host:port` of each service's `/metrics`, by service name.
    pub targets: BTreeMap<String, Vec<String>>,
    /// Prometheus' scrape and evaluation interval.
    pub scrape_interval: String,
    /// The directory the services write their `LOG_DIR` files to.
    pub log_dir: String,
    /// Loki's push URL, for promtail.
    pub loki_url: String,
    /// An event's error-ratio threshold where its catalog has no objective.
    pub default_error_ratio: f64,
    /// An event's P95 threshold where its catalog has no objective.
    pub default_p95_seconds: f64,
    /// Grafana's datasources and dashboard directory.
    pub grafana: GrafanaOptions,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            targets: BTreeMap::new(),
            scrape_interval: "15s".into(),
            log_dir: "/var/log/octollm".into(),
            loki_url: "http://loki:3100/loki/api/v1/push".into(),
            default_error_ratio: 0.05,
            default_p95_seconds: 5.0,
            grafana: GrafanaOptions::default(),
        }
    }
}

impl Options {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a scrape target of `service`.
    #[must_use]
    pub fn target(mut self, service: &str, address: &str) -> Self {
        self.targets
            .entry(service.to_owned())
            .or_default()
            .push(address.to_owned());
        self
    }
}

/// The generated files' contents.
#[derive(Clone, Debug)]
pub struct Artifacts {
    /// `alerts.yml`.
    pub alerts: String,
    /// `dashboard.json`.
    pub dashboard: String,
    /// `prometheus.yml`, loading `alerts.yml` from its own directory.
    pub prometheus: String,
    /// `promtail.yml`.
    pub promtail: String,
    /// [`grafana::DATASOURCES_FILE`].
    pub grafana_datasources: String,
    /// [`grafana::DASHBOARDS_FILE`].
    pub grafana_dashboards: String,
}

impl Artifacts {
    /// Every file, by its path under the output directory.
    pub fn files(&self) -> [(&'static str, &str); 6] {
        [
            ("alerts.yml", &self.alerts),
            ("dashboard.json", &self.dashboard),
            ("prometheus.yml", &self.prometheus),
            ("promtail.yml", &self.promtail),
            (grafana::DATASOURCES_FILE, &self.grafana_datasources),
            (grafana::DASHBOARDS_FILE, &self.grafana_dashboards),
        ]
    }

    /// Writes every file into `dir` (created if missing, with the `grafana/` directories).
    pub fn write_to(&self, dir: &Path) -> std::io::Result<()> {
        for (name, text) in self.files() {
            let path = dir.join(name);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(path, text)?;
        }
        Ok(())
    }
}

/// Generates every artifact for `services`. An error names what is missing (a service without
/// a scrape target, two catalogs of one service).
pub fn generate(services: &[ServiceCatalog], options: &Options) -> Result<Artifacts, String> {
    if services.is_empty() {
        return Err("no catalog given: export one with `--print-catalog`".into());
    }
    for (i, service) in services.iter().enumerate() {
        if services[..i].iter().any(|s| s.service == service.service) {
            return Err(format!("two catalogs for service {:?}", service.service));
        }
        if !options.targets.contains_key(&service.service) {
            return Err(format!(
                "no scrape target for {:?}: add `--target {}=HOST:PORT`",
                service.service, service.service
            ));
        }
    }
    Ok(Artifacts {
        alerts: rules::alerts(services, options),
        dashboard: dashboard::dashboard(services),
        prometheus: configs::prometheus(services, options),
        promtail: configs::promtail(services, options),
        grafana_datasources: grafana::datasources(&options.grafana),
        grafana_dashboards: grafana::dashboards(&options.grafana),
    })
}

/// A YAML scalar: JSON's string syntax is valid YAML and escapes everything that needs it.
pub(crate) fn quoted(text: &str) -> String {
    serde_json::to_string(text).expect("strings serialise")
}

/// `task.execute` → `TaskExecute`: an alert name part.
pub(crate) fn camel(event: &str) -> String {
    event
        .split(['.', '_'])
        .filter(|s| !s.is_empty())
        .map(|s| {
            let mut chars = s.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect()
}

/// Every distinct event of `services`, with the services that contain it.
pub(crate) fn events(services: &[ServiceCatalog]) -> Vec<(&Event, Vec<&str>)> {
    let mut out: Vec<(&Event, Vec<&str>)> = Vec::new();
    for service in services {
        for event in &service.events {
            match out.iter_mut().find(|(e, _)| e.name == event.name) {
                Some((_, names)) => names.push(&service.service),
                None => out.push((event, vec![&service.service])),
            }
        }
    }
    out.sort_by(|a, b| a.0.name.cmp(&b.0.name));
    out
}
