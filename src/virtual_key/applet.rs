//! The card side of YKOATH (emulator checklist, protocol reference §13) and a minimal
//! management applet (Appendix A). Pure: state + command bytes → response bytes; the
//! only outside inputs, randomness and the user's touch, come through [`CardEnv`].

use super::state::{KeyState, StoredAccessKey, StoredCredential};
use crate::iso7816::apdu::{CommandApdu, Sw};
use crate::iso7816::tlv;
use crate::oath::proto::{self, ins, tag, Version, MGMT_AID, OATH_AID};
use crate::otp::{self, AccessKey, Algorithm};
use crate::transport::INS_GET_RESPONSE;

/// What the applet needs from the world.
pub trait CardEnv {
    /// Fills `buf` with random bytes (challenges, a new salt on RESET).
    fn random(&mut self, buf: &mut [u8]);
    /// Asks for a touch for credential `id`; `false` when it does not come.
    fn touch(&mut self, id: &[u8]) -> bool;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Selected {
    None,
    Oath,
    Management,
}

/// A virtual YubiKey: persistent state plus what a power cycle clears.
#[derive(Debug)]
pub struct VirtualKey {
    /// The persistent state.
    pub state: KeyState,
    selected: Selected,
    authenticated: bool,
    challenge: Option<[u8; 8]>,
    pending: Vec<u8>,
    dirty: bool,
}

type Reply = Result<Vec<u8>, Sw>;

impl VirtualKey {
    /// A powered-on key with nothing selected.
    pub fn new(state: KeyState) -> Self {
        VirtualKey { state, selected: Selected::None, authenticated: false, challenge: None, pending: Vec::new(), dirty: false }
    }

    /// Power off, power on or reset: the selected applet and its authentication are gone.
    pub fn power_cycle(&mut self) {
        self.selected = Selected::None;
        self.authenticated = false;
        self.challenge = None;
        self.pending.clear();
    }

    /// Whether the persistent state changed since the last call (then clears the flag).
    pub fn take_dirty(&mut self) -> bool {
        std::mem::take(&mut self.dirty)
    }

    /// Processes one command APDU; returns `data ‖ SW1 SW2` (nothing from a key with the
    /// `never-answers` quirk: see [`VirtualKey::respond`]).
    pub fn process(&mut self, command: &[u8], env: &mut dyn CardEnv) -> Vec<u8> {
        self.respond(command, env).unwrap_or_default()
    }

    /// Processes one command APDU; `None` when the card stays silent (the
    /// `never-answers` quirk: every command after the OATH applet is selected but SELECT
    /// itself, so that the key is still found, as a card that hangs mid-session): the
    /// edges then never answer, as a hung card.
    pub fn respond(&mut self, command: &[u8], env: &mut dyn CardEnv) -> Option<Vec<u8>> {
        let select = command.get(1..3) == Some(&[ins::SELECT, 0x04][..]);
        if self.state.quirks.never_answers && self.selected == Selected::Oath && !select {
            return None;
        }
        let (apdu, le) = match CommandApdu::parse(command) {
            Ok(p) => (p.apdu, p.le),
            Err(_) => return Some(Sw::WRONG_LENGTH.to_bytes().to_vec()),
        };
        // OATH continues with SEND REMAINING; the management applet with ISO GET RESPONSE
        // (yubikit's default) or SEND REMAINING, like a YubiKey's
        let send_remaining = match self.selected {
            Selected::Oath => apdu.ins == ins::SEND_REMAINING,
            Selected::Management => apdu.ins == ins::SEND_REMAINING || apdu.ins == INS_GET_RESPONSE,
            Selected::None => false,
        };
        let pending = if send_remaining { std::mem::take(&mut self.pending) } else { Vec::new() };
        self.pending.clear();
        let result = if apdu.ins == ins::SELECT && apdu.p1 == 0x04 {
            self.select(&apdu, env)
        } else if apdu.cla != 0 {
            Err(Sw::CLA_NOT_SUPPORTED)
        } else {
            match self.selected {
                Selected::Oath if send_remaining => self.gate(apdu.ins).map(|()| pending),
                Selected::Oath => self.gate(apdu.ins).and_then(|()| self.oath(&apdu, env)),
                Selected::Management if send_remaining => Ok(pending),
                Selected::Management => self.management(&apdu),
                Selected::None => Err(Sw::INS_NOT_SUPPORTED),
            }
        };
        Some(match result {
            Ok(data) => self.chunk(data, le),
            Err(sw) => sw.to_bytes().to_vec(),
        })
    }

