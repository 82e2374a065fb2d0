//! Synthetic media frames and their end-to-end verification.
//!
//! A loopback call has no camera, so each sender makes frames of the size its bitrate and frame
//! rate call for, each carrying who sent it, its sequence number, when it was made and a CRC-32
//! of everything before the CRC. The receiver puts RTP packets back together into frames
//! ([`Assembler`]), checks each frame ([`SyntheticFrame::verify`]) and counts what arrived intact,
//! corrupted, late or not at all ([`FrameTally`]). Nothing here touches a socket or a clock: time
//! is an argument, so the tests drive it by hand.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::core::output::round_millis;

/// The first four bytes of every synthetic frame.
pub const MAGIC: [u8; 4] = *b"RTCT";
/// Format version carried in byte 4.
pub const VERSION: u8 = 1;
/// Header bytes before the filler.
pub const HEADER_LEN: usize = 24;
/// The smallest frame: header and CRC, no filler.
pub const MIN_FRAME_LEN: usize = HEADER_LEN + 4;

/// What a synthetic frame says about itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyntheticFrame {
    /// Which stream sent it ([`super::media::StreamId::code`]).
    pub stream: u8,
    /// Frame number in its stream, from 0.
    pub seq: u32,
    /// When the frame was made, in microseconds since the call's start.
    pub sent_us: u64,
    /// The frame's whole length in bytes.
    pub len: usize,
}

/// Why a received frame failed verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Corruption {
    /// Shorter than a header and a CRC.
    TooShort(usize),
    /// The magic or the version is wrong.
    BadHeader,
    /// The length field disagrees with the bytes received.
    LengthMismatch {
        /// What the header says.
        declared: usize,
        /// What arrived.
        actual: usize,
    },
    /// The CRC-32 does not match.
    BadChecksum,
}

impl std::fmt::Display for Corruption {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Corruption::TooShort(n) => {
                write!(f, "{}, shorter than a frame header", crate::core::units::count(*n as u64, "byte"))
            }
            Corruption::BadHeader => f.write_str("not a synthetic frame header (magic or version)"),
            Corruption::LengthMismatch { declared, actual } => {
                write!(f, "header says {declared} bytes, {actual} arrived")
            }
            Corruption::BadChecksum => f.write_str("CRC-32 mismatch"),
        }
    }
}

impl SyntheticFrame {
    /// Build the frame's bytes: header, a filler that depends on the sequence number (so a frame
    /// delivered in another's place is caught even if its own CRC is intact), then the CRC-32.
    /// `len` is raised to [`MIN_FRAME_LEN`] when smaller.
    ///
    /// ```
    /// use rtctool::loopback::frame::SyntheticFrame;
    /// let frame = SyntheticFrame { stream: 1, seq: 7, sent_us: 1500, len: 100 };
    /// let bytes = frame.encode();
    /// assert_eq!(bytes.len(), 100);
    /// assert_eq!(SyntheticFrame::verify(&bytes), Ok(frame));
    /// ```
    pub fn encode(&self) -> Vec<u8> {
        let len = self.len.max(MIN_FRAME_LEN);
        let mut out = Vec::with_capacity(len);
        out.extend_from_slice(&MAGIC);
        out.push(VERSION);
        out.push(self.stream);
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(&self.seq.to_be_bytes());
        out.extend_from_slice(&self.sent_us.to_be_bytes());
        out.extend_from_slice(&(len as u32).to_be_bytes());
        let seed = self.seq.wrapping_mul(2_654_435_761);
        out.extend((0..len - MIN_FRAME_LEN).map(|i| filler(seed, i)));
        let crc = crc32fast::hash(&out);
        out.extend_from_slice(&crc.to_be_bytes());
        out
    }

    /// Check a received frame: magic, version, length, CRC-32 and filler.
    pub fn verify(bytes: &[u8]) -> Result<SyntheticFrame, Corruption> {
        if bytes.len() < MIN_FRAME_LEN {
            return Err(Corruption::TooShort(bytes.len()));
        }
        if bytes[..4] != MAGIC || bytes[4] != VERSION {
            return Err(Corruption::BadHeader);
        }
        let declared = u32::from_be_bytes([bytes[20], bytes[21], bytes[22], bytes[23]]) as usize;
        if declared != bytes.len() {
            return Err(Corruption::LengthMismatch { declared, actual: bytes.len() });
        }
        let (body, crc) = bytes.split_at(bytes.len() - 4);
        if crc32fast::hash(body).to_be_bytes() != crc {
            return Err(Corruption::BadChecksum);
        }
        let seq = u32::from_be_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
        let mut sent = [0u8; 8];
        sent.copy_from_slice(&bytes[12..20]);
        let seed = seq.wrapping_mul(2_654_435_761);
        if body[HEADER_LEN..].iter().enumerate().any(|(i, &b)| b != filler(seed, i)) {
            // A valid CRC over the wrong filler: some other frame's bytes under this header.
            return Err(Corruption::BadChecksum);
        }
        Ok(SyntheticFrame { stream: bytes[5], seq, sent_us: u64::from_be_bytes(sent), len: bytes.len() })
    }
}

