//! A gathering run as Prometheus metrics: what `rtctool exporter` answers a scrape with and what
//! `gather --prometheus` writes for node_exporter's textfile collector. One [`ProbeResult`] per
//! probed target (every local address and server address it was probed over folded into one
//! verdict); the text is OpenMetrics, written by `prometheus-client`.

use std::time::Duration;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use super::report::{FailureKind, ServerReport, UNREACHABLE_CODE};

/// Label pairs of one series (empty for a `/probe` answer: Prometheus adds `instance`).
pub type Labels = Vec<(String, String)>;

/// The verdict on one target, from the server reports of its probe.
#[derive(Debug, Clone, PartialEq)]
pub struct ProbeResult {
    /// Every report ok (and there was one).
    pub success: bool,
    /// How long the probe took, release of allocations included.
    pub duration: Duration,
    /// The first answered request's round trip, in seconds.
    pub stun_rtt: Option<f64>,
    /// Start to allocation, in seconds (TURN).
    pub allocate: Option<f64>,
    /// Whether the relay test passed (TURN, when it ran).
    pub relay_test: Option<bool>,
    /// The relay test's round trip, in seconds.
    pub relay_rtt: Option<f64>,
    /// The STUN error code of the failure, 701 when nothing answered, 0 on success.
    pub error_code: u16,
    /// The failure's kind (labelled `timeout`, `auth`, `relay-broken`... as in JSON).
    pub failure: Option<FailureKind>,
}

impl ProbeResult {
    /// Fold the reports of one target's probe: the first failed report decides the error.
    pub fn of(reports: &[&ServerReport], duration: Duration) -> Self {
        let failed = reports.iter().find(|r| !r.ok);
        let first = reports.iter().find(|r| r.ok).or(failed).copied();
        // Milliseconds (to the microsecond) as seconds, without float noise in the text.
        let secs = |ms: f64| (ms * 1000.0).round() / 1e6;
        let (error_code, failure) = match failed {
            None if !reports.is_empty() => (0, None),
            None => (UNREACHABLE_CODE, Some(FailureKind::NoRoute)),
            Some(r) => match &r.error {
                Some(e) => (e.code, Some(e.kind)),
                None => (UNREACHABLE_CODE, Some(FailureKind::Unreported)),
            },
        };
        ProbeResult {
            success: failure.is_none(),
            duration,
            stun_rtt: first.and_then(|r| r.rtt_ms).map(secs),
            allocate: first.and_then(|r| r.allocated_ms).map(secs),
            relay_test: first.and_then(|r| r.relay_test.as_ref()).map(|t| t.ok),
            relay_rtt: first
                .and_then(|r| r.relay_test.as_ref())
                .filter(|t| t.ok)
                .and_then(|t| t.rtt_ms)
                .map(secs),
            error_code,
            failure,
        }
    }

    /// A probe that could not run at all (no local address, a refused setting).
    pub fn not_run(kind: FailureKind, duration: Duration) -> Self {
        ProbeResult {
            success: false,
            duration,
            stun_rtt: None,
            allocate: None,
            relay_test: None,
            relay_rtt: None,
            error_code: UNREACHABLE_CODE,
            failure: Some(kind),
        }
    }
}

