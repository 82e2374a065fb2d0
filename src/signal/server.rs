//! The socket shell of `signal serve`: one tokio task per TCP connection reads one bounded
//! request, turns it into a call on the [`Channel`] and writes the answer; a parked hanging GET
//! waits on a oneshot that the channel's [`Actions`] fill.
//!
//! Every resource a client can make the server spend is bounded: connections (a semaphore;
//! past it a connection gets `503` and is closed), the time to send a request (head and body),
//! the head's size, the body's size (`413` before any of it is read), the time a response may
//! take to be read, members and queued messages (the channel's [`Limits`]).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, Semaphore};

use super::channel::{Actions, Channel, Limits, Posted, SignedIn, WaitId, Waited};
use crate::core::http::{self, Method, RequestHead, Response};

/// Largest request head.
pub const MAX_HEAD: usize = 8 * 1024;

/// The server's bounds and address.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Where to listen.
    pub listen: SocketAddr,
    /// Channel bounds.
    pub limits: Limits,
    /// Open connections at once (parked GETs included).
    pub max_connections: usize,
    /// Largest message body.
    pub max_body: usize,
    /// Time a client has to send its whole request, and to read the answer.
    pub request_timeout: Duration,
}

/// Something worth logging, as it happens.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum LogEvent {
    /// The server is listening.
    Listening {
        /// The bound address.
        address: String,
        /// Connections allowed at once.
        max_connections: usize,
    },
    /// A member signed in.
    SignedIn {
        /// Its id.
        id: u32,
        /// Its name.
        name: String,
        /// Members now.
        members: usize,
        /// The client's address.
        from: String,
    },
    /// A member left.
    Left {
        /// Its id.
        id: u32,
        /// Its name.
        name: String,
        /// signed-out, timed-out or lagged.
        why: &'static str,
        /// Members now.
        members: usize,
    },
    /// A message was relayed (its size only, never its body).
    Message {
        /// Sender.
        from: u32,
        /// Target.
        to: u32,
        /// Body bytes.
        bytes: usize,
        /// delivered, queued-full, unknown-target, unknown-sender or echo.
        outcome: &'static str,
    },
    /// A request refused (bad, too large, too slow, too many connections).
    Refused {
        /// The client's address.
        from: String,
        /// The status sent, or 0 when the connection was just closed.
        status: u16,
        /// Why.
        reason: String,
    },
}

/// Totals for the end of the run.
#[derive(Debug, Default, Serialize)]
pub struct Totals {
    /// Connections accepted.
    pub connections: u64,
    /// Sign-ins.
    pub sign_ins: u64,
    /// Messages relayed to another member.
    pub messages: u64,
    /// Their bytes.
    pub message_bytes: u64,
    /// Requests refused.
    pub refused: u64,
    /// Most members at once.
    pub peak_members: u64,
}

#[derive(Default)]
struct Counters {
    connections: AtomicU64,
    sign_ins: AtomicU64,
    messages: AtomicU64,
    message_bytes: AtomicU64,
    refused: AtomicU64,
    peak_members: AtomicU64,
}

struct State {
    channel: Channel,
    /// Parked GETs: their member and where to hand the answer.
    waiters: HashMap<WaitId, (u32, oneshot::Sender<Response>)>,
}

/// A running server's shared parts.
pub struct Server {
    cfg: ServerConfig,
    state: Mutex<State>,
    next_wait: AtomicU64,
    counters: Counters,
    log: Box<dyn Fn(LogEvent) + Send + Sync>,
    page: &'static str,
}

impl Server {
    /// A server for `cfg`, logging through `log`, serving `page` at `/`.
    pub fn new(cfg: ServerConfig, page: &'static str, log: Box<dyn Fn(LogEvent) + Send + Sync>) -> Arc<Self> {
        Arc::new(Server {
            state: Mutex::new(State { channel: Channel::new(cfg.limits), waiters: HashMap::new() }),
            cfg,
            next_wait: AtomicU64::new(1),
            counters: Counters::default(),
            log,
            page,
        })
    }

