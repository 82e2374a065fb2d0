//! The handoff between the two threads of `pcap decode`, one way: the dissecting thread
//! (reader, network, flows, TCP, dissect: [`super::engine`]) walks each STUN message's
//! attributes once ([`super::facts::Scan`]) and hands over batches of messages with their walk,
//! copied compactly; the output thread runs the decode sink on them (the checks —
//! FINGERPRINT, transactions, MESSAGE-INTEGRITY —, filters, lines or records, writing:
//! [`super::decode`]) in capture order. Nothing comes back
//! but empty batches to refill, and the news that the output closed (`| head`), which stops
//! reading.
//!
//! Batches are bounded in size and number and recycled, so memory stays flat whatever the
//! capture's size.

use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use super::dissect::{Body, Rtp, Via};
use super::engine::{Msg, Sink};
use super::facts::Scan;
use super::flows::FlowId;
use super::net::Transport;
use super::tcp::Framing;
use crate::core::stun::{ChannelData, Message};

/// A batch is handed over once its bytes reach this size or it holds [`BATCH_PIECES`] pieces.
const BATCH_BYTES: usize = 128 << 10;
const BATCH_PIECES: usize = 2048;
/// Batches in flight between the threads (each about [`BATCH_BYTES`]).
const IN_FLIGHT: usize = 4;

/// The sink at the far end of a [`Handoff`], on the output thread.
pub trait Consumer: Sink + Send + 'static {
    /// A STUN message, with the walk of its attributes made on the dissecting thread.
    fn stun(&mut self, msg: &Msg<'_>, scan: &Scan);
    /// Whether its output failed (a closed pipe): reading can stop.
    fn closed(&self) -> bool;
}

/// Everything of a message but its bytes, which are in the batch's arena.
#[derive(Debug, Clone, Copy)]
struct Head {
    frame: u64,
    time_ns: u64,
    src: std::net::SocketAddr,
    dst: std::net::SocketAddr,
    transport: Transport,
    flow: FlowId,
    via: Option<Via>,
    framing: Option<Framing>,
}

/// A message's body, its bytes as a range of the arena.
#[derive(Debug, Clone, Copy)]
enum Kept {
    Stun(usize, usize, Scan),
    ChannelData(usize, usize),
    Dtls(usize, usize),
    Rtp(Rtp),
    Rtcp(usize, usize),
    Zrtp,
    Other,
}

#[derive(Debug)]
enum Piece {
    Message(Head, Kept),
    /// A problem: its frame, and its text in the arena.
    Problem(u64, usize, usize),
}

/// Messages on their way to the output thread.
#[derive(Debug, Default)]
struct Batch {
    arena: Vec<u8>,
    pieces: Vec<Piece>,
}

impl Batch {
    fn with_capacity() -> Self {
        Batch {
            arena: Vec::with_capacity(BATCH_BYTES + (16 << 10)),
            pieces: Vec::with_capacity(BATCH_PIECES),
        }
    }

    fn is_full(&self) -> bool {
        self.arena.len() >= BATCH_BYTES || self.pieces.len() >= BATCH_PIECES
    }

    fn clear(&mut self) {
        self.arena.clear();
        self.pieces.clear();
    }

    fn keep(&mut self, bytes: &[u8]) -> (usize, usize) {
        let start = self.arena.len();
        self.arena.extend_from_slice(bytes);
        (start, self.arena.len())
    }

    /// Hand every piece to `sink`, in order, as the engine gave them.
    fn replay<S: Consumer>(&self, sink: &mut S) {
        let bytes = |s: usize, e: usize| &self.arena[s..e];
        for piece in &self.pieces {
            match piece {
                Piece::Message(h, kept) => {
                    let body = match *kept {
                        Kept::Stun(s, e, _) => Body::Stun(Message::new_unchecked(bytes(s, e))),
                        // Checked when it was dissected: the same bytes check again.
                        Kept::ChannelData(s, e) => match ChannelData::new_checked(bytes(s, e)) {
                            Ok(cd) => Body::ChannelData(cd),
                            Err(_) => Body::Other,
                        },
                        Kept::Dtls(s, e) => Body::Dtls(bytes(s, e)),
                        Kept::Rtp(r) => Body::Rtp(r),
                        Kept::Rtcp(s, e) => Body::Rtcp(bytes(s, e)),
                        Kept::Zrtp => Body::Zrtp,
                        Kept::Other => Body::Other,
                    };
                    let msg = Msg {
                        frame: h.frame,
                        time_ns: h.time_ns,
                        src: h.src,
                        dst: h.dst,
                        transport: h.transport,
                        flow: h.flow,
                        via: h.via,
                        framing: h.framing,
                        body,
                    };
                    match kept {
                        Kept::Stun(_, _, scan) => sink.stun(&msg, scan),
                        _ => sink.message(&msg),
                    }
                }
                Piece::Problem(frame, s, e) => {
                    sink.problem(*frame, &String::from_utf8_lossy(bytes(*s, *e)));
                }
            }
        }
    }
}

