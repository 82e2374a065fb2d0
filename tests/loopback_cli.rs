//! `rtctool loopback` end to end: real calls between two webrtc-rs peers on 127.0.0.1, each
//! a second or two long. Nothing here asserts how fast anything is; loss is checked with wide
//! statistical bounds.

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_rtctool");

fn rtctool(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env_remove("RTCTOOL_TURN_USERNAME")
        .env_remove("RTCTOOL_TURN_PASSWORD")
        .output()
        .expect("running rtctool")
}

/// Run `rtctool --json loopback ARGS`; the report and the exit code.
fn call(args: &[&str]) -> (Value, Option<i32>) {
    let mut all = vec!["--json", "loopback"];
    all.extend_from_slice(args);
    let out = rtctool(&all);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{args:?}: not JSON ({e}):\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (report, out.status.code())
}

fn streams(r: &Value) -> &Vec<Value> {
    r["media"]["streams"].as_array().expect("media.streams")
}

/// Every stream verified frames, none corrupted, and hardly any lost on a clean loopback.
fn assert_clean_media(r: &Value, kinds: &[&str]) {
    let s = streams(r);
    assert_eq!(s.len(), kinds.len() * 2, "{r:#}");
    for st in s {
        assert!(kinds.contains(&st["kind"].as_str().unwrap()), "{st:#}");
        let f = &st["frames"];
        assert!(f["sent"].as_u64().unwrap() > 5, "{st:#}");
        assert!(f["verified"].as_u64().unwrap() > 0, "{st:#}");
        assert_eq!(f["corrupted"], 0, "{st:#}");
        assert!(f["loss_pct"].as_f64().unwrap() <= 5.0, "{st:#}");
        assert!(st["packets_sent"].as_u64().unwrap() > 0, "{st:#}");
        assert!(st["packets_received"].as_u64().unwrap() > 0, "{st:#}");
    }
}

fn assert_connected_timeline(r: &Value) {
    assert_eq!(r["connected"], true, "{r:#}");
    let t = &r["timings_ms"];
    for key in ["gathering", "ice_connected", "dtls_connected"] {
        assert!(t[key].as_f64().is_some(), "timings_ms.{key} missing: {r:#}");
    }
    let ice = t["ice_connected"].as_f64().unwrap();
    let dtls = t["dtls_connected"].as_f64().unwrap();
    assert!(dtls >= ice, "DTLS before ICE: {t:#}");
    let pair = &r["selected_pair"];
    assert_eq!(pair["local"]["type"], "host", "{r:#}");
    assert_eq!(pair["remote"]["type"], "host", "{r:#}");
    assert_eq!(pair["local"]["protocol"], "udp");
    // Both sides gathered at least one candidate, each reported with DESIGN.md's keys.
    for side in ["offerer", "answerer"] {
        let c = r["candidates"].as_array().unwrap().iter().find(|c| c["side"] == side).expect(side);
        for key in ["foundation", "component", "protocol", "priority", "address", "port", "type"] {
            assert!(!c["candidate"][key].is_null(), "{key} in {c:#}");
        }
    }
}

#[test]
fn audio_and_video_both_ways_are_verified_frame_by_frame() {
    let (r, code) = call(&["--duration", "1500ms"]);
    assert_eq!(code, Some(0), "{r:#}");
    assert_connected_timeline(&r);
    assert_clean_media(&r, &["audio", "video"]);
    assert!(r["timings_ms"]["first_media"].as_f64().is_some());
    assert!(r["timings_ms"]["first_frame"].as_f64().is_some());
    // Video at the default 1 Mbit/s and 30 fps: frames of about 4 kB, several packets each.
    let video = streams(&r).iter().find(|s| s["kind"] == "video").unwrap();
    assert!(video["packets_sent"].as_u64().unwrap() > video["frames"]["sent"].as_u64().unwrap());
    // The data channel pinged and every ping came back.
    let dc = &r["data_channel"];
    assert_eq!(dc["mode"], "ping");
    assert!(dc["messages_sent"].as_u64().unwrap() > 5, "{dc:#}");
    assert_eq!(dc["messages_received"], dc["messages_sent"], "{dc:#}");
    assert!(r["checks"].as_array().unwrap().iter().all(|c| c["ok"] == true), "{r:#}");
}

