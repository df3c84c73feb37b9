//! Enrolment options of `put`: a generated secret, a backup made before the key is
//! written (a command's stdin, a passphrase-protected PSKC file), and the provisioning
//! URI as a QR code for a phone. The secret leaves ykotp only through these sinks, or
//! once on the terminal with --show-secret; never argv, never stdout, never a log.
//!
//! Order: everything that can fail without a trace (terminal, passphrase, target file)
//! is checked first; the backups are made after the key accepted the checks and before
//! PUT, so a failed backup leaves the key untouched and a refused PUT leaves the person
//! told where the backup is.

use super::report::{CliError, Exit};
use super::{prompt, secret};
use crate::formats::pskc;
use crate::oath::CredentialData;
use crate::otp::Secret;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use zeroize::Zeroizing;

/// What `ykman oath accounts add -g` generates, and RFC 4226's recommended length.
const GENERATED_BYTES: u8 = 20;

/// Enrolment options (flattened into `put`).
#[derive(Debug, clap::Args)]
pub struct EnrolArgs {
    /// Generate a random secret (20 bytes from the OS) instead of reading one
    #[arg(short = 'g', long, conflicts_with_all = ["secret", "secret_cmd", "secret_file", "uri"])]
    pub generate: bool,
    /// With --generate: the secret's length in bytes (16, RFC 4226's minimum, to 64)
    #[arg(long, value_name = "N", requires = "generate", value_parser = clap::value_parser!(u8).range(16..=64))]
    pub generate_bytes: Option<u8>,
    /// Before writing the key, pipe the otpauth:// URI into CMD's stdin (e.g. 'pass insert -m totp/aws'); if CMD fails, nothing is written
    #[arg(long, value_name = "CMD")]
    pub backup_cmd: Option<String>,
    /// Before writing the key, write a passphrase-protected PSKC backup to FILE (as ykman's -O; mode 0600; never overwrites)
    #[arg(long, value_name = "FILE")]
    pub backup_file: Option<PathBuf>,
    /// Take the backup file's passphrase from the first line of this command's output (otherwise asked twice)
    #[arg(long, value_name = "CMD", requires = "backup_file")]
    pub backup_passphrase_cmd: Option<String>,
    /// After writing the key, show the otpauth:// URI as a QR code on the terminal (for a phone app)
    #[arg(long)]
    pub qr: bool,
    /// After writing the key, show the secret (base32) once on the terminal
    #[arg(long)]
    pub show_secret: bool,
}

/// What was checked before touching the key.
pub struct Prepared {
    passphrase: Option<Zeroizing<String>>,
}

/// The backups made, named for a person.
#[derive(Debug, Default)]
pub struct Made(Vec<String>);

impl EnrolArgs {
    /// With --generate, a credential with a fresh random secret and `params`.
    pub fn generated(&self, params: &secret::ParamArgs) -> Result<Option<CredentialData>, CliError> {
        if !self.generate {
            return Ok(None);
        }
        let mut bytes = Zeroizing::new(vec![0u8; usize::from(self.generate_bytes.unwrap_or(GENERATED_BYTES))]);
        getrandom::fill(&mut bytes).map_err(|e| CliError::new(Exit::Other, format!("the operating system gave no random bytes: {e}")))?;
        let mut d = CredentialData::totp("", Secret::new(bytes.to_vec()));
        d.oath_type = params.oath_type;
        d.algorithm = params.algorithm;
        d.digits = params.digits;
        d.period = params.period.unwrap_or(crate::oath::credential::DEFAULT_PERIOD);
        Ok(Some(d))
    }

    /// Everything that must hold before the key is touched: a terminal for what is
    /// shown on it, a backup file that does not exist yet, its passphrase.
    pub fn prepare(&self) -> Result<Prepared, CliError> {
        for (asked, what) in [(self.qr, "--qr"), (self.show_secret, "--show-secret")] {
            if asked && !prompt::interactive() {
                return Err(CliError::new(Exit::Usage, format!("{what} shows the secret on a terminal, and there is none"))
                    .hint("use --backup-cmd or --backup-file to keep the secret elsewhere"));
            }
        }
        let Some(file) = &self.backup_file else { return Ok(Prepared { passphrase: None }) };
        refuse_existing(file)?;
        let passphrase = match &self.backup_passphrase_cmd {
            Some(cmd) => passphrase_from(cmd, "--backup-passphrase-cmd")?,
            None if prompt::interactive() => {
                let first = prompt::password("Passphrase for the PSKC backup: ")?;
                let again = prompt::password("The same passphrase again: ")?;
                if *first != *again {
                    return Err(CliError::new(Exit::Usage, "the two passphrases differ; nothing was written"));
                }
                first
            }
            None => {
                return Err(CliError::new(Exit::Usage, "--backup-file needs a passphrase and there is no terminal to ask on")
                    .hint("give it with --backup-passphrase-cmd 'pass show backup-passphrase'"))
            }
        };
        if passphrase.chars().count() < pskc::MIN_PASSPHRASE {
            return Err(CliError::new(Exit::Usage, format!("the backup passphrase must be at least {} characters", pskc::MIN_PASSPHRASE)));
        }
        Ok(Prepared { passphrase: Some(passphrase) })
    }

