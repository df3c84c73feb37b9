//! The virtual key's state file: JSON, written atomically (temp file, fsync, rename)
//! with mode 0600. A corrupt file is an error, never silently replaced.

use super::state::KeyState;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// Why a state file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The file could not be read or written.
    #[error("cannot {action} the virtual key's state {path}: {source}")]
    Io {
        /// read or write
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// The file is not a valid state.
    #[error("the virtual key's state {path} is corrupt: {why}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        why: String,
    },
}

/// Reads a state; `Ok(None)` when the file does not exist.
pub fn load(path: &Path) -> Result<Option<KeyState>, StoreError> {
    let text = match fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(StoreError::Io { action: "read", path: path.into(), source }),
    };
    let state: KeyState = serde_json::from_str(&text).map_err(|e| StoreError::Corrupt { path: path.into(), why: e.to_string() })?;
    state.check().map_err(|why| StoreError::Corrupt { path: path.into(), why })?;
    Ok(Some(state))
}

/// Writes a state atomically with mode 0600.
pub fn save(path: &Path, state: &KeyState) -> Result<(), StoreError> {
    let json = zeroize::Zeroizing::new(
        serde_json::to_string_pretty(state).map_err(|e| StoreError::Corrupt { path: path.into(), why: e.to_string() })?,
    );
    crate::private_file::write(path, json.as_bytes()).map_err(|source| StoreError::Io { action: "write", path: path.into(), source })
}
