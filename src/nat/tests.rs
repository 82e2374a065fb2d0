//! The discovery driven through the simulated network with fake time.

use std::time::Duration;

use super::behavior::{FilteringBehavior as F, MappingBehavior as M, NatType};
use super::discovery::{Outcome, Report, Socket, TestName};
use super::sim::{config, sa, LossPoint, Nat, Server, Sim};
use crate::core::stun::{attr, Message};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn run(sim: &mut Sim) -> Report {
    let c = config(sim);
    sim.run(c).report()
}

fn nat(m: M, f: F) -> Sim {
    Sim::new(Nat::new(Some(m), Some(f)), Server::rfc5780())
}

fn has_change_request(bytes: &[u8], ip: bool) -> bool {
    let Ok(msg) = Message::new_checked(bytes) else { return false };
    match msg.attribute(attr::CHANGE_REQUEST) {
        Some(a) => (a.value[3] & 0x04 != 0) == ip,
        None => false,
    }
}

#[test]
fn every_mapping_and_filtering_combination() {
    for m in [M::EndpointIndependent, M::AddressDependent, M::AddressAndPortDependent] {
        for f in [F::EndpointIndependent, F::AddressDependent, F::AddressAndPortDependent] {
            let r = run(&mut nat(m, f));
            assert_eq!(r.mapping, Some(m), "{m} {f}: {}", r.mapping_evidence);
            assert_eq!(r.filtering, Some(f), "{m} {f}: {}", r.filtering_evidence);
            let expected = match (m, f) {
                (M::EndpointIndependent, F::EndpointIndependent) => NatType::FullCone,
                (M::EndpointIndependent, F::AddressDependent) => NatType::RestrictedCone,
                (M::EndpointIndependent, F::AddressAndPortDependent) => NatType::PortRestrictedCone,
                _ => NatType::Symmetric,
            };
            assert_eq!(r.nat_type, expected, "{m} {f}");
            assert_eq!(r.behind_nat, Some(true));
            assert_eq!(r.rfc5780_supported, Some(true));
            assert!(!r.alg_detected);
            assert_eq!(r.mapped_address.map(|a| a.ip().to_string()), Some(super::sim::PUBLIC_IP.to_string()));
            // RTT 20 ms: answers in ~40 ms; silence is waited out for 5 × 100 ms (the floor)
            let bound = if f == F::EndpointIndependent { 100.0 } else { 600.0 };
            assert!(r.done_ms <= bound, "{m} {f}: {} ms", r.done_ms);
        }
    }
}

#[test]
fn no_nat_open_and_firewalled() {
    let mut open = Sim::new(Nat::new(None, None), Server::rfc5780()).public_locals();
    let r = run(&mut open);
    assert_eq!((r.nat_type, r.behind_nat), (NatType::OpenInternet, Some(false)));
    assert_eq!(r.mapping, Some(M::EndpointIndependent));
    assert_eq!(r.filtering, Some(F::EndpointIndependent));
    assert!(r.mapping_evidence.contains("no NAT"), "{}", r.mapping_evidence);

    for f in [F::AddressDependent, F::AddressAndPortDependent] {
        let mut fw = Sim::new(Nat::new(None, Some(f)), Server::rfc5780()).public_locals();
        let r = run(&mut fw);
        assert_eq!(r.nat_type, NatType::SymmetricUdpFirewall, "{f}");
        assert_eq!(r.filtering, Some(f));
        assert_eq!(r.behind_nat, Some(false));
    }
}

