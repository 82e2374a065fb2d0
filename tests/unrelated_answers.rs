//! A server that answers, but with nothing that answers our requests (an HTTP error page, a
//! STUN response with another transaction id): `gather` and `nat-type` say what came back
//! instead of calling the server silent or UDP blocked.

use std::net::{SocketAddr, UdpSocket};
use std::process::Command;
use std::time::Duration;

use rtctool::core::stun::{attr, Class, MessageBuilder, Method};

/// A UDP server on loopback that answers every datagram with what `reply` makes of it, until
/// nothing has come for five seconds.
fn server(reply: fn(&[u8], SocketAddr) -> Vec<u8>) -> SocketAddr {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let addr = socket.local_addr().unwrap();
    std::thread::spawn(move || {
        let mut buf = [0u8; 2048];
        while let Ok((n, from)) = socket.recv_from(&mut buf) {
            let _ = socket.send_to(&reply(&buf[..n], from), from);
        }
    });
    addr
}

fn web_page(_: &[u8], _: SocketAddr) -> Vec<u8> {
    b"HTTP/1.1 400 Bad Request\r\n\r\n".to_vec()
}

fn another_transaction(_: &[u8], from: SocketAddr) -> Vec<u8> {
    let mut b = MessageBuilder::new(Class::SuccessResponse, Method::BINDING, [0xee; 12]);
    b.xor_address(attr::XOR_MAPPED_ADDRESS, from);
    b.finish()
}

fn rtctool(args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_rtctool")).args(args).output().expect("run rtctool");
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code(), text)
}

#[test]
fn gather_says_what_came_back() {
    for (reply, what) in [
        (web_page as fn(&[u8], SocketAddr) -> Vec<u8>, "an HTTP response"),
        (
            another_transaction,
            "a STUN Binding Success Response with a transaction id no request of ours has (eeee",
        ),
    ] {
        let addr = server(reply);
        let url = format!("stun:{addr}");
        let (code, text) = rtctool(&["--color", "never", "gather", "--stun", &url, "--timeout", "800ms"]);
        assert_eq!(code, Some(1), "the server was reached, it failed: {text}");
        assert!(text.contains("but the server sent "), "{text}");
        assert!(text.contains(what), "{text}");
        assert!(!text.contains("seems blocked") && !text.contains("could be reached"), "{text}");
    }
}

#[test]
fn nat_type_says_what_came_back() {
    for reply in [web_page as fn(&[u8], SocketAddr) -> Vec<u8>, another_transaction] {
        let addr = server(reply);
        let out = Command::new(env!("CARGO_BIN_EXE_rtctool"))
            .args(["--json", "nat-type", &addr.to_string(), "--timeout", "800ms"])
            .output()
            .expect("run rtctool");
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("a JSON report");
        assert_eq!(out.status.code(), Some(1));
        assert_eq!(report["nat_type"], "unknown", "{report:#}");
        let why = report["reason"].as_str().unwrap_or_default();
        assert!(why.starts_with(&format!("no usable answer from {addr}: the server sent ")), "{why}");
        assert!(!why.contains("blocked"), "{why}");
    }
}
