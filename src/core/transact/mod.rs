//! Sans-IO STUN client transactions (RFC 8489 §6.2): the retransmission schedule, matching a
//! response to its request (transaction id, method, class, source address, FINGERPRINT and,
//! when keyed, MESSAGE-INTEGRITY), and the long-term credential challenge (401/438).
//!
//! Nothing here touches a socket or a clock. A [`Transaction`] (or a [`Client`] of many) takes
//! datagrams and instants in — `handle_input(bytes, from, now)`, `handle_timeout(now)` — and
//! gives out what to send (`poll_transmit`), when to wake it up (`poll_timeout`) and what
//! happened (`poll_event`, `state`). Tests drive it with fake time; commands wrap it in a small
//! socket loop.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use rtctool::core::stun::{attr, Class, MessageBuilder, Method};
//! use rtctool::core::transact::{Client, Event, Retransmit, Transaction, TransactionId};
//!
//! let server = "192.0.2.1:3478".parse().unwrap();
//! let mut ids = TransactionId::sequence(1);
//! let txid = ids.next_id();
//! let request = MessageBuilder::new(Class::Request, Method::BINDING, txid).finish();
//! let t0 = Instant::now();
//! let mut client = Client::default();
//! client.start(Transaction::new(request, server, Retransmit::default(), t0).unwrap());
//! let out = client.poll_transmit().unwrap();
//! assert_eq!(out.destination, server);
//!
//! let mut b = MessageBuilder::new(Class::SuccessResponse, Method::BINDING, txid);
//! b.xor_address(attr::XOR_MAPPED_ADDRESS, "198.51.100.7:40000".parse().unwrap());
//! client.handle_input(b.as_bytes(), server, t0 + Duration::from_millis(30));
//! let Some(Event::Response { response, .. }) = client.poll_event() else { panic!() };
//! assert_eq!(response.address(attr::XOR_MAPPED_ADDRESS), Some("198.51.100.7:40000".parse().unwrap()));
//! assert_eq!(response.rtt, Some(Duration::from_millis(30)));
//! ```

mod auth;
mod client;
pub mod ping;
mod schedule;
mod transaction;

pub use auth::{AuthFailure, AuthStep, LongTermAuth};
pub use client::{Client, Event, Transmit};
pub use schedule::{Retransmit, RtoEstimator};
pub use transaction::{
    same_address, ExpectFrom, NotARequest, Received, Response, State, Stray, StrayReason, TimedOut,
    Transaction, Unanswered, Unrelated,
};

use std::hash::{BuildHasher, Hasher};

/// Where transaction ids come from: the operating system's random source for real runs
/// (RFC 8489 §6 wants them unpredictable), a counter for tests that need to know them.
#[derive(Debug, Clone)]
pub enum TransactionId {
    /// Random ids.
    Random,
    /// Ids counting up from a start value (tests, reproducible runs).
    Sequence(u64),
}

impl TransactionId {
    /// Random transaction ids.
    pub fn random() -> Self {
        TransactionId::Random
    }

    /// Predictable ids: `start`, `start + 1`... in the last 8 bytes.
    pub fn sequence(start: u64) -> Self {
        TransactionId::Sequence(start)
    }

    /// A source for another machine (a TURN client of many) whose ids never meet these:
    /// random stays random; a sequence hands over the next 65,536 numbers and skips them.
    pub fn fork(&mut self) -> TransactionId {
        match self {
            TransactionId::Random => TransactionId::Random,
            TransactionId::Sequence(n) => {
                let start = *n;
                *n = n.wrapping_add(1 << 16);
                TransactionId::Sequence(start)
            }
        }
    }

    /// The next id.
    pub fn next_id(&mut self) -> [u8; 12] {
        match self {
            TransactionId::Random => random_id(),
            TransactionId::Sequence(n) => {
                let mut id = [0u8; 12];
                id[4..].copy_from_slice(&n.to_be_bytes());
                *n = n.wrapping_add(1);
                id
            }
        }
    }
}

/// 96 random bits from the operating system. Should it fail (no entropy source at all, which no
/// supported system lacks), the ids still differ: std's randomly keyed hasher over a counter.
fn random_id() -> [u8; 12] {
    let mut id = [0u8; 12];
    if getrandom::fill(&mut id).is_ok() {
        return id;
    }
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let state = std::collections::hash_map::RandomState::new();
    for (i, chunk) in id.chunks_mut(8).enumerate() {
        let mut h = state.build_hasher();
        h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
        h.write_usize(i);
        chunk.copy_from_slice(&h.finish().to_be_bytes()[..chunk.len()]);
    }
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        let mut seq = TransactionId::sequence(7);
        assert_eq!(seq.next_id(), [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7]);
        assert_eq!(seq.next_id()[11], 8);
        let mut r = TransactionId::random();
        assert_ne!(r.next_id(), r.next_id());
    }
}
