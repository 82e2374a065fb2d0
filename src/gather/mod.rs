//! `rtctool gather`: ICE candidate gathering the way a browser does it, with a verdict on
//! every STUN and TURN server and what went wrong when something did.
//!
//! * [`engine`]: the diag engine, a sans-IO state machine ([`engine::Gatherer`]) over the
//!   project's STUN transactions: Binding, Allocate with long-term credentials, release;
//! * [`net`]: the socket loop around it (std only; TLS through [`tls`]);
//! * [`interfaces`]: where host candidates come from;
//! * [`report`]: the `--json` shapes; [`render`]: the human output and the diagnosis.

pub mod engine;
pub mod interfaces;
pub mod metrics;
pub mod net;
pub mod render;
pub mod report;

pub mod webrtc;

#[cfg(test)]
mod tests;

use std::io::{self, Write};
use std::time::Duration;

use crate::core::ice::{
    turn_credentials, url::parse_server, IceServer, IceUrl, RestOptions, Scheme, TurnEnv,
};
use crate::core::output::{self, Mode, Output};
use crate::{Error, Outcome, Result};

pub use engine::{Config, Event, Gatherer};
pub use report::{Counts, FailureKind, GatherReport, GatheredCandidate, ServerError, ServerReport};

/// Which implementation gathers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Engine {
    /// The project's own STUN/TURN client: every failure explained.
    #[default]
    Diag,
    /// A real WebRTC stack (webrtc-rs): what an application would see.
    Webrtc,
}

/// Read a `--stun`/`--turn` value: a URL of the right kind, or a bare `HOST[:PORT]` that gets
/// the option's scheme.
pub fn parse_server_url(value: &str, turn: bool) -> std::result::Result<IceUrl, String> {
    let option = if turn { "--turn" } else { "--stun" };
    let default = if turn { Scheme::Turn } else { Scheme::Stun };
    let url = parse_server(value, default).map_err(|e| format!("{option} {}: {e}", redact(value)))?;
    if url.scheme.is_turn() != turn {
        let other = if turn { "--stun" } else { "--turn" };
        return Err(format!(
            "{option} takes {} URLs ({} goes with {other})",
            if turn { "turn:/turns:" } else { "stun:/stuns:" },
            url.scheme
        ));
    }
    Ok(url)
}

/// A value as it may be echoed in an error: everything before an `@` (credentials) hidden.
pub fn redact(value: &str) -> String {
    match value.rsplit_once('@') {
        Some((before, after)) => {
            let scheme = before.split_once(':').map(|(s, _)| format!("{s}:")).unwrap_or_default();
            format!("{scheme}***@{after}")
        }
        None => value.to_string(),
    }
}

/// What `rtctool gather` is asked.
#[derive(Debug, Clone)]
pub struct GatherOptions {
    /// `--stun` values: URLs, or bare `HOST[:PORT]`.
    pub stun: Vec<String>,
    /// `--turn` values.
    pub turn: Vec<String>,
    /// The TURN username when a URL has none.
    pub username: Option<String>,
    /// The TURN password when a URL has none.
    pub password: Option<String>,
    /// Read the TURN password from the first line of this file.
    pub password_file: Option<std::path::PathBuf>,
    /// RTCTOOL_TURN_USERNAME / RTCTOOL_TURN_PASSWORD / RTCTOOL_TURN_SECRET, the last resort.
    pub turn_env: TurnEnv,
    /// A TURN REST secret instead of a password.
    pub rest: RestOptions,
    /// Relay candidates only.
    pub relay_only: bool,
    /// Test each allocation's relay.
    pub relay_test: bool,
    /// Also write the results as Prometheus metrics to this file (`-`: to standard output,
    /// instead of the report).
    pub prometheus: Option<std::path::PathBuf>,
    /// Also TCP host candidates.
    pub tcp: bool,
    /// Bound on the whole gathering.
    pub timeout: Duration,
    /// Which local addresses gather.
    pub filter: interfaces::Filter,
    /// TLS for turns:/stuns:.
    pub tls: crate::core::tls::TlsOptions,
    /// Who gathers.
    pub engine: Engine,
}

