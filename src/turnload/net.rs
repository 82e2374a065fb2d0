//! The load generator's I/O: one connected UDP socket per client (each allocation needs its own
//! 5-tuple, and many local ports spread the load over the server's threads), all in one epoll
//! set on one thread. Ready sockets are read with `recvmmsg` in batches; the fleet's sink
//! sends each frame with one `send` on the client's socket. Ctrl-C is a flag the loop looks at.

use std::net::{SocketAddr, UdpSocket};
use std::os::fd::{AsFd, AsRawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use nix::sys::epoll::{Epoll, EpollCreateFlags, EpollEvent, EpollFlags, EpollTimeout};
use nix::sys::socket::{recvmmsg, MsgFlags, MultiHeaders, SockaddrStorage};
use socket2::{Domain, Protocol, Socket, Type};

use super::fleet::{Fleet, Stage};

/// Datagrams read per `recvmmsg`.
const BATCH: usize = 32;
/// Largest datagram read.
const MTU: usize = 2048;

/// Open `n` UDP sockets connected to `server`, bound to `bind` (any port).
pub fn sockets(
    n: usize,
    server: SocketAddr,
    bind: Option<std::net::IpAddr>,
) -> std::io::Result<Vec<UdpSocket>> {
    (0..n)
        .map(|_| {
            let s = Socket::new(Domain::for_address(server), Type::DGRAM, Some(Protocol::UDP))?;
            let local = match (bind, server) {
                (Some(ip), _) => SocketAddr::new(ip, 0),
                (None, SocketAddr::V4(_)) => SocketAddr::from(([0, 0, 0, 0], 0)),
                (None, SocketAddr::V6(_)) => SocketAddr::from(([0u16; 8], 0)),
            };
            s.bind(&local.into())?;
            // Room for bursts while the loop is busy elsewhere.
            let _ = s.set_recv_buffer_size(1 << 20);
            let _ = s.set_send_buffer_size(1 << 20);
            s.connect(&server.into())?;
            s.set_nonblocking(true)?;
            Ok(s.into())
        })
        .collect()
}

/// What the loop reports each second (for the live line) and at the end.
pub trait Watcher {
    /// A second went by.
    fn second(&mut self, fleet: &Fleet);
}

/// Drive the fleet over `sockets` until it is done; `stop` is Ctrl-C.
pub fn drive(
    fleet: &mut Fleet,
    sockets: &[UdpSocket],
    stop: &Arc<AtomicBool>,
    watcher: &mut dyn Watcher,
) -> std::io::Result<()> {
    let server = fleet.plan().server;
    let epoll = Epoll::new(EpollCreateFlags::EPOLL_CLOEXEC)?;
    for (i, s) in sockets.iter().enumerate() {
        epoll.add(s.as_fd(), EpollEvent::new(EpollFlags::EPOLLIN, i as u64))?;
    }
    let mut send = |i: usize, bytes: &[u8]| {
        // A full send buffer or an ICMP error: the packet is lost, as on a real network; the
        // receiver's count shows it.
        let _ = sockets[i].send(bytes);
    };
    let mut bufs = Box::new([[0u8; MTU]; BATCH]);
    let mut headers = MultiHeaders::<SockaddrStorage>::preallocate(BATCH, None);
    let mut events = vec![EpollEvent::empty(); 256];
    let mut seconds_seen = 0;
    let mut interrupted = false;
    fleet.handle_timeout(Instant::now(), &mut send);
    loop {
        if stop.load(Ordering::Relaxed) && !interrupted {
            interrupted = true;
            fleet.interrupt(Instant::now(), &mut send);
        }
        if fleet.stage() == Stage::Done {
            break;
        }
        let now = Instant::now();
        let wait =
            fleet.poll_timeout().map_or(Duration::from_millis(50), |t| t.saturating_duration_since(now));
        // epoll counts milliseconds: round up, so a packet is never sent early; at most 50 ms,
        // so Ctrl-C is seen.
        let ms = wait.as_micros().div_ceil(1000).min(50) as u16;
        let ready = match epoll.wait(&mut events, EpollTimeout::from(ms)) {
            Ok(n) => n,
            Err(nix::errno::Errno::EINTR) => 0,
            Err(e) => return Err(e.into()),
        };
        for e in &events[..ready] {
            let i = e.data() as usize;
            let fd = sockets[i].as_raw_fd();
            let mut lens = [0usize; BATCH];
            let mut got = 0;
            {
                let mut iovs = bufs.each_mut().map(|b| [std::io::IoSliceMut::new(&mut b[..])]);
                if let Ok(results) = recvmmsg(fd, &mut headers, iovs.iter_mut(), MsgFlags::MSG_DONTWAIT, None)
                {
                    for r in results {
                        lens[got] = r.bytes;
                        got += 1;
                    }
                }
            }
            let now = Instant::now();
            for (k, &n) in lens[..got].iter().enumerate() {
                fleet.handle_input(i, &bufs[k][..n.min(MTU)], server, now, &mut send);
            }
        }
        let now = Instant::now();
        if fleet.poll_timeout().is_some_and(|t| t <= now) {
            fleet.handle_timeout(now, &mut send);
        }
        if fleet.seconds().len() > seconds_seen {
            seconds_seen = fleet.seconds().len();
            watcher.second(fleet);
        }
    }
    Ok(())
}
