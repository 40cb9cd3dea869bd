//! `X-Request-ID`: kept when it is safe to repeat, else replaced; readable anywhere inside the
//! request.

use std::fmt;
use std::sync::Arc;

use http::HeaderValue;
// The grammar is core's, so that `octo-ops` matches in log lines exactly the ids kept here.
use octo_instrument_core::request_id::is_well_formed;

/// The request-id header, lowercase as HTTP/2 sends it.
pub const HEADER: &str = "x-request-id";

/// The id of the request being handled: the caller's `X-Request-ID` when it is 1–128
/// characters of `[A-Za-z0-9._:-]`, otherwise a fresh `req_` + 16 lowercase hex digits.
/// Anything else (empty, too long, control characters, CR/LF, non-ASCII) is never echoed.
///
/// ```
/// use octo_instrument::http::RequestId;
///
/// assert_eq!(RequestId::from_header(Some("req_9f86d081884c7d65")).as_str(), "req_9f86d081884c7d65");
/// let fresh = RequestId::from_header(Some("evil\r\nSet-Cookie: a=b"));
/// assert!(fresh.as_str().starts_with("req_") && fresh.as_str().len() == 20);
/// assert_ne!(RequestId::new(), RequestId::new());
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct RequestId(Arc<str>);

impl RequestId {
    /// A fresh id: `req_` and 64 random bits in hex.
    pub fn new() -> Self {
        let mut id = String::with_capacity(20);
        id.push_str("req_");
        crate::encode::hex::push_hex(&mut id, &crate::random::u64().to_be_bytes());
        Self(id.into())
    }

    /// The inbound header's value when it is well-formed, else a fresh id.
    pub fn from_header(value: Option<&str>) -> Self {
        Self::well_formed(value).unwrap_or_default()
    }

    /// `value` as an id, if it is well-formed.
    pub(crate) fn well_formed(value: Option<&str>) -> Option<Self> {
        value
            .filter(|value| is_well_formed(value))
            .map(|value| Self(value.into()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The id of the request the current span belongs to, if any: what outbound requests
    /// carry, and what handlers deep in a call stack can log or return.
    ///
    /// ```
    /// assert_eq!(octo_instrument::http::RequestId::current(), None);
    /// ```
    pub fn current() -> Option<Self> {
        crate::span_data::with_span_ref(&tracing::Span::current(), |span| {
            span.scope()
                .find_map(|span| span.extensions().get::<Self>().cloned())
        })
        .flatten()
    }

    pub(crate) fn header_value(&self) -> HeaderValue {
        HeaderValue::from_str(&self.0).expect("request ids are visible ASCII")
    }
}

impl Default for RequestId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_or_replaced() {
        // The grammar's own cases are core's test; here, that a header is kept or replaced by it.
        for kept in ["req_1", &"x".repeat(128)] {
            assert_eq!(RequestId::from_header(Some(kept)).as_str(), kept);
        }
        for replaced in ["", "a\r\nb", &"x".repeat(129)] {
            let id = RequestId::from_header(Some(replaced));
            assert!(id.as_str().starts_with("req_"), "{replaced:?}");
            assert_eq!(id.as_str().len(), 20);
            assert!(
                id.as_str()[4..]
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
            );
        }
    }

    #[test]
    fn fresh_ids_differ() {
        let ids: std::collections::HashSet<_> = (0..1000).map(|_| RequestId::new()).collect();
        assert_eq!(ids.len(), 1000);
    }
}
