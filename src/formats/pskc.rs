//! PSKC, the Portable Symmetric Key Container of RFC 6030: the XML file ykman writes
//! with `oath accounts add -O FILE` and reads with `oath accounts import`.
//!
//! Passphrase protection is RFC 6030 §6.2 as ykman (python-pskc) writes it: PBKDF2
//! (HMAC-SHA1, 100,000 iterations, 16-byte salt) derives an AES-128 key; each secret is
//! AES-128-CBC encrypted with a random IV in front, and carries a ValueMAC, HMAC-SHA1
//! over IV and ciphertext under a random MAC key that is itself encrypted in
//! `MACMethod/MACKey`. roxmltree parses (read-only DOM with namespaces, no entity
//! expansion beyond the predefined ones, a nesting limit); writing is a fixed template
//! with every text escaped.

use super::{Entry, Format, FormatError};
use crate::oath::credential::{CredentialData, DEFAULT_PERIOD};
use crate::oath::OathType;
use data_encoding::BASE64 as B64;
use hmac::Mac;
use zeroize::Zeroizing;

const F: Format = Format::Pskc;
const ALG_PREFIX: &str = "urn:ietf:params:xml:ns:keyprov:pskc";
const PBKDF2: &str = "http://www.rsasecurity.com/rsalabs/pkcs/schemas/pkcs-5v2-0#pbkdf2";
const AES128_CBC: &str = "http://www.w3.org/2001/04/xmlenc#aes128-cbc";
const AES256_CBC: &str = "http://www.w3.org/2001/04/xmlenc#aes256-cbc";
const HMAC_SHA1: &str = "http://www.w3.org/2000/09/xmldsig#hmac-sha1";
/// python-pskc's default, which ykman 5.9 keeps.
pub const ITERATIONS: u32 = 100_000;
/// Far above any writer's default; bounds the time a hostile file can cost.
pub const MAX_ITERATIONS: u32 = 10_000_000;
/// The shortest passphrase ykman accepts for `-O` (and so do we).
pub const MIN_PASSPHRASE: usize = 8;

/// Whether the file encrypts its secrets (then [`parse`] needs a passphrase).
pub fn is_encrypted(xml: &str) -> bool {
    roxmltree::Document::parse(xml).is_ok_and(|doc| doc.descendants().any(|n| n.has_tag_name_local("EncryptedValue")))
}

trait Local {
    fn has_tag_name_local(&self, name: &str) -> bool;
}

impl Local for roxmltree::Node<'_, '_> {
    fn has_tag_name_local(&self, name: &str) -> bool {
        self.is_element() && self.tag_name().name() == name
    }
}

fn child<'a, 'i>(n: roxmltree::Node<'a, 'i>, name: &str) -> Option<roxmltree::Node<'a, 'i>> {
    n.children().find(|c| c.has_tag_name_local(name))
}

fn path<'a, 'i>(mut n: roxmltree::Node<'a, 'i>, names: &[&str]) -> Option<roxmltree::Node<'a, 'i>> {
    for name in names {
        n = child(n, name)?;
    }
    Some(n)
}

fn text<'a>(n: Option<roxmltree::Node<'a, '_>>) -> Option<&'a str> {
    n.and_then(|n| n.text()).map(str::trim)
}

fn damaged(why: impl Into<String>) -> FormatError {
    FormatError::Damaged(F, why.into())
}

fn b64(s: &str) -> Result<Zeroizing<Vec<u8>>, FormatError> {
    let clean: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    B64.decode(clean.as_bytes()).map(Zeroizing::new).map_err(|_| damaged("a base64 value is not valid base64"))
}

/// The decryption key and MAC key of an encrypted container.
struct Keys {
    key: Zeroizing<Vec<u8>>,
    mac_key: Option<Zeroizing<Vec<u8>>>,
}

