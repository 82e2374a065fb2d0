//! The load generator's state machine, sans-IO: N TURN clients (core's [`turn::Client`]), each
//! on a 5-tuple of its own that the caller owns (client `i` sends and receives on socket `i`).
//! The run goes through stages: allocations (at a set rate, or as fast as answered with a
//! bounded number outstanding), binding (each pair of allocations binds a channel, or installs
//! a permission, towards the other's relayed address), traffic (each client sends paced
//! packets to its partner through the relay: one step, or a ramp of steps, each followed by a
//! drain), release.
//!
//! Every packet carries the run's token, its sender, a sequence number, the step, a flag and
//! its send time in nanoseconds from the start, so the receiver (this same process, one clock)
//! counts delivered, duplicated and reordered packets per stream and measures one-way delay
//! and jitter; one packet in [`ECHO_EVERY`] asks its receiver to echo it, for a round trip.
//! Output goes to a sink the caller passes (`out(client, bytes)`): nothing is queued, and
//! nothing is allocated per packet; state is fixed-size per client.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::stats::{Arrival, Histogram, Stream};
use super::wheel::Wheel;
use crate::core::transact::{LongTermAuth, TransactionId};
use crate::core::turn::{self, Carrier, Event, Failure, Input, Request};

/// One packet in this many asks to be echoed.
pub const ECHO_EVERY: u32 = 50;
const MAGIC: &[u8; 4] = b"RTLD";
/// magic, token, sender, seq, step, flag, send time.
pub const HEADER: usize = 4 + 4 + 4 + 4 + 1 + 1 + 8;
const FLAG_DATA: u8 = 0;
const FLAG_ECHO_ASK: u8 = 1;
const FLAG_ECHO_REPLY: u8 = 2;
/// Pacing resolution.
const TICK_NS: u64 = 100_000;
/// Allocations outstanding at once when no rate is set.
const WINDOW: usize = 64;
/// How often the clients' own timers (retransmissions, refreshes) are looked at while the
/// traffic flows.
const CONTROL_EVERY: Duration = Duration::from_millis(20);
/// Packets a client sends at once to catch up after a pause, at most; beyond that they are
/// counted as not sent (the generator fell behind).
const MAX_BURST: u64 = 64;

/// What to run.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The server.
    pub server: SocketAddr,
    /// UDP or a stream.
    pub carrier: Carrier,
    /// Credentials (every client uses them).
    pub auth: Option<LongTermAuth>,
    /// How many clients, sending what.
    pub load: Load,
    /// Raise the rate step by step.
    pub ramp: Option<Ramp>,
    /// Bounds each request, and the allocation, binding and release stages.
    pub timeout: Duration,
    /// How long after the last packet of a step its stragglers may still arrive.
    pub drain: Duration,
    /// SOFTWARE.
    pub software: Option<String>,
    /// A 32-bit token that marks this run's packets.
    pub token: u32,
    /// The clock of packet timestamps.
    pub stamps: Stamps,
}

/// The clock packets are stamped with and their arrivals measured by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stamps {
    /// Nanoseconds since the run's start by the `now` handed in (fake time in tests).
    #[cfg_attr(not(test), allow(dead_code))]
    Monotonic,
    /// The system's real-time clock, the one the kernel stamps received datagrams with
    /// (SO_TIMESTAMPNS): arrivals are timed by the kernel, however late they are read.
    Realtime,
}

/// Now by the real-time clock, in nanoseconds.
pub fn realtime_ns() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64)
}

/// The shape of the load: allocations, and what each sends.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Load {
    /// Allocations.
    pub clients: usize,
    /// Allocations started per second; `None`: as fast as answered.
    pub alloc_rate: Option<f64>,
    /// Allocate, hold for `duration`, release: no traffic.
    pub alloc_only: bool,
    /// Send and Data indications instead of channels.
    pub send_indication: bool,
    /// Packets per second per client (the first step's, with a ramp).
    pub rate: f64,
    /// Bytes per packet (TURN payload; at least [`HEADER`]).
    pub size: usize,
    /// How long each step sends (or the allocations are held).
    pub duration: Duration,
}

/// A ramp of steps.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ramp {
    /// Packets per second added per client at each step.
    pub step: f64,
    /// Stop after the first step whose loss exceeds this percentage.
    pub until_loss: f64,
    /// At most this many steps.
    pub max_steps: usize,
}

/// Where the run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Allocations under way.
    Allocating,
    /// Channels or permissions under way.
    Binding,
    /// Step `n` is sending.
    Sending(usize),
    /// Step `n` has stopped sending; its stragglers may still come.
    Draining(usize),
    /// `--alloc-only`: holding the allocations.
    Holding,
    /// Releasing the allocations.
    Releasing,
    /// Over.
    Done,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Waiting,
    Allocating,
    Allocated,
    Binding,
    Ready,
    Failed,
}

