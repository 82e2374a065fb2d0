//! `rtctool sdp show`: a readable summary (tree and tables) and, with `--json`, the full typed
//! model — every line included, so the SDP can be rebuilt from the JSON byte for byte.

use colored::Colorize;
use serde::Serialize;

use super::diff::base_key_display;
use super::input::{SdpInput, Wrapping};
use super::lines::{Ending, Line};
use super::model::{
    Attribute, Bandwidth, Codec, Connection, Direction, Extmap, Fingerprint, Ice, Media, Problem, Role, Sdp,
    Setup, SimulcastRid,
};
use crate::core::ice::Candidate;
use crate::core::output::{Align, Table, Tree};

/// The `sdp show --json` document.
#[derive(Debug, Serialize)]
pub struct ShowJson<'s> {
    /// The JSON `type` when the input was an `RTCSessionDescription`.
    #[serde(rename = "type")]
    pub typ: Option<&'s str>,
    /// Session-level fields.
    pub session: SessionJson<'s>,
    /// The m-sections.
    pub media: Vec<MediaJson<'s>>,
    /// Every line: number, type letter, text, ending.
    pub lines: Vec<LineJson<'s>>,
    /// What could not be read or parsed (the linter's records; `sdp lint` finds more): lines
    /// that are not valid UTF-8 first.
    pub problems: Vec<&'s Problem>,
}

/// One line of the input.
#[derive(Debug, Serialize)]
pub struct LineJson<'s> {
    /// 1-based number.
    pub number: u32,
    /// Type letter, `null` for a line that is not `<type>=<value>`.
    #[serde(rename = "type")]
    pub typ: Option<char>,
    /// The text without its terminator.
    pub text: &'s str,
    /// `crlf`, `lf` or `none`.
    pub ending: Ending,
    /// The line's bytes in hex, only when they are not valid UTF-8 (`text` then has U+FFFD for
    /// the bad bytes): with them the input is rebuilt byte for byte all the same.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bytes_hex: Option<String>,
}

/// Session-level fields.
#[derive(Debug, Serialize)]
pub struct SessionJson<'s> {
    version: Option<&'s str>,
    origin: Option<OriginJson<'s>>,
    name: Option<&'s str>,
    connection: Option<ConnectionJson<'s>>,
    bandwidth: Vec<BandwidthJson<'s>>,
    timing: Vec<&'s str>,
    groups: Vec<GroupJson<'s>>,
    msid_semantic: Option<&'s str>,
    extmap_allow_mixed: bool,
    ice: IceJson<'s>,
    fingerprints: Vec<FingerprintJson<'s>>,
    setup: Option<Setup>,
    direction: Option<Direction>,
    extmaps: Vec<ExtmapJson<'s>>,
    attributes: Vec<AttributeJson<'s>>,
}

#[derive(Debug, Serialize)]
struct OriginJson<'s> {
    username: &'s str,
    session_id: &'s str,
    session_version: &'s str,
    nettype: &'s str,
    addrtype: &'s str,
    address: &'s str,
    line: u32,
}

#[derive(Debug, Serialize)]
struct ConnectionJson<'s> {
    nettype: &'s str,
    addrtype: &'s str,
    address: &'s str,
    line: u32,
}

#[derive(Debug, Serialize)]
struct BandwidthJson<'s> {
    #[serde(rename = "type")]
    kind: &'s str,
    value: &'s str,
    line: u32,
}

#[derive(Debug, Serialize)]
struct GroupJson<'s> {
    semantics: &'s str,
    mids: &'s [&'s str],
    line: u32,
}

#[derive(Debug, Serialize)]
struct IceJson<'s> {
    ufrag: Option<&'s str>,
    pwd: Option<&'s str>,
    options: Vec<&'s str>,
    lite: bool,
}

#[derive(Debug, Serialize)]
struct FingerprintJson<'s> {
    hash: &'s str,
    value: &'s str,
    line: u32,
}

#[derive(Debug, Serialize)]
struct ExtmapJson<'s> {
    id: u16,
    direction: Option<Direction>,
    uri: &'s str,
    attributes: &'s str,
    line: u32,
}

#[derive(Debug, Serialize)]
struct AttributeJson<'s> {
    name: &'s str,
    value: Option<&'s str>,
    line: u32,
}

