//! The response future of [`ServerService`](super::ServerService): polls the handler inside the
//! request's span, turns a panic into a 500, and ends the request at the response head or hands
//! it on to the body.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};

use http::{Response, StatusCode};

use super::body::ResponseBody;
use super::state::RequestState;
use crate::http::request_id::{HEADER, RequestId};

pin_project_lite::pin_project! {
    /// The response of a [`ServerService`](super::ServerService).
    pub struct ResponseFuture<F> {
        #[pin]
        inner: Option<F>,
        request: Option<Tracked>,
    }
}

/// What the future keeps of the request.
// The observed case is the common one: boxing it would cost an allocation per request.
#[allow(clippy::large_enum_variant)]
enum Tracked {
    /// Observed: span, lines, metrics.
    Observed(RequestState),
    /// A skipped path: only its id, for the response header.
    Skipped(RequestId),
}

impl<F> ResponseFuture<F> {
    pub(super) fn observed(inner: F, state: RequestState) -> Self {
        Self {
            inner: Some(inner),
            request: Some(Tracked::Observed(state)),
        }
    }

    pub(super) fn skipped(inner: F, request_id: RequestId) -> Self {
        Self {
            inner: Some(inner),
            request: Some(Tracked::Skipped(request_id)),
        }
    }

    /// The handler panicked in `call`, before it had a future.
    pub(super) fn panicked(state: RequestState) -> Self {
        Self {
            inner: None,
            request: Some(Tracked::Observed(state)),
        }
    }
}

impl<F, ResB, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<ResB>, E>>,
{
    type Output = Result<Response<ResponseBody<ResB>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let Some(inner) = this.inner.as_mut().as_pin_mut() else {
            let Some(Tracked::Observed(state)) = this.request.take() else {
                panic!("ResponseFuture polled after completion");
            };
            return Poll::Ready(Ok(internal_error(state)));
        };
        let result = match this.request.as_ref() {
            Some(Tracked::Observed(state)) => {
                let _entered = state.span.enter();
                catch_unwind(AssertUnwindSafe(|| inner.poll(cx)))
            }
            Some(Tracked::Skipped(_)) => Ok(inner.poll(cx)),
            None => panic!("ResponseFuture polled after completion"),
        };
        if let Ok(Poll::Pending) = result {
            return Poll::Pending;
        }
        let request = this.request.take().expect("checked above");
        let state = match request {
            Tracked::Skipped(request_id) => {
                return Poll::Ready(match result {
                    Ok(Poll::Ready(Ok(response))) => {
                        Ok(with_id(response.map(ResponseBody::plain), &request_id))
                    }
                    Ok(Poll::Ready(Err(err))) => Err(err),
                    Ok(Poll::Pending) => unreachable!("returned above"),
                    Err(payload) => std::panic::resume_unwind(payload),
                });
            }
            Tracked::Observed(state) => state,
        };
        let mut state = state;
        Poll::Ready(match result {
            Ok(Poll::Pending) => unreachable!("returned above"),
            Ok(Poll::Ready(Ok(response))) => {
                state.head(response.status());
                let request_id = state.request_id.clone();
                let response = response.map(|body| ResponseBody::ending(body, state));
                Ok(with_id(response, &request_id))
            }
            Ok(Poll::Ready(Err(err))) => {
                state.head(StatusCode::INTERNAL_SERVER_ERROR);
                state.finish();
                Err(err)
            }
            Err(payload) => {
                this.inner.set(None);
                state.panicked(&*payload);
                Ok(internal_error(state))
            }
        })
    }
}

fn with_id<B>(mut response: Response<B>, request_id: &RequestId) -> Response<B> {
    response
        .headers_mut()
        .insert(HEADER, request_id.header_value());
    response
}

/// The 500 that replaces a panicked handler's response.
fn internal_error<ResB>(mut state: RequestState) -> Response<ResponseBody<ResB>> {
    state.head(StatusCode::INTERNAL_SERVER_ERROR);
    let request_id = state.request_id.clone();
    state.finish();
    let mut response = Response::new(ResponseBody::empty());
    *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    with_id(response, &request_id)
}
