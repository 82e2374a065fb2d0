//! `call --nat-check`: each side runs `nat-type`'s RFC 5780 tests against the STUN server
//! first, the two sides swap what they found (in their reports), and the report predicts the
//! cell of the NAT traversal table (a direct path or a relay) and says whether the outcome
//! matched, with the mapping and filtering evidence in plain words.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::core::ice::IceServer;
use crate::core::ice::Scheme;

/// What one side's NAT does, as `nat-type` found it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct NatSide {
    /// open-internet, full-cone, ..., symmetric, udp-blocked, unknown.
    pub nat_type: String,
    /// endpoint-independent, address-dependent, address-and-port-dependent, or null.
    pub mapping: Option<String>,
    /// The same vocabulary, or null.
    pub filtering: Option<String>,
    /// The public address the server saw.
    pub mapped_address: Option<String>,
    /// What showed the mapping behaviour.
    pub mapping_evidence: String,
    /// What showed the filtering behaviour.
    pub filtering_evidence: String,
    /// The server asked.
    pub server: String,
}

/// The prediction and how the call went.
#[derive(Debug, Clone, Serialize)]
pub struct NatCheck {
    /// This side.
    pub local: Option<NatSide>,
    /// The peer's side, from its report.
    pub remote: Option<NatSide>,
    /// `local-type × remote-type`.
    pub cell: Option<String>,
    /// Whether a direct path should exist (null when a side is unknown).
    pub predicted_direct: Option<bool>,
    /// Whether the call connected over a direct (non-relay) pair.
    pub direct: bool,
    /// Whether the outcome matched the prediction.
    pub matched: Option<bool>,
    /// Why the local test could not run, if it could not.
    pub error: Option<String>,
}

impl NatCheck {
    /// The check from this side's result, the peer's (once its report came) and whether the
    /// call went over a direct pair.
    pub fn new(local: &Result<NatSide, String>, remote: Option<NatSide>, direct: bool) -> NatCheck {
        let (local, error) = match local {
            Ok(s) => (Some(s.clone()), None),
            Err(e) => (None, Some(e.clone())),
        };
        let (predicted_direct, cell) = match (&local, &remote) {
            (Some(l), Some(r)) => (direct_possible(l, r), Some(format!("{} × {}", l.nat_type, r.nat_type))),
            _ => (None, None),
        };
        NatCheck {
            local,
            remote,
            cell,
            predicted_direct,
            direct,
            matched: predicted_direct.map(|p| p == direct),
            error,
        }
    }
}

/// The STUN server the check asks: the first stun: or turn: server given (a TURN server is a
/// STUN server too).
pub fn server_for(servers: &[IceServer]) -> Option<String> {
    let s = servers.iter().find(|s| matches!(s.url.scheme, Scheme::Stun | Scheme::Turn))?;
    Some(s.url.host_and_port())
}

/// Run the RFC 5780 tests (blocking: call it from `spawn_blocking`).
pub fn run(server: &str, bind: IpAddr, timeout: Duration) -> Result<NatSide, String> {
    let opts = crate::nat::Options {
        server: server.to_owned(),
        server2: None,
        local: (!bind.is_unspecified()).then(|| SocketAddr::new(bind, 0)),
        family: Some(if bind.is_ipv6() { crate::nat::Family::V6 } else { crate::nat::Family::V4 }),
        timeout,
        hairpin: false,
        software: Some(format!("rtctool {}", env!("CARGO_PKG_VERSION"))),
    };
    let d = crate::nat::discover(&opts, |_, _| {}).map_err(|e| e.to_string())?;
    let r = d.report();
    Ok(NatSide {
        nat_type: r.nat_type.as_str().to_owned(),
        mapping: r.mapping.map(|m| m.as_str().to_owned()),
        filtering: r.filtering.map(|f| f.as_str().to_owned()),
        mapped_address: r.mapped_address.map(|a| a.to_string()),
        mapping_evidence: r.mapping_evidence,
        filtering_evidence: r.filtering_evidence,
        server: r.server.to_string(),
    })
}

fn maps_per_destination(s: &NatSide) -> bool {
    matches!(s.mapping.as_deref(), Some("address-dependent" | "address-and-port-dependent"))
}

