//! A STUN or TURN server as every command takes it: its URL and, for TURN, the credentials
//! settled from the URL, the flags or the environment.

use super::credentials::Credentials;
use super::url::{EffectiveTransport, IceUrl};

/// A STUN/TURN server with its credentials settled. The URL keeps no password: that lives in
/// `credentials` only, so printing the URL never shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IceServer {
    /// The URL, without its password.
    pub url: IceUrl,
    /// Long-term credentials for TURN.
    pub credentials: Option<Credentials>,
}

impl IceServer {
    /// A server; a password in the URL is moved out of it (use
    /// [`super::resolve_credentials`] first to pick it up).
    pub fn new(mut url: IceUrl, credentials: Option<Credentials>) -> Self {
        url.password = None;
        IceServer { url, credentials }
    }

    /// The URL as printed everywhere: the password never appears.
    pub fn label(&self) -> String {
        self.url.to_string()
    }

    /// `stun:`/`stuns:` or `turn:`/`turns:`.
    pub fn is_turn(&self) -> bool {
        self.url.scheme.is_turn()
    }

    /// How requests reach it.
    pub fn transport(&self) -> EffectiveTransport {
        self.url.effective_transport()
    }

    /// The host to resolve (IPv6 without brackets).
    pub fn host(&self) -> &str {
        &self.url.host
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.url.port_or_default()
    }

    /// The URL without credentials, as WebRTC stacks take it (credentials go apart):
    /// `turn:host:port?transport=udp`.
    pub fn url_for_stack(&self) -> String {
        let mut s = format!("{}:{}", self.url.scheme.as_str(), self.url.host_and_port());
        if let Some(t) = self.url.transport {
            s.push_str("?transport=");
            s.push_str(t.as_str());
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::ice::{resolve_credentials, TurnEnv};

    #[test]
    fn the_password_leaves_the_url() {
        let url = IceUrl::parse("turn:alice:secret@turn.example.com:3479?transport=tcp").unwrap();
        let credentials = resolve_credentials(&url, None, None, &TurnEnv::default());
        let server = IceServer::new(url, credentials);
        assert_eq!(server.credentials.as_ref().unwrap().password.expose(), "secret");
        assert!(!server.label().contains("secret"), "{}", server.label());
        assert_eq!(server.url_for_stack(), "turn:turn.example.com:3479?transport=tcp");
        assert!(server.is_turn());
        assert_eq!(server.transport(), EffectiveTransport::Tcp);
        assert_eq!((server.host(), server.port()), ("turn.example.com", 3479));
    }
}
