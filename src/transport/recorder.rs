//! `--trace`: wraps a transport and writes each exchange to stderr in the `apdu/`
//! transcript notation, with PUT keys, VALIDATE/SET CODE proofs and Nitrokey PINs
//! redacted.

use super::{Transport, TransportError, Wait};
use crate::iso7816::tlv;
use std::io::Write;

/// A transport that logs every command and response.
pub struct Recorder<T, W> {
    inner: T,
    out: W,
}

impl<T: Transport, W: Write> Recorder<T, W> {
    /// Wraps `inner`, logging to `out`.
    pub fn new(inner: T, out: W) -> Self {
        Recorder { inner, out }
    }
}

impl<T: Transport, W: Write> Transport for Recorder<T, W> {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        self.transmit_within(command, Wait::Answer)
    }

    fn transmit_within(&mut self, command: &[u8], wait: Wait) -> Result<Vec<u8>, TransportError> {
        // A broken stderr must not break the command itself.
        let _ = writeln!(self.out, "> {}", redact_command(command));
        let result = self.inner.transmit_within(command, wait);
        let _ = match &result {
            Ok(r) => writeln!(self.out, "< {}", redact_response(command, r)),
            Err(e) => writeln!(self.out, "! {e}"),
        };
        result
    }
}

fn spaced(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(" ")
}

/// The command as hex, with the values of secret-bearing tags replaced by `[redacted N bytes]`.
pub fn redact_command(command: &[u8]) -> String {
    let ins = command.get(1).copied().unwrap_or(0);
    let secret_tags: &[u8] = match ins {
        0x01 => &[0x73],        // PUT: the credential key
        0x03 => &[0x73, 0x75],  // SET CODE: access key and proof
        0xA3 => &[0x75],        // VALIDATE: proof
        0xB2 | 0xB4 => &[0x80], // Nitrokey VERIFY PIN, SET PIN: the PIN
        0xB3 => &[0x80, 0x81],  // Nitrokey CHANGE PIN: old and new PIN
        _ => return spaced(command),
    };
    // header and Lc, the data, and what follows it (Le)
    let data_len = crate::iso7816::apdu::CommandApdu::parse(command).map_or(command.len().saturating_sub(5), |p| p.apdu.data.len());
    let header_len = match command.get(4) {
        Some(0) if data_len > 0 => 7,
        _ => command.len().min(5),
    };
    let (header, rest) = command.split_at(header_len);
    let (body, tail) = rest.split_at(data_len.min(rest.len()));
    let parsed = if ins == 0x01 { tlv::parse_put(body) } else { tlv::parse_all(body) };
    let Ok(tlvs) = parsed else {
        return format!("{} [redacted {} bytes]", spaced(header), rest.len());
    };
    let mut parts = vec![spaced(header)];
    for t in tlvs {
        if secret_tags.contains(&t.tag) && !t.value.is_empty() {
            parts.push(format!("{:02X} {:02X} [redacted {} bytes]", t.tag, t.value.len(), t.value.len()));
        } else if t.tag == tlv::PROPERTY_TAG && ins == 0x01 {
            parts.push(format!("78 {}", spaced(t.value)));
        } else {
            let mut enc = Vec::new();
            tlv::write(&mut enc, t.tag, t.value);
            parts.push(spaced(&enc));
        }
    }
    if !tail.is_empty() {
        parts.push(spaced(tail));
    }
    parts.join("  ")
}

/// The response as hex; VALIDATE's proof is redacted.
pub fn redact_response(command: &[u8], response: &[u8]) -> String {
    if command.get(1) == Some(&0xA3) && response.len() > 2 {
        let sw = &response[response.len() - 2..];
        return format!("[redacted {} bytes]  {}", response.len() - 2, spaced(sw));
    }
    spaced(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn put_keys_are_redacted() {
        let cmd = hex::decode("0001000012710161731021063132333435363738393031323334780200").unwrap();
        let line = redact_command(&cmd[..cmd.len() - 1]);
        assert!(line.contains("[redacted 16 bytes]"), "{line}");
        assert!(!line.contains("31 32 33"), "{line}");
        assert!(line.contains("71 01 61"));
        assert!(line.contains("78 02"));
    }

    #[test]
    fn nitrokey_pins_are_redacted() {
        for (cmd, shown) in [
            ("00B200000A80083132333461626364", "00 B2 00 00 0A  80 08 [redacted 8 bytes]"),
            ("00B400000A80083132333461626364", "00 B4 00 00 0A  80 08 [redacted 8 bytes]"),
            ("00B300000C800431323334810439383736", "00 B3 00 00 0C  80 04 [redacted 4 bytes]  81 04 [redacted 4 bytes]"),
        ] {
            let line = redact_command(&hex::decode(cmd).unwrap());
            assert_eq!(line, shown);
        }
    }

    #[test]
    fn validate_proofs_are_redacted_both_ways() {
        let mut cmd = vec![0, 0xA3, 0, 0, 0x20, 0x75, 0x14];
        cmd.extend([0xAB; 20]);
        cmd.extend([0x74, 0x08]);
        cmd.extend([0x11; 8]);
        assert!(!redact_command(&cmd).contains("AB AB"));
        // with Le = 00, as ykotp sends VALIDATE: the TLVs are still told apart
        cmd.push(0);
        let line = redact_command(&cmd);
        assert!(line.contains("75 14 [redacted 20 bytes]") && line.ends_with("74 08 11 11 11 11 11 11 11 11  00"), "{line}");
        cmd.pop();
        let mut resp = vec![0x75, 0x14];
        resp.extend([0xCD; 20]);
        resp.extend([0x90, 0x00]);
        let line = redact_response(&cmd, &resp);
        assert!(!line.contains("CD"), "{line}");
        assert!(line.ends_with("90 00"));
    }
}
