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

mod report;

use report::test_report;
pub use report::{ErrorReport, Report, TestReport};

use std::collections::VecDeque;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use serde::Serialize;

use super::behavior::{classify, FilteringBehavior, MappingBehavior, MappingVerdict, NatType};
use super::lifetime::Lifetime;
use crate::core::addr::{is_link_local, is_private};
use crate::core::stun::{attr, Class, Message, MessageBuilder, Method, MAGIC_COOKIE};
use crate::core::transact::{
    same_address, Client, Event, ExpectFrom, Received, Response, Retransmit, RtoEstimator, StrayReason,
    TimedOut, Transaction, TransactionId, Unrelated,
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
    /// Datagrams from the server that answered no test (not STUN, or another transaction
    /// id): when every first contact then times out, the server was not silent.
    pub(super) unrelated: Option<Unrelated>,
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
            unrelated: None,
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
            let got = self.clients[socket.index()].handle_input(bytes, from, now);
            let servers = [Some(self.config.server), self.config.server2];
            if got == Received::NotOurs && servers.iter().flatten().any(|s| same_address(*s, from)) {
                Unrelated::note(&mut self.unrelated, bytes);
            }
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
