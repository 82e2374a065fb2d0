//! One call, end to end: sign in, find the peer (or wait for its offer), negotiate through the
//! server with candidates trickled one message at a time in order, connect, run media and data
//! for the duration, hang up (BYE), exchange reports with an rtctool peer, sign out.

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, watch};
use webrtc::data_channel::DataChannel;
use webrtc::peer_connection::{
    RTCIceCandidateInit, RTCIceConnectionState, RTCIceGatheringState, RTCPeerConnectionState,
    RTCSessionDescription, RTCStatsReport, RTCStatsReportEntry,
};

use super::report::{self, CallCandidate, CallReport, CallTimings, Event, PairReport, PeerInfo};
use super::signaling::{Member, Notice, PeerMessage, SignalClient};
use super::{CallOptions, Target};
use crate::core::ice::{Candidate, CandidateType};
use crate::core::output::{self, Mode, Output, Progress};
use crate::core::output::{millis, round_millis};
use crate::error::{Error, Result};
use crate::loopback::call::{self as lcall, Running};
use crate::loopback::datachannel::{self, DcCounters};
use crate::loopback::frame::round2;
use crate::loopback::media::{self, Codec, Kind, ReceivePlan, StreamId};
use crate::loopback::peer::{Peer, PeerEvent, PeerEventKind};
use crate::loopback::report::{Check, ConfigSummary, FrameReport, PairEnd, StreamReport};
use crate::loopback::wire::WireLog;
use crate::loopback::{lock, Config, DataChannelMode, Phase, Side};

/// How long we wait for the peer's report after BYE.
const REPORT_WAIT: Duration = Duration::from_millis(1500);

/// What happened so far.
struct State {
    t0: Instant,
    offer_at: Option<Instant>,
    timeline: Vec<Event>,
    candidates: Vec<CallCandidate>,
    t: CallTimingsAt,
    ice: RTCIceConnectionState,
    pc: RTCPeerConnectionState,
    failure: Option<String>,
    bye: bool,
    remote_report: Option<serde_json::Value>,
    /// client or server, once known.
    dtls_role: Option<&'static str>,
    /// --nat-check: what the RFC 5780 tests found here, or why they could not run.
    nat_local: Option<std::result::Result<super::natcheck::NatSide, String>>,
    live: Live,
}

#[derive(Default)]
struct CallTimingsAt {
    answer: Option<Instant>,
    gathering: Option<Instant>,
    first_candidate: Option<Instant>,
    first_remote_candidate: Option<Instant>,
    ice_checking: Option<Instant>,
    ice_connected: Option<Instant>,
    dtls_connected: Option<Instant>,
    data_channel_open: Option<Instant>,
    first_media: Option<Instant>,
    first_frame: Option<Instant>,
}

struct Live {
    mode: Mode,
    verbose: bool,
    spinner: Option<Progress>,
}

impl State {
    fn ms(&self, at: Instant) -> f64 {
        millis(at.saturating_duration_since(self.t0))
    }

    fn push(&mut self, at: Instant, event: &str, detail: Option<String>) {
        let e = Event { ms: self.ms(at), event: event.to_owned(), detail };
        match self.live.mode {
            Mode::Ndjson => {
                let record =
                    serde_json::json!({"event": "timeline", "ms": e.ms, "name": e.event, "detail": e.detail});
                let _ = output::write_ndjson(&mut io::stdout().lock(), &record);
            }
            Mode::Human if self.live.verbose => {
                let line = format!("{:>9.1} ms  {} {}", e.ms, e.event, e.detail.as_deref().unwrap_or(""));
                match &self.live.spinner {
                    Some(p) if !p.is_hidden() => p.println(line),
                    _ => eprintln!("{line}"),
                }
            }
            _ => {}
        }
        let pos = self.timeline.partition_point(|x| x.ms <= e.ms);
        self.timeline.insert(pos, e);
    }

    fn status(&self, msg: impl Into<String>) {
        if let Some(p) = &self.live.spinner {
            p.set_message(msg.into());
        }
    }

    fn connected(&self) -> bool {
        self.pc == RTCPeerConnectionState::Connected
    }

    fn since_offer(&self, at: Option<Instant>) -> Option<f64> {
        let offer = self.offer_at?;
        Some(millis(at?.saturating_duration_since(offer)))
    }
}

/// The peer once known, and the queue of messages to it (sent one at a time, in order).
struct Remote {
    member: Member,
    rtctool: Option<String>,
    /// What an rtctool peer said it sends, per kind.
    media: Option<serde_json::Value>,
    outbox: Outbox,
}

impl Remote {
    /// How the peer's `kind` stream can be checked: `clip` or `synthetic` (an rtctool peer's
    /// own announcement), else not at all.
    fn source(&self, kind: Kind) -> Option<&str> {
        self.rtctool.as_deref().filter(|v| *v != "page")?;
        self.media.as_ref()?.get(kind.as_str())?.as_str().filter(|s| *s == "clip" || *s == "synthetic")
    }
}

/// What we send per kind, for the peer's receiver: `clip`, `file` or `synthetic`.
fn media_sources(cfg: &Config) -> serde_json::Value {
    let mut m = serde_json::Map::new();
    for &kind in &cfg.kinds {
        let source = match cfg.file(kind) {
            Some(f) if super::clips::is_clip(&f) => "clip",
            Some(_) => "file",
            None => "synthetic",
        };
        m.insert(kind.as_str().to_owned(), source.into());
    }
    serde_json::Value::Object(m)
}

/// How each stream is reassembled and checked. Ours need no ledger: the receiver is another
/// process, which checks a clip against its own copy. The peer's are checked against the clip
/// it plays, or as synthetic frames, as it announced.
fn receive_plan(cfg: &Config, role: Side, remote: Option<&Remote>) -> ReceivePlan {
    let mut plan = HashMap::new();
    for &kind in &cfg.kinds {
        plan.insert(StreamId { from: role, kind }, (cfg.codec(kind), None));
    }
    for kind in [Kind::Audio, Kind::Video] {
        let codec = if kind == Kind::Audio { Codec::Opus } else { Codec::Vp8 };
        let ledger = match remote.and_then(|r| r.source(kind)) {
            Some("clip") => Some(Arc::new(Mutex::new(super::clips::ledger(kind)))),
            _ => None,
        };
        plan.insert(StreamId { from: role.other(), kind }, (codec, ledger));
    }
    Arc::new(plan)
}

/// Our messages to the peer, posted one at a time in order by one task.
struct Outbox {
    tx: mpsc::UnboundedSender<PeerMessage>,
    task: tokio::task::JoinHandle<()>,
}

impl Outbox {
    fn send(&self, m: PeerMessage) -> std::result::Result<(), mpsc::error::SendError<PeerMessage>> {
        self.tx.send(m)
    }

    /// Let what is queued go out (bounded), then stop.
    async fn flush(self, within: Duration) {
        drop(self.tx);
        let _ = tokio::time::timeout(within, self.task).await;
    }
}

