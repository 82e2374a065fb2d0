//! The checks stage of `pcap decode`: one walk of each STUN message's attributes ([`Scan`]),
//! its transaction (request, response, retransmission, RTT) and its FINGERPRINT and
//! MESSAGE-INTEGRITY checks, decided here once ([`Checks`]). Everything after this stage —
//! filters, lines, records — reads these facts and decides nothing of its own.

use std::net::SocketAddr;

use super::engine::Msg;
use super::keys::KeyBook;
use super::net::Transport;
use super::txn::{KeyRef, Request, Seen, Transactions};
use crate::core::stun::{attr, Check, Class, IntegrityKey, Message, Method, RawAttribute};

/// Facts about a STUN message: from one walk of its attributes, its transaction and its
/// checks, all made here, once, before anything is printed.
#[derive(Debug, Clone, Copy)]
pub struct StunFacts {
    pub(super) ice: bool,
    pub(super) error_code: Option<u16>,
    pub(super) response_to: Option<u64>,
    pub(super) rtt_ns: Option<u64>,
    pub(super) seen: Option<Seen>,
    pub(super) fingerprint: Check,
    /// `None`: the message has no MESSAGE-INTEGRITY and none was looked for.
    pub(super) integrity: Option<Check>,
}

impl Default for StunFacts {
    fn default() -> Self {
        StunFacts {
            ice: false,
            error_code: None,
            response_to: None,
            rtt_ns: None,
            seen: None,
            fingerprint: Check::Absent,
            integrity: None,
        }
    }
}

/// How many of the attributes shown on a message's line are remembered by the scan; a message
/// with more (rare) is walked again when its line is written.
pub(super) const SHOWN_MAX: usize = 12;

/// One walk of a STUN message's attributes: everything the facts, the checks and the line need.
/// Attributes are remembered by the offset of their header, so a scan is small to make.
#[derive(Debug, Default, Clone, Copy)]
pub struct Scan {
    pub(super) ice: bool,
    pub(super) use_candidate: bool,
    pub(super) error_code: Option<u16>,
    pub(super) xor_mapped: bool,
    pub(super) integrity: bool,
    pub(super) fingerprint: Option<u32>,
    pub(super) shown: [u32; SHOWN_MAX],
    pub(super) shown_len: usize,
    pub(super) overflow: bool,
}

/// The attribute whose header is at `offset` of a message walked before (so it is whole).
pub(super) fn attribute_at(bytes: &[u8], offset: u32) -> Option<RawAttribute<'_>> {
    let at = offset as usize;
    let header = bytes.get(at..at + 4)?;
    let len = usize::from(u16::from_be_bytes([header[2], header[3]]));
    let value = bytes.get(at + 4..at + 4 + len)?;
    Some(RawAttribute { typ: u16::from_be_bytes([header[0], header[1]]), value, offset: at })
}

/// Walk a message's attributes as `Message::attributes` does, up to the first structural error:
/// `visit` gets each one's header offset, type and value, and ends the walk by returning false.
#[inline]
fn walk_attributes(m: &Message<&[u8]>, mut visit: impl FnMut(usize, u16, &[u8]) -> bool) {
    let bytes = m.as_bytes();
    let bytes = &bytes[..bytes.len().min(20 + usize::from(m.length()))];
    let mut at = 20;
    while let Some(&[t0, t1, l0, l1]) = bytes.get(at..at + 4) {
        let typ = u16::from_be_bytes([t0, t1]);
        let len = usize::from(u16::from_be_bytes([l0, l1]));
        match bytes.get(at + 4..at + 4 + len) {
            Some(value) if visit(at, typ, value) => at += (4 + len + 3) & !3,
            _ => break,
        }
    }
}

impl Scan {
    /// Walk the attributes as `Message::attributes` does, up to the first structural error.
    #[inline(always)]
    pub(super) fn of(m: &Message<&[u8]>) -> Self {
        let mut scan = Scan::default();
        walk_attributes(m, |at, typ, value| {
            match typ {
                attr::USE_CANDIDATE => {
                    scan.ice = true;
                    scan.use_candidate = true;
                }
                attr::PRIORITY | attr::ICE_CONTROLLED | attr::ICE_CONTROLLING => scan.ice = true,
                attr::ERROR_CODE if value.len() >= 4 => {
                    scan.error_code = Some(u16::from(value[2] & 7) * 100 + u16::from(value[3]))
                }
                attr::XOR_MAPPED_ADDRESS => scan.xor_mapped = true,
                attr::MESSAGE_INTEGRITY | attr::MESSAGE_INTEGRITY_SHA256 => scan.integrity = true,
                attr::FINGERPRINT if scan.fingerprint.is_none() => scan.fingerprint = Some(at as u32),
                _ => {}
            }
            if shown_label(typ, false).is_some() {
                match scan.shown.get_mut(scan.shown_len) {
                    Some(slot) => {
                        *slot = at as u32;
                        scan.shown_len += 1;
                    }
                    None => scan.overflow = true,
                }
            }
            true
        });
        scan
    }

