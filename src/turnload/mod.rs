//! `rtctool turn load`: a TURN load generator that measures delivered relay traffic at a
//! controlled rate. N allocations (long-term or REST credentials), paired so that each pair
//! relays to the other through the server, over ChannelData or Send/Data indications; every
//! client sends paced, numbered, timestamped packets, and the receiver (the same process, one
//! clock) counts delivered, lost, duplicated and reordered packets and measures one-way delay,
//! jitter and the round trip of echoed packets, with microsecond resolution. `--ramp` raises
//! the rate step by step and reports the highest the server relayed with loss under a
//! threshold. The machine is `fleet.rs` (sans-IO), the sockets `net.rs`.

mod fleet;
mod net;
pub mod stats;
mod stream;
mod wheel;

use std::collections::BTreeMap;
use std::io::Write;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::core::ice::credentials::{turn_credentials, RestOptions, TurnEnv};
use crate::core::ice::{EffectiveTransport, IceServer, IceUrl};
use crate::core::output::{self, Align, Mode, Output, Progress, Table};
use crate::core::transact::{LongTermAuth, TransactionId};
use crate::core::turn::Carrier;
use crate::{Error, Outcome, Result};
use fleet::{Fleet, Plan, Ramp, StepStats};

pub use fleet::Load;
use stats::Histogram;

pub use fleet::HEADER;

/// The longest `--duration` (per step) without `--yes`.
pub const MAX_DURATION: Duration = Duration::from_secs(300);

/// What `rtctool turn load` is asked.
#[derive(Debug, Clone)]
pub struct TurnLoadOptions {
    /// The server.
    pub server: IceUrl,
    /// Long-term credentials from the command line.
    pub username: Option<String>,
    /// The password, when the URL has none.
    pub password: Option<String>,
    /// Read the password from the first line of this file.
    pub password_file: Option<std::path::PathBuf>,
    /// The environment's credentials.
    pub turn_env: TurnEnv,
    /// TURN REST.
    pub rest: RestOptions,
    /// How many clients, sending what.
    pub load: Load,
    /// Raise the rate by this many packets per second per step.
    pub ramp: Option<f64>,
    /// End the ramp after a step with more loss than this (percent).
    pub ramp_until: f64,
    /// Steps at most.
    pub ramp_steps: usize,
    /// Exit 1 above this loss (percent).
    pub max_loss: f64,
    /// Bounds each request, and the allocation, binding and release stages.
    pub timeout: Duration,
    /// Local address to bind.
    pub bind: Option<IpAddr>,
    /// How a turns: server's certificate is checked.
    pub tls: crate::core::tls::TlsOptions,
}

#[derive(Serialize)]
struct Latency {
    p50: Option<f64>,
    p95: Option<f64>,
    p99: Option<f64>,
    max: Option<f64>,
}

impl Latency {
    fn of(h: &Histogram) -> Self {
        let ms = |v: Option<u64>| v.map(|us| us as f64 / 1000.0);
        let max = (h.count() > 0).then(|| h.max());
        Latency {
            p50: ms(h.percentile(50.0)),
            p95: ms(h.percentile(95.0)),
            p99: ms(h.percentile(99.0)),
            max: ms(max),
        }
    }
}

#[derive(Serialize)]
struct Allocations {
    attempted: usize,
    succeeded: usize,
    failed: usize,
    /// From the start to the last answer, and allocations made per second over it.
    duration_s: f64,
    per_second: Option<f64>,
    errors: BTreeMap<String, u64>,
    latency_ms: Latency,
}

#[derive(Serialize)]
struct Traffic {
    mode: &'static str,
    sent: u64,
    delivered: u64,
    lost: u64,
    duplicated: u64,
    reordered: u64,
    loss_pct: f64,
    delivered_pps: f64,
    delivered_mbps: f64,
    delay_ms: Latency,
    jitter_ms: Option<f64>,
    rtt_ms: Latency,
    /// Packets due that the generator did not send in time.
    behind: u64,
    senders: usize,
    idle_clients: usize,
    bind_errors: BTreeMap<String, u64>,
}

