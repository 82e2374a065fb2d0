//! NAT behaviour discovery (RFC 5780 §4.3 mapping, §4.4 filtering, §4.5 hairpinning) as a
//! sans-IO state machine.
//!
//! The machine owns no socket. It names the sockets it needs by role ([`Socket`]), and the
//! caller creates them, tells it their real local addresses ([`Locals`]), sends what it asks
//! ([`NatDiscovery::poll_transmit`]), feeds back what arrives ([`NatDiscovery::handle_input`])
//! and the time ([`NatDiscovery::handle_timeout`]). The unit tests drive it through a simulated
//! NAT with fake time.
//!
//! The plan, built for speed without giving up care:
//!
//! * At once, three first-contact Binding requests to the primary address: test I of the
//!   mapping socket, test I of the filtering socket and a probe from a connected socket (which
//!   is how ICMP port unreachable is noticed). A `--server2` request goes from the mapping
//!   socket too. They retransmit on an RFC 8489 schedule cut at the user's timeout.
//! * The first answer gives the round-trip time and OTHER-ADDRESS. OTHER-ADDRESS is checked
//!   (both IP and port differ from the primary, same family, not an address the server cannot
//!   mean). Then, concurrently: mapping tests II (alternate IP) and III (alternate IP and port)
//!   on the mapping socket, and filtering tests II (CHANGE-REQUEST IP and port) and III (port
//!   only) on the filtering socket, which never sent to the alternate address, so the mapping
//!   tests cannot have opened its filter. These use an RTO learnt from the measured round trip
//!   (at least `rto_floor`), three transmissions and a last wait of two RTOs: silence counts as
//!   "filtered" only after that.
//! * A reply counts only if it has the transaction id and comes from the address the test
//!   expects. A reply to a CHANGE-REQUEST from one of the server's other addresses means the
//!   server ignored CHANGE-REQUEST, and is reported so.

use std::collections::VecDeque;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use serde::Serialize;

use super::behavior::{classify, FilteringBehavior, MappingBehavior, MappingVerdict, NatType};
use super::lifetime::Lifetime;
use crate::core::stun::{attr, Class, Message, MessageBuilder, Method, MAGIC_COOKIE};
use crate::core::transact::{
    same_address, Client, Event, ExpectFrom, Response, Retransmit, RtoEstimator, StrayReason, TimedOut,
    Transaction, TransactionId,
};

/// The sockets the discovery uses, by role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Socket {
    /// Mapping tests I–III and the `--server2` comparison.
    Mapping,
    /// Filtering tests I–III (a fresh socket: the mapping tests must not open its filter).
    Filtering,
    /// A socket connected to the primary address: a redundant test I, and ICMP errors.
    Probe,
    /// Sends to the mapping socket's public address (`--hairpin`).
    Hairpin,
}

impl Socket {
    /// Every role, in index order.
    pub const ALL: [Socket; 4] = [Socket::Mapping, Socket::Filtering, Socket::Probe, Socket::Hairpin];

    fn index(self) -> usize {
        self as usize
    }

    /// The name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Socket::Mapping => "mapping",
            Socket::Filtering => "filtering",
            Socket::Probe => "probe",
            Socket::Hairpin => "hairpin",
        }
    }
}

/// The tests, in report order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum TestName {
    /// Mapping test I: Binding to the primary address.
    #[serde(rename = "mapping-1")]
    Mapping1,
    /// Mapping test II: Binding to the alternate IP, primary port.
    #[serde(rename = "mapping-2")]
    Mapping2,
    /// Mapping test III: Binding to the alternate IP and port.
    #[serde(rename = "mapping-3")]
    Mapping3,
    /// Binding to `--server2` from the mapping socket.
    #[serde(rename = "server2")]
    Server2,
    /// Filtering test I: Binding to the primary address from a fresh socket.
    #[serde(rename = "filtering-1")]
    Filtering1,
    /// Filtering test II: CHANGE-REQUEST IP and port.
    #[serde(rename = "filtering-2")]
    Filtering2,
    /// Filtering test III: CHANGE-REQUEST port.
    #[serde(rename = "filtering-3")]
    Filtering3,
    /// Binding to the primary from a connected socket.
    #[serde(rename = "probe")]
    Probe,
    /// Binding from a second socket to the mapping socket's public address.
    #[serde(rename = "hairpin")]
    Hairpin,
}

impl TestName {
    /// The name used in reports (`mapping-1`...).
    pub fn as_str(self) -> &'static str {
        match self {
            TestName::Mapping1 => "mapping-1",
            TestName::Mapping2 => "mapping-2",
            TestName::Mapping3 => "mapping-3",
            TestName::Server2 => "server2",
            TestName::Filtering1 => "filtering-1",
            TestName::Filtering2 => "filtering-2",
            TestName::Filtering3 => "filtering-3",
            TestName::Probe => "probe",
            TestName::Hairpin => "hairpin",
        }
    }

    /// What the test does, for people.
    pub fn describe(self) -> &'static str {
        match self {
            TestName::Mapping1 => "mapping test I (primary address)",
            TestName::Mapping2 => "mapping test II (alternate IP, primary port)",
            TestName::Mapping3 => "mapping test III (alternate IP and port)",
            TestName::Server2 => "second server",
            TestName::Filtering1 => "filtering test I (primary address, fresh socket)",
            TestName::Filtering2 => "filtering test II (CHANGE-REQUEST: IP and port)",
            TestName::Filtering3 => "filtering test III (CHANGE-REQUEST: port)",
            TestName::Probe => "probe (connected socket)",
            TestName::Hairpin => "hairpinning (second socket to our public address)",
        }
    }

    /// The socket it runs on.
    pub fn socket(self) -> Socket {
        match self {
            TestName::Mapping1 | TestName::Mapping2 | TestName::Mapping3 | TestName::Server2 => {
                Socket::Mapping
            }
            TestName::Filtering1 | TestName::Filtering2 | TestName::Filtering3 => Socket::Filtering,
            TestName::Probe => Socket::Probe,
            TestName::Hairpin => Socket::Hairpin,
        }
    }
}

