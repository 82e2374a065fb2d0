//! Why there was no direct path, from what crossed the wire: both sides' taps
//! ([`crate::loopback::wire`]) against both sides' candidates. Each side's report carries its own
//! record (`wire`), so with an rtctool peer the diagnosis states the whole picture: whether our
//! checks to its server-reflexive address reached it, from which port its checks came, whether
//! they reached us.

use std::collections::BTreeSet;
use std::net::SocketAddr;

use serde::Deserialize;

use crate::core::ice::CandidateType;
use crate::loopback::wire::WireReport;

use super::report::{CallCandidate, CallReport};

/// The wire's account of a call that found no direct path (not connected, or connected
/// through a relay); nothing when it did, or when there is no record.
pub fn explain(r: &CallReport) -> Vec<String> {
    let Some(ours) = &r.wire else { return Vec::new() };
    if r.is_direct() {
        return Vec::new();
    }
    let theirs =
        r.remote_report.as_ref().and_then(|v| v.get("wire")).and_then(|w| WireReport::deserialize(w).ok());
    from_wire(&r.candidates, ours, theirs.as_ref())
}

/// The lines of [`explain`], from the candidates of both ends and the two records.
fn from_wire(candidates: &[CallCandidate], ours: &WireReport, theirs: Option<&WireReport>) -> Vec<String> {
    let srflx = |from: &str| -> BTreeSet<SocketAddr> {
        candidates
            .iter()
            .filter(|c| c.from == from && c.candidate.typ == CandidateType::Srflx && c.candidate.is_udp())
            .filter_map(|c| Some(SocketAddr::new(c.candidate.ip()?, c.candidate.port)))
            .collect()
    };
    let (their_srflx, our_srflx) = (srflx("remote"), srflx("local"));
    let mut out = Vec::new();
    let mut none_answered_us = true;
    let mut none_answered_them = true;

    // Our checks to its public (server-reflexive) address.
    for s in &their_srflx {
        let Some(sent) = ours.checks_sent.iter().find(|c| c.to == *s) else {
            out.push(format!("we sent no check to its server-reflexive address {s}"));
            continue;
        };
        if sent.responses > 0 {
            none_answered_us = false;
            continue;
        }
        let mut line =
            format!("our {} to its server-reflexive address {s} got no answer", checks(sent.requests));
        if let Some(t) = theirs {
            let arrived: Vec<&SocketAddr> =
                t.checks_received.iter().map(|c| &c.from).filter(|a| same_ip(a, &our_srflx)).collect();
            if arrived.iter().any(|a| our_srflx.contains(a)) {
                line.push_str(": they reached it, and its answers did not reach us");
            } else if let Some(a) = arrived.first() {
                line.push_str(&format!(
                    ": they reached it from {a}, not from our server-reflexive port, so our NAT \
                     sent them from another port (it maps per destination, or an earlier check \
                     of the peer's had taken the mapping's place)"
                ));
            } else {
                line.push_str(": none reached it, so its NAT dropped them (it filters by address and port)");
            }
        }
        out.push(line);
    }

    // Its checks, as they arrived here.
    for s in &their_srflx {
        let ports: Vec<u16> = ours
            .checks_received
            .iter()
            .filter(|c| c.from.ip() == s.ip() && c.from.port() != s.port())
            .map(|c| c.from.port())
            .collect();
        let from_srflx = ours.checks_received.iter().any(|c| c.from == *s);
        if !ports.is_empty() && !from_srflx {
            out.push(format!(
                "its checks arrived from {} port{} {}, not from its server-reflexive port {}: its NAT \
                 gives each destination its own port",
                s.ip(),
                if ports.len() == 1 { "" } else { "s" },
                join(&ports),
                s.port()
            ));
        }
    }
    if let Some(t) = theirs {
        for s in &our_srflx {
            let Some(sent) = t.checks_sent.iter().find(|c| c.to == *s) else { continue };
            if sent.responses > 0 {
                none_answered_them = false;
                continue;
            }
            let arrived =
                ours.checks_received.iter().any(|c| their_srflx.iter().any(|t| t.ip() == c.from.ip()));
            if !arrived {
                out.push(format!(
                    "its {} to our server-reflexive address {s} never arrived: our NAT dropped them \
                     (it filters by address and port)",
                    checks(sent.requests)
                ));
            }
        }
    }
    let we_checked = ours.checks_sent.iter().any(|c| c.requests > 0);
    if we_checked && none_answered_us && (theirs.is_none() || none_answered_them) && !their_srflx.is_empty() {
        out.push(if theirs.is_some() {
            "no direct check was answered in either direction: no direct path exists, only a relay can carry \
             this call"
                .to_owned()
        } else {
            "none of our direct checks was answered (the peer's own record is not here: it is not rtctool, or \
             sent no report)"
                .to_owned()
        });
    }
    out
}

