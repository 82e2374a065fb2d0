//! `rtctool pcap`: STUN/TURN dissection of captures, with the DTLS, RTP and RTCP around it.
//!
//! One direction, each stage owning its state:
//!
//! 1. [`reader`] yields one packet at a time from a bounded buffer;
//! 2. [`net`] peels link, IP (with fragment reassembly), UDP and TCP;
//! 3. [`flows`] numbers the flows, [`tcp`] reassembles STUN streams;
//! 4. [`dissect`] recognises payloads, and [`engine`] hands the messages (with those found inside
//!    TURN ChannelData and DATA attributes) to a [`engine::Sink`];
//! 5. for `decode`, [`pipe`] hands them to the output thread, with the walk of each STUN
//!    message's attributes ([`facts::Scan`]) made on the way;
//! 6. [`facts`] checks them there: FINGERPRINT, the transaction ([`txn`]), MESSAGE-INTEGRITY;
//! 7. [`decode`] filters them and writes each as a line ([`line`]), a record ([`records`]) or
//!    a tree.
//!
//! `summary` is a sink of its own on the same engine, with the same transaction table.

pub mod decode;
pub mod dissect;
pub mod engine;
pub mod facts;
pub mod fastfmt;
pub mod flows;
pub mod keys;
pub mod line;
pub mod net;
pub mod pipe;
pub mod reader;
pub mod records;
pub mod summary;
pub mod tcp;
pub mod txn;

use std::fs::File;
use std::io::{self, Read};

use crate::core::output::{Output, Progress};
use crate::{Error, Outcome, Result};

use engine::{Engine, Sink};
use keys::KeyBook;
use reader::{CaptureReader, Item};

/// Where the credentials that verify MESSAGE-INTEGRITY in a capture come from.
#[derive(Debug, Clone, Default)]
pub struct KeySources {
    /// TURN long-term username (with `turn_password`).
    pub turn_user: Option<String>,
    /// TURN long-term password.
    pub turn_password: Option<String>,
    /// ICE passwords, `[UFRAG:]PWD`.
    pub ice_pwd: Vec<String>,
    /// SDPs whose ice-ufrag/ice-pwd pairs to use (paths, or `-`).
    pub sdp: Vec<String>,
}

/// An `rtctool pcap` job, as the command line asks it.
#[derive(Debug, Clone)]
pub enum PcapJob {
    /// `pcap decode`.
    Decode {
        /// The capture (path, or `-`).
        file: String,
        /// The credentials.
        keys: KeySources,
        /// What to print.
        options: decode::DecodeOptions,
    },
    /// `pcap summary`.
    Summary {
        /// The capture (path, or `-`).
        file: String,
    },
}

/// Run a `pcap` job.
pub fn run(job: PcapJob, out: &Output) -> Result<Outcome> {
    match job {
        PcapJob::Decode { file, keys, options } => {
            let keys = key_book(&keys)?;
            let errors_only = options.errors;
            // Dissection here, the decoder (checks, lines, writing) on the output thread.
            let decoder = decode::Decoder::new(io::stdout(), out.mode, options, keys);
            let mut handoff = pipe::Handoff::new(decoder);
            pump(&file, out, &mut handoff, |h| h.closed())?;
            let Some(mut decoder) = handoff.finish() else {
                return Err(Error::input("the output thread ended without its decoder"));
            };
            decoder.finish();
            if let Some(e) = decoder.io_error() {
                return Err(Error::output(e));
            }
            // --errors looks for trouble: error responses, failed checks, unanswered requests,
            // and damaged packets. Without it a damaged capture is decoded as far as it goes,
            // exit 0, its problems in the output (as tshark does).
            let found = errors_only && decoder.errors_found + decoder.problems_found > 0;
            Ok(if found { Outcome::Found } else { Outcome::Clean })
        }
        PcapJob::Summary { file } => {
            let mut sink = summary::Summary::new();
            pump(&file, out, &mut sink, |_| false)?;
            sink.print(out)
        }
    }
}

fn key_book(args: &KeySources) -> Result<KeyBook> {
    let mut book = KeyBook::new();
    match (&args.turn_user, &args.turn_password) {
        (Some(u), Some(p)) => book.set_turn(u, p),
        (None, None) => {}
        _ => return Err(Error::usage("--turn-user and --turn-password go together")),
    }
    for pwd in &args.ice_pwd {
        book.add_ice(pwd);
    }
    for path in &args.sdp {
        // The sdp commands' reader: a size cap, JSON-wrapped SDP, `-` for standard input.
        let input = crate::sdp::read_sdp(path)?;
        let sdp = crate::sdp::parse_input(&input)?;
        if book.add_sdp(&sdp) == 0 {
            return Err(Error::input(format!("{}: no a=ice-ufrag/a=ice-pwd pair found", input.source)));
        }
    }
    Ok(book)
}

/// Read a capture (path or `-`) through the engine into `sink`, with a progress bar on a
/// terminal. `stop` is asked after each packet (e.g. when the output pipe closed).
fn pump<S: Sink>(path: &str, out: &Output, sink: &mut S, stop: impl Fn(&S) -> bool) -> Result<()> {
    let (src, len): (Box<dyn Read>, Option<u64>) = if path == "-" {
        (Box::new(io::stdin().lock()), None)
    } else {
        let f = File::open(path).map_err(|e| Error::input(format!("reading {path}: {e}")))?;
        let len = f.metadata().ok().map(|m| m.len());
        (Box::new(f), len)
    };
    let mut reader = CaptureReader::new(src).map_err(|e| Error::input(format!("reading {path}: {e}")))?;
    let progress = match len {
        Some(len) if len > 8 << 20 => Some(Progress::bar(out, len, format!("reading {path}"))),
        _ => None,
    };
    let mut engine = Engine::new();
    let mut n = 0u64;
    loop {
        let item = reader.next_item().map_err(|e| Error::input(format!("reading {path}: {e}")))?;
        match item {
            None => break,
            Some(Item::Packet(pkt)) => engine.packet(&pkt, sink),
            Some(Item::Skipped { offset, reason }) => {
                sink.problem(engine::CAPTURE, &format!("file offset {offset}: {reason}"))
            }
        }
        n += 1;
        if n.is_multiple_of(4096) {
            if let Some(p) = &progress {
                p.set_position(reader.bytes_read());
            }
            if stop(sink) {
                break;
            }
        }
    }
    engine.finish(sink);
    if let Some(p) = progress {
        p.finish();
    }
    Ok(())
}
