//! `ykotp import` from other tools' backups: PSKC (plain and passphrase-encrypted),
//! Aegis (plain and encrypted vault), 2FAS and andOTP (plain and encrypted). Every file
//! is built here from the formats' documentation (RFC 6030, Aegis' docs/vault.md, the
//! apps' export layouts), encrypted with the crypto crates directly, not ykotp's code.

mod common;
use base64::Engine as _;
use common::*;

const PW: &str = "import-passphrase";
/// RFC 4226's seed "12345678901234567890".
const SEED: &[u8] = b"12345678901234567890";

fn b64(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
}

fn write(y: &Ykotp, name: &str, bytes: &[u8]) -> String {
    let p = y.path(name);
    std::fs::write(&p, bytes).unwrap();
    p.display().to_string()
}

/// Dry run, then the import: the ids on the key, and the skipped entries' warnings.
fn import(y: &Ykotp, file: &str, extra: &[&str]) -> (String, String) {
    let mut args = vec!["import", file];
    args.extend_from_slice(extra);
    let mut dry = args.clone();
    dry.push("--dry-run");
    let planned = y.run(&dry);
    planned.ok();
    assert_eq!(y.run(&["list"]).ok(), "", "a dry run wrote to the key");
    let done = y.run(&args);
    done.ok();
    // the dry run warned about exactly what the import skipped
    let warn = |t: &str| t.lines().filter(|l| l.contains("cannot hold it")).count();
    assert_eq!(warn(&planned.stderr), warn(&done.stderr), "{planned:?} {done:?}");
    (y.run(&["list"]).ok().to_owned(), done.stderr)
}

fn aes_cbc(key: &[u8], iv: &[u8; 16], plain: &[u8]) -> Vec<u8> {
    use aes::cipher::{block_padding::Pkcs7, BlockEncryptMut, KeyIvInit};
    let mut out = iv.to_vec();
    out.extend(cbc::Encryptor::<aes::Aes128>::new_from_slices(key, iv).unwrap().encrypt_padded_vec_mut::<Pkcs7>(plain));
    out
}

fn hmac_sha1(key: &[u8], data: &[u8]) -> Vec<u8> {
    use hmac::Mac;
    let mut m = hmac::Hmac::<sha1::Sha1>::new_from_slice(key).unwrap();
    m.update(data);
    m.finalize().into_bytes().to_vec()
}

fn gcm(key: &[u8], nonce: &[u8], plain: &[u8]) -> Vec<u8> {
    use aes_gcm::aead::{Aead, KeyInit};
    aes_gcm::Aes256Gcm::new_from_slice(key).unwrap().encrypt(nonce.into(), plain).unwrap()
}

/// One RFC 6030 key: `secret` is the whole `<Secret>` element's content.
fn pskc_key(id: &str, alg: &str, params: &str, secret: &str, data: &str, extra: &str) -> String {
    format!(
        "<KeyPackage><Key Id=\"{id}\" Algorithm=\"{alg}\">{extra}<AlgorithmParameters>{params}</AlgorithmParameters>\
         <Data><Secret>{secret}</Secret>{data}</Data></Key></KeyPackage>"
    )
}

#[test]
fn pskc_plain() {
    let y = Ykotp::virtual_key();
    let plain = format!("<PlainValue>{}</PlainValue>", b64(SEED));
    let hotp = "urn:ietf:params:xml:ns:keyprov:pskc:hotp";
    let totp = "urn:ietf:params:xml:ns:keyprov:pskc:totp";
    let keys = [
        // RFC 6030 §5's HOTP example: issuer, 8 decimal digits, counter
        pskc_key(
            "12345678",
            hotp,
            "<ResponseFormat Length=\"8\" Encoding=\"DECIMAL\"/>",
            &plain,
            "<Counter><PlainValue>0</PlainValue></Counter>",
            "<Issuer>Issuer-A</Issuer>",
        ),
        // TOTP named like ykman's -O: FriendlyName and a UserId DN
        pskc_key(
            "1",
            totp,
            "<Suite>SHA256</Suite><ResponseFormat Length=\"6\" Encoding=\"DECIMAL\"/>",
            &plain,
            "<TimeInterval><PlainValue>60</PlainValue></TimeInterval>",
            "<FriendlyName>Example:alice</FriendlyName><UserId>CN=alice,O=Example</UserId>",
        ),
        // OCRA and hexadecimal codes: a YubiKey cannot
        pskc_key("ocra", "urn:ietf:params:xml:ns:keyprov:pskc#OCRA-1:HOTP-SHA512-8:C-QN08", "", &plain, "", ""),
        pskc_key("hex", hotp, "<ResponseFormat Length=\"8\" Encoding=\"HEXADECIMAL\"/>", &plain, "", ""),
    ];
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<KeyContainer Version=\"1.0\" xmlns=\"urn:ietf:params:xml:ns:keyprov:pskc\">{}</KeyContainer>",
        keys.concat()
    );
    let f = write(&y, "plain.pskc", xml.as_bytes());
    let (ids, warnings) = import(&y, &f, &[]);
    assert_eq!(ids, "60/Example:alice\nIssuer-A:12345678\n");
    assert!(warnings.contains("\"ocra\"") && warnings.contains("neither HOTP nor TOTP"), "{warnings}");
    assert!(warnings.contains("\"hex\"") && warnings.contains("HEXADECIMAL"), "{warnings}");
    // RFC 4226 appendix D: the seed's HOTP at counter 0, 8 digits
    assert_eq!(y.run(&["code", "Issuer-A"]).ok(), "84755224\n");
}

