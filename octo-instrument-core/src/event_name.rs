//! The grammar of event names: two or more `.`-separated segments of `[a-z][a-z0-9_]*`, at most
//! [`MAX_LEN`] bytes; an `#[observed]` event may not end in one of the [`OUTCOME_SUFFIXES`] it
//! appends itself. The macros check names with it when a crate compiles, the runtime when a name
//! only exists at run time.
//!
//! ```
//! use octo_instrument_core::event_name::{check_grammar, check_observed};
//!
//! assert!(check_observed("task.processing").is_ok());
//! let err = check_observed("task.Processing").unwrap_err();
//! assert_eq!(err.range(), Some(5..15));
//! assert!(err.to_string().contains("`Processing`"));
//! assert!(check_observed("task.completed").is_err());
//! assert!(check_grammar("task.completed").is_ok());
//! ```

use std::fmt;
use std::ops::Range;

/// Longest event name accepted, in bytes.
pub const MAX_LEN: usize = 128;

/// The last segments `#[observed]` appends to an event for its log lines, by line.
pub mod suffixes {
    /// `<event>.started`: the call began.
    pub const STARTED: &str = "started";
    /// `<event>.completed`: the call returned a value that is not an error.
    pub const COMPLETED: &str = "completed";
    /// `<event>.failed`: the call returned an error.
    pub const FAILED: &str = "failed";
    /// `<event>.panicked`: the call panicked.
    pub const PANICKED: &str = "panicked";
    /// `<event>.cancelled`: the call was dropped before it finished.
    pub const CANCELLED: &str = "cancelled";
    /// `<event>.slow`: the call took longer than its `slow_ms`.
    pub const SLOW: &str = "slow";
}

/// The last segments `#[observed]` appends to an event for its log lines, in the order of its
/// lines: started, completed, failed, panicked, cancelled, slow.
pub const OUTCOME_SUFFIXES: [&str; 6] = [
    suffixes::STARTED,
    suffixes::COMPLETED,
    suffixes::FAILED,
    suffixes::PANICKED,
    suffixes::CANCELLED,
    suffixes::SLOW,
];

/// The name of `event`'s log line `suffix` (one of [`OUTCOME_SUFFIXES`]): `task.processing.started`.
///
/// ```
/// use octo_instrument_core::event_name::{line_name, suffixes};
///
/// assert_eq!(line_name("task.processing", suffixes::SLOW), "task.processing.slow");
/// ```
pub fn line_name(event: &str, suffix: &str) -> String {
    format!("{event}.{suffix}")
}

/// Why a name is not an event name. Its `Display` is a sentence for the user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventNameError {
    name: String,
    kind: ErrorKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum ErrorKind {
    TooLong,
    TooFewSegments,
    EmptySegment,
    InvalidSegment(Range<usize>),
    OutcomeSuffix(Range<usize>),
}

impl EventNameError {
    /// The bytes of the name at fault (a segment), where there is one: macros point their error
    /// at it.
    pub fn range(&self) -> Option<Range<usize>> {
        match &self.kind {
            ErrorKind::InvalidSegment(range) | ErrorKind::OutcomeSuffix(range) => {
                Some(range.clone())
            }
            _ => None,
        }
    }
}

impl fmt::Display for EventNameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = &self.name;
        match &self.kind {
            ErrorKind::TooLong => write!(
                f,
                "event name is {} bytes long; the limit is {MAX_LEN}",
                name.len()
            ),
            ErrorKind::TooFewSegments => write!(
                f,
                "event name {name:?} needs at least two `.`-separated segments, as in \
                 \"task.processing\""
            ),
            ErrorKind::EmptySegment => write!(
                f,
                "event name {name:?} has an empty segment; segments are separated by single dots"
            ),
            ErrorKind::InvalidSegment(range) => write!(
                f,
                "invalid segment `{}` in event name {name:?}: segments are lowercase \
                 `[a-z][a-z0-9_]*`, as in \"task.processing\"",
                &name[range.clone()]
            ),
            ErrorKind::OutcomeSuffix(range) => write!(
                f,
                "event name {name:?} ends in `{}`, which `#[observed]` adds itself; name the \
                 operation instead (\"{}\")",
                &name[range.clone()],
                name[..range.start].trim_end_matches('.')
            ),
        }
    }
}

