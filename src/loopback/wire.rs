//! What crossed the wire during ICE: every connectivity check (a STUN Binding request with
//! PRIORITY) a peer connection's UDP sockets sent or received, and the answers, seen through a
//! tap on the sockets webrtc-rs sends on. webrtc-rs 0.21 reports only the selected candidate
//! pair in its statistics, and no peer-reflexive candidates; the tap is how a failed call can
//! still say which checks went where and what came back.
//!
//! The tap looks at the first bytes of each datagram (STUN's leading zero bits and magic cookie)
//! and records only STUN checks and their answers, in fixed bounds: at most [`MAX_ADDRESSES`]
//! addresses each way and [`MAX_OUTSTANDING`] unanswered transactions (the oldest forgotten).

use std::collections::VecDeque;
use std::fmt;
use std::io::{self, IoSliceMut};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Instant;

use serde::{Deserialize, Serialize};
use webrtc::runtime::{AsyncUdpSocket, RecvMeta, Transmit};

use crate::core::stun::{attr, Class, Message, Method, MAGIC_COOKIE};

/// Addresses tracked per direction; more are counted in `others`.
pub const MAX_ADDRESSES: usize = 32;
/// Sent checks remembered until answered.
pub const MAX_OUTSTANDING: usize = 1024;

/// The checks seen on the wire, shared by every tapped socket of one peer connection.
#[derive(Debug)]
pub struct WireLog {
    origin: Instant,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    sent: Vec<ChecksTo>,
    received: Vec<ChecksFrom>,
    outstanding: VecDeque<([u8; 12], SocketAddr)>,
    others: u64,
}

/// Our checks to one remote address.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChecksTo {
    /// Where they went.
    pub to: SocketAddr,
    /// Binding requests sent (retransmissions included).
    pub requests: u64,
    /// Success responses that came back for them.
    pub responses: u64,
    /// ms (from signing in) of the first request.
    pub first_ms: f64,
    /// ms of the first response, if one came.
    pub first_response_ms: Option<f64>,
    /// Where the first response came from, when not from `to`.
    pub response_from: Option<SocketAddr>,
    /// Our address as the peer saw it (the first response's XOR-MAPPED-ADDRESS).
    pub seen_as: Option<SocketAddr>,
}

/// The peer's checks from one address.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChecksFrom {
    /// Where they came from.
    pub from: SocketAddr,
    /// Binding requests received.
    pub requests: u64,
    /// Success responses we sent back to that address.
    pub answered: u64,
    /// ms (from signing in) of the first.
    pub first_ms: f64,
}

/// The tap's record, as it goes into the call report (and to the peer with it).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WireReport {
    /// Our connectivity checks, by destination.
    pub checks_sent: Vec<ChecksTo>,
    /// The peer's connectivity checks, by source.
    pub checks_received: Vec<ChecksFrom>,
    /// Checks to or from addresses past the [`MAX_ADDRESSES`] bound (counted, not listed).
    pub others: u64,
}

impl WireLog {
    /// A log whose times are ms from `origin`.
    pub fn new(origin: Instant) -> Arc<WireLog> {
        Arc::new(WireLog { origin, inner: Mutex::new(Inner::default()) })
    }

    fn ms(&self) -> f64 {
        (self.origin.elapsed().as_secs_f64() * 1e6).round() / 1e3
    }

    /// What was seen so far.
    pub fn report(&self) -> WireReport {
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        WireReport {
            checks_sent: inner.sent.clone(),
            checks_received: inner.received.clone(),
            others: inner.others,
        }
    }

    /// A datagram we sent to `to`.
    pub fn sent(&self, datagram: &[u8], to: SocketAddr) {
        let Some(msg) = check_or_answer(datagram) else { return };
        let ms = self.ms();
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        match msg.class() {
            Class::Request => {
                let i = match inner.sent.iter().position(|c| c.to == to) {
                    Some(i) => i,
                    None if inner.sent.len() < MAX_ADDRESSES => {
                        inner.sent.push(ChecksTo {
                            to,
                            requests: 0,
                            responses: 0,
                            first_ms: ms,
                            first_response_ms: None,
                            response_from: None,
                            seen_as: None,
                        });
                        inner.sent.len() - 1
                    }
                    None => {
                        inner.others += 1;
                        return;
                    }
                };
                inner.sent[i].requests += 1;
                if inner.outstanding.len() == MAX_OUTSTANDING {
                    inner.outstanding.pop_front();
                }
                inner.outstanding.push_back((msg.transaction_id(), to));
            }
            Class::SuccessResponse => {
                if let Some(c) = inner.received.iter_mut().find(|c| c.from == to) {
                    c.answered += 1;
                }
            }
            _ => {}
        }
    }

