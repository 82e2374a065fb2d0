//! The receiving side of the UDP clients (gather, nat-type): a blocking receive loop for a
//! thread of its own, with a stop flag looked at between short read timeouts.

use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// What a receiving thread got.
#[derive(Debug)]
pub enum Received {
    /// A datagram, its source and when it came.
    Datagram(Vec<u8>, SocketAddr, Instant),
    /// A receive error other than a timeout or an interruption (for instance an ICMP error
    /// reported on the socket), and when.
    Failed(io::Error, Instant),
}

/// Receive on `udp` until `stop` is set or `deliver` returns false. The stop flag is looked at
/// every `poll` at least; read timeouts and interruptions are not delivered.
pub fn receive_until(
    udp: &UdpSocket,
    stop: &AtomicBool,
    poll: Duration,
    mut deliver: impl FnMut(Received) -> bool,
) {
    if udp.set_read_timeout(Some(poll)).is_err() {
        return;
    }
    let mut buf = vec![0u8; 65_536];
    while !stop.load(Ordering::Relaxed) {
        let got = match udp.recv_from(&mut buf) {
            Ok((n, from)) => Received::Datagram(buf[..n].to_vec(), from, Instant::now()),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
                ) =>
            {
                continue
            }
            Err(e) => Received::Failed(e, Instant::now()),
        };
        if !deliver(got) {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn delivers_datagrams_until_told_to_stop() {
        let rx = UdpSocket::bind("127.0.0.1:0").unwrap();
        let to = rx.local_addr().unwrap();
        let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let (flag, socket) = (stop.clone(), rx.try_clone().unwrap());
        let thread = std::thread::spawn(move || {
            let mut got = Vec::new();
            receive_until(&socket, &flag, Duration::from_millis(20), |r| {
                if let Received::Datagram(bytes, _, _) = r {
                    got.push(bytes);
                }
                got.len() < 2
            });
            got
        });
        for payload in [&b"one"[..], b"two"] {
            tx.send_to(payload, to).unwrap();
        }
        let got = thread.join().unwrap();
        assert_eq!(got, vec![b"one".to_vec(), b"two".to_vec()]);
        // The stop flag ends a loop that hears nothing.
        let flag = stop.clone();
        let quiet =
            std::thread::spawn(move || receive_until(&rx, &flag, Duration::from_millis(20), |_| true));
        stop.store(true, Ordering::Relaxed);
        quiet.join().unwrap();
    }
}
