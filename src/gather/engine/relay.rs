//! TURN probes: gathering drives one [`turn::Client`] per (socket, server) and turns its typed
//! events into the probe's steps, verdict and relay candidate.

use std::net::SocketAddr;
use std::time::Instant;

use super::relay_test::{Arrival, Leg, Outgoing, RelayTest, RELAY_TEST_BUDGET};
use super::{candidate, unanswered, Datagram, Gatherer, Phase, Probe, ProbeId, ReportId, SocketId, Via};
use crate::core::addr::unreachable_beside;
use crate::core::ice::priority::{
    CHROMIUM_TYPE_PREFERENCE_RELAY_TCP, CHROMIUM_TYPE_PREFERENCE_RELAY_TLS,
    CHROMIUM_TYPE_PREFERENCE_RELAY_UDP,
};
use crate::core::ice::{CandidateType, EffectiveTransport};
use crate::core::output::millis;
use crate::core::stun::attr;
use crate::core::transact::{same_address, AuthFailure, LongTermAuth, Response, Unanswered};
use crate::core::turn::{self, Allocation, Carrier, Event, Failure, Input, Request};
use crate::gather::report::{FailureKind, RelayTestResult};

impl Gatherer {
    /// Start the probe's allocation (again, after a redirection).
    pub(super) fn begin_turn(&mut self, p: ProbeId, now: Instant) {
        let server = &self.config.servers[self.probes[p].server];
        let carrier = match self.probes[p].via {
            Via::Udp(_) => Carrier::Datagram,
            Via::Stream(_) => Carrier::Stream,
        };
        let destination = self.probes[p].destination;
        let mut config = turn::Config::new(destination, carrier);
        config.auth =
            server.credentials.as_ref().map(|c| LongTermAuth::new(c.username.clone(), c.password.expose()));
        config.software = self.config.software.clone();
        config.rto = self.config.rto;
        config.ipv6_relay = destination.is_ipv6();
        // Gathering releases the allocation as soon as every probe has its verdict.
        config.auto_refresh = false;
        if let Some(old) = self.probes[p].turn.take() {
            self.probes[p].earlier_transmissions += old.transmissions();
        }
        let mut client = turn::Client::new(config, self.ids.fork());
        self.probes[p].phase = Phase::Allocating;
        client.allocate(now, self.deadline);
        self.probes[p].turn = Some(client);
        self.pump(p, now);
    }

    /// Bytes for the probe's TURN client.
    pub(super) fn turn_input(&mut self, p: ProbeId, bytes: &[u8], from: SocketAddr, now: Instant) {
        let probe = &mut self.probes[p];
        let Some(client) = probe.turn.as_mut() else { return };
        if let Input::Data { peer, data, channel } = client.handle_input(bytes, from, now) {
            let test = probe.relay_test.as_mut().filter(|_| probe.phase == Phase::RelayTest);
            if let Some(arrival) = test.and_then(|t| t.handle_probe(data, Leg::Inbound, peer, channel, now)) {
                self.relay_arrival(p, arrival, now);
            }
        }
        self.pump(p, now);
    }

    /// Time for the probe's TURN client (and its relay test).
    pub(super) fn turn_timeout(&mut self, p: ProbeId, now: Instant) {
        let Some(client) = self.probes[p].turn.as_mut() else { return };
        client.handle_timeout(now);
        self.pump(p, now);
        if self.probes[p].phase == Phase::RelayTest {
            if let Some(test) = self.probes[p].relay_test.as_mut() {
                test.handle_timeout(now);
                let over = test.is_over(now);
                self.flush_relay_test(p, now);
                if over {
                    self.end_relay_test(p, None, now);
                }
            }
        }
    }

    /// The transport to the probe's server failed.
    pub(super) fn turn_transport_error(&mut self, p: ProbeId, why: &str, now: Instant) {
        let Some(client) = self.probes[p].turn.as_mut() else { return };
        client.handle_transport_error(why, now);
        self.pump(p, now);
    }

