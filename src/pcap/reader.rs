//! Streaming capture reader: classic pcap (both byte orders, µs and ns) and pcapng (several
//! sections and interfaces, each with its own link type and timestamp resolution), told apart
//! by magic bytes. The file is read through one bounded buffer; only the block being decoded
//! is ever in memory.
//!
//! pcap-file's slice parsers find the blocks and records. Packet block bodies are read here
//! directly: pcap-file's `EnhancedPacketBlock` would allocate the option list of every packet,
//! and its timestamp is the raw tick count taken as nanoseconds whatever the interface's
//! `if_tsresol` says, so ticks are scaled by each interface's resolution here.

use std::io::{self, Read};

use pcap_file::pcap::{PcapHeader, PcapParser};
use pcap_file::pcapng::PcapNgParser;
use pcap_file::{Endianness, PcapError, TsResolution};

/// Largest block or packet record accepted (a jumbo snaplen is 256 KiB; this leaves room).
pub const MAX_RECORD: usize = 16 << 20;
const INITIAL_BUFFER: usize = 256 << 10;

/// One captured packet, borrowed from the reader's buffer until the next call.
#[derive(Debug, Clone, Copy)]
pub struct Packet<'a> {
    /// 1-based frame number, as Wireshark counts.
    pub frame: u64,
    /// Capture time, nanoseconds since the Unix epoch.
    pub time_ns: u64,
    /// Link type (tcpdump.org LINKTYPE_ value).
    pub linktype: u32,
    /// The captured bytes.
    pub data: &'a [u8],
    /// The packet's length on the wire (a u32 in captures; kept wider so that it is not
    /// stored next to `linktype`, whose stores the CPU could not forward to a load of both).
    pub orig_len: u64,
}

/// What the reader found next.
#[derive(Debug)]
pub enum Item<'a> {
    /// A packet.
    Packet(Packet<'a>),
    /// A record that could not be read and was skipped; reading goes on after it.
    Skipped {
        /// File offset of the record.
        offset: u64,
        /// What was wrong.
        reason: String,
    },
}

#[derive(Debug, Clone, Copy)]
struct Interface {
    linktype: u32,
    /// Ticks per second of this interface's timestamps.
    ticks_per_sec: u64,
    /// if_tsoffset, seconds.
    offset_s: u64,
}

enum Format {
    Pcap {
        parser: PcapParser,
        linktype: u32,
        /// The byte order, the timestamp resolution, the largest record, the last good
        /// record's time: what a record must look like.
        records: Plausible,
    },
    PcapNg {
        parser: Box<PcapNgParser>,
        interfaces: Vec<Interface>,
    },
}

/// The capture formats the reader knows by their magic bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaptureFormat {
    /// Classic libpcap.
    Pcap,
    /// pcapng.
    PcapNg,
}

/// Which format a file is, by its first four bytes.
pub fn detect(magic: &[u8]) -> Option<CaptureFormat> {
    match magic.get(..4)? {
        [0xd4, 0xc3, 0xb2, 0xa1]
        | [0xa1, 0xb2, 0xc3, 0xd4]
        | [0x4d, 0x3c, 0xb2, 0xa1]
        | [0xa1, 0xb2, 0x3c, 0x4d] => Some(CaptureFormat::Pcap),
        [0x0a, 0x0d, 0x0d, 0x0a] => Some(CaptureFormat::PcapNg),
        _ => None,
    }
}

/// Reads packets from a pcap or pcapng stream.
pub struct CaptureReader<R: Read> {
    src: R,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
    /// File offset of `buf[start]`.
    offset: u64,
    format: Format,
    frame: u64,
    /// Bytes read so far (for progress).
    bytes_read: u64,
}

fn ticks_per_sec(tsresol: u8) -> u64 {
    let exp = u32::from(tsresol & 0x7f);
    if tsresol & 0x80 == 0 {
        10u64.checked_pow(exp).unwrap_or(u64::MAX)
    } else {
        1u64.checked_shl(exp).unwrap_or(u64::MAX)
    }
}

