//! From link-layer frames to UDP/TCP payloads: link types, VLAN tags, IPv4/IPv6 (extension
//! headers via etherparse), and IPv4 and IPv6 reassembly with bounded memory.

use std::collections::VecDeque;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use etherparse::{EtherType, LaxNetSlice, LaxSlicedPacket};

/// LINKTYPE_ values (tcpdump.org) the dissector understands.
pub mod linktype {
    /// BSD loopback: 4-byte address family in host byte order.
    pub const NULL: u32 = 0;
    /// Ethernet II (with 802.1Q/QinQ tags).
    pub const ETHERNET: u32 = 1;
    /// Raw IP.
    pub const RAW: u32 = 101;
    /// OpenBSD loopback: address family in network byte order.
    pub const LOOP: u32 = 108;
    /// Linux cooked capture v1.
    pub const LINUX_SLL: u32 = 113;
    /// Raw IPv4.
    pub const IPV4: u32 = 228;
    /// Raw IPv6.
    pub const IPV6: u32 = 229;
    /// Linux cooked capture v2.
    pub const LINUX_SLL2: u32 = 276;
}

pub use crate::core::ice::Transport;

/// TCP header fields the stream reassembly needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpInfo {
    /// Sequence number of the first payload byte.
    pub seq: u32,
    /// SYN flag.
    pub syn: bool,
    /// FIN flag.
    pub fin: bool,
    /// RST flag.
    pub rst: bool,
}

/// A UDP datagram's or TCP segment's payload with its addresses.
#[derive(Debug, Clone, Copy)]
pub struct Segment<'a> {
    /// Source address.
    pub src: SocketAddr,
    /// Destination address.
    pub dst: SocketAddr,
    /// UDP or TCP.
    pub transport: Transport,
    /// TCP fields (None for UDP).
    pub tcp: Option<TcpInfo>,
    /// The payload.
    pub payload: &'a [u8],
    /// Whether the payload was cut short by the capture's snap length.
    pub truncated: bool,
}

/// What a frame turned out to be at the network layers.
#[derive(Debug)]
pub enum NetOutcome<'a> {
    /// A UDP or TCP payload.
    Segment(Segment<'a>),
    /// An ICMP error quoting a UDP/TCP packet we (or a peer) sent.
    IcmpError {
        /// ICMP type (v4: 3, 11, 12; v6: 1-4).
        icmp_type: u8,
        /// ICMP code.
        code: u8,
        /// Who reported it.
        reporter: IpAddr,
        /// The quoted packet's addresses and whatever of its payload was quoted.
        quoted: Segment<'a>,
    },
    /// An IPv4 fragment kept for reassembly.
    Fragment,
    /// Not UDP/TCP over IP (ARP, ICMP...): not for us.
    Ignored,
    /// A link type this decoder does not know: the first packet of each such link type (the
    /// others are counted in [`NetDecoder::unknown_links`]).
    UnknownLink(u32),
    /// Damaged at the network layers.
    Malformed(String),
}

/// A datagram being reassembled: source, destination, identification (IPv4's 16 bits or the
/// IPv6 fragment header's 32) and the protocol of what it carries.
type FragmentKey = (IpAddr, IpAddr, u32, u8);

/// Bounds of the reassembly buffer: a hostile capture cannot make it grow past these.
const MAX_PENDING_DATAGRAMS: usize = 64;
const MAX_PENDING_BYTES: usize = 4 << 20;

#[derive(Debug)]
struct Pending {
    key: FragmentKey,
    /// (offset, bytes) pieces as they came.
    pieces: Vec<(usize, Vec<u8>)>,
    /// Total length, known once the last fragment (MF=0) arrived.
    total: Option<usize>,
    bytes: usize,
}

/// Stateful network-layer decoder (state: pending IPv4 and IPv6 fragments).
#[derive(Debug, Default)]
pub struct NetDecoder {
    pending: VecDeque<Pending>,
    pending_bytes: usize,
    reassembled: Vec<u8>,
    /// Datagrams dropped from the reassembly buffer to respect its bounds.
    pub evicted: u64,
    /// Fragments dropped because they reach past the largest datagram (65,535 bytes).
    pub oversized: u64,
    /// Packets of link types not decoded, by link type (a handful of entries at most: a
    /// pcapng file names each interface's).
    pub unknown_links: std::collections::BTreeMap<u32, u64>,
}