    fn chunk(&mut self, mut data: Vec<u8>, le: Option<usize>) -> Vec<u8> {
        let size = self.state.chunk_size.max(1);
        let quirks = &self.state.quirks;
        // "no Le" read as "send 0 bytes", or a chain whose 61xx never brings data
        if (quirks.missing_le_means_zero && le.is_none() && !data.is_empty())
            || (quirks.empty_more_data && data.len() > size && self.selected == Selected::Oath)
        {
            let announced = data.len().min(0xFF) as u8;
            self.pending = data;
            return vec![0x61, announced];
        }
        if data.len() <= size {
            data.extend_from_slice(&Sw::OK.to_bytes());
            return data;
        }
        self.pending = data.split_off(size);
        data.extend_from_slice(&[0x61, self.pending.len().min(0xFF) as u8]);
        data
    }

    fn gate(&self, instruction: u8) -> Result<(), Sw> {
        let open = self.state.access_key.is_none() || self.authenticated;
        if open || instruction == ins::VALIDATE || instruction == ins::RESET {
            Ok(())
        } else {
            Err(Sw::SECURITY_CONDITION_NOT_SATISFIED)
        }
    }

    fn select(&mut self, apdu: &CommandApdu, env: &mut dyn CardEnv) -> Reply {
        self.power_cycle();
        if apdu.data == OATH_AID || apdu.data == [&OATH_AID[..], &[0x01]].concat() {
            self.selected = Selected::Oath;
            let v = self.state.version;
            let mut out = Vec::with_capacity(32);
            tlv::write(&mut out, tag::VERSION, &[v.0, v.1, v.2]);
            if self.state.quirks.volatile_salt {
                let mut salt = [0u8; 8];
                env.random(&mut salt);
                tlv::write(&mut out, tag::NAME, &salt);
            } else {
                tlv::write(&mut out, tag::NAME, &self.state.salt);
            }
            if let Some(key) = &self.state.access_key {
                let mut challenge = [0u8; 8];
                env.random(&mut challenge);
                self.challenge = Some(challenge);
                tlv::write(&mut out, tag::CHALLENGE, &challenge);
                tlv::write(&mut out, tag::ALGORITHM, &[key.algorithm]);
            }
            Ok(out)
        } else if apdu.data == MGMT_AID {
            self.selected = Selected::Management;
            Ok(format!("Virtual YubiKey - FW version {}", self.state.version).into_bytes())
        } else {
            Err(Sw::FILE_NOT_FOUND)
        }
    }

    fn oath(&mut self, apdu: &CommandApdu, env: &mut dyn CardEnv) -> Reply {
        let p1p2 = (apdu.p1, apdu.p2);
        let plain = [ins::PUT, ins::DELETE, ins::SET_CODE, ins::RENAME, ins::LIST, ins::VALIDATE];
        if plain.contains(&apdu.ins) && p1p2 != (0, 0) {
            return Err(Sw::WRONG_P1P2);
        }
        match apdu.ins {
            ins::PUT => self.put(&apdu.data),
            ins::DELETE | ins::RESET if self.state.quirks.touch_on_delete && !env.touch(b"(DELETE or RESET)") => {
                Err(Sw::SECURITY_CONDITION_NOT_SATISFIED)
            }
            ins::DELETE => self.delete(&apdu.data),
            ins::SET_CODE => self.set_code(&apdu.data),
            ins::RESET if p1p2 == (0xDE, 0xAD) => self.reset(env),
            ins::RESET => Err(Sw::WRONG_P1P2),
            ins::RENAME if self.state.version < Version(5, 3, 0) => Err(Sw::INS_NOT_SUPPORTED),
            ins::RENAME => self.rename(&apdu.data),
            ins::LIST => Ok(self.list()),
            ins::VALIDATE => self.validate(&apdu.data),
            ins::CALCULATE if apdu.p1 == 0 && apdu.p2 <= 1 => self.calculate(&apdu.data, apdu.p2 == 1, env),
            ins::CALCULATE_ALL if self.state.quirks.no_calculate_all => Err(Sw::CONDITIONS_NOT_SATISFIED),
            ins::CALCULATE_ALL if apdu.p1 == 0 && apdu.p2 <= 1 => self.calculate_all(&apdu.data, apdu.p2 == 1),
            ins::CALCULATE | ins::CALCULATE_ALL => Err(Sw::WRONG_P1P2),
            _ => Err(Sw::INS_NOT_SUPPORTED),
        }
    }