    /// Release the probe's allocation, bounded by `until`.
    pub(super) fn release(&mut self, p: ProbeId, until: Instant, now: Instant) {
        let Some(client) = self.probes[p].turn.as_mut() else { return };
        if client.release(now, until) {
            self.probes[p].phase = Phase::Releasing;
        }
        self.pump(p, now);
    }

    /// The report's count of transmissions, from the client.
    pub(super) fn sync_transmissions(&mut self, p: ProbeId) {
        if let Some(client) = &self.probes[p].turn {
            let r = self.probes[p].report;
            self.reports[r].transmissions = self.probes[p].earlier_transmissions + client.transmissions();
        }
    }

    fn pump(&mut self, p: ProbeId, now: Instant) {
        while let Some(event) = self.probes[p].turn.as_mut().and_then(|c| c.poll_event()) {
            self.on_turn_event(p, event, now);
        }
        self.sync_transmissions(p);
    }

    fn on_turn_event(&mut self, p: ProbeId, event: Event, now: Instant) {
        let r = self.probes[p].report;
        let destination = self.probes[p].destination;
        match event {
            Event::Requested { request: Request::Allocate, authenticated } => {
                let what = format!(
                    "Allocate{}{} to {destination}",
                    if authenticated { " (authenticated)" } else { "" },
                    if destination.is_ipv6() { " for an IPv6 relay" } else { "" },
                );
                self.step(r, now, what);
            }
            Event::Requested { request: Request::Release, .. } => {
                self.step(r, now, "Refresh with LIFETIME 0 (release)");
            }
            Event::Answered { request, response } => {
                self.record_answer(r, &response);
                let answered = match response.error() {
                    None => "success".to_string(),
                    Some((code, reason)) => {
                        if let Some(realm) = response.text(attr::REALM) {
                            self.reports[r].realm = Some(realm);
                        }
                        format!("{code} {}", reason.trim())
                    }
                };
                let took = match response.rtt {
                    Some(rtt) => format!("{} ms", millis(rtt)),
                    None => {
                        format!("{} ms, {} transmissions", millis(response.elapsed), response.transmissions)
                    }
                };
                self.step(r, now, format!("{} {answered} ({took})", request.name()));
            }
            Event::Refused { stray, .. } => {
                self.step(r, now, format!("refused an answer from {}: it {}", stray.from, stray.reason));
            }
            Event::Challenged { request: Request::Allocate, code, algorithm } => {
                let what = if code == 438 { "stale nonce: retrying with the new one" } else { "challenged" };
                self.step(r, now, format!("{what} (password algorithm {algorithm:?})"));
            }
            Event::Allocated(allocation) => self.allocated(p, allocation, now),
            Event::ChannelBound { .. } | Event::PermissionCreated(_)
                if self.probes[p].phase == Phase::RelayTest =>
            {
                if let Some(test) = self.probes[p].relay_test.as_mut() {
                    test.start(now);
                }
                self.flush_relay_test(p, now);
            }
            Event::Failed { request: Request::ChannelBind { peer, .. }, failure }
                if self.probes[p].phase == Phase::RelayTest =>
            {
                // Some servers refuse channels: Send and Data indications then.
                self.step(r, now, format!("relay test: ChannelBind failed ({failure}): CreatePermission for {} and Send indications instead", peer.ip()));
                if let Some(client) = self.probes[p].turn.as_mut() {
                    if let Err(e) = client.create_permission(peer.ip(), now) {
                        self.end_relay_test(
                            p,
                            Some((FailureKind::RelayBroken, None, format!("relay test: {e}"))),
                            now,
                        );
                    }
                }
            }
            Event::Failed { request: Request::CreatePermission(peer), failure }
                if self.probes[p].phase == Phase::RelayTest =>
            {
                let why =
                    format!("allocation ok, relay not usable: CreatePermission for {peer} failed: {failure}");
                self.end_relay_test(p, Some((FailureKind::RelayBroken, failure.code(), why)), now);
            }
            Event::Released => {
                self.probes[p].phase = Phase::Done;
                self.released(r, true, None);
                self.close(p);
            }
            Event::Failed { request: Request::Allocate, failure } => self.allocate_failed(p, failure, now),
            Event::Failed { request: Request::Release, failure } => {
                self.probes[p].phase = Phase::Done;
                let why = match failure {
                    Failure::NoAnswer(u) => {
                        let u = u.with_unrelated(self.probes[p].unrelated.as_ref());
                        unanswered("Refresh", destination, matches!(self.probes[p].via, Via::Stream(_)), &u).1
                    }
                    Failure::Error { code: 437, reason } => {
                        format!("Refresh: 437 {reason} (the server no longer has the allocation)")
                    }
                    Failure::Error { code, reason }
                    | Failure::Auth { code, reason, .. }
                    | Failure::NeedsCredentials { code, reason, .. } => format!("Refresh: {code} {reason}"),
                    other => format!("Refresh: {other}"),
                };
                self.released(r, false, Some(why));
                self.close(p);
            }
            // Gathering asks for nothing else.
            _ => {}
        }
    }

