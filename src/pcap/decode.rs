//! `rtctool pcap decode`: one line per message, `-V` trees, NDJSON/JSON records.

use std::fmt::Write as _;
use std::io::Write;
use std::net::SocketAddr;

use colored::Colorize;

use super::dissect::{body_json, describe, Body, Via};
use super::engine::{Msg, Sink};
use super::fastfmt::{
    push_hex, push_seconds, push_sockaddr, push_u64, push_u64_padded_zero, Counter, LineBuf,
};
use super::keys::KeyBook;

use super::pipe::{BodyJob, LineHead, Pipe};
use super::records::{
    write_line, MessageRecord, ProblemRecord, RecordBody, Spill, TransactionRecord, UnansweredRecord,
};
use super::txn::{KeyRef, Request, Seen, Transactions};
use crate::core::output::Mode;
use crate::core::stun::{
    attr, hex, AttrValue, Attribute, Check, Class, DecodeReport, Message, Method, RawAttribute,
};

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
        let bare = s.trim_start_matches('[').trim_end_matches(']');
        bare.parse().map(FlowFilter::Ip).map_err(|_| format!("{s:?} is not ADDR or ADDR:PORT"))
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

/// Facts about a STUN message: from one walk of its attributes and the transaction state.
#[derive(Debug, Default, Clone, Copy)]
pub struct StunFacts {
    ice: bool,
    error_code: Option<u16>,
    response_to: Option<u64>,
    rtt_ns: Option<u64>,
    seen: Option<Seen>,
    /// `None`: not checked on the dissecting thread; the output thread checks it for the line.
    fingerprint: Option<Check>,
    integrity: Option<Check>,
}

/// How many of the attributes shown on a message's line are remembered by the scan; a message
/// with more (rare) is walked again when its line is written.
const SHOWN_MAX: usize = 12;

/// One walk of a STUN message's attributes: everything the facts, the checks and the line need.
/// Attributes are remembered by the offset of their header, so a scan is small to make.
#[derive(Debug, Default)]
struct Scan {
    ice: bool,
    error_code: Option<u16>,
    xor_mapped: bool,
    integrity: bool,
    fingerprint: Option<u32>,
    shown: [u32; SHOWN_MAX],
    shown_len: usize,
    overflow: bool,
}

/// The attribute whose header is at `offset` of a message walked before (so it is whole).
fn attribute_at(bytes: &[u8], offset: u32) -> Option<RawAttribute<'_>> {
    let at = offset as usize;
    let header = bytes.get(at..at + 4)?;
    let len = usize::from(u16::from_be_bytes([header[2], header[3]]));
    let value = bytes.get(at + 4..at + 4 + len)?;
    Some(RawAttribute { typ: u16::from_be_bytes([header[0], header[1]]), value, offset: at })
}

/// Walk a message's attributes as `Message::attributes` does, up to the first structural error:
/// `visit` gets each one's header offset, type and value, and ends the walk by returning false.
#[inline]
fn walk_attributes(m: &Message<&[u8]>, mut visit: impl FnMut(usize, u16, &[u8]) -> bool) {
    let bytes = m.as_bytes();
    let bytes = &bytes[..bytes.len().min(20 + usize::from(m.length()))];
    let mut at = 20;
    while let Some(&[t0, t1, l0, l1]) = bytes.get(at..at + 4) {
        let typ = u16::from_be_bytes([t0, t1]);
        let len = usize::from(u16::from_be_bytes([l0, l1]));
        match bytes.get(at + 4..at + 4 + len) {
            Some(value) if visit(at, typ, value) => at += (4 + len + 3) & !3,
            _ => break,
        }
    }
}

impl Scan {
    /// Walk the attributes as `Message::attributes` does, up to the first structural error.
    #[inline(always)]
    fn of(m: &Message<&[u8]>) -> Self {
        let mut scan = Scan::default();
        walk_attributes(m, |at, typ, value| {
            match typ {
                attr::PRIORITY | attr::USE_CANDIDATE | attr::ICE_CONTROLLED | attr::ICE_CONTROLLING => {
                    scan.ice = true
                }
                attr::ERROR_CODE if value.len() >= 4 => {
                    scan.error_code = Some(u16::from(value[2] & 7) * 100 + u16::from(value[3]))
                }
                attr::XOR_MAPPED_ADDRESS => scan.xor_mapped = true,
                attr::MESSAGE_INTEGRITY | attr::MESSAGE_INTEGRITY_SHA256 => scan.integrity = true,
                attr::FINGERPRINT if scan.fingerprint.is_none() => scan.fingerprint = Some(at as u32),
                _ => {}
            }
            if shown_label(typ, false).is_some() {
                match scan.shown.get_mut(scan.shown_len) {
                    Some(slot) => {
                        *slot = at as u32;
                        scan.shown_len += 1;
                    }
                    None => scan.overflow = true,
                }
            }
            true
        });
        scan
    }

    /// The check of the FINGERPRINT that [`Scan::of`] finds (the first), without the rest of
    /// a scan.
    fn fingerprint_of(m: &Message<&[u8]>) -> Check {
        let mut check = Check::Absent;
        walk_attributes(m, |offset, typ, value| {
            if typ != attr::FINGERPRINT {
                return true;
            }
            check = m.check_fingerprint_attribute(&RawAttribute { typ, value, offset });
            false
        });
        check
    }

    fn fingerprint(&self, m: &Message<&[u8]>) -> Check {
        match self.fingerprint.and_then(|at| attribute_at(m.as_bytes(), at)) {
            None => Check::Absent,
            Some(a) => m.check_fingerprint_attribute(&a),
        }
    }
}

/// `--json` problems kept in memory; more go to a temporary file.
const PROBLEMS_IN_MEMORY: usize = 1 << 20;

/// Where and when a STUN message was seen, for its transaction.
pub(super) struct Sighting {
    pub frame: u64,
    pub time_ns: u64,
    pub src: SocketAddr,
    pub dst: SocketAddr,
}

