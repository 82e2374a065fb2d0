//! One STUN client transaction over an unreliable transport, sans-IO.

use std::fmt;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::schedule::Retransmit;
use crate::core::stun::{Check, Class, IntegrityKey, Message, Method, MAGIC_COOKIE};

/// Which source address a response must come from to count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpectFrom {
    /// The address the request was sent to (the normal case).
    Destination,
    /// This address (an RFC 5780 CHANGE-REQUEST test expects the server's other address).
    Address(SocketAddr),
    /// A CHANGE-REQUEST (RFC 5780): a success response from this address, an error response
    /// (the server cannot honour the request, 420) from the destination.
    Changed(SocketAddr),
    /// Any address (the caller checks it).
    Any,
}

impl ExpectFrom {
    fn accepts(&self, destination: SocketAddr, from: SocketAddr, class: Class) -> bool {
        match self {
            ExpectFrom::Destination => same_address(destination, from),
            ExpectFrom::Address(a) => same_address(*a, from),
            ExpectFrom::Changed(a) if class == Class::SuccessResponse => same_address(*a, from),
            ExpectFrom::Changed(_) => same_address(destination, from),
            ExpectFrom::Any => true,
        }
    }

    /// The address a (success) response must come from, if one.
    pub fn address(&self, destination: SocketAddr) -> Option<SocketAddr> {
        match self {
            ExpectFrom::Destination => Some(destination),
            ExpectFrom::Address(a) | ExpectFrom::Changed(a) => Some(*a),
            ExpectFrom::Any => None,
        }
    }
}

/// Socket addresses compared the way a dual-stack socket reports them: `::ffff:192.0.2.1` is
/// `192.0.2.1`.
pub fn same_address(a: SocketAddr, b: SocketAddr) -> bool {
    a.port() == b.port() && a.ip().to_canonical() == b.ip().to_canonical()
}

/// The answer to a transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The response bytes (the whole datagram).
    pub bytes: Vec<u8>,
    /// Where it came from.
    pub from: SocketAddr,
    /// When it arrived.
    pub at: Instant,
    /// Success or error response.
    pub class: Class,
    /// Time from the first send to the answer: the round-trip time when the request was sent
    /// once, an upper bound of it otherwise.
    pub elapsed: Duration,
    /// The round-trip time, when it is unambiguous (Karn's rule: the request was sent once).
    pub rtt: Option<Duration>,
    /// How many times the request had been sent.
    pub transmissions: u32,
    /// MESSAGE-INTEGRITY of the response, checked with the transaction's key if it has one.
    pub integrity: Check,
}

impl Response {
    /// A view of the response message (its header was checked on arrival).
    pub fn message(&self) -> Message<&[u8]> {
        Message::new_unchecked(&self.bytes[..])
    }

    /// The ERROR-CODE of an error response: code and reason phrase.
    pub fn error(&self) -> Option<(u16, String)> {
        self.message().error_code()
    }

    /// A typed address attribute of the response (XOR-MAPPED-ADDRESS, OTHER-ADDRESS...), or
    /// `None` when absent or damaged.
    pub fn address(&self, typ: u16) -> Option<SocketAddr> {
        self.message().address(typ)
    }

    /// The reflexive address (see [`Message::mapped_address`]).
    pub fn mapped_address(&self) -> Option<SocketAddr> {
        self.message().mapped_address()
    }

    /// A text attribute (SOFTWARE, REALM...), when present and valid UTF-8.
    pub fn text(&self, typ: u16) -> Option<String> {
        let msg = self.message();
        let raw = msg.attribute(typ)?;
        std::str::from_utf8(raw.value).ok().map(str::to_owned)
    }
}

/// A datagram with our transaction id that was refused, and why. The transaction goes on
/// waiting: a stray reply must not end it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stray {
    /// Where it came from.
    pub from: SocketAddr,
    /// When it arrived.
    pub at: Instant,
    /// Why it does not count.
    pub reason: StrayReason,
}

