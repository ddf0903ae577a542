//! Writing results: aligned tables for people, JSON for programs.

use std::io::{self, Write};

use serde::Serialize;

use crate::failure::Failure;

/// Writes one line to stdout; a closed pipe (`dnsctl ... | head`) ends the
/// command quietly instead of failing it.
pub(crate) fn line(text: &str) -> Result<(), Failure> {
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
    line(&text)
}

/// A warning on stderr, for results that are printed but incomplete.
pub(crate) fn warn(text: &str) {
    note(&format!("warning: {text}"));
}

/// A message for the operator on stderr, `dnsctl: ` first.
pub(crate) fn note(text: &str) {
    let _ = writeln!(io::stderr().lock(), "dnsctl: {text}");
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

    pub(crate) fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub(crate) fn print(&self) -> Result<(), Failure> {
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
            line(text.trim_end())?;
        }
        Ok(())
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

    #[test]
    fn tables_start_empty() {
        let mut t = Table::new(&["A", ">B"]);
        assert!(t.is_empty());
        t.row(vec!["x".into(), "1".into()]);
        assert!(!t.is_empty());
    }
}
