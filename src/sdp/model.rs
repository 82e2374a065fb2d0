//! The typed view of an SDP, built on the line layer and borrowing from the input.
//!
//! One SDP parser, not two: this is the project's only one. The `sdp` crate is strict (one
//! bad line and there is no model at all) and forgets line numbers, which the linter exists to
//! report, so the typed view sits directly on [`lines`](super::lines). Everything typed here
//! keeps the line it came from; anything without a typed field stays reachable as an
//! [`Attribute`] or through the section's line range, so nothing is lost.
//!
//! Building the view never fails: a value that cannot be read is left out of the typed field
//! and reported in [`Sdp::problems`] with its line number. The types are here; the parser that
//! builds them line by line is [`parse`](super::parse).

use std::ops::Range;

use serde::Serialize;

use super::lines::Line;
pub(crate) use super::parse::{parse_digits, parse_pt};
use crate::core::ice::Candidate;

/// How bad a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The SDP is wrong: a browser or the peer will reject it or misbehave.
    Error,
    /// Probably a mistake, or something some implementations reject.
    Warning,
    /// Worth knowing; not wrong.
    Info,
}

impl Severity {
    /// `error`, `warning` or `info`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// One problem found in an SDP: the `sdp lint --json` record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// Stable rule id (kebab-case), see [`RULES`](super::lint::RULES).
    pub rule: &'static str,
    /// How bad it is.
    pub severity: Severity,
    /// 1-based line number, when the problem is on a line.
    pub line: Option<u32>,
    /// The mid of the m-section it is in, when it has one.
    pub mid: Option<String>,
    /// One line saying what is wrong.
    pub message: String,
    /// Index of the m-section it is in (for the mid, which may come after the line).
    #[serde(skip)]
    pub section: Option<usize>,
}

impl Problem {
    /// A problem on `line`, in m-section `m` (or at session level).
    pub fn new(
        rule: &'static str,
        severity: Severity,
        line: Option<u32>,
        m: Option<&Media<'_>>,
        message: String,
    ) -> Self {
        Problem {
            rule,
            severity,
            line,
            mid: m.and_then(|m| m.mid()).map(str::to_string),
            message,
            section: m.map(|m| m.index),
        }
    }
}

/// Whether an SDP is an offer or an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// An offer.
    Offer,
    /// An answer (or provisional answer).
    Answer,
}

impl Role {
    /// Reads the `type` of an `RTCSessionDescription` (`offer`, `answer`, `pranswer`).
    pub fn from_type(typ: &str) -> Option<Role> {
        match typ.to_ascii_lowercase().as_str() {
            "offer" => Some(Role::Offer),
            "answer" | "pranswer" => Some(Role::Answer),
            _ => None,
        }
    }

    /// `offer` or `answer`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Offer => "offer",
            Role::Answer => "answer",
        }
    }
}

/// A value with the line it was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Located<T> {
    /// The value.
    pub value: T,
    /// Its 1-based line number.
    pub line: u32,
}

/// Media direction (RFC 3264 §5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// `a=sendrecv` (the default).
    SendRecv,
    /// `a=sendonly`.
    SendOnly,
    /// `a=recvonly`.
    RecvOnly,
    /// `a=inactive`.
    Inactive,
}

impl Direction {
    /// Reads an attribute name (`sendrecv`, ...).
    pub fn from_attribute(name: &str) -> Option<Direction> {
        match name {
            "sendrecv" => Some(Direction::SendRecv),
            "sendonly" => Some(Direction::SendOnly),
            "recvonly" => Some(Direction::RecvOnly),
            "inactive" => Some(Direction::Inactive),
            _ => None,
        }
    }

    /// The attribute name.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::SendRecv => "sendrecv",
            Direction::SendOnly => "sendonly",
            Direction::RecvOnly => "recvonly",
            Direction::Inactive => "inactive",
        }
    }

    /// The direction seen from the other side (sendonly ↔ recvonly).
    pub fn reversed(self) -> Direction {
        match self {
            Direction::SendOnly => Direction::RecvOnly,
            Direction::RecvOnly => Direction::SendOnly,
            other => other,
        }
    }

    /// Whether this side sends.
    pub fn sends(self) -> bool {
        matches!(self, Direction::SendRecv | Direction::SendOnly)
    }

    /// Whether this side receives.
    pub fn receives(self) -> bool {
        matches!(self, Direction::SendRecv | Direction::RecvOnly)
    }
}