    /// What every answer tells about the server, whatever the request.
    pub(super) fn record_answer(&mut self, r: ReportId, response: &Response) {
        let report = &mut self.reports[r];
        if report.rtt_ms.is_none() {
            report.rtt_ms = response.rtt.map(millis);
        }
        if let Some(sw) = response.text(attr::SOFTWARE) {
            report.software = Some(sw);
        }
        if let Some(o) = response.address(attr::RESPONSE_ORIGIN) {
            report.response_origin = Some(o);
        }
        if let Some(o) = response.address(attr::OTHER_ADDRESS) {
            report.other_address = Some(o);
        }
    }

    fn allocated(&mut self, p: ProbeId, allocation: Allocation, now: Instant) {
        let r = self.probes[p].report;
        let Allocation { relayed, mapped, lifetime } = allocation;
        self.probes[p].phase = Phase::Allocated;
        {
            let report = &mut self.reports[r];
            report.relayed_address = Some(relayed);
            report.mapped_address = mapped;
            report.lifetime_s = lifetime;
        }
        self.reports[r].allocated_ms = Some(self.ms(now));
        if let (Via::Udp(SocketId(socket)), Some(m)) = (self.probes[p].via, mapped) {
            self.udp_mapped.entry(socket).or_insert(m);
        }
        // With a relay test the verdict waits for it.
        if !(self.config.relay_test && self.begin_relay_test(p, relayed, mapped, now)) {
            self.succeed(r, now);
        }
        let base = self.probes[p].base.unwrap_or(relayed);
        let server_ip = self.probes[p].destination.ip();
        let transport = self.config.servers[self.probes[p].server].transport();
        if let (Some(m), Via::Udp(_), false) = (mapped, self.probes[p].via, self.config.relay_only) {
            self.srflx(p, m, now);
        }
        let type_preference = match transport {
            EffectiveTransport::Udp => CHROMIUM_TYPE_PREFERENCE_RELAY_UDP,
            EffectiveTransport::Tcp => CHROMIUM_TYPE_PREFERENCE_RELAY_TCP,
            EffectiveTransport::Tls => CHROMIUM_TYPE_PREFERENCE_RELAY_TLS,
        };
        let related = mapped.unwrap_or(base);
        let c = candidate(
            CandidateType::Relay,
            transport.as_str(),
            relayed,
            base.ip(),
            Some(server_ip),
            Some(related),
            type_preference,
            self.probes[p].preference,
        );
        let url = Some(self.config.servers[self.probes[p].server].label());
        let interface = self.probes[p].interface.clone();
        self.add_candidate(c, url, Some(transport.as_str()), interface, now);
        let note = self.reports[r].note.take();
        self.reports[r].note = Some(match note {
            Some(n) => format!("relay candidate; {n}"),
            None => "relay candidate".into(),
        });
    }

