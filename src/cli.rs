//! The whole command-line definition. `main` parses it; completions and man pages are
//! generated from the same [`command`].

use std::path::PathBuf;

use clap::{ArgAction, Args, CommandFactory, Parser, Subcommand};

use crate::core::output::{ColorChoice, Mode, Output};
use crate::{Error, Outcome, Result};

/// A command-line WebRTC toolkit.
#[derive(Debug, Parser)]
#[command(
    name = "rtctool",
    version,
    disable_version_flag = true,
    about = "A command-line WebRTC toolkit: STUN/TURN, ICE, SDP and capture diagnostics",
    long_about = "A command-line WebRTC toolkit: STUN/TURN, ICE, SDP and capture diagnostics.\n\n\
Exit codes, for every command: 0 ok and nothing found; 1 the command worked and found \
something (differences, lint errors, a failing server, no connection); 2 usage error; 3 input \
error (unreadable or unparseable input, a corrupted message); 4 network error.",
    subcommand_value_name = "COMMAND",
    subcommand_help_heading = "Commands"
)]
pub struct Cli {
    /// When to use colour: auto (only on a terminal, NO_COLOR honoured), always or never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true, value_name = "WHEN", help_heading = "Global options")]
    pub color: ColorChoice,

    /// Print only results and errors.
    #[arg(short, long, global = true, conflicts_with = "verbose", help_heading = "Global options")]
    pub quiet: bool,

    /// More detail (repeat for more).
    #[arg(short, long, action = ArgAction::Count, global = true, help_heading = "Global options")]
    pub verbose: u8,

    /// Print one JSON document on stdout when the command ends.
    #[arg(long, global = true, conflicts_with = "ndjson", help_heading = "Global options")]
    pub json: bool,

    /// Stream one JSON object per line on stdout as things happen.
    #[arg(long, global = true, help_heading = "Global options")]
    pub ndjson: bool,