/// Every key package of the container. Encrypted secrets need `passphrase`.
pub fn parse(xml: &str, passphrase: Option<&str>) -> Result<Vec<Entry>, FormatError> {
    let opts = roxmltree::ParsingOptions { allow_dtd: false, ..Default::default() };
    let doc = roxmltree::Document::parse_with_options(xml, opts)
        .map_err(|e| damaged(format!("not valid XML (line {}, column {})", e.pos().row, e.pos().col)))?;
    let root = doc.root_element();
    if !root.has_tag_name_local("KeyContainer") {
        return Err(damaged("the root element is not KeyContainer"));
    }
    let packages: Vec<_> = root.children().filter(|c| c.has_tag_name_local("KeyPackage")).collect();
    super::check_count(F, packages.len())?;
    let keys = if packages.iter().any(|p| p.descendants().any(|n| n.has_tag_name_local("EncryptedValue"))) {
        Some(keys(root, passphrase.ok_or(FormatError::NeedsPassphrase(F))?)?)
    } else {
        None
    };
    let mut out = Vec::new();
    for (i, package) in packages.into_iter().enumerate() {
        for key in package.children().filter(|c| c.has_tag_name_local("Key")) {
            out.push(entry(i + 1, key, keys.as_ref())?);
        }
    }
    super::check_count(F, out.len())?;
    Ok(out)
}

fn keys(root: roxmltree::Node<'_, '_>, passphrase: &str) -> Result<Keys, FormatError> {
    let method = path(root, &["EncryptionKey", "DerivedKey", "KeyDerivationMethod"])
        .ok_or_else(|| FormatError::Unsupported(F, "a pre-shared key instead of a passphrase".into()))?;
    if method.attribute("Algorithm") != Some(PBKDF2) {
        return Err(FormatError::Unsupported(F, format!("the key derivation {:?}", method.attribute("Algorithm").unwrap_or(""))));
    }
    let params = child(method, "PBKDF2-params").ok_or_else(|| damaged("PBKDF2 without PBKDF2-params"))?;
    let salt = b64(text(path(params, &["Salt", "Specified"])).ok_or_else(|| damaged("PBKDF2 without a salt"))?)?;
    let iterations: u32 =
        text(child(params, "IterationCount")).and_then(|s| s.parse().ok()).ok_or_else(|| damaged("PBKDF2 without an iteration count"))?;
    if iterations == 0 || iterations > MAX_ITERATIONS {
        return Err(FormatError::TooLarge(F, format!("{iterations} PBKDF2 iterations (at most {MAX_ITERATIONS})")));
    }
    let length: usize = text(child(params, "KeyLength")).and_then(|s| s.parse().ok()).unwrap_or(16);
    if length != 16 && length != 32 {
        return Err(FormatError::Unsupported(F, format!("a {length}-byte encryption key")));
    }
    if let Some(prf) = child(params, "PRF").and_then(|p| p.attribute("Algorithm")) {
        if !prf.ends_with("hmac-sha1") {
            return Err(FormatError::Unsupported(F, format!("the PBKDF2 PRF {prf:?}")));
        }
    }
    let mut key = Zeroizing::new(vec![0u8; length]);
    pbkdf2::pbkdf2_hmac::<sha1::Sha1>(passphrase.as_bytes(), &salt, iterations, &mut key);
    let mac_key = match path(root, &["MACMethod"]) {
        None => None,
        Some(m) => {
            if m.attribute("Algorithm") != Some(HMAC_SHA1) {
                return Err(FormatError::Unsupported(F, format!("the MAC {:?}", m.attribute("Algorithm").unwrap_or(""))));
            }
            match child(m, "MACKey") {
                // without its own key the MAC uses the encryption key (python-pskc does the same)
                None => Some(key.clone()),
                Some(mk) => Some(decrypt_value(mk, &key).map_err(|_| FormatError::WrongPassphrase(F))?),
            }
        }
    };
    Ok(Keys { key, mac_key })
}

/// Decrypts an element holding `EncryptionMethod` and `CipherData/CipherValue`.
fn decrypt_value(n: roxmltree::Node<'_, '_>, key: &[u8]) -> Result<Zeroizing<Vec<u8>>, FormatError> {
    let (_, plain) = cipher_value(n, key)?;
    Ok(plain)
}

/// A secret's bytes, zeroized when dropped.
type Bytes = Zeroizing<Vec<u8>>;