/// Run the call; the error is returned beside the report when it never connected (exit 4).
pub async fn run(opts: &CallOptions, cfg: &Config, out: &Output) -> Result<(CallReport, Option<Error>)> {
    let bind = SocketAddr::new(opts.bind, 0);
    std::net::UdpSocket::bind(bind)
        .map_err(|e| Error::network(format!("binding a UDP socket on {}: {e}", opts.bind)))?;
    let deadline = Instant::now() + opts.timeout;
    let nat_local = match (opts.nat_check, super::natcheck::server_for(&cfg.ice_servers)) {
        (true, Some(server)) => {
            let bind_ip = opts.bind;
            let done = tokio::task::spawn_blocking(move || {
                super::natcheck::run(&server, bind_ip, Duration::from_millis(800))
            })
            .await;
            Some(done.unwrap_or_else(|e| Err(format!("the NAT check stopped: {e}"))))
        }
        _ => None,
    };
    // Measured while we sign in: how long the checks wait for a direct pair before a relay.
    let relay_probe = relay_wait_probe(opts, cfg);
    let client = SignalClient::resolve(&opts.signal, opts.timeout).await?;
    let (me, members) = client.sign_in(&opts.name).await.map_err(|e| e.context(&opts.signal))?;
    let relay_wait = match relay_probe {
        Some(probe) => Some(probe.await.unwrap_or_else(|e| RelayWait::unmeasured(e.to_string()))),
        None => None,
    };
    let t0 = Instant::now();
    let spinner = (out.mode == Mode::Human).then(|| Progress::spinner(out, "signed in"));
    let mut st = State {
        t0,
        offer_at: None,
        timeline: Vec::new(),
        candidates: Vec::new(),
        t: CallTimingsAt::default(),
        ice: RTCIceConnectionState::New,
        pc: RTCPeerConnectionState::New,
        failure: None,
        bye: false,
        remote_report: None,
        dtls_role: None,
        nat_local: None,
        live: Live { mode: out.mode, verbose: out.verbose > 0 && !out.quiet, spinner },
    };
    st.push(t0, "signed-in", Some(format!("as {} (id {me}), {} other members", opts.name, members.len())));
    if let Some(n) = &nat_local {
        let detail = match n {
            Ok(s) => format!(
                "{} (mapping {}, filtering {})",
                s.nat_type,
                s.mapping.as_deref().unwrap_or("?"),
                s.filtering.as_deref().unwrap_or("?")
            ),
            Err(e) => format!("failed: {e}"),
        };
        st.push(t0, "nat-check", Some(detail));
    }
    st.nat_local = nat_local;
    if let Some(w) = &relay_wait {
        st.push(t0, "relay-wait", Some(w.detail.clone()));
    }
    // Our sockets are tapped: the checks that crossed the wire are the evidence of a failure.
    let call_cfg = Config {
        relay_wait: relay_wait.as_ref().map(|w| w.wait).or(cfg.relay_wait),
        wire: Some(WireLog::new(t0)),
        ..cfg.clone()
    };
    let cfg = &call_cfg;

    let (notice_tx, mut notices) = mpsc::unbounded_channel();
    tokio::spawn(client.clone().hang(me, notice_tx));

    let result = call(opts, cfg, &client, me, members, &mut notices, &mut st, deadline, bind).await;
    let _ = tokio::time::timeout(Duration::from_secs(1), client.sign_out(me)).await;
    if let Some(s) = &st.live.spinner {
        s.finish();
    }
    let (report, error) = result?;
    Ok((report, error))
}

/// How long ICE waits for a direct pair before it takes a relay pair, and why.
struct RelayWait {
    wait: Duration,
    detail: String,
}

/// Nothing slower to wait for than this (webrtc-rs's own default).
const RELAY_WAIT_MAX: Duration = Duration::from_secs(2);
/// A direct pair's checks need a few check intervals and the peer's trickle beyond the round
/// trips: the wait never goes under this.
const RELAY_WAIT_FLOOR: Duration = Duration::from_millis(60);

impl RelayWait {
    /// A direct pair's check crosses about what a relay pair's does (ours to the server, the
    /// server's to the peer), so a path that works has answered within a few of our round trips
    /// to the server; a relay pair taken earlier would stay (webrtc-rs does not switch).
    fn from_rtt(rtt: Duration, server: &str) -> RelayWait {
        let wait = (RELAY_WAIT_FLOOR + 4 * rtt).min(RELAY_WAIT_MAX);
        RelayWait {
            wait,
            detail: format!(
                "a relay pair is taken after {:.0} ms without a direct one (60 ms + 4 x the {:.1} ms round trip to {server})",
                wait.as_secs_f64() * 1e3,
                rtt.as_secs_f64() * 1e3
            ),
        }
    }

    fn unmeasured(why: String) -> RelayWait {
        RelayWait {
            wait: RELAY_WAIT_MAX,
            detail: format!("a relay pair is taken after 2000 ms without a direct one ({why})"),
        }
    }
}

/// The relay wait: the one given, else measured (a Binding request to the first TURN server,
/// on a blocking thread); None when no relay can come or nothing better than one can.
fn relay_wait_probe(opts: &CallOptions, cfg: &Config) -> Option<tokio::task::JoinHandle<RelayWait>> {
    if cfg.relay_only {
        return None;
    }
    let server = cfg.ice_servers.iter().find(|s| s.is_turn())?;
    if let Some(wait) = opts.relay_wait {
        let detail = format!(
            "a relay pair is taken after {:.0} ms without a direct one (--relay-wait)",
            wait.as_secs_f64() * 1e3
        );
        return Some(tokio::spawn(async move { RelayWait { wait, detail } }));
    }
    let (host, port) = (server.url.host.clone(), server.url.port_or_default());
    let name = server.url.host_and_port();
    let bind = opts.bind;
    Some(tokio::task::spawn_blocking(move || {
        let timeout = Duration::from_millis(500);
        let addr = match crate::core::dns::resolve(&host, port, timeout) {
            Ok(a) => a.into_iter().find(|a| a.is_ipv6() == bind.is_ipv6()),
            Err(e) => return RelayWait::unmeasured(format!("{name}: {e}")),
        };
        let Some(addr) = addr else {
            return RelayWait::unmeasured(format!("{name} has no address of our family"));
        };
        match crate::core::transact::ping::binding_rtt(addr, bind, timeout) {
            Ok(rtt) => RelayWait::from_rtt(rtt, &name),
            Err(e) => RelayWait::unmeasured(e),
        }
    }))
}

fn matches_target(target: &Target, m: &Member) -> bool {
    match target {
        Target::Peer(p) => m.name == *p || p.parse::<u32>().is_ok_and(|id| id == m.id),
        Target::Wait => false,
    }
}

/// A task that posts our messages to the peer one at a time; a failed post is reported.
fn outbox(client: SignalClient, me: u32, to: u32, failures: mpsc::UnboundedSender<String>) -> Outbox {
    let (tx, mut rx) = mpsc::unbounded_channel::<PeerMessage>();
    let task = tokio::spawn(async move {
        while let Some(m) = rx.recv().await {
            if let Err(e) = client.send(me, to, &m.to_body()).await {
                let _ = failures.send(e.to_string());
            }
        }
    });
    Outbox { tx, task }
}

