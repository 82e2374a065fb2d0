//! `rtctool nat-type` in a NAT lab of network namespaces (client / router with nftables /
//! server running coturn with RFC 5780 on two addresses), on every lab type, with the verdict
//! compared to coturn's own `turnutils_natdiscovery`.
//!
//! Needs root; skips with a reason otherwise, unless CI=true (then it fails).

mod lab;

use std::time::{Duration, Instant};

use lab::Lab;
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_rtctool");
const SERVER4: &str = "203.0.113.10";
const SERVER6: &str = "2001:db8:2::10";

struct Run {
    json: Value,
    code: i32,
    stderr: String,
    wall: Duration,
}

fn nat_type(lab: &Lab, args: &[&str]) -> Run {
    let mut all = vec!["--json", "nat-type"];
    all.extend_from_slice(args);
    let started = Instant::now();
    let out = lab.client(BIN, &all);
    let wall = started.elapsed();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let json = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!("not JSON ({e}):\n{stdout}\nstderr:\n{}", String::from_utf8_lossy(&out.stderr))
    });
    Run {
        json,
        code: out.status.code().unwrap_or(-1),
        stderr: String::from_utf8_lossy(&out.stderr).into(),
        wall,
    }
}

/// Run rtctool (and natdiscovery, for IPv4) in a fresh lab and check the verdict.
fn check(variant: &str, ipv6: bool, nat: &str, mapping: Option<&str>, filtering: Option<&str>, code: i32) {
    let test = format!("{variant}{}", if ipv6 { " (IPv6)" } else { "" });
    if !lab::available(&test) {
        return;
    }
    let lab = Lab::up(variant);
    let server = if ipv6 { SERVER6 } else { SERVER4 };
    let family = if ipv6 { "-6" } else { "-4" };
    let run = nat_type(&lab, &[server, family]);
    let j = &run.json;
    let s = |v: &Value| v.as_str().map(str::to_owned);
    assert_eq!(s(&j["nat_type"]).as_deref(), Some(nat), "{test}: {j:#}");
    assert_eq!(s(&j["mapping"]).as_deref(), mapping, "{test}: {j:#}");
    assert_eq!(s(&j["filtering"]).as_deref(), filtering, "{test}: {j:#}");
    assert_eq!(run.code, code, "{test}: exit code; stderr: {}", run.stderr);
    eprintln!("{test}: {nat} in {} ms (wall {} ms)", j["done_ms"], run.wall.as_millis());

    if nat == "udp-blocked" {
        assert_eq!(j["mapped_address"], Value::Null);
        assert!(s(&j["reason"]).unwrap_or_default().contains("no answer"), "{j:#}");
    } else {
        assert_eq!(j["rfc5780_supported"], true, "{test}");
        assert_eq!(j["other_address"], if ipv6 { "[2001:db8:2::11]:3479" } else { "203.0.113.11:3479" });
        let behind_nat = !matches!(nat, "open-internet" | "symmetric-udp-firewall");
        assert_eq!(j["behind_nat"], behind_nat, "{test}");
        let mapped = s(&j["mapped_address"]).unwrap_or_default();
        let public = match (behind_nat, ipv6) {
            (true, false) => "203.0.113.1:",
            (true, true) => "[2001:db8:2::1]:",
            (false, false) => "203.0.113.130:",
            (false, true) => "[2001:db8:3::2]:",
        };
        assert!(mapped.starts_with(public), "{test}: mapped {mapped}");
        assert_eq!(j["alg_detected"], false);
    }

    // coturn's natdiscovery must agree (it cannot tell "no NAT" from a NAT, and gives no verdict
    // at all when UDP is blocked: both are what rtctool's mapping and filtering say there).
    let nd = lab.natdiscovery(server);
    assert_eq!(nd.mapping, mapping, "{test}: natdiscovery's mapping differs:\n{}", nd.output);
    assert_eq!(nd.filtering, filtering, "{test}: natdiscovery's filtering differs:\n{}", nd.output);
}

#[test]
fn open_internet() {
    check("open", false, "open-internet", Some("endpoint-independent"), Some("endpoint-independent"), 0);
}

#[test]
fn symmetric_udp_firewall() {
    check(
        "firewall",
        false,
        "symmetric-udp-firewall",
        Some("endpoint-independent"),
        Some("address-and-port-dependent"),
        0,
    );
}

#[test]
fn full_cone() {
    check("full-cone", false, "full-cone", Some("endpoint-independent"), Some("endpoint-independent"), 0);
}

#[test]
fn restricted_cone() {
    check(
        "restricted-cone",
        false,
        "restricted-cone",
        Some("endpoint-independent"),
        Some("address-dependent"),
        0,
    );
}

