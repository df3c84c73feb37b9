//! The key-discovery API in a few lines: list the attached keys, then print the code of
//! an account from every key that holds it.
//!
//! ```text
//! cargo run --example keys                 # list keys
//! cargo run --example keys -- github       # and the code of "github"
//! YKOTP_READER=virtual:/tmp/k.json cargo run --example keys -- github
//! ```
//! Works without the `cli` feature: `cargo run --no-default-features --example keys`.

use std::time::{SystemTime, UNIX_EPOCH};
use ykotp::discovery::{Error, Keys, Options, Selection, SlotState};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // the same selectors the CLI takes: a reader name or virtual:PATH, a serial or device id
    let reader = std::env::var("YKOTP_READER").ok();
    let device = std::env::var("YKOTP_DEVICE").ok();
    let keys = Keys::new(Selection::parse(reader.as_deref(), device.as_deref()), Options::default())?;
    for slot in keys.list()? {
        match slot.state {
            SlotState::Key(k) => println!(
                "{}: OATH {}, serial {}, device id {}, password {}",
                slot.reader,
                k.version,
                k.serial.map_or("hidden".into(), |s| s.to_string()),
                k.device_id,
                if k.locked { "set" } else { "none" }
            ),
            SlotState::Empty => println!("{}: no card", slot.reader),
            other => println!("{}: {other:?}", slot.reader),
        }
    }
    let Some(account) = std::env::args().nth(1) else { return Ok(()) };
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
    // a locked key needs a password; this example does not ask for one
    let no_password = |s: &mut ykotp::oath::Session<ykotp::discovery::Link<'_>>| {
        if s.is_locked() {
            Err(Error::from(ykotp::oath::Error::Locked))
        } else {
            Ok(())
        }
    };
    let found = keys.find(&account, false, now, no_password, |key, session, rows| {
        let mut codes = Vec::new();
        for row in rows {
            // CALCULATE ALL leaves out touch, HOTP and non-30 s rows: ask for those alone
            let code = match row.code {
                Some(code) => code,
                None => session.calculate(&row.credential, now)?,
            };
            codes.push(format!("{}: {} ({})", row.credential.id_str(), code.value, key.reader));
        }
        Ok::<_, Error>(codes)
    })?;
    if found.holders.is_empty() {
        println!("no account matches {account:?} on {} key(s)", found.searched);
    }
    for line in found.holders.into_iter().flat_map(|(_, codes)| codes) {
        println!("{line}");
    }
    Ok(())
}
