//! A sans-IO TURN client (RFC 8656): one allocation on one server, over one 5-tuple.
//!
//! [`Client`] holds what a TURN client has to remember — the long-term credentials and their
//! nonce, the allocation, its permissions and channels, their refresh timers, every request in
//! flight — and nothing else: no socket, no clock. Like the transactions it is built on
//! ([`crate::core::transact`]), it takes bytes and instants in (`handle_input`,
//! `handle_timeout`) and gives out what to send (`poll_transmit`, and the frames
//! [`Client::send`] returns), when to wake it (`poll_timeout`) and what happened
//! (`poll_event`), as typed [`Event`]s and [`Failure`]s that callers turn into their own
//! words.
//!
//! The flow: [`Client::allocate`] sends an Allocate; a 401 challenge (and later a 438 stale
//! nonce) is answered with the credentials and the request goes again; a success is an
//! [`Allocation`]. [`Client::create_permission`] and [`Client::channel_bind`] open the relay
//! to a peer; [`Client::send`] frames data to it (ChannelData once a channel is bound, a Send
//! indication otherwise) and [`Client::handle_input`] hands back what the peer sent (Data
//! indications and ChannelData), borrowed from the datagram — no allocation per packet.
//! Allocation, permissions and channels are refreshed before they expire
//! ([`Config::auto_refresh`]); [`Client::release`] ends the allocation with a Refresh of
//! LIFETIME 0. A 300 Try Alternate ends the client with [`Failure::TryAlternate`]: following it
//! (a new client, over a new connection on a stream) is the caller's decision.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use rtctool::core::stun::{attr, Class, Message, MessageBuilder, Method};
//! use rtctool::core::transact::{LongTermAuth, TransactionId};
//! use rtctool::core::turn::{Carrier, Client, Config, Event};
//!
//! let server = "192.0.2.1:3478".parse().unwrap();
//! let mut config = Config::new(server, Carrier::Datagram);
//! config.auth = Some(LongTermAuth::new("alice", "secret"));
//! let t0 = Instant::now();
//! let mut client = Client::new(config, TransactionId::sequence(1));
//! client.allocate(t0, t0 + Duration::from_secs(3));
//! let request = client.poll_transmit().unwrap().to_vec();
//! let id = Message::new_checked(&request[..]).unwrap().transaction_id();
//!
//! // The server challenges; the client answers with the credentials.
//! let mut b = MessageBuilder::new(Class::ErrorResponse, Method::ALLOCATE, id);
//! b.error_code(401, "Unauthorized").text(attr::REALM, "example.org").text(attr::NONCE, "n1");
//! client.handle_input(b.as_bytes(), server, t0 + Duration::from_millis(20));
//! let signed = client.poll_transmit().unwrap();
//! assert!(Message::new_checked(signed).unwrap().attribute(attr::USERNAME).is_some());
//! assert!(client.poll_event().is_some());
//! ```

mod client;
pub mod probe;

pub use client::{
    Allocation, Carrier, ChannelError, Client, Config, Event, Failure, Input, Phase, Request, SendError,
    CHANNEL_REFRESH, FIRST_CHANNEL, LAST_CHANNEL, PERMISSION_REFRESH,
};