    pub(super) fn fingerprint(&self, m: &Message<&[u8]>) -> Check {
        match self.fingerprint.and_then(|at| attribute_at(m.as_bytes(), at)) {
            None => Check::Absent,
            Some(a) => m.check_fingerprint_attribute(&a),
        }
    }
}

/// The label of an attribute shown on a message's line (`mapped=`...), if it is shown.
/// MAPPED-ADDRESS is shown only when there is no XOR-MAPPED-ADDRESS.
pub(super) fn shown_label(typ: u16, xor_mapped: bool) -> Option<&'static str> {
    Some(match typ {
        attr::XOR_MAPPED_ADDRESS => "mapped",
        attr::MAPPED_ADDRESS if !xor_mapped => "mapped",
        attr::XOR_RELAYED_ADDRESS => "relayed",
        attr::XOR_PEER_ADDRESS => "peer",
        attr::ERROR_CODE => "error",
        attr::USERNAME => "user",
        attr::PRIORITY => "prio",
        attr::USE_CANDIDATE => "use-candidate",
        attr::LIFETIME => "lifetime",
        attr::CHANNEL_NUMBER => "channel",
        attr::ICE_CONTROLLING => "controlling",
        attr::ICE_CONTROLLED => "controlled",
        _ => return None,
    })
}

/// Where and when a STUN message was seen, for its transaction.
pub(super) struct Sighting {
    pub transport: Transport,
    pub frame: u64,
    pub time_ns: u64,
    pub src: SocketAddr,
    pub dst: SocketAddr,
}

/// Record a request, or match a response to its request, into `facts` (`seen`, `response_to`,
/// `rtt_ns`, `ice`).
#[inline(always)]
pub(super) fn match_transaction(
    txns: &mut Transactions,
    m: &Message<&[u8]>,
    at: &Sighting,
    key: Option<KeyRef>,
    nominates: bool,
    facts: &mut StunFacts,
) {
    let id = m.transaction_id_bytes();
    match m.class() {
        Class::Request => {
            let req = Request {
                frame: at.frame,
                time_ns: at.time_ns,
                src: at.src,
                dst: at.dst,
                sends: 1,
                answered: false,
                key,
                ice: facts.ice && m.method() == Method::BINDING,
                method: m.method(),
                transport: at.transport,
                nominates,
            };
            facts.seen = Some(txns.request(id, req));
        }
        Class::SuccessResponse | Class::ErrorResponse => {
            if let Some(req) = txns.response(id) {
                facts.response_to = Some(req.frame);
                facts.rtt_ns = at.time_ns.checked_sub(req.time_ns);
                facts.ice |= req.ice;
            }
        }
        Class::Indication => {}
    }
}

/// The message about requests forgotten to keep the transaction table bounded.
pub(super) fn forgotten_message(forgotten: u64) -> String {
    format!(
        "{} {} forgotten while still unanswered (the table keeps the latest {} requests): a response would not be matched, and they are not listed as unanswered",
        crate::core::output::count(forgotten, "request"),
        crate::core::output::was(forgotten),
        super::txn::MAX_TRANSACTIONS
    )
}

/// The one place where STUN messages meet their transactions and their checks: every message
/// of `pcap decode` goes through [`Checks::stun`] on the dissecting thread, in capture order,
/// whatever is printed and wherever it is formatted.
#[derive(Debug)]
pub struct Checks {
    /// Transactions seen.
    pub txns: Transactions,
    keys: KeyBook,
}

impl Checks {
    /// Checks with these credentials.
    pub fn new(keys: KeyBook) -> Self {
        Checks { txns: Transactions::new(), keys }
    }

    /// The facts of a message walked before ([`Scan::of`]): check its FINGERPRINT, match its
    /// transaction and (with credentials) check its MESSAGE-INTEGRITY.
    #[inline(always)]
    pub(super) fn stun(&mut self, msg: &Msg<'_>, m: &Message<&[u8]>, scan: &Scan) -> StunFacts {
        let mut facts = StunFacts { ice: scan.ice, error_code: scan.error_code, ..StunFacts::default() };
        let key = match m.class() {
            Class::Request if !self.keys.is_empty() => self.keys.key_ref_for(m),
            _ => None,
        };
        let seen = Sighting {
            transport: msg.transport,
            frame: msg.frame,
            time_ns: msg.time_ns,
            src: msg.src,
            dst: msg.dst,
        };
        match_transaction(&mut self.txns, m, &seen, key, scan.use_candidate, &mut facts);
        facts.fingerprint = scan.fingerprint(m);
        if !self.keys.is_empty() {
            facts.integrity = Some(self.integrity(m, scan.integrity));
        } else if scan.integrity {
            facts.integrity = Some(Check::Unchecked);
        }
        facts
    }

