//! `rtctool loopback`: a whole WebRTC call between two peer connections in this process, with
//! synthetic media verified frame by frame, a data channel, optional impairment, and a report.
//!
//! The pieces: [`peer`] wraps a webrtc-rs peer connection and turns its callbacks into events;
//! [`call`] does the signalling (trickle candidates handed across as they come) and runs the
//! call through its phases; [`media`] and [`datachannel`] send and verify; [`frame`] and
//! [`impair`] are the socket-free logic (frame reassembly and verification, loss and delay
//! decisions) that the tests drive with hand-made time; [`report`] renders the result.

pub mod call;
pub mod datachannel;
pub mod frame;
pub mod impair;
pub mod media;
pub mod mediafile;
pub mod peer;
pub mod report;
pub mod runtime;
pub mod wire;

use std::fmt;
use std::io::{self, Write};
use std::time::Duration;

use crate::core::ice::{turn_credentials, IceServer, IceUrl, RestOptions, Scheme, TurnEnv};
use crate::core::output::{self, Mode, Output};
use crate::error::{Error, Outcome, Result};

use std::sync::Arc;

use impair::Impairment;
use media::{Codec, FrameSpec, Kind};
use mediafile::{FileCodec, MediaFile};

/// Which synthetic media each peer sends (`--media`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MediaKind {
    /// No media: data channel only.
    None,
    /// Audio only.
    Audio,
    /// Video only.
    Video,
    /// Audio and video.
    Both,
}

impl MediaKind {
    /// The kinds sent.
    pub fn kinds(self) -> Vec<Kind> {
        match self {
            MediaKind::None => vec![],
            MediaKind::Audio => vec![Kind::Audio],
            MediaKind::Video => vec![Kind::Video],
            MediaKind::Both => vec![Kind::Audio, Kind::Video],
        }
    }
}

/// What the data channel does (`--datachannel`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DataChannelMode {
    /// A message every 50 ms, echoed back: RTT and verification.
    Ping,
    /// As much data as flow control allows: throughput.
    Bulk,
    /// No data channel.
    None,
}

/// The two peers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// Creates the offer (and the data channel); ICE controlling.
    Offerer = 0,
    /// Answers.
    Answerer = 1,
}

impl Side {
    /// The other peer.
    pub fn other(self) -> Side {
        match self {
            Side::Offerer => Side::Answerer,
            Side::Answerer => Side::Offerer,
        }
    }

    /// `offerer` or `answerer`.
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Offerer => "offerer",
            Side::Answerer => "answerer",
        }
    }
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where the call is: senders run only in [`Phase::Running`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Negotiating, connecting.
    Connecting,
    /// Media and data flowing.
    Running,
    /// Senders stopped; what is in flight is still received.
    Stopping,
}

/// The STUN/TURN servers of a webrtc-rs call (loopback, call), as given, and where their
/// credentials may come from.
#[derive(Debug, Clone, Default)]
pub struct IceOptions {
    /// `--ice-server` URLs.
    pub urls: Vec<IceUrl>,
    /// The TURN username when a URL has none.
    pub username: Option<String>,
    /// The TURN password when a URL has none.
    pub password: Option<String>,
    /// RTCTOOL_TURN_USERNAME / RTCTOOL_TURN_PASSWORD / RTCTOOL_TURN_SECRET, the last resort.
    pub turn_env: TurnEnv,
    /// A TURN REST secret instead of a password.
    pub rest: RestOptions,
}