fn sock(ip: IpAddr, port: u16) -> SocketAddr {
    SocketAddr::new(ip, port)
}

/// A header cut short, in our words (etherparse's say "Ethernet 2 Header Error: Not enough data
/// to decode..."): which header, how many bytes there are and how many it needs.
fn cut_short(e: &etherparse::err::LenError) -> String {
    let at =
        if e.layer_start_offset > 0 { format!(" (at byte {})", e.layer_start_offset) } else { String::new() };
    format!("{} cut short: {} bytes where it needs {}{at}", e.layer, e.len, e.required_len)
}

/// A damaged IP packet, in our words where the error is a length.
fn ip_error(e: &etherparse::err::ip::LaxHeaderSliceError) -> String {
    match e {
        etherparse::err::ip::LaxHeaderSliceError::Len(l) => cut_short(l),
        other => format!("IP: {other}"),
    }
}

impl NetDecoder {
    /// A decoder with empty state.
    pub fn new() -> Self {
        Self::default()
    }

    /// Decode one frame of the given link type.
    #[inline(always)]
    pub fn decode<'a>(&'a mut self, linktype: u32, data: &'a [u8], truncated: bool) -> NetOutcome<'a> {
        match fast_path(linktype, data, truncated) {
            Some(seg) => NetOutcome::Segment(seg),
            None => self.decode_general(linktype, data, truncated),
        }
    }

    /// Decode one frame through etherparse: VLAN tags, extension headers, fragments, ICMP
    /// errors, damaged headers.
    fn decode_general<'a>(&'a mut self, linktype: u32, data: &'a [u8], truncated: bool) -> NetOutcome<'a> {
        let sliced = match linktype {
            linktype::ETHERNET => match LaxSlicedPacket::from_ethernet(data) {
                Ok(p) => p,
                Err(e) => return NetOutcome::Malformed(cut_short(&e)),
            },
            linktype::RAW | linktype::IPV4 | linktype::IPV6 => match LaxSlicedPacket::from_ip(data) {
                Ok(p) => p,
                Err(e) => return NetOutcome::Malformed(ip_error(&e)),
            },
            linktype::NULL | linktype::LOOP => {
                let Some(fam) = loopback_family(linktype, data) else {
                    return NetOutcome::Malformed("loopback header shorter than 4 bytes".into());
                };
                if !is_ip_family(fam) {
                    return NetOutcome::Ignored;
                }
                match LaxSlicedPacket::from_ip(&data[4..]) {
                    Ok(p) => p,
                    Err(e) => return NetOutcome::Malformed(ip_error(&e)),
                }
            }
            linktype::LINUX_SLL | linktype::LINUX_SLL2 => {
                let (proto_at, header) = if linktype == linktype::LINUX_SLL { (14, 16) } else { (0, 20) };
                let Some(rest) = data.get(header..) else {
                    return NetOutcome::Malformed(format!("Linux cooked header shorter than {header} bytes"));
                };
                let proto = u16::from_be_bytes([data[proto_at], data[proto_at + 1]]);
                LaxSlicedPacket::from_ether_type(EtherType(proto), rest)
            }
            other => {
                let seen = self.unknown_links.entry(other).or_default();
                *seen += 1;
                return if *seen == 1 { NetOutcome::UnknownLink(other) } else { NetOutcome::Ignored };
            }
        };
        let (src_ip, dst_ip, payload) = match &sliced.net {
            Some(LaxNetSlice::Ipv4(v4)) => {
                let h = v4.header();
                let p = v4.payload();
                let (src, dst) = (Ipv4Addr::from(h.source()), Ipv4Addr::from(h.destination()));
                let (src, dst) = (IpAddr::V4(src), IpAddr::V4(dst));
                if p.fragmented {
                    let key = (src, dst, u32::from(h.identification()), p.ip_number.0);
                    let offset = usize::from(h.fragments_offset().value()) * 8;
                    return self.fragment(key, offset, h.more_fragments(), p.payload, truncated);
                }
                (src, dst, p)
            }
            Some(LaxNetSlice::Ipv6(v6)) => {
                let h = v6.header();
                let p = v6.payload();
                let (src, dst) =
                    (IpAddr::V6(Ipv6Addr::from(h.source())), IpAddr::V6(Ipv6Addr::from(h.destination())));
                if p.fragmented {
                    // The fragment header that fragments the payload: the last one. Walked here
                    // over the extension bytes, not with etherparse's iterator, which reads past
                    // the slice after a lax parse that stopped inside the chain (found by the
                    // pcap_decode fuzz target: a heap-buffer-overflow under ASan).
                    let exts = v6.extensions();
                    let Some(f) =
                        exts.first_header().and_then(|first| last_fragment_header(first.0, exts.slice()))
                    else {
                        return NetOutcome::Malformed("IPv6 fragment without a fragment header".into());
                    };
                    let key = (src, dst, f.identification, p.ip_number.0);
                    return self.fragment(key, f.offset, f.more, p.payload, truncated);
                }
                (src, dst, p)
            }
            Some(LaxNetSlice::Arp(_)) | None => {
                return match &sliced.stop_err {
                    Some((e, layer)) if sliced.link.is_some() || sliced.net.is_some() => {
                        NetOutcome::Malformed(match e {
                            etherparse::err::packet::SliceError::Len(l) => cut_short(l),
                            other => format!("{layer}: {other}"),
                        })
                    }
                    _ => NetOutcome::Ignored,
                };
            }
        };
        let truncated = truncated || payload.incomplete;
        if let Some(outcome) = icmp_error(payload.ip_number.0, src_ip, payload.payload) {
            return outcome;
        }
        match transport(payload.ip_number.0, src_ip, dst_ip, payload.payload, truncated) {
            Some(seg) => NetOutcome::Segment(seg),
            None if matches!(payload.ip_number.0, 6 | 17) => NetOutcome::Malformed(format!(
                "{} header cut short",
                if payload.ip_number.0 == 6 { "TCP" } else { "UDP" }
            )),
            None => NetOutcome::Ignored,
        }
    }