/// A server URL as a label: without the username (`turn:alice@host` → `turn:host`).
pub fn target_label(url: &str) -> String {
    match url.split_once(':') {
        Some((scheme, rest)) => match rest.rsplit_once('@') {
            Some((_, host)) => format!("{scheme}:{host}"),
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

/// The `kind` label of a failure: the name `gather --json` gives its kind.
fn kind_label(kind: FailureKind) -> String {
    serde_json::to_value(kind).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

type G = Gauge<f64, std::sync::atomic::AtomicU64>;

/// Name and help of every probe gauge, in the order they are written.
const GAUGES: [(&str, &str); 7] = [
    ("rtctool_probe_success", "Whether the probe succeeded (1) or not (0)"),
    ("rtctool_probe_duration_seconds", "How long the probe took, allocations released"),
    ("rtctool_stun_rtt_seconds", "Round trip of the first request answered without a retransmission"),
    ("rtctool_turn_allocate_seconds", "Time from the start of the probe to the allocation"),
    ("rtctool_turn_relay_test_success", "Whether data went through the relay both ways (1) or not (0)"),
    (
        "rtctool_turn_relay_rtt_seconds",
        "Round trip through the relay: us, the server, the relayed address, us",
    ),
    (
        "rtctool_probe_error_code",
        "The STUN error code of a failure, 701 when the server could not be reached, 0 on success",
    ),
];
const FAILURE_INFO: (&str, &str) =
    ("rtctool_probe_failure_info", "The kind of failure (label kind), 1 when failed");

/// The values of the [`GAUGES`] a result has (index into `GAUGES`, value).
fn values(r: &ProbeResult) -> Vec<(usize, f64)> {
    let bit = |b: bool| if b { 1.0 } else { 0.0 };
    [
        Some(bit(r.success)),
        Some(r.duration.as_secs_f64()),
        r.stun_rtt,
        r.allocate,
        r.relay_test.map(bit),
        r.relay_rtt,
        Some(f64::from(r.error_code)),
    ]
    .into_iter()
    .enumerate()
    .filter_map(|(i, v)| v.map(|v| (i, v)))
    .collect()
}

/// Register the probe gauges for these results in `registry`: plain gauges for one result
/// without labels (a `/probe` answer), families by label otherwise.
pub fn register_results(registry: &mut Registry, results: &[(Labels, ProbeResult)]) {
    let failure: Family<Labels, G> = Family::default();
    if let [(labels, r)] = results {
        if labels.is_empty() {
            for (i, v) in values(r) {
                let g = G::default();
                g.set(v);
                registry.register(GAUGES[i].0, GAUGES[i].1, g);
            }
            if let Some(kind) = r.failure {
                failure.get_or_create(&vec![("kind".into(), kind_label(kind))]).set(1.0);
                registry.register(FAILURE_INFO.0, FAILURE_INFO.1, failure);
            }
            return;
        }
    }
    let families: Vec<Family<Labels, G>> = GAUGES.iter().map(|_| Family::default()).collect();
    for (labels, r) in results {
        for (i, v) in values(r) {
            families[i].get_or_create(labels).set(v);
        }
        if let Some(kind) = r.failure {
            let mut with_kind = labels.clone();
            with_kind.push(("kind".into(), kind_label(kind)));
            failure.get_or_create(&with_kind).set(1.0);
        }
    }
    for (family, (name, help)) in families.into_iter().zip(GAUGES) {
        registry.register(name, help, family);
    }
    registry.register(FAILURE_INFO.0, FAILURE_INFO.1, failure);
}

/// The OpenMetrics text of a registry.
pub fn text(registry: &Registry) -> String {
    let mut out = String::new();
    // Writing into a String cannot fail.
    let _ = encode(&mut out, registry);
    out
}

/// The OpenMetrics text of these results alone.
pub fn results_text(results: &[(Labels, ProbeResult)]) -> String {
    let mut registry = Registry::default();
    register_results(&mut registry, results);
    text(&registry)
}

/// The content type of [`text`].
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gather::report::{RelayTestResult, ServerError};

    fn report(ok: bool) -> ServerReport {
        let mut r = ServerReport::new("turn:alice@192.0.2.1".into(), "turn", "udp");
        r.ok = ok;
        r.rtt_ms = Some(1.5);
        r.allocated_ms = Some(3.0);
        r
    }

    #[test]
    fn a_passing_turn_probe() {
        let mut r = report(true);
        r.relay_test = Some(RelayTestResult {
            ok: true,
            rtt_ms: Some(0.5),
            inbound_ms: Some(0.6),
            via: "channel",
            peer: "192.0.2.9:5000".parse().unwrap(),
            seen_from: None,
            relay_source: None,
            error: None,
        });
        let p = ProbeResult::of(&[&r], Duration::from_millis(5));
        assert!(p.success);
        assert_eq!(
            (p.stun_rtt, p.allocate, p.relay_rtt, p.error_code),
            (Some(0.0015), Some(0.003), Some(0.0005), 0)
        );
        let text = results_text(&[(Vec::new(), p)]);
        assert!(text.contains("# TYPE rtctool_probe_success gauge\nrtctool_probe_success 1.0\n"), "{text}");
        assert!(text.contains("rtctool_turn_relay_rtt_seconds 0.0005\n"), "{text}");
        assert!(text.contains("rtctool_probe_error_code 0.0\n"), "{text}");
        assert!(!text.contains("rtctool_probe_failure_info{"), "{text}");
        assert!(text.ends_with("# EOF\n"));
    }

    #[test]
    fn a_failure_with_labels() {
        let mut bad = report(false);
        bad.error = Some(ServerError::new(401, "Unauthorized", FailureKind::Auth));
        let p = ProbeResult::of(&[&report(true), &bad], Duration::from_millis(5));
        assert!(!p.success, "one failed report fails the target");
        assert_eq!((p.error_code, p.failure), (401, Some(FailureKind::Auth)));
        let labels = vec![("target".to_string(), "turn:turn.example.org".to_string())];
        let text = results_text(&[(labels, p)]);
        assert!(text.contains("rtctool_probe_success{target=\"turn:turn.example.org\"} 0.0"), "{text}");
        assert!(
            text.contains("rtctool_probe_failure_info{target=\"turn:turn.example.org\",kind=\"auth\"} 1.0"),
            "{text}"
        );
        assert_eq!(
            target_label("turn:alice@turn.example.org?transport=tcp"),
            "turn:turn.example.org?transport=tcp"
        );
        assert_eq!(target_label("stun:[2001:db8::1]:3478"), "stun:[2001:db8::1]:3478");
        let none = ProbeResult::of(&[], Duration::ZERO);
        assert_eq!((none.success, none.error_code), (false, 701));
    }
}
