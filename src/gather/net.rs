//! The thin shell around the [`Gatherer`]: list the interfaces, bind one UDP socket per
//! address, resolve server names, open the TCP (and TLS) connections it asks for, and move
//! bytes and time in and out. Plain `std::net`, one thread per socket or connection feeding a
//! channel, like `nat-type`'s loop. On Linux, `IP_RECVERR` makes ICMP errors on the shared,
//! unconnected sockets visible, with the destination they are about.

use std::io::{self, Read, Write};
use std::net::{IpAddr, Shutdown, SocketAddr, SocketAddrV6, TcpStream, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::{Duration, Instant};

use super::engine::{Command, Config, ConnId, Event, Gatherer, Local, SocketId, Via};
use super::interfaces::{self, Filter, InterfaceAddress};
use super::report::FailureKind;
use crate::core::tls::{self, TlsOptions, TlsStream};
use crate::core::transact::TransactionId;
use crate::core::udp::{receive_until, Received};
use crate::{Error, Result};
use socket2::{Domain, Protocol, Socket, Type};

/// How often blocked receiving threads look at the stop flag.
const POLL: Duration = Duration::from_millis(50);

/// What the shell needs besides the engine's configuration.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Which interface addresses to gather from.
    pub filter: Filter,
    /// TLS settings for `turns:`/`stuns:`.
    pub tls: TlsOptions,
    /// Whether Ctrl-C interrupts the run (the command line); a server that probes on request
    /// (the exporter) handles the signal itself.
    pub ctrl_c: bool,
}

enum Incoming {
    Datagram(usize, Vec<u8>, SocketAddr, Instant),
    Unreachable(usize, Option<SocketAddr>, String, Instant),
    Resolved(usize, std::result::Result<Vec<SocketAddr>, String>, Instant),
    Connected(usize, Writer, SocketAddr, Instant),
    ConnectFailed(usize, FailureKind, String, Instant),
    StreamData(usize, Vec<u8>, Instant),
    Closed(usize, String, Instant),
    /// Ctrl-C.
    Interrupted(Instant),
}

/// The sending half of a connection.
enum Writer {
    Tcp(TcpStream),
    Tls(TlsStream),
}

impl Writer {
    fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        match self {
            Writer::Tcp(s) => s.write_all(bytes),
            Writer::Tls(s) => s.write_all(bytes),
        }
    }

    fn shutdown(&self) {
        match self {
            Writer::Tcp(s) => {
                let _ = s.shutdown(Shutdown::Both);
            }
            Writer::Tls(s) => s.shutdown(),
        }
    }
}

/// The local addresses to gather from, after the filter; loopback is added when a server is
/// on the loopback (a test server, `localhost`), since nothing else could reach it.
pub fn local_addresses(filter: &Filter, config: &Config) -> Result<Vec<InterfaceAddress>> {
    let all =
        interfaces::list().map_err(|e| Error::network(format!("listing the network interfaces: {e}")))?;
    let mut filter = filter.clone();
    if config.servers.iter().any(|s| is_loopback_host(s.host())) {
        filter.loopback = true;
    }
    // A name that is no interface and no address of one is a typo, not an empty result.
    for wanted in &filter.only {
        let known = all.iter().any(|a| a.interface == *wanted || wanted.parse::<IpAddr>().ok() == Some(a.ip));
        if !known {
            let mut names: Vec<&str> = all.iter().map(|a| a.interface.as_str()).collect();
            names.sort_unstable();
            names.dedup();
            return Err(Error::usage(format!(
                "--interface {wanted}: no such interface or address (the interfaces are {})",
                names.join(", ")
            )));
        }
    }
    Ok(all.into_iter().filter(|a| filter.keeps(a)).collect())
}

fn is_loopback_host(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.to_canonical().is_loopback())
}

