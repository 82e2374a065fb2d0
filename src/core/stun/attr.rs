//! The attribute registry, typed attribute values and their encoding.
//!
//! One table ([`REGISTRY`]) names every attribute the project knows and says how its value is
//! laid out ([`AttrFormat`]); decoding and encoding both follow that layout, so a new attribute
//! is one table row.

use std::borrow::Cow;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use serde_json::{json, Value};

use super::hex;

macro_rules! attributes {
    ($($konst:ident = $num:literal, $name:literal, $format:ident;)*) => {
        $(
            #[doc = concat!("`", $name, "`")]
            pub const $konst: u16 = $num;
        )*
        /// Every known attribute: number, name, value layout. Sorted by number.
        pub static REGISTRY: &[AttrInfo] = &[
            $(AttrInfo { typ: $num, name: $name, format: AttrFormat::$format },)*
        ];
    };
}

attributes! {
    MAPPED_ADDRESS = 0x0001, "MAPPED-ADDRESS", Address;
    RESPONSE_ADDRESS = 0x0002, "RESPONSE-ADDRESS", Address;
    CHANGE_REQUEST = 0x0003, "CHANGE-REQUEST", ChangeRequest;
    SOURCE_ADDRESS = 0x0004, "SOURCE-ADDRESS", Address;
    CHANGED_ADDRESS = 0x0005, "CHANGED-ADDRESS", Address;
    USERNAME = 0x0006, "USERNAME", Text;
    PASSWORD = 0x0007, "PASSWORD", Bytes;
    MESSAGE_INTEGRITY = 0x0008, "MESSAGE-INTEGRITY", Hmac;
    ERROR_CODE = 0x0009, "ERROR-CODE", ErrorCode;
    UNKNOWN_ATTRIBUTES = 0x000a, "UNKNOWN-ATTRIBUTES", U16List;
    REFLECTED_FROM = 0x000b, "REFLECTED-FROM", Address;
    CHANNEL_NUMBER = 0x000c, "CHANNEL-NUMBER", ChannelNumber;
    LIFETIME = 0x000d, "LIFETIME", U32;
    MS_ALTERNATE_SERVER = 0x000e, "MS-ALTERNATE-SERVER", Address;
    MS_MAGIC_COOKIE = 0x000f, "MAGIC-COOKIE", U32;
    BANDWIDTH = 0x0010, "BANDWIDTH", U32;
    DESTINATION_ADDRESS = 0x0011, "DESTINATION-ADDRESS", Address;
    XOR_PEER_ADDRESS = 0x0012, "XOR-PEER-ADDRESS", XorAddress;
    DATA = 0x0013, "DATA", Bytes;
    REALM = 0x0014, "REALM", Text;
    NONCE = 0x0015, "NONCE", Text;
    XOR_RELAYED_ADDRESS = 0x0016, "XOR-RELAYED-ADDRESS", XorAddress;
    REQUESTED_ADDRESS_FAMILY = 0x0017, "REQUESTED-ADDRESS-FAMILY", AddressFamily;
    EVEN_PORT = 0x0018, "EVEN-PORT", EvenPort;
    REQUESTED_TRANSPORT = 0x0019, "REQUESTED-TRANSPORT", Protocol;
    DONT_FRAGMENT = 0x001a, "DONT-FRAGMENT", Flag;
    ACCESS_TOKEN = 0x001b, "ACCESS-TOKEN", Bytes;
    MESSAGE_INTEGRITY_SHA256 = 0x001c, "MESSAGE-INTEGRITY-SHA256", Hmac;
    PASSWORD_ALGORITHM = 0x001d, "PASSWORD-ALGORITHM", PasswordAlgorithm;
    USERHASH = 0x001e, "USERHASH", Bytes;
    XOR_MAPPED_ADDRESS = 0x0020, "XOR-MAPPED-ADDRESS", XorAddress;
    RESERVATION_TOKEN = 0x0022, "RESERVATION-TOKEN", Bytes;
    PRIORITY = 0x0024, "PRIORITY", U32;
    USE_CANDIDATE = 0x0025, "USE-CANDIDATE", Flag;
    PADDING = 0x0026, "PADDING", Bytes;
    RESPONSE_PORT = 0x0027, "RESPONSE-PORT", Port;
    CONNECTION_ID = 0x002a, "CONNECTION-ID", U32;
    LEGACY_ICMP = 0x0030, "LEGACY-ICMP", Icmp;
    ADDITIONAL_ADDRESS_FAMILY = 0x8000, "ADDITIONAL-ADDRESS-FAMILY", AddressFamily;
    ADDRESS_ERROR_CODE = 0x8001, "ADDRESS-ERROR-CODE", AddressErrorCode;
    PASSWORD_ALGORITHMS = 0x8002, "PASSWORD-ALGORITHMS", PasswordAlgorithms;
    ALTERNATE_DOMAIN = 0x8003, "ALTERNATE-DOMAIN", Text;
    ICMP = 0x8004, "ICMP", Icmp;
    MS_VERSION = 0x8008, "MS-VERSION", U32;
    XOR_MAPPED_ADDRESS_LEGACY = 0x8020, "XOR-MAPPED-ADDRESS (legacy 0x8020)", XorAddress;
    SOFTWARE = 0x8022, "SOFTWARE", Text;
    ALTERNATE_SERVER = 0x8023, "ALTERNATE-SERVER", Address;
    TRANSACTION_TRANSMIT_COUNTER = 0x8025, "TRANSACTION-TRANSMIT-COUNTER", TransmitCounter;
    CACHE_TIMEOUT = 0x8027, "CACHE-TIMEOUT", U32;
    FINGERPRINT = 0x8028, "FINGERPRINT", Fingerprint;
    ICE_CONTROLLED = 0x8029, "ICE-CONTROLLED", U64;
    ICE_CONTROLLING = 0x802a, "ICE-CONTROLLING", U64;
    RESPONSE_ORIGIN = 0x802b, "RESPONSE-ORIGIN", Address;
    OTHER_ADDRESS = 0x802c, "OTHER-ADDRESS", Address;
    ECN_CHECK = 0x802d, "ECN-CHECK", U32;
    THIRD_PARTY_AUTHORIZATION = 0x802e, "THIRD-PARTY-AUTHORIZATION", Text;
    MOBILITY_TICKET = 0x8030, "MOBILITY-TICKET", Bytes;
    MS_ALTERNATE_HOST_NAME = 0x8032, "MS-ALTERNATE-HOST-NAME", Text;
    MS_APP_ID = 0x8037, "MS-APP-ID", Bytes;
    MS_SECURE_TAG = 0x8039, "MS-SECURE-TAG", Bytes;
    MS_SEQUENCE_NUMBER = 0x8050, "MS-SEQUENCE-NUMBER", Bytes;
    MS_CANDIDATE_IDENTIFIER = 0x8054, "MS-CANDIDATE-IDENTIFIER", Text;
    MS_SERVICE_QUALITY = 0x8055, "MS-SERVICE-QUALITY", Bytes;
    MS_BANDWIDTH_ACM = 0x8056, "MS-BANDWIDTH-ADMISSION-CONTROL-MESSAGE", Bytes;
    MS_BANDWIDTH_RSV_ID = 0x8057, "MS-BANDWIDTH-RESERVATION-ID", Bytes;
    MS_BANDWIDTH_RSV_AMOUNT = 0x8058, "MS-BANDWIDTH-RESERVATION-AMOUNT", Bytes;
    MS_REMOTE_SITE_ADDRESS = 0x8059, "MS-REMOTE-SITE-ADDRESS", XorAddress;
    MS_REMOTE_RELAY_SITE = 0x805a, "MS-REMOTE-RELAY-SITE-ADDRESS", XorAddress;
    MS_LOCAL_SITE_ADDRESS = 0x805b, "MS-LOCAL-SITE-ADDRESS", XorAddress;
    MS_LOCAL_RELAY_SITE = 0x805c, "MS-LOCAL-RELAY-SITE-ADDRESS", XorAddress;
    MS_REMOTE_SITE_ADDRESS_RESPONSE = 0x805d, "MS-REMOTE-SITE-ADDRESS-RESPONSE", XorAddress;
    MS_REMOTE_RELAY_SITE_RESPONSE = 0x805e, "MS-REMOTE-RELAY-SITE-ADDRESS-RESPONSE", XorAddress;
    MS_LOCAL_SITE_ADDRESS_RESPONSE = 0x805f, "MS-LOCAL-SITE-ADDRESS-RESPONSE", XorAddress;
    MS_LOCAL_RELAY_SITE_RESPONSE = 0x8060, "MS-LOCAL-RELAY-SITE-ADDRESS-RESPONSE", XorAddress;
    MS_SIP_DIALOG_ID = 0x8061, "MS-SIP-DIALOG-ID", Bytes;
    MS_SIP_CALL_ID = 0x8062, "MS-SIP-CALL-ID", Bytes;
    MS_LOCATION_PROFILE = 0x8068, "MS-LOCATION-PROFILE", Bytes;
    MS_IMPLEMENTATION_VERSION = 0x8070, "MS-IMPLEMENTATION-VERSION", U32;
    MS_ALT_MAPPED_ADDRESS = 0x8090, "MS-ALT-MAPPED-ADDRESS", Address;
    MS_MULTIPLEXED_TURN_SESSION_ID = 0x8095, "MS-MULTIPLEXED-TURN-SESSION-ID", Bytes;
    CISCO_STUN_FLOWDATA = 0xc000, "CISCO-STUN-FLOWDATA", Bytes;
    ENF_FLOW_DESCRIPTION = 0xc001, "ENF-FLOW-DESCRIPTION", Bytes;
    ENF_NETWORK_STATUS = 0xc002, "ENF-NETWORK-STATUS", Bytes;
    GOOG_NETWORK_INFO = 0xc057, "GOOG-NETWORK-INFO", GoogNetworkInfo;
    GOOG_LAST_ICE_CHECK_RECEIVED = 0xc058, "GOOG-LAST-ICE-CHECK-RECEIVED", Bytes;
    GOOG_MISC_INFO = 0xc059, "GOOG-MISC-INFO", U16List;
    GOOG_OBSOLETE_1 = 0xc05a, "GOOG-OBSOLETE-1", Bytes;
    GOOG_CONNECTION_ID = 0xc05b, "GOOG-CONNECTION-ID", Bytes;
    GOOG_DELTA = 0xc05c, "GOOG-DELTA", Bytes;
    GOOG_DELTA_ACK = 0xc05d, "GOOG-DELTA-ACK", Bytes;
    GOOG_MESSAGE_INTEGRITY_32 = 0xc060, "GOOG-MESSAGE-INTEGRITY-32", Hmac;
    GOOG_MULTI_MAPPING = 0xff04, "GOOG-MULTI-MAPPING", Bytes;
    GOOG_LOGGING_ID = 0xff05, "GOOG-LOGGING-ID", Bytes;
}