#[allow(clippy::too_many_arguments)]
async fn call(
    opts: &CallOptions,
    cfg: &Config,
    client: &SignalClient,
    me: u32,
    members: Vec<Member>,
    notices: &mut mpsc::UnboundedReceiver<Notice>,
    st: &mut State,
    deadline: Instant,
    bind: SocketAddr,
) -> Result<(CallReport, Option<Error>)> {
    let role = if opts.target == Target::Wait { Side::Answerer } else { Side::Offerer };
    let (fail_tx, mut send_failures) = mpsc::unbounded_channel::<String>();
    let (ev_tx, mut events) = mpsc::unbounded_channel::<PeerEvent>();
    let (cand_tx, mut local_cands) = mpsc::unbounded_channel::<RTCIceCandidateInit>();
    let (held_tx, mut held) = mpsc::unbounded_channel::<RTCIceCandidateInit>();
    let filtering = st.nat_local.as_ref().and_then(|n| n.as_ref().ok()).and_then(|s| s.filtering.as_deref());
    let (delay, why) = srflx_hold(role, cfg.relay_only, filtering);
    if let Some(why) = why {
        st.push(Instant::now(), "srflx-hold", Some(why));
    }
    let hold = Hold { delay, tx: held_tx };
    let connect_deadline = tokio::time::Instant::from_std(deadline);
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    let mut interrupted = false;

    // 1. Find the peer: the caller waits for the named member, the callee for an offer.
    let mut remote: Option<Remote> = None;
    let mut pending_offer: Option<String> = None;
    let mut early_candidates: Vec<RTCIceCandidateInit> = Vec::new();
    let mut known: HashMap<u32, String> = members.iter().map(|m| (m.id, m.name.clone())).collect();
    if let Target::Peer(_) = &opts.target {
        if let Some(m) = members.iter().find(|m| matches_target(&opts.target, m)) {
            remote = Some(Remote {
                member: m.clone(),
                rtctool: None,
                media: None,
                outbox: outbox(client.clone(), me, m.id, fail_tx.clone()),
            });
        } else {
            st.status(format!("waiting for {} to sign in", target_name(&opts.target)));
        }
    } else {
        st.status("waiting for an offer");
    }
    while remote.is_none() || (role == Side::Answerer && pending_offer.is_none()) {
        tokio::select! {
            n = notices.recv() => match n {
                Some(Notice::Joined(m)) => {
                    st.push(Instant::now(), "peer-joined", Some(format!("{} (id {})", m.name, m.id)));
                    known.insert(m.id, m.name.clone());
                    if matches_target(&opts.target, &m) {
                        remote = Some(Remote { outbox: outbox(client.clone(), me, m.id, fail_tx.clone()), member: m, rtctool: None, media: None });
                    }
                }
                Some(Notice::Left(m)) => st.push(Instant::now(), "peer-left", Some(format!("{} (id {})", m.name, m.id))),
                Some(Notice::Message { from, body }) => {
                    if role == Side::Answerer && remote.as_ref().is_none_or(|r| r.member.id == from) {
                        match PeerMessage::parse(&body) {
                            Ok(PeerMessage::Description { kind, sdp, rtctool, media }) if kind == "offer" => {
                                let name = known.get(&from).cloned().unwrap_or_else(|| format!("peer_{from}"));
                                st.offer_at = Some(Instant::now());
                                st.push(Instant::now(), "offer-received", Some(format!("from {name} (id {from}), {} bytes", sdp.len())));
                                remote = Some(Remote { member: Member { id: from, name }, rtctool, media, outbox: outbox(client.clone(), me, from, fail_tx.clone()) });
                                pending_offer = Some(sdp);
                            }
                            Ok(PeerMessage::Candidate { candidate, mid, mline_index }) => {
                                early_candidates.push(RTCIceCandidateInit { candidate, sdp_mid: mid, sdp_mline_index: mline_index, ..Default::default() });
                            }
                            Ok(_) => {}
                            Err(why) => st.push(Instant::now(), "message-unreadable", Some(format!("from {from}: {why}"))),
                        }
                    } else {
                        st.push(Instant::now(), "message-ignored", Some(format!("from {from}: busy with another peer")));
                    }
                }
                Some(Notice::Failed(why)) => return Err(Error::network(why)),
                None => return Err(Error::network("the hanging GET ended")),
            },
            _ = tokio::time::sleep_until(connect_deadline) => {
                let report = finish_without_peer(opts, cfg, me, st, role);
                let what = if role == Side::Offerer { format!("{} did not sign in", target_name(&opts.target)) } else { "no offer came".to_owned() };
                return Ok((report, Some(Error::network(format!("{what} within {:?}", opts.timeout)))));
            }
            _ = &mut ctrl_c => {
                let report = finish_without_peer(opts, cfg, me, st, role);
                return Ok((report, Some(Error::network("interrupted before the call started"))));
            }
        }
    }
    let mut remote = remote.expect("loop ends with a peer");
    // Finding the peer (or its offer) had --timeout; connecting has it again, from now.
    let deadline = Instant::now() + opts.timeout;
    let connect_deadline = tokio::time::Instant::from_std(deadline);
    if role == Side::Offerer {
        st.push(
            Instant::now(),
            "peer-found",
            Some(format!("{} (id {})", remote.member.name, remote.member.id)),
        );
    }

    // 2. The peer connection, tracks, data channel.
    if let Err(why) = crate::loopback::peer::mdns_available() {
        st.push(
            Instant::now(),
            "mdns-unavailable",
            Some(format!("{why}: a peer's .local candidates cannot be resolved")),
        );
    }
    let mut peer = Peer::build(role, cfg, bind, ev_tx.clone(), cand_tx).await?;
    let mut rng = crate::loopback::impair::Rng::new(crate::loopback::impair::Rng::seed_from_time());
    let mut ssrc = || ((rng.next_f64() * f64::from(u32::MAX)) as u32).max(1);
    let ssrcs: HashMap<StreamId, u32> =
        cfg.kinds.iter().map(|&kind| (StreamId { from: role, kind }, ssrc())).collect();
    let (phase_tx, phase_rx) = watch::channel(Phase::Connecting);
    let mut running = Running {
        receptions: Arc::new(Mutex::new(HashMap::new())),
        senders: HashMap::new(),
        dc: Arc::new(DcCounters::default()),
        // The callee knows from the offer what the caller sends; the caller learns it from
        // the answer and makes the plan again then (tracks start only after it).
        plan: receive_plan(cfg, role, (role == Side::Answerer).then_some(&remote)),
    };
    let announced = Some(media_sources(cfg));
    let neg = |what: &str, e: webrtc::error::Error| Error::network(format!("{what}: {e}"));
    // The caller's data channel, held for the whole call (its tasks hold it too).
    let mut _data_channel: Option<Arc<dyn DataChannel>> = None;
    let version = Some(env!("CARGO_PKG_VERSION").to_owned());
    if role == Side::Offerer {
        for &kind in &cfg.kinds {
            peer.add_track(kind, cfg.codec(kind), ssrcs[&StreamId { from: role, kind }]).await?;
        }
        if cfg.datachannel != DataChannelMode::None {
            let channel = peer
                .pc
                .create_data_channel("rtctool", None)
                .await
                .map_err(|e| neg("creating the data channel", e))?;
            datachannel::spawn_offerer(
                channel.clone(),
                cfg.datachannel,
                st.t0,
                phase_rx.clone(),
                running.dc.clone(),
                ev_tx.clone(),
            );
            tokio::spawn(lcall::nudge(channel.clone(), phase_rx.clone(), deadline));
            _data_channel = Some(channel);
        }
        let offer = peer.pc.create_offer(None).await.map_err(|e| neg("creating the offer", e))?;
        peer.pc.set_local_description(offer.clone()).await.map_err(|e| neg("setting the offer", e))?;
        let _ = remote.outbox.send(PeerMessage::Description {
            kind: "offer".into(),
            sdp: offer.sdp,
            rtctool: version.clone(),
            media: announced.clone(),
        });
        st.offer_at = Some(Instant::now());
        st.push(Instant::now(), "offer-sent", None);
        st.status("waiting for the answer");
    } else {
        let sdp = pending_offer.take().expect("callee has an offer");
        let offer = RTCSessionDescription::offer(sdp)
            .map_err(|e| Error::network(format!("the peer's offer: {e}")))?;
        peer.pc.set_remote_description(offer).await.map_err(|e| neg("setting the peer's offer", e))?;
        for &kind in &cfg.kinds {
            peer.add_track(kind, cfg.codec(kind), ssrcs[&StreamId { from: role, kind }]).await?;
        }
        let answer = peer.pc.create_answer(None).await.map_err(|e| neg("creating the answer", e))?;
        peer.pc.set_local_description(answer.clone()).await.map_err(|e| neg("setting the answer", e))?;
        let _ = remote.outbox.send(PeerMessage::Description {
            kind: "answer".into(),
            sdp: answer.sdp,
            rtctool: version.clone(),
            media: announced.clone(),
        });
        st.t.answer = Some(Instant::now());
        st.dtls_role = Some(match cfg.answering_dtls_role {
            crate::loopback::DtlsRole::Client => "client",
            crate::loopback::DtlsRole::Server => "server",
        });
        st.push(
            Instant::now(),
            "answer-sent",
            Some(format!("we are the DTLS {}", st.dtls_role.unwrap_or("?"))),
        );
        for c in early_candidates.drain(..) {
            add_remote_candidate(&peer, c, st, &hold).await;
        }
        st.status("connecting");
    }
    let mut have_remote_description = role == Side::Answerer;

    // 3. Connect, then run, then drain: one loop, the phase decides what ends it.
    let wants_dc = cfg.datachannel != DataChannelMode::None && role == Side::Offerer;
    let mut phase = Phase::Connecting;
    let mut run_end: Option<tokio::time::Instant> = None;
    let mut media_window: Option<(Instant, Instant)> = None;
    let mut error: Option<String> = None;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        if phase == Phase::Connecting {
            if let Some(f) = &st.failure {
                error = Some(f.clone());
                break;
            }
            if st.connected() && (!wants_dc || st.t.data_channel_open.is_some()) {
                lcall::start_media(cfg, &[&peer], st.t0, &phase_rx, &mut running).await;
                let now = Instant::now();
                let _ = phase_tx.send(Phase::Running);
                phase = Phase::Running;
                run_end = Some(tokio::time::Instant::from_std(now + cfg.duration));
                media_window = Some((now, now));
                st.push(now, "media-start", Some(format!("for {:?}", cfg.duration)));
                st.status(format!("connected; media and data for {:?}", cfg.duration));
            }
        }
        if phase == Phase::Running && (st.bye || st.failure.is_some()) {
            if let Some(f) = &st.failure {
                error = Some(format!("{f} during the call"));
            }
            break;
        }
        if phase == Phase::Connecting && st.bye {
            error = Some("the peer hung up (BYE) before the call connected".into());
            break;
        }
        let end = run_end.unwrap_or(connect_deadline);
        tokio::select! {
            Some(ev) = events.recv() => handle(st, ev, &running, &ev_tx),
            Some(init) = held.recv() => {
                if let Err(e) = peer.pc.add_ice_candidate(init.clone()).await {
                    st.push(Instant::now(), "remote-candidate-rejected", Some(format!("{}: {e}", init.candidate)));
                }
            }
            Some(init) = local_cands.recv() => {
                let _ = remote.outbox.send(PeerMessage::Candidate { candidate: init.candidate, mid: init.sdp_mid, mline_index: init.sdp_mline_index });
            }
            Some(why) = send_failures.recv() => {
                st.push(Instant::now(), "signal-error", Some(why.clone()));
                st.failure.get_or_insert(format!("signalling failed: {why}"));
            }
            n = notices.recv() => match n {
                Some(Notice::Message { from, body }) if from == remote.member.id => {
                    match PeerMessage::parse(&body) {
                        Ok(PeerMessage::Description { kind, sdp, rtctool, media }) if kind == "answer" && role == Side::Offerer && !have_remote_description => {
                            st.t.answer = Some(Instant::now());
                            // The answer's a=setup decides: active makes the peer the DTLS client.
                            st.dtls_role = if sdp.contains("a=setup:active") { Some("server") } else if sdp.contains("a=setup:passive") { Some("client") } else { None };
                            st.push(Instant::now(), "answer-received", Some(format!("{} bytes; we are the DTLS {}", sdp.len(), st.dtls_role.unwrap_or("?"))));
                            remote.rtctool = rtctool;
                            remote.media = media;
                            running.plan = receive_plan(cfg, role, Some(&remote));
                            let answer = RTCSessionDescription::answer(sdp).map_err(|e| Error::network(format!("the peer's answer: {e}")))?;
                            if let Err(e) = peer.pc.set_remote_description(answer).await {
                                st.failure.get_or_insert(format!("setting the peer's answer: {e}"));
                            }
                            have_remote_description = true;
                            for c in early_candidates.drain(..) {
                                add_remote_candidate(&peer, c, st, &hold).await;
                            }
                            st.status("connecting");
                        }
                        Ok(PeerMessage::Description { kind, .. }) => {
                            st.push(Instant::now(), "description-ignored", Some(format!("an unexpected {kind}")));
                        }
                        Ok(PeerMessage::Candidate { candidate, mid, mline_index }) => {
                            let init = RTCIceCandidateInit { candidate, sdp_mid: mid, sdp_mline_index: mline_index, ..Default::default() };
                            if have_remote_description {
                                add_remote_candidate(&peer, init, st, &hold).await;
                            } else {
                                early_candidates.push(init);
                            }
                        }
                        Ok(PeerMessage::Report(v)) => st.remote_report = Some(v),
                        Ok(PeerMessage::Bye) => {
                            st.bye = true;
                            st.push(Instant::now(), "bye-received", None);
                        }
                        Err(why) => st.push(Instant::now(), "message-unreadable", Some(why)),
                    }
                }
                Some(Notice::Message { from, .. }) => st.push(Instant::now(), "message-ignored", Some(format!("from {from}: busy with another peer"))),
                Some(Notice::Left(m)) if m.id == remote.member.id => {
                    st.push(Instant::now(), "peer-left", Some(format!("{} (id {})", m.name, m.id)));
                    st.bye = true;
                }
                Some(Notice::Joined(_) | Notice::Left(_)) => {}
                Some(Notice::Failed(why)) => { st.failure.get_or_insert(why); }
                None => { st.failure.get_or_insert("the hanging GET ended".into()); }
            },
            _ = tick.tick() => if phase == Phase::Running { live_stats(st, &running) },
            _ = tokio::time::sleep_until(end) => {
                if phase == Phase::Connecting {
                    error = Some(format!("the call did not connect within {:?}: ICE {}, connection {}", opts.timeout, st.ice, st.pc));
                }
                break;
            }
            _ = &mut ctrl_c => { interrupted = true; break; }
        }
    }
    let connected = st.connected() || media_window.is_some();
    if let Some((start, _)) = media_window {
        let stop = Instant::now();
        let _ = phase_tx.send(Phase::Stopping);
        st.push(stop, "media-stop", interrupted.then(|| "interrupted".to_owned()));
        media_window = Some((start, stop));
        // Drain what is in flight: echoes and the last frames.
        let until = tokio::time::Instant::now() + Duration::from_millis(500);
        loop {
            tokio::select! {
                Some(ev) = events.recv() => handle(st, ev, &running, &ev_tx),
                _ = tokio::time::sleep_until(until) => break,
            }
        }
    }

    // 4. Statistics, hang up, and (with an rtctool peer) swap reports.
    st.status("collecting statistics");
    let stats = lcall::stats(&peer.pc).await;
    let mut report = build_report(
        opts,
        cfg,
        me,
        st,
        role,
        &remote,
        &running,
        &ssrcs,
        stats.as_ref(),
        media_window,
        connected,
        interrupted,
        error.clone(),
    );
    // Our own NAT check goes out with our report, so the peer can predict the cell too.
    if let Some(local @ Ok(_)) = &st.nat_local {
        report.nat_check = Some(super::natcheck::NatCheck::new(local, None, report.is_direct()));
    }
    if !st.bye {
        let _ = remote.outbox.send(PeerMessage::Bye);
    }
    if remote.rtctool.is_some() {
        if let Ok(v) = serde_json::to_value(&report) {
            let _ = remote.outbox.send(PeerMessage::Report(v));
        }
        if st.remote_report.is_none() {
            let until = tokio::time::Instant::now() + REPORT_WAIT;
            loop {
                tokio::select! {
                    n = notices.recv() => match n {
                        Some(Notice::Message { from, body }) if from == remote.member.id => {
                            if let Ok(PeerMessage::Report(v)) = PeerMessage::parse(&body) {
                                st.remote_report = Some(v);
                                break;
                            }
                        }
                        Some(_) => {}
                        None => break,
                    },
                    _ = tokio::time::sleep_until(until) => break,
                }
            }
        }
        report.remote_report = st.remote_report.take();
        fill_remote_end(&mut report);
        note_senders_counts(&mut report);
    }
    // The wire's evidence goes before the closing "no TURN server was given".
    let evidence = super::evidence::explain(&report);
    let at = report.diagnosis.iter().position(|l| l == report::NO_TURN).unwrap_or(report.diagnosis.len());
    report.diagnosis.splice(at..at, evidence);
    if let Some(local) = &st.nat_local {
        finish_nat_check(&mut report, local);
    }
    // Let the outbox finish (BYE and the report) before signing out.
    remote.outbox.flush(Duration::from_secs(2)).await;
    let _ = tokio::time::timeout(lcall::STATS_TIMEOUT, peer.pc.close()).await;
    let failure =
        (!connected).then(|| Error::network(error.unwrap_or_else(|| "the call did not connect".into())));
    Ok((report, failure))
}

