//! `dashboard.json`: Grafana, one `service` variable, the standard's panels, a row per event.
//! Queries go to the `datasource` variable, which defaults to the provisioned Prometheus; latency
//! panels ask for exemplars, which that datasource links to their traces.

use serde_json::{Value, json};

use octo_instrument_core::families::labels::{COMPONENT, ENDPOINT, EVENT, LE, OUTCOME, SERVICE};
use octo_instrument_core::families::series::{BUCKET, COUNT};
use octo_instrument_core::families::{
    BUILD_INFO, ERRORS, EVENT_DURATION, EVENTS_IN_PROGRESS, HTTP_REQUEST_DURATION, HTTP_REQUESTS,
};

use crate::grafana::PROMETHEUS_UID;
use crate::{ServiceCatalog, events};

/// The dashboard's variable that selects services (named after the label it takes values of).
const SERVICE_VARIABLE: &str = SERVICE;

/// `service=~"$service"`: the series of the selected services.
fn selected_services() -> String {
    format!(r#"{SERVICE}=~"${SERVICE_VARIABLE}""#)
}

/// A panel: its title, its queries, and whether they show exemplars (the latency panels: an
/// exemplar is one sampled call, and opens its trace).
struct Panel {
    title: String,
    exprs: Vec<String>,
    exemplars: bool,
}

impl Panel {
    fn new(title: &str, exprs: Vec<String>) -> Self {
        Self {
            title: title.to_owned(),
            exprs,
            exemplars: false,
        }
    }

    fn with_exemplars(self) -> Self {
        Self {
            exemplars: true,
            ..self
        }
    }
}

/// The standard's panels (the HTTP ones only where a service serves HTTP), then a row per event
/// with its title and its three panels.
struct Layout {
    standard: Vec<Panel>,
    rows: Vec<(String, Vec<Panel>)>,
}

fn layout(services: &[ServiceCatalog]) -> Layout {
    let one = |title: &str, expr: String| Panel::new(title, vec![expr]);
    let selected = selected_services();
    let mut standard = Vec::new();
    if services.iter().any(|s| s.http) {
        standard.push(one(
            "Request Rate",
            format!(
                "sum by ({SERVICE}, {ENDPOINT}) (rate({}{{{selected}}}[5m]))",
                HTTP_REQUESTS.name
            ),
        ));
        standard.push(
            one(
                "Request Duration P95",
                format!(
                    "histogram_quantile(0.95, sum by ({SERVICE}, {LE}) (rate({}{BUCKET}{{{selected}}}[5m])))",
                    HTTP_REQUEST_DURATION.name
                ),
            )
            .with_exemplars(),
        );
    }
    standard.push(one(
        "Error Rate",
        format!(
            "sum by ({SERVICE}, {COMPONENT}) (rate({}{{{selected}}}[5m]))",
            ERRORS.name
        ),
    ));
    standard.push(one(
        "Tasks In Progress",
        format!(
            "sum by ({SERVICE}, {EVENT}) ({}{{{selected}}})",
            EVENTS_IN_PROGRESS.name
        ),
    ));
    let rows = events(services)
        .into_iter()
        .map(|(event, services)| {
            let e = &event.name;
            let title = match &event.description {
                Some(description) => format!("{e}: {description} ({})", services.join(", ")),
                None => format!("{e} ({})", services.join(", ")),
            };
            let selector = format!(r#"{selected},{EVENT}="{e}""#);
            let quantiles = [0.5, 0.95, 0.99]
                .iter()
                .map(|q| {
                    format!(
                        "histogram_quantile({q}, sum by ({LE}) (rate({}{BUCKET}{{{selector}}}[5m])))",
                        EVENT_DURATION.name
                    )
                })
                .collect();
            let panels = vec![
                one(
                    &format!("{e}: calls by outcome"),
                    format!(
                        "sum by ({OUTCOME}) (rate({}{COUNT}{{{selector}}}[5m]))",
                        EVENT_DURATION.name
                    ),
                ),
                Panel::new(&format!("{e}: P50 / P95 / P99"), quantiles).with_exemplars(),
                one(
                    &format!("{e}: in progress"),
                    format!("sum({}{{{selector}}})", EVENTS_IN_PROGRESS.name),
                ),
            ];
            (title, panels)
        })
        .collect();
    Layout { standard, rows }
}

/// The dashboard's panels as (title, queries), in order: what a test evaluates.
pub fn queries(services: &[ServiceCatalog]) -> Vec<(String, Vec<String>)> {
    let layout = layout(services);
    layout
        .standard
        .into_iter()
        .chain(layout.rows.into_iter().flat_map(|(_, panels)| panels))
        .map(|panel| (panel.title, panel.exprs))
        .collect()
}

fn panel(id: usize, panel: &Panel, x: u64, y: u64, w: u64) -> Value {
    let exprs = &panel.exprs;
    let targets: Vec<Value> = exprs
        .iter()
        .enumerate()
        .map(|(i, expr)| {
            let legend = match (exprs.len(), i) {
                (3, 0) => "P50",
                (3, 1) => "P95",
                (3, 2) => "P99",
                _ => "",
            };
            json!({
                "refId": char::from(b'A' + u8::try_from(i).unwrap_or(0)).to_string(),
                "expr": expr,
                "legendFormat": legend,
                "exemplar": panel.exemplars,
                "datasource": {"type": "prometheus", "uid": "${datasource}"}
            })
        })
        .collect();
    json!({
        "id": id,
        "type": "timeseries",
        "title": panel.title,
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "gridPos": {"x": x, "y": y, "w": w, "h": 8},
        "targets": targets
    })
}

pub(crate) fn dashboard(services: &[ServiceCatalog]) -> String {
    let layout = layout(services);
    let service_values = format!("label_values({}, {SERVICE})", BUILD_INFO.name);
    let mut panels = Vec::new();
    // The standard panels two to a line, then each event's row of three.
    for (i, standard) in layout.standard.iter().enumerate() {
        let (x, y) = (12 * (i as u64 % 2), 8 * (i as u64 / 2));
        panels.push(panel(panels.len() + 1, standard, x, y, 12));
    }
    let mut y = 8 * layout.standard.len().div_ceil(2) as u64;
    for (title, row) in &layout.rows {
        panels.push(json!({
            "id": panels.len() + 1,
            "type": "row",
            "title": title,
            "collapsed": false,
            "gridPos": {"x": 0, "y": y, "w": 24, "h": 1},
            "panels": []
        }));
        y += 1;
        for (i, in_row) in row.iter().enumerate() {
            panels.push(panel(panels.len() + 1, in_row, 8 * i as u64, y, 8));
        }
        y += 8;
    }
    let dashboard = json!({
        "title": "OctoLLM services",
        "uid": "octollm-services",
        "tags": ["octollm", "generated"],
        "timezone": "utc",
        "schemaVersion": 39,
        "refresh": "30s",
        "time": {"from": "now-1h", "to": "now"},
        "templating": {"list": [
            {
                "name": "datasource",
                "type": "datasource",
                "query": "prometheus",
                "label": "Prometheus",
                "current": {"text": "Prometheus", "value": PROMETHEUS_UID}
            },
            {
                "name": SERVICE_VARIABLE,
                "type": "query",
                "label": "Service",
                "datasource": {"type": "prometheus", "uid": "${datasource}"},
                "query": {"query": service_values, "refId": "service"},
                "definition": service_values,
                "includeAll": true,
                "multi": true,
                "allValue": ".*",
                "refresh": 1
            }
        ]},
        "panels": panels
    });
    serde_json::to_string_pretty(&dashboard).expect("JSON serialises")
}
