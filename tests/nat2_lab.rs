//! `rtctool call` between two NATs in the two-NAT lab (`tests/lab/nat2lab.sh`): host A behind
//! one router, host B behind another, coturn and `signal serve` on the public side. Needs root;
//! skips with the reason off CI, fails on CI.

mod lab;

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_rtctool");
const SIGNAL: &str = "http://203.0.113.10:8888";
const STUN: &str = "stun:203.0.113.10:3478";
const TURN: &str = "turn:lab:lab@203.0.113.10:3478";

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/lab/nat2lab.sh")
}

static N: AtomicU32 = AtomicU32::new(0);

/// A two-NAT lab with `signal serve` running; torn down when dropped.
struct Lab2 {
    name: String,
    server: Option<std::process::Child>,
}

impl Lab2 {
    fn up(a: &str, b: &str) -> Lab2 {
        let name = format!("n2{}{}", std::process::id() % 10_000, N.fetch_add(1, Ordering::Relaxed));
        let mut lab = Lab2 { name, server: None };
        let out =
            Command::new("bash").arg(script()).args(["up", &lab.name, a, b]).output().expect("nat2lab.sh");
        assert!(out.status.success(), "nat2lab up {a} {b}: {}", String::from_utf8_lossy(&out.stderr));
        let server = Command::new("ip")
            .args([
                "netns",
                "exec",
                &format!("{}-s", lab.name),
                BIN,
                "-q",
                "signal",
                "serve",
                "--listen",
                "203.0.113.10:8888",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("signal serve");
        lab.server = Some(server);
        std::thread::sleep(Duration::from_millis(300));
        lab
    }

    fn call(&self, host: &str, args: &[&str]) -> Command {
        let mut c = Command::new("ip");
        c.args([
            "netns",
            "exec",
            &format!("{}-{host}", self.name),
            BIN,
            "--json",
            "call",
            "--signal",
            SIGNAL,
        ]);
        c.args(args);
        c
    }

    /// A waits, B calls; both with `extra`. The two outputs.
    fn run(&self, extra: &[&str]) -> (Output, Output) {
        let mut wait = vec!["--wait", "--name", "a", "--duration", "1s", "--timeout", "8s"];
        wait.extend_from_slice(extra);
        let callee =
            self.call("a", &wait).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("callee");
        std::thread::sleep(Duration::from_millis(500));
        let mut to = vec!["--to", "a", "--name", "b", "--duration", "1s", "--timeout", "8s"];
        to.extend_from_slice(extra);
        let caller = self.call("b", &to).output().expect("caller");
        (callee.wait_with_output().expect("callee"), caller)
    }
}

impl Drop for Lab2 {
    fn drop(&mut self) {
        if let Some(mut s) = self.server.take() {
            let _ = s.kill();
            let _ = s.wait();
        }
        let _ = Command::new("bash").arg(script()).args(["down", &self.name]).output();
    }
}

fn report(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}):\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// The peer's server-reflexive candidates in a report, as (address, port).
fn remote_srflx(r: &Value) -> Vec<(String, u64)> {
    r["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["from"] == "remote" && c["candidate"]["type"] == "srflx")
        .map(|c| {
            (c["candidate"]["address"].as_str().unwrap().to_owned(), c["candidate"]["port"].as_u64().unwrap())
        })
        .collect()
}

#[test]
fn a_symmetric_nat_connects_directly_to_a_full_cone_one_with_stun_only() {
    if !lab::available("a_symmetric_nat_connects_directly_to_a_full_cone_one_with_stun_only") {
        return;
    }
    let lab = Lab2::up("symmetric", "full-cone");
    let (a, b) = lab.run(&["--ice-server", STUN, "--nat-check"]);
    for out in [&a, &b] {
        let r = report(out);
        assert_eq!(out.status.code(), Some(0), "{r:#}");
        let pair = &r["selected_pair"];
        assert_ne!(pair["local"]["type"], "relay", "{r:#}");
        assert_ne!(pair["remote"]["type"], "relay", "{r:#}");
        // Symmetric: A's checks leave from a port the full-cone side never saw in a candidate,
        // so the path exists only as a peer-reflexive mapping; the check predicted it.
        let n = &r["nat_check"];
        assert_eq!(n["predicted_direct"], true, "{n:#}");
        assert_eq!(n["matched"], true, "{n:#}");
    }
    let n = &report(&a)["nat_check"];
    assert_eq!(
        (n["local"]["mapping"].as_str(), n["remote"]["nat_type"].as_str()),
        (Some("address-and-port-dependent"), Some("full-cone"))
    );
    // On B's wire: A's checks came from A's public address, but from another port than its
    // server-reflexive candidate (the mapping it got for the STUN server).
    let rb = report(&b);
    let a_srflx = remote_srflx(&rb);
    let (ip, port) = a_srflx.first().unwrap_or_else(|| panic!("A's srflx candidate: {rb:#}"));
    let received = rb["wire"]["checks_received"].as_array().expect("B's wire record");
    assert!(
        received.iter().any(|c| {
            let from = c["from"].as_str().unwrap_or_default();
            from.starts_with(&format!("{ip}:")) && !from.ends_with(&format!(":{port}"))
        }),
        "A's checks from another port than {ip}:{port}: {:#}",
        rb["wire"]
    );
}

/// With STUN only the call fails (exit 4) and says why, from both sides' NAT behaviour.
fn assert_no_direct_path(a_variant: &str, b_variant: &str) {
    let lab = Lab2::up(a_variant, b_variant);
    let (a, b) = lab.run(&["--ice-server", STUN, "--nat-check"]);
    for out in [&a, &b] {
        let r = report(out);
        assert_eq!(out.status.code(), Some(4), "{r:#}");
        assert_eq!(r["connected"], false);
        let n = &r["nat_check"];
        assert_eq!(n["predicted_direct"], false, "{n:#}");
        assert_eq!(n["matched"], true, "{n:#}");
        let d: Vec<&str> = r["diagnosis"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
        assert!(d.iter().any(|l| l.contains("maps per destination")), "{d:#?}");
        assert!(d.iter().any(|l| l.contains("filters by address and port")), "{d:#?}");
        assert!(
            d.iter().any(|l| l.contains("no direct path exists") && l.contains("relay is needed")),
            "{d:#?}"
        );
        assert!(d.iter().any(|l| l.contains("no TURN server was given")), "{d:#?}");
        // And from the wire: our checks to the peer's server-reflexive address went out and
        // were never answered, and the peer's record (in its report) says none reached it.
        let srflx: Vec<String> = remote_srflx(&r).iter().map(|(ip, port)| format!("{ip}:{port}")).collect();
        let sent = r["wire"]["checks_sent"].as_array().expect("the wire record");
        let to_srflx: Vec<&Value> =
            sent.iter().filter(|c| srflx.iter().any(|s| c["to"] == *s.as_str())).collect();
        assert!(
            !to_srflx.is_empty()
                && to_srflx.iter().all(|c| c["requests"].as_u64() > Some(0) && c["responses"] == 0),
            "{:#}",
            r["wire"]
        );
        assert!(
            d.iter().any(|l| l.contains("to its server-reflexive address") && l.contains("got no answer")),
            "{d:#?}"
        );
        assert!(d.iter().any(|l| l.contains("no direct check was answered in either direction")), "{d:#?}");
    }
    // With the lab's coturn given too, the same two fall back to the relay: one end of the
    // selected pair is a relay candidate, on each side's view.
    let (a, b) = lab.run(&["--ice-server", STUN, "--ice-server", TURN, "--nat-check"]);
    for out in [&a, &b] {
        let r = report(out);
        assert_eq!(out.status.code(), Some(0), "{r:#}");
        let pair = &r["selected_pair"];
        assert!(pair["local"]["type"] == "relay" || pair["remote"]["type"] == "relay", "{r:#}");
        assert_eq!(r["nat_check"]["predicted_direct"], false);
        assert_eq!(r["nat_check"]["matched"], true, "relay as predicted: {r:#}");
        // The wait before a relay pair is taken was measured (a Binding request to the lab's
        // coturn), not webrtc-rs's fixed 2 s.
        let wait = r["timeline"].as_array().unwrap().iter().find(|e| e["event"] == "relay-wait");
        let detail = wait.and_then(|e| e["detail"].as_str()).unwrap_or_default();
        assert!(detail.contains("round trip to 203.0.113.10:3478"), "{r:#}");
    }
    // And with --relay-only, over the relay on both ends.
    let (a, b) = lab.run(&["--ice-server", TURN, "--relay-only", "--media", "audio"]);
    for out in [&a, &b] {
        let r = report(out);
        assert_eq!(out.status.code(), Some(0), "{r:#}");
        assert_eq!(r["selected_pair"]["local"]["type"], "relay", "{r:#}");
    }
}

#[test]
fn port_restricted_and_symmetric_have_no_direct_path_and_connect_through_turn() {
    if !lab::available("port_restricted_and_symmetric_have_no_direct_path_and_connect_through_turn") {
        return;
    }
    assert_no_direct_path("port-restricted", "symmetric");
}

#[test]
fn two_symmetric_nats_have_no_direct_path_and_connect_through_turn() {
    if !lab::available("two_symmetric_nats_have_no_direct_path_and_connect_through_turn") {
        return;
    }
    assert_no_direct_path("symmetric", "symmetric");
}

#[test]
fn a_direct_path_is_taken_over_the_relay_when_turn_is_given_too() {
    if !lab::available("a_direct_path_is_taken_over_the_relay_when_turn_is_given_too") {
        return;
    }
    let lab = Lab2::up("port-restricted", "full-cone");
    let (a, b) = lab.run(&["--ice-server", STUN, "--ice-server", TURN]);
    for out in [&a, &b] {
        let r = report(out);
        assert_eq!(out.status.code(), Some(0), "{r:#}");
        // Both sides gathered a relay candidate, and neither used it.
        let relays =
            r["candidates"].as_array().unwrap().iter().filter(|c| c["candidate"]["type"] == "relay").count();
        assert!(relays >= 2, "a relay candidate on each side: {r:#}");
        let pair = &r["selected_pair"];
        assert_ne!(pair["local"]["type"], "relay", "{r:#}");
        assert_ne!(pair["remote"]["type"], "relay", "{r:#}");
    }
}

/// A port-restricted callee and a restricted-cone caller: whoever's check reaches the other's
/// NAT first decides (a connection-tracking entry moves the other's check to another port,
/// which only an address-filtering NAT lets in). Without --nat-check the callee goes first and
/// the cell fails; with it, the restricted-cone side knows its NAT lets a moved port in and
/// checks at once, the port-restricted side waits, and the path opens.
#[test]
fn with_nat_check_the_permissive_side_checks_first_and_opens_a_direct_path() {
    if !lab::available("with_nat_check_the_permissive_side_checks_first_and_opens_a_direct_path") {
        return;
    }
    let lab = Lab2::up("port-restricted", "restricted-cone");
    let (a, b) = lab.run(&["--ice-server", STUN, "--nat-check"]);
    for (out, waits) in [(&a, true), (&b, false)] {
        let r = report(out);
        assert_eq!(out.status.code(), Some(0), "{r:#}");
        let pair = &r["selected_pair"];
        assert_ne!(pair["local"]["type"], "relay", "{r:#}");
        let hold = r["timeline"].as_array().unwrap().iter().find(|e| e["event"] == "srflx-hold");
        let detail = hold.and_then(|e| e["detail"].as_str()).unwrap_or_default();
        assert_eq!(detail.contains("wait"), waits, "{detail}: {r:#}");
    }
}
