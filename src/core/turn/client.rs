//! The TURN client machine. See the [module documentation](super).

use std::collections::VecDeque;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use crate::core::stun::{
    attr, message_type, starts_channel_data, ChannelData, Class, IntegrityKey, Message, MessageBuilder,
    Method, PasswordAlgorithm, HEADER_LEN, MAGIC_COOKIE,
};
use crate::core::transact::{
    same_address, AuthFailure, AuthStep, LongTermAuth, Received, Response, Retransmit, State, Stray,
    Transaction, TransactionId, Unanswered,
};

/// REQUESTED-TRANSPORT: UDP (protocol number 17), the only one RFC 8656 defines.
const REQUESTED_UDP: [u8; 4] = [17, 0, 0, 0];
/// REQUESTED-ADDRESS-FAMILY: IPv6 (RFC 8656 §18.3).
const FAMILY_IPV6: [u8; 4] = [2, 0, 0, 0];
/// A permission lives 300 s (RFC 8656 §9); it is refreshed this long after it was made.
pub const PERMISSION_REFRESH: Duration = Duration::from_secs(240);
/// A channel binding lives 600 s (RFC 8656 §12); it is refreshed this long after it was made.
pub const CHANNEL_REFRESH: Duration = Duration::from_secs(540);
/// The first channel number handed out.
pub const FIRST_CHANNEL: u16 = 0x4000;
/// The last channel number of RFC 8656's range (0x4000-0x4FFF).
pub const LAST_CHANNEL: u16 = 0x4FFF;
/// The allocation lifetime assumed when a success response lacks LIFETIME (RFC 8656 §7.2).
const DEFAULT_LIFETIME: u32 = 600;

/// How the client reaches the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Carrier {
    /// UDP: requests are retransmitted (RFC 8489 §6.2.1), responses must come from the server.
    Datagram,
    /// TCP or TLS: each request is sent once (the transport retransmits) and ChannelData is
    /// padded to 4 bytes (RFC 8656 §12.5). The caller frames the stream
    /// ([`crate::core::stun::frame_len`]) and feeds whole frames.
    Stream,
}

/// What the client asks for.
#[derive(Debug, Clone)]
pub struct Config {
    /// The server's address.
    pub server: SocketAddr,
    /// UDP, or a stream.
    pub carrier: Carrier,
    /// Long-term credentials; `None` sends unauthenticated requests (a server that wants
    /// credentials fails them with [`Failure::NeedsCredentials`]).
    pub auth: Option<LongTermAuth>,
    /// SOFTWARE of the requests.
    pub software: Option<String>,
    /// The initial retransmission timeout over UDP.
    pub rto: Duration,
    /// Ask for an IPv6 relayed address (REQUESTED-ADDRESS-FAMILY).
    pub ipv6_relay: bool,
    /// LIFETIME asked for in Allocate and Refresh requests (the server's default otherwise).
    pub lifetime: Option<u32>,
    /// How long a request made without a deadline of its own (refresh, permission, channel)
    /// waits for its answer.
    pub request_timeout: Duration,
    /// Refresh the allocation, permissions and channels before they expire.
    pub auto_refresh: bool,
}

impl Config {
    /// No credentials, RTO 500 ms (RFC 8489's), requests bounded by 5 s, refreshes on.
    pub fn new(server: SocketAddr, carrier: Carrier) -> Self {
        Config {
            server,
            carrier,
            auth: None,
            software: None,
            rto: Duration::from_millis(500),
            ipv6_relay: false,
            lifetime: None,
            request_timeout: Duration::from_secs(5),
            auto_refresh: true,
        }
    }
}

/// A request the client makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    /// Allocate.
    Allocate,
    /// Refresh with a nonzero LIFETIME.
    Refresh,
    /// Refresh with LIFETIME 0: the release.
    Release,
    /// CreatePermission for a peer address.
    CreatePermission(IpAddr),
    /// ChannelBind of a channel number to a peer.
    ChannelBind {
        /// The channel number.
        channel: u16,
        /// The peer.
        peer: SocketAddr,
    },
}

impl Request {
    /// The STUN method.
    pub fn method(self) -> Method {
        match self {
            Request::Allocate => Method::ALLOCATE,
            Request::Refresh | Request::Release => Method::REFRESH,
            Request::CreatePermission(_) => Method::CREATE_PERMISSION,
            Request::ChannelBind { .. } => Method::CHANNEL_BIND,
        }
    }

    /// The method's name, as the RFC spells it.
    pub fn name(self) -> &'static str {
        match self {
            Request::Allocate => "Allocate",
            Request::Refresh | Request::Release => "Refresh",
            Request::CreatePermission(_) => "CreatePermission",
            Request::ChannelBind { .. } => "ChannelBind",
        }
    }
}

/// An allocation the server made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Allocation {
    /// XOR-RELAYED-ADDRESS: where peers send to reach us.
    pub relayed: SocketAddr,
    /// XOR-MAPPED-ADDRESS: our address as the server sees it (absent from some servers).
    pub mapped: Option<SocketAddr>,
    /// LIFETIME in seconds, when the server said.
    pub lifetime: Option<u32>,
}

/// Why a request failed, as facts for the caller to put in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// No answer that counts (see [`Unanswered`] for what did arrive).
    NoAnswer(Unanswered),
    /// The server wants credentials and none were given (401, with its realm).
    NeedsCredentials {
        /// The error code.
        code: u16,
        /// The reason phrase.
        reason: String,
        /// REALM of the challenge.
        realm: Option<String>,
    },
    /// The credentials were refused, or the challenge could not be answered.
    Auth {
        /// The error code.
        code: u16,
        /// The reason phrase.
        reason: String,
        /// What went wrong.
        failure: AuthFailure,
    },
    /// 300 Try Alternate: the server sends us elsewhere (ALTERNATE-SERVER, when it said).
    TryAlternate {
        /// ALTERNATE-SERVER.
        alternate: Option<SocketAddr>,
    },
    /// Another error response (403, 437, 440, 442, 486, 508...).
    Error {
        /// The error code.
        code: u16,
        /// The reason phrase.
        reason: String,
    },
    /// A success response that lacks what it must carry.
    Malformed(&'static str),
    /// The transport failed (ICMP unreachable, a send error, the connection closed).
    Transport(String),
    /// The request could not be built (a bug, reported rather than hidden).
    Internal(String),
}

