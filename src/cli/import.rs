//! `ykotp import`: otpauth URIs (one per line), Google Authenticator exports
//! (`otpauth-migration://`, several batches), PNG/JPEG images of their QR codes, and
//! the backup files of other tools (PSKC, Aegis, 2FAS, andOTP; see [`crate::formats`]).
//! Everything is read and checked before anything is written; an entry a YubiKey cannot
//! hold is reported as skipped, with the reason.

use super::device::{self, Needs};
use super::report::{CliError, Exit};
use super::{enrol, output, Global};
use crate::formats;
use crate::formats::migration;
use crate::oath::CredentialData;
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;

/// Arguments of `import`.
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// Text files of URIs, or PNG/JPEG images of QR codes; `-` or nothing reads stdin
    files: Vec<PathBuf>,
    /// Show what would be written, and write nothing
    #[arg(long)]
    dry_run: bool,
    /// Overwrite accounts that already exist (otherwise they are skipped)
    #[arg(short, long)]
    force: bool,
    /// Require a touch for every imported account
    #[arg(short, long)]
    touch: bool,
    /// The passphrase of encrypted backups (PSKC, Aegis, andOTP), from this command's first line; otherwise asked
    #[arg(long, value_name = "CMD")]
    passphrase_cmd: Option<String>,
}

/// What the inputs hold: lines of text (URIs), and entries of backup files.
#[derive(Default)]
struct Inputs {
    texts: Vec<(String, zeroize::Zeroizing<String>)>,
    entries: Vec<(String, formats::Entry)>,
}

/// The texts and backup entries in every input.
fn all_inputs(a: &ImportArgs) -> Result<Inputs, CliError> {
    let mut out = Inputs::default();
    let files: Vec<Option<&std::path::Path>> =
        if a.files.is_empty() { vec![None] } else { a.files.iter().map(|f| Some(f.as_path())).collect() };
    for f in files {
        let (name, bytes) = read(f)?;
        if let Some(format) = formats::detect(&bytes) {
            let pw =
                if formats::is_encrypted(format, &bytes) { Some(enrol::passphrase(a.passphrase_cmd.as_deref(), &name)?) } else { None };
            let entries = formats::parse(format, &bytes, pw.as_deref().map(String::as_str))
                .map_err(|e| CliError::new(Exit::Usage, format!("{name}: {e}")).hint("nothing was imported"))?;
            out.entries.extend(entries.into_iter().enumerate().map(|(i, e)| (format!("{name} ({format}, entry {})", i + 1), e)));
        } else {
            out.texts.extend(texts(&name, &bytes)?);
        }
    }
    Ok(out)
}

/// The largest input read: a text file of URIs, a backup file, or a screenshot.
pub const MAX_INPUT_BYTES: u64 = 32 << 20;
/// The largest image decoded, from its header: a 6000x4000 photo of a screen.
pub const MAX_PIXELS: u64 = 24_000_000;
/// Images are searched at most this wide and high (larger ones are scaled down first;
/// an export's QR code stays readable).
const SEARCH_SIDE: u32 = 2048;
/// How long the QR search of one image may take: noise can keep it busy for hours.
const SEARCH_DEADLINE: Duration = Duration::from_secs(10);

/// An input's name and bytes.
fn read(file: Option<&std::path::Path>) -> Result<(String, zeroize::Zeroizing<Vec<u8>>), CliError> {
    Ok(match file {
        None => ("stdin".to_owned(), read_input(std::io::stdin().lock(), "stdin")?),
        Some(p) if p.as_os_str() == "-" => ("stdin".to_owned(), read_input(std::io::stdin().lock(), "stdin")?),
        Some(p) => {
            let f = std::fs::File::open(p).map_err(|e| CliError::new(Exit::Other, format!("cannot read {}: {e}", p.display())))?;
            (p.display().to_string(), read_input(f, &p.display().to_string())?)
        }
    })
}

/// The texts in one input: lines of a text file, or the QR codes of an image.
fn texts(name: &str, bytes: &[u8]) -> Result<Vec<(String, zeroize::Zeroizing<String>)>, CliError> {
    let name = name.to_owned();
    if bytes.starts_with(b"\x89PNG") || bytes.starts_with(&[0xFF, 0xD8]) {
        return qr_codes(&name, bytes);
    }
    let text =
        std::str::from_utf8(bytes).map_err(|_| CliError::new(Exit::Usage, format!("{name} is neither text nor a PNG/JPEG image")))?;
    Ok(text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .map(|(i, l)| (format!("{name}:{}", i + 1), zeroize::Zeroizing::new(l.trim().to_owned())))
        .collect())
}

