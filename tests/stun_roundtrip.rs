//! Property tests of the STUN codec: typed attributes of every layout survive
//! `MessageBuilder` → `Message` → `Attribute::decode`, FINGERPRINT catches every single-bit
//! flip, and no input whatsoever makes the decoder or its report panic.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use rtctool::core::stun::attr::{self, AttrInfo, REGISTRY};
use rtctool::core::stun::{
    AttrFormat, AttrValue, Attribute, ChannelData, Check, Class, Credentials, DecodeReport, Frame,
    IntegrityKey, Message, MessageBuilder, Method, Severity, HEADER_LEN, MAGIC_COOKIE,
};

// ---------------------------------------------------------------------------------------------
// Typed attributes
// ---------------------------------------------------------------------------------------------

/// An owned [`AttrValue`]: the strategy needs values that outlive it, `AttrValue` borrows.
#[derive(Debug, Clone)]
enum Owned {
    Address(SocketAddr),
    XorAddress(SocketAddr),
    Text(String),
    Bytes(Vec<u8>),
    Hmac(Vec<u8>),
    Fingerprint(u32),
    ErrorCode { code: u16, reason: String },
    U16List(Vec<u8>),
    U32(u32),
    U64(u64),
    Flag,
    ChangeRequest { change_ip: bool, change_port: bool },
    ChannelNumber(u16),
    AddressFamily(u8),
    EvenPort { reserve: bool },
    Protocol(u8),
    Port(u16),
    Icmp { icmp_type: u8, code: u8, data: u32 },
    AddressErrorCode { family: u8, code: u16, reason: String },
    PasswordAlgorithm { algorithm: u16, params: Vec<u8> },
    PasswordAlgorithms(Vec<u8>),
    TransmitCounter { request: u8, response: u8 },
    GoogNetworkInfo { network_id: u16, network_cost: u16 },
}

impl Owned {
    fn as_value(&self) -> AttrValue<'_> {
        match self {
            Owned::Address(a) => AttrValue::Address(*a),
            Owned::XorAddress(a) => AttrValue::XorAddress(*a),
            Owned::Text(s) => AttrValue::Text(s),
            Owned::Bytes(b) => AttrValue::Bytes(b),
            Owned::Hmac(b) => AttrValue::Hmac(b),
            Owned::Fingerprint(x) => AttrValue::Fingerprint(*x),
            Owned::ErrorCode { code, reason } => AttrValue::ErrorCode { code: *code, reason },
            Owned::U16List(b) => AttrValue::U16List(b),
            Owned::U32(x) => AttrValue::U32(*x),
            Owned::U64(x) => AttrValue::U64(*x),
            Owned::Flag => AttrValue::Flag,
            Owned::ChangeRequest { change_ip, change_port } => {
                AttrValue::ChangeRequest { change_ip: *change_ip, change_port: *change_port }
            }
            Owned::ChannelNumber(n) => AttrValue::ChannelNumber(*n),
            Owned::AddressFamily(f) => AttrValue::AddressFamily(*f),
            Owned::EvenPort { reserve } => AttrValue::EvenPort { reserve: *reserve },
            Owned::Protocol(p) => AttrValue::Protocol(*p),
            Owned::Port(p) => AttrValue::Port(*p),
            Owned::Icmp { icmp_type, code, data } => {
                AttrValue::Icmp { icmp_type: *icmp_type, code: *code, data: *data }
            }
            Owned::AddressErrorCode { family, code, reason } => {
                AttrValue::AddressErrorCode { family: *family, code: *code, reason }
            }
            Owned::PasswordAlgorithm { algorithm, params } => {
                AttrValue::PasswordAlgorithm { algorithm: *algorithm, params }
            }
            Owned::PasswordAlgorithms(b) => AttrValue::PasswordAlgorithms(b),
            Owned::TransmitCounter { request, response } => {
                AttrValue::TransmitCounter { request: *request, response: *response }
            }
            Owned::GoogNetworkInfo { network_id, network_cost } => {
                AttrValue::GoogNetworkInfo { network_id: *network_id, network_cost: *network_cost }
            }
        }
    }
}

