//! `nat-type --tcp`: the mapping behaviour of TCP (RFC 5780 §4.3 over TCP). Three connections
//! leave from one local port (SO_REUSEADDR): to the server's primary address, to its alternate
//! IP with the primary port, and to the alternate IP and port; the mapped addresses are
//! compared as for UDP. Filtering has no TCP counterpart here (the server would have to
//! connect in), so only the mapping is found. Every step is bounded by the timeout.

use std::io::{self, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use serde::Serialize;
use socket2::{Domain, Protocol, Socket, Type};

use super::behavior::MappingBehavior;
use crate::core::stun::{
    attr, describe_not_stun, frame_len, Check, Class, Message, MessageBuilder, Method, StreamFrame,
};
use crate::core::transact::TransactionId;

/// One Binding transaction over its own TCP connection.
#[derive(Debug, Clone, Serialize)]
pub struct TcpTest {
    /// `tcp-1` (primary), `tcp-2` (alternate IP, primary port), `tcp-3` (alternate IP and port).
    pub name: &'static str,
    /// The local address of the connection.
    pub local_address: Option<SocketAddr>,
    /// Where it went.
    pub destination: SocketAddr,
    /// `answered`, `refused`, `timeout`, `error-response` or `failed`.
    pub outcome: &'static str,
    /// What happened, in words.
    pub detail: String,
    /// XOR-MAPPED-ADDRESS (or MAPPED-ADDRESS) of the answer.
    pub mapped_address: Option<SocketAddr>,
    /// OTHER-ADDRESS of the answer.
    pub other_address: Option<SocketAddr>,
    /// Connection set-up plus the transaction, in ms.
    pub elapsed_ms: f64,
}

/// The TCP mapping behaviour and its evidence (the `tcp` object of `nat-type --json`).
#[derive(Debug, Clone, Serialize)]
pub struct TcpMapping {
    /// The behaviour, or null when the tests could not decide it.
    pub mapping: Option<MappingBehavior>,
    /// Whether the first connection's mapped address differs from its local address.
    pub behind_nat: Option<bool>,
    /// Why the mapping is what it is (or unknown).
    pub evidence: String,
    /// The connections made.
    pub tests: Vec<TcpTest>,
    /// How long it took.
    pub done_ms: f64,
}

/// Find the TCP mapping behaviour against `server` (an RFC 5780 server listening on TCP),
/// leaving from `local_ip` (any address of the server's family when `None`).
pub fn measure(
    server: SocketAddr,
    local_ip: Option<IpAddr>,
    timeout: Duration,
    software: Option<&str>,
) -> TcpMapping {
    let started = Instant::now();
    let mut ids = TransactionId::random();
    let mut tests = Vec::new();
    let any =
        if server.is_ipv4() { IpAddr::V4(Ipv4Addr::UNSPECIFIED) } else { IpAddr::V6(Ipv6Addr::UNSPECIFIED) };
    let mut local = SocketAddr::new(local_ip.unwrap_or(any), 0);
    // Connections stay open until all are done, so each keeps its mapping meanwhile.
    let mut open = Vec::new();
    let mut run = |name: &'static str, to: SocketAddr, local: SocketAddr, tests: &mut Vec<TcpTest>| {
        let (test, stream) = binding(name, local, to, timeout, ids.next_id(), software);
        open.extend(stream);
        let result = (test.mapped_address, test.other_address, test.local_address);
        tests.push(test);
        result
    };
    let done = |mapping, behind_nat, evidence: String, tests| TcpMapping {
        mapping,
        behind_nat,
        evidence,
        tests,
        done_ms: crate::core::output::millis(started.elapsed()),
    };

    let (Some(m1), other, Some(l1)) = run("tcp-1", server, local, &mut tests) else {
        let why = format!("no answer over TCP from {server}: {}", tests[0].detail);
        return done(None, None, why, tests);
    };
    let behind_nat = Some(m1 != l1);
    local = l1;
    let Some(other) = other else {
        let why = format!("{server} sent no OTHER-ADDRESS over TCP: the mapping cannot be compared");
        return done(None, behind_nat, why, tests);
    };
    let alt_ip = SocketAddr::new(other.ip(), server.port());
    let (Some(m2), _, _) = run("tcp-2", alt_ip, local, &mut tests) else {
        let why = format!("no answer over TCP from the alternate address {alt_ip}: {}", tests[1].detail);
        return done(None, behind_nat, why, tests);
    };
    if m2 == m1 {
        let why = format!("the same mapping {m1} toward {server} and {alt_ip}");
        return done(Some(MappingBehavior::EndpointIndependent), behind_nat, why, tests);
    }
    let (Some(m3), _, _) = run("tcp-3", other, local, &mut tests) else {
        let why = format!(
            "mappings {m1} and {m2} differ by destination IP; no answer from {other} to tell the port's part: {}",
            tests[2].detail
        );
        return done(None, behind_nat, why, tests);
    };
    drop(open);
    if m3 == m2 {
        let why = format!(
            "a new mapping per destination IP: {m1} toward {server}, {m2} toward {alt_ip} and {other}"
        );
        done(Some(MappingBehavior::AddressDependent), behind_nat, why, tests)
    } else {
        let why = format!(
            "a new mapping per destination IP and port: {m1} toward {server}, {m2} toward {alt_ip}, {m3} toward {other}"
        );
        done(Some(MappingBehavior::AddressAndPortDependent), behind_nat, why, tests)
    }
}

