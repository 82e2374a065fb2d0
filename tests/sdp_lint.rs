//! Every lint rule has a failing case and a passing case, built by small edits of one clean
//! offer; a meta-test checks that no rule in `RULES` is left without both.

use std::collections::BTreeSet;

use rtctool::sdp::{self, lint, Problem, Role, Sdp, Severity, RULES};

const FP: &str =
    "sha-256 D2:FA:0E:C3:22:59:5E:14:95:69:92:3D:13:B4:84:24:2C:C2:A2:C0:3E:FD:34:8E:5E:EA:6F:AF:52:CE:E6:0F";

/// A clean offer: audio (opus, red, PCMU), video (VP8 + rtx, simulcast), a data channel.
fn base() -> String {
    let lines = [
        "v=0",
        "o=- 4611731400430051336 2 IN IP4 127.0.0.1",
        "s=-",
        "t=0 0",
        "a=group:BUNDLE 0 1 2",
        "a=extmap-allow-mixed",
        "a=msid-semantic: WMS stream",
        "m=audio 9 UDP/TLS/RTP/SAVPF 111 63 0",
        "c=IN IP4 0.0.0.0",
        "a=rtcp:9 IN IP4 0.0.0.0",
        "a=candidate:1 1 udp 2122260223 192.0.2.1 50000 typ host generation 0",
        "a=candidate:2 1 udp 1686052607 203.0.113.7 50001 typ srflx raddr 192.0.2.1 rport 50000",
        "a=candidate:3 1 tcp 1518280447 192.0.2.1 9 typ host tcptype active",
        "a=ice-ufrag:EsAw",
        "a=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y",
        "a=ice-options:trickle",
        &format!("a=fingerprint:{FP}"),
        "a=setup:actpass",
        "a=mid:0",
        "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level",
        "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid",
        "a=sendrecv",
        "a=msid:stream audiotrack",
        "a=rtcp-mux",
        "a=rtpmap:111 opus/48000/2",
        "a=rtcp-fb:111 transport-cc",
        "a=fmtp:111 minptime=10;useinbandfec=1",
        "a=rtpmap:63 red/48000/2",
        "a=fmtp:63 111/111",
        "a=ssrc:1001 cname:abc",
        "m=video 9 UDP/TLS/RTP/SAVPF 96 97",
        "c=IN IP4 0.0.0.0",
        "a=rtcp:9 IN IP4 0.0.0.0",
        "a=ice-ufrag:EsAw",
        "a=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y",
        "a=ice-options:trickle",
        &format!("a=fingerprint:{FP}"),
        "a=setup:actpass",
        "a=mid:1",
        "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid",
        "a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id",
        "a=sendrecv",
        "a=msid:stream videotrack",
        "a=rtcp-mux",
        "a=rtcp-rsize",
        "a=rtpmap:96 VP8/90000",
        "a=rtcp-fb:96 nack",
        "a=rtcp-fb:96 nack pli",
        "a=rtpmap:97 rtx/90000",
        "a=fmtp:97 apt=96",
        "a=rid:hi send",
        "a=rid:lo send",
        "a=simulcast:send hi;lo",
        "a=ssrc-group:FID 2001 2002",
        "a=ssrc:2001 cname:abc",
        "a=ssrc:2002 cname:abc",
        "m=application 9 UDP/DTLS/SCTP webrtc-datachannel",
        "c=IN IP4 0.0.0.0",
        "a=mid:2",
        "a=ice-ufrag:EsAw",
        "a=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y",
        "a=ice-options:trickle",
        &format!("a=fingerprint:{FP}"),
        "a=setup:actpass",
        "a=sctp-port:5000",
        "a=max-message-size:262144",
    ];
    lines.iter().map(|l| format!("{l}\r\n")).collect()
}

/// An edit: replace the first `find` (or every one, when `all`) by `replace`.
#[derive(Clone, Copy)]
struct Edit(&'static str, &'static str, bool);

const fn first(find: &'static str, replace: &'static str) -> Edit {
    Edit(find, replace, false)
}

const fn every(find: &'static str, replace: &'static str) -> Edit {
    Edit(find, replace, true)
}