/// How an attribute's value is laid out on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttrFormat {
    /// Family, port, address (MAPPED-ADDRESS and friends).
    Address,
    /// The same, XORed with the magic cookie and transaction id.
    XorAddress,
    /// UTF-8 text.
    Text,
    /// Opaque bytes.
    Bytes,
    /// An HMAC (MESSAGE-INTEGRITY, -SHA256).
    Hmac,
    /// CRC-32 xor "STUN".
    Fingerprint,
    /// Class, number and reason phrase.
    ErrorCode,
    /// A list of 16-bit values.
    U16List,
    /// A 32-bit number.
    U32,
    /// A 64-bit number (ICE tie-breakers).
    U64,
    /// No value.
    Flag,
    /// The change-IP and change-port flags of RFC 5780 / 3489.
    ChangeRequest,
    /// A TURN channel number and 16 reserved bits.
    ChannelNumber,
    /// An address family byte and 24 reserved bits.
    AddressFamily,
    /// The R bit of EVEN-PORT.
    EvenPort,
    /// An IP protocol number and 24 reserved bits.
    Protocol,
    /// A port and 16 reserved bits (RESPONSE-PORT).
    Port,
    /// ICMP type, code and error data.
    Icmp,
    /// Family, 8 reserved bits, class, number and reason (RFC 8656).
    AddressErrorCode,
    /// Algorithm number and parameters.
    PasswordAlgorithm,
    /// A list of algorithms with parameters.
    PasswordAlgorithms,
    /// Request and response transmit counts (RFC 7982).
    TransmitCounter,
    /// Network id and cost (Chromium).
    GoogNetworkInfo,
}