fn to_ns(ticks: u64, per_sec: u64) -> u64 {
    match per_sec {
        0 => return 0,
        // The usual resolutions, without a 128-bit division per packet.
        1_000_000_000 => return ticks,
        1_000_000 => return ticks.saturating_mul(1000),
        _ => {}
    }
    let ns = u128::from(ticks) * 1_000_000_000 / u128::from(per_sec);
    u64::try_from(ns).unwrap_or(u64::MAX)
}

/// Error of the reader itself (not of one record): unreadable stream, not a capture, a
/// record larger than [`MAX_RECORD`].
#[derive(Debug)]
pub struct ReadError(pub String);

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl<R: Read> CaptureReader<R> {
    /// Read the file header and get ready to read packets.
    pub fn new(src: R) -> Result<Self, ReadError> {
        let mut reader = CaptureReader {
            src,
            buf: vec![0; INITIAL_BUFFER],
            start: 0,
            end: 0,
            eof: false,
            offset: 0,
            format: Format::PcapNg { parser: Box::new(placeholder_ng()), interfaces: Vec::new() },
            frame: 0,
            bytes_read: 0,
        };
        reader.fill(4)?;
        let format = detect(&reader.buf[..reader.end]).ok_or_else(|| {
            let head = &reader.buf[..reader.end.min(4)];
            ReadError(format!(
                "not a pcap or pcapng capture (first bytes {}; expected a pcap magic a1b2c3d4/a1b23c4d or pcapng 0a0d0d0a)",
                crate::core::stun::hex(head)
            ))
        })?;
        match format {
            CaptureFormat::Pcap => {
                reader.fill(24)?;
                let (header, used) = match PcapParser::new(&reader.buf[..reader.end]) {
                    Ok((rem, parser)) => (parser.header(), reader.end - rem.len()),
                    Err(e) => return Err(ReadError(format!("pcap file header: {e}"))),
                };
                reader.consume(used);
                let PcapHeader { datalink, ts_resolution, endianness, snaplen, .. } = header;
                let parser = PcapParser::new(&pcap_header_bytes(&header))
                    .map(|(_, p)| p)
                    .map_err(|e| ReadError(e.to_string()))?;
                reader.format = Format::Pcap {
                    parser,
                    linktype: u32::from(datalink),
                    records: Plausible {
                        big: endianness == Endianness::Big,
                        nanos: ts_resolution == TsResolution::NanoSecond,
                        max_record: (snaplen as usize).clamp(PLAUSIBLE_RECORD, MAX_RECORD),
                        near: None,
                    },
                };
            }
            CaptureFormat::PcapNg => {
                let parser = loop {
                    match PcapNgParser::new(&reader.buf[reader.start..reader.end]) {
                        Ok((rem, parser)) => {
                            let used = reader.end - reader.start - rem.len();
                            reader.consume(used);
                            break parser;
                        }
                        Err(PcapError::IncompleteBuffer) if !reader.eof => reader.more()?,
                        Err(e) => return Err(ReadError(format!("pcapng section header: {e}"))),
                    }
                };
                reader.format = Format::PcapNg { parser: Box::new(parser), interfaces: Vec::new() };
            }
        }
        Ok(reader)
    }

    /// Bytes consumed from the stream so far.
    pub fn bytes_read(&self) -> u64 {
        self.bytes_read
    }

    fn consume(&mut self, n: usize) {
        self.start += n;
        self.offset += n as u64;
    }

    /// Make sure at least `n` bytes are buffered (fewer at end of stream).
    fn fill(&mut self, n: usize) -> Result<(), ReadError> {
        while self.end - self.start < n && !self.eof {
            self.more()?;
        }
        Ok(())
    }

    /// Read more bytes: compact, grow when full (up to MAX_RECORD), read.
    fn more(&mut self) -> Result<(), ReadError> {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.end == self.buf.len() {
            if self.buf.len() >= MAX_RECORD {
                return Err(ReadError(format!(
                    "record at offset {} is larger than {} MiB; the file is damaged",
                    self.offset,
                    MAX_RECORD >> 20
                )));
            }
            self.buf.resize((self.buf.len() * 2).min(MAX_RECORD), 0);
        }
        loop {
            match self.src.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(());
                }
                Ok(n) => {
                    self.end += n;
                    self.bytes_read += n as u64;
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(ReadError(format!("reading at offset {}: {e}", self.offset))),
            }
        }
    }

    /// The next packet or skipped record; `None` at the end of the capture.
    #[inline(always)]
    pub fn next_item(&mut self) -> Result<Option<Item<'_>>, ReadError> {
        loop {
            if self.start == self.end {
                self.fill(1)?;
                if self.start == self.end {
                    return Ok(None);
                }
            }
            let avail = &self.buf[self.start..self.end];
            let base = self.buf.as_ptr() as usize;
            let step = match &mut self.format {
                Format::Pcap { parser, linktype, records } => match record_len(avail, records.big) {
                    // Checked before pcap-file reads it: it would wait for all the bytes claimed.
                    Some(len) if len > 16 + records.max_record => {
                        Step::Resync { claimed: len - 16, limits: *records }
                    }
                    _ => match parser.next_raw_packet(avail) {
                        Ok((rem, raw)) => {
                            records.near = Some(raw.ts_sec);
                            let used = avail.len() - rem.len();
                            let frac_ns = if records.nanos {
                                u64::from(raw.ts_frac)
                            } else {
                                u64::from(raw.ts_frac) * 1000
                            };
                            let time_ns = u64::from(raw.ts_sec) * 1_000_000_000 + frac_ns;
                            Step::Packet {
                                used,
                                data_at: raw.data.as_ptr() as usize - base,
                                len: raw.data.len(),
                                time_ns,
                                linktype: *linktype,
                                orig_len: u64::from(raw.orig_len),
                            }
                        }
                        Err(PcapError::IncompleteBuffer) if !self.eof => Step::More,
                        Err(PcapError::IncompleteBuffer) => Step::Truncated(format!(
                            "the capture ends inside a packet record ({} bytes left at offset {})",
                            avail.len(),
                            self.offset
                        )),
                        Err(e) => Step::Truncated(format!("packet record at offset {}: {e}", self.offset)),
                    },
                },
                Format::PcapNg { parser, interfaces } => {
                    let big = parser.section().endianness == Endianness::Big;
                    match epb_packet(avail, big, interfaces, self.start) {
                        Some(step) => step,
                        None => match epb_at(avail, parser.section().endianness) {
                            Some((used, body)) => {
                                ng_block(6, body, body.as_ptr() as usize - base, big, used, interfaces)
                            }
                            None => ng_step(parser, interfaces, avail, base, self.eof, self.offset),
                        },
                    }
                }
            };
            match step {
                Step::More => self.more()?,
                Step::Meta { used } => self.consume(used),
                Step::Resync { claimed, limits } => {
                    self.fill(RESYNC_WINDOW)?;
                    let offset = self.offset;
                    let avail = &self.buf[self.start..self.end];
                    let why = format!(
                        "packet record claims {claimed} bytes, more than a packet of this capture can have ({})",
                        limits.max_record
                    );
                    return Ok(Some(match limits.next_record(avail, self.eof) {
                        Some(skip) => {
                            self.consume(skip);
                            Item::Skipped {
                                offset,
                                reason: format!(
                                    "{why}: skipped {skip} bytes to the next record that makes sense, at offset {}",
                                    offset + skip as u64
                                ),
                            }
                        }
                        None => {
                            self.start = self.end;
                            self.eof = true;
                            Item::Skipped {
                                offset,
                                reason: format!(
                                    "{why}, and no record that makes sense follows within {} KiB: decoding ends here",
                                    RESYNC_WINDOW >> 10
                                ),
                            }
                        }
                    }));
                }
                Step::Skip { used, reason } => {
                    let offset = self.offset;
                    self.consume(used);
                    if matches!(self.format, Format::PcapNg { .. }) && reason.contains("packet") {
                        self.frame += 1;
                    }
                    return Ok(Some(Item::Skipped { offset, reason }));
                }
                Step::Truncated(reason) => {
                    // Nothing after this can be located: report and end.
                    let offset = self.offset;
                    self.start = self.end;
                    self.eof = true;
                    return Ok(Some(Item::Skipped { offset, reason }));
                }
                Step::Packet { used, data_at, len, time_ns, linktype, orig_len } => {
                    self.consume(used);
                    self.frame += 1;
                    let data = self.buf.get(data_at..data_at + len).unwrap_or(&[]);
                    return Ok(Some(Item::Packet(Packet {
                        frame: self.frame,
                        time_ns,
                        linktype,
                        data,
                        orig_len,
                    })));
                }
            }
        }
    }
}

