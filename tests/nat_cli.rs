//! `rtctool nat-type` without root: usage errors, and a real coturn with RFC 5780 on two
//! loopback addresses (no NAT there, so the verdict is open Internet).

use std::net::UdpSocket;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_rtctool");

fn rtctool(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().expect("running rtctool")
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &["nat-type", "203.0.113.10", "--timeout", "soon"][..],
        &["nat-type", "203.0.113.10", "--timeout", "3parsecs"],
        &["nat-type", "203.0.113.10", "-4", "-6"],
        &["nat-type", "host:notaport"],
        &["nat-type", "turn:turn.example.org"],
        &["nat-type", "203.0.113.10", "-6"],
        &["nat-type", "203.0.113.10", "--local", "nonsense"],
    ] {
        let out = rtctool(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn help_documents_the_exit_codes() {
    let out = rtctool(&["nat-type", "--help"]);
    let text = String::from_utf8_lossy(&out.stdout);
    for needle in
        ["--server2", "--local", "--hairpin", "--tcp", "--timeout", "-4", "-6", "Exit codes", "udp-blocked"]
    {
        assert!(text.contains(needle), "missing {needle}:\n{text}");
    }
}

mod common {
    pub mod coturn;
}
use common::coturn::{self, Coturn};

fn free_port_pair() -> u16 {
    for _ in 0..100 {
        let a = UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = a.local_addr().unwrap().port();
        if port < 65_000 && UdpSocket::bind(("127.0.0.1", port + 1)).is_ok() {
            return port;
        }
    }
    panic!("no free port pair");
}

/// coturn on 127.0.0.1 and 127.0.0.2 at a free port pair (RFC 5780 needs both); ready when it
/// answers on the alternate address and port.
fn coturn() -> Option<Coturn> {
    if !coturn::available() {
        return None;
    }
    let port = free_port_pair();
    let dir = coturn::dir_for("nat-cli", port);
    let args = coturn::args([
        "-n",
        "-L",
        "127.0.0.1",
        "-L",
        "127.0.0.2",
        "--no-tls",
        "--no-dtls",
        "--no-cli",
        "--no-tcp",
        "--listening-port",
        &port.to_string(),
        "--alt-listening-port",
        &(port + 1).to_string(),
        "--no-tcp-relay",
        "-a",
        "-u",
        "t:t",
        "-r",
        "test",
    ]);
    let ready = [std::net::SocketAddr::from(([127, 0, 0, 2], port + 1))];
    Some(coturn::start(port, dir, &args, &ready, &[]))
}

#[test]
fn loopback_coturn_is_open_internet() {
    let Some(server) = coturn() else { return };
    let addr = format!("127.0.0.1:{}", server.port);
    let out = rtctool(&["--json", "nat-type", &addr, "--hairpin"]);
    let j: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(out.status.code(), Some(0), "{j:#}");
    assert_eq!(j["nat_type"], "open-internet", "{j:#}");
    assert_eq!(j["mapping"], "endpoint-independent");
    assert_eq!(j["filtering"], "endpoint-independent");
    assert_eq!(j["behind_nat"], false);
    assert_eq!(j["rfc5780_supported"], true);
    assert_eq!(j["other_address"], format!("127.0.0.2:{}", server.port + 1));
    assert_eq!(j["local_address"], j["mapped_address"]);
    assert!(j["local_address"].as_str().unwrap().starts_with("127.0.0.1:"), "the real address, not 0.0.0.0");
    assert_eq!(j["hairpinning"], true);
    assert!(j["software"].as_str().unwrap_or("").contains("Coturn"), "{j:#}");
    let names: Vec<&str> =
        j["tests"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "mapping-1",
            "mapping-2",
            "mapping-3",
            "filtering-1",
            "filtering-2",
            "filtering-3",
            "probe",
            "hairpin"
        ]
    );
    for t in j["tests"].as_array().unwrap() {
        assert!(matches!(t["outcome"].as_str(), Some("answered" | "received")), "{t:#}");
    }
    // filtering test II's answer came from the other address and port, as asked
    assert_eq!(j["tests"][4]["from"], format!("127.0.0.2:{}", server.port + 1));

    // --local binds the mapping socket where asked
    let free = UdpSocket::bind("127.0.0.1:0").unwrap();
    let local = free.local_addr().unwrap().to_string();
    drop(free);
    let out = rtctool(&["--json", "nat-type", &addr, "--local", &local]);
    let j: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(j["local_address"], local.as_str());
    assert_eq!(j["mapped_address"], local.as_str());

    // --tcp against a server without TCP (--no-tcp): refused, said so, the UDP verdict stands.
    let out = rtctool(&["--json", "nat-type", &addr, "--tcp", "--timeout", "500ms"]);
    let j: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(out.status.code(), Some(0), "{j:#}");
    assert_eq!(j["nat_type"], "open-internet");
    assert_eq!(j["tcp"]["mapping"], Value::Null, "{j:#}");
    assert_eq!(j["tcp"]["tests"][0]["outcome"], "refused", "{j:#}");
    assert!(j["tcp"]["evidence"].as_str().unwrap().contains("no answer over TCP"), "{j:#}");
    let out = rtctool(&["nat-type", &addr]);
    assert!(!String::from_utf8_lossy(&out.stdout).contains("tcp"), "no TCP unless asked");
}

#[test]
fn nothing_listening_on_loopback_is_exit_4() {
    let free = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = free.local_addr().unwrap().to_string();
    drop(free);
    let started = Instant::now();
    let out = rtctool(&["nat-type", &addr]);
    assert_eq!(out.status.code(), Some(4), "{}", String::from_utf8_lossy(&out.stdout));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unreachable"), "{err}");
    assert!(started.elapsed() < Duration::from_millis(700), "{:?}", started.elapsed());
}
