//! W3C Trace Context headers, read exactly as the specification writes them
//! (<https://www.w3.org/TR/trace-context/>). A header that is not well-formed continues nothing:
//! the request starts a new trace. The parsers take client input, so they never allocate for a
//! rejected value and never accept a "nearly right" one (a short id left-padded, flags `1`).

use octo_instrument_core::families::signals;

/// A parsed `traceparent`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TraceParent {
    pub(crate) trace_id: [u8; 16],
    pub(crate) span_id: [u8; 8],
    pub(crate) flags: u8,
}

/// Length of a version-00 `traceparent`: `00-` + 32 + `-` + 16 + `-` + 2.
const TRACEPARENT_LEN: usize = 55;

/// The most list members a `tracestate` may have.
const MAX_TRACESTATE_MEMBERS: usize = 32;
/// The combined `tracestate` length propagated: the specification asks for at least 512
/// characters, and a longer state (32 members can make 16 KB) is sent on every outbound call.
const MAX_TRACESTATE_LEN: usize = 512;
/// Members longer than this go first when the state is over [`MAX_TRACESTATE_LEN`].
const LONG_TRACESTATE_MEMBER: usize = 128;

/// Parses `traceparent`. Version `00` must be exactly 55 characters of lowercase hex and dashes;
/// version `ff` is invalid; a later version is read by its first four fields (what follows them
/// must start with `-`). The trace and span ids must not be all zeros.
pub(crate) fn parse_traceparent(value: &str) -> Option<TraceParent> {
    let bytes = value.as_bytes();
    if bytes.len() < TRACEPARENT_LEN {
        return None;
    }
    let version = hex_byte(&bytes[0..2])?;
    match version {
        0x00 if bytes.len() != TRACEPARENT_LEN => return None,
        0xff => return None,
        // A future version may append fields, separated by a dash.
        _ if bytes.len() > TRACEPARENT_LEN && bytes[TRACEPARENT_LEN] != b'-' => return None,
        _ => {}
    }
    if bytes[2] != b'-' || bytes[35] != b'-' || bytes[52] != b'-' {
        return None;
    }
    let mut trace_id = [0u8; 16];
    for (i, byte) in trace_id.iter_mut().enumerate() {
        *byte = hex_byte(&bytes[3 + 2 * i..5 + 2 * i])?;
    }
    let mut span_id = [0u8; 8];
    for (i, byte) in span_id.iter_mut().enumerate() {
        *byte = hex_byte(&bytes[36 + 2 * i..38 + 2 * i])?;
    }
    let flags = hex_byte(&bytes[53..55])?;
    if trace_id == [0; 16] || span_id == [0; 8] {
        return None;
    }
    Some(TraceParent {
        trace_id,
        span_id,
        flags,
    })
}

/// Parses the request's `traceparent` header lines: a trace is continued only from exactly one.
/// Two lines are ambiguous (which caller is the parent?), so the specification's test suite
/// expects a new trace, as for a malformed value.
pub(crate) fn parse_single_traceparent<'a>(
    mut lines: impl Iterator<Item = &'a str>,
) -> Option<TraceParent> {
    let first = lines.next()?;
    if lines.next().is_some() {
        return None;
    }
    parse_traceparent(first)
}

/// Two lowercase hex digits.
fn hex_byte(pair: &[u8]) -> Option<u8> {
    let digit = |b: u8| match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        _ => None,
    };
    Some(digit(pair[0])? << 4 | digit(pair[1])?)
}

/// Parses the `tracestate` header lines (several lines form one list): the list members in
/// order, or `None` when the list is over the specification's limits (more than 32 members),
/// has a member that is not `key=value` by its grammar, or repeats a key. Then it is dropped
/// whole: a partial state could misinform the vendor that wrote it.
pub(crate) fn parse_tracestate<'a>(lines: &[&'a str]) -> Option<Vec<(&'a str, &'a str)>> {
    let mut members: Vec<(&str, &str)> = Vec::new();
    for member in lines.iter().flat_map(|line| line.split(',')) {
        let member = member.trim_matches([' ', '\t']);
        if member.is_empty() {
            continue;
        }
        let (key, value) = member.split_once('=')?;
        if !valid_key(key) || !valid_value(value) || members.iter().any(|(k, _)| *k == key) {
            return None;
        }
        members.push((key, value));
        if members.len() > MAX_TRACESTATE_MEMBERS {
            return None;
        }
    }
    Some(members)
}

/// Shortens a parsed state to [`MAX_TRACESTATE_LEN`] as the specification says to: members
/// over [`LONG_TRACESTATE_MEMBER`] characters first, then from the end (the oldest). Returns
/// how many members were removed; a shortened state counts in
/// `octo_telemetry_truncated_total{signal="spans"}`.
pub(crate) fn fit_tracestate(members: &mut Vec<(&str, &str)>) -> usize {
    let entry = |(key, value): &(&str, &str)| key.len() + 1 + value.len();
    let combined = |members: &[(&str, &str)]| {
        members.iter().map(entry).sum::<usize>() + members.len().saturating_sub(1)
    };
    let before = members.len();
    while combined(members) > MAX_TRACESTATE_LEN {
        match members
            .iter()
            .rposition(|member| entry(member) > LONG_TRACESTATE_MEMBER)
        {
            Some(long) => {
                members.remove(long);
            }
            None => {
                members.pop();
            }
        }
    }
    let removed = before - members.len();
    if removed > 0 {
        crate::prom::truncated(signals::SPANS).inc();
    }
    removed
}

