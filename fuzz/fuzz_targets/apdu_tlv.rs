//! Command/response APDUs, YKOATH TLVs and every response parser: no panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use ykotp::oath::proto;

fuzz_target!(|data: &[u8]| {
    if let Ok(p) = ykotp::apdu::CommandApdu::parse(data) {
        // what parses re-encodes to something that parses to the same command
        let again = ykotp::apdu::CommandApdu::parse(&p.apdu.encode()).expect("re-encoded APDU parses");
        assert_eq!(again.apdu, p.apdu);
    }
    let _ = ykotp::apdu::Response::parse(data);
    let _ = ykotp::tlv::parse_all(data);
    let _ = ykotp::tlv::parse_put(data);
    let _ = proto::parse_select(data);
    let _ = proto::parse_list(data);
    let _ = proto::parse_calculate(data);
    let _ = proto::parse_calculate_all(data);
    let _ = proto::parse_validate(data);
    let _ = ykotp::management::parse_device_info(data);
});
