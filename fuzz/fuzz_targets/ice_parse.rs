//! The small grammars rtctool reads from users and peers, on arbitrary bytes (as lossy UTF-8):
//! ICE candidate lines (`a=candidate:`, the browser's JSON `candidate` string), ICE server URLs
//! (RFC 7064/7065 and the bare `HOST[:PORT]` forms), and HTTP/1.x request and response heads
//! of the signalling server and client. What parses prints back to text that parses to the
//! same value (a URL's password is printed as `***`, so only its presence survives).

#![no_main]

use libfuzzer_sys::fuzz_target;
use rtctool::core::http::{parse_request, parse_response};
use rtctool::core::ice::url::parse_server;
use rtctool::core::ice::{Candidate, IceUrl, Scheme};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);

    if let Ok(c) = Candidate::parse(&text) {
        let again = Candidate::parse(&c.to_string()).expect("a candidate's own text parses");
        assert_eq!(again, c);
        let _ = (c.protocol(), c.ip());
    }

    if let Ok(url) = IceUrl::parse(&text) {
        let again = IceUrl::parse(&url.to_string()).expect("a URL's own text parses");
        let fields = |u: &IceUrl| (u.scheme, u.host.clone(), u.port, u.transport, u.username.clone());
        assert_eq!(fields(&again), fields(&url));
        assert_eq!(again.password.is_some(), url.password.is_some());
    }
    for scheme in [Scheme::Stun, Scheme::Turn] {
        let _ = parse_server(&text, scheme).map(|u| u.to_string());
    }

    if let Ok(Some(head)) = parse_request(data) {
        let _ = format!("{head:?}");
    }
    let _ = parse_response(data).map(|r| format!("{r:?}"));
});
