//! The config file, `$XDG_CONFIG_HOME/ykotp/config.toml` (or `--config`): one
//! `[account.NAME]` table per account a person wants to configure. Unknown keys are an
//! error with their line, never ignored. Documented in docs/config.md.

use super::report::{CliError, Exit};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One `[account.NAME]` table.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Account {
    /// The full id on the key, when it differs from NAME (e.g. a long AWS ARN).
    pub name: Option<String>,
    /// Prints the backup secret (base32 or an otpauth URI), for codes without the key.
    pub fallback_cmd: Option<String>,
    /// Prints a password to put in front of the code (sshproxy, VPN logins).
    pub prepend_cmd: Option<String>,
}

/// The whole file.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The accounts, by the name people type.
    #[serde(default)]
    pub account: BTreeMap<String, Account>,
    /// Where it was read from (none when there is no file).
    #[serde(skip)]
    pub path: Option<PathBuf>,
}

impl Config {
    /// Reads `explicit`, or the default file if it exists.
    pub fn load(explicit: Option<&Path>) -> Result<Config, CliError> {
        let path = match explicit {
            Some(p) => p.to_owned(),
            None => match super::keystore::xdg_dir("XDG_CONFIG_HOME", ".config") {
                Ok(dir) => dir.join("config.toml"),
                Err(_) => return Ok(Config::default()),
            },
        };
        check_trust(&path, explicit.is_some())?;
        let bytes = match crate::private_file::read_capped(&path, MAX_CONFIG_BYTES) {
            Ok(Some(b)) => b,
            Ok(None) if explicit.is_none() => return Ok(Config::default()),
            Ok(None) => return Err(CliError::new(Exit::Usage, format!("the config file {} does not exist", path.display()))),
            Err(e) => return Err(CliError::new(Exit::Usage, format!("cannot read the config file {}: {e}", path.display()))),
        };
        let text = std::str::from_utf8(&bytes)
            .map_err(|_| CliError::new(Exit::Usage, format!("the config file {} is not UTF-8 text", path.display())))?;
        let mut config = parse(text).map_err(|why| CliError::new(Exit::Usage, format!("{}:{why}", path.display())))?;
        config.path = Some(path);
        Ok(config)
    }

    /// The table for what the person typed, if any.
    pub fn account(&self, typed: &str) -> Option<&Account> {
        self.account.get(typed)
    }
}

/// The largest config file read (a real one is a few hundred bytes).
pub const MAX_CONFIG_BYTES: u64 = 1 << 20;

/// The config runs commands (`fallback_cmd`, `prepend_cmd`): like OpenSSH's StrictModes,
/// refuse it when another user could have written it or its directory.
pub fn check_trust(path: &Path, explicit: bool) -> Result<(), CliError> {
    use crate::private_file::{check_file_and_dir, Kind};
    Ok(check_file_and_dir(path, if explicit { Kind::ParentDir } else { Kind::OwnDir })?)
}

/// Parses config text; errors read "LINE: message".
pub fn parse(text: &str) -> Result<Config, String> {
    toml::from_str(text).map_err(|e: toml::de::Error| {
        let line = e.span().map_or(1, |s| text[..s.start.min(text.len())].matches('\n').count() + 1);
        format!("{line}: {}", e.message().trim())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_and_unknown_keys() {
        let c = parse("[account.aws]\nname = \"arn:aws:iam::123456789012:mfa/alice\"\nfallback_cmd = \"pass show aws-totp\"\n").unwrap();
        assert_eq!(c.account("aws").unwrap().name.as_deref(), Some("arn:aws:iam::123456789012:mfa/alice"));
        assert!(c.account("nope").is_none());
        let e = parse("[account.aws]\nname = \"x\"\n\nfallback = \"y\"\n").unwrap_err();
        assert!(e.starts_with("4: unknown field `fallback`"), "{e}");
        let e = parse("[acount.aws]\n").unwrap_err();
        assert!(e.starts_with("1: unknown field `acount`"), "{e}");
        assert!(parse("[account.x]\nname = 3\n").unwrap_err().starts_with("2: "));
    }
}
