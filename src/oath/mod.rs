//! The YKOATH applet client: wire constants and codecs ([`proto`]), credential ids and
//! URIs ([`credential`]), the session over any transport ([`session`]) and the mapping
//! of status words to errors ([`error`]), and Nitrokey's PIN extension ([`pin`]).

pub mod credential;
pub mod error;
pub mod pin;
pub mod proto;
pub mod search;
pub mod session;

pub use credential::{Credential, CredentialData, OathType};
pub use error::Error;
pub use session::{CalculatedEntry, Session};
