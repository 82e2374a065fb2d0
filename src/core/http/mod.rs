//! The small HTTP/1.x pieces that `signal serve` and `call` share: a bounded request-head
//! reader over `httparse`, the response layout of libwebrtc's peerconnection server, and a
//! response reader that finds headers the way the native client does.
//!
//! The native peerconnection programs match header names case-sensitively (`Content-Length: `,
//! `Pragma: `), so what we write keeps their exact case and order, and what we read from a
//! server is looked up the same way (a server that lowercases its headers would not work with
//! the native client either, and `call` says so rather than guess).

use std::fmt::Write as _;

/// Most headers a request may carry.
pub const MAX_HEADERS: usize = 32;

/// The cross-origin headers every response carries, as the native server writes them, so that
/// a page from any origin can sign in, wait and post.
pub const CORS_HEADERS: &str = "Access-Control-Allow-Origin: *\r\n\
Access-Control-Allow-Credentials: true\r\n\
Access-Control-Allow-Methods: POST, GET, OPTIONS\r\n\
Access-Control-Allow-Headers: Content-Type, Content-Length, Connection, Cache-Control\r\n\
Access-Control-Expose-Headers: Content-Length\r\n";

/// A request method the server knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// GET.
    Get,
    /// POST.
    Post,
    /// OPTIONS (a browser's CORS preflight).
    Options,
    /// Anything else (answered with an error).
    Other,
}

/// A parsed request line and the headers the server uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestHead {
    /// The method.
    pub method: Method,
    /// The request target as sent: `/sign_in?alice`.
    pub target: String,
    /// `Content-Length`, when given.
    pub content_length: Option<usize>,
    /// `Content-Type`, when given (kept verbatim: it is forwarded to the other peer).
    pub content_type: Option<String>,
    /// Bytes of the head, blank line included; the body starts here.
    pub head_len: usize,
}

impl RequestHead {
    /// The path without the query: `/sign_in`.
    pub fn path(&self) -> &str {
        self.target.split_once('?').map_or(self.target.as_str(), |(p, _)| p)
    }

    /// The raw query string after `?` (not decoded): `alice` in `/sign_in?alice`.
    pub fn query(&self) -> &str {
        self.target.split_once('?').map_or("", |(_, q)| q)
    }

    /// A numeric query parameter, read as the native server does: the digits right after
    /// `name=` where `name` starts the query or follows `&`.
    pub fn param_u32(&self, name: &str) -> Option<u32> {
        self.query().split('&').find_map(|kv| {
            let v = kv.strip_prefix(name)?.strip_prefix('=')?;
            let digits: &str = &v[..v.bytes().take_while(u8::is_ascii_digit).count()];
            digits.parse().ok()
        })
    }
}

/// Why a request could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeadError {
    /// Not HTTP/1.x (httparse's reason).
    Malformed(String),
    /// More than [`MAX_HEADERS`] headers.
    TooManyHeaders,
    /// A `Content-Length` that is not a number.
    BadContentLength,
}

impl std::fmt::Display for HeadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HeadError::Malformed(why) => write!(f, "not an HTTP/1.x request ({why})"),
            HeadError::TooManyHeaders => write!(f, "more than {MAX_HEADERS} headers"),
            HeadError::BadContentLength => f.write_str("a Content-Length that is not a number"),
        }
    }
}

/// Parse a request head from the start of `buf`: `Ok(None)` while it is incomplete.
pub fn parse_request(buf: &[u8]) -> Result<Option<RequestHead>, HeadError> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    let head_len = match req.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(httparse::Error::TooManyHeaders) => return Err(HeadError::TooManyHeaders),
        Err(e) => return Err(HeadError::Malformed(e.to_string())),
    };
    let method = match req.method.unwrap_or_default() {
        "GET" => Method::Get,
        "POST" => Method::Post,
        "OPTIONS" => Method::Options,
        _ => Method::Other,
    };
    let mut content_length = None;
    let mut content_type = None;
    for h in req.headers.iter() {
        if h.name.eq_ignore_ascii_case("content-length") {
            let text = std::str::from_utf8(h.value).map_err(|_| HeadError::BadContentLength)?;
            content_length = Some(text.trim().parse().map_err(|_| HeadError::BadContentLength)?);
        } else if h.name.eq_ignore_ascii_case("content-type") {
            content_type = Some(String::from_utf8_lossy(h.value).trim().to_owned());
        }
    }
    Ok(Some(RequestHead {
        method,
        target: req.path.unwrap_or("/").to_owned(),
        content_length,
        content_type,
        head_len,
    }))
}

