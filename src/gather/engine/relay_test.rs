//! The relay test: an allocation that works is not yet a relay that relays. Once allocated,
//! the probe binds a channel to an address of our own the relay can reach (our mapped address
//! on the UDP socket of the same interface) and sends two probes, retransmitted until answered:
//!
//! * **inbound**: a plain datagram from our UDP socket to the relayed address, which the
//!   server must hand back to us over the TURN connection (ChannelData, or a Data indication
//!   when it arrives from another port of ours than the channel's);
//! * **outbound**: data through the TURN connection to the peer address the server saw the
//!   inbound probe come from (our mapped address until then), which must arrive at our UDP
//!   socket as a plain datagram from the relayed address.
//!
//! The inbound leg goes first because it also opens our own NAT's filter towards the relayed
//! address; sending the outbound probe to the address the relay actually saw makes the test
//! independent of how our NAT maps (a symmetric NAT gives another port towards the relay than
//! towards the server). Both legs are one round trip between us and the server: the outbound
//! one is the relay RTT beside the STUN RTT. This file is the test's own state, sans-IO; the
//! gatherer glue is in `relay.rs`.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::Via;

/// What every relay test datagram starts with (its first byte, `R`, is neither STUN nor
/// ChannelData by RFC 7983's demultiplexing).
pub(super) const MAGIC: &[u8] = b"RTCTOOL-RELAY-TEST";
const TOKEN_LEN: usize = 12;
const PROBE_LEN: usize = MAGIC.len() + TOKEN_LEN + 1 + 4;
const INBOUND: u8 = b'i';
const OUTBOUND: u8 = b'o';

/// The longest the relay test waits after the allocation (or the gathering timeout, when that
/// is shorter).
pub const RELAY_TEST_BUDGET: Duration = Duration::from_secs(2);

/// One leg of the test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Leg {
    Inbound,
    Outbound,
}

/// A datagram for the caller to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Outgoing {
    /// A plain datagram from our UDP socket to the relayed address (the inbound probe).
    Raw { via: Via, to: SocketAddr, bytes: Vec<u8> },
    /// Data for the TURN client to frame and send to `peer` (the outbound probe).
    Relayed { peer: SocketAddr, bytes: Vec<u8> },
}

/// A leg that arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Arrival {
    pub leg: Leg,
    /// Time from the send of the probe that arrived to its arrival.
    pub rtt: Duration,
    /// Where it came from: for the inbound leg, our address as the relay saw it; for the
    /// outbound leg, the relay's address as our socket saw it.
    pub from: SocketAddr,
    /// The ChannelData channel it came on (inbound leg only; `None`: a Data indication).
    pub channel: Option<u16>,
}

/// The state of one relay test.
#[derive(Debug)]
pub(super) struct RelayTest {
    token: [u8; TOKEN_LEN],
    /// Our UDP socket that plays the peer.
    pub peer_via: Via,
    /// The address of that socket the relay is told about (the channel's peer).
    pub peer: SocketAddr,
    /// The allocation's relayed address.
    pub relayed: SocketAddr,
    /// Where outbound probes go: `peer` until the inbound leg shows the address the relay sees.
    target: SocketAddr,
    /// Whether sending has started (after the ChannelBind).
    started: Option<Instant>,
    pub until: Instant,
    next_send: Option<Instant>,
    interval: Duration,
    /// Send instant of every probe so far, by sequence number (a handful: bounded by the
    /// retransmission schedule).
    sent: Vec<Instant>,
    pub inbound: Option<Arrival>,
    pub outbound: Option<Arrival>,
    queue: VecDeque<Outgoing>,
}

impl RelayTest {
    pub fn new(
        token: [u8; TOKEN_LEN],
        peer_via: Via,
        peer: SocketAddr,
        relayed: SocketAddr,
        rto: Duration,
        until: Instant,
    ) -> Self {
        RelayTest {
            token,
            peer_via,
            peer,
            relayed,
            target: peer,
            started: None,
            until,
            next_send: None,
            interval: rto.max(Duration::from_millis(10)),
            sent: Vec::new(),
            inbound: None,
            outbound: None,
            queue: VecDeque::new(),
        }
    }

