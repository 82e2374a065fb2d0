//! `rtctool sdp lint`: every problem in an SDP, each with a stable rule id, a severity, its
//! line, its m-section's mid and a one-line explanation.
//!
//! The rule ids in [`RULES`] are a contract (scripts filter on them): add rules freely, never
//! rename one. Rules that depend on whether the SDP is an offer or an answer (`setup-role`,
//! the offer/answer parts of `bundle-only`) run only when the role is known.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use super::lines::{Ending, Line};
use super::model::{Media, Problem, Role, Sdp, Setup, Severity};

/// One lint rule: its stable id, its severity and what it checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// Stable kebab-case id.
    pub id: &'static str,
    /// Severity of what it reports.
    pub severity: Severity,
    /// What it checks, in one line.
    pub summary: &'static str,
}

const fn rule(id: &'static str, severity: Severity, summary: &'static str) -> Rule {
    Rule { id, severity, summary }
}

use Severity::{Error as E, Info as I, Warning as W};

/// Every rule, grouped as `sdp lint --list-rules` prints them.
pub const RULES: &[Rule] = &[
    // Structure
    rule("line-syntax", E, "a line is not <type>=<value> (a comment, a stray word)"),
    rule("blank-line", W, "an empty line inside the SDP"),
    rule("unknown-line-type", E, "a line type letter SDP does not define (RFC 8866 §5)"),
    rule("line-order", E, "lines out of RFC 8866 order (v o s i u e p c b t r z k a; m i c b k a)"),
    rule("required-line", E, "v=, o=, s= or t= is missing"),
    rule("duplicate-line", E, "v=, o=, s= or i= appears twice at one level"),
    rule("version", E, "v= is not 0"),
    rule("origin-syntax", E, "o= is not <username> <sess-id> <sess-version> IN IP4|IP6 <address>"),
    rule("connection-syntax", E, "c= is not IN IP4|IP6 <address>"),
    rule("connection-missing", E, "an m-section has no c= and there is none at session level"),
    rule("media-syntax", E, "m= is not <media> <port> <proto> <fmt>..."),
    rule("line-ending", W, "lines end with LF instead of CRLF, endings are mixed, or the last is missing"),
    rule("whitespace", W, "leading or trailing spaces or tabs on a line"),
    rule("encoding", E, "the input is not valid UTF-8"),
    rule("attribute-syntax", E, "a known attribute whose value does not follow its grammar"),
    rule(
        "attribute-level",
        E,
        "a session-only attribute in an m-section, or a media-only one at session level",
    ),
    rule("attribute-duplicate", W, "a single-valued attribute appears twice at one level (the first counts)"),
    // mid and BUNDLE
    rule("mid-duplicate", E, "two m-sections have the same mid"),
    rule("mid-missing", W, "an m-section has no mid while others have one or BUNDLE is used"),
    rule("bundle-mid-unknown", E, "a BUNDLE group lists a mid that no m-section has"),
    rule("bundle-mid-duplicate", E, "a mid is listed twice in BUNDLE groups"),
    rule("bundle-only", E, "a=bundle-only outside BUNDLE, with a non-zero port in an offer, or in an answer"),
    rule("bundle-payload-type-conflict", E, "one payload type means different codecs within a BUNDLE group"),
    rule("bundle-extmap-conflict", E, "one extmap id means different extensions within a BUNDLE group"),
    // ICE
    rule("ice-ufrag-length", E, "ice-ufrag is not 4-256 characters (RFC 8839)"),
    rule("ice-ufrag-chars", E, "ice-ufrag has characters other than ALPHA DIGIT + /"),
    rule("ice-pwd-length", E, "ice-pwd is not 22-256 characters (RFC 8839)"),
    rule("ice-pwd-chars", E, "ice-pwd has characters other than ALPHA DIGIT + /"),
    rule("ice-credentials", E, "an m-section lacks ice-ufrag or ice-pwd while ICE is in use"),
    rule("ice-credentials-duplicate", E, "more than one ice-ufrag or ice-pwd at one level"),
    rule("ice-pwd-mismatch", E, "the same ice-ufrag comes with different ice-pwd values"),
    rule("candidate-syntax", E, "an a=candidate line does not follow RFC 8839"),
    rule("candidate-raddr", E, "a srflx, prflx or relay candidate without raddr and rport"),
    rule("candidate-tcptype", W, "a TCP candidate without tcptype (RFC 6544; old Chrome omitted it)"),
    // DTLS
    rule("fingerprint-missing", E, "a DTLS m-section without a=fingerprint at either level"),
    rule("fingerprint-hash", E, "a fingerprint hash function that is not registered"),
    rule(
        "fingerprint-length",
        E,
        "a fingerprint whose byte count does not match its hash, or is not hex pairs",
    ),
    rule("setup-role", E, "a=setup is not actpass in an offer, or is actpass in an answer"),
    rule("setup-missing", W, "a DTLS m-section without a=setup"),
    // Codecs
    rule("payload-type-range", E, "an RTP format that is not a payload type 0-127"),
    rule("rtpmap-missing", E, "a payload type on the m= line that is not static and has no rtpmap"),
    rule("payload-type-unlisted", E, "an rtpmap, fmtp or rtcp-fb for a payload type not on the m= line"),
    rule("codec-duplicate", E, "a second rtpmap for one payload type"),
    rule("fmtp-duplicate", W, "a second fmtp for one payload type (Chrome merges them, others keep one)"),
    rule("rtx-apt", E, "an rtx payload type whose apt is missing, unknown, or of another clock rate"),
    rule("red-payload-types", E, "a red fmtp listing payload types that are not in the m-section"),
    // Streams
    rule("direction-duplicate", E, "more than one of sendrecv/sendonly/recvonly/inactive at one level"),
    rule("msid-duplicate", E, "the same msid (stream and track) twice"),
    rule("ssrc-group-member", E, "an ssrc-group member without a=ssrc lines in the m-section"),
    rule("simulcast-rid", E, "a simulcast rid that has no a=rid, or whose a=rid has the other direction"),
    rule("simulcast-draft", W, "a=simulcast in pre-RFC 8853 draft syntax (rid=, paused=)"),
    // SCTP
    rule(
        "sctp-port-missing",
        E,
        "a UDP/DTLS/SCTP m-section without a=sctp-port (or DTLS/SCTP without a=sctpmap)",
    ),
    rule("sctp-format", E, "an SCTP m-section whose format is not webrtc-datachannel (or the sctpmap port)"),
    // Notes
    rule("role-unknown", I, "offer/answer rules were skipped: give --as or a JSON type"),
];

