//! The diag engine: ICE candidate gathering as a sans-IO state machine.
//!
//! The machine owns no socket and reads no clock. The caller binds one UDP socket per local
//! address and hands their addresses in ([`Local`]); the machine emits the host candidates at
//! once, then, as the caller reports server names resolved ([`Gatherer::handle_resolved`]),
//! probes every server from every local socket of the same family:
//!
//! * a STUN server gets a Binding request: the mapped address becomes a srflx candidate,
//!   deduplicated per socket as Chromium does it (not when it is the local address itself, not
//!   twice for one socket);
//! * a TURN server gets an Allocate: the 401 challenge is answered with the long-term
//!   credentials, a 438 stale nonce is followed, a 300 Try Alternate is followed to its
//!   ALTERNATE-SERVER, an IPv6 path asks for an IPv6 relay (REQUESTED-ADDRESS-FAMILY); the
//!   relayed address becomes a relay candidate and, over UDP, the mapped address a srflx one
//!   (a TURN server is a STUN server too, as in browsers). Over TCP and TLS the caller opens
//!   the connection the machine asks for ([`Command::Connect`]) and feeds the byte stream.
//!
//! Requests go through [`Transaction`]s: RFC 8489 retransmissions over UDP with the same
//! transaction id, every response checked (transaction id, source address, FINGERPRINT,
//! MESSAGE-INTEGRITY once keyed). `Config::timeout` bounds the whole gathering; each failure
//! is recorded per server with what happened. When every probe has its verdict, gathering is
//! complete ([`Event::Complete`]) and the allocations are released with a Refresh of
//! LIFETIME 0, bounded by `Config::release_timeout`.
//!
//! Here: probes, their deadlines and STUN Binding. TURN probes drive core's TURN client
//! ([`crate::core::turn::Client`]) in `engine/relay.rs`; candidates, their
//! priorities and the srflx deduplication are in `engine/candidates.rs`.

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

mod candidates;
mod relay;
mod relay_test;

pub use relay_test::RELAY_TEST_BUDGET;

use candidates::candidate;

use super::report::{FailureKind, GatheredCandidate, ServerError, ServerReport, Step, UNREACHABLE_CODE};
use crate::core::ice::priority::{CHROMIUM_TYPE_PREFERENCE_HOST_TCP, TYPE_PREFERENCE_HOST};
use crate::core::ice::{CandidateType, EffectiveTransport, IceServer, TcpType};
use crate::core::output::millis;
use crate::core::stun::{
    attr, describe_not_stun, frame_len, Class, Message, MessageBuilder, Method, StreamFrame,
};
use crate::core::transact::{
    same_address, Received, Response, Retransmit, State, Stray, TimedOut, Transaction, TransactionId,
    Unanswered, Unrelated,
};
use crate::core::turn;

/// A local UDP socket the caller bound: the base of host candidates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Local {
    /// The bound address, with its real port.
    pub address: SocketAddr,
    /// Its interface.
    pub interface: String,
    /// The local preference of candidates on this base (see
    /// [`super::interfaces::local_preference`]).
    pub preference: u16,
}

/// What the engine does.
#[derive(Debug, Clone)]
pub struct Config {
    /// The servers.
    pub servers: Vec<IceServer>,
    /// Bounds gathering: DNS, connections and every transaction end by then.
    pub timeout: Duration,
    /// Bounds the release of allocations after gathering.
    pub release_timeout: Duration,
    /// The initial retransmission timeout over UDP (RFC 8489 §6.2.1).
    pub rto: Duration,
    /// Gather relay candidates only (`iceTransportPolicy: "relay"`): no host or srflx
    /// candidates, STUN servers unused.
    pub relay_only: bool,
    /// Also TCP host candidates (`tcptype active`, port 9, as browsers advertise them).
    pub tcp_candidates: bool,
    /// SOFTWARE of our requests.
    pub software: Option<String>,
    /// How many 300 Try Alternate redirections are followed.
    pub max_redirects: u8,
    /// Test every allocation's relay (see `engine/relay_test.rs`): data through it both ways,
    /// for up to [`RELAY_TEST_BUDGET`] (or `timeout`, when shorter) after the allocation.
    pub relay_test: bool,
}

impl Config {
    /// Defaults for these servers: 3 s to gather, 1 s to release, RTO 250 ms (Chromium's).
    pub fn new(servers: Vec<IceServer>) -> Self {
        Config {
            servers,
            timeout: Duration::from_secs(3),
            release_timeout: Duration::from_secs(1),
            rto: Duration::from_millis(250),
            relay_only: false,
            tcp_candidates: false,
            software: None,
            max_redirects: 3,
            relay_test: false,
        }
    }
}

/// A local UDP socket: its index in the order of the `Local`s given to [`Gatherer::new`], then
/// of the sockets [`Command::Bind`] asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SocketId(pub usize);

/// A stream connection: the number [`Command::Connect`] gave it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnId(pub usize);

/// How a datagram or stream chunk travels: which socket or connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Via {
    /// A local UDP socket.
    Udp(SocketId),
    /// A stream connection.
    Stream(ConnId),
}

/// Bytes to send now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transmit<'a> {
    /// Which socket or connection.
    pub via: Via,
    /// Where to (for a stream, its remote end).
    pub destination: SocketAddr,
    /// The bytes.
    pub contents: &'a [u8],
}

