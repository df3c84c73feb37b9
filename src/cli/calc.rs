//! `ykotp calc`: codes in software from a backup secret, with oathtool's and pyotp's
//! options, and `--verify` to check a code. The secret never has to be in argv.

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
    #[arg(long, default_value_t = 0)]
    t0: u64,
    /// HOTP counter
    #[arg(short, long, default_value_t = 0)]
    counter: u64,
    /// Compute for this time instead of now: unix seconds or RFC 3339
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    at: Option<u64>,
    /// oathtool's -w: this code and the next N (N+1 in all); with --verify, how far to
    /// search on each side
    #[arg(short, long, value_name = "N", default_value_t = 0)]
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
}

/// The credential the arguments describe (secret from wherever it was given).
fn credential(a: &CalcArgs) -> Result<(CredentialData, bool), CliError> {
    let bad = |e: crate::oath::credential::CredentialError| CliError::new(Exit::Usage, e.to_string());
    let (mut data, from_uri) = a.source.credential(&a.params, crate::oath::credential::NameSources::default())?;
    if a.steam {
        data.issuer = Some("Steam".into());
    }
    if data.name.is_empty() {
        data.name = "calc".into();
    }
    data.validate().map_err(bad)?;
    Ok((data, from_uri))
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
