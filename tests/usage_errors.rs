//! Usage errors say what is wrong without echoing a secret, and refuse what cannot work.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_rtctool");

fn run(args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(BIN).args(args).stdin(std::process::Stdio::null()).output().expect("rtctool");
    (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn a_rejected_ice_server_url_is_echoed_without_its_password() {
    for command in ["loopback", "call"] {
        let mut args = vec![command, "--ice-server", "turn:alice:hunter2@host:99999"];
        if command == "call" {
            args.extend(["--signal", "http://127.0.0.1:1"]);
        }
        let (code, stderr) = run(&args);
        assert_eq!(code, Some(2), "{command}: {stderr}");
        assert!(!stderr.contains("hunter2"), "{command} echoed the password: {stderr}");
        assert!(stderr.contains("--ice-server turn:***@host:99999: port 99999"), "{command}: {stderr}");
    }
}

#[test]
fn standard_input_is_read_once() {
    for args in [["sdp", "diff", "-", "-"], ["sdp", "check", "-", "-"]] {
        let (code, stderr) = run(&args);
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("standard input is read once"), "{args:?}: {stderr}");
    }
}
