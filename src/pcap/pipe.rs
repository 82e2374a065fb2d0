//! The output side of `pcap decode`, on a thread of its own: the dissecting thread hands over
//! batches of compact line descriptions (and text it already formatted), the output thread
//! writes the lines and the bytes. Batches are bounded in number and recycled, so memory stays
//! flat whatever the capture's size; a closed output (`| head`) stops the dissecting thread.
//!
//! Which thread is the slower depends on the capture and on how the page cache holds it; the
//! dissecting thread takes some of the output thread's work (FINGERPRINT checks) while the
//! output thread takes longer over a batch ([`Pipe::take_work`]).

use std::io::{self, Write};
use std::net::SocketAddr;
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::decode::{format_line, match_transaction, problem_line, LineCache, Sighting, StunFacts};
use super::dissect::{Rtp, Via};
use super::fastfmt::LineBuf;
use super::flows::FlowId;
use super::net::Transport;
use super::txn::Transactions;
use crate::core::stun::{Check, Message};

/// A batch is handed over once its text reaches this size or it holds [`BATCH_PIECES`] pieces.
const BATCH_BYTES: usize = 128 << 10;
const BATCH_PIECES: usize = 2048;
/// Batches in flight between the threads (each about [`BATCH_BYTES`]).
const IN_FLIGHT: usize = 4;
/// Steps of the share of the output thread's work that the dissecting thread takes.
const SHARE_STEPS: u32 = 8;
/// Output is written in chunks of about this size.
const WRITE_CHUNK: usize = 64 << 10;

/// Where and when a message was seen: the start of its line.
#[derive(Debug, Clone, Copy)]
pub struct LineHead {
    pub frame: u64,
    /// Capture time, ns since the epoch.
    pub time_ns: u64,
    /// Nanoseconds since the first message of the capture.
    pub rel_ns: u64,
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub transport: Transport,
    /// The flow of `src`, `dst` and `transport`, for the cache of line starts.
    pub flow: FlowId,
    pub via: Option<Via>,
    /// RFC 4571 framing on TCP.
    pub rfc4571: bool,
}

/// What a line describes. Byte ranges are in the batch's arena.
#[derive(Debug, Clone, Copy)]
pub enum BodyJob {
    /// A STUN message's bytes, and its FINGERPRINT check when the dissecting thread made it.
    Stun(usize, usize, Option<Check>),
    /// A ChannelData frame: channel number and length.
    ChannelData(u16, u16),
    /// DTLS records' bytes.
    Dtls(usize, usize),
    /// An RTP header.
    Rtp(Rtp),
    /// RTCP bytes.
    Rtcp(usize, usize),
    /// ZRTP.
    Zrtp,
    /// Anything else.
    Other,
}

#[derive(Debug)]
enum Piece {
    /// A message line, formatted on the output thread.
    Line { head: LineHead, body: BodyJob, facts: Option<StunFacts> },
    /// A message inside the one of the last `Line` (in its ChannelData frame or DATA
    /// attribute): its line starts as that one's, with `via`.
    Inside { via: Via, body: BodyJob },
    /// Text formatted already, in the arena.
    Text(usize, usize),
}

/// Lines and text on their way to the output.
#[derive(Debug, Default)]
pub struct Batch {
    arena: Vec<u8>,
    pieces: Vec<Piece>,
    /// Once written: how long the output thread took over it, and how many pieces it had.
    took: Option<(Duration, usize)>,
}

impl Batch {
    fn with_capacity() -> Self {
        Batch {
            arena: Vec::with_capacity(BATCH_BYTES + (16 << 10)),
            // Room for a line and the line of a message inside it, queued after the check.
            pieces: Vec::with_capacity(BATCH_PIECES + 2),
            took: None,
        }
    }

    fn is_full(&self) -> bool {
        self.arena.len() >= BATCH_BYTES || self.pieces.len() >= BATCH_PIECES
    }