#[derive(Serialize)]
struct Step {
    rate_pps: f64,
    senders: usize,
    sent: u64,
    delivered: u64,
    lost: u64,
    loss_pct: f64,
    delivered_pps: f64,
    delay_ms: Latency,
}

#[derive(Serialize)]
struct Released {
    ok: usize,
    failed: usize,
}

#[derive(Serialize)]
struct Report {
    server: String,
    transport: &'static str,
    clients: usize,
    rate_pps: f64,
    size: usize,
    duration_s: f64,
    allocations: Allocations,
    traffic: Option<Traffic>,
    steps: Vec<Step>,
    /// With `--ramp`: the highest rate per client whose loss stayed under the threshold, and
    /// what all clients delivered at it.
    capacity: Option<Capacity>,
    released: Released,
    generator_cpu_s: f64,
    cpu_us_per_delivered: Option<f64>,
    interrupted: bool,
    diagnosis: Vec<String>,
}

#[derive(Serialize)]
struct Capacity {
    rate_pps: f64,
    delivered_pps: f64,
    loss_pct: f64,
}

fn round(v: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (v * f).round() / f
}

fn step_record(s: &StepStats) -> Step {
    let secs = s.elapsed.as_secs_f64().max(1e-9);
    Step {
        rate_pps: s.rate,
        senders: s.senders,
        sent: s.sent,
        delivered: s.delivered,
        lost: s.lost(),
        loss_pct: round(s.loss_pct(), 3),
        delivered_pps: round(s.delivered as f64 / secs, 1),
        delay_ms: Latency::of(&s.delay),
    }
}

/// The CPU time this process used so far, user and system.
fn cpu_seconds() -> f64 {
    use nix::sys::resource::{getrusage, UsageWho};
    getrusage(UsageWho::RUSAGE_SELF).map_or(0.0, |u| {
        let t = |tv: nix::sys::time::TimeVal| tv.tv_sec() as f64 + tv.tv_usec() as f64 / 1e6;
        t(u.user_time()) + t(u.system_time())
    })
}

struct Live<'a> {
    out: &'a Output,
    bar: Option<Progress>,
    ndjson: bool,
}

impl net::Watcher for Live<'_> {
    fn second(&mut self, fleet: &Fleet) {
        let Some(s) = fleet.seconds().last() else { return };
        let p99 = s.delay.percentile(99.0).map(|us| us as f64 / 1000.0);
        if self.ndjson {
            let record = serde_json::json!({
                "event": "second",
                "at_s": s.at,
                "allocated": s.allocated,
                "sent": s.sent,
                "delivered": s.delivered,
                "delay_p99_ms": p99,
            });
            let _ = output::write_ndjson(&mut std::io::stdout().lock(), &record);
        }
        if let Some(bar) = &self.bar {
            let stage = match fleet.stage() {
                fleet::Stage::Allocating => "allocating".to_string(),
                fleet::Stage::Binding => "binding".to_string(),
                fleet::Stage::Sending(n) => format!("step {} sending", n + 1),
                fleet::Stage::Draining(n) => format!("step {} draining", n + 1),
                fleet::Stage::Holding => "holding".to_string(),
                fleet::Stage::Releasing => "releasing".to_string(),
                fleet::Stage::Done => "done".to_string(),
            };
            bar.set_message(format!(
                "{stage}: {}/{} allocated, sent {} pps, delivered {} pps, p99 delay {}",
                s.allocated,
                fleet.plan().load.clients,
                s.sent,
                s.delivered,
                p99.map_or("-".into(), |v| format!("{v:.3} ms"))
            ));
        }
        let _ = self.out;
    }
}