/// Record a request, or match a response to its request, into `facts` (`seen`, `response_to`,
/// `rtt_ns`, `ice`). Done on the dissecting thread, or on the output thread when the plain
/// line is all that needs it.
#[inline(always)]
pub(super) fn match_transaction(
    txns: &mut Transactions,
    m: &Message<&[u8]>,
    at: &Sighting,
    key: Option<KeyRef>,
    facts: &mut StunFacts,
) {
    let id = m.transaction_id_bytes();
    match m.class() {
        Class::Request => {
            let req = Request {
                frame: at.frame,
                time_ns: at.time_ns,
                src: at.src,
                dst: at.dst,
                sends: 1,
                answered: false,
                key,
                ice: facts.ice && m.method() == Method::BINDING,
                method: m.method(),
            };
            facts.seen = Some(txns.request(id, req));
        }
        Class::SuccessResponse | Class::ErrorResponse => {
            if let Some(req) = txns.response(id) {
                facts.response_to = Some(req.frame);
                facts.rtt_ns = at.time_ns.checked_sub(req.time_ns);
                facts.ice |= req.ice;
            }
        }
        Class::Indication => {}
    }
}

/// The line of a problem with a frame (0: with the capture as a whole).
pub(super) fn problem_line(frame: u64, message: &str) -> String {
    format!("{frame:>6} {} {message}\n", "problem:".yellow().bold())
}

/// The message about requests forgotten to keep the transaction table bounded.
pub(super) fn forgotten_message(forgotten: u64) -> String {
    format!(
        "{forgotten} requests were forgotten (more than {} outstanding at once): responses to them were not matched and they are not listed as unanswered",
        super::txn::MAX_TRANSACTIONS
    )
}

/// The decode sink: filters, transactions, output (written on a thread of its own).
pub struct Decoder<W: Write + Send + 'static> {
    pipe: Pipe<W>,
    mode: Mode,
    opts: DecodeOptions,
    keys: KeyBook,
    /// Transactions seen.
    pub txns: Transactions,
    first_ns: Option<u64>,
    /// `--json`: whether the document was begun, and messages in it so far.
    json_begun: bool,
    json_messages: u64,
    /// `--json`: problems, written after the messages.
    problems: Spill,
    /// Messages that matched `--errors` criteria (error responses, failed checks).
    pub errors_found: u64,
    /// Whether anything needs the facts from a walk of the attributes on this thread: the
    /// filters, the integrity checks, trees and records do; the plain line does not (the
    /// output thread walks them for it).
    scan_here: bool,
    /// Whether the output thread matches requests and responses (see [`Decoder::new`]).
    txns_there: bool,
}

impl<W: Write + Send + 'static> Decoder<W> {
    /// A decoder writing to `out`.
    pub fn new(out: W, mode: Mode, opts: DecodeOptions, keys: KeyBook) -> Self {
        let scan_here =
            mode != Mode::Human || opts.errors || opts.tree || !opts.only.is_empty() || !keys.is_empty();
        // The plain line of every message is all that needs the transactions: the output
        // thread matches them (filtered out messages would still have to be seen).
        let txns_there = !scan_here && opts.flow.is_none() && opts.txid.is_none();
        Decoder {
            scan_here,
            txns_there,
            pipe: Pipe::new(out, colored::control::SHOULD_COLORIZE.should_colorize(), txns_there),
            mode,
            opts,
            keys,
            txns: Transactions::new(),
            first_ns: None,
            json_begun: false,
            json_messages: 0,
            problems: Spill::new(PROBLEMS_IN_MEMORY),
            errors_found: 0,
        }
    }

    /// Queue text for the output.
    fn write(&mut self, bytes: &[u8]) {
        self.pipe.batch.text(bytes);
        self.pipe.maybe_send();
    }

    /// Whether the output was closed (e.g. a closed pipe); the caller stops reading then.
    pub fn output_closed(&self) -> bool {
        self.pipe.closed()
    }

    /// The error that ended the output, if any (known after [`Decoder::finish`]).
    pub fn io_error(&self) -> Option<&std::io::Error> {
        self.pipe.error()
    }

    fn stun_facts(&mut self, msg: &Msg<'_>, m: &Message<&[u8]>, scan: &Scan) -> StunFacts {
        let mut facts = StunFacts { ice: scan.ice, error_code: scan.error_code, ..StunFacts::default() };
        let key = match m.class() {
            Class::Request => self.keys.key_ref_for(m),
            _ => None,
        };
        let seen = Sighting { frame: msg.frame, time_ns: msg.time_ns, src: msg.src, dst: msg.dst };
        match_transaction(&mut self.txns, m, &seen, key, &mut facts);
        facts
    }

    fn key_ref(&self, m: &Message<&[u8]>) -> Option<KeyRef> {
        match m.class() {
            Class::Request | Class::Indication => self.keys.key_ref_for(m),
            _ => self.txns.get(m.transaction_id_bytes()).and_then(|r| r.key.clone()),
        }
    }

    fn integrity(&self, m: &Message<&[u8]>, present: bool) -> Check {
        if !present {
            return Check::Absent;
        }
        let Some(key) = self.key_ref(m) else { return Check::Unchecked };
        let (keys, definitive) = self.keys.keys(&key, m);
        match m.check_integrity_any(&keys).0 {
            Check::Bad if !definitive => Check::Unchecked,
            c => c,
        }
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

    /// Queue a message's line; the output thread formats it.
    #[inline(always)]
    fn human_line(&mut self, msg: &Msg<'_>, facts: Option<&StunFacts>) {
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
        // Handed over before the line rather than after it: the lines of messages inside this
        // one go to the same batch.
        self.pipe.maybe_send();
        let body = self.body_job(&msg.body);
        self.pipe.batch.line(head, body, facts.copied());
    }

    /// What the output thread needs of a message's body for its line; the bytes it reads go
    /// to the batch.
    #[inline(always)]
    fn body_job(&mut self, body: &Body<'_>) -> BodyJob {
        let take = matches!(body, Body::Stun(_)) && self.pipe.take_work();
        let batch = &mut self.pipe.batch;
        match body {
            Body::Stun(m) => {
                // Checking the FINGERPRINT is the costliest part of a line; this thread takes
                // some of the checks when the output thread is the slower.
                let fingerprint = take.then(|| Scan::fingerprint_of(m));
                let (s, e) = batch.keep(m.as_bytes());
                BodyJob::Stun(s, e, fingerprint)
            }
            Body::ChannelData(cd) => BodyJob::ChannelData(cd.channel(), cd.length()),
            Body::Dtls(p) => {
                let (s, e) = batch.keep(p);
                BodyJob::Dtls(s, e)
            }
            Body::Rtp(rtp) => BodyJob::Rtp(*rtp),
            Body::Rtcp(p) => {
                let (s, e) = batch.keep(p);
                BodyJob::Rtcp(s, e)
            }
            Body::Zrtp => BodyJob::Zrtp,
            Body::Other => BodyJob::Other,
        }
    }

    /// Write a message's record: an NDJSON line, or the next element of the `--json` messages.
    fn record(&mut self, msg: &Msg<'_>, facts: Option<&StunFacts>) {
        let rel = self.rel_time(msg.time_ns);
        let via = msg.via.map(Via::as_str);
        let report = match &msg.body {
            Body::Stun(m) => {
                let keys_for = |bytes: &[u8]| {
                    let m = Message::new_unchecked(bytes);
                    match self.key_ref(&m) {
                        Some(k) => self.keys.keys(&k, &m).0,
                        None => Vec::new(),
                    }
                };
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
                self.pipe.batch.text_with(|arena| {
                    arena.extend_from_slice(if first { b"\n" } else { b",\n" });
                    let _ = serde_json::to_writer(&mut *arena, &record);
                });
            }
            _ => self.pipe.batch.text_with(|arena| write_line(arena, &record)),
        }
        self.pipe.maybe_send();
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
        // (When the output thread matched the transactions, it reports this itself.)
        let forgotten = self.txns.forgotten;
        if forgotten > 0 {
            self.problem(0, &forgotten_message(forgotten));
        }
        let unanswered: Vec<(Vec<u8>, Request)> =
            self.txns.unanswered().map(|(id, r)| (id.to_vec(), r.clone())).collect();
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
                    self.pipe.batch.text_with(|arena| write_line(arena, &tagged));
                    self.pipe.maybe_send();
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
            let pipe = &mut self.pipe;
            let drained = problems.drain(64 << 10, |piece| {
                pipe.batch.text(piece);
                pipe.maybe_send();
            });
            if let Err(e) = drained {
                eprintln!("rtctool: problems kept in a temporary file could not be read back: {e}");
            }
            self.write(b"\n],\n\"unanswered_requests\": [");
            for entry in listed {
                self.write(&entry);
            }
            self.write(b"\n]\n}\n");
        }
        self.pipe.finish();
    }
}

