//! The exporter's HTTP side: `/probe`, `/metrics` and `/`, over the request-head reader that
//! `signal serve` uses, with every resource a client can make it spend bounded.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

use super::config::{target_url, Config, Module, DEFAULT_MODULE};
use crate::core::http::{self, Method, Response};
use crate::gather::metrics::{self, Labels, ProbeResult};
use crate::gather::report::{FailureKind, ServerReport};

/// Largest request head read.
const MAX_HEAD: usize = 8 * 1024;

/// What the exporter counts about itself.
#[derive(Default)]
struct Counters {
    /// Probes finished, by module and result.
    probes: Mutex<BTreeMap<(String, &'static str), u64>>,
    /// Probes refused: no slot within the module's timeout.
    rejected: AtomicU64,
    /// HTTP requests answered, by status code.
    requests: Mutex<BTreeMap<u16, u64>>,
    /// Probes running now.
    in_flight: AtomicU64,
}

/// The latest result of a background target.
struct Latest {
    result: ProbeResult,
    at: SystemTime,
}

/// The exporter: its configuration, the probe slots, its counters, the background results.
pub struct Exporter {
    pub config: Config,
    probes: Arc<Semaphore>,
    counters: Counters,
    latest: Mutex<Vec<Option<Latest>>>,
}

/// A request's answer: status line, content type, body.
struct Answer {
    code: u16,
    status: &'static str,
    content_type: &'static str,
    body: Vec<u8>,
}

impl Answer {
    fn text(code: u16, status: &'static str, body: impl Into<String>) -> Self {
        let mut body = body.into();
        if !body.ends_with('\n') {
            body.push('\n');
        }
        Answer { code, status, content_type: "text/plain; charset=utf-8", body: body.into_bytes() }
    }

    fn metrics(body: String) -> Self {
        Answer { code: 200, status: "200 OK", content_type: metrics::CONTENT_TYPE, body: body.into_bytes() }
    }

    fn response(self) -> Response {
        Response {
            status: self.status.into(),
            content_type: self.content_type.into(),
            pragma: None,
            body: self.body,
        }
    }
}

impl Exporter {
    pub fn new(config: Config) -> Arc<Self> {
        let slots = config.limits.max_concurrent_probes;
        let targets = config.targets.len();
        Arc::new(Exporter {
            config,
            probes: Arc::new(Semaphore::new(slots)),
            counters: Counters::default(),
            latest: Mutex::new((0..targets).map(|_| None).collect()),
        })
    }

    /// Serve until `stop` resolves; background targets are probed meanwhile.
    pub async fn serve(self: Arc<Self>, listener: TcpListener, stop: impl std::future::Future<Output = ()>) {
        let background: Vec<_> = (0..self.config.targets.len())
            .map(|i| {
                let exporter = self.clone();
                tokio::spawn(async move { exporter.background(i).await })
            })
            .collect();
        let connections = Arc::new(Semaphore::new(self.config.limits.max_connections));
        tokio::pin!(stop);
        loop {
            let accepted = tokio::select! {
                a = listener.accept() => a,
                _ = &mut stop => break,
            };
            let Ok((stream, peer)) = accepted else {
                // Out of file descriptors, usually: back off rather than spin.
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            };
            let _ = stream.set_nodelay(true);
            let exporter = self.clone();
            match connections.clone().try_acquire_owned() {
                Ok(permit) => {
                    tokio::spawn(async move {
                        exporter.connection(stream, peer).await;
                        drop(permit);
                    });
                }
                Err(_) => {
                    tokio::spawn(async move {
                        let a = Answer::text(503, "503 Service Unavailable", "too many connections");
                        exporter.write(stream, a).await;
                    });
                }
            }
        }
        for b in background {
            b.abort();
        }
    }

    async fn background(self: Arc<Self>, i: usize) {
        let target = self.config.targets[i].clone();
        let Some(module) = self.config.modules.get(&target.module).cloned() else { return };
        let mut tick = tokio::time::interval(target.interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            // Background probes wait for a slot as long as it takes: they are the exporter's own.
            let Ok(permit) = self.probes.clone().acquire_owned().await else { return };
            let (result, _) = self.run_probe(module.clone(), target.url.clone()).await;
            drop(permit);
            let mut latest = self.latest.lock().unwrap_or_else(|p| p.into_inner());
            latest[i] = Some(Latest { result, at: SystemTime::now() });
        }
    }