    /// An IPv4 or IPv6 fragment: the segment once its datagram is complete.
    fn fragment(
        &mut self,
        key: FragmentKey,
        offset: usize,
        more: bool,
        piece: &[u8],
        truncated: bool,
    ) -> NetOutcome<'_> {
        let (src, dst, _, proto) = key;
        match self.add_fragment(key, offset, more, piece) {
            Some(()) => match transport(proto, src, dst, &self.reassembled, truncated) {
                Some(seg) => NetOutcome::Segment(seg),
                None => NetOutcome::Ignored,
            },
            None => NetOutcome::Fragment,
        }
    }

    /// Datagrams whose fragments were still incomplete when the capture ended.
    pub fn pending_datagrams(&self) -> usize {
        self.pending.len()
    }

    /// Add a fragment; `Some` when the datagram is complete (it is then in `reassembled`).
    fn add_fragment(&mut self, key: FragmentKey, offset: usize, more: bool, piece: &[u8]) -> Option<()> {
        if offset + piece.len() > 65_535 {
            self.oversized += 1;
            return None;
        }
        let idx = match self.pending.iter().position(|p| p.key == key) {
            Some(i) => i,
            None => {
                self.pending.push_back(Pending { key, pieces: Vec::new(), total: None, bytes: 0 });
                self.pending.len() - 1
            }
        };
        let entry = &mut self.pending[idx];
        entry.pieces.push((offset, piece.to_vec()));
        entry.bytes += piece.len();
        self.pending_bytes += piece.len();
        if !more {
            entry.total = Some(offset + piece.len());
        }
        let complete = entry.total.is_some_and(|total| {
            let mut ranges: Vec<(usize, usize)> =
                entry.pieces.iter().map(|(o, b)| (*o, o + b.len())).collect();
            ranges.sort_unstable();
            let mut covered = 0;
            for (s, e) in ranges {
                if s > covered {
                    return false;
                }
                covered = covered.max(e);
            }
            covered >= total
        });
        if complete {
            let entry = self.pending.remove(idx)?;
            self.pending_bytes -= entry.bytes;
            let total = entry.total.unwrap_or(0);
            self.reassembled.clear();
            self.reassembled.resize(total, 0);
            for (o, b) in &entry.pieces {
                let end = (o + b.len()).min(total);
                if *o < end {
                    self.reassembled[*o..end].copy_from_slice(&b[..end - o]);
                }
            }
            return Some(());
        }
        while self.pending.len() > MAX_PENDING_DATAGRAMS || self.pending_bytes > MAX_PENDING_BYTES {
            match self.pending.pop_front() {
                Some(old) => {
                    self.pending_bytes -= old.bytes;
                    self.evicted += 1;
                }
                None => break,
            }
        }
        None
    }
}