/// Bind one UDP socket per address. Addresses that cannot be bound (a tentative IPv6 address)
/// are skipped with a note.
fn bind(addresses: &[InterfaceAddress], notes: &mut Vec<String>) -> Vec<(UdpSocket, Local)> {
    let mut names: Vec<&str> = Vec::new();
    let mut bound = Vec::new();
    for a in addresses {
        let rank = match names.iter().position(|n| *n == a.interface) {
            Some(r) => r,
            None => {
                names.push(&a.interface);
                names.len() - 1
            }
        };
        let at = match a.ip {
            IpAddr::V6(v6) => SocketAddr::V6(SocketAddrV6::new(v6, 0, 0, a.scope_id)),
            ip => SocketAddr::new(ip, 0),
        };
        match UdpSocket::bind(at).and_then(|u| u.local_addr().map(|l| (u, l))) {
            Ok((udp, address)) => {
                let local = Local {
                    address,
                    interface: a.interface.clone(),
                    preference: interfaces::local_preference(rank, a.ip),
                };
                bound.push((udp, local));
            }
            Err(e) => notes.push(format!("{} ({}): cannot bind a UDP socket: {e}", a.ip, a.interface)),
        }
    }
    bound
}

fn receive(index: usize, udp: UdpSocket, out: mpsc::Sender<Incoming>, stop: Arc<AtomicBool>) {
    receive_until(&udp, &stop, POLL, |got| {
        let msg = match got {
            Received::Datagram(bytes, from, at) => Incoming::Datagram(index, bytes, from, at),
            Received::Failed(e, at) => match icmp::read_error_queue(&udp) {
                Some((destination, why)) => Incoming::Unreachable(index, Some(destination), why, at),
                None => Incoming::Unreachable(index, None, format!("receiving: {e}"), at),
            },
        };
        out.send(msg).is_ok()
    });
}

/// A TCP connection to `remote`, from `local` when given (the interface gathering uses, so
/// relays over TCP/TLS leave from the same address as the UDP ones; the OS picks otherwise).
fn connect_from(local: Option<IpAddr>, remote: SocketAddr, timeout: Duration) -> io::Result<TcpStream> {
    let Some(ip) = local else { return TcpStream::connect_timeout(&remote, timeout) };
    let socket = Socket::new(Domain::for_address(remote), Type::STREAM, Some(Protocol::TCP))?;
    socket
        .bind(&SocketAddr::new(ip, 0).into())
        .map_err(|e| io::Error::new(e.kind(), format!("binding {ip}: {e}")))?;
    socket.connect_timeout(&remote.into(), timeout)?;
    Ok(socket.into())
}

/// Ctrl-C while gathering stops the probes under way and releases the allocations made (the
/// engine's `interrupt`), so none is left behind; a second Ctrl-C ends the process at once.
fn watch_ctrl_c(out: mpsc::Sender<Incoming>) {
    let _ = thread::Builder::new().name("ctrl-c".into()).spawn(move || {
        let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
        rt.block_on(async {
            if tokio::signal::ctrl_c().await.is_err() {
                return;
            }
            let _ = out.send(Incoming::Interrupted(Instant::now()));
            if tokio::signal::ctrl_c().await.is_ok() {
                std::process::exit(130);
            }
        });
    });
}

fn resolve(server: usize, host: String, port: u16, timeout: Duration, out: mpsc::Sender<Incoming>) {
    thread::spawn(move || {
        // An empty answer is the engine's to word ("has no address").
        let result = match crate::core::dns::resolve(&host, port, timeout) {
            Err(crate::core::dns::ResolveError::NoAddress) => Ok(Vec::new()),
            other => other.map_err(|e| e.to_string()),
        };
        let _ = out.send(Incoming::Resolved(server, result, Instant::now()));
    });
}

