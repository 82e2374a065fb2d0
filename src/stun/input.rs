//! Reading a message as people paste it: hex (any common spelling, hex dumps too), base64, or
//! raw bytes from a file or stdin.

use std::fmt;
use std::io::Read;

use base64::Engine;

use crate::{Error, Result};

/// How the input was encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// Hex text.
    Hex,
    /// Base64 text.
    Base64,
    /// Raw bytes.
    Raw,
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Encoding::Hex => "hex",
            Encoding::Base64 => "base64",
            Encoding::Raw => "raw input",
        })
    }
}

/// Bigger than any STUN message (64 KiB + header) with room for a hex dump of one.
const MAX_INPUT: u64 = 1 << 20;

/// Read `INPUT` (argument text, a file path, or `-` for stdin) and decode it. `forced` skips
/// detection.
pub fn read_input(input: &str, forced: Option<Encoding>) -> Result<(Vec<u8>, Encoding)> {
    let (content, source): (Vec<u8>, String) = if input == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .take(MAX_INPUT)
            .read_to_end(&mut buf)
            .map_err(|e| Error::input(format!("reading standard input: {e}")))?;
        (buf, "standard input".into())
    } else if std::path::Path::new(input).is_dir() {
        return Err(Error::input(format!("{input} is a directory, not a message")));
    } else if std::fs::metadata(input).is_ok() {
        // A file, or anything else that can be read like one: a FIFO, `<(...)`, a device,
        // read up to the same cap.
        let file = std::fs::File::open(input).map_err(|e| Error::input(format!("reading {input}: {e}")))?;
        let mut buf = Vec::new();
        file.take(MAX_INPUT)
            .read_to_end(&mut buf)
            .map_err(|e| Error::input(format!("reading {input}: {e}")))?;
        (buf, input.to_string())
    } else {
        return match forced {
            Some(Encoding::Raw) => {
                Err(Error::input(format!("{input}: no such file (--format raw reads a file)")))
            }
            Some(enc) => decode_text(input, enc).map(|b| (b, enc)).map_err(|e| Error::input(format!("{e}"))),
            None => detect_text(input).ok_or_else(|| {
                Error::input(format!(
                    "{}: not a file, and not hex or base64 text",
                    if input.len() > 40 {
                        format!("{}…", &input[..input.floor_char_boundary(40)])
                    } else {
                        input.to_string()
                    }
                ))
            }),
        };
    };
    if content.len() as u64 >= MAX_INPUT {
        return Err(Error::input(format!(
            "{source}: more than {MAX_INPUT} bytes; one message is at most 65,556"
        )));
    }
    match forced {
        Some(Encoding::Raw) => Ok((content, Encoding::Raw)),
        Some(enc) => {
            let text = std::str::from_utf8(&content)
                .map_err(|_| Error::input(format!("{source}: not text, cannot be {enc}")))?;
            decode_text(text, enc).map(|b| (b, enc)).map_err(|e| Error::input(format!("{source}: {e}")))
        }
        None => {
            // Text that reads as hex or base64 is taken as such; anything else is raw bytes.
            // A binary STUN message starts with 0x00/0x01, so it is never mistaken for text.
            match std::str::from_utf8(&content).ok().and_then(detect_text) {
                Some(found) => Ok(found),
                None => Ok((content, Encoding::Raw)),
            }
        }
    }
}

fn detect_text(text: &str) -> Option<(Vec<u8>, Encoding)> {
    if text.trim().is_empty() {
        return None;
    }
    if let Ok(b) = decode_text(text, Encoding::Hex) {
        return Some((b, Encoding::Hex));
    }
    decode_text(text, Encoding::Base64).ok().map(|b| (b, Encoding::Base64))
}

/// Why text is not of an encoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextError(String);

impl fmt::Display for TextError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Decode hex or base64 text.
///
/// Hex accepts `0001 0000`, `00:01:00:00`, `0x00 0x01`, `\x00\x01`, commas, one continuous
/// string, and hex dumps with an offset column (xxd, `hexdump -C`, Wireshark's "copy as hex
/// dump"). Base64 accepts the standard and URL-safe alphabets, padded or not, across lines.
///
/// ```
/// use rtctool::stun::{decode_text, Encoding};
/// assert_eq!(decode_text("0x00:01 0a", Encoding::Hex).unwrap(), vec![0, 1, 10]);
/// assert_eq!(decode_text("AAEACg==", Encoding::Base64).unwrap(), vec![0, 1, 0, 10]);
/// ```
pub fn decode_text(text: &str, encoding: Encoding) -> std::result::Result<Vec<u8>, TextError> {
    match encoding {
        Encoding::Hex => decode_hex(text),
        Encoding::Base64 => decode_base64(text),
        Encoding::Raw => Ok(text.as_bytes().to_vec()),
    }
}

