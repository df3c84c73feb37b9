//! Where secrets and passwords come from: stdin, a command's stdout (`pass show …`,
//! `op read …`), a file, or a no-echo prompt. Never argv of a child process, never a log.

use super::prompt;
use super::report::{CliError, Exit};
use std::io::{IsTerminal, Read};
use std::process::{Command, Stdio};
use zeroize::Zeroizing;

/// The most read from a helper command, stdin or a secret file: a secret, a password or
/// an otpauth URI is far shorter, and a command that never stops printing must not take
/// all memory.
pub const MAX_INPUT_BYTES: u64 = 64 * 1024;

/// Runs `sh -c CMD` and returns its stdout (at most [`MAX_INPUT_BYTES`]). Its stderr goes
/// to ours (pinentry, errors). Errors never repeat the command: it may hold a path or
/// an account name the person does not want in a log.
pub fn run_command(cmd: &str, what: &str) -> Result<Zeroizing<String>, CliError> {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .stdin(Stdio::inherit())
        .stderr(Stdio::inherit())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| CliError::new(Exit::Other, format!("cannot run the {what} command: {e}")))?;
    let mut stdout = Zeroizing::new(Vec::new());
    let read = child.stdout.take().map(|out| out.take(MAX_INPUT_BYTES + 1).read_to_end(&mut stdout));
    if stdout.len() as u64 > MAX_INPUT_BYTES {
        let _ = child.kill();
        let _ = child.wait();
        return Err(CliError::new(Exit::Other, format!("the {what} command printed more than {} KiB", MAX_INPUT_BYTES / 1024))
            .hint("it should print the secret (or password) on its first line"));
    }
    let status = child.wait().map_err(|e| CliError::new(Exit::Other, format!("the {what} command: {e}")))?;
    if let Some(Err(e)) = read {
        return Err(CliError::new(Exit::Other, format!("cannot read the output of the {what} command: {e}")));
    }
    if !status.success() {
        let code = status.code().map_or("a signal".to_owned(), |c| format!("status {c}"));
        return Err(CliError::new(Exit::Other, format!("the {what} command failed with {code}")).hint("run it on its own to see why"));
    }
    let text = String::from_utf8(stdout.to_vec())
        .map_err(|_| CliError::new(Exit::Other, format!("the {what} command printed something that is not text")))?;
    Ok(Zeroizing::new(text))
}

/// Reads at most [`MAX_INPUT_BYTES`] of `input` as text.
fn read_capped(input: impl Read, what: &str, from: &str) -> Result<Zeroizing<String>, CliError> {
    let mut bytes = Zeroizing::new(Vec::new());
    input
        .take(MAX_INPUT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| CliError::new(Exit::Other, format!("cannot read the {what} from {from}: {e}")))?;
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        return Err(CliError::new(Exit::Usage, format!("{from} holds more than {} KiB; that is not a {what}", MAX_INPUT_BYTES / 1024)));
    }
    let text = std::str::from_utf8(&bytes).map_err(|_| CliError::new(Exit::Usage, format!("the {what} from {from} is not text")))?;
    Ok(Zeroizing::new(text.to_owned()))
}

/// Stdin (at most [`MAX_INPUT_BYTES`]).
pub fn read_stdin(what: &str) -> Result<Zeroizing<String>, CliError> {
    read_capped(std::io::stdin().lock(), what, "stdin")
}

/// A file's contents (at most [`MAX_INPUT_BYTES`]).
pub fn read_file(path: &std::path::Path, what: &str) -> Result<Zeroizing<String>, CliError> {
    let file = std::fs::File::open(path)
        .map_err(|e| CliError::new(Exit::Other, format!("cannot read the {what} from {}: {e}", path.display())))?;
    read_capped(file, what, &path.display().to_string())
}

/// The first line, without its line ending (what `pass show` puts the password on).
pub fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("").trim_end_matches('\r')
}

fn no_secret(why: &str) -> CliError {
    CliError::new(Exit::Usage, format!("no secret given: {why}"))
        .hint("pipe it in (… | ykotp put NAME), or use --secret-cmd 'pass show …' or --secret-file FILE")
}

/// What a secret source is asked for.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// A base32 secret, or an otpauth URI.
    #[default]
    Secret,
    /// An otpauth URI (`--uri -`, `--uri-cmd`).
    Uri,
    /// Hexadecimal (`calc --hex`): the caller decodes and checks it.
    Hex,
}

/// Where a secret comes from, in the order they are tried.
#[derive(Debug, Default, Clone)]
pub struct Source<'a> {
    /// `SECRET` or `-` on the command line.
    pub positional: Option<&'a str>,
    /// `--secret-cmd` (or `--uri-cmd`, with `expect: Uri`).
    pub command: Option<&'a str>,
    /// `--secret-file`.
    pub file: Option<&'a std::path::Path>,
    /// What the first line must be.
    pub expect: Expect,
}

