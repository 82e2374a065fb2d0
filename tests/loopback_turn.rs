//! `rtctool loopback --relay-only` through a real TURN server: coturn on 127.0.0.1 (no root),
//! with long-term credentials. Both peers gather only relay candidates, so the call, media and
//! data channel all cross coturn.

use std::process::Command;

use serde_json::Value;

mod common {
    pub mod coturn;
}
use common::coturn::{self, Coturn};

const BIN: &str = env!("CARGO_BIN_EXE_rtctool");

/// coturn on 127.0.0.1 at a free port, relaying to loopback peers (the peers are there too).
fn coturn() -> Option<Coturn> {
    coturn::loopback_relay("loopback-turn")
}

fn loopback(args: &[&str], password_env: Option<&str>) -> (Value, Option<i32>, String) {
    let mut cmd = Command::new(BIN);
    cmd.args(["--json", "loopback"]).args(args).env_remove("RTCTOOL_TURN_USERNAME");
    match password_env {
        Some(p) => cmd.env("RTCTOOL_TURN_PASSWORD", p),
        None => cmd.env_remove("RTCTOOL_TURN_PASSWORD"),
    };
    let out = cmd.output().expect("running rtctool");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{stderr}", String::from_utf8_lossy(&out.stdout)));
    (report, out.status.code(), stderr)
}

#[test]
fn relay_only_call_goes_through_coturn() {
    let Some(server) = coturn() else { return };
    let url = format!("turn:alice@127.0.0.1:{}", server.port);
    let (r, code, stderr) = loopback(
        &["--ice-server", &url, "--relay-only", "--media", "audio", "--duration", "1s", "--timeout", "10s"],
        Some("wonderland"),
    );
    assert_eq!(code, Some(0), "{r:#}\n{stderr}");
    assert_eq!(r["connected"], true);
    let pair = &r["selected_pair"];
    assert_eq!(pair["local"]["type"], "relay", "{r:#}");
    assert_eq!(pair["remote"]["type"], "relay", "{r:#}");
    // Every gathered candidate is a relay candidate, and the check says so too.
    let candidates = r["candidates"].as_array().unwrap();
    assert!(candidates.len() >= 2, "{r:#}");
    assert!(candidates.iter().all(|c| c["candidate"]["type"] == "relay"), "{r:#}");
    let check =
        r["checks"].as_array().unwrap().iter().find(|c| c["name"] == "relay pair").expect("relay check");
    assert_eq!(check["ok"], true);
    for s in r["media"]["streams"].as_array().unwrap() {
        assert!(s["frames"]["verified"].as_u64().unwrap() > 10, "{s:#}");
        assert_eq!(s["frames"]["corrupted"], 0);
    }
    let dc = &r["data_channel"];
    assert_eq!(dc["messages_received"], dc["messages_sent"], "{dc:#}");
    // The password came from the environment and is printed nowhere.
    assert!(!r.to_string().contains("wonderland") && !stderr.contains("wonderland"));
}

#[test]
fn a_wrong_turn_password_never_connects_and_exits_4() {
    let Some(server) = coturn() else { return };
    let url = format!("turn:alice:not-the-password@127.0.0.1:{}", server.port);
    let (r, code, _) = loopback(
        &["--ice-server", &url, "--relay-only", "--media", "none", "--duration", "0", "--timeout", "2s"],
        None,
    );
    assert_eq!(code, Some(4), "{r:#}");
    assert_eq!(r["connected"], false);
    assert!(r["candidates"].as_array().unwrap().is_empty(), "{r:#}");
    let error = r["error"].as_str().unwrap();
    assert!(error.contains("did not connect"), "{r:#}");
    // webrtc-rs says nothing of the 401; rtctool's own Allocate finds it out.
    assert!(error.contains(&format!("our own Allocate to turn:alice@127.0.0.1:{}", server.port)), "{error}");
    assert!(error.contains("401 Unauthorized (the server rejected the credentials"), "{error}");
    assert!(!r.to_string().contains("not-the-password"));
}