#[test]
fn pskc_encrypted_with_a_passphrase() {
    let y = Ykotp::virtual_key();
    let salt = [7u8; 16];
    let mut key = [0u8; 16];
    pbkdf2::pbkdf2_hmac::<sha1::Sha1>(PW.as_bytes(), &salt, 2000, &mut key);
    let mac_key = [9u8; 20];
    let enc = |v: &[u8], iv: u8| aes_cbc(&key, &[iv; 16], v);
    let cbc = "http://www.w3.org/2001/04/xmlenc#aes128-cbc";
    let secret = |iv: u8| {
        let c = enc(SEED, iv);
        format!(
            "<EncryptedValue><xenc:EncryptionMethod Algorithm=\"{cbc}\"/><xenc:CipherData><xenc:CipherValue>{}</xenc:CipherValue></xenc:CipherData></EncryptedValue><ValueMAC>{}</ValueMAC>",
            b64(&c),
            b64(&hmac_sha1(&mac_key, &c))
        )
    };
    let totp = "urn:ietf:params:xml:ns:keyprov:pskc:totp";
    let xml = format!(
        "<?xml version=\"1.0\"?>\n<pskc:KeyContainer Version=\"1.0\" xmlns:pskc=\"urn:ietf:params:xml:ns:keyprov:pskc\" xmlns:xenc=\"http://www.w3.org/2001/04/xmlenc#\" xmlns:xenc11=\"http://www.w3.org/2009/xmlenc11#\">\
         <pskc:EncryptionKey><xenc11:DerivedKey><xenc11:KeyDerivationMethod Algorithm=\"http://www.rsasecurity.com/rsalabs/pkcs/schemas/pkcs-5v2-0#pbkdf2\">\
         <xenc11:PBKDF2-params><Salt><Specified>{}</Specified></Salt><IterationCount>2000</IterationCount><KeyLength>16</KeyLength></xenc11:PBKDF2-params>\
         </xenc11:KeyDerivationMethod></xenc11:DerivedKey></pskc:EncryptionKey>\
         <pskc:MACMethod Algorithm=\"http://www.w3.org/2000/09/xmldsig#hmac-sha1\"><pskc:MACKey><xenc:EncryptionMethod Algorithm=\"{cbc}\"/>\
         <xenc:CipherData><xenc:CipherValue>{}</xenc:CipherValue></xenc:CipherData></pskc:MACKey></pskc:MACMethod>{}{}</pskc:KeyContainer>",
        b64(&salt),
        b64(&enc(&mac_key, 1)),
        pskc_key("a", totp, "<Suite>SHA1</Suite>", &secret(2), "", "<Issuer>Corp</Issuer><UserId>CN=a</UserId>"),
        pskc_key("b", totp, "<Suite>MD5</Suite>", &secret(3), "", "<UserId>b</UserId>"),
    )
    .replace("<KeyPackage>", "<pskc:KeyPackage>")
    .replace("</KeyPackage>", "</pskc:KeyPackage>");
    let f = write(&y, "enc.pskc", xml.as_bytes());
    y.run(&["import", &f]).fails(2, "no terminal to ask for its passphrase");
    y.run(&["import", &f, "--passphrase-cmd", "echo wrong"]).fails(2, "the passphrase does not open the PSKC");
    let (ids, warnings) = import(&y, &f, &["--passphrase-cmd", &format!("echo {PW}")]);
    assert_eq!(ids, "Corp:a\n");
    assert!(warnings.contains("\"b\"") && warnings.contains("MD5"), "{warnings}");
    let seed_b32 = ykotp::otp::encode_secret(SEED);
    assert_eq!(y.run(&["code", "Corp:a", "--at", "59"]).ok().trim(), soft_totp(&seed_b32, 59, 30, 6));
}