    /// Run a probe on the blocking pool, counted; bounded by the module's budget. The server
    /// reports come back for `debug=true` (none when the probe overran its budget).
    async fn run_probe(
        &self,
        module: Module,
        url: crate::core::ice::IceUrl,
    ) -> (ProbeResult, Vec<ServerReport>) {
        self.counters.in_flight.fetch_add(1, Ordering::Relaxed);
        let budget = module.budget() + Duration::from_secs(6);
        let name = module.name.clone();
        let task = tokio::task::spawn_blocking(move || super::probe(&module, &url));
        let (result, reports) = match tokio::time::timeout(budget, task).await {
            Ok(Ok(done)) => done,
            // The engine bounds itself; this is a last resort that should never be reached.
            _ => (ProbeResult::not_run(FailureKind::Timeout, budget), Vec::new()),
        };
        self.counters.in_flight.fetch_sub(1, Ordering::Relaxed);
        let verdict = if result.success { "success" } else { "failure" };
        *self
            .counters
            .probes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry((name, verdict))
            .or_default() += 1;
        (result, reports)
    }

    async fn connection(&self, mut stream: TcpStream, peer: SocketAddr) {
        let limit = self.config.limits.request_timeout;
        let answer = match tokio::time::timeout(limit, read_head(&mut stream)).await {
            Ok(Ok((head, buf))) => {
                // Prometheus says how long it waits for the answer (blackbox-exporter's convention).
                let scrape = http::request_header(&buf, "X-Prometheus-Scrape-Timeout-Seconds")
                    .and_then(|v| v.parse::<f64>().ok())
                    .and_then(|s| Duration::try_from_secs_f64(s).ok());
                self.route(&head, scrape).await
            }
            Ok(Err(Some(a))) => a,
            Ok(Err(None)) => return,
            Err(_) => {
                Answer::text(408, "408 Request Timeout", format!("the request took more than {limit:?}"))
            }
        };
        if answer.code >= 400 && answer.code != 404 {
            eprintln!(
                "rtctool exporter: {peer}: {} {}",
                answer.code,
                String::from_utf8_lossy(&answer.body).trim_end()
            );
        }
        self.write(stream, answer).await;
    }

    async fn write(&self, mut stream: TcpStream, answer: Answer) {
        *self.counters.requests.lock().unwrap_or_else(|p| p.into_inner()).entry(answer.code).or_default() +=
            1;
        let bytes = answer.response().to_bytes();
        let limit = self.config.limits.request_timeout;
        if let Ok(Ok(())) = tokio::time::timeout(limit, stream.write_all(&bytes)).await {
            let _ = tokio::time::timeout(Duration::from_secs(1), stream.shutdown()).await;
        }
    }

    async fn route(&self, head: &http::RequestHead, scrape: Option<Duration>) -> Answer {
        if head.method != Method::Get {
            return Answer::text(405, "405 Method Not Allowed", "only GET");
        }
        match head.path() {
            "/probe" => self.probe(head.query(), scrape).await,
            "/metrics" => Answer::metrics(self.own_metrics()),
            "/" => Answer::text(200, "200 OK", self.index()),
            other => Answer::text(
                404,
                "404 Not Found",
                format!("no {other}: try /probe?target=URL&module=NAME or /metrics"),
            ),
        }
    }

    async fn probe(&self, query: &str, scrape: Option<Duration>) -> Answer {
        let mut target = None;
        let mut module = None;
        let mut debug = false;
        for (k, v) in form_urlencoded::parse(query.as_bytes()) {
            match k.as_ref() {
                "target" if target.is_none() => target = Some(v.into_owned()),
                "module" if module.is_none() => module = Some(v.into_owned()),
                "target" | "module" => return bad(format!("{k} given twice")),
                "debug" => debug = v == "true",
                // Other parameters (relabelling leftovers) are no business of the probe.
                _ => {}
            }
        }
        let Some(target) = target else {
            return bad("a target is needed: /probe?target=turn:HOST:PORT&module=NAME");
        };
        let url = match target_url(&target) {
            Ok(url) => url,
            Err(e) => return bad(e),
        };
        let name = module.unwrap_or_else(|| DEFAULT_MODULE.into());
        let Some(mut module) = self.config.modules.get(&name).cloned() else {
            let known: Vec<&str> = self.config.modules.keys().map(String::as_str).collect();
            return bad(format!("no module \"{name}\" (modules: {})", known.join(", ")));
        };
        if let Some(scrape) = scrape {
            // The answer must come before Prometheus gives up: a quarter second for the
            // answer itself, and the rest split between the requests, the relay test and the
            // release, each bounded by the timeout.
            let left = scrape.saturating_sub(Duration::from_millis(250)).max(Duration::from_millis(100));
            module.timeout = module.timeout.min(left / 3);
        }
        // A scrape waits for a slot at most as long as its probe could take.
        let permit = match tokio::time::timeout(module.timeout, self.probes.clone().acquire_owned()).await {
            Ok(Ok(p)) => p,
            _ => {
                self.counters.rejected.fetch_add(1, Ordering::Relaxed);
                let n = self.config.limits.max_concurrent_probes;
                return Answer::text(
                    503,
                    "503 Service Unavailable",
                    format!(
                        "every probe slot is busy (max_concurrent_probes = {n}) and none freed within {:?}",
                        module.timeout
                    ),
                );
            }
        };
        let (result, reports) = self.run_probe(module, url).await;
        drop(permit);
        if debug {
            let steps = steps_text(&reports);
            let text = format!("{steps}\n\n{}", metrics::results_text(&[(Vec::new(), result)]));
            return Answer::text(200, "200 OK", text);
        }
        Answer::metrics(metrics::results_text(&[(Vec::new(), result)]))
    }

