//! The diag engine driven with fake time against a simulated STUN/TURN server (long-term
//! credentials, stale nonces, redirections, errors, a lying source address or key), over UDP
//! and over a stream, with an optional NAT in front.

use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use super::engine::{Command, Config, ConnId, Event, Gatherer, Local, SocketId, Via};
use super::report::{FailureKind, ServerReport};
use crate::core::ice::{CandidateType, Credentials, IceServer, IceUrl, PriorityParts, Secret};
use crate::core::stun::{
    attr, Check, Class, IntegrityKey, Message, MessageBuilder, Method, PasswordAlgorithm,
};
use crate::core::transact::TransactionId;

fn sa(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

const REALM: &str = "example.org";
const PASSWORD: &str = "hunter2-secret";

/// A STUN/TURN server with knobs for what real ones get wrong.
#[derive(Debug, Clone)]
struct FakeServer {
    addr: SocketAddr,
    /// Requires long-term credentials for Allocate (user → password).
    users: HashMap<String, String>,
    nonce: String,
    /// Answer the first signed request with 438 Stale Nonce.
    stale_once: bool,
    /// Answer Allocate with 300 Try Alternate to this address.
    redirect_to: Option<SocketAddr>,
    /// Answer Allocate (after authentication) with this error.
    error: Option<(u16, &'static str)>,
    /// Sign success responses with a wrong key.
    bad_integrity: bool,
    /// Answer from this address instead of `addr`.
    answer_from: Option<SocketAddr>,
    /// Never answer.
    silent: bool,
    /// Requests seen (method, bytes).
    seen: Vec<(Method, Vec<u8>)>,
    allocations: u32,
    released: u32,
}

impl FakeServer {
    fn new(addr: &str) -> Self {
        let mut users = HashMap::new();
        users.insert("alice".to_string(), PASSWORD.to_string());
        FakeServer {
            addr: sa(addr),
            users,
            nonce: "n1".into(),
            stale_once: false,
            redirect_to: None,
            error: None,
            bad_integrity: false,
            answer_from: None,
            silent: false,
            seen: Vec::new(),
            allocations: 0,
            released: 0,
        }
    }

    fn key(&self, user: &str) -> Option<IntegrityKey> {
        self.users.get(user).map(|p| IntegrityKey::long_term(user, REALM, p, PasswordAlgorithm::Md5))
    }

    fn handle(&mut self, from: SocketAddr, bytes: &[u8]) -> Option<Vec<u8>> {
        let msg = Message::new_checked(bytes).ok()?;
        assert_eq!(msg.check_fingerprint(), Check::Ok, "requests carry a FINGERPRINT");
        self.seen.push((msg.method(), bytes.to_vec()));
        if self.silent {
            return None;
        }
        let id = msg.transaction_id();
        let method = msg.method();
        let text = |typ| msg.attribute(typ).map(|a| String::from_utf8_lossy(a.value).into_owned());
        let error = |code: u16, reason: &str, challenge: bool, nonce: &str| {
            let mut b = MessageBuilder::new(Class::ErrorResponse, method, id);
            b.error_code(code, reason);
            if challenge {
                b.text(attr::REALM, REALM).text(attr::NONCE, nonce);
            }
            b.text(attr::SOFTWARE, "fake-turn 1.0");
            b.fingerprint();
            Some(b.finish())
        };
        if method == Method::BINDING {
            let mut b = MessageBuilder::new(Class::SuccessResponse, method, id);
            b.xor_address(attr::XOR_MAPPED_ADDRESS, from);
            b.text(attr::SOFTWARE, "fake-stun 1.0");
            b.fingerprint();
            return Some(b.finish());
        }
        if method == Method::ALLOCATE && self.redirect_to.is_some() {
            let mut b = MessageBuilder::new(Class::ErrorResponse, method, id);
            b.error_code(300, "Try Alternate");
            b.address(attr::ALTERNATE_SERVER, self.redirect_to?);
            b.fingerprint();
            return Some(b.finish());
        }
        // Long-term authentication.
        let Some(user) = text(attr::USERNAME) else {
            return error(401, "Unauthorized", true, &self.nonce);
        };
        let key = self.key(&user);
        let valid = key.as_ref().is_some_and(|k| msg.check_integrity(k) == Check::Ok);
        if !valid {
            return error(401, "Unauthorized", true, &self.nonce);
        }
        if text(attr::NONCE).as_deref() != Some(&self.nonce) {
            return error(438, "Stale Nonce", true, &self.nonce);
        }
        if self.stale_once {
            self.stale_once = false;
            self.nonce = "n2".into();
            return error(438, "Stale Nonce", true, &self.nonce);
        }
        let key = key?;
        let mut b = MessageBuilder::new(Class::SuccessResponse, method, id);
        match method {
            Method::ALLOCATE => {
                if let Some((code, reason)) = self.error {
                    return error(code, reason, false, &self.nonce);
                }
                let family = msg.attribute(attr::REQUESTED_ADDRESS_FAMILY).map(|a| a.value[0]);
                let relay = match family {
                    Some(2) => sa("[2001:db8:2::99]:50000"),
                    _ => sa("198.51.100.99:50000"),
                };
                self.allocations += 1;
                b.xor_address(
                    attr::XOR_RELAYED_ADDRESS,
                    SocketAddr::new(relay.ip(), relay.port() + self.allocations as u16),
                );
                b.xor_address(attr::XOR_MAPPED_ADDRESS, from);
                b.u32(attr::LIFETIME, 600);
            }
            Method::REFRESH => {
                let lifetime = msg.attribute(attr::LIFETIME).map(|a| a.value.to_vec());
                assert_eq!(lifetime.as_deref(), Some(&[0, 0, 0, 0][..]), "a release asks for lifetime 0");
                self.released += 1;
                b.u32(attr::LIFETIME, 0);
            }
            _ => return error(400, "Bad Request", false, &self.nonce),
        }
        b.text(attr::SOFTWARE, "fake-turn 1.0");
        if self.bad_integrity {
            b.message_integrity(&IntegrityKey::long_term(
                &user,
                REALM,
                "not-the-password",
                PasswordAlgorithm::Md5,
            ));
        } else {
            b.message_integrity(&key);
        }
        b.fingerprint();
        Some(b.finish())
    }
}

/// The simulated network: local sockets (optionally behind a NAT that keeps ports), servers,
/// one-way delay, fake time.
struct Net {
    servers: Vec<FakeServer>,
    nat: Option<IpAddr>,
    delay: Duration,
    /// In flight: (arrival, via, from, bytes).
    queue: Vec<(Instant, Via, SocketAddr, Vec<u8>)>,
    /// Stream connections: conn → (local end, remote).
    conns: HashMap<ConnId, (SocketAddr, SocketAddr)>,
    /// Sockets bound on request: index → address.
    extra: HashMap<SocketId, SocketAddr>,
    /// Connections refused (remote addresses).
    refuse: Vec<SocketAddr>,
    /// Datagrams to these addresses get ICMP port unreachable.
    closed_ports: Vec<SocketAddr>,
    /// Streams deliver responses split in pieces this long.
    chunk: usize,
    next_port: u16,
    /// Ctrl-C this long after the start.
    interrupt_at: Option<Duration>,
}

impl Net {
    fn new(servers: Vec<FakeServer>) -> Self {
        Net {
            servers,
            nat: None,
            delay: ms(10),
            queue: Vec::new(),
            conns: HashMap::new(),
            extra: HashMap::new(),
            refuse: Vec::new(),
            closed_ports: Vec::new(),
            chunk: 7,
            next_port: 40_000,
            interrupt_at: None,
        }
    }

    fn public(&self, local: SocketAddr) -> SocketAddr {
        match self.nat {
            Some(ip) if ip.is_ipv4() == local.is_ipv4() => SocketAddr::new(ip, local.port()),
            _ => local,
        }
    }

    fn server(&mut self, addr: SocketAddr) -> Option<&mut FakeServer> {
        self.servers.iter_mut().find(|s| s.addr == addr)
    }

    /// Drive `g` to the end; returns the events in order.
    fn run(&mut self, g: &mut Gatherer, t0: Instant) -> Vec<Event> {
        let mut events = Vec::new();
        let mut now = t0;
        for _ in 0..10_000 {
            let mut sends = Vec::new();
            while let Some(t) = g.poll_transmit() {
                sends.push((t.via, t.destination, t.contents.to_vec()));
            }
            for (via, destination, bytes) in sends {
                self.send(g, via, destination, bytes, now);
            }
            let mut acted = false;
            while let Some(c) = g.poll_command() {
                acted = true;
                match c {
                    Command::Connect { conn, remote, .. } => {
                        if self.refuse.contains(&remote) {
                            g.handle_connect_failed(conn, FailureKind::Unreachable, "refused", now);
                        } else {
                            self.next_port += 1;
                            let local = SocketAddr::new(g.locals()[0].address.ip(), self.next_port);
                            self.conns.insert(conn, (local, remote));
                            g.handle_connected(conn, local, now);
                        }
                    }
                    Command::Bind { socket, like } => {
                        self.next_port += 1;
                        let addr = SocketAddr::new(g.locals()[like.0].address.ip(), self.next_port);
                        self.extra.insert(socket, addr);
                        g.handle_bound(socket, Ok(addr), now);
                    }
                    Command::Close { conn } => {
                        self.conns.remove(&conn);
                    }
                }
            }
            while let Some(e) = g.poll_event() {
                events.push(e);
            }
            if g.is_done() {
                return events;
            }
            if acted {
                // The commands may have made more to send: loop again at the same time.
                continue;
            }
            let next_arrival = self.queue.iter().map(|q| q.0).min();
            let interrupt = self.interrupt_at.map(|d| t0 + d);
            let next = [next_arrival, g.poll_timeout(), interrupt]
                .into_iter()
                .flatten()
                .min()
                .expect("something to wait for");
            assert!(next >= now, "time goes forward");
            now = next;
            if interrupt.is_some_and(|at| at <= now) {
                self.interrupt_at = None;
                g.interrupt(now);
                continue;
            }
            let (due, later): (Vec<_>, Vec<_>) = self.queue.drain(..).partition(|q| q.0 <= now);
            self.queue = later;
            for (at, via, from, bytes) in due {
                match via {
                    Via::Udp(socket) => g.handle_datagram(socket, &bytes, from, at),
                    Via::Stream(conn) => {
                        if self.conns.contains_key(&conn) {
                            for piece in bytes.chunks(self.chunk) {
                                g.handle_stream(conn, piece, at);
                            }
                        }
                    }
                }
            }
            g.handle_timeout(now);
        }
        panic!("the run did not end");
    }

    fn send(&mut self, g: &mut Gatherer, via: Via, destination: SocketAddr, bytes: Vec<u8>, now: Instant) {
        let from = match via {
            Via::Udp(i) => {
                let local = g.locals().get(i.0).map(|l| l.address).or_else(|| self.extra.get(&i).copied());
                self.public(local.expect("a bound socket"))
            }
            Via::Stream(c) => self.public(self.conns.get(&c).expect("an open connection").0),
        };
        if self.closed_ports.contains(&destination) {
            if let Via::Udp(i) = via {
                g.handle_unreachable(i, Some(destination), "ICMP port unreachable", now + self.delay);
            }
            return;
        }
        let delay = self.delay;
        let Some(server) = self.server(destination) else { return };
        let reply_from = server.answer_from.unwrap_or(server.addr);
        if let Some(reply) = server.handle(from, &bytes) {
            self.queue.push((now + delay * 2, via, reply_from, reply));
        }
    }
}

fn local(addr: &str, preference: u16) -> Local {
    Local { address: sa(addr), interface: "eth0".into(), preference }
}

fn turn(url: &str, password: Option<&str>) -> IceServer {
    let credentials = password.map(|p| Credentials { username: "alice".into(), password: Secret::new(p) });
    IceServer::new(IceUrl::parse(url).unwrap(), credentials)
}

fn stun(url: &str) -> IceServer {
    IceServer::new(IceUrl::parse(url).unwrap(), None)
}

/// Gather with these servers from 10.0.0.5:5000 (and [2001:db8:1::5]:5002 when `v6`).
fn gather(servers: Vec<IceServer>, net: &mut Net, tweak: impl FnOnce(&mut Config)) -> (Gatherer, Vec<Event>) {
    let mut config = Config::new(servers);
    tweak(&mut config);
    let locals = vec![local("10.0.0.5:5000", 32542), local("[2001:db8:1::5]:5002", 32552)];
    let t0 = Instant::now();
    let mut g = Gatherer::new(config, locals, TransactionId::sequence(1), t0);
    for (server, host, port) in g.servers_to_resolve() {
        let result = match host.parse::<IpAddr>() {
            Ok(ip) => Ok(vec![SocketAddr::new(ip, port)]),
            Err(_) => Err("Name or service not known".to_string()),
        };
        g.handle_resolved(server, result, t0);
    }
    let events = net.run(&mut g, t0);
    (g, events)
}

fn types(g: &Gatherer) -> Vec<(CandidateType, String)> {
    g.candidates()
        .iter()
        .map(|c| (c.typ(), format!("{}:{}", c.candidate.address, c.candidate.port)))
        .collect()
}

fn only<'a>(g: &'a Gatherer, url_part: &str) -> &'a ServerReport {
    let matching: Vec<&ServerReport> = g.reports().iter().filter(|r| r.url.contains(url_part)).collect();
    assert_eq!(matching.len(), 1, "{:#?}", g.reports());
    matching[0]
}