/// The value of header `name` (any case) in the complete request head at the start of `buf`,
/// for the rare header a server needs beside those [`RequestHead`] keeps.
pub fn request_header<'a>(buf: &'a [u8], name: &str) -> Option<&'a str> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    req.parse(buf).ok()?;
    let h = req.headers.iter().find(|h| h.name.eq_ignore_ascii_case(name))?;
    std::str::from_utf8(h.value).ok().map(str::trim)
}

/// A response in the native server's layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// Status code and reason: `200 OK`, `200 Added`, `500 Error`.
    pub status: String,
    /// `Content-Type`, left out when empty (as the native server does for OPTIONS).
    pub content_type: String,
    /// The `Pragma: <id>` header: the sender of a message, or the waiter itself.
    pub pragma: Option<u32>,
    /// The body.
    pub body: Vec<u8>,
}

impl Response {
    /// A response with a text/plain body and no Pragma.
    pub fn text(status: &str, body: impl Into<Vec<u8>>) -> Self {
        Response {
            status: status.to_owned(),
            content_type: "text/plain".into(),
            pragma: None,
            body: body.into(),
        }
    }

    /// The bytes on the wire: `HTTP/1.1 <status>`, `Server`, `Cache-Control`, `Connection:
    /// close`, `Content-Type` (when set), `Content-Length`, `Pragma` (when set), the CORS
    /// headers, a blank line and the body.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut head = String::with_capacity(400);
        let _ = write!(
            head,
            "HTTP/1.1 {}\r\nServer: rtctool/{}\r\nCache-Control: no-cache\r\nConnection: close\r\n",
            self.status,
            env!("CARGO_PKG_VERSION")
        );
        if !self.content_type.is_empty() {
            let _ = write!(head, "Content-Type: {}\r\n", self.content_type);
        }
        let _ = write!(head, "Content-Length: {}\r\n", self.body.len());
        if let Some(id) = self.pragma {
            let _ = write!(head, "Pragma: {id}\r\n");
        }
        head.push_str(CORS_HEADERS);
        head.push_str("\r\n");
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(&self.body);
        bytes
    }
}

/// A response read by a client, headers found as the native client finds them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedResponse {
    /// The status code.
    pub status: u16,
    /// The status line after the code: `OK`, `Added`.
    pub reason: String,
    /// `Pragma: <n>`.
    pub pragma: Option<u32>,
    /// `Content-Type: ...`.
    pub content_type: Option<String>,
    /// The body, `Content-Length` bytes of it.
    pub body: Vec<u8>,
}

/// Why a response could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResponseError {
    /// The head has not ended yet, or the body is shorter than `Content-Length`.
    Incomplete,
    /// Not an HTTP/1.x response.
    Malformed(String),
    /// No `Content-Length: ` (in that case) in the head.
    NoContentLength,
}

impl std::fmt::Display for ResponseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ResponseError::Incomplete => f.write_str("the response ended early"),
            ResponseError::Malformed(why) => write!(f, "not an HTTP/1.x response ({why})"),
            ResponseError::NoContentLength => f.write_str(
                "the response has no 'Content-Length: ' header in that case (the peerconnection \
                 protocol needs it)",
            ),
        }
    }
}

