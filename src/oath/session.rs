//! A YKOATH session over any [`Transport`]: SELECT, unlock, and every operation.
//! It never reads the clock or the OS RNG: times and host challenges are parameters,
//! so a transcript replays byte for byte.

use super::credential::{Credential, CredentialData, OathType, DEFAULT_PERIOD};
use super::error::{classify, in_command, Context, Error};
use super::pin;
use super::proto::{self, CalcResponse, SelectInfo, Version};
use crate::iso7816::apdu::{CommandApdu, Sw};
use crate::otp::{self, AccessKey, Code};
use crate::transport::{exchange_with, Transport, Wait, INS_GET_RESPONSE, INS_SEND_REMAINING};
use zeroize::Zeroizing;

/// An open OATH applet.
pub struct Session<T> {
    transport: T,
    info: SelectInfo,
    unlocked: bool,
    // the card refused CALCULATE ALL once: LIST and single CALCULATEs from now on
    no_calculate_all: bool,
    // Nitrokey's PIN, once given: the applet forgets it after one command, so it is
    // verified again before every command that needs it (see `pin`)
    pin: Option<Zeroizing<Vec<u8>>>,
    // the last command was a successful VERIFY PIN: the next one may use the PIN
    pin_fresh: bool,
}

/// One row of CALCULATE ALL, after recalculating non-30 s credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalculatedEntry {
    /// The credential (touch known; algorithm not).
    pub credential: Credential,
    /// The digits the key reported; 0 when it did not say (a card without CALCULATE
    /// ALL, before the row's own CALCULATE).
    pub digits: u8,
    /// The code, unless it needs a touch or is HOTP.
    pub code: Option<Code>,
}

impl CalculatedEntry {
    /// A TOTP row without touch whose code CALCULATE ALL could not give.
    pub fn needs_calculate(&self) -> bool {
        self.code.is_none() && self.credential.oath_type == OathType::Totp && self.credential.touch != Some(true)
    }
}

impl<T: Transport> Session<T> {
    /// Selects the OATH applet.
    pub fn select(mut transport: T) -> Result<Self, Error> {
        let info = select(&mut transport)?;
        let unlocked = info.challenge.is_none() && !info.has_pin();
        Ok(Session { transport, info, unlocked, no_calculate_all: false, pin: None, pin_fresh: false })
    }

    /// SELECTs the applet again: a fresh challenge, the authentication dropped, and
    /// what the card now says about its password (used to verify SET CODE).
    pub fn reselect(&mut self) -> Result<&SelectInfo, Error> {
        self.info = select(&mut self.transport)?;
        self.pin_fresh = false;
        if !self.info.has_pin() {
            self.pin = None;
        }
        self.unlocked = self.info.challenge.is_none() && (!self.info.has_pin() || self.pin.is_some());
        Ok(&self.info)
    }

    /// Whether the card refused CALCULATE ALL in this session (codes then come from
    /// LIST and single CALCULATEs).
    pub fn lacks_calculate_all(&self) -> bool {
        self.no_calculate_all
    }

    /// What SELECT said.
    pub fn info(&self) -> &SelectInfo {
        &self.info
    }

    /// The applet version.
    pub fn version(&self) -> Version {
        self.info.version
    }

    /// ykman's device id.
    pub fn device_id(&self) -> String {
        self.info.device_id()
    }

    /// A password (or a Nitrokey PIN) is set and we have not unlocked.
    pub fn is_locked(&self) -> bool {
        !self.unlocked
    }

    /// The access key for `password` on this key (PBKDF2 with its salt).
    pub fn derive_key(&self, password: &str) -> AccessKey {
        otp::derive_access_key(password, &self.info.salt)
    }

    /// The transport back.
    pub fn into_transport(self) -> T {
        self.transport
    }

    fn send(&mut self, command: &CommandApdu, wait: Wait) -> Result<Vec<u8>, Error> {
        if self.pin.is_some() && !self.pin_fresh && pin::needs_pin(command) {
            self.verify_pin()?;
        }
        self.pin_fresh = false;
        let ctx = Context { locked: !self.unlocked, continued: false };
        let continuation = self.continuation();
        send_continued(&mut self.transport, command, continuation, wait, ctx)
    }

    /// How this card continues a `61xx`: YKOATH's SEND REMAINING, except on Nitrokey's
    /// applet, whose answers are split by the firmware's APDU layer (apdu-dispatch): it
    /// continues only with ISO GET RESPONSE and answers SEND REMAINING with `6985`.
    fn continuation(&self) -> u8 {
        if self.has_pin_extension() {
            INS_GET_RESPONSE
        } else {
            INS_SEND_REMAINING
        }
    }

