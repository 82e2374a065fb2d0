//! `rtctool signal serve` against the native client's exact requests, and against hostile
//! clients: it keeps serving, its memory stays bounded, and well-behaved peers lose nothing.

mod common {
    pub mod signal;
}

use std::io::{Read, Write};
use std::net::TcpStream;
use std::thread;
use std::time::{Duration, Instant};

use common::signal::{exchange, header, post, sign_in, split, wait, Server};

#[test]
fn the_native_clients_requests_get_the_native_servers_answers() {
    let s = Server::start(&[]);
    let (alice, body) = sign_in(s.addr, "alice");
    assert_eq!((alice, body.as_str()), (1, "alice,1,1\n"));

    // Alice parks her hanging GET; Bob signs in; Alice hears of him with Pragma = her own id.
    let addr = s.addr;
    let parked = thread::spawn(move || exchange(addr, b"GET /wait?peer_id=1 HTTP/1.0\r\n\r\n"));
    thread::sleep(Duration::from_millis(200));
    let r = exchange(s.addr, b"GET /sign_in?bob HTTP/1.0\r\n\r\n");
    let (status, headers, body) = split(&r);
    assert_eq!(status, "HTTP/1.1 200 Added");
    assert_eq!(body, b"bob,2,1\nalice,1,1\n", "the new member first");
    let names: Vec<&str> = headers.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        [
            "Server",
            "Cache-Control",
            "Connection",
            "Content-Type",
            "Content-Length",
            "Pragma",
            "Access-Control-Allow-Origin",
            "Access-Control-Allow-Credentials",
            "Access-Control-Allow-Methods",
            "Access-Control-Allow-Headers",
            "Access-Control-Expose-Headers"
        ],
        "the native server's headers, in its case and order"
    );
    assert_eq!(header(&headers, "Connection"), Some("close"));
    assert_eq!(header(&headers, "Content-Length"), Some("18"));
    assert_eq!(header(&headers, "Pragma"), Some("2"));
    let (_, headers, body) = split(&parked.join().unwrap());
    assert_eq!((header(&headers, "Pragma"), body.as_slice()), (Some("1"), &b"bob,2,1\n"[..]));

    // Bob posts to Alice: 200 with an empty body for him; Alice's next GET has it verbatim with
    // Pragma = Bob and Bob's Content-Type.
    let offer = "{\n   \"sdp\" : \"v=0\\r\\n\",\n   \"type\" : \"offer\"\n}\n";
    let req = format!(
        "POST /message?peer_id=2&to=1 HTTP/1.0\r\nContent-Length: {}\r\nContent-Type: text/plain\r\n\r\n{offer}",
        offer.len()
    );
    let (status, headers, body) = split(&exchange(s.addr, req.as_bytes()));
    assert_eq!(
        (status.as_str(), header(&headers, "Content-Length"), body.len()),
        ("HTTP/1.1 200 OK", Some("0"), 0)
    );
    let r = exchange(s.addr, b"GET /wait?peer_id=1 HTTP/1.0\r\n\r\n");
    let (_, headers, body) = split(&r);
    assert_eq!(header(&headers, "Pragma"), Some("2"));
    assert_eq!(header(&headers, "Content-Type"), Some("text/plain"));
    assert_eq!(String::from_utf8(body).unwrap(), offer);

    // To oneself: echoed straight back. To nobody: 500 'Peer most likely gone.'.
    let (status, body) = post(s.addr, 1, 1, "me");
    assert_eq!((status.as_str(), body.as_slice()), ("HTTP/1.1 200 OK", &b"me"[..]));
    let (status, body) = post(s.addr, 1, 99, "x");
    assert_eq!((status.as_str(), body.as_slice()), ("HTTP/1.1 500 Error", &b"Peer most likely gone."[..]));

    // OPTIONS (a browser's preflight) and /quit.
    let (status, headers, _) = split(&exchange(s.addr, b"OPTIONS /message HTTP/1.1\r\nHost: x\r\n\r\n"));
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert_eq!(header(&headers, "Access-Control-Allow-Origin"), Some("*"));
    assert_eq!(header(&headers, "Content-Type"), None);
    let (status, _, _) = split(&exchange(s.addr, b"GET /quit HTTP/1.0\r\n\r\n"));
    assert_eq!(status, "HTTP/1.1 403 Forbidden");

    // Sign-out: 200, and the others hear name,id,0.
    let (status, _, _) = split(&exchange(s.addr, b"GET /sign_out?peer_id=2 HTTP/1.0\r\n\r\n"));
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert_eq!(wait(s.addr, 1), (1, "bob,2,0\n".to_owned()));
    // Ids are never reused; an empty name becomes peer_<id>; commas become _.
    assert_eq!(sign_in(s.addr, "").1.lines().next(), Some("peer_3,3,1"));
    assert_eq!(sign_in(s.addr, "a,b").1.lines().next(), Some("a_b,4,1"));
    // The server still answers after all that.
    let (status, _, _) = split(&exchange(s.addr, b"GET /wait?peer_id=77 HTTP/1.0\r\n\r\n"));
    assert_eq!(status, "HTTP/1.1 500 Error");
}

