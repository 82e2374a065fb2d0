//! RFC 7983 (updated by RFC 9443) first-byte demultiplexing of what shares a WebRTC 5-tuple.

use std::fmt;

/// What a packet is, by its first byte(s).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PacketKind {
    /// 0..=3: STUN.
    Stun,
    /// 16..=19: ZRTP.
    Zrtp,
    /// 20..=63: DTLS.
    Dtls,
    /// 64..=79: TURN ChannelData.
    TurnChannel,
    /// 80..=127: QUIC (RFC 9443).
    Quic,
    /// 128..=191 with a second byte outside 192..=223: RTP.
    Rtp,
    /// 128..=191 with a second byte in 192..=223 (RTCP packet types 192-223, RFC 5761).
    Rtcp,
    /// Anything else (including empty input).
    Unknown,
}

impl PacketKind {
    /// The JSON `kind` value.
    pub fn as_str(self) -> &'static str {
        match self {
            PacketKind::Stun => "stun",
            PacketKind::Zrtp => "zrtp",
            PacketKind::Dtls => "dtls",
            PacketKind::TurnChannel => "channel-data",
            PacketKind::Quic => "quic",
            PacketKind::Rtp => "rtp",
            PacketKind::Rtcp => "rtcp",
            PacketKind::Unknown => "other",
        }
    }
}

impl fmt::Display for PacketKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Classify a packet by RFC 7983 §7 / RFC 9443 §3.
///
/// ```
/// use rtctool::core::stun::{demux, PacketKind};
/// assert_eq!(demux(&[0x00, 0x01]), PacketKind::Stun);
/// assert_eq!(demux(&[0x16, 0xfe, 0xfd]), PacketKind::Dtls);
/// assert_eq!(demux(&[0x80, 0x6f]), PacketKind::Rtp);
/// assert_eq!(demux(&[0x81, 0xc8]), PacketKind::Rtcp);
/// ```
pub fn demux(packet: &[u8]) -> PacketKind {
    let Some(&first) = packet.first() else {
        return PacketKind::Unknown;
    };
    match first {
        0..=3 => PacketKind::Stun,
        16..=19 => PacketKind::Zrtp,
        20..=63 => PacketKind::Dtls,
        64..=79 => PacketKind::TurnChannel,
        80..=127 => PacketKind::Quic,
        128..=191 => match packet.get(1) {
            Some(192..=223) => PacketKind::Rtcp,
            _ => PacketKind::Rtp,
        },
        _ => PacketKind::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_first_byte_has_one_kind() {
        let counts = (0..=255u8).fold([0usize; 8], |mut c, b| {
            c[demux(&[b, 0]) as usize] += 1;
            c
        });
        assert_eq!(counts[PacketKind::Stun as usize], 4);
        assert_eq!(counts[PacketKind::Dtls as usize], 44);
        assert_eq!(counts[PacketKind::TurnChannel as usize], 16);
        assert_eq!(demux(&[]), PacketKind::Unknown);
        assert_eq!(demux(&[0x80]), PacketKind::Rtp);
    }
}