fn target_name(t: &Target) -> String {
    match t {
        Target::Peer(p) => format!("peer '{p}'"),
        Target::Wait => "a peer".into(),
    }
}

/// Remote server-reflexive candidates are handed to the ICE agent a little late, the caller's
/// later than the callee's, so that the first checks to reach a NAT come in the order
/// Chromium's do: checks to host candidates first (a public host's router sees ours before we
/// see its), then the callee's to the caller's srflx, then the caller's. Where the peer's NAT
/// is a Linux-style one, the first check to arrive at it from an address it has not yet sent
/// to leaves a connection-tracking entry for exactly the 5-tuple its host's own check then
/// needs, and `snat` moves that check to another port: who checks first decides some cells of
/// the NAT traversal table. webrtc-rs checks every pair at each tick as soon as it has it,
/// which made those cells a coin toss.
struct Hold {
    delay: Duration,
    tx: mpsc::UnboundedSender<RTCIceCandidateInit>,
}

/// How long a remote srflx candidate is held (callee, caller): more than a check interval
/// apart, so the callee's checks go first even when its peer's answer came back at once.
const SRFLX_HOLD: (Duration, Duration) = (Duration::from_millis(20), Duration::from_millis(40));
/// With --nat-check, behind a NAT that filters by address and port: long enough for a peer
/// that starts at once to be first.
const SRFLX_HOLD_STRICT: Duration = Duration::from_millis(100);