impl Failure {
    /// The STUN error code, when the server answered with one.
    pub fn code(&self) -> Option<u16> {
        match self {
            Failure::NeedsCredentials { code, .. }
            | Failure::Auth { code, .. }
            | Failure::Error { code, .. } => Some(*code),
            Failure::TryAlternate { .. } => Some(300),
            _ => None,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::NoAnswer(Unanswered::Silent(t)) => write!(f, "{t}"),
            Failure::NoAnswer(Unanswered::Unrelated(t, u)) => write!(f, "{t}, but {u}"),
            Failure::NoAnswer(Unanswered::WrongSource { from }) => {
                write!(f, "the answer came from {from} and was refused")
            }
            Failure::NoAnswer(Unanswered::Integrity) => f.write_str("the answer failed MESSAGE-INTEGRITY"),
            Failure::NoAnswer(Unanswered::Refused(s)) => {
                write!(f, "the only answer {} and was refused", s.reason)
            }
            Failure::NeedsCredentials { code, reason, .. } => {
                write!(f, "{code} {reason} (credentials needed)")
            }
            Failure::Auth { failure, .. } => write!(f, "{failure}"),
            Failure::TryAlternate { alternate: Some(a) } => write!(f, "300 Try Alternate to {a}"),
            Failure::TryAlternate { alternate: None } => {
                f.write_str("Try Alternate without ALTERNATE-SERVER")
            }
            Failure::Error { code, reason } => write!(f, "{code} {reason}"),
            Failure::Malformed(what) => f.write_str(what),
            Failure::Transport(why) | Failure::Internal(why) => f.write_str(why),
        }
    }
}

/// What happened, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A request went out (the first transmission of a new transaction).
    Requested {
        /// Which.
        request: Request,
        /// Whether it carries the credentials.
        authenticated: bool,
    },
    /// A response counted (success or error), before its consequences below.
    Answered {
        /// To which request.
        request: Request,
        /// The response, with its round-trip time.
        response: Response,
    },
    /// A reply with the request's transaction id did not count; the request waits on.
    Refused {
        /// Which request.
        request: Request,
        /// What arrived and why it was refused.
        stray: Stray,
    },
    /// A 401 challenge or a 438 stale nonce was taken: the request goes again, signed.
    Challenged {
        /// Which request.
        request: Request,
        /// 401 or 438.
        code: u16,
        /// The password algorithm in use.
        algorithm: PasswordAlgorithm,
    },
    /// The allocation was made.
    Allocated(Allocation),
    /// The allocation was refreshed, for this many seconds.
    Refreshed {
        /// LIFETIME granted.
        lifetime: u32,
    },
    /// A permission was installed (or refreshed).
    PermissionCreated(IpAddr),
    /// A channel was bound (or refreshed).
    ChannelBound {
        /// The channel number.
        channel: u16,
        /// The peer.
        peer: SocketAddr,
    },
    /// The allocation was released.
    Released,
    /// A request failed. A failed Allocate, Release or a Refresh answered 437 ends the client.
    Failed {
        /// Which request.
        request: Request,
        /// Why.
        failure: Failure,
    },
}

/// What [`Client::handle_input`] made of a datagram or stream frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input<'a> {
    /// Data a peer sent through the relay.
    Data {
        /// The peer.
        peer: SocketAddr,
        /// The data, borrowed from the input.
        data: &'a [u8],
        /// The channel it came on; `None`: a Data indication.
        channel: Option<u16>,
    },
    /// A response (or another message) for the client: see [`Client::poll_event`].
    Handled,
    /// Not the client's: another source, or not TURN.
    NotOurs,
}

/// Where the client is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Nothing asked yet.
    Idle,
    /// The Allocate is under way.
    Allocating,
    /// There is an allocation.
    Allocated,
    /// The release is under way.
    Releasing,
    /// Over: released, failed or abandoned.
    Closed,
}

/// Why data cannot be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendError {
    /// There is no allocation.
    NotAllocated,
    /// No permission for the peer's address is installed yet.
    NoPermission(IpAddr),
    /// More data than one datagram can carry.
    TooLong(usize),
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendError::NotAllocated => f.write_str("there is no allocation"),
            SendError::NoPermission(ip) => write!(f, "no permission for {ip} is installed"),
            SendError::TooLong(n) => write!(f, "{n} bytes do not fit in one TURN message"),
        }
    }
}

impl std::error::Error for SendError {}

/// Why a channel cannot be bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelError {
    /// There is no allocation.
    NotAllocated,
    /// Every channel number of the range is in use.
    Exhausted,
}

impl fmt::Display for ChannelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChannelError::NotAllocated => f.write_str("there is no allocation"),
            ChannelError::Exhausted => f.write_str("every channel number is in use"),
        }
    }
}

impl std::error::Error for ChannelError {}

#[derive(Debug)]
struct Pending {
    request: Request,
    tx: Transaction,
    signed: bool,
    until: Instant,
}

#[derive(Debug)]
struct Permission {
    peer: IpAddr,
    installed: bool,
    refresh_at: Option<Instant>,
}

#[derive(Debug)]
struct Channel {
    number: u16,
    peer: SocketAddr,
    bound: bool,
    refresh_at: Option<Instant>,
}

