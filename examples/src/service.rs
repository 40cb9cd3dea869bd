//! Running one service: `init()`, bind, serve until SIGTERM or Ctrl-C, flush.

use std::time::Duration;

use axum::Router;

/// Which service a process is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Orchestrator,
    ArmCoder,
}

impl Role {
    /// The service name logs, metrics and traces carry.
    pub fn service_name(self) -> &'static str {
        match self {
            Self::Orchestrator => "octollm-orchestrator",
            Self::ArmCoder => "octollm-arm-coder",
        }
    }

    /// The module holding this service's instrumented code.
    fn module(self) -> &'static str {
        match self {
            Self::Orchestrator => "::orchestrator",
            Self::ArmCoder => "::arm_coder",
        }
    }

    fn default_port(self) -> u16 {
        match self {
            Self::Orchestrator => 8080,
            Self::ArmCoder => 8081,
        }
    }
}

/// Runs `role` as this process's service: `PORT` (0 picks a free one) on 127.0.0.1, or on
/// `BIND_ADDR`; the orchestrator finds the arm at `ARM_CODER_URL`. Logs `service.listening`
/// with the bound `addr` once it accepts connections.
///
/// With `--print-catalog` it prints the service's exported catalog (its events, and that it
/// serves HTTP) for `octo-ops` instead, and exits.
pub fn main(role: Role) -> Result<(), Box<dyn std::error::Error>> {
    if std::env::args().any(|arg| arg == "--print-catalog") {
        // The router is built, not served: building it is what installs the HTTP layer.
        let _router = router(role)?;
        // Both binaries link the whole example library; each exports the events of its own
        // module, so its generated rules cover what it runs.
        let module = role.module();
        println!(
            "{}",
            octo_instrument::ops::catalog_json_where(role.service_name(), |event| {
                event.module_path.ends_with(module)
            })
        );
        return Ok(());
    }
    let guard = octo_instrument::Config::new()
        .service_name(role.service_name())
        .version(env!("CARGO_PKG_VERSION"))
        .init()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let result = runtime.block_on(serve(role));
    if let Err(err) = &result {
        octo_instrument::error!("service.failed", error = %err);
    }
    // Leave the runtime before flushing, so the last spans go out from a plain thread.
    drop(runtime);
    drop(guard);
    result
}

async fn serve(role: Role) -> Result<(), Box<dyn std::error::Error>> {
    let port: u16 = match std::env::var("PORT") {
        Ok(port) => port
            .parse()
            .map_err(|_| format!("invalid PORT={port:?}: expected a port number"))?,
        Err(_) => role.default_port(),
    };
    let ip = std::env::var("BIND_ADDR").unwrap_or_else(|_| "127.0.0.1".to_owned());
    let app = router(role)?;
    let listener = tokio::net::TcpListener::bind((ip.as_str(), port)).await?;
    let addr = listener.local_addr()?;
    // Listening for SIGTERM before saying so: a supervisor may send it the moment it reads the
    // line.
    let stop = octo_instrument::shutdown::signal();
    octo_instrument::info!("service.listening", addr = %addr);
    // Until SIGTERM or Ctrl-C; then requests in progress get the deadline, and what is queued
    // is flushed.
    octo_instrument::shutdown::serve(listener, app)
        .deadline(shutdown_deadline()?)
        .with_signal(stop)
        .await?;
    octo_instrument::info!("service.stopped");
    Ok(())
}

/// `SHUTDOWN_DEADLINE_SECS`: how long requests in progress may run on after SIGTERM.
fn shutdown_deadline() -> Result<Duration, String> {
    seconds(
        "SHUTDOWN_DEADLINE_SECS",
        octo_instrument::shutdown::DEFAULT_DEADLINE,
        0,
    )
}

/// `ARM_TIMEOUT_SECS`: how long the orchestrator waits for the arm's answer.
fn arm_timeout() -> Result<Duration, String> {
    seconds("ARM_TIMEOUT_SECS", crate::orchestrator::ARM_TIMEOUT, 1)
}

/// A whole number of seconds, at least `min`, from `variable`; `default` when it is unset. A bad
/// value is an error naming the variable.
fn seconds(variable: &str, default: Duration, min: u64) -> Result<Duration, String> {
    match std::env::var(variable) {
        Ok(secs) => match secs.parse() {
            Ok(secs) if secs >= min => Ok(Duration::from_secs(secs)),
            _ => Err(format!(
                "invalid {variable}={secs:?}: expected a whole number of seconds, at least {min}"
            )),
        },
        Err(_) => Ok(default),
    }
}

fn router(role: Role) -> Result<Router, String> {
    Ok(match role {
        Role::Orchestrator => {
            let arm = std::env::var("ARM_CODER_URL")
                .unwrap_or_else(|_| "http://127.0.0.1:8081".to_owned());
            crate::orchestrator::Orchestrator::with_timeout(&arm, arm_timeout()?).router()
        }
        Role::ArmCoder => crate::arm_coder::router(),
    })
}
