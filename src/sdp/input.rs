//! Reading SDP as people paste it: raw text (CRLF, LF or mixed), an `RTCSessionDescription`
//! as JSON (`{"type": "offer", "sdp": "v=0\r\n..."}`), or the SDP as one JSON string.

use std::io::Read;

use serde_json::Value;

use super::model::{Problem, Role, Severity};
use crate::{Error, Result};

/// How the SDP was wrapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wrapping {
    /// Plain SDP text.
    Raw,
    /// A JSON object with an `sdp` string (and usually `type`).
    JsonObject,
    /// A JSON string holding the SDP.
    JsonString,
}

/// SDP read from a file, standard input or bytes, unwrapped from JSON when it was JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SdpInput {
    /// Where it came from (`offer.json`, `standard input`), for messages.
    pub source: String,
    /// The SDP text.
    pub text: String,
    /// How it was wrapped.
    pub wrapping: Wrapping,
    /// The JSON `type` field, when there was one.
    pub typ: Option<String>,
    /// The lines of the file that are not valid UTF-8 (their bad bytes replaced with U+FFFD
    /// in `text`): the line's number and its bytes as they were.
    pub invalid_utf8: Vec<(u32, Vec<u8>)>,
}

impl SdpInput {
    /// The role given by the JSON `type` (`offer`, `answer`, `pranswer`).
    pub fn role(&self) -> Option<Role> {
        self.typ.as_deref().and_then(Role::from_type)
    }

    /// Problems of the input itself (encoding), in the linter's shape: one per line that is
    /// not valid UTF-8.
    pub fn problems(&self) -> Vec<Problem> {
        let of_file =
            if self.wrapping == Wrapping::Raw { "" } else { " (a line of the file, around the JSON)" };
        self.invalid_utf8
            .iter()
            .map(|(line, _)| Problem {
                rule: "encoding",
                severity: Severity::Error,
                line: Some(*line),
                mid: None,
                message: format!("not valid UTF-8 (the bad bytes were replaced with U+FFFD){of_file}"),
                section: None,
            })
            .collect()
    }

    /// The bytes of line `number` as they were, when they are not valid UTF-8.
    pub fn invalid_bytes(&self, number: u32) -> Option<&[u8]> {
        if self.wrapping != Wrapping::Raw {
            return None;
        }
        let at = self.invalid_utf8.binary_search_by_key(&number, |(n, _)| *n).ok()?;
        Some(&self.invalid_utf8[at].1)
    }
}

/// Larger than any real SDP (browsers' are a few tens of KB) by a wide margin.
const MAX_INPUT: u64 = 16 << 20;

/// Reads `path` (`-` for standard input) and unwraps it. Unreadable input, or JSON that holds
/// no SDP, is an input error (exit 3) that names the source.
pub fn read_sdp(path: &str) -> Result<SdpInput> {
    let (bytes, source) = if path == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .take(MAX_INPUT + 1)
            .read_to_end(&mut buf)
            .map_err(|e| Error::input(format!("reading standard input: {e}")))?;
        (buf, "standard input".to_string())
    } else {
        let file = std::fs::File::open(path).map_err(|e| Error::input(format!("reading {path}: {e}")))?;
        let mut buf = Vec::new();
        file.take(MAX_INPUT + 1)
            .read_to_end(&mut buf)
            .map_err(|e| Error::input(format!("reading {path}: {e}")))?;
        (buf, path.to_string())
    };
    if bytes.len() as u64 > MAX_INPUT {
        return Err(Error::input(format!("reading {source}: larger than {MAX_INPUT} bytes; not an SDP")));
    }
    decode(&bytes, &source)
}

