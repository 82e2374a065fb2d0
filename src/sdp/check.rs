//! `rtctool sdp check OFFER ANSWER`: whether an answer is a valid answer to its offer
//! (RFC 3264, RFC 8829 JSEP, RFC 8843 BUNDLE, RFC 8842 DTLS roles).

use std::collections::HashMap;

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
        self.out.push(CheckProblem { problem: Problem::new(rule, severity, line, m, message), side });
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
            let same_name: Vec<_> = mo.listed_codecs().filter(same).collect();
            // One name can be several formats that do not interwork (H.264 profiles and
            // packetization modes, VP9 and AV1 profiles).
            let answered = format_of(c);
            let offered: Vec<_> =
                same_name.iter().copied().filter(|o| formats_match(&format_of(o), &answered)).collect();
            let Some(first) = offered.first() else {
                let message = if same_name.is_empty() {
                    format!("{name} (PT {}) was not offered", c.pt)
                } else {
                    let were: Vec<String> = same_name
                        .iter()
                        .map(|o| format!("PT {} {}", o.pt, format_of(o).describe()))
                        .collect();
                    format!(
                        "{name} (PT {}) {} was not offered; the offer has it only as {}",
                        c.pt,
                        answered.describe(),
                        were.join(", ")
                    )
                };
                self.push("answer-codec-not-offered", Role::Answer, Some(line), Some(ma), message);
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
        // Which offered group each mid is in, once: linear in the mids, however many.
        let mut offered_in: HashMap<&str, usize> = HashMap::new();
        for (i, g) in offer.bundle_groups().enumerate() {
            for mid in &g.mids {
                offered_in.entry(mid).or_insert(i);
            }
        }
        for g in answer.bundle_groups() {
            let groups: Vec<Option<usize>> = g.mids.iter().map(|m| offered_in.get(m).copied()).collect();
            // The one offered group holding every mid of this answer group, if there is one.
            let uniform = groups.first().copied().flatten().filter(|k| groups.iter().all(|g| *g == Some(*k)));
            for (mid, offered) in g.mids.iter().zip(&groups) {
                let same_group = offered.is_some() && *offered == uniform;
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

/// The parameters that make one encoding name several formats that do not interwork: H.264's
/// profile and packetization mode (RFC 6184 8.2.2; the level may differ), the profile of VP9
/// (profile-id) and AV1 (profile). `None` where the codec has none or does not say.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Format {
    profile: Option<String>,
    packetization_mode: Option<String>,
}

impl Format {
    fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(p) = &self.profile {
            parts.push(format!("profile {p}"));
        }
        if let Some(m) = &self.packetization_mode {
            parts.push(format!("packetization-mode {m}"));
        }
        if parts.is_empty() {
            String::new()
        } else {
            format!("({})", parts.join(", "))
        }
    }
}

fn format_of(c: &super::model::Codec<'_>) -> Format {
    let name = c.name().unwrap_or("").to_ascii_lowercase();
    match name.as_str() {
        "h264" => Format {
            profile: c.fmtp_param("profile-level-id").map(h264_profile),
            // RFC 6184: absent means 0.
            packetization_mode: Some(c.fmtp_param("packetization-mode").unwrap_or("0").to_string()),
        },
        "vp9" => Format {
            profile: Some(c.fmtp_param("profile-id").unwrap_or("0").to_string()),
            ..Format::default()
        },
        "av1" => {
            Format { profile: Some(c.fmtp_param("profile").unwrap_or("0").to_string()), ..Format::default() }
        }
        _ => Format::default(),
    }
}

/// An H.264 profile-level-id's profile, by profile_idc and the constraint flags of
/// profile-iop (RFC 6184 8.1; the constrained profiles as WebRTC stacks name them). The level
/// (third byte) does not change the profile. Unknown combinations are given as hex.
fn h264_profile(plid: &str) -> String {
    let hex = |i: usize| plid.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok());
    let (Some(idc), Some(iop), Some(_level)) = (hex(0), hex(2), hex(4)) else {
        return format!("{plid:?} (not a profile-level-id)");
    };
    // (profile_idc, mask, value): iop & mask == value. First match wins.
    const PATTERNS: [(u8, u8, u8, &str); 9] = [
        (0x42, 0b0100_1111, 0b0100_0000, "Constrained Baseline"),
        (0x4d, 0b1000_1111, 0b1000_0000, "Constrained Baseline"),
        (0x58, 0b1100_1111, 0b1100_0000, "Constrained Baseline"),
        (0x42, 0b0100_1111, 0b0000_0000, "Baseline"),
        (0x58, 0b1100_1111, 0b1000_0000, "Baseline"),
        (0x4d, 0b1010_1111, 0b0000_0000, "Main"),
        (0x64, 0b1111_1111, 0b0000_0000, "High"),
        (0x64, 0b1111_1111, 0b0000_1100, "Constrained High"),
        (0xf4, 0b1111_1111, 0b0000_0000, "Predictive High 4:4:4"),
    ];
    PATTERNS
        .iter()
        .find(|(p, mask, value, _)| *p == idc && iop & mask == *value)
        .map_or_else(|| format!("{idc:02x}{iop:02x}"), |(.., name)| (*name).to_string())
}

/// Whether an offered and an answered format interwork. A parameter one side leaves out is
/// not compared, except packetization-mode, whose absence means 0.
fn formats_match(offered: &Format, answered: &Format) -> bool {
    let same = |a: &Option<String>, b: &Option<String>| match (a, b) {
        (Some(a), Some(b)) => a == b,
        _ => true,
    };
    same(&offered.profile, &answered.profile)
        && same(&offered.packetization_mode, &answered.packetization_mode)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn h264_profiles_by_profile_idc_and_constraint_flags() {
        for (plid, profile) in [
            ("42e01f", "Constrained Baseline"),
            ("42c01f", "Constrained Baseline"),
            ("4de01f", "Constrained Baseline"),
            ("58c01f", "Constrained Baseline"),
            ("42001f", "Baseline"),
            ("58801f", "Baseline"),
            ("4d001f", "Main"),
            ("64001f", "High"),
            ("640c1f", "Constrained High"),
            ("f4001f", "Predictive High 4:4:4"),
            ("6e001f", "6e00"),
        ] {
            assert_eq!(h264_profile(plid), profile, "{plid}");
        }
        assert!(h264_profile("zz").contains("not a profile-level-id"));
    }
}