    /// Print version.
    #[arg(long, action = ArgAction::Version)]
    pub version: Option<bool>,

    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Decode and verify STUN/TURN messages.
    #[command(
        subcommand,
        long_about = "Decode and verify STUN/TURN messages and TURN ChannelData frames: every \
attribute typed and named (RFC 8489, 5389, 3489, 8656, 6062, 5780, 8445, MS-TURN, GOOG-*), \
FINGERPRINT and MESSAGE-INTEGRITY(-SHA256) checked, damage reported with its offset."
    )]
    Stun(StunCommand),
    /// Dissect STUN/TURN (and the DTLS/RTP/RTCP beside it) in pcap/pcapng captures.
    #[command(subcommand)]
    Pcap(PcapCommand),
    /// Show, lint, diff and check SDP offers and answers.
    #[command(
        subcommand,
        long_about = "Show, lint, diff and check SDP offers and answers as pasted from browser \
consoles, signalling logs and webrtc-internals: raw SDP (CRLF, LF or mixed line endings), an \
RTCSessionDescription as JSON ({\"type\": \"offer\", \"sdp\": \"v=0\\r\\n...\"}) or the SDP as a JSON \
string, detected automatically. Parsing is lossless and tolerant: a bad line is reported with its \
line number and the rest is still read."
    )]
    Sdp(SdpCommand),
    /// Find out what NAT (if any) is between this host and the Internet (RFC 5780).
    #[command(
        name = "nat-type",
        long_about = "Find out what NAT or firewall is between this host and the Internet, with \
RFC 5780 behaviour discovery against a STUN server that supports it (two IP addresses, two \
ports, CHANGE-REQUEST; coturn does with two listening IPs).\n\n\
Mapping behaviour (RFC 5780 4.3): Binding requests from one socket to the primary address, the \
alternate IP and the alternate IP and port; the mapped addresses say whether the NAT keeps one \
public address for every destination (endpoint-independent), one per destination IP \
(address-dependent) or one per destination IP and port (address-and-port-dependent). When the \
mapped address is the socket's own address there is no NAT.\n\n\
Filtering behaviour (RFC 5780 4.4): from a fresh socket, requests asking the server to answer \
from its other IP and port, then from its other port only; which answers get through says what \
the NAT or firewall lets in.\n\n\
The verdict is given in both vocabularies (RFC 4787 behaviours and the classic open internet, \
full cone, restricted cone, port-restricted cone, symmetric, symmetric UDP firewall, UDP \
blocked, or unknown with the reason), with the evidence: every test, where its answer came \
from, what was mapped. An answer counts only with the right transaction id from the address the \
test expects, so a server that ignores CHANGE-REQUEST is reported as such; requests are \
retransmitted with the same transaction id, so one lost packet is not read as filtering; \
MAPPED-ADDRESS is compared with XOR-MAPPED-ADDRESS to spot a rewriting ALG; OTHER-ADDRESS is \
checked before it is used.\n\n\
Fast: the tests run concurrently on their own sockets. --timeout bounds the wait for the \
server's first answer (and DNS); the later tests wait in proportion to the measured round trip \
(5 x max(3 x RTT, 100 ms)) before counting a test as unanswered.\n\n\
--lifetime measures how long the NAT keeps an idle binding (RFC 5780 4.6): bindings are made \
together and each is probed once, after a growing idle time (1, 2, 4... s), from another socket \
with RESPONSE-PORT set to the binding's port, so the probe does not refresh it; the first \
binding gone brackets the lifetime, and rounds of three new bindings narrow it to a second. It \
takes about twice the lifetime; MAX bounds the idle times tried.\n\n\
--tcp also finds the mapping behaviour of TCP: three connections from one local port to the \
primary address, the alternate IP, and the alternate IP and port, their mapped addresses \
compared (there is no TCP filtering test). It works when UDP is blocked too.\n\n\
--json prints {mapping, filtering, nat_type, local_address, mapped_address, rfc5780_supported, \
behind_nat, reason, server, other_address, alg_detected, hairpinning, tests: [...], done_ms, \
binding_lifetime, tcp: {mapping, behind_nat, evidence, tests: [...]}, ...}; \
mapping and filtering are endpoint-independent, address-dependent, address-and-port-dependent \
or null; nat_type is open-internet, full-cone, restricted-cone, port-restricted-cone, symmetric, \
symmetric-udp-firewall, udp-blocked or unknown. --ndjson streams one object per test as it \
ends, then the result.\n\n\
Exit codes: 0 a verdict was reached; 1 UDP is blocked, or no verdict (unknown, with the reason); \
2 usage error; 4 the server could not be reached (DNS failure, ICMP unreachable, or it alone \
stayed silent while --server2 answered) or a socket could not be bound.",
        after_help = "Examples:\n  rtctool nat-type stun.example.org\n  rtctool nat-type 203.0.113.10:3478 --hairpin -v\n  rtctool nat-type stun.example.org --lifetime=2m\n  rtctool nat-type stun.example.org --tcp\n  rtctool nat-type stun:stun.example.org --server2 stun2.example.net\n  rtctool --json nat-type 203.0.113.10 | jq -r .nat_type"
    )]
    NatType(NatTypeArgs),
    /// Gather ICE candidates like a browser, with a verdict on every STUN/TURN server.
    #[command(
        long_about = "Gather ICE candidates the way a browser does (the webrtc samples \"Trickle \
ICE\" page, from a terminal), and say for every STUN and TURN server whether it works and, if \
not, what happened.\n\n\
Host candidates come from every interface that is up (IPv4 and IPv6; loopback and link-local \
addresses only with --loopback, --link-local or --interface, or when a server is on the \
loopback). From each local address: a STUN Binding to every --stun server (the mapped address \
becomes a srflx candidate, deduplicated as Chromium does: not when it is the local address, \
not twice per socket), and a TURN Allocate to every --turn server over UDP or TCP \
(?transport=tcp) or TLS (turns:): the 401 challenge is answered with the long-term credentials, a 438 stale \
nonce is followed, a 300 Try Alternate is followed to its ALTERNATE-SERVER, an IPv6 path asks \
for an IPv6 relay (REQUESTED-ADDRESS-FAMILY). The relayed address becomes a relay candidate \
(and, over UDP, the mapped address a srflx one: a TURN server is a STUN server too). TLS \
(turns:, stuns:) checks the server certificate against the system CA bundle (or --ca-file) and \
the server name; --insecure skips the check. Every server is probed at once; requests are retransmitted over UDP with the same transaction id \
(RTO 250 ms, doubling) and every answer is checked: transaction id, source address, \
FINGERPRINT, and MESSAGE-INTEGRITY once keyed. Allocations are released (Refresh with \
LIFETIME 0) before the command ends. Ctrl-C stops the probes under way (error kind \
interrupted) and still releases the allocations made; a second Ctrl-C ends at once.\n\n\
--engine webrtc gathers with a real WebRTC stack instead (webrtc-rs 0.21): a peer connection \
with the ICE servers and policy, createOffer, setLocalDescription, each onicecandidate printed \
as it trickles, until gathering is complete. Its candidates go in the same table; where it \
cannot see an error it says so: webrtc-rs never fires onicecandidateerror (what it logged is \
shown instead), skips TURN over TCP and TLS, and does not say which STUN server a srflx came \
from.\n\n\
Priorities and foundations follow Chromium: type preference (host 126, srflx 100, relay 2 over \
UDP, 1 over TCP, 0 over TLS; TCP host 90) | local preference (127 for the first interface, one \
less per next, << 8 | 30 for IPv4, 40 for IPv6) | 256 - component.\n\n\
Credentials: turn:USER:PASS@HOST in the URL, else --username and --password (or \
--password-file), else RTCTOOL_TURN_USERNAME and RTCTOOL_TURN_PASSWORD. The password is never \
printed.\n\n\
Output: each candidate as it arrives with the milliseconds since the start, a failing server \
when it fails, then a verdict per server (RTT, mapped and relayed address, lifetime, SOFTWARE), \
the done time with the counts by type, and a diagnosis in plain words. Failures say what \
happened: DNS failure, no answer after N transmissions, ICMP unreachable (with who sent it), \
refused TCP connection, a TLS failure (untrusted or wrong-name certificate), the STUN error code and reason (401, 438, 441, 437, 486, 508...), an \
answer that failed MESSAGE-INTEGRITY or came from the wrong address. --timeout bounds the \
whole gathering (and DNS and connections); releasing the allocations takes at most 1 s more.\n\n\
--json prints {candidates: [{foundation, component, protocol, priority, address, port, type, \
related_address, related_port, tcptype, url, relay_protocol, elapsed_ms, ...}], servers: [{url, \
kind, transport, ok, rtt_ms, mapped_address, relayed_address, lifetime_s, software, error: \
{code, reason, kind} | null, local_address, released, steps, ...}], done_ms, counts, diagnosis}; \
error.code is the STUN error code, or 701 when the server could not be reached (as in \
RTCPeerConnectionIceErrorEvent). --ndjson streams candidate, server, complete and released \
events, then a done summary.\n\n\
Exit codes: 0 every server answered as expected (or there was none); 1 a server failed; 2 \
usage error; 3 the password file or --ca-file is unreadable; 4 no server could be reached at all, or no \
socket could be bound.",
        after_help = "Examples:\n  rtctool gather --stun stun.example.org:3478\n  rtctool gather --turn turn:alice@turn.example.org --password-file ~/.turnpass\n  RTCTOOL_TURN_PASSWORD=secret rtctool gather --turn 'turn:alice@turn.example.org?transport=tcp' --relay-only\n  rtctool gather --stun stun:127.0.0.1:3478 --interface lo -v\n  rtctool gather --engine webrtc --stun stun.example.org --turn turn:alice@turn.example.org\n  rtctool --json gather --turn turn:alice@turn.example.org | jq '.servers[] | {url, ok, error}'"
    )]
    Gather(GatherArgs),
    /// Run a whole WebRTC call between two peers in this process, and measure it.
    #[command(
        long_about = "Run a whole WebRTC call between two peer connections in this process \
(webrtc-rs): offer and answer, trickle ICE candidates handed across as they are gathered, ICE, \
DTLS, SCTP and SRTP, then media and data for --duration. No server, camera or microphone is \
needed: each peer sends synthetic audio (Opus payload format, 20 ms frames) and video (VP8 \
payload format at --bitrate and --fps) frames that carry their sequence number, send time and \
a CRC-32, so the other peer verifies every frame end to end. A data channel exchanges \
verified, echoed messages (RTT), or with --throughput sends bulk data as fast as flow control \
allows.\n\n\
The report is a timeline from the first offer (gathering, first candidate on each side, ICE \
checking and connected, DTLS connected, data channel open, first RTP packet, first complete \
frame), the selected candidate pair (types, addresses, protocol, RTT), per stream \
packets/bytes sent and received, loss, jitter in ms, RTT, NACKs and repaired packets, frames \
sent/verified/corrupted/late/lost and frame latency, and the data channel's throughput in \
Mbit/s (10^6 bits per second). On a terminal, live figures are shown every second. Ctrl-C \
ends the call and still prints the report.\n\n\
--loss, --delay and --jitter put an in-process UDP relay between the peers (their host \
candidates rewritten to point at it) that drops and delays packets in both directions, from \
the first ICE check on (with --lossless-setup, from the media on); jitter varies each packet's \
delay within +/- the value without reordering. DTLS and SCTP resend a lost handshake flight \
after a second, then two, four..., so a lossy setup can take seconds. Lost video packets are recovered by NACK and retransmission, audio ones are not, \
the data channel's SCTP retransmits. --ice-server with --relay-only forces the call through a \
TURN server (both peers gather only relay candidates): an end-to-end TURN test.\n\n\
Both peers bind 127.0.0.1 (::1 with --ipv6), or every interface of the family when an \
--ice-server is not on the loopback. Timings start when the offer is created; timings_ms.setup \
(building both peer connections, certificates included) is reported apart. ICE checks are paced \
at 10 ms and webrtc-rs's driver is woken every millisecond while connecting (its default 200 ms \
pacing, and packets it queues on internal events waiting for its next timer, would make most of \
the connect time); peer to peer on the loopback the SCTP window is 64 KiB, so bursts fit the UDP \
sockets' default receive buffers. --stock-timers measures the library as it comes.\n\n\
--media-file plays IVF (VP8, VP9, AV1) or Ogg/Opus files in a loop instead of synthetic frames; \
each frame that arrives is checked against the sender's record of what it sent (CRC-32; AV1 \
frames in a canonical form, since its RTP payload format rewrites the OBUs).\n\n\
--json prints {connected, timings_ms: {gathering, ice_connected, dtls_connected, \
data_channel_open, first_media, ...}, timeline: [...], selected_pair: {local, remote, \
rtt_ms}, media: {streams: [...]}, data_channel: {bytes, throughput_mbps, ...}, checks: [...]}; \
--ndjson streams timeline events and one stats object per second, then the report.\n\n\
Exit codes: 0 the call connected and media and data flowed as configured; 1 it connected but \
a check failed (frame loss above --max-loss, a corrupted frame or message, a stream or the \
data channel that carried nothing); 2 usage error; 4 the call never connected within \
--timeout (the report says what was reached), or a socket could not be bound.",
        after_help = "Examples:\n  rtctool loopback\n  rtctool loopback --media none --throughput --duration 3s\n  rtctool loopback --media-file clip.ivf --media-file speech.ogg\n  rtctool loopback --loss 5 --delay 40ms --jitter 10ms --max-loss 10\n  rtctool loopback --ice-server turn:alice@turn.example.org --relay-only\n  rtctool --json loopback --duration 2s | jq .timings_ms"
    )]
    Loopback(LoopbackArgs),
    /// Call a peer (or wait for its call) through a peerconnection signalling server, and measure it.
    #[command(
        long_about = "One peer of a WebRTC call between two machines (or a machine and a \
browser), signalled through a server that speaks libwebrtc's peerconnection protocol: `rtctool \
signal serve`, the native peerconnection_server, or any other. On the wire it behaves as \
peerconnection_client does: HTTP/1.0 requests with its header case, one per connection, the \
hanging GET re-issued as soon as it is answered; {\"type\": \"offer\"|\"answer\", \"sdp\": ...} and \
{\"sdpMid\", \"sdpMLineIndex\", \"candidate\"} messages posted one at a time in order, candidates \
trickled as they are gathered; BYE hangs up.\n\n\
--to PEER (a name or an id) waits for that member to sign in, then offers; --wait answers \
the first member that offers and ignores the others meanwhile. The peer connection, media, \
data channel and report are loopback's. Each side sends a built-in 2 s VP8 test pattern and \
Opus chirp, looped, which browsers decode (--media-source synthetic sends loopback's \
synthetic frames instead, --media-file a file), and the caller opens a data channel whose \
pings the far end echoes (every data-channel message the remote sends is echoed back \
unchanged). Between two rtctools every frame is verified at the receiver (a clip against its \
own copy of the clip), and each side sends its report to the other over the signalling \
channel (a key other clients ignore), so each report carries the whole picture \
(remote_report). Media from another implementation, or from a file, is measured, not \
verified.\n\n\
The report: a timeline from signing in (signed in, peer found, offer sent or received, \
answer, candidates both ways, ICE checking and connected, DTLS, data channel open, first media); \
timings from the offer; the selected pair; the connectivity checks our sockets sent and \
received, by address, with their answers (wire); streams both ways; the data channel; a \
diagnosis in plain words when the call did not connect (the peer never came, the answer never \
came, no pair got a response; from both sides' wire records: our checks to its public address \
unanswered and whether they reached it, its checks from another port than its public one, its \
checks never arriving; the call went through the relay, no TURN server to fall back on; with --nat-check, both NATs' mapping and filtering \
behaviour, the predicted cell of the traversal table and whether the call matched it). \
--timeout bounds signing in and finding the peer, then connecting; --duration is how long \
media and data flow once connected.\n\n\
Exit codes: 0 connected and every check passed; 1 connected but a check failed; 2 usage error; \
3 a bad media file; 4 the server could not be reached, the peer never came, or the call never \
connected.",
        after_help = "Examples:\n  rtctool call --signal http://192.0.2.10:8888 --wait --name alice\n  rtctool call --signal http://192.0.2.10:8888 --to alice --name bob\n  rtctool call --signal 192.0.2.10 --to alice --ice-server turn:u:p@192.0.2.10 --relay-only\n  rtctool --json call --signal http://127.0.0.1:8888 --to alice --bind 127.0.0.1 | jq .timings_ms"
    )]
    Call(CallArgs),
    /// Signalling: a server compatible with libwebrtc's peerconnection_server.
    #[command(subcommand)]
    Signal(SignalCommand),
    /// A Prometheus exporter for STUN and TURN servers (blackbox-exporter style).
    #[command(
        long_about = "A Prometheus exporter for STUN and TURN servers, in the blackbox-exporter \
style. GET /probe?target=URL&module=NAME runs one probe now and answers with its metrics \
(OpenMetrics text): a Binding for stun: targets, an Allocate with the relay test for turn: \
ones, over UDP, TCP or TLS as the URL says, with rtctool_probe_success, \
rtctool_probe_duration_seconds, rtctool_stun_rtt_seconds, rtctool_turn_allocate_seconds, \
rtctool_turn_relay_test_success, rtctool_turn_relay_rtt_seconds, rtctool_probe_error_code (the \
STUN code, 701 when unreachable, 0 on success) and rtctool_probe_failure_info{kind}. \
&debug=true adds every step of the probe. GET /metrics: the exporter's own counters, and the \
latest results of the configuration's background targets (labels target and module).\n\n\
The configuration (TOML, --config) has modules ([module.NAME]: username, password_file or \
password_env, auth_secret_file or auth_secret_env with auth_ttl for TURN REST credentials, \
timeout, relay_test, family = ipv4|ipv6|any, insecure, ca_file), targets probed in the \
background ([[target]]: url, module, interval) and limits ([exporter]: \
max_concurrent_probes, max_connections, request_timeout). A /probe without module uses the \
module default: no credentials, 3s, relay test on. Secrets come from files or environment \
variables, are read at start, and appear in no label, answer or log; a target URL with \
credentials is refused.\n\n\
Bounded: at most max_concurrent_probes probes run at once (default 16; a scrape that gets no \
slot within its module's timeout is answered 503), every probe ends within its timeout plus \
the relay test and the release, connections are capped, a request must arrive within \
request_timeout. Bad parameters get 400 with the reason.\n\n\
Exit codes: 0 stopped with Ctrl-C; 2 usage error; 3 a bad configuration file (the error names \
the line); 4 the address cannot be listened on.",
        after_help = "Examples:\n  rtctool exporter --listen 127.0.0.1:9799 --config /etc/rtctool/exporter.toml\n  curl 'http://127.0.0.1:9799/probe?target=stun:stun.example.org:3478'\n  curl 'http://127.0.0.1:9799/probe?target=turn:turn.example.org&module=turn_alice&debug=true'"
    )]
    Exporter(ExporterArgs),
    /// TURN: a load generator.
    #[command(subcommand)]
    Turn(TurnCommand),
    /// Print a shell completion script.
    Completions(CompletionsArgs),
}

