//! `rtctool stun decode`: decode and verify one STUN/TURN message or ChannelData frame pasted
//! from a log.

mod input;

use std::io::{self, Write};

use crate::core::output::{self, Mode, Output};
use crate::core::stun::{Credentials, DecodeReport, Frame, Severity};
use crate::{Error, Outcome, Result};

pub use input::{decode_text, read_input, Encoding};

/// What `stun decode` is asked.
#[derive(Debug, Clone, Default)]
pub struct DecodeOptions {
    /// The message: hex, base64, a file path, or `-` for standard input.
    pub input: String,
    /// Read the input as this encoding instead of detecting it.
    pub encoding: Option<Encoding>,
    /// The password for MESSAGE-INTEGRITY (short-term, or long-term with a username or realm).
    pub password: Option<String>,
    /// The long-term username (default: the message's USERNAME).
    pub username: Option<String>,
    /// The long-term realm (default: the message's REALM).
    pub realm: Option<String>,
}

/// `rtctool stun decode`.
pub fn decode(args: DecodeOptions, out: &Output) -> Result<Outcome> {
    let (bytes, encoding) = read_input(&args.input, args.encoding)?;
    if args.password.is_none() && (args.username.is_some() || args.realm.is_some()) {
        return Err(Error::usage("--username and --realm need --password"));
    }
    let credentials =
        args.password.map(|password| Credentials { username: args.username, realm: args.realm, password });

    let frame = Frame::parse(&bytes)
        .map_err(|e| Error::input(format!("{} bytes of {encoding}: {e}", bytes.len())))?;
    let report = DecodeReport::decode(frame, credentials.as_ref())
        .map_err(|e| Error::input(format!("{} bytes of {encoding}: {e}", bytes.len())))?;

    let stdout = io::stdout();
    let mut w = stdout.lock();
    let written = match out.mode {
        Mode::Json => output::write_json(&mut w, &report),
        Mode::Ndjson => write_records(&mut w, &report),
        Mode::Human if out.quiet && !report.has_errors() => Ok(()),
        Mode::Human if out.verbose > 0 => write!(w, "{}\n{}", output::decode_tree(&report), hex_dump(&bytes)),
        Mode::Human => write!(w, "{}", output::decode_tree(&report)),
    };
    written.map_err(Error::output)?;

    if report.has_errors() {
        let first = first_error(&report).unwrap_or_default();
        return Err(Error::input(format!("the message is damaged or failed a check: {first}")));
    }
    Ok(Outcome::Clean)
}

/// A hex dump with offsets, 16 bytes a line, in the layout `stun decode` itself reads back.
fn hex_dump(bytes: &[u8]) -> String {
    let mut s = String::new();
    for (i, chunk) in bytes.chunks(16).enumerate() {
        let hex: Vec<String> =
            chunk.iter().map(|b| crate::core::stun::hex(std::slice::from_ref(b))).collect();
        let ascii: String =
            chunk.iter().map(|&b| if b.is_ascii_graphic() || b == b' ' { b as char } else { '.' }).collect();
        s.push_str(&format!("{:04x}  {:<48} {ascii}\n", i * 16, hex.join(" ")));
    }
    s
}

/// NDJSON: the frame, then each message found inside it, one line each.
fn write_records<W: Write>(w: &mut W, report: &DecodeReport) -> io::Result<()> {
    let mut top = report.clone();
    let inner = std::mem::take(&mut top.inner);
    output::write_ndjson(w, &top)?;
    for r in &inner {
        write_records(w, r)?;
    }
    Ok(())
}

fn first_error(report: &DecodeReport) -> Option<String> {
    report
        .problems
        .iter()
        .find(|p| p.severity == Severity::Error)
        .map(|p| match p.offset {
            Some(o) => format!("at offset {o}: {}", p.message),
            None => p.message.clone(),
        })
        .or_else(|| report.inner.iter().find_map(first_error))
}
