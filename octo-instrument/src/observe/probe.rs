//! Finding out, at the concrete call site, whether a return value is an error and how to
//! describe it. Autoref specialisation: the generated code calls `(&Probe(&out)).__octo_error()`
//! and `(&&&ErrProbe(err)).__octo_describe()` (then `(&&SourceProbe(err)).__octo_source()`
//! for its `source()` chain), and method resolution picks the most specific
//! impl that applies. This is how `io::Result<T>`, `anyhow::Result<T>` and a crate's own
//! `type Result<T>` are all recognised: the check is on the type, not on how it is spelled.

use std::any::type_name;
use std::collections::BTreeMap;
use std::fmt::{self, Debug, Display};
use std::sync::Mutex;

/// Implemented by error types that know their own `error_type` and `error_code` (the standard's
/// `error_code="LLM_API_ERROR"`). Errors without it are described by their `Display` text and
/// type name.
///
/// ```
/// use octo_instrument::ObservedError;
///
/// #[derive(Debug)]
/// enum ArmError { LlmApi(String), Timeout }
///
/// impl std::fmt::Display for ArmError {
///     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
///         match self {
///             Self::LlmApi(msg) => write!(f, "LLM API error: {msg}"),
///             Self::Timeout => f.write_str("timed out"),
///         }
///     }
/// }
///
/// impl ObservedError for ArmError {
///     fn error_code(&self) -> Option<&str> {
///         Some(match self {
///             Self::LlmApi(_) => "LLM_API_ERROR",
///             Self::Timeout => "TIMEOUT",
///         })
///     }
/// }
///
/// assert_eq!(ArmError::Timeout.error_code(), Some("TIMEOUT"));
/// assert_eq!(ArmError::Timeout.error_type(), None);
/// ```
pub trait ObservedError: Display {
    /// The `error_type` label and log field; `None` uses the type's name (`ArmError`).
    /// Keep it to a small fixed set: it is a metric label.
    fn error_type(&self) -> Option<&str> {
        None
    }

    /// The `error_code` log field, where the error has one.
    fn error_code(&self) -> Option<&str> {
        None
    }
}

impl ObservedError for std::io::Error {
    fn error_type(&self) -> Option<&str> {
        Some("io::Error")
    }
}

/// How a failed call is described in its log line, its error counter and its span.
pub struct ErrorReport<'a> {
    pub(crate) message: Message<'a>,
    pub(crate) error_type: &'a str,
    pub(crate) error_code: Option<&'a str>,
    /// The error's full type name: the span's `exception.type`.
    pub(crate) type_name: &'static str,
    /// The error as `std::error::Error`, where it is one: its `source()` chain goes on the span.
    pub(crate) source: Option<&'a (dyn std::error::Error + 'a)>,
}

impl<'a> ErrorReport<'a> {
    /// The report with the error's `source()` chain, as [`SourceProbe`] found it.
    #[must_use]
    pub fn with_source(mut self, source: Option<&'a (dyn std::error::Error + 'a)>) -> Self {
        self.source = source;
        self
    }
}

pub(crate) enum Message<'a> {
    Display(&'a dyn Display),
    Debug(&'a dyn Debug),
    None,
}

impl Display for Message<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Display(d) => Display::fmt(d, f),
            Self::Debug(d) => Debug::fmt(d, f),
            Self::None => f.write_str("error"),
        }
    }
}

/// A readable, bounded type name: module paths dropped (`ArmError` for `my_crate::ArmError`,
/// `(StatusCode, String)` for a tuple), except that a type called just `Error` keeps its crate
/// (`anyhow::Error`). Computed once per type: it is a metric label value.
pub(crate) fn short_type_name<E: ?Sized>() -> &'static str {
    static CACHE: Mutex<BTreeMap<&'static str, &'static str>> = Mutex::new(BTreeMap::new());
    let full = type_name::<E>();
    // Fast path, no lock: a plain path whose short form is a slice of the full name.
    if !full.contains(['<', '(', '[', ' ', '&']) {
        let last = full.rsplit("::").next().unwrap_or(full);
        if last != "Error" || full.matches("::").count() <= 1 {
            return if last == "Error" { full } else { last };
        }
    }
    let mut cache = CACHE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    cache
        .entry(full)
        .or_insert_with(|| Box::leak(shorten(full).into_boxed_str()))
}

fn shorten(full: &str) -> String {
    if let Some(path) = full.strip_suffix("::Error")
        && !path.contains(['<', '(', '[', ' '])
    {
        {
            let krate = path.split("::").next().unwrap_or(path);
            return if krate == "std" || krate == "core" {
                // `std::io::error::Error` → `io::Error`.
                format!("{}::Error", path.split("::").nth(1).unwrap_or(krate))
            } else {
                format!("{krate}::Error")
            };
        }
    }
    let mut out = String::with_capacity(full.len());
    let mut segment = String::new();
    let mut chars = full.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_alphanumeric() || c == '_' {
            segment.push(c);
        } else if c == ':' && chars.peek() == Some(&':') {
            chars.next();
            segment.clear();
        } else {
            out.push_str(&segment);
            segment.clear();
            out.push(c);
        }
    }
    out.push_str(&segment);
    out
}

/// Holds the return value while its kind is probed.
pub struct Probe<'a, T: ?Sized>(pub &'a T);

impl<T: ?Sized> Clone for Probe<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T: ?Sized> Copy for Probe<'_, T> {}

/// Stands in for the error type of a return value that is not a `Result`.
pub enum NoError {}

/// Picked for `Result<T, E>`: the `Err` value, if any.
pub trait ErrorProbe<'a> {
    type Error: ?Sized;
    fn __octo_error(self) -> Option<&'a Self::Error>;
}