fn filler(seed: u32, i: usize) -> u8 {
    (seed.wrapping_add((i as u32).wrapping_mul(0x9e37_79b9)) >> 24) as u8
}

/// How an RTP payload format marks frame boundaries, enough to put frames back together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayloadFormat {
    /// RFC 7587: one frame per packet, no payload header.
    Opus,
    /// RFC 7741: a payload descriptor whose S bit (with partition 0) starts a frame.
    Vp8,
    /// draft-ietf-payload-vp9: a descriptor whose B bit starts a frame.
    Vp9,
    /// The AV1 RTP payload format: an aggregation header (Z: the first OBU element continues
    /// one from the previous packet; Y: the last continues in the next; W: element count) and
    /// OBU elements. A frame is joined into [`av1_canonical`] form.
    Av1,
}

impl PayloadFormat {
    /// Split one RTP payload into (starts a frame, the codec bytes it carries).
    fn split(self, payload: &[u8]) -> Option<(bool, &[u8])> {
        match self {
            PayloadFormat::Opus => (!payload.is_empty()).then_some((true, payload)),
            PayloadFormat::Vp8 => vp8_descriptor(payload),
            PayloadFormat::Vp9 => vp9_descriptor(payload),
            // The whole payload: elements are joined across packets when the frame completes.
            PayloadFormat::Av1 => (payload.len() >= 2).then(|| (payload[0] & 0x80 == 0, payload)),
        }
    }
}

/// RFC 7741 §4.2: X|R|N|S|R|PID, then the optional extension bytes.
fn vp8_descriptor(p: &[u8]) -> Option<(bool, &[u8])> {
    let first = *p.first()?;
    let start = first & 0x10 != 0 && first & 0x07 == 0;
    let mut at = 1;
    if first & 0x80 != 0 {
        let ext = *p.get(at)?;
        at += 1;
        if ext & 0x80 != 0 {
            // PictureID: 7 or 15 bits.
            at += if *p.get(at)? & 0x80 != 0 { 2 } else { 1 };
        }
        if ext & 0x40 != 0 {
            at += 1; // TL0PICIDX
        }
        if ext & 0x30 != 0 {
            at += 1; // TID/Y/KEYIDX
        }
    }
    p.get(at..).map(|rest| (start, rest))
}

/// VP9 payload descriptor (draft-ietf-payload-vp9-16 §4.2): I|P|L|F|B|E|V|Z, then the
/// optional fields; only what precedes the payload is needed here.
fn vp9_descriptor(p: &[u8]) -> Option<(bool, &[u8])> {
    let first = *p.first()?;
    let (i, pbit, l, f, b, v) = (
        first & 0x80 != 0,
        first & 0x40 != 0,
        first & 0x20 != 0,
        first & 0x10 != 0,
        first & 0x08 != 0,
        first & 0x02 != 0,
    );
    let mut at = 1;
    if i {
        at += if *p.get(at)? & 0x80 != 0 { 2 } else { 1 };
    }
    if l {
        at += if f { 1 } else { 2 };
    }
    if f && pbit {
        // Up to three reference indices, each with N = more follow.
        loop {
            let diff = *p.get(at)?;
            at += 1;
            if diff & 0x01 == 0 {
                break;
            }
        }
    }
    if v {
        let ss = *p.get(at)?;
        at += 1;
        let n_s = usize::from(ss >> 5) + 1;
        if ss & 0x10 != 0 {
            at += 4 * n_s;
        }
        if ss & 0x08 != 0 {
            let n_g = usize::from(*p.get(at)?);
            at += 1;
            for _ in 0..n_g {
                let g = *p.get(at)?;
                at += 1 + usize::from((g >> 2) & 0x03);
            }
        }
    }
    p.get(at..).map(|rest| (b, rest))
}

/// One RTP packet as the assembler needs it.
#[derive(Debug, Clone, Copy)]
pub struct RtpView<'a> {
    /// The sequence number.
    pub seq: u16,
    /// The RTP timestamp (one per frame).
    pub timestamp: u32,
    /// The marker bit (the last packet of a frame).
    pub marker: bool,
    /// The payload, payload descriptor included.
    pub payload: &'a [u8],
}

/// A frame put back together from its packets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssembledFrame {
    /// Its RTP timestamp.
    pub timestamp: u32,
    /// The codec bytes, payload descriptors removed.
    pub data: Vec<u8>,
    /// How many packets carried it.
    pub packets: usize,
}