impl fmt::Display for TestName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the discovery needs to know before it starts.
#[derive(Debug, Clone)]
pub struct Config {
    /// The RFC 5780 server's primary address.
    pub server: SocketAddr,
    /// A second, plain STUN server to compare mappings with.
    pub server2: Option<SocketAddr>,
    /// The schedule of first contact, cut at the user's timeout.
    pub first_contact: Retransmit,
    /// The least RTO for the tests after first contact.
    pub rto_floor: Duration,
    /// The largest RTO for the tests after first contact.
    pub rto_max: Duration,
    /// Run the hairpinning test.
    pub hairpin: bool,
    /// SOFTWARE to put in requests (None: none).
    pub software: Option<String>,
}

impl Config {
    /// Defaults for a server and an overall first-contact timeout: first RTO 100 ms doubling,
    /// later RTOs from the measured round trip, at least 100 ms and at most 3 s.
    pub fn new(server: SocketAddr, timeout: Duration) -> Self {
        Config {
            server,
            server2: None,
            first_contact: Retransmit::new(Duration::from_millis(100), 7, 16).with_limit(timeout),
            rto_floor: Duration::from_millis(100),
            rto_max: Duration::from_secs(3),
            hairpin: false,
            software: None,
        }
    }
}

/// The real local addresses of the sockets (never 0.0.0.0: the address the OS sends from).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Locals {
    /// The mapping socket.
    pub mapping: SocketAddr,
    /// The filtering socket.
    pub filtering: SocketAddr,
    /// The connected probe socket, if there is one.
    pub probe: Option<SocketAddr>,
    /// The hairpin socket, if hairpinning is tested.
    pub hairpin: Option<SocketAddr>,
}

impl Locals {
    fn get(&self, socket: Socket) -> Option<SocketAddr> {
        match socket {
            Socket::Mapping => Some(self.mapping),
            Socket::Filtering => Some(self.filtering),
            Socket::Probe => self.probe,
            Socket::Hairpin => self.hairpin,
        }
    }
}

/// A success response, read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Answer {
    /// Where it came from.
    pub from: SocketAddr,
    /// The mapped address: XOR-MAPPED-ADDRESS, else MAPPED-ADDRESS.
    pub mapped: Option<SocketAddr>,
    /// XOR-MAPPED-ADDRESS as sent.
    pub xor_mapped_address: Option<SocketAddr>,
    /// MAPPED-ADDRESS as sent.
    pub mapped_address: Option<SocketAddr>,
    /// OTHER-ADDRESS (RFC 5780).
    pub other_address: Option<SocketAddr>,
    /// CHANGED-ADDRESS (RFC 3489 servers).
    pub changed_address: Option<SocketAddr>,
    /// RESPONSE-ORIGIN (RFC 5780).
    pub response_origin: Option<SocketAddr>,
    /// SOFTWARE.
    pub software: Option<String>,
    /// From first send to the answer.
    #[serde(skip)]
    pub elapsed: Duration,
    /// The round trip, when the request was sent once.
    #[serde(skip)]
    pub rtt: Option<Duration>,
    /// How many times the request was sent.
    pub transmissions: u32,
}

impl Answer {
    fn from_response(r: &Response) -> Self {
        let xor = r.address(attr::XOR_MAPPED_ADDRESS).or_else(|| r.address(attr::XOR_MAPPED_ADDRESS_LEGACY));
        let plain = r.address(attr::MAPPED_ADDRESS);
        Answer {
            from: r.from,
            mapped: xor.or(plain),
            xor_mapped_address: xor,
            mapped_address: plain,
            other_address: r.address(attr::OTHER_ADDRESS),
            changed_address: r.address(attr::CHANGED_ADDRESS),
            response_origin: r.address(attr::RESPONSE_ORIGIN),
            software: r.text(attr::SOFTWARE),
            elapsed: r.elapsed,
            rtt: r.rtt,
            transmissions: r.transmissions,
        }
    }
}

/// How a test ended (or that it has not).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Running.
    Pending,
    /// Not run, and why.
    NotRun(String),
    /// A success response from the expected address.
    Answered(Box<Answer>),
    /// An error response.
    Error {
        /// Where from.
        from: SocketAddr,
        /// The error code.
        code: u16,
        /// The reason phrase.
        reason: String,
    },
    /// The response came from another of the server's addresses than the test asked for.
    WrongSource {
        /// Where it came from.
        from: SocketAddr,
        /// Where it should have come from.
        expected: SocketAddr,
    },
    /// No valid answer in time.
    TimedOut {
        /// Sends and wait.
        timed_out: TimedOut,
        /// Replies with the test's id that were refused, described.
        strays: Vec<String>,
    },
    /// ICMP unreachable, or the send itself failed.
    Unreachable(String),
    /// (Hairpinning) the mapping socket received our request, from this address.
    Received {
        /// The source address the request arrived with.
        from: SocketAddr,
    },
}

impl Outcome {
    /// The JSON spelling of the kind of outcome.
    pub fn kind(&self) -> &'static str {
        match self {
            Outcome::Pending => "pending",
            Outcome::NotRun(_) => "not-run",
            Outcome::Answered(_) => "answered",
            Outcome::Error { .. } => "error",
            Outcome::WrongSource { .. } => "wrong-source",
            Outcome::TimedOut { .. } => "timeout",
            Outcome::Unreachable(_) => "unreachable",
            Outcome::Received { .. } => "received",
        }
    }

    fn answer(&self) -> Option<&Answer> {
        match self {
            Outcome::Answered(a) => Some(a.as_ref()),
            _ => None,
        }
    }
}

/// One test: what was sent, where, and how it ended.
#[derive(Debug, Clone)]
pub struct Test {
    /// Which test.
    pub name: TestName,
    /// Where the request went (None when not run).
    pub destination: Option<SocketAddr>,
    /// CHANGE-REQUEST flags (change IP, change port), if any.
    pub change: Option<(bool, bool)>,
    /// Where the answer must come from.
    pub expect_from: Option<SocketAddr>,
    /// When it started.
    pub started: Option<Instant>,
    /// When it ended.
    pub ended: Option<Instant>,
    /// How it ended.
    pub outcome: Outcome,
    id: Option<[u8; 12]>,
}

impl Test {
    fn new(name: TestName) -> Self {
        Test {
            name,
            destination: None,
            change: None,
            expect_from: None,
            started: None,
            ended: None,
            outcome: Outcome::NotRun("not needed".into()),
            id: None,
        }
    }

