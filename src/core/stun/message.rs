//! The STUN header and the zero-copy message view.

use std::fmt;

use super::attr::{AttrValue, Attribute, AttributeError, RawAttribute};
use super::{HEADER_LEN, MAGIC_COOKIE};

/// The class of a STUN message (the C1/C0 bits of the type).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Class {
    /// A request, expecting a response.
    Request,
    /// An indication, expecting none.
    Indication,
    /// A success response.
    SuccessResponse,
    /// An error response.
    ErrorResponse,
}

impl Class {
    /// The class encoded in a message type.
    pub fn from_type(message_type: u16) -> Class {
        match ((message_type >> 7) & 0b10) | ((message_type >> 4) & 0b01) {
            0 => Class::Request,
            1 => Class::Indication,
            2 => Class::SuccessResponse,
            _ => Class::ErrorResponse,
        }
    }

    /// The class bits in their place in the message type.
    pub fn type_bits(self) -> u16 {
        match self {
            Class::Request => 0x0000,
            Class::Indication => 0x0010,
            Class::SuccessResponse => 0x0100,
            Class::ErrorResponse => 0x0110,
        }
    }

    /// Machine name: `request`, `indication`, `success-response`, `error-response`.
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Request => "request",
            Class::Indication => "indication",
            Class::SuccessResponse => "success-response",
            Class::ErrorResponse => "error-response",
        }
    }

    /// Whether this class answers a request.
    pub fn is_response(self) -> bool {
        matches!(self, Class::SuccessResponse | Class::ErrorResponse)
    }
}

impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Class::Request => "Request",
            Class::Indication => "Indication",
            Class::SuccessResponse => "Success Response",
            Class::ErrorResponse => "Error Response",
        })
    }
}

/// A STUN method (12 bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Method(pub u16);

impl Method {
    /// Binding (RFC 8489).
    pub const BINDING: Method = Method(0x001);
    /// Shared Secret (RFC 3489, obsolete).
    pub const SHARED_SECRET: Method = Method(0x002);
    /// Allocate (RFC 8656).
    pub const ALLOCATE: Method = Method(0x003);
    /// Refresh (RFC 8656).
    pub const REFRESH: Method = Method(0x004);
    /// Send (RFC 8656).
    pub const SEND: Method = Method(0x006);
    /// Data (RFC 8656).
    pub const DATA: Method = Method(0x007);
    /// CreatePermission (RFC 8656).
    pub const CREATE_PERMISSION: Method = Method(0x008);
    /// ChannelBind (RFC 8656).
    pub const CHANNEL_BIND: Method = Method(0x009);
    /// Connect (RFC 6062).
    pub const CONNECT: Method = Method(0x00a);
    /// ConnectionBind (RFC 6062).
    pub const CONNECTION_BIND: Method = Method(0x00b);
    /// ConnectionAttempt (RFC 6062).
    pub const CONNECTION_ATTEMPT: Method = Method(0x00c);
    /// GOOG-PING (Chromium's lightweight connectivity check).
    pub const GOOG_PING: Method = Method(0x080);

    /// The method encoded in a message type (M0-M11, around the class bits).
    pub fn from_type(message_type: u16) -> Method {
        Method((message_type & 0x000f) | ((message_type & 0x00e0) >> 1) | ((message_type & 0x3e00) >> 2))
    }

    /// The method bits in their place in the message type.
    pub fn type_bits(self) -> u16 {
        let m = self.0 & 0x0fff;
        (m & 0x000f) | ((m & 0x0070) << 1) | ((m & 0x0f80) << 2)
    }

    /// The registered name, if known.
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0x001 => "Binding",
            0x002 => "SharedSecret",
            0x003 => "Allocate",
            0x004 => "Refresh",
            0x006 => "Send",
            0x007 => "Data",
            0x008 => "CreatePermission",
            0x009 => "ChannelBind",
            0x00a => "Connect",
            0x00b => "ConnectionBind",
            0x00c => "ConnectionAttempt",
            0x080 => "GoogPing",
            _ => return None,
        })
    }

    /// Whether this is a TURN method (RFC 8656 / 6062).
    pub fn is_turn(self) -> bool {
        matches!(self.0, 0x003..=0x004 | 0x006..=0x00c)
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "Method(0x{:03x})", self.0),
        }
    }
}

/// Compose a message type from class and method.
pub fn message_type(class: Class, method: Method) -> u16 {
    class.type_bits() | method.type_bits()
}

/// Why bytes are not a STUN message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderError {
    /// Fewer than 20 bytes.
    TooShort {
        /// How many bytes there are.
        len: usize,
    },
    /// One of the two most significant bits is set (not STUN; RFC 7983 demultiplexing).
    NotStun {
        /// The first byte.
        first_byte: u8,
    },
    /// The length field is not a multiple of 4.
    UnalignedLength {
        /// The declared attribute length.
        declared: u16,
    },
    /// The length field claims more bytes than there are.
    Truncated {
        /// The declared attribute length.
        declared: u16,
        /// The bytes after the header.
        available: usize,
    },
}

