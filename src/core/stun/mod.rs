//! STUN/TURN wire codec (RFC 8489, 5389, 3489, 8656, 6062, 5780, 8445).
//!
//! Decoding is zero-copy: [`Message`] is a view over a byte buffer whose header is checked
//! once ([`Message::new_checked`]); attributes are walked lazily ([`Message::attributes`])
//! and typed on demand ([`Attribute::decode`]). A damaged attribute is an
//! [`AttributeError`] with its offset, and the walk goes on where it can. Encoding goes through
//! [`MessageBuilder`], which writes exact lengths and padding and appends
//! MESSAGE-INTEGRITY(-SHA256) and FINGERPRINT.
//!
//! ```
//! use rtctool::core::stun::{Class, Message, Method, MessageBuilder, Attribute, AttrValue, attr};
//! let txid = [7u8; 12];
//! let mut b = MessageBuilder::new(Class::SuccessResponse, Method::BINDING, txid);
//! b.xor_address(attr::XOR_MAPPED_ADDRESS, "192.0.2.1:32853".parse().unwrap());
//! b.fingerprint();
//! let bytes = b.finish();
//!
//! let msg = Message::new_checked(&bytes[..]).unwrap();
//! assert_eq!(msg.method(), Method::BINDING);
//! let first = msg.attributes().next().unwrap().unwrap();
//! let decoded = Attribute::decode(&first, msg.xor_key()).unwrap();
//! assert_eq!(decoded.value, AttrValue::XorAddress("192.0.2.1:32853".parse().unwrap()));
//! assert_eq!(msg.check_fingerprint(), rtctool::core::stun::Check::Ok);
//! ```

pub mod attr;
mod builder;
mod channel;
mod demux;
mod integrity;
mod message;
mod record;
mod stream;

pub use attr::{AttrFormat, AttrValue, Attribute, AttributeError, RawAttribute};
pub use builder::MessageBuilder;
pub use channel::{starts_channel_data, ChannelData, ChannelDataError};
pub use demux::{demux, PacketKind};
pub use integrity::{Check, Credentials, IntegrityKey, PasswordAlgorithm};
pub use message::{message_type, Attributes, Class, HeaderError, Message, Method};
pub use record::{AttributeRecord, DecodeReport, Frame, KeysFor, Problem, Severity};
pub use stream::{describe_datagram, describe_not_stun, frame_len, NotStun, StreamFrame};

/// The magic cookie of RFC 5389/8489 messages (absent in RFC 3489 ones).
pub const MAGIC_COOKIE: u32 = 0x2112_A442;
/// Length of the STUN header.
pub const HEADER_LEN: usize = 20;
/// XOR of the FINGERPRINT CRC-32 (the ASCII of "STUN").
pub const FINGERPRINT_XOR: u32 = 0x5354_554e;

/// Lower-case hex of some bytes (transaction ids, opaque values).
pub fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        let [hi, lo] = hex_pair(b);
        s.push(hi as char);
        s.push(lo as char);
    }
    s
}

/// The two lower-case hex digits of a byte: the one scalar encoder (pcap's SIMD path is
/// checked against it).
#[inline]
pub fn hex_pair(b: u8) -> [u8; 2] {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    [DIGITS[usize::from(b >> 4)], DIGITS[usize::from(b & 0x0f)]]
}
