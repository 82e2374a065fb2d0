//! Recognising what a payload is, on any port, the way a careful dissector does, and the small
//! header parsers for the traffic that shares a WebRTC 5-tuple (DTLS, RTP, RTCP, ZRTP).

use std::net::SocketAddr;

use serde_json::{json, Value};

use super::net::Transport;
use crate::core::stun::{demux, ChannelData, Message, PacketKind, MAGIC_COOKIE};

/// Ports where RFC 3489 STUN (no magic cookie) is accepted.
pub const CLASSIC_STUN_PORTS: [u16; 3] = [3478, 3479, 19302];

/// Where a message was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Via {
    /// Inside a TURN ChannelData frame.
    ChannelData,
    /// Inside a DATA attribute (Send/Data indication).
    DataAttribute,
    /// Quoted in an ICMP error (the packet that bounced).
    IcmpError,
}

impl Via {
    /// The JSON `via` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Via::ChannelData => "channel-data",
            Via::DataAttribute => "data-attribute",
            Via::IcmpError => "icmp-error",
        }
    }
}

/// A recognised payload.
#[derive(Debug, Clone, Copy)]
pub enum Body<'a> {
    /// A STUN message (header checked).
    Stun(Message<&'a [u8]>),
    /// A TURN ChannelData frame.
    ChannelData(ChannelData<&'a [u8]>),
    /// DTLS records.
    Dtls(&'a [u8]),
    /// An RTP packet.
    Rtp(Rtp),
    /// An RTCP (compound) packet.
    Rtcp(&'a [u8]),
    /// ZRTP.
    Zrtp,
    /// Anything else.
    Other,
}

impl Body<'_> {
    /// The JSON `kind`.
    pub fn kind(&self) -> &'static str {
        match self {
            Body::Stun(_) => "stun",
            Body::ChannelData(_) => "channel-data",
            Body::Dtls(_) => "dtls",
            Body::Rtp(_) => "rtp",
            Body::Rtcp(_) => "rtcp",
            Body::Zrtp => "zrtp",
            Body::Other => "other",
        }
    }
}

/// Whether `p` is a STUN message by the checks of a careful dissector: top bits zero, magic
/// cookie, length a multiple of 4 and exactly the datagram; or, on a classic STUN port, an
/// RFC 3489 message type with a consistent length.
pub fn is_stun(p: &[u8], src_port: u16, dst_port: u16, exact: bool) -> bool {
    let Ok(msg) = Message::new_checked(p) else {
        return false;
    };
    let len = 20 + usize::from(msg.length());
    let fits = if exact { len == p.len() } else { len <= p.len() };
    if msg.magic_cookie() == MAGIC_COOKIE {
        return fits;
    }
    let classic_port = CLASSIC_STUN_PORTS.contains(&src_port) || CLASSIC_STUN_PORTS.contains(&dst_port);
    classic_port
        && len == p.len()
        && matches!(msg.message_type(), 0x0001 | 0x0101 | 0x0111 | 0x0002 | 0x0102 | 0x0112)
}

/// Whether `p` is a STUN message but for a length that is not a multiple of 4, as MS-TURN
/// (Microsoft Teams' TURN) sends: top bits zero, the magic cookie, and the declared length
/// filling the datagram exactly. tshark decodes these (and marks them malformed).
pub fn is_unaligned_stun(p: &[u8]) -> bool {
    let msg = Message::new_unchecked(p);
    p.len() >= 20
        && p[0] & 0xc0 == 0
        && msg.magic_cookie() == MAGIC_COOKIE
        && !msg.length().is_multiple_of(4)
        && 20 + usize::from(msg.length()) == p.len()
}

/// The problem of a message that [`is_unaligned_stun`].
pub fn unaligned_problem(length: u16) -> String {
    format!(
        "STUN message length {length} is not a multiple of 4, as RFC 8489 requires (MS-TURN sends such messages); decoded as far as it goes"
    )
}

/// Classify a datagram (or one framed message of a stream). `stun_seen`: whether STUN or TURN
/// was seen on the flow, either way; only there is a first byte of 0x40-0x7f read as
/// ChannelData, since elsewhere it is more likely RTP padding or something else entirely.
pub fn classify<'a>(
    p: &'a [u8],
    transport: Transport,
    src: SocketAddr,
    dst: SocketAddr,
    stun_seen: bool,
) -> Body<'a> {
    match demux(p) {
        PacketKind::Stun if is_stun(p, src.port(), dst.port(), transport == Transport::Udp) => {
            match Message::new_checked(p) {
                Ok(m) => Body::Stun(m),
                Err(_) => Body::Other,
            }
        }
        PacketKind::Stun if transport == Transport::Udp && is_unaligned_stun(p) => {
            Body::Stun(Message::new_unchecked(p))
        }
        // RFC 7983 gives TURN channels 64-79 (RFC 8656's 0x4000-0x4FFF), but RFC 5766 allowed
        // up to 0x7FFF and coturn's clients still use them: on a flow where STUN was seen, a
        // first byte of 80-127 is taken as ChannelData too, as tshark does (the two kinds are
        // exactly core::stun::starts_channel_data).
        PacketKind::TurnChannel | PacketKind::Quic if stun_seen => {
            match ChannelData::new_checked(p) {
                // On UDP the frame must fill the datagram up to its padding.
                Ok(cd) if transport == Transport::Tcp || p.len() - (4 + usize::from(cd.length())) < 4 => {
                    Body::ChannelData(cd)
                }
                _ => Body::Other,
            }
        }
        PacketKind::Dtls if is_dtls(p) => Body::Dtls(p),
        PacketKind::Rtp => match Rtp::parse(p) {
            Some(rtp) => Body::Rtp(rtp),
            None => Body::Other,
        },
        PacketKind::Rtcp if p.len() >= 8 && p[0] >> 6 == 2 => Body::Rtcp(p),
        PacketKind::Zrtp if p.get(4..8) == Some(b"ZRTP") => Body::Zrtp,
        _ => Body::Other,
    }
}