/// Write a message's line (on the output thread): byte ranges of `body` are in `arena`.
pub(super) fn format_line(
    line: &mut LineBuf,
    color: bool,
    pairs: &mut LineCache,
    head: &LineHead,
    body: &BodyJob,
    arena: &[u8],
    facts: Option<&StunFacts>,
) {
    let bytes = |s: &usize, e: &usize| &arena[*s..*e];
    pairs.frame.push_padded(line, head.frame, 6);
    line.push(' ');
    push_seconds(line, &mut pairs.secs, head.rel_ns, 11);
    line.push_str("  ");
    pairs.push_pair(line, head);
    match body {
        BodyJob::Stun(s, e, checked) => {
            let m = &Message::new_unchecked(bytes(s, e));
            let method = m.method();
            if color || !pairs.push_stun_head(line, method, m.class()) {
                let start = line.len();
                match method.name() {
                    Some(n) => line.push_str(n),
                    None => {
                        let _ = write!(line, "{method}");
                    }
                }
                line.push(' ');
                line.push_str(class_name(m.class()));
                if color {
                    let plain = line.split_off(start);
                    let _ = write!(line, "{}", plain.bold());
                }
                line.push_str(" txid=");
            }
            push_hex(line, m.transaction_id_bytes());
            let scan = Scan::of(m);
            summarize_attributes(line, m, &scan);
            if let Some(f) = facts {
                if let Some(to) = f.response_to {
                    line.push_str("  (answers #");
                    push_u64(line, to);
                    if let Some(n) = f.rtt_ns {
                        line.push_str(", ");
                        // Milliseconds with three decimals, rounded.
                        let us = n.saturating_add(500) / 1000;
                        push_u64(line, us / 1000);
                        line.push('.');
                        push_u64_padded_zero(line, us % 1000, 3);
                        line.push_str(" ms");
                    }
                    line.push(')');
                }
                match f.seen {
                    Some(Seen::Retransmission) => paint(line, "  [retransmission]", color, Paint::Warn),
                    Some(Seen::Copy) => line.push_str("  [seen before on another path]"),
                    _ => {}
                }
                let fingerprint = f.fingerprint.or(*checked).unwrap_or_else(|| scan.fingerprint(m));
                if fingerprint == Check::Bad {
                    paint(line, "  FINGERPRINT BAD", color, Paint::Bad);
                }
                match f.integrity {
                    Some(Check::Bad) => paint(line, "  INTEGRITY BAD", color, Paint::Bad),
                    Some(Check::Ok) => paint(line, "  integrity ok", color, Paint::Good),
                    _ => {}
                }
            }
        }
        BodyJob::ChannelData(channel, len) => {
            if color {
                let _ = write!(line, "{}", "ChannelData".bold());
            } else {
                line.push_str("ChannelData");
            }
            line.push_str(" 0x");
            push_hex(line, &channel.to_be_bytes());
            line.push_str(" len=");
            push_u64(line, u64::from(*len));
        }
        BodyJob::Dtls(s, e) => {
            let _ = describe(&Body::Dtls(bytes(s, e)), line);
        }
        BodyJob::Rtp(rtp) => push_rtp(line, rtp),
        BodyJob::Rtcp(s, e) => push_rtcp(line, bytes(s, e)),
        BodyJob::Zrtp => {
            let _ = describe(&Body::Zrtp, line);
        }
        BodyJob::Other => {
            let _ = describe(&Body::Other, line);
        }
    }
    if head.rfc4571 {
        line.push_str("  [RFC 4571]");
    }
    line.push('\n');
}

