//! Everything `rtctool sdp` does with its input once read, on arbitrary bytes: input detection
//! (raw, JSON object, JSON string; lossy UTF-8), the line layer and typed view, lint with every
//! role, show (tree and JSON), diff and check of the input against itself — and against a
//! version with other line endings, which must be semantically equal.

#![no_main]

use libfuzzer_sys::fuzz_target;
use rtctool::sdp::{self, Role, Sdp};

fuzz_target!(|data: &[u8]| {
    let Ok(input) = sdp::decode(data, "fuzz") else { return };
    let parsed = Sdp::parse(&input.text);

    // The line layer is lossless.
    assert_eq!(sdp::lines::join_lines(&parsed.lines), input.text);

    for role in [None, Some(Role::Offer), Some(Role::Answer)] {
        for p in sdp::lint(&parsed, role) {
            assert!(p.line.is_none_or(|l| l as usize <= parsed.lines.len()), "{p:?}");
        }
    }
    let _ = sdp::show::to_tree(&parsed, &input, input.role()).to_string();
    let encoding = input.problems();
    let json = serde_json::to_string(&sdp::show::to_json(&parsed, &input, &encoding));
    assert!(json.is_ok());

    assert_eq!(sdp::diff(&parsed, &parsed), vec![]);
    let _ = sdp::check(&parsed, &parsed);

    // CRLF <-> LF is never a semantic change (lone CRs inside lines aside: they are content).
    if input.text.replace("\r\n", "").contains('\r') {
        return;
    }
    let other = if input.text.contains("\r\n") {
        input.text.replace("\r\n", "\n")
    } else {
        input.text.replace('\n', "\r\n")
    };
    let reparsed = Sdp::parse(&other);
    let changes = sdp::diff(&parsed, &reparsed);
    assert!(changes.is_empty(), "line endings changed the meaning: {changes:?}");
});