    fn find(&self, id: &[u8]) -> Option<usize> {
        self.state.credentials.iter().position(|c| c.id == id)
    }

    fn put(&mut self, data: &[u8]) -> Reply {
        let tlvs = tlv::parse_put(data).map_err(|_| Sw::INCORRECT_PARAMETERS)?;
        let mut it = tlvs.iter().peekable();
        let bad = Sw::INCORRECT_PARAMETERS;
        let name = it.next().filter(|t| t.tag == tag::NAME).ok_or(bad)?.value;
        let key = it.next().filter(|t| t.tag == tag::KEY).ok_or(bad)?.value;
        let props = it.next_if(|t| t.tag == tag::PROPERTY).map_or(0, |t| t.value[0]);
        let imf = match it.next_if(|t| t.tag == tag::IMF) {
            Some(t) => u32::from_be_bytes(t.value.try_into().map_err(|_| bad)?),
            None => 0,
        };
        if it.next().is_some() || name.is_empty() || name.len() > 64 {
            return Err(bad);
        }
        let [kind, digits, secret @ ..] = key else {
            return Err(bad);
        };
        let (_, alg) = proto::parse_type_alg(*kind).ok_or(bad)?;
        let v = self.state.version;
        let unsupported =
            (alg == Algorithm::Sha512 && !v.supports_sha512()) || (props & proto::PROP_REQUIRE_TOUCH != 0 && v < Version(4, 2, 4));
        if unsupported || secret.len() > alg.block_size() || !(6..=8).contains(digits) {
            return Err(bad);
        }
        let credential = StoredCredential {
            id: name.to_vec(),
            kind: *kind,
            digits: *digits,
            key: secret.to_vec(),
            touch: props & proto::PROP_REQUIRE_TOUCH != 0,
            only_increasing: props & proto::PROP_ONLY_INCREASING != 0,
            counter: imf.into(),
            last_challenge: None,
        };
        match self.find(name) {
            Some(_) if self.state.quirks.no_overwrite => return Err(Sw(0x6983)),
            Some(i) => self.state.credentials[i] = credential,
            None if self.state.credentials.len() >= self.state.capacity() => return Err(Sw::NO_SPACE),
            None => self.state.credentials.push(credential),
        }
        self.dirty = true;
        Ok(Vec::new())
    }

    fn delete(&mut self, data: &[u8]) -> Reply {
        let tlvs = tlv::parse_all(data).map_err(|_| Sw::INCORRECT_PARAMETERS)?;
        let name = tlvs.iter().find(|t| t.tag == tag::NAME).ok_or(Sw::INCORRECT_PARAMETERS)?.value;
        let i = self.find(name).ok_or(Sw::DATA_INVALID)?;
        self.state.credentials.remove(i);
        self.dirty = true;
        Ok(Vec::new())
    }

    fn rename(&mut self, data: &[u8]) -> Reply {
        let tlvs = tlv::parse_all(data).map_err(|_| Sw::INCORRECT_PARAMETERS)?;
        let [old, new] = &tlvs[..] else {
            return Err(Sw::INCORRECT_PARAMETERS);
        };
        if old.tag != tag::NAME || new.tag != tag::NAME || new.value.is_empty() || new.value.len() > 64 {
            return Err(Sw::INCORRECT_PARAMETERS);
        }
        let i = self.find(old.value).ok_or(Sw::DATA_INVALID)?;
        if self.find(new.value).is_some() {
            return Err(Sw::INCORRECT_PARAMETERS);
        }
        self.state.credentials[i].id = new.value.to_vec();
        self.dirty = true;
        Ok(Vec::new())
    }

