//! Google Authenticator export payloads: no panic; every account returned is valid.
#![no_main]
use base64::Engine as _;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let uri = format!("otpauth-migration://offline?data={}", base64::engine::general_purpose::STANDARD.encode(data));
    if let Ok(batch) = ykotp::formats::migration::parse(&uri) {
        for a in batch.accounts {
            assert!(a.validate().is_ok());
        }
    }
});
