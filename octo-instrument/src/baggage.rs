//! W3C baggage: key-value entries that travel with a request from service to service (a tenant,
//! a user tier, an experiment), read from the `baggage` header by the HTTP layer, set with
//! [`set`], read with [`get`] and [`entries`], and sent on by the reqwest hook. Entries live on
//! the span they were set in, so they follow the request into its child spans and into tasks
//! started with [`spawn`](crate::spawn).
//!
//! Keys on the allow-list (`OCTO_BAGGAGE_LOG_KEYS=tenant,user_tier`, or
//! [`Config::baggage_log_keys`](crate::Config::baggage_log_keys)) are also copied onto every log
//! line inside the span, as fields of their own; other entries travel without being logged (a
//! caller chooses what it sends, and not all of it belongs in the logs).
//!
//! The header is read as the specification bounds it: at most 64 entries and 8192 bytes; a
//! malformed entry is dropped and the others kept, and what is dropped is counted in
//! `octo_telemetry_truncated_total{signal="baggage"}`.
//!
//! ```
//! let subscriber = tracing_subscriber::registry();
//! tracing::subscriber::with_default(subscriber, || {
//!     let span = tracing::info_span!("request");
//!     let _entered = span.enter();
//!     assert!(octo_instrument::baggage::set("tenant", "acme"));
//!     assert_eq!(octo_instrument::baggage::get("tenant").as_deref(), Some("acme"));
//!     let inner = tracing::info_span!("step");
//!     inner.in_scope(|| {
//!         assert_eq!(octo_instrument::baggage::entries(), [("tenant".to_owned(), "acme".to_owned())]);
//!     });
//! });
//! ```

use std::fmt::Write as _;
use std::sync::OnceLock;

use octo_instrument_core::families::signals;
use tracing::Span;

/// Entries a request's baggage holds at most (the specification's floor for implementations).
pub const MAX_ENTRIES: usize = 64;
/// Bytes a request's baggage holds at most, as its header would be written.
pub const MAX_BYTES: usize = 8192;

/// The entries set on one span.
#[derive(Clone, Debug, Default)]
struct Entries(Vec<(String, String)>);

/// The keys copied onto log lines, as `init()` read them.
static LOG_KEYS: OnceLock<Vec<&'static str>> = OnceLock::new();

/// Sets the allow-list of keys copied onto log lines (once per process: `init()` does).
pub(crate) fn set_log_keys(keys: &[String]) {
    let _ = LOG_KEYS.set(
        keys.iter()
            .map(|key| &*Box::leak(key.clone().into_boxed_str()))
            .collect(),
    );
}

/// The allow-listed key equal to `key`, as the `'static` name a line field needs.
fn log_key(key: &str) -> Option<&'static str> {
    LOG_KEYS.get()?.iter().copied().find(|k| *k == key)
}

/// Whether `key` is a baggage key: a token of the HTTP grammar, as the specification says.
pub(crate) fn valid_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 256
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// Sets `key` to `value` in the current span's baggage (it travels on with the request, and
/// onto its lines if the key is allow-listed). False when there is no current span, the key is
/// not a valid token, or the baggage would grow past [`MAX_ENTRIES`] or [`MAX_BYTES`].
pub fn set(key: &str, value: &str) -> bool {
    let span = Span::current();
    if !valid_key(key) {
        crate::prom::truncated(signals::BAGGAGE).inc();
        return false;
    }
    let mut merged = entries();
    merged.retain(|(k, _)| k != key);
    merged.push((key.to_owned(), value.to_owned()));
    if merged.len() > MAX_ENTRIES || header_len(&merged) > MAX_BYTES {
        crate::prom::truncated(signals::BAGGAGE).inc();
        return false;
    }
    attach(&span, vec![(key.to_owned(), value.to_owned())])
}

/// The value of `key` in the current baggage, the innermost span's first.
pub fn get(key: &str) -> Option<String> {
    entries()
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
}

/// Every entry of the current baggage: each span's from the innermost out, a key once.
pub fn entries() -> Vec<(String, String)> {
    let mut all: Vec<(String, String)> = Vec::new();
    crate::span_data::with_span_ref(&Span::current(), |span| {
        for span in span.scope() {
            if let Some(Entries(entries)) = span.extensions().get::<Entries>() {
                for (key, value) in entries.iter().rev() {
                    if !all.iter().any(|(k, _)| k == key) {
                        all.push((key.clone(), value.clone()));
                    }
                }
            }
        }
    });
    all
}