    fn set_code(&mut self, data: &[u8]) -> Reply {
        let tlvs = tlv::parse_all(data).map_err(|_| Sw::INCORRECT_PARAMETERS)?;
        let find = |t: u8| tlvs.iter().find(|x| x.tag == t).map(|x| x.value);
        let key = find(tag::KEY).ok_or(Sw::INCORRECT_PARAMETERS)?;
        if self.state.quirks.set_code_ignored {
            return Ok(Vec::new());
        }
        if key.is_empty() {
            self.state.access_key = None;
            self.dirty = true;
            return Ok(Vec::new());
        }
        let (challenge, response) = match (find(tag::CHALLENGE), find(tag::RESPONSE)) {
            (Some(c), Some(r)) => (c, r),
            _ => return Err(Sw::INCORRECT_PARAMETERS),
        };
        let [algorithm, bytes @ ..] = key else {
            return Err(Sw::INCORRECT_PARAMETERS);
        };
        let bytes: [u8; 16] = bytes.try_into().map_err(|_| Sw::INCORRECT_PARAMETERS)?;
        let access = AccessKey::from_bytes(bytes);
        if response.len() != 20 {
            return Err(Sw::INCORRECT_PARAMETERS);
        }
        if !access.verify(challenge, response) {
            return Err(Sw::DATA_INVALID);
        }
        self.state.access_key = Some(StoredAccessKey { algorithm: *algorithm, key: access.as_bytes().to_vec() });
        // YubiKey 4/5 keep the current session usable after SET CODE (reference §4.4)
        self.authenticated = true;
        self.dirty = true;
        Ok(Vec::new())
    }

    fn reset(&mut self, env: &mut dyn CardEnv) -> Reply {
        let mut salt = [0u8; 8];
        env.random(&mut salt);
        self.state.salt = salt.to_vec();
        self.state.access_key = None;
        self.state.credentials.clear();
        self.authenticated = false;
        self.challenge = None;
        self.dirty = true;
        Ok(Vec::new())
    }

    fn list(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for c in &self.state.credentials {
            let mut value = Vec::with_capacity(c.id.len() + 1);
            value.push(c.kind);
            value.extend_from_slice(&c.id);
            tlv::write(&mut out, tag::NAME_LIST, &value);
        }
        out
    }

    fn validate(&mut self, data: &[u8]) -> Reply {
        let Some(stored) = &self.state.access_key else {
            return Err(Sw::DATA_INVALID);
        };
        let tlvs = tlv::parse_all(data).map_err(|_| Sw::INCORRECT_PARAMETERS)?;
        let find = |t: u8| tlvs.iter().find(|x| x.tag == t).map(|x| x.value);
        let (Some(response), Some(host)) = (find(tag::RESPONSE), find(tag::CHALLENGE)) else {
            return Err(Sw::INCORRECT_PARAMETERS);
        };
        let key = AccessKey::from_bytes(stored.key.as_slice().try_into().map_err(|_| Sw::MEMORY_FAILURE)?);
        let Some(challenge) = self.challenge else {
            return Err(Sw::INCORRECT_PARAMETERS);
        };
        if host.len() < 8 || response.len() != 20 || !key.verify(&challenge, response) {
            return Err(Sw::INCORRECT_PARAMETERS);
        }
        self.authenticated = true;
        let mut out = Vec::with_capacity(22);
        tlv::write(&mut out, tag::RESPONSE, &key.respond(host));
        Ok(out)
    }

