//! The four RFC 5769 test vectors: decode, verify, and detect corruption.

use rtctool::core::stun::{
    attr, AttrValue, Attribute, Check, Class, Credentials, DecodeReport, Frame, IntegrityKey, Message,
    MessageBuilder, Method, PasswordAlgorithm,
};

fn unhex(s: &str) -> Vec<u8> {
    rtctool::stun::decode_text(s, rtctool::stun::Encoding::Hex).unwrap()
}

/// RFC 5769 §2.1: a Binding request with short-term credentials.
pub const REQUEST: &str = "
00 01 00 58 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae 80 22 00 10 53 54 55 4e 20 74 65 73
74 20 63 6c 69 65 6e 74 00 24 00 04 6e 00 01 ff 80 29 00 08 93 2f f9 b1 51 26 3b 36 00 06 00 09
65 76 74 6a 3a 68 36 76 59 20 20 20 00 08 00 14 9a ea a7 0c bf d8 cb 56 78 1e f2 b5 b2 d3 f2 49
c1 b5 71 a2 80 28 00 04 e5 7a 3b cf";

/// RFC 5769 §2.2: an IPv4 Binding response.
pub const RESPONSE_V4: &str = "
01 01 00 3c 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae 80 22 00 0b 74 65 73 74 20 76 65 63
74 6f 72 20 00 20 00 08 00 01 a1 47 e1 12 a6 43 00 08 00 14 2b 91 f5 99 fd 9e 90 c3 8c 74 89 f9
2a f9 ba 53 f0 6b e7 d7 80 28 00 04 c0 7d 4c 96";

/// RFC 5769 §2.3: an IPv6 Binding response.
pub const RESPONSE_V6: &str = "
01 01 00 48 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae 80 22 00 0b 74 65 73 74 20 76 65 63
74 6f 72 20 00 20 00 14 00 02 a1 47 01 13 a9 fa a5 d3 f1 79 bc 25 f4 b5 be d2 b9 d9 00 08 00 14
a3 82 95 4e 4b e6 7b f1 17 84 c9 7c 82 92 c2 75 bf e3 ed 41 80 28 00 04 c8 fb 0b 4c";

/// RFC 5769 §2.4: a request with long-term credentials.
pub const LONG_TERM: &str = "
00 01 00 60 21 12 a4 42 78 ad 34 33 c6 ad 72 c0 29 da 41 2e 00 06 00 12 e3 83 9e e3 83 88 e3 83
aa e3 83 83 e3 82 af e3 82 b9 00 00 00 15 00 1c 66 2f 2f 34 39 39 6b 39 35 34 64 36 4f 4c 33 34
6f 4c 39 46 53 54 76 79 36 34 73 41 00 14 00 0b 65 78 61 6d 70 6c 65 2e 6f 72 67 00 00 08 00 14
f6 70 24 65 6d d6 4a 3e 02 b8 e0 71 2e 85 c9 a2 8c a8 96 66";

const SHORT_TERM_PASSWORD: &str = "VOkJxbRl1RmTxUk/WvJxBt";

fn decoded(bytes: &[u8]) -> Vec<Attribute<'_>> {
    let msg = Message::new_checked(bytes).unwrap();
    let key = msg.xor_key();
    msg.into_attributes().map(|r| Attribute::decode(&r.unwrap(), key).unwrap()).collect()
}

#[test]
fn request_decodes_and_verifies() {
    let bytes = unhex(REQUEST);
    let msg = Message::new_checked(&bytes[..]).unwrap();
    assert_eq!(msg.class(), Class::Request);
    assert_eq!(msg.method(), Method::BINDING);
    assert_eq!(
        msg.transaction_id(),
        [0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae]
    );
    let attrs = decoded(&bytes);
    assert_eq!(attrs[0].value, AttrValue::Text("STUN test client"));
    assert_eq!(attrs[1].value, AttrValue::U32(0x6e0001ff));
    assert_eq!(attrs[2].value, AttrValue::U64(0x932ff9b151263b36));
    // The username is "evtj:h6vY"; the padding bytes are spaces, not zeros, and are ignored.
    assert_eq!(attrs[3].value, AttrValue::Text("evtj:h6vY"));
    assert_eq!(msg.check_fingerprint(), Check::Ok);
    assert_eq!(msg.check_integrity(&IntegrityKey::short_term(SHORT_TERM_PASSWORD)), Check::Ok);
    assert_eq!(msg.check_integrity(&IntegrityKey::short_term("wrong")), Check::Bad);
}

#[test]
fn ipv4_response() {
    let bytes = unhex(RESPONSE_V4);
    let msg = Message::new_checked(&bytes[..]).unwrap();
    assert_eq!(msg.class(), Class::SuccessResponse);
    let attrs = decoded(&bytes);
    assert_eq!(attrs[0].value, AttrValue::Text("test vector"));
    assert_eq!(attrs[1].typ, attr::XOR_MAPPED_ADDRESS);
    assert_eq!(attrs[1].value, AttrValue::XorAddress("192.0.2.1:32853".parse().unwrap()));
    assert_eq!(msg.check_fingerprint(), Check::Ok);
    assert_eq!(msg.check_integrity(&IntegrityKey::short_term(SHORT_TERM_PASSWORD)), Check::Ok);
}