/// One m-section.
#[derive(Debug, Serialize)]
pub struct MediaJson<'s> {
    index: usize,
    line: u32,
    mid: Option<&'s str>,
    media: &'s str,
    port: u16,
    port_count: Option<u16>,
    proto: &'s str,
    formats: &'s [&'s str],
    direction: Option<Direction>,
    rejected: bool,
    connection: Option<ConnectionJson<'s>>,
    bandwidth: Vec<BandwidthJson<'s>>,
    ice: IceJson<'s>,
    fingerprints: Vec<FingerprintJson<'s>>,
    setup: Option<Setup>,
    codecs: Vec<CodecJson<'s>>,
    /// Every a=rtcp-fb line (each codec lists the values that apply to it).
    rtcp_fb: Vec<RtcpFbJson<'s>>,
    extmaps: Vec<ExtmapJson<'s>>,
    ssrcs: Vec<SsrcJson<'s>>,
    ssrc_groups: Vec<SsrcGroupJson<'s>>,
    msids: Vec<MsidJson<'s>>,
    rids: Vec<RidJson<'s>>,
    simulcast: Option<SimulcastJson<'s>>,
    candidates: Vec<CandidateJson<'s>>,
    end_of_candidates: bool,
    rtcp_mux: bool,
    rtcp_mux_only: bool,
    rtcp_rsize: bool,
    rtcp: Option<&'s str>,
    bundle_only: bool,
    sctp_port: Option<u16>,
    max_message_size: Option<u64>,
    sctpmap: Option<&'s str>,
    attributes: Vec<AttributeJson<'s>>,
}

#[derive(Debug, Serialize)]
struct CodecJson<'s> {
    payload_type: u8,
    name: Option<&'s str>,
    clock_rate: Option<u32>,
    channels: Option<u16>,
    fmtp: Option<&'s str>,
    rtcp_fb: Vec<&'s str>,
    /// For rtx: the payload type it retransmits.
    apt: Option<u8>,
    /// Whether the payload type is on the m= line.
    listed: bool,
    /// Line of the a=rtpmap.
    rtpmap_line: Option<u32>,
    /// Line of the a=fmtp.
    fmtp_line: Option<u32>,
}

#[derive(Debug, Serialize)]
struct RtcpFbJson<'s> {
    /// `null` for `*` (every payload type).
    payload_type: Option<u8>,
    value: &'s str,
    line: u32,
}

#[derive(Debug, Serialize)]
struct SsrcJson<'s> {
    ssrc: u32,
    attribute: &'s str,
    value: Option<&'s str>,
    line: u32,
}

#[derive(Debug, Serialize)]
struct SsrcGroupJson<'s> {
    semantics: &'s str,
    ssrcs: &'s [u32],
    line: u32,
}

#[derive(Debug, Serialize)]
struct MsidJson<'s> {
    stream: &'s str,
    track: Option<&'s str>,
    line: u32,
}

#[derive(Debug, Serialize)]
struct RidJson<'s> {
    id: &'s str,
    direction: &'s str,
    params: &'s str,
    line: u32,
}

#[derive(Debug, Serialize)]
struct SimulcastJson<'s> {
    send: &'s [Vec<SimulcastRid<'s>>],
    recv: &'s [Vec<SimulcastRid<'s>>],
    line: u32,
}

#[derive(Debug, Serialize)]
struct CandidateJson<'s> {
    #[serde(flatten)]
    candidate: &'s Candidate,
    line: u32,
}

fn ice_json<'s>(ice: &Ice<'s>) -> IceJson<'s> {
    IceJson {
        ufrag: ice.ufrag.map(|u| u.value),
        pwd: ice.pwd.map(|p| p.value),
        options: ice.options.map_or(Vec::new(), |o| o.value.split_ascii_whitespace().collect()),
        lite: ice.lite.is_some(),
    }
}

fn connection_json<'s>(c: Option<Connection<'s>>) -> Option<ConnectionJson<'s>> {
    c.map(|c| ConnectionJson { nettype: c.nettype, addrtype: c.addrtype, address: c.address, line: c.line })
}

fn bandwidth_json<'s>(b: &[Bandwidth<'s>]) -> Vec<BandwidthJson<'s>> {
    b.iter().map(|b| BandwidthJson { kind: b.kind, value: b.value, line: b.line }).collect()
}