/// Arguments of `rtctool call`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("whom").required(true).args(["to", "wait"])))]
pub struct CallArgs {
    /// The signalling server: http://HOST[:PORT] (port 8888 by default).
    #[arg(long, value_name = "URL", value_parser = crate::call::signaling::SignalUrl::parse)]
    pub signal: crate::call::signaling::SignalUrl,

    /// The name to sign in with (default: rtctool-PID).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,

    /// Call this member (its name, or its id).
    #[arg(long, value_name = "PEER")]
    pub to: Option<String>,

    /// Wait for a member's offer and answer it.
    #[arg(long)]
    pub wait: bool,

    #[command(flatten)]
    pub ice: WebrtcIceArgs,

    /// Use relay candidates only.
    #[arg(long)]
    pub relay_only: bool,

    /// How long ICE waits for a direct pair to answer before it takes a relay pair, counted
    /// from the start of the checks (webrtc-rs does not switch pairs once one is selected, so a
    /// relay taken early stays). Default: 60 ms plus 4 round trips to the TURN server, measured
    /// with a Binding request while signing in (2 s when it does not answer).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub relay_wait: Option<std::time::Duration>,

    /// How long media and data flow once the call is up.
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = parse_duration)]
    pub duration: std::time::Duration,

    /// How long signing in, finding the peer and connecting may take.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_duration)]
    pub timeout: std::time::Duration,

    /// Which media we send.
    #[arg(long, value_enum, value_name = "KIND", default_value = "both")]
    pub media: crate::loopback::MediaKind,

    /// What the data channel does (the caller opens it; the callee echoes).
    #[arg(long, value_enum, value_name = "MODE", default_value = "ping")]
    pub datachannel: crate::loopback::DataChannelMode,

    /// What to send for a kind without a --media-file: the built-in VP8/Opus clips (which
    /// browsers decode), or synthetic frames.
    #[arg(long, value_enum, value_name = "SOURCE", default_value = "clip")]
    pub media_source: crate::call::MediaSource,

    /// Play this file instead: IVF (VP8, VP9, AV1) or Ogg/Opus (one per kind).
    #[arg(long = "media-file", value_name = "FILE")]
    pub media_files: Vec<PathBuf>,

    /// The local address to gather host candidates on (default: every interface).
    #[arg(long, value_name = "ADDR", default_value = "0.0.0.0")]
    pub bind: std::net::IpAddr,

    /// Fail (exit 1) when a verified stream loses more than this percentage of its frames.
    #[arg(long, value_name = "PCT", default_value = "5", value_parser = crate::loopback::parse_percent)]
    pub max_loss: f64,

    /// Our DTLS role when we answer: client (a=setup:active, as browsers answer) or server
    /// (a=setup:passive). When we call, the answer decides.
    #[arg(long, value_enum, value_name = "ROLE", default_value = "client")]
    pub dtls_role: crate::loopback::DtlsRole,

    /// First run nat-type's RFC 5780 tests against the (first) STUN server, swap the result
    /// with an rtctool peer, and report the predicted cell of the NAT traversal table (direct
    /// path or relay) and whether the call matched it. Our NAT's filtering also orders the
    /// checks: behind one that filters by address at most, ours to the peer's public address
    /// go at once; behind one that filters by address and port, they wait 100 ms.
    #[arg(long)]
    pub nat_check: bool,
}

impl CallArgs {
    /// The call module's options.
    pub fn options(&self) -> crate::call::CallOptions {
        crate::call::CallOptions {
            signal: self.signal.clone(),
            name: self.name.clone().unwrap_or_else(|| format!("rtctool-{}", std::process::id())),
            target: match &self.to {
                Some(p) => crate::call::Target::Peer(p.clone()),
                None => crate::call::Target::Wait,
            },
            ice: self.ice.options(),
            relay_only: self.relay_only,
            relay_wait: self.relay_wait,
            duration: self.duration,
            timeout: self.timeout,
            media: self.media,
            media_source: self.media_source,
            datachannel: self.datachannel,
            media_files: self.media_files.clone(),
            bind: self.bind,
            max_loss: self.max_loss,
            dtls_role: self.dtls_role,
            nat_check: self.nat_check,
        }
    }
}

/// `rtctool signal ...`
#[derive(Debug, Subcommand)]
pub enum SignalCommand {
    /// Run a signalling server that speaks libwebrtc's peerconnection_server protocol.
    #[command(
        long_about = "Run a signalling server that speaks the protocol of libwebrtc's \
peerconnection_server byte for byte, so native peerconnection_client programs, `rtctool call` \
and browser pages can find each other and exchange offers, answers and ICE candidates.\n\n\
The protocol: one request per TCP connection, every answer with Connection: close and a \
Content-Length. GET /sign_in?NAME signs in (the raw query is the name; empty gives peer_ID; \
commas become _; ids count up from 1 and are never reused) and answers 200 with Pragma: ID and \
one line NAME,ID,1 per member, the new one first; the others are told NAME,ID,1 through their \
hanging GET. GET /wait?peer_id=ID is the hanging GET: it is answered with the next queued item \
(Pragma: the waiter's own id for a server notification NAME,ID,0|1, the sender's id for a \
message), or parked until there is one. POST /message?peer_id=FROM&to=TO delivers its body \
verbatim, with the sender's Content-Type, to TO (to oneself: echoed back; an unknown peer: 500 \
'Peer most likely gone.'). GET /sign_out?peer_id=ID signs out. A member with no parked GET for \
more than 30 s is dropped; leaving is announced as NAME,ID,0. CORS headers go on every answer \
and OPTIONS is answered, so pages on any origin can use the server.\n\n\
Where it differs from the native server, on purpose: GET /quit is refused (403); GET / serves \
a browser peer page; a second hanging GET for one member closes the first; and everything a \
client can make it spend is bounded: connections (--max-connections, then 503), members \
(--max-peers, then 503 on sign-in), the time to send a request and to read an answer \
(--request-timeout, then 408), the request head (8 KiB, then 431), the body (--max-body, then \
413 before any of it is read), a POST without Content-Length (411) or Content-Type or body \
(400), messages queued for one member (--max-queued, then 503 to the sender: nothing is \
dropped unseen). Announcements are stored once for all members, so n sign-ins cost O(n) \
memory; a member so far behind that the announcement log (65,536 entries) no longer holds what \
it has not read is dropped and announced gone, as the native server drops a member it cannot \
deliver to.\n\n\
Logs sign-ins, departures, refusals and message sizes (never bodies) on stderr; --ndjson \
prints them as JSON events on stdout (listening, signed-in, left, message, refused). Ctrl-C \
or SIGTERM stops it and prints the totals (--json: {connections, sign_ins, messages, \
message_bytes, refused, peak_members}).\n\n\
Exit codes: 0 stopped cleanly; 2 usage error; 4 the address could not be bound.",
        after_help = "Examples:\n  rtctool signal serve\n  rtctool signal serve --listen 127.0.0.1:8888\n  rtctool --ndjson signal serve --listen [::]:8888 --max-peers 50000"
    )]
    Serve(SignalServeArgs),
}