/// `simple-key` or `tenant-id@system-id`: lowercase letters, digits, `_ - * /`; at most 256
/// characters, a tenant id of at most 241 and a system id of at most 14.
fn valid_key(key: &str) -> bool {
    let part = |text: &str, max: usize, digit_first: bool| {
        let mut bytes = text.bytes();
        let first_ok = bytes
            .next()
            .is_some_and(|b| b.is_ascii_lowercase() || (digit_first && b.is_ascii_digit()));
        first_ok
            && text.len() <= max
            && bytes.all(|b| {
                b.is_ascii_lowercase()
                    || b.is_ascii_digit()
                    || matches!(b, b'_' | b'-' | b'*' | b'/')
            })
    };
    match key.split_once('@') {
        None => part(key, 256, false),
        Some((tenant, system)) => part(tenant, 241, true) && part(system, 14, false),
    }
}

/// At most 256 printable ASCII characters other than `,` and `=`, not ending in a space.
fn valid_value(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= 256
        && !value.ends_with(' ')
        && value
            .bytes()
            .all(|b| (0x20..=0x7e).contains(&b) && b != b',' && b != b'=')
}

#[cfg(test)]
mod tests {
    use super::*;

    const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
    const SPAN: &str = "00f067aa0ba902b7";

    #[test]
    fn version_00_exactly() {
        let parsed = parse_traceparent(&format!("00-{TRACE}-{SPAN}-01")).unwrap();
        assert_eq!(parsed.trace_id[0], 0x4b);
        assert_eq!(parsed.span_id[7], 0xb7);
        assert_eq!(parsed.flags, 1);
        assert_eq!(
            parse_traceparent(&format!("00-{TRACE}-{SPAN}-00"))
                .unwrap()
                .flags,
            0
        );
        for bad in [
            format!("00-{}-{SPAN}-01", &TRACE[1..]), // 31-hex trace id
            format!("00-{}-{SPAN}-01", &TRACE[..8]), // 8-hex trace id
            format!("00-{TRACE}-{}-01", &SPAN[1..]), // 15-hex span id
            format!("00-{TRACE}-{SPAN}-1"),          // one-digit flags
            format!("00-{TRACE}-{SPAN}-001"),        // three-digit flags
            format!("00-{TRACE}-{SPAN}-01-extra"),   // extra field on version 00
            format!("00-{}-{SPAN}-01", TRACE.to_uppercase()), // uppercase
            format!("ff-{TRACE}-{SPAN}-01"),         // version ff
            format!("0-{TRACE}-{SPAN}-01"),
            format!("00-{}-{SPAN}-01", "0".repeat(32)), // zero trace id
            format!("00-{TRACE}-{}-01", "0".repeat(16)), // zero span id
            format!("00_{TRACE}-{SPAN}-01"),
            format!("00-{TRACE}-{SPAN}-0g"),
            String::new(),
        ] {
            assert_eq!(parse_traceparent(&bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_long_tracestate_is_shortened_long_members_first() {
        let long = "v".repeat(200);
        let medium = "m".repeat(100);
        let mut members = vec![("a", medium.as_str()), ("big", long.as_str())];
        for key in ["b", "c", "d", "e"] {
            members.push((key, medium.as_str()));
        }
        // 6 members: 5 × 102 + 204 + 5 commas = 719 characters; without the long one 514,
        // without `e` too 411.
        assert_eq!(fit_tracestate(&mut members), 2);
        let keys: Vec<&str> = members.iter().map(|(k, _)| *k).collect();
        assert_eq!(
            keys,
            ["a", "b", "c", "d"],
            "the long one, then from the end"
        );
        let mut short = vec![("rojo", "00f067aa0ba902b7")];
        assert_eq!(fit_tracestate(&mut short), 0);
    }

    #[test]
    fn two_traceparent_lines_continue_nothing() {
        let one = format!("00-{TRACE}-{SPAN}-01");
        assert!(parse_single_traceparent([one.as_str()].into_iter()).is_some());
        assert_eq!(
            parse_single_traceparent([one.as_str(), one.as_str()].into_iter()),
            None
        );
        assert_eq!(parse_single_traceparent(std::iter::empty()), None);
    }

    #[test]
    fn future_versions_by_their_first_four_fields() {
        let parsed = parse_traceparent(&format!("cc-{TRACE}-{SPAN}-01-what-comes-next"));
        assert_eq!(parsed.map(|p| p.flags), Some(1));
        assert!(parse_traceparent(&format!("cc-{TRACE}-{SPAN}-01")).is_some());
        assert_eq!(parse_traceparent(&format!("cc-{TRACE}-{SPAN}-01x")), None);
    }

    #[test]
    fn tracestate_within_the_limits_or_dropped() {
        assert_eq!(
            parse_tracestate(&["rojo=00f067aa0ba902b7, congo=t61rcWkgMzE", "a@b=1"]),
            Some(vec![
                ("rojo", "00f067aa0ba902b7"),
                ("congo", "t61rcWkgMzE"),
                ("a@b", "1")
            ])
        );
        assert_eq!(parse_tracestate(&[""]), Some(vec![]));
        let many: Vec<String> = (0..33).map(|i| format!("k{i}=v")).collect();
        assert_eq!(parse_tracestate(&[&many.join(",")]), None);
        assert_eq!(
            parse_tracestate(&[&many[..32].join(",")]).unwrap().len(),
            32
        );
        for bad in [
            "novalue",
            "Upper=1",
            "k=v,k=w",
            "k=a=b",
            "k=\u{e9}",
            &format!("k={}", "v".repeat(257)),
        ] {
            assert_eq!(parse_tracestate(&[bad]), None, "{bad:?}");
        }
    }
}
