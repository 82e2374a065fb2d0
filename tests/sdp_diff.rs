//! `sdp diff` on real Chromium SDP (tests/fixtures/sdp/chrome-*.json, see the README there):
//! an ICE restart, a transceiver set to recvonly, codecs restricted with setCodecPreferences.

use std::collections::BTreeSet;

use rtctool::sdp::{self, diff, Change, Sdp, KINDS};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/sdp");

fn fixture(name: &str) -> String {
    let input = sdp::read_sdp(&format!("{FIXTURES}/{name}")).unwrap();
    assert_eq!(input.wrapping, sdp::Wrapping::JsonObject);
    input.text
}

fn kinds(changes: &[Change]) -> BTreeSet<&'static str> {
    changes.iter().map(|c| c.kind).collect()
}

fn of_kind<'c>(changes: &'c [Change], kind: &str) -> Vec<&'c Change> {
    changes.iter().filter(|c| c.kind == kind).collect()
}

#[test]
fn kinds_are_the_design_vocabulary() {
    let design = [
        "ice-restart",
        "fingerprint-changed",
        "setup-changed",
        "direction-changed",
        "codec-added",
        "codec-removed",
        "payload-type-changed",
        "codec-parameters-changed",
        "rtcp-fb-changed",
        "extmap-changed",
        "msid-changed",
        "ssrc-changed",
        "simulcast-changed",
        "bundle-changed",
        "media-added",
        "media-removed",
        "media-rejected",
        "media-order-changed",
        "candidates-changed",
        "sctp-changed",
        "session-version-changed",
        "attribute-changed",
    ];
    let ours: BTreeSet<&str> = KINDS.iter().map(|k| k.0).collect();
    assert_eq!(ours, design.into_iter().collect());
}

#[test]
fn each_browser_sdp_equals_itself() {
    for n in ["1-initial", "2-ice-restart", "3-recvonly", "4-codecs"] {
        for side in ["offer", "answer"] {
            let text = fixture(&format!("chrome-{n}-{side}.json"));
            let sdp = Sdp::parse(&text);
            assert_eq!(diff(&sdp, &sdp), vec![], "{n} {side}");
        }
    }
}

#[test]
fn ice_restart() {
    let (a, b) = (fixture("chrome-1-initial-offer.json"), fixture("chrome-2-ice-restart-offer.json"));
    let (a, b) = (Sdp::parse(&a), Sdp::parse(&b));
    let changes = diff(&a, &b);
    assert_eq!(
        kinds(&changes),
        ["attribute-changed", "candidates-changed", "ice-restart", "session-version-changed"]
            .into_iter()
            .collect(),
        "{changes:#?}"
    );
    let restarts = of_kind(&changes, "ice-restart");
    let mids: Vec<_> = restarts.iter().map(|c| c.mid.as_deref().unwrap()).collect();
    assert_eq!(mids, ["0", "1", "2"]);
    let old = a.ufrag(&a.media[0]).unwrap();
    let new = b.ufrag(&b.media[0]).unwrap();
    assert_ne!(old, new);
    assert!(restarts.iter().all(|c| c.before.as_deref() == Some(old) && c.after.as_deref() == Some(new)));
    let version = &of_kind(&changes, "session-version-changed")[0];
    assert_eq!((version.before.as_deref(), version.after.as_deref()), (Some("2"), Some("3")));
    // Nothing about codecs, DTLS or direction.
    for k in ["codec-added", "codec-removed", "fingerprint-changed", "setup-changed", "direction-changed"] {
        assert!(of_kind(&changes, k).is_empty(), "{k}");
    }
}