fn fingerprints_json<'s>(f: &[Fingerprint<'s>]) -> Vec<FingerprintJson<'s>> {
    f.iter().map(|f| FingerprintJson { hash: f.hash, value: f.value, line: f.line }).collect()
}

fn extmaps_json<'s>(e: &[Extmap<'s>]) -> Vec<ExtmapJson<'s>> {
    e.iter()
        .map(|e| ExtmapJson {
            id: e.id,
            direction: e.direction,
            uri: e.uri,
            attributes: e.attributes,
            line: e.line,
        })
        .collect()
}

fn attributes_json<'s>(a: &[Attribute<'s>]) -> Vec<AttributeJson<'s>> {
    a.iter().map(|a| AttributeJson { name: a.name, value: a.value, line: a.line }).collect()
}

fn codec_json<'s>(m: &'s Media<'s>, c: &Codec<'s>) -> CodecJson<'s> {
    CodecJson {
        payload_type: c.pt,
        name: c.name(),
        clock_rate: c.clock_rate(),
        channels: c.channels(),
        fmtp: c.fmtp.map(|f| f.value),
        rtcp_fb: m.rtcp_fb_for(c.pt).map(|f| f.value).collect(),
        apt: if c.is_rtx() { c.fmtp_param("apt").and_then(super::model::parse_pt) } else { None },
        listed: c.listed,
        rtpmap_line: c.rtpmap.map(|r| r.line),
        fmtp_line: c.fmtp.map(|f| f.line),
    }
}

fn media_json<'s>(m: &'s Media<'s>) -> MediaJson<'s> {
    MediaJson {
        index: m.index,
        line: m.line,
        mid: m.mid(),
        media: m.kind,
        port: m.port,
        port_count: m.port_count,
        proto: m.proto,
        formats: &m.formats,
        direction: m.direction.map(|d| d.value),
        rejected: m.is_rejected(),
        connection: connection_json(m.connection),
        bandwidth: bandwidth_json(&m.bandwidths),
        ice: ice_json(&m.ice),
        fingerprints: fingerprints_json(&m.fingerprints),
        setup: m.setup.map(|s| s.value),
        codecs: m.codecs.iter().map(|c| codec_json(m, c)).collect(),
        rtcp_fb: m
            .rtcp_fbs
            .iter()
            .map(|f| RtcpFbJson { payload_type: f.pt, value: f.value, line: f.line })
            .collect(),
        extmaps: extmaps_json(&m.extmaps),
        ssrcs: m
            .ssrcs
            .iter()
            .map(|s| SsrcJson { ssrc: s.ssrc, attribute: s.attribute, value: s.value, line: s.line })
            .collect(),
        ssrc_groups: m
            .ssrc_groups
            .iter()
            .map(|g| SsrcGroupJson { semantics: g.semantics, ssrcs: &g.ssrcs, line: g.line })
            .collect(),
        msids: m.msids.iter().map(|x| MsidJson { stream: x.stream, track: x.track, line: x.line }).collect(),
        rids: m
            .rids
            .iter()
            .map(|r| RidJson { id: r.id, direction: r.direction, params: r.params, line: r.line })
            .collect(),
        simulcast: m.simulcast.as_ref().map(|s| SimulcastJson { send: &s.send, recv: &s.recv, line: s.line }),
        candidates: m
            .candidates
            .iter()
            .map(|c| CandidateJson { candidate: &c.value, line: c.line })
            .collect(),
        end_of_candidates: m.end_of_candidates.is_some(),
        rtcp_mux: m.rtcp_mux.is_some(),
        rtcp_mux_only: m.rtcp_mux_only.is_some(),
        rtcp_rsize: m.rtcp_rsize.is_some(),
        rtcp: m.rtcp.map(|r| r.value),
        bundle_only: m.bundle_only.is_some(),
        sctp_port: m.sctp_port.map(|p| p.value),
        max_message_size: m.max_message_size.map(|p| p.value),
        sctpmap: m.sctpmap.map(|p| p.value),
        attributes: attributes_json(&m.attributes),
    }
}

