//! How long a NAT keeps an idle UDP binding (RFC 5780 §4.6), as a sans-IO state machine.
//!
//! A binding is made by a Binding request from a fresh socket. After it has been idle for T, a
//! *probe* is sent from another socket, the probe socket, with RESPONSE-PORT set to the binding's
//! public port: the server answers to our public IP at that port, so the answer reaches the
//! binding's socket only if the binding still exists — and the probe itself does not refresh
//! the binding, because it leaves through another one. Each binding is probed once (an answer
//! coming in refreshes it on many NATs).
//!
//! Finding T without waiting for each guess in turn: bindings are made together and probed at
//! growing idle times (1, 2, 4, 8... s up to a maximum); the first that fails brackets the
//! lifetime between the last success and it. Then rounds of three new bindings probed at the
//! quarter points of the bracket narrow it, until it is within the resolution. A first binding
//! probed at once is the control: if it fails, the method does not work here (the server
//! ignores RESPONSE-PORT, or something filters), and that is what is reported.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde::Serialize;

pub use super::net::measure;

use crate::core::stun::{attr, Class, Message, MessageBuilder, Method};
use crate::core::transact::{
    same_address, Client, Event, ExpectFrom, Received, Response, Retransmit, RtoEstimator, State, TimedOut,
    Transaction, TransactionId,
};

/// The probe socket is socket 0; bindings get 1, 2, 3...
pub const PROBE_SOCKET: usize = 0;

/// What the lifetime search needs.
#[derive(Debug, Clone)]
pub struct LifetimeConfig {
    /// The server (it must support RESPONSE-PORT, RFC 5780).
    pub server: SocketAddr,
    /// Stop growing past this idle time.
    pub max: Duration,
    /// Stop narrowing when the bracket is this narrow (or narrower than a tenth of its lower
    /// end).
    pub resolution: Duration,
    /// The first idle time tried after the control.
    pub first: Duration,
    /// Schedule of the requests that make bindings.
    pub binding_request: Retransmit,
    /// Least RTO for the probes.
    pub rto_floor: Duration,
    /// SOFTWARE for requests.
    pub software: Option<String>,
}

impl LifetimeConfig {
    /// Defaults: probes at 1, 2, 4... s up to `max`, 1 s resolution.
    pub fn new(server: SocketAddr, max: Duration, timeout: Duration) -> Self {
        LifetimeConfig {
            server,
            max,
            resolution: Duration::from_secs(1),
            first: Duration::from_secs(1),
            binding_request: Retransmit::new(Duration::from_millis(100), 7, 16).with_limit(timeout),
            rto_floor: Duration::from_millis(100),
            software: None,
        }
    }
}

/// One probed binding.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Probe {
    /// The binding's socket.
    pub socket: usize,
    /// Its public address.
    pub mapped_address: Option<SocketAddr>,
    /// How long it was left idle before the probe, in seconds.
    pub idle_s: f64,
    /// Whether the probe's answer reached it.
    pub alive: Option<bool>,
    /// What happened, in words.
    pub detail: String,
}

/// The result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Lifetime {
    /// The binding outlived this idle time (seconds).
    pub at_least_s: Option<f64>,
    /// It did not outlive this one (seconds); null when it outlived the maximum tried.
    pub less_than_s: Option<f64>,
    /// Why there is no answer, when there is none.
    pub error: Option<String>,
    /// Every probe, in the order they ended.
    pub probes: Vec<Probe>,
    /// How long the search took.
    pub done_s: f64,
}

#[derive(Debug, Clone)]
enum Stage {
    /// Waiting for the binding request's answer.
    Binding { id: [u8; 12] },
    /// Bound at `at` with this public address; probe at `at + idle`.
    Idle { at: Instant, mapped: SocketAddr },
    /// Probe sent (transaction on the probe socket).
    Probing { mapped: SocketAddr, id: [u8; 12] },
    /// Over.
    Done,
}

#[derive(Debug, Clone)]
struct Binding {
    socket: usize,
    idle: Duration,
    stage: Stage,
}

/// Something that happened, for progress display.
#[derive(Debug, Clone, PartialEq)]
pub enum LifetimeProgress {
    /// A probe ended.
    Probed(Probe),
    /// The bracket moved.
    Bracket {
        /// Alive after this long (s).
        at_least_s: Option<f64>,
        /// Gone after this long (s).
        less_than_s: Option<f64>,
    },
}

