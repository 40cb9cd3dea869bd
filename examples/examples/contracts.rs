//! Contract types, redaction, the event catalog, the checked log macros and sampling, in one
//! process: `cargo run -p octo-instrument-examples --example contracts`.
//!
//! Every event name below is checked against `examples/octo-events.toml` when this compiles:
//! misspell one (`"task.procesing"`) and the build fails with `did you mean "task.processing"?`.

use octo_instrument::{Observable, Redacted, observed};

/// The fields of a task that belong on every log line about it.
#[derive(Observable)]
struct TaskContract {
    #[observe(name = "task.id")]
    task_id: String,
    #[observe(name = "task.priority")]
    priority: u8,
    #[observe(flatten)]
    user: User,
    /// A field named like a secret must say what to do with it: without `redact` (or `skip`)
    /// this struct would not compile.
    #[observe(redact)]
    api_key: String,
    #[observe(skip)]
    prompt: String,
    deadline_ms: Option<u64>,
}

#[derive(Observable)]
struct User {
    #[observe(name = "id")]
    user_id: String,
    /// `Redacted` prints `[REDACTED]` in `Debug`, `Display` and as a field, wherever it goes.
    email: Redacted<String>,
}

#[observed(event = "task.processing", record(task), buckets = task)]
fn process(task: &TaskContract) -> Result<usize, String> {
    octo_instrument::info!("task.created", source = "contracts-example");
    let words = task.prompt.split_whitespace().map(classify).count();
    if task.priority > 8 {
        octo_instrument::critical!("task.budget_exceeded", limit = 8);
        // The email is redacted even here, in the error text of the `failed` line.
        return Err(format!("over budget for {:?}", task.user.email));
    }
    let _ = &task.api_key; // used to call the provider, in a real service
    Ok(words)
}

/// Called once per word: a tenth of its `started`/`completed` lines are kept (per trace), the
/// metrics count every call, and `octo_telemetry_sampled_out_total` counts what was left out.
#[observed(event = "task.classify", sample = 0.1, level = debug)]
fn classify(word: &str) -> usize {
    word.len()
}

fn main() -> Result<(), octo_instrument::Error> {
    let guard = octo_instrument::Config::new()
        .service_name("octollm-contracts-example")
        .log_level("debug")
        .init()?;
    for (i, priority) in [5, 9].into_iter().enumerate() {
        let task = TaskContract {
            task_id: format!("task-{i}"),
            priority,
            user: User {
                user_id: "user-456".into(),
                email: Redacted::new("someone@example.com".into()),
            },
            api_key: "sk-live-do-not-log".into(),
            prompt: "write a function that reverses a string in place".into(),
            deadline_ms: (priority > 5).then_some(30_000),
        };
        let _ = process(&task);
    }
    guard.flush(std::time::Duration::from_secs(2));

    println!("\n== the events this binary contains, from the catalog");
    for event in octo_instrument::event::all() {
        println!(
            "{:<18} {}",
            event.name,
            event.description.unwrap_or("(not in a catalog)")
        );
    }
    println!("\n== sampling");
    for line in octo_instrument::metrics::render().lines() {
        if line.starts_with("octo_telemetry_sampled_out_total{")
            || line.starts_with("event_duration_seconds_count{") && line.contains("task.classify")
        {
            println!("{line}");
        }
    }
    Ok(())
}
