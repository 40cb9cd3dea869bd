//! A service in miniature for the tests that need a process of their own: `init()` is global,
//! and its environment variables, stdout and exit code are what a deployment sees.
//!
//! `octo-probe lines N` | `octo-probe double-init` | `octo-probe stall N` | `octo-probe spans N`
//! | `octo-probe tokio-main N` | `octo-probe secrets` (the secret from `PROBE_SECRET`)
//! | `octo-probe flushed N` (N calls, flushed, then the metrics on stderr)
//! | `octo-probe long-field BYTES` (one line with a field of that many bytes)
//! | `octo-probe export N` (a debug and an info line, N calls (odd ones fail), a failure with a
//! `source()` chain, a panic, all flushed, then the metrics on stderr)

use octo_instrument::{Observable, Redacted, observed};

#[derive(Observable)]
struct Session {
    #[observe(redact)]
    session_token: String,
}

#[derive(Observable)]
struct Credentials {
    user: String,
    #[observe(redact)]
    api_key: String,
    password: Redacted<String>,
    #[observe(flatten)]
    session: Session,
}

#[derive(Observable)]
enum Login {
    WithKey {
        #[observe(redact)]
        key: String,
    },
}

/// Every redacted position holds the secret; the error text formats the `Redacted` field.
#[observed(event = "probe.secret_call", record(credentials, login))]
fn use_secret(credentials: &Credentials, login: &Login) -> Result<(), String> {
    octo_instrument::info!("probe.secret_inner", user = %credentials.user);
    octo_instrument::record(login);
    Err(format!(
        "rejected {:?} for {}",
        credentials.password, credentials.user
    ))
}

fn secrets() {
    let secret = std::env::var("PROBE_SECRET").expect("PROBE_SECRET");
    let credentials = Credentials {
        user: "user-456".into(),
        api_key: secret.clone(),
        password: Redacted::new(secret.clone()),
        session: Session {
            session_token: secret.clone(),
        },
    };
    let _ = (&credentials.api_key, &credentials.session.session_token);
    let login = Login::WithKey { key: secret };
    let Login::WithKey { key } = &login;
    let _ = key;
    let _ = use_secret(&credentials, &login);
}

/// An error with a cause, as a service's own error types wrap I/O errors.
#[derive(Debug)]
struct FetchError {
    source: std::io::Error,
}

impl std::fmt::Display for FetchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("fetching the prompt failed")
    }
}

impl std::error::Error for FetchError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

#[observed(event = "probe.fetch")]
fn fetch() -> Result<(), FetchError> {
    Err(FetchError {
        source: std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "connection reset by peer",
        ),
    })
}

#[observed(event = "probe.explode")]
fn explode() {
    panic!("the arm exploded");
}

/// Every kind of outcome, exported: what the OTLP export tests read at the collector.
fn export(n: u64, guard: &octo_instrument::Guard) {
    tracing::debug!(target: "probe", "a debug line");
    octo_instrument::info!(
        "probe.export_started",
        calls = n,
        ratio = 0.0015,
        urgent = true
    );
    for i in 0..n {
        let _ = work(i);
    }
    let _ = fetch();
    // The panic is the test's: keep its report off stderr, where the metrics go.
    std::panic::set_hook(Box::new(|_| {}));
    let _ = std::panic::catch_unwind(explode);
    let _ = std::panic::take_hook();
    guard.flush(std::time::Duration::from_secs(10));
    eprint!("{}", octo_instrument::metrics::render());
}

#[observed(event = "probe.work", fields(n = n))]
fn work(n: u64) -> Result<u64, String> {
    if n % 2 == 1 {
        Err(format!("odd {n}"))
    } else {
        Ok(n)
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mode = args.first().map_or("lines", String::as_str);
    let n: u64 = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(2);
    let init = || match octo_instrument::Config::new().version("9.9.9").init() {
        Ok(guard) => guard,
        Err(err) => {
            eprintln!("{err}");
            std::process::exit(2);
        }
    };
    if mode == "tokio-main" {
        // What `#[tokio::main(flavor = "current_thread")]` expands to: the guard is created and
        // dropped inside the runtime, where a flush that needed this runtime would deadlock.
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(async {
                let guard = init();
                for i in 0..n {
                    let _ = work(i);
                }
                drop(guard);
            });
        return;
    }
    let guard = init();
    match mode {
        "double-init" => match octo_instrument::init() {
            Ok(_) => eprintln!("second init succeeded"),
            Err(err) => eprintln!("{err}"),
        },
        "secrets" => {
            secrets();
            guard.flush(std::time::Duration::from_secs(10));
        }
        "export" => export(n, &guard),
        "spans" => {
            for i in 0..n {
                let _ = work(i * 2);
            }
            // Give the export thread time to try (and fail) a few batches.
            std::thread::sleep(std::time::Duration::from_millis(2500));
            eprint!("{}", octo_instrument::metrics::render());
        }
        "flushed" => {
            for i in 0..n {
                let _ = work(i * 2);
            }
            guard.flush(std::time::Duration::from_secs(10));
            eprint!("{}", octo_instrument::metrics::render());
        }
        "long-field" => {
            let long = "x".repeat(usize::try_from(n).unwrap_or(0));
            octo_instrument::info!("probe.long_field", long = %long);
            guard.flush(std::time::Duration::from_secs(10));
            eprint!("{}", octo_instrument::metrics::render());
        }
        "stall" => {
            for i in 0..n {
                let _ = work(i * 2);
            }
            eprint!("{}", octo_instrument::metrics::render());
        }
        _ => {
            tracing::info!(target: "some_other_crate", answer = 42, "plain tracing event");
            for i in 0..n {
                let _ = work(i);
            }
        }
    }
    drop(guard);
}
