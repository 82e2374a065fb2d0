//! Flows of a capture, numbered: one hash lookup per packet names its flow, and what is known
//! of the flow (STUN seen on it) and what is made for it (the start of its lines) hangs on the
//! number instead of on more lookups by address.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::net::SocketAddr;

use super::fastfmt::FxBuild;
use super::net::Transport;

/// A packet's flow: the endpoint pair's number and which way the packet went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlowId {
    /// Numbers restart from 0 when the table starts afresh; the epoch tells them apart.
    pub epoch: u32,
    /// `2 × pair + direction`.
    pub directed: u32,
}

impl FlowId {
    /// No flow (a message whose addresses are not its packet's, such as STUN quoted in ICMP).
    pub const NONE: FlowId = FlowId { epoch: u32::MAX, directed: u32::MAX };

    /// The endpoint pair, either way.
    pub fn pair(self) -> u32 {
        self.directed / 2
    }
}

/// A directed endpoint pair and transport, in 40 bytes that hash as five words.
#[derive(Debug, Clone, Copy, Eq)]
pub(super) struct FlowKey([u64; 5]);

impl PartialEq for FlowKey {
    /// Word by word: the derived comparison calls `memcmp`.
    fn eq(&self, other: &Self) -> bool {
        let (a, b) = (&self.0, &other.0);
        ((a[0] ^ b[0]) | (a[1] ^ b[1]) | (a[2] ^ b[2]) | (a[3] ^ b[3]) | (a[4] ^ b[4])) == 0
    }
}

impl Hash for FlowKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        for w in self.0 {
            state.write_u64(w);
        }
    }
}

/// An endpoint as (address as IPv6 bits, port and family in 17 bits).
fn endpoint(a: &SocketAddr) -> (u128, u64) {
    match a {
        SocketAddr::V4(v4) => (u128::from(u32::from(*v4.ip())), u64::from(v4.port())),
        SocketAddr::V6(v6) => (u128::from(*v6.ip()), u64::from(v6.port()) | 1 << 16),
    }
}

impl FlowKey {
    pub(super) fn new(transport: Transport, src: &SocketAddr, dst: &SocketAddr) -> Self {
        let (s, d) = (endpoint(src), endpoint(dst));
        let t = match transport {
            Transport::Udp => 0,
            Transport::Tcp => 1,
        };
        FlowKey([(s.0 >> 64) as u64, s.0 as u64, (d.0 >> 64) as u64, d.0 as u64, s.1 << 32 | d.1 << 8 | t])
    }

    /// The same flow the other way.
    fn reversed(self) -> Self {
        let [s_hi, s_lo, d_hi, d_lo, ports] = self.0;
        let (s_port, d_port, t) = (ports >> 32, (ports >> 8) & 0x1_ffff, ports & 0xff);
        FlowKey([d_hi, d_lo, s_hi, s_lo, d_port << 32 | s_port << 8 | t])
    }
}

/// Bound on remembered endpoint pairs (about 6 MB of table); past it the table starts afresh
/// under a new epoch, keeping the pairs that carried STUN (renumbered) when they are fewer than
/// half of it: a capture with a million flows decodes in bounded memory, and ChannelData is
/// still recognised on the flows where STUN was seen.
pub const MAX_PAIRS: usize = 1 << 15;

/// The flows seen so far. Each direction is looked up on its own (a packet's key needs no
/// ordering of its endpoints); the two directions of a pair get numbers `2p` and `2p + 1`.
#[derive(Debug)]
pub struct FlowTable {
    index: HashMap<FlowKey, u32, FxBuild>,
    /// Per pair: whether STUN was seen on it (ChannelData is recognised only there).
    stun_seen: Vec<bool>,
    epoch: u32,
    /// Two flows looked up lately, with their numbers (`u32::MAX`: none): a request and its
    /// response, or the two ways of a call, follow each other. A miss replaces the older.
    recent: [(FlowKey, u32); 2],
    older: usize,
}

impl Default for FlowTable {
    fn default() -> Self {
        FlowTable {
            index: HashMap::default(),
            stun_seen: Vec::new(),
            epoch: 0,
            recent: [(FlowKey([0; 5]), u32::MAX); 2],
            older: 0,
        }
    }
}

impl FlowTable {
    /// The flow of a packet from `src` to `dst`.
    pub fn id(&mut self, transport: Transport, src: SocketAddr, dst: SocketAddr) -> FlowId {
        let key = FlowKey::new(transport, &src, &dst);
        let directed = if self.recent[0].1 != u32::MAX && self.recent[0].0 == key {
            self.recent[0].1
        } else if self.recent[1].1 != u32::MAX && self.recent[1].0 == key {
            self.recent[1].1
        } else {
            let epoch = self.epoch;
            let directed = match self.index.get(&key) {
                Some(&directed) => directed,
                None => self.insert(key),
            };
            if self.epoch != epoch {
                // A new epoch forgot the older flows.
                self.recent[1 - self.older].1 = u32::MAX;
            }
            self.recent[self.older] = (key, directed);
            self.older = 1 - self.older;
            directed
        };
        FlowId { epoch: self.epoch, directed }
    }

    fn insert(&mut self, key: FlowKey) -> u32 {
        if self.stun_seen.len() >= MAX_PAIRS {
            self.start_afresh();
        }
        let directed = match self.index.get(&key.reversed()) {
            // The other direction was seen: this one is its partner (itself when both ends
            // are the same endpoint).
            Some(&other) if key.reversed() == key => other,
            Some(&other) => other ^ 1,
            None => {
                let pair = self.stun_seen.len() as u32;
                self.stun_seen.push(false);
                2 * pair
            }
        };
        self.index.insert(key, directed);
        directed
    }

