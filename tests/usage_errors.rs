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

#[test]
fn a_mistyped_value_is_said_to_be_wrong() {
    let (code, stderr) = run(&["gather", "--interface", "nosuchif0"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("--interface nosuchif0: no such interface or address (the interfaces are "),
        "{stderr}"
    );
    let (code, stderr) = run(&["pcap", "decode", "--txid", "zz", "x.pcap"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("'zz' is not hex"), "{stderr}");
}

#[test]
fn an_empty_password_file_is_an_input_error_not_a_missing_credential() {
    let file = std::env::temp_dir().join(format!("rtctool-empty-password-{}", std::process::id()));
    std::fs::write(&file, "\nsecond line\n").unwrap();
    let (code, stderr) = run(&[
        "gather",
        "--turn",
        "turn:127.0.0.1:9",
        "-u",
        "alice",
        "--password-file",
        file.to_str().unwrap(),
    ]);
    let _ = std::fs::remove_file(&file);
    assert_eq!(code, Some(3), "{stderr}");
    assert!(stderr.contains("its first line is empty"), "{stderr}");
}

#[test]
fn a_mistyped_scheme_is_not_read_as_a_user_name() {
    let (code, stderr) = run(&["gather", "--turn", "turnx:alice@127.0.0.1"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("unknown scheme \"turnx\""), "{stderr}");
    assert!(!stderr.contains("alice"), "the part before @ may be a password: {stderr}");
}