    fn calculate(&mut self, data: &[u8], truncated: bool, env: &mut dyn CardEnv) -> Reply {
        let tlvs = tlv::parse_all(data).map_err(|_| Sw::INCORRECT_PARAMETERS)?;
        let find = |t: u8| tlvs.iter().find(|x| x.tag == t).map(|x| x.value);
        let (Some(name), Some(challenge)) = (find(tag::NAME), find(tag::CHALLENGE)) else {
            return Err(Sw::INCORRECT_PARAMETERS);
        };
        let i = self.find(name).ok_or(Sw::DATA_INVALID)?;
        let c = &self.state.credentials[i];
        let (oath_type, alg) = proto::parse_type_alg(c.kind).ok_or(Sw::MEMORY_FAILURE)?;
        let message = match oath_type {
            // a counter that would wrap has no next value: a code of it would repeat an old one
            crate::oath::OathType::Hotp if c.counter == u64::MAX => return Err(Sw::CONDITIONS_NOT_SATISFIED),
            crate::oath::OathType::Hotp => c.counter.to_be_bytes().to_vec(),
            crate::oath::OathType::Totp if challenge.is_empty() || challenge.len() > 64 => return Err(Sw::INCORRECT_PARAMETERS),
            crate::oath::OathType::Totp => {
                if c.only_increasing && c.last_challenge.as_deref().is_some_and(|last| numeric_less(challenge, last)) {
                    return Err(Sw::SECURITY_CONDITION_NOT_SATISFIED);
                }
                challenge.to_vec()
            }
        };
        if c.touch && !env.touch(&c.id) {
            return Err(Sw::SECURITY_CONDITION_NOT_SATISFIED);
        }
        let digest = otp::hmac(alg, &c.key, &message);
        let digits = c.digits;
        let c = &mut self.state.credentials[i];
        match oath_type {
            crate::oath::OathType::Hotp => c.counter += 1,
            crate::oath::OathType::Totp if c.only_increasing => c.last_challenge = Some(challenge.to_vec()),
            crate::oath::OathType::Totp => {}
        }
        self.dirty |= oath_type == crate::oath::OathType::Hotp || c.only_increasing;
        Ok(result_tlv(digits, &digest, truncated))
    }

    fn calculate_all(&mut self, data: &[u8], truncated: bool) -> Reply {
        let tlvs = tlv::parse_all(data).map_err(|_| Sw::INCORRECT_PARAMETERS)?;
        let challenge = tlvs.iter().find(|t| t.tag == tag::CHALLENGE).ok_or(Sw::INCORRECT_PARAMETERS)?.value;
        let mut out = Vec::new();
        for c in &self.state.credentials {
            tlv::write(&mut out, tag::NAME, &c.id);
            let (oath_type, alg) = proto::parse_type_alg(c.kind).ok_or(Sw::MEMORY_FAILURE)?;
            match oath_type {
                crate::oath::OathType::Hotp => tlv::write(&mut out, tag::HOTP, &[c.digits]),
                _ if c.touch => tlv::write(&mut out, tag::TOUCH, &[c.digits]),
                _ => out.extend(result_tlv(c.digits, &otp::hmac(alg, &c.key, challenge), truncated)),
            }
        }
        Ok(out)
    }

    fn management(&mut self, apdu: &CommandApdu) -> Reply {
        match apdu.ins {
            ins::GET_DEVICE_INFO => Ok(self.device_info()),
            _ => Err(Sw::INS_NOT_SUPPORTED),
        }
    }

    fn device_info(&self) -> Vec<u8> {
        let v = self.state.version;
        let mut body = Vec::new();
        let caps = [0x02, 0x3F]; // OTP, U2F, OpenPGP, PIV, OATH, FIDO2
        tlv::write(&mut body, 0x01, &caps);
        if let Some(serial) = self.state.serial {
            tlv::write(&mut body, 0x02, &serial.to_be_bytes());
        }
        tlv::write(&mut body, 0x03, &caps);
        tlv::write(&mut body, 0x04, &[0x01]);
        tlv::write(&mut body, 0x05, &[v.0, v.1, v.2]);
        tlv::write(&mut body, 0x08, &[0x00]);
        tlv::write(&mut body, 0x0D, &caps);
        tlv::write(&mut body, 0x0E, &caps);
        let mut out = vec![body.len() as u8];
        out.extend(body);
        out
    }
}

fn result_tlv(digits: u8, digest: &[u8], truncated: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(digest.len() + 3);
    if truncated {
        let mut value = vec![digits];
        value.extend_from_slice(&otp::truncate(digest).to_be_bytes());
        tlv::write(&mut out, tag::TRUNCATED, &value);
    } else {
        let mut value = vec![digits];
        value.extend_from_slice(digest);
        tlv::write(&mut out, tag::RESPONSE, &value);
    }
    out
}

/// Compares two big-endian numbers of any length.
fn numeric_less(a: &[u8], b: &[u8]) -> bool {
    let strip = |x: &[u8]| -> Vec<u8> { x.iter().copied().skip_while(|&v| v == 0).collect() };
    let (a, b) = (strip(a), strip(b));
    (a.len(), &a) < (b.len(), &b)
}

#[cfg(test)]
mod tests;