    /// A one-line account of the outcome, for people.
    pub fn describe_outcome(&self) -> String {
        match &self.outcome {
            Outcome::Pending => "waiting".into(),
            Outcome::NotRun(why) => format!("not run: {why}"),
            Outcome::Answered(a) => {
                let mut s = match a.mapped {
                    Some(m) => format!("mapped {m}"),
                    None => "answered without a mapped address".into(),
                };
                s.push_str(&format!(", from {}", a.from));
                s
            }
            Outcome::Error { from, code, reason } => format!("error {code} {reason} from {from}"),
            Outcome::WrongSource { from, expected } => {
                format!("the answer came from {from}, not from {expected}")
            }
            Outcome::TimedOut { timed_out, strays } => {
                let mut s = match self.expect_from.or(self.destination) {
                    Some(e) if self.change.is_some() => format!("{timed_out} (expected from {e})"),
                    _ => timed_out.to_string(),
                };
                for stray in strays {
                    s.push_str(&format!("; ignored a reply that {stray}"));
                }
                s
            }
            Outcome::Unreachable(why) => why.clone(),
            Outcome::Received { from } => format!("our request came back, from {from}"),
        }
    }
}

/// What the machine tells its caller as it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// A test was started.
    Started(TestName),
    /// A test ended.
    Finished(TestName),
}

/// A datagram to send from one of the sockets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NatTransmit<'a> {
    /// From which socket.
    pub socket: Socket,
    /// The transaction it belongs to.
    pub id: [u8; 12],
    /// Where to.
    pub destination: SocketAddr,
    /// The bytes.
    pub contents: &'a [u8],
}

/// The discovery state machine.
#[derive(Debug)]
pub struct NatDiscovery {
    config: Config,
    locals: Locals,
    ids: TransactionId,
    clients: [Client; 4],
    tests: Vec<Test>,
    started: Instant,
    finished: Option<Instant>,
    later: Option<Retransmit>,
    first_rtt: Option<Duration>,
    dependents_started: bool,
    hairpin_started: bool,
    events: VecDeque<Progress>,
}

const ORDER: [TestName; 9] = [
    TestName::Mapping1,
    TestName::Mapping2,
    TestName::Mapping3,
    TestName::Server2,
    TestName::Filtering1,
    TestName::Filtering2,
    TestName::Filtering3,
    TestName::Probe,
    TestName::Hairpin,
];

const FIRST_CONTACT: [TestName; 3] = [TestName::Mapping1, TestName::Filtering1, TestName::Probe];

impl NatDiscovery {
    /// Start: the first-contact requests are due at once.
    pub fn new(config: Config, locals: Locals, ids: TransactionId, now: Instant) -> Self {
        let estimator = RtoEstimator::new(config.rto_floor, config.rto_floor, config.rto_max);
        let mut d = NatDiscovery {
            clients: std::array::from_fn(|_| Client::new(estimator)),
            tests: ORDER.iter().map(|&n| Test::new(n)).collect(),
            config,
            locals,
            ids,
            started: now,
            finished: None,
            later: None,
            first_rtt: None,
            dependents_started: false,
            hairpin_started: false,
            events: VecDeque::new(),
        };
        let server = d.config.server;
        let first = d.config.first_contact;
        d.start(TestName::Mapping1, server, None, None, first, now);
        d.start(TestName::Filtering1, server, None, None, first, now);
        if d.locals.probe.is_some() {
            d.start(TestName::Probe, server, None, None, first, now);
        } else {
            d.test_mut(TestName::Probe).outcome = Outcome::NotRun("no connected socket".into());
        }
        if let Some(s2) = d.config.server2 {
            d.start(TestName::Server2, s2, None, None, first, now);
        }
        if d.config.hairpin {
            if d.locals.hairpin.is_some() {
                d.test_mut(TestName::Hairpin).outcome =
                    Outcome::NotRun("waiting for the mapped address".into());
            } else {
                d.test_mut(TestName::Hairpin).outcome = Outcome::NotRun("no hairpin socket".into());
                d.hairpin_started = true;
            }
        }
        d
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The local addresses.
    pub fn locals(&self) -> &Locals {
        &self.locals
    }

    /// Every test, in report order.
    pub fn tests(&self) -> &[Test] {
        &self.tests
    }

    /// One test.
    pub fn test(&self, name: TestName) -> &Test {
        &self.tests[ORDER.iter().position(|&n| n == name).unwrap_or(0)]
    }

    fn test_mut(&mut self, name: TestName) -> &mut Test {
        let i = ORDER.iter().position(|&n| n == name).unwrap_or(0);
        &mut self.tests[i]
    }

    /// Whether every test has ended.
    pub fn is_done(&self) -> bool {
        self.finished.is_some()
    }

    /// When the discovery started.
    pub fn started(&self) -> Instant {
        self.started
    }

    /// How long it took, once done.
    pub fn elapsed(&self) -> Option<Duration> {
        self.finished.map(|f| f - self.started)
    }

    fn start(
        &mut self,
        name: TestName,
        destination: SocketAddr,
        change: Option<(bool, bool)>,
        expect_from: Option<SocketAddr>,
        schedule: Retransmit,
        now: Instant,
    ) {
        let id = self.ids.next_id();
        let mut b = MessageBuilder::new(Class::Request, Method::BINDING, id);
        if let Some((ip, port)) = change {
            b.change_request(ip, port);
        }
        if let Some(software) = &self.config.software {
            b.text(attr::SOFTWARE, software);
        }
        b.fingerprint();
        let expect = match (name, expect_from) {
            (TestName::Hairpin, _) => ExpectFrom::Any,
            (_, Some(a)) if change.is_some() => ExpectFrom::Changed(a),
            (_, Some(a)) => ExpectFrom::Address(a),
            (_, None) => ExpectFrom::Destination,
        };
        let tx = match Transaction::new(b.finish(), destination, schedule, now) {
            Ok(tx) => tx.expect_from(expect),
            Err(e) => {
                self.test_mut(name).outcome = Outcome::NotRun(e.to_string());
                return;
            }
        };
        self.clients[name.socket().index()].start(tx);
        let t = self.test_mut(name);
        t.destination = Some(destination);
        t.change = change;
        t.expect_from = expect_from.or(if name == TestName::Hairpin { None } else { Some(destination) });
        t.started = Some(now);
        t.id = Some(id);
        t.outcome = Outcome::Pending;
        self.events.push_back(Progress::Started(name));
    }

    fn finish(&mut self, name: TestName, outcome: Outcome, now: Instant) {
        let t = self.test_mut(name);
        if t.outcome != Outcome::Pending {
            return;
        }
        t.outcome = outcome;
        t.ended = Some(now);
        let id = t.id;
        if let Some(id) = id {
            self.clients[name.socket().index()].cancel(&id);
        }
        self.events.push_back(Progress::Finished(name));
    }

    fn name_of(&self, socket: Socket, id: &[u8; 12]) -> Option<TestName> {
        self.tests.iter().find(|t| t.id.as_ref() == Some(id) && t.name.socket() == socket).map(|t| t.name)
    }

    /// The addresses the server is known to send from: primary, and the alternate
    /// combinations once OTHER-ADDRESS is known.
    fn server_addresses(&self) -> Vec<SocketAddr> {
        let p = self.config.server;
        let mut v = vec![p];
        if let Ok(o) = self.other_address() {
            v.push(o);
            v.push(SocketAddr::new(o.ip(), p.port()));
            v.push(SocketAddr::new(p.ip(), o.port()));
        }
        v
    }

    /// Offer a datagram that arrived on `socket` from `from`.
    pub fn handle_input(&mut self, socket: Socket, bytes: &[u8], from: SocketAddr, now: Instant) {
        if socket == Socket::Mapping && self.is_hairpin_request(bytes) {
            self.finish(TestName::Hairpin, Outcome::Received { from }, now);
        } else {
            self.clients[socket.index()].handle_input(bytes, from, now);
        }
        self.drain(now);
        self.advance(now);
    }

    fn is_hairpin_request(&self, bytes: &[u8]) -> bool {
        let t = self.test(TestName::Hairpin);
        let (Some(id), Outcome::Pending) = (t.id, &t.outcome) else {
            return false;
        };
        match Message::new_checked(bytes) {
            Ok(m) => {
                m.class() == Class::Request && m.magic_cookie() == MAGIC_COOKIE && m.transaction_id() == id
            }
            Err(_) => false,
        }
    }

    /// ICMP unreachable (or a failed send) on a socket: `id` names the transaction when the
    /// caller knows it (a send that failed); otherwise every test of the socket waiting for
    /// its destination is concerned. On the connected probe socket this means nothing listens
    /// on the primary address, so the first-contact tests to it end too.
    pub fn handle_unreachable(&mut self, socket: Socket, id: Option<[u8; 12]>, detail: &str, now: Instant) {
        let names: Vec<TestName> = match id.and_then(|id| self.name_of(socket, &id)) {
            Some(name) => vec![name],
            None if socket == Socket::Probe => FIRST_CONTACT.to_vec(),
            None => self
                .tests
                .iter()
                .filter(|t| t.name.socket() == socket && t.outcome == Outcome::Pending)
                .map(|t| t.name)
                .collect(),
        };
        for name in names {
            self.finish(name, Outcome::Unreachable(detail.to_string()), now);
        }
        self.drain(now);
        self.advance(now);
    }

    /// Let time pass.
    pub fn handle_timeout(&mut self, now: Instant) {
        for c in &mut self.clients {
            c.handle_timeout(now);
        }
        self.drain(now);
        self.advance(now);
    }

    /// The next datagram to send.
    pub fn poll_transmit(&mut self) -> Option<NatTransmit<'_>> {
        for (socket, client) in Socket::ALL.into_iter().zip(self.clients.iter_mut()) {
            if let Some(t) = client.poll_transmit() {
                return Some(NatTransmit {
                    socket,
                    id: t.id,
                    destination: t.destination,
                    contents: t.contents,
                });
            }
        }
        None
    }

