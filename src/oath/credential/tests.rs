//! Credential ids and otpauth URIs against the reference tables and the odd forms seen in the wild.

use super::*;

#[test]
fn format_table_of_the_reference() {
    assert_eq!(format_id(None, "name", OathType::Totp, 30), "name");
    assert_eq!(format_id(Some("Issuer"), "name", OathType::Totp, 30), "Issuer:name");
    assert_eq!(format_id(Some("Issuer"), "name", OathType::Totp, 20), "20/Issuer:name");
    assert_eq!(format_id(None, "name", OathType::Totp, 20), "20/name");
    assert_eq!(format_id(Some("Issuer"), "name", OathType::Hotp, 20), "Issuer:name");
    assert_eq!(format_id(Some(""), "name", OathType::Totp, 30), "name");
}

#[test]
fn parse_table_of_the_reference() {
    let t = |id| parse_id(id, OathType::Totp);
    assert_eq!(t("20/Issuer:name"), (Some("Issuer".into()), "name".into(), 20));
    assert_eq!(t("weird/Issuer:name"), (Some("weird/Issuer".into()), "name".into(), 30));
    assert_eq!(t("Issuer:name"), (Some("Issuer".into()), "name".into(), 30));
    assert_eq!(t("20/name"), (None, "name".into(), 20));
    assert_eq!(t("name"), (None, "name".into(), 30));
    assert_eq!(t(":name"), (None, ":name".into(), 30));
    let aws = t("arn:aws:iam::123456789012:mfa/alice");
    assert_eq!(aws, (Some("arn".into()), "aws:iam::123456789012:mfa/alice".into(), 30));
    let h = |id| parse_id(id, OathType::Hotp);
    assert_eq!(h("Issuer:name"), (Some("Issuer".into()), "name".into(), 0));
    assert_eq!(h("30/Issuer:name"), (Some("30/Issuer".into()), "name".into(), 0));
    assert_eq!(h(":name"), (None, ":name".into(), 0));
    assert_eq!(h("plain"), (None, "plain".into(), 0));
}

#[test]
fn format_then_parse_round_trips() {
    for (issuer, name, period) in [(Some("GitHub"), "bob", 30), (None, "x", 60), (Some("a b"), "c@d", 15)] {
        let id = format_id(issuer, name, OathType::Totp, period);
        assert_eq!(parse_id(&id, OathType::Totp), (issuer.map(String::from), name.to_owned(), period));
    }
}

#[test]
fn sorting_like_ykman() {
    let mut creds: Vec<Credential> =
        ["b:z", "A:y", "carol", "60/a:x"].iter().map(|i| Credential::new(i.as_bytes().to_vec(), OathType::Totp)).collect();
    creds.sort_by_key(|c| c.sort_key());
    let ids: Vec<String> = creds.iter().map(|c| c.id_str()).collect();
    assert_eq!(ids, ["60/a:x", "A:y", "b:z", "carol"]);
}

#[test]
fn uri_parsing() {
    let d = CredentialData::from_uri("otpauth://totp/ACME%20Co:john.doe@email.com?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ&issuer=ACME%20Co&algorithm=SHA256&digits=8&period=60&foo=bar").unwrap();
    assert_eq!(d.issuer.as_deref(), Some("ACME Co"));
    assert_eq!(d.name, "john.doe@email.com");
    assert_eq!((d.algorithm, d.digits, d.period, d.oath_type), (Algorithm::Sha256, 8, 60, OathType::Totp));
    assert_eq!(d.id(), "60/ACME Co:john.doe@email.com");
    // issuer= wins over the label's issuer
    let d = CredentialData::from_uri("otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP&issuer=Param").unwrap();
    assert_eq!((d.issuer.as_deref(), d.id()), (Some("Param"), "Param:alice".to_owned()));
    let d = CredentialData::from_uri("otpauth://hotp/alice?secret=jbswy3dpehpk3pxp%3D%3D&counter=42&algorithm=sha1").unwrap();
    assert_eq!((d.oath_type, d.counter, d.issuer.clone()), (OathType::Hotp, 42, None));
    let d = CredentialData::from_uri("otpauth://totp/Steam:me?secret=JBSWY3DPEHPK3PXP&digits=5").unwrap();
    assert_eq!(d.digits, 6);
}

