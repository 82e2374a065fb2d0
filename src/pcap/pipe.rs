//! The writer stage of `pcap decode`, on a thread of its own: the dissecting thread hands over
//! batches of compact line descriptions with their facts (and text it already formatted); the
//! output thread formats the lines ([`super::line`]) and writes them. Nothing flows back but
//! empty batches: the checks were made before, the output thread only formats and writes.
//! Batches are bounded in number and recycled, so memory stays flat whatever the capture's
//! size; a closed output (`| head`) stops the dissecting thread.

use std::io::{self, Write};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use super::facts::StunFacts;
use super::fastfmt::LineBuf;
use super::line::{format_line, BodyJob, LineCache, LineHead};

/// A batch is handed over once its text reaches this size or it holds [`BATCH_PIECES`] pieces.
const BATCH_BYTES: usize = 128 << 10;
const BATCH_PIECES: usize = 2048;
/// Batches in flight between the threads (each about [`BATCH_BYTES`]).
const IN_FLIGHT: usize = 4;
/// Output is written in chunks of about this size.
const WRITE_CHUNK: usize = 64 << 10;

// Nearly every piece is a line: boxing it would cost an allocation per message.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
enum Piece {
    /// A message line, formatted on the output thread.
    Line { head: LineHead, body: BodyJob, facts: Option<StunFacts> },
    /// Text formatted already, in the arena.
    Text(usize, usize),
}

/// Lines and text on their way to the output.
#[derive(Debug, Default)]
pub struct Batch {
    arena: Vec<u8>,
    pieces: Vec<Piece>,
}

impl Batch {
    fn with_capacity() -> Self {
        Batch {
            arena: Vec::with_capacity(BATCH_BYTES + (16 << 10)),
            pieces: Vec::with_capacity(BATCH_PIECES + 1),
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
    error: Option<io::Error>,
}

impl<W: Write> Writer<W> {
    fn consume(&mut self, batch: &Batch) {
        if self.error.is_some() {
            return;
        }
        for piece in &batch.pieces {
            match piece {
                Piece::Line { head, body, facts } => format_line(
                    &mut self.pending,
                    self.color,
                    &mut self.pairs,
                    head,
                    body,
                    &batch.arena,
                    facts.as_ref(),
                ),
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

    fn write_pending(&mut self) {
        if self.error.is_none() && !self.pending.is_empty() {
            if let Err(e) = self.out.write_all(self.pending.as_bytes()) {
                self.error = Some(e);
            }
        }
        self.pending.clear();
    }

    fn finish(mut self) -> (W, Option<io::Error>) {
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
    closed: bool,
    error: Option<io::Error>,
}

impl<W: Write + Send + 'static> Pipe<W> {
    /// Output to `out`, on a thread of its own when one can be started.
    pub fn new(out: W, color: bool) -> Self {
        let writer = Writer {
            out,
            color,
            pending: LineBuf::with_capacity(WRITE_CHUNK + (8 << 10)),
            pairs: LineCache::default(),
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
                writer.consume(&batch);
                batch.clear();
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
        Pipe { batch: Batch::with_capacity(), mode, closed: false, error: None }
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
    use super::super::flows::FlowId;
    use super::super::net::Transport;
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
        let mut pipe = Pipe::new(shared.clone(), false);
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
        let mut pipe = Pipe::new(Closing { left: 100_000 }, false);
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