    /// Our UDP socket that plays the relay test's peer, and its address as the relay will see
    /// it: over UDP the probe's own socket and mapped address; over TCP or TLS the UDP socket
    /// on the same address, at the mapping a server gave it (or its own address, when that
    /// is one the server can reach).
    fn relay_test_peer(&self, p: ProbeId, mapped: Option<SocketAddr>) -> Result<(Via, SocketAddr), String> {
        let probe = &self.probes[p];
        let base = probe.base.ok_or("no local address")?;
        match probe.via {
            Via::Udp(_) => Ok((probe.via, mapped.unwrap_or(base))),
            Via::Stream(_) => {
                let Some(k) = self.locals.iter().position(|l| l.address.ip() == base.ip()) else {
                    return Err(format!("no UDP socket of ours on {} to play the peer", base.ip()));
                };
                if let Some(m) = self.udp_mapped.get(&k) {
                    return Ok((Via::Udp(SocketId(k)), *m));
                }
                let own = self.locals[k].address;
                match unreachable_beside(own.ip(), probe.destination.ip()) {
                    None => Ok((Via::Udp(SocketId(k)), own)),
                    Some(why) => Err(format!(
                        "no address of our UDP socket {own} the relay can reach is known ({why}, and no STUN or UDP TURN server gave its mapping: add --stun)"
                    )),
                }
            }
        }
    }

    /// Start the relay test of a fresh allocation; false when it cannot run (said in a step).
    fn begin_relay_test(
        &mut self,
        p: ProbeId,
        relayed: SocketAddr,
        mapped: Option<SocketAddr>,
        now: Instant,
    ) -> bool {
        let r = self.probes[p].report;
        let (peer_via, peer) = match self.relay_test_peer(p, mapped) {
            Ok(found) => found,
            Err(why) => {
                self.step(r, now, format!("relay test skipped: {why}"));
                self.reports[r].note = Some(format!("relay test skipped: {why}"));
                return false;
            }
        };
        let Some(client) = self.probes[p].turn.as_mut() else { return false };
        let channel = match client.channel_bind(peer, now) {
            Ok(channel) => channel,
            Err(e) => {
                self.step(r, now, format!("relay test skipped: {e}"));
                return false;
            }
        };
        let until = now + self.config.timeout.min(RELAY_TEST_BUDGET);
        let test = RelayTest::new(self.ids.next_id(), peer_via, peer, relayed, self.config.rto, until);
        self.probes[p].relay_test = Some(test);
        self.probes[p].phase = Phase::RelayTest;
        self.step(
            r,
            now,
            format!(
                "relay test: ChannelBind {channel:#06x} to {peer} (our UDP socket as the relay will see it)"
            ),
        );
        true
    }

    /// The relay test's datagrams into the probe's outbox: plain ones as they are, relayed
    /// ones framed by the TURN client.
    pub(super) fn flush_relay_test(&mut self, p: ProbeId, now: Instant) {
        let Probe { relay_test, turn, outbox, via, destination, .. } = &mut self.probes[p];
        let (Some(test), Some(client)) = (relay_test.as_mut(), turn.as_mut()) else { return };
        let mut refused = Vec::new();
        while let Some(o) = test.poll_outgoing() {
            match o {
                Outgoing::Raw { via, to, bytes } => outbox.push_back(Datagram { via, to, bytes }),
                Outgoing::Relayed { peer, bytes } => match client.send(peer, &bytes) {
                    Ok(frame) => {
                        outbox.push_back(Datagram { via: *via, to: *destination, bytes: frame.to_vec() })
                    }
                    Err(e) => refused.push(format!("relay test: no probe to {peer}: {e}")),
                },
            }
        }
        let r = self.probes[p].report;
        for what in refused {
            self.step(r, now, what);
        }
    }

    /// A relay test datagram arrived at one of our UDP sockets: an outbound probe, from the
    /// relay.
    pub(super) fn relay_probe_arrived(&mut self, via: Via, bytes: &[u8], from: SocketAddr, now: Instant) {
        let Some(i) = self.probes.iter().position(|p| {
            p.phase == Phase::RelayTest
                && p.relay_test.as_ref().is_some_and(|t| t.peer_via == via && t.is_ours(bytes))
        }) else {
            return;
        };
        let p = ProbeId(i);
        let arrival = self.probes[p]
            .relay_test
            .as_mut()
            .and_then(|t| t.handle_probe(bytes, Leg::Outbound, from, None, now));
        if let Some(arrival) = arrival {
            self.relay_arrival(p, arrival, now);
        }
        self.check_complete(now);
    }