/// The search.
#[derive(Debug)]
pub struct LifetimeSearch {
    config: LifetimeConfig,
    ids: TransactionId,
    /// One client per socket (index = socket).
    clients: Vec<Client>,
    bindings: Vec<Binding>,
    probe_rto: Option<Duration>,
    /// Probe answers that came in on a binding's socket (as they should).
    handed_over: Vec<[u8; 12]>,
    lo: Option<Duration>,
    hi: Option<Duration>,
    probes: Vec<Probe>,
    error: Option<String>,
    started: Instant,
    finished: Option<Instant>,
    events: VecDeque<LifetimeProgress>,
}

impl LifetimeSearch {
    /// Start: the control binding and the growing ones are made at once.
    pub fn new(config: LifetimeConfig, ids: TransactionId, now: Instant) -> Self {
        let floor = config.rto_floor;
        let mut s = LifetimeSearch {
            clients: vec![Client::new(RtoEstimator::new(floor, floor, Duration::from_secs(3)))],
            config,
            ids,
            bindings: Vec::new(),
            probe_rto: None,
            handed_over: Vec::new(),
            lo: None,
            hi: None,
            probes: Vec::new(),
            error: None,
            started: now,
            finished: None,
            events: VecDeque::new(),
        };
        let mut idles = vec![Duration::ZERO];
        let mut t = s.config.first.max(Duration::from_millis(1));
        while t < s.config.max {
            idles.push(t);
            t *= 2;
        }
        idles.push(s.config.max);
        for idle in idles {
            s.bind(idle, now);
        }
        s
    }

    fn request(&mut self, response_port: Option<u16>) -> ([u8; 12], Vec<u8>) {
        let id = self.ids.next_id();
        let mut b = MessageBuilder::new(Class::Request, Method::BINDING, id);
        if let Some(port) = response_port {
            b.raw(attr::RESPONSE_PORT, &[(port >> 8) as u8, port as u8, 0, 0]);
        }
        if let Some(sw) = &self.config.software {
            b.text(attr::SOFTWARE, sw);
        }
        b.fingerprint();
        (id, b.finish())
    }

    fn bind(&mut self, idle: Duration, now: Instant) {
        let socket = self.clients.len();
        let floor = self.config.rto_floor;
        self.clients.push(Client::new(RtoEstimator::new(floor, floor, Duration::from_secs(3))));
        let (id, bytes) = self.request(None);
        match Transaction::new(bytes, self.config.server, self.config.binding_request, now) {
            Ok(tx) => {
                self.clients[socket].start(tx);
                self.bindings.push(Binding { socket, idle, stage: Stage::Binding { id } });
            }
            Err(e) => self.fail(e.to_string(), now),
        }
    }

    fn fail(&mut self, why: String, now: Instant) {
        if self.error.is_none() {
            self.error = Some(why);
        }
        for c in &mut self.clients {
            let ids: Vec<[u8; 12]> = c.transactions().iter().map(Transaction::id).collect();
            for id in ids {
                c.cancel(&id);
            }
        }
        self.finished.get_or_insert(now);
    }

    /// Stop now (Ctrl-C): the bounds found so far are the result, with the reason.
    pub fn interrupt(&mut self, now: Instant) {
        if self.finished.is_none() {
            let after = now.saturating_duration_since(self.started).as_secs();
            self.fail(
                format!("interrupted (Ctrl-C) after {after} s: the bounds are those found so far"),
                now,
            );
        }
    }

    /// Whether the search is over.
    pub fn is_done(&self) -> bool {
        self.finished.is_some()
    }

    /// How many sockets have been asked for so far (the probe socket and the bindings').
    pub fn sockets(&self) -> usize {
        self.clients.len()
    }

    /// The next progress event.
    pub fn poll_event(&mut self) -> Option<LifetimeProgress> {
        self.events.pop_front()
    }

    /// The next datagram: (socket, transaction id, destination, bytes).
    pub fn poll_transmit(&mut self) -> Option<(usize, [u8; 12], SocketAddr, &[u8])> {
        for (socket, c) in self.clients.iter_mut().enumerate() {
            if let Some(t) = c.poll_transmit() {
                return Some((socket, t.id, t.destination, t.contents));
            }
        }
        None
    }

