//! Running the example services as processes, for the tests of this crate.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;

/// An example service running as its own process, its JSON lines read as they come.
pub(crate) struct Service {
    child: Child,
    /// The address it listens on, from its `service.listening` line.
    pub(crate) addr: String,
    lines: mpsc::Receiver<Value>,
}

impl Service {
    /// Starts `binary` on a free port with `env`, and waits until it listens.
    pub(crate) fn start(binary: &str, env: &[(&str, &str)]) -> Self {
        let mut child = Command::new(binary)
            .env("PORT", "0")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the service starts");
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let value: Value = serde_json::from_str(&line)
                    .unwrap_or_else(|err| panic!("not a JSON line ({err}): {line}"));
                let _ = tx.send(value);
            }
        });
        let mut service = Self {
            child,
            addr: String::new(),
            lines,
        };
        let listening = service
            .next_until(|l| l["event"] == "service.listening")
            .expect("a service.listening line");
        listening["addr"]
            .as_str()
            .unwrap()
            .clone_into(&mut service.addr);
        service
    }

    fn next_until(&self, found: impl Fn(&Value) -> bool) -> Option<Value> {
        loop {
            let line = self.lines.recv_timeout(Duration::from_secs(30)).ok()?;
            if found(&line) {
                return Some(line);
            }
        }
    }

    /// SIGTERM, then every line the service wrote.
    pub(crate) fn stop(mut self) -> Vec<Value> {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let status = self.child.wait().unwrap();
        assert!(status.success(), "a clean shutdown: {status}");
        self.lines.try_iter().collect()
    }
}
