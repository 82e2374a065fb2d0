//! SDP speed: "parse + typed view of a ~7 KB browser offer" is `sdp/parse_view` (goal: ≤ 9 µs;
//! sdp-transform needs ~180 µs for the same work). The offer is Chromium 156's, with audio,
//! video, a data channel and host candidates (tests/fixtures/sdp/chrome-1-initial-offer.json).
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
}

criterion_group!(sdp_benches, benches);
criterion_main!(sdp_benches);
