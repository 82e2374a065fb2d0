//! Candidate and candidate-pair priorities (RFC 8445 §5.1.2 and §6.1.2.3).
//!
//! A candidate priority packs three preferences into a `u32`; decomposing it tells a reader
//! of an SDP or a pcap what kind of candidate the sender thought it had, even when the
//! `typ` was rewritten by a middlebox, and which TURN transport Chromium used for a relay.

use super::candidate::CandidateType;

/// RFC 8445 recommended type preference for host candidates.
pub const TYPE_PREFERENCE_HOST: u8 = 126;
/// RFC 8445 recommended type preference for peer-reflexive candidates.
pub const TYPE_PREFERENCE_PRFLX: u8 = 110;
/// RFC 8445 recommended type preference for server-reflexive candidates.
pub const TYPE_PREFERENCE_SRFLX: u8 = 100;
/// RFC 8445 recommended type preference for relayed candidates.
pub const TYPE_PREFERENCE_RELAY: u8 = 0;

/// Chromium convention (not RFC): type preference of a relay reached over UDP.
pub const CHROMIUM_TYPE_PREFERENCE_RELAY_UDP: u8 = 2;
/// Chromium convention (not RFC): type preference of a relay reached over TCP.
pub const CHROMIUM_TYPE_PREFERENCE_RELAY_TCP: u8 = 1;
/// Chromium convention (not RFC): type preference of a relay reached over TLS.
pub const CHROMIUM_TYPE_PREFERENCE_RELAY_TLS: u8 = 0;
/// Chromium convention (not RFC): type preference of a TCP host candidate.
pub const CHROMIUM_TYPE_PREFERENCE_HOST_TCP: u8 = 90;
/// Chromium convention (not RFC): type preference of a TCP peer-reflexive candidate.
pub const CHROMIUM_TYPE_PREFERENCE_PRFLX_TCP: u8 = 80;

/// The recommended (RFC 8445 §5.1.2.2) type preference of a candidate type.
pub fn recommended_type_preference(typ: CandidateType) -> u8 {
    match typ {
        CandidateType::Host => TYPE_PREFERENCE_HOST,
        CandidateType::Prflx => TYPE_PREFERENCE_PRFLX,
        CandidateType::Srflx => TYPE_PREFERENCE_SRFLX,
        CandidateType::Relay => TYPE_PREFERENCE_RELAY,
    }
}

/// Computes a candidate priority (RFC 8445 §5.1.2.1):
/// `2^24 * type_pref + 2^8 * local_pref + (256 - component)`.
///
/// The component ID must be 1..=256 for the three parts not to overlap; values outside are
/// clamped into that range (0 counts as 1, anything above 256 as 256) rather than silently
/// carrying into the local preference.
///
/// ```
/// use rtctool::core::ice::priority::{priority, PriorityParts, TYPE_PREFERENCE_HOST};
///
/// let value = priority(TYPE_PREFERENCE_HOST, 65535, 1);
/// assert_eq!(value, 2130706431);
/// assert_eq!(
///     PriorityParts::from_priority(value),
///     PriorityParts { type_preference: 126, local_preference: 65535, component: 1 }
/// );
/// ```
pub fn priority(type_pref: u8, local_pref: u16, component: u16) -> u32 {
    let component = u32::from(component.clamp(1, 256));
    (u32::from(type_pref) << 24) | (u32::from(local_pref) << 8) | (256 - component)
}

/// The three parts of a candidate priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PriorityParts {
    /// Preference for the candidate type (126 host ... 0 relay by RFC 8445).
    pub type_preference: u8,
    /// Preference among candidates of one type (interfaces, IP families, relay protocols).
    pub local_preference: u16,
    /// The component ID (1..=256), recovered from `256 - (priority & 0xff)`.
    pub component: u16,
}

impl PriorityParts {
    /// Splits a priority into its parts.
    pub fn from_priority(priority: u32) -> Self {
        let [type_preference, local_high, local_low, component_byte] = priority.to_be_bytes();
        PriorityParts {
            type_preference,
            local_preference: u16::from_be_bytes([local_high, local_low]),
            component: 256 - u16::from(component_byte),
        }
    }

    /// Puts the parts back together; the inverse of [`PriorityParts::from_priority`].
    pub fn to_priority(self) -> u32 {
        priority(self.type_preference, self.local_preference, self.component)
    }

    /// What the type preference suggests about the candidate; see [`guess_type`].
    pub fn guess_type(self) -> Option<TypeGuess> {
        guess_type(self.type_preference)
    }
}

impl From<u32> for PriorityParts {
    fn from(priority: u32) -> Self {
        PriorityParts::from_priority(priority)
    }
}

/// How a client reached its TURN server, as far as a relay candidate's priority tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RelayTransport {
    /// TURN over UDP.
    Udp,
    /// TURN over TCP.
    Tcp,
    /// TURN over TLS (`turns:`).
    Tls,
}

impl RelayTransport {
    /// Lower-case name: `udp`, `tcp` or `tls`.
    pub fn as_str(self) -> &'static str {
        match self {
            RelayTransport::Udp => "udp",
            RelayTransport::Tcp => "tcp",
            RelayTransport::Tls => "tls",
        }
    }
}

