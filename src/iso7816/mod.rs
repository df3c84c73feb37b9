//! ISO 7816-4 as YKOATH uses it: command and response APDUs with their status words
//! ([`apdu`]), and the one-byte-tag TLV with BER lengths that the OATH and management
//! applets put in their data fields ([`tlv`]). Pure codecs: bytes in, values out; no
//! I/O, and no panic on any input.

pub mod apdu;
pub mod tlv;