/// One registry row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttrInfo {
    /// Attribute type number.
    pub typ: u16,
    /// Registered name.
    pub name: &'static str,
    /// Value layout.
    pub format: AttrFormat,
}

/// The registry row of an attribute type, if known.
pub fn info(typ: u16) -> Option<&'static AttrInfo> {
    REGISTRY.binary_search_by_key(&typ, |i| i.typ).ok().map(|i| &REGISTRY[i])
}

/// The name of an attribute type, or `UNKNOWN-0xNNNN`.
pub fn name(typ: u16) -> Cow<'static, str> {
    match info(typ) {
        Some(i) => Cow::Borrowed(i.name),
        None => Cow::Owned(format!("UNKNOWN-0x{typ:04x}")),
    }
}

/// The reason phrase RFC 8489/8656/6062/8445 give an error code.
pub fn error_reason(code: u16) -> Option<&'static str> {
    Some(match code {
        300 => "Try Alternate",
        400 => "Bad Request",
        401 => "Unauthenticated",
        403 => "Forbidden",
        405 => "Mobility Forbidden",
        420 => "Unknown Attribute",
        430 => "Stale Credentials (RFC 3489)",
        431 => "Integrity Check Failure (RFC 3489)",
        432 => "Missing Username (RFC 3489)",
        433 => "Use TLS (RFC 3489)",
        437 => "Allocation Mismatch",
        438 => "Stale Nonce",
        440 => "Address Family not Supported",
        441 => "Wrong Credentials",
        442 => "Unsupported Transport Protocol",
        443 => "Peer Address Family Mismatch",
        446 => "Connection Already Exists",
        447 => "Connection Timeout or Failure",
        486 => "Allocation Quota Reached",
        487 => "Role Conflict",
        500 => "Server Error",
        508 => "Insufficient Capacity",
        600 => "Global Failure",
        _ => return None,
    })
}

/// An attribute as found in a message: type, value bytes (no padding), offset of its header
/// from the start of the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawAttribute<'a> {
    /// Attribute type.
    pub typ: u16,
    /// Value bytes, without padding.
    pub value: &'a [u8],
    /// Offset of the attribute header from the start of the message.
    pub offset: usize,
}

impl RawAttribute<'_> {
    /// The attribute's registered name.
    pub fn name(&self) -> Cow<'static, str> {
        name(self.typ)
    }
}

