//! `rtctool pcap summary`: what happened in a capture, aggregated.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;

use serde_json::{json, Value};

use super::dissect::{dtls_records, Body};
use super::engine::{Msg, Sink};
use super::net::Transport;
use super::txn::{Request, Transactions};
use crate::core::output::{write_json, Align, Mode, Output, Table};
use crate::core::stun::{attr, AttrValue, Attribute, Class, Message, Method};
use crate::{Error, Outcome, Result};

const KINDS: [&str; 7] = ["stun", "channel-data", "dtls", "rtp", "rtcp", "zrtp", "other"];
/// Rows each table keeps (flows, allocations, ICE pairs, DTLS flows, RTP streams): what comes
/// after is counted in `not_listed`, so memory stays bounded and the totals stay true.
const MAX_ENTRIES: usize = 10_000;
/// RTT samples kept for the median (min and max are exact over all).
const MAX_RTTS: usize = 100_000;
/// Problems of the capture as a whole kept word for word (the rest are counted).
const MAX_CAPTURE_PROBLEMS: usize = 32;

fn kind_index(body: &Body<'_>) -> usize {
    match body {
        Body::Stun(_) => 0,
        Body::ChannelData(_) => 1,
        Body::Dtls(_) => 2,
        Body::Rtp(_) => 3,
        Body::Rtcp(_) => 4,
        Body::Zrtp => 5,
        Body::Other => 6,
    }
}

type FlowKey = (Transport, SocketAddr, SocketAddr);

fn flow_key(t: Transport, a: SocketAddr, b: SocketAddr) -> FlowKey {
    if a <= b {
        (t, a, b)
    } else {
        (t, b, a)
    }
}

#[derive(Debug, Default, Clone)]
struct FlowStats {
    packets: [u64; 7],
    bytes: [u64; 7],
}

#[derive(Debug, Clone, Default)]
struct Allocation {
    client: Option<SocketAddr>,
    server: Option<SocketAddr>,
    relayed: Option<SocketAddr>,
    lifetime_s: Option<u32>,
    refreshes: u32,
    permissions: Vec<std::net::IpAddr>,
    channels: Vec<u16>,
    bytes_relayed: u64,
    errors: Vec<u16>,
    released: bool,
    last_ns: u64,
}

#[derive(Debug, Clone, Default)]
struct IcePair {
    via_turn: bool,
    requests: u32,
    successes: u32,
    errors: u32,
    nominated: bool,
    controlling: Option<bool>,
}

#[derive(Debug, Clone, Default)]
struct DtlsFlow {
    client: Option<SocketAddr>,
    handshake: Vec<&'static str>,
    app_data_dirs: [bool; 2],
    alerts: u32,
}

#[derive(Debug, Clone)]
struct RtpStream {
    flow: FlowKey,
    ssrc: u32,
    src: SocketAddr,
    payload_type: u8,
    packets: u64,
    bytes: u64,
    first_seq: u16,
    max_ext_seq: u64,
    cycles: u64,
    last_seq: u16,
    jitter: f64,
    last_transit: Option<f64>,
    /// Clock rate: static for the payload type, or estimated from the stream.
    rate: Option<f64>,
    rate_estimated: bool,
    first: (u64, u32),
}

/// The summary sink.
#[derive(Debug)]
pub struct Summary {
    flows: HashMap<FlowKey, FlowStats>,
    /// The requests and their answers: the transaction table `pcap decode` uses.
    txns: Transactions,
    requests: u64,
    answered: u64,
    error_codes: BTreeMap<u16, u64>,
    rtts_ms: Vec<f64>,
    rtt_min_max: Option<(f64, f64)>,
    allocations: BTreeMap<FlowKey, Allocation>,
    ice: BTreeMap<(SocketAddr, SocketAddr), IcePair>,
    dtls: BTreeMap<FlowKey, DtlsFlow>,
    rtp: HashMap<(FlowKey, u32), RtpStream>,
    problems: u64,
    /// Problems of the capture as a whole (damaged records, bounds reached), word for word.
    capture_problems: Vec<String>,
    not_listed: NotListed,
    first_ns: Option<u64>,
    last_ns: u64,
}

