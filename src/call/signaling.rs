//! The peerconnection_client side of the signalling protocol: HTTP/1.0 requests with the
//! native client's exact header case, one per TCP connection, the hanging GET re-issued as soon
//! as it is answered, and the JSON messages the native conductor sends.

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

use crate::core::http::{self, ReceivedResponse, ResponseError};
use crate::error::{Error, Result};

/// Largest response we read (an SDP with every candidate is a few KiB; a member list of
/// thousands of peers is larger).
pub const MAX_RESPONSE: usize = 4 << 20;
/// The hang-up message of the native client.
pub const BYE: &str = "BYE";

/// Where the server is: `http://host:port`, `host:port` or `host` (port 8888).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignalUrl {
    /// Host name or address.
    pub host: String,
    /// Port.
    pub port: u16,
}

impl SignalUrl {
    /// Parse `--signal`.
    pub fn parse(s: &str) -> std::result::Result<SignalUrl, String> {
        let rest = s.strip_prefix("http://").unwrap_or(s);
        if rest.starts_with("https://") || s.starts_with("https://") {
            return Err(format!(
                "'{s}': the peerconnection protocol runs over plain HTTP (http://HOST:PORT)"
            ));
        }
        let rest = rest.trim_end_matches('/');
        if rest.is_empty() || rest.contains('/') {
            return Err(format!("'{s}' is not http://HOST[:PORT]"));
        }
        let (host, port) = if let Some(v6) = rest.strip_prefix('[') {
            let (h, after) = v6.split_once(']').ok_or_else(|| format!("'{s}': unclosed '['"))?;
            let port = after
                .strip_prefix(':')
                .map(str::parse)
                .transpose()
                .map_err(|_| format!("'{s}': bad port"))?;
            (h.to_owned(), port)
        } else if let Some((h, p)) = rest.rsplit_once(':') {
            (h.to_owned(), Some(p.parse().map_err(|_| format!("'{s}': bad port"))?))
        } else {
            (rest.to_owned(), None)
        };
        if host.is_empty() {
            return Err(format!("'{s}' has no host"));
        }
        Ok(SignalUrl { host, port: port.unwrap_or(8888) })
    }
}

impl std::fmt::Display for SignalUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.host.contains(':') {
            write!(f, "http://[{}]:{}", self.host, self.port)
        } else {
            write!(f, "http://{}:{}", self.host, self.port)
        }
    }
}

/// A client of one server.
#[derive(Debug, Clone)]
pub struct SignalClient {
    /// The resolved address.
    pub addr: SocketAddr,
    /// Bound on connecting, sending and reading one (non-hanging) request.
    pub timeout: Duration,
}

/// Somebody else in the channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// Server id.
    pub id: u32,
    /// Name.
    pub name: String,
}

/// What the hanging GET brought.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// A member signed in.
    Joined(Member),
    /// A member left.
    Left(Member),
    /// A message from a member.
    Message {
        /// Sender id.
        from: u32,
        /// Body.
        body: String,
    },
    /// The hanging GET failed for good (the server dropped us, or is gone).
    Failed(String),
}

/// Parse one `name,id,connected` line.
pub fn parse_entry(line: &str) -> Option<(Member, bool)> {
    let mut parts = line.trim_end_matches(['\r', '\n']).splitn(3, ',');
    let name = parts.next()?.to_owned();
    let id = parts.next()?.trim().parse().ok()?;
    let connected = parts.next().map(|c| c.trim().starts_with('1')).unwrap_or(false);
    (!name.is_empty()).then_some((Member { id, name }, connected))
}

