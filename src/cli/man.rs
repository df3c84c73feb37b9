//! `ykotp man`: the whole manual in one page, ykotp(1). The commands and their options
//! come from clap, as `--help` shows them, so the page cannot drift from the program;
//! the prose sections are `man.txt`, in a small markup of its own (below); ENVIRONMENT
//! and EXIT STATUS come from the tables here and in `report.rs`.
//!
//! `man.txt`: `# HEADING` starts a section; a blank line ends a paragraph; `: TAG` starts
//! an indented item whose body is the following lines; `$ line` lines are shown as they
//! are (examples); `` `text` `` is bold; `@NAME` places a generated section.

use super::report::{CliError, Exit};
use roff::{bold, roman, Inline, Roff};

const TEXT: &str = include_str!("man.txt");

/// Every environment variable ykotp reads, and what for.
pub const ENVIRONMENT: &[(&str, &str)] = &[
    ("YKOTP_READER", "The default for `--reader`; also the key shell completion lists accounts from."),
    ("YKOTP_DEVICE", "The default for `--device`; also used by shell completion."),
    ("YKOTP_PASSWORD_CMD", "The default for `--password-cmd`."),
    ("YKOTP_CONFIG", "The default for `--config` (the config file)."),
    ("YKOTP_CLIP_TIME", "Seconds before `code --clip` clears the clipboard (default 45)."),
    ("YKOTP_NO_TTY", "When set, ykotp behaves as if there were no terminal: no prompts, no countdowns, the output scripts get."),
    ("YKOTP_NOTIFY", "`0` (or `no`, `false`, `off`): no desktop notification for a touch without a terminal; `1`: one even if the config says `notify = false`."),
    ("YKOTP_VIRTUAL_TOUCH", "The touch policy of `virtual:PATH` keys: `approve`, `deny`, `delay=MS` or `fifo=PATH`."),
    ("YKOTP_VIRTUAL_WAIT_MS", "How long to wait for another process holding a `virtual:PATH` key (default 10000)."),
    (
        "YKOTP_COMPLETE",
        "Set by the scripts of `ykotp completions` when they call ykotp back: ykotp then prints completions and runs no command.",
    ),
    (
        "YKOTP_ASKPASS_PASSED_ON",
        "Set by `ykotp askpass` for its fallback program: an `ykotp askpass` that finds it refuses to call the fallback again.",
    ),
    (
        "SSH_ASKPASS_PROMPT",
        "Set by ssh for its askpass program: `confirm` and `none` mark questions `ykotp askpass` never answers by a rule.",
    ),
    ("XDG_CONFIG_HOME", "Where the config file lives (`ykotp/config.toml`); `~/.config` when unset."),
    ("XDG_DATA_HOME", "Where remembered passwords live (`ykotp/keys.json`); `~/.local/share` when unset."),
    ("XDG_STATE_HOME", "Where `--fresh` remembers time steps (`ykotp/fresh.json`); `~/.local/state` when unset."),
    ("HOME", "The base of the default directories above."),
    ("DISPLAY", "The X11 display whose clipboard `--clip` uses."),
    ("WAYLAND_DISPLAY", "The Wayland display whose clipboard `--clip` uses (through the data-control protocol)."),
    ("DBUS_SESSION_BUS_ADDRESS", "The D-Bus session bus a touch notification goes to (read by the D-Bus library; Linux and the BSDs)."),
    ("PCSCLITE_CSOCK_NAME", "pcsc-lite's client socket, when not the default (read by the PC/SC library)."),
];

/// The page, in roff.
pub fn page() -> Result<String, CliError> {
    let cmd = <super::Cli as clap::CommandFactory>::command();
    let man = clap_mangen::Man::new(cmd.clone()).title("YKOTP").manual("User Commands");
    // every rendered piece starts with the roff preamble: the page has it once
    let preamble = Roff::new().render();
    let mut out = preamble.clone();
    let mut clap = |render: &dyn Fn(&mut Vec<u8>) -> std::io::Result<()>| -> Result<String, CliError> {
        let mut buf = Vec::new();
        render(&mut buf).map_err(|e| CliError::new(Exit::Other, format!("cannot render the manual page: {e}")))?;
        Ok(without(&String::from_utf8_lossy(&buf), &preamble))
    };
    out += &clap(&|w| man.render_title(w))?;
    out += &clap(&|w| man.render_name_section(w))?;
    out += &clap(&|w| man.render_synopsis_section(w))?;
    let mut prose = Roff::new();
    let mut lines = TEXT.lines().peekable();
    while let Some(line) = lines.next() {
        if let Some(name) = line.strip_prefix('@') {
            out += &body(&prose, &preamble);
            prose = Roff::new();
            out += &match name {
                "GLOBAL OPTIONS" => clap(&|w| man.render_options_section(w))?,
                "COMMANDS" => commands(&cmd, &mut clap)?,
                "ENVIRONMENT" => body(&environment(), &preamble),
                "EXIT STATUS" => body(&exit_status(), &preamble),
                other => return Err(CliError::new(Exit::Other, format!("man.txt places an unknown section @{other}"))),
            };
        } else if let Some(heading) = line.strip_prefix("# ") {
            prose.control("SH", [heading]);
        } else if let Some(tag) = line.strip_prefix(": ") {
            prose.control("TP", []);
            prose.text(inline(tag));
            prose.text(inline(&paragraph(&mut lines)));
        } else if line.starts_with('$') {
            prose.control("PP", []).control("RS", ["4"]).control("nf", []);
            let mut example = Some(line);
            while let Some(l) = example {
                match l[1..].strip_prefix(' ') {
                    Some(text) => prose.text([roman(text)]),
                    None => prose.control("sp", []),
                };
                example = lines.next_if(|l| l.starts_with('$'));
            }
            prose.control("fi", []).control("RE", []);
        } else if !line.trim().is_empty() {
            let mut text = line.to_owned();
            text.push(' ');
            text += &paragraph(&mut lines);
            prose.control("PP", []);
            prose.text(inline(text.trim_end()));
        }
    }
    out += &body(&prose, &preamble);
    Ok(ascii(&out))
}

