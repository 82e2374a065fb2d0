//! One Allocate, and its release, over UDP with a blocking socket: what a TURN server says to
//! a set of credentials, for the commands whose ICE agent keeps it to itself (webrtc-rs reports
//! no candidate errors: a `loopback` or `call` through a TURN server with a wrong password just
//! never gets a relay candidate, and says why only through this).

use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use super::{Allocation, Carrier, Client, Config, Event, Failure, Request};
use crate::core::transact::{LongTermAuth, TransactionId};

/// Allocate on `server` over UDP with `auth`, within `timeout`; on success release at once
/// (within the same bound). The allocation, or why there is none.
pub fn allocate_once(
    server: SocketAddr,
    auth: Option<LongTermAuth>,
    timeout: Duration,
) -> Result<Allocation, Failure> {
    let transport = |e: std::io::Error| Failure::Transport(e.to_string());
    let bind: SocketAddr = if server.is_ipv4() { ([0, 0, 0, 0], 0).into() } else { ([0u16; 8], 0).into() };
    let socket = UdpSocket::bind(bind).map_err(transport)?;
    socket.connect(server).map_err(transport)?;
    let mut config = Config::new(server, Carrier::Datagram);
    config.auth = auth;
    config.auto_refresh = false;
    let mut client = Client::new(config, TransactionId::random());
    let start = Instant::now();
    let until = start + timeout;
    client.allocate(start, until);
    let mut allocated = None;
    let mut buf = [0u8; 2048];
    loop {
        while let Some(bytes) = client.poll_transmit() {
            // A failed send shows up as silence, and the deadline ends it.
            let _ = socket.send(bytes);
        }
        while let Some(event) = client.poll_event() {
            match event {
                Event::Allocated(a) => {
                    allocated = Some(a);
                    if !client.release(Instant::now(), until) {
                        return Ok(a);
                    }
                }
                Event::Released => {
                    return allocated.ok_or(Failure::Internal("released before allocated".into()))
                }
                Event::Failed { request: Request::Allocate, failure } => return Err(failure),
                // The release did not go through: the allocation was made all the same.
                Event::Failed { .. } => return allocated.ok_or(Failure::Internal("no allocation".into())),
                _ => {}
            }
        }
        let now = Instant::now();
        if now >= until {
            return allocated.ok_or(Failure::Internal("no answer within the time allowed".into()));
        }
        let wake = client.poll_timeout().unwrap_or(until).min(until);
        let wait = wake.saturating_duration_since(now).max(Duration::from_millis(1));
        socket.set_read_timeout(Some(wait)).map_err(transport)?;
        match socket.recv(&mut buf) {
            Ok(n) => {
                let _ = client.handle_input(&buf[..n], server, Instant::now());
            }
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {}
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                client.handle_transport_error("ICMP port unreachable: nothing listens there", Instant::now());
            }
            Err(e) => client.handle_transport_error(&e.to_string(), Instant::now()),
        }
        client.handle_timeout(Instant::now());
    }
}