impl SignalClient {
    /// Resolve the server within `timeout`.
    pub async fn resolve(url: &SignalUrl, timeout: Duration) -> Result<SignalClient> {
        let target = format!("{}:{}", url.host, url.port);
        let addrs = tokio::time::timeout(timeout, tokio::net::lookup_host(target.clone()))
            .await
            .map_err(|_| Error::network(format!("resolving {}: no answer within {timeout:?}", url.host)))?
            .map_err(|e| Error::network(format!("resolving {}: {e}", url.host)))?;
        let mut addrs: Vec<SocketAddr> = addrs.collect();
        // The native client resolves IPv4 only; prefer it, take IPv6 when that is all.
        addrs.sort_by_key(|a| a.is_ipv6());
        let addr = *addrs.first().ok_or_else(|| Error::network(format!("{}: no address", url.host)))?;
        Ok(SignalClient { addr, timeout })
    }

    /// One request on its own connection; the whole response, bounded by `limit` (None: no
    /// bound on time, for the hanging GET).
    async fn exchange(&self, request: &[u8], limit: Option<Duration>) -> Result<ReceivedResponse> {
        let work = async {
            let mut stream = tokio::time::timeout(self.timeout, TcpStream::connect(self.addr))
                .await
                .map_err(|_| {
                    Error::network(format!(
                        "connecting to {}: no answer within {:?}",
                        self.addr, self.timeout
                    ))
                })?
                .map_err(|e| Error::network(format!("connecting to {}: {e}", self.addr)))?;
            let _ = stream.set_nodelay(true);
            stream
                .write_all(request)
                .await
                .map_err(|e| Error::network(format!("sending to {}: {e}", self.addr)))?;
            let mut buf = Vec::with_capacity(2048);
            let mut chunk = [0u8; 8192];
            loop {
                match http::parse_response(&buf) {
                    Ok(r) => return Ok(r),
                    Err(ResponseError::Incomplete) => {}
                    Err(e) => return Err(Error::network(format!("{}: {e}", self.addr))),
                }
                if buf.len() > MAX_RESPONSE {
                    return Err(Error::network(format!(
                        "{}: a response over {MAX_RESPONSE} bytes",
                        self.addr
                    )));
                }
                match stream.read(&mut chunk).await {
                    Ok(0) => {
                        let why = http::parse_response(&buf).err().unwrap_or(ResponseError::Incomplete);
                        return Err(Error::network(format!("{} closed the connection: {why}", self.addr)));
                    }
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    Err(e) => return Err(Error::network(format!("reading from {}: {e}", self.addr))),
                }
            }
        };
        match limit {
            Some(limit) => tokio::time::timeout(limit, work)
                .await
                .map_err(|_| Error::network(format!("{}: no whole answer within {limit:?}", self.addr)))?,
            None => work.await,
        }
    }

    /// `GET /sign_in?NAME`: our id and the members already there.
    pub async fn sign_in(&self, name: &str) -> Result<(u32, Vec<Member>)> {
        let request = format!("GET /sign_in?{name} HTTP/1.0\r\n\r\n");
        let r = self
            .exchange(request.as_bytes(), Some(self.timeout))
            .await
            .map_err(|e| e.context("signing in"))?;
        if r.status != 200 {
            return Err(Error::network(format!(
                "signing in: the server answered {} {}: {}",
                r.status,
                r.reason,
                String::from_utf8_lossy(&r.body).trim()
            )));
        }
        let id =
            r.pragma.ok_or_else(|| Error::network("signing in: the answer has no 'Pragma: ' with our id"))?;
        let text = String::from_utf8_lossy(&r.body);
        let members = text.lines().filter_map(parse_entry).map(|(m, _)| m).filter(|m| m.id != id).collect();
        Ok((id, members))
    }

    /// `POST /message?peer_id=ME&to=PEER` with the native client's headers.
    pub async fn send(&self, me: u32, to: u32, body: &str) -> Result<()> {
        let mut request = format!(
            "POST /message?peer_id={me}&to={to} HTTP/1.0\r\nContent-Length: {}\r\nContent-Type: text/plain\r\n\r\n",
            body.len()
        )
        .into_bytes();
        request.extend_from_slice(body.as_bytes());
        let r =
            self.exchange(&request, Some(self.timeout)).await.map_err(|e| e.context("sending a message"))?;
        if r.status != 200 {
            return Err(Error::network(format!(
                "sending a message to peer {to}: the server answered {} {}: {}",
                r.status,
                r.reason,
                String::from_utf8_lossy(&r.body).trim()
            )));
        }
        Ok(())
    }