/// What `rtctool loopback` is asked.
#[derive(Debug, Clone)]
pub struct LoopbackOptions {
    /// How long media and data flow once up.
    pub duration: Duration,
    /// Which synthetic media each peer sends.
    pub media: MediaKind,
    /// Files to play instead (one per kind).
    pub media_files: Vec<std::path::PathBuf>,
    /// Video bitrate, bit/s.
    pub bitrate: u64,
    /// Video frames per second.
    pub fps: u32,
    /// What the data channel does.
    pub datachannel: DataChannelMode,
    /// STUN/TURN servers.
    pub ice: IceOptions,
    /// Relay candidates only.
    pub relay_only: bool,
    /// ::1 instead of 127.0.0.1.
    pub ipv6: bool,
    /// Loss in percent, each way.
    pub loss: Option<f64>,
    /// One-way delay.
    pub delay: Option<Duration>,
    /// Delay variation.
    pub jitter: Option<Duration>,
    /// No loss until the call is up.
    pub lossless_setup: bool,
    /// Largest acceptable frame loss per stream, percent.
    pub max_loss: f64,
    /// Bound on connecting.
    pub timeout: Duration,
    /// webrtc-rs's default timers.
    pub stock_timers: bool,
}

/// The ICE servers as webrtc-rs wants them: URL without credentials, credentials apart (for
/// loopback, call and `gather --engine webrtc`).
pub fn rtc_ice_servers(servers: &[IceServer]) -> Vec<webrtc::peer_connection::RTCIceServer> {
    servers
        .iter()
        .map(|s| webrtc::peer_connection::RTCIceServer {
            urls: vec![s.url_for_stack()],
            username: s.credentials.as_ref().map(|c| c.username.clone()).unwrap_or_default(),
            credential: s.credentials.as_ref().map(|c| c.password.expose().to_owned()).unwrap_or_default(),
        })
        .collect()
}

/// Everything a call needs, checked.
#[derive(Debug, Clone)]
pub struct Config {
    /// How long media and data flow once up.
    pub duration: Duration,
    /// Which media each peer sends.
    pub kinds: Vec<Kind>,
    /// `--media` as given.
    pub media: MediaKind,
    /// Video frames.
    pub video: FrameSpec,
    /// Video bitrate, bit/s.
    pub video_bitrate: u64,
    /// Video frame rate.
    pub fps: u32,
    /// Audio frames (20 ms, 32 kbit/s).
    pub audio: FrameSpec,
    /// Data channel mode.
    pub datachannel: DataChannelMode,
    /// STUN/TURN servers.
    pub ice_servers: Vec<IceServer>,
    /// Relay candidates only.
    pub relay_only: bool,
    /// ::1 instead of 127.0.0.1.
    pub ipv6: bool,
    /// Loss and delay between the peers.
    pub impairment: Impairment,
    /// Largest acceptable frame loss per stream, percent.
    pub max_loss: f64,
    /// Bound on connecting.
    pub timeout: Duration,
    /// webrtc-rs's own timers, no driver wake-ups.
    pub stock_timers: bool,
    /// Files played instead of synthetic frames (at most one per kind).
    pub files: Vec<Arc<MediaFile>>,
    /// The relay drops nothing until the call is up.
    pub lossless_setup: bool,
    /// How long ICE waits for a direct pair before it accepts a relay pair (None: webrtc-rs's
    /// 2 s; zero with `relay_only`).
    pub relay_wait: Option<Duration>,
    /// The connectivity checks on the wire are recorded here (`call`'s evidence).
    pub wire: Option<Arc<wire::WireLog>>,
    /// The DTLS role the answerer takes (loopback: server, so the offerer, which holds the
    /// data channel the call wakes its driver through, starts DTLS and SCTP).
    pub answering_dtls_role: DtlsRole,
}

/// A DTLS role (`--dtls-role`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DtlsRole {
    /// Send the ClientHello (`a=setup:active`), as browsers do when they answer.
    Client,
    /// Wait for the ClientHello (`a=setup:passive`).
    Server,
}

/// Audio: Opus-sized frames every 20 ms at 32 kbit/s.
pub const AUDIO_BITRATE: u64 = 32_000;
const AUDIO_FPS: u32 = 50;

