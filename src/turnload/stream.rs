//! TURN over TCP for the load generator: one connection per client. A reader thread per
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

enum Incoming {
    /// Whole frames from connection `i` (one read's worth, back to back), and when they were
    /// read (real-time ns): one allocation per read, not per frame.
    Frames(usize, Vec<u8>, u64),
    /// Connection `i` ended (closed, reset, or not TURN).
    Closed(usize),
}

/// Open `n` TCP connections to `server` (bounded by `timeout` each).
pub fn connect(n: usize, server: SocketAddr, timeout: Duration) -> std::io::Result<Vec<TcpStream>> {
    (0..n)
        .map(|_| {
            let s = TcpStream::connect_timeout(&server, timeout)?;
            s.set_nodelay(true)?;
            s.set_write_timeout(Some(timeout))?;
            Ok(s)
        })
        .collect()
}

fn reader(i: usize, mut s: TcpStream, out: mpsc::Sender<Incoming>, stop: Arc<AtomicBool>) {
    let mut buf: Vec<u8> = Vec::with_capacity(8192);
    let mut chunk = [0u8; 8192];
    let _ = s.set_read_timeout(Some(Duration::from_millis(100)));
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
    conns: &[TcpStream],
    stop: &Arc<AtomicBool>,
    watcher: &mut dyn Watcher,
) -> std::io::Result<()> {
    let server = fleet.plan().server;
    let (tx, rx) = mpsc::channel();
    let done = Arc::new(AtomicBool::new(false));
    for (i, c) in conns.iter().enumerate() {
        let (s, tx, done) = (c.try_clone()?, tx.clone(), done.clone());
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
    let mut send = |i: usize, bytes: &[u8]| {
        if broken[i] {
            return;
        }
        let mut w = &conns[i];
        if w.write_all(bytes).is_err() {
            broken[i] = true;
            let _ = conns[i].shutdown(Shutdown::Both);
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
    for c in conns {
        let _ = c.shutdown(Shutdown::Both);
    }
    Ok(())
}