    /// Start sending probes (the channel is bound, or the permission installed).
    pub fn start(&mut self, now: Instant) {
        if self.started.is_none() {
            self.started = Some(now);
            self.send(now);
        }
    }

    /// Whether both legs arrived.
    pub fn passed(&self) -> bool {
        self.inbound.is_some() && self.outbound.is_some()
    }

    /// Whether the test is over: passed, or out of time.
    pub fn is_over(&self, now: Instant) -> bool {
        self.passed() || now >= self.until
    }

    /// When [`RelayTest::handle_timeout`] is needed.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.passed() {
            return None;
        }
        Some(self.next_send.map_or(self.until, |t| t.min(self.until)))
    }

    /// Let time pass: probes not yet answered are sent again.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.passed() || now >= self.until {
            return;
        }
        if self.next_send.is_some_and(|t| now >= t) {
            self.send(now);
        }
    }

    /// The next datagram to send.
    pub fn poll_outgoing(&mut self) -> Option<Outgoing> {
        self.queue.pop_front()
    }

    fn send(&mut self, now: Instant) {
        let seq = self.sent.len() as u32;
        self.sent.push(now);
        // Inbound first: it opens our NAT's filter for the relay's answer.
        if self.inbound.is_none() {
            let bytes = self.probe(INBOUND, seq);
            self.queue.push_back(Outgoing::Raw { via: self.peer_via, to: self.relayed, bytes });
        }
        if self.outbound.is_none() {
            let bytes = self.probe(OUTBOUND, seq);
            self.queue.push_back(Outgoing::Relayed { peer: self.target, bytes });
        }
        self.next_send = Some(now + self.interval);
        self.interval *= 2;
    }

    fn probe(&self, leg: u8, seq: u32) -> Vec<u8> {
        let mut b = Vec::with_capacity(PROBE_LEN);
        b.extend_from_slice(MAGIC);
        b.extend_from_slice(&self.token);
        b.push(leg);
        b.extend_from_slice(&seq.to_be_bytes());
        b
    }

    /// Whether these bytes are one of this test's probes (of either leg).
    pub fn is_ours(&self, bytes: &[u8]) -> bool {
        bytes.len() == PROBE_LEN
            && bytes.starts_with(MAGIC)
            && bytes[MAGIC.len()..MAGIC.len() + TOKEN_LEN] == self.token
    }

    /// A probe came back: `from` and `channel` as [`Arrival`] has them. Returns the arrival
    /// when it completes a leg (the first of each leg counts).
    /// A probe of leg `leg` arrives as that leg's probes do: inbound ones through the server,
    /// outbound ones at our socket; one of the other leg here is not an arrival.
    pub fn handle_probe(
        &mut self,
        bytes: &[u8],
        leg: Leg,
        from: SocketAddr,
        channel: Option<u16>,
        now: Instant,
    ) -> Option<Arrival> {
        if !self.is_ours(bytes) {
            return None;
        }
        let expected = match leg {
            Leg::Inbound => INBOUND,
            Leg::Outbound => OUTBOUND,
        };
        if bytes[MAGIC.len() + TOKEN_LEN] != expected {
            return None;
        }
        let seq = &bytes[MAGIC.len() + TOKEN_LEN + 1..];
        let seq = u32::from_be_bytes([seq[0], seq[1], seq[2], seq[3]]) as usize;
        let sent = *self.sent.get(seq)?;
        let arrival = Arrival { leg, rtt: now.saturating_duration_since(sent), from, channel };
        match leg {
            Leg::Inbound if self.inbound.is_none() => {
                self.inbound = Some(arrival);
                // Later outbound probes go where the relay saw us.
                self.target = from;
                if self.outbound.is_none() {
                    // Try that address at once rather than at the next retransmission.
                    let bytes = self.probe(OUTBOUND, seq as u32);
                    self.queue.push_back(Outgoing::Relayed { peer: from, bytes });
                }
            }
            Leg::Outbound if self.outbound.is_none() => self.outbound = Some(arrival),
            _ => return None,
        }
        Some(arrival)
    }

    /// Where outbound probes go now.
    pub fn target(&self) -> SocketAddr {
        self.target
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn test(now: Instant) -> RelayTest {
        let peer: SocketAddr = "192.0.2.1:5000".parse().unwrap();
        let relayed: SocketAddr = "198.51.100.7:50000".parse().unwrap();
        RelayTest::new(
            [7; 12],
            Via::Udp(crate::gather::engine::SocketId(0)),
            peer,
            relayed,
            Duration::from_millis(100),
            now + Duration::from_secs(1),
        )
    }

    fn drain(t: &mut RelayTest) -> Vec<Outgoing> {
        std::iter::from_fn(|| t.poll_outgoing()).collect()
    }

    #[test]
    fn both_legs_then_passed() {
        let t0 = Instant::now();
        let mut t = test(t0);
        assert!(drain(&mut t).is_empty(), "nothing before start");
        t.start(t0);
        let out = drain(&mut t);
        assert_eq!(out.len(), 2);
        let Outgoing::Raw { to, bytes: inbound, .. } = &out[0] else { panic!("{out:?}") };
        assert_eq!(*to, t.relayed);
        let Outgoing::Relayed { peer, bytes: outbound } = &out[1] else { panic!("{out:?}") };
        assert_eq!(*peer, t.peer);
        // The relay saw us from another port (a symmetric NAT): later probes go there.
        let seen: SocketAddr = "192.0.2.1:6000".parse().unwrap();
        let a = t.handle_probe(inbound, Leg::Inbound, seen, None, t0 + Duration::from_millis(30)).unwrap();
        assert_eq!((a.leg, a.rtt, a.channel), (Leg::Inbound, Duration::from_millis(30), None));
        let again = drain(&mut t);
        assert_eq!(again.len(), 1);
        assert!(matches!(&again[0], Outgoing::Relayed { peer, .. } if *peer == seen));
        assert!(t.handle_probe(inbound, Leg::Inbound, seen, None, t0).is_none(), "a duplicate counts once");
        let b =
            t.handle_probe(outbound, Leg::Outbound, t.relayed, None, t0 + Duration::from_millis(40)).unwrap();
        assert_eq!(b.leg, Leg::Outbound);
        assert!(t.passed());
        assert_eq!(t.poll_timeout(), None);
    }

    #[test]
    fn retransmits_with_backoff_until_the_budget() {
        let t0 = Instant::now();
        let mut t = test(t0);
        t.start(t0);
        drain(&mut t);
        assert_eq!(t.poll_timeout(), Some(t0 + Duration::from_millis(100)));
        t.handle_timeout(t0 + Duration::from_millis(100));
        assert_eq!(drain(&mut t).len(), 2);
        assert_eq!(t.poll_timeout(), Some(t0 + Duration::from_millis(300)));
        t.handle_timeout(t0 + Duration::from_millis(300));
        t.handle_timeout(t0 + Duration::from_millis(700));
        assert_eq!(t.poll_timeout(), Some(t0 + Duration::from_secs(1)), "capped by the budget");
        assert!(t.is_over(t0 + Duration::from_secs(1)));
        assert!(!t.passed());
    }

    #[test]
    fn foreign_and_damaged_bytes_are_not_probes() {
        let t0 = Instant::now();
        let mut t = test(t0);
        t.start(t0);
        let out = drain(&mut t);
        let Outgoing::Raw { bytes, .. } = &out[0] else { panic!() };
        let mut other = bytes.clone();
        other[MAGIC.len()] ^= 1;
        let from = t.relayed;
        assert!(t.handle_probe(&other, Leg::Inbound, from, None, t0).is_none(), "another token");
        assert!(t.handle_probe(&bytes[..bytes.len() - 1], Leg::Inbound, from, None, t0).is_none(), "short");
        let mut unsent = bytes.clone();
        let n = unsent.len();
        unsent[n - 1] = 9;
        assert!(t.handle_probe(&unsent, Leg::Inbound, from, None, t0).is_none(), "a sequence never sent");
        assert!(t.handle_probe(bytes, Leg::Outbound, from, None, t0).is_none(), "the other leg's probe");
        assert!(t.handle_probe(bytes, Leg::Inbound, from, None, t0).is_some());
    }
}
