//! The YubiKey management applet (protocol reference, Appendix A): serial number and
//! firmware version, so keys can be told apart by serial.

use crate::iso7816::apdu::{CommandApdu, Sw};
use crate::iso7816::tlv;
use crate::oath::proto::{ins, Version, MGMT_AID};
use crate::transport::{exchange_with, Transport, TransportError, Wait, INS_GET_RESPONSE};

/// What GET DEVICE INFO tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DeviceInfo {
    /// Serial number, unless hidden by configuration.
    pub serial: Option<u32>,
    /// Firmware version.
    pub version: Option<Version>,
}

/// Parses GET DEVICE INFO's answer: a length byte, then one-byte tags and lengths.
pub fn parse_device_info(data: &[u8]) -> Option<DeviceInfo> {
    let (&len, body) = data.split_first()?;
    let tlvs = tlv::parse_all(body.get(..len as usize)?).ok()?;
    let mut info = DeviceInfo::default();
    for t in tlvs {
        match (t.tag, t.value) {
            (0x02, [a, b, c, d]) => info.serial = Some(u32::from_be_bytes([*a, *b, *c, *d])),
            (0x05, [a, b, c]) => info.version = Some(Version(*a, *b, *c)),
            _ => {}
        }
    }
    Some(info)
}

/// Reads the serial and version; `Ok(None)` when the card has no management applet.
/// It leaves the management applet selected: select OATH again afterwards.
pub fn read_device_info(t: &mut dyn Transport) -> Result<Option<DeviceInfo>, TransportError> {
    // the management applet continues `61xx` with ISO GET RESPONSE, as yubikit does
    let mut send = |c: CommandApdu| exchange_with(t, &c, INS_GET_RESPONSE, Wait::Answer).map(|a| a.response);
    let select = send(CommandApdu::expecting_data(ins::SELECT, 0x04, 0x00, MGMT_AID.to_vec()))?;
    if select.sw != Sw::OK {
        return Ok(None);
    }
    let info = send(CommandApdu::expecting_data(ins::GET_DEVICE_INFO, 0, 0, vec![]))?;
    Ok(if info.sw == Sw::OK { parse_device_info(&info.data) } else { None })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_reference_answer() {
        // ykman 5.9.2 against the reference's full card
        let data = hex::decode("2101020 23F0302023F020400BC614E040101050305040308010 00D02023F0E02023F".replace(' ', "")).unwrap();
        let info = parse_device_info(&data).unwrap();
        assert_eq!(info.serial, Some(12345678));
        assert_eq!(info.version, Some(Version(5, 4, 3)));
        assert_eq!(parse_device_info(&[5, 1]), None);
    }
}