    /// `GET /sign_out?peer_id=ME`.
    pub async fn sign_out(&self, me: u32) -> Result<()> {
        let request = format!("GET /sign_out?peer_id={me} HTTP/1.0\r\n\r\n");
        self.exchange(request.as_bytes(), Some(self.timeout)).await.map(|_| ())
    }

    /// The hanging GET, re-issued as soon as each answer comes, until `notices` closes.
    pub async fn hang(self, me: u32, notices: mpsc::UnboundedSender<Notice>) {
        let request = format!("GET /wait?peer_id={me} HTTP/1.0\r\n\r\n");
        let mut failures = 0u32;
        loop {
            let answered = tokio::select! {
                r = self.exchange(request.as_bytes(), None) => r,
                _ = notices.closed() => return,
            };
            let notice = match answered {
                Ok(r) if r.status == 200 => {
                    failures = 0;
                    let body = String::from_utf8_lossy(&r.body).into_owned();
                    match r.pragma {
                        Some(id) if id == me => match parse_entry(&body) {
                            Some((m, true)) => Some(Notice::Joined(m)),
                            Some((m, false)) => Some(Notice::Left(m)),
                            None => None,
                        },
                        Some(from) => Some(Notice::Message { from, body }),
                        None => Some(Notice::Failed("a hanging GET answer without 'Pragma: '".into())),
                    }
                }
                Ok(r) => Some(Notice::Failed(format!(
                    "the server answered the hanging GET with {} {}: {} (it no longer knows us)",
                    r.status,
                    r.reason,
                    String::from_utf8_lossy(&r.body).trim()
                ))),
                Err(e) => {
                    // A dropped connection is retried at once, as the native client does; a
                    // server that stays away ends the call.
                    failures += 1;
                    if failures < 3 {
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        None
                    } else {
                        Some(Notice::Failed(format!("the hanging GET failed: {e}")))
                    }
                }
            };
            if let Some(n) = notice {
                let failed = matches!(n, Notice::Failed(_));
                if notices.send(n).is_err() || failed {
                    return;
                }
            }
        }
    }
}

/// A message between peers, as the native conductor writes it.
#[derive(Debug, Clone, PartialEq)]
pub enum PeerMessage {
    /// `{"type": "offer"|"answer", "sdp": ...}`; `rtctool` is our own key (ignored by others).
    Description {
        /// offer or answer.
        kind: String,
        /// The SDP.
        sdp: String,
        /// The rtctool version of the sender, when it is rtctool.
        rtctool: Option<String>,
        /// What an rtctool sender sends per kind: `{"audio": "clip"|"synthetic"|"file", ...}`.
        media: Option<Value>,
    },
    /// `{"sdpMid": ..., "sdpMLineIndex": N, "candidate": "candidate:..."}`.
    Candidate {
        /// The line without `a=`.
        candidate: String,
        /// sdpMid.
        mid: Option<String>,
        /// sdpMLineIndex.
        mline_index: Option<u16>,
    },
    /// What the other rtctool saw, for its report (`{"rtctool_report": {...}}`).
    Report(Value),
    /// `BYE`.
    Bye,
}

