//! A real coturn for tests: started on loopback addresses with the test's own arguments,
//! ready when it answers, killed (and its temp dir removed) on drop. Shared by the test
//! crates that need a STUN/TURN server (`mod common;` with `#[path]` is not needed: each test
//! crate declares `mod common { pub mod coturn; }`).

use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running turnserver.
pub struct Coturn {
    child: Child,
    /// Its listening port (tests pick related ports from it).
    pub port: u16,
    /// Its temp dir (logs, pid file; certificates may be put there).
    pub dir: PathBuf,
}

impl Drop for Coturn {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Whether turnserver is installed. Without it a test skips with a printed reason on a
/// developer's machine, and fails in CI (CI=true), where scripts/test.sh installs it.
pub fn available() -> bool {
    let have =
        Command::new("sh").args(["-c", "command -v turnserver"]).output().is_ok_and(|o| o.status.success());
    if !have {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("CI=true but turnserver is missing (apt-get install -y coturn)");
        }
        eprintln!("skipping: turnserver (coturn) is not installed");
    }
    have
}

/// The temp dir a server for `name` on `port` uses (created).
pub fn dir_for(name: &str, port: u16) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rtctool-{name}-{}-{port}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Start turnserver with `args` (everything but logging) and wait until it answers a Binding
/// request on every address of `udp_ready` and accepts TCP on every address of `tcp_ready`.
pub fn start(
    port: u16,
    dir: PathBuf,
    args: &[String],
    udp_ready: &[SocketAddr],
    tcp_ready: &[SocketAddr],
) -> Coturn {
    let child = Command::new("turnserver")
        .args(args)
        .args(["--simple-log", "--no-stdout-log", "--log-file"])
        .arg(dir.join("turnserver.log"))
        .arg("--pidfile")
        .arg(dir.join("turnserver.pid"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting turnserver");
    let server = Coturn { child, port, dir };
    let request = [0, 1, 0, 0, 0x21, 0x12, 0xa4, 0x42, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
    let deadline = Instant::now() + Duration::from_secs(10);
    for addr in udp_ready {
        let probe = UdpSocket::bind(if addr.is_ipv6() { "[::1]:0" } else { "127.0.0.1:0" }).unwrap();
        probe.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
        loop {
            assert!(Instant::now() < deadline, "coturn did not answer on {addr}");
            let _ = probe.send_to(&request, addr);
            if probe.recv_from(&mut [0u8; 512]).is_ok() {
                break;
            }
        }
    }
    for addr in tcp_ready {
        while TcpStream::connect(addr).is_err() {
            assert!(Instant::now() < deadline, "coturn does not take TCP on {addr}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    server
}

/// Owned strings from literals, for `start`'s arguments.
pub fn args<I: IntoIterator<Item = S>, S: Into<String>>(items: I) -> Vec<String> {
    items.into_iter().map(Into::into).collect()
}

/// coturn on 127.0.0.1 at a free port, relaying to loopback peers, with the long-term
/// credential alice:wonderland in realm rtctool.test; None (the test skips) without coturn.
#[allow(dead_code)] // not every test crate that includes this module starts a relay
pub fn loopback_relay(name: &str) -> Option<Coturn> {
    loopback_relay_with(name, &["-a", "-u", "alice:wonderland", "-r", "rtctool.test"])
}

/// The same relay with other authentication arguments (TURN REST secrets, say).
#[allow(dead_code)]
pub fn loopback_relay_with(name: &str, auth: &[&str]) -> Option<Coturn> {
    loopback(name, &["--no-tcp"], auth, false)
}

/// The same relay taking TCP too (`?transport=tcp`), with these credentials.
#[allow(dead_code)]
pub fn loopback_relay_tcp(name: &str, auth: &[&str]) -> Option<Coturn> {
    loopback(name, &[], auth, true)
}

/// coturn on 127.0.0.1 that advertises another relayed address (`advertised`) than it relays
/// from (`--external-ip`, as a server behind NAT set up wrongly would): every Allocate
/// succeeds, and nothing sent to the relayed address comes back. `auth`: its credentials.
#[allow(dead_code)]
pub fn advertising(name: &str, advertised: &str, auth: &[&str]) -> Option<Coturn> {
    let external = format!("{advertised}/127.0.0.1");
    loopback(name, &["--no-tcp", "--external-ip", &external], auth, false)
}

/// coturn on 127.0.0.1 at a free port relaying to loopback peers, with `extra` and `auth`
/// arguments; ready on UDP (and TCP when `tcp`).
fn loopback(name: &str, extra: &[&str], auth: &[&str], tcp: bool) -> Option<Coturn> {
    if !available() {
        return None;
    }
    let port = UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let dir = dir_for(name, port);
    let mut args = args([
        "-n",
        "--listening-ip",
        "127.0.0.1",
        "--relay-ip",
        "127.0.0.1",
        "--listening-port",
        &port.to_string(),
        "--allow-loopback-peers",
        "--no-tls",
        "--no-dtls",
        "--no-cli",
        "--no-tcp-relay",
    ]);
    args.extend(extra.iter().chain(auth).map(|a| a.to_string()));
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let tcp_ready: &[SocketAddr] = if tcp { &[addr] } else { &[] };
    Some(start(port, dir, &args, &[addr], tcp_ready))
}