/// `rtctool turn ...`.
#[derive(Debug, Subcommand)]
pub enum TurnCommand {
    /// Load a TURN server: N allocations relaying paced traffic to each other; delivered,
    /// lost, duplicated and reordered packets, one-way delay, jitter, allocation latency.
    #[command(
        long_about = "A TURN load generator that measures delivered relay traffic at a controlled \
rate. --clients allocations (each on a UDP socket of its own) are opened (at --alloc-rate per \
second, or as fast as answered, 64 at a time), with long-term or TURN REST credentials; then \
they are paired and each pair relays to the other through the server, over ChannelData \
(default) or Send/Data indications (--send-indication). Every client sends --rate packets a \
second of --size bytes for --duration, paced on a timer wheel; each packet carries a sequence \
number and its send time, so the receiver (this process, one clock) counts delivered, lost, \
duplicated and reordered packets and measures one-way delay and jitter in microseconds; one \
packet in 50 is echoed back for a round trip. --ramp repeats the step with the rate raised by \
--ramp-step until a step loses more than --ramp-until percent (or --ramp-steps steps), and \
reports the highest rate relayed under it. --alloc-only opens the allocations, holds them for \
--duration (refreshing as needed) and releases them.\n\n\
Every allocation is released at the end (Ctrl-C too: sending stops, the allocations are \
released, the figures so far are reported). A live line per second on a terminal; --json the \
report; --ndjson a record a second and the report. --duration is at most 300 s per step \
unless --yes. Load only servers you run.\n\n\
Exit codes: 0 loss (of the first step) within --max-loss, or every allocation made with \
--alloc-only; 1 otherwise; 2 usage error; 3 unreadable password or secret file; 4 no allocation \
could be made.",
        after_help = "Examples:\n  rtctool turn load --server turn:127.0.0.1:3478 -u alice --password-file pass\n  rtctool turn load --server turn:alice:pw@198.51.100.7 --clients 100 --rate 50 --size 120 --duration 30s\n  rtctool turn load --server turn:alice:pw@198.51.100.7 --ramp --rate 500 --ramp-step 500 --ramp-until 1\n  rtctool --json turn load --server turn:alice:pw@198.51.100.7 --alloc-only --clients 500 --alloc-rate 100"
    )]
    Load(TurnLoadArgs),
}

/// How a `turns:`/`stuns:` server's certificate is checked: one set of flags for gather and
/// turn load.
#[derive(Debug, Args)]
pub struct TlsArgs {
    /// Do not check the TLS certificate of turns:/stuns: servers.
    #[arg(long)]
    pub insecure: bool,

    /// Trust the CA certificates in this PEM file (for turns:/stuns:) instead of the system's.
    #[arg(long, value_name = "FILE", conflicts_with = "insecure")]
    pub ca_file: Option<PathBuf>,
}

impl TlsArgs {
    /// The TLS module's options.
    pub fn options(self) -> crate::core::tls::TlsOptions {
        crate::core::tls::TlsOptions { insecure: self.insecure, ca_file: self.ca_file }
    }
}

/// Arguments of `rtctool turn load`.
#[derive(Debug, Args)]
pub struct TurnLoadArgs {
    /// The TURN server: turn:[USER[:PASS]@]HOST[:PORT][?transport=tcp] (UDP, or TCP), or
    /// turns:HOST[:PORT] (TLS over TCP).
    #[arg(long, value_name = "URL", value_parser = IceUrlParser)]
    pub server: crate::core::ice::IceUrl,

    #[command(flatten)]
    pub auth: TurnAuthArgs,

    /// Allocations (each on a UDP socket of its own).
    #[arg(long, value_name = "N", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=20_000))]
    pub clients: u32,

    /// Allocations started per second (default: as fast as answered, 64 outstanding).
    #[arg(long, value_name = "PER_SECOND", value_parser = parse_positive)]
    pub alloc_rate: Option<f64>,

    /// Only allocate: hold the allocations for --duration, then release them.
    #[arg(long)]
    pub alloc_only: bool,

    /// Relay with Send and Data indications instead of channels.
    #[arg(long)]
    pub send_indication: bool,

    /// Packets per second each client sends.
    #[arg(long, value_name = "PPS", default_value = "50", value_parser = parse_positive)]
    pub rate: f64,

    /// Bytes per packet (TURN payload).
    #[arg(long, value_name = "BYTES", default_value_t = 120, value_parser = clap::value_parser!(u32).range(26..=8192))]
    pub size: u32,

    /// How long to send (each step, with --ramp), or to hold the allocations.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    pub duration: std::time::Duration,

    /// Raise the rate step by step until a step loses more than --ramp-until.
    #[arg(long)]
    pub ramp: bool,

    /// Packets per second added per client at each step (default: --rate).
    #[arg(long, value_name = "PPS", requires = "ramp", value_parser = parse_positive)]
    pub ramp_step: Option<f64>,

    /// The ramp ends after a step with more loss than this (percent).
    #[arg(long, value_name = "PCT", default_value = "1", requires = "ramp", value_parser = crate::loopback::parse_percent)]
    pub ramp_until: f64,

    /// Steps of the ramp, at most.
    #[arg(long, value_name = "N", default_value_t = 10, requires = "ramp", value_parser = clap::value_parser!(u32).range(1..=100))]
    pub ramp_steps: u32,

    /// Exit 1 when more than this percentage of packets is lost (the first step's, with --ramp).
    #[arg(long, value_name = "PCT", default_value = "1", value_parser = crate::loopback::parse_percent)]
    pub max_loss: f64,

    /// Bounds each request, and the allocation, binding and release stages.
    #[arg(long, value_name = "DURATION", default_value = "3s", value_parser = parse_duration)]
    pub timeout: std::time::Duration,

    /// The local address to send from.
    #[arg(long, value_name = "ADDR")]
    pub bind: Option<std::net::IpAddr>,

    /// Allow a --duration over 300 s.
    #[arg(long)]
    pub yes: bool,

    #[command(flatten)]
    pub tls: TlsArgs,
}

fn parse_positive(s: &str) -> std::result::Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v <= 1e7 => Ok(v),
        _ => Err(format!("'{s}' is not a positive number")),
    }
}

impl TurnLoadArgs {
    /// The turn load module's options.
    pub fn options(self) -> crate::Result<crate::turnload::TurnLoadOptions> {
        if self.duration > crate::turnload::MAX_DURATION && !self.yes {
            return Err(crate::Error::usage(format!(
                "--duration {:?} is over {} s: give --yes to load the server that long",
                self.duration,
                crate::turnload::MAX_DURATION.as_secs()
            )));
        }
        if self.duration.is_zero() {
            return Err(crate::Error::usage("--duration must be more than 0"));
        }
        if !self.server.scheme.is_turn() {
            return Err(crate::Error::usage("--server takes a turn: URL"));
        }
        Ok(crate::turnload::TurnLoadOptions {
            server: self.server,
            username: self.auth.username,
            password: self.auth.password,
            password_file: self.auth.password_file,
            turn_env: turn_env(),
            rest: self.auth.rest.options(),
            load: crate::turnload::Load {
                clients: self.clients as usize,
                alloc_rate: self.alloc_rate,
                alloc_only: self.alloc_only,
                send_indication: self.send_indication,
                rate: self.rate,
                size: self.size as usize,
                duration: self.duration,
            },
            ramp: self.ramp.then(|| self.ramp_step.unwrap_or(self.rate)),
            ramp_until: self.ramp_until,
            ramp_steps: self.ramp_steps as usize,
            max_loss: self.max_loss,
            timeout: self.timeout,
            bind: self.bind,
            tls: self.tls.options(),
        })
    }
}

/// Arguments of `rtctool exporter`.
#[derive(Debug, Args)]
pub struct ExporterArgs {
    /// Where to listen: ADDR:PORT.
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:9799")]
    pub listen: std::net::SocketAddr,

    /// The configuration file (TOML): modules, background targets, limits.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

impl ExporterArgs {
    /// The exporter module's options.
    pub fn options(self) -> crate::exporter::ExporterOptions {
        crate::exporter::ExporterOptions { listen: self.listen, config: self.config }
    }
}

/// Arguments of `rtctool signal serve`.
#[derive(Debug, Args)]
pub struct SignalServeArgs {
    /// Where to listen: ADDR:PORT ([::]:8888 for IPv6).
    #[arg(long, value_name = "ADDR:PORT", default_value = "0.0.0.0:8888")]
    pub listen: std::net::SocketAddr,

