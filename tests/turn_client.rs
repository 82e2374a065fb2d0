//! core/turn's client against a real coturn on loopback: two allocations relay to each other
//! through Send/Data indications, then through channels, and are released; a wrong password
//! is a typed failure.

mod common {
    pub mod coturn;
}

use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use rtctool::core::ice::credentials::rest_credentials;
use rtctool::core::transact::{AuthFailure, LongTermAuth, TransactionId};
use rtctool::core::turn::{Allocation, Carrier, Client, Config, Event, Failure, Input, Phase, Request};

struct Peer {
    client: Client,
    socket: UdpSocket,
    events: Vec<Event>,
}

impl Peer {
    fn new(server: SocketAddr, password: &str) -> Peer {
        Peer::with(server, LongTermAuth::new("alice", password))
    }

    fn with(server: SocketAddr, auth: LongTermAuth) -> Peer {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        let mut config = Config::new(server, Carrier::Datagram);
        config.auth = Some(auth);
        config.software = Some("rtctool test".into());
        Peer { client: Client::new(config, TransactionId::random()), socket, events: Vec::new() }
    }

    /// Send what is due, wait for one datagram or the next timer, feed it; data that arrives is
    /// returned.
    fn turn(&mut self) -> Option<(SocketAddr, Vec<u8>, Option<u16>)> {
        let server = self.client.server();
        while let Some(bytes) = self.client.poll_transmit() {
            self.socket.send_to(bytes, server).unwrap();
        }
        let now = Instant::now();
        let wait = self
            .client
            .poll_timeout()
            .map_or(Duration::from_millis(50), |t| t.saturating_duration_since(now));
        self.socket
            .set_read_timeout(Some(wait.clamp(Duration::from_millis(1), Duration::from_millis(50))))
            .unwrap();
        let mut buf = [0u8; 2048];
        let mut data = None;
        if let Ok((n, from)) = self.socket.recv_from(&mut buf) {
            if let Input::Data { peer, data: d, channel } =
                self.client.handle_input(&buf[..n], from, Instant::now())
            {
                data = Some((peer, d.to_vec(), channel));
            }
        }
        self.client.handle_timeout(Instant::now());
        self.events.extend(std::iter::from_fn(|| self.client.poll_event()));
        data
    }

    /// Run until an event matches (or 5 s pass).
    fn until(&mut self, what: impl Fn(&Event) -> bool) -> Event {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            if let Some(i) = self.events.iter().position(&what) {
                return self.events.drain(..=i).next_back().unwrap();
            }
            assert!(Instant::now() < deadline, "timed out; events: {:?}", self.events);
            self.turn();
        }
    }

    fn allocate(&mut self) -> Allocation {
        let now = Instant::now();
        self.client.allocate(now, now + Duration::from_secs(5));
        match self.until(|e| matches!(e, Event::Allocated(_) | Event::Failed { .. })) {
            Event::Allocated(a) => a,
            other => panic!("no allocation: {other:?}"),
        }
    }
}

/// Wait for data at `to`, letting `from` run too (its answers must flow).
fn receive(to: &mut Peer, from: &mut Peer) -> (SocketAddr, Vec<u8>, Option<u16>) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        assert!(Instant::now() < deadline, "nothing relayed");
        from.turn();
        if let Some(got) = to.turn() {
            return got;
        }
    }
}