/// An RTP header as `describe` writes it, without `core::fmt` (a call is mostly RTP).
fn push_rtp(line: &mut LineBuf, rtp: &super::dissect::Rtp) {
    line.push_str("RTP PT=");
    push_u64(line, u64::from(rtp.payload_type));
    line.push_str(" SSRC=0x");
    push_hex(line, &rtp.ssrc.to_be_bytes());
    line.push_str(" Seq=");
    push_u64(line, u64::from(rtp.seq));
    line.push_str(" Time=");
    push_u64(line, u64::from(rtp.timestamp));
    if rtp.marker {
        line.push_str(" Mark");
    }
}

/// RTCP as `describe` writes it, without `core::fmt`.
fn push_rtcp(line: &mut LineBuf, p: &[u8]) {
    line.push_str("RTCP");
    let mut first_ssrc = None;
    for (i, (t, ssrc)) in super::dissect::rtcp_packets(p).enumerate() {
        line.push_str(if i == 0 { " " } else { "+" });
        line.push_str(super::dissect::rtcp_name(t));
        first_ssrc.get_or_insert(ssrc);
    }
    line.push_str(" SSRC=0x");
    push_hex(line, &first_ssrc.unwrap_or(0).to_be_bytes());
}

/// Bytes copied at once for a cached line start (see [`LineCache::push_pair`]).
const PAIR_COPY: usize = 64;

/// Flows whose line starts [`LineCache`] keeps (by directed flow number, for each `via`).
const PAIR_CACHE_FLOWS: usize = 1 << 13;

/// What lines repeat from one to the next. The `src → dst  udp  [in via] ` part of lines,
/// formatted once per flow, direction and `via`, and copied after that: a capture has few flows
/// and many packets on each. And the frame number and whole seconds of the line before, as text.
#[derive(Debug, Default)]
pub(super) struct LineCache {
    frame: Counter,
    secs: Counter,
    /// `Method Class txid=` of plain STUN lines, by method (below [`STUN_HEAD_METHODS`]) and
    /// class, made the first time: the text and its length (0: not made yet).
    stun_heads: Vec<([u8; STUN_HEAD], u8)>,
    epoch: u32,
    /// Per directed flow and `via`: the text's range, (0, 0) when not made yet.
    slots: Vec<(u32, u32)>,
    text: Vec<u8>,
}

/// Room for `Method Class txid=` in [`LineCache`] (the longest known is 40 bytes).
const STUN_HEAD: usize = 48;
const STUN_HEAD_METHODS: u16 = 64;

impl LineCache {
    /// Append `Method Class txid=` for a STUN line without colour; `false` when it is not
    /// kept (an unknown or high method).
    fn push_stun_head(&mut self, line: &mut LineBuf, method: Method, class: Class) -> bool {
        if method.0 >= STUN_HEAD_METHODS {
            return false;
        }
        let class_at = match class {
            Class::Request => 0,
            Class::Indication => 1,
            Class::SuccessResponse => 2,
            Class::ErrorResponse => 3,
        };
        if self.stun_heads.is_empty() {
            self.stun_heads = vec![([0; STUN_HEAD], 0); usize::from(STUN_HEAD_METHODS) * 4];
        }
        let Some((text, len)) = self.stun_heads.get_mut(usize::from(method.0) * 4 + class_at) else {
            return false;
        };
        if *len == 0 {
            let Some(name) = method.name() else { return false };
            let head = format!("{name} {} txid=", class_name(class));
            let Some(room) = text.get_mut(..head.len()) else { return false };
            room.copy_from_slice(head.as_bytes());
            *len = head.len() as u8;
        }
        line.push_prefix(text, usize::from(*len));
        true
    }

    fn push_pair(&mut self, line: &mut LineBuf, head: &LineHead) {
        let via = match head.via {
            None => 0,
            Some(Via::ChannelData) => 1,
            Some(Via::DataAttribute) => 2,
            Some(Via::IcmpError) => 3,
        };
        let flow = head.flow.directed as usize;
        let slot = (flow < PAIR_CACHE_FLOWS).then_some(flow * 4 + via);
        if let Some(i) = slot {
            if head.flow.epoch != self.epoch {
                self.epoch = head.flow.epoch;
                self.slots.clear();
                self.text.clear();
            }
            if let Some(&(s, e)) = self.slots.get(i) {
                if e > 0 {
                    let (s, e) = (s as usize, e as usize);
                    // Most line starts fit a copy of constant size (the text has that much
                    // slack after its end); a longer one is copied as it is.
                    match self.text.get(s..s + PAIR_COPY).and_then(|t| <&[u8; PAIR_COPY]>::try_from(t).ok()) {
                        Some(fixed) if e - s <= PAIR_COPY => line.push_prefix(fixed, e - s),
                        _ => line.extend_from_slice(&self.text[s..e]),
                    }
                    return;
                }
            }
        }
        let start = line.len();
        push_sockaddr(line, &head.src);
        line.push_str(" → ");
        push_sockaddr(line, &head.dst);
        line.push_str("  ");
        line.push_str(head.transport.as_str());
        line.push_str("  ");
        if let Some(via) = head.via {
            line.push_str("[in ");
            line.push_str(via.as_str());
            line.push_str("] ");
        }
        if let Some(i) = slot {
            if self.slots.len() <= i {
                self.slots.resize(i + 1, (0, 0));
            }
            self.text.truncate(self.text.len().saturating_sub(PAIR_COPY));
            let s = self.text.len() as u32;
            self.text.extend_from_slice(&line.as_bytes()[start..]);
            self.slots[i] = (s, self.text.len() as u32);
            self.text.extend_from_slice(&[0; PAIR_COPY]);
        }
    }
}

