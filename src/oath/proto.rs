//! YKOATH wire constants, request builders and response parsers (protocol reference §3–§4).
//! No I/O: bytes in, bytes out.

use super::credential::{Credential, CredentialData, OathType};
use crate::iso7816::apdu::CommandApdu;
use crate::iso7816::tlv::{self, Tlv};
use crate::otp::Algorithm;
use sha2::Digest;

/// The OATH applet's AID.
pub const OATH_AID: [u8; 7] = [0xA0, 0x00, 0x00, 0x05, 0x27, 0x21, 0x01];
/// The management applet's AID (serial number and firmware version).
pub const MGMT_AID: [u8; 8] = [0xA0, 0x00, 0x00, 0x05, 0x27, 0x47, 0x11, 0x17];

/// Instruction bytes.
pub mod ins {
    /// PUT.
    pub const PUT: u8 = 0x01;
    /// DELETE.
    pub const DELETE: u8 = 0x02;
    /// SET CODE.
    pub const SET_CODE: u8 = 0x03;
    /// RESET.
    pub const RESET: u8 = 0x04;
    /// RENAME (5.3+).
    pub const RENAME: u8 = 0x05;
    /// LIST.
    pub const LIST: u8 = 0xA1;
    /// CALCULATE.
    pub const CALCULATE: u8 = 0xA2;
    /// VALIDATE.
    pub const VALIDATE: u8 = 0xA3;
    /// CALCULATE ALL (also SELECT's INS, told apart by P1).
    pub const CALCULATE_ALL: u8 = 0xA4;
    /// SELECT.
    pub const SELECT: u8 = 0xA4;
    /// SEND REMAINING.
    pub const SEND_REMAINING: u8 = 0xA5;
    /// Management: GET DEVICE INFO.
    pub const GET_DEVICE_INFO: u8 = 0x1D;
}

/// Tag bytes.
pub mod tag {
    /// Credential id; in SELECT, the salt.
    pub const NAME: u8 = 0x71;
    /// LIST entry.
    pub const NAME_LIST: u8 = 0x72;
    /// Key.
    pub const KEY: u8 = 0x73;
    /// Challenge.
    pub const CHALLENGE: u8 = 0x74;
    /// Full response.
    pub const RESPONSE: u8 = 0x75;
    /// Truncated response.
    pub const TRUNCATED: u8 = 0x76;
    /// HOTP marker in CALCULATE ALL.
    pub const HOTP: u8 = 0x77;
    /// PUT property byte (no length).
    pub const PROPERTY: u8 = 0x78;
    /// Version.
    pub const VERSION: u8 = 0x79;
    /// Initial moving factor (HOTP counter).
    pub const IMF: u8 = 0x7A;
    /// Access key algorithm.
    pub const ALGORITHM: u8 = 0x7B;
    /// Touch marker in CALCULATE ALL.
    pub const TOUCH: u8 = 0x7C;
}

/// PUT property: require touch.
pub const PROP_REQUIRE_TOUCH: u8 = 0x02;
/// PUT property: only increasing challenges.
pub const PROP_ONLY_INCREASING: u8 = 0x01;

/// A firmware or applet version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub struct Version(pub u8, pub u8, pub u8);

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.0, self.1, self.2)
    }
}

impl std::str::FromStr for Version {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let parts: Vec<u8> = s.split('.').map(|p| p.parse::<u8>()).collect::<Result<_, _>>().map_err(|_| format!("bad version \"{s}\""))?;
        match parts[..] {
            [a, b, c] => Ok(Version(a, b, c)),
            _ => Err(format!("bad version \"{s}\" (expected like 5.4.3)")),
        }
    }
}

/// Feature gates by firmware (protocol reference §3.3, §3.4, §4.6, §4.2).
impl Version {
    /// RENAME exists.
    pub fn supports_rename(self) -> bool {
        self >= Version(5, 3, 1)
    }
    /// Touch credentials exist (ykman's CLI check).
    pub fn supports_touch(self) -> bool {
        self >= Version(4, 2, 6)
    }
    /// HMAC-SHA512 exists.
    pub fn supports_sha512(self) -> bool {
        self >= Version(4, 3, 1)
    }
    /// How many credentials a YubiKey with this firmware holds (other cards with the
    /// same version number may hold more or fewer: only for display, never enforced).
    pub fn capacity(self) -> usize {
        if self >= Version(5, 7, 0) {
            64
        } else {
            32
        }
    }
}