impl Config {
    /// Check the arguments and settle credentials (from the URL, the flags or the environment).
    pub fn from_options(args: &LoopbackOptions) -> Result<Config> {
        let datachannel = args.datachannel;
        if args.media == MediaKind::None && datachannel == DataChannelMode::None {
            return Err(Error::usage(
                "--media none with --datachannel none leaves nothing to negotiate; keep media or a data channel",
            ));
        }
        if datachannel == DataChannelMode::Bulk && args.duration.is_zero() {
            return Err(Error::usage("--throughput needs a --duration above 0"));
        }
        if args.timeout.is_zero() {
            return Err(Error::usage("--timeout must be above 0"));
        }
        let ice_servers = settle_ice_servers(&args.ice)?;
        let files = load_media_files(&args.media_files, args.media)?;
        if args.relay_only {
            require_turn(&ice_servers)?;
        }
        let impairment = Impairment {
            loss: args.loss.unwrap_or(0.0) / 100.0,
            delay: args.delay.unwrap_or_default(),
            jitter: args.jitter.unwrap_or_default(),
        };
        Ok(Config {
            duration: args.duration,
            kinds: args.media.kinds(),
            media: args.media,
            video: FrameSpec::new(args.bitrate, args.fps),
            video_bitrate: args.bitrate,
            fps: args.fps,
            audio: FrameSpec::new(AUDIO_BITRATE, AUDIO_FPS),
            datachannel,
            ice_servers,
            relay_only: args.relay_only,
            ipv6: args.ipv6,
            impairment,
            max_loss: args.max_loss,
            timeout: args.timeout,
            stock_timers: args.stock_timers,
            files,
            lossless_setup: args.lossless_setup,
            relay_wait: None,
            wire: None,
            answering_dtls_role: DtlsRole::Server,
        })
    }

    /// Where both peers bind: the loopback address of the family, or every interface of it
    /// when a STUN/TURN server is elsewhere (a socket on 127.0.0.1 cannot reach it).
    pub fn bind_ip(&self) -> std::net::IpAddr {
        use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
        let on_loopback = self.ice_servers.iter().all(|s| {
            s.url.host.eq_ignore_ascii_case("localhost")
                || s.url.host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
        });
        match (self.ipv6, on_loopback) {
            (false, true) => IpAddr::V4(Ipv4Addr::LOCALHOST),
            (true, true) => IpAddr::V6(Ipv6Addr::LOCALHOST),
            (false, false) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            (true, false) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
        }
    }

    /// The file played for `kind`, if any.
    pub fn file(&self, kind: Kind) -> Option<Arc<MediaFile>> {
        self.files.iter().find(|f| f.codec.kind() == kind).cloned()
    }

    /// The payload format `kind` is sent in.
    pub fn codec(&self, kind: Kind) -> Codec {
        match (kind, self.file(kind).map(|f| f.codec)) {
            (Kind::Audio, _) => Codec::Opus,
            (Kind::Video, Some(FileCodec::Vp9)) => Codec::Vp9,
            (Kind::Video, Some(FileCodec::Av1)) => Codec::Av1,
            (Kind::Video, _) => Codec::Vp8,
        }
    }

    /// The frame spec of a kind.
    pub fn spec(&self, kind: Kind) -> FrameSpec {
        match kind {
            Kind::Audio => self.audio,
            Kind::Video => self.video,
        }
    }
}

/// `--relay-only` needs a TURN server among them.
pub fn require_turn(servers: &[IceServer]) -> Result<()> {
    if servers.iter().any(|s| s.url.scheme.is_turn()) {
        Ok(())
    } else {
        Err(Error::usage("--relay-only needs a TURN server: --ice-server turn:USER:PASS@HOST"))
    }
}

