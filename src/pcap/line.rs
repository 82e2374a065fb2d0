//! The line stage of `pcap decode`: one line per message, from the facts the checks stage
//! made ([`super::facts`]), on the output thread. It formats and decides nothing: what a line
//! says about transactions and checks comes in [`StunFacts`].
//!
//! Most of the time goes here on a big capture, so the common cases take short cuts, each
//! checked against the general path by a test: line starts (`src → dst  udp  `) are kept per
//! flow, `Method Class txid=` per method and class, and common attribute values (IPv4
//! addresses, numbers, plain text) are written without the general attribute decoder.

use std::fmt::Write as _;
use std::net::SocketAddr;

use colored::Colorize;

use super::dissect::{describe, Body, Rtp, Via};
use super::facts::{attribute_at, shown_label, Scan, StunFacts};
use super::fastfmt::{
    push_hex, push_seconds, push_sockaddr, push_u64, push_u64_padded_zero, Counter, LineBuf,
};
use super::flows::FlowId;
use super::net::Transport;
use super::txn::Seen;
use crate::core::stun::{attr, AttrValue, Attribute, Check, Class, Message, Method, RawAttribute};

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
    /// A STUN message's bytes, and the walk of its attributes that the checks stage made.
    Stun(usize, usize, Scan),
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

/// The line of a problem with a frame (0: with the capture as a whole).
pub fn problem_line(frame: u64, message: &str) -> String {
    if frame == super::engine::CAPTURE {
        // Frames count from 1: a problem of the capture as a whole has no frame to name.
        return format!("{:>6} {} {message}\n", "-", "problem:".yellow().bold());
    }
    format!("{frame:>6} {} {message}\n", "problem:".yellow().bold())
}

/// Write a message's line: byte ranges of `body` are in `arena`; `facts` are the checks stage's
/// (a STUN line without them shows no transaction and no checks).
pub fn format_line(
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
        BodyJob::Stun(s, e, scan) => {
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
            summarize_attributes(line, m, scan);
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
                if f.fingerprint == Check::Bad {
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
pub struct LineCache {
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
                    let body = BodyJob::Stun(0, bytes.len(), Scan::of(&Message::new_unchecked(&bytes[..])));
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