#[derive(Debug, Default)]
struct Partial {
    /// Extended sequence number → (starts a frame, ends a frame, codec bytes).
    packets: BTreeMap<u64, (bool, bool, Vec<u8>)>,
}

/// Frames that stay incomplete this long after the newest packet are given up on.
const GIVE_UP_AFTER: u32 = 90_000 * 5;
/// How many completed timestamps are remembered, so retransmissions of a frame already
/// delivered are recognised as duplicates instead of starting a new frame.
const REMEMBER_DONE: usize = 2048;

/// Reassembles frames from RTP packets of one stream, whatever order they come in.
///
/// A frame is complete when the packets from one that starts a frame to one with the marker
/// bit, with every sequence number between, have arrived (RTP timestamps group them).
#[derive(Debug)]
pub struct Assembler {
    format: PayloadFormat,
    highest: Option<u64>,
    partial: BTreeMap<u32, Partial>,
    done: HashSet<u32>,
    done_order: VecDeque<u32>,
    /// Packets received more than once (or after their frame was complete).
    pub duplicates: u64,
    /// Packets whose payload could not be parsed for this format.
    pub malformed: u64,
    /// Distinct packets received (each sequence number once).
    pub unique: u64,
    /// Distinct packets that arrived after a later one: retransmissions, on a path that does
    /// not reorder (loopback, and the impairment relay).
    pub out_of_order: u64,
    lowest: Option<u64>,
}

impl Assembler {
    /// An assembler for one stream in `format`.
    pub fn new(format: PayloadFormat) -> Self {
        Assembler {
            format,
            highest: None,
            partial: BTreeMap::new(),
            done: HashSet::new(),
            done_order: VecDeque::new(),
            duplicates: 0,
            malformed: 0,
            unique: 0,
            out_of_order: 0,
            lowest: None,
        }
    }

    /// Take one packet; returns the frame it completes, if any.
    ///
    /// ```
    /// use rtctool::loopback::frame::{Assembler, PayloadFormat, RtpView};
    /// let mut a = Assembler::new(PayloadFormat::Vp8);
    /// // Two packets of one frame, the second arriving first.
    /// let second = RtpView { seq: 11, timestamp: 3000, marker: true, payload: &[0x00, 3, 4] };
    /// let first = RtpView { seq: 10, timestamp: 3000, marker: false, payload: &[0x10, 1, 2] };
    /// assert_eq!(a.push(second), None);
    /// let frame = a.push(first).unwrap();
    /// assert_eq!(frame.data, [1, 2, 3, 4]);
    /// ```
    pub fn push(&mut self, packet: RtpView<'_>) -> Option<AssembledFrame> {
        let newest_before = self.highest;
        let ext = self.extend(packet.seq);
        if self.done.contains(&packet.timestamp) {
            self.duplicates += 1;
            return None;
        }
        let Some((start, bytes)) = self.format.split(packet.payload) else {
            self.malformed += 1;
            self.unique += 1;
            return None;
        };
        let partial = self.partial.entry(packet.timestamp).or_default();
        if partial.packets.insert(ext, (start, packet.marker, bytes.to_vec())).is_some() {
            self.duplicates += 1;
            return None;
        }
        self.unique += 1;
        if newest_before.is_some_and(|h| ext < h) {
            self.out_of_order += 1;
        }
        if self.lowest.is_none_or(|l| ext < l) {
            self.lowest = Some(ext);
        }
        let frame = complete(partial, self.format).map(|(data, packets)| AssembledFrame {
            timestamp: packet.timestamp,
            data,
            packets,
        });
        if frame.is_some() {
            self.partial.remove(&packet.timestamp);
            self.remember_done(packet.timestamp);
        }
        self.expire(packet.timestamp);
        frame
    }

    /// Packets missing from the range of sequence numbers seen (RFC 3550's "expected minus
    /// received", duplicates not counted as received).
    pub fn lost(&self) -> u64 {
        match (self.lowest, self.highest) {
            (Some(low), Some(high)) => (high - low + 1).saturating_sub(self.unique),
            _ => 0,
        }
    }

    /// Frames begun and still incomplete.
    pub fn incomplete(&self) -> usize {
        self.partial.len()
    }

    fn remember_done(&mut self, timestamp: u32) {
        if self.done.insert(timestamp) {
            self.done_order.push_back(timestamp);
            if self.done_order.len() > REMEMBER_DONE {
                if let Some(old) = self.done_order.pop_front() {
                    self.done.remove(&old);
                }
            }
        }
    }

    /// Drop partial frames far older than `now_ts` (by RTP time, wrap-aware).
    fn expire(&mut self, now_ts: u32) {
        self.partial.retain(|&ts, _| {
            now_ts.wrapping_sub(ts) <= GIVE_UP_AFTER || ts.wrapping_sub(now_ts) <= GIVE_UP_AFTER
        });
    }

