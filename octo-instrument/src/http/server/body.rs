//! The response body of [`ServerService`](super::ServerService): the handler's own, passed
//! through; where the layer waits for the body, it ends the request when the body ends (or is
//! dropped, as when the client goes away mid-stream).

use std::pin::Pin;
use std::task::{Context, Poll};

use http_body::{Body, Frame, SizeHint};

use super::state::RequestState;

pin_project_lite::pin_project! {
    /// The body of a response the server layer observed.
    pub struct ResponseBody<B> {
        // `None`: the empty body of the 500 that replaces a panicked handler's response.
        #[pin]
        inner: Option<B>,
        // The request, when it ends with the body.
        state: Option<RequestState>,
    }
}

impl<B> ResponseBody<B> {
    /// The handler's body, nothing to end.
    pub(super) fn plain(body: B) -> Self {
        Self {
            inner: Some(body),
            state: None,
        }
    }

    /// No body at all.
    pub(super) fn empty() -> Self {
        Self {
            inner: None,
            state: None,
        }
    }

    /// The handler's body for an observed request: the request ends now, or with the body where
    /// the layer waits for it.
    pub(super) fn ending(body: B, mut state: RequestState) -> Self {
        if state.until_body_end() {
            Self {
                inner: Some(body),
                state: Some(state),
            }
        } else {
            state.finish();
            Self::plain(body)
        }
    }
}

impl<B: Body> Body for ResponseBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = self.project();
        let Some(inner) = this.inner.as_pin_mut() else {
            return Poll::Ready(None);
        };
        let poll = inner.poll_frame(cx);
        if let Poll::Ready(None | Some(Err(_))) = &poll
            && let Some(mut state) = this.state.take()
        {
            state.finish();
        }
        poll
    }

    fn is_end_stream(&self) -> bool {
        self.inner.as_ref().is_none_or(Body::is_end_stream)
    }

    fn size_hint(&self) -> SizeHint {
        self.inner
            .as_ref()
            .map_or_else(|| SizeHint::with_exact(0), Body::size_hint)
    }
}
