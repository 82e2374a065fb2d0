//! `rtctool exporter` against real peers: coturn on the loopback (long-term and TURN REST
//! credentials, a relay that allocates but does not relay, a server that never answers) and
//! Prometheus itself scraping `/probe` with blackbox-style relabelling. Secrets appear in no
//! answer, log or stored series.

mod common {
    pub mod coturn;
}

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::coturn;

const BIN: &str = env!("CARGO_BIN_EXE_rtctool");
const PASSWORD: &str = "wonderland";
const REST_SECRET: &str = "rest-s3cret-never-shown";

struct Exporter {
    child: Child,
    addr: SocketAddr,
    stderr: PathBuf,
}

impl Exporter {
    /// Start the exporter on a free loopback port with this configuration text.
    fn start(dir: &Path, config: &str, env: &[(&str, &str)]) -> Exporter {
        let path = dir.join("exporter.toml");
        std::fs::write(&path, config).unwrap();
        let stderr = dir.join("exporter.stderr");
        let mut child = Command::new(BIN)
            .args(["exporter", "--listen", "127.0.0.1:0", "--config"])
            .arg(&path)
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let addr = line
            .split("http://")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or_else(|| panic!("no address in {line:?}"))
            .parse()
            .unwrap();
        Exporter { child, addr, stderr }
    }

    fn get(&self, target: &str) -> (u16, String) {
        get(self.addr, target)
    }
}