impl PeerMessage {
    /// Read a message body (pretty-printed JSON is fine).
    pub fn parse(body: &str) -> std::result::Result<PeerMessage, String> {
        if body.trim() == BYE {
            return Ok(PeerMessage::Bye);
        }
        let v: Value = serde_json::from_str(body).map_err(|e| format!("not JSON ({e})"))?;
        if let Some(r) = v.get("rtctool_report") {
            return Ok(PeerMessage::Report(r.clone()));
        }
        if let (Some(kind), Some(sdp)) =
            (v.get("type").and_then(Value::as_str), v.get("sdp").and_then(Value::as_str))
        {
            return Ok(PeerMessage::Description {
                kind: kind.to_owned(),
                sdp: sdp.to_owned(),
                rtctool: v.get("rtctool").and_then(Value::as_str).map(str::to_owned),
                media: v.get("rtctool_media").cloned(),
            });
        }
        if let Some(c) = v.get("candidate").and_then(Value::as_str) {
            return Ok(PeerMessage::Candidate {
                candidate: c.to_owned(),
                mid: v.get("sdpMid").and_then(Value::as_str).map(str::to_owned),
                mline_index: v
                    .get("sdpMLineIndex")
                    .and_then(Value::as_u64)
                    .and_then(|n| u16::try_from(n).ok()),
            });
        }
        Err("neither a description, a candidate nor BYE".into())
    }

    /// The body to send.
    pub fn to_body(&self) -> String {
        match self {
            PeerMessage::Description { kind, sdp, rtctool, media } => {
                let mut v = serde_json::json!({"type": kind, "sdp": sdp});
                if let Some(version) = rtctool {
                    v["rtctool"] = Value::from(version.as_str());
                }
                if let Some(m) = media {
                    v["rtctool_media"] = m.clone();
                }
                v.to_string()
            }
            PeerMessage::Candidate { candidate, mid, mline_index } => {
                serde_json::json!({"sdpMid": mid, "sdpMLineIndex": mline_index, "candidate": candidate})
                    .to_string()
            }
            PeerMessage::Report(v) => serde_json::json!({ "rtctool_report": v }).to_string(),
            PeerMessage::Bye => BYE.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            SignalUrl::parse("http://127.0.0.1:8888/").unwrap(),
            SignalUrl { host: "127.0.0.1".into(), port: 8888 }
        );
        assert_eq!(SignalUrl::parse("example.org").unwrap().port, 8888);
        assert_eq!(SignalUrl::parse("[::1]:9000").unwrap(), SignalUrl { host: "::1".into(), port: 9000 });
        assert_eq!(SignalUrl::parse("[::1]:9000").unwrap().to_string(), "http://[::1]:9000");
        assert!(SignalUrl::parse("https://x").is_err());
        assert!(SignalUrl::parse("http://x:port").is_err());
        assert!(SignalUrl::parse("http://x/path").is_err());
    }

    #[test]
    fn entries() {
        assert_eq!(parse_entry("alice,3,1\n"), Some((Member { id: 3, name: "alice".into() }, true)));
        assert_eq!(parse_entry("bob,12,0"), Some((Member { id: 12, name: "bob".into() }, false)));
        assert_eq!(parse_entry("junk"), None);
        assert_eq!(parse_entry(",3,1"), None);
    }

    #[test]
    fn native_messages_round_trip_and_pretty_json_reads() {
        let pretty = "{\n   \"candidate\" : \"candidate:1 1 udp 2122260223 192.0.2.1 5000 typ host\",\n   \"sdpMLineIndex\" : 0,\n   \"sdpMid\" : \"0\"\n}\n";
        let m = PeerMessage::parse(pretty).unwrap();
        assert_eq!(
            m,
            PeerMessage::Candidate {
                candidate: "candidate:1 1 udp 2122260223 192.0.2.1 5000 typ host".into(),
                mid: Some("0".into()),
                mline_index: Some(0)
            }
        );
        assert_eq!(PeerMessage::parse(&m.to_body()).unwrap(), m);
        let offer = PeerMessage::Description {
            kind: "offer".into(),
            sdp: "v=0\r\n".into(),
            rtctool: Some("0.1.0".into()),
            media: Some(serde_json::json!({"video": "clip"})),
        };
        let body = offer.to_body();
        assert!(body.contains("\"type\":\"offer\""));
        assert_eq!(PeerMessage::parse(&body).unwrap(), offer);
        assert_eq!(PeerMessage::parse("BYE").unwrap(), PeerMessage::Bye);
        assert!(PeerMessage::parse("{\"x\":1}").is_err());
        assert!(PeerMessage::parse("nope").is_err());
    }
}
