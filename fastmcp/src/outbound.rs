//! The outbound channel: where a session writes what is meant for one client stream, and what
//! a transport reads from it. The lowest layer, next to the protocol types.

use crate::protocol::Message;
use tokio::sync::mpsc;

/// What a session hands a transport for one client stream.
#[derive(Debug)]
pub enum Outgoing {
    /// A message for the client.
    Message(Message),
    /// The handler asked to end the current HTTP connection of its stream early; the client
    /// resumes with `Last-Event-ID` (no-op on stdio and in memory).
    CloseStream,
}

/// Where a session writes what is meant for one client stream. Bounded, so a client that stops
/// reading slows its own handlers down instead of growing memory.
#[derive(Clone, Debug)]
pub struct Outbound(Option<mpsc::Sender<Outgoing>>);

/// Capacity of one outbound stream.
pub(crate) const OUTBOUND_CAPACITY: usize = 256;

impl Outbound {
    /// A new stream and its reading end.
    pub fn channel() -> (Outbound, mpsc::Receiver<Outgoing>) {
        let (tx, rx) = mpsc::channel(OUTBOUND_CAPACITY);
        (Outbound(Some(tx)), rx)
    }

    /// A stream with no reader: everything sent to it is refused at once. For a request whose
    /// transport returns only its response (stateless HTTP answers with JSON, so there is no
    /// stream for notifications); creating it allocates nothing.
    pub fn closed() -> Outbound {
        Outbound(None)
    }

    /// Waits until the stream has room for one more message (`false` when it is gone). A
    /// reader calls this before taking the next message, so a client that stops reading its
    /// answers stops being read from instead of queueing answers without bound.
    pub async fn ready(&self) -> bool {
        match &self.0 {
            Some(tx) => tx.reserve().await.is_ok(),
            None => false,
        }
    }

    /// Whether the reading end is gone.
    pub fn is_closed(&self) -> bool {
        self.0.as_ref().is_none_or(mpsc::Sender::is_closed)
    }

    /// Sends a message; `false` when the stream is gone.
    pub async fn send(&self, message: Message) -> bool {
        match &self.0 {
            Some(tx) => tx.send(Outgoing::Message(message)).await.is_ok(),
            None => false,
        }
    }

    /// Sends without waiting; gives the message back when the stream is full or gone.
    pub fn try_send(&self, message: Message) -> Result<(), Message> {
        let Some(tx) = &self.0 else { return Err(message) };
        tx.try_send(Outgoing::Message(message)).map_err(|e| match e.into_inner() {
            Outgoing::Message(m) => m,
            Outgoing::CloseStream => unreachable!("only messages are sent here"),
        })
    }

    /// Asks the transport to end the current HTTP connection of the stream.
    pub async fn close_stream(&self) {
        if let Some(tx) = &self.0 {
            let _ = tx.send(Outgoing::CloseStream).await;
        }
    }
}

/// A channel that one request after another can answer through, each through an
/// [`Outbound`] of its own: creating a channel (an aligned allocation) and dropping it cost
/// ~7% of a small HTTP call in a session. It keeps one sender itself, so the reading end
/// stays open between requests.
#[cfg(feature = "http")]
#[derive(Debug)]
pub(crate) struct ReusableChannel {
    kept: mpsc::Sender<Outgoing>,
    /// The reading end.
    pub(crate) rx: mpsc::Receiver<Outgoing>,
}

#[cfg(feature = "http")]
impl ReusableChannel {
    pub(crate) fn new() -> ReusableChannel {
        let (kept, rx) = mpsc::channel(OUTBOUND_CAPACITY);
        ReusableChannel { kept, rx }
    }

    /// Where one request writes.
    pub(crate) fn outbound(&self) -> Outbound {
        Outbound(Some(self.kept.clone()))
    }

    /// The reading end alone, which ends (`None`) once every [`Outbound`] given out is gone.
    pub(crate) fn into_receiver(self) -> mpsc::Receiver<Outgoing> {
        self.rx
    }

    /// Whether the channel can serve another request: no [`Outbound`] given out is left (a
    /// handler that kept its own past its request could otherwise write into a later one;
    /// none can be made anew, as every one is a clone of a live one) and nothing is queued.
    pub(crate) fn reusable(&self) -> bool {
        self.kept.strong_count() == 1 && self.rx.is_empty()
    }
}
