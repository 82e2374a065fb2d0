//! STUN and TURN server URIs (RFC 7064, RFC 7065): the grammar.
//!
//! Accepts what people paste from `RTCConfiguration.iceServers`, plus the common
//! `turn:user:pass@host` shortcut for command lines. A password in a URL is a [`Secret`] so
//! that no `Display`, `Debug` or error message ever prints it back; where credentials come
//! from when the URL has none is [`super::credentials`].

use std::fmt;
use std::net::Ipv6Addr;
use std::str::FromStr;

use super::credentials::Secret;

/// Default port of `stun:` and `turn:` (RFC 8489, RFC 8656).
pub const DEFAULT_PORT: u16 = 3478;
/// Default port of `stuns:` and `turns:`.
pub const DEFAULT_TLS_PORT: u16 = 5349;

/// The URI scheme: which protocol, and whether it runs over TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// `stun:` (RFC 7064).
    Stun,
    /// `stuns:`: STUN over TLS.
    Stuns,
    /// `turn:` (RFC 7065).
    Turn,
    /// `turns:`: TURN over TLS.
    Turns,
}

impl Scheme {
    /// The scheme name without the colon.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Stun => "stun",
            Scheme::Stuns => "stuns",
            Scheme::Turn => "turn",
            Scheme::Turns => "turns",
        }
    }

    /// Reads a scheme name, ignoring ASCII case (RFC 3986 §3.1); `None` if unknown.
    pub fn from_name(name: &str) -> Option<Self> {
        [Scheme::Stun, Scheme::Stuns, Scheme::Turn, Scheme::Turns]
            .into_iter()
            .find(|scheme| scheme.as_str().eq_ignore_ascii_case(name))
    }

    /// Whether the scheme runs over TLS (`stuns:`, `turns:`).
    pub fn is_secure(self) -> bool {
        matches!(self, Scheme::Stuns | Scheme::Turns)
    }

    /// Whether the scheme names a TURN server (`turn:`, `turns:`).
    pub fn is_turn(self) -> bool {
        matches!(self, Scheme::Turn | Scheme::Turns)
    }

    /// The port used when the URI gives none: 3478, or 5349 over TLS.
    pub fn default_port(self) -> u16 {
        if self.is_secure() {
            DEFAULT_TLS_PORT
        } else {
            DEFAULT_PORT
        }
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A transport protocol: the `?transport=` parameter of a TURN URI, and the transport of a
/// captured flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Transport {
    /// `transport=udp`.
    Udp,
    /// `transport=tcp`.
    Tcp,
}

impl Transport {
    /// The parameter value (`udp`, `tcp`).
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Udp => "udp",
            Transport::Tcp => "tcp",
        }
    }
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What actually carries the STUN/TURN messages to the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EffectiveTransport {
    /// Plain UDP.
    Udp,
    /// Plain TCP.
    Tcp,
    /// TLS over TCP.
    Tls,
}

impl EffectiveTransport {
    /// Lower-case name: `udp`, `tcp` or `tls`.
    pub fn as_str(self) -> &'static str {
        match self {
            EffectiveTransport::Udp => "udp",
            EffectiveTransport::Tcp => "tcp",
            EffectiveTransport::Tls => "tls",
        }
    }
}

impl fmt::Display for EffectiveTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A parsed STUN or TURN server URI.
///
/// Fields are public so commands can build one from flags; [`IceUrl::parse`] guarantees that
/// `host` is non-empty, `port` is not 0, `transport` is only set for TURN schemes, and
/// `password` is only set (and never empty) when `username` is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IceUrl {
    /// The scheme.
    pub scheme: Scheme,
    /// A hostname or IP address; IPv6 is stored without the brackets.
    pub host: String,
    /// The explicit port, if any; see [`IceUrl::port_or_default`].
    pub port: Option<u16>,
    /// The `?transport=` parameter, if any; see [`IceUrl::effective_transport`].
    pub transport: Option<Transport>,
    /// The percent-decoded username of `turn:user@host`, if any.
    pub username: Option<String>,
    /// The percent-decoded password of `turn:user:pass@host`, if any.
    pub password: Option<Secret>,
}

