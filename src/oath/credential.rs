//! Credential ids (`[period/][issuer:]name`, protocol reference §6) and `otpauth://`
//! URIs (Google's Key URI format), formatted and parsed exactly as ykman does.

use crate::otp::{decode_secret, encode_secret, prepare_key, Algorithm, Secret};
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, CONTROLS};
use std::fmt;
use std::str::FromStr;

/// The longest id the applet stores, in bytes of UTF-8.
pub const MAX_ID_LEN: usize = 64;
/// The period every key's CALCULATE ALL assumes.
pub const DEFAULT_PERIOD: u32 = 30;
/// ykman's issuer for credentials it does not show without `-H`.
pub const HIDDEN_ISSUER: &str = "_hidden";

/// HOTP or TOTP (the high nibble of YKOATH's type/algorithm byte).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum OathType {
    /// Counter based (RFC 4226).
    Hotp,
    /// Time based (RFC 6238).
    Totp,
}

impl OathType {
    /// Name as in otpauth URIs' host, lower case.
    pub fn uri_host(self) -> &'static str {
        match self {
            OathType::Hotp => "hotp",
            OathType::Totp => "totp",
        }
    }
}

impl fmt::Display for OathType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OathType::Hotp => "HOTP",
            OathType::Totp => "TOTP",
        })
    }
}

impl FromStr for OathType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "totp" => Ok(OathType::Totp),
            "hotp" => Ok(OathType::Hotp),
            _ => Err(format!("unknown OTP type \"{s}\" (expected totp or hotp)")),
        }
    }
}

/// Builds the stored id: `period/` only for TOTP with a period other than 30 s.
pub fn format_id(issuer: Option<&str>, name: &str, oath_type: OathType, period: u32) -> String {
    let mut id = String::new();
    if oath_type == OathType::Totp && period != DEFAULT_PERIOD {
        id.push_str(&format!("{period}/"));
    }
    if let Some(issuer) = issuer.filter(|i| !i.is_empty()) {
        id.push_str(issuer);
        id.push(':');
    }
    id.push_str(name);
    id
}

/// Splits a stored id into (issuer, name, period) like ykman's `_parse_cred_id`.
/// HOTP ids have no period (reported as 0).
pub fn parse_id(id: &str, oath_type: OathType) -> (Option<String>, String, u32) {
    match oath_type {
        OathType::Totp => parse_totp_id(id),
        OathType::Hotp => match id.split_once(':') {
            Some((issuer, name)) if !issuer.is_empty() => (Some(issuer.to_owned()), name.to_owned(), 0),
            _ => (None, id.to_owned(), 0),
        },
    }
}

/// A TOTP id's period prefix: `60/GitHub:alice` is (Some(60), `GitHub:alice`). The prefix
/// counts only when it is all digits and something follows it (so `weird/Issuer:name`
/// keeps `weird/Issuer` as its issuer), as ykman parses ids.
pub fn split_period(id: &str) -> (Option<u32>, &str) {
    match id.split_once('/') {
        Some((head, tail)) if !head.is_empty() && head.bytes().all(|b| b.is_ascii_digit()) && !tail.is_empty() => {
            match head.parse::<u32>() {
                Ok(p) => (Some(p), tail),
                Err(_) => (None, id),
            }
        }
        _ => (None, id),
    }
}

// The regex ^((\d+)/)?(([^:]+):)?(.+)$ written out.
fn parse_totp_id(id: &str) -> (Option<String>, String, u32) {
    let (period, rest) = split_period(id);
    let period = period.unwrap_or(DEFAULT_PERIOD);
    match rest.split_once(':') {
        Some((issuer, name)) if !issuer.is_empty() && !name.is_empty() => (Some(issuer.to_owned()), name.to_owned(), period),
        _ => (None, rest.to_owned(), period),
    }
}

/// A credential as the key reports it (LIST or CALCULATE ALL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    /// The stored id, byte for byte.
    pub id: Vec<u8>,
    /// HOTP or TOTP.
    pub oath_type: OathType,
    /// Known from LIST; CALCULATE ALL does not say.
    pub algorithm: Option<Algorithm>,
    /// Issuer parsed from the id.
    pub issuer: Option<String>,
    /// Account name parsed from the id.
    pub name: String,
    /// Period in seconds (TOTP), 0 for HOTP.
    pub period: u32,
    /// Known from CALCULATE ALL (`7C` marker); LIST does not say.
    pub touch: Option<bool>,
}

