//! STUN over TCP is a byte stream: per-direction reassembly, message framing (plain RFC 8489
//! §6.2.2 with TURN's 4-byte ChannelData padding, or RFC 4571 length prefixes as ICE-TCP uses),
//! and resynchronisation after a gap. Every buffer is bounded.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;

use super::flows::FlowKey;
use super::net::{TcpInfo, Transport};
use crate::core::output::count;
use crate::core::stun::{frame_len, starts_channel_data, StreamFrame, MAGIC_COOKIE};

/// How messages are delimited on a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// Messages back to back; ChannelData padded to 4 bytes.
    Plain,
    /// RFC 4571: each frame behind a 16-bit length.
    Rfc4571,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Not enough bytes yet to tell.
    Unknown,
    /// Carries STUN with this framing.
    Stun(Framing),
    /// Not STUN: its bytes are ignored.
    NotStun,
}

#[derive(Debug)]
struct Stream {
    src: SocketAddr,
    dst: SocketAddr,
    buf: Vec<u8>,
    /// Counts the times `buf` went from empty to holding bytes: an entry of the eviction
    /// queue names the stream and this number, so it goes stale when the buffer empties.
    filled: u32,
    next_seq: Option<u32>,
    state: State,
    /// After a gap: look for the next message start before reading lengths again.
    resync: bool,
}

/// A frame extracted from a stream, or a problem met on the way.
#[derive(Debug)]
pub enum StreamItem {
    /// One complete message or frame.
    Frame {
        /// Where its bytes are (for RFC 4571, without the length prefix): see
        /// [`TcpStreams::frame`].
        at: (usize, usize),
        /// The framing it came with.
        framing: Framing,
    },
    /// Something went wrong in the stream (gap, junk, overflow).
    Problem(String),
}

/// Stream buffers never exceed this: the largest STUN message (65,555 bytes) or RFC 4571
/// frame (65,537) fits, and a stream that never completes a message stops growing here.
pub const MAX_STREAM_BUFFER: usize = 66 << 10;
/// Streams remembered at once (about 5 MB of table).
const MAX_STREAMS: usize = 1 << 14;
/// All streams' buffers together never hold more than this: past it the oldest unfinished
/// message is dropped, with a problem (4,000 streams that each claim a 65,532-byte message
/// would otherwise keep 260 MB).
pub const MAX_BUFFERED: usize = 4 << 20;
/// A buffer that empties gives its memory back when it had grown past this.
const KEEP_CAPACITY: usize = 4 << 10;
/// Streams ended with unfinished messages are named one by one up to this many, then counted.
const NAMED_AT_END: usize = 10;

/// All TCP streams of a capture, by direction.
#[derive(Debug, Default)]
pub struct TcpStreams {
    /// By direction (as a flow key: five words to hash and compare, not two addresses).
    streams: HashMap<FlowKey, Stream, super::fastfmt::FxBuild>,
    /// The buffers' capacity, all streams together.
    buffered: usize,
    /// Streams holding bytes, oldest first (entries whose `filled` no longer matches are
    /// stale and skipped).
    holding: VecDeque<(FlowKey, u32)>,
    /// The frames handed out by the last segment, one after the other (the stream buffer
    /// moves on; one buffer for all of them saves an allocation per frame).
    frames: Vec<u8>,
}

fn stun_at(b: &[u8], at: usize) -> bool {
    b.get(at).is_some_and(|x| *x < 4)
        && b.get(at + 4..at + 8).is_some_and(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]) == MAGIC_COOKIE)
}

fn detect(b: &[u8], stun_seen_on_flow: bool) -> State {
    if stun_at(b, 0) {
        return State::Stun(Framing::Plain);
    }
    if b.len() >= 6
        && stun_at(b, 2)
        && usize::from(u16::from_be_bytes([b[0], b[1]])) == 20 + usize::from(u16::from_be_bytes([b[4], b[5]]))
    {
        return State::Stun(Framing::Rfc4571);
    }
    if stun_seen_on_flow && b.first().is_some_and(|x| starts_channel_data(*x)) {
        return State::Stun(Framing::Plain);
    }
    if b.len() >= 10 {
        State::NotStun
    } else {
        State::Unknown
    }
}