    /// A datagram that came from `from`.
    pub fn received(&self, datagram: &[u8], from: SocketAddr) {
        let Some(msg) = check_or_answer(datagram) else { return };
        let ms = self.ms();
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        match msg.class() {
            Class::Request => match inner.received.iter().position(|c| c.from == from) {
                Some(i) => inner.received[i].requests += 1,
                None if inner.received.len() < MAX_ADDRESSES => {
                    inner.received.push(ChecksFrom { from, requests: 1, answered: 0, first_ms: ms })
                }
                None => inner.others += 1,
            },
            Class::SuccessResponse => {
                let txid = msg.transaction_id();
                let Some(k) = inner.outstanding.iter().position(|(t, _)| *t == txid) else { return };
                let (_, to) = inner.outstanding.remove(k).expect("position is in range");
                let seen_as = msg.mapped_address();
                if let Some(c) = inner.sent.iter_mut().find(|c| c.to == to) {
                    c.responses += 1;
                    if c.first_response_ms.is_none() {
                        c.first_response_ms = Some(ms);
                        c.response_from = (from != to).then_some(from);
                        c.seen_as = seen_as;
                    }
                }
            }
            _ => {}
        }
    }
}

/// A Binding request that is a connectivity check (it carries PRIORITY: a STUN server's
/// Binding request from gathering does not), or a Binding success response; None otherwise.
/// Media and DTLS are turned away by the first byte and the magic cookie.
fn check_or_answer(datagram: &[u8]) -> Option<Message<&[u8]>> {
    if datagram.len() < 20 || datagram[0] & 0xc0 != 0 || datagram[4..8] != MAGIC_COOKIE.to_be_bytes() {
        return None;
    }
    let msg = Message::new_checked(datagram).ok()?;
    if msg.method() != Method::BINDING {
        return None;
    }
    match msg.class() {
        Class::Request if msg.attribute(attr::PRIORITY).is_some() => Some(msg),
        Class::SuccessResponse => Some(msg),
        _ => None,
    }
}

/// A UDP socket whose datagrams the [`WireLog`] sees on their way.
pub struct Tapped {
    inner: Arc<dyn AsyncUdpSocket>,
    log: Arc<WireLog>,
}

impl Tapped {
    /// `inner`, tapped into `log`.
    pub fn new(inner: Arc<dyn AsyncUdpSocket>, log: Arc<WireLog>) -> Tapped {
        Tapped { inner, log }
    }
}

impl fmt::Debug for Tapped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tapped").field("inner", &self.inner).finish_non_exhaustive()
    }
}