/// The type/algorithm byte.
pub fn type_alg_byte(oath_type: OathType, alg: Algorithm) -> u8 {
    let t = match oath_type {
        OathType::Hotp => 0x10,
        OathType::Totp => 0x20,
    };
    let a = match alg {
        Algorithm::Sha1 => 0x01,
        Algorithm::Sha256 => 0x02,
        Algorithm::Sha512 => 0x03,
    };
    t | a
}

/// Splits a type/algorithm byte; `None` for values the protocol does not define.
pub fn parse_type_alg(byte: u8) -> Option<(OathType, Algorithm)> {
    let t = match byte & 0xF0 {
        0x10 => OathType::Hotp,
        0x20 => OathType::Totp,
        _ => return None,
    };
    let a = match byte & 0x0F {
        0x01 => Algorithm::Sha1,
        0x02 => Algorithm::Sha256,
        0x03 => Algorithm::Sha512,
        _ => return None,
    };
    Some((t, a))
}

/// SELECT of the OATH applet.
pub fn select() -> CommandApdu {
    CommandApdu::expecting_data(ins::SELECT, 0x04, 0x00, OATH_AID.to_vec())
}

/// What SELECT tells about the applet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectInfo {
    /// Applet version (the firmware version on YubiKey 4/5).
    pub version: Version,
    /// The 8-byte salt; also the source of the device id. Empty on a Nitrokey 3 with a
    /// PIN set, whose SELECT leaves it out.
    pub salt: Vec<u8>,
    /// Present only when a password is set.
    pub challenge: Option<Vec<u8>>,
    /// Nitrokey's PIN extension ([`super::pin`]): `Some(attempts left)` when a PIN is set.
    pub pin_attempts: Option<u8>,
    /// The serial number, where SELECT reports one (Nitrokey's applet does).
    pub serial: Option<u32>,
}

impl SelectInfo {
    /// ykman's device id: base64(SHA-256(salt)[..16]) without padding. On a card that
    /// reports its serial in SELECT (Nitrokey's applet, which hides its salt once a PIN
    /// is set), the same digest of the serial, which stays the same with or without PIN.
    pub fn device_id(&self) -> String {
        match self.serial {
            Some(serial) => device_id(&serial.to_be_bytes()),
            None => device_id(&self.salt),
        }
    }

    /// Whether the card has Nitrokey's PIN extension with a PIN set.
    pub fn has_pin(&self) -> bool {
        self.pin_attempts.is_some()
    }

    /// Whether a password is set.
    pub fn has_password(&self) -> bool {
        self.challenge.is_some()
    }
}

/// ykman's OATH device id for a salt.
pub fn device_id(salt: &[u8]) -> String {
    let digest = sha2::Sha256::digest(salt);
    data_encoding::BASE64_NOPAD.encode(&digest[..16])
}

/// Why a card's answer could not be understood.
pub type ParseError = &'static str;

/// Parses SELECT's answer.
pub fn parse_select(data: &[u8]) -> Result<SelectInfo, ParseError> {
    let tlvs = tlv::parse_all(data).map_err(|_| "SELECT response is not valid TLV")?;
    let find = |t: u8| tlvs.iter().find(|x| x.tag == t).map(|x| x.value);
    let version = match find(tag::VERSION) {
        Some([a, b, c]) => Version(*a, *b, *c),
        _ => return Err("SELECT response has no 3-byte version"),
    };
    let pin_attempts = match find(super::pin::tag::PIN_ATTEMPTS) {
        Some(&[n]) => Some(n),
        Some(_) => return Err("SELECT response has a malformed PIN counter"),
        None => None,
    };
    let serial = match find(super::pin::tag::SERIAL) {
        Some(&[a, b, c, d]) => Some(u32::from_be_bytes([a, b, c, d])),
        Some(_) => return Err("SELECT response has a malformed serial number"),
        None => None,
    };
    // Nitrokey's applet leaves the salt out once a PIN is set (it has no SET CODE to use it)
    let salt = match find(tag::NAME) {
        Some(salt) => salt.to_vec(),
        None if pin_attempts.is_some() => Vec::new(),
        None => return Err("SELECT response has no salt"),
    };
    let challenge = find(tag::CHALLENGE).map(<[u8]>::to_vec);
    Ok(SelectInfo { version, salt, challenge, pin_attempts, serial })
}

