//! `dashboard.json`: Grafana, one `service` variable, the standard's panels, a row per event.

use serde_json::{Value, json};

use crate::{ServiceCatalog, events};

const SERVICE: &str = r#"service=~"$service""#;

/// The dashboard's panels as (title, queries): what a test evaluates.
pub fn queries(services: &[ServiceCatalog]) -> Vec<(String, Vec<String>)> {
    let mut panels = vec![
        (
            "Request Rate".to_owned(),
            vec![format!(
                "sum by (service, endpoint) (rate(http_requests_total{{{SERVICE}}}[5m]))"
            )],
        ),
        (
            "Request Duration P95".to_owned(),
            vec![format!(
                "histogram_quantile(0.95, sum by (service, le) (rate(http_request_duration_seconds_bucket{{{SERVICE}}}[5m])))"
            )],
        ),
        (
            "Error Rate".to_owned(),
            vec![format!(
                "sum by (service, component) (rate(errors_total{{{SERVICE}}}[5m]))"
            )],
        ),
        (
            "Tasks In Progress".to_owned(),
            vec![format!(
                "sum by (service, event) (events_in_progress{{{SERVICE}}})"
            )],
        ),
    ];
    if !services.iter().any(|s| s.http) {
        panels.drain(..2);
    }
    for (event, _) in events(services) {
        let e = &event.name;
        let selector = format!(r#"{SERVICE},event="{e}""#);
        panels.push((
            format!("{e}: calls by outcome"),
            vec![format!(
                "sum by (outcome) (rate(event_duration_seconds_count{{{selector}}}[5m]))"
            )],
        ));
        panels.push((
            format!("{e}: P50 / P95 / P99"),
            [0.5, 0.95, 0.99]
                .iter()
                .map(|q| {
                    format!(
                        "histogram_quantile({q}, sum by (le) (rate(event_duration_seconds_bucket{{{selector}}}[5m])))"
                    )
                })
                .collect(),
        ));
        panels.push((
            format!("{e}: in progress"),
            vec![format!("sum(events_in_progress{{{selector}}})")],
        ));
    }
    panels
}

fn panel(id: usize, title: &str, exprs: &[String], x: u64, y: u64, w: u64) -> Value {
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
                "datasource": {"type": "prometheus", "uid": "${datasource}"}
            })
        })
        .collect();
    json!({
        "id": id,
        "type": "timeseries",
        "title": title,
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "gridPos": {"x": x, "y": y, "w": w, "h": 8},
        "targets": targets
    })
}

pub(crate) fn dashboard(services: &[ServiceCatalog]) -> String {
    let mut panels = Vec::new();
    let mut y = 0;
    let all = queries(services);
    let standard = if services.iter().any(|s| s.http) {
        4
    } else {
        2
    };
    for (i, (title, exprs)) in all.iter().take(standard).enumerate() {
        let (x, row) = (if i % 2 == 0 { 0 } else { 12 }, i / 2);
        panels.push(panel(
            panels.len() + 1,
            title,
            exprs,
            x,
            y + 8 * row as u64,
            12,
        ));
    }
    y += 8 * standard.div_ceil(2) as u64;
    let descriptions = events(services);
    for (chunk, (event, services)) in all[standard..].chunks(3).zip(&descriptions) {
        let title = match &event.description {
            Some(description) => format!("{}: {description} ({})", event.name, services.join(", ")),
            None => format!("{} ({})", event.name, services.join(", ")),
        };
        panels.push(json!({
            "id": panels.len() + 1,
            "type": "row",
            "title": title,
            "collapsed": false,
            "gridPos": {"x": 0, "y": y, "w": 24, "h": 1},
            "panels": []
        }));
        y += 1;
        for (i, (title, exprs)) in chunk.iter().enumerate() {
            panels.push(panel(panels.len() + 1, title, exprs, 8 * i as u64, y, 8));
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
                "label": "Prometheus"
            },
            {
                "name": "service",
                "type": "query",
                "label": "Service",
                "datasource": {"type": "prometheus", "uid": "${datasource}"},
                "query": {"query": "label_values(octo_build_info, service)", "refId": "service"},
                "definition": "label_values(octo_build_info, service)",
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
