//! Text from DNS or a provider made safe to print on a terminal.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Whether printing `c` raw could move the cursor, change colours, start a
/// new line or reorder what follows: every control character (C0, DEL, C1:
/// ESC, CR, LF, BEL, NUL, CSI...), the Unicode line and paragraph
/// separators, and the invisible format characters that reverse or hide
/// text (bidirectional overrides and isolates, zero-width characters, BOM).
pub fn is_unsafe_on_terminal(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}'
                | '\u{200b}'..='\u{200f}'
                | '\u{2028}'..='\u{202e}'
                | '\u{2060}'..='\u{2069}'
                | '\u{feff}'
        )
}

/// `text` with every character that [`is_unsafe_on_terminal`] writes as
/// `\DDD` escapes of its UTF-8 octets, the form DNS presentation format
/// uses (RFC 1035 section 5.1), so that a name or TXT value from an
/// untrusted server or API cannot inject terminal control sequences or
/// forge lines. Everything else, including other UTF-8, is kept as it is;
/// text with nothing to escape is returned without copying.
///
/// This is a last line of defence for output, not an encoding that parses
/// back: names and TXT data have their own presentation forms.
///
/// ```
/// use dns_core::terminal_safe;
/// assert_eq!(terminal_safe("web 1"), "web 1");
/// assert_eq!(terminal_safe("évian"), "évian");
/// assert_eq!(terminal_safe("a\u{1b}[31mred\nfake line"), r"a\027[31mred\010fake line");
/// assert_eq!(terminal_safe("\u{202e}txt.exe"), r"\226\128\174txt.exe");
/// ```
pub fn terminal_safe(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe_on_terminal) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_unsafe_on_terminal(c) {
            let mut octets = [0; 4];
            for b in c.encode_utf8(&mut octets).bytes() {
                // Writing to a String cannot fail.
                let _ = write!(out, "\\{b:03}");
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_control_and_reordering_character_is_escaped() {
        for c in [
            '\0', '\u{7}', '\r', '\n', '\t', '\u{1b}', '\u{7f}', '\u{9b}', '\u{2028}', '\u{2066}',
            '\u{200b}',
        ] {
            let shown = terminal_safe(&format!("a{c}b")).into_owned();
            assert!(
                shown.starts_with("a\\") && shown.ends_with('b'),
                "{c:?}: {shown}"
            );
            assert!(!shown.chars().any(is_unsafe_on_terminal), "{c:?}: {shown}");
        }
        assert_eq!(terminal_safe("\u{9b}"), r"\194\155");
    }

    #[test]
    fn safe_text_is_borrowed() {
        assert!(matches!(
            terminal_safe("plain, ünïcödé ☃"),
            Cow::Borrowed(_)
        ));
    }
}
