//! The two vocabularies of a NAT verdict: RFC 4787/5780 behaviours (mapping, filtering) and the
//! classic RFC 3489 names, and what each means for WebRTC.

use std::fmt;

use serde::Serialize;

/// How a NAT picks the public address for an inside socket (RFC 4787 §4.1, RFC 5780 §4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MappingBehavior {
    /// One mapping for every destination.
    EndpointIndependent,
    /// A mapping per destination IP address.
    AddressDependent,
    /// A mapping per destination IP address and port.
    AddressAndPortDependent,
}

/// Which outside senders a NAT or firewall lets reach a mapping (RFC 4787 §5, RFC 5780 §4.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FilteringBehavior {
    /// Anyone, once the mapping exists.
    EndpointIndependent,
    /// Only IP addresses the inside socket has sent to.
    AddressDependent,
    /// Only IP address and port pairs the inside socket has sent to.
    AddressAndPortDependent,
}

impl MappingBehavior {
    /// The JSON spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            MappingBehavior::EndpointIndependent => "endpoint-independent",
            MappingBehavior::AddressDependent => "address-dependent",
            MappingBehavior::AddressAndPortDependent => "address-and-port-dependent",
        }
    }
}

impl FilteringBehavior {
    /// The JSON spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            FilteringBehavior::EndpointIndependent => "endpoint-independent",
            FilteringBehavior::AddressDependent => "address-dependent",
            FilteringBehavior::AddressAndPortDependent => "address-and-port-dependent",
        }
    }
}

impl fmt::Display for MappingBehavior {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for FilteringBehavior {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The classic (RFC 3489) name of what is between this host and the Internet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NatType {
    /// No NAT and no filtering.
    OpenInternet,
    /// Endpoint-independent mapping and filtering.
    FullCone,
    /// Endpoint-independent mapping, address-dependent filtering.
    RestrictedCone,
    /// Endpoint-independent mapping, address-and-port-dependent filtering.
    PortRestrictedCone,
    /// A mapping per destination.
    Symmetric,
    /// No NAT, but a firewall lets in only replies.
    SymmetricUdpFirewall,
    /// Nothing came back over UDP.
    UdpBlocked,
    /// The evidence does not decide it (the report says why).
    Unknown,
}

impl NatType {
    /// The JSON spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            NatType::OpenInternet => "open-internet",
            NatType::FullCone => "full-cone",
            NatType::RestrictedCone => "restricted-cone",
            NatType::PortRestrictedCone => "port-restricted-cone",
            NatType::Symmetric => "symmetric",
            NatType::SymmetricUdpFirewall => "symmetric-udp-firewall",
            NatType::UdpBlocked => "udp-blocked",
            NatType::Unknown => "unknown",
        }
    }

    /// The name for people.
    pub fn title(self) -> &'static str {
        match self {
            NatType::OpenInternet => "open Internet (no NAT)",
            NatType::FullCone => "full cone NAT",
            NatType::RestrictedCone => "restricted cone NAT",
            NatType::PortRestrictedCone => "port-restricted cone NAT",
            NatType::Symmetric => "symmetric NAT",
            NatType::SymmetricUdpFirewall => "symmetric UDP firewall (no NAT)",
            NatType::UdpBlocked => "UDP blocked",
            NatType::Unknown => "unknown",
        }
    }

    /// What it means for WebRTC, in a sentence.
    pub fn webrtc(self) -> &'static str {
        match self {
            NatType::OpenInternet => {
                "host candidates are reachable directly: peer-to-peer works with anyone who can send UDP"
            }
            NatType::FullCone => {
                "the srflx candidate is reachable by any peer: peer-to-peer works, TURN is rarely needed"
            }
            NatType::RestrictedCone => {
                "ICE's checks open the filter: peer-to-peer works with nearly every peer"
            }
            NatType::PortRestrictedCone => {
                "peer-to-peer works with most peers; against a symmetric NAT it fails and needs TURN"
            }
            NatType::Symmetric => {
                "peers cannot reach the srflx candidate: peer-to-peer will mostly fail without TURN"
            }
            NatType::SymmetricUdpFirewall => {
                "host candidates are public but only replies get in: ICE works when both sides send \
                 checks; against a symmetric NAT it needs TURN"
            }
            NatType::UdpBlocked => {
                "no UDP: WebRTC needs TURN over TCP or TLS (turn:...?transport=tcp, turns:) to connect"
            }
            NatType::Unknown => "not enough evidence to say how WebRTC will fare here",
        }
    }
}

impl fmt::Display for NatType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the mapping tests established.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MappingVerdict {
    /// No translation at all: the mapped address is the local address.
    NoNat,
    /// One of the three behaviours.
    Known(MappingBehavior),
    /// Different mappings toward two servers, but nothing to tell address-dependent from
    /// address-and-port-dependent (a plain `--server2` comparison).
    NotIndependent,
    /// Undecided, and why.
    Unknown(String),
}

