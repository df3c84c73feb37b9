//! Errors for people: `ykotp: error: …` and `ykotp: hint: …` on stderr, and the
//! documented exit codes.

use crate::discovery::{self, KeyInfo};
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

impl Exit {
    /// Every exit code but 0, in order: the manual's EXIT STATUS lists them.
    pub const ALL: [Exit; 12] = [
        Exit::Other,
        Exit::Usage,
        Exit::Pcsc,
        Exit::NoKey,
        Exit::NoMatch,
        Exit::Ambiguous,
        Exit::Touch,
        Exit::Password,
        Exit::Busy,
        Exit::Refused,
        Exit::Unsupported,
        Exit::Mismatch,
    ];

    /// What the code tells a script, as the manual and the README say it.
    pub fn meaning(self) -> &'static str {
        match self {
            Exit::Other => "any other error",
            Exit::Usage => "usage or bad input (unknown flag, malformed secret, name over 64 bytes, unsafe config file, …)",
            Exit::Pcsc => "PC/SC unavailable: pcscd not running, no reader",
            Exit::NoKey => "no key with an OATH applet, a key removed or silent mid-command, or several keys and none chosen",
            Exit::NoMatch => "no account matches (and, for askpass, no rule matches the prompt)",
            Exit::Ambiguous => "the query matches several accounts",
            Exit::Touch => "touch not given in time",
            Exit::Password => "password required or wrong",
            Exit::Busy => "the key is held by another program (often gpg's scdaemon)",
            Exit::Refused => "refused to overwrite or destroy without --force",
            Exit::Unsupported => "the key cannot do it: full, firmware too old, cannot overwrite, did not store the password",
            Exit::Mismatch => "a code or a backup did not match",
        }
    }
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
    /// No key holding the account could be reached (PC/SC unavailable, no key, not on
    /// any key): a software fallback may stand in. Decided here, from the error's kind,
    /// never from the exit code.
    pub key_absent: bool,
}

impl CliError {
    /// An error with an exit code.
    pub fn new(exit: Exit, message: impl Into<String>) -> Self {
        CliError { exit, message: message.into(), hints: Vec::new(), key_absent: false }
    }

    fn absent(mut self) -> Self {
        self.key_absent = true;
        self
    }

    /// No account matches `query` on the `searched` keys.
    pub fn no_account(query: &str, searched: usize) -> Self {
        let message = match searched {
            0 | 1 => format!("no account matches \"{query}\""),
            n => format!("no account matches \"{query}\" on any of the {n} keys"),
        };
        let hint = if searched > 1 { "run `ykotp list` to see the accounts of every key" } else { "run `ykotp list` to see the accounts" };
        CliError::new(Exit::NoMatch, message).hint(hint).absent()
    }

    /// Adds a hint line.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hints.push(hint.into());
        self
    }

    /// Prints it and gives the exit code.
    pub fn report(&self) -> ExitCode {
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "ykotp: error: {}", super::output::escape(&self.message));
        for h in &self.hints {
            let _ = writeln!(err, "ykotp: hint: {}", super::output::escape(h));
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
                .hint("install and start it: sudo apt-get install pcscd && sudo systemctl enable --now pcscd.socket")
                .absent(),
            T::NoReaders => CliError::new(Exit::Pcsc, "no smart card reader found")
                .hint("plug in your YubiKey; `pcsc_scan` shows what pcscd sees")
                .absent(),
            T::AccessDenied => CliError::new(Exit::Pcsc, "pcscd refused access to the reader")
                .hint("over ssh, polkit may deny PC/SC access: see TROUBLESHOOTING in `man ykotp`")
                .absent(),
            T::Busy => CliError::new(Exit::Busy, "the key is in use by another program")
                .hint("gpg's scdaemon often holds it: run `gpgconf --kill scdaemon`, or put `disable-ccid` and `pcsc-shared` in ~/.gnupg/scdaemon.conf"),
            T::CardRemoved => CliError::new(Exit::NoKey, "the key was removed or stopped answering")
                .hint("plug it back in and try again")
                .absent(),
            T::CardReset => CliError::new(Exit::Other, "the key was reset by another program during the operation")
                .hint("try again"),
            T::Malformed => CliError::new(Exit::Other, "the key sent a malformed response"),
            T::EmptyMoreData { .. } | T::EndlessChain { .. } => {
                CliError::new(Exit::Other, e.to_string()).hint("the card breaks ISO 7816 response chaining; see TROUBLESHOOTING in `man ykotp`")
            }
            T::NoAnswer { .. } => no_answer(e.to_string()),
            ref pcsc @ T::Pcsc(_) => CliError::new(Exit::Pcsc, with_causes(pcsc)).absent(),
            ref other => CliError::new(Exit::Other, with_causes(other)),
        }
    }
}

/// An error's message followed by its causes, each said once.
pub fn with_causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let said = c.to_string();
        if !text.contains(&said) {
            text = format!("{text}: {said}");
        }
        cause = c.source();
    }
    text
}

/// A key as a hint names it, with the option that chooses it.
fn selector_hint(k: &KeyInfo) -> String {
    match (k.serial, k.device_id.stable()) {
        (Some(s), _) => format!("\"{}\": serial {s}; choose it with --device {s}", k.reader),
        (None, Some(id)) => format!("\"{}\": device id {id}; choose it with --device {id}", k.reader),
        // a device id that changes on every SELECT names nothing: the reader does
        (None, None) => format!("\"{}\": no serial, and its device id changes on every SELECT; choose it with --reader", k.reader),
    }
}

