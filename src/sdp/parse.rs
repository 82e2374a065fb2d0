//! The SDP parser: builds the typed view of [`model`](super::model) line by line, never
//! failing (see the module documentation there).

use super::lines::{split_at_blank, split_at_byte, split_lines, trim_blank_start, Line};
use super::model::*;
use crate::core::ice::Candidate;

/// Build the typed view of an SDP ([`Sdp::parse`]).
pub(super) fn parse(text: &str) -> Sdp<'_> {
    let lines = split_lines(text);
    let mut builder = Builder { session: Session::default(), media: Vec::new(), problems: Vec::new() };
    for (i, line) in lines.iter().enumerate() {
        builder.line(i, line);
    }
    let Builder { mut session, mut media, mut problems } = builder;
    let first_media = media.first().map_or(lines.len(), |m| m.lines.start);
    session.lines = 0..first_media;
    let count = media.len();
    for i in 0..count {
        let end = media.get(i + 1).map_or(lines.len(), |m| m.lines.start);
        if let Some(m) = media.get_mut(i) {
            m.lines.end = end;
        }
    }
    for p in &mut problems {
        if let Some(section) = p.section {
            p.mid = media.get(section).and_then(|m| m.mid()).map(str::to_string);
        }
    }
    Sdp { lines, session, media, problems }
}

struct Builder<'a> {
    session: Session<'a>,
    media: Vec<Media<'a>>,
    problems: Vec<Problem>,
}

/// Names for problems found while building the view; the linter documents them.
pub(crate) mod rule {
    pub const ATTRIBUTE_SYNTAX: &str = "attribute-syntax";
    pub const CANDIDATE_SYNTAX: &str = "candidate-syntax";
    pub const MEDIA_SYNTAX: &str = "media-syntax";
    pub const ORIGIN_SYNTAX: &str = "origin-syntax";
    pub const CONNECTION_SYNTAX: &str = "connection-syntax";
    pub const PAYLOAD_TYPE_RANGE: &str = "payload-type-range";
}

impl<'a> Builder<'a> {
    fn problem(&mut self, rule: &'static str, line: u32, message: String) {
        let section = self.media.len().checked_sub(1);
        self.problems.push(Problem {
            rule,
            severity: Severity::Error,
            line: Some(line),
            mid: None,
            message,
            section,
        });
    }

    /// Keeps an attribute that has no typed place (a repeated single-valued one, say).
    fn extra(&mut self, attr: Attribute<'a>) {
        match self.media.last_mut() {
            Some(m) => m.attributes.push(attr),
            None => self.session.attributes.push(attr),
        }
    }

