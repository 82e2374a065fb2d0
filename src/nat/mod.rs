//! `rtctool nat-type`: what NAT (if any) is between this host and the Internet, found with
//! RFC 5780 behaviour discovery, fast and with the evidence shown.
//!
//! * [`behavior`]: the verdict vocabularies (RFC 4787/5780 behaviours, classic names) and what
//!   each means for WebRTC;
//! * [`discovery`]: the tests as a sans-IO state machine ([`discovery::NatDiscovery`]);
//! * [`net`]: the socket loop around it (std only).

pub mod behavior;
pub mod discovery;
pub mod lifetime;
pub mod net;
pub mod tcp;

#[cfg(test)]
mod sim;
#[cfg(test)]
mod tests;

use std::io::{self, Write};

use colored::Colorize;

use crate::core::output::{self, Mode, Output, Progress as Spinner, Tree};
use crate::{Error, Outcome, Result};

pub use behavior::{FilteringBehavior, MappingBehavior, NatType};
pub use discovery::{Config, Locals, NatDiscovery, Report, Socket, TestName, TestReport};
pub use net::{discover, Family, Options};

/// What `rtctool nat-type` is asked: the RFC 5780 discovery, and the optional extra tests.
#[derive(Debug, Clone)]
pub struct NatTypeOptions {
    /// The discovery's servers, sockets and timeout.
    pub discovery: Options,
    /// Measure the idle binding lifetime, up to this long.
    pub lifetime: Option<std::time::Duration>,
    /// Also find TCP's mapping behaviour.
    pub tcp: bool,
}

/// Run `rtctool nat-type`.
pub fn run(args: NatTypeOptions, out: &Output) -> Result<Outcome> {
    let opts = args.discovery.clone();
    let spinner = Spinner::spinner(out, format!("asking {}", opts.server));
    let stdout = io::stdout();
    let mut write_error: Option<io::Error> = None;
    let d = discover(&opts, |d, p| match out.mode {
        Mode::Ndjson => {
            if let discovery::Progress::Finished(name) = p {
                let record = output::event_record(&d.test_report(name), "test");
                if let Err(e) = output::write_ndjson(&mut stdout.lock(), &record) {
                    write_error.get_or_insert(e);
                }
            }
        }
        _ => match p {
            discovery::Progress::Started(name) => spinner.set_message(name.describe()),
            discovery::Progress::Finished(name) => {
                if out.verbose > 0 && !out.quiet {
                    let line = format!("{:<12} {}", name.as_str(), d.test(name).describe_outcome());
                    if spinner.is_hidden() {
                        eprintln!("{line}");
                    } else {
                        spinner.println(line);
                    }
                }
            }
        },
    });
    let d = match d {
        Ok(d) => d,
        Err(e) => {
            spinner.finish();
            return Err(e);
        }
    };
    let mut report = d.report();
    if let Some(max) = args.lifetime {
        report.binding_lifetime = Some(lifetime(&d, &report, &opts, max, out, &spinner, &mut write_error)?);
    }
    if args.tcp {
        spinner.set_message("TCP mapping".to_string());
        let local = opts.local.map(|l| l.ip());
        report.tcp = Some(tcp::measure(d.config().server, local, opts.timeout, opts.software.as_deref()));
    }
    spinner.finish();
    if let Some(e) = write_error {
        return Err(Error::output(e));
    }

    let mut w = stdout.lock();
    let written = match out.mode {
        Mode::Json => output::write_json(&mut w, &report),
        Mode::Ndjson => {
            let mut record = output::event_record(&report, "result");
            if let Some(obj) = record.as_object_mut() {
                obj.remove("tests");
            }
            output::write_ndjson(&mut w, &record)
        }
        Mode::Human => write!(w, "{}", render(&report, out)),
    };
    written.map_err(Error::output)?;

    match report.nat_type {
        NatType::UdpBlocked => Ok(Outcome::Found),
        NatType::Unknown if report.server_unreachable => Err(Error::network(
            report.reason.clone().unwrap_or_else(|| format!("{} is unreachable", report.server)),
        )),
        NatType::Unknown => Ok(Outcome::Found),
        _ => Ok(Outcome::Clean),
    }
}