/// Connect from `local` to `to` and run one Binding transaction; the stream is returned open.
fn binding(
    name: &'static str,
    local: SocketAddr,
    to: SocketAddr,
    timeout: Duration,
    id: [u8; 12],
    software: Option<&str>,
) -> (TcpTest, Option<TcpStream>) {
    let started = Instant::now();
    let mut test = TcpTest {
        name,
        local_address: None,
        destination: to,
        outcome: "failed",
        detail: String::new(),
        mapped_address: None,
        other_address: None,
        elapsed_ms: 0.0,
    };
    let result = exchange(local, to, timeout, id, software, &mut test);
    test.elapsed_ms = crate::core::output::millis(started.elapsed());
    match result {
        Ok(stream) => (test, Some(stream)),
        Err(e) => {
            let (outcome, detail) = match e.kind() {
                io::ErrorKind::ConnectionRefused => ("refused", format!("connection to {to} refused")),
                io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => {
                    ("timeout", format!("no answer within {} ms", timeout.as_millis()))
                }
                _ => (test.outcome, e.to_string()),
            };
            test.outcome = outcome;
            test.detail = detail;
            (test, None)
        }
    }
}

fn exchange(
    local: SocketAddr,
    to: SocketAddr,
    timeout: Duration,
    id: [u8; 12],
    software: Option<&str>,
    test: &mut TcpTest,
) -> io::Result<TcpStream> {
    let deadline = Instant::now() + timeout;
    let left = || {
        let d = deadline.saturating_duration_since(Instant::now());
        if d.is_zero() {
            Err(io::Error::from(io::ErrorKind::TimedOut))
        } else {
            Ok(d)
        }
    };
    let socket = Socket::new(Domain::for_address(to), Type::STREAM, Some(Protocol::TCP))?;
    // Several connections from one port, to different destinations.
    socket.set_reuse_address(true)?;
    socket.bind(&local.into()).map_err(|e| io::Error::new(e.kind(), format!("binding {local}: {e}")))?;
    socket.connect_timeout(&to.into(), left()?)?;
    let mut stream: TcpStream = socket.into();
    test.local_address = stream.local_addr().ok();
    let mut request = MessageBuilder::new(Class::Request, Method::BINDING, id);
    if let Some(s) = software {
        request.text(attr::SOFTWARE, s);
    }
    request.fingerprint();
    stream.set_write_timeout(Some(left()?))?;
    stream.write_all(&request.finish())?;

    // One STUN message: the header, then the length it declares.
    let mut bytes = vec![0u8; 20];
    read_exact_by(&mut stream, &mut bytes, deadline)?;
    let len = match frame_len(&bytes) {
        Ok(Some(StreamFrame::Stun { len })) => len,
        _ => {
            let what = describe_not_stun(&bytes);
            return Err(io::Error::new(io::ErrorKind::InvalidData, format!("the server sent {what}")));
        }
    };
    bytes.resize(len, 0);
    read_exact_by(&mut stream, &mut bytes[20..], deadline)?;
    let answer = Message::new_checked(&bytes[..])
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("not STUN: {e}")))?;
    if answer.transaction_id() != id || answer.method() != Method::BINDING {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "an answer to another transaction"));
    }
    if answer.check_fingerprint() == Check::Bad {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "an answer with a bad FINGERPRINT"));
    }
    match answer.class() {
        Class::SuccessResponse => {
            test.mapped_address = answer.mapped_address();
            test.other_address = answer.address(attr::OTHER_ADDRESS);
            match test.mapped_address {
                Some(m) => {
                    test.outcome = "answered";
                    test.detail = format!("mapped {m}");
                }
                None => {
                    test.outcome = "failed";
                    test.detail = "a success response without a mapped address".into();
                }
            }
        }
        Class::ErrorResponse => {
            test.outcome = "error-response";
            test.detail = match answer.error_code() {
                Some((code, reason)) => format!("error {code} {reason:?}"),
                None => "an error response".into(),
            };
        }
        _ => return Err(io::Error::new(io::ErrorKind::InvalidData, "not a response")),
    }
    Ok(stream)
}

/// Fill `buf` from `stream` before `deadline`.
fn read_exact_by(stream: &mut TcpStream, buf: &mut [u8], deadline: Instant) -> io::Result<()> {
    let mut at = 0;
    while at < buf.len() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::Error::from(io::ErrorKind::TimedOut));
        }
        stream.set_read_timeout(Some(left))?;
        match stream.read(&mut buf[at..]) {
            Ok(0) => {
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "the server closed the connection"))
            }
            Ok(n) => at += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
