//! STUN codec speed: "STUN decode time per message" is `stun/decode_view` (goal: well under
//! 1 µs for a typical Binding success response).
//!
//! Run with `cargo bench --bench stun_decode`.

use std::hint::black_box;
use std::net::{Ipv4Addr, SocketAddr};

use criterion::{criterion_group, criterion_main, Criterion};
use rtctool::core::stun::{
    attr, Attribute, Check, Class, Credentials, DecodeReport, IntegrityKey, Message, MessageBuilder, Method,
};

const TXID: [u8; 12] = [0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae];
const PASSWORD: &str = "VOkJxbRl1RmTxUk/WvJxBt";
const SOFTWARE: &str = "rtctool bench";
const MAPPED: SocketAddr = SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)), 32853);

/// A typical Binding success response: XOR-MAPPED-ADDRESS, SOFTWARE, MESSAGE-INTEGRITY,
/// FINGERPRINT (what an ICE agent answers a connectivity check with).
fn encode(key: &IntegrityKey) -> Vec<u8> {
    let mut b = MessageBuilder::new(Class::SuccessResponse, Method::BINDING, TXID);
    b.xor_address(attr::XOR_MAPPED_ADDRESS, MAPPED)
        .text(attr::SOFTWARE, SOFTWARE)
        .message_integrity(key)
        .fingerprint();
    b.finish()
}

/// The zero-copy decode: header check, attribute walk, every attribute typed, FINGERPRINT
/// verified. Returns the number of attributes so that nothing is optimised away.
fn decode_view(bytes: &[u8]) -> Option<usize> {
    let msg = Message::new_checked(bytes).ok()?;
    let key = msg.xor_key();
    let mut n = 0;
    for item in msg.attributes() {
        let raw = item.ok()?;
        black_box(Attribute::decode(&raw, key).ok()?);
        n += 1;
    }
    (msg.check_fingerprint() == Check::Ok).then_some(n)
}

/// The same, plus MESSAGE-INTEGRITY verified with a short-term key.
fn decode_view_verified(bytes: &[u8], key: &IntegrityKey) -> Option<usize> {
    let n = decode_view(bytes)?;
    let msg = Message::new_unchecked(bytes);
    (msg.check_integrity(key) == Check::Ok).then_some(n)
}

fn bench(c: &mut Criterion) {
    let key = IntegrityKey::short_term(PASSWORD);
    let bytes = encode(&key);
    // The bench measures the successful path; make sure it is the one taken.
    assert_eq!(decode_view(&bytes), Some(4));
    assert_eq!(decode_view_verified(&bytes, &key), Some(4));
    let credentials = Credentials { username: None, realm: None, password: PASSWORD.into() };
    let report = DecodeReport::stun(&bytes, Some(&credentials)).expect("a valid message");
    assert!(report.problems.is_empty() && report.integrity == Check::Ok && report.fingerprint == Check::Ok);

    c.bench_function("stun/decode_view", |b| b.iter(|| decode_view(black_box(&bytes))));
    c.bench_function("stun/decode_view+integrity", |b| {
        b.iter(|| decode_view_verified(black_box(&bytes), black_box(&key)))
    });
    c.bench_function("stun/decode_report", |b| b.iter(|| DecodeReport::stun(black_box(&bytes), None)));
    c.bench_function("stun/decode_report+password", |b| {
        b.iter(|| DecodeReport::stun(black_box(&bytes), Some(black_box(&credentials))))
    });
    c.bench_function("stun/encode", |b| b.iter(|| encode(black_box(&key))));
}

criterion_group!(benches, bench);
criterion_main!(benches);
