//! Who is logging: `service`, `environment` and `version`, on every log line and metric series.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicPtr, Ordering};

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

static CURRENT: AtomicPtr<Identity> = AtomicPtr::new(std::ptr::null_mut());
static FALLBACK: OnceLock<Identity> = OnceLock::new();

/// The identity in force: one atomic load on the logging path.
#[inline]
pub(crate) fn current() -> &'static Identity {
    let ptr = CURRENT.load(Ordering::Acquire);
    if ptr.is_null() {
        FALLBACK.get_or_init(Identity::fallback)
    } else {
        // SAFETY: only `set` stores here, a pointer from `Box::leak`, never freed.
        unsafe { &*ptr }
    }
}

/// Replaces the identity. The old one is leaked on purpose: log lines being written on other
/// threads may still hold it, and this happens once per `init()`.
pub(crate) fn set(identity: Identity) {
    CURRENT.store(Box::into_raw(Box::new(identity)), Ordering::Release);
}