#[test]
fn lost_packets_are_retransmitted_with_the_same_transaction_id() {
    // Lose the first request of every test and the first answer to filtering test II.
    let mut sim = nat(M::EndpointIndependent, F::EndpointIndependent);
    let seen = std::rc::Rc::new(std::cell::RefCell::new(Vec::<(Socket, Vec<u8>)>::new()));
    let log = seen.clone();
    let mut lost_answer = false;
    sim.loss = Box::new(move |p: &LossPoint| {
        if p.outbound {
            let mut log = log.borrow_mut();
            let first = !log.iter().any(|(s, b)| *s == p.socket && b == p.bytes);
            log.push((p.socket, p.bytes.to_vec()));
            first
        } else if !lost_answer && p.socket == Socket::Filtering && p.src == sa("192.0.2.11:3479") {
            lost_answer = true;
            true
        } else {
            false
        }
    });
    let r = run(&mut sim);
    assert_eq!(r.nat_type, NatType::FullCone, "{r:#?}");
    // every request went out at least twice, byte for byte (same transaction id)
    let seen = seen.borrow();
    let change_ip_port: Vec<_> =
        seen.iter().filter(|(s, b)| *s == Socket::Filtering && has_change_request(b, true)).collect();
    assert_eq!(change_ip_port.len(), 3, "lost once, its answer lost once, answered the third time");
    assert!(change_ip_port.windows(2).all(|w| w[0].1 == w[1].1));
    let t = r.tests.iter().find(|t| t.name == TestName::Filtering2).unwrap();
    assert_eq!(t.transmissions, Some(3));
    let t = r.tests.iter().find(|t| t.name == TestName::Mapping1).unwrap();
    assert_eq!(t.transmissions, Some(2));
    assert_eq!(t.rtt_ms, None, "no RTT from a retransmitted request (Karn)");
}

#[test]
fn one_lost_answer_does_not_read_as_filtered() {
    // Port-restricted would look like "restricted" if the lone answer to test III were
    // lost and not retransmitted; a restricted-cone NAT must stay restricted.
    let mut sim = nat(M::EndpointIndependent, F::AddressDependent);
    let mut dropped = false;
    sim.loss = Box::new(move |p: &LossPoint| {
        if !p.outbound && !dropped && p.src == sa("192.0.2.10:3479") {
            dropped = true;
            return true;
        }
        false
    });
    let r = run(&mut sim);
    assert_eq!(r.filtering, Some(F::AddressDependent), "{}", r.filtering_evidence);
    assert_eq!(r.nat_type, NatType::RestrictedCone);
}

#[test]
fn server_that_ignores_change_request() {
    for (m, f) in [
        (M::EndpointIndependent, F::EndpointIndependent),
        (M::EndpointIndependent, F::AddressAndPortDependent),
    ] {
        let mut sim = nat(m, f);
        sim.server.ignore_change = true;
        let r = run(&mut sim);
        assert_eq!(r.filtering, None, "{f}: must not read as endpoint-independent");
        assert!(r.filtering_evidence.contains("ignored CHANGE-REQUEST"), "{}", r.filtering_evidence);
        assert_eq!(r.rfc5780_supported, Some(false));
        assert_eq!(r.nat_type, NatType::Unknown);
        assert!(r.reason.as_deref().unwrap_or("").contains("cone"), "{:?}", r.reason);
        let t = r.tests.iter().find(|t| t.name == TestName::Filtering2).unwrap();
        assert_eq!(t.outcome, "wrong-source");
        assert_eq!(t.from, Some(sa("192.0.2.10:3478")));
        // no waiting for an answer that cannot come
        assert!(r.done_ms < 100.0, "{} ms", r.done_ms);
    }
}

#[test]
fn server_that_refuses_change_request() {
    let mut sim = nat(M::EndpointIndependent, F::AddressAndPortDependent);
    sim.server.reject_change = true;
    let r = run(&mut sim);
    assert_eq!(r.filtering, None);
    assert!(r.filtering_evidence.contains("refused CHANGE-REQUEST (420"), "{}", r.filtering_evidence);
    assert_eq!(r.rfc5780_supported, Some(false));
    assert_eq!(r.mapping, Some(M::EndpointIndependent));
}

#[test]
fn bad_other_address() {
    for (other, why) in
        [("10.9.9.9:3479", "private"), ("192.0.2.10:3479", "same IP"), ("192.0.2.11:3478", "same port")]
    {
        let mut sim = nat(M::EndpointIndependent, F::EndpointIndependent);
        sim.server.other_address = Some(sa(other));
        let r = run(&mut sim);
        assert_eq!((r.mapping, r.filtering, r.nat_type), (None, None, NatType::Unknown), "{other}");
        assert!(r.mapping_evidence.contains(why), "{other}: {}", r.mapping_evidence);
        assert_eq!(r.rfc5780_supported, Some(false));
        // nothing was sent to the bogus address
        assert!(r.tests.iter().all(|t| t.destination != Some(sa(other))));
    }
}