#[test]
fn host_candidates_at_once_with_chromium_priorities() {
    let mut net = Net::new(vec![]);
    let (g, events) = gather(vec![], &mut net, |c| c.tcp_candidates = true);
    assert!(g.is_done());
    assert_eq!(events.last(), Some(&Event::Complete));
    let c: Vec<_> = g.candidates().iter().map(|c| c.candidate.to_string()).collect();
    assert_eq!(c.len(), 4, "{c:#?}");
    assert_eq!(g.candidates()[0].candidate.priority, 2122260223, "126 | 32542 | 255, as Chromium's");
    assert!(c[0].ends_with("1 udp 2122260223 10.0.0.5 5000 typ host"), "{}", c[0]);
    assert!(c[1].ends_with("1 tcp 1518280447 10.0.0.5 9 typ host tcptype active"), "{}", c[1]);
    assert!(c[2].contains("2001:db8:1::5 5002 typ host"));
    assert!(g.candidates().iter().all(|c| c.elapsed_ms == 0.0 && c.url.is_none()));
    assert_eq!(g.done_after(), Some(Duration::ZERO));
}

#[test]
fn srflx_behind_a_nat_deduplicated_like_a_browser() {
    let mut net = Net::new(vec![FakeServer::new("203.0.113.10:3478"), FakeServer::new("203.0.113.20:3478")]);
    net.nat = Some("198.51.100.1".parse().unwrap());
    let (g, _) = gather(vec![stun("stun:203.0.113.10"), stun("stun:203.0.113.20")], &mut net, |_| {});
    let srflx: Vec<_> = g.candidates().iter().filter(|c| c.typ() == CandidateType::Srflx).collect();
    assert_eq!(srflx.len(), 1, "the same mapping from two servers is one candidate: {:#?}", g.candidates());
    let s = &srflx[0].candidate;
    assert_eq!((s.address.as_str(), s.port), ("198.51.100.1", 5000));
    assert_eq!((s.related_address.as_deref(), s.related_port), (Some("10.0.0.5"), Some(5000)));
    let parts = PriorityParts::from_priority(s.priority);
    assert_eq!((parts.type_preference, parts.local_preference, parts.component), (100, 32542, 1));
    assert_eq!(srflx[0].url.as_deref(), Some("stun:203.0.113.10"));
    assert_eq!(srflx[0].elapsed_ms, 20.0, "one round trip of 2 × 10 ms");
    let reports: Vec<_> = g.reports().iter().filter(|r| r.ok).collect();
    assert_eq!(reports.len(), 2);
    assert!(reports.iter().all(|r| r.rtt_ms == Some(20.0) && r.software.as_deref() == Some("fake-stun 1.0")));
    assert!(reports[1].note.as_deref().unwrap().contains("not repeated"), "{:?}", reports[1].note);
    // No IPv6 server: the IPv6 socket probes nothing.
    assert!(g.reports().iter().all(|r| r.local_address == Some(sa("10.0.0.5:5000"))));
}

