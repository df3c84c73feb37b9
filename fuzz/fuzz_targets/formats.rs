//! Backup files of other tools (PSKC, Aegis, 2FAS, andOTP): no panic, whatever the bytes;
//! every account returned is one the key can hold.
#![no_main]
use libfuzzer_sys::fuzz_target;
use ykotp::formats::{self, Format};

fuzz_target!(|data: &[u8]| {
    let _ = formats::detect(data);
    for format in [Format::Pskc, Format::Aegis, Format::TwoFas, Format::AndOtp] {
        // no passphrase: fuzzing must not spend its time in key derivation
        if let Ok(entries) = formats::parse(format, data, None) {
            for e in entries {
                if let Ok(a) = e.account {
                    assert!(a.validate().is_ok());
                }
            }
        }
    }
});
