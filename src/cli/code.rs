//! `ykotp code`: one account's code alone on stdout, or a table of all of them.

use super::config::Config;
use super::device::{self, KeyCtx, Link, Needs};
use super::output;
use super::prompt;
use super::report::{CliError, Exit};
use super::{clip, countdown, fresh, secret, table, Global};
use crate::oath::search::search;
use crate::oath::{CalculatedEntry, Credential, CredentialData, OathType, Session};
use crate::otp::Code;
use std::sync::mpsc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Arguments of `code`.
#[derive(Debug, clap::Args)]
pub struct CodeArgs {
    /// The account: its exact id, or a case-insensitive part of it; none prints every code
    #[arg(add = clap_complete::engine::ArgValueCompleter::new(super::complete::accounts))]
    query: Option<String>,
    /// Include hidden accounts (issuer `_hidden`)
    #[arg(short = 'H', long)]
    show_hidden: bool,
    /// Compute for this time instead of now: unix seconds or RFC 3339
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    at: Option<u64>,
    /// N codes in all: this window's and the next N-1, one per line (AWS MFA enrolment
    /// needs 2; `calc --window N` is oathtool's meaning, N+1 codes)
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=10))]
    consecutive: u32,
    /// If fewer than SECONDS are left in the current window, wait for the next one
    #[arg(long, value_name = "SECONDS")]
    min_valid: Option<u64>,
    /// Print this command's first output line right before the code (password+OTP logins)
    #[arg(long, value_name = "CMD", conflicts_with = "json")]
    prepend_cmd: Option<String>,
    /// Compute the code in software from the account's fallback_cmd, without the key
    #[arg(long, conflicts_with = "no_fallback")]
    soft: bool,
    /// Never fall back to software, even when no key holding the account is present
    #[arg(long)]
    no_fallback: bool,
    /// Never print the same TOTP code twice: wait for the next window if this one's was printed
    #[arg(long)]
    fresh: bool,
    /// Copy the code to the clipboard instead of printing it, and clear it after SECONDS
    /// (default: $YKOTP_CLIP_TIME, else 45) if the clipboard still holds it
    #[arg(short, long, value_name = "SECONDS", num_args = 0..=1, require_equals = true,
          conflicts_with_all = ["json", "consecutive"], value_parser = clap::value_parser!(u64).range(1..))]
    clip: Option<Option<u64>>,
    /// Set by `askpass` for rules that answer the code alone
    #[arg(skip)]
    no_prepend: bool,
}

impl CodeArgs {
    /// What `askpass` asks of `code`: one account's code, never one printed before
    /// (`--fresh`), with the account's `prepend_cmd` in front or without.
    pub fn for_login(query: &str, min_valid: Option<u64>, with_prepend: bool) -> Self {
        CodeArgs {
            query: Some(query.to_owned()),
            show_hidden: false,
            at: None,
            consecutive: 1,
            min_valid,
            prepend_cmd: None,
            soft: false,
            no_fallback: false,
            fresh: true,
            no_prepend: !with_prepend,
            clip: None,
        }
    }
}

/// The clock, read once at the edge.
pub fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// The latest time `--at` takes: 9999-12-31T23:59:59Z. Later ones would only overflow.
pub const MAX_TIME: u64 = 253_402_300_799;

/// Unix seconds or RFC 3339, up to [`MAX_TIME`].
pub fn parse_time(s: &str) -> Result<u64, String> {
    let t = match s.parse::<u64>() {
        Ok(n) => n,
        Err(_) => {
            let t = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
                .map_err(|_| "neither unix seconds nor an RFC 3339 time like 2026-01-31T12:00:00Z".to_owned())?;
            u64::try_from(t.unix_timestamp()).map_err(|_| "before 1970".to_owned())?
        }
    };
    if t > MAX_TIME {
        return Err(format!("after the year 9999 (at most {MAX_TIME})"));
    }
    Ok(t)
}

/// One code as `--json` prints it.
#[derive(serde::Serialize)]
pub struct CodeJson {
    #[serde(skip_serializing_if = "Option::is_none")]
    key: Option<String>,
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
    source: &'static str,
}

impl CodeJson {
    fn new(c: &Credential, code: Option<&Code>) -> Self {
        let totp = c.oath_type == OathType::Totp;
        CodeJson {
            key: None,
            id: c.id_str(),
            issuer: c.issuer.clone(),
            name: c.name.clone(),
            code: code.map(|c| c.value.clone()),
            valid_from: code.filter(|_| totp).map(|c| c.valid_from),
            valid_to: code.filter(|_| totp).map(|c| c.valid_to),
            period: totp.then_some(c.period),
            touch: c.touch == Some(true),
            oath_type: c.oath_type,
            source: "key",
        }
    }