/// What a type preference suggests about a candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TypeGuess {
    /// The likely candidate type.
    pub typ: CandidateType,
    /// For relays under Chromium's scheme, the transport to the TURN server.
    pub relay_transport: Option<RelayTransport>,
    /// Whether the value is one browsers use for TCP candidates (Chromium 90/80, Firefox
    /// 125/109/99).
    pub tcp_candidate: bool,
}

/// Names the candidate type a type preference most likely stands for, or `None` for a
/// value no known implementation uses.
///
/// Exact values only, from three sources:
/// * RFC 8445: host 126, prflx 110, srflx 100, relay 0.
/// * Chromium (a convention of its own, not in any RFC): relays are ranked by how the TURN
///   server is reached, UDP 2, TCP 1, TLS 0; TCP host 90, TCP prflx 80. So 0, 1 and 2 are
///   reported as relays with [`TypeGuess::relay_transport`] set. A relay with preference 0
///   from another stack (the RFC value, or Firefox's TCP relay) is reported as TLS too: the
///   number alone cannot tell them apart.
/// * Firefox: UDP relay 5 (transport unknown), TCP host 125, TCP prflx 109, TCP srflx 99.
///
/// ```
/// use rtctool::core::ice::priority::{guess_type, PriorityParts, RelayTransport};
/// use rtctool::core::ice::CandidateType;
///
/// // 41885439 is a Chromium relay candidate: type preference 2.
/// let guess = PriorityParts::from_priority(41885439).guess_type();
/// let guess = guess.ok_or("no guess")?;
/// assert_eq!(guess.typ, CandidateType::Relay);
/// assert_eq!(guess.relay_transport, Some(RelayTransport::Udp));
/// assert_eq!(guess_type(42), None);
/// # Ok::<(), &str>(())
/// ```
pub fn guess_type(type_preference: u8) -> Option<TypeGuess> {
    let (typ, relay_transport, tcp_candidate) = match type_preference {
        TYPE_PREFERENCE_HOST => (CandidateType::Host, None, false),
        TYPE_PREFERENCE_PRFLX => (CandidateType::Prflx, None, false),
        TYPE_PREFERENCE_SRFLX => (CandidateType::Srflx, None, false),
        FIREFOX_TYPE_PREFERENCE_HOST_TCP | CHROMIUM_TYPE_PREFERENCE_HOST_TCP => {
            (CandidateType::Host, None, true)
        }
        FIREFOX_TYPE_PREFERENCE_PRFLX_TCP | CHROMIUM_TYPE_PREFERENCE_PRFLX_TCP => {
            (CandidateType::Prflx, None, true)
        }
        FIREFOX_TYPE_PREFERENCE_SRFLX_TCP => (CandidateType::Srflx, None, true),
        FIREFOX_TYPE_PREFERENCE_RELAY_UDP => (CandidateType::Relay, None, false),
        CHROMIUM_TYPE_PREFERENCE_RELAY_UDP => (CandidateType::Relay, Some(RelayTransport::Udp), false),
        CHROMIUM_TYPE_PREFERENCE_RELAY_TCP => (CandidateType::Relay, Some(RelayTransport::Tcp), false),
        CHROMIUM_TYPE_PREFERENCE_RELAY_TLS => (CandidateType::Relay, Some(RelayTransport::Tls), false),
        _ => return None,
    };
    Some(TypeGuess { typ, relay_transport, tcp_candidate })
}

/// Firefox (nICEr defaults) type preference of a TCP host candidate.
const FIREFOX_TYPE_PREFERENCE_HOST_TCP: u8 = 125;
/// Firefox type preference of a TCP peer-reflexive candidate.
const FIREFOX_TYPE_PREFERENCE_PRFLX_TCP: u8 = 109;
/// Firefox type preference of a TCP server-reflexive candidate.
const FIREFOX_TYPE_PREFERENCE_SRFLX_TCP: u8 = 99;
/// Firefox type preference of a UDP relay candidate.
const FIREFOX_TYPE_PREFERENCE_RELAY_UDP: u8 = 5;

