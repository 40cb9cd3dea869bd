//! Running the example services as processes, for the tests of this crate.
// Each test binary uses a part of these helpers.
#![allow(dead_code)]

pub(crate) mod prometheus;

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

    /// Waits (up to 30 s) for a line `found` accepts, passing over the lines before it.
    pub(crate) fn wait_for(&self, found: impl Fn(&Value) -> bool) -> Option<Value> {
        self.next_until(found)
    }

    /// The service's process.
    pub(crate) fn child(&self) -> &Child {
        &self.child
    }

    /// Waits for the process to exit; panics if it has not within `timeout`.
    pub(crate) fn wait_exit(&mut self, timeout: Duration) -> std::process::ExitStatus {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the service did not exit within {timeout:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
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
        terminate(&self.child);
        let status = self.child.wait().unwrap();
        assert!(status.success(), "a clean shutdown: {status}");
        self.lines.try_iter().collect()
    }

    /// The service's process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Every line not read yet; once the process has exited, every line up to its last.
    pub(crate) fn lines_so_far(&mut self) -> Vec<Value> {
        if matches!(self.child.try_wait(), Ok(Some(_))) {
            // The reader ends at the end of the output: wait for it.
            return self.lines.iter().collect();
        }
        self.lines.try_iter().collect()
    }
}

impl Drop for Service {
    /// A test that fails half-way leaves no service running.
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A free port on 127.0.0.1.
pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits (up to 30 s) until something accepts connections at `addr`.
pub(crate) fn wait_listening(addr: &str) {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(addr).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "nothing listens at {addr}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Sends SIGTERM, as a container runtime does to stop a service.
pub(crate) fn terminate(child: &Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
}

/// A service whose standard output nobody reads: once the pipe is full, its log writer blocks.
pub(crate) struct Stalled {
    pub(crate) child: Child,
    pub(crate) addr: String,
    /// Held open, never read.
    _stdout: std::process::ChildStdout,
}

impl Stalled {
    /// Starts `binary` on a free port with `env`, and waits until it accepts connections.
    pub(crate) fn start(binary: &str, env: &[(&str, &str)]) -> Self {
        let port = free_port();
        let mut child = Command::new(binary)
            .env("PORT", port.to_string())
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the service starts");
        let stdout = child.stdout.take().unwrap();
        let addr = format!("127.0.0.1:{port}");
        wait_listening(&addr);
        Self {
            child,
            addr,
            _stdout: stdout,
        }
    }
}

impl Drop for Stalled {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Resident memory of a process in KiB, from `/proc/<pid>/status`.
pub(crate) fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("Linux /proc");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("a VmRSS line")
}
