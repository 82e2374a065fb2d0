//! Network impairment: an in-process UDP relay between the two peers that drops, delays and
//! jitters packets.
//!
//! Each peer's candidates are rewritten, on their way to the other peer, to point at a relay
//! socket that stands for the candidate's real address. A packet arriving at the stand-in for
//! `t` from `s` is passed through a [`Link`] (the `s → t` direction's loss and delay) and sent
//! to `t` from the stand-in for `s`, so each peer sees the other at exactly the address it was
//! told. [`Link`] is the decision alone, with time as an argument; [`Relay`] is the socket shell.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

/// What to do to packets, the same in both directions.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Impairment {
    /// Probability of dropping a packet, 0.0 to 1.0.
    pub loss: f64,
    /// Fixed one-way delay added to every packet.
    pub delay: Duration,
    /// Each packet's delay varies uniformly within ± this (never below zero), without
    /// reordering: a packet never overtakes the one before it, as on a single path.
    pub jitter: Duration,
}

impl Impairment {
    /// Whether this does anything at all.
    pub fn is_active(&self) -> bool {
        self.loss > 0.0 || !self.delay.is_zero() || !self.jitter.is_zero()
    }
}

/// A small, fast pseudo-random generator (xorshift64*); impairment needs no cryptography.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// Seeded; 0 is replaced by a fixed odd constant (xorshift must not start at 0).
    pub fn new(seed: u64) -> Self {
        Rng(if seed == 0 { 0x9e37_79b9_7f4a_7c15 } else { seed })
    }

    /// A seed from the clock and the process id, different on every run.
    pub fn seed_from_time() -> u64 {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        nanos ^ (u64::from(std::process::id()) << 32)
    }

    /// Uniform in [0, 1).
    pub fn next_f64(&mut self) -> f64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        (x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// One direction of the relay: decides whether each packet goes and when.
#[derive(Debug, Clone)]
pub struct Link {
    impairment: Impairment,
    rng: Rng,
    last_release: Option<Instant>,
    /// Packets passed on.
    pub forwarded: u64,
    /// Packets dropped.
    pub dropped: u64,
}

impl Link {
    /// A link applying `impairment`, its randomness from `seed`.
    pub fn new(impairment: Impairment, seed: u64) -> Self {
        Link { impairment, rng: Rng::new(seed), last_release: None, forwarded: 0, dropped: 0 }
    }

    /// A packet arrives at `now`: `None` to drop it, or when to send it on.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use rtctool::loopback::impair::{Impairment, Link};
    /// let mut link = Link::new(
    ///     Impairment { loss: 0.0, delay: Duration::from_millis(50), jitter: Duration::ZERO },
    ///     1,
    /// );
    /// let now = Instant::now();
    /// assert_eq!(link.admit(now), Some(now + Duration::from_millis(50)));
    /// ```
    pub fn admit(&mut self, now: Instant) -> Option<Instant> {
        self.admit_with(now, true)
    }

    /// [`Link::admit`], dropping nothing when `lossy` is false (delay and jitter still apply).
    pub fn admit_with(&mut self, now: Instant, lossy: bool) -> Option<Instant> {
        let imp = self.impairment;
        if lossy && imp.loss > 0.0 && self.rng.next_f64() < imp.loss {
            self.dropped += 1;
            return None;
        }
        let mut delay = imp.delay.as_secs_f64();
        if !imp.jitter.is_zero() {
            delay += (self.rng.next_f64() * 2.0 - 1.0) * imp.jitter.as_secs_f64();
        }
        let mut at = now + Duration::from_secs_f64(delay.max(0.0));
        if let Some(last) = self.last_release {
            at = at.max(last);
        }
        self.last_release = Some(at);
        self.forwarded += 1;
        Some(at)
    }
}

/// Counters of the relay, for the report.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct RelayStats {
    /// Packets passed on, both directions.
    pub forwarded: u64,
    /// Packets dropped, both directions.
    pub dropped: u64,
}

impl RelayStats {
    /// Dropped packets in percent of all packets seen.
    pub fn loss_pct(&self) -> f64 {
        let total = self.forwarded + self.dropped;
        if total == 0 {
            0.0
        } else {
            self.dropped as f64 * 100.0 / total as f64
        }
    }
}

