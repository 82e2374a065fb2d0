//! TURN credentials and where they come from: the URL, then the flags, then the environment
//! (read by the command line, passed in as [`TurnEnv`]). Passwords are [`Secret`]s: no
//! `Display`, `Debug` or error message ever prints them.

use std::fmt;

use super::url::IceUrl;

/// Environment variable consulted for the TURN username when neither the URL nor a flag has one.
pub const ENV_TURN_USERNAME: &str = "RTCTOOL_TURN_USERNAME";
/// Environment variable consulted for the TURN password when neither the URL nor a flag has one.
pub const ENV_TURN_PASSWORD: &str = "RTCTOOL_TURN_PASSWORD";
/// Environment variable consulted for a TURN REST secret when no flag gives one.
pub const ENV_TURN_SECRET: &str = "RTCTOOL_TURN_SECRET";

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
    /// `RTCTOOL_TURN_SECRET`: a TURN REST secret, never printed.
    pub secret: Option<Secret>,
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
/// let env = TurnEnv { username: None, password: Some(Secret::new("from-env")), secret: None };
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

/// Where the TURN REST secret comes from and how long the credentials made with it live.
#[derive(Debug, Clone)]
pub struct RestOptions {
    /// `--auth-secret`.
    pub secret: Option<Secret>,
    /// `--auth-secret-file`: the first line.
    pub secret_file: Option<std::path::PathBuf>,
    /// `--auth-ttl`: how long from now the credentials are valid.
    pub ttl: std::time::Duration,
}

impl Default for RestOptions {
    fn default() -> Self {
        RestOptions { secret: None, secret_file: None, ttl: std::time::Duration::from_secs(86_400) }
    }
}

/// A TURN REST secret, settled: credentials are made from it per server.
#[derive(Debug, Clone)]
pub struct RestAuth {
    /// The shared secret (coturn's `static-auth-secret`).
    pub secret: Secret,
    /// Lifetime of the credentials made from it.
    pub ttl: std::time::Duration,
}

impl RestOptions {
    /// The secret to use: `--auth-secret`, else the file's first line, else
    /// `RTCTOOL_TURN_SECRET`; `None` when there is none (long-term credentials then).
    pub fn settle(&self, env: &TurnEnv) -> Result<Option<RestAuth>, String> {
        let secret = match (&self.secret, &self.secret_file, &env.secret) {
            (Some(s), _, _) => s.clone(),
            (None, Some(path), _) => read_secret_file(path)?,
            (None, None, Some(s)) => s.clone(),
            (None, None, None) => return Ok(None),
        };
        if secret.is_empty() {
            return Err("the TURN REST secret is empty".into());
        }
        Ok(Some(RestAuth { secret, ttl: self.ttl }))
    }
}

/// How much of a secret or password file is read: its first line is all that counts, and a
/// file that never ends (`/dev/zero`) must not be read to the end.
const SECRET_FILE_CAP: u64 = 64 << 10;

/// The TURN password of a command line: `--password`, else the first line of
/// `--password-file` (which must not be empty).
pub fn password_from(
    password: Option<&str>,
    file: Option<&std::path::Path>,
) -> Result<Option<String>, String> {
    match (password, file) {
        (Some(p), _) => Ok(Some(p.to_string())),
        (None, Some(path)) => {
            let secret = read_secret_file(path).map_err(|e| format!("the password file: {e}"))?;
            if secret.is_empty() {
                return Err(format!("the password file {}: its first line is empty", path.display()));
            }
            Ok(Some(secret.expose().to_string()))
        }
        (None, None) => Ok(None),
    }
}

/// The first line of a secret or password file, reading at most 64 KiB of it.
pub fn read_secret_file(path: &std::path::Path) -> Result<Secret, String> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    let mut bytes = Vec::new();
    file.take(SECRET_FILE_CAP)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("reading {}: {e}", path.display()))?;
    let line = bytes.split(|&b| b == b'\n').next().unwrap_or(&[]);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.len() as u64 == SECRET_FILE_CAP {
        return Err(format!("{}: no line end in the first {SECRET_FILE_CAP} bytes", path.display()));
    }
    let text =
        std::str::from_utf8(line).map_err(|_| format!("{}: the first line is not UTF-8", path.display()))?;
    Ok(Secret::new(text))
}

/// The TURN credentials of a server: REST credentials made from `rest` when there is a secret
/// (the user part from the URL, the flag or the environment, possibly empty), else
/// [`resolve_credentials`].
pub fn turn_credentials(
    url: &IceUrl,
    flag_user: Option<&str>,
    flag_pass: Option<&str>,
    env: &TurnEnv,
    rest: Option<&RestAuth>,
    now_unix: u64,
) -> Option<Credentials> {
    let Some(rest) = rest else { return resolve_credentials(url, flag_user, flag_pass, env) };
    let user = [url.username.as_deref(), flag_user, env.username.as_deref()]
        .into_iter()
        .flatten()
        .find(|u| !u.is_empty())
        .unwrap_or("");
    Some(rest_credentials(rest.secret.expose(), user, now_unix.saturating_add(rest.ttl.as_secs())))
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXPECTED: &str = "81mjszbESz91Gv1n2xG/SVLX+uY=";

    #[test]
    fn rest_secrets_come_from_the_flag_the_file_or_the_environment() {
        let env = TurnEnv { secret: Some(Secret::new("from-env")), ..TurnEnv::default() };
        let none = RestOptions::default();
        assert_eq!(none.settle(&TurnEnv::default()).unwrap().map(|r| r.secret), None);
        assert_eq!(none.settle(&env).unwrap().unwrap().secret, Secret::new("from-env"));
        let dir = std::env::temp_dir().join(format!("rtctool-secret-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("secret");
        std::fs::write(&file, "from-file\r\nsecond line\n").unwrap();
        let from_file = RestOptions { secret_file: Some(file.clone()), ..RestOptions::default() };
        assert_eq!(from_file.settle(&env).unwrap().unwrap().secret, Secret::new("from-file"));
        let flag = RestOptions { secret: Some(Secret::new("flag")), ..from_file };
        assert_eq!(flag.settle(&env).unwrap().unwrap().secret, Secret::new("flag"));
        std::fs::write(&file, vec![b'x'; 100_000]).unwrap();
        assert!(read_secret_file(&file).unwrap_err().contains("no line end"));
        #[cfg(unix)]
        assert!(read_secret_file(std::path::Path::new("/dev/zero")).is_err(), "bounded, and refused");
        let _ = std::fs::remove_dir_all(&dir);
        let url = IceUrl::parse("turn:bob@h").unwrap();
        let rest = RestAuth { secret: Secret::new("s3cr3t"), ttl: std::time::Duration::from_secs(100) };
        let c = turn_credentials(&url, Some("alice"), None, &TurnEnv::default(), Some(&rest), 1_699_999_900)
            .unwrap();
        assert_eq!(c.username, "1700000000:bob", "the URL's user first");
    }

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
        let env = TurnEnv {
            username: Some("env-user".into()),
            password: Some(Secret::new("env-pass")),
            secret: None,
        };
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
        let empty = TurnEnv { username: Some(String::new()), password: Some(Secret::new("")), secret: None };
        assert_eq!(resolve_credentials(&IceUrl::parse("turn:h").unwrap(), None, None, &empty), None);
        let found = resolve_credentials(&IceUrl::parse("turn:h").unwrap(), Some("u"), Some("p"), &none);
        assert_eq!(found, Some(Credentials { username: "u".into(), password: Secret::new("p") }));
    }
}