/// A damaged attribute: where, which, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttributeError {
    /// The attribute type, when the header could be read.
    pub typ: Option<u16>,
    /// Offset of the attribute header from the start of the message.
    pub offset: usize,
    /// What is wrong.
    pub reason: String,
    /// Whether the message structure is broken here (nothing after can be read).
    pub structural: bool,
}

impl AttributeError {
    pub(crate) fn structural(typ: Option<u16>, offset: usize, reason: String) -> Self {
        AttributeError { typ, offset, reason, structural: true }
    }

    fn value(raw: &RawAttribute<'_>, reason: impl Into<String>) -> Self {
        AttributeError { typ: Some(raw.typ), offset: raw.offset, reason: reason.into(), structural: false }
    }
}

impl fmt::Display for AttributeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.typ {
            Some(t) => write!(f, "{} at offset {}: {}", name(t), self.offset, self.reason),
            None => write!(f, "at offset {}: {}", self.offset, self.reason),
        }
    }
}

impl std::error::Error for AttributeError {}

/// A typed attribute value, borrowing from the message where it can.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttrValue<'a> {
    /// A plain transport address.
    Address(SocketAddr),
    /// An XOR-encoded transport address, decoded.
    XorAddress(SocketAddr),
    /// UTF-8 text.
    Text(&'a str),
    /// Opaque bytes.
    Bytes(&'a [u8]),
    /// An HMAC value.
    Hmac(&'a [u8]),
    /// A FINGERPRINT value.
    Fingerprint(u32),
    /// An error code (300..=699) and reason phrase.
    ErrorCode {
        /// Class * 100 + number.
        code: u16,
        /// The reason phrase as sent.
        reason: &'a str,
    },
    /// A list of 16-bit values (raw bytes, even length).
    U16List(&'a [u8]),
    /// A 32-bit number.
    U32(u32),
    /// A 64-bit number.
    U64(u64),
    /// A flag attribute (no value).
    Flag,
    /// CHANGE-REQUEST flags.
    ChangeRequest {
        /// Send from the other IP.
        change_ip: bool,
        /// Send from the other port.
        change_port: bool,
    },
    /// A TURN channel number.
    ChannelNumber(u16),
    /// An address family: 0x01 IPv4, 0x02 IPv6.
    AddressFamily(u8),
    /// EVEN-PORT's R bit.
    EvenPort {
        /// Reserve the next-higher port.
        reserve: bool,
    },
    /// An IP protocol number (17 UDP, 6 TCP).
    Protocol(u8),
    /// A port.
    Port(u16),
    /// An ICMP report.
    Icmp {
        /// ICMP type.
        icmp_type: u8,
        /// ICMP code.
        code: u8,
        /// Error data (e.g. the MTU for "fragmentation needed").
        data: u32,
    },
    /// ADDRESS-ERROR-CODE.
    AddressErrorCode {
        /// The family it concerns.
        family: u8,
        /// Class * 100 + number.
        code: u16,
        /// The reason phrase.
        reason: &'a str,
    },
    /// One password algorithm with its parameters.
    PasswordAlgorithm {
        /// 1 MD5, 2 SHA-256.
        algorithm: u16,
        /// Parameters (none defined yet).
        params: &'a [u8],
    },
    /// The raw list of PASSWORD-ALGORITHMS (walk it with [`password_algorithms`]).
    PasswordAlgorithms(&'a [u8]),
    /// RFC 7982 transmit counts.
    TransmitCounter {
        /// How many times the request was sent.
        request: u8,
        /// How many times the response was sent.
        response: u8,
    },
    /// Chromium's GOOG-NETWORK-INFO.
    GoogNetworkInfo {
        /// The network id.
        network_id: u16,
        /// The network cost (10 low ... 999 max).
        network_cost: u16,
    },
}

/// A typed attribute: its type number and decoded value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute<'a> {
    /// Attribute type.
    pub typ: u16,
    /// Decoded value.
    pub value: AttrValue<'a>,
}

fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn exact<'a>(raw: &RawAttribute<'a>, len: usize) -> Result<&'a [u8], AttributeError> {
    if raw.value.len() == len {
        Ok(raw.value)
    } else {
        Err(AttributeError::value(
            raw,
            format!("value is {}, expected {len}", crate::core::units::count(raw.value.len() as u64, "byte")),
        ))
    }
}

fn text<'a>(raw: &RawAttribute<'a>, bytes: &'a [u8]) -> Result<&'a str, AttributeError> {
    std::str::from_utf8(bytes).map_err(|e| {
        AttributeError::value(raw, format!("not valid UTF-8 (byte {} of the value)", e.valid_up_to()))
    })
}

fn decode_address(raw: &RawAttribute<'_>, xor_key: Option<&[u8; 16]>) -> Result<SocketAddr, AttributeError> {
    let v = raw.value;
    if v.len() < 4 {
        return Err(AttributeError::value(
            raw,
            format!(
                "value is {}, an address needs 8 or 20",
                crate::core::units::count(v.len() as u64, "byte")
            ),
        ));
    }
    let family = v[1];
    let mut port = be16(v, 2);
    let want = match family {
        0x01 => 8,
        0x02 => 20,
        f => return Err(AttributeError::value(raw, format!("unknown address family 0x{f:02x}"))),
    };
    if v.len() != want {
        return Err(AttributeError::value(
            raw,
            format!(
                "value is {}, an IPv{} address needs {want}",
                crate::core::units::count(v.len() as u64, "byte"),
                if family == 1 { 4 } else { 6 }
            ),
        ));
    }
    if let Some(key) = xor_key {
        port ^= be16(key, 0);
    }
    let ip = if family == 0x01 {
        let mut a = [v[4], v[5], v[6], v[7]];
        if let Some(key) = xor_key {
            for (b, k) in a.iter_mut().zip(key) {
                *b ^= k;
            }
        }
        IpAddr::V4(Ipv4Addr::from(a))
    } else {
        let mut a = [0u8; 16];
        a.copy_from_slice(&v[4..20]);
        if let Some(key) = xor_key {
            for (b, k) in a.iter_mut().zip(key) {
                *b ^= k;
            }
        }
        IpAddr::V6(Ipv6Addr::from(a))
    };
    Ok(SocketAddr::new(ip, port))
}

fn decode_error_code<'a>(raw: &RawAttribute<'a>, v: &'a [u8]) -> Result<(u16, &'a str), AttributeError> {
    if v.len() < 4 {
        return Err(AttributeError::value(
            raw,
            format!(
                "value is {}, an error code needs at least 4",
                crate::core::units::count(v.len() as u64, "byte")
            ),
        ));
    }
    let class = u16::from(v[2] & 0x07);
    let number = u16::from(v[3]);
    if !(3..=6).contains(&class) || number > 99 {
        return Err(AttributeError::value(
            raw,
            format!("class {class} / number {number} is not a valid error code (class 3-6, number 0-99)"),
        ));
    }
    Ok((class * 100 + number, text(raw, &v[4..])?))
}

