//! A simulated network for the discovery's unit tests: inside sockets, a NAT with a chosen
//! mapping and filtering behaviour (or none), an RFC 5780 server with two addresses and two
//! ports (with switches for the ways real servers go wrong), fake time, delay and loss.

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use super::behavior::{FilteringBehavior, MappingBehavior};
use super::discovery::{Config, Locals, NatDiscovery, Socket};
use crate::core::stun::{attr, AttrValue, Attribute, Class, Message, MessageBuilder, Method};
use crate::core::transact::TransactionId;

pub fn sa(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

pub const PUBLIC_IP: &str = "198.51.100.1";

/// The NAT (or firewall) between the inside sockets and the server.
#[derive(Debug, Clone)]
pub struct Nat {
    /// None: addresses are not translated (a firewall, or nothing).
    pub mapping: Option<MappingBehavior>,
    /// None: nothing is filtered.
    pub filtering: Option<FilteringBehavior>,
    /// Rewrite MAPPED-ADDRESS in inbound STUN to the inside address (a meddling ALG).
    pub alg: bool,
    /// Loop packets sent to our own public address back in.
    pub hairpin: bool,
    next_port: u16,
    /// key -> public port
    mappings: HashMap<(SocketAddr, Option<IpAddr>, Option<u16>), u16>,
    /// public port -> inside address
    inside: HashMap<u16, SocketAddr>,
    /// public port -> destinations it sent to
    sent_to: HashMap<u16, HashSet<SocketAddr>>,
}

impl Nat {
    pub fn new(mapping: Option<MappingBehavior>, filtering: Option<FilteringBehavior>) -> Self {
        Nat {
            mapping,
            filtering,
            alg: false,
            hairpin: false,
            next_port: 40000,
            mappings: HashMap::new(),
            inside: HashMap::new(),
            sent_to: HashMap::new(),
        }
    }

    fn public_ip() -> IpAddr {
        PUBLIC_IP.parse().unwrap()
    }

    /// Translate an outbound packet's source; returns the public source.
    fn outbound(&mut self, src: SocketAddr, dst: SocketAddr) -> SocketAddr {
        let public = match self.mapping {
            None => src,
            Some(m) => {
                let key = match m {
                    MappingBehavior::EndpointIndependent => (src, None, None),
                    MappingBehavior::AddressDependent => (src, Some(dst.ip()), None),
                    MappingBehavior::AddressAndPortDependent => (src, Some(dst.ip()), Some(dst.port())),
                };
                let port = match self.mappings.get(&key) {
                    Some(&p) => p,
                    None => {
                        let p = self.next_port;
                        self.next_port += 1;
                        self.mappings.insert(key, p);
                        self.inside.insert(p, src);
                        p
                    }
                };
                SocketAddr::new(Self::public_ip(), port)
            }
        };
        self.sent_to.entry(public.port()).or_default().insert(dst);
        public
    }

    /// Filter and translate an inbound packet; returns the inside destination.
    fn inbound(&self, src: SocketAddr, dst: SocketAddr) -> Option<SocketAddr> {
        let inside = match self.mapping {
            None => dst,
            Some(_) => {
                if dst.ip() != Self::public_ip() {
                    return None;
                }
                *self.inside.get(&dst.port())?
            }
        };
        let sent = self.sent_to.get(&dst.port());
        let allowed = match self.filtering {
            None | Some(FilteringBehavior::EndpointIndependent) => true,
            Some(FilteringBehavior::AddressDependent) => {
                sent.is_some_and(|s| s.iter().any(|a| a.ip() == src.ip()))
            }
            Some(FilteringBehavior::AddressAndPortDependent) => sent.is_some_and(|s| s.contains(&src)),
        };
        allowed.then_some(inside)
    }

    /// What an ALG does to a response on its way in.
    fn rewrite(&self, bytes: &mut [u8], inside: SocketAddr) {
        if !self.alg {
            return;
        }
        let Ok(msg) = Message::new_checked(&bytes[..]) else { return };
        let Some(raw) = msg.attribute(attr::MAPPED_ADDRESS) else { return };
        let at = raw.offset + 4;
        let IpAddr::V4(ip) = inside.ip() else { return };
        bytes[at + 2..at + 4].copy_from_slice(&inside.port().to_be_bytes());
        bytes[at + 4..at + 8].copy_from_slice(&ip.octets());
        // A careful ALG fixes FINGERPRINT up after itself.
        let Ok(msg) = Message::new_checked(&bytes[..]) else { return };
        let (Some(fp), Some(value)) = (msg.attribute(attr::FINGERPRINT), msg.expected_fingerprint()) else {
            return;
        };
        let at = fp.offset + 4;
        bytes[at..at + 4].copy_from_slice(&value.to_be_bytes());
    }
}

/// How the server behaves.
#[derive(Debug, Clone)]
pub struct Server {
    pub primary: SocketAddr,
    pub alternate: SocketAddr,
    /// Advertise this as OTHER-ADDRESS (None: no RFC 5780).
    pub other_address: Option<SocketAddr>,
    /// Answer CHANGE-REQUEST from the receiving address anyway.
    pub ignore_change: bool,
    /// Answer CHANGE-REQUEST with 420.
    pub reject_change: bool,
    /// The alternate IP is dead (neither receives nor sends).
    pub alternate_dead: bool,
    /// Answer nothing at all.
    pub down: bool,
    /// Put MAPPED-ADDRESS in answers (as coturn does).
    pub mapped_address: bool,
    /// Send answers with a wrong FINGERPRINT.
    pub bad_fingerprint: bool,
}

impl Server {
    pub fn rfc5780() -> Self {
        Server {
            primary: sa("192.0.2.10:3478"),
            alternate: sa("192.0.2.11:3479"),
            other_address: Some(sa("192.0.2.11:3479")),
            ignore_change: false,
            reject_change: false,
            alternate_dead: false,
            down: false,
            mapped_address: true,
            bad_fingerprint: false,
        }
    }

    pub fn plain(addr: &str) -> Self {
        Server { primary: sa(addr), alternate: sa(addr), other_address: None, ..Server::rfc5780() }
    }

    fn listens(&self, dst: SocketAddr) -> bool {
        if self.down {
            return false;
        }
        let (p, a) = (self.primary, self.alternate);
        let ips = if self.alternate_dead { vec![p.ip()] } else { vec![p.ip(), a.ip()] };
        let ports = if self.other_address.is_some() { vec![p.port(), a.port()] } else { vec![p.port()] };
        ips.contains(&dst.ip()) && ports.contains(&dst.port())
    }

    /// Answer a request that arrived at `dst` from `src`: (source of the answer, bytes).
    fn answer(&self, bytes: &[u8], src: SocketAddr, dst: SocketAddr) -> Option<(SocketAddr, Vec<u8>)> {
        if !self.listens(dst) {
            return None;
        }
        let msg = Message::new_checked(bytes).ok()?;
        if msg.class() != Class::Request || msg.method() != Method::BINDING {
            return None;
        }
        let change =
            msg.attribute(attr::CHANGE_REQUEST).and_then(|a| Attribute::decode(&a, msg.xor_key()).ok());
        let (change_ip, change_port) = match change.map(|a| a.value) {
            Some(AttrValue::ChangeRequest { change_ip, change_port }) => (change_ip, change_port),
            _ => (false, false),
        };
        let id = msg.transaction_id();
        if (change_ip || change_port) && self.reject_change {
            let mut b = MessageBuilder::new(Class::ErrorResponse, Method::BINDING, id);
            b.error_code(420, "Unknown Attribute");
            b.raw(attr::UNKNOWN_ATTRIBUTES, &attr::CHANGE_REQUEST.to_be_bytes());
            return Some((dst, b.finish()));
        }
        let mut from = dst;
        if !self.ignore_change {
            if change_ip {
                let ip = if dst.ip() == self.primary.ip() { self.alternate.ip() } else { self.primary.ip() };
                from.set_ip(ip);
            }
            if change_port {
                let port = if dst.port() == self.primary.port() {
                    self.alternate.port()
                } else {
                    self.primary.port()
                };
                from.set_port(port);
            }
        }
        if self.alternate_dead && from.ip() == self.alternate.ip() {
            return None;
        }
        let mut b = MessageBuilder::new(Class::SuccessResponse, Method::BINDING, id);
        b.xor_address(attr::XOR_MAPPED_ADDRESS, src);
        if self.mapped_address {
            b.address(attr::MAPPED_ADDRESS, src);
        }
        if let Some(o) = self.other_address {
            b.address(attr::OTHER_ADDRESS, o);
            b.address(attr::RESPONSE_ORIGIN, from);
        }
        b.text(attr::SOFTWARE, "sim");
        b.fingerprint();
        let mut bytes = b.finish();
        if self.bad_fingerprint {
            let n = bytes.len();
            bytes[n - 1] ^= 0xff;
        }
        Some((from, bytes))
    }
}

#[derive(Debug, Clone)]
struct Packet {
    at: Instant,
    src: SocketAddr,
    dst: SocketAddr,
    bytes: Vec<u8>,
    /// Inside socket it is for (inbound) or None (outbound, to a server).
    to: Option<Socket>,
}

/// Which packets to lose.
pub type Loss = Box<dyn FnMut(&LossPoint) -> bool>;

/// A packet at the place it may be lost.
#[derive(Debug)]
pub struct LossPoint<'a> {
    /// Sent by an inside socket (true) or by a server (false).
    pub outbound: bool,
    /// The inside socket concerned.
    pub socket: Socket,
    pub src: SocketAddr,
    #[allow(dead_code)] // for loss rules that need it
    pub dst: SocketAddr,
    pub bytes: &'a [u8],
}