#[test]
fn audio_only_and_video_only() {
    let (r, code) = call(&["--duration", "1s", "--media", "audio"]);
    assert_eq!(code, Some(0), "{r:#}");
    assert_clean_media(&r, &["audio"]);
    let (r, code) = call(&[
        "--duration",
        "1s",
        "--media",
        "video",
        "--bitrate",
        "300k",
        "--fps",
        "15",
        "--datachannel",
        "none",
    ]);
    assert_eq!(code, Some(0), "{r:#}");
    assert_clean_media(&r, &["video"]);
    assert!(r["data_channel"].is_null());
    let video = &streams(&r)[0];
    // 15 fps for a second (give or take the first and last tick).
    let sent = video["frames"]["sent"].as_u64().unwrap();
    assert!((10..=20).contains(&sent), "{video:#}");
}

#[test]
fn data_channel_only_until_open_then_a_bulk_transfer() {
    let (r, code) = call(&["--media", "none", "--duration", "0"]);
    assert_eq!(code, Some(0), "{r:#}");
    assert_connected_timeline(&r);
    assert!(streams(&r).is_empty());
    let open = r["timings_ms"]["data_channel_open"].as_f64().expect("data_channel_open");
    assert!(open >= r["timings_ms"]["dtls_connected"].as_f64().unwrap());

    let (r, code) = call(&["--media", "none", "--throughput", "--duration", "1s"]);
    assert_eq!(code, Some(0), "{r:#}");
    let dc = &r["data_channel"];
    assert_eq!(dc["mode"], "bulk");
    assert!(dc["bytes"].as_u64().unwrap() > 1_000_000, "{dc:#}");
    assert!(dc["throughput_mbps"].as_f64().unwrap() > 0.0, "{dc:#}");
    assert_eq!(dc["corrupted"], 0);
    assert_eq!(dc["messages_received"], dc["messages_sent"], "every message delivered: {dc:#}");
}

#[test]
fn loss_through_the_impairment_relay_is_close_to_what_was_asked() {
    // Audio has no NACK, so its packet loss is the relay's loss; 10% over ~200 packets. (The
    // data channel is left out: webrtc-rs's SCTP can take seconds to resend under loss.)
    let (r, code) = call(&[
        "--duration",
        "2s",
        "--media",
        "audio",
        "--datachannel",
        "none",
        "--loss",
        "10",
        "--lossless-setup",
        "--max-loss",
        "100",
        "--timeout",
        "20s",
    ]);
    assert_eq!(code, Some(0), "{r:#}");
    let imp = &r["impairment"];
    let observed = imp["observed_loss_pct"].as_f64().unwrap();
    assert!((4.0..=18.0).contains(&observed), "relay dropped {observed}%: {imp:#}");
    let (lost, expected) = streams(&r).iter().fold((0u64, 0u64), |(l, e), s| {
        let lost = s["packets_lost"].as_u64().unwrap();
        (l + lost, e + lost + s["packets_received"].as_u64().unwrap())
    });
    let pct = lost as f64 * 100.0 / expected as f64;
    assert!((2.0..=25.0).contains(&pct), "audio lost {pct:.1}% ({lost}/{expected}): {r:#}");
    for s in streams(&r) {
        assert_eq!(s["frames"]["corrupted"], 0, "{s:#}");
    }
}

#[test]
fn video_loss_is_repaired_by_nack_and_the_default_max_loss_fails_lossy_audio() {
    let (r, _) = call(&[
        "--duration",
        "2s",
        "--media",
        "video",
        "--loss",
        "5",
        "--lossless-setup",
        "--max-loss",
        "100",
        "--timeout",
        "20s",
    ]);
    let s = streams(&r);
    let nacks: u64 = s.iter().map(|s| s["nacks"].as_u64().unwrap()).sum();
    let rtx: u64 = s.iter().map(|s| s["recovered_packets"].as_u64().unwrap()).sum();
    assert!(nacks > 0 && rtx > 0, "no NACK/retransmission under 5% loss: {r:#}");
    for st in s {
        assert_eq!(st["frames"]["corrupted"], 0, "{st:#}");
    }

    // 30% audio loss against the default --max-loss 5: connected, but a failed check.
    let (r, code) = call(&[
        "--duration",
        "1s",
        "--media",
        "audio",
        "--datachannel",
        "none",
        "--loss",
        "30",
        "--lossless-setup",
        "--timeout",
        "20s",
    ]);
    assert_eq!(r["connected"], true, "{r:#}");
    assert_eq!(code, Some(1), "{r:#}");
    let failed: Vec<_> = r["checks"].as_array().unwrap().iter().filter(|c| c["ok"] == false).collect();
    assert!(failed.iter().all(|c| c["name"].as_str().unwrap().starts_with("frames")), "{failed:#?}");
}