/// Outcome of parsing one record, as plain values so the buffer can be borrowed again
/// afterwards.
enum Step {
    Packet {
        used: usize,
        data_at: usize,
        len: usize,
        time_ns: u64,
        linktype: u32,
        orig_len: u64,
    },
    /// A classic pcap record claims more bytes than any packet of the capture can have: look
    /// for the next record that makes sense.
    Resync {
        claimed: usize,
        limits: Plausible,
    },
    Skip {
        used: usize,
        reason: String,
    },
    Meta {
        used: usize,
    },
    More,
    Truncated(String),
}

/// Records up to this size are plausible whatever the snap length says (tshark's limit).
const PLAUSIBLE_RECORD: usize = 256 << 10;
/// How far to look for the next record after a damaged one.
const RESYNC_WINDOW: usize = 1 << 20;

/// A classic pcap record's length with its 16-byte header, when the header is buffered.
fn record_len(b: &[u8], big: bool) -> Option<usize> {
    Some(16 + u32_at(b, 8, big)? as usize)
}

/// What a classic pcap record must look like: no larger than `max_record`, and after damage a
/// plausible header.
#[derive(Debug, Clone, Copy)]
struct Plausible {
    big: bool,
    nanos: bool,
    max_record: usize,
    /// The last good record's seconds: a record found after damage must be within a week of them.
    near: Option<u32>,
}

