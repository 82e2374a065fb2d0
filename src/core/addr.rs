//! What kind of address an IP is, for judging addresses a server advertises (a relayed
//! address, an OTHER-ADDRESS): the ranges a server behind NAT gives away.

use std::net::IpAddr;

/// Whether an IP is in a private (RFC 1918), shared (RFC 6598, carrier-grade NAT) or
/// unique-local (RFC 4193) range.
pub fn is_private(ip: IpAddr) -> bool {
    match ip.to_canonical() {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_private() || (o[0] == 100 && (64..128).contains(&o[1]))
        }
        IpAddr::V6(v6) => (v6.segments()[0] & 0xfe00) == 0xfc00,
    }
}

/// Whether an IP is link-local (169.254/16, fe80::/10).
pub fn is_link_local(ip: IpAddr) -> bool {
    match ip.to_canonical() {
        IpAddr::V4(v4) => v4.is_link_local(),
        IpAddr::V6(v6) => (v6.segments()[0] & 0xffc0) == 0xfe80,
    }
}

/// Why `advertised` cannot be reached by those who reach the server at `server`: loopback or
/// link-local when the server is not, private when the server's address is public (a server
/// behind NAT advertising its inside address). `None` when nothing says so.
pub fn unreachable_beside(advertised: IpAddr, server: IpAddr) -> Option<&'static str> {
    let (a, s) = (advertised.to_canonical(), server.to_canonical());
    if a.is_loopback() && !s.is_loopback() {
        return Some("a loopback address, but the server is not on loopback");
    }
    if is_link_local(a) && !is_link_local(s) {
        return Some("a link-local address");
    }
    if is_private(a) && !is_private(s) && !s.is_loopback() {
        return Some("a private address although the server's is public");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn ranges() {
        for p in ["10.1.2.3", "172.16.0.1", "192.168.1.1", "100.64.0.1", "fd00::1", "::ffff:10.0.0.1"] {
            assert!(is_private(ip(p)), "{p}");
        }
        for p in ["203.0.113.1", "100.128.0.1", "2001:db8::1", "127.0.0.1"] {
            assert!(!is_private(ip(p)), "{p}");
        }
        assert!(is_link_local(ip("169.254.1.1")) && is_link_local(ip("fe80::1")));
    }

    #[test]
    fn advertised_beside_server() {
        assert!(unreachable_beside(ip("10.0.0.5"), ip("203.0.113.10")).is_some());
        assert!(unreachable_beside(ip("127.0.0.1"), ip("203.0.113.10")).is_some());
        assert!(unreachable_beside(ip("169.254.0.9"), ip("203.0.113.10")).is_some());
        // A LAN server relaying on its LAN address, a test server on loopback: as expected.
        assert_eq!(unreachable_beside(ip("10.0.0.5"), ip("10.0.0.5")), None);
        assert_eq!(unreachable_beside(ip("127.0.0.1"), ip("127.0.0.1")), None);
        assert_eq!(unreachable_beside(ip("203.0.113.11"), ip("203.0.113.10")), None);
    }
}