impl From<discovery::Error> for CliError {
    fn from(e: discovery::Error) -> Self {
        use discovery::Error as D;
        match e {
            D::Oath(o) => o.into(),
            D::NoReaderMatches { wanted, readers } => {
                let names = readers.iter().map(|n| format!("\"{n}\"")).collect::<Vec<_>>().join(", ");
                CliError::new(Exit::NoKey, format!("no reader matches \"{wanted}\"")).hint(format!("readers: {names}")).absent()
            }
            D::NoCard => {
                CliError::new(Exit::NoKey, "no YubiKey found").hint("insert your key; `ykotp readers` lists what pcscd sees").absent()
            }
            D::NoOathKey => CliError::new(Exit::NoKey, "no key with an OATH applet found")
                .hint("insert your YubiKey; `ykotp readers` lists what pcscd sees")
                .absent(),
            D::NoApplet { reader } => CliError::new(Exit::NoKey, format!("the key in \"{reader}\" has no OATH applet"))
                .hint("enable it with `ykman config usb --enable OATH`")
                .absent(),
            D::NoKeyMatches(id) => CliError::new(Exit::NoKey, format!("no key matches --device {id}"))
                .hint("run `ykotp readers` to see serial numbers and device ids")
                .absent(),
            D::Several(keys) => {
                let keys: Vec<_> = keys.into_iter().map(Ok).collect();
                CliError::on_keys(Exit::NoKey, format!("{} keys found; choose one with --device or --reader", keys.len()), &keys)
            }
        }
    }
}

impl CliError {
    /// An error about several keys, each named with the option that chooses it (a key
    /// that could not be probed by its reader).
    pub fn on_keys(exit: Exit, message: String, keys: &[Result<KeyInfo, String>]) -> Self {
        keys.iter().fold(CliError::new(exit, message), |e, k| match k {
            Ok(k) => e.hint(selector_hint(k)),
            Err(reader) => e.hint(format!("\"{reader}\": choose it with --reader")),
        })
    }
}

fn no_answer(text: String) -> CliError {
    // a card that stopped answering cannot give the code: a fallback may stand in
    CliError::new(Exit::NoKey, text)
        .hint("unplug the key and plug it back in; if it keeps happening, see TROUBLESHOOTING in `man ykotp`")
        .absent()
}

impl From<OathError> for CliError {
    fn from(e: OathError) -> Self {
        use OathError as E;
        let text = e.to_string();
        match e {
            E::Transport(t) => t.into(),
            E::AppletNotFound => CliError::new(Exit::NoKey, "the key has no OATH applet, or it is disabled")
                .hint("enable it with `ykman config usb --enable OATH`")
                .absent(),
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
                CliError::new(Exit::Other, text).hint("the card breaks ISO 7816 response chaining; see TROUBLESHOOTING in `man ykotp`")
            }
            E::NoSuchAccount => {
                CliError::new(Exit::NoMatch, "the key has no such account").hint("run `ykotp list` to see the accounts").absent()
            }
            E::NoSpace => CliError::new(Exit::Unsupported, "the key has no space left for another account")
                .hint("delete an account with `ykotp delete` first"),
            E::NotSupported | E::NeedsFirmware { .. } => CliError::new(Exit::Unsupported, text),
            _ => CliError::new(Exit::Other, text),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causes_are_said_once_and_fallback_follows_the_kind_not_the_exit_code() {
        let io = TransportError::io("cannot lock k.lock", std::io::Error::other("disk on fire"));
        assert_eq!(with_causes(&io), "cannot lock k.lock: disk on fire");
        let pcsc = CliError::from(TransportError::Pcsc(pcsc::Error::InvalidHandle));
        assert!(pcsc.message.starts_with("PC/SC error: ") && pcsc.message.len() > "PC/SC error: ".len(), "{}", pcsc.message);
        assert!(pcsc.key_absent);
        // a busy key is present: never computed in software behind the user's back
        assert!(!CliError::from(TransportError::Busy).key_absent);
        assert!(CliError::from(discovery::Error::NoCard).key_absent);
        assert!(CliError::no_account("aws", 2).key_absent);
        assert!(!CliError::from(OathError::Locked).key_absent);
    }

    #[test]
    fn a_device_id_that_changes_is_never_suggested() {
        let key = |serial, device_id| KeyInfo {
            reader: "R".into(),
            serial,
            version: crate::oath::proto::Version(5, 4, 3),
            device_id,
            locked: false,
        };
        let e = CliError::from(discovery::Error::Several(vec![
            key(Some(7), discovery::DeviceId::Volatile),
            key(None, discovery::DeviceId::Stable("abc".into())),
            key(None, discovery::DeviceId::Volatile),
        ]));
        assert_eq!(e.exit, Exit::NoKey);
        assert_eq!(e.hints[0], "\"R\": serial 7; choose it with --device 7");
        assert_eq!(e.hints[1], "\"R\": device id abc; choose it with --device abc");
        assert!(e.hints[2].ends_with("choose it with --reader") && !e.hints[2].contains("--device"), "{}", e.hints[2]);
    }
}