impl IceUrl {
    /// Parses a STUN/TURN URI.
    ///
    /// Accepts the RFC 7064/7065 forms (`stun:host`, `turns:host:port?transport=tcp`,
    /// `turn:[2001:db8::1]:3478`), a scheme in any case, a stray `//` after the scheme, and
    /// credentials as `turn:user:pass@host` or `turn:user@host`, percent-decoded (write a `:`
    /// inside a username as `%3A`, as in TURN REST usernames `1700000000%3Aalice`).
    /// Rejects `?transport=` on `stun:`/`stuns:` (RFC 7064 has no such parameter) and any
    /// other query parameter.
    ///
    /// ```
    /// use rtctool::core::ice::{EffectiveTransport, IceUrl, Scheme, Transport};
    ///
    /// let url = IceUrl::parse("turn:alice:s3cr%40t@turn.example.com:443?transport=tcp")?;
    /// assert_eq!(url.scheme, Scheme::Turn);
    /// assert_eq!(url.host, "turn.example.com");
    /// assert_eq!(url.port_or_default(), 443);
    /// assert_eq!(url.transport, Some(Transport::Tcp));
    /// assert_eq!(url.username.as_deref(), Some("alice"));
    /// assert_eq!(url.password.as_ref().map(|p| p.expose()), Some("s3cr@t"));
    /// // The password is never printed back.
    /// assert_eq!(url.to_string(), "turn:alice:***@turn.example.com:443?transport=tcp");
    ///
    /// let stuns: IceUrl = "stuns:[2001:db8::1]".parse()?;
    /// assert_eq!(stuns.host, "2001:db8::1");
    /// assert_eq!(stuns.port_or_default(), 5349);
    /// assert_eq!(stuns.effective_transport(), EffectiveTransport::Tls);
    ///
    /// let error = IceUrl::parse("http://example.com").unwrap_err();
    /// assert_eq!(
    ///     error.to_string(),
    ///     r#"unknown scheme "http" (expected stun, stuns, turn or turns)"#
    /// );
    /// # Ok::<(), rtctool::core::ice::UrlError>(())
    /// ```
    pub fn parse(input: &str) -> Result<IceUrl, UrlError> {
        let text = input.trim();
        if text.is_empty() {
            return Err(UrlError::Empty);
        }
        let (scheme_name, rest) = text.split_once(':').ok_or(UrlError::MissingScheme)?;
        let scheme = Scheme::from_name(scheme_name)
            .ok_or_else(|| UrlError::UnknownScheme { scheme: scheme_name.to_string() })?;
        // Not RFC 7064/7065, but `stun://host` is a common slip and means the same thing.
        let rest = rest.strip_prefix("//").unwrap_or(rest);

        // Credentials are split off first, at the last '@' (a query never contains one), so an
        // unencoded '@' or '?' in a password still works and never ends up in an error message.
        let (userinfo, server) = match rest.rsplit_once('@') {
            Some((userinfo, server)) => (Some(userinfo), server),
            None => (None, rest),
        };
        let (host_and_port, query) = match server.split_once('?') {
            Some((host_and_port, query)) => (host_and_port, Some(query)),
            None => (server, None),
        };

        let (username, password) = match userinfo {
            None => (None, None),
            // RFC 7064 has no userinfo: STUN Binding takes no credentials, and keeping them
            // would drop them without a word.
            Some(_) if !scheme.is_turn() => return Err(UrlError::CredentialsNotAllowed { scheme }),
            Some(userinfo) => {
                let (user, pass) = match userinfo.split_once(':') {
                    Some((user, pass)) => (user, Some(pass)),
                    None => (userinfo, None),
                };
                if user.is_empty() {
                    return Err(UrlError::EmptyUsername);
                }
                let username = percent_decode(user, CredentialField::Username)?;
                let password = match pass {
                    Some(pass) if !pass.is_empty() => {
                        Some(Secret::new(percent_decode(pass, CredentialField::Password)?))
                    }
                    _ => None,
                };
                (Some(username), password)
            }
        };

        let (host, port) = split_host_and_port(host_and_port)?;
        let transport = match query {
            None => None,
            Some(query) => parse_query(scheme, query)?,
        };

        Ok(IceUrl { scheme, host, port, transport, username, password })
    }

    /// The explicit port, or the scheme's default (3478 for stun/turn, 5349 for stuns/turns).
    pub fn port_or_default(&self) -> u16 {
        self.port.unwrap_or_else(|| self.scheme.default_port())
    }

    /// What carries the messages: TLS over TCP for `stuns:`/`turns:` (DTLS is not supported,
    /// so a `turns:` URI means TLS whatever its transport parameter), otherwise the
    /// `?transport=` parameter, UDP by default.
    pub fn effective_transport(&self) -> EffectiveTransport {
        if self.scheme.is_secure() {
            return EffectiveTransport::Tls;
        }
        match self.transport {
            Some(Transport::Tcp) => EffectiveTransport::Tcp,
            Some(Transport::Udp) | None => EffectiveTransport::Udp,
        }
    }

