//! Many transactions on one socket: routing datagrams to them by transaction id, merging their
//! timers, and turning what happens into events.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::schedule::RtoEstimator;
use super::transaction::{Received, Response, State, Stray, TimedOut, Transaction};

/// A datagram to send now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transmit<'a> {
    /// The transaction it belongs to.
    pub id: [u8; 12],
    /// Where to send it.
    pub destination: SocketAddr,
    /// The bytes.
    pub contents: &'a [u8],
}

/// Something that happened to one of a [`Client`]'s transactions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A transaction was answered.
    Response {
        /// Its id.
        id: [u8; 12],
        /// The answer.
        response: Response,
    },
    /// A transaction got no answer.
    TimedOut {
        /// Its id.
        id: [u8; 12],
        /// How it ended.
        timed_out: TimedOut,
        /// Replies with its id that were refused on the way (wrong source...).
        strays: Vec<Stray>,
    },
    /// A reply with a transaction's id was refused; the transaction goes on waiting.
    Stray {
        /// Its id.
        id: [u8; 12],
        /// What arrived and why it does not count.
        stray: Stray,
    },
}

/// A set of concurrent STUN client transactions sharing one socket, sans-IO: feed it datagrams
/// ([`Client::handle_input`]) and the time ([`Client::handle_timeout`]); take from it datagrams
/// to send ([`Client::poll_transmit`]), the next instant it needs the time
/// ([`Client::poll_timeout`]) and events ([`Client::poll_event`]). It also keeps an RTO
/// estimate from unambiguous round trips, so later transactions can be scheduled from what
/// was measured.
#[derive(Debug, Clone)]
pub struct Client {
    transactions: Vec<Transaction>,
    events: VecDeque<Event>,
    rto: RtoEstimator,
}

impl Default for Client {
    fn default() -> Self {
        Client::new(RtoEstimator::new(
            Duration::from_millis(500),
            Duration::from_millis(100),
            Duration::from_secs(3),
        ))
    }
}

impl Client {
    /// An empty client with this RTO estimator.
    pub fn new(rto: RtoEstimator) -> Self {
        Client { transactions: Vec::new(), events: VecDeque::new(), rto }
    }

    /// Add a transaction (its first transmission is due at once).
    pub fn start(&mut self, transaction: Transaction) -> [u8; 12] {
        let id = transaction.id();
        self.transactions.push(transaction);
        id
    }

    /// A transaction by id.
    pub fn get(&self, id: &[u8; 12]) -> Option<&Transaction> {
        self.transactions.iter().find(|t| &t.id() == id)
    }

    /// Every transaction, in the order they were started.
    pub fn transactions(&self) -> &[Transaction] {
        &self.transactions
    }

    /// Stop waiting for a transaction.
    pub fn cancel(&mut self, id: &[u8; 12]) {
        if let Some(t) = self.transactions.iter_mut().find(|t| &t.id() == id) {
            t.cancel();
        }
    }

    /// Forget the transactions that are over (their events have been queued already).
    pub fn prune(&mut self) {
        self.transactions.retain(|t| !t.is_done());
    }

    /// The RTO estimate from the round trips measured so far.
    pub fn rto(&self) -> &RtoEstimator {
        &self.rto
    }

    /// Whether any transaction is still waiting.
    pub fn is_busy(&self) -> bool {
        self.transactions.iter().any(|t| !t.is_done())
    }

    /// Offer a datagram. Returns what the transaction with its id made of it, or
    /// [`Received::NotOurs`] when none has it.
    pub fn handle_input(&mut self, bytes: &[u8], from: SocketAddr, now: Instant) -> Received {
        for t in &mut self.transactions {
            let got = t.handle_input(bytes, from, now);
            match &got {
                Received::NotOurs => continue,
                Received::Answered => {
                    if let State::Answered(response) = t.state() {
                        if let Some(rtt) = response.rtt {
                            self.rto.sample(rtt);
                        }
                        self.events.push_back(Event::Response { id: t.id(), response: response.clone() });
                    }
                }
                Received::Refused(stray) => {
                    self.events.push_back(Event::Stray { id: t.id(), stray: stray.clone() });
                }
                Received::Late => {}
            }
            return got;
        }
        Received::NotOurs
    }

