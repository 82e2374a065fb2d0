//! The thin shell around [`NatDiscovery`]: resolve the servers, bind the sockets, move
//! datagrams and time in and out. Plain `std::net`: one receiving thread per socket feeding a
//! channel, the main thread sending and waiting on the channel with the machine's deadline.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use super::discovery::{Config, Locals, NatDiscovery, Progress, Socket};
use super::lifetime::{Lifetime, LifetimeConfig, LifetimeProgress, LifetimeSearch};
use crate::core::ice::{url::parse_server, Scheme};
use crate::core::transact::TransactionId;
use crate::core::udp::{receive_until, Received};
use crate::{Error, Result};

/// The default STUN port.
pub const DEFAULT_PORT: u16 = 3478;

/// Which address family to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// IPv4.
    V4,
    /// IPv6.
    V6,
}

impl Family {
    fn matches(self, addr: &SocketAddr) -> bool {
        match self {
            Family::V4 => addr.is_ipv4(),
            Family::V6 => addr.is_ipv6(),
        }
    }
}

/// What `nat-type` was asked to do.
#[derive(Debug, Clone)]
pub struct Options {
    /// `HOST[:PORT]`, `[V6]:PORT` or `stun:HOST[:PORT]`.
    pub server: String,
    /// A second server, same syntax.
    pub server2: Option<String>,
    /// Where to bind the mapping socket.
    pub local: Option<SocketAddr>,
    /// Address family.
    pub family: Option<Family>,
    /// How long to wait for the first answer (and for DNS).
    pub timeout: Duration,
    /// Test hairpinning.
    pub hairpin: bool,
    /// SOFTWARE for requests.
    pub software: Option<String>,
}

/// Split `HOST[:PORT]`, `[V6]:PORT`, a bare IPv6 address or a `stun:` URI into host and port
/// (through [`parse_server`], the one server-spec reader).
pub fn split_server(spec: &str) -> std::result::Result<(String, u16), String> {
    if spec.trim().is_empty() {
        return Err("empty server address".into());
    }
    let url = parse_server(spec, Scheme::Stun).map_err(|e| format!("{}: {e}", spec.trim()))?;
    if url.scheme.is_turn() || url.scheme.is_secure() {
        return Err(format!("{}: nat-type needs a plain stun: server (UDP)", spec.trim()));
    }
    Ok((url.host.clone(), url.port_or_default()))
}

/// Resolve a server, bounded in time (the system resolver may take long).
pub fn resolve(spec: &str, family: Option<Family>, timeout: Duration) -> Result<SocketAddr> {
    let (host, port) = split_server(spec).map_err(Error::usage)?;
    if let Ok(ip) = host.parse::<IpAddr>() {
        let addr = SocketAddr::new(ip, port);
        return match family {
            Some(f) if !f.matches(&addr) => {
                Err(Error::usage(format!("{spec} is not an address of the family asked for")))
            }
            _ => Ok(addr),
        };
    }
    let found = crate::core::dns::resolve(&host, port, timeout.max(Duration::from_millis(500)))
        .map_err(|e| Error::network(format!("resolving {host}: {e}")))?;
    found
        .into_iter()
        .find(|a| family.is_none_or(|f| f.matches(a)))
        .ok_or_else(|| Error::network(format!("resolving {host}: no address of the family asked for")))
}

fn unspecified(like: &SocketAddr) -> IpAddr {
    if like.is_ipv4() {
        IpAddr::V4(Ipv4Addr::UNSPECIFIED)
    } else {
        IpAddr::V6(Ipv6Addr::UNSPECIFIED)
    }
}

fn bind(addr: SocketAddr, what: &str) -> Result<UdpSocket> {
    UdpSocket::bind(addr).map_err(|e| Error::network(format!("binding the {what} socket to {addr}: {e}")))
}

enum Incoming {
    Datagram(usize, Vec<u8>, SocketAddr, Instant),
    Unreachable(usize, String, Instant),
}

/// How often receiving threads look at the stop flag.
const POLL: Duration = Duration::from_millis(50);

fn receive(index: usize, udp: UdpSocket, out: mpsc::Sender<Incoming>, stop: Arc<AtomicBool>) {
    receive_until(&udp, &stop, POLL, |got| {
        let msg = match got {
            Received::Datagram(bytes, from, at) => Incoming::Datagram(index, bytes, from, at),
            Received::Failed(e, at) if e.kind() == io::ErrorKind::ConnectionRefused => {
                Incoming::Unreachable(index, "ICMP port unreachable: nothing listens there".into(), at)
            }
            Received::Failed(e, at) => Incoming::Unreachable(index, format!("receiving: {e}"), at),
        };
        out.send(msg).is_ok()
    });
}

