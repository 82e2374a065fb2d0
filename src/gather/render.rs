//! Human output of `rtctool gather`, and the plain-language diagnosis every output carries.
//!
//! Candidates are printed as they arrive, one line each with the elapsed time, like the
//! webrtc samples "Trickle ICE" page (its priority column too: type preference | local
//! preference | 256 − component); a server that fails is printed when it does, like
//! `onicecandidateerror`. When gathering is over: the verdict per server, the done time with
//! the counts, and the diagnosis.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::net::SocketAddr;

use colored::Colorize;

use super::report::{FailureKind, GatherReport, GatheredCandidate, ServerReport};
use crate::core::ice::{CandidateType, PriorityParts};
use crate::core::output::{one_line_safe, Align, Output, Table, Tree};

/// The streaming human renderer.
#[derive(Debug)]
pub struct Live {
    quiet: bool,
    verbose: u8,
    header: bool,
    address_width: usize,
}

impl Live {
    /// A renderer with the run's output settings; addresses get at least `address_width`
    /// columns (the longest local address, so host candidates line up).
    pub fn new(out: &Output, address_width: usize) -> Self {
        Live { quiet: out.quiet, verbose: out.verbose, header: false, address_width: address_width.max(15) }
    }

    fn header(&mut self, w: &mut impl Write) -> io::Result<()> {
        if self.header {
            return Ok(());
        }
        self.header = true;
        let line = format!(
            "{:>8}  {:<5}  {:<10}  {:<8}  {:<aw$}  {:>5}  {:<17}  {}",
            "Time ms",
            "Type",
            "Foundation",
            "Protocol",
            "Address",
            "Port",
            "Priority",
            "URL",
            aw = self.address_width
        );
        writeln!(w, "{}", line.trim_end().bold())
    }

    /// Print a candidate as it arrives.
    pub fn candidate(&mut self, w: &mut impl Write, c: &GatheredCandidate) -> io::Result<()> {
        self.header(w)?;
        writeln!(w, "{}", candidate_line(c, self.address_width))?;
        if self.verbose > 0 {
            writeln!(w, "{:>10}{}", "", c.candidate.to_string().dimmed())?;
        }
        w.flush()
    }

    /// Print a server's verdict when it is a failure (as `onicecandidateerror` would).
    pub fn verdict(&mut self, w: &mut impl Write, s: &ServerReport) -> io::Result<()> {
        let Some(e) = &s.error else { return Ok(()) };
        self.header(w)?;
        let at = s.elapsed_ms.map_or(String::new(), |ms| format!("{ms:.1}"));
        let from = s.local_address.map(|l| format!(" from {l}")).unwrap_or_default();
        writeln!(
            w,
            "{:>8}  {:<5}  {} ({}{from}): {}",
            at,
            "error".red().bold(),
            s.url,
            s.transport,
            one_line_safe(&e.to_string()).red()
        )?;
        w.flush()
    }

