//! Every function shape `#[observed]` supports, each called and checked for its one `ok` count.

// Counters are whole numbers read back from the exposition: exact comparison is intended.
#![allow(clippy::float_cmp)]

use std::fmt::Display;
use std::pin::Pin;

use octo_instrument::observed;
use octo_instrument_tests::{capture, capture_async, count, metric, one};

#[derive(Default)]
struct Counter {
    value: u32,
    name: String,
}

impl Counter {
    #[observed(event = "shape.ref_self", fields(name = %self.name))]
    fn get(&self) -> u32 {
        self.value
    }

    #[observed(event = "shape.mut_self")]
    fn bump(&mut self) -> &mut u32 {
        self.value += 1;
        &mut self.value
    }

    /// Keeps its doc comment and attributes.
    #[observed(event = "shape.self")]
    #[must_use]
    fn into_value(self) -> u32 {
        self.value
    }

    #[observed(event = "shape.mut_self_value")]
    fn reset(mut self) -> Self {
        self.value = 0;
        self
    }

    #[observed(event = "shape.box_self")]
    fn boxed(self: Box<Self>) -> u32 {
        self.value
    }

    #[observed(event = "shape.pin_self")]
    fn pinned(self: Pin<&mut Self>) -> u32 {
        self.get_mut().value
    }

    #[observed(event = "shape.name_ref")]
    fn name(&self) -> &str {
        &self.name
    }
}

trait Describe {
    fn describe(&self, prefix: &str) -> String;
}

impl Describe for Counter {
    #[observed(event = "shape.trait_impl")]
    fn describe(&self, prefix: &str) -> String {
        format!("{prefix}{}", self.value)
    }
}

#[observed(event = "shape.generic")]
fn longest<'a, T>(items: &'a [T]) -> Option<&'a T>
where
    T: Ord + Display,
{
    items.iter().max()
}

#[observed(event = "shape.impl_trait")]
fn evens(values: impl IntoIterator<Item = u32>) -> impl Iterator<Item = u32> {
    values
        .into_iter()
        .filter(|v| v % 2 == 0)
        .collect::<Vec<_>>()
        .into_iter()
}

#[observed(event = "shape.collect")]
fn squares(n: u32) -> Vec<u32> {
    // Inference from the declared return type reaches the tail expression.
    (0..n).map(|i| i * i).collect()
}

#[observed(event = "shape.unsafe")]
unsafe fn read(pointer: *const u32) -> u32 {
    // SAFETY: callers pass a valid pointer.
    unsafe { *pointer }
}

#[observed(event = "shape.extern_c")]
extern "C" fn add_one(x: i32) -> i32 {
    x + 1
}

mod renamed {
    pub(crate) use octo_instrument as octo;
}

#[observed(event = "shape.crate_path", crate = renamed::octo)]
fn through_renamed_crate() -> u8 {
    // The log macros take the same override (issue 10).
    renamed::octo::info!(crate = renamed::octo, "shape.renamed_log", n = 1);
    1
}

#[observed(
    event = "shape.task",
    buckets = task,
    histogram = "shape_task_duration_seconds",
    gauge = "shape_tasks_in_progress",
    labels(arm = "coder", priority = priority)
)]
fn run_task(priority: u8) -> u8 {
    priority
}

#[observed(event = "shape.list_buckets", buckets = [0.5, 1, 2.5])]
fn listed() {}

#[test]
fn every_receiver_kind() {
    let (lines, ()) = capture(|| {
        let mut counter = Counter {
            value: 1,
            name: "c".into(),
        };
        assert_eq!(counter.get(), 1);
        *counter.bump() += 10;
        assert_eq!(counter.get(), 12);
        assert_eq!(counter.name(), "c");
        let mut pinned = Counter {
            value: 3,
            ..Counter::default()
        };
        assert_eq!(Pin::new(&mut pinned).pinned(), 3);
        assert_eq!(
            Box::new(Counter {
                value: 4,
                ..Counter::default()
            })
            .boxed(),
            4
        );
        assert_eq!(counter.describe("v="), "v=12");
        let counter = counter.reset();
        assert_eq!(counter.into_value(), 0);
    });
    let started = octo_instrument_tests::events(&lines, "shape.ref_self.started");
    assert!(started.len() == 2 && started.iter().all(|l| l["name"] == "c"));
    for event in [
        "shape.mut_self",
        "shape.self",
        "shape.mut_self_value",
        "shape.box_self",
        "shape.pin_self",
        "shape.name_ref",
        "shape.trait_impl",
    ] {
        assert_eq!(count(event, "ok"), 1.0, "{event}");
    }
    assert_eq!(count("shape.ref_self", "ok"), 2.0);
}

