//! `rtctool call` against a real browser: headless Chromium (Debian's) running the page that
//! `rtctool signal serve` serves, in both directions and so in both DTLS roles.
//!
//! Chromium gathers no host candidates on loopback interfaces, so each test builds two network
//! namespaces joined by a veth pair with documentation addresses: 192.0.2.1 holds the server
//! and rtctool, 192.0.2.2 the browser. Needs root and chromium; skips with the reason off CI,
//! fails on CI (`CI=true`).

use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

mod common {
    pub mod signal;
}
use common::signal::{report, BIN};
const SERVER_IP: &str = "192.0.2.1";
const BROWSER_IP: &str = "192.0.2.2";

fn available(test: &str) -> bool {
    let root = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("Uid:")).map(|l| l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false);
    let have = |p: &str| {
        Command::new("sh").arg("-c").arg(format!("command -v {p}")).output().is_ok_and(|o| o.status.success())
    };
    let problem = if !root {
        Some("browser tests need root (network namespaces)".to_owned())
    } else if !have("chromium") || !have("ip") {
        Some("browser tests need chromium and ip (apt-get install -y chromium iproute2)".to_owned())
    } else {
        None
    };
    match problem {
        None => true,
        Some(why) if std::env::var("CI").is_ok_and(|v| v == "true") => panic!("{test}: CI=true but {why}"),
        Some(why) => {
            eprintln!("skipping {test}: {why}");
            false
        }
    }
}