/// Why a datagram with our transaction id does not count as the answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StrayReason {
    /// It came from another address than the one expected.
    WrongSource {
        /// The address the response should have come from.
        expected: SocketAddr,
    },
    /// It is a request or an indication, not a response.
    NotAResponse(Class),
    /// It answers another method.
    WrongMethod(Method),
    /// Its FINGERPRINT is wrong.
    BadFingerprint,
    /// Its MESSAGE-INTEGRITY does not verify with our key.
    BadIntegrity,
    /// A success response to an authenticated request without MESSAGE-INTEGRITY.
    MissingIntegrity,
}

impl fmt::Display for StrayReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StrayReason::WrongSource { expected } => {
                write!(f, "came from the wrong address (expected {expected})")
            }
            StrayReason::NotAResponse(class) => write!(f, "is a {class}, not a response"),
            StrayReason::WrongMethod(m) => write!(f, "answers {m}, not the request's method"),
            StrayReason::BadFingerprint => f.write_str("has a wrong FINGERPRINT"),
            StrayReason::BadIntegrity => f.write_str("failed MESSAGE-INTEGRITY"),
            StrayReason::MissingIntegrity => f.write_str("has no MESSAGE-INTEGRITY"),
        }
    }
}

/// A transaction that got no answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimedOut {
    /// How many times the request was sent.
    pub transmissions: u32,
    /// How long it waited from the first send.
    pub waited: Duration,
}

impl fmt::Display for TimedOut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "no answer after {} {} over {} ms",
            self.transmissions,
            if self.transmissions == 1 { "transmission" } else { "transmissions" },
            self.waited.as_millis()
        )
    }
}

/// Datagrams from a server that answered none of our requests (not STUN, or another
/// transaction id): when a request then times out, its server was not silent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unrelated {
    /// How many came.
    pub datagrams: u32,
    /// The first, described ([`crate::core::stun::describe_datagram`]).
    pub first: String,
}

impl Unrelated {
    /// Count one more datagram (described when it is the first).
    pub fn note(seen: &mut Option<Unrelated>, bytes: &[u8]) {
        match seen {
            Some(u) => u.datagrams = u.datagrams.saturating_add(1),
            None => {
                *seen = Some(Unrelated { datagrams: 1, first: crate::core::stun::describe_datagram(bytes) })
            }
        }
    }
}

impl fmt::Display for Unrelated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.datagrams == 1 {
            write!(f, "the server sent one datagram that answers nothing we asked: {}", self.first)
        } else {
            write!(
                f,
                "the server sent {} datagrams that answer nothing we asked (the first: {})",
                self.datagrams, self.first
            )
        }
    }
}

/// Why a transaction ended without an answer, judged from the replies that did arrive and
/// were refused: the diagnosis names the likeliest cause first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unanswered {
    /// An answer came from another address than the request went to (a NAT or load balancer
    /// rewriting the source?).
    WrongSource {
        /// Where it came from.
        from: SocketAddr,
    },
    /// An answer failed MESSAGE-INTEGRITY or lacked it (another password or realm on the
    /// server, or the message was altered).
    Integrity,
    /// The only answer was refused for another reason.
    Refused(Stray),
    /// No answer, but the server sent datagrams that answer nothing we asked.
    Unrelated(TimedOut, Unrelated),
    /// Nothing came back.
    Silent(TimedOut),
}

impl Unanswered {
    /// The diagnosis of a transaction that timed out after these refused replies.
    pub fn of(timed_out: &TimedOut, strays: &[Stray]) -> Self {
        if let Some(s) = strays.iter().find(|s| matches!(s.reason, StrayReason::WrongSource { .. })) {
            Unanswered::WrongSource { from: s.from }
        } else if strays
            .iter()
            .any(|s| matches!(s.reason, StrayReason::BadIntegrity | StrayReason::MissingIntegrity))
        {
            Unanswered::Integrity
        } else if let Some(s) = strays.first() {
            Unanswered::Refused(s.clone())
        } else {
            Unanswered::Silent(timed_out.clone())
        }
    }

    /// Silence is not silence when the server sent something else: `Unrelated` then.
    pub fn with_unrelated(self, unrelated: Option<&Unrelated>) -> Self {
        match (self, unrelated) {
            (Unanswered::Silent(t), Some(u)) => Unanswered::Unrelated(t, u.clone()),
            (other, _) => other,
        }
    }
}

