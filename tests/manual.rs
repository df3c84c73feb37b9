//! The manual page, `ykotp man`: rendered by the real groff and man(1) without a
//! warning, and complete against the program itself. The commands and options come from
//! `--help`; the environment variables and exit codes are collected from the source
//! (src/), so a new variable or exit code without its line in the page fails here; the
//! hints that send people to the manual name sections it has; it names no page that
//! does not exist. scripts/bootstrap installs groff and man-db.

mod common;
use common::*;
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

/// Pages outside ykotp that the manual may name: each ships with the program it
/// documents (ykman with yubikey-manager, oathtool with oath-toolkit, …).
const EXTERNAL_PAGES: &[&str] = &["ykman(1)", "oathtool(1)", "pass(1)", "pcscd(8)", "ssh(1)", "sudo(8)"];

fn roff() -> String {
    Ykotp::virtual_key().run(&["man"]).ok().to_owned()
}

/// `groff` (or `man`) with the page on stdin.
fn render(program: &str, args: &[&str], page: &str) -> Out {
    let mut c = Command::new(program);
    c.args(args).env("LANG", "C.UTF-8").env("MANWIDTH", "100").env_remove("MANPAGER").env_remove("PAGER");
    exec(c, Some(page))
}

/// The page as a person reads it: man(1)'s plain text, words hyphenated at the end of
/// a line joined again.
fn text() -> String {
    let out = render("man", &["-l", "-"], &roff());
    assert_eq!((out.code, out.stderr.as_str()), (0, ""), "man -l - failed");
    let mut text = String::new();
    let mut lines = out.stdout.lines();
    while let Some(mut line) = lines.next().map(str::to_owned) {
        while let Some(head) = line.strip_suffix('\u{2010}') {
            line = format!("{head}{}", lines.next().unwrap_or_default().trim_start());
        }
        text.push_str(&line);
        text.push('\n');
    }
    text
}

/// The body of a section of the plain text: from its heading (at the left margin) to
/// the next line at the left margin (a heading, or the footer).
fn section<'a>(text: &'a str, name: &str) -> &'a str {
    let start = text.find(&format!("\n{name}\n")).unwrap_or_else(|| panic!("the page has no {name} section")) + name.len() + 2;
    let end = text[start..]
        .match_indices('\n')
        .map(|(i, _)| start + i + 1)
        .find(|&i| text[i..].starts_with(|c: char| !c.is_whitespace()))
        .unwrap_or(text.len());
    &text[start..end]
}

/// Every source file of the program.
fn sources() -> Vec<(String, String)> {
    fn walk(dir: &Path, out: &mut Vec<(String, String)>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push((p.display().to_string(), std::fs::read_to_string(&p).unwrap()));
            }
        }
    }
    let mut out = Vec::new();
    walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut out);
    assert!(out.len() > 20, "found the sources");
    out
}

/// The string literals of a line (good enough for the code here: no escaped quotes
/// around the names looked for).
fn literals(line: &str) -> impl Iterator<Item = (&str, &str)> {
    let parts: Vec<&str> = line.split('"').collect();
    (1..parts.len()).step_by(2).map(move |i| (parts[i - 1], parts[i]))
}

/// Every environment variable the program reads: the arguments of `env::var`/`var_os`,
/// clap's `env = "…"`, `xdg_dir("…")`, and any YKOTP_* or XDG_* name (constants such as
/// the completion's and askpass's). YKOTP_TEST_* belong to the tests, not the program.
fn variables_read() -> BTreeSet<String> {
    let mut vars = BTreeSet::new();
    for (_, src) in sources() {
        for line in src.lines().filter(|l| !l.trim_start().starts_with("//")) {
            for (before, lit) in literals(line) {
                let name_like = !lit.is_empty() && lit.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
                let read_here = ["var(", "var_os(", "env = ", "xdg_dir("].iter().any(|f| before.ends_with(f));
                let ours = lit.starts_with("YKOTP_") || lit.starts_with("XDG_");
                if name_like && (read_here || ours) && !lit.starts_with("YKOTP_TEST_") {
                    vars.insert(lit.to_owned());
                }
            }
        }
    }
    for known in ["YKOTP_READER", "YKOTP_COMPLETE", "HOME", "DISPLAY", "XDG_STATE_HOME", "SSH_ASKPASS_PROMPT"] {
        assert!(vars.contains(known), "the scan finds {known}: {vars:?}");
    }
    vars
}

