//! The exporter's configuration file (TOML): probe modules (credentials, timeout, relay test,
//! address family, TLS), background targets, and the server's limits. Everything is checked
//! when the file is loaded, and every error names the file and the line: a key with a typo, a
//! duration that is not one, a target whose module does not exist, a secret file that cannot
//! be read. Secrets come from files or environment variables, never from the file itself or a
//! URL, and are read once, at load.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use crate::core::ice::{
    credentials::{read_secret_file, rest_credentials},
    url::parse_server,
    Credentials, IceUrl, Scheme, Secret,
};
use crate::core::tls::TlsOptions;
use crate::core::units::parse_duration;

/// The name of the module a `/probe` without `module` uses.
pub const DEFAULT_MODULE: &str = "default";

/// Largest configuration file read.
const CONFIG_CAP: u64 = 1 << 20;

/// A loaded, checked configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Modules by name (`default` is always there).
    pub modules: BTreeMap<String, Module>,
    /// Targets probed in the background.
    pub targets: Vec<Target>,
    /// What the server may spend.
    pub limits: Limits,
}

impl Default for Config {
    /// No file: the default module only, no background targets, the default limits.
    fn default() -> Self {
        let mut modules = BTreeMap::new();
        modules.insert(DEFAULT_MODULE.to_string(), Module::builtin());
        Config { modules, targets: Vec::new(), limits: Limits::default() }
    }
}

/// Bounds on what clients can make the exporter spend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Probes running at once (scrapes and background targets together).
    pub max_concurrent_probes: usize,
    /// Open HTTP connections.
    pub max_connections: usize,
    /// Time to read a request (and to write its answer).
    pub request_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_concurrent_probes: 16, max_connections: 256, request_timeout: Duration::from_secs(10) }
    }
}

/// Where a module's TURN credentials come from.
#[derive(Debug, Clone)]
pub enum Auth {
    /// None (STUN targets, or open TURN servers).
    None,
    /// Long-term credentials.
    Static {
        /// The username.
        username: String,
        /// The password.
        password: Secret,
    },
    /// TURN REST credentials made from a shared secret for each probe.
    Rest {
        /// The user part of `EXPIRY:USER`.
        user: String,
        /// coturn's `static-auth-secret`.
        secret: Secret,
        /// How long the credentials are valid.
        ttl: Duration,
    },
}

/// How targets are probed.
#[derive(Debug, Clone)]
pub struct Module {
    /// Its name.
    pub name: String,
    /// TURN credentials.
    pub auth: Auth,
    /// Bounds the probe (DNS, connection, every transaction; the relay test takes up to 2 s
    /// more, releasing the allocation up to 1 s).
    pub timeout: Duration,
    /// Run the relay test after an allocation.
    pub relay_test: bool,
    /// Probe from IPv4 addresses.
    pub ipv4: bool,
    /// Probe from IPv6 addresses.
    pub ipv6: bool,
    /// TLS for `turns:`/`stuns:`.
    pub tls: TlsOptions,
}

impl Module {
    /// The built-in default module: no credentials, 3 s, relay test on, both families.
    pub fn builtin() -> Self {
        Module {
            name: DEFAULT_MODULE.into(),
            auth: Auth::None,
            timeout: Duration::from_secs(3),
            relay_test: true,
            ipv4: true,
            ipv6: true,
            tls: TlsOptions::default(),
        }
    }

    /// The credentials for a probe starting at `now_unix` (REST ones are made afresh).
    pub fn credentials(&self, now_unix: u64) -> Option<Credentials> {
        match &self.auth {
            Auth::None => None,
            Auth::Static { username, password } => {
                Some(Credentials { username: username.clone(), password: password.clone() })
            }
            Auth::Rest { user, secret, ttl } => {
                Some(rest_credentials(secret.expose(), user, now_unix + ttl.as_secs()))
            }
        }
    }

    /// The longest a probe with this module can take: the timeout, the relay test, the release.
    pub fn budget(&self) -> Duration {
        let relay = if self.relay_test { self.timeout.min(Duration::from_secs(2)) } else { Duration::ZERO };
        self.timeout + relay + self.timeout.min(Duration::from_secs(1))
    }
}

