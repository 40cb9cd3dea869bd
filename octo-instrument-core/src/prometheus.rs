//! The grammars of Prometheus names: what a family or a label may be called, checked when a crate
//! compiles so that a name can never make registration (or every scrape) fail at run time.
//!
//! ```
//! use octo_instrument_core::prometheus::{is_label_name, is_metric_name};
//!
//! assert!(is_metric_name("task_duration_seconds"));
//! assert!(!is_metric_name("task-duration"));
//! assert!(is_label_name("priority"));
//! assert!(!is_label_name("größe"));
//! ```

/// `[a-zA-Z_:][a-zA-Z0-9_:]*`: a metric family name.
pub fn is_metric_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// `[a-zA-Z_][a-zA-Z0-9_]*`: a label name (names starting with `__` are Prometheus' own).
pub fn is_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Label names Prometheus keeps for itself.
pub fn is_internal_label(name: &str) -> bool {
    name.starts_with("__")
}

/// The metric name grammar as error messages state it.
pub const METRIC_NAME_GRAMMAR: &str = "[a-zA-Z_:][a-zA-Z0-9_:]*";

/// The label name grammar as error messages state it.
pub const LABEL_NAME_GRAMMAR: &str = "[a-zA-Z_][a-zA-Z0-9_]*";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grammars() {
        for good in ["a", "_x", "a:b", "A_1"] {
            assert!(is_metric_name(good), "{good}");
        }
        for bad in ["", "1a", "a-b", "a.b", "é"] {
            assert!(!is_metric_name(bad), "{bad}");
        }
        for good in ["a", "_x", "type", "A_1"] {
            assert!(is_label_name(good), "{good}");
        }
        for bad in ["", "1a", "a:b", "r#type", "größe"] {
            assert!(!is_label_name(bad), "{bad}");
        }
        assert!(is_internal_label("__name__"));
    }
}
