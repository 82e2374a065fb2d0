//! `rtctool sdp ...` as a user runs it: the real binary, its output, JSON keys and exit codes.

use std::io::Write;
use std::process::{Command, Output, Stdio};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/sdp");
const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/corpus/sdp");

fn rtctool(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rtctool"));
    cmd.args(args).env_remove("NO_COLOR");
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

fn fixture(name: &str) -> String {
    format!("{FIXTURES}/{name}")
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out.stdout)))
}

#[test]
fn lint_clean_offer_exits_0() {
    let out = rtctool(&["sdp", "lint", &fixture("chrome-1-initial-offer.json")], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(text(&out.stdout).ends_with("no problems\n"));
    assert!(!text(&out.stdout).contains('\u{1b}'), "no colour into a pipe");
}

#[test]
fn lint_errors_exit_1_with_json_records() {
    let out = rtctool(&["--json", "sdp", "lint", &format!("{CORPUS}/moz-08.sdp")], None);
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out);
    let problems = v["problems"].as_array().unwrap();
    for p in problems {
        for key in ["rule", "severity", "line", "mid", "message"] {
            assert!(p.get(key).is_some(), "{key} missing in {p}");
        }
    }
    let fp = problems.iter().find(|p| p["rule"] == "fingerprint-length").unwrap();
    assert_eq!(fp["line"], 51);
    assert_eq!(fp["mid"], "second");
    assert_eq!(fp["severity"], "error");
}

#[test]
fn lint_as_answer_checks_setup_role() {
    let path = fixture("chrome-1-initial-offer.json");
    let out = rtctool(&["--json", "sdp", "lint", "--as", "answer", &path], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(json(&out)["problems"].as_array().unwrap().iter().any(|p| p["rule"] == "setup-role"));
    // The JSON type ("offer") is the default role.
    let out = rtctool(&["--json", "sdp", "lint", &path], None);
    assert_eq!(json(&out)["problems"], serde_json::json!([]));
}

#[test]
fn lint_reads_stdin_in_every_wrapping() {
    let raw = std::fs::read_to_string(format!("{CORPUS}/st-jsep.sdp")).unwrap();
    let string = serde_json::to_string(&raw).unwrap();
    let object = serde_json::json!({"type": "offer", "sdp": raw}).to_string();
    for input in [raw.clone(), raw.replace('\n', "\r\n"), string, object] {
        let out = rtctool(&["--json", "sdp", "lint", "-"], Some(input.as_bytes()));
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    }
}

#[test]
fn unreadable_and_non_sdp_input_exit_3() {
    let out = rtctool(&["sdp", "lint", "/nonexistent/offer.sdp"], None);
    assert_eq!(out.status.code(), Some(3));
    assert!(text(&out.stderr).contains("reading /nonexistent/offer.sdp: "), "{}", text(&out.stderr));
    let out = rtctool(&["sdp", "show", "-"], Some(b"hello world\n"));
    assert_eq!(out.status.code(), Some(3));
    assert!(text(&out.stderr).contains("not SDP"));
    let out = rtctool(
        &["sdp", "diff", "-", &fixture("chrome-1-initial-offer.json")],
        Some(b"{\"type\": \"offer\"}"),
    );
    assert_eq!(out.status.code(), Some(3));
    assert!(text(&out.stderr).contains("\"sdp\""), "{}", text(&out.stderr));
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(rtctool(&["sdp", "lint"], None).status.code(), Some(2));
    assert_eq!(rtctool(&["sdp", "lint", "--as", "maybe", "x"], None).status.code(), Some(2));
    assert_eq!(rtctool(&["sdp", "diff", "a"], None).status.code(), Some(2));
}

#[test]
fn list_rules() {
    let out = rtctool(&["sdp", "lint", "--list-rules"], None);
    assert_eq!(out.status.code(), Some(0));
    let stdout = text(&out.stdout);
    for rule in rtctool::sdp::RULES {
        assert!(stdout.contains(rule.id), "{}", rule.id);
    }
    let out = rtctool(&["--json", "sdp", "lint", "--list-rules"], None);
    let v = json(&out);
    assert_eq!(v["rules"].as_array().unwrap().len(), rtctool::sdp::RULES.len());
    assert_eq!(v["rules"][0]["id"], "line-syntax");
    assert_eq!(v["rules"][0]["severity"], "error");
}

#[test]
fn diff_exit_codes_and_json() {
    let a = fixture("chrome-1-initial-offer.json");
    let b = fixture("chrome-2-ice-restart-offer.json");
    let out = rtctool(&["sdp", "diff", &a, &a], None);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).contains("no semantic differences"));

    let out = rtctool(&["--json", "sdp", "diff", &a, &b], None);
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out);
    let changes = v["changes"].as_array().unwrap();
    for c in changes {
        for key in ["kind", "mid", "before", "after", "message"] {
            assert!(c.get(key).is_some(), "{key} missing in {c}");
        }
    }
    assert!(changes.iter().any(|c| c["kind"] == "ice-restart" && c["mid"] == "0"));

    let out = rtctool(&["--ndjson", "sdp", "diff", &a, &b], None);
    assert_eq!(text(&out.stdout).lines().count(), changes.len());

    let out = rtctool(&["sdp", "diff", &a, &b], None);
    let stdout = text(&out.stdout);
    assert!(stdout.contains("ice-restart"));
    assert!(stdout.contains("session-version-changed  session version: 2 → 3"));
}