/// The sockets of one run, by index. Each has a thread receiving into one channel; sockets a
/// machine names that do not exist yet are bound on first use.
struct Sockets {
    list: Vec<Option<(UdpSocket, bool)>>,
    bind_to: SocketAddr,
    tx: mpsc::Sender<Incoming>,
    rx: mpsc::Receiver<Incoming>,
    stop: Arc<AtomicBool>,
}

impl Sockets {
    fn new(bind_to: SocketAddr) -> Self {
        let (tx, rx) = mpsc::channel();
        Sockets { list: Vec::new(), bind_to, tx, rx, stop: Arc::new(AtomicBool::new(false)) }
    }

    fn add(&mut self, index: usize, udp: UdpSocket, connected: bool) -> Result<()> {
        let clone = udp.try_clone().map_err(|e| Error::network(format!("cloning a socket: {e}")))?;
        let (tx, stop) = (self.tx.clone(), self.stop.clone());
        thread::spawn(move || receive(index, clone, tx, stop));
        if self.list.len() <= index {
            self.list.resize_with(index + 1, || None);
        }
        self.list[index] = Some((udp, connected));
        Ok(())
    }

    fn send(&mut self, index: usize, destination: SocketAddr, bytes: &[u8]) -> io::Result<usize> {
        if self.list.get(index).is_none_or(Option::is_none) {
            let udp = UdpSocket::bind(self.bind_to)?;
            self.add(index, udp, false).map_err(|e| io::Error::other(e.to_string()))?;
        }
        match self.list.get(index) {
            // A connected socket sends with send(): some systems refuse sendto() on it.
            Some(Some((udp, true))) => udp.send(bytes),
            Some(Some((udp, false))) => udp.send_to(bytes, destination),
            _ => Err(io::Error::other("no such socket")),
        }
    }
}

