//! Support for the benchmark (`benches/overhead.rs`: `cargo bench -p octo-instrument-bench`) and
//! the profiling runs (`src/bin/profile.rs`): what they measure, CPU clocks, and the OTLP sink
//! process the whole-pipeline runs export to (`src/bin/otlp-sink.rs`).

pub mod subjects;

pub mod cpu {
    //! CPU time used so far, by this thread and by the whole process.

    use std::time::Duration;

    fn clock(id: libc::clockid_t) -> Duration {
        let mut now = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `now` is a valid, writable timespec; the clock ids are the standard ones.
        let status = unsafe { libc::clock_gettime(id, &raw mut now) };
        assert_eq!(status, 0, "clock_gettime");
        Duration::new(
            u64::try_from(now.tv_sec).unwrap_or(0),
            u32::try_from(now.tv_nsec).unwrap_or(0),
        )
    }

    /// CPU time of the calling thread.
    ///
    /// ```
    /// assert!(octo_instrument_bench::cpu::thread() <= octo_instrument_bench::cpu::process());
    /// ```
    pub fn thread() -> Duration {
        clock(libc::CLOCK_THREAD_CPUTIME_ID)
    }

    /// CPU time of every thread of the process.
    ///
    /// ```
    /// let before = octo_instrument_bench::cpu::process();
    /// assert!(octo_instrument_bench::cpu::process() >= before);
    /// ```
    pub fn process() -> Duration {
        clock(libc::CLOCK_PROCESS_CPUTIME_ID)
    }

    /// `spans requests bytes` received so far by the `otlp-sink` at `endpoint`.
    ///
    /// ```no_run
    /// let stats = octo_instrument_bench::cpu::sink_stats("http://127.0.0.1:4318");
    /// ```
    pub fn sink_stats(endpoint: &str) -> String {
        use std::io::{Read, Write};
        let address = endpoint.trim_start_matches("http://");
        let mut stream = std::net::TcpStream::connect(address).expect("the sink answers");
        write!(
            stream,
            "GET /stats HTTP/1.1\r\nhost: {address}\r\nconnection: close\r\n\r\n"
        )
        .expect("a request");
        let mut answer = String::new();
        stream.read_to_string(&mut answer).expect("an answer");
        answer
            .split("\r\n\r\n")
            .nth(1)
            .unwrap_or_default()
            .trim()
            .to_owned()
    }
}

pub mod sink {
    //! The `otlp-sink` process.

    use std::io::{BufRead, BufReader};
    use std::process::{Child, Command, Stdio};

    /// A running `otlp-sink`; stopped when dropped.
    pub struct Sink {
        child: Child,
        /// `http://127.0.0.1:PORT`.
        pub endpoint: String,
    }

    impl Sink {
        /// Starts the sink binary at `path` (`env!("CARGO_BIN_EXE_otlp-sink")`).
        ///
        /// ```no_run
        /// let sink = octo_instrument_bench::sink::Sink::start("target/release/otlp-sink");
        /// println!("{}", sink.endpoint);
        /// ```
        pub fn start(path: &str) -> Self {
            let mut child = Command::new(path)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .expect("the sink starts");
            let mut endpoint = String::new();
            BufReader::new(child.stdout.take().expect("its stdout"))
                .read_line(&mut endpoint)
                .expect("its address");
            Self {
                child,
                endpoint: endpoint.trim().to_owned(),
            }
        }

        /// `spans requests bytes` received so far.
        pub fn stats(&self) -> String {
            super::cpu::sink_stats(&self.endpoint)
        }
    }

    impl Drop for Sink {
        fn drop(&mut self) {
            // Closing its stdin ends it.
            drop(self.child.stdin.take());
            let _ = self.child.wait();
        }
    }
}
