//! Command/response APDUs, YKOATH TLVs and every response parser: no panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use ykotp::oath::proto;

fuzz_target!(|data: &[u8]| {
    if let Ok(p) = ykotp::iso7816::apdu::CommandApdu::parse(data) {
        // what parses re-encodes to something that parses to the same command
        let again = ykotp::iso7816::apdu::CommandApdu::parse(&p.apdu.encode()).expect("re-encoded APDU parses");
        assert_eq!(again.apdu, p.apdu);
    }
    let _ = ykotp::iso7816::apdu::Response::parse(data);
    let _ = ykotp::iso7816::tlv::parse_all(data);
    let _ = ykotp::iso7816::tlv::parse_put(data);
    let _ = proto::parse_select(data);
    let _ = proto::parse_list(data);
    let _ = proto::parse_calculate(data);
    let _ = proto::parse_calculate_all(data);
    let _ = proto::parse_validate(data);
    let _ = ykotp::discovery::management::parse_device_info(data);
});