#[test]
fn port_restricted_cone() {
    check(
        "port-restricted",
        false,
        "port-restricted-cone",
        Some("endpoint-independent"),
        Some("address-and-port-dependent"),
        0,
    );
}

#[test]
fn symmetric() {
    check(
        "symmetric",
        false,
        "symmetric",
        Some("address-and-port-dependent"),
        Some("address-and-port-dependent"),
        0,
    );
}

#[test]
fn udp_blocked() {
    check("blocked", false, "udp-blocked", None, None, 1);
}

#[test]
fn ipv6_open_internet() {
    check("open", true, "open-internet", Some("endpoint-independent"), Some("endpoint-independent"), 0);
}

#[test]
fn ipv6_port_restricted_cone() {
    check(
        "port-restricted",
        true,
        "port-restricted-cone",
        Some("endpoint-independent"),
        Some("address-and-port-dependent"),
        0,
    );
}

#[test]
fn ipv6_symmetric() {
    check(
        "symmetric",
        true,
        "symmetric",
        Some("address-and-port-dependent"),
        Some("address-and-port-dependent"),
        0,
    );
}

#[test]
fn hairpinning() {
    if !lab::available("hairpinning") {
        return;
    }
    for (variant, expected) in [("full-cone", true), ("port-restricted", false)] {
        let lab = Lab::up(variant);
        let run = nat_type(&lab, &[SERVER4, "--hairpin"]);
        assert_eq!(run.json["hairpinning"], expected, "{variant}: {:#}", run.json);
        let test = run.json["tests"].as_array().unwrap().iter().find(|t| t["name"] == "hairpin").cloned();
        let test = test.expect("a hairpin test in the report");
        assert_eq!(test["destination"], run.json["mapped_address"]);
    }
}

#[test]
fn tcp_mapping_behaviour() {
    if !lab::available("tcp mapping") {
        return;
    }
    // (variant, TCP mapping, behind a NAT): plain snat keeps the port for every destination,
    // snat random picks one per connection; with UDP blocked TCP still tells its mapping.
    for (variant, mapping, behind_nat) in [
        ("port-restricted", "endpoint-independent", true),
        ("symmetric", "address-and-port-dependent", true),
        ("open", "endpoint-independent", false),
        ("blocked", "endpoint-independent", true),
    ] {
        let lab = Lab::up(variant);
        let run = nat_type(&lab, &[SERVER4, "-4", "--tcp"]);
        let tcp = &run.json["tcp"];
        assert_eq!(tcp["mapping"], mapping, "{variant}: {tcp:#}");
        assert_eq!(tcp["behind_nat"], behind_nat, "{variant}: {tcp:#}");
        let tests = tcp["tests"].as_array().expect("tcp tests");
        let expected_tests = if mapping == "endpoint-independent" { 2 } else { 3 };
        assert_eq!(tests.len(), expected_tests, "{variant}: {tcp:#}");
        // Every connection left from the same local port.
        let port =
            |t: &Value| t["local_address"].as_str().and_then(|a| a.rsplit(':').next()).map(str::to_owned);
        assert!(tests.iter().all(|t| port(t) == port(&tests[0]) && t["outcome"] == "answered"), "{tcp:#}");
        assert_eq!(tests[1]["destination"], "203.0.113.11:3478");
        // The UDP verdict is unchanged by --tcp.
        let udp_blocked = variant == "blocked";
        assert_eq!(run.json["nat_type"] == "udp-blocked", udp_blocked, "{:#}", run.json);
        assert_eq!(run.code, if udp_blocked { 1 } else { 0 });
    }
}

#[test]
fn server_not_listening_is_a_network_error_and_quick() {
    if !lab::available("server not listening") {
        return;
    }
    let lab = Lab::up("port-restricted");
    // Nothing listens on 3999: the server's host answers ICMP port unreachable.
    let run = nat_type(&lab, &["203.0.113.10:3999"]);
    assert_eq!(run.code, 4, "{:#}\n{}", run.json, run.stderr);
    assert_eq!(run.json["server_unreachable"], true);
    assert_eq!(run.json["nat_type"], "unknown");
    assert!(run.stderr.contains("unreachable"), "{}", run.stderr);
    assert!(run.wall < Duration::from_millis(800), "ICMP should end it at once: {:?}", run.wall);
}