/// Run `rtctool turn load`.
pub fn run(opts: TurnLoadOptions, out: &Output) -> Result<Outcome> {
    let ice = IceServer::new(opts.server.clone(), None);
    let carrier = match ice.transport() {
        EffectiveTransport::Udp => Carrier::Datagram,
        EffectiveTransport::Tcp | EffectiveTransport::Tls => Carrier::Stream,
    };
    let tls = (ice.transport() == EffectiveTransport::Tls).then_some(&opts.tls);
    if let Some(tls) = tls {
        crate::core::tls::check(tls).map_err(|e| Error::input(format!("TLS: {e}")))?;
    }
    let password =
        crate::core::ice::credentials::password_from(opts.password.as_deref(), opts.password_file.as_deref())
            .map_err(Error::input)?;
    let rest = opts.rest.settle(&opts.turn_env).map_err(Error::input)?;
    let now_unix =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let credentials = turn_credentials(
        &opts.server,
        opts.username.as_deref(),
        password.as_deref(),
        &opts.turn_env,
        rest.as_ref(),
        now_unix,
    );
    let addresses = crate::core::dns::resolve(ice.host(), ice.port(), opts.timeout)
        .map_err(|e| Error::network(format!("{}: {e}", ice.host())))?;
    let server =
        *addresses.first().ok_or_else(|| Error::network(format!("{} has no address", ice.host())))?;
    let sockets = match carrier {
        Carrier::Datagram => net::sockets(opts.load.clients, server, opts.bind).map_err(|e| {
            Error::network(format!(
                "opening {} UDP sockets: {e} (raise the open-file limit?)",
                opts.load.clients
            ))
        })?,
        Carrier::Stream => Vec::new(),
    };
    let conns = match carrier {
        Carrier::Stream => {
            let over = if tls.is_some() { "TLS" } else { "TCP" };
            stream::connect(opts.load.clients, server, opts.timeout, tls.map(|t| (ice.host(), t))).map_err(
                |e| {
                    Error::network(format!(
                        "connecting {} times to {server} over {over}: {e}",
                        opts.load.clients
                    ))
                },
            )?
        }
        Carrier::Datagram => Vec::new(),
    };
    let mut ids = TransactionId::random();
    let plan = Plan {
        server,
        carrier,
        auth: credentials.as_ref().map(|c| LongTermAuth::new(c.username.clone(), c.password.expose())),
        load: opts.load,
        ramp: opts.ramp.map(|step| Ramp { step, until_loss: opts.ramp_until, max_steps: opts.ramp_steps }),
        timeout: opts.timeout,
        drain: Duration::from_millis(300),
        software: Some(format!("rtctool {} turn load", env!("CARGO_PKG_VERSION"))),
        token: u32::from_be_bytes(ids.next_id()[..4].try_into().unwrap_or([0; 4])),
        stamps: fleet::Stamps::Realtime,
    };
    // Ctrl-C stops sending, releases everything and still reports.
    let stop = crate::core::interrupt::ctrl_c_flag();
    let bar = (out.mode == Mode::Human)
        .then(|| Progress::spinner(out, format!("allocating {} on {server}", opts.load.clients)));
    let mut live = Live { out, bar, ndjson: out.mode == Mode::Ndjson };
    let cpu_before = cpu_seconds();
    let started = Instant::now();
    let mut fleet = Fleet::new(plan, &mut ids, started);
    match carrier {
        Carrier::Datagram => net::drive(&mut fleet, &sockets, &stop, &mut live),
        Carrier::Stream => stream::drive(&mut fleet, conns, &stop, &mut live),
    }
    .map_err(|e| Error::network(format!("the event loop: {e}")))?;
    if let Some(bar) = live.bar.take() {
        bar.finish();
    }
    let cpu = cpu_seconds() - cpu_before;
    let report = report(&opts, &ice, &fleet, cpu);
    let mut w = std::io::stdout().lock();
    let written = match out.mode {
        Mode::Json => output::write_json(&mut w, &report),
        Mode::Ndjson => output::write_ndjson(&mut w, &output::event_record(&report, "done")),
        Mode::Human => write_human(&mut w, &report),
    };
    written.map_err(Error::output)?;
    if report.allocations.succeeded == 0 {
        let why: Vec<String> = report.allocations.errors.iter().map(|(k, n)| format!("{k} x{n}")).collect();
        return Err(Error::network(format!("no allocation succeeded ({})", why.join(", "))));
    }
    let failed = if opts.load.alloc_only {
        report.allocations.failed > 0
    } else {
        let judged = report.steps.first().map_or(100.0, |s| s.loss_pct);
        judged > opts.max_loss || report.traffic.as_ref().is_some_and(|t| t.senders == 0)
    };
    Ok(if failed { Outcome::Found } else { Outcome::Clean })
}