/// Candidate-pair priority (RFC 8445 §6.1.2.3), which orders the checklist:
/// `2^32 * min(G, D) + 2 * max(G, D) + (G > D ? 1 : 0)` where G is the controlling agent's
/// candidate priority and D the controlled agent's.
///
/// RFC priorities are below 2^31, for which the result is exact; for larger `u32` values the
/// formula can exceed `u64`, and the result saturates at `u64::MAX` instead of wrapping.
///
/// ```
/// use rtctool::core::ice::priority::pair_priority;
///
/// assert_eq!(pair_priority(2, 1), (1 << 32) + 2 * 2 + 1);
/// assert_eq!(pair_priority(1, 2), (1 << 32) + 2 * 2);
/// ```
pub fn pair_priority(controlling: u32, controlled: u32) -> u64 {
    let (g, d) = (u128::from(controlling), u128::from(controlled));
    let value = (g.min(d) << 32) + 2 * g.max(d) + u128::from(g > d);
    u64::try_from(value).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_example_host_priority() {
        assert_eq!(priority(126, 65535, 1), 2130706431);
        assert_eq!(2130706431, (126 << 24) | (65535 << 8) | 255);
        let parts = PriorityParts::from_priority(2130706431);
        assert_eq!(parts, PriorityParts { type_preference: 126, local_preference: 65535, component: 1 });
        assert_eq!(parts.to_priority(), 2130706431);
        assert_eq!(PriorityParts::from(2130706431), parts);
    }

    #[test]
    fn browser_priorities_decompose() {
        // srflx, Chrome relay over UDP, Chrome mDNS host, Firefox TCP host, RTCP host.
        let cases = [
            (1677729535, 100, 30, 1),
            (41885439, 2, 32542, 1),
            (2122260223, 126, 32542, 1),
            (2105458943, 125, 32448, 1),
            (2122260222, 126, 32542, 2),
        ];
        for (value, type_preference, local_preference, component) in cases {
            let parts = PriorityParts::from_priority(value);
            assert_eq!(parts, PriorityParts { type_preference, local_preference, component }, "{value}");
            assert_eq!(parts.to_priority(), value);
        }
    }

    #[test]
    fn component_extremes() {
        assert_eq!(priority(0, 0, 256), 0);
        assert_eq!(PriorityParts::from_priority(0).component, 256);
        assert_eq!(priority(255, 65535, 1), u32::MAX);
        assert_eq!(PriorityParts::from_priority(u32::MAX).component, 1);
        // Out-of-range components are clamped, never carried into the local preference.
        assert_eq!(priority(1, 1, 0), priority(1, 1, 1));
        assert_eq!(priority(1, 1, 1000), priority(1, 1, 256));
    }

    #[test]
    fn decomposition_is_inverse_for_every_component() {
        for component in 1..=256 {
            let value = priority(100, 1234, component);
            assert_eq!(
                PriorityParts::from_priority(value),
                PriorityParts { type_preference: 100, local_preference: 1234, component }
            );
        }
    }

    #[test]
    fn recommended_preferences() {
        assert_eq!(recommended_type_preference(CandidateType::Host), 126);
        assert_eq!(recommended_type_preference(CandidateType::Prflx), 110);
        assert_eq!(recommended_type_preference(CandidateType::Srflx), 100);
        assert_eq!(recommended_type_preference(CandidateType::Relay), 0);
    }

    #[test]
    fn guesses() {
        let guess = |preference| guess_type(preference).map(|g| (g.typ, g.relay_transport, g.tcp_candidate));
        assert_eq!(guess(126), Some((CandidateType::Host, None, false)));
        assert_eq!(guess(125), Some((CandidateType::Host, None, true)));
        assert_eq!(guess(90), Some((CandidateType::Host, None, true)));
        assert_eq!(guess(110), Some((CandidateType::Prflx, None, false)));
        assert_eq!(guess(109), Some((CandidateType::Prflx, None, true)));
        assert_eq!(guess(80), Some((CandidateType::Prflx, None, true)));
        assert_eq!(guess(100), Some((CandidateType::Srflx, None, false)));
        assert_eq!(guess(99), Some((CandidateType::Srflx, None, true)));
        assert_eq!(guess(5), Some((CandidateType::Relay, None, false)));
        assert_eq!(guess(2), Some((CandidateType::Relay, Some(RelayTransport::Udp), false)));
        assert_eq!(guess(1), Some((CandidateType::Relay, Some(RelayTransport::Tcp), false)));
        assert_eq!(guess(0), Some((CandidateType::Relay, Some(RelayTransport::Tls), false)));
        for unknown in [3, 4, 6, 50, 111, 127, 255] {
            assert_eq!(guess_type(unknown), None, "{unknown}");
        }
        assert_eq!(RelayTransport::Tls.as_str(), "tls");
    }

    #[test]
    fn pair_priority_formula() {
        // G > D adds one; the roles matter only for that bit.
        assert_eq!(pair_priority(2130706431, 1677729535), (1677729535u64 << 32) + 2 * 2130706431 + 1);
        assert_eq!(pair_priority(1677729535, 2130706431), (1677729535u64 << 32) + 2 * 2130706431);
        assert_eq!(pair_priority(7, 7), (7u64 << 32) + 14);
        assert_eq!(pair_priority(0, 0), 0);
        // Largest RFC priorities fit exactly.
        let max_rfc = (1u32 << 31) - 1;
        assert_eq!(pair_priority(max_rfc, max_rfc), (u64::from(max_rfc) << 32) + 2 * u64::from(max_rfc));
        // Beyond the RFC range: saturates, does not panic or wrap.
        assert_eq!(pair_priority(u32::MAX, u32::MAX), u64::MAX);
        assert!(pair_priority(u32::MAX, u32::MAX - 1) >= pair_priority(u32::MAX - 1, u32::MAX - 1));
    }

    #[test]
    fn pair_priority_orders_by_the_weaker_candidate_first() {
        assert!(pair_priority(100, 2_000_000) > pair_priority(99, u32::MAX >> 1));
    }
}
