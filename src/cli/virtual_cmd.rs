//! `ykotp virtual init|serve`: a virtual YubiKey in a state file, served to pcscd
//! through vpcd so that any PC/SC program (ykotp, ykman, your scripts) can use it.

use super::report::{CliError, Exit};
use super::{output, Global};
use crate::oath::proto::Version;
use crate::virtual_key::card::{new_state, OsEnv};
use crate::virtual_key::{store, vpcd, Quirks, TouchPolicy, VirtualCard, VirtualKey};
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

/// The virtual-key subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum VirtualCommand {
    /// Create a virtual key's state file
    Init {
        /// The state file to create
        #[arg(long, value_name = "PATH")]
        state: PathBuf,
        /// Firmware version to report (5.7.0 and later hold 64 accounts, earlier 32)
        #[arg(long, default_value = "5.4.3")]
        firmware: Version,
        /// Serial number (random when not given)
        #[arg(long, conflicts_with = "hide_serial")]
        serial: Option<u32>,
        /// Report no serial number, like a key configured to hide it
        #[arg(long)]
        hide_serial: bool,
        /// What touch accounts get: approve, deny, delay=MS or fifo=PATH
        #[arg(long, default_value = "approve")]
        touch: TouchPolicy,
        /// Largest response per APDU before 61xx chaining
        #[arg(long, default_value_t = 254)]
        chunk: usize,
        /// Behave like another YKOATH card (repeatable): missing-le-means-zero, empty-61xx,
        /// no-calculate-all, no-overwrite, touch-on-delete, volatile-salt, set-code-ignored,
        /// never-answers, capacity=N
        #[arg(long, value_name = "QUIRK")]
        quirk: Vec<Quirks>,
        /// Replace an existing state file
        #[arg(short, long)]
        force: bool,
    },
    /// Serve a virtual key to pcscd through the vsmartcard vpcd driver
    Serve {
        /// The state file (created on first use)
        #[arg(long, value_name = "PATH")]
        state: PathBuf,
        /// vpcd's address
        #[arg(long, value_name = "HOST:PORT", default_value = vpcd::DEFAULT_ADDR)]
        vpcd: String,
        /// What touch accounts get: approve, deny, delay=MS or fifo=PATH (default: the state file's)
        #[arg(long)]
        touch: Option<TouchPolicy>,
        /// Simulate a slow card: take MS milliseconds to answer each APDU
        #[arg(long, value_name = "MS", default_value_t = 0)]
        latency: u64,
    },
}

/// Runs a virtual-key subcommand.
pub fn run(_g: &Global, c: VirtualCommand) -> Result<(), CliError> {
    match c {
        VirtualCommand::Init { state, firmware, serial, hide_serial, touch, chunk, quirk, force } => {
            let exists = state.exists();
            if exists && !force {
                return Err(CliError::new(Exit::Refused, format!("{} already exists", state.display())).hint("add --force to replace it"));
            }
            crate::private_file::check_file_and_dir(&state, crate::private_file::Kind::ParentDir)?;
            let _lock = VirtualCard::lock_for_serving(&state)?;
            let mut s = new_state();
            s.version = firmware;
            s.touch = touch;
            s.chunk_size = chunk.max(1);
            for q in quirk.iter().flat_map(Quirks::names) {
                s.quirks.add(&q).map_err(|e| CliError::new(Exit::Usage, e))?;
            }
            if hide_serial {
                s.serial = None;
            } else if serial.is_some() {
                s.serial = serial;
            }
            store::save(&state, &s).map_err(|e| CliError::new(Exit::Other, e.to_string()))?;
            let quirks = if s.quirks.is_empty() { String::new() } else { format!(", quirks: {}", s.quirks.names().join(" ")) };
            output::status(&format!("created a virtual key in {} (firmware {firmware}{quirks})", state.display()));
            Ok(())
        }
        VirtualCommand::Serve { state, vpcd: addr, touch, latency } => {
            serve(&state, &addr, touch, vpcd::Options { latency: std::time::Duration::from_millis(latency) })
        }
    }
}

fn serve(path: &std::path::Path, addr: &str, touch: Option<TouchPolicy>, options: vpcd::Options) -> Result<(), CliError> {
    crate::private_file::check_file_and_dir(path, crate::private_file::Kind::ParentDir)?;
    let _lock = VirtualCard::lock_for_serving(path).map_err(|e| match e {
        crate::transport::TransportError::Busy => {
            CliError::new(Exit::Busy, format!("the virtual key {} is in use by another ykotp", path.display()))
        }
        other => other.into(),
    })?;
    let fail = |e: store::StoreError| CliError::new(Exit::Other, e.to_string());
    let state = match store::load(path).map_err(fail)? {
        Some(s) => s,
        None => {
            let s = new_state();
            store::save(path, &s).map_err(fail)?;
            s
        }
    };
    let mut env = OsEnv { touch: touch.unwrap_or_else(|| state.touch.clone()), announce: true };
    let serial = state.serial.map_or("hidden".to_owned(), |s| s.to_string());
    output::status(&format!(
        "virtual key {} (serial {serial}, firmware {}, touch {}) for vpcd at {addr}",
        path.display(),
        state.version,
        env.touch
    ));
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register(signal, Arc::clone(&stop))
            .map_err(|e| CliError::new(Exit::Other, format!("cannot handle signals: {e}")))?;
    }
    let mut key = VirtualKey::new(state);
    vpcd::serve(addr, path, &mut key, &mut env, &stop, &mut std::io::stderr(), options)
        .map_err(|e| CliError::new(Exit::Other, format!("the virtual key stopped: {e}")))?;
    output::status("virtual key stopped");
    Ok(())
}
