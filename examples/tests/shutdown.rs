//! SIGTERM with clients that stopped half-way through their requests (issue 9): the service
//! stops within its shutdown deadline, logs what it cut off, flushes and exits cleanly. Before,
//! it waited for such a client forever, so in a container the final flush never ran.

mod common;

use std::io::Write;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::{Service, terminate};

const ARM: &str = env!("CARGO_BIN_EXE_octollm-arm-coder");

#[test]
fn stuck_clients_do_not_hold_the_shutdown_past_its_deadline() {
    let mut service = Service::start(ARM, &[("SHUTDOWN_DEADLINE_SECS", "2")]);
    // One client sent its head and a tenth of the body it announced; another half a head.
    let mut body_stuck = TcpStream::connect(&service.addr).unwrap();
    body_stuck
        .write_all(
            b"POST /api/v1/execute HTTP/1.1\r\nHost: arm\r\nContent-Type: application/json\r\n\
              X-Request-ID: req_stuck_body\r\nContent-Length: 1000\r\n\r\n{\"task_id\":",
        )
        .unwrap();
    let mut head_stuck = TcpStream::connect(&service.addr).unwrap();
    head_stuck.write_all(b"GET /health HTTP/1.1\r\nHo").unwrap();
    // The first request reached the handler (its started line is out) before the signal.
    service
        .wait_for(|line| {
            line["event"] == "request.started" && line["request_id"] == "req_stuck_body"
        })
        .expect("the stuck request started");

    let signalled = Instant::now();
    terminate(service.child());
    let status = service.wait_exit(Duration::from_secs(30));
    let took = signalled.elapsed();
    assert!(status.success(), "a clean exit: {status}");
    // The deadline is 2 s; the flush after it is bounded too. Generous: the old behaviour never
    // exited at all.
    assert!(
        took < Duration::from_secs(15),
        "exited {took:?} after SIGTERM"
    );

    let lines = service.lines_so_far();
    let events: Vec<&str> = lines.iter().filter_map(|l| l["event"].as_str()).collect();
    for expected in [
        "service.stopping",
        "service.stop_forced",
        "request.cancelled",
        "service.stopped",
    ] {
        assert!(events.contains(&expected), "{expected} in {events:?}");
    }
    let cancelled = lines
        .iter()
        .find(|l| l["event"] == "request.cancelled")
        .unwrap();
    assert_eq!(cancelled["request_id"], "req_stuck_body");
    let forced = lines
        .iter()
        .find(|l| l["event"] == "service.stop_forced")
        .unwrap();
    assert_eq!(forced["deadline_ms"], 2000);
    drop((body_stuck, head_stuck));
}

#[test]
fn an_idle_service_stops_at_once() {
    let mut service = Service::start(ARM, &[]);
    let signalled = Instant::now();
    terminate(service.child());
    let status = service.wait_exit(Duration::from_secs(30));
    assert!(status.success());
    assert!(
        signalled.elapsed() < Duration::from_secs(5),
        "no request in progress: nothing to wait for"
    );
    let lines = service.lines_so_far();
    assert!(lines.iter().any(|l| l["event"] == "service.stopped"));
    assert!(!lines.iter().any(|l| l["event"] == "service.stop_forced"));
}
