//! The virtual key's state file: JSON, written atomically (temp file, fsync, rename)
//! with mode 0600. A corrupt file is an error, never silently replaced.

use super::state::KeyState;
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
    /// Another user could have written the file or its directory.
    #[error(transparent)]
    Untrusted(#[from] crate::private_file::Untrusted),
    /// The file is not a valid state.
    #[error("the virtual key's state {path} is corrupt: {why}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        why: String,
    },
}

/// The largest state file read: 64 accounts take about 20 KiB.
pub const MAX_STATE_BYTES: u64 = 1 << 20;

/// Reads a state (refused when another user could have written it or its directory); `Ok(None)` when the file does not exist.
pub fn load(path: &Path) -> Result<Option<KeyState>, StoreError> {
    crate::private_file::check_file_and_dir(path, crate::private_file::Kind::ParentDir)?;
    let bytes = match crate::private_file::read_capped(path, MAX_STATE_BYTES) {
        Ok(Some(b)) => b,
        Ok(None) => return Ok(None),
        Err(crate::private_file::ReadError::Io(source)) => return Err(StoreError::Io { action: "read", path: path.into(), source }),
        Err(e) => return Err(StoreError::Corrupt { path: path.into(), why: e.to_string() }),
    };
    let state: KeyState = serde_json::from_slice(&bytes)
        .map_err(|e| StoreError::Corrupt { path: path.into(), why: crate::private_file::json_problem(&e) })?;
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