    /// Members signed in at once.
    #[arg(long, value_name = "N", default_value_t = 15_000)]
    pub max_peers: usize,

    /// Open connections at once, parked hanging GETs included (the open-file limit is raised
    /// to fit when it can be).
    #[arg(long, value_name = "N", default_value_t = 16_384)]
    pub max_connections: usize,

    /// Largest message body, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 64 * 1024)]
    pub max_body: usize,

    /// Messages queued for one member that has no hanging GET parked.
    #[arg(long, value_name = "N", default_value_t = 256)]
    pub max_queued: usize,

    /// Time a client has to send its whole request, and to read the answer.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    pub request_timeout: std::time::Duration,
}

impl SignalServeArgs {
    /// The signal module's options.
    pub fn options(&self) -> crate::signal::ServeOptions {
        crate::signal::ServeOptions {
            listen: self.listen,
            max_peers: self.max_peers,
            max_connections: self.max_connections,
            max_body: self.max_body,
            max_queued: self.max_queued,
            request_timeout: self.request_timeout,
        }
    }
}

/// `rtctool stun ...`
#[derive(Debug, Subcommand)]
pub enum StunCommand {
    /// Decode one STUN/TURN message or TURN ChannelData frame (hex, base64, raw file or stdin).
    #[command(
        long_about = "Decode one STUN/TURN message or TURN ChannelData frame, as pasted from a log \
or captured raw.\n\n\
INPUT is hex (spaces, colons and 0x prefixes allowed), base64, a file of raw bytes (or of hex \
or base64 text), or - for standard input. FINGERPRINT is always verified; MESSAGE-INTEGRITY and \
MESSAGE-INTEGRITY-SHA256 are verified with --password (short-term credential) or --username, \
--realm and --password (long-term credential; the realm and username default to the ones in the \
message).\n\n\
Exit codes: 0 decoded and every check passed; 2 usage error; 3 the input is unreadable, not \
STUN, damaged (the error says what and at which offset), or a FINGERPRINT or integrity check \
failed (a message that fails its own checks is corrupted input).\n\n\
With -q nothing is printed when every check passes (errors still go to stderr); with -v the \
message's bytes follow the tree as a hex dump.",
        after_help = "Examples:\n  rtctool stun decode 000100582112a442b7e7a701bc34d686fa87dfae802200105354554e207465737420636c69656e74002400046e0001ff80290008932ff9b151263b36000600096576746a3a68367659202020000800149aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a280280004e57a3bcf --password VOkJxbRl1RmTxUk/WvJxBt\n  rtctool stun decode --password VOkJxbRl1RmTxUk/WvJxBt request.bin\n  pbpaste | rtctool stun decode - --json"
    )]
    Decode(StunDecodeArgs),
}

/// Arguments of `rtctool stun decode`.
#[derive(Debug, Args)]
pub struct StunDecodeArgs {
    /// The message: hex, base64, a file path, or - for stdin.
    #[arg(value_name = "INPUT")]
    pub input: String,

    /// Password for MESSAGE-INTEGRITY (short-term, or long-term with --username/--realm).
    #[arg(long, env = "RTCTOOL_STUN_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,

    /// Username for a long-term credential (default: the message's USERNAME).
    #[arg(long)]
    pub username: Option<String>,

    /// Realm for a long-term credential (default: the message's REALM). Giving --realm or
    /// --username selects the long-term credential mechanism.
    #[arg(long)]
    pub realm: Option<String>,

    /// Treat INPUT as this encoding instead of detecting it.
    #[arg(long, value_enum, value_name = "ENCODING")]
    pub format: Option<InputFormat>,
}

impl StunDecodeArgs {
    /// What `stun decode` is asked, for the command module.
    pub fn options(self) -> crate::stun::DecodeOptions {
        use crate::stun::Encoding;
        crate::stun::DecodeOptions {
            input: self.input,
            encoding: self.format.map(|f| match f {
                InputFormat::Hex => Encoding::Hex,
                InputFormat::Base64 => Encoding::Base64,
                InputFormat::Raw => Encoding::Raw,
            }),
            password: self.password,
            username: self.username,
            realm: self.realm,
        }
    }
}

/// How `stun decode` reads its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum InputFormat {
    /// Hexadecimal text.
    Hex,
    /// Base64 text (standard or URL-safe alphabet).
    Base64,
    /// Raw bytes.
    Raw,
}

/// Arguments of `rtctool nat-type`.
#[derive(Debug, Args)]
pub struct NatTypeArgs {
    /// An RFC 5780 STUN server: HOST[:PORT], [IPV6]:PORT or stun:HOST[:PORT] (port 3478 by default).
    #[arg(value_name = "SERVER[:PORT]", env = "RTCTOOL_NAT_SERVER", default_value = "stun.stunprotocol.org")]
    pub server: String,

    /// A second STUN server (RFC 5780 not needed): with a server that lacks RFC 5780, the
    /// mapping behaviour is still found by comparing the mappings from the two.
    #[arg(long, value_name = "HOST[:PORT]")]
    pub server2: Option<String>,

    /// Send the mapping tests from this local address and port.
    #[arg(long, value_name = "ADDR:PORT")]
    pub local: Option<std::net::SocketAddr>,

    /// Use IPv4 only.
    #[arg(short = '4', long = "ipv4", conflicts_with = "ipv6")]
    pub ipv4: bool,

    /// Use IPv6 only.
    #[arg(short = '6', long = "ipv6")]
    pub ipv6: bool,

    /// How long to wait for the server's first answer (and for DNS): 800ms, 2s, 1.5s...
    #[arg(long, value_name = "DURATION", default_value = "800ms", value_parser = parse_duration)]
    pub timeout: std::time::Duration,

    /// Also test hairpinning: send from a second socket to our own public address.
    #[arg(long)]
    pub hairpin: bool,

    /// Also find the mapping behaviour of TCP: three connections from one local port, to the
    /// server's primary address, its alternate IP, and its alternate IP and port (TCP has no
    /// filtering test: the server would have to connect in).
    #[arg(long)]
    pub tcp: bool,

    /// Also measure how long an idle UDP binding lives (up to MAX, default 5m): bindings probed
    /// after growing idle times, then bisected. Takes about twice the lifetime found.
    #[arg(long, value_name = "MAX", num_args = 0..=1, require_equals = true, default_missing_value = "5m",
          value_parser = parse_duration)]
    pub lifetime: Option<std::time::Duration>,
}

impl NatTypeArgs {
    /// What `nat-type` is asked, for the command module.
    pub fn options(self) -> crate::nat::NatTypeOptions {
        use crate::nat::Family;
        crate::nat::NatTypeOptions {
            discovery: crate::nat::Options {
                server: self.server,
                server2: self.server2,
                local: self.local,
                family: match (self.ipv4, self.ipv6) {
                    (true, _) => Some(Family::V4),
                    (_, true) => Some(Family::V6),
                    _ => None,
                },
                timeout: self.timeout,
                hairpin: self.hairpin,
                software: Some(format!("rtctool {}", env!("CARGO_PKG_VERSION"))),
            },
            lifetime: self.lifetime,
            tcp: self.tcp,
        }
    }
}

/// The STUN/TURN servers of a webrtc-rs call (loopback, call) and their credentials.
#[derive(Debug, Args)]
pub struct WebrtcIceArgs {
    /// A STUN or TURN server: stun:HOST[:PORT] or turn:[USER[:PASS]@]HOST[:PORT] (webrtc-rs
    /// relays over UDP only: no turns: or ?transport=tcp). Repeatable.
    #[arg(long = "ice-server", value_name = "URL", value_parser = IceUrlParser)]
    pub ice_servers: Vec<crate::core::ice::IceUrl>,

    /// TURN username when not in the URL (else RTCTOOL_TURN_USERNAME).
    #[arg(long, value_name = "USER")]
    pub username: Option<String>,

    /// TURN password when not in the URL (else RTCTOOL_TURN_PASSWORD). Never printed.
    #[arg(long, value_name = "PASSWORD")]
    pub password: Option<String>,

    #[command(flatten)]
    pub rest: RestArgs,
}

/// TURN long-term credentials for the servers of a command line (gather, turn load): a
/// username and a password or password file, or a TURN REST secret.
#[derive(Debug, Args)]
pub struct TurnAuthArgs {
    /// TURN username (when the URL has none).
    #[arg(short = 'u', long, value_name = "USER")]
    pub username: Option<String>,

    /// TURN password (when the URL has none; RTCTOOL_TURN_PASSWORD keeps it out of the shell
    /// history).
    #[arg(long, value_name = "PASSWORD", conflicts_with = "password_file")]
    pub password: Option<String>,

    /// Read the TURN password from the first line of this file.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["auth_secret", "auth_secret_file"])]
    pub password_file: Option<PathBuf>,

    #[command(flatten)]
    pub rest: RestArgs,
}

/// TURN REST API credentials (coturn's `use-auth-secret`): a shared secret instead of a password.
#[derive(Debug, Args)]
pub struct RestArgs {
    /// TURN REST shared secret (coturn static-auth-secret): the username becomes EXPIRY:USER
    /// (USER from the URL or --username), the password base64(HMAC-SHA1(secret, username)),
    /// as coturn computes it. Else RTCTOOL_TURN_SECRET. Never printed.
    #[arg(long, value_name = "SECRET", conflicts_with_all = ["password", "auth_secret_file"])]
    pub auth_secret: Option<String>,

