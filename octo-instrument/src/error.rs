//! The error of `init()` and `Config`.

use std::fmt;

/// Why the runtime could not be set up.
///
/// ```
/// let err = octo_instrument::Config::new().json_logs_from("maybe").unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     r#"invalid JSON_LOGS="maybe": expected one of true, false (also 1/0, yes/no, on/off)"#
/// );
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// An environment variable (or the builder value standing in for it) has a bad value.
    InvalidVariable {
        /// The variable, as `JSON_LOGS`.
        variable: &'static str,
        /// The value that was given.
        value: String,
        /// What the variable accepts.
        expected: String,
    },
    /// `init()` was already called in this process.
    AlreadyInitialized,
    /// Another global `tracing` subscriber was installed before `init()`.
    SubscriberAlreadySet,
    /// A file or directory could not be used.
    Io {
        /// What was being done, naming the variable where one applies.
        context: String,
        /// The underlying error.
        source: std::io::Error,
    },
}

impl Error {
    pub(crate) fn invalid(
        variable: &'static str,
        value: &str,
        expected: impl Into<String>,
    ) -> Self {
        Self::InvalidVariable {
            variable,
            value: value.to_owned(),
            expected: expected.into(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidVariable {
                variable,
                value,
                expected,
            } => {
                write!(f, "invalid {variable}={value:?}: expected {expected}")
            }
            Self::AlreadyInitialized => {
                f.write_str("octo_instrument::init() was already called; keep the first guard")
            }
            Self::SubscriberAlreadySet => f.write_str(
                "a global tracing subscriber is already installed; call octo_instrument::init() \
                 instead of installing one, or add octo_instrument::logging::LogLayer to yours",
            ),
            Self::Io { context, source } => write!(f, "{context}: {source}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}
