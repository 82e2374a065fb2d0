//! The NAT lab for integration tests: network namespaces built by `natlab.sh`, torn down by a
//! Drop guard, each with a unique name so tests can run in parallel.
//!
//! Lab tests need root. Without it they skip with a printed reason, except in CI (`CI=true`),
//! where they must run and fail if they cannot.

#![allow(dead_code)] // each test binary uses its own part of this module

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/lab/natlab.sh")
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("Uid:")).map(|l| l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}

fn have(program: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {program}"))
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Whether the lab can run here; prints why not. Panics in CI when it cannot.
pub fn available(test: &str) -> bool {
    let missing: Vec<&str> =
        ["ip", "nft", "turnserver", "turnutils_natdiscovery"].into_iter().filter(|p| !have(p)).collect();
    let problem = if !cfg!(target_os = "linux") {
        Some("the NAT lab needs Linux network namespaces".to_string())
    } else if !is_root() {
        Some("the NAT lab needs root (network namespaces, nftables)".to_string())
    } else if !missing.is_empty() {
        Some(format!("missing {} (apt-get install -y coturn nftables iproute2)", missing.join(", ")))
    } else {
        None
    };
    match problem {
        None => true,
        Some(why) if in_ci() => panic!("{test}: CI=true but {why}"),
        Some(why) => {
            eprintln!("skipping {test}: {why}");
            false
        }
    }
}

/// A running lab; dropped, it is torn down (namespaces deleted, coturn killed).
pub struct Lab {
    pub name: String,
    pub variant: String,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

impl Lab {
    /// Build a lab of this variant (see `natlab.sh variants`), with extra `up` arguments
    /// (`--no-rfc5780`).
    pub fn up_with(variant: &str, extra: &[&str]) -> Lab {
        let name = format!("rt{}x{}", std::process::id() % 100_000, COUNTER.fetch_add(1, Ordering::Relaxed));
        // The guard exists before the script runs, so a half-built lab is torn down too.
        let lab = Lab { name, variant: variant.to_string() };
        let out = Command::new("bash")
            .arg(script())
            .args(["up", &lab.name, variant])
            .args(extra)
            .output()
            .expect("running natlab.sh");
        assert!(
            out.status.success(),
            "natlab.sh up {} {variant} failed:\n{}{}",
            lab.name,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        lab
    }

    /// Build a lab of this variant.
    pub fn up(variant: &str) -> Lab {
        Lab::up_with(variant, &[])
    }

    /// Run a program in the client namespace.
    pub fn client(&self, program: &str, args: &[&str]) -> Output {
        Command::new("ip")
            .args(["netns", "exec", &format!("{}-c", self.name), program])
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("running {program} in {}-c: {e}", self.name))
    }

    /// Run a program in the router namespace.
    pub fn router(&self, program: &str, args: &[&str]) -> Output {
        Command::new("ip")
            .args(["netns", "exec", &format!("{}-r", self.name), program])
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("running {program} in {}-r: {e}", self.name))
    }

    /// Run a program in the server namespace.
    #[allow(dead_code)] // not every lab test crate uses it
    pub fn server(&self, program: &str, args: &[&str]) -> Output {
        Command::new("ip")
            .args(["netns", "exec", &format!("{}-s", self.name), program])
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("running {program} in {}-s: {e}", self.name))
    }

    /// Start a program in the server namespace, in the background (the caller kills it).
    #[allow(dead_code)]
    pub fn spawn_server(&self, program: &str, args: &[&str]) -> std::process::Child {
        Command::new("ip")
            .args(["netns", "exec", &format!("{}-s", self.name), program])
            .args(args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {program} in {}-s: {e}", self.name))
    }

    /// Run `turnutils_natdiscovery -m -f SERVER` in the client namespace and read its verdict.
    pub fn natdiscovery(&self, server: &str) -> NatDiscoveryVerdict {
        let out = self.client("turnutils_natdiscovery", &["-m", "-f", server]);
        NatDiscoveryVerdict::parse(&String::from_utf8_lossy(&out.stdout))
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        let _ = Command::new("bash").arg(script()).args(["down", &self.name]).output();
    }
}

/// What coturn's natdiscovery concluded, in rtctool's vocabulary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NatDiscoveryVerdict {
    pub mapping: Option<&'static str>,
    pub filtering: Option<&'static str>,
    pub output: String,
}

impl NatDiscoveryVerdict {
    pub fn parse(text: &str) -> Self {
        let behaviour = |kind: &str| {
            // Checked longest first: "Address and Port Dependent" contains "Dependent".
            for (phrase, value) in [
                ("Address and Port Dependent", "address-and-port-dependent"),
                ("Address Dependent", "address-dependent"),
                ("Endpoint Independent", "endpoint-independent"),
            ] {
                if text.lines().any(|l| l.contains(&format!("{phrase} {kind}"))) {
                    return Some(value);
                }
            }
            None
        };
        NatDiscoveryVerdict {
            mapping: behaviour("Mapping"),
            filtering: behaviour("Filtering"),
            output: text.to_string(),
        }
    }
}
