//! ICE candidate lines (`a=candidate:...`): parsing, canonical formatting and JSON.
//!
//! The grammar is RFC 8839 §5.1 (which carries RFC 8445 candidates in SDP), plus the
//! extensions every browser emits (`generation`, `ufrag`, `network-id`, `network-cost`) and
//! RFC 6544's `tcptype`. Parsing is as lenient as browsers are (any amount of whitespace,
//! case-insensitive keywords, optional `a=` / `candidate:` prefixes) but every rejection says
//! which field is wrong and why, because the SDP linter shows these messages to people.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use serde::ser::{Serialize, SerializeStruct, Serializer};

/// How a candidate was obtained (RFC 8445 §5.1.1); decides its type preference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CandidateType {
    /// An address of a local interface.
    Host,
    /// The public mapping of a host address, learned from a STUN server.
    Srflx,
    /// A mapping learned from a peer's connectivity check.
    Prflx,
    /// An address allocated on a TURN server.
    Relay,
}

impl CandidateType {
    /// The SDP keyword (`host`, `srflx`, `prflx`, `relay`).
    pub fn as_str(self) -> &'static str {
        match self {
            CandidateType::Host => "host",
            CandidateType::Srflx => "srflx",
            CandidateType::Prflx => "prflx",
            CandidateType::Relay => "relay",
        }
    }

    /// Reads an SDP keyword, ignoring ASCII case as browsers do; `None` if unknown.
    pub fn from_keyword(keyword: &str) -> Option<Self> {
        [CandidateType::Host, CandidateType::Srflx, CandidateType::Prflx, CandidateType::Relay]
            .into_iter()
            .find(|typ| typ.as_str().eq_ignore_ascii_case(keyword))
    }
}

impl fmt::Display for CandidateType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The role of a TCP candidate (RFC 6544 §4.5), needed to know who opens the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TcpType {
    /// Opens the connection; browsers advertise port 9 (discard) for these.
    Active,
    /// Accepts connections.
    Passive,
    /// Simultaneous open.
    So,
}

impl TcpType {
    /// The SDP keyword (`active`, `passive`, `so`).
    pub fn as_str(self) -> &'static str {
        match self {
            TcpType::Active => "active",
            TcpType::Passive => "passive",
            TcpType::So => "so",
        }
    }

    /// Reads an SDP keyword, ignoring ASCII case; `None` if unknown.
    pub fn from_keyword(keyword: &str) -> Option<Self> {
        [TcpType::Active, TcpType::Passive, TcpType::So]
            .into_iter()
            .find(|tcptype| tcptype.as_str().eq_ignore_ascii_case(keyword))
    }
}

impl fmt::Display for TcpType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One ICE candidate as carried in SDP or in `RTCIceCandidate.candidate`.
///
/// Text fields keep what was written (the transport's case, a hostname address) so that
/// formatting a parsed candidate and parsing it again gives the same value; helpers such as
/// [`Candidate::protocol`] and [`Candidate::ip`] give the normalised views.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// Groups candidates that are likely to behave alike (RFC 8445 §5.1.1.3).
    pub foundation: String,
    /// 1 for RTP, 2 for RTCP without rtcp-mux (1..=256).
    pub component: u16,
    /// The transport as written (`udp`, `UDP`, `tcp`, ...); see [`Candidate::protocol`].
    pub transport: String,
    /// RFC 8445 §5.1.2 priority; see [`PriorityParts`](crate::core::ice::PriorityParts) to decompose it.
    pub priority: u32,
    /// An IP address, an mDNS `.local` name or an FQDN, as written.
    pub address: String,
    /// The port (0 and 9 are used by browsers as placeholders).
    pub port: u16,
    /// The candidate type.
    pub typ: CandidateType,
    /// `raddr`: the base or mapped address this one was derived from.
    pub related_address: Option<String>,
    /// `rport`: the port that goes with `related_address`.
    pub related_port: Option<u16>,
    /// `tcptype` for TCP candidates.
    pub tcptype: Option<TcpType>,
    /// `generation`: the ICE restart count of the sender (browser extension).
    pub generation: Option<u32>,
    /// `ufrag`: the username fragment, so trickled candidates can be matched to a generation.
    pub ufrag: Option<String>,
    /// `network-id`: Chromium's identifier of the local network interface.
    pub network_id: Option<u32>,
    /// `network-cost`: Chromium's cost of the interface (10 wired, 900 cellular...).
    pub network_cost: Option<u32>,
    /// Every other `name value` pair, in the order they were written.
    pub extensions: Vec<(String, String)>,
}

impl Candidate {
    /// A candidate with the fields of the `a=candidate` grammar before `typ`, and none of the
    /// optional ones (raddr, rport, tcptype, extensions) yet.
    pub fn new(
        foundation: String,
        component: u16,
        transport: String,
        priority: u32,
        address: String,
        port: u16,
        typ: CandidateType,
    ) -> Self {
        Candidate {
            foundation,
            component,
            transport,
            priority,
            address,
            port,
            typ,
            related_address: None,
            related_port: None,
            tcptype: None,
            generation: None,
            ufrag: None,
            network_id: None,
            network_cost: None,
            extensions: Vec::new(),
        }
    }

