//! Framing over a byte stream (TCP, TLS): where one STUN message or ChannelData frame ends.
//!
//! Over a stream, STUN messages follow each other with no separator (RFC 8489 §6.2.2): the
//! 20-byte header's length field says where the next one starts. TURN's ChannelData frames
//! share the stream and are padded to a multiple of 4 there (RFC 8656 §12.5), so their
//! 4-byte header says it. The first two bits tell them apart: `00` STUN, `01` ChannelData
//! (channel numbers 0x4000-0x7FFF); anything else is not STUN, and [`describe_not_stun`]
//! says what it looks like instead (a TLS handshake on a `turn:` port is the usual mistake).
//! An HTTP response starts like ChannelData (`HT` is channel 0x4854): a client that bound no
//! channel treats any ChannelData as not STUN.
//!
//! ```
//! use rtctool::core::stun::{frame_len, StreamFrame};
//! let stream = [0x40, 0x00, 0x00, 0x05, 1, 2, 3, 4, 5, 0, 0, 0];
//! assert_eq!(frame_len(&stream), Ok(Some(StreamFrame::ChannelData { len: 12 })));
//! assert_eq!(frame_len(&stream[..3]), Ok(None)); // the header is not all there yet
//! ```

use super::{starts_channel_data, HEADER_LEN, MAGIC_COOKIE};

/// A frame at the start of a stream buffer, and its length on the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamFrame {
    /// A STUN message of `len` bytes (header included).
    Stun {
        /// Bytes on the stream.
        len: usize,
    },
    /// A ChannelData frame of `len` bytes (header and padding to 4 included).
    ChannelData {
        /// Bytes on the stream.
        len: usize,
    },
}

impl StreamFrame {
    /// How many bytes of the stream the frame takes.
    pub fn size(self) -> usize {
        match self {
            StreamFrame::Stun { len } | StreamFrame::ChannelData { len } => len,
        }
    }
}

/// The stream does not carry STUN at this point: its first byte starts neither a STUN message
/// nor a ChannelData frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotStun {
    /// The offending first byte.
    pub first: u8,
}

/// The frame that starts `buf`: `Ok(None)` while its header is not all there (4 bytes), an
/// error as soon as the first byte shows it is neither STUN nor ChannelData, or a STUN
/// header's bytes 4-8 are not the magic cookie.
pub fn frame_len(buf: &[u8]) -> Result<Option<StreamFrame>, NotStun> {
    let Some(&first) = buf.first() else { return Ok(None) };
    let stun = first >> 6 == 0;
    if !stun && !starts_channel_data(first) {
        return Err(NotStun { first });
    }
    if stun && buf.get(4..8).is_some_and(|c| c != MAGIC_COOKIE.to_be_bytes()) {
        // RFC 5389 and later carry the magic cookie; a TLS record (0x16 0x03) starts like a
        // message type but has no cookie.
        return Err(NotStun { first });
    }
    let Some(h) = buf.get(2..4) else { return Ok(None) };
    let declared = usize::from(u16::from_be_bytes([h[0], h[1]]));
    Ok(Some(if stun {
        StreamFrame::Stun { len: HEADER_LEN + declared }
    } else {
        StreamFrame::ChannelData { len: (4 + declared).next_multiple_of(4) }
    }))
}

/// What bytes that are not STUN look like, for an error message: a TLS handshake, an HTTP
/// response, or the first two bytes in hex.
pub fn describe_not_stun(buf: &[u8]) -> String {
    if buf.starts_with(&[0x16, 0x03]) {
        "a TLS handshake: the port speaks TLS, use turns:".to_string()
    } else if buf.starts_with(b"HTTP") {
        "an HTTP response: the port is a web server".to_string()
    } else {
        let byte = |i: usize| buf.get(i).map_or_else(|| "--".to_string(), |b| format!("{b:02x}"));
        format!("bytes that are not STUN (starting {} {})", byte(0), byte(1))
    }
}