    /// Read the TURN REST secret from the first line of this file.
    #[arg(long, value_name = "FILE", conflicts_with = "password")]
    pub auth_secret_file: Option<PathBuf>,

    /// How long the TURN REST credentials are valid from now: 86400 (seconds), 10m, 1.5s...
    #[arg(long, value_name = "DURATION", default_value = "86400", value_parser = parse_duration)]
    pub auth_ttl: std::time::Duration,
}

impl RestArgs {
    /// Where the secret comes from, for the command modules.
    pub fn options(&self) -> crate::core::ice::RestOptions {
        crate::core::ice::RestOptions {
            secret: self.auth_secret.clone().map(crate::core::ice::Secret::new),
            secret_file: self.auth_secret_file.clone(),
            ttl: self.auth_ttl,
        }
    }
}

/// Arguments of `rtctool loopback`.
#[derive(Debug, Args)]
pub struct LoopbackArgs {
    /// How long media and data flow once the call is up (0: stop as soon as it is up).
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = parse_duration)]
    pub duration: std::time::Duration,

    /// Which synthetic media each peer sends.
    #[arg(long, value_enum, value_name = "KIND", default_value = "both")]
    pub media: crate::loopback::MediaKind,

    /// Send this file instead of synthetic frames, in a loop: IVF (VP8, VP9, AV1) for video,
    /// Ogg/Opus for audio; each received frame is checked against what was sent. Repeatable
    /// (one per kind).
    #[arg(long = "media-file", value_name = "FILE")]
    pub media_files: Vec<PathBuf>,

    /// Video bitrate: bits per second, with k or M (10^3, 10^6) allowed: 500k, 2.5M.
    #[arg(long, value_name = "BITS", default_value = "1M", value_parser = crate::loopback::parse_bitrate)]
    pub bitrate: u64,

    /// Video frames per second (1 to 120).
    #[arg(long, value_name = "N", default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=120))]
    pub fps: u32,

    /// What the data channel does: ping (echoed, verified messages), bulk (send as fast as
    /// flow control allows, measure throughput) or none.
    #[arg(long, value_enum, value_name = "MODE", default_value = "ping")]
    pub datachannel: crate::loopback::DataChannelMode,

    /// Bulk data-channel transfer for the whole --duration (same as --datachannel bulk).
    #[arg(long, conflicts_with = "datachannel")]
    pub throughput: bool,

    #[command(flatten)]
    pub ice: WebrtcIceArgs,

    /// Use relay candidates only: the call goes through the TURN server(s) of --ice-server.
    #[arg(long)]
    pub relay_only: bool,

    /// Bind the peers to ::1 instead of 127.0.0.1.
    #[arg(short = '6', long)]
    pub ipv6: bool,

    /// Drop this percentage of packets in each direction (0 to 100).
    #[arg(long, value_name = "PCT", value_parser = crate::loopback::parse_percent,
          conflicts_with_all = ["relay_only", "ice_servers"])]
    pub loss: Option<f64>,

    /// Delay every packet by this much one way: 40ms, 0.1s (a bare number is milliseconds).
    #[arg(long, value_name = "MS", value_parser = crate::loopback::parse_millis,
          conflicts_with_all = ["relay_only", "ice_servers"])]
    pub delay: Option<std::time::Duration>,

    /// Vary each packet's delay within +/- this (without reordering): 10ms.
    #[arg(long, value_name = "MS", value_parser = crate::loopback::parse_millis,
          conflicts_with_all = ["relay_only", "ice_servers"])]
    pub jitter: Option<std::time::Duration>,

    /// With --loss, drop nothing until the call is up (ICE, DTLS and the data channel), so
    /// only the media and data phase is lossy; --delay and --jitter apply throughout.
    #[arg(long, requires = "loss")]
    pub lossless_setup: bool,

    /// Fail (exit 1) when a stream loses more than this percentage of its frames.
    #[arg(long, value_name = "PCT", default_value = "5", value_parser = crate::loopback::parse_percent)]
    pub max_loss: f64,

    /// How long the call may take to connect (ICE, DTLS, data channel) before giving up.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    pub timeout: std::time::Duration,

    /// Keep webrtc-rs's default timers (200 ms ICE checks) and do not wake its driver while
    /// connecting: the library's out-of-the-box connect time, for comparison.
    #[arg(long)]
    pub stock_timers: bool,
}

impl WebrtcIceArgs {
    /// The servers and where their credentials come from, for loopback and call.
    pub fn options(&self) -> crate::loopback::IceOptions {
        crate::loopback::IceOptions {
            urls: self.ice_servers.clone(),
            username: self.username.clone(),
            password: self.password.clone(),
            turn_env: turn_env(),
            rest: self.rest.options(),
        }
    }
}

impl LoopbackArgs {
    /// What `loopback` is asked, for the command module.
    pub fn options(self) -> crate::loopback::LoopbackOptions {
        crate::loopback::LoopbackOptions {
            duration: self.duration,
            media: self.media,
            media_files: self.media_files,
            bitrate: self.bitrate,
            fps: self.fps,
            datachannel: if self.throughput {
                crate::loopback::DataChannelMode::Bulk
            } else {
                self.datachannel
            },
            ice: self.ice.options(),
            relay_only: self.relay_only,
            ipv6: self.ipv6,
            loss: self.loss,
            delay: self.delay,
            jitter: self.jitter,
            lossless_setup: self.lossless_setup,
            max_loss: self.max_loss,
            timeout: self.timeout,
            stock_timers: self.stock_timers,
        }
    }
}

/// `--txid`: hex digits only (a prefix of a transaction id), lower-cased.
fn parse_hex_prefix(s: &str) -> std::result::Result<String, String> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!("'{s}' is not hex (a transaction id or a prefix of one, like b7e7a701)"));
    }
    Ok(s.to_ascii_lowercase())
}

/// `--ice-server URL`: parsed, and a rejected value is echoed without its credentials (clap's
/// own "invalid value" message would print the password).
#[derive(Debug, Clone, Copy)]
struct IceUrlParser;

impl clap::builder::TypedValueParser for IceUrlParser {
    type Value = crate::core::ice::IceUrl;

    fn parse_ref(
        &self,
        _cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> std::result::Result<Self::Value, clap::Error> {
        let text = value.to_string_lossy();
        crate::core::ice::IceUrl::parse(&text).map_err(|e| {
            let name =
                arg.and_then(clap::Arg::get_long).map_or("--ice-server".to_string(), |l| format!("--{l}"));
            let shown = crate::gather::redact(&text);
            clap::Error::raw(clap::error::ErrorKind::ValueValidation, format!("{name} {shown}: {e}\n"))
        })
    }
}

/// Arguments of `rtctool gather`.
#[derive(Debug, Args)]
pub struct GatherArgs {
    /// A STUN server: stun:HOST[:PORT], stuns:HOST[:PORT] (TLS) or HOST[:PORT] (repeatable);
    /// --stun alone is the Trickle ICE page's default, stun:stun.l.google.com:19302.
    #[arg(long = "stun", value_name = "URL", num_args = 0..=1, default_missing_value = "stun:stun.l.google.com:19302")]
    pub stun: Vec<String>,

    /// A TURN server: turn:[USER[:PASS]@]HOST[:PORT][?transport=udp|tcp], or turns:... over TLS
    /// (port 5349 by default) (repeatable).
    #[arg(long = "turn", value_name = "URL")]
    pub turn: Vec<String>,

    #[command(flatten)]
    pub auth: TurnAuthArgs,

    /// Relay candidates only (iceTransportPolicy "relay"): no host or srflx, STUN servers unused.
    #[arg(long)]
    pub relay_only: bool,

    /// Do not test that each allocation relays (by default data goes through it both ways,
    /// to and from a UDP socket of ours, for up to 2 s after the allocation).
    #[arg(long)]
    pub no_relay_test: bool,

    /// Also write the results as Prometheus metrics (OpenMetrics text, the exporter's
    /// rtctool_probe_* gauges by target and local address) to FILE, for node_exporter's textfile
    /// collector; `-` writes them to standard output instead of the report.
    #[arg(long, value_name = "FILE|-")]
    pub prometheus: Option<PathBuf>,

    /// IPv4 only.
    #[arg(short = '4', long = "ipv4", conflicts_with = "ipv6")]
    pub ipv4: bool,

    /// IPv6 only.
    #[arg(short = '6', long = "ipv6")]
    pub ipv6: bool,

    /// Only this interface (a name like eth0, or one of its addresses); repeatable. Naming a
    /// loopback interface includes its addresses.
    #[arg(short = 'i', long, value_name = "NAME|ADDRESS")]
    pub interface: Vec<String>,

    /// Include loopback addresses (127.0.0.1, ::1).
    #[arg(long)]
    pub loopback: bool,

    /// Include link-local addresses (169.254.0.0/16, fe80::/10).
    #[arg(long)]
    pub link_local: bool,

    /// Also TCP host candidates (tcptype active, port 9, as browsers advertise them).
    #[arg(long)]
    pub tcp: bool,