/// The rule with this id.
pub fn rule_info(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}

/// The rule list as `--list-rules` prints it.
pub fn rules_text() -> String {
    let width = RULES.iter().map(|r| r.id.len()).max().unwrap_or(0);
    let mut text = String::new();
    for r in RULES {
        let _ = writeln!(text, "{:<width$}  {:<7}  {}", r.id, r.severity.as_str(), r.summary);
    }
    text
}

/// Lints a parsed SDP: the problems found while parsing plus every rule's findings, sorted by
/// line. `role` enables the offer/answer rules.
pub fn lint(sdp: &Sdp<'_>, role: Option<Role>) -> Vec<Problem> {
    let mut l = Linter { sdp, role, out: sdp.problems.clone() };
    l.simulcast_draft();
    l.structure();
    l.endings_and_whitespace();
    l.attributes();
    l.mids_and_bundle();
    l.ice();
    l.candidates();
    l.dtls();
    l.codecs();
    l.streams();
    l.sctp();
    l.bundle_conflicts();
    if role.is_none() && needs_role(sdp) {
        l.push(
            "role-unknown",
            None,
            None,
            "offer/answer rules (setup-role, bundle-only in answers) skipped: pass --as offer|answer".into(),
        );
    }
    let mut out = l.out;
    out.sort_by_key(|p| (p.line.unwrap_or(0), p.severity));
    out
}

/// Whether any role-dependent rule has something to look at.
fn needs_role(sdp: &Sdp<'_>) -> bool {
    sdp.session.setup.is_some() || sdp.media.iter().any(|m| m.setup.is_some() || m.bundle_only.is_some())
}

struct Linter<'s, 'a> {
    sdp: &'s Sdp<'a>,
    role: Option<Role>,
    out: Vec<Problem>,
}

/// Attributes that may appear only once per level (beyond those with rules of their own).
const SINGLE_VALUED: &[&str] = &[
    "mid",
    "setup",
    "ice-options",
    "ice-lite",
    "rtcp",
    "rtcp-mux",
    "rtcp-mux-only",
    "rtcp-rsize",
    "bundle-only",
    "end-of-candidates",
    "sctp-port",
    "max-message-size",
    "sctpmap",
    "simulcast",
    "msid-semantic",
    "extmap-allow-mixed",
    "ptime",
    "maxptime",
];
/// Only at session level.
const SESSION_ONLY: &[&str] = &["group", "msid-semantic", "ice-lite"];
/// Only in m-sections.
const MEDIA_ONLY: &[&str] = &[
    "mid",
    "rtpmap",
    "fmtp",
    "rtcp-fb",
    "ssrc",
    "ssrc-group",
    "msid",
    "rid",
    "simulcast",
    "candidate",
    "remote-candidates",
    "ice-mismatch",
    "rtcp",
    "rtcp-mux",
    "rtcp-mux-only",
    "rtcp-rsize",
    "bundle-only",
    "sctp-port",
    "max-message-size",
    "sctpmap",
    "ptime",
    "maxptime",
    "label",
    "imageattr",
    "crypto",
];

impl<'s, 'a> Linter<'s, 'a> {
    fn push(&mut self, rule: &'static str, line: Option<u32>, m: Option<&Media<'_>>, message: String) {
        let severity = rule_info(rule).map_or(Severity::Error, |r| r.severity);
        self.out.push(Problem::new(rule, severity, line, m, message));
    }

    /// The lines of a level: the session part or one m-section.
    fn level_lines(&self, m: Option<&Media<'_>>) -> &'s [Line<'a>] {
        let range = m.map_or(self.sdp.session.lines.clone(), |m| m.lines.clone());
        self.sdp.lines.get(range).unwrap_or(&[])
    }

    /// `(name, value, line)` of every attribute of a level.
    fn level_attrs(
        &self,
        m: Option<&Media<'_>>,
    ) -> impl Iterator<Item = (&'a str, Option<&'a str>, u32)> + 's {
        self.level_lines(m).iter().filter_map(|l| l.attribute().map(|(n, v)| (n, v, l.number)))
    }

