//! Output on stdout: aligned text tables or JSON. Nothing else goes to stdout.

use super::report::{CliError, Exit};
use std::io::Write;

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

/// A status line for the person (stderr), e.g. "added \"aws\"".
pub fn status(text: &str) {
    let _ = writeln!(std::io::stderr(), "ykotp: {text}");
}
