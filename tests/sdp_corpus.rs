//! Every SDP of the corpus (`tests/fixtures/corpus/sdp/`, copied from the project's shared corpus):
//! parses, lints without spurious errors, reports the deliberate errors on the right lines, and
//! survives `show --json` → rebuild → reparse with every line's content.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use rtctool::sdp::{self, lint, show, Sdp, Severity};
use serde_json::Value;

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/corpus/sdp");

/// Error-severity findings per file, checked by hand against the files. Every other corpus
/// file must lint without any error.
/// `(rule, line)` pairs.
type Findings = &'static [(&'static str, Option<u32>)];

const EXPECTED_ERRORS: &[(&str, Findings)] = &[
    // Deliberately invalid (corpus README). The `;` comment lines 1-4 are not SDP; line 12 maps
    // PT 122, which the m= line (120 only) does not list.
    (
        "moz-03.sdp",
        &[
            ("line-syntax", Some(1)),
            ("line-syntax", Some(2)),
            ("line-syntax", Some(3)),
            ("line-syntax", Some(4)),
            ("payload-type-unlisted", Some(12)),
        ],
    ),
    // Deliberately invalid: "mismatched fingerprint length" is line 51 (sha-1 with 32 bytes).
    // Also true: `a=ssrc:5150` (48) has no attribute, `a=ice-lite` (84) is session-only.
    (
        "moz-08.sdp",
        &[
            ("line-syntax", Some(1)),
            ("line-syntax", Some(2)),
            ("line-syntax", Some(3)),
            ("attribute-syntax", Some(48)),
            ("fingerprint-length", Some(51)),
            ("attribute-level", Some(84)),
        ],
    ),
    // Deliberately invalid: "a=ice-lite is session only", at line 65 in the third m-section.
    (
        "moz-11.sdp",
        &[
            ("line-syntax", Some(1)),
            ("line-syntax", Some(2)),
            ("line-syntax", Some(3)),
            ("attribute-level", Some(65)),
        ],
    ),
    // sdp-transform's invalid.sdp: `a=rtcp:1 IN IP7 X` (7) and the unknown `f=` line (10).
    ("st-invalid.sdp", &[("attribute-syntax", Some(7)), ("unknown-line-type", Some(10))]),
    // mozilla/webrtc-sdp's own CI expects 14-33 to fail as well: each puts a media-level
    // attribute (line 6) at session level. Those with an rtpmap'less dynamic PT on the m= line
    // (101, or 120 whose rtpmap is the misplaced line) say so too.
    ("moz-14.sdp", &[("attribute-level", Some(6)), ("rtpmap-missing", Some(7))]),
    ("moz-15.sdp", &[("attribute-level", Some(6)), ("rtpmap-missing", Some(7))]),
    ("moz-16.sdp", &[("attribute-level", Some(6)), ("rtpmap-missing", Some(7))]),
    ("moz-17.sdp", &[("attribute-level", Some(6)), ("rtpmap-missing", Some(7))]),
    ("moz-18.sdp", &[("attribute-level", Some(6))]),
    ("moz-19.sdp", &[("attribute-level", Some(6))]),
    ("moz-20.sdp", &[("attribute-level", Some(6))]),
    ("moz-21.sdp", &[("attribute-level", Some(6))]),
    ("moz-22.sdp", &[("attribute-level", Some(6))]),
    ("moz-23.sdp", &[("attribute-level", Some(6))]),
    ("moz-24.sdp", &[("attribute-level", Some(6))]),
    ("moz-25.sdp", &[("attribute-level", Some(6))]),
    ("moz-26.sdp", &[("attribute-level", Some(6))]),
    ("moz-27.sdp", &[("attribute-level", Some(6))]),
    ("moz-28.sdp", &[("attribute-level", Some(6))]),
    ("moz-29.sdp", &[("attribute-level", Some(6)), ("rtpmap-missing", Some(7))]),
    ("moz-30.sdp", &[("attribute-level", Some(6))]),
    ("moz-31.sdp", &[("attribute-level", Some(6))]),
    ("moz-32.sdp", &[("attribute-level", Some(6))]),
    // sdp-transform inputs that break RFC 8866 rules its parser does not enforce:
    // `a=rtpmap:96 AppleLossless` has no clock rate;
    ("st-alac.sdp", &[("attribute-syntax", Some(7))]),
    // c= after t= (the order is v o s i u e p c b t ...);
    ("st-extmap-encrypt.sdp", &[("line-order", Some(5))]),
    ("st-normal.sdp", &[("line-order", Some(5))]),
    ("st-simulcast.sdp", &[("line-order", Some(5))]),
    // s= after c=;
    ("st-mediaclk-avbtp.sdp", &[("line-order", Some(4))]),
    ("st-mediaclk-ptp-v2-w-rate.sdp", &[("line-order", Some(4))]),
    ("st-mediaclk-ptp-v2.sdp", &[("line-order", Some(4))]),
    ("st-mediaclk-rtp.sdp", &[("line-order", Some(4))]),
    // RTSP/ONVIF: no t= and no c= anywhere;
    (
        "st-onvif.sdp",
        &[
            ("required-line", None),
            ("connection-missing", Some(4)),
            ("connection-missing", Some(6)),
            ("connection-missing", Some(8)),
        ],
    ),
    // RFC 4145 examples without t=.
    ("st-tcp-active.sdp", &[("required-line", None)]),
    ("st-tcp-passive.sdp", &[("required-line", None)]),
];

fn corpus_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(CORPUS)
        .unwrap_or_else(|e| panic!("reading {CORPUS}: {e} (tests/fixtures/corpus/sdp)"))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "sdp"))
        .collect();
    files.sort();
    assert!(files.len() >= 60, "corpus has only {} SDP files", files.len());
    files
}

