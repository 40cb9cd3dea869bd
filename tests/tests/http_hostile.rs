//! Hostile `X-Request-ID` and `traceparent` values, sent byte for byte over a raw socket: nothing
//! is echoed, nothing panics, and every response is still a correct one.

use axum::Router;
use axum::routing::get;
use octo_instrument::http::{RequestId, ServerLayer};
use octo_instrument_tests::traced::{serve, traced};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

/// The handler answers with the request id and trace id it runs under.
async fn ids(id: RequestId) -> String {
    let (trace_id, _) = octo_instrument::trace::current_ids().expect("inside the server span");
    format!("{id} {trace_id}")
}

struct Case {
    name: &'static str,
    header: &'static str,
    value: Vec<u8>,
    /// For `traceparent`: whether the caller's trace must be continued.
    continues: bool,
    /// What must never come back; the whole value unless it smuggles a second header.
    forbidden: Vec<u8>,
    /// The request id the server must keep, where the value holds a well-formed one.
    kept: Option<&'static str>,
}

#[allow(clippy::too_many_lines)] // one table: a case per hostile value
fn cases() -> Vec<Case> {
    let id = |name, value: &[u8]| Case {
        name,
        header: "X-Request-ID",
        value: value.to_vec(),
        continues: false,
        forbidden: value.to_vec(),
        kept: None,
    };
    let tp = |name, value: String, continues| Case {
        name,
        header: "traceparent",
        forbidden: value.clone().into_bytes(),
        value: value.into_bytes(),
        continues,
        kept: None,
    };
    vec![
        id("empty", b""),
        id("10 KB", &[b'a'; 10 * 1024]),
        id("129 characters", &[b'b'; 129]),
        id("control characters", b"req\x01\x7fid"),
        Case {
            forbidden: b"stolen=1".to_vec(),
            kept: Some("req_x"),
            ..id("CR/LF header injection", b"req_x\r\nSet-Cookie: stolen=1")
        },
        id("non-ASCII", "req_\u{e9}\u{2713}".as_bytes()),
        id("markup and quotes", b"\"><script>alert(1)</script>"),
        id("spaces", b"req id with spaces"),
        id("JSON breaker", b"req\",\"level\":\"critical"),
        tp("empty traceparent", String::new(), false),
        tp("10 KB traceparent", "0".repeat(10 * 1024), false),
        tp(
            "wrong version ff",
            format!("ff-{TRACE_ID}-00f067aa0ba902b7-01"),
            false,
        ),
        tp(
            "all-zero trace id",
            format!("00-{}-00f067aa0ba902b7-01", "0".repeat(32)),
            false,
        ),
        tp(
            "all-zero span id",
            format!("00-{TRACE_ID}-{}-01", "0".repeat(16)),
            false,
        ),
        tp(
            "extra fields on version 00",
            format!("00-{TRACE_ID}-00f067aa0ba902b7-01-extra"),
            false,
        ),
        tp(
            "short trace id",
            "00-4bf92f35-00f067aa0ba902b7-01".to_owned(),
            false,
        ),
        tp(
            "31-hex trace id",
            format!("00-{}-00f067aa0ba902b7-01", &TRACE_ID[1..]),
            false,
        ),
        tp(
            "15-hex span id",
            format!("00-{TRACE_ID}-0f067aa0ba902b7-01"),
            false,
        ),
        tp(
            "one-digit flags",
            format!("00-{TRACE_ID}-00f067aa0ba902b7-1"),
            false,
        ),
        tp(
            "three-digit flags",
            format!("00-{TRACE_ID}-00f067aa0ba902b7-001"),
            false,
        ),
        tp(
            "uppercase hex",
            format!("00-{}-00f067aa0ba902b7-01", TRACE_ID.to_uppercase()),
            false,
        ),
        tp(
            "future version with a malformed tail",
            format!("cc-{TRACE_ID}-00f067aa0ba902b7-01x"),
            false,
        ),
        tp(
            "future version, read by its first four fields",
            format!("cc-{TRACE_ID}-00f067aa0ba902b7-01-more-fields"),
            true,
        ),
        tp(
            "non-hex",
            format!("00-{}-00f067aa0ba902b7-01", "g".repeat(32)),
            false,
        ),
        Case {
            forbidden: b"X-Evil".to_vec(),
            ..tp(
                "CR/LF in traceparent",
                format!("00-{TRACE_ID}-00f067aa0ba902b7-01\r\nX-Evil: 1"),
                true,
            )
        },
        Case {
            forbidden: b"two-lines".to_vec(),
            ..tp(
                "two traceparent lines (ambiguous parent)",
                format!(
                    "00-{TRACE_ID}-00f067aa0ba902b7-01\r\ntraceparent: 00-{TRACE_ID}-00f067aa0ba902b7-01"
                ),
                false,
            )
        },
        tp(
            "well-formed (control)",
            format!("00-{TRACE_ID}-00f067aa0ba902b7-01"),
            true,
        ),
    ]
}