/// The servers of a command line, with their credentials (URL, then flags, then environment).
pub fn servers(args: &GatherOptions) -> Result<Vec<IceServer>> {
    let password =
        crate::core::ice::credentials::password_from(args.password.as_deref(), args.password_file.as_deref())
            .map_err(Error::input)?;
    let rest = args.rest.settle(&args.turn_env).map_err(Error::input)?;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let mut list = Vec::new();
    for (value, turn) in args.stun.iter().map(|v| (v, false)).chain(args.turn.iter().map(|v| (v, true))) {
        let url = parse_server_url(value, turn).map_err(Error::usage)?;
        let credentials = if turn {
            turn_credentials(
                &url,
                args.username.as_deref(),
                password.as_deref(),
                &args.turn_env,
                rest.as_ref(),
                now,
            )
        } else {
            None
        };
        list.push(IceServer::new(url, credentials));
    }
    Ok(list)
}

/// Run `rtctool gather`.
pub fn run(args: GatherOptions, out: &Output) -> Result<Outcome> {
    let servers = servers(&args)?;
    let mut config = Config::new(servers);
    config.timeout = args.timeout;
    config.release_timeout = args.timeout.min(Duration::from_secs(1));
    config.relay_only = args.relay_only;
    config.relay_test = args.relay_test;
    config.tcp_candidates = args.tcp;
    config.software = Some(format!("rtctool {}", env!("CARGO_PKG_VERSION")));
    let opts = net::Options { filter: args.filter.clone(), tls: args.tls.clone(), ctrl_c: true };
    if args.engine == Engine::Webrtc {
        return run_webrtc(&config, &opts, out);
    }
    if config.servers.iter().any(|s| s.url.scheme.is_secure()) {
        crate::core::tls::check(&opts.tls).map_err(|e| Error::input(format!("TLS: {e}")))?;
    }
    if config.relay_only && !config.servers.iter().any(IceServer::is_turn) {
        return Err(Error::usage("--relay-only gathers relay candidates only: give a --turn server"));
    }

    let metrics_only = args.prometheus.as_deref() == Some(std::path::Path::new("-"));
    let stdout = io::stdout();
    let mut write_error: Option<io::Error> = None;
    let mut live: Option<render::Live> = None;
    let g = net::gather(config, &opts, |g, event| {
        let mut w = stdout.lock();
        let live = live.get_or_insert_with(|| {
            let width = g.locals().iter().map(|l| l.address.ip().to_string().len()).max().unwrap_or(0);
            render::Live::new(out, width)
        });
        let written = match (out.mode, event) {
            _ if metrics_only => Ok(()),
            (Mode::Ndjson, _) => ndjson_event(&mut w, g, event),
            (Mode::Human, Event::Candidate(i)) => live.candidate(&mut w, &g.candidates()[i]),
            (Mode::Human, Event::Verdict(r)) => live.verdict(&mut w, &g.reports()[r]),
            _ => Ok(()),
        };
        if let Err(e) = written {
            write_error.get_or_insert(e);
        }
    })?;
    if let Some(e) = write_error {
        return Err(Error::output(e));
    }

    let report = report_of(&g);
    if let Some(path) = &args.prometheus {
        write_prometheus(path, &report)?;
    }
    let mut w = stdout.lock();
    let written = match out.mode {
        _ if metrics_only => Ok(()),
        Mode::Json => output::write_json(&mut w, &report),
        Mode::Ndjson => {
            let done = serde_json::json!({
                "event": "done",
                "done_ms": report.done_ms,
                "counts": report.counts,
                "diagnosis": report.diagnosis,
                "notes": report.notes,
            });
            output::write_ndjson(&mut w, &done)
        }
        Mode::Human => live.get_or_insert_with(|| render::Live::new(out, 0)).finish(&mut w, &report),
    };
    written.map_err(Error::output)?;
    outcome(&report)
}

/// `--engine webrtc`: candidates stream as webrtc-rs trickles them; the verdicts come at the end.
fn run_webrtc(config: &Config, opts: &net::Options, out: &Output) -> Result<Outcome> {
    let width =
        net::local_addresses(&opts.filter, config)?.iter().map(|a| a.ip.to_string().len()).max().unwrap_or(0);
    let mut live = render::Live::new(out, width);
    let stdout = io::stdout();
    let mut write_error: Option<io::Error> = None;
    let report = webrtc::gather(config, opts, |c| {
        let mut w = stdout.lock();
        let written = match out.mode {
            Mode::Human => live.candidate(&mut w, c),
            Mode::Ndjson => output::write_ndjson(&mut w, &output::event_record(c, "candidate")),
            Mode::Json => Ok(()),
        };
        if let Err(e) = written {
            write_error.get_or_insert(e);
        }
    })?;
    if let Some(e) = write_error {
        return Err(Error::output(e));
    }
    let mut w = stdout.lock();
    let written = match out.mode {
        Mode::Json => output::write_json(&mut w, &report),
        Mode::Ndjson => report
            .servers
            .iter()
            .try_for_each(|s| output::write_ndjson(&mut w, &output::event_record(s, "server")))
            .and_then(|()| {
                let done = serde_json::json!({
                    "event": "done",
                    "engine": report.engine,
                    "done_ms": report.done_ms,
                    "counts": report.counts,
                    "diagnosis": report.diagnosis,
                    "notes": report.notes,
                });
                output::write_ndjson(&mut w, &done)
            }),
        Mode::Human => report
            .servers
            .iter()
            .try_for_each(|s| live.verdict(&mut w, s))
            .and_then(|()| live.finish(&mut w, &report)),
    };
    written.map_err(Error::output)?;
    outcome(&report)
}

