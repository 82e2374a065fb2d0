//! `rtctool pcap decode`: one line per message, `-V` trees, NDJSON/JSON records.
//!
//! The decode sink is one direction through stages that each own their state: the engine's
//! messages ([`super::engine`]) go through the checks stage ([`Checks`]: transactions,
//! FINGERPRINT, MESSAGE-INTEGRITY), then the filters here, then out as a line description
//! with its facts ([`super::pipe`], formatted by [`super::line`] on the output thread) or as a
//! record (NDJSON, JSON) or tree formatted here.

use std::io::{self, Write};
use std::net::{IpAddr, SocketAddr};

use colored::Colorize;

use super::dissect::{body_json, Body, Via};
use super::engine::CAPTURE;
use super::engine::{Msg, Sink};
use super::facts::{forgotten_message, Checks, Scan, StunFacts};
use super::fastfmt::LineBuf;
use super::keys::KeyBook;
use super::line::{format_line, problem_line, BodyJob, LineCache, LineHead};
use super::pipe::Consumer;
use super::records::{
    write_line, MessageRecord, ProblemRecord, RecordBody, Spill, TransactionRecord, UnansweredRecord,
};
use super::txn::{Request, Seen};
use crate::core::output::Mode;
use crate::core::stun::{hex, Check, DecodeReport};

/// `--only` categories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Only {
    /// Every STUN message.
    Stun,
    /// TURN methods and ChannelData.
    Turn,
    /// ICE connectivity checks and their responses.
    Ice,
    /// DTLS records.
    Dtls,
    /// RTP.
    Rtp,
    /// RTCP.
    Rtcp,
}

/// A `--flow` filter: an address, with or without port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowFilter {
    /// Any port of this address.
    Ip(std::net::IpAddr),
    /// This address and port.
    Sock(SocketAddr),
}

impl std::str::FromStr for FlowFilter {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if let Ok(sock) = s.parse::<SocketAddr>() {
            return Ok(FlowFilter::Sock(sock));
        }
        let bad = || format!("{s:?} is not ADDR, ADDR:PORT or [IPv6]:PORT");
        // Brackets go around an IPv6 address, both of them: "[::1" is a typo, not ::1.
        let ip: IpAddr = match s.strip_prefix('[') {
            Some(rest) => match rest.strip_suffix(']').map(str::parse::<std::net::Ipv6Addr>) {
                Some(Ok(v6)) => IpAddr::V6(v6),
                _ => return Err(bad()),
            },
            None => s.parse().map_err(|_| bad())?,
        };
        Ok(FlowFilter::Ip(ip))
    }
}

impl FlowFilter {
    fn matches(&self, a: SocketAddr) -> bool {
        match self {
            FlowFilter::Ip(ip) => a.ip() == *ip,
            FlowFilter::Sock(s) => a == *s,
        }
    }
}

/// What to print and how.
#[derive(Debug, Clone, Default)]
pub struct DecodeOptions {
    /// `-V`: full attribute trees.
    pub tree: bool,
    /// `--only`.
    pub only: Vec<Only>,
    /// `--flow`.
    pub flow: Option<FlowFilter>,
    /// `--txid` (hex prefix, lower case).
    pub txid: Option<String>,
    /// `--errors`.
    pub errors: bool,
}

/// `--json` problems kept in memory; more go to a temporary file.
const PROBLEMS_IN_MEMORY: usize = 1 << 20;
/// Output is written in chunks of about this size.
const WRITE_CHUNK: usize = 64 << 10;

/// The decode sink: checks, filters, lines or records, writing. It runs on the output thread,
/// behind [`super::pipe::Handoff`].
pub struct Decoder<W: Write + Send + 'static> {
    out: W,
    /// Text not written yet.
    pending: LineBuf,
    /// What lines repeat from one to the next.
    pairs: LineCache,
    color: bool,
    /// The first write error (a closed pipe ends the run).
    error: Option<io::Error>,
    mode: Mode,
    opts: DecodeOptions,
    /// Transactions and checks.
    pub checks: Checks,
    first_ns: Option<u64>,
    /// `--json`: whether the document was begun, and messages in it so far.
    json_begun: bool,
    json_messages: u64,
    /// `--json`: problems, written after the messages.
    problems: Spill,
    /// Messages that matched `--errors` criteria (error responses, failed checks).
    pub errors_found: u64,
    /// Damaged packets (and file-level problems) reported.
    pub problems_found: u64,
}