/// The raw CipherValue (IV and ciphertext, what the ValueMAC covers) and its decryption.
fn cipher_value(n: roxmltree::Node<'_, '_>, key: &[u8]) -> Result<(Bytes, Bytes), FormatError> {
    use aes::cipher::{block_padding::Pkcs7, BlockDecryptMut, KeyIvInit};
    let alg = child(n, "EncryptionMethod").and_then(|m| m.attribute("Algorithm")).unwrap_or(AES128_CBC);
    let raw = b64(text(path(n, &["CipherData", "CipherValue"])).ok_or_else(|| damaged("an encrypted value without CipherValue"))?)?;
    if raw.len() < 32 || raw.len() % 16 != 0 {
        return Err(damaged("an encrypted value of the wrong length"));
    }
    let (iv, body) = raw.split_at(16);
    let plain = match (alg, key.len()) {
        (AES128_CBC, 16) => {
            cbc::Decryptor::<aes::Aes128>::new_from_slices(key, iv).ok().and_then(|d| d.decrypt_padded_vec_mut::<Pkcs7>(body).ok())
        }
        (AES256_CBC, 32) => {
            cbc::Decryptor::<aes::Aes256>::new_from_slices(key, iv).ok().and_then(|d| d.decrypt_padded_vec_mut::<Pkcs7>(body).ok())
        }
        _ => return Err(FormatError::Unsupported(F, format!("the encryption {alg:?} with a {}-byte key", key.len()))),
    };
    let plain = plain.map(Zeroizing::new).ok_or(FormatError::WrongPassphrase(F))?;
    Ok((raw, plain))
}

fn hmac_sha1(key: &[u8], data: &[u8]) -> Vec<u8> {
    #[allow(clippy::expect_used)]
    let mut mac = hmac::Hmac::<sha1::Sha1>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

fn secret(data: roxmltree::Node<'_, '_>, keys: Option<&Keys>) -> Result<Option<Zeroizing<Vec<u8>>>, FormatError> {
    let Some(s) = child(data, "Secret") else { return Ok(None) };
    if let Some(plain) = text(child(s, "PlainValue")) {
        return b64(plain).map(Some);
    }
    let Some(enc) = child(s, "EncryptedValue") else { return Ok(None) };
    let keys = keys.ok_or(FormatError::NeedsPassphrase(F))?;
    let (raw, plain) = cipher_value(enc, &keys.key)?;
    if let Some(mac_key) = &keys.mac_key {
        let given = b64(text(child(s, "ValueMAC")).ok_or_else(|| damaged("an encrypted secret without ValueMAC"))?)?;
        use subtle::ConstantTimeEq;
        // RFC 6030 MACs IV and ciphertext; python-pskc also accepts a MAC of the plaintext
        let ok =
            [hmac_sha1(mac_key, &raw), hmac_sha1(mac_key, &plain)].iter().any(|m| m.len() == given.len() && bool::from(m.ct_eq(&given)));
        if !ok {
            return Err(FormatError::WrongPassphrase(F));
        }
    }
    Ok(Some(plain))
}

fn number(data: roxmltree::Node<'_, '_>, name: &str) -> Result<Option<u64>, String> {
    match child(data, name) {
        None => Ok(None),
        Some(n) if child(n, "EncryptedValue").is_some() => Err(format!("its {name} is encrypted, which ykotp cannot read")),
        Some(n) => text(child(n, "PlainValue")).map(|t| t.parse::<u64>().map_err(|_| format!("its {name} is not a number"))).transpose(),
    }
}

fn entry(package: usize, key: roxmltree::Node<'_, '_>, keys: Option<&Keys>) -> Result<Entry, FormatError> {
    let id = key.attribute("Id").unwrap_or("");
    // naming as ykman's import: the Id, then a FriendlyName "issuer:name", then Issuer
    // and the UserId (the CN of a DN, or as it is)
    let (mut issuer, mut name) = (None, id.to_owned());
    let friendly = text(child(key, "FriendlyName")).unwrap_or("");
    if let Some((i, n)) = friendly.split_once(':') {
        (issuer, name) = (Some(i.to_owned()), n.to_owned());
    }
    if let Some(i) = text(child(key, "Issuer")).filter(|i| !i.is_empty()) {
        issuer = Some(i.to_owned());
    }
    if let Some(user) = text(child(key, "UserId")).filter(|u| !u.is_empty()) {
        name = common_name(user).unwrap_or_else(|| user.to_owned());
    }
    let label = match &issuer {
        Some(i) => format!("{i}:{name}"),
        None if name.is_empty() => format!("key package {package}"),
        None => name.clone(),
    };
    let data = child(key, "Data");
    let secret = match data.map(|d| secret(d, keys)).transpose()? {
        Some(Some(s)) => s,
        _ => return Ok(Entry { label, account: Err("it has no secret".into()) }),
    };
    let account = credential(key, data, issuer, name, secret);
    Ok(Entry { label, account })
}

fn credential(
    key: roxmltree::Node<'_, '_>,
    data: Option<roxmltree::Node<'_, '_>>,
    issuer: Option<String>,
    name: String,
    secret: Zeroizing<Vec<u8>>,
) -> Result<CredentialData, String> {
    let alg = key.attribute("Algorithm").unwrap_or("");
    let oath_type = match alg.strip_prefix(ALG_PREFIX).map(|k| k.trim_start_matches([':', '#']).to_ascii_lowercase()).as_deref() {
        Some("hotp") => OathType::Hotp,
        Some("totp") => OathType::Totp,
        _ => return Err(format!("its algorithm {alg:?} is neither HOTP nor TOTP")),
    };
    let params = child(key, "AlgorithmParameters");
    let algorithm = super::algorithm(text(params.and_then(|p| child(p, "Suite"))).unwrap_or(""))?;
    let format = params.and_then(|p| child(p, "ResponseFormat"));
    if let Some(enc) = format.and_then(|f| f.attribute("Encoding")) {
        if !enc.eq_ignore_ascii_case("DECIMAL") {
            return Err(format!("its codes are {enc}, but a YubiKey shows decimal codes"));
        }
    }
    let digits: u64 = match format.and_then(|f| f.attribute("Length")) {
        None => 6,
        Some(l) => l.parse().map_err(|_| "its code length is not a number".to_owned())?,
    };
    let (mut period, mut counter) = (u64::from(DEFAULT_PERIOD), 0);
    if let Some(d) = data {
        period = number(d, "TimeInterval")?.unwrap_or(period);
        counter = number(d, "Counter")?.unwrap_or(0);
        if number(d, "Time")?.is_some_and(|t0| t0 != 0) {
            return Err("its TOTP epoch (Time) is not 0, which a YubiKey cannot use".into());
        }
    }
    let d = CredentialData {
        name,
        issuer: issuer.filter(|i| !i.is_empty()),
        oath_type,
        algorithm,
        digits: u8::try_from(digits).ok().filter(|d| (6..=8).contains(d)).ok_or(format!("{digits} digits (a YubiKey shows 6, 7 or 8)"))?,
        period: u32::try_from(period).map_err(|_| format!("a period of {period} s"))?,
        counter: u32::try_from(counter).map_err(|_| "the HOTP counter does not fit in 32 bits".to_owned())?,
        secret: super::secret(secret.to_vec()),
        touch: false,
    };
    d.validate().map_err(|e| e.to_string())?;
    Ok(d)
}

/// The CN of an RFC 4514 DN like "CN=alice,O=Example" (what ykman writes as UserId),
/// with its escapes undone; `None` when it is no DN or has no CN.
fn common_name(dn: &str) -> Option<String> {
    let (mut key, mut value, mut in_value) = (String::new(), String::new(), false);
    let mut chars = dn.chars();
    let mut found = None;
    let mut finish = |key: &mut String, value: &mut String| {
        if key.trim().eq_ignore_ascii_case("CN") && found.is_none() {
            found = Some(value.clone());
        }
        key.clear();
        value.clear();
    };
    while let Some(c) = chars.next() {
        match (c, in_value) {
            ('\\', true) => value.push(chars.next()?),
            ('=', false) => in_value = true,
            (',' | '+', true) => {
                finish(&mut key, &mut value);
                in_value = false;
            }
            (c, false) => key.push(c),
            (c, true) => value.push(c),
        }
    }
    if !in_value {
        return None;
    }
    finish(&mut key, &mut value);
    found
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 cannot carry other control characters at all
            c if c.is_control() && !matches!(c, '\t' | '\n' | '\r') => out.push_str(&c.escape_unicode().to_string()),
            c => out.push(c),
        }
    }
    out
}

