//! A software YubiKey: the OATH applet and a minimal management applet as a pure
//! function of (state, command bytes) → response bytes ([`applet`]), its persistent
//! state ([`state`]) and file ([`store`]), an in-process transport over a state file
//! ([`card`]), and the vpcd server that puts it behind a real pcscd ([`vpcd`]).

pub mod applet;
pub mod card;
pub mod quirks;
pub mod state;
pub mod store;
pub mod vpcd;

pub use applet::{CardEnv, VirtualKey};
pub use card::VirtualCard;
pub use quirks::Quirks;
pub use state::{KeyState, StoredCredential, TouchPolicy};