/// The registry layout each value variant belongs to. Exhaustive on purpose: a new `AttrValue`
/// variant does not compile here until this file generates it.
fn format_of(value: &AttrValue<'_>) -> AttrFormat {
    match value {
        AttrValue::Address(_) => AttrFormat::Address,
        AttrValue::XorAddress(_) => AttrFormat::XorAddress,
        AttrValue::Text(_) => AttrFormat::Text,
        AttrValue::Bytes(_) => AttrFormat::Bytes,
        AttrValue::Hmac(_) => AttrFormat::Hmac,
        AttrValue::Fingerprint(_) => AttrFormat::Fingerprint,
        AttrValue::ErrorCode { .. } => AttrFormat::ErrorCode,
        AttrValue::U16List(_) => AttrFormat::U16List,
        AttrValue::U32(_) => AttrFormat::U32,
        AttrValue::U64(_) => AttrFormat::U64,
        AttrValue::Flag => AttrFormat::Flag,
        AttrValue::ChangeRequest { .. } => AttrFormat::ChangeRequest,
        AttrValue::ChannelNumber(_) => AttrFormat::ChannelNumber,
        AttrValue::AddressFamily(_) => AttrFormat::AddressFamily,
        AttrValue::EvenPort { .. } => AttrFormat::EvenPort,
        AttrValue::Protocol(_) => AttrFormat::Protocol,
        AttrValue::Port(_) => AttrFormat::Port,
        AttrValue::Icmp { .. } => AttrFormat::Icmp,
        AttrValue::AddressErrorCode { .. } => AttrFormat::AddressErrorCode,
        AttrValue::PasswordAlgorithm { .. } => AttrFormat::PasswordAlgorithm,
        AttrValue::PasswordAlgorithms(_) => AttrFormat::PasswordAlgorithms,
        AttrValue::TransmitCounter { .. } => AttrFormat::TransmitCounter,
        AttrValue::GoogNetworkInfo { .. } => AttrFormat::GoogNetworkInfo,
    }
}

/// A generated attribute: a registered type and a value of that type's layout.
#[derive(Debug, Clone)]
struct GenAttr {
    typ: u16,
    value: Owned,
}

impl GenAttr {
    fn attribute(&self) -> Attribute<'_> {
        Attribute { typ: self.typ, value: self.value.as_value() }
    }
}

/// Arbitrary UTF-8 (any scalar value, control characters and astral planes included), cut to
/// at most `max_bytes` on a character boundary.
fn utf8(max_bytes: usize) -> impl Strategy<Value = String> {
    vec(any::<char>(), 0..=max_bytes).prop_map(move |chars| {
        let mut s = String::new();
        for c in chars {
            if s.len() + c.len_utf8() > max_bytes {
                break;
            }
            s.push(c);
        }
        s
    })
}

fn socket_addr() -> impl Strategy<Value = SocketAddr> {
    prop_oneof![
        (any::<[u8; 4]>(), any::<u16>())
            .prop_map(|(ip, port)| SocketAddr::new(Ipv4Addr::from(ip).into(), port)),
        (any::<[u8; 16]>(), any::<u16>())
            .prop_map(|(ip, port)| SocketAddr::new(Ipv6Addr::from(ip).into(), port)),
    ]
}

/// An error code in 300..=699 with either its registered reason phrase or any text.
fn error_code() -> impl Strategy<Value = (u16, String)> {
    (300u16..=699).prop_flat_map(|code| {
        let registered = attr::error_reason(code).unwrap_or("").to_string();
        (Just(code), prop_oneof![Just(registered), utf8(100)])
    })
}

/// A well-formed PASSWORD-ALGORITHMS list: items padded to 4 bytes, as RFC 8489 §14.11 says.
fn password_algorithm_list() -> impl Strategy<Value = Vec<u8>> {
    vec((any::<u16>(), vec(any::<u8>(), 0..12)), 0..4).prop_map(|items| {
        let mut out = Vec::new();
        for (alg, params) in items {
            out.extend_from_slice(&alg.to_be_bytes());
            out.extend_from_slice(&(params.len() as u16).to_be_bytes());
            out.extend_from_slice(&params);
            out.resize(out.len().next_multiple_of(4), 0);
        }
        out
    })
}

