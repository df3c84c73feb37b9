//! The cfg audit: what builds on Linux must make sense on macOS too, and Windows must be
//! refused with a clear message rather than a wall of errors. This machine has only the
//! Linux standard library, so instead of compiling for macOS this test reads the source:
//! every Linux-only call must sit under a `cfg` naming Linux (or be a runtime check that
//! degrades on other systems, listed below with why), and Unix-only code is covered by
//! the crate's `compile_error!` for non-Unix targets.

use std::path::{Path, PathBuf};

/// Calls and paths that exist only on Linux (or Linux distributions).
const LINUX_ONLY: [&str; 6] = ["set_tcp_quickack", "TCP_QUICKACK", "/proc", "timedatectl", "/run/systemd", "memfd_"];

/// Runtime uses that degrade on other systems instead of failing to build.
const DEGRADES: [(&str, &str, &str); 4] = [
    ("src/cli/doctor.rs", "/proc", "finding programs that hold the key: an empty list where /proc is missing"),
    ("src/cli/doctor.rs", "timedatectl", "the clock check warns that it cannot tell where timedatectl is missing"),
    ("src/cli/doctor.rs", "/run/systemd", "the clock check's second try: a path test, false elsewhere"),
    ("src/cli/calc.rs", "timedatectl", "named in a hint, next to the clock it asks to check"),
];

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn code_lines(text: &str) -> Vec<(usize, &str)> {
    text.lines().enumerate().filter(|(_, l)| !l.trim_start().starts_with("//")).collect()
}

/// Whether one of the `window` lines before `at` (or `at` itself) is a cfg naming `what`.
fn guarded(lines: &[&str], at: usize, window: usize, what: &str) -> bool {
    lines[at.saturating_sub(window)..=at].iter().any(|l| l.contains("cfg(") && l.contains(what))
}

#[test]
fn linux_only_calls_are_behind_cfg_or_degrade_at_run_time() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    sources(&root.join("src"), &mut files);
    let mut unguarded = Vec::new();
    for file in &files {
        let rel = file.strip_prefix(root).unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(file).unwrap();
        let all: Vec<&str> = text.lines().collect();
        for (n, line) in code_lines(&text) {
            for token in LINUX_ONLY.iter().filter(|t| line.contains(*t)) {
                let allowed = DEGRADES.iter().any(|(f, t, _)| *f == rel && t == token);
                // the cfg goes on the item: a few lines up at most
                if !allowed && !guarded(&all, n, 6, "linux") {
                    unguarded.push(format!("{rel}:{}: {token}", n + 1));
                }
            }
        }
    }
    assert!(unguarded.is_empty(), "Linux-only calls without a cfg naming Linux:\n{}", unguarded.join("\n"));
}

#[test]
fn unix_only_code_is_refused_clearly_elsewhere() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let lib = std::fs::read_to_string(root.join("src/lib.rs")).unwrap();
    let lines: Vec<&str> = lib.lines().collect();
    let at = lines.iter().position(|l| l.starts_with("compile_error!(")).expect("lib.rs refuses non-Unix targets");
    assert!(guarded(&lines, at, 1, "not(unix)"), "the compile_error! must be under #[cfg(not(unix))]");
    let message = lines[at..].iter().take(4).copied().collect::<String>();
    // it names what is missing, not just "unsupported"
    for what in ["private_file.rs", "file modes", "/dev/tty"] {
        assert!(message.contains(what), "the compile_error! should name {what:?}: {message}");
    }
}