    fn with_source(mut self, software: bool) -> Self {
        if software {
            self.source = "software";
        }
        self
    }
}

/// Runs `code`.
pub fn run(g: &Global, a: &CodeArgs) -> Result<(), CliError> {
    let start = a.at.unwrap_or_else(now);
    let clip_secs = a.clip.map(clip::seconds).transpose()?;
    let Some(typed) = &a.query else {
        if clip_secs.is_some() {
            return Err(CliError::new(Exit::Usage, "--clip copies one account's code: name the account"));
        }
        return all_codes(g, a, start);
    };
    let config = Config::load(g.config.as_deref())?;
    let account = config.account(typed).cloned().unwrap_or_default();
    let query = account.name.clone().unwrap_or_else(|| typed.clone());
    // the password first: its command may ask for a passphrase, and the key waits for no one
    let prefix = match a.prepend_cmd.as_deref().or(account.prepend_cmd.as_deref()).filter(|_| !a.no_prepend) {
        Some(cmd) => Some(secret::run_command(cmd, "prepend")?),
        None => None,
    };
    let fallback = account.fallback_cmd.as_deref().filter(|_| !a.no_fallback);
    let notify = super::notify::wanted(config.touch.notify)?;
    let compute = |start: u64| -> Result<Codes, NoCode> {
        if a.soft {
            let cmd = fallback.ok_or_else(|| no_fallback_cmd(typed, &config))?;
            return soft_codes(a, &query, cmd, start).map_err(Failed);
        }
        match key_codes(g, a, &query, start, notify) {
            Err(Failed(e)) if fallback.is_some() && e.key_absent => {
                output::status(&format!(
                    "no key holding \"{query}\" is present ({}); computing the code in software from fallback_cmd",
                    e.message
                ));
                soft_codes(a, &query, fallback.unwrap_or_default(), start).map_err(Failed)
            }
            other => other,
        }
    };
    let mut result = match compute(start) {
        Err(Many(entries)) => return print_all(g, a, vec![(None, entries)], start),
        Err(Failed(e)) => return Err(e),
        Ok(r) => r,
    };
    // --fresh: record the steps, then print; a concurrent run that recorded them first
    // sends us to a later window (choose_window waits for it)
    let mut tries = 0;
    while a.fresh && result.credential.oath_type == OathType::Totp {
        let period = u64::from(result.credential.period.max(1));
        let (Some(first), Some(last)) = (result.codes.first(), result.codes.last()) else { break };
        if fresh::reserve(&result.credential.id_str(), period, first.valid_from / period, last.valid_from / period)? {
            break;
        }
        tries += 1;
        if tries > 10 {
            return Err(CliError::new(Exit::Other, "other ykotp processes keep taking every new window (--fresh)"));
        }
        result = compute(a.at.map_or_else(now, |_| start)).map_err(NoCode::into_error)?;
    }
    let prefix = prefix.as_deref().map(|p| secret::first_line(p));
    match clip_secs {
        Some(secs) => {
            let first = result.codes.first().map(|c| c.value.as_str()).unwrap_or_default();
            clip::copy(&zeroize::Zeroizing::new(format!("{}{first}", prefix.unwrap_or_default())), secs)?;
            prompt::info(&format!("ykotp: copied; the clipboard is cleared in {secs}s if it still holds the code"));
        }
        None => print_codes(g, &result, prefix)?,
    }
    if a.at.is_none() && result.credential.oath_type == OathType::Totp {
        if let Some(first) = result.codes.first() {
            let left = first.valid_to.saturating_sub(now());
            prompt::info(&format!("ykotp: the code is valid for {left} more second{}", if left == 1 { "" } else { "s" }));
        }
    }
    Ok(())
}

fn no_fallback_cmd(typed: &str, config: &Config) -> CliError {
    let file = config.path.as_ref().map_or("the config file".to_owned(), |p| p.display().to_string());
    CliError::new(Exit::Usage, format!("--soft needs a fallback_cmd for \"{typed}\""))
        .hint(format!("add [account.{typed}] with fallback_cmd = \"pass show …\" to {file} (see CONFIGURATION in `man ykotp`)"))
}