#[test]
fn uri_errors_are_clear_and_secret_free() {
    let cases = [
        ("otpauth://totp/alice", "no secret"),
        ("otpauth://totp/alice?secret=JBSW1!!", "not base32"),
        ("otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP&algorithm=MD5", "unknown algorithm"),
        ("otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP&digits=9", "9 digits"),
        ("otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP&digits=5", "5 digits"),
        ("otpauth://xotp/alice?secret=JBSWY3DPEHPK3PXP", "totp or hotp"),
        ("http://totp/alice?secret=JBSWY3DPEHPK3PXP", "otpauth://"),
        ("otpauth://totp/alice?secret=AA", "too short"),
        ("not a uri", "not a valid"),
    ];
    for (uri, want) in cases {
        let err = CredentialData::from_uri(uri).unwrap_err().to_string();
        assert!(err.contains(want), "{uri}: {err}");
        assert!(!err.contains("JBSWY3DPEHPK3PXP"), "{err}");
    }
}

#[test]
fn uri_round_trip() {
    let mut d = CredentialData::from_uri("otpauth://totp/Ex%3Aample:a%20b?secret=JBSWY3DPEHPK3PXP&digits=7&period=45").unwrap();
    d.issuer = Some("Ex/am ple".into());
    let back = CredentialData::from_uri(&d.to_uri()).unwrap();
    assert_eq!(back, d);
}

#[test]
fn validation() {
    let secret = || Secret::new(vec![1, 2, 3]);
    let mut d = CredentialData::totp(&"x".repeat(64), secret());
    assert!(d.validate().is_ok());
    d.name = "x".repeat(65);
    assert!(matches!(d.validate(), Err(CredentialError::IdTooLong(_, 65))));
    d.name = "é".repeat(32); // 64 bytes
    assert!(d.validate().is_ok());
    d.issuer = Some("i".into());
    assert!(matches!(d.validate(), Err(CredentialError::IdTooLong(_, 66))));
    let mut d = CredentialData::totp("a", Secret::new(vec![1]));
    assert!(d.validate().unwrap_err().to_string().contains("at least 2 bytes"));
    d.secret = secret();
    d.digits = 9;
    assert!(d.validate().is_err());
    d.digits = 6;
    d.name.clear();
    assert_eq!(d.validate(), Err(CredentialError::EmptyName));
}

#[test]
fn uri_forms_seen_in_the_wild() {
    let p = |u: &str| CredentialData::from_uri(u).unwrap();
    let d = p("otpauth://totp/LinOTP:user?secret=JBSWY3DPEHPK3PXP&issuer=LinOTP");
    assert_eq!((d.issuer.as_deref(), d.name.as_str(), d.id()), (Some("LinOTP"), "user", "LinOTP:user".to_owned()));
    // %3A as the separator and %20 after it
    let d = p("otpauth://totp/ACME%20Co%3A%20john%40example.com?secret=JBSWY3DPEHPK3PXP");
    assert_eq!((d.issuer.as_deref(), d.name.as_str()), (Some("ACME Co"), "john@example.com"));
    // padded, lower-case, spaced secrets
    let d = p("otpauth://totp/x?secret=jbsw%20y3dp%20ehpk%203pxp%3D%3D%3D%3D");
    assert_eq!(encode_secret(d.secret.as_bytes()), "JBSWY3DPEHPK3PXP");
    let d = p("otpauth://totp/x?secret=jbswy3dpehpk3pxp====");
    assert_eq!(encode_secret(d.secret.as_bytes()), "JBSWY3DPEHPK3PXP");
    // the label and the parameter disagree: which one is meant is unclear, so both are
    // shown (ykman silently takes the parameter)
    let err = CredentialData::from_uri("otpauth://totp/Old:me?secret=JBSWY3DPEHPK3PXP&issuer=New").unwrap_err();
    assert_eq!(err, CredentialError::IssuerConflict("Old".into(), "the URI's label", "New".into(), "the URI's issuer= parameter"));
    // no issuer anywhere
    let d = p("otpauth://totp/me?secret=JBSWY3DPEHPK3PXP");
    assert_eq!((d.issuer.clone(), d.id()), (None, "me".to_owned()));
    // unknown and de-facto extra parameters are ignored
    let d = p("otpauth://totp/me?secret=JBSWY3DPEHPK3PXP&image=https%3A%2F%2Fx%2Fy.png&color=red&foo=bar&algorithm=sha256");
    assert_eq!(d.algorithm, Algorithm::Sha256);
    // an empty issuer parameter is no issuer
    assert_eq!(p("otpauth://totp/me?secret=JBSWY3DPEHPK3PXP&issuer=").id(), "me");
}