#[test]
fn delay_shows_in_round_trips_and_frame_latency() {
    let (r, code) = call(&["--duration", "1s", "--media", "audio", "--delay", "40ms", "--jitter", "5"]);
    assert_eq!(code, Some(0), "{r:#}");
    // 40 ms each way, jitter of at most 5 ms: a round trip cannot be under 70 ms.
    let rtt = r["data_channel"]["rtt_ms"]["mean"].as_f64().unwrap();
    assert!(rtt >= 70.0, "data channel RTT {rtt} ms with 2 x 40 ms delay");
    for s in streams(&r) {
        let mean = s["latency_ms"]["mean"].as_f64().unwrap();
        assert!(mean >= 35.0, "frame latency {mean} ms with 40 ms delay: {s:#}");
    }
    assert_eq!(r["impairment"]["delay_ms"], 40.0);
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &["loopback", "--media", "none", "--datachannel", "none"][..],
        &["loopback", "--throughput", "--duration", "0"],
        &["loopback", "--relay-only"],
        &["loopback", "--relay-only", "--ice-server", "stun:127.0.0.1"],
        &["loopback", "--ice-server", "turn:127.0.0.1:3478"],
        &["loopback", "--ice-server", "turns:u:p@127.0.0.1"],
        &["loopback", "--ice-server", "turn:u:p@127.0.0.1?transport=tcp"],
        &["loopback", "--ice-server", "http://example.com"],
        &["loopback", "--loss", "150"],
        &["loopback", "--lossless-setup"],
        &["loopback", "--loss", "5", "--relay-only", "--ice-server", "turn:u:p@127.0.0.1"],
        &["loopback", "--delay", "soon"],
        &["loopback", "--bitrate", "fast"],
        &["loopback", "--fps", "0"],
        &["loopback", "--throughput", "--datachannel", "ping"],
        &["loopback", "--timeout", "0"],
    ] {
        let out = rtctool(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(out.stdout.is_empty(), "{args:?}");
        assert!(!out.stderr.is_empty(), "{args:?}");
    }
}

#[test]
fn passwords_are_never_printed() {
    let out = rtctool(&[
        "--json",
        "loopback",
        "--ice-server",
        "turn:alice:s3cret@127.0.0.1:9",
        "--relay-only",
        "--timeout",
        "1s",
        "--media",
        "none",
        "--duration",
        "0",
    ]);
    let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(!all.contains("s3cret"), "{all}");
    // Nothing answers on port 9: no relay candidate, no call, exit 4 with the report.
    assert_eq!(out.status.code(), Some(4), "{all}");
    let r: Value = serde_json::from_slice(&out.stdout).expect("the report is printed even without a call");
    assert_eq!(r["connected"], false);
    assert!(r["error"].as_str().unwrap().contains("did not connect"), "{r:#}");
}

#[test]
fn help_documents_exit_codes_and_units() {
    let out = rtctool(&["loopback", "--help"]);
    let text = String::from_utf8_lossy(&out.stdout);
    for needle in ["--throughput", "--relay-only", "--loss", "--jitter", "--max-loss", "Exit codes", "10^6"] {
        assert!(text.contains(needle), "missing {needle}:\n{text}");
    }
}

#[test]
fn ipv6_loopback() {
    if std::net::UdpSocket::bind("[::1]:0").is_err() {
        eprintln!("skipping: no IPv6 loopback here");
        return;
    }
    let (r, code) = call(&["--ipv6", "--media", "audio", "--duration", "500ms"]);
    assert_eq!(code, Some(0), "{r:#}");
    assert_eq!(r["selected_pair"]["local"]["address"], "::1", "{r:#}");
}

#[test]
fn stock_timers_connect_too() {
    let (r, code) = call(&["--stock-timers", "--media", "none", "--duration", "0"]);
    assert_eq!(code, Some(0), "{r:#}");
    assert!(r["timings_ms"]["data_channel_open"].as_f64().is_some());
}

