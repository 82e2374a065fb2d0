//! `rtctool call` end to end on 127.0.0.1: two calls through `rtctool signal serve`, every
//! frame verified both ways; and the exact bytes `call` sends, checked by a server that knows
//! only the native client's requests.

mod common {
    pub mod coturn;
    pub mod signal;
}

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use serde_json::Value;

use common::signal::{report, Server, BIN};

fn call_args<'a>(url: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec!["--json", "call", "--signal", url, "--bind", "127.0.0.1"];
    a.extend_from_slice(extra);
    a
}

fn spawn(args: &[&str]) -> std::process::Child {
    Command::new(BIN)
        .args(args)
        .env_remove("RTCTOOL_TURN_USERNAME")
        .env_remove("RTCTOOL_TURN_PASSWORD")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting rtctool call")
}

fn stream<'a>(r: &'a Value, name: &str) -> &'a Value {
    r["media"]["streams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["stream"] == name)
        .unwrap_or_else(|| panic!("no {name}: {r:#}"))
}

#[test]
fn two_rtctools_call_through_signal_serve_and_verify_every_frame() {
    let s = Server::start(&[]);
    let url = s.url();
    let callee =
        spawn(&call_args(&url, &["--wait", "--name", "alice", "--duration", "2s", "--timeout", "20s"]));
    thread::sleep(Duration::from_millis(300));
    let caller =
        spawn(&call_args(&url, &["--to", "alice", "--name", "bob", "--duration", "2s", "--timeout", "20s"]));
    let caller = caller.wait_with_output().unwrap();
    let callee = callee.wait_with_output().unwrap();
    let (a, b) = (report(&callee), report(&caller));
    assert_eq!(caller.status.code(), Some(0), "{b:#}");
    assert_eq!(callee.status.code(), Some(0), "{a:#}");
    for (r, role, me, peer) in [(&b, "caller", "bob", "alice"), (&a, "callee", "alice", "bob")] {
        assert_eq!(r["connected"], true);
        assert_eq!(r["role"], role);
        assert_eq!(r["me"]["name"], me);
        assert_eq!(r["peer"]["name"], peer);
        assert!(r["peer"]["rtctool"].is_string(), "the peer announced itself as rtctool");
        for key in ["answer", "ice_connected", "dtls_connected", "first_media"] {
            assert!(r["timings_ms"][key].as_f64().is_some(), "{key}: {r:#}");
        }
        let pair = &r["selected_pair"];
        assert_eq!(
            (pair["local"]["type"].as_str(), pair["remote"]["type"].as_str()),
            (Some("host"), Some("host")),
            "{r:#}"
        );
        assert!(r["pairs"].as_array().unwrap().iter().any(|p| p["responses_received"].as_u64() > Some(0)));
        for kind in ["audio", "video"] {
            let rx = stream(r, &format!("remote→local {kind}"));
            assert!(rx["frames"]["verified"].as_u64().unwrap() > 10, "{rx:#}");
            assert_eq!(rx["frames"]["corrupted"], 0, "{rx:#}");
            // What the other side sent, from its report, against what arrived here.
            let sent = r["remote_report"]["media"]["streams"]
                .as_array()
                .expect("the peer's report came over the signalling channel")
                .iter()
                .find(|s| s["stream"] == format!("local→remote {kind}"))
                .unwrap()["frames"]["sent"]
                .as_u64()
                .unwrap();
            let verified = rx["frames"]["verified"].as_u64().unwrap();
            assert!(verified <= sent && verified * 100 >= sent * 90, "{verified} of {sent} {kind} frames");
        }
        assert!(r["checks"].as_array().unwrap().iter().all(|c| c["ok"] == true), "{r:#}");
    }
    let dc = &b["data_channel"];
    assert!(dc["messages_sent"].as_u64().unwrap() > 10, "{dc:#}");
    assert_eq!(dc["messages_received"], dc["messages_sent"], "every ping echoed: {dc:#}");
    assert_eq!(dc["corrupted"], 0);
}

