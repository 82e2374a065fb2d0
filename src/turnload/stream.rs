//! TURN over TCP (or TLS) for the load generator: one connection per client. A reader thread per
//! connection frames the byte stream (STUN messages and ChannelData, padded to 4) and hands
//! whole frames, stamped with their arrival time, to the one loop that drives the fleet; the
//! loop writes frames on the connections itself, with a write timeout (a connection that
//! cannot take a frame in time is closed: the stream would be corrupt after half a frame).

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::fleet::{realtime_ns, Fleet};
use super::net::{Rounds, Watcher};
use crate::core::stun::frame_len;
use crate::core::tls::{TlsOptions, TlsStream};

/// One client's connection: plain TCP, or TLS over it (`turns:`).
#[derive(Debug)]
pub enum Conn {
    /// TCP.
    Tcp(TcpStream),
    /// TLS (rustls; a clone is another handle on the same connection).
    Tls(TlsStream),
}

impl Conn {
    /// A second handle for the reader thread.
    fn reader(&self) -> std::io::Result<Conn> {
        Ok(match self {
            Conn::Tcp(s) => Conn::Tcp(s.try_clone()?),
            Conn::Tls(s) => Conn::Tls(s.clone()),
        })
    }

    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Conn::Tcp(s) => s.read(buf),
            Conn::Tls(s) => s.read(buf),
        }
    }

    fn write_all(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        match self {
            Conn::Tcp(s) => s.write_all(bytes),
            Conn::Tls(s) => s.write_all(bytes),
        }
    }

    fn set_read_timeout(&self, d: Duration) -> std::io::Result<()> {
        match self {
            Conn::Tcp(s) => s.set_read_timeout(Some(d)),
            Conn::Tls(s) => s.set_read_timeout(Some(d)),
        }
    }

    /// Close (TLS says close_notify first).
    fn shutdown(&self) {
        match self {
            Conn::Tcp(s) => {
                let _ = s.shutdown(Shutdown::Both);
            }
            Conn::Tls(s) => s.shutdown(),
        }
    }
}

enum Incoming {
    /// Whole frames from connection `i` (one read's worth, back to back), and when they were
    /// read (real-time ns): one allocation per read, not per frame.
    Frames(usize, Vec<u8>, u64),
    /// Connection `i` ended (closed, reset, or not TURN).
    Closed(usize),
}

/// Open `n` TCP connections to `server` (bounded by `timeout` each, the TLS handshake
/// included), with TLS when `tls` names the server (its host name as in the URL) and how to
/// check its certificate.
pub fn connect(
    n: usize,
    server: SocketAddr,
    timeout: Duration,
    tls: Option<(&str, &TlsOptions)>,
) -> std::io::Result<Vec<Conn>> {
    (0..n)
        .map(|_| {
            let s = TcpStream::connect_timeout(&server, timeout)?;
            s.set_nodelay(true)?;
            s.set_write_timeout(Some(timeout))?;
            Ok(match tls {
                None => Conn::Tcp(s),
                Some((name, opts)) => {
                    let deadline = Instant::now() + timeout;
                    let stream = crate::core::tls::connect(s, name, opts, deadline)
                        .map_err(|e| std::io::Error::other(format!("TLS: {e}")))?;
                    Conn::Tls(stream)
                }
            })
        })
        .collect()
}

fn reader(i: usize, mut s: Conn, out: mpsc::Sender<Incoming>, stop: Arc<AtomicBool>) {
    let mut buf: Vec<u8> = Vec::with_capacity(8192);
    let mut chunk = [0u8; 8192];
    let _ = s.set_read_timeout(Duration::from_millis(100));
    while !stop.load(Ordering::Relaxed) {
        match s.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
                continue
            }
            Err(_) => break,
        }
        let rx = realtime_ns();
        let mut complete = 0;
        loop {
            match frame_len(&buf[complete..]) {
                Ok(Some(f)) if buf.len() - complete >= f.size() => complete += f.size(),
                Ok(_) => break,
                Err(_) => {
                    let _ = out.send(Incoming::Closed(i));
                    return;
                }
            }
        }
        if complete > 0 && out.send(Incoming::Frames(i, buf.drain(..complete).collect(), rx)).is_err() {
            return;
        }
    }
    let _ = out.send(Incoming::Closed(i));
}

/// Drive the fleet over `conns` until it is done; `stop` is Ctrl-C.
pub fn drive(
    fleet: &mut Fleet,
    mut conns: Vec<Conn>,
    stop: &Arc<AtomicBool>,
    watcher: &mut dyn Watcher,
) -> std::io::Result<()> {
    let server = fleet.plan().server;
    let (tx, rx) = mpsc::channel();
    let done = Arc::new(AtomicBool::new(false));
    for (i, c) in conns.iter().enumerate() {
        let (s, tx, done) = (c.reader()?, tx.clone(), done.clone());
        std::thread::Builder::new().name(format!("turn-load-{i}")).spawn(move || reader(i, s, tx, done))?;
    }
    drop(tx);
    struct Done(Arc<AtomicBool>);
    impl Drop for Done {
        fn drop(&mut self) {
            self.0.store(true, Ordering::Relaxed);
        }
    }
    let _done = Done(done);
    let mut broken = vec![false; conns.len()];
    let writers = &mut conns;
    let mut send = |i: usize, bytes: &[u8]| {
        if broken[i] {
            return;
        }
        if writers[i].write_all(bytes).is_err() {
            broken[i] = true;
            writers[i].shutdown();
        }
    };
    let mut rounds = Rounds::default();
    fleet.handle_timeout(Instant::now(), &mut send);
    while rounds.go_on(fleet, stop, &mut send) {
        let now = Instant::now();
        let due = fleet.poll_timeout().unwrap_or(now + Duration::from_millis(50));
        let wait = due.saturating_duration_since(now).min(Duration::from_millis(50));
        let mut next = match rx.recv_timeout(wait) {
            Ok(m) => Some(m),
            Err(mpsc::RecvTimeoutError::Timeout) => None,
            Err(mpsc::RecvTimeoutError::Disconnected) => None,
        };
        while let Some(m) = next.take() {
            match m {
                Incoming::Frames(i, frames, at) => {
                    let now = Instant::now();
                    let mut rest = &frames[..];
                    // The reader checked the framing: each frame_len here is a whole frame.
                    while let Ok(Some(f)) = frame_len(rest) {
                        let (frame, more) = rest.split_at(f.size().min(rest.len()));
                        fleet.handle_input(i, frame, server, now, Some(at), &mut send);
                        rest = more;
                    }
                }
                Incoming::Closed(i) => fleet.closed(i, Instant::now()),
            }
            next = rx.try_recv().ok();
        }
        rounds.after(fleet, watcher, &mut send);
    }
    for c in &conns {
        c.shutdown();
    }
    Ok(())
}
