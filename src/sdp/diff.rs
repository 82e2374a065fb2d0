//! `rtctool sdp diff`: what changed between two SDPs, in WebRTC terms.
//!
//! m-sections are paired by mid (by position when they have none); codecs are paired by what
//! they are (name, clock rate, channels, fmtp — with `apt` and RED references followed), so a
//! payload type renumbering is one `payload-type-changed`, not a removal and an addition. Line
//! order, line endings and whitespace inside values are never changes.

use std::collections::{BTreeSet, HashMap};

use serde::Serialize;

use super::model::{Codec, Media, Sdp};

/// The `kind` vocabulary of `sdp diff --json` (DESIGN.md): fixed and documented.
pub const KINDS: &[(&str, &str)] = &[
    ("session-version-changed", "o= session version changed (a new description)"),
    ("bundle-changed", "BUNDLE groups changed"),
    ("media-added", "an m-section (mid) only in the second SDP"),
    ("media-removed", "an m-section (mid) only in the first SDP"),
    ("media-rejected", "an m-section's port went to 0 (rejected), or back"),
    ("media-order-changed", "the m-sections come in another order"),
    ("ice-restart", "ice-ufrag or ice-pwd changed"),
    ("fingerprint-changed", "the DTLS certificate fingerprint changed"),
    ("setup-changed", "a=setup (DTLS role) changed"),
    ("direction-changed", "sendrecv/sendonly/recvonly/inactive changed (hold, unhold, mute)"),
    ("codec-added", "a codec offered only in the second SDP"),
    ("codec-removed", "a codec offered only in the first SDP"),
    ("payload-type-changed", "the same codec under another payload type"),
    ("codec-parameters-changed", "a codec's fmtp parameters changed"),
    ("rtcp-fb-changed", "a codec's rtcp-fb set changed"),
    ("extmap-changed", "a header extension added, removed, remapped to another id or direction"),
    ("msid-changed", "a=msid (stream and track ids) changed"),
    ("ssrc-changed", "SSRCs, their attributes or ssrc-groups changed"),
    ("simulcast-changed", "a=simulcast or a=rid changed"),
    ("candidates-changed", "a candidate added or removed, or end-of-candidates changed"),
    ("sctp-changed", "sctp-port, max-message-size or the SCTP format changed"),
    ("attribute-changed", "anything else: other attributes, c=, b=, ports, codec order"),
];

/// One semantic difference: the `sdp diff --json` record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// One of [`KINDS`].
    pub kind: &'static str,
    /// The mid (or `#<index>` for an m-section without one); `null` for session-level changes.
    pub mid: Option<String>,
    /// The value in the first SDP, when there is one.
    pub before: Option<String>,
    /// The value in the second SDP, when there is one.
    pub after: Option<String>,
    /// One line saying what changed.
    pub message: String,
}

/// The semantic differences from `a` to `b`, session first, then per m-section in `b`'s order.
pub fn diff(a: &Sdp<'_>, b: &Sdp<'_>) -> Vec<Change> {
    let mut d = Differ { out: Vec::new() };
    d.session(a, b);
    let (a_keys, b_keys) = (section_keys(a), section_keys(b));
    // Where each key is, once: pairing stays linear in the m-sections.
    let a_at: std::collections::HashMap<&SectionKey, usize> =
        a_keys.iter().enumerate().map(|(i, k)| (k, i)).collect();
    let b_at: std::collections::HashMap<&SectionKey, usize> =
        b_keys.iter().enumerate().map(|(i, k)| (k, i)).collect();
    for (ma, ka) in a.media.iter().zip(&a_keys) {
        if !b_at.contains_key(ka) {
            d.push(
                "media-removed",
                Some(&ka.label),
                Some(describe_media(ma)),
                None,
                format!("m={} section {} removed", ma.kind, ka.label),
            );
        }
    }
    let common_a: Vec<&SectionKey> = a_keys.iter().filter(|k| b_at.contains_key(k)).collect();
    let common_b: Vec<&SectionKey> = b_keys.iter().filter(|k| a_at.contains_key(k)).collect();
    if common_a != common_b {
        d.push(
            "media-order-changed",
            None,
            Some(join(&common_a)),
            Some(join(&common_b)),
            "m-sections are in another order".into(),
        );
    }
    for (mb, kb) in b.media.iter().zip(&b_keys) {
        match a_at.get(kb).and_then(|&i| a.media.get(i)) {
            Some(ma) => d.media(a, ma, b, mb, &kb.label),
            None => d.push(
                "media-added",
                Some(&kb.label),
                None,
                Some(describe_media(mb)),
                format!("m={} section {} added", mb.kind, kb.label),
            ),
        }
    }
    d.out
}