struct Shared {
    bind_ip: IpAddr,
    impairment: Impairment,
    seed: AtomicU64,
    /// Real address → the relay socket standing for it.
    stand_ins: Mutex<HashMap<SocketAddr, Arc<UdpSocket>>>,
    /// (from, to) real addresses → the queue of that direction's sender task.
    links: Mutex<HashMap<(SocketAddr, SocketAddr), Arc<LinkQueue>>>,
    forwarded: AtomicU64,
    dropped: AtomicU64,
    /// Whether loss applies now (`--lossless-setup` turns it on once the call is up).
    lossy: AtomicBool,
}

struct LinkQueue {
    link: Mutex<Link>,
    tx: mpsc::UnboundedSender<(Instant, Vec<u8>)>,
}

/// The relay: stand-in sockets on `bind_ip`, created as candidates pass through.
#[derive(Clone)]
pub struct Relay {
    shared: Arc<Shared>,
}

impl Relay {
    /// A relay binding its sockets on `bind_ip` (a loopback address).
    pub fn new(bind_ip: IpAddr, impairment: Impairment, seed: u64) -> Self {
        Relay {
            shared: Arc::new(Shared {
                bind_ip,
                impairment,
                seed: AtomicU64::new(seed),
                stand_ins: Mutex::new(HashMap::new()),
                links: Mutex::new(HashMap::new()),
                forwarded: AtomicU64::new(0),
                dropped: AtomicU64::new(0),
                lossy: AtomicBool::new(true),
            }),
        }
    }

    /// Drop packets (as the impairment says) or not; delay and jitter apply either way.
    pub fn set_lossy(&self, lossy: bool) {
        self.shared.lossy.store(lossy, Ordering::Relaxed);
    }

    /// The relay address standing for `real`, bound (and its receive task started) on first use.
    pub fn stand_in_for(&self, real: SocketAddr) -> std::io::Result<SocketAddr> {
        self.socket_for(real)?.local_addr()
    }

    /// Counters so far.
    pub fn stats(&self) -> RelayStats {
        RelayStats {
            forwarded: self.shared.forwarded.load(Ordering::Relaxed),
            dropped: self.shared.dropped.load(Ordering::Relaxed),
        }
    }

    fn socket_for(&self, real: SocketAddr) -> std::io::Result<Arc<UdpSocket>> {
        let mut map = lock(&self.shared.stand_ins);
        if let Some(socket) = map.get(&real) {
            return Ok(socket.clone());
        }
        let std_socket = std::net::UdpSocket::bind(SocketAddr::new(self.shared.bind_ip, 0))?;
        std_socket.set_nonblocking(true)?;
        let socket = Arc::new(UdpSocket::from_std(std_socket)?);
        map.insert(real, socket.clone());
        drop(map);
        let relay = self.clone();
        let rx_socket = socket.clone();
        tokio::spawn(async move { relay.receive_loop(rx_socket, real).await });
        Ok(socket)
    }