    /// When to call [`NatDiscovery::handle_timeout`] next (None when done).
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.is_done() {
            return None;
        }
        self.clients.iter().filter_map(Client::poll_timeout).min()
    }

    /// The next progress event.
    pub fn poll_event(&mut self) -> Option<Progress> {
        self.events.pop_front()
    }

    /// Turn transaction events into test outcomes.
    fn drain(&mut self, now: Instant) {
        for socket in Socket::ALL {
            while let Some(event) = self.clients[socket.index()].poll_event() {
                match event {
                    Event::Response { id, response } => {
                        let Some(name) = self.name_of(socket, &id) else { continue };
                        let outcome = if response.class == Class::SuccessResponse {
                            Outcome::Answered(Box::new(Answer::from_response(&response)))
                        } else {
                            let (code, reason) = response.error().unwrap_or((0, "no ERROR-CODE".into()));
                            Outcome::Error { from: response.from, code, reason }
                        };
                        self.finish(name, outcome, now);
                    }
                    Event::TimedOut { id, timed_out, strays } => {
                        let Some(name) = self.name_of(socket, &id) else { continue };
                        let strays =
                            strays.iter().map(|s| format!("came from {} and {}", s.from, s.reason)).collect();
                        self.finish(name, Outcome::TimedOut { timed_out, strays }, now);
                    }
                    Event::Stray { id, stray } => {
                        let Some(name) = self.name_of(socket, &id) else { continue };
                        // A reply from another of the server's own addresses is the server
                        // answering, just not from where the test asked (CHANGE-REQUEST
                        // ignored, or an alternate address that is not really one). Anything
                        // else might be noise: keep waiting.
                        if let StrayReason::WrongSource { expected } = stray.reason {
                            let known = self.server_addresses().iter().any(|&a| same_address(a, stray.from));
                            if known && name != TestName::Hairpin {
                                self.finish(name, Outcome::WrongSource { from: stray.from, expected }, now);
                            }
                        }
                    }
                }
            }
        }
    }

    /// The first success answer from the primary address, among the first-contact tests.
    fn first_answer(&self) -> Option<&Answer> {
        FIRST_CONTACT.iter().filter_map(|&n| self.test(n).outcome.answer()).min_by_key(|a| a.elapsed)
    }

    /// OTHER-ADDRESS (or an RFC 3489 CHANGED-ADDRESS), validated.
    pub fn other_address(&self) -> Result<SocketAddr, String> {
        let Some(a) = self.first_answer() else {
            return Err("the server never answered".into());
        };
        let other = a.other_address.or(a.changed_address).ok_or_else(|| {
            "the server sent no OTHER-ADDRESS: it does not support RFC 5780 behaviour discovery".to_string()
        })?;
        validate_other_address(self.config.server, other)
    }

    fn start_dependents(&mut self, now: Instant) {
        self.dependents_started = true;
        let Some(first) = self.first_answer() else {
            let why = if FIRST_CONTACT.iter().any(|&n| matches!(self.test(n).outcome, Outcome::Error { .. }))
            {
                "the server answered test I with an error"
            } else {
                "the server never answered test I"
            };
            for n in [TestName::Mapping2, TestName::Mapping3, TestName::Filtering2, TestName::Filtering3] {
                self.test_mut(n).outcome = Outcome::NotRun(why.into());
            }
            return;
        };
        // Karn: an answer to a retransmitted request only bounds the round trip from above,
        // which errs on the side of waiting longer.
        let rtt = first.rtt.unwrap_or(first.elapsed);
        self.first_rtt = Some(rtt);
        let mut est = RtoEstimator::new(self.config.rto_floor, self.config.rto_floor, self.config.rto_max);
        est.sample(rtt);
        let later = Retransmit::new(est.rto(), 3, 2);
        self.later = Some(later);
        match self.other_address() {
            Ok(o) => {
                let p = self.config.server;
                let alt_ip = SocketAddr::new(o.ip(), p.port());
                let alt_port = SocketAddr::new(p.ip(), o.port());
                self.start(TestName::Mapping2, alt_ip, None, None, later, now);
                self.start(TestName::Mapping3, o, None, None, later, now);
                self.start(TestName::Filtering2, p, Some((true, true)), Some(o), later, now);
                self.start(TestName::Filtering3, p, Some((false, true)), Some(alt_port), later, now);
            }
            Err(why) => {
                for n in [TestName::Mapping2, TestName::Mapping3, TestName::Filtering2, TestName::Filtering3]
                {
                    self.test_mut(n).outcome = Outcome::NotRun(why.clone());
                }
            }
        }
    }

    fn advance(&mut self, now: Instant) {
        if self.finished.is_some() {
            return;
        }
        if !self.dependents_started {
            let any_answer = self.first_answer().is_some();
            let all_over = FIRST_CONTACT.iter().all(|&n| self.test(n).outcome != Outcome::Pending);
            if any_answer || all_over {
                self.start_dependents(now);
            }
        }
        if self.config.hairpin && !self.hairpin_started {
            match self.test(TestName::Mapping1).outcome.answer().and_then(|a| a.mapped) {
                Some(mapped) => {
                    self.hairpin_started = true;
                    let schedule = self.later.unwrap_or(self.config.first_contact);
                    self.start(TestName::Hairpin, mapped, None, None, schedule, now);
                }
                None if self.test(TestName::Mapping1).outcome != Outcome::Pending => {
                    self.hairpin_started = true;
                    self.test_mut(TestName::Hairpin).outcome =
                        Outcome::NotRun("mapping test I gave no mapped address to send to".into());
                }
                None => {}
            }
        }
        let waiting = self.tests.iter().any(|t| t.outcome == Outcome::Pending);
        if !waiting && self.dependents_started && (self.hairpin_started || !self.config.hairpin) {
            self.finished = Some(now);
        }
    }

    /// The verdict and the evidence behind it.
    pub fn report(&self) -> Report {
        Report::build(self)
    }

    /// One test, as reported.
    pub fn test_report(&self, name: TestName) -> TestReport {
        test_report(self, self.test(name))
    }
}