/// Classify a payload found inside ChannelData or a DATA attribute: the flow rule does not
/// apply (the peer data is opaque to the server), and STUN need not fill the payload exactly.
pub fn classify_inner(p: &[u8]) -> Body<'_> {
    match demux(p) {
        PacketKind::Stun => match Message::new_checked(p) {
            Ok(m) if m.magic_cookie() == MAGIC_COOKIE && 20 + usize::from(m.length()) == p.len() => {
                Body::Stun(m)
            }
            _ => Body::Other,
        },
        PacketKind::Dtls if is_dtls(p) => Body::Dtls(p),
        PacketKind::Rtp => Rtp::parse(p).map_or(Body::Other, Body::Rtp),
        PacketKind::Rtcp if p.len() >= 8 && p[0] >> 6 == 2 => Body::Rtcp(p),
        PacketKind::Zrtp if p.get(4..8) == Some(b"ZRTP") => Body::Zrtp,
        _ => Body::Other,
    }
}

/// A DTLS record header: content type 20-25, a DTLS version (0xfeff 1.0, 0xfefd 1.2; 1.3
/// uses 0xfefd on the wire), and a length that fits.
pub fn is_dtls(p: &[u8]) -> bool {
    p.len() >= 13
        && (20..=25).contains(&p[0])
        && p[1] == 0xfe
        && matches!(p[2], 0xff | 0xfd | 0xfc)
        && 13 + usize::from(u16::from_be_bytes([p[11], p[12]])) <= p.len()
}

fn content_type_name(t: u8) -> &'static str {
    match t {
        20 => "change-cipher-spec",
        21 => "alert",
        22 => "handshake",
        23 => "application-data",
        24 => "heartbeat",
        25 => "tls12-cid",
        _ => "unknown",
    }
}

/// The name of a DTLS handshake message type (RFC 6347, RFC 8446).
pub fn handshake_name(t: u8) -> &'static str {
    match t {
        0 => "HelloRequest",
        1 => "ClientHello",
        2 => "ServerHello",
        3 => "HelloVerifyRequest",
        4 => "NewSessionTicket",
        11 => "Certificate",
        12 => "ServerKeyExchange",
        13 => "CertificateRequest",
        14 => "ServerHelloDone",
        15 => "CertificateVerify",
        16 => "ClientKeyExchange",
        20 => "Finished",
        _ => "Handshake",
    }
}

