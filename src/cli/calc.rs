//! `ykotp calc`: codes in software from a backup secret, with oathtool's and pyotp's
//! options (`--hex` secrets, `-v` details), and `--verify` to check a code. The secret
//! never has to be in argv.
//!
//! `-v` prints what `oathtool -v` prints, line for line, except the two lines holding
//! the secret ("Hex secret:", "Base32 secret:"): ykotp never prints a secret, so they
//! become one line with its length.

use super::code::{now, parse_time};
use super::report::{CliError, Exit};
use super::{output, secret, Global};
use crate::oath::{CredentialData, OathType};
use crate::otp::Code;

/// Arguments of `calc`.
#[derive(Debug, clap::Args)]
pub struct CalcArgs {
    #[command(flatten)]
    source: secret::SecretArgs,
    #[command(flatten)]
    params: secret::ParamArgs,
    /// TOTP epoch (T0) in unix seconds
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=super::code::MAX_TIME))]
    t0: u64,
    /// HOTP counter
    #[arg(short, long, default_value_t = 0)]
    counter: u64,
    /// Compute for this time instead of now: unix seconds or RFC 3339
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    at: Option<u64>,
    /// oathtool's -w: this code and the next N (N+1 in all); with --verify, how far to
    /// search on each side (at most 1000)
    #[arg(short, long, value_name = "N", default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=MAX_WINDOW))]
    window: u64,
    /// N codes in all, one per line, as `ykotp code --consecutive N` prints them
    #[arg(long, value_name = "N", conflicts_with_all = ["window", "verify"], value_parser = clap::value_parser!(u64).range(1..=10))]
    consecutive: Option<u64>,
    /// Steam Guard's 5-character codes
    #[arg(long)]
    steam: bool,
    /// Check OTP instead of printing codes: prints the matching offset, exit 12 if none
    #[arg(long, value_name = "OTP")]
    verify: Option<String>,
    /// The secret is hexadecimal (oathtool's default form) instead of base32
    #[arg(long, conflicts_with = "uri")]
    hex: bool,
    /// Print the parameters first, as `oathtool -v` does (the secret only by its length)
    #[arg(short, long)]
    verbose: bool,
}

/// The largest `--window`: a search over more windows matches a wrong code too often
/// (1000 steps on each side of a 6-digit code: 0.2 %), and no one reads more codes.
pub const MAX_WINDOW: u64 = 1000;

/// The credential the arguments describe (secret from wherever it was given).
fn credential(a: &CalcArgs) -> Result<(CredentialData, bool), CliError> {
    let bad = |e: crate::oath::credential::CredentialError| CliError::new(Exit::Usage, e.to_string());
    let (mut data, from_uri) = if a.hex {
        (hex_credential(a)?, false)
    } else {
        a.source.credential(&a.params, crate::oath::credential::NameSources::default())?
    };
    if a.steam {
        data.issuer = Some("Steam".into());
    }
    if data.name.is_empty() {
        data.name = "calc".into();
    }
    data.validate().map_err(bad)?;
    Ok((data, from_uri))
}

/// A bare hexadecimal secret with the parameters given, as oathtool reads it.
fn hex_credential(a: &CalcArgs) -> Result<CredentialData, CliError> {
    let s = &a.source;
    let text = secret::Source {
        positional: s.secret.as_deref(),
        command: s.secret_cmd.as_deref(),
        file: s.secret_file.as_deref(),
        expect: secret::Expect::Hex,
    }
    .read()?;
    let clean = zeroize::Zeroizing::new(text.chars().filter(|c| !c.is_whitespace()).collect::<String>());
    let bytes = hex::decode(clean.as_bytes())
        .map_err(|_| CliError::new(Exit::Usage, "the secret is not hexadecimal (--hex): use 0-9 and a-f, two digits a byte"))?;
    let mut d = CredentialData::totp("calc", crate::otp::Secret::new(bytes));
    d.oath_type = a.params.oath_type;
    d.algorithm = a.params.algorithm;
    d.digits = a.params.digits;
    d.period = a.params.period.unwrap_or(crate::oath::credential::DEFAULT_PERIOD);
    Ok(d)
}