    /// `host:port` with IPv6 in brackets and the default port filled in, ready for
    /// `std::net::ToSocketAddrs`.
    pub fn host_and_port(&self) -> String {
        format!("{}:{}", BracketedHost(&self.host), self.port_or_default())
    }
}

/// Splits `host[:port]` or `[v6][:port]` and validates both.
fn split_host_and_port(text: &str) -> Result<(String, Option<u16>), UrlError> {
    let (host, port_text) = if let Some(bracketed) = text.strip_prefix('[') {
        let (inside, after) = bracketed.split_once(']').ok_or(UrlError::UnclosedBracket)?;
        if inside.parse::<Ipv6Addr>().is_err() {
            return Err(UrlError::InvalidIpv6 { text: inside.to_string() });
        }
        let port_text = match after {
            "" => None,
            _ => Some(after.strip_prefix(':').ok_or(UrlError::UnexpectedAfterBracket)?),
        };
        (inside, port_text)
    } else {
        if text.matches(':').count() > 1 {
            return Err(UrlError::UnbracketedIpv6);
        }
        let (host, port_text) = match text.split_once(':') {
            Some((host, port_text)) => (host, Some(port_text)),
            None => (text, None),
        };
        if host.is_empty() {
            return Err(UrlError::MissingHost);
        }
        if let Some(character) = host.chars().find(|&c| !is_host_char(c)) {
            return Err(UrlError::InvalidHostCharacter { character });
        }
        (host, port_text)
    };
    let port = port_text.map(|port_text| parse_port(host, port_text)).transpose()?;
    Ok((host.to_string(), port))
}

/// Characters of DNS names and IPv4 literals; anything else is a typo (a path, a space...).
fn is_host_char(character: char) -> bool {
    character.is_ascii_alphanumeric() || matches!(character, '-' | '.' | '_')
}

/// Parses a port, 1..=65535. A non-numeric port is not echoed back: in `turn:user:pass`
/// (credentials without `@host`) the "port" is the password.
fn parse_port(host: &str, text: &str) -> Result<u16, UrlError> {
    if text.is_empty() {
        return Err(UrlError::MissingPort);
    }
    if !text.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(UrlError::PortNotANumber { host: host.to_string() });
    }
    match text.parse::<u16>() {
        Ok(port) if port != 0 => Ok(port),
        _ => Err(UrlError::PortOutOfRange { port: text.to_string() }),
    }
}

/// Parses the query; only `transport=udp|tcp` exists, and only for TURN (RFC 7065 §3).
fn parse_query(scheme: Scheme, query: &str) -> Result<Option<Transport>, UrlError> {
    if query.is_empty() {
        return Err(UrlError::EmptyQuery);
    }
    let mut transport = None;
    for parameter in query.split('&') {
        let (name, value) = parameter.split_once('=').unwrap_or((parameter, ""));
        if !name.eq_ignore_ascii_case("transport") {
            return Err(UrlError::UnknownQueryParameter { name: name.to_string() });
        }
        if !scheme.is_turn() {
            return Err(UrlError::TransportNotAllowed { scheme });
        }
        if transport.is_some() {
            return Err(UrlError::DuplicateTransport);
        }
        transport = Some(if value.eq_ignore_ascii_case("udp") {
            Transport::Udp
        } else if value.eq_ignore_ascii_case("tcp") {
            Transport::Tcp
        } else {
            return Err(UrlError::UnknownTransport { value: value.to_string() });
        });
    }
    Ok(transport)
}

/// Which credential a percent-decoding error is about (the value itself is never shown).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialField {
    /// The username.
    Username,
    /// The password.
    Password,
}

impl fmt::Display for CredentialField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CredentialField::Username => "username",
            CredentialField::Password => "password",
        })
    }
}

/// Decodes `%XX` escapes (RFC 3986 §2.1); `+` stays `+`.
fn percent_decode(text: &str, field: CredentialField) -> Result<String, UrlError> {
    let mut bytes = Vec::with_capacity(text.len());
    let mut rest = text.as_bytes();
    while let Some((&byte, tail)) = rest.split_first() {
        if byte == b'%' {
            let decoded = match tail {
                [high, low, ..] => hex_value(*high).zip(hex_value(*low)).map(|(h, l)| (h << 4) | l),
                _ => None,
            };
            bytes.push(decoded.ok_or(UrlError::InvalidPercentEncoding { field })?);
            rest = tail.get(2..).unwrap_or_default();
        } else {
            bytes.push(byte);
            rest = tail;
        }
    }
    String::from_utf8(bytes).map_err(|_| UrlError::NotUtf8 { field })
}

fn hex_value(digit: u8) -> Option<u8> {
    char::from(digit).to_digit(16).and_then(|value| u8::try_from(value).ok())
}

