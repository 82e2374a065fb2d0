//! Load for `rtctool signal serve`, as native clients make it: PEERS members sign in, each
//! keeps a hanging GET parked and re-issues it after every answer; then PAIRS of them post
//! messages to each other as fast as they are answered, for SECONDS.
//!
//!   cargo run --release --example signal_load -- 127.0.0.1:8888 [PEERS] [PAIRS] [SECONDS] [SETTLE]
//!
//! Prints the sign-in phase (time, answers the hanging GETs took: every member is told of
//! every later one, so n sign-ins make n(n-1)/2 announcements with this protocol, whatever the
//! server; the tool waits for them 10 s at most), then messages relayed per second and their
//! delivery latency, while any announcements left keep the hanging GETs busy. The server's memory
//! is read by the script that runs this (scripts/bench-signal.sh), from /proc.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;

async fn exchange(addr: SocketAddr, request: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut s = TcpStream::connect(addr).await?;
    s.set_nodelay(true)?;
    s.write_all(request).await?;
    let mut out = Vec::with_capacity(512);
    s.read_to_end(&mut out).await?;
    Ok(out)
}

fn pragma(r: &[u8]) -> Option<u32> {
    let text = std::str::from_utf8(r).ok()?;
    let at = text.find("\r\nPragma: ")? + 10;
    text[at..].split("\r\n").next()?.parse().ok()
}

fn body(r: &[u8]) -> &[u8] {
    r.windows(4).position(|w| w == b"\r\n\r\n").map_or(&[][..], |p| &r[p + 4..])
}

struct Stats {
    answers: AtomicU64,
    messages: AtomicU64,
    latency_us: AtomicU64,
    stop: AtomicBool,
}

/// A member's hanging GET, re-issued after each answer until `stop`.
async fn hang(addr: SocketAddr, id: u32, stats: Arc<Stats>) {
    let req = format!("GET /wait?peer_id={id} HTTP/1.0\r\n\r\n");
    while !stats.stop.load(Ordering::Relaxed) {
        match exchange(addr, req.as_bytes()).await {
            Ok(r) if r.starts_with(b"HTTP/1.1 200") => {
                stats.answers.fetch_add(1, Ordering::Relaxed);
                if pragma(&r) != Some(id) {
                    // A message: its body is the send time in µs since the epoch of the run.
                    let b = body(&r);
                    if let Some(sent) = std::str::from_utf8(b).ok().and_then(|t| t.parse::<u64>().ok()) {
                        let now = EPOCH.get().map_or(0, |e| e.elapsed().as_micros() as u64);
                        stats.latency_us.fetch_add(now.saturating_sub(sent), Ordering::Relaxed);
                        stats.messages.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            Ok(_) => return,
            Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
}

static EPOCH: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let addr: SocketAddr = args.get(1).map_or("127.0.0.1:8888", String::as_str).parse().expect("ADDR:PORT");
    let peers: u32 = args.get(2).map_or(Ok(10_000), |s| s.parse()).expect("PEERS");
    let pairs: u32 = args.get(3).map_or(Ok(100), |s| s.parse()).expect("PAIRS");
    let seconds: u64 = args.get(4).map_or(Ok(10), |s| s.parse()).expect("SECONDS");
    let settle: u64 = args.get(5).map_or(Ok(120), |s| s.parse()).expect("SETTLE");
    let epoch = *EPOCH.get_or_init(Instant::now);
    let stats = Arc::new(Stats {
        answers: AtomicU64::new(0),
        messages: AtomicU64::new(0),
        latency_us: AtomicU64::new(0),
        stop: AtomicBool::new(false),
    });

    // Sign-ins, 64 at a time, each member then keeps its GET parked.
    let t0 = Instant::now();
    let gate = Arc::new(Semaphore::new(64));
    let mut signing = Vec::with_capacity(peers as usize);
    for i in 0..peers {
        let gate = gate.clone();
        let stats = stats.clone();
        signing.push(tokio::spawn(async move {
            let permit = gate.acquire_owned().await.ok()?;
            let r = exchange(addr, format!("GET /sign_in?load{i} HTTP/1.0\r\n\r\n").as_bytes()).await;
            drop(permit);
            let id = r.ok().and_then(|r| pragma(&r))?;
            Some((id, tokio::spawn(hang(addr, id, stats))))
        }));
    }
    let mut ids = Vec::with_capacity(peers as usize);
    let mut tasks = Vec::new();
    for s in signing {
        if let Ok(Some((id, task))) = s.await {
            ids.push(id);
            tasks.push(task);
        }
    }
    ids.sort_unstable();
    let signed_in = t0.elapsed();
    println!(
        "sign-in: {} of {peers} members signed in in {:.2} s, each with a hanging GET",
        ids.len(),
        signed_in.as_secs_f64()
    );
    // Every member is told of every later one: n(n-1)/2 answers. Wait for them, SETTLE s at most.
    let n = ids.len() as u64;
    let want = n * n.saturating_sub(1) / 2;
    let deadline = Instant::now() + Duration::from_secs(settle);
    while stats.answers.load(Ordering::Relaxed) < want && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let elapsed = t0.elapsed();
    let answers = stats.answers.load(Ordering::Relaxed);
    println!(
        "announcements: {answers} of {want} delivered in {:.1} s from the first sign-in ({:.0} hanging-GET answers/s)",
        elapsed.as_secs_f64(),
        answers as f64 / elapsed.as_secs_f64()
    );
    if answers < want {
        // Messages queue behind the announcements a member has not read yet (order is kept),
        // so they would measure the backlog, not the relay.
        println!("messages: not measured: {} announcements still to deliver", want - answers);
        stats.stop.store(true, Ordering::Relaxed);
        return;
    }

    // Messages: pairs post to each other back to back.
    let start_answers = stats.answers.load(Ordering::Relaxed);
    let t1 = Instant::now();
    let end = t1 + Duration::from_secs(seconds);
    let mut senders = Vec::new();
    for p in 0..pairs.min(ids.len() as u32 / 2) {
        let (a, b) = (ids[(2 * p) as usize], ids[(2 * p + 1) as usize]);
        for (from, to) in [(a, b), (b, a)] {
            senders.push(tokio::spawn(async move {
                let mut sent = 0u64;
                while Instant::now() < end {
                    let stamp = epoch.elapsed().as_micros().to_string();
                    let req = format!(
                        "POST /message?peer_id={from}&to={to} HTTP/1.0\r\nContent-Length: {}\r\nContent-Type: text/plain\r\n\r\n{stamp}",
                        stamp.len()
                    );
                    match exchange(addr, req.as_bytes()).await {
                        Ok(r) if r.starts_with(b"HTTP/1.1 200") => sent += 1,
                        Ok(_) => tokio::time::sleep(Duration::from_millis(1)).await,
                        Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
                    }
                }
                sent
            }));
        }
    }
    let mut sent = 0;
    for s in senders {
        sent += s.await.unwrap_or(0);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let secs = t1.elapsed().as_secs_f64() - 0.5;
    let delivered = stats.messages.load(Ordering::Relaxed);
    let latency = stats.latency_us.load(Ordering::Relaxed) as f64 / delivered.max(1) as f64 / 1000.0;
    println!(
        "messages: {sent} posted, {delivered} delivered in {secs:.1} s: {:.0} relayed/s, mean delivery {latency:.2} ms ({} answers)",
        delivered as f64 / secs,
        stats.answers.load(Ordering::Relaxed) - start_answers
    );
    stats.stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.abort();
    }
}