/// One DTLS record's header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DtlsRecord {
    /// Content type.
    pub content_type: u8,
    /// Version field.
    pub version: u16,
    /// Epoch.
    pub epoch: u16,
    /// 48-bit sequence number.
    pub seq: u64,
    /// Fragment length.
    pub length: u16,
    /// Handshake message type (epoch 0 handshake records).
    pub handshake: Option<u8>,
}

impl DtlsRecord {
    /// A short label: `ClientHello`, `application-data`...
    pub fn label(&self) -> &'static str {
        match self.handshake {
            Some(h) => handshake_name(h),
            None if self.content_type == 22 => "Handshake (encrypted)",
            None => content_type_name(self.content_type),
        }
    }
}

/// Walk the records of a DTLS datagram.
pub fn dtls_records(p: &[u8]) -> impl Iterator<Item = DtlsRecord> + '_ {
    let mut at = 0;
    std::iter::from_fn(move || {
        let h = p.get(at..at + 13)?;
        if !(20..=25).contains(&h[0]) {
            return None;
        }
        let length = u16::from_be_bytes([h[11], h[12]]);
        let epoch = u16::from_be_bytes([h[3], h[4]]);
        let seq = h[5..11].iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
        let body = p.get(at + 13..at + 13 + usize::from(length))?;
        let handshake = if h[0] == 22 && epoch == 0 { body.first().copied() } else { None };
        at += 13 + usize::from(length);
        Some(DtlsRecord {
            content_type: h[0],
            version: u16::from_be_bytes([h[1], h[2]]),
            epoch,
            seq,
            length,
            handshake,
        })
    })
}

/// The fixed RTP header fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rtp {
    /// Payload type.
    pub payload_type: u8,
    /// Marker bit.
    pub marker: bool,
    /// Sequence number.
    pub seq: u16,
    /// RTP timestamp.
    pub timestamp: u32,
    /// SSRC.
    pub ssrc: u32,
    /// Payload length in bytes (after header, CSRCs, extension and padding).
    pub payload_len: usize,
}

impl Rtp {
    /// Parse an RTP header (version 2, CSRC list, extension and padding consistent).
    pub fn parse(p: &[u8]) -> Option<Rtp> {
        if p.len() < 12 || p[0] >> 6 != 2 {
            return None;
        }
        let cc = usize::from(p[0] & 0x0f);
        let mut header = 12 + 4 * cc;
        if p[0] & 0x10 != 0 {
            let ext = p.get(header..header + 4)?;
            header += 4 + 4 * usize::from(u16::from_be_bytes([ext[2], ext[3]]));
        }
        let padding = if p[0] & 0x20 != 0 { usize::from(*p.last()?) } else { 0 };
        let payload_len = p.len().checked_sub(header)?.checked_sub(padding)?;
        Some(Rtp {
            payload_type: p[1] & 0x7f,
            marker: p[1] & 0x80 != 0,
            seq: u16::from_be_bytes([p[2], p[3]]),
            timestamp: u32::from_be_bytes([p[4], p[5], p[6], p[7]]),
            ssrc: u32::from_be_bytes([p[8], p[9], p[10], p[11]]),
            payload_len,
        })
    }
}

pub fn rtcp_name(pt: u8) -> &'static str {
    match pt {
        192 => "FIR",
        193 => "NACK (RFC 2032)",
        195 => "IJ",
        200 => "SR",
        201 => "RR",
        202 => "SDES",
        203 => "BYE",
        204 => "APP",
        205 => "RTPFB",
        206 => "PSFB",
        207 => "XR",
        _ => "RTCP",
    }
}

