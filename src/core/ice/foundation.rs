//! Candidate foundations (RFC 8445 §5.1.1.3).
//!
//! Two candidates share a foundation when they have the same type, base IP, STUN/TURN
//! server IP and transport, so that frozen-candidate logic can unfreeze pairs that are
//! likely to behave alike. Browsers render a 32-bit hash of those inputs in decimal; this
//! module does the same with FNV-1a so gathered candidates look familiar.

use std::net::IpAddr;

use super::candidate::CandidateType;

/// Computes the foundation of a candidate: the decimal rendering of a 32-bit FNV-1a hash of
/// the candidate type, the base IP, the server IP (for srflx and relay candidates) and the
/// transport (compared without regard to case).
///
/// Equal inputs always give the same foundation, across runs and platforms. Different inputs
/// give different foundations except for 32-bit hash collisions (about one chance in 4
/// billion per pair), which RFC 8445 tolerates: a shared foundation only affects the order
/// of checks.
///
/// ```
/// use std::net::IpAddr;
/// use rtctool::core::ice::{foundation, CandidateType};
///
/// let base: IpAddr = "10.0.0.5".parse()?;
/// let stun_server: IpAddr = "198.51.100.1".parse()?;
/// let srflx = foundation(CandidateType::Srflx, base, Some(stun_server), "udp");
/// assert_eq!(srflx, foundation(CandidateType::Srflx, base, Some(stun_server), "UDP"));
/// assert_ne!(srflx, foundation(CandidateType::Host, base, None, "udp"));
/// assert!(srflx.bytes().all(|byte| byte.is_ascii_digit()));
/// # Ok::<(), std::net::AddrParseError>(())
/// ```
pub fn foundation(typ: CandidateType, base_ip: IpAddr, server_ip: Option<IpAddr>, transport: &str) -> String {
    let mut hasher = Fnv1a::new();
    hasher.write(typ.as_str().as_bytes());
    // Every field but the last is self-delimiting (a NUL after the keyword, tagged
    // fixed-size addresses), so no two input tuples share a byte string.
    hasher.write(&[0]);
    write_ip(&mut hasher, base_ip);
    match server_ip {
        None => hasher.write(&[0]),
        Some(server_ip) => {
            hasher.write(&[1]);
            write_ip(&mut hasher, server_ip);
        }
    }
    // Last field, so it needs no delimiter.
    hasher.write(transport.to_ascii_lowercase().as_bytes());
    hasher.finish().to_string()
}

/// Feeds an IP address as a family tag followed by its octets.
fn write_ip(hasher: &mut Fnv1a, ip: IpAddr) {
    match ip {
        IpAddr::V4(v4) => {
            hasher.write(&[4]);
            hasher.write(&v4.octets());
        }
        IpAddr::V6(v6) => {
            hasher.write(&[6]);
            hasher.write(&v6.octets());
        }
    }
}

/// 32-bit FNV-1a: tiny, stable across versions and platforms (unlike `std`'s hasher), and
/// good enough to tell a handful of candidates apart.
struct Fnv1a(u32);

impl Fnv1a {
    const OFFSET_BASIS: u32 = 0x811c_9dc5;
    const PRIME: u32 = 0x0100_0193;

    fn new() -> Self {
        Fnv1a(Self::OFFSET_BASIS)
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = (self.0 ^ u32::from(byte)).wrapping_mul(Self::PRIME);
        }
    }

    fn finish(&self) -> u32 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::net::{Ipv4Addr, Ipv6Addr};

    use super::*;

    fn ip(text: &str) -> IpAddr {
        match text.parse() {
            Ok(ip) => ip,
            Err(error) => panic!("{text}: {error}"),
        }
    }

    #[test]
    fn fnv1a_reference_vectors() {
        let hash = |bytes: &[u8]| {
            let mut hasher = Fnv1a::new();
            hasher.write(bytes);
            hasher.finish()
        };
        assert_eq!(hash(b""), 0x811c9dc5);
        assert_eq!(hash(b"a"), 0xe40c292c);
        assert_eq!(hash(b"foobar"), 0xbf9cf968);
    }

    #[test]
    fn equal_inputs_equal_foundations() {
        let first = foundation(CandidateType::Relay, ip("10.0.0.5"), Some(ip("198.51.100.9")), "udp");
        let second = foundation(CandidateType::Relay, ip("10.0.0.5"), Some(ip("198.51.100.9")), "UDP");
        assert_eq!(first, second);
        assert!(!first.is_empty() && first.len() <= 10);
        assert!(first.bytes().all(|byte| byte.is_ascii_digit()));
    }

    #[test]
    fn stable_value() {
        // Pinned so that a change of algorithm is a deliberate decision (foundations may be
        // compared across runs in golden files).
        assert_eq!(foundation(CandidateType::Host, ip("192.168.1.10"), None, "udp"), "4106056959");
    }

    #[test]
    fn every_input_matters() {
        let types = [CandidateType::Host, CandidateType::Srflx, CandidateType::Prflx, CandidateType::Relay];
        let bases = [
            ip("10.0.0.5"),
            ip("10.0.0.6"),
            IpAddr::V6(Ipv4Addr::new(10, 0, 0, 5).to_ipv6_mapped()),
            IpAddr::V6(Ipv6Addr::LOCALHOST),
        ];
        let servers = [None, Some(ip("198.51.100.9")), Some(ip("2001:db8::9")), Some(ip("0.0.0.0"))];
        let transports = ["udp", "tcp", "tls"];

        let mut seen = HashSet::new();
        let mut count = 0;
        for typ in types {
            for base in bases {
                for server in servers {
                    for transport in transports {
                        seen.insert(foundation(typ, base, server, transport));
                        count += 1;
                    }
                }
            }
        }
        assert_eq!(seen.len(), count, "every distinct input gets a distinct foundation");
    }
}