#[test]
fn without_rfc5780_a_second_server_decides_the_mapping() {
    if !lab::available("without RFC 5780") {
        return;
    }
    // coturn without RFC 5780: no OTHER-ADDRESS. The second address stands in for a second,
    // plain STUN server.
    let lab = Lab::up_with("port-restricted", &["--no-rfc5780"]);
    let run = nat_type(&lab, &[SERVER4, "--server2", "203.0.113.11"]);
    let j = &run.json;
    assert_eq!(j["rfc5780_supported"], false, "{j:#}");
    assert_eq!(j["mapping"], "endpoint-independent", "{j:#}");
    assert_eq!(j["filtering"], Value::Null);
    assert_eq!(j["nat_type"], "unknown");
    assert!(j["reason"].as_str().unwrap_or("").contains("filtering is unknown"), "{j:#}");
    assert_eq!(run.code, 1);
    drop(lab);

    let lab = Lab::up_with("symmetric", &["--no-rfc5780"]);
    let run = nat_type(&lab, &[SERVER4, "--server2", "203.0.113.11"]);
    assert_eq!(run.json["nat_type"], "symmetric", "{:#}", run.json);
    assert_eq!(run.json["mapping"], Value::Null);
    assert_eq!(run.code, 0);
    drop(lab);

    // and without a second server, it says plainly what it cannot know
    let lab = Lab::up_with("port-restricted", &["--no-rfc5780"]);
    let out = lab.client(BIN, &["nat-type", SERVER4]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("does not support RFC 5780"), "{text}");
    assert!(text.contains("RFC 5780: no"), "{text}");
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn human_and_ndjson_output() {
    if !lab::available("human and ndjson output") {
        return;
    }
    let lab = Lab::up("port-restricted");
    let out = lab.client(BIN, &["nat-type", SERVER4]);
    let text = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "NAT type   port-restricted cone NAT",
        "mapping    endpoint-independent",
        "filtering  address-and-port-dependent",
        "WebRTC",
        "OTHER-ADDRESS 203.0.113.11:3479",
        "behind a NAT",
        "[change ip+port]",
        "no answer after 3 transmissions",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
    assert!(out.stderr.is_empty(), "nothing on stderr when it is not a terminal");

    let out = lab.client(BIN, &["--ndjson", "nat-type", SERVER4]);
    let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    assert!(lines.len() >= 8, "{lines:#?}");
    let last = lines.last().unwrap();
    assert_eq!(last["event"], "result");
    assert_eq!(last["nat_type"], "port-restricted-cone");
    assert!(lines[..lines.len() - 1].iter().all(|l| l["event"] == "test" && l["name"].is_string()));
}

#[test]
fn binding_lifetime() {
    if !lab::available("binding lifetime") {
        return;
    }
    let lab = Lab::up("port-restricted");
    // The router forgets idle UDP flows after 3 s.
    let out = lab.router(
        "sysctl",
        &[
            "-qw",
            "net.netfilter.nf_conntrack_udp_timeout=3",
            "net.netfilter.nf_conntrack_udp_timeout_stream=3",
        ],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let run = nat_type(&lab, &[SERVER4, "--lifetime=20s"]);
    let l = &run.json["binding_lifetime"];
    assert_eq!(l["error"], Value::Null, "{l:#}");
    let (lo, hi) = (l["at_least_s"].as_f64().unwrap(), l["less_than_s"].as_f64().unwrap());
    assert!(lo <= 3.0 && 3.0 <= hi + 0.5 && hi - lo <= 1.0, "bracket [{lo}, {hi}] for a 3 s timeout: {l:#}");
    // the verdict is still there
    assert_eq!(run.json["nat_type"], "port-restricted-cone");
    assert_eq!(run.code, 0);
    // grew 1, 2, 4 s then bisected: well under the 20 s maximum
    assert!(run.wall < Duration::from_secs(15), "{:?}", run.wall);
}

#[test]
fn an_interrupted_lifetime_still_reports() {
    if !lab::available("binding lifetime, interrupted") {
        return;
    }
    let lab = Lab::up("port-restricted");
    let child = std::process::Command::new("ip")
        .args([
            "netns",
            "exec",
            &format!("{}-c", lab.name),
            BIN,
            "--json",
            "nat-type",
            SERVER4,
            "--lifetime=120s",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_secs(4));
    let kill = std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(kill.success());
    let out = child.wait_with_output().unwrap();
    let j: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
    });
    assert_eq!(out.status.code(), Some(0), "the verdict was reached before Ctrl-C: {j:#}");
    assert_eq!(j["nat_type"], "port-restricted-cone", "{j:#}");
    let l = &j["binding_lifetime"];
    assert!(l["error"].as_str().unwrap().starts_with("interrupted (Ctrl-C)"), "{l:#}");
    assert!(l["done_s"].as_f64().unwrap() < 30.0, "{l:#}");
}
