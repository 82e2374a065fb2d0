//! The whole command-line definition. `main` parses it; completions and man pages are
//! generated from the same [`command`].

use std::path::PathBuf;

use clap::{ArgAction, Args, CommandFactory, Parser, Subcommand};

use crate::core::output::ColorChoice;

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
    /// Print a shell completion script.
    Completions(CompletionsArgs),
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
Exit codes: 0 decoded; 1 with --errors, when anything was found; 2 usage error; 3 the file is \
unreadable or not a capture.",
        after_help = "Examples:\n  rtctool pcap decode call.pcapng\n  rtctool pcap decode -V --only turn --turn-user alice --turn-password secret turn.pcap\n  rtctool pcap decode --errors --sdp offer.sdp --sdp answer.sdp call.pcapng\n  rtctool --ndjson pcap decode call.pcapng | jq 'select(.rtt_ms > 100)'"
    )]
    Decode(PcapDecodeArgs),
    /// Flows, STUN transactions, TURN allocations, ICE checks, DTLS handshakes, RTP streams.
    #[command(
        long_about = "Summarise a capture: flows with packet and byte counts per kind, STUN \
transactions (answered, unanswered, error codes, RTT), TURN allocations (relayed address, \
lifetime, refreshes, permissions, channels, bytes relayed, how each ended), ICE candidate pairs \
(checks, success, nomination, role), DTLS handshakes and RTP streams (loss from sequence gaps, \
RFC 3550 jitter; in ms when the payload type's clock rate is static, else in timestamp \
units).\n\n\
Exit codes: 0 summarised; 2 usage error; 3 the file is unreadable or not a capture.",
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
    #[arg(long, value_name = "HEX")]
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
