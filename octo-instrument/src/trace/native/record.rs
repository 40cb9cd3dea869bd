//! One span as the native pipeline keeps it, from its start to its export. Records are pooled:
//! a finished record comes back from the export thread with its buffers' capacity, so a steady
//! stream of spans allocates nothing.

use std::cell::RefCell;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use crossbeam_queue::ArrayQueue;

use super::attrs::Attrs;
use crate::span_data::CodeLocation;

/// The OTLP span kinds (the wire's numbers).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Kind {
    #[default]
    Internal = 1,
    Server = 2,
    Client = 3,
    Producer = 4,
    Consumer = 5,
}

impl Kind {
    /// `otel.kind = "server"` and the like.
    pub(crate) fn parse(text: &str) -> Option<Self> {
        Some(match text.to_ascii_lowercase().as_str() {
            "internal" => Self::Internal,
            "server" => Self::Server,
            "client" => Self::Client,
            "producer" => Self::Producer,
            "consumer" => Self::Consumer,
            _ => return None,
        })
    }
}

/// The OTLP status codes (the wire's numbers).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum StatusCode {
    #[default]
    Unset = 0,
    Ok = 1,
    Error = 2,
}

/// A span event (the `exception` event of a failed call).
#[derive(Debug, Default)]
pub(crate) struct SpanEvent {
    pub(crate) name: &'static str,
    pub(crate) unix_nanos: u64,
    pub(crate) attrs: Attrs,
}

/// One span.
#[derive(Debug, Default)]
pub(crate) struct SpanRecord {
    pub(crate) trace_id: [u8; 16],
    pub(crate) span_id: [u8; 8],
    /// Zero for a root span.
    pub(crate) parent_span_id: [u8; 8],
    pub(crate) parent_remote: bool,
    pub(crate) sampled: bool,
    /// The W3C `tracestate` it carries on, header form; empty for none.
    pub(crate) trace_state: String,
    /// The callsite's name, unless `otel.name` set [`name_override`](Self::name_override).
    pub(crate) name: &'static str,
    pub(crate) name_override: Option<String>,
    pub(crate) kind: Kind,
    /// The code attributes of an `#[observed]` call's span.
    pub(crate) code: Option<&'static CodeLocation>,
    pub(crate) start_unix_nanos: u64,
    pub(crate) end_unix_nanos: u64,
    pub(crate) attrs: Attrs,
    pub(crate) status: StatusCode,
    pub(crate) status_message: String,
    pub(crate) events: Vec<SpanEvent>,
    /// The export queue's batch it went into, to release its share once encoded.
    pub(crate) queue_slot: usize,
}

impl SpanRecord {
    /// The span's name as exported.
    pub(crate) fn name(&self) -> &str {
        self.name_override.as_deref().unwrap_or(self.name)
    }

    /// Empties the record for its next span, keeping its buffers.
    pub(crate) fn clear(&mut self) {
        self.parent_span_id = [0; 8];
        self.parent_remote = false;
        self.sampled = false;
        self.trace_state.clear();
        self.name = "";
        if let Some(name) = &mut self.name_override {
            name.clear();
        }
        self.name_override = None;
        self.kind = Kind::Internal;
        self.code = None;
        self.start_unix_nanos = 0;
        self.end_unix_nanos = 0;
        self.attrs.clear();
        self.status = StatusCode::Unset;
        self.status_message.clear();
        self.events.clear();
    }

    /// What the record holds, in bytes: what the export queue's byte budget counts.
    pub(crate) fn bytes(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.trace_state.len()
            + self.name_override.as_ref().map_or(0, String::len)
            + self.attrs.bytes()
            + self.status_message.len()
            + self
                .events
                .iter()
                .map(|e| std::mem::size_of::<SpanEvent>() + e.attrs.bytes())
                .sum::<usize>()
    }
}

/// Nanoseconds since the Unix epoch, now.
#[inline]
pub(crate) fn now_unix_nanos() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

/// Records kept for reuse. Bounded: a record that does not fit is freed. Each thread keeps a
/// few of its own in front of the shared queue, so that threads making spans at once do not
/// pass the queue's ends between them for every span.
#[derive(Clone)]
pub(crate) struct Pool(Arc<ArrayQueue<Box<SpanRecord>>>);

/// Records a pool keeps; past this, finished records are freed.
const POOLED: usize = 4096;
/// Records a thread keeps at hand, and how many it takes from the shared queue at once.
const LOCAL: usize = 32;
/// A record whose text grew past this is freed rather than pooled, so one huge span does not
/// stay in memory for good.
const POOLED_BYTES: usize = 64 * 1024;

thread_local! {
    /// Boxed: records move between threads and queues as pointers.
    #[allow(clippy::vec_box)]
    static HAND: RefCell<Vec<Box<SpanRecord>>> = const { RefCell::new(Vec::new()) };
}

impl Pool {
    pub(crate) fn new() -> Self {
        Self(Arc::new(ArrayQueue::new(POOLED)))
    }

    /// An empty record.
    #[inline]
    pub(crate) fn take(&self) -> Box<SpanRecord> {
        HAND.try_with(|hand| {
            let mut hand = hand.borrow_mut();
            if let Some(record) = hand.pop() {
                return record;
            }
            // Empty-handed: take a few at once from the shared queue.
            while hand.len() < LOCAL / 2 {
                match self.0.pop() {
                    Some(record) => hand.push(record),
                    None => break,
                }
            }
            hand.pop().unwrap_or_default()
        })
        .unwrap_or_default()
    }

    /// Gives a finished record back (to this thread's hand while it has room).
    #[inline]
    pub(crate) fn give(&self, mut record: Box<SpanRecord>) {
        if record.bytes() > POOLED_BYTES {
            return;
        }
        record.clear();
        let record = HAND
            .try_with(|hand| {
                let mut hand = hand.borrow_mut();
                if hand.len() < LOCAL {
                    hand.push(record);
                    None
                } else {
                    Some(record)
                }
            })
            .unwrap_or(None);
        if let Some(record) = record {
            let _ = self.0.push(record);
        }
    }
}