#[test]
fn ipv6_response() {
    let bytes = unhex(RESPONSE_V6);
    let msg = Message::new_checked(&bytes[..]).unwrap();
    let attrs = decoded(&bytes);
    assert_eq!(
        attrs[1].value,
        AttrValue::XorAddress("[2001:db8:1234:5678:11:2233:4455:6677]:32853".parse().unwrap())
    );
    assert_eq!(msg.check_fingerprint(), Check::Ok);
    assert_eq!(msg.check_integrity(&IntegrityKey::short_term(SHORT_TERM_PASSWORD)), Check::Ok);
}

#[test]
fn long_term_credentials() {
    let bytes = unhex(LONG_TERM);
    let msg = Message::new_checked(&bytes[..]).unwrap();
    let attrs = decoded(&bytes);
    assert_eq!(attrs[0].value, AttrValue::Text("マトリックス"));
    assert_eq!(attrs[1].value, AttrValue::Text("f//499k954d6OL34oL9FSTvy64sA"));
    assert_eq!(attrs[2].value, AttrValue::Text("example.org"));
    assert_eq!(msg.check_fingerprint(), Check::Absent);
    let key = IntegrityKey::long_term("マトリックス", "example.org", "TheMatrIX", PasswordAlgorithm::Md5);
    assert_eq!(msg.check_integrity(&key), Check::Ok);
    // The RFC's password before SASLprep: soft hyphen (mapped to nothing), feminine ordinal
    // indicator (NFKC: "a") and Roman numeral nine (NFKC: "IX").
    let unprepared = IntegrityKey::long_term(
        "マトリックス",
        "example.org",
        "The\u{00AD}M\u{00AA}tr\u{2168}",
        PasswordAlgorithm::Md5,
    );
    assert_eq!(msg.check_integrity(&unprepared), Check::Ok);
    // Username and realm taken from the message when only the password is known.
    let creds = Credentials { password: "TheMatrIX".into(), ..Default::default() };
    assert_eq!(msg.check_integrity_any(&creds.keys(&msg)).0, Check::Ok);
}

#[test]
fn report_has_no_problems_for_valid_vectors() {
    for (v, pw) in [
        (REQUEST, SHORT_TERM_PASSWORD),
        (RESPONSE_V4, SHORT_TERM_PASSWORD),
        (RESPONSE_V6, SHORT_TERM_PASSWORD),
        (LONG_TERM, "TheMatrIX"),
    ] {
        let bytes = unhex(v);
        let creds = Credentials { password: pw.into(), ..Default::default() };
        let report = DecodeReport::decode(Frame::parse(&bytes).unwrap(), Some(&creds)).unwrap();
        assert!(report.problems.is_empty(), "{:?}", report.problems);
        assert_eq!(report.integrity, Check::Ok);
    }
}

#[test]
fn every_flipped_byte_is_caught() {
    // Flip each byte after the header in turn: FINGERPRINT, integrity or the structure must
    // catch it. One flip cannot be an error: turning FINGERPRINT's type 0x8028 into 0x8128
    // leaves a well-formed message with an unknown optional attribute and no FINGERPRINT; the
    // report still warns that an attribute trails MESSAGE-INTEGRITY uncovered.
    let original = unhex(RESPONSE_V4);
    for i in 20..original.len() {
        let mut bytes = original.clone();
        bytes[i] ^= 0x01;
        let creds = Credentials { password: SHORT_TERM_PASSWORD.into(), ..Default::default() };
        // Refused outright (Err) is also caught.
        if let Ok(Ok(report)) = Frame::parse(&bytes).map(|f| DecodeReport::decode(f, Some(&creds))) {
            assert!(
                report.has_errors() || (i == 72 && !report.problems.is_empty()),
                "flip at {i} went unnoticed"
            );
        }
    }
}

#[test]
fn flipped_byte_without_fingerprint_fails_integrity() {
    let mut bytes = unhex(LONG_TERM);
    bytes[30] ^= 0x20; // inside USERNAME
    let msg = Message::new_checked(&bytes[..]).unwrap();
    let key = IntegrityKey::long_term("マトリックス", "example.org", "TheMatrIX", PasswordAlgorithm::Md5);
    assert_eq!(msg.check_integrity(&key), Check::Bad);
}

#[test]
fn builder_reproduces_the_ipv4_response() {
    // Same attributes as RFC 5769 §2.2 (SOFTWARE padded with a space there, zero here: the
    // MESSAGE-INTEGRITY differs, but both must verify).
    let bytes = unhex(RESPONSE_V4);
    let msg = Message::new_checked(&bytes[..]).unwrap();
    let mut b = MessageBuilder::new(Class::SuccessResponse, Method::BINDING, msg.transaction_id());
    b.text(attr::SOFTWARE, "test vector");
    b.xor_address(attr::XOR_MAPPED_ADDRESS, "192.0.2.1:32853".parse().unwrap());
    b.message_integrity(&IntegrityKey::short_term(SHORT_TERM_PASSWORD));
    b.fingerprint();
    let built = b.finish();
    assert_eq!(built.len(), bytes.len());
    assert_eq!(&built[..20], &bytes[..20]);
    assert_eq!(&built[36..48], &bytes[36..48], "XOR-MAPPED-ADDRESS bytes");
    let m = Message::new_checked(&built[..]).unwrap();
    assert_eq!(m.check_fingerprint(), Check::Ok);
    assert_eq!(m.check_integrity(&IntegrityKey::short_term(SHORT_TERM_PASSWORD)), Check::Ok);
}