fn same_ip(a: &SocketAddr, set: &BTreeSet<SocketAddr>) -> bool {
    set.iter().any(|s| s.ip() == a.ip())
}

fn checks(n: u64) -> String {
    crate::core::units::count(n, "check")
}

fn join(ports: &[u16]) -> String {
    let shown: Vec<String> = ports.iter().take(5).map(u16::to_string).collect();
    let more = ports.len().saturating_sub(5);
    if more > 0 {
        format!("{} and {more} more", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::ice::Candidate;
    use crate::loopback::wire::{ChecksFrom, ChecksTo};

    fn cand(from: &'static str, line: &str) -> CallCandidate {
        CallCandidate { from, elapsed_ms: 0.0, candidate: Candidate::parse(line).unwrap() }
    }

    fn to(addr: &str, requests: u64, responses: u64) -> ChecksTo {
        ChecksTo {
            to: addr.parse().unwrap(),
            requests,
            responses,
            first_ms: 1.0,
            first_response_ms: None,
            response_from: None,
            seen_as: None,
        }
    }

    fn from(addr: &str, requests: u64) -> ChecksFrom {
        ChecksFrom { from: addr.parse().unwrap(), requests, answered: requests, first_ms: 1.0 }
    }

    /// Us behind a port-restricted NAT (public 198.51.100.1:5000), the peer behind a
    /// symmetric one (srflx 203.0.113.9:6000 for the STUN server).
    fn candidates() -> Vec<CallCandidate> {
        vec![
            cand(
                "local",
                "candidate:1 1 udp 1694498815 198.51.100.1 5000 typ srflx raddr 10.0.0.2 rport 4000",
            ),
            cand(
                "remote",
                "candidate:2 1 udp 1694498815 203.0.113.9 6000 typ srflx raddr 10.1.0.2 rport 4100",
            ),
        ]
    }

    #[test]
    fn port_restricted_against_symmetric_names_both_sides_drops() {
        let ours = WireReport { checks_sent: vec![to("203.0.113.9:6000", 7, 0)], ..Default::default() };
        let theirs = WireReport { checks_sent: vec![to("198.51.100.1:5000", 6, 0)], ..Default::default() };
        let lines = from_wire(&candidates(), &ours, Some(&theirs));
        assert!(lines[0].starts_with("our 7 checks to its server-reflexive address 203.0.113.9:6000 got no answer: none reached it"), "{lines:?}");
        assert!(lines[1].starts_with("its 6 checks to our server-reflexive address 198.51.100.1:5000 never arrived: our NAT dropped them"), "{lines:?}");
        assert!(lines[2].starts_with("no direct check was answered in either direction"), "{lines:?}");
        assert_eq!(lines.len(), 3);
    }

    #[test]
    fn checks_from_another_port_show_a_mapping_per_destination() {
        // Its checks came from 6001 and 6002 (its NAT's mappings towards us); ours reached it
        // from our srflx port, but its answers never came back (its filter).
        let ours = WireReport {
            checks_sent: vec![to("203.0.113.9:6000", 5, 0)],
            checks_received: vec![from("203.0.113.9:6001", 3), from("203.0.113.9:6002", 2)],
            others: 0,
        };
        let theirs = WireReport {
            checks_sent: vec![to("198.51.100.1:5000", 5, 0)],
            checks_received: vec![from("198.51.100.1:5001", 4)],
            others: 0,
        };
        let lines = from_wire(&candidates(), &ours, Some(&theirs));
        assert!(
            lines[0].contains("they reached it from 198.51.100.1:5001, not from our server-reflexive port"),
            "{lines:?}"
        );
        assert!(lines[1].starts_with("its checks arrived from 203.0.113.9 ports 6001, 6002, not from its server-reflexive port 6000"), "{lines:?}");
        // Its checks did arrive here, so the "never arrived" line does not appear.
        assert!(!lines.iter().any(|l| l.contains("never arrived")), "{lines:?}");
    }

    #[test]
    fn without_the_peers_record_only_our_side_is_stated() {
        let ours = WireReport { checks_sent: vec![to("203.0.113.9:6000", 4, 0)], ..Default::default() };
        let lines = from_wire(&candidates(), &ours, None);
        assert_eq!(lines[0], "our 4 checks to its server-reflexive address 203.0.113.9:6000 got no answer");
        assert!(lines[1].contains("the peer's own record is not here"), "{lines:?}");
        // An answered check: nothing to explain about that address, no conclusion.
        let ours = WireReport { checks_sent: vec![to("203.0.113.9:6000", 4, 1)], ..Default::default() };
        assert!(from_wire(&candidates(), &ours, None).is_empty());
    }
}