/// Non-ASCII characters as groff's `\[uXXXX]` escapes: man(1) may read the page in
/// any locale, and groff without preconv reads bytes, not UTF-8.
fn ascii(roff: &str) -> String {
    roff.chars()
        .map(|c| match c {
            c if c.is_ascii() => c.to_string(),
            // what groff can also show on an ASCII terminal
            '\u{2026}' => "...".into(),
            '\u{2014}' => "\\(em".into(),
            '\u{2013}' => "\\(en".into(),
            c => format!("\\[u{:04X}]", c as u32),
        })
        .collect()
}

/// The lines up to the next blank line (or example), joined.
fn paragraph<'a>(lines: &mut std::iter::Peekable<impl Iterator<Item = &'a str>>) -> String {
    let mut text = Vec::new();
    while let Some(l) = lines.next_if(|l| !l.trim().is_empty() && !l.starts_with('$')) {
        text.push(l.trim());
    }
    text.join(" ")
}

/// `` `bold` `` spans; the rest roman.
fn inline(text: &str) -> Vec<Inline> {
    text.split('`').enumerate().filter(|(_, s)| !s.is_empty()).map(|(i, s)| if i % 2 == 1 { bold(s) } else { roman(s) }).collect()
}

fn body(roff: &Roff, preamble: &str) -> String {
    without(&roff.render(), preamble)
}

fn without(text: &str, preamble: &str) -> String {
    text.strip_prefix(preamble).unwrap_or(text).to_owned()
}

type Render<'a> = dyn FnMut(&dyn Fn(&mut Vec<u8>) -> std::io::Result<()>) -> Result<String, CliError> + 'a;

/// Every visible command, nested ones under their parent: what it does, its synopsis
/// and its own options (the global ones are listed once, above).
fn commands(cmd: &clap::Command, clap: &mut Render<'_>) -> Result<String, CliError> {
    let mut cmd = cmd.clone();
    // built, the commands carry the global options their conflicts refer to
    cmd.build();
    let mut out = String::new();
    walk(&cmd, "ykotp", clap, &mut out)?;
    Ok(out)
}

fn walk(cmd: &clap::Command, path: &str, clap: &mut Render<'_>, out: &mut String) -> Result<(), CliError> {
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set() && s.get_name() != "help") {
        let name = format!("{path} {}", sub.get_name());
        let mut head = Roff::new();
        head.control("SS", [name.as_str()]);
        if let Some(about) = sub.get_long_about().or(sub.get_about()) {
            head.text([roman(about.to_string())]);
        }
        out.push_str(&body(&head, &Roff::new().render()));
        if sub.has_subcommands() {
            walk(sub, &name, clap, out)?;
            continue;
        }
        let own = sub.clone().mut_args(|a| if a.is_global_set() { a.hide(true) } else { a });
        let man = clap_mangen::Man::new(own.bin_name(&name));
        let mut section = clap(&|w| man.render_synopsis_section(w))?;
        section += &clap(&|w| man.render_options_section(w))?;
        // the command's parts go under its own heading, not as sections of the page
        for line in section.lines() {
            match line {
                ".SH SYNOPSIS" => out.push_str(".PP\n"),
                ".SH OPTIONS" => {}
                l if l.starts_with(".SH ") => out.push_str(&format!(".PP\n\\fB{}\\fR\n", l[4..].trim_matches('"'))),
                l => {
                    out.push_str(l);
                    out.push('\n');
                }
            }
        }
    }
    Ok(())
}

fn environment() -> Roff {
    let mut r = Roff::new();
    r.control("SH", ["ENVIRONMENT"]);
    for (name, meaning) in ENVIRONMENT {
        r.control("TP", []).text([bold(*name)]).text(inline(meaning));
    }
    r
}

fn exit_status() -> Roff {
    let mut r = Roff::new();
    r.control("SH", ["EXIT STATUS"]);
    r.control("TP", []).text([bold("0")]).text([roman("success")]);
    for e in Exit::ALL {
        r.control("TP", []).text([bold((e as u8).to_string())]).text([roman(e.meaning())]);
    }
    r
}
