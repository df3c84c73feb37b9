//! Errors for people: `ykotp: error: …` and `ykotp: hint: …` on stderr, and the
//! documented exit codes.

use crate::oath::Error as OathError;
use crate::transport::TransportError;
use std::io::Write;
use std::process::ExitCode;

/// The exit codes: a contract for scripts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Exit {
    /// Any other error.
    Other = 1,
    /// Bad usage or bad input.
    Usage = 2,
    /// PC/SC unavailable: pcscd not running, no reader.
    Pcsc = 3,
    /// No key with an OATH applet, or several and none chosen.
    NoKey = 4,
    /// No account matches.
    NoMatch = 5,
    /// The query matches several accounts.
    Ambiguous = 6,
    /// Touch not given.
    Touch = 7,
    /// Password required or wrong.
    Password = 8,
    /// The key is held exclusively by another program.
    Busy = 9,
    /// Refused to overwrite or destroy without --force.
    Refused = 10,
    /// The key cannot do it (full, firmware too old).
    Unsupported = 11,
    /// A code or a backup did not match.
    Mismatch = 12,
}

/// The exit codes as `--help` shows them.
pub const EXIT_CODES_HELP: &str = "Exit codes: 0 ok, 1 other error, 2 usage, 3 PC/SC unavailable, 4 no key \
(or several and none chosen), 5 no matching account, 6 several accounts match, 7 touch not given, \
8 password required or wrong, 9 key busy, 10 refused without --force, 11 the key cannot do it, 12 mismatch";

/// An error on its way to the user.
#[derive(Debug)]
pub struct CliError {
    /// Exit code.
    pub exit: Exit,
    /// One line: what went wrong.
    pub message: String,
    /// What to do next.
    pub hints: Vec<String>,
}

impl CliError {
    /// An error with an exit code.
    pub fn new(exit: Exit, message: impl Into<String>) -> Self {
        CliError { exit, message: message.into(), hints: Vec::new() }
    }

    /// Adds a hint line.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hints.push(hint.into());
        self
    }

    /// Prints it and gives the exit code.
    pub fn report(&self) -> ExitCode {
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "ykotp: error: {}", self.message);
        for h in &self.hints {
            let _ = writeln!(err, "ykotp: hint: {h}");
        }
        ExitCode::from(self.exit as u8)
    }
}

impl From<crate::private_file::Untrusted> for CliError {
    fn from(e: crate::private_file::Untrusted) -> Self {
        let fix = e.problem.fix(&e.path);
        CliError::new(Exit::Usage, e.to_string())
            .hint(fix)
            .hint("ykotp refuses files and directories that another user could have changed (like OpenSSH's StrictModes)")
    }
}

impl From<crate::private_file::LockError> for CliError {
    fn from(e: crate::private_file::LockError) -> Self {
        use crate::private_file::LockError as L;
        match e {
            L::Untrusted { path, problem } => crate::private_file::Untrusted { path, problem }.into(),
            L::Timeout { .. } => CliError::new(Exit::Other, e.to_string()).hint("another ykotp may be stuck; try again"),
            L::Io { .. } => CliError::new(Exit::Other, e.to_string()),
        }
    }
}

impl From<TransportError> for CliError {
    fn from(e: TransportError) -> Self {
        use TransportError as T;
        match e {
            T::NoService => CliError::new(Exit::Pcsc, "cannot reach the PC/SC service (pcscd)")
                .hint("install and start it: sudo apt-get install pcscd && sudo systemctl enable --now pcscd.socket"),
            T::NoReaders => CliError::new(Exit::Pcsc, "no smart card reader found")
                .hint("plug in your YubiKey; `pcsc_scan` shows what pcscd sees"),
            T::AccessDenied => CliError::new(Exit::Pcsc, "pcscd refused access to the reader")
                .hint("over ssh, polkit may deny PC/SC access: see udev/README.md"),
            T::Busy => CliError::new(Exit::Busy, "the key is in use by another program")
                .hint("gpg's scdaemon often holds it: run `gpgconf --kill scdaemon`, or put `disable-ccid` and `pcsc-shared` in ~/.gnupg/scdaemon.conf"),
            T::CardRemoved => CliError::new(Exit::NoKey, "the key was removed or stopped answering")
                .hint("plug it back in and try again"),
            T::CardReset => CliError::new(Exit::Other, "the key was reset by another program during the operation")
                .hint("try again"),
            T::Malformed => CliError::new(Exit::Other, "the key sent a malformed response"),
            T::EmptyMoreData { .. } | T::EndlessChain { .. } => {
                CliError::new(Exit::Other, e.to_string()).hint("the card breaks ISO 7816 response chaining; see docs/tokens.md")
            }
            T::NoAnswer { .. } => no_answer(e.to_string()),
            T::Pcsc(m) => CliError::new(Exit::Pcsc, format!("PC/SC error: {m}")),
            T::Script(m) => CliError::new(Exit::Other, m),
            T::Io(m) => CliError::new(Exit::Other, m),
        }
    }
}

fn no_answer(text: String) -> CliError {
    CliError::new(Exit::NoKey, text).hint("unplug the key and plug it back in; if it keeps happening, see docs/tokens.md")
}

impl From<OathError> for CliError {
    fn from(e: OathError) -> Self {
        use OathError as E;
        let text = e.to_string();
        match e {
            E::Transport(t) => t.into(),
            E::AppletNotFound => CliError::new(Exit::NoKey, "the key has no OATH applet, or it is disabled")
                .hint("enable it with `ykman config usb --enable OATH`"),
            E::Locked => CliError::new(Exit::Password, "the key is protected by a password")
                .hint("give it with --password-cmd CMD, or remember it with `ykotp password remember`"),
            E::WrongPassword => CliError::new(Exit::Password, "wrong password"),
            E::TouchNotGiven => CliError::new(Exit::Touch, "the key was not touched in time").hint("touch the key while it blinks"),
            E::TouchRequired { .. } => CliError::new(Exit::Touch, text)
                .hint("this key asks for a touch first: touch it while it blinks, and run the command again"),
            E::CannotOverwrite { .. } => CliError::new(Exit::Unsupported, text)
                .hint("delete the account with `ykotp delete` first, then add it again (keep the secret at hand)"),
            E::NoAnswer { .. } => no_answer(text),
            E::BrokenChain { .. } => {
                CliError::new(Exit::Other, text).hint("the card breaks ISO 7816 response chaining; see docs/tokens.md")
            }
            E::NoSuchAccount => CliError::new(Exit::NoMatch, "the key has no such account").hint("run `ykotp list` to see the accounts"),
            E::NoSpace => CliError::new(Exit::Unsupported, "the key has no space left for another account")
                .hint("delete an account with `ykotp delete` first"),
            E::NotSupported | E::NeedsFirmware { .. } => CliError::new(Exit::Unsupported, text),
            _ => CliError::new(Exit::Other, text),
        }
    }
}