fn is_dump(text: &str) -> bool {
    // Every non-empty line starts with an offset token (4-8 hex digits, optional colon) and
    // the first offset is zero.
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let offset_token = |l: &str| {
        let tok = l.split_whitespace().next().unwrap_or("");
        let tok = tok.strip_suffix(':').unwrap_or(tok);
        (4..=8).contains(&tok.len())
            && tok.bytes().all(|b| b.is_ascii_hexdigit())
            && l.split_whitespace().count() > 1
    };
    match lines.next() {
        Some(first) => {
            let tok = first.split_whitespace().next().unwrap_or("");
            offset_token(first)
                && tok.trim_end_matches(':').bytes().all(|b| b == b'0')
                && lines.all(offset_token)
        }
        None => false,
    }
}

fn decode_hex(text: &str) -> std::result::Result<Vec<u8>, TextError> {
    let mut digits = String::with_capacity(text.len());
    if is_dump(text) {
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let mut line_digits = String::new();
            for tok in line.split_whitespace().skip(1) {
                let ok = tok.len() % 2 == 0 && tok.len() <= 8 && tok.bytes().all(|b| b.is_ascii_hexdigit());
                if !ok || line_digits.len() + tok.len() > 32 {
                    break; // the ASCII column, or past 16 bytes
                }
                line_digits.push_str(tok);
            }
            digits.push_str(&line_digits);
        }
    } else {
        let cleaned = text.replace("0x", " ").replace("0X", " ").replace("\\x", " ");
        for c in cleaned.chars() {
            match c {
                c if c.is_ascii_hexdigit() => digits.push(c),
                c if c.is_whitespace() || matches!(c, ':' | ',' | '-' | '"' | '\'' | '[' | ']') => {}
                c => return Err(TextError(format!("{c:?} is not a hex digit"))),
            }
        }
    }
    if digits.is_empty() {
        return Err(TextError("no hex digits".into()));
    }
    if !digits.len().is_multiple_of(2) {
        return Err(TextError(format!("{} hex digits: an odd number", digits.len())));
    }
    Ok(digits.as_bytes().chunks_exact(2).map(|p| (hex_val(p[0]) << 4) | hex_val(p[1])).collect())
}

fn hex_val(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        b'A'..=b'F' => c - b'A' + 10,
        _ => 0,
    }
}

fn decode_base64(text: &str) -> std::result::Result<Vec<u8>, TextError> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    if compact.is_empty() {
        return Err(TextError("no base64 characters".into()));
    }
    for engine in [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE, &URL_SAFE_NO_PAD] {
        if let Ok(b) = engine.decode(&compact) {
            return Ok(b);
        }
    }
    Err(TextError("not valid base64".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_spellings() {
        for s in [
            "00010002",
            "00 01 00 02",
            "00:01:00:02",
            "0x00, 0x01, 0x00, 0x02",
            "\\x00\\x01\\x00\\x02",
            " 0001\n0002 ",
        ] {
            assert_eq!(decode_hex(s).unwrap(), vec![0, 1, 0, 2], "{s}");
        }
        assert!(decode_hex("abc").unwrap_err().0.contains("odd"));
        assert!(decode_hex("zz").is_err());
    }

    #[test]
    fn hex_dumps() {
        let xxd = "00000000: 0001 0058 2112 a442 b7e7 a701 bc34 d686  ...X!..B.....4..\n00000010: fa87 dfae                                ....\n";
        let b = decode_hex(xxd).unwrap();
        assert_eq!(b.len(), 20);
        assert_eq!(&b[..4], &[0, 1, 0, 0x58]);
        let hexdump = "00000000  00 01 00 58 21 12 a4 42  b7 e7 a7 01 bc 34 d6 86  |...X!..B.....4..|\n00000010  fa 87 df ae                                       |....|\n";
        assert_eq!(decode_hex(hexdump).unwrap(), b);
        let wireshark = "0000   00 01 00 58 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86   ...X!..B.....4..\n0010   fa 87 df ae                                       ....\n";
        assert_eq!(decode_hex(wireshark).unwrap(), b);
    }

    #[test]
    fn detection_prefers_hex_then_base64() {
        assert_eq!(detect_text("0001").unwrap(), (vec![0, 1], Encoding::Hex));
        assert_eq!(detect_text("AAEAAiESpEI=").unwrap().1, Encoding::Base64);
        assert_eq!(detect_text("AAEAAiESpEI").unwrap().1, Encoding::Base64);
        assert!(detect_text("not a message!").is_none());
        assert!(detect_text("   ").is_none());
    }
}