    /// Whether the card is Nitrokey's applet, whose PIN replaces the password (SELECT
    /// reports a serial; see [`pin`]).
    pub fn has_pin_extension(&self) -> bool {
        self.info.serial.is_some()
    }

    /// Gives Nitrokey's applet its PIN: one VERIFY PIN now (a wrong PIN shows at once:
    /// [`Error::WrongPassword`], one attempt used), and again before every later command
    /// that needs it. Each VERIFY PIN waits for a touch on the key.
    pub fn unlock_pin(&mut self, pin: &[u8]) -> Result<(), Error> {
        if !self.info.has_pin() {
            return Err(Error::NoPassword);
        }
        self.pin = Some(Zeroizing::new(pin.to_vec()));
        if let Err(e) = self.verify_pin() {
            self.pin = None;
            return Err(e);
        }
        self.unlocked = true;
        Ok(())
    }

    fn verify_pin(&mut self) -> Result<(), Error> {
        let Some(pin) = &self.pin else { return Err(Error::Locked) };
        let mut command = pin::verify_pin(pin);
        let result = send(&mut self.transport, &command, Wait::Touch, Context::default());
        zeroize::Zeroize::zeroize(&mut command.data);
        self.pin_fresh = result.is_ok();
        result.map(drop).map_err(pin::error)
    }

    /// Sets Nitrokey's PIN (SET PIN), or changes it (CHANGE PIN, after
    /// [`Session::unlock_pin`]); then SELECTs again and checks that the card reports it.
    pub fn set_pin(&mut self, new: &[u8]) -> Result<(), Error> {
        let command = match (&self.pin, self.info.has_pin()) {
            (_, false) => pin::set_pin(new),
            (Some(old), true) => pin::change_pin(old, new),
            (None, true) => return Err(Error::Locked),
        };
        let mut command = command;
        self.pin_fresh = false;
        let result = send(&mut self.transport, &command, Wait::Touch, Context::default());
        zeroize::Zeroize::zeroize(&mut command.data);
        result.map_err(pin::error)?;
        self.pin = Some(Zeroizing::new(new.to_vec()));
        if !self.reselect()?.has_pin() {
            self.pin = None;
            return Err(Error::Malformed("SELECT shows no PIN after SET PIN succeeded"));
        }
        Ok(())
    }

    /// PUT of an account encrypted with Nitrokey's PIN (after [`Session::unlock_pin`]):
    /// only a LIST or CALCULATE right after VERIFY PIN sees it.
    pub fn put_pin_encrypted(&mut self, credential: &CredentialData) -> Result<(), Error> {
        check_firmware(self.version(), credential)?;
        if !self.pin_fresh {
            self.verify_pin()?;
        }
        self.send(&proto::put_with_properties(credential, pin::PROP_PIN_ENCRYPTED), Wait::Touch).map(drop)
    }

    /// VALIDATE with mutual authentication: the key must prove it knows the access
    /// key too, checked in constant time. `host_challenge` is 8 random bytes.
    pub fn unlock(&mut self, key: &AccessKey, host_challenge: &[u8; 8]) -> Result<(), Error> {
        let card_challenge = self.info.challenge.clone().ok_or(Error::NoPassword)?;
        let proof = key.respond(&card_challenge);
        let data = self.send(&proto::validate(&proof, host_challenge), Wait::Answer)?;
        let card_proof = proto::parse_validate(&data).map_err(Error::Malformed)?;
        if !key.verify(host_challenge, &card_proof) {
            return Err(Error::CardNotAuthentic);
        }
        self.unlocked = true;
        Ok(())
    }

    /// LIST: every credential with its type and algorithm, in the key's order.
    pub fn list(&mut self) -> Result<Vec<Credential>, Error> {
        let data = self.send(&proto::list(), Wait::Answer)?;
        proto::parse_list(&data).map_err(Error::Malformed)
    }

    /// CALCULATE ALL at `now` and one CALCULATE for each row that needs it (see
    /// [`CalculatedEntry::needs_calculate`]). Touch and HOTP rows get no code: listing
    /// never asks for a touch or advances a counter. On a card without CALCULATE ALL,
    /// a row whose touch is unknown is tried; a touch it does not get marks it as touch.
    pub fn calculate_all_codes(&mut self, now: u64) -> Result<Vec<CalculatedEntry>, Error> {
        let mut entries = self.calculate_all(now)?;
        for e in entries.iter_mut().filter(|e| e.needs_calculate()) {
            match self.calculate_digits(&e.credential, now) {
                Ok((digits, code)) => (e.digits, e.code) = (digits, Some(code)),
                Err(Error::TouchNotGiven) if e.credential.touch.is_none() => e.credential.touch = Some(true),
                Err(err) => return Err(err),
            }
        }
        Ok(entries)
    }