fn report(opts: &TurnLoadOptions, ice: &IceServer, fleet: &Fleet, cpu: f64) -> Report {
    let t = fleet.totals();
    let failed: u64 = t.errors.values().sum();
    let allocations = Allocations {
        attempted: t.attempted,
        succeeded: t.allocated,
        failed: failed as usize,
        duration_s: round(t.alloc_elapsed.as_secs_f64(), 4),
        per_second: (t.allocated > 0 && !t.alloc_elapsed.is_zero())
            .then(|| round(t.allocated as f64 / t.alloc_elapsed.as_secs_f64(), 1)),
        errors: t.errors.clone(),
        latency_ms: Latency::of(&t.alloc_latency),
    };
    let steps: Vec<Step> = t.steps.iter().map(step_record).collect();
    let traffic = (!opts.load.alloc_only).then(|| {
        let mut delay = Histogram::default();
        let (mut sent, mut delivered, mut duplicated, mut reordered, mut behind) = (0, 0, 0, 0, 0);
        let mut elapsed = 0.0;
        for s in &t.steps {
            delay.merge(&s.delay);
            sent += s.sent;
            delivered += s.delivered;
            duplicated += s.duplicated;
            reordered += s.reordered;
            behind += s.behind;
            elapsed += s.elapsed.as_secs_f64();
        }
        let elapsed = elapsed.max(1e-9);
        let lost = sent.saturating_sub(delivered);
        Traffic {
            mode: if opts.load.send_indication { "send-indication" } else { "channel" },
            sent,
            delivered,
            lost,
            duplicated,
            reordered,
            loss_pct: if sent == 0 { 0.0 } else { round(lost as f64 * 100.0 / sent as f64, 3) },
            delivered_pps: round(delivered as f64 / elapsed, 1),
            delivered_mbps: round(
                delivered as f64 * opts.load.size.max(HEADER) as f64 * 8.0 / elapsed / 1e6,
                3,
            ),
            delay_ms: Latency::of(&delay),
            jitter_ms: fleet.jitter_us().map(|us| round(us / 1000.0, 4)),
            rtt_ms: Latency::of(&t.rtt),
            behind,
            senders: t.steps.first().map_or(0, |s| s.senders),
            idle_clients: t.idle,
            bind_errors: t.bind_errors.clone(),
        }
    });
    let capacity = opts.ramp.and_then(|_| {
        t.steps.iter().rev().find(|s| s.loss_pct() <= opts.ramp_until).map(|s| Capacity {
            rate_pps: s.rate,
            delivered_pps: round(s.delivered as f64 / s.elapsed.as_secs_f64().max(1e-9), 1),
            loss_pct: round(s.loss_pct(), 3),
        })
    });
    let delivered_total: u64 = t.steps.iter().map(|s| s.delivered).sum();
    let mut diagnosis = Vec::new();
    if t.allocated == 0 {
        diagnosis.push("no allocation succeeded: nothing was relayed".to_string());
    }
    if let Some(n) = t.errors.get("486") {
        diagnosis.push(format!(
            "{n} allocation(s) refused with 486 Allocation Quota Reached (coturn user-quota/total-quota)"
        ));
    }
    if let Some(n) = t.errors.get("437") {
        diagnosis.push(format!("{n} allocation(s) refused with 437 Allocation Mismatch: the server still holds an allocation for that local port (an earlier client's that was not released; it expires with its lifetime)"));
    }
    if let Some(n) = t.errors.get("401") {
        diagnosis.push(format!("{n} allocation(s) refused with 401: wrong or missing credentials"));
    }
    if let Some(tr) = &traffic {
        if tr.behind > 0 {
            diagnosis.push(format!(
                "the generator fell behind: {} {} due and not sent (the figures understate the load asked for)",
                crate::core::units::count(tr.behind, "packet"),
                crate::core::units::was(tr.behind)
            ));
        }
        if tr.loss_pct > opts.max_loss {
            diagnosis.push(format!("loss {:.3}% is over --max-loss {}%", tr.loss_pct, opts.max_loss));
        }
    }
    if t.connections_closed > 0 {
        diagnosis.push(format!(
            "{} connection(s) closed by the server during the run; their allocations went with them",
            t.connections_closed
        ));
    }
    if t.interrupted {
        diagnosis.push(
            "interrupted (Ctrl-C): the allocations were released and the figures cover the run so far".into(),
        );
    }
    Report {
        server: ice.label(),
        transport: ice.transport().as_str(),
        clients: opts.load.clients,
        rate_pps: opts.load.rate,
        size: opts.load.size.max(HEADER),
        duration_s: opts.load.duration.as_secs_f64(),
        allocations,
        traffic,
        steps,
        capacity,
        released: Released { ok: t.released, failed: t.release_failed },
        generator_cpu_s: round(cpu, 4),
        cpu_us_per_delivered: (delivered_total > 0).then(|| round(cpu * 1e6 / delivered_total as f64, 3)),
        interrupted: t.interrupted,
        diagnosis,
    }
}