/// Whether an IP is in a private, shared or unique-local range.
fn is_private(ip: IpAddr) -> bool {
    match ip.to_canonical() {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_private() || (o[0] == 100 && (64..128).contains(&o[1]))
        }
        IpAddr::V6(v6) => (v6.segments()[0] & 0xfe00) == 0xfc00,
    }
}

fn is_link_local(ip: IpAddr) -> bool {
    match ip.to_canonical() {
        IpAddr::V4(v4) => v4.is_link_local(),
        IpAddr::V6(v6) => (v6.segments()[0] & 0xffc0) == 0xfe80,
    }
}

/// Check an OTHER-ADDRESS against the primary address (RFC 5780 §7.4: both IP and port must
/// differ) and against addresses the server cannot mean for us: unspecified, multicast,
/// broadcast, loopback or link-local when the primary is not, private when the primary is
/// public (a server behind NAT advertising its inside address).
pub fn validate_other_address(primary: SocketAddr, other: SocketAddr) -> Result<SocketAddr, String> {
    let (p, o) = (primary.ip().to_canonical(), other.ip().to_canonical());
    let bad = |why: &str| Err(format!("OTHER-ADDRESS {other} is unusable: {why}"));
    if p.is_ipv4() != o.is_ipv4() {
        return bad("not the primary address's family");
    }
    if o.is_unspecified() || o.is_multicast() || o == IpAddr::from([255, 255, 255, 255]) {
        return bad("not a unicast address");
    }
    if other.port() == 0 {
        return bad("port 0");
    }
    if o.is_loopback() && !p.is_loopback() {
        return bad("a loopback address, but the server is not on loopback");
    }
    if is_link_local(o) && !is_link_local(p) {
        return bad("a link-local address");
    }
    if is_private(o) && !is_private(p) && !p.is_loopback() {
        return bad(
            "a private address although the server's is public (the server advertises its inside address)",
        );
    }
    if o == p {
        return bad("the same IP as the primary address; RFC 5780 needs a second IP");
    }
    if other.port() == primary.port() {
        return bad("the same port as the primary address; RFC 5780 needs a second port");
    }
    Ok(other)
}

/// One test in the report.
#[derive(Debug, Clone, Serialize)]
pub struct TestReport {
    /// `mapping-1`...
    pub name: TestName,
    /// What it does.
    pub description: &'static str,
    /// Which socket.
    pub socket: Socket,
    /// The socket's local address.
    pub local_address: Option<SocketAddr>,
    /// Where the request went.
    pub destination: Option<SocketAddr>,
    /// `ip+port`, `port` or null.
    pub change_request: Option<&'static str>,
    /// Where the answer had to come from.
    pub expected_from: Option<SocketAddr>,
    /// `answered`, `error`, `wrong-source`, `timeout`, `unreachable`, `not-run`, `received`.
    pub outcome: &'static str,
    /// Where the answer came from.
    pub from: Option<SocketAddr>,
    /// The mapped address in the answer.
    pub mapped_address: Option<SocketAddr>,
    /// The answer's attributes.
    pub answer: Option<Answer>,
    /// How many requests were sent.
    pub transmissions: Option<u32>,
    /// From the first send to the end.
    pub elapsed_ms: Option<f64>,
    /// The round trip, when measured unambiguously.
    pub rtt_ms: Option<f64>,
    /// The STUN error, if any.
    pub error: Option<ErrorReport>,
    /// The outcome in words.
    pub detail: String,
}

