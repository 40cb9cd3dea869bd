//! The event catalog file: a crate's declared events, each with a description and optional
//! objectives, in `octo-events.toml` beside its `Cargo.toml`.
//!
//! ```toml
//! # Events of the orchestrator.
//! ["task.processing"]
//! description = "Processing one task end to end"
//! slo_latency_p95_ms = 5000     # optional: the P95 latency objective
//! slo_error_ratio = 0.01        # optional: the error-ratio objective
//! ```
//!
//! ```
//! use octo_instrument_core::catalog;
//!
//! let entries = catalog::parse("[\"task.processing\"]\ndescription = \"One task\"\n").unwrap();
//! assert_eq!(entries[0].name, "task.processing");
//! assert_eq!(catalog::closest("task.procesing", &entries), Some("task.processing"));
//! let (line, message) = catalog::parse("[\"a.b\"]\ncolor = 1").unwrap_err();
//! assert_eq!(line, 2);
//! assert!(message.contains("unknown key `color`"));
//! ```

use crate::event_name;

/// The file a crate's catalog is read from, beside its `Cargo.toml`.
pub const FILE_NAME: &str = "octo-events.toml";

/// The variable that names another catalog file (relative to the crate's directory).
pub const PATH_VARIABLE: &str = "OCTO_EVENT_CATALOG";

/// One declared event.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// The event name.
    pub name: String,
    /// What the event is: metric help text, dashboard titles, alert text.
    pub description: String,
    /// The objectives the generated alert rules use.
    pub objectives: Objectives,
}

/// An event's objectives, where its catalog entry declares them.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Objectives {
    /// The P95 latency objective, milliseconds.
    pub latency_p95_ms: Option<u64>,
    /// The error-ratio objective, in (0, 1).
    pub error_ratio: Option<f64>,
}

const KEYS: &str = "`description`, `slo_latency_p95_ms`, `slo_error_ratio`";

/// The catalog name closest to `name`, if one is close enough to be a typo.
pub fn closest<'a>(name: &str, entries: &'a [Entry]) -> Option<&'a str> {
    entries
        .iter()
        .map(|e| (distance(name, &e.name), e.name.as_str()))
        .filter(|(d, candidate)| *d <= (name.len().max(candidate.len()) / 3).max(2))
        .min_by_key(|(d, _)| *d)
        .map(|(_, candidate)| candidate)
}

/// Levenshtein distance, in bytes (names are ASCII).
fn distance(a: &str, b: &str) -> usize {
    let b = b.as_bytes();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.bytes().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let current = row[j + 1];
            row[j + 1] = (previous + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(current + 1);
            previous = current;
        }
    }
    row[b.len()]
}