/// An IPv6 fragment header's fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Ipv6Fragment {
    identification: u32,
    /// In bytes.
    offset: usize,
    more: bool,
}

/// The last fragment header in a chain of IPv6 extension headers starting with next-header
/// `first` in `exts`, walked with every length checked (at most 32 headers).
fn last_fragment_header(first: u8, exts: &[u8]) -> Option<Ipv6Fragment> {
    let (mut next, mut at, mut found) = (first, 0usize, None);
    for _ in 0..32 {
        let h = exts.get(at..)?;
        let len = match next {
            // Hop-by-hop, routing, destination options: (length + 1) × 8 bytes.
            0 | 43 | 60 => (usize::from(*h.get(1)?) + 1) * 8,
            44 => {
                let f = h.get(..8)?;
                let field = u16::from_be_bytes([f[2], f[3]]);
                found = Some(Ipv6Fragment {
                    identification: u32::from_be_bytes([f[4], f[5], f[6], f[7]]),
                    offset: usize::from(field >> 3) * 8,
                    more: field & 1 == 1,
                });
                8
            }
            // Authentication header: (length + 2) × 4 bytes.
            51 => (usize::from(*h.get(1)?) + 2) * 4,
            _ => return found,
        };
        if h.len() < len {
            return found;
        }
        next = h[0];
        at += len;
        if at >= exts.len() {
            return found;
        }
    }
    found
}

/// The address family of a BSD null/loop frame: network byte order for LOOP, the capturing
/// machine's byte order (either is accepted) for NULL. None when shorter than 4 bytes.
fn loopback_family(linktype: u32, data: &[u8]) -> Option<u32> {
    let fam: [u8; 4] = data.get(..4)?.try_into().ok()?;
    if linktype == linktype::LOOP {
        return Some(u32::from_be_bytes(fam));
    }
    let le = u32::from_le_bytes(fam);
    Some(if le < 256 { le } else { u32::from_be_bytes(fam) })
}

/// AF_INET is 2 everywhere; AF_INET6 is 24, 28 or 30 depending on the BSD.
fn is_ip_family(fam: u32) -> bool {
    matches!(fam, 2 | 24 | 28 | 30)
}

/// The common case, decoded without etherparse: a link header without VLAN tags, then IPv4
/// (unfragmented, any options) or IPv6 (no extension headers) carrying UDP or TCP, with every
/// length consistent and nothing cut short. `None` for anything else, which then takes the
/// general path; where both apply they give the same segment (tested).
#[inline(always)]
fn fast_path(linktype: u32, data: &[u8], truncated: bool) -> Option<Segment<'_>> {
    const IPV4: u16 = 0x0800;
    const IPV6: u16 = 0x86dd;
    let (ip, version) = match linktype {
        linktype::ETHERNET => match u16::from_be_bytes([*data.get(12)?, *data.get(13)?]) {
            IPV4 => (&data[14..], 4),
            IPV6 => (&data[14..], 6),
            _ => return None,
        },
        linktype::LINUX_SLL | linktype::LINUX_SLL2 => {
            let (proto_at, header) = if linktype == linktype::LINUX_SLL { (14, 16) } else { (0, 20) };
            let ip = data.get(header..)?;
            match u16::from_be_bytes([data[proto_at], data[proto_at + 1]]) {
                IPV4 => (ip, 4),
                IPV6 => (ip, 6),
                _ => return None,
            }
        }
        linktype::RAW | linktype::IPV4 | linktype::IPV6 => (data, data.first()? >> 4),
        linktype::NULL | linktype::LOOP => {
            if !is_ip_family(loopback_family(linktype, data)?) {
                return None;
            }
            let ip = &data[4..];
            (ip, ip.first()? >> 4)
        }
        _ => return None,
    };
    let first = *ip.first()?;
    if first >> 4 != version {
        return None;
    }
    let (src, dst, proto, payload) = match version {
        4 => {
            let header = usize::from(first & 0x0f) * 4;
            let total = usize::from(u16::from_be_bytes([*ip.get(2)?, *ip.get(3)?]));
            if header < 20 || total < header || total > ip.len() {
                return None;
            }
            // More-fragments flag or a fragment offset: reassembly, on the general path.
            if u16::from_be_bytes([ip[6], ip[7]]) & 0x3fff != 0 {
                return None;
            }
            let src = Ipv4Addr::new(ip[12], ip[13], ip[14], ip[15]);
            let dst = Ipv4Addr::new(ip[16], ip[17], ip[18], ip[19]);
            (IpAddr::V4(src), IpAddr::V4(dst), ip[9], &ip[header..total])
        }
        6 => {
            let len = usize::from(u16::from_be_bytes([*ip.get(4)?, *ip.get(5)?]));
            // Length 0 announces a jumbogram (hop-by-hop option): general path.
            if len == 0 || ip.len() < 40 + len {
                return None;
            }
            let src: [u8; 16] = ip[8..24].try_into().ok()?;
            let dst: [u8; 16] = ip[24..40].try_into().ok()?;
            (IpAddr::V6(Ipv6Addr::from(src)), IpAddr::V6(Ipv6Addr::from(dst)), ip[6], &ip[40..40 + len])
        }
        _ => return None,
    };
    if proto != 17 && proto != 6 {
        return None;
    }
    transport(proto, src, dst, payload, truncated)
}

