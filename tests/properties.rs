//! Property tests: every parser facing card or user bytes never panics, and the virtual
//! key keeps a valid state whatever APDU stream it is fed.

use proptest::prelude::*;
use ykotp::oath::proto;
use ykotp::virtual_key::state::{KeyState, DEFAULT_VERSION};
use ykotp::virtual_key::{CardEnv, VirtualKey};

/// The issue asks for at least 100,000 random inputs per parser.
const CASES: u32 = 100_000;

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

proptest! {
    #![proptest_config(config(CASES))]

    #[test]
    fn parsers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = ykotp::apdu::CommandApdu::parse(&bytes);
        let _ = ykotp::apdu::Response::parse(&bytes);
        let _ = ykotp::tlv::parse_all(&bytes);
        let _ = ykotp::tlv::parse_put(&bytes);
        let _ = proto::parse_select(&bytes);
        let _ = proto::parse_list(&bytes);
        let _ = proto::parse_calculate(&bytes);
        let _ = proto::parse_calculate_all(&bytes);
        let _ = proto::parse_validate(&bytes);
        let _ = ykotp::otp::truncate(&bytes);
        let text = String::from_utf8_lossy(&bytes);
        let _ = ykotp::otp::decode_secret(&text);
        let _ = ykotp::oath::CredentialData::from_uri(&text);
        let _ = ykotp::oath::credential::parse_id(&text, ykotp::oath::OathType::Totp);
        let _ = ykotp::transcript::parse(&text);
        let _ = serde_json::from_slice::<KeyState>(&bytes).map(|s| s.check());
    }

    #[test]
    fn command_apdus_round_trip(ins in any::<u8>(), p1 in any::<u8>(), p2 in any::<u8>(), data in proptest::collection::vec(any::<u8>(), 0..400)) {
        let cmd = ykotp::apdu::CommandApdu::new(ins, p1, p2, data);
        let parsed = ykotp::apdu::CommandApdu::parse(&cmd.encode()).unwrap();
        prop_assert_eq!(parsed.apdu, cmd);
    }

    #[test]
    fn tlv_round_trip(tag in any::<u8>(), value in proptest::collection::vec(any::<u8>(), 0..600)) {
        let mut out = Vec::new();
        ykotp::tlv::write(&mut out, tag, &value);
        let parsed = ykotp::tlv::parse_all(&out).unwrap();
        prop_assert_eq!(parsed.len(), 1);
        prop_assert_eq!(parsed[0].value, &value[..]);
    }
}

struct Seeded(u64);

impl CardEnv for Seeded {
    fn random(&mut self, buf: &mut [u8]) {
        for b in buf {
            self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            *b = (self.0 >> 33) as u8;
        }
    }
    fn touch(&mut self, _id: &[u8]) -> bool {
        self.0.is_multiple_of(2)
    }
}

/// Commands biased towards the OATH instruction space, so the stream gets past SELECT.
fn command() -> impl Strategy<Value = Vec<u8>> {
    let oath_ins = prop_oneof![
        Just(0x01u8),
        Just(0x02),
        Just(0x03),
        Just(0x04),
        Just(0x05),
        Just(0xA1),
        Just(0xA2),
        Just(0xA3),
        Just(0xA4),
        Just(0xA5),
        any::<u8>()
    ];
    let select = Just(proto::select().encode());
    let structured = (oath_ins, 0u8..2, 0u8..2, proptest::collection::vec(any::<u8>(), 0..120))
        .prop_map(|(ins, p1, p2, data)| ykotp::apdu::CommandApdu::new(ins, p1, p2, data).encode());
    prop_oneof![1 => select, 6 => structured, 1 => proptest::collection::vec(any::<u8>(), 0..40)]
}

proptest! {
    #![proptest_config(config(CASES / 10))]

    #[test]
    fn virtual_key_state_stays_valid(stream in proptest::collection::vec(command(), 1..30), seed in any::<u64>()) {
        let mut key = VirtualKey::new(KeyState::new(DEFAULT_VERSION, [7; 8], Some(1)));
        let mut env = Seeded(seed);
        for cmd in &stream {
            let response = key.process(cmd, &mut env);
            prop_assert!(response.len() >= 2);
            if let Err(why) = key.state.check() {
                return Err(TestCaseError::fail(format!("state invalid after {}: {why}", hex::encode(cmd))));
            }
        }
    }
}