/// How long the peer's srflx candidates are held, and why when --nat-check chose it.
///
/// The first check to reach a NAT before its host has sent to the checker leaves a
/// connection-tracking entry there, and that host's own check to the checker then leaves from
/// another port; the checker's NAT lets it in only when it filters no stricter than by
/// address. So the side whose NAT filters by address at most should check first: with our
/// filtering known (--nat-check), a permissive side starts at once and a strict one waits;
/// without it, the callee goes first (Chromium's usual order).
fn srflx_hold(role: Side, relay_only: bool, filtering: Option<&str>) -> (Duration, Option<String>) {
    if relay_only {
        // Relay pairs only: no NAT sees a check to a srflx candidate.
        return (Duration::ZERO, None);
    }
    match filtering {
        Some(f @ ("endpoint-independent" | "address-dependent")) => (
            Duration::ZERO,
            Some(format!("our NAT's filtering is {f}: our checks to the peer's srflx go first")),
        ),
        Some(f @ "address-and-port-dependent") => (
            SRFLX_HOLD_STRICT,
            Some(format!(
                "our NAT's filtering is {f}: our checks to the peer's srflx wait {} ms, so that the peer's come first",
                SRFLX_HOLD_STRICT.as_millis()
            )),
        ),
        _ => (if role == Side::Answerer { SRFLX_HOLD.0 } else { SRFLX_HOLD.1 }, None),
    }
}

