//! Debian's Prometheus as a child process, and its HTTP API, for the tests that check the
//! generated artifacts (and the exemplars) against the real thing.

use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use serde_json::Value;

pub(crate) struct Prometheus {
    child: Child,
    pub(crate) base: String,
}

impl Prometheus {
    /// Starts `prometheus` with `config_dir/prometheus.yml`, its storage under `work`, on a free
    /// port of 127.0.0.1, with `extra` arguments (`--enable-feature=...`).
    pub(crate) fn start(config_dir: &Path, work: &Path, extra: &[&str]) -> Self {
        let port = super::free_port();
        Self {
            child: Command::new("prometheus")
                .arg(format!(
                    "--config.file={}",
                    config_dir.join("prometheus.yml").display()
                ))
                .arg(format!(
                    "--storage.tsdb.path={}",
                    work.join("tsdb").display()
                ))
                .arg(format!("--web.listen-address=127.0.0.1:{port}"))
                .args(extra)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .expect("prometheus starts"),
            base: format!("http://127.0.0.1:{port}"),
        }
    }

    /// A client of its HTTP API, ready once the server answers.
    pub(crate) fn api(&self) -> Api {
        let api = Api {
            base: self.base.clone(),
            client: reqwest::Client::new(),
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap(),
        };
        wait_until("prometheus to be ready", Duration::from_secs(20), || {
            api.get("/api/v1/status/buildinfo").is_ok()
        });
        api
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Percent-encodes a query parameter.
pub(crate) fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub(crate) struct Api {
    base: String,
    client: reqwest::Client,
    runtime: tokio::runtime::Runtime,
}

impl Api {
    pub(crate) fn get(&self, path: &str) -> Result<Value, String> {
        self.runtime.block_on(async {
            let response = self
                .client
                .get(format!("{}{path}", self.base))
                .send()
                .await
                .map_err(|e| e.to_string())?;
            let text = response.text().await.map_err(|e| e.to_string())?;
            serde_json::from_str(&text).map_err(|e| format!("{e}: {text}"))
        })
    }

    /// `/api/v1/query`: the result vector, or the server's error for an expression that does
    /// not parse.
    pub(crate) fn query(&self, expr: &str) -> Vec<Value> {
        let answer = self
            .get(&format!("/api/v1/query?query={}", encode(expr)))
            .unwrap_or_else(|err| panic!("{expr}: {err}"));
        assert_eq!(answer["status"], "success", "{expr}: {answer}");
        answer["data"]["result"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// The single value of a scalar-like query (0 when it has no result).
    pub(crate) fn value(&self, expr: &str) -> f64 {
        let result = self.query(expr);
        assert!(result.len() <= 1, "{expr}: {result:?}");
        result
            .first()
            .map_or(0.0, |r| r["value"][1].as_str().unwrap().parse().unwrap())
    }
}

pub(crate) fn wait_until(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// The catalog an example service binary exports (`--print-catalog`).
fn catalog(binary: &str) -> octo_ops::ServiceCatalog {
    let output = Command::new(binary)
        .arg("--print-catalog")
        .output()
        .unwrap();
    assert!(output.status.success());
    serde_json::from_slice(&output.stdout).expect("an exported catalog")
}

/// What the generated ops files are made from for both example services running at
/// `orchestrator` and `arm`: the catalogs their binaries export, and options whose scrape
/// targets are those addresses, scraped every second.
pub(crate) fn both_services(
    orchestrator: &str,
    arm: &str,
) -> ([octo_ops::ServiceCatalog; 2], octo_ops::Options) {
    let catalogs = [
        catalog(env!("CARGO_BIN_EXE_octollm-orchestrator")),
        catalog(env!("CARGO_BIN_EXE_octollm-arm-coder")),
    ];
    let mut options = octo_ops::Options::new()
        .target("octollm-orchestrator", orchestrator)
        .target("octollm-arm-coder", arm);
    options.scrape_interval = "1s".into();
    (catalogs, options)
}