/// DTLS role negotiation (`a=setup`, RFC 4145 / RFC 8842).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Setup {
    /// Either role; what offers carry.
    Actpass,
    /// This side is the DTLS client.
    Active,
    /// This side is the DTLS server.
    Passive,
    /// No connection for now.
    Holdconn,
}

impl Setup {
    /// Reads the attribute value.
    pub fn parse(value: &str) -> Option<Setup> {
        match value.trim_ascii() {
            "actpass" => Some(Setup::Actpass),
            "active" => Some(Setup::Active),
            "passive" => Some(Setup::Passive),
            "holdconn" => Some(Setup::Holdconn),
            _ => None,
        }
    }

    /// The attribute value.
    pub fn as_str(self) -> &'static str {
        match self {
            Setup::Actpass => "actpass",
            Setup::Active => "active",
            Setup::Passive => "passive",
            Setup::Holdconn => "holdconn",
        }
    }
}

/// `o=<username> <sess-id> <sess-version> <nettype> <addrtype> <address>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Origin<'a> {
    /// Username (`-` for browsers).
    pub username: &'a str,
    /// Session id (digits; may exceed 64 bits in the wild, so kept as text).
    pub session_id: &'a str,
    /// Session version, bumped on every change.
    pub session_version: &'a str,
    /// `IN`.
    pub nettype: &'a str,
    /// `IP4` or `IP6`.
    pub addrtype: &'a str,
    /// Unicast address.
    pub address: &'a str,
    /// Line number.
    pub line: u32,
}

/// `c=<nettype> <addrtype> <address>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Connection<'a> {
    /// `IN`.
    pub nettype: &'a str,
    /// `IP4` or `IP6`.
    pub addrtype: &'a str,
    /// Address, possibly with `/ttl/count`.
    pub address: &'a str,
    /// Line number.
    pub line: u32,
}

/// `b=<type>:<kbps>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bandwidth<'a> {
    /// `AS`, `CT`, `TIAS`, ...
    pub kind: &'a str,
    /// The value as written.
    pub value: &'a str,
    /// Line number.
    pub line: u32,
}

/// `a=group:<semantics> <mid>...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group<'a> {
    /// `BUNDLE`, `LS`, `FID`, ...
    pub semantics: &'a str,
    /// The mids, in order.
    pub mids: Vec<&'a str>,
    /// Line number.
    pub line: u32,
}

/// `a=fingerprint:<hash> <hex pairs>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fingerprint<'a> {
    /// Hash function as written (`sha-256`).
    pub hash: &'a str,
    /// Colon-separated hex pairs as written.
    pub value: &'a str,
    /// Line number.
    pub line: u32,
}

/// ICE parameters of one level (session or m-section): the first of each, see the linter for
/// duplicates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Ice<'a> {
    /// `a=ice-ufrag`.
    pub ufrag: Option<Located<&'a str>>,
    /// `a=ice-pwd`.
    pub pwd: Option<Located<&'a str>>,
    /// `a=ice-options` (space-separated tokens).
    pub options: Option<Located<&'a str>>,
    /// Line of `a=ice-lite`.
    pub lite: Option<u32>,
}

/// An attribute without a typed field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attribute<'a> {
    /// Name (before `:`).
    pub name: &'a str,
    /// Value (after `:`), if any.
    pub value: Option<&'a str>,
    /// Line number.
    pub line: u32,
}

/// `a=rtpmap:<pt> <name>/<clock>[/<channels>]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rtpmap<'a> {
    /// Encoding name as written (`opus`, `VP8`, `rtx`).
    pub name: &'a str,
    /// Clock rate in Hz.
    pub clock_rate: u32,
    /// Encoding parameters (channels for audio), if given.
    pub channels: Option<u16>,
    /// Line number.
    pub line: u32,
}

