//! `rtctool exporter`: a Prometheus exporter for STUN and TURN servers, in the
//! blackbox-exporter style. `GET /probe?target=URL&module=NAME` runs one probe now (a Binding,
//! or an Allocate with the relay test, over UDP, TCP or TLS as the URL says: the diag engine of
//! `gather`) and answers with its metrics; `GET /metrics` has the exporter's own counters and
//! the latest results of the configuration's background targets.
//!
//! Bounded: at most `max_concurrent_probes` probes run at once (a scrape that cannot get a
//! slot within its module's timeout gets 503), each probe ends within its module's budget,
//! connections are capped and each request must arrive within `request_timeout`.

pub mod config;
mod server;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::core::ice::{IceServer, IceUrl};
use crate::core::output::{Mode, Output};
use crate::gather::engine::Config as GatherConfig;
use crate::gather::interfaces::Filter;
use crate::gather::metrics::ProbeResult;
use crate::gather::report::ServerReport;
use crate::gather::{net, report_of};
use crate::{Error, Outcome, Result};

pub use config::{Config, Module};

/// What `rtctool exporter` is asked.
#[derive(Debug, Clone)]
pub struct ExporterOptions {
    /// Where to listen.
    pub listen: SocketAddr,
    /// The configuration file (none: the default module only).
    pub config: Option<PathBuf>,
}

/// Run one probe of `url` with `module`, blocking (at most [`Module::budget`] and a little):
/// its result and the server reports behind it.
pub fn probe(module: &Module, url: &IceUrl) -> (ProbeResult, Vec<ServerReport>) {
    let start = Instant::now();
    let now_unix =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let credentials = if url.scheme.is_turn() { module.credentials(now_unix) } else { None };
    let mut config = GatherConfig::new(vec![IceServer::new(url.clone(), credentials)]);
    config.timeout = module.timeout;
    config.release_timeout = module.timeout.min(Duration::from_secs(1));
    config.relay_test = module.relay_test;
    config.software = Some(format!("rtctool {} exporter", env!("CARGO_PKG_VERSION")));
    let opts = net::Options {
        filter: Filter {
            only: Vec::new(),
            loopback: false,
            link_local: false,
            ipv4: module.ipv4,
            ipv6: module.ipv6,
        },
        tls: module.tls.clone(),
        ctrl_c: false,
    };
    match net::gather(config, &opts, |_, _| {}) {
        Ok(g) => {
            let report = report_of(&g);
            let refs: Vec<&ServerReport> = report.servers.iter().collect();
            (ProbeResult::of(&refs, start.elapsed()), report.servers)
        }
        Err(_) => {
            (ProbeResult::not_run(crate::gather::report::FailureKind::NoRoute, start.elapsed()), Vec::new())
        }
    }
}

/// Run `rtctool exporter` until Ctrl-C.
pub fn run(opts: ExporterOptions, out: &Output) -> Result<Outcome> {
    let config = match &opts.config {
        Some(path) => config::load(path, &|var| std::env::var(var).ok()).map_err(Error::input)?,
        None => Config::default(),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(config.limits.max_concurrent_probes + 4)
        .enable_all()
        .build()
        .map_err(|e| Error::network(format!("starting the runtime: {e}")))?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(opts.listen)
            .await
            .map_err(|e| Error::network(format!("listening on {}: {e}", opts.listen)))?;
        let local = listener.local_addr().map_err(|e| Error::network(e.to_string()))?;
        let exporter = server::Exporter::new(config);
        let (modules, targets) = (exporter.config.modules.len(), exporter.config.targets.len());
        let started = serde_json::json!({
            "event": "listening",
            "address": local.to_string(),
            "modules": modules,
            "targets": targets,
        });
        if out.mode == Mode::Human {
            println!(
                "rtctool exporter listening on http://{local} ({modules} module{}, {targets} background target{}); Ctrl-C stops",
                if modules == 1 { "" } else { "s" },
                if targets == 1 { "" } else { "s" }
            );
        } else {
            let _ = crate::core::output::write_ndjson(&mut std::io::stdout().lock(), &started);
        }
        exporter
            .serve(listener, async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await;
        Ok(Outcome::Clean)
    })
}