impl fmt::Display for HeaderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HeaderError::TooShort { len } => {
                write!(f, "{} is shorter than the 20-byte STUN header", crate::core::units::count(*len as u64, "byte"))
            }
            HeaderError::NotStun { first_byte } => write!(
                f,
                "first byte 0x{first_byte:02x} has one of the two top bits set: not a STUN message"
            ),
            HeaderError::UnalignedLength { declared } => write!(
                f,
                "header length field {declared} (offset 2) is not a multiple of 4"
            ),
            HeaderError::Truncated { declared, available } => write!(
                f,
                "header length field says {declared} bytes of attributes (offset 2) but {available} follow the header"
            ),
        }
    }
}

impl std::error::Error for HeaderError {}

/// A zero-copy view of a STUN message, in the manner of smoltcp's `Packet<T>`.
#[derive(Debug, Clone, Copy)]
pub struct Message<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Message<T> {
    /// Wrap a buffer without checking it. Accessors never panic on a short buffer (they read
    /// zeros), but only [`Message::new_checked`] guarantees the values mean anything.
    pub fn new_unchecked(buffer: T) -> Self {
        Message { buffer }
    }

    /// Wrap a buffer after checking the header: 20 bytes at least, top two bits zero,
    /// length a multiple of 4 and not beyond the buffer. Bytes after the declared length are
    /// allowed (a datagram or stream may carry more) and are not part of the message.
    pub fn new_checked(buffer: T) -> Result<Self, HeaderError> {
        let msg = Message { buffer };
        msg.check_header()?;
        Ok(msg)
    }

    /// The checks of [`Message::new_checked`].
    pub fn check_header(&self) -> Result<(), HeaderError> {
        let buf = self.buffer.as_ref();
        if buf.len() < HEADER_LEN {
            return Err(HeaderError::TooShort { len: buf.len() });
        }
        if buf[0] & 0xc0 != 0 {
            return Err(HeaderError::NotStun { first_byte: buf[0] });
        }
        let declared = self.length();
        if !declared.is_multiple_of(4) {
            return Err(HeaderError::UnalignedLength { declared });
        }
        let available = buf.len() - HEADER_LEN;
        if usize::from(declared) > available {
            return Err(HeaderError::Truncated { declared, available });
        }
        Ok(())
    }

    /// The underlying buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    fn u16_at(&self, at: usize) -> u16 {
        let b = self.buffer.as_ref();
        match b.get(at..at + 2) {
            Some(s) => u16::from_be_bytes([s[0], s[1]]),
            None => 0,
        }
    }

    /// The 16-bit message type.
    pub fn message_type(&self) -> u16 {
        self.u16_at(0)
    }

    /// The class.
    pub fn class(&self) -> Class {
        Class::from_type(self.message_type())
    }

    /// The method.
    pub fn method(&self) -> Method {
        Method::from_type(self.message_type())
    }

    /// The declared length of the attributes.
    pub fn length(&self) -> u16 {
        self.u16_at(2)
    }

    /// The magic cookie field (bytes 4..8).
    pub fn magic_cookie(&self) -> u32 {
        let b = self.buffer.as_ref();
        match b.get(4..8) {
            Some(s) => u32::from_be_bytes([s[0], s[1], s[2], s[3]]),
            None => 0,
        }
    }

    /// Whether this is an RFC 3489 message: no magic cookie, 128-bit transaction id.
    pub fn is_classic(&self) -> bool {
        self.magic_cookie() != MAGIC_COOKIE
    }

    /// The 96-bit transaction id of RFC 5389 (bytes 8..20).
    pub fn transaction_id(&self) -> [u8; 12] {
        let mut id = [0u8; 12];
        if let Some(s) = self.buffer.as_ref().get(8..20) {
            id.copy_from_slice(s);
        }
        id
    }

    /// The transaction id as the message's own RFC defines it: 12 bytes, or 16 bytes (cookie
    /// position included) for RFC 3489 messages.
    pub fn transaction_id_bytes(&self) -> &[u8] {
        let b = self.buffer.as_ref();
        let start = if self.is_classic() { 4 } else { 8 };
        b.get(start..HEADER_LEN).unwrap_or(&[])
    }

    /// Bytes 4..20 (cookie and transaction id): the key of the XOR address encoding.
    pub fn xor_key(&self) -> [u8; 16] {
        let mut key = [0u8; 16];
        if let Some(s) = self.buffer.as_ref().get(4..20) {
            key.copy_from_slice(s);
        }
        key
    }

    /// The bytes of the message: header plus the declared length, cut at the buffer's end.
    pub fn as_bytes(&self) -> &[u8] {
        let b = self.buffer.as_ref();
        let end = (HEADER_LEN + usize::from(self.length())).min(b.len());
        &b[..end]
    }

    /// Walk the attributes. Each item is an attribute or a structural error with its offset;
    /// after a structural error (an attribute that overruns the message) the walk ends,
    /// because nothing after it can be located.
    pub fn attributes(&self) -> Attributes<'_> {
        Attributes { bytes: self.as_bytes(), offset: HEADER_LEN, done: false }
    }

    /// The first attribute of a type, if any (structural errors are skipped).
    pub fn attribute(&self, typ: u16) -> Option<RawAttribute<'_>> {
        self.attributes().filter_map(Result::ok).find(|a| a.typ == typ)
    }

    /// A typed address attribute (XOR-MAPPED-ADDRESS, OTHER-ADDRESS...), or `None` when absent
    /// or damaged.
    pub fn address(&self, typ: u16) -> Option<std::net::SocketAddr> {
        let raw = self.attribute(typ)?;
        match Attribute::decode(&raw, self.xor_key()).ok()?.value {
            AttrValue::Address(a) | AttrValue::XorAddress(a) => Some(a),
            _ => None,
        }
    }

    /// The reflexive address: XOR-MAPPED-ADDRESS, or MAPPED-ADDRESS from a server that
    /// predates RFC 5389.
    pub fn mapped_address(&self) -> Option<std::net::SocketAddr> {
        self.address(super::attr::XOR_MAPPED_ADDRESS).or_else(|| self.address(super::attr::MAPPED_ADDRESS))
    }

    /// ERROR-CODE: code and reason phrase, or `None` when absent or damaged.
    pub fn error_code(&self) -> Option<(u16, String)> {
        let raw = self.attribute(super::attr::ERROR_CODE)?;
        match Attribute::decode(&raw, self.xor_key()).ok()?.value {
            AttrValue::ErrorCode { code, reason } => Some((code, reason.to_string())),
            _ => None,
        }
    }
}