/// What went uncounted in the tables once they were full: the tables keep [`MAX_ENTRIES`]
/// rows each; the packets and messages of the rows they could not add are counted here.
#[derive(Debug, Default)]
struct NotListed {
    flow_packets: u64,
    allocation_messages: u64,
    ice_requests: u64,
    dtls_packets: u64,
    rtp_packets: u64,
    capture_problems: u64,
}

fn clock_rate(pt: u8) -> Option<f64> {
    match pt {
        0 | 3..=5 | 7..=9 | 12 | 15 | 18 => Some(8000.0),
        10 | 11 => Some(44100.0),
        14 | 25 | 26 | 28 | 31..=34 => Some(90000.0),
        _ => None,
    }
}

impl Summary {
    /// An empty summary.
    pub fn new() -> Self {
        Summary {
            flows: HashMap::new(),
            txns: Transactions::new(),
            requests: 0,
            answered: 0,
            error_codes: BTreeMap::new(),
            rtts_ms: Vec::new(),
            rtt_min_max: None,
            allocations: BTreeMap::new(),
            ice: BTreeMap::new(),
            dtls: BTreeMap::new(),
            rtp: HashMap::new(),
            problems: 0,
            capture_problems: Vec::new(),
            not_listed: NotListed::default(),
            first_ns: None,
            last_ns: 0,
        }
    }

