//! TURN credentials and where they come from: the URL, then the flags, then the environment
//! (read by the command line, passed in as [`TurnEnv`]). Passwords are [`Secret`]s: no
//! `Display`, `Debug` or error message ever prints them.

use std::fmt;

use super::url::IceUrl;

/// Environment variable consulted for the TURN username when neither the URL nor a flag has one.
pub const ENV_TURN_USERNAME: &str = "RTCTOOL_TURN_USERNAME";
/// Environment variable consulted for the TURN password when neither the URL nor a flag has one.
pub const ENV_TURN_PASSWORD: &str = "RTCTOOL_TURN_PASSWORD";

/// A password or other secret: `Debug` and `Display` print `***`, so it cannot leak into
/// logs, error messages or `--json` output by accident; [`Secret::expose`] is the one way in.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself, for the one place that needs it (computing a MESSAGE-INTEGRITY key).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the secret is the empty string.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret(value.to_string())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// TURN long-term credentials (RFC 8489 §9.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The username, shown freely.
    pub username: String,
    /// The password, never shown.
    pub password: Secret,
}

/// The TURN credentials found in the environment ([`ENV_TURN_USERNAME`],
/// [`ENV_TURN_PASSWORD`]), read once by the command line, the edge of the program: the
/// library reads no environment variable itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TurnEnv {
    /// `RTCTOOL_TURN_USERNAME`.
    pub username: Option<String>,
    /// `RTCTOOL_TURN_PASSWORD`, never printed.
    pub password: Option<Secret>,
}

/// Finds the TURN credentials for a server, field by field: the URL's username and password
/// first, then the `--username`/`--password` style flags, then the environment variables
/// ([`TurnEnv`]). Empty values count as absent.
///
/// Each field is resolved on its own so that `turn:alice@host` plus a password in the
/// environment works (and keeps the password out of shell history). Returns `None` unless
/// both a username and a password were found.
///
/// ```
/// use rtctool::core::ice::{resolve_credentials, IceUrl, Secret, TurnEnv};
///
/// let url = IceUrl::parse("turn:alice@turn.example.com")?;
/// let env = TurnEnv { username: None, password: Some(Secret::new("from-env")) };
/// let credentials = resolve_credentials(&url, Some("bob"), None, &env).ok_or("none")?;
/// assert_eq!(credentials.username, "alice");
/// assert_eq!(credentials.password.expose(), "from-env");
/// assert_eq!(format!("{:?}", credentials.password), "***");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn resolve_credentials(
    url: &IceUrl,
    flag_user: Option<&str>,
    flag_pass: Option<&str>,
    env: &TurnEnv,
) -> Option<Credentials> {
    fn first_present(
        from_url: Option<&str>,
        from_flag: Option<&str>,
        from_env: Option<&str>,
    ) -> Option<String> {
        [from_url, from_flag, from_env]
            .into_iter()
            .flatten()
            .find(|value| !value.is_empty())
            .map(str::to_string)
    }

    let username = first_present(url.username.as_deref(), flag_user, env.username.as_deref())?;
    let password = first_present(
        url.password.as_ref().map(Secret::expose),
        flag_pass,
        env.password.as_ref().map(Secret::expose),
    )?;
    Some(Credentials { username, password: Secret(password) })
}

