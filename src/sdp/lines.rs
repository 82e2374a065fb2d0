//! The line layer: SDP split into lines, losslessly and tolerantly.
//!
//! Every line keeps its 1-based number, its text, its line ending and its place; nothing is
//! normalised away, so a report can always point at the line a person sees in their editor. A
//! line that is not `<letter>=<value>` is kept too (with [`Line::kind`] `None`) and becomes a
//! problem for the caller to report; splitting never fails.

use serde::Serialize;

/// How a line ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Ending {
    /// `\r\n`, as RFC 8866 asks.
    Crlf,
    /// A bare `\n`.
    Lf,
    /// The input ended without a line terminator.
    None,
}

impl Ending {
    /// The terminator's text.
    pub fn as_str(self) -> &'static str {
        match self {
            Ending::Crlf => "\r\n",
            Ending::Lf => "\n",
            Ending::None => "",
        }
    }
}

/// One line of SDP text, borrowed from the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line<'a> {
    /// 1-based line number in the input.
    pub number: u32,
    /// The line without its terminator, exactly as written (trailing spaces included).
    pub raw: &'a str,
    /// The terminator that followed it.
    pub ending: Ending,
    /// The type letter (`v`, `o`, `m`, `a`, ...) when the line reads `<letter>=<value>` after
    /// leading whitespace; `None` for anything else (comments, blank lines, garbage).
    pub kind: Option<u8>,
    /// Everything after `=` with trailing whitespace removed; empty when `kind` is `None`.
    pub value: &'a str,
}

impl<'a> Line<'a> {
    /// Splits one line (without terminator) into its type letter and value.
    fn classify(number: u32, raw: &'a str, ending: Ending) -> Line<'a> {
        let body = trim_blank_start(raw);
        let (kind, value) = match body.as_bytes() {
            [letter, b'=', ..] if letter.is_ascii_alphabetic() => {
                // The letter and `=` are ASCII, so index 2 is a char boundary.
                (Some(*letter), trim_blank_end(body.get(2..).unwrap_or("")))
            }
            _ => (None, ""),
        };
        Line { number, raw, ending, kind, value }
    }

    /// For an `a=` line: the attribute name and its value (after the first `:`), if any.
    ///
    /// ```
    /// use rtctool::sdp::lines::split_lines;
    /// let lines = split_lines("a=rtpmap:111 opus/48000/2\r\na=rtcp-mux\r\n");
    /// assert_eq!(lines[0].attribute(), Some(("rtpmap", Some("111 opus/48000/2"))));
    /// assert_eq!(lines[1].attribute(), Some(("rtcp-mux", None)));
    /// ```
    pub fn attribute(&self) -> Option<(&'a str, Option<&'a str>)> {
        if self.kind != Some(b'a') {
            return None;
        }
        Some(match split_at_byte(self.value, b':') {
            Some((name, value)) => (name, Some(value)),
            None => (self.value, None),
        })
    }

    /// The type letter as a char, `'?'` when the line has none.
    pub fn kind_char(&self) -> char {
        self.kind.map_or('?', char::from)
    }

    /// Whether the line has leading or trailing spaces or tabs.
    pub fn has_stray_whitespace(&self) -> bool {
        self.raw.starts_with([' ', '\t']) || self.raw.ends_with([' ', '\t'])
    }
}

/// Splits text into lines. `\r\n` and `\n` both end a line; a lone `\r` inside a line is kept
/// as part of it. An empty input gives no lines; a final terminator does not start a new line.
///
/// ```
/// use rtctool::sdp::lines::{split_lines, Ending};
/// let lines = split_lines("v=0\r\no=- 1 2 IN IP4 0.0.0.0\ns=-");
/// assert_eq!(lines.len(), 3);
/// assert_eq!(lines[0].ending, Ending::Crlf);
/// assert_eq!(lines[1].ending, Ending::Lf);
/// assert_eq!(lines[2].ending, Ending::None);
/// assert_eq!(lines[2].kind, Some(b's'));
/// ```
pub fn split_lines(text: &str) -> Vec<Line<'_>> {
    // A browser SDP line averages ~40 bytes; one allocation for typical input.
    let mut lines = Vec::with_capacity(text.len() / 32 + 4);
    let mut rest = text;
    let mut number = 0u32;
    while !rest.is_empty() {
        number = number.saturating_add(1);
        let (raw, ending, next) = match find_byte(rest.as_bytes(), b'\n') {
            Some(i) => {
                let line = rest.get(..i).unwrap_or("");
                let next = rest.get(i + 1..).unwrap_or("");
                match line.strip_suffix('\r') {
                    Some(line) => (line, Ending::Crlf, next),
                    None => (line, Ending::Lf, next),
                }
            }
            None => (rest, Ending::None, ""),
        };
        lines.push(Line::classify(number, raw, ending));
        rest = next;
    }
    lines
}