    /// Unwrap a 16-bit sequence number to 64 bits next to the highest seen (RFC 3550 A.1 style).
    fn extend(&mut self, seq: u16) -> u64 {
        let ext = match self.highest {
            None => u64::from(seq) + (1 << 16),
            Some(high) => {
                let base = high & !0xffff;
                let candidates = [base.wrapping_sub(1 << 16), base, base + (1 << 16)];
                candidates
                    .iter()
                    .map(|b| b.wrapping_add(u64::from(seq)))
                    .min_by_key(|c| c.abs_diff(high))
                    .unwrap_or(u64::from(seq))
            }
        };
        if self.highest.is_none_or(|h| ext > h) {
            self.highest = Some(ext);
        }
        ext
    }
}

/// The frame's bytes when a start, an end and every packet between are present.
fn complete(partial: &Partial, format: PayloadFormat) -> Option<(Vec<u8>, usize)> {
    let (&first, &(start, _, _)) = partial.packets.first_key_value()?;
    if !start {
        return None;
    }
    let mut data = Vec::new();
    let mut av1 = Vec::new();
    for (i, (expect, (&seq, (_, end, bytes)))) in (first..).zip(&partial.packets).enumerate() {
        if seq != expect {
            return None;
        }
        match format {
            PayloadFormat::Av1 => av1.push(bytes.as_slice()),
            _ => data.extend_from_slice(bytes),
        }
        if *end {
            if format == PayloadFormat::Av1 {
                // A frame whose elements do not join is kept as its raw payloads: it will not
                // verify, and counts as corrupted.
                data = av1_join(&av1).unwrap_or_else(|| av1.concat());
            }
            return Some((data, i + 1));
        }
    }
    None
}

/// OBU types the AV1 RTP payload format leaves out: temporal delimiters, tile lists, padding.
const AV1_DROPPED_OBUS: [u8; 3] = [2, 8, 15];

/// The AV1 OBU bit that says an obu_size field follows the header.
const AV1_HAS_SIZE: u8 = 0x02;

fn leb128(mut n: usize, out: &mut Vec<u8>) {
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// A LEB128 value at the start of `b` (at most 8 bytes, as AV1 allows): (value, its length).
fn read_leb128(b: &[u8]) -> Option<(usize, usize)> {
    let mut value = 0usize;
    for (i, &byte) in b.iter().take(8).enumerate() {
        value |= usize::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Some((value, i + 1));
        }
    }
    None
}

/// An AV1 temporal unit in a form both ends can compute: every OBU the RTP payload format
/// carries, each as a LEB128 length then the OBU with its obu_size field removed (and the
/// has-size bit cleared), in order; temporal delimiters, tile lists and padding left out. The
/// sender computes it from the file's frame, the receiver from what the packets carried.
/// Fails, saying where, on a frame that is not a well-formed OBU sequence.
pub fn av1_canonical(frame: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(frame.len());
    let mut at = 0;
    while at < frame.len() {
        let header = frame[at];
        if header & 0x80 != 0 {
            return Err(format!("OBU at byte {at}: the forbidden bit is set"));
        }
        let header_len = if header & 0x04 != 0 { 2 } else { 1 };
        if at + header_len > frame.len() {
            return Err(format!("OBU at byte {at}: its header is cut short"));
        }
        let (payload_at, payload_len) = if header & AV1_HAS_SIZE != 0 {
            let (len, used) = read_leb128(&frame[at + header_len..])
                .ok_or_else(|| format!("OBU at byte {at}: its size field is cut short"))?;
            (at + header_len + used, len)
        } else {
            (at + header_len, frame.len() - at - header_len)
        };
        let end = payload_at
            .checked_add(payload_len)
            .filter(|&e| e <= frame.len())
            .ok_or_else(|| format!("OBU at byte {at}: its size runs past the end of the frame"))?;
        if !AV1_DROPPED_OBUS.contains(&((header >> 3) & 0x0f)) {
            leb128(header_len + payload_len, &mut out);
            out.push(header & !AV1_HAS_SIZE);
            if header_len == 2 {
                out.push(frame[at + 1]);
            }
            out.extend_from_slice(&frame[payload_at..end]);
        }
        at = end;
    }
    Ok(out)
}