impl<'a> Attribute<'a> {
    /// Decode a raw attribute by its registered layout. `xor_key` is the message's bytes 4..20
    /// ([`super::Message::xor_key`]). Unknown types decode as [`AttrValue::Bytes`].
    pub fn decode(raw: &RawAttribute<'a>, xor_key: [u8; 16]) -> Result<Self, AttributeError> {
        let v = raw.value;
        let format = info(raw.typ).map_or(AttrFormat::Bytes, |i| i.format);
        let value = match format {
            AttrFormat::Address => AttrValue::Address(decode_address(raw, None)?),
            AttrFormat::XorAddress => AttrValue::XorAddress(decode_address(raw, Some(&xor_key))?),
            AttrFormat::Text => AttrValue::Text(text(raw, v)?),
            AttrFormat::Bytes => AttrValue::Bytes(v),
            AttrFormat::Hmac => {
                let ok = match raw.typ {
                    MESSAGE_INTEGRITY => v.len() == 20,
                    MESSAGE_INTEGRITY_SHA256 => (16..=32).contains(&v.len()) && v.len().is_multiple_of(4),
                    _ => true,
                };
                if !ok {
                    return Err(AttributeError::value(
                        raw,
                        format!("an HMAC of {} bytes is not allowed here", v.len()),
                    ));
                }
                AttrValue::Hmac(v)
            }
            AttrFormat::Fingerprint => AttrValue::Fingerprint(be32(exact(raw, 4)?, 0)),
            AttrFormat::ErrorCode => {
                let (code, reason) = decode_error_code(raw, v)?;
                AttrValue::ErrorCode { code, reason }
            }
            AttrFormat::U16List => {
                if !v.len().is_multiple_of(2) {
                    return Err(AttributeError::value(
                        raw,
                        format!("odd length {} for a list of 16-bit values", v.len()),
                    ));
                }
                AttrValue::U16List(v)
            }
            AttrFormat::U32 => AttrValue::U32(be32(exact(raw, 4)?, 0)),
            AttrFormat::U64 => {
                let b = exact(raw, 8)?;
                AttrValue::U64(u64::from_be_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]))
            }
            AttrFormat::Flag => {
                exact(raw, 0)?;
                AttrValue::Flag
            }
            AttrFormat::ChangeRequest => {
                let flags = be32(exact(raw, 4)?, 0);
                AttrValue::ChangeRequest { change_ip: flags & 0x4 != 0, change_port: flags & 0x2 != 0 }
            }
            AttrFormat::ChannelNumber => AttrValue::ChannelNumber(be16(exact(raw, 4)?, 0)),
            AttrFormat::AddressFamily => AttrValue::AddressFamily(exact(raw, 4)?[0]),
            AttrFormat::EvenPort => AttrValue::EvenPort { reserve: exact(raw, 1)?[0] & 0x80 != 0 },
            AttrFormat::Protocol => AttrValue::Protocol(exact(raw, 4)?[0]),
            AttrFormat::Port => AttrValue::Port(be16(exact(raw, 4)?, 0)),
            AttrFormat::Icmp => {
                let b = exact(raw, 8)?;
                AttrValue::Icmp { icmp_type: b[2] & 0x7f, code: b[3], data: be32(b, 4) }
            }
            AttrFormat::AddressErrorCode => {
                let (code, reason) = decode_error_code(raw, v)?;
                AttrValue::AddressErrorCode { family: v[0], code, reason }
            }
            AttrFormat::PasswordAlgorithm => {
                if v.len() < 4 {
                    return Err(AttributeError::value(
                        raw,
                        format!(
                            "value is {}, at least 4 needed",
                            crate::core::units::count(v.len() as u64, "byte")
                        ),
                    ));
                }
                let plen = usize::from(be16(v, 2));
                let params = v.get(4..4 + plen).ok_or_else(|| {
                    AttributeError::value(raw, format!("parameter length {plen} runs past the value"))
                })?;
                AttrValue::PasswordAlgorithm { algorithm: be16(v, 0), params }
            }
            AttrFormat::PasswordAlgorithms => {
                for item in password_algorithms(v) {
                    item.map_err(|reason| AttributeError::value(raw, reason))?;
                }
                AttrValue::PasswordAlgorithms(v)
            }
            AttrFormat::TransmitCounter => {
                let b = exact(raw, 4)?;
                AttrValue::TransmitCounter { request: b[2], response: b[3] }
            }
            AttrFormat::GoogNetworkInfo => {
                let b = exact(raw, 4)?;
                AttrValue::GoogNetworkInfo { network_id: be16(b, 0), network_cost: be16(b, 2) }
            }
        };
        Ok(Attribute { typ: raw.typ, value })
    }

    /// Append the attribute's value (no header, no padding) to `out`. `xor_key` as for
    /// [`Attribute::decode`].
    pub fn encode_value(&self, xor_key: [u8; 16], out: &mut Vec<u8>) {
        match &self.value {
            AttrValue::Address(addr) => encode_address(*addr, None, out),
            AttrValue::XorAddress(addr) => encode_address(*addr, Some(&xor_key), out),
            AttrValue::Text(s) => out.extend_from_slice(s.as_bytes()),
            AttrValue::Bytes(b)
            | AttrValue::Hmac(b)
            | AttrValue::U16List(b)
            | AttrValue::PasswordAlgorithms(b) => out.extend_from_slice(b),
            AttrValue::Fingerprint(x) | AttrValue::U32(x) => out.extend_from_slice(&x.to_be_bytes()),
            AttrValue::ErrorCode { code, reason } => encode_error_code(0, *code, reason, out),
            AttrValue::U64(x) => out.extend_from_slice(&x.to_be_bytes()),
            AttrValue::Flag => {}
            AttrValue::ChangeRequest { change_ip, change_port } => {
                let flags = (u32::from(*change_ip) << 2) | (u32::from(*change_port) << 1);
                out.extend_from_slice(&flags.to_be_bytes());
            }
            AttrValue::ChannelNumber(n) | AttrValue::Port(n) => {
                out.extend_from_slice(&n.to_be_bytes());
                out.extend_from_slice(&[0, 0]);
            }
            AttrValue::AddressFamily(f) | AttrValue::Protocol(f) => out.extend_from_slice(&[*f, 0, 0, 0]),
            AttrValue::EvenPort { reserve } => out.push(if *reserve { 0x80 } else { 0 }),
            AttrValue::Icmp { icmp_type, code, data } => {
                out.extend_from_slice(&[0, 0, *icmp_type & 0x7f, *code]);
                out.extend_from_slice(&data.to_be_bytes());
            }
            AttrValue::AddressErrorCode { family, code, reason } => {
                encode_error_code(*family, *code, reason, out)
            }
            AttrValue::PasswordAlgorithm { algorithm, params } => {
                out.extend_from_slice(&algorithm.to_be_bytes());
                out.extend_from_slice(&(params.len() as u16).to_be_bytes());
                out.extend_from_slice(params);
            }
            AttrValue::TransmitCounter { request, response } => {
                out.extend_from_slice(&[0, 0, *request, *response])
            }
            AttrValue::GoogNetworkInfo { network_id, network_cost } => {
                out.extend_from_slice(&network_id.to_be_bytes());
                out.extend_from_slice(&network_cost.to_be_bytes());
            }
        }
    }
}