    /// One CALCULATE ALL at `now`. The key signs every TOTP with the same 30 s step, so
    /// rows of other periods (and Steam's, which need the full HMAC) come back without a
    /// code, as do touch and HOTP rows. A card that refuses CALCULATE ALL gets LIST
    /// instead: every row then comes back without a code, digits or touch (see
    /// [`Session::lacks_calculate_all`]); a YubiKey never pays for this.
    pub fn calculate_all(&mut self, now: u64) -> Result<Vec<CalculatedEntry>, Error> {
        self.calculate_all_for(now, DEFAULT_PERIOD)
    }

    /// One CALCULATE ALL with the time step of `period`: the rows of that period get
    /// their codes (the others' values belong to no window of theirs and are dropped).
    /// A dashboard showing several periods sends one of these per period, not one
    /// CALCULATE per account.
    pub fn calculate_all_for(&mut self, now: u64, period: u32) -> Result<Vec<CalculatedEntry>, Error> {
        let period = period.max(1);
        if !self.no_calculate_all {
            let challenge = otp::totp_challenge(otp::time_step(now, period, 0));
            match self.send(&proto::calculate_all(&challenge), Wait::Answer) {
                Ok(data) => return Self::calculated(&data, now, period),
                Err(Error::Refused { .. } | Error::NotSupported | Error::BadRequest) => self.no_calculate_all = true,
                Err(e) => return Err(e),
            }
        }
        Ok(self.list()?.into_iter().map(|credential| CalculatedEntry { credential, digits: 0, code: None }).collect())
    }

    fn calculated(data: &[u8], now: u64, period: u32) -> Result<Vec<CalculatedEntry>, Error> {
        let rows = proto::parse_calculate_all(data).map_err(Error::Malformed)?;
        let mut out = Vec::with_capacity(rows.len());
        for (id, response) in rows {
            let oath_type = if matches!(response, CalcResponse::Hotp { .. }) { OathType::Hotp } else { OathType::Totp };
            let mut credential = Credential::new(id, oath_type);
            credential.touch = Some(matches!(response, CalcResponse::Touch { .. }));
            let (digits, code) = match response {
                CalcResponse::Truncated { digits, value } if credential.period == period && !credential.is_steam() => {
                    (digits, Some(Code::in_window(otp::format_code(value, digits), now, period)))
                }
                CalcResponse::Truncated { digits, .. }
                | CalcResponse::Full { digits, .. }
                | CalcResponse::Hotp { digits }
                | CalcResponse::Touch { digits } => (digits, None),
            };
            out.push(CalculatedEntry { credential, digits, code });
        }
        Ok(out)
    }

    /// CALCULATE one code at `now` (TOTP) or at the key's counter (HOTP, which advances
    /// it). Steam credentials get the full HMAC and Steam's alphabet.
    pub fn calculate(&mut self, credential: &Credential, now: u64) -> Result<Code, Error> {
        self.calculate_digits(credential, now).map(|(_, code)| code)
    }

    fn calculate_digits(&mut self, credential: &Credential, now: u64) -> Result<(u8, Code), Error> {
        let period = credential.period.max(1);
        let challenge: Vec<u8> = match credential.oath_type {
            OathType::Totp => otp::totp_challenge(otp::time_step(now, period, 0)).to_vec(),
            OathType::Hotp => Vec::new(),
        };
        let steam = credential.is_steam();
        // only a TOTP account known not to need a touch is sure to answer at once
        let wait = if credential.oath_type == OathType::Totp && credential.touch == Some(false) { Wait::Answer } else { Wait::Touch };
        let data = self.send(&proto::calculate(&credential.id, &challenge, !steam), wait)?;
        let (digits, value) = match proto::parse_calculate(&data).map_err(Error::Malformed)? {
            CalcResponse::Truncated { digits, value } => (digits, otp::format_code(value, digits)),
            CalcResponse::Full { hmac, digits } if steam => (digits, otp::steam_code(&hmac)),
            CalcResponse::Full { digits, hmac } => (digits, otp::format_code(otp::truncate(&hmac), digits)),
            _ => return Err(Error::Malformed("CALCULATE returned no value")),
        };
        Ok((
            digits,
            match credential.oath_type {
                OathType::Totp => Code::in_window(value, now, period),
                OathType::Hotp => Code { value, valid_from: now, valid_to: u64::MAX },
            },
        ))
    }