impl Credential {
    /// A credential from its stored id and type.
    pub fn new(id: Vec<u8>, oath_type: OathType) -> Self {
        let text = String::from_utf8_lossy(&id).into_owned();
        let (issuer, name, period) = parse_id(&text, oath_type);
        Credential { id, oath_type, algorithm: None, issuer, name, period, touch: None }
    }

    /// The id as text (lossy for ids that are not UTF-8).
    pub fn id_str(&self) -> String {
        String::from_utf8_lossy(&self.id).into_owned()
    }

    /// Whether ykman hides it unless asked (`_hidden` issuer).
    pub fn is_hidden(&self) -> bool {
        self.issuer.as_deref() == Some(HIDDEN_ISSUER)
    }

    /// Whether codes are Steam's 5-character ones (TOTP with issuer "Steam").
    pub fn is_steam(&self) -> bool {
        self.oath_type == OathType::Totp && self.issuer.as_deref() == Some("Steam")
    }

    /// ykman's sort key: (issuer or name, name), case-insensitive.
    pub fn sort_key(&self) -> (String, String) {
        let first = self.issuer.as_deref().unwrap_or(&self.name);
        (first.to_lowercase(), self.name.to_lowercase())
    }
}

/// Why a credential cannot be written. Never contains the secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialError {
    /// The account name is empty.
    #[error("the account name is empty")]
    EmptyName,
    /// The whole stored id is over 64 bytes.
    #[error("the account id \"{0}\" is {1} bytes; the key stores at most 64 bytes (issuer, name and period prefix together)")]
    IdTooLong(String, usize),
    /// Digits outside 6–8.
    #[error("{0} digits is not supported; use 6, 7 or 8")]
    BadDigits(u32),
    /// Period 0.
    #[error("the period must be at least 1 second")]
    BadPeriod,
    /// Secret problems.
    #[error(transparent)]
    Secret(#[from] crate::otp::SecretError),
    /// URI problems.
    #[error("{0}")]
    Uri(String),
    /// Two sources name different issuers for one account.
    #[error("two different issuers for one account: \"{0}\" ({1}) and \"{2}\" ({3})")]
    IssuerConflict(String, &'static str, String, &'static str),
}

/// Everything that says what an account is called, for [`name_account`].
#[derive(Debug, Default, Clone, Copy)]
pub struct NameSources<'a> {
    /// NAME as the person typed it; without it the URI's label is the name.
    pub name: Option<&'a str>,
    /// `--issuer`.
    pub issuer: Option<&'a str>,
    /// The otpauth URI's label (`ISSUER:NAME` or `NAME`), percent-decoded.
    pub uri_label: Option<&'a str>,
    /// The otpauth URI's `issuer=` parameter.
    pub uri_issuer: Option<&'a str>,
}

/// `ISSUER:NAME` split at the first colon, as ykman parses ids; no issuer when either
/// side would be empty.
fn split_issuer(name: &str) -> (Option<&str>, &str) {
    match name.split_once(':') {
        Some((i, n)) if !i.trim().is_empty() && !n.trim().is_empty() => (Some(i.trim()), n.trim()),
        _ => (None, name),
    }
}