/// Something for the caller to do besides sending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Open a TCP connection (with TLS on top when `tls` names the server) from an address of
    /// `local`'s family, and report it with [`Gatherer::handle_connected`] or
    /// [`Gatherer::handle_connect_failed`].
    Connect {
        /// The connection's number.
        conn: ConnId,
        /// Where to.
        remote: SocketAddr,
        /// The local address to bind to, when there is one to prefer.
        local: Option<IpAddr>,
        /// The server name for TLS (SNI and certificate check); `None`: plain TCP.
        tls: Option<String>,
    },
    /// Bind another UDP socket on the address of local socket `like` (a second allocation to
    /// one TURN server needs its own 5-tuple) and report it with [`Gatherer::handle_bound`].
    Bind {
        /// The new socket's index.
        socket: SocketId,
        /// The local socket whose address to bind to.
        like: SocketId,
    },
    /// Close a connection.
    Close {
        /// The connection's number.
        conn: ConnId,
    },
}

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// A candidate arrived (index into [`Gatherer::candidates`]).
    Candidate(usize),
    /// A server probe reached its verdict (index into [`Gatherer::reports`]).
    Verdict(usize),
    /// Every probe has its verdict: gathering is complete.
    Complete,
    /// An allocation was released, or its release failed (index into the reports).
    Released(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Connecting,
    Binding,
    Allocating,
    /// Allocated, and testing that the relay relays.
    RelayTest,
    Allocated,
    Releasing,
    Done,
}

/// A probe: one server from one socket or connection (an index into `Gatherer::probes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ProbeId(usize);

/// A server report (an index into `Gatherer::reports`, as [`Event::Verdict`] gives it out).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ReportId(usize);

impl std::ops::Index<ProbeId> for Vec<Probe> {
    type Output = Probe;
    fn index(&self, id: ProbeId) -> &Probe {
        &self[id.0]
    }
}

impl std::ops::IndexMut<ProbeId> for Vec<Probe> {
    fn index_mut(&mut self, id: ProbeId) -> &mut Probe {
        &mut self[id.0]
    }
}

impl std::ops::Index<ReportId> for Vec<ServerReport> {
    type Output = ServerReport;
    fn index(&self, id: ReportId) -> &ServerReport {
        &self[id.0]
    }
}

impl std::ops::IndexMut<ReportId> for Vec<ServerReport> {
    fn index_mut(&mut self, id: ReportId) -> &mut ServerReport {
        &mut self[id.0]
    }
}

#[derive(Debug)]
struct Probe {
    report: ReportId,
    server: usize,
    via: Via,
    /// The base: the local socket's address, or the connection's local end.
    base: Option<SocketAddr>,
    interface: Option<String>,
    preference: u16,
    destination: SocketAddr,
    phase: Phase,
    /// The Binding request of a STUN probe.
    tx: Option<Transaction>,
    /// The allocation of a TURN probe.
    turn: Option<turn::Client>,
    redirects: u8,
    /// Transmissions of the TURN clients before a redirection.
    earlier_transmissions: u32,
    /// The relay test of a TURN probe's allocation.
    relay_test: Option<relay_test::RelayTest>,
    /// Datagrams of the relay test waiting to be sent.
    outbox: VecDeque<Datagram>,
    /// Datagrams from the server that answered nothing asked: a timeout is then not silence.
    unrelated: Option<Unrelated>,
}

/// A datagram built whole, to send as it is.
#[derive(Debug)]
struct Datagram {
    via: Via,
    to: SocketAddr,
    bytes: Vec<u8>,
}

impl Probe {
    /// What its Binding transaction or its TURN client has to send.
    fn poll_transmit(&mut self) -> Option<&[u8]> {
        match (self.tx.as_mut(), self.turn.as_mut()) {
            (Some(tx), _) => tx.poll_transmit(),
            (None, Some(client)) => client.poll_transmit(),
            (None, None) => None,
        }
    }

    /// When its Binding transaction, its TURN client or its relay test wants the time.
    fn poll_timeout(&self) -> Option<Instant> {
        let own = match (&self.tx, &self.turn) {
            (Some(tx), _) => tx.poll_timeout(),
            (None, Some(client)) => client.poll_timeout(),
            (None, None) => None,
        };
        let test = self.relay_test.as_ref().filter(|_| self.phase == Phase::RelayTest);
        [own, test.and_then(relay_test::RelayTest::poll_timeout)].into_iter().flatten().min()
    }
}

#[derive(Debug)]
struct Conn {
    probe: ProbeId,
    remote: SocketAddr,
    buffer: Vec<u8>,
    open: bool,
}

/// The gathering state machine. See the [module documentation](self).
#[derive(Debug)]
pub struct Gatherer {
    config: Config,
    locals: Vec<Local>,
    ids: TransactionId,
    start: Instant,
    deadline: Instant,
    dns_pending: Vec<bool>,
    probes: Vec<Probe>,
    conns: Vec<Conn>,
    reports: Vec<ServerReport>,
    candidates: Vec<GatheredCandidate>,
    srflx_seen: HashSet<(usize, SocketAddr)>,
    /// (socket, TURN server) pairs with an allocation under way: one 5-tuple, one allocation.
    allocations: HashSet<(usize, SocketAddr)>,
    /// Sockets bound on request, by index from `locals.len()`: which local they copy.
    extra_sockets: Vec<usize>,
    /// The first mapped address a server reported for each UDP socket: where the relay test
    /// of a TURN probe over TCP or TLS can reach us.
    udp_mapped: HashMap<usize, SocketAddr>,
    /// The datagram [`Gatherer::poll_transmit`] last handed out.
    held: Option<Datagram>,
    events: VecDeque<Event>,
    commands: VecDeque<Command>,
    complete_at: Option<Instant>,
    release_deadline: Option<Instant>,
    finished: bool,
    notes: Vec<String>,
}