/// What a datagram that answers nothing we asked looks like, for a diagnosis: a STUN message
/// (its type and transaction id), DTLS, or [`describe_not_stun`]'s words.
pub fn describe_datagram(buf: &[u8]) -> String {
    match super::Message::new_checked(buf) {
        Ok(m) => {
            let method =
                m.method().name().map_or_else(|| format!("method 0x{:03x}", m.method().0), str::to_string);
            format!(
                "a STUN {method} {} with a transaction id no request of ours has ({})",
                m.class(),
                super::hex(m.transaction_id_bytes())
            )
        }
        Err(_) if buf.starts_with(&[0x16, 0xfe]) => "a DTLS handshake record".to_string(),
        Err(_) if buf.starts_with(&[0x16, 0x03]) => "a TLS handshake record".to_string(),
        Err(_) if buf.len() >= 20 && buf[0] < 2 && super::MAGIC_COOKIE.to_be_bytes() == buf[4..8] => {
            format!("a damaged STUN message ({} bytes)", buf.len())
        }
        Err(_) => describe_not_stun(buf),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datagrams_that_answer_nothing_are_described() {
        let other = crate::core::stun::MessageBuilder::new(
            crate::core::stun::Class::SuccessResponse,
            crate::core::stun::Method::BINDING,
            [0xab; 12],
        )
        .finish();
        assert_eq!(
            describe_datagram(&other),
            "a STUN Binding Success Response with a transaction id no request of ours has (abababababababababababab)"
        );
        assert_eq!(
            describe_datagram(b"HTTP/1.1 400 Bad Request"),
            "an HTTP response: the port is a web server"
        );
        assert_eq!(describe_datagram(&[0x16, 0xfe, 0xfd, 0]), "a DTLS handshake record");
        let mut damaged = other.clone();
        damaged[3] = 8; // 8 bytes of attributes claimed, 1 there
        damaged.push(0);
        assert_eq!(describe_datagram(&damaged), "a damaged STUN message (21 bytes)");
    }

    #[test]
    fn stun_and_channel_data_lengths() {
        let stun = [0x00, 0x01, 0x00, 0x08, 0x21, 0x12, 0xa4, 0x42];
        assert_eq!(frame_len(&stun), Ok(Some(StreamFrame::Stun { len: 28 })));
        assert_eq!(frame_len(&stun[..4]), Ok(Some(StreamFrame::Stun { len: 28 })));
        // ChannelData pads to 4 over streams; a multiple of 4 is not padded further.
        assert_eq!(frame_len(&[0x7f, 0xff, 0, 4]), Ok(Some(StreamFrame::ChannelData { len: 8 })));
        assert_eq!(frame_len(&[0x40, 0, 0, 0]), Ok(Some(StreamFrame::ChannelData { len: 4 })));
        assert_eq!(frame_len(&[0x40, 0, 0, 1]), Ok(Some(StreamFrame::ChannelData { len: 8 })));
        assert_eq!(frame_len(&[]), Ok(None));
        assert_eq!(frame_len(&[0x00, 0x01]), Ok(None));
    }

    #[test]
    fn not_stun_is_known_from_the_first_byte() {
        let tls = [0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, 0x00, 0xa1];
        assert_eq!(frame_len(&tls), Err(NotStun { first: 0x16 }));
        assert_eq!(frame_len(&[0x80]), Err(NotStun { first: 0x80 }));
        // "HT" is channel 0x4854: only a client that bound no channel can tell HTTP apart.
        assert!(matches!(frame_len(b"HTTP/1.1 200"), Ok(Some(StreamFrame::ChannelData { .. }))));
        assert!(describe_not_stun(&[0x16, 0x03, 0x01]).contains("use turns:"));
        assert!(describe_not_stun(b"HTTP/1.1 400").contains("web server"));
        assert_eq!(describe_not_stun(&[0x80, 0x01]), "bytes that are not STUN (starting 80 01)");
        assert_eq!(describe_not_stun(&[0x80]), "bytes that are not STUN (starting 80 --)");
    }
}