    /// The end: verdicts, done line, diagnosis.
    pub fn finish(&mut self, w: &mut impl Write, report: &GatherReport) -> io::Result<()> {
        if report.candidates.is_empty() && report.servers.iter().all(|s| s.ok) {
            writeln!(w, "no candidates")?;
        }
        if !report.servers.is_empty() && !self.quiet {
            writeln!(w)?;
            write!(w, "{}", verdict_table(&report.servers))?;
            for s in &report.servers {
                if let Some(e) = &s.release_error {
                    writeln!(
                        w,
                        "{} {}: allocation {} not released: {}",
                        "note:".yellow(),
                        s.url,
                        or_dash(s.relayed_address),
                        one_line_safe(e)
                    )?;
                }
            }
        }
        if self.verbose > 0 && !report.servers.is_empty() {
            writeln!(w)?;
            for s in &report.servers {
                let from = s.local_address.map(|l| format!(" from {l}")).unwrap_or_default();
                let mut t = Tree::new(format!("{} ({}{from})", s.url, s.transport));
                for step in &s.steps {
                    t.push(format!("{:>8.1} ms  {}", step.at_ms, step.what));
                }
                let mut facts = Vec::new();
                if let Some(a) = s.server_address {
                    facts.push(format!("server address {a}"));
                }
                if let Some(o) = s.response_origin {
                    facts.push(format!("RESPONSE-ORIGIN {o}"));
                }
                if let Some(o) = s.other_address {
                    facts.push(format!("OTHER-ADDRESS {o}"));
                }
                if let Some(r) = &s.realm {
                    facts.push(format!("realm \"{r}\""));
                }
                if s.transmissions > 0 {
                    let n = s.transmissions;
                    facts.push(format!("{n} request{} sent", if n == 1 { "" } else { "s" }));
                }
                if let Some(t) = &s.relay_test {
                    facts.push(match (&t.error, t.rtt_ms) {
                        (None, Some(rtt)) => {
                            format!("relay test ok ({rtt:.1} ms over {}, peer {})", t.via, t.peer)
                        }
                        _ => format!("relay test failed (peer {})", t.peer),
                    });
                }
                if let Some(n) = &s.note {
                    facts.push(n.clone());
                }
                if !facts.is_empty() {
                    t.push(facts.join(", "));
                }
                write!(w, "{t}")?;
            }
        }
        if !self.quiet {
            for note in &report.notes {
                writeln!(w, "{} {}", "note:".yellow(), one_line_safe(note))?;
            }
        }
        writeln!(w)?;
        let c = &report.counts;
        writeln!(
            w,
            "{} {:.1} ms: {} host, {} srflx, {} relay",
            "Done in".bold(),
            report.done_ms,
            c.host,
            c.srflx,
            c.relay
        )?;
        let failing = report.servers.iter().any(|s| !s.ok);
        for d in &report.diagnosis {
            let d = one_line_safe(d);
            let d = if failing { d.yellow().to_string() } else { d.green().to_string() };
            writeln!(w, "  {d}")?;
        }
        w.flush()
    }
}

fn or_dash<T: ToString>(v: Option<T>) -> String {
    v.map_or_else(|| "-".to_string(), |v| v.to_string())
}

/// One candidate line of the live table.
pub fn candidate_line(g: &GatheredCandidate, address_width: usize) -> String {
    let c = &g.candidate;
    let parts = PriorityParts::from_priority(c.priority);
    let priority =
        format!("{} | {} | {}", parts.type_preference, parts.local_preference, 256 - parts.component);
    let typ = match c.typ {
        CandidateType::Host => c.typ.as_str().normal(),
        CandidateType::Srflx | CandidateType::Prflx => c.typ.as_str().cyan(),
        CandidateType::Relay => c.typ.as_str().green(),
    };
    let mut protocol = c.protocol();
    if let Some(t) = c.tcptype {
        protocol.push_str(&format!(" {t}"));
    }
    let mut url = g.url.clone().unwrap_or_default();
    if let Some(via) = g.relay_protocol {
        url.push_str(&format!(" (relay over {via})"));
    }
    // Pad before colouring: the escapes would count as width.
    let typ = format!("{typ}{}", " ".repeat(5usize.saturating_sub(c.typ.as_str().len())));
    let line = format!(
        "{:>8.1}  {typ}  {:<10}  {:<8}  {:<aw$}  {:>5}  {:<17}  {}",
        g.elapsed_ms,
        c.foundation,
        protocol,
        c.address,
        c.port,
        priority,
        url,
        aw = address_width
    );
    line.trim_end().to_string()
}

/// The per-server verdict table.
pub fn verdict_table(servers: &[ServerReport]) -> Table {
    let mut t = Table::new([
        "Server",
        "Transport",
        "From",
        "Result",
        "RTT ms",
        "Relay ms",
        "Mapped",
        "Relayed",
        "Lifetime",
        "Software",
    ]);
    t.align(4, Align::Right);
    t.align(5, Align::Right);
    for s in servers {
        let result = match (&s.error, s.released) {
            (Some(e), _) => match e.kind {
                FailureKind::StunError | FailureKind::Auth | FailureKind::NoCredentials
                    if e.code != super::report::UNREACHABLE_CODE =>
                {
                    format!("error {}", e.code).red().to_string()
                }
                kind => kind_name(kind).red().to_string(),
            },
            (None, Some(true)) => "ok, released".green().to_string(),
            (None, Some(false)) => "ok, not released".yellow().to_string(),
            (None, None) => "ok".green().to_string(),
        };
        t.row([
            s.url.clone(),
            s.transport.to_string(),
            or_dash(s.local_address),
            result,
            s.rtt_ms.map_or("-".into(), |r| format!("{r:.1}")),
            match &s.relay_test {
                Some(t) if t.ok => t.rtt_ms.map_or("-".into(), |r| format!("{r:.1}")),
                Some(_) => "broken".red().to_string(),
                None => "-".into(),
            },
            or_dash(s.mapped_address),
            or_dash(s.relayed_address),
            s.lifetime_s.map_or("-".into(), |l| format!("{l} s")),
            s.software.clone().unwrap_or_else(|| "-".into()),
        ]);
    }
    t
}