    fn own_metrics(&self) -> String {
        let mut registry = Registry::default();
        let probes: Family<Labels, Counter> = Family::default();
        for ((module, result), n) in self.counters.probes.lock().unwrap_or_else(|p| p.into_inner()).iter() {
            let labels =
                vec![("module".to_string(), module.clone()), ("result".to_string(), (*result).to_string())];
            probes.get_or_create(&labels).inc_by(*n);
        }
        registry.register("rtctool_exporter_probes", "Probes run, by module and result", probes);
        let rejected: Counter = Counter::default();
        rejected.inc_by(self.counters.rejected.load(Ordering::Relaxed));
        registry.register(
            "rtctool_exporter_probes_rejected",
            "Scrapes refused with 503: every probe slot busy for the module's timeout",
            rejected,
        );
        let requests: Family<Labels, Counter> = Family::default();
        for (code, n) in self.counters.requests.lock().unwrap_or_else(|p| p.into_inner()).iter() {
            requests.get_or_create(&vec![("code".to_string(), code.to_string())]).inc_by(*n);
        }
        registry.register(
            "rtctool_exporter_http_requests",
            "HTTP requests answered, by status code",
            requests,
        );
        let in_flight: Gauge = Gauge::default();
        in_flight.set(self.counters.in_flight.load(Ordering::Relaxed) as i64);
        registry.register("rtctool_exporter_probes_in_flight", "Probes running now", in_flight);
        let slots: Gauge = Gauge::default();
        slots.set(self.config.limits.max_concurrent_probes as i64);
        registry.register("rtctool_exporter_max_concurrent_probes", "Probes that may run at once", slots);

        let latest = self.latest.lock().unwrap_or_else(|p| p.into_inner());
        let mut results = Vec::new();
        let stamps: Family<Labels, Gauge<f64, AtomicU64>> = Family::default();
        for (t, l) in self.config.targets.iter().zip(latest.iter()) {
            let Some(l) = l else { continue };
            let labels =
                vec![("target".to_string(), t.label.clone()), ("module".to_string(), t.module.clone())];
            let at = l.at.duration_since(SystemTime::UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64());
            stamps.get_or_create(&labels).set(at);
            results.push((labels, l.result.clone()));
        }
        drop(latest);
        if !self.config.targets.is_empty() {
            metrics::register_results(&mut registry, &results);
            registry.register(
                "rtctool_probe_timestamp_seconds",
                "When the background target was last probed (Unix time)",
                stamps,
            );
        }
        metrics::text(&registry)
    }

    fn index(&self) -> String {
        let modules: Vec<&str> = self.config.modules.keys().map(String::as_str).collect();
        let mut text = format!(
            "rtctool {} exporter\n\n/probe?target=URL&module=NAME   probe now (add &debug=true for the steps)\n/metrics                        the exporter's counters and background targets\n\nmodules: {}\n",
            env!("CARGO_PKG_VERSION"),
            modules.join(", ")
        );
        for t in &self.config.targets {
            text.push_str(&format!("target: {} (module {}, every {:?})\n", t.label, t.module, t.interval));
        }
        text
    }
}

/// Every step of a probe's server reports, for `debug=true`.
fn steps_text(reports: &[ServerReport]) -> String {
    if reports.is_empty() {
        return "the probe did not end within its budget".into();
    }
    let mut text = String::new();
    for r in reports {
        text.push_str(&format!("{} ({}, from {:?}):\n", r.url, r.transport, r.local_address));
        for s in &r.steps {
            text.push_str(&format!("  {:>8.1} ms  {}\n", s.at_ms, s.what));
        }
    }
    text
}

fn bad(why: impl Into<String>) -> Answer {
    Answer::text(400, "400 Bad Request", why)
}

/// Read one request head, and the bytes it came in (`None` as the error: the client went away
/// without one).
async fn read_head(stream: &mut TcpStream) -> Result<(http::RequestHead, Vec<u8>), Option<Answer>> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 2048];
    loop {
        match http::parse_request(&buf) {
            Ok(Some(head)) => return Ok((head, buf)),
            Ok(None) if buf.len() >= MAX_HEAD => {
                return Err(Some(Answer::text(
                    431,
                    "431 Request Header Fields Too Large",
                    "the request head is too large",
                )))
            }
            Ok(None) => {}
            Err(e) => return Err(Some(bad(e.to_string()))),
        }
        let want = (MAX_HEAD + 1 - buf.len()).min(chunk.len());
        match stream.read(&mut chunk[..want]).await {
            Ok(0) | Err(_) => return Err(None),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}
