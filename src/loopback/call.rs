//! The call itself: build both peers, signal (offer, answer, trickled candidates), wait for the
//! connection, run media and data for the duration, drain, collect statistics, close. What
//! the statistics say, per stream and pair, and the checks on them are [`stats`].

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, watch};
use webrtc::data_channel::DataChannel;
use webrtc::peer_connection::{
    PeerConnection, RTCIceCandidateInit, RTCIceConnectionState, RTCIceGatheringState, RTCPeerConnectionState,
    RTCSessionDescription, RTCStatsReport, RTCStatsReportEntry, StatsSelector,
};

use super::datachannel::{self, DcCounters};
use super::frame::Ledger;
use super::frame::{round2, LatencySummary};
use super::impair::{Relay, Rng};
use super::media::{self, ReceivePlan, Receptions, SendCounters, StreamId};
use super::peer::{self, Peer, PeerEvent, PeerEventKind};
use super::report::{
    Check, ConfigSummary, DataChannelReport, FrameReport, GatheredCandidate, ImpairmentReport, MediaReport,
    PairEnd, Report, SelectedPair, StreamReport, TimelineEntry, Timings,
};
use super::{lock, Config, DataChannelMode, Phase, Side};
use crate::core::ice::{Candidate, CandidateType};
use crate::core::output::{self, Mode, Output, Progress};
use crate::core::output::{millis, round_millis};
use crate::error::{Error, Result};

mod stats;

pub(crate) use stats::{candidate_end, dc_check, dc_report, find_entry, pair_ends};
use stats::{checks, selected_pair, stream_reports};

/// How long statistics and closing may take before we go on without them.
pub(crate) const STATS_TIMEOUT: Duration = Duration::from_secs(2);

/// What the call has reached so far, filled in from peer events.
struct Progression {
    t0: Instant,
    timeline: Vec<TimelineEntry>,
    candidates: Vec<GatheredCandidate>,
    first_candidate: [Option<f64>; 2],
    gathering_done: [Option<f64>; 2],
    ice_checking: Option<f64>,
    ice_connected: [Option<f64>; 2],
    pc_connected: [Option<f64>; 2],
    ice_state: [RTCIceConnectionState; 2],
    pc_state: [RTCPeerConnectionState; 2],
    dc_open: [Option<f64>; 2],
    first_media: Option<f64>,
    first_frame: Option<f64>,
    failure: Option<String>,
    candidate_errors: Vec<String>,
}

impl Progression {
    fn new(t0: Instant) -> Self {
        Progression {
            t0,
            timeline: Vec::new(),
            candidates: Vec::new(),
            first_candidate: [None; 2],
            gathering_done: [None; 2],
            ice_checking: None,
            ice_connected: [None; 2],
            pc_connected: [None; 2],
            ice_state: [RTCIceConnectionState::New; 2],
            pc_state: [RTCPeerConnectionState::New; 2],
            dc_open: [None; 2],
            first_media: None,
            first_frame: None,
            failure: None,
            candidate_errors: Vec::new(),
        }
    }

    fn ms(&self, at: Instant) -> f64 {
        millis(at.saturating_duration_since(self.t0))
    }

    fn both_connected(&self) -> bool {
        self.pc_connected.iter().all(Option::is_some)
            && self.pc_state.iter().all(|s| *s == RTCPeerConnectionState::Connected)
    }

    /// One line saying how far the call got, for a timeout.
    fn how_far(&self) -> String {
        let count = |side: Side| self.candidates.iter().filter(|c| c.side == side).count();
        let mut s = format!(
            "ICE {} / {} (offerer / answerer), connection {} / {}, {} and {} local candidates",
            self.ice_state[0],
            self.ice_state[1],
            self.pc_state[0],
            self.pc_state[1],
            count(Side::Offerer),
            count(Side::Answerer)
        );
        if !self.candidate_errors.is_empty() {
            s.push_str(&format!("; candidate errors: {}", self.candidate_errors.join("; ")));
        }
        s
    }
}

/// Writes timeline events as they happen: NDJSON lines, or (with -v) lines above the spinner.
struct Live<'a> {
    out: &'a Output,
    spinner: Option<Progress>,
}