impl<'a> Message<&'a [u8]> {
    /// Walk the attributes of a borrowed buffer with the buffer's lifetime, so decoded values
    /// can outlive the view.
    pub fn into_attributes(self) -> Attributes<'a> {
        let b: &'a [u8] = self.buffer;
        let end = (HEADER_LEN + usize::from(self.length())).min(b.len());
        Attributes { bytes: &b[..end], offset: HEADER_LEN, done: false }
    }
}

/// Iterator over a message's attributes.
#[derive(Debug, Clone)]
pub struct Attributes<'a> {
    bytes: &'a [u8],
    offset: usize,
    done: bool,
}

impl<'a> Iterator for Attributes<'a> {
    type Item = Result<RawAttribute<'a>, AttributeError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done || self.offset >= self.bytes.len() {
            return None;
        }
        let at = self.offset;
        let rest = &self.bytes[at..];
        if rest.len() < 4 {
            self.done = true;
            return Some(Err(AttributeError::structural(
                None,
                at,
                format!("{} stray bytes where a 4-byte attribute header should be", rest.len()),
            )));
        }
        let typ = u16::from_be_bytes([rest[0], rest[1]]);
        let len = usize::from(u16::from_be_bytes([rest[2], rest[3]]));
        if 4 + len > rest.len() {
            self.done = true;
            return Some(Err(AttributeError::structural(
                Some(typ),
                at,
                format!(
                    "value length {len} runs past the end of the message ({} left)",
                    crate::core::units::count((rest.len() - 4) as u64, "byte")
                ),
            )));
        }
        let value = &rest[4..4 + len];
        // Padding to a 4-byte boundary; its value is ignored. A missing final pad (seen from
        // some RFC 3489 implementations) is tolerated.
        let padded = (4 + len + 3) & !3;
        self.offset = at + padded.min(rest.len());
        Some(Ok(RawAttribute { typ, value, offset: at }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_composition_round_trips() {
        for m in 0..0x1000u16 {
            for class in [Class::Request, Class::Indication, Class::SuccessResponse, Class::ErrorResponse] {
                let t = message_type(class, Method(m));
                assert_eq!(t & 0xc000, 0);
                assert_eq!(Class::from_type(t), class);
                assert_eq!(Method::from_type(t), Method(m));
            }
        }
        assert_eq!(message_type(Class::SuccessResponse, Method::BINDING), 0x0101);
        assert_eq!(message_type(Class::ErrorResponse, Method::ALLOCATE), 0x0113);
        assert_eq!(message_type(Class::Indication, Method::DATA), 0x0017);
    }

    #[test]
    fn header_checks() {
        assert_eq!(Message::new_checked(&[0u8; 5][..]).unwrap_err(), HeaderError::TooShort { len: 5 });
        let mut h = [0u8; 20];
        h[0] = 0x80;
        assert!(matches!(Message::new_checked(&h[..]), Err(HeaderError::NotStun { .. })));
        h[0] = 0;
        h[3] = 2;
        assert!(matches!(Message::new_checked(&h[..]), Err(HeaderError::UnalignedLength { .. })));
        h[3] = 4;
        assert!(matches!(Message::new_checked(&h[..]), Err(HeaderError::Truncated { .. })));
    }

    #[test]
    fn accessors_never_panic_on_short_buffers() {
        let m = Message::new_unchecked(&[1u8, 2, 3][..]);
        assert_eq!(m.length(), 0);
        assert_eq!(m.transaction_id(), [0; 12]);
        assert!(m.transaction_id_bytes().is_empty());
        assert_eq!(m.attributes().count(), 0);
    }
}
