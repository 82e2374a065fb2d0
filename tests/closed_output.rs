//! `rtctool ... | head`: when the reader of standard output has gone, every command ends
//! quietly with exit 0 — no "writing output: Broken pipe", whatever the command. Standard output
//! is a pipe whose read end is closed before the command starts, so its first write fails.

mod common {
    pub mod coturn;
    pub mod signal;
}

use std::net::UdpSocket;
use std::os::fd::OwnedFd;
use std::process::{Child, Command, Output, Stdio};
use std::thread;
use std::time::Duration;

use common::signal::BIN;

/// A command whose stdout is a pipe nobody reads.
fn closed(args: &[&str]) -> Command {
    let (read, write): (OwnedFd, OwnedFd) = nix::unistd::pipe().expect("pipe");
    drop(read);
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .env_remove("RTCTOOL_TURN_USERNAME")
        .env_remove("RTCTOOL_TURN_PASSWORD")
        .stdin(Stdio::null())
        .stdout(Stdio::from(write))
        .stderr(Stdio::piped());
    cmd
}

fn assert_quiet(what: &str, out: &Output) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{what}: {stderr}");
    assert!(!stderr.contains("writing output") && !stderr.contains("rtctool:"), "{what}: {stderr}");
}

fn run_closed(args: &[&str]) {
    let out = closed(args).output().expect("running rtctool");
    assert_quiet(&args.join(" "), &out);
}

const BINDING_REQUEST: &str = "000100002112a442b7e7a701bc34d686fa87dfae";

#[test]
fn stun_decode() {
    run_closed(&["stun", "decode", BINDING_REQUEST]);
    run_closed(&["--json", "stun", "decode", BINDING_REQUEST]);
}

#[test]
fn sdp_show_lint_and_diff() {
    let sdp = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/corpus/sdp/moz-02.sdp");
    run_closed(&["sdp", "show", sdp]);
    run_closed(&["sdp", "lint", sdp]);
    run_closed(&["sdp", "diff", sdp, sdp]);
}

#[test]
fn pcap_decode_and_summary() {
    let pcap = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/corpus/pcap/turn-eth.pcapng");
    run_closed(&["pcap", "decode", pcap]);
    run_closed(&["pcap", "summary", pcap]);
    run_closed(&["--json", "pcap", "summary", pcap]);
}

#[test]
fn gather() {
    run_closed(&["gather", "--interface", "lo"]);
    run_closed(&["--ndjson", "gather", "--interface", "lo"]);
}

#[test]
fn nat_type() {
    let Some(server) = common::coturn::loopback_relay("closed-output") else { return };
    run_closed(&["nat-type", &format!("127.0.0.1:{}", server.port)]);
}

#[test]
fn loopback() {
    run_closed(&["loopback", "--duration", "1s", "--media", "audio"]);
}

#[test]
fn signal_serve() {
    let port = UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child: Child = closed(&["--json", "signal", "serve", "--listen", &format!("127.0.0.1:{port}")])
        .spawn()
        .expect("serve");
    thread::sleep(Duration::from_millis(300));
    let pid = child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let out = child.wait_with_output().unwrap();
    assert_quiet("signal serve", &out);
}

#[test]
fn call() {
    let s = common::signal::Server::start(&[]);
    let url = s.url();
    let args = |extra: &[&'static str]| {
        let mut a = vec!["--json", "call", "--signal", &url, "--bind", "127.0.0.1", "--duration", "1s"];
        a.extend_from_slice(extra);
        a.into_iter().map(String::from).collect::<Vec<_>>()
    };
    let callee_args = args(&["--wait", "--name", "alice"]);
    let callee = closed(&callee_args.iter().map(String::as_str).collect::<Vec<_>>()).spawn().unwrap();
    thread::sleep(Duration::from_millis(300));
    let caller_args = args(&["--to", "alice", "--name", "bob"]);
    let caller = closed(&caller_args.iter().map(String::as_str).collect::<Vec<_>>()).output().unwrap();
    let callee = callee.wait_with_output().unwrap();
    assert_quiet("call (caller)", &caller);
    assert_quiet("call (callee)", &callee);
}