/// The full typed model as the `--json` document.
pub fn to_json<'s>(sdp: &'s Sdp<'s>, input: &'s SdpInput, encoding: &'s [Problem]) -> ShowJson<'s> {
    let typ = input.typ.as_deref();
    let s = &sdp.session;
    ShowJson {
        typ,
        session: SessionJson {
            version: s.version.map(|v| v.value),
            origin: s.origin.map(|o| OriginJson {
                username: o.username,
                session_id: o.session_id,
                session_version: o.session_version,
                nettype: o.nettype,
                addrtype: o.addrtype,
                address: o.address,
                line: o.line,
            }),
            name: s.name.map(|n| n.value),
            connection: connection_json(s.connection),
            bandwidth: bandwidth_json(&s.bandwidths),
            timing: s.timing.iter().map(|t| t.value).collect(),
            groups: s
                .groups
                .iter()
                .map(|g| GroupJson { semantics: g.semantics, mids: &g.mids, line: g.line })
                .collect(),
            msid_semantic: s.msid_semantic.map(|m| m.value),
            extmap_allow_mixed: s.extmap_allow_mixed.is_some(),
            ice: ice_json(&s.ice),
            fingerprints: fingerprints_json(&s.fingerprints),
            setup: s.setup.map(|x| x.value),
            direction: s.direction.map(|d| d.value),
            extmaps: extmaps_json(&s.extmaps),
            attributes: attributes_json(&s.attributes),
        },
        media: sdp.media.iter().map(media_json).collect(),
        lines: sdp.lines.iter().map(|l| line_json(l, input)).collect(),
        problems: encoding.iter().chain(&sdp.problems).collect(),
    }
}

fn line_json<'s>(l: &Line<'s>, input: &SdpInput) -> LineJson<'s> {
    let bytes_hex = input.invalid_bytes(l.number).map(crate::core::stun::hex);
    LineJson { number: l.number, typ: l.kind.map(char::from), text: l.raw, ending: l.ending, bytes_hex }
}

/// The human summary.
pub fn to_tree(sdp: &Sdp<'_>, input: &SdpInput, role: Option<Role>) -> Tree {
    let what = match role {
        Some(r) => format!("SDP {}", r.as_str()),
        None => "SDP".to_string(),
    };
    let wrapped = match input.wrapping {
        Wrapping::Raw => "",
        Wrapping::JsonObject => " (JSON)",
        Wrapping::JsonString => " (JSON string)",
    };
    let mut root = Tree::new(format!(
        "{} from {}{wrapped}: {} m-section{}, {} lines",
        what.bold(),
        input.source,
        sdp.media.len(),
        if sdp.media.len() == 1 { "" } else { "s" },
        sdp.lines.len()
    ));
    let s = &sdp.session;
    if let Some(o) = s.origin {
        root.push(format!(
            "origin: {} {} version {} ({} {} {})",
            o.username, o.session_id, o.session_version, o.nettype, o.addrtype, o.address
        ));
    }
    if let Some(c) = s.connection {
        root.push(format!("connection: {} {} {}", c.nettype, c.addrtype, c.address));
    }
    for g in &s.groups {
        root.push(format!("group {}: {}", g.semantics, g.mids.join(" ")));
    }
    if let Some(m) = s.msid_semantic {
        root.push(format!("msid-semantic: {}", m.value));
    }
    if s.extmap_allow_mixed.is_some() {
        root.push("extmap-allow-mixed");
    }
    if let Some(t) = ice_text(&s.ice) {
        root.push(t);
    }
    if let Some(t) = dtls_text(&s.fingerprints, s.setup.map(|x| x.value)) {
        root.push(t);
    }
    if let Some(d) = s.direction {
        root.push(format!("direction: {}", d.value.as_str()));
    }
    for b in &s.bandwidths {
        root.push(format!("bandwidth: {}:{}", b.kind, b.value));
    }
    if !s.extmaps.is_empty() {
        root.push_tree(extmap_tree(&s.extmaps));
    }
    if !s.attributes.is_empty() {
        root.push_tree(attribute_tree(&s.attributes));
    }
    for m in &sdp.media {
        root.push_tree(media_tree(sdp, m));
    }
    if !sdp.problems.is_empty() {
        let mut t = Tree::new(format!(
            "{} could not be read (run `rtctool sdp lint` for all problems)",
            plural(sdp.problems.len(), "line")
        ));
        for p in &sdp.problems {
            t.push(format!("line {}: {}", p.line.unwrap_or(0), p.message));
        }
        root.push_tree(t);
    }
    root
}

fn plural(n: usize, what: &str) -> String {
    crate::core::output::count(n as u64, what)
}