/// `--prometheus`: the run's metrics, one series per server report (labels `target`, the URL
/// without credentials, and `local`, the address probed from), to standard output for `-`,
/// else to the file through a temporary one renamed over it (what node_exporter's textfile
/// collector wants: it never reads half a file).
fn write_prometheus(path: &std::path::Path, report: &GatherReport) -> Result<()> {
    let results: Vec<(metrics::Labels, metrics::ProbeResult)> = report
        .servers
        .iter()
        .map(|s| {
            let labels = vec![
                ("target".to_string(), metrics::target_label(&s.url)),
                ("local".to_string(), s.local_address.map(|a| a.ip().to_string()).unwrap_or_default()),
            ];
            let took = Duration::from_secs_f64(s.elapsed_ms.unwrap_or(report.done_ms).max(0.0) / 1000.0);
            (labels, metrics::ProbeResult::of(&[s], took))
        })
        .collect();
    let text = metrics::results_text(&results);
    if path == std::path::Path::new("-") {
        return io::stdout().lock().write_all(text.as_bytes()).map_err(Error::output);
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = std::path::PathBuf::from(tmp);
    std::fs::write(&tmp, text)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| Error::input(format!("writing {}: {e}", path.display())))
}

/// The report of a finished run.
pub fn report_of(g: &Gatherer) -> GatherReport {
    let candidates = g.candidates().to_vec();
    let servers = g.reports().to_vec();
    let counts = Counts::of(&candidates);
    let diagnosis = render::diagnose(&servers, &candidates, g.config().relay_only);
    let mut notes = g.notes().to_vec();
    if g.config().servers.is_empty() {
        notes.push("no --stun or --turn server: host candidates only".into());
    }
    GatherReport {
        engine: "diag",
        candidates,
        servers,
        done_ms: g.done_after().map_or(0.0, crate::core::output::millis),
        counts,
        diagnosis,
        notes,
    }
}

/// The exit status: 0 when every server answered as expected, 1 when any failed, 4 when none
/// could be reached at all.
pub fn outcome(report: &GatherReport) -> Result<Outcome> {
    let failed: Vec<&ServerReport> = report.servers.iter().filter(|s| !s.ok).collect();
    if failed.is_empty() {
        return Ok(Outcome::Clean);
    }
    let unreached = failed.iter().all(|s| s.error.as_ref().is_some_and(|e| e.kind.is_unreached()));
    if unreached && failed.len() == report.servers.len() {
        let first =
            failed.first().and_then(|s| s.error.as_ref()).map(|e| e.reason.clone()).unwrap_or_default();
        let more = if failed.len() > 1 { format!(" (and {} more)", failed.len() - 1) } else { String::new() };
        return Err(Error::network(format!("no server could be reached: {first}{more}")));
    }
    Ok(Outcome::Found)
}

fn ndjson_event(w: &mut impl Write, g: &Gatherer, event: Event) -> io::Result<()> {
    let record = match event {
        Event::Candidate(i) => output::event_record(&g.candidates()[i], "candidate"),
        Event::Verdict(r) => output::event_record(&g.reports()[r], "server"),
        Event::Released(r) => {
            let s = &g.reports()[r];
            serde_json::json!({
                "event": "released",
                "url": s.url,
                "local_address": s.local_address,
                "relayed_address": s.relayed_address,
                "released": s.released,
                "release_error": s.release_error,
            })
        }
        Event::Complete => {
            let done_ms = g.done_after().map_or(0.0, crate::core::output::millis);
            serde_json::json!({ "event": "complete", "done_ms": done_ms })
        }
    };
    output::write_ndjson(w, &record)
}
