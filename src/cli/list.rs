//! `ykotp list`: the accounts on the key, sorted as ykman sorts them.

use super::device::{self, Needs};
use super::output;
use super::report::CliError;
use super::Global;
use crate::oath::search::search;
use crate::oath::{Credential, OathType};
use std::collections::HashMap;

/// Arguments of `list`.
#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// Only accounts whose id contains QUERY (case-insensitive), or the one named exactly
    query: Option<String>,
    /// Include hidden accounts (issuer `_hidden`)
    #[arg(short = 'H', long)]
    show_hidden: bool,
    /// Show type, algorithm, digits, period and touch
    #[arg(short, long)]
    long: bool,
}

#[derive(serde::Serialize)]
struct Row {
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
    let (creds, details) = device::with_key(g, Needs::default(), |_, s| {
        device::unlock(g, s)?;
        let creds = s.list()?;
        // LIST does not say digits or touch; CALCULATE ALL does, without touching anything
        let details: HashMap<Vec<u8>, (u8, bool)> = if a.long || g.json {
            s.calculate_all(super::code::now())?
                .into_iter()
                .map(|e| (e.credential.id.clone(), (e.digits, e.credential.touch == Some(true))))
                .collect()
        } else {
            HashMap::new()
        };
        Ok((creds, details))
    })?;
    let mut found: Vec<&Credential> = search(&creds, a.query.as_deref().unwrap_or(""), a.show_hidden);
    found.sort_by_key(|c| c.sort_key());
    let rows: Vec<Row> = found
        .iter()
        .map(|c| {
            let d = details.get(&c.id);
            Row {
                id: c.id_str(),
                issuer: c.issuer.clone(),
                name: c.name.clone(),
                oath_type: c.oath_type,
                algorithm: c.algorithm.map(|a| a.to_string()),
                digits: d.map(|d| d.0),
                period: (c.oath_type == OathType::Totp).then_some(c.period),
                touch: d.map(|d| d.1),
            }
        })
        .collect();
    if g.json {
        return output::json(&rows);
    }
    if !a.long {
        return rows.iter().try_for_each(|r| output::line(&r.id));
    }
    let dash = || "-".to_owned();
    let table: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.id.clone(),
                r.oath_type.to_string(),
                r.algorithm.clone().unwrap_or_else(dash),
                r.digits.map_or_else(dash, |d| d.to_string()),
                r.period.map_or_else(dash, |p| format!("{p}s")),
                if r.touch == Some(true) { "touch".into() } else { dash() },
            ]
        })
        .collect();
    output::table(&table)
}