/// An ICMP/ICMPv6 error that quotes the packet that caused it.
fn icmp_error(proto: u8, reporter: IpAddr, p: &[u8]) -> Option<NetOutcome<'_>> {
    let is_error = match proto {
        1 => matches!(p.first(), Some(3 | 11 | 12)),
        58 => matches!(p.first(), Some(1..=4)),
        _ => false,
    };
    if !is_error || p.len() < 8 {
        return None;
    }
    let quoted = LaxSlicedPacket::from_ip(&p[8..]).ok()?;
    let (src, dst, inner) = match &quoted.net {
        Some(LaxNetSlice::Ipv4(v4)) => {
            let h = v4.header();
            (
                IpAddr::V4(Ipv4Addr::from(h.source())),
                IpAddr::V4(Ipv4Addr::from(h.destination())),
                v4.payload(),
            )
        }
        Some(LaxNetSlice::Ipv6(v6)) => {
            let h = v6.header();
            (
                IpAddr::V6(Ipv6Addr::from(h.source())),
                IpAddr::V6(Ipv6Addr::from(h.destination())),
                v6.payload(),
            )
        }
        _ => return None,
    };
    let seg = transport(inner.ip_number.0, src, dst, inner.payload, true)?;
    Some(NetOutcome::IcmpError { icmp_type: p[0], code: p[1], reporter, quoted: seg })
}