impl Gatherer {
    /// Start gathering at `now`: host candidates are ready at once. Server names are resolved
    /// by the caller, who reports each with [`Gatherer::handle_resolved`] (literal addresses
    /// too); [`Gatherer::servers_to_resolve`] lists them.
    pub fn new(config: Config, locals: Vec<Local>, ids: TransactionId, now: Instant) -> Self {
        let dns_pending =
            config.servers.iter().map(|s| !config.relay_only || s.is_turn()).collect::<Vec<_>>();
        let mut notes = Vec::new();
        if config.relay_only && config.servers.iter().any(|s| !s.is_turn()) {
            notes.push("STUN servers are not used with --relay-only (relay candidates only)".to_string());
        }
        let mut g = Gatherer {
            deadline: now + config.timeout,
            config,
            locals,
            ids,
            start: now,
            dns_pending,
            probes: Vec::new(),
            conns: Vec::new(),
            reports: Vec::new(),
            candidates: Vec::new(),
            srflx_seen: HashSet::new(),
            allocations: HashSet::new(),
            extra_sockets: Vec::new(),
            udp_mapped: HashMap::new(),
            held: None,
            events: VecDeque::new(),
            commands: VecDeque::new(),
            complete_at: None,
            release_deadline: None,
            finished: false,
            notes,
        };
        if !g.config.relay_only {
            for i in 0..g.locals.len() {
                let local = g.locals[i].clone();
                let host = candidate(
                    CandidateType::Host,
                    "udp",
                    local.address,
                    local.address.ip(),
                    None,
                    None,
                    TYPE_PREFERENCE_HOST,
                    local.preference,
                );
                g.add_candidate(host, None, None, Some(local.interface.clone()), now);
                if g.config.tcp_candidates {
                    let mut tcp = candidate(
                        CandidateType::Host,
                        "tcp",
                        SocketAddr::new(local.address.ip(), 9),
                        local.address.ip(),
                        None,
                        None,
                        CHROMIUM_TYPE_PREFERENCE_HOST_TCP,
                        local.preference,
                    );
                    tcp.tcptype = Some(TcpType::Active);
                    g.add_candidate(tcp, None, None, Some(local.interface.clone()), now);
                }
            }
        }
        g.check_complete(now);
        g
    }