/// One TURN allocation. See the [module documentation](super).
#[derive(Debug)]
pub struct Client {
    config: Config,
    auth: Option<LongTermAuth>,
    ids: TransactionId,
    phase: Phase,
    pending: Vec<Pending>,
    refresh_at: Option<Instant>,
    permissions: Vec<Permission>,
    channels: Vec<Channel>,
    next_channel: u16,
    events: VecDeque<Event>,
    transmissions: u32,
    /// Indications are not retransmitted or matched: their ids count up from a random base.
    indication_base: [u8; 12],
    indications: u64,
    /// The frame [`Client::send`] builds, reused: no allocation per packet.
    scratch: Vec<u8>,
}

impl Client {
    /// A client that has asked nothing yet.
    pub fn new(mut config: Config, mut ids: TransactionId) -> Self {
        let auth = config.auth.take();
        let indication_base = ids.next_id();
        Client {
            config,
            auth,
            ids,
            phase: Phase::Idle,
            pending: Vec::new(),
            refresh_at: None,
            permissions: Vec::new(),
            channels: Vec::new(),
            next_channel: FIRST_CHANNEL,
            events: VecDeque::new(),
            transmissions: 0,
            indication_base,
            indications: 0,
            scratch: Vec::new(),
        }
    }

    /// The server.
    pub fn server(&self) -> SocketAddr {
        self.config.server
    }

    /// Where the client is.
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// How many times requests were sent, retransmissions included, over the client's life.
    pub fn transmissions(&self) -> u32 {
        self.transmissions + self.pending.iter().map(|p| p.tx.transmissions()).sum::<u32>()
    }

    /// Whether a request with this transaction id is waiting for its answer.
    pub fn is_waiting_for(&self, id: &[u8; 12]) -> bool {
        self.pending.iter().any(|p| &p.tx.id() == id)
    }

    /// The channel bound to a peer, once the server confirmed it.
    pub fn channel_of(&self, peer: SocketAddr) -> Option<u16> {
        self.channels.iter().find(|c| c.bound && same_address(c.peer, peer)).map(|c| c.number)
    }