#[test]
fn no_nat_no_srflx() {
    let mut net = Net::new(vec![FakeServer::new("203.0.113.10:3478")]);
    let (g, _) = gather(vec![stun("stun:203.0.113.10")], &mut net, |_| {});
    assert!(g.candidates().iter().all(|c| c.typ() == CandidateType::Host));
    let r = only(&g, "203.0.113.10");
    assert!(r.ok);
    assert_eq!(r.mapped_address, Some(sa("10.0.0.5:5000")));
    assert!(r.note.as_deref().unwrap().contains("no NAT"));
}

#[test]
fn turn_udp_challenge_allocate_release() {
    let mut net = Net::new(vec![FakeServer::new("203.0.113.10:3478")]);
    net.nat = Some("198.51.100.1".parse().unwrap());
    let (g, events) = gather(vec![turn("turn:203.0.113.10", Some(PASSWORD))], &mut net, |_| {});
    let r = only(&g, "turn:");
    assert!(r.ok, "{r:#?}");
    assert_eq!(r.realm.as_deref(), Some(REALM));
    assert_eq!(r.relayed_address, Some(sa("198.51.100.99:50001")));
    assert_eq!(r.mapped_address, Some(sa("198.51.100.1:5000")));
    assert_eq!(r.lifetime_s, Some(600));
    assert_eq!(r.released, Some(true));
    assert_eq!(r.transmissions, 3, "Allocate, authenticated Allocate, Refresh");
    assert_eq!(r.rtt_ms, Some(20.0));
    let server = &net.servers[0];
    let methods: Vec<Method> = server.seen.iter().map(|(m, _)| *m).collect();
    assert_eq!(methods, [Method::ALLOCATE, Method::ALLOCATE, Method::REFRESH]);
    assert_eq!(server.released, 1);
    // The relay candidate, and the srflx a TURN server gives as a STUN server.
    let t = types(&g);
    assert!(t.contains(&(CandidateType::Srflx, "198.51.100.1:5000".into())), "{t:?}");
    let relay = g.candidates().iter().find(|c| c.typ() == CandidateType::Relay).unwrap();
    assert_eq!(relay.relay_protocol, Some("udp"));
    let parts = PriorityParts::from_priority(relay.candidate.priority);
    assert_eq!((parts.type_preference, parts.local_preference, parts.component), (2, 32542, 1));
    assert_eq!(relay.candidate.related_address.as_deref(), Some("198.51.100.1"));
    assert_eq!(relay.elapsed_ms, 40.0, "two round trips");
    // Gathering completes before the release; the release is reported after.
    let complete = events.iter().position(|e| *e == Event::Complete).unwrap();
    let released = events.iter().position(|e| matches!(e, Event::Released(_))).unwrap();
    assert!(complete < released);
    assert_eq!(g.done_after(), Some(ms(40)));
    // The password is nowhere.
    let json = serde_json::to_string(&super::report_of(&g)).unwrap();
    assert!(!json.contains(PASSWORD) && !format!("{g:?}").contains(PASSWORD));
}

