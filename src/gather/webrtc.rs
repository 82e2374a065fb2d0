//! `--engine webrtc`: gathering as an application sees it through a real WebRTC stack
//! (webrtc-rs): a peer connection with the ICE servers and the transport policy, a data
//! channel so the offer has something to negotiate, `createOffer`, `setLocalDescription`, and
//! each `onicecandidate` as it trickles, until gathering is complete (or `--timeout`).
//!
//! The candidates go through the same table as the diag engine's. What the stack does not tell
//! an application is said so, not guessed: webrtc-rs 0.21 never fires `onicecandidateerror`
//! (failures only go to its log), skips TURN over TCP and TLS and `stuns:` (again only a log
//! line), and does not say which STUN server a srflx candidate came from. Its warnings and
//! errors are captured while gathering and shown with the server they name.

use std::net::{IpAddr, SocketAddr, SocketAddrV6, ToSocketAddrs};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use webrtc::peer_connection::{
    PeerConnection, PeerConnectionBuilder, PeerConnectionEventHandler, RTCConfigurationBuilder,
    RTCIceGatheringState, RTCIceTransportPolicy, RTCPeerConnectionIceErrorEvent, RTCPeerConnectionIceEvent,
};

use super::engine::Config;
use super::interfaces::InterfaceAddress;
use super::net::{self, Options};
use super::report::{
    Counts, FailureKind, GatherReport, GatheredCandidate, ServerError, ServerReport, Step, UNREACHABLE_CODE,
};
use crate::core::ice::{Candidate, CandidateType, EffectiveTransport, IceServer};
use crate::core::output::millis;
use crate::{Error, Result};

/// What the webrtc engine reports while it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// A candidate arrived (index into the candidates so far).
    Candidate(usize),
}

/// A message webrtc-rs logged while gathering.
#[derive(Debug, Clone)]
struct Logged {
    at: Instant,
    level: log::Level,
    text: String,
}

/// The process-wide logger that records webrtc-rs's warnings and errors while a gathering
/// runs (it is installed once; other records are dropped).
struct Capture {
    records: Mutex<Option<Vec<Logged>>>,
}

impl log::Log for Capture {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() <= log::Level::Warn
            && (metadata.target().starts_with("webrtc") || metadata.target().starts_with("rtc"))
    }

    fn log(&self, record: &log::Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let mut records = self.records.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(list) = records.as_mut() {
            list.push(Logged { at: Instant::now(), level: record.level(), text: record.args().to_string() });
        }
    }

    fn flush(&self) {}
}

fn capture() -> &'static Capture {
    static CAPTURE: OnceLock<&'static Capture> = OnceLock::new();
    CAPTURE.get_or_init(|| {
        let capture: &'static Capture = Box::leak(Box::new(Capture { records: Mutex::new(None) }));
        if log::set_logger(capture).is_ok() {
            log::set_max_level(log::LevelFilter::Warn);
        }
        capture
    })
}

fn start_capture() {
    *capture().records.lock().unwrap_or_else(PoisonError::into_inner) = Some(Vec::new());
}

fn stop_capture() -> Vec<Logged> {
    capture().records.lock().unwrap_or_else(PoisonError::into_inner).take().unwrap_or_default()
}

enum Happened {
    Candidate { line: String, url: String, at: Instant },
    Error { url: String, code: u16, text: String, at: Instant },
    Gathering(RTCIceGatheringState, Instant),
}

struct Handler {
    events: mpsc::UnboundedSender<Happened>,
}

#[async_trait::async_trait]
impl PeerConnectionEventHandler for Handler {
    async fn on_ice_candidate(&self, event: RTCPeerConnectionIceEvent) {
        let at = Instant::now();
        if let Ok(init) = event.candidate.to_json() {
            let url = init.url.clone().filter(|u| !u.is_empty()).unwrap_or(event.url);
            let _ = self.events.send(Happened::Candidate { line: init.candidate, url, at });
        }
    }

    async fn on_ice_candidate_error(&self, event: RTCPeerConnectionIceErrorEvent) {
        let _ = self.events.send(Happened::Error {
            url: event.url,
            code: event.error_code,
            text: event.error_text,
            at: Instant::now(),
        });
    }

    async fn on_ice_gathering_state_change(&self, state: RTCIceGatheringState) {
        let _ = self.events.send(Happened::Gathering(state, Instant::now()));
    }
}

