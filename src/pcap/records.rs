//! The JSON side of `pcap decode`: message records serialized straight into the output (no
//! intermediate `serde_json::Value` per message), and the `--json` document written as it goes,
//! so memory stays flat whatever the capture's size.

use std::fs::File;
use std::io::{self, Read, Seek, Write};

use std::net::SocketAddr;

use serde::{Serialize, Serializer};
use serde_json::Value;

use crate::core::stun::DecodeReport;

/// Serialize through `Display` (addresses as `ip:port`, `[ip6]:port`).
fn display<T: std::fmt::Display, S: Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

/// One decoded message: where and when, then what (the stable keys of DESIGN.md).
#[derive(Serialize)]
pub struct MessageRecord<'a> {
    pub frame: u64,
    pub time: f64,
    pub time_relative: f64,
    #[serde(serialize_with = "display")]
    pub src: SocketAddr,
    #[serde(serialize_with = "display")]
    pub dst: SocketAddr,
    pub transport: &'static str,
    #[serde(flatten)]
    pub body: Option<RecordBody<'a>>,
    #[serde(flatten)]
    pub transaction: Option<TransactionRecord>,
}

/// What the message is.
#[derive(Serialize)]
#[serde(untagged)]
pub enum RecordBody<'a> {
    /// STUN or ChannelData: the shared decode report.
    Report(&'a DecodeReport),
    /// DTLS, RTP, RTCP, ZRTP or other: the kind and the dissector's fields.
    Other {
        kind: &'static str,
        via: Option<&'static str>,
        #[serde(flatten)]
        fields: Value,
    },
}

/// A STUN message's place in its transaction.
#[derive(Serialize)]
pub struct TransactionRecord {
    pub response_to: Option<u64>,
    pub rtt_ms: Option<f64>,
    pub retransmission: bool,
}

/// A request never answered.
#[derive(Serialize)]
pub struct UnansweredRecord<'a> {
    pub frame: u64,
    #[serde(serialize_with = "display")]
    pub src: SocketAddr,
    #[serde(serialize_with = "display")]
    pub dst: SocketAddr,
    pub method: String,
    pub transaction_id: &'a str,
    pub sends: u32,
}

/// A problem with a frame (`frame` 0: with the capture as a whole).
#[derive(Serialize)]
pub struct ProblemRecord<'a> {
    /// The packet's frame; `null` for a problem of the capture as a whole (a damaged record,
    /// a table's bound).
    pub frame: Option<u64>,
    pub message: &'a str,
}

/// Write `value` as one compact JSON line.
pub fn write_line<T: Serialize>(out: &mut Vec<u8>, value: &T) {
    // Serializing these types into a Vec cannot fail: their maps have string keys and the
    // numbers are finite or null.
    let _ = serde_json::to_writer(&mut *out, value);
    out.push(b'\n');
}

/// In-memory text that moves to an unnamed temporary file once it passes a bound: the
/// `problems` of a `--json` document, which come last but can be many on a hostile capture.
pub struct Spill {
    memory: Vec<u8>,
    file: Option<File>,
    /// No temporary file could be made: everything stays in memory rather than be lost.
    no_file: bool,
    /// Bytes in the file that were written whole.
    written: u64,
    limit: usize,
    /// Entries appended.
    pub count: u64,
}

impl Spill {
    /// A spill keeping up to `limit` bytes in memory.
    pub fn new(limit: usize) -> Self {
        Spill { memory: Vec::new(), file: None, no_file: false, written: 0, limit, count: 0 }
    }

    /// Append an entry (its bytes as they will be written). When the temporary file cannot be
    /// made or written, what it holds stays in memory.
    pub fn push(&mut self, entry: &[u8]) {
        self.count += 1;
        self.memory.extend_from_slice(entry);
        if self.memory.len() <= self.limit || self.no_file {
            return;
        }
        if self.file.is_none() {
            match anonymous_file() {
                Ok(f) => self.file = Some(f),
                Err(_) => {
                    self.no_file = true;
                    return;
                }
            }
        }
        if let Some(file) = &mut self.file {
            if file.write_all(&self.memory).is_ok() {
                self.written += self.memory.len() as u64;
                self.memory.clear();
            } else {
                // The file keeps what was written whole; the rest stays in memory from now on.
                self.no_file = true;
            }
        }
    }

    /// Copy everything appended, in order, to `out` in pieces of at most `piece` bytes.
    pub fn drain(&mut self, piece: usize, mut out: impl FnMut(&[u8])) -> io::Result<()> {
        if let Some(mut file) = self.file.take() {
            file.rewind()?;
            let mut file = file.take(self.written);
            let mut buf = vec![0u8; piece.max(1)];
            loop {
                let n = file.read(&mut buf)?;
                if n == 0 {
                    break;
                }
                out(&buf[..n]);
            }
        }
        for chunk in self.memory.chunks(piece.max(1)) {
            out(chunk);
        }
        self.memory.clear();
        Ok(())
    }
}

/// A read-write file in the temporary directory that has no name (removed once open).
fn anonymous_file() -> io::Result<File> {
    let dir = std::env::temp_dir();
    let stamp =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos();
    for attempt in 0..16u32 {
        let path = dir.join(format!("rtctool-{}-{stamp}-{attempt}.tmp", std::process::id()));
        let mut options = std::fs::OpenOptions::new();
        options.read(true).write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        match options.open(&path) {
            Ok(file) => {
                std::fs::remove_file(&path)?;
                return Ok(file);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::other(format!("no free temporary file name in {}", dir.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spill_gives_back_what_it_took_in_order_past_its_bound() {
        for limit in [0, 7, 1 << 20] {
            let mut spill = Spill::new(limit);
            let mut expected = Vec::new();
            for i in 0..1000 {
                let entry = format!("{{\"frame\":{i}}},\n");
                spill.push(entry.as_bytes());
                expected.extend_from_slice(entry.as_bytes());
            }
            assert_eq!(spill.count, 1000);
            assert_eq!(spill.file.is_some(), limit < expected.len(), "limit {limit}");
            let mut got = Vec::new();
            spill.drain(100, |b| got.extend_from_slice(b)).unwrap();
            assert_eq!(got, expected, "limit {limit}");
        }
    }
}
