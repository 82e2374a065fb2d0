//! `sdp check OFFER ANSWER` on the Chromium offer/answer pairs, and each check rule broken once.

use std::collections::BTreeSet;

use rtctool::sdp::{self, check, CheckProblem, Role, Sdp, Severity, CHECK_RULES};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/sdp");

fn fixture(name: &str) -> String {
    sdp::read_sdp(&format!("{FIXTURES}/{name}")).unwrap().text
}

fn rules(problems: &[CheckProblem]) -> BTreeSet<&'static str> {
    problems.iter().map(|p| p.problem.rule).collect()
}

#[test]
fn browser_answers_fit_their_offers() {
    for n in ["1-initial", "2-ice-restart", "3-recvonly", "4-codecs"] {
        let offer = fixture(&format!("chrome-{n}-offer.json"));
        let answer = fixture(&format!("chrome-{n}-answer.json"));
        let problems = check(&Sdp::parse(&offer), &Sdp::parse(&answer));
        assert!(problems.is_empty(), "{n}: {problems:#?}");
    }
}

#[test]
fn an_offer_is_not_an_answer_to_itself() {
    let offer = fixture("chrome-1-initial-offer.json");
    let sdp = Sdp::parse(&offer);
    let problems = check(&sdp, &sdp);
    // actpass/actpass gives no DTLS client.
    assert!(rules(&problems).contains("answer-setup"), "{problems:#?}");
}

/// `(rule, edits of the offer, edits of the answer)`, on the initial Chromium pair.
type Case = (&'static str, &'static [(&'static str, &'static str)], &'static [(&'static str, &'static str)]);

const CASES: &[Case] = &[
    ("answer-media-mismatch", &[], &[("m=application 9 UDP/DTLS/SCTP", "m=application 9 DTLS/SCTP")]),
    ("answer-mid-mismatch", &[], &[("a=mid:2", "a=mid:data")]),
    ("answer-codec-not-offered", &[], &[("a=rtpmap:111 opus/48000/2", "a=rtpmap:111 opus/16000/2")]),
    ("answer-payload-type", &[], &[("SAVPF 111 ", "SAVPF 112 "), ("a=rtpmap:111 ", "a=rtpmap:112 ")]),
    (
        "answer-rtcp-fb-not-offered",
        &[],
        &[("a=rtcp-fb:111 transport-cc\r\n", "a=rtcp-fb:111 transport-cc\r\na=rtcp-fb:111 nack\r\n")],
    ),
    (
        "answer-extmap-not-offered",
        &[],
        &[("a=mid:0\r\n", "a=mid:0\r\na=extmap:9 urn:example:not-offered\r\n")],
    ),
    ("answer-bundle-not-offered", &[("a=group:BUNDLE 0 1 2", "a=group:BUNDLE 0 1")], &[]),
    ("answer-setup", &[], &[("a=setup:active", "a=setup:actpass")]),
    ("answer-direction", &[("a=sendrecv", "a=recvonly")], &[]),
];

fn edit(mut text: String, edits: &[(&str, &str)]) -> String {
    for (find, replace) in edits {
        assert!(text.contains(find), "{find:?} not found");
        text = text.replacen(find, replace, 1);
    }
    text
}

#[test]
fn each_rule_is_found() {
    let offer = fixture("chrome-1-initial-offer.json");
    let answer = fixture("chrome-1-initial-answer.json");
    for (rule, offer_edits, answer_edits) in CASES {
        let o = edit(offer.clone(), offer_edits);
        let a = edit(answer.clone(), answer_edits);
        let problems = check(&Sdp::parse(&o), &Sdp::parse(&a));
        let found: Vec<_> = problems.iter().filter(|p| p.problem.rule == *rule).collect();
        assert!(!found.is_empty(), "{rule}: {problems:#?}");
        for p in found {
            let declared = CHECK_RULES.iter().find(|r| r.0 == *rule).unwrap().1;
            assert_eq!(p.problem.severity, declared, "{rule}");
            assert_eq!(p.side, Role::Answer, "{rule}");
            let line = p.problem.line.unwrap_or(1) as usize;
            assert!(a.lines().nth(line - 1).is_some(), "{rule}: line {line} is not in the answer");
        }
    }
}

#[test]
fn count_and_rejection() {
    let offer = fixture("chrome-1-initial-offer.json");
    let answer = fixture("chrome-1-initial-answer.json");
    let truncated = &answer[..answer.find("m=application").unwrap()];
    let problems = check(&Sdp::parse(&offer), &Sdp::parse(truncated));
    assert!(rules(&problems).contains("answer-media-count"), "{problems:#?}");

    let data = offer.find("m=application ").unwrap();
    let port_end = offer[data + 14..].find(' ').unwrap() + data + 14;
    let rejected_offer = format!("{}m=application 0{}", &offer[..data], &offer[port_end..]);
    let problems = check(&Sdp::parse(&rejected_offer), &Sdp::parse(&answer));
    assert!(rules(&problems).contains("answer-rejected"), "{problems:#?}");
}

#[test]
fn role_mismatch_is_a_warning() {
    let problems = sdp::check::role_mismatch(Some(Role::Answer), Some(Role::Answer));
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].side, Role::Offer);
    assert_eq!(problems[0].problem.severity, Severity::Warning);
    assert!(sdp::check::role_mismatch(Some(Role::Offer), None).is_empty());
}

#[test]
fn every_check_rule_is_tested() {
    let tested: BTreeSet<&str> =
        CASES.iter().map(|c| c.0).chain(["answer-media-count", "answer-rejected", "role-mismatch"]).collect();
    for (rule, _, _) in CHECK_RULES {
        assert!(tested.contains(rule), "{rule} has no test");
    }
}

#[test]
fn h264_formats_are_matched_by_profile_and_packetization_mode() {
    let offer = fixture("chrome-1-initial-offer.json");
    let answer = fixture("chrome-1-initial-answer.json");
    let run = |edits: &[(&str, &str)]| check(&Sdp::parse(&offer), &Sdp::parse(&edit(answer.clone(), edits)));
    // Another packetization mode under the same PT: the offer had that format as PT 104.
    let problems = run(&[(
        "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f",
        "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42001f",
    )]);
    let p = problems.iter().find(|p| p.problem.rule == "answer-payload-type").expect("a PT mismatch");
    assert!(p.problem.message.contains("offered as PT 104 but answered as PT 102"), "{problems:#?}");
    // A profile the offer never had (Constrained High): not offered, and said why.
    let problems = run(&[(
        "a=fmtp:108 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
        "a=fmtp:108 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=640c1f",
    )]);
    let p = problems.iter().find(|p| p.problem.rule == "answer-codec-not-offered").expect("not offered");
    let m = &p.problem.message;
    assert!(m.contains("(PT 108) (profile Constrained High, packetization-mode 1) was not offered"), "{m}");
    assert!(m.contains("PT 108 (profile Constrained Baseline, packetization-mode 1)"), "{m}");
    // Another level of the same profile is fine (RFC 6184: the answerer may pick its level).
    let problems = run(&[(
        "a=fmtp:108 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
        "a=fmtp:108 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e034",
    )]);
    assert!(problems.is_empty(), "{problems:#?}");
}