/// The whole simulated world.
pub struct Sim {
    pub nat: Nat,
    pub server: Server,
    pub server2: Option<Server>,
    pub delay: Duration,
    pub loss: Loss,
    /// Report ICMP port unreachable to the probe socket when the server is down.
    pub icmp: bool,
    pub locals: Locals,
    queue: Vec<Packet>,
    pub sent: usize,
}

impl Sim {
    pub fn new(nat: Nat, server: Server) -> Self {
        Sim {
            nat,
            server,
            server2: None,
            delay: Duration::from_millis(10),
            loss: Box::new(|_| false),
            icmp: false,
            locals: Locals {
                mapping: sa("10.0.0.2:5001"),
                filtering: sa("10.0.0.2:5002"),
                probe: Some(sa("10.0.0.2:5003")),
                hairpin: Some(sa("10.0.0.2:5004")),
            },
            queue: Vec::new(),
            sent: 0,
        }
    }

    /// A sim where the inside sockets have the public addresses (no NAT).
    pub fn public_locals(mut self) -> Self {
        let ip = PUBLIC_IP;
        self.locals = Locals {
            mapping: sa(&format!("{ip}:5001")),
            filtering: sa(&format!("{ip}:5002")),
            probe: Some(sa(&format!("{ip}:5003"))),
            hairpin: Some(sa(&format!("{ip}:5004"))),
        };
        self
    }