/// The packets of a compound RTCP datagram: (packet type, sender SSRC). With SRTCP only the
/// first header is in clear; the walk stops where the lengths stop making sense.
pub fn rtcp_packets(p: &[u8]) -> impl Iterator<Item = (u8, u32)> + '_ {
    let mut at = 0;
    std::iter::from_fn(move || {
        let h = p.get(at..at + 8)?;
        if h[0] >> 6 != 2 || !(192..=223).contains(&h[1]) {
            return None;
        }
        let len = (usize::from(u16::from_be_bytes([h[2], h[3]])) + 1) * 4;
        at += len;
        Some((h[1], u32::from_be_bytes([h[4], h[5], h[6], h[7]])))
    })
}

/// Write a one-line description of a non-STUN body to `out`, without allocating (it runs for
/// every such packet of a capture).
pub fn describe<W: std::fmt::Write>(body: &Body<'_>, out: &mut W) -> std::fmt::Result {
    match body {
        Body::Dtls(p) => {
            out.write_str("DTLS")?;
            for (i, r) in dtls_records(p).enumerate() {
                out.write_str(if i == 0 { " " } else { ", " })?;
                out.write_str(r.label())?;
            }
            Ok(())
        }
        Body::Rtp(r) => write!(
            out,
            "RTP PT={} SSRC=0x{:08x} Seq={} Time={}{}",
            r.payload_type,
            r.ssrc,
            r.seq,
            r.timestamp,
            if r.marker { " Mark" } else { "" }
        ),
        Body::Rtcp(p) => {
            out.write_str("RTCP")?;
            for (i, (t, _)) in rtcp_packets(p).enumerate() {
                out.write_str(if i == 0 { " " } else { "+" })?;
                out.write_str(rtcp_name(t))?;
            }
            let ssrc = rtcp_packets(p).next().map(|(_, s)| s).unwrap_or(0);
            write!(out, " SSRC=0x{ssrc:08x}")
        }
        Body::Zrtp => out.write_str("ZRTP"),
        Body::Other => out.write_str("other"),
        Body::Stun(_) | Body::ChannelData(_) => Ok(()),
    }
}

/// JSON fields of a non-STUN body.
pub fn body_json(body: &Body<'_>) -> Value {
    match body {
        Body::Dtls(p) => json!({"records": dtls_records(p).map(|r| json!({
            "content_type": content_type_name(r.content_type),
            "version": format!("0x{:04x}", r.version),
            "epoch": r.epoch,
            "seq": r.seq,
            "length": r.length,
            "handshake_type": r.handshake.map(handshake_name),
        })).collect::<Vec<_>>()}),
        Body::Rtp(r) => json!({
            "ssrc": r.ssrc, "payload_type": r.payload_type, "seq": r.seq,
            "timestamp": r.timestamp, "marker": r.marker, "payload_length": r.payload_len,
        }),
        Body::Rtcp(p) => json!({"packets": rtcp_packets(p)
            .map(|(t, s)| json!({"type": t, "name": rtcp_name(t), "ssrc": s}))
            .collect::<Vec<_>>()}),
        _ => json!({}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rtp_and_rtcp() {
        let rtp = [0x80, 0xe0, 0, 1, 0, 0, 0, 2, 0xde, 0xad, 0xbe, 0xef, 1, 2, 3];
        let r = Rtp::parse(&rtp).unwrap();
        assert_eq!((r.payload_type, r.marker, r.seq, r.ssrc, r.payload_len), (96, true, 1, 0xdeadbeef, 3));
        assert!(Rtp::parse(&[0x9f, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]).is_none(), "15 CSRCs do not fit");
        let rtcp = [0x80, 200, 0, 1, 0, 0, 0, 9, 0x81, 201, 0, 1, 0, 0, 0, 9];
        assert_eq!(rtcp_packets(&rtcp).collect::<Vec<_>>(), vec![(200, 9), (201, 9)]);
    }

    #[test]
    fn dtls_client_hello() {
        let mut p = vec![22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 1, 0, 0, 0];
        assert!(is_dtls(&p));
        assert_eq!(dtls_records(&p).next().unwrap().label(), "ClientHello");
        p[12] = 200;
        assert!(!is_dtls(&p));
    }
}