/// Join the AV1 RTP payloads of one frame, in order, into [`av1_canonical`] form; `None` when
/// they do not fit together (a fragment without its start or end, a bad length).
pub fn av1_join(payloads: &[&[u8]]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut pending: Option<Vec<u8>> = None;
    for (i, p) in payloads.iter().enumerate() {
        let (&aggregation, mut rest) = p.split_first()?;
        let (z, y, w) =
            (aggregation & 0x80 != 0, aggregation & 0x40 != 0, usize::from((aggregation >> 4) & 0x03));
        if z != pending.is_some() {
            return None;
        }
        let mut elements = Vec::new();
        while !rest.is_empty() {
            let last_without_length = w != 0 && elements.len() + 1 == w;
            let len = if last_without_length {
                rest.len()
            } else {
                let (len, used) = read_leb128(rest)?;
                rest = &rest[used..];
                len
            };
            elements.push(rest.get(..len)?);
            rest = &rest[len..];
        }
        if w != 0 && elements.len() != w {
            return None;
        }
        let count = elements.len();
        for (j, element) in elements.into_iter().enumerate() {
            let mut obu = match (j, pending.take()) {
                (0, Some(mut start)) => {
                    start.extend_from_slice(element);
                    start
                }
                _ => element.to_vec(),
            };
            if j + 1 == count && y {
                pending = Some(std::mem::take(&mut obu));
                continue;
            }
            if obu.is_empty() {
                return None;
            }
            leb128(obu.len(), &mut out);
            out.extend_from_slice(&obu);
        }
        if i + 1 == payloads.len() && pending.is_some() {
            return None;
        }
    }
    Some(out)
}

/// What happened to the frames of one stream, as the receiver saw them.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FrameTally {
    /// Complete frames that passed verification.
    pub verified: u64,
    /// Complete frames that failed it.
    pub corrupted: u64,
    /// Verified frames completed after a newer frame of the stream had been (a real-time
    /// player would have skipped them).
    pub late: u64,
    /// Frames received more than once.
    pub duplicate: u64,
    /// Mean, 95th percentile and largest time from making a frame to completing it, in ms.
    pub latency_ms: Option<LatencySummary>,
    #[serde(skip)]
    newest: Option<u32>,
    #[serde(skip)]
    seen: HashSet<u32>,
    #[serde(skip)]
    latencies_us: Vec<u64>,
    #[serde(skip)]
    last_corruption: Option<String>,
}

/// A latency distribution, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LatencySummary {
    /// Mean.
    pub mean: f64,
    /// 95th percentile.
    pub p95: f64,
    /// Largest.
    pub max: f64,
}

impl LatencySummary {
    /// Mean, 95th percentile and largest of `samples` (µs), in ms; `None` without samples.
    ///
    /// ```
    /// use rtctool::loopback::frame::LatencySummary;
    /// let s = LatencySummary::from_micros(vec![3000, 1000, 2000]).unwrap();
    /// assert_eq!((s.mean, s.p95, s.max), (2.0, 3.0, 3.0));
    /// assert!(LatencySummary::from_micros(vec![]).is_none());
    /// ```
    pub fn from_micros(mut samples: Vec<u64>) -> Option<Self> {
        let max = *samples.iter().max()?;
        samples.sort_unstable();
        let mean = samples.iter().sum::<u64>() as f64 / samples.len() as f64;
        let p95 = samples[((samples.len() - 1) as f64 * 0.95).round() as usize];
        Some(LatencySummary {
            mean: round_millis(mean / 1000.0),
            p95: round_millis(p95 as f64 / 1000.0),
            max: round_millis(max as f64 / 1000.0),
        })
    }
}

impl FrameTally {
    /// Count one completed synthetic frame, received `age` after the call's start.
    pub fn record(&mut self, data: &[u8], age: Duration) {
        self.count(SyntheticFrame::verify(data).map(|f| (f.seq, f.sent_us)).map_err(|e| e.to_string()), age);
    }

    /// Count one completed frame of real media, checked against the sender's ledger.
    pub fn record_against(&mut self, ledger: &mut Ledger, data: &[u8], age: Duration) {
        let claimed =
            ledger.claim(data).ok_or_else(|| "not a frame the sender sent (CRC-32 unknown)".to_owned());
        self.count(claimed, age);
    }

    fn count(&mut self, frame: std::result::Result<(u32, u64), String>, age: Duration) {
        match frame {
            Ok((seq, sent_us)) => {
                if !self.seen.insert(seq) {
                    self.duplicate += 1;
                    return;
                }
                self.verified += 1;
                if self.newest.is_some_and(|n| seq < n) {
                    self.late += 1;
                }
                self.newest = Some(self.newest.map_or(seq, |n| n.max(seq)));
                self.latencies_us.push((age.as_micros() as u64).saturating_sub(sent_us));
            }
            Err(why) => {
                self.corrupted += 1;
                self.last_corruption = Some(why);
            }
        }
    }

    /// The most recent reason a frame failed verification.
    pub fn last_corruption(&self) -> Option<&str> {
        self.last_corruption.as_deref()
    }