#[test]
fn two_allocations_relay_to_each_other_through_coturn() {
    let Some(coturn) = common::coturn::loopback_relay("turn-client") else { return };
    let server: SocketAddr = ([127, 0, 0, 1], coturn.port).into();
    let mut a = Peer::new(server, "wonderland");
    let mut b = Peer::new(server, "wonderland");
    let relay_a = a.allocate().relayed;
    let relay_b = b.allocate().relayed;
    assert_ne!(relay_a, relay_b);

    // Permissions both ways, then a Send indication each way.
    let now = Instant::now();
    a.client.create_permission(relay_b.ip(), now).unwrap();
    b.client.create_permission(relay_a.ip(), now).unwrap();
    a.until(|e| matches!(e, Event::PermissionCreated(_)));
    b.until(|e| matches!(e, Event::PermissionCreated(_)));
    let frame = a.client.send(relay_b, b"via an indication").unwrap().to_vec();
    a.socket.send_to(&frame, server).unwrap();
    assert_eq!(receive(&mut b, &mut a), (relay_a, b"via an indication".to_vec(), None));

    // Channels: what goes out as ChannelData comes in as ChannelData on the peer's channel.
    let now = Instant::now();
    let ch_a = a.client.channel_bind(relay_b, now).unwrap();
    let ch_b = b.client.channel_bind(relay_a, now).unwrap();
    a.until(|e| matches!(e, Event::ChannelBound { .. }));
    b.until(|e| matches!(e, Event::ChannelBound { .. }));
    for i in 0..20u8 {
        let payload = vec![i; usize::from(i) + 1];
        let frame = a.client.send(relay_b, &payload).unwrap().to_vec();
        assert_eq!(u16::from_be_bytes([frame[0], frame[1]]), ch_a, "ChannelData once bound");
        a.socket.send_to(&frame, server).unwrap();
        assert_eq!(receive(&mut b, &mut a), (relay_a, payload, Some(ch_b)));
    }
    let frame = b.client.send(relay_a, b"back").unwrap().to_vec();
    b.socket.send_to(&frame, server).unwrap();
    assert_eq!(receive(&mut a, &mut b), (relay_b, b"back".to_vec(), Some(ch_a)));

    // A refresh, then the release; a second release has nothing to do.
    a.client.refresh(Instant::now()).unwrap();
    assert!(
        matches!(a.until(|e| matches!(e, Event::Refreshed { .. })), Event::Refreshed { lifetime } if lifetime > 0)
    );
    for peer in [&mut a, &mut b] {
        let now = Instant::now();
        assert!(peer.client.release(now, now + Duration::from_secs(2)));
        assert_eq!(peer.until(|e| matches!(e, Event::Released | Event::Failed { .. })), Event::Released);
        assert_eq!(peer.client.phase(), Phase::Closed);
    }
}

#[test]
fn a_wrong_password_is_a_typed_failure() {
    let Some(coturn) = common::coturn::loopback_relay("turn-client-401") else { return };
    let server: SocketAddr = ([127, 0, 0, 1], coturn.port).into();
    let mut a = Peer::new(server, "not the password");
    let now = Instant::now();
    a.client.allocate(now, now + Duration::from_secs(5));
    let event = a.until(|e| matches!(e, Event::Allocated(_) | Event::Failed { .. }));
    let Event::Failed { request: Request::Allocate, failure } = event else { panic!("{event:?}") };
    assert_eq!(failure.code(), Some(401));
    assert!(matches!(failure, Failure::Auth { failure: AuthFailure::Rejected { .. }, .. }), "{failure:?}");
    assert_eq!(a.client.phase(), Phase::Closed);
}

#[test]
fn turn_rest_credentials_allocate_until_they_expire() {
    let auth_args = ["--use-auth-secret", "--static-auth-secret", "s3cr3t", "-r", "rtctool.test"];
    let Some(coturn) = common::coturn::loopback_relay_with("turn-rest", &auth_args) else { return };
    let port = coturn.port;
    let server: SocketAddr = ([127, 0, 0, 1], port).into();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let auth = |expiry: u64, secret: &str| {
        let c = rest_credentials(secret, "alice", expiry);
        LongTermAuth::new(c.username, c.password.expose())
    };
    assert!(Peer::with(server, auth(now + 3600, "s3cr3t")).allocate().relayed.ip().is_loopback());
    for (expiry, secret, why) in [(now - 60, "s3cr3t", "expired"), (now + 3600, "other", "wrong secret")] {
        let mut peer = Peer::with(server, auth(expiry, secret));
        let t = Instant::now();
        peer.client.allocate(t, t + Duration::from_secs(5));
        let event = peer.until(|e| matches!(e, Event::Allocated(_) | Event::Failed { .. }));
        let Event::Failed { failure, .. } = event else { panic!("{why}: {event:?}") };
        assert_eq!(failure.code(), Some(401), "{why}: {failure:?}");
    }
}