#[test]
fn interrupted_probes_end_and_allocations_are_still_released() {
    let mut silent = FakeServer::new("203.0.113.20:3478");
    silent.silent = true;
    let mut net = Net::new(vec![FakeServer::new("203.0.113.10:3478"), silent]);
    net.interrupt_at = Some(ms(100));
    let servers = vec![turn("turn:203.0.113.10", Some(PASSWORD)), stun("stun:203.0.113.20")];
    let (g, events) = gather(servers, &mut net, |c| c.timeout = ms(5000));
    let t = only(&g, "turn:");
    assert!(t.ok, "{t:#?}");
    assert_eq!(t.released, Some(true), "the allocation made before Ctrl-C is released");
    assert_eq!(net.servers[0].released, 1);
    let s = only(&g, "stun:");
    let e = s.error.clone().unwrap();
    assert_eq!(e.kind, FailureKind::Interrupted);
    assert_eq!(e.reason, "interrupted during Binding to 203.0.113.20:3478");
    assert_eq!(g.done_after(), Some(ms(100)), "gathering ends at the interrupt, not at the timeout");
    assert!(events.contains(&Event::Complete));
    assert!(g.notes().iter().any(|n| n.starts_with("interrupted (Ctrl-C) at 100")), "{:?}", g.notes());
    let report = super::report_of(&g);
    assert!(super::outcome(&report).is_ok_and(|o| o == crate::Outcome::Found), "exit 1, not 4");
}

