//! The local addresses host candidates come from: every address of every interface that is up,
//! read with `getifaddrs(3)`, filtered the way a browser does (no loopback, no link-local)
//! unless asked otherwise.

use std::net::{IpAddr, Ipv6Addr};

/// One address of one interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterfaceAddress {
    /// The interface name (`eth0`, `wlan0`, `lo`).
    pub interface: String,
    /// The address.
    pub ip: IpAddr,
    /// Whether the interface is a loopback one.
    pub loopback: bool,
    /// The IPv6 scope (interface index) of a link-local address, else 0.
    pub scope_id: u32,
}

impl InterfaceAddress {
    /// Whether the address is link-local (169.254/16, fe80::/10): usable only with a scope, so
    /// browsers leave it out.
    pub fn is_link_local(&self) -> bool {
        match self.ip {
            IpAddr::V4(v4) => v4.is_link_local(),
            IpAddr::V6(v6) => is_unicast_link_local(&v6),
        }
    }

    /// Whether it is a loopback address, or on a loopback interface.
    pub fn is_loopback(&self) -> bool {
        self.loopback || self.ip.is_loopback()
    }
}

fn is_unicast_link_local(v6: &Ipv6Addr) -> bool {
    (v6.segments()[0] & 0xffc0) == 0xfe80
}

/// Which addresses to keep.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Only these interfaces (by name) or addresses; empty: all.
    pub only: Vec<String>,
    /// Keep loopback addresses.
    pub loopback: bool,
    /// Keep link-local addresses.
    pub link_local: bool,
    /// Keep IPv4 addresses.
    pub ipv4: bool,
    /// Keep IPv6 addresses.
    pub ipv6: bool,
}

impl Filter {
    /// Whether `a` passes. An interface named in `only` brings its loopback addresses with it
    /// (`--interface lo` means it).
    pub fn keeps(&self, a: &InterfaceAddress) -> bool {
        let named = self.only.iter().any(|o| *o == a.interface || o.parse::<IpAddr>().ok() == Some(a.ip));
        if !self.only.is_empty() && !named {
            return false;
        }
        let family = if a.ip.is_ipv4() { self.ipv4 } else { self.ipv6 };
        family
            && (self.loopback || named || !a.is_loopback())
            && (self.link_local || !a.is_link_local())
            && !a.ip.is_unspecified()
            && !a.ip.is_multicast()
    }
}

/// Every address of every interface that is up, in the system's order.
pub fn list() -> std::io::Result<Vec<InterfaceAddress>> {
    imp::list()
}

/// The local preference RFC 8445 §5.1.2.1 leaves to the implementation, split like Chromium's:
/// the high byte ranks the network (127 for the first interface, one less for each next one),
/// the low byte is the address precedence of RFC 6724 as Chromium uses it (IPv6 40, IPv4 30,
/// ULA 50, loopback 60, 6to4 20, Teredo 10).
pub fn local_preference(network_rank: usize, ip: IpAddr) -> u16 {
    let network = 127u16.saturating_sub(u16::try_from(network_rank).unwrap_or(u16::MAX));
    (network << 8) | u16::from(address_precedence(ip))
}

/// Chromium's `IPAddressPrecedence`.
pub fn address_precedence(ip: IpAddr) -> u8 {
    match ip {
        IpAddr::V4(_) => 30,
        IpAddr::V6(v6) => {
            let s = v6.segments();
            if v6.is_loopback() {
                60
            } else if (s[0] & 0xfe00) == 0xfc00 {
                50
            } else if v6.to_ipv4_mapped().is_some() {
                30
            } else if s[0] == 0x2002 {
                20
            } else if s[0] == 0x2001 && s[1] == 0 {
                10
            } else if (s[0] & 0xffc0) == 0xfec0
                || s[0] == 0x3ffe
                || (s[..6] == [0; 6] && !v6.is_unspecified())
            {
                1
            } else {
                40
            }
        }
    }
}

#[cfg(unix)]
mod imp {
    use std::net::IpAddr;