    fn stun(&mut self, msg: &Msg<'_>, m: &Message<&[u8]>) {
        let key = m.xor_key();
        let id = m.transaction_id_bytes();
        // Decoded on demand, walking the message again: no per-message allocation.
        let all = |t: u16| {
            m.into_attributes()
                .flatten()
                .filter(move |r| r.typ == t)
                .filter_map(move |r| Attribute::decode(&r, key).ok().map(|a| a.value))
        };
        let find = |t: u16| all(t).next();
        let alloc_key = |client: SocketAddr, server: SocketAddr| flow_key(msg.transport, client, server);
        match m.class() {
            Class::Request => {
                if self.txns.get(id).is_some() {
                    return; // retransmission or a copy seen on another path
                }
                {
                    let ice = m.method() == Method::BINDING
                        && (find(attr::PRIORITY).is_some()
                            || find(attr::ICE_CONTROLLING).is_some()
                            || find(attr::ICE_CONTROLLED).is_some());
                    let controlling = if find(attr::ICE_CONTROLLING).is_some() {
                        Some(true)
                    } else if find(attr::ICE_CONTROLLED).is_some() {
                        Some(false)
                    } else {
                        None
                    };
                    // The table forgets the oldest requests past its bound, as in `decode`.
                    self.txns.request(
                        id,
                        Request {
                            frame: msg.frame,
                            time_ns: msg.time_ns,
                            src: msg.src,
                            dst: msg.dst,
                            sends: 1,
                            answered: false,
                            key: None,
                            ice,
                            method: m.method(),
                            transport: msg.transport,
                            nominates: find(attr::USE_CANDIDATE).is_some(),
                        },
                    );
                    self.requests += 1;
                    if ice {
                        match self.ice_pair(msg.src, msg.dst) {
                            Some(pair) => {
                                pair.via_turn |= msg.via.is_some();
                                pair.requests += 1;
                                pair.controlling = pair.controlling.or(controlling);
                            }
                            None => self.not_listed.ice_requests += 1,
                        }
                    }
                    if m.method() == Method::REFRESH {
                        if let Some(a) = self.allocations.get_mut(&alloc_key(msg.src, msg.dst)) {
                            a.refreshes += 1;
                        }
                    }
                }
            }
            Class::SuccessResponse | Class::ErrorResponse => {
                if self.txns.get(id).is_none_or(|r| r.answered) {
                    return;
                }
                let Some(req) = self.txns.response(id).cloned() else { return };
                self.answered += 1;
                if let Some(rtt) = msg.time_ns.checked_sub(req.time_ns) {
                    let ms = rtt as f64 / 1e6;
                    let (min, max) = self.rtt_min_max.get_or_insert((ms, ms));
                    (*min, *max) = (min.min(ms), max.max(ms));
                    if self.rtts_ms.len() < MAX_RTTS {
                        self.rtts_ms.push(ms);
                    }
                }
                let error = match find(attr::ERROR_CODE) {
                    Some(AttrValue::ErrorCode { code, .. }) => Some(code),
                    _ => None,
                };
                if let Some(code) = error {
                    *self.error_codes.entry(code).or_default() += 1;
                }
                if req.ice {
                    if let Some(pair) = self.ice.get_mut(&(req.src, req.dst)) {
                        if error.is_some() {
                            pair.errors += 1;
                        } else {
                            pair.successes += 1;
                            pair.nominated |= req.nominates;
                        }
                    }
                }
                let akey = flow_key(req.transport, req.src, req.dst);
                match req.method {
                    Method::ALLOCATE
                        if self.allocations.len() >= MAX_ENTRIES && !self.allocations.contains_key(&akey) =>
                    {
                        self.not_listed.allocation_messages += 1;
                    }
                    Method::ALLOCATE => {
                        let a = self.allocations.entry(akey).or_default();
                        a.client.get_or_insert(req.src);
                        a.server.get_or_insert(req.dst);
                        a.last_ns = msg.time_ns;
                        match error {
                            Some(code) => a.errors.push(code),
                            None => {
                                if let Some(AttrValue::XorAddress(r)) = find(attr::XOR_RELAYED_ADDRESS) {
                                    a.relayed = Some(r);
                                }
                                if let Some(AttrValue::U32(l)) = find(attr::LIFETIME) {
                                    a.lifetime_s = Some(l);
                                }
                            }
                        }
                    }
                    Method::REFRESH => {
                        if let Some(a) = self.allocations.get_mut(&akey) {
                            a.last_ns = msg.time_ns;
                            match (error, find(attr::LIFETIME)) {
                                (Some(code), _) => a.errors.push(code),
                                (None, Some(AttrValue::U32(0))) => a.released = true,
                                (None, Some(AttrValue::U32(l))) => a.lifetime_s = Some(l),
                                _ => {}
                            }
                        }
                    }
                    _ => {}
                }
            }
            Class::Indication => {
                if let Some(AttrValue::Bytes(data)) = find(attr::DATA) {
                    if let Some(a) = self.allocations.get_mut(&alloc_key(msg.src, msg.dst)) {
                        a.bytes_relayed += data.len() as u64;
                    }
                }
            }
        }
        // Permissions and channels asked for (peer addresses are only in the requests).
        if m.class() == Class::Request {
            if let Some(a) = self.allocations.get_mut(&alloc_key(msg.src, msg.dst)) {
                match m.method() {
                    Method::CREATE_PERMISSION => {
                        for v in all(attr::XOR_PEER_ADDRESS) {
                            if let AttrValue::XorAddress(p) = v {
                                if !a.permissions.contains(&p.ip()) && a.permissions.len() < 1024 {
                                    a.permissions.push(p.ip());
                                }
                            }
                        }
                    }
                    Method::CHANNEL_BIND => {
                        if let Some(AttrValue::ChannelNumber(c)) = find(attr::CHANNEL_NUMBER) {
                            if !a.channels.contains(&c) && a.channels.len() < 1024 {
                                a.channels.push(c);
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
    }

    /// The ICE pair's row, None when the table is full and does not have it.
    fn ice_pair(&mut self, src: SocketAddr, dst: SocketAddr) -> Option<&mut IcePair> {
        if self.ice.len() >= MAX_ENTRIES && !self.ice.contains_key(&(src, dst)) {
            return None;
        }
        Some(self.ice.entry((src, dst)).or_default())
    }

    fn rtp(&mut self, msg: &Msg<'_>, r: &super::dissect::Rtp) {
        let flow = flow_key(msg.transport, msg.src, msg.dst);
        let key = (flow, r.ssrc);
        if !self.rtp.contains_key(&key) && self.rtp.len() >= MAX_ENTRIES {
            self.not_listed.rtp_packets += 1;
            return;
        }
        let s = self.rtp.entry(key).or_insert(RtpStream {
            flow,
            ssrc: r.ssrc,
            src: msg.src,
            payload_type: r.payload_type,
            packets: 0,
            bytes: 0,
            first_seq: r.seq,
            max_ext_seq: u64::from(r.seq),
            cycles: 0,
            last_seq: r.seq,
            jitter: 0.0,
            last_transit: None,
            rate: clock_rate(r.payload_type),
            rate_estimated: false,
            first: (msg.time_ns, r.timestamp),
        });
        s.packets += 1;
        s.bytes += r.payload_len as u64;
        // RFC 3550 A.1: extended sequence numbers.
        let delta = r.seq.wrapping_sub(s.last_seq);
        if delta < 0x8000 && delta != 0 {
            if r.seq < s.last_seq {
                s.cycles += 1 << 16;
            }
            s.last_seq = r.seq;
            s.max_ext_seq = s.max_ext_seq.max(s.cycles + u64::from(r.seq));
        }
        // Dynamic payload types: estimate the clock from RTP time against capture time over
        // at least half a second, snapped to a common rate.
        if s.rate.is_none() {
            let elapsed = msg.time_ns.saturating_sub(s.first.0) as f64 / 1e9;
            if elapsed >= 0.5 {
                let ticks = f64::from(r.timestamp.wrapping_sub(s.first.1));
                let raw = ticks / elapsed;
                s.rate = [8000.0, 16000.0, 24000.0, 32000.0, 44100.0, 48000.0, 90000.0]
                    .into_iter()
                    .find(|c| (raw / c - 1.0).abs() < 0.1);
                s.rate_estimated = s.rate.is_some();
            }
        }
        // RFC 3550 A.8 jitter, in timestamp units.
        if let Some(rate) = s.rate {
            let arrival = msg.time_ns as f64 / 1e9 * rate;
            let transit = arrival - f64::from(r.timestamp);
            if let Some(last) = s.last_transit {
                let d = (transit - last).abs();
                s.jitter += (d - s.jitter) / 16.0;
            }
            s.last_transit = Some(transit);
        }
    }

    fn dtls(&mut self, msg: &Msg<'_>, p: &[u8]) {
        let key = flow_key(msg.transport, msg.src, msg.dst);
        if !self.dtls.contains_key(&key) && self.dtls.len() >= MAX_ENTRIES {
            self.not_listed.dtls_packets += 1;
            return;
        }
        let d = self.dtls.entry(key).or_default();
        for r in dtls_records(p) {
            match (r.content_type, r.handshake) {
                (22, Some(1)) => {
                    d.client.get_or_insert(msg.src);
                    if d.handshake.len() < 32 {
                        d.handshake.push("ClientHello");
                    }
                }
                (22, Some(h)) if d.handshake.len() < 32 => {
                    d.handshake.push(super::dissect::handshake_name(h))
                }
                (20, _) if d.handshake.len() < 32 => d.handshake.push("ChangeCipherSpec"),
                (21, _) => d.alerts += 1,
                (23, _) => {
                    let dir = usize::from(d.client.is_some_and(|c| c != msg.src));
                    d.app_data_dirs[dir] = true;
                }
                _ => {}
            }
        }
    }

    /// The flows, as rows of the JSON document, in address order.
    fn flow_rows(&self) -> impl Iterator<Item = Value> + '_ {
        let mut flows: Vec<(&FlowKey, &FlowStats)> = self.flows.iter().collect();
        flows.sort_by(|a, b| a.0.cmp(b.0));
        flows.into_iter().map(|((t, a, b), s)| {
            let per: serde_json::Map<String, Value> = KINDS
                .iter()
                .enumerate()
                .filter(|(i, _)| s.packets[*i] > 0)
                .map(|(i, k)| (k.to_string(), json!({"packets": s.packets[i], "bytes": s.bytes[i]})))
                .collect();
            json!({"transport": t.as_str(), "a": a.to_string(), "b": b.to_string(), "kinds": per})
        })
    }

    fn allocation_rows(&self) -> impl Iterator<Item = Value> + '_ {
        self.allocations.iter().map(|((t, _, _), al)| {
            let ended = if al.released {
                "released (Refresh with lifetime 0)".to_string()
            } else if al.relayed.is_none() {
                format!("never allocated (errors {:?})", al.errors)
            } else if al
                .lifetime_s
                .is_some_and(|l| al.last_ns.saturating_add(u64::from(l) * 1_000_000_000) < self.last_ns)
            {
                "expired (not refreshed in time)".to_string()
            } else {
                "still allocated at the end of the capture".to_string()
            };
            json!({
                "transport": t.as_str(),
                "client": al.client.map(|c| c.to_string()), "server": al.server.map(|c| c.to_string()),
                "relayed_address": al.relayed.map(|r| r.to_string()), "lifetime_s": al.lifetime_s,
                "refreshes": al.refreshes,
                "permissions": al.permissions.iter().map(|p| p.to_string()).collect::<Vec<_>>(),
                "channels": al.channels.iter().map(|c| format!("0x{c:04x}")).collect::<Vec<_>>(),
                "bytes_relayed": al.bytes_relayed, "errors": al.errors, "ended": ended,
            })
        })
    }

    fn ice_rows(&self) -> impl Iterator<Item = Value> + '_ {
        self.ice.iter().map(|((s, d), p)| {
            json!({"local": s.to_string(), "remote": d.to_string(), "requests": p.requests,
                "succeeded": p.successes > 0, "errors": p.errors, "nominated": p.nominated,
                "controlling": p.controlling, "via_turn": p.via_turn})
        })
    }

    fn dtls_rows(&self) -> impl Iterator<Item = Value> + '_ {
        self.dtls.iter().map(|((t, a, b), d)| {
            let done = d.app_data_dirs[0] && d.app_data_dirs[1]
                || d.handshake.iter().filter(|h| **h == "ChangeCipherSpec").count() >= 2;
            json!({"transport": t.as_str(), "endpoints": [a.to_string(), b.to_string()],
                "client": d.client.map(|c| c.to_string()), "handshake": d.handshake,
                "completed": done, "alerts": d.alerts})
        })
    }

    fn rtp_rows(&self) -> impl Iterator<Item = Value> + '_ {
        let mut rtp: Vec<&RtpStream> = self.rtp.values().collect();
        rtp.sort_by_key(|s| (s.flow, s.src, s.ssrc));
        rtp.into_iter().map(|s| {
            let expected = s.max_ext_seq.saturating_sub(u64::from(s.first_seq)) + 1;
            let lost = expected.saturating_sub(s.packets);
            let rate = s.rate;
            json!({"src": s.src.to_string(), "ssrc": format!("0x{:08x}", s.ssrc),
                "payload_type": s.payload_type, "packets": s.packets, "bytes": s.bytes,
                "expected": expected, "lost": lost,
                "loss_pct": if expected > 0 { lost as f64 * 100.0 / expected as f64 } else { 0.0 },
                "clock_rate": rate, "clock_rate_estimated": s.rate_estimated,
                "jitter_ts_units": rate.map(|_| s.jitter),
                "jitter_ms": rate.map(|r| s.jitter / r * 1000.0)})
        })
    }

    /// The document's fields other than the tables' rows.
    fn head(&self) -> Value {
        let mut rtts = self.rtts_ms.clone();
        rtts.sort_by(f64::total_cmp);
        let rtt = match self.rtt_min_max {
            Some((min, max)) if !rtts.is_empty() => {
                json!({"min": min, "median": rtts[rtts.len() / 2], "max": max,
                    "median_of_first": (rtts.len() == MAX_RTTS).then_some(MAX_RTTS)})
            }
            _ => Value::Null,
        };
        // Requests the bounded table forgot while unanswered are unanswered all the same.
        let unanswered = self.txns.unanswered().count() as u64 + self.txns.forgotten;
        let n = &self.not_listed;
        json!({
            "packets_with_problems": self.problems,
            "capture_problems": self.capture_problems,
            "not_listed": {"rows_per_table": MAX_ENTRIES, "flow_packets": n.flow_packets,
                "allocation_messages": n.allocation_messages, "ice_requests": n.ice_requests,
                "dtls_packets": n.dtls_packets, "rtp_packets": n.rtp_packets,
                "capture_problems": n.capture_problems},
            "duration_s": self.first_ns.map(|f| (self.last_ns.saturating_sub(f)) as f64 / 1e9),
            "transactions": {"requests": self.requests, "answered": self.answered,
                "unanswered": unanswered, "error_codes": self.error_codes, "rtt_ms": rtt},
        })
    }

    /// The summary as JSON (what `--json` prints), built whole: for tests. Printing writes the
    /// tables row by row instead (ten thousand rows of `serde_json::Value` are 50 MB).
    pub fn to_json(&self) -> Value {
        serde_json::to_value(Document(self)).unwrap_or(Value::Null)
    }

    /// Print the summary.
    pub fn print(&self, out: &Output) -> Result<Outcome> {
        let stdout = std::io::stdout();
        let mut w = stdout.lock();
        let res = match out.mode {
            Mode::Json | Mode::Ndjson => write_json(&mut w, &Document(self)),
            Mode::Human => {
                use std::io::Write;
                write!(w, "{}", human(self))
            }
        };
        res.map_err(Error::output)?;
        Ok(Outcome::Clean)
    }
}

/// The JSON document, its keys in order (as a `Value`'s map would sort them), each table's
/// rows made one at a time as they are written.
struct Document<'a>(&'a Summary);