impl AsyncUdpSocket for Tapped {
    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }

    fn poll_send(&self, cx: &mut Context<'_>, transmit: &Transmit<'_>) -> Poll<io::Result<usize>> {
        let polled = self.inner.poll_send(cx, transmit);
        if let Poll::Ready(Ok(_)) = polled {
            let step = transmit.segment_size.unwrap_or(transmit.contents.len()).max(1);
            for datagram in transmit.contents.chunks(step) {
                self.log.sent(datagram, transmit.destination);
            }
        }
        polled
    }

    fn poll_recv(
        &self,
        cx: &mut Context<'_>,
        bufs: &mut [IoSliceMut<'_>],
        meta: &mut [RecvMeta],
    ) -> Poll<io::Result<usize>> {
        let polled = self.inner.poll_recv(cx, bufs, meta);
        if let Poll::Ready(Ok(n)) = polled {
            for (buf, m) in bufs.iter().zip(meta.iter()).take(n) {
                let filled = &buf[..m.len.min(buf.len())];
                for datagram in filled.chunks(m.stride.max(1)) {
                    self.log.received(datagram, m.addr);
                }
            }
        }
        polled
    }

    fn max_gso_segments(&self) -> usize {
        self.inner.max_gso_segments()
    }

    fn max_gro_segments(&self) -> usize {
        self.inner.max_gro_segments()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::stun::MessageBuilder;

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    fn check(txid: [u8; 12]) -> Vec<u8> {
        let mut b = MessageBuilder::new(Class::Request, Method::BINDING, txid);
        b.u32(attr::PRIORITY, 1_853_824_767);
        b.finish()
    }

    fn answer(txid: [u8; 12], mapped: SocketAddr) -> Vec<u8> {
        let mut b = MessageBuilder::new(Class::SuccessResponse, Method::BINDING, txid);
        b.xor_address(attr::XOR_MAPPED_ADDRESS, mapped);
        b.finish()
    }

    #[test]
    fn checks_are_counted_per_address_and_matched_to_their_answers() {
        let log = WireLog::new(Instant::now());
        let (peer, other) = (addr("198.51.100.7:40000"), addr("198.51.100.7:40001"));
        log.sent(&check([1; 12]), peer);
        log.sent(&check([2; 12]), peer);
        log.sent(&check([3; 12]), other);
        // The answer to the second comes from another port; the third is never answered.
        log.received(&answer([2; 12], addr("203.0.113.5:5000")), addr("198.51.100.7:40002"));
        // The peer's own check, and our answer to it.
        log.received(&check([9; 12]), addr("198.51.100.7:41000"));
        log.sent(&answer([9; 12], addr("198.51.100.7:41000")), addr("198.51.100.7:41000"));
        let r = log.report();
        assert_eq!(r.checks_sent.len(), 2);
        let to_peer = &r.checks_sent[0];
        assert_eq!((to_peer.to, to_peer.requests, to_peer.responses), (peer, 2, 1));
        assert_eq!(to_peer.response_from, Some(addr("198.51.100.7:40002")));
        assert_eq!(to_peer.seen_as, Some(addr("203.0.113.5:5000")));
        assert_eq!((r.checks_sent[1].requests, r.checks_sent[1].responses), (1, 0));
        assert_eq!(r.checks_received.len(), 1);
        assert_eq!((r.checks_received[0].requests, r.checks_received[0].answered), (1, 1));
    }

    #[test]
    fn gathering_requests_media_and_garbage_are_not_checks() {
        let log = WireLog::new(Instant::now());
        let server = addr("203.0.113.10:3478");
        // A Binding request without PRIORITY (gathering), an RTP packet, a short datagram,
        // and a STUN header whose length runs past the datagram.
        log.sent(&MessageBuilder::new(Class::Request, Method::BINDING, [4; 12]).finish(), server);
        log.sent(&[0x80, 0x60, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8], server);
        log.received(&[0, 1, 0], server);
        let mut long = check([5; 12]);
        long[3] = 200;
        log.received(&long, server);
        // An answer to nothing we asked.
        log.received(&answer([6; 12], server), server);
        assert_eq!(log.report(), WireReport::default());
    }

    #[test]
    fn addresses_and_outstanding_transactions_stay_bounded() {
        let log = WireLog::new(Instant::now());
        for i in 0..(MAX_ADDRESSES as u16 + 10) {
            let to = SocketAddr::from(([198, 51, 100, 1], 10_000 + i));
            log.sent(&check([i as u8; 12]), to);
            log.received(&check([i as u8; 12]), to);
        }
        for i in 0..(MAX_OUTSTANDING as u32 + 100) {
            let mut txid = [0u8; 12];
            txid[..4].copy_from_slice(&i.to_be_bytes());
            log.sent(&check(txid), SocketAddr::from(([198, 51, 100, 1], 10_000)));
        }
        let r = log.report();
        assert_eq!(
            (r.checks_sent.len(), r.checks_received.len(), r.others),
            (MAX_ADDRESSES, MAX_ADDRESSES, 20)
        );
        assert_eq!(log.inner.lock().unwrap().outstanding.len(), MAX_OUTSTANDING);
    }
}