/// Spaces and tabs removed from the start (SDP's only in-line whitespace).
pub(crate) fn trim_blank_start(s: &str) -> &str {
    let n = s.bytes().take_while(|b| matches!(b, b' ' | b'\t')).count();
    s.get(n..).unwrap_or("")
}

/// Spaces and tabs removed from the end.
pub(crate) fn trim_blank_end(s: &str) -> &str {
    let n = s.bytes().rev().take_while(|b| matches!(b, b' ' | b'\t')).count();
    s.get(..s.len() - n).unwrap_or("")
}

/// Splits at the first `byte` (ASCII, so both sides are valid `str`), dropping it. A byte loop
/// beats the generic char searcher on the short values SDP attributes have.
pub(crate) fn split_at_byte(s: &str, byte: u8) -> Option<(&str, &str)> {
    let i = s.bytes().position(|b| b == byte)?;
    Some((s.get(..i)?, s.get(i + 1..)?))
}

/// Splits at the first space or tab, dropping it.
pub(crate) fn split_at_blank(s: &str) -> Option<(&str, &str)> {
    let i = s.bytes().position(|b| b == b' ' || b == b'\t')?;
    Some((s.get(..i)?, s.get(i + 1..)?))
}

/// Position of the first `needle` in `hay`, eight bytes at a time (SWAR): line splitting is
/// the one scan over the whole input.
pub(crate) fn find_byte(hay: &[u8], needle: u8) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let pattern = LO * u64::from(needle);
    let mut chunks = hay.chunks_exact(8);
    let mut offset = 0;
    for chunk in chunks.by_ref() {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word) ^ pattern;
        let found = x.wrapping_sub(LO) & !x & HI;
        if found != 0 {
            return Some(offset + (found.trailing_zeros() / 8) as usize);
        }
        offset += 8;
    }
    chunks.remainder().iter().position(|&b| b == needle).map(|i| offset + i)
}

/// Puts lines back together exactly as they came (the inverse of [`split_lines`]).
pub fn join_lines(lines: &[Line<'_>]) -> String {
    let mut text = String::with_capacity(lines.iter().map(|l| l.raw.len() + 2).sum());
    for line in lines {
        text.push_str(line.raw);
        text.push_str(line.ending.as_str());
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lossless_round_trip() {
        for text in ["", "v=0", "v=0\r\n", "v=0\n\r\na=x \r\n;c\n\n", "a=\r\r\n", "\n\n", "é=1\nb=ü"] {
            assert_eq!(join_lines(&split_lines(text)), text, "{text:?}");
        }
    }

    #[test]
    fn classification() {
        let lines = split_lines("; comment\n\n  a=x:y \nab=1\n==\n1=2\nm=\n");
        let kinds: Vec<_> = lines.iter().map(|l| l.kind).collect();
        assert_eq!(kinds, [None, None, Some(b'a'), None, None, None, Some(b'm')]);
        assert_eq!(lines[2].value, "x:y");
        assert!(lines[2].has_stray_whitespace());
        assert_eq!(lines[6].value, "");
        assert_eq!(lines.iter().map(|l| l.number).collect::<Vec<_>>(), [1, 2, 3, 4, 5, 6, 7]);
    }

    #[test]
    fn find_byte_agrees_with_position() {
        let hay: Vec<u8> = (0..200u32).map(|i| (i * 37 % 251) as u8).collect();
        for needle in 0..=255u8 {
            for start in 0..20 {
                let slice = &hay[start..];
                assert_eq!(
                    find_byte(slice, needle),
                    slice.iter().position(|&b| b == needle),
                    "{needle} {start}"
                );
            }
        }
        assert_eq!(find_byte(b"", b'\n'), None);
        assert_eq!(find_byte(b"\x80\n", b'\n'), Some(1));
        assert_eq!(find_byte(b"abcdefgh\x8a", b'\n'), None);
    }

    #[test]
    fn lone_cr_stays_in_line() {
        let lines = split_lines("a=x\ry\r\n");
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].raw, "a=x\ry");
    }
}