/// Where a transaction is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    /// Sent (or about to be), waiting for the answer.
    Waiting,
    /// Answered.
    Answered(Response),
    /// Given up.
    TimedOut(TimedOut),
    /// Stopped by the caller.
    Cancelled,
}

/// What [`Transaction::handle_input`] made of a datagram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    /// Not a STUN message with this transaction's id.
    NotOurs,
    /// The answer: the transaction is done.
    Answered,
    /// Ours, but the transaction was already over (a reply to a retransmission, typically).
    Late,
    /// Ours, but it does not count (see [`Stray`]); the transaction keeps waiting.
    Refused(Stray),
}

/// One request waiting for its response: retransmission per RFC 8489 §6.2.1, response matched
/// by transaction id, method, class and source address, FINGERPRINT and (when keyed)
/// MESSAGE-INTEGRITY checked. Time is an input: the caller says when it is
/// ([`Transaction::handle_timeout`]), asks when to come back ([`Transaction::poll_timeout`]) and
/// what to send ([`Transaction::poll_transmit`]).
///
/// ```
/// use std::time::{Duration, Instant};
/// use rtctool::core::stun::{Class, Method, MessageBuilder, attr};
/// use rtctool::core::transact::{Retransmit, Transaction, Received, State};
///
/// let server = "192.0.2.1:3478".parse().unwrap();
/// let txid = [1u8; 12];
/// let request = MessageBuilder::new(Class::Request, Method::BINDING, txid).finish();
/// let t0 = Instant::now();
/// let mut tx = Transaction::new(request, server, Retransmit::default(), t0).unwrap();
/// assert!(tx.poll_transmit().is_some());          // sent at once
/// assert!(tx.poll_transmit().is_none());
/// tx.handle_timeout(t0 + Duration::from_millis(500));
/// assert!(tx.poll_transmit().is_some());          // retransmitted, same bytes
///
/// let mut b = MessageBuilder::new(Class::SuccessResponse, Method::BINDING, txid);
/// b.xor_address(attr::XOR_MAPPED_ADDRESS, "198.51.100.7:40000".parse().unwrap());
/// let got = tx.handle_input(b.as_bytes(), server, t0 + Duration::from_millis(520));
/// assert_eq!(got, Received::Answered);
/// let State::Answered(response) = tx.state() else { panic!() };
/// assert_eq!(response.transmissions, 2);
/// assert_eq!(response.rtt, None);                  // ambiguous after a retransmission
/// ```
#[derive(Debug, Clone)]
pub struct Transaction {
    id: [u8; 12],
    method: Method,
    request: Vec<u8>,
    destination: SocketAddr,
    retransmit: Retransmit,
    expect_from: ExpectFrom,
    key: Option<IntegrityKey>,
    started: Instant,
    last_sent: Option<Instant>,
    sent: u32,
    due: bool,
    state: State,
    strays: Vec<Stray>,
}

/// Why bytes cannot start a transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotARequest(pub String);

impl fmt::Display for NotARequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot start a transaction: {}", self.0)
    }
}

impl std::error::Error for NotARequest {}

impl Transaction {
    /// A transaction for an encoded request (its transaction id and method are read from it),
    /// first sent at `now`.
    pub fn new(
        request: Vec<u8>,
        destination: SocketAddr,
        retransmit: Retransmit,
        now: Instant,
    ) -> Result<Self, NotARequest> {
        let (id, method) = {
            let msg = Message::new_checked(&request[..]).map_err(|e| NotARequest(e.to_string()))?;
            if msg.class() != Class::Request {
                return Err(NotARequest(format!("a {} is not a request", msg.class())));
            }
            if msg.magic_cookie() != MAGIC_COOKIE {
                return Err(NotARequest("no magic cookie (RFC 3489 requests are not sent)".into()));
            }
            (msg.transaction_id(), msg.method())
        };
        Ok(Transaction {
            id,
            method,
            request,
            destination,
            retransmit,
            expect_from: ExpectFrom::Destination,
            key: None,
            started: now,
            last_sent: None,
            sent: 0,
            due: true,
            state: State::Waiting,
            strays: Vec::new(),
        })
    }

