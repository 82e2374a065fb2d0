//! `rtctool sdp check OFFER ANSWER`: whether an answer is a valid answer to its offer
//! (RFC 3264, RFC 8829 JSEP, RFC 8843 BUNDLE, RFC 8842 DTLS roles).

use serde::Serialize;

use super::diff::base_key_display;
use super::model::{Direction, Media, Problem, Role, Sdp, Setup, Severity};

/// The rules of `sdp check`: id, severity, what they check.
pub const CHECK_RULES: &[(&str, Severity, &str)] = &[
    ("answer-media-count", Severity::Error, "the answer has another number of m-sections than the offer"),
    (
        "answer-media-mismatch",
        Severity::Error,
        "an answer m-section has another media type or proto than the offer's",
    ),
    (
        "answer-mid-mismatch",
        Severity::Error,
        "an answer m-section has another mid than the offer's at that position",
    ),
    (
        "answer-rejected",
        Severity::Error,
        "an m-section rejected in the offer (port 0) is not rejected in the answer",
    ),
    ("answer-codec-not-offered", Severity::Error, "the answer has a codec the offer did not offer"),
    ("answer-payload-type", Severity::Warning, "an answer codec uses another payload type than the offer's"),
    (
        "answer-rtcp-fb-not-offered",
        Severity::Error,
        "the answer has rtcp-fb the offer did not offer for that codec",
    ),
    (
        "answer-extmap-not-offered",
        Severity::Error,
        "the answer has a header extension the offer did not offer",
    ),
    (
        "answer-bundle-not-offered",
        Severity::Error,
        "the answer's BUNDLE group has a mid the offer did not bundle",
    ),
    ("answer-setup", Severity::Error, "the a=setup roles of offer and answer are incompatible"),
    ("answer-direction", Severity::Error, "the answer direction is not allowed for the offered direction"),
    ("role-mismatch", Severity::Warning, "a JSON type says the offer is an answer or the answer an offer"),
];

/// One problem found by `sdp check`: a lint-shaped record plus which SDP the line is in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckProblem {
    /// The problem (rule, severity, line, mid, message).
    #[serde(flatten)]
    pub problem: Problem,
    /// `offer` or `answer`: the SDP that `line` refers to.
    pub side: Role,
}

/// Checks `answer` against `offer`.
pub fn check(offer: &Sdp<'_>, answer: &Sdp<'_>) -> Vec<CheckProblem> {
    let mut c = Checker { out: Vec::new() };
    let (no, na) = (offer.media.len(), answer.media.len());
    if no != na {
        c.push(
            "answer-media-count",
            Role::Answer,
            None,
            None,
            format!("the offer has {no} m-sections, the answer {na}; an answer has exactly as many"),
        );
    }
    for (mo, ma) in offer.media.iter().zip(&answer.media) {
        c.section(offer, mo, answer, ma);
    }
    c.bundle(offer, answer);
    let mut out = c.out;
    out.sort_by_key(|p| (p.side == Role::Offer, p.problem.line.unwrap_or(0)));
    out
}

struct Checker {
    out: Vec<CheckProblem>,
}

impl Checker {
    fn push(
        &mut self,
        rule: &'static str,
        side: Role,
        line: Option<u32>,
        m: Option<&Media<'_>>,
        message: String,
    ) {
        let severity = CHECK_RULES.iter().find(|r| r.0 == rule).map_or(Severity::Error, |r| r.1);
        self.out.push(CheckProblem {
            problem: Problem {
                rule,
                severity,
                line,
                mid: m.and_then(|m| m.mid()).map(str::to_string),
                message,
                section: m.map(|m| m.index),
            },
            side,
        });
    }

    fn section(&mut self, offer: &Sdp<'_>, mo: &Media<'_>, answer: &Sdp<'_>, ma: &Media<'_>) {
        let line = Some(ma.line);
        let a = Some(ma);
        if mo.kind != ma.kind || !mo.proto.eq_ignore_ascii_case(ma.proto) {
            self.push(
                "answer-media-mismatch",
                Role::Answer,
                line,
                a,
                format!("offer has m={} {} here, the answer m={} {}", mo.kind, mo.proto, ma.kind, ma.proto),
            );
        }
        if mo.mid() != ma.mid() {
            self.push(
                "answer-mid-mismatch",
                Role::Answer,
                ma.mid.map_or(line, |m| Some(m.line)),
                a,
                format!(
                    "m-section {} has mid {} in the offer but {} in the answer",
                    ma.index,
                    mo.mid().unwrap_or("(none)"),
                    ma.mid().unwrap_or("(none)")
                ),
            );
        }
        if mo.is_rejected() && ma.port != 0 {
            self.push(
                "answer-rejected",
                Role::Answer,
                line,
                a,
                format!("the offer rejected this m-section (port 0) but the answer has port {}", ma.port),
            );
        }
        if ma.port == 0 || mo.is_rejected() {
            return; // a rejected section carries nothing to compare
        }
        if mo.is_rtp() && ma.is_rtp() {
            self.codecs(mo, ma);
        }
        for e in &ma.extmaps {
            let offered = mo.extmaps.iter().chain(&offer.session.extmaps).any(|o| o.uri == e.uri);
            if !offered {
                self.push(
                    "answer-extmap-not-offered",
                    Role::Answer,
                    Some(e.line),
                    a,
                    format!("extension {} was not offered", e.uri),
                );
            }
        }
        self.setup(offer, mo, answer, ma);
        let (dirs_o, dir_a) = (offer.direction(mo), answer.direction(ma));
        let allowed: &[Direction] = match dirs_o {
            Direction::SendRecv => {
                &[Direction::SendRecv, Direction::SendOnly, Direction::RecvOnly, Direction::Inactive]
            }
            Direction::SendOnly => &[Direction::RecvOnly, Direction::Inactive],
            Direction::RecvOnly => &[Direction::SendOnly, Direction::Inactive],
            Direction::Inactive => &[Direction::Inactive],
        };
        if !allowed.contains(&dir_a) && mo.is_rtp() {
            let line = ma.direction.or(answer.session.direction).map_or(ma.line, |d| d.line);
            self.push(
                "answer-direction",
                Role::Answer,
                Some(line),
                a,
                format!(
                    "the offer is {} so the answer may be {}, not {}",
                    dirs_o.as_str(),
                    allowed.iter().map(|d| d.as_str()).collect::<Vec<_>>().join(" or "),
                    dir_a.as_str()
                ),
            );
        }
    }