    /// Makes every backup asked for. On failure nothing more is done, and the error
    /// says which backups exist already.
    pub fn backup(&self, prepared: &Prepared, data: &CredentialData) -> Result<Made, CliError> {
        let mut made = Made::default();
        if let (Some(file), Some(passphrase)) = (&self.backup_file, &prepared.passphrase) {
            refuse_existing(file)?;
            let xml = pskc::write(&[data], passphrase, &mut |b| fill_random(b));
            crate::private_file::write(file, xml.as_bytes()).map_err(|e| {
                CliError::new(Exit::Other, format!("cannot write the backup {}: {e}", file.display())).hint(NOTHING_WRITTEN)
            })?;
            made.0.push(format!("the PSKC file {}", file.display()));
        }
        if let Some(cmd) = &self.backup_cmd {
            if let Err(e) = pipe_uri(cmd, data) {
                return Err(made.tell(e.hint(NOTHING_WRITTEN)));
            }
            made.0.push("what --backup-cmd stored".to_owned());
        }
        Ok(made)
    }

    /// After the key took the secret: the QR code and the secret, on the terminal only.
    pub fn show(&self, data: &CredentialData) -> Result<(), CliError> {
        let uri = Zeroizing::new(data.to_uri());
        if self.qr {
            let qr = qr_text(&uri)?;
            prompt::to_terminal(&qr).map_err(|e| CliError::new(Exit::Other, format!("cannot show the QR code: {e}")))?;
        }
        if self.show_secret {
            let text = Zeroizing::new(format!("Secret (base32): {}", crate::otp::encode_secret(data.secret.as_bytes())));
            prompt::to_terminal(&text).map_err(|e| CliError::new(Exit::Other, format!("cannot show the secret: {e}")))?;
        }
        Ok(())
    }
}

const NOTHING_WRITTEN: &str = "nothing was written to the key";

impl Made {
    /// Adds to an error after the backups: where they are, so none is forgotten.
    pub fn tell(&self, e: CliError) -> CliError {
        if self.0.is_empty() {
            return e;
        }
        e.hint(format!(
            "the backup exists already, in {}: it holds a secret the key does not; delete it, or keep it for a retry",
            self.0.join(" and ")
        ))
    }
}

fn passphrase_from(cmd: &str, what: &str) -> Result<Zeroizing<String>, CliError> {
    Ok(Zeroizing::new(secret::first_line(&secret::run_command(cmd, what)?).to_owned()))
}

/// The passphrase of a file being read: from `cmd`, or asked once on the terminal.
pub fn passphrase(cmd: Option<&str>, file: &str) -> Result<Zeroizing<String>, CliError> {
    match cmd {
        Some(cmd) => passphrase_from(cmd, "--passphrase-cmd"),
        None if prompt::interactive() => prompt::password(&format!("Passphrase for {file}: ")),
        None => Err(CliError::new(Exit::Usage, format!("{file} is encrypted and there is no terminal to ask for its passphrase"))
            .hint("give it with --passphrase-cmd 'pass show …'")),
    }
}