async fn add_remote_candidate(peer: &Peer, init: RTCIceCandidateInit, st: &mut State, hold: &Hold) {
    let now = Instant::now();
    st.t.first_remote_candidate.get_or_insert(now);
    match Candidate::parse(&init.candidate) {
        Ok(c) => {
            let held = c.typ == CandidateType::Srflx && !hold.delay.is_zero();
            let mut detail = format!("{} {} {}:{}", c.typ, c.protocol(), c.address, c.port);
            if held {
                detail.push_str(&format!(" (checked from {} ms on)", hold.delay.as_millis()));
            }
            st.candidates.push(CallCandidate { from: "remote", elapsed_ms: st.ms(now), candidate: c });
            st.push(now, "remote-candidate", Some(detail));
            if held {
                let (tx, delay) = (hold.tx.clone(), hold.delay);
                tokio::spawn(async move {
                    tokio::time::sleep(delay).await;
                    let _ = tx.send(init);
                });
                return;
            }
        }
        Err(e) => st.push(now, "remote-candidate-unparseable", Some(format!("{e}: {}", init.candidate))),
    }
    if init.candidate.contains(".local ") {
        st.push(
            now,
            "remote-candidate-mdns",
            Some(
                "an mDNS (.local) candidate; webrtc-rs resolves it only when multicast DNS reaches the peer"
                    .into(),
            ),
        );
    }
    if let Err(e) = peer.pc.add_ice_candidate(init.clone()).await {
        st.push(now, "remote-candidate-rejected", Some(format!("{}: {e}", init.candidate)));
    }
}

fn handle(st: &mut State, ev: PeerEvent, running: &Running, ev_tx: &mpsc::UnboundedSender<PeerEvent>) {
    let at = ev.at;
    match ev.kind {
        PeerEventKind::Candidate(line) => {
            st.t.first_candidate.get_or_insert(at);
            let detail = match Candidate::parse(&line) {
                Ok(c) => {
                    let d = format!("{} {} {}:{}", c.typ, c.protocol(), c.address, c.port);
                    st.candidates.push(CallCandidate { from: "local", elapsed_ms: st.ms(at), candidate: c });
                    d
                }
                Err(e) => format!("unparseable ({e}): {line}"),
            };
            st.push(at, "local-candidate", Some(detail));
        }
        PeerEventKind::CandidateError { url, code, text } => {
            st.push(at, "candidate-error", Some(format!("{url}: {code} {text}")))
        }
        PeerEventKind::Gathering(state) => {
            if state == RTCIceGatheringState::Complete {
                st.t.gathering.get_or_insert(at);
                st.push(at, "gathering-complete", None);
            }
        }
        PeerEventKind::Ice(state) => {
            st.ice = state;
            match state {
                RTCIceConnectionState::Checking => {
                    st.t.ice_checking.get_or_insert(at);
                }
                RTCIceConnectionState::Connected | RTCIceConnectionState::Completed => {
                    st.t.ice_connected.get_or_insert(at);
                }
                RTCIceConnectionState::Failed => {
                    st.failure.get_or_insert_with(|| "ICE failed".into());
                }
                _ => {}
            }
            st.push(at, &format!("ice-{state}"), None);
        }
        PeerEventKind::Connection(state) => {
            st.pc = state;
            let event = match state {
                RTCPeerConnectionState::Connected => {
                    st.t.dtls_connected.get_or_insert(at);
                    "dtls-connected".to_owned()
                }
                RTCPeerConnectionState::Failed => {
                    st.failure.get_or_insert_with(|| "the connection failed".into());
                    "connection-failed".to_owned()
                }
                other => format!("connection-{other}"),
            };
            st.push(at, &event, None);
        }
        PeerEventKind::DataChannel(dc) => {
            datachannel::spawn_answerer(dc, running.dc.clone(), ev_tx.clone(), true);
            st.push(at, "data-channel-announced", None);
        }
        PeerEventKind::Track(track) => {
            tokio::spawn(media::receive_track(
                ev.side,
                track,
                st.t0,
                running.receptions.clone(),
                running.plan.clone(),
                ev_tx.clone(),
            ));
            st.push(at, "track", None);
        }
        PeerEventKind::Milestone { event, detail } => {
            match event {
                "data-channel-open" => {
                    st.t.data_channel_open.get_or_insert(at);
                }
                "first-rtp" => {
                    st.t.first_media.get_or_insert(at);
                }
                "first-frame" => {
                    st.t.first_frame.get_or_insert(at);
                }
                _ => {}
            }
            st.push(at, event, detail);
        }
    }
}

fn live_stats(st: &State, running: &Running) {
    let map = lock(&running.receptions);
    let mut parts = Vec::new();
    for (id, rx) in map.iter() {
        parts.push(format!("{} {} packets, {} frames", id.kind.as_str(), rx.packets, rx.tally.verified));
    }
    drop(map);
    let echoes = running.dc.echoes.load(std::sync::atomic::Ordering::Relaxed);
    if echoes > 0 {
        parts.push(format!("{echoes} echoes"));
    }
    st.status(format!("connected: {}", parts.join(", ")));
    if st.live.mode == Mode::Ndjson {
        let _ = output::write_ndjson(
            &mut io::stdout().lock(),
            &serde_json::json!({"event": "stats", "ms": st.ms(Instant::now()), "summary": parts}),
        );
    }
}

fn config_summary(opts: &CallOptions, cfg: &Config) -> ConfigSummary {
    ConfigSummary {
        media: format!("{:?}", cfg.media).to_lowercase(),
        datachannel: cfg.datachannel,
        duration_s: cfg.duration.as_secs_f64(),
        video_bitrate: cfg.video_bitrate,
        fps: cfg.fps,
        audio_bitrate: crate::loopback::AUDIO_BITRATE,
        bind_address: opts.bind.to_string(),
        ice_servers: cfg.ice_servers.iter().map(|s| s.url.to_string()).collect(),
        relay_only: cfg.relay_only,
        max_loss_pct: cfg.max_loss,
    }
}

fn role_name(role: Side) -> &'static str {
    match role {
        Side::Offerer => "caller",
        Side::Answerer => "callee",
    }
}

fn finish_without_peer(opts: &CallOptions, cfg: &Config, me: u32, st: &mut State, role: Side) -> CallReport {
    let mut r = CallReport {
        connected: false,
        interrupted: false,
        error: None,
        role: role_name(role),
        dtls_role: None,
        signal: opts.signal.to_string(),
        me: PeerInfo { name: opts.name.clone(), id: me, rtctool: None },
        peer: None,
        config: config_summary(opts, cfg),
        timings_ms: CallTimings::default(),
        timeline: std::mem::take(&mut st.timeline),
        candidates: Vec::new(),
        selected_pair: None,
        pairs: Vec::new(),
        media: Default::default(),
        data_channel: None,
        wire: None,
        diagnosis: Vec::new(),
        remote_report: None,
        nat_check: None,
        checks: vec![Check { name: "connected".into(), ok: false, message: "no peer".into() }],
        done_ms: st.ms(Instant::now()),
    };
    r.diagnosis = report::diagnose(&r);
    r.error = r.diagnosis.first().cloned();
    r
}