/// What webrtc-rs cannot do at all (it skips these with a log line).
fn unsupported(server: &IceServer) -> Option<&'static str> {
    match (server.is_turn(), server.transport()) {
        (true, EffectiveTransport::Tcp) => Some("webrtc-rs 0.21 does not do TURN over TCP: it skips the URL"),
        (_, EffectiveTransport::Tls) => {
            Some("webrtc-rs 0.21 does not do STUN/TURN over TLS: it skips the URL")
        }
        _ => None,
    }
}

/// The addresses a server's log lines would name: `host:port` as written, and what it resolves
/// to (bounded: a slow resolver only loses the attribution of log lines).
fn names_of(server: &IceServer) -> Vec<String> {
    let mut names = vec![server.url.host_and_port()];
    let (host, port) = (server.host().to_string(), server.port());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send((host.as_str(), port).to_socket_addrs().map(|a| a.collect::<Vec<_>>()));
    });
    if let Ok(Ok(addrs)) = rx.recv_timeout(Duration::from_millis(500)) {
        names.extend(addrs.into_iter().map(|a| a.to_string()));
    }
    names.sort();
    names.dedup();
    names
}

fn bind_address(a: &InterfaceAddress) -> SocketAddr {
    match a.ip {
        IpAddr::V6(v6) => SocketAddr::V6(SocketAddrV6::new(v6, 0, 0, a.scope_id)),
        ip => SocketAddr::new(ip, 0),
    }
}

/// Gather with webrtc-rs. `on_candidate` hears of each candidate as it arrives.
pub fn gather(
    config: &Config,
    opts: &Options,
    mut on_candidate: impl FnMut(&GatheredCandidate),
) -> Result<GatherReport> {
    let addresses = net::local_addresses(&opts.filter, config)?;
    if addresses.is_empty() {
        return Err(Error::network(
            "no usable local address (loopback and link-local addresses are left out unless asked for: --loopback, --link-local, --interface)",
        ));
    }
    let names: Vec<Vec<String>> = config.servers.iter().map(names_of).collect();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::network(format!("starting the async runtime: {e}")))?;
    start_capture();
    let result = runtime.block_on(run(config, &addresses, &mut on_candidate));
    runtime.shutdown_timeout(Duration::from_millis(200));
    let logged = stop_capture();
    let (candidates, start, done, errors) = result?;
    Ok(assemble(config, &names, candidates, start, done, errors, logged))
}

/// An `onicecandidateerror`: URL, code, text, when.
type FiredError = (String, u16, String, Instant);

/// What the peer connection gave: candidates, the start (createOffer), when gathering completed,
/// the errors it fired.
type Raw = (Vec<GatheredCandidate>, Instant, Option<Instant>, Vec<FiredError>);

