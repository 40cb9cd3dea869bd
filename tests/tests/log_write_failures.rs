//! A log line whose write fails is counted in `octo_telemetry_dropped_total{signal="logs"}`, with
//! one `telemetry.write.failed` report on stderr, never a flood: stdout on a full device, a closed
//! stdout, the files of `LOG_DIR` on a full disk. A non-blocking stdout that would block
//! (`EAGAIN`) is waited for and loses nothing. Regression tests for issue 9: before it, each of
//! these lines vanished uncounted.
#![allow(clippy::float_cmp)] // counters are small integers, exact in f64

use std::io::Read;
use std::os::fd::AsRawFd;
use std::process::{Output, Stdio};

use octo_instrument_tests::{json_lines, probe_command, sample_value, samples_among_lines};
use serde_json::Value;

const PROBE: &str = env!("CARGO_BIN_EXE_octo-probe");
/// `octo-probe flushed 50`: 50 calls, two lines each.
const CALLS: &str = "50";
const LINES: f64 = 100.0;

fn dropped(output: &Output) -> f64 {
    let samples = samples_among_lines(&output.stderr);
    sample_value(
        &samples,
        "octo_telemetry_dropped_total",
        &[("signal", "logs")],
    )
    .expect("the probe printed its metrics")
}

/// The JSON reports on stderr whose event is `event`.
fn reports(output: &Output, event: &str) -> Vec<Value> {
    String::from_utf8_lossy(&output.stderr)
        .lines()
        .filter(|line| line.starts_with('{'))
        .map(|line| serde_json::from_str::<Value>(line).expect("a JSON report"))
        .filter(|line| line["event"] == event)
        .collect()
}

fn run_with_stdout(stdout: Stdio, env: &[(&str, &str)]) -> Output {
    let output = probe_command(PROBE, &["flushed", CALLS], env)
        .stdout(stdout)
        .stderr(Stdio::piped())
        .output()
        .expect("the probe runs");
    assert!(output.status.success(), "the service survives: {output:?}");
    output
}

#[test]
fn lines_written_to_a_full_device_are_counted_and_reported_once() {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full exists on Linux");
    let output = run_with_stdout(Stdio::from(full), &[]);
    assert_eq!(dropped(&output), LINES);
    let failed = reports(&output, "telemetry.write.failed");
    assert_eq!(failed.len(), 1, "one report, not a flood: {output:?}");
    assert_eq!(failed[0]["sink"], "stdout");
    assert_eq!(failed[0]["level"], "error");
    assert!(
        failed[0]["error"]
            .as_str()
            .unwrap()
            .contains("No space left"),
        "{failed:?}"
    );
}

#[test]
fn lines_written_to_a_closed_stdout_are_counted() {
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader); // nobody will ever read: every write fails with EPIPE
    let output = run_with_stdout(Stdio::from(writer), &[]);
    assert_eq!(dropped(&output), LINES);
    assert_eq!(reports(&output, "telemetry.write.failed").len(), 1);
}

#[test]
fn a_non_blocking_stdout_that_would_block_is_waited_for_and_loses_nothing() {
    let (mut reader, writer) = std::io::pipe().expect("a pipe");
    // SAFETY: fcntl on a descriptor this test owns, with flags it just read.
    unsafe {
        let fd = writer.as_raw_fd();
        let flags = libc::fcntl(fd, libc::F_GETFL);
        assert!(flags >= 0);
        assert_eq!(libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK), 0);
    }
    // Far more than the 64 KiB a pipe holds: the writer meets EAGAIN until the reader starts.
    let child = probe_command(PROBE, &["flushed", "2000"], &[])
        .stdout(Stdio::from(writer))
        .stderr(Stdio::piped())
        .spawn()
        .expect("the probe starts");
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let mut stdout = Vec::new();
    reader.read_to_end(&mut stdout).expect("stdout is read");
    let output = child.wait_with_output().expect("the probe ends");
    assert!(output.status.success(), "{output:?}");
    let lines = json_lines(&stdout);
    assert_eq!(lines.len(), 4000, "every line arrived");
    assert_eq!(dropped(&output), 0.0);
    assert!(reports(&output, "telemetry.write.failed").is_empty());
}

#[test]
fn log_files_on_a_full_disk_are_counted_while_stdout_keeps_its_lines() {
    let dir = std::env::temp_dir().join(format!("octo-disk-full-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // Today's file (the appender names it by the UTC date) is the full device.
    let date = std::process::Command::new("date")
        .args(["-u", "+%F"])
        .output()
        .expect("date runs");
    let date = String::from_utf8(date.stdout).unwrap();
    let file = dir.join(format!("probe-disk.{}.log", date.trim()));
    let _ = std::fs::remove_file(&file);
    std::os::unix::fs::symlink("/dev/full", &file).unwrap();
    let output = run_with_stdout(
        Stdio::piped(),
        &[
            ("LOG_DIR", dir.to_str().unwrap()),
            ("SERVICE_NAME", "probe-disk"),
        ],
    );
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(
        json_lines(&output.stdout).len(),
        100,
        "stdout is unaffected"
    );
    assert_eq!(dropped(&output), LINES, "the file's lines are counted");
    let failed = reports(&output, "telemetry.write.failed");
    assert_eq!(failed.len(), 1, "{output:?}");
    assert_eq!(failed[0]["sink"], "file");
    assert_eq!(failed[0]["service"], "probe-disk");
}
