//! Everything `rtctool stun decode` does with its input once read, on arbitrary bytes: the
//! text decoders (hex, base64), frame recognition, the lenient report with and without
//! credentials and its human and JSON forms, and the zero-copy views underneath.

#![no_main]

use libfuzzer_sys::fuzz_target;
use rtctool::core::stun::{
    Attribute, ChannelData, Credentials, DecodeReport, Frame, IntegrityKey, Message, PasswordAlgorithm,
};
use rtctool::stun::{decode_text, Encoding};

fuzz_target!(|data: &[u8]| {
    decode_bytes(data);
    // The CLI also takes pasted text; whatever it decodes to goes down the same path.
    let text = String::from_utf8_lossy(data);
    for encoding in [Encoding::Hex, Encoding::Base64] {
        if let Ok(bytes) = decode_text(&text, encoding) {
            decode_bytes(&bytes);
        }
    }
});

fn decode_bytes(bytes: &[u8]) {
    report(bytes);
    views(bytes);
}

/// `stun decode` proper: `Frame::parse`, `DecodeReport::decode`, tree and JSON output.
fn report(bytes: &[u8]) {
    let Ok(frame) = Frame::parse(bytes) else {
        return;
    };
    // Short-term (plus long-term from the message's own USERNAME and REALM, when it has a
    // REALM), and long-term with the username and realm given.
    let short_term = Credentials { username: None, realm: None, password: "VOkJxbRl1RmTxUk/WvJxBt".into() };
    let long_term = Credentials {
        username: Some("\u{30de}\u{30c8}\u{30ea}\u{30c3}\u{30af}\u{30b9}".into()),
        realm: Some("example.org".into()),
        password: "The\u{00ad}M\u{00aa}tr\u{2168}".into(),
    };
    for credentials in [None, Some(&short_term), Some(&long_term)] {
        let Ok(report) = DecodeReport::decode(frame, credentials) else {
            continue;
        };
        let _ = report.has_errors();
        let tree = rtctool::core::output::decode_tree(&report).to_string();
        assert!(!tree.is_empty());
        let json = serde_json::to_string(&report).expect("a report serialises");
        assert!(json.starts_with('{'));
        // `--ndjson` writes the inner messages on their own lines.
        for inner in &report.inner {
            serde_json::to_string(inner).expect("a report serialises");
        }
    }
}

/// The zero-copy views the report is built on.
fn views(bytes: &[u8]) {
    let checked = Message::new_checked(bytes).is_ok();
    let msg = Message::new_unchecked(bytes);
    let key = msg.xor_key();
    let mut walked = 0;
    for item in msg.attributes() {
        match item {
            Ok(raw) => {
                assert!(raw.offset + 4 + raw.value.len() <= msg.as_bytes().len());
                let _ = raw.name();
                if let Ok(a) = Attribute::decode(&raw, key) {
                    let _ = a.value.to_json();
                    let _ = a.value.to_string();
                    // Re-encoding must not panic (reserved bits are not kept, so the bytes
                    // may differ).
                    let mut value = Vec::new();
                    a.encode_value(key, &mut value);
                }
                walked += 1;
            }
            Err(e) => {
                let _ = e.to_string();
            }
        }
    }
    if checked {
        assert!(walked <= bytes.len() / 4);
    }
    let _ = (msg.message_type(), msg.class(), msg.method(), msg.transaction_id_bytes());
    let _ = (msg.check_fingerprint(), msg.expected_fingerprint(), msg.has_integrity());
    let keys = [
        IntegrityKey::short_term("VOkJxbRl1RmTxUk/WvJxBt"),
        IntegrityKey::long_term("user", "realm", "pass", PasswordAlgorithm::Sha256),
    ];
    let _ = msg.check_integrity(&keys[0]);
    let _ = msg.check_integrity_any(&keys);
    let _ = msg.check_integrity_any(&[]);

    if let Ok(cd) = ChannelData::new_checked(bytes) {
        assert_eq!(cd.data().len(), usize::from(cd.length()));
        let _ = (cd.channel(), cd.trailing(), cd.padded_len(), cd.in_rfc8656_range());
    }
}