/// A new passphrase-protected container holding `accounts`, as ykman's `-O` writes
/// it. `random` fills buffers with fresh random bytes (salt, IVs, MAC key).
pub fn write(accounts: &[&CredentialData], passphrase: &str, random: &mut dyn FnMut(&mut [u8])) -> Zeroizing<String> {
    write_with(accounts, passphrase, ITERATIONS, random)
}

fn encrypt(key: &[u8], plain: &[u8], random: &mut dyn FnMut(&mut [u8])) -> Vec<u8> {
    use aes::cipher::{block_padding::Pkcs7, BlockEncryptMut, KeyIvInit};
    let mut iv = [0u8; 16];
    random(&mut iv);
    #[allow(clippy::expect_used)]
    let enc = cbc::Encryptor::<aes::Aes128>::new_from_slices(key, &iv).expect("a 16-byte key and IV");
    let mut out = iv.to_vec();
    out.extend(enc.encrypt_padded_vec_mut::<Pkcs7>(plain));
    out
}

fn write_with(accounts: &[&CredentialData], passphrase: &str, iterations: u32, random: &mut dyn FnMut(&mut [u8])) -> Zeroizing<String> {
    let mut salt = [0u8; 16];
    random(&mut salt);
    let mut key = Zeroizing::new([0u8; 16]);
    pbkdf2::pbkdf2_hmac::<sha1::Sha1>(passphrase.as_bytes(), &salt, iterations, &mut *key);
    let mut mac_key = Zeroizing::new([0u8; 20]);
    random(&mut *mac_key);
    let mut x = Zeroizing::new(String::new());
    x.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    x.push_str("<pskc:KeyContainer xmlns:pskc=\"urn:ietf:params:xml:ns:keyprov:pskc\" xmlns:xenc=\"http://www.w3.org/2001/04/xmlenc#\" xmlns:xenc11=\"http://www.w3.org/2009/xmlenc11#\" Version=\"1.0\">\n");
    x.push_str(&format!(
        " <pskc:EncryptionKey>\n  <xenc11:DerivedKey>\n   <xenc11:KeyDerivationMethod Algorithm=\"{PBKDF2}\">\n    <xenc11:PBKDF2-params>\n     <Salt>\n      <Specified>{}</Specified>\n     </Salt>\n     <IterationCount>{iterations}</IterationCount>\n     <KeyLength>16</KeyLength>\n    </xenc11:PBKDF2-params>\n   </xenc11:KeyDerivationMethod>\n  </xenc11:DerivedKey>\n </pskc:EncryptionKey>\n",
        B64.encode(&salt)
    ));
    x.push_str(&format!(
        " <pskc:MACMethod Algorithm=\"{HMAC_SHA1}\">\n  <pskc:MACKey>\n   <xenc:EncryptionMethod Algorithm=\"{AES128_CBC}\"/>\n   <xenc:CipherData>\n    <xenc:CipherValue>{}</xenc:CipherValue>\n   </xenc:CipherData>\n  </pskc:MACKey>\n </pskc:MACMethod>\n",
        B64.encode(&encrypt(&*key, &*mac_key, random))
    ));
    for d in accounts {
        let cipher = encrypt(&*key, d.secret.as_bytes(), random);
        let value_mac = hmac_sha1(&*mac_key, &cipher);
        let kind = match d.oath_type {
            OathType::Totp => "totp",
            OathType::Hotp => "hotp",
        };
        x.push_str(" <pskc:KeyPackage>\n");
        x.push_str(&format!("  <pskc:Key Algorithm=\"{ALG_PREFIX}:{kind}\" Id=\"{}\">\n", escape(&d.id())));
        if let Some(i) = &d.issuer {
            x.push_str(&format!("   <pskc:Issuer>{}</pskc:Issuer>\n", escape(i)));
        }
        x.push_str(&format!(
            "   <pskc:AlgorithmParameters>\n    <pskc:Suite>{}</pskc:Suite>\n    <pskc:ResponseFormat Encoding=\"DECIMAL\" Length=\"{}\"/>\n   </pskc:AlgorithmParameters>\n",
            d.algorithm, d.digits
        ));
        let friendly = match &d.issuer {
            Some(i) => format!("{i}:{}", d.name),
            None => d.name.clone(),
        };
        x.push_str(&format!("   <pskc:FriendlyName>{}</pskc:FriendlyName>\n", escape(&friendly)));
        x.push_str(&format!(
            "   <pskc:Data>\n    <pskc:Secret>\n     <pskc:EncryptedValue>\n      <xenc:EncryptionMethod Algorithm=\"{AES128_CBC}\"/>\n      <xenc:CipherData>\n       <xenc:CipherValue>{}</xenc:CipherValue>\n      </xenc:CipherData>\n     </pskc:EncryptedValue>\n     <pskc:ValueMAC>{}</pskc:ValueMAC>\n    </pskc:Secret>\n",
            B64.encode(&cipher),
            B64.encode(&value_mac)
        ));
        match d.oath_type {
            OathType::Totp => x.push_str(&format!(
                "    <pskc:TimeInterval>\n     <pskc:PlainValue>{}</pskc:PlainValue>\n    </pskc:TimeInterval>\n",
                d.period
            )),
            OathType::Hotp => {
                x.push_str(&format!("    <pskc:Counter>\n     <pskc:PlainValue>{}</pskc:PlainValue>\n    </pskc:Counter>\n", d.counter))
            }
        }
        x.push_str("   </pskc:Data>\n");
        // ykman takes the account name from the CN of the UserId
        x.push_str(&format!("   <pskc:UserId>CN={}</pskc:UserId>\n", escape(&dn_value(&d.name))));
        x.push_str("  </pskc:Key>\n </pskc:KeyPackage>\n");
    }
    x.push_str("</pskc:KeyContainer>\n");
    x
}