fn encode_address(addr: SocketAddr, xor_key: Option<&[u8; 16]>, out: &mut Vec<u8>) {
    let key = xor_key.copied().unwrap_or([0; 16]);
    let port = addr.port() ^ be16(&key, 0);
    match addr.ip() {
        IpAddr::V4(ip) => {
            out.extend_from_slice(&[0, 0x01]);
            out.extend_from_slice(&port.to_be_bytes());
            out.extend(ip.octets().iter().zip(&key).map(|(b, k)| b ^ k));
        }
        IpAddr::V6(ip) => {
            out.extend_from_slice(&[0, 0x02]);
            out.extend_from_slice(&port.to_be_bytes());
            out.extend(ip.octets().iter().zip(&key).map(|(b, k)| b ^ k));
        }
    }
}

fn encode_error_code(first: u8, code: u16, reason: &str, out: &mut Vec<u8>) {
    out.extend_from_slice(&[first, 0, (code / 100) as u8 & 0x07, (code % 100) as u8]);
    out.extend_from_slice(reason.as_bytes());
}

/// Walk a PASSWORD-ALGORITHMS value: `(algorithm, params)` items, each padded to 4 bytes.
pub fn password_algorithms(v: &[u8]) -> impl Iterator<Item = Result<(u16, &[u8]), String>> {
    let mut at = 0;
    std::iter::from_fn(move || {
        if at >= v.len() {
            return None;
        }
        if v.len() - at < 4 {
            at = v.len();
            return Some(Err(format!("{} stray bytes in the algorithm list", v.len() % 4)));
        }
        let alg = be16(v, at);
        let plen = usize::from(be16(v, at + 2));
        let start = at + 4;
        match v.get(start..start + plen) {
            Some(params) => {
                at = start + ((plen + 3) & !3);
                Some(Ok((alg, params)))
            }
            None => {
                at = v.len();
                Some(Err(format!("algorithm parameter length {plen} runs past the value")))
            }
        }
    })
}

