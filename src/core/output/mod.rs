//! Output: colour policy, the human/JSON/NDJSON modes, trees, tables and progress on stderr.
//!
//! Colour is decided once, at start-up ([`Output::new`]); every renderer then uses `colored`
//! freely and gets plain text when colour is off.

mod progress;
mod table;
mod tree;

use std::io::{self, IsTerminal, Write};
use std::time::Duration;

use serde::Serialize;

pub use progress::Progress;
pub use table::{Align, Table};
pub use tree::Tree;

/// A duration in milliseconds for JSON and tables, to the microsecond: the one precision of
/// every `*_ms` value rtctool prints.
pub fn millis(d: Duration) -> f64 {
    round_millis(d.as_secs_f64() * 1000.0)
}

/// A value already in milliseconds (from a stats report, a mean), to the microsecond.
pub fn round_millis(ms: f64) -> f64 {
    (ms * 1000.0).round() / 1000.0
}

/// `--color auto|always|never`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ColorChoice {
    /// Colour when stdout is a terminal and NO_COLOR is not set.
    #[default]
    Auto,
    /// Always colour, even into a pipe.
    Always,
    /// Never colour.
    Never,
}

impl ColorChoice {
    /// Whether to colour, given whether stdout is a terminal and the value of NO_COLOR.
    ///
    /// NO_COLOR (<https://no-color.org>) counts when it is set and not empty; `always` beats it,
    /// because an explicit flag is a stronger statement than an environment default.
    pub fn enabled(self, stdout_is_tty: bool, no_color: Option<&str>) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => stdout_is_tty && no_color.is_none_or(str::is_empty),
        }
    }
}

/// Which form results take on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Tables and trees for people.
    Human,
    /// One JSON document when the command ends.
    Json,
    /// One JSON object per line as things happen.
    Ndjson,
}

/// The output settings of one run, handed to every command.
#[derive(Debug, Clone)]
pub struct Output {
    /// Human, JSON or NDJSON.
    pub mode: Mode,
    /// Whether human output is coloured.
    pub color: bool,
    /// `-q`: results and errors only.
    pub quiet: bool,
    /// `-v` count.
    pub verbose: u8,
    /// Whether progress may be drawn on stderr (a terminal, not quiet).
    pub progress: bool,
}

impl Output {
    /// Settle the output policy from the global flags and the environment, and apply the colour
    /// decision to `colored` process-wide.
    pub fn new(color: ColorChoice, mode: Mode, quiet: bool, verbose: u8) -> Self {
        let no_color = std::env::var("NO_COLOR").ok();
        let color = color.enabled(io::stdout().is_terminal(), no_color.as_deref());
        colored::control::set_override(color);
        Output { mode, color, quiet, verbose, progress: !quiet && io::stderr().is_terminal() }
    }

    /// Plain settings for tests and library use: human mode, no colour, no progress.
    pub fn plain() -> Self {
        Output { mode: Mode::Human, color: false, quiet: false, verbose: 0, progress: false }
    }
}

/// Write `value` as one compact JSON line (NDJSON record) and flush, so a reader sees it at once.
pub fn write_ndjson<W: Write, T: Serialize>(out: &mut W, value: &T) -> io::Result<()> {
    serde_json::to_writer(&mut *out, value).map_err(io::Error::other)?;
    out.write_all(b"\n")?;
    out.flush()
}

/// `value` as a JSON object with an `event` key added: an NDJSON record of an event stream
/// (a value that is not an object is returned as it is).
pub fn event_record<T: Serialize>(value: &T, event: &str) -> serde_json::Value {
    let mut record = serde_json::to_value(value).unwrap_or_default();
    if let Some(obj) = record.as_object_mut() {
        obj.insert("event".into(), event.into());
    }
    record
}

/// Write `value` as one pretty-printed JSON document.
pub fn write_json<W: Write, T: Serialize>(out: &mut W, value: &T) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value).map_err(io::Error::other)?;
    out.write_all(b"\n")?;
    out.flush()
}

/// Display width of a string, not counting ANSI colour escapes (tables must line up coloured).
pub fn display_width(s: &str) -> usize {
    let mut width = 0;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // CSI: ESC [ ... final byte in 0x40..=0x7e
            if chars.next() == Some('[') {
                for c in chars.by_ref() {
                    if ('\u{40}'..='\u{7e}').contains(&c) {
                        break;
                    }
                }
            }
        } else if !c.is_control() {
            width += char_width(c);
        }
    }
    width
}

/// Columns a character takes: 2 for East Asian wide ranges, else 1. Good enough for the
/// usernames and realms we print (RFC 5769 has katakana); not a full wcwidth.
fn char_width(c: char) -> usize {
    let c = c as u32;
    let wide = matches!(c,
        0x1100..=0x115F | 0x2E80..=0x303E | 0x3041..=0x33FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF
        | 0xA000..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6 | 0x1F300..=0x1F64F | 0x1F900..=0x1F9FF | 0x20000..=0x3FFFD);
    if wide {
        2
    } else {
        1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn color_policy() {
        assert!(ColorChoice::Auto.enabled(true, None));
        assert!(ColorChoice::Auto.enabled(true, Some("")));
        assert!(!ColorChoice::Auto.enabled(true, Some("1")));
        assert!(!ColorChoice::Auto.enabled(false, None));
        assert!(ColorChoice::Always.enabled(false, Some("1")));
        assert!(!ColorChoice::Never.enabled(true, None));
    }

    #[test]
    fn width_ignores_ansi_and_counts_wide() {
        assert_eq!(display_width("\u{1b}[1;31mabc\u{1b}[0m"), 3);
        assert_eq!(display_width("マトリックス"), 12);
    }

    #[test]
    fn ndjson_is_one_line() {
        let mut buf = Vec::new();
        write_ndjson(&mut buf, &serde_json::json!({"a": [1, 2], "b": "x\ny"})).unwrap();
        let text = String::from_utf8(buf).unwrap();
        assert_eq!(text.matches('\n').count(), 1);
        assert!(text.ends_with('\n'));
    }
}