async fn send_raw(base: &str, header: &str, value: &[u8]) -> Vec<u8> {
    let addr = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut request =
        b"GET /hostile/ids HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n".to_vec();
    request.extend_from_slice(header.as_bytes());
    request.extend_from_slice(b": ");
    request.extend_from_slice(value);
    request.extend_from_slice(b"\r\n\r\n");
    stream.write_all(&request).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    response
}

/// The trace id a lenient parser makes of a `traceparent`: its second field left-padded with
/// zeros (what OpenTelemetry's propagator did). A rejected header must not continue that trace
/// either, or a test comparing only against the well-formed id could pass on a padded one.
fn left_padded(value: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(value).ok()?;
    let field = text.split('-').nth(1)?;
    (!field.is_empty() && field.len() <= 32 && field.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| format!("{:0>32}", field.to_ascii_lowercase()))
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.len() >= 3 && haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn hostile_headers_are_never_echoed_and_never_break_a_response() {
    let run = traced(0, async {
        let app = Router::new()
            .route("/hostile/ids", get(ids))
            .layer(ServerLayer::new());
        let base = serve(app).await;
        let mut responses = Vec::new();
        for case in cases() {
            responses.push(send_raw(&base, case.header, &case.value).await);
        }
        // The server is still up and correct after all of them.
        let last = reqwest::get(format!("{base}/hostile/ids")).await.unwrap();
        assert_eq!(last.status(), 200);
        responses
    });
    let logs = run.logs.text();
    let mut refused = Vec::new();
    for (case, response) in cases().iter().zip(&run.output) {
        let text = String::from_utf8_lossy(response);
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        assert!(
            !contains(response, &case.forbidden) || case.continues,
            "{}: echoed in {text}",
            case.name
        );
        assert!(
            !text.contains("Set-Cookie") && !text.contains("X-Evil"),
            "{}: {text}",
            case.name
        );
        assert!(
            !contains(logs.as_bytes(), &case.forbidden) || case.continues,
            "{}: in the logs",
            case.name
        );
        let status = head.split(' ').nth(1).unwrap_or_default();
        if status == "400" {
            // hyper refuses bytes HTTP forbids before any handler runs; that is a correct answer.
            refused.push(case.name);
            continue;
        }
        assert_eq!(status, "200", "{}: {text}", case.name);
        let returned = head
            .lines()
            .find_map(|l| l.strip_prefix("x-request-id: "))
            .unwrap_or_else(|| panic!("{}: no x-request-id in {head}", case.name));
        let (id, trace_id) = body.trim().split_once(' ').expect("id and trace id");
        assert_eq!(returned, id);
        match case.kept {
            Some(kept) => assert_eq!(id, kept, "{}", case.name),
            None if case.header == "X-Request-ID" => {
                assert!(
                    id.starts_with("req_") && id.len() == 20,
                    "{}: {id}",
                    case.name
                );
            }
            None => {}
        }
        assert_eq!(trace_id.len(), 32);
        assert_ne!(trace_id, "0".repeat(32));
        assert_eq!(trace_id == TRACE_ID, case.continues, "{}", case.name);
        if case.header == "traceparent" && !case.continues {
            assert_ne!(
                Some(trace_id.to_owned()),
                left_padded(&case.value),
                "{}: continued a padded trace id",
                case.name
            );
        }
    }
    assert_eq!(
        refused,
        ["control characters"],
        "only what HTTP itself forbids is refused; everything else reached the layer"
    );
}
