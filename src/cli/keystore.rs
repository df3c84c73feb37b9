//! Remembered access keys: only the derived 16-byte key (never the password), per OATH
//! device id, in `$XDG_DATA_HOME/ykotp/keys.json` (0600, written atomically).

use super::report::{CliError, Exit};
use crate::otp::AccessKey;
use std::collections::BTreeMap;
use std::path::PathBuf;
use zeroize::Zeroizing;

#[derive(Default, serde::Serialize, serde::Deserialize)]
struct File {
    format: u32,
    keys: BTreeMap<String, String>,
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

fn path() -> Result<PathBuf, CliError> {
    Ok(data_dir()?.join("keys.json"))
}

fn load() -> Result<File, CliError> {
    let p = path()?;
    let text = match std::fs::read_to_string(&p) {
        Ok(t) => Zeroizing::new(t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(File { format: 1, keys: BTreeMap::new() }),
        Err(e) => return Err(CliError::new(Exit::Other, format!("cannot read {}: {e}", p.display()))),
    };
    serde_json::from_str(&text).map_err(|e| {
        CliError::new(Exit::Other, format!("{} is corrupt: {e}", p.display())).hint("delete it; you will be asked for the password again")
    })
}

fn save(file: &File) -> Result<(), CliError> {
    let p = path()?;
    let fail = |e: std::io::Error| CliError::new(Exit::Other, format!("cannot write {}: {e}", p.display()));
    if let Some(dir) = p.parent() {
        crate::private_file::create_dir(dir).map_err(fail)?;
    }
    let json = Zeroizing::new(serde_json::to_string_pretty(file).map_err(|e| CliError::new(Exit::Other, e.to_string()))?);
    crate::private_file::write(&p, json.as_bytes()).map_err(fail)
}

/// The remembered key for a device, if any.
pub fn get(device_id: &str) -> Result<Option<AccessKey>, CliError> {
    let file = load()?;
    let Some(hex) = file.keys.get(device_id) else {
        return Ok(None);
    };
    let bytes = Zeroizing::new(hex::decode(hex).unwrap_or_default());
    Ok(<[u8; 16]>::try_from(bytes.as_slice()).ok().map(AccessKey::from_bytes))
}

/// Remembers a key.
pub fn set(device_id: &str, key: &AccessKey) -> Result<(), CliError> {
    let mut file = load()?;
    file.format = 1;
    file.keys.insert(device_id.to_owned(), hex::encode(key.as_bytes()));
    save(&file)
}

/// Forgets a key; whether there was one.
pub fn remove(device_id: &str) -> Result<bool, CliError> {
    let mut file = load()?;
    let had = file.keys.remove(device_id).is_some();
    if had {
        save(&file)?;
    }
    Ok(had)
}

/// Forgets every key; how many there were.
pub fn clear() -> Result<usize, CliError> {
    let mut file = load()?;
    let n = file.keys.len();
    file.keys.clear();
    save(&file)?;
    Ok(n)
}