#[test]
fn ctrl_c_ends_the_call_and_still_reports() {
    let mut child = Command::new(BIN)
        .args(["--ndjson", "loopback", "--duration", "60s", "--media", "audio"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawning rtctool");
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    // Events stream as they happen: wait for the first per-second stats record (media has
    // flowed for a second), then interrupt.
    for line in lines.by_ref() {
        let v: Value = serde_json::from_str(&line.unwrap()).unwrap();
        if v["event"] == "stats" {
            break;
        }
    }
    let pid = child.id().to_string();
    let status = Command::new("kill").args(["-INT", &pid]).status().expect("kill");
    assert!(status.success());
    let rest: Vec<Value> = lines.map(|l| serde_json::from_str(&l.unwrap()).unwrap()).collect();
    let code = child.wait().unwrap().code();
    let report = rest.iter().find(|v| v["event"] == "report").expect("a report after Ctrl-C");
    assert_eq!(report["interrupted"], true, "{report:#}");
    assert_eq!(report["connected"], true);
    assert!(report["media_duration_ms"].as_f64().unwrap() < 30_000.0);
    assert_eq!(code, Some(130), "interrupted, not complete: {report:#}");
}

/// One frame a second at 1 Mbit/s: each 125 KB frame leaves as one burst of some 110 RTP
/// packets, which the default UDP receive buffer cannot hold; every frame still arrives.
#[test]
fn one_frame_a_second_arrives_whole() {
    let out = Command::new(BIN)
        .args(["--json", "loopback", "--media", "video", "--fps", "1", "--duration", "3s"])
        .output()
        .expect("run rtctool");
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    assert_eq!(out.status.code(), Some(0), "{report:#}");
    for stream in report["media"]["streams"].as_array().unwrap() {
        assert_eq!(stream["packets_lost"], 0, "{stream:#}");
        assert_eq!(stream["frames"]["lost"], 0, "{stream:#}");
        assert!(stream["frames"]["verified"].as_u64().unwrap() >= 2, "{stream:#}");
    }
}

/// An IVF file of made-up VP9 frames (sizes from 300 bytes to several packets) and an Ogg/Opus
/// file of made-up 20 ms packets: the call does not decode, it checks bytes end to end.
fn write_media_files(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let mut ivf = Vec::new();
    ivf.extend_from_slice(b"DKIF\0\0\x20\0VP90");
    ivf.extend_from_slice(&320u16.to_le_bytes());
    ivf.extend_from_slice(&240u16.to_le_bytes());
    ivf.extend_from_slice(&30u32.to_le_bytes()); // time base 1/30
    ivf.extend_from_slice(&1u32.to_le_bytes());
    ivf.extend_from_slice(&20u32.to_le_bytes());
    ivf.extend_from_slice(&0u32.to_le_bytes());
    for i in 0..20u64 {
        let len = 300 + (i as usize * 397) % 4000;
        let frame: Vec<u8> = (0..len).map(|j| (j as u64 * 31 + i * 7) as u8).collect();
        ivf.extend_from_slice(&(len as u32).to_le_bytes());
        ivf.extend_from_slice(&i.to_le_bytes());
        ivf.extend_from_slice(&frame);
    }
    let ivf_path = dir.join("clip.ivf");
    std::fs::write(&ivf_path, ivf).unwrap();

    let page = |serial: u32, seq: u32, kind: u8, packets: &[Vec<u8>]| {
        let mut table = Vec::new();
        let mut data = Vec::new();
        for p in packets {
            let mut n = p.len();
            while n >= 255 {
                table.push(255u8);
                n -= 255;
            }
            table.push(n as u8);
            data.extend_from_slice(p);
        }
        let mut b = b"OggS\0".to_vec();
        b.push(kind);
        b.extend_from_slice(&0u64.to_le_bytes());
        b.extend_from_slice(&serial.to_le_bytes());
        b.extend_from_slice(&seq.to_le_bytes());
        b.extend_from_slice(&0u32.to_le_bytes());
        b.push(table.len() as u8);
        b.extend_from_slice(&table);
        b.extend_from_slice(&data);
        // RFC 3533 CRC: polynomial 0x04c11db7, not reflected, over the page with a zero CRC.
        let mut crc = 0u32;
        for &byte in &b {
            crc ^= u32::from(byte) << 24;
            for _ in 0..8 {
                crc = if crc & 0x8000_0000 != 0 { (crc << 1) ^ 0x04c1_1db7 } else { crc << 1 };
            }
        }
        b[22..26].copy_from_slice(&crc.to_le_bytes());
        b
    };
    let mut ogg = page(7, 0, 2, &[b"OpusHead\x01\x02\x38\x01\x80\xbb\0\0\0\0\0".to_vec()]);
    ogg.extend(page(7, 1, 0, &[b"OpusTags\0\0\0\0\0\0\0\0".to_vec()]));
    for p in 0..10u32 {
        // Five packets per page; TOC 0xf8 = CELT fullband 20 ms, one frame.
        let packets: Vec<Vec<u8>> = (0..5u32)
            .map(|k| std::iter::once(0xf8).chain((0..60).map(|j| (j + p * 5 + k) as u8)).collect())
            .collect();
        ogg.extend(page(7, 2 + p, 0, &packets));
    }
    let ogg_path = dir.join("clip.ogg");
    std::fs::write(&ogg_path, ogg).unwrap();
    (ivf_path, ogg_path)
}

#[test]
fn media_files_are_played_and_every_frame_checked() {
    let dir = std::env::temp_dir().join(format!("rtctool-loopback-files-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (ivf, ogg) = write_media_files(&dir);
    let (ivf, ogg) = (ivf.to_str().unwrap(), ogg.to_str().unwrap());
    let (r, code) =
        call(&["--duration", "1500ms", "--media-file", ivf, "--media-file", ogg, "--datachannel", "none"]);
    assert_eq!(code, Some(0), "{r:#}");
    assert_clean_media(&r, &["audio", "video"]);
    for s in streams(&r) {
        let (codec, source) = if s["kind"] == "video" { ("VP9", ivf) } else { ("opus", ogg) };
        assert_eq!(s["codec"], codec, "{s:#}");
        assert_eq!(s["source"], source, "{s:#}");
    }
    // Usage: a second file of a kind, or a file of a kind --media does not send; input: not media.
    let out = rtctool(&["loopback", "--media-file", ivf, "--media-file", ivf]);
    assert_eq!(out.status.code(), Some(2));
    let out = rtctool(&["loopback", "--media", "audio", "--media-file", ivf]);
    assert_eq!(out.status.code(), Some(2));
    let not_media = dir.join("notes.txt");
    std::fs::write(&not_media, "hello").unwrap();
    let out = rtctool(&["loopback", "--media-file", not_media.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("notes.txt"));
    let out = rtctool(&["loopback", "--media-file", "/nonexistent/clip.ivf"]);
    assert_eq!(out.status.code(), Some(3));
    let _ = std::fs::remove_dir_all(&dir);
}

/// An IVF of made-up AV1 temporal units (a temporal delimiter, a sequence header on some, a
/// frame OBU of 200 to 4,000 bytes): the RTP payload format rewrites the OBUs, so every frame
/// is checked in the canonical form both ends compute.
#[test]
fn av1_files_are_played_and_checked_in_canonical_form() {
    let leb128 = |mut n: usize| {
        let mut out = Vec::new();
        loop {
            let byte = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                out.push(byte);
                return out;
            }
            out.push(byte | 0x80);
        }
    };
    let mut ivf = Vec::new();
    ivf.extend_from_slice(b"DKIF\0\0\x20\0AV01");
    ivf.extend_from_slice(&320u16.to_le_bytes());
    ivf.extend_from_slice(&240u16.to_le_bytes());
    ivf.extend_from_slice(&30u32.to_le_bytes());
    ivf.extend_from_slice(&1u32.to_le_bytes());
    ivf.extend_from_slice(&20u32.to_le_bytes());
    ivf.extend_from_slice(&0u32.to_le_bytes());
    for i in 0..20u64 {
        let len = 200 + (i as usize * 397) % 3800;
        let mut tu = vec![0x12, 0x00];
        if i % 10 == 0 {
            tu.extend_from_slice(&[0x0a, 0x03, 1, 2, 3]);
        }
        tu.push(0x32);
        tu.extend(leb128(len));
        tu.extend((0..len).map(|j| (j as u64 * 31 + i * 7) as u8));
        ivf.extend_from_slice(&(tu.len() as u32).to_le_bytes());
        ivf.extend_from_slice(&i.to_le_bytes());
        ivf.extend_from_slice(&tu);
    }
    let dir = std::env::temp_dir().join(format!("rtctool-loopback-av1-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("clip-av1.ivf");
    std::fs::write(&path, ivf).unwrap();
    let (r, code) = call(&[
        "--duration",
        "1500ms",
        "--media",
        "video",
        "--media-file",
        path.to_str().unwrap(),
        "--datachannel",
        "none",
    ]);
    assert_eq!(code, Some(0), "{r:#}");
    assert_clean_media(&r, &["video"]);
    for s in streams(&r) {
        assert_eq!(s["codec"], "AV1", "{s:#}");
        assert!(s["frames"]["verified"].as_u64().unwrap() >= 20, "{s:#}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