fn apply(edits: &[Edit]) -> String {
    let mut text = base();
    for Edit(find, replace, all) in edits {
        assert!(text.contains(find), "edit target {find:?} not in the SDP");
        text = if *all { text.replace(find, replace) } else { text.replacen(find, replace, 1) };
    }
    text
}

/// `(rule, role, edits for a passing SDP, edits for a failing one)`.
type Case = (&'static str, Option<Role>, &'static [Edit], &'static [Edit]);

const OFFER: Option<Role> = Some(Role::Offer);
const ANSWER: Option<Role> = Some(Role::Answer);

const CASES: &[Case] = &[
    ("line-syntax", OFFER, &[], &[first("s=-\r\n", "s=-\r\n; a comment\r\n")]),
    ("blank-line", OFFER, &[], &[first("s=-\r\n", "s=-\r\n\r\n")]),
    ("unknown-line-type", OFFER, &[first("s=-\r\n", "s=-\r\ni=info\r\n")], &[first("s=-\r\n", "s=-\r\nf=x\r\n")]),
    ("line-order", OFFER, &[], &[first("s=-\r\nt=0 0\r\n", "t=0 0\r\ns=-\r\n")]),
    ("line-order", OFFER, &[], &[first("a=mid:0\r\n", "a=mid:0\r\nt=0 0\r\n")]),
    ("required-line", OFFER, &[], &[first("s=-\r\n", "")]),
    ("duplicate-line", OFFER, &[], &[first("s=-\r\n", "s=-\r\ns=again\r\n")]),
    ("version", OFFER, &[], &[first("v=0", "v=1")]),
    ("origin-syntax", OFFER, &[], &[first(" 2 IN IP4 127.0.0.1", " two IN IP4 127.0.0.1")]),
    ("origin-syntax", OFFER, &[], &[first(" 2 IN IP4 127.0.0.1", " 2 IN IP4")]),
    ("connection-syntax", OFFER, &[], &[first("c=IN IP4 0.0.0.0", "c=IN IP5 0.0.0.0")]),
    (
        "connection-missing",
        OFFER,
        &[first("s=-\r\n", "s=-\r\nc=IN IP4 0.0.0.0\r\n"), first("webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\n", "webrtc-datachannel\r\n")],
        &[first("webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\n", "webrtc-datachannel\r\n")],
    ),
    ("media-syntax", OFFER, &[], &[first("m=application 9 UDP", "m=application nine UDP")]),
    ("line-ending", OFFER, &[], &[first("v=0\r\n", "v=0\n")]),
    ("line-ending", OFFER, &[], &[every("\r\n", "\n")]),
    ("whitespace", OFFER, &[first("s=-", "s= ")], &[first("a=mid:0\r\n", "a=mid:0 \r\n")]),
    ("attribute-syntax", OFFER, &[], &[first("a=rtpmap:96 VP8/90000", "a=rtpmap:96 VP8")]),
    ("attribute-syntax", OFFER, &[], &[first("a=setup:actpass", "a=setup:maybe")]),
    ("attribute-level", OFFER, &[], &[first("a=extmap-allow-mixed\r\n", "a=extmap-allow-mixed\r\na=rtcp-mux\r\n")]),
    ("attribute-level", OFFER, &[], &[first("a=mid:1\r\n", "a=mid:1\r\na=ice-lite\r\n")]),
    ("attribute-duplicate", OFFER, &[], &[first("a=rtcp-rsize\r\n", "a=rtcp-rsize\r\na=rtcp-rsize\r\n")]),
    ("mid-duplicate", OFFER, &[], &[first("a=mid:2", "a=mid:1")]),
    ("mid-missing", OFFER, &[], &[first("a=mid:2\r\n", "")]),
    ("bundle-mid-unknown", OFFER, &[], &[first("a=group:BUNDLE 0 1 2", "a=group:BUNDLE 0 1 2 3")]),
    ("bundle-mid-duplicate", OFFER, &[], &[first("a=group:BUNDLE 0 1 2", "a=group:BUNDLE 0 1 2\r\na=group:BUNDLE 2")]),
    (
        "bundle-only",
        OFFER,
        &[first("m=application 9", "m=application 0"), first("a=mid:2\r\n", "a=mid:2\r\na=bundle-only\r\n")],
        &[first("a=mid:2\r\n", "a=mid:2\r\na=bundle-only\r\n")],
    ),
    ("bundle-only", ANSWER, &[every("actpass", "passive")], &[every("actpass", "passive"), first("a=mid:2\r\n", "a=mid:2\r\na=bundle-only\r\n")]),
    (
        "bundle-only",
        OFFER,
        &[],
        &[first("a=group:BUNDLE 0 1 2", "a=group:BUNDLE 0 1"), first("m=application 9", "m=application 0"), first("a=mid:2\r\n", "a=mid:2\r\na=bundle-only\r\n")],
    ),
    (
        "bundle-payload-type-conflict",
        OFFER,
        &[first("SAVPF 111 63 0", "SAVPF 111 63 0 126"), first("a=ssrc:1001", "a=rtpmap:126 telephone-event/8000\r\na=ssrc:1001")],
        &[first("SAVPF 111 63 0", "SAVPF 111 63 0 96"), first("a=ssrc:1001", "a=rtpmap:96 telephone-event/8000\r\na=ssrc:1001")],
    ),
    (
        "bundle-extmap-conflict",
        OFFER,
        &[first("a=extmap:10 urn", "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\na=extmap:10 urn")],
        &[first("a=extmap:10 urn", "a=extmap:1 urn:ietf:params:rtp-hdrext:toffset\r\na=extmap:10 urn")],
    ),
    ("ice-ufrag-length", OFFER, &[every("EsAw", "EsA+/w0123456789")], &[every("EsAw", "Es")]),
    ("ice-ufrag-chars", OFFER, &[], &[every("EsAw", "Es_w")]),
    ("ice-pwd-length", OFFER, &[], &[every("bP+XJMM09aR8AiX1jdukzR6Y", "bP+XJMM09aR8")]),
    ("ice-pwd-chars", OFFER, &[], &[every("bP+XJMM09aR8AiX1jdukzR6Y", "bP+XJMM09aR8AiX1jdukzR6-")]),
    (
        "ice-credentials",
        OFFER,
        &[],
        &[first("a=mid:2\r\na=ice-ufrag:EsAw\r\na=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y\r\n", "a=mid:2\r\na=ice-ufrag:EsAw\r\n")],
    ),
    ("ice-credentials-duplicate", OFFER, &[], &[first("a=ice-ufrag:EsAw\r\n", "a=ice-ufrag:EsAw\r\na=ice-ufrag:EsAw\r\n")]),
    (
        "ice-pwd-mismatch",
        OFFER,
        &[every("EsAw", "EsAx"), first("a=mid:2\r\na=ice-ufrag:EsAx\r\na=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y", "a=mid:2\r\na=ice-ufrag:EsAy\r\na=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Z")],
        &[first("a=mid:2\r\na=ice-ufrag:EsAw\r\na=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y", "a=mid:2\r\na=ice-ufrag:EsAw\r\na=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Z")],
    ),
    ("candidate-syntax", OFFER, &[], &[first("typ host generation 0", "typ hostile generation 0")]),
    ("candidate-raddr", OFFER, &[], &[first(" raddr 192.0.2.1 rport 50000", "")]),
    ("candidate-tcptype", OFFER, &[], &[first(" tcptype active", "")]),
    (
        "fingerprint-missing",
        OFFER,
        &[every("\r\na=fingerprint:sha-256 D2:FA:0E:C3:22:59:5E:14:95:69:92:3D:13:B4:84:24:2C:C2:A2:C0:3E:FD:34:8E:5E:EA:6F:AF:52:CE:E6:0F", ""), first("s=-\r\n", "s=-\r\na=fingerprint:sha-1 D2:FA:0E:C3:22:59:5E:14:95:69:92:3D:13:B4:84:24:2C:C2:A2:C0\r\n")],
        &[first("a=fingerprint:sha-256 D2:FA:0E:C3:22:59:5E:14:95:69:92:3D:13:B4:84:24:2C:C2:A2:C0:3E:FD:34:8E:5E:EA:6F:AF:52:CE:E6:0F\r\na=setup:actpass\r\na=sctp-port", "a=setup:actpass\r\na=sctp-port")],
    ),
    ("fingerprint-hash", OFFER, &[], &[first("a=fingerprint:sha-256", "a=fingerprint:sha-257")]),
    ("fingerprint-length", OFFER, &[], &[first("a=fingerprint:sha-256", "a=fingerprint:sha-1")]),
    ("fingerprint-length", OFFER, &[], &[first(":52:CE:E6:0F", ":52:CE:E6:0")]),
    ("setup-role", OFFER, &[], &[first("a=setup:actpass", "a=setup:active")]),
    ("setup-role", ANSWER, &[every("a=setup:actpass", "a=setup:active")], &[]),
    ("setup-missing", OFFER, &[], &[first("a=setup:actpass\r\na=sctp-port", "a=sctp-port")]),
    ("payload-type-range", OFFER, &[], &[first("SAVPF 111 63 0", "SAVPF 111 63 0 300")]),
    ("rtpmap-missing", OFFER, &[first("SAVPF 111 63 0", "SAVPF 111 63 0 8")], &[first("SAVPF 111 63 0", "SAVPF 111 63 0 100")]),
    ("payload-type-unlisted", OFFER, &[], &[first("a=ssrc:1001", "a=rtpmap:100 G7221/16000\r\na=ssrc:1001")]),
    ("payload-type-unlisted", OFFER, &[], &[first("a=ssrc:1001", "a=rtcp-fb:100 nack\r\na=ssrc:1001")]),
    ("codec-duplicate", OFFER, &[], &[first("a=rtpmap:96 VP8/90000\r\n", "a=rtpmap:96 VP8/90000\r\na=rtpmap:96 VP9/90000\r\n")]),
    ("fmtp-duplicate", OFFER, &[], &[first("a=fmtp:97 apt=96\r\n", "a=fmtp:97 apt=96\r\na=fmtp:97 apt=96\r\n")]),
    ("rtx-apt", OFFER, &[], &[first("apt=96", "apt=98")]),
    ("rtx-apt", OFFER, &[], &[first("a=rtpmap:97 rtx/90000", "a=rtpmap:97 rtx/48000")]),
    ("rtx-apt", OFFER, &[], &[first("a=fmtp:97 apt=96\r\n", "")]),
    ("red-payload-types", OFFER, &[], &[first("a=fmtp:63 111/111", "a=fmtp:63 111/112")]),
    ("direction-duplicate", OFFER, &[], &[first("a=sendrecv\r\na=msid:stream video", "a=sendrecv\r\na=recvonly\r\na=msid:stream video")]),
    ("msid-duplicate", OFFER, &[], &[first("a=msid:stream videotrack", "a=msid:stream audiotrack")]),
    ("ssrc-group-member", OFFER, &[], &[first("a=ssrc-group:FID 2001 2002", "a=ssrc-group:FID 2001 2003")]),
    ("simulcast-rid", OFFER, &[first("send hi;lo", "send hi,~lo")], &[first("send hi;lo", "send hi;lo;mid")]),
    ("simulcast-rid", OFFER, &[], &[first("a=rid:lo send", "a=rid:lo recv")]),
    ("simulcast-draft", OFFER, &[], &[first("a=simulcast:send hi;lo", "a=simulcast: send rid=hi;lo")]),
    ("sctp-port-missing", OFFER, &[], &[first("a=sctp-port:5000\r\n", "")]),
    (
        "sctp-port-missing",
        OFFER,
        &[first("UDP/DTLS/SCTP webrtc-datachannel", "DTLS/SCTP 5000"), first("a=sctp-port:5000", "a=sctpmap:5000 webrtc-datachannel 1024")],
        &[first("UDP/DTLS/SCTP webrtc-datachannel", "DTLS/SCTP 5000"), first("a=sctp-port:5000\r\n", "")],
    ),
    ("sctp-format", OFFER, &[], &[first("UDP/DTLS/SCTP webrtc-datachannel", "UDP/DTLS/SCTP 5000")]),
];

fn rules_of(problems: &[Problem]) -> BTreeSet<&'static str> {
    problems.iter().map(|p| p.rule).collect()
}

