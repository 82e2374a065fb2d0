//! `rtctool turn load` against coturn on the loopback: every packet delivered and counted over
//! channels and over Send/Data indications, a wrong password (every allocation 401, exit 4),
//! coturn's user quota (486 counted), allocations only, a ramp, and Ctrl-C (everything
//! released, the figures so far reported); and in the NAT lab, loss injected with nftables on
//! the server, measured within a tolerance.

mod common {
    pub mod coturn;
}
mod lab;

use std::process::{Command, Output, Stdio};
use std::time::Duration;

use common::coturn;
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_rtctool");

fn load(args: &[&str]) -> (Output, Value) {
    let out = Command::new(BIN).args(["--json", "turn", "load"]).args(args).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let json = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {text}\n{}", String::from_utf8_lossy(&out.stderr)));
    (out, json)
}

fn server(relay: &coturn::Coturn) -> String {
    format!("turn:alice:wonderland@127.0.0.1:{}", relay.port)
}

#[test]
fn every_packet_is_delivered_and_counted() {
    let Some(relay) = coturn::loopback_relay("turn-load") else { return };
    let url = server(&relay);
    for mode in [None, Some("--send-indication")] {
        let mut args = vec!["--server", &url, "--clients", "6", "--rate", "100", "--duration", "1s"];
        args.extend(mode);
        let (out, j) = load(&args);
        assert_eq!(out.status.code(), Some(0), "{j:#}");
        let a = &j["allocations"];
        assert_eq!(
            (a["attempted"].as_u64(), a["succeeded"].as_u64(), a["failed"].as_u64()),
            (Some(6), Some(6), Some(0))
        );
        assert!(a["latency_ms"]["p50"].as_f64().unwrap() > 0.0);
        let t = &j["traffic"];
        assert_eq!(t["mode"], if mode.is_some() { "send-indication" } else { "channel" });
        assert_eq!(t["senders"], 6);
        let sent = t["sent"].as_u64().unwrap();
        // 6 clients x 100 pps x 1 s, paced (a packet more at the start of each client's step).
        assert!((590..=610).contains(&sent), "{t:#}");
        assert_eq!(t["delivered"].as_u64().unwrap() + t["lost"].as_u64().unwrap(), sent);
        assert!(t["loss_pct"].as_f64().unwrap() < 1.0, "the loopback loses nothing: {t:#}");
        assert_eq!(t["duplicated"], 0);
        let delay = &t["delay_ms"];
        assert!(delay["p50"].as_f64().unwrap() <= delay["p99"].as_f64().unwrap());
        assert!(delay["max"].as_f64().unwrap() < 1000.0, "{delay:#}");
        assert!(t["rtt_ms"]["p50"].as_f64().is_some(), "echoed packets came back: {t:#}");
        assert!(t["jitter_ms"].as_f64().is_some());
        assert!((t["delivered_pps"].as_f64().unwrap() - 600.0).abs() < 60.0, "{t:#}");
        assert_eq!(j["released"]["ok"], 6, "{j:#}");
        assert_eq!(j["released"]["failed"], 0);
        assert!(j["generator_cpu_s"].as_f64().unwrap() > 0.0);
        assert!(!j.to_string().contains("wonderland"), "the password is never printed");
    }
}

#[test]
fn wrong_password_fails_every_allocation_with_exit_4() {
    let Some(relay) = coturn::loopback_relay("turn-load-401") else { return };
    let url = format!("turn:alice:wrong@127.0.0.1:{}", relay.port);
    let (out, j) = load(&["--server", &url, "--clients", "4", "--duration", "1s"]);
    assert_eq!(out.status.code(), Some(4), "{j:#}");
    assert_eq!(j["allocations"]["errors"], serde_json::json!({"401": 4}), "{j:#}");
    assert_eq!(j["allocations"]["succeeded"], 0);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no allocation succeeded (401 x4)"), "{stderr}");
}

#[test]
fn a_user_quota_is_counted_not_a_crash() {
    let Some(relay) = coturn::loopback_relay_with(
        "turn-load-quota",
        &["-a", "-u", "alice:wonderland", "-r", "rtctool.test", "--user-quota", "4"],
    ) else {
        return;
    };
    let url = server(&relay);
    let (out, j) = load(&["--server", &url, "--clients", "6", "--duration", "500ms"]);
    assert_eq!(j["allocations"]["succeeded"], 4, "{j:#}");
    assert_eq!(j["allocations"]["errors"], serde_json::json!({"486": 2}), "{j:#}");
    assert!(j["diagnosis"].to_string().contains("486 Allocation Quota Reached"), "{j:#}");
    // The four that got an allocation relayed to each other.
    assert_eq!(j["traffic"]["senders"], 4, "{j:#}");
    assert_eq!(out.status.code(), Some(0), "{j:#}");
}