    /// Parses a candidate line.
    ///
    /// Accepts the SDP attribute (`a=candidate:...`), the attribute value (`candidate:...`,
    /// which is what `RTCIceCandidate.candidate` holds) or the bare fields; surrounding
    /// whitespace, a trailing CRLF and runs of spaces between tokens are ignored, and keywords
    /// are matched without regard to case, as browsers do. Like browsers, the foundation,
    /// transport and address are taken as they come (any single token); numbers, keywords and
    /// the `raddr`/`rport` pairing are checked.
    ///
    /// ```
    /// use rtctool::core::ice::{Candidate, CandidateType};
    ///
    /// let line = "a=candidate:842163049 1 udp 1677729535 203.0.113.7 46154 typ srflx \
    ///             raddr 10.0.0.5 rport 46154 generation 0 ufrag sXt8 network-id 1";
    /// let candidate = Candidate::parse(line)?;
    /// assert_eq!(candidate.typ, CandidateType::Srflx);
    /// assert_eq!(candidate.port, 46154);
    /// assert_eq!(candidate.related_address.as_deref(), Some("10.0.0.5"));
    /// assert_eq!(candidate.ufrag.as_deref(), Some("sXt8"));
    /// assert_eq!(
    ///     candidate.to_string(),
    ///     "candidate:842163049 1 udp 1677729535 203.0.113.7 46154 typ srflx \
    ///      raddr 10.0.0.5 rport 46154 generation 0 ufrag sXt8 network-id 1"
    /// );
    ///
    /// let error = Candidate::parse("candidate:1 x udp 1 10.0.0.1 9 typ host").unwrap_err();
    /// assert_eq!(error.to_string(), r#"component "x" is not a number"#);
    /// # Ok::<(), rtctool::core::ice::CandidateError>(())
    /// ```
    pub fn parse(line: &str) -> Result<Candidate, CandidateError> {
        let mut tokens = strip_prefixes(line).split_ascii_whitespace();
        let mut next = |field: &'static str| tokens.next().ok_or(CandidateError::Missing { field });

        let foundation = next("foundation")?.to_string();
        let component = parse_component(next("component")?)?;
        let transport = next("transport")?.to_string();
        let priority = parse_decimal::<u32>("priority", next("priority")?, "0-4294967295")?;
        let address = next("address")?.to_string();
        let port = parse_decimal::<u16>("port", next("port")?, "0-65535")?;

        let typ_keyword = next("typ")?;
        if !typ_keyword.eq_ignore_ascii_case("typ") {
            return Err(CandidateError::ExpectedTyp { found: typ_keyword.to_string() });
        }
        let typ_value = tokens.next().ok_or(CandidateError::MissingValue { name: "typ".into() })?;
        let typ = CandidateType::from_keyword(typ_value)
            .ok_or_else(|| CandidateError::UnknownType { value: typ_value.to_string() })?;

        let mut candidate = Candidate::new(foundation, component, transport, priority, address, port, typ);

        while let Some(name) = tokens.next() {
            let value =
                tokens.next().ok_or_else(|| CandidateError::MissingValue { name: name.to_string() })?;
            candidate.set_attribute(name, value)?;
        }

        match (&candidate.related_address, &candidate.related_port) {
            (Some(_), None) => Err(CandidateError::RaddrWithoutRport),
            (None, Some(_)) => Err(CandidateError::RportWithoutRaddr),
            _ => Ok(candidate),
        }
    }

    /// Stores one `name value` pair found after the candidate type.
    fn set_attribute(&mut self, name: &str, value: &str) -> Result<(), CandidateError> {
        fn set_once<T>(slot: &mut Option<T>, name: &'static str, value: T) -> Result<(), CandidateError> {
            if slot.is_some() {
                return Err(CandidateError::Duplicate { name: name.to_string() });
            }
            *slot = Some(value);
            Ok(())
        }

        let known = KNOWN_ATTRIBUTES.iter().copied().find(|known| known.eq_ignore_ascii_case(name));
        match known {
            Some(RADDR) => set_once(&mut self.related_address, RADDR, value.to_string()),
            Some(RPORT) => set_once(&mut self.related_port, RPORT, parse_decimal(RPORT, value, "0-65535")?),
            Some(TCPTYPE) => {
                let tcptype = TcpType::from_keyword(value)
                    .ok_or_else(|| CandidateError::UnknownTcpType { value: value.to_string() })?;
                set_once(&mut self.tcptype, TCPTYPE, tcptype)
            }
            Some(GENERATION) => {
                let generation = parse_decimal(GENERATION, value, "0-4294967295")?;
                set_once(&mut self.generation, GENERATION, generation)
            }
            Some(UFRAG) => set_once(&mut self.ufrag, UFRAG, value.to_string()),
            Some(NETWORK_ID) => {
                let network_id = parse_decimal(NETWORK_ID, value, "0-4294967295")?;
                set_once(&mut self.network_id, NETWORK_ID, network_id)
            }
            Some(NETWORK_COST) => {
                let network_cost = parse_decimal(NETWORK_COST, value, "0-4294967295")?;
                set_once(&mut self.network_cost, NETWORK_COST, network_cost)
            }
            _ => {
                self.extensions.push((name.to_string(), value.to_string()));
                Ok(())
            }
        }
    }

    /// The transport in lower case (`udp`, `tcp`, or whatever extension token was written),
    /// for comparisons that must not depend on how the sender spelled it.
    pub fn protocol(&self) -> String {
        self.transport.to_ascii_lowercase()
    }