#[test]
fn a_relay_only_call_goes_through_coturn_on_both_sides() {
    let Some(turn_server) = common::coturn::loopback_relay("call-turn") else { return };
    let s = Server::start(&[]);
    let url = s.url();
    let turn = format!("turn:alice:wonderland@127.0.0.1:{}", turn_server.port);
    let relay = [
        "--ice-server",
        turn.as_str(),
        "--relay-only",
        "--media",
        "audio",
        "--duration",
        "1s",
        "--timeout",
        "20s",
    ];
    let mut wait = vec!["--wait", "--name", "alice"];
    wait.extend_from_slice(&relay);
    let callee = spawn(&call_args(&url, &wait));
    thread::sleep(Duration::from_millis(300));
    let mut to = vec!["--to", "alice", "--name", "bob"];
    to.extend_from_slice(&relay);
    let caller = spawn(&call_args(&url, &to)).wait_with_output().unwrap();
    let callee = callee.wait_with_output().unwrap();
    for out in [&caller, &callee] {
        let r = report(out);
        assert_eq!(out.status.code(), Some(0), "{r:#}");
        assert_eq!(r["selected_pair"]["local"]["type"], "relay", "{r:#}");
        assert!(r["candidates"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["from"] == "local")
            .all(|c| c["candidate"]["type"] == "relay"));
        // The password never shows.
        assert!(!String::from_utf8_lossy(&out.stdout).contains("wonderland"), "the TURN password leaked");
        assert!(
            r["checks"].as_array().unwrap().iter().any(|c| c["name"] == "relay pair" && c["ok"] == true),
            "{r:#}"
        );
    }
}