    fn relay_arrival(&mut self, p: ProbeId, a: Arrival, now: Instant) {
        let r = self.probes[p].report;
        let Some(test) = self.probes[p].relay_test.as_ref() else { return };
        let (relayed, passed) = (test.relayed, test.passed());
        let what = match a.leg {
            Leg::Inbound => format!(
                "relay test: our datagram to the relayed address {relayed} came back through the server ({}) in {} ms; the relay saw it from {}",
                match a.channel {
                    Some(c) => format!("ChannelData {c:#06x}"),
                    None => "a Data indication".into(),
                },
                millis(a.rtt),
                a.from
            ),
            Leg::Outbound => format!("relay test: data sent through the relay arrived from {} in {} ms", a.from, millis(a.rtt)),
        };
        self.step(r, now, what);
        self.flush_relay_test(p, now);
        if passed {
            self.end_relay_test(p, None, now);
        }
    }

    /// The relay test is over (passed, out of time, or cut short by `cut`: its failure kind,
    /// STUN code and words): its result into the report, and the probe's verdict.
    pub(super) fn end_relay_test(
        &mut self,
        p: ProbeId,
        cut: Option<(FailureKind, Option<u16>, String)>,
        now: Instant,
    ) {
        if self.probes[p].phase != Phase::RelayTest {
            return;
        }
        self.probes[p].phase = Phase::Allocated;
        let r = self.probes[p].report;
        let Some(test) = self.probes[p].relay_test.as_ref() else { return };
        let via = match self.probes[p].turn.as_ref().and_then(|c| c.channel_of(test.target())) {
            Some(_) => "channel",
            None => "send-indication",
        };
        let relayed = test.relayed;
        let relay_source = test.outbound.map(|a| a.from).filter(|&from| !same_address(from, relayed));
        let waited = self.config.timeout.min(RELAY_TEST_BUDGET).as_millis();
        let error = match (&cut, test.inbound, test.outbound) {
            (Some((_, _, why)), _, _) => Some(why.clone()),
            (None, Some(_), Some(_)) => None,
            (None, None, None) => Some(format!(
                "allocation ok, relay broken: nothing came through the relay within {waited} ms (datagrams to the relayed address {relayed} never came back through the server, and nothing the server relayed to {} arrived): a firewall drops the relay ports, or {relayed} is not an address the server can be reached at",
                test.target()
            )),
            (None, None, Some(out)) => Some(format!(
                "allocation ok, relay broken: the relay sends (our data came out of it from {}) but datagrams to the relayed address {relayed} never came back through the server within {waited} ms: the relay ports are closed to the outside, or the server advertises an address it cannot be reached at",
                out.from
            )),
            (None, Some(_), None) => Some(format!(
                "allocation ok, relay broken: datagrams to the relayed address come back through the server, but data sent through the relay to {} never arrived within {waited} ms",
                test.target()
            )),
        };
        let result = RelayTestResult {
            ok: error.is_none(),
            rtt_ms: test.outbound.map(|a| millis(a.rtt)),
            inbound_ms: test.inbound.map(|a| millis(a.rtt)),
            via,
            peer: test.peer,
            seen_from: test.inbound.map(|a| a.from),
            relay_source,
            error: error.clone(),
        };
        self.reports[r].relay_test = Some(result);
        match (error, cut) {
            (None, _) => self.succeed(r, now),
            (Some(why), Some((kind, code, _))) => self.fail(r, code, kind, why, now),
            (Some(why), None) => self.fail(r, None, FailureKind::RelayBroken, why, now),
        }
    }