impl MappingVerdict {
    /// The behaviour for the JSON `mapping` key (no NAT is endpoint-independent: nothing
    /// depends on the destination).
    pub fn behavior(&self) -> Option<MappingBehavior> {
        match self {
            MappingVerdict::NoNat => Some(MappingBehavior::EndpointIndependent),
            MappingVerdict::Known(m) => Some(*m),
            MappingVerdict::NotIndependent | MappingVerdict::Unknown(_) => None,
        }
    }
}

/// The classic name from the two behaviours; `Err` says why there is none.
pub fn classify(
    mapping: &MappingVerdict,
    filtering: Result<FilteringBehavior, &str>,
) -> Result<NatType, String> {
    use FilteringBehavior as F;
    use MappingBehavior as M;
    match (mapping, filtering) {
        (MappingVerdict::NoNat, Ok(F::EndpointIndependent)) => Ok(NatType::OpenInternet),
        (MappingVerdict::NoNat, Ok(_)) => Ok(NatType::SymmetricUdpFirewall),
        (MappingVerdict::NoNat, Err(why)) => {
            Err(format!("no NAT, but the filtering is unknown ({why}): open Internet or a UDP firewall"))
        }
        (MappingVerdict::Known(M::EndpointIndependent), Ok(F::EndpointIndependent)) => Ok(NatType::FullCone),
        (MappingVerdict::Known(M::EndpointIndependent), Ok(F::AddressDependent)) => {
            Ok(NatType::RestrictedCone)
        }
        (MappingVerdict::Known(M::EndpointIndependent), Ok(F::AddressAndPortDependent)) => {
            Ok(NatType::PortRestrictedCone)
        }
        (MappingVerdict::Known(M::EndpointIndependent), Err(why)) => {
            Err(format!("endpoint-independent mapping, but the filtering is unknown ({why}): some cone NAT"))
        }
        // The classic names call every destination-dependent mapping symmetric, whatever the
        // filtering.
        (MappingVerdict::Known(_) | MappingVerdict::NotIndependent, _) => Ok(NatType::Symmetric),
        (MappingVerdict::Unknown(why), _) => Err(format!("the mapping is unknown ({why})")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_combination_has_a_name() {
        use FilteringBehavior as F;
        use MappingBehavior as M;
        let expected = [
            (M::EndpointIndependent, F::EndpointIndependent, NatType::FullCone),
            (M::EndpointIndependent, F::AddressDependent, NatType::RestrictedCone),
            (M::EndpointIndependent, F::AddressAndPortDependent, NatType::PortRestrictedCone),
            (M::AddressDependent, F::EndpointIndependent, NatType::Symmetric),
            (M::AddressDependent, F::AddressDependent, NatType::Symmetric),
            (M::AddressDependent, F::AddressAndPortDependent, NatType::Symmetric),
            (M::AddressAndPortDependent, F::EndpointIndependent, NatType::Symmetric),
            (M::AddressAndPortDependent, F::AddressDependent, NatType::Symmetric),
            (M::AddressAndPortDependent, F::AddressAndPortDependent, NatType::Symmetric),
        ];
        for (m, f, t) in expected {
            assert_eq!(classify(&MappingVerdict::Known(m), Ok(f)), Ok(t), "{m} {f}");
        }
        assert_eq!(classify(&MappingVerdict::NoNat, Ok(F::EndpointIndependent)), Ok(NatType::OpenInternet));
        assert_eq!(
            classify(&MappingVerdict::NoNat, Ok(F::AddressDependent)),
            Ok(NatType::SymmetricUdpFirewall)
        );
        assert!(classify(&MappingVerdict::NoNat, Err("x")).is_err());
        assert!(classify(&MappingVerdict::Known(M::EndpointIndependent), Err("x")).is_err());
        assert_eq!(classify(&MappingVerdict::NotIndependent, Err("x")), Ok(NatType::Symmetric));
        assert!(classify(&MappingVerdict::Unknown("y".into()), Ok(F::EndpointIndependent)).is_err());
    }

    #[test]
    fn json_spellings() {
        assert_eq!(serde_json::to_value(NatType::PortRestrictedCone).unwrap(), "port-restricted-cone");
        assert_eq!(serde_json::to_value(NatType::SymmetricUdpFirewall).unwrap(), "symmetric-udp-firewall");
        assert_eq!(
            serde_json::to_value(MappingBehavior::AddressAndPortDependent).unwrap(),
            "address-and-port-dependent"
        );
        assert_eq!(FilteringBehavior::AddressDependent.to_string(), "address-dependent");
    }
}
