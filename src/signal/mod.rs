//! `rtctool signal serve`: a signalling server that speaks libwebrtc's peerconnection_server
//! protocol byte for byte (sign in, hanging GET, message, sign out; `Pragma` carries ids), so
//! native `peerconnection_client`s, `rtctool call` and the browser page it serves at `/` can
//! find each other and exchange offers, answers and candidates.
//!
//! [`channel`] is the protocol as a state machine with time as an input (members, queues,
//! presence, the 30 s timeout); [`server`] is the socket shell around it, which also bounds
//! what a client can make it spend. Deliberate differences from the native server: `/quit` is
//! refused, every resource is bounded (the statuses 400, 405, 408, 411, 413, 431 and 503 say
//! which bound was hit), a second hanging GET for one member closes the first, and `GET /`
//! serves the browser page.

pub mod channel;
pub mod server;

use std::io::Write;
use std::net::SocketAddr;
use std::time::Duration;

use crate::core::output::{self, Mode, Output};
use crate::error::{Error, Outcome, Result};

use channel::Limits;
use server::{LogEvent, Server, ServerConfig};

/// Log lines waiting for the log thread before new ones are dropped (and counted).
const LOG_QUEUE: usize = 4096;

/// The browser peer page served at `/`.
pub const PAGE: &str = include_str!("page.html");

/// What `signal serve` is asked to do (the CLI fills it in).
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Where to listen.
    pub listen: SocketAddr,
    /// Members at once.
    pub max_peers: usize,
    /// Connections at once.
    pub max_connections: usize,
    /// Largest message body, bytes.
    pub max_body: usize,
    /// Messages queued for one member.
    pub max_queued: usize,
    /// Time a client has to send a request and read the answer.
    pub request_timeout: Duration,
}

/// Run `rtctool signal serve` until Ctrl-C or SIGTERM.
pub fn serve(opts: ServeOptions, out: &Output) -> Result<Outcome> {
    if opts.max_peers == 0 || opts.max_connections == 0 || opts.max_queued == 0 || opts.max_body == 0 {
        return Err(Error::usage(
            "--max-peers, --max-connections, --max-queued and --max-body must be above 0",
        ));
    }
    if opts.request_timeout.is_zero() {
        return Err(Error::usage("--request-timeout must be above 0"));
    }
    let max_connections = fit_connections(opts.max_connections, out);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("rtctool-signal")
        .build()
        .map_err(|e| Error::network(format!("starting the async runtime: {e}")))?;
    let cfg = ServerConfig {
        listen: opts.listen,
        limits: Limits {
            max_peers: opts.max_peers,
            max_queued: opts.max_queued,
            max_queued_bytes: (opts.max_queued * opts.max_body).min(8 << 20),
            ..Limits::default()
        },
        max_connections,
        max_body: opts.max_body,
        request_timeout: opts.request_timeout,
    };
    let mode = out.mode;
    let quiet = out.quiet;
    let verbose = out.verbose;
    // Log lines go through a bounded queue to their own thread, so a slow or stopped reader
    // of stderr (or stdout, with --ndjson) never stalls the server; what does not fit is
    // counted and said.
    let (log_tx, log_rx) = std::sync::mpsc::sync_channel::<LogEvent>(LOG_QUEUE);
    let dropped = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let logger = std::thread::Builder::new()
        .name("rtctool-signal-log".into())
        .spawn(move || {
            for e in log_rx {
                log_event(&e, mode, quiet, verbose);
            }
        })
        .map_err(|e| Error::network(format!("starting the log thread: {e}")))?;
    let lost = dropped.clone();
    let log = Box::new(move |e: LogEvent| {
        if log_tx.try_send(e).is_err() {
            lost.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    });
    let totals = runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(cfg.listen)
            .await
            .map_err(|e| Error::network(format!("listening on {}: {e}", cfg.listen)))?;
        let bound = listener.local_addr().map_err(|e| Error::network(format!("listening: {e}")))?;
        let server = Server::new(cfg, PAGE, log);
        log_event(&LogEvent::Listening { address: bound.to_string(), max_connections }, mode, quiet, verbose);
        server.clone().serve(listener, stop_signal()).await;
        Ok::<_, Error>(server.totals())
    })?;
    runtime.shutdown_timeout(Duration::from_millis(200));
    // The server (and with it the log queue's sender) is gone: the thread ends once drained.
    let _ = logger.join();
    let dropped = dropped.load(std::sync::atomic::Ordering::Relaxed);
    if dropped > 0 && !out.quiet {
        eprintln!("rtctool: {dropped} log lines were dropped: their reader was too slow");
    }
    let stdout = std::io::stdout();
    let mut w = stdout.lock();
    let written = match out.mode {
        Mode::Json => output::write_json(&mut w, &totals),
        Mode::Ndjson => output::write_ndjson(&mut w, &output::event_record(&totals, "stopped")),
        Mode::Human if !out.quiet => writeln!(
            w,
            "stopped: {}, {}, {} relayed ({}), {} refused, at most {}",
            crate::core::units::count(totals.connections, "connection"),
            crate::core::units::count(totals.sign_ins, "sign-in"),
            crate::core::units::count(totals.messages, "message"),
            crate::core::units::count(totals.message_bytes, "byte"),
            totals.refused,
            crate::core::units::count(totals.peak_members, "member")
        ),
        Mode::Human => Ok(()),
    };
    written.map_err(Error::output)?;
    Ok(Outcome::Clean)
}