    use nix::net::if_::InterfaceFlags;

    use super::InterfaceAddress;

    pub fn list() -> std::io::Result<Vec<InterfaceAddress>> {
        let mut found = Vec::new();
        for ifa in nix::ifaddrs::getifaddrs()? {
            if !ifa.flags.contains(InterfaceFlags::IFF_UP) {
                continue;
            }
            let Some(address) = ifa.address else { continue };
            let (ip, scope_id) = if let Some(v4) = address.as_sockaddr_in() {
                (IpAddr::V4(v4.ip()), 0)
            } else if let Some(v6) = address.as_sockaddr_in6() {
                (IpAddr::V6(v6.ip()), v6.scope_id())
            } else {
                continue;
            };
            found.push(InterfaceAddress {
                interface: ifa.interface_name,
                ip,
                loopback: ifa.flags.contains(InterfaceFlags::IFF_LOOPBACK),
                scope_id,
            });
        }
        Ok(found)
    }
}

#[cfg(not(unix))]
mod imp {
    use super::InterfaceAddress;

    pub fn list() -> std::io::Result<Vec<InterfaceAddress>> {
        Err(std::io::Error::other("listing interfaces is only implemented for Unix systems"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(interface: &str, ip: &str, loopback: bool) -> InterfaceAddress {
        InterfaceAddress { interface: interface.into(), ip: ip.parse().unwrap(), loopback, scope_id: 0 }
    }

    #[test]
    fn browser_like_filter() {
        let f = Filter { ipv4: true, ipv6: true, ..Filter::default() };
        assert!(f.keeps(&a("eth0", "192.0.2.2", false)));
        assert!(f.keeps(&a("eth0", "2001:db8::2", false)));
        assert!(!f.keeps(&a("lo", "127.0.0.1", true)));
        assert!(!f.keeps(&a("lo", "::1", true)));
        assert!(!f.keeps(&a("eth0", "fe80::1", false)));
        assert!(!f.keeps(&a("eth0", "169.254.1.1", false)));
        let with = Filter { loopback: true, link_local: true, ..f.clone() };
        assert!(with.keeps(&a("lo", "127.0.0.1", true)));
        assert!(with.keeps(&a("eth0", "fe80::1", false)));
        let v4 = Filter { ipv6: false, ..f.clone() };
        assert!(!v4.keeps(&a("eth0", "2001:db8::2", false)));
    }

    #[test]
    fn naming_an_interface_or_address() {
        let f = Filter { ipv4: true, ipv6: true, only: vec!["lo".into()], ..Filter::default() };
        assert!(f.keeps(&a("lo", "127.0.0.1", true)), "naming lo brings its loopback addresses");
        assert!(!f.keeps(&a("eth0", "192.0.2.2", false)));
        let f = Filter { ipv4: true, ipv6: true, only: vec!["192.0.2.2".into()], ..Filter::default() };
        assert!(f.keeps(&a("eth0", "192.0.2.2", false)));
        assert!(!f.keeps(&a("eth0", "192.0.2.3", false)));
    }

    #[test]
    fn preferences_like_chromium() {
        // Chromium's first network, IPv4: 32542 = 127 << 8 | 30.
        assert_eq!(local_preference(0, "192.168.1.10".parse().unwrap()), 32542);
        assert_eq!(address_precedence("2001:db8::1".parse().unwrap()), 40);
        assert_eq!(address_precedence("fd00::2".parse().unwrap()), 50);
        assert_eq!(address_precedence("::1".parse().unwrap()), 60);
        assert_eq!(address_precedence("2002::1".parse().unwrap()), 20);
        assert_eq!(address_precedence("2001:0:1::1".parse().unwrap()), 10);
        assert_eq!(local_preference(1, "192.168.1.10".parse().unwrap()), (126 << 8) | 30);
    }

    #[test]
    fn lists_the_loopback() {
        let all = list().unwrap();
        assert!(all.iter().any(|a| a.ip.is_loopback()), "{all:?}");
    }
}
