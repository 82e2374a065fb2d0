//! One side of the call: a webrtc-rs peer connection whose callbacks become [`PeerEvent`]s, and
//! the local tracks it sends.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rtc::media_stream::MediaStreamTrack;
use rtc::peer_connection::transport::RTCDtlsRole;
use rtc::rtp_transceiver::rtp_sender::{
    RTCRtpCodecParameters, RTCRtpCodingParameters, RTCRtpEncodingParameters, RtpCodecKind,
};
use tokio::sync::mpsc;
use webrtc::data_channel::DataChannel;
use webrtc::media_stream::track_local::static_sample::TrackLocalStaticSample;
use webrtc::media_stream::track_local::TrackLocal;
use webrtc::media_stream::track_remote::TrackRemote;
use webrtc::peer_connection::{
    register_default_interceptors, MediaEngine, PeerConnection, PeerConnectionBuilder,
    PeerConnectionEventHandler, RTCConfigurationBuilder, RTCIceCandidateInit, RTCIceConnectionState,
    RTCIceGatheringState, RTCIceServer, RTCIceTransportPolicy, RTCPeerConnectionIceErrorEvent,
    RTCPeerConnectionIceEvent, RTCPeerConnectionState, Registry, SettingEngine, SettingEngineBuilder,
};
use webrtc::rtp_transceiver::RtpSender;

use super::media::{Codec, Kind};
use super::{Config, Side};
use crate::error::{Error, Result};

/// Something a peer connection reported, stamped when it happened.
pub struct PeerEvent {
    /// When the callback ran.
    pub at: Instant,
    /// Which peer.
    pub side: Side,
    /// What happened.
    pub kind: PeerEventKind,
}

/// The callbacks the call listens to.
pub enum PeerEventKind {
    /// A local candidate, as an SDP `candidate:` value.
    Candidate(String),
    /// Gathering failed for a server (onicecandidateerror).
    CandidateError {
        /// The STUN/TURN URL.
        url: String,
        /// The STUN error code (or 701).
        code: u16,
        /// Its reason.
        text: String,
    },
    /// ICE gathering state.
    Gathering(RTCIceGatheringState),
    /// ICE connection state.
    Ice(RTCIceConnectionState),
    /// Peer connection state (connected = ICE and DTLS connected).
    Connection(RTCPeerConnectionState),
    /// The remote peer opened a data channel.
    DataChannel(Arc<dyn DataChannel>),
    /// A remote track started.
    Track(Arc<dyn TrackRemote>),
    /// One of our tasks reached a milestone (data channel open, first packet, first frame...).
    Milestone {
        /// A stable kebab-case name.
        event: &'static str,
        /// More about it.
        detail: Option<String>,
    },
}

/// Forwards webrtc-rs callbacks into the call's event channel; never blocks the driver.
struct Handler {
    side: Side,
    events: mpsc::UnboundedSender<PeerEvent>,
    /// Local candidates also go straight to the signalling forwarder, so trickling does not wait
    /// for the event loop.
    candidates: mpsc::UnboundedSender<RTCIceCandidateInit>,
}

impl Handler {
    fn emit(&self, kind: PeerEventKind) {
        let _ = self.events.send(PeerEvent { at: Instant::now(), side: self.side, kind });
    }
}

#[async_trait::async_trait]
impl PeerConnectionEventHandler for Handler {
    async fn on_ice_candidate(&self, event: RTCPeerConnectionIceEvent) {
        if let Ok(init) = event.candidate.to_json() {
            let line = init.candidate.clone();
            let _ = self.candidates.send(init);
            self.emit(PeerEventKind::Candidate(line));
        }
    }

    async fn on_ice_candidate_error(&self, event: RTCPeerConnectionIceErrorEvent) {
        self.emit(PeerEventKind::CandidateError {
            url: event.url.clone(),
            code: event.error_code,
            text: event.error_text.clone(),
        });
    }

    async fn on_ice_gathering_state_change(&self, state: RTCIceGatheringState) {
        self.emit(PeerEventKind::Gathering(state));
    }

    async fn on_ice_connection_state_change(&self, state: RTCIceConnectionState) {
        self.emit(PeerEventKind::Ice(state));
    }

    async fn on_connection_state_change(&self, state: RTCPeerConnectionState) {
        self.emit(PeerEventKind::Connection(state));
    }

    async fn on_data_channel(&self, data_channel: Arc<dyn DataChannel>) {
        self.emit(PeerEventKind::DataChannel(data_channel));
    }

    async fn on_track(&self, track: Arc<dyn TrackRemote>) {
        self.emit(PeerEventKind::Track(track));
    }
}

