//! The OTLP receiver of `tests/python/otlp_receiver.py` (grpcio, opentelemetry-proto and
//! Python's `ssl`: a collector nobody in this project wrote), run as a child process over gRPC
//! or HTTP, with TLS, mutual TLS or plaintext. Every export request it takes arrives as one JSON
//! line: its signal, headers, whether it was compressed, and its spans or log records.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::tls::Pki;

/// How the receiver listens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Security {
    /// TLS with the test CA's server certificate; client certificates required.
    MutualTls,
    /// TLS with the test CA's server certificate; no client certificate asked.
    Tls,
    Plaintext,
}

/// A running receiver; killed when dropped.
pub struct PythonReceiver {
    pub port: u16,
    requests: Arc<Mutex<Vec<Value>>>,
    child: Child,
    _stdin: ChildStdin,
}

impl PythonReceiver {
    /// Starts `otlp_receiver.py --protocol grpc|http` with `pki`'s server certificate.
    pub fn start(protocol: &str, security: Security, pki: &Pki) -> Self {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("python/otlp_receiver.py");
        let mut command = Command::new("python3");
        command
            .arg(script)
            .args(["--protocol", protocol])
            .arg("--cert")
            .arg(&pki.server_cert)
            .arg("--key")
            .arg(&pki.server_key);
        match security {
            Security::MutualTls => {
                command.arg("--client-ca").arg(&pki.ca);
            }
            Security::Tls => {}
            Security::Plaintext => {
                command.arg("--plaintext");
            }
        }
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 runs tests/python/otlp_receiver.py");
        let stdin = child.stdin.take().expect("its stdin");
        let mut stdout = BufReader::new(child.stdout.take().expect("its stdout"));
        let mut first = String::new();
        stdout.read_line(&mut first).expect("the receiver starts");
        let port = first
            .trim()
            .strip_prefix("PORT ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("the receiver did not say its port: {first:?}"));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let collected = requests.clone();
        std::thread::spawn(move || {
            for line in stdout.lines() {
                let Ok(line) = line else { break };
                if let Ok(value) = serde_json::from_str::<Value>(&line) {
                    collected.lock().unwrap().push(value);
                }
            }
        });
        Self {
            port,
            requests,
            child,
            _stdin: stdin,
        }
    }

    /// `https://127.0.0.1:PORT` (or `http://` for a plaintext receiver).
    pub fn endpoint(&self, scheme: &str) -> String {
        format!("{scheme}://127.0.0.1:{}", self.port)
    }

    /// Every export request received so far, as the receiver printed it.
    pub fn requests(&self) -> Vec<Value> {
        self.requests.lock().unwrap().clone()
    }

    /// The spans (`"traces"`) or log records (`"logs"`) received so far, flattened.
    pub fn items(&self, signal: &str) -> Vec<Value> {
        let key = if signal == "traces" {
            "spans"
        } else {
            "records"
        };
        self.requests()
            .iter()
            .filter(|request| request["signal"] == signal)
            .flat_map(|request| request[key].as_array().cloned().unwrap_or_default())
            .collect()
    }

    /// Waits until `done` holds for the received spans or records of `signal`, or `timeout`
    /// passes; returns them.
    pub fn wait_for(
        &self,
        signal: &str,
        timeout: Duration,
        done: impl Fn(&[Value]) -> bool,
    ) -> Vec<Value> {
        let deadline = Instant::now() + timeout;
        loop {
            let items = self.items(signal);
            if done(&items) || Instant::now() > deadline {
                return items;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for PythonReceiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