enum Mode<S: Consumer> {
    /// The sink on this thread (when no thread could be started).
    Inline(Box<S>),
    /// The sink on its own thread.
    Thread { to: SyncSender<Batch>, back: Receiver<Batch>, handle: JoinHandle<Option<S>> },
    /// Finished.
    Done,
}

/// The dissecting thread's end: a [`Sink`] that forwards everything to `S` on the output
/// thread.
pub struct Handoff<S: Consumer> {
    batch: Batch,
    mode: Mode<S>,
    closed: bool,
}

impl<S: Consumer> Handoff<S> {
    /// Run `sink` on a thread of its own when one can be started, else here.
    pub fn new(sink: S) -> Self {
        let (to, from) = mpsc::sync_channel::<Batch>(IN_FLIGHT);
        let (give_back, back) = mpsc::channel::<Batch>();
        // The sink goes to the thread through a slot, so that it is still here when no
        // thread can be started and it then runs inline.
        let slot = Arc::new(Mutex::new(Some(sink)));
        let theirs = slot.clone();
        let spawned = std::thread::Builder::new().name("pcap-output".into()).spawn(move || {
            let mut sink = theirs.lock().map(|mut s| s.take()).unwrap_or(None)?;
            for mut batch in from {
                batch.replay(&mut sink);
                batch.clear();
                let _ = give_back.send(batch);
                if sink.closed() {
                    break; // dropping the receiver tells the dissecting thread
                }
            }
            Some(sink)
        });
        let mode = match spawned {
            Ok(handle) => Mode::Thread { to, back, handle },
            Err(_) => match slot.lock().map(|mut s| s.take()).unwrap_or(None) {
                Some(sink) => Mode::Inline(Box::new(sink)),
                None => Mode::Done,
            },
        };
        Handoff { batch: Batch::with_capacity(), mode, closed: false }
    }

    /// Whether the output failed (e.g. a closed pipe): reading can stop.
    pub fn closed(&self) -> bool {
        self.closed
    }

    fn maybe_send(&mut self) {
        if self.batch.is_full() {
            self.send();
        }
    }

    fn send(&mut self) {
        if self.batch.pieces.is_empty() {
            return;
        }
        match &mut self.mode {
            Mode::Inline(sink) => {
                self.batch.replay(sink.as_mut());
                self.batch.clear();
                self.closed = sink.closed();
            }
            Mode::Thread { to, back, .. } => {
                let next = back.try_recv().unwrap_or_else(|_| Batch::with_capacity());
                let full = std::mem::replace(&mut self.batch, next);
                match to.try_send(full) {
                    Ok(()) => {}
                    Err(TrySendError::Full(full)) => {
                        if to.send(full).is_err() {
                            self.closed = true;
                        }
                    }
                    Err(TrySendError::Disconnected(_)) => self.closed = true,
                }
                if self.closed {
                    self.batch.clear();
                }
            }
            Mode::Done => self.batch.clear(),
        }
    }

    /// Hand over what is left and wait for the output thread: the sink, to finish there.
    pub fn finish(mut self) -> Option<S> {
        self.send();
        match std::mem::replace(&mut self.mode, Mode::Done) {
            Mode::Inline(sink) => Some(*sink),
            Mode::Thread { to, back, handle } => {
                drop(to);
                drop(back);
                match handle.join() {
                    Ok(sink) => sink,
                    // A bug on the output thread: surface it as the panic it is.
                    Err(panic) => std::panic::resume_unwind(panic),
                }
            }
            Mode::Done => None,
        }
    }
}