    fn line(&mut self, index: usize, line: &Line<'a>) {
        let Some(kind) = line.kind else { return };
        let n = line.number;
        let value = line.value;
        match kind {
            b'm' => self.media_line(index, n, value),
            b'a' => self.attribute(line),
            b'c' => {
                let Some(c) = self.connection(n, value) else { return };
                match self.media.last_mut() {
                    Some(m) => {
                        if m.connection.is_none() {
                            m.connection = Some(c)
                        }
                    }
                    None => {
                        if self.session.connection.is_none() {
                            self.session.connection = Some(c)
                        }
                    }
                }
            }
            b'b' => {
                let Some((kind, v)) = split_at_byte(value, b':') else {
                    return self.problem(
                        rule::ATTRIBUTE_SYNTAX,
                        n,
                        format!("b={value}: expected <type>:<bandwidth>"),
                    );
                };
                if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
                    self.problem(
                        rule::ATTRIBUTE_SYNTAX,
                        n,
                        format!("b={value}: bandwidth {v:?} is not a number"),
                    );
                }
                let b = Bandwidth { kind, value: v, line: n };
                match self.media.last_mut() {
                    Some(m) => m.bandwidths.push(b),
                    None => self.session.bandwidths.push(b),
                }
            }
            _ if !self.media.is_empty() => {}
            b'v' if self.session.version.is_none() => self.session.version = Some(Located { value, line: n }),
            b'o' if self.session.origin.is_none() => self.session.origin = self.origin(n, value),
            b's' if self.session.name.is_none() => self.session.name = Some(Located { value, line: n }),
            b't' => self.session.timing.push(Located { value, line: n }),
            _ => {}
        }
    }

    fn origin(&mut self, n: u32, value: &'a str) -> Option<Origin<'a>> {
        let mut f = value.split_ascii_whitespace();
        let (
            Some(username),
            Some(session_id),
            Some(session_version),
            Some(nettype),
            Some(addrtype),
            Some(address),
        ) = (f.next(), f.next(), f.next(), f.next(), f.next(), f.next())
        else {
            self.problem(
                rule::ORIGIN_SYNTAX,
                n,
                "o= needs 6 fields: <username> <sess-id> <sess-version> <nettype> <addrtype> <address>"
                    .into(),
            );
            return None;
        };
        for (what, v) in [("sess-id", session_id), ("sess-version", session_version)] {
            if !v.bytes().all(|b| b.is_ascii_digit()) {
                self.problem(rule::ORIGIN_SYNTAX, n, format!("o=: {what} {v:?} is not a number"));
            }
        }
        if f.next().is_some() {
            self.problem(rule::ORIGIN_SYNTAX, n, "o= has more than 6 fields".into());
        }
        Some(Origin { username, session_id, session_version, nettype, addrtype, address, line: n })
    }

    fn connection(&mut self, n: u32, value: &'a str) -> Option<Connection<'a>> {
        let mut f = value.split_ascii_whitespace();
        let (Some(nettype), Some(addrtype), Some(address)) = (f.next(), f.next(), f.next()) else {
            self.problem(rule::CONNECTION_SYNTAX, n, "c= needs <nettype> <addrtype> <address>".into());
            return None;
        };
        if let Some(msg) = address_problem(nettype, addrtype) {
            self.problem(rule::CONNECTION_SYNTAX, n, format!("c=: {msg}"));
        }
        Some(Connection { nettype, addrtype, address, line: n })
    }

    fn media_line(&mut self, index: usize, n: u32, value: &'a str) {
        let mut f = value.split_ascii_whitespace();
        let kind = f.next().unwrap_or("");
        let port_text = f.next().unwrap_or("");
        let proto = f.next().unwrap_or("");
        let formats: Vec<&'a str> = f.collect();
        let mut m = Media {
            index: self.media.len(),
            line: n,
            kind,
            proto,
            lines: index..index + 1,
            ..Media::default()
        };
        let mut problems: Vec<(&'static str, String)> = Vec::new();
        if proto.is_empty() {
            problems.push((rule::MEDIA_SYNTAX, "m= needs <media> <port> <proto> <fmt>...".into()));
        } else if formats.is_empty() {
            problems.push((rule::MEDIA_SYNTAX, "m= has no formats".into()));
        }
        let (port, count) = match split_at_byte(port_text, b'/') {
            Some((p, c)) => (p, Some(c)),
            None => (port_text, None),
        };
        match parse_digits::<u16>(port) {
            Some(p) => m.port = p,
            None if !port_text.is_empty() => {
                problems.push((rule::MEDIA_SYNTAX, format!("m=: port {port:?} is not a number (0-65535)")))
            }
            None => {}
        }
        if let Some(c) = count {
            m.port_count = parse_digits(c);
            if m.port_count.is_none() {
                problems.push((rule::MEDIA_SYNTAX, format!("m=: port count {c:?} is not a number")));
            }
        }
        if is_rtp_proto(proto) {
            m.codecs.reserve_exact(formats.len());
            // Browsers write about four rtcp-fb per video payload type and a dozen extmaps:
            // one allocation each instead of a series of doublings.
            m.rtcp_fbs.reserve(formats.len() * 4);
            m.extmaps.reserve(16);
            for f in &formats {
                match parse_pt(f) {
                    Some(pt) => {
                        if m.codec(pt).is_none() {
                            m.codecs.push(Codec { pt, listed: true, rtpmap: None, fmtp: None });
                        }
                    }
                    None => problems.push((
                        rule::PAYLOAD_TYPE_RANGE,
                        format!("m=: format {f:?} is not an RTP payload type (0-127)"),
                    )),
                }
            }
        }
        m.formats = formats;
        self.media.push(m);
        for (rule, message) in problems {
            self.problem(rule, n, message);
        }
    }

    fn attribute(&mut self, line: &Line<'a>) {
        let n = line.number;
        let Some((name, value)) = line.attribute() else { return };
        if name.is_empty() {
            return self.problem(rule::ATTRIBUTE_SYNTAX, n, "a= without an attribute name".into());
        }
        let v = value.unwrap_or("");
        let attr = Attribute { name, value, line: n };
        // Attributes valid at both levels.
        match name {
            "ice-ufrag" | "ice-pwd" | "ice-options" => {
                let ice = match self.media.last_mut() {
                    Some(m) => &mut m.ice,
                    None => &mut self.session.ice,
                };
                let slot = match name {
                    "ice-ufrag" => &mut ice.ufrag,
                    "ice-pwd" => &mut ice.pwd,
                    _ => &mut ice.options,
                };
                if slot.is_none() {
                    *slot = Some(Located { value: v.trim_ascii(), line: n });
                } else {
                    self.extra(attr);
                }
                return;
            }
            "fingerprint" => {
                let Some((hash, value)) = split_at_byte(v.trim_ascii(), b' ') else {
                    return self.problem(
                        rule::ATTRIBUTE_SYNTAX,
                        n,
                        "a=fingerprint needs <hash-function> <fingerprint>".into(),
                    );
                };
                let fp = Fingerprint { hash, value: value.trim_ascii(), line: n };
                match self.media.last_mut() {
                    Some(m) => m.fingerprints.push(fp),
                    None => self.session.fingerprints.push(fp),
                }
                return;
            }
            "setup" => {
                let Some(setup) = Setup::parse(v) else {
                    return self.problem(
                        rule::ATTRIBUTE_SYNTAX,
                        n,
                        format!("a=setup:{v}: expected actpass, active, passive or holdconn"),
                    );
                };
                let slot = match self.media.last_mut() {
                    Some(m) => &mut m.setup,
                    None => &mut self.session.setup,
                };
                if slot.is_none() {
                    *slot = Some(Located { value: setup, line: n });
                } else {
                    self.extra(attr);
                }
                return;
            }
            "sendrecv" | "sendonly" | "recvonly" | "inactive" => {
                let d = Direction::from_attribute(name).unwrap_or(Direction::SendRecv);
                let slot = match self.media.last_mut() {
                    Some(m) => &mut m.direction,
                    None => &mut self.session.direction,
                };
                if slot.is_none() {
                    *slot = Some(Located { value: d, line: n });
                } else {
                    self.extra(attr);
                }
                return;
            }
            "extmap" => {
                if let Some(e) = self.extmap(n, v) {
                    match self.media.last_mut() {
                        Some(m) => m.extmaps.push(e),
                        None => self.session.extmaps.push(e),
                    }
                }
                return;
            }
            "extmap-allow-mixed" if self.media.is_empty() => {
                if self.session.extmap_allow_mixed.is_some() {
                    self.extra(attr);
                }
                self.session.extmap_allow_mixed.get_or_insert(n);
                return;
            }
            _ => {}
        }
        if self.media.is_empty() {
            match name {
                "group" => {
                    let mut f = v.split_ascii_whitespace();
                    let semantics = f.next().unwrap_or("");
                    if semantics.is_empty() {
                        return self.problem(rule::ATTRIBUTE_SYNTAX, n, "a=group needs <semantics>".into());
                    }
                    self.session.groups.push(Group { semantics, mids: f.collect(), line: n });
                }
                "msid-semantic" if self.session.msid_semantic.is_none() => {
                    self.session.msid_semantic = Some(Located { value: v.trim_ascii(), line: n });
                }
                "ice-lite" if self.session.ice.lite.is_none() => {
                    self.session.ice.lite = Some(n);
                }
                _ => self.session.attributes.push(attr),
            }
            return;
        }
        self.media_attribute(attr);
    }

    fn media_attribute(&mut self, attr: Attribute<'a>) {
        let n = attr.line;
        let name = attr.name;
        let v = attr.value.unwrap_or("");
        let mut problem: Option<(&'static str, String)> = None;
        let Some(m) = self.media.last_mut() else { return };
        match name {
            "mid" if m.mid.is_none() => m.mid = Some(Located { value: v.trim_ascii(), line: n }),
            "rtpmap" => match parse_rtpmap(v) {
                Ok((pt, name, clock_rate, channels)) => {
                    let rtpmap = Rtpmap { name, clock_rate, channels, line: n };
                    match m.codecs.iter_mut().find(|c| c.pt == pt) {
                        Some(c) if c.rtpmap.is_none() => c.rtpmap = Some(rtpmap),
                        Some(_) => m.attributes.push(attr),
                        None => m.codecs.push(Codec { pt, listed: false, rtpmap: Some(rtpmap), fmtp: None }),
                    }
                }
                Err(e) => problem = Some((rule::ATTRIBUTE_SYNTAX, format!("a=rtpmap:{v}: {e}"))),
            },
            "fmtp" => {
                let (pt, params) = split_at_byte(trim_blank_start(v), b' ').unwrap_or((v.trim_ascii(), ""));
                match parse_pt(pt) {
                    Some(pt) => {
                        let fmtp = Located { value: params.trim_ascii(), line: n };
                        match m.codecs.iter_mut().find(|c| c.pt == pt) {
                            Some(c) if c.fmtp.is_none() => c.fmtp = Some(fmtp),
                            Some(_) => m.attributes.push(attr),
                            None => {
                                if m.is_rtp() {
                                    m.codecs.push(Codec { pt, listed: false, rtpmap: None, fmtp: Some(fmtp) })
                                } else {
                                    m.attributes.push(attr)
                                }
                            }
                        }
                    }
                    None if m.is_rtp() => {
                        problem =
                            Some((rule::ATTRIBUTE_SYNTAX, format!("a=fmtp: {pt:?} is not a payload type")))
                    }
                    None => m.attributes.push(attr),
                }
            }
            "rtcp-fb" => {
                let (pt, value) = split_at_byte(trim_blank_start(v), b' ').unwrap_or((v.trim_ascii(), ""));
                let pt = if pt == "*" { Ok(None) } else { parse_pt(pt).map(Some).ok_or(pt) };
                match pt {
                    Ok(pt) if !value.trim_ascii().is_empty() => {
                        m.rtcp_fbs.push(RtcpFb { pt, value: value.trim_ascii(), line: n })
                    }
                    Ok(_) => {
                        problem = Some((rule::ATTRIBUTE_SYNTAX, "a=rtcp-fb without a feedback type".into()))
                    }
                    Err(pt) => {
                        problem = Some((
                            rule::ATTRIBUTE_SYNTAX,
                            format!("a=rtcp-fb: {pt:?} is not a payload type or *"),
                        ))
                    }
                }
            }
            "ssrc" => {
                let (ssrc, rest) = split_at_byte(trim_blank_start(v), b' ').unwrap_or((v.trim_ascii(), ""));
                let rest = rest.trim_ascii();
                match parse_digits::<u32>(ssrc) {
                    Some(_) if rest.is_empty() => {
                        problem =
                            Some((rule::ATTRIBUTE_SYNTAX, format!("a=ssrc:{ssrc} without an attribute")))
                    }
                    Some(ssrc) => {
                        let (attribute, value) = match split_at_byte(rest, b':') {
                            Some((a, v)) => (a, Some(v)),
                            None => (rest, None),
                        };
                        m.ssrcs.push(SsrcAttr { ssrc, attribute, value, line: n });
                    }
                    None => {
                        problem = Some((
                            rule::ATTRIBUTE_SYNTAX,
                            format!("a=ssrc: {ssrc:?} is not an SSRC (0-4294967295)"),
                        ))
                    }
                }
            }
            "ssrc-group" => {
                let mut f = v.split_ascii_whitespace();
                let semantics = f.next().unwrap_or("");
                let mut ssrcs = Vec::new();
                for s in f {
                    match parse_digits::<u32>(s) {
                        Some(s) => ssrcs.push(s),
                        None => {
                            problem =
                                Some((rule::ATTRIBUTE_SYNTAX, format!("a=ssrc-group: {s:?} is not an SSRC")))
                        }
                    }
                }
                if semantics.is_empty() {
                    problem =
                        Some((rule::ATTRIBUTE_SYNTAX, "a=ssrc-group needs <semantics> <ssrc>...".into()));
                } else {
                    m.ssrc_groups.push(SsrcGroup { semantics, ssrcs, line: n });
                }
            }
            "msid" => {
                let mut f = v.split_ascii_whitespace();
                match f.next() {
                    Some(stream) => m.msids.push(Msid { stream, track: f.next(), line: n }),
                    None => problem = Some((rule::ATTRIBUTE_SYNTAX, "a=msid needs <stream id>".into())),
                }
            }
            "rid" => {
                let mut f = v.trim_ascii().splitn(3, ' ');
                match (f.next(), f.next()) {
                    (Some(id), Some(dir)) if !id.is_empty() && (dir == "send" || dir == "recv") => {
                        m.rids.push(Rid {
                            id,
                            direction: dir,
                            params: f.next().unwrap_or("").trim_ascii(),
                            line: n,
                        })
                    }
                    _ => {
                        problem =
                            Some((rule::ATTRIBUTE_SYNTAX, format!("a=rid:{v}: expected <id> send|recv")))
                    }
                }
            }
            "simulcast" => match parse_simulcast(v) {
                Ok((send, recv)) if m.simulcast.is_none() => {
                    m.simulcast = Some(Simulcast { send, recv, value: v.trim_ascii(), line: n })
                }
                Ok(_) => m.attributes.push(attr),
                Err(e) => problem = Some((rule::ATTRIBUTE_SYNTAX, format!("a=simulcast:{v}: {e}"))),
            },
            "candidate" => match Candidate::parse(v) {
                Ok(c) => m.candidates.push(Located { value: c, line: n }),
                Err(e) => problem = Some((rule::CANDIDATE_SYNTAX, format!("a=candidate: {e}"))),
            },
            "end-of-candidates" => flag(&mut m.end_of_candidates, n, attr, &mut m.attributes),
            "rtcp-mux" => flag(&mut m.rtcp_mux, n, attr, &mut m.attributes),
            "rtcp-mux-only" => flag(&mut m.rtcp_mux_only, n, attr, &mut m.attributes),
            "rtcp-rsize" => flag(&mut m.rtcp_rsize, n, attr, &mut m.attributes),
            "bundle-only" => flag(&mut m.bundle_only, n, attr, &mut m.attributes),
            "rtcp" => {
                let mut f = v.split_ascii_whitespace();
                let port = f.next().unwrap_or("");
                if parse_digits::<u16>(port).is_none() {
                    problem =
                        Some((rule::ATTRIBUTE_SYNTAX, format!("a=rtcp: port {port:?} is not a number")));
                } else {
                    match (f.next(), f.next(), f.next()) {
                        (None, _, _) => {}
                        (Some(net), Some(addrtype), Some(_)) => {
                            if let Some(msg) = address_problem(net, addrtype) {
                                problem = Some((rule::ATTRIBUTE_SYNTAX, format!("a=rtcp: {msg}")));
                            }
                        }
                        _ => {
                            problem = Some((
                                rule::ATTRIBUTE_SYNTAX,
                                "a=rtcp: expected <port> [<nettype> <addrtype> <address>]".into(),
                            ))
                        }
                    }
                }
                if m.rtcp.is_none() {
                    m.rtcp = Some(Located { value: v.trim_ascii(), line: n });
                } else {
                    m.attributes.push(attr);
                }
            }
            "sctp-port" => match parse_digits::<u16>(v.trim_ascii()) {
                Some(port) if m.sctp_port.is_none() => m.sctp_port = Some(Located { value: port, line: n }),
                Some(_) => m.attributes.push(attr),
                None => {
                    problem =
                        Some((rule::ATTRIBUTE_SYNTAX, format!("a=sctp-port: {v:?} is not a port number")))
                }
            },
            "max-message-size" => match parse_digits::<u64>(v.trim_ascii()) {
                Some(size) if m.max_message_size.is_none() => {
                    m.max_message_size = Some(Located { value: size, line: n })
                }
                Some(_) => m.attributes.push(attr),
                None => {
                    problem =
                        Some((rule::ATTRIBUTE_SYNTAX, format!("a=max-message-size: {v:?} is not a number")))
                }
            },
            "sctpmap" if m.sctpmap.is_none() => m.sctpmap = Some(Located { value: v.trim_ascii(), line: n }),
            _ => m.attributes.push(attr),
        }
        if let Some((rule, message)) = problem {
            self.problem(rule, n, message);
        }
    }

    fn extmap(&mut self, n: u32, v: &'a str) -> Option<Extmap<'a>> {
        let v = v.trim_ascii();
        let (id_dir, rest) = split_at_blank(v).unwrap_or((v, ""));
        let rest = rest.trim_ascii_start();
        let (uri, attributes) = split_at_blank(rest).unwrap_or((rest, ""));
        let (id, direction) = match split_at_byte(id_dir, b'/') {
            Some((id, d)) => (id, Some(d)),
            None => (id_dir, None),
        };
        let Some(id) = parse_digits::<u16>(id) else {
            self.problem(rule::ATTRIBUTE_SYNTAX, n, format!("a=extmap: id {id:?} is not a number"));
            return None;
        };
        let direction = match direction {
            Some(d) => match Direction::from_attribute(d) {
                Some(d) => Some(d),
                None => {
                    self.problem(rule::ATTRIBUTE_SYNTAX, n, format!("a=extmap: {d:?} is not a direction"));
                    return None;
                }
            },
            None => None,
        };
        if uri.is_empty() {
            self.problem(rule::ATTRIBUTE_SYNTAX, n, "a=extmap without a URI".into());
            return None;
        }
        Some(Extmap { id, direction, uri, attributes: attributes.trim_ascii(), line: n })
    }
}

/// What is wrong with a `<nettype> <addrtype>` pair, if anything.
/// A flag attribute (`a=rtcp-mux`...): its first line counts; a repeat stays an attribute, for
/// the linter's duplicate rule.
fn flag<'a>(slot: &mut Option<u32>, line: u32, attr: Attribute<'a>, attributes: &mut Vec<Attribute<'a>>) {
    if slot.is_some() {
        attributes.push(attr);
    }
    slot.get_or_insert(line);
}

fn address_problem(nettype: &str, addrtype: &str) -> Option<String> {
    if nettype != "IN" {
        return Some(format!("network type {nettype:?} is not IN"));
    }
    if addrtype != "IP4" && addrtype != "IP6" {
        return Some(format!("address type {addrtype:?} is not IP4 or IP6"));
    }
    None
}

/// Parses ASCII digits only (`u16::from_str` would take `+5`).
pub(crate) fn parse_digits<T: std::str::FromStr>(text: &str) -> Option<T> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// A payload type 0–127.
pub(crate) fn parse_pt(text: &str) -> Option<u8> {
    parse_digits::<u8>(text).filter(|pt| *pt <= 127)
}

type RtpmapFields<'a> = (u8, &'a str, u32, Option<u16>);

fn parse_rtpmap(v: &str) -> Result<RtpmapFields<'_>, &'static str> {
    let (pt, encoding) =
        split_at_byte(v.trim_ascii(), b' ').ok_or("expected <payload type> <encoding>/<clock rate>")?;
    let pt = parse_pt(pt).ok_or("payload type is not a number 0-127")?;
    let (name, rest) =
        split_at_byte(encoding.trim_ascii(), b'/').ok_or("no clock rate (<encoding>/<clock rate>)")?;
    if name.is_empty() {
        return Err("no encoding name");
    }
    let (clock, channels) = match split_at_byte(rest, b'/') {
        Some((clock, channels)) => (clock, Some(channels)),
        None => (rest, None),
    };
    let clock = parse_digits::<u32>(clock).ok_or("clock rate is not a number")?;
    let channels = match channels {
        Some(c) if c.contains('/') => return Err("too many / fields"),
        Some(c) => Some(parse_digits::<u16>(c).ok_or("channels is not a number")?),
        None => None,
    };
    Ok((pt, name, clock, channels))
}

type SimulcastStreams<'a> = Vec<Vec<SimulcastRid<'a>>>;

fn parse_simulcast(v: &str) -> Result<(SimulcastStreams<'_>, SimulcastStreams<'_>), String> {
    let mut send = Vec::new();
    let mut recv = Vec::new();
    let mut tokens = v.split_ascii_whitespace();
    let mut seen = 0;
    while let Some(dir) = tokens.next() {
        let target = match dir {
            "send" => &mut send,
            "recv" => &mut recv,
            other => return Err(format!("expected send or recv, found {other:?}")),
        };
        let list = tokens.next().ok_or_else(|| format!("{dir} without a stream list"))?;
        if list.contains('=') {
            return Err(format!(
                "{list:?} is draft syntax (rid=...); RFC 8853 writes the rids alone, e.g. send 1;2;~3"
            ));
        }
        for stream in list.split(';') {
            let mut alternatives = Vec::new();
            for rid in stream.split(',') {
                let (rid, paused) = match rid.strip_prefix('~') {
                    Some(r) => (r, true),
                    None => (rid, false),
                };
                if rid.is_empty() {
                    return Err(format!("empty rid in {list:?}"));
                }
                alternatives.push(SimulcastRid { rid, paused });
            }
            target.push(alternatives);
        }
        seen += 1;
    }
    if seen == 0 {
        return Err("expected send <rids> and/or recv <rids>".into());
    }
    Ok((send, recv))
}