    fn levels(&self) -> impl Iterator<Item = Option<&'s Media<'a>>> + 's {
        std::iter::once(None).chain(self.sdp.media.iter().map(Some))
    }

    // --- Structure -------------------------------------------------------------------------

    fn structure(&mut self) {
        let sdp = self.sdp;
        let mut seen_media = false;
        let mut max_rank = 0u8;
        let mut max_kind = 'v';
        let mut counts: HashMap<u8, u32> = HashMap::new();
        let mut level: Option<&Media<'_>> = None;
        let mut next_media = sdp.media.iter().peekable();
        for line in &sdp.lines {
            let Some(kind) = line.kind else {
                if line.raw.trim().is_empty() {
                    self.push("blank-line", Some(line.number), level, "empty line".into());
                } else {
                    let shown: String = line.raw.trim().chars().take(40).collect();
                    self.push(
                        "line-syntax",
                        Some(line.number),
                        level,
                        format!("not an SDP line (<type>=<value>): {shown:?}"),
                    );
                }
                continue;
            };
            if kind == b'm' {
                level = next_media.next();
                seen_media = true;
                max_rank = 0;
                max_kind = 'm';
                counts.clear();
                continue;
            }
            let rank = if seen_media { media_rank(kind) } else { session_rank(kind) };
            let Some(rank) = rank else {
                let c = line.kind_char();
                if session_rank(kind).is_some() {
                    self.push(
                        "line-order",
                        Some(line.number),
                        level,
                        format!("{c}= belongs in the session part, before the first m="),
                    );
                } else {
                    self.push(
                        "unknown-line-type",
                        Some(line.number),
                        level,
                        format!("{c}= is not an SDP line type"),
                    );
                }
                continue;
            };
            // t= r= t= r= ... repeats: a t= after an r= starts the next time description.
            let repeat_time = kind == b't' && max_kind == 'r';
            if rank < max_rank && !repeat_time {
                self.push(
                    "line-order",
                    Some(line.number),
                    level,
                    format!(
                        "{}= after {max_kind}= (expected order: {})",
                        line.kind_char(),
                        order_text(seen_media)
                    ),
                );
            } else {
                max_rank = rank;
                max_kind = line.kind_char();
            }
            let count = counts.entry(kind).or_insert(0);
            *count += 1;
            if *count == 2 && matches!(kind, b'v' | b'o' | b's' | b'i') {
                self.push(
                    "duplicate-line",
                    Some(line.number),
                    level,
                    format!("a second {}= line at this level", line.kind_char()),
                );
            }
        }
        let s = &sdp.session;
        if let Some(v) = s.version {
            if v.value != "0" {
                self.push("version", Some(v.line), None, format!("v={} (the only version is 0)", v.value));
            }
        }
        for (missing, what) in [
            (s.version.is_none(), "v= (protocol version)"),
            (s.origin.is_none() && !self.has_kind_in_session(b'o'), "o= (origin)"),
            (s.name.is_none(), "s= (session name)"),
            (s.timing.is_empty(), "t= (timing)"),
        ] {
            if missing {
                self.push("required-line", None, None, format!("no {what} line in the session part"));
            }
        }
        for m in &sdp.media {
            if sdp.connection(m).is_none() {
                self.push(
                    "connection-missing",
                    Some(m.line),
                    Some(m),
                    "no c= in this m-section and none at session level".into(),
                );
            }
        }
    }

    fn has_kind_in_session(&self, kind: u8) -> bool {
        self.level_lines(None).iter().any(|l| l.kind == Some(kind))
    }

    fn endings_and_whitespace(&mut self) {
        let lines = &self.sdp.lines;
        let crlf = lines.iter().filter(|l| l.ending == Ending::Crlf).count();
        let lf = lines.iter().filter(|l| l.ending == Ending::Lf).count();
        if lf > 0 && crlf == 0 {
            self.push(
                "line-ending",
                lines.first().map(|l| l.number),
                None,
                "lines end with LF; RFC 8866 asks for CRLF (browsers accept both)".into(),
            );
        } else if lf > 0 && crlf > 0 {
            let minority = if lf <= crlf { Ending::Lf } else { Ending::Crlf };
            let first = lines.iter().find(|l| l.ending == minority).map(|l| l.number);
            self.push(
                "line-ending",
                first,
                self.media_at(first),
                format!("mixed line endings: {crlf} CRLF and {lf} LF"),
            );
        }
        if let Some(last) = lines.last() {
            if last.ending == Ending::None && last.kind.is_some() && lines.len() > 1 {
                self.push(
                    "line-ending",
                    Some(last.number),
                    self.media_at(Some(last.number)),
                    "the last line has no line ending".into(),
                );
            }
        }
        for line in lines {
            // "s= " (one space) is RFC 8866's recommended empty session name.
            let empty_name = line.kind == Some(b's') && line.raw == "s= ";
            if line.kind.is_some() && line.has_stray_whitespace() && !empty_name {
                let which = if line.raw.starts_with([' ', '\t']) { "leading" } else { "trailing" };
                self.push(
                    "whitespace",
                    Some(line.number),
                    self.media_at(Some(line.number)),
                    format!("{which} whitespace"),
                );
            }
        }
    }

    /// The m-section a line number is in.
    fn media_at(&self, line: Option<u32>) -> Option<&'s Media<'a>> {
        let index = (line? as usize).checked_sub(1)?;
        // Sections are in line order: the last one starting at or before the line.
        let after = self.sdp.media.partition_point(|m| m.lines.start <= index);
        self.sdp.media.get(after.checked_sub(1)?).filter(|m| m.lines.contains(&index))
    }

    fn simulcast_draft(&mut self) {
        // The model rejects draft syntax as a syntax error; it is an old but real dialect, so
        // it is reported under its own (warning) rule instead.
        for p in &mut self.out {
            if p.rule == "attribute-syntax"
                && p.message.starts_with("a=simulcast:")
                && p.message.contains("draft syntax")
            {
                p.rule = "simulcast-draft";
                p.severity = Severity::Warning;
            }
        }
    }

    fn attributes(&mut self) {
        let levels: Vec<_> = self.levels().collect();
        for m in levels {
            let mut seen: HashMap<&str, u32> = HashMap::new();
            let mut directions = 0;
            let mut ufrags = 0;
            let mut pwds = 0;
            for (name, value, line) in self.level_attrs(m).collect::<Vec<_>>() {
                match m {
                    None if MEDIA_ONLY.contains(&name) => self.push(
                        "attribute-level",
                        Some(line),
                        None,
                        format!("a={name} belongs in an m-section, not at session level"),
                    ),
                    Some(_) if SESSION_ONLY.contains(&name) => self.push(
                        "attribute-level",
                        Some(line),
                        m,
                        format!("a={name} is session-level only, not allowed in an m-section"),
                    ),
                    _ => {}
                }
                if SINGLE_VALUED.contains(&name) {
                    if let Some(first) = seen.insert(name, line) {
                        seen.insert(name, first);
                        self.push(
                            "attribute-duplicate",
                            Some(line),
                            m,
                            format!("a second a={name} at this level (line {first} counts)"),
                        );
                    }
                }
                if super::model::Direction::from_attribute(name).is_some() {
                    directions += 1;
                    if directions == 2 {
                        self.push(
                            "direction-duplicate",
                            Some(line),
                            m,
                            format!("a={name}: a second direction attribute at this level"),
                        );
                    }
                }
                if name == "ice-ufrag" || name == "ice-pwd" {
                    let count = if name == "ice-ufrag" { &mut ufrags } else { &mut pwds };
                    *count += 1;
                    if *count == 2 {
                        self.push(
                            "ice-credentials-duplicate",
                            Some(line),
                            m,
                            format!("a second a={name} at this level; one credential set per level"),
                        );
                    }
                }
                if value.is_none_or(|v| v.trim().is_empty()) && needs_value(name) {
                    self.push("attribute-syntax", Some(line), m, format!("a={name} without a value"));
                }
            }
        }
    }

    // --- mid and BUNDLE --------------------------------------------------------------------

    fn mids_and_bundle(&mut self) {
        let sdp = self.sdp;
        let mut mids: HashMap<&str, u32> = HashMap::new();
        for m in &sdp.media {
            if let Some(mid) = m.mid {
                if let Some(first) = mids.get(mid.value) {
                    self.push(
                        "mid-duplicate",
                        Some(mid.line),
                        Some(m),
                        format!("mid {:?} is already used on line {first}", mid.value),
                    );
                } else {
                    mids.insert(mid.value, mid.line);
                }
            }
        }
        let any_mid = sdp.media.iter().any(|m| m.mid.is_some());
        let bundle = sdp.bundle_groups().next().is_some();
        if any_mid || bundle {
            for m in sdp.media.iter().filter(|m| m.mid.is_none()) {
                self.push("mid-missing", Some(m.line), Some(m), "m-section without a=mid".into());
            }
        }
        let mut bundled: HashMap<&str, u32> = HashMap::new();
        for g in sdp.bundle_groups() {
            for mid in &g.mids {
                if !mids.contains_key(mid) {
                    self.push(
                        "bundle-mid-unknown",
                        Some(g.line),
                        None,
                        format!("BUNDLE lists mid {mid:?}, which no m-section has"),
                    );
                }
                if let Some(first) = bundled.insert(mid, g.line) {
                    self.push(
                        "bundle-mid-duplicate",
                        Some(g.line),
                        None,
                        format!("mid {mid:?} is already in a BUNDLE group (line {first})"),
                    );
                }
            }
        }
        for m in &sdp.media {
            let Some(line) = m.bundle_only else { continue };
            let group = m.mid().and_then(|mid| sdp.bundle_group_of(mid));
            match group {
                None => self.push(
                    "bundle-only",
                    Some(line),
                    Some(m),
                    "a=bundle-only in an m-section outside BUNDLE".into(),
                ),
                Some(g) => match self.role {
                    Some(Role::Answer) => self.push(
                        "bundle-only",
                        Some(line),
                        Some(m),
                        "a=bundle-only in an answer (RFC 8843: answers never carry it)".into(),
                    ),
                    Some(Role::Offer) if g.mids.first() == m.mid().as_ref() => self.push(
                        "bundle-only",
                        Some(line),
                        Some(m),
                        "a=bundle-only on the offerer-tagged (first) m-section of the BUNDLE group".into(),
                    ),
                    Some(Role::Offer) if m.port != 0 => self.push(
                        "bundle-only",
                        Some(m.line),
                        Some(m),
                        format!("a bundle-only m-section must have port 0 in an offer, not {}", m.port),
                    ),
                    _ => {}
                },
            }
        }
    }

    fn bundle_conflicts(&mut self) {
        let sdp = self.sdp;
        let by_mid: HashMap<&str, &Media<'_>> =
            sdp.media.iter().rev().filter_map(|m| m.mid().map(|mid| (mid, m))).collect();
        for g in sdp.bundle_groups() {
            let sections: Vec<&Media<'_>> =
                g.mids.iter().filter_map(|mid| by_mid.get(mid).copied()).collect();
            let mut pts: HashMap<u8, (String, &Media<'_>)> = HashMap::new();
            let mut ids: HashMap<u16, (&str, &Media<'_>)> = HashMap::new();
            for m in &sections {
                for c in m.codecs.iter().filter(|c| c.listed) {
                    let Some(name) = c.name() else { continue };
                    let key = codec_key(m, c.pt);
                    match pts.get(&c.pt) {
                        Some((other, first)) if *other != key && first.index != m.index => {
                            let line = c.rtpmap.map_or(m.line, |r| r.line);
                            let first_mid = first.mid().unwrap_or("?");
                            self.push(
                                "bundle-payload-type-conflict",
                                Some(line),
                                Some(m),
                                format!("PT {} is {name} here but {other} in mid {first_mid:?} of the same BUNDLE group", c.pt),
                            );
                        }
                        Some(_) => {}
                        None => {
                            pts.insert(c.pt, (key, m));
                        }
                    }
                }
                for e in &m.extmaps {
                    match ids.get(&e.id) {
                        Some((uri, first)) if *uri != e.uri && first.index != m.index => {
                            let first_mid = first.mid().unwrap_or("?");
                            self.push(
                                "bundle-extmap-conflict",
                                Some(e.line),
                                Some(m),
                                format!(
                                    "extmap id {} is {} here but {uri} in mid {first_mid:?} of the same BUNDLE group",
                                    e.id, e.uri
                                ),
                            );
                        }
                        Some(_) => {}
                        None => {
                            ids.insert(e.id, (e.uri, m));
                        }
                    }
                }
            }
        }
    }

    // --- ICE -------------------------------------------------------------------------------

    fn ice(&mut self) {
        let sdp = self.sdp;
        let levels: Vec<_> = self.levels().collect();
        let mut by_ufrag: HashMap<&str, (&str, u32)> = HashMap::new();
        for m in &levels {
            let ice = m.map_or(&sdp.session.ice, |m| &m.ice);
            if let Some(u) = ice.ufrag {
                self.credential(*m, "ice-ufrag", u.value, u.line, 4);
            }
            if let Some(p) = ice.pwd {
                self.credential(*m, "ice-pwd", p.value, p.line, 22);
            }
            if let (Some(u), Some(p)) = (ice.ufrag, ice.pwd) {
                match by_ufrag.get(u.value) {
                    Some((pwd, line)) if *pwd != p.value => self.push(
                        "ice-pwd-mismatch",
                        Some(p.line),
                        *m,
                        format!("ice-ufrag {:?} came with another ice-pwd on line {line}", u.value),
                    ),
                    Some(_) => {}
                    None => {
                        by_ufrag.insert(u.value, (p.value, p.line));
                    }
                }
            }
        }
        let ice_used = levels.iter().any(|m| {
            let ice = m.map_or(&sdp.session.ice, |m| &m.ice);
            ice.ufrag.is_some() || ice.pwd.is_some()
        }) || sdp.media.iter().any(|m| !m.candidates.is_empty());
        if !ice_used {
            return;
        }
        for m in &sdp.media {
            if m.port == 0 {
                continue; // rejected or bundle-only: no transport of its own
            }
            let missing: Vec<&str> = [("ice-ufrag", sdp.ufrag(m)), ("ice-pwd", sdp.pwd(m))]
                .into_iter()
                .filter(|(_, v)| v.is_none())
                .map(|(n, _)| n)
                .collect();
            if !missing.is_empty() {
                self.push(
                    "ice-credentials",
                    Some(m.line),
                    Some(m),
                    format!("no a={} in this m-section or at session level", missing.join(" or a=")),
                );
            }
        }
    }

    fn credential(&mut self, m: Option<&Media<'_>>, name: &str, value: &str, line: u32, min: usize) {
        let len = value.chars().count();
        let (length_rule, chars_rule) = if name == "ice-ufrag" {
            ("ice-ufrag-length", "ice-ufrag-chars")
        } else {
            ("ice-pwd-length", "ice-pwd-chars")
        };
        if !(min..=256).contains(&len) {
            self.push(
                length_rule,
                Some(line),
                m,
                format!("{name} is {len} characters; RFC 8839 allows {min}-256"),
            );
        }
        if let Some(bad) = value.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '+' || *c == '/')) {
            self.push(
                chars_rule,
                Some(line),
                m,
                format!("{name} contains {bad:?}; only ALPHA, DIGIT, + and / are allowed"),
            );
        }
    }

    fn candidates(&mut self) {
        for m in &self.sdp.media {
            for c in &m.candidates {
                let cand = &c.value;
                if cand.typ != crate::core::ice::CandidateType::Host
                    && (cand.related_address.is_none() || cand.related_port.is_none())
                {
                    self.push(
                        "candidate-raddr",
                        Some(c.line),
                        Some(m),
                        format!("{} candidate without raddr/rport (RFC 8839 requires them)", cand.typ),
                    );
                }
                if cand.is_tcp() && cand.tcptype.is_none() {
                    self.push(
                        "candidate-tcptype",
                        Some(c.line),
                        Some(m),
                        "TCP candidate without tcptype active|passive|so (RFC 6544)".into(),
                    );
                }
            }
        }
    }

    // --- DTLS ------------------------------------------------------------------------------

    fn dtls(&mut self) {
        let sdp = self.sdp;
        let levels: Vec<_> = self.levels().collect();
        for m in &levels {
            let fps = m.map_or(&sdp.session.fingerprints, |m| &m.fingerprints);
            for fp in fps {
                let expected = match fp.hash.to_ascii_lowercase().as_str() {
                    "sha-1" => Some(20),
                    "sha-224" => Some(28),
                    "sha-256" => Some(32),
                    "sha-384" => Some(48),
                    "sha-512" => Some(64),
                    "md5" | "md2" => Some(16),
                    _ => None,
                };
                let Some(expected) = expected else {
                    self.push(
                        "fingerprint-hash",
                        Some(fp.line),
                        *m,
                        format!(
                            "unknown hash function {:?} (expected sha-256, sha-1, sha-384, ...)",
                            fp.hash
                        ),
                    );
                    continue;
                };
                let pairs: Vec<&str> = fp.value.split(':').collect();
                if pairs.iter().any(|p| p.len() != 2 || !p.bytes().all(|b| b.is_ascii_hexdigit())) {
                    self.push(
                        "fingerprint-length",
                        Some(fp.line),
                        *m,
                        "fingerprint is not colon-separated hex pairs (AB:CD:...)".into(),
                    );
                } else if pairs.len() != expected {
                    self.push(
                        "fingerprint-length",
                        Some(fp.line),
                        *m,
                        format!(
                            "{} fingerprint has {} bytes; {} has {expected}",
                            fp.hash,
                            pairs.len(),
                            fp.hash
                        ),
                    );
                }
            }
        }
        for m in &sdp.media {
            if !m.is_dtls() || m.is_rejected() {
                continue;
            }
            if sdp.fingerprints(m).is_empty() {
                self.push(
                    "fingerprint-missing",
                    Some(m.line),
                    Some(m),
                    format!("{} needs a=fingerprint (in the m-section or at session level)", m.proto),
                );
            }
            if sdp.setup(m).is_none() {
                self.push("setup-missing", Some(m.line), Some(m), "DTLS m-section without a=setup".into());
            }
        }
        let Some(role) = self.role else { return };
        let setups: Vec<(Option<&Media<'_>>, u32, Setup)> = levels
            .iter()
            .filter_map(|m| m.map_or(sdp.session.setup, |m| m.setup).map(|s| (*m, s.line, s.value)))
            .collect();
        for (m, line, setup) in setups {
            if m.is_some_and(|m| m.is_rejected()) {
                continue;
            }
            match (role, setup) {
                (Role::Offer, Setup::Actpass) | (Role::Answer, Setup::Active | Setup::Passive) => {}
                (Role::Offer, s) => self.push(
                    "setup-role",
                    Some(line),
                    m,
                    format!("a=setup:{} in an offer; offers use actpass (RFC 8842)", s.as_str()),
                ),
                (Role::Answer, s) => self.push(
                    "setup-role",
                    Some(line),
                    m,
                    format!("a=setup:{} in an answer; answers choose active or passive", s.as_str()),
                ),
            }
        }
    }

    // --- Codecs ----------------------------------------------------------------------------

    fn codecs(&mut self) {
        for m in &self.sdp.media {
            if !m.is_rtp() {
                continue;
            }
            // PTs with an rtpmap line, readable or not (a broken one is attribute-syntax).
            let mapped: HashSet<&str> = self
                .level_attrs(Some(m))
                .filter(|(name, _, _)| *name == "rtpmap")
                .filter_map(|(_, v, _)| v.and_then(|v| v.split_ascii_whitespace().next()))
                .collect();
            for c in m.codecs.iter().filter(|c| c.listed) {
                if c.rtpmap.is_none()
                    && super::model::static_payload_type(c.pt).is_none()
                    && !mapped.contains(c.pt.to_string().as_str())
                {
                    self.push(
                        "rtpmap-missing",
                        Some(m.line),
                        Some(m),
                        format!("payload type {} has no a=rtpmap and is not a static type", c.pt),
                    );
                }
            }
            let mut rtpmaps: HashMap<u8, u32> = HashMap::new();
            let mut fmtps: HashMap<u8, u32> = HashMap::new();
            for (name, value, line) in self.level_attrs(Some(m)).collect::<Vec<_>>() {
                let seen = match name {
                    "rtpmap" => &mut rtpmaps,
                    "fmtp" => &mut fmtps,
                    "rtcp-fb" => {
                        let pt = value.unwrap_or("").split_ascii_whitespace().next().unwrap_or("");
                        if let Some(pt) = super::model::parse_pt(pt) {
                            if !m.codecs.iter().any(|c| c.pt == pt && c.listed) {
                                self.push(
                                    "payload-type-unlisted",
                                    Some(line),
                                    Some(m),
                                    format!("a=rtcp-fb for payload type {pt}, which is not on the m= line"),
                                );
                            }
                        }
                        continue;
                    }
                    _ => continue,
                };
                let pt = value.unwrap_or("").split_ascii_whitespace().next().unwrap_or("");
                let Some(pt) = super::model::parse_pt(pt) else { continue };
                if let Some(first) = seen.insert(pt, line) {
                    seen.insert(pt, first);
                    self.push(
                        if name == "rtpmap" { "codec-duplicate" } else { "fmtp-duplicate" },
                        Some(line),
                        Some(m),
                        format!("a second a={name} for payload type {pt} (line {first} counts)"),
                    );
                } else if !m.codecs.iter().any(|c| c.pt == pt && c.listed) {
                    self.push(
                        "payload-type-unlisted",
                        Some(line),
                        Some(m),
                        format!("a={name} for payload type {pt}, which is not on the m= line"),
                    );
                }
            }
            for c in &m.codecs {
                let line = c.fmtp.map_or_else(|| c.rtpmap.map_or(m.line, |r| r.line), |f| f.line);
                if c.is_rtx() {
                    match c.fmtp_param("apt") {
                        None => self.push(
                            "rtx-apt",
                            Some(line),
                            Some(m),
                            format!("rtx payload type {} has no apt= (which payload type it repairs)", c.pt),
                        ),
                        Some(apt) => match super::model::parse_pt(apt).and_then(|pt| m.codec(pt)) {
                            None => self.push(
                                "rtx-apt",
                                Some(line),
                                Some(m),
                                format!(
                                    "rtx payload type {} has apt={apt}, which is not in this m-section",
                                    c.pt
                                ),
                            ),
                            Some(target)
                                if target.clock_rate() != c.clock_rate() && target.clock_rate().is_some() =>
                            {
                                self.push(
                                    "rtx-apt",
                                    Some(line),
                                    Some(m),
                                    format!(
                                        "rtx payload type {} runs at {} Hz but apt={apt} ({}) at {} Hz",
                                        c.pt,
                                        c.clock_rate().unwrap_or(0),
                                        target.name().unwrap_or("?"),
                                        target.clock_rate().unwrap_or(0)
                                    ),
                                )
                            }
                            Some(_) => {}
                        },
                    }
                }
                if c.is_red() {
                    let Some(fmtp) = c.fmtp else { continue };
                    for pt in fmtp.value.split(['/', ' ']).map(str::trim).filter(|p| !p.is_empty()) {
                        let known = super::model::parse_pt(pt).and_then(|pt| m.codec(pt)).is_some();
                        if !known {
                            self.push(
                                "red-payload-types",
                                Some(fmtp.line),
                                Some(m),
                                format!(
                                    "red payload type {} lists {pt:?}, which is not in this m-section",
                                    c.pt
                                ),
                            );
                        }
                    }
                }
            }
        }
    }

    // --- Streams ---------------------------------------------------------------------------

    fn streams(&mut self) {
        let mut msids: HashMap<(&str, Option<&str>), u32> = HashMap::new();
        for m in &self.sdp.media {
            for msid in &m.msids {
                let key = (msid.stream, msid.track);
                if let Some(first) = msids.get(&key) {
                    self.push(
                        "msid-duplicate",
                        Some(msid.line),
                        Some(m),
                        format!(
                            "msid {} {} is already used on line {first}",
                            msid.stream,
                            msid.track.unwrap_or("")
                        ),
                    );
                } else {
                    msids.insert(key, msid.line);
                }
            }
            let declared: HashSet<u32> = m.ssrcs.iter().map(|s| s.ssrc).collect();
            for g in &m.ssrc_groups {
                for ssrc in g.ssrcs.iter().filter(|s| !declared.contains(s)) {
                    self.push(
                        "ssrc-group-member",
                        Some(g.line),
                        Some(m),
                        format!("ssrc-group {} lists {ssrc}, which has no a=ssrc line", g.semantics),
                    );
                }
            }
            let Some(sim) = &m.simulcast else { continue };
            // The first a=rid of each id, once: linear in the rids.
            let mut rids = std::collections::HashMap::new();
            for r in &m.rids {
                rids.entry(r.id).or_insert(r);
            }
            for (list, dir) in [(&sim.send, "send"), (&sim.recv, "recv")] {
                for rid in list.iter().flatten() {
                    match rids.get(rid.rid).copied() {
                        None => self.push(
                            "simulcast-rid",
                            Some(sim.line),
                            Some(m),
                            format!("simulcast {dir} lists rid {:?}, which has no a=rid line", rid.rid),
                        ),
                        Some(r) if r.direction != dir => self.push(
                            "simulcast-rid",
                            Some(sim.line),
                            Some(m),
                            format!(
                                "simulcast {dir} lists rid {:?}, declared as {} on line {}",
                                rid.rid, r.direction, r.line
                            ),
                        ),
                        Some(_) => {}
                    }
                }
            }
        }
    }

    // --- SCTP ------------------------------------------------------------------------------

    fn sctp(&mut self) {
        for m in &self.sdp.media {
            if !m.is_sctp() || m.is_rejected() {
                continue;
            }
            let legacy = m.proto.eq_ignore_ascii_case("DTLS/SCTP");
            if legacy {
                if m.sctpmap.is_none() {
                    self.push(
                        "sctp-port-missing",
                        Some(m.line),
                        Some(m),
                        "DTLS/SCTP m-section without a=sctpmap".into(),
                    );
                }
                let port = m.formats.first().copied().unwrap_or("");
                let mapped = m.sctpmap.and_then(|s| s.value.split_ascii_whitespace().next());
                if super::model::parse_digits::<u16>(port).is_none() || mapped.is_some_and(|p| p != port) {
                    self.push(
                        "sctp-format",
                        Some(m.line),
                        Some(m),
                        format!("DTLS/SCTP format must be the SCTP port of a=sctpmap, not {port:?}"),
                    );
                }
            } else {
                if m.sctp_port.is_none() {
                    self.push(
                        "sctp-port-missing",
                        Some(m.line),
                        Some(m),
                        format!("{} m-section without a=sctp-port", m.proto),
                    );
                }
                if m.formats.as_slice() != ["webrtc-datachannel"] {
                    self.push(
                        "sctp-format",
                        Some(m.line),
                        Some(m),
                        format!(
                            "{} format must be webrtc-datachannel, not {:?}",
                            m.proto,
                            m.formats.join(" ")
                        ),
                    );
                }
            }
        }
    }
}

