//! A task spawned while handling a request keeps the request's span with
//! `octo_instrument::spawn` (its lines carry `request_id`, `trace_id` and the contract fields),
//! and shows what a plain `tokio::spawn` loses.

use axum::Router;
use axum::routing::get;
use octo_instrument::http::ServerLayer;
use octo_instrument::{Observable, observed};
use octo_instrument_tests::traced::{serve, traced};

#[derive(Observable)]
struct Task {
    #[observe(name = "task.id")]
    id: String,
}

#[observed(event = "test.spawn.handle", record(task))]
async fn handle(task: &Task) -> u32 {
    let _ = task;
    let kept = octo_instrument::spawn(async {
        octo_instrument::info!("test.spawn.kept");
    });
    let blocking = octo_instrument::spawn_blocking(|| {
        octo_instrument::info!("test.spawn.blocking");
    });
    let lost = tokio::spawn(async {
        octo_instrument::info!("test.spawn.lost");
    });
    let mut set = tokio::task::JoinSet::new();
    set.spawn(octo_instrument::in_current_span(async {
        octo_instrument::info!("test.spawn.joinset");
    }));
    let _ = (kept.await, blocking.await, lost.await, set.join_all().await);
    7
}

async fn handler() -> &'static str {
    handle(&Task {
        id: "task-42".into(),
    })
    .await;
    "ok"
}

#[test]
fn lines_of_a_spawned_task_keep_the_request_s_ids_and_fields() {
    let run = traced(2, async {
        let base = serve(
            Router::new()
                .route("/spawn", get(handler))
                .layer(ServerLayer::new()),
        )
        .await;
        reqwest::Client::new()
            .get(format!("{base}/spawn"))
            .header("x-request-id", "req_spawned_1")
            .send()
            .await
            .unwrap()
            .status()
    });
    assert_eq!(run.output, 200);
    let lines = run.logs.lines();
    let line = |event: &str| octo_instrument_tests::one(&lines, event).clone();
    let handled = line("test.spawn.handle.started");
    let trace_id = handled["trace_id"].as_str().unwrap().to_owned();
    for event in [
        "test.spawn.kept",
        "test.spawn.blocking",
        "test.spawn.joinset",
    ] {
        let spawned = line(event);
        assert_eq!(spawned["request_id"], "req_spawned_1", "{spawned}");
        assert_eq!(spawned["trace_id"], trace_id.as_str(), "{spawned}");
        assert_eq!(spawned["task.id"], "task-42", "{spawned}");
    }
    // What a plain `tokio::spawn` loses: the request, the trace, the contract.
    let lost = line("test.spawn.lost");
    for key in ["request_id", "trace_id", "span_id", "task.id"] {
        assert!(lost.get(key).is_none(), "{key} on {lost}");
    }
}
