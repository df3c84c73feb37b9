//! Where secrets and passwords come from: stdin, a command's stdout (`pass show …`,
//! `op read …`), a file, or a no-echo prompt. Never argv of a child process, never a log.

use super::prompt;
use super::report::{CliError, Exit};
use std::io::Read;
use std::process::{Command, Stdio};
use zeroize::Zeroizing;

/// Runs `sh -c CMD` and returns its stdout. Its stderr goes to ours (pinentry, errors).
pub fn run_command(cmd: &str, what: &str) -> Result<Zeroizing<String>, CliError> {
    let output = Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .stdin(Stdio::inherit())
        .stderr(Stdio::inherit())
        .stdout(Stdio::piped())
        .output()
        .map_err(|e| CliError::new(Exit::Other, format!("cannot run the {what} command: {e}")))?;
    let stdout = Zeroizing::new(output.stdout);
    if !output.status.success() {
        let code = output.status.code().map_or("a signal".to_owned(), |c| format!("status {c}"));
        return Err(CliError::new(Exit::Other, format!("the {what} command failed with {code}"))
            .hint(format!("check that `{cmd}` works on its own")));
    }
    let text = String::from_utf8(stdout.to_vec())
        .map_err(|_| CliError::new(Exit::Other, format!("the {what} command printed something that is not text")))?;
    Ok(Zeroizing::new(text))
}

/// All of stdin.
pub fn read_stdin(what: &str) -> Result<Zeroizing<String>, CliError> {
    let mut s = Zeroizing::new(String::new());
    std::io::stdin().read_to_string(&mut s).map_err(|e| CliError::new(Exit::Other, format!("cannot read the {what} from stdin: {e}")))?;
    Ok(s)
}

/// A file's contents.
pub fn read_file(path: &std::path::Path, what: &str) -> Result<Zeroizing<String>, CliError> {
    std::fs::read_to_string(path)
        .map(Zeroizing::new)
        .map_err(|e| CliError::new(Exit::Other, format!("cannot read the {what} from {}: {e}", path.display())))
}

/// The first line, without its line ending (what `pass show` puts the password on).
pub fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("").trim_end_matches('\r')
}

/// Where a secret comes from, in the order they are tried.
#[derive(Debug, Default, Clone)]
pub struct Source<'a> {
    /// `SECRET` or `-` on the command line.
    pub positional: Option<&'a str>,
    /// `--secret-cmd`.
    pub command: Option<&'a str>,
    /// `--secret-file`.
    pub file: Option<&'a std::path::Path>,
}

impl Source<'_> {
    /// The secret's text: first line of a command or file, stdin, the argument, or a prompt.
    pub fn read(&self) -> Result<Zeroizing<String>, CliError> {
        let text = if let Some(cmd) = self.command {
            run_command(cmd, "--secret-cmd")?
        } else if let Some(path) = self.file {
            read_file(path, "secret")?
        } else {
            match self.positional {
                Some("-") => read_stdin("secret")?,
                Some(s) => Zeroizing::new(s.to_owned()),
                None if prompt::interactive() => prompt::password("Secret (base32): ")?,
                None => {
                    return Err(CliError::new(Exit::Usage, "no secret given")
                        .hint("pipe it in with `-` (… | ykotp put NAME -), or use --secret-cmd 'pass show …'"))
                }
            }
        };
        Ok(Zeroizing::new(first_line(text.trim_start()).trim().to_owned()))
    }
}