    /// Settle the latency summary (call once, before reporting).
    pub fn finish(&mut self) {
        self.latency_ms = LatencySummary::from_micros(self.latencies_us.clone());
    }
}

/// What a sender of real media (a file) sent, so the receiver can check each frame it
/// completes: frames are known by their CRC-32, in the order they went out.
///
/// A ledger can also stand for a clip that both ends hold ([`Ledger::of_clip`]): the receiver
/// of a clip played in a loop by another process checks each frame against the clip itself.
#[derive(Debug, Default)]
pub struct Ledger {
    next: u32,
    by_crc: HashMap<u32, VecDeque<(u32, u64)>>,
    clip: Option<ClipIndex>,
}

/// Where each frame of a looped clip stands in it, and how many loops have come.
#[derive(Debug)]
struct ClipIndex {
    at: HashMap<u32, u32>,
    len: u32,
    newest: Option<u64>,
}

impl Ledger {
    /// A ledger of a clip played in a loop: every frame of it is always expected. A frame's
    /// number counts on through the loops (a frame well before the last one claimed starts a
    /// new loop; one just before it is late); send times are unknown (0). Frames that repeat
    /// inside the clip are known by their first place.
    ///
    /// ```
    /// use rtctool::loopback::frame::Ledger;
    /// let clip: Vec<Vec<u8>> = (0u8..10).map(|i| vec![i; 4]).collect();
    /// let mut ledger = Ledger::of_clip(clip.iter().map(|f| f.as_slice()));
    /// let mut seq = |i: usize| ledger.claim(&clip[i]).unwrap().0;
    /// let first: Vec<u32> = (0..10).map(&mut seq).collect();
    /// assert_eq!(first, (0..10).collect::<Vec<u32>>());
    /// // The second loop: frame 0 is number 10, frame 2 is 12, and frame 1, late, is 11.
    /// assert_eq!([seq(0), seq(2), seq(1)], [10, 12, 11]);
    /// assert_eq!(ledger.claim(b"none of them"), None);
    /// ```
    pub fn of_clip<'a>(frames: impl IntoIterator<Item = &'a [u8]>) -> Ledger {
        let mut at = HashMap::new();
        let mut len = 0u32;
        for f in frames {
            at.entry(crc32fast::hash(f)).or_insert(len);
            len += 1;
        }
        Ledger { clip: Some(ClipIndex { at, len: len.max(1), newest: None }), ..Ledger::default() }
    }

    /// Note a frame sent at `sent_us` (µs since the call's start); returns its number.
    pub fn record(&mut self, data: &[u8], sent_us: u64) -> u32 {
        let seq = self.next;
        self.next = self.next.wrapping_add(1);
        self.by_crc.entry(crc32fast::hash(data)).or_default().push_back((seq, sent_us));
        seq
    }

    /// The (number, send time) of the earliest unclaimed sent frame with these bytes.
    ///
    /// ```
    /// use rtctool::loopback::frame::Ledger;
    /// let mut ledger = Ledger::default();
    /// ledger.record(b"frame", 10);
    /// ledger.record(b"frame", 20); // a file played twice
    /// assert_eq!(ledger.claim(b"frame"), Some((0, 10)));
    /// assert_eq!(ledger.claim(b"frame"), Some((1, 20)));
    /// assert_eq!(ledger.claim(b"frame"), None);
    /// assert_eq!(ledger.claim(b"frAme"), None);
    /// ```
    pub fn claim(&mut self, data: &[u8]) -> Option<(u32, u64)> {
        let crc = crc32fast::hash(data);
        if let Some(c) = &mut self.clip {
            let i = u64::from(*c.at.get(&crc)?);
            let len = u64::from(c.len);
            // The place in the loops nearest to the newest frame so far: the next loop after a
            // wrap, the same loop for a late frame.
            let seq = match c.newest {
                None => i,
                Some(newest) => {
                    let base = newest / len * len;
                    [base.checked_sub(len), Some(base), Some(base + len)]
                        .into_iter()
                        .flatten()
                        .map(|b| b + i)
                        .min_by_key(|s| s.abs_diff(newest))
                        .unwrap_or(i)
                }
            };
            c.newest = Some(c.newest.map_or(seq, |n| n.max(seq)));
            return Some((seq as u32, 0));
        }
        let queue = self.by_crc.get_mut(&crc)?;
        let first = queue.pop_front();
        if queue.is_empty() {
            self.by_crc.remove(&crc);
        }
        first
    }
}

/// Interarrival jitter per RFC 3550 §6.4.1, in the stream's clock units, from arrival times.
#[derive(Debug, Clone, Default)]
pub struct JitterEstimator {
    last: Option<(Instant, u32)>,
    jitter: f64,
}