impl Live<'_> {
    fn event(&self, e: &TimelineEntry) {
        match self.out.mode {
            Mode::Ndjson => {
                let record = serde_json::json!({"event": "timeline", "ms": e.ms, "side": e.side, "name": e.event, "detail": e.detail});
                let _ = output::write_ndjson(&mut io::stdout().lock(), &record);
            }
            Mode::Human if self.out.verbose > 0 && !self.out.quiet => {
                let line = format!(
                    "{:>9.1} ms  {:<8}  {} {}",
                    e.ms,
                    e.side.map_or("", |s| s.as_str()),
                    e.event,
                    e.detail.as_deref().unwrap_or("")
                );
                match &self.spinner {
                    Some(p) if !p.is_hidden() => p.println(line),
                    _ => eprintln!("{line}"),
                }
            }
            _ => {}
        }
    }

    fn status(&self, msg: String) {
        if let Some(p) = &self.spinner {
            p.set_message(msg);
        }
    }

    fn stats(&self, value: serde_json::Value) {
        if self.out.mode == Mode::Ndjson {
            let _ = output::write_ndjson(&mut io::stdout().lock(), &value);
        }
    }
}

/// Everything running during the call that the end of it needs.
pub(crate) struct Running {
    pub(crate) receptions: Receptions,
    pub(crate) senders: HashMap<StreamId, Arc<SendCounters>>,
    pub(crate) dc: Arc<DcCounters>,
    /// Per stream: its codec, and the sender's ledger when it plays a file.
    pub(crate) plan: ReceivePlan,
}

/// Why each TURN server (over UDP) gave no relay candidate, from an Allocate of our own (2 s at
/// most each): "our Allocate to turn:alice@host: 401 Unauthorized (the server rejected the
/// credentials...)". Servers that allocate say nothing here.
fn turn_probes(servers: &[crate::core::ice::IceServer]) -> Vec<String> {
    use crate::core::ice::EffectiveTransport;
    use crate::core::turn::{probe, Failure};
    let budget = Duration::from_secs(2);
    let mut out = Vec::new();
    for server in servers.iter().filter(|s| s.is_turn() && s.transport() == EffectiveTransport::Udp) {
        let label = server.label();
        let address = match crate::core::dns::resolve(server.host(), server.port(), budget) {
            Ok(a) if !a.is_empty() => a[0],
            Ok(_) => continue,
            Err(e) => {
                out.push(format!("{label}: {e}"));
                continue;
            }
        };
        let auth = server
            .credentials
            .as_ref()
            .map(|c| crate::core::transact::LongTermAuth::new(c.username.clone(), c.password.expose()));
        let why = match probe::allocate_once(address, auth, budget) {
            Ok(_) => continue,
            Err(Failure::Auth { code, reason, .. }) => {
                format!("{code} {reason} (the server rejected the credentials: wrong username or password)")
            }
            Err(Failure::NeedsCredentials { code, reason, .. }) => {
                format!("{code} {reason} (the server wants credentials: none were given)")
            }
            Err(f) => f.to_string(),
        };
        out.push(format!("our own Allocate to {label} ({address}): {why}"));
    }
    out
}

