//! `rtctool stun decode` as a user runs it: the real binary, its output and exit codes.

use std::io::Write;
use std::process::{Command, Output, Stdio};

const REQUEST: &str = "000100582112a442b7e7a701bc34d686fa87dfae802200105354554e207465737420636c69656e74002400046e0001ff80290008932ff9b151263b36000600096576746a3a683676592020200008001 49aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a280280004e57a3bcf";
const PASSWORD: &str = "VOkJxbRl1RmTxUk/WvJxBt";
const LONG_TERM: &str = "000100602112a44278ad3433c6ad72c029da412e00060012e3839ee38388e383aae38383e382afe382b900000015001c662f2f3439396b39353464364f4c33346f4c394653547679363473410014000b6578616d706c652e6f726700000800 14f67024656dd64a3e02b8e0712e85c9a28ca89666";

fn rtctool(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rtctool"));
    cmd.args(args).env_remove("NO_COLOR").env_remove("RTCTOOL_STUN_PASSWORD");
    cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("run rtctool");
    if let Some(input) = stdin {
        child.stdin.take().unwrap().write_all(input).unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn unhex(s: &str) -> Vec<u8> {
    rtctool::stun::decode_text(s, rtctool::stun::Encoding::Hex).unwrap()
}

#[test]
fn decodes_and_verifies_short_term() {
    let out = rtctool(&["stun", "decode", REQUEST, "--password", PASSWORD], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("STUN Binding Request"));
    assert!(stdout.contains("USERNAME: \"evtj:h6vY\""));
    assert!(stdout.contains("Checks: FINGERPRINT ok, MESSAGE-INTEGRITY ok (short-term credential)"));
    assert!(!stdout.contains('\u{1b}'), "no colour into a pipe");
}

#[test]
fn without_password_integrity_is_unchecked_and_exit_is_0() {
    let out = rtctool(&["stun", "decode", REQUEST], None);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).contains("MESSAGE-INTEGRITY unchecked"));
}

#[test]
fn long_term_from_base64_on_stdin() {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(unhex(LONG_TERM));
    let out = rtctool(&["--json", "stun", "decode", "-", "--password", "TheMatrIX"], Some(b64.as_bytes()));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["integrity"], "ok");
    assert_eq!(v["fingerprint"], "absent");
    assert_eq!(v["attributes"][0]["name"], "USERNAME");
    assert_eq!(v["attributes"][0]["value"], "マトリックス");
    assert!(v["integrity_key"].as_str().unwrap().contains("long-term"));
}

#[test]
fn raw_file_and_forced_formats() {
    let dir = std::env::temp_dir().join(format!("rtctool-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("req.bin");
    std::fs::write(&path, unhex(REQUEST)).unwrap();
    let out = rtctool(&["--json", "stun", "decode", path.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["transaction_id"], "b7e7a701bc34d686fa87dfae");
    assert_eq!(v["message_type"], 1);
    assert_eq!(v["class"], "request");
    assert_eq!(v["method"], "Binding");
    assert_eq!(v["fingerprint"], "ok");
    assert_eq!(v["integrity"], "unchecked");
    let out = rtctool(&["stun", "decode", "--format", "raw", path.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(0));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn flipped_byte_is_a_fingerprint_failure_with_exit_3() {
    let mut bytes = unhex(REQUEST);
    bytes[30] ^= 0x04; // inside SOFTWARE
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let out = rtctool(&["stun", "decode", &hex, "--password", PASSWORD], None);
    assert_eq!(out.status.code(), Some(3));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("FINGERPRINT BAD"), "{stdout}");
    assert!(stdout.contains("MESSAGE-INTEGRITY BAD"), "{stdout}");
    let stderr = text(&out.stderr);
    assert!(stderr.contains("FINGERPRINT mismatch") && stderr.contains("offset 100"), "{stderr}");
}

#[test]
fn wrong_password_is_an_integrity_failure() {
    let out = rtctool(&["stun", "decode", REQUEST, "--password", "nope"], None);
    assert_eq!(out.status.code(), Some(3));
    assert!(text(&out.stderr).contains("MESSAGE-INTEGRITY does not verify"));
}

#[test]
fn damaged_attribute_is_reported_with_offset_and_decoding_goes_on() {
    // XOR-MAPPED-ADDRESS with family 0x03 in the middle, SOFTWARE after it.
    let msg = "0101002c2112a442000102030405060708090a0b\
               0020000800037777aaaaaaaa\
               8022000474657374\
               00060004757365720000000000000000";
    let msg: String = msg.split_whitespace().collect();
    let out = rtctool(&["--json", "stun", "decode", &msg], None);
    assert_eq!(out.status.code(), Some(3));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["attributes"][0]["name"], "XOR-MAPPED-ADDRESS");
    assert!(v["attributes"][0]["value"].is_null());
    assert!(v["attributes"][0]["error"].as_str().unwrap().contains("family 0x03"));
    assert_eq!(v["attributes"][1]["value"], "test", "decoding went on after the damaged attribute");
    let problems = v["problems"].as_array().unwrap();
    assert!(problems.iter().any(|p| p["offset"] == 20), "{problems:?}");
}

#[test]
fn truncated_message_says_where() {
    let hex: String = unhex(REQUEST)[..60].iter().map(|b| format!("{b:02x}")).collect();
    let out = rtctool(&["stun", "decode", &hex], None);
    assert_eq!(out.status.code(), Some(3));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("says 88 bytes of attributes"), "{stdout}");
}

#[test]
fn not_stun_is_an_input_error() {
    for (input, needle) in
        [("16fefd0000", "DTLS"), ("zz top", "not hex or base64"), ("0001", "shorter than the 20-byte")]
    {
        let out = rtctool(&["stun", "decode", input], None);
        assert_eq!(out.status.code(), Some(3), "{input}");
        assert!(text(&out.stderr).contains(needle), "{input}: {}", text(&out.stderr));
    }
}

#[test]
fn channel_data_with_inner_stun() {
    // ChannelData 0x4001 carrying the RFC 5769 request.
    let inner = unhex(REQUEST);
    let mut frame = vec![0x40, 0x01];
    frame.extend_from_slice(&(inner.len() as u16).to_be_bytes());
    frame.extend_from_slice(&inner);
    let hex: String = frame.iter().map(|b| format!("{b:02x}")).collect();
    let out = rtctool(&["--ndjson", "stun", "decode", &hex], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let lines: Vec<serde_json::Value> =
        text(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["kind"], "channel-data");
    assert_eq!(lines[0]["channel"], 0x4001);
    assert_eq!(lines[1]["kind"], "stun");
    assert_eq!(lines[1]["via"], "channel-data");
    assert_eq!(lines[1]["fingerprint"], "ok");
}

#[test]
fn usage_errors_exit_2() {
    let out = rtctool(&["stun", "decode", REQUEST, "--username", "u"], None);
    assert_eq!(out.status.code(), Some(2));
    let out = rtctool(&["stun", "frobnicate"], None);
    assert_eq!(out.status.code(), Some(2));
    let out = rtctool(&["--json", "--ndjson", "stun", "decode", REQUEST], None);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn color_always_colours_and_never_does_not() {
    let out = rtctool(&["--color", "always", "stun", "decode", REQUEST], None);
    assert!(text(&out.stdout).contains('\u{1b}'));
    let out = rtctool(&["--color", "never", "stun", "decode", REQUEST], None);
    assert!(!text(&out.stdout).contains('\u{1b}'));
}