/// VALIDATE: our proof of the card's challenge and our own challenge.
pub fn validate(proof: &[u8], host_challenge: &[u8]) -> CommandApdu {
    let mut data = Vec::with_capacity(32);
    tlv::write(&mut data, tag::RESPONSE, proof);
    tlv::write(&mut data, tag::CHALLENGE, host_challenge);
    CommandApdu::expecting_data(ins::VALIDATE, 0, 0, data)
}

/// The card's proof from VALIDATE's answer.
pub fn parse_validate(data: &[u8]) -> Result<Vec<u8>, ParseError> {
    let tlvs = tlv::parse_all(data).map_err(|_| "VALIDATE response is not valid TLV")?;
    tlvs.iter().find(|t| t.tag == tag::RESPONSE).map(|t| t.value.to_vec()).ok_or("VALIDATE response has no proof")
}

/// SET CODE with a new access key, or with an empty key to remove the password.
pub fn set_code(key: Option<(&[u8; 16], &[u8], &[u8])>) -> CommandApdu {
    let mut data = Vec::with_capacity(51);
    match key {
        Some((key, challenge, proof)) => {
            let mut k = Vec::with_capacity(17);
            k.push(type_alg_byte(OathType::Totp, Algorithm::Sha1));
            k.extend_from_slice(key);
            tlv::write(&mut data, tag::KEY, &k);
            zeroize::Zeroize::zeroize(&mut k);
            tlv::write(&mut data, tag::CHALLENGE, challenge);
            tlv::write(&mut data, tag::RESPONSE, proof);
        }
        None => tlv::write(&mut data, tag::KEY, &[]),
    }
    CommandApdu::new(ins::SET_CODE, 0, 0, data)
}

/// PUT: name, key, optional property byte, optional counter (sent only when > 0, like ykman).
pub fn put(cred: &CredentialData) -> CommandApdu {
    put_with_properties(cred, 0)
}

/// PUT with property bits besides touch (Nitrokey's [`super::pin::PROP_PIN_ENCRYPTED`]).
pub fn put_with_properties(cred: &CredentialData, properties: u8) -> CommandApdu {
    // room for the largest PUT (64-byte name, 128-byte key, property, counter), so that no
    // reallocation leaves a copy of the key behind
    let mut data = Vec::with_capacity(256);
    tlv::write(&mut data, tag::NAME, cred.id().as_bytes());
    let key = cred.key();
    let mut value = Vec::with_capacity(key.len() + 2);
    value.push(type_alg_byte(cred.oath_type, cred.algorithm));
    value.push(cred.digits);
    value.extend_from_slice(key.as_bytes());
    tlv::write(&mut data, tag::KEY, &value);
    zeroize::Zeroize::zeroize(&mut value);
    let properties = properties | if cred.touch { PROP_REQUIRE_TOUCH } else { 0 };
    if properties != 0 {
        data.extend_from_slice(&[tag::PROPERTY, properties]);
    }
    if cred.oath_type == OathType::Hotp && cred.counter > 0 {
        tlv::write(&mut data, tag::IMF, &cred.counter.to_be_bytes());
    }
    CommandApdu::new(ins::PUT, 0, 0, data)
}

/// DELETE.
pub fn delete(id: &[u8]) -> CommandApdu {
    let mut data = Vec::new();
    tlv::write(&mut data, tag::NAME, id);
    CommandApdu::new(ins::DELETE, 0, 0, data)
}