#[allow(clippy::too_many_arguments)]
fn connect(
    conn: usize,
    remote: SocketAddr,
    local: Option<IpAddr>,
    tls_name: Option<String>,
    tls_options: TlsOptions,
    deadline: Instant,
    out: mpsc::Sender<Incoming>,
    stop: Arc<AtomicBool>,
) {
    thread::spawn(move || {
        let left = deadline.saturating_duration_since(Instant::now()).max(Duration::from_millis(1));
        let tcp = match connect_from(local, remote, left) {
            Ok(tcp) => tcp,
            Err(e) => {
                let (kind, why) = match e.kind() {
                    io::ErrorKind::ConnectionRefused => (
                        FailureKind::Unreachable,
                        format!("TCP connection to {remote} refused (nothing listens there)"),
                    ),
                    io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => (
                        FailureKind::Timeout,
                        format!("TCP connection to {remote}: no answer within {} ms", left.as_millis()),
                    ),
                    _ => (FailureKind::Connect, format!("TCP connection to {remote}: {e}")),
                };
                let _ = out.send(Incoming::ConnectFailed(conn, kind, why, Instant::now()));
                return;
            }
        };
        let _ = tcp.set_nodelay(true);
        let local = match tcp.local_addr() {
            Ok(l) => l,
            Err(e) => {
                let why = format!("TCP connection to {remote}: reading the local address: {e}");
                let _ = out.send(Incoming::ConnectFailed(conn, FailureKind::Connect, why, Instant::now()));
                return;
            }
        };
        match tls_name {
            None => {
                let reader = match tcp.try_clone() {
                    Ok(r) => r,
                    Err(e) => {
                        let why = format!("TCP connection to {remote}: {e}");
                        let _ = out.send(Incoming::ConnectFailed(
                            conn,
                            FailureKind::Connect,
                            why,
                            Instant::now(),
                        ));
                        return;
                    }
                };
                if out.send(Incoming::Connected(conn, Writer::Tcp(tcp), local, Instant::now())).is_err() {
                    return;
                }
                read_stream(conn, reader, out, stop);
            }
            Some(name) => {
                let stream = match tls::connect(tcp, &name, &tls_options, deadline) {
                    Ok(s) => s,
                    Err(why) => {
                        let why = format!("TLS with {remote} ({name}): {why}");
                        let _ =
                            out.send(Incoming::ConnectFailed(conn, FailureKind::Tls, why, Instant::now()));
                        return;
                    }
                };
                let reader = stream.clone();
                if out.send(Incoming::Connected(conn, Writer::Tls(stream), local, Instant::now())).is_err() {
                    return;
                }
                read_stream(conn, reader, out, stop);
            }
        }
    });
}

fn read_stream(conn: usize, mut reader: impl Read, out: mpsc::Sender<Incoming>, stop: Arc<AtomicBool>) {
    let mut buf = vec![0u8; 16_384];
    loop {
        if stop.load(Ordering::Relaxed) {
            return;
        }
        let msg = match reader.read(&mut buf) {
            Ok(0) => Incoming::Closed(conn, "closed by the server".into(), Instant::now()),
            Ok(n) => Incoming::StreamData(conn, buf[..n].to_vec(), Instant::now()),
            Err(e) if matches!(e.kind(), io::ErrorKind::Interrupted) => continue,
            Err(e) => Incoming::Closed(conn, e.to_string(), Instant::now()),
        };
        let closed = matches!(msg, Incoming::Closed(..));
        if out.send(msg).is_err() || closed {
            return;
        }
    }
}

