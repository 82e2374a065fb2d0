//! `rtctool gather` in the NAT lab (client / router with nftables / server running coturn with
//! long-term credentials `lab:lab`, realm `lab.test`): srflx is the NAT's address, relays over
//! UDP and TCP, IPv6 through NAT66, a symmetric NAT seen from two servers, UDP blocked with
//! TCP still working, wrong credentials, a port nobody listens on.
//!
//! Needs root; skips with a reason otherwise, unless CI=true (then it fails).

mod lab;

use lab::Lab;
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_rtctool");

struct Run {
    json: Value,
    code: i32,
    stderr: String,
}

fn gather(lab: &Lab, args: &[&str]) -> Run {
    let mut all = vec!["--json", "gather"];
    all.extend_from_slice(args);
    let out = lab.client(BIN, &all);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let json = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!("not JSON ({e}):\n{stdout}\nstderr:\n{}", String::from_utf8_lossy(&out.stderr))
    });
    Run { json, code: out.status.code().unwrap_or(-1), stderr: String::from_utf8_lossy(&out.stderr).into() }
}

fn of_type<'a>(j: &'a Value, typ: &str) -> Vec<&'a Value> {
    j["candidates"].as_array().unwrap().iter().filter(|c| c["type"] == typ).collect()
}

fn parts(c: &Value) -> (u64, u64, u64) {
    let p = c["priority"].as_u64().unwrap();
    (p >> 24, (p >> 8) & 0xffff, 256 - (p & 0xff))
}

fn server<'a>(j: &'a Value, url: &str) -> &'a Value {
    j["servers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["url"] == url)
        .unwrap_or_else(|| panic!("no {url}: {j:#}"))
}

/// 127 << 8 | precedence: the client's only interface ranks first.
const LOCAL_PREF_V4: u64 = (127 << 8) | 30;
const LOCAL_PREF_V6: u64 = (127 << 8) | 40;

#[test]
fn port_restricted_nat_host_srflx_relay() {
    if !lab::available("gather behind a port-restricted NAT") {
        return;
    }
    let lab = Lab::up("port-restricted");
    let run = gather(
        &lab,
        &[
            "--stun",
            "stun:203.0.113.10",
            "--stun",
            "stun:[2001:db8:2::10]",
            "--turn",
            "turn:lab:lab@203.0.113.10",
            "--turn",
            "turn:lab:lab@203.0.113.10?transport=tcp",
            "--turn",
            "turn:lab:lab@[2001:db8:2::10]",
        ],
    );
    let j = &run.json;
    assert_eq!(run.code, 0, "{j:#}\n{}", run.stderr);

    // Host: the client's own addresses; no loopback, no link-local.
    let hosts = of_type(j, "host");
    let host4 = hosts.iter().find(|c| c["address"] == "10.0.0.2").expect("host 10.0.0.2");
    let host6 = hosts.iter().find(|c| c["address"] == "2001:db8:1::2").expect("host 2001:db8:1::2");
    assert_eq!(hosts.len(), 2, "{j:#}");
    assert_eq!(parts(host4), (126, LOCAL_PREF_V4, 1));
    assert_eq!(parts(host6), (126, LOCAL_PREF_V6, 1));

    // srflx: the NAT's public address (port kept by the NAT), related to the host candidate.
    let srflx = of_type(j, "srflx");
    assert_eq!(srflx.len(), 2, "one per family, the TURN server's mapping not repeated: {j:#}");
    let s4 = srflx.iter().find(|c| c["address"] == "203.0.113.1").expect("srflx 203.0.113.1");
    assert_eq!(parts(s4), (100, LOCAL_PREF_V4, 1));
    assert_eq!(s4["related_address"], "10.0.0.2");
    assert_eq!(s4["related_port"], host4["port"]);
    assert_eq!(s4["url"], "stun:203.0.113.10");
    let s6 = srflx.iter().find(|c| c["address"] == "2001:db8:2::1").expect("srflx through NAT66");
    assert_eq!(parts(s6), (100, LOCAL_PREF_V6, 1));

    // Relays: UDP (type preference 2), TCP (1), IPv6 (asked with REQUESTED-ADDRESS-FAMILY).
    let relays = of_type(j, "relay");
    assert_eq!(relays.len(), 3, "{j:#}");
    // coturn relays from either of its addresses.
    let on_server = |c: &Value, a: &str, b: &str| c["address"] == a || c["address"] == b;
    let r_udp = relays
        .iter()
        .find(|c| c["relay_protocol"] == "udp" && on_server(c, "203.0.113.10", "203.0.113.11"))
        .expect("an IPv4 relay over UDP");
    assert_eq!(parts(r_udp), (2, LOCAL_PREF_V4, 1));
    assert_eq!(r_udp["related_address"], "203.0.113.1");
    let r_tcp = relays.iter().find(|c| c["relay_protocol"] == "tcp").expect("relay over TCP");
    assert_eq!(parts(r_tcp), (1, LOCAL_PREF_V4, 1));
    let r_v6 =
        relays.iter().find(|c| on_server(c, "2001:db8:2::10", "2001:db8:2::11")).expect("an IPv6 relay");
    assert_eq!(parts(r_v6), (2, LOCAL_PREF_V6, 1));

    for s in j["servers"].as_array().unwrap() {
        assert_eq!(s["ok"], true, "{s:#}");
        assert!(s["software"].as_str().unwrap_or("").contains("Coturn"), "{s:#}");
        if s["kind"] == "turn" {
            assert_eq!(s["released"], true, "{s:#}");
            assert_eq!(s["realm"], "lab.test");
        }
    }
    let t = server(j, "turn:lab@203.0.113.10");
    assert_eq!(t["mapped_address"], format!("203.0.113.1:{}", host4["port"]));
    assert_eq!(j["counts"], serde_json::json!({"host": 2, "srflx": 2, "relay": 3}));
}