/// One payload type of an RTP m-section: its rtpmap and fmtp (rtcp-fb are in
/// [`Media::rtcp_fbs`], see [`Media::rtcp_fb_for`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Codec<'a> {
    /// Payload type.
    pub pt: u8,
    /// Whether the PT is on the m= line (an rtpmap for an unlisted PT gives `false`).
    pub listed: bool,
    /// The first `a=rtpmap` for this PT.
    pub rtpmap: Option<Rtpmap<'a>>,
    /// The first `a=fmtp` for this PT (parameters as written).
    pub fmtp: Option<Located<&'a str>>,
}

impl<'a> Codec<'a> {
    /// The encoding name: the rtpmap's, or the RFC 3551 name of a static PT.
    pub fn name(&self) -> Option<&'a str> {
        self.rtpmap.map(|r| r.name).or_else(|| static_payload_type(self.pt).map(|s| s.0))
    }

    /// The clock rate: the rtpmap's, or the RFC 3551 one of a static PT.
    pub fn clock_rate(&self) -> Option<u32> {
        self.rtpmap.map(|r| r.clock_rate).or_else(|| static_payload_type(self.pt).map(|s| s.1))
    }

    /// Channels, `None` when not written (1 for audio).
    pub fn channels(&self) -> Option<u16> {
        self.rtpmap.and_then(|r| r.channels)
    }

    /// fmtp parameters as `(name, value)` pairs (`red`'s `111/111` gives `("111/111", "")`).
    pub fn fmtp_params(&self) -> impl Iterator<Item = (&'a str, &'a str)> {
        fmtp_params(self.fmtp.map_or("", |f| f.value))
    }

    /// The value of one fmtp parameter (names compared without case).
    pub fn fmtp_param(&self, name: &str) -> Option<&'a str> {
        self.fmtp_params().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v)
    }

    /// Whether this is an RTX (retransmission) payload type.
    pub fn is_rtx(&self) -> bool {
        self.name().is_some_and(|n| n.eq_ignore_ascii_case("rtx"))
    }

    /// Whether this is RED (redundant coding).
    pub fn is_red(&self) -> bool {
        self.name().is_some_and(|n| n.eq_ignore_ascii_case("red"))
    }
}

/// Splits fmtp parameters: `a=b;c=d` → `(a, b), (c, d)`, spaces trimmed, empty ones skipped.
pub fn fmtp_params(value: &str) -> impl Iterator<Item = (&str, &str)> {
    value.split(';').map(str::trim).filter(|p| !p.is_empty()).map(|p| match p.split_once('=') {
        Some((k, v)) => (k.trim_ascii(), v.trim_ascii()),
        None => (p, ""),
    })
}

/// RFC 3551 static payload types: name and clock rate.
pub fn static_payload_type(pt: u8) -> Option<(&'static str, u32)> {
    Some(match pt {
        0 => ("PCMU", 8000),
        3 => ("GSM", 8000),
        4 => ("G723", 8000),
        5 => ("DVI4", 8000),
        6 => ("DVI4", 16000),
        7 => ("LPC", 8000),
        8 => ("PCMA", 8000),
        9 => ("G722", 8000),
        10 | 11 => ("L16", 44100),
        12 => ("QCELP", 8000),
        13 => ("CN", 8000),
        14 => ("MPA", 90000),
        15 => ("G728", 8000),
        16 => ("DVI4", 11025),
        17 => ("DVI4", 22050),
        18 => ("G729", 8000),
        25 => ("CelB", 90000),
        26 => ("JPEG", 90000),
        28 => ("nv", 90000),
        31 => ("H261", 90000),
        32 => ("MPV", 90000),
        33 => ("MP2T", 90000),
        34 => ("H263", 90000),
        _ => return None,
    })
}

/// `a=rtcp-fb:<pt>|* <type> [<param>]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtcpFb<'a> {
    /// The payload type, `None` for `*` (all).
    pub pt: Option<u8>,
    /// The feedback (`nack pli`, `transport-cc`), spaces as written.
    pub value: &'a str,
    /// Line number.
    pub line: u32,
}

/// `a=extmap:<id>[/<direction>] <uri> [<attributes>]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Extmap<'a> {
    /// Extension id (1–14 one-byte, up to 255 two-byte).
    pub id: u16,
    /// Direction, when given.
    pub direction: Option<Direction>,
    /// The extension URI.
    pub uri: &'a str,
    /// Extension attributes after the URI (empty when none).
    pub attributes: &'a str,
    /// Line number.
    pub line: u32,
}