/// A PSKC backup in `file` (as --backup-file writes it), read for `check`: the
/// otpauth URI of its account called `query`, or of its only account. `None` when the
/// file is no PSKC (then it holds a secret or URI on its first line).
pub fn backup_in_file(
    file: Option<&std::path::Path>,
    query: &str,
    passphrase_cmd: Option<&str>,
) -> Result<Option<Zeroizing<String>>, CliError> {
    use crate::formats::{self, Format};
    let Some(file) = file else { return Ok(None) };
    let bytes = Zeroizing::new(
        std::fs::read(file).map_err(|e| CliError::new(Exit::Other, format!("cannot read the backup {}: {e}", file.display())))?,
    );
    if formats::detect(&bytes) != Some(Format::Pskc) {
        return Ok(None);
    }
    let name = file.display().to_string();
    let pw = if formats::is_encrypted(Format::Pskc, &bytes) { Some(passphrase(passphrase_cmd, &name)?) } else { None };
    let entries = formats::parse(Format::Pskc, &bytes, pw.as_deref().map(String::as_str))
        .map_err(|e| CliError::new(Exit::Usage, format!("{name}: {e}")))?;
    let usable: Vec<&CredentialData> = entries.iter().filter_map(|e| e.account.as_ref().ok()).collect();
    let matching: Vec<&CredentialData> = usable.iter().copied().filter(|d| d.id() == query || d.name == query).collect();
    let chosen = match (&matching[..], &usable[..]) {
        ([one], _) | ([], [one]) => *one,
        _ => {
            return Err(CliError::new(Exit::Usage, format!("{name} holds {} accounts and none is called \"{query}\"", usable.len()))
                .hint("name the account as it is in the backup"))
        }
    };
    Ok(Some(Zeroizing::new(chosen.to_uri())))
}

fn fill_random(b: &mut [u8]) {
    // a machine without an OS random source cannot make a backup worth having
    #[allow(clippy::expect_used)]
    getrandom::fill(b).expect("the operating system's random source failed");
}

fn refuse_existing(file: &std::path::Path) -> Result<(), CliError> {
    if file.symlink_metadata().is_ok() {
        return Err(CliError::new(Exit::Refused, format!("{} exists; a backup never overwrites a file", file.display()))
            .hint("choose a new file name"));
    }
    Ok(())
}

/// Runs `sh -c CMD` with the URI and a newline on its stdin; its stdout goes to our
/// stderr so that ours stays for results.
fn pipe_uri(cmd: &str, data: &CredentialData) -> Result<(), CliError> {
    let fail = |e: std::io::Error| CliError::new(Exit::Other, format!("cannot run the --backup-cmd command: {e}"));
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .stdin(Stdio::piped())
        .stdout(std::io::stderr())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(fail)?;
    let uri = Zeroizing::new(format!("{}\n", data.to_uri()));
    let written = child.stdin.take().map(|mut stdin| stdin.write_all(uri.as_bytes()));
    let status = child.wait().map_err(fail)?;
    if !status.success() {
        let code = status.code().map_or("a signal".to_owned(), |c| format!("status {c}"));
        return Err(CliError::new(Exit::Other, format!("the --backup-cmd command failed with {code}"))
            .hint(format!("check that `{cmd}` works on its own")));
    }
    // a command that exits 0 without reading the URI has not stored it
    if let Some(Err(e)) = written {
        return Err(CliError::new(Exit::Other, format!("the --backup-cmd command did not read the URI: {e}")));
    }
    Ok(())
}

/// The URI as a QR code in Unicode half blocks, two modules a character. The block
/// characters are the light modules, for terminals that draw light text on dark.
fn qr_text(uri: &str) -> Result<String, CliError> {
    use qrcode::render::unicode::Dense1x2;
    let code =
        qrcode::QrCode::new(uri.as_bytes()).map_err(|e| CliError::new(Exit::Usage, format!("the URI does not fit in a QR code: {e}")))?;
    Ok(code.render::<Dense1x2>().dark_color(Dense1x2::Light).light_color(Dense1x2::Dark).quiet_zone(true).build())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads the rendered text back as an image and decodes it with rqrr.
    #[test]
    fn the_qr_code_decodes_to_the_uri() {
        let uri = "otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&issuer=Example&algorithm=SHA1&digits=6&period=30";
        let text = qr_text(uri).unwrap();
        let rows: Vec<Vec<char>> = text.lines().map(|l| l.chars().collect()).collect();
        let (w, h, scale) = (rows[0].len(), rows.len() * 2, 4);
        let img = image::GrayImage::from_fn((w * scale) as u32, (h * scale) as u32, |x, y| {
            let (col, half) = (x as usize / scale, y as usize / scale);
            let c = rows[half / 2].get(col).copied().unwrap_or(' ');
            let light = match c {
                '█' => true,
                '▀' => half % 2 == 0,
                '▄' => half % 2 == 1,
                _ => false,
            };
            image::Luma([if light { 255 } else { 0 }])
        });
        let mut prepared = rqrr::PreparedImage::prepare(img);
        let grids = prepared.detect_grids();
        assert_eq!(grids.len(), 1);
        assert_eq!(grids[0].decode().unwrap().1, uri);
    }
}