#[test]
fn alloc_only_and_a_ramp() {
    let Some(relay) = coturn::loopback_relay("turn-load-ramp") else { return };
    let url = server(&relay);
    let (out, j) = load(&[
        "--server",
        &url,
        "--clients",
        "20",
        "--alloc-only",
        "--alloc-rate",
        "100",
        "--duration",
        "300ms",
    ]);
    assert_eq!(out.status.code(), Some(0), "{j:#}");
    assert_eq!(j["allocations"]["succeeded"], 20);
    assert_eq!(j["traffic"], Value::Null);
    assert_eq!(j["released"]["ok"], 20);

    let (out, j) = load(&[
        "--server",
        &url,
        "--clients",
        "2",
        "--rate",
        "100",
        "--ramp",
        "--ramp-step",
        "100",
        "--ramp-steps",
        "3",
        "--ramp-until",
        "50",
        "--duration",
        "500ms",
    ]);
    assert_eq!(out.status.code(), Some(0), "{j:#}");
    let steps = j["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 3, "{j:#}");
    let rates: Vec<f64> = steps.iter().map(|s| s["rate_pps"].as_f64().unwrap()).collect();
    assert_eq!(rates, [100.0, 200.0, 300.0]);
    for (s, rate) in steps.iter().zip(rates) {
        let sent = s["sent"].as_f64().unwrap();
        assert!((sent - 2.0 * rate * 0.5).abs() <= 4.0, "paced at {rate} pps: {s:#}");
    }
    assert_eq!(j["capacity"]["rate_pps"], 300.0, "every step under 50% loss: {j:#}");
}

#[test]
fn ctrl_c_releases_everything_and_still_reports() {
    let Some(relay) = coturn::loopback_relay("turn-load-int") else { return };
    let url = server(&relay);
    let child = Command::new(BIN)
        .args(["--json", "turn", "load", "--server", &url, "--clients", "8", "--duration", "30s"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    let kill = Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(kill.success());
    let out = child.wait_with_output().unwrap();
    let j: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    assert_eq!(j["interrupted"], true, "{j:#}");
    assert_eq!(j["released"]["ok"], 8, "every allocation released: {j:#}");
    let sent = j["traffic"]["sent"].as_u64().unwrap();
    assert!(sent > 100 && sent < 8 * 50 * 10, "the figures so far: {j:#}");
    assert!(j["traffic"]["loss_pct"].as_f64().unwrap() < 1.0, "{j:#}");
}

#[test]
fn loss_injected_on_the_server_is_measured() {
    if !lab::available("turn load with loss injected by nftables") {
        return;
    }
    let lab = lab::Lab::up("open");
    // One in 20 datagrams reaching coturn's relay ports (relay to relay, inside the server) is
    // dropped on input: silently, as a lossy network would (a drop on output would fail
    // coturn's send with EPERM instead, which is another experiment).
    for rule in [
        "add table inet lossy",
        "add chain inet lossy input { type filter hook input priority 0; }",
        "add rule inet lossy input udp dport 49152-65535 numgen random mod 20 0 drop",
    ] {
        let args: Vec<&str> = rule.split(' ').collect();
        let nft = lab.server("nft", &args);
        assert!(nft.status.success(), "nft {rule}: {}", String::from_utf8_lossy(&nft.stderr));
    }
    let out = lab.client(
        BIN,
        &[
            "--json",
            "turn",
            "load",
            "--server",
            "turn:lab:lab@203.0.113.10",
            "--clients",
            "4",
            "--rate",
            "200",
            "--duration",
            "2s",
        ],
    );
    let j: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
    });
    assert_eq!(out.status.code(), Some(1), "over --max-loss 1%: {j:#}");
    let t = &j["traffic"];
    let loss = t["loss_pct"].as_f64().unwrap();
    assert!((3.0..7.5).contains(&loss), "5% dropped, {loss}% measured: {t:#}");
    assert_eq!(t["sent"].as_u64().unwrap(), t["delivered"].as_u64().unwrap() + t["lost"].as_u64().unwrap());
    assert_eq!(t["duplicated"], 0);
    assert_eq!(j["released"]["ok"], 4);
}

#[test]
fn over_tcp_too() {
    let Some(relay) =
        coturn::loopback_relay_tcp("turn-load-tcp", &["-a", "-u", "alice:wonderland", "-r", "rtctool.test"])
    else {
        return;
    };
    let port = relay.port;
    let url = format!("turn:alice:wonderland@127.0.0.1:{port}?transport=tcp");
    let (out, j) = load(&["--server", &url, "--clients", "4", "--rate", "100", "--duration", "1s"]);
    assert_eq!(out.status.code(), Some(0), "{j:#}");
    assert_eq!(j["transport"], "tcp");
    assert_eq!(j["allocations"]["succeeded"], 4);
    let t = &j["traffic"];
    assert!(t["sent"].as_u64().unwrap() >= 395, "{t:#}");
    assert_eq!(t["lost"], 0, "TCP to the server, UDP between the relays on the loopback: {t:#}");
    assert_eq!(j["released"]["ok"], 4, "{j:#}");
}

/// turns: allocates over TLS, checking the server's certificate against --ca-file: every
/// packet delivered; without the CA the handshake fails, said, exit 4.
#[test]
fn over_tls_with_the_certificate_checked() {
    let dir = std::env::temp_dir().join(format!("rtctool-turn-load-tls-{}", std::process::id()));
    let Some(certs) = coturn::make_certs(&dir) else { return };
    let Some(relay) = coturn::loopback_relay_tls(
        "turn-load-tls",
        &certs,
        &["-a", "-u", "alice:wonderland", "-r", "rtctool.test"],
    ) else {
        return;
    };
    let url = format!("turns:alice:wonderland@127.0.0.1:{}", relay.port + 1);
    let ca = certs.ca.to_str().unwrap();
    let (out, j) =
        load(&["--server", &url, "--ca-file", ca, "--clients", "4", "--rate", "100", "--duration", "1s"]);
    assert_eq!(out.status.code(), Some(0), "{j:#}");
    assert_eq!(j["transport"], "tls");
    assert_eq!(j["allocations"]["succeeded"], 4);
    let t = &j["traffic"];
    assert!(t["sent"].as_u64().unwrap() >= 395, "{t:#}");
    assert_eq!(t["lost"], 0, "{t:#}");
    assert_eq!(j["released"]["ok"], 4, "{j:#}");
    let out =
        Command::new(BIN).args(["turn", "load", "--server", &url, "--duration", "1s"]).output().unwrap();
    assert_eq!(out.status.code(), Some(4), "an unknown CA: {}", String::from_utf8_lossy(&out.stderr));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("over TLS") && err.contains("TLS:"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