    /// The servers whose names (or literal addresses) the caller must resolve: index and host.
    pub fn servers_to_resolve(&self) -> Vec<(usize, String, u16)> {
        self.config
            .servers
            .iter()
            .enumerate()
            .filter(|(i, _)| self.dns_pending[*i])
            .map(|(i, s)| (i, s.host().to_string(), s.port()))
            .collect()
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The local sockets.
    pub fn locals(&self) -> &[Local] {
        &self.locals
    }

    /// Every candidate so far, in arrival order.
    pub fn candidates(&self) -> &[GatheredCandidate] {
        &self.candidates
    }

    /// Every server verdict so far (and the ones still open).
    pub fn reports(&self) -> &[ServerReport] {
        &self.reports
    }

    /// Remarks on the run (servers not used...).
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// Add a remark (the caller's: an address that could not be bound...).
    pub fn add_note(&mut self, note: impl Into<String>) {
        self.notes.push(note.into());
    }

    /// When the run started.
    pub fn started(&self) -> Instant {
        self.start
    }

    /// Time from the start to the end of gathering, once complete.
    pub fn done_after(&self) -> Option<Duration> {
        self.complete_at.map(|t| t.saturating_duration_since(self.start))
    }

    /// Whether everything is over: gathering complete and allocations released (or given up).
    pub fn is_done(&self) -> bool {
        self.finished
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// The next command.
    pub fn poll_command(&mut self) -> Option<Command> {
        self.commands.pop_front()
    }

    /// The next bytes to send, if any are due.
    pub fn poll_transmit(&mut self) -> Option<Transmit<'_>> {
        if let Some(d) = self.probes.iter_mut().find_map(|p| p.outbox.pop_front()) {
            let d = self.held.insert(d);
            return Some(Transmit { via: d.via, destination: d.to, contents: &d.bytes });
        }
        for p in &mut self.probes {
            let (via, destination) = (p.via, p.destination);
            if let Some(contents) = p.poll_transmit() {
                return Some(Transmit { via, destination, contents });
            }
        }
        None
    }

    /// The next instant [`Gatherer::handle_timeout`] is needed.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.finished {
            return None;
        }
        let tx = self.probes.iter().filter_map(Probe::poll_timeout).min();
        let waiting_outside =
            self.dns_pending.iter().any(|&d| d) || self.probes.iter().any(|p| p.phase == Phase::Connecting);
        let deadline = waiting_outside.then_some(self.deadline);
        [tx, deadline].into_iter().flatten().min()
    }

    fn ms(&self, now: Instant) -> f64 {
        millis(now.saturating_duration_since(self.start))
    }

    /// Every probe, by id (a range: the probes can be changed while it runs).
    fn probe_ids(&self) -> impl Iterator<Item = ProbeId> {
        (0..self.probes.len()).map(ProbeId)
    }

    fn step(&mut self, report: ReportId, now: Instant, what: impl Into<String>) {
        let at_ms = self.ms(now);
        self.reports[report].steps.push(Step { at_ms, what: what.into() });
    }

    fn new_report(&mut self, server: usize) -> ReportId {
        let s = &self.config.servers[server];
        let kind = if s.is_turn() { "turn" } else { "stun" };
        self.reports.push(ServerReport::new(s.label(), kind, s.transport().as_str()));
        ReportId(self.reports.len() - 1)
    }

    /// A server's name resolved (or failed to): probes start from every local socket that can
    /// reach one of its addresses.
    pub fn handle_resolved(
        &mut self,
        server: usize,
        result: std::result::Result<Vec<SocketAddr>, String>,
        now: Instant,
    ) {
        if !self.dns_pending.get(server).copied().unwrap_or(false) {
            return;
        }
        self.dns_pending[server] = false;
        let host = self.config.servers[server].host().to_string();
        let addrs = match result {
            Ok(addrs) if !addrs.is_empty() => addrs,
            Ok(_) => {
                let r = self.new_report(server);
                self.fail(r, None, FailureKind::Dns, format!("DNS: {host} has no address"), now);
                self.check_complete(now);
                return;
            }
            Err(e) => {
                let r = self.new_report(server);
                self.fail(r, None, FailureKind::Dns, format!("DNS: resolving {host}: {e}"), now);
                self.check_complete(now);
                return;
            }
        };
        let transport = self.config.servers[server].transport();
        let mut started = 0;
        match transport {
            EffectiveTransport::Udp => {
                for i in 0..self.locals.len() {
                    let local = self.locals[i].clone();
                    let Some(&destination) = addrs.iter().find(|a| reachable(&local.address, a)) else {
                        continue;
                    };
                    let r = self.new_report(server);
                    self.reports[r].server_address = Some(destination);
                    let turn = self.config.servers[server].is_turn();
                    let shared = !turn || self.allocations.insert((i, destination));
                    self.probes.push(Probe {
                        report: r,
                        server,
                        via: Via::Udp(SocketId(i)),
                        base: Some(local.address),
                        interface: Some(local.interface.clone()),
                        preference: local.preference,
                        destination,
                        phase: Phase::Done,
                        tx: None,
                        turn: None,
                        redirects: 0,
                        earlier_transmissions: 0,
                        relay_test: None,
                        outbox: VecDeque::new(),
                        unrelated: None,
                    });
                    let p = ProbeId(self.probes.len() - 1);
                    started += 1;
                    if shared {
                        self.reports[r].local_address = Some(local.address);
                        self.begin(p, now);
                    } else {
                        // Another allocation to this server from this socket would be refused
                        // (437): it gets a socket of its own, as a second browser tab would.
                        let socket = self.locals.len() + self.extra_sockets.len();
                        self.extra_sockets.push(i);
                        self.probes[p].via = Via::Udp(SocketId(socket));
                        self.probes[p].base = None;
                        self.probes[p].phase = Phase::Connecting;
                        self.step(r, now, "another allocation to this server: binding a socket of its own");
                        self.commands
                            .push_back(Command::Bind { socket: SocketId(socket), like: SocketId(i) });
                    }
                }
            }
            EffectiveTransport::Tcp | EffectiveTransport::Tls => {
                // One connection per address family, from the first local address of that
                // family (and scope) that can reach the server.
                let mut families = Vec::new();
                for i in 0..self.locals.len() {
                    let local = self.locals[i].clone();
                    let Some(&destination) = addrs.iter().find(|a| reachable(&local.address, a)) else {
                        continue;
                    };
                    if families.contains(&destination.is_ipv4()) {
                        continue;
                    }
                    families.push(destination.is_ipv4());
                    let r = self.new_report(server);
                    self.reports[r].server_address = Some(destination);
                    self.probes.push(Probe {
                        report: r,
                        server,
                        via: Via::Stream(ConnId(0)),
                        base: None,
                        interface: None,
                        preference: local.preference,
                        destination,
                        phase: Phase::Connecting,
                        tx: None,
                        turn: None,
                        redirects: 0,
                        earlier_transmissions: 0,
                        relay_test: None,
                        outbox: VecDeque::new(),
                        unrelated: None,
                    });
                    let p = ProbeId(self.probes.len() - 1);
                    self.connect(p, Some(local.address.ip()), now);
                    started += 1;
                }
            }
        }
        if started == 0 {
            let r = self.new_report(server);
            let families: Vec<String> = addrs.iter().map(|a| a.to_string()).collect();
            let have = if self.locals.is_empty() {
                "there is no usable local address".to_string()
            } else {
                let list: Vec<String> = self.locals.iter().map(|l| l.address.ip().to_string()).collect();
                format!("the local addresses are {}", list.join(", "))
            };
            self.reports[r].server_address = addrs.first().copied();
            self.fail(
                r,
                None,
                FailureKind::NoRoute,
                format!("no local address can reach {} ({have})", families.join(", ")),
                now,
            );
        }
        self.check_complete(now);
    }

    /// Ask the caller for a connection for probe `p`.
    fn connect(&mut self, p: ProbeId, local: Option<IpAddr>, now: Instant) {
        let conn = self.conns.len();
        let remote = self.probes[p].destination;
        self.conns.push(Conn { probe: p, remote, buffer: Vec::new(), open: true });
        self.probes[p].via = Via::Stream(ConnId(conn));
        self.probes[p].phase = Phase::Connecting;
        let server = &self.config.servers[self.probes[p].server];
        let tls = (server.transport() == EffectiveTransport::Tls).then(|| server.host().to_string());
        let what = if tls.is_some() { "TLS" } else { "TCP" };
        let r = self.probes[p].report;
        self.step(r, now, format!("{what} connecting to {remote}"));
        self.commands.push_back(Command::Connect { conn: ConnId(conn), remote, local, tls });
    }

    /// A socket asked for with [`Command::Bind`] is bound (at `result`), or could not be.
    pub fn handle_bound(
        &mut self,
        socket: SocketId,
        result: std::result::Result<SocketAddr, String>,
        now: Instant,
    ) {
        let SocketId(socket) = socket;
        let Some(p) = self
            .probes
            .iter()
            .position(|p| p.via == Via::Udp(SocketId(socket)) && p.phase == Phase::Connecting)
        else {
            return;
        };
        let p = ProbeId(p);
        let r = self.probes[p].report;
        match result {
            Ok(address) => {
                self.probes[p].base = Some(address);
                self.reports[r].local_address = Some(address);
                self.begin(p, now);
            }
            Err(why) => {
                self.probes[p].phase = Phase::Done;
                self.fail(r, None, FailureKind::Connect, format!("binding a UDP socket: {why}"), now);
            }
        }
        self.check_complete(now);
    }

    /// A connection asked for is up; `local` is its local end.
    pub fn handle_connected(&mut self, conn: ConnId, local: SocketAddr, now: Instant) {
        let ConnId(conn) = conn;
        let Some(c) = self.conns.get(conn) else { return };
        let p = c.probe;
        if self.probes[p].phase != Phase::Connecting || self.probes[p].via != Via::Stream(ConnId(conn)) {
            return;
        }
        let r = self.probes[p].report;
        self.probes[p].base = Some(local);
        if let Some(l) = self.locals.iter().find(|l| l.address.ip() == local.ip()) {
            self.probes[p].preference = l.preference;
            self.probes[p].interface = Some(l.interface.clone());
        }
        self.reports[r].local_address = Some(local);
        self.step(r, now, format!("connected from {local}"));
        self.begin(p, now);
    }

    /// A connection asked for could not be opened.
    pub fn handle_connect_failed(&mut self, conn: ConnId, kind: FailureKind, why: &str, now: Instant) {
        let ConnId(conn) = conn;
        let Some(c) = self.conns.get_mut(conn) else { return };
        c.open = false;
        let p = c.probe;
        if self.probes[p].phase != Phase::Connecting || self.probes[p].via != Via::Stream(ConnId(conn)) {
            return;
        }
        let r = self.probes[p].report;
        self.probes[p].phase = Phase::Done;
        self.fail(r, None, kind, why.to_string(), now);
        self.check_complete(now);
    }

    /// Bytes arrived on a connection.
    pub fn handle_stream(&mut self, conn: ConnId, bytes: &[u8], now: Instant) {
        let ConnId(conn) = conn;
        let Some(c) = self.conns.get_mut(conn) else { return };
        if !c.open {
            return;
        }
        c.buffer.extend_from_slice(bytes);
        let (remote, p) = (c.remote, c.probe);
        while let Some(frame) = self.next_frame(ConnId(conn)) {
            match frame {
                Ok(message) => {
                    // STUN (00) and, for a relay test, ChannelData (01).
                    if message[0] >> 6 <= 1 {
                        self.input(p, &message, remote, now);
                    }
                }
                Err(why) => {
                    self.protocol_violation(p, why, now);
                    return;
                }
            }
        }
    }

    /// The next complete frame buffered on a connection: a STUN message, a ChannelData frame
    /// (see [`frame_len`]), or why the bytes are not STUN (judged on a whole header).
    fn next_frame(&mut self, conn: ConnId) -> Option<std::result::Result<Vec<u8>, String>> {
        let ConnId(conn) = conn;
        let channels = self.conns.get(conn).is_some_and(|c| self.probes[c.probe].relay_test.is_some());
        let c = self.conns.get_mut(conn)?;
        if c.buffer.len() < 4 {
            return None;
        }
        // ChannelData comes only once a relay test bound a channel; before that, bytes that
        // look like it are not TURN (an HTTP response does).
        match frame_len(&c.buffer) {
            Ok(Some(frame @ StreamFrame::Stun { .. })) if c.buffer.len() >= frame.size() => {
                Some(Ok(c.buffer.drain(..frame.size()).collect()))
            }
            Ok(Some(frame @ StreamFrame::ChannelData { .. }))
                if channels && c.buffer.len() >= frame.size() =>
            {
                Some(Ok(c.buffer.drain(..frame.size()).collect()))
            }
            Ok(Some(StreamFrame::Stun { .. }) | None) => None,
            Ok(Some(StreamFrame::ChannelData { .. })) if channels => None,
            Ok(Some(StreamFrame::ChannelData { .. })) | Err(_) => {
                let what = describe_not_stun(&c.buffer);
                c.buffer.clear();
                Some(Err(format!("the server sent {what}")))
            }
        }
    }

    fn protocol_violation(&mut self, p: ProbeId, why: String, now: Instant) {
        let r = self.probes[p].report;
        match self.probes[p].phase {
            Phase::Connecting | Phase::Binding | Phase::Allocating => {
                self.drop_tx(p);
                self.probes[p].phase = Phase::Done;
                self.fail(r, None, FailureKind::Protocol, why, now);
                self.close(p);
                self.check_complete(now);
            }
            _ => self.step(r, now, why),
        }
    }

    /// A connection ended (the peer closed it, or reading failed).
    pub fn handle_closed(&mut self, conn: ConnId, why: &str, now: Instant) {
        let ConnId(conn) = conn;
        let Some(c) = self.conns.get_mut(conn) else { return };
        if !c.open {
            return;
        }
        c.open = false;
        let p = c.probe;
        if self.probes[p].via != Via::Stream(ConnId(conn)) {
            return;
        }
        let r = self.probes[p].report;
        match self.probes[p].phase {
            Phase::Connecting | Phase::Binding | Phase::Allocating => {
                self.drop_tx(p);
                self.probes[p].phase = Phase::Done;
                self.fail(
                    r,
                    None,
                    FailureKind::Unreachable,
                    format!("the server closed the connection: {why}"),
                    now,
                );
            }
            Phase::RelayTest | Phase::Allocated | Phase::Releasing => {
                if self.probes[p].phase == Phase::RelayTest {
                    let why = format!("the server closed the connection during the relay test: {why}");
                    self.end_relay_test(p, Some((FailureKind::RelayBroken, None, why)), now);
                }
                // RFC 8656 §3.7: closing the connection deletes its allocation.
                self.drop_tx(p);
                self.probes[p].phase = Phase::Done;
                self.step(r, now, format!("connection closed ({why}): the allocation went with it"));
                self.released(r, true, None);
            }
            _ => {}
        }
        self.check_complete(now);
    }

    /// A datagram arrived on local socket `socket`.
    pub fn handle_datagram(&mut self, socket: SocketId, bytes: &[u8], from: SocketAddr, now: Instant) {
        let SocketId(socket) = socket;
        if bytes.starts_with(relay_test::MAGIC) {
            return self.relay_probe_arrived(Via::Udp(SocketId(socket)), bytes, from, now);
        }
        let id = Message::new_checked(bytes).ok().map(|m| m.transaction_id());
        let answers = |p: &Probe| match id {
            Some(id) => {
                p.tx.as_ref().is_some_and(|t| t.id() == id)
                    || p.turn.as_ref().is_some_and(|c| c.is_waiting_for(&id))
            }
            None => false,
        };
        // Besides answers, a relay test's ChannelData and Data indications from its server.
        let relays = |p: &Probe| p.relay_test.is_some() && same_address(p.destination, from);
        let on_socket = |p: &&Probe| p.via == Via::Udp(SocketId(socket));
        let Some(p) = self
            .probes
            .iter()
            .position(|p| on_socket(&p) && answers(p))
            .or_else(|| self.probes.iter().position(|p| on_socket(&p) && p.turn.is_some() && relays(p)))
        else {
            // Something else from a server we asked: not the answer, but not silence either.
            let asked = self.probes.iter().position(|p| on_socket(&p) && same_address(p.destination, from));
            if let Some(p) = asked {
                Unrelated::note(&mut self.probes[p].unrelated, bytes);
            }
            return;
        };
        self.input(ProbeId(p), bytes, from, now);
    }

    fn input(&mut self, p: ProbeId, bytes: &[u8], from: SocketAddr, now: Instant) {
        if self.probes[p].turn.is_some() {
            self.turn_input(p, bytes, from, now);
            return self.check_complete(now);
        }
        let Some(tx) = self.probes[p].tx.as_mut() else { return };
        match tx.handle_input(bytes, from, now) {
            Received::Answered => {
                if let State::Answered(response) = tx.state() {
                    let response = response.clone();
                    self.on_response(p, response, now);
                }
            }
            Received::Refused(stray) => {
                let r = self.probes[p].report;
                self.step(r, now, format!("refused an answer from {}: it {}", stray.from, stray.reason));
            }
            Received::NotOurs | Received::Late => {}
        }
        self.check_complete(now);
    }

    /// ICMP unreachable (or another error) on a UDP socket about packets sent to `destination`
    /// (`None` when the system does not say which).
    pub fn handle_unreachable(
        &mut self,
        socket: SocketId,
        destination: Option<SocketAddr>,
        why: &str,
        now: Instant,
    ) {
        let Some(destination) = destination else { return };
        self.fail_sends(Via::Udp(socket), destination, FailureKind::Unreachable, why, now);
    }

    /// Sending failed.
    pub fn handle_send_error(&mut self, via: Via, destination: SocketAddr, why: &str, now: Instant) {
        self.fail_sends(via, destination, FailureKind::Unreachable, why, now);
    }

    fn fail_sends(&mut self, via: Via, destination: SocketAddr, kind: FailureKind, why: &str, now: Instant) {
        for p in self.probe_ids() {
            if self.probes[p].via != via || !same_address(self.probes[p].destination, destination) {
                continue;
            }
            let r = self.probes[p].report;
            match self.probes[p].phase {
                Phase::Binding => {
                    self.drop_tx(p);
                    self.probes[p].phase = Phase::Done;
                    self.fail(r, None, kind, format!("Binding to {destination}: {why}"), now);
                }
                Phase::Allocating | Phase::Releasing => self.turn_transport_error(p, why, now),
                _ => {}
            }
        }
        self.check_complete(now);
    }

    /// Let time pass: retransmissions fall due, transactions and the deadline expire.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.finished {
            return;
        }
        for p in self.probe_ids() {
            if self.probes[p].turn.is_some() {
                self.turn_timeout(p, now);
                continue;
            }
            let Some(tx) = self.probes[p].tx.as_mut() else { continue };
            let was_waiting = !tx.is_done();
            tx.handle_timeout(now);
            if was_waiting {
                if let State::TimedOut(t) = tx.state() {
                    let t = t.clone();
                    let strays = tx.strays().to_vec();
                    self.on_timeout(p, &t, &strays, now);
                }
            }
        }
        if now >= self.deadline {
            for server in 0..self.dns_pending.len() {
                if self.dns_pending[server] {
                    self.dns_pending[server] = false;
                    let host = self.config.servers[server].host().to_string();
                    let r = self.new_report(server);
                    let ms = self.config.timeout.as_millis();
                    self.fail(
                        r,
                        None,
                        FailureKind::Dns,
                        format!("DNS: no answer for {host} within {ms} ms"),
                        now,
                    );
                }
            }
            for p in self.probe_ids() {
                if self.probes[p].phase == Phase::Connecting {
                    self.probes[p].phase = Phase::Done;
                    let r = self.probes[p].report;
                    let what = if self.config.servers[self.probes[p].server].transport()
                        == EffectiveTransport::Tls
                    {
                        "TLS connection"
                    } else {
                        "TCP connection"
                    };
                    let why = format!(
                        "{what} to {} not established within {} ms",
                        self.probes[p].destination,
                        self.config.timeout.as_millis()
                    );
                    self.fail(r, None, FailureKind::Timeout, why, now);
                    self.close(p);
                }
            }
        }
        self.check_complete(now);
    }

    fn on_timeout(&mut self, p: ProbeId, t: &TimedOut, strays: &[Stray], now: Instant) {
        let r = self.probes[p].report;
        self.drop_tx(p);
        let destination = self.probes[p].destination;
        let over_stream = matches!(self.probes[p].via, Via::Stream(_));
        let why = Unanswered::of(t, strays).with_unrelated(self.probes[p].unrelated.as_ref());
        let (kind, why) = unanswered("Binding", destination, over_stream, &why);
        if self.probes[p].phase == Phase::Binding {
            self.probes[p].phase = Phase::Done;
            self.fail(r, None, kind, why, now);
            if kind == FailureKind::Timeout {
                self.error_facts(r, None, Some(t.clone()));
            }
            self.close(p);
        }
    }

    /// Start (or restart, after a redirection) the probe's first request.
    fn begin(&mut self, p: ProbeId, now: Instant) {
        if self.config.servers[self.probes[p].server].is_turn() {
            return self.begin_turn(p, now);
        }
        self.probes[p].phase = Phase::Binding;
        let mut b = MessageBuilder::new(Class::Request, Method::BINDING, self.ids.next_id());
        if let Some(s) = &self.config.software {
            b.text(attr::SOFTWARE, s);
        }
        b.fingerprint();
        let r = self.probes[p].report;
        self.step(r, now, format!("Binding request to {}", self.probes[p].destination));
        self.start_tx(p, b.finish(), self.deadline, now);
    }

    fn start_tx(&mut self, p: ProbeId, request: Vec<u8>, until: Instant, now: Instant) {
        let left = until.saturating_duration_since(now);
        // Over a stream the request is sent once (RFC 8489 §6.2.2): the transport retransmits.
        let schedule = match self.probes[p].via {
            Via::Udp(_) => Retransmit::new(self.config.rto, 7, 16).with_limit(left),
            Via::Stream(_) => Retransmit::new(left, 1, 1).with_limit(left),
        };
        let destination = self.probes[p].destination;
        let tx = match Transaction::new(request, destination, schedule, now) {
            Ok(tx) => tx,
            Err(e) => {
                // Our own request is malformed: a bug, reported rather than hidden.
                let r = self.probes[p].report;
                self.probes[p].phase = Phase::Done;
                self.fail(r, None, FailureKind::Protocol, format!("internal error: {e}"), now);
                return;
            }
        };
        self.drop_tx(p);
        self.probes[p].tx = Some(tx);
    }

    fn on_response(&mut self, p: ProbeId, response: Response, now: Instant) {
        let r = self.probes[p].report;
        self.record_answer(r, &response);
        let error = response.error().map(|(code, reason)| (code, reason.trim().to_string()));
        let answered = match &error {
            None => "success".to_string(),
            Some((code, reason)) => format!("{code} {reason}"),
        };
        let took = match response.rtt {
            Some(rtt) => format!("{} ms", millis(rtt)),
            None => format!("{} ms, {} transmissions", millis(response.elapsed), response.transmissions),
        };
        if self.probes[p].phase == Phase::Binding {
            {
                self.step(r, now, format!("Binding {answered} ({took})"));
                self.drop_tx(p);
                self.probes[p].phase = Phase::Done;
                match error {
                    Some((code, reason)) => {
                        self.fail(r, Some(code), FailureKind::StunError, reason.clone(), now);
                        self.error_facts(r, Some(reason), None);
                    }
                    None => match response.mapped_address() {
                        Some(m) => {
                            self.reports[r].mapped_address = Some(m);
                            self.succeed(r, now);
                            if let Via::Udp(SocketId(socket)) = self.probes[p].via {
                                self.udp_mapped.entry(socket).or_insert(m);
                                self.srflx(p, m, now);
                            } else {
                                self.reports[r].note =
                                    Some("a mapping over TCP/TLS is not a UDP candidate".into());
                            }
                        }
                        None => self.fail(
                            r,
                            None,
                            FailureKind::Protocol,
                            "Binding success without XOR-MAPPED-ADDRESS".into(),
                            now,
                        ),
                    },
                }
                self.close_if_done(p);
            }
        }
    }

    /// Forget the probe's transaction (or abandon its allocation), counting its transmissions.
    /// Late answers to its retransmissions are then nobody's and ignored.
    fn drop_tx(&mut self, p: ProbeId) {
        if let Some(tx) = self.probes[p].tx.take() {
            let r = self.probes[p].report;
            self.reports[r].transmissions += tx.transmissions();
        }
        if let Some(client) = self.probes[p].turn.as_mut() {
            client.abandon();
            self.sync_transmissions(p);
        }
    }

    fn succeed(&mut self, r: ReportId, now: Instant) {
        let at = self.ms(now);
        let report = &mut self.reports[r];
        report.ok = true;
        report.elapsed_ms = Some(at);
        self.events.push_back(Event::Verdict(r.0));
    }

    fn fail(&mut self, r: ReportId, code: Option<u16>, kind: FailureKind, reason: String, now: Instant) {
        let at = self.ms(now);
        self.step(r, now, format!("failed: {reason}"));
        let report = &mut self.reports[r];
        report.ok = false;
        report.elapsed_ms = Some(at);
        report.error = Some(ServerError::new(code.unwrap_or(UNREACHABLE_CODE), reason, kind));
        self.events.push_back(Event::Verdict(r.0));
    }

    /// Facts for the diagnosis beside a verdict's words: the server's own reason phrase, or
    /// what a request that got no answer did.
    fn error_facts(&mut self, r: ReportId, server_reason: Option<String>, unanswered: Option<TimedOut>) {
        if let Some(e) = self.reports[r].error.as_mut() {
            e.server_reason = server_reason;
            e.unanswered = unanswered;
        }
    }

    fn released(&mut self, r: ReportId, ok: bool, why: Option<String>) {
        self.reports[r].released = Some(ok);
        self.reports[r].release_error = why;
        self.events.push_back(Event::Released(r.0));
    }

    fn close(&mut self, p: ProbeId) {
        if let Via::Stream(ConnId(conn)) = self.probes[p].via {
            if let Some(c) = self.conns.get_mut(conn) {
                if c.open {
                    c.open = false;
                    self.commands.push_back(Command::Close { conn: ConnId(conn) });
                }
            }
        }
    }

    /// Stop gathering now (Ctrl-C): names still resolving and probes still under way end as
    /// interrupted, and the allocations already made are released as at the end of a normal
    /// run (bounded by `release_timeout`). Once gathering is complete this does nothing: the
    /// release under way goes on. An Allocate request in flight may still have made an
    /// allocation on the server; it expires with its lifetime.
    pub fn interrupt(&mut self, now: Instant) {
        if self.finished || self.complete_at.is_some() {
            return;
        }
        let at = self.ms(now);
        self.notes.push(format!("interrupted (Ctrl-C) at {at} ms: probes still under way were stopped"));
        for server in 0..self.dns_pending.len() {
            if self.dns_pending[server] {
                self.dns_pending[server] = false;
                let host = self.config.servers[server].host().to_string();
                let r = self.new_report(server);
                self.fail(
                    r,
                    None,
                    FailureKind::Interrupted,
                    format!("interrupted while resolving {host}"),
                    now,
                );
            }
        }
        for p in self.probe_ids() {
            if self.probes[p].phase == Phase::RelayTest {
                let why = "interrupted (Ctrl-C) during the relay test".to_string();
                self.end_relay_test(p, Some((FailureKind::Interrupted, None, why)), now);
                continue;
            }
            let doing = match self.probes[p].phase {
                Phase::Connecting => "connecting",
                Phase::Binding => "Binding",
                Phase::Allocating => "Allocate",
                _ => continue,
            };
            self.drop_tx(p);
            self.probes[p].phase = Phase::Done;
            let r = self.probes[p].report;
            let why = format!("interrupted during {doing} to {}", self.probes[p].destination);
            self.fail(r, None, FailureKind::Interrupted, why, now);
            self.close(p);
        }
        self.check_complete(now);
    }

    fn close_if_done(&mut self, p: ProbeId) {
        if self.probes[p].phase == Phase::Done {
            self.close(p);
        }
    }

    fn check_complete(&mut self, now: Instant) {
        if self.finished {
            return;
        }
        if self.complete_at.is_none() {
            let busy = self.dns_pending.iter().any(|&d| d)
                || self.probes.iter().any(|p| {
                    matches!(
                        p.phase,
                        Phase::Connecting | Phase::Binding | Phase::Allocating | Phase::RelayTest
                    )
                });
            if busy {
                return;
            }
            self.complete_at = Some(now);
            self.events.push_back(Event::Complete);
            let until = now + self.config.release_timeout;
            self.release_deadline = Some(until);
            for p in self.probe_ids() {
                if self.probes[p].phase == Phase::Allocated {
                    self.release(p, until, now);
                }
            }
        }
        if self.probes.iter().all(|p| p.phase != Phase::Releasing) {
            for p in self.probe_ids() {
                self.close(p);
            }
            self.finished = true;
        }
    }
}