    /// Whether the transport is UDP, in any case.
    pub fn is_udp(&self) -> bool {
        self.transport.eq_ignore_ascii_case("udp")
    }

    /// Whether the transport is TCP, in any case.
    pub fn is_tcp(&self) -> bool {
        self.transport.eq_ignore_ascii_case("tcp")
    }

    /// The address as an IP, or `None` for an mDNS name or FQDN that needs resolving first.
    pub fn ip(&self) -> Option<IpAddr> {
        self.address.parse().ok()
    }

    /// The related address (`raddr`) as an IP, if present and literal.
    pub fn related_ip(&self) -> Option<IpAddr> {
        self.related_address.as_deref()?.parse().ok()
    }

    /// Whether the address is an mDNS name (`<uuid>.local`), which browsers use to hide local
    /// IPs from web pages.
    pub fn is_mdns(&self) -> bool {
        let address = self.address.trim_end_matches('.');
        address.len() > MDNS_SUFFIX.len()
            && address
                .get(address.len() - MDNS_SUFFIX.len()..)
                .is_some_and(|suffix| suffix.eq_ignore_ascii_case(MDNS_SUFFIX))
    }

    /// The SDP attribute line (`a=candidate:...`), without line terminator.
    pub fn to_sdp_attribute(&self) -> String {
        format!("a={self}")
    }
}

/// The suffix of mDNS names.
const MDNS_SUFFIX: &str = ".local";

const RADDR: &str = "raddr";
const RPORT: &str = "rport";
const TCPTYPE: &str = "tcptype";
const GENERATION: &str = "generation";
const UFRAG: &str = "ufrag";
const NETWORK_ID: &str = "network-id";
const NETWORK_COST: &str = "network-cost";
/// Attribute names with a field of their own; every other name goes to `extensions`.
const KNOWN_ATTRIBUTES: [&str; 7] = [RADDR, RPORT, TCPTYPE, GENERATION, UFRAG, NETWORK_ID, NETWORK_COST];

/// Removes surrounding whitespace and the optional `a=` and `candidate:` prefixes.
fn strip_prefixes(line: &str) -> &str {
    // ASCII whitespace only, as the tokens are split: `trim` would also take a vertical tab
    // (Unicode whitespace, not ASCII's), so a line ending in a token "\u{b}" lost it and its
    // own printed text no longer parsed (found by the ice_parse fuzz target).
    let ascii = |c: char| c.is_ascii_whitespace();
    let line = line.trim_matches(ascii);
    let line = strip_prefix_ignore_case(line, "a=").map_or(line, |l| l.trim_start_matches(ascii));
    strip_prefix_ignore_case(line, "candidate:").unwrap_or(line)
}

/// `str::strip_prefix` ignoring ASCII case; never slices inside a UTF-8 sequence.
fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    if head.eq_ignore_ascii_case(prefix) {
        text.get(prefix.len()..)
    } else {
        None
    }
}

/// Parses an unsigned decimal made of ASCII digits only (`u32::from_str` would take `+5`).
fn parse_decimal<T: FromStr>(
    field: &'static str,
    text: &str,
    range: &'static str,
) -> Result<T, CandidateError> {
    if text.is_empty() || !text.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(CandidateError::NotANumber { field, value: text.to_string() });
    }
    // Only digits are left, so the parse can fail only by overflowing.
    text.parse().map_err(|_| CandidateError::OutOfRange { field, value: text.to_string(), range })
}

/// Parses the component ID, which RFC 8445 §5.1.1.1 restricts to 1..=256 (the priority
/// formula relies on it).
fn parse_component(text: &str) -> Result<u16, CandidateError> {
    const RANGE: &str = "1-256";
    let component = parse_decimal::<u16>("component", text, RANGE)?;
    if (1..=256).contains(&component) {
        Ok(component)
    } else {
        Err(CandidateError::OutOfRange { field: "component", value: text.to_string(), range: RANGE })
    }
}

impl FromStr for Candidate {
    type Err = CandidateError;

    /// Same as [`Candidate::parse`].
    fn from_str(line: &str) -> Result<Self, Self::Err> {
        Candidate::parse(line)
    }
}

impl fmt::Display for Candidate {
    /// Writes the canonical `candidate:...` attribute value (no `a=`): the RFC 8839 fields,
    /// then `generation`, `ufrag`, `network-id`, `network-cost`, then unknown extensions in
    /// their original order.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "candidate:{} {} {} {} {} {} typ {}",
            self.foundation, self.component, self.transport, self.priority, self.address, self.port, self.typ
        )?;
        if let Some(related_address) = &self.related_address {
            write!(f, " {RADDR} {related_address}")?;
        }
        if let Some(related_port) = self.related_port {
            write!(f, " {RPORT} {related_port}")?;
        }
        if let Some(tcptype) = self.tcptype {
            write!(f, " {TCPTYPE} {tcptype}")?;
        }
        if let Some(generation) = self.generation {
            write!(f, " {GENERATION} {generation}")?;
        }
        if let Some(ufrag) = &self.ufrag {
            write!(f, " {UFRAG} {ufrag}")?;
        }
        if let Some(network_id) = self.network_id {
            write!(f, " {NETWORK_ID} {network_id}")?;
        }
        if let Some(network_cost) = self.network_cost {
            write!(f, " {NETWORK_COST} {network_cost}")?;
        }
        for (name, value) in &self.extensions {
            write!(f, " {name} {value}")?;
        }
        Ok(())
    }
}

