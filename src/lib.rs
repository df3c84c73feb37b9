//! ykotp keeps TOTP/HOTP secrets inside a YubiKey's OATH applet and asks the key for
//! codes, over PC/SC, the way Yubico's own tools do (the YKOATH protocol).
//!
//! The pure core does no I/O: [`iso7816`] holds the APDU and TLV codecs, [`otp`] the RFC
//! 4226/6238 math, [`oath::proto`] and [`oath::credential`] the YKOATH wire format,
//! and [`virtual_key::applet`] a software YubiKey. [`oath::Session`] speaks YKOATH over
//! any [`transport::Transport`]; [`transport::pcsc`] is the real one. The command-line
//! interface lives in `cli` (the default feature "cli").

#![forbid(unsafe_code)]
#![warn(missing_docs, rust_2018_idioms, unused_qualifications, clippy::unwrap_used)]
#![cfg_attr(test, allow(clippy::unwrap_used))]

// Files that hold secrets are created 0600 in 0700 directories (private_file.rs), which
// needs POSIX modes; the CLI also prompts on /dev/tty and runs helper commands with sh.
// Linux is tested; macOS and the BSDs compile from the same code. Windows would need
// owner-only ACLs for private_file.rs and console prompts for cli/prompt.rs.
#[cfg(not(unix))]
compile_error!(
    "ykotp supports Unix only (Linux, macOS, BSD): private_file.rs needs POSIX file modes (0600/0700) \
     and cli/prompt.rs needs /dev/tty; Windows needs owner-only ACLs and console prompts first"
);

#[cfg(feature = "cli")]
pub mod cli;
pub mod discovery;
pub mod formats;
pub mod iso7816;
pub mod oath;
pub mod otp;
pub mod private_file;
pub mod transport;
pub mod virtual_key;