impl Source<'_> {
    /// The first line of a command or file, stdin, the argument, or a prompt, checked by
    /// [`check_first_line`].
    pub fn read(&self) -> Result<Zeroizing<String>, CliError> {
        let flag = if self.expect == Expect::Uri { "--uri-cmd" } else { "--secret-cmd" };
        let (text, source, stored) = if let Some(cmd) = self.command {
            (run_command(cmd, flag)?, format!("the output of {flag}"), true)
        } else if let Some(path) = self.file {
            (read_file(path, "secret")?, format!("the file {}", path.display()), true)
        } else {
            match self.positional {
                Some("-") => (read_stdin("secret")?, "stdin".to_owned(), false),
                Some(s) => (Zeroizing::new(s.to_owned()), "the SECRET argument".to_owned(), false),
                // a pipe is an answer: reading it (as ykman does) beats a hidden prompt
                // that looks hung while the secret sits unread in the pipe
                None if !std::io::stdin().is_terminal() => (read_stdin("secret")?, "stdin".to_owned(), false),
                None if prompt::interactive() => (prompt::password("Secret (base32): ")?, "the prompt".to_owned(), false),
                None => return Err(no_secret("there is no terminal to ask on")),
            }
        };
        if text.trim().is_empty() {
            return Err(no_secret(&format!("{source} is empty")));
        }
        check_first_line(&text, &source, self.expect, stored).map(|l| Zeroizing::new(l.to_owned()))
    }
}

/// The first non-empty line of `text` if it looks like what was asked for; otherwise an
/// error naming `source` (never quoting it). A password and a base32 secret can look
/// alike (`hunterhunter2` is valid base32), so this refuses only what a secret cannot
/// be: an otpauth URI further down (a pass-otp entry has the password on line 1), and,
/// from a password manager (`stored`), mixed case or fewer than 80 bits.
pub fn check_first_line<'t>(text: &'t str, source: &str, expect: Expect, stored: bool) -> Result<&'t str, CliError> {
    let mut lines = text.lines().map(|l| l.trim()).enumerate().skip_while(|(_, l)| l.is_empty());
    let (_, first) = lines.next().unwrap_or((0, ""));
    let uri_below = lines.find(|(_, l)| l.starts_with("otpauth://")).map(|(i, _)| i + 1);
    let bad = |what: String| CliError::new(Exit::Usage, what);
    let pass_otp_hint = |n: usize| format!("line {n} holds an otpauth:// URI: for a pass-otp entry use `pass otp uri NAME` with --uri-cmd");
    if first.starts_with("otpauth://") || expect == Expect::Hex {
        return Ok(first);
    }
    if expect == Expect::Uri {
        let e = bad(format!("the first line of {source} is not an otpauth:// URI (a password, or a bare secret?)"));
        return Err(match uri_below {
            Some(n) => e.hint(pass_otp_hint(n)),
            None => e.hint("for a bare base32 secret use --secret-cmd instead"),
        });
    }
    if let Some(n) = uri_below {
        return Err(
            bad(format!("the first line of {source} is not the secret: it is followed by an otpauth:// URI")).hint(pass_otp_hint(n))
        );
    }
    let secret = crate::otp::decode_secret(first).map_err(|e| bad(format!("the first line of {source}: {e}")))?;
    if stored {
        let looks_like_a_password = |why: &str| {
            bad(format!("the first line of {source} does not look like a TOTP secret: {why}; a password?"))
                .hint("if it really is the secret, give it on stdin: … | ykotp put NAME -")
        };
        let letters = || first.chars().filter(char::is_ascii_alphabetic);
        if letters().any(|c| c.is_ascii_lowercase()) && letters().any(|c| c.is_ascii_uppercase()) {
            return Err(looks_like_a_password("it mixes upper- and lower-case letters, which base32 secrets do not"));
        }
        if secret.len() < 10 {
            return Err(looks_like_a_password(&format!(
                "it is {} bits, and services issue 80 or more (RFC 4226 asks for 128)",
                secret.len() * 8
            )));
        }
    }
    Ok(first)
}