/// Writes a username with everything outside RFC 3986 `unreserved` / `sub-delims`
/// percent-encoded, so that the printed URL parses back to the same username.
struct EncodedUserinfo<'a>(&'a str);

impl fmt::Display for EncodedUserinfo<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for &byte in self.0.as_bytes() {
            let keep = byte.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=".contains(&byte);
            if keep {
                write!(f, "{}", char::from(byte))?;
            } else {
                write!(f, "%{byte:02X}")?;
            }
        }
        Ok(())
    }
}

/// Writes a host, in brackets if it is an IPv6 address.
struct BracketedHost<'a>(&'a str);

impl fmt::Display for BracketedHost<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.contains(':') {
            write!(f, "[{}]", self.0)
        } else {
            f.write_str(self.0)
        }
    }
}

impl fmt::Display for IceUrl {
    /// Writes the URI back with the password replaced by `***`, so it is safe in logs and
    /// reports; the username is shown (percent-encoded where needed).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:", self.scheme)?;
        if let Some(username) = &self.username {
            write!(f, "{}", EncodedUserinfo(username))?;
            if self.password.is_some() {
                f.write_str(":***")?;
            }
            f.write_str("@")?;
        }
        write!(f, "{}", BracketedHost(&self.host))?;
        if let Some(port) = self.port {
            write!(f, ":{port}")?;
        }
        if let Some(transport) = self.transport {
            write!(f, "?transport={transport}")?;
        }
        Ok(())
    }
}

impl FromStr for IceUrl {
    type Err = UrlError;

    /// Same as [`IceUrl::parse`].
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        IceUrl::parse(input)
    }
}

/// Read a server as people type it on a command line: a URL (`stun:`, `stuns:`, `turn:`,
/// `turns:`), or a bare `HOST[:PORT]`, `[IPV6]:PORT` or IPv6 address that gets
/// `default_scheme`. The one server-spec reader of gather, nat-type and the others.
///
/// ```
/// use rtctool::core::ice::{url::parse_server, Scheme};
/// let url = parse_server("2001:db8::1", Scheme::Stun)?;
/// assert_eq!((url.scheme, url.port_or_default()), (Scheme::Stun, 3478));
/// assert_eq!(parse_server("turn:h:3479", Scheme::Stun)?.scheme, Scheme::Turn);
/// assert_eq!(parse_server("h:3479", Scheme::Turn)?.port, Some(3479));
/// assert!(parse_server("turnx:alice@h", Scheme::Turn).is_err()); // not the host turnx
/// assert_eq!(parse_server("fe80::1", Scheme::Stun)?.host, "fe80::1");
/// # Ok::<(), rtctool::core::ice::UrlError>(())
/// ```
pub fn parse_server(value: &str, default_scheme: Scheme) -> Result<IceUrl, UrlError> {
    let value = value.trim();
    let has_scheme = value.split_once(':').is_some_and(|(scheme, _)| Scheme::from_name(scheme).is_some());
    if has_scheme {
        return IceUrl::parse(value);
    }
    let bare_ipv6 = value.parse::<std::net::Ipv6Addr>().is_ok();
    // `turnx:alice@host` is a mistyped scheme, not the host `turnx` with a user: a word before
    // the first `:` that is not followed by a port number is a scheme, and an unknown one.
    if let Some((word, rest)) = value.split_once(':') {
        let schemelike = word.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && word.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
        let port_follows = rest.chars().next().is_some_and(|c| c.is_ascii_digit());
        if !bare_ipv6 && schemelike && !port_follows {
            return Err(UrlError::UnknownScheme { scheme: word.to_string() });
        }
    }
    let text = if bare_ipv6 {
        format!("{}:[{value}]", default_scheme.as_str())
    } else {
        format!("{}:{value}", default_scheme.as_str())
    };
    IceUrl::parse(&text)
}