/// TURN REST API credentials (draft-uberti-behave-turn-rest, coturn's `use-auth-secret` with
/// `static-auth-secret`): the username is `EXPIRY:USER` (EXPIRY in seconds since the epoch; a
/// bare `EXPIRY` when `user` is empty), the password base64(HMAC-SHA1(secret, username)).
/// The secret never leaves this function; the password is a [`Secret`].
///
/// ```
/// use rtctool::core::ice::credentials::rest_credentials;
/// let c = rest_credentials("s3cr3t", "alice", 1_700_000_000);
/// assert_eq!(c.username, "1700000000:alice");
/// assert_eq!(c.password.expose().len(), 28); // 20 bytes of HMAC-SHA1 in base64
/// ```
pub fn rest_credentials(secret: &str, user: &str, expiry_unix: u64) -> Credentials {
    use base64::Engine;
    use hmac::{Hmac, KeyInit, Mac};
    let username = if user.is_empty() { expiry_unix.to_string() } else { format!("{expiry_unix}:{user}") };
    let password = match <Hmac<sha1::Sha1> as KeyInit>::new_from_slice(secret.as_bytes()) {
        Ok(mut mac) => {
            mac.update(username.as_bytes());
            base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
        }
        // HMAC takes keys of any length.
        Err(_) => String::new(),
    };
    Credentials { username, password: Secret::new(password) }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXPECTED: &str = "81mjszbESz91Gv1n2xG/SVLX+uY=";

    #[test]
    fn rest_credentials_as_coturn_computes_them() {
        // Computed with `printf '%s' 1700000000:alice | openssl dgst -sha1 -hmac s3cr3t -binary | base64`.
        let c = rest_credentials("s3cr3t", "alice", 1_700_000_000);
        assert_eq!(c.username, "1700000000:alice");
        assert_eq!(c.password.expose(), EXPECTED);
        assert_eq!(rest_credentials("s3cr3t", "", 1_700_000_000).username, "1700000000");
        assert!(!format!("{c:?}").contains(EXPECTED), "the password is never printed");
    }

    #[test]
    fn secret_is_never_printed() {
        let secret = Secret::new("hunter2");
        assert_eq!(secret.to_string(), "***");
        assert_eq!(format!("{secret:?}"), "***");
        assert_eq!(format!("{secret:#?}"), "***");
        assert_eq!(secret.expose(), "hunter2");
        assert!(!secret.is_empty());
        assert_eq!(Secret::from("x"), Secret::from("x".to_string()));
        let credentials = Credentials { username: "alice".into(), password: secret };
        let debug = format!("{credentials:?}");
        assert!(debug.contains("alice") && !debug.contains("hunter2"), "{debug}");
    }

    #[test]
    fn credentials_precedence_url_then_flags_then_env() {
        let env = TurnEnv { username: Some("env-user".into()), password: Some(Secret::new("env-pass")) };
        let resolve = |input: &str, user: Option<&str>, pass: Option<&str>| {
            resolve_credentials(&IceUrl::parse(input).unwrap(), user, pass, &env)
                .map(|credentials| (credentials.username, credentials.password.expose().to_string()))
        };
        let pair = |user: &str, pass: &str| Some((user.to_string(), pass.to_string()));

        assert_eq!(resolve("turn:u:p@h", Some("fu"), Some("fp")), pair("u", "p"));
        assert_eq!(resolve("turn:h", Some("fu"), Some("fp")), pair("fu", "fp"));
        assert_eq!(resolve("turn:h", None, None), pair("env-user", "env-pass"));
        // Field by field: user from the URL, password from a flag or the environment.
        assert_eq!(resolve("turn:u@h", Some("fu"), Some("fp")), pair("u", "fp"));
        assert_eq!(resolve("turn:u@h", None, None), pair("u", "env-pass"));
        assert_eq!(resolve("turn:h", Some("fu"), None), pair("fu", "env-pass"));
        // Empty flags count as absent.
        assert_eq!(resolve("turn:h", Some(""), Some("")), pair("env-user", "env-pass"));
    }

    #[test]
    fn credentials_need_both_parts() {
        let none = TurnEnv::default();
        assert_eq!(resolve_credentials(&IceUrl::parse("turn:h").unwrap(), None, None, &none), None);
        assert_eq!(resolve_credentials(&IceUrl::parse("turn:u@h").unwrap(), None, None, &none), None);
        assert_eq!(resolve_credentials(&IceUrl::parse("turn:h").unwrap(), None, Some("p"), &none), None);
        let empty = TurnEnv { username: Some(String::new()), password: Some(Secret::new("")) };
        assert_eq!(resolve_credentials(&IceUrl::parse("turn:h").unwrap(), None, None, &empty), None);
        let found = resolve_credentials(&IceUrl::parse("turn:h").unwrap(), Some("u"), Some("p"), &none);
        assert_eq!(found, Some(Credentials { username: "u".into(), password: Secret::new("p") }));
    }
}