    /// The credentials that may verify a message (for its record's decode report).
    pub(super) fn keys_for(&self, bytes: &[u8]) -> Vec<IntegrityKey> {
        let m = Message::new_unchecked(bytes);
        match self.key_ref(&m) {
            Some(k) => self.keys.keys(&k, &m).0,
            None => Vec::new(),
        }
    }

    fn key_ref(&self, m: &Message<&[u8]>) -> Option<KeyRef> {
        match m.class() {
            Class::Request | Class::Indication => self.keys.key_ref_for(m),
            _ => self.txns.get(m.transaction_id_bytes()).and_then(|r| r.key.clone()),
        }
    }

    fn integrity(&self, m: &Message<&[u8]>, present: bool) -> Check {
        if !present {
            return Check::Absent;
        }
        let Some(key) = self.key_ref(m) else { return Check::Unchecked };
        let (keys, definitive) = self.keys.keys(&key, m);
        match m.check_integrity_any(&keys).0 {
            Check::Bad if !definitive => Check::Unchecked,
            c => c,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::stun::Method;

    /// The scan's own walk finds what `Message::attributes` finds up to its first structural
    /// error, on messages damaged at random too.
    #[test]
    fn the_scan_walks_attributes_like_the_iterator() {
        use crate::core::stun::MessageBuilder;
        let mut b = MessageBuilder::new(Class::SuccessResponse, Method::ALLOCATE, [3; 12]);
        b.xor_address(attr::XOR_RELAYED_ADDRESS, "203.0.113.10:50000".parse().unwrap())
            .xor_address(attr::XOR_MAPPED_ADDRESS, "198.51.100.7:40000".parse().unwrap())
            .u32(attr::LIFETIME, 600)
            .u32(attr::PRIORITY, 7)
            .fingerprint();
        let clean = b.finish();
        let mut checks = [0u32; 4];
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for round in 0..4000 {
            let mut bytes = clean.clone();
            for _ in 0..round % 4 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let i = 20 + (x as usize) % (bytes.len() - 20);
                bytes[i] = (x >> 32) as u8;
            }
            let m = Message::new_unchecked(&bytes[..]);
            let walked: Vec<RawAttribute<'_>> = m.into_attributes().map_while(Result::ok).collect();
            let scan = Scan::of(&m);
            let shown: Vec<usize> =
                walked.iter().filter(|a| shown_label(a.typ, false).is_some()).map(|a| a.offset).collect();
            let scanned: Vec<usize> = scan.shown[..scan.shown_len].iter().map(|&o| o as usize).collect();
            assert_eq!(scanned, shown[..shown.len().min(SHOWN_MAX)], "{bytes:02x?}");
            let fingerprint = walked.iter().find(|a| a.typ == attr::FINGERPRINT).map(|a| a.offset);
            assert_eq!(scan.fingerprint.map(|o| o as usize), fingerprint, "{bytes:02x?}");
            assert_eq!(scan.xor_mapped, walked.iter().any(|a| a.typ == attr::XOR_MAPPED_ADDRESS));
            let ice = walked.iter().any(|a| {
                matches!(
                    a.typ,
                    attr::PRIORITY | attr::USE_CANDIDATE | attr::ICE_CONTROLLED | attr::ICE_CONTROLLING
                )
            });
            assert_eq!(scan.ice, ice, "{bytes:02x?}");
            let integrity = walked
                .iter()
                .any(|a| matches!(a.typ, attr::MESSAGE_INTEGRITY | attr::MESSAGE_INTEGRITY_SHA256));
            assert_eq!(scan.integrity, integrity, "{bytes:02x?}");
            let error_code = walked
                .iter()
                .rev()
                .find(|a| a.typ == attr::ERROR_CODE && a.value.len() >= 4)
                .map(|a| u16::from(a.value[2] & 7) * 100 + u16::from(a.value[3]));
            assert_eq!(scan.error_code, error_code, "{bytes:02x?}");
            for &o in &scan.shown[..scan.shown_len] {
                let a = attribute_at(m.as_bytes(), o).expect("a scanned attribute is whole");
                assert!(walked.contains(&a));
            }
            checks[scan.fingerprint(&m) as usize] += 1;
        }
        // Good, bad and absent checks were all met.
        let met = |c: Check| checks[c as usize] > 0;
        assert!(met(Check::Ok) && met(Check::Bad) && met(Check::Absent), "{checks:?}");
    }
}