/// Run the call; the error is returned beside the report when it never connected (exit 4).
pub async fn run(cfg: &Config, out: &Output) -> Result<(Report, Option<Error>)> {
    let bind_ip = cfg.bind_ip();
    // webrtc-rs skips addresses it cannot bind and would then just never connect: find out now.
    std::net::UdpSocket::bind(SocketAddr::new(bind_ip, 0))
        .map_err(|e| Error::network(format!("binding a UDP socket on {bind_ip}: {e}")))?;
    let bind = SocketAddr::new(bind_ip, 0);

    let spinner = (out.mode == Mode::Human).then(|| Progress::spinner(out, "setting up"));
    let live = Live { out, spinner };

    let setup_start = Instant::now();
    let (ev_tx, ev_rx) = mpsc::unbounded_channel::<PeerEvent>();
    let (cand_o_tx, cand_o_rx) = mpsc::unbounded_channel();
    let (cand_a_tx, cand_a_rx) = mpsc::unbounded_channel();
    let mut rng = Rng::new(Rng::seed_from_time());
    let mut ssrc = || ((rng.next_f64() * f64::from(u32::MAX)) as u32).max(1);
    let ssrcs: HashMap<StreamId, u32> = [Side::Offerer, Side::Answerer]
        .into_iter()
        .flat_map(|from| cfg.kinds.iter().map(move |&kind| StreamId { from, kind }))
        .map(|id| (id, ssrc()))
        .collect();

    let (mut offerer, mut answerer, dc) =
        build_peers(cfg, bind, &ssrcs, &ev_tx, cand_o_tx, cand_a_tx).await?;
    let setup_ms = millis(setup_start.elapsed());

    // Timings start here, as in a browser page that has both RTCPeerConnections in hand.
    let t0 = Instant::now();
    let mut p = Progression::new(t0);
    let relay =
        cfg.impairment.is_active().then(|| Relay::new(bind_ip, cfg.impairment, Rng::seed_from_time()));
    if let Some(relay) = &relay {
        relay.set_lossy(!cfg.lossless_setup);
    }
    let (phase_tx, phase_rx) = watch::channel(Phase::Connecting);
    let running = Running {
        receptions: Arc::new(Mutex::new(HashMap::new())),
        senders: HashMap::new(),
        dc: Arc::new(DcCounters::default()),
        plan: Arc::new(
            ssrcs
                .keys()
                .map(|&id| {
                    let ledger = cfg.file(id.kind).map(|_| Arc::new(Mutex::new(Ledger::default())));
                    (id, (cfg.codec(id.kind), ledger))
                })
                .collect(),
        ),
    };

    // Trickle: each side's candidates go to the other as soon as it has a remote description.
    let (ready_a_tx, ready_a_rx) = watch::channel(false);
    let (ready_o_tx, ready_o_rx) = watch::channel(false);
    tokio::spawn(forward_candidates(
        cand_o_rx,
        answerer.pc.clone(),
        ready_a_rx,
        relay.clone(),
        Side::Offerer,
        ev_tx.clone(),
    ));
    tokio::spawn(forward_candidates(
        cand_a_rx,
        offerer.pc.clone(),
        ready_o_rx,
        relay.clone(),
        Side::Answerer,
        ev_tx.clone(),
    ));
    if let (Some(dc), false) = (&dc, cfg.stock_timers) {
        tokio::spawn(nudge(dc.clone(), phase_rx.clone(), t0 + cfg.timeout));
    }
    if let Some(dc) = &dc {
        datachannel::spawn_offerer(
            dc.clone(),
            cfg.datachannel,
            t0,
            phase_rx.clone(),
            running.dc.clone(),
            ev_tx.clone(),
        );
    }

    live.status("negotiating".into());
    let ready = (ready_a_tx, ready_o_tx);
    negotiate(cfg, &mut offerer, &mut answerer, &ssrcs, relay.is_some(), &mut p, &live, ready).await?;

    let wants_dc = dc.is_some();
    let mut call = Phases { cfg, live, p, running, ev_rx, ev_tx, phase_tx, phase_rx, t0 };
    let mut interrupted = call.connect(wants_dc).await;
    let connected = call.p.both_connected();
    let relayed = call.p.candidates.iter().any(|c| c.candidate.typ == crate::core::ice::CandidateType::Relay);
    if !connected && !interrupted && !relayed {
        // webrtc-rs reports no candidate errors: ask the TURN servers ourselves why no relay came.
        let servers = cfg.ice_servers.clone();
        if let Ok(why) = tokio::task::spawn_blocking(move || turn_probes(&servers)).await {
            call.p.candidate_errors.extend(why);
        }
    }
    let mut error = connect_error(cfg, &call.p, connected, interrupted, wants_dc);

    // Media and data.
    let mut media_window = None;
    if connected && error.is_none() && !interrupted {
        if let Some(relay) = &relay {
            relay.set_lossy(true);
        }
        let (window, stopped, failed) = call.media(&[&offerer, &answerer]).await;
        media_window = Some(window);
        interrupted |= stopped;
        error = failed.or(error);
    }
    while let Ok(ev) = call.ev_rx.try_recv() {
        call.handle(ev);
    }
    let Phases { live, p, running, .. } = call;

    live.status("collecting statistics".into());
    let stats_o = stats(&offerer.pc).await;
    let stats_a = stats(&answerer.pc).await;
    let relay_stats = relay.as_ref().map(Relay::stats);
    let _ = tokio::time::timeout(STATS_TIMEOUT, offerer.pc.close()).await;
    let _ = tokio::time::timeout(STATS_TIMEOUT, answerer.pc.close()).await;
    if let Some(s) = &live.spinner {
        s.finish();
    }

    let ended = Ended { connected, interrupted, error: error.clone(), media_window, setup_ms, t0 };
    let stats = [stats_o, stats_a];
    let report = build_report(cfg, bind_ip, &ssrcs, p, &running, &stats, relay_stats, ended);
    let failure =
        (!connected).then(|| Error::network(error.unwrap_or_else(|| "the call did not connect".into())));
    Ok((report, failure))
}