fn class_name(c: Class) -> &'static str {
    match c {
        Class::Request => "Request",
        Class::Indication => "Indication",
        Class::SuccessResponse => "Success Response",
        Class::ErrorResponse => "Error Response",
    }
}

enum Paint {
    Good,
    Warn,
    Bad,
}

fn paint(line: &mut LineBuf, text: &str, color: bool, how: Paint) {
    if !color {
        line.push_str(text);
        return;
    }
    let _ = match how {
        Paint::Good => write!(line, "{}", text.green()),
        Paint::Warn => write!(line, "{}", text.yellow()),
        Paint::Bad => write!(line, "{}", text.red().bold()),
    };
}

/// The label of an attribute shown on a message's line (`mapped=`...), if it is shown.
/// MAPPED-ADDRESS is shown only when there is no XOR-MAPPED-ADDRESS.
fn shown_label(typ: u16, xor_mapped: bool) -> Option<&'static str> {
    Some(match typ {
        attr::XOR_MAPPED_ADDRESS => "mapped",
        attr::MAPPED_ADDRESS if !xor_mapped => "mapped",
        attr::XOR_RELAYED_ADDRESS => "relayed",
        attr::XOR_PEER_ADDRESS => "peer",
        attr::ERROR_CODE => "error",
        attr::USERNAME => "user",
        attr::PRIORITY => "prio",
        attr::USE_CANDIDATE => "use-candidate",
        attr::LIFETIME => "lifetime",
        attr::CHANNEL_NUMBER => "channel",
        attr::ICE_CONTROLLING => "controlling",
        attr::ICE_CONTROLLED => "controlled",
        _ => return None,
    })
}

fn summarize_attributes(line: &mut LineBuf, m: &Message<&[u8]>, scan: &Scan) {
    let key = m.xor_key();
    if scan.overflow {
        for raw in m.attributes().filter_map(Result::ok) {
            summarize_attribute(line, &raw, key, scan.xor_mapped);
        }
    } else {
        for &at in &scan.shown[..scan.shown_len] {
            if let Some(raw) = attribute_at(m.as_bytes(), at) {
                summarize_attribute(line, &raw, key, scan.xor_mapped);
            }
        }
    }
}

fn summarize_attribute(line: &mut LineBuf, raw: &RawAttribute<'_>, key: [u8; 16], xor_mapped: bool) {
    let Some(label) = shown_label(raw.typ, xor_mapped) else { return };
    if !summarize_common(line, raw, key, label) {
        summarize_general(line, raw, key, label);
    }
}

