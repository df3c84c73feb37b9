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

/// Prints rows with columns aligned by display width (the last column is not padded).
pub fn table(rows: &[Vec<String>]) -> Result<(), CliError> {
    table_with(rows, None, 0)
}

/// Like [`table`]; on a terminal, with `header` above and column `shrink` cut to fit
/// the window. Piped output is exactly what [`table`] prints. Cells are shown escaped.
pub fn table_with(rows: &[Vec<String>], header: Option<&[&str]>, shrink: usize) -> Result<(), CliError> {
    let rows: Vec<Vec<String>> = rows.iter().map(|r| r.iter().map(|c| escape(c).into_owned()).collect()).collect();
    let terminal = super::table::terminal_width();
    let layout = super::table::Layout { header: header.filter(|_| terminal.is_some()), max_width: terminal, shrink };
    super::table::render(&rows, &layout).iter().try_for_each(|l| line(l))
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
