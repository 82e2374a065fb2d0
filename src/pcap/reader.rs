//! Streaming capture reader: classic pcap (both byte orders, µs and ns) and pcapng (several
//! sections and interfaces, each with its own link type and timestamp resolution), told apart
//! by magic bytes. The file is read through one bounded buffer; only the block being decoded
//! is ever in memory.
//!
//! pcap-file's slice parsers do the block parsing. Its `EnhancedPacketBlock::timestamp` is the
//! raw tick count wrongly taken as nanoseconds (it ignores `if_tsresol`), so the raw count is
//! recovered from it and scaled by the interface's resolution here.

use std::io::{self, Read};

use pcap_file::pcap::{PcapHeader, PcapParser};
use pcap_file::pcapng::blocks::interface_description::InterfaceDescriptionOption;
use pcap_file::pcapng::{Block, PcapNgParser};
use pcap_file::{PcapError, TsResolution};

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
    /// The packet's length on the wire.
    pub orig_len: u32,
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
    Pcap { parser: PcapParser, linktype: u32, nanos: bool },
    PcapNg { parser: Box<PcapNgParser>, interfaces: Vec<Interface> },
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
    if per_sec == 0 {
        return 0;
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
                let PcapHeader { datalink, ts_resolution, .. } = header;
                let parser = PcapParser::new(&pcap_header_bytes(&header))
                    .map(|(_, p)| p)
                    .map_err(|e| ReadError(e.to_string()))?;
                reader.format = Format::Pcap {
                    parser,
                    linktype: u32::from(datalink),
                    nanos: ts_resolution == TsResolution::NanoSecond,
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
            // Outcome of parsing one record, as plain values so the buffer can be borrowed
            // again afterwards.
            enum Step {
                Packet { used: usize, data_at: usize, len: usize, time_ns: u64, linktype: u32, orig_len: u32 },
                Skip { used: usize, reason: String },
                Meta { used: usize },
                More,
                Truncated(String),
            }
            let step = match &mut self.format {
                Format::Pcap { parser, linktype, nanos } => match parser.next_raw_packet(avail) {
                    Ok((rem, raw)) => {
                        let used = avail.len() - rem.len();
                        let frac_ns =
                            if *nanos { u64::from(raw.ts_frac) } else { u64::from(raw.ts_frac) * 1000 };
                        let time_ns = u64::from(raw.ts_sec) * 1_000_000_000 + frac_ns;
                        Step::Packet {
                            used,
                            data_at: raw.data.as_ptr() as usize - base,
                            len: raw.data.len(),
                            time_ns,
                            linktype: *linktype,
                            orig_len: raw.orig_len,
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
                Format::PcapNg { parser, interfaces } => match parser.next_block(avail) {
                    Ok((rem, block)) => {
                        let used = avail.len() - rem.len();
                        match block {
                            Block::SectionHeader(_) => {
                                interfaces.clear();
                                Step::Meta { used }
                            }
                            Block::InterfaceDescription(idb) => {
                                let mut iface = Interface {
                                    linktype: u32::from(idb.linktype),
                                    ticks_per_sec: 1_000_000,
                                    offset_s: 0,
                                };
                                for opt in &idb.options {
                                    match opt {
                                        InterfaceDescriptionOption::IfTsResol(r) => {
                                            iface.ticks_per_sec = ticks_per_sec(*r)
                                        }
                                        InterfaceDescriptionOption::IfTsOffset(o) => iface.offset_s = *o,
                                        _ => {}
                                    }
                                }
                                interfaces.push(iface);
                                Step::Meta { used }
                            }
                            Block::EnhancedPacket(epb) => match interfaces.get(epb.interface_id as usize) {
                                Some(iface) => {
                                    // pcap-file stored the raw tick count as nanoseconds.
                                    let ticks = u64::try_from(epb.timestamp.as_nanos()).unwrap_or(u64::MAX);
                                    let time_ns = to_ns(ticks, iface.ticks_per_sec)
                                        .saturating_add(iface.offset_s.saturating_mul(1_000_000_000));
                                    Step::Packet {
                                        used,
                                        data_at: epb.data.as_ptr() as usize - base,
                                        len: epb.data.len(),
                                        time_ns,
                                        linktype: iface.linktype,
                                        orig_len: epb.original_len,
                                    }
                                }
                                None => Step::Skip {
                                    used,
                                    reason: format!(
                                        "packet names interface {} which was never described",
                                        epb.interface_id
                                    ),
                                },
                            },
                            Block::Packet(pb) => match interfaces.get(usize::from(pb.interface_id)) {
                                Some(iface) => Step::Packet {
                                    used,
                                    data_at: pb.data.as_ptr() as usize - base,
                                    len: pb.data.len(),
                                    time_ns: to_ns(pb.timestamp, iface.ticks_per_sec),
                                    linktype: iface.linktype,
                                    orig_len: pb.original_len,
                                },
                                None => Step::Skip {
                                    used,
                                    reason: format!(
                                        "packet names interface {} which was never described",
                                        pb.interface_id
                                    ),
                                },
                            },
                            Block::SimplePacket(spb) => match interfaces.first() {
                                Some(iface) => Step::Packet {
                                    used,
                                    data_at: spb.data.as_ptr() as usize - base,
                                    len: spb.data.len(),
                                    time_ns: 0,
                                    linktype: iface.linktype,
                                    orig_len: spb.original_len,
                                },
                                None => Step::Skip {
                                    used,
                                    reason: "simple packet block before any interface".into(),
                                },
                            },
                            _ => Step::Meta { used },
                        }
                    }
                    Err(PcapError::IncompleteBuffer) if !self.eof => Step::More,
                    // The block's framing may still be sound: skip just this block.
                    Err(e) if !matches!(e, PcapError::IncompleteBuffer) => match parser.next_raw_block(avail)
                    {
                        Ok((rem, raw)) => Step::Skip {
                            used: avail.len() - rem.len(),
                            reason: format!("unreadable pcapng block of type 0x{:x}: {e}", raw.type_),
                        },
                        Err(_) => Step::Truncated(format!("pcapng block at offset {}: {e}", self.offset)),
                    },
                    Err(PcapError::IncompleteBuffer) => Step::Truncated(format!(
                        "the capture ends inside a block ({} bytes left at offset {})",
                        avail.len(),
                        self.offset
                    )),
                    Err(e) => Step::Truncated(format!("pcapng block at offset {}: {e}", self.offset)),
                },
            };
            match step {
                Step::More => self.more()?,
                Step::Meta { used } => self.consume(used),
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

    #[test]
    fn tsresol() {
        assert_eq!(ticks_per_sec(6), 1_000_000);
        assert_eq!(ticks_per_sec(9), 1_000_000_000);
        assert_eq!(ticks_per_sec(0x80 | 10), 1024);
        assert_eq!(to_ns(1_500_000, 1_000_000), 1_500_000_000);
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