    fn setup(&mut self, offer: &Sdp<'_>, mo: &Media<'_>, answer: &Sdp<'_>, ma: &Media<'_>) {
        let (Some(so), Some(sa)) = (offer.setup(mo), answer.setup(ma)) else { return };
        let ok = matches!(
            (so, sa),
            (Setup::Actpass, Setup::Active | Setup::Passive)
                | (Setup::Active, Setup::Passive)
                | (Setup::Passive, Setup::Active)
                | (Setup::Holdconn, Setup::Holdconn)
        );
        if !ok {
            let line = ma.setup.or(answer.session.setup).map_or(ma.line, |s| s.line);
            self.push(
                "answer-setup",
                Role::Answer,
                Some(line),
                Some(ma),
                format!(
                    "offer a=setup:{} and answer a=setup:{} do not give one DTLS client and one server",
                    so.as_str(),
                    sa.as_str()
                ),
            );
        }
    }

    fn codecs(&mut self, mo: &Media<'_>, ma: &Media<'_>) {
        for c in ma.listed_codecs() {
            let name = base_key_display(c);
            let same = |o: &&super::model::Codec<'_>| {
                o.name().map(str::to_ascii_lowercase) == c.name().map(str::to_ascii_lowercase)
                    && o.clock_rate() == c.clock_rate()
                    && o.channels().unwrap_or(1) == c.channels().unwrap_or(1)
            };
            let line = c.rtpmap.map_or(ma.line, |r| r.line);
            let offered: Vec<_> = mo.listed_codecs().filter(same).collect();
            let Some(first) = offered.first() else {
                self.push(
                    "answer-codec-not-offered",
                    Role::Answer,
                    Some(line),
                    Some(ma),
                    format!("{name} (PT {}) was not offered", c.pt),
                );
                continue;
            };
            let matching = offered.iter().find(|o| o.pt == c.pt).copied();
            if matching.is_none() {
                self.push(
                    "answer-payload-type",
                    Role::Answer,
                    Some(line),
                    Some(ma),
                    format!("{name} was offered as PT {} but answered as PT {}", first.pt, c.pt),
                );
            }
            let o = matching.unwrap_or(first);
            for fb in ma.rtcp_fb_for(c.pt) {
                let value = fb.value.split_ascii_whitespace().collect::<Vec<_>>();
                let was_offered = mo
                    .rtcp_fb_for(o.pt)
                    .any(|ofb| ofb.value.split_ascii_whitespace().collect::<Vec<_>>() == value);
                if !was_offered {
                    self.push(
                        "answer-rtcp-fb-not-offered",
                        Role::Answer,
                        Some(fb.line),
                        Some(ma),
                        format!("rtcp-fb {} for {name} (PT {}) was not offered", value.join(" "), c.pt),
                    );
                }
            }
        }
    }

    fn bundle(&mut self, offer: &Sdp<'_>, answer: &Sdp<'_>) {
        for g in answer.bundle_groups() {
            for mid in &g.mids {
                let offered = offer.bundle_group_of(mid);
                let same_group = offered.is_some_and(|o| g.mids.iter().all(|m| o.mids.contains(m)));
                if offered.is_none() {
                    self.push(
                        "answer-bundle-not-offered",
                        Role::Answer,
                        Some(g.line),
                        None,
                        format!(
                            "the answer bundles mid {mid:?}, which the offer did not put in a BUNDLE group"
                        ),
                    );
                } else if !same_group {
                    self.push(
                        "answer-bundle-not-offered",
                        Role::Answer,
                        Some(g.line),
                        None,
                        format!("the answer's BUNDLE group mixes mids the offer put in different groups ({mid:?})"),
                    );
                    break;
                }
            }
        }
    }
}

/// A warning when a JSON `type` contradicts the position (offer given as the answer...).
pub fn role_mismatch(offer_role: Option<Role>, answer_role: Option<Role>) -> Vec<CheckProblem> {
    let mut out = Vec::new();
    for (side, role) in [(Role::Offer, offer_role), (Role::Answer, answer_role)] {
        if let Some(role) = role.filter(|r| *r != side) {
            out.push(CheckProblem {
                problem: Problem {
                    rule: "role-mismatch",
                    severity: Severity::Warning,
                    line: None,
                    mid: None,
                    message: format!("the {} argument's JSON type is {:?}", side.as_str(), role.as_str()),
                    section: None,
                },
                side,
            });
        }
    }
    out
}