fn read_input(input: impl std::io::Read, name: &str) -> Result<zeroize::Zeroizing<Vec<u8>>, CliError> {
    use std::io::Read;
    let mut b = zeroize::Zeroizing::new(Vec::new());
    input.take(MAX_INPUT_BYTES + 1).read_to_end(&mut b).map_err(|e| CliError::new(Exit::Other, format!("cannot read {name}: {e}")))?;
    if b.len() as u64 > MAX_INPUT_BYTES {
        return Err(CliError::new(Exit::Usage, format!("{name} is larger than {} MiB", MAX_INPUT_BYTES >> 20)));
    }
    Ok(b)
}

/// Decodes an image whose header promises a sane size, within a memory limit.
fn decode_image(name: &str, bytes: &[u8]) -> Result<image::DynamicImage, CliError> {
    let bad = |e: &dyn std::fmt::Display| CliError::new(Exit::Usage, format!("cannot decode the image {name}: {e}"));
    let reader = || image::ImageReader::new(std::io::Cursor::new(bytes)).with_guessed_format().map_err(|e| bad(&e));
    let (w, h) = reader()?.into_dimensions().map_err(|e| bad(&e))?;
    if u64::from(w) * u64::from(h) > MAX_PIXELS {
        return Err(CliError::new(Exit::Usage, format!("the image {name} is {w}x{h} pixels; at most {MAX_PIXELS} are read"))
            .hint("crop or scale the screenshot to the QR code"));
    }
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(w);
    limits.max_image_height = Some(h);
    // the decoded image (8 bytes a pixel at most) and the decoder's buffers
    limits.max_alloc = Some(MAX_PIXELS * 8 + (64 << 20));
    let mut r = reader()?;
    r.limits(limits);
    let img = r.decode().map_err(|e| bad(&e))?;
    Ok(if w.max(h) > SEARCH_SIDE { img.thumbnail(SEARCH_SIDE, SEARCH_SIDE) } else { img })
}

fn qr_codes(name: &str, bytes: &[u8]) -> Result<Vec<(String, zeroize::Zeroizing<String>)>, CliError> {
    let luma = decode_image(name, bytes)?.to_luma8();
    // rqrr has no limit of its own and noise makes it try every pair of finder-like
    // patterns: search in a thread and give up at the deadline (exiting ends the thread)
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut prepared = rqrr::PreparedImage::prepare(luma);
        let found: Vec<_> = prepared.detect_grids().iter().map(|g| g.decode().map(|(_, c)| zeroize::Zeroizing::new(c))).collect();
        let _ = tx.send(found);
    });
    let found = rx.recv_timeout(SEARCH_DEADLINE).map_err(|_| {
        CliError::new(Exit::Usage, format!("searching {name} for QR codes took more than {}s", SEARCH_DEADLINE.as_secs()))
            .hint("crop the image to the QR code")
    })?;
    let mut out = Vec::new();
    for (i, content) in found.into_iter().enumerate() {
        let content = content.map_err(|e| CliError::new(Exit::Usage, format!("QR code {} in {name} cannot be read: {e}", i + 1)))?;
        out.push((format!("{name} (QR code {})", i + 1), content));
    }
    if out.is_empty() {
        return Err(
            CliError::new(Exit::Usage, format!("no QR code found in {name}")).hint("crop the image to the code, or export it larger")
        );
    }
    Ok(out)
}

/// Every account in the input and every entry a YubiKey cannot hold, or every problem
/// in the input.
fn accounts(inputs: Inputs) -> Result<(Vec<CredentialData>, Vec<Skip>), CliError> {
    let (mut found, mut problems, mut cannot) = (Vec::new(), Vec::new(), Vec::new());
    for (place, entry) in inputs.entries {
        match entry.account {
            Ok(d) => found.push(d),
            Err(why) => cannot.push(Skip { id: entry.label, why: format!("{place}: a YubiKey cannot hold it: {why}") }),
        }
    }
    for (place, text) in &inputs.texts {
        if text.starts_with("otpauth-migration://") {
            match migration::parse(text) {
                Ok(batch) => found.extend(batch.accounts),
                Err(e) => problems.push(format!("{place}: {e}")),
            }
        } else if text.starts_with("otpauth://") {
            match CredentialData::from_uri(text) {
                Ok(d) => found.push(d),
                Err(e) => problems.push(format!("{place}: {e}")),
            }
        } else {
            problems.push(format!("{place}: not an otpauth:// or otpauth-migration:// URI"));
        }
    }
    if let Some(first) = problems.first() {
        let mut e =
            CliError::new(Exit::Usage, format!("{} problem(s) in the input; nothing was imported", problems.len())).hint(first.clone());
        for p in problems.iter().skip(1) {
            e = e.hint(p.clone());
        }
        return Err(e);
    }
    Ok((found, cannot))
}

