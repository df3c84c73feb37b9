//! The small JSON files ykotp keeps for itself (`keys.json`, `fresh.json`): checked like
//! OpenSSH's StrictModes before use, read with a cap, changed only under their lock,
//! written through `private_file`. Errors name the file and never quote its content.

use super::report::{CliError, Exit};
use crate::private_file::{self, json_problem, Kind, Lock};
use serde::{de::DeserializeOwned, Serialize};
use std::path::{Path, PathBuf};
use std::time::Duration;
use zeroize::Zeroizing;

/// The largest state file read: far more than any real one (a few hundred bytes).
pub const MAX_STATE_BYTES: u64 = 1 << 20;
/// How long a read-modify-write waits for another ykotp holding the lock.
const LOCK_WAIT: Duration = Duration::from_secs(10);

/// One state file.
pub struct StateFile {
    path: PathBuf,
    /// What to do when it is corrupt.
    reset_hint: &'static str,
}

impl StateFile {
    /// The file at `path`, in a directory of ykotp's own.
    pub fn new(path: PathBuf, reset_hint: &'static str) -> Self {
        StateFile { path, reset_hint }
    }

    /// Where it is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Refuses the file or its directory when another user could have written them.
    pub fn check(&self) -> Result<(), CliError> {
        Ok(private_file::check_file_and_dir(&self.path, Kind::OwnDir)?)
    }

    /// Its content, or `T::default()` when there is none.
    pub fn load<T: DeserializeOwned + Default>(&self) -> Result<T, CliError> {
        self.check()?;
        let p = &self.path;
        let bytes = match private_file::read_capped(p, MAX_STATE_BYTES) {
            Ok(Some(b)) => b,
            Ok(None) => return Ok(T::default()),
            Err(e) => return Err(CliError::new(Exit::Other, format!("cannot read {}: {e}", p.display()))),
        };
        serde_json::from_slice(&bytes)
            .map_err(|e| CliError::new(Exit::Other, format!("{} is corrupt: {}", p.display(), json_problem(&e))).hint(self.reset_hint))
    }

    /// Takes its lock (creating the private directory first), for a read-modify-write.
    pub fn lock(&self) -> Result<Lock, CliError> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        private_file::create_dir(dir).map_err(|e| CliError::new(Exit::Other, format!("cannot create {}: {e}", dir.display())))?;
        self.check()?;
        Ok(private_file::lock(&private_file::lock_path(&self.path), LOCK_WAIT)?)
    }

    /// Writes it (the caller holds the lock).
    pub fn save<T: Serialize>(&self, value: &T, _lock: &Lock) -> Result<(), CliError> {
        let p = &self.path;
        let json = Zeroizing::new(serde_json::to_vec_pretty(value).map_err(|e| CliError::new(Exit::Other, e.to_string()))?);
        private_file::write(p, &json).map_err(|e| CliError::new(Exit::Other, format!("cannot write {}: {e}", p.display())))
    }
}