/// Load the `--media-file`s: at most one per kind, each of a kind `media` sends.
pub fn load_media_files(paths: &[std::path::PathBuf], media: MediaKind) -> Result<Vec<Arc<MediaFile>>> {
    let mut files: Vec<Arc<MediaFile>> = Vec::new();
    for path in paths {
        let file = MediaFile::load(path)?;
        let kind = file.codec.kind();
        if files.iter().any(|f| f.codec.kind() == kind) {
            return Err(Error::usage(format!("more than one {} --media-file", kind.as_str())));
        }
        if !media.kinds().contains(&kind) {
            return Err(Error::usage(format!(
                "{} is {}, but --media {} sends none",
                path.display(),
                kind.as_str(),
                format!("{media:?}").to_lowercase()
            )));
        }
        files.push(Arc::new(file));
    }
    Ok(files)
}

/// Settle each STUN/TURN URL's credentials (from the URL, the flags or the environment) and
/// refuse what webrtc-rs cannot use (TLS, TURN over TCP), for loopback and call alike.
pub fn settle_ice_servers(ice: &IceOptions) -> Result<Vec<IceServer>> {
    let rest = ice.rest.settle(&ice.turn_env).map_err(Error::input)?;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let mut ice_servers = Vec::new();
    for url in &ice.urls {
        let credentials = if url.scheme.is_turn() {
            let (user, pass) = (ice.username.as_deref(), ice.password.as_deref());
            let c = turn_credentials(url, user, pass, &ice.turn_env, rest.as_ref(), now);
            if c.is_none() {
                return Err(Error::usage(format!(
                    "{url} needs a username and a password: in the URL (turn:user:pass@host), \
                     with --username/--password, or in RTCTOOL_TURN_USERNAME/RTCTOOL_TURN_PASSWORD"
                )));
            }
            c
        } else {
            None
        };
        // webrtc-rs gathers relay candidates over UDP only (it skips the others with a log
        // line), so refuse them here rather than fail later for no visible reason.
        if url.scheme == Scheme::Turns || url.scheme == Scheme::Stuns {
            return Err(Error::usage(format!(
                "{url}: TLS (turns:, stuns:) is not supported by webrtc-rs; use turn: or stun:"
            )));
        }
        if url.transport == Some(crate::core::ice::Transport::Tcp) {
            return Err(Error::usage(format!(
                "{url}: webrtc-rs allocates TURN relays over UDP only; drop ?transport=tcp"
            )));
        }
        ice_servers.push(IceServer::new(url.clone(), credentials));
    }
    Ok(ice_servers)
}

/// Run `rtctool loopback`.
pub fn run(args: LoopbackOptions, out: &Output) -> Result<Outcome> {
    let cfg = Config::from_options(&args)?;
    run_and_report("rtctool-loopback", call::run(&cfg, out), out, report::render, |r| {
        outcome(r.checks.iter().all(|c| c.ok), r.interrupted)
    })
}

/// Run a call on its own runtime, write its report as `out` asks (JSON, an NDJSON `report`
/// record, or `render`'s text), and give the outcome: the error when it never connected (exit
/// 4), else what `judge` says of the report (see [`outcome`]). Shared by loopback and call.
pub(crate) fn run_and_report<R: serde::Serialize>(
    thread: &str,
    call: impl std::future::Future<Output = Result<(R, Option<Error>)>>,
    out: &Output,
    render: impl Fn(&R, &Output) -> String,
    judge: impl Fn(&R) -> Outcome,
) -> Result<Outcome> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name(thread)
        .build()
        .map_err(|e| Error::network(format!("starting the async runtime: {e}")))?;
    let result = runtime.block_on(call);
    // Background tasks of closed connections must not keep the process alive.
    runtime.shutdown_timeout(Duration::from_millis(200));
    let (report, failure) = result?;
    let stdout = io::stdout();
    let mut w = stdout.lock();
    let written = match out.mode {
        Mode::Json => output::write_json(&mut w, &report),
        Mode::Ndjson => output::write_ndjson(&mut w, &output::event_record(&report, "report")),
        Mode::Human => write!(w, "{}", render(&report, out)),
    };
    written.map_err(Error::output)?;
    if let Some(failure) = failure {
        return Err(failure);
    }
    Ok(judge(&report))
}