/// A short name of a failure class, for the table.
pub fn kind_name(kind: FailureKind) -> &'static str {
    match kind {
        FailureKind::Dns => "DNS failure",
        FailureKind::NoRoute => "no route",
        FailureKind::Timeout => "timeout",
        FailureKind::Unreachable => "unreachable",
        FailureKind::Connect => "connect failed",
        FailureKind::Tls => "TLS failure",
        FailureKind::StunError => "error",
        FailureKind::NoCredentials => "no credentials",
        FailureKind::Auth => "auth failed",
        FailureKind::Integrity => "integrity failure",
        FailureKind::WrongSource => "wrong source",
        FailureKind::Protocol => "protocol error",
        FailureKind::Unsupported => "unsupported",
        FailureKind::Unreported => "no candidate",
        FailureKind::Interrupted => "interrupted",
        FailureKind::RelayBroken => "relay broken",
    }
}

fn server_word(s: &ServerReport) -> &'static str {
    if s.kind == "turn" {
        "TURN"
    } else {
        "STUN"
    }
}

/// The plain-language diagnosis: failures first (one line per server and problem), then what
/// the candidates say.
pub fn diagnose(servers: &[ServerReport], candidates: &[GatheredCandidate], relay_only: bool) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    fn push(lines: &mut Vec<String>, line: String) {
        if !lines.contains(&line) {
            lines.push(line);
        }
    }
    // UDP failing where TCP to the same host works says the network blocks UDP.
    let host_of = |s: &ServerReport| s.server_address.map(|a| a.ip().to_canonical());
    let tcp_ok: Vec<_> =
        servers.iter().filter(|s| s.ok && s.transport != "udp").filter_map(host_of).collect();
    let any_srflx = candidates.iter().any(|c| c.typ() == CandidateType::Srflx);
    let mut silent_stun: Vec<String> = Vec::new();
    let mut silent_detail = String::new();

    for s in servers {
        let Some(e) = &s.error else { continue };
        let who = format!("{} {}", server_word(s), s.url);
        let line = match e.kind {
            FailureKind::NoCredentials => {
                format!("{who} needs credentials ({}): give --username and --password (or RTCTOOL_TURN_USERNAME and RTCTOOL_TURN_PASSWORD)", e.code)
            }
            FailureKind::Auth if e.code == 401 || e.code == 441 => {
                let realm = s.realm.as_ref().map(|r| format!(" for realm \"{r}\"")).unwrap_or_default();
                let phrase = e.server_reason.as_deref().unwrap_or(&e.reason);
                format!(
                    "{who} rejected the credentials ({} {phrase}): check the username and password{realm}",
                    e.code
                )
            }
            FailureKind::Auth => format!("{who}: authentication failed: {}", e.reason),
            FailureKind::Timeout if s.transport == "udp" && s.kind == "stun" && !any_srflx => {
                silent_stun.push(s.url.clone());
                if silent_stun.len() > 1 {
                    continue;
                }
                // Filled in below, once every silent STUN server is known.
                String::new()
            }
            FailureKind::Timeout
                if s.transport == "udp" && host_of(s).is_some_and(|h| tcp_ok.contains(&h)) =>
            {
                format!("{who} gets no answer over UDP but answers over TCP/TLS: UDP to the server seems blocked; clients will have to relay over TCP")
            }
            FailureKind::Timeout if s.transport == "udp" => {
                format!(
                    "{who} did not answer over UDP ({}): blocked by a firewall, or nothing listens there",
                    e.reason
                )
            }
            FailureKind::Timeout => format!("{who} did not answer: {}", e.reason),
            FailureKind::Unreachable => format!("{who} cannot be reached: {}", e.reason),
            FailureKind::Dns => format!("{who}: {}", e.reason),
            FailureKind::NoRoute => format!("{who}: {}", e.reason),
            FailureKind::Connect | FailureKind::Tls => format!("{who}: {}", e.reason),
            FailureKind::StunError => format!("{who} answered {} {}", e.code, e.reason),
            FailureKind::Integrity
            | FailureKind::WrongSource
            | FailureKind::Protocol
            | FailureKind::Unsupported
            | FailureKind::Unreported
            | FailureKind::Interrupted
            | FailureKind::RelayBroken => format!("{who}: {}", e.reason),
        };
        if line.is_empty() {
            silent_detail = e.unanswered.as_ref().map_or_else(|| e.reason.clone(), ToString::to_string);
        }
        push(&mut lines, line);
    }
    if let Some(at) = lines.iter().position(String::is_empty) {
        let servers = silent_stun.join(", ");
        let one = silent_stun.len() == 1;
        lines[at] = format!(
            "no srflx: UDP to the STUN server{} seems blocked ({servers}: {silent_detail})",
            if one { "" } else { "s" }
        );
    }

    // A relayed address peers cannot reach, and a relay that sends from another address
    // than it advertises: a server behind NAT without its external address.
    for s in servers {
        let who = format!("{} {}", server_word(s), s.url);
        if let (Some(relayed), Some(server)) = (s.relayed_address, s.server_address) {
            if let Some(why) = crate::core::addr::unreachable_beside(relayed.ip(), server.ip()) {
                push(&mut lines, format!("warning: {who} gives the relayed address {relayed}, {why}: peers elsewhere cannot reach it (a server behind NAT without its public address set; coturn: external-ip)"));
            }
        }
        if let Some(source) = s.relay_test.as_ref().and_then(|t| t.relay_source) {
            let relayed = or_dash(s.relayed_address);
            push(&mut lines, format!("warning: {who} relays from {source}, not from its relayed address {relayed}: a NAT in front of the server rewrites it (coturn: external-ip)"));
        }
    }

    // A NAT that maps each destination to another port (seen as one base with two srflx).
    let mut by_base: BTreeMap<String, Vec<&GatheredCandidate>> = BTreeMap::new();
    for c in candidates.iter().filter(|c| c.typ() == CandidateType::Srflx) {
        let base = format!("{:?}:{:?}", c.candidate.related_address, c.candidate.related_port);
        by_base.entry(base).or_default().push(c);
    }
    if by_base.values().any(|v| v.len() > 1) {
        push(&mut lines, "the NAT gives each server another mapping (address-dependent mapping, \"symmetric\"): srflx candidates will rarely connect peer-to-peer; rely on TURN".into());
    }
    // A relay candidate whose relay test failed is no relay that works.
    let broken = |c: &GatheredCandidate| {
        servers.iter().any(|s| {
            s.relay_test.as_ref().is_some_and(|t| !t.ok)
                && c.url.as_deref() == Some(s.url.as_str())
                && c.relay_protocol == Some(s.transport)
                && s.relayed_address
                    .is_some_and(|r| Some(r.ip()) == c.candidate.ip() && r.port() == c.candidate.port)
        })
    };
    let relays: Vec<&'static str> = {
        let mut v: Vec<&'static str> =
            candidates.iter().filter(|c| !broken(c)).filter_map(|c| c.relay_protocol).collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    let has_relay = !relays.is_empty();
    if relay_only && !has_relay {
        push(
            &mut lines,
            "no relay candidate: with a relay-only policy this client cannot connect to anyone".into(),
        );
    }
    let no_nat = servers.iter().any(|s| {
        let canonical = |a: SocketAddr| (a.ip().to_canonical(), a.port());
        s.ok && s.transport == "udp"
            && s.mapped_address.is_some()
            && s.mapped_address.map(canonical) == s.local_address.map(canonical)
    });
    if no_nat && !any_srflx {
        push(&mut lines, "no NAT between here and the STUN/TURN servers: the mapped address is the local address, so there is no srflx candidate (none is needed)".into());
    }
    if servers.iter().all(|s| s.ok) {
        let mut good = Vec::new();
        if !servers.is_empty() {
            good.push(format!("every server answered ({} checked)", servers.len()));
        }
        if has_relay {
            let tested = servers.iter().any(|s| s.relay_test.as_ref().is_some_and(|t| t.ok));
            let how = if tested { " (tested: data through it both ways)" } else { "" };
            good.push(format!("relay works over {}{how}", relays.join(", ")));
        }
        if any_srflx {
            good.push("srflx found".into());
        }
        if !good.is_empty() {
            push(&mut lines, good.join("; "));
        }
    } else if has_relay {
        push(&mut lines, format!("relay works over {} all the same", relays.join(", ")));
    }
    lines
}