/// Both peers, their tracks (the offerer's; the answerer adds its own once it has the offer)
/// and the offerer's data channel.
async fn build_peers(
    cfg: &Config,
    bind: SocketAddr,
    ssrcs: &HashMap<StreamId, u32>,
    ev_tx: &mpsc::UnboundedSender<PeerEvent>,
    cand_o_tx: mpsc::UnboundedSender<RTCIceCandidateInit>,
    cand_a_tx: mpsc::UnboundedSender<RTCIceCandidateInit>,
) -> Result<(Peer, Peer, Option<Arc<dyn DataChannel>>)> {
    let mut offerer = Peer::build(Side::Offerer, cfg, bind, ev_tx.clone(), cand_o_tx).await?;
    let answerer = Peer::build(Side::Answerer, cfg, bind, ev_tx.clone(), cand_a_tx).await?;
    for &kind in &cfg.kinds {
        offerer.add_track(kind, cfg.codec(kind), ssrcs[&StreamId { from: Side::Offerer, kind }]).await?;
    }
    let dc: Option<Arc<dyn DataChannel>> = match cfg.datachannel {
        DataChannelMode::None => None,
        _ => Some(
            offerer
                .pc
                .create_data_channel("rtctool", None)
                .await
                .map_err(|e| Error::network(format!("creating the data channel: {e}")))?,
        ),
    };
    Ok((offerer, answerer, dc))
}

/// Offer and answer, each side told when it has its remote description (`ready`: the
/// answerer's, then the offerer's) so that trickled candidates can go to it.
#[allow(clippy::too_many_arguments)]
async fn negotiate(
    cfg: &Config,
    offerer: &mut Peer,
    answerer: &mut Peer,
    ssrcs: &HashMap<StreamId, u32>,
    strip_candidates: bool,
    p: &mut Progression,
    live: &Live<'_>,
    ready: (watch::Sender<bool>, watch::Sender<bool>),
) -> Result<()> {
    let neg = |what: &str, e: webrtc::error::Error| Error::network(format!("{what}: {e}"));
    let offer = offerer.pc.create_offer(None).await.map_err(|e| neg("creating the offer", e))?;
    offerer.pc.set_local_description(offer.clone()).await.map_err(|e| neg("setting the offer", e))?;
    push(
        p,
        live,
        Instant::now(),
        Some(Side::Offerer),
        "offer",
        Some("created and set; gathering starts".into()),
    );
    answerer
        .pc
        .set_remote_description(without_candidates(offer, strip_candidates))
        .await
        .map_err(|e| neg("giving the offer to the answerer", e))?;
    let _ = ready.0.send(true);
    for &kind in &cfg.kinds {
        answerer.add_track(kind, cfg.codec(kind), ssrcs[&StreamId { from: Side::Answerer, kind }]).await?;
    }
    let answer = answerer.pc.create_answer(None).await.map_err(|e| neg("creating the answer", e))?;
    answerer.pc.set_local_description(answer.clone()).await.map_err(|e| neg("setting the answer", e))?;
    push(p, live, Instant::now(), Some(Side::Answerer), "answer", Some("created and set".into()));
    offerer
        .pc
        .set_remote_description(without_candidates(answer, strip_candidates))
        .await
        .map_err(|e| neg("giving the answer to the offerer", e))?;
    let _ = ready.1.send(true);
    Ok(())
}

/// Why the call is not up once connecting ended, if it is not.
fn connect_error(
    cfg: &Config,
    p: &Progression,
    connected: bool,
    interrupted: bool,
    wants_dc: bool,
) -> Option<String> {
    if !connected && p.failure.is_none() {
        let what =
            if interrupted { "interrupted before the call connected" } else { "the call did not connect" };
        Some(format!("{what} within {:?}: {}", cfg.timeout.min(p.t0.elapsed()), p.how_far()))
    } else if let Some(f) = &p.failure {
        Some(format!("{f}: {}", p.how_far()))
    } else if wants_dc && p.dc_open[0].is_none() {
        Some(format!("the data channel did not open within {:?}", cfg.timeout))
    } else {
        None
    }
}

/// How a call ended, for its report.
struct Ended {
    connected: bool,
    interrupted: bool,
    error: Option<String>,
    media_window: Option<(Instant, Instant)>,
    setup_ms: f64,
    t0: Instant,
}