/// Whether an attribute is meaningless without a value.
fn needs_value(name: &str) -> bool {
    matches!(
        name,
        "mid"
            | "rtpmap"
            | "fmtp"
            | "rtcp-fb"
            | "ssrc"
            | "ssrc-group"
            | "msid"
            | "rid"
            | "simulcast"
            | "candidate"
            | "ice-ufrag"
            | "ice-pwd"
            | "fingerprint"
            | "setup"
            | "extmap"
            | "group"
            | "sctp-port"
            | "max-message-size"
    )
}

/// A comparable description of a payload type (name, clock, channels, fmtp).
fn codec_key(m: &Media<'_>, pt: u8) -> String {
    let Some(c) = m.codec(pt) else { return String::new() };
    let mut params: Vec<(String, &str)> = c.fmtp_params().map(|(k, v)| (k.to_ascii_lowercase(), v)).collect();
    params.sort();
    let params: Vec<String> =
        params.iter().map(|(k, v)| if v.is_empty() { k.clone() } else { format!("{k}={v}") }).collect();
    format!(
        "{}/{}{}{}",
        c.name().unwrap_or("?"),
        c.clock_rate().unwrap_or(0),
        c.channels().map_or(String::new(), |ch| format!("/{ch}")),
        if params.is_empty() { String::new() } else { format!(" {}", params.join(";")) }
    )
}

