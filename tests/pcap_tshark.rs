//! `pcap decode` agrees with tshark on every capture of the corpus (tests/fixtures/corpus/pcap) and of
//! tests/fixtures/pcap: the same STUN messages (frame, message type, transaction id) and the
//! same TURN ChannelData frames (frame, channel number).
//!
//! tshark does not look inside TURN ChannelData or DATA attributes; rtctool does and marks
//! those messages with `via`, so they are left out of the comparison. STUN quoted in ICMP errors
//! is decoded by both.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// (frame, STUN message type, transaction id), or for ChannelData (frame, 0xffff, channel).
type Key = (u64, u16, String);

/// The key of a ChannelData frame.
fn channel_key(frame: u64, channel: u16) -> Key {
    (frame, 0xffff, format!("channel {channel:04x}"))
}

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/corpus/pcap")
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pcap")
}

fn tshark_available() -> bool {
    Command::new("tshark").arg("--version").output().is_ok_and(|o| o.status.success())
}

fn tshark_messages(file: &Path) -> BTreeMap<Key, usize> {
    let out = Command::new("tshark")
        .arg("-r")
        .arg(file)
        .args([
            "-T",
            "fields",
            "-e",
            "frame.number",
            "-e",
            "stun.type",
            "-e",
            "stun.id",
            "-e",
            "stun.channel",
        ])
        .output()
        .expect("run tshark");
    assert!(out.status.success(), "tshark failed on {}", file.display());
    let mut set = BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let cols: Vec<&str> = line.split('\t').collect();
        let frame: u64 = cols[0].parse().unwrap();
        // ChannelData: tshark's stun.channel, without a message type. (A ChannelBind carries a
        // CHANNEL-NUMBER attribute that tshark also names stun.channel: skipped with it.)
        if let (Some(""), Some(channels)) = (cols.get(1).copied(), cols.get(3).filter(|c| !c.is_empty())) {
            for c in channels.split(',') {
                let c = u16::from_str_radix(c.trim_start_matches("0x"), 16).unwrap();
                *set.entry(channel_key(frame, c)).or_insert(0) += 1;
            }
            continue;
        }
        if cols.len() < 3 || cols[1].is_empty() {
            continue;
        }
        for (t, id) in cols[1].split(',').zip(cols[2].split(',')) {
            let t = u16::from_str_radix(t.trim_start_matches("0x"), 16).unwrap();
            *set.entry((frame, t, id.to_ascii_lowercase())).or_insert(0) += 1;
        }
    }
    set
}

fn our_messages(file: &Path) -> BTreeMap<Key, usize> {
    let out = Command::new(env!("CARGO_BIN_EXE_rtctool"))
        .args(["--ndjson", "pcap", "decode"])
        .arg(file)
        .output()
        .expect("run rtctool");
    assert_eq!(out.status.code(), Some(0), "{}: {}", file.display(), String::from_utf8_lossy(&out.stderr));
    let mut set = BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("NDJSON line");
        let via = v["via"].as_str();
        if v["kind"] == "channel-data" && via.is_none() {
            let key = channel_key(v["frame"].as_u64().unwrap(), v["channel"].as_u64().unwrap() as u16);
            *set.entry(key).or_insert(0) += 1;
            continue;
        }
        if v["kind"] != "stun" || !(via.is_none() || via == Some("icmp-error")) {
            continue;
        }
        let key = (
            v["frame"].as_u64().unwrap(),
            v["message_type"].as_u64().unwrap() as u16,
            v["transaction_id"].as_str().unwrap().to_string(),
        );
        *set.entry(key).or_insert(0) += 1;
    }
    set
}

#[test]
fn every_corpus_capture_matches_tshark() {
    if !tshark_available() {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "tshark is missing in CI: scripts/test.sh installs it"
        );
        eprintln!("SKIPPED: tshark is not installed (scripts/test.sh installs it)");
        return;
    }
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(corpus()).expect("tests/fixtures/corpus/pcap").map(|e| e.unwrap().path()).collect();
    assert!(files.len() >= 6, "corpus incomplete: {files:?}");
    // Plus the project's own captures (a real WebRTC call through coturn).
    files.extend(std::fs::read_dir(fixtures()).expect("tests/fixtures/pcap").map(|e| e.unwrap().path()));
    files.sort();
    let mut total = 0;
    for file in files.iter().filter(|f| f.extension().is_some_and(|e| e == "pcap" || e == "pcapng")) {
        let theirs = tshark_messages(file);
        let ours = our_messages(file);
        let missing: Vec<_> = theirs.keys().filter(|k| !ours.contains_key(*k)).take(5).collect();
        let extra: Vec<_> = ours.keys().filter(|k| !theirs.contains_key(*k)).take(5).collect();
        assert_eq!(ours, theirs, "{}: missing {missing:?}, extra {extra:?}", file.display());
        total += ours.values().sum::<usize>();
    }
    assert!(total > 1000, "only {total} messages compared");
}