    /// The totals so far.
    pub fn totals(&self) -> Totals {
        let c = &self.counters;
        Totals {
            connections: c.connections.load(Ordering::Relaxed),
            sign_ins: c.sign_ins.load(Ordering::Relaxed),
            messages: c.messages.load(Ordering::Relaxed),
            message_bytes: c.message_bytes.load(Ordering::Relaxed),
            refused: c.refused.load(Ordering::Relaxed),
            peak_members: c.peak_members.load(Ordering::Relaxed),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Carry out what the channel asked for (outside its lock where it matters: sends on
    /// oneshots never block).
    fn apply(&self, state: &mut State, actions: Actions) {
        for (wait, response) in actions.answer {
            if let Some((id, tx)) = state.waiters.remove(&wait) {
                if let Err(response) = tx.send(response) {
                    // The GET's task is gone: its member reads this again.
                    state.channel.undeliverable(id, wait, response, Instant::now());
                }
            }
        }
        for wait in actions.close {
            state.waiters.remove(&wait);
        }
        let members = state.channel.len();
        for (id, name, why) in actions.left {
            (self.log)(LogEvent::Left { id, name, why: why.as_str(), members });
        }
    }

    /// Accept connections until `stop` resolves.
    pub async fn serve(self: Arc<Self>, listener: TcpListener, stop: impl std::future::Future<Output = ()>) {
        let permits = Arc::new(Semaphore::new(self.cfg.max_connections));
        let expiry = {
            let server = self.clone();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(Duration::from_secs(1));
                loop {
                    tick.tick().await;
                    let mut state = server.lock();
                    let mut actions = Actions::default();
                    state.channel.expire(Instant::now(), &mut actions);
                    server.apply(&mut state, actions);
                }
            })
        };
        tokio::pin!(stop);
        loop {
            let accepted = tokio::select! {
                a = listener.accept() => a,
                _ = &mut stop => break,
            };
            let (stream, peer) = match accepted {
                Ok(x) => x,
                Err(_) => {
                    // Out of file descriptors, usually: back off rather than spin.
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            };
            self.counters.connections.fetch_add(1, Ordering::Relaxed);
            let _ = stream.set_nodelay(true);
            match permits.clone().try_acquire_owned() {
                Ok(permit) => {
                    let server = self.clone();
                    tokio::spawn(async move {
                        server.connection(stream, peer).await;
                        drop(permit);
                    });
                }
                Err(_) => {
                    self.refuse(&peer, 503, "too many connections");
                    let timeout = self.cfg.request_timeout;
                    tokio::spawn(async move {
                        let r = Response::text(
                            "503 Service Unavailable",
                            "Too many connections; try again later.",
                        );
                        let mut stream = stream;
                        let _ = tokio::time::timeout(
                            timeout.min(Duration::from_secs(1)),
                            stream.write_all(&r.to_bytes()),
                        )
                        .await;
                    });
                }
            }
        }
        expiry.abort();
    }

    fn refuse(&self, peer: &SocketAddr, status: u16, reason: impl Into<String>) {
        self.counters.refused.fetch_add(1, Ordering::Relaxed);
        (self.log)(LogEvent::Refused { from: peer.to_string(), status, reason: reason.into() });
    }

    async fn connection(&self, mut stream: TcpStream, peer: SocketAddr) {
        let deadline = tokio::time::Instant::now() + self.cfg.request_timeout;
        let (head, body) = match tokio::time::timeout_at(deadline, self.read_request(&mut stream)).await {
            Ok(Ok(x)) => x,
            Ok(Err(refusal)) => {
                self.refuse(&peer, refusal.status, refusal.reason.clone());
                if let Some(r) = refusal.response {
                    self.write(&mut stream, &r).await;
                }
                return;
            }
            Err(_) => {
                self.refuse(&peer, 408, format!("the request took more than {:?}", self.cfg.request_timeout));
                let r = Response::text("408 Request Timeout", "The request took too long.");
                self.write(&mut stream, &r).await;
                return;
            }
        };
        let response = match self.route(&head, body, &peer, &mut stream).await {
            Some(r) => r,
            None => return,
        };
        self.write(&mut stream, &response).await;
    }

    async fn write(&self, stream: &mut TcpStream, response: &Response) -> bool {
        let bytes = response.to_bytes();
        let ok = matches!(
            tokio::time::timeout(self.cfg.request_timeout, stream.write_all(&bytes)).await,
            Ok(Ok(()))
        );
        if ok {
            let _ = tokio::time::timeout(Duration::from_secs(1), stream.shutdown()).await;
        }
        ok
    }

    /// Read one request head and, for a POST, its body.
    async fn read_request(&self, stream: &mut TcpStream) -> Result<(RequestHead, Vec<u8>), Refusal> {
        let mut buf = Vec::with_capacity(1024);
        let mut chunk = [0u8; 4096];
        let head = loop {
            match http::parse_request(&buf) {
                Ok(Some(head)) => break head,
                Ok(None) if buf.len() >= MAX_HEAD => {
                    return Err(Refusal::with(
                        431,
                        "431 Request Header Fields Too Large",
                        "the request head is too large",
                    ))
                }
                Ok(None) => {}
                Err(e) => return Err(Refusal::with(400, "400 Bad Request", e.to_string())),
            }
            let want = (MAX_HEAD + 1 - buf.len()).min(chunk.len());
            match stream.read(&mut chunk[..want]).await {
                Ok(0) | Err(_) if buf.is_empty() => return Err(Refusal::silent("closed before a request")),
                Ok(0) | Err(_) => return Err(Refusal::silent("closed in the middle of a request")),
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        };
        if head.method != Method::Post {
            return Ok((head, Vec::new()));
        }
        let Some(length) = head.content_length else {
            return Err(Refusal::with(411, "411 Length Required", "a POST without Content-Length"));
        };
        if length > self.cfg.max_body {
            return Err(Refusal::with(
                413,
                "413 Payload Too Large",
                format!("a body of {length} bytes (at most {})", self.cfg.max_body),
            ));
        }
        let mut body = buf.split_off(head.head_len.min(buf.len()));
        if body.len() > length {
            body.truncate(length);
        }
        body.reserve(length - body.len());
        while body.len() < length {
            let want = (length - body.len()).min(chunk.len());
            match stream.read(&mut chunk[..want]).await {
                Ok(0) | Err(_) => return Err(Refusal::silent("closed before the whole body came")),
                Ok(n) => body.extend_from_slice(&chunk[..n]),
            }
        }
        Ok((head, body))
    }

    /// Answer a request; `None` when the connection is finished already (a parked GET).
    async fn route(
        &self,
        head: &RequestHead,
        body: Vec<u8>,
        peer: &SocketAddr,
        stream: &mut TcpStream,
    ) -> Option<Response> {
        let gone = || Response::text("500 Error", "Peer most likely gone.");
        let now = Instant::now();
        match (head.method, head.path()) {
            (Method::Options, _) => Some(Response {
                status: "200 OK".into(),
                content_type: String::new(),
                pragma: None,
                body: vec![],
            }),
            (Method::Other, _) => {
                self.refuse(peer, 405, "an unknown method");
                Some(Response::text("405 Method Not Allowed", "GET, POST and OPTIONS only."))
            }
            (Method::Get, "/sign_in") => {
                let mut state = self.lock();
                let mut actions = Actions::default();
                let signed = state.channel.sign_in(head.query(), now, &mut actions);
                let members = state.channel.len();
                let name = match &signed {
                    SignedIn::Added(id, _) => state.channel.name(*id).unwrap_or_default().to_owned(),
                    SignedIn::Full => String::new(),
                };
                self.apply(&mut state, actions);
                drop(state);
                match signed {
                    SignedIn::Added(id, r) => {
                        self.counters.sign_ins.fetch_add(1, Ordering::Relaxed);
                        self.counters.peak_members.fetch_max(members as u64, Ordering::Relaxed);
                        (self.log)(LogEvent::SignedIn { id, name, members, from: peer.to_string() });
                        Some(r)
                    }
                    SignedIn::Full => {
                        self.refuse(
                            peer,
                            503,
                            format!(
                                "{}, the most allowed",
                                crate::core::units::count(members as u64, "member")
                            ),
                        );
                        Some(Response::text("503 Service Unavailable", "Too many peers signed in."))
                    }
                }
            }
            (_, "/wait") => {
                let Some(id) = head.param_u32("peer_id") else { return Some(gone()) };
                let wait = self.next_wait.fetch_add(1, Ordering::Relaxed);
                let (tx, rx) = oneshot::channel();
                let waited = {
                    let mut state = self.lock();
                    let mut actions = Actions::default();
                    let waited = state.channel.wait(id, wait, now, &mut actions);
                    if waited == Waited::Parked {
                        state.waiters.insert(wait, (id, tx));
                    }
                    self.apply(&mut state, actions);
                    waited
                };
                match waited {
                    Waited::Now(r) => Some(r),
                    Waited::Unknown => Some(gone()),
                    Waited::Parked => {
                        self.park(id, wait, rx, stream).await;
                        None
                    }
                }
            }
            (_, "/message") => {
                let (Some(from), Some(to)) = (head.param_u32("peer_id"), head.param_u32("to")) else {
                    return Some(gone());
                };
                let Some(content_type) = head.content_type.clone().filter(|t| !t.is_empty()) else {
                    self.refuse(peer, 400, "a message without Content-Type");
                    return Some(Response::text("400 Bad Request", "A message needs a Content-Type."));
                };
                if body.is_empty() {
                    self.refuse(peer, 400, "an empty message");
                    return Some(Response::text("400 Bad Request", "A message needs a body."));
                }
                let bytes = body.len();
                let posted = {
                    let mut state = self.lock();
                    let mut actions = Actions::default();
                    let posted = state.channel.message(from, to, &content_type, body, &mut actions, now);
                    self.apply(&mut state, actions);
                    posted
                };
                let outcome = match &posted {
                    Posted::Delivered => "delivered",
                    Posted::Echo(_) => "echo",
                    Posted::UnknownSender => "unknown-sender",
                    Posted::UnknownTarget => "unknown-target",
                    Posted::QueueFull => "queue-full",
                };
                (self.log)(LogEvent::Message { from, to, bytes, outcome });
                match posted {
                    Posted::Delivered => {
                        self.counters.messages.fetch_add(1, Ordering::Relaxed);
                        self.counters.message_bytes.fetch_add(bytes as u64, Ordering::Relaxed);
                        Some(Response::text("200 OK", ""))
                    }
                    Posted::Echo(r) => Some(r),
                    Posted::UnknownSender | Posted::UnknownTarget => Some(gone()),
                    Posted::QueueFull => {
                        self.counters.refused.fetch_add(1, Ordering::Relaxed);
                        Some(Response::text(
                            "503 Service Unavailable",
                            "The peer's queue is full; try again later.",
                        ))
                    }
                }
            }
            (_, "/sign_out") => {
                let Some(id) = head.param_u32("peer_id") else { return Some(gone()) };
                let mut state = self.lock();
                let mut actions = Actions::default();
                let known = state.channel.sign_out(id, now, &mut actions);
                self.apply(&mut state, actions);
                Some(if known { Response::text("200 OK", "") } else { gone() })
            }
            (Method::Get, "/quit") => {
                self.refuse(peer, 403, "GET /quit");
                Some(Response::text(
                    "403 Forbidden",
                    "rtctool signal serve does not stop on /quit; stop it with Ctrl-C or a signal.",
                ))
            }
            (Method::Get, "/" | "/index.html") if !self.page.is_empty() => Some(Response {
                status: "200 OK".into(),
                content_type: "text/html; charset=utf-8".into(),
                pragma: None,
                body: self.page.as_bytes().to_vec(),
            }),
            // Anything else gets the native server's own answer, word for word.
            _ => Some(Response {
                status: "500 Sorry".into(),
                content_type: "text/html".into(),
                pragma: None,
                body: b"<html><body>Sorry, not yet implemented</body></html>".to_vec(),
            }),
        }
    }

    /// Hold a parked GET until the channel answers it or its client goes away.
    async fn park(&self, id: u32, wait: WaitId, mut rx: oneshot::Receiver<Response>, stream: &mut TcpStream) {
        let mut probe = [0u8; 64];
        let answer = tokio::select! {
            r = &mut rx => r.ok(),
            // The client closed (or sent more, which a hanging GET must not).
            _ = stream.read(&mut probe) => rx.try_recv().ok(),
        };
        match answer {
            Some(response) => {
                if !self.write(stream, &response).await {
                    let mut state = self.lock();
                    state.channel.undeliverable(id, wait, response, Instant::now());
                }
            }
            None => {
                let mut state = self.lock();
                state.waiters.remove(&wait);
                state.channel.wait_closed(id, wait, Instant::now());
            }
        }
    }
}

/// Why a request was not served, and what (if anything) to answer.
struct Refusal {
    status: u16,
    reason: String,
    response: Option<Response>,
}

impl Refusal {
    fn with(status: u16, line: &str, reason: impl Into<String>) -> Self {
        let reason = reason.into();
        Refusal { status, response: Some(Response::text(line, format!("{reason}\n"))), reason }
    }

    fn silent(reason: &str) -> Self {
        Refusal { status: 0, reason: reason.to_owned(), response: None }
    }
}
