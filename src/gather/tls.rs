//! TLS for `turns:` and `stuns:`: not supported yet.

use std::io::{self, Read};
use std::net::TcpStream;
use std::path::PathBuf;
use std::time::Instant;

/// TLS settings.
#[derive(Debug, Clone, Default)]
pub struct TlsOptions {
    /// Skip the server certificate check (`--insecure`).
    pub insecure: bool,
    /// Trust these CA certificates (PEM) instead of the system's.
    pub ca_file: Option<PathBuf>,
}

/// A TLS connection (placeholder until TLS is supported).
#[derive(Debug, Clone)]
pub struct TlsStream(());

impl TlsStream {
    /// Send bytes.
    pub fn write_all(&mut self, _bytes: &[u8]) -> io::Result<()> {
        Err(io::Error::other("TLS is not supported yet"))
    }

    /// Close.
    pub fn shutdown(&self) {}
}

impl Read for TlsStream {
    fn read(&mut self, _buf: &mut [u8]) -> io::Result<usize> {
        Err(io::Error::other("TLS is not supported yet"))
    }
}

/// Establish TLS over a connected socket.
pub fn connect(
    _tcp: TcpStream,
    _name: &str,
    _opts: &TlsOptions,
    _deadline: Instant,
) -> Result<TlsStream, String> {
    Err("TLS (turns:, stuns:) is not supported yet".into())
}
