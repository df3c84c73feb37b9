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

/// Prints rows with columns aligned by display width (the last column is not padded).
pub fn table(rows: &[Vec<String>]) -> Result<(), CliError> {
    table_with(rows, None, 0)
}

/// Like [`table`]; on a terminal, with `header` above and column `shrink` cut to fit
/// the window. Piped output is exactly what [`table`] prints.
pub fn table_with(rows: &[Vec<String>], header: Option<&[&str]>, shrink: usize) -> Result<(), CliError> {
    let terminal = super::table::terminal_width();
    let layout = super::table::Layout { header: header.filter(|_| terminal.is_some()), max_width: terminal, shrink };
    super::table::render(rows, &layout).iter().try_for_each(|l| line(l))
}

/// A status line for the person (stderr), e.g. "added \"aws\"".
pub fn status(text: &str) {
    let _ = writeln!(std::io::stderr(), "ykotp: {text}");
}
