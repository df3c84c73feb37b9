//! Text tables for people and scripts. Columns are aligned by display width (a CJK
//! character or an emoji takes two cells, a combining accent none), so names line up
//! in a terminal. Only on a terminal: a header, and names cut with an ellipsis when
//! the table is wider than the window; piped output stays as scripts know it.

use unicode_width::UnicodeWidthStr;

/// How a table is laid out.
#[derive(Debug, Clone, Default)]
pub struct Layout<'a> {
    /// Column titles, printed first (only given on a terminal).
    pub header: Option<&'a [&'a str]>,
    /// The width to fit in (only given on a terminal).
    pub max_width: Option<usize>,
    /// The column that gives up space when the table is too wide (the names).
    pub shrink: usize,
}

/// The gap between columns.
const GAP: usize = 2;
/// A name is never cut shorter than this, however narrow the window.
const MIN_SHRUNK: usize = 6;

/// The display width of `s`.
pub fn width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

/// `s` cut to at most `max` cells, ending in "…" when cut.
pub fn truncate(s: &str, max: usize) -> String {
    if width(s) <= max {
        return s.to_owned();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w + 1 > max {
            break;
        }
        used += w;
        out.push(c);
    }
    out.push('…');
    out
}

/// `s` with control characters shown as `\u{..}` escapes, so a name cannot move the
/// cursor or recolour a terminal.
pub fn escape(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { c.escape_unicode().to_string() } else { c.to_string() }).collect()
}

/// The lines of the table: each column padded to its widest cell, the last unpadded.
pub fn render(rows: &[Vec<String>], layout: &Layout<'_>) -> Vec<String> {
    let mut all: Vec<Vec<String>> = Vec::with_capacity(rows.len() + 1);
    if let Some(h) = layout.header {
        all.push(h.iter().map(|s| (*s).to_owned()).collect());
    }
    all.extend(rows.iter().cloned());
    let cols = all.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths: Vec<usize> = (0..cols).map(|c| all.iter().filter_map(|r| r.get(c)).map(|s| width(s)).max().unwrap_or(0)).collect();
    if let (Some(max), true) = (layout.max_width, layout.shrink < cols) {
        let total: usize = widths.iter().sum::<usize>() + GAP * cols.saturating_sub(1);
        if total > max {
            let w = &mut widths[layout.shrink];
            *w = w.saturating_sub(total - max).max(MIN_SHRUNK.min(*w));
            let limit = *w;
            for row in &mut all {
                if let Some(cell) = row.get_mut(layout.shrink) {
                    *cell = truncate(cell, limit);
                }
            }
        }
    }
    all.iter()
        .map(|row| {
            let mut text = String::new();
            for (i, cell) in row.iter().enumerate() {
                text.push_str(cell);
                if i + 1 < row.len() {
                    text.push_str(&" ".repeat(widths[i].saturating_sub(width(cell)) + GAP));
                }
            }
            text
        })
        .collect()
}

/// Whether stdout is a terminal a person reads (then tables get headers and fit the window).
pub fn stdout_is_terminal() -> bool {
    use std::io::IsTerminal;
    std::io::stdout().is_terminal() && std::env::var_os("YKOTP_NO_TTY").is_none()
}

/// The terminal's width in cells, when stdout is one.
pub fn terminal_width() -> Option<usize> {
    if !stdout_is_terminal() {
        return None;
    }
    ratatui::crossterm::terminal::size().ok().map(|(w, _)| usize::from(w)).filter(|w| *w > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(r: &[&[&str]]) -> Vec<Vec<String>> {
        r.iter().map(|r| r.iter().map(|s| (*s).to_owned()).collect()).collect()
    }

    #[test]
    fn aligns_by_display_width() {
        let t = rows(&[&["日本語", "123456"], &["ab", "654321"], &["🔑key", "111111"], &["e\u{301}", "222222"]]);
        let lines = render(&t, &Layout::default());
        // every code starts in the same terminal column
        let cols: Vec<usize> = lines.iter().map(|l| width(&l[..l.rfind("  ").unwrap() + 2])).collect();
        assert_eq!(cols, vec![8, 8, 8, 8], "{lines:#?}");
        assert_eq!(lines[0], "日本語  123456");
        assert_eq!(lines[1], "ab      654321");
        assert_eq!(lines[3], "e\u{301}       222222");
    }

    #[test]
    fn header_and_ellipsis_fit_the_window() {
        let t = rows(&[&["a-very-long-account-name@example.com", "TOTP", "30s"], &["short", "HOTP", "-"]]);
        let lines = render(&t, &Layout { header: Some(&["ACCOUNT", "TYPE", "PERIOD"]), max_width: Some(30), shrink: 0 });
        assert_eq!(lines[0], "ACCOUNT           TYPE  PERIOD");
        assert_eq!(lines[1], "a-very-long-acc…  TOTP  30s");
        assert_eq!(lines[2], "short             HOTP  -");
        assert!(lines.iter().all(|l| width(l) <= 30), "{lines:#?}");
        // wide characters are cut on a character boundary, never past the limit
        assert_eq!(truncate("日本語日本語", 6), "日本…");
        assert_eq!(truncate("日本語", 6), "日本語");
    }

    #[test]
    fn without_a_window_nothing_is_cut() {
        let t = rows(&[&["a-very-long-account-name@example.com", "123456"]]);
        assert_eq!(render(&t, &Layout::default()), vec!["a-very-long-account-name@example.com  123456"]);
    }
}