impl TcpStreams {
    /// An empty set of streams.
    pub fn new() -> Self {
        Self::default()
    }

    /// The bytes of a frame that the last segment handed out.
    pub fn frame(&self, at: (usize, usize)) -> &[u8] {
        self.frames.get(at.0..at.1).unwrap_or(&[])
    }

    /// Feed a segment; push out the frames it completes. `stun_seen_on_flow` lets a stream
    /// picked up mid-way start with ChannelData. True when the stream is known to carry
    /// something other than STUN (its bytes were not kept).
    pub fn segment(
        &mut self,
        src: SocketAddr,
        dst: SocketAddr,
        tcp: TcpInfo,
        payload: &[u8],
        stun_seen_on_flow: bool,
        out: &mut Vec<StreamItem>,
    ) -> bool {
        self.frames.clear();
        let key = FlowKey::new(Transport::Tcp, &src, &dst);
        if tcp.rst || (tcp.fin && payload.is_empty()) {
            if let Some(stream) = self.streams.remove(&key) {
                self.buffered -= stream.buf.capacity();
                if matches!(stream.state, State::Stun(_)) && !stream.buf.is_empty() {
                    let how = if tcp.rst { "reset" } else { "closed" };
                    out.push(StreamItem::Problem(format!(
                        "TCP stream {src} → {dst} {how} with {} of an unfinished message",
                        count(stream.buf.len() as u64, "byte")
                    )));
                }
            }
            return false;
        }
        if !self.streams.contains_key(&key) && self.streams.len() >= MAX_STREAMS {
            // Forget streams that carry no STUN first, then everything.
            self.streams.retain(|_, s| matches!(s.state, State::Stun(_)));
            if self.streams.len() >= MAX_STREAMS {
                self.streams.clear();
            }
            self.buffered = self.streams.values().map(|s| s.buf.capacity()).sum();
        }
        let stream = self.streams.entry(key).or_insert(Stream {
            src,
            dst,
            buf: Vec::new(),
            filled: 0,
            next_seq: None,
            state: State::Unknown,
            resync: false,
        });
        let (held, capacity) = (!stream.buf.is_empty(), stream.buf.capacity());
        Self::add(stream, tcp, payload, stun_seen_on_flow, &mut self.frames, out);
        if stream.buf.capacity() > KEEP_CAPACITY && stream.buf.capacity() > 4 * stream.buf.len() {
            // What a large message left behind: a few bytes in a large buffer.
            stream.buf.shrink_to(stream.buf.len().max(KEEP_CAPACITY / 4));
        }
        self.buffered = self.buffered + stream.buf.capacity() - capacity;
        if !held && !stream.buf.is_empty() {
            stream.filled = stream.filled.wrapping_add(1);
            self.holding.push_back((key, stream.filled));
        }
        let not_stun = stream.state == State::NotStun;
        self.bound(out);
        not_stun
    }

    /// Drop the oldest unfinished messages while the buffers hold more than [`MAX_BUFFERED`],
    /// and the stale entries of the queue when it has grown well past the streams.
    fn bound(&mut self, out: &mut Vec<StreamItem>) {
        while self.buffered > MAX_BUFFERED {
            let Some((key, filled)) = self.holding.pop_front() else { break };
            let Some(stream) = self.streams.get_mut(&key) else { continue };
            if stream.filled != filled || stream.buf.is_empty() {
                continue;
            }
            out.push(StreamItem::Problem(format!(
                "TCP stream {} → {}: {} of an unfinished message dropped (reassembly holds at most {} MiB across streams)",
                stream.src,
                stream.dst,
                count(stream.buf.len() as u64, "byte"),
                MAX_BUFFERED >> 20
            )));
            self.buffered -= stream.buf.capacity();
            stream.buf = Vec::new();
            stream.resync = matches!(stream.state, State::Stun(_));
        }
        if self.holding.len() > 2 * self.streams.len() + 1024 {
            let streams = &self.streams;
            self.holding.retain(|(key, filled)| {
                streams.get(key).is_some_and(|s| s.filled == *filled && !s.buf.is_empty())
            });
        }
    }