/// `a=ssrc:<ssrc> <attribute>[:<value>]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SsrcAttr<'a> {
    /// The SSRC.
    pub ssrc: u32,
    /// Attribute name (`cname`, `msid`, ...).
    pub attribute: &'a str,
    /// Attribute value, if any.
    pub value: Option<&'a str>,
    /// Line number.
    pub line: u32,
}

/// `a=ssrc-group:<semantics> <ssrc>...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsrcGroup<'a> {
    /// `FID`, `SIM`, `FEC-FR`, ...
    pub semantics: &'a str,
    /// Members.
    pub ssrcs: Vec<u32>,
    /// Line number.
    pub line: u32,
}

/// `a=msid:<stream id> [<track id>]` (RFC 8830).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Msid<'a> {
    /// Stream id (`-` for none).
    pub stream: &'a str,
    /// Track id ("appdata"), if given.
    pub track: Option<&'a str>,
    /// Line number.
    pub line: u32,
}

/// `a=rid:<id> send|recv [<params>]` (RFC 8851).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rid<'a> {
    /// The rid.
    pub id: &'a str,
    /// `send` or `recv` as written.
    pub direction: &'a str,
    /// Restrictions (`pt=97;max-width=1280`), empty when none.
    pub params: &'a str,
    /// Line number.
    pub line: u32,
}

/// One rid in a simulcast stream list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SimulcastRid<'a> {
    /// The rid.
    pub rid: &'a str,
    /// Written with `~` (paused).
    pub paused: bool,
}

/// `a=simulcast:send <streams> recv <streams>` (RFC 8853): each stream is a list of
/// alternative rids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Simulcast<'a> {
    /// Streams sent.
    pub send: Vec<Vec<SimulcastRid<'a>>>,
    /// Streams received.
    pub recv: Vec<Vec<SimulcastRid<'a>>>,
    /// The value as written.
    pub value: &'a str,
    /// Line number.
    pub line: u32,
}

/// Session-level part of the SDP.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Session<'a> {
    /// `v=` value.
    pub version: Option<Located<&'a str>>,
    /// `o=`.
    pub origin: Option<Origin<'a>>,
    /// `s=` value.
    pub name: Option<Located<&'a str>>,
    /// `c=`.
    pub connection: Option<Connection<'a>>,
    /// `b=` lines.
    pub bandwidths: Vec<Bandwidth<'a>>,
    /// `t=` values.
    pub timing: Vec<Located<&'a str>>,
    /// `a=group` lines.
    pub groups: Vec<Group<'a>>,
    /// `a=msid-semantic` value.
    pub msid_semantic: Option<Located<&'a str>>,
    /// Line of `a=extmap-allow-mixed`.
    pub extmap_allow_mixed: Option<u32>,
    /// Session-level ICE parameters.
    pub ice: Ice<'a>,
    /// Session-level fingerprints.
    pub fingerprints: Vec<Fingerprint<'a>>,
    /// Session-level `a=setup`.
    pub setup: Option<Located<Setup>>,
    /// Session-level direction.
    pub direction: Option<Located<Direction>>,
    /// Session-level extmaps.
    pub extmaps: Vec<Extmap<'a>>,
    /// Every other attribute (including ones that belong in an m-section).
    pub attributes: Vec<Attribute<'a>>,
    /// Indexes into [`Sdp::lines`] of the session part.
    pub lines: Range<usize>,
}

