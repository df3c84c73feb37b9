//! The virtual key's state file: no panic; a state that passes its check saves and loads.
#![no_main]
use libfuzzer_sys::fuzz_target;
use ykotp::virtual_key::KeyState;

fuzz_target!(|data: &[u8]| {
    if let Ok(state) = serde_json::from_slice::<KeyState>(data) {
        if state.check().is_ok() {
            let text = serde_json::to_string(&state).expect("serialises");
            let back: KeyState = serde_json::from_str(&text).expect("reloads");
            assert_eq!(back, state);
        }
    }
});