/// A local synthetic track and what is needed to write to it.
pub struct LocalTrack {
    /// Audio or video.
    pub kind: Kind,
    /// Its SSRC (chosen here, so stats can be matched).
    pub ssrc: u32,
    /// The track samples are written to.
    pub track: Arc<TrackLocalStaticSample>,
    /// Its sender (for the negotiated payload type).
    pub sender: Arc<dyn RtpSender>,
}

/// One peer connection with its tracks.
pub struct Peer {
    /// Offerer or answerer.
    pub side: Side,
    /// The connection.
    pub pc: Arc<dyn PeerConnection>,
    /// Tracks this side sends.
    pub tracks: Vec<LocalTrack>,
}

fn media_engine(cfg: &Config) -> Result<(MediaEngine, Registry)> {
    let mut engine = MediaEngine::default();
    for kind in [Kind::Audio, Kind::Video] {
        let codec = cfg.codec(kind);
        let codec_kind = match kind {
            Kind::Audio => RtpCodecKind::Audio,
            Kind::Video => RtpCodecKind::Video,
        };
        let params =
            RTCRtpCodecParameters { rtp_codec: codec.rtp_codec(), payload_type: codec.payload_type() };
        engine
            .register_codec(params, codec_kind)
            .map_err(|e| Error::usage(format!("registering {}: {e}", codec.name())))?;
    }
    // NACK generator and responder (video), RTCP sender/receiver reports, TWCC feedback.
    let registry = register_default_interceptors(Registry::new(), &mut engine)
        .map_err(|e| Error::usage(format!("setting up interceptors: {e}")))?;
    Ok((engine, registry))
}

/// The ICE servers as webrtc-rs wants them: URL without credentials, credentials apart.
fn ice_servers(cfg: &Config) -> Vec<RTCIceServer> {
    super::rtc_ice_servers(&cfg.ice_servers)
}

impl Peer {
    /// Build one side: its peer connection bound to `bind`, and its tracks.
    pub async fn build(
        side: Side,
        cfg: &Config,
        bind: SocketAddr,
        events: mpsc::UnboundedSender<PeerEvent>,
        candidates: mpsc::UnboundedSender<RTCIceCandidateInit>,
    ) -> Result<Peer> {
        let (engine, registry) = media_engine(cfg)?;
        let mut config = RTCConfigurationBuilder::new().with_ice_servers(ice_servers(cfg));
        if cfg.relay_only {
            config = config.with_ice_transport_policy(RTCIceTransportPolicy::Relay);
        }
        let setting = setting_engine(cfg);
        let mut builder = PeerConnectionBuilder::new();
        if let Some(runtime) = super::runtime::buffered(cfg.wire.clone()) {
            builder = builder.with_runtime(runtime);
        }
        let pc = builder
            .with_setting_engine(setting)
            .with_configuration(config.build())
            .with_media_engine(engine)
            .with_interceptor_registry(registry)
            .with_handler(Arc::new(Handler { side, events, candidates }))
            .with_udp_addrs(vec![bind])
            .with_data_channel_send_buffer_limit(super::datachannel::SEND_BUFFER_LIMIT)
            .build()
            .await
            .map_err(|e| Error::network(format!("creating the {side} peer connection on {bind}: {e}")))?;
        let pc: Arc<dyn PeerConnection> = Arc::new(pc);
        Ok(Peer { side, pc, tracks: Vec::new() })
    }

    /// Add a track of `kind` in `codec` with SSRC `ssrc`.
    pub async fn add_track(&mut self, kind: Kind, codec: Codec, ssrc: u32) -> Result<()> {
        let side = self.side;
        let codec_kind = match kind {
            Kind::Audio => RtpCodecKind::Audio,
            Kind::Video => RtpCodecKind::Video,
        };
        let track = MediaStreamTrack::new(
            format!("rtctool-{side}"),
            format!("rtctool-{side}-{}", kind.as_str()),
            format!("synthetic {}", kind.as_str()),
            codec_kind,
            vec![RTCRtpEncodingParameters {
                rtp_coding_parameters: RTCRtpCodingParameters { ssrc: Some(ssrc), ..Default::default() },
                codec: codec.rtp_codec(),
                ..Default::default()
            }],
        );
        let track = Arc::new(
            TrackLocalStaticSample::new(Instant::now(), track)
                .map_err(|e| Error::usage(format!("creating the {side} {} track: {e}", kind.as_str())))?,
        );
        let sender = self
            .pc
            .add_track(track.clone() as Arc<dyn TrackLocal>)
            .await
            .map_err(|e| Error::usage(format!("adding the {side} {} track: {e}", kind.as_str())))?;
        self.tracks.push(LocalTrack { kind, ssrc, track, sender });
        Ok(())
    }
}

