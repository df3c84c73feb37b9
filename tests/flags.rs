//! Flags agree across commands: one meaning for "how many codes", and the global options
//! under their own heading in every command's help.

mod common;
use common::*;

const T: u64 = 1_111_111_109;

#[test]
fn how_many_codes_means_one_thing() {
    let y = Ykotp::virtual_key();
    y.run_in(&["put", "aws", "-"], Some(DEMO_B32)).ok();
    let at = T.to_string();
    let key = y.run(&["code", "aws", "--consecutive", "2", "--at", &at]).ok().to_owned();
    let soft = y.run_in(&["calc", "-", "--consecutive", "2", "--at", &at], Some(DEMO_B32)).ok().to_owned();
    assert_eq!(key.lines().count(), 2, "{key}");
    assert_eq!(soft, key, "calc --consecutive N and code --consecutive N print the same N codes");
    // --window keeps oathtool's meaning: this code and the next N
    let window = y.run_in(&["calc", "-", "--window", "2", "--at", &at], Some(DEMO_B32)).ok().to_owned();
    assert_eq!(window, oathtool_totp(DEMO_B32, T, &["-w", "2"]) + "\n");
    assert_eq!(window.lines().count(), 3);
    assert!(window.starts_with(&key));
    let both = y.run_in(&["calc", "-", "--window", "2", "--consecutive", "2"], Some(DEMO_B32));
    assert_eq!(both.code, 2, "{both:?}");
    assert!(both.stderr.contains("'--window <N>' cannot be used with '--consecutive <N>'"), "{both:?}");
}

#[test]
fn global_options_have_their_own_heading() {
    let y = Ykotp::virtual_key();
    for cmd in [&["put", "--help"][..], &["code", "--help"], &["--help"]] {
        let help = y.bare().args(cmd).output().unwrap();
        let help = String::from_utf8(help.stdout).unwrap();
        let (own, global) = help.split_once("Global options:").unwrap_or_else(|| panic!("{cmd:?}: no heading\n{help}"));
        for flag in ["--reader <NAME>", "--device <ID>", "--json", "--trace", "--config <FILE>", "--password-cmd <CMD>"] {
            assert!(global.contains(flag), "{cmd:?}: {flag} not under Global options\n{help}");
            assert!(!own.contains(flag), "{cmd:?}: {flag} mixed into the command's own options\n{help}");
        }
    }
}