#[test]
fn check_exit_codes_and_json() {
    let offer = fixture("chrome-3-recvonly-offer.json");
    let answer = fixture("chrome-3-recvonly-answer.json");
    let out = rtctool(&["sdp", "check", &offer, &answer], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));

    // Swapped: the answer as offer gets a role-mismatch warning and real errors.
    let out = rtctool(&["--json", "sdp", "check", &answer, &offer], None);
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out);
    let problems = v["problems"].as_array().unwrap();
    for p in problems {
        for key in ["rule", "severity", "line", "mid", "message", "side"] {
            assert!(p.get(key).is_some(), "{key} missing in {p}");
        }
    }
    assert!(problems.iter().any(|p| p["rule"] == "role-mismatch"));
    assert!(problems.iter().any(|p| p["rule"] == "answer-setup"));
}

#[test]
fn show_human_and_json() {
    let path = fixture("chrome-1-initial-offer.json");
    let out = rtctool(&["sdp", "show", &path], None);
    assert_eq!(out.status.code(), Some(0));
    let stdout = text(&out.stdout);
    for needle in [
        "SDP offer",
        "(JSON)",
        "m=audio mid 0",
        "opus/48000/2",
        "red/48000/2",
        "rtx/90000 → 96",
        "transport-cc",
        "candidates",
        "host",
        "setup actpass",
        "SCTP: port 5000",
    ] {
        assert!(stdout.contains(needle), "{needle:?} not in:\n{stdout}");
    }

    let out = rtctool(&["--json", "sdp", "show", &path], None);
    assert_eq!(out.status.code(), Some(0));
    let v = json(&out);
    assert_eq!(v["type"], "offer");
    assert_eq!(v["media"][0]["mid"], "0");
    assert_eq!(v["media"][0]["codecs"][0]["name"], "opus");
    assert_eq!(v["media"][0]["codecs"][0]["rtcp_fb"][0], "transport-cc");
    assert_eq!(v["media"][1]["codecs"][1]["apt"], 96);
    assert_eq!(v["media"][0]["candidates"][0]["type"], "host");
    assert_eq!(v["media"][2]["sctp_port"], 5000);
    assert_eq!(v["session"]["groups"][0]["mids"], serde_json::json!(["0", "1", "2"]));
    assert!(v["lines"].as_array().unwrap().len() > 100);

    let out = rtctool(&["--ndjson", "sdp", "show", &path], None);
    assert_eq!(text(&out.stdout).lines().count(), 1);
}

#[test]
fn colour_when_asked() {
    let out = rtctool(&["--color", "always", "sdp", "lint", &format!("{CORPUS}/st-invalid.sdp")], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).contains('\u{1b}'));
}

/// Input that is not valid UTF-8: `sdp lint` flags every bad line (not only the first), and
/// `sdp show --json` says so too and keeps each bad line's bytes, so that the input is still
/// rebuilt byte for byte from `lines`.
#[test]
fn invalid_utf8_is_flagged_on_every_line_and_kept_byte_for_byte() {
    let input: &[u8] = b"v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=caf\xe9\r\nt=0 0\r\ni=\xff\xfe\r\n";
    let lint = json(&rtctool(&["--json", "sdp", "lint", "-"], Some(input)));
    let lines: Vec<u64> = lint["problems"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["rule"] == "encoding")
        .map(|p| p["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [3, 5]);
    let show = json(&rtctool(&["--json", "sdp", "show", "-"], Some(input)));
    assert!(show["problems"].as_array().unwrap().iter().any(|p| p["rule"] == "encoding" && p["line"] == 3));
    let mut rebuilt = Vec::new();
    for line in show["lines"].as_array().unwrap() {
        match line["bytes_hex"].as_str() {
            Some(hex) => rebuilt
                .extend((0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())),
            None => rebuilt.extend_from_slice(line["text"].as_str().unwrap().as_bytes()),
        }
        rebuilt.extend_from_slice(if line["ending"] == "crlf" { b"\r\n" } else { b"\n" });
    }
    assert_eq!(rebuilt, input);
}