async fn run(
    config: &Config,
    addresses: &[InterfaceAddress],
    on_candidate: &mut impl FnMut(&GatheredCandidate),
) -> Result<Raw> {
    let servers = crate::loopback::rtc_ice_servers(&config.servers);
    let mut rtc_config = RTCConfigurationBuilder::new().with_ice_servers(servers);
    if config.relay_only {
        rtc_config = rtc_config.with_ice_transport_policy(RTCIceTransportPolicy::Relay);
    }
    let (tx, mut rx) = mpsc::unbounded_channel();
    let binds: Vec<SocketAddr> = addresses.iter().map(bind_address).collect();
    let pc = PeerConnectionBuilder::new()
        .with_configuration(rtc_config.build())
        .with_handler(Arc::new(Handler { events: tx }))
        .with_udp_addrs(binds)
        .build()
        .await
        .map_err(|e| Error::network(format!("creating the peer connection: {e}")))?;
    let pc: Arc<dyn PeerConnection> = Arc::new(pc);
    pc.create_data_channel("rtctool-gather", None)
        .await
        .map_err(|e| Error::network(format!("creating a data channel: {e}")))?;

    // The clock starts where the Trickle ICE page's does: at createOffer.
    let start = Instant::now();
    let offer = pc.create_offer(None).await.map_err(|e| Error::network(format!("createOffer: {e}")))?;
    pc.set_local_description(offer).await.map_err(|e| Error::network(format!("setLocalDescription: {e}")))?;

    let deadline = tokio::time::Instant::from_std(start + config.timeout);
    let mut candidates: Vec<GatheredCandidate> = Vec::new();
    let mut errors = Vec::new();
    let mut done = None;
    loop {
        let next = tokio::time::timeout_at(deadline, rx.recv()).await;
        let Ok(Some(happened)) = next else { break };
        match happened {
            Happened::Candidate { line, url, at } => {
                if line.trim().is_empty() {
                    continue; // end-of-candidates
                }
                if let Ok(candidate) = Candidate::parse(&line) {
                    let url = (!url.is_empty()).then_some(url);
                    let relay_protocol = (candidate.typ == CandidateType::Relay).then_some("udp");
                    let ip = candidate.ip();
                    let interface = addresses
                        .iter()
                        .find(|a| Some(a.ip) == ip || candidate.related_ip() == Some(a.ip))
                        .map(|a| a.interface.clone());
                    let g = GatheredCandidate {
                        candidate,
                        url,
                        relay_protocol,
                        interface,
                        elapsed_ms: millis(at.saturating_duration_since(start)),
                    };
                    on_candidate(&g);
                    candidates.push(g);
                }
            }
            Happened::Error { url, code, text, at } => errors.push((url, code, text, at)),
            Happened::Gathering(RTCIceGatheringState::Complete, at) => {
                done = Some(at);
                break;
            }
            Happened::Gathering(..) => {}
        }
    }
    // close() releases the TURN allocations (Refresh with lifetime 0) before it returns.
    let _ = tokio::time::timeout(Duration::from_secs(1), pc.close()).await;
    Ok((candidates, start, done, errors))
}

