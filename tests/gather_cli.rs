//! `rtctool gather` against a real coturn on the loopback (127.0.0.1 and ::1, long-term
//! credentials, UDP and TCP), without root: candidates and priorities, the verdicts, wrong and
//! missing credentials, silent and closed ports, the output modes, and the password that must
//! never be printed.

use std::net::UdpSocket;
use std::process::{Command, Output};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_rtctool");
const USER: &str = "gatherer";
const PASSWORD: &str = "pw-Xq7-s3cret";

fn rtctool(args: &[&str]) -> Output {
    rtctool_env(args, &[])
}

fn rtctool_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args).env_remove("RTCTOOL_TURN_USERNAME").env_remove("RTCTOOL_TURN_PASSWORD");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("running rtctool")
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}):\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

mod common {
    pub mod coturn;
}
use common::coturn::{self, Coturn};

fn free_port() -> u16 {
    for _ in 0..100 {
        let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = udp.local_addr().unwrap().port();
        let free = port < 65_000
            && UdpSocket::bind(("::1", port)).is_ok()
            && std::net::TcpListener::bind(("127.0.0.1", port)).is_ok()
            && UdpSocket::bind(("127.0.0.1", port + 1)).is_ok()
            && std::net::TcpListener::bind(("127.0.0.1", port + 2)).is_ok();
        if free {
            return port;
        }
    }
    panic!("no free port");
}

fn coturn() -> Option<Coturn> {
    coturn_with(None)
}

/// coturn on 127.0.0.1 and ::1 at a free port, long-term credentials, with TLS on `port + 2`
/// when certificates are given; ready when it answers UDP on both addresses and takes TCP.
fn coturn_with(tls: Option<&coturn::Certs>) -> Option<Coturn> {
    if !coturn::available() {
        return None;
    }
    let port = free_port();
    let dir = coturn::dir_for("gather-cli", port);
    let mut args =
        coturn::args(["-n", "-L", "127.0.0.1", "-L", "::1", "--no-dtls", "--no-cli", "--no-tcp-relay"]);
    match tls {
        None => args.push("--no-tls".into()),
        Some(c) => args.extend([
            "--tls-listening-port".to_string(),
            (port + 2).to_string(),
            "--cert".to_string(),
            c.cert.display().to_string(),
            "--pkey".to_string(),
            c.key.display().to_string(),
        ]),
    }
    args.extend(coturn::args([
        "--listening-port",
        &port.to_string(),
        "--alt-listening-port",
        &(port + 1).to_string(),
        "-a",
        "-u",
        &format!("{USER}:{PASSWORD}"),
        "-r",
        "gather.test",
        "--allow-loopback-peers",
    ]));
    let v4 = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let v6: std::net::SocketAddr = format!("[::1]:{port}").parse().unwrap();
    let mut tcp = vec![v4];
    if tls.is_some() {
        tcp.push(std::net::SocketAddr::from(([127, 0, 0, 1], port + 2)));
    }
    Some(coturn::start(port, dir, &args, &[v4, v6], &tcp))
}

fn candidates_of<'a>(j: &'a Value, typ: &str) -> Vec<&'a Value> {
    j["candidates"].as_array().unwrap().iter().filter(|c| c["type"] == typ).collect()
}