fn algorithm_name(alg: u16) -> Cow<'static, str> {
    match alg {
        1 => "MD5".into(),
        2 => "SHA-256".into(),
        n => format!("algorithm {n}").into(),
    }
}

fn family_name(f: u8) -> Cow<'static, str> {
    match f {
        1 => "IPv4".into(),
        2 => "IPv6".into(),
        n => format!("family 0x{n:02x}").into(),
    }
}

fn protocol_name(p: u8) -> Cow<'static, str> {
    match p {
        17 => "UDP (17)".into(),
        6 => "TCP (6)".into(),
        n => format!("protocol {n}").into(),
    }
}

/// Chromium's names for network costs (rtc_base/network_constants.h).
fn network_cost_name(cost: u16) -> Option<&'static str> {
    Some(match cost {
        0 => "min",
        10 => "low (ethernet/wifi)",
        50 => "unknown",
        250 => "cellular 5G",
        500 => "cellular 4G",
        900 => "cellular",
        999 => "max",
        _ => return None,
    })
}

fn u16_list(v: &[u8]) -> impl Iterator<Item = u16> + '_ {
    v.chunks_exact(2).map(|c| u16::from_be_bytes([c[0], c[1]]))
}

impl AttrValue<'_> {
    /// The value as JSON (addresses as `ip:port` text, 64-bit numbers and bytes as hex text so
    /// that JavaScript readers lose nothing).
    pub fn to_json(&self) -> Value {
        match self {
            AttrValue::Address(a) | AttrValue::XorAddress(a) => json!(a.to_string()),
            AttrValue::Text(s) => json!(s),
            AttrValue::Bytes(b) | AttrValue::Hmac(b) => json!(hex(b)),
            AttrValue::Fingerprint(x) => json!(format!("0x{x:08x}")),
            AttrValue::ErrorCode { code, reason } => json!({"code": code, "reason": reason}),
            AttrValue::U16List(v) => json!(u16_list(v).collect::<Vec<_>>()),
            AttrValue::U32(x) => json!(x),
            AttrValue::U64(x) => json!(format!("0x{x:016x}")),
            AttrValue::Flag => json!(true),
            AttrValue::ChangeRequest { change_ip, change_port } => {
                json!({"change_ip": change_ip, "change_port": change_port})
            }
            AttrValue::ChannelNumber(n) => json!(format!("0x{n:04x}")),
            AttrValue::AddressFamily(f) => json!(family_name(*f)),
            AttrValue::EvenPort { reserve } => json!({"reserve": reserve}),
            AttrValue::Protocol(p) => json!(p),
            AttrValue::Port(p) => json!(p),
            AttrValue::Icmp { icmp_type, code, data } => {
                json!({"type": icmp_type, "code": code, "data": data})
            }
            AttrValue::AddressErrorCode { family, code, reason } => {
                json!({"family": family_name(*family), "code": code, "reason": reason})
            }
            AttrValue::PasswordAlgorithm { algorithm, params } => {
                json!({"algorithm": algorithm_name(*algorithm), "params": hex(params)})
            }
            AttrValue::PasswordAlgorithms(v) => json!(password_algorithms(v)
                .filter_map(Result::ok)
                .map(|(a, p)| json!({"algorithm": algorithm_name(a), "params": hex(p)}))
                .collect::<Vec<_>>()),
            AttrValue::TransmitCounter { request, response } => {
                json!({"request": request, "response": response})
            }
            AttrValue::GoogNetworkInfo { network_id, network_cost } => {
                json!({"network_id": network_id, "network_cost": network_cost})
            }
        }
    }
}