    /// When to call [`LifetimeSearch::handle_timeout`] next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.is_done() {
            return None;
        }
        let probes = self.bindings.iter().filter_map(|b| match b.stage {
            Stage::Idle { at, .. } => Some(at + b.idle),
            _ => None,
        });
        self.clients.iter().filter_map(Client::poll_timeout).chain(probes).min()
    }

    /// A datagram arrived on `socket`.
    pub fn handle_input(&mut self, socket: usize, bytes: &[u8], from: SocketAddr, now: Instant) {
        if let Some(c) = self.clients.get_mut(socket) {
            c.handle_input(bytes, from, now);
        }
        // A probe's answer arrives on the binding's socket, not on the probe socket that sent
        // it: hand it to the probe socket's transactions, checking it came to the right one.
        if socket != PROBE_SOCKET && from.port() == self.config.server.port() {
            let owner = self.bindings.iter().find(|b| b.socket == socket).map(|b| &b.stage);
            if let Some(Stage::Probing { id, .. }) = owner {
                let id = *id;
                if Message::new_checked(bytes).is_ok_and(|m| m.transaction_id() == id) {
                    let got = self.clients[PROBE_SOCKET].handle_input(bytes, from, now);
                    if got == Received::Answered {
                        self.handed_over.push(id);
                    }
                }
            }
        }
        self.step(now);
    }

    /// ICMP unreachable or a failed send.
    pub fn handle_unreachable(&mut self, _socket: usize, why: &str, now: Instant) {
        self.fail(format!("{}: {why}", self.config.server), now);
    }

    /// Let time pass.
    pub fn handle_timeout(&mut self, now: Instant) {
        for c in &mut self.clients {
            c.handle_timeout(now);
        }
        self.step(now);
    }

    fn step(&mut self, now: Instant) {
        if self.is_done() {
            return;
        }
        self.collect(now);
        if self.is_done() {
            return;
        }
        // Probes that fall due.
        for i in 0..self.bindings.len() {
            if let Stage::Idle { at, mapped } = self.bindings[i].stage {
                if now >= at + self.bindings[i].idle {
                    let rto = self.probe_rto.unwrap_or(self.config.rto_floor);
                    let (id, bytes) = self.request(Some(mapped.port()));
                    match Transaction::new(bytes, self.config.server, Retransmit::new(rto, 3, 2), now) {
                        Ok(tx) => {
                            self.clients[PROBE_SOCKET].start(tx.expect_from(ExpectFrom::Destination));
                            self.bindings[i].stage = Stage::Probing { mapped, id };
                        }
                        Err(e) => return self.fail(e.to_string(), now),
                    }
                }
            }
        }
        // A round is over when nothing is pending: narrow or finish.
        if self.bindings.iter().all(|b| matches!(b.stage, Stage::Done)) {
            self.next_round(now);
        }
    }

    /// Read the transactions' events into the bindings' stages.
    fn collect(&mut self, now: Instant) {
        for socket in 0..self.clients.len() {
            while let Some(event) = self.clients[socket].poll_event() {
                let (id, answered) = match &event {
                    Event::Response { id, response } => (*id, Some(response.clone())),
                    Event::TimedOut { id, .. } => (*id, None),
                    Event::Stray { .. } => continue,
                };
                if socket == PROBE_SOCKET {
                    self.probe_ended(id, answered.as_ref().map(|r| (r.class, r.from)), &event, now);
                } else {
                    self.binding_ended(socket, id, answered, now);
                }
                if self.is_done() {
                    return;
                }
            }
        }
    }

    fn binding_ended(&mut self, socket: usize, id: [u8; 12], answer: Option<Response>, now: Instant) {
        let Some(i) = self.bindings.iter().position(|b| b.socket == socket) else { return };
        if !matches!(self.bindings[i].stage, Stage::Binding { id: bid } if bid == id) {
            return;
        }
        let Some(r) = answer else {
            return self.fail(format!("no answer from {} to the binding request", self.config.server), now);
        };
        if r.class != Class::SuccessResponse {
            let (code, reason) = r.error().unwrap_or((0, String::new()));
            return self.fail(format!("the server answered the binding request with {code} {reason}"), now);
        }
        let Some(mapped) = r.mapped_address() else {
            return self.fail("the server's answer had no mapped address".into(), now);
        };
        if self.probe_rto.is_none() {
            let mut est =
                RtoEstimator::new(self.config.rto_floor, self.config.rto_floor, Duration::from_secs(3));
            est.sample(r.rtt.unwrap_or(r.elapsed));
            self.probe_rto = Some(est.rto());
        }
        // The binding was last refreshed by this answer coming in.
        self.bindings[i].stage = Stage::Idle { at: r.at, mapped };
    }

    fn probe_ended(
        &mut self,
        id: [u8; 12],
        answer: Option<(Class, SocketAddr)>,
        event: &Event,
        now: Instant,
    ) {
        let Some(i) =
            self.bindings.iter().position(|b| matches!(b.stage, Stage::Probing { id: pid, .. } if pid == id))
        else {
            return;
        };
        let Stage::Probing { mapped, .. } = self.bindings[i].stage else { return };
        let socket = self.bindings[i].socket;
        self.bindings[i].stage = Stage::Done;
        let idle = self.bindings[i].idle;
        // The probe's answer counts when it came in on the binding's socket; the transaction
        // on the probe socket also sees an answer that came back to the probe socket itself,
        // which means the server ignored RESPONSE-PORT.
        let on_binding = self.handed_over.contains(&id);
        let (alive, detail) = match (answer, event) {
            (Some((Class::SuccessResponse, from)), _)
                if on_binding && same_address(from, self.config.server) =>
            {
                (
                    Some(true),
                    format!(
                        "alive after {:.1} s idle: the probe's answer reached {mapped}",
                        idle.as_secs_f64()
                    ),
                )
            }
            (Some((Class::SuccessResponse, _)), _) => {
                let why =
                    "the server ignored RESPONSE-PORT (the probe's answer came back to the probe socket)";
                self.record(socket, Some(mapped), idle, None, why.into());
                return self.fail(why.into(), now);
            }
            (Some((Class::ErrorResponse, _)), _) => {
                let why = format!(
                    "the server refused RESPONSE-PORT ({}): it does not support RFC 5780",
                    self.clients[PROBE_SOCKET]
                        .get(&id)
                        .and_then(|t| match t.state() {
                            State::Answered(r) => r.error().map(|(c, s)| format!("{c} {s}")),
                            _ => None,
                        })
                        .unwrap_or_default()
                );
                self.record(socket, Some(mapped), idle, None, why.clone());
                return self.fail(why, now);
            }
            (_, Event::TimedOut { timed_out: TimedOut { transmissions, waited }, .. }) => (
                Some(false),
                format!(
                    "gone after {:.1} s idle: {transmissions} probes over {} ms got no answer to {mapped}",
                    idle.as_secs_f64(),
                    waited.as_millis()
                ),
            ),
            _ => (None, "probe ended without a result".into()),
        };
        self.record(socket, Some(mapped), idle, alive, detail);
        match alive {
            Some(true) => self.lo = Some(self.lo.map_or(idle, |lo| lo.max(idle))),
            Some(false) if idle.is_zero() => {
                return self.fail(
                    "the control probe, sent as soon as the binding was made, got no answer: probing with \
                     RESPONSE-PORT does not work here"
                        .into(),
                    now,
                );
            }
            Some(false) => self.hi = Some(self.hi.map_or(idle, |hi| hi.min(idle))),
            None => {}
        }
        self.events.push_back(LifetimeProgress::Bracket {
            at_least_s: self.lo.map(|d| d.as_secs_f64()),
            less_than_s: self.hi.map(|d| d.as_secs_f64()),
        });
        self.drop_pointless();
    }

    /// Bindings whose probe can no longer move the bracket are dropped, so a round ends as
    /// soon as it has bracketed the lifetime (not when its longest probe would be due).
    fn drop_pointless(&mut self) {
        let (lo, hi) = (self.lo, self.hi);
        for b in &mut self.bindings {
            let pointless = hi.is_some_and(|hi| b.idle >= hi) || lo.is_some_and(|lo| b.idle <= lo);
            if !pointless {
                continue;
            }
            match b.stage {
                Stage::Binding { id } => self.clients[b.socket].cancel(&id),
                Stage::Probing { id, .. } => self.clients[PROBE_SOCKET].cancel(&id),
                Stage::Idle { .. } | Stage::Done => {}
            }
            b.stage = Stage::Done;
        }
    }

    fn record(
        &mut self,
        socket: usize,
        mapped: Option<SocketAddr>,
        idle: Duration,
        alive: Option<bool>,
        detail: String,
    ) {
        let p = Probe { socket, mapped_address: mapped, idle_s: idle.as_secs_f64(), alive, detail };
        self.events.push_back(LifetimeProgress::Probed(p.clone()));
        self.probes.push(p);
    }

    fn next_round(&mut self, now: Instant) {
        let (lo, hi) = match (self.lo, self.hi) {
            (_, None) => return self.finish(now), // outlived the maximum
            (None, Some(_)) => return self.finish(now),
            (Some(lo), Some(hi)) => (lo, hi),
        };
        let width = hi.saturating_sub(lo);
        if width <= self.config.resolution || width.as_secs_f64() <= lo.as_secs_f64() / 10.0 {
            return self.finish(now);
        }
        for k in 1..=3u32 {
            self.bind(lo + width * k / 4, now);
        }
    }

    fn finish(&mut self, now: Instant) {
        self.finished.get_or_insert(now);
    }

    /// The result so far (final once done).
    pub fn result(&self) -> Lifetime {
        let end = self.finished.unwrap_or(self.started);
        Lifetime {
            at_least_s: self.lo.filter(|d| !d.is_zero()).map(|d| d.as_secs_f64()),
            less_than_s: self.hi.map(|d| d.as_secs_f64()),
            error: self.error.clone(),
            probes: self.probes.clone(),
            done_s: (end - self.started).as_secs_f64(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::stun::{AttrValue, Attribute};
    use std::collections::HashMap;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    const PUBLIC: &str = "198.51.100.1";

    /// A NAT whose bindings (one per socket, endpoint-independent) die after `lifetime` idle,
    /// refreshed by traffic both ways, and a server that honours RESPONSE-PORT (or not).
    struct World {
        lifetime: Duration,
        delay: Duration,
        ignore_response_port: bool,
        reject_response_port: bool,
        lose_first_probe: bool,
        last: HashMap<usize, Instant>,
        queue: Vec<(Instant, Option<usize>, SocketAddr, Vec<u8>)>,
    }

    impl World {
        fn new(lifetime: Duration) -> Self {
            World {
                lifetime,
                delay: ms(10),
                ignore_response_port: false,
                reject_response_port: false,
                lose_first_probe: false,
                last: HashMap::new(),
                queue: Vec::new(),
            }
        }

        fn public(socket: usize) -> SocketAddr {
            SocketAddr::new(PUBLIC.parse().unwrap(), 40000 + socket as u16)
        }

        fn alive(&self, socket: usize, now: Instant) -> bool {
            self.last.get(&socket).is_some_and(|&t| now.saturating_duration_since(t) <= self.lifetime)
        }

        fn send(&mut self, socket: usize, bytes: &[u8], now: Instant) {
            let msg = Message::new_checked(bytes).unwrap();
            if self.lose_first_probe && msg.attribute(attr::RESPONSE_PORT).is_some() {
                self.lose_first_probe = false;
                return;
            }
            self.last.insert(socket, now);
            let src = Self::public(socket);
            let port =
                msg.attribute(attr::RESPONSE_PORT).and_then(|a| match Attribute::decode(&a, msg.xor_key()) {
                    Ok(Attribute { value: AttrValue::Port(p), .. }) => Some(p),
                    _ => None,
                });
            let id = msg.transaction_id();
            let (to, answer) = if port.is_some() && self.reject_response_port {
                let mut b = MessageBuilder::new(Class::ErrorResponse, Method::BINDING, id);
                b.error_code(420, "Unknown Attribute");
                (src, b.finish())
            } else {
                let to = match port {
                    Some(p) if !self.ignore_response_port => SocketAddr::new(src.ip(), p),
                    _ => src,
                };
                let mut b = MessageBuilder::new(Class::SuccessResponse, Method::BINDING, id);
                b.xor_address(attr::XOR_MAPPED_ADDRESS, src);
                (to, b.finish())
            };
            let dst_socket = (to.port() - 40000) as usize;
            self.queue.push((now + self.delay * 2, Some(dst_socket), server(), answer));
        }

        fn run(&mut self, config: LifetimeConfig) -> Lifetime {
            let t0 = Instant::now();
            let mut s = LifetimeSearch::new(config, TransactionId::sequence(1), t0);
            let mut now = t0;
            for _ in 0..100_000 {
                while let Some((socket, _, _, bytes)) = s.poll_transmit() {
                    let bytes = bytes.to_vec();
                    self.send(socket, &bytes, now);
                }
                while s.poll_event().is_some() {}
                if s.is_done() {
                    return s.result();
                }
                let next_packet = self.queue.iter().map(|q| q.0).min();
                now = match (s.poll_timeout(), next_packet) {
                    (Some(a), Some(b)) => a.min(b),
                    (a, b) => a.or(b).expect("stuck"),
                }
                .max(now);
                let (due, rest): (Vec<_>, Vec<_>) = self.queue.drain(..).partition(|q| q.0 <= now);
                self.queue = rest;
                for (_, socket, from, bytes) in due {
                    let Some(socket) = socket else { continue };
                    // inbound: the binding must still be there (and is refreshed)
                    if self.alive(socket, now - self.delay) {
                        self.last.insert(socket, now - self.delay);
                        s.handle_input(socket, &bytes, from, now);
                    }
                }
                s.handle_timeout(now);
            }
            panic!("did not end");
        }
    }

    fn server() -> SocketAddr {
        "192.0.2.10:3478".parse().unwrap()
    }

    fn config(max: u64) -> LifetimeConfig {
        LifetimeConfig::new(server(), Duration::from_secs(max), ms(800))
    }

    #[test]
    fn brackets_the_lifetime_by_growing_then_bisecting() {
        let r = World::new(ms(5500)).run(config(60));
        assert_eq!(r.error, None, "{r:#?}");
        assert_eq!((r.at_least_s, r.less_than_s), (Some(5.0), Some(6.0)), "{r:#?}");
        // no waiting for probes that cannot matter: the 16, 32 and 60 s ones are dropped once
        // 8 s has failed; about 8 s to bracket, 6 s more to narrow
        let idles: Vec<f64> = r.probes.iter().map(|p| p.idle_s).collect();
        assert_eq!(idles, [0.0, 1.0, 2.0, 4.0, 8.0, 5.0, 6.0], "{r:#?}");
        assert!(r.done_s < 16.0, "{}", r.done_s);
    }

    #[test]
    fn a_short_maximum_finishes_quickly() {
        let r = World::new(ms(5500)).run(config(10));
        assert_eq!((r.at_least_s, r.less_than_s), (Some(5.0), Some(6.0)), "{r:#?}");
        assert!(r.done_s < 16.0, "{}", r.done_s);
    }

    #[test]
    fn outliving_the_maximum_says_so() {
        let r = World::new(Duration::from_secs(100)).run(config(8));
        assert_eq!((r.at_least_s, r.less_than_s, r.error), (Some(8.0), None, None));
    }

    #[test]
    fn shorter_than_the_first_step() {
        let r = World::new(ms(500)).run(config(8));
        assert_eq!((r.at_least_s, r.less_than_s), (None, Some(1.0)), "{r:#?}");
    }

    #[test]
    fn a_lost_probe_is_retransmitted() {
        let mut w = World::new(ms(5500));
        w.lose_first_probe = true;
        let r = w.run(config(10));
        assert_eq!((r.at_least_s, r.less_than_s), (Some(5.0), Some(6.0)), "{r:#?}");
    }

    #[test]
    fn servers_without_response_port() {
        let mut w = World::new(ms(5500));
        w.ignore_response_port = true;
        let r = w.run(config(10));
        assert!(r.error.as_deref().unwrap_or("").contains("ignored RESPONSE-PORT"), "{r:#?}");
        assert_eq!((r.at_least_s, r.less_than_s), (None, None));

        let mut w = World::new(ms(5500));
        w.reject_response_port = true;
        let r = w.run(config(10));
        assert!(r.error.as_deref().unwrap_or("").contains("refused RESPONSE-PORT (420"), "{r:#?}");
    }
}