#[test]
fn base_offer_is_clean() {
    let text = base();
    let problems = lint(&Sdp::parse(&text), Some(Role::Offer));
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn each_case_fails_and_passes() {
    let mut failures = Vec::new();
    for (i, (rule, role, good, bad)) in CASES.iter().enumerate() {
        let good_text = apply(good);
        let good_problems = lint(&Sdp::parse(&good_text), *role);
        if rules_of(&good_problems).contains(rule) {
            failures.push(format!("case {i} {rule}: passing SDP reports it: {good_problems:#?}"));
        }
        let bad_text = apply(bad);
        let bad_problems = lint(&Sdp::parse(&bad_text), *role);
        let found: Vec<&Problem> = bad_problems.iter().filter(|p| p.rule == *rule).collect();
        if found.is_empty() {
            failures.push(format!("case {i} {rule}: failing SDP does not report it: {bad_problems:#?}"));
        }
        for p in found {
            let declared = RULES.iter().find(|r| r.id == p.rule).map(|r| r.severity);
            if declared != Some(p.severity) {
                failures.push(format!("case {i} {rule}: severity {:?}, declared {declared:?}", p.severity));
            }
            if p.line.is_some_and(|l| bad_text.lines().count() < l as usize) {
                failures.push(format!("case {i} {rule}: line {:?} past the end", p.line));
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn role_unknown_is_a_note_and_role_rules_are_skipped() {
    let text = apply(&[first("a=setup:actpass", "a=setup:active")]);
    let sdp = Sdp::parse(&text);
    let without = lint(&sdp, None);
    let note: Vec<_> = without.iter().filter(|p| p.rule == "role-unknown").collect();
    assert_eq!(note.len(), 1);
    assert_eq!(note[0].severity, Severity::Info);
    assert!(!rules_of(&without).contains("setup-role"));
    let with = lint(&sdp, Some(Role::Offer));
    assert!(!rules_of(&with).contains("role-unknown"));
    assert!(rules_of(&with).contains("setup-role"));
}

#[test]
fn encoding_problem_comes_from_the_input() {
    let mut bytes = base().into_bytes();
    bytes.extend_from_slice(b"a=label:\xff\r\n");
    let input = sdp::decode(&bytes, "x").unwrap();
    let problems = input.problems();
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].rule, "encoding");
    assert_eq!(problems[0].line, Some(base().lines().count() as u32 + 1));
    assert!(sdp::decode(base().as_bytes(), "x").unwrap().problems().is_empty());
}

#[test]
fn every_rule_has_a_failing_and_a_passing_case() {
    let covered: BTreeSet<&str> = CASES.iter().map(|c| c.0).chain(["role-unknown", "encoding"]).collect();
    let missing: Vec<&str> = RULES.iter().map(|r| r.id).filter(|id| !covered.contains(id)).collect();
    assert!(missing.is_empty(), "rules without tests: {missing:?}");
}

#[test]
fn problems_carry_the_mid_and_line() {
    let text = apply(&[first("apt=96", "apt=98")]);
    let problems = lint(&Sdp::parse(&text), Some(Role::Offer));
    let p = problems.iter().find(|p| p.rule == "rtx-apt").unwrap();
    assert_eq!(p.mid.as_deref(), Some("1"));
    let line = text.lines().position(|l| l == "a=fmtp:97 apt=98").unwrap() as u32 + 1;
    assert_eq!(p.line, Some(line));
}

#[test]
fn lf_and_crlf_give_the_same_model() {
    let crlf = base();
    let lf = crlf.replace("\r\n", "\n");
    let (a, b) = (Sdp::parse(&crlf), Sdp::parse(&lf));
    assert_eq!(a.media, b.media);
    assert_eq!(a.session, b.session);
    assert!(sdp::diff(&a, &b).is_empty());
}