fn fmt_latency(l: &Latency) -> String {
    let f = |v: Option<f64>| v.map_or("-".into(), |v| format!("{v:.3}"));
    format!("{} / {} / {} / {} ms", f(l.p50), f(l.p95), f(l.p99), f(l.max))
}

fn write_human(w: &mut impl Write, r: &Report) -> std::io::Result<()> {
    writeln!(w, "rtctool turn load: {} over {}, {} clients", r.server, r.transport, r.clients)?;
    let a = &r.allocations;
    let errors: Vec<String> = a.errors.iter().map(|(k, n)| format!("{k} x{n}")).collect();
    writeln!(
        w,
        "allocations: {} of {} ({} failed{}) in {:.3} s{}; latency p50/p95/p99/max {}",
        a.succeeded,
        a.attempted,
        a.failed,
        if errors.is_empty() { String::new() } else { format!(": {}", errors.join(", ")) },
        a.duration_s,
        a.per_second.map_or(String::new(), |r| format!(" ({r:.0}/s)")),
        fmt_latency(&a.latency_ms)
    )?;
    if let Some(t) = &r.traffic {
        writeln!(w)?;
        let mut table = Table::new([
            "Step",
            "Rate pps",
            "Senders",
            "Sent",
            "Delivered",
            "Lost",
            "Loss %",
            "Delivered pps",
            "Delay p50/p95/p99/max",
        ]);
        for c in 1..=7 {
            table.align(c, Align::Right);
        }
        for (i, s) in r.steps.iter().enumerate() {
            table.row([
                (i + 1).to_string(),
                format!("{}", s.rate_pps),
                s.senders.to_string(),
                s.sent.to_string(),
                s.delivered.to_string(),
                s.lost.to_string(),
                format!("{:.3}", s.loss_pct),
                format!("{:.1}", s.delivered_pps),
                fmt_latency(&s.delay_ms),
            ]);
        }
        write!(w, "{table}")?;
        writeln!(
            w,
            "traffic ({}): sent {}, delivered {} ({:.3}% lost, {} duplicated, {} reordered), {:.1} pps, {:.3} Mbit/s",
            t.mode, t.sent, t.delivered, t.loss_pct, t.duplicated, t.reordered, t.delivered_pps, t.delivered_mbps
        )?;
        writeln!(
            w,
            "one-way delay p50/p95/p99/max {}; jitter {}; echoed round trip p50/p95/p99/max {}",
            fmt_latency(&t.delay_ms),
            t.jitter_ms.map_or("-".into(), |j| format!("{j:.4} ms")),
            fmt_latency(&t.rtt_ms)
        )?;
    }
    if let Some(c) = &r.capacity {
        writeln!(
            w,
            "capacity: {} pps per client, {:.1} pps delivered in all, at {:.3}% loss",
            c.rate_pps, c.delivered_pps, c.loss_pct
        )?;
    }
    writeln!(w, "released: {} ok, {} failed", r.released.ok, r.released.failed)?;
    writeln!(
        w,
        "generator CPU: {:.3} s{}",
        r.generator_cpu_s,
        r.cpu_us_per_delivered.map_or(String::new(), |c| format!(" ({c:.2} µs per delivered packet)"))
    )?;
    for d in &r.diagnosis {
        writeln!(w, "  {d}")?;
    }
    Ok(())
}