impl Plausible {
    /// The record length (with its header) when `b` starts with a plausible record header.
    fn record(&self, b: &[u8]) -> Option<usize> {
        let w = |at| u32_at(b, at, self.big);
        let (secs, frac, incl, orig) = (w(0)?, w(4)?, w(8)? as usize, w(12)? as usize);
        let frac_ok = frac < if self.nanos { 1_000_000_000 } else { 1_000_000 };
        let near = self.near.is_none_or(|t| secs.abs_diff(t) <= 7 * 86_400);
        (frac_ok && near && incl <= self.max_record && incl <= orig && orig <= 1 << 18).then_some(16 + incl)
    }

    /// Where the next plausible record starts in `b` (after its first byte): a plausible
    /// header whose record is followed by another plausible header, or ends the capture.
    fn next_record(&self, b: &[u8], eof: bool) -> Option<usize> {
        (1..b.len().saturating_sub(15)).find(|&i| {
            self.record(&b[i..]).is_some_and(|len| match b.get(i + len..) {
                Some([]) => eof,
                Some(rest) if rest.len() >= 16 => self.record(rest).is_some(),
                // The next header is not buffered: the file ends inside it, or the window does.
                Some(_) => eof,
                None => false,
            })
        })
    }
}

fn u16_at(b: &[u8], at: usize, big: bool) -> Option<u16> {
    let s: [u8; 2] = b.get(at..at + 2)?.try_into().ok()?;
    Some(if big { u16::from_be_bytes(s) } else { u16::from_le_bytes(s) })
}

