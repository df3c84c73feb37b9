//! The optional udev rule: valid syntax, Yubico's CCID product ids, the security-token
//! mark, and a number below systemd's 70-uaccess.

use std::collections::BTreeSet;

const RULE: &str = include_str!("../udev/69-ykotp.rules");

#[test]
fn rule_file_marks_exactly_the_ccid_yubikeys() {
    let mut products = BTreeSet::new();
    let mut marked = false;
    for (n, line) in RULE.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        for part in line.split(", ") {
            let (key, value) = part
                .split_once("==")
                .or_else(|| part.split_once("!="))
                .or_else(|| part.split_once('='))
                .unwrap_or_else(|| panic!("line {}: not KEY==VALUE or KEY=VALUE: {part}", n + 1));
            assert!(value.starts_with('"') && value.ends_with('"') && value.len() >= 2, "line {}: unquoted value {value}", n + 1);
            let value = &value[1..value.len() - 1];
            match key {
                "ATTRS{idVendor}" => assert_eq!(value, "1050", "line {}", n + 1),
                "ATTRS{idProduct}" => products.extend(value.split('|').map(str::to_owned)),
                "ENV{ID_SECURITY_TOKEN}" => marked = value == "1",
                "ACTION" | "SUBSYSTEM" | "GOTO" | "LABEL" => {}
                other => panic!("line {}: unexpected key {other}", n + 1),
            }
        }
    }
    let want: BTreeSet<String> = ["0111", "0112", "0115", "0116", "0404", "0405", "0406", "0407"].map(String::from).into();
    assert_eq!(products, want);
    assert!(marked, "the rule must set ENV{{ID_SECURITY_TOKEN}}=\"1\"");
    assert!(RULE.contains("GOTO=\"ykotp_end\"") && RULE.contains("LABEL=\"ykotp_end\""));
}

#[test]
fn rule_runs_before_uaccess() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("udev");
    let rules: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".rules"))
        .collect();
    assert_eq!(rules, ["69-ykotp.rules"], "the rule tested above is the only one shipped");
    for name in rules {
        let number: u32 = name.split('-').next().unwrap().parse().expect("rules files start with a number");
        assert!(number < 70, "{name} must sort before systemd's 70-uaccess.rules");
    }
}