/// The report of a call: timings, statistics (the offerer's and the answerer's) into streams,
/// the checks.
#[allow(clippy::too_many_arguments)]
fn build_report(
    cfg: &Config,
    bind_ip: std::net::IpAddr,
    ssrcs: &HashMap<StreamId, u32>,
    p: Progression,
    running: &Running,
    stats: &[Option<RTCStatsReport>; 2],
    relay_stats: Option<super::impair::RelayStats>,
    ended: Ended,
) -> Report {
    let Ended { connected, interrupted, error, media_window, setup_ms, t0 } = ended;
    let (stats_o, stats_a) = (&stats[0], &stats[1]);
    let timings = Timings {
        setup: setup_ms,
        gathering: both(p.gathering_done),
        first_candidate_offerer: p.first_candidate[0],
        first_candidate_answerer: p.first_candidate[1],
        ice_checking: p.ice_checking,
        ice_connected: both(p.ice_connected),
        dtls_connected: both(p.pc_connected),
        data_channel_open: p.dc_open[0],
        first_media: p.first_media,
        first_frame: p.first_frame,
    };
    let media_secs =
        media_window.map(|(a, b): (Instant, Instant)| b.saturating_duration_since(a).as_secs_f64());
    let selected_pair = selected_pair(stats_o.as_ref(), stats_a.as_ref());
    let rtt = selected_pair.as_ref().and_then(|p| p.rtt_ms);
    let streams = stream_reports(cfg, ssrcs, running, stats_o.as_ref(), stats_a.as_ref(), rtt);
    let data_channel = (cfg.datachannel != DataChannelMode::None)
        .then(|| dc_report(cfg.datachannel, &running.dc, p.dc_open[0]));
    let impairment = relay_stats.map(|r| ImpairmentReport {
        loss_pct: round2(cfg.impairment.loss * 100.0),
        delay_ms: cfg.impairment.delay.as_secs_f64() * 1000.0,
        jitter_ms: cfg.impairment.jitter.as_secs_f64() * 1000.0,
        forwarded: r.forwarded,
        dropped: r.dropped,
        observed_loss_pct: round2(r.loss_pct()),
    });
    let checks = checks(
        cfg,
        connected,
        error.as_deref(),
        &timings,
        &streams,
        data_channel.as_ref(),
        selected_pair.as_ref(),
        media_window.is_some(),
    );
    Report {
        connected,
        interrupted,
        error: error.clone(),
        config: ConfigSummary {
            media: format!("{:?}", cfg.media).to_lowercase(),
            datachannel: cfg.datachannel,
            duration_s: cfg.duration.as_secs_f64(),
            video_bitrate: cfg.video_bitrate,
            fps: cfg.fps,
            audio_bitrate: super::AUDIO_BITRATE,
            bind_address: bind_ip.to_string(),
            ice_servers: cfg.ice_servers.iter().map(|s| s.url.to_string()).collect(),
            relay_only: cfg.relay_only,
            max_loss_pct: cfg.max_loss,
        },
        timings_ms: timings,
        timeline: p.timeline,
        candidates: p.candidates,
        selected_pair,
        media: MediaReport { streams },
        data_channel,
        impairment,
        checks,
        media_duration_ms: media_secs.map(|s| round2(s * 1000.0)),
        done_ms: millis(t0.elapsed()),
    }
}

/// What the phases of a call share once both peers are built and negotiating: the events,
/// the progression so far, the media counters, the phase broadcast.
struct Phases<'c> {
    cfg: &'c Config,
    live: Live<'c>,
    p: Progression,
    running: Running,
    ev_rx: mpsc::UnboundedReceiver<PeerEvent>,
    ev_tx: mpsc::UnboundedSender<PeerEvent>,
    phase_tx: watch::Sender<Phase>,
    phase_rx: watch::Receiver<Phase>,
    t0: Instant,
}