#[test]
fn wrong_password_is_a_401_verdict() {
    let mut net = Net::new(vec![FakeServer::new("203.0.113.10:3478")]);
    let (g, _) = gather(vec![turn("turn:203.0.113.10", Some("wrong"))], &mut net, |_| {});
    let r = only(&g, "turn:");
    assert!(!r.ok);
    let e = r.error.as_ref().unwrap();
    assert_eq!((e.code, e.kind), (401, FailureKind::Auth));
    assert!(e.reason.contains("rejected the credentials"), "{}", e.reason);
    assert_eq!(r.realm.as_deref(), Some(REALM));
    assert!(g.candidates().iter().all(|c| c.typ() == CandidateType::Host));
    assert_eq!(r.released, None);
    let report = super::report_of(&g);
    assert!(
        report.diagnosis[0].contains("rejected the credentials (401 Unauthorized)"),
        "{:?}",
        report.diagnosis
    );
    assert!(matches!(super::outcome(&report), Ok(crate::Outcome::Found)));
}

#[test]
fn missing_credentials_say_so() {
    let mut net = Net::new(vec![FakeServer::new("203.0.113.10:3478")]);
    let (g, _) = gather(vec![turn("turn:203.0.113.10", None)], &mut net, |_| {});
    let e = only(&g, "turn:").error.clone().unwrap();
    assert_eq!((e.code, e.kind), (401, FailureKind::NoCredentials));
    assert_eq!(e.server_reason.as_deref(), Some("Unauthorized"));
    assert!(e.reason.contains("wants credentials, realm \"example.org\""), "{}", e.reason);
    let report = super::report_of(&g);
    assert!(report.diagnosis[0].contains("needs credentials"), "{:?}", report.diagnosis);
}