fn u32_at(b: &[u8], at: usize, big: bool) -> Option<u32> {
    let s: [u8; 4] = b.get(at..at + 4)?.try_into().ok()?;
    Some(if big { u32::from_be_bytes(s) } else { u32::from_le_bytes(s) })
}

/// The next pcapng block through pcap-file (which also follows section and interface blocks).
fn ng_step(
    parser: &mut PcapNgParser,
    interfaces: &mut Vec<Interface>,
    avail: &[u8],
    base: usize,
    eof: bool,
    offset: u64,
) -> Step {
    match parser.next_raw_block(avail) {
        Ok((rem, raw)) => {
            let used = avail.len() - rem.len();
            let big = parser.section().endianness == Endianness::Big;
            let body: &[u8] = &raw.body;
            let body_at = body.as_ptr() as usize - base;
            ng_block(raw.type_, body, body_at, big, used, interfaces)
        }
        Err(PcapError::IncompleteBuffer) if !eof => Step::More,
        Err(PcapError::IncompleteBuffer) => Step::Truncated(format!(
            "the capture ends inside a block ({} bytes left at offset {offset})",
            avail.len()
        )),
        Err(e) => Step::Truncated(format!("pcapng block at offset {offset}: {e}")),
    }
}

/// A complete Enhanced Packet Block at the start of `b`, found without pcap-file (which
/// builds a block record for every packet): its total length and body. `None` for any other
/// block, an incomplete one or inconsistent lengths, which pcap-file then reads or reports.
fn epb_at(b: &[u8], endianness: Endianness) -> Option<(usize, &[u8])> {
    let big = endianness == Endianness::Big;
    if u32_at(b, 0, big)? != 6 {
        return None;
    }
    let len = u32_at(b, 4, big)?;
    let n = usize::try_from(len).ok()?;
    if n % 4 != 0 || n < 12 || u32_at(b, n.checked_sub(4)?, big)? != len {
        return None;
    }
    Some((n, &b[8..n - 4]))
}

/// The common record, read with one look at its fixed fields: a whole Enhanced Packet Block at
/// the start of `b` (which is at `b_at` in the buffer) that holds the data it claims, on an
/// interface described before. Anything else is `None`, for [`epb_at`] and [`ng_block`], which
/// read such a block the same way and also say what is wrong with the others.
#[inline]
fn epb_packet(b: &[u8], big: bool, interfaces: &[Interface], b_at: usize) -> Option<Step> {
    let head: &[u8; 28] = b.get(..28)?.try_into().ok()?;
    let word = |at: usize| {
        let w = [head[at], head[at + 1], head[at + 2], head[at + 3]];
        if big {
            u32::from_be_bytes(w)
        } else {
            u32::from_le_bytes(w)
        }
    };
    let (len, caplen) = (word(4) as usize, word(20) as usize);
    // Block header (8), fixed fields (20), the data and the trailing length (4).
    if word(0) != 6 || len % 4 != 0 || len < 32 + caplen {
        return None;
    }
    if u32_at(b, len - 4, big)? as usize != len {
        return None;
    }
    let iface = interfaces.get(word(8) as usize)?;
    let ticks = (u64::from(word(12)) << 32) | u64::from(word(16));
    Some(Step::Packet {
        used: len,
        data_at: b_at + 28,
        len: caplen,
        time_ns: to_ns(ticks, iface.ticks_per_sec)
            .saturating_add(iface.offset_s.saturating_mul(1_000_000_000)),
        linktype: iface.linktype,
        orig_len: u64::from(word(24)),
    })
}

