//! ykotp keeps TOTP/HOTP secrets inside a YubiKey's OATH applet and asks the key for
//! codes, over PC/SC, the way Yubico's own tools do (the YKOATH protocol).
//!
//! The pure core does no I/O: [`iso7816`] holds the APDU and TLV codecs, [`otp`] the RFC
//! 4226/6238 math, [`oath::proto`] and [`oath::credential`] the YKOATH wire format,
//! and [`virtual_key::applet`] a software YubiKey. [`oath::Session`] speaks YKOATH over
//! any [`transport::Transport`]; [`transport::pcsc`] is the real one. The command-line
//! interface lives in `cli` (the default feature "cli").
//!
//! The OTP engine alone, checked against RFC 6238's SHA-1 vector at T = 59 s:
//!
//! ```
//! use ykotp::otp::{totp, Algorithm};
//!
//! let key = b"12345678901234567890";
//! assert_eq!(totp(Algorithm::Sha1, key, 59, 30, 0, 8), "94287082");
//! ```
//!
//! The same secret stored in a key, which then computes the code. Here the key is the
//! crate's virtual YubiKey in a file; with a real key, open the PC/SC transport through
//! [`discovery::Keys`] instead, and the session works the same way:
//!
//! ```
//! use ykotp::oath::credential::CredentialData;
//! use ykotp::oath::Session;
//! use ykotp::virtual_key::card::VirtualCard;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! let card = VirtualCard::open(&dir.path().join("key.json"), None)?;
//! let mut session = Session::select(card)?;
//! // the secret goes into the key (base32 of RFC 6238's "12345678901234567890")
//! let uri = "otpauth://totp/Example:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&digits=8";
//! session.put(&CredentialData::from_uri(uri)?)?;
//! // and never comes back out: LIST names it, CALCULATE gives codes
//! let accounts = session.list()?;
//! assert_eq!(accounts[0].id_str(), "Example:alice");
//! let code = session.calculate(&accounts[0], 59)?;
//! assert_eq!((code.value.as_str(), code.valid_from, code.valid_to), ("94287082", 30, 60));
//! # Ok(()) }
//! ```

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