/// RENAME.
pub fn rename(old: &[u8], new: &[u8]) -> CommandApdu {
    let mut data = Vec::new();
    tlv::write(&mut data, tag::NAME, old);
    tlv::write(&mut data, tag::NAME, new);
    CommandApdu::new(ins::RENAME, 0, 0, data)
}

/// RESET.
pub fn reset() -> CommandApdu {
    CommandApdu::new(ins::RESET, 0xDE, 0xAD, vec![])
}

/// LIST.
pub fn list() -> CommandApdu {
    CommandApdu::expecting_data(ins::LIST, 0, 0, vec![])
}

/// Parses LIST: `72 (n+1) type|alg name` per credential.
pub fn parse_list(data: &[u8]) -> Result<Vec<Credential>, ParseError> {
    let tlvs = tlv::parse_all(data).map_err(|_| "LIST response is not valid TLV")?;
    tlvs.iter()
        .filter(|t| t.tag == tag::NAME_LIST)
        .map(|t| {
            let (&kind, id) = t.value.split_first().ok_or("LIST entry is empty")?;
            let (oath_type, alg) = parse_type_alg(kind).ok_or("LIST entry has an unknown type")?;
            let mut c = Credential::new(id.to_vec(), oath_type);
            c.algorithm = Some(alg);
            Ok(c)
        })
        .collect()
}

/// CALCULATE: `truncated` selects P2=01.
pub fn calculate(id: &[u8], challenge: &[u8], truncated: bool) -> CommandApdu {
    let mut data = Vec::new();
    tlv::write(&mut data, tag::NAME, id);
    tlv::write(&mut data, tag::CHALLENGE, challenge);
    CommandApdu::expecting_data(ins::CALCULATE, 0, u8::from(truncated), data)
}

/// CALCULATE ALL, truncated.
pub fn calculate_all(challenge: &[u8]) -> CommandApdu {
    let mut data = Vec::new();
    tlv::write(&mut data, tag::CHALLENGE, challenge);
    CommandApdu::expecting_data(ins::CALCULATE_ALL, 0, 1, data)
}

/// One computed value: `digits` and either a truncated value or a full HMAC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CalcResponse {
    /// `76 05 d vvvv`.
    Truncated {
        /// Digits.
        digits: u8,
        /// 31-bit value.
        value: u32,
    },
    /// `75 L d hmac`.
    Full {
        /// Digits.
        digits: u8,
        /// The whole HMAC.
        hmac: Vec<u8>,
    },
    /// `77 01 d`: HOTP, not computed.
    Hotp {
        /// Digits.
        digits: u8,
    },
    /// `7C 01 d`: needs touch, not computed.
    Touch {
        /// Digits.
        digits: u8,
    },
}

impl CalcResponse {
    fn from_tlv(t: &Tlv<'_>) -> Result<Self, ParseError> {
        // Nitrokey's secrets-app marks HOTP rows `77 00`, without digits: 0 means unknown
        if t.value.is_empty() && (t.tag == tag::HOTP || t.tag == tag::TOUCH) {
            return Ok(if t.tag == tag::HOTP { CalcResponse::Hotp { digits: 0 } } else { CalcResponse::Touch { digits: 0 } });
        }
        let (&digits, rest) = t.value.split_first().ok_or("calculation result is empty")?;
        // YKOATH stores 6-8 digits; 5 is what some tools write for Steam, whose code the
        // host computes. 0 or 255 would print a 1- or 10-digit "code".
        if !(5..=8).contains(&digits) {
            return Err("the number of digits is outside what YKOATH allows");
        }
        match t.tag {
            tag::TRUNCATED => match rest {
                [a, b, c, d] => Ok(CalcResponse::Truncated { digits, value: u32::from_be_bytes([*a, *b, *c, *d]) & 0x7FFF_FFFF }),
                _ => Err("truncated result is not 4 bytes"),
            },
            tag::RESPONSE => Ok(CalcResponse::Full { digits, hmac: rest.to_vec() }),
            tag::HOTP => Ok(CalcResponse::Hotp { digits }),
            tag::TOUCH => Ok(CalcResponse::Touch { digits }),
            _ => Err("unknown calculation result tag"),
        }
    }
}