fn aegis_entries() -> serde_json::Value {
    let seed = ykotp::otp::encode_secret(SEED);
    serde_json::json!({ "version": 2, "entries": [
        { "type": "totp", "uuid": "1", "name": "Bob", "issuer": "Google", "icon": null,
          "info": { "secret": seed, "algo": "SHA1", "digits": 6, "period": 30 } },
        { "type": "hotp", "uuid": "2", "name": "counter", "issuer": "Work",
          "info": { "secret": seed, "algo": "SHA512", "digits": 8, "counter": 3 } },
        { "type": "steam", "uuid": "3", "name": "gamer", "issuer": "Steam",
          "info": { "secret": seed, "algo": "SHA1", "digits": 5, "period": 30 } },
        { "type": "yandex", "uuid": "4", "name": "ya", "issuer": "Yandex",
          "info": { "secret": seed, "algo": "SHA256", "digits": 8, "period": 30, "pin": "1234" } },
        { "type": "totp", "uuid": "5", "name": "old", "issuer": "Legacy",
          "info": { "secret": seed, "algo": "MD5", "digits": 6, "period": 30 } },
    ]})
}

#[test]
fn aegis_plain_vault() {
    let y = Ykotp::virtual_key();
    let vault = serde_json::json!({ "version": 1, "header": { "slots": null, "params": null }, "db": aegis_entries() });
    let f = write(&y, "aegis.json", vault.to_string().as_bytes());
    let (ids, warnings) = import(&y, &f, &[]);
    assert_eq!(ids, "Google:Bob\nSteam:gamer\nWork:counter\n");
    assert!(warnings.contains("\"Yandex:ya\"") && warnings.contains("\"Legacy:old\"") && warnings.contains("MD5"), "{warnings}");
    let seed_b32 = ykotp::otp::encode_secret(SEED);
    assert_eq!(y.run(&["code", "Google:Bob", "--at", "59"]).ok().trim(), soft_totp(&seed_b32, 59, 30, 6));
    // Steam's 5 characters, computed by the key from the imported secret
    let digest = ykotp::otp::hmac(ykotp::otp::Algorithm::Sha1, SEED, &1u64.to_be_bytes());
    assert_eq!(y.run(&["code", "Steam", "--at", "59"]).ok().trim(), ykotp::otp::steam_code(&digest));
}

#[test]
fn aegis_encrypted_vault() {
    let y = Ykotp::virtual_key();
    let (salt, master, slot_nonce, db_nonce) = ([3u8; 32], [5u8; 32], [1u8; 12], [2u8; 12]);
    let mut derived = [0u8; 32];
    // Aegis uses N=2^15; a smaller N keeps the test fast and is still a valid vault
    scrypt::scrypt(PW.as_bytes(), &salt, &scrypt::Params::new(10, 8, 1, 32).unwrap(), &mut derived).unwrap();
    let wrapped = gcm(&derived, &slot_nonce, &master);
    let db = gcm(&master, &db_nonce, aegis_entries().to_string().as_bytes());
    let split = |sealed: &[u8]| (hex::encode(&sealed[..sealed.len() - 16]), hex::encode(&sealed[sealed.len() - 16..]));
    let ((key, key_tag), (cipher, db_tag)) = (split(&wrapped), split(&db));
    let vault = serde_json::json!({ "version": 1,
        "header": {
            "slots": [
                { "type": 2, "uuid": "bio", "key": "00", "key_params": { "nonce": "00", "tag": "00" } },
                { "type": 1, "uuid": "pw", "key": key, "key_params": { "nonce": hex::encode(slot_nonce), "tag": key_tag },
                  "n": 1024, "r": 8, "p": 1, "salt": hex::encode(salt), "repaired": true, "is_backup": false } ],
            "params": { "nonce": hex::encode(db_nonce), "tag": db_tag } },
        "db": b64(&hex::decode(cipher).unwrap()) });
    let f = write(&y, "aegis-enc.json", vault.to_string().as_bytes());
    y.run(&["import", &f, "--passphrase-cmd", "echo nope"]).fails(2, "passphrase does not open the Aegis vault");
    let (ids, warnings) = import(&y, &f, &["--passphrase-cmd", &format!("echo {PW}")]);
    assert_eq!(ids, "Google:Bob\nSteam:gamer\nWork:counter\n");
    assert_eq!(warnings.matches("cannot hold it").count(), 2, "{warnings}");
}

