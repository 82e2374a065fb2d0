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

/// What both drivers (UDP here, TCP in `stream.rs`) do around their waiting.
#[derive(Default)]
pub(super) struct Rounds {
    interrupted: bool,
    seconds_seen: usize,
}

impl Rounds {
    /// Before waiting: Ctrl-C turns into the fleet's interrupt (once); false when the run is over.
    pub fn go_on(
        &mut self,
        fleet: &mut Fleet,
        stop: &AtomicBool,
        send: &mut impl FnMut(usize, &[u8]),
    ) -> bool {
        if stop.load(Ordering::Relaxed) && !self.interrupted {
            self.interrupted = true;
            fleet.interrupt(Instant::now(), send);
        }
        fleet.stage() != Stage::Done
    }

    /// After the input: the fleet's timers when due, and the watcher's second when one ended.
    pub fn after(
        &mut self,
        fleet: &mut Fleet,
        watcher: &mut dyn Watcher,
        send: &mut impl FnMut(usize, &[u8]),
    ) {
        let now = Instant::now();
        if fleet.poll_timeout().is_some_and(|t| t <= now) {
            fleet.handle_timeout(now, send);
        }
        if fleet.seconds().len() > self.seconds_seen {
            self.seconds_seen = fleet.seconds().len();
            watcher.second(fleet);
        }
    }
}

/// How long datagrams wait in the socket buffers while the traffic flows: reading every few
/// milliseconds lets one `recvmmsg` take several datagrams of a socket, and the kernel's
/// receive timestamps keep the delays exact however late they are read.
const READ_EVERY: Duration = Duration::from_millis(10);

/// Drive the fleet over `sockets` until it is done; `stop` is Ctrl-C.
pub fn drive(
    fleet: &mut Fleet,
    sockets: &[UdpSocket],
    stop: &Arc<AtomicBool>,
    watcher: &mut dyn Watcher,
) -> std::io::Result<()> {
    use nix::sys::socket::{setsockopt, sockopt::ReceiveTimestampns, ControlMessageOwned};
    let server = fleet.plan().server;
    let epoll = Epoll::new(EpollCreateFlags::EPOLL_CLOEXEC)?;
    let mut stamped = true;
    for (i, s) in sockets.iter().enumerate() {
        epoll.add(s.as_fd(), EpollEvent::new(EpollFlags::EPOLLIN, i as u64))?;
        stamped &= setsockopt(s, ReceiveTimestampns, &true).is_ok();
    }
    let mut send = |i: usize, bytes: &[u8]| {
        // A full send buffer or an ICMP error: the packet is lost, as on a real network; the
        // receiver's count shows it.
        let _ = sockets[i].send(bytes);
    };
    let mut bufs = Box::new([[0u8; MTU]; BATCH]);
    let cmsg = stamped.then(|| nix::cmsg_space!(nix::sys::time::TimeSpec));
    let mut headers = MultiHeaders::<SockaddrStorage>::preallocate(BATCH, cmsg);
    let mut events = vec![EpollEvent::empty(); 1024];
    let mut rounds = Rounds::default();
    let mut next_read = Instant::now();
    fleet.handle_timeout(Instant::now(), &mut send);
    while rounds.go_on(fleet, stop, &mut send) {
        let now = Instant::now();
        let due = fleet.poll_timeout().unwrap_or(now + Duration::from_millis(50));
        // While the traffic flows (and the kernel stamps arrivals), read on a schedule;
        // otherwise as soon as anything comes (an allocation's latency is its answer's).
        let steady =
            stamped && matches!(fleet.stage(), Stage::Sending(_) | Stage::Draining(_) | Stage::Holding);
        let ready = if steady {
            // Sends go out in 1 ms rounds (each packet is stamped when it leaves): one wake-up
            // per millisecond at most, not one per packet.
            let wake = due.min(next_read).min(now + Duration::from_millis(50));
            if wake > now {
                std::thread::sleep((wake - now).max(Duration::from_millis(1)));
            }
            if Instant::now() >= next_read {
                next_read = Instant::now() + READ_EVERY;
                wait(&epoll, &mut events, 0)?
            } else {
                0
            }
        } else {
            // epoll counts milliseconds: round up, so nothing is sent early; at most 50 ms,
            // so Ctrl-C is seen.
            let ms = due.saturating_duration_since(now).as_micros().div_ceil(1000).min(50) as u16;
            wait(&epoll, &mut events, ms)?
        };
        for e in &events[..ready] {
            let i = e.data() as usize;
            let fd = sockets[i].as_raw_fd();
            loop {
                let mut lens = [(0usize, None::<u64>); BATCH];
                let mut got = 0;
                {
                    let mut iovs = bufs.each_mut().map(|b| [std::io::IoSliceMut::new(&mut b[..])]);
                    if let Ok(results) =
                        recvmmsg(fd, &mut headers, iovs.iter_mut(), MsgFlags::MSG_DONTWAIT, None)
                    {
                        for r in results {
                            let rx = r.cmsgs().ok().and_then(|mut c| {
                                c.find_map(|m| match m {
                                    ControlMessageOwned::ScmTimestampns(ts) => {
                                        Some(ts.tv_sec() as u64 * 1_000_000_000 + ts.tv_nsec() as u64)
                                    }
                                    _ => None,
                                })
                            });
                            lens[got] = (r.bytes, rx);
                            got += 1;
                        }
                    }
                }
                let now = Instant::now();
                for (k, &(n, rx)) in lens[..got].iter().enumerate() {
                    fleet.handle_input(i, &bufs[k][..n.min(MTU)], server, now, rx, &mut send);
                }
                // A full batch: there may be more.
                if got < BATCH {
                    break;
                }
            }
        }
        rounds.after(fleet, watcher, &mut send);
    }
    Ok(())
}

fn wait(epoll: &Epoll, events: &mut [EpollEvent], ms: u16) -> std::io::Result<usize> {
    match epoll.wait(events, EpollTimeout::from(ms)) {
        Ok(n) => Ok(n),
        Err(nix::errno::Errno::EINTR) => Ok(0),
        Err(e) => Err(e.into()),
    }
}
