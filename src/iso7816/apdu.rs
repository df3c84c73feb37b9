//! ISO 7816-4 command and response APDUs: encoding, decoding and status words.
//!
//! YKOATH uses plain CLA 00 commands. A command that expects response data carries
//! Le = 00 ("up to 256 bytes", ISO 7816-4 cases 2 and 4), as yubikit sends it: a card
//! may read a missing Le as "send nothing". Commands that expect no data are cases 1
//! and 3. The extended form is used only for data over 255 bytes. The card side must
//! accept every form ykman and others send: short or extended Lc, with or without a
//! trailing Le (protocol reference §1).

use std::fmt;

/// A command APDU as the client builds it.
#[derive(Clone, PartialEq, Eq)]
pub struct CommandApdu {
    /// Class byte (00 for YKOATH).
    pub cla: u8,
    /// Instruction byte.
    pub ins: u8,
    /// First parameter.
    pub p1: u8,
    /// Second parameter.
    pub p2: u8,
    /// Command data (may hold secrets: `Debug` shows only its length).
    pub data: Vec<u8>,
    /// The longest answer expected (Ne): `None` for none (no Le field), 256 for a short
    /// `Le = 00`, 65536 for an extended `Le = 0000`.
    pub le: Option<usize>,
}

impl fmt::Debug for CommandApdu {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "CommandApdu({:02X} {:02X} {:02X} {:02X}, {} data bytes, Le {:?})",
            self.cla,
            self.ins,
            self.p1,
            self.p2,
            self.data.len(),
            self.le
        )
    }
}

// PUT and SET CODE data hold keys: every command's data is wiped when it is dropped.
impl Drop for CommandApdu {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.data);
    }
}

impl CommandApdu {
    /// A command with CLA 00 that expects no response data (case 1 or 3).
    pub fn new(ins: u8, p1: u8, p2: u8, data: Vec<u8>) -> Self {
        CommandApdu { cla: 0, ins, p1, p2, data, le: None }
    }

    /// A command with CLA 00 that expects response data: `Le = 00` (case 2 or 4).
    pub fn expecting_data(ins: u8, p1: u8, p2: u8, data: Vec<u8>) -> Self {
        CommandApdu { cla: 0, ins, p1, p2, data, le: Some(256) }
    }

    /// The bytes on the wire: short form when the data fits in 255 bytes and Ne in 256,
    /// extended form (`00 LcHi LcLo`, a 2-byte Le) otherwise.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(9 + self.data.len());
        out.extend_from_slice(&[self.cla, self.ins, self.p1, self.p2]);
        let n = self.data.len().min(0xFFFF);
        let extended = n > 255 || self.le.is_some_and(|le| le > 256);
        if n > 0 {
            if extended {
                out.push(0);
                out.extend_from_slice(&(n as u16).to_be_bytes());
            } else {
                out.push(n as u8);
            }
            out.extend_from_slice(&self.data[..n]);
        }
        if let Some(le) = self.le {
            if extended {
                if n == 0 {
                    out.push(0);
                }
                // 65536 and over encode as 0000
                out.extend_from_slice(&(le.min(0x1_0000) as u16).to_be_bytes());
            } else {
                // 256 encodes as 00
                out.push(le as u8);
            }
        }
        out
    }

    /// Parses any of the ISO 7816-4 cases (1, 2, 3, 4; short or extended).
    /// Never panics; anything that is not a consistent APDU is an error.
    pub fn parse(bytes: &[u8]) -> Result<ParsedCommand, ApduError> {
        if bytes.len() < 4 {
            return Err(ApduError::TooShort);
        }
        let header = [bytes[0], bytes[1], bytes[2], bytes[3]];
        let body = &bytes[4..];
        let (data, le) = match body.len() {
            0 => (&body[..0], None),
            1 => (&body[..0], Some(le_short(body[0]))),
            _ if body[0] != 0 => {
                let lc = body[0] as usize;
                match body.len() - 1 {
                    n if n == lc => (&body[1..], None),
                    n if n == lc + 1 => (&body[1..1 + lc], Some(le_short(body[lc + 1]))),
                    _ => return Err(ApduError::LengthMismatch),
                }
            }
            2 => return Err(ApduError::LengthMismatch),
            3 => (&body[..0], Some(le_ext(body[1], body[2]))),
            _ => {
                let lc = u16::from_be_bytes([body[1], body[2]]) as usize;
                if lc == 0 {
                    return Err(ApduError::LengthMismatch);
                }
                match body.len() - 3 {
                    n if n == lc => (&body[3..], None),
                    n if n == lc + 2 => (&body[3..3 + lc], Some(le_ext(body[3 + lc], body[4 + lc]))),
                    _ => return Err(ApduError::LengthMismatch),
                }
            }
        };
        let apdu = CommandApdu { cla: header[0], ins: header[1], p1: header[2], p2: header[3], data: data.to_vec(), le };
        Ok(ParsedCommand { apdu, le })
    }
}