impl<W: Write + Send + 'static> Decoder<W> {
    /// A decoder writing to `out`.
    pub fn new(out: W, mode: Mode, opts: DecodeOptions, keys: KeyBook) -> Self {
        Decoder {
            out,
            pending: LineBuf::with_capacity(WRITE_CHUNK + (8 << 10)),
            pairs: LineCache::default(),
            color: colored::control::SHOULD_COLORIZE.should_colorize(),
            error: None,
            mode,
            opts,
            checks: Checks::new(keys),
            first_ns: None,
            json_begun: false,
            json_messages: 0,
            problems: Spill::new(PROBLEMS_IN_MEMORY),
            errors_found: 0,
            problems_found: 0,
        }
    }

    /// Queue text for the output.
    fn write(&mut self, bytes: &[u8]) {
        self.pending.extend_from_slice(bytes);
        self.maybe_flush();
    }

    /// Write the pending text once it makes a chunk.
    #[inline(always)]
    fn maybe_flush(&mut self) {
        if self.pending.len() >= WRITE_CHUNK {
            self.flush_pending();
        }
    }

    fn flush_pending(&mut self) {
        if self.error.is_none() && !self.pending.is_empty() {
            if let Err(e) = self.out.write_all(self.pending.as_bytes()) {
                self.error = Some(e);
            }
        }
        self.pending.clear();
    }

    /// The error that ended the output, if any (known after [`Decoder::finish`]).
    pub fn io_error(&self) -> Option<&std::io::Error> {
        self.error.as_ref()
    }

    fn wanted(&self, msg: &Msg<'_>, facts: Option<&StunFacts>) -> bool {
        if let Some(flow) = &self.opts.flow {
            if !flow.matches(msg.src) && !flow.matches(msg.dst) {
                return false;
            }
        }
        if let Some(prefix) = &self.opts.txid {
            match &msg.body {
                Body::Stun(m) if hex(m.transaction_id_bytes()).starts_with(prefix.as_str()) => {}
                _ => return false,
            }
        }
        if !self.opts.only.is_empty() {
            let ok = self.opts.only.iter().any(|o| match (o, &msg.body) {
                (Only::Stun, Body::Stun(_)) => true,
                (Only::Turn, Body::Stun(m)) => m.method().is_turn(),
                (Only::Turn, Body::ChannelData(_)) => true,
                (Only::Ice, Body::Stun(_)) => facts.is_some_and(|f| f.ice),
                (Only::Dtls, Body::Dtls(_)) => true,
                (Only::Rtp, Body::Rtp(_)) => true,
                (Only::Rtcp, Body::Rtcp(_)) => true,
                _ => false,
            });
            if !ok {
                return false;
            }
        }
        true
    }

    fn rel_time(&mut self, t: u64) -> f64 {
        let first = *self.first_ns.get_or_insert(t);
        t.saturating_sub(first) as f64 / 1e9
    }

    /// Write a message's line.
    #[inline(always)]
    fn human_line(&mut self, msg: &Msg<'_>, scan: Option<&Scan>, facts: Option<&StunFacts>) {
        let rel_ns = msg.time_ns.saturating_sub(*self.first_ns.get_or_insert(msg.time_ns));
        let head = LineHead {
            frame: msg.frame,
            time_ns: msg.time_ns,
            rel_ns,
            src: msg.src,
            dst: msg.dst,
            transport: msg.transport,
            flow: msg.flow,
            via: msg.via,
            rfc4571: msg.framing.is_some(),
        };
        let (body, bytes) = body_job(&msg.body, scan);
        format_line(&mut self.pending, self.color, &mut self.pairs, &head, &body, bytes, facts);
        self.maybe_flush();
    }

    /// Write a message's record: an NDJSON line, or the next element of the `--json` messages.
    fn record(&mut self, msg: &Msg<'_>, facts: Option<&StunFacts>) {
        let rel = self.rel_time(msg.time_ns);
        let via = msg.via.map(Via::as_str);
        let report = match &msg.body {
            Body::Stun(m) => {
                let keys_for = |bytes: &[u8]| self.checks.keys_for(bytes);
                DecodeReport::stun_with_keys(m.as_bytes(), &keys_for).ok().map(|mut report| {
                    report.inner.clear(); // emitted as records of their own
                    report.via = via;
                    if let Some(c) = facts.and_then(|f| f.integrity) {
                        if report.integrity != c {
                            report.set_integrity(c, None, &[]);
                        }
                    }
                    report
                })
            }
            Body::ChannelData(cd) => {
                let mut report = DecodeReport::channel_data(*cd, &|_: &[u8]| Vec::new());
                report.inner.clear();
                report.via = via;
                Some(report)
            }
            _ => None,
        };
        let body = match (&report, &msg.body) {
            (Some(report), _) => Some(RecordBody::Report(report)),
            (None, Body::Stun(_)) => None,
            (None, other) => Some(RecordBody::Other { kind: other.kind(), via, fields: body_json(other) }),
        };
        let record = MessageRecord {
            frame: msg.frame,
            time: msg.time_ns as f64 / 1e9,
            time_relative: rel,
            src: msg.src,
            dst: msg.dst,
            transport: msg.transport.as_str(),
            body,
            transaction: facts.map(|f| TransactionRecord {
                response_to: f.response_to,
                rtt_ms: f.rtt_ns.map(|n| n as f64 / 1e6),
                retransmission: f.seen == Some(Seen::Retransmission),
            }),
        };
        match self.mode {
            Mode::Json => {
                self.begin_json();
                let first = self.json_messages == 0;
                self.json_messages += 1;
                let out = self.pending.vec_mut();
                out.extend_from_slice(if first { b"\n" } else { b",\n" });
                // Serializing into a Vec cannot fail: string keys, finite numbers or null.
                let _ = serde_json::to_writer(&mut *out, &record);
            }
            _ => write_line(self.pending.vec_mut(), &record),
        }
        self.maybe_flush();
    }

    /// `--json`: the document's start, once.
    fn begin_json(&mut self) {
        if !self.json_begun {
            self.json_begun = true;
            self.write(b"{\n\"messages\": [");
        }
    }

    fn unanswered_wanted(&self, id: &[u8], r: &Request) -> bool {
        let flow_ok = self.opts.flow.as_ref().is_none_or(|f| f.matches(r.src) || f.matches(r.dst));
        let txid_ok = self.opts.txid.as_ref().is_none_or(|p| hex(id).starts_with(p.as_str()));
        let only_ok = self.opts.only.is_empty()
            || self.opts.only.iter().any(|o| match o {
                Only::Stun => true,
                Only::Ice => r.ice,
                Only::Turn => r.method.is_turn(),
                _ => false,
            });
        flow_ok && txid_ok && only_ok
    }

    /// Print the requests never answered (for `--errors` and the end of human output).
    pub fn finish(&mut self) {
        let forgotten = self.checks.txns.forgotten;
        if forgotten > 0 {
            self.problem(CAPTURE, &forgotten_message(forgotten));
        }
        let unanswered: Vec<(Vec<u8>, Request)> =
            self.checks.txns.unanswered().map(|(id, r)| (id.to_vec(), r.clone())).collect();
        let show_unanswered = self.opts.errors || self.mode != Mode::Human;
        let mut listed = Vec::new();
        for (id, r) in &unanswered {
            if !show_unanswered {
                break;
            }
            if !self.unanswered_wanted(id, r) {
                continue;
            }
            if self.opts.errors {
                self.errors_found += 1;
            }
            let txid = hex(id);
            let record = UnansweredRecord {
                frame: r.frame,
                src: r.src,
                dst: r.dst,
                method: r.method.to_string(),
                transaction_id: &txid,
                sends: r.sends,
            };
            match self.mode {
                Mode::Human => {
                    let line = format!(
                        "{:>6} {}  {} → {}  {} Request txid={} sent {}× and never answered\n",
                        r.frame,
                        "unanswered".red(),
                        r.src,
                        r.dst,
                        r.method,
                        txid,
                        r.sends
                    );
                    self.write(line.as_bytes());
                }
                Mode::Ndjson => {
                    #[derive(serde::Serialize)]
                    struct Tagged<'a> {
                        kind: &'static str,
                        #[serde(flatten)]
                        record: UnansweredRecord<'a>,
                    }
                    let tagged = Tagged { kind: "unanswered-request", record };
                    write_line(self.pending.vec_mut(), &tagged);
                    self.maybe_flush();
                }
                Mode::Json => {
                    let mut entry = Vec::new();
                    entry.extend_from_slice(if listed.is_empty() { b"\n" } else { b",\n" });
                    let _ = serde_json::to_writer(&mut entry, &record);
                    listed.push(entry);
                }
            }
        }
        if self.mode == Mode::Json {
            self.begin_json();
            self.write(b"\n],\n\"problems\": [");
            // Straight from the spill to the output, a piece at a time: what went to the
            // temporary file does not come back into memory all at once.
            let mut problems = std::mem::replace(&mut self.problems, Spill::new(0));
            let drained = problems.drain(64 << 10, |piece| self.write(piece));
            if let Err(e) = drained {
                eprintln!("rtctool: problems kept in a temporary file could not be read back: {e}");
            }
            self.write(b"\n],\n\"unanswered_requests\": [");
            for entry in listed {
                self.write(&entry);
            }
            self.write(b"\n]\n}\n");
        }
        self.flush_pending();
        if self.error.is_none() {
            if let Err(e) = self.out.flush() {
                self.error = Some(e);
            }
        }
    }
}