/// Ctrl-C or SIGTERM.
async fn stop_signal() {
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                return;
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Raise the open-file limit so `wanted` connections fit; if the hard limit does not allow it,
/// serve fewer and say so.
fn fit_connections(wanted: usize, out: &Output) -> usize {
    use nix::sys::resource::{getrlimit, setrlimit, Resource};
    // Listener, runtime, stdio and a margin.
    const SPARE: u64 = 64;
    let Ok((soft, hard)) = getrlimit(Resource::RLIMIT_NOFILE) else { return wanted };
    let need = wanted as u64 + SPARE;
    if soft >= need {
        return wanted;
    }
    let target = need.min(hard);
    if setrlimit(Resource::RLIMIT_NOFILE, target, hard).is_err() {
        return wanted;
    }
    let fits = target.saturating_sub(SPARE).max(1) as usize;
    if fits < wanted && !out.quiet {
        eprintln!(
            "rtctool: the open-file limit ({hard}) allows {fits} connections, not {wanted}; serving {fits}"
        );
    }
    fits.min(wanted)
}

fn log_event(e: &LogEvent, mode: Mode, quiet: bool, verbose: u8) {
    match mode {
        Mode::Ndjson => {
            let _ = output::write_ndjson(&mut std::io::stdout().lock(), e);
        }
        _ if quiet => {}
        _ => {
            let line = match e {
                LogEvent::Listening { address, max_connections } => format!(
                    "listening on http://{address}/ (at most {max_connections} connections); Ctrl-C stops"
                ),
                LogEvent::SignedIn { id, name, members, from } => {
                    format!(
                        "signed in: {name} (id {id}) from {from}; {}",
                        crate::core::units::count(*members as u64, "member")
                    )
                }
                LogEvent::Left { id, name, why, members } => {
                    format!(
                        "{why}: {name} (id {id}); {}",
                        crate::core::units::count(*members as u64, "member")
                    )
                }
                LogEvent::Message { from, to, bytes, outcome } => {
                    format!(
                        "message {from} -> {to}: {}, {outcome}",
                        crate::core::units::count(*bytes as u64, "byte")
                    )
                }
                LogEvent::Refused { from, status, reason } => {
                    if verbose == 0 && *status == 0 {
                        return;
                    }
                    format!("refused {from}: {status} {reason}")
                }
            };
            eprintln!("{line}");
        }
    }
}