fn le_short(b: u8) -> usize {
    if b == 0 {
        256
    } else {
        b as usize
    }
}

fn le_ext(hi: u8, lo: u8) -> usize {
    match u16::from_be_bytes([hi, lo]) {
        0 => 65536,
        n => n as usize,
    }
}

/// A command parsed on the card side, with the Le the host announced (if any).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedCommand {
    /// The command.
    pub apdu: CommandApdu,
    /// The expected response length, when the host sent one.
    pub le: Option<usize>,
}

/// Why a byte string is not an APDU.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ApduError {
    /// Fewer than the four header bytes (or, for a response, the two SW bytes).
    #[error("the APDU is shorter than its header")]
    TooShort,
    /// Lc and the data length disagree.
    #[error("the APDU length field does not match its data")]
    LengthMismatch,
}

/// A status word (SW1 SW2).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Sw(pub u16);

impl Sw {
    /// Success.
    pub const OK: Sw = Sw(0x9000);
    /// Security condition not satisfied: locked, or touch not given.
    pub const SECURITY_CONDITION_NOT_SATISFIED: Sw = Sw(0x6982);
    /// Data invalid: no such object, or a response that does not match.
    pub const DATA_INVALID: Sw = Sw(0x6984);
    /// Conditions of use not satisfied.
    pub const CONDITIONS_NOT_SATISFIED: Sw = Sw(0x6985);
    /// Incorrect parameters in the data field: bad syntax, or a wrong password on VALIDATE.
    pub const INCORRECT_PARAMETERS: Sw = Sw(0x6A80);
    /// Application (file) not found.
    pub const FILE_NOT_FOUND: Sw = Sw(0x6A82);
    /// Not enough memory space.
    pub const NO_SPACE: Sw = Sw(0x6A84);
    /// Wrong P1/P2.
    pub const WRONG_P1P2: Sw = Sw(0x6B00);
    /// Instruction not supported.
    pub const INS_NOT_SUPPORTED: Sw = Sw(0x6D00);
    /// Class not supported.
    pub const CLA_NOT_SUPPORTED: Sw = Sw(0x6E00);
    /// Wrong length.
    pub const WRONG_LENGTH: Sw = Sw(0x6700);
    /// Memory failure / generic error.
    pub const MEMORY_FAILURE: Sw = Sw(0x6581);
    /// Command aborted (some NEOs when full).
    pub const COMMAND_ABORTED: Sw = Sw(0x6F00);

    /// SW1 = 61: more data waits; SW2 says how much (capped at FF).
    pub fn more_data(&self) -> Option<u8> {
        ((self.0 >> 8) == 0x61).then_some(self.0 as u8)
    }

    /// The two bytes.
    pub fn to_bytes(self) -> [u8; 2] {
        self.0.to_be_bytes()
    }
}

impl fmt::Debug for Sw {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sw({:04X})", self.0)
    }
}

impl fmt::Display for Sw {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04X}", self.0)
    }
}

/// A response APDU: data followed by the status word.
#[derive(Clone, PartialEq, Eq)]
pub struct Response {
    /// Response data.
    pub data: Vec<u8>,
    /// Status word.
    pub sw: Sw,
}

impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Response({} data bytes, {:?})", self.data.len(), self.sw)
    }
}

impl Response {
    /// Splits `data ‖ SW1 SW2`. A response shorter than two bytes is an error: vpcd turns
    /// a vanished card into an empty response with success (pcsc-virtual-card.md §4).
    pub fn parse(bytes: &[u8]) -> Result<Response, ApduError> {
        if bytes.len() < 2 {
            return Err(ApduError::TooShort);
        }
        let (data, sw) = bytes.split_at(bytes.len() - 2);
        Ok(Response { data: data.to_vec(), sw: Sw(u16::from_be_bytes([sw[0], sw[1]])) })
    }

    /// A response with the given data and status.
    pub fn new(data: Vec<u8>, sw: Sw) -> Self {
        Response { data, sw }
    }