/// Parse a UDP or TCP header from an IP payload.
#[inline(always)]
fn transport(proto: u8, src: IpAddr, dst: IpAddr, p: &[u8], truncated: bool) -> Option<Segment<'_>> {
    match proto {
        17 => {
            let h = p.get(..8)?;
            let sport = u16::from_be_bytes([h[0], h[1]]);
            let dport = u16::from_be_bytes([h[2], h[3]]);
            let len = usize::from(u16::from_be_bytes([h[4], h[5]]));
            // The UDP length bounds the payload (Ethernet padding follows short frames).
            let end = if len >= 8 { len.min(p.len()) } else { p.len() };
            Some(Segment {
                src: sock(src, sport),
                dst: sock(dst, dport),
                transport: Transport::Udp,
                tcp: None,
                payload: &p[8..end.max(8)],
                truncated: truncated || len > p.len(),
            })
        }
        6 => {
            let h = p.get(..20)?;
            let sport = u16::from_be_bytes([h[0], h[1]]);
            let dport = u16::from_be_bytes([h[2], h[3]]);
            let seq = u32::from_be_bytes([h[4], h[5], h[6], h[7]]);
            let data_offset = usize::from(h[12] >> 4) * 4;
            let flags = h[13];
            let payload = p.get(data_offset.max(20)..).unwrap_or(&[]);
            Some(Segment {
                src: sock(src, sport),
                dst: sock(dst, dport),
                transport: Transport::Tcp,
                tcp: Some(TcpInfo {
                    seq,
                    syn: flags & 0x02 != 0,
                    fin: flags & 0x01 != 0,
                    rst: flags & 0x04 != 0,
                }),
                payload,
                truncated,
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ipv4_udp(id: u16, frag_off: u16, more: bool, payload: &[u8]) -> Vec<u8> {
        let mut p =
            vec![0x45, 0, 0, 0, (id >> 8) as u8, id as u8, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2];
        let total = (20 + payload.len()) as u16;
        p[2..4].copy_from_slice(&total.to_be_bytes());
        let flags = (u16::from(more) << 13) | frag_off;
        p[6..8].copy_from_slice(&flags.to_be_bytes());
        p.extend_from_slice(payload);
        p
    }

    #[test]
    fn reassembles_ipv4_fragments_out_of_order() {
        let mut udp = vec![0x13, 0x88, 0x0d, 0x96, 0, 0, 0, 0];
        udp.extend((0..40u8).collect::<Vec<_>>());
        let len = udp.len() as u16;
        udp[4..6].copy_from_slice(&len.to_be_bytes());
        let second = ipv4_udp(7, 3, false, &udp[24..]);
        let first = ipv4_udp(7, 0, true, &udp[..24]);
        let mut dec = NetDecoder::new();
        assert!(matches!(dec.decode(linktype::RAW, &second, false), NetOutcome::Fragment));
        match dec.decode(linktype::RAW, &first, false) {
            NetOutcome::Segment(s) => {
                assert_eq!(s.src, "10.0.0.1:5000".parse::<SocketAddr>().unwrap());
                assert_eq!(s.dst.port(), 3478);
                assert_eq!(s.payload, &udp[8..]);
            }
            other => panic!("{other:?}"),
        }
    }

    /// An IPv6 fragment (RFC 8200): the fixed header, then a fragment header.
    fn ipv6_fragment(id: u32, offset: u16, more: bool, payload: &[u8]) -> Vec<u8> {
        let mut p = vec![0x60, 0, 0, 0, 0, 0, 44, 64];
        p.extend_from_slice(&"2001:db8::1".parse::<Ipv6Addr>().unwrap().octets());
        p.extend_from_slice(&"2001:db8::2".parse::<Ipv6Addr>().unwrap().octets());
        let len = (8 + payload.len()) as u16;
        p[4..6].copy_from_slice(&len.to_be_bytes());
        p.extend_from_slice(&[17, 0]);
        p.extend_from_slice(&((offset << 3) | u16::from(more)).to_be_bytes());
        p.extend_from_slice(&id.to_be_bytes());
        p.extend_from_slice(payload);
        p
    }

    #[test]
    fn reassembles_ipv6_fragments_out_of_order() {
        let mut udp = vec![0x13, 0x88, 0x0d, 0x96, 0, 0, 0, 0];
        udp.extend((0..100u8).collect::<Vec<_>>());
        let len = udp.len() as u16;
        udp[4..6].copy_from_slice(&len.to_be_bytes());
        let mut dec = NetDecoder::new();
        // Another datagram's fragment in between must not mix in.
        let other = ipv6_fragment(8, 0, true, &[0xee; 48]);
        assert!(matches!(
            dec.decode(linktype::RAW, &ipv6_fragment(7, 6, false, &udp[48..]), false),
            NetOutcome::Fragment
        ));
        assert!(matches!(dec.decode(linktype::RAW, &other, false), NetOutcome::Fragment));
        match dec.decode(linktype::RAW, &ipv6_fragment(7, 0, true, &udp[..48]), false) {
            NetOutcome::Segment(s) => {
                assert_eq!(s.src, "[2001:db8::1]:5000".parse::<SocketAddr>().unwrap());
                assert_eq!(s.dst.port(), 3478);
                assert_eq!(s.transport, Transport::Udp);
                assert_eq!(s.payload, &udp[8..]);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn reassembly_memory_is_bounded() {
        let mut dec = NetDecoder::new();
        for id in 0..1000u16 {
            let frag = ipv4_udp(id, 0, true, &[0u8; 1000]);
            dec.decode(linktype::RAW, &frag, false);
        }
        assert!(dec.pending.len() <= MAX_PENDING_DATAGRAMS);
        assert!(dec.evicted > 900);
        // A fragment that would make the datagram longer than IP allows is counted, not kept.
        let past = ipv4_udp(5000, 65_528 / 8, true, &[0u8; 64]);
        assert!(matches!(dec.decode(linktype::RAW, &past, false), NetOutcome::Fragment));
        assert_eq!(dec.oversized, 1);
        assert_eq!(dec.pending_datagrams(), MAX_PENDING_DATAGRAMS);
    }

    #[test]
    fn the_fragment_header_is_found_in_the_extension_chain_and_a_cut_chain_is_safe() {
        // Hop-by-hop (8 bytes), then a fragment header: id 7, offset 1232 bytes, more.
        let mut chain = vec![44, 0, 0, 0, 0, 0, 0, 0];
        chain.extend_from_slice(&[17, 0, 0x04, 0xd1, 0, 0, 0, 7]);
        let f = last_fragment_header(0, &chain).unwrap();
        assert_eq!(f, Ipv6Fragment { identification: 7, offset: 1232, more: true });
        // Cut anywhere, or with a length that runs past the end: no header, no panic.
        for cut in 0..chain.len() {
            let _ = last_fragment_header(0, &chain[..cut]);
        }
        assert_eq!(last_fragment_header(0, &[44, 200, 0, 0, 0, 0, 0, 0]), None);
        assert_eq!(last_fragment_header(17, &chain), None, "UDP first: no extension headers");
    }

    #[test]
    fn an_unknown_link_type_is_said_once_and_counted() {
        let mut dec = NetDecoder::new();
        assert!(matches!(dec.decode(147, &[0u8; 40], false), NetOutcome::UnknownLink(147)));
        assert!(matches!(dec.decode(147, &[0u8; 40], false), NetOutcome::Ignored));
        assert!(matches!(dec.decode(148, &[0u8; 40], false), NetOutcome::UnknownLink(148)));
        assert_eq!(dec.unknown_links.get(&147), Some(&2));
    }

    /// The fast path and etherparse's general path agree on every packet the fast path takes,
    /// and the fast path declines what it must not take.
    #[test]
    fn fast_path_agrees_with_the_general_path() {
        let udp = |payload: &[u8]| {
            let mut u = vec![0x13, 0x88, 0x0d, 0x96, 0, 0, 0, 0];
            u.extend_from_slice(payload);
            let len = u.len() as u16;
            u[4..6].copy_from_slice(&len.to_be_bytes());
            u
        };
        let tcp = |payload: &[u8]| {
            let mut t = vec![0x0d, 0x96, 0x13, 0x88, 0, 0, 1, 0, 0, 0, 0, 0, 0x60, 0x18, 0, 0];
            t.extend_from_slice(&[0, 0, 0, 0, 2, 4, 5, 0xb4]); // urgent pointer, MSS option
            t.extend_from_slice(payload);
            t
        };
        let v4 = |proto: u8, options: &[u8], body: &[u8]| {
            let header = 20 + options.len();
            let mut p = vec![0x40 | (header / 4) as u8, 0, 0, 0, 0, 1, 0x40, 0, 64, proto, 0, 0];
            p.extend_from_slice(&[192, 0, 2, 1, 198, 51, 100, 7]);
            p.extend_from_slice(options);
            p.extend_from_slice(body);
            let total = p.len() as u16;
            p[2..4].copy_from_slice(&total.to_be_bytes());
            p
        };
        let v6 = |next: u8, body: &[u8]| {
            let mut p = vec![0x60, 0, 0, 0, 0, 0, next, 64];
            p.extend_from_slice(&"2001:db8::1".parse::<Ipv6Addr>().unwrap().octets());
            p.extend_from_slice(&"2001:db8::2".parse::<Ipv6Addr>().unwrap().octets());
            p.extend_from_slice(body);
            let len = body.len() as u16;
            p[4..6].copy_from_slice(&len.to_be_bytes());
            p
        };
        let ether = |ethertype: u16, ip: &[u8], pad: usize| {
            let mut f = vec![2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2];
            f.extend_from_slice(&ethertype.to_be_bytes());
            f.extend_from_slice(ip);
            f.extend(std::iter::repeat_n(0u8, pad));
            f
        };
        let stun = [0u8, 1, 0, 0, 0x21, 0x12, 0xa4, 0x42, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
        let ip_packets = [
            v4(17, &[], &udp(&stun)),
            v4(17, &[1, 1, 1, 0], &udp(&stun)), // options
            v4(6, &[], &tcp(&stun)),
            v4(17, &[], &udp(&[])),
            v6(17, &udp(&stun)),
            v6(6, &tcp(&stun)),
        ];
        let mut frames = Vec::new();
        for ip in &ip_packets {
            let ethertype = if ip[0] >> 4 == 4 { 0x0800 } else { 0x86dd };
            frames.push((linktype::ETHERNET, ether(ethertype, ip, 0)));
            frames.push((linktype::ETHERNET, ether(ethertype, ip, 18))); // padding after IP
            frames.push((linktype::RAW, ip.clone()));
            let mut sll = vec![0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0];
            sll.extend_from_slice(&ethertype.to_be_bytes());
            sll.extend_from_slice(ip);
            frames.push((linktype::LINUX_SLL, sll));
            let mut null = if ip[0] >> 4 == 4 { 2u32 } else { 30 }.to_le_bytes().to_vec();
            null.extend_from_slice(ip);
            frames.push((linktype::NULL, null));
        }
        for (lt, frame) in &frames {
            for truncated in [false, true] {
                let fast =
                    fast_path(*lt, frame, truncated).unwrap_or_else(|| panic!("declined {frame:02x?}"));
                let mut dec = NetDecoder::new();
                match dec.decode_general(*lt, frame, truncated) {
                    NetOutcome::Segment(g) => {
                        assert_eq!((fast.src, fast.dst, fast.transport), (g.src, g.dst, g.transport));
                        assert_eq!((fast.tcp, fast.payload, fast.truncated), (g.tcp, g.payload, g.truncated));
                    }
                    other => panic!("general path: {other:?} for {frame:02x?}"),
                }
            }
        }
        // Declined: fragments, VLAN tags, IP cut short, ICMP, an IPv6 extension header, a
        // version that disagrees with the link header, UDP header cut short.
        let mut fragment = v4(17, &[], &udp(&stun));
        fragment[6] = 0x20;
        let mut short = v4(17, &[], &udp(&stun));
        short.truncate(short.len() - 1);
        let mut vlan = ether(0x8100, &[0, 5, 8, 0], 0);
        vlan.extend_from_slice(&ip_packets[0]);
        let wrong_version = ether(0x0800, &ip_packets[4], 0);
        let declined = [
            (linktype::RAW, fragment),
            (linktype::RAW, short),
            (linktype::ETHERNET, vlan),
            (linktype::RAW, v4(1, &[], &[3, 3, 0, 0, 0, 0, 0, 0])),
            (linktype::RAW, v6(0, &[17, 0, 1, 4, 0, 0, 0, 0])),
            (linktype::ETHERNET, wrong_version),
            (linktype::RAW, v4(17, &[], &[0x13, 0x88])),
            (linktype::ETHERNET, vec![0; 13]),
        ];
        for (lt, frame) in &declined {
            assert!(fast_path(*lt, frame, false).is_none(), "{frame:02x?}");
        }
    }

    #[test]
    fn loopback_and_sll() {
        let udp = [0x13, 0x88, 0x0d, 0x96, 0, 12, 0, 0, 1, 2, 3, 4];
        let ip = ipv4_udp(1, 0, false, &udp);
        let mut null = 2u32.to_le_bytes().to_vec();
        null.extend_from_slice(&ip);
        let mut dec = NetDecoder::new();
        assert!(
            matches!(dec.decode(linktype::NULL, &null, false), NetOutcome::Segment(s) if s.payload == [1, 2, 3, 4])
        );
        let mut sll = vec![0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0x08, 0x00];
        sll.extend_from_slice(&ip);
        assert!(
            matches!(dec.decode(linktype::LINUX_SLL, &sll, false), NetOutcome::Segment(s) if s.payload == [1, 2, 3, 4])
        );
        let mut sll2 = vec![0x08, 0x00, 0, 0, 0, 0, 0, 1, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0];
        sll2.extend_from_slice(&ip);
        assert!(
            matches!(dec.decode(linktype::LINUX_SLL2, &sll2, false), NetOutcome::Segment(s) if s.payload == [1, 2, 3, 4])
        );
        assert!(matches!(dec.decode(linktype::LINUX_SLL, &[1, 2], false), NetOutcome::Malformed(_)));
    }
}