fn ice_text(ice: &Ice<'_>) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(u) = ice.ufrag {
        parts.push(format!("ufrag {}", u.value));
    }
    if let Some(p) = ice.pwd {
        parts.push(format!("pwd {}", p.value));
    }
    if let Some(o) = ice.options {
        parts.push(format!("options {}", o.value));
    }
    if ice.lite.is_some() {
        parts.push("lite".into());
    }
    (!parts.is_empty()).then(|| format!("ICE: {}", parts.join(", ")))
}

fn dtls_text(fps: &[Fingerprint<'_>], setup: Option<Setup>) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(s) = setup {
        parts.push(format!("setup {}", s.as_str()));
    }
    for f in fps {
        parts.push(format!("fingerprint {} {}", f.hash, f.value));
    }
    (!parts.is_empty()).then(|| format!("DTLS: {}", parts.join(", ")))
}

fn extmap_tree(extmaps: &[Extmap<'_>]) -> Tree {
    let directions = extmaps.iter().any(|e| e.direction.is_some());
    let mut t =
        Table::new(if directions { vec!["id", "extension", "direction"] } else { vec!["id", "extension"] });
    t.align(0, Align::Right);
    for e in extmaps {
        let uri =
            if e.attributes.is_empty() { e.uri.to_string() } else { format!("{} {}", e.uri, e.attributes) };
        let mut row = vec![e.id.to_string(), uri];
        if directions {
            row.push(e.direction.map_or(String::new(), |d| d.as_str().to_string()));
        }
        t.row(row);
    }
    Tree::new(format!("header extensions\n{}", t.to_string().trim_end()))
}

fn attribute_tree(attrs: &[Attribute<'_>]) -> Tree {
    let mut t = Tree::new("other attributes");
    for a in attrs {
        t.push(match a.value {
            Some(v) => format!("a={}:{v}", a.name),
            None => format!("a={}", a.name),
        });
    }
    t
}

fn media_tree(sdp: &Sdp<'_>, m: &Media<'_>) -> Tree {
    let direction = sdp.direction(m);
    let dir_text = match direction {
        Direction::SendRecv => direction.as_str().green(),
        Direction::Inactive => direction.as_str().red(),
        _ => direction.as_str().yellow(),
    };
    let mid = m.mid().map_or_else(|| format!("#{} (no mid)", m.index), |mid| format!("mid {mid}"));
    let state = if m.is_rejected() {
        format!(" {}", "rejected".red())
    } else if m.bundle_only.is_some() {
        " bundle-only".to_string()
    } else {
        String::new()
    };
    let mut t = Tree::new(format!(
        "{} {} {dir_text}{state} · {} port {}{}",
        format!("m={}", m.kind).bold(),
        mid.cyan(),
        m.proto,
        m.port,
        m.port_count.map_or(String::new(), |c| format!("/{c}"))
    ));
    if let Some(c) = m.connection {
        t.push(format!("connection: {} {} {}", c.nettype, c.addrtype, c.address));
    }
    for b in &m.bandwidths {
        t.push(format!("bandwidth: {}:{}", b.kind, b.value));
    }
    if let Some(text) = ice_text(&m.ice) {
        t.push(text);
    }
    if let Some(text) = dtls_text(&m.fingerprints, m.setup.map(|x| x.value)) {
        t.push(text);
    }
    let rtcp: Vec<String> = [
        m.rtcp_mux.map(|_| "mux".to_string()),
        m.rtcp_mux_only.map(|_| "mux-only".to_string()),
        m.rtcp_rsize.map(|_| "rsize".to_string()),
        m.rtcp.map(|r| format!("a=rtcp:{}", r.value)),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !rtcp.is_empty() {
        t.push(format!("RTCP: {}", rtcp.join(", ")));
    }
    if m.is_rtp() && !m.codecs.is_empty() {
        t.push_tree(codec_tree(m));
    } else if !m.is_rtp() {
        t.push(format!("formats: {}", m.formats.join(" ")));
    }
    if m.is_sctp() || m.sctp_port.is_some() || m.sctpmap.is_some() {
        let mut parts = Vec::new();
        if let Some(p) = m.sctp_port {
            parts.push(format!("port {}", p.value));
        }
        if let Some(p) = m.max_message_size {
            parts.push(format!("max-message-size {}", p.value));
        }
        if let Some(p) = m.sctpmap {
            parts.push(format!("sctpmap {}", p.value));
        }
        t.push(format!("SCTP: {}", if parts.is_empty() { "-".into() } else { parts.join(", ") }));
    }
    if !m.extmaps.is_empty() {
        t.push_tree(extmap_tree(&m.extmaps));
    }
    for x in &m.msids {
        t.push(format!("msid: {} {}", x.stream, x.track.unwrap_or("")).trim_end().to_string());
    }
    if !m.ssrcs.is_empty() || !m.ssrc_groups.is_empty() {
        let mut st = Tree::new("ssrcs");
        // Each SSRC's attributes, SSRCs in the order first seen: one pass, however many lines.
        let mut by_ssrc: Vec<(u32, Vec<String>)> = Vec::new();
        let mut index: std::collections::HashMap<u32, usize> = std::collections::HashMap::new();
        for s in &m.ssrcs {
            let i = *index.entry(s.ssrc).or_insert_with(|| {
                by_ssrc.push((s.ssrc, Vec::new()));
                by_ssrc.len() - 1
            });
            by_ssrc[i].1.push(match s.value {
                Some(v) => format!("{} {v}", s.attribute),
                None => s.attribute.to_string(),
            });
        }
        for (id, attrs) in by_ssrc {
            st.push(format!("{id}: {}", attrs.join(", ")));
        }
        for g in &m.ssrc_groups {
            st.push(format!(
                "group {}: {}",
                g.semantics,
                g.ssrcs.iter().map(u32::to_string).collect::<Vec<_>>().join(" ")
            ));
        }
        t.push_tree(st);
    }
    for r in &m.rids {
        t.push(format!("rid {} {} {}", r.id, r.direction, r.params).trim_end().to_string());
    }
    if let Some(s) = &m.simulcast {
        t.push(format!("simulcast: {}", s.value));
    }
    if !m.candidates.is_empty() {
        t.push_tree(candidate_tree(m));
    }
    if m.end_of_candidates.is_some() {
        t.push("end-of-candidates");
    }
    if !m.attributes.is_empty() {
        t.push_tree(attribute_tree(&m.attributes));
    }
    t
}

fn codec_tree(m: &Media<'_>) -> Tree {
    let mut table = Table::new(["PT", "codec", "fmtp", "rtcp-fb"]);
    table.align(0, Align::Right);
    for c in &m.codecs {
        let mut name = base_key_display(c);
        if c.is_rtx() {
            if let Some(apt) = c.fmtp_param("apt") {
                name = format!("{name} → {apt}");
            }
        }
        let red_list = c.fmtp.filter(|f| c.is_red() && !f.value.contains('='));
        if let Some(f) = red_list {
            name = format!("{name} → {}", f.value);
        }
        let fmtp = match c.fmtp {
            Some(_) if red_list.is_some() => String::new(),
            Some(f) if c.is_rtx() => f
                .value
                .split(';')
                .map(str::trim)
                .filter(|p| !p.starts_with("apt="))
                .collect::<Vec<_>>()
                .join(";"),
            Some(f) => f.value.to_string(),
            None => String::new(),
        };
        let fbs: Vec<&str> = m.rtcp_fb_for(c.pt).map(|f| f.value).collect();
        let pt = if c.listed { c.pt.to_string() } else { format!("({})", c.pt) };
        table.row([pt, name, fmtp, fbs.join(", ")]);
    }
    Tree::new(format!("codecs\n{}", table.to_string().trim_end()))
}

fn candidate_tree(m: &Media<'_>) -> Tree {
    let mut table = Table::new([
        "type",
        "proto",
        "address",
        "port",
        "priority",
        "comp",
        "related",
        "tcptype",
        "foundation",
    ]);
    table.align(3, Align::Right).align(4, Align::Right).align(5, Align::Right);
    for c in &m.candidates {
        let c = &c.value;
        let related = match (&c.related_address, c.related_port) {
            (Some(a), Some(p)) => format!("{a}:{p}"),
            _ => String::new(),
        };
        table.row([
            c.typ.to_string(),
            c.protocol(),
            c.address.clone(),
            c.port.to_string(),
            c.priority.to_string(),
            c.component.to_string(),
            related,
            c.tcptype.map_or(String::new(), |t| t.to_string()),
            c.foundation.clone(),
        ]);
    }
    Tree::new(format!("candidates\n{}", table.to_string().trim_end()))
}
