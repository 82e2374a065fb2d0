//! Output: colour policy, the human/JSON/NDJSON modes, trees, tables and progress on stderr.
//!
//! Colour is decided once, at start-up ([`Output::new`]); every renderer then uses `colored`
//! freely and gets plain text when colour is off.

mod progress;
mod safe;
mod stun;
mod table;
mod tree;

use std::io::{self, IsTerminal, Write};
use std::time::Duration;

use serde::Serialize;

pub use progress::Progress;
pub use safe::{one_line_safe, terminal_safe};
pub use stun::decode_tree;
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
    serde_json::to_writer(&mut *out, value).map_err(io::Error::from)?;
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
    serde_json::to_writer_pretty(&mut *out, value).map_err(io::Error::from)?;
    out.write_all(b"\n")?;
    out.flush()
}

pub use crate::core::units::{count, was};

/// Display width of a string, not counting ANSI colour escapes (tables must line up
/// coloured), East Asian wide characters counting two columns.
pub fn display_width(s: &str) -> usize {
    console::measure_text_width(s)
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
    fn counts_in_words() {
        assert_eq!(
            (count(1, "packet"), count(0, "packet"), count(7, "request")),
            ("1 packet".into(), "0 packets".into(), "7 requests".into())
        );
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
