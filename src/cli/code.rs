//! `ykotp code`: one account's code alone on stdout, or a table of all of them.

use super::device::{self, Link, Needs};
use super::output;
use super::prompt;
use super::report::{CliError, Exit};
use super::Global;
use crate::oath::search::search;
use crate::oath::{CalculatedEntry, Credential, OathType, Session};
use crate::otp::Code;
use std::sync::mpsc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Arguments of `code`.
#[derive(Debug, clap::Args)]
pub struct CodeArgs {
    /// The account: its exact id, or a case-insensitive part of it; none prints every code
    query: Option<String>,
    /// Include hidden accounts (issuer `_hidden`)
    #[arg(short = 'H', long)]
    show_hidden: bool,
    /// Compute for this time instead of now: unix seconds or RFC 3339
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    at: Option<u64>,
    /// Print the codes of N successive windows, one per line (AWS MFA enrolment needs 2)
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=10))]
    consecutive: u32,
    /// If fewer than SECONDS are left in the current window, wait for the next one
    #[arg(long, value_name = "SECONDS")]
    min_valid: Option<u64>,
}

/// The clock, read once at the edge.
pub fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// Unix seconds or RFC 3339.
pub fn parse_time(s: &str) -> Result<u64, String> {
    if let Ok(n) = s.parse::<u64>() {
        return Ok(n);
    }
    let t = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .map_err(|_| format!("\"{s}\" is neither unix seconds nor an RFC 3339 time like 2026-01-31T12:00:00Z"))?;
    u64::try_from(t.unix_timestamp()).map_err(|_| format!("\"{s}\" is before 1970"))
}

impl AsRef<Credential> for CalculatedEntry {
    fn as_ref(&self) -> &Credential {
        &self.credential
    }
}

/// One code as `--json` prints it.
#[derive(serde::Serialize)]
pub struct CodeJson {
    id: String,
    issuer: Option<String>,
    name: String,
    code: Option<String>,
    valid_from: Option<u64>,
    valid_to: Option<u64>,
    period: Option<u32>,
    touch: bool,
    #[serde(rename = "type")]
    oath_type: OathType,
}

impl CodeJson {
    fn new(c: &Credential, code: Option<&Code>) -> Self {
        let totp = c.oath_type == OathType::Totp;
        CodeJson {
            id: c.id_str(),
            issuer: c.issuer.clone(),
            name: c.name.clone(),
            code: code.map(|c| c.value.clone()),
            valid_from: code.filter(|_| totp).map(|c| c.valid_from),
            valid_to: code.filter(|_| totp).map(|c| c.valid_to),
            period: totp.then_some(c.period),
            touch: c.touch == Some(true),
            oath_type: c.oath_type,
        }
    }
}

/// Runs `code`.
pub fn run(g: &Global, a: &CodeArgs) -> Result<(), CliError> {
    let start = a.at.unwrap_or_else(now);
    device::with_key(g, Needs::default(), |_, s| {
        device::unlock(g, s)?;
        match &a.query {
            None => print_all(g, a, s.calculate_all_codes(start)?),
            Some(q) => {
                let entries = s.calculate_all(start)?;
                let entry = pick(&entries, q, a.show_hidden)?;
                let codes = codes_for(s, a, entry, start)?;
                print_codes(g, &entry.credential, &codes)
            }
        }
    })
}

/// Exactly one account, or an error that says why not.
pub fn pick<'a, C: AsRef<Credential>>(items: &'a [C], query: &str, show_hidden: bool) -> Result<&'a C, CliError> {
    match search(items, query, show_hidden)[..] {
        [one] => Ok(one),
        [] => Err(CliError::new(Exit::NoMatch, format!("no account matches \"{query}\"")).hint("run `ykotp list` to see the accounts")),
        ref many => {
            let mut e = CliError::new(Exit::Ambiguous, format!("\"{query}\" matches {} accounts; give more of the name", many.len()));
            let mut ids: Vec<&Credential> = many.iter().map(|c| c.as_ref()).collect();
            ids.sort_by_key(|c| c.sort_key());
            for c in ids {
                e = e.hint(format!("matches \"{}\"", c.id_str()));
            }
            Err(e)
        }
    }
}

fn codes_for(s: &mut Session<Link<'_>>, a: &CodeArgs, entry: &CalculatedEntry, start: u64) -> Result<Vec<Code>, CliError> {
    let cred = &entry.credential;
    let period = u64::from(cred.period.max(1));
    let mut t = start;
    if let (Some(min), OathType::Totp) = (a.min_valid, cred.oath_type) {
        let left = period - t % period;
        if left < min {
            output::status(&format!("only {left}s left for this code; waiting for the next one"));
            if a.at.is_none() {
                std::thread::sleep(Duration::from_secs(left));
            }
            t += left;
        }
    }
    let mut codes = Vec::with_capacity(a.consecutive as usize);
    for k in 0..u64::from(a.consecutive) {
        let at = t + k * period;
        match &entry.code {
            Some(c) if at == start => codes.push(c.clone()),
            _ => codes.push(calculate_with_prompt(s, cred, at)?),
        }
    }
    Ok(codes)
}

/// CALCULATE, telling the person to touch the key: at once for a touch credential, and
/// after half a second for HOTP (the key does not say whether HOTP needs a touch).
pub fn calculate_with_prompt(s: &mut Session<Link<'_>>, cred: &Credential, at: u64) -> Result<Code, CliError> {
    let delay = match (cred.touch, cred.oath_type) {
        (Some(true), _) => Some(Duration::ZERO),
        (_, OathType::Hotp) => Some(Duration::from_millis(500)),
        _ => None,
    };
    let Some(delay) = delay else {
        return Ok(s.calculate(cred, at)?);
    };
    if delay.is_zero() {
        prompt::notice("Touch your YubiKey...");
        return Ok(s.calculate(cred, at)?);
    }
    let (done, wait) = mpsc::channel::<()>();
    let prompter = std::thread::spawn(move || {
        if let Err(mpsc::RecvTimeoutError::Timeout) = wait.recv_timeout(delay) {
            prompt::notice("Touch your YubiKey...");
        }
    });
    let result = s.calculate(cred, at);
    let _ = done.send(());
    let _ = prompter.join();
    Ok(result?)
}

fn print_codes(g: &Global, cred: &Credential, codes: &[Code]) -> Result<(), CliError> {
    if g.json {
        let rows: Vec<CodeJson> = codes.iter().map(|c| CodeJson::new(cred, Some(c))).collect();
        return match &rows[..] {
            [one] => output::json(one),
            _ => output::json(&rows),
        };
    }
    codes.iter().try_for_each(|c| output::line(&c.value))
}

fn print_all(g: &Global, a: &CodeArgs, entries: Vec<CalculatedEntry>) -> Result<(), CliError> {
    let mut shown: Vec<&CalculatedEntry> = entries.iter().filter(|e| a.show_hidden || !e.credential.is_hidden()).collect();
    shown.sort_by_key(|e| e.credential.sort_key());
    if g.json {
        let rows: Vec<CodeJson> = shown.iter().map(|e| CodeJson::new(&e.credential, e.code.as_ref())).collect();
        return output::json(&rows);
    }
    let rows: Vec<Vec<String>> = shown
        .iter()
        .map(|e| {
            let code = match (&e.code, e.credential.oath_type) {
                (Some(c), _) => c.value.clone(),
                (None, OathType::Hotp) => "[HOTP]".into(),
                (None, OathType::Totp) => "[touch]".into(),
            };
            vec![e.credential.id_str(), code]
        })
        .collect();
    output::table(&rows)
}