/// Why a STUN/TURN URI was rejected. Messages never contain the password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlError {
    /// Nothing but whitespace.
    Empty,
    /// No `scheme:` at all.
    MissingScheme,
    /// A scheme other than stun, stuns, turn, turns.
    UnknownScheme {
        /// The scheme as written.
        scheme: String,
    },
    /// Nothing between the scheme (or `@`) and the port or query.
    MissingHost,
    /// A host with a character DNS names cannot contain.
    InvalidHostCharacter {
        /// The first offending character.
        character: char,
    },
    /// A bracketed host that is not an IPv6 address.
    InvalidIpv6 {
        /// The text between the brackets.
        text: String,
    },
    /// `[` without `]`.
    UnclosedBracket,
    /// Something other than `:port` after `]`.
    UnexpectedAfterBracket,
    /// An IPv6 address without brackets (its colons are ambiguous with the port's).
    UnbracketedIpv6,
    /// `host:` with nothing after the colon.
    MissingPort,
    /// A port that is not made of digits (not echoed: it may be a misplaced password).
    PortNotANumber {
        /// The host the port belongs to.
        host: String,
    },
    /// A port outside 1..=65535.
    PortOutOfRange {
        /// The port as written.
        port: String,
    },
    /// `?` followed by nothing.
    EmptyQuery,
    /// A query parameter other than `transport`.
    UnknownQueryParameter {
        /// Its name.
        name: String,
    },
    /// `?transport=` on a `stun:`/`stuns:` URI, which RFC 7064 does not define.
    TransportNotAllowed {
        /// The scheme.
        scheme: Scheme,
    },
    /// `user@` on a `stun:`/`stuns:` URI.
    CredentialsNotAllowed {
        /// The scheme.
        scheme: Scheme,
    },
    /// `transport` given twice.
    DuplicateTransport,
    /// A transport other than udp or tcp.
    UnknownTransport {
        /// The value as written.
        value: String,
    },
    /// `@host` with nothing before it.
    EmptyUsername,
    /// A `%` not followed by two hex digits.
    InvalidPercentEncoding {
        /// Where.
        field: CredentialField,
    },
    /// Percent-decoding produced bytes that are not UTF-8.
    NotUtf8 {
        /// Where.
        field: CredentialField,
    },
}

impl fmt::Display for UrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UrlError::Empty => f.write_str("empty URL"),
            UrlError::MissingScheme => {
                f.write_str("missing scheme (expected stun:, stuns:, turn: or turns:)")
            }
            UrlError::UnknownScheme { scheme } => {
                write!(f, "unknown scheme {scheme:?} (expected stun, stuns, turn or turns)")
            }
            UrlError::MissingHost => f.write_str("missing host"),
            UrlError::InvalidHostCharacter { character } => {
                write!(f, "invalid character {character:?} in host")
            }
            UrlError::InvalidIpv6 { text } => write!(f, "invalid IPv6 address {text:?}"),
            UrlError::UnclosedBracket => f.write_str("missing ']' after IPv6 address"),
            UrlError::UnexpectedAfterBracket => f.write_str("unexpected text after ']' (expected \":port\")"),
            UrlError::UnbracketedIpv6 => f.write_str(
                "IPv6 address must be in brackets, e.g. turn:[2001:db8::1]:3478 \
                 (for a user:password, add @host)",
            ),
            UrlError::MissingPort => f.write_str("missing port after ':'"),
            UrlError::PortNotANumber { host } => write!(f, "port of {host:?} is not a number"),
            UrlError::PortOutOfRange { port } => write!(f, "port {port} out of range (1-65535)"),
            UrlError::EmptyQuery => f.write_str("empty query after '?'"),
            UrlError::UnknownQueryParameter { name } => {
                write!(f, "unknown query parameter {name:?} (only \"transport\" is allowed)")
            }
            UrlError::CredentialsNotAllowed { scheme } => write!(
                f,
                "credentials are not allowed in {scheme}: URIs (RFC 7064: a STUN Binding needs none); \
                 a TURN server's go in a turn: URI"
            ),
            UrlError::TransportNotAllowed { scheme } => write!(
                f,
                "a transport parameter is not allowed in {scheme}: URIs (RFC 7064); \
                 use turn: or turns:"
            ),
            UrlError::DuplicateTransport => f.write_str("transport given more than once"),
            UrlError::UnknownTransport { value } => {
                write!(f, "unknown transport {value:?} (expected udp or tcp)")
            }
            UrlError::EmptyUsername => f.write_str("empty username before '@'"),
            UrlError::InvalidPercentEncoding { field } => {
                write!(f, "invalid percent-encoding in the {field} ('%' must be followed by two hex digits)")
            }
            UrlError::NotUtf8 { field } => {
                write!(f, "the {field} is not valid UTF-8 once percent-decoded")
            }
        }
    }
}

impl std::error::Error for UrlError {}

impl From<UrlError> for crate::error::Error {
    /// A bad server URL is a usage error (exit code 2): URLs come from the command line.
    fn from(error: UrlError) -> Self {
        crate::error::Error::usage(format!("invalid STUN/TURN URL: {error}"))
    }
}

#[cfg(test)]
mod tests {

    use super::*;

    fn parse(input: &str) -> IceUrl {
        match IceUrl::parse(input) {
            Ok(url) => url,
            Err(error) => panic!("{input:?} should parse: {error}"),
        }
    }