    fn clear(&mut self) {
        self.arena.clear();
        self.pieces.clear();
    }

    /// Copy bytes into the arena; their range.
    pub fn keep(&mut self, bytes: &[u8]) -> (usize, usize) {
        let start = self.arena.len();
        self.arena.extend_from_slice(bytes);
        (start, self.arena.len())
    }

    /// Queue a message line.
    pub fn line(&mut self, head: LineHead, body: BodyJob, facts: Option<StunFacts>) {
        self.pieces.push(Piece::Line { head, body, facts });
    }

    /// Queue the line of a message inside the one of the last [`Batch::line`], which must be
    /// in this batch.
    pub fn inside(&mut self, via: Via, body: BodyJob) {
        self.pieces.push(Piece::Inside { via, body });
    }

    /// Queue text that is already formatted.
    pub fn text(&mut self, bytes: &[u8]) {
        let (s, e) = self.keep(bytes);
        self.pieces.push(Piece::Text(s, e));
    }

    /// Append to the arena through `io::Write` (JSON records), then queue what was written.
    pub fn text_with(&mut self, write: impl FnOnce(&mut Vec<u8>)) {
        let start = self.arena.len();
        write(&mut self.arena);
        self.pieces.push(Piece::Text(start, self.arena.len()));
    }
}

/// Writes batches: formats their lines and writes everything in chunks.
struct Writer<W: Write> {
    out: W,
    color: bool,
    pending: LineBuf,
    pairs: LineCache,
    /// The transactions, when they are matched here (for the plain line only).
    txns: Option<Transactions>,
    error: Option<io::Error>,
}

impl<W: Write> Writer<W> {
    fn consume(&mut self, batch: &Batch) {
        if self.error.is_some() {
            return;
        }
        // The start of the last message line, for the lines of messages inside it (queued
        // right after it, in the same batch).
        let mut outer = None;
        for piece in &batch.pieces {
            match piece {
                Piece::Line { head, body, facts } => {
                    outer = Some(head);
                    self.line(head, body, facts.as_ref(), &batch.arena);
                }
                Piece::Inside { via, body } => {
                    debug_assert!(outer.is_some());
                    if let Some(outer) = outer {
                        self.line(&LineHead { via: Some(*via), ..*outer }, body, None, &batch.arena);
                    }
                }
                Piece::Text(s, e) => self.pending.extend_from_slice(&batch.arena[*s..*e]),
            }
            if self.pending.len() >= WRITE_CHUNK {
                self.write_pending();
                if self.error.is_some() {
                    return;
                }
            }
        }
    }

    /// Write a message's line, matching its transaction first when that is done here.
    #[inline(always)]
    fn line(&mut self, head: &LineHead, body: &BodyJob, facts: Option<&StunFacts>, arena: &[u8]) {
        let mut matched = None;
        if let (Some(txns), BodyJob::Stun(s, e, _)) = (&mut self.txns, body) {
            let m = Message::new_unchecked(&arena[*s..*e]);
            let at = Sighting { frame: head.frame, time_ns: head.time_ns, src: head.src, dst: head.dst };
            let mut f = StunFacts::default();
            match_transaction(txns, &m, &at, None, &mut f);
            matched = Some(f);
        }
        format_line(
            &mut self.pending,
            self.color,
            &mut self.pairs,
            head,
            body,
            arena,
            matched.as_ref().or(facts),
        );
    }

    fn write_pending(&mut self) {
        if self.error.is_none() && !self.pending.is_empty() {
            if let Err(e) = self.out.write_all(self.pending.as_bytes()) {
                self.error = Some(e);
            }
        }
        self.pending.clear();
    }

    fn finish(mut self) -> (W, Option<io::Error>) {
        if let Some(forgotten) = self.txns.as_ref().map(|t| t.forgotten).filter(|&n| n > 0) {
            let line = problem_line(0, &super::decode::forgotten_message(forgotten));
            self.pending.extend_from_slice(line.as_bytes());
        }
        self.write_pending();
        if self.error.is_none() {
            if let Err(e) = self.out.flush() {
                self.error = Some(e);
            }
        }
        (self.out, self.error)
    }
}