impl Phases<'_> {
    fn handle(&mut self, ev: PeerEvent) {
        handle(&mut self.p, &self.live, ev, &self.running, &self.ev_tx);
    }

    /// Wait for ICE, DTLS (and the data channel when there is one), a failure, the timeout or
    /// Ctrl-C; whether Ctrl-C ended it.
    async fn connect(&mut self, wants_dc: bool) -> bool {
        self.live.status("connecting".into());
        let ctrl_c = tokio::signal::ctrl_c();
        tokio::pin!(ctrl_c);
        let deadline = tokio::time::Instant::from_std(self.t0 + self.cfg.timeout);
        loop {
            let p = &self.p;
            if p.failure.is_some()
                || (p.both_connected() && (!wants_dc || p.dc_open.iter().all(Option::is_some)))
            {
                return false;
            }
            tokio::select! {
                Some(ev) = self.ev_rx.recv() => self.handle(ev),
                _ = tokio::time::sleep_until(deadline) => return false,
                _ = &mut ctrl_c => return true,
            }
        }
    }

    /// Media and data for the duration, then the drain: the media window, whether Ctrl-C
    /// ended it, and a failure during the call.
    async fn media(&mut self, peers: &[&Peer; 2]) -> ((Instant, Instant), bool, Option<String>) {
        let cfg = self.cfg;
        let mut interrupted = false;
        let mut error = None;
        start_media(cfg, peers, self.t0, &self.phase_rx, &mut self.running).await;
        let start = Instant::now();
        let _ = self.phase_tx.send(Phase::Running);
        push(&mut self.p, &self.live, start, None, "media-start", Some(format!("for {:?}", cfg.duration)));
        self.live.status(format!("connected; media and data for {:?}", cfg.duration));
        let end = tokio::time::Instant::from_std(start + cfg.duration);
        // A fresh signal future per phase: a completed one must not be polled again.
        let ctrl_c = tokio::signal::ctrl_c();
        tokio::pin!(ctrl_c);
        let mut tick = tokio::time::interval_at(
            tokio::time::Instant::now() + Duration::from_secs(1),
            Duration::from_secs(1),
        );
        loop {
            tokio::select! {
                Some(ev) = self.ev_rx.recv() => self.handle(ev),
                _ = tokio::time::sleep_until(end) => break,
                _ = tick.tick() => live_stats(&self.p, &self.live, &self.running, start),
                _ = &mut ctrl_c => { interrupted = true; break; }
            }
            if let Some(f) = &self.p.failure {
                error = Some(format!("{f} during the call"));
                break;
            }
        }
        let stop = Instant::now();
        let _ = self.phase_tx.send(Phase::Stopping);
        push(
            &mut self.p,
            &self.live,
            stop,
            None,
            "media-stop",
            interrupted.then(|| "interrupted".to_owned()),
        );
        self.drain(stop).await;
        ((start, stop), interrupted, error)
    }

    /// What is in flight (delayed, retransmitted) still arrives and counts.
    async fn drain(&mut self, stop: Instant) {
        let cfg = self.cfg;
        self.live.status("draining".into());
        let slack = 2 * (cfg.impairment.delay + cfg.impairment.jitter) + Duration::from_millis(300);
        let min_end = stop + slack;
        // SCTP resends a lost message after its retransmission timeout (a second or more), so
        // under loss the last pings or bulk messages may need that long to arrive.
        let patience = Duration::from_secs(if cfg.impairment.loss > 0.0 { 6 } else { 2 });
        let max_end = tokio::time::Instant::from_std(stop + slack + patience);
        // A second Ctrl-C skips the rest of the drain.
        let ctrl_c = tokio::signal::ctrl_c();
        tokio::pin!(ctrl_c);
        loop {
            if Instant::now() >= min_end && dc_settled(&self.running.dc, cfg.datachannel) {
                break;
            }
            tokio::select! {
                Some(ev) = self.ev_rx.recv() => self.handle(ev),
                _ = tokio::time::sleep(Duration::from_millis(20)) => {}
                _ = tokio::time::sleep_until(max_end) => break,
                _ = &mut ctrl_c => break,
            }
        }
    }
}

fn both(v: [Option<f64>; 2]) -> Option<f64> {
    Some(v[0]?.max(v[1]?))
}

fn push(
    p: &mut Progression,
    live: &Live<'_>,
    at: Instant,
    side: Option<Side>,
    event: &str,
    detail: Option<String>,
) {
    let entry = TimelineEntry { ms: p.ms(at), side, event: event.to_owned(), detail };
    live.event(&entry);
    // Events reach us slightly out of order across tasks; keep the timeline sorted by time.
    let pos = p.timeline.partition_point(|e| e.ms <= entry.ms);
    p.timeline.insert(pos, entry);
}