impl Drop for Sockets {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// A sans-IO machine the socket loop can drive; sockets are named by index.
trait Driven {
    fn poll_transmit(&mut self) -> Option<(usize, [u8; 12], SocketAddr, &[u8])>;
    fn handle_input(&mut self, socket: usize, bytes: &[u8], from: SocketAddr, now: Instant);
    fn handle_unreachable(&mut self, socket: usize, id: Option<[u8; 12]>, why: &str, now: Instant);
    fn handle_timeout(&mut self, now: Instant);
    fn poll_timeout(&self) -> Option<Instant>;
    fn is_done(&self) -> bool;
    /// Ctrl-C: end now with what is known (a discovery takes seconds and is not cut short).
    fn interrupt(&mut self, _now: Instant) {}
}

impl Driven for NatDiscovery {
    fn poll_transmit(&mut self) -> Option<(usize, [u8; 12], SocketAddr, &[u8])> {
        NatDiscovery::poll_transmit(self).map(|t| (t.socket as usize, t.id, t.destination, t.contents))
    }
    fn handle_input(&mut self, socket: usize, bytes: &[u8], from: SocketAddr, now: Instant) {
        if let Some(&role) = Socket::ALL.get(socket) {
            NatDiscovery::handle_input(self, role, bytes, from, now);
        }
    }
    fn handle_unreachable(&mut self, socket: usize, id: Option<[u8; 12]>, why: &str, now: Instant) {
        if let Some(&role) = Socket::ALL.get(socket) {
            let why = match (role, id) {
                (Socket::Probe, None) => format!("{why} ({})", self.config().server),
                _ => why.to_string(),
            };
            NatDiscovery::handle_unreachable(self, role, id, &why, now);
        }
    }
    fn handle_timeout(&mut self, now: Instant) {
        NatDiscovery::handle_timeout(self, now);
    }
    fn poll_timeout(&self) -> Option<Instant> {
        NatDiscovery::poll_timeout(self)
    }
    fn is_done(&self) -> bool {
        NatDiscovery::is_done(self)
    }
}

impl Driven for LifetimeSearch {
    fn poll_transmit(&mut self) -> Option<(usize, [u8; 12], SocketAddr, &[u8])> {
        LifetimeSearch::poll_transmit(self)
    }
    fn handle_input(&mut self, socket: usize, bytes: &[u8], from: SocketAddr, now: Instant) {
        LifetimeSearch::handle_input(self, socket, bytes, from, now);
    }
    fn handle_unreachable(&mut self, socket: usize, _id: Option<[u8; 12]>, why: &str, now: Instant) {
        LifetimeSearch::handle_unreachable(self, socket, why, now);
    }
    fn handle_timeout(&mut self, now: Instant) {
        LifetimeSearch::handle_timeout(self, now);
    }
    fn poll_timeout(&self) -> Option<Instant> {
        LifetimeSearch::poll_timeout(self)
    }
    fn is_done(&self) -> bool {
        LifetimeSearch::is_done(self)
    }
    fn interrupt(&mut self, now: Instant) {
        LifetimeSearch::interrupt(self, now);
    }
}

/// The loop: send what the machine asks, wait for a datagram or its next deadline, feed it
/// back, until it is done. `after` runs after every step (progress display).
fn drive<M: Driven>(
    m: &mut M,
    sockets: &mut Sockets,
    hard_stop: Instant,
    stop: Option<&AtomicBool>,
    mut after: impl FnMut(&mut M),
) -> Result<()> {
    loop {
        if stop.is_some_and(|s| s.load(Ordering::Relaxed)) {
            m.interrupt(Instant::now());
        }
        let mut failed = Vec::new();
        while let Some((socket, id, destination, bytes)) = m.poll_transmit() {
            if let Err(e) = sockets.send(socket, destination, bytes) {
                failed.push((socket, id, format!("sending to {destination} failed: {e}")));
            }
        }
        for (socket, id, why) in failed {
            m.handle_unreachable(socket, Some(id), &why, Instant::now());
        }
        after(m);
        if m.is_done() {
            return Ok(());
        }
        let now = Instant::now();
        if now > hard_stop {
            return Err(Error::network("the tests did not end in time (a bug: please report it)"));
        }
        let wait = m.poll_timeout().map_or(POLL, |t| t.saturating_duration_since(now));
        let mut next = sockets.rx.recv_timeout(wait).ok();
        while let Some(msg) = next {
            match msg {
                Incoming::Datagram(socket, bytes, from, at) => m.handle_input(socket, &bytes, from, at),
                Incoming::Unreachable(socket, why, at) => m.handle_unreachable(socket, None, &why, at),
            }
            next = sockets.rx.try_recv().ok();
        }
        m.handle_timeout(Instant::now());
    }
}

/// Run a discovery against real servers. `on_progress` hears of each test as it starts and
/// ends (for a spinner or an NDJSON stream).
pub fn discover(
    opts: &Options,
    mut on_progress: impl FnMut(&NatDiscovery, Progress),
) -> Result<NatDiscovery> {
    let family = opts.family.or(match opts.local {
        Some(SocketAddr::V4(_)) => Some(Family::V4),
        Some(SocketAddr::V6(_)) => Some(Family::V6),
        None => None,
    });
    let server = resolve(&opts.server, family, opts.timeout)?;
    let server2 = match &opts.server2 {
        Some(s) => {
            Some(resolve(s, Some(if server.is_ipv4() { Family::V4 } else { Family::V6 }), opts.timeout)?)
        }
        None => None,
    };

    let any = SocketAddr::new(unspecified(&server), 0);
    let local_ip = opts.local.map_or(any, |l| SocketAddr::new(l.ip(), 0));
    let mapping = bind(opts.local.unwrap_or(any), "mapping")?;
    let filtering = bind(local_ip, "filtering")?;
    let probe = bind(local_ip, "probe")?;
    probe.connect(server).map_err(|e| Error::network(format!("no route to {server}: {e}")))?;
    let hairpin = if opts.hairpin { Some(bind(local_ip, "hairpin")?) } else { None };

    // The address the OS sends from toward the server: what "no NAT" is compared with.
    let source_ip =
        probe.local_addr().map_err(|e| Error::network(format!("reading the local address: {e}")))?.ip();
    let real = |udp: &UdpSocket| -> Result<SocketAddr> {
        let a = udp.local_addr().map_err(|e| Error::network(format!("reading the local address: {e}")))?;
        Ok(if a.ip().is_unspecified() { SocketAddr::new(source_ip, a.port()) } else { a })
    };
    let locals = Locals {
        mapping: real(&mapping)?,
        filtering: real(&filtering)?,
        probe: Some(real(&probe)?),
        hairpin: match &hairpin {
            Some(h) => Some(real(h)?),
            None => None,
        },
    };

    let mut config = Config::new(server, opts.timeout);
    config.server2 = server2;
    config.hairpin = opts.hairpin;
    config.software = opts.software.clone();

    let mut sockets = Sockets::new(local_ip);
    sockets.add(Socket::Mapping as usize, mapping, false)?;
    sockets.add(Socket::Filtering as usize, filtering, false)?;
    sockets.add(Socket::Probe as usize, probe, true)?;
    if let Some(h) = hairpin {
        sockets.add(Socket::Hairpin as usize, h, false)?;
    }

    let start = Instant::now();
    // The machine always ends; this guards the loop against a bug.
    let hard_stop = start + opts.timeout + Duration::from_secs(120);
    let mut d = NatDiscovery::new(config, locals, TransactionId::random(), start);
    drive(&mut d, &mut sockets, hard_stop, None, |d| {
        while let Some(p) = d.poll_event() {
            on_progress(d, p);
        }
    })?;
    Ok(d)
}

/// Measure how long the NAT keeps an idle binding toward `server` (which must support
/// RESPONSE-PORT), trying idle times up to `max`. Sockets are bound to `local` (its IP; the
/// ports are the system's).
pub fn measure(
    server: SocketAddr,
    local: Option<IpAddr>,
    opts: &Options,
    max: Duration,
    mut on_progress: impl FnMut(LifetimeProgress),
) -> Result<Lifetime> {
    let bind_to = SocketAddr::new(local.unwrap_or_else(|| unspecified(&server)), 0);
    let mut sockets = Sockets::new(bind_to);
    let mut config = LifetimeConfig::new(server, max, opts.timeout);
    config.software = opts.software.clone();
    let start = Instant::now();
    let hard_stop = start + max * 3 + opts.timeout + Duration::from_secs(60);
    let mut search = LifetimeSearch::new(config, TransactionId::random(), start);
    // Minutes of idle waiting: Ctrl-C ends it with the bounds found so far, still reported.
    let stop = crate::core::interrupt::ctrl_c_flag();
    drive(&mut search, &mut sockets, hard_stop, Some(&stop), |s| {
        while let Some(p) = s.poll_event() {
            on_progress(p);
        }
    })?;
    Ok(search.result())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_spellings() {
        let ok = |s: &str| split_server(s).unwrap();
        assert_eq!(ok("stun.example.org"), ("stun.example.org".into(), 3478));
        assert_eq!(ok("stun.example.org:19302"), ("stun.example.org".into(), 19302));
        assert_eq!(ok("stun:stun.example.org"), ("stun.example.org".into(), 3478));
        assert_eq!(ok("stun:stun.example.org:3479"), ("stun.example.org".into(), 3479));
        assert_eq!(ok("203.0.113.10"), ("203.0.113.10".into(), 3478));
        assert_eq!(ok("203.0.113.10:3479"), ("203.0.113.10".into(), 3479));
        assert_eq!(ok("2001:db8::1"), ("2001:db8::1".into(), 3478));
        assert_eq!(ok("[2001:db8::1]"), ("2001:db8::1".into(), 3478));
        assert_eq!(ok("[2001:db8::1]:3479"), ("2001:db8::1".into(), 3479));
        assert!(split_server("turn:turn.example.org").is_err());
        assert!(split_server("host:notaport").is_err());
        assert!(split_server("").is_err());
    }

    #[test]
    fn literal_addresses_resolve_without_dns_and_respect_the_family() {
        let t = Duration::from_millis(100);
        assert_eq!(
            resolve("203.0.113.10", None, t).unwrap(),
            "203.0.113.10:3478".parse::<SocketAddr>().unwrap()
        );
        assert!(resolve("203.0.113.10", Some(Family::V6), t).is_err());
        assert_eq!(
            resolve("[2001:db8::1]:1", Some(Family::V6), t).unwrap(),
            "[2001:db8::1]:1".parse::<SocketAddr>().unwrap()
        );
    }

    #[test]
    fn loopback_server_that_is_not_there() {
        // Nothing listens on this port of the loopback: the connected probe hears ICMP port
        // unreachable and the run ends at once with the server unreachable.
        let closed = UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = closed.local_addr().unwrap().port();
        drop(closed);
        let opts = Options {
            server: format!("127.0.0.1:{port}"),
            server2: None,
            local: None,
            family: None,
            timeout: Duration::from_millis(800),
            hairpin: false,
            software: None,
        };
        let started = Instant::now();
        let d = discover(&opts, |_, _| {}).unwrap();
        let r = d.report();
        assert!(r.server_unreachable, "{r:#?}");
        assert!(started.elapsed() < Duration::from_millis(500), "{:?}", started.elapsed());
    }
}