/// The report: candidates as they came, and per server what can honestly be said.
fn assemble(
    config: &Config,
    names: &[Vec<String>],
    candidates: Vec<GatheredCandidate>,
    start: Instant,
    done: Option<Instant>,
    errors: Vec<FiredError>,
    logged: Vec<Logged>,
) -> GatherReport {
    let ms = |at: Instant| millis(at.saturating_duration_since(start));
    let mut notes = vec![
        "engine webrtc (webrtc-rs 0.21): it never fires onicecandidateerror; a server that gives no candidate is reported without the stack's reason, with what it logged".to_string(),
    ];
    if config.tcp_candidates {
        notes.push("--tcp is not supported by the webrtc engine: no TCP host candidates".into());
    }
    if config.relay_test && config.servers.iter().any(|s| s.is_turn()) {
        notes.push(
            "the webrtc engine does not test relays (allocations only): use --engine diag for the relay test"
                .into(),
        );
    }
    let stun_servers = config.servers.iter().filter(|s| !s.is_turn() && unsupported(s).is_none()).count();
    let srflx: Vec<&GatheredCandidate> =
        candidates.iter().filter(|c| c.typ() == CandidateType::Srflx).collect();
    let stack_urls: Vec<String> = config.servers.iter().map(IceServer::url_for_stack).collect();
    // A log line belongs to the servers whose URL it quotes, else to those whose address it
    // names (a line quoting `turn:h:p?transport=tcp` is not about `turn:h:p`).
    let owners: Vec<Vec<usize>> = logged
        .iter()
        .map(|l| {
            let quoting: Vec<usize> =
                (0..stack_urls.len()).filter(|&i| quotes(&l.text, &stack_urls[i])).collect();
            if !quoting.is_empty() {
                return quoting;
            }
            (0..names.len()).filter(|&i| names[i].iter().any(|n| l.text.contains(n.as_str()))).collect()
        })
        .collect();
    let mut reports = Vec::new();
    for (i, server) in config.servers.iter().enumerate() {
        let kind = if server.is_turn() { "turn" } else { "stun" };
        let mut r = ServerReport::new(server.label(), kind, server.transport().as_str());
        let stack_url = &stack_urls[i];
        let mut lines = Vec::new();
        for (l, owner) in logged.iter().zip(&owners) {
            if owner.contains(&i) {
                lines.push(format!("{}: {}", l.level.as_str().to_lowercase(), l.text));
                r.steps.push(Step { at_ms: ms(l.at), what: format!("webrtc-rs logged: {}", l.text) });
            }
        }
        let fired: Vec<_> = errors.iter().filter(|e| &e.0 == stack_url).collect();
        if stack_urls[..i].contains(stack_url) {
            let why = "the same server as an earlier URL: webrtc-rs keeps one client per local address and \
                       server, so this one (other credentials?) is not tried";
            r.error = Some(ServerError::new(UNREACHABLE_CODE, why, FailureKind::Unsupported));
            reports.push(r);
            continue;
        }
        if config.relay_only && !server.is_turn() {
            r.ok = true;
            r.note = Some("not used with --relay-only".into());
            reports.push(r);
            continue;
        }
        if let Some(why) = unsupported(server) {
            r.error = Some(ServerError::new(UNREACHABLE_CODE, why, FailureKind::Unsupported));
            reports.push(r);
            continue;
        }
        if let Some((_, code, text, at)) = fired.first() {
            r.elapsed_ms = Some(ms(*at));
            r.error = Some(ServerError {
                server_reason: Some(text.clone()),
                ..ServerError::new(*code, text.clone(), FailureKind::StunError)
            });
            reports.push(r);
            continue;
        }
        let mine: Vec<&GatheredCandidate> = candidates
            .iter()
            .filter(|c| c.url.as_deref().is_some_and(|u| same_server(u, stack_url)))
            .collect();
        if server.is_turn() {
            if let Some(relay) = mine.iter().find(|c| c.typ() == CandidateType::Relay) {
                r.ok = true;
                r.elapsed_ms = Some(relay.elapsed_ms);
                r.relayed_address = relay_addr(&relay.candidate);
                r.note = Some("relay candidate; released by webrtc-rs on close (not visible here)".into());
            }
        } else if let Some(c) = mine.iter().find(|c| c.typ() == CandidateType::Srflx) {
            r.ok = true;
            r.elapsed_ms = Some(c.elapsed_ms);
            r.mapped_address = relay_addr(&c.candidate);
        } else if stun_servers == 1 && !srflx.is_empty() {
            // webrtc-rs leaves srflx candidates without their URL; with one STUN server the
            // attribution is certain.
            r.ok = true;
            r.elapsed_ms = Some(srflx[0].elapsed_ms);
            r.mapped_address = relay_addr(&srflx[0].candidate);
            r.note =
                Some("srflx candidate (webrtc-rs does not say from which server; it is the only one)".into());
        } else if !srflx.is_empty() {
            r.note = Some(format!(
                "{} srflx candidate(s) came, but webrtc-rs does not say from which STUN server",
                srflx.len()
            ));
        }
        if !r.ok && r.note.is_none() {
            let what = if server.is_turn() { "no relay candidate" } else { "no srflx candidate" };
            let reason = if lines.is_empty() {
                format!(
                    "{what}; webrtc-rs does not say why (no onicecandidateerror, nothing logged{})",
                    if done.is_none() { ", gathering not complete by --timeout" } else { "" }
                )
            } else {
                format!("{what}; webrtc-rs does not report why, it logged: {}", lines.join("; "))
            };
            r.error = Some(ServerError::new(UNREACHABLE_CODE, reason, FailureKind::Unreported));
        } else if !r.ok {
            // Not attributable: neither a verdict of success nor of failure.
            r.ok = true;
        }
        reports.push(r);
    }
    for (l, owner) in logged.iter().zip(&owners) {
        if owner.is_empty() {
            notes.push(format!("webrtc-rs logged ({}): {}", l.level.as_str().to_lowercase(), l.text));
        }
    }
    if done.is_none() {
        notes.push(format!(
            "webrtc-rs did not complete gathering within --timeout ({} ms)",
            config.timeout.as_millis()
        ));
    }
    let counts = Counts::of(&candidates);
    let diagnosis = super::render::diagnose(&reports, &candidates, config.relay_only);
    GatherReport {
        engine: "webrtc",
        done_ms: ms(done.unwrap_or(start + config.timeout)),
        counts,
        diagnosis,
        notes,
        servers: reports,
        candidates,
    }
}

/// Whether `text` quotes `url` whole (not as the start of a longer URL).
fn quotes(text: &str, url: &str) -> bool {
    text.match_indices(url).any(|(at, _)| {
        text[at + url.len()..]
            .chars()
            .next()
            .is_none_or(|c| c.is_whitespace() || matches!(c, ':' | ',' | ';' | ')'))
    })
}

