//! What a gathering run found, in the shapes DESIGN.md fixes for `gather --json`: gathered
//! candidates (the candidate keys plus `url` and `elapsed_ms`) and one verdict per server
//! probe (`url, kind, ok, rtt_ms, mapped_address, relayed_address, lifetime_s, software,
//! error: {code, reason}`), with the evidence beside them.

use std::fmt;
use std::net::SocketAddr;

use serde::Serialize;

use crate::core::ice::{Candidate, CandidateType};
use crate::core::transact::TimedOut;

/// A candidate as it was gathered: the candidate itself and where and when it came from.
#[derive(Debug, Clone, Serialize)]
pub struct GatheredCandidate {
    /// The candidate (serialised with the stable candidate keys).
    #[serde(flatten)]
    pub candidate: Candidate,
    /// The STUN/TURN server it came from (`null` for host candidates).
    pub url: Option<String>,
    /// For relay candidates, how the TURN server was reached: `udp`, `tcp` or `tls`
    /// (`RTCIceCandidate.relayProtocol`).
    pub relay_protocol: Option<&'static str>,
    /// The interface of its base.
    pub interface: Option<String>,
    /// Milliseconds from the start of the run to its arrival.
    pub elapsed_ms: f64,
}

impl GatheredCandidate {
    /// The candidate type.
    pub fn typ(&self) -> CandidateType {
        self.candidate.typ
    }
}

/// What kind of failure a probe met; decides the plain-language diagnosis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FailureKind {
    /// The server's name did not resolve.
    Dns,
    /// No local address of the server's family (or scope) to send from.
    NoRoute,
    /// No answer within the time allowed.
    Timeout,
    /// ICMP unreachable, a refused TCP connection, or sending failed.
    Unreachable,
    /// A TCP connection could not be established (other than refused).
    Connect,
    /// The TLS handshake failed (certificate, protocol).
    Tls,
    /// The server answered with an error response (other than authentication).
    StunError,
    /// The server wants credentials and none were given.
    NoCredentials,
    /// Authentication failed: the credentials were rejected, or the challenge was unusable.
    Auth,
    /// Answers failed MESSAGE-INTEGRITY (or lacked it) and were refused.
    Integrity,
    /// Answers came from another address than the one asked, and were refused.
    WrongSource,
    /// The server broke the protocol (a success without the address, not STUN at all...).
    Protocol,
    /// The engine cannot use this server at all (webrtc-rs and TURN over TCP or TLS).
    Unsupported,
    /// No candidate came from the server and the engine did not say why (webrtc-rs).
    Unreported,
    /// The run was interrupted (Ctrl-C) before the server answered.
    Interrupted,
    /// The allocation works but the relay does not relay: the relay test failed.
    RelayBroken,
}

impl FailureKind {
    /// Whether this failure means the server was never heard from (a network problem rather
    /// than an answer): what decides exit code 4.
    pub fn is_unreached(self) -> bool {
        matches!(
            self,
            FailureKind::Dns
                | FailureKind::NoRoute
                | FailureKind::Timeout
                | FailureKind::Unreachable
                | FailureKind::Connect
        )
    }
}

/// The error of a failed probe: `code` is the STUN error code when the server sent one, else
/// 701 (what `RTCPeerConnectionIceErrorEvent.errorCode` uses when a server cannot be reached).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServerError {
    /// STUN error code, or 701.
    pub code: u16,
    /// What happened, in words (the server's reason phrase and what it means).
    pub reason: String,
    /// The class of failure.
    pub kind: FailureKind,
    /// The server's own reason phrase, when it sent an error response.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_reason: Option<String>,
    /// When nothing came back: how many requests went out, over how long.
    #[serde(skip)]
    pub unanswered: Option<TimedOut>,
}

impl ServerError {
    /// An error with no more facts than its kind and words.
    pub fn new(code: u16, reason: impl Into<String>, kind: FailureKind) -> Self {
        ServerError { code, reason: reason.into(), kind, server_reason: None, unanswered: None }
    }
}

/// The code WebRTC uses for "the server could not be reached".
pub const UNREACHABLE_CODE: u16 = 701;

impl fmt::Display for ServerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.code == UNREACHABLE_CODE {
            f.write_str(&self.reason)
        } else {
            write!(f, "{} {}", self.code, self.reason)
        }
    }
}

/// One step of a probe, for `-v` and the JSON evidence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    /// Milliseconds from the start of the run.
    pub at_ms: f64,
    /// What happened.
    pub what: String,
}