struct Member {
    client: turn::Client,
    phase: Phase,
    started: Option<Instant>,
    relayed: Option<SocketAddr>,
    partner: Option<usize>,
    /// Next sequence number.
    seq: u32,
    /// Pacing of the current step: packets sent, and when its first was due (ns from t0).
    step_sent: u64,
    step_start_ns: u64,
    /// Packets from the partner.
    stream: Stream,
    released: Option<bool>,
}

/// What one step did.
#[derive(Debug, Clone, Default)]
pub struct StepStats {
    /// Packets per second per client.
    pub rate: f64,
    /// Clients sending.
    pub senders: usize,
    /// Packets sent.
    pub sent: u64,
    /// Packets due that the generator did not send (it fell behind).
    pub behind: u64,
    /// Distinct packets that arrived.
    pub delivered: u64,
    /// Extra copies of packets that arrived before.
    pub duplicated: u64,
    /// Packets that arrived after a later one of their stream.
    pub reordered: u64,
    /// One-way delay, µs.
    pub delay: Histogram,
    /// How long it sent.
    pub elapsed: Duration,
}

impl StepStats {
    /// Packets sent and never delivered.
    pub fn lost(&self) -> u64 {
        self.sent.saturating_sub(self.delivered)
    }

    /// Lost, as a percentage of sent.
    pub fn loss_pct(&self) -> f64 {
        if self.sent == 0 {
            0.0
        } else {
            self.lost() as f64 * 100.0 / self.sent as f64
        }
    }
}

/// One second of the run, for the live line and `--ndjson`.
#[derive(Debug, Clone, Default)]
pub struct Second {
    /// Seconds from the start.
    pub at: u64,
    /// Allocations made so far.
    pub allocated: usize,
    /// Sent in this second.
    pub sent: u64,
    /// Delivered in this second.
    pub delivered: u64,
    /// Delay of this second's deliveries, µs.
    pub delay: Histogram,
}

/// Everything the run measured.
#[derive(Debug, Default)]
pub struct Totals {
    /// Allocate attempts.
    pub attempted: usize,
    /// Allocations made.
    pub allocated: usize,
    /// Failed allocations by error code, `timeout` or another word.
    pub errors: BTreeMap<String, u64>,
    /// Allocation latency, µs.
    pub alloc_latency: Histogram,
    /// From the start to the last allocation's answer.
    pub alloc_elapsed: Duration,
    /// Allocations that sent nothing: an odd one out, or a failed binding.
    pub idle: usize,
    /// Why bindings failed.
    pub bind_errors: BTreeMap<String, u64>,
    /// Each step.
    pub steps: Vec<StepStats>,
    /// Round trips of echoed packets, µs.
    pub rtt: Histogram,
    /// Releases answered.
    pub released: usize,
    /// Releases that failed or got no answer.
    pub release_failed: usize,
    /// Refreshes (allocation, permission, channel) that failed.
    pub refresh_failed: u64,
    /// Packets the client could not frame.
    pub send_errors: u64,
    /// Connections (TCP) that closed before the release: their allocations went with them.
    pub connections_closed: u64,
    /// Stopped by Ctrl-C.
    pub interrupted: bool,
}

/// The fleet.
pub struct Fleet {
    plan: Plan,
    t0: Instant,
    members: Vec<Member>,
    stage: Stage,
    stage_until: Instant,
    next_to_start: usize,
    wheel: Wheel,
    totals: Totals,
    second: Second,
    seconds: Vec<Second>,
    next_control: Instant,
    payload: Vec<u8>,
    sending_since: Option<Instant>,
}

fn failure_key(f: &Failure) -> String {
    match f {
        Failure::NoAnswer(_) => "timeout".into(),
        Failure::Transport(_) => "transport".into(),
        other => other.code().map_or_else(|| "protocol".to_string(), |c| c.to_string()),
    }
}

impl Fleet {
    /// A fleet that starts at `now` (call [`Fleet::handle_timeout`] to send the first requests).
    pub fn new(plan: Plan, ids: &mut TransactionId, now: Instant) -> Self {
        let members = (0..plan.load.clients)
            .map(|_| {
                let mut config = turn::Config::new(plan.server, plan.carrier);
                config.auth = plan.auth.clone();
                config.software = plan.software.clone();
                config.rto = Duration::from_millis(250);
                config.ipv6_relay = plan.server.is_ipv6();
                config.request_timeout = plan.timeout;
                config.auto_refresh = true;
                Member {
                    client: turn::Client::new(config, ids.fork()),
                    phase: Phase::Waiting,
                    started: None,
                    relayed: None,
                    partner: None,
                    seq: 0,
                    step_sent: 0,
                    step_start_ns: 0,
                    stream: Stream::default(),
                    released: None,
                }
            })
            .collect();
        let size = plan.load.size.max(HEADER);
        // Allocations have the request timeout after the last one starts.
        let start_span = plan
            .load
            .alloc_rate
            .map_or(Duration::ZERO, |r| Duration::from_secs_f64(plan.load.clients as f64 / r));
        Fleet {
            stage_until: now + start_span + plan.timeout * 2,
            plan,
            t0: now,
            members,
            stage: Stage::Allocating,
            next_to_start: 0,
            wheel: Wheel::new(),
            totals: Totals::default(),
            second: Second::default(),
            seconds: Vec::new(),
            next_control: now,
            payload: vec![0; size],
            sending_since: None,
        }
    }

