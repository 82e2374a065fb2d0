//! Candidates: host, srflx and relay ones as browsers make them — Chromium's foundations and
//! priorities, and its srflx deduplication (not the local address itself, not twice for one
//! socket).

use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use super::{Gatherer, ProbeId, SocketId, Via};
use crate::core::ice::priority::{priority, TYPE_PREFERENCE_SRFLX};
use crate::core::ice::{foundation, Candidate, CandidateType};
use crate::core::transact::same_address;
use crate::gather::report::GatheredCandidate;
use crate::gather::Event;

impl Gatherer {
    pub(super) fn srflx(&mut self, p: ProbeId, m: SocketAddr, now: Instant) {
        let r = self.probes[p].report;
        let Via::Udp(SocketId(socket)) = self.probes[p].via else { return };
        let Some(base) = self.probes[p].base else { return };
        if self.config.relay_only {
            return;
        }
        if socket >= self.locals.len() {
            self.reports[r].note =
                Some("a socket of its own, not a host candidate's: no srflx from it".into());
            return;
        }
        if same_address(m, base) {
            self.reports[r].note =
                Some("mapped address = local address (no NAT): no srflx candidate, as in browsers".into());
            return;
        }
        if !self.srflx_seen.insert((socket, m)) {
            self.reports[r].note = Some("same mapped address as another server: srflx not repeated".into());
            return;
        }
        let c = candidate(
            CandidateType::Srflx,
            "udp",
            m,
            base.ip(),
            Some(self.probes[p].destination.ip()),
            Some(base),
            TYPE_PREFERENCE_SRFLX,
            self.probes[p].preference,
        );
        let url = Some(self.config.servers[self.probes[p].server].label());
        let interface = self.probes[p].interface.clone();
        self.add_candidate(c, url, None, interface, now);
        self.reports[r].note = Some("srflx candidate".into());
    }

    pub(super) fn add_candidate(
        &mut self,
        candidate: Candidate,
        url: Option<String>,
        relay_protocol: Option<&'static str>,
        interface: Option<String>,
        now: Instant,
    ) {
        let elapsed_ms = self.ms(now);
        self.candidates.push(GatheredCandidate { candidate, url, relay_protocol, interface, elapsed_ms });
        self.events.push_back(Event::Candidate(self.candidates.len() - 1));
    }
}

/// A gathered candidate, component 1, with its foundation and priority computed the way
/// Chromium does (`transport` feeds the foundation: relays reached over UDP, TCP and TLS
/// differ; the candidate's own protocol is UDP except for TCP host candidates).
#[allow(clippy::too_many_arguments)]
pub(super) fn candidate(
    typ: CandidateType,
    transport: &str,
    address: SocketAddr,
    base_ip: IpAddr,
    server_ip: Option<IpAddr>,
    related: Option<SocketAddr>,
    type_preference: u8,
    local_preference: u16,
) -> Candidate {
    let protocol = if typ == CandidateType::Host { transport } else { "udp" };
    let mut c = Candidate::new(
        foundation(typ, base_ip, server_ip, transport),
        1,
        protocol.to_string(),
        priority(type_preference, local_preference, 1),
        address.ip().to_canonical().to_string(),
        address.port(),
        typ,
    );
    c.related_address = related.map(|r| r.ip().to_canonical().to_string());
    c.related_port = related.map(|r| r.port());
    c
}
