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

/// Exit code, and standard output then standard error.
fn run_all(args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(BIN).args(args).stdin(std::process::Stdio::null()).output().expect("rtctool");
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    (out.status.code(), text)
}

#[test]
fn a_half_bracketed_flow_is_refused() {
    for bad in ["[::1", "[10.0.0.1]", "::1]"] {
        let (code, text) = run(&["pcap", "decode", "/dev/null", "--flow", bad]);
        assert_eq!(code, Some(2), "{bad}: {text}");
        assert!(text.contains("is not ADDR, ADDR:PORT or [IPv6]:PORT"), "{text}");
    }
}

#[test]
fn stun_decode_reads_fifos_and_refuses_directories() {
    let dir = std::env::temp_dir().join(format!("rtctool-usage-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (code, text) = run(&["stun", "decode", dir.to_str().unwrap()]);
    assert_eq!(code, Some(3), "{text}");
    assert!(text.contains("is a directory"), "{text}");
    // A FIFO (what `<(...)` gives): read like a file, not taken for base64 text.
    let fifo = dir.join("message.fifo");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let path = fifo.clone();
    let writer = std::thread::spawn(move || std::fs::write(path, "000100002112a442000000000000000000000000"));
    let (code, text) = run_all(&["stun", "decode", fifo.to_str().unwrap()]);
    writer.join().unwrap().unwrap();
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("STUN Binding Request, 20 bytes"), "{text}");
    // A device that never ends is read up to the cap.
    let (code, text) = run(&["stun", "decode", "/dev/zero"]);
    assert_eq!(code, Some(3), "{text}");
    assert!(text.contains("more than 1048576 bytes"), "{text}");
}

#[test]
fn damaged_packets_make_errors_exit_1() {
    let dir = std::env::temp_dir().join(format!("rtctool-usage-pcap-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // A pcap (little-endian, Ethernet) with one 10-byte frame: too short for Ethernet.
    let mut pcap =
        vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0];
    pcap.extend_from_slice(&[0; 8]);
    pcap.extend_from_slice(&10u32.to_le_bytes());
    pcap.extend_from_slice(&10u32.to_le_bytes());
    pcap.extend_from_slice(&[0xab; 10]);
    let file = dir.join("damaged.pcap");
    std::fs::write(&file, &pcap).unwrap();
    let (code, text) = run_all(&["pcap", "decode", file.to_str().unwrap()]);
    assert_eq!(code, Some(0), "decoded as far as it goes: {text}");
    assert!(text.contains("problem"), "{text}");
    // In our words, not the parsing library's ("Ethernet 2 Header Error: Not enough data...").
    assert!(text.contains("Ethernet 2 header cut short: 10 bytes where it needs 14"), "{text}");
    assert!(!text.contains("Header Error"), "{text}");
    let (code, text) = run_all(&["pcap", "decode", "--errors", file.to_str().unwrap()]);
    assert_eq!(code, Some(1), "--errors finds the damaged packet: {text}");
}

#[test]
fn credentials_in_a_stun_url_are_refused_not_dropped() {
    let (code, text) = run(&["gather", "--stun", "stun:alice:s3cret@127.0.0.1:3478"]);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("credentials are not allowed in stun: URIs"), "{text}");
    assert!(!text.contains("s3cret"), "{text}");
    let (code, text) = run(&["loopback", "--ice-server", "stun:alice:s3cret@127.0.0.1"]);
    assert_eq!(code, Some(2), "{text}");
    assert!(!text.contains("s3cret"), "{text}");
}

#[test]
fn an_endless_media_file_is_refused_at_once() {
    let started = std::time::Instant::now();
    let (code, text) = run(&["loopback", "--media-file", "/dev/zero", "--duration", "1s"]);
    assert_eq!(code, Some(3), "{text}");
    assert!(text.contains("neither IVF (DKIF) nor Ogg (OggS)"), "{text}");
    assert!(started.elapsed() < std::time::Duration::from_secs(10), "not read to the end");
}