fn name(p: &std::path::Path) -> String {
    p.file_name().unwrap().to_string_lossy().into_owned()
}

#[test]
fn lint_errors_are_exactly_the_expected_ones() {
    let expected: BTreeMap<&str, Findings> = EXPECTED_ERRORS.iter().copied().collect();
    let files = corpus_files();
    for (file, _) in EXPECTED_ERRORS {
        assert!(files.iter().any(|p| name(p) == *file), "{file} is not in the corpus");
    }
    let mut failures = Vec::new();
    for path in &files {
        let input = sdp::read_sdp(path.to_str().unwrap()).unwrap();
        let parsed = sdp::parse_input(&input).unwrap();
        let found: Vec<(&str, Option<u32>)> = lint(&parsed, input.role())
            .iter()
            .filter(|p| p.severity == Severity::Error)
            .map(|p| (p.rule, p.line))
            .collect();
        let want = expected.get(name(path).as_str()).copied().unwrap_or(&[]);
        if found != want {
            failures.push(format!("{}: found {found:?}, expected {want:?}", name(path)));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn deliberately_invalid_files_have_errors_on_their_lines() {
    // The README's four: independent of the table above, so a table edit cannot hide them.
    for (file, line) in [("moz-03.sdp", 1), ("moz-08.sdp", 51), ("moz-11.sdp", 65), ("st-invalid.sdp", 10)] {
        let text = std::fs::read_to_string(format!("{CORPUS}/{file}")).unwrap();
        let parsed = Sdp::parse(&text);
        let problems = lint(&parsed, None);
        assert!(
            problems.iter().any(|p| p.severity == Severity::Error && p.line == Some(line)),
            "{file}: no error on line {line}: {problems:#?}"
        );
    }
}

/// Every `"line": N` in a JSON value, outside the `lines` array.
fn referenced_lines(v: &Value, out: &mut BTreeSet<u64>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                if k == "lines" {
                    continue;
                }
                if k == "line" || k.ends_with("_line") {
                    if let Some(n) = v.as_u64() {
                        out.insert(n);
                    }
                }
                referenced_lines(v, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|i| referenced_lines(i, out)),
        _ => {}
    }
}

#[test]
fn show_json_rebuilds_the_input_and_reparses_identically() {
    for path in corpus_files() {
        let text = std::fs::read_to_string(&path).unwrap();
        let parsed = Sdp::parse(&text);
        let input = sdp::input::decode(text.as_bytes(), "corpus").unwrap();
        let json = serde_json::to_value(show::to_json(&parsed, &input, &[])).unwrap();

        // Every line's content survives: the lines array rebuilds the text byte for byte.
        let mut rebuilt = String::new();
        for line in json["lines"].as_array().unwrap() {
            rebuilt.push_str(line["text"].as_str().unwrap());
            rebuilt.push_str(match line["ending"].as_str().unwrap() {
                "crlf" => "\r\n",
                "lf" => "\n",
                _ => "",
            });
        }
        assert_eq!(rebuilt, text, "{}", name(&path));
        let reparsed = Sdp::parse(&rebuilt);
        assert_eq!(
            serde_json::to_value(show::to_json(&reparsed, &input, &[])).unwrap(),
            json,
            "{}",
            name(&path)
        );

        // And the typed model accounts for every m= and a= line: it is in a typed field or an
        // `attributes` list, or it is a reported problem.
        let mut seen = BTreeSet::new();
        referenced_lines(&json["session"], &mut seen);
        referenced_lines(&json["media"], &mut seen);
        referenced_lines(&json["problems"], &mut seen);
        for m in json["media"].as_array().unwrap() {
            seen.insert(m["line"].as_u64().unwrap());
        }
        for line in json["lines"].as_array().unwrap() {
            let number = line["number"].as_u64().unwrap();
            let typ = line["type"].as_str().unwrap_or("");
            if (typ == "a" || typ == "m") && !seen.contains(&number) {
                // Flags (rtcp-mux, ice-lite...) and direction are typed as booleans/enums without
                // a line number; they must at least be present in the model.
                let text = line["text"].as_str().unwrap();
                let attr = text.trim().trim_start_matches("a=");
                assert!(
                    is_typed_flag(attr),
                    "{}: line {number} {text:?} is nowhere in the typed model",
                    name(&path)
                );
            }
        }
    }
}

fn is_typed_flag(attr: &str) -> bool {
    let name = attr.split(':').next().unwrap_or("");
    matches!(
        name,
        "sendrecv"
            | "sendonly"
            | "recvonly"
            | "inactive"
            | "rtcp-mux"
            | "rtcp-mux-only"
            | "rtcp-rsize"
            | "bundle-only"
            | "end-of-candidates"
            | "ice-lite"
            | "extmap-allow-mixed"
            | "ice-ufrag"
            | "ice-pwd"
            | "ice-options"
            | "setup"
            | "mid"
            | "msid-semantic"
            | "rtcp"
            | "sctp-port"
            | "max-message-size"
            | "sctpmap"
    )
}

#[test]
fn every_corpus_file_shows_diffs_and_checks_without_panicking() {
    for path in corpus_files() {
        let text = std::fs::read_to_string(&path).unwrap();
        let parsed = Sdp::parse(&text);
        let input = sdp::decode(text.as_bytes(), "corpus").unwrap();
        let _ = show::to_tree(&parsed, &input, None).to_string();
        assert_eq!(sdp::diff(&parsed, &parsed), vec![], "{} differs from itself", name(&path));
        let _ = sdp::check(&parsed, &parsed);
    }
}