#[test]
fn symmetric_nat_gives_each_server_another_mapping() {
    if !lab::available("gather behind a symmetric NAT") {
        return;
    }
    let lab = Lab::up("symmetric");
    let run = gather(
        &lab,
        &[
            "-4",
            "--stun",
            "stun:203.0.113.10",
            "--stun",
            "stun:203.0.113.11",
            "--turn",
            "turn:lab:lab@203.0.113.10",
        ],
    );
    let j = &run.json;
    assert_eq!(run.code, 0, "{j:#}");
    let srflx = of_type(j, "srflx");
    assert_eq!(srflx.len(), 2, "{j:#}");
    // The relay test passes behind a symmetric NAT: the relay sees our datagram come from
    // another port than our mapping towards the server, and the outbound probe goes there.
    let t = server(j, "turn:lab@203.0.113.10");
    let rt = &t["relay_test"];
    assert_eq!(rt["ok"], true, "{t:#}");
    assert_eq!(rt["peer"], t["mapped_address"]);
    assert_ne!(rt["seen_from"], rt["peer"], "a symmetric NAT maps the relay apart: {rt:#}");
    assert_eq!(rt["via"], "send-indication", "no channel is bound to that port: {rt:#}");
    assert_ne!(srflx[0]["port"], srflx[1]["port"]);
    assert!(
        j["diagnosis"].as_array().unwrap().iter().any(|d| d.as_str().unwrap().contains("symmetric")),
        "{j:#}"
    );
}

