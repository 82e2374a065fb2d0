//! TLS for `turns:` and `stuns:` (rustls, client side, ring provider), over a blocking
//! `TcpStream`: the handshake runs in the connecting thread, bounded by the gathering deadline;
//! then one thread reads (and decrypts) while the main loop writes, the connection state shared
//! behind a mutex that neither holds while blocked on the socket.
//!
//! The server certificate is checked against the system's CA bundle (or `--ca-file`) and the
//! server's name, IP addresses included; `--insecure` skips the check, and says so.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, ClientConnection, DigitallySignedStruct, RootCertStore, SignatureScheme};

/// TLS settings.
#[derive(Debug, Clone, Default)]
pub struct TlsOptions {
    /// Skip the server certificate check (`--insecure`).
    pub insecure: bool,
    /// Trust the CA certificates of this PEM file instead of the system's.
    pub ca_file: Option<PathBuf>,
}

/// Where Linux and BSD distributions keep their CA bundle.
const SYSTEM_BUNDLES: [&str; 5] = [
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/ssl/cert.pem",
    "/usr/local/share/certs/ca-root-nss.crt",
];

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn load_roots(path: &Path) -> Result<RootCertStore, String> {
    let mut roots = RootCertStore::empty();
    let certs =
        CertificateDer::pem_file_iter(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    for cert in certs {
        let cert = cert.map_err(|e| format!("reading {}: {e}", path.display()))?;
        // A bundle may hold certificates webpki cannot use; the others still count.
        let _ = roots.add(cert);
    }
    if roots.is_empty() {
        return Err(format!("{}: no usable CA certificate", path.display()));
    }
    Ok(roots)
}

/// The trust anchors: `--ca-file`, else `SSL_CERT_FILE`, else the system bundle.
fn roots(opts: &TlsOptions) -> Result<RootCertStore, String> {
    if let Some(path) = &opts.ca_file {
        return load_roots(path);
    }
    if let Some(path) = std::env::var_os("SSL_CERT_FILE") {
        return load_roots(Path::new(&path));
    }
    for path in SYSTEM_BUNDLES {
        if Path::new(path).exists() {
            return load_roots(Path::new(path));
        }
    }
    Err("no system CA bundle found (give one with --ca-file, or --insecure)".into())
}

/// Check the configuration before any connection: a bad `--ca-file` is the user's error, said
/// once, not a failure per server.
pub fn check(opts: &TlsOptions) -> Result<(), String> {
    if opts.insecure {
        return Ok(());
    }
    roots(opts).map(|_| ())
}

fn config(opts: &TlsOptions) -> Result<ClientConfig, String> {
    let builder = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?;
    let config = if opts.insecure {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NoVerification(provider())))
            .with_no_client_auth()
    } else {
        builder.with_root_certificates(roots(opts)?).with_no_client_auth()
    };
    Ok(config)
}

/// What a handshake error means, for people.
fn describe(e: &rustls::Error, name: &str) -> String {
    use rustls::{CertificateError, Error};
    match e {
        Error::InvalidCertificate(CertificateError::UnknownIssuer) => {
            "the server's certificate is not signed by a trusted CA (self-signed? use --ca-file, or --insecure)".into()
        }
        Error::InvalidCertificate(CertificateError::NotValidForName)
        | Error::InvalidCertificate(CertificateError::NotValidForNameContext { .. }) => {
            format!("the server's certificate is not valid for {name}")
        }
        Error::InvalidCertificate(CertificateError::Expired)
        | Error::InvalidCertificate(CertificateError::ExpiredContext { .. }) => {
            "the server's certificate has expired".into()
        }
        Error::InvalidCertificate(CertificateError::NotValidYet)
        | Error::InvalidCertificate(CertificateError::NotValidYetContext { .. }) => {
            "the server's certificate is not valid yet (check the clock)".into()
        }
        Error::InvalidCertificate(other) => format!("the server's certificate was refused: {other:?}"),
        Error::AlertReceived(alert) => format!("the server sent the TLS alert {alert:?}"),
        Error::InvalidMessage(_) | Error::InappropriateMessage { .. } => {
            format!("not a TLS server (or not speaking TLS on this port): {e}")
        }
        other => other.to_string(),
    }
}

struct Shared {
    conn: ClientConnection,
}

