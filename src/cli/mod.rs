//! The command-line interface: clap definitions, and dispatch to one module per command.
//! The CLI owns wording, prompts, output formats and exit codes; the library owns types.

mod askpass;
mod calc;
mod check;
mod clip;
mod code;
mod complete;
mod config;
mod countdown;
mod device;
mod doctor;
mod enrol;
mod fresh;
mod import;
mod info;
mod keystore;
mod list;
mod man;
mod manage;
mod memory;
mod notify;
mod output;
mod password;
mod prompt;
mod put;
mod report;
mod secret;
mod state_file;
mod table;
mod ui;
mod virtual_cmd;

pub use report::{CliError, Exit};

use clap::{Args, Parser, Subcommand};
use std::process::ExitCode;

/// Keep TOTP/HOTP secrets on a YubiKey and let the key compute the codes.
#[derive(Debug, Parser)]
#[command(name = "ykotp", version, about, long_about = None, after_help = report::EXIT_CODES_HELP)]
pub struct Cli {
    #[command(flatten)]
    global: Global,
    /// None: the dashboard on a terminal, else the usage error it always was
    #[command(subcommand)]
    command: Option<Command>,
}

/// Options every command takes, listed under their own heading in every command's help.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Global options")]
pub struct Global {
    /// Use the reader whose name contains NAME (case-insensitive), or virtual:PATH for a
    /// file-backed virtual YubiKey
    #[arg(short, long, global = true, env = "YKOTP_READER", value_name = "NAME")]
    pub reader: Option<String>,
    /// Use the key with this serial number or OATH device id
    #[arg(short, long, global = true, env = "YKOTP_DEVICE", value_name = "ID")]
    pub device: Option<String>,
    /// Print results as JSON
    #[arg(long, global = true)]
    pub json: bool,
    /// Print the APDU exchange on stderr (keys and MACs redacted)
    #[arg(long, global = true)]
    pub trace: bool,
    /// The config file (default: $XDG_CONFIG_HOME/ykotp/config.toml)
    #[arg(long, global = true, env = "YKOTP_CONFIG", value_name = "FILE")]
    pub config: Option<std::path::PathBuf>,
    /// Command that prints the key's password (first line), for keys that are locked
    #[arg(long, global = true, env = "YKOTP_PASSWORD_CMD", value_name = "CMD")]
    pub password_cmd: Option<String>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// List the readers and the OATH keys in them
    Readers,
    /// Show the OATH applet: version, password, device id, serial, space used
    Info,
    /// Import accounts: otpauth URIs, Google Authenticator exports, QR code images
    Import(import::ImportArgs),
    /// List the accounts on the key
    List(list::ListArgs),
    /// Print codes: one account's code alone, or a table of all
    Code(code::CodeArgs),
    /// Answer a login prompt by the config's rules (SSH_ASKPASS, SUDO_ASKPASS)
    Askpass(askpass::AskpassArgs),
    /// A live dashboard of every key's codes: filter, pick, copy (what `ykotp` alone opens on a terminal)
    Ui(ui::UiArgs),
    /// Compute codes in software from a backup secret (no key needed)
    Calc(calc::CalcArgs),
    /// Prove that a backup secret matches the account on the key (prints neither)
    Check(check::CheckArgs),
    /// Add an account (the secret goes into the key and never comes back out)
    Put(put::PutArgs),
    /// Delete an account
    Delete(manage::DeleteArgs),
    /// Rename an account (firmware 5.3.1 or later)
    Rename(manage::RenameArgs),
    /// Delete every account and the password
    Reset(manage::ResetArgs),
    /// Set, change, clear, remember or forget the key's password
    #[command(subcommand)]
    Password(password::PasswordCommand),
    /// Check pcscd, readers, keys, the clock and the config, and say how to fix problems
    Doctor,
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell); it completes
    /// account names from the attached key: `source <(ykotp completions bash)`
    Completions {
        /// The shell
        shell: clap_complete::Shell,
    },
    /// Print the manual page, ykotp(1), in roff: `ykotp man > ~/.cargo/share/man/man1/ykotp.1`
    Man,
    /// Run a virtual YubiKey (for tests and demos)
    #[command(subcommand)]
    Virtual(virtual_cmd::VirtualCommand),
    /// The detached helper of `code --clip`: serves the clipboard, then clears it
    #[command(name = "__clip", hide = true)]
    ClipServe {
        /// Seconds until the clipboard is cleared
        seconds: u64,
    },
}

/// Entry point: parse, run, report.
pub fn main() -> ExitCode {
    memory::protect();
    complete::answer_if_asked();
    let cli = match Cli::try_parse_from(askpass::args(std::env::args_os().collect())) {
        Ok(cli) => cli,
        Err(e) => {
            // clap prints help/version on stdout (exit 0) and usage errors on stderr (exit 2)
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { Exit::Usage as u8 } else { 0 });
        }
    };
    if cli.command.is_none() && !ui::possible() {
        // no terminal: bare `ykotp` stays the usage error scripts have always seen
        let cmd = <Cli as clap::CommandFactory>::command().subcommand_required(true).arg_required_else_help(true);
        if let Err(e) = cmd.try_get_matches_from(std::env::args_os()) {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { Exit::Usage as u8 } else { 0 });
        }
    }
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => e.report(),
    }
}

fn run(cli: Cli) -> Result<(), CliError> {
    let g = &cli.global;
    let Some(command) = cli.command else { return ui::run(g, &ui::UiArgs::default()) };
    match command {
        Command::Ui(a) => ui::run(g, &a),
        Command::Readers => info::readers(g),
        Command::Info => info::info(g),
        Command::List(a) => list::run(g, &a),
        Command::Code(a) => code::run(g, &a),
        Command::Put(a) => put::run(g, a),
        Command::Askpass(a) => askpass::run(g, &a),
        Command::Calc(a) => calc::run(g, &a),
        Command::Check(a) => check::run(g, &a),
        Command::Import(a) => import::run(g, &a),
        Command::Delete(a) => manage::delete(g, &a),
        Command::Rename(a) => manage::rename(g, &a),
        Command::Reset(a) => manage::reset(g, &a),
        Command::Password(c) => password::run(g, c),
        Command::Virtual(c) => virtual_cmd::run(g, c),
        Command::Completions { shell } => complete::script(shell),
        Command::Doctor => doctor::run(g),
        Command::ClipServe { seconds } => clip::serve(seconds),
        Command::Man => output::line(man::page()?.trim_end()),
    }
}