#[test]
fn udp_blocked_but_tcp_relays() {
    if !lab::available("gather with UDP blocked") {
        return;
    }
    let lab = Lab::up("blocked");
    let run = gather(
        &lab,
        &[
            "-4",
            "--timeout",
            "1s",
            "--stun",
            "stun:203.0.113.10",
            "--turn",
            "turn:lab:lab@203.0.113.10",
            "--turn",
            "turn:lab:lab@203.0.113.10?transport=tcp",
        ],
    );
    let j = &run.json;
    assert_eq!(run.code, 1, "a server failed, another worked: {j:#}");
    assert!(of_type(j, "srflx").is_empty());
    let relays = of_type(j, "relay");
    assert_eq!(relays.len(), 1);
    assert_eq!(relays[0]["relay_protocol"], "tcp");
    // With UDP blocked no address of ours the relay could reach is known: the relay test
    // over TCP is skipped, and says why.
    let tcp = server(j, "turn:lab@203.0.113.10?transport=tcp");
    assert_eq!(tcp["ok"], true, "{tcp:#}");
    assert_eq!(tcp["relay_test"], Value::Null, "{tcp:#}");
    assert!(tcp["note"].as_str().unwrap().contains("relay test skipped"), "{tcp:#}");
    let stun = server(j, "stun:203.0.113.10");
    assert_eq!(stun["error"]["kind"], "timeout");
    assert!(
        stun["error"]["reason"].as_str().unwrap().contains("no answer after 3 transmissions"),
        "{stun:#}"
    );
    let d: Vec<&str> = j["diagnosis"].as_array().unwrap().iter().map(|d| d.as_str().unwrap()).collect();
    assert!(d.iter().any(|l| l.starts_with("no srflx: UDP to the STUN server seems blocked")), "{d:#?}");
    assert!(d.iter().any(|l| l.contains("no answer over UDP but answers over TCP")), "{d:#?}");
}

#[test]
fn wrong_password_behind_the_nat() {
    if !lab::available("gather with a wrong TURN password") {
        return;
    }
    let lab = Lab::up("port-restricted");
    let run = gather(&lab, &["-4", "--turn", "turn:lab@203.0.113.10", "--password", "nope"]);
    let j = &run.json;
    assert_eq!(run.code, 1, "{j:#}");
    let t = server(j, "turn:lab@203.0.113.10");
    assert_eq!(t["error"]["code"], 401);
    assert_eq!(t["realm"], "lab.test");
    assert!(!run.stderr.contains("nope") && !j.to_string().contains("nope"));
}

#[test]
fn nothing_listening_is_unreachable() {
    if !lab::available("gather from a server port nobody listens on") {
        return;
    }
    let lab = Lab::up("port-restricted");
    let run = gather(&lab, &["-4", "--stun", "stun:203.0.113.10:3999", "--timeout", "5s"]);
    let j = &run.json;
    assert_eq!(run.code, 4, "{j:#}");
    let e = &j["servers"][0]["error"];
    assert_eq!(e["kind"], "unreachable", "{j:#}");
    assert!(e["reason"].as_str().unwrap().contains("ICMP port unreachable from 203.0.113.10"), "{j:#}");
    assert!(j["done_ms"].as_f64().unwrap() < 5000.0, "ICMP ends it before the timeout");
}

#[test]
fn webrtc_engine_behind_the_nat() {
    if !lab::available("gather --engine webrtc behind a port-restricted NAT") {
        return;
    }
    let lab = Lab::up("port-restricted");
    let run = gather(
        &lab,
        &["-4", "--engine", "webrtc", "--stun", "stun:203.0.113.10", "--turn", "turn:lab:lab@203.0.113.10"],
    );
    let j = &run.json;
    assert_eq!(run.code, 0, "{j:#}\n{}", run.stderr);
    assert_eq!(j["engine"], "webrtc");
    assert!(of_type(j, "host").iter().any(|c| c["address"] == "10.0.0.2"), "{j:#}");
    let srflx = of_type(j, "srflx");
    assert!(srflx.iter().all(|c| c["address"] == "203.0.113.1"), "{j:#}");
    assert!(!srflx.is_empty(), "{j:#}");
    let relays = of_type(j, "relay");
    assert_eq!(relays.len(), 1, "{j:#}");
    assert!(relays[0]["address"].as_str().unwrap().starts_with("203.0.113.1"), "{j:#}");
}