    /// Let time pass.
    pub fn handle_timeout(&mut self, now: Instant) {
        for t in &mut self.transactions {
            let was_waiting = !t.is_done();
            t.handle_timeout(now);
            if was_waiting {
                if let State::TimedOut(timed_out) = t.state() {
                    self.events.push_back(Event::TimedOut {
                        id: t.id(),
                        timed_out: timed_out.clone(),
                        strays: t.strays().to_vec(),
                    });
                }
            }
        }
    }

    /// The next datagram to send, if one is due.
    pub fn poll_transmit(&mut self) -> Option<Transmit<'_>> {
        for t in &mut self.transactions {
            let (id, destination) = (t.id(), t.destination());
            if let Some(contents) = t.poll_transmit() {
                return Some(Transmit { id, destination, contents });
            }
        }
        None
    }

    /// The earliest instant a transaction needs the time.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.transactions.iter().filter_map(Transaction::poll_timeout).min()
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::stun::{attr, Class, MessageBuilder, Method};
    use crate::core::transact::Retransmit;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn tx(txid: [u8; 12], to: &str, now: Instant) -> Transaction {
        let req = MessageBuilder::new(Class::Request, Method::BINDING, txid).finish();
        Transaction::new(req, to.parse().unwrap(), Retransmit::new(ms(100), 3, 2), now).unwrap()
    }

    fn answer(txid: [u8; 12]) -> Vec<u8> {
        let mut b = MessageBuilder::new(Class::SuccessResponse, Method::BINDING, txid);
        b.xor_address(attr::XOR_MAPPED_ADDRESS, "198.51.100.7:40000".parse().unwrap());
        b.finish()
    }

    #[test]
    fn routes_by_id_and_reports_events() {
        let t0 = Instant::now();
        let mut c = Client::default();
        c.start(tx([1; 12], "192.0.2.1:3478", t0));
        c.start(tx([2; 12], "192.0.2.2:3478", t0));
        let mut sent = Vec::new();
        while let Some(t) = c.poll_transmit() {
            sent.push((t.id, t.destination));
        }
        assert_eq!(sent.len(), 2);
        assert_eq!(c.poll_timeout(), Some(t0 + ms(100)));

        let got = c.handle_input(&answer([2; 12]), "192.0.2.2:3478".parse().unwrap(), t0 + ms(20));
        assert_eq!(got, Received::Answered);
        assert!(matches!(c.poll_event(), Some(Event::Response { id, .. }) if id == [2; 12]));
        assert_eq!(c.rto().srtt(), Some(ms(20)));
        assert_eq!(
            c.handle_input(&answer([3; 12]), "192.0.2.2:3478".parse().unwrap(), t0),
            Received::NotOurs
        );

        // the other one: retransmitted at 100 and 300, given up at 300 + 2 × 100
        let mut now = t0;
        let mut sends = 0;
        while c.is_busy() {
            now = c.poll_timeout().unwrap();
            c.handle_timeout(now);
            while c.poll_transmit().is_some() {
                sends += 1;
            }
        }
        assert_eq!(sends, 2);
        assert_eq!(now, t0 + ms(500));
        let Some(Event::TimedOut { id, timed_out, strays }) = c.poll_event() else { panic!() };
        assert_eq!((id, timed_out.transmissions, strays.len()), ([1; 12], 3, 0));
        assert_eq!(c.poll_event(), None);
        c.prune();
        assert!(c.transactions().is_empty());
    }

    #[test]
    fn strays_are_reported_and_kept_for_the_timeout() {
        let t0 = Instant::now();
        let mut c = Client::default();
        c.start(tx([1; 12], "192.0.2.1:3478", t0));
        while c.poll_transmit().is_some() {}
        let got = c.handle_input(&answer([1; 12]), "192.0.2.9:3478".parse().unwrap(), t0 + ms(5));
        assert!(matches!(got, Received::Refused(_)));
        assert!(matches!(c.poll_event(), Some(Event::Stray { .. })));
        for at in [100, 300, 500] {
            c.handle_timeout(t0 + ms(at));
            while c.poll_transmit().is_some() {}
        }
        let Some(Event::TimedOut { strays, .. }) = c.poll_event() else { panic!() };
        assert_eq!(strays.len(), 1);
    }
}
