//! What a person sees in a real terminal (tmux): seconds left, the countdown, tables
//! with headers that fit the window, the matches of an ambiguous query. Scripts (no
//! terminal) see none of it: tests/cli.rs checks their output stays as it was.
//! `#[ignore]`: needs tmux, run by scripts/test.

mod common;
use common::tmux::Tmux;
use common::*;

fn with_accounts(names: &[&str]) -> Ykotp {
    let y = Ykotp::virtual_key();
    for n in names {
        y.run_in(&["put", n, "-"], Some(DEMO_B32)).ok();
    }
    y
}

#[test]
#[ignore]
fn code_shows_the_seconds_left_on_the_terminal_not_on_stdout() {
    let y = with_accounts(&["aws"]);
    let t = Tmux::run(80, 10, &y.shell_env(), "\"$YKOTP\" code aws >\"$HOME/stdout\"");
    let (code, screen) = t.wait_exit();
    assert_eq!(code, 0, "{screen}");
    assert!(screen.contains("ykotp: the code is valid for "), "{screen}");
    let left: u64 = screen.split("valid for ").nth(1).unwrap().split(' ').next().unwrap().parse().unwrap();
    assert!((1..=30).contains(&left), "{screen}");
    let stdout = std::fs::read_to_string(y.path("stdout")).unwrap();
    assert_eq!(stdout.len(), 7, "only the code and a newline on stdout: {stdout:?}");
}

#[test]
#[ignore]
fn min_valid_shows_a_live_countdown_then_erases_it() {
    let y = Ykotp::virtual_key();
    y.run_in(&["put", "quick", "-", "-P", "15"], Some(DEMO_B32)).ok();
    // 15 s asked of a 15 s account: always the next window, unless exactly at its start
    let t = Tmux::run(80, 10, &y.shell_env(), "\"$YKOTP\" code 15/quick --min-valid 15");
    let seen = t.wait_until("a countdown or the end", |s| s.contains("next code in") || s.contains("[exit "));
    let (code, screen) = t.wait_exit();
    assert_eq!(code, 0, "{screen}");
    if seen.contains("next code in") {
        assert!(seen.contains("ykotp: next code in: "), "{seen}");
        assert!(!screen.contains("next code in"), "the countdown must be erased:\n{screen}");
    }
}

#[test]
#[ignore]
fn code_table_shows_seconds_left_per_account() {
    let y = with_accounts(&["aws", "github"]);
    y.run_in(&["put", "counter", "-", "-o", "hotp"], Some(RFC_SEED_B32)).ok();
    let t = Tmux::run(80, 10, &y.shell_env(), "\"$YKOTP\" code");
    let (code, screen) = t.wait_exit();
    assert_eq!(code, 0, "{screen}");
    let lines: Vec<&str> = screen.lines().collect();
    assert!(lines[0].starts_with("aws      "), "{screen}");
    assert!(lines[0].ends_with('s'), "seconds left: {screen}");
    assert!(lines[1].starts_with("counter  [HOTP]"), "{screen}");
    assert!(lines[2].starts_with("github   ") && lines[2].ends_with('s'), "{screen}");
}

#[test]
#[ignore]
fn list_long_has_a_header_and_narrow_windows_cut_names() {
    let y = with_accounts(&["Example:a-rather-long-account-name@example.com", "日本語の口座", "ab"]);
    // the other columns take 40 cells: 20 are left for the names
    let t = Tmux::run(60, 10, &y.shell_env(), "\"$YKOTP\" list --long");
    let (code, screen) = t.wait_exit();
    assert_eq!(code, 0, "{screen}");
    let lines: Vec<&str> = screen.lines().collect();
    assert!(lines[0].starts_with("ACCOUNT ") && lines[0].contains("ALGORITHM"), "{screen}");
    // every line fits: the long name is cut with an ellipsis, nothing wraps
    assert_eq!(lines.len(), 5, "header, 3 rows, [exit]: {screen}");
    let row = |start: &str| *lines.iter().find(|l| l.starts_with(start)).unwrap_or_else(|| panic!("no {start}: {screen}"));
    assert!(row("Example:a-").contains("… "), "{screen}");
    // the wide name's TOTP column starts where the others' does
    let col = |l: &str| unicode_width::UnicodeWidthStr::width(&l[..l.find("TOTP").unwrap()]);
    assert_eq!(col(row("ab ")), 22, "{screen}");
    assert_eq!(col(row("Example:a-")), 22, "{screen}");
    assert_eq!(col(row("日本語")), 22, "{screen}");
}

#[test]
#[ignore]
fn several_matches_show_their_codes_on_a_terminal() {
    let y = with_accounts(&["git-work", "git-home", "aws"]);
    let t = Tmux::run(80, 10, &y.shell_env(), "\"$YKOTP\" code git");
    let (code, screen) = t.wait_exit();
    assert_eq!(code, 0, "{screen}");
    let lines: Vec<&str> = screen.lines().collect();
    assert!(lines[0].starts_with("git-home  ") && lines[1].starts_with("git-work  "), "{screen}");
    assert!(!screen.contains("aws"), "{screen}");
    // piped, the same query stays an error for scripts
    y.run(&["code", "git"]).fails(6, "matches 2 accounts");
}

#[test]
#[ignore]
fn ui_asks_a_locked_keys_password_then_prints_the_pick() {
    let y = with_accounts(&["aws", "git-work"]);
    y.run_in(&["password", "set", "--new-password-stdin"], Some("hunter2\n")).ok();
    let t = Tmux::run(80, 12, &y.shell_env(), "code=$(\"$YKOTP\" ui --print); echo \"picked:$code\"");
    t.wait_for("Password for key");
    t.keys(&["wrong", "Enter"]);
    t.wait_for("wrong password, try again");
    t.keys(&["hunter2", "Enter"]);
    let screen = t.wait_for("git-work");
    assert!(!screen.contains("hunter2"), "the password is never shown:\n{screen}");
    t.keys(&["aws", "Enter"]);
    let (code, screen) = t.wait_exit();
    assert_eq!(code, 0, "{screen}");
    let picked = screen.split("picked:").nth(1).unwrap().lines().next().unwrap();
    // the code of aws in a window of the last few seconds
    assert!((common_now() - 5..=common_now()).any(|t| soft_totp(DEMO_B32, t, 30, 6) == picked), "{screen}");
    // the terminal is back as it was: the dashboard is gone
    assert!(!screen.contains("Filter:"), "{screen}");
}

#[test]
#[ignore]
fn bare_ykotp_opens_the_dashboard_on_a_terminal_only() {
    let y = with_accounts(&["aws"]);
    let t = Tmux::run(80, 10, &y.shell_env(), "\"$YKOTP\"");
    t.wait_for("ACCOUNT");
    let screen = t.wait_for("aws");
    // the period's bar is as long as the time left: thick for what is left, thin for what is gone
    let bar = screen.lines().find(|l| l.contains("s period")).unwrap();
    let left: f64 = bar.split("s left").next().unwrap().split_whitespace().last().unwrap().parse().unwrap();
    let (thick, thin) = (bar.matches('━').count() as f64, bar.matches('─').count() as f64);
    let shown = thick / (thick + thin);
    assert!((shown - left / 30.0).abs() <= 2.0 / 30.0 + 2.0 / (thick + thin), "{left} s left, bar {shown:.2}: {bar}");
    t.keys(&["q"]);
    assert_eq!(t.wait_exit().0, 0);
    // no terminal: the usage error it always was
    let out = exec(y.bare(), None);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("Usage: ykotp [OPTIONS] <COMMAND>"), "{out:?}");
}

fn common_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}
