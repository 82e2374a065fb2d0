//! Name resolution bounded in time: the system resolver may take long (a dead DNS server is
//! retried for tens of seconds), and every network operation here says when it gave up.

use std::fmt;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

/// Why a name did not resolve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResolveError {
    /// The resolver said no.
    Failed(String),
    /// It found nothing.
    NoAddress,
    /// It did not answer in time.
    TimedOut(Duration),
}

impl fmt::Display for ResolveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResolveError::Failed(why) => f.write_str(why),
            ResolveError::NoAddress => f.write_str("no address"),
            ResolveError::TimedOut(t) => write!(f, "no answer from the resolver within {} ms", t.as_millis()),
        }
    }
}

impl std::error::Error for ResolveError {}

/// The addresses of `host` (a name or a literal address, IPv6 with or without brackets) at
/// `port`, within `timeout`. A literal address needs no resolver. On a timeout the lookup is
/// left to finish on its own thread; nothing waits for it.
pub fn resolve(host: &str, port: u16, timeout: Duration) -> Result<Vec<SocketAddr>, ResolveError> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    let (tx, rx) = mpsc::channel();
    let query = bare.to_string();
    thread::spawn(move || {
        let found = (query.as_str(), port).to_socket_addrs().map(|a| a.collect::<Vec<_>>());
        let _ = tx.send(found.map_err(|e| e.to_string()));
    });
    match rx.recv_timeout(timeout) {
        Ok(Ok(addrs)) if addrs.is_empty() => Err(ResolveError::NoAddress),
        Ok(Ok(addrs)) => Ok(addrs),
        Ok(Err(why)) => Err(ResolveError::Failed(why)),
        Err(_) => Err(ResolveError::TimedOut(timeout)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_need_no_resolver() {
        let t = Duration::ZERO;
        assert_eq!(resolve("192.0.2.1", 3478, t), Ok(vec!["192.0.2.1:3478".parse().unwrap()]));
        assert_eq!(resolve("[2001:db8::1]", 1, t), Ok(vec!["[2001:db8::1]:1".parse().unwrap()]));
        assert_eq!(resolve("2001:db8::1", 1, t), Ok(vec!["[2001:db8::1]:1".parse().unwrap()]));
    }

    #[test]
    fn localhost_resolves_and_junk_fails() {
        let found = resolve("localhost", 9, Duration::from_secs(5)).unwrap();
        assert!(found.iter().all(|a| a.ip().is_loopback() && a.port() == 9), "{found:?}");
        assert!(resolve("no such host.invalid", 9, Duration::from_secs(5)).is_err());
    }
}
