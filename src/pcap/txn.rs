//! STUN transactions across a capture: requests matched to responses by transaction id,
//! retransmissions flagged, unanswered requests listed at the end. Memory is bounded.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;

use super::net::Transport;
use crate::core::stun::Method;

/// Which credential authenticated a request (its response uses the same).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyRef {
    /// TURN long-term credential with this realm.
    Turn {
        /// The realm.
        realm: String,
    },
    /// ICE short-term credential: this password.
    Ice {
        /// The password.
        pwd: String,
        /// Whether the user tied it to the ufrag (then a failure is `bad`).
        definitive: bool,
    },
}

/// A request seen in the capture.
#[derive(Debug, Clone)]
pub struct Request {
    /// Frame of the first transmission.
    pub frame: u64,
    /// Time of the first transmission (ns).
    pub time_ns: u64,
    /// Sender.
    pub src: SocketAddr,
    /// Receiver.
    pub dst: SocketAddr,
    /// Transmissions seen on this 5-tuple.
    pub sends: u32,
    /// Whether a response was seen.
    pub answered: bool,
    /// The key that authenticated it.
    pub key: Option<KeyRef>,
    /// Whether it is an ICE connectivity check.
    pub ice: bool,
    /// Method.
    pub method: Method,
    /// UDP or TCP.
    pub transport: Transport,
    /// Whether it carries USE-CANDIDATE (an ICE check that nominates its pair).
    pub nominates: bool,
}

/// Bound on tracked transactions; the oldest are forgotten first.
pub const MAX_TRANSACTIONS: usize = 1 << 16;

/// A transaction id as a fixed-size key: 12 bytes (RFC 5389) or 16 (RFC 3489), zero-padded,
/// then the length. It hashes and compares as words, not byte by byte.
#[derive(Debug, Clone, Copy, Eq)]
pub(crate) struct TxKey([u8; 17]);

impl TxKey {
    fn words(&self) -> (u64, u64) {
        let k = &self.0;
        let a = u64::from_le_bytes([k[0], k[1], k[2], k[3], k[4], k[5], k[6], k[7]]);
        let b = u64::from_le_bytes([k[8], k[9], k[10], k[11], k[12], k[13], k[14], k[15]]);
        (a, b ^ u64::from(k[16]) << 56)
    }
}

impl PartialEq for TxKey {
    fn eq(&self, other: &Self) -> bool {
        let ((a0, a1), (b0, b1)) = (self.words(), other.words());
        // The length byte is folded into the second word, which a 16-byte id fills to the top:
        // compare it on its own too.
        ((a0 ^ b0) | (a1 ^ b1)) == 0 && self.0[16] == other.0[16]
    }
}

impl std::hash::Hash for TxKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        let (a, b) = self.words();
        state.write_u64(a);
        state.write_u64(b);
    }
}

pub(crate) fn key(id: &[u8]) -> TxKey {
    let mut k = [0u8; 17];
    let n = id.len().min(16);
    k[..n].copy_from_slice(&id[..n]);
    k[16] = n as u8;
    TxKey(k)
}

fn id_of(k: &TxKey) -> &[u8] {
    &k.0[..usize::from(k.0[16]).min(16)]
}

/// All transactions of a capture: the requests in the order they were first sent, in a ring
/// (the oldest leaves first), and an index from transaction id to place in the ring. The index
/// holds 25 bytes per request and the ring the requests themselves, so a full table is about
/// 15 MB (a map of requests would be 20 MB, and 30 MB while it grows).
#[derive(Debug, Default)]
pub struct Transactions {
    ring: VecDeque<(TxKey, Request)>,
    /// Transaction id → the request's number (counting from the first request ever seen).
    index: HashMap<TxKey, u64, super::fastfmt::FxBuild>,
    /// The number of the ring's front.
    front: u64,
    /// Requests forgotten, still unanswered, to respect the bound (forgetting an answered
    /// one loses nothing a later packet needs but the match of a late retransmission).
    pub forgotten: u64,
}

/// What became of a request just seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// First transmission.
    New,
    /// The same request again on the same 5-tuple.
    Retransmission,
    /// The same transaction seen again on another 5-tuple (e.g. before and after a NAT).
    Copy,
}

impl Transactions {
    /// Empty.
    pub fn new() -> Self {
        Self::default()
    }