/// type preference | local preference | component, as the Trickle ICE page shows them.
fn priority_parts(c: &Value) -> (u64, u64, u64) {
    let p = c["priority"].as_u64().unwrap();
    (p >> 24, (p >> 8) & 0xffff, 256 - (p & 0xff))
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &["gather", "--stun", "turn:127.0.0.1"][..],
        &["gather", "--turn", "stun:127.0.0.1"],
        &["gather", "--stun", "http://example.org"],
        &["gather", "--turn", "turn:host:notaport"],
        &["gather", "--relay-only", "--stun", "stun:127.0.0.1"],
        &["gather", "--timeout", "soon"],
        &["gather", "-4", "-6"],
        &["gather", "--password", "x", "--password-file", "/nonexistent"],
    ] {
        let out = rtctool(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(out.stdout.is_empty(), "{args:?}");
    }
    // A password in a bad URL is not echoed back.
    let out = rtctool(&["gather", "--turn", &format!("turn:{USER}:{PASSWORD}@host:port")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(!String::from_utf8_lossy(&out.stderr).contains(PASSWORD));
}

#[test]
fn unreadable_password_file_is_an_input_error() {
    let out = rtctool(&["gather", "--turn", "turn:u@127.0.0.1", "--password-file", "/nonexistent/pw"]);
    assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn help_documents_options_and_exit_codes() {
    let out = rtctool(&["gather", "--help"]);
    let text = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "--stun",
        "--turn",
        "--username",
        "--password-file",
        "--relay-only",
        "--interface",
        "--timeout",
        "Exit codes",
        "701",
    ] {
        assert!(text.contains(needle), "missing {needle}:\n{text}");
    }
}

#[test]
fn host_candidates_only_with_loopback() {
    let out = rtctool(&["--json", "gather", "--interface", "lo"]);
    let j = json(&out);
    assert_eq!(out.status.code(), Some(0));
    let hosts = candidates_of(&j, "host");
    assert!(hosts.iter().any(|c| c["address"] == "127.0.0.1"), "{j:#}");
    for c in &hosts {
        assert_eq!(c["protocol"], "udp");
        assert_eq!(priority_parts(c).0, 126);
        assert_eq!(c["url"], Value::Null);
    }
    assert_eq!(j["servers"], serde_json::json!([]));
}

#[test]
fn loopback_stun_and_turn_udp() {
    let Some(server) = coturn() else { return };
    let p = server.port;
    let stun = format!("stun:127.0.0.1:{p}");
    let turn = format!("turn:{USER}:{PASSWORD}@127.0.0.1:{p}");
    let out = rtctool(&["--json", "gather", "--stun", &stun, "--turn", &turn, "--interface", "lo"]);
    let j = json(&out);
    assert_eq!(out.status.code(), Some(0), "{j:#}");

    let host = candidates_of(&j, "host").into_iter().find(|c| c["address"] == "127.0.0.1").cloned().unwrap();
    assert_eq!(priority_parts(&host), (126, (127 << 8) | 30, 1), "{host:#}");
    // No NAT on the loopback: the mapped address is the host candidate, so no srflx.
    assert!(candidates_of(&j, "srflx").is_empty(), "{j:#}");
    let relays = candidates_of(&j, "relay");
    assert_eq!(relays.len(), 1, "{j:#}");
    let relay = relays[0];
    assert_eq!(relay["address"], "127.0.0.1");
    assert_eq!(relay["protocol"], "udp");
    assert_eq!(relay["relay_protocol"], "udp");
    assert_eq!(priority_parts(relay), (2, (127 << 8) | 30, 1), "Chromium's relay-over-UDP preference");
    assert_eq!(relay["related_address"], "127.0.0.1");
    assert_eq!(relay["related_port"], host["port"], "related to the mapped address of the shared socket");
    assert_eq!(relay["url"], format!("turn:{USER}@127.0.0.1:{p}"), "the URL without its password");
    assert!(relay["elapsed_ms"].as_f64().unwrap() >= host["elapsed_ms"].as_f64().unwrap());

    let servers = j["servers"].as_array().unwrap();
    assert_eq!(servers.len(), 2, "{j:#}");
    let s = servers.iter().find(|s| s["kind"] == "stun").unwrap();
    assert_eq!(s["ok"], true);
    assert_eq!(s["error"], Value::Null);
    assert_eq!(s["mapped_address"], format!("127.0.0.1:{}", host["port"]));
    assert!(s["software"].as_str().unwrap().contains("Coturn"), "{s:#}");
    assert!(s["rtt_ms"].as_f64().is_some());
    let t = servers.iter().find(|s| s["kind"] == "turn").unwrap();
    assert_eq!(t["ok"], true, "{t:#}");
    assert_eq!(t["transport"], "udp");
    assert_eq!(t["realm"], "gather.test");
    assert_eq!(t["relayed_address"], format!("127.0.0.1:{}", relay["port"]));
    assert!(t["lifetime_s"].as_u64().unwrap() > 0);
    assert_eq!(t["released"], true, "released before exit: {t:#}");
    // The relay test: data went through the relay both ways, to the socket's mapped address.
    let rt = &t["relay_test"];
    assert_eq!(rt["ok"], true, "{t:#}");
    assert_eq!(rt["via"], "channel");
    assert_eq!(rt["peer"], t["mapped_address"]);
    assert_eq!(rt["seen_from"], t["mapped_address"]);
    assert_eq!(rt["relay_source"], Value::Null, "the relay sends from its relayed address");
    assert!(rt["rtt_ms"].as_f64().unwrap() > 0.0 && rt["inbound_ms"].as_f64().unwrap() > 0.0, "{rt:#}");
    assert_eq!(rt["error"], Value::Null);
    assert_eq!(s["relay_test"], Value::Null, "no relay test for a STUN server");
    assert!(j["done_ms"].as_f64().unwrap() > 0.0);
    assert_eq!(
        j["counts"],
        serde_json::json!({"host": candidates_of(&j, "host").len(), "srflx": 0, "relay": 1})
    );
}

#[test]
fn loopback_turn_tcp_and_ipv6() {
    let Some(server) = coturn() else { return };
    let p = server.port;
    let tcp = format!("turn:127.0.0.1:{p}?transport=tcp");
    let v6 = format!("turn:[::1]:{p}");
    let out = rtctool_env(
        &["--json", "gather", "--turn", &tcp, "--turn", &v6, "--interface", "lo"],
        &[("RTCTOOL_TURN_USERNAME", USER), ("RTCTOOL_TURN_PASSWORD", PASSWORD)],
    );
    let j = json(&out);
    assert_eq!(out.status.code(), Some(0), "{j:#}");
    let relays = candidates_of(&j, "relay");
    assert_eq!(relays.len(), 2, "{j:#}");
    let over_tcp = relays.iter().find(|c| c["relay_protocol"] == "tcp").expect("a relay over TCP");
    assert_eq!(over_tcp["protocol"], "udp", "the relayed transport is UDP");
    assert_eq!(priority_parts(over_tcp).0, 1, "Chromium's relay-over-TCP preference");
    let ipv6 =
        relays.iter().find(|c| c["address"] == "::1").expect("an IPv6 relay (REQUESTED-ADDRESS-FAMILY)");
    assert_eq!(priority_parts(ipv6), (2, (127 << 8) | 60, 1), "::1 has Chromium's precedence 60");
    for s in j["servers"].as_array().unwrap() {
        assert_eq!(s["ok"], true, "{s:#}");
        assert_eq!(s["released"], true, "{s:#}");
    }
    let t = j["servers"].as_array().unwrap().iter().find(|s| s["transport"] == "tcp").unwrap();
    assert!(t["local_address"].as_str().unwrap().starts_with("127.0.0.1:"));
    // Over TCP the relay test's peer is the UDP socket on the same address (loopback: its own
    // address, which the server reaches); ChannelData comes back over the stream.
    for s in j["servers"].as_array().unwrap() {
        let rt = &s["relay_test"];
        assert_eq!(rt["ok"], true, "{s:#}");
        assert_eq!(rt["via"], "channel", "{s:#}");
    }
    let host = |family_v6: bool| {
        candidates_of(&j, "host")
            .into_iter()
            .find(|c| c["address"].as_str().unwrap().contains(':') == family_v6)
            .map(|c| format!("{}:{}", c["address"], c["port"]).replace('"', ""))
            .unwrap()
    };
    assert_eq!(t["relay_test"]["peer"], host(false), "{t:#}");
}

#[test]
fn relay_test_finds_a_relay_that_allocates_but_does_not_relay() {
    let Some(server) = coturn::advertising(
        "gather-relay-test",
        "127.0.0.2",
        &["-a", "-u", &format!("{USER}:{PASSWORD}"), "-r", "gather.test"],
    ) else {
        return;
    };
    let turn = format!("turn:{USER}:{PASSWORD}@127.0.0.1:{}", server.port);
    let out = rtctool(&["--json", "gather", "--turn", &turn, "--interface", "lo", "-4", "--timeout", "1s"]);
    let j = json(&out);
    assert_eq!(out.status.code(), Some(1), "allocation ok, relay broken: exit 1\n{j:#}");
    let t = &j["servers"][0];
    assert_eq!(t["ok"], false, "{t:#}");
    assert_eq!(t["error"]["kind"], "relay-broken", "{t:#}");
    let relayed = t["relayed_address"].as_str().unwrap();
    assert!(relayed.starts_with("127.0.0.2:"), "{t:#}");
    let rt = &t["relay_test"];
    assert_eq!(rt["ok"], false);
    assert_eq!(rt["inbound_ms"], Value::Null, "nothing sent to {relayed} came back: {rt:#}");
    assert!(rt["rtt_ms"].as_f64().is_some(), "the relay does send: {rt:#}");
    let port = relayed.rsplit(':').next().unwrap();
    assert_eq!(rt["relay_source"], format!("127.0.0.1:{port}"), "where it really sends from: {rt:#}");
    let reason = t["error"]["reason"].as_str().unwrap();
    assert!(reason.starts_with("allocation ok, relay broken"), "{reason}");
    assert!(reason.contains(relayed) && reason.contains("within 1000 ms"), "{reason}");
    // The candidate is still reported (a browser would offer it), but no relay "works".
    assert_eq!(candidates_of(&j, "relay").len(), 1);
    let diagnosis = j["diagnosis"].to_string();
    assert!(diagnosis.contains("relays from 127.0.0.1:"), "{diagnosis}");
    assert!(!diagnosis.contains("relay works"), "{diagnosis}");
    assert_eq!(t["released"], true, "{t:#}");

    // The table says it in a word; --no-relay-test skips the test and the run is clean.
    let human = rtctool(&["gather", "--turn", &turn, "--interface", "lo", "-4", "--timeout", "1s"]);
    assert_eq!(human.status.code(), Some(1));
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(text.contains("relay broken"), "{text}");
    let skipped = rtctool(&["--json", "gather", "--turn", &turn, "-i", "lo", "-4", "--no-relay-test"]);
    let j = json(&skipped);
    assert_eq!(skipped.status.code(), Some(0), "{j:#}");
    assert_eq!(j["servers"][0]["relay_test"], Value::Null);
    assert_eq!(j["servers"][0]["ok"], true);
}

#[test]
fn wrong_password_is_a_401_and_exit_1() {
    let Some(server) = coturn() else { return };
    let p = server.port;
    let good = format!("turn:{USER}:{PASSWORD}@127.0.0.1:{p}");
    let bad = format!("turn:{USER}:not-the-password@127.0.0.1:{p}");
    let out = rtctool(&["--json", "gather", "--turn", &good, "--turn", &bad, "--interface", "lo"]);
    let j = json(&out);
    assert_eq!(out.status.code(), Some(1), "{j:#}");
    let servers = j["servers"].as_array().unwrap();
    let failed: Vec<&Value> = servers.iter().filter(|s| s["ok"] == false).collect();
    assert_eq!(failed.len(), 1, "{j:#}");
    assert_eq!(failed[0]["error"]["code"], 401);
    assert_eq!(failed[0]["error"]["kind"], "auth");
    assert_eq!(candidates_of(&j, "relay").len(), 1, "the good credentials still allocate");
    assert!(j["diagnosis"][0].as_str().unwrap().contains("rejected the credentials (401"), "{j:#}");

    // The same, for people.
    let out = rtctool(&["gather", "--turn", &bad, "--interface", "lo"]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("error 401"), "{text}");
    assert!(text.contains("rejected the credentials (401 Unauthorized)"), "{text}");
    assert!(text.contains("Done in"), "{text}");
}

#[test]
fn missing_credentials_are_diagnosed() {
    let Some(server) = coturn() else { return };
    let turn = format!("turn:127.0.0.1:{}", server.port);
    let out = rtctool(&["--json", "gather", "--turn", &turn, "--interface", "lo"]);
    let j = json(&out);
    assert_eq!(out.status.code(), Some(1), "{j:#}");
    assert_eq!(j["servers"][0]["error"]["code"], 401);
    assert!(j["diagnosis"][0].as_str().unwrap().contains("needs credentials"), "{j:#}");
}

#[test]
fn silent_server_times_out_within_the_timeout() {
    // A bound socket that never answers: no ICMP, only silence.
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = silent.local_addr().unwrap();
    let stun = format!("stun:{addr}");
    let out = rtctool(&["--json", "gather", "--stun", &stun, "--interface", "lo", "--timeout", "1s"]);
    let j = json(&out);
    assert_eq!(out.status.code(), Some(4), "nothing could be reached: {j:#}");
    let e = &j["servers"][0]["error"];
    assert_eq!(e["kind"], "timeout", "{j:#}");
    assert_eq!(e["code"], 701);
    let reason = e["reason"].as_str().unwrap();
    assert!(
        reason.starts_with(&format!("Binding to {addr}: no answer after 3 transmissions over 1")),
        "{reason}"
    );
    let done = j["done_ms"].as_f64().unwrap();
    assert!(done >= 1000.0, "gathering ends at the timeout, not before: {done}");
    assert!(j["diagnosis"][0]
        .as_str()
        .unwrap()
        .starts_with("no srflx: UDP to the STUN server seems blocked"));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no server could be reached"));
    drop(silent);
}

#[test]
fn closed_port_is_unreachable_at_once() {
    let closed = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = closed.local_addr().unwrap();
    drop(closed);
    let stun = format!("stun:{addr}");
    let out = rtctool(&["--json", "gather", "--stun", &stun, "--interface", "lo", "--timeout", "5s"]);
    let j = json(&out);
    assert_eq!(out.status.code(), Some(4), "{j:#}");
    let e = &j["servers"][0]["error"];
    assert_eq!(e["kind"], "unreachable", "{j:#}");
    assert!(e["reason"].as_str().unwrap().contains("ICMP port unreachable"), "{j:#}");
    // ICMP ends the probe, not the 5 s timeout.
    assert!(j["done_ms"].as_f64().unwrap() < 5000.0, "{j:#}");
}

#[test]
fn refused_tcp_connection() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let turn = format!("turn:u:p@{addr}?transport=tcp");
    let out = rtctool(&["--json", "gather", "--turn", &turn, "--interface", "lo"]);
    let j = json(&out);
    assert_eq!(out.status.code(), Some(4), "{j:#}");
    assert!(j["servers"][0]["error"]["reason"].as_str().unwrap().contains("refused"), "{j:#}");
}

#[test]
fn ndjson_streams_events() {
    let Some(server) = coturn() else { return };
    let turn = format!("turn:{USER}:{PASSWORD}@127.0.0.1:{}", server.port);
    let out = rtctool(&["--ndjson", "gather", "--turn", &turn, "--interface", "lo"]);
    assert_eq!(out.status.code(), Some(0));
    let events: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let kinds: Vec<&str> = events.iter().map(|e| e["event"].as_str().unwrap()).collect();
    assert_eq!(kinds.first(), Some(&"candidate"), "{kinds:?}");
    assert_eq!(kinds.last(), Some(&"done"), "{kinds:?}");
    let at = |k: &str| kinds.iter().position(|x| *x == k).unwrap_or_else(|| panic!("no {k}: {kinds:?}"));
    assert!(at("server") < at("complete") && at("complete") < at("released"), "{kinds:?}");
    let relay = events.iter().find(|e| e["event"] == "candidate" && e["type"] == "relay").unwrap();
    assert!(relay["elapsed_ms"].as_f64().is_some());
}

#[test]
fn human_output_streams_candidates_then_verdicts() {
    let Some(server) = coturn() else { return };
    let p = server.port;
    let stun = format!("stun:127.0.0.1:{p}");
    let turn = format!("turn:{USER}:{PASSWORD}@127.0.0.1:{p}");
    let out = rtctool(&["--color", "never", "gather", "--stun", &stun, "--turn", &turn, "--interface", "lo"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].contains("Time ms") && lines[0].contains("Priority"), "{text}");
    assert!(lines.iter().any(|l| l.contains(" host ") && l.contains("126 | 32542 | 255")), "{text}");
    assert!(lines.iter().any(|l| l.contains(" relay ") && l.contains("2 | 32542 | 255")), "{text}");
    assert!(text.contains("ok, released"), "{text}");
    assert!(text.contains("Done in") && text.contains("1 relay"), "{text}");
    assert!(text.contains("every server answered (2 checked)"), "{text}");
}

#[test]
fn passwords_are_never_printed() {
    let Some(server) = coturn() else { return };
    let p = server.port;
    let file = server.dir.join("password");
    std::fs::write(&file, format!("{PASSWORD}\n")).unwrap();
    let file = file.to_str().unwrap().to_string();
    let in_url = format!("turn:{USER}:{PASSWORD}@127.0.0.1:{p}");
    let in_url_tcp = format!("turn:{USER}:{PASSWORD}@127.0.0.1:{p}?transport=tcp");
    let plain = format!("turn:{USER}@127.0.0.1:{p}");
    let wrong = format!("turn:{USER}:{PASSWORD}X@127.0.0.1:{p}");
    type Env<'a> = Vec<(&'a str, &'a str)>;
    let runs: Vec<(Vec<String>, Env)> = vec![
        (vec![in_url.clone(), in_url_tcp], vec![]),
        (vec![plain.clone(), "--password".into(), PASSWORD.into()], vec![]),
        (vec![plain.clone(), "--password-file".into(), file], vec![]),
        (vec![plain], vec![("RTCTOOL_TURN_PASSWORD", PASSWORD)]),
        (vec![wrong], vec![]),
    ];
    for (servers, env) in runs {
        for (mode, engine) in [
            (&["-vv"][..], "diag"),
            (&["--json"], "diag"),
            (&["--ndjson", "-v"], "diag"),
            (&["-vv"], "webrtc"),
        ] {
            let mut args: Vec<&str> = mode.to_vec();
            args.extend(["gather", "--engine", engine, "--interface", "lo"]);
            let mut iter = servers.iter();
            while let Some(s) = iter.next() {
                if s.starts_with("turn:") {
                    args.extend(["--turn", s]);
                } else {
                    args.push(s);
                    if let Some(v) = iter.next() {
                        args.push(v);
                    }
                }
            }
            let out = rtctool_env(&args, &env);
            let stdout = String::from_utf8_lossy(&out.stdout);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(
                !stdout.contains(PASSWORD) && !stderr.contains(PASSWORD),
                "{args:?} printed the password"
            );
            assert!(!stdout.contains(&PASSWORD[3..]), "{args:?} printed part of the password");
            assert!(out.status.code().is_some_and(|c| c <= 1), "{args:?}: {stderr}");
        }
    }
}

#[test]
fn turn_over_tls_checks_the_certificate() {
    let dir = std::env::temp_dir().join(format!("rtctool-gather-tls-{}", std::process::id()));
    let Some(certs) = coturn::make_certs(&dir) else { return };
    let Some(server) = coturn_with(Some(&certs)) else { return };
    let turns = format!("turns:{USER}:{PASSWORD}@127.0.0.1:{}", server.port + 2);
    let ca = certs.ca.to_str().unwrap();

    // Trusted through --ca-file: a relay over TLS, Chromium's type preference 0.
    let out = rtctool(&["--json", "gather", "--turn", &turns, "--ca-file", ca, "--interface", "lo"]);
    let j = json(&out);
    assert_eq!(out.status.code(), Some(0), "{j:#}");
    let relays = candidates_of(&j, "relay");
    assert_eq!(relays.len(), 1, "{j:#}");
    assert_eq!(relays[0]["relay_protocol"], "tls");
    assert_eq!(priority_parts(relays[0]).0, 0);
    let s = &j["servers"][0];
    assert_eq!((s["transport"].as_str(), s["released"].as_bool()), (Some("tls"), Some(true)), "{s:#}");

    // The system's CAs do not know the test CA.
    let out = rtctool(&["--json", "gather", "--turn", &turns, "--interface", "lo"]);
    let j = json(&out);
    assert_eq!(out.status.code(), Some(1), "{j:#}");
    let e = &j["servers"][0]["error"];
    assert_eq!(e["kind"], "tls", "{j:#}");
    assert!(e["reason"].as_str().unwrap().contains("not signed by a trusted CA"), "{j:#}");

    // --insecure goes through, and says so.
    let out = rtctool(&["--json", "gather", "--turn", &turns, "--insecure", "--interface", "lo"]);
    let j = json(&out);
    assert_eq!(out.status.code(), Some(0), "{j:#}");
    assert!(
        j["notes"].as_array().unwrap().iter().any(|n| n.as_str().unwrap().contains("--insecure")),
        "{j:#}"
    );

    // The certificate names 127.0.0.1 and localhost, not ::1.
    let v6 = format!("turns:{USER}:{PASSWORD}@[::1]:{}", server.port + 2);
    let out = rtctool(&["--json", "gather", "--turn", &v6, "--ca-file", ca, "--interface", "lo"]);
    let j = json(&out);
    assert_eq!(out.status.code(), Some(1), "{j:#}");
    assert!(j["servers"][0]["error"]["reason"].as_str().unwrap().contains("not valid for ::1"), "{j:#}");

    // A --ca-file that is not there is the user's error.
    let out = rtctool(&["gather", "--turn", &turns, "--ca-file", "/nonexistent/ca.pem", "--interface", "lo"]);
    assert_eq!(out.status.code(), Some(3));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn webrtc_engine_gathers_the_same_types() {
    let Some(server) = coturn() else { return };
    let p = server.port;
    let stun = format!("stun:127.0.0.1:{p}");
    let turn = format!("turn:{USER}:{PASSWORD}@127.0.0.1:{p}");
    let out = rtctool(&[
        "--json",
        "gather",
        "--engine",
        "webrtc",
        "--stun",
        &stun,
        "--turn",
        &turn,
        "--interface",
        "lo",
    ]);
    let j = json(&out);
    assert_eq!(out.status.code(), Some(0), "{j:#}");
    assert_eq!(j["engine"], "webrtc");
    assert!(candidates_of(&j, "host").iter().any(|c| c["address"] == "127.0.0.1"), "{j:#}");
    let relays = candidates_of(&j, "relay");
    assert_eq!(relays.len(), 1, "{j:#}");
    assert_eq!(relays[0]["address"], "127.0.0.1");
    // webrtc-rs keeps a srflx equal to its base (Chromium drops it), with RFC 8445 priorities.
    assert!(!candidates_of(&j, "srflx").is_empty(), "{j:#}");
    assert!(j["servers"].as_array().unwrap().iter().all(|s| s["ok"] == true), "{j:#}");
    assert!(
        j["notes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n.as_str().unwrap().contains("never fires onicecandidateerror")),
        "{j:#}"
    );
}

#[test]
fn webrtc_engine_says_what_it_cannot_see() {
    let Some(server) = coturn() else { return };
    let p = server.port;
    let bad = format!("turn:{USER}:wrong-password@127.0.0.1:{p}");
    let tcp = format!("turn:{USER}:{PASSWORD}@127.0.0.1:{p}?transport=tcp");
    let out = rtctool(&[
        "--json",
        "gather",
        "--engine",
        "webrtc",
        "--turn",
        &bad,
        "--turn",
        &tcp,
        "--interface",
        "lo",
    ]);
    let j = json(&out);
    assert_eq!(out.status.code(), Some(1), "{j:#}");
    let servers = j["servers"].as_array().unwrap();
    let wrong = servers.iter().find(|s| s["transport"] == "udp").unwrap();
    assert_eq!(wrong["ok"], false);
    assert_eq!(wrong["error"]["kind"], "unreported", "{wrong:#}");
    let reason = wrong["error"]["reason"].as_str().unwrap();
    assert!(reason.starts_with("no relay candidate; webrtc-rs does not"), "{reason}");
    let over_tcp = servers.iter().find(|s| s["transport"] == "tcp").unwrap();
    assert_eq!(over_tcp["error"]["kind"], "unsupported", "{over_tcp:#}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains(PASSWORD));
}

#[test]
fn ctrl_c_stops_the_probes_and_still_releases_the_allocation() {
    let Some(server) = coturn() else { return };
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let stun = format!("stun:{}", silent.local_addr().unwrap());
    let turn = format!("turn:{USER}:{PASSWORD}@127.0.0.1:{}", server.port);
    let started = std::time::Instant::now();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_rtctool"))
        .args(["--json", "gather", "--stun", &stun, "--turn", &turn, "--interface", "lo", "--timeout", "20s"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The allocation takes milliseconds on the loopback; the silent server would hold the run
    // for the whole 20 s.
    std::thread::sleep(std::time::Duration::from_millis(700));
    let status = std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "{:?}", started.elapsed());
    let j = json(&out);
    assert_eq!(out.status.code(), Some(1), "{j:#}");
    let servers = j["servers"].as_array().unwrap();
    let s = servers.iter().find(|s| s["kind"] == "stun").unwrap();
    assert_eq!(s["error"]["kind"], "interrupted", "{j:#}");
    let t = servers.iter().find(|s| s["kind"] == "turn").unwrap();
    assert_eq!(t["ok"], true, "{j:#}");
    assert_eq!(t["released"], true, "the allocation is released after Ctrl-C: {t:#}");
    assert!(j["notes"].to_string().contains("interrupted (Ctrl-C)"), "{j:#}");
    drop(silent);
}

#[test]
fn prometheus_textfile_for_node_exporter() {
    let Some(server) = coturn() else { return };
    let p = server.port;
    let turn = format!("turn:{USER}:{PASSWORD}@127.0.0.1:{p}");
    let stun = format!("stun:127.0.0.1:{p}");
    let dir = coturn::dir_for("gather-prometheus", p);
    let file = dir.join("rtctool.prom");
    let out = rtctool(
        &["--json", "gather", "--turn", &turn, "--stun", &stun, "-i", "lo", "-4", "--prometheus"]
            .into_iter()
            .chain([file.to_str().unwrap()])
            .collect::<Vec<_>>(),
    );
    let j = json(&out);
    assert_eq!(out.status.code(), Some(0), "the report as usual: {j:#}");
    let text = std::fs::read_to_string(&file).unwrap();
    let turn_labels = format!("{{target=\"turn:127.0.0.1:{p}\",local=\"127.0.0.1\"}}");
    assert!(text.contains(&format!("rtctool_probe_success{turn_labels} 1.0")), "{text}");
    assert!(text.contains(&format!("rtctool_turn_relay_test_success{turn_labels} 1.0")), "{text}");
    assert!(
        text.contains(&format!("rtctool_probe_success{{target=\"{stun}\",local=\"127.0.0.1\"}} 1.0")),
        "{text}"
    );
    assert!(!text.contains(PASSWORD) && !text.contains(USER), "no credentials in labels: {text}");
    assert!(!dir.join("rtctool.prom.tmp").exists(), "written through a renamed temporary file");

    // `-`: the metrics on standard output instead of the report.
    let bad = format!("turn:{USER}:wrong@127.0.0.1:{p}");
    let out = rtctool(&["gather", "--turn", &bad, "-i", "lo", "-4", "--prometheus", "-"]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("# HELP rtctool_probe_success") && text.ends_with("# EOF\n"), "{text}");
    assert!(text.contains(&format!("rtctool_probe_error_code{turn_labels} 401.0")), "{text}");
    assert!(text.contains("kind=\"auth\"} 1.0"), "{text}");
}