#[test]
fn without_rfc5780_a_second_server_still_decides_the_mapping() {
    // cone NAT: same mapping toward both servers
    let mut sim = Sim::new(
        Nat::new(Some(M::EndpointIndependent), Some(F::AddressAndPortDependent)),
        Server::plain("192.0.2.10:3478"),
    );
    sim.server2 = Some(Server::plain("192.0.2.20:3478"));
    let r = run(&mut sim);
    assert_eq!(r.rfc5780_supported, Some(false));
    assert_eq!(r.mapping, Some(M::EndpointIndependent), "{}", r.mapping_evidence);
    assert_eq!(r.filtering, None);
    assert_eq!(r.nat_type, NatType::Unknown);
    assert!(r.mapping_evidence.contains("does not support RFC 5780"), "{}", r.mapping_evidence);

    // symmetric NAT: the classic name is settled even without telling the two kinds apart
    let mut sim = Sim::new(
        Nat::new(Some(M::AddressDependent), Some(F::AddressAndPortDependent)),
        Server::plain("192.0.2.10:3478"),
    );
    sim.server2 = Some(Server::plain("192.0.2.20:3478"));
    let r = run(&mut sim);
    assert_eq!(r.mapping, None);
    assert_eq!(r.nat_type, NatType::Symmetric, "{}", r.mapping_evidence);
    assert_ne!(r.server2_mapped_address, r.mapped_address);

    // and without the second server, plainly unknown
    let mut sim = Sim::new(
        Nat::new(Some(M::EndpointIndependent), Some(F::EndpointIndependent)),
        Server::plain("192.0.2.10:3478"),
    );
    let r = run(&mut sim);
    assert_eq!((r.mapping, r.nat_type), (None, NatType::Unknown));
    assert_eq!(r.rfc5780_supported, Some(false));
}

#[test]
fn alg_rewriting_mapped_address() {
    let mut sim = nat(M::EndpointIndependent, F::AddressAndPortDependent);
    sim.nat.alg = true;
    let r = run(&mut sim);
    assert!(r.alg_detected);
    assert!(r.notes.iter().any(|n| n.contains("ALG")), "{:?}", r.notes);
    // the verdict is read from XOR-MAPPED-ADDRESS, which the ALG did not touch
    assert_eq!(r.nat_type, NatType::PortRestrictedCone);
    assert_eq!(r.behind_nat, Some(true));
}

#[test]
fn udp_blocked_within_the_timeout() {
    let mut sim = nat(M::EndpointIndependent, F::EndpointIndependent);
    sim.loss = Box::new(|_| true);
    let r = run(&mut sim);
    assert_eq!(r.nat_type, NatType::UdpBlocked);
    assert_eq!((r.mapping, r.filtering, r.rfc5780_supported), (None, None, None));
    assert!(!r.server_unreachable);
    assert!((800.0..=801.0).contains(&r.done_ms), "{}", r.done_ms);
    let reason = r.reason.unwrap();
    assert!(reason.contains("no answer from 192.0.2.10:3478 to 12 requests"), "{reason}");
    let t = r.tests.iter().find(|t| t.name == TestName::Mapping1).unwrap();
    assert_eq!(t.detail, "no answer after 4 transmissions over 800 ms");
}

#[test]
fn server_down_with_icmp_is_unreachable_and_quick() {
    let mut sim = nat(M::EndpointIndependent, F::EndpointIndependent);
    sim.server.down = true;
    sim.icmp = true;
    let r = run(&mut sim);
    assert_eq!(r.nat_type, NatType::Unknown);
    assert!(r.server_unreachable);
    assert!(r.reason.as_deref().unwrap_or("").contains("unreachable"));
    assert!(r.done_ms < 50.0, "{}", r.done_ms);
}

