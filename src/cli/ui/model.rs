//! The dashboard's state, without a terminal: the keys and their accounts, the filter,
//! the selection, what the status line says. The clock is a parameter.

use crate::oath::search::search;
use crate::oath::{CalculatedEntry, OathType};
use std::collections::BTreeSet;

/// One attached key as last read.
#[derive(Debug, Default)]
pub struct KeyView {
    /// How the KEY column names it (serial, else reader).
    pub label: String,
    /// The reader (or `virtual:PATH`) to open it again.
    pub reader: String,
    /// The OATH device id (passwords are kept per device id).
    pub device_id: String,
    /// Locked, and no password known yet.
    pub locked: bool,
    /// Its accounts with the codes CALCULATE ALL gave.
    pub accounts: Vec<CalculatedEntry>,
}

/// What the keyboard is typing into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// The filter.
    Filter,
    /// The password of this key (index into `keys`).
    Password(usize),
}

/// The dashboard.
#[derive(Debug)]
pub struct Model {
    pub keys: Vec<KeyView>,
    pub filter: String,
    pub selected: usize,
    pub status: String,
    pub input: Input,
    pub show_hidden: bool,
}

/// A row shown: which key, which account.
pub type Row<'a> = (usize, &'a CalculatedEntry);

impl Model {
    pub fn new(show_hidden: bool) -> Self {
        Model { keys: Vec::new(), filter: String::new(), selected: 0, status: String::new(), input: Input::Filter, show_hidden }
    }

    /// The accounts matching the filter, in ykman's order, the same account on
    /// several keys side by side.
    pub fn rows(&self) -> Vec<Row<'_>> {
        let mut rows: Vec<Row<'_>> = self
            .keys
            .iter()
            .enumerate()
            .flat_map(|(k, key)| search(&key.accounts, &self.filter, self.show_hidden).into_iter().map(move |e| (k, e)))
            .collect();
        rows.sort_by_key(|(k, e)| (e.credential.sort_key(), *k));
        rows
    }

    /// The row under the cursor.
    pub fn current(&self) -> Option<Row<'_>> {
        self.rows().get(self.selected).copied()
    }

    /// Moves the cursor, staying on the rows.
    pub fn step(&mut self, delta: isize) {
        let n = self.rows().len();
        self.selected = if n == 0 { 0 } else { self.selected.saturating_add_signed(delta).min(n - 1) };
    }

    /// Keeps the cursor on the rows after they changed.
    pub fn clamp(&mut self) {
        self.step(0);
    }

    /// The periods shown, each with a countdown bar.
    pub fn periods(&self) -> BTreeSet<u32> {
        self.keys
            .iter()
            .flat_map(|k| &k.accounts)
            .filter(|e| e.credential.oath_type == OathType::Totp)
            .map(|e| e.credential.period.max(1))
            .collect()
    }

    /// Some code shown is past its window: time to ask the keys again.
    pub fn stale(&self, now: u64) -> bool {
        self.keys.iter().flat_map(|k| &k.accounts).filter_map(|e| e.code.as_ref()).any(|c| c.valid_to <= now)
    }

    /// The first key still waiting for its password.
    pub fn locked_key(&self) -> Option<usize> {
        self.keys.iter().position(|k| k.locked)
    }
}

/// Seconds left in the current window of `period` at `now`.
pub fn seconds_left(now: u64, period: u32) -> u64 {
    let p = u64::from(period.max(1));
    p - now % p
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oath::Credential;
    use crate::otp::Code;

    fn entry(id: &str, code: Option<(&str, u64, u32)>) -> CalculatedEntry {
        let credential = Credential::new(id.as_bytes().to_vec(), OathType::Totp);
        CalculatedEntry { credential, digits: 6, code: code.map(|(v, t, p)| Code::in_window(v.into(), t, p)) }
    }

    fn model() -> Model {
        let mut m = Model::new(false);
        m.keys.push(KeyView {
            accounts: vec![entry("GitHub:bob", Some(("111111", 100, 30))), entry("aws", Some(("222222", 100, 30)))],
            ..KeyView::default()
        });
        m.keys.push(KeyView {
            accounts: vec![entry("60/slow", Some(("333333", 100, 60))), entry("_hidden:x", None), entry("git-work", None)],
            ..KeyView::default()
        });
        m
    }

    #[test]
    fn rows_filter_and_cursor() {
        let mut m = model();
        let ids = |m: &Model| m.rows().iter().map(|(_, e)| e.credential.id_str()).collect::<Vec<_>>();
        assert_eq!(ids(&m), ["aws", "git-work", "GitHub:bob", "60/slow"]);
        m.step(10);
        assert_eq!(m.selected, 3);
        m.filter = "GIT".into();
        m.clamp();
        assert_eq!(ids(&m), ["git-work", "GitHub:bob"]);
        assert_eq!(m.selected, 1);
        assert_eq!(m.current().map(|(k, _)| k), Some(0));
        m.step(-5);
        assert_eq!(m.current().map(|(k, _)| k), Some(1));
        m.filter = "nothing".into();
        m.clamp();
        assert!(m.current().is_none());
    }

    #[test]
    fn periods_and_staleness() {
        let m = model();
        assert_eq!(m.periods().into_iter().collect::<Vec<_>>(), [30, 60]);
        // codes made at 100: the 30 s window ends at 120, the 60 s one at 120 too
        assert!(!m.stale(119));
        assert!(m.stale(120));
        assert_eq!(seconds_left(100, 30), 20);
        assert_eq!(seconds_left(120, 30), 30);
    }
}