impl Serialize for Candidate {
    /// The stable JSON shape of `--json` outputs: `foundation, component, protocol`
    /// (lower-cased transport), `priority, address, port, type, related_address,
    /// related_port, tcptype, generation, ufrag, network_id, network_cost`, with `null` for
    /// absent values. Unknown extensions are not part of it.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut fields = serializer.serialize_struct("Candidate", 14)?;
        fields.serialize_field("foundation", &self.foundation)?;
        fields.serialize_field("component", &self.component)?;
        fields.serialize_field("protocol", &self.protocol())?;
        fields.serialize_field("priority", &self.priority)?;
        fields.serialize_field("address", &self.address)?;
        fields.serialize_field("port", &self.port)?;
        fields.serialize_field("type", self.typ.as_str())?;
        fields.serialize_field("related_address", &self.related_address)?;
        fields.serialize_field("related_port", &self.related_port)?;
        fields.serialize_field("tcptype", &self.tcptype.map(TcpType::as_str))?;
        fields.serialize_field("generation", &self.generation)?;
        fields.serialize_field("ufrag", &self.ufrag)?;
        fields.serialize_field("network_id", &self.network_id)?;
        fields.serialize_field("network_cost", &self.network_cost)?;
        fields.end()
    }
}

/// Why a candidate line was rejected; the message names the field and the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CandidateError {
    /// The line ends before a required field (`missing typ`).
    Missing {
        /// The field that is absent.
        field: &'static str,
    },
    /// A numeric field holds something else (`component "x" is not a number`).
    NotANumber {
        /// The field.
        field: &'static str,
        /// What was written.
        value: String,
    },
    /// A numeric field is too large or outside what the RFC allows.
    OutOfRange {
        /// The field.
        field: &'static str,
        /// What was written.
        value: String,
        /// The accepted range, e.g. `1-256`.
        range: &'static str,
    },
    /// The seventh token is not the `typ` keyword.
    ExpectedTyp {
        /// The token found instead.
        found: String,
    },
    /// `typ` is followed by something other than host, srflx, prflx or relay.
    UnknownType {
        /// What was written.
        value: String,
    },
    /// `tcptype` is followed by something other than active, passive or so.
    UnknownTcpType {
        /// What was written.
        value: String,
    },
    /// A `name value` pair lacks its value (the line ends after the name).
    MissingValue {
        /// The name without a value.
        name: String,
    },
    /// A known attribute (`raddr`, `generation`, ...) appears twice.
    Duplicate {
        /// The repeated name.
        name: String,
    },
    /// `raddr` is given without `rport`.
    RaddrWithoutRport,
    /// `rport` is given without `raddr`.
    RportWithoutRaddr,
}

impl CandidateError {
    /// The name of the offending field, for linters that point at it.
    pub fn field(&self) -> &str {
        match self {
            CandidateError::Missing { field }
            | CandidateError::NotANumber { field, .. }
            | CandidateError::OutOfRange { field, .. } => field,
            CandidateError::ExpectedTyp { .. } | CandidateError::UnknownType { .. } => "typ",
            CandidateError::UnknownTcpType { .. } => TCPTYPE,
            CandidateError::MissingValue { name } | CandidateError::Duplicate { name } => name,
            CandidateError::RaddrWithoutRport => RADDR,
            CandidateError::RportWithoutRaddr => RPORT,
        }
    }
}

/// Shortens what is echoed back from the input so a huge garbage token cannot flood a report.
fn shown(value: &str) -> String {
    const MAX_CHARS: usize = 64;
    if value.chars().count() <= MAX_CHARS {
        value.to_string()
    } else {
        let head: String = value.chars().take(MAX_CHARS).collect();
        format!("{head}...")
    }
}

impl fmt::Display for CandidateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CandidateError::Missing { field } => write!(f, "missing {field}"),
            CandidateError::NotANumber { field, value } => {
                write!(f, "{field} {:?} is not a number", shown(value))
            }
            CandidateError::OutOfRange { field, value, range } => {
                write!(f, "{field} {} is out of range ({range})", shown(value))
            }
            CandidateError::ExpectedTyp { found } => {
                write!(f, "expected \"typ\" after the port, found {:?}", shown(found))
            }
            CandidateError::UnknownType { value } => {
                write!(f, "unknown candidate type {:?} (expected host, srflx, prflx or relay)", shown(value))
            }
            CandidateError::UnknownTcpType { value } => {
                write!(f, "unknown tcptype {:?} (expected active, passive or so)", shown(value))
            }
            CandidateError::MissingValue { name } => write!(f, "{} has no value", shown(name)),
            CandidateError::Duplicate { name } => write!(f, "{name} appears more than once"),
            CandidateError::RaddrWithoutRport => f.write_str("raddr without rport"),
            CandidateError::RportWithoutRaddr => f.write_str("rport without raddr"),
        }
    }
}

impl std::error::Error for CandidateError {}