    /// `data ‖ SW1 SW2`.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.data.len() + 2);
        out.extend_from_slice(&self.data);
        out.extend_from_slice(&self.sw.to_bytes());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_forms_round_trip() {
        let case1 = CommandApdu::new(0xA1, 0, 0, vec![]);
        assert_eq!(case1.encode(), [0x00, 0xA1, 0x00, 0x00]);
        let case3 = CommandApdu::new(0xA4, 0x04, 0x00, vec![0xA0, 0, 0, 5, 0x27, 0x21, 1]);
        let wire = case3.encode();
        assert_eq!(hex::encode(&wire), "00a4040007a0000005272101");
        let parsed = CommandApdu::parse(&wire).unwrap();
        assert_eq!(parsed.apdu, case3);
        assert_eq!(parsed.le, None);
    }

    #[test]
    fn parses_le_variants_as_ykman_sends_them() {
        let p = CommandApdu::parse(&hex::decode("00a1000000").unwrap()).unwrap();
        assert_eq!((p.apdu.ins, p.apdu.data.len(), p.le), (0xA1, 0, Some(256)));
        let p = CommandApdu::parse(&hex::decode("00a4040007a000000527210100").unwrap()).unwrap();
        assert_eq!((p.apdu.data.len(), p.le), (7, Some(256)));
        // extended, as ykman 5 sends CALCULATE ALL over USB
        let p = CommandApdu::parse(&hex::decode("00a4000100000a74080000000000000001").unwrap()).unwrap();
        assert_eq!((p.apdu.p2, p.apdu.data.len(), p.le), (1, 10, None));
        // a zero first byte with too little after it is not an extended Lc
        assert_eq!(CommandApdu::parse(&hex::decode("00a500000000").unwrap()), Err(ApduError::LengthMismatch));
        let p = CommandApdu::parse(&hex::decode("00a50000000100").unwrap()).unwrap();
        assert_eq!((p.apdu.data.len(), p.le), (0, Some(256)));
    }

    #[test]
    fn le_00_for_commands_that_expect_data() {
        // case 2: LIST as yubikit sends it
        let list = CommandApdu::expecting_data(0xA1, 0, 0, vec![]);
        assert_eq!(list.encode(), [0x00, 0xA1, 0x00, 0x00, 0x00]);
        // case 4: SELECT with Le
        let select = CommandApdu::expecting_data(0xA4, 0x04, 0x00, vec![0xA0, 0, 0, 5, 0x27, 0x21, 1]);
        assert_eq!(hex::encode(select.encode()), "00a4040007a000000527210100");
        for c in [list, select] {
            let parsed = CommandApdu::parse(&c.encode()).unwrap();
            assert_eq!((parsed.le, &parsed.apdu), (Some(256), &c));
        }
        // extended data takes an extended Le: 0100 for 256, 0000 for 65536
        let long = CommandApdu::expecting_data(0x01, 0, 0, vec![7; 300]);
        let wire = long.encode();
        assert_eq!(&wire[wire.len() - 2..], &[1, 0]);
        assert_eq!(CommandApdu::parse(&wire).unwrap().apdu, long);
        let most = CommandApdu { cla: 0, ins: 0x01, p1: 0, p2: 0, data: vec![7; 300], le: Some(65536) };
        let wire = most.encode();
        assert_eq!(&wire[wire.len() - 2..], &[0, 0]);
        assert_eq!(CommandApdu::parse(&wire).unwrap().apdu, most);
    }

    #[test]
    fn extended_encoding_for_long_data() {
        let long = CommandApdu::new(0x01, 0, 0, vec![0x42; 300]);
        let wire = long.encode();
        assert_eq!(&wire[..7], &[0, 1, 0, 0, 0, 0x01, 0x2C]);
        assert_eq!(CommandApdu::parse(&wire).unwrap().apdu, long);
    }

    #[test]
    fn inconsistent_lengths_are_errors() {
        assert_eq!(CommandApdu::parse(&[0, 1, 0]), Err(ApduError::TooShort));
        assert_eq!(CommandApdu::parse(&[0, 1, 0, 0, 5, 1, 2]), Err(ApduError::LengthMismatch));
        assert_eq!(Response::parse(&[0x90]), Err(ApduError::TooShort));
    }

    #[test]
    fn status_words() {
        let r = Response::parse(&[1, 2, 0x61, 0x10]).unwrap();
        assert_eq!(r.sw.more_data(), Some(0x10));
        assert_eq!(r.data, [1, 2]);
        assert_eq!(Sw::OK.more_data(), None);
        assert_eq!(format!("{}", Sw(0x6a80)), "6A80");
        assert_eq!(r.encode(), [1, 2, 0x61, 0x10]);
    }
}