fn handle(
    p: &mut Progression,
    live: &Live<'_>,
    ev: PeerEvent,
    running: &Running,
    ev_tx: &mpsc::UnboundedSender<PeerEvent>,
) {
    let (at, side) = (ev.at, ev.side);
    let i = side as usize;
    let ms = p.ms(at);
    match ev.kind {
        PeerEventKind::Candidate(line) => {
            let detail = match Candidate::parse(&line) {
                Ok(c) => {
                    let d = format!("{} {} {}:{}", c.typ, c.protocol(), c.address, c.port);
                    p.candidates.push(GatheredCandidate { side, elapsed_ms: ms, candidate: c });
                    d
                }
                Err(e) => format!("unparseable candidate ({e}): {line}"),
            };
            p.first_candidate[i].get_or_insert(ms);
            push(p, live, at, Some(side), "candidate", Some(detail));
        }
        PeerEventKind::CandidateError { url, code, text } => {
            let d = format!("{url}: {code} {text}");
            p.candidate_errors.push(format!("{side} {d}"));
            push(p, live, at, Some(side), "candidate-error", Some(d));
        }
        PeerEventKind::Gathering(state) => {
            if state == RTCIceGatheringState::Complete {
                p.gathering_done[i].get_or_insert(ms);
                push(p, live, at, Some(side), "gathering-complete", None);
            }
        }
        PeerEventKind::Ice(state) => {
            p.ice_state[i] = state;
            match state {
                RTCIceConnectionState::Checking => {
                    p.ice_checking = Some(p.ice_checking.map_or(ms, |v: f64| v.min(ms)));
                }
                RTCIceConnectionState::Connected | RTCIceConnectionState::Completed => {
                    p.ice_connected[i].get_or_insert(ms);
                }
                RTCIceConnectionState::Failed => {
                    p.failure.get_or_insert_with(|| format!("ICE failed on the {side}"));
                }
                _ => {}
            }
            push(p, live, at, Some(side), &format!("ice-{state}"), None);
        }
        PeerEventKind::Connection(state) => {
            p.pc_state[i] = state;
            let event = match state {
                RTCPeerConnectionState::Connected => {
                    p.pc_connected[i].get_or_insert(ms);
                    "dtls-connected".to_owned()
                }
                RTCPeerConnectionState::Failed => {
                    p.failure.get_or_insert_with(|| format!("the {side}'s connection failed"));
                    "connection-failed".to_owned()
                }
                other => format!("connection-{other}"),
            };
            let detail = (state == RTCPeerConnectionState::Connected)
                .then(|| "ICE and DTLS connected, SRTP keyed".to_owned());
            push(p, live, at, Some(side), &event, detail);
        }
        PeerEventKind::DataChannel(dc) => {
            datachannel::spawn_answerer(dc, running.dc.clone(), ev_tx.clone(), false);
            push(p, live, at, Some(side), "data-channel-announced", None);
        }
        PeerEventKind::Track(track) => {
            tokio::spawn(media::receive_track(
                side,
                track,
                p.t0,
                running.receptions.clone(),
                running.plan.clone(),
                ev_tx.clone(),
            ));
            push(p, live, at, Some(side), "track", None);
        }
        PeerEventKind::Milestone { event, detail } => {
            match event {
                "data-channel-open" => {
                    p.dc_open[i].get_or_insert(ms);
                }
                "first-rtp" => {
                    p.first_media = Some(p.first_media.map_or(ms, |v: f64| v.min(ms)));
                }
                "first-frame" => {
                    p.first_frame = Some(p.first_frame.map_or(ms, |v: f64| v.min(ms)));
                }
                _ => {}
            }
            push(p, live, at, Some(side), event, detail);
        }
    }
}

/// Wake the offerer's webrtc-rs driver every millisecond while connecting.
///
/// webrtc-rs 0.21's driver flushes packets that its internal events queue (the DTLS client's
/// flights after ICE connects, the SCTP INIT after DTLS, the DCEP OPEN after SCTP) only on its
/// next wake-up, which is otherwise the next timer, up to an ICE check interval later. Any call
/// on the data channel wakes it; this one changes nothing.
pub(crate) async fn nudge(dc: Arc<dyn DataChannel>, phase: watch::Receiver<Phase>, until: Instant) {
    let mut tick = tokio::time::interval(Duration::from_millis(1));
    while *phase.borrow() == Phase::Connecting && Instant::now() < until {
        tick.tick().await;
        if matches!(dc.ready_state().await, Ok(webrtc::data_channel::RTCDataChannelState::Open) | Err(_)) {
            return;
        }
        let Ok(threshold) = dc.buffered_amount_low_threshold().await else { return };
        if dc.set_buffered_amount_low_threshold(threshold).await.is_err() {
            return;
        }
    }
}

/// Hand `from`'s candidates to the other peer once it has a remote description; through the
/// relay, UDP host candidates are rewritten to the relay's stand-ins and the others dropped.
async fn forward_candidates(
    mut rx: mpsc::UnboundedReceiver<RTCIceCandidateInit>,
    to: Arc<dyn PeerConnection>,
    mut ready: watch::Receiver<bool>,
    relay: Option<Relay>,
    from: Side,
    events: mpsc::UnboundedSender<PeerEvent>,
) {
    let note = |event: &'static str, detail: String| {
        let _ = events.send(PeerEvent {
            at: Instant::now(),
            side: from,
            kind: PeerEventKind::Milestone { event, detail: Some(detail) },
        });
    };
    if ready.wait_for(|r| *r).await.is_err() {
        return;
    }
    while let Some(mut init) = rx.recv().await {
        if let Some(relay) = &relay {
            match through_relay(&init.candidate, relay) {
                Ok(rewritten) => init.candidate = rewritten,
                Err(why) => {
                    note("candidate-skipped", why);
                    continue;
                }
            }
        }
        if let Err(e) = to.add_ice_candidate(init.clone()).await {
            note("candidate-rejected", format!("{}: {e}", init.candidate));
        }
    }
}