#[derive(serde::Serialize)]
struct Outcome {
    added: Vec<String>,
    overwritten: Vec<String>,
    skipped: Vec<Skip>,
}

#[derive(serde::Serialize)]
struct Skip {
    id: String,
    why: String,
}

/// Runs `import`.
pub fn run(g: &Global, a: &ImportArgs) -> Result<(), CliError> {
    let (mut found, cannot) = accounts(all_inputs(a)?)?;
    for d in &mut found {
        d.touch |= a.touch;
    }
    if a.dry_run {
        return dry_run(g, &found, &cannot);
    }
    let outcome = device::with_key(g, Needs { serial: true }, |ctx, s| {
        device::unlock(g, s)?;
        let v = s.version();
        let existing: BTreeSet<Vec<u8>> = s.list()?.into_iter().map(|c| c.id).collect();
        let mut out = Outcome { added: Vec::new(), overwritten: Vec::new(), skipped: Vec::new() };
        out.skipped.extend(cannot.iter().map(|s| Skip { id: s.id.clone(), why: s.why.clone() }));
        let mut plan = Vec::new();
        let mut seen = BTreeSet::new();
        for d in &found {
            let id = d.id();
            let skip = |why: &str| Skip { id: id.clone(), why: why.to_owned() };
            if !seen.insert(id.clone()) {
                out.skipped.push(skip("appears twice in the input; the first was used"));
            } else if let Err(e) = crate::oath::session::check_firmware(v, d) {
                out.skipped.push(skip(&e.to_string()));
            } else if existing.contains(id.as_bytes()) && !a.force {
                out.skipped.push(skip("already on the key (use --force to overwrite)"));
            } else {
                plan.push(d);
            }
        }
        let new = plan.iter().filter(|d| !existing.contains(d.id().as_bytes())).count();
        // only a YubiKey's room is known in advance (as `info` shows it); any other card
        // says so itself with 6A84, and then what was imported before is reported
        let capacity = ctx.serial.filter(|_| !s.has_pin_extension()).map(|_| v.capacity());
        if let Some(capacity) = capacity.filter(|&c| existing.len() + new > c) {
            return Err(CliError::new(
                Exit::Unsupported,
                format!("{new} new account(s) do not fit: {} of {capacity} are used", existing.len()),
            )
            .hint("nothing was imported; delete accounts first, or import fewer"));
        }
        for d in plan {
            if let Err(e) = s.put(d) {
                let e = CliError::from(e);
                let done: Vec<String> = out.added.iter().chain(&out.overwritten).cloned().collect();
                return Err(if done.is_empty() {
                    e.hint("nothing was imported")
                } else {
                    e.hint(format!("the key refused \"{}\" after taking {} account(s): {}", d.id(), done.len(), done.join(", ")))
                });
            }
            if existing.contains(d.id().as_bytes()) {
                out.overwritten.push(d.id())
            } else {
                out.added.push(d.id())
            }
        }
        Ok(out)
    })?;
    report(g, &outcome)
}

fn dry_run(g: &Global, found: &[CredentialData], cannot: &[Skip]) -> Result<(), CliError> {
    for s in cannot {
        output::status(&format!("warning: would skip \"{}\": {}", s.id, s.why));
    }
    if g.json {
        let mut rows: Vec<_> = found
            .iter()
            .map(|d| serde_json::json!({ "id": d.id(), "type": d.oath_type, "algorithm": d.algorithm, "digits": d.digits, "period": d.period, "counter": d.counter, "touch": d.touch }))
            .collect();
        rows.extend(cannot.iter().map(|s| serde_json::json!({ "id": s.id, "skipped": s.why })));
        return output::json(&rows);
    }
    let mut rows = vec![vec!["WOULD IMPORT".into(), "TYPE".into(), "ALGORITHM".into(), "DIGITS".into(), "PERIOD".into()]];
    rows.extend(found.iter().map(|d| {
        let period = if d.oath_type == crate::oath::OathType::Totp { format!("{}s", d.period) } else { format!("counter {}", d.counter) };
        vec![d.id(), d.oath_type.to_string(), d.algorithm.to_string(), d.digits.to_string(), period]
    }));
    output::table(&rows)
}

fn report(g: &Global, o: &Outcome) -> Result<(), CliError> {
    for s in &o.skipped {
        output::status(&format!("warning: skipped \"{}\": {}", s.id, s.why));
    }
    if g.json {
        return output::json(o);
    }
    output::status(&format!("imported {} account(s), overwrote {}, skipped {}", o.added.len(), o.overwritten.len(), o.skipped.len()));
    Ok(())
}