/// A value of the layout `format` valid for attribute type `typ`.
fn value_for(format: AttrFormat, typ: u16) -> BoxedStrategy<Owned> {
    match format {
        AttrFormat::Address => socket_addr().prop_map(Owned::Address).boxed(),
        AttrFormat::XorAddress => socket_addr().prop_map(Owned::XorAddress).boxed(),
        AttrFormat::Text => utf8(100).prop_map(Owned::Text).boxed(),
        AttrFormat::Bytes => vec(any::<u8>(), 0..64).prop_map(Owned::Bytes).boxed(),
        AttrFormat::Hmac => match typ {
            attr::MESSAGE_INTEGRITY => vec(any::<u8>(), 20).prop_map(Owned::Hmac).boxed(),
            attr::MESSAGE_INTEGRITY_SHA256 => {
                (4usize..=8).prop_flat_map(|words| vec(any::<u8>(), words * 4)).prop_map(Owned::Hmac).boxed()
            }
            _ => vec(any::<u8>(), 0..=32).prop_map(Owned::Hmac).boxed(),
        },
        AttrFormat::Fingerprint => any::<u32>().prop_map(Owned::Fingerprint).boxed(),
        AttrFormat::ErrorCode => {
            error_code().prop_map(|(code, reason)| Owned::ErrorCode { code, reason }).boxed()
        }
        AttrFormat::U16List => vec(any::<u16>(), 0..16)
            .prop_map(|v| Owned::U16List(v.iter().flat_map(|x| x.to_be_bytes()).collect()))
            .boxed(),
        AttrFormat::U32 => any::<u32>().prop_map(Owned::U32).boxed(),
        AttrFormat::U64 => any::<u64>().prop_map(Owned::U64).boxed(),
        AttrFormat::Flag => Just(Owned::Flag).boxed(),
        AttrFormat::ChangeRequest => (any::<bool>(), any::<bool>())
            .prop_map(|(change_ip, change_port)| Owned::ChangeRequest { change_ip, change_port })
            .boxed(),
        AttrFormat::ChannelNumber => any::<u16>().prop_map(Owned::ChannelNumber).boxed(),
        AttrFormat::AddressFamily => any::<u8>().prop_map(Owned::AddressFamily).boxed(),
        AttrFormat::EvenPort => any::<bool>().prop_map(|reserve| Owned::EvenPort { reserve }).boxed(),
        AttrFormat::Protocol => any::<u8>().prop_map(Owned::Protocol).boxed(),
        AttrFormat::Port => any::<u16>().prop_map(Owned::Port).boxed(),
        AttrFormat::Icmp => (0u8..=0x7f, any::<u8>(), any::<u32>())
            .prop_map(|(icmp_type, code, data)| Owned::Icmp { icmp_type, code, data })
            .boxed(),
        AttrFormat::AddressErrorCode => (prop_oneof![Just(1u8), Just(2u8), any::<u8>()], error_code())
            .prop_map(|(family, (code, reason))| Owned::AddressErrorCode { family, code, reason })
            .boxed(),
        AttrFormat::PasswordAlgorithm => (any::<u16>(), vec(any::<u8>(), 0..16))
            .prop_map(|(algorithm, params)| Owned::PasswordAlgorithm { algorithm, params })
            .boxed(),
        AttrFormat::PasswordAlgorithms => {
            password_algorithm_list().prop_map(Owned::PasswordAlgorithms).boxed()
        }
        AttrFormat::TransmitCounter => (any::<u8>(), any::<u8>())
            .prop_map(|(request, response)| Owned::TransmitCounter { request, response })
            .boxed(),
        AttrFormat::GoogNetworkInfo => (any::<u16>(), any::<u16>())
            .prop_map(|(network_id, network_cost)| Owned::GoogNetworkInfo { network_id, network_cost })
            .boxed(),
    }
}

/// Attributes of registered types that `keep` admits. The layout is chosen first and the type
/// among the registry rows of that layout second, so a layout with one row (FINGERPRINT,
/// PASSWORD-ALGORITHMS...) is drawn as often as one with thirty.
fn attribute(keep: fn(&AttrInfo) -> bool) -> impl Strategy<Value = GenAttr> {
    let mut formats: Vec<AttrFormat> = Vec::new();
    for row in REGISTRY.iter().filter(|r| keep(r)) {
        if !formats.contains(&row.format) {
            formats.push(row.format);
        }
    }
    select(formats)
        .prop_flat_map(move |format| {
            let types: Vec<u16> =
                REGISTRY.iter().filter(|r| keep(r) && r.format == format).map(|r| r.typ).collect();
            (Just(format), select(types))
        })
        .prop_flat_map(|(format, typ)| value_for(format, typ).prop_map(move |value| GenAttr { typ, value }))
}

