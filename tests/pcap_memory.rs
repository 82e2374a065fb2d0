//! Memory of `pcap decode` and `pcap summary` is bounded whatever the capture: one capture with
//! four times the flows, requests and TCP streams of another (both past every table's bound)
//! leaves the peak RSS where it was. One test in its own crate, so that the peak RSS of the
//! children this process waited for is the peak of these runs alone.

use std::io::Write;
use std::process::Command;

use nix::sys::resource::{getrusage, UsageWho};
use rtctool::core::stun::{Class, MessageBuilder, Method};

mod common {
    pub mod capture;
}
use common::capture::{ipv4, pcap, record, tcp, udp};

const SERVER: [u8; 4] = [203, 0, 113, 10];

/// Written to `path` as it is made, so that this process stays small: a child it spawns
/// starts as a copy of it, and the peak RSS counted for the child would include that.
/// `flows` clients that each send one answered Binding request and one never answered, and
/// `flows / 1000` TCP streams that each start a 65,532-byte message and stop 20 KB in.
fn hostile(path: &std::path::Path, flows: u32) {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut f = pcap(&[]);
    let flush = |out: &mut std::io::BufWriter<std::fs::File>, f: &mut Vec<u8>| {
        out.write_all(f).unwrap();
        f.clear();
    };
    for i in 0..flows {
        let client = [10, (i >> 16) as u8, (i >> 8) as u8, i as u8];
        for (n, answered) in [(0u32, true), (1, false)] {
            let mut id = [0u8; 12];
            id[..4].copy_from_slice(&i.to_be_bytes());
            id[4..8].copy_from_slice(&n.to_be_bytes());
            let req = MessageBuilder::new(Class::Request, Method::BINDING, id).finish();
            record(&mut f, i % 1_000_000, &ipv4(17, client, SERVER, &udp(40000, 3478, &req)));
            if answered {
                let resp = MessageBuilder::new(Class::SuccessResponse, Method::BINDING, id).finish();
                record(&mut f, i % 1_000_000, &ipv4(17, SERVER, client, &udp(3478, 40000, &resp)));
            }
        }
        flush(&mut out, &mut f);
    }
    for s in 0..flows / 1000 {
        let client = [10, 200, (s >> 8) as u8, s as u8];
        let mut seq = 1;
        for piece in 0..20 {
            let mut data = vec![0u8; 1000];
            if piece == 0 {
                data[..8].copy_from_slice(&[0, 3, 0xff, 0xfc, 0x21, 0x12, 0xa4, 0x42]);
            }
            record(&mut f, 0, &ipv4(6, client, SERVER, &tcp(40000, 3478, seq, &data)));
            seq += 1000;
        }
        flush(&mut out, &mut f);
    }
    out.flush().unwrap();
}

/// The largest resident set of the children waited for so far, in KiB.
fn peak_kib() -> i64 {
    getrusage(UsageWho::RUSAGE_CHILDREN).expect("getrusage").max_rss()
}

fn run(file: &std::path::Path) {
    for args in [&["pcap", "decode"][..], &["--json", "pcap", "summary"][..]] {
        let out = Command::new(env!("CARGO_BIN_EXE_rtctool"))
            .args(args)
            .arg(file)
            .stdout(std::process::Stdio::null())
            .status()
            .expect("run rtctool");
        assert!(out.success(), "{args:?}");
    }
}

#[test]
fn peak_memory_does_not_grow_with_the_capture() {
    let dir = std::env::temp_dir().join(format!("rtctool-pcap-memory-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (small, large) = (dir.join("small.pcap"), dir.join("large.pcap"));
    hostile(&small, 80_000);
    hostile(&large, 320_000);
    run(&small);
    let after_small = peak_kib();
    run(&large);
    let after_large = peak_kib();
    let _ = std::fs::remove_dir_all(&dir);
    eprintln!("peak RSS: {after_small} KiB on 80,000 flows, {after_large} KiB on 320,000");
    assert!(after_large - after_small < 8 << 10, "{after_small} KiB, then {after_large} KiB");
    // The tables' bounds (README): some 30 MB of tables on top of the binary itself.
    assert!(after_large < 96 << 10, "{after_large} KiB");
}
