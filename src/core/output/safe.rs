//! Text from the network or a file on a terminal: a STUN server's SOFTWARE or reason phrase,
//! an SDP's mids and attributes can carry escape sequences (cursor movement, OSC window titles
//! or hyperlinks, screen clearing) and Unicode bidirectional controls. Human output shows them
//! as `\u{..}` instead, keeps only colour (SGR) sequences, which are ours, and cuts absurdly long
//! lines. JSON output carries the text as it is.

use std::borrow::Cow;

/// The longest line shown; longer ones are cut with a count of what was left out.
pub const MAX_LINE_CHARS: usize = 2000;

/// Whether `c` must not reach a terminal raw: control characters other than newline and tab
/// (C0, DEL, C1) and the bidirectional embedding, override and isolate controls.
fn unsafe_char(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
}

/// The length of a colour sequence (`ESC [ digits and ; m`) at the start of `s`, if it is one.
fn sgr_len(s: &str) -> Option<usize> {
    let rest = s.strip_prefix("\u{1b}[")?;
    let params = rest.bytes().take_while(|b| b.is_ascii_digit() || *b == b';').count();
    (rest.as_bytes().get(params) == Some(&b'm')).then_some(2 + params + 1)
}

/// Whether `text` has anything [`terminal_safe`] changes.
fn needs_work(text: &str) -> bool {
    let mut line = 0;
    let mut i = 0;
    while let Some(c) = text[i..].chars().next() {
        if c == '\u{1b}' {
            match sgr_len(&text[i..]) {
                Some(n) => {
                    i += n;
                    continue;
                }
                None => return true,
            }
        }
        if unsafe_char(c) {
            return true;
        }
        line = if c == '\n' { 0 } else { line + 1 };
        if line > MAX_LINE_CHARS {
            return true;
        }
        i += c.len_utf8();
    }
    false
}

/// `text` made safe for a terminal (see the module documentation); borrowed when nothing had
/// to change.
pub fn terminal_safe(text: &str) -> Cow<'_, str> {
    if !needs_work(text) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for (n, line) in text.split('\n').enumerate() {
        if n > 0 {
            out.push('\n');
        }
        let mut shown = 0;
        let mut rest = line;
        while let Some(c) = rest.chars().next() {
            if shown >= MAX_LINE_CHARS {
                out.push_str(&format!("… ({} more characters)", rest.chars().count()));
                break;
            }
            if let Some(len) = (c == '\u{1b}').then(|| sgr_len(rest)).flatten() {
                out.push_str(&rest[..len]);
                rest = &rest[len..];
                continue;
            }
            if unsafe_char(c) {
                out.push_str(&format!("\\u{{{:x}}}", c as u32));
            } else {
                out.push(c);
            }
            shown += 1;
            rest = &rest[c.len_utf8()..];
        }
    }
    Cow::Owned(out)
}

/// [`terminal_safe`] for one line (a table cell, a verdict): newlines are escaped too.
pub fn one_line_safe(text: &str) -> Cow<'_, str> {
    match terminal_safe(text) {
        Cow::Borrowed(t) if !t.contains('\n') => Cow::Borrowed(t),
        other => Cow::Owned(other.replace('\n', "\\u{a}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_a_terminal_would_obey() {
        assert!(matches!(terminal_safe("coturn 4.6.1 'Gorst'"), Cow::Borrowed(_)));
        assert!(matches!(terminal_safe("\u{1b}[1;31mred\u{1b}[0m"), Cow::Borrowed(_)), "our colours stay");
        assert_eq!(terminal_safe("a\u{1b}]0;pwned\u{7}b"), "a\\u{1b}]0;pwned\\u{7}b", "OSC title");
        assert_eq!(terminal_safe("x\u{1b}[2Jy"), "x\\u{1b}[2Jy", "clear screen is not a colour");
        assert_eq!(terminal_safe("a\rb\u{7f}\u{9b}"), "a\\u{d}b\\u{7f}\\u{9b}");
        assert_eq!(terminal_safe("ab\u{202e}cd"), "ab\\u{202e}cd", "bidi override");
        assert_eq!(terminal_safe("two\nlines\ttab"), "two\nlines\ttab");
        assert_eq!(one_line_safe("fake\nrtctool: ok"), "fake\\u{a}rtctool: ok");
    }

    #[test]
    fn cuts_absurd_lines() {
        let long = "s".repeat(65_000);
        let shown = terminal_safe(&long);
        assert!(shown.len() < 2100, "{}", shown.len());
        assert!(shown.ends_with("… (63000 more characters)"), "{}", &shown[shown.len() - 40..]);
    }
}