/// The exit codes `enum Exit` defines (src/cli/report.rs, the one place that maps them).
fn exit_codes() -> Vec<u8> {
    let src = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/cli/report.rs")).unwrap();
    let body = &src[src.find("pub enum Exit {").expect("report.rs defines enum Exit")..];
    let body = &body[..body.find("\n}").unwrap()];
    let codes: Vec<u8> = body.lines().filter_map(|l| l.trim().strip_suffix(',')?.split_once(" = ")?.1.parse().ok()).collect();
    assert!(codes.len() >= 12, "{codes:?}");
    codes
}

#[test]
fn groff_and_man_render_it_without_a_warning() {
    let page = roff();
    for device in ["-Tutf8", "-Tascii"] {
        let out = render("groff", &["-ww", "-z", "-man", device], &page);
        assert_eq!((out.code, out.stderr.as_str()), (0, ""), "groff {device} warns");
    }
    assert!(page.starts_with(".ie \\n(.g") && page.matches(".ie \\n(.g").count() == 1, "one roff preamble");
    assert!(page.is_ascii(), "non-ASCII characters are escaped for groff without preconv");
    let text = text();
    for heading in [
        "NAME",
        "SYNOPSIS",
        "DESCRIPTION",
        "GLOBAL OPTIONS",
        "COMMANDS",
        "CONFIGURATION",
        "EXAMPLES",
        "ENVIRONMENT",
        "FILES",
        "EXIT STATUS",
        "TROUBLESHOOTING",
        "SEE ALSO",
    ] {
        assert!(text.contains(&format!("\n{heading}\n")), "no {heading} section");
    }
    assert!(text.lines().count() > 600, "a full page, not a stub: {} lines", text.lines().count());
}

/// The commands of a `--help` (its "Commands:" list), without `help`.
fn commands_in_help(help: &str) -> Vec<String> {
    let Some(start) = help.find("\nCommands:\n") else { return Vec::new() };
    help[start + 11..]
        .lines()
        .take_while(|l| !l.is_empty())
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(str::to_owned)
        .collect()
}

/// The long options of a `--help`'s own "Options:" list (not the global ones).
fn options_in_help(help: &str) -> Vec<String> {
    let Some(start) = help.find("\nOptions:\n") else { return Vec::new() };
    help[start + 10..]
        .lines()
        .take_while(|l| !l.is_empty())
        .flat_map(|l| l.split_whitespace())
        .filter(|w| w.starts_with("--") && w.len() > 2)
        .map(|w| w.trim_end_matches(',').split(['[', '=', '<']).next().unwrap().to_owned())
        .collect()
}

#[test]
fn every_command_and_option_is_in_the_page() {
    let y = Ykotp::virtual_key();
    let text = text();
    let commands = section(&text, "COMMANDS");
    let mut todo: Vec<Vec<String>> = commands_in_help(y.run(&["--help"]).ok()).into_iter().map(|c| vec![c]).collect();
    let mut seen = 0;
    while let Some(path) = todo.pop() {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let help = y.run(&args).ok().to_owned();
        let name = format!("ykotp {}", path.join(" "));
        let at = commands.find(&format!("\n   {name}\n")).unwrap_or_else(|| panic!("COMMANDS has no heading for {name}"));
        // its part: up to the next command's heading
        let part = &commands[at + 1..];
        let part = &part[..part[1..].find("\n   ykotp ").map_or(part.len(), |e| e + 1)];
        let nested = commands_in_help(&help);
        // a command with commands of its own has no options but --help
        for option in options_in_help(&help).into_iter().filter(|_| nested.is_empty()) {
            assert!(part.contains(&option), "{name}: {option} is not in its part of the page:\n{part}");
        }
        for sub in nested {
            let mut p = path.clone();
            p.push(sub);
            todo.push(p);
        }
        seen += 1;
    }
    assert!(seen >= 20, "walked {seen} commands");
    // the global options once, above
    let global = section(&text, "GLOBAL OPTIONS");
    for option in ["--reader", "--device", "--json", "--trace", "--config", "--password-cmd"] {
        assert!(global.contains(option), "{option}");
    }
}

#[test]
fn every_variable_the_code_reads_is_in_environment_and_the_readme() {
    let text = text();
    let env = section(&text, "ENVIRONMENT");
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let readme_env = &readme[readme.find("\n## Environment\n").expect("README has an Environment section")..];
    let readme_env = &readme_env[..readme_env[1..].find("\n## ").unwrap()];
    for var in variables_read() {
        assert!(
            env.lines().any(|l| l.trim() == var || l.trim().starts_with(&format!("{var} "))),
            "{var} is read by the code but not in ENVIRONMENT"
        );
        let row = readme_env.lines().find(|l| l.starts_with("| `") && l.split(" | ").next().unwrap().contains(&format!("`{var}`")));
        assert!(row.is_some(), "{var} is read by the code but not in README's Environment");
    }
}