/// A target probed in the background and reported on `/metrics`.
#[derive(Debug, Clone)]
pub struct Target {
    /// The server.
    pub url: IceUrl,
    /// The URL as written (it carries no credentials): the `target` label.
    pub label: String,
    /// Its module.
    pub module: String,
    /// How often.
    pub interval: Duration,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    exporter: Option<ExporterSection>,
    #[serde(default)]
    module: BTreeMap<String, Spanned<ModuleSection>>,
    #[serde(default)]
    target: Vec<Spanned<TargetSection>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExporterSection {
    max_concurrent_probes: Option<Spanned<usize>>,
    max_connections: Option<Spanned<usize>>,
    request_timeout: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ModuleSection {
    username: Option<String>,
    password_file: Option<Spanned<String>>,
    password_env: Option<Spanned<String>>,
    auth_secret_file: Option<Spanned<String>>,
    auth_secret_env: Option<Spanned<String>>,
    auth_ttl: Option<Spanned<String>>,
    timeout: Option<Spanned<String>>,
    relay_test: Option<bool>,
    family: Option<Spanned<String>>,
    insecure: Option<bool>,
    ca_file: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TargetSection {
    url: Spanned<String>,
    module: Option<Spanned<String>>,
    interval: Option<Spanned<String>>,
}

/// Where an error is: the file and a line.
struct Place<'a> {
    path: &'a str,
    text: &'a str,
}

impl Place<'_> {
    fn at<T>(&self, spanned: &Spanned<T>, what: impl std::fmt::Display) -> String {
        let line = self.text[..spanned.span().start.min(self.text.len())].matches('\n').count() + 1;
        format!("{}: line {line}: {what}", self.path)
    }
}

/// Read and check a configuration file; `env` looks up environment variables.
pub fn load(path: &Path, env: &dyn Fn(&str) -> Option<String>) -> Result<Config, String> {
    use std::io::Read;
    let shown = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|e| format!("reading {shown}: {e}"))?;
    let mut bytes = Vec::new();
    file.take(CONFIG_CAP + 1).read_to_end(&mut bytes).map_err(|e| format!("reading {shown}: {e}"))?;
    if bytes.len() as u64 > CONFIG_CAP {
        return Err(format!("{shown}: larger than {} KiB: not a configuration file", CONFIG_CAP >> 10));
    }
    let text = String::from_utf8(bytes).map_err(|_| format!("{shown}: not UTF-8 text"))?;
    parse(&shown, &text, env)
}