fn through_relay(line: &str, relay: &Relay) -> std::result::Result<String, String> {
    let mut c = Candidate::parse(line).map_err(|e| format!("unparseable ({e}): {line}"))?;
    let ip = c.ip().ok_or_else(|| format!("not an IP address, cannot relay: {line}"))?;
    if !c.is_udp() || c.typ != CandidateType::Host {
        return Err(format!("only UDP host candidates go through the impairment relay: {line}"));
    }
    let stand_in = relay
        .stand_in_for(SocketAddr::new(ip, c.port))
        .map_err(|e| format!("binding a relay socket: {e}"))?;
    c.address = stand_in.ip().to_string();
    c.port = stand_in.port();
    Ok(c.to_string())
}

/// Candidates inside an SDP would bypass the relay; trickling delivers them anyway.
fn without_candidates(mut desc: RTCSessionDescription, strip: bool) -> RTCSessionDescription {
    if strip && desc.sdp.contains("a=candidate:") {
        desc.sdp = desc.sdp.split_inclusive('\n').filter(|l| !l.starts_with("a=candidate:")).collect();
    }
    desc
}

pub(crate) async fn start_media(
    cfg: &Config,
    peers: &[&Peer],
    t0: Instant,
    phase: &watch::Receiver<Phase>,
    running: &mut Running,
) {
    let plan = running.plan.clone();
    for peer in peers {
        for local in &peer.tracks {
            let stream = StreamId { from: peer.side, kind: local.kind };
            let codec = cfg.codec(local.kind);
            let pt = peer::negotiated_payload_type(&local.sender).await.unwrap_or(codec.payload_type());
            let counters = Arc::new(SendCounters::default());
            running.senders.insert(stream, counters.clone());
            match cfg.file(local.kind) {
                Some(file) => {
                    let ledger = plan.get(&stream).and_then(|(_, l)| l.clone());
                    tokio::spawn(media::send_file_frames(
                        local.track.clone(),
                        local.ssrc,
                        pt,
                        file,
                        t0,
                        phase.clone(),
                        counters,
                        ledger,
                    ));
                }
                None => {
                    tokio::spawn(media::send_frames(
                        stream,
                        local.track.clone(),
                        local.ssrc,
                        pt,
                        cfg.spec(local.kind),
                        t0,
                        phase.clone(),
                        counters,
                    ));
                }
            }
        }
    }
}

/// Once a second: the spinner's line, or an NDJSON stats record.
fn live_stats(p: &Progression, live: &Live<'_>, running: &Running, start: Instant) {
    let secs = start.elapsed().as_secs_f64();
    let mut parts = vec![format!("{secs:.0} s")];
    let mut streams = Vec::new();
    {
        let map = lock(&running.receptions);
        let mut ids: Vec<_> = running.senders.keys().copied().collect();
        ids.sort();
        for id in ids {
            let sent = running.senders[&id].frames.load(Ordering::Relaxed);
            let (verified, bytes) = map.get(&id).map_or((0, 0), |r| (r.tally.verified, r.payload_bytes));
            streams.push(serde_json::json!({
                "stream": id.label(), "frames_sent": sent, "frames_verified": verified, "bytes_received": bytes,
            }));
            parts.push(format!("{} {verified}/{sent}", id.label()));
        }
    }
    let dc = &running.dc;
    let bulk = dc.bulk_received_bytes.load(Ordering::Relaxed);
    let echoes = dc.echoes.load(Ordering::Relaxed);
    if bulk > 0 {
        parts.push(format!("data channel {:.0} Mbit/s", bulk as f64 * 8.0 / secs.max(1e-3) / 1e6));
    } else if echoes > 0 {
        parts.push(format!("data channel {echoes} echoes"));
    }
    live.status(parts.join("  "));
    live.stats(serde_json::json!({
        "event": "stats",
        "ms": p.ms(Instant::now()),
        "streams": streams,
        "data_channel": {"bytes_received": bulk, "echoes": echoes, "pings_sent": dc.pings_sent.load(Ordering::Relaxed)},
    }));
}

/// Every ping echoed, every bulk byte delivered (or nothing more to wait for).
fn dc_settled(dc: &DcCounters, mode: DataChannelMode) -> bool {
    match mode {
        DataChannelMode::None => true,
        DataChannelMode::Ping => {
            dc.echoes.load(Ordering::Relaxed) + dc.corrupted.load(Ordering::Relaxed)
                >= dc.pings_sent.load(Ordering::Relaxed)
        }
        DataChannelMode::Bulk => {
            dc.bulk_received.load(Ordering::Relaxed) + dc.corrupted.load(Ordering::Relaxed)
                >= dc.bulk_sent.load(Ordering::Relaxed)
        }
    }
}

pub(crate) async fn stats(pc: &Arc<dyn PeerConnection>) -> Option<RTCStatsReport> {
    tokio::time::timeout(STATS_TIMEOUT, pc.get_stats(Instant::now(), StatsSelector::None)).await.ok()
}