/// How m-sections are paired: by mid, by position when there is none. A mid used twice
/// (invalid, but it happens) is told apart by its occurrence number.
#[derive(Debug, PartialEq, Eq, Hash)]
struct SectionKey {
    mid: Option<String>,
    n: usize,
    label: String,
}

impl AsRef<str> for SectionKey {
    fn as_ref(&self) -> &str {
        &self.label
    }
}

fn section_keys(sdp: &Sdp<'_>) -> Vec<SectionKey> {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    sdp.media
        .iter()
        .map(|m| match m.mid() {
            Some(mid) => {
                let n = seen.entry(mid).or_insert(0);
                *n += 1;
                let label = if *n == 1 { mid.to_string() } else { format!("{mid} ({n})") };
                SectionKey { mid: Some(mid.to_string()), n: *n, label }
            }
            None => SectionKey { mid: None, n: m.index, label: format!("#{}", m.index) },
        })
        .collect()
}

fn join<S: AsRef<str>>(items: &[S]) -> String {
    items.iter().map(AsRef::as_ref).collect::<Vec<_>>().join(" ")
}

/// Collapses runs of whitespace so spacing is never a change.
fn norm(s: &str) -> String {
    s.split_ascii_whitespace().collect::<Vec<_>>().join(" ")
}

fn describe_media(m: &Media<'_>) -> String {
    format!("m={} {} {} {}", m.kind, m.port, m.proto, m.formats.join(" "))
}

struct Differ {
    out: Vec<Change>,
}

impl Differ {
    fn push(
        &mut self,
        kind: &'static str,
        mid: Option<&str>,
        before: Option<String>,
        after: Option<String>,
        message: String,
    ) {
        self.out.push(Change { kind, mid: mid.map(str::to_string), before, after, message });
    }

    /// Reports `kind` when two optional values differ.
    fn value(
        &mut self,
        kind: &'static str,
        mid: Option<&str>,
        what: &str,
        before: Option<String>,
        after: Option<String>,
    ) {
        if before != after {
            let message = match (&before, &after) {
                (Some(x), Some(y)) => format!("{what}: {x} → {y}"),
                (Some(x), None) => format!("{what} removed (was {x})"),
                (None, Some(y)) => format!("{what} added: {y}"),
                (None, None) => return,
            };
            self.push(kind, mid, before, after, message);
        }
    }

    /// Reports additions and removals between two sets of normalised lines under `kind`.
    fn sets(
        &mut self,
        kind: &'static str,
        mid: Option<&str>,
        what: &str,
        a: BTreeSet<String>,
        b: BTreeSet<String>,
    ) {
        for x in a.difference(&b) {
            self.push(kind, mid, Some(x.clone()), None, format!("{what} removed: {x}"));
        }
        for y in b.difference(&a) {
            self.push(kind, mid, None, Some(y.clone()), format!("{what} added: {y}"));
        }
    }