/// The one naming rule for every way an account gets written (put, put --uri, import,
/// put --all-keys): a NAME that has its own `ISSUER:` keeps it; `--issuer` or the URI's
/// issuer is added only to a NAME without one; two different issuers are an error that
/// names both. A typed NAME replaces the URI's label entirely (so an AWS URI can be
/// stored under its ARN, whose "arn" prefix is not the URI's issuer). Returns (issuer, name).
pub fn name_account(s: NameSources<'_>) -> Result<(Option<String>, String), CredentialError> {
    fn given(o: Option<&str>) -> Option<&str> {
        o.map(str::trim).filter(|i| !i.is_empty())
    }
    let (name, from_label) = match (s.name, s.uri_label) {
        (Some(n), _) => (n, false),
        (None, Some(l)) => (l.trim(), true),
        (None, None) => return Err(CredentialError::EmptyName),
    };
    let (own, bare) = split_issuer(name);
    let flag = given(s.issuer).map(|i| (i, "--issuer"));
    let param = given(s.uri_issuer).map(|i| (i, "the URI's issuer= parameter"));
    let weighed: Vec<(&str, &'static str)> = match own {
        Some(i) if from_label => vec![Some((i, "the URI's label")), flag, param],
        Some(i) => vec![Some((i, "NAME")), flag],
        None if from_label => vec![flag, param],
        None => vec![flag, param, s.uri_label.and_then(|l| split_issuer(l).0).map(|i| (i, "the URI's label"))],
    }
    .into_iter()
    .flatten()
    .collect();
    if let Some(&(a, from_a)) = weighed.first() {
        if let Some(&(b, from_b)) = weighed.iter().find(|(b, _)| *b != a) {
            return Err(CredentialError::IssuerConflict(a.to_owned(), from_a, b.to_owned(), from_b));
        }
    }
    Ok(match own {
        Some(i) => (Some(i.to_owned()), bare.to_owned()),
        None => (weighed.first().map(|(i, _)| (*i).to_owned()), name.trim().to_owned()),
    })
}

/// Everything needed to program a credential. The secret is zeroized on drop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialData {
    /// Account name.
    pub name: String,
    /// Issuer, if any.
    pub issuer: Option<String>,
    /// HOTP or TOTP.
    pub oath_type: OathType,
    /// HMAC hash.
    pub algorithm: Algorithm,
    /// 6, 7 or 8.
    pub digits: u8,
    /// TOTP period in seconds.
    pub period: u32,
    /// HOTP initial counter.
    pub counter: u32,
    /// The raw secret (not yet shortened or padded).
    pub secret: Secret,
    /// Require a touch for every code.
    pub touch: bool,
}

impl CredentialData {
    /// A 30 s, 6-digit SHA-1 TOTP credential.
    pub fn totp(name: &str, secret: Secret) -> Self {
        CredentialData {
            name: name.to_owned(),
            issuer: None,
            oath_type: OathType::Totp,
            algorithm: Algorithm::Sha1,
            digits: 6,
            period: DEFAULT_PERIOD,
            counter: 0,
            secret,
            touch: false,
        }
    }

    /// The stored id.
    pub fn id(&self) -> String {
        format_id(self.issuer.as_deref(), &self.name, self.oath_type, self.period)
    }

    /// The key bytes the applet will hold.
    pub fn key(&self) -> Secret {
        prepare_key(self.algorithm, self.secret.as_bytes())
    }

    /// Checks everything the key would refuse, before anything is sent.
    pub fn validate(&self) -> Result<(), CredentialError> {
        if self.name.is_empty() {
            return Err(CredentialError::EmptyName);
        }
        let id = self.id();
        if id.len() > MAX_ID_LEN {
            return Err(CredentialError::IdTooLong(id.clone(), id.len()));
        }
        if !(6..=8).contains(&self.digits) {
            return Err(CredentialError::BadDigits(self.digits.into()));
        }
        if self.oath_type == OathType::Totp && self.period == 0 {
            return Err(CredentialError::BadPeriod);
        }
        if self.secret.len() < 2 {
            return Err(crate::otp::SecretError::TooShort.into());
        }
        Ok(())
    }

    /// The software engine's code: TOTP at unix time `t` with epoch `t0`, HOTP at
    /// `counter`; Steam's characters for a TOTP credential of issuer "Steam".
    pub fn soft_code(&self, t: u64, t0: u64, counter: u64) -> String {
        let key = self.secret.as_bytes();
        match self.oath_type {
            OathType::Hotp => crate::otp::hotp(self.algorithm, key, counter, self.digits),
            OathType::Totp => {
                let step = crate::otp::time_step(t, self.period, t0);
                if self.issuer.as_deref() == Some("Steam") {
                    crate::otp::steam_code(&crate::otp::hmac(self.algorithm, key, &step.to_be_bytes()))
                } else {
                    crate::otp::hotp(self.algorithm, key, step, self.digits)
                }
            }
        }
    }