/// Check a configuration's text (`path` names it in errors).
pub fn parse(path: &str, text: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Config, String> {
    let file: File = toml::from_str(text).map_err(|e| format!("{path}: {}", e.to_string().trim_end()))?;
    let place = Place { path, text };
    let Config { mut modules, mut targets, mut limits } = Config::default();
    if let Some(e) = file.exporter {
        if let Some(n) = e.max_concurrent_probes {
            if !(1..=1024).contains(n.get_ref()) {
                return Err(place.at(&n, "max_concurrent_probes must be 1 to 1024"));
            }
            limits.max_concurrent_probes = *n.get_ref();
        }
        if let Some(n) = e.max_connections {
            if !(1..=65_536).contains(n.get_ref()) {
                return Err(place.at(&n, "max_connections must be 1 to 65536"));
            }
            limits.max_connections = *n.get_ref();
        }
        if let Some(t) = e.request_timeout {
            limits.request_timeout = duration(&place, &t, "request_timeout")?;
        }
    }
    for (name, section) in &file.module {
        modules.insert(name.clone(), module(&place, name, section, env)?);
    }
    for t in &file.target {
        let section = t.get_ref();
        let module = match &section.module {
            Some(m) if !modules.contains_key(m.get_ref()) => {
                let known: Vec<&str> = modules.keys().map(String::as_str).collect();
                return Err(
                    place.at(m, format!("no module \"{}\" (modules: {})", m.get_ref(), known.join(", ")))
                );
            }
            Some(m) => m.get_ref().clone(),
            None => DEFAULT_MODULE.to_string(),
        };
        let url = target_url(section.url.get_ref()).map_err(|e| place.at(&section.url, e))?;
        let interval = match &section.interval {
            Some(i) => duration(&place, i, "interval")?,
            None => Duration::from_secs(30),
        };
        if interval < Duration::from_secs(1) {
            return Err(place.at(section.interval.as_ref().unwrap_or(&section.url), "interval: at least 1s"));
        }
        targets.push(Target { url, label: section.url.get_ref().clone(), module, interval });
    }
    Ok(Config { modules, targets, limits })
}

fn duration(place: &Place<'_>, value: &Spanned<String>, key: &str) -> Result<Duration, String> {
    let d = parse_duration(value.get_ref()).map_err(|e| place.at(value, format!("{key}: {e}")))?;
    if d.is_zero() {
        return Err(place.at(value, format!("{key}: must be more than 0")));
    }
    Ok(d)
}

fn module(
    place: &Place<'_>,
    name: &str,
    section: &Spanned<ModuleSection>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Module, String> {
    let m = section.get_ref();
    let mut out = Module::builtin();
    out.name = name.to_string();
    let in_module = |what: String| format!("module {name}: {what}");
    let secret = |file: &Option<Spanned<String>>, var: &Option<Spanned<String>>, what: &str| match (file, var)
    {
        (Some(f), Some(_)) => Err(place.at(f, in_module(format!("{what}_file and {what}_env: give one")))),
        (Some(f), None) => {
            let s = read_secret_file(Path::new(f.get_ref())).map_err(|e| place.at(f, in_module(e)))?;
            if s.is_empty() {
                return Err(place.at(f, in_module(format!("{}: its first line is empty", f.get_ref()))));
            }
            Ok(Some(s))
        }
        (None, Some(v)) => match env(v.get_ref()) {
            Some(s) if !s.is_empty() => Ok(Some(Secret::new(s))),
            _ => Err(place.at(v, in_module(format!("the environment variable {} is not set", v.get_ref())))),
        },
        (None, None) => Ok(None),
    };
    let password = secret(&m.password_file, &m.password_env, "password")?;
    let auth_secret = secret(&m.auth_secret_file, &m.auth_secret_env, "auth_secret")?;
    out.auth = match (password, auth_secret, &m.username) {
        (Some(_), Some(_), _) => {
            return Err(place.at(section, in_module("a password and an auth secret: give one".into())))
        }
        (Some(password), None, Some(username)) => Auth::Static { username: username.clone(), password },
        (Some(_), None, None) => {
            return Err(place.at(section, in_module("a password needs a username".into())))
        }
        (None, Some(secret), user) => {
            let ttl = match &m.auth_ttl {
                Some(t) => duration(place, t, "auth_ttl")?,
                None => Duration::from_secs(86_400),
            };
            Auth::Rest { user: user.clone().unwrap_or_default(), secret, ttl }
        }
        (None, None, Some(_)) => {
            return Err(place.at(
                section,
                in_module(
                    "a username without password_file, password_env, auth_secret_file or auth_secret_env"
                        .into(),
                ),
            ))
        }
        (None, None, None) => Auth::None,
    };
    if let (Some(t), false) = (&m.auth_ttl, matches!(out.auth, Auth::Rest { .. })) {
        return Err(place.at(t, in_module("auth_ttl goes with auth_secret_file or auth_secret_env".into())));
    }
    if let Some(t) = &m.timeout {
        out.timeout = duration(place, t, "timeout")?;
        if out.timeout > Duration::from_secs(60) {
            return Err(place.at(t, in_module("timeout: at most 60s".into())));
        }
    }
    if let Some(r) = m.relay_test {
        out.relay_test = r;
    }
    if let Some(f) = &m.family {
        (out.ipv4, out.ipv6) = match f.get_ref().as_str() {
            "ipv4" => (true, false),
            "ipv6" => (false, true),
            "any" => (true, true),
            other => return Err(place.at(f, in_module(format!("family \"{other}\": ipv4, ipv6 or any")))),
        };
    }
    out.tls.insecure = m.insecure.unwrap_or(false);
    if let Some(ca) = &m.ca_file {
        out.tls.ca_file = Some(ca.get_ref().into());
        crate::core::tls::check(&out.tls).map_err(|e| place.at(ca, in_module(format!("ca_file: {e}"))))?;
    }
    Ok(out)
}

/// A target URL: `stun:`, `stuns:`, `turn:` or `turns:` (a bare host is STUN), with no
/// credentials in it (they would end up in labels and logs: they belong in a module).
pub fn target_url(value: &str) -> Result<IceUrl, String> {
    let url = parse_server(value, Scheme::Stun)
        .map_err(|e| format!("target {}: {e}", crate::gather::redact(value)))?;
    if url.username.is_some() || url.password.is_some() {
        return Err(format!(
            "target {}: credentials do not go in the target URL (they would be stored in labels); put them in a module",
            crate::gather::redact(value)
        ));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn a_full_file() {
        let env = |v: &str| (v == "TURN_SECRET").then(|| "s3cret".to_string());
        let text = r#"
[exporter]
max_concurrent_probes = 4

[module.turn_rest]
username = "probe"
auth_secret_env = "TURN_SECRET"
timeout = "2s"
family = "ipv4"

[module.stun_fast]
timeout = "500ms"
relay_test = false

[[target]]
url = "turn:turn1.example.org:3478?transport=udp"
module = "turn_rest"
interval = "30s"

[[target]]
url = "stun.example.org"
"#;
        let c = parse("exporter.toml", text, &env).unwrap();
        assert_eq!(c.limits.max_concurrent_probes, 4);
        assert_eq!(c.modules.len(), 3, "with the default module");
        let m = &c.modules["turn_rest"];
        assert!(
            matches!(&m.auth, Auth::Rest { user, ttl, .. } if user == "probe" && ttl.as_secs() == 86_400)
        );
        assert_eq!((m.timeout, m.ipv4, m.ipv6, m.relay_test), (Duration::from_secs(2), true, false, true));
        let creds = m.credentials(1000).unwrap();
        assert_eq!(creds.username, "87400:probe");
        assert_eq!(c.targets.len(), 2);
        assert_eq!(c.targets[1].module, DEFAULT_MODULE);
        assert_eq!(c.targets[1].url.scheme, Scheme::Stun);
        assert_eq!(m.budget(), Duration::from_secs(5));
    }

    #[test]
    fn errors_name_the_line() {
        let err = |text: &str| parse("x.toml", text, &no_env).unwrap_err();
        let e = err("[module.a]\ntimeout = \"3s\"\npasword_file = \"/p\"\n");
        assert!(e.contains("x.toml") && e.contains("line 3") && e.contains("pasword_file"), "{e}");
        let e = err("[module.a]\n\ntimeout = \"soon\"\n");
        assert!(e.starts_with("x.toml: line 3: timeout:"), "{e}");
        let e = err("[[target]]\nurl = \"turn:h\"\nmodule = \"nope\"\n");
        assert!(e.starts_with("x.toml: line 3: no module \"nope\""), "{e}");
        let e = err("[[target]]\nurl = \"turn:alice:pw@h\"\n");
        assert!(e.contains("line 2") && e.contains("credentials do not go") && !e.contains("pw"), "{e}");
        let e = err("[module.a]\npassword_env = \"NOT_SET_ANYWHERE\"\nusername = \"u\"\n");
        assert!(e.contains("line 2") && e.contains("NOT_SET_ANYWHERE is not set"), "{e}");
        let e = err("[module.a]\nusername = \"u\"\n");
        assert!(e.contains("a username without"), "{e}");
        let e = err("[module.a]\nfamily = \"ip4\"\n");
        assert!(e.contains("line 2") && e.contains("ipv4, ipv6 or any"), "{e}");
        let e = err("[[target]]\nurl = \"turn:h\"\ninterval = \"10ms\"\n");
        assert!(e.contains("line 3") && e.contains("at least 1s"), "{e}");
        let e = err("[module.a\n");
        assert!(e.starts_with("x.toml: TOML parse error at line 1"), "{e}");
    }

    #[test]
    fn target_urls() {
        assert!(target_url("turn:turn.example.org?transport=tcp").is_ok());
        assert!(target_url("turnx:host").is_err());
        assert!(target_url("turn:bob@host").unwrap_err().contains("credentials"));
    }
}