/// ICE checks every 10 ms while connecting (webrtc-rs's default is 200 ms, and its driver
/// also runs DTLS and SCTP work queued by internal events only at such timer ticks, so the
/// interval is most of the connect time in a loopback).
pub const ICE_CHECK_INTERVAL: Duration = Duration::from_millis(10);

/// The SCTP receive window on a direct loopback path (see [`setting_engine`]).
pub const LOOPBACK_SCTP_WINDOW: u32 = 64 * 1024;

/// Whether this host can join the mDNS multicast group, which webrtc-rs does (to resolve a
/// remote `.local` candidate) for every peer connection unless told not to; on a host or
/// namespace without a multicast route the join fails with ENODEV and so would the whole peer
/// connection. The error says why it is not.
pub fn mdns_available() -> std::result::Result<(), String> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP)).map_err(|e| e.to_string())?;
    socket
        .join_multicast_v4(&std::net::Ipv4Addr::new(224, 0, 0, 251), &std::net::Ipv4Addr::UNSPECIFIED)
        .map_err(|e| format!("joining the mDNS group 224.0.0.251: {e}"))
}

/// The timers and SCTP window of both peers. `--stock-timers` keeps webrtc-rs's defaults.
fn setting_engine(cfg: &Config) -> SettingEngine {
    if cfg.stock_timers {
        if mdns_available().is_err() {
            return SettingEngineBuilder::new()
                .with_multicast_dns_mode(rtc::ice::mdns::MulticastDnsMode::Disabled)
                .build();
        }
        return SettingEngine::default();
    }
    // Keep checking a pair for as long as the stock settings do (7 x 200 ms), and longer when
    // the impairment relay stretches the round trip, so a fast pace never gives up early.
    let rtt = 2 * (cfg.impairment.delay + cfg.impairment.jitter);
    let window = (Duration::from_millis(1400) + 4 * rtt).as_millis();
    let attempts = u16::try_from(window / ICE_CHECK_INTERVAL.as_millis()).unwrap_or(u16::MAX).max(7);
    let mut builder = SettingEngineBuilder::new()
        .with_ice_connection_attempts(Some(ICE_CHECK_INTERVAL), Some(attempts))
        .with_answering_dtls_role(match cfg.answering_dtls_role {
            super::DtlsRole::Client => RTCDtlsRole::Client,
            super::DtlsRole::Server => RTCDtlsRole::Server,
        })
        // A check can arrive before the candidate it comes from has been trickled; the pair is
        // then peer-reflexive, and webrtc-rs would wait a second before selecting it.
        .with_prflx_acceptance_min_wait(Some(Duration::ZERO))
        // A server-reflexive pair that answers is taken at once, as browsers do, instead of
        // after webrtc-rs's 500 ms wait for a host pair that across two NATs never comes.
        .with_srflx_acceptance_min_wait(Some(Duration::ZERO));
    if !cfg.impairment.is_active() && cfg.ice_servers.is_empty() {
        // Peer to peer on the loopback the round trip is a fraction of a millisecond, so a
        // small SCTP window still allows Gbit/s, and it keeps a burst inside the UDP socket's
        // receive buffer even where the 4 MiB that `runtime::Buffered` asks for is refused
        // (not root, and `net.core.rmem_max` lower: the kernel default is about 200 KB). With
        // webrtc-rs's 1 MiB window bursts overflow such a buffer, SCTP takes the drops for
        // congestion and bulk throughput collapses to tens of Mbit/s.
        builder = builder.with_sctp_max_receive_buffer_size(LOOPBACK_SCTP_WINDOW);
    }
    if mdns_available().is_err() {
        builder = builder.with_multicast_dns_mode(rtc::ice::mdns::MulticastDnsMode::Disabled);
    }
    if cfg.relay_only {
        // Nothing better than a relay pair can come: do not wait 2 s for one.
        builder = builder.with_relay_acceptance_min_wait(Some(Duration::ZERO));
    } else if let Some(wait) = cfg.relay_wait {
        builder = builder.with_relay_acceptance_min_wait(Some(wait));
    }
    builder.build()
}

/// The payload type negotiated for a sender's codec.
pub async fn negotiated_payload_type(sender: &Arc<dyn RtpSender>) -> Option<u8> {
    sender.get_parameters().await.ok()?.rtp_parameters.codecs.first().map(|c| c.payload_type)
}