/// Where a credential's secret comes from, as `put` and `calc` take it: a base32 secret
/// (argument, stdin, command or file) or an otpauth URI with every parameter.
#[derive(Debug, clap::Args)]
pub struct SecretArgs {
    /// The base32 secret (or an otpauth:// URI); `-` reads it from stdin; omitted: asked for without echo
    pub secret: Option<String>,
    /// Take the secret from the first line of this command's output (pass show …, op read …)
    #[arg(long, value_name = "CMD", conflicts_with_all = ["secret", "secret_file", "uri"])]
    pub secret_cmd: Option<String>,
    /// Take the secret from the first line of this file
    #[arg(long, value_name = "FILE", conflicts_with_all = ["secret", "uri"])]
    pub secret_file: Option<std::path::PathBuf>,
    /// Take every parameter from an otpauth:// URI (`-` reads it from stdin)
    #[arg(long, value_name = "URI", conflicts_with = "secret")]
    pub uri: Option<String>,
    /// Take every parameter from the otpauth:// URI on the first line of this command's
    /// output (pass otp uri …, keepassxc-cli show -q -a otp …, op read …)
    #[arg(long, value_name = "CMD", conflicts_with_all = ["secret", "secret_cmd", "secret_file", "uri"])]
    pub uri_cmd: Option<String>,
}

/// The parameters of a bare secret (a URI brings its own).
#[derive(Debug, Clone, clap::Args)]
pub struct ParamArgs {
    /// totp or hotp
    #[arg(short, long = "oath-type", value_name = "TYPE", default_value = "totp", value_parser = possible::<crate::oath::OathType>(&["totp", "hotp"]))]
    pub oath_type: crate::oath::OathType,
    /// sha1, sha256 or sha512
    #[arg(short, long, default_value = "sha1", value_parser = possible::<crate::otp::Algorithm>(&["sha1", "sha256", "sha512"]))]
    pub algorithm: crate::otp::Algorithm,
    /// Number of digits: 6, 7 or 8
    #[arg(long, default_value_t = 6)]
    pub digits: u8,
    /// TOTP period in seconds [default: 30; put also takes it from a NAME written 60/NAME]
    #[arg(short = 'P', long)]
    pub period: Option<u32>,
}

/// A parser that knows its values, so `-a <TAB>` offers them rather than file names.
fn possible<T>(values: &'static [&'static str]) -> impl clap::builder::TypedValueParser<Value = T>
where
    T: std::str::FromStr + Clone + Send + Sync + 'static,
    T::Err: std::fmt::Display,
{
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(values).try_map(|s| s.parse::<T>().map_err(|e| e.to_string()))
}

impl SecretArgs {
    /// The credential, named by the one naming rule: from the URI (its parameters and,
    /// without a NAME, its label and issuer), or the bare secret with `params`. The flag
    /// says whether it came from a URI (which brings its own counter).
    pub fn credential(
        &self,
        params: &ParamArgs,
        naming: crate::oath::credential::NameSources<'_>,
    ) -> Result<(crate::oath::CredentialData, bool), CliError> {
        let text = match (self.uri.as_deref(), self.uri_cmd.as_deref()) {
            (Some("-"), _) => Source { positional: Some("-"), expect: Expect::Uri, ..Source::default() }.read()?,
            (Some(u), _) => Zeroizing::new(u.to_owned()),
            (None, Some(cmd)) => Source { command: Some(cmd), expect: Expect::Uri, ..Source::default() }.read()?,
            (None, None) => Source {
                positional: self.secret.as_deref(),
                command: self.secret_cmd.as_deref(),
                file: self.secret_file.as_deref(),
                expect: Expect::Secret,
            }
            .read()?,
        };
        let text = first_line(text.trim());
        if text.starts_with("otpauth://") {
            return crate::oath::CredentialData::from_uri_as(text, naming).map(|d| (d, true)).map_err(naming_error);
        }
        let mut d =
            crate::oath::CredentialData::totp("", crate::otp::decode_secret(text).map_err(|e| CliError::new(Exit::Usage, e.to_string()))?);
        d.oath_type = params.oath_type;
        d.algorithm = params.algorithm;
        d.digits = params.digits;
        d.period = params.period.unwrap_or(crate::oath::credential::DEFAULT_PERIOD);
        if let Some(name) = naming.name {
            d.set_name(name, naming.issuer).map_err(naming_error)?;
        } else if naming.issuer.is_some() {
            d.issuer = naming.issuer.map(str::to_owned);
        }
        Ok((d, false))
    }
}

/// A credential that cannot be named or written as asked: a usage error, with the way
/// forward for the two that people meet.
pub fn naming_error(e: crate::oath::credential::CredentialError) -> CliError {
    use crate::oath::credential::CredentialError as E;
    let hint = match &e {
        E::IssuerConflict(..) => {
            Some("give the whole id as NAME (ISSUER:NAME, or NAME alone) and drop --issuer, or make the two agree".to_owned())
        }
        E::IdTooLong(..) => {
            Some("store it under a short name (ykotp put aws …) and map the long one to it in the config ([account.…] name = …)".to_owned())
        }
        _ => None,
    };
    let err = CliError::new(Exit::Usage, e.to_string());
    match hint {
        Some(h) => err.hint(h),
        None => err,
    }
}