impl From<CandidateError> for crate::error::Error {
    /// A bad candidate line is an input error (exit code 3).
    fn from(error: CandidateError) -> Self {
        crate::error::Error::input(format!("invalid ICE candidate: {error}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHROME_SRFLX: &str = "candidate:842163049 1 udp 1677729535 203.0.113.7 46154 typ srflx raddr 10.0.0.5 rport 46154 generation 0 ufrag sXt8 network-id 1 network-cost 10";
    const FIREFOX_TCP_HOST: &str = "candidate:1 1 TCP 2105458943 192.168.1.10 9 typ host tcptype active";
    const RELAY: &str =
        "candidate:3 1 udp 41885439 198.51.100.9 50000 typ relay raddr 203.0.113.7 rport 46154";
    const MDNS_HOST: &str =
        "candidate:2 1 udp 2122260223 6c1f7f2a-3b4e-4d6f-8a9b-1c2d3e4f5a6b.local 54321 typ host generation 0";

    fn parse(line: &str) -> Candidate {
        match Candidate::parse(line) {
            Ok(candidate) => candidate,
            Err(error) => panic!("{line:?} should parse: {error}"),
        }
    }

    fn error(line: &str) -> CandidateError {
        match Candidate::parse(line) {
            Ok(candidate) => panic!("{line:?} should fail, parsed as {candidate:?}"),
            Err(error) => error,
        }
    }

    fn assert_round_trip(line: &str) {
        let first = parse(line);
        let second = parse(&first.to_string());
        assert_eq!(first, second, "round trip of {line:?}");
    }

    #[test]
    fn a_trailing_vertical_tab_token_survives_printing() {
        // Found by the ice_parse fuzz target: "\u{b}" is a token (not ASCII whitespace).
        let line = "1 1 udp 1 198.51.100.3 9 typ host x \u{b}";
        let c = Candidate::parse(line).unwrap();
        assert_eq!(c.extensions, vec![("x".to_string(), "\u{b}".to_string())]);
        assert_eq!(Candidate::parse(&c.to_string()).unwrap(), c);
    }

    #[test]
    fn chrome_srflx_with_all_browser_extensions() {
        let candidate = parse(CHROME_SRFLX);
        assert_eq!(candidate.foundation, "842163049");
        assert_eq!(candidate.component, 1);
        assert_eq!(candidate.transport, "udp");
        assert_eq!(candidate.priority, 1677729535);
        assert_eq!(candidate.address, "203.0.113.7");
        assert_eq!(candidate.ip(), Some(IpAddr::from([203, 0, 113, 7])));
        assert_eq!(candidate.port, 46154);
        assert_eq!(candidate.typ, CandidateType::Srflx);
        assert_eq!(candidate.related_address.as_deref(), Some("10.0.0.5"));
        assert_eq!(candidate.related_ip(), Some(IpAddr::from([10, 0, 0, 5])));
        assert_eq!(candidate.related_port, Some(46154));
        assert_eq!(candidate.tcptype, None);
        assert_eq!(candidate.generation, Some(0));
        assert_eq!(candidate.ufrag.as_deref(), Some("sXt8"));
        assert_eq!(candidate.network_id, Some(1));
        assert_eq!(candidate.network_cost, Some(10));
        assert!(candidate.extensions.is_empty());
        assert_eq!(candidate.to_string(), CHROME_SRFLX);
    }

    #[test]
    fn firefox_tcp_host_keeps_transport_case() {
        let candidate = parse(FIREFOX_TCP_HOST);
        assert_eq!(candidate.transport, "TCP");
        assert_eq!(candidate.protocol(), "tcp");
        assert!(candidate.is_tcp());
        assert!(!candidate.is_udp());
        assert_eq!(candidate.priority, 2105458943);
        assert_eq!(candidate.port, 9);
        assert_eq!(candidate.typ, CandidateType::Host);
        assert_eq!(candidate.tcptype, Some(TcpType::Active));
        assert_eq!(candidate.to_string(), FIREFOX_TCP_HOST);
    }

    #[test]
    fn relay_with_related_address() {
        let candidate = parse(RELAY);
        assert_eq!(candidate.typ, CandidateType::Relay);
        assert_eq!(candidate.priority, 41885439);
        assert_eq!(candidate.address, "198.51.100.9");
        assert_eq!(candidate.port, 50000);
        assert_eq!(candidate.related_address.as_deref(), Some("203.0.113.7"));
        assert_eq!(candidate.related_port, Some(46154));
        assert_eq!(candidate.generation, None);
        assert_eq!(candidate.to_string(), RELAY);
    }

    #[test]
    fn mdns_host_keeps_name_as_text() {
        let candidate = parse(MDNS_HOST);
        assert_eq!(candidate.address, "6c1f7f2a-3b4e-4d6f-8a9b-1c2d3e4f5a6b.local");
        assert_eq!(candidate.ip(), None);
        assert!(candidate.is_mdns());
        assert_eq!(candidate.generation, Some(0));
        assert_eq!(candidate.to_string(), MDNS_HOST);
    }

    #[test]
    fn is_mdns_only_for_local_names() {
        let mut candidate = parse(MDNS_HOST);
        for (address, expected) in [
            ("abc.LOCAL", true),
            ("abc.local.", true),
            (".local", false),
            ("local", false),
            ("203.0.113.7", false),
            ("example.com", false),
            ("é.local", true),
        ] {
            candidate.address = address.to_string();
            assert_eq!(candidate.is_mdns(), expected, "{address}");
        }
    }

    #[test]
    fn fqdn_address() {
        let candidate = parse("candidate:7 1 udp 2122260223 turn.example.com 3478 typ host generation 0");
        assert_eq!(candidate.address, "turn.example.com");
        assert_eq!(candidate.ip(), None);
        assert!(!candidate.is_mdns());
    }

    #[test]
    fn ipv6_addresses() {
        let line =
            "candidate:1890012345 1 udp 2122262783 2001:db8::1 51000 typ host generation 0 network-id 2";
        let candidate = parse(line);
        assert_eq!(candidate.address, "2001:db8::1");
        assert_eq!(candidate.ip(), "2001:db8::1".parse().ok());
        assert_eq!(candidate.to_string(), line);

        let srflx =
            parse("candidate:5 1 udp 1686052607 2001:db8:ffff::7 61000 typ srflx raddr fe80::1 rport 61000");
        assert_eq!(srflx.related_ip(), "fe80::1".parse().ok());
        assert_round_trip(&srflx.to_string());
    }

    #[test]
    fn accepts_every_prefix_form() {
        let bare = CHROME_SRFLX.trim_start_matches("candidate:");
        for line in [
            CHROME_SRFLX.to_string(),
            format!("a={CHROME_SRFLX}"),
            format!("a={CHROME_SRFLX}\r\n"),
            format!("  A=Candidate:{bare}  "),
            format!("a= {CHROME_SRFLX}"),
            bare.to_string(),
        ] {
            assert_eq!(parse(&line), parse(CHROME_SRFLX), "{line:?}");
        }
    }

    #[test]
    fn lenient_whitespace_and_keyword_case() {
        let candidate = parse(
            "candidate:1  1\tUDP   2122260223 10.0.0.1 5000   TYP HOST \t RADDR 0.0.0.0 RPORT 0 TCPTYPE Passive GENERATION 3",
        );
        assert_eq!(candidate.typ, CandidateType::Host);
        assert_eq!(candidate.related_address.as_deref(), Some("0.0.0.0"));
        assert_eq!(candidate.related_port, Some(0));
        assert_eq!(candidate.tcptype, Some(TcpType::Passive));
        assert_eq!(candidate.generation, Some(3));
        assert_eq!(
            candidate.to_string(),
            "candidate:1 1 UDP 2122260223 10.0.0.1 5000 typ host raddr 0.0.0.0 rport 0 tcptype passive generation 3"
        );
    }

    #[test]
    fn every_type_and_tcptype_keyword() {
        for typ in [CandidateType::Host, CandidateType::Srflx, CandidateType::Prflx, CandidateType::Relay] {
            let line = format!("candidate:1 1 udp 1 10.0.0.1 1 typ {typ}");
            assert_eq!(parse(&line).typ, typ);
            assert_eq!(CandidateType::from_keyword(&typ.as_str().to_uppercase()), Some(typ));
        }
        for tcptype in [TcpType::Active, TcpType::Passive, TcpType::So] {
            let line = format!("candidate:1 1 tcp 1 10.0.0.1 1 typ host tcptype {tcptype}");
            assert_eq!(parse(&line).tcptype, Some(tcptype));
        }
    }

    #[test]
    fn unknown_extensions_are_kept_in_order_after_known_ones() {
        let candidate = parse(
            "candidate:4 1 udp 2122260223 10.0.0.1 5000 typ host zeta 1 network-cost 50 alpha two generation 1 zeta 3 pwd secretish",
        );
        assert_eq!(candidate.generation, Some(1));
        assert_eq!(candidate.network_cost, Some(50));
        assert_eq!(
            candidate.extensions,
            vec![
                ("zeta".to_string(), "1".to_string()),
                ("alpha".to_string(), "two".to_string()),
                ("zeta".to_string(), "3".to_string()),
                ("pwd".to_string(), "secretish".to_string()),
            ]
        );
        assert_eq!(
            candidate.to_string(),
            "candidate:4 1 udp 2122260223 10.0.0.1 5000 typ host generation 1 network-cost 50 zeta 1 alpha two zeta 3 pwd secretish"
        );
        assert_round_trip(&candidate.to_string());
    }

    #[test]
    fn canonical_field_order_whatever_the_input_order() {
        let candidate = parse(
            "candidate:9 2 udp 1 192.0.2.1 7 typ relay network-cost 999 network-id 4 ufrag u generation 2 tcptype so rport 8 raddr 192.0.2.2",
        );
        assert_eq!(
            candidate.to_string(),
            "candidate:9 2 udp 1 192.0.2.1 7 typ relay raddr 192.0.2.2 rport 8 tcptype so generation 2 ufrag u network-id 4 network-cost 999"
        );
    }

    #[test]
    fn round_trips() {
        for line in [CHROME_SRFLX, FIREFOX_TCP_HOST, RELAY, MDNS_HOST] {
            assert_round_trip(line);
            assert_round_trip(&format!("a={line}\r\n"));
        }
    }

    #[test]
    fn to_sdp_attribute_adds_a_equals() {
        assert_eq!(parse(RELAY).to_sdp_attribute(), format!("a={RELAY}"));
    }

    #[test]
    fn number_limits() {
        let max = parse("candidate:1 256 udp 4294967295 10.0.0.1 65535 typ host generation 4294967295");
        assert_eq!(max.component, 256);
        assert_eq!(max.priority, u32::MAX);
        assert_eq!(max.port, u16::MAX);
        assert_eq!(max.generation, Some(u32::MAX));
        let zero_port = parse("candidate:1 1 udp 0 10.0.0.1 0 typ host");
        assert_eq!(zero_port.port, 0);
        assert_eq!(zero_port.priority, 0);
    }

    #[test]
    fn missing_fields() {
        let cases = [
            ("", "foundation"),
            ("candidate:", "foundation"),
            ("a=candidate:   ", "foundation"),
            ("candidate:1", "component"),
            ("candidate:1 1", "transport"),
            ("candidate:1 1 udp", "priority"),
            ("candidate:1 1 udp 1", "address"),
            ("candidate:1 1 udp 1 10.0.0.1", "port"),
            ("candidate:1 1 udp 1 10.0.0.1 5000", "typ"),
        ];
        for (line, field) in cases {
            let error = error(line);
            assert_eq!(error, CandidateError::Missing { field }, "{line:?}");
            assert_eq!(error.field(), field);
            assert_eq!(error.to_string(), format!("missing {field}"));
        }
    }

    #[test]
    fn not_a_number() {
        let cases = [
            ("candidate:1 x udp 1 10.0.0.1 5000 typ host", r#"component "x" is not a number"#),
            ("candidate:1 1 udp +5 10.0.0.1 5000 typ host", r#"priority "+5" is not a number"#),
            ("candidate:1 1 udp -1 10.0.0.1 5000 typ host", r#"priority "-1" is not a number"#),
            ("candidate:1 1 udp 1 10.0.0.1 port typ host", r#"port "port" is not a number"#),
            ("candidate:1 1 udp 1 10.0.0.1 1 typ host raddr ::1 rport x", r#"rport "x" is not a number"#),
            ("candidate:1 1 udp 1 10.0.0.1 1 typ host generation 1.5", r#"generation "1.5" is not a number"#),
            ("candidate:1 1 udp 1 10.0.0.1 1 typ host network-id a", r#"network-id "a" is not a number"#),
            ("candidate:1 1 udp 1 10.0.0.1 1 typ host network-cost ١", r#"network-cost "١" is not a number"#),
        ];
        for (line, message) in cases {
            assert_eq!(error(line).to_string(), message, "{line:?}");
        }
    }

    #[test]
    fn out_of_range() {
        let cases = [
            ("candidate:1 0 udp 1 10.0.0.1 5000 typ host", "component 0 is out of range (1-256)"),
            ("candidate:1 257 udp 1 10.0.0.1 5000 typ host", "component 257 is out of range (1-256)"),
            ("candidate:1 70000 udp 1 10.0.0.1 5000 typ host", "component 70000 is out of range (1-256)"),
            (
                "candidate:1 1 udp 4294967296 10.0.0.1 5000 typ host",
                "priority 4294967296 is out of range (0-4294967295)",
            ),
            ("candidate:1 1 udp 1 10.0.0.1 65536 typ host", "port 65536 is out of range (0-65535)"),
            (
                "candidate:1 1 udp 1 10.0.0.1 1 typ srflx raddr 10.0.0.2 rport 99999",
                "rport 99999 is out of range (0-65535)",
            ),
            (
                "candidate:1 1 udp 1 10.0.0.1 1 typ host generation 99999999999",
                "generation 99999999999 is out of range (0-4294967295)",
            ),
        ];
        for (line, message) in cases {
            assert_eq!(error(line).to_string(), message, "{line:?}");
        }
    }

    #[test]
    fn typ_errors() {
        assert_eq!(
            error("candidate:1 1 udp 1 10.0.0.1 5000 raddr 10.0.0.2 rport 1").to_string(),
            r#"expected "typ" after the port, found "raddr""#
        );
        assert_eq!(error("candidate:1 1 udp 1 10.0.0.1 5000 typ").to_string(), "typ has no value");
        let unknown = error("candidate:1 1 udp 1 10.0.0.1 5000 typ foo");
        assert_eq!(unknown, CandidateError::UnknownType { value: "foo".into() });
        assert!(unknown.to_string().starts_with(r#"unknown candidate type "foo""#));
        assert_eq!(unknown.field(), "typ");
    }

    #[test]
    fn tcptype_errors() {
        let unknown = error("candidate:1 1 tcp 1 10.0.0.1 9 typ host tcptype sideways");
        assert!(unknown.to_string().starts_with(r#"unknown tcptype "sideways""#));
        assert_eq!(unknown.field(), "tcptype");
    }

    #[test]
    fn pair_errors() {
        assert_eq!(
            error("candidate:1 1 udp 1 10.0.0.1 1 typ srflx raddr 10.0.0.2").to_string(),
            "raddr without rport"
        );
        assert_eq!(
            error("candidate:1 1 udp 1 10.0.0.1 1 typ srflx rport 5").to_string(),
            "rport without raddr"
        );
        assert_eq!(error("candidate:1 1 udp 1 10.0.0.1 1 typ srflx raddr").to_string(), "raddr has no value");
        assert_eq!(
            error("candidate:1 1 udp 1 10.0.0.1 1 typ host generation 0 lonely").to_string(),
            "lonely has no value"
        );
        assert_eq!(
            error("candidate:1 1 udp 1 10.0.0.1 1 typ host generation 0 Generation 1").to_string(),
            "generation appears more than once"
        );
        assert_eq!(
            error("candidate:1 1 udp 1 10.0.0.1 1 typ host ufrag a ufrag b"),
            CandidateError::Duplicate { name: "ufrag".into() }
        );
    }

    #[test]
    fn long_garbage_is_shortened_in_messages() {
        let garbage = "x".repeat(10_000);
        let message = error(&format!("candidate:1 {garbage} udp 1 10.0.0.1 1 typ host")).to_string();
        assert!(message.len() < 120, "{message}");
        assert!(message.ends_with("...\" is not a number"), "{message}");
    }

    #[test]
    fn odd_inputs_do_not_panic() {
        for line in [
            "a=",
            "a",
            "é",
            "candidate:é",
            "a=candidaté:1 1 udp 1 1.1.1.1 1 typ host",
            "\u{0}",
            "candidate:1 1 udp 1 1.1.1.1 1 typ host \u{a0} x",
            "a=a=candidate:1 1 udp 1 1.1.1.1 1 typ host",
        ] {
            let _ = Candidate::parse(line);
        }
    }

    #[test]
    fn serializes_stable_json_keys() {
        let json = serde_json::to_value(parse(FIREFOX_TCP_HOST)).unwrap_or_default();
        assert_eq!(
            json,
            serde_json::json!({
                "foundation": "1",
                "component": 1,
                "protocol": "tcp",
                "priority": 2105458943u32,
                "address": "192.168.1.10",
                "port": 9,
                "type": "host",
                "related_address": null,
                "related_port": null,
                "tcptype": "active",
                "generation": null,
                "ufrag": null,
                "network_id": null,
                "network_cost": null,
            })
        );
        let srflx = serde_json::to_value(parse(CHROME_SRFLX)).unwrap_or_default();
        assert_eq!(srflx["type"], "srflx");
        assert_eq!(srflx["related_address"], "10.0.0.5");
        assert_eq!(srflx["related_port"], 46154);
        assert_eq!(srflx["ufrag"], "sXt8");
        assert_eq!(srflx["network_cost"], 10);
    }

    #[test]
    fn converts_to_input_error() {
        let error: crate::error::Error = error("candidate:1").into();
        assert_eq!(error.exit_code(), crate::error::exit::INPUT);
        assert_eq!(error.to_string(), "invalid ICE candidate: missing component");
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn token() -> impl Strategy<Value = String> {
            "[A-Za-z0-9+/._:-]{1,12}"
        }

        fn candidate_type() -> impl Strategy<Value = CandidateType> {
            prop_oneof![
                Just(CandidateType::Host),
                Just(CandidateType::Srflx),
                Just(CandidateType::Prflx),
                Just(CandidateType::Relay),
            ]
        }

        fn tcptype() -> impl Strategy<Value = TcpType> {
            prop_oneof![Just(TcpType::Active), Just(TcpType::Passive), Just(TcpType::So)]
        }

        /// Extension names that are not known attributes (those would not stay extensions).
        fn extension() -> impl Strategy<Value = (String, String)> {
            ("x-[a-z0-9-]{0,8}", token())
        }

        prop_compose! {
            fn candidate()(
                foundation in "[A-Za-z0-9+/]{1,32}",
                component in 1u16..=256,
                transport in prop_oneof![Just("udp"), Just("UDP"), Just("tcp"), Just("TCP")],
                priority in any::<u32>(),
                address in token(),
                port in any::<u16>(),
                typ in candidate_type(),
                related in proptest::option::of((token(), any::<u16>())),
                tcptype in proptest::option::of(tcptype()),
                generation in proptest::option::of(any::<u32>()),
                ufrag in proptest::option::of(token()),
                network_id in proptest::option::of(any::<u32>()),
                network_cost in proptest::option::of(any::<u32>()),
                extensions in proptest::collection::vec(extension(), 0..4),
            ) -> Candidate {
                Candidate {
                    foundation,
                    component,
                    transport: transport.to_string(),
                    priority,
                    address,
                    port,
                    typ,
                    related_address: related.as_ref().map(|(address, _)| address.clone()),
                    related_port: related.map(|(_, port)| port),
                    tcptype,
                    generation,
                    ufrag,
                    network_id,
                    network_cost,
                    extensions,
                }
            }
        }

        proptest! {
            #[test]
            fn format_then_parse_is_identity(candidate in candidate()) {
                let line = candidate.to_string();
                prop_assert_eq!(Candidate::parse(&line), Ok(candidate.clone()));
                prop_assert_eq!(Candidate::parse(&candidate.to_sdp_attribute()), Ok(candidate));
            }

            #[test]
            fn parse_never_panics(line in "\\PC{0,80}") {
                let _ = Candidate::parse(&line);
            }

            #[test]
            fn parse_never_panics_on_near_valid_lines(
                tail in proptest::collection::vec(
                    prop_oneof![token(), Just("typ".to_string()), Just("raddr".to_string()),
                                Just("rport".to_string()), Just("tcptype".to_string())],
                    0..10,
                ),
            ) {
                let line = format!("candidate:1 1 udp 1 10.0.0.1 1 {}", tail.join(" "));
                if let Ok(candidate) = Candidate::parse(&line) {
                    prop_assert_eq!(Candidate::parse(&candidate.to_string()), Ok(candidate));
                }
            }
        }
    }
}