    fn session(&mut self, a: &Sdp<'_>, b: &Sdp<'_>) {
        let (sa, sb) = (&a.session, &b.session);
        let version = |s: &super::model::Session<'_>| s.origin.map(|o| o.session_version.to_string());
        self.value("session-version-changed", None, "session version", version(sa), version(sb));
        let origin = |s: &super::model::Session<'_>| {
            s.origin.map(|o| {
                format!("{} {} {} {} {}", o.username, o.session_id, o.nettype, o.addrtype, o.address)
            })
        };
        self.value("attribute-changed", None, "o= (other than the version)", origin(sa), origin(sb));
        let name = |s: &super::model::Session<'_>| s.name.map(|n| norm(n.value));
        self.value("attribute-changed", None, "s=", name(sa), name(sb));
        let timing =
            |s: &super::model::Session<'_>| s.timing.iter().map(|t| norm(t.value)).collect::<BTreeSet<_>>();
        self.sets("attribute-changed", None, "t=", timing(sa), timing(sb));
        let conn = |c: Option<super::model::Connection<'_>>| {
            c.map(|c| format!("{} {} {}", c.nettype, c.addrtype, c.address))
        };
        self.value("attribute-changed", None, "session c=", conn(sa.connection), conn(sb.connection));
        let bw =
            |v: &[super::model::Bandwidth<'_>]| v.iter().map(|b| format!("{}:{}", b.kind, b.value)).collect();
        self.sets("attribute-changed", None, "session b=", bw(&sa.bandwidths), bw(&sb.bandwidths));

        let bundles = |s: &Sdp<'_>| s.bundle_groups().map(|g| g.mids.join(" ")).collect::<Vec<_>>();
        let (ba, bb) = (bundles(a), bundles(b));
        if ba != bb {
            let show = |v: &[String]| if v.is_empty() { None } else { Some(v.join(" | ")) };
            let message = match (show(&ba), show(&bb)) {
                (Some(x), Some(y)) => format!("BUNDLE: {x} → {y}"),
                (Some(x), None) => format!("BUNDLE removed (was {x})"),
                (None, Some(y)) => format!("BUNDLE added: {y}"),
                (None, None) => String::new(),
            };
            self.push("bundle-changed", None, show(&ba), show(&bb), message);
        }
        let other_groups = |s: &Sdp<'_>| {
            s.session
                .groups
                .iter()
                .filter(|g| !g.semantics.eq_ignore_ascii_case("BUNDLE"))
                .map(|g| format!("{} {}", g.semantics, g.mids.join(" ")).trim_end().to_string())
                .collect::<BTreeSet<_>>()
        };
        self.sets("attribute-changed", None, "a=group", other_groups(a), other_groups(b));
        let ms = |s: &super::model::Session<'_>| s.msid_semantic.map(|m| norm(m.value));
        self.value("attribute-changed", None, "a=msid-semantic", ms(sa), ms(sb));
        let flag = |x: Option<u32>| x.map(|_| "present".to_string());
        self.value("attribute-changed", None, "a=ice-lite", flag(sa.ice.lite), flag(sb.ice.lite));
        self.value(
            "attribute-changed",
            None,
            "a=extmap-allow-mixed",
            flag(sa.extmap_allow_mixed),
            flag(sb.extmap_allow_mixed),
        );
        let opts = |s: &super::model::Session<'_>| s.ice.options.map(|o| norm(o.value));
        self.value("attribute-changed", None, "session a=ice-options", opts(sa), opts(sb));
        self.extmaps(None, &sa.extmaps, &sb.extmaps);
        if a.media.is_empty() && b.media.is_empty() {
            // Without m-sections the session-level transport parameters are all there is.
            let ice = |s: &super::model::Session<'_>| {
                s.ice.ufrag.map(|u| u.value.to_string()).zip(s.ice.pwd.map(|p| p.value.to_string()))
            };
            if ice(sa) != ice(sb) {
                let u = |s: &super::model::Session<'_>| s.ice.ufrag.map(|u| u.value.to_string());
                self.push("ice-restart", None, u(sa), u(sb), "session ICE credentials changed".into());
            }
        }
        let attrs = |s: &super::model::Session<'_>| {
            s.attributes.iter().map(|a| attribute_text(a.name, a.value)).collect::<BTreeSet<_>>()
        };
        self.sets("attribute-changed", None, "session attribute", attrs(sa), attrs(sb));
    }

    fn media(&mut self, a: &Sdp<'_>, ma: &Media<'_>, b: &Sdp<'_>, mb: &Media<'_>, key: &str) {
        let mid = Some(key);
        match (ma.is_rejected(), mb.is_rejected()) {
            (false, true) => self.push(
                "media-rejected",
                mid,
                Some(ma.port.to_string()),
                Some("0".into()),
                format!("m={} section {key} rejected (port {} → 0)", mb.kind, ma.port),
            ),
            (true, false) => self.push(
                "media-rejected",
                mid,
                Some("0".into()),
                Some(mb.port.to_string()),
                format!("m={} section {key} no longer rejected (port 0 → {})", mb.kind, mb.port),
            ),
            _ => {
                if ma.port != mb.port {
                    self.push(
                        "attribute-changed",
                        mid,
                        Some(ma.port.to_string()),
                        Some(mb.port.to_string()),
                        format!("m= port: {} → {}", ma.port, mb.port),
                    );
                }
            }
        }
        if ma.kind != mb.kind || !ma.proto.eq_ignore_ascii_case(mb.proto) {
            self.push(
                "attribute-changed",
                mid,
                Some(format!("{} {}", ma.kind, ma.proto)),
                Some(format!("{} {}", mb.kind, mb.proto)),
                format!("m= media/proto: {} {} → {} {}", ma.kind, ma.proto, mb.kind, mb.proto),
            );
        }
        let conn = |c: Option<super::model::Connection<'_>>| {
            c.map(|c| format!("{} {} {}", c.nettype, c.addrtype, c.address))
        };
        self.value("attribute-changed", mid, "c=", conn(a.connection(ma)), conn(b.connection(mb)));
        let bw =
            |v: &[super::model::Bandwidth<'_>]| v.iter().map(|b| format!("{}:{}", b.kind, b.value)).collect();
        self.sets("attribute-changed", mid, "b=", bw(&ma.bandwidths), bw(&mb.bandwidths));

        // ICE and DTLS, with session-level values inherited.
        let (ua, ub) = (a.ufrag(ma), b.ufrag(mb));
        let (pa, pb) = (a.pwd(ma), b.pwd(mb));
        if ua != ub || pa != pb {
            let what = if ua != ub { "ice-ufrag" } else { "ice-pwd" };
            let (before, after) = if ua != ub { (ua, ub) } else { (pa, pb) };
            self.push(
                "ice-restart",
                mid,
                before.map(str::to_string),
                after.map(str::to_string),
                format!("ICE restart: {what} {} → {}", before.unwrap_or("(none)"), after.unwrap_or("(none)")),
            );
        }
        let opts = |m: &Media<'_>| m.ice.options.map(|o| norm(o.value));
        self.value("attribute-changed", mid, "a=ice-options", opts(ma), opts(mb));
        let fps = |s: &Sdp<'_>, m: &Media<'_>| {
            let v: Vec<String> = s
                .fingerprints(m)
                .iter()
                .map(|f| format!("{} {}", f.hash.to_ascii_lowercase(), f.value.to_ascii_uppercase()))
                .collect();
            if v.is_empty() {
                None
            } else {
                Some(v.join(", "))
            }
        };
        self.value("fingerprint-changed", mid, "fingerprint", fps(a, ma), fps(b, mb));
        let setup = |s: &Sdp<'_>, m: &Media<'_>| s.setup(m).map(|x| x.as_str().to_string());
        self.value("setup-changed", mid, "a=setup", setup(a, ma), setup(b, mb));
        let (da, db) = (a.direction(ma), b.direction(mb));
        if da != db {
            let note = match (da, db) {
                (_, super::model::Direction::Inactive) | (_, super::model::Direction::RecvOnly)
                    if da.sends() =>
                {
                    " (stops sending: hold or mute)"
                }
                (super::model::Direction::Inactive, _) | (super::model::Direction::RecvOnly, _)
                    if db.sends() =>
                {
                    " (starts sending: unhold)"
                }
                _ => "",
            };
            self.push(
                "direction-changed",
                mid,
                Some(da.as_str().into()),
                Some(db.as_str().into()),
                format!("direction: {} → {}{note}", da.as_str(), db.as_str()),
            );
        }

        if ma.is_rtp() && mb.is_rtp() {
            self.codecs(ma, mb, key);
        } else if ma.formats != mb.formats && !(ma.is_sctp() && mb.is_sctp()) {
            self.push(
                "attribute-changed",
                mid,
                Some(ma.formats.join(" ")),
                Some(mb.formats.join(" ")),
                format!("m= formats: {} → {}", ma.formats.join(" "), mb.formats.join(" ")),
            );
        }
        self.extmaps(mid, &ma.extmaps, &mb.extmaps);
        let msids = |m: &Media<'_>| {
            m.msids
                .iter()
                .map(|x| format!("{} {}", x.stream, x.track.unwrap_or("")).trim_end().to_string())
                .collect()
        };
        self.sets("msid-changed", mid, "a=msid", msids(ma), msids(mb));
        self.ssrcs(ma, mb, key);
        let sim = |m: &Media<'_>| -> BTreeSet<String> {
            m.rids
                .iter()
                .map(|r| norm(&format!("rid:{} {} {}", r.id, r.direction, r.params)))
                .chain(m.simulcast.as_ref().map(|s| format!("simulcast:{}", norm(s.value))))
                .collect()
        };
        self.sets("simulcast-changed", mid, "a=", sim(ma), sim(mb));
        let cands = |m: &Media<'_>| -> BTreeSet<String> {
            m.candidates
                .iter()
                .map(|c| {
                    let c = &c.value;
                    let mut s = format!(
                        "{} {} {} {} {} {} typ {}",
                        c.foundation,
                        c.component,
                        c.protocol(),
                        c.priority,
                        c.address,
                        c.port,
                        c.typ
                    );
                    if let (Some(ra), Some(rp)) = (&c.related_address, c.related_port) {
                        s.push_str(&format!(" raddr {ra} rport {rp}"));
                    }
                    if let Some(t) = c.tcptype {
                        s.push_str(&format!(" tcptype {t}"));
                    }
                    s
                })
                .collect()
        };
        self.sets("candidates-changed", mid, "candidate", cands(ma), cands(mb));
        let eoc = |m: &Media<'_>| m.end_of_candidates.map(|_| "present".to_string());
        self.value("candidates-changed", mid, "a=end-of-candidates", eoc(ma), eoc(mb));

        let sctp = |m: &Media<'_>| -> BTreeSet<String> {
            let mut s = BTreeSet::new();
            if m.is_sctp() {
                s.insert(format!("format {}", m.formats.join(" ")));
            }
            if let Some(p) = m.sctp_port {
                s.insert(format!("sctp-port:{}", p.value));
            }
            if let Some(p) = m.max_message_size {
                s.insert(format!("max-message-size:{}", p.value));
            }
            if let Some(p) = m.sctpmap {
                s.insert(format!("sctpmap:{}", norm(p.value)));
            }
            s
        };
        self.sets("sctp-changed", mid, "SCTP", sctp(ma), sctp(mb));
        let flags = |m: &Media<'_>| -> BTreeSet<String> {
            [
                ("rtcp-mux", m.rtcp_mux),
                ("rtcp-mux-only", m.rtcp_mux_only),
                ("rtcp-rsize", m.rtcp_rsize),
                ("bundle-only", m.bundle_only),
            ]
            .into_iter()
            .filter(|(_, v)| v.is_some())
            .map(|(n, _)| format!("a={n}"))
            .chain(m.rtcp.map(|r| format!("a=rtcp:{}", norm(r.value))))
            .chain(m.attributes.iter().map(|a| attribute_text(a.name, a.value)))
            .collect()
        };
        self.sets("attribute-changed", mid, "attribute", flags(ma), flags(mb));
    }

    fn extmaps(&mut self, mid: Option<&str>, a: &[super::model::Extmap<'_>], b: &[super::model::Extmap<'_>]) {
        let show = |e: &super::model::Extmap<'_>| {
            let dir = e.direction.map_or(String::new(), |d| format!("/{}", d.as_str()));
            norm(&format!("{}{dir} {} {}", e.id, e.uri, e.attributes))
        };
        // Pair by URI and attributes first: RFC 6904 encryption uses one URI (…:encrypt) for
        // several extensions, told apart by the attribute naming the encrypted one.
        let mut used = vec![false; b.len()];
        let mut pairs: Vec<Option<usize>> = vec![None; a.len()];
        for strict in [true, false] {
            for (i, ea) in a.iter().enumerate() {
                if pairs[i].is_some() {
                    continue;
                }
                let found = b.iter().enumerate().position(|(j, eb)| {
                    !used[j] && eb.uri == ea.uri && (!strict || norm(eb.attributes) == norm(ea.attributes))
                });
                if let Some(j) = found {
                    used[j] = true;
                    pairs[i] = Some(j);
                }
            }
        }
        for (ea, pair) in a.iter().zip(&pairs) {
            match pair.and_then(|j| b.get(j)) {
                None => self.push(
                    "extmap-changed",
                    mid,
                    Some(show(ea)),
                    None,
                    format!("extension removed: {}", show(ea)),
                ),
                Some(eb) if show(ea) != show(eb) => self.push(
                    "extmap-changed",
                    mid,
                    Some(show(ea)),
                    Some(show(eb)),
                    format!("extension {} remapped: {} → {}", ea.uri, show(ea), show(eb)),
                ),
                Some(_) => {}
            }
        }
        for (eb, _) in b.iter().zip(&used).filter(|(_, u)| !**u) {
            self.push("extmap-changed", mid, None, Some(show(eb)), format!("extension added: {}", show(eb)));
        }
    }

    fn ssrcs(&mut self, ma: &Media<'_>, mb: &Media<'_>, key: &str) {
        let ids = |m: &Media<'_>| m.ssrcs.iter().map(|s| s.ssrc).collect::<BTreeSet<u32>>();
        let (ia, ib) = (ids(ma), ids(mb));
        let list = |s: &BTreeSet<u32>| {
            if s.is_empty() {
                None
            } else {
                Some(s.iter().map(u32::to_string).collect::<Vec<_>>().join(" "))
            }
        };
        if ia != ib {
            self.push(
                "ssrc-changed",
                Some(key),
                list(&ia),
                list(&ib),
                format!(
                    "SSRCs: {} → {}",
                    list(&ia).unwrap_or_else(|| "(none)".into()),
                    list(&ib).unwrap_or_else(|| "(none)".into())
                ),
            );
        } else {
            let lines = |m: &Media<'_>| -> BTreeSet<String> {
                m.ssrcs
                    .iter()
                    .map(|s| {
                        norm(&format!(
                            "{} {}{}",
                            s.ssrc,
                            s.attribute,
                            s.value.map_or(String::new(), |v| format!(":{v}"))
                        ))
                    })
                    .collect()
            };
            self.sets("ssrc-changed", Some(key), "a=ssrc", lines(ma), lines(mb));
        }
        let groups = |m: &Media<'_>| -> BTreeSet<String> {
            m.ssrc_groups
                .iter()
                .map(|g| {
                    format!(
                        "{} {}",
                        g.semantics,
                        g.ssrcs.iter().map(u32::to_string).collect::<Vec<_>>().join(" ")
                    )
                })
                .collect()
        };
        self.sets("ssrc-changed", Some(key), "a=ssrc-group", groups(ma), groups(mb));
    }

    fn codecs(&mut self, ma: &Media<'_>, mb: &Media<'_>, key: &str) {
        let mid = Some(key);
        let ca: Vec<&Codec<'_>> = ma.listed_codecs().collect();
        let cb: Vec<&Codec<'_>> = mb.listed_codecs().collect();
        struct Key {
            pt: u8,
            full: String,
            base: String,
        }
        let keys = |m: &Media<'_>, cs: &[&Codec<'_>]| -> Vec<Key> {
            cs.iter().map(|c| Key { pt: c.pt, full: full_key(m, c), base: base_key(c) }).collect()
        };
        let (ka, kb) = (keys(ma, &ca), keys(mb, &cb));
        let mut pair_of_a: Vec<Option<usize>> = vec![None; ca.len()];
        let mut used_b = vec![false; cb.len()];
        // Most specific first: same PT and same codec; the same codec elsewhere (renumbered);
        // same PT and name (parameters changed); the same name elsewhere.
        let passes: [fn(&Key, &Key) -> bool; 4] = [
            |a, b| a.pt == b.pt && a.full == b.full,
            |a, b| a.full == b.full,
            |a, b| a.pt == b.pt && a.base == b.base,
            |a, b| a.base == b.base,
        ];
        for pass in passes {
            for (a, pair) in ka.iter().zip(pair_of_a.iter_mut()) {
                if pair.is_some() {
                    continue;
                }
                let found =
                    kb.iter().zip(used_b.iter_mut()).enumerate().find(|(_, (b, used))| !**used && pass(a, b));
                if let Some((j, (_, used))) = found {
                    *used = true;
                    *pair = Some(j);
                }
            }
        }
        for (i, c) in ca.iter().enumerate() {
            let Some(j) = pair_of_a.get(i).copied().flatten() else {
                self.push(
                    "codec-removed",
                    mid,
                    Some(describe_codec(c)),
                    None,
                    format!("codec removed: {}", describe_codec(c)),
                );
                continue;
            };
            let Some(d) = cb.get(j) else { continue };
            let name = ka.get(i).map(|k| k.base.clone()).unwrap_or_default();
            if c.pt != d.pt {
                self.push(
                    "payload-type-changed",
                    mid,
                    Some(c.pt.to_string()),
                    Some(d.pt.to_string()),
                    format!("{name}: payload type {} → {}", c.pt, d.pt),
                );
            }
            let (fa, fb) = (fmtp_text(c), fmtp_text(d));
            if fa != fb && ka.get(i).map(|k| &k.full) != kb.get(j).map(|k| &k.full) {
                self.push(
                    "codec-parameters-changed",
                    mid,
                    Some(fa.clone()),
                    Some(fb.clone()),
                    format!("{name} (PT {}): fmtp {} → {}", d.pt, show_or_none(&fa), show_or_none(&fb)),
                );
            }
            let fbs = |m: &Media<'_>, pt: u8| -> BTreeSet<String> {
                m.rtcp_fb_for(pt).map(|f| norm(f.value)).collect()
            };
            let (ra, rb) = (fbs(ma, c.pt), fbs(mb, d.pt));
            if ra != rb {
                let show = |s: &BTreeSet<String>| s.iter().cloned().collect::<Vec<_>>().join(", ");
                self.push(
                    "rtcp-fb-changed",
                    mid,
                    Some(show(&ra)),
                    Some(show(&rb)),
                    format!(
                        "{name} (PT {}): rtcp-fb {} → {}",
                        d.pt,
                        show_or_none(&show(&ra)),
                        show_or_none(&show(&rb))
                    ),
                );
            }
        }
        for (d, used) in cb.iter().zip(&used_b) {
            if !used {
                self.push(
                    "codec-added",
                    mid,
                    None,
                    Some(describe_codec(d)),
                    format!("codec added: {}", describe_codec(d)),
                );
            }
        }
        // Preference order of the codecs both sides have.
        let order_a: Vec<u8> =
            ca.iter().zip(&pair_of_a).filter(|(_, p)| p.is_some()).map(|(c, _)| c.pt).collect();
        let mut paired_b: Vec<(usize, u8)> =
            ca.iter().zip(&pair_of_a).filter_map(|(c, p)| p.map(|j| (j, c.pt))).collect();
        paired_b.sort();
        let order_b: Vec<u8> = paired_b.iter().map(|(_, pt)| *pt).collect();
        if order_a != order_b {
            let show = |v: &[u8]| v.iter().map(u8::to_string).collect::<Vec<_>>().join(" ");
            self.push(
                "attribute-changed",
                mid,
                Some(show(&order_a)),
                Some(show(&order_b)),
                format!(
                    "codec preference order changed (first SDP's PTs): {} → {}",
                    show(&order_a),
                    show(&order_b)
                ),
            );
        }
    }
}

