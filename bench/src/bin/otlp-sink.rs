//! An OTLP/HTTP trace receiver that takes requests as fast as it can and counts the spans in
//! them, for the benchmark's whole-pipeline runs: a process of its own, so that what it costs is
//! not counted against the pipeline measured. It walks the protobuf only as deep as the spans
//! (no decoding of their contents).
//!
//! `otlp-sink` prints `http://127.0.0.1:PORT` on its first line, then serves
//! `POST /v1/traces` and `GET /stats` (`spans requests bytes`) until its stdin closes.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};

#[derive(Default)]
struct Totals {
    spans: AtomicU64,
    requests: AtomicU64,
    bytes: AtomicU64,
}

/// Calls `visit` with the number and, for length-delimited fields, the contents of each field of
/// one protobuf message; stops at the first malformed byte.
fn for_each_field(mut message: &[u8], mut visit: impl FnMut(u64, &[u8])) {
    fn varint(bytes: &mut &[u8]) -> Option<u64> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let (&byte, rest) = bytes.split_first()?;
            *bytes = rest;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Some(value);
            }
        }
        None
    }
    while let Some(key) = varint(&mut message) {
        let skip = match key & 7 {
            0 => varint(&mut message).map(|_| 0),
            1 => Some(8),
            2 => varint(&mut message).and_then(|len| usize::try_from(len).ok()),
            5 => Some(4),
            _ => None,
        };
        let Some(len) = skip.filter(|len| *len <= message.len()) else {
            return;
        };
        let (value, rest) = message.split_at(len);
        visit(key >> 3, value);
        message = rest;
    }
}

/// Spans in an `ExportTraceServiceRequest`: `resource_spans` (1) / `scope_spans` (2) / `spans` (2).
fn count_spans(request: &[u8]) -> u64 {
    let mut spans = 0;
    for_each_field(request, |field, resource| {
        if field == 1 {
            for_each_field(resource, |field, scope| {
                if field == 2 {
                    for_each_field(scope, |field, _| spans += u64::from(field == 2));
                }
            });
        }
    });
    spans
}

async fn serve(
    request: Request<Incoming>,
    totals: Arc<Totals>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    if request.uri().path() == "/stats" {
        let text = format!(
            "{} {} {}\n",
            totals.spans.load(Relaxed),
            totals.requests.load(Relaxed),
            totals.bytes.load(Relaxed)
        );
        return Ok(Response::new(Full::new(Bytes::from(text))));
    }
    let body = request
        .into_body()
        .collect()
        .await
        .map(http_body_util::Collected::to_bytes)
        .unwrap_or_default();
    totals.spans.fetch_add(count_spans(&body), Relaxed);
    totals.requests.fetch_add(1, Relaxed);
    totals.bytes.fetch_add(body.len() as u64, Relaxed);
    let mut response = Response::new(Full::new(Bytes::new()));
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/x-protobuf"),
    );
    Ok(response)
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port on 127.0.0.1");
        println!("http://{}", listener.local_addr().expect("an address"));
        let totals = Arc::new(Totals::default());
        // Ends when the parent closes stdin (or dies).
        let stdin_closed = tokio::task::spawn_blocking(|| {
            let _ = std::io::copy(&mut std::io::stdin(), &mut std::io::sink());
        });
        let accept = async {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let totals = totals.clone();
                tokio::spawn(async move {
                    let service =
                        hyper::service::service_fn(move |request| serve(request, totals.clone()));
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                        .await;
                });
            }
        };
        tokio::select! {
            _ = stdin_closed => {}
            () = accept => {}
        }
    });
}

#[cfg(test)]
mod tests {
    #[test]
    fn counts_spans_of_every_scope_and_resource() {
        // resource_spans { scope_spans { spans, spans } scope_spans { spans } } resource_spans {..}
        let span = [0x12, 0x02, 0x0a, 0x00]; // spans (2) holding a 2-byte message
        let mut scope = vec![0x12, 8];
        scope.extend(span);
        scope.extend(span);
        let mut scope_one = vec![0x12, 4];
        scope_one.extend(span);
        let mut resource = vec![0x0a, u8::try_from(scope.len() + scope_one.len()).unwrap()];
        resource.extend(&scope);
        resource.extend(&scope_one);
        let mut request = resource.clone();
        request.extend(&resource);
        assert_eq!(super::count_spans(&request), 6);
        assert_eq!(super::count_spans(&[0xff]), 0, "malformed: nothing");
    }
}