/// Human form of a value, as in a protocol analyser's detail pane.
impl fmt::Display for AttrValue<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AttrValue::Address(a) | AttrValue::XorAddress(a) => write!(f, "{a}"),
            AttrValue::Text(s) => write!(f, "{s:?}"),
            AttrValue::Bytes([]) => f.write_str("(empty)"),
            AttrValue::Bytes(b) => {
                write!(f, "{} bytes: ", b.len())?;
                if b.len() > 48 {
                    write!(f, "{}…", hex(&b[..48]))
                } else {
                    f.write_str(&hex(b))
                }
            }
            AttrValue::Hmac(b) => f.write_str(&hex(b)),
            AttrValue::Fingerprint(x) => write!(f, "0x{x:08x}"),
            AttrValue::ErrorCode { code, reason } => {
                write!(f, "{code} {reason:?}")?;
                match error_reason(*code) {
                    Some(std) if !std.eq_ignore_ascii_case(reason) => write!(f, " ({std})"),
                    _ => Ok(()),
                }
            }
            AttrValue::U16List(v) => {
                let items: Vec<String> = u16_list(v).map(|t| format!("0x{t:04x} {}", name(t))).collect();
                f.write_str(&items.join(", "))
            }
            AttrValue::U32(x) => write!(f, "{x}"),
            AttrValue::U64(x) => write!(f, "0x{x:016x}"),
            AttrValue::Flag => f.write_str("(set)"),
            AttrValue::ChangeRequest { change_ip, change_port } => {
                write!(f, "change IP: {}, change port: {}", yes(*change_ip), yes(*change_port))
            }
            AttrValue::ChannelNumber(n) => write!(f, "0x{n:04x}"),
            AttrValue::AddressFamily(fam) => f.write_str(&family_name(*fam)),
            AttrValue::EvenPort { reserve } => write!(f, "reserve next port: {}", yes(*reserve)),
            AttrValue::Protocol(p) => f.write_str(&protocol_name(*p)),
            AttrValue::Port(p) => write!(f, "{p}"),
            AttrValue::Icmp { icmp_type, code, data } => {
                write!(f, "type {icmp_type}, code {code}, data {data}")
            }
            AttrValue::AddressErrorCode { family, code, reason } => {
                write!(f, "{}: {code} {reason:?}", family_name(*family))
            }
            AttrValue::PasswordAlgorithm { algorithm, params } => {
                write!(f, "{}", algorithm_name(*algorithm))?;
                if !params.is_empty() {
                    write!(f, " (params {})", hex(params))?;
                }
                Ok(())
            }
            AttrValue::PasswordAlgorithms(v) => {
                let items: Vec<String> = password_algorithms(v)
                    .filter_map(Result::ok)
                    .map(|(a, _)| algorithm_name(a).into_owned())
                    .collect();
                f.write_str(&items.join(", "))
            }
            AttrValue::TransmitCounter { request, response } => {
                write!(f, "request sent {request}×, response sent {response}×")
            }
            AttrValue::GoogNetworkInfo { network_id, network_cost } => {
                write!(f, "network id {network_id}, cost {network_cost}")?;
                if let Some(n) = network_cost_name(*network_cost) {
                    write!(f, " ({n})")?;
                }
                Ok(())
            }
        }
    }
}

fn yes(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_is_sorted_and_unique() {
        assert!(REGISTRY.windows(2).all(|w| w[0].typ < w[1].typ));
        assert_eq!(info(XOR_MAPPED_ADDRESS).map(|i| i.name), Some("XOR-MAPPED-ADDRESS"));
        assert_eq!(name(0x7777), "UNKNOWN-0x7777");
    }

    fn raw(typ: u16, value: &[u8]) -> RawAttribute<'_> {
        RawAttribute { typ, value, offset: 20 }
    }

    #[test]
    fn damaged_values_report_offset() {
        let e = Attribute::decode(&raw(XOR_MAPPED_ADDRESS, &[0, 3, 0, 0, 1, 2, 3, 4]), [0; 16]).unwrap_err();
        assert!(e.to_string().contains("offset 20"), "{e}");
        assert!(e.reason.contains("family 0x03"));
        let e = Attribute::decode(&raw(ERROR_CODE, &[0, 0, 2, 0]), [0; 16]).unwrap_err();
        assert!(e.reason.contains("not a valid error code"));
        let e = Attribute::decode(&raw(USERNAME, &[0xff, 0xfe]), [0; 16]).unwrap_err();
        assert!(e.reason.contains("UTF-8"));
        assert!(Attribute::decode(&raw(LIFETIME, &[0, 0, 1]), [0; 16]).is_err());
    }

    #[test]
    fn goog_network_info() {
        let a = Attribute::decode(&raw(GOOG_NETWORK_INFO, &[0, 1, 0, 10]), [0; 16]).unwrap();
        assert_eq!(a.value, AttrValue::GoogNetworkInfo { network_id: 1, network_cost: 10 });
        assert_eq!(a.value.to_string(), "network id 1, cost 10 (low (ethernet/wifi))");
    }

    #[test]
    fn password_algorithms_walk() {
        let v = [0, 2, 0, 0, 0, 1, 0, 0];
        let algs: Vec<_> = password_algorithms(&v).collect();
        assert_eq!(algs, vec![Ok((2, &[][..])), Ok((1, &[][..]))]);
        let bad = [0, 2, 0, 9];
        assert!(password_algorithms(&bad).any(|r| r.is_err()));
    }
}