#[allow(clippy::too_many_arguments)]
fn build_report(
    opts: &CallOptions,
    cfg: &Config,
    me: u32,
    st: &mut State,
    role: Side,
    remote: &Remote,
    running: &Running,
    ssrcs: &HashMap<StreamId, u32>,
    stats: Option<&RTCStatsReport>,
    media_window: Option<(Instant, Instant)>,
    connected: bool,
    interrupted: bool,
    error: Option<String>,
) -> CallReport {
    let t = &st.t;
    let timings = CallTimings {
        sign_in_to_offer: st.offer_at.map(|o| st.ms(o)),
        answer: st.since_offer(t.answer),
        gathering: st.since_offer(t.gathering),
        first_candidate: st.since_offer(t.first_candidate),
        first_remote_candidate: st.since_offer(t.first_remote_candidate),
        ice_checking: st.since_offer(t.ice_checking),
        ice_connected: st.since_offer(t.ice_connected),
        dtls_connected: st.since_offer(t.dtls_connected),
        data_channel_open: st.since_offer(t.data_channel_open),
        first_media: st.since_offer(t.first_media),
        first_frame: st.since_offer(t.first_frame),
    };
    let (selected_pair, pairs) = pair_reports(stats);
    // Only what an rtctool peer announced as the clip or synthetic frames is verified; a
    // browser's (the page says it is "page") or a file's media is measured.
    let verified: Vec<Kind> =
        [Kind::Audio, Kind::Video].into_iter().filter(|&k| remote.source(k).is_some()).collect();
    let streams = streams(cfg, role, ssrcs, running, stats, &verified);
    let dc_mode = if role == Side::Offerer { cfg.datachannel } else { DataChannelMode::Ping };
    let data_channel = (cfg.datachannel != DataChannelMode::None
        && (role == Side::Offerer || st.t.data_channel_open.is_some()))
    .then(|| {
        let mut r = lcall::dc_report(dc_mode, &running.dc, st.since_offer(st.t.data_channel_open));
        if role == Side::Answerer {
            // The callee echoes: what came in, and went back unchanged (or as echoes).
            let echoed = running.dc.pings_echoed.load(std::sync::atomic::Ordering::Relaxed)
                + running.dc.foreign_echoed.load(std::sync::atomic::Ordering::Relaxed);
            r.messages_received = echoed;
            r.messages_sent = echoed;
        }
        r
    });
    let media_ran = media_window.is_some();
    let mut checks = vec![Check {
        name: "connected".into(),
        ok: connected,
        message: if connected {
            format!(
                "ICE connected at {} ms, DTLS at {} ms from the offer",
                crate::loopback::report::ms(timings.ice_connected),
                crate::loopback::report::ms(timings.dtls_connected)
            )
        } else {
            error.clone().unwrap_or_else(|| "did not connect".into())
        },
    }];
    if connected {
        if cfg.relay_only {
            let ok = selected_pair.as_ref().is_some_and(|p| p.local.typ == "relay");
            checks.push(Check {
                name: "relay pair".into(),
                ok,
                message: selected_pair.as_ref().map_or("no selected pair in the statistics".into(), |p| {
                    format!("{} / {}", p.local.typ, p.remote.typ)
                }),
            });
        }
        if let (Some(dc), Side::Offerer) = (&data_channel, role) {
            checks.push(lcall::dc_check(
                dc,
                media_ran && !cfg.duration.is_zero(),
                ("came back", "echoed and verified"),
            ));
        }
        if media_ran && !cfg.duration.is_zero() {
            for s in streams.iter().filter(|s| s.from == "remote") {
                let f = &s.frames;
                let (ok, message) = if verified.iter().any(|k| k.as_str() == s.kind) {
                    let loss = if f.sent == 0 { 0.0 } else { f.loss_pct };
                    (
                        f.verified > 0 && f.corrupted == 0 && loss <= cfg.max_loss,
                        format!(
                            "{} frames verified, {} corrupted (the sender's count is in its own report)",
                            f.verified, f.corrupted
                        ),
                    )
                } else {
                    (
                        s.packets_received > 0,
                        format!(
                            "{} received (not verified: the peer is not rtctool)",
                            crate::core::units::count(s.packets_received, "packet")
                        ),
                    )
                };
                checks.push(Check { name: format!("media {}", s.stream), ok, message });
            }
        }
    }
    let mut report = CallReport {
        connected,
        interrupted,
        error,
        role: role_name(role),
        dtls_role: st.dtls_role,
        signal: opts.signal.to_string(),
        me: PeerInfo { name: opts.name.clone(), id: me, rtctool: Some(env!("CARGO_PKG_VERSION").to_owned()) },
        peer: Some(PeerInfo {
            name: remote.member.name.clone(),
            id: remote.member.id,
            rtctool: remote.rtctool.clone(),
        }),
        config: config_summary(opts, cfg),
        timings_ms: timings,
        timeline: st.timeline.clone(),
        candidates: st.candidates.clone(),
        selected_pair,
        pairs,
        media: crate::loopback::report::MediaReport { streams },
        data_channel,
        wire: cfg.wire.as_ref().map(|w| w.report()),
        diagnosis: Vec::new(),
        remote_report: None,
        nat_check: None,
        checks,
        done_ms: st.ms(Instant::now()),
    };
    report.diagnosis = report::diagnose(&report);
    report
}

/// Put both sides' NAT behaviour, the prediction and the outcome in the report, and the
/// evidence in the diagnosis when the call did not go the direct way.
fn finish_nat_check(report: &mut CallReport, local: &std::result::Result<super::natcheck::NatSide, String>) {
    let remote = report
        .remote_report
        .as_ref()
        .and_then(|r| r.pointer("/nat_check/local"))
        .and_then(|v| serde_json::from_value(v.clone()).ok());
    let check = super::natcheck::NatCheck::new(local, remote, report.is_direct());
    if !check.direct {
        report.diagnosis.extend(super::natcheck::explain(&check));
    }
    report.nat_check = Some(check);
}

/// With an rtctool peer's report in hand, say how many frames it sent beside each verified
/// stream's check. Informational: the peer counts until it stops, which can be after we did.
fn note_senders_counts(report: &mut CallReport) {
    let Some(theirs) =
        report.remote_report.as_ref().and_then(|r| r.pointer("/media/streams")).and_then(|s| s.as_array())
    else {
        return;
    };
    for check in report.checks.iter_mut().filter(|c| c.name.starts_with("media remote→local ")) {
        let kind = check.name.trim_start_matches("media remote→local ");
        let sent = theirs
            .iter()
            .find(|s| s["stream"] == format!("local→remote {kind}"))
            .and_then(|s| s.pointer("/frames/sent"))
            .and_then(serde_json::Value::as_u64);
        if let (Some(sent), Some(pos)) =
            (sent, check.message.find(" (the sender's count is in its own report)"))
        {
            check.message.truncate(pos);
            check.message.push_str(&format!("; the peer sent {sent}"));
        }
    }
}