impl Drop for Exporter {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One GET: status code and body.
fn get(addr: SocketAddr, target: &str) -> (u16, String) {
    request(addr, &format!("GET {target} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n"))
}

fn request(addr: SocketAddr, raw: &str) -> (u16, String) {
    // Code 0: nothing listens (yet).
    let Ok(mut s) = TcpStream::connect(addr) else { return (0, String::new()) };
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s.write_all(raw.as_bytes()).unwrap();
    let mut all = String::new();
    s.read_to_string(&mut all).unwrap();
    let (head, body) = all.split_once("\r\n\r\n").unwrap_or((&all, ""));
    let code = head.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    (code, body.to_string())
}

/// The value of a series in metrics text (`name` with its labels, as written).
fn value(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("rtctool-exporter-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn config(password_file: &Path, alice: u16, rest: u16, broken: u16) -> String {
    format!(
        r#"
[exporter]
max_concurrent_probes = 4

[module.alice]
username = "alice"
password_file = "{}"
timeout = "1s"

[module.rest]
username = "probe"
auth_secret_env = "TEST_TURN_SECRET"
auth_ttl = "1h"

[module.quick]
timeout = "500ms"

[[target]]
url = "turn:127.0.0.1:{alice}"
module = "alice"
interval = "1s"

[[target]]
url = "turn:127.0.0.1:{rest}"
module = "rest"
interval = "1s"

[[target]]
url = "turn:127.0.0.1:{broken}"
module = "alice"
interval = "1s"
"#,
        password_file.display()
    )
}

struct Peers {
    alice: coturn::Coturn,
    rest: coturn::Coturn,
    broken: coturn::Coturn,
}

fn peers() -> Option<Peers> {
    let alice = coturn::loopback_relay("exporter-alice")?;
    let rest = coturn::loopback_relay_with(
        "exporter-rest",
        &["--use-auth-secret", "--static-auth-secret", REST_SECRET, "-r", "rtctool.test"],
    )?;
    let auth = ["-a", "-u", "alice:wonderland", "-r", "rtctool.test"];
    let broken = coturn::advertising("exporter-broken", "127.0.0.2", &auth)?;
    Some(Peers { alice, rest, broken })
}

#[test]
fn probes_coturn_and_refuses_bad_requests() {
    let Some(p) = peers() else { return };
    let d = dir("probes");
    let password_file = d.join("alice.pass");
    std::fs::write(&password_file, format!("{PASSWORD}\n")).unwrap();
    let text = config(&password_file, p.alice.port, p.rest.port, p.broken.port);
    let exporter = Exporter::start(&d, &text, &[("TEST_TURN_SECRET", REST_SECRET)]);
    let mut seen = String::new();

    // Long-term credentials: allocated, and the relay test passed.
    let url = format!("turn:127.0.0.1:{}", p.alice.port);
    let (code, body) = exporter.get(&format!("/probe?target={}&module=alice", encode(&url)));
    assert_eq!(code, 200, "{body}");
    assert_eq!(value(&body, "rtctool_probe_success"), Some(1.0), "{body}");
    assert_eq!(value(&body, "rtctool_turn_relay_test_success"), Some(1.0), "{body}");
    assert_eq!(value(&body, "rtctool_probe_error_code"), Some(0.0));
    for m in ["rtctool_stun_rtt_seconds", "rtctool_turn_allocate_seconds", "rtctool_turn_relay_rtt_seconds"] {
        assert!(value(&body, m).is_some_and(|v| v > 0.0 && v < 1.0), "{m}: {body}");
    }
    assert!(body.ends_with("# EOF\n"));
    seen += &body;

    // TURN REST credentials from a secret in the environment.
    let url = format!("turn:127.0.0.1:{}", p.rest.port);
    let (code, body) = exporter.get(&format!("/probe?target={}&module=rest", encode(&url)));
    assert_eq!((code, value(&body, "rtctool_probe_success")), (200, Some(1.0)), "{body}");
    seen += &body;

    // No module: the default one has no credentials; the server says 401.
    let (_, body) = exporter.get(&format!("/probe?target={}", encode(&url)));
    assert_eq!(value(&body, "rtctool_probe_success"), Some(0.0), "{body}");
    assert_eq!(value(&body, "rtctool_probe_error_code"), Some(401.0), "{body}");
    assert_eq!(value(&body, "rtctool_probe_failure_info{kind=\"no-credentials\"}"), Some(1.0), "{body}");

    // A relay that allocates but does not relay.
    let url = format!("turn:127.0.0.1:{}", p.broken.port);
    let (_, body) = exporter.get(&format!("/probe?target={}&module=alice&debug=true", encode(&url)));
    assert_eq!(value(&body, "rtctool_probe_success"), Some(0.0), "{body}");
    assert_eq!(value(&body, "rtctool_turn_relay_test_success"), Some(0.0), "{body}");
    assert_eq!(value(&body, "rtctool_probe_failure_info{kind=\"relay-broken\"}"), Some(1.0), "{body}");
    assert!(body.contains("relay test: ChannelBind"), "debug=true shows the steps: {body}");
    seen += &body;

    // A server that never answers: the probe ends at its module's timeout.
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let url = format!("stun:{}", silent.local_addr().unwrap());
    let started = Instant::now();
    let (_, body) = exporter.get(&format!("/probe?target={}&module=quick", encode(&url)));
    assert!(started.elapsed() < Duration::from_secs(5), "bounded: {:?}", started.elapsed());
    assert_eq!(value(&body, "rtctool_probe_error_code"), Some(701.0), "{body}");
    assert_eq!(value(&body, "rtctool_probe_failure_info{kind=\"timeout\"}"), Some(1.0), "{body}");
    let took = value(&body, "rtctool_probe_duration_seconds").unwrap();
    assert!((0.4..3.0).contains(&took), "{took}");

    // Bad requests: 400 with the reason, 404, 405; a password in a target is refused unseen.
    let bad = [
        ("/probe?module=alice", 400, "a target is needed"),
        ("/probe?target=turn:127.0.0.1&module=nosuch", 400, "no module \"nosuch\""),
        ("/probe?target=turnx:host", 400, "unknown scheme"),
        ("/probe?target=turn:alice:hunter2@127.0.0.1", 400, "credentials do not go in the target URL"),
        ("/probe?target=a&target=b", 400, "target given twice"),
        ("/nowhere", 404, "try /probe"),
    ];
    for (path, want, says) in bad {
        let (code, body) = exporter.get(path);
        assert_eq!(code, want, "{path}: {body}");
        assert!(body.contains(says), "{path}: {body}");
        assert!(!body.contains("hunter2"), "{body}");
        seen += &body;
    }
    let (code, _) = request(exporter.addr, "POST /probe HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
    assert_eq!(code, 405);
    let (code, _) = request(exporter.addr, "\x16\x03\x01 not http\r\n\r\n");
    assert_eq!(code, 400);

    // /metrics: the counters, and the background targets' latest results.
    let deadline = Instant::now() + Duration::from_secs(15);
    let metrics = loop {
        let (_, m) = exporter.get("/metrics");
        if m.matches("rtctool_probe_success{").count() == 3 || Instant::now() > deadline {
            break m;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let alice = format!("{{target=\"turn:127.0.0.1:{}\",module=\"alice\"}}", p.alice.port);
    let rest = format!("{{target=\"turn:127.0.0.1:{}\",module=\"rest\"}}", p.rest.port);
    let broken = format!("{{target=\"turn:127.0.0.1:{}\",module=\"alice\"}}", p.broken.port);
    assert_eq!(value(&metrics, &format!("rtctool_probe_success{alice}")), Some(1.0), "{metrics}");
    assert_eq!(value(&metrics, &format!("rtctool_probe_success{rest}")), Some(1.0), "{metrics}");
    assert_eq!(value(&metrics, &format!("rtctool_probe_success{broken}")), Some(0.0), "{metrics}");
    assert!(
        value(&metrics, "rtctool_exporter_probes_total{module=\"alice\",result=\"success\"}").unwrap() >= 1.0
    );
    assert!(
        value(&metrics, "rtctool_exporter_http_requests_total{code=\"400\"}").unwrap() >= 5.0,
        "{metrics}"
    );
    assert_eq!(value(&metrics, "rtctool_exporter_max_concurrent_probes"), Some(4.0));
    seen += &metrics;

    drop(exporter);
    seen += &std::fs::read_to_string(d.join("exporter.stderr")).unwrap();
    for secret in [PASSWORD, REST_SECRET, "hunter2"] {
        assert!(!seen.contains(secret), "{secret} leaked:\n{seen}");
    }
}

#[test]
fn bad_configuration_files_name_the_line() {
    let d = dir("config");
    let cases = [
        ("[module.a]\ntimeout = \"2s\"\nrelay_tset = true\n", "line 3"),
        ("[[target]]\nurl = \"turn:127.0.0.1\"\nmodule = \"missing\"\n", "line 3: no module \"missing\""),
        ("[module.a]\nusername = \"u\"\npassword_env = \"RTCTOOL_TEST_UNSET_VAR\"\n", "line 3"),
        ("[module.a]\nusername = \"u\"\npassword_file = \"/nonexistent/pass\"\n", "line 3"),
    ];
    for (text, says) in cases {
        let path = d.join("bad.toml");
        std::fs::write(&path, text).unwrap();
        let out = Command::new(BIN)
            .args(["exporter", "--listen", "127.0.0.1:0", "--config"])
            .arg(&path)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{text}: {stderr}");
        assert!(stderr.contains("bad.toml") && stderr.contains(says), "{text}: {stderr}");
    }
    let out = Command::new(BIN)
        .args(["exporter", "--listen", "127.0.0.1:0", "--config", "/nonexistent.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
}

/// Prometheus itself scrapes the exporter through the blackbox-style relabelling, and its
/// query API shows the healthy relay at 1 and the broken one at 0 with its error code.
#[test]
fn prometheus_scrapes_probe_results() {
    if !Path::new("/usr/bin/prometheus").exists() {
        assert!(std::env::var("CI").is_err(), "prometheus is not installed (apt-get install prometheus)");
        eprintln!("skipped: prometheus is not installed");
        return;
    }
    let Some(p) = peers() else { return };
    let d = dir("prometheus");
    let password_file = d.join("alice.pass");
    std::fs::write(&password_file, PASSWORD).unwrap();
    let text = config(&password_file, p.alice.port, p.rest.port, p.broken.port);
    let exporter = Exporter::start(&d, &text, &[("TEST_TURN_SECRET", REST_SECRET)]);
    let healthy = format!("turn:127.0.0.1:{}", p.alice.port);
    let broken = format!("turn:127.0.0.1:{}", p.broken.port);
    let web = UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let prom_config = format!(
        r#"
global:
  scrape_interval: 1s
  scrape_timeout: 900ms
scrape_configs:
  - job_name: rtctool_turn
    metrics_path: /probe
    params:
      module: [alice]
    static_configs:
      - targets: ["{healthy}", "{broken}"]
    relabel_configs:
      - source_labels: [__address__]
        target_label: __param_target
      - source_labels: [__param_target]
        target_label: instance
      - target_label: __address__
        replacement: {exporter}
  - job_name: rtctool_exporter
    static_configs:
      - targets: ["{exporter}"]
"#,
        exporter = exporter.addr
    );
    let prom_file = d.join("prometheus.yml");
    std::fs::write(&prom_file, prom_config).unwrap();
    let storage = d.join("tsdb");
    let mut prometheus = Command::new("/usr/bin/prometheus")
        .arg(format!("--config.file={}", prom_file.display()))
        .arg(format!("--storage.tsdb.path={}", storage.display()))
        .arg(format!("--web.listen-address={web}"))
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(d.join("prometheus.log")).unwrap())
        .spawn()
        .unwrap();
    struct Kill<'a>(&'a mut Child);
    impl Drop for Kill<'_> {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let _guard = Kill(&mut prometheus);

    let query = |q: &str| -> serde_json::Value {
        let (code, body) = get(web, &format!("/api/v1/query?query={}", encode(q)));
        if code != 200 {
            return serde_json::Value::Null;
        }
        serde_json::from_str(&body).unwrap_or(serde_json::Value::Null)
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    let results = loop {
        let r = query("rtctool_probe_success{job=\"rtctool_turn\"}");
        if r["data"]["result"].as_array().is_some_and(|a| a.len() == 2) {
            break r["data"]["result"].as_array().unwrap().clone();
        }
        assert!(
            Instant::now() < deadline,
            "Prometheus never got both targets: {r}\n{}",
            std::fs::read_to_string(d.join("prometheus.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(300));
    };
    let of = |instance: &str| -> String {
        results
            .iter()
            .find(|r| r["metric"]["instance"] == instance)
            .map(|r| r["value"][1].as_str().unwrap().to_string())
            .unwrap_or_else(|| panic!("no {instance}: {results:?}"))
    };
    assert_eq!(of(&healthy), "1");
    assert_eq!(of(&broken), "0");
    let codes = query("rtctool_probe_error_code{job=\"rtctool_turn\"}");
    let code_of = |instance: &str| {
        codes["data"]["result"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["metric"]["instance"] == instance)
            .unwrap()["value"][1]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(code_of(&healthy), "0");
    assert_eq!(code_of(&broken), "701", "relay broken: nothing came back");
    let kinds = query("rtctool_probe_failure_info{job=\"rtctool_turn\"}");
    assert_eq!(kinds["data"]["result"][0]["metric"]["kind"], "relay-broken", "{kinds}");
    // The exporter's own job is scraped too (on its own schedule: wait for it).
    let own = loop {
        let own = query("rtctool_exporter_max_concurrent_probes");
        if own["data"]["result"][0]["value"][1].is_string() || Instant::now() > deadline {
            break own;
        }
        std::thread::sleep(Duration::from_millis(300));
    };
    assert_eq!(own["data"]["result"][0]["value"][1], "4", "{own}");

    // Nothing Prometheus stored, nor anything the exporter said, holds a secret.
    let everything = query("{__name__=~\"rtctool_.+\"}").to_string();
    let mut stored = Vec::new();
    for entry in walk(&storage) {
        stored.extend(std::fs::read(entry).unwrap_or_default());
    }
    let stderr = std::fs::read_to_string(&exporter.stderr).unwrap_or_default();
    for secret in [PASSWORD, REST_SECRET] {
        assert!(!everything.contains(secret), "{secret} in Prometheus' series");
        assert!(!stored.windows(secret.len()).any(|w| w == secret.as_bytes()), "{secret} in the TSDB");
        assert!(!stderr.contains(secret), "{secret} in the exporter's log");
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// Probe slots are bounded: a scrape that gets none within its module's timeout is answered
/// 503 at once rather than queued behind the others.
#[test]
fn a_full_house_answers_503() {
    let d = dir("slots");
    let text = "[exporter]\nmax_concurrent_probes = 1\n\n[module.slow]\ntimeout = \"2s\"\n\n[module.quick]\ntimeout = \"300ms\"\n";
    let exporter = Exporter::start(&d, text, &[]);
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let url = encode(&format!("stun:{}", silent.local_addr().unwrap()));
    let addr = exporter.addr;
    let slow_url = url.clone();
    let holder = std::thread::spawn(move || get(addr, &format!("/probe?target={slow_url}&module=slow")));
    std::thread::sleep(Duration::from_millis(300));
    let started = Instant::now();
    let (code, body) = exporter.get(&format!("/probe?target={url}&module=quick"));
    assert_eq!(code, 503, "{body}");
    assert!(body.contains("every probe slot is busy (max_concurrent_probes = 1)"), "{body}");
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "refused after the module's timeout: {:?}",
        started.elapsed()
    );
    let (code, body) = holder.join().unwrap();
    assert_eq!(code, 200, "{body}");
    assert_eq!(value(&body, "rtctool_probe_failure_info{kind=\"timeout\"}"), Some(1.0), "{body}");
    let (_, metrics) = exporter.get("/metrics");
    assert_eq!(value(&metrics, "rtctool_exporter_probes_rejected_total"), Some(1.0), "{metrics}");
    assert_eq!(value(&metrics, "rtctool_exporter_probes_in_flight"), Some(0.0), "{metrics}");
}

/// The alert rule of the README, as written there, fires with the words it promises
/// (`promtool test rules`).
#[test]
fn the_readme_alert_rule_works() {
    if !Path::new("/usr/bin/promtool").exists() {
        assert!(std::env::var("CI").is_err(), "promtool is not installed (apt-get install prometheus)");
        eprintln!("skipped: promtool is not installed");
        return;
    }
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme.find("groups:\n  - name: turn").expect("the alert rule in the README");
    let rules = &readme[start..start + readme[start..].find("```").unwrap()];
    let d = dir("rules");
    std::fs::write(d.join("rules.yml"), rules).unwrap();
    let test = r#"
rule_files: [rules.yml]
evaluation_interval: 30s
tests:
  - interval: 30s
    input_series:
      - series: 'rtctool_probe_success{job="turn",instance="turn:turn1.example.org"}'
        values: '0x10'
      - series: 'rtctool_probe_failure_info{job="turn",instance="turn:turn1.example.org",kind="relay-broken"}'
        values: '1x10'
      - series: 'rtctool_probe_error_code{job="turn",instance="turn:turn1.example.org"}'
        values: '701x10'
      - series: 'rtctool_probe_success{job="turn",instance="turn:turn2.example.org"}'
        values: '1x10'
    alert_rule_test:
      - eval_time: 1m
        alertname: TurnRelayBroken
        exp_alerts: []
      - eval_time: 3m
        alertname: TurnRelayBroken
        exp_alerts:
          - exp_labels: {severity: page, job: turn, instance: "turn:turn1.example.org"}
            exp_annotations:
              summary: "TURN turn:turn1.example.org fails"
              description: "relay-broken (STUN code 701): relay-broken means allocations work but nothing relays, timeout that the server does not answer, auth that the credentials were refused."
"#;
    std::fs::write(d.join("rules_test.yml"), test).unwrap();
    let out = Command::new("/usr/bin/promtool")
        .args(["test", "rules", "rules_test.yml"])
        .current_dir(&d)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