/// Whether a local socket can send to `server`: same family, and loopback only to loopback
/// (a socket bound to 127.0.0.1 cannot reach the Internet; a test's loopback server is not
/// probed from real interfaces).
fn reachable(local: &SocketAddr, server: &SocketAddr) -> bool {
    let (l, s) = (local.ip().to_canonical(), server.ip().to_canonical());
    l.is_ipv4() == s.is_ipv4() && l.is_loopback() == s.is_loopback()
}

/// A request that got no answer, in words: its kind of failure and why (`method` names it).
fn unanswered(
    method: &str,
    destination: SocketAddr,
    over_stream: bool,
    u: &Unanswered,
) -> (FailureKind, String) {
    match u {
        Unanswered::WrongSource { from } => (
            FailureKind::WrongSource,
            format!(
                "{method}: the answer came from {from} instead of {destination} and was refused (a NAT or load balancer rewriting the source?)"
            ),
        ),
        Unanswered::Integrity => (
            FailureKind::Integrity,
            format!(
                "{method}: the answer failed MESSAGE-INTEGRITY and was refused (the server's key for this user differs: another password or realm, or the message was altered)"
            ),
        ),
        Unanswered::Refused(s) => {
            (FailureKind::Protocol, format!("{method}: the only answer {} and was refused", s.reason))
        }
        Unanswered::Unrelated(t, u) => (FailureKind::Protocol, format!("{method} to {destination}: {t}, but {u}")),
        Unanswered::Silent(t) if over_stream => (
            FailureKind::Timeout,
            format!("{method} to {destination}: no answer within {} ms", t.waited.as_millis()),
        ),
        Unanswered::Silent(t) => (FailureKind::Timeout, format!("{method} to {destination}: {t}")),
    }
}