/// A table's rows, serialised as they are made.
struct Rows<F>(F);

impl<F, I> serde::Serialize for Rows<F>
where
    F: Fn() -> I,
    I: Iterator<Item = Value>,
{
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_seq((self.0)())
    }
}

impl serde::Serialize for Document<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let sum = self.0;
        let head = sum.head();
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("allocations", &Rows(|| sum.allocation_rows()))?;
        map.serialize_entry("capture_problems", &head["capture_problems"])?;
        map.serialize_entry("dtls", &Rows(|| sum.dtls_rows()))?;
        map.serialize_entry("duration_s", &head["duration_s"])?;
        map.serialize_entry("flows", &Rows(|| sum.flow_rows()))?;
        map.serialize_entry("ice_checks", &Rows(|| sum.ice_rows()))?;
        map.serialize_entry("not_listed", &head["not_listed"])?;
        map.serialize_entry("packets_with_problems", &head["packets_with_problems"])?;
        map.serialize_entry("rtp_streams", &Rows(|| sum.rtp_rows()))?;
        map.serialize_entry("transactions", &head["transactions"])?;
        map.end()
    }
}

fn s(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "-".into(),
        v => v.to_string(),
    }
}

fn human(sum: &Summary) -> String {
    let mut out = String::new();
    let doc = &sum.head();
    let empty = Vec::new();
    let arr = |k: &str| doc[k].as_array().unwrap_or(&empty);
    let not_listed = &doc["not_listed"];
    let unlisted = |k: &str, what: &str, table: &str| {
        let n = not_listed[k].as_u64().unwrap_or(0);
        if n == 0 {
            return String::new();
        }
        let rows = not_listed["rows_per_table"].as_u64().unwrap_or(0);
        format!(
            "and {} on further {table} not listed: the summary keeps the first {rows} {table}\n",
            crate::core::output::count(n, what)
        )
    };
    out.push_str(&format!("Flows ({})\n", sum.flows.len()));
    let mut t = Table::new(["transport", "endpoint A", "endpoint B", "packets by kind"]);
    for f in sum.flow_rows() {
        let kinds: Vec<String> = f["kinds"]
            .as_object()
            .map(|o| o.iter().map(|(k, v)| format!("{k} {}", v["packets"])).collect())
            .unwrap_or_default();
        t.row([s(&f["transport"]), s(&f["a"]), s(&f["b"]), kinds.join(", ")]);
    }
    out.push_str(&t.to_string());
    out.push_str(&unlisted("flow_packets", "packet", "flows"));
    let tx = &doc["transactions"];
    let n = |v: &Value| v.as_u64().unwrap_or(0);
    out.push_str(&format!(
        "\nSTUN transactions: {}, {} answered, {} unanswered",
        crate::core::output::count(n(&tx["requests"]), "request"),
        tx["answered"],
        tx["unanswered"]
    ));
    if let Some(r) = tx["rtt_ms"].as_object() {
        out.push_str(&format!(
            "; RTT min {:.3} / median {:.3} / max {:.3} ms",
            r["min"].as_f64().unwrap_or(0.0),
            r["median"].as_f64().unwrap_or(0.0),
            r["max"].as_f64().unwrap_or(0.0)
        ));
        if let Some(n) = r["median_of_first"].as_u64() {
            out.push_str(&format!(" (median of the first {n})"));
        }
    }
    if let Some(codes) = tx["error_codes"].as_object().filter(|o| !o.is_empty()) {
        let list: Vec<String> = codes.iter().map(|(c, n)| format!("{c}×{n}")).collect();
        out.push_str(&format!("; errors {}", list.join(", ")));
    }
    out.push('\n');
    if !sum.allocations.is_empty() {
        out.push_str(&format!("\nTURN allocations ({})\n", sum.allocations.len()));
        let mut t = Table::new([
            "client → server",
            "relayed",
            "lifetime",
            "refreshes",
            "permissions",
            "channels",
            "relayed bytes",
            "ended",
        ]);
        t.align(2, Align::Right).align(3, Align::Right).align(6, Align::Right);
        for a in sum.allocation_rows() {
            let ends = format!("{} → {}", s(&a["client"]), s(&a["server"]));
            let list = |k: &str| {
                a[k].as_array().map(|v| v.iter().map(s).collect::<Vec<_>>().join(" ")).unwrap_or_default()
            };
            t.row([
                ends,
                s(&a["relayed_address"]),
                s(&a["lifetime_s"]),
                s(&a["refreshes"]),
                list("permissions"),
                list("channels"),
                s(&a["bytes_relayed"]),
                s(&a["ended"]),
            ]);
        }
        out.push_str(&t.to_string());
    }
    out.push_str(&unlisted("allocation_messages", "Allocate answer", "allocations"));
    if !sum.ice.is_empty() {
        out.push_str(&format!("\nICE candidate pairs checked ({})\n", sum.ice.len()));
        let mut t = Table::new(["from", "to", "checks", "succeeded", "nominated", "role"]);
        for p in sum.ice_rows() {
            let mut role = match p["controlling"].as_bool() {
                Some(true) => "controlling",
                Some(false) => "controlled",
                None => "-",
            }
            .to_string();
            if p["via_turn"].as_bool() == Some(true) {
                role.push_str(" (through TURN)");
            }
            t.row([
                s(&p["local"]),
                s(&p["remote"]),
                s(&p["requests"]),
                s(&p["succeeded"]),
                s(&p["nominated"]),
                role,
            ]);
        }
        out.push_str(&t.to_string());
    }
    out.push_str(&unlisted("ice_requests", "check", "candidate pairs"));
    if !sum.dtls.is_empty() {
        out.push_str(&format!("\nDTLS ({})\n", sum.dtls.len()));
        let mut t = Table::new(["endpoints", "client", "handshake", "completed", "alerts"]);
        for d in sum.dtls_rows() {
            let ends = d["endpoints"]
                .as_array()
                .map(|e| e.iter().map(s).collect::<Vec<_>>().join(" ↔ "))
                .unwrap_or_default();
            let hs = d["handshake"]
                .as_array()
                .map(|e| e.iter().map(s).collect::<Vec<_>>().join(" "))
                .unwrap_or_default();
            t.row([ends, s(&d["client"]), hs, s(&d["completed"]), s(&d["alerts"])]);
        }
        out.push_str(&t.to_string());
    }
    out.push_str(&unlisted("dtls_packets", "DTLS packet", "DTLS flows"));
    if !sum.rtp.is_empty() {
        out.push_str(&format!("\nRTP streams ({})\n", sum.rtp.len()));
        let mut t = Table::new(["source", "SSRC", "PT", "packets", "lost", "loss %", "jitter"]);
        for c in [2, 3, 4, 5, 6] {
            t.align(c, Align::Right);
        }
        for r in sum.rtp_rows() {
            let jitter = match r["jitter_ms"].as_f64() {
                Some(ms) if r["clock_rate_estimated"] == true => format!("{ms:.2} ms (clock estimated)"),
                Some(ms) => format!("{ms:.2} ms"),
                None => "- (clock rate unknown)".to_string(),
            };
            t.row([
                s(&r["src"]),
                s(&r["ssrc"]),
                s(&r["payload_type"]),
                s(&r["packets"]),
                s(&r["lost"]),
                format!("{:.1}", r["loss_pct"].as_f64().unwrap_or(0.0)),
                jitter,
            ]);
        }
        out.push_str(&t.to_string());
    }
    out.push_str(&unlisted("rtp_packets", "RTP packet", "RTP streams"));
    if doc["packets_with_problems"].as_u64().unwrap_or(0) > 0 {
        let damaged = doc["packets_with_problems"].as_u64().unwrap_or(0);
        out.push_str(&format!(
            "\n{} could not be decoded (see `pcap decode`)\n",
            crate::core::output::count(damaged, "packet")
        ));
    }
    for p in arr("capture_problems") {
        out.push_str(&format!("problem: {}\n", crate::core::output::one_line_safe(&s(p))));
    }
    let more = not_listed["capture_problems"].as_u64().unwrap_or(0);
    if more > 0 {
        out.push_str(&format!(
            "and {} more (see `pcap decode`)\n",
            crate::core::output::count(more, "problem")
        ));
    }
    out
}