/// A STUN error in a report.
#[derive(Debug, Clone, Serialize)]
pub struct ErrorReport {
    /// The code.
    pub code: u16,
    /// The reason phrase.
    pub reason: String,
}

fn ms(d: Duration) -> f64 {
    crate::core::output::millis(d)
}

/// The verdict and its evidence; serialises to the `nat-type --json` document.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The mapping behaviour, or null.
    pub mapping: Option<MappingBehavior>,
    /// The filtering behaviour, or null.
    pub filtering: Option<FilteringBehavior>,
    /// The classic name.
    pub nat_type: NatType,
    /// The mapping socket's local address.
    pub local_address: SocketAddr,
    /// Its public (mapped) address.
    pub mapped_address: Option<SocketAddr>,
    /// Whether the server does RFC 5780 (null when it never answered).
    pub rfc5780_supported: Option<bool>,
    /// Whether there is a NAT (null when unknown).
    pub behind_nat: Option<bool>,
    /// Why the mapping is what it is (or unknown).
    pub mapping_evidence: String,
    /// Why the filtering is what it is (or unknown).
    pub filtering_evidence: String,
    /// Why the type is unknown or UDP blocked, when it is.
    pub reason: Option<String>,
    /// What it means for WebRTC.
    pub webrtc: &'static str,
    /// The server's primary address.
    pub server: SocketAddr,
    /// Its OTHER-ADDRESS, as sent.
    pub other_address: Option<SocketAddr>,
    /// The server's SOFTWARE.
    pub software: Option<String>,
    /// The `--server2` address.
    pub server2: Option<SocketAddr>,
    /// The mapping toward `--server2`.
    pub server2_mapped_address: Option<SocketAddr>,
    /// The first measured round trip (an upper bound if the request was retransmitted).
    pub rtt_ms: Option<f64>,
    /// Whether MAPPED-ADDRESS and XOR-MAPPED-ADDRESS disagreed (an ALG rewriting payloads).
    pub alg_detected: bool,
    /// Whether hairpinning works (null when not tested or undecided).
    pub hairpinning: Option<bool>,
    /// Whether the server was unreachable (ICMP, or it alone stayed silent).
    pub server_unreachable: bool,
    /// Other observations.
    pub notes: Vec<String>,
    /// Every test.
    pub tests: Vec<TestReport>,
    /// How long the discovery took.
    pub done_ms: f64,
    /// The binding lifetime, when measured (`--lifetime`).
    pub binding_lifetime: Option<Lifetime>,
    /// The TCP mapping behaviour, when asked (`--tcp`).
    pub tcp: Option<super::tcp::TcpMapping>,
}

impl Report {
    fn build(d: &NatDiscovery) -> Report {
        let o = |n| &d.test(n).outcome;
        let answer = |n| o(n).answer();
        let first = d.first_answer();
        let mut notes = Vec::new();

        let m1 = answer(TestName::Mapping1).and_then(|a| a.mapped);
        let behind_nat = m1.map(|m| !same_address(m, d.locals.mapping));
        let (mapping, mapping_evidence) = mapping_verdict(d, &mut notes);
        let filtering = filtering_verdict(d);
        let filtering_evidence = match &filtering {
            Ok(f) => filtering_reason(d, *f),
            Err(why) => why.clone(),
        };

        let primary_answered = first.is_some();
        let icmp = FIRST_CONTACT.iter().find_map(|&n| match o(n) {
            Outcome::Unreachable(why) => Some(why.clone()),
            _ => None,
        });
        let error = FIRST_CONTACT.iter().find_map(|&n| match o(n) {
            Outcome::Error { code, reason, .. } => Some(format!("{code} {reason}")),
            _ => None,
        });
        let server2_answered = answer(TestName::Server2).is_some();
        let mut server_unreachable = false;
        let (nat_type, reason) = if primary_answered {
            match classify(&mapping, filtering.as_ref().map(|f| *f).map_err(String::as_str)) {
                Ok(t) => (t, None),
                Err(why) => (NatType::Unknown, Some(why)),
            }
        } else if let Some(why) = icmp {
            server_unreachable = true;
            (NatType::Unknown, Some(format!("the server {} is unreachable: {why}", d.config.server)))
        } else if let Some(err) = error {
            (
                NatType::Unknown,
                Some(format!("the server {} answered Binding with error {err}", d.config.server)),
            )
        } else if let Some(stray) = FIRST_CONTACT.iter().find_map(|&n| match o(n) {
            Outcome::TimedOut { strays, .. } => strays.first().cloned(),
            _ => None,
        }) {
            (NatType::Unknown, Some(format!("answers arrived but none could be used: one {stray}")))
        } else if server2_answered {
            server_unreachable = true;
            (
                NatType::Unknown,
                Some(format!(
                    "the server {} never answered, but the second server did: the first one is down or filtered",
                    d.config.server
                )),
            )
        } else {
            let sent: u32 = FIRST_CONTACT
                .iter()
                .filter_map(|&n| match o(n) {
                    Outcome::TimedOut { timed_out, .. } => Some(timed_out.transmissions),
                    _ => None,
                })
                .sum();
            let waited = FIRST_CONTACT
                .iter()
                .filter_map(|&n| match o(n) {
                    Outcome::TimedOut { timed_out, .. } => Some(timed_out.waited),
                    _ => None,
                })
                .max()
                .unwrap_or_default();
            (
                NatType::UdpBlocked,
                Some(format!(
                    "no answer from {} to {sent} requests from 3 sockets over {} ms: UDP is blocked here, \
                     or the server is down (a second server, --server2, tells them apart)",
                    d.config.server,
                    waited.as_millis()
                )),
            )
        };

        let rfc5780_supported = first.map(|a| {
            let ignored = [TestName::Filtering2, TestName::Filtering3]
                .iter()
                .any(|&n| matches!(o(n), Outcome::WrongSource { .. } | Outcome::Error { .. }));
            a.other_address.is_some() && d.other_address().is_ok() && !ignored
        });
        if let Some(a) = first {
            if a.other_address.is_none() && a.changed_address.is_some() {
                notes.push(format!(
                    "the server is an RFC 3489 server: CHANGED-ADDRESS {} stands in for OTHER-ADDRESS",
                    a.changed_address.map_or_else(String::new, |c| c.to_string())
                ));
            }
        }

        let mut alg_detected = false;
        for t in &d.tests {
            if let Outcome::Answered(a) = &t.outcome {
                if let (Some(x), Some(m)) = (a.xor_mapped_address, a.mapped_address) {
                    if !same_address(x, m) {
                        alg_detected = true;
                        notes.push(format!(
                            "{}: MAPPED-ADDRESS {m} differs from XOR-MAPPED-ADDRESS {x}: something on the path \
                             (an ALG) rewrites addresses inside STUN; XOR-MAPPED-ADDRESS is used",
                            t.name
                        ));
                    }
                }
                if let Some(origin) = a.response_origin {
                    if !same_address(origin, a.from) {
                        notes.push(format!(
                            "{}: RESPONSE-ORIGIN {origin} but the answer came from {}: the server is behind a \
                             NAT, or something rewrote the source",
                            t.name, a.from
                        ));
                    }
                }
                if a.xor_mapped_address.is_none() && a.mapped_address.is_some() {
                    notes.push(format!("{}: only MAPPED-ADDRESS (an RFC 3489 server?)", t.name));
                }
            }
        }

        let hairpinning = match o(TestName::Hairpin) {
            Outcome::Received { .. } => Some(true),
            Outcome::TimedOut { .. } => Some(false),
            _ => None,
        };

        let tests = d
            .tests
            .iter()
            .filter(|t| {
                !(matches!(t.outcome, Outcome::NotRun(_)) && t.started.is_none() && !wanted(d, t.name))
            })
            .map(|t| test_report(d, t))
            .collect();

        let done = d.finished.unwrap_or(d.started) - d.started;
        Report {
            mapping: mapping.behavior(),
            filtering: filtering.ok(),
            nat_type,
            local_address: d.locals.mapping,
            mapped_address: m1,
            rfc5780_supported,
            behind_nat,
            mapping_evidence,
            filtering_evidence,
            reason,
            webrtc: nat_type.webrtc(),
            server: d.config.server,
            other_address: first.and_then(|a| a.other_address.or(a.changed_address)),
            software: first.and_then(|a| a.software.clone()),
            server2: d.config.server2,
            server2_mapped_address: answer(TestName::Server2).and_then(|a| a.mapped),
            rtt_ms: d.first_rtt.map(ms),
            alg_detected,
            hairpinning,
            server_unreachable,
            notes,
            tests,
            done_ms: ms(done),
            binding_lifetime: None,
            tcp: None,
        }
    }
}