enum Mode<W: Write> {
    /// Output on this thread (when no thread could be started).
    Inline(Box<Writer<W>>),
    /// Output on its own thread.
    Thread { to: SyncSender<Batch>, back: Receiver<Batch>, handle: JoinHandle<Option<Writer<W>>> },
    /// Finished.
    Done,
}

/// The dissecting thread's end of the output.
pub struct Pipe<W: Write + Send + 'static> {
    /// The batch being filled.
    pub batch: Batch,
    mode: Mode<W>,
    /// When the batch being filled was begun.
    began: Instant,
    /// How much of the output thread's work this thread takes, in steps of [`SHARE_STEPS`]:
    /// more while the output thread takes longer over a batch than this thread, less while it
    /// takes less.
    share: u32,
    /// Counts the pieces of work that either thread could do.
    turn: u32,
    closed: bool,
    error: Option<io::Error>,
}

impl<W: Write + Send + 'static> Pipe<W> {
    /// Output to `out`, on a thread of its own when one can be started.
    pub fn new(out: W, color: bool, match_transactions: bool) -> Self {
        let writer = Writer {
            out,
            color,
            pending: LineBuf::with_capacity(WRITE_CHUNK + (8 << 10)),
            pairs: LineCache::default(),
            txns: match_transactions.then(Transactions::new),
            error: None,
        };
        let (to, from) = mpsc::sync_channel::<Batch>(IN_FLIGHT);
        let (give_back, back) = mpsc::channel::<Batch>();
        // The writer goes to the thread through a slot, so that it is still here when no
        // thread can be started and output then happens inline.
        let slot = Arc::new(Mutex::new(Some(writer)));
        let theirs = slot.clone();
        let spawned = std::thread::Builder::new().name("pcap-output".into()).spawn(move || {
            let mut writer = theirs.lock().map(|mut w| w.take()).unwrap_or(None)?;
            for mut batch in from {
                let began = Instant::now();
                writer.consume(&batch);
                let took = (began.elapsed(), batch.pieces.len());
                batch.clear();
                batch.took = Some(took);
                let _ = give_back.send(batch);
                if writer.error.is_some() {
                    break; // dropping the receiver tells the dissecting thread
                }
            }
            Some(writer)
        });
        let mode = match spawned {
            Ok(handle) => Mode::Thread { to, back, handle },
            Err(_) => match slot.lock().map(|mut w| w.take()).unwrap_or(None) {
                Some(writer) => Mode::Inline(Box::new(writer)),
                None => Mode::Done,
            },
        };
        Pipe {
            batch: Batch::with_capacity(),
            mode,
            began: Instant::now(),
            share: 0,
            turn: 0,
            closed: false,
            error: None,
        }
    }

    /// Hand the batch over when it is full.
    pub fn maybe_send(&mut self) {
        if self.batch.is_full() {
            self.send();
        }
    }

    /// Hand the batch over.
    pub fn send(&mut self) {
        if self.batch.pieces.is_empty() {
            return;
        }
        match &mut self.mode {
            Mode::Inline(writer) => {
                writer.consume(&self.batch);
                self.batch.clear();
                self.closed = writer.error.is_some();
            }
            Mode::Thread { to, back, .. } => {
                let mut next = back.try_recv().unwrap_or_else(|_| Batch::with_capacity());
                // Time per piece here and on the output thread (over a batch written a little
                // earlier): whichever thread is slower is the one the capture waits for.
                if let Some((theirs, their_pieces)) = next.took.take() {
                    let ours = self.began.elapsed().as_nanos() * their_pieces as u128;
                    let theirs = theirs.as_nanos() * self.batch.pieces.len() as u128;
                    self.share = if theirs > ours {
                        (self.share + 1).min(SHARE_STEPS)
                    } else {
                        self.share.saturating_sub(1)
                    };
                }
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
                self.began = Instant::now();
            }
            Mode::Done => self.batch.clear(),
        }
    }

    /// Whether this thread should take the next piece of work that either thread can do. The
    /// output is the same either way; this only balances the threads.
    pub fn take_work(&mut self) -> bool {
        self.turn = self.turn.wrapping_add(1);
        self.turn % SHARE_STEPS < self.share
    }

    /// Whether the output failed (e.g. a closed pipe): reading can stop.
    pub fn closed(&self) -> bool {
        self.closed
    }

    /// Write what is left, wait for the output thread and flush. The first write error, if
    /// any, is kept for [`Pipe::error`].
    pub fn finish(&mut self) {
        self.send();
        let writer = match std::mem::replace(&mut self.mode, Mode::Done) {
            Mode::Inline(writer) => Some(*writer),
            Mode::Thread { to, back, handle } => {
                drop(to);
                drop(back);
                match handle.join() {
                    Ok(writer) => writer,
                    // A bug on the output thread: surface it as the panic it is.
                    Err(panic) => std::panic::resume_unwind(panic),
                }
            }
            Mode::Done => None,
        };
        if let Some(writer) = writer {
            self.error = writer.finish().1;
        }
    }

    /// The output's error, once finished.
    pub fn error(&self) -> Option<&io::Error> {
        self.error.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// A writer whose bytes the test can read after the pipe is finished with it.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    /// Accepts `left` bytes, then fails as a closed pipe does.
    struct Closing {
        left: usize,
    }

    impl Write for Closing {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            if self.left == 0 {
                return Err(io::Error::from(io::ErrorKind::BrokenPipe));
            }
            let n = b.len().min(self.left);
            self.left -= n;
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn head(frame: u64) -> LineHead {
        LineHead {
            frame,
            time_ns: frame * 1000,
            rel_ns: frame * 1000,
            src: "192.0.2.1:5000".parse().unwrap(),
            dst: "192.0.2.2:3478".parse().unwrap(),
            transport: Transport::Udp,
            flow: FlowId { epoch: 0, directed: 0 },
            via: None,
            rfc4571: false,
        }
    }

    #[test]
    fn lines_and_text_arrive_in_order_across_many_batches() {
        let shared = Shared::default();
        let mut pipe = Pipe::new(shared.clone(), false, false);
        let mut expected = Vec::new();
        for frame in 1..=20_000u64 {
            if frame % 7 == 0 {
                let text = format!("text {frame}\n");
                pipe.batch.text(text.as_bytes());
                expected.extend_from_slice(text.as_bytes());
            } else {
                pipe.batch.line(head(frame), BodyJob::ChannelData(0x4000, frame as u16), None);
                let mut line = LineBuf::default();
                format_line(
                    &mut line,
                    false,
                    &mut LineCache::default(),
                    &head(frame),
                    &BodyJob::ChannelData(0x4000, frame as u16),
                    &[],
                    None,
                );
                expected.extend_from_slice(line.as_bytes());
            }
            pipe.maybe_send();
        }
        pipe.finish();
        assert!(pipe.error().is_none());
        let got = shared.0.lock().unwrap();
        assert_eq!(got.len(), expected.len());
        assert!(*got == expected, "output differs from the lines formatted in order");
    }

    #[test]
    fn a_closed_output_stops_the_producer_and_keeps_the_error() {
        let mut pipe = Pipe::new(Closing { left: 100_000 }, false, false);
        let mut sent = 0u64;
        while !pipe.closed() {
            pipe.batch.text(&[b'x'; 1000]);
            pipe.maybe_send();
            sent += 1;
            assert!(sent < 100_000, "the producer was never told the output closed");
        }
        pipe.finish();
        assert_eq!(pipe.error().map(io::Error::kind), Some(io::ErrorKind::BrokenPipe));
    }
}