impl JitterEstimator {
    /// Account for a packet with RTP timestamp `ts` arriving at `at`; `clock_rate` in Hz.
    pub fn push(&mut self, at: Instant, ts: u32, clock_rate: u32) {
        if let Some((prev_at, prev_ts)) = self.last {
            let arrival = at.saturating_duration_since(prev_at).as_secs_f64() * f64::from(clock_rate);
            let transit_diff = arrival - f64::from(ts.wrapping_sub(prev_ts) as i32);
            self.jitter += (transit_diff.abs() - self.jitter) / 16.0;
        }
        self.last = Some((at, ts));
    }

    /// The estimate in milliseconds.
    pub fn ms(&self, clock_rate: u32) -> f64 {
        if clock_rate == 0 {
            0.0
        } else {
            self.jitter * 1000.0 / f64::from(clock_rate)
        }
    }
}

/// Two decimals, for percentages and rates (milliseconds go through [`round_millis`]).
pub(crate) fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An AV1 temporal unit as an encoder writes it in IVF: a temporal delimiter, a sequence
    /// header, and a frame OBU of `len` bytes (with an extension byte when `ext`), all with
    /// obu_size fields; the last one without, when `last_unsized`.
    fn av1_temporal_unit(len: usize, ext: bool, last_unsized: bool) -> Vec<u8> {
        let mut tu = vec![0x12, 0x00]; // temporal delimiter (type 2), size 0
        tu.extend_from_slice(&[0x0a, 0x03, 0x01, 0x02, 0x03]); // sequence header (type 1), size 3
        let header = 0x30 | if ext { 0x04 } else { 0 } | if last_unsized { 0 } else { 0x02 };
        tu.push(header); // frame (type 6)
        if ext {
            tu.push(0x28);
        }
        if !last_unsized {
            leb128(len, &mut tu);
        }
        tu.extend((0..len).map(|i| (i * 7 + 3) as u8));
        tu
    }

    #[test]
    fn av1_frames_join_back_from_the_real_packetizer() {
        use rtc::rtp::packetizer::Payloader;
        for (len, ext, last_unsized) in
            [(10, false, false), (3000, true, false), (2500, false, true), (120, true, true)]
        {
            let tu = av1_temporal_unit(len, ext, last_unsized);
            let canonical = av1_canonical(&tu).unwrap();
            for mtu in [60, 300, 1200] {
                let mut payloader = rtc::rtp::codec::av1::Av1Payloader::default();
                let payloads = payloader.payload(mtu, &bytes::Bytes::from(tu.clone())).unwrap();
                let views: Vec<&[u8]> = payloads.iter().map(|p| p.as_ref()).collect();
                assert_eq!(av1_join(&views).as_deref(), Some(&canonical[..]), "len {len}, mtu {mtu}");
                // Through the assembler, packets in reverse order.
                let mut a = Assembler::new(PayloadFormat::Av1);
                let last = views.len() - 1;
                let mut frame = None;
                for (i, v) in views.iter().enumerate().rev() {
                    let packet =
                        RtpView { seq: 100 + i as u16, timestamp: 9000, marker: i == last, payload: v };
                    frame = a.push(packet).or(frame);
                }
                assert_eq!(frame.map(|f| f.data), Some(canonical.clone()), "len {len}, mtu {mtu}");
                // A missing middle packet leaves the frame incomplete; a missing first packet
                // leaves it unstarted or, when the second begins on an OBU, unjoinable.
                if views.len() > 2 {
                    let mut a = Assembler::new(PayloadFormat::Av1);
                    for (i, v) in views.iter().enumerate().filter(|(i, _)| *i != 1) {
                        let packet =
                            RtpView { seq: 100 + i as u16, timestamp: 9000, marker: i == last, payload: v };
                        assert_eq!(a.push(packet), None);
                    }
                }
            }
        }
        // The dropped OBUs are dropped; malformed ones are said.
        assert_eq!(av1_canonical(&[0x12, 0x00]).unwrap(), Vec::<u8>::new());
        assert!(av1_canonical(&[0x32, 0x05, 1, 2]).unwrap_err().contains("runs past the end"));
        assert!(av1_canonical(&[0xb2, 0x00]).unwrap_err().contains("forbidden bit"));
        assert_eq!(av1_join(&[&[0x80, 1, 2][..]]), None, "a continuation with nothing before it");
    }

    fn packets(frame: &[u8], ts: u32, first_seq: u16, mtu: usize) -> Vec<(u16, u32, bool, Vec<u8>)> {
        let chunks: Vec<&[u8]> = frame.chunks(mtu).collect();
        let n = chunks.len();
        chunks
            .into_iter()
            .enumerate()
            .map(|(i, c)| {
                let mut p = vec![if i == 0 { 0x10 } else { 0x00 }];
                p.extend_from_slice(c);
                (first_seq.wrapping_add(i as u16), ts, i == n - 1, p)
            })
            .collect()
    }

    fn view(p: &(u16, u32, bool, Vec<u8>)) -> RtpView<'_> {
        RtpView { seq: p.0, timestamp: p.1, marker: p.2, payload: &p.3 }
    }

    #[test]
    fn frames_round_trip_and_damage_is_caught() {
        for len in [0, 28, 29, 80, 1200, 5000] {
            let f = SyntheticFrame { stream: 3, seq: 99, sent_us: 123_456, len };
            let bytes = f.encode();
            let back = SyntheticFrame::verify(&bytes).unwrap();
            assert_eq!(back.seq, 99);
            assert_eq!(back.len, len.max(MIN_FRAME_LEN));
            for i in 0..bytes.len() {
                let mut bad = bytes.clone();
                bad[i] ^= 0x20;
                assert!(SyntheticFrame::verify(&bad).is_err(), "flip at {i} of {}", bytes.len());
            }
            assert!(SyntheticFrame::verify(&bytes[..bytes.len() - 1]).is_err());
        }
        assert_eq!(SyntheticFrame::verify(b"short"), Err(Corruption::TooShort(5)));
    }

    #[test]
    fn reordered_packets_across_sequence_wrap_make_one_frame() {
        let frame = SyntheticFrame { stream: 1, seq: 5, sent_us: 0, len: 4000 }.encode();
        let mut ps = packets(&frame, 90_000, 65_534, 1000);
        ps.reverse();
        let mut a = Assembler::new(PayloadFormat::Vp8);
        let mut out = Vec::new();
        for p in &ps {
            out.extend(a.push(view(p)));
        }
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].data, frame);
        assert_eq!(out[0].packets, 4);
        assert_eq!(a.incomplete(), 0);
        // A retransmission after completion is a duplicate, not a new frame.
        assert_eq!(a.push(view(&ps[0])), None);
        assert_eq!(a.duplicates, 1);
    }

    #[test]
    fn a_missing_packet_holds_the_frame_until_it_comes() {
        let frame = SyntheticFrame { stream: 1, seq: 1, sent_us: 0, len: 3000 }.encode();
        let ps = packets(&frame, 1, 100, 1000);
        let mut a = Assembler::new(PayloadFormat::Vp8);
        assert_eq!(a.push(view(&ps[0])), None);
        assert_eq!(a.push(view(&ps[2])), None);
        assert_eq!(a.incomplete(), 1);
        assert!(a.push(view(&ps[1])).is_some());
    }

    #[test]
    fn tally_counts_late_duplicate_and_corrupted() {
        let mut t = FrameTally::default();
        let f = |seq| SyntheticFrame { stream: 0, seq, sent_us: u64::from(seq) * 20_000, len: 80 }.encode();
        t.record(&f(0), Duration::from_millis(5));
        t.record(&f(2), Duration::from_millis(46));
        t.record(&f(1), Duration::from_millis(60)); // after 2: late
        t.record(&f(1), Duration::from_millis(61)); // again: duplicate
        let mut bad = f(3);
        bad[40] ^= 1;
        t.record(&bad, Duration::from_millis(70));
        t.finish();
        assert_eq!((t.verified, t.late, t.duplicate, t.corrupted), (3, 1, 1, 1));
        let lat = t.latency_ms.unwrap();
        assert_eq!(lat.max, 40.0);
        assert_eq!(lat.mean, 17.0);
    }

    #[test]
    fn vp9_and_vp8_descriptors_with_extensions() {
        // VP8: X=1, S=1; I=1 with a 15-bit picture id; L=1; T=1.
        let p = [0x90, 0xe0, 0x80, 0x01, 0x05, 0x40, 0xaa, 0xbb];
        assert_eq!(vp8_descriptor(&p), Some((true, &[0xaa, 0xbb][..])));
        // VP9: I=1 (7-bit id), B=1, E=1.
        let p = [0x8c, 0x12, 0xcc];
        assert_eq!(vp9_descriptor(&p), Some((true, &[0xcc][..])));
        assert_eq!(vp9_descriptor(&[0x80]), None);
    }

    #[test]
    fn jitter_of_a_steady_stream_is_zero_and_grows_with_variation() {
        let t0 = Instant::now();
        let mut j = JitterEstimator::default();
        for i in 0..50u32 {
            j.push(t0 + Duration::from_millis(u64::from(i) * 20), i * 960, 48_000);
        }
        assert!(j.ms(48_000) < 0.01);
        for i in 50..100u32 {
            let wobble = if i % 2 == 0 { 5 } else { 0 };
            j.push(t0 + Duration::from_millis(u64::from(i) * 20 + wobble), i * 960, 48_000);
        }
        assert!(j.ms(48_000) > 2.0, "{}", j.ms(48_000));
    }
}