/// Parses CALCULATE's answer.
pub fn parse_calculate(data: &[u8]) -> Result<CalcResponse, ParseError> {
    let tlvs = tlv::parse_all(data).map_err(|_| "CALCULATE response is not valid TLV")?;
    let t = tlvs.first().ok_or("CALCULATE response is empty")?;
    CalcResponse::from_tlv(t)
}

/// Parses CALCULATE ALL: pairs of `71 id` and a result.
pub fn parse_calculate_all(data: &[u8]) -> Result<Vec<(Vec<u8>, CalcResponse)>, ParseError> {
    let tlvs = tlv::parse_all(data).map_err(|_| "CALCULATE ALL response is not valid TLV")?;
    tlvs.chunks(2)
        .map(|pair| match pair {
            [name, result] if name.tag == tag::NAME => Ok((name.value.to_vec(), CalcResponse::from_tlv(result)?)),
            _ => Err("CALCULATE ALL response is not name/result pairs"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_id_examples() {
        assert_eq!(device_id(&hex::decode("4BB7A7FAD7AF401B").unwrap()), "M/cfhpywsjHw0W5SXdq9Bg");
        assert_eq!(device_id(&[0; 8]), "r1Vw9aGBC3r3jK9LxwpmDw");
    }

    #[test]
    fn type_alg_round_trip() {
        for t in [OathType::Hotp, OathType::Totp] {
            for a in [Algorithm::Sha1, Algorithm::Sha256, Algorithm::Sha512] {
                assert_eq!(parse_type_alg(type_alg_byte(t, a)), Some((t, a)));
            }
        }
        assert_eq!(type_alg_byte(OathType::Totp, Algorithm::Sha1), 0x21);
        assert_eq!(parse_type_alg(0x31), None);
        assert_eq!(parse_type_alg(0x24), None);
    }

    #[test]
    fn version_gates() {
        assert!(!Version(5, 2, 4).supports_rename());
        assert!(Version(5, 3, 1).supports_rename());
        assert_eq!(Version(5, 4, 3).capacity(), 32);
        assert_eq!(Version(5, 7, 0).capacity(), 64);
        assert!(!Version(4, 2, 5).supports_touch());
        assert!(!Version(4, 3, 0).supports_sha512());
        assert_eq!("5.4.3".parse::<Version>(), Ok(Version(5, 4, 3)));
        assert!("5.4".parse::<Version>().is_err());
    }

    #[test]
    fn touch_put_matches_the_reference() {
        let mut c = CredentialData::totp("touch", crate::otp::Secret::new(vec![0x00, 0x42]));
        c.touch = true;
        let want = format!("000100001B7105746F756368731021060042{}7802", "00".repeat(12));
        assert_eq!(hex::encode_upper(put(&c).encode()), want);
    }

    #[test]
    fn commands_that_expect_data_carry_le() {
        assert_eq!(hex::encode_upper(select().encode()), "00A4040007A000000527210100");
        assert_eq!(hex::encode_upper(list().encode()), "00A1000000");
        assert!(hex::encode_upper(calculate_all(&[0; 8]).encode()).ends_with("00"));
        assert_eq!(calculate(b"a", &[1], true).le, Some(256));
        assert_eq!(validate(&[0; 20], &[0; 8]).le, Some(256));
        // nothing to answer: no Le
        assert_eq!(hex::encode_upper(reset().encode()), "0004DEAD");
        assert_eq!(delete(b"a").le, None);
    }

    #[test]
    fn hotp_rows_without_digits_are_understood() {
        let rows = parse_calculate_all(&[0x71, 0x01, b'h', 0x77, 0x00]).unwrap();
        assert_eq!(rows, vec![(b"h".to_vec(), CalcResponse::Hotp { digits: 0 })]);
    }

    #[test]
    fn calc_all_parse_rejects_garbage() {
        assert!(parse_calculate_all(&[0x71, 0x01, b'a']).is_err());
        assert!(parse_calculate_all(&[0x71, 0x01, b'a', 0x76, 0x02, 6, 1]).is_err());
        assert!(parse_calculate(&[]).is_err());
    }
}