    /// How long gathering may take at most (DNS, connections and retransmissions included):
    /// 800ms, 3s...
    #[arg(long, value_name = "DURATION", default_value = "3s", value_parser = parse_duration)]
    pub timeout: std::time::Duration,

    #[command(flatten)]
    pub tls: TlsArgs,

    /// Who gathers: diag (rtctool's own STUN/TURN client, every failure explained) or webrtc (a
    /// real WebRTC stack, webrtc-rs: what an application sees, and no more).
    #[arg(long, value_enum, value_name = "ENGINE", default_value_t = crate::gather::Engine::Diag)]
    pub engine: crate::gather::Engine,
}

impl GatherArgs {
    /// What `gather` is asked, for the command module.
    pub fn options(self) -> crate::gather::GatherOptions {
        crate::gather::GatherOptions {
            stun: self.stun,
            turn: self.turn,
            username: self.auth.username,
            password: self.auth.password,
            password_file: self.auth.password_file,
            turn_env: turn_env(),
            rest: self.auth.rest.options(),
            relay_only: self.relay_only,
            relay_test: !self.no_relay_test,
            prometheus: self.prometheus,
            tcp: self.tcp,
            timeout: self.timeout,
            filter: crate::gather::interfaces::Filter {
                only: self.interface,
                loopback: self.loopback,
                link_local: self.link_local,
                ipv4: !self.ipv6,
                ipv6: !self.ipv4,
            },
            tls: self.tls.options(),
            engine: self.engine,
        }
    }
}

/// RTCTOOL_TURN_USERNAME and RTCTOOL_TURN_PASSWORD: the one place the environment is read for
/// TURN credentials (the library takes them as options).
pub fn turn_env() -> crate::core::ice::TurnEnv {
    use crate::core::ice::credentials::{ENV_TURN_PASSWORD, ENV_TURN_SECRET, ENV_TURN_USERNAME};
    crate::core::ice::TurnEnv {
        username: std::env::var(ENV_TURN_USERNAME).ok(),
        password: std::env::var(ENV_TURN_PASSWORD).ok().map(crate::core::ice::Secret::new),
        secret: std::env::var(ENV_TURN_SECRET).ok().map(crate::core::ice::Secret::new),
    }
}

pub use crate::core::units::parse_duration;

/// Arguments of `rtctool completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to generate completions for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,

    /// Write to this file instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// The clap command, for completions, man pages and tests.
pub fn command() -> clap::Command {
    Cli::command()
}

impl PcapCommand {
    /// The job for the pcap module.
    pub fn job(self) -> crate::pcap::PcapJob {
        use crate::pcap::{decode::DecodeOptions, KeySources, PcapJob};
        match self {
            PcapCommand::Decode(a) => PcapJob::Decode {
                file: a.input.file,
                keys: KeySources {
                    turn_user: a.input.turn_user,
                    turn_password: a.input.turn_password,
                    ice_pwd: a.input.ice_pwd,
                    sdp: a.input.sdp,
                },
                options: DecodeOptions {
                    tree: a.tree,
                    only: a.only,
                    flow: a.flow,
                    txid: a.txid.map(|t| t.to_ascii_lowercase()),
                    errors: a.errors,
                },
            },
            PcapCommand::Summary(a) => PcapJob::Summary { file: a.file },
        }
    }
}

/// `rtctool pcap ...`
#[derive(Debug, Subcommand)]
pub enum PcapCommand {
    /// One line per STUN/TURN/DTLS/RTP/RTCP message, or full trees (-V), or JSON records.
    #[command(
        long_about = "Dissect a pcap or pcapng capture (detected by its magic bytes; - reads \
stdin): STUN and TURN on any port (classic RFC 3489 STUN on 3478/3479/19302), ChannelData on \
flows where STUN was seen, DTLS, RTP, RTCP and ZRTP by RFC 7983, and the messages inside \
ChannelData and DATA attributes (marked `via`). STUN over TCP is reassembled (plain or RFC 4571 \
framing). Requests are matched to responses by transaction id (RTT, retransmissions); \
FINGERPRINT is checked on every message, MESSAGE-INTEGRITY when credentials are given \
(otherwise it is `unchecked`, never `bad`).\n\n\
Damaged packets are reported one by one and decoding goes on.\n\n\
Exit codes: 0 decoded (a damaged capture too: its problems are in the output, as far as it \
goes); 1 with --errors, when anything was found (an error response, a failed check, an \
unanswered request, a damaged packet); 2 usage error; 3 the file is unreadable or not a \
capture.",
        after_help = "Examples:\n  rtctool pcap decode call.pcapng\n  rtctool pcap decode -V --only turn --turn-user alice --turn-password secret turn.pcap\n  rtctool pcap decode --errors --sdp offer.sdp --sdp answer.sdp call.pcapng\n  rtctool --ndjson pcap decode call.pcapng | jq 'select(.rtt_ms > 100)'"
    )]
    Decode(PcapDecodeArgs),
    /// Flows, STUN transactions, TURN allocations, ICE checks, DTLS handshakes, RTP streams.
    #[command(
        long_about = "Summarise a capture: flows with packet and byte counts per kind, STUN \
transactions (answered, unanswered, error codes, RTT), TURN allocations (relayed address, \
lifetime, refreshes, permissions, channels, bytes relayed, how each ended), ICE candidate pairs \
(checks, success, nomination, role), DTLS handshakes and RTP streams (loss from sequence gaps, \
RFC 3550 jitter in ms: the clock rate is the payload type's static one or estimated from \
the stream's RTP timestamps over at least half a second).\n\n\
Exit codes: 0 summarised (a damaged capture too: packets_with_problems counts them); 2 usage \
error; 3 the file is unreadable or not a capture.",
        after_help = "Examples:\n  rtctool pcap summary call.pcapng\n  rtctool --json pcap summary call.pcapng | jq .allocations"
    )]
    Summary(PcapSummaryArgs),
}

/// What both `pcap` subcommands read.
#[derive(Debug, Args)]
pub struct PcapInputArgs {
    /// The capture (pcap or pcapng), or - for stdin.
    #[arg(value_name = "FILE")]
    pub file: String,

    /// TURN username: MESSAGE-INTEGRITY of its requests (and their responses) is verified with
    /// the realm found in the capture.
    #[arg(long, value_name = "USER", requires = "turn_password")]
    pub turn_user: Option<String>,

    /// TURN password (with --turn-user).
    #[arg(long, value_name = "PASSWORD", env = "RTCTOOL_TURN_PASSWORD", hide_env_values = true)]
    pub turn_password: Option<String>,

    /// ICE password for connectivity checks: UFRAG:PWD ties it to the agent with that ufrag;
    /// a bare PWD is tried on every check (a mismatch is then `unchecked`). Repeatable.
    #[arg(long, value_name = "[UFRAG:]PWD")]
    pub ice_pwd: Vec<String>,

    /// SDP offer or answer whose a=ice-ufrag/a=ice-pwd verify the connectivity checks.
    /// Repeatable.
    #[arg(long, value_name = "FILE")]
    pub sdp: Vec<String>,
}

/// Arguments of `rtctool pcap decode`.
#[derive(Debug, Args)]
pub struct PcapDecodeArgs {
    #[command(flatten)]
    pub input: PcapInputArgs,

    /// Show every attribute as a tree under each STUN/ChannelData line.
    #[arg(short = 'V', long = "tree")]
    pub tree: bool,

    /// Only these kinds (repeatable or comma-separated).
    #[arg(long, value_enum, value_delimiter = ',', value_name = "KIND")]
    pub only: Vec<crate::pcap::decode::Only>,

    /// Only packets from or to this address (ADDR or ADDR:PORT; IPv6 as [ADDR]:PORT).
    #[arg(long, value_name = "ADDR[:PORT]")]
    pub flow: Option<crate::pcap::decode::FlowFilter>,

    /// Only this STUN transaction (hex, a prefix is enough).
    #[arg(long, value_name = "HEX", value_parser = parse_hex_prefix)]
    pub txid: Option<String>,

    /// Only problems: error responses, bad FINGERPRINT or integrity, unanswered requests.
    #[arg(long)]
    pub errors: bool,
}

/// Arguments of `rtctool pcap summary`.
#[derive(Debug, Args)]
pub struct PcapSummaryArgs {
    /// The capture (pcap or pcapng), or - for stdin.
    #[arg(value_name = "FILE")]
    pub file: String,
}