impl Sink for Summary {
    fn message(&mut self, msg: &Msg<'_>) {
        self.first_ns.get_or_insert(msg.time_ns);
        self.last_ns = self.last_ns.max(msg.time_ns);
        if msg.via.is_none() {
            let key = flow_key(msg.transport, msg.src, msg.dst);
            if self.flows.len() >= MAX_ENTRIES && !self.flows.contains_key(&key) {
                self.not_listed.flow_packets += 1;
            } else {
                let f = self.flows.entry(key).or_default();
                let i = kind_index(&msg.body);
                f.packets[i] += 1;
                f.bytes[i] += match &msg.body {
                    Body::Stun(m) => m.as_bytes().len() as u64,
                    Body::ChannelData(cd) => 4 + u64::from(cd.length()),
                    Body::Dtls(p) | Body::Rtcp(p) => p.len() as u64,
                    Body::Rtp(r) => r.payload_len as u64,
                    _ => 0,
                };
            }
        }
        match &msg.body {
            Body::Stun(m) => self.stun(msg, m),
            Body::ChannelData(cd) => {
                if let Some(a) = self.allocations.get_mut(&flow_key(msg.transport, msg.src, msg.dst)) {
                    a.bytes_relayed += u64::from(cd.length());
                }
            }
            Body::Rtp(r) => self.rtp(msg, r),
            Body::Dtls(p) => self.dtls(msg, p),
            _ => {}
        }
    }

