//! `rtctool pcap decode|summary` on the corpus and on hand-built captures: malformed and
//! truncated input, TCP streams, timestamps, filters, integrity, exit codes.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use rtctool::core::stun::{attr, Class, IntegrityKey, MessageBuilder, Method, PasswordAlgorithm};

mod common {
    pub mod capture;
}
use common::capture::{ipv4, pcap, pcap_of, tcp, udp};

fn corpus(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/corpus/pcap").join(name)
}

fn rtctool(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rtctool"))
        .args(args)
        .env_remove("NO_COLOR")
        .output()
        .expect("run rtctool")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn ndjson(out: &Output) -> Vec<serde_json::Value> {
    text(&out.stdout).lines().map(|l| serde_json::from_str(l).expect("NDJSON")).collect()
}

fn temp(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rtctool-pcap-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

const CLIENT: [u8; 4] = [198, 51, 100, 7];
const SERVER: [u8; 4] = [203, 0, 113, 10];

fn binding(class: Class, id: u8) -> Vec<u8> {
    let mut b = MessageBuilder::new(class, Method::BINDING, [id; 12]);
    if class == Class::SuccessResponse {
        b.xor_address(attr::XOR_MAPPED_ADDRESS, "198.51.100.7:40000".parse().unwrap());
    }
    b.fingerprint();
    b.finish()
}

#[test]
fn corpus_decodes_with_matching_requests_and_responses() {
    let out = rtctool(&["--ndjson", "pcap", "decode", corpus("turn-eth.pcapng").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let recs = ndjson(&out);
    let first = &recs[0];
    for key in [
        "frame",
        "time",
        "src",
        "dst",
        "transport",
        "kind",
        "via",
        "message_type",
        "class",
        "method",
        "transaction_id",
        "attributes",
        "fingerprint",
        "integrity",
    ] {
        assert!(first.get(key).is_some(), "missing {key} in {first}");
    }
    let response = recs.iter().find(|r| r["class"] == "success-response").unwrap();
    assert!(response["response_to"].as_u64().is_some());
    assert!(response["rtt_ms"].as_f64().unwrap() >= 0.0);
    // TURN over TCP (several messages in one segment) is in this capture.
    assert!(recs.iter().any(|r| r["transport"] == "tcp" && r["method"] == "Allocate"));
    // The wrong-password client gets 401s.
    assert!(recs.iter().any(|r| r["attributes"]
        .as_array()
        .is_some_and(|a| a.iter().any(|x| x["name"] == "ERROR-CODE" && x["value"]["code"] == 401))));
}

#[test]
fn turn_integrity_verifies_with_the_right_password_only() {
    // The corpus README does not give the TURN password; build a TURN exchange instead.
    let key = IntegrityKey::long_term("alice", "example.org", "s3cret", PasswordAlgorithm::Md5);
    let mut req = MessageBuilder::new(Class::Request, Method::ALLOCATE, [9; 12]);
    req.raw(attr::REQUESTED_TRANSPORT, &[17, 0, 0, 0])
        .text(attr::USERNAME, "alice")
        .text(attr::REALM, "example.org");
    req.text(attr::NONCE, "abc").message_integrity(&key).fingerprint();
    let mut resp = MessageBuilder::new(Class::SuccessResponse, Method::ALLOCATE, [9; 12]);
    resp.xor_address(attr::XOR_RELAYED_ADDRESS, "203.0.113.10:50000".parse().unwrap())
        .u32(attr::LIFETIME, 600);
    resp.message_integrity(&key).fingerprint();
    let file = temp(
        "turn.pcap",
        &pcap(&[
            (0, ipv4(17, CLIENT, SERVER, &udp(40000, 3478, &req.finish()))),
            (1500, ipv4(17, SERVER, CLIENT, &udp(3478, 40000, &resp.finish()))),
        ]),
    );
    let f = file.to_str().unwrap();
    let good = ndjson(&rtctool(&[
        "--ndjson",
        "pcap",
        "decode",
        f,
        "--turn-user",
        "alice",
        "--turn-password",
        "s3cret",
    ]));
    assert_eq!(good[0]["integrity"], "ok");
    assert_eq!(good[1]["integrity"], "ok", "the response is checked with the request's credential");
    assert_eq!(good[1]["rtt_ms"], 1.5);
    let bad = ndjson(&rtctool(&[
        "--ndjson",
        "pcap",
        "decode",
        f,
        "--turn-user",
        "alice",
        "--turn-password",
        "nope",
    ]));
    assert_eq!(bad[0]["integrity"], "bad");
    let unknown =
        ndjson(&rtctool(&["--ndjson", "pcap", "decode", f, "--turn-user", "bob", "--turn-password", "x"]));
    assert_eq!(unknown[0]["integrity"], "unchecked", "credentials for another user are not evidence");
    let none = ndjson(&rtctool(&["--ndjson", "pcap", "decode", f]));
    assert_eq!(none[0]["integrity"], "unchecked");
    // --errors: nothing wrong with the right password, the failure with a wrong one.
    let out =
        rtctool(&["pcap", "decode", f, "--errors", "--turn-user", "alice", "--turn-password", "s3cret"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    let out = rtctool(&["pcap", "decode", f, "--errors", "--turn-user", "alice", "--turn-password", "nope"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).contains("INTEGRITY BAD"));
}

#[test]
fn summary_reports_the_allocation() {
    let out = rtctool(&["--json", "pcap", "summary", corpus("turn-eth.pcapng").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let allocs = v["allocations"].as_array().unwrap();
    assert!(
        allocs.iter().any(|a| a["relayed_address"].is_string() && a["lifetime_s"].is_u64()),
        "{allocs:?}"
    );
    assert!(v["transactions"]["requests"].as_u64().unwrap() > 10);
    assert!(v["transactions"]["error_codes"]["401"].as_u64().unwrap() > 0);
    assert!(v["transactions"]["rtt_ms"]["median"].as_f64().is_some());
    let human = rtctool(&["pcap", "summary", corpus("turn-eth.pcapng").to_str().unwrap()]);
    assert!(text(&human.stdout).contains("TURN allocations"));
}

#[test]
fn malformed_captures_report_and_carry_on() {
    for name in ["zeek-stun-malformed-error.pcap", "zeek-stun-attribute-length-ffff.pcap"] {
        let out = rtctool(&["--ndjson", "pcap", "decode", corpus(name).to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(0), "{name}: {}", text(&out.stderr));
        assert_eq!(ndjson(&out).iter().filter(|r| r["kind"] == "stun").count(), 2, "{name}");
    }
    let out =
        rtctool(&["--ndjson", "pcap", "decode", corpus("zeek-stun-malformed-error.pcap").to_str().unwrap()]);
    let recs = ndjson(&out);
    let err = &recs[1];
    assert_eq!(err["class"], "error-response");
    assert!(err["problems"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["message"].as_str().unwrap().contains("ERROR-CODE")));
}

#[test]
fn truncated_capture_reports_where_it_ends() {
    let bytes = std::fs::read(corpus("turn-eth.pcapng")).unwrap();
    let cut = temp("cut.pcapng", &bytes[..bytes.len() / 2 + 3]);
    let out = rtctool(&["pcap", "decode", cut.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("Binding Request"));
    assert!(stdout.contains("ends inside a block"), "{}", &stdout[stdout.len().saturating_sub(300)..]);
}

#[test]
fn not_a_capture_is_an_input_error() {
    let junk = temp("junk.pcap", b"this is not a capture at all");
    let out = rtctool(&["pcap", "decode", junk.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3));
    assert!(text(&out.stderr).contains("not a pcap or pcapng capture"));
    let out = rtctool(&["pcap", "decode", "/nonexistent/x.pcap"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(text(&out.stderr).contains("reading /nonexistent/x.pcap"));
}

#[test]
fn random_packets_never_stop_decoding() {
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut packets = Vec::new();
    for i in 0..300u32 {
        let mut p = Vec::new();
        for _ in 0..(i % 97) {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            p.push(seed as u8);
        }
        // Every third one behind a valid IPv4/UDP header to reach the dissectors.
        if i % 3 == 0 {
            p = ipv4(17, CLIENT, SERVER, &udp(3478, 3478, &p));
        }
        packets.push((i, p));
    }
    packets.push((999, ipv4(17, CLIENT, SERVER, &udp(40000, 3478, &binding(Class::Request, 1)))));
    let file = temp("random.pcap", &pcap(&packets));
    let out = rtctool(&["pcap", "decode", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("Binding Request"), "the valid packet after the junk is decoded");
}

#[test]
fn tcp_stream_reassembly_and_a_never_ending_message() {
    let (m1, m2, m3) =
        (binding(Class::Request, 1), binding(Class::SuccessResponse, 1), binding(Class::Request, 2));
    let mut first = m1.clone();
    first.extend_from_slice(&m3[..10]);
    let mut packets = vec![
        (0, ipv4(6, CLIENT, SERVER, &tcp(40000, 3478, 1000, &first))),
        (10, ipv4(6, CLIENT, SERVER, &tcp(40000, 3478, 1000 + first.len() as u32, &m3[10..]))),
        (20, ipv4(6, SERVER, CLIENT, &tcp(3478, 40000, 5000, &m2))),
    ];
    // Then a header that declares 65,532 bytes and a stream that never delivers them.
    let mut never = vec![0, 1, 0xff, 0xfc, 0x21, 0x12, 0xa4, 0x42];
    never.extend_from_slice(&[7; 12]);
    let mut seq = 1000 + (m1.len() + m3.len()) as u32;
    packets.push((30, ipv4(6, CLIENT, SERVER, &tcp(40000, 3478, seq, &never))));
    seq += never.len() as u32;
    for i in 0..80 {
        packets.push((40 + i, ipv4(6, CLIENT, SERVER, &tcp(40000, 3478, seq, &[0u8; 1400]))));
        seq += 1400;
    }
    let file = temp("tcp.pcap", &pcap(&packets));
    let out = rtctool(&["--ndjson", "pcap", "decode", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let recs = ndjson(&out);
    let stun: Vec<_> = recs.iter().filter(|r| r["kind"] == "stun").collect();
    assert_eq!(stun.len(), 4, "two requests, one response, and the 64 KiB message once it completes");
    assert_eq!(stun[1]["frame"], 2, "the message split across segments completes in frame 2");
    assert_eq!(stun[2]["response_to"], 1);
    assert_eq!(stun[3]["length"], 65532);
}

#[test]
fn pcapng_timestamp_resolution_is_honoured() {
    // One interface with if_tsresol = 9 (nanoseconds); pcap-file alone would read the ticks
    // as nanoseconds whatever the resolution, so also check a microsecond interface.
    let pkt = ipv4(17, CLIENT, SERVER, &udp(40000, 3478, &binding(Class::Request, 3)));
    let mut f = Vec::new();
    let block = |f: &mut Vec<u8>, typ: u32, body: &[u8]| {
        let len = (12 + body.len()) as u32;
        f.extend_from_slice(&typ.to_le_bytes());
        f.extend_from_slice(&len.to_le_bytes());
        f.extend_from_slice(body);
        f.extend_from_slice(&len.to_le_bytes());
    };
    block(
        &mut f,
        0x0a0d0d0a,
        &[0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
    );
    // IDB: linktype 101, snaplen 0, options: if_tsresol(9) = 9, end.
    block(&mut f, 1, &[101, 0, 0, 0, 0, 0, 0, 0, 9, 0, 1, 0, 9, 0, 0, 0, 0, 0, 0, 0]);
    // IDB 1: default resolution (µs).
    block(&mut f, 1, &[101, 0, 0, 0, 0, 0, 0, 0]);
    for (iface, ticks) in [(0u32, 1_700_000_000_123_456_789u64), (1, 1_700_000_000_123_456u64)] {
        let mut body = Vec::new();
        body.extend_from_slice(&iface.to_le_bytes());
        body.extend_from_slice(&((ticks >> 32) as u32).to_le_bytes());
        body.extend_from_slice(&(ticks as u32).to_le_bytes());
        body.extend_from_slice(&(pkt.len() as u32).to_le_bytes());
        body.extend_from_slice(&(pkt.len() as u32).to_le_bytes());
        body.extend_from_slice(&pkt);
        while body.len() % 4 != 0 {
            body.push(0);
        }
        block(&mut f, 6, &body);
    }
    let file = temp("tsresol.pcapng", &f);
    let recs = ndjson(&rtctool(&["--ndjson", "pcap", "decode", file.to_str().unwrap()]));
    let recs: Vec<_> = recs.iter().filter(|r| r["kind"] == "stun").collect();
    assert_eq!(recs.len(), 2);
    for r in &recs {
        let t = r["time"].as_f64().unwrap();
        assert!((t - 1_700_000_000.123_456).abs() < 1e-5, "time {t}");
    }
}

#[test]
fn filters_select_what_was_asked() {
    let f = corpus("ndpi-stun.pcap");
    let f = f.to_str().unwrap();
    let recs = ndjson(&rtctool(&["--ndjson", "pcap", "decode", f, "--only", "ice"]));
    assert!(!recs.is_empty());
    assert!(recs
        .iter()
        .all(|r| (r["kind"] == "stun" || r["kind"] == "unanswered-request") && r["method"] == "Binding"));
    let recs = ndjson(&rtctool(&["--ndjson", "pcap", "decode", f, "--only", "turn"]));
    assert!(recs.iter().any(|r| r["kind"] == "channel-data"));
    assert!(recs.iter().all(|r| r["kind"] == "channel-data" || r["method"] != "Binding"));
    let recs = ndjson(&rtctool(&["--ndjson", "pcap", "decode", f, "--txid", "F3439453"]));
    assert!(recs.len() >= 4);
    assert!(recs.iter().all(|r| r["transaction_id"] == "f3439453b698fb2950bb06ed"));
    // Unanswered requests close the NDJSON stream as records of their own.
    let recs = ndjson(&rtctool(&[
        "--ndjson",
        "pcap",
        "decode",
        corpus("zeek-stun-attribute-length-ffff.pcap").to_str().unwrap(),
    ]));
    assert!(recs.iter().all(|r| r["kind"] != "unanswered-request"));
    let recs = ndjson(&rtctool(&["--ndjson", "pcap", "decode", f, "--flow", "10.206.50.239:42000"]));
    assert!(recs.iter().all(|r| r["src"] == "10.206.50.239:42000" || r["dst"] == "10.206.50.239:42000"));
    let out = rtctool(&["--ndjson", "pcap", "decode", f, "--errors"]);
    assert_eq!(out.status.code(), Some(1), "errors were found");
    let unanswered: Vec<_> = ndjson(&out).into_iter().filter(|r| r["kind"] == "unanswered-request").collect();
    assert!(!unanswered.is_empty());
    assert!(unanswered.iter().all(|r| r["transaction_id"].as_str().unwrap().len() == 24), "{unanswered:?}");
    let out = rtctool(&["pcap", "decode", f, "--flow", "nonsense"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn stun_inside_turn_and_icmp_is_marked_via() {
    let recs = ndjson(&rtctool(&["--ndjson", "pcap", "decode", corpus("ndpi-stun.pcap").to_str().unwrap()]));
    for via in ["channel-data", "data-attribute", "icmp-error"] {
        assert!(recs.iter().any(|r| r["via"] == via && r["kind"] == "stun"), "no STUN via {via}");
    }
    // A verbose tree shows every attribute.
    let out = rtctool(&["pcap", "decode", "-V", corpus("turn-eth.pcapng").to_str().unwrap()]);
    assert!(text(&out.stdout).contains("XOR-RELAYED-ADDRESS: "));
}

#[test]
fn a_real_webrtc_call_through_turn() {
    let f = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pcap/webrtc-call-via-turn.pcapng");
    let f = f.to_str().unwrap();
    let recs = ndjson(&rtctool(&[
        "--ndjson",
        "pcap",
        "decode",
        f,
        "--turn-user",
        "alice",
        "--turn-password",
        "wonderland",
    ]));
    let stun: Vec<_> = recs.iter().filter(|r| r["kind"] == "stun").collect();
    // The TURN exchanges verify with the right credential; nothing is `bad`; ICE checks, whose
    // passwords were not given, stay unchecked.
    assert!(stun.iter().filter(|r| r["integrity"] == "ok").count() >= 10);
    assert!(stun.iter().all(|r| r["integrity"] != "bad"));
    assert!(stun.iter().all(|r| r["fingerprint"] != "bad"));
    // The media of the call is found inside ChannelData: DTLS, RTP, RTCP and ICE checks.
    for kind in ["dtls", "rtp", "rtcp", "stun"] {
        assert!(
            recs.iter().any(|r| r["kind"] == kind && r["via"] == "channel-data"),
            "no {kind} inside ChannelData"
        );
    }
    let wrong =
        ndjson(&rtctool(&["--ndjson", "pcap", "decode", f, "--turn-user", "alice", "--turn-password", "x"]));
    assert!(wrong.iter().filter(|r| r["integrity"] == "bad").count() >= 10);

    let out = rtctool(&["--json", "pcap", "summary", f]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let allocs = v["allocations"].as_array().unwrap();
    assert_eq!(allocs.len(), 2);
    for a in allocs {
        assert_eq!(a["ended"], "released (Refresh with lifetime 0)");
        assert_eq!(a["channels"].as_array().unwrap().len(), 1);
        assert!(a["bytes_relayed"].as_u64().unwrap() > 100_000);
    }
    assert!(v["ice_checks"].as_array().unwrap().iter().any(|p| p["nominated"] == true));
    assert!(v["dtls"].as_array().unwrap().iter().all(|d| d["completed"] == true));
    let rtp = v["rtp_streams"].as_array().unwrap();
    assert!(rtp.iter().all(|s| s["lost"] == 0), "{rtp:?}");
    assert!(rtp.iter().any(|s| s["payload_type"] == 111) && rtp.iter().any(|s| s["payload_type"] == 96));
}

/// The plain line is written the same whichever path makes it: the one of the unfiltered
/// output (transactions matched and the messages inside ChannelData queued for the output
/// thread) and the one filters take (everything on the dissecting thread). Every packet of the
/// call involves 127.0.0.1, so the filter keeps them all.
#[test]
fn plain_lines_are_the_same_with_and_without_a_filter() {
    let f = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pcap/webrtc-call-via-turn.pcapng");
    let f = f.to_str().unwrap();
    let plain = text(&rtctool(&["pcap", "decode", f]).stdout);
    let filtered = text(&rtctool(&["pcap", "decode", "--flow", "127.0.0.1", f]).stdout);
    assert_eq!(plain, filtered);
    // ICE checks inside ChannelData, answered.
    assert!(plain.lines().any(|l| l.contains("[in channel-data] Binding") && l.contains("(answers #")));
    assert!(plain.lines().count() > 2500);
}

#[test]
fn fragments_dropped_by_the_bounded_reassembly_are_reported() {
    // 100 first fragments that never complete: more than the reassembly buffer keeps.
    let packets: Vec<(u32, Vec<u8>)> = (0..100u16)
        .map(|id| {
            let mut p = ipv4(17, CLIENT, SERVER, &udp(40000, 3478, &[0u8; 64]));
            p[4..6].copy_from_slice(&id.to_be_bytes());
            p[6] = 0x20; // more fragments, offset 0
            (u32::from(id), p)
        })
        .collect();
    let file = temp("fragments.pcap", &pcap(&packets));
    let out = rtctool(&["pcap", "decode", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        text(&out.stdout).contains("fragmented IP datagrams were dropped unassembled"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn a_closed_output_ends_decoding_quietly() {
    // 200,000 requests: far more output than a pipe buffer holds.
    let packets: Vec<(u32, Vec<u8>)> = (0..200_000u32)
        .map(|i| {
            (i % 1_000_000, ipv4(17, CLIENT, SERVER, &udp(40000, 3478, &binding(Class::Request, i as u8))))
        })
        .collect();
    let path = temp("many.pcap", &pcap(&packets));
    let mut child = Command::new(env!("CARGO_BIN_EXE_rtctool"))
        .args(["pcap", "decode", path.to_str().unwrap()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run rtctool");
    let mut first = String::new();
    {
        use std::io::BufRead;
        let mut lines = std::io::BufReader::new(child.stdout.take().unwrap());
        lines.read_line(&mut first).unwrap();
    } // the read end closes here, as `| head -1` does
    let out = child.wait_with_output().unwrap();
    assert!(first.contains("Binding Request"), "{first}");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(!text(&out.stderr).contains("writing output"), "{}", text(&out.stderr));
}

#[test]
fn ipv6_fragments_are_reassembled() {
    // A Binding success response split into two IPv6 fragments, the second first.
    let udp = udp(3478, 40000, &binding(Class::SuccessResponse, 9));
    let fragment = |offset: u16, more: bool, data: &[u8]| {
        let mut p = vec![0x60, 0, 0, 0, 0, 0, 44, 64];
        p.extend_from_slice(&"2001:db8::10".parse::<std::net::Ipv6Addr>().unwrap().octets());
        p.extend_from_slice(&"2001:db8::7".parse::<std::net::Ipv6Addr>().unwrap().octets());
        p[4..6].copy_from_slice(&((8 + data.len()) as u16).to_be_bytes());
        p.extend_from_slice(&[17, 0]);
        p.extend_from_slice(&((offset << 3) | u16::from(more)).to_be_bytes());
        p.extend_from_slice(&0x0bad_cafeu32.to_be_bytes());
        p.extend_from_slice(data);
        p
    };
    let packets = [(1, fragment(3, false, &udp[24..])), (2, fragment(0, true, &udp[..24]))];
    let path = temp("ipv6-fragments.pcap", &pcap(&packets));
    let out = rtctool(&["--ndjson", "pcap", "decode", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let records = ndjson(&out);
    assert_eq!(records.len(), 1, "{records:#?}");
    assert_eq!(records[0]["frame"], 2);
    assert_eq!(records[0]["src"], "[2001:db8::10]:3478");
    assert_eq!(records[0]["class"], "success-response");
    assert_eq!(records[0]["fingerprint"], "ok");
}

#[test]
fn coturn_clients_through_the_nat_lab() {
    // turnutils_uclient over TCP from behind the NAT lab's router, captured on both of its
    // interfaces (tests/fixtures/pcap/README.md): every message is seen twice, inside and out.
    let file =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pcap/coturn-uclient-tcp-nat.pcapng");
    let out = rtctool(&["--ndjson", "pcap", "decode", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stderr.is_empty(), "no problem in a clean capture: {}", text(&out.stderr));
    let records = ndjson(&out);
    let stun: Vec<_> = records.iter().filter(|r| r["kind"] == "stun").collect();
    let inside = stun.iter().filter(|r| r["src"].as_str().unwrap().starts_with("10.0.0.2:")).count();
    let outside = stun.iter().filter(|r| r["src"].as_str().unwrap().starts_with("203.0.113.1:")).count();
    assert_eq!((stun.len(), inside, outside), (140, 35, 35), "both legs of 35 transactions");
    // ChannelData on channels above 0x4FFF (RFC 5766's range, which coturn uses) over TCP.
    let channels: Vec<u64> = records
        .iter()
        .filter(|r| r["kind"] == "channel-data")
        .map(|r| r["channel"].as_u64().unwrap())
        .collect();
    assert_eq!(channels.len(), 64);
    assert!(channels.iter().any(|c| *c > 0x4fff), "{channels:x?}");
    let out = rtctool(&["--json", "pcap", "summary", file.to_str().unwrap()]);
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let allocations = j["allocations"].as_array().unwrap();
    assert_eq!(allocations.len(), 5, "{j:#}");
    assert!(allocations
        .iter()
        .all(|a| a["transport"] == "tcp" && a["client"].as_str().unwrap().starts_with("203.0.113.1:")));
    assert_eq!(j["transactions"]["unanswered"], 0);
    assert_eq!(j["transactions"]["error_codes"]["401"], 5);
}

/// `--json` is one document holding what `--ndjson` streams: the same records, in order, with
/// the problems and the unanswered requests after them, and only those the filters select.
#[test]
fn json_document_holds_the_ndjson_records() {
    let f = corpus("turn-eth.pcapng");
    let f = f.to_str().unwrap();
    for filter in [&[][..], &["--flow", "203.0.113.10:3478"][..]] {
        let mut json_args = vec!["--json", "pcap", "decode", f];
        json_args.extend_from_slice(filter);
        let out = rtctool(&json_args);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
        let mut nd_args = vec!["--ndjson", "pcap", "decode", f];
        nd_args.extend_from_slice(filter);
        let (unanswered, messages): (Vec<_>, Vec<_>) =
            ndjson(&rtctool(&nd_args)).into_iter().partition(|r| r["kind"] == "unanswered-request");
        assert!(!messages.is_empty());
        assert_eq!(doc["messages"].as_array().unwrap(), &messages, "filter {filter:?}");
        let listed = doc["unanswered_requests"].as_array().unwrap();
        assert_eq!(listed.len(), unanswered.len(), "filter {filter:?}");
        for (doc_entry, nd) in listed.iter().zip(&unanswered) {
            assert_eq!(doc_entry["transaction_id"], nd["transaction_id"]);
            assert_eq!(doc_entry["frame"], nd["frame"]);
        }
        assert_eq!(doc["problems"], serde_json::json!([]));
    }
}

/// A capture with tens of thousands of bad packets: every problem reaches the `--json`
/// document (past the bound where they move out of memory), in order, after every message.
#[test]
fn json_document_keeps_every_problem_of_a_hostile_capture() {
    let mut packets: Vec<(u32, Vec<u8>)> = (0..30_000u32).map(|i| (i, vec![0x45, 0, 0])).collect();
    packets.push((40_000, ipv4(17, CLIENT, SERVER, &udp(40000, 3478, &binding(Class::Request, 1)))));
    let file = temp("many-problems.pcap", &pcap(&packets));
    let out = rtctool(&["--json", "pcap", "decode", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    let problems = doc["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 30_000);
    let frames: Vec<u64> = problems.iter().map(|p| p["frame"].as_u64().unwrap()).collect();
    assert_eq!(frames, (1..=30_000).collect::<Vec<_>>());
    assert_eq!(doc["messages"].as_array().unwrap().len(), 1);
    assert_eq!(doc["messages"][0]["frame"], 30_001);
    assert_eq!(doc["unanswered_requests"].as_array().unwrap().len(), 1);
}

/// Past 65,536 requests the oldest are forgotten, and the end of the output says how many were
/// still unanswered, in plain lines and trees alike; responses to the requests kept still match.
#[test]
fn forgotten_requests_are_reported_at_the_end() {
    let n = 65_536 + 5;
    let mut packets = Vec::new();
    for i in 0..n as u32 {
        let mut id = [0u8; 12];
        id[..4].copy_from_slice(&i.to_be_bytes());
        let req = MessageBuilder::new(Class::Request, Method::BINDING, id).finish();
        packets.push((i % 1_000_000, ipv4(17, CLIENT, SERVER, &udp(40000, 3478, &req))));
    }
    let mut last = [0u8; 12];
    last[..4].copy_from_slice(&(n as u32 - 1).to_be_bytes());
    let resp = MessageBuilder::new(Class::SuccessResponse, Method::BINDING, last).finish();
    packets.push((999_999, ipv4(17, SERVER, CLIENT, &udp(3478, 40000, &resp))));
    let file = temp("forgotten.pcap", &pcap(&packets));
    let f = file.to_str().unwrap();
    for extra in [&[][..], &["-V"][..]] {
        let mut args = vec!["--color", "never", "pcap", "decode", f];
        args.extend_from_slice(extra);
        let out = rtctool(&args);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let stdout = text(&out.stdout);
        let lines: Vec<&str> = stdout.lines().collect();
        assert!(
            lines.last().unwrap().contains(
                "problem: 5 requests were forgotten while still unanswered (the table keeps the latest 65536"
            ),
            "{extra:?}: {:?}",
            &lines[lines.len().saturating_sub(3)..]
        );
        let answer = format!("Binding Success Response txid=000100040000000000000000  (answers #{n}, ");
        assert!(stdout.contains(&answer), "{extra:?}");
    }
}

#[test]
fn ice_checks_verify_with_the_password_of_an_sdp_read_like_the_sdp_commands_read_it() {
    // A connectivity check signed with the answerer's ice-pwd (short-term: the key is the
    // password itself), as a browser sends it.
    let pwd = "asd88fgpdd777uzjYhagZg";
    let key = IntegrityKey::short_term(pwd);
    let mut check = MessageBuilder::new(Class::Request, Method::BINDING, [4; 12]);
    check.text(attr::USERNAME, "8hhY:EsQm").u32(attr::PRIORITY, 1_853_824_767);
    check.message_integrity(&key).fingerprint();
    let file =
        temp("ice-check.pcap", &pcap(&[(0, ipv4(17, CLIENT, SERVER, &udp(40000, 50000, &check.finish())))]));
    let f = file.to_str().unwrap();
    let sdp = format!(
        "v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=ice-ufrag:8hhY\r\na=ice-pwd:{pwd}\r\n"
    );
    // JSON-wrapped, as RTCPeerConnection.localDescription serialises, from standard input.
    let json = serde_json::json!({"type": "answer", "sdp": sdp}).to_string();
    let mut child = Command::new(env!("CARGO_BIN_EXE_rtctool"))
        .args(["--ndjson", "pcap", "decode", f, "--sdp", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(json.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(ndjson(&out)[0]["integrity"], "ok");
    // Not SDP at all, and an SDP without ICE credentials, are input errors that say which.
    let junk = temp("junk.sdp", b"hello");
    let out = rtctool(&["pcap", "decode", f, "--sdp", junk.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3));
    assert!(text(&out.stderr).contains("not SDP"), "{}", text(&out.stderr));
    let bare = temp("bare.sdp", b"v=0\r\ns=-\r\nm=audio 9 RTP/AVP 0\r\n");
    let out = rtctool(&["pcap", "decode", f, "--sdp", bare.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3));
    assert!(text(&out.stderr).contains("no a=ice-ufrag/a=ice-pwd pair"), "{}", text(&out.stderr));
}

/// A request and its answer, one after the other, 70,000 times: the table forgets the oldest
/// past its bound, but they were answered, so nothing is reported forgotten and nothing is
/// unanswered.
#[test]
fn sequential_answered_requests_are_not_reported_forgotten() {
    let mut f = pcap(&[]);
    for i in 0..70_000u32 {
        let mut id = [0u8; 12];
        id[..4].copy_from_slice(&i.to_be_bytes());
        let req = MessageBuilder::new(Class::Request, Method::BINDING, id).finish();
        let resp = MessageBuilder::new(Class::SuccessResponse, Method::BINDING, id).finish();
        common::capture::record(&mut f, i % 1_000_000, &ipv4(17, CLIENT, SERVER, &udp(40000, 3478, &req)));
        common::capture::record(&mut f, i % 1_000_000, &ipv4(17, SERVER, CLIENT, &udp(3478, 40000, &resp)));
    }
    let file = temp("sequential.pcap", &f);
    let f = file.to_str().unwrap();
    let out = rtctool(&["--color", "never", "pcap", "decode", "--errors", f]);
    assert_eq!(out.status.code(), Some(0), "nothing found: {}", text(&out.stdout));
    assert!(out.stdout.is_empty());
    let doc: serde_json::Value =
        serde_json::from_slice(&rtctool(&["--json", "pcap", "summary", f]).stdout).unwrap();
    assert_eq!(doc["transactions"]["requests"], 70_000);
    assert_eq!(doc["transactions"]["answered"], 70_000);
    assert_eq!(doc["transactions"]["unanswered"], 0);
    assert_eq!(doc["capture_problems"], serde_json::json!([]));
}

/// A link type rtctool does not decode is said, at its first packet and with a count at the
/// end: the packets do not vanish silently.
#[test]
fn an_unknown_link_type_is_reported() {
    let p = ipv4(17, CLIENT, SERVER, &udp(40000, 3478, &binding(Class::Request, 1)));
    let file = temp("linktype147.pcap", &pcap_of(147, [(1, &p[..]), (2, &p[..]), (3, &p[..])]));
    let f = file.to_str().unwrap();
    let out = rtctool(&["--color", "never", "pcap", "decode", "--errors", f]);
    assert_eq!(out.status.code(), Some(1), "a problem is something found");
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("     1 problem: link type 147 is not decoded: rtctool decodes Ethernet"),
        "{stdout}"
    );
    assert!(stdout.contains("     - problem: 3 packets of link type 147 were skipped"), "{stdout}");
    let human = text(&rtctool(&["pcap", "summary", f]).stdout);
    assert!(human.contains("problem: 3 packets of link type 147 were skipped"), "{human}");
}

/// A record that claims a gigabyte is damage, not the end of the capture: decoding picks up at
/// the next record that makes sense, and says what it skipped.
#[test]
fn an_absurd_record_length_is_skipped_not_the_end() {
    let packet = |i: u8| ipv4(17, CLIENT, SERVER, &udp(40000, 3478, &binding(Class::Request, i)));
    let mut f = pcap(&[(1, packet(1)), (2, packet(2))]);
    let damaged = f.len();
    common::capture::record(&mut f, 3, &packet(3));
    f[damaged + 8..damaged + 12].copy_from_slice(&(1u32 << 30).to_le_bytes());
    for i in 4..7 {
        common::capture::record(&mut f, u32::from(i), &packet(i));
    }
    let file = temp("absurd-record.pcap", &f);
    let out = rtctool(&["--json", "pcap", "decode", file.to_str().unwrap()]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<String> = doc["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["transaction_id"].as_str().unwrap()[..2].to_string())
        .collect();
    assert_eq!(ids, ["01", "02", "04", "05", "06"], "the packets after the damage are decoded");
    let problem = &doc["problems"][0];
    assert_eq!(problem["frame"], serde_json::Value::Null, "a problem of the file, not of a frame");
    let message = problem["message"].as_str().unwrap();
    assert!(
        message.starts_with(&format!("file offset {damaged}: packet record claims 1073741824 bytes")),
        "{message}"
    );
    assert!(message.contains("skipped 72 bytes to the next record that makes sense"), "{message}");
    // On stderr with --ndjson, named by its offset, not as "frame 0".
    let out = rtctool(&["--ndjson", "pcap", "decode", file.to_str().unwrap()]);
    assert!(
        text(&out.stderr).starts_with(&format!("rtctool: file offset {damaged}: ")),
        "{}",
        text(&out.stderr)
    );
}

/// TCP reassembly: messages left unfinished at the end are reported, a stream reset inside one
/// too, all streams together hold at most 4 MiB (the oldest unfinished message goes first,
/// said), and segments of a TCP stream that is not STUN are counted as what they are.
#[test]
fn tcp_reassembly_is_bounded_and_says_what_it_drops() {
    let mut f = pcap(&[]);
    let mut seq = [1u32; 100];
    for round in 0..50u32 {
        for (i, s) in seq.iter_mut().enumerate() {
            let data = if round == 0 {
                // An Allocate that claims 65,532 bytes of attributes and never gets them.
                let mut m = vec![0, 3, 0xff, 0xfc, 0x21, 0x12, 0xa4, 0x42];
                m.extend_from_slice(&[i as u8; 12]);
                m.resize(1000, 0);
                m
            } else {
                vec![0u8; 1000]
            };
            let src = [10, 0, 0, i as u8];
            common::capture::record(&mut f, round, &ipv4(6, src, SERVER, &tcp(40000, 3478, *s, &data)));
            *s += data.len() as u32;
        }
    }
    for i in 0..3u32 {
        let http = format!("GET /{i} HTTP/1.1\r\nHost: example.net\r\n\r\n");
        common::capture::record(
            &mut f,
            60,
            &ipv4(6, CLIENT, SERVER, &tcp(50000, 80, 1 + i * 100, http.as_bytes())),
        );
    }
    let file = temp("tcp-unfinished.pcap", &f);
    let f = file.to_str().unwrap();
    let out = rtctool(&["--color", "never", "pcap", "decode", f]);
    let stdout = text(&out.stdout);
    let dropped = stdout
        .lines()
        .filter(|l| {
            l.contains("of an unfinished message dropped (reassembly holds at most 4 MiB across streams)")
        })
        .count();
    assert!(dropped > 0 && dropped < 100, "{dropped}");
    assert!(
        stdout.lines().any(|l| l.contains("problem: TCP stream 10.0.0.0:40000 → 203.0.113.10:3478: ")
            && l.contains(" bytes of an unfinished message dropped")),
        "the oldest first: {stdout}"
    );
    let named = stdout
        .lines()
        .filter(|l| l.starts_with("     - problem: TCP stream ") && l.contains("ended inside a message"))
        .count();
    assert_eq!(named, 10);
    assert!(stdout.contains(" more ended inside a message ("), "{stdout}");
    let doc: serde_json::Value =
        serde_json::from_slice(&rtctool(&["--json", "pcap", "summary", f]).stdout).unwrap();
    let web = doc["flows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|fl| fl["b"] == "203.0.113.10:80")
        .expect("the web flow is listed");
    assert_eq!(web["kinds"]["other"]["packets"], 3);
    assert!(doc["capture_problems"].as_array().unwrap().len() >= 11);
}

/// Fragments that never complete are reported at the end, not dropped in silence.
#[test]
fn fragments_pending_at_the_end_are_reported() {
    let mut p = ipv4(17, CLIENT, SERVER, &udp(40000, 3478, &[0u8; 64]));
    p[6] = 0x20; // more fragments, offset 0
    let file = temp("fragment-pending.pcap", &pcap(&[(1, p)]));
    let out = rtctool(&["--color", "never", "pcap", "decode", "--errors", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stdout)
            .contains("     - problem: 1 IP datagram still missing fragments at the end of the capture"),
        "{}",
        text(&out.stdout)
    );
}

/// The summary's tables keep 10,000 rows; what does not fit is counted and said, and the
/// transaction totals stay exact.
#[test]
fn summary_tables_are_bounded_and_say_what_they_leave_out() {
    let mut f = pcap(&[]);
    for i in 0..10_500u32 {
        let client = [10, 1, (i >> 8) as u8, i as u8];
        let mut id = [0u8; 12];
        id[..4].copy_from_slice(&i.to_be_bytes());
        let req = MessageBuilder::new(Class::Request, Method::BINDING, id).finish();
        let resp = MessageBuilder::new(Class::SuccessResponse, Method::BINDING, id).finish();
        common::capture::record(&mut f, i, &ipv4(17, client, SERVER, &udp(40000, 3478, &req)));
        common::capture::record(&mut f, i, &ipv4(17, SERVER, client, &udp(3478, 40000, &resp)));
    }
    let file = temp("many-flows.pcap", &f);
    let f = file.to_str().unwrap();
    let doc: serde_json::Value =
        serde_json::from_slice(&rtctool(&["--json", "pcap", "summary", f]).stdout).unwrap();
    assert_eq!(doc["flows"].as_array().unwrap().len(), 10_000);
    assert_eq!(doc["not_listed"]["flow_packets"], 1_000);
    assert_eq!(doc["not_listed"]["rows_per_table"], 10_000);
    assert_eq!(doc["transactions"]["requests"], 10_500);
    assert_eq!(doc["transactions"]["answered"], 10_500);
    let human = text(&rtctool(&["pcap", "summary", f]).stdout);
    assert!(human.contains("Flows (10000)"));
    assert!(
        human.contains(
            "and 1000 packets on further flows not listed: the summary keeps the first 10000 flows"
        ),
        "{}",
        &human[human.len() - 400..]
    );
}
