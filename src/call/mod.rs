//! `rtctool call`: one peer of a WebRTC call between two machines, signalled through a
//! peerconnection_server (`rtctool signal serve`, the native one, or anything that speaks its
//! protocol), measured and reported as `loopback` reports its in-process call.
//!
//! [`signaling`] is the native client's side of the protocol; [`session`] runs the call (sign
//! in, find the peer or wait for its offer, offer/answer and trickled candidates, ICE, DTLS,
//! media and data, BYE); [`report`] holds its report and the diagnosis. The peer connection,
//! media senders and receivers, data channel and statistics are loopback's ([`crate::loopback`]),
//! with this side in one of its two roles: the caller is the offerer, the callee the answerer.

pub mod clips;
pub mod evidence;
pub mod natcheck;
pub mod report;
pub mod session;
pub mod signaling;

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::core::output::Output;
use crate::error::{Error, Outcome, Result};
use crate::loopback::impair::Impairment;
use crate::loopback::media::FrameSpec;
use crate::loopback::{self, Config, DataChannelMode, MediaKind};

use signaling::SignalUrl;

/// Whom to call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Call the member with this name (or id, when it is a number).
    Peer(String),
    /// Wait for a member's offer and answer it.
    Wait,
}

/// What we send when no --media-file is given for a kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MediaSource {
    /// The built-in VP8 and Opus clips, looped: browsers decode them, an rtctool peer checks
    /// every frame against the same clip.
    Clip,
    /// loopback's synthetic frames (sequence number, CRC-32): checked by an rtctool peer, but
    /// not decodable by a browser.
    Synthetic,
}

/// What `call` is asked to do (the CLI fills it in).
#[derive(Debug, Clone)]
pub struct CallOptions {
    /// The signalling server.
    pub signal: SignalUrl,
    /// The name to sign in with.
    pub name: String,
    /// Whom to call.
    pub target: Target,
    /// STUN/TURN servers and their credentials.
    pub ice: loopback::IceOptions,
    /// Relay candidates only.
    pub relay_only: bool,
    /// How long ICE waits for a direct pair before taking a relay pair (None: measured).
    pub relay_wait: Option<Duration>,
    /// How long media and data flow once up.
    pub duration: Duration,
    /// Bound on signalling and connecting.
    pub timeout: Duration,
    /// Which media we send.
    pub media: MediaKind,
    /// What we send for a kind without a --media-file.
    pub media_source: MediaSource,
    /// What the data channel does (the caller's choice; the callee echoes).
    pub datachannel: DataChannelMode,
    /// Files to play instead of synthetic frames.
    pub media_files: Vec<PathBuf>,
    /// The address to gather host candidates on (unspecified: every interface).
    pub bind: IpAddr,
    /// Largest acceptable frame loss per verified stream, percent.
    pub max_loss: f64,
    /// Our DTLS role when we answer (the offerer's role follows from the answer).
    pub dtls_role: loopback::DtlsRole,
    /// Run the RFC 5780 tests against the STUN server first and predict the outcome.
    pub nat_check: bool,
}

impl CallOptions {
    /// The shared call configuration loopback's peer, media and data-channel code take.
    pub fn config(&self) -> Result<Config> {
        if self.timeout.is_zero() {
            return Err(Error::usage("--timeout must be above 0"));
        }
        if self.name.is_empty() || self.name.bytes().any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
        {
            return Err(Error::usage("--name must be non-empty, without spaces or control characters"));
        }
        let ice_servers = loopback::settle_ice_servers(&self.ice)?;
        if self.relay_only {
            loopback::require_turn(&ice_servers)?;
        }
        if self.nat_check && natcheck::server_for(&ice_servers).is_none() {
            return Err(Error::usage(
                "--nat-check needs a STUN or TURN server: --ice-server stun:HOST[:PORT]",
            ));
        }
        let mut files = loopback::load_media_files(&self.media_files, self.media)?;
        if self.media_source == MediaSource::Clip {
            for kind in self.media.kinds() {
                if !files.iter().any(|f| f.codec.kind() == kind) {
                    files.push(clips::clip(kind));
                }
            }
        }
        let bitrate = 1_000_000;
        let fps = 30;
        Ok(Config {
            duration: self.duration,
            kinds: self.media.kinds(),
            media: self.media,
            video: FrameSpec::new(bitrate, fps),
            video_bitrate: bitrate,
            fps,
            audio: FrameSpec::new(loopback::AUDIO_BITRATE, 50),
            datachannel: self.datachannel,
            ice_servers,
            relay_only: self.relay_only,
            ipv6: self.bind.is_ipv6(),
            impairment: Impairment { loss: 0.0, delay: Duration::ZERO, jitter: Duration::ZERO },
            max_loss: self.max_loss,
            timeout: self.timeout,
            stock_timers: false,
            files,
            lossless_setup: false,
            relay_wait: self.relay_wait,
            wire: None,
            answering_dtls_role: self.dtls_role,
        })
    }
}

/// Run `rtctool call`.
pub fn run(opts: CallOptions, out: &Output) -> Result<Outcome> {
    let cfg = opts.config()?;
    loopback::run_and_report("rtctool-call", session::run(&opts, &cfg, out), out, report::render, |r| {
        loopback::outcome(r.checks.iter().all(|c| c.ok), r.interrupted)
    })
}