    /// Packets for `target` arrive on its stand-in `socket`.
    async fn receive_loop(self, socket: Arc<UdpSocket>, target: SocketAddr) {
        let mut buf = vec![0u8; 65_536];
        loop {
            let (n, from) = match socket.recv_from(&mut buf).await {
                Ok(x) => x,
                // ICMP errors surface as receive errors on some systems; the socket lives on.
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => continue,
                Err(_) => return,
            };
            let Ok(queue) = self.link_for(from, target) else { continue };
            let lossy = self.shared.lossy.load(Ordering::Relaxed);
            let release = match queue.link.lock() {
                Ok(mut link) => link.admit_with(Instant::now(), lossy),
                Err(_) => return,
            };
            match release {
                Some(at) => {
                    self.shared.forwarded.fetch_add(1, Ordering::Relaxed);
                    let _ = queue.tx.send((at, buf[..n].to_vec()));
                }
                None => {
                    self.shared.dropped.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    }

    /// The queue for `from → to`, with its sender task (sending from `from`'s stand-in).
    fn link_for(&self, from: SocketAddr, to: SocketAddr) -> std::io::Result<Arc<LinkQueue>> {
        if let Some(q) = lock(&self.shared.links).get(&(from, to)) {
            return Ok(q.clone());
        }
        let out_socket = self.socket_for(from)?;
        let (tx, mut rx) = mpsc::unbounded_channel::<(Instant, Vec<u8>)>();
        let seed = self.shared.seed.fetch_add(0x9e37_79b9_7f4a_7c15, Ordering::Relaxed);
        let queue = Arc::new(LinkQueue { link: Mutex::new(Link::new(self.shared.impairment, seed)), tx });
        lock(&self.shared.links).insert((from, to), queue.clone());
        tokio::spawn(async move {
            // Release times only grow within a link, so a FIFO is a correct schedule.
            while let Some((at, bytes)) = rx.recv().await {
                tokio::time::sleep_until(at.into()).await;
                let _ = out_socket.send_to(&bytes, to).await;
            }
        });
        Ok(queue)
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loss_is_close_to_the_probability() {
        let mut link = Link::new(Impairment { loss: 0.2, delay: Duration::ZERO, jitter: Duration::ZERO }, 42);
        let now = Instant::now();
        for _ in 0..10_000 {
            link.admit(now);
        }
        // 10 000 trials at p = 0.2: sd 40; 6 sd either side.
        assert!((1760..=2240).contains(&link.dropped), "{}", link.dropped);
        assert_eq!(link.dropped + link.forwarded, 10_000);
        // Not lossy (--lossless-setup before the call is up): nothing dropped.
        let dropped = link.dropped;
        for _ in 0..1000 {
            assert!(link.admit_with(now, false).is_some());
        }
        assert_eq!(link.dropped, dropped);
    }

    #[test]
    fn jitter_stays_in_bounds_and_never_reorders() {
        let imp =
            Impairment { loss: 0.0, delay: Duration::from_millis(30), jitter: Duration::from_millis(10) };
        let mut link = Link::new(imp, 7);
        let t0 = Instant::now();
        let mut last = t0;
        let mut spread = (Duration::MAX, Duration::ZERO);
        for i in 0..2000u64 {
            let now = t0 + Duration::from_millis(i * 5);
            let at = link.admit(now).unwrap();
            assert!(at >= last, "reordered at {i}");
            last = at;
            let d = at - now;
            spread = (spread.0.min(d), spread.1.max(d));
            assert!(d >= Duration::from_millis(20) - Duration::from_micros(1), "{d:?}");
        }
        assert!(spread.1 - spread.0 > Duration::from_millis(10), "{spread:?}");
    }

    #[test]
    fn rng_is_uniform_enough() {
        let mut r = Rng::new(0);
        let mut buckets = [0u32; 10];
        for _ in 0..100_000 {
            let x = r.next_f64();
            assert!((0.0..1.0).contains(&x));
            buckets[(x * 10.0) as usize] += 1;
        }
        assert!(buckets.iter().all(|&b| (9_000..11_000).contains(&b)), "{buckets:?}");
    }

    #[tokio::test]
    async fn relay_forwards_both_ways_from_the_right_stand_ins() {
        let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let (a_addr, b_addr) = (a.local_addr().unwrap(), b.local_addr().unwrap());
        let relay = Relay::new(
            "127.0.0.1".parse().unwrap(),
            Impairment { loss: 0.0, delay: Duration::from_millis(5), jitter: Duration::ZERO },
            1,
        );
        let b_for_a = relay.stand_in_for(b_addr).unwrap();
        let a_for_b = relay.stand_in_for(a_addr).unwrap();
        a.send_to(b"ping", b_for_a).await.unwrap();
        let mut buf = [0u8; 16];
        let (n, from) =
            tokio::time::timeout(Duration::from_secs(2), b.recv_from(&mut buf)).await.unwrap().unwrap();
        assert_eq!((&buf[..n], from), (&b"ping"[..], a_for_b));
        b.send_to(b"pong", from).await.unwrap();
        let (n, from) =
            tokio::time::timeout(Duration::from_secs(2), a.recv_from(&mut buf)).await.unwrap().unwrap();
        assert_eq!((&buf[..n], from), (&b"pong"[..], b_for_a));
        assert_eq!(relay.stats().forwarded, 2);
    }
}