    /// Where the run is.
    pub fn stage(&self) -> Stage {
        self.stage
    }

    /// What was measured.
    pub fn totals(&self) -> &Totals {
        &self.totals
    }

    /// The finished seconds so far.
    pub fn seconds(&self) -> &[Second] {
        &self.seconds
    }

    /// The plan.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// The mean interarrival jitter of the streams that received anything, µs.
    pub fn jitter_us(&self) -> Option<f64> {
        let streams: Vec<f64> =
            self.members.iter().filter(|m| m.partner.is_some()).map(|m| m.stream.jitter_us()).collect();
        (!streams.is_empty()).then(|| streams.iter().sum::<f64>() / streams.len() as f64)
    }

    fn ns(&self, now: Instant) -> u64 {
        now.saturating_duration_since(self.t0).as_nanos() as u64
    }

    /// A packet timestamp for `now`.
    fn stamp(&self, now: Instant) -> u64 {
        match self.plan.stamps {
            Stamps::Monotonic => self.ns(now),
            Stamps::Realtime => realtime_ns(),
        }
    }

    /// The next instant [`Fleet::handle_timeout`] is needed.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.stage == Stage::Done {
            return None;
        }
        let mut t = self.stage_until.min(self.next_control);
        let next_second = self.t0 + Duration::from_secs(self.second.at + 1);
        t = t.min(next_second);
        if let (Stage::Sending(_), Some(tick)) = (self.stage, self.wheel.next_due()) {
            t = t.min(self.t0 + Duration::from_nanos(tick.saturating_mul(TICK_NS)));
        }
        if self.stage == Stage::Allocating && self.next_to_start < self.members.len() {
            if let Some(rate) = self.plan.load.alloc_rate {
                t = t.min(self.t0 + Duration::from_secs_f64(self.next_to_start as f64 / rate));
            }
        }
        Some(t)
    }

    /// Stop (Ctrl-C): a step under way ends where it is, and the allocations are released.
    pub fn interrupt(&mut self, now: Instant, out: &mut impl FnMut(usize, &[u8])) {
        if matches!(self.stage, Stage::Releasing | Stage::Done) {
            return;
        }
        self.totals.interrupted = true;
        if let Stage::Sending(step) = self.stage {
            self.end_sending(step, now);
        }
        self.release(now, out);
    }

    /// Client `i`'s connection (TCP) ended: its allocation, if it had one, went with it
    /// (RFC 8656 §3.7), which is its release when the run is releasing.
    pub fn closed(&mut self, i: usize, now: Instant) {
        let releasing = self.stage == Stage::Releasing;
        let Some(m) = self.members.get_mut(i) else { return };
        if m.relayed.is_some() && m.released.is_none() {
            m.released = Some(true);
            if releasing {
                self.totals.released += 1;
            } else {
                self.totals.connections_closed += 1;
            }
        }
        if m.phase == Phase::Allocating {
            *self.totals.errors.entry("closed".into()).or_default() += 1;
        }
        m.client.handle_transport_error("the connection closed", now);
        while m.client.poll_event().is_some() {}
        m.client.abandon();
        m.phase = Phase::Failed;
    }

    /// Let time pass: allocations start, retransmissions fall due, packets are sent, stages end.
    pub fn handle_timeout(&mut self, now: Instant, out: &mut impl FnMut(usize, &[u8])) {
        self.roll_seconds(now);
        match self.stage {
            Stage::Allocating => {
                self.start_allocations(now);
                self.tick_clients(now, out);
                let settled = self.next_to_start == self.members.len()
                    && self.members.iter().all(|m| !matches!(m.phase, Phase::Waiting | Phase::Allocating));
                if settled || now >= self.stage_until {
                    self.end_allocations(now, out);
                }
            }
            Stage::Binding => {
                self.tick_clients(now, out);
                let settled = self.members.iter().all(|m| m.phase != Phase::Binding);
                if settled || now >= self.stage_until {
                    for m in self.members.iter_mut().filter(|m| m.phase == Phase::Binding) {
                        m.phase = Phase::Failed;
                        *self.totals.bind_errors.entry("timeout".into()).or_default() += 1;
                    }
                    self.start_step(0, self.plan.load.rate, now);
                }
            }
            Stage::Sending(step) => {
                self.send_due(step, now, out);
                if now >= self.next_control {
                    self.tick_clients(now, out);
                }
                if now >= self.stage_until {
                    self.end_sending(step, now);
                    self.stage = Stage::Draining(step);
                    self.stage_until = now + self.plan.drain;
                }
            }
            Stage::Draining(step) => {
                if now >= self.next_control {
                    self.tick_clients(now, out);
                }
                if now >= self.stage_until {
                    let s = &self.totals.steps[step];
                    let next = self.plan.ramp.filter(|r| {
                        s.loss_pct() <= r.until_loss && step + 1 < r.max_steps && !self.totals.interrupted
                    });
                    match next {
                        Some(r) => {
                            let rate = s.rate + r.step;
                            self.start_step(step + 1, rate, now);
                        }
                        None => self.release(now, out),
                    }
                }
            }
            Stage::Holding => {
                if now >= self.next_control {
                    self.tick_clients(now, out);
                }
                if now >= self.stage_until {
                    self.release(now, out);
                }
            }
            Stage::Releasing => {
                self.tick_clients(now, out);
                let settled = self.members.iter().all(|m| m.relayed.is_none() || m.released.is_some());
                if settled || now >= self.stage_until {
                    for m in self.members.iter_mut().filter(|m| m.relayed.is_some() && m.released.is_none()) {
                        m.released = Some(false);
                        m.client.abandon();
                        self.totals.release_failed += 1;
                    }
                    self.roll_seconds(now + Duration::from_secs(1));
                    self.stage = Stage::Done;
                }
            }
            Stage::Done => {}
        }
    }

    /// A datagram (or a whole stream frame) from the server on client `i`'s 5-tuple; `rx` is
    /// its arrival by the packet clock when the kernel stamped it (else `now` is).
    pub fn handle_input(
        &mut self,
        i: usize,
        bytes: &[u8],
        from: SocketAddr,
        now: Instant,
        rx: Option<u64>,
        out: &mut impl FnMut(usize, &[u8]),
    ) {
        let Some(m) = self.members.get_mut(i) else { return };
        match m.client.handle_input(bytes, from, now) {
            Input::Data { data, .. } => {
                let rx = rx.unwrap_or_else(|| self.stamp(now));
                self.on_data(i, data, now, rx, out)
            }
            Input::Handled => {
                self.pump(i, now, out);
            }
            Input::NotOurs => {}
        }
    }

    fn roll_seconds(&mut self, now: Instant) {
        let at = now.saturating_duration_since(self.t0).as_secs();
        while self.second.at < at {
            let next = Second { at: self.second.at + 1, ..Second::default() };
            let mut done = std::mem::replace(&mut self.second, next);
            done.allocated = self.totals.allocated;
            self.seconds.push(done);
        }
    }

    fn start_allocations(&mut self, now: Instant) {
        let due = match self.plan.load.alloc_rate {
            Some(rate) => {
                let elapsed = now.saturating_duration_since(self.t0).as_secs_f64();
                ((elapsed * rate).floor() as usize + 1).min(self.members.len())
            }
            None => {
                let outstanding = self.members.iter().filter(|m| m.phase == Phase::Allocating).count();
                (self.next_to_start + WINDOW.saturating_sub(outstanding)).min(self.members.len())
            }
        };
        while self.next_to_start < due {
            let i = self.next_to_start;
            self.next_to_start += 1;
            let m = &mut self.members[i];
            m.phase = Phase::Allocating;
            m.started = Some(now);
            m.client.allocate(now, now + self.plan.timeout);
            self.totals.attempted += 1;
        }
    }

    /// Every client's own timers, then what they have to send.
    fn tick_clients(&mut self, now: Instant, out: &mut impl FnMut(usize, &[u8])) {
        self.next_control = now + CONTROL_EVERY;
        for i in 0..self.members.len() {
            let due = self.members[i].client.poll_timeout().is_some_and(|t| t <= now);
            if due {
                self.members[i].client.handle_timeout(now);
            }
            self.pump(i, now, out);
        }
    }

    /// Client `i`'s events and transmissions.
    fn pump(&mut self, i: usize, now: Instant, out: &mut impl FnMut(usize, &[u8])) {
        while let Some(event) = self.members[i].client.poll_event() {
            self.on_event(i, event, now);
        }
        while let Some(bytes) = self.members[i].client.poll_transmit() {
            out(i, bytes);
        }
        if self.stage == Stage::Allocating {
            // A finished allocation frees a place in the window.
            self.start_allocations(now);
        }
    }

    fn on_event(&mut self, i: usize, event: Event, now: Instant) {
        let m = &mut self.members[i];
        match event {
            Event::Allocated(a) => {
                m.phase = Phase::Allocated;
                m.relayed = Some(a.relayed);
                let took = m.started.map_or(Duration::ZERO, |s| now.saturating_duration_since(s));
                self.totals.alloc_latency.record(took.as_micros() as u64);
                self.totals.allocated += 1;
                self.totals.alloc_elapsed = now.saturating_duration_since(self.t0);
            }
            Event::Failed { request: Request::Allocate, failure } => {
                m.phase = Phase::Failed;
                self.totals.alloc_elapsed = now.saturating_duration_since(self.t0);
                *self.totals.errors.entry(failure_key(&failure)).or_default() += 1;
            }
            Event::ChannelBound { .. } | Event::PermissionCreated(_) if m.phase == Phase::Binding => {
                m.phase = Phase::Ready;
            }
            Event::Failed {
                request: Request::ChannelBind { .. } | Request::CreatePermission(_),
                failure,
            } if m.phase == Phase::Binding => {
                m.phase = Phase::Failed;
                *self.totals.bind_errors.entry(failure_key(&failure)).or_default() += 1;
            }
            Event::Failed { request: Request::Release, .. } => {
                m.released = Some(false);
                self.totals.release_failed += 1;
            }
            Event::Released => {
                m.released = Some(true);
                self.totals.released += 1;
            }
            Event::Failed { .. } => self.totals.refresh_failed += 1,
            _ => {}
        }
    }

    fn end_allocations(&mut self, now: Instant, out: &mut impl FnMut(usize, &[u8])) {
        for m in self.members.iter_mut().filter(|m| matches!(m.phase, Phase::Waiting | Phase::Allocating)) {
            m.client.abandon();
            if m.phase == Phase::Allocating {
                *self.totals.errors.entry("timeout".into()).or_default() += 1;
            }
            m.phase = Phase::Failed;
        }
        if self.plan.load.alloc_only {
            self.stage = Stage::Holding;
            self.stage_until = now + self.plan.load.duration;
            return;
        }
        let ready: Vec<usize> =
            (0..self.members.len()).filter(|&i| self.members[i].phase == Phase::Allocated).collect();
        for pair in ready.chunks(2) {
            let [a, b] = pair else {
                self.totals.idle += 1;
                continue;
            };
            for (me, other) in [(*a, *b), (*b, *a)] {
                let Some(peer) = self.members[other].relayed else { continue };
                let m = &mut self.members[me];
                m.partner = Some(other);
                m.phase = Phase::Binding;
                let asked = if self.plan.load.send_indication {
                    m.client.create_permission(peer.ip(), now).map_err(|e| e.to_string())
                } else {
                    m.client.channel_bind(peer, now).map(|_| ()).map_err(|e| e.to_string())
                };
                if let Err(e) = asked {
                    m.phase = Phase::Failed;
                    *self.totals.bind_errors.entry(e).or_default() += 1;
                }
                self.pump(me, now, out);
            }
        }
        self.stage = Stage::Binding;
        self.stage_until = now + self.plan.timeout;
    }

    fn start_step(&mut self, step: usize, rate: f64, now: Instant) {
        let interval_ns = (1e9 / rate.max(0.001)) as u64;
        let senders: Vec<usize> = (0..self.members.len())
            .filter(|&i| {
                let m = &self.members[i];
                m.phase == Phase::Ready && m.partner.is_some_and(|p| self.members[p].phase == Phase::Ready)
            })
            .collect();
        let idle = self.members.iter().filter(|m| m.relayed.is_some()).count() - senders.len();
        self.totals.idle = self.totals.idle.max(idle);
        let now_ns = self.ns(now);
        let n = senders.len().max(1) as u64;
        for (k, &i) in senders.iter().enumerate() {
            // Spread the clients over one interval, so the load is smooth.
            let m = &mut self.members[i];
            m.step_sent = 0;
            m.step_start_ns = now_ns + interval_ns * k as u64 / n;
            self.wheel.schedule(i as u32, m.step_start_ns / TICK_NS);
        }
        self.totals.steps.push(StepStats { rate, senders: senders.len(), ..StepStats::default() });
        self.stage = Stage::Sending(step);
        self.stage_until = now + self.plan.load.duration;
        self.sending_since = Some(now);
        debug_assert_eq!(self.totals.steps.len(), step + 1);
    }

    fn end_sending(&mut self, step: usize, now: Instant) {
        // Nothing more is due in this step.
        self.wheel.clear();
        if let (Some(s), Some(since)) = (self.totals.steps.get_mut(step), self.sending_since.take()) {
            s.elapsed = now.saturating_duration_since(since);
        }
    }

    fn send_due(&mut self, step: usize, now: Instant, out: &mut impl FnMut(usize, &[u8])) {
        let now_ns = self.ns(now);
        let rate = self.totals.steps[step].rate;
        let interval_ns = (1e9 / rate.max(0.001)) as u64;
        // Out of `self` while `self` is borrowed by the closure; `EMPTY` allocates nothing.
        let mut wheel = std::mem::replace(&mut self.wheel, Wheel::EMPTY);
        wheel.advance(now_ns / TICK_NS, |wheel, id, _| {
            let i = id as usize;
            let m = &self.members[i];
            let due_total = now_ns.saturating_sub(m.step_start_ns) / interval_ns + 1;
            let mut due = due_total.saturating_sub(m.step_sent);
            if due > MAX_BURST {
                self.totals.steps[step].behind += due - MAX_BURST;
                self.members[i].step_sent += due - MAX_BURST;
                due = MAX_BURST;
            }
            for _ in 0..due {
                let stamp = self.stamp(now);
                self.send_packet(i, step, stamp, out);
            }
            let m = &self.members[i];
            let next = m.step_start_ns + m.step_sent * interval_ns;
            wheel.schedule(id, next / TICK_NS);
        });
        self.wheel = wheel;
    }

    fn send_packet(&mut self, i: usize, step: usize, stamp: u64, out: &mut impl FnMut(usize, &[u8])) {
        let Some(p) = self.members[i].partner else { return };
        let Some(peer) = self.members[p].relayed else { return };
        let m = &mut self.members[i];
        let seq = m.seq;
        m.seq = m.seq.wrapping_add(1);
        m.step_sent += 1;
        let b = &mut self.payload;
        b[..4].copy_from_slice(MAGIC);
        b[4..8].copy_from_slice(&self.plan.token.to_be_bytes());
        b[8..12].copy_from_slice(&(i as u32).to_be_bytes());
        b[12..16].copy_from_slice(&seq.to_be_bytes());
        b[16] = step as u8;
        b[17] = if seq.is_multiple_of(ECHO_EVERY) { FLAG_ECHO_ASK } else { FLAG_DATA };
        b[18..26].copy_from_slice(&stamp.to_be_bytes());
        match m.client.send(peer, b) {
            Ok(frame) => {
                out(i, frame);
                self.totals.steps[step].sent += 1;
                self.second.sent += 1;
            }
            Err(_) => self.totals.send_errors += 1,
        }
    }

    fn on_data(&mut self, i: usize, data: &[u8], now: Instant, rx: u64, out: &mut impl FnMut(usize, &[u8])) {
        if data.len() < HEADER || &data[..4] != MAGIC {
            return;
        }
        let u32_at = |o: usize| u32::from_be_bytes([data[o], data[o + 1], data[o + 2], data[o + 3]]);
        if u32_at(4) != self.plan.token {
            return;
        }
        let sender = u32_at(8) as usize;
        let seq = u32_at(12);
        let step = usize::from(data[16]);
        let flag = data[17];
        let mut sent = [0u8; 8];
        sent.copy_from_slice(&data[18..26]);
        let sent_ns = u64::from_be_bytes(sent);
        let transit_us = rx.saturating_sub(sent_ns) / 1000;
        if self.members[i].partner != Some(sender) {
            return;
        }
        if flag == FLAG_ECHO_REPLY {
            // Less the time the echo waited at its receiver before it was sent back.
            let held = if data.len() >= HEADER + 8 {
                u64::from_be_bytes(data[HEADER..HEADER + 8].try_into().unwrap_or([0; 8]))
            } else {
                0
            };
            self.totals.rtt.record(rx.saturating_sub(sent_ns).saturating_sub(held) / 1000);
            return;
        }
        let arrival = self.members[i].stream.arrive(seq, transit_us as i64);
        if let Some(s) = self.totals.steps.get_mut(step) {
            match arrival {
                Arrival::Duplicate => s.duplicated += 1,
                a => {
                    s.delivered += 1;
                    if a != Arrival::InOrder {
                        s.reordered += 1;
                    }
                    s.delay.record(transit_us);
                    self.second.delivered += 1;
                    self.second.delay.record(transit_us);
                }
            }
        }
        if flag == FLAG_ECHO_ASK && arrival != Arrival::Duplicate {
            let held = self.stamp(now).saturating_sub(rx);
            self.echo(i, sender, data, held, out);
        }
    }

    /// Send an echo request's header back to its sender, marked as a reply, with how long it
    /// was held here (ns) since it arrived.
    fn echo(&mut self, i: usize, to: usize, data: &[u8], held: u64, out: &mut impl FnMut(usize, &[u8])) {
        let Some(peer) = self.members[to].relayed else { return };
        let mut b = [0u8; HEADER + 8];
        b[..HEADER].copy_from_slice(&data[..HEADER]);
        b[8..12].copy_from_slice(&(i as u32).to_be_bytes());
        b[17] = FLAG_ECHO_REPLY;
        b[HEADER..].copy_from_slice(&held.to_be_bytes());
        match self.members[i].client.send(peer, &b) {
            Ok(frame) => out(i, frame),
            Err(_) => self.totals.send_errors += 1,
        }
    }

    fn release(&mut self, now: Instant, out: &mut impl FnMut(usize, &[u8])) {
        let until = now + self.plan.timeout;
        for i in 0..self.members.len() {
            let m = &mut self.members[i];
            if m.relayed.is_some() && m.released.is_none() && !m.client.release(now, until) {
                m.released = Some(false);
                self.totals.release_failed += 1;
            }
            self.pump(i, now, out);
        }
        self.stage = Stage::Releasing;
        self.stage_until = until + Duration::from_millis(50);
    }
}