/// Gather: bind, resolve, probe, release. `on_event` hears of every event as it happens (for
/// output that streams); the finished machine is returned for the report.
pub fn gather(
    config: Config,
    opts: &Options,
    mut on_event: impl FnMut(&Gatherer, Event),
) -> Result<Gatherer> {
    let addresses = local_addresses(&opts.filter, &config)?;
    let mut notes = Vec::new();
    let bound = bind(&addresses, &mut notes);
    if bound.is_empty() && !config.servers.is_empty() {
        let why = if addresses.is_empty() {
            "no usable local address (loopback and link-local addresses are left out unless asked for: --loopback, --link-local, --interface)"
        } else {
            "no UDP socket could be bound"
        };
        return Err(Error::network(why));
    }

    let (tx, rx) = mpsc::channel();
    let stop = Arc::new(AtomicBool::new(false));
    let mut sockets = Vec::new();
    let mut locals = Vec::new();
    for (i, (udp, local)) in bound.into_iter().enumerate() {
        icmp::enable(&udp, local.address.is_ipv6());
        let clone = udp.try_clone().map_err(|e| Error::network(format!("cloning a socket: {e}")))?;
        let (out, stop) = (tx.clone(), stop.clone());
        thread::spawn(move || receive(i, clone, out, stop));
        sockets.push(Some(udp));
        locals.push(local);
    }
    let _guard = StopOnDrop(stop.clone());

    let hard_stop = Instant::now() + config.timeout + config.release_timeout + Duration::from_secs(5);
    let start = Instant::now();
    let mut g = Gatherer::new(config, locals, TransactionId::random(), start);
    for note in notes {
        g.add_note(note);
    }
    if opts.tls.insecure && g.config().servers.iter().any(|s| s.url.scheme.is_secure()) {
        g.add_note("--insecure: TLS server certificates were not checked");
    }
    for (server, host, port) in g.servers_to_resolve() {
        match host.parse::<IpAddr>() {
            Ok(ip) => g.handle_resolved(server, Ok(vec![SocketAddr::new(ip, port)]), start),
            Err(_) => resolve(server, host, port, g.config().timeout, tx.clone()),
        }
    }

    if opts.ctrl_c {
        watch_ctrl_c(tx.clone());
    }
    let mut writers: Vec<Option<Writer>> = Vec::new();
    loop {
        // Sending can fail, and a failure can make more to send (a release): until it settles.
        let mut unreachable = Vec::new();
        loop {
            let mut failed = Vec::new();
            while let Some(t) = g.poll_transmit() {
                let sent = match t.via {
                    Via::Udp(SocketId(i)) => match sockets.get(i).and_then(Option::as_ref) {
                        Some(udp) => send_udp(i, udp, t.contents, t.destination, &mut unreachable),
                        None => Err(io::Error::other("no such socket")),
                    },
                    Via::Stream(ConnId(c)) => match writers.get_mut(c).and_then(Option::as_mut) {
                        Some(w) => w.send(t.contents),
                        None => Err(io::Error::other("the connection is not open")),
                    },
                };
                if let Err(e) = sent {
                    failed.push((
                        t.via,
                        t.destination,
                        format!("sending failed: {}", describe_send_error(&e)),
                    ));
                }
            }
            if failed.is_empty() && unreachable.is_empty() {
                break;
            }
            for (socket, destination, why) in unreachable.drain(..) {
                g.handle_unreachable(SocketId(socket), Some(destination), &why, Instant::now());
            }
            for (via, destination, why) in failed {
                g.handle_send_error(via, destination, &why, Instant::now());
            }
        }
        let mut acted = false;
        while let Some(c) = g.poll_command() {
            acted = true;
            match c {
                Command::Connect { conn: ConnId(conn), remote, local, tls } => {
                    if writers.len() <= conn {
                        writers.resize_with(conn + 1, || None);
                    }
                    let deadline = g.started() + g.config().timeout;
                    connect(conn, remote, local, tls, opts.tls.clone(), deadline, tx.clone(), stop.clone());
                }
                Command::Bind { socket: SocketId(socket), like: SocketId(like) } => {
                    let result = match sockets.get(like).and_then(Option::as_ref).map(UdpSocket::local_addr) {
                        Some(Ok(address)) => {
                            let mut any_port = address;
                            any_port.set_port(0);
                            UdpSocket::bind(any_port).and_then(|u| u.local_addr().map(|a| (u, a)))
                        }
                        Some(Err(e)) => Err(e),
                        None => Err(io::Error::other("no such socket")),
                    };
                    let result = match result {
                        Ok((udp, address)) => {
                            icmp::enable(&udp, address.is_ipv6());
                            match udp.try_clone() {
                                Ok(clone) => {
                                    let (out, stop) = (tx.clone(), stop.clone());
                                    thread::spawn(move || receive(socket, clone, out, stop));
                                    if sockets.len() <= socket {
                                        sockets.resize_with(socket + 1, || None);
                                    }
                                    sockets[socket] = Some(udp);
                                    Ok(address)
                                }
                                Err(e) => Err(e.to_string()),
                            }
                        }
                        Err(e) => Err(e.to_string()),
                    };
                    g.handle_bound(SocketId(socket), result, Instant::now());
                }
                Command::Close { conn: ConnId(conn) } => {
                    if let Some(w) = writers.get_mut(conn).and_then(Option::take) {
                        w.shutdown();
                    }
                }
            }
        }
        while let Some(e) = g.poll_event() {
            on_event(&g, e);
        }
        if g.is_done() {
            // Anything still open goes now.
            for w in writers.iter_mut().filter_map(Option::take) {
                w.shutdown();
            }
            return Ok(g);
        }
        if acted {
            // A command may have made more to send (a socket bound: its first request).
            continue;
        }
        let now = Instant::now();
        if now > hard_stop {
            return Err(Error::network("gathering did not end in time (a bug: please report it)"));
        }
        let wait = g.poll_timeout().map_or(POLL, |t| t.saturating_duration_since(now));
        let mut next = rx.recv_timeout(wait).ok();
        while let Some(msg) = next {
            match msg {
                Incoming::Datagram(socket, bytes, from, at) => {
                    g.handle_datagram(SocketId(socket), &bytes, from, at)
                }
                Incoming::Unreachable(socket, destination, why, at) => {
                    g.handle_unreachable(SocketId(socket), destination, &why, at)
                }
                Incoming::Resolved(server, result, at) => g.handle_resolved(server, result, at),
                Incoming::Connected(conn, writer, local, at) => {
                    if let Some(slot) = writers.get_mut(conn) {
                        *slot = Some(writer);
                    }
                    g.handle_connected(ConnId(conn), local, at);
                }
                Incoming::ConnectFailed(conn, kind, why, at) => {
                    g.handle_connect_failed(ConnId(conn), kind, &why, at)
                }
                Incoming::StreamData(conn, bytes, at) => g.handle_stream(ConnId(conn), &bytes, at),
                Incoming::Closed(conn, why, at) => g.handle_closed(ConnId(conn), &why, at),
                Incoming::Interrupted(at) => g.interrupt(at),
            }
            next = rx.try_recv().ok();
        }
        g.handle_timeout(Instant::now());
    }
}