    fn error(input: &str) -> UrlError {
        match IceUrl::parse(input) {
            Ok(url) => panic!("{input:?} should fail, parsed as {url:?}"),
            Err(error) => error,
        }
    }

    #[test]
    fn plain_stun() {
        let url = parse("stun:stun.l.google.com:19302");
        assert_eq!(url.scheme, Scheme::Stun);
        assert_eq!(url.host, "stun.l.google.com");
        assert_eq!(url.port, Some(19302));
        assert_eq!(url.transport, None);
        assert_eq!(url.username, None);
        assert_eq!(url.password, None);
        assert_eq!(url.effective_transport(), EffectiveTransport::Udp);
        assert_eq!(url.to_string(), "stun:stun.l.google.com:19302");
        assert_eq!(url.host_and_port(), "stun.l.google.com:19302");
    }

    #[test]
    fn default_ports() {
        assert_eq!(parse("stun:example.com").port_or_default(), 3478);
        assert_eq!(parse("turn:example.com").port_or_default(), 3478);
        assert_eq!(parse("stuns:example.com").port_or_default(), 5349);
        assert_eq!(parse("turns:example.com").port_or_default(), 5349);
        assert_eq!(parse("turns:example.com:443").port_or_default(), 443);
        assert_eq!(parse("turns:example.com").port, None);
    }

    #[test]
    fn effective_transports() {
        let cases = [
            ("stun:h", EffectiveTransport::Udp),
            ("turn:h", EffectiveTransport::Udp),
            ("turn:h?transport=udp", EffectiveTransport::Udp),
            ("turn:h?transport=tcp", EffectiveTransport::Tcp),
            ("turns:h", EffectiveTransport::Tls),
            ("turns:h?transport=tcp", EffectiveTransport::Tls),
            ("turns:h?transport=udp", EffectiveTransport::Tls),
            ("stuns:h", EffectiveTransport::Tls),
        ];
        for (input, expected) in cases {
            assert_eq!(parse(input).effective_transport(), expected, "{input}");
        }
        assert_eq!(EffectiveTransport::Tls.to_string(), "tls");
    }

    #[test]
    fn scheme_and_keywords_ignore_case() {
        let url = parse("TURNS:Example.COM:443?Transport=TCP");
        assert_eq!(url.scheme, Scheme::Turns);
        assert_eq!(url.host, "Example.COM");
        assert_eq!(url.transport, Some(Transport::Tcp));
        assert_eq!(url.to_string(), "turns:Example.COM:443?transport=tcp");
    }

    #[test]
    fn ipv6_hosts() {
        let url = parse("turn:[2001:db8::1]:3478?transport=udp");
        assert_eq!(url.host, "2001:db8::1");
        assert_eq!(url.port, Some(3478));
        assert_eq!(url.to_string(), "turn:[2001:db8::1]:3478?transport=udp");
        assert_eq!(url.host_and_port(), "[2001:db8::1]:3478");

        let bare = parse("stun:[::1]");
        assert_eq!(bare.host, "::1");
        assert_eq!(bare.port, None);
        assert_eq!(bare.host_and_port(), "[::1]:3478");
        assert_eq!(bare.to_string(), "stun:[::1]");

        let with_user = parse("turn:bob:pw@[::ffff:192.0.2.1]:5000");
        assert_eq!(with_user.host, "::ffff:192.0.2.1");
        assert_eq!(with_user.username.as_deref(), Some("bob"));
    }

    #[test]
    fn ipv4_host() {
        let url = parse("turn:203.0.113.7:3478");
        assert_eq!(url.host, "203.0.113.7");
        assert_eq!(url.host_and_port(), "203.0.113.7:3478");
    }

    #[test]
    fn lenient_forms() {
        assert_eq!(parse("  stun://example.com:3478 \n"), parse("stun:example.com:3478"));
        assert_eq!(parse("turn://u:p@example.com"), parse("turn:u:p@example.com"));
    }

    #[test]
    fn credentials_in_url() {
        let url = parse("turn:user:pass@turn.example.com:3478?transport=tcp");
        assert_eq!(url.username.as_deref(), Some("user"));
        assert_eq!(url.password.as_ref().map(Secret::expose), Some("pass"));
        assert_eq!(url.host, "turn.example.com");
        assert_eq!(url.port, Some(3478));
        assert_eq!(url.transport, Some(Transport::Tcp));
        assert_eq!(url.to_string(), "turn:user:***@turn.example.com:3478?transport=tcp");
        assert!(!format!("{url:?}").contains("pass\""), "{url:?}");
        assert!(format!("{url:?}").contains("***"));

        let user_only = parse("turn:user@host");
        assert_eq!(user_only.username.as_deref(), Some("user"));
        assert_eq!(user_only.password, None);
        assert_eq!(user_only.to_string(), "turn:user@host");

        let empty_password = parse("turn:user:@host");
        assert_eq!(empty_password.password, None);
    }

