//! Output on stdout: aligned text tables or JSON. Nothing else goes to stdout.
//! Text for people (tables, status lines, errors, prompts) shows control characters
//! escaped: names come from otpauth URIs, QR codes and the card, and an escape
//! sequence or a newline in one must not drive the terminal or fake a row. JSON keeps
//! the exact value (serde escapes it).

use super::report::{CliError, Exit};
use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::Write;

/// `text` with control characters (C0, DEL, C1) and bidirectional overrides written as
/// escapes: `\n`, `\t`, `\x1b`, `\u{202e}`.
pub fn escape(text: &str) -> Cow<'_, str> {
    let unsafe_char = |c: char| c.is_control() || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
    if !text.chars().any(unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x80 && unsafe_char(c) => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if unsafe_char(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Prints a value as pretty JSON and a newline.
pub fn json<T: serde::Serialize>(value: &T) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(value).map_err(|e| CliError::new(Exit::Other, e.to_string()))?;
    line(&text)
}

/// Prints one line. A closed stdout (`| head`) is not an error worth a message.
pub fn line(text: &str) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{text}").and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(CliError::new(Exit::Other, format!("cannot write to stdout: {e}"))),
        _ => Ok(()),
    }
}

/// Prints rows with columns padded to the widest cell (the last column is not padded).
pub fn table(rows: &[Vec<String>]) -> Result<(), CliError> {
    let rows: Vec<Vec<Cow<'_, str>>> = rows.iter().map(|r| r.iter().map(|c| escape(c)).collect()).collect();
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> =
        (0..cols).map(|c| rows.iter().filter_map(|r| r.get(c)).map(|s| s.chars().count()).max().unwrap_or(0)).collect();
    for row in rows {
        let mut text = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i + 1 == row.len() {
                text.push_str(cell);
            } else {
                text.push_str(cell);
                text.push_str(&" ".repeat(widths[i] - cell.chars().count() + 2));
            }
        }
        line(&text)?;
    }
    Ok(())
}

/// A status line for the person (stderr), e.g. "added \"aws\"", escaped.
pub fn status(text: &str) {
    let _ = writeln!(std::io::stderr(), "ykotp: {}", escape(text));
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(escape("GitHub:alice"), "GitHub:alice");
        assert_eq!(escape("Bank:\u{1b}]0;pwned\u{7}x"), "Bank:\\x1b]0;pwned\\x07x");
        assert_eq!(escape("a\nBank:alice 999999"), "a\\nBank:alice 999999");
        assert_eq!(escape("\t\r\u{7f}\u{9b}\u{202e}é"), "\\t\\r\\x7f\\u{9b}\\u{202e}é");
    }
}