/// `oathtool -v`'s lines, the secret left out.
fn details(data: &CredentialData, a: &CalcArgs, t: u64, counter: u64) -> Vec<String> {
    let when = |s: u64| {
        let dt = i64::try_from(s).ok().and_then(|s| time::OffsetDateTime::from_unix_timestamp(s).ok());
        let text = dt.map_or_else(
            || "?".into(),
            |d| format!("{:04}-{:02}-{:02} {:02}:{:02}:{:02}", d.year(), u8::from(d.month()), d.day(), d.hour(), d.minute(), d.second()),
        );
        format!("{text} UTC ({s})")
    };
    let mut lines = vec![
        format!("Secret: {} bytes (not shown: ykotp never prints a secret)", data.secret.len()),
        format!("Digits: {}", data.digits),
        format!("Window size: {}", a.window),
    ];
    match data.oath_type {
        OathType::Totp => {
            let step = crate::otp::time_step(t, data.period, a.t0);
            lines.push(format!("TOTP mode: {}", data.algorithm));
            lines.push(format!("Step size (seconds): {}", data.period));
            lines.push(format!("Start time: {}", when(a.t0)));
            lines.push(format!("Current time: {}", when(t)));
            lines.push(format!("Counter: 0x{step:X} ({step})"));
        }
        OathType::Hotp => lines.push(format!("Start counter: 0x{counter:X} ({counter})")),
    }
    lines.push(String::new());
    lines
}

#[derive(serde::Serialize)]
struct Row {
    code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    valid_from: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    valid_to: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    counter: Option<u64>,
}

/// Runs `calc`.
pub fn run(g: &Global, a: &CalcArgs) -> Result<(), CliError> {
    let (data, from_uri) = credential(a)?;
    let t = a.at.unwrap_or_else(now);
    let counter = if data.oath_type == OathType::Hotp && from_uri && a.counter == 0 { u64::from(data.counter) } else { a.counter };
    if counter.checked_add(a.window).is_none() {
        return Err(CliError::new(Exit::Usage, format!("--counter {counter} with --window {} passes the largest counter", a.window)));
    }
    if a.verbose && !g.json {
        details(&data, a, t, counter).iter().try_for_each(|l| output::line(l))?;
    }
    if let Some(otp) = &a.verify {
        return verify(&data, otp.trim(), t, a.t0, counter, a.window);
    }
    // one meaning per flag: --consecutive counts codes (as in `code`), --window counts
    // the codes after this one (as oathtool's -w does)
    let count = a.consecutive.unwrap_or(a.window + 1);
    let rows: Vec<Row> = (0..count)
        .map(|k| match data.oath_type {
            OathType::Totp => {
                let at = t + k * u64::from(data.period);
                let code = Code::in_window(data.soft_code(at, a.t0, 0), at.saturating_sub(a.t0), data.period);
                Row { code: code.value, valid_from: Some(code.valid_from + a.t0), valid_to: Some(code.valid_to + a.t0), counter: None }
            }
            OathType::Hotp => Row { code: data.soft_code(0, 0, counter + k), valid_from: None, valid_to: None, counter: Some(counter + k) },
        })
        .collect();
    if g.json {
        return match &rows[..] {
            [one] => output::json(one),
            _ => output::json(&rows),
        };
    }
    rows.iter().try_for_each(|r| output::line(&r.code))
}

/// Like oathtool: prints how many steps away the match is; exit 12 when none matches.
fn verify(data: &CredentialData, otp: &str, t: u64, t0: u64, counter: u64, window: u64) -> Result<(), CliError> {
    let found = match data.oath_type {
        OathType::Hotp => (0..=window).find(|k| data.soft_code(0, 0, counter + k) == otp),
        OathType::Totp => {
            let period = u64::from(data.period);
            (0..=window).find(|k| {
                let later = data.soft_code(t + k * period, t0, 0) == otp;
                let earlier = t >= k * period && data.soft_code(t - k * period, t0, 0) == otp;
                later || earlier
            })
        }
    };
    match found {
        Some(k) => output::line(&k.to_string()),
        None => Err(CliError::new(Exit::Mismatch, format!("the code does not match within {window} step(s)"))
            .hint("check the secret, the clock (timedatectl) and the window (--window)")),
    }
}
