//! The config file, `$XDG_CONFIG_HOME/ykotp/config.toml` (or `--config`): one
//! `[account.NAME]` table per account a person wants to configure. Unknown keys are an
//! error with their line, never ignored. An `[askpass]` table holds the prompt rules of
//! `ykotp askpass`, a `[touch]` table how a touch is asked for. Documented in
//! docs/config.md.

use super::askpass::rules;
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
    /// The prompt rules of `ykotp askpass`.
    #[serde(default)]
    pub askpass: Askpass,
    /// How a touch is asked for.
    #[serde(default)]
    pub touch: Touch,
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

/// The `[touch]` table.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Touch {
    /// A desktop notification when a touch is needed and no terminal is attached
    /// (default: yes; `YKOTP_NOTIFY` overrides it).
    pub notify: Option<bool>,
}

/// The `[askpass]` table.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Askpass {
    /// Who answers prompts no rule matches: a program run with the prompt as its only
    /// argument (`ssh-askpass`), or `"terminal"`; without it they are not answered.
    pub fallback: Option<String>,
    /// `[[askpass.rule]]` tables, tried in the order of the file.
    #[serde(default)]
    pub rule: Vec<AskpassRule>,
}

/// One `[[askpass.rule]]`.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AskpassRule {
    /// A regular expression searched in the question (case-insensitive).
    pub prompt: toml::Spanned<String>,
    /// A `*`/`?` pattern for the host the prompt shows.
    pub host: Option<toml::Spanned<String>>,
    /// A `*`/`?` pattern for the user the prompt shows.
    pub user: Option<toml::Spanned<String>>,
    /// The account whose code answers: NAME of an `[account.NAME]`, or a query.
    pub account: toml::Spanned<String>,
    /// What to answer.
    #[serde(default)]
    pub answer: Answer,
    /// Like `code --min-valid`: wait for the next code if fewer seconds are left.
    pub min_valid: Option<u64>,
    /// The compiled patterns.
    #[serde(skip)]
    pub matcher: Option<rules::Matcher>,
}

/// What a rule answers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
pub enum Answer {
    /// The account's code.
    #[default]
    #[serde(rename = "code")]
    Code,
    /// The first line of the account's `prepend_cmd`, then the code.
    #[serde(rename = "password+code")]
    PasswordCode,
    /// The first line of the account's `prepend_cmd` alone.
    #[serde(rename = "password")]
    Password,
}

fn value(s: &Option<toml::Spanned<String>>) -> Option<&str> {
    s.as_ref().map(|v| v.get_ref().as_str())
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
    let line = |at: usize| text[..at.min(text.len())].matches('\n').count() + 1;
    let mut config: Config = toml::from_str(text).map_err(|e: toml::de::Error| {
        let at = e.span().map_or(0, |s| s.start);
        let message = e.message().trim();
        // serde's "invalid type: string \"pass show …\", expected …" would repeat a command
        let message = match message.find(", expected") {
            Some(i) if message.starts_with("invalid type") || message.starts_with("invalid value") => {
                format!("a value has the wrong type or form{}", &message[i..])
            }
            _ => message.to_owned(),
        };
        format!("{}: {message}", line(at))
    })?;
    for rule in &mut config.askpass.rule {
        let matcher = rules::Matcher::new(rule.prompt.get_ref(), value(&rule.host), value(&rule.user))
            .map_err(|why| format!("{}: askpass rule: {why}", line(rule.prompt.span().start)))?;
        rule.matcher = Some(matcher);
        if rule.answer != Answer::Code {
            let name = rule.account.get_ref();
            if config.account.get(name).and_then(|a| a.prepend_cmd.as_ref()).is_none() {
                return Err(format!(
                    "{}: askpass rule: answering with the password needs [account.{name}] with a prepend_cmd",
                    line(rule.account.span().start)
                ));
            }
        }
    }
    Ok(config)
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
        let e = parse("[account.x]\nfallback_cmd = [\"pass show secret/x\"]\n").unwrap_err();
        assert!(e.starts_with("2: a value has the wrong type or form, expected") && !e.contains("pass show"), "{e}");
    }

    #[test]
    fn touch_table() {
        assert_eq!(parse("").unwrap().touch.notify, None);
        assert_eq!(parse("[touch]\nnotify = false\n").unwrap().touch.notify, Some(false));
        assert!(parse("[touch]\nnotify = \"no\"\n").unwrap_err().starts_with("2: "));
        assert!(parse("[touch]\nnotfy = false\n").unwrap_err().starts_with("2: unknown field `notfy`"));
    }
}