    #[test]
    fn credentials_are_percent_decoded_and_reencoded() {
        let url = parse("turn:1700000000%3Aalice:p%40ss%3Aw%2Fo%25rd%C3%A9@host");
        assert_eq!(url.username.as_deref(), Some("1700000000:alice"));
        assert_eq!(url.password.as_ref().map(Secret::expose), Some("p@ss:w/o%rdé"));
        assert_eq!(url.to_string(), "turn:1700000000%3Aalice:***@host");
        // The printed form parses back to the same username.
        assert_eq!(parse(&url.to_string()).username, url.username);

        let odd = parse("turn:a%20b%2Bc+d@host");
        assert_eq!(odd.username.as_deref(), Some("a b+c+d"));
        assert_eq!(odd.to_string(), "turn:a%20b+c+d@host");
    }

    #[test]
    fn unencoded_at_in_password_uses_last_at() {
        let url = parse("turn:user:p@ss@host:3478");
        assert_eq!(url.password.as_ref().map(Secret::expose), Some("p@ss"));
        assert_eq!(url.host, "host");
        let question = parse("turn:user:a?b=c@host?transport=tcp");
        assert_eq!(question.password.as_ref().map(Secret::expose), Some("a?b=c"));
        assert_eq!(question.transport, Some(Transport::Tcp));
    }

    #[test]
    fn display_round_trips_without_password() {
        for input in [
            "stun:example.com",
            "stuns:example.com:443",
            "turn:[2001:db8::1]:3478?transport=udp",
            "turns:u@example.com?transport=tcp",
            "turn:u:***@example.com:1",
        ] {
            assert_eq!(parse(input).to_string(), input);
            assert_eq!(parse(&parse(input).to_string()), parse(input));
        }
    }