/// One m-section.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Media<'a> {
    /// Position among the m-sections (0-based).
    pub index: usize,
    /// Line number of the `m=` line.
    pub line: u32,
    /// `audio`, `video`, `application`, ...
    pub kind: &'a str,
    /// Port (0 = rejected, or bundle-only).
    pub port: u16,
    /// Number of ports (`m=video 49170/2 ...`), when given.
    pub port_count: Option<u16>,
    /// Transport protocol (`UDP/TLS/RTP/SAVPF`).
    pub proto: &'a str,
    /// Formats: payload types for RTP, `webrtc-datachannel` for SCTP, as written.
    pub formats: Vec<&'a str>,
    /// `a=mid`.
    pub mid: Option<Located<&'a str>>,
    /// The first direction attribute.
    pub direction: Option<Located<Direction>>,
    /// The first `c=`.
    pub connection: Option<Connection<'a>>,
    /// `b=` lines.
    pub bandwidths: Vec<Bandwidth<'a>>,
    /// Media-level ICE parameters.
    pub ice: Ice<'a>,
    /// Media-level fingerprints.
    pub fingerprints: Vec<Fingerprint<'a>>,
    /// `a=setup`.
    pub setup: Option<Located<Setup>>,
    /// Payload types in m= line order, then rtpmap'd PTs missing from the m= line.
    pub codecs: Vec<Codec<'a>>,
    /// All `a=rtcp-fb` lines.
    pub rtcp_fbs: Vec<RtcpFb<'a>>,
    /// `a=extmap` lines.
    pub extmaps: Vec<Extmap<'a>>,
    /// `a=ssrc` lines.
    pub ssrcs: Vec<SsrcAttr<'a>>,
    /// `a=ssrc-group` lines.
    pub ssrc_groups: Vec<SsrcGroup<'a>>,
    /// `a=msid` lines.
    pub msids: Vec<Msid<'a>>,
    /// `a=rid` lines.
    pub rids: Vec<Rid<'a>>,
    /// The first `a=simulcast`.
    pub simulcast: Option<Simulcast<'a>>,
    /// Candidates that parsed.
    pub candidates: Vec<Located<Candidate>>,
    /// Line of `a=end-of-candidates`.
    pub end_of_candidates: Option<u32>,
    /// Line of `a=rtcp-mux`.
    pub rtcp_mux: Option<u32>,
    /// Line of `a=rtcp-mux-only`.
    pub rtcp_mux_only: Option<u32>,
    /// Line of `a=rtcp-rsize`.
    pub rtcp_rsize: Option<u32>,
    /// `a=rtcp` value.
    pub rtcp: Option<Located<&'a str>>,
    /// Line of `a=bundle-only`.
    pub bundle_only: Option<u32>,
    /// `a=sctp-port`.
    pub sctp_port: Option<Located<u16>>,
    /// `a=max-message-size`.
    pub max_message_size: Option<Located<u64>>,
    /// `a=sctpmap` value (pre-RFC 8841 data channels).
    pub sctpmap: Option<Located<&'a str>>,
    /// Every other attribute.
    pub attributes: Vec<Attribute<'a>>,
    /// Indexes into [`Sdp::lines`] of this section, `m=` line first.
    pub lines: Range<usize>,
}

impl<'a> Media<'a> {
    /// The mid, if any.
    pub fn mid(&self) -> Option<&'a str> {
        self.mid.map(|m| m.value)
    }

    /// Whether the proto carries RTP (formats are payload types).
    pub fn is_rtp(&self) -> bool {
        is_rtp_proto(self.proto)
    }

    /// Whether the proto is SCTP (data channels).
    pub fn is_sctp(&self) -> bool {
        self.proto.split('/').any(|p| p.eq_ignore_ascii_case("SCTP"))
    }

    /// Whether the proto runs over DTLS and so needs a fingerprint.
    pub fn is_dtls(&self) -> bool {
        self.proto.split('/').any(|p| p.eq_ignore_ascii_case("TLS") || p.eq_ignore_ascii_case("DTLS"))
    }

    /// Whether the section is rejected (port 0 without `a=bundle-only`).
    pub fn is_rejected(&self) -> bool {
        self.port == 0 && self.bundle_only.is_none()
    }

    /// The codec for a payload type.
    pub fn codec(&self, pt: u8) -> Option<&Codec<'a>> {
        self.codecs.iter().find(|c| c.pt == pt)
    }

    /// The rtcp-fb values that apply to a payload type (its own and `*` ones).
    pub fn rtcp_fb_for(&self, pt: u8) -> impl Iterator<Item = &RtcpFb<'a>> + '_ {
        self.rtcp_fbs.iter().filter(move |fb| fb.pt.is_none_or(|p| p == pt))
    }

    /// The codecs listed on the m= line, in preference order.
    pub fn listed_codecs(&self) -> impl Iterator<Item = &Codec<'a>> + '_ {
        self.codecs.iter().filter(|c| c.listed)
    }
}