fn any_registered(_: &AttrInfo) -> bool {
    true
}

/// Everything but what the builder appends itself (and what must end a message).
fn body_attribute(row: &AttrInfo) -> bool {
    !matches!(row.typ, attr::MESSAGE_INTEGRITY | attr::MESSAGE_INTEGRITY_SHA256 | attr::FINGERPRINT)
}

// ---------------------------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct MessageSpec {
    class: Class,
    method: Method,
    txid: [u8; 12],
    attrs: Vec<GenAttr>,
    password: String,
    integrity: bool,
    integrity_sha256: bool,
    fingerprint: bool,
}

impl MessageSpec {
    fn key(&self) -> IntegrityKey {
        IntegrityKey::short_term(&self.password)
    }

    fn build(&self) -> Vec<u8> {
        let mut b = MessageBuilder::new(self.class, self.method, self.txid);
        for a in &self.attrs {
            b.add(&a.attribute());
        }
        let key = self.key();
        if self.integrity {
            b.message_integrity(&key);
        }
        if self.integrity_sha256 {
            b.message_integrity_sha256(&key);
        }
        if self.fingerprint {
            b.fingerprint();
        }
        b.finish()
    }

    /// The attribute types the builder appended, in order.
    fn trailer(&self) -> Vec<u16> {
        let mut t = Vec::new();
        if self.integrity {
            t.push(attr::MESSAGE_INTEGRITY);
        }
        if self.integrity_sha256 {
            t.push(attr::MESSAGE_INTEGRITY_SHA256);
        }
        if self.fingerprint {
            t.push(attr::FINGERPRINT);
        }
        t
    }
}

fn class() -> impl Strategy<Value = Class> {
    select(vec![Class::Request, Class::Indication, Class::SuccessResponse, Class::ErrorResponse])
}

fn message(fingerprint: impl Strategy<Value = bool>) -> impl Strategy<Value = MessageSpec> {
    (
        class(),
        0u16..0x1000,
        any::<[u8; 12]>(),
        vec(attribute(body_attribute), 0..8),
        utf8(40),
        any::<bool>(),
        any::<bool>(),
        fingerprint,
    )
        .prop_map(|(class, method, txid, attrs, password, integrity, integrity_sha256, fingerprint)| {
            MessageSpec {
                class,
                method: Method(method),
                txid,
                attrs,
                password,
                integrity,
                integrity_sha256,
                fingerprint,
            }
        })
}

/// A key that differs from `key` as an HMAC key. (Two passwords can share a key: SASLprep maps
/// some strings together, and HMAC pads short keys with zeros. Flipping a byte cannot collide.)
fn other_key(key: &IntegrityKey) -> IntegrityKey {
    let mut bytes = key.as_bytes().to_vec();
    match bytes.first_mut() {
        Some(b) => *b ^= 0x01,
        None => bytes.push(b'x'),
    }
    IntegrityKey::from_bytes(&bytes)
}

fn error_problems(report: &DecodeReport) -> Vec<String> {
    report.problems.iter().filter(|p| p.severity == Severity::Error).map(|p| p.message.clone()).collect()
}

// ---------------------------------------------------------------------------------------------
// Everything a decoder front end does with bytes; must never panic.
// ---------------------------------------------------------------------------------------------

fn exercise(bytes: &[u8]) {
    let short_term = Credentials { username: None, realm: None, password: "pass".into() };
    let long_term =
        Credentials { username: Some("user".into()), realm: Some("realm".into()), password: "pass".into() };
    if let Ok(frame) = Frame::parse(bytes) {
        for creds in [None, Some(&short_term), Some(&long_term)] {
            if let Ok(report) = DecodeReport::decode(frame, creds) {
                let _ = report.has_errors();
                let _ = rtctool::core::output::decode_tree(&report).to_string();
                let json = serde_json::to_string(&report).expect("a report always serialises");
                assert!(json.starts_with('{'));
            }
        }
    }
    let msg = Message::new_unchecked(bytes);
    for raw in msg.attributes().flatten() {
        let _ = raw.name();
        if let Ok(a) = Attribute::decode(&raw, msg.xor_key()) {
            let _ = a.value.to_json();
            let _ = a.value.to_string();
        }
    }
    let _ = msg.check_fingerprint();
    let _ = msg.expected_fingerprint();
    let _ = msg.check_integrity(&IntegrityKey::short_term("pass"));
    let _ = msg.transaction_id_bytes();
    if let Ok(cd) = ChannelData::new_checked(bytes) {
        let _ = (cd.channel(), cd.data(), cd.trailing(), cd.padded_len(), cd.in_rfc8656_range());
    }
}