    /// At the end of the capture: the STUN streams that stopped inside a message.
    pub fn finish(&mut self, out: &mut Vec<StreamItem>) {
        let mut unfinished = self.holding.iter().filter_map(|(key, filled)| {
            self.streams
                .get(key)
                .filter(|s| s.filled == *filled && !s.buf.is_empty() && matches!(s.state, State::Stun(_)))
        });
        for s in unfinished.by_ref().take(NAMED_AT_END) {
            out.push(StreamItem::Problem(format!(
                "TCP stream {} → {} ended inside a message ({} of it in the capture)",
                s.src,
                s.dst,
                count(s.buf.len() as u64, "byte")
            )));
        }
        let (more, bytes) = unfinished.fold((0u64, 0u64), |(n, b), s| (n + 1, b + s.buf.len() as u64));
        if more > 0 {
            out.push(StreamItem::Problem(format!(
                "{} more ended inside a message ({} of them in the capture)",
                count(more, "TCP stream"),
                count(bytes, "byte")
            )));
        }
    }

    /// One segment's bytes into its stream.
    fn add(
        stream: &mut Stream,
        tcp: TcpInfo,
        payload: &[u8],
        stun_seen_on_flow: bool,
        frames: &mut Vec<u8>,
        out: &mut Vec<StreamItem>,
    ) {
        let (src, dst) = (stream.src, stream.dst);
        let mut data = payload;
        let seq = if tcp.syn { tcp.seq.wrapping_add(1) } else { tcp.seq };
        match stream.next_seq {
            None => stream.next_seq = Some(seq),
            Some(next) => {
                let ahead = seq.wrapping_sub(next) as i32;
                if ahead < 0 {
                    // Retransmitted or overlapping: keep only what is new.
                    let overlap = ahead.unsigned_abs() as usize;
                    if overlap >= data.len() {
                        return;
                    }
                    data = &data[overlap..];
                } else if ahead > 0 {
                    if matches!(stream.state, State::Stun(_)) {
                        out.push(StreamItem::Problem(format!(
                            "{ahead} bytes of the TCP stream {src} → {dst} are missing from the capture; resynchronising"
                        )));
                    }
                    stream.buf.clear();
                    stream.resync = matches!(stream.state, State::Stun(_));
                    stream.next_seq = Some(seq);
                }
            }
        }
        stream.next_seq = stream.next_seq.map(|n| n.wrapping_add(data.len() as u32));
        if stream.state == State::NotStun || data.is_empty() {
            return;
        }
        stream.buf.extend_from_slice(data);
        Self::drain(stream, stun_seen_on_flow, frames, out);
        if stream.buf.len() > MAX_STREAM_BUFFER {
            out.push(StreamItem::Problem(format!(
                "TCP stream {src} → {dst}: {} bytes without a complete message; dropped",
                stream.buf.len()
            )));
            stream.buf.clear();
            stream.state = State::Unknown;
        }
    }