    /// Names the account by [`name_account`]'s rule: NAME (with or without its own
    /// `ISSUER:`) and `--issuer`.
    pub fn set_name(&mut self, name: &str, issuer: Option<&str>) -> Result<(), CredentialError> {
        (self.issuer, self.name) = name_account(NameSources { name: Some(name), issuer, ..NameSources::default() })?;
        Ok(())
    }

    /// Parses an `otpauth://totp/…` or `otpauth://hotp/…` URI; the account is named by
    /// its label and `issuer=` parameter.
    pub fn from_uri(uri: &str) -> Result<Self, CredentialError> {
        Self::from_uri_as(uri, NameSources::default())
    }

    /// Parses an otpauth URI and names the account by [`name_account`], with `naming`'s
    /// NAME and `--issuer` (its URI fields are filled in here).
    pub fn from_uri_as(uri: &str, naming: NameSources<'_>) -> Result<Self, CredentialError> {
        let bad = |m: &str| CredentialError::Uri(m.to_owned());
        let url = url::Url::parse(uri.trim()).map_err(|_| bad("not a valid otpauth:// URI"))?;
        if url.scheme() != "otpauth" {
            return Err(bad("the URI does not start with otpauth://"));
        }
        let oath_type: OathType = url
            .host_str()
            .unwrap_or("")
            .parse()
            .map_err(|_| bad("the URI type must be totp or hotp (otpauth://totp/… or otpauth://hotp/…)"))?;
        let label = percent_decode_str(url.path().trim_start_matches('/'))
            .decode_utf8()
            .map_err(|_| bad("the URI label is not valid UTF-8"))?
            .into_owned();
        let mut issuer = None;
        let mut secret = None;
        let (mut algorithm, mut digits, mut period, mut counter) = (Algorithm::Sha1, 6u32, DEFAULT_PERIOD, 0u32);
        for (key, value) in url.query_pairs() {
            match key.as_ref() {
                "secret" => secret = Some(decode_secret(&value)?),
                "issuer" => issuer = Some(value.into_owned()),
                "algorithm" => algorithm = value.parse().map_err(|e: String| CredentialError::Uri(e))?,
                "digits" => digits = value.parse().map_err(|_| bad("the URI's digits is not a number"))?,
                "period" => period = value.parse().map_err(|_| bad("the URI's period is not a number"))?,
                "counter" => counter = value.parse().map_err(|_| bad("the URI's counter is not a number"))?,
                _ => {}
            }
        }
        let secret = secret.ok_or_else(|| bad("the URI has no secret= parameter"))?;
        let (issuer, name) = name_account(NameSources { uri_label: Some(&label), uri_issuer: issuer.as_deref(), ..naming })?;
        // Steam URIs say digits=5; the key stores 6 and the client renders Steam's 5 characters
        if digits == 5 && issuer.as_deref() == Some("Steam") {
            digits = 6;
        }
        if !(6..=8).contains(&digits) {
            return Err(CredentialError::BadDigits(digits));
        }
        let data = CredentialData { name, issuer, oath_type, algorithm, digits: digits as u8, period, counter, secret, touch: false };
        data.validate()?;
        Ok(data)
    }

    /// Emits the otpauth URI for this credential (it contains the secret).
    pub fn to_uri(&self) -> String {
        let label = match &self.issuer {
            Some(i) => format!("{}:{}", enc(i), enc(&self.name)),
            None => enc(&self.name),
        };
        let mut uri = format!("otpauth://{}/{}?secret={}", self.oath_type.uri_host(), label, encode_secret(self.secret.as_bytes()));
        if let Some(i) = &self.issuer {
            uri.push_str(&format!("&issuer={}", enc(i)));
        }
        uri.push_str(&format!("&algorithm={}&digits={}", self.algorithm, self.digits));
        match self.oath_type {
            OathType::Totp => uri.push_str(&format!("&period={}", self.period)),
            OathType::Hotp => uri.push_str(&format!("&counter={}", self.counter)),
        }
        uri
    }
}

const LABEL: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'&')
    .add(b'+')
    .add(b'/')
    .add(b':')
    .add(b'<')
    .add(b'=')
    .add(b'>')
    .add(b'?')
    .add(b'@')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

fn enc(s: &str) -> String {
    utf8_percent_encode(s, LABEL).to_string()
}

#[cfg(test)]
mod tests;