#[test]
fn stale_nonce_is_followed() {
    let mut server = FakeServer::new("203.0.113.10:3478");
    server.stale_once = true;
    let mut net = Net::new(vec![server]);
    let (g, _) = gather(vec![turn("turn:203.0.113.10", Some(PASSWORD))], &mut net, |_| {});
    let r = only(&g, "turn:");
    assert!(r.ok, "{r:#?}");
    assert!(r.steps.iter().any(|s| s.what.contains("stale nonce")), "{:#?}", r.steps);
    let allocates = net.servers[0].seen.iter().filter(|(m, _)| *m == Method::ALLOCATE).count();
    assert_eq!(allocates, 3);
}

#[test]
fn try_alternate_is_followed() {
    let mut first = FakeServer::new("203.0.113.10:3478");
    first.redirect_to = Some(sa("203.0.113.11:3478"));
    let mut net = Net::new(vec![first, FakeServer::new("203.0.113.11:3478")]);
    let (g, _) = gather(vec![turn("turn:203.0.113.10", Some(PASSWORD))], &mut net, |_| {});
    let r = only(&g, "turn:");
    assert!(r.ok, "{r:#?}");
    assert_eq!(r.alternate_server, Some(sa("203.0.113.11:3478")));
    assert_eq!(r.server_address, Some(sa("203.0.113.11:3478")));
    assert_eq!(net.servers[1].released, 1, "released where it was allocated");
    let relay = g.candidates().iter().find(|c| c.typ() == CandidateType::Relay).unwrap();
    assert_eq!(relay.url.as_deref(), Some("turn:203.0.113.10"), "the URL as given");
}

#[test]
fn ipv6_path_asks_for_an_ipv6_relay() {
    let mut net = Net::new(vec![FakeServer::new("[2001:db8:2::10]:3478")]);
    let (g, _) = gather(vec![turn("turn:[2001:db8:2::10]", Some(PASSWORD))], &mut net, |_| {});
    let r = only(&g, "turn:");
    assert!(r.ok, "{r:#?}");
    assert_eq!(r.local_address, Some(sa("[2001:db8:1::5]:5002")));
    assert_eq!(r.relayed_address, Some(sa("[2001:db8:2::99]:50001")));
    let (_, first) = &net.servers[0].seen[0];
    let msg = Message::new_checked(&first[..]).unwrap();
    assert_eq!(
        msg.attribute(attr::REQUESTED_ADDRESS_FAMILY).map(|a| a.value.to_vec()),
        Some(vec![2, 0, 0, 0])
    );
    let relay = g.candidates().iter().find(|c| c.typ() == CandidateType::Relay).unwrap();
    assert_eq!(PriorityParts::from_priority(relay.candidate.priority).local_preference, 32552);
}

#[test]
fn silence_times_out_at_the_deadline_with_retransmissions() {
    let mut server = FakeServer::new("203.0.113.10:3478");
    server.silent = true;
    let mut net = Net::new(vec![server]);
    let (g, _) = gather(vec![stun("stun:203.0.113.10")], &mut net, |c| c.timeout = ms(2000));
    let r = only(&g, "stun:");
    let e = r.error.clone().unwrap();
    assert_eq!((e.code, e.kind), (701, FailureKind::Timeout));
    assert_eq!(e.reason, "Binding to 203.0.113.10:3478: no answer after 4 transmissions over 2000 ms");
    assert_eq!(r.transmissions, 4);
    assert_eq!(g.done_after(), Some(ms(2000)));
    // Every retransmission is the same request: same transaction id.
    let ids: Vec<[u8; 12]> = net.servers[0]
        .seen
        .iter()
        .map(|(_, b)| Message::new_checked(&b[..]).unwrap().transaction_id())
        .collect();
    assert_eq!(ids.len(), 4);
    assert!(ids.windows(2).all(|w| w[0] == w[1]));
    let report = super::report_of(&g);
    assert!(
        report.diagnosis[0].starts_with("no srflx: UDP to the STUN server seems blocked"),
        "{:?}",
        report.diagnosis
    );
    assert!(super::outcome(&report).is_err_and(|e| e.exit_code() == 4));
}

#[test]
fn answers_from_the_wrong_address_are_refused() {
    let mut server = FakeServer::new("203.0.113.10:3478");
    server.answer_from = Some(sa("203.0.113.66:3478"));
    let mut net = Net::new(vec![server]);
    let (g, _) = gather(vec![stun("stun:203.0.113.10")], &mut net, |c| c.timeout = ms(1000));
    let e = only(&g, "stun:").error.clone().unwrap();
    assert_eq!(e.kind, FailureKind::WrongSource);
    assert!(e.reason.contains("came from 203.0.113.66:3478 instead of 203.0.113.10:3478"), "{}", e.reason);
}