/// When our statistics lost the remote end of the selected pair (webrtc-rs files a candidate
/// first learnt as peer-reflexive under another id), the peer's own report names it.
fn fill_remote_end(report: &mut CallReport) {
    if report.selected_pair.is_some() {
        return;
    }
    let Some(theirs) = report.remote_report.as_ref().and_then(|r| r.get("selected_pair")) else { return };
    let end = |v: &serde_json::Value| -> Option<PairEnd> {
        Some(PairEnd {
            typ: v.get("type")?.as_str()?.to_owned(),
            protocol: v.get("protocol")?.as_str()?.to_owned(),
            address: v.get("address")?.as_str()?.to_owned(),
            port: u16::try_from(v.get("port")?.as_u64()?).ok()?,
        })
    };
    // Their local end is our remote one, and the other way round.
    if let (Some(local), Some(remote)) =
        (theirs.get("remote").and_then(end), theirs.get("local").and_then(end))
    {
        let rtt_ms = theirs.get("rtt_ms").and_then(serde_json::Value::as_f64);
        report.selected_pair = Some(crate::loopback::report::SelectedPair { local, remote, rtt_ms });
    }
}

/// The selected pair and every pair, from our statistics.
fn pair_reports(
    stats: Option<&RTCStatsReport>,
) -> (Option<crate::loopback::report::SelectedPair>, Vec<PairReport>) {
    let Some(stats) = stats else { return (None, Vec::new()) };
    let selected = lcall::pair_ends(stats).and_then(|(l, r, rtt)| {
        Some(crate::loopback::report::SelectedPair { local: l?, remote: r?, rtt_ms: rtt })
    });
    let find = |id: &str, local: bool| lcall::candidate_end(stats, id, local);
    let selected = selected.or_else(|| {
        let p = stats
            .candidate_pairs()
            .filter(|p| p.nominated || p.responses_received > 0)
            .max_by_key(|p| (p.nominated, p.responses_received))?;
        Some(crate::loopback::report::SelectedPair {
            local: find(&p.local_candidate_id, true)?,
            remote: find(&p.remote_candidate_id, false)?,
            rtt_ms: (p.current_round_trip_time > 0.0).then(|| round2(p.current_round_trip_time * 1000.0)),
        })
    });
    let pairs = stats
        .candidate_pairs()
        .map(|p| PairReport {
            local: find(&p.local_candidate_id, true),
            remote: find(&p.remote_candidate_id, false),
            state: serde_json::to_value(p.state)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_else(|| "unspecified".into()),
            nominated: p.nominated,
            requests_sent: p.requests_sent,
            requests_received: p.requests_received,
            responses_sent: p.responses_sent,
            responses_received: p.responses_received,
            rtt_ms: (p.current_round_trip_time > 0.0).then(|| round2(p.current_round_trip_time * 1000.0)),
        })
        .collect();
    (selected, pairs)
}

/// Our streams (sent) and the peer's (received), from our counters and statistics.
fn streams(
    cfg: &Config,
    role: Side,
    ssrcs: &HashMap<StreamId, u32>,
    running: &Running,
    stats: Option<&RTCStatsReport>,
    verified: &[Kind],
) -> Vec<StreamReport> {
    use std::sync::atomic::Ordering;
    let mut out = Vec::new();
    let label = |from: Side, kind: &str| {
        if from == role {
            format!("local→remote {kind}")
        } else {
            format!("remote→local {kind}")
        }
    };
    let pct = |n: u64, of: u64| if of == 0 { 0.0 } else { round2(n as f64 * 100.0 / of as f64) };
    for &kind in &cfg.kinds {
        let id = StreamId { from: role, kind };
        let ssrc = ssrcs[&id];
        let outbound = lcall::find_entry(stats, |e| match e {
            RTCStatsReportEntry::OutboundRtp(o) if o.sent_rtp_stream_stats.rtp_stream_stats.ssrc == ssrc => {
                Some(o)
            }
            _ => None,
        });
        let sent = running.senders.get(&id).map_or(0, |c| c.frames.load(Ordering::Relaxed));
        out.push(StreamReport {
            stream: label(role, kind.as_str()),
            from: "local".into(),
            to: "remote".into(),
            kind: kind.as_str().into(),
            codec: cfg.codec(kind).name().into(),
            source: cfg.file(kind).map_or_else(|| "synthetic".to_owned(), |f| f.path.display().to_string()),
            ssrc,
            packets_sent: outbound.map_or(0, |o| o.sent_rtp_stream_stats.packets_sent),
            bytes_sent: outbound.map_or(0, |o| o.sent_rtp_stream_stats.bytes_sent),
            packets_received: 0,
            bytes_received: 0,
            packets_lost: 0,
            loss_pct: 0.0,
            jitter_ms: None,
            arrival_jitter_ms: 0.0,
            rtt_ms: None,
            nacks: 0,
            recovered_packets: 0,
            frames: FrameReport { sent, verified: 0, corrupted: 0, late: 0, lost: 0, loss_pct: 0.0 },
            latency_ms: None,
        });
    }
    let mut map = lock(&running.receptions);
    let mut ids: Vec<StreamId> = map.keys().copied().collect();
    ids.sort();
    for id in ids {
        let rx = map.get_mut(&id).expect("key from the map");
        rx.tally.finish();
        let ssrc = rx.ssrc;
        let inbound = lcall::find_entry(stats, |e| match e {
            RTCStatsReportEntry::InboundRtp(o)
                if o.received_rtp_stream_stats.rtp_stream_stats.ssrc == ssrc =>
            {
                Some(o)
            }
            _ => None,
        });
        let lost = rx.assembler.lost();
        let expected = rx.assembler.unique + lost;
        let verify = verified.contains(&id.kind);
        let (verified, corrupted) = if verify { (rx.tally.verified, rx.tally.corrupted) } else { (0, 0) };
        out.push(StreamReport {
            stream: label(id.from, id.kind.as_str()),
            from: "remote".into(),
            to: "local".into(),
            kind: id.kind.as_str().into(),
            codec: cfg.codec(id.kind).name().into(),
            source: if verify { "rtctool".into() } else { "peer".into() },
            ssrc,
            packets_sent: 0,
            bytes_sent: 0,
            packets_received: inbound
                .map_or(rx.packets, |i| i.received_rtp_stream_stats.packets_received.max(rx.packets)),
            bytes_received: inbound.map_or(rx.payload_bytes, |i| i.bytes_received.max(rx.payload_bytes)),
            packets_lost: lost,
            loss_pct: pct(lost, expected),
            jitter_ms: inbound
                .map(|i| i.received_rtp_stream_stats.jitter)
                .filter(|j| *j > 0.0)
                .map(|j| round_millis(j * 1000.0 / f64::from(id.kind.clock_rate()))),
            arrival_jitter_ms: round2(rx.jitter.ms(id.kind.clock_rate())),
            rtt_ms: None,
            nacks: inbound.map_or(0, |i| u64::from(i.nack_count)),
            recovered_packets: rx.assembler.out_of_order,
            frames: FrameReport {
                sent: 0,
                verified,
                corrupted,
                late: if verify { rx.tally.late } else { 0 },
                lost: 0,
                loss_pct: 0.0,
            },
            // Send times are the peer's clock: no latency across machines.
            latency_ms: None,
        });
    }
    out
}