/// Whether two URL spellings name the same server (webrtc-rs writes them its own way).
fn same_server(candidate_url: &str, stack_url: &str) -> bool {
    let key = |u: &str| {
        let u = u.split('?').next().unwrap_or(u).to_ascii_lowercase();
        let (scheme, rest) = u.split_once(':').unwrap_or(("", &u));
        (scheme.trim_end_matches('s').to_string(), rest.trim_start_matches("//").to_string())
    };
    key(candidate_url) == key(stack_url)
}

fn relay_addr(c: &Candidate) -> Option<SocketAddr> {
    c.ip().map(|ip| SocketAddr::new(ip, c.port))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::ice::{Credentials, IceUrl, Secret};

    fn server(url: &str) -> IceServer {
        let credentials = Some(Credentials { username: "u".into(), password: Secret::new("p") });
        IceServer::new(IceUrl::parse(url).unwrap(), credentials)
    }

    fn gathered(line: &str, url: Option<&str>, ms: f64) -> GatheredCandidate {
        GatheredCandidate {
            candidate: Candidate::parse(line).unwrap(),
            url: url.map(str::to_string),
            relay_protocol: None,
            interface: None,
            elapsed_ms: ms,
        }
    }

    #[test]
    fn urls_for_the_stack_and_back() {
        assert_eq!(
            server("turn:u:p@[::1]:3478?transport=udp").url_for_stack(),
            "turn:[::1]:3478?transport=udp"
        );
        assert_eq!(server("stun:example.org").url_for_stack(), "stun:example.org:3478");
        assert!(same_server("turn:10.0.0.1:3478?transport=udp", "turn:10.0.0.1:3478"));
        assert!(!same_server("turn:10.0.0.1:3478", "turn:10.0.0.1:3479"));
        assert!(quotes("Skipping url turn:h:1 now", "turn:h:1"));
        assert!(!quotes("Skipping url turn:h:1?transport=tcp", "turn:h:1"));
        assert!(unsupported(&server("turns:h")).is_some());
        assert!(unsupported(&server("turn:h?transport=tcp")).is_some());
        assert!(unsupported(&server("turn:h")).is_none());
    }

    #[test]
    fn verdicts_from_candidates_and_logs() {
        let mut config = Config::new(vec![
            server("stun:10.0.0.9:3478"),
            server("turn:10.0.0.9:3478"),
            server("turn:10.0.0.8"),
        ]);
        config.timeout = Duration::from_secs(1);
        let names: Vec<Vec<String>> = config.servers.iter().map(|s| vec![s.url.host_and_port()]).collect();
        let start = Instant::now();
        let candidates = vec![
            gathered("candidate:1 1 udp 2130706431 10.0.0.5 5000 typ host", None, 0.5),
            gathered(
                "candidate:2 1 udp 1694498815 198.51.100.1 5000 typ srflx raddr 10.0.0.5 rport 5000",
                None,
                2.0,
            ),
            gathered(
                "candidate:3 1 udp 16777215 10.0.0.9 60000 typ relay raddr 10.0.0.5 rport 5000",
                Some("turn:10.0.0.9:3478?transport=udp"),
                3.0,
            ),
        ];
        let logged = vec![Logged {
            at: start + Duration::from_millis(4),
            level: log::Level::Error,
            text: "TURN allocation failed from 10.0.0.5:5000 to 10.0.0.8:3478: Allocate error response (error 401: Unauthorized)".into(),
        }];
        let r = assemble(
            &config,
            &names,
            candidates,
            start,
            Some(start + Duration::from_millis(5)),
            vec![],
            logged,
        );
        assert_eq!(r.engine, "webrtc");
        assert_eq!(r.done_ms, 5.0);
        let s = &r.servers;
        assert!(s[0].ok && s[0].mapped_address == Some("198.51.100.1:5000".parse().unwrap()), "{:#?}", s[0]);
        assert!(s[1].ok && s[1].relayed_address == Some("10.0.0.9:60000".parse().unwrap()), "{:#?}", s[1]);
        let e = s[2].error.as_ref().unwrap();
        assert_eq!(e.kind, FailureKind::Unreported);
        assert!(e.reason.contains("error 401: Unauthorized"), "{}", e.reason);
        assert_eq!(s[2].steps.len(), 1);
        assert_eq!(r.counts, Counts { host: 1, srflx: 1, relay: 1 });
    }
}