/// Why no single code came: several accounts match (shown as a table on a terminal), or
/// an error.
enum NoCode {
    Many(Vec<CalculatedEntry>),
    Failed(CliError),
}
use NoCode::{Failed, Many};

impl NoCode {
    fn into_error(self) -> CliError {
        match self {
            Failed(e) => e,
            Many(m) => CliError::new(Exit::Ambiguous, format!("the query matches {} accounts; give more of the name", m.len())),
        }
    }
}

impl From<CliError> for NoCode {
    fn from(e: CliError) -> Self {
        Failed(e)
    }
}

/// Codes and where they came from.
struct Codes {
    credential: Credential,
    codes: Vec<Code>,
    software: bool,
}

/// The codes from every key holding the account: computed on each, printed once when
/// they agree (a backup key holding the same secret), an error naming the keys if not.
fn key_codes(g: &Global, a: &CodeArgs, query: &str, start: u64, notify: bool) -> Result<Codes, NoCode> {
    let keys = device::keys(g)?;
    let mut start = start;
    loop {
        // the window is chosen once, on the first key, so --min-valid and --fresh speak once
        let mut window = None;
        let found = keys.find(
            query,
            a.show_hidden,
            start,
            |s| device::unlock(g, s),
            |key, s, entries| {
                let entry = match pick(&entries, query, a.show_hidden) {
                    // a person reading stdout gets the matches' codes to choose from
                    Err(e) if e.exit == Exit::Ambiguous && table::stdout_is_terminal() && !g.json => {
                        return Ok(Err(matching_codes(s, entries.clone(), query, a.show_hidden, start)?));
                    }
                    other => other?,
                };
                let cred = &entry.credential;
                let t = match window {
                    Some(t) => t,
                    None => *window.insert(choose_window(a, start, u64::from(cred.period.max(1)), cred.oath_type, &cred.id_str())?),
                };
                if t > start && a.at.is_none() {
                    // wait with the key released, so other programs can use it meanwhile
                    return Ok(Ok(None));
                }
                let touching = prompt::Touching { account: cred.id_str(), key: device::key_name(key), notify };
                let codes = codes_for(s, a, entry, start, t, &touching)?;
                Ok(Ok(Some(Codes { credential: cred.clone(), codes, software: false })))
            },
        )?;
        if let Some(t) = window.filter(|t| *t > start && a.at.is_none()) {
            countdown::wait_until(t, "ykotp: next code in");
            start = t;
            continue;
        }
        let mut results: Vec<(KeyCtx, Codes)> = Vec::new();
        for (key, step) in found.holders {
            match step {
                Err(many) => return Err(Many(many)),
                Ok(Some(codes)) => results.push((key, codes)),
                // every holder chose the same window: none waits once the first does not
                Ok(None) => {}
            }
        }
        return agree(&keys, query, found.searched, results).map_err(Failed);
    }
}

/// One answer from the keys holding `query`, if they agree.
fn agree(keys: &crate::discovery::Keys, query: &str, searched: usize, mut results: Vec<(KeyCtx, Codes)>) -> Result<Codes, CliError> {
    let Some((_, first)) = results.first() else {
        return Err(CliError::no_account(query, searched));
    };
    let same =
        |c: &Codes| c.credential.id == first.credential.id && c.codes.iter().map(|x| &x.value).eq(first.codes.iter().map(|x| &x.value));
    if results.iter().all(|(_, c)| same(c)) {
        return Ok(results.swap_remove(0).1);
    }
    let holders: Vec<&KeyCtx> = results.iter().map(|(k, _)| k).collect();
    let described = device::describe(keys, &holders);
    let (exit, message) = if results.iter().all(|(_, c)| c.credential.id == first.credential.id) {
        (Exit::Mismatch, format!("the {} keys holding \"{}\" give different codes", results.len(), first.credential.id_str()))
    } else {
        (Exit::Ambiguous, format!("\"{query}\" matches different accounts on {} keys; give more of the name", results.len()))
    };
    Err(CliError::on_keys(exit, message, &described))
}

/// The entries matching `query`, with the codes CALCULATE ALL left out computed
/// (never a touch or an HOTP counter).
fn matching_codes(
    s: &mut Session<Link<'_>>,
    entries: Vec<CalculatedEntry>,
    query: &str,
    show_hidden: bool,
    start: u64,
) -> Result<Vec<CalculatedEntry>, CliError> {
    let ids: Vec<Vec<u8>> = search(&entries, query, show_hidden).into_iter().map(|e| e.credential.id.clone()).collect();
    let mut out: Vec<CalculatedEntry> = entries.into_iter().filter(|e| ids.contains(&e.credential.id)).collect();
    for e in out.iter_mut().filter(|e| e.needs_calculate()) {
        e.code = Some(s.calculate(&e.credential, start)?);
    }
    Ok(out)
}