    fn socket_of(&self, inside: SocketAddr) -> Option<Socket> {
        Socket::ALL.into_iter().find(|&s| match s {
            Socket::Mapping => Some(self.locals.mapping) == Some(inside),
            Socket::Filtering => Some(self.locals.filtering) == Some(inside),
            Socket::Probe => self.locals.probe == Some(inside),
            Socket::Hairpin => self.locals.hairpin == Some(inside),
        })
    }

    fn local(&self, socket: Socket) -> SocketAddr {
        match socket {
            Socket::Mapping => self.locals.mapping,
            Socket::Filtering => self.locals.filtering,
            Socket::Probe => self.locals.probe.unwrap_or(self.locals.mapping),
            Socket::Hairpin => self.locals.hairpin.unwrap_or(self.locals.mapping),
        }
    }

    /// An inside socket sends.
    fn send(&mut self, socket: Socket, dst: SocketAddr, bytes: &[u8], now: Instant) {
        self.sent += 1;
        let src = self.local(socket);
        let point = LossPoint { outbound: true, socket, src, dst, bytes };
        if (self.loss)(&point) {
            return;
        }
        let public = self.nat.outbound(src, dst);
        // Hairpin: to our own public address.
        if self.nat.mapping.is_some() && dst.ip() == PUBLIC_IP.parse::<IpAddr>().unwrap() {
            if self.nat.hairpin {
                if let Some(inside) = self.nat.inbound(public, dst) {
                    let to = self.socket_of(inside);
                    self.queue.push(Packet {
                        at: now + self.delay,
                        src: public,
                        dst: inside,
                        bytes: bytes.to_vec(),
                        to,
                    });
                }
            }
            return;
        }
        if self.nat.mapping.is_none() && self.socket_of(dst).is_some() {
            let to = self.socket_of(dst);
            self.queue.push(Packet { at: now + self.delay, src, dst, bytes: bytes.to_vec(), to });
            return;
        }
        self.queue.push(Packet { at: now + self.delay, src: public, dst, bytes: bytes.to_vec(), to: None });
    }

