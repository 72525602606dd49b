//! A request's work polled by its own POST handler instead of a task of its own: the answer
//! is usually ready within the first poll, and a spawned task would only add a hand-off
//! between threads (a wake-up and a context switch per request, most of what a small call
//! costs). What must outlive the handler is moved to a task when that happens.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::*;

/// What happens to the work when the POST handler stops polling it before it ends.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum WhenLeft {
    /// It goes on as a task (a 2025-11-25 session: a disconnection is not a cancellation).
    Continues,
    /// It is dropped, which cancels it (a stateless request, a 2026-07-28 request: the
    /// client that goes away takes its request with it).
    Stops,
}

/// A request's work, polled in place until it is detached, finished or left.
pub(super) struct InlineWork {
    work: Option<Pin<Box<dyn Future<Output = ()> + Send>>>,
    when_left: WhenLeft,
}

impl InlineWork {
    pub(super) fn new(work: impl Future<Output = ()> + Send + 'static, when_left: WhenLeft) -> InlineWork {
        InlineWork { work: Some(Box::pin(work)), when_left }
    }

    /// The first message the work sends (its response, or a notification before it): polls
    /// the work meanwhile. `None` when it ended without sending anything (a cancelled
    /// request).
    pub(super) async fn first(&mut self, rx: &mut mpsc::Receiver<Outgoing>) -> Option<Outgoing> {
        tokio::select! {
            biased;
            first = rx.recv() => first,
            // Once the work has ended, all it sent is queued: what is not there now will not
            // come. (Waiting for the channel to close instead would wait forever on a
            // session's reusable channel, which keeps a sender of its own.)
            () = &mut *self => rx.try_recv().ok(),
        }
    }

    /// The rest of the work as a task of its own (the answer goes on as a stream).
    pub(super) fn detach(mut self) {
        if let Some(work) = self.work.take() {
            tokio::spawn(work);
        }
    }
}

impl Future for InlineWork {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let Some(work) = self.work.as_mut() else { return Poll::Ready(()) };
        std::task::ready!(work.as_mut().poll(cx));
        self.work = None;
        Poll::Ready(())
    }
}

impl Drop for InlineWork {
    fn drop(&mut self) {
        if let Some(work) = self.work.take()
            && self.when_left == WhenLeft::Continues
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            runtime.spawn(work);
        }
    }
}