#[test]
fn generics_impl_trait_unsafe_and_extern() {
    capture(|| {
        assert_eq!(longest(&[3, 9, 2]), Some(&9));
        assert_eq!(evens([1, 2, 3, 4]).collect::<Vec<_>>(), [2, 4]);
        assert_eq!(squares(4), [0, 1, 4, 9]);
        let value = 7;
        // SAFETY: a valid pointer to a live local.
        assert_eq!(unsafe { read(&raw const value) }, 7);
        assert_eq!(add_one(1), 2);
        assert_eq!(through_renamed_crate(), 1);
    });
    for event in [
        "shape.generic",
        "shape.impl_trait",
        "shape.collect",
        "shape.unsafe",
        "shape.extern_c",
        "shape.crate_path",
    ] {
        assert_eq!(count(event, "ok"), 1.0, "{event}");
    }
}

#[test]
fn extra_families_and_buckets() {
    capture(|| {
        run_task(5);
        run_task(5);
        run_task(1);
        listed();
    });
    let labels = |p| [("arm", "coder"), ("priority", p)];
    assert_eq!(
        metric("shape_task_duration_seconds_count", &labels("5")),
        Some(2.0)
    );
    assert_eq!(
        metric("shape_task_duration_seconds_count", &labels("1")),
        Some(1.0)
    );
    assert_eq!(metric("shape_tasks_in_progress", &labels("5")), Some(0.0));
    // The task preset's buckets on both the event's histogram and the extra family.
    let le = |family, extra: &[(&str, &str)]| {
        let mut labels = vec![("le", "600")];
        labels.extend_from_slice(extra);
        metric(family, &labels)
    };
    assert_eq!(
        le("shape_task_duration_seconds_bucket", &labels("5")),
        Some(2.0)
    );
    assert_eq!(
        le(
            "event_duration_seconds_bucket",
            &[("event", "shape.task"), ("outcome", "ok")]
        ),
        Some(3.0)
    );
    assert_eq!(
        metric(
            "event_duration_seconds_bucket",
            &[
                ("event", "shape.list_buckets"),
                ("outcome", "ok"),
                ("le", "2.5")
            ]
        ),
        Some(1.0)
    );
}

#[observed(event = "shape.axum_handler", fields(id = id))]
async fn get_task(
    axum::extract::Path(id): axum::extract::Path<u32>,
) -> Result<String, (axum::http::StatusCode, String)> {
    if id == 0 {
        return Err((axum::http::StatusCode::NOT_FOUND, "no task 0".to_owned()));
    }
    Ok(format!("task {id}"))
}

#[test]
fn axum_handler() {
    use axum::routing::get;

    let (lines, (ok, missing)) = capture_async(async {
        let app = axum::Router::new().route("/tasks/{id}", get(get_task));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        let fetch = |path: &'static str| async move {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
            stream
                .write_all(
                    format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                        .as_bytes(),
                )
                .await
                .unwrap();
            let mut response = String::new();
            stream.read_to_string(&mut response).await.unwrap();
            response
        };
        (fetch("/tasks/7").await, fetch("/tasks/0").await)
    });
    assert!(
        ok.starts_with("HTTP/1.1 200") && ok.ends_with("task 7"),
        "{ok}"
    );
    assert!(missing.starts_with("HTTP/1.1 404"), "{missing}");
    assert_eq!(one(&lines, "shape.axum_handler.completed")["id"], 7);
    assert_eq!(
        one(&lines, "shape.axum_handler.failed")["error_type"],
        "(StatusCode, String)"
    );
    assert_eq!(count("shape.axum_handler", "ok"), 1.0);
    assert_eq!(count("shape.axum_handler", "error"), 1.0);
}