#[test]
fn every_exit_code_the_code_defines_is_in_exit_status_as_in_the_readme() {
    let text = text();
    let status = section(&text, "EXIT STATUS");
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let table = &readme[readme.find("\n## Exit codes\n").expect("README has Exit codes")..];
    let table = &table[..table[1..].find("\n## ").unwrap()];
    let words = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let items: Vec<(u8, String)> = {
        // "       N      meaning…" items, the meaning wrapped over indented lines
        let mut items: Vec<(u8, String)> = Vec::new();
        for line in status.lines() {
            let t = line.trim_start();
            let indent = line.len() - t.len();
            match t.split_once(char::is_whitespace).and_then(|(n, rest)| Some((n.parse::<u8>().ok()?, rest))) {
                Some((n, rest)) if indent <= 8 => items.push((n, rest.to_owned())),
                _ if indent > 8 && !t.is_empty() => items.last_mut().unwrap().1 += &format!(" {t}"),
                _ => {}
            }
        }
        items
    };
    let mut want = vec![0];
    want.extend(exit_codes());
    assert_eq!(items.iter().map(|(n, _)| *n).collect::<Vec<_>>(), want, "EXIT STATUS lists every code, in order");
    for (n, meaning) in &items {
        let meaning = words(meaning).replace("--force", "`--force`").replace("...", "…");
        assert!(table.contains(&format!("| {n} | {meaning} |")), "README's exit code {n} is not \"{meaning}\"");
    }
}

#[test]
fn the_page_names_only_pages_that_exist_and_no_repository_files() {
    let text = text();
    let mut named = BTreeSet::new();
    let bytes = text.as_bytes();
    for (i, _) in text.match_indices('(') {
        let close = i + 2;
        if close < bytes.len() && bytes[i + 1].is_ascii_digit() && bytes[close] == b')' {
            let start = text[..i].rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')).map_or(0, |s| s + 1);
            if start < i {
                named.insert(text[start..=close].to_owned());
            }
        }
    }
    assert!(named.contains("pass(1)"), "the scan finds page references: {named:?}");
    for page in &named {
        assert!(
            page.eq_ignore_ascii_case("ykotp(1)") || EXTERNAL_PAGES.contains(&page.as_str()),
            "the page refers to {page}, which nothing ships"
        );
    }
    for file in ["docs/", ".md", "README", "udev/"] {
        assert!(!text.contains(file), "the page refers to {file}, which `cargo install` does not install");
    }
}

#[test]
fn hints_point_at_sections_of_the_manual() {
    let text = text();
    let mut pointed = 0;
    for (path, src) in sources() {
        for (n, line) in src.lines().enumerate() {
            for (_, lit) in literals(line) {
                for file in ["docs/", "README", "udev/", ".md"] {
                    assert!(
                        !(lit.contains(&format!("see {file}")) || (lit.contains(file) && line.contains("hint"))),
                        "{path}:{}: a message points at {file}, which `cargo install` does not install: {lit}",
                        n + 1
                    );
                }
                for (at, _) in lit.match_indices(" in `man ykotp`") {
                    let name = lit[..at].rsplit("see ").next().unwrap();
                    assert!(text.contains(&format!("\n{name}\n")), "{path}:{}: the manual has no {name} section", n + 1);
                    pointed += 1;
                }
            }
        }
    }
    assert!(pointed >= 5, "{pointed} hints point at the manual");
}

/// The EXAMPLES use commands and options that exist: every `ykotp COMMAND` there, and
/// every `--option` after it on its line, is in that command's `--help`.
#[test]
fn examples_use_only_commands_and_options_that_exist() {
    let y = Ykotp::virtual_key();
    let commands = commands_in_help(y.run(&["--help"]).ok());
    let text = text();
    let mut checked = 0;
    for line in section(&text, "EXAMPLES").lines() {
        for (at, _) in line.match_indices("ykotp ") {
            let rest = &line[at + 6..];
            let command = rest.split_whitespace().next().unwrap_or_default();
            if !commands.iter().any(|c| c == command) {
                continue;
            }
            let help = y.run(&[command, "--help"]).ok().to_owned();
            let args = rest.split(['|', ')']).next().unwrap();
            for option in args.split_whitespace().filter(|w| w.starts_with("--")) {
                let option = option.split('=').next().unwrap();
                assert!(help.contains(option), "EXAMPLES: `ykotp {command}` has no {option}: {line}");
            }
            checked += 1;
        }
    }
    assert!(checked >= 10, "{checked} example commands checked");
}