/// Unwraps bytes into SDP text: detects JSON (an object with `sdp`, possibly nested one level
/// as `{"sdp": {"type": .., "sdp": ..}}`, or a JSON string), strips a UTF-8 byte order mark,
/// and decodes invalid UTF-8 lossily (noting where).
///
/// ```
/// use rtctool::sdp::{decode, Role, Wrapping};
/// let input = decode(br#"{"type":"answer","sdp":"v=0\r\ns=-\r\n"}"#, "x.json").unwrap();
/// assert_eq!(input.wrapping, Wrapping::JsonObject);
/// assert_eq!(input.text, "v=0\r\ns=-\r\n");
/// assert_eq!(input.role(), Some(Role::Answer));
/// ```
pub fn decode(bytes: &[u8], source: &str) -> Result<SdpInput> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let (text, invalid_utf8) = match std::str::from_utf8(bytes) {
        Ok(t) => (t.to_string(), Vec::new()),
        Err(_) => {
            // Every bad line, with its bytes (a line ends at LF; its CR stays in the bytes, as
            // the text keeps it for the line's ending).
            let bad = bytes
                .split(|b| *b == b'\n')
                .zip(1u32..)
                .filter(|(line, _)| std::str::from_utf8(line).is_err())
                .map(|(line, n)| (n, line.strip_suffix(b"\r").unwrap_or(line).to_vec()))
                .collect();
            (String::from_utf8_lossy(bytes).into_owned(), bad)
        }
    };
    let trimmed = text.trim_start();
    if trimmed.starts_with(['{', '[', '"']) {
        let value: Value = serde_json::from_str(trimmed)
            .map_err(|e| Error::input(format!("{source}: starts like JSON but is not valid JSON: {e}")))?;
        let mut input = unwrap_json(value, source)?;
        input.invalid_utf8 = invalid_utf8;
        return Ok(input);
    }
    Ok(SdpInput { source: source.to_string(), text, wrapping: Wrapping::Raw, typ: None, invalid_utf8 })
}

fn unwrap_json(value: Value, source: &str) -> Result<SdpInput> {
    let input = |text: String, wrapping, typ| SdpInput {
        source: source.to_string(),
        text,
        wrapping,
        typ,
        invalid_utf8: Vec::new(),
    };
    match value {
        Value::String(text) => Ok(input(text, Wrapping::JsonString, None)),
        Value::Object(mut map) => {
            let typ = match map.get("type") {
                Some(Value::String(t)) => Some(t.clone()),
                _ => None,
            };
            match map.remove("sdp") {
                Some(Value::String(text)) => Ok(input(text, Wrapping::JsonObject, typ)),
                // A signalling message wrapping the description: {"sdp": {"type":..,"sdp":..}}.
                Some(Value::Object(inner)) => match inner.get("sdp") {
                    Some(Value::String(text)) => {
                        let typ = match inner.get("type") {
                            Some(Value::String(t)) => Some(t.clone()),
                            _ => typ,
                        };
                        Ok(input(text.clone(), Wrapping::JsonObject, typ))
                    }
                    _ => Err(Error::input(format!("{source}: JSON \"sdp\" object without an \"sdp\" string"))),
                },
                Some(_) => Err(Error::input(format!("{source}: JSON \"sdp\" is not a string"))),
                None => Err(Error::input(format!(
                    "{source}: JSON without an \"sdp\" field (expected {{\"type\": \"offer\", \"sdp\": \"v=0...\"}})"
                ))),
            }
        }
        _ => Err(Error::input(format!("{source}: JSON that is neither an object with \"sdp\" nor a string"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_wrappings() {
        let raw = decode(b"\xEF\xBB\xBFv=0\n", "f").unwrap();
        assert_eq!((raw.wrapping, raw.text.as_str()), (Wrapping::Raw, "v=0\n"));
        let s = decode(br#" "v=0\r\n""#, "f").unwrap();
        assert_eq!((s.wrapping, s.text.as_str()), (Wrapping::JsonString, "v=0\r\n"));
        let nested = decode(br#"{"sdp":{"type":"offer","sdp":"v=0"}}"#, "f").unwrap();
        assert_eq!(nested.role(), Some(Role::Offer));
        assert_eq!(decode(br#"{"type":"rollback","sdp":""}"#, "f").unwrap().role(), None);
    }

    #[test]
    fn json_errors_name_the_source() {
        for bad in [&b"{\"sdp\": 1}"[..], b"{\"type\":\"offer\"}", b"{not json", b"[1]"] {
            let e = decode(bad, "x.json").unwrap_err();
            assert_eq!(e.exit_code(), 3);
            assert!(e.to_string().starts_with("x.json: "), "{e}");
        }
    }

    #[test]
    fn invalid_utf8_is_located() {
        let input = decode(b"v=0\ns=\xff\r\nc=ok\ni=\xfe\xfd\n", "f").unwrap();
        let lines: Vec<u32> = input.problems().iter().filter_map(|p| p.line).collect();
        assert_eq!(lines, [2, 4], "every bad line, not only the first");
        assert!(input.problems().iter().all(|p| p.rule == "encoding"));
        assert_eq!(input.invalid_bytes(2), Some(&b"s=\xff"[..]));
        assert_eq!(input.invalid_bytes(3), None);
    }

    #[test]
    fn unreadable_file() {
        let e = read_sdp("/nonexistent/offer.sdp").unwrap_err();
        assert_eq!(e.exit_code(), 3);
        assert!(e.to_string().starts_with("reading /nonexistent/offer.sdp: "), "{e}");
    }
}
