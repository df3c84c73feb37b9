//! The virtual key as an in-process transport over its state file (`--reader virtual:PATH`):
//! every command loads nothing new, but every change is saved before the answer returns,
//! so a killed process leaves either the old or the new state. The key runs on its own
//! thread behind the same deadlines as a PC/SC card ([`Deadline`]), so a key with the
//! `never-answers` quirk tests them.

use super::applet::{CardEnv, VirtualKey};
use super::state::{KeyState, TouchPolicy, DEFAULT_VERSION};
use super::store;
use crate::transport::deadline::Deadline;
use crate::transport::{Transport, TransportError, Wait};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Randomness from the OS and touch decided by a policy.
pub struct OsEnv {
    /// What touch credentials get.
    pub touch: TouchPolicy,
    /// Where "touch" messages go for `delay=MS` (the serve command's stderr).
    pub announce: bool,
}

impl CardEnv for OsEnv {
    fn random(&mut self, buf: &mut [u8]) {
        fill_random(buf);
    }

    fn touch(&mut self, id: &[u8]) -> bool {
        match &self.touch {
            TouchPolicy::Approve => true,
            TouchPolicy::Deny => false,
            TouchPolicy::Fifo(path) => {
                // opening blocks until the other side opens it to write: no polling
                let mut line = String::new();
                let read = std::fs::File::open(path).and_then(|f| std::io::BufRead::read_line(&mut std::io::BufReader::new(f), &mut line));
                read.is_ok() && line.trim() == "approve"
            }
            &TouchPolicy::Delay(ms) => {
                if self.announce {
                    let _ = writeln!(
                        std::io::stderr(),
                        "virtual key: waiting {ms} ms for a touch of {}",
                        String::from_utf8_lossy(id).escape_debug()
                    );
                }
                std::thread::sleep(Duration::from_millis(ms));
                if self.announce {
                    let _ = writeln!(std::io::stderr(), "virtual key: touched");
                }
                true
            }
        }
    }
}

/// Fills `buf` from the OS RNG.
pub fn fill_random(buf: &mut [u8]) {
    // The OS RNG failing is not something a CLI can recover from.
    #[allow(clippy::expect_used)]
    getrandom::fill(buf).expect("the operating system's random number generator failed");
}

/// A new key state with a random salt and serial.
pub fn new_state() -> KeyState {
    let mut salt = [0u8; 8];
    fill_random(&mut salt);
    let mut serial = [0u8; 4];
    fill_random(&mut serial);
    let serial = 10_000_000 + u32::from_be_bytes(serial) % 80_000_000;
    KeyState::new(DEFAULT_VERSION, salt, Some(serial))
}

/// A file-backed virtual key used in-process.
pub struct VirtualCard {
    link: Deadline,
}

struct Core {
    path: PathBuf,
    key: VirtualKey,
    env: OsEnv,
    // Held for the card's lifetime, like a PC/SC transaction: two processes using one
    // state file take turns instead of losing each other's changes.
    _lock: crate::private_file::Lock,
}

/// How long to wait for another process that holds the virtual key
/// (`YKOTP_VIRTUAL_WAIT_MS` overrides it, for tests of a busy key).
fn lock_wait() -> Duration {
    let ms = std::env::var("YKOTP_VIRTUAL_WAIT_MS").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000);
    Duration::from_millis(ms)
}

fn lock(path: &Path) -> Result<crate::private_file::Lock, TransportError> {
    use crate::private_file::LockError;
    crate::private_file::lock(&crate::private_file::lock_path(path), lock_wait()).map_err(|e| match e {
        LockError::Timeout { .. } => TransportError::Busy,
        other => TransportError::io("cannot use the virtual key's lock", other),
    })
}

impl VirtualCard {
    /// Opens (or creates on first use) the key at `path`. `touch` overrides the file's policy.
    /// Waits (a while) for another process using the same file.
    pub fn open(path: &Path, touch: Option<TouchPolicy>) -> Result<Self, TransportError> {
        let lock = lock(path)?;
        let io = |e: store::StoreError| TransportError::io("the virtual key cannot be used", e);
        let state = match store::load(path).map_err(io)? {
            Some(s) => s,
            None => {
                let s = new_state();
                store::save(path, &s).map_err(io)?;
                s
            }
        };
        let touch = touch.unwrap_or_else(|| state.touch.clone());
        let env = OsEnv { touch, announce: false };
        let core = Core { path: path.to_owned(), key: VirtualKey::new(state), env, _lock: lock };
        Ok(VirtualCard { link: Deadline::new(core) })
    }

    /// Takes the state file's lock (for `virtual serve`, which owns the key while it runs).
    pub fn lock_for_serving(path: &Path) -> Result<crate::private_file::Lock, TransportError> {
        lock(path)
    }
}

impl Transport for VirtualCard {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        self.link.transmit(command)
    }

    fn transmit_within(&mut self, command: &[u8], wait: Wait) -> Result<Vec<u8>, TransportError> {
        self.link.transmit_within(command, wait)
    }
}

impl Transport for Core {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        let Some(response) = self.key.respond(command, &mut self.env) else {
            // a hung card: the caller's deadline gives up on it
            loop {
                std::thread::park();
            }
        };
        if self.key.take_dirty() {
            store::save(&self.path, &self.key.state).map_err(|e| TransportError::io("the virtual key cannot be used", e))?;
        }
        Ok(response)
    }
}