    fn problem(&mut self, frame: u64, message: &str) {
        if frame != super::engine::CAPTURE {
            self.problems += 1;
        } else if self.capture_problems.len() < MAX_CAPTURE_PROBLEMS {
            self.capture_problems.push(message.to_string());
        } else {
            self.not_listed.capture_problems += 1;
        }
    }
}

impl Default for Summary {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::stun::MessageBuilder;

    fn msg<'a>(bytes: &'a [u8], time_ns: u64, from_client: bool) -> Msg<'a> {
        let (c, srv): (SocketAddr, SocketAddr) =
            ("198.51.100.7:40000".parse().unwrap(), "203.0.113.10:3478".parse().unwrap());
        let (src, dst) = if from_client { (c, srv) } else { (srv, c) };
        let m = Message::new_checked(bytes).unwrap();
        Msg {
            frame: 1,
            time_ns,
            src,
            dst,
            transport: Transport::Udp,
            flow: crate::pcap::flows::FlowId::NONE,
            via: None,
            framing: None,
            body: Body::Stun(m),
        }
    }

    #[test]
    fn timestamps_at_the_end_of_time_do_not_overflow() {
        // Found by the pcap_decode fuzz target: a capture whose clock is near u64::MAX ns.
        let req = MessageBuilder::new(Class::Request, Method::ALLOCATE, [1; 12]).finish();
        let mut resp = MessageBuilder::new(Class::SuccessResponse, Method::ALLOCATE, [1; 12]);
        resp.xor_address(attr::XOR_RELAYED_ADDRESS, "203.0.113.10:50000".parse().unwrap())
            .u32(attr::LIFETIME, 600);
        let resp = resp.finish();
        let mut s = Summary::new();
        s.message(&msg(&req, u64::MAX - 10, true));
        s.message(&msg(&resp, u64::MAX - 5, false));
        let doc = s.to_json();
        assert_eq!(doc["allocations"][0]["relayed_address"], "203.0.113.10:50000");
        assert_eq!(doc["allocations"][0]["ended"], "still allocated at the end of the capture");
    }
}
