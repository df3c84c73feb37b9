//! Base32 secrets, credential ids and otpauth URIs: no panic, and what parses is valid
//! and survives a round trip.
#![no_main]
use libfuzzer_sys::fuzz_target;
use ykotp::oath::{credential, CredentialData, OathType};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = ykotp::otp::decode_secret(text);
    for kind in [OathType::Totp, OathType::Hotp] {
        let _ = credential::parse_id(text, kind);
    }
    if let Ok(d) = CredentialData::from_uri(text) {
        assert!(d.validate().is_ok());
        assert_eq!(CredentialData::from_uri(&d.to_uri()).expect("round trip"), d);
    }
});