fn filters_by_port(s: &NatSide) -> bool {
    s.filtering.as_deref() == Some("address-and-port-dependent")
}

/// Whether hole punching can open a direct path between the two: not when UDP is blocked on
/// either side, not when both NATs map per destination (neither side's srflx is where its
/// checks come from), and not when one maps per destination and the other filters by address
/// and port (the filtering side never sent to the port the other's checks come from). None
/// when a side's behaviour is unknown.
pub fn direct_possible(a: &NatSide, b: &NatSide) -> Option<bool> {
    if a.nat_type == "udp-blocked" || b.nat_type == "udp-blocked" {
        return Some(false);
    }
    a.mapping.as_ref()?;
    b.mapping.as_ref()?;
    a.filtering.as_ref()?;
    b.filtering.as_ref()?;
    let blocked = (maps_per_destination(a) && (maps_per_destination(b) || filters_by_port(b)))
        || (maps_per_destination(b) && filters_by_port(a));
    Some(!blocked)
}

/// The plain-words lines for a call that did not connect directly.
pub fn explain(check: &NatCheck) -> Vec<String> {
    let mut out = Vec::new();
    let describe = |who: &str, s: &NatSide| {
        let mut parts = Vec::new();
        if maps_per_destination(s) {
            parts.push(format!(
                "{who} NAT maps per destination ({}: {})",
                s.mapping.as_deref().unwrap_or("?"),
                s.mapping_evidence
            ));
        }
        if filters_by_port(s) {
            parts.push(format!("{who} NAT filters by address and port ({})", s.filtering_evidence));
        }
        if s.nat_type == "udp-blocked" {
            parts.push(format!("{who} network blocks UDP"));
        }
        parts
    };
    if let Some(l) = &check.local {
        out.extend(describe("our", l));
    }
    if let Some(r) = &check.remote {
        out.extend(describe("the peer's", r));
    }
    match (check.predicted_direct, check.direct) {
        (Some(false), false) => out.push(format!(
            "so no direct path exists between these two ({}): a relay is needed",
            check.cell.as_deref().unwrap_or("?")
        )),
        (Some(true), false) => out.push(format!(
            "a direct path was expected ({}) but none was found",
            check.cell.as_deref().unwrap_or("?")
        )),
        (Some(false), true) => out.push(format!(
            "a direct path was found although the table says none exists ({})",
            check.cell.as_deref().unwrap_or("?")
        )),
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn side(nat_type: &str, mapping: &str, filtering: &str) -> NatSide {
        NatSide {
            nat_type: nat_type.into(),
            mapping: Some(mapping.into()),
            filtering: Some(filtering.into()),
            mapped_address: None,
            mapping_evidence: String::new(),
            filtering_evidence: String::new(),
            server: String::new(),
        }
    }

    #[test]
    fn the_traversal_table() {
        let full = side("full-cone", "endpoint-independent", "endpoint-independent");
        let restricted = side("restricted-cone", "endpoint-independent", "address-dependent");
        let port = side("port-restricted-cone", "endpoint-independent", "address-and-port-dependent");
        let sym = side("symmetric", "address-and-port-dependent", "address-and-port-dependent");
        let firewall = side("symmetric-udp-firewall", "endpoint-independent", "address-and-port-dependent");
        let blocked =
            NatSide { nat_type: "udp-blocked".into(), mapping: None, filtering: None, ..full.clone() };
        assert_eq!(direct_possible(&full, &sym), Some(true));
        assert_eq!(direct_possible(&restricted, &sym), Some(true));
        assert_eq!(direct_possible(&port, &sym), Some(false));
        assert_eq!(direct_possible(&sym, &port), Some(false));
        assert_eq!(direct_possible(&sym, &sym), Some(false));
        assert_eq!(direct_possible(&firewall, &sym), Some(false));
        assert_eq!(direct_possible(&port, &port), Some(true));
        assert_eq!(direct_possible(&blocked, &full), Some(false));
        let unknown = NatSide { mapping: None, ..full.clone() };
        assert_eq!(direct_possible(&unknown, &full), None);
    }
}