/// One naming rule, every combination: (NAME, --issuer, URI) → id, or the two issuers
/// that conflict.
#[test]
fn one_naming_rule() {
    const LINOTP: &str = "otpauth://totp/LinOTP:TOTP0001A2B3?secret=JBSWY3DPEHPK3PXP&issuer=LinOTP";
    const AWS: &str = "otpauth://totp/Amazon%20Web%20Services:alice@123456789012?secret=JBSWY3DPEHPK3PXP&issuer=Amazon%20Web%20Services";
    // 1Password keeps what the QR code said; a label without issuer and the issuer= parameter
    const ONEPASSWORD: &str = "otpauth://totp/alice%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=GitHub";
    const ARN: &str = "arn:aws:iam::123456789012:mfa/alice";
    let id = |uri: Option<&str>, name: Option<&str>, issuer: Option<&str>| {
        let naming = NameSources { name, issuer, ..NameSources::default() };
        match uri {
            Some(u) => CredentialData::from_uri_as(u, naming).map(|d| d.id()),
            None => {
                let mut d = CredentialData::totp("", Secret::new(vec![1, 2, 3]));
                d.set_name(name.unwrap(), issuer).map(|()| d.id())
            }
        }
    };
    let ok = |want: &str| Ok(want.to_owned());
    // a bare secret
    assert_eq!(id(None, Some("alice"), None), ok("alice"));
    assert_eq!(id(None, Some("alice"), Some("GitHub")), ok("GitHub:alice"));
    assert_eq!(id(None, Some("GitHub:alice"), None), ok("GitHub:alice"));
    assert_eq!(id(None, Some("GitHub:alice"), Some("GitHub")), ok("GitHub:alice"));
    assert_eq!(id(None, Some(ARN), None), ok(ARN));
    let conflict = |a: &str, fa, b: &str, fb| Err(CredentialError::IssuerConflict(a.into(), fa, b.into(), fb));
    assert_eq!(id(None, Some("GitHub:alice"), Some("GitLab")), conflict("GitHub", "NAME", "GitLab", "--issuer"));
    assert_eq!(id(None, Some(ARN), Some("Amazon Web Services")), conflict("arn", "NAME", "Amazon Web Services", "--issuer"));
    // a URI alone: its label and issuer= once
    assert_eq!(id(Some(LINOTP), None, None), ok("LinOTP:TOTP0001A2B3"));
    assert_eq!(id(Some(AWS), None, None), ok("Amazon Web Services:alice@123456789012"));
    assert_eq!(id(Some(ONEPASSWORD), None, None), ok("GitHub:alice@example.com"));
    // a URI with --issuer: added to a label without one, or agreeing with it
    assert_eq!(id(Some(LINOTP), None, Some("LinOTP")), ok("LinOTP:TOTP0001A2B3"));
    assert_eq!(id(Some(LINOTP), None, Some("NERSC")), conflict("LinOTP", "the URI's label", "NERSC", "--issuer"));
    assert_eq!(id(Some(ONEPASSWORD), None, Some("Work")), conflict("Work", "--issuer", "GitHub", "the URI's issuer= parameter"));
    // a URI with NAME: a NAME with its own issuer keeps it, whatever the URI says
    assert_eq!(id(Some(LINOTP), Some("LinOTP:TOTP0001A2B3"), None), ok("LinOTP:TOTP0001A2B3"));
    assert_eq!(id(Some(AWS), Some(ARN), None), ok(ARN));
    assert_eq!(id(Some(AWS), Some("AWS:root"), None), ok("AWS:root"));
    assert_eq!(id(Some(ONEPASSWORD), Some("GitHub:alice"), Some("GitHub")), ok("GitHub:alice"));
    assert_eq!(id(Some(AWS), Some(ARN), Some("AWS")), conflict("arn", "NAME", "AWS", "--issuer"));
    // … and a NAME without one gets the URI's issuer, or --issuer when they agree
    assert_eq!(id(Some(LINOTP), Some("nersc"), None), ok("LinOTP:nersc"));
    assert_eq!(id(Some(ONEPASSWORD), Some("alice"), None), ok("GitHub:alice"));
    assert_eq!(id(Some(ONEPASSWORD), Some("alice"), Some("GitHub")), ok("GitHub:alice"));
    assert_eq!(id(Some(LINOTP), Some("nersc"), Some("NERSC")), conflict("NERSC", "--issuer", "LinOTP", "the URI's issuer= parameter"));
    // the URI's own disagreement matters only when its issuer is used
    const TORN: &str = "otpauth://totp/Old:me?secret=JBSWY3DPEHPK3PXP&issuer=New";
    assert_eq!(id(Some(TORN), Some("Mine:me"), None), ok("Mine:me"));
    assert_eq!(id(Some(TORN), Some("me"), None), conflict("New", "the URI's issuer= parameter", "Old", "the URI's label"));
    assert_eq!(id(Some(TORN), Some("me"), Some("New")), conflict("New", "--issuer", "Old", "the URI's label"));
}