/// Send a datagram. With `IP_RECVERR`, an ICMP error about an earlier datagram (to another
/// server, perhaps) makes the next call on the socket fail, this send included, which then did
/// not go out: the queued errors are read (and reported for their own destinations) and the
/// send is tried again.
fn send_udp(
    index: usize,
    udp: &UdpSocket,
    bytes: &[u8],
    destination: SocketAddr,
    unreachable: &mut Vec<(usize, SocketAddr, String)>,
) -> io::Result<()> {
    match udp.send_to(bytes, destination) {
        Ok(_) => Ok(()),
        Err(e) if icmp::is_pending_error(&e) => {
            while let Some((about, why)) = icmp::read_error_queue(udp) {
                unreachable.push((index, about, why));
            }
            udp.send_to(bytes, destination).map(|_| ())
        }
        Err(e) => Err(e),
    }
}

fn describe_send_error(e: &io::Error) -> String {
    match e.raw_os_error() {
        Some(code) if code == libc_code::ENETUNREACH => "network unreachable (no route to the server)".into(),
        Some(code) if code == libc_code::EHOSTUNREACH => "host unreachable".into(),
        Some(code) if code == libc_code::EACCES || code == libc_code::EPERM => {
            "not permitted (a local firewall?)".into()
        }
        _ => e.to_string(),
    }
}