/// The software engine, from the backup secret that `cmd` prints.
fn soft_codes(a: &CodeArgs, query: &str, cmd: &str, start: u64) -> Result<Codes, CliError> {
    let text = secret::run_command(cmd, "fallback")?;
    let line = secret::first_line(text.trim_start()).trim();
    let bad = |e: &dyn std::fmt::Display| CliError::new(Exit::Other, format!("the fallback secret for \"{query}\" is not usable: {e}"));
    let data = if line.starts_with("otpauth://") {
        CredentialData::from_uri(line).map_err(|e| bad(&e))?
    } else {
        // a bare secret takes the key's usual parameters and the period in the id
        let (issuer, name, period) = crate::oath::credential::parse_id(query, OathType::Totp);
        let mut d = CredentialData::totp(&name, crate::otp::decode_secret(line).map_err(|e| bad(&e))?);
        d.issuer = issuer;
        d.period = period;
        d
    };
    let mut credential = Credential::new(query.as_bytes().to_vec(), data.oath_type);
    credential.period = if data.oath_type == OathType::Totp { data.period } else { 0 };
    credential.touch = Some(false);
    let period = u64::from(data.period.max(1));
    let t = choose_window(a, start, period, data.oath_type, query)?;
    if t > start && a.at.is_none() {
        countdown::wait_until(t, "ykotp: next code in");
    }
    let codes = (0..u64::from(a.consecutive))
        .map(|k| {
            let at = t + k * period;
            match data.oath_type {
                OathType::Totp => Code::in_window(data.soft_code(at, 0, 0), at, data.period),
                OathType::Hotp => Code { value: data.soft_code(0, 0, u64::from(data.counter) + k), valid_from: at, valid_to: u64::MAX },
            }
        })
        .collect();
    Ok(Codes { credential, codes, software: true })
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

/// The time to compute for: the next window when --min-valid finds too little of this
/// one left, or when --fresh finds this window's code already printed. The caller waits
/// until then (unless --at was given).
fn choose_window(a: &CodeArgs, t: u64, period: u64, oath_type: OathType, id: &str) -> Result<u64, CliError> {
    if oath_type != OathType::Totp {
        return Ok(t);
    }
    let mut target = t;
    if let Some(min) = a.min_valid.filter(|m| *m > period) {
        return Err(CliError::new(Exit::Usage, format!("--min-valid {min} is longer than \"{id}\"'s whole period of {period}s"))
            .hint(format!("no code of this account is ever valid that long; ask for at most {period}")));
    }
    if let Some(min) = a.min_valid {
        let left = period - t % period;
        // at the very start of a window there is no better one to wait for
        if left < min && left < period {
            output::status(&format!("only {left}s left for this code; waiting for the next one"));
            target = t + left;
        }
    }
    if a.fresh {
        if let Some(last) = fresh::last_step(id, period)? {
            // a step far ahead means the clock went back: do not wait for hours
            if fresh::taken(last, target / period) {
                let next = (last + 1) * period;
                output::status(&format!(
                    "the code of this window was printed already (--fresh); waiting {}s for a new one",
                    next.saturating_sub(t)
                ));
                target = next;
            }
        }
    }
    Ok(target)
}

/// The codes of `--consecutive` windows from `t`; CALCULATE ALL's answer (made at
/// `start`) is used when it fits.
fn codes_for(
    s: &mut Session<Link<'_>>,
    a: &CodeArgs,
    entry: &CalculatedEntry,
    start: u64,
    t: u64,
    touching: &prompt::Touching,
) -> Result<Vec<Code>, CliError> {
    let cred = &entry.credential;
    let period = u64::from(cred.period.max(1));
    let mut codes = Vec::with_capacity(a.consecutive as usize);
    for k in 0..u64::from(a.consecutive) {
        let at = t + k * period;
        match &entry.code {
            Some(c) if at == start => codes.push(c.clone()),
            _ => codes.push(calculate_with_prompt(s, cred, at, touching)?),
        }
    }
    Ok(codes)
}

/// CALCULATE, telling the person to touch the key: at once for a touch credential, and
/// after half a second when the key did not say (HOTP, cards without CALCULATE ALL).
pub fn calculate_with_prompt(s: &mut Session<Link<'_>>, cred: &Credential, at: u64, touching: &prompt::Touching) -> Result<Code, CliError> {
    // HOTP and rows of a card without CALCULATE ALL: the key does not say whether they need a touch
    let delay = match (cred.touch, cred.oath_type) {
        (Some(true), _) => Some(Duration::ZERO),
        (None, _) | (_, OathType::Hotp) => Some(Duration::from_millis(500)),
        _ => None,
    };
    let Some(delay) = delay else {
        return Ok(s.calculate(cred, at)?);
    };
    if delay.is_zero() {
        let _shown = prompt::touch(touching);
        return Ok(s.calculate(cred, at)?);
    }
    let (done, wait) = mpsc::channel::<()>();
    let touching = touching.clone();
    let prompter = std::thread::spawn(move || match wait.recv_timeout(delay) {
        Err(mpsc::RecvTimeoutError::Timeout) => Some(prompt::touch(&touching)),
        _ => None,
    });
    let result = s.calculate(cred, at);
    let _ = done.send(());
    // erases the prompt, if it was shown
    drop(prompter.join());
    Ok(result?)
}

fn print_codes(g: &Global, c: &Codes, prefix: Option<&str>) -> Result<(), CliError> {
    if g.json {
        let rows: Vec<CodeJson> = c.codes.iter().map(|code| CodeJson::new(&c.credential, Some(code)).with_source(c.software)).collect();
        return match &rows[..] {
            [one] => output::json(one),
            _ => output::json(&rows),
        };
    }
    c.codes.iter().try_for_each(|code| match prefix {
        Some(p) => output::line(&zeroize::Zeroizing::new(format!("{p}{}", code.value))),
        None => output::line(&code.value),
    })
}

/// Every code: one key's table, or with several keys attached and none chosen, one
/// table with a column saying which key.
fn all_codes(g: &Global, a: &CodeArgs, start: u64) -> Result<(), CliError> {
    let keys = device::keys(g)?;
    if !keys.selection().is_open() || keys.cards_present()? <= 1 {
        return keys.with_one(Needs::default(), |_, s| {
            device::unlock(g, s)?;
            print_all(g, a, vec![(None, s.calculate_all_codes(start)?)], start)
        });
    }
    let each = keys.each(Needs { serial: true }, |_, s| -> Result<_, CliError> {
        device::unlock(g, s)?;
        Ok(s.calculate_all_codes(start)?)
    })?;
    let several = each.len() > 1;
    print_all(g, a, each.into_iter().map(|(k, e)| (several.then(|| device::key_label(&k)), e)).collect(), start)
}

fn print_all(g: &Global, a: &CodeArgs, keys: Vec<(Option<String>, Vec<CalculatedEntry>)>, start: u64) -> Result<(), CliError> {
    let mut shown: Vec<(&Option<String>, &CalculatedEntry)> = keys
        .iter()
        .flat_map(|(k, entries)| entries.iter().filter(|e| a.show_hidden || !e.credential.is_hidden()).map(move |e| (k, e)))
        .collect();
    // ykman's order; with several keys, the same account on each key side by side
    shown.sort_by_key(|(k, e)| (e.credential.sort_key(), *k));
    if g.json {
        let rows: Vec<CodeJson> =
            shown.iter().map(|(k, e)| CodeJson { key: (*k).clone(), ..CodeJson::new(&e.credential, e.code.as_ref()) }).collect();
        return output::json(&rows);
    }
    let terminal = table::stdout_is_terminal();
    let rows: Vec<Vec<String>> = shown
        .iter()
        .map(|(k, e)| {
            let code = match (&e.code, e.credential.oath_type) {
                (Some(c), _) => c.value.clone(),
                (None, OathType::Hotp) => "[HOTP]".into(),
                (None, OathType::Totp) => "[touch]".into(),
            };
            let mut row: Vec<String> = k.iter().cloned().collect();
            row.extend([e.credential.id_str(), code]);
            // on a terminal, how long each code stays valid; scripts keep two columns
            if terminal {
                row.push(match &e.code {
                    Some(c) if e.credential.oath_type == OathType::Totp => format!("{}s", c.valid_to.saturating_sub(start)),
                    _ => String::new(),
                });
            }
            row
        })
        .collect();
    output::table(&rows)
}