    fn next_at(&self) -> Option<Instant> {
        self.queue.iter().map(|p| p.at).min()
    }

    /// Deliver what is due at `now`: servers answer, inside sockets receive.
    fn deliver(&mut self, now: Instant, d: &mut NatDiscovery) {
        let (due, rest): (Vec<Packet>, Vec<Packet>) = self.queue.drain(..).partition(|p| p.at <= now);
        self.queue = rest;
        for p in due {
            match p.to {
                Some(socket) => d.handle_input(socket, &p.bytes, p.src, now),
                None => {
                    let mut answers = Vec::new();
                    for s in std::iter::once(&self.server).chain(self.server2.as_ref()) {
                        if let Some(a) = s.answer(&p.bytes, p.src, p.dst) {
                            answers.push(a);
                        }
                    }
                    let nobody = answers.is_empty() && !self.server.listens(p.dst);
                    if nobody && self.icmp && p.dst == self.server.primary {
                        // ICMP port unreachable: only a connected socket hears of it.
                        if let Some(inside) = self.nat.inbound(p.dst, p.src) {
                            if self.socket_of(inside) == Some(Socket::Probe) {
                                d.handle_unreachable(Socket::Probe, None, "ICMP port unreachable", now);
                            }
                        }
                    }
                    for (from, mut bytes) in answers {
                        let Some(inside) = self.nat.inbound(from, p.src) else { continue };
                        let Some(socket) = self.socket_of(inside) else { continue };
                        let point =
                            LossPoint { outbound: false, socket, src: from, dst: p.src, bytes: &bytes };
                        if (self.loss)(&point) {
                            continue;
                        }
                        self.nat.rewrite(&mut bytes, inside);
                        self.queue.push(Packet {
                            at: now + self.delay,
                            src: from,
                            dst: inside,
                            bytes,
                            to: Some(socket),
                        });
                    }
                }
            }
        }
    }

    /// Run a discovery to its end; returns it finished.
    pub fn run(&mut self, config: Config) -> NatDiscovery {
        let t0 = Instant::now();
        let mut d = NatDiscovery::new(config, self.locals, TransactionId::sequence(1), t0);
        let mut now = t0;
        for _ in 0..100_000 {
            while let Some(t) = d.poll_transmit() {
                let (socket, dst, bytes) = (t.socket, t.destination, t.contents.to_vec());
                self.send(socket, dst, &bytes, now);
            }
            if d.is_done() {
                return d;
            }
            let next = match (d.poll_timeout(), self.next_at()) {
                (Some(a), Some(b)) => a.min(b),
                (a, b) => a.or(b).expect("the discovery neither waits nor has packets in flight"),
            };
            now = next.max(now);
            self.deliver(now, &mut d);
            d.handle_timeout(now);
        }
        panic!("the discovery did not end");
    }
}

/// The default configuration for sim runs: server, 800 ms first-contact limit.
pub fn config(sim: &Sim) -> Config {
    let mut c = Config::new(sim.server.primary, Duration::from_millis(800));
    c.server2 = sim.server2.as_ref().map(|s| s.primary);
    c
}
