//! `Redacted<T>`: a secret that prints as `[REDACTED]` everywhere.

use std::fmt;

use super::{FieldValue, Recorder};

/// What a redacted value is written as.
pub const REDACTED: &str = "[REDACTED]";

/// Holds a secret so that no formatting can leak it: `Debug`, `Display`, serde serialisation
/// (feature `serde`) and contract recording all print `[REDACTED]`. Read it with
/// [`expose`](Self::expose) where it is really used.
///
/// ```
/// use octo_instrument::Redacted;
///
/// let key = Redacted::new("sk-live-123".to_owned());
/// assert_eq!(format!("{key} {key:?} {:?}", Some(&key)), "[REDACTED] [REDACTED] Some([REDACTED])");
/// assert_eq!(key.expose(), "sk-live-123");
/// ```
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Redacted<T>(T);

impl<T> Redacted<T> {
    /// Wraps a secret.
    pub const fn new(secret: T) -> Self {
        Self(secret)
    }

    /// The secret itself.
    pub fn expose(&self) -> &T {
        &self.0
    }

    /// Unwraps the secret.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> From<T> for Redacted<T> {
    fn from(secret: T) -> Self {
        Self(secret)
    }
}

impl<T> fmt::Debug for Redacted<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl<T> fmt::Display for Redacted<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl<T> FieldValue for Redacted<T> {
    fn record_to(&self, name: &'static str, recorder: &mut dyn Recorder) {
        recorder.record_redacted(name);
    }
}

#[cfg(feature = "serde")]
impl<T> serde::Serialize for Redacted<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(REDACTED)
    }
}

#[cfg(all(test, feature = "serde"))]
mod tests {
    use super::Redacted;

    #[test]
    fn serialises_as_redacted() {
        let value = Redacted::new("sk-live-123".to_owned());
        assert_eq!(serde_json::to_string(&value).unwrap(), r#""[REDACTED]""#);
    }
}