#[test]
fn relay_ports_dropped_by_a_firewall_fail_the_relay_test() {
    if !lab::available("gather's relay test with the relay ports dropped") {
        return;
    }
    let lab = Lab::up("port-restricted");
    let turn =
        ["-4", "--timeout", "1s", "--turn", "turn:lab:lab@203.0.113.10", "--stun", "stun:203.0.113.10"];
    let before = gather(&lab, &turn);
    assert_eq!(before.code, 0, "{:#}", before.json);
    assert_eq!(server(&before.json, "turn:lab@203.0.113.10")["relay_test"]["ok"], true);
    // The server's firewall drops everything that comes to coturn's relay ports.
    for rule in [
        "add table inet relaydrop",
        "add chain inet relaydrop input { type filter hook input priority 0; }",
        "add rule inet relaydrop input udp dport 49152-65535 drop",
    ] {
        let args: Vec<&str> = rule.split(' ').collect();
        let nft = lab.server("nft", &args);
        assert!(nft.status.success(), "nft {rule}: {}", String::from_utf8_lossy(&nft.stderr));
    }
    let run = gather(&lab, &turn);
    let j = &run.json;
    assert_eq!(run.code, 1, "allocation ok, relay broken: exit 1\n{j:#}");
    let t = server(j, "turn:lab@203.0.113.10");
    assert_eq!(t["error"]["kind"], "relay-broken", "{t:#}");
    assert!(
        // coturn relays from either of its addresses.
        t["relayed_address"]
            .as_str()
            .is_some_and(|a| a.starts_with("203.0.113.10:") || a.starts_with("203.0.113.11:")),
        "the allocation worked: {t:#}"
    );
    let rt = &t["relay_test"];
    assert_eq!(rt["inbound_ms"], Value::Null, "{rt:#}");
    assert!(rt["rtt_ms"].as_f64().is_some(), "the relay still sends out: {rt:#}");
    let reason = t["error"]["reason"].as_str().unwrap();
    assert!(reason.contains("never came back through the server within 1000 ms"), "{reason}");
    assert_eq!(server(j, "stun:203.0.113.10")["ok"], true, "STUN is fine");
    assert_eq!(t["released"], true);
}

#[test]
fn a_private_relayed_address_is_a_warning_and_a_broken_relay() {
    if !lab::available("gather's relay test against a server advertising a private address") {
        return;
    }
    let lab = Lab::up("port-restricted");
    // A second coturn that believes it is behind NAT with the "public" address 10.9.9.9: it
    // advertises that as the relayed address, which nobody outside can reach.
    let dir = std::env::temp_dir().join(format!("rtctool-{}-private-relay", lab.name));
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("turnserver.log");
    let mut coturn = lab.spawn_server(
        "turnserver",
        &[
            "-n",
            "-L",
            "203.0.113.10",
            "--listening-port",
            "3490",
            "--external-ip",
            "10.9.9.9/203.0.113.10",
            "--min-port",
            "40000",
            "--max-port",
            "40999",
            "--no-tcp",
            "--no-tls",
            "--no-dtls",
            "--no-cli",
            "--no-tcp-relay",
            "--no-rfc5780",
            "-a",
            "-u",
            "lab:lab",
            "-r",
            "lab.test",
            "--simple-log",
            "--no-stdout-log",
            "--log-file",
            log.to_str().unwrap(),
            "--pidfile",
            dir.join("pid").to_str().unwrap(),
        ],
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let ss = lab.server("ss", &["-Hlun"]);
        if String::from_utf8_lossy(&ss.stdout).contains("203.0.113.10:3490") {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the second coturn did not start");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let run = gather(&lab, &["-4", "--timeout", "1s", "--turn", "turn:lab:lab@203.0.113.10:3490"]);
    let _ = coturn.kill();
    let _ = coturn.wait();
    let j = &run.json;
    assert_eq!(run.code, 1, "{j:#}");
    let t = server(j, "turn:lab@203.0.113.10:3490");
    assert!(t["relayed_address"].as_str().unwrap().starts_with("10.9.9.9:"), "{t:#}");
    assert_eq!(t["error"]["kind"], "relay-broken", "{t:#}");
    let diagnosis = j["diagnosis"].to_string();
    assert!(diagnosis.contains("a private address although the server's is public"), "{diagnosis}");
    assert!(diagnosis.contains("external-ip"), "{diagnosis}");
}