#[test]
fn twofas_backup() {
    let y = Ykotp::virtual_key();
    let seed = ykotp::otp::encode_secret(SEED);
    let backup = serde_json::json!({ "schemaVersion": 4, "appVersionCode": 5000000, "groups": [], "services": [
        { "name": "GitHub", "secret": seed, "updatedAt": 1, "order": { "position": 0 },
          "otp": { "account": "octocat", "issuer": "GitHub", "digits": 6, "period": 30, "algorithm": "SHA1", "tokenType": "TOTP", "source": "Manual" } },
        { "name": "Bank", "secret": seed,
          "otp": { "account": "me", "digits": 8, "counter": 7, "algorithm": "SHA256", "tokenType": "HOTP" } },
        { "name": "Steam", "secret": seed, "otp": { "account": "gamer", "tokenType": "STEAM", "digits": 5, "algorithm": "SHA1", "period": 30 } },
        { "name": "Long", "secret": seed, "otp": { "account": "x".repeat(70), "tokenType": "TOTP" } },
    ]});
    let f = write(&y, "backup.2fas", backup.to_string().as_bytes());
    let (ids, warnings) = import(&y, &f, &[]);
    assert_eq!(ids, "Bank:me\nGitHub:octocat\nSteam:gamer\n");
    assert!(warnings.contains("at most 64 bytes"), "{warnings}");
    // an encrypted 2FAS backup is refused as a whole, with nothing written
    let enc = write(&y, "enc.2fas", br#"{"schemaVersion":4,"services":[],"servicesEncrypted":"a:b:c"}"#);
    y.run(&["import", &enc]).fails(2, "password protection");
}

fn andotp_accounts() -> serde_json::Value {
    let seed = ykotp::otp::encode_secret(SEED);
    serde_json::json!([
        { "secret": seed, "issuer": "Mastodon", "label": "me@social", "digits": 8, "type": "TOTP", "algorithm": "SHA512", "thumbnail": "Default", "last_used": 0, "used_frequency": 0, "period": 30, "tags": [] },
        { "secret": seed, "issuer": "", "label": "VPN:alice", "digits": 6, "type": "HOTP", "algorithm": "SHA1", "counter": 5, "tags": [] },
        { "secret": seed, "issuer": "Steam", "label": "gamer", "digits": 5, "type": "STEAM", "algorithm": "SHA1", "period": 30 },
        { "secret": seed, "issuer": "Old", "label": "motp", "digits": 6, "type": "MOTP", "algorithm": "MD5", "period": 10 },
    ])
}

#[test]
fn andotp_plain_and_encrypted() {
    let y = Ykotp::virtual_key();
    let f = write(&y, "otp_accounts.json", andotp_accounts().to_string().as_bytes());
    let (ids, warnings) = import(&y, &f, &[]);
    assert_eq!(ids, "Mastodon:me@social\nSteam:gamer\nVPN:alice\n");
    assert!(warnings.contains("\"Old:motp\""), "{warnings}");
    // otp_accounts.json.aes: iterations (big-endian), salt, nonce, AES-256-GCM
    let y = Ykotp::virtual_key();
    let (iterations, salt, nonce) = (2000u32, [4u8; 12], [6u8; 12]);
    let mut key = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<sha1::Sha1>(PW.as_bytes(), &salt, iterations, &mut key);
    let mut file = iterations.to_be_bytes().to_vec();
    file.extend(salt);
    file.extend(nonce);
    file.extend(gcm(&key, &nonce, andotp_accounts().to_string().as_bytes()));
    let f = write(&y, "otp_accounts.json.aes", &file);
    y.run(&["import", &f, "--passphrase-cmd", "echo nope"]).fails(2, "passphrase does not open the encrypted andOTP backup");
    let (ids, _) = import(&y, &f, &["--passphrase-cmd", &format!("echo {PW}")]);
    assert_eq!(ids, "Mastodon:me@social\nSteam:gamer\nVPN:alice\n");
}

#[test]
fn a_damaged_backup_writes_nothing() {
    let y = Ykotp::virtual_key();
    let good = write(&y, "good.txt", format!("otpauth://totp/ok?secret={DEMO_B32}\n").as_bytes());
    let bad = write(&y, "bad.json", br#"{"version":1,"header":{"slots":null,"params":null},"db":{"entries":"nope"}}"#);
    let out = y.run(&["import", &good, &bad]);
    out.fails(2, "the Aegis vault is damaged");
    assert!(out.stderr.contains("nothing was imported"), "{out:?}");
    assert_eq!(y.run(&["list"]).ok(), "");
    // serde's messages quote the value they reject: a secret in the wrong field stays unsaid
    let misplaced = write(&y, "misplaced.json", format!(r#"[{{"secret":"AB","type":"TOTP","digits":"{DEMO_B32}"}}]"#).as_bytes());
    let out = y.run(&["import", &misplaced]);
    out.fails(2, "the andOTP backup is damaged: not an andOTP backup: a value has the wrong type or form (line 1, column");
    assert!(!out.stderr.contains(DEMO_B32), "{out:?}");
}