/// Interpret one pcapng block body. Packet blocks are read here directly (pcap-file would
/// allocate their option lists on every packet); `body_at` is the body's offset in the
/// reader's buffer.
fn ng_block(
    typ: u32,
    body: &[u8],
    body_at: usize,
    big: bool,
    used: usize,
    interfaces: &mut Vec<Interface>,
) -> Step {
    const SHB: u32 = 0x0a0d_0d0a;
    match typ {
        SHB => {
            interfaces.clear();
            Step::Meta { used }
        }
        // Interface Description Block.
        1 => {
            let Some(linktype) = u16_at(body, 0, big) else {
                return Step::Skip { used, reason: "interface description block too short".into() };
            };
            let mut iface =
                Interface { linktype: u32::from(linktype), ticks_per_sec: 1_000_000, offset_s: 0 };
            let mut at = 8;
            while let (Some(code), Some(len)) = (u16_at(body, at, big), u16_at(body, at + 2, big)) {
                let value = body.get(at + 4..at + 4 + usize::from(len)).unwrap_or(&[]);
                match (code, value) {
                    (0, _) => break,
                    (9, [r]) => iface.ticks_per_sec = ticks_per_sec(*r),
                    (14, v) if v.len() == 8 => {
                        let mut b = [0u8; 8];
                        b.copy_from_slice(v);
                        iface.offset_s = if big { u64::from_be_bytes(b) } else { u64::from_le_bytes(b) };
                    }
                    _ => {}
                }
                at += 4 + ((usize::from(len) + 3) & !3);
            }
            interfaces.push(iface);
            Step::Meta { used }
        }
        // Enhanced Packet Block, and the obsolete Packet Block.
        6 | 2 => {
            let (iface_id, ticks, caplen, orig) = if typ == 6 {
                (
                    u32_at(body, 0, big),
                    u32_at(body, 4, big).zip(u32_at(body, 8, big)),
                    u32_at(body, 12, big),
                    u32_at(body, 16, big),
                )
            } else {
                (
                    u16_at(body, 0, big).map(u32::from),
                    u32_at(body, 4, big).zip(u32_at(body, 8, big)),
                    u32_at(body, 12, big),
                    u32_at(body, 16, big),
                )
            };
            let (Some(iface_id), Some((hi, lo)), Some(caplen), Some(orig)) = (iface_id, ticks, caplen, orig)
            else {
                return Step::Skip { used, reason: "packet block too short".into() };
            };
            let caplen = caplen as usize;
            if body.len() < 20 + caplen {
                return Step::Skip {
                    used,
                    reason: format!(
                        "packet block claims {caplen} captured bytes but holds {}",
                        body.len().saturating_sub(20)
                    ),
                };
            }
            match interfaces.get(iface_id as usize) {
                Some(iface) => {
                    let ticks = (u64::from(hi) << 32) | u64::from(lo);
                    let time_ns = to_ns(ticks, iface.ticks_per_sec)
                        .saturating_add(iface.offset_s.saturating_mul(1_000_000_000));
                    Step::Packet {
                        used,
                        data_at: body_at + 20,
                        len: caplen,
                        time_ns,
                        linktype: iface.linktype,
                        orig_len: u64::from(orig),
                    }
                }
                None => Step::Skip {
                    used,
                    reason: format!("packet names interface {iface_id} which was never described"),
                },
            }
        }
        // Simple Packet Block: no timestamp, interface 0.
        3 => match (u32_at(body, 0, big), interfaces.first()) {
            (Some(orig), Some(iface)) => {
                let len = (orig as usize).min(body.len() - 4);
                Step::Packet {
                    used,
                    data_at: body_at + 4,
                    len,
                    time_ns: 0,
                    linktype: iface.linktype,
                    orig_len: u64::from(orig),
                }
            }
            (None, _) => Step::Skip { used, reason: "simple packet block too short".into() },
            (_, None) => Step::Skip { used, reason: "simple packet block before any interface".into() },
        },
        _ => Step::Meta { used },
    }
}

/// pcap-file's parser holds only the header; rebuild one from the parsed header so the
/// reader owns a parser without keeping the first bytes around.
fn pcap_header_bytes(h: &PcapHeader) -> Vec<u8> {
    let mut out = Vec::with_capacity(24);
    let _ = h.write_to(&mut out);
    out
}