/// The verdict on one server as seen from one local address (one entry of `servers`).
#[derive(Debug, Clone, Serialize)]
pub struct ServerReport {
    /// The server URL as given (password replaced by `***`).
    pub url: String,
    /// `stun` or `turn`.
    pub kind: &'static str,
    /// `udp`, `tcp` or `tls`: how the server was reached.
    pub transport: &'static str,
    /// Whether it answered as expected (a mapped address; for TURN, an allocation).
    pub ok: bool,
    /// Round-trip time of the first request answered without a retransmission.
    pub rtt_ms: Option<f64>,
    /// Our address as the server saw it (XOR-MAPPED-ADDRESS).
    pub mapped_address: Option<SocketAddr>,
    /// The relayed transport address of the allocation.
    pub relayed_address: Option<SocketAddr>,
    /// The allocation's lifetime in seconds.
    pub lifetime_s: Option<u32>,
    /// Milliseconds from the start of the run to the allocation (before any relay test).
    pub allocated_ms: Option<f64>,
    /// The server's SOFTWARE.
    pub software: Option<String>,
    /// What went wrong, or `null`.
    pub error: Option<ServerError>,
    /// The local address the requests went from.
    pub local_address: Option<SocketAddr>,
    /// The server address the requests went to (after DNS and ALTERNATE-SERVER).
    pub server_address: Option<SocketAddr>,
    /// RESPONSE-ORIGIN, when the server sent it.
    pub response_origin: Option<SocketAddr>,
    /// OTHER-ADDRESS (RFC 5780), when the server sent it.
    pub other_address: Option<SocketAddr>,
    /// The REALM of the server's challenge.
    pub realm: Option<String>,
    /// Where a 300 Try Alternate sent us (the address that answered it is in the steps).
    pub alternate_server: Option<SocketAddr>,
    /// Requests sent, retransmissions included.
    pub transmissions: u32,
    /// For allocations: whether the Refresh with LIFETIME 0 that releases it was answered.
    pub released: Option<bool>,
    /// Why the release did not work, when it did not.
    pub release_error: Option<String>,
    /// The relay test of an allocation: whether data went through the relay both ways.
    pub relay_test: Option<RelayTestResult>,
    /// What this probe added to the candidates, or why it added nothing.
    pub note: Option<String>,
    /// Milliseconds from the start of the run to the verdict.
    pub elapsed_ms: Option<f64>,
    /// Every step, in order.
    pub steps: Vec<Step>,
}

impl ServerReport {
    /// An empty report for a server, before anything happened.
    pub fn new(url: String, kind: &'static str, transport: &'static str) -> Self {
        ServerReport {
            url,
            kind,
            transport,
            ok: false,
            rtt_ms: None,
            mapped_address: None,
            relayed_address: None,
            lifetime_s: None,
            allocated_ms: None,
            software: None,
            error: None,
            local_address: None,
            server_address: None,
            response_origin: None,
            other_address: None,
            realm: None,
            alternate_server: None,
            transmissions: 0,
            released: None,
            release_error: None,
            relay_test: None,
            note: None,
            elapsed_ms: None,
            steps: Vec::new(),
        }
    }
}

/// The relay test of one allocation (`relay_test` of a server report): a datagram from our
/// UDP socket to the relayed address came back through the server (inbound), and data sent
/// through the server to our socket arrived from the relay (outbound).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RelayTestResult {
    /// Both legs arrived.
    pub ok: bool,
    /// The outbound leg's round trip (us, the server, the relay, us): the relay RTT.
    pub rtt_ms: Option<f64>,
    /// The inbound leg's round trip (us, the relayed address, the server, us).
    pub inbound_ms: Option<f64>,
    /// How the outbound probe went to the server: `channel` (ChannelData) or
    /// `send-indication`.
    pub via: &'static str,
    /// Our address the relay was told about (the channel's peer).
    pub peer: SocketAddr,
    /// Our address as the relay saw the inbound probe come from, when the inbound leg arrived.
    pub seen_from: Option<SocketAddr>,
    /// Where the relay's packets came from, when not from the relayed address (a server
    /// behind NAT advertising its inside address).
    pub relay_source: Option<SocketAddr>,
    /// What went wrong, in words, or `null`.
    pub error: Option<String>,
}

/// Candidates gathered, by type.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Host candidates.
    pub host: usize,
    /// Server-reflexive candidates.
    pub srflx: usize,
    /// Relay candidates.
    pub relay: usize,
}

impl Counts {
    /// Count a list of candidates.
    pub fn of(candidates: &[GatheredCandidate]) -> Self {
        let mut c = Counts::default();
        for g in candidates {
            match g.typ() {
                CandidateType::Host => c.host += 1,
                CandidateType::Srflx => c.srflx += 1,
                CandidateType::Relay => c.relay += 1,
                CandidateType::Prflx => {}
            }
        }
        c
    }
}

/// The `gather --json` document.
#[derive(Debug, Clone, Serialize)]
pub struct GatherReport {
    /// Which engine gathered: `diag` or `webrtc`.
    pub engine: &'static str,
    /// Every candidate, in the order they arrived.
    pub candidates: Vec<GatheredCandidate>,
    /// One verdict per server and local address.
    pub servers: Vec<ServerReport>,
    /// Milliseconds from the start to the end of gathering (allocations released after).
    pub done_ms: f64,
    /// Candidates by type.
    pub counts: Counts,
    /// The plain-language diagnosis, most important first.
    pub diagnosis: Vec<String>,
    /// Remarks on the run itself (servers skipped, interfaces left out, engine limits).
    pub notes: Vec<String>,
}