#[test]
fn transceiver_set_to_recvonly() {
    let (a, b) = (fixture("chrome-2-ice-restart-offer.json"), fixture("chrome-3-recvonly-offer.json"));
    let changes = diff(&Sdp::parse(&a), &Sdp::parse(&b));
    let direction = of_kind(&changes, "direction-changed");
    assert_eq!(direction.len(), 1, "{changes:#?}");
    assert_eq!(direction[0].mid.as_deref(), Some("1"));
    assert_eq!(
        (direction[0].before.as_deref(), direction[0].after.as_deref()),
        (Some("sendrecv"), Some("recvonly"))
    );
    // Chromium offers more receive-only codecs (VP9 profiles 1/3, H.264 high 4:4:4, AV1
    // profile 1, flexfec) once the transceiver only receives: additions, nothing removed.
    let added = of_kind(&changes, "codec-added");
    assert!(!added.is_empty());
    assert!(added.iter().all(|c| c.mid.as_deref() == Some("1")));
    assert!(of_kind(&changes, "codec-removed").is_empty());
    assert!(of_kind(&changes, "ice-restart").is_empty());
    assert_eq!(
        kinds(&changes),
        ["codec-added", "direction-changed", "session-version-changed"].into_iter().collect(),
        "{changes:#?}"
    );
}

#[test]
fn codecs_restricted() {
    let (a, b) = (fixture("chrome-3-recvonly-offer.json"), fixture("chrome-4-codecs-offer.json"));
    let (sa, sb) = (Sdp::parse(&a), Sdp::parse(&b));
    let changes = diff(&sa, &sb);
    assert_eq!(
        kinds(&changes),
        ["codec-removed", "session-version-changed"].into_iter().collect(),
        "{changes:#?}"
    );
    let removed = of_kind(&changes, "codec-removed");
    let listed = |s: &Sdp<'_>| s.media.iter().map(|m| m.listed_codecs().count()).sum::<usize>();
    assert_eq!(removed.len(), listed(&sa) - listed(&sb));
    assert!(removed.iter().any(|c| c.before.as_deref().is_some_and(|b| b.contains("H264/90000"))));
    // opus and VP8 (+ its rtx) stay, so they are not mentioned.
    assert!(!removed.iter().any(|c| c.message.contains("opus") || c.message.contains("VP8")));
}

#[test]
fn renumbered_payload_types_are_one_change_each() {
    let a = fixture("chrome-4-codecs-offer.json");
    let video = a.find("m=video").unwrap();
    let (head, tail) = a.split_at(video);
    let tail = tail
        .replacen("SAVPF 96 97\r\n", "SAVPF 100 101\r\n", 1)
        .replace(":96 ", ":100 ")
        .replace(":97 ", ":101 ")
        .replace("apt=96", "apt=100");
    let b = format!("{head}{tail}");
    let changes = diff(&Sdp::parse(&a), &Sdp::parse(&b));
    let pts: Vec<_> = changes.iter().map(|c| (c.kind, c.before.as_deref(), c.after.as_deref())).collect();
    assert_eq!(
        pts,
        [
            ("payload-type-changed", Some("96"), Some("100")),
            ("payload-type-changed", Some("97"), Some("101"))
        ],
        "{changes:#?}"
    );
}

#[test]
fn order_endings_and_whitespace_are_not_changes() {
    let a = fixture("chrome-1-initial-offer.json");
    // LF endings, every section's a= lines reversed, stray spaces.
    let mut sections: Vec<Vec<String>> = vec![Vec::new()];
    for line in a.split("\r\n").filter(|l| !l.is_empty()) {
        if line.starts_with("m=") {
            sections.push(Vec::new());
        }
        sections.last_mut().unwrap().push(line.to_string());
    }
    let mut b = String::new();
    for section in &mut sections {
        let split = section.iter().position(|l| l.starts_with("a=")).unwrap_or(section.len());
        section[split..].reverse();
        for line in section.iter() {
            let line = line.replacen("a=rtcp-fb:96 nack pli", "a=rtcp-fb:96  nack   pli", 1);
            b.push_str(&line);
            b.push_str(" \n");
        }
    }
    let changes = diff(&Sdp::parse(&a), &Sdp::parse(&b));
    assert_eq!(changes, vec![]);
}