/// Adds `entries` to `span`'s baggage, the allow-listed ones onto its lines; false when the
/// span has no registry entry to keep them in.
pub(crate) fn attach(span: &Span, entries: Vec<(String, String)>) -> bool {
    if entries.is_empty() {
        return true;
    }
    for (key, value) in &entries {
        if let Some(key) = log_key(key) {
            crate::span_data::add_line_field(span, key, value);
        }
    }
    crate::span_data::with_span_ref(span, |span| {
        let mut extensions = span.extensions_mut();
        if let Some(Entries(existing)) = extensions.get_mut::<Entries>() {
            for (key, value) in entries {
                existing.retain(|(k, _)| *k != key);
                existing.push((key, value));
            }
        } else {
            extensions.insert(Entries(entries));
        }
    })
    .is_some()
}

/// The `baggage` header of the current baggage, if it has entries: `key=value` with values
/// percent-encoded, comma-separated.
#[cfg(feature = "reqwest")]
pub(crate) fn header() -> Option<String> {
    let entries = entries();
    (!entries.is_empty()).then(|| format_header(&entries))
}

/// `key=value,...` with values percent-encoded where the specification requires it.
pub(crate) fn format_header(entries: &[(String, String)]) -> String {
    let mut out = String::new();
    for (index, (key, value)) in entries.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        out.push_str(key);
        out.push('=');
        for byte in value.bytes() {
            // baggage-octet: printable ASCII but space, `"`, `,`, `;`, `\` and `%`.
            if (0x21..=0x7e).contains(&byte) && !b"\",;\\%".contains(&byte) {
                out.push(char::from(byte));
            } else {
                let _ = write!(out, "%{byte:02X}");
            }
        }
    }
    out
}

fn header_len(entries: &[(String, String)]) -> usize {
    format_header(entries).len()
}

/// The entries of `baggage` header lines, within the limits: a malformed entry (or one past
/// them) is dropped and counted, the rest kept.
#[cfg(any(feature = "axum", test))]
pub(crate) fn parse_header<'a>(lines: impl IntoIterator<Item = &'a str>) -> Vec<(String, String)> {
    let mut entries: Vec<(String, String)> = Vec::new();
    let mut dropped = 0u64;
    let mut bytes = 0usize;
    for member in lines.into_iter().flat_map(|line| line.split(',')) {
        let member = member.trim();
        if member.is_empty() {
            continue;
        }
        // Properties (`;ttl=30`) are not kept.
        let pair = member.split(';').next().unwrap_or_default();
        let Some((key, value)) = pair.split_once('=') else {
            dropped += 1;
            continue;
        };
        let (key, value) = (key.trim(), value.trim());
        let Some(value) = percent_decode(value) else {
            dropped += 1;
            continue;
        };
        if !valid_key(key) || entries.len() >= MAX_ENTRIES || bytes + member.len() + 1 > MAX_BYTES {
            dropped += 1;
            continue;
        }
        bytes += member.len() + 1;
        entries.retain(|(k, _)| k != key);
        entries.push((key.to_owned(), value));
    }
    if dropped > 0 {
        crate::prom::truncated(signals::BAGGAGE).inc_by(dropped);
    }
    entries
}

/// A baggage value decoded: `None` where it holds a character the specification's
/// `baggage-octet` excludes, a broken `%XX`, or decodes to control characters.
#[cfg(any(feature = "axum", test))]
fn percent_decode(text: &str) -> Option<String> {
    if text
        .bytes()
        .any(|b| b"\",;\\ ".contains(&b) || b.is_ascii_control())
    {
        return None;
    }
    crate::encode::percent::decode(text).filter(|value| !value.chars().any(char::is_control))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_read_within_the_limits_and_written_back() {
        let entries = parse_header(["tenant=acme, user.tier = gold;ttl=30", "note=a%20b%2Cc"]);
        assert_eq!(
            entries,
            [
                ("tenant".to_owned(), "acme".to_owned()),
                ("user.tier".to_owned(), "gold".to_owned()),
                ("note".to_owned(), "a b,c".to_owned()),
            ]
        );
        assert_eq!(
            format_header(&entries),
            "tenant=acme,user.tier=gold,note=a%20b%2Cc"
        );
        // Malformed members are dropped, the others kept.
        let entries = parse_header(["bad key=1,good=2,novalue,esc=%zz,ctl=%07,=x"]);
        assert_eq!(entries, [("good".to_owned(), "2".to_owned())]);
        // Past 64 entries, the rest is dropped.
        let many: Vec<String> = (0..100).map(|i| format!("k{i}=v")).collect();
        assert_eq!(parse_header([many.join(",").as_str()]).len(), MAX_ENTRIES);
        // Past 8192 bytes too.
        let long = format!("a={},b=1", "x".repeat(MAX_BYTES));
        assert_eq!(
            parse_header([long.as_str()]),
            [("b".to_owned(), "1".to_owned())]
        );
    }
}