#[test]
fn a_peer_that_never_comes_is_a_network_error_with_a_diagnosis() {
    let s = Server::start(&[]);
    let out =
        Command::new(BIN).args(call_args(&s.url(), &["--to", "nobody", "--timeout", "1s"])).output().unwrap();
    assert_eq!(out.status.code(), Some(4));
    let r = report(&out);
    assert_eq!(r["connected"], false);
    assert_eq!(r["diagnosis"][0], "the peer never signed in to the signalling server");
    assert!(String::from_utf8_lossy(&out.stderr).contains("did not sign in within 1s"));

    // Nothing listening: exit 4, said plainly.
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("http://127.0.0.1:{port}");
    let out = Command::new(BIN).args(call_args(&url, &["--wait", "--timeout", "2s"])).output().unwrap();
    assert_eq!(out.status.code(), Some(4));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("refused"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Whether the offer and at least one candidate have been posted.
fn offer_and_candidate_in(log: &Mutex<Vec<Vec<u8>>>) -> bool {
    let all = log.lock().unwrap();
    let posts: Vec<String> = all
        .iter()
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .filter(|t| t.starts_with("POST "))
        .collect();
    posts.iter().any(|t| t.contains("\"offer\""))
        && posts.iter().any(|t| t.contains("\"candidate\":\"candidate:"))
}

/// A server that knows the native client's requests byte for byte and nothing else: sign-in
/// lists alice, the hanging GET is held until the test has seen the offer and a candidate, then
/// answered with BYE from alice.
#[test]
fn call_sends_exactly_what_the_native_client_sends() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let seen: Arc<Mutex<Vec<Vec<u8>>>> = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    thread::spawn(move || {
        let mut parked: Vec<std::net::TcpStream> = Vec::new();
        for conn in listener.incoming() {
            let Ok(mut c) = conn else { continue };
            c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            let mut buf = Vec::new();
            let mut chunk = [0u8; 65536];
            // Read the head, then Content-Length bytes, matching the native header case only.
            loop {
                let n = c.read(&mut chunk).unwrap_or(0);
                if n == 0 {
                    break;
                }
                buf.extend_from_slice(&chunk[..n]);
                if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
                    let len = head
                        .split("\r\nContent-Length: ")
                        .nth(1)
                        .map_or(0, |v| v.split("\r\n").next().unwrap().parse::<usize>().unwrap());
                    if buf.len() >= end + 4 + len {
                        break;
                    }
                }
            }
            log.lock().unwrap().push(buf.clone());
            let respond = |c: &mut std::net::TcpStream, status: &str, pragma: Option<u32>, body: &str| {
                let mut r = format!(
                    "HTTP/1.1 {status}\r\nServer: PeerConnectionTestServer/0.1\r\nCache-Control: no-cache\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n",
                    body.len()
                );
                if let Some(p) = pragma {
                    r.push_str(&format!("Pragma: {p}\r\n"));
                }
                r.push_str("\r\n");
                r.push_str(body);
                let _ = c.write_all(r.as_bytes());
            };
            let text = String::from_utf8_lossy(&buf).into_owned();
            if text == "GET /sign_in?bob HTTP/1.0\r\n\r\n" {
                respond(&mut c, "200 Added", Some(2), "bob,2,1\nalice,1,1\n");
            } else if text == "GET /wait?peer_id=2 HTTP/1.0\r\n\r\n" {
                let ready = offer_and_candidate_in(&log);
                if ready {
                    respond(&mut c, "200 OK", Some(1), "BYE");
                } else {
                    parked.push(c);
                    continue;
                }
            } else if text.starts_with("POST /message?peer_id=2&to=1 HTTP/1.0\r\nContent-Length: ")
                && text.contains("\r\nContent-Type: text/plain\r\n\r\n")
            {
                respond(&mut c, "200 OK", None, "");
                // A parked GET is answered once the offer and a candidate are in.
                let ready = offer_and_candidate_in(&log);
                if ready {
                    for mut p in parked.drain(..) {
                        respond(&mut p, "200 OK", Some(1), "BYE");
                    }
                }
            } else if text == "GET /sign_out?peer_id=2 HTTP/1.0\r\n\r\n" {
                respond(&mut c, "200 OK", None, "");
            } else {
                respond(&mut c, "400 Not a native request", None, "");
            }
        }
    });
    let url = format!("http://{addr}");
    let out = Command::new(BIN)
        .args(call_args(&url, &["--to", "alice", "--name", "bob", "--timeout", "10s"]))
        .output()
        .unwrap();
    let r = report(&out);
    assert_eq!(out.status.code(), Some(4), "BYE before connecting: {r:#}");
    assert!(r["timeline"].as_array().unwrap().iter().any(|e| e["event"] == "bye-received"), "{r:#}");
    let all: Vec<String> =
        seen.lock().unwrap().iter().map(|b| String::from_utf8_lossy(b).into_owned()).collect();
    assert_eq!(all[0], "GET /sign_in?bob HTTP/1.0\r\n\r\n");
    assert!(all.iter().any(|t| t == "GET /wait?peer_id=2 HTTP/1.0\r\n\r\n"));
    assert!(all.iter().all(|t| !t.starts_with("400")), "{all:?}");
    let posts: Vec<&String> = all.iter().filter(|t| t.starts_with("POST ")).collect();
    // The offer goes first, then candidates; each a whole message with its exact length.
    for (i, p) in posts.iter().enumerate() {
        let (head, body) = p.split_once("\r\n\r\n").unwrap();
        assert_eq!(
            head,
            format!(
                "POST /message?peer_id=2&to=1 HTTP/1.0\r\nContent-Length: {}\r\nContent-Type: text/plain",
                body.len()
            )
        );
        if body == "BYE" {
            continue;
        }
        let v: Value = serde_json::from_str(body).unwrap();
        if i == 0 {
            assert_eq!(v["type"], "offer");
            assert!(v["sdp"].as_str().unwrap().starts_with("v=0\r\n"));
        } else {
            assert!(v["candidate"].as_str().unwrap().starts_with("candidate:"), "{v}");
            assert!(v["sdpMid"].is_string() && v["sdpMLineIndex"].is_u64(), "{v}");
        }
    }
    assert!(all.iter().any(|t| t == "GET /sign_out?peer_id=2 HTTP/1.0\r\n\r\n"), "{all:?}");
}