impl<W: Write + Send + 'static> Decoder<W> {
    /// `-V`: the message's decode tree under its line.
    fn tree(&mut self, msg: &Msg<'_>, facts: Option<&StunFacts>) {
        let tree = match &msg.body {
            Body::Stun(m) => {
                DecodeReport::stun_with_keys(m.as_bytes(), &|_: &[u8]| Vec::new()).ok().map(|mut r| {
                    r.inner.clear();
                    if let Some(c) = facts.and_then(|f| f.integrity) {
                        r.set_integrity(c, None, &[]);
                    }
                    crate::core::output::decode_tree(&r).to_string()
                })
            }
            Body::ChannelData(cd) => {
                let mut r = DecodeReport::channel_data(*cd, &|_: &[u8]| Vec::new());
                r.inner.clear();
                Some(crate::core::output::decode_tree(&r).to_string())
            }
            _ => None,
        };
        if let Some(t) = tree {
            let indented: String = t.lines().map(|l| format!("        {l}\n")).collect();
            self.write(indented.as_bytes());
        }
    }
}

/// What the line of a message's body needs, and the bytes its ranges are in.
#[inline(always)]
fn body_job<'a>(body: &Body<'a>, scan: Option<&Scan>) -> (BodyJob, &'a [u8]) {
    match body {
        Body::Stun(m) => {
            let bytes: &'a [u8] = m.into_inner();
            (BodyJob::Stun(0, bytes.len(), scan.copied().unwrap_or_default()), bytes)
        }
        Body::ChannelData(cd) => (BodyJob::ChannelData(cd.channel(), cd.length()), &[]),
        Body::Dtls(p) => (BodyJob::Dtls(0, p.len()), p),
        Body::Rtp(rtp) => (BodyJob::Rtp(*rtp), &[]),
        Body::Rtcp(p) => (BodyJob::Rtcp(0, p.len()), p),
        Body::Zrtp => (BodyJob::Zrtp, &[]),
        Body::Other => (BodyJob::Other, &[]),
    }
}