    /// Accept responses from this source instead of the destination.
    pub fn expect_from(mut self, expect: ExpectFrom) -> Self {
        self.expect_from = expect;
        self
    }

    /// Check responses' MESSAGE-INTEGRITY with this key: a success response must carry a valid
    /// one; an error response may lack it (401 and 438 do) but must not carry a bad one.
    pub fn with_key(mut self, key: IntegrityKey) -> Self {
        self.key = Some(key);
        self
    }

    /// The transaction id.
    pub fn id(&self) -> [u8; 12] {
        self.id
    }

    /// Where the request goes.
    pub fn destination(&self) -> SocketAddr {
        self.destination
    }

    /// The request bytes.
    pub fn request(&self) -> &[u8] {
        &self.request
    }

    /// The schedule in use.
    pub fn retransmit(&self) -> &Retransmit {
        &self.retransmit
    }

    /// The expected source of the response.
    pub fn expected_from(&self) -> &ExpectFrom {
        &self.expect_from
    }

    /// When the transaction started.
    pub fn started(&self) -> Instant {
        self.started
    }

    /// How many times the request has been sent.
    pub fn transmissions(&self) -> u32 {
        self.sent
    }

    /// Where the transaction is.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// Whether it is over (answered, timed out or cancelled).
    pub fn is_done(&self) -> bool {
        !matches!(self.state, State::Waiting)
    }

    /// The replies with our id that were refused so far.
    pub fn strays(&self) -> &[Stray] {
        &self.strays
    }

    /// Stop waiting; nothing more is sent.
    pub fn cancel(&mut self) {
        if !self.is_done() {
            self.state = State::Cancelled;
            self.due = false;
        }
    }