/// An RFC 4514 attribute value: the characters a DN gives meaning to are escaped.
fn dn_value(s: &str) -> String {
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if matches!(c, ',' | '+' | '"' | '\\' | '<' | '>' | ';' | '=') || (i == 0 && matches!(c, '#' | ' ')) {
            out.push('\\');
        }
        out.push(c);
    }
    if out.ends_with(' ') {
        out.insert(out.len() - 1, '\\');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::otp::Secret;

    fn counter_rng() -> impl FnMut(&mut [u8]) {
        let mut n = 0u8;
        move |b: &mut [u8]| {
            for x in b {
                n = n.wrapping_add(37);
                *x = n;
            }
        }
    }

    fn account(name: &str, issuer: Option<&str>) -> CredentialData {
        let mut d = CredentialData::totp(name, Secret::new(b"12345678901234567890".to_vec()));
        d.issuer = issuer.map(str::to_owned);
        d
    }

    #[test]
    fn what_is_written_reads_back_only_with_the_passphrase() {
        let mut hotp = account("a,b & <c>", Some("Ex\"ample"));
        hotp.oath_type = OathType::Hotp;
        hotp.counter = 42;
        hotp.digits = 8;
        hotp.algorithm = crate::otp::Algorithm::Sha256;
        let totp = account("alice", None);
        let xml = write_with(&[&hotp, &totp], "correct horse", 1000, &mut counter_rng());
        assert!(is_encrypted(&xml));
        assert!(!xml.contains("MTIzNDU2Nzg5MDEyMzQ1Njc4OTA"), "the secret is in the clear");
        let entries = parse(&xml, Some("correct horse")).unwrap();
        let got: Vec<CredentialData> = entries.into_iter().map(|e| e.account.unwrap()).collect();
        assert_eq!(got, vec![hotp, totp]);
        assert_eq!(parse(&xml, Some("wrong horse")).unwrap_err(), FormatError::WrongPassphrase(F));
        assert_eq!(parse(&xml, None).unwrap_err(), FormatError::NeedsPassphrase(F));
    }

    #[test]
    fn an_altered_secret_fails_its_mac() {
        let xml = write_with(&[&account("alice", None)], "correct horse", 1000, &mut counter_rng());
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let value = doc.descendants().filter(|n| n.has_tag_name_local("CipherValue")).nth(1).unwrap().text().unwrap().to_owned();
        let mut raw = B64.decode(value.as_bytes()).unwrap();
        // flip a bit of the IV: CBC still decrypts (to a different first block)
        raw[0] ^= 1;
        let altered = xml.replace(&value, &B64.encode(&raw));
        assert_eq!(parse(&altered, Some("correct horse")).unwrap_err(), FormatError::WrongPassphrase(F));
    }

    #[test]
    fn hostile_files_are_refused_not_obeyed() {
        let xml = write_with(&[&account("alice", None)], "pw-pw-pw-pw", 1000, &mut counter_rng());
        let costly = xml.replace("<IterationCount>1000<", "<IterationCount>4000000000<");
        assert!(matches!(parse(&costly, Some("pw-pw-pw-pw")), Err(FormatError::TooLarge(..))));
        assert!(matches!(parse("<a>", None), Err(FormatError::Damaged(..))));
        assert!(matches!(parse("<!DOCTYPE x [<!ENTITY a \"b\">]><KeyContainer/>", None), Err(FormatError::Damaged(..))));
        assert!(matches!(parse("<Other/>", None), Err(FormatError::Damaged(..))));
    }

    #[test]
    fn distinguished_names() {
        assert_eq!(common_name("CN=alice,O=Example").as_deref(), Some("alice"));
        assert_eq!(common_name("O=x,CN=a\\,b").as_deref(), Some("a,b"));
        assert_eq!(common_name(&format!("CN={}", dn_value("#x, y "))).as_deref(), Some("#x, y "));
        assert_eq!(common_name("alice"), None);
        assert_eq!(dn_value("a,b"), "a\\,b");
        assert_eq!(dn_value("#x "), "\\#x\\ ");
    }
}