#[test]
fn server_down_but_second_server_answers() {
    let mut sim = nat(M::EndpointIndependent, F::EndpointIndependent);
    sim.server.down = true;
    sim.server2 = Some(Server::plain("192.0.2.20:3478"));
    let r = run(&mut sim);
    assert_eq!(r.nat_type, NatType::Unknown);
    assert!(r.server_unreachable);
    assert!(r.server2_mapped_address.is_some());
}

#[test]
fn dead_alternate_address_proves_nothing() {
    let mut sim = nat(M::EndpointIndependent, F::AddressAndPortDependent);
    sim.server.alternate_dead = true;
    let r = run(&mut sim);
    assert_eq!(r.mapping, None, "{}", r.mapping_evidence);
    assert_eq!(r.filtering, None, "{}", r.filtering_evidence);
    assert!(r.filtering_evidence.contains("proves nothing"), "{}", r.filtering_evidence);
    assert_eq!(r.nat_type, NatType::Unknown);
}

#[test]
fn hairpinning() {
    for (hairpin, f, expected) in [
        (true, F::EndpointIndependent, Some(true)),
        (false, F::EndpointIndependent, Some(false)),
        (true, F::AddressAndPortDependent, Some(false)),
    ] {
        let mut sim = nat(M::EndpointIndependent, f);
        sim.nat.hairpin = hairpin;
        let mut c = config(&sim);
        c.hairpin = true;
        let r = sim.run(c).report();
        assert_eq!(r.hairpinning, expected, "hairpin {hairpin}, {f}");
        let t = r.tests.iter().find(|t| t.name == TestName::Hairpin).unwrap();
        assert_eq!(t.destination, r.mapped_address);
    }
    // not asked: not run, not listed
    let r = run(&mut nat(M::EndpointIndependent, F::EndpointIndependent));
    assert_eq!(r.hairpinning, None);
    assert!(r.tests.iter().all(|t| t.name != TestName::Hairpin));
}

#[test]
fn waiting_adapts_to_the_round_trip() {
    // RTT 400 ms: RTO 1.2 s; an answer to a CHANGE-REQUEST that takes 400 ms must count.
    let mut sim = nat(M::EndpointIndependent, F::AddressDependent);
    sim.delay = ms(200);
    let mut c = config(&sim);
    c.first_contact = c.first_contact.with_limit(ms(2000));
    let d = sim.run(c);
    let r = d.report();
    assert_eq!(r.nat_type, NatType::RestrictedCone, "{r:#?}");
    assert_eq!(r.rtt_ms, Some(400.0));
    // test II waited 5 × 1.2 s before counting as unanswered
    let t = d.test(TestName::Filtering2);
    let Outcome::TimedOut { timed_out, .. } = &t.outcome else { panic!("{:?}", t.outcome) };
    assert_eq!(timed_out.waited, ms(6000));
    assert_eq!(timed_out.transmissions, 3);
}

#[test]
fn json_document_has_the_contract_keys() {
    let r = run(&mut nat(M::EndpointIndependent, F::AddressAndPortDependent));
    let v = serde_json::to_value(&r).unwrap();
    for key in ["mapping", "filtering", "nat_type", "local_address", "mapped_address", "rfc5780_supported"] {
        assert!(v.get(key).is_some(), "{key}");
    }
    assert_eq!(v["nat_type"], "port-restricted-cone");
    assert_eq!(v["mapping"], "endpoint-independent");
    assert_eq!(v["filtering"], "address-and-port-dependent");
    assert_eq!(v["local_address"], "10.0.0.2:5001");
    assert_eq!(v["tests"][0]["name"], "mapping-1");
    assert_eq!(v["tests"][0]["outcome"], "answered");
}

#[test]
fn damaged_answers_are_not_udp_blocked() {
    let mut sim = nat(M::EndpointIndependent, F::EndpointIndependent);
    sim.server.bad_fingerprint = true;
    let r = run(&mut sim);
    assert_eq!(r.nat_type, NatType::Unknown);
    let reason = r.reason.unwrap();
    assert!(reason.contains("FINGERPRINT"), "{reason}");
}