impl<W: Write + Send + 'static> Decoder<W> {
    /// Every message, with its facts once it is STUN: the filters, then its line or record.
    #[inline(always)]
    fn checked(&mut self, msg: &Msg<'_>, scan: Option<&Scan>, facts: Option<&StunFacts>) {
        // Times are relative to the first message of the capture, whatever is filtered out.
        self.first_ns.get_or_insert(msg.time_ns);
        let is_error = facts.is_some_and(|f| {
            f.error_code.is_some() || f.fingerprint == Check::Bad || f.integrity == Some(Check::Bad)
        });
        if self.opts.errors && !is_error {
            return;
        }
        if !self.wanted(msg, facts) {
            return;
        }
        if is_error {
            self.errors_found += 1;
        }
        match self.mode {
            Mode::Human => {
                self.human_line(msg, scan, facts);
                if self.opts.tree {
                    self.tree(msg, facts);
                }
            }
            Mode::Ndjson | Mode::Json => self.record(msg, facts),
        }
    }
}

impl<W: Write + Send + 'static> Consumer for Decoder<W> {
    #[inline(always)]
    fn stun(&mut self, msg: &Msg<'_>, scan: &Scan) {
        let Body::Stun(m) = &msg.body else { return self.checked(msg, None, None) };
        let facts = self.checks.stun(msg, m, scan);
        self.checked(msg, Some(scan), Some(&facts));
    }

    fn closed(&self) -> bool {
        self.error.is_some()
    }
}

impl<W: Write + Send + 'static> Sink for Decoder<W> {
    /// A message straight from the engine (without the handoff, in tests): a STUN message is
    /// walked here first.
    #[inline(always)]
    fn message(&mut self, msg: &Msg<'_>) {
        match &msg.body {
            Body::Stun(m) => self.stun(msg, &Scan::of(m)),
            _ => self.checked(msg, None, None),
        }
    }

    fn problem(&mut self, frame: u64, message: &str) {
        if self.opts.txid.is_some() || !self.opts.only.is_empty() || self.opts.flow.is_some() {
            return;
        }
        self.problems_found += 1;
        match self.mode {
            Mode::Human => {
                let line = problem_line(frame, message);
                self.write(line.as_bytes());
            }
            Mode::Ndjson if frame == CAPTURE => eprintln!("rtctool: {message}"),
            Mode::Ndjson => eprintln!("rtctool: frame {frame}: {message}"),
            Mode::Json => {
                let mut entry = Vec::new();
                entry.extend_from_slice(if self.problems.count == 0 { b"\n" } else { b",\n" });
                let _ = serde_json::to_writer(
                    &mut entry,
                    &ProblemRecord { frame: (frame != CAPTURE).then_some(frame), message },
                );
                self.problems.push(&entry);
            }
        }
    }
}
