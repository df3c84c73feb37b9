//! The virtual key fed arbitrary APDU streams (each command prefixed by its length byte):
//! no panic, every answer ends in a status word, and after each command the state is
//! valid (at most the capacity, ids of at most 64 bytes, well-formed keys).
#![no_main]
use libfuzzer_sys::fuzz_target;
use ykotp::virtual_key::state::{KeyState, DEFAULT_VERSION};
use ykotp::virtual_key::{CardEnv, VirtualKey};

struct Env(u8);

impl CardEnv for Env {
    fn random(&mut self, buf: &mut [u8]) {
        for b in buf {
            self.0 = self.0.wrapping_mul(31).wrapping_add(7);
            *b = self.0;
        }
    }
    fn touch(&mut self, _id: &[u8]) -> bool {
        self.0 % 2 == 0
    }
}

fuzz_target!(|data: &[u8]| {
    let mut key = VirtualKey::new(KeyState::new(DEFAULT_VERSION, [1; 8], Some(1)));
    let mut env = Env(0);
    // start selected, so the fuzzer explores the applet rather than SELECT
    key.process(&ykotp::oath::proto::select().encode(), &mut env);
    let mut rest = data;
    while let Some((&len, tail)) = rest.split_first() {
        let n = (len as usize).min(tail.len());
        let (cmd, tail) = tail.split_at(n);
        rest = tail;
        let answer = key.process(cmd, &mut env);
        assert!(answer.len() >= 2);
        key.state.check().expect("state stays valid");
    }
});