#[test]
fn offer_to_answer_shows_the_other_side() {
    let (a, b) = (fixture("chrome-1-initial-offer.json"), fixture("chrome-1-initial-answer.json"));
    let changes = diff(&Sdp::parse(&a), &Sdp::parse(&b));
    let k = kinds(&changes);
    for kind in ["ice-restart", "fingerprint-changed", "setup-changed", "direction-changed"] {
        assert!(k.contains(kind), "{kind} missing: {changes:#?}");
    }
}

#[test]
fn media_added_removed_rejected_and_reordered() {
    let a = fixture("chrome-4-codecs-offer.json");
    let video = a.find("m=video").unwrap();
    let data = a.find("m=application").unwrap();
    let (session, audio, video_s, data_s) = (
        &a[..a.find("m=audio").unwrap()],
        &a[a.find("m=audio").unwrap()..video],
        &a[video..data],
        &a[data..],
    );
    // Video and data swapped, audio dropped, a new section added, data rejected.
    let rejected = data_s.replacen("m=application 9 ", "m=application 0 ", 1);
    let extra = audio.replace("a=mid:0", "a=mid:3");
    let b = format!("{session}{rejected}{video_s}{extra}");
    let changes = diff(&Sdp::parse(&a), &Sdp::parse(&b));
    let k = kinds(&changes);
    for kind in ["media-removed", "media-added", "media-rejected", "media-order-changed"] {
        assert!(k.contains(kind), "{kind} missing: {changes:#?}");
    }
    assert_eq!(of_kind(&changes, "media-removed")[0].mid.as_deref(), Some("0"));
    assert_eq!(of_kind(&changes, "media-added")[0].mid.as_deref(), Some("3"));
    assert_eq!(of_kind(&changes, "media-rejected")[0].mid.as_deref(), Some("2"));
}

#[test]
fn stream_and_transport_kinds() {
    let a = fixture("chrome-1-initial-offer.json");
    let edits: &[(&str, &str, &str)] = &[
        ("a=setup:actpass", "a=setup:passive", "setup-changed"),
        ("a=fingerprint:sha-256 ", "a=fingerprint:sha-256 00:", "fingerprint-changed"),
        ("a=extmap:1 urn", "a=extmap:9 urn", "extmap-changed"),
        ("a=msid:", "a=msid:x", "msid-changed"),
        ("a=ssrc:", "a=ssrc:1", "ssrc-changed"),
        ("a=sctp-port:5000", "a=sctp-port:5001", "sctp-changed"),
        ("a=group:BUNDLE 0 1 2", "a=group:BUNDLE 0 1", "bundle-changed"),
        ("a=rtcp-fb:111 transport-cc\r\n", "", "rtcp-fb-changed"),
        ("minptime=10", "minptime=20", "codec-parameters-changed"),
        ("a=rtcp-rsize\r\n", "", "attribute-changed"),
        ("a=mid:1\r\n", "a=mid:1\r\na=rid:hi send\r\na=simulcast:send hi\r\n", "simulcast-changed"),
    ];
    for (find, replace, kind) in edits {
        assert!(a.contains(find), "{find}");
        let b = a.replacen(find, replace, 1);
        let changes = diff(&Sdp::parse(&a), &Sdp::parse(&b));
        assert!(kinds(&changes).contains(kind), "{find} → {replace}: no {kind}: {changes:#?}");
    }
}

#[test]
fn duplicate_mids_pair_by_occurrence() {
    // Found by the fuzzer: two sections with one mid used to pair both with the first.
    let a = fixture("chrome-4-codecs-offer.json");
    let video = a.find("m=video").unwrap();
    let data = a.find("m=application").unwrap();
    let twice = format!("{}{}", &a[..data], &a[video..data].replace("a=recvonly", "a=inactive"));
    let sdp = Sdp::parse(&twice);
    assert_eq!(diff(&sdp, &sdp), vec![]);
    let lf = twice.replace("\r\n", "\n");
    assert_eq!(diff(&sdp, &Sdp::parse(&lf)), vec![]);
    let changes = diff(&Sdp::parse(&a), &sdp);
    assert!(
        changes.iter().any(|c| c.kind == "media-added" && c.mid.as_deref() == Some("1 (2)")),
        "{changes:#?}"
    );
}
