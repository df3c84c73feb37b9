//! Remembered access keys: only the derived 16-byte key (never the password), per OATH
//! device id, in `$XDG_DATA_HOME/ykotp/keys.json` (0600, written atomically, changed
//! under its lock, refused when another user could have written it).

use super::report::{CliError, Exit};
use super::state_file::StateFile;
use crate::otp::AccessKey;
use std::collections::BTreeMap;
use std::path::PathBuf;
use zeroize::Zeroizing;

#[derive(serde::Serialize, serde::Deserialize)]
struct File {
    format: u32,
    keys: BTreeMap<String, String>,
}

impl Default for File {
    fn default() -> Self {
        File { format: 1, keys: BTreeMap::new() }
    }
}

impl Drop for File {
    fn drop(&mut self) {
        for v in self.keys.values_mut() {
            zeroize::Zeroize::zeroize(v);
        }
    }
}

/// `$XDG_DATA_HOME/ykotp` (default `~/.local/share/ykotp`).
pub fn data_dir() -> Result<PathBuf, CliError> {
    xdg_dir("XDG_DATA_HOME", ".local/share")
}

/// `$VAR/ykotp`, or `~/DEFAULT/ykotp`.
pub fn xdg_dir(var: &str, default: &str) -> Result<PathBuf, CliError> {
    if let Some(d) = std::env::var_os(var).filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(d).join("ykotp"));
    }
    match std::env::var_os("HOME").filter(|h| !h.is_empty()) {
        Some(home) => Ok(PathBuf::from(home).join(default).join("ykotp")),
        None => Err(CliError::new(Exit::Other, format!("neither {var} nor HOME is set"))),
    }
}

/// The file.
pub fn state_file() -> Result<StateFile, CliError> {
    Ok(StateFile::new(data_dir()?.join("keys.json"), "delete it; you will be asked for the password again"))
}

/// The remembered key for a device, if any.
pub fn get(device_id: &str) -> Result<Option<AccessKey>, CliError> {
    let file: File = state_file()?.load()?;
    let Some(hex) = file.keys.get(device_id) else {
        return Ok(None);
    };
    let bytes = Zeroizing::new(hex::decode(hex).unwrap_or_default());
    Ok(<[u8; 16]>::try_from(bytes.as_slice()).ok().map(AccessKey::from_bytes))
}

/// Changes the file under its lock: two ykotp at once never lose each other's change.
fn update<R>(change: impl FnOnce(&mut File) -> (R, bool)) -> Result<R, CliError> {
    let f = state_file()?;
    let lock = f.lock()?;
    let mut file: File = f.load()?;
    file.format = 1;
    let (r, changed) = change(&mut file);
    if changed {
        f.save(&file, &lock)?;
    }
    Ok(r)
}

/// Remembers a key.
pub fn set(device_id: &str, key: &AccessKey) -> Result<(), CliError> {
    update(|f| {
        f.keys.insert(device_id.to_owned(), hex::encode(key.as_bytes()));
        ((), true)
    })
}

/// Forgets a key; whether there was one.
pub fn remove(device_id: &str) -> Result<bool, CliError> {
    update(|f| {
        let had = f.keys.remove(device_id).is_some();
        (had, had)
    })
}

/// Forgets every key; how many there were.
pub fn clear() -> Result<usize, CliError> {
    update(|f| {
        let n = f.keys.len();
        f.keys.clear();
        (n, true)
    })
}