    /// A new epoch: forget the pairs that carried no STUN, and every pair when the STUN ones
    /// alone would fill half the table.
    fn start_afresh(&mut self) {
        self.epoch = self.epoch.wrapping_add(1) % (u32::MAX - 1);
        let seen = std::mem::take(&mut self.stun_seen);
        let old = std::mem::take(&mut self.index);
        if seen.iter().filter(|s| **s).count() >= MAX_PAIRS / 2 {
            return;
        }
        // Old pair number → new, u32::MAX until given.
        let mut renumbered = vec![u32::MAX; seen.len()];
        for (key, directed) in old {
            let pair = (directed / 2) as usize;
            if !seen.get(pair).copied().unwrap_or(false) {
                continue;
            }
            if renumbered[pair] == u32::MAX {
                renumbered[pair] = self.stun_seen.len() as u32;
                self.stun_seen.push(true);
            }
            self.index.insert(key, 2 * renumbered[pair] + directed % 2);
        }
    }

    /// Remember that STUN was seen on the flow.
    pub fn mark_stun(&mut self, flow: FlowId) {
        if flow.epoch == self.epoch {
            if let Some(seen) = self.stun_seen.get_mut(flow.pair() as usize) {
                *seen = true;
            }
        }
    }

    /// Whether STUN was seen on the flow, either way.
    pub fn stun_seen(&self, flow: FlowId) -> bool {
        flow.epoch == self.epoch && self.stun_seen.get(flow.pair() as usize).copied().unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sa(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn flows_are_numbered_by_pair_and_direction() {
        let mut t = FlowTable::default();
        let (a, b, c) = (sa("10.0.0.1:5000"), sa("10.0.0.2:3478"), sa("[::ffff:10.0.0.1]:5000"));
        let ab = t.id(Transport::Udp, a, b);
        let ba = t.id(Transport::Udp, b, a);
        assert_eq!(ab.pair(), ba.pair());
        assert_ne!(ab.directed, ba.directed);
        assert_eq!(t.id(Transport::Udp, a, b), ab, "the same flow keeps its number");
        let tcp = t.id(Transport::Tcp, a, b);
        assert_ne!(tcp.pair(), ab.pair(), "TCP is another flow");
        let mapped = t.id(Transport::Udp, c, b);
        assert_ne!(mapped.pair(), ab.pair(), "an IPv4-mapped IPv6 address is not the IPv4 address");
        let port = t.id(Transport::Udp, sa("10.0.0.1:5001"), b);
        assert_ne!(port.pair(), ab.pair());
        assert!(!t.stun_seen(ab));
        t.mark_stun(ba);
        assert!(t.stun_seen(ab) && t.stun_seen(ba), "STUN seen either way marks the pair");
        assert!(!t.stun_seen(tcp) && !t.stun_seen(FlowId::NONE));
        let same = t.id(Transport::Udp, a, a);
        assert_eq!(t.id(Transport::Udp, a, a), same, "a flow from an endpoint to itself");
        for (src, dst) in [(a, b), (b, a), (c, b), (b, c)] {
            let key = FlowKey::new(Transport::Tcp, &src, &dst);
            assert_eq!(key.reversed(), FlowKey::new(Transport::Tcp, &dst, &src));
            assert_eq!(key.reversed().reversed(), key);
        }
    }

    /// Through the cache of recent flows or the table, a flow always gets the same number
    /// and its two ways the two numbers of one pair.
    #[test]
    fn numbers_are_stable_in_any_order_of_lookups() {
        let mut t = FlowTable::default();
        let ends: Vec<SocketAddr> =
            (0..6).map(|i| SocketAddr::from(([10, 0, 0, i], 5000 + u16::from(i)))).collect();
        let mut known = std::collections::HashMap::new();
        let mut x = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..5000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let (src, dst) = (ends[(x % 6) as usize], ends[((x >> 8) % 6) as usize]);
            let transport = if x >> 16 & 1 == 0 { Transport::Udp } else { Transport::Tcp };
            let id = t.id(transport, src, dst);
            assert_eq!(*known.entry((transport, src, dst)).or_insert(id), id);
            if let Some(back) = known.get(&(transport, dst, src)) {
                assert_eq!(back.pair(), id.pair());
                assert!(src == dst || back.directed != id.directed);
            }
        }
    }

    #[test]
    fn the_table_starts_afresh_under_a_new_epoch_past_its_bound() {
        let mut t = FlowTable::default();
        let first = t.id(Transport::Udp, sa("10.0.0.1:1"), sa("10.0.0.2:2"));
        t.mark_stun(first);
        for i in 0..MAX_PAIRS as u32 {
            let src = SocketAddr::from((std::net::Ipv4Addr::from(0x0b00_0000 + i), 7));
            t.id(Transport::Udp, src, sa("10.0.0.2:2"));
        }
        assert!(t.stun_seen.len() <= MAX_PAIRS && t.index.len() <= 2 * MAX_PAIRS);
        assert!(!t.stun_seen(first), "an old epoch's number is not taken for a new flow's");
        assert_eq!(t.recent.iter().filter(|r| r.1 != u32::MAX).count(), 1, "the old epoch's are forgotten");
        let again = t.id(Transport::Udp, sa("10.0.0.1:1"), sa("10.0.0.2:2"));
        assert_ne!(again.epoch, first.epoch);
        assert!(t.stun_seen(again), "a pair that carried STUN is kept across epochs");
        let back = t.id(Transport::Udp, sa("10.0.0.2:2"), sa("10.0.0.1:1"));
        assert_eq!(back.pair(), again.pair(), "with both its directions");
        assert_ne!(back.directed, again.directed);
        assert!(t.index.len() < MAX_PAIRS, "the others are forgotten");
    }
}