#[test]
fn a_member_without_a_hanging_get_for_30_s_is_dropped_and_announced() {
    let s = Server::start(&[]);
    let (alice, _) = sign_in(s.addr, "alice");
    let (bob, _) = sign_in(s.addr, "bob");
    // Alice keeps a GET parked (re-issuing it as each answer comes); Bob goes silent.
    let addr = s.addr;
    let t0 = Instant::now();
    let watcher = thread::spawn(move || loop {
        let (pragma, body) = wait(addr, alice);
        if pragma == alice && body == format!("bob,{bob},0\n") {
            return t0.elapsed();
        }
        assert!(t0.elapsed() < Duration::from_secs(60), "bob was never dropped");
    });
    let after = watcher.join().unwrap();
    assert!(after >= Duration::from_secs(29), "dropped after {after:?}");
    let (status, body) = post(s.addr, alice, bob, "still there?");
    assert_eq!((status.as_str(), body.as_slice()), ("HTTP/1.1 500 Error", &b"Peer most likely gone."[..]));
}

#[test]
fn hostile_clients_are_bounded_and_well_behaved_peers_lose_nothing() {
    let s = Server::start(&["--request-timeout", "1s", "--max-body", "4096", "--max-queued", "16"]);
    let (alice, _) = sign_in(s.addr, "alice");
    let (bob, _) = sign_in(s.addr, "bob");
    let (mallory, _) = sign_in(s.addr, "mallory");

    // Garbage, and a TLS ClientHello on the plain port.
    let (status, _, _) = split(&exchange(s.addr, b"\x00\x01\x02 nonsense\r\n\r\n"));
    assert_eq!(status, "HTTP/1.1 400 Bad Request");
    let (status, _, _) = split(&exchange(s.addr, b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n"));
    assert_eq!(status, "HTTP/1.1 400 Bad Request");
    // A head that never ends is cut at 8 KiB.
    let mut big = b"GET /sign_in?".to_vec();
    big.extend(std::iter::repeat_n(b'a', 20_000));
    let (status, _, _) = split(&exchange(s.addr, &big));
    assert_eq!(status, "HTTP/1.1 431 Request Header Fields Too Large");
    // An oversized body is refused from its Content-Length, before any of it is sent.
    let (status, _, _) = split(&exchange(
        s.addr,
        b"POST /message?peer_id=1&to=2 HTTP/1.0\r\nContent-Length: 100000000\r\nContent-Type: text/plain\r\n\r\n",
    ));
    assert_eq!(status, "HTTP/1.1 413 Payload Too Large");
    let (status, _, _) = split(&exchange(
        s.addr,
        b"POST /message?peer_id=1&to=2 HTTP/1.0\r\nContent-Type: text/plain\r\n\r\n",
    ));
    assert_eq!(status, "HTTP/1.1 411 Length Required");

    // Half requests that never finish: answered 408 after --request-timeout, while others are served.
    let mut slow: Vec<TcpStream> = (0..50)
        .map(|_| {
            let mut c = TcpStream::connect(s.addr).unwrap();
            c.write_all(b"GET /sign_in?slo").unwrap();
            c
        })
        .collect();
    let (carol, _) = sign_in(s.addr, "carol");
    assert!(carol > mallory);
    thread::sleep(Duration::from_millis(1500));
    for c in &mut slow {
        c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut out = Vec::new();
        let _ = c.read_to_end(&mut out);
        assert!(out.starts_with(b"HTTP/1.1 408 Request Timeout"), "{:?}", String::from_utf8_lossy(&out));
    }

    // 1,000 connections at once, each a hanging GET for a fresh member: all parked.
    let many: Vec<(u32, TcpStream)> = (0..1000)
        .map(|i| {
            let (id, _) = sign_in(s.addr, &format!("crowd{i}"));
            let mut c = TcpStream::connect(s.addr).unwrap();
            c.write_all(format!("GET /wait?peer_id={id} HTTP/1.0\r\n\r\n").as_bytes()).unwrap();
            (id, c)
        })
        .collect();

    // A flood from mallory to alice: the queue fills, then mallory is told 503, nothing is
    // dropped silently, and bob's messages to alice still go through once she reads.
    let mut refused = 0;
    for i in 0..200 {
        let (status, _) = post(s.addr, mallory, alice, &format!("flood {i}"));
        match status.as_str() {
            "HTTP/1.1 200 OK" => {}
            "HTTP/1.1 503 Service Unavailable" => refused += 1,
            other => panic!("{other}"),
        }
    }
    assert!(refused >= 150, "{refused} refused of 200 with a queue of 16");
    // Alice reads until she has read the 16 queued flood messages and the crowd's arrivals.
    let mut floods = 0;
    let t0 = Instant::now();
    while floods < 16 {
        let (pragma, body) = wait(s.addr, alice);
        if pragma == mallory {
            assert!(body.starts_with("flood "));
            floods += 1;
        }
        assert!(t0.elapsed() < Duration::from_secs(60));
    }
    let (status, _) = post(s.addr, bob, alice, "hello alice");
    assert_eq!(status, "HTTP/1.1 200 OK");
    let got = loop {
        let (pragma, body) = wait(s.addr, alice);
        if pragma == bob {
            break body;
        }
        assert!(t0.elapsed() < Duration::from_secs(60));
    };
    assert_eq!(got, "hello alice");
    // The crowd's GETs are still parked and get answered by a message.
    let (id0, mut c0) = many.into_iter().next().unwrap();
    let (status, _) = post(s.addr, bob, id0, "to the crowd");
    assert_eq!(status, "HTTP/1.1 200 OK");
    c0.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut out = Vec::new();
    let _ = c0.read_to_end(&mut out);
    let (_, headers, body) = split(&out);
    // Its first answer may be an arrival announced after it parked; either way it is served.
    assert!(header(&headers, "Pragma").is_some() && !body.is_empty());

    let (peak_kb, _) = s.rss_kb();
    assert!(peak_kb < 64 * 1024, "peak RSS {peak_kb} kB");
}

#[test]
fn past_max_connections_new_connections_get_503_and_the_server_recovers() {
    let s = Server::start(&["--max-connections", "20"]);
    let held: Vec<TcpStream> = (0..20)
        .map(|_| {
            let mut c = TcpStream::connect(s.addr).unwrap();
            c.write_all(b"GET /sign").unwrap();
            c
        })
        .collect();
    thread::sleep(Duration::from_millis(200));
    let (status, _, _) = split(&exchange(s.addr, b"GET /sign_in?late HTTP/1.0\r\n\r\n"));
    assert_eq!(status, "HTTP/1.1 503 Service Unavailable");
    drop(held);
    thread::sleep(Duration::from_millis(300));
    assert_eq!(sign_in(s.addr, "late").1.lines().next().map(|l| l.starts_with("late,")), Some(true));
}