impl<S: Consumer> Sink for Handoff<S> {
    #[inline(always)]
    fn message(&mut self, msg: &Msg<'_>) {
        if self.closed {
            return;
        }
        let b = &mut self.batch;
        let kept = match &msg.body {
            Body::Stun(m) => {
                let scan = Scan::of(m);
                let (s, e) = b.keep(m.as_bytes());
                Kept::Stun(s, e, scan)
            }
            Body::ChannelData(cd) => {
                let (s, e) = b.keep(cd.as_bytes());
                Kept::ChannelData(s, e)
            }
            Body::Dtls(p) => {
                let (s, e) = b.keep(p);
                Kept::Dtls(s, e)
            }
            Body::Rtp(r) => Kept::Rtp(*r),
            Body::Rtcp(p) => {
                let (s, e) = b.keep(p);
                Kept::Rtcp(s, e)
            }
            Body::Zrtp => Kept::Zrtp,
            Body::Other => Kept::Other,
        };
        let head = Head {
            frame: msg.frame,
            time_ns: msg.time_ns,
            src: msg.src,
            dst: msg.dst,
            transport: msg.transport,
            flow: msg.flow,
            via: msg.via,
            framing: msg.framing,
        };
        b.pieces.push(Piece::Message(head, kept));
        self.maybe_send();
    }

    fn problem(&mut self, frame: u64, message: &str) {
        if self.closed {
            return;
        }
        let (s, e) = self.batch.keep(message.as_bytes());
        self.batch.pieces.push(Piece::Problem(frame, s, e));
        self.maybe_send();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Remembers what it was given; "closes" after `close_after` messages.
    #[derive(Default)]
    struct Recorder {
        seen: Vec<(u64, Option<Vec<u8>>)>,
        close_after: Option<usize>,
    }

    impl Sink for Recorder {
        fn message(&mut self, msg: &Msg<'_>) {
            let bytes = match &msg.body {
                Body::Dtls(p) => Some(p.to_vec()),
                _ => None,
            };
            self.seen.push((msg.frame, bytes));
        }
        fn problem(&mut self, frame: u64, message: &str) {
            self.seen.push((frame, Some(message.as_bytes().to_vec())));
        }
    }

    impl Consumer for Recorder {
        fn stun(&mut self, msg: &Msg<'_>, _: &Scan) {
            self.message(msg);
        }
        fn closed(&self) -> bool {
            self.close_after.is_some_and(|n| self.seen.len() >= n)
        }
    }

    fn msg(frame: u64, body: Body<'_>) -> Msg<'_> {
        Msg {
            frame,
            time_ns: frame * 1000,
            src: "192.0.2.1:5000".parse().unwrap(),
            dst: "192.0.2.2:3478".parse().unwrap(),
            transport: Transport::Udp,
            flow: FlowId::NONE,
            via: None,
            framing: None,
            body,
        }
    }

    #[test]
    fn messages_and_problems_arrive_in_order_across_many_batches() {
        let mut handoff = Handoff::new(Recorder::default());
        let mut expected = Vec::new();
        for frame in 1..=20_000u64 {
            if frame % 7 == 0 {
                let text = format!("problem {frame}");
                handoff.problem(frame, &text);
                expected.push((frame, Some(text.into_bytes())));
            }
            let bytes = vec![(frame % 251) as u8; (frame % 300) as usize];
            handoff.message(&msg(frame, Body::Dtls(&bytes)));
            expected.push((frame, Some(bytes)));
        }
        let sink = handoff.finish().expect("the sink comes back");
        assert_eq!(sink.seen, expected);
    }

    #[test]
    fn a_closed_output_stops_the_producer() {
        let mut handoff = Handoff::new(Recorder { close_after: Some(5000), ..Recorder::default() });
        let bytes = [0u8; 64];
        let mut sent = 0u64;
        while !handoff.closed() && sent < 10_000_000 {
            sent += 1;
            handoff.message(&msg(sent, Body::Dtls(&bytes)));
        }
        assert!(handoff.closed(), "the producer hears that the output closed");
        assert!(sent < 10_000_000);
        let sink = handoff.finish().unwrap();
        assert!(sink.seen.len() < 5000 + 2 * BATCH_PIECES, "it stopped soon after: {}", sink.seen.len());
    }
}