/// A call's outcome: found (exit 1) when a check failed, even in a call cut short; interrupted
/// (exit 130) when Ctrl-C cut it short with every check passed, as that is still not a
/// complete call; else clean.
pub(crate) fn outcome(all_ok: bool, interrupted: bool) -> Outcome {
    match (all_ok, interrupted) {
        (false, _) => Outcome::Found,
        (true, true) => Outcome::Interrupted,
        (true, false) => Outcome::Clean,
    }
}

/// Parse a bitrate: `1000000`, `500k`, `2.5M`, `1.5Mbit`, `800kbps` (k = 10^3, M = 10^6).
pub fn parse_bitrate(s: &str) -> std::result::Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let n: f64 = number.parse().map_err(|_| format!("'{s}' is not a bitrate (like 500k or 2M)"))?;
    let unit = unit.trim().to_ascii_lowercase();
    let unit = unit.trim_end_matches("bps").trim_end_matches("bit/s").trim_end_matches("bit");
    let scale = match unit {
        "" => 1.0,
        "k" => 1e3,
        "m" => 1e6,
        "g" => 1e9,
        other => return Err(format!("unknown unit '{other}' in '{s}' (k or M)")),
    };
    let bits = n * scale;
    if !(8_000.0..=1e9).contains(&bits) {
        return Err(format!("'{s}': the video bitrate must be between 8k and 1G"));
    }
    Ok(bits as u64)
}

/// Parse a percentage 0..=100: `5`, `0.5`, `5%`.
pub fn parse_percent(s: &str) -> std::result::Result<f64, String> {
    let t = s.trim().trim_end_matches('%');
    let v: f64 = t.parse().map_err(|_| format!("'{s}' is not a percentage"))?;
    if !(0.0..=100.0).contains(&v) {
        return Err(format!("'{s}' is not between 0 and 100"));
    }
    Ok(v)
}

/// Parse a delay: `40` (milliseconds), `40ms`, `0.1s`; at most 10 s.
pub fn parse_millis(s: &str) -> std::result::Result<Duration, String> {
    let t = s.trim();
    let d = if t.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        let ms: f64 = t.parse().map_err(|_| format!("'{s}' is not a number of milliseconds"))?;
        Duration::try_from_secs_f64(ms / 1000.0).map_err(|e| format!("'{s}': {e}"))?
    } else {
        crate::core::units::parse_duration(t)?
    };
    if d > Duration::from_secs(10) {
        return Err(format!("'{s}' is more than 10 s"));
    }
    Ok(d)
}

pub(crate) fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bitrates_percentages_and_delays_parse() {
        assert_eq!(parse_bitrate("500k"), Ok(500_000));
        assert_eq!(parse_bitrate("2.5M"), Ok(2_500_000));
        assert_eq!(parse_bitrate("1Mbps"), Ok(1_000_000));
        assert_eq!(parse_bitrate("64000"), Ok(64_000));
        assert!(parse_bitrate("fast").is_err());
        assert!(parse_bitrate("10x").is_err());
        assert!(parse_bitrate("1").is_err());
        assert_eq!(parse_percent("5%"), Ok(5.0));
        assert!(parse_percent("101").is_err());
        assert!(parse_percent("-1").is_err());
        assert_eq!(parse_millis("40"), Ok(Duration::from_millis(40)));
        assert_eq!(parse_millis("0.1s"), Ok(Duration::from_millis(100)));
        assert_eq!(parse_millis("15ms"), Ok(Duration::from_millis(15)));
        assert!(parse_millis("11s").is_err());
        assert!(parse_millis("soon").is_err());
    }

    #[test]
    fn stack_urls_carry_no_credentials() {
        let url = IceUrl::parse("turn:alice:secret@[::1]:3478?transport=udp").unwrap();
        let server = IceServer::new(url, None);
        assert_eq!(server.url_for_stack(), "turn:[::1]:3478?transport=udp");
    }
}
