//! `ykotp list`: the accounts on the key, sorted as ykman sorts them.

use super::device::{self, Link, Needs};
use super::output;
use super::report::CliError;
use super::Global;
use crate::oath::search::search;
use crate::oath::{Credential, OathType, Session};
use std::collections::HashMap;

/// Arguments of `list`.
#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// Only accounts whose id contains QUERY (case-insensitive), or the one named exactly
    #[arg(add = clap_complete::engine::ArgValueCompleter::new(super::complete::accounts))]
    query: Option<String>,
    /// Include hidden accounts (issuer `_hidden`)
    #[arg(short = 'H', long)]
    show_hidden: bool,
    /// Show type, algorithm, digits, period and touch
    #[arg(short, long)]
    long: bool,
    /// List the accounts of every attached key, with a column saying which key
    #[arg(long)]
    all_keys: bool,
}

#[derive(serde::Serialize)]
struct Row {
    #[serde(skip_serializing_if = "Option::is_none")]
    key: Option<String>,
    id: String,
    issuer: Option<String>,
    name: String,
    #[serde(rename = "type")]
    oath_type: OathType,
    algorithm: Option<String>,
    digits: Option<u8>,
    period: Option<u32>,
    touch: Option<bool>,
}

/// Runs `list`.
pub fn run(g: &Global, a: &ListArgs) -> Result<(), CliError> {
    let read = |s: &mut Session<Link<'_>>| -> Result<KeyAccounts, CliError> {
        device::unlock(g, s)?;
        let creds = s.list()?;
        // LIST does not say digits or touch; CALCULATE ALL does, without touching anything
        let details: Details = if a.long || g.json {
            s.calculate_all(super::code::now())?.into_iter().map(|e| (e.credential.id.clone(), (e.digits, e.credential.touch))).collect()
        } else {
            HashMap::new()
        };
        Ok((creds, details))
    };
    let attached = device::keys(g)?;
    // several keys and none chosen: all of them, merged, with a column saying which key
    let merge = a.all_keys || (attached.selection().is_open() && attached.cards_present()? > 1);
    let keys: Vec<(Option<String>, KeyAccounts)> = if merge {
        let each = attached.each(Needs { serial: true }, |_, s| read(s))?;
        let column = a.all_keys || each.len() > 1;
        each.into_iter().map(|(key, r)| (column.then(|| key_label(&key)), r)).collect()
    } else {
        vec![(None, attached.with_one(Needs::default(), |_, s| read(s))?)]
    };
    let mut found: Vec<(&Option<String>, &Credential, &Details)> = keys
        .iter()
        .flat_map(|(key, (creds, details))| {
            search(creds, a.query.as_deref().unwrap_or(""), a.show_hidden).into_iter().map(move |c| (key, c, details))
        })
        .collect();
    // ykman's order; with several keys, the same account on each key side by side
    found.sort_by_key(|(key, c, _)| (c.sort_key(), *key));
    let rows: Vec<Row> = found.into_iter().map(|(key, c, details)| row(key.clone(), c, details.get(&c.id))).collect();
    print(g, a, &rows)
}

/// Digits (0: the card did not say) and touch (`None`: the card did not say), by id.
type Details = HashMap<Vec<u8>, (u8, Option<bool>)>;
type KeyAccounts = (Vec<Credential>, Details);

pub use super::device::key_label;

fn row(key: Option<String>, c: &Credential, d: Option<&(u8, Option<bool>)>) -> Row {
    Row {
        key,
        id: c.id_str(),
        issuer: c.issuer.clone(),
        name: c.name.clone(),
        oath_type: c.oath_type,
        algorithm: c.algorithm.map(|a| a.to_string()),
        digits: d.map(|d| d.0).filter(|&n| n != 0),
        period: (c.oath_type == OathType::Totp).then_some(c.period),
        touch: d.and_then(|d| d.1),
    }
}

fn print(g: &Global, a: &ListArgs, rows: &[Row]) -> Result<(), CliError> {
    if g.json {
        return output::json(&rows);
    }
    let dash = || "-".to_owned();
    let table: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let mut cells: Vec<String> = r.key.iter().cloned().collect();
            cells.push(r.id.clone());
            if a.long {
                cells.extend([
                    r.oath_type.to_string(),
                    r.algorithm.clone().unwrap_or_else(dash),
                    r.digits.map_or_else(dash, |d| d.to_string()),
                    r.period.map_or_else(dash, |p| format!("{p}s")),
                    if r.touch == Some(true) { "touch".into() } else { dash() },
                ]);
            }
            cells
        })
        .collect();
    // a header only on a terminal (scripts keep the bare rows); the names give way first
    let keyed = rows.iter().any(|r| r.key.is_some());
    let mut header: Vec<&str> = if keyed { vec!["KEY", "ACCOUNT"] } else { vec!["ACCOUNT"] };
    if a.long {
        header.extend(["TYPE", "ALGORITHM", "DIGITS", "PERIOD", "TOUCH"]);
    }
    let titled = a.long || keyed;
    output::table_with(&table, titled.then_some(&header[..]), usize::from(keyed))
}