    /// CALCULATE with P2=00: the raw HMAC of `challenge` under the credential's key.
    pub fn calculate_raw(&mut self, id: &[u8], challenge: &[u8]) -> Result<Vec<u8>, Error> {
        let data = self.send(&proto::calculate(id, challenge, false), Wait::Touch)?;
        match proto::parse_calculate(&data).map_err(Error::Malformed)? {
            CalcResponse::Full { hmac, .. } => Ok(hmac),
            _ => Err(Error::Malformed("CALCULATE returned no full response")),
        }
    }

    /// PUT (adds, or overwrites an id that exists: callers ask first), after
    /// [`check_firmware`].
    pub fn put(&mut self, credential: &CredentialData) -> Result<(), Error> {
        check_firmware(self.version(), credential)?;
        self.send(&proto::put(credential), Wait::Touch).map(drop)
    }

    /// DELETE.
    pub fn delete(&mut self, id: &[u8]) -> Result<(), Error> {
        self.send(&proto::delete(id), Wait::Touch).map(drop)
    }

    /// Whether the key can rename: firmware 5.3.1, or Nitrokey's applet.
    pub fn can_rename(&self) -> bool {
        self.version().supports_rename() || self.has_pin_extension()
    }

    /// RENAME (firmware 5.3.1 and later), or Nitrokey's UPDATE CREDENTIAL.
    pub fn rename(&mut self, old: &[u8], new: &[u8]) -> Result<(), Error> {
        if self.has_pin_extension() {
            return self.send(&pin::rename(old, new), Wait::Touch).map(drop).map_err(pin::error);
        }
        let v = self.version();
        if !v.supports_rename() {
            return Err(Error::NeedsFirmware { feature: "renaming", needs: Version(5, 3, 1), has: v });
        }
        self.send(&proto::rename(old, new), Wait::Touch).map(drop)
    }

    /// SET CODE: sets or changes the password to `key`. `host_challenge` is 8 random bytes.
    pub fn set_key(&mut self, key: &AccessKey, host_challenge: &[u8; 8]) -> Result<(), Error> {
        let proof = key.respond(host_challenge);
        self.send(&proto::set_code(Some((key.as_bytes(), host_challenge, &proof))), Wait::Touch)?;
        self.unlocked = true;
        Ok(())
    }

    /// SET CODE with an empty key: removes the password.
    pub fn clear_key(&mut self) -> Result<(), Error> {
        self.send(&proto::set_code(None), Wait::Touch).map(drop)
    }

    /// RESET: deletes every credential and the password; the salt (and device id)
    /// change, so the applet is selected again (as yubikit does) to learn the new salt:
    /// a password set later in this session is derived with it.
    pub fn reset(&mut self) -> Result<(), Error> {
        self.send(&proto::reset(), Wait::Touch)?;
        self.reselect().map(drop)
    }
}

/// Whether firmware `v` can hold `credential`: touch needs 4.2.6, SHA-512 needs 4.3.1.
pub fn check_firmware(v: Version, credential: &CredentialData) -> Result<(), Error> {
    if credential.touch && !v.supports_touch() {
        return Err(Error::NeedsFirmware { feature: "touch", needs: Version(4, 2, 6), has: v });
    }
    if credential.algorithm == otp::Algorithm::Sha512 && !v.supports_sha512() {
        return Err(Error::NeedsFirmware { feature: "SHA-512", needs: Version(4, 3, 1), has: v });
    }
    Ok(())
}

fn select<T: Transport>(transport: &mut T) -> Result<SelectInfo, Error> {
    let data = send(transport, &proto::select(), Wait::Answer, Context::default())?;
    proto::parse_select(&data).map_err(Error::Malformed)
}

fn send<T: Transport>(transport: &mut T, command: &CommandApdu, wait: Wait, ctx: Context) -> Result<Vec<u8>, Error> {
    send_continued(transport, command, INS_SEND_REMAINING, wait, ctx)
}

fn send_continued<T: Transport>(
    transport: &mut T,
    command: &CommandApdu,
    continuation: u8,
    wait: Wait,
    ctx: Context,
) -> Result<Vec<u8>, Error> {
    let answer = exchange_with(transport, command, continuation, wait).map_err(|e| in_command(e, command.ins, command.p1))?;
    if answer.response.sw == Sw::OK {
        Ok(answer.response.data)
    } else {
        let ctx = Context { continued: answer.continuations > 0, ..ctx };
        Err(classify(command.ins, command.p1, answer.response.sw, ctx))
    }
}