/// Tests worth listing even when they did not run (they explain a gap in the verdict).
fn wanted(d: &NatDiscovery, name: TestName) -> bool {
    match name {
        TestName::Server2 => d.config.server2.is_some(),
        TestName::Hairpin => d.config.hairpin,
        _ => true,
    }
}

fn test_report(d: &NatDiscovery, t: &Test) -> TestReport {
    let (from, answer, transmissions, rtt, error) = match &t.outcome {
        Outcome::Answered(a) => (Some(a.from), Some(a.as_ref().clone()), Some(a.transmissions), a.rtt, None),
        Outcome::Error { from, code, reason } => {
            (Some(*from), None, None, None, Some(ErrorReport { code: *code, reason: reason.clone() }))
        }
        Outcome::WrongSource { from, .. } | Outcome::Received { from } => {
            (Some(*from), None, None, None, None)
        }
        Outcome::TimedOut { timed_out, .. } => (None, None, Some(timed_out.transmissions), None, None),
        _ => (None, None, None, None, None),
    };
    let transmissions = transmissions.or_else(|| {
        t.id.and_then(|id| d.clients[t.name.socket().index()].get(&id)).map(|tx| tx.transmissions())
    });
    TestReport {
        name: t.name,
        description: t.name.describe(),
        socket: t.name.socket(),
        local_address: d.locals.get(t.name.socket()),
        destination: t.destination,
        change_request: t.change.map(|c| match c {
            (true, true) => "ip+port",
            (true, false) => "ip",
            (false, true) => "port",
            (false, false) => "none",
        }),
        expected_from: t.expect_from,
        outcome: t.outcome.kind(),
        from,
        mapped_address: answer.as_ref().and_then(|a| a.mapped),
        answer,
        transmissions,
        elapsed_ms: t.started.zip(t.ended).map(|(s, e)| ms(e - s)),
        rtt_ms: rtt.map(ms),
        error,
        detail: t.describe_outcome(),
    }
}

