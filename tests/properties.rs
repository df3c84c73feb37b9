//! Property tests: every parser facing card or user bytes never panics, and the virtual
//! key keeps a valid state whatever APDU stream it is fed.

use proptest::prelude::*;
use ykotp::oath::proto;
use ykotp::virtual_key::state::{KeyState, DEFAULT_VERSION};
use ykotp::virtual_key::{CardEnv, VirtualKey};

/// Random inputs per parser when `PROPTEST_CASES` is not set: the hardening issue asked
/// for at least 100,000. `PROPTEST_CASES` lowers it for quick runs (mutation testing)
/// or raises it for long ones.
const CASES: u32 = 100_000;

fn cases_from(env: Option<&str>) -> u32 {
    env.and_then(|v| v.trim().parse().ok()).filter(|&n| n > 0).unwrap_or(CASES)
}

fn config() -> ProptestConfig {
    let cases = cases_from(std::env::var("PROPTEST_CASES").ok().as_deref());
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

#[test]
fn proptest_cases_follows_the_environment() {
    assert_eq!(cases_from(None), CASES);
    assert_eq!(cases_from(Some("250")), 250);
    assert_eq!(cases_from(Some("2000000")), 2_000_000);
    assert_eq!(cases_from(Some("lots")), CASES);
    assert_eq!(cases_from(Some("0")), CASES);
}

fn bytes() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 0..300)
}

/// Text that looks like what the parsers expect, so they get past their first check.
fn uri_like() -> impl Strategy<Value = String> {
    let head = prop_oneof![Just("otpauth://totp/"), Just("otpauth://hotp/"), Just("otpauth-migration://offline?data="), Just("")];
    (head, "[A-Za-z0-9%:=&?/ _.+-]{0,80}").prop_map(|(h, t)| format!("{h}{t}"))
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn apdu_parsers_never_panic(b in bytes()) {
        let _ = ykotp::iso7816::apdu::CommandApdu::parse(&b);
        let _ = ykotp::iso7816::apdu::Response::parse(&b);
    }

    #[test]
    fn tlv_and_ykoath_parsers_never_panic(b in bytes()) {
        let _ = ykotp::iso7816::tlv::parse_all(&b);
        let _ = ykotp::iso7816::tlv::parse_put(&b);
        let _ = proto::parse_select(&b);
        let _ = proto::parse_list(&b);
        let _ = proto::parse_calculate(&b);
        let _ = proto::parse_calculate_all(&b);
        let _ = proto::parse_validate(&b);
        let _ = ykotp::discovery::management::parse_device_info(&b);
        let _ = ykotp::otp::truncate(&b);
    }

    #[test]
    fn credential_ids_secrets_and_uris_never_panic(text in uri_like(), b in bytes()) {
        for t in [text.as_str(), &String::from_utf8_lossy(&b)] {
            let _ = ykotp::otp::decode_secret(t);
            if let Ok(d) = ykotp::oath::CredentialData::from_uri(t) {
                // whatever parses must be valid and survive a round trip
                prop_assert!(d.validate().is_ok());
                prop_assert_eq!(ykotp::oath::CredentialData::from_uri(&d.to_uri()).unwrap(), d);
            }
            for kind in [ykotp::oath::OathType::Totp, ykotp::oath::OathType::Hotp] {
                let (issuer, name, _) = ykotp::oath::credential::parse_id(t, kind);
                prop_assert!(!name.is_empty() || t.is_empty() || t.ends_with(':'));
                prop_assert!(issuer.is_none_or(|i| !i.is_empty()));
            }
        }
    }

    #[test]
    fn google_authenticator_payloads_never_panic(b in bytes()) {
        let uri = format!("otpauth-migration://offline?data={}", data_encoding::BASE64.encode(&b));
        if let Ok(batch) = ykotp::formats::migration::parse(&uri) {
            for a in batch.accounts {
                prop_assert!(a.validate().is_ok());
            }
        }
    }

    #[test]
    fn state_files_never_panic(b in bytes(), text in "[{}\\[\\]\":, 0-9a-z_]{0,200}") {
        for input in [b.as_slice(), text.as_bytes()] {
            let _ = serde_json::from_slice::<KeyState>(input).map(|s| s.check());
        }
    }

    #[test]
    fn transcripts_never_panic(b in bytes()) {
        let _ = ykotp::transport::transcript::parse(&String::from_utf8_lossy(&b));
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn command_apdus_round_trip(ins in any::<u8>(), p1 in any::<u8>(), p2 in any::<u8>(), data in proptest::collection::vec(any::<u8>(), 0..400)) {
        let cmd = ykotp::iso7816::apdu::CommandApdu::new(ins, p1, p2, data);
        let parsed = ykotp::iso7816::apdu::CommandApdu::parse(&cmd.encode()).unwrap();
        prop_assert_eq!(parsed.apdu, cmd);
    }

    #[test]
    fn tlv_round_trip(tag in any::<u8>(), value in proptest::collection::vec(any::<u8>(), 0..600)) {
        let mut out = Vec::new();
        ykotp::iso7816::tlv::write(&mut out, tag, &value);
        let parsed = ykotp::iso7816::tlv::parse_all(&out).unwrap();
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
        .prop_map(|(ins, p1, p2, data)| ykotp::iso7816::apdu::CommandApdu::new(ins, p1, p2, data).encode());
    prop_oneof![1 => select, 6 => structured, 1 => proptest::collection::vec(any::<u8>(), 0..40)]
}

proptest! {
    #![proptest_config(config())]

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