#[test]
fn steam_is_a_totp_account_of_issuer_steam() {
    let cred = |id: &str, t: OathType| Credential::new(id.as_bytes().to_vec(), t);
    assert!(cred("Steam:alice", OathType::Totp).is_steam());
    assert!(!cred("Steam:alice", OathType::Hotp).is_steam());
    assert!(!cred("steam:alice", OathType::Totp).is_steam());
    assert!(!cred("Valve:alice", OathType::Totp).is_steam());
    assert_eq!((OathType::Totp.to_string(), OathType::Hotp.to_string()), ("TOTP".to_owned(), "HOTP".to_owned()));
}

#[test]
fn an_empty_side_of_the_colon_is_not_an_issuer() {
    let named = |name: &str| {
        let mut d = CredentialData::totp("x", Secret::new(b"12345678901234567890".to_vec()));
        d.set_name(name, None).unwrap();
        (d.issuer, d.name)
    };
    assert_eq!(named("GitHub:alice"), (Some("GitHub".to_owned()), "alice".to_owned()));
    assert_eq!(named("GitHub:"), (None, "GitHub:".to_owned()));
    assert_eq!(named(":alice"), (None, ":alice".to_owned()));
    assert_eq!(named("  :alice"), (None, ":alice".to_owned()));
    assert_eq!(named("GitHub: "), (None, "GitHub:".to_owned()));
}

#[test]
fn a_uri_label_issuer_and_issuer_parameter_must_agree() {
    let uri = "otpauth://totp/Old:me?secret=JBSWY3DPEHPK3PXP&issuer=New";
    assert!(matches!(CredentialData::from_uri(uri), Err(CredentialError::IssuerConflict(..))));
    let same = CredentialData::from_uri("otpauth://totp/Same:me?secret=JBSWY3DPEHPK3PXP&issuer=Same").unwrap();
    assert_eq!(same.id(), "Same:me");
}

#[test]
fn the_id_limit_is_64_bytes() {
    let named = |len: usize| {
        let mut d = CredentialData::totp(&"n".repeat(len), Secret::new(b"12345678901234567890".to_vec()));
        d.name = "n".repeat(len);
        d.validate()
    };
    assert_eq!(named(64), Ok(()));
    assert!(matches!(named(65), Err(CredentialError::IdTooLong(_, 65))));
}

#[test]
fn soft_codes_of_each_kind() {
    // RFC 6238 / RFC 4226 vectors with the SHA-1 seed
    let seed = || Secret::new(b"12345678901234567890".to_vec());
    let mut d = CredentialData::totp("alice", seed());
    d.digits = 8;
    assert_eq!(d.soft_code(59, 0, 0), "94287082");
    d.digits = 6;
    d.oath_type = OathType::Hotp;
    assert_eq!(d.soft_code(59, 0, 1), "287082");
    // Steam: five characters of Steam's alphabet, for a TOTP account of issuer Steam only
    let mut steam = CredentialData::totp("alice", seed());
    steam.issuer = Some("Steam".to_owned());
    let code = steam.soft_code(59, 0, 0);
    assert_eq!(code.len(), 5);
    assert!(code.chars().all(|c| "23456789BCDFGHJKMNPQRTVWXY".contains(c)), "{code}");
    steam.issuer = Some("Valve".to_owned());
    assert_eq!(steam.soft_code(59, 0, 0), "287082");
}

#[test]
fn two_bytes_is_the_shortest_secret() {
    let with = |n: usize| CredentialData::totp("alice", Secret::new(vec![0x42; n])).validate();
    assert_eq!(with(2), Ok(()));
    assert_eq!(with(1), Err(crate::otp::SecretError::TooShort.into()));
}
