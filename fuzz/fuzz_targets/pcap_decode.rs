//! The whole capture pipeline on arbitrary bytes: reader (pcap and pcapng, forced by
//! prefixing a magic when the input has none), link/IP/TCP/UDP, dissection, and every sink:
//! human lines with trees, NDJSON, JSON and the summary.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rtctool::core::output::Mode;
use rtctool::pcap::decode::{DecodeOptions, Decoder};
use rtctool::pcap::engine::{Engine, Sink};
use rtctool::pcap::keys::KeyBook;
use rtctool::pcap::reader::{CaptureReader, Item};
use rtctool::pcap::summary::Summary;

fn run<S: Sink>(bytes: &[u8], sink: &mut S) {
    let Ok(mut reader) = CaptureReader::new(bytes) else { return };
    let mut engine = Engine::new();
    while let Ok(Some(item)) = reader.next_item() {
        match item {
            Item::Packet(p) => engine.packet(&p, sink),
            Item::Skipped { reason, .. } => sink.problem(rtctool::pcap::engine::CAPTURE, &reason),
        }
    }
    engine.finish(sink);
}

fuzz_target!(|data: &[u8]| {
    // Steer most inputs into a real format: the first byte picks a header to put in front.
    let mut bytes = Vec::with_capacity(data.len() + 32);
    match data.first().map(|b| b % 4) {
        Some(0) => bytes.extend_from_slice(&[
            0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0,
        ]),
        Some(1) => bytes.extend_from_slice(&[
            0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 101, 0, 0, 0,
        ]),
        Some(2) => bytes.extend_from_slice(&[
            0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff,
            0xff, 0xff, 0xff, 28, 0, 0, 0,
        ]),
        _ => {}
    }
    bytes.extend_from_slice(data.get(1..).unwrap_or(&[]));
    let mut keys = KeyBook::new();
    keys.set_turn("user", "pass");
    keys.add_ice("pwd");
    // NDJSON shares JSON's record path; it only differs in writing problems to stderr.
    for mode in [Mode::Human, Mode::Json] {
        let opts = DecodeOptions { tree: mode == Mode::Human, errors: false, ..Default::default() };
        let mut sink = Decoder::new(std::io::sink(), mode, opts, keys.clone());
        run(&bytes, &mut sink);
        sink.finish();
    }
    let mut summary = Summary::new();
    run(&bytes, &mut summary);
    let _ = summary.to_json();
});