#[test]
fn a_success_that_fails_integrity_is_refused() {
    let mut server = FakeServer::new("203.0.113.10:3478");
    server.bad_integrity = true;
    let mut net = Net::new(vec![server]);
    let (g, _) = gather(vec![turn("turn:203.0.113.10", Some(PASSWORD))], &mut net, |c| c.timeout = ms(1000));
    let r = only(&g, "turn:");
    assert_eq!(r.error.as_ref().unwrap().kind, FailureKind::Integrity, "{r:#?}");
    assert!(g.candidates().iter().all(|c| c.typ() == CandidateType::Host));
}

#[test]
fn icmp_unreachable_ends_the_probe_at_once() {
    let mut net = Net::new(vec![]);
    net.closed_ports.push(sa("203.0.113.10:3478"));
    let (g, _) = gather(vec![stun("stun:203.0.113.10")], &mut net, |_| {});
    let e = only(&g, "stun:").error.clone().unwrap();
    assert_eq!(e.kind, FailureKind::Unreachable);
    assert_eq!(g.done_after(), Some(ms(10)));
    assert!(super::outcome(&super::report_of(&g)).is_err_and(|e| e.exit_code() == 4));
}

#[test]
fn server_errors_are_explained() {
    for (code, reason, expect) in [
        (486, "Allocation Quota Reached", "too many allocations"),
        (508, "Insufficient Capacity", "out of relay ports"),
        (442, "Unsupported Transport Protocol", "does not relay UDP"),
    ] {
        let mut server = FakeServer::new("203.0.113.10:3478");
        server.error = Some((code, reason));
        let mut net = Net::new(vec![server]);
        let (g, _) = gather(vec![turn("turn:203.0.113.10", Some(PASSWORD))], &mut net, |_| {});
        let e = only(&g, "turn:").error.clone().unwrap();
        assert_eq!((e.code, e.kind), (code, FailureKind::StunError));
        assert!(e.reason.starts_with(reason) && e.reason.contains(expect), "{}", e.reason);
    }
}

#[test]
fn turn_over_a_stream_in_pieces() {
    let mut net = Net::new(vec![FakeServer::new("203.0.113.10:3478")]);
    let (g, _) = gather(vec![turn("turn:203.0.113.10?transport=tcp", Some(PASSWORD))], &mut net, |_| {});
    let r = only(&g, "transport=tcp");
    assert!(r.ok, "{r:#?}");
    assert_eq!(r.transport, "tcp");
    assert_eq!(r.released, Some(true));
    assert_eq!(r.transmissions, 3, "no retransmission over a stream");
    let relay = g.candidates().iter().find(|c| c.typ() == CandidateType::Relay).unwrap();
    assert_eq!(relay.relay_protocol, Some("tcp"));
    assert_eq!(PriorityParts::from_priority(relay.candidate.priority).type_preference, 1);
    assert!(
        !g.candidates().iter().any(|c| c.typ() == CandidateType::Srflx),
        "a TCP mapping is no UDP candidate"
    );
    assert!(net.conns.is_empty(), "the connection is closed at the end");
}

#[test]
fn refused_connection() {
    let mut net = Net::new(vec![]);
    net.refuse.push(sa("203.0.113.10:3478"));
    let (g, _) = gather(vec![turn("turn:203.0.113.10?transport=tcp", Some(PASSWORD))], &mut net, |_| {});
    let e = only(&g, "transport=tcp").error.clone().unwrap();
    assert_eq!(e.kind, FailureKind::Unreachable);
}

#[test]
fn dns_failure_and_no_route() {
    let mut net = Net::new(vec![]);
    let (g, _) = gather(vec![stun("stun:stun.invalid"), stun("stun:127.0.0.1:3478")], &mut net, |_| {});
    let dns = only(&g, "invalid").error.clone().unwrap();
    assert_eq!(dns.kind, FailureKind::Dns);
    assert!(dns.reason.contains("resolving stun.invalid"), "{}", dns.reason);
    let route = only(&g, "127.0.0.1").error.clone().unwrap();
    assert_eq!(route.kind, FailureKind::NoRoute);
    assert!(route.reason.contains("no local address can reach 127.0.0.1:3478"), "{}", route.reason);
}

#[test]
fn unresolved_names_time_out_at_the_deadline() {
    let config = {
        let mut c = Config::new(vec![stun("stun:stun.example.org")]);
        c.timeout = ms(500);
        c
    };
    let t0 = Instant::now();
    let mut g = Gatherer::new(config, vec![local("10.0.0.5:5000", 32542)], TransactionId::sequence(1), t0);
    assert_eq!(g.servers_to_resolve(), vec![(0, "stun.example.org".to_string(), 3478)]);
    assert_eq!(g.poll_timeout(), Some(t0 + ms(500)));
    g.handle_timeout(t0 + ms(500));
    assert!(g.is_done());
    let e = g.reports()[0].error.clone().unwrap();
    assert_eq!(e.kind, FailureKind::Dns);
    assert!(e.reason.contains("no answer for stun.example.org within 500 ms"));
    // A late answer changes nothing.
    g.handle_resolved(0, Ok(vec![sa("203.0.113.10:3478")]), t0 + ms(600));
    assert_eq!(g.reports().len(), 1);
}