/// Read a whole response from `buf`: the head, then `Content-Length` bytes of body. Headers
/// are matched case-sensitively, as libwebrtc's peerconnection_client does.
pub fn parse_response(buf: &[u8]) -> Result<ReceivedResponse, ResponseError> {
    let Some(eoh) = find(buf, b"\r\n\r\n") else { return Err(ResponseError::Incomplete) };
    let head = std::str::from_utf8(&buf[..eoh]).map_err(|_| ResponseError::Malformed("not UTF-8".into()))?;
    let status_line = head.split("\r\n").next().unwrap_or_default();
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    if !version.starts_with("HTTP/1.") {
        return Err(ResponseError::Malformed(format!("status line {status_line:?}")));
    }
    let status: u16 = parts
        .next()
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| ResponseError::Malformed(format!("status line {status_line:?}")))?;
    let reason = parts.next().unwrap_or_default().to_owned();
    // The native client looks for "\r\nName: " inside the head.
    let header = |name: &str| -> Option<&str> {
        let pattern = format!("\r\n{name}: ");
        let at = head.find(&pattern)? + pattern.len();
        let rest = &head[at..];
        Some(rest.split("\r\n").next().unwrap_or(rest))
    };
    let length: usize = header("Content-Length")
        .ok_or(ResponseError::NoContentLength)?
        .trim()
        .parse()
        .map_err(|_| ResponseError::Malformed("Content-Length is not a number".into()))?;
    let body_start = eoh + 4;
    if buf.len() < body_start + length {
        return Err(ResponseError::Incomplete);
    }
    let leading_digits = |v: &str| -> Option<u32> {
        let v = v.trim_start();
        v[..v.bytes().take_while(u8::is_ascii_digit).count()].parse().ok()
    };
    Ok(ReceivedResponse {
        status,
        reason,
        pragma: header("Pragma").and_then(leading_digits),
        content_type: header("Content-Type").map(str::to_owned),
        body: buf[body_start..body_start + length].to_vec(),
    })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn native_client_requests_parse() {
        let r = parse_request(b"GET /sign_in?alice HTTP/1.0\r\n\r\n").unwrap().unwrap();
        assert_eq!((r.method, r.path(), r.query()), (Method::Get, "/sign_in", "alice"));
        assert_eq!(r.head_len, 31);
        let post = b"POST /message?peer_id=3&to=12 HTTP/1.0\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello";
        let r = parse_request(post).unwrap().unwrap();
        assert_eq!(r.method, Method::Post);
        assert_eq!(r.param_u32("peer_id"), Some(3));
        assert_eq!(r.param_u32("to"), Some(12));
        assert_eq!(r.content_length, Some(5));
        assert_eq!(r.content_type.as_deref(), Some("text/plain"));
        assert_eq!(&post[r.head_len..], b"hello");
    }

    #[test]
    fn other_headers_on_request() {
        let buf = b"GET /probe HTTP/1.1\r\nX-Prometheus-Scrape-Timeout-Seconds: 9.5 \r\n\r\n";
        assert_eq!(request_header(buf, "x-prometheus-scrape-timeout-seconds"), Some("9.5"));
        assert_eq!(request_header(buf, "Host"), None);
    }

    #[test]
    fn partial_and_broken_heads() {
        assert_eq!(parse_request(b"GET /wait?peer_id=1 HTTP/1.0\r\n"), Ok(None));
        assert!(matches!(parse_request(b"\x16\x03\x01\x00garbage\r\n\r\n"), Err(HeadError::Malformed(_))));
        assert_eq!(
            parse_request(b"POST /message HTTP/1.0\r\nContent-Length: lots\r\n\r\n"),
            Err(HeadError::BadContentLength)
        );
        let many: String = (0..40).map(|i| format!("X-{i}: y\r\n")).collect();
        let req = format!("GET / HTTP/1.1\r\n{many}\r\n");
        assert_eq!(parse_request(req.as_bytes()), Err(HeadError::TooManyHeaders));
    }

    #[test]
    fn parameters_are_read_like_the_native_server() {
        let r = parse_request(b"GET /wait?xpeer_id=9&peer_id=4x HTTP/1.0\r\n\r\n").unwrap().unwrap();
        assert_eq!(r.param_u32("peer_id"), Some(4));
        assert_eq!(r.param_u32("to"), None);
    }

    #[test]
    fn responses_have_the_native_layout_and_read_back() {
        let r = Response {
            status: "200 Added".into(),
            content_type: "text/plain".into(),
            pragma: Some(7),
            body: b"a,7,1\n".to_vec(),
        };
        let bytes = r.to_bytes();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(text.starts_with("HTTP/1.1 200 Added\r\nServer: rtctool/"));
        assert!(text.contains("\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: 6\r\nPragma: 7\r\nAccess-Control-Allow-Origin: *\r\n"));
        assert!(text.ends_with("Access-Control-Expose-Headers: Content-Length\r\n\r\na,7,1\n"));
        let back = parse_response(&bytes).unwrap();
        assert_eq!((back.status, back.reason.as_str(), back.pragma), (200, "Added", Some(7)));
        assert_eq!(back.body, b"a,7,1\n");
        assert_eq!(parse_response(&bytes[..bytes.len() - 1]), Err(ResponseError::Incomplete));
        let options =
            Response { status: "200 OK".into(), content_type: String::new(), pragma: None, body: vec![] };
        assert!(!String::from_utf8(options.to_bytes()).unwrap().contains("\r\nContent-Type:"));
    }

    #[test]
    fn lowercase_headers_are_not_found_as_the_native_client_would_not() {
        let lower = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\npragma: 3\r\n\r\n";
        assert_eq!(parse_response(lower), Err(ResponseError::NoContentLength));
    }
}
