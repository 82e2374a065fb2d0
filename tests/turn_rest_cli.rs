//! TURN REST credentials (`--auth-secret`) against a real coturn with `use-auth-secret`: gather
//! allocates with them, a wrong secret is a 401, and the secret is never printed; loopback
//! relays a whole call with them.

mod common {
    pub mod coturn;
}

use std::process::{Command, Output};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_rtctool");
const SECRET: &str = "s3cr3t-rest";

fn rtctool(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env_remove("RTCTOOL_TURN_USERNAME")
        .env_remove("RTCTOOL_TURN_PASSWORD")
        .env_remove("RTCTOOL_TURN_SECRET")
        .output()
        .expect("running rtctool")
}

fn relay(name: &str) -> Option<common::coturn::Coturn> {
    common::coturn::loopback_relay_with(
        name,
        &["--use-auth-secret", "--static-auth-secret", SECRET, "-r", "rtctool.test"],
    )
}

fn assert_secret_hidden(out: &Output) {
    for stream in [&out.stdout, &out.stderr] {
        assert!(!String::from_utf8_lossy(stream).contains(SECRET), "the secret was printed");
    }
}

/// `rtctool --json gather` on the loopback, as alice, with this REST secret.
fn gather_as_alice(turn: &str, secret: &str) -> Output {
    rtctool(&[
        "--json",
        "gather",
        "--interface",
        "lo",
        "--turn",
        turn,
        "-u",
        "alice",
        "--auth-secret",
        secret,
    ])
}

#[test]
fn gather_allocates_with_rest_credentials_and_explains_a_wrong_secret() {
    let Some(coturn) = relay("rest-gather") else { return };
    let turn = format!("turn:127.0.0.1:{}", coturn.port);
    let out = gather_as_alice(&turn, SECRET);
    assert_secret_hidden(&out);
    let j: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(out.status.code(), Some(0), "{j:#}");
    let server = &j["servers"][0];
    assert_eq!(server["ok"], true, "{j:#}");
    assert!(server["relayed_address"].as_str().is_some(), "{j:#}");

    // (Expired credentials are refused too: tests/turn_client.rs, with an expiry in the past.)
    let out = gather_as_alice(&turn, "not the secret");
    let j: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(out.status.code(), Some(1), "a wrong secret: {j:#}");
    assert_eq!(j["servers"][0]["error"]["code"], 401, "{j:#}");
    assert!(j["diagnosis"][0].as_str().unwrap_or("").contains("rejected the credentials"), "{j:#}");
}

#[test]
fn the_secret_can_come_from_a_file_or_the_environment() {
    let Some(coturn) = relay("rest-sources") else { return };
    let turn = format!("turn:alice@127.0.0.1:{}", coturn.port);
    let file = std::env::temp_dir().join(format!("rtctool-rest-secret-{}", std::process::id()));
    std::fs::write(&file, format!("{SECRET}\n")).unwrap();
    let out = rtctool(&[
        "--json",
        "gather",
        "--interface",
        "lo",
        "--turn",
        &turn,
        "--auth-secret-file",
        file.to_str().unwrap(),
    ]);
    let _ = std::fs::remove_file(&file);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    let out = Command::new(BIN)
        .args(["--json", "gather", "--interface", "lo", "--turn", &turn])
        .env("RTCTOOL_TURN_SECRET", SECRET)
        .env_remove("RTCTOOL_TURN_PASSWORD")
        .output()
        .unwrap();
    assert_secret_hidden(&out);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
}

#[test]
fn loopback_relays_a_call_with_rest_credentials() {
    let Some(coturn) = relay("rest-loopback") else { return };
    let turn = format!("turn:alice@127.0.0.1:{}", coturn.port);
    let out = rtctool(&[
        "--json",
        "loopback",
        "--relay-only",
        "--ice-server",
        &turn,
        "--auth-secret",
        SECRET,
        "--duration",
        "1s",
        "--media",
        "audio",
    ]);
    assert_secret_hidden(&out);
    let j: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(out.status.code(), Some(0), "{j:#}");
    assert_eq!(j["selected_pair"]["local"]["type"], "relay", "{j:#}");
}