struct StopOnDrop(Arc<AtomicBool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

#[cfg(unix)]
mod libc_code {
    pub const ENETUNREACH: i32 = libc::ENETUNREACH;
    pub const EHOSTUNREACH: i32 = libc::EHOSTUNREACH;
    pub const EACCES: i32 = libc::EACCES;
    pub const EPERM: i32 = libc::EPERM;
}

#[cfg(not(unix))]
mod libc_code {
    pub const ENETUNREACH: i32 = -1;
    pub const EHOSTUNREACH: i32 = -1;
    pub const EACCES: i32 = -1;
    pub const EPERM: i32 = -1;
}

/// ICMP errors on unconnected UDP sockets (Linux `IP_RECVERR`): the error queue says which
/// destination an ICMP message is about, and who sent it.
#[cfg(target_os = "linux")]
mod icmp {
    use std::io::IoSliceMut;
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
    use std::os::fd::AsRawFd;

    use nix::sys::socket::{
        recvmsg, setsockopt, sockopt, ControlMessageOwned, MsgFlags, SockaddrLike, SockaddrStorage,
    };

    /// Ask the kernel to queue ICMP errors on this socket.
    pub fn enable(udp: &UdpSocket, ipv6: bool) {
        // Best effort: without it, ICMP errors still end probes, only later (by timeout).
        let _ = if ipv6 {
            setsockopt(udp, sockopt::Ipv6RecvErr, &true)
        } else {
            setsockopt(udp, sockopt::Ipv4RecvErr, &true)
        };
    }

    fn to_std(address: &SockaddrStorage) -> Option<SocketAddr> {
        if let Some(v4) = address.as_sockaddr_in() {
            return Some(SocketAddr::new(IpAddr::V4(v4.ip()), v4.port()));
        }
        address.as_sockaddr_in6().map(|v6| SocketAddr::new(IpAddr::V6(v6.ip()), v6.port()))
    }

    /// Read one queued error: the destination it is about, and what it says.
    pub fn read_error_queue(udp: &UdpSocket) -> Option<(SocketAddr, String)> {
        let mut data = [0u8; 1500];
        let mut iov = [IoSliceMut::new(&mut data)];
        let mut control = nix::cmsg_space!(libc::sock_extended_err, libc::sockaddr_storage);
        let flags = MsgFlags::MSG_ERRQUEUE | MsgFlags::MSG_DONTWAIT;
        let msg = recvmsg::<SockaddrStorage>(udp.as_raw_fd(), &mut iov, Some(&mut control), flags).ok()?;
        let destination = msg.address.as_ref().filter(|a| a.family().is_some()).and_then(to_std)?;
        let mut why = None;
        for cmsg in msg.cmsgs().ok()? {
            let (ee, offender) = match cmsg {
                ControlMessageOwned::Ipv4RecvErr(ee, from) => {
                    (ee, from.map(|a| IpAddr::V4(Ipv4Addr::from(u32::from_be(a.sin_addr.s_addr)))))
                }
                ControlMessageOwned::Ipv6RecvErr(ee, from) => {
                    (ee, from.map(|a| IpAddr::V6(Ipv6Addr::from(a.sin6_addr.s6_addr))))
                }
                _ => continue,
            };
            let from_icmp =
                ee.ee_origin == libc::SO_EE_ORIGIN_ICMP || ee.ee_origin == libc::SO_EE_ORIGIN_ICMP6;
            why = Some(describe(ee.ee_errno as i32, offender.filter(|_| from_icmp), destination));
        }
        Some((destination, why.unwrap_or_else(|| "an ICMP error".to_string())))
    }

    /// Whether a socket call failed with an error an ICMP message left pending.
    pub fn is_pending_error(e: &std::io::Error) -> bool {
        matches!(
            e.raw_os_error(),
            Some(libc::ECONNREFUSED | libc::EHOSTUNREACH | libc::ENETUNREACH | libc::EACCES | libc::EMSGSIZE)
        )
    }

    fn describe(errno: i32, offender: Option<IpAddr>, destination: SocketAddr) -> String {
        let from = offender.map(|o| format!(" from {o}")).unwrap_or_default();
        match errno {
            libc::ECONNREFUSED => format!("ICMP port unreachable{from}: nothing listens at {destination}"),
            libc::EHOSTUNREACH => format!("ICMP host unreachable{from}"),
            libc::ENETUNREACH => format!("ICMP network unreachable{from}"),
            libc::EACCES | libc::EPERM => format!("ICMP administratively prohibited{from} (a firewall)"),
            libc::EMSGSIZE => format!("ICMP packet too big{from}"),
            e => format!("ICMP error{from}: {}", std::io::Error::from_raw_os_error(e)),
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod icmp {
    use std::net::{SocketAddr, UdpSocket};

    pub fn enable(_udp: &UdpSocket, _ipv6: bool) {}

    pub fn read_error_queue(_udp: &UdpSocket) -> Option<(SocketAddr, String)> {
        None
    }

    pub fn is_pending_error(_e: &std::io::Error) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    #[test]
    fn tcp_connections_leave_from_the_address_asked() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let remote = listener.local_addr().unwrap();
        let second: IpAddr = "127.0.0.2".parse().unwrap();
        let tcp = connect_from(Some(second), remote, Duration::from_secs(2)).unwrap();
        assert_eq!(tcp.local_addr().unwrap().ip(), second);
        let (_, peer) = listener.accept().unwrap();
        assert_eq!(peer.ip(), second, "the server sees the address asked for");
        let tcp = connect_from(None, remote, Duration::from_secs(2)).unwrap();
        assert_eq!(tcp.local_addr().unwrap().ip(), remote.ip(), "the OS picks otherwise");
        let e = connect_from(Some("192.0.2.1".parse().unwrap()), remote, Duration::from_secs(2)).unwrap_err();
        assert!(e.to_string().contains("binding 192.0.2.1"), "{e}");
    }
}