    #[test]
    fn error_messages() {
        let cases: &[(&str, &str)] = &[
            ("", "empty URL"),
            ("   ", "empty URL"),
            ("example.com", "missing scheme (expected stun:, stuns:, turn: or turns:)"),
            ("http://example.com", r#"unknown scheme "http" (expected stun, stuns, turn or turns)"#),
            ("stun:", "missing host"),
            ("turn:?transport=udp", "missing host"),
            ("turn:user:pass@", "missing host"),
            ("turn::3478", "missing host"),
            ("turn:host:99999", "port 99999 out of range (1-65535)"),
            ("turn:host:0", "port 0 out of range (1-65535)"),
            (
                "turn:host:123456789012345678901234567890",
                "port 123456789012345678901234567890 out of range (1-65535)",
            ),
            ("turn:host:", "missing port after ':'"),
            ("turn:host:abc", r#"port of "host" is not a number"#),
            ("turn:host:+80", r#"port of "host" is not a number"#),
            ("turn:host/path", "invalid character '/' in host"),
            ("turn:ho st", "invalid character ' ' in host"),
            ("turn:host#frag", "invalid character '#' in host"),
            ("turn:[2001:db8::1", "missing ']' after IPv6 address"),
            ("turn:[example.com]", r#"invalid IPv6 address "example.com""#),
            ("turn:[::1]x", "unexpected text after ']' (expected \":port\")"),
            ("turn:[::1]:", "missing port after ':'"),
            ("turn:[::1]:70000", "port 70000 out of range (1-65535)"),
            ("turn:host?", "empty query after '?'"),
            ("turn:host?foo=bar", r#"unknown query parameter "foo" (only "transport" is allowed)"#),
            (
                "turn:host?transport=udp&ttl=5",
                r#"unknown query parameter "ttl" (only "transport" is allowed)"#,
            ),
            ("turn:host?transport=sctp", r#"unknown transport "sctp" (expected udp or tcp)"#),
            ("turn:host?transport", r#"unknown transport "" (expected udp or tcp)"#),
            ("turn:host?transport=udp&transport=tcp", "transport given more than once"),
            ("turn:@host", "empty username before '@'"),
            ("turn::pass@host", "empty username before '@'"),
        ];
        for (input, message) in cases {
            assert_eq!(error(input).to_string(), *message, "{input:?}");
        }
    }

    #[test]
    fn transport_rejected_on_stun() {
        for input in ["stun:alice:pw@host", "stuns:bob@host:5349"] {
            let error = error(input);
            assert!(matches!(error, UrlError::CredentialsNotAllowed { .. }), "{input}");
            assert!(!error.to_string().contains("pw"), "{error}");
        }
        for input in ["stun:host?transport=udp", "stuns:host:5349?transport=tcp"] {
            let error = error(input);
            assert!(matches!(error, UrlError::TransportNotAllowed { .. }), "{input}");
            assert!(error.to_string().contains("RFC 7064"), "{error}");
        }
        assert!(error("stun:host?transport=udp").to_string().contains("stun: URIs"));
    }

    #[test]
    fn unbracketed_ipv6_is_explained() {
        assert_eq!(error("turn:2001:db8::1"), UrlError::UnbracketedIpv6);
        assert_eq!(error("turn:2001:db8::1:3478"), UrlError::UnbracketedIpv6);
        assert!(error("turn:::1").to_string().starts_with("IPv6 address must be in brackets"));
    }

    #[test]
    fn bad_percent_encoding() {
        assert_eq!(
            error("turn:us%zzer@host"),
            UrlError::InvalidPercentEncoding { field: CredentialField::Username }
        );
        assert_eq!(
            error("turn:user:pa%4@host"),
            UrlError::InvalidPercentEncoding { field: CredentialField::Password }
        );
        assert_eq!(
            error("turn:user:pass%@host"),
            UrlError::InvalidPercentEncoding { field: CredentialField::Password }
        );
        assert_eq!(error("turn:user:%FF@host"), UrlError::NotUtf8 { field: CredentialField::Password });
        assert_eq!(
            error("turn:user:pa%4@host").to_string(),
            "invalid percent-encoding in the password ('%' must be followed by two hex digits)"
        );
        assert_eq!(
            error("turn:user:%FF@host").to_string(),
            "the password is not valid UTF-8 once percent-decoded"
        );
    }

    #[test]
    fn errors_never_show_the_password() {
        let password = "hunter2xyz";
        for input in [
            format!("turn:user:{password}"),
            format!("turn:user:{password}%@host"),
            format!("turn:user:{password}%FF@host"),
            format!("turn:user:{password}@"),
            format!("turn:user:{password}@host:0"),
            format!("turn:user:{password}@host?x=1"),
            format!("turn:user:{password}@ho/st"),
            format!("turn:u:1?{password}@host"),
            format!("turn:u:1?x={password}"),
            format!("http:user:{password}@host"),
        ] {
            if let Err(error) = IceUrl::parse(&input) {
                let message = error.to_string();
                // The scheme error echoes only the scheme.
                assert!(!message.contains(password), "{input:?} -> {message}");
                assert!(!format!("{error:?}").contains(password), "{input:?} -> {error:?}");
            }
        }
    }

    #[test]
    fn scheme_helpers() {
        assert_eq!(Scheme::from_name("StUnS"), Some(Scheme::Stuns));
        assert_eq!(Scheme::from_name("http"), None);
        assert!(Scheme::Turns.is_secure() && Scheme::Turns.is_turn());
        assert!(!Scheme::Stun.is_secure() && !Scheme::Stun.is_turn());
        assert_eq!(Scheme::Turn.to_string(), "turn");
        assert_eq!(Transport::Udp.to_string(), "udp");
    }

    #[test]
    fn converts_to_usage_error() {
        let error: crate::error::Error = error("ftp:x").into();
        assert_eq!(error.exit_code(), crate::error::exit::USAGE);
        assert!(error.to_string().starts_with("invalid STUN/TURN URL: unknown scheme"));
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn parse_never_panics(input in "\\PC{0,60}") {
                let _ = IceUrl::parse(&input);
            }

            #[test]
            fn parse_never_panics_on_url_like_input(
                input in "(stun|turns?):[a-z%@:\\[\\]0-9?=&.]{0,30}",
            ) {
                if let Ok(url) = IceUrl::parse(&input) {
                    // What parses prints back to something that parses to the same URL,
                    // except for the masked password.
                    let reparsed = IceUrl::parse(&url.to_string());
                    prop_assert!(reparsed.is_ok(), "{} -> {}", input, url);
                    if let Ok(reparsed) = reparsed {
                        prop_assert_eq!(reparsed.host, url.host);
                        prop_assert_eq!(reparsed.port, url.port);
                        prop_assert_eq!(reparsed.username, url.username);
                    }
                }
            }

            #[test]
            fn usernames_survive_display(username in "\\PC{1,20}") {
                let url = IceUrl {
                    scheme: Scheme::Turn,
                    host: "example.com".into(),
                    port: None,
                    transport: None,
                    username: Some(username.clone()),
                    password: Some(Secret::new("pw")),
                };
                let reparsed = IceUrl::parse(&url.to_string());
                prop_assert_eq!(reparsed.map(|url| url.username), Ok(Some(username)));
            }
        }
    }
}
