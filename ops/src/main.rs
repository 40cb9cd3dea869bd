//! `octo-ops --catalog orchestrator.json --catalog arm.json \
//!     --target octollm-orchestrator=localhost:8080 --target octollm-arm-coder=localhost:8081 \
//!     --out ops/ [--scrape-interval 15s] [--log-dir /var/log/octollm] [--loki URL] \
//!     [--grafana-prometheus URL] [--grafana-loki URL] [--grafana-tempo URL] [--grafana-dashboards DIR]`
//!
//! Reads the catalogs the services export (`--print-catalog`) and writes `alerts.yml`,
//! `dashboard.json`, `prometheus.yml`, `promtail.yml` and Grafana's provisioning files into
//! `--out`.

use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage: octo-ops --catalog FILE [--catalog FILE ..] --target SERVICE=HOST:PORT [..] \
                     --out DIR [--scrape-interval 15s] [--log-dir DIR] [--loki URL] \
                     [--grafana-prometheus URL] [--grafana-loki URL] [--grafana-tempo URL] \
                     [--grafana-dashboards DIR]";

fn main() -> ExitCode {
    match run(std::env::args().skip(1).collect()) {
        Ok((dir, files)) => {
            println!("wrote {} to {}", files.join(", "), dir.display());
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("octo-ops: {message}\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

/// The output directory and the files written into it.
fn run(args: Vec<String>) -> Result<(PathBuf, Vec<&'static str>), String> {
    let mut catalogs = Vec::new();
    let mut options = octo_ops::Options::new();
    let mut out = None;
    let mut args = args.into_iter();
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--catalog" => {
                let path = value()?;
                let text = std::fs::read_to_string(&path)
                    .map_err(|err| format!("--catalog {path}: {err}"))?;
                let catalog: octo_ops::ServiceCatalog = serde_json::from_str(&text)
                    .map_err(|err| format!("--catalog {path}: not an exported catalog: {err}"))?;
                catalogs.push(catalog);
            }
            "--target" => {
                let target = value()?;
                let Some((service, address)) = target.split_once('=') else {
                    return Err(format!("--target {target}: expected SERVICE=HOST:PORT"));
                };
                options = options.target(service, address);
            }
            "--out" => out = Some(PathBuf::from(value()?)),
            "--scrape-interval" => options.scrape_interval = value()?,
            "--log-dir" => options.log_dir = value()?,
            "--loki" => options.loki_url = value()?,
            "--grafana-prometheus" => options.grafana.prometheus_url = value()?,
            "--grafana-loki" => options.grafana.loki_url = value()?,
            "--grafana-tempo" => options.grafana.tempo_url = value()?,
            "--grafana-dashboards" => options.grafana.dashboards_dir = value()?,
            "-h" | "--help" => return Err("help".into()),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    let out = out.ok_or("--out DIR is required")?;
    let artifacts = octo_ops::generate(&catalogs, &options)?;
    artifacts
        .write_to(&out)
        .map_err(|err| format!("--out {}: {err}", out.display()))?;
    let files = artifacts.files().iter().map(|(name, _)| *name).collect();
    Ok((out, files))
}
