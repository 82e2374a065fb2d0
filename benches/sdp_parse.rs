//! SDP speed: "parse + typed view of a ~7 KB browser offer" is `sdp/parse_view` (goal: ≤ 9 µs;
//! sdp-transform needs ~180 µs for the same work). The offer is Chromium 156's, with audio,
//! video, a data channel and host candidates (tests/fixtures/sdp/chrome-1-initial-offer.json).
//!
//! `sdp_growth/check/N`: `sdp check` of an offer and answer with N BUNDLEd m-sections, as
//! elements per second: a flat rate across N shows the check is linear (it was cubic in the
//! BUNDLE size: 2,000 sections took 6.3 s).
//!
//! Run with `cargo bench --bench sdp_parse`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use rtctool::sdp::{self, Sdp};

fn offer() -> String {
    let json = include_str!("../tests/fixtures/sdp/chrome-1-initial-offer.json");
    sdp::decode(json.as_bytes(), "offer").map(|input| input.text).unwrap_or_default()
}

fn benches(c: &mut Criterion) {
    let offer = offer();
    assert!(offer.len() > 6000, "the fixture offer is {} bytes", offer.len());
    let restarted =
        sdp::decode(include_str!("../tests/fixtures/sdp/chrome-2-ice-restart-offer.json").as_bytes(), "b")
            .map(|input| input.text)
            .unwrap_or_default();

    let mut group = c.benchmark_group("sdp");
    group.throughput(criterion::Throughput::Bytes(offer.len() as u64));
    group.bench_function("parse_view", |b| b.iter(|| Sdp::parse(black_box(&offer))));
    group.bench_function("split_lines", |b| b.iter(|| sdp::lines::split_lines(black_box(&offer))));
    let parsed = Sdp::parse(&offer);
    group.bench_function("lint", |b| b.iter(|| sdp::lint(black_box(&parsed), Some(sdp::Role::Offer))));
    let other = Sdp::parse(&restarted);
    group.bench_function("diff", |b| b.iter(|| sdp::diff(black_box(&parsed), black_box(&other))));
    group.finish();

    let mut growth = c.benchmark_group("sdp_growth");
    growth.sample_size(10);
    for n in [500usize, 1000, 2000] {
        let (offer, answer) = (bundled(n, "actpass"), bundled(n, "active"));
        let (o, a) = (Sdp::parse(&offer), Sdp::parse(&answer));
        growth.throughput(criterion::Throughput::Elements(n as u64));
        growth.bench_function(format!("check/{n}"), |b| b.iter(|| sdp::check(black_box(&o), black_box(&a))));
    }
    growth.finish();
}

/// An SDP with `n` audio m-sections in one BUNDLE group.
fn bundled(n: usize, setup: &str) -> String {
    let mids: Vec<String> = (0..n).map(|i| format!("m{i}")).collect();
    let mut s = format!(
        "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE {}\r\na=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\na=fingerprint:sha-256 {}\r\na=setup:{setup}\r\n",
        mids.join(" "),
        ["AB"; 32].join(":")
    );
    for mid in &mids {
        s.push_str(&format!(
            "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:{mid}\r\na=sendrecv\r\na=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\n"
        ));
    }
    s
}

criterion_group!(sdp_benches, benches);
criterion_main!(sdp_benches);