fn show_or_none(s: &str) -> &str {
    if s.is_empty() {
        "(none)"
    } else {
        s
    }
}

fn attribute_text(name: &str, value: Option<&str>) -> String {
    match value {
        Some(v) => format!("a={name}:{}", norm(v)),
        None => format!("a={name}"),
    }
}

/// `opus/48000/2` (name lower-cased; channels 1 is the same as none).
fn base_key(c: &Codec<'_>) -> String {
    let name = c.name().unwrap_or("?").to_ascii_lowercase();
    let clock = c.clock_rate().unwrap_or(0);
    match c.channels().filter(|ch| *ch != 1) {
        Some(ch) => format!("{name}/{clock}/{ch}"),
        None => format!("{name}/{clock}"),
    }
}

/// fmtp parameters sorted, names lower-cased, so their order and spacing do not matter.
fn fmtp_text(c: &Codec<'_>) -> String {
    let mut params: Vec<String> = c
        .fmtp_params()
        .map(|(k, v)| if v.is_empty() { k.to_string() } else { format!("{}={v}", k.to_ascii_lowercase()) })
        .collect();
    params.sort();
    params.join(";")
}

/// What a codec is, independent of payload type numbers: base key plus fmtp, with rtx's apt
/// and RED's payload list replaced by what they point at.
fn full_key(m: &Media<'_>, c: &Codec<'_>) -> String {
    let target = |pt: &str| {
        super::model::parse_pt(pt)
            .and_then(|pt| m.codec(pt))
            .map_or_else(|| format!("?{pt}"), |t| format!("{} {}", base_key(t), fmtp_text(t)))
    };
    let mut params: Vec<String> = c
        .fmtp_params()
        .map(|(k, v)| {
            if c.is_rtx() && k.eq_ignore_ascii_case("apt") {
                format!("apt=<{}>", target(v))
            } else if c.is_red() && v.is_empty() {
                k.split('/').map(|pt| format!("<{}>", target(pt.trim()))).collect::<Vec<_>>().join("/")
            } else if v.is_empty() {
                k.to_string()
            } else {
                format!("{}={v}", k.to_ascii_lowercase())
            }
        })
        .collect();
    params.sort();
    format!("{} {}", base_key(c), params.join(";"))
}