/// Parses a catalog: `["name"]` headers, `key = value` lines, `#` comments. An error is the
/// line number and what is wrong there.
pub fn parse(text: &str) -> Result<Vec<Entry>, (usize, String)> {
    let mut entries: Vec<(Entry, usize)> = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line_no = index + 1;
        let line = strip_comment(raw).trim();
        if line.is_empty() {
            continue;
        }
        if let Some(header) = line.strip_prefix('[') {
            let Some(header) = header.strip_suffix(']') else {
                return Err((
                    line_no,
                    format!("`{line}` is not a header; write `[\"task.processing\"]`"),
                ));
            };
            let name = header.trim().trim_matches('"');
            event_name::check_grammar(name).map_err(|err| (line_no, err.to_string()))?;
            if let Some((_, first)) = entries.iter().find(|(e, _)| e.name == name) {
                return Err((
                    line_no,
                    format!("event {name:?} is declared twice (first on line {first})"),
                ));
            }
            entries.push((
                Entry {
                    name: name.to_owned(),
                    description: String::new(),
                    objectives: Objectives::default(),
                },
                line_no,
            ));
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            return Err((
                line_no,
                format!("`{line}` is neither a header nor `key = value`"),
            ));
        };
        let (key, value) = (key.trim(), value.trim());
        let Some((entry, _)) = entries.last_mut() else {
            return Err((
                line_no,
                format!("`{key}` comes before any `[\"event.name\"]` header"),
            ));
        };
        match key {
            "description" => {
                let text = parse_string(value).ok_or_else(|| {
                    (
                        line_no,
                        format!("`description` is a quoted string, not `{value}`"),
                    )
                })?;
                if text.trim().is_empty() {
                    return Err((
                        line_no,
                        format!("the description of {:?} is empty", entry.name),
                    ));
                }
                entry.description = text;
            }
            "slo_latency_p95_ms" => {
                let ms = value.parse::<u64>().ok().filter(|ms| *ms > 0).ok_or_else(|| {
                    (line_no, format!("`slo_latency_p95_ms` is a whole number of milliseconds above 0, not `{value}`"))
                })?;
                entry.objectives.latency_p95_ms = Some(ms);
            }
            "slo_error_ratio" => {
                let ratio = value
                    .parse::<f64>()
                    .ok()
                    .filter(|r| *r > 0.0 && *r < 1.0)
                    .ok_or_else(|| {
                        (line_no, format!("`slo_error_ratio` is a ratio between 0 and 1, such as 0.01, not `{value}`"))
                    })?;
                entry.objectives.error_ratio = Some(ratio);
            }
            other => {
                return Err((
                    line_no,
                    format!("unknown key `{other}`; expected one of {KEYS}"),
                ));
            }
        }
    }
    entries
        .into_iter()
        .map(|(entry, line)| {
            if entry.description.is_empty() {
                Err((line, format!("event {:?} has no `description`", entry.name)))
            } else {
                Ok(entry)
            }
        })
        .collect()
}

fn strip_comment(line: &str) -> &str {
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match c {
            '\\' if in_string => escaped = !escaped,
            '"' if !escaped => in_string = !in_string,
            '#' if !in_string => return &line[..i],
            _ => escaped = false,
        }
        if c != '\\' {
            escaped = false;
        }
    }
    line
}

fn parse_string(value: &str) -> Option<String> {
    let inner = value.strip_prefix('"')?.strip_suffix('"')?;
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next()? {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                c @ ('"' | '\\') => out.push(c),
                _ => return None,
            },
            '"' => return None,
            c => out.push(c),
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_and_errors() {
        let entries = parse(
            "# comment\n[\"task.processing\"]\ndescription = \"Processing # one\" # trailing\n\
             slo_latency_p95_ms = 5000\nslo_error_ratio = 0.01\n\n[llm.request]\ndescription = \"A model call\"\n",
        )
        .unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].description, "Processing # one");
        assert_eq!(entries[0].objectives.latency_p95_ms, Some(5000));
        assert_eq!(entries[1].name, "llm.request");

        for (text, line, fragment) in [
            (
                "[\"a.b\"]\ndescripton = \"x\"",
                2,
                "unknown key `descripton`",
            ),
            (
                "[\"a.b\"]\ndescription = \"x\"\n[\"a.b\"]",
                3,
                "declared twice",
            ),
            ("[\"A.b\"]", 1, "invalid segment"),
            ("[\"a.b\"]", 1, "no `description`"),
            ("description = \"x\"", 1, "before any"),
            (
                "[\"a.b\"]\ndescription = \"x\"\nslo_error_ratio = 2",
                3,
                "between 0 and 1",
            ),
        ] {
            let (got_line, message) = parse(text).err().unwrap();
            assert_eq!(got_line, line, "{text}");
            assert!(message.contains(fragment), "{message}");
        }
    }

    #[test]
    fn suggestions() {
        let entries = parse(
            "[\"task.processing\"]\ndescription = \"x\"\n[\"llm.request\"]\ndescription = \"y\"",
        )
        .unwrap();
        assert_eq!(closest("task.procesing", &entries), Some("task.processing"));
        assert_eq!(closest("llm.requests", &entries), Some("llm.request"));
        assert_eq!(closest("billing.invoice", &entries), None);
    }
}