/// `rtctool sdp ...`
#[derive(Debug, Subcommand)]
pub enum SdpCommand {
    /// Summarise an SDP: per m-section codecs, extensions, streams, candidates, ICE and DTLS.
    #[command(
        long_about = "Summarise an SDP: session parameters, then per m-section its mid, media, \
direction, codecs by name with payload type, fmtp and rtcp-fb (rtx and red links shown), header \
extensions, ssrcs, msid, rids and simulcast, a candidates table, ICE and DTLS parameters.\n\n\
--json prints the full typed model (every value with its line number) plus every line of the \
input with its ending, so the SDP can be rebuilt from it byte for byte.\n\n\
Exit codes: 0 shown (even with unreadable lines, which are listed); 2 usage error; 3 the input \
is unreadable, invalid JSON, or has no SDP line at all.",
        after_help = "Examples:\n  rtctool sdp show offer.sdp\n  pbpaste | rtctool sdp show -\n  rtctool --json sdp show offer.json | jq '.media[] | {mid, direction}'"
    )]
    Show(SdpShowArgs),
    /// Find every problem in an SDP, each with rule id, severity, line, mid and explanation.
    #[command(
        long_about = "Find every problem in an SDP: structure and line order, line endings and \
whitespace, BUNDLE and mids, ICE credentials and candidates, DTLS fingerprints and setup roles, \
payload types (rtpmap, fmtp, rtcp-fb, rtx apt, red), msid, ssrc-groups, simulcast and rids, \
SCTP. Each problem has a stable rule id (--list-rules prints them all), a severity (error, \
warning, info), a line number, the m-section's mid and a one-line explanation.\n\n\
Rules that depend on the role (setup-role, bundle-only) need --as offer|answer, or a JSON input \
whose type says it; otherwise they are skipped with an info note.\n\n\
--json prints {problems: [{rule, severity, line, mid, message}]}.\n\n\
Exit codes: 0 no error-severity problem (warnings and notes allowed); 1 at least one error; 2 \
usage error; 3 the input is unreadable, invalid JSON, or has no SDP line at all.",
        after_help = "Examples:\n  rtctool sdp lint offer.sdp\n  rtctool sdp lint --as answer answer.sdp\n  rtctool --json sdp lint offer.json | jq '.problems[] | select(.severity == \"error\")'\n  rtctool sdp lint --list-rules"
    )]
    Lint(SdpLintArgs),
    /// What changed between two SDPs, semantically (ICE restart, codecs, direction...).
    #[command(
        long_about = "What changed between two SDPs, in WebRTC terms rather than lines: m-sections \
are paired by mid (by position when they have none) and codecs by name, clock rate, channels and \
fmtp, so a payload type renumbering is reported as such. Line order, line endings and \
whitespace are not changes.\n\n\
Kinds: session-version-changed, bundle-changed, media-added, media-removed, media-rejected, \
media-order-changed, ice-restart, fingerprint-changed, setup-changed, direction-changed, \
codec-added, codec-removed, payload-type-changed, codec-parameters-changed, rtcp-fb-changed, \
extmap-changed, msid-changed, ssrc-changed, simulcast-changed, candidates-changed, \
sctp-changed, attribute-changed.\n\n\
--json prints {changes: [{kind, mid, before, after, message}]}.\n\n\
Exit codes: 0 semantically equal; 1 different; 2 usage error; 3 an input is unreadable, invalid \
JSON, or has no SDP line at all.",
        after_help = "Examples:\n  rtctool sdp diff offer1.sdp offer2.sdp\n  rtctool --json sdp diff before.json after.json | jq -r '.changes[].kind'"
    )]
    Diff(SdpDiffArgs),
    /// Check an answer against its offer (m-sections, mids, codecs, rtcp-fb, BUNDLE, roles).
    #[command(
        long_about = "Check an answer against its offer: the same number and order of m-sections \
with the same media and proto, matching mids, rejected sections staying rejected, answer codecs, \
rtcp-fb and header extensions among those offered, the answer's BUNDLE groups within the \
offer's, DTLS setup roles that give one client and one server, and answer directions allowed by \
the offered ones.\n\n\
--json prints {problems: [{rule, severity, line, mid, message, side}]}, side telling which SDP \
the line is in.\n\n\
Exit codes: 0 the answer fits the offer; 1 at least one error; 2 usage error; 3 an input is \
unreadable, invalid JSON, or has no SDP line at all.",
        after_help = "Examples:\n  rtctool sdp check offer.sdp answer.sdp\n  rtctool --json sdp check offer.json answer.json"
    )]
    Check(SdpCheckArgs),
}

impl SdpCommand {
    /// The job for the sdp module.
    pub fn job(self) -> crate::sdp::SdpJob {
        use crate::sdp::{Role, SdpJob};
        match self {
            SdpCommand::Show(a) => SdpJob::Show { input: a.input },
            SdpCommand::Lint(a) => SdpJob::Lint {
                input: a.input,
                role: a.role.map(|r| match r {
                    SdpRole::Offer => Role::Offer,
                    SdpRole::Answer => Role::Answer,
                }),
                list_rules: a.list_rules,
            },
            SdpCommand::Diff(a) => SdpJob::Diff { a: a.a, b: a.b },
            SdpCommand::Check(a) => SdpJob::Check { offer: a.offer, answer: a.answer },
        }
    }
}

/// Arguments of `rtctool sdp show`.
#[derive(Debug, Args)]
pub struct SdpShowArgs {
    /// SDP file (raw or JSON), or - for standard input.
    #[arg(value_name = "FILE")]
    pub input: String,
}

/// Arguments of `rtctool sdp lint`.
#[derive(Debug, Args)]
pub struct SdpLintArgs {
    /// SDP file (raw or JSON), or - for standard input.
    #[arg(value_name = "FILE", required_unless_present = "list_rules")]
    pub input: Option<String>,

    /// Lint as an offer or an answer (default: the JSON type, else role rules are skipped).
    #[arg(long = "as", value_enum, value_name = "ROLE")]
    pub role: Option<SdpRole>,

    /// Print every rule id with its severity and what it checks, then exit.
    #[arg(long)]
    pub list_rules: bool,
}

/// Whether an SDP is an offer or an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SdpRole {
    /// An offer.
    Offer,
    /// An answer (or pranswer).
    Answer,
}

/// Arguments of `rtctool sdp diff`.
#[derive(Debug, Args)]
pub struct SdpDiffArgs {
    /// The first SDP (raw or JSON), or - for standard input.
    #[arg(value_name = "A")]
    pub a: String,
    /// The second SDP.
    #[arg(value_name = "B")]
    pub b: String,
}

/// Arguments of `rtctool sdp check`.
#[derive(Debug, Args)]
pub struct SdpCheckArgs {
    /// The offer (raw or JSON), or - for standard input.
    #[arg(value_name = "OFFER")]
    pub offer: String,
    /// The answer.
    #[arg(value_name = "ANSWER")]
    pub answer: String,
}

/// Run a parsed command line; `main` maps the result to an exit code.
pub fn run(cli: Cli) -> Result<Outcome> {
    let mode = if cli.json {
        Mode::Json
    } else if cli.ndjson {
        Mode::Ndjson
    } else {
        Mode::Human
    };
    let out = Output::new(cli.color, mode, cli.quiet, cli.verbose);
    match cli.command {
        Command::Stun(StunCommand::Decode(args)) => crate::stun::decode(args.options(), &out),
        Command::Pcap(cmd) => crate::pcap::run(cmd.job(), &out),
        Command::Sdp(cmd) => crate::sdp::run(cmd.job(), &out),
        Command::NatType(args) => crate::nat::run(args.options(), &out),
        Command::Gather(args) => crate::gather::run(args.options(), &out),
        Command::Loopback(args) => crate::loopback::run(args.options(), &out),
        Command::Signal(SignalCommand::Serve(args)) => crate::signal::serve(args.options(), &out),
        Command::Call(args) => crate::call::run(args.options(), &out),
        Command::Exporter(args) => crate::exporter::run(args.options(), &out),
        Command::Turn(TurnCommand::Load(args)) => crate::turnload::run(args.options()?, &out),
        Command::Completions(args) => completions(args),
    }
}

fn completions(args: CompletionsArgs) -> Result<Outcome> {
    let mut cmd = command();
    let mut buf = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "rtctool", &mut buf);
    match args.output {
        Some(path) => std::fs::write(&path, &buf)
            .map_err(|e| Error::input(format!("writing {}: {e}", path.display())))?,
        None => {
            use std::io::Write;
            std::io::stdout().write_all(&buf).map_err(Error::output)?
        }
    }
    Ok(Outcome::Clean)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gather(args: &[&str]) -> GatherArgs {
        let mut all = vec!["rtctool", "gather"];
        all.extend_from_slice(args);
        match Cli::try_parse_from(all).unwrap().command {
            Command::Gather(g) => g,
            _ => unreachable!("gather parses as gather"),
        }
    }

    #[test]
    fn stun_alone_is_the_trickle_ice_default() {
        assert_eq!(gather(&["--stun"]).stun, ["stun:stun.l.google.com:19302"]);
        assert_eq!(gather(&["--stun", "--turn", "turn:h"]).stun, ["stun:stun.l.google.com:19302"]);
        assert_eq!(gather(&["--stun", "stun.example.org"]).stun, ["stun.example.org"]);
        assert!(gather(&[]).stun.is_empty());
    }

    #[test]
    fn a_rest_secret_excludes_a_password() {
        let g = gather(&["--turn", "turn:h", "--auth-secret", "s", "--auth-ttl", "10m"]);
        assert_eq!(g.auth.rest.options().ttl, std::time::Duration::from_secs(600));
        assert_eq!(gather(&[]).auth.rest.options().ttl, std::time::Duration::from_secs(86_400));
        let both = ["rtctool", "gather", "--turn", "turn:h", "--auth-secret", "s", "--password", "p"];
        assert!(Cli::try_parse_from(both).is_err());
    }
}