fn describe_codec(c: &Codec<'_>) -> String {
    let f = fmtp_text(c);
    if f.is_empty() {
        format!("{} {}", c.pt, base_key_display(c))
    } else {
        format!("{} {} {f}", c.pt, base_key_display(c))
    }
}

/// `opus/48000/2` as written (not lower-cased).
pub(crate) fn base_key_display(c: &Codec<'_>) -> String {
    let name = c.name().unwrap_or("?");
    let clock = c.clock_rate().map_or("?".into(), |r| r.to_string());
    match c.channels() {
        Some(ch) => format!("{name}/{clock}/{ch}"),
        None => format!("{name}/{clock}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sdp(media: &str) -> String {
        format!("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n{media}")
    }

    #[test]
    fn identical_and_reformatted_are_equal() {
        let a = sdp("m=audio 9 RTP/AVP 0 111\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1\r\n");
        let b = sdp("m=audio  9 RTP/AVP 0 111\nc=IN IP4 0.0.0.0\na=fmtp:111 useinbandfec=1; minptime=10\na=rtpmap:111 opus/48000/2\na=mid:0 \n");
        assert_eq!(diff(&Sdp::parse(&a), &Sdp::parse(&b)), vec![]);
    }

    #[test]
    fn renumbering_is_one_change_per_codec() {
        let a = sdp("m=video 9 RTP/AVPF 96 97\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=rtpmap:96 VP8/90000\r\na=rtpmap:97 rtx/90000\r\na=fmtp:97 apt=96\r\n");
        let b = sdp("m=video 9 RTP/AVPF 100 101\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=rtpmap:100 VP8/90000\r\na=rtpmap:101 rtx/90000\r\na=fmtp:101 apt=100\r\n");
        let kinds: Vec<_> = diff(&Sdp::parse(&a), &Sdp::parse(&b))
            .iter()
            .map(|c| (c.kind, c.before.clone(), c.after.clone()))
            .collect();
        assert_eq!(
            kinds,
            [
                ("payload-type-changed", Some("96".into()), Some("100".into())),
                ("payload-type-changed", Some("97".into()), Some("101".into()))
            ]
        );
    }
}