impl std::error::Error for EventNameError {}

/// Checks the grammar alone: what a log event (`info!("task.created", ..)`) or a catalog entry
/// must satisfy.
pub fn check_grammar(name: &str) -> Result<(), EventNameError> {
    let fail = |kind| {
        Err(EventNameError {
            name: name.to_owned(),
            kind,
        })
    };
    if name.len() > MAX_LEN {
        return fail(ErrorKind::TooLong);
    }
    if !name.contains('.') {
        return fail(ErrorKind::TooFewSegments);
    }
    let mut start = 0;
    for segment in name.split('.') {
        let range = start..start + segment.len();
        start = range.end + 1;
        if segment.is_empty() {
            return fail(ErrorKind::EmptySegment);
        }
        if !is_segment(segment) {
            return fail(ErrorKind::InvalidSegment(range));
        }
    }
    Ok(())
}

/// Checks an `#[observed]` event name: the grammar, and no outcome suffix.
pub fn check_observed(name: &str) -> Result<(), EventNameError> {
    check_grammar(name)?;
    let last = name.rfind('.').map_or(0, |dot| dot + 1);
    if OUTCOME_SUFFIXES.contains(&&name[last..]) {
        return Err(EventNameError {
            name: name.to_owned(),
            kind: ErrorKind::OutcomeSuffix(last..name.len()),
        });
    }
    Ok(())
}

fn is_segment(segment: &str) -> bool {
    let mut bytes = segment.bytes();
    matches!(bytes.next(), Some(b'a'..=b'z'))
        && bytes.all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'_'))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `(name, None)` is valid; `(name, Some(fragment))` is invalid and its message contains
    /// `fragment`.
    const CASES: &[(&str, Option<&str>)] = &[
        ("task.processing", None),
        ("task.created", None),
        ("llm.api_call", None),
        ("a.b", None),
        ("arm.coder.v2", None),
        ("http.request_2xx", None),
        ("task", Some("at least two")),
        ("", Some("at least two")),
        ("task.", Some("empty segment")),
        (".task", Some("empty segment")),
        ("task..processing", Some("empty segment")),
        ("task.Processing", Some("`Processing`")),
        ("task.2nd", Some("`2nd`")),
        ("task.process-ing", Some("`process-ing`")),
        ("task._private", Some("`_private`")),
        ("tâche.process", Some("`tâche`")),
        ("task processing.x", Some("`task processing`")),
        ("task.processing.started", Some("`started`")),
        ("task.completed", Some("`completed`")),
        ("task.failed", Some("`failed`")),
        ("task.panicked", Some("`panicked`")),
        ("task.cancelled", Some("`cancelled`")),
        ("task.slow", Some("`slow`")),
    ];

    #[test]
    fn one_table_of_names() {
        let long = format!("a.{}", "a".repeat(127));
        let cases = CASES.iter().copied().chain([(long.as_str(), Some("128"))]);
        for (name, expected) in cases {
            match (check_observed(name), expected) {
                (Ok(()), None) => {}
                (Err(err), Some(fragment)) => {
                    let message = err.to_string();
                    assert!(message.contains(fragment), "{name:?}: {message:?}");
                }
                (got, want) => panic!("{name:?}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn ranges_point_at_the_segment() {
        let err = check_observed("task.processing.started").unwrap_err();
        assert_eq!(err.range(), Some(16..23));
        assert!(err.to_string().contains("(\"task.processing\")"));
        assert_eq!(check_grammar("task").unwrap_err().range(), None);
    }
}