fn placeholder_ng() -> PcapNgParser {
    // A minimal little-endian section header: replaced before use.
    const SHB: [u8; 28] = [
        0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 28, 0, 0, 0,
    ];
    match PcapNgParser::new(&SHB) {
        Ok((_, p)) => p,
        Err(_) => unreachable!("the built-in section header is valid"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The direct Enhanced Packet Block reader finds what pcap-file finds, in both byte
    /// orders, and leaves everything else to it.
    #[test]
    fn packet_blocks_read_directly_match_pcap_file() {
        for big in [false, true] {
            let u32b = |v: u32| if big { v.to_be_bytes() } else { v.to_le_bytes() };
            let mut shb = vec![0x0a, 0x0d, 0x0d, 0x0a];
            shb.extend_from_slice(&u32b(28));
            shb.extend_from_slice(&u32b(0x1a2b_3c4d));
            shb.extend_from_slice(if big { &[0, 1, 0, 0] } else { &[1, 0, 0, 0] }); // version 1.0
            shb.extend_from_slice(&[0xff; 8]);
            shb.extend_from_slice(&u32b(28));
            let (_, mut parser) = PcapNgParser::new(&shb).expect("a section header");
            let body: Vec<u8> = (0..28u8).collect();
            let mut block = Vec::new();
            block.extend_from_slice(&u32b(6));
            block.extend_from_slice(&u32b(12 + body.len() as u32));
            block.extend_from_slice(&body);
            block.extend_from_slice(&u32b(12 + body.len() as u32));
            block.extend_from_slice(b"next");
            let endianness = if big { Endianness::Big } else { Endianness::Little };
            assert_eq!(parser.section().endianness, endianness);
            let (used, found) = epb_at(&block, endianness).expect("an EPB");
            let (rem, raw) = parser.next_raw_block(&block).unwrap();
            assert_eq!((used, found), (block.len() - rem.len(), &raw.body[..]));
            // Incomplete, a trailer that disagrees, a length not a multiple of 4, another type.
            assert!(epb_at(&block[..20], endianness).is_none());
            let mut bad = block.clone();
            bad[36] ^= 1;
            assert!(epb_at(&bad, endianness).is_none());
            let mut odd = block.clone();
            odd[4..8].copy_from_slice(&u32b(41));
            assert!(epb_at(&odd, endianness).is_none());
            let mut idb = block.clone();
            idb[0..4].copy_from_slice(&u32b(1));
            assert!(epb_at(&idb, endianness).is_none());
        }
    }

    #[test]
    fn tsresol() {
        assert_eq!(ticks_per_sec(6), 1_000_000);
        assert_eq!(ticks_per_sec(9), 1_000_000_000);
        assert_eq!(ticks_per_sec(0x80 | 10), 1024);
        assert_eq!(to_ns(1_500_000, 1_000_000), 1_500_000_000);
        // The shortcuts for µs and ns agree with the general rescaling, to saturation.
        let general = |ticks: u64, per_sec: u64| {
            u64::try_from(u128::from(ticks) * 1_000_000_000 / u128::from(per_sec)).unwrap_or(u64::MAX)
        };
        for ticks in [0, 1, 999, 1_700_000_000_123_456, u64::MAX / 1000, u64::MAX / 1000 + 1, u64::MAX] {
            for per_sec in [1_000_000, 1_000_000_000, 1000, 1024] {
                assert_eq!(to_ns(ticks, per_sec), general(ticks, per_sec), "{ticks} at {per_sec}/s");
            }
        }
    }

    #[test]
    fn magic() {
        assert_eq!(detect(&[0xd4, 0xc3, 0xb2, 0xa1]), Some(CaptureFormat::Pcap));
        assert_eq!(detect(&[0x0a, 0x0d, 0x0d, 0x0a]), Some(CaptureFormat::PcapNg));
        assert_eq!(detect(&[0, 1, 2, 3]), None);
        assert!(CaptureReader::new(&b"hello world"[..]).is_err());
        assert!(CaptureReader::new(&b""[..]).is_err());
    }
}