    /// Whether a permission for the peer's address is installed.
    pub fn has_permission(&self, peer: IpAddr) -> bool {
        self.permissions.iter().any(|p| p.installed && p.peer == peer)
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Ask for the allocation; the Allocate and its retries after a challenge are bounded by
    /// `until`. Does nothing unless the client is idle.
    pub fn allocate(&mut self, now: Instant, until: Instant) {
        if self.phase != Phase::Idle {
            return;
        }
        self.phase = Phase::Allocating;
        self.start(Request::Allocate, until, now);
    }

    /// Release the allocation (Refresh with LIFETIME 0), bounded by `until`; requests still
    /// in flight are dropped. Returns whether a release went out: without an allocation there
    /// is nothing to release and the client just closes (an Allocate still in flight may have
    /// made one; it expires with its lifetime).
    pub fn release(&mut self, now: Instant, until: Instant) -> bool {
        match self.phase {
            Phase::Allocated => {
                self.drop_pending();
                self.phase = Phase::Releasing;
                self.start(Request::Release, until, now);
                true
            }
            Phase::Releasing => true,
            _ => {
                self.abandon();
                false
            }
        }
    }

    /// Stop at once, without a word to the server: requests in flight are dropped, no event
    /// follows (the caller says why in its own terms: a closed connection, Ctrl-C).
    pub fn abandon(&mut self) {
        self.drop_pending();
        self.phase = Phase::Closed;
        self.refresh_at = None;
    }

    /// Refresh the allocation now (with [`Config::lifetime`], or the server's default).
    pub fn refresh(&mut self, now: Instant) -> Result<(), SendError> {
        if self.phase != Phase::Allocated {
            return Err(SendError::NotAllocated);
        }
        if !self.pending.iter().any(|p| p.request == Request::Refresh) {
            let until = now + self.config.request_timeout;
            self.start(Request::Refresh, until, now);
        }
        Ok(())
    }

    /// Install a permission for a peer's address (refreshed every [`PERMISSION_REFRESH`]).
    pub fn create_permission(&mut self, peer: IpAddr, now: Instant) -> Result<(), SendError> {
        if self.phase != Phase::Allocated {
            return Err(SendError::NotAllocated);
        }
        let peer = peer.to_canonical();
        if self.permissions.iter().any(|p| p.peer == peer) {
            return Ok(());
        }
        self.permissions.push(Permission { peer, installed: false, refresh_at: None });
        let until = now + self.config.request_timeout;
        self.start(Request::CreatePermission(peer), until, now);
        Ok(())
    }

    /// Bind a channel to a peer (which also installs its permission); returns its number. A
    /// peer already bound, or being bound, keeps its channel.
    pub fn channel_bind(&mut self, peer: SocketAddr, now: Instant) -> Result<u16, ChannelError> {
        if self.phase != Phase::Allocated {
            return Err(ChannelError::NotAllocated);
        }
        if let Some(c) = self.channels.iter().find(|c| same_address(c.peer, peer)) {
            return Ok(c.number);
        }
        if self.next_channel > LAST_CHANNEL {
            return Err(ChannelError::Exhausted);
        }
        let channel = self.next_channel;
        self.next_channel += 1;
        self.channels.push(Channel { number: channel, peer, bound: false, refresh_at: None });
        let until = now + self.config.request_timeout;
        self.start(Request::ChannelBind { channel, peer }, until, now);
        Ok(channel)
    }

    /// Frame data for a peer: ChannelData when a channel is bound to it, a Send indication
    /// when only a permission is. The frame is to be sent to the server now; it lives in a
    /// buffer the next call reuses.
    pub fn send(&mut self, peer: SocketAddr, data: &[u8]) -> Result<&[u8], SendError> {
        if self.phase != Phase::Allocated {
            return Err(SendError::NotAllocated);
        }
        match self.channel_of(peer) {
            Some(channel) => self.channel_data(channel, data),
            None => self.send_indication(peer, data),
        }
    }

    /// Frame data for a peer as a Send indication, even when a channel is bound.
    pub fn send_indication(&mut self, peer: SocketAddr, data: &[u8]) -> Result<&[u8], SendError> {
        if self.phase != Phase::Allocated {
            return Err(SendError::NotAllocated);
        }
        if !self.has_permission(peer.ip().to_canonical()) {
            return Err(SendError::NoPermission(peer.ip()));
        }
        let address_len = if peer.is_ipv4() { 8 } else { 20 };
        let padded = data.len().next_multiple_of(4);
        let body = 4 + address_len + 4 + padded;
        if body > usize::from(u16::MAX) - 4 {
            return Err(SendError::TooLong(data.len()));
        }
        self.indications = self.indications.wrapping_add(1);
        let mut id = self.indication_base;
        for (b, c) in id[4..].iter_mut().zip(self.indications.to_be_bytes()) {
            *b ^= c;
        }
        let b = &mut self.scratch;
        b.clear();
        b.extend_from_slice(&message_type(Class::Indication, Method::SEND).to_be_bytes());
        b.extend_from_slice(&(body as u16).to_be_bytes());
        b.extend_from_slice(&MAGIC_COOKIE.to_be_bytes());
        b.extend_from_slice(&id);
        b.extend_from_slice(&attr::XOR_PEER_ADDRESS.to_be_bytes());
        b.extend_from_slice(&(address_len as u16).to_be_bytes());
        b.push(0);
        let port = peer.port() ^ (MAGIC_COOKIE >> 16) as u16;
        match peer.ip() {
            IpAddr::V4(ip) => {
                b.push(1);
                b.extend_from_slice(&port.to_be_bytes());
                b.extend_from_slice(&(u32::from(ip) ^ MAGIC_COOKIE).to_be_bytes());
            }
            IpAddr::V6(ip) => {
                b.push(2);
                b.extend_from_slice(&port.to_be_bytes());
                let mut key = [0u8; 16];
                key[..4].copy_from_slice(&MAGIC_COOKIE.to_be_bytes());
                key[4..].copy_from_slice(&id);
                for (o, k) in ip.octets().iter().zip(key) {
                    b.push(o ^ k);
                }
            }
        }
        b.extend_from_slice(&attr::DATA.to_be_bytes());
        b.extend_from_slice(&(data.len() as u16).to_be_bytes());
        b.extend_from_slice(data);
        b.resize(HEADER_LEN + body, 0);
        Ok(&self.scratch)
    }

    fn channel_data(&mut self, channel: u16, data: &[u8]) -> Result<&[u8], SendError> {
        let Ok(len) = u16::try_from(data.len()) else { return Err(SendError::TooLong(data.len())) };
        let b = &mut self.scratch;
        b.clear();
        b.extend_from_slice(&channel.to_be_bytes());
        b.extend_from_slice(&len.to_be_bytes());
        b.extend_from_slice(data);
        if self.config.carrier == Carrier::Stream {
            b.resize((4 + data.len()).next_multiple_of(4), 0);
        }
        Ok(&self.scratch)
    }

    /// A datagram (or a whole stream frame) that arrived from `from` at `now`.
    pub fn handle_input<'a>(&mut self, bytes: &'a [u8], from: SocketAddr, now: Instant) -> Input<'a> {
        if self.config.carrier == Carrier::Datagram && !same_address(from, self.config.server) {
            return Input::NotOurs;
        }
        let Some(&first) = bytes.first() else { return Input::NotOurs };
        if starts_channel_data(first) {
            let Ok(frame) = ChannelData::new_checked(bytes) else { return Input::NotOurs };
            let channel = frame.channel();
            let Some(c) = self.channels.iter().find(|c| c.number == channel && c.bound) else {
                return Input::NotOurs;
            };
            return Input::Data { peer: c.peer, data: frame.into_data(), channel: Some(channel) };
        }
        let Ok(msg) = Message::new_checked(bytes) else { return Input::NotOurs };
        match msg.class() {
            Class::Indication if msg.method() == Method::DATA => {
                let Some(peer) = msg.address(attr::XOR_PEER_ADDRESS) else { return Input::NotOurs };
                let data = msg.into_attributes().filter_map(Result::ok).find(|a| a.typ == attr::DATA);
                match data {
                    Some(a) => Input::Data { peer, data: a.value, channel: None },
                    None => Input::NotOurs,
                }
            }
            Class::SuccessResponse | Class::ErrorResponse => {
                let id = msg.transaction_id();
                let Some(i) = self.pending.iter().position(|p| p.tx.id() == id) else {
                    return Input::NotOurs;
                };
                match self.pending[i].tx.handle_input(bytes, from, now) {
                    Received::Answered => {
                        let pending = self.pending.swap_remove(i);
                        self.transmissions += pending.tx.transmissions();
                        if let State::Answered(response) = pending.tx.state() {
                            let response = response.clone();
                            self.on_response(pending, response, now);
                        }
                        Input::Handled
                    }
                    Received::Refused(stray) => {
                        let request = self.pending[i].request;
                        self.events.push_back(Event::Refused { request, stray });
                        Input::Handled
                    }
                    Received::NotOurs | Received::Late => Input::NotOurs,
                }
            }
            _ => Input::NotOurs,
        }
    }

    /// The transport failed (ICMP unreachable, a send error): every request in flight fails
    /// with [`Failure::Transport`].
    pub fn handle_transport_error(&mut self, why: &str, now: Instant) {
        let pending = std::mem::take(&mut self.pending);
        for p in pending {
            self.transmissions += p.tx.transmissions();
            self.fail(p.request, Failure::Transport(why.to_string()), now);
        }
    }

    /// Let time pass: retransmissions fall due, requests time out, refreshes start.
    pub fn handle_timeout(&mut self, now: Instant) {
        let mut i = 0;
        while i < self.pending.len() {
            self.pending[i].tx.handle_timeout(now);
            if let State::TimedOut(t) = self.pending[i].tx.state() {
                let why = Unanswered::of(t, self.pending[i].tx.strays());
                let p = self.pending.swap_remove(i);
                self.transmissions += p.tx.transmissions();
                self.fail(p.request, Failure::NoAnswer(why), now);
            } else {
                i += 1;
            }
        }
        if !self.config.auto_refresh || self.phase != Phase::Allocated {
            return;
        }
        if self.refresh_at.is_some_and(|t| now >= t) {
            self.refresh_at = None;
            let _ = self.refresh(now);
        }
        let until = now + self.config.request_timeout;
        for i in 0..self.permissions.len() {
            if self.permissions[i].refresh_at.is_some_and(|t| now >= t) {
                self.permissions[i].refresh_at = None;
                let peer = self.permissions[i].peer;
                self.start(Request::CreatePermission(peer), until, now);
            }
        }
        for i in 0..self.channels.len() {
            if self.channels[i].refresh_at.is_some_and(|t| now >= t) {
                self.channels[i].refresh_at = None;
                let (channel, peer) = (self.channels[i].number, self.channels[i].peer);
                self.start(Request::ChannelBind { channel, peer }, until, now);
            }
        }
    }

    /// The next instant [`Client::handle_timeout`] is needed.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let tx = self.pending.iter().filter_map(|p| p.tx.poll_timeout()).min();
        if !self.config.auto_refresh || self.phase != Phase::Allocated {
            return tx;
        }
        let timers = self
            .permissions
            .iter()
            .map(|p| p.refresh_at)
            .chain(self.channels.iter().map(|c| c.refresh_at))
            .chain([self.refresh_at])
            .flatten()
            .min();
        [tx, timers].into_iter().flatten().min()
    }

    /// The next request (re)transmission due, to send to the server.
    pub fn poll_transmit(&mut self) -> Option<&[u8]> {
        self.pending.iter_mut().find_map(|p| p.tx.poll_transmit())
    }

    fn drop_pending(&mut self) {
        for p in self.pending.drain(..) {
            self.transmissions += p.tx.transmissions();
        }
    }

    fn build(&mut self, request: Request) -> (Vec<u8>, Option<IntegrityKey>, bool) {
        let mut b = MessageBuilder::new(Class::Request, request.method(), self.ids.next_id());
        match request {
            Request::Allocate => {
                b.raw(attr::REQUESTED_TRANSPORT, &REQUESTED_UDP);
                if self.config.ipv6_relay {
                    b.raw(attr::REQUESTED_ADDRESS_FAMILY, &FAMILY_IPV6);
                }
                if let Some(l) = self.config.lifetime {
                    b.u32(attr::LIFETIME, l);
                }
            }
            Request::Refresh => {
                if let Some(l) = self.config.lifetime {
                    b.u32(attr::LIFETIME, l);
                }
            }
            Request::Release => {
                b.u32(attr::LIFETIME, 0);
            }
            Request::CreatePermission(peer) => {
                b.xor_address(attr::XOR_PEER_ADDRESS, SocketAddr::new(peer, 0));
            }
            Request::ChannelBind { channel, peer } => {
                let mut number = [0u8; 4];
                number[..2].copy_from_slice(&channel.to_be_bytes());
                b.raw(attr::CHANNEL_NUMBER, &number);
                b.xor_address(attr::XOR_PEER_ADDRESS, peer);
            }
        }
        if let Some(s) = &self.config.software {
            b.text(attr::SOFTWARE, s);
        }
        let (mut key, mut signed) = (None, false);
        if let Some(auth) = self.auth.as_mut().filter(|a| a.is_ready()) {
            auth.sign(&mut b);
            key = auth.key().cloned();
            signed = true;
        }
        b.fingerprint();
        (b.finish(), key, signed)
    }

    fn start(&mut self, request: Request, until: Instant, now: Instant) {
        let (bytes, key, signed) = self.build(request);
        let left = until.saturating_duration_since(now);
        // Over a stream the request is sent once (RFC 8489 §6.2.2): the transport retransmits.
        let schedule = match self.config.carrier {
            Carrier::Datagram => Retransmit::new(self.config.rto, 7, 16).with_limit(left),
            Carrier::Stream => Retransmit::new(left, 1, 1).with_limit(left),
        };
        match Transaction::new(bytes, self.config.server, schedule, now) {
            Ok(tx) => {
                let tx = match key {
                    Some(k) => tx.with_key(k),
                    None => tx,
                };
                self.pending.push(Pending { request, tx, signed, until });
                self.events.push_back(Event::Requested { request, authenticated: signed });
            }
            Err(e) => self.fail(request, Failure::Internal(format!("internal error: {e}")), now),
        }
    }

    fn on_response(&mut self, pending: Pending, response: Response, now: Instant) {
        let request = pending.request;
        let error = response.error().map(|(code, reason)| (code, reason.trim().to_string()));
        self.events.push_back(Event::Answered { request, response: response.clone() });
        let Some((code, reason)) = error else {
            if pending.signed {
                if let Some(auth) = self.auth.as_mut() {
                    auth.handle_success();
                }
            }
            return self.on_success(request, &response, now);
        };
        if matches!(code, 401 | 438 | 441) {
            let Some(auth) = self.auth.as_mut() else {
                let realm = response.text(attr::REALM);
                return self.fail(request, Failure::NeedsCredentials { code, reason, realm }, now);
            };
            match auth.handle_error(&response.message()) {
                AuthStep::Retry => {
                    let algorithm = auth.algorithm();
                    self.events.push_back(Event::Challenged { request, code, algorithm });
                    return self.start(request, pending.until, now);
                }
                AuthStep::Failed(failure) => {
                    return self.fail(request, Failure::Auth { code, reason, failure }, now);
                }
                AuthStep::NotAuth => {}
            }
        }
        let failure = if code == 300 && request == Request::Allocate {
            Failure::TryAlternate { alternate: response.address(attr::ALTERNATE_SERVER) }
        } else {
            Failure::Error { code, reason }
        };
        self.fail(request, failure, now);
    }

    fn on_success(&mut self, request: Request, response: &Response, now: Instant) {
        let lifetime = response
            .message()
            .attribute(attr::LIFETIME)
            .and_then(|a| <[u8; 4]>::try_from(a.value).ok().map(u32::from_be_bytes));
        match request {
            Request::Allocate => {
                let Some(relayed) = response.address(attr::XOR_RELAYED_ADDRESS) else {
                    return self.fail(
                        request,
                        Failure::Malformed("Allocate success without XOR-RELAYED-ADDRESS"),
                        now,
                    );
                };
                let mapped = response.mapped_address();
                self.phase = Phase::Allocated;
                self.refresh_at = Some(now + refresh_after(lifetime.unwrap_or(DEFAULT_LIFETIME)));
                self.events.push_back(Event::Allocated(Allocation { relayed, mapped, lifetime }));
            }
            Request::Refresh => {
                let lifetime = lifetime.unwrap_or(DEFAULT_LIFETIME);
                self.refresh_at = Some(now + refresh_after(lifetime));
                self.events.push_back(Event::Refreshed { lifetime });
            }
            Request::Release => {
                self.phase = Phase::Closed;
                self.refresh_at = None;
                self.events.push_back(Event::Released);
            }
            Request::CreatePermission(peer) => {
                if let Some(p) = self.permissions.iter_mut().find(|p| p.peer == peer) {
                    p.installed = true;
                    p.refresh_at = Some(now + PERMISSION_REFRESH);
                }
                self.events.push_back(Event::PermissionCreated(peer));
            }
            Request::ChannelBind { channel, peer } => {
                if let Some(c) = self.channels.iter_mut().find(|c| c.number == channel) {
                    c.bound = true;
                    c.refresh_at = Some(now + CHANNEL_REFRESH);
                }
                // A channel binding installs (or refreshes) the permission of its peer.
                let ip = peer.ip().to_canonical();
                match self.permissions.iter_mut().find(|p| p.peer == ip) {
                    Some(p) => p.installed = true,
                    None => self.permissions.push(Permission { peer: ip, installed: true, refresh_at: None }),
                }
                self.events.push_back(Event::ChannelBound { channel, peer });
            }
        }
    }

    fn fail(&mut self, request: Request, failure: Failure, _now: Instant) {
        match request {
            Request::Allocate | Request::Release => self.abandon(),
            Request::Refresh => {
                if failure.code() == Some(437) {
                    // The server no longer has the allocation.
                    self.abandon();
                }
            }
            Request::CreatePermission(peer) => {
                self.permissions.retain(|p| p.peer != peer || p.installed);
            }
            Request::ChannelBind { channel, .. } => {
                self.channels.retain(|c| c.number != channel || c.bound);
            }
        }
        self.events.push_back(Event::Failed { request, failure });
    }
}

