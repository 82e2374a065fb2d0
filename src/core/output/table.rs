//! Column-aligned tables for human output.

use std::fmt;

use super::display_width;

/// Column alignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// Pad on the right.
    Left,
    /// Pad on the left (numbers).
    Right,
}

/// A table with a header row; cells may be coloured, widths ignore the escapes.
///
/// ```
/// use rtctool::core::output::{Align, Table};
/// let mut t = Table::new(["type", "address", "port"]);
/// t.align(2, Align::Right);
/// t.row(["host", "10.0.0.5", "5000"]);
/// t.row(["srflx", "203.0.113.7", "46154"]);
/// assert_eq!(t.to_string(), "type   address       port\nhost   10.0.0.5      5000\nsrflx  203.0.113.7  46154\n");
/// ```
#[derive(Debug, Clone)]
pub struct Table {
    header: Vec<String>,
    align: Vec<Align>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column headings.
    pub fn new<I, S>(header: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let header: Vec<String> = header.into_iter().map(Into::into).collect();
        let align = vec![Align::Left; header.len()];
        Table { header, align, rows: Vec::new() }
    }

    /// Set the alignment of column `col` (ignored when out of range).
    pub fn align(&mut self, col: usize, align: Align) -> &mut Self {
        if let Some(a) = self.align.get_mut(col) {
            *a = align;
        }
        self
    }

    /// Add a row; missing cells are blank, extra cells are kept and widen the table. Text a
    /// terminal would obey is escaped (see [`super::terminal_safe`]).
    pub fn row<I, S>(&mut self, cells: I) -> &mut Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let safe = |c: String| match super::one_line_safe(&c) {
            std::borrow::Cow::Borrowed(_) => c,
            std::borrow::Cow::Owned(s) => s,
        };
        self.rows.push(cells.into_iter().map(|c| safe(c.into())).collect());
        self
    }

    /// Number of data rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether there are no data rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cols = self.rows.iter().map(Vec::len).chain([self.header.len()]).max().unwrap_or(0);
        let mut widths = vec![0usize; cols];
        for row in std::iter::once(&self.header).chain(&self.rows) {
            for (i, cell) in row.iter().enumerate() {
                widths[i] = widths[i].max(display_width(cell));
            }
        }
        let header = self.header.iter().map(|h| colored::Colorize::bold(h.as_str()).to_string());
        let header: Vec<String> = header.collect();
        for row in std::iter::once(&header).chain(&self.rows) {
            let mut line = String::new();
            for (i, width) in widths.iter().enumerate() {
                let cell = row.get(i).map(String::as_str).unwrap_or("");
                let pad = width - display_width(cell);
                let last = i + 1 == cols;
                let align = self.align.get(i).copied().unwrap_or(Align::Left);
                if i > 0 {
                    line.push_str("  ");
                }
                match align {
                    Align::Right => {
                        line.extend(std::iter::repeat_n(' ', pad));
                        line.push_str(cell);
                    }
                    Align::Left => {
                        line.push_str(cell);
                        if !last {
                            line.extend(std::iter::repeat_n(' ', pad));
                        }
                    }
                }
            }
            writeln!(f, "{}", line.trim_end())?;
        }
        Ok(())
    }
}