    /// The next instant the transaction needs [`Transaction::handle_timeout`]: the next
    /// retransmission or the end. `None` when done.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.is_done() {
            return None;
        }
        if self.due {
            return Some(self.started);
        }
        Some(match self.retransmit.send_offset(self.sent) {
            Some(offset) => self.started + offset,
            None => self.started + self.retransmit.give_up_after(),
        })
    }

    /// Let time pass: a retransmission may fall due, or the transaction may time out.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.is_done() || self.due {
            return;
        }
        match self.retransmit.send_offset(self.sent) {
            Some(offset) if now >= self.started + offset => self.due = true,
            Some(_) => {}
            None => {
                if now >= self.started + self.retransmit.give_up_after() {
                    self.state = State::TimedOut(TimedOut {
                        transmissions: self.sent,
                        waited: now.saturating_duration_since(self.started),
                    });
                }
            }
        }
    }

    /// The request, when a (re)transmission is due. Each call after [`Transaction::new`] or
    /// [`Transaction::handle_timeout`] hands it out at most once. The caller sends it now; the
    /// send time counted is the instant the transmission fell due.
    pub fn poll_transmit(&mut self) -> Option<&[u8]> {
        if !self.due || self.is_done() {
            return None;
        }
        self.due = false;
        let at = self.started + self.retransmit.send_offset(self.sent).unwrap_or(Duration::ZERO);
        self.last_sent = Some(at);
        self.sent += 1;
        Some(&self.request)
    }

    /// Offer a datagram that arrived from `from` at `now`.
    pub fn handle_input(&mut self, bytes: &[u8], from: SocketAddr, now: Instant) -> Received {
        let Ok(msg) = Message::new_checked(bytes) else {
            return Received::NotOurs;
        };
        if msg.magic_cookie() != MAGIC_COOKIE || msg.transaction_id() != self.id {
            return Received::NotOurs;
        }
        if self.is_done() {
            return Received::Late;
        }
        let refuse = |reason| Stray { from, at: now, reason };
        let class = msg.class();
        let stray = if !class.is_response() {
            Some(refuse(StrayReason::NotAResponse(class)))
        } else if msg.method() != self.method {
            Some(refuse(StrayReason::WrongMethod(msg.method())))
        } else if !self.expect_from.accepts(self.destination, from, class) {
            let expected = match (&self.expect_from, class) {
                (ExpectFrom::Changed(_), Class::ErrorResponse) => self.destination,
                (e, _) => e.address(self.destination).unwrap_or(self.destination),
            };
            Some(refuse(StrayReason::WrongSource { expected }))
        } else if msg.check_fingerprint() == Check::Bad {
            Some(refuse(StrayReason::BadFingerprint))
        } else {
            None
        };
        if let Some(stray) = stray {
            self.strays.push(stray.clone());
            return Received::Refused(stray);
        }
        let integrity = match &self.key {
            None => {
                if msg.has_integrity() {
                    Check::Unchecked
                } else {
                    Check::Absent
                }
            }
            Some(key) => msg.check_integrity(key),
        };
        let refused = match (integrity, class) {
            (Check::Bad, _) => Some(StrayReason::BadIntegrity),
            (Check::Absent, Class::SuccessResponse) if self.key.is_some() => {
                Some(StrayReason::MissingIntegrity)
            }
            _ => None,
        };
        if let Some(reason) = refused {
            let stray = refuse(reason);
            self.strays.push(stray.clone());
            return Received::Refused(stray);
        }
        let elapsed = now.saturating_duration_since(self.started);
        let rtt =
            if self.sent == 1 { self.last_sent.map(|t| now.saturating_duration_since(t)) } else { None };
        self.state = State::Answered(Response {
            bytes: msg.as_bytes().to_vec(),
            from,
            at: now,
            class,
            elapsed,
            rtt,
            transmissions: self.sent,
            integrity,
        });
        self.due = false;
        Received::Answered
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::stun::{attr, MessageBuilder};

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn server() -> SocketAddr {
        "192.0.2.1:3478".parse().unwrap()
    }

    fn request(txid: [u8; 12]) -> Vec<u8> {
        let mut b = MessageBuilder::new(Class::Request, Method::BINDING, txid);
        b.fingerprint();
        b.finish()
    }

    fn success(txid: [u8; 12]) -> Vec<u8> {
        let mut b = MessageBuilder::new(Class::SuccessResponse, Method::BINDING, txid);
        b.xor_address(attr::XOR_MAPPED_ADDRESS, "198.51.100.7:40000".parse().unwrap());
        b.fingerprint();
        b.finish()
    }

    /// Drive a transaction with no answer and record when it sent.
    fn run_silent(mut tx: Transaction, t0: Instant) -> (Vec<Duration>, TimedOut) {
        let mut sends = Vec::new();
        let mut now = t0;
        loop {
            tx.handle_timeout(now);
            while tx.poll_transmit().is_some() {
                sends.push(now - t0);
            }
            match tx.state() {
                State::TimedOut(t) => return (sends, t.clone()),
                State::Waiting => {}
                other => panic!("{other:?}"),
            }
            now = tx.poll_timeout().unwrap();
        }
    }

    #[test]
    fn full_rfc_schedule_then_timeout() {
        let t0 = Instant::now();
        let tx = Transaction::new(request([1; 12]), server(), Retransmit::default(), t0).unwrap();
        let (sends, timed_out) = run_silent(tx, t0);
        assert_eq!(sends, [0, 500, 1500, 3500, 7500, 15500, 31500].map(ms));
        assert_eq!(timed_out, TimedOut { transmissions: 7, waited: ms(39_500) });
        assert_eq!(timed_out.to_string(), "no answer after 7 transmissions over 39500 ms");
    }

    #[test]
    fn limit_bounds_the_transaction() {
        let t0 = Instant::now();
        let r = Retransmit::new(ms(100), 7, 16).with_limit(ms(800));
        let tx = Transaction::new(request([1; 12]), server(), r, t0).unwrap();
        let (sends, timed_out) = run_silent(tx, t0);
        assert_eq!(sends, [0, 100, 300, 700].map(ms));
        assert_eq!(timed_out.waited, ms(800));
    }

    #[test]
    fn lost_request_is_retransmitted_with_the_same_id() {
        let t0 = Instant::now();
        let req = request([9; 12]);
        let mut tx = Transaction::new(req.clone(), server(), Retransmit::default(), t0).unwrap();
        assert_eq!(tx.poll_transmit(), Some(&req[..]));
        tx.handle_timeout(t0 + ms(499));
        assert_eq!(tx.poll_transmit(), None);
        tx.handle_timeout(t0 + ms(500));
        assert_eq!(tx.poll_transmit(), Some(&req[..]), "same bytes, same transaction id");
        assert_eq!(tx.handle_input(&success([9; 12]), server(), t0 + ms(530)), Received::Answered);
        let State::Answered(r) = tx.state() else { panic!() };
        assert_eq!((r.transmissions, r.elapsed, r.rtt), (2, ms(530), None));
        // the answer to the first copy, late: ignored
        assert_eq!(tx.handle_input(&success([9; 12]), server(), t0 + ms(540)), Received::Late);
        assert_eq!(tx.poll_timeout(), None);
    }

    #[test]
    fn rtt_is_measured_when_sent_once() {
        let t0 = Instant::now();
        let mut tx = Transaction::new(request([2; 12]), server(), Retransmit::default(), t0).unwrap();
        tx.poll_transmit();
        assert_eq!(tx.handle_input(&success([2; 12]), server(), t0 + ms(42)), Received::Answered);
        let State::Answered(r) = tx.state() else { panic!() };
        assert_eq!(r.rtt, Some(ms(42)));
        assert_eq!(r.address(attr::XOR_MAPPED_ADDRESS), Some("198.51.100.7:40000".parse().unwrap()));
        assert_eq!(r.integrity, Check::Absent);
    }

    #[test]
    fn other_ids_and_garbage_are_not_ours() {
        let t0 = Instant::now();
        let mut tx = Transaction::new(request([3; 12]), server(), Retransmit::default(), t0).unwrap();
        tx.poll_transmit();
        assert_eq!(tx.handle_input(&success([4; 12]), server(), t0), Received::NotOurs);
        assert_eq!(tx.handle_input(b"\x80\x00hello", server(), t0), Received::NotOurs);
        assert_eq!(tx.handle_input(&[], server(), t0), Received::NotOurs);
        assert!(!tx.is_done());
    }

    #[test]
    fn wrong_source_is_refused_and_waiting_goes_on() {
        let t0 = Instant::now();
        let mut tx = Transaction::new(request([5; 12]), server(), Retransmit::default(), t0).unwrap();
        tx.poll_transmit();
        let spoof: SocketAddr = "192.0.2.99:3478".parse().unwrap();
        let got = tx.handle_input(&success([5; 12]), spoof, t0 + ms(10));
        assert!(matches!(got, Received::Refused(Stray { reason: StrayReason::WrongSource { .. }, .. })));
        assert!(!tx.is_done());
        assert_eq!(tx.strays().len(), 1);
        // dual-stack spelling of the right address counts
        let mapped: SocketAddr = "[::ffff:192.0.2.1]:3478".parse().unwrap();
        assert_eq!(tx.handle_input(&success([5; 12]), mapped, t0 + ms(11)), Received::Answered);
    }

    #[test]
    fn expect_from_another_address() {
        let t0 = Instant::now();
        let other: SocketAddr = "192.0.2.2:3479".parse().unwrap();
        let mut tx = Transaction::new(request([6; 12]), server(), Retransmit::default(), t0)
            .unwrap()
            .expect_from(ExpectFrom::Address(other));
        tx.poll_transmit();
        let got = tx.handle_input(&success([6; 12]), server(), t0 + ms(1));
        assert_eq!(
            got,
            Received::Refused(Stray {
                from: server(),
                at: t0 + ms(1),
                reason: StrayReason::WrongSource { expected: other }
            })
        );
        assert_eq!(tx.handle_input(&success([6; 12]), other, t0 + ms(2)), Received::Answered);
    }

    #[test]
    fn change_request_errors_come_from_the_destination() {
        let t0 = Instant::now();
        let other: SocketAddr = "192.0.2.2:3479".parse().unwrap();
        let mut tx = Transaction::new(request([6; 12]), server(), Retransmit::default(), t0)
            .unwrap()
            .expect_from(ExpectFrom::Changed(other));
        tx.poll_transmit();
        let mut b = MessageBuilder::new(Class::ErrorResponse, Method::BINDING, [6; 12]);
        b.error_code(420, "Unknown Attribute");
        let err = b.finish();
        assert!(matches!(tx.handle_input(&err, other, t0), Received::Refused(_)));
        assert!(matches!(tx.handle_input(&success([6; 12]), server(), t0), Received::Refused(_)));
        assert_eq!(tx.handle_input(&err, server(), t0), Received::Answered);
    }

    #[test]
    fn requests_wrong_methods_and_bad_fingerprints_are_refused() {
        let t0 = Instant::now();
        let mut tx = Transaction::new(request([7; 12]), server(), Retransmit::default(), t0).unwrap();
        tx.poll_transmit();
        let as_request = request([7; 12]);
        assert!(matches!(
            tx.handle_input(&as_request, server(), t0),
            Received::Refused(Stray { reason: StrayReason::NotAResponse(Class::Request), .. })
        ));
        let wrong_method = MessageBuilder::new(Class::SuccessResponse, Method::ALLOCATE, [7; 12]).finish();
        assert!(matches!(
            tx.handle_input(&wrong_method, server(), t0),
            Received::Refused(Stray { reason: StrayReason::WrongMethod(Method::ALLOCATE), .. })
        ));
        let mut bad = success([7; 12]);
        let n = bad.len();
        bad[n - 1] ^= 1;
        assert!(matches!(
            tx.handle_input(&bad, server(), t0),
            Received::Refused(Stray { reason: StrayReason::BadFingerprint, .. })
        ));
        assert_eq!(tx.strays().len(), 3);
    }

    #[test]
    fn keyed_transactions_check_integrity() {
        let t0 = Instant::now();
        let key = IntegrityKey::short_term("secret");
        let mut tx = Transaction::new(request([8; 12]), server(), Retransmit::default(), t0)
            .unwrap()
            .with_key(key.clone());
        tx.poll_transmit();
        // unsigned success: refused
        assert!(matches!(
            tx.handle_input(&success([8; 12]), server(), t0),
            Received::Refused(Stray { reason: StrayReason::MissingIntegrity, .. })
        ));
        // signed with the wrong key: refused
        let mut b = MessageBuilder::new(Class::SuccessResponse, Method::BINDING, [8; 12]);
        b.message_integrity(&IntegrityKey::short_term("other"));
        assert!(matches!(
            tx.handle_input(b.as_bytes(), server(), t0),
            Received::Refused(Stray { reason: StrayReason::BadIntegrity, .. })
        ));
        // an unsigned 401 is accepted (it is how the server asks for credentials)
        let mut b = MessageBuilder::new(Class::ErrorResponse, Method::BINDING, [8; 12]);
        b.error_code(401, "Unauthorized");
        assert_eq!(tx.handle_input(b.as_bytes(), server(), t0 + ms(3)), Received::Answered);
        let State::Answered(r) = tx.state() else { panic!() };
        assert_eq!(r.error(), Some((401, "Unauthorized".to_string())));
        assert_eq!(r.integrity, Check::Absent);

        let mut tx = Transaction::new(request([8; 12]), server(), Retransmit::default(), t0)
            .unwrap()
            .with_key(key.clone());
        tx.poll_transmit();
        let mut b = MessageBuilder::new(Class::SuccessResponse, Method::BINDING, [8; 12]);
        b.message_integrity(&key);
        assert_eq!(tx.handle_input(b.as_bytes(), server(), t0), Received::Answered);
        let State::Answered(r) = tx.state() else { panic!() };
        assert_eq!(r.integrity, Check::Ok);
    }

    #[test]
    fn cancel_stops_everything() {
        let t0 = Instant::now();
        let mut tx = Transaction::new(request([1; 12]), server(), Retransmit::default(), t0).unwrap();
        tx.cancel();
        assert_eq!(tx.poll_transmit(), None);
        assert_eq!(tx.poll_timeout(), None);
        assert_eq!(tx.state(), &State::Cancelled);
    }

    #[test]
    fn only_requests_start_transactions() {
        let t0 = Instant::now();
        assert!(Transaction::new(success([1; 12]), server(), Retransmit::default(), t0).is_err());
        assert!(Transaction::new(vec![0; 5], server(), Retransmit::default(), t0).is_err());
        let classic = MessageBuilder::classic(0x0001, [1; 16]).finish();
        assert!(Transaction::new(classic, server(), Retransmit::default(), t0).is_err());
    }
}