/// A header for `body`: any message type with the top bits clear, the magic cookie (or not),
/// and the body's length, so that the header checks pass whenever the body is 4-aligned.
fn with_header(message_type: u16, cookie: bool, txid: [u8; 12], body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + body.len());
    out.extend_from_slice(&(message_type & 0x3fff).to_be_bytes());
    out.extend_from_slice(&(body.len() as u16).to_be_bytes());
    out.extend_from_slice(&if cookie { MAGIC_COOKIE.to_be_bytes() } else { [txid[11]; 4] });
    out.extend_from_slice(&txid);
    out.extend_from_slice(body);
    out
}

/// Attribute-shaped noise: registered (or random) types with lengths that mostly tell the
/// truth, so the walk gets past the first attribute and reaches the value decoders.
fn noisy_attributes() -> impl Strategy<Value = Vec<u8>> {
    let typ = prop_oneof![4 => select(REGISTRY.iter().map(|r| r.typ).collect::<Vec<_>>()), 1 => any::<u16>()];
    let one = (typ, vec(any::<u8>(), 0..40), prop_oneof![8 => Just(None), 1 => any::<u16>().prop_map(Some)]);
    vec(one, 0..10).prop_map(|items| {
        let mut out = Vec::new();
        for (typ, value, lie) in items {
            out.extend_from_slice(&typ.to_be_bytes());
            out.extend_from_slice(&lie.unwrap_or(value.len() as u16).to_be_bytes());
            out.extend_from_slice(&value);
            out.resize(out.len().next_multiple_of(4), 0);
        }
        out
    })
}

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

