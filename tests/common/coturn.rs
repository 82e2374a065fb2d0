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
    loopback_with(name, extra, auth, tcp, None)
}

/// [`loopback`], with TLS on the port after the listening port when `tls` gives certificates.
fn loopback_with(
    name: &str,
    extra: &[&str],
    auth: &[&str],
    tcp: bool,
    tls: Option<&Certs>,
) -> Option<Coturn> {
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
        "--no-dtls",
        "--no-cli",
        "--no-tcp-relay",
    ]);
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let mut ready: Vec<SocketAddr> = if tcp { vec![addr] } else { Vec::new() };
    match tls {
        None => args.push("--no-tls".into()),
        Some(c) => {
            let tls_port = (port + 1).to_string();
            args.extend(["--tls-listening-port", &tls_port, "--cert"].map(String::from));
            args.push(c.cert.display().to_string());
            args.push("--pkey".into());
            args.push(c.key.display().to_string());
            ready.push(([127, 0, 0, 1], port + 1).into());
        }
    }
    args.extend(extra.iter().chain(auth).map(|a| a.to_string()));
    Some(start(port, dir, &args, &[addr], &ready))
}

/// A test CA and a server certificate it signed, for 127.0.0.1 and localhost (not ::1).
#[allow(dead_code)]
pub struct Certs {
    /// The CA certificate (PEM), for --ca-file.
    pub ca: std::path::PathBuf,
    /// The server's certificate.
    pub cert: std::path::PathBuf,
    /// The server's key.
    pub key: std::path::PathBuf,
}

#[allow(dead_code)]
pub fn make_certs(dir: &std::path::Path) -> Option<Certs> {
    let have = std::process::Command::new("sh")
        .args(["-c", "command -v openssl"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !have {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("CI=true but openssl is missing (apt-get install -y openssl)");
        }
        eprintln!("skipping: openssl is not installed");
        return None;
    }
    std::fs::create_dir_all(dir).unwrap();
    let ext = dir.join("ext.cnf");
    std::fs::write(
        &ext,
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    let script = "set -e
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key -out ca.pem \
            -days 2 -subj /CN=rtctool-test-ca 2>/dev/null
        openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout server.key -out server.csr \
            -subj /CN=localhost 2>/dev/null
        openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 \
            -extfile ext.cnf 2>/dev/null";
    let out = std::process::Command::new("sh").arg("-c").arg(script).current_dir(dir).output().unwrap();
    assert!(out.status.success(), "openssl: {}", String::from_utf8_lossy(&out.stderr));
    Some(Certs { ca: dir.join("ca.pem"), cert: dir.join("server.pem"), key: dir.join("server.key") })
}

/// coturn on 127.0.0.1 relaying to loopback peers, UDP and TCP on a free port and TLS on the
/// port after it, with `auth`; ready when it answers UDP and takes TCP and TLS connections.
#[allow(dead_code)]
pub fn loopback_relay_tls(name: &str, certs: &Certs, auth: &[&str]) -> Option<Coturn> {
    loopback_with(name, &[], auth, true, Some(certs))
}