fn session_rank(kind: u8) -> Option<u8> {
    Some(match kind {
        b'v' => 0,
        b'o' => 1,
        b's' => 2,
        b'i' => 3,
        b'u' => 4,
        b'e' => 5,
        b'p' => 6,
        b'c' => 7,
        b'b' => 8,
        b't' => 9,
        b'r' => 10,
        b'z' => 11,
        b'k' => 12,
        b'a' => 13,
        _ => return None,
    })
}

fn media_rank(kind: u8) -> Option<u8> {
    Some(match kind {
        b'i' => 1,
        b'c' => 2,
        b'b' => 3,
        b'k' => 4,
        b'a' => 5,
        _ => return None,
    })
}

fn order_text(media: bool) -> &'static str {
    if media {
        "m i c b k a"
    } else {
        "v o s i u e p c b t r z k a"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_ids_are_unique_kebab_case() {
        let mut seen = HashSet::new();
        for r in RULES {
            assert!(seen.insert(r.id), "duplicate {}", r.id);
            assert!(
                r.id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "{}",
                r.id
            );
        }
    }

    #[test]
    fn model_rules_are_registered() {
        use super::super::parse::rule;
        for id in [
            rule::ATTRIBUTE_SYNTAX,
            rule::CANDIDATE_SYNTAX,
            rule::MEDIA_SYNTAX,
            rule::ORIGIN_SYNTAX,
            rule::CONNECTION_SYNTAX,
            rule::PAYLOAD_TYPE_RANGE,
        ] {
            assert!(rule_info(id).is_some(), "{id}");
        }
    }
}
