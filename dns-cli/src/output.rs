//! Writing results: aligned tables for people, JSON for programs.

use std::borrow::Cow;
use std::io::{self, Write};

use dns_core::{is_unsafe_on_terminal, terminal_safe};

use serde::Serialize;

use crate::failure::Failure;

/// Writes one line to stdout, with anything that could drive the terminal
/// escaped ([`terminal_safe`]): names, TXT data and provider messages come
/// from servers dnsctl does not trust. A closed pipe (`dnsctl ... | head`)
/// ends the command quietly instead of failing it.
pub(crate) fn line(text: &str) -> Result<(), Failure> {
    raw_line(&terminal_safe(text))
}

/// Writes text made safe by its renderer (which escapes the data in it
/// but may add its own colour sequences), as it is.
pub(crate) fn rendered(text: &str) -> Result<(), Failure> {
    raw_line(text.trim_end_matches('\n'))
}

/// Writes one line that is already safe (JSON, whose own escapes cover it).
fn raw_line(text: &str) -> Result<(), Failure> {
    let mut out = io::stdout().lock();
    writeln!(out, "{text}")
        .and_then(|()| out.flush())
        .map_err(|e| match e.kind() {
            io::ErrorKind::BrokenPipe => Failure::Closed,
            _ => Failure::failed(format!("writing to stdout: {e}")),
        })
}

/// Prints `value` as one JSON document (pretty unless `compact`).
pub(crate) fn json<T: Serialize + ?Sized>(value: &T, compact: bool) -> Result<(), Failure> {
    let text = if compact {
        serde_json::to_string(value)
    } else {
        serde_json::to_string_pretty(value)
    }
    .map_err(|e| Failure::failed(format!("encoding JSON: {e}")))?;
    raw_line(&json_safe(&text))
}

/// JSON escapes C0 controls itself; DEL, C1 controls (a CSI is one) and
/// the characters that reorder text are escaped here as `\uXXXX`, which
/// decodes to the same string. They can only occur inside JSON strings.
fn json_safe(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| c != '\n' && is_unsafe_on_terminal(c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 12);
    for c in text.chars() {
        if c != '\n' && is_unsafe_on_terminal(c) {
            // Every character in the unsafe set is in the basic plane.
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A warning on stderr, for results that are printed but incomplete.
pub(crate) fn warn(text: &str) {
    note(&format!("warning: {text}"));
}

/// A message for the operator on stderr, `dnsctl: ` first, escaped like
/// [`line()`].
pub(crate) fn note(text: &str) {
    let _ = writeln!(io::stderr().lock(), "dnsctl: {}", terminal_safe(text));
}

/// A table whose columns are as wide as their widest cell.
#[derive(Debug)]
pub(crate) struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
    right: Vec<bool>,
}

impl Table {
    /// A table with these column titles; a title starting with `>` is
    /// right-aligned (numbers).
    pub(crate) fn new(titles: &[&str]) -> Self {
        Self {
            header: titles
                .iter()
                .map(|t| t.trim_start_matches('>').to_owned())
                .collect(),
            right: titles.iter().map(|t| t.starts_with('>')).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row; cells are escaped ([`terminal_safe`]) so that widths
    /// are those of what is printed.
    pub(crate) fn row(&mut self, cells: Vec<String>) {
        self.rows.push(
            cells
                .into_iter()
                .map(|c| terminal_safe(&c).into_owned())
                .collect(),
        );
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub(crate) fn print(&self) -> Result<(), Failure> {
        for text in self.lines() {
            raw_line(&text)?;
        }
        Ok(())
    }

    /// The table's lines as printed, without their line ends.
    pub(crate) fn lines(&self) -> Vec<String> {
        let mut lines = Vec::with_capacity(self.rows.len() + 1);
        let columns = self.header.len();
        let mut widths = vec![0; columns];
        for row in std::iter::once(&self.header).chain(&self.rows) {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        for row in std::iter::once(&self.header).chain(&self.rows) {
            let mut text = String::new();
            for (i, cell) in row.iter().enumerate().take(columns) {
                let pad = widths[i].saturating_sub(cell.chars().count());
                if i > 0 {
                    text.push_str("  ");
                }
                if self.right[i] {
                    text.push_str(&" ".repeat(pad));
                    text.push_str(cell);
                } else {
                    text.push_str(cell);
                    if i + 1 < columns {
                        text.push_str(&" ".repeat(pad));
                    }
                }
            }
            lines.push(text.trim_end().to_owned());
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_joins_and_trims() {
        assert_eq!(
            crate::failure::one_line("error: bad\n\n  --port <PORT>\n"),
            "error: bad --port <PORT>"
        );
    }

    proptest::proptest! {
        /// Whatever a label, TXT value or provider message holds, a table
        /// row prints no character that could drive the terminal, and the
        /// columns stay aligned (one line per row).
        #[test]
        fn table_lines_hold_nothing_unsafe(
            label in proptest::collection::vec(proptest::prelude::any::<u8>(), 1..63),
            text in ".{0,40}",
        ) {
            let label = dns_core::Label::new(label).unwrap();
            let name = dns_core::Name::from_labels([label.clone()]).unwrap();
            let mut t = Table::new(&["INSTANCE", "NAME", "TXT"]);
            let raw = String::from_utf8_lossy(label.as_bytes()).into_owned();
            t.row(vec![raw, format!("{name:#}"), text]);
            let lines = t.lines();
            proptest::prop_assert_eq!(lines.len(), 2);
            for l in &lines {
                proptest::prop_assert!(!l.chars().any(is_unsafe_on_terminal), "{:?}", l);
            }
        }

        #[test]
        fn json_output_decodes_to_the_same_text_and_holds_nothing_unsafe(text in ".{0,40}") {
            let encoded = serde_json::to_string_pretty(&serde_json::json!({ "v": text })).unwrap();
            let safe = json_safe(&encoded);
            proptest::prop_assert!(!safe.chars().any(|c| c != '\n' && is_unsafe_on_terminal(c)));
            let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
            proptest::prop_assert_eq!(back["v"].as_str(), Some(text.as_str()));
        }
    }

    #[test]
    fn tables_start_empty() {
        let mut t = Table::new(&["A", ">B"]);
        assert!(t.is_empty());
        t.row(vec!["x".into(), "1".into()]);
        assert!(!t.is_empty());
    }
}