#[cfg(test)]
mod tests {
    //! The fleet against a fake relay, in fake time: the fake allocates for anyone, binds
    //! channels, installs permissions and relays between its allocations, dropping or
    //! duplicating data packets on request.

    use super::*;
    use crate::core::stun::{attr, ChannelData, Class, Message, MessageBuilder, Method};

    const SERVER: &str = "192.0.2.1:3478";

    fn sa(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    fn relayed(i: usize) -> SocketAddr {
        SocketAddr::from(([198, 51, 100, 1], 50_000 + i as u16))
    }

    #[derive(Default)]
    struct Relay {
        /// (client, channel) → the peer it is bound to.
        channels: BTreeMap<(usize, u16), SocketAddr>,
        /// Data packets seen, and every `drop_every`th one dropped.
        data: u64,
        drop_every: Option<u64>,
        duplicate_every: Option<u64>,
        /// Frames for clients: (client, bytes).
        queue: Vec<(usize, Vec<u8>)>,
        quota: Option<usize>,
        allocations: usize,
    }

    impl Relay {
        fn deliver(&mut self, from: usize, to_relayed: SocketAddr, data: &[u8]) {
            let Some(to) = (0..1000).find(|&j| relayed(j) == to_relayed) else { return };
            self.data += 1;
            if self.drop_every.is_some_and(|k| self.data.is_multiple_of(k)) {
                return;
            }
            let copies =
                if self.duplicate_every.is_some_and(|k| self.data.is_multiple_of(k)) { 2 } else { 1 };
            let peer = relayed(from);
            let channel =
                self.channels.iter().find(|(&(c, _), &p)| c == to && p == peer).map(|(&(_, n), _)| n);
            let frame = match channel {
                Some(n) => {
                    let mut f = n.to_be_bytes().to_vec();
                    f.extend_from_slice(&(data.len() as u16).to_be_bytes());
                    f.extend_from_slice(data);
                    f
                }
                None => {
                    let mut b = MessageBuilder::new(Class::Indication, Method::DATA, [9; 12]);
                    b.xor_address(attr::XOR_PEER_ADDRESS, peer);
                    b.raw(attr::DATA, data);
                    b.finish()
                }
            };
            for _ in 0..copies {
                self.queue.push((to, frame.clone()));
            }
        }

        fn handle(&mut self, i: usize, bytes: &[u8]) {
            if bytes[0] >> 6 == 1 {
                let Ok(cd) = ChannelData::new_checked(bytes) else { return };
                let Some(&peer) = self.channels.get(&(i, cd.channel())) else { return };
                let data = cd.into_data().to_vec();
                return self.deliver(i, peer, &data);
            }
            let Ok(msg) = Message::new_checked(bytes) else { return };
            let id = msg.transaction_id();
            if msg.class() == Class::Indication && msg.method() == Method::SEND {
                let peer = msg.address(attr::XOR_PEER_ADDRESS).unwrap();
                let data = msg.attribute(attr::DATA).unwrap().value.to_vec();
                return self.deliver(i, peer, &data);
            }
            let mut b = MessageBuilder::new(Class::SuccessResponse, msg.method(), id);
            match msg.method() {
                Method::ALLOCATE => {
                    if self.quota.is_some_and(|q| self.allocations >= q) {
                        let mut e = MessageBuilder::new(Class::ErrorResponse, Method::ALLOCATE, id);
                        e.error_code(486, "Allocation Quota Reached");
                        return self.queue.push((i, e.finish()));
                    }
                    self.allocations += 1;
                    b.xor_address(attr::XOR_RELAYED_ADDRESS, relayed(i));
                    b.xor_address(attr::XOR_MAPPED_ADDRESS, sa("203.0.113.5:40000"));
                    b.u32(attr::LIFETIME, 600);
                }
                Method::CHANNEL_BIND => {
                    let n = msg.attribute(attr::CHANNEL_NUMBER).unwrap().value;
                    let peer = msg.address(attr::XOR_PEER_ADDRESS).unwrap();
                    self.channels.insert((i, u16::from_be_bytes([n[0], n[1]])), peer);
                }
                Method::REFRESH => {
                    b.u32(attr::LIFETIME, 0);
                }
                _ => {}
            }
            self.queue.push((i, b.finish()));
        }
    }

    fn plan(clients: usize) -> Plan {
        Plan {
            server: sa(SERVER),
            carrier: Carrier::Datagram,
            auth: None,
            load: Load {
                clients,
                alloc_rate: None,
                alloc_only: false,
                send_indication: false,
                rate: 100.0,
                size: 120,
                duration: Duration::from_secs(1),
            },
            ramp: None,
            timeout: Duration::from_secs(1),
            drain: Duration::from_millis(100),
            software: None,
            token: 0xfeed,
            stamps: Stamps::Monotonic,
        }
    }

    /// Run to the end in 1 ms steps of fake time, with a 2 ms relay.
    fn run(plan: Plan, relay: &mut Relay) -> Fleet {
        let t0 = Instant::now();
        let mut ids = TransactionId::random();
        let mut fleet = Fleet::new(plan, &mut ids, t0);
        let mut inflight: Vec<(Instant, usize, Vec<u8>)> = Vec::new();
        let mut now = t0;
        for _ in 0..20_000 {
            let mut sent: Vec<(usize, Vec<u8>)> = Vec::new();
            fleet.handle_timeout(now, &mut |i, b: &[u8]| sent.push((i, b.to_vec())));
            let due: Vec<_> = inflight.iter().filter(|(t, _, _)| *t <= now).cloned().collect();
            inflight.retain(|(t, _, _)| *t > now);
            for (_, i, bytes) in due {
                fleet.handle_input(i, &bytes, sa(SERVER), now, None, &mut |i, b: &[u8]| {
                    sent.push((i, b.to_vec()))
                });
            }
            for (i, bytes) in sent {
                relay.handle(i, &bytes);
            }
            for (i, bytes) in relay.queue.drain(..) {
                inflight.push((now + Duration::from_millis(2), i, bytes));
            }
            if fleet.stage() == Stage::Done {
                return fleet;
            }
            now += Duration::from_millis(1);
        }
        panic!("the fleet never finished: {:?}", fleet.stage());
    }

    #[test]
    fn paced_and_counted_exactly() {
        let mut relay = Relay { drop_every: Some(10), duplicate_every: Some(7), ..Relay::default() };
        let fleet = run(plan(4), &mut relay);
        let t = fleet.totals();
        assert_eq!((t.attempted, t.allocated, t.released), (4, 4, 4));
        let s = &t.steps[0];
        assert_eq!(s.senders, 4);
        // 4 clients x 100 pps x 1 s, paced to the tick.
        assert!((400..=404).contains(&s.sent), "{s:?}");
        // Echo replies go through the relay too and count in its drop sequence: about 10% of
        // data packets are lost; duplicates of delivered packets are counted apart.
        let lost = s.lost() as f64 / s.sent as f64;
        assert!((0.08..0.12).contains(&lost), "{s:?}");
        assert!(s.duplicated > 40, "{s:?}");
        assert_eq!(s.reordered, 0);
        // The relay adds 2 ms of fake time: every delay is 2 ms (1 ms ticks).
        let p50 = s.delay.percentile(50.0).unwrap();
        assert!((1900..=3000).contains(&p50), "{p50}");
        assert!(t.rtt.count() > 0, "echoes came back");
    }

    #[test]
    fn indications_a_quota_and_an_odd_one_out() {
        let mut relay = Relay { quota: Some(3), ..Relay::default() };
        let mut p = plan(5);
        p.load.send_indication = true;
        let fleet = run(p, &mut relay);
        let t = fleet.totals();
        assert_eq!(t.allocated, 3);
        assert_eq!(t.errors.get("486"), Some(&2));
        assert_eq!(t.steps[0].senders, 2, "three allocations make one pair");
        assert_eq!(t.idle, 1);
        assert_eq!(t.steps[0].lost(), 0, "{:?}", t.steps[0]);
    }

    #[test]
    fn a_ramp_stops_at_the_loss_threshold() {
        let mut relay = Relay::default();
        let mut p = plan(2);
        p.load.duration = Duration::from_millis(200);
        p.ramp = Some(Ramp { step: 100.0, until_loss: 1.0, max_steps: 4 });
        let fleet = run(p, &mut relay);
        let rates: Vec<f64> = fleet.totals().steps.iter().map(|s| s.rate).collect();
        assert_eq!(rates, [100.0, 200.0, 300.0, 400.0], "no loss: every step");
        let mut lossy = Relay { drop_every: Some(20), ..Relay::default() };
        let mut p = plan(2);
        p.load.duration = Duration::from_millis(200);
        p.ramp = Some(Ramp { step: 100.0, until_loss: 1.0, max_steps: 4 });
        let fleet = run(p, &mut lossy);
        assert_eq!(fleet.totals().steps.len(), 1, "5% loss ends the ramp after its first step");
    }
}