    fn allocate_failed(&mut self, p: ProbeId, failure: Failure, now: Instant) {
        let r = self.probes[p].report;
        let destination = self.probes[p].destination;
        let code = failure.code();
        let timed_out = match &failure {
            Failure::NoAnswer(Unanswered::Silent(t)) => Some(t.clone()),
            _ => None,
        };
        let server_reason = match &failure {
            Failure::Error { reason, .. }
            | Failure::Auth { reason, .. }
            | Failure::NeedsCredentials { reason, .. } => Some(reason.clone()),
            _ => None,
        };
        let (kind, why) = match failure {
            Failure::TryAlternate { alternate } => return self.redirect(p, alternate, now),
            Failure::NoAnswer(u) => {
                let u = u.with_unrelated(self.probes[p].unrelated.as_ref());
                unanswered("Allocate", destination, matches!(self.probes[p].via, Via::Stream(_)), &u)
            }
            Failure::Transport(why) => {
                (FailureKind::Unreachable, format!("Allocate to {destination}: {why}"))
            }
            Failure::NeedsCredentials { reason, realm, .. } => {
                let realm = realm.map(|r| format!(", realm \"{r}\"")).unwrap_or_default();
                (
                    FailureKind::NoCredentials,
                    format!("{reason} (the server wants credentials{realm}: give --username and --password)"),
                )
            }
            Failure::Auth { reason, failure: AuthFailure::Rejected { .. }, .. } => (
                FailureKind::Auth,
                format!("{reason} (the server rejected the credentials: wrong username or password)"),
            ),
            Failure::Auth { failure, .. } => (FailureKind::Auth, failure.to_string()),
            Failure::Error { code, reason } => {
                let explained = match code {
                    403 => format!("{reason} (the server refuses this user or address)"),
                    437 => format!("{reason} (an allocation already exists for this 5-tuple)"),
                    440 => format!("{reason} (no relay of the family asked for)"),
                    442 => format!("{reason} (the server does not relay UDP)"),
                    486 => format!("{reason} (this user has too many allocations)"),
                    508 => format!("{reason} (the server is out of relay ports)"),
                    _ => reason,
                };
                (FailureKind::StunError, explained)
            }
            Failure::Malformed(what) => (FailureKind::Protocol, what.to_string()),
            Failure::Internal(why) => (FailureKind::Protocol, why),
        };
        self.probes[p].phase = Phase::Done;
        let answered =
            matches!(kind, FailureKind::StunError | FailureKind::Auth | FailureKind::NoCredentials);
        self.fail(r, if answered { code } else { None }, kind, why, now);
        self.error_facts(r, server_reason, if kind == FailureKind::Timeout { timed_out } else { None });
        self.close(p);
    }

    fn redirect(&mut self, p: ProbeId, alternate: Option<SocketAddr>, now: Instant) {
        let r = self.probes[p].report;
        let from = self.probes[p].destination;
        let fail = |g: &mut Self, why: String| {
            g.probes[p].phase = Phase::Done;
            g.fail(r, Some(300), FailureKind::Protocol, why, now);
            g.close(p);
        };
        let Some(alternate) = alternate else {
            return fail(self, "Try Alternate without ALTERNATE-SERVER".into());
        };
        if self.probes[p].redirects >= self.config.max_redirects || same_address(alternate, from) {
            let times = self.probes[p].redirects + 1;
            return fail(self, format!("Try Alternate to {alternate}: redirected {times} times, a loop?"));
        }
        if alternate.is_ipv4() != from.is_ipv4() {
            return fail(self, format!("Try Alternate to {alternate}, another address family than {from}"));
        }
        self.probes[p].redirects += 1;
        self.probes[p].destination = alternate;
        self.reports[r].alternate_server = Some(alternate);
        self.reports[r].server_address = Some(alternate);
        self.step(r, now, format!("300 Try Alternate: following to {alternate}"));
        match self.probes[p].via {
            Via::Udp(_) => self.begin_turn(p, now),
            Via::Stream(_) => {
                self.close(p);
                let local = self.probes[p].base.map(|b| b.ip());
                self.connect(p, local, now);
            }
        }
    }
}