/// When to refresh a grant of `lifetime` seconds: a minute before it ends, or half-way
/// through a short one.
fn refresh_after(lifetime: u32) -> Duration {
    let lifetime = u64::from(lifetime);
    Duration::from_secs(lifetime.saturating_sub(60).max(lifetime / 2).max(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::stun::{Check, IntegrityKey};

    const SERVER: &str = "192.0.2.1:3478";
    const RELAYED: &str = "192.0.2.1:50000";
    const MAPPED: &str = "198.51.100.7:40000";

    fn server() -> SocketAddr {
        SERVER.parse().unwrap()
    }

    /// A TURN server's answers, written out: a challenge for unsigned requests, then what
    /// `reply` says.
    struct Fake {
        key: IntegrityKey,
        requests: Vec<(Method, bool)>,
    }

    impl Fake {
        fn new(password: &str) -> Self {
            Fake {
                key: IntegrityKey::long_term("alice", "example.org", password, PasswordAlgorithm::Md5),
                requests: Vec::new(),
            }
        }

        /// Answer one request: 401 when unsigned, else a success (or `error`).
        fn answer(&mut self, request: &[u8], error: Option<(u16, &str)>) -> Vec<u8> {
            let msg = Message::new_checked(request).unwrap();
            let signed = msg.attribute(attr::USERNAME).is_some();
            self.requests.push((msg.method(), signed));
            let id = msg.transaction_id();
            if !signed {
                let mut b = MessageBuilder::new(Class::ErrorResponse, msg.method(), id);
                b.error_code(401, "Unauthorized").text(attr::REALM, "example.org").text(attr::NONCE, "n1");
                return b.finish();
            }
            if msg.check_integrity(&self.key) != Check::Ok {
                let mut b = MessageBuilder::new(Class::ErrorResponse, msg.method(), id);
                b.error_code(401, "Unauthorized").text(attr::REALM, "example.org").text(attr::NONCE, "n1");
                return b.finish();
            }
            if let Some((code, reason)) = error {
                let mut b = MessageBuilder::new(Class::ErrorResponse, msg.method(), id);
                b.error_code(code, reason);
                if code == 300 {
                    b.address(attr::ALTERNATE_SERVER, "192.0.2.2:3478".parse().unwrap());
                }
                b.message_integrity(&self.key);
                return b.finish();
            }
            let mut b = MessageBuilder::new(Class::SuccessResponse, msg.method(), id);
            if msg.method() == Method::ALLOCATE {
                b.xor_address(attr::XOR_RELAYED_ADDRESS, RELAYED.parse().unwrap());
                b.xor_address(attr::XOR_MAPPED_ADDRESS, MAPPED.parse().unwrap());
                b.u32(attr::LIFETIME, 600);
            } else if msg.method() == Method::REFRESH {
                let asked = msg
                    .attribute(attr::LIFETIME)
                    .map_or(600, |a| u32::from_be_bytes(a.value.try_into().unwrap()));
                b.u32(attr::LIFETIME, asked);
            }
            b.message_integrity(&self.key);
            b.fingerprint();
            b.finish()
        }
    }

    fn client(password: Option<&str>) -> Client {
        let mut config = Config::new(server(), Carrier::Datagram);
        config.auth = password.map(|p| LongTermAuth::new("alice", p));
        Client::new(config, TransactionId::sequence(1))
    }

    fn events(c: &mut Client) -> Vec<Event> {
        std::iter::from_fn(|| c.poll_event()).collect()
    }

    /// Run the exchange with the fake until the client has nothing more to send.
    fn exchange(c: &mut Client, fake: &mut Fake, error: Option<(u16, &str)>, now: Instant) {
        while let Some(request) = c.poll_transmit() {
            let answer = fake.answer(request, error);
            c.handle_input(&answer, server(), now);
        }
    }

    fn allocated(t0: Instant) -> (Client, Fake) {
        let mut c = client(Some("secret"));
        let mut fake = Fake::new("secret");
        c.allocate(t0, t0 + Duration::from_secs(3));
        exchange(&mut c, &mut fake, None, t0);
        assert_eq!(c.phase(), Phase::Allocated);
        events(&mut c);
        (c, fake)
    }

    #[test]
    fn allocate_answers_the_challenge() {
        let t0 = Instant::now();
        let mut c = client(Some("secret"));
        let mut fake = Fake::new("secret");
        c.allocate(t0, t0 + Duration::from_secs(3));
        exchange(&mut c, &mut fake, None, t0);
        assert_eq!(fake.requests, [(Method::ALLOCATE, false), (Method::ALLOCATE, true)]);
        let ev = events(&mut c);
        assert!(matches!(ev[0], Event::Requested { request: Request::Allocate, authenticated: false }));
        assert!(matches!(ev[2], Event::Challenged { code: 401, algorithm: PasswordAlgorithm::Md5, .. }));
        assert!(matches!(ev[3], Event::Requested { request: Request::Allocate, authenticated: true }));
        let want = Allocation {
            relayed: RELAYED.parse().unwrap(),
            mapped: Some(MAPPED.parse().unwrap()),
            lifetime: Some(600),
        };
        assert_eq!(ev.last(), Some(&Event::Allocated(want)));
        assert_eq!(c.transmissions(), 2);
    }

    #[test]
    fn credential_failures_are_typed() {
        let t0 = Instant::now();
        let mut c = client(None);
        c.allocate(t0, t0 + Duration::from_secs(3));
        exchange(&mut c, &mut Fake::new("secret"), None, t0);
        let Some(Event::Failed { failure: Failure::NeedsCredentials { code: 401, realm, .. }, .. }) =
            events(&mut c).pop()
        else {
            panic!("no NeedsCredentials")
        };
        assert_eq!(realm.as_deref(), Some("example.org"));
        assert_eq!(c.phase(), Phase::Closed);

        let mut c = client(Some("wrong"));
        c.allocate(t0, t0 + Duration::from_secs(3));
        exchange(&mut c, &mut Fake::new("secret"), None, t0);
        let last = events(&mut c).pop();
        assert!(
            matches!(
                last,
                Some(Event::Failed {
                    failure: Failure::Auth { failure: AuthFailure::Rejected { .. }, .. },
                    ..
                })
            ),
            "{last:?}"
        );
    }

    #[test]
    fn try_alternate_and_errors_end_the_client() {
        let t0 = Instant::now();
        let mut c = client(Some("secret"));
        c.allocate(t0, t0 + Duration::from_secs(3));
        exchange(&mut c, &mut Fake::new("secret"), Some((300, "Try Alternate")), t0);
        let last = events(&mut c).pop();
        let alternate = Some("192.0.2.2:3478".parse().unwrap());
        assert_eq!(
            last,
            Some(Event::Failed { request: Request::Allocate, failure: Failure::TryAlternate { alternate } })
        );

        let mut c = client(Some("secret"));
        c.allocate(t0, t0 + Duration::from_secs(3));
        exchange(&mut c, &mut Fake::new("secret"), Some((486, "Allocation Quota Reached")), t0);
        let Some(Event::Failed { failure, .. }) = events(&mut c).pop() else { panic!() };
        assert_eq!(failure.code(), Some(486));
        assert_eq!(c.phase(), Phase::Closed);
    }

    #[test]
    fn silence_times_out_with_retransmissions_and_strays_are_reported() {
        let t0 = Instant::now();
        let mut c = client(None);
        c.config.rto = Duration::from_millis(100);
        c.allocate(t0, t0 + Duration::from_secs(1));
        let first = c.poll_transmit().unwrap().to_vec();
        let id = Message::new_checked(&first[..]).unwrap().transaction_id();
        // An answer from elsewhere is not the client's (over UDP, only the server's count).
        let mut b = MessageBuilder::new(Class::SuccessResponse, Method::ALLOCATE, id);
        b.xor_address(attr::XOR_RELAYED_ADDRESS, RELAYED.parse().unwrap());
        assert_eq!(c.handle_input(b.as_bytes(), "192.0.2.9:3478".parse().unwrap(), t0), Input::NotOurs);
        // A wrong-method answer from the server is refused and reported.
        let wrong = MessageBuilder::new(Class::SuccessResponse, Method::REFRESH, id).finish();
        assert_eq!(c.handle_input(&wrong, server(), t0), Input::Handled);
        assert!(matches!(events(&mut c).last(), Some(Event::Refused { request: Request::Allocate, .. })));
        let mut now = t0;
        let mut sent = 1;
        while let Some(t) = c.poll_timeout() {
            now = t;
            c.handle_timeout(now);
            while c.poll_transmit().is_some() {
                sent += 1;
            }
        }
        assert!(sent > 2, "retransmitted");
        assert!(now <= t0 + Duration::from_secs(1));
        let Some(Event::Failed { failure: Failure::NoAnswer(Unanswered::Refused(_)), .. }) =
            events(&mut c).pop()
        else {
            panic!("the refused answer is the diagnosis")
        };
        assert_eq!(c.transmissions(), sent);
    }

    #[test]
    fn permission_channel_and_data_both_ways() {
        let t0 = Instant::now();
        let (mut c, mut fake) = allocated(t0);
        let peer: SocketAddr = "203.0.113.5:6000".parse().unwrap();
        assert_eq!(c.send(peer, b"x"), Err(SendError::NoPermission(peer.ip())));
        c.create_permission(peer.ip(), t0).unwrap();
        exchange(&mut c, &mut fake, None, t0);
        assert_eq!(events(&mut c).last(), Some(&Event::PermissionCreated(peer.ip())));

        // A Send indication that any STUN decoder reads back.
        let frame = c.send(peer, b"hello").unwrap().to_vec();
        let msg = Message::new_checked(&frame[..]).unwrap();
        assert_eq!((msg.class(), msg.method()), (Class::Indication, Method::SEND));
        assert_eq!(msg.address(attr::XOR_PEER_ADDRESS), Some(peer));
        assert_eq!(msg.attribute(attr::DATA).unwrap().value, b"hello");
        assert_eq!(frame.len(), 20 + 12 + 4 + 8);

        let channel = c.channel_bind(peer, t0).unwrap();
        assert_eq!(channel, FIRST_CHANNEL);
        assert_eq!(c.channel_bind(peer, t0), Ok(channel), "one channel per peer");
        exchange(&mut c, &mut fake, None, t0);
        assert_eq!(events(&mut c).last(), Some(&Event::ChannelBound { channel, peer }));
        assert_eq!(c.send(peer, b"abcde").unwrap(), [0x40, 0x00, 0x00, 0x05, b'a', b'b', b'c', b'd', b'e']);

        // What the peer sends comes back borrowed, on the channel and in Data indications.
        let incoming = [0x40, 0x00, 0x00, 0x02, 7, 8, 0, 0];
        assert_eq!(
            c.handle_input(&incoming, server(), t0),
            Input::Data { peer, data: &[7, 8], channel: Some(channel) }
        );
        let mut b = MessageBuilder::new(Class::Indication, Method::DATA, [9; 12]);
        b.xor_address(attr::XOR_PEER_ADDRESS, peer).raw(attr::DATA, b"pong");
        let bytes = b.finish();
        assert_eq!(c.handle_input(&bytes, server(), t0), Input::Data { peer, data: b"pong", channel: None });
        // An unbound channel is nobody's.
        assert_eq!(c.handle_input(&[0x40, 0x09, 0, 0], server(), t0), Input::NotOurs);
    }

    #[test]
    fn ipv6_send_indications_and_stream_padding() {
        let t0 = Instant::now();
        let (mut c, mut fake) = allocated(t0);
        let peer: SocketAddr = "[2001:db8::5]:6000".parse().unwrap();
        c.create_permission(peer.ip(), t0).unwrap();
        exchange(&mut c, &mut fake, None, t0);
        let frame = c.send(peer, &[1, 2, 3]).unwrap().to_vec();
        let msg = Message::new_checked(&frame[..]).unwrap();
        assert_eq!(msg.address(attr::XOR_PEER_ADDRESS), Some(peer));
        assert_eq!(msg.attribute(attr::DATA).unwrap().value, [1, 2, 3]);

        c.config.carrier = Carrier::Stream;
        let channel = c.channel_bind(peer, t0).unwrap();
        exchange(&mut c, &mut fake, None, t0);
        assert_eq!(c.send(peer, &[1]).unwrap(), [(channel >> 8) as u8, 0, 0, 1, 1, 0, 0, 0]);
    }

    #[test]
    fn refreshes_before_expiry_and_releases() {
        let t0 = Instant::now();
        let (mut c, mut fake) = allocated(t0);
        let peer: SocketAddr = "203.0.113.5:6000".parse().unwrap();
        c.channel_bind(peer, t0).unwrap();
        exchange(&mut c, &mut fake, None, t0);
        events(&mut c);
        // The channel (540 s) and the allocation (600 - 60 s) are due together.
        assert_eq!(c.poll_timeout(), Some(t0 + CHANNEL_REFRESH));
        c.handle_timeout(t0 + Duration::from_secs(539));
        assert!(c.poll_transmit().is_none(), "nothing early");
        c.handle_timeout(t0 + CHANNEL_REFRESH);
        exchange(&mut c, &mut fake, None, t0 + CHANNEL_REFRESH);
        let ev = events(&mut c);
        assert!(ev.contains(&Event::ChannelBound { channel: FIRST_CHANNEL, peer }), "{ev:?}");
        assert!(ev.contains(&Event::Refreshed { lifetime: 600 }), "{ev:?}");
        assert_eq!(c.poll_timeout(), Some(t0 + 2 * CHANNEL_REFRESH));

        let now = t0 + Duration::from_secs(541);
        assert!(c.release(now, now + Duration::from_secs(1)));
        exchange(&mut c, &mut fake, None, now);
        assert_eq!(events(&mut c).last(), Some(&Event::Released));
        assert_eq!(c.phase(), Phase::Closed);
        assert_eq!(c.poll_timeout(), None);
        let (method, _) = *fake.requests.last().unwrap();
        assert_eq!(method, Method::REFRESH);
    }

    #[test]
    fn a_refresh_answered_437_closes() {
        let t0 = Instant::now();
        let (mut c, mut fake) = allocated(t0);
        c.refresh(t0).unwrap();
        exchange(&mut c, &mut fake, Some((437, "Allocation Mismatch")), t0);
        assert!(matches!(events(&mut c).last(), Some(Event::Failed { request: Request::Refresh, .. })));
        assert_eq!(c.phase(), Phase::Closed);
        assert_eq!(c.send("203.0.113.5:6000".parse().unwrap(), b"x"), Err(SendError::NotAllocated));
    }
}