/// Whether an m= proto carries RTP.
pub fn is_rtp_proto(proto: &str) -> bool {
    proto.split('/').any(|p| p.eq_ignore_ascii_case("RTP"))
}

/// A parsed SDP: every line, the typed view over them, and what could not be read.
#[derive(Debug, Clone, PartialEq)]
pub struct Sdp<'a> {
    /// Every line, in order.
    pub lines: Vec<Line<'a>>,
    /// The session part.
    pub session: Session<'a>,
    /// The m-sections, in order.
    pub media: Vec<Media<'a>>,
    /// Values that could not be read (syntax), with line numbers.
    pub problems: Vec<Problem>,
}

impl<'a> Sdp<'a> {
    /// Splits `text` into lines and builds the typed view. Never fails.
    ///
    /// ```
    /// use rtctool::sdp::Sdp;
    /// let sdp = Sdp::parse("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n\
    ///     m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\n\
    ///     a=rtpmap:111 opus/48000/2\r\na=rtpmap:x bad\r\n");
    /// assert_eq!(sdp.media[0].mid(), Some("0"));
    /// assert_eq!(sdp.media[0].codecs[0].name(), Some("opus"));
    /// assert_eq!(sdp.problems[0].line, Some(9));
    /// assert_eq!(sdp.problems[0].mid.as_deref(), Some("0"));
    /// ```
    pub fn parse(text: &'a str) -> Sdp<'a> {
        super::parse::parse(text)
    }

    /// Effective ICE ufrag of a section (its own, else the session's).
    pub fn ufrag(&self, m: &Media<'a>) -> Option<&'a str> {
        m.ice.ufrag.or(self.session.ice.ufrag).map(|l| l.value)
    }

    /// Effective ICE pwd of a section.
    pub fn pwd(&self, m: &Media<'a>) -> Option<&'a str> {
        m.ice.pwd.or(self.session.ice.pwd).map(|l| l.value)
    }

    /// Effective fingerprints of a section.
    pub fn fingerprints<'s>(&'s self, m: &'s Media<'a>) -> &'s [Fingerprint<'a>] {
        if m.fingerprints.is_empty() {
            &self.session.fingerprints
        } else {
            &m.fingerprints
        }
    }

    /// Effective setup of a section.
    pub fn setup(&self, m: &Media<'a>) -> Option<Setup> {
        m.setup.or(self.session.setup).map(|s| s.value)
    }

    /// Effective direction of a section (sendrecv when none is given).
    pub fn direction(&self, m: &Media<'a>) -> Direction {
        m.direction.or(self.session.direction).map_or(Direction::SendRecv, |d| d.value)
    }

    /// Effective connection of a section.
    pub fn connection(&self, m: &Media<'a>) -> Option<Connection<'a>> {
        m.connection.or(self.session.connection)
    }

    /// The BUNDLE groups.
    pub fn bundle_groups(&self) -> impl Iterator<Item = &Group<'a>> + '_ {
        self.session.groups.iter().filter(|g| g.semantics.eq_ignore_ascii_case("BUNDLE"))
    }

    /// The BUNDLE group a mid is in.
    pub fn bundle_group_of(&self, mid: &str) -> Option<&Group<'a>> {
        self.bundle_groups().find(|g| g.mids.contains(&mid))
    }

    /// Whether any line has a type letter (`x=`): text with none is not SDP at all.
    pub fn has_sdp_lines(&self) -> bool {
        self.lines.iter().any(|l| l.kind.is_some())
    }

    /// The line with this number.
    pub fn line(&self, number: u32) -> Option<&Line<'a>> {
        self.lines.get((number as usize).checked_sub(1)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OFFER: &str = "v=0\r\n\
o=- 4962303333179871722 1 IN IP4 0.0.0.0\r\n\
s=-\r\n\
t=0 0\r\n\
a=group:BUNDLE a1 v1\r\n\
a=msid-semantic:WMS\r\n\
m=audio 56500 UDP/TLS/RTP/SAVPF 96 0 97\r\n\
c=IN IP4 192.0.2.1\r\n\
a=mid:a1\r\n\
a=sendrecv\r\n\
a=rtpmap:96 opus/48000/2\r\n\
a=fmtp:96 minptime=10;useinbandfec=1\r\n\
a=rtpmap:97 telephone-event/8000\r\n\
a=rtcp-fb:96 transport-cc\r\n\
a=rtcp-fb:* nack\r\n\
a=ice-ufrag:ETEn\r\n\
a=ice-pwd:OtSK0WpNtpUjkY4+86js7ZQl\r\n\
a=fingerprint:sha-256 19:E2\r\n\
a=setup:actpass\r\n\
a=extmap:1/sendonly urn:ietf:params:rtp-hdrext:ssrc-audio-level vad=on\r\n\
a=ssrc:1732846380 cname:EocUG1f0fcg/yvY7\r\n\
a=ssrc-group:FID 1 2\r\n\
a=msid:- f83006c5\r\n\
a=candidate:3348148302 1 udp 2113937151 192.0.2.1 56500 typ host\r\n\
a=end-of-candidates\r\n\
a=rid:1 send pt=96\r\n\
a=simulcast:send 1,~2;3 recv c\r\n\
a=x-custom:42\r\n\
m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n\
c=IN IP4 0.0.0.0\r\n\
a=mid:v1\r\n\
a=sctp-port:5000\r\n\
a=max-message-size:262144\r\n";

    #[test]
    fn typed_view() {
        let sdp = Sdp::parse(OFFER);
        assert!(sdp.problems.is_empty(), "{:?}", sdp.problems);
        assert_eq!(sdp.session.origin.unwrap().session_version, "1");
        assert_eq!(sdp.session.groups[0].mids, ["a1", "v1"]);
        let a = &sdp.media[0];
        assert_eq!((a.kind, a.port, a.proto), ("audio", 56500, "UDP/TLS/RTP/SAVPF"));
        assert_eq!(a.mid(), Some("a1"));
        assert_eq!(a.codecs.len(), 3);
        assert_eq!(a.codec(0).unwrap().name(), Some("PCMU"));
        assert_eq!(a.codec(96).unwrap().fmtp_param("useinbandfec"), Some("1"));
        assert_eq!(a.rtcp_fb_for(96).count(), 2);
        assert_eq!(a.rtcp_fb_for(97).count(), 1);
        assert_eq!(a.extmaps[0].direction, Some(Direction::SendOnly));
        assert_eq!(a.extmaps[0].attributes, "vad=on");
        assert_eq!(a.ssrc_groups[0].ssrcs, [1, 2]);
        assert_eq!(a.msids[0].track, Some("f83006c5"));
        assert_eq!(a.candidates[0].line, 24);
        assert_eq!(a.simulcast.as_ref().unwrap().send[0][1], SimulcastRid { rid: "2", paused: true });
        assert_eq!(a.attributes[0].name, "x-custom");
        assert_eq!(sdp.ufrag(a), Some("ETEn"));
        let d = &sdp.media[1];
        assert!(d.is_sctp() && d.is_dtls() && !d.is_rtp());
        assert_eq!(d.sctp_port.unwrap().value, 5000);
        assert_eq!(d.lines, 28..33);
        assert_eq!(sdp.session.lines, 0..6);
    }

    #[test]
    fn tolerant_with_line_numbers() {
        let sdp = Sdp::parse("v=0\nm=audio x RTP/AVP 0 200\na=rtpmap:0\na=candidate:1 2\na=mid:m\n");
        let lines: Vec<_> = sdp.problems.iter().map(|p| (p.rule, p.line, p.mid.as_deref())).collect();
        assert_eq!(
            lines,
            [
                ("media-syntax", Some(2), Some("m")),
                ("payload-type-range", Some(2), Some("m")),
                ("attribute-syntax", Some(3), Some("m")),
                ("candidate-syntax", Some(4), Some("m"))
            ]
        );
        assert_eq!(sdp.media[0].codecs.len(), 1);
    }

    #[test]
    fn garbage_never_panics() {
        for text in
            ["", "\u{0}", "m=", "a=", "a=:", "m=audio 99999999999 RTP/AVP 0", "a=rtpmap:1 a/1/2/3", "é=ü"]
        {
            let _ = Sdp::parse(text);
        }
    }
}