/// One TLS connection, cloned into a reading half and a writing half.
#[derive(Clone)]
pub struct TlsStream {
    tcp: Arc<TcpStream>,
    shared: Arc<Mutex<Shared>>,
    /// Decrypted bytes not yet handed out (reading half only).
    pending: Vec<u8>,
}

impl std::fmt::Debug for TlsStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsStream").finish_non_exhaustive()
    }
}

impl TlsStream {
    fn lock(&self) -> std::sync::MutexGuard<'_, Shared> {
        self.shared.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Encrypt and send.
    pub fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        let tcp = self.tcp.clone();
        let mut shared = self.lock();
        shared.conn.writer().write_all(bytes)?;
        while shared.conn.wants_write() {
            shared.conn.write_tls(&mut &*tcp)?;
        }
        Ok(())
    }

    /// Bound each read of the socket (a read then fails with `WouldBlock` or `TimedOut`, and
    /// can be tried again: no TLS state is lost).
    pub fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.tcp.set_read_timeout(timeout)
    }

    /// Send close_notify and shut the socket down (unblocking the reader).
    pub fn shutdown(&self) {
        {
            let mut shared = self.lock();
            shared.conn.send_close_notify();
            while shared.conn.wants_write() {
                if shared.conn.write_tls(&mut &*self.tcp).is_err() {
                    break;
                }
            }
        }
        let _ = self.tcp.shutdown(Shutdown::Both);
    }
}

impl Read for TlsStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut raw = [0u8; 16_384];
        loop {
            if !self.pending.is_empty() {
                let n = buf.len().min(self.pending.len());
                buf[..n].copy_from_slice(&self.pending[..n]);
                self.pending.drain(..n);
                return Ok(n);
            }
            // Block on the socket without the lock, so the writer is never held up.
            let n = (&*self.tcp).read(&mut raw)?;
            if n == 0 {
                return Ok(0);
            }
            let tcp = self.tcp.clone();
            let mut shared = self.lock();
            shared.conn.read_tls(&mut &raw[..n])?;
            let state = shared
                .conn
                .process_new_packets()
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("TLS: {e}")))?;
            let mut plain = vec![0u8; state.plaintext_bytes_to_read()];
            if !plain.is_empty() {
                shared.conn.reader().read_exact(&mut plain)?;
            }
            while shared.conn.wants_write() {
                shared.conn.write_tls(&mut &*tcp)?;
            }
            let closed = state.peer_has_closed();
            drop(shared);
            self.pending.extend_from_slice(&plain);
            if closed && self.pending.is_empty() {
                return Ok(0);
            }
        }
    }
}

/// Run the TLS handshake over a connected socket, by `deadline`; `name` is the server's host
/// name or IP address as written in the URL.
pub fn connect(
    tcp: TcpStream,
    name: &str,
    opts: &TlsOptions,
    deadline: Instant,
) -> Result<TlsStream, String> {
    let server_name = ServerName::try_from(name.to_string()).map_err(|e| format!("{name}: {e}"))?;
    let mut conn = ClientConnection::new(Arc::new(config(opts)?), server_name).map_err(|e| e.to_string())?;
    let mut sock = &tcp;
    while conn.is_handshaking() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err("the TLS handshake did not finish in time".into());
        }
        tcp.set_read_timeout(Some(left.max(Duration::from_millis(1)))).map_err(|e| e.to_string())?;
        match conn.complete_io(&mut sock) {
            Ok(_) => {}
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {
                return Err("the TLS handshake did not finish in time (no answer)".into());
            }
            Err(e) => {
                // complete_io wraps rustls errors in io::Error; unwrap them for a good message.
                let inner = e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()).cloned();
                return Err(match inner {
                    Some(tls) => describe(&tls, name),
                    None if e.kind() == io::ErrorKind::UnexpectedEof => {
                        "the server closed the connection during the TLS handshake".into()
                    }
                    None => e.to_string(),
                });
            }
        }
    }
    tcp.set_read_timeout(None).map_err(|e| e.to_string())?;
    Ok(TlsStream { tcp: Arc::new(tcp), shared: Arc::new(Mutex::new(Shared { conn })), pending: Vec::new() })
}

/// `--insecure`: accept any certificate, still checking the handshake signatures.
#[derive(Debug)]
struct NoVerification(Arc<CryptoProvider>);

impl ServerCertVerifier for NoVerification {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