impl<'a, T, E> ErrorProbe<'a> for &Probe<'a, Result<T, E>> {
    type Error = E;
    #[inline]
    fn __octo_error(self) -> Option<&'a E> {
        self.0.as_ref().err()
    }
}

/// Picked for everything else: never an error.
pub trait NotAResult<'a> {
    fn __octo_error(self) -> Option<&'a NoError>;
}

impl<'a, T: ?Sized> NotAResult<'a> for Probe<'a, T> {
    #[inline]
    fn __octo_error(self) -> Option<&'a NoError> {
        None
    }
}

/// Holds an error value while the best way to describe it is probed.
pub struct ErrProbe<'a, E: ?Sized>(pub &'a E);

impl<E: ?Sized> Clone for ErrProbe<'_, E> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<E: ?Sized> Copy for ErrProbe<'_, E> {}

/// First choice: the error describes itself.
pub trait ObservedErrorProbe<'a> {
    fn __octo_describe(self) -> ErrorReport<'a>;
}

impl<'a, E: ObservedError> ObservedErrorProbe<'a> for &&&ErrProbe<'a, E> {
    fn __octo_describe(self) -> ErrorReport<'a> {
        let error = self.0;
        ErrorReport {
            message: Message::Display(error),
            error_type: error.error_type().unwrap_or_else(|| short_type_name::<E>()),
            error_code: error.error_code(),
            type_name: type_name::<E>(),
            source: None,
        }
    }
}

/// Second choice: its `Display` text (`anyhow::Error`, `std::io::Error`, most errors).
pub trait DisplayProbe<'a> {
    fn __octo_describe(self) -> ErrorReport<'a>;
}

impl<'a, E: Display> DisplayProbe<'a> for &&ErrProbe<'a, E> {
    fn __octo_describe(self) -> ErrorReport<'a> {
        ErrorReport {
            message: Message::Display(self.0),
            error_type: short_type_name::<E>(),
            error_code: None,
            type_name: type_name::<E>(),
            source: None,
        }
    }
}

/// Third choice: its `Debug` text.
pub trait DebugProbe<'a> {
    fn __octo_describe(self) -> ErrorReport<'a>;
}

impl<'a, E: Debug> DebugProbe<'a> for &ErrProbe<'a, E> {
    fn __octo_describe(self) -> ErrorReport<'a> {
        ErrorReport {
            message: Message::Debug(self.0),
            error_type: short_type_name::<E>(),
            error_code: None,
            type_name: type_name::<E>(),
            source: None,
        }
    }
}

/// Last resort: only the type name is known.
pub trait OpaqueProbe<'a> {
    fn __octo_describe(self) -> ErrorReport<'a>;
}

impl<'a, E: ?Sized> OpaqueProbe<'a> for ErrProbe<'a, E> {
    fn __octo_describe(self) -> ErrorReport<'a> {
        ErrorReport {
            message: Message::None,
            error_type: short_type_name::<E>(),
            error_code: None,
            type_name: type_name::<E>(),
            source: None,
        }
    }
}

/// Holds an error value while whether it has a `source()` chain is probed.
pub struct SourceProbe<'a, E: ?Sized>(pub &'a E);

impl<E: ?Sized> Clone for SourceProbe<'_, E> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<E: ?Sized> Copy for SourceProbe<'_, E> {}

/// First choice: the error is a `std::error::Error`.
pub trait StdErrorSource<'a> {
    fn __octo_source(self) -> Option<&'a (dyn std::error::Error + 'a)>;
}

impl<'a, E: std::error::Error + 'a> StdErrorSource<'a> for &&SourceProbe<'a, E> {
    fn __octo_source(self) -> Option<&'a (dyn std::error::Error + 'a)> {
        Some(self.0)
    }
}

/// Second choice: it holds one (`anyhow::Error`, `Box<dyn Error + Send + Sync>`).
pub trait BoxedErrorSource<'a> {
    fn __octo_source(self) -> Option<&'a (dyn std::error::Error + 'a)>;
}

impl<'a, E> BoxedErrorSource<'a> for &SourceProbe<'a, E>
where
    E: AsRef<dyn std::error::Error + Send + Sync + 'static> + ?Sized,
{
    fn __octo_source(self) -> Option<&'a (dyn std::error::Error + 'a)> {
        Some(self.0.as_ref())
    }
}

/// Last resort: no chain.
pub trait NoSource<'a> {
    fn __octo_source(self) -> Option<&'a (dyn std::error::Error + 'a)>;
}

impl<'a, E: ?Sized> NoSource<'a> for SourceProbe<'a, E> {
    fn __octo_source(self) -> Option<&'a (dyn std::error::Error + 'a)> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::{short_type_name, shorten};

    #[test]
    fn short_names() {
        assert_eq!(shorten("my_crate::errors::ArmError"), "ArmError");
        assert_eq!(
            shorten("(http::status::StatusCode, alloc::string::String)"),
            "(StatusCode, String)"
        );
        assert_eq!(shorten("anyhow::Error"), "anyhow::Error");
        assert_eq!(shorten("serde_json::error::Error"), "serde_json::Error");
        assert_eq!(shorten("std::io::error::Error"), "io::Error");
        assert_eq!(shorten("my::Wrapper<my::Inner>"), "Wrapper<Inner>");
    }

    #[test]
    fn fast_and_cached_paths_agree_with_shorten() {
        struct Local;
        assert_eq!(short_type_name::<Local>(), "Local");
        assert_eq!(short_type_name::<std::fmt::Error>(), "fmt::Error");
        assert_eq!(short_type_name::<(u8, String)>(), "(u8, String)");
        assert_eq!(short_type_name::<Option<Local>>(), "Option<Local>");
    }
}