/// The common well-formed values (IPv4 addresses, 32-bit numbers, flags), written without the
/// general decoder; `false` leaves the attribute to [`summarize_general`], which writes the
/// same for these (tested).
fn summarize_common(line: &mut LineBuf, raw: &RawAttribute<'_>, key: [u8; 16], label: &str) -> bool {
    let v = raw.value;
    match raw.typ {
        attr::XOR_MAPPED_ADDRESS
        | attr::XOR_RELAYED_ADDRESS
        | attr::XOR_PEER_ADDRESS
        | attr::MAPPED_ADDRESS
            if v.len() == 8 && v[1] == 1 =>
        {
            let mut port = u16::from_be_bytes([v[2], v[3]]);
            let mut ip = [v[4], v[5], v[6], v[7]];
            if raw.typ != attr::MAPPED_ADDRESS {
                port ^= u16::from_be_bytes([key[0], key[1]]);
                for (b, k) in ip.iter_mut().zip(key) {
                    *b ^= k;
                }
            }
            line.push(' ');
            line.push_str(label);
            line.push('=');
            push_sockaddr(line, &SocketAddr::from((ip, port)));
        }
        attr::PRIORITY | attr::LIFETIME if v.len() == 4 => {
            line.push(' ');
            line.push_str(label);
            line.push('=');
            push_u64(line, u64::from(u32::from_be_bytes([v[0], v[1], v[2], v[3]])));
        }
        attr::USE_CANDIDATE if v.is_empty() => {
            line.push(' ');
            line.push_str(label);
        }
        attr::ICE_CONTROLLING | attr::ICE_CONTROLLED if v.len() == 8 => {
            line.push(' ');
            line.push_str(label);
        }
        // Text shown as it is: UTF-8, not empty, no space (else it is quoted).
        attr::USERNAME if !v.is_empty() && !v.contains(&b' ') => match std::str::from_utf8(v) {
            Ok(text) => {
                line.push(' ');
                line.push_str(label);
                line.push('=');
                line.push_str(text);
            }
            Err(_) => return false,
        },
        // A valid code with a reason phrase that quotes as it is (printable ASCII, no quote or
        // backslash).
        attr::ERROR_CODE
            if v.len() >= 4
                && (3..=6).contains(&(v[2] & 7))
                && v[3] <= 99
                && v[4..].iter().all(|&b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\') =>
        {
            line.push(' ');
            line.push_str(label);
            line.push('=');
            push_u64(line, u64::from(v[2] & 7) * 100 + u64::from(v[3]));
            line.push_str(" \"");
            line.extend_from_slice(&v[4..]);
            line.push('"');
        }
        attr::CHANNEL_NUMBER if v.len() == 4 => {
            line.push(' ');
            line.push_str(label);
            line.push_str("=0x");
            push_hex(line, &v[..2]);
        }
        _ => return false,
    }
    true
}

fn summarize_general(line: &mut LineBuf, raw: &RawAttribute<'_>, key: [u8; 16], label: &str) {
    {
        match Attribute::decode(raw, key) {
            Ok(a) => {
                line.push(' ');
                line.push_str(label);
                let _ = match a.value {
                    AttrValue::Flag | AttrValue::U64(_) => Ok(()),
                    AttrValue::XorAddress(addr) | AttrValue::Address(addr) => {
                        line.push('=');
                        push_sockaddr(line, &addr);
                        Ok(())
                    }
                    AttrValue::U32(n) => {
                        line.push('=');
                        push_u64(line, u64::from(n));
                        Ok(())
                    }
                    AttrValue::ErrorCode { code, reason } => write!(line, "={code} {reason:?}"),
                    AttrValue::Text(t) if t.contains(' ') || t.is_empty() => write!(line, "={t:?}"),
                    AttrValue::Text(t) => {
                        line.push('=');
                        line.push_str(t);
                        Ok(())
                    }
                    v => write!(line, "={v}"),
                };
            }
            Err(_) => {
                let _ = write!(line, " {label}=<damaged>");
            }
        }
    }
}

impl<W: Write + Send + 'static> Decoder<W> {
    /// A message when filters, checks, trees or records need its facts on this thread.
    #[inline(never)]
    fn message_selected(&mut self, msg: &Msg<'_>) {
        // Times are relative to the first message of the capture, whatever is filtered out.
        self.first_ns.get_or_insert(msg.time_ns);
        let scan = match &msg.body {
            Body::Stun(m) if self.scan_here => Some(Scan::of(m)),
            Body::Stun(_) => Some(Scan::default()),
            _ => None,
        };
        let facts = match (&msg.body, &scan) {
            (Body::Stun(m), Some(scan)) => {
                let mut f = self.stun_facts(msg, m, scan);
                // Only --errors selects by it; otherwise the output thread checks it for the line.
                if self.scan_here {
                    f.fingerprint = Some(scan.fingerprint(m));
                }
                if !self.keys.is_empty() {
                    f.integrity = Some(self.integrity(m, scan.integrity));
                } else if scan.integrity {
                    f.integrity = Some(Check::Unchecked);
                }
                Some(f)
            }
            _ => None,
        };
        let is_error = facts.as_ref().is_some_and(|f| {
            f.error_code.is_some() || f.fingerprint == Some(Check::Bad) || f.integrity == Some(Check::Bad)
        });
        if self.opts.errors && !is_error {
            return;
        }
        if !self.wanted(msg, facts.as_ref()) {
            return;
        }
        if is_error {
            self.errors_found += 1;
        }
        match self.mode {
            Mode::Human => {
                self.human_line(msg, facts.as_ref());
                if self.opts.tree {
                    let tree = match &msg.body {
                        Body::Stun(m) => DecodeReport::stun_with_keys(m.as_bytes(), &|_: &[u8]| Vec::new())
                            .ok()
                            .map(|mut r| {
                                r.inner.clear();
                                if let Some(c) = facts.as_ref().and_then(|f| f.integrity) {
                                    r.set_integrity(c, None, &[]);
                                }
                                crate::core::output::decode_tree(&r).to_string()
                            }),
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
            Mode::Ndjson | Mode::Json => self.record(msg, facts.as_ref()),
        }
    }
}

impl<W: Write + Send + 'static> Sink for Decoder<W> {
    #[inline(always)]
    fn message(&mut self, msg: &Msg<'_>) {
        if self.txns_there {
            // The plain line of every message: the output thread walks and matches it.
            self.human_line(msg, None);
        } else {
            self.message_selected(msg);
        }
    }

    fn message_inside<'a>(&mut self, outer: &Msg<'a>, via: Via, body: Body<'a>) {
        if !self.txns_there {
            return self.message(&Msg { via: Some(via), body, ..*outer });
        }
        // The plain line of every message: this one's line is the outer one's start with
        // `via`, which the output thread has just written.
        let body = self.body_job(&body);
        self.pipe.batch.inside(via, body);
    }

    fn problem(&mut self, frame: u64, message: &str) {
        if self.opts.txid.is_some() || !self.opts.only.is_empty() || self.opts.flow.is_some() {
            return;
        }
        match self.mode {
            Mode::Human => {
                let line = problem_line(frame, message);
                self.write(line.as_bytes());
            }
            Mode::Ndjson => eprintln!("rtctool: frame {frame}: {message}"),
            Mode::Json => {
                let mut entry = Vec::new();
                entry.extend_from_slice(if self.problems.count == 0 { b"\n" } else { b",\n" });
                let _ = serde_json::to_writer(&mut entry, &ProblemRecord { frame, message });
                self.problems.push(&entry);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::net::Transport;
    use super::*;

    /// The start of a line in the tests of whole lines.
    fn one_head() -> LineHead {
        LineHead {
            frame: 1,
            time_ns: 0,
            rel_ns: 0,
            src: "192.0.2.1:5000".parse().unwrap(),
            dst: "192.0.2.2:3478".parse().unwrap(),
            transport: Transport::Udp,
            flow: super::super::flows::FlowId::NONE,
            via: None,
            rfc4571: false,
        }
    }

    /// The direct writer of common attribute values writes what the general decoder writes,
    /// whenever it takes an attribute.
    #[test]
    fn common_attribute_values_are_summarized_like_the_general_decoder_does() {
        let key: [u8; 16] = std::array::from_fn(|i| 0x21 + i as u8 * 7);
        // Whether the direct writer took the attribute; when it did, it wrote what the general
        // decoder writes.
        let same_either_way = |typ: u16, value: &[u8]| {
            let raw = RawAttribute { typ, value, offset: 20 };
            let mut common = LineBuf::default();
            let took = summarize_common(&mut common, &raw, key, "label");
            if took {
                let mut general = LineBuf::default();
                summarize_general(&mut general, &raw, key, "label");
                assert_eq!(common.as_bytes(), general.as_bytes(), "type {typ:#06x} {value:02x?}");
            }
            took
        };
        let types = [
            attr::XOR_MAPPED_ADDRESS,
            attr::XOR_RELAYED_ADDRESS,
            attr::XOR_PEER_ADDRESS,
            attr::MAPPED_ADDRESS,
            attr::PRIORITY,
            attr::LIFETIME,
            attr::USE_CANDIDATE,
            attr::ICE_CONTROLLING,
            attr::ICE_CONTROLLED,
            attr::USERNAME,
            attr::ERROR_CODE,
            attr::CHANNEL_NUMBER,
        ];
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let mut taken = 0;
        for typ in types {
            for len in [0usize, 1, 4, 7, 8, 9, 20] {
                for family in [0u8, 1, 2, 7] {
                    let value: Vec<u8> = (0..len)
                        .map(|i| {
                            x ^= x << 13;
                            x ^= x >> 7;
                            x ^= x << 17;
                            if i == 1 {
                                family
                            } else {
                                x as u8
                            }
                        })
                        .collect();
                    taken += usize::from(same_either_way(typ, &value));
                }
            }
        }
        // Text and error codes as they come, odd ones too.
        let texts: [&[u8]; 9] = [
            b"alice",
            b"a b",
            b"",
            b"caf\xc3\xa9",
            b"\xff\xfe",
            b"tab\tx",
            b"q\"uote",
            b"back\\slash",
            b"x:y",
        ];
        for text in texts {
            let mut cases = vec![(attr::USERNAME, text.to_vec())];
            for (class, number) in [(4u8, 1u8), (4, 38), (2, 0), (7, 0), (5, 100), (3, 0)] {
                let mut v = vec![0, 0, class, number];
                v.extend_from_slice(text);
                cases.push((attr::ERROR_CODE, v));
            }
            for (typ, value) in cases {
                taken += usize::from(same_either_way(typ, &value));
            }
        }
        assert!(taken >= 30, "the direct writer took only {taken} attributes");
    }

    /// RTP and RTCP lines read as `describe` writes them.
    #[test]
    fn rtp_and_rtcp_lines_are_written_like_describe() {
        use super::super::dissect::Rtp;
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..2000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let rtp = Rtp {
                payload_type: (x & 0x7f) as u8,
                marker: x >> 7 & 1 == 1,
                seq: (x >> 8) as u16,
                timestamp: (x >> 24) as u32,
                ssrc: (x >> 32) as u32 ^ (x as u32),
                payload_len: 0,
            };
            let (mut fast, mut general) = (LineBuf::default(), LineBuf::default());
            push_rtp(&mut fast, &rtp);
            describe(&Body::Rtp(rtp), &mut general).unwrap();
            assert_eq!(fast.as_bytes(), general.as_bytes());
            // A compound RTCP packet of up to three parts, cut anywhere.
            let mut p = Vec::new();
            for k in 0..(x % 4) {
                let t = [200u8, 201, 202, 203, 204, 205, 206, 207][((x >> (3 * k)) & 7) as usize];
                p.extend_from_slice(&[0x80, t, 0, 1]);
                p.extend_from_slice(&((x >> (8 * k)) as u32).to_be_bytes());
            }
            let cut = (x >> 40) as usize % (p.len() + 1);
            let (mut fast, mut general) = (LineBuf::default(), LineBuf::default());
            push_rtcp(&mut fast, &p[..cut]);
            describe(&Body::Rtcp(&p[..cut]), &mut general).unwrap();
            assert_eq!(fast.as_bytes(), general.as_bytes(), "{:02x?}", &p[..cut]);
        }
    }

    /// The scan's own walk finds what `Message::attributes` finds up to its first structural
    /// error, on messages damaged at random too.
    #[test]
    fn the_scan_walks_attributes_like_the_iterator() {
        use crate::core::stun::MessageBuilder;
        let mut b = MessageBuilder::new(Class::SuccessResponse, Method::ALLOCATE, [3; 12]);
        b.xor_address(attr::XOR_RELAYED_ADDRESS, "203.0.113.10:50000".parse().unwrap())
            .xor_address(attr::XOR_MAPPED_ADDRESS, "198.51.100.7:40000".parse().unwrap())
            .u32(attr::LIFETIME, 600)
            .u32(attr::PRIORITY, 7)
            .fingerprint();
        let clean = b.finish();
        let mut checks = [0u32; 4];
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for round in 0..4000 {
            let mut bytes = clean.clone();
            for _ in 0..round % 4 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let i = 20 + (x as usize) % (bytes.len() - 20);
                bytes[i] = (x >> 32) as u8;
            }
            let m = Message::new_unchecked(&bytes[..]);
            let walked: Vec<RawAttribute<'_>> = m.into_attributes().map_while(Result::ok).collect();
            let scan = Scan::of(&m);
            let shown: Vec<usize> =
                walked.iter().filter(|a| shown_label(a.typ, false).is_some()).map(|a| a.offset).collect();
            let scanned: Vec<usize> = scan.shown[..scan.shown_len].iter().map(|&o| o as usize).collect();
            assert_eq!(scanned, shown[..shown.len().min(SHOWN_MAX)], "{bytes:02x?}");
            let fingerprint = walked.iter().find(|a| a.typ == attr::FINGERPRINT).map(|a| a.offset);
            assert_eq!(scan.fingerprint.map(|o| o as usize), fingerprint, "{bytes:02x?}");
            assert_eq!(scan.xor_mapped, walked.iter().any(|a| a.typ == attr::XOR_MAPPED_ADDRESS));
            let ice = walked.iter().any(|a| {
                matches!(
                    a.typ,
                    attr::PRIORITY | attr::USE_CANDIDATE | attr::ICE_CONTROLLED | attr::ICE_CONTROLLING
                )
            });
            assert_eq!(scan.ice, ice, "{bytes:02x?}");
            let integrity = walked
                .iter()
                .any(|a| matches!(a.typ, attr::MESSAGE_INTEGRITY | attr::MESSAGE_INTEGRITY_SHA256));
            assert_eq!(scan.integrity, integrity, "{bytes:02x?}");
            let error_code = walked
                .iter()
                .rev()
                .find(|a| a.typ == attr::ERROR_CODE && a.value.len() >= 4)
                .map(|a| u16::from(a.value[2] & 7) * 100 + u16::from(a.value[3]));
            assert_eq!(scan.error_code, error_code, "{bytes:02x?}");
            for &o in &scan.shown[..scan.shown_len] {
                let a = attribute_at(m.as_bytes(), o).expect("a scanned attribute is whole");
                assert!(walked.contains(&a));
            }
            // The check the dissecting thread may make instead of the output thread.
            let check = Scan::fingerprint_of(&m);
            assert_eq!(check, scan.fingerprint(&m), "{bytes:02x?}");
            checks[check as usize] += 1;
            let line = |checked: Option<Check>| {
                let head = one_head();
                let mut line = LineBuf::default();
                let body = BodyJob::Stun(0, bytes.len(), checked);
                format_line(
                    &mut line,
                    false,
                    &mut LineCache::default(),
                    &head,
                    &body,
                    &bytes,
                    Some(&StunFacts::default()),
                );
                line.as_bytes().to_vec()
            };
            assert_eq!(line(None), line(Some(check)));
        }
        // Good, bad and absent checks were all met.
        let met = |c: Check| checks[c as usize] > 0;
        assert!(met(Check::Ok) && met(Check::Bad) && met(Check::Absent), "{checks:?}");
    }

    /// STUN lines name their method and class the same way through the kept `Method Class
    /// txid=` texts as without them (colour takes the other way), for known, unknown and high
    /// methods, the first time and after.
    #[test]
    fn kept_stun_heads_read_as_made_afresh() {
        use crate::core::stun::MessageBuilder;
        let mut cache = LineCache::default();
        let methods = (0..=0x0cu16).chain([0x03f, 0x040, 0x080, 0x123, 0xfff]);
        for round in 0..2 {
            for method in methods.clone().map(Method) {
                for class in [Class::Request, Class::Indication, Class::SuccessResponse, Class::ErrorResponse]
                {
                    let bytes = MessageBuilder::new(class, method, [7; 12]).finish();
                    let head = one_head();
                    let body = BodyJob::Stun(0, bytes.len(), None);
                    let mut line = LineBuf::default();
                    format_line(&mut line, false, &mut cache, &head, &body, &bytes, None);
                    let expected = format!("  {method} {} txid=0707", class_name(class));
                    let text = String::from_utf8_lossy(line.as_bytes()).into_owned();
                    assert!(text.contains(&expected), "round {round}: {text:?} lacks {expected:?}");
                }
            }
        }
    }

    /// Lines through the cache of line starts read as lines formatted afresh: past the cache's
    /// bound, and when flow numbers are reused under a new epoch.
    #[test]
    fn cached_line_starts_format_like_fresh_ones() {
        use super::super::flows::{FlowId, FlowTable};
        let mut cache = LineCache::default();
        let mut flows = FlowTable::default();
        for round in 0..2u32 {
            for i in 0..(PAIR_CACHE_FLOWS as u32 + 500) {
                // Some line starts longer than the constant-size copy of cached ones.
                let src = if i % 7 == 3 {
                    SocketAddr::from((
                        [0x2001, 0xdb8, 0x1234, 0x5678, 0x9abc, 0xdef0, 0x1234, i as u16],
                        65000,
                    ))
                } else {
                    SocketAddr::from(([10, 0, (i >> 8) as u8, i as u8], 5000 + (i % 7) as u16))
                };
                let dst: SocketAddr = "[2001:db8::1]:3478".parse().unwrap();
                let transport = if i % 2 == 0 { Transport::Udp } else { Transport::Tcp };
                let (src, dst) = if round == 1 && i % 5 == 0 { (dst, src) } else { (src, dst) };
                let head = LineHead {
                    frame: u64::from(i),
                    time_ns: 1_000,
                    rel_ns: 1_000,
                    src,
                    dst,
                    transport,
                    flow: flows.id(transport, src, dst),
                    via: if i % 3 == 0 { Some(Via::ChannelData) } else { None },
                    rfc4571: false,
                };
                let mut cached = LineBuf::default();
                format_line(&mut cached, false, &mut cache, &head, &BodyJob::Zrtp, &[], None);
                let mut fresh = LineBuf::default();
                let uncached = LineHead { flow: FlowId::NONE, ..head };
                format_line(
                    &mut fresh,
                    false,
                    &mut LineCache::default(),
                    &uncached,
                    &BodyJob::Zrtp,
                    &[],
                    None,
                );
                assert_eq!(cached.as_bytes(), fresh.as_bytes(), "round {round}, pair {i}");
            }
        }
        assert!(cache.slots.len() <= 4 * PAIR_CACHE_FLOWS);
        // A flow number seen before, in another epoch, is another flow.
        let src: SocketAddr = "10.0.0.0:5000".parse().unwrap();
        let dst: SocketAddr = "[2001:db8::1]:3478".parse().unwrap();
        let flow = flows.id(Transport::Udp, src, dst);
        let head = LineHead {
            frame: 1,
            time_ns: 0,
            rel_ns: 0,
            src: "192.0.2.9:9".parse().unwrap(),
            dst,
            transport: Transport::Udp,
            flow: FlowId { epoch: flow.epoch + 1, ..flow },
            via: None,
            rfc4571: false,
        };
        let mut reused = LineBuf::default();
        format_line(&mut reused, false, &mut cache, &head, &BodyJob::Zrtp, &[], None);
        assert!(String::from_utf8_lossy(reused.as_bytes()).contains("192.0.2.9:9 → "));
    }
}
