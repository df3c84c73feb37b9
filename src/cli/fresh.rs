//! `code --fresh`: many servers accept each TOTP code once (NERSC does), so two runs in
//! the same window would fail. Remembers, per account, only the last time step printed
//! (never a code) in `$XDG_STATE_HOME/ykotp/fresh.json`.

use super::keystore::xdg_dir;
use super::report::{CliError, Exit};
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(Default, serde::Serialize, serde::Deserialize)]
struct File {
    format: u32,
    last_step: BTreeMap<String, u64>,
}

fn path() -> Result<PathBuf, CliError> {
    Ok(xdg_dir("XDG_STATE_HOME", ".local/state")?.join("fresh.json"))
}

fn load() -> Result<File, CliError> {
    let p = path()?;
    match std::fs::read_to_string(&p) {
        Ok(t) => serde_json::from_str(&t)
            .map_err(|e| CliError::new(Exit::Other, format!("{} is corrupt: {e}", p.display())).hint("delete it; --fresh will start over")),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(File { format: 1, last_step: BTreeMap::new() }),
        Err(e) => Err(CliError::new(Exit::Other, format!("cannot read {}: {e}", p.display()))),
    }
}

/// The last time step printed for `id` (keyed with its period, which defines the step).
pub fn last_step(id: &str, period: u64) -> Result<Option<u64>, CliError> {
    Ok(load()?.last_step.get(&format!("{period}/{id}")).copied())
}

/// Remembers the last time step printed for `id`.
pub fn remember(id: &str, period: u64, step: u64) -> Result<(), CliError> {
    let mut f = load()?;
    f.format = 1;
    f.last_step.insert(format!("{period}/{id}"), step);
    let p = path()?;
    let fail = |e: std::io::Error| CliError::new(Exit::Other, format!("cannot write {}: {e}", p.display()));
    if let Some(dir) = p.parent() {
        crate::private_file::create_dir(dir).map_err(fail)?;
    }
    let json = serde_json::to_string_pretty(&f).map_err(|e| CliError::new(Exit::Other, e.to_string()))?;
    crate::private_file::write(&p, json.as_bytes()).map_err(fail)
}