/// `--lifetime`: measure after the discovery, when the server answered (and seems to do RFC
/// 5780, which RESPONSE-PORT belongs to).
fn lifetime(
    d: &NatDiscovery,
    report: &Report,
    opts: &Options,
    max: std::time::Duration,
    out: &Output,
    spinner: &Spinner,
    write_error: &mut Option<io::Error>,
) -> Result<lifetime::Lifetime> {
    let skipped = |why: &str| lifetime::Lifetime {
        at_least_s: None,
        less_than_s: None,
        error: Some(why.to_string()),
        probes: Vec::new(),
        done_s: 0.0,
    };
    if report.mapped_address.is_none() {
        return Ok(skipped("not measured: the server did not answer"));
    }
    if report.rfc5780_supported == Some(false) && report.other_address.is_none() {
        return Ok(skipped("not measured: the server does not support RFC 5780 (RESPONSE-PORT)"));
    }
    spinner.set_message(format!("binding lifetime (up to {} s)", max.as_secs()));
    let local = opts.local.map(|l| l.ip()).or(Some(d.locals().mapping.ip()));
    let stdout = io::stdout();
    lifetime::measure(d.config().server, local, opts, max, |p| match (out.mode, p) {
        (Mode::Ndjson, lifetime::LifetimeProgress::Probed(probe)) => {
            let record = output::event_record(&probe, "lifetime-probe");
            if let Err(e) = output::write_ndjson(&mut stdout.lock(), &record) {
                write_error.get_or_insert(e);
            }
        }
        (_, lifetime::LifetimeProgress::Bracket { at_least_s, less_than_s }) => {
            spinner.set_message(format!(
                "binding lifetime: alive after {} s, gone after {} s",
                at_least_s.map_or("?".into(), |s| s.to_string()),
                less_than_s.map_or("?".into(), |s| s.to_string())
            ));
        }
        (_, lifetime::LifetimeProgress::Probed(probe)) => {
            if out.verbose > 0 && !out.quiet {
                let line = format!("{:<12} {}", "lifetime", probe.detail);
                if spinner.is_hidden() {
                    eprintln!("{line}");
                } else {
                    spinner.println(line);
                }
            }
        }
    })
}

fn or_unknown<T: ToString>(v: Option<T>) -> String {
    v.map_or_else(|| "unknown".to_string(), |v| v.to_string())
}

