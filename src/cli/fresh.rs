//! `code --fresh`: many servers accept each TOTP code once (NERSC does), so two runs in
//! the same window would fail. Remembers, per account, only the last time step printed
//! (never a code) in `$XDG_STATE_HOME/ykotp/fresh.json`.
//!
//! The step is reserved before the code is printed, under the file's lock: of two
//! `code --fresh` started together one gets this window and the other waits for the
//! next; when the step cannot be recorded, nothing is printed.

use super::keystore::xdg_dir;
use super::report::CliError;
use super::state_file::StateFile;
use std::collections::BTreeMap;

#[derive(serde::Serialize, serde::Deserialize)]
struct File {
    format: u32,
    last_step: BTreeMap<String, u64>,
}

impl Default for File {
    fn default() -> Self {
        File { format: 1, last_step: BTreeMap::new() }
    }
}

/// A recorded step further ahead than this means the clock went back (one run prints at
/// most 10 consecutive windows, and may have waited one): it no longer blocks anything.
const MAX_AHEAD: u64 = 11;

/// The file.
pub fn state_file() -> Result<StateFile, CliError> {
    Ok(StateFile::new(xdg_dir("XDG_STATE_HOME", ".local/state")?.join("fresh.json"), "delete it; --fresh will start over"))
}

fn key(id: &str, period: u64) -> String {
    format!("{period}/{id}")
}

/// Whether `recorded` (the last step printed) forbids printing `step`.
pub fn taken(recorded: u64, step: u64) -> bool {
    recorded >= step && recorded - step <= MAX_AHEAD
}

/// The last time step printed for `id` (keyed with its period, which defines the step).
pub fn last_step(id: &str, period: u64) -> Result<Option<u64>, CliError> {
    let f: File = state_file()?.load()?;
    Ok(f.last_step.get(&key(id, period)).copied())
}

/// Records steps `first..=last` of `id` as printed, unless another run printed one of
/// them already: `Ok(false)` then, and the caller must move on to a later window.
pub fn reserve(id: &str, period: u64, first: u64, last: u64) -> Result<bool, CliError> {
    let sf = state_file()?;
    let lock = sf.lock()?;
    let mut f: File = sf.load()?;
    let k = key(id, period);
    if f.last_step.get(&k).is_some_and(|&recorded| taken(recorded, first)) {
        return Ok(false);
    }
    f.format = 1;
    f.last_step.insert(k, last);
    sf.save(&f, &lock)?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::taken;

    #[test]
    fn a_step_is_taken_by_itself_and_later_ones_not_by_a_clock_gone_back() {
        assert!(taken(10, 10));
        assert!(taken(12, 10));
        assert!(!taken(9, 10));
        assert!(taken(21, 10));
        assert!(!taken(22, 10), "11 steps ahead: the clock went back");
    }
}