#[test]
fn generators_cover_every_layout() {
    // Every layout the decoder knows is in the registry, so `attribute` draws all of them.
    let all = [
        AttrFormat::Address,
        AttrFormat::XorAddress,
        AttrFormat::Text,
        AttrFormat::Bytes,
        AttrFormat::Hmac,
        AttrFormat::Fingerprint,
        AttrFormat::ErrorCode,
        AttrFormat::U16List,
        AttrFormat::U32,
        AttrFormat::U64,
        AttrFormat::Flag,
        AttrFormat::ChangeRequest,
        AttrFormat::ChannelNumber,
        AttrFormat::AddressFamily,
        AttrFormat::EvenPort,
        AttrFormat::Protocol,
        AttrFormat::Port,
        AttrFormat::Icmp,
        AttrFormat::AddressErrorCode,
        AttrFormat::PasswordAlgorithm,
        AttrFormat::PasswordAlgorithms,
        AttrFormat::TransmitCounter,
        AttrFormat::GoogNetworkInfo,
    ];
    for format in all {
        assert!(REGISTRY.iter().any(|r| r.format == format), "{format:?} has no registry row");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// One attribute of any registered type, alone in a message, decodes to what was encoded.
    #[test]
    fn attribute_round_trips(a in attribute(any_registered), txid in any::<[u8; 12]>()) {
        let expected = a.attribute();
        let format = attr::info(a.typ).map(|i| i.format);
        prop_assert_eq!(format, Some(format_of(&expected.value)));

        let mut b = MessageBuilder::new(Class::Indication, Method::BINDING, txid);
        b.add(&expected);
        let bytes = b.finish();
        let msg = Message::new_checked(&bytes[..]).unwrap();
        let raws: Vec<_> = msg.attributes().collect::<Result<_, _>>().unwrap();
        prop_assert_eq!(raws.len(), 1);
        let mut value = Vec::new();
        expected.encode_value(msg.xor_key(), &mut value);
        prop_assert_eq!(raws[0].value, &value[..]);
        let decoded = Attribute::decode(&raws[0], msg.xor_key()).unwrap();
        prop_assert_eq!(&decoded, &expected);
        let _ = (decoded.value.to_json(), decoded.value.to_string());
    }

    /// A built message checks, round-trips every field, verifies, and reports no problem.
    #[test]
    fn message_round_trips(spec in message(any::<bool>())) {
        let bytes = spec.build();
        prop_assert_eq!(bytes.len() % 4, 0);
        let msg = Message::new_checked(&bytes[..]).unwrap();
        prop_assert_eq!(usize::from(msg.length()), bytes.len() - HEADER_LEN);
        prop_assert_eq!(msg.class(), spec.class);
        prop_assert_eq!(msg.method(), spec.method);
        prop_assert_eq!(msg.transaction_id(), spec.txid);
        prop_assert!(!msg.is_classic());

        let raws: Vec<_> = msg.attributes().collect::<Result<_, _>>().unwrap();
        let trailer = spec.trailer();
        prop_assert_eq!(raws.len(), spec.attrs.len() + trailer.len());
        for (raw, want) in raws.iter().zip(&spec.attrs) {
            prop_assert_eq!(raw.offset % 4, 0);
            let got = Attribute::decode(raw, msg.xor_key()).unwrap();
            prop_assert_eq!(got, want.attribute());
        }
        let tail: Vec<u16> = raws[spec.attrs.len()..].iter().map(|r| r.typ).collect();
        prop_assert_eq!(tail, trailer);

        let has_integrity = spec.integrity || spec.integrity_sha256;
        let fp = if spec.fingerprint { Check::Ok } else { Check::Absent };
        prop_assert_eq!(msg.check_fingerprint(), fp);
        let key = spec.key();
        prop_assert_eq!(msg.check_integrity(&key), if has_integrity { Check::Ok } else { Check::Absent });
        prop_assert_eq!(
            msg.check_integrity(&other_key(&key)),
            if has_integrity { Check::Bad } else { Check::Absent }
        );

        // `stun decode` takes a frame by its first byte (RFC 7983): 0x00-0x03 is STUN, which is
        // exactly the methods RFC 8489 §18.2 allows (0x000-0x0FF). The 12-bit field holds more;
        // those messages are decoded (as the pcap dissector does) but not recognised as frames.
        let creds = Credentials { username: None, realm: None, password: spec.password.clone() };
        let report = DecodeReport::stun(&bytes, Some(&creds)).unwrap();
        match Frame::parse(&bytes) {
            Ok(frame) => {
                prop_assert!(spec.method.0 <= 0x0ff);
                prop_assert_eq!(&DecodeReport::decode(frame, Some(&creds)).unwrap(), &report);
            }
            Err(e) => prop_assert!(spec.method.0 > 0x0ff, "{}", e),
        }
        prop_assert_eq!(report.kind, "stun");
        prop_assert_eq!(report.message_type, Some(msg.message_type()));
        prop_assert_eq!(report.fingerprint, fp);
        prop_assert_eq!(report.integrity, if has_integrity { Check::Ok } else { Check::Absent });
        // Only this message's own problems: a DATA attribute's arbitrary payload that happens
        // to start like STUN is decoded as an inner message, and may well be damaged.
        prop_assert!(report.problems.is_empty(), "{:?}", report.problems);
        prop_assert!(error_problems(&report).is_empty());
        prop_assert_eq!(report.attributes.len(), raws.len());
        for (record, want) in report.attributes.iter().zip(&spec.attrs) {
            prop_assert_eq!(record.typ, want.typ);
            prop_assert_eq!(&record.value, &want.value.as_value().to_json());
            prop_assert_eq!(&record.error, &None);
        }
        let no_creds = DecodeReport::stun(&bytes, None).unwrap();
        prop_assert_eq!(no_creds.integrity, if has_integrity { Check::Unchecked } else { Check::Absent });
        prop_assert!(no_creds.problems.is_empty(), "{:?}", no_creds.problems);
        let _ = rtctool::core::output::decode_tree(&report).to_string();
        serde_json::to_string(&report).unwrap();
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// FINGERPRINT covers the whole message except the header's length field (which it patches
    /// to end at FINGERPRINT, RFC 8489 §14.7), and CRC-32 detects every single-bit error. So:
    ///
    /// - no single-bit flip leaves a message that passes the header check *and* verifies;
    /// - a flip outside the length field is caught by the CRC itself, even without the header
    ///   check;
    /// - a flip inside the length field is caught only by the header check (the length no
    ///   longer fits or is unaligned) or by the shortened message losing FINGERPRINT; the
    ///   lenient `DecodeReport` then still says so: never `Ok` with an unchanged report.
    #[test]
    fn fingerprint_catches_every_single_bit_flip(spec in message(Just(true))) {
        let bytes = spec.build();
        let original = DecodeReport::stun(&bytes, None).unwrap();
        prop_assert_eq!(original.fingerprint, Check::Ok);
        prop_assert!(original.problems.is_empty());

        let mut flipped = bytes.clone();
        for bit in 0..bytes.len() * 8 {
            let (at, mask) = (bit / 8, 1u8 << (bit % 8));
            flipped[at] ^= mask;
            let in_length_field = (2..4).contains(&at);

            let checked = Message::new_checked(&flipped[..]).map(|m| m.check_fingerprint());
            prop_assert_ne!(checked, Ok(Check::Ok), "bit {} (byte {}) flipped", bit, at);
            if !in_length_field {
                prop_assert_ne!(
                    Message::new_unchecked(&flipped[..]).check_fingerprint(),
                    Check::Ok,
                    "bit {} (byte {}) flipped", bit, at
                );
            }

            match DecodeReport::stun(&flipped, None) {
                // One of the two top bits is now set: not STUN at all.
                Err(_) => prop_assert!(at == 0 && mask & 0xc0 != 0, "bit {} (byte {})", bit, at),
                Ok(report) => {
                    let changed = report.fingerprint != Check::Ok || !report.problems.is_empty();
                    prop_assert!(changed, "bit {} (byte {}) flipped: {:?}", bit, at, report);
                    if report.fingerprint == Check::Ok {
                        // Only a longer length keeps FINGERPRINT verifying; the header says so.
                        prop_assert!(in_length_field, "bit {} (byte {})", bit, at);
                        prop_assert!(
                            report.problems.iter().any(|p| p.severity == Severity::Error && p.offset == Some(2)),
                            "{:?}", report.problems
                        );
                    }
                }
            }
            flipped[at] ^= mask;
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in vec(any::<u8>(), 0..600)) {
        exercise(&bytes);
    }

    #[test]
    fn arbitrary_body_behind_valid_header_never_panics(
        message_type in any::<u16>(),
        cookie in prop::bool::weighted(0.9),
        txid in any::<[u8; 12]>(),
        words in vec(any::<[u8; 4]>(), 0..128),
        trailing in vec(any::<u8>(), 0..8),
    ) {
        let body: Vec<u8> = words.concat();
        let mut bytes = with_header(message_type, cookie, txid, &body);
        prop_assert!(Message::new_checked(&bytes[..]).is_ok());
        exercise(&bytes);
        bytes.extend_from_slice(&trailing);
        exercise(&bytes);
    }

    #[test]
    fn noisy_attributes_never_panic(
        message_type in any::<u16>(),
        cookie in prop::bool::weighted(0.9),
        txid in any::<[u8; 12]>(),
        body in noisy_attributes(),
        cut in any::<prop::sample::Index>(),
    ) {
        let bytes = with_header(message_type, cookie, txid, &body);
        exercise(&bytes);
        // The same, truncated anywhere (the header then lies about the length).
        exercise(&bytes[..cut.index(bytes.len() + 1)]);
        // Inside a ChannelData frame, and inside a DATA attribute of another message.
        let mut cd = vec![0x40, 0x00];
        cd.extend_from_slice(&(bytes.len() as u16).to_be_bytes());
        cd.extend_from_slice(&bytes);
        exercise(&cd);
        let mut outer = MessageBuilder::new(Class::Indication, Method::DATA, txid);
        outer.raw(attr::DATA, &bytes).fingerprint();
        exercise(&outer.finish());
    }

    #[test]
    fn built_messages_with_noise_never_panic(spec in message(any::<bool>()), tail in noisy_attributes()) {
        let mut bytes = spec.build();
        bytes.extend_from_slice(&tail);
        exercise(&bytes);
        let len = (bytes.len() - HEADER_LEN) as u16;
        bytes[2..4].copy_from_slice(&len.to_be_bytes());
        exercise(&bytes);
    }
}
