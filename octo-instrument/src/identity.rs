//! Who is logging: `service`, `environment` and `version`, on every log line and metric series.

use std::sync::OnceLock;

/// The service's identity, set once by `init()`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Identity {
    pub(crate) service: String,
    pub(crate) environment: String,
    pub(crate) version: String,
}

impl Identity {
    /// Before `init()`: the binary's name, `development`, `unknown`.
    fn fallback() -> Self {
        Self {
            service: binary_name(),
            environment: "development".to_owned(),
            version: "unknown".to_owned(),
        }
    }
}

pub(crate) fn binary_name() -> String {
    std::env::current_exe()
        .ok()
        .and_then(|path| path.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "unknown".to_owned())
}

/// The identity `init()` set; until then, the fallback.
static INSTALLED: OnceLock<Identity> = OnceLock::new();
static FALLBACK: OnceLock<Identity> = OnceLock::new();

/// The identity in force: one atomic load on the logging path.
#[inline]
pub(crate) fn current() -> &'static Identity {
    INSTALLED
        .get()
        .unwrap_or_else(|| FALLBACK.get_or_init(Identity::fallback))
}

/// Sets the identity, once per process (`init()` itself runs once); a later call keeps the
/// first one and returns false.
pub(crate) fn set(identity: Identity) -> bool {
    INSTALLED.set(identity).is_ok()
}