    fn drain(stream: &mut Stream, stun_seen: bool, frames: &mut Vec<u8>, out: &mut Vec<StreamItem>) {
        let (src, dst) = (stream.src, stream.dst);
        let mut at = 0;
        loop {
            let rest = &stream.buf[at..];
            if rest.is_empty() {
                break;
            }
            if stream.resync {
                let prefix = if stream.state == State::Stun(Framing::Rfc4571) { 2 } else { 0 };
                match (0..rest.len()).find(|&i| stun_at(rest, i + prefix)) {
                    Some(i) => {
                        if i > 0 {
                            out.push(StreamItem::Problem(format!(
                                "TCP stream {src} → {dst}: skipped {i} bytes to the next STUN message"
                            )));
                        }
                        at += i;
                        stream.resync = false;
                        continue;
                    }
                    None => {
                        at += rest.len().saturating_sub(7 + prefix);
                        break;
                    }
                }
            }
            if stream.state == State::Unknown {
                stream.state = detect(rest, stun_seen);
                if stream.state == State::NotStun && at == 0 && !stun_seen {
                    stream.buf = Vec::new();
                    return;
                }
                if stream.state == State::NotStun {
                    // Junk after a gap in a STUN stream: look for the next message.
                    match (1..rest.len()).find(|&i| stun_at(rest, i)) {
                        Some(i) => {
                            out.push(StreamItem::Problem(format!(
                                "TCP stream {src} → {dst}: skipped {i} bytes that are not STUN"
                            )));
                            at += i;
                            stream.state = State::Stun(Framing::Plain);
                            continue;
                        }
                        None => {
                            let keep = rest.len().min(7);
                            at += rest.len() - keep;
                            stream.state = State::Unknown;
                            break;
                        }
                    }
                }
                if stream.state == State::Unknown {
                    break;
                }
            }
            let State::Stun(framing) = stream.state else { break };
            let need = match framing {
                Framing::Rfc4571 => rest.get(..2).map(|h| 2 + usize::from(u16::from_be_bytes([h[0], h[1]]))),
                // A first byte above 3 is a STUN type no method has: junk, as in `stun_at`.
                Framing::Plain => match frame_len(rest) {
                    Ok(frame) if rest[0] <= 3 || starts_channel_data(rest[0]) => frame.map(StreamFrame::size),
                    _ => {
                        // Lost framing: report once, then look for the next STUN header
                        // (the resync step keeps a possible partial header and waits).
                        out.push(StreamItem::Problem(format!(
                            "TCP stream {src} → {dst}: data that is neither STUN nor ChannelData; resynchronising"
                        )));
                        stream.resync = true;
                        continue;
                    }
                },
            };
            let Some(need) = need else { break };
            if rest.len() < need {
                break;
            }
            let start = frames.len();
            frames.extend_from_slice(match framing {
                Framing::Rfc4571 => &rest[2..need],
                Framing::Plain => &rest[..need],
            });
            out.push(StreamItem::Frame { at: (start, frames.len()), framing });
            at += need;
        }
        stream.buf.drain(..at);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stun(len_attrs: usize, fill: u8) -> Vec<u8> {
        let mut m = vec![0, 1, 0, len_attrs as u8, 0x21, 0x12, 0xa4, 0x42];
        m.extend_from_slice(&[fill; 12]);
        m.extend(std::iter::repeat_n(0u8, len_attrs));
        m
    }

    fn tcp(seq: u32) -> TcpInfo {
        TcpInfo { seq, syn: false, fin: false, rst: false }
    }

    fn frames<'a>(streams: &'a TcpStreams, out: &[StreamItem]) -> Vec<&'a [u8]> {
        out.iter()
            .filter_map(|i| match i {
                StreamItem::Frame { at, .. } => Some(streams.frame(*at)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn several_in_one_segment_and_one_across_segments() {
        let a: SocketAddr = "10.0.0.1:5000".parse().unwrap();
        let b: SocketAddr = "10.0.0.2:3478".parse().unwrap();
        let (m1, m2, m3) = (stun(4, 1), stun(8, 2), stun(0, 3));
        let mut seg = m1.clone();
        seg.extend_from_slice(&m2);
        seg.extend_from_slice(&m3[..10]);
        let mut streams = TcpStreams::new();
        let mut out = Vec::new();
        streams.segment(a, b, tcp(100), &seg, false, &mut out);
        assert_eq!(frames(&streams, &out), vec![&m1[..], &m2[..]]);
        out.clear();
        // A retransmission of the first segment changes nothing.
        streams.segment(a, b, tcp(100), &seg, false, &mut out);
        assert!(out.is_empty());
        streams.segment(a, b, tcp(100 + seg.len() as u32), &m3[10..], false, &mut out);
        assert_eq!(frames(&streams, &out), vec![&m3[..]]);
    }

    #[test]
    fn rfc4571_and_channel_data_padding() {
        let a: SocketAddr = "10.0.0.1:5000".parse().unwrap();
        let b: SocketAddr = "10.0.0.2:443".parse().unwrap();
        let m = stun(4, 9);
        let mut framed = (m.len() as u16).to_be_bytes().to_vec();
        framed.extend_from_slice(&m);
        framed.extend_from_slice(&[0, 3, 0x80, 0, 1]); // an RTP-ish 3-byte frame
        let mut streams = TcpStreams::new();
        let mut out = Vec::new();
        streams.segment(a, b, tcp(1), &framed, false, &mut out);
        assert_eq!(frames(&streams, &out), vec![&m[..], &[0x80, 0, 1][..]]);

        let mut plain = stun(0, 1);
        plain.extend_from_slice(&[0x40, 0x00, 0x00, 0x05, 1, 2, 3, 4, 5, 0, 0, 0]);
        // RFC 5766's upper channels too (coturn's clients use them).
        plain.extend_from_slice(&[0x7f, 0x96, 0x00, 0x02, 7, 8, 0, 0]);
        plain.extend_from_slice(&stun(0, 2));
        let mut out = Vec::new();
        streams.segment(b, a, tcp(7), &plain, false, &mut out);
        assert!(!out.iter().any(|i| matches!(i, StreamItem::Problem(_))), "no resync");
        let f = frames(&streams, &out);
        assert_eq!(f.len(), 4);
        assert_eq!(f[1].len(), 12, "ChannelData with its padding");
        assert_eq!(f[2], &[0x7f, 0x96, 0x00, 0x02, 7, 8, 0, 0]);
    }

    #[test]
    fn gap_resynchronises_and_buffers_stay_bounded() {
        let a: SocketAddr = "10.0.0.1:5000".parse().unwrap();
        let b: SocketAddr = "10.0.0.2:3478".parse().unwrap();
        let mut streams = TcpStreams::new();
        let mut out = Vec::new();
        streams.segment(a, b, tcp(0), &stun(0, 1), false, &mut out);
        // Lose 50 bytes, then junk followed by a message.
        let mut seg = vec![0xffu8; 13];
        seg.extend_from_slice(&stun(0, 2));
        out.clear();
        streams.segment(a, b, tcp(70), &seg, false, &mut out);
        assert!(out.iter().any(|i| matches!(i, StreamItem::Problem(p) if p.contains("missing"))));
        assert_eq!(frames(&streams, &out).len(), 1);
        // A header declaring 65,535 bytes that never come: memory stays bounded.
        let mut never = vec![0, 1, 0xff, 0xfc, 0x21, 0x12, 0xa4, 0x42];
        never.extend_from_slice(&[0; 12]);
        let mut seq = 70 + seg.len() as u32;
        streams.segment(a, b, tcp(seq), &never, false, &mut out);
        seq += never.len() as u32;
        for _ in 0..200 {
            streams.segment(a, b, tcp(seq), &[0u8; 1400], false, &mut out);
            seq += 1400;
            let s = &streams.streams[&FlowKey::new(Transport::Tcp, &a, &b)];
            assert!(s.buf.len() <= MAX_STREAM_BUFFER + 1400);
        }
    }

    #[test]
    fn non_stun_streams_are_not_buffered() {
        let a: SocketAddr = "10.0.0.1:5000".parse().unwrap();
        let b: SocketAddr = "10.0.0.2:80".parse().unwrap();
        let mut streams = TcpStreams::new();
        let mut out = Vec::new();
        streams.segment(a, b, tcp(0), b"GET / HTTP/1.1\r\n", false, &mut out);
        streams.segment(a, b, tcp(16), &[b'x'; 1000], false, &mut out);
        assert!(out.is_empty());
        assert!(streams.streams[&FlowKey::new(Transport::Tcp, &a, &b)].buf.is_empty());
    }
}