#[test]
fn two_allocations_to_one_server_get_two_sockets() {
    let mut net = Net::new(vec![FakeServer::new("203.0.113.10:3478")]);
    let (g, _) = gather(
        vec![turn("turn:203.0.113.10", Some(PASSWORD)), turn("turn:203.0.113.10", Some("wrong"))],
        &mut net,
        |_| {},
    );
    let reports = g.reports();
    assert_eq!(reports.len(), 2);
    assert!(reports[0].ok);
    assert_eq!(reports[0].local_address, Some(sa("10.0.0.5:5000")));
    assert_eq!(reports[1].error.as_ref().map(|e| e.code), Some(401), "401, not 437: {:#?}", reports[1]);
    assert_ne!(reports[1].local_address, Some(sa("10.0.0.5:5000")));
}

#[test]
fn relay_only_gathers_relays_only() {
    let mut net = Net::new(vec![FakeServer::new("203.0.113.10:3478"), FakeServer::new("203.0.113.20:3478")]);
    net.nat = Some("198.51.100.1".parse().unwrap());
    let (g, _) =
        gather(vec![stun("stun:203.0.113.20"), turn("turn:203.0.113.10", Some(PASSWORD))], &mut net, |c| {
            c.relay_only = true
        });
    let t: Vec<CandidateType> = g.candidates().iter().map(|c| c.typ()).collect();
    assert_eq!(t, [CandidateType::Relay]);
    assert!(net.servers[1].seen.is_empty(), "STUN servers unused");
    assert!(g.notes()[0].contains("--relay-only"));
}

#[test]
fn json_keys_are_the_contract() {
    let mut net = Net::new(vec![FakeServer::new("203.0.113.10:3478")]);
    net.nat = Some("198.51.100.1".parse().unwrap());
    let (g, _) = gather(vec![turn("turn:203.0.113.10", Some(PASSWORD))], &mut net, |_| {});
    let v = serde_json::to_value(super::report_of(&g)).unwrap();
    for key in ["candidates", "servers", "done_ms"] {
        assert!(v.get(key).is_some(), "{key}");
    }
    let c = &v["candidates"][0];
    for key in [
        "foundation",
        "component",
        "protocol",
        "priority",
        "address",
        "port",
        "type",
        "related_address",
        "related_port",
        "tcptype",
        "url",
        "elapsed_ms",
    ] {
        assert!(c.get(key).is_some(), "candidate key {key}: {c}");
    }
    let s = &v["servers"][0];
    for key in [
        "url",
        "kind",
        "ok",
        "rtt_ms",
        "mapped_address",
        "relayed_address",
        "lifetime_s",
        "software",
        "error",
    ] {
        assert!(s.get(key).is_some(), "server key {key}: {s}");
    }
    assert_eq!(s["mapped_address"], "198.51.100.1:5000");
    let _: BTreeMap<String, serde_json::Value> = serde_json::from_value(v).unwrap();
}

#[test]
fn turns_asks_for_tls_with_the_server_name() {
    let config = Config::new(vec![turn("turns:turn.example.org", Some(PASSWORD))]);
    let t0 = Instant::now();
    let mut g = Gatherer::new(config, vec![local("10.0.0.5:5000", 32542)], TransactionId::sequence(1), t0);
    assert_eq!(g.servers_to_resolve(), vec![(0, "turn.example.org".to_string(), 5349)]);
    g.handle_resolved(0, Ok(vec![sa("203.0.113.10:5349")]), t0);
    assert_eq!(
        g.poll_command(),
        Some(Command::Connect {
            conn: ConnId(0),
            remote: sa("203.0.113.10:5349"),
            local: Some("10.0.0.5".parse().unwrap()),
            tls: Some("turn.example.org".into()),
        })
    );
    g.handle_connect_failed(ConnId(0), FailureKind::Tls, "the server's certificate has expired", t0 + ms(30));
    assert!(g.is_done());
    let e = g.reports()[0].error.clone().unwrap();
    assert_eq!((e.kind, e.code), (FailureKind::Tls, 701));
    let report = super::report_of(&g);
    assert!(report.diagnosis[0].contains("certificate has expired"), "{:?}", report.diagnosis);
}