fn mapping_verdict(d: &NatDiscovery, notes: &mut Vec<String>) -> (MappingVerdict, String) {
    let o = |n| &d.test(n).outcome;
    let mapped = |n| o(n).answer().and_then(|a| a.mapped);
    let describe = |n: TestName| format!("{}: {}", n.describe(), d.test(n).describe_outcome());
    let Some(m1) = mapped(TestName::Mapping1) else {
        let why = match o(TestName::Mapping1) {
            Outcome::Answered(_) => "the answer to mapping test I had no mapped address".to_string(),
            _ => describe(TestName::Mapping1),
        };
        return (MappingVerdict::Unknown(why.clone()), why);
    };
    let local = d.locals.mapping;
    if same_address(m1, local) {
        return (MappingVerdict::NoNat, format!("no NAT: the mapped address {m1} is the local address"));
    }
    let server2 = mapped(TestName::Server2);
    let by_server2 = |why: String| -> (MappingVerdict, String) {
        match server2 {
            Some(m2) if same_address(m1, m2) => (
                MappingVerdict::Known(MappingBehavior::EndpointIndependent),
                format!("{why}; but the second server saw the same mapping {m2} as the first ({m1})"),
            ),
            Some(m2) => (
                MappingVerdict::NotIndependent,
                format!(
                    "{why}; the second server saw {m2}, the first {m1}: the mapping depends on the \
                     destination (two servers cannot tell address- from address-and-port-dependent)"
                ),
            ),
            None => (MappingVerdict::Unknown(why.clone()), why),
        }
    };
    let verdict = match (mapped(TestName::Mapping2), o(TestName::Mapping2)) {
        (Some(m2), _) if same_address(m1, m2) => (
            MappingVerdict::Known(MappingBehavior::EndpointIndependent),
            format!("the same mapping {m1} toward the primary and the alternate address"),
        ),
        (Some(m2), _) => match mapped(TestName::Mapping3) {
            Some(m3) if same_address(m2, m3) => (
                MappingVerdict::Known(MappingBehavior::AddressDependent),
                format!("mapping {m1} toward the primary, {m2} toward the alternate IP whichever the port"),
            ),
            Some(m3) => (
                MappingVerdict::Known(MappingBehavior::AddressAndPortDependent),
                format!("a new mapping for each destination: {m1}, {m2}, {m3}"),
            ),
            None => {
                let why = format!(
                    "mapping {m1} toward the primary but {m2} toward the alternate IP, and {}",
                    describe(TestName::Mapping3)
                );
                // Not endpoint-independent either way: the classic name is settled.
                (MappingVerdict::NotIndependent, why)
            }
        },
        (None, Outcome::NotRun(why)) => by_server2(why.clone()),
        (None, _) => by_server2(describe(TestName::Mapping2)),
    };
    if let (MappingVerdict::Known(MappingBehavior::EndpointIndependent), Some(m2)) = (&verdict.0, server2) {
        if !same_address(m1, m2) && mapped(TestName::Mapping2).is_some() {
            notes.push(format!(
                "the second server saw mapping {m2}, not {m1}: the NAT is endpoint-independent toward one \
                 server but not across servers"
            ));
        }
    }
    verdict
}

fn filtering_verdict(d: &NatDiscovery) -> Result<FilteringBehavior, String> {
    let o = |n| &d.test(n).outcome;
    let ignored = |from: &SocketAddr, expected: &SocketAddr, what: &str| {
        format!(
            "the server ignored CHANGE-REQUEST: the answer to '{what}' came from {from}, not from {expected}"
        )
    };
    let refused = |code: &u16, reason: &str| format!("the server refused CHANGE-REQUEST ({code} {reason})");
    match o(TestName::Filtering2) {
        Outcome::Answered(_) => Ok(FilteringBehavior::EndpointIndependent),
        Outcome::NotRun(why) => Err(why.clone()),
        Outcome::WrongSource { from, expected } => Err(ignored(from, expected, "change IP and port")),
        Outcome::Error { code, reason, .. } => Err(refused(code, reason)),
        Outcome::Pending => Err("filtering test II did not finish".into()),
        Outcome::Unreachable(why) => Err(format!("filtering test II: {why}")),
        Outcome::Received { .. } => Err("filtering test II: unexpected".into()),
        Outcome::TimedOut { .. } => {
            // Silence means "filtered" only if the server can send from its alternate address.
            if o(TestName::Mapping3).answer().is_none() {
                return Err(format!(
                    "no answer to CHANGE-REQUEST, but the server's alternate address never answered mapping \
                     test III either, so the silence proves nothing ({})",
                    d.test(TestName::Mapping3).describe_outcome()
                ));
            }
            match o(TestName::Filtering3) {
                Outcome::Answered(_) => Ok(FilteringBehavior::AddressDependent),
                Outcome::WrongSource { from, expected } => Err(ignored(from, expected, "change port")),
                Outcome::Error { code, reason, .. } => Err(refused(code, reason)),
                Outcome::TimedOut { .. } => {
                    if o(TestName::Filtering1).answer().is_some() {
                        Ok(FilteringBehavior::AddressAndPortDependent)
                    } else {
                        Err("the filtering socket got no answer even without CHANGE-REQUEST".into())
                    }
                }
                other => Err(format!("filtering test III: {}", other.kind())),
            }
        }
    }
}

fn filtering_reason(d: &NatDiscovery, f: FilteringBehavior) -> String {
    let t2 = d.test(TestName::Filtering2);
    let t3 = d.test(TestName::Filtering3);
    let from = |t: &Test| t.expect_from.map_or_else(|| "?".into(), |a| a.to_string());
    match f {
        FilteringBehavior::EndpointIndependent => {
            format!("the answer from the other IP and port ({}) got in", from(t2))
        }
        FilteringBehavior::AddressDependent => format!(
            "the answer from the other IP ({}) was filtered, the one from the same IP, other port ({}) got in",
            from(t2),
            from(t3)
        ),
        FilteringBehavior::AddressAndPortDependent => {
            let waited = match &t3.outcome {
                Outcome::TimedOut { timed_out, .. } => format!(" in {} ms", timed_out.waited.as_millis()),
                _ => String::new(),
            };
            format!(
                "only answers from the address we sent to got in: nothing from the other IP and port ({}) \
                 or the other port ({}){waited}",
                from(t2),
                from(t3)
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sa(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn other_address_validation() {
        let p = sa("203.0.113.10:3478");
        assert!(validate_other_address(p, sa("203.0.113.11:3479")).is_ok());
        for (other, why) in [
            ("203.0.113.10:3479", "same IP"),
            ("203.0.113.11:3478", "same port"),
            ("0.0.0.0:3479", "unicast"),
            ("224.0.0.1:3479", "unicast"),
            ("127.0.0.1:3479", "loopback"),
            ("169.254.1.1:3479", "link-local"),
            ("10.1.2.3:3479", "private"),
            ("100.64.0.1:3479", "private"),
            ("[2001:db8::1]:3479", "family"),
            ("203.0.113.11:0", "port 0"),
        ] {
            let err = validate_other_address(p, sa(other)).unwrap_err();
            assert!(err.contains(why), "{other}: {err}");
        }
        // a server on a private network may advertise a private other address
        assert!(validate_other_address(sa("10.0.0.1:3478"), sa("10.0.0.2:3479")).is_ok());
        assert!(validate_other_address(sa("127.0.0.1:3478"), sa("127.0.0.2:3479")).is_ok());
        assert!(validate_other_address(sa("[2001:db8::1]:3478"), sa("[2001:db8::2]:3479")).is_ok());
        assert!(validate_other_address(sa("[2001:db8::1]:3478"), sa("[fd00::2]:3479")).is_err());
    }
}