/// The human report: verdict first, then the evidence as a tree.
pub fn render(r: &Report, out: &Output) -> String {
    let mut s = String::new();
    let title = match r.nat_type {
        NatType::Unknown => r.nat_type.title().yellow().bold(),
        NatType::UdpBlocked | NatType::Symmetric => r.nat_type.title().red().bold(),
        _ => r.nat_type.title().green().bold(),
    };
    s.push_str(&format!("NAT type   {title}\n"));
    s.push_str(&format!("mapping    {}\n", or_unknown(r.mapping)));
    s.push_str(&format!("filtering  {}\n", or_unknown(r.filtering)));
    if let Some(t) = &r.tcp {
        s.push_str(&format!("tcp        mapping {}\n", or_unknown(t.mapping)));
    }
    if let Some(reason) = &r.reason {
        s.push_str(&format!("why        {}\n", crate::core::output::one_line_safe(reason)));
    }
    s.push_str(&format!("WebRTC     {}\n", r.webrtc));
    if out.quiet {
        return s;
    }

    let mut root = Tree::new("Evidence".bold().to_string());
    let mut server = format!("server {}", r.server);
    if let Some(sw) = &r.software {
        server.push_str(&format!(" ({sw})"));
    }
    if let Some(rtt) = r.rtt_ms {
        server.push_str(&format!(", round trip {rtt} ms"));
    }
    let mut server = Tree::new(server);
    match (r.rfc5780_supported, r.other_address) {
        (Some(true), Some(o)) => server.push(format!("RFC 5780: yes, OTHER-ADDRESS {o}")),
        (Some(false), Some(o)) => server.push(format!("RFC 5780: not usable (OTHER-ADDRESS {o})")),
        (Some(false), None) => server.push("RFC 5780: no (no OTHER-ADDRESS)"),
        _ => server.push("never answered"),
    };
    if let Some(s2) = r.server2 {
        server.push(format!("second server {s2}: mapping {}", or_unknown(r.server2_mapped_address)));
    }
    root.push_tree(server);

    let nat = match (r.behind_nat, r.mapped_address) {
        (Some(false), _) => format!("local {} = mapped address: no NAT", r.local_address),
        (Some(true), Some(m)) => format!("local {} → public {m}: behind a NAT", r.local_address),
        _ => format!("local {}", r.local_address),
    };
    root.push(nat);

    let section = |label: &str, evidence: &str, prefix: &str| {
        let mut t = Tree::new(format!("{label}: {evidence}"));
        for test in r.tests.iter().filter(|t| t.name.as_str().starts_with(prefix)) {
            t.push(test_line(test));
        }
        t
    };
    root.push_tree(section("mapping", &r.mapping_evidence, "mapping"));
    root.push_tree(section("filtering", &r.filtering_evidence, "filtering"));
    for test in r.tests.iter().filter(|t| matches!(t.name, TestName::Server2 | TestName::Probe)) {
        root.push(test_line(test));
    }
    if let Some(test) = r.tests.iter().find(|t| t.name == TestName::Hairpin) {
        let verdict = match r.hairpinning {
            Some(true) => "hairpinning works",
            Some(false) => "no hairpinning",
            None => "hairpinning unknown",
        };
        root.push(format!("{verdict}: {}", test_line(test)));
    }
    if let Some(l) = &r.binding_lifetime {
        let secs = |s: f64| format!("{s} s");
        let label = match (&l.error, l.at_least_s, l.less_than_s) {
            (Some(e), _, _) => format!("binding lifetime unknown: {e}"),
            (None, lo, Some(hi)) => format!(
                "binding lifetime: {} {}: keep-alives must come more often than every {}",
                lo.map_or("under".into(), |lo| format!("between {} and", secs(lo))),
                secs(hi),
                secs(lo.unwrap_or(hi / 2.0))
            ),
            (None, Some(lo), None) => format!("binding lifetime: more than {} (the most tried)", secs(lo)),
            (None, None, None) => "binding lifetime: unknown".into(),
        };
        let mut t = Tree::new(format!("{label} (measured in {:.1} s)", l.done_s));
        for p in &l.probes {
            t.push(format!("socket {:<2} {}", p.socket, p.detail));
        }
        root.push_tree(t);
    }
    if let Some(t) = &r.tcp {
        let nat = match t.behind_nat {
            Some(false) => ", no NAT",
            _ => "",
        };
        let mut tree = Tree::new(format!("tcp mapping {}{nat}: {}", or_unknown(t.mapping), t.evidence));
        for test in &t.tests {
            let mut line = format!("{:<11}", test.name);
            match test.local_address {
                Some(l) => line.push_str(&format!(" {l} → {}", test.destination)),
                None => line.push_str(&format!(" → {}", test.destination)),
            }
            let detail = match test.outcome {
                "answered" => test.detail.green().to_string(),
                _ => test.detail.yellow().to_string(),
            };
            line.push_str(&format!(": {detail} ({} ms)", test.elapsed_ms));
            tree.push(line);
        }
        root.push_tree(tree);
    }
    for note in &r.notes {
        root.push(format!("{} {note}", "note:".yellow()));
    }
    s.push('\n');
    s.push_str(&root.to_string());
    s.push_str(&format!("done in {} ms\n", r.done_ms.round()));
    s
}

fn test_line(t: &TestReport) -> String {
    let mut line = format!("{:<11}", t.name.as_str());
    match (t.local_address, t.destination) {
        (Some(l), Some(d)) => line.push_str(&format!(" {l} → {d}")),
        (_, Some(d)) => line.push_str(&format!(" → {d}")),
        _ => {}
    }
    if let Some(c) = t.change_request {
        line.push_str(&format!(" [change {c}]"));
    }
    let detail = match t.outcome {
        "answered" | "received" => t.detail.green().to_string(),
        "timeout" => t.detail.dimmed().to_string(),
        _ => t.detail.yellow().to_string(),
    };
    line.push_str(&format!(": {detail}"));
    if let Some(ms) = t.rtt_ms.or(t.elapsed_ms.filter(|_| t.outcome == "answered")) {
        line.push_str(&format!(" ({ms} ms)"));
    }
    line
}
