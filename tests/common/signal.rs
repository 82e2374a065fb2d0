//! A `rtctool signal serve` on 127.0.0.1 for a test, and raw HTTP exchanges with it.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub const BIN: &str = env!("CARGO_BIN_EXE_rtctool");

/// A running server, stopped when dropped.
pub struct Server {
    pub child: Child,
    pub addr: SocketAddr,
    /// What it logged after the listening line, as a thread drained it.
    pub log: std::sync::Arc<std::sync::Mutex<String>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Start `rtctool signal serve --listen 127.0.0.1:0 EXTRA...` and wait for its address.
    // The child goes into the returned Server, whose Drop kills and waits for it.
    #[allow(clippy::zombie_processes)]
    pub fn start(extra: &[&str]) -> Server {
        let mut child = Command::new(BIN)
            .args(["signal", "serve", "--listen", "127.0.0.1:0"])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starting rtctool signal serve");
        let mut stderr = BufReader::new(child.stderr.take().expect("stderr"));
        let mut line = String::new();
        loop {
            line.clear();
            if stderr.read_line(&mut line).unwrap_or(0) == 0 {
                let status = child.wait();
                panic!("signal serve ended before listening: {status:?}");
            }
            if let Some(rest) = line.split("listening on http://").nth(1) {
                let addr = rest.split('/').next().unwrap().parse().expect("address");
                let log = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
                let sink = log.clone();
                std::thread::spawn(move || {
                    let mut line = String::new();
                    while stderr.read_line(&mut line).unwrap_or(0) > 0 {
                        sink.lock().unwrap().push_str(&line);
                        line.clear();
                    }
                });
                return Server { child, addr, log };
            }
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Peak and current resident memory, kB.
    pub fn rss_kb(&self) -> (u64, u64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
                .unwrap_or(0)
        };
        (field("VmHWM:"), field("VmRSS:"))
    }
}

/// Send `request` on a new connection and read until the server closes it.
pub fn exchange(addr: SocketAddr, request: &[u8]) -> Vec<u8> {
    let mut s = TcpStream::connect(addr).expect("connecting");
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    s.write_all(request).expect("sending");
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    out
}

/// A response split into (status line, headers in order, body).
pub fn split(response: &[u8]) -> (String, Vec<(String, String)>, Vec<u8>) {
    let text = response;
    let end = text
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no end of head in {:?}", String::from_utf8_lossy(response)));
    let head = std::str::from_utf8(&text[..end]).expect("UTF-8 head");
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap().to_owned();
    let headers = lines
        .map(|l| {
            let (k, v) = l.split_once(": ").expect("Name: value");
            (k.to_owned(), v.to_owned())
        })
        .collect();
    (status, headers, text[end + 4..].to_vec())
}

pub fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// `GET /sign_in?NAME` as the native client sends it: (id, body).
pub fn sign_in(addr: SocketAddr, name: &str) -> (u32, String) {
    let r = exchange(addr, format!("GET /sign_in?{name} HTTP/1.0\r\n\r\n").as_bytes());
    assert!(!r.is_empty(), "signing in {name}: the server closed without an answer");
    let (status, headers, body) = split(&r);
    assert_eq!(status, "HTTP/1.1 200 Added");
    (header(&headers, "Pragma").unwrap().parse().unwrap(), String::from_utf8(body).unwrap())
}

/// The native client's POST.
pub fn post(addr: SocketAddr, from: u32, to: u32, body: &str) -> (String, Vec<u8>) {
    let req = format!(
        "POST /message?peer_id={from}&to={to} HTTP/1.0\r\nContent-Length: {}\r\nContent-Type: text/plain\r\n\r\n{body}",
        body.len()
    );
    let (status, _, body) = split(&exchange(addr, req.as_bytes()));
    (status, body)
}

/// The native client's hanging GET: (Pragma, body).
pub fn wait(addr: SocketAddr, id: u32) -> (u32, String) {
    let r = exchange(addr, format!("GET /wait?peer_id={id} HTTP/1.0\r\n\r\n").as_bytes());
    let (status, headers, body) = split(&r);
    assert_eq!(status, "HTTP/1.1 200 OK", "{}", String::from_utf8_lossy(&r));
    (header(&headers, "Pragma").unwrap().parse().unwrap(), String::from_utf8(body).unwrap())
}

/// A command's JSON report on stdout, or a panic that shows what it printed.
pub fn report(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}):\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}
