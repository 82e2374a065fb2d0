//! One Binding request over a blocking UDP socket: the round trip to a STUN (or TURN) server,
//! for a command that needs a measure of the path before its ICE agent starts (`call` scales
//! how long it waits for a direct pair from it).

use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use super::{Client, Event, Retransmit, Transaction, TransactionId};
use crate::core::stun::{Class, MessageBuilder, Method};

/// The time from sending a Binding request to `server` (from `bind`, any port) to its answer,
/// within `timeout`: the round trip when the first transmission was answered, an upper bound of
/// it otherwise. The error says what happened instead.
pub fn binding_rtt(server: SocketAddr, bind: IpAddr, timeout: Duration) -> Result<Duration, String> {
    let bind = match (bind, server) {
        (ip, _) if !ip.is_unspecified() => SocketAddr::new(ip, 0),
        (_, SocketAddr::V4(_)) => SocketAddr::from(([0, 0, 0, 0], 0)),
        (_, SocketAddr::V6(_)) => SocketAddr::from(([0u16; 8], 0)),
    };
    let socket = UdpSocket::bind(bind).map_err(|e| format!("binding a UDP socket on {bind}: {e}"))?;
    let start = Instant::now();
    let until = start + timeout;
    let request = MessageBuilder::new(Class::Request, Method::BINDING, TransactionId::random().next_id());
    let mut client = Client::default();
    let retransmit = Retransmit::new(Duration::from_millis(100), 7, 16).with_limit(timeout);
    client.start(Transaction::new(request.finish(), server, retransmit, start).map_err(|e| e.to_string())?);
    let mut buf = [0u8; 1500];
    loop {
        while let Some(t) = client.poll_transmit() {
            // A failed send is silence to the transaction, and its schedule ends it.
            let _ = socket.send_to(t.contents, t.destination);
        }
        match client.poll_event() {
            Some(Event::Response { response, .. }) => return Ok(response.rtt.unwrap_or(response.elapsed)),
            Some(Event::TimedOut { .. }) => {
                return Err(format!("no answer from {server} within {timeout:?}"))
            }
            Some(Event::Stray { .. }) => continue,
            None => {}
        }
        let now = Instant::now();
        if now >= until {
            return Err(format!("no answer from {server} within {timeout:?}"));
        }
        let wake = client.poll_timeout().unwrap_or(until).min(until);
        let _ =
            socket.set_read_timeout(Some(wake.saturating_duration_since(now).max(Duration::from_millis(1))));
        match socket.recv_from(&mut buf) {
            Ok((n, from)) => {
                client.handle_input(&buf[..n], from, Instant::now());
            }
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
                client.handle_timeout(Instant::now());
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            // An ICMP error on the socket (port unreachable): the server is not there.
            Err(e) => return Err(format!("{server}: {e}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_that_answers_has_a_round_trip_and_silence_times_out() {
        let server = UdpSocket::bind("127.0.0.1:0").unwrap();
        let addr = server.local_addr().unwrap();
        let answering = std::thread::spawn(move || {
            let mut buf = [0u8; 1500];
            let (n, from) = server.recv_from(&mut buf).unwrap();
            let id: [u8; 12] = buf[8..20].try_into().unwrap();
            assert!(n >= 20);
            let mut b = MessageBuilder::new(Class::SuccessResponse, Method::BINDING, id);
            b.xor_address(crate::core::stun::attr::XOR_MAPPED_ADDRESS, from);
            server.send_to(b.as_bytes(), from).unwrap();
            server
        });
        let rtt = binding_rtt(addr, "127.0.0.1".parse().unwrap(), Duration::from_secs(2)).unwrap();
        assert!(rtt < Duration::from_secs(2), "{rtt:?}");
        let silent = answering.join().unwrap();
        let err = binding_rtt(
            silent.local_addr().unwrap(),
            "127.0.0.1".parse().unwrap(),
            Duration::from_millis(300),
        )
        .unwrap_err();
        assert!(err.contains("no answer"), "{err}");
    }
}
