//! A span's W3C trace context: what `traceparent` and `tracestate` carry between services.

#[cfg(any(feature = "reqwest", test))]
use crate::encode::hex::push_hex;

/// The ids, sampling decision and vendor state of one span, as propagated.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct TraceContext {
    pub(crate) trace_id: [u8; 16],
    pub(crate) span_id: [u8; 8],
    pub(crate) sampled: bool,
    /// `tracestate`, header form; empty for none.
    pub(crate) trace_state: String,
}

#[cfg(any(feature = "reqwest", test))]
impl TraceContext {
    /// The `traceparent` header: version `00`, the ids, the sampled flag.
    pub(crate) fn traceparent(&self) -> String {
        let mut out = String::with_capacity(55);
        out.push_str("00-");
        push_hex(&mut out, &self.trace_id);
        out.push('-');
        push_hex(&mut out, &self.span_id);
        out.push_str(if self.sampled { "-01" } else { "-00" });
        out
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn traceparent_is_version_00() {
        let context = super::TraceContext {
            trace_id: [0x4b; 16],
            span_id: [0x0f; 8],
            sampled: true,
            trace_state: String::new(),
        };
        assert_eq!(
            context.traceparent(),
            format!("00-{}-{}-01", "4b".repeat(16), "0f".repeat(8))
        );
    }
}