fn ip(args: &[&str]) {
    let out = Command::new("ip").args(args).output().expect("running ip");
    assert!(out.status.success(), "ip {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// Two namespaces on a veth pair; deleted when dropped.
struct Net {
    server: String,
    browser: String,
}

static N: AtomicU32 = AtomicU32::new(0);

impl Net {
    fn up() -> Net {
        let tag = format!("{}{}", std::process::id() % 100_000, N.fetch_add(1, Ordering::Relaxed));
        let net = Net { server: format!("rbs{tag}"), browser: format!("rbb{tag}") };
        let (vs, vb) = (format!("vs{tag}"), format!("vb{tag}"));
        ip(&["netns", "add", &net.server]);
        ip(&["netns", "add", &net.browser]);
        ip(&["link", "add", &vs, "type", "veth", "peer", "name", &vb]);
        ip(&["link", "set", &vs, "netns", &net.server]);
        ip(&["link", "set", &vb, "netns", &net.browser]);
        for (ns, dev, addr, via) in
            [(&net.server, &vs, SERVER_IP, BROWSER_IP), (&net.browser, &vb, BROWSER_IP, SERVER_IP)]
        {
            ip(&["-n", ns, "addr", "add", &format!("{addr}/24"), "dev", dev]);
            ip(&["-n", ns, "link", "set", dev, "up"]);
            ip(&["-n", ns, "link", "set", "lo", "up"]);
            // A default route inside the lab only: browsers look for one to pick their address.
            ip(&["-n", ns, "route", "add", "default", "via", via]);
        }
        net
    }

    fn run(&self, ns: &str, program: &str, args: &[&str]) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", ns, program]).args(args);
        c
    }
}

impl Drop for Net {
    fn drop(&mut self) {
        for ns in [&self.server, &self.browser] {
            let _ = Command::new("ip").args(["netns", "del", ns]).output();
        }
    }
}

/// A child killed (with its namespace's process) when dropped.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_server(net: &Net) -> Killed {
    let server = net
        .run(&net.server, BIN, &["-q", "signal", "serve", "--listen", &format!("{SERVER_IP}:8888")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting signal serve");
    // Wait until it answers.
    let t0 = Instant::now();
    loop {
        let probe = net
            .run(&net.browser, "bash", &["-c", &format!("exec 3<>/dev/tcp/{SERVER_IP}/8888 && printf 'OPTIONS / HTTP/1.0\\r\\n\\r\\n' >&3 && head -c 12 <&3")])
            .output()
            .unwrap();
        if String::from_utf8_lossy(&probe.stdout).starts_with("HTTP/1.1 200") {
            break;
        }
        assert!(t0.elapsed() < Duration::from_secs(10), "signal serve did not come up");
        std::thread::sleep(Duration::from_millis(100));
    }
    Killed(server)
}

fn start_browser(net: &Net, query: &str, profile: &std::path::Path) -> Killed {
    let origin = format!("http://{SERVER_IP}:8888");
    let child = net
        .run(
            &net.browser,
            "chromium",
            &[
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
                "--autoplay-policy=no-user-gesture-required",
                // getUserMedia needs a secure context; granting it also unhides host addresses.
                &format!("--unsafely-treat-insecure-origin-as-secure={origin}"),
                // The page's console (its log) and Chromium's own errors, for a failure's message.
                "--enable-logging=stderr",
                &format!("--user-data-dir={}", profile.display()),
                &format!("{origin}/?{query}"),
            ],
        )
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(profile.join("chromium.log")).expect("creating chromium.log"))
        .spawn()
        .expect("starting chromium");
    Killed(child)
}

fn rtctool_call(net: &Net, args: &[&str]) -> Output {
    let url = format!("http://{SERVER_IP}:8888");
    let mut all =
        vec!["--json", "call", "--signal", &url, "--bind", SERVER_IP, "--duration", "3s", "--timeout", "40s"];
    all.extend_from_slice(args);
    net.run(&net.server, BIN, &all).output().expect("running rtctool call")
}

/// What both directions must show: connected, the browser decoded our video, we received its
/// audio and video, and the data channel's messages came back.
fn assert_browser_call(r: &Value, dtls_role: &str) {
    assert_eq!(r["connected"], true, "{r:#}");
    assert_eq!(r["dtls_role"], dtls_role, "{r:#}");
    let page = &r["remote_report"];
    assert_eq!(page["connected"], true, "the page's own report: {r:#}");
    assert!(page["user_agent"].as_str().unwrap_or_default().contains("Chrome"), "{page:#}");
    let inbound = page["inbound"].as_array().expect("page inbound stats");
    let video = inbound.iter().find(|s| s["kind"] == "video").expect("the browser received video");
    assert!(
        video["frames_decoded"].as_u64().unwrap_or(0) > 10,
        "the browser decodes rtctool's video: {video:#}"
    );
    let audio = inbound.iter().find(|s| s["kind"] == "audio").expect("the browser received audio");
    assert!(audio["packets_received"].as_u64().unwrap_or(0) > 50, "{audio:#}");
    for kind in ["audio", "video"] {
        let rx = r["media"]["streams"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["stream"] == format!("remote→local {kind}"))
            .unwrap_or_else(|| panic!("no browser {kind}: {r:#}"));
        assert!(rx["packets_received"].as_u64().unwrap() > 20, "{rx:#}");
    }
    assert!(r["checks"].as_array().unwrap().iter().all(|c| c["ok"] == true), "{r:#}");
    // The pair: ours, and the browser's end (from our statistics, or its report when webrtc-rs
    // filed its address as peer-reflexive under another id).
    let pair = &r["selected_pair"];
    assert_eq!(pair["local"]["address"], SERVER_IP, "{r:#}");
    assert!(pair["remote"]["port"].as_u64().is_some(), "{r:#}");
}

#[test]
fn a_browser_calls_rtctool_which_answers_as_dtls_client() {
    if !available("a_browser_calls_rtctool_which_answers_as_dtls_client") {
        return;
    }
    let net = Net::up();
    let _server = start_server(&net);
    let profile = tempdir("rtctool-chromium-a");
    let callee = std::thread::scope(|s| {
        let callee = s.spawn(|| rtctool_call(&net, &["--wait", "--name", "rt"]));
        std::thread::sleep(Duration::from_millis(500));
        let _browser = start_browser(&net, "name=web&call=rt&duration=3", &profile);
        callee.join().unwrap()
    });
    let r = report(&callee);
    assert_eq!(callee.status.code(), Some(0), "{r:#}\n{}", browser_log(&profile));
    assert_eq!(r["role"], "callee");
    assert_eq!(r["peer"]["name"], "web");
    assert_browser_call(&r, "client");
    // The page pinged; rtctool echoed every message unchanged.
    let dc = &r["remote_report"]["data_channel"];
    assert!(dc["pings_sent"].as_u64().unwrap() > 10 && dc["echoes"].as_u64().unwrap() > 10, "{dc:#}");
    assert!(
        r["data_channel"]["messages_received"].as_u64().unwrap() >= dc["echoes"].as_u64().unwrap(),
        "{r:#}"
    );
    // A failed test leaves the profile (and chromium.log) behind to look at.
    let _ = std::fs::remove_dir_all(&profile);
}

#[test]
fn rtctool_calls_a_waiting_browser_and_serves_its_dtls_handshake() {
    if !available("rtctool_calls_a_waiting_browser_and_serves_its_dtls_handshake") {
        return;
    }
    let net = Net::up();
    let _server = start_server(&net);
    let profile = tempdir("rtctool-chromium-b");
    let _browser = start_browser(&net, "name=web&wait=1", &profile);
    let caller = rtctool_call(&net, &["--to", "web", "--name", "rt"]);
    let r = report(&caller);
    assert_eq!(caller.status.code(), Some(0), "{r:#}\n{}", browser_log(&profile));
    assert_eq!(r["role"], "caller");
    // Chromium answers a=setup:active: it sends the (fragmented, post-quantum) ClientHello.
    assert_browser_call(&r, "server");
    let dc = &r["data_channel"];
    assert!(dc["messages_sent"].as_u64().unwrap() > 10, "{dc:#}");
    assert_eq!(dc["messages_received"], dc["messages_sent"], "the page echoed every ping: {dc:#}");
    assert_eq!(dc["corrupted"], 0);
    drop(_browser);
    let _ = std::fs::remove_dir_all(&profile);
}

/// The end of what Chromium printed (the page's log lines among it), for a failure's message.
fn browser_log(profile: &std::path::Path) -> String {
    let log = std::fs::read_to_string(profile.join("chromium.log")).unwrap_or_default();
    let lines: Vec<&str> = log.lines().collect();
    let tail = lines[lines.len().saturating_sub(60)..].join("\n");
    format!("--- the last lines chromium printed ---\n{tail}")
}

fn tempdir(prefix: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "{prefix}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