    /// Record a request.
    pub fn request(&mut self, id: &[u8], req: Request) -> Seen {
        let id = key(id);
        // One lookup, whether the request is new or seen before.
        match self.index.entry(id) {
            Entry::Occupied(seen) => {
                let Some((_, old)) = self.ring.get_mut((*seen.get() - self.front) as usize) else {
                    return Seen::New;
                };
                if old.src == req.src && old.dst == req.dst {
                    old.sends += 1;
                    Seen::Retransmission
                } else {
                    Seen::Copy
                }
            }
            Entry::Vacant(slot) => {
                slot.insert(self.front + self.ring.len() as u64);
                self.ring.push_back((id, req));
                if self.ring.len() > MAX_TRANSACTIONS {
                    if let Some((oldest, old)) = self.ring.pop_front() {
                        self.index.remove(&oldest);
                        self.front += 1;
                        self.forgotten += u64::from(!old.answered);
                    }
                }
                Seen::New
            }
        }
    }

    fn slot(&self, id: &[u8]) -> Option<usize> {
        Some((*self.index.get(&key(id))? - self.front) as usize)
    }

    /// Record a response; returns its request if it was seen.
    pub fn response(&mut self, id: &[u8]) -> Option<&Request> {
        let at = self.slot(id)?;
        let (_, req) = self.ring.get_mut(at)?;
        req.answered = true;
        Some(req)
    }

    /// The request of a transaction, if seen.
    pub fn get(&self, id: &[u8]) -> Option<&Request> {
        self.ring.get(self.slot(id)?).map(|(_, r)| r)
    }

    /// Requests never answered, in the order they were first sent.
    pub fn unanswered(&self) -> impl Iterator<Item = (&[u8], &Request)> {
        self.all().filter(|(_, r)| !r.answered)
    }

    /// All tracked requests.
    pub fn all(&self) -> impl Iterator<Item = (&[u8], &Request)> {
        self.ring.iter().map(|(id, r)| (id_of(id), r))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(port: u16) -> Request {
        Request {
            transport: Transport::Udp,
            nominates: false,
            frame: 1,
            time_ns: 0,
            src: SocketAddr::from(([10, 0, 0, 1], port)),
            dst: SocketAddr::from(([10, 0, 0, 2], 3478)),
            sends: 1,
            answered: false,
            key: None,
            ice: false,
            method: Method::BINDING,
        }
    }

    #[test]
    fn ids_round_trip_and_retransmissions_are_told_from_copies() {
        let mut t = Transactions::new();
        let id = [7u8; 12];
        assert_eq!(t.request(&id, req(5000)), Seen::New);
        assert_eq!(t.request(&id, req(5000)), Seen::Retransmission);
        assert_eq!(t.request(&id, req(6000)), Seen::Copy);
        let classic = [9u8; 16];
        t.request(&classic, req(5000));
        let ids: Vec<&[u8]> = t.unanswered().map(|(id, _)| id).collect();
        assert_eq!(ids, vec![&id[..], &classic[..]]);
        assert!(t.response(&id).is_some());
        assert_eq!(t.unanswered().count(), 1);
        assert_eq!(t.get(&id).map(|r| r.sends), Some(2));
    }

    #[test]
    fn memory_is_bounded() {
        let mut t = Transactions::new();
        for i in 0..(MAX_TRANSACTIONS as u32 + 10) {
            let mut id = [0u8; 12];
            id[..4].copy_from_slice(&i.to_be_bytes());
            t.request(&id, req(1));
        }
        assert_eq!(t.all().count(), MAX_TRANSACTIONS);
        assert_eq!(t.forgotten, 10);
    }

    /// One request at a time, each answered: past the bound the oldest are dropped, and none
    /// of them counts as forgotten (nothing that a later packet needs was lost).
    #[test]
    fn answered_requests_leave_quietly() {
        let mut t = Transactions::new();
        for i in 0..(MAX_TRANSACTIONS as u32 + 5000) {
            let mut id = [0u8; 12];
            id[..4].copy_from_slice(&i.to_be_bytes());
            t.request(&id, req(1));
            assert!(t.response(&id).is_some());
        }
        assert_eq!(t.all().count(), MAX_TRANSACTIONS);
        assert_eq!(t.forgotten, 0);
    }
}
