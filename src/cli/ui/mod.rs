//! `ykotp ui`: a live dashboard of every account of every attached key, drawn with
//! ratatui on the terminal (`/dev/tty`, so `code=$(ykotp ui --print)` works as a picker).
//!
//! The keys are asked again only when a code shown has expired, a key is plugged in or
//! pulled out, or a password was given: one CALCULATE ALL per period shown per key, never
//! one CALCULATE per account (touch and HOTP accounts are computed on Enter only).

mod model;

use super::device::{self, Link};
use super::report::{CliError, Exit};
use super::{clip, keystore, prompt, secret, Global};
use crate::oath::{CalculatedEntry, Error as OathError, OathType, Session};
use crate::otp::AccessKey;
use crate::transport::pcsc::Pcsc;
use model::{Input, KeyView, Model};
use ratatui::crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};
use ratatui::crossterm::{execute, terminal};
use ratatui::layout::{Constraint, Layout};
use ratatui::style::{Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Cell, LineGauge, Paragraph, Row, Table, TableState};
use std::collections::HashMap;
use std::time::{Duration, Instant};
use zeroize::Zeroizing;

/// Arguments of `ui`.
#[derive(Debug, Default, clap::Args)]
pub struct UiArgs {
    /// Enter prints the code on stdout and exits, instead of copying it
    #[arg(short, long)]
    print: bool,
    /// Include hidden accounts (issuer `_hidden`)
    #[arg(short = 'H', long)]
    show_hidden: bool,
}

/// How often the screen is redrawn and the readers looked at.
const TICK: Duration = Duration::from_millis(250);
/// How often the readers are listed, to notice keys plugged in or pulled out.
const READER_POLL: Duration = Duration::from_secs(1);

/// Whether `ykotp` alone may open the dashboard: a person at a terminal.
pub fn possible() -> bool {
    super::table::stdout_is_terminal() && prompt::interactive()
}

/// Runs `ui`.
pub fn run(g: &Global, a: &UiArgs) -> Result<(), CliError> {
    let tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .ok()
        .filter(|_| prompt::interactive())
        .ok_or_else(|| CliError::new(Exit::Usage, "`ykotp ui` needs a terminal").hint("scripts use `ykotp code` and `ykotp list`"))?;
    let mut screen = Screen::open(tty)?;
    let mut ui = Dashboard { g, args: a, model: Model::new(a.show_hidden), passwords: HashMap::new(), pcsc: None, readers: None };
    let outcome = ui.run(&mut screen.terminal);
    drop(screen);
    match outcome? {
        Some(code) => super::output::line(&code),
        None => Ok(()),
    }
}

type Term = ratatui::Terminal<ratatui::backend::CrosstermBackend<std::fs::File>>;

/// The terminal in raw mode on the alternate screen; put back as it was when dropped
/// (also when unwinding from a panic).
struct Screen {
    terminal: Term,
}

impl Screen {
    fn open(tty: std::fs::File) -> Result<Self, CliError> {
        let fail = |e: std::io::Error| CliError::new(Exit::Other, format!("cannot set up the terminal: {e}"));
        let mut out = tty.try_clone().map_err(fail)?;
        terminal::enable_raw_mode().map_err(fail)?;
        execute!(out, terminal::EnterAlternateScreen).map_err(fail)?;
        let terminal = ratatui::Terminal::new(ratatui::backend::CrosstermBackend::new(tty)).map_err(fail)?;
        Ok(Screen { terminal })
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        let _ = self.terminal.show_cursor();
        let _ = execute!(self.terminal.backend_mut(), terminal::LeaveAlternateScreen);
        let _ = terminal::disable_raw_mode();
    }
}

struct Dashboard<'a> {
    g: &'a Global,
    args: &'a UiArgs,
    model: Model,
    /// Access keys typed this run, per device id (zeroized on drop).
    passwords: HashMap<String, AccessKey>,
    pcsc: Option<Pcsc>,
    /// The present readers last seen.
    readers: Option<Vec<String>>,
}

/// What a key press asks for.
enum Action {
    Redraw,
    Quit,
    Print(String),
}

impl Dashboard<'_> {
    fn run(&mut self, term: &mut Term) -> Result<Option<String>, CliError> {
        self.refresh(term);
        let mut last_poll = Instant::now();
        let mut password = Zeroizing::new(String::new());
        loop {
            let now = super::code::now();
            if last_poll.elapsed() >= READER_POLL {
                last_poll = Instant::now();
                if self.readers_changed() {
                    self.refresh(term);
                }
            }
            if self.model.stale(now) {
                self.refresh(term);
            }
            if self.model.input == Input::Filter {
                if let Some(k) = self.model.locked_key() {
                    self.model.input = Input::Password(k);
                    password.clear();
                }
            }
            self.draw(term, &password);
            if !event::poll(TICK).map_err(io_error)? {
                continue;
            }
            let Event::Key(key) = event::read().map_err(io_error)? else { continue };
            if key.kind != KeyEventKind::Press {
                continue;
            }
            let action = match self.model.input {
                Input::Password(k) => self.password_key(term, k, key.code, &mut password),
                Input::Filter => self.filter_key(term, key.code, key.modifiers),
            };
            match action {
                Action::Redraw => {}
                Action::Quit => return Ok(None),
                Action::Print(code) => return Ok(Some(code)),
            }
        }
    }

    fn filter_key(&mut self, term: &mut Term, code: KeyCode, mods: KeyModifiers) -> Action {
        let m = &mut self.model;
        match code {
            KeyCode::Esc => return Action::Quit,
            KeyCode::Char('c') if mods.contains(KeyModifiers::CONTROL) => return Action::Quit,
            // q quits while nothing is typed; after that it is part of the filter
            KeyCode::Char('q') if m.filter.is_empty() => return Action::Quit,
            KeyCode::Char(c) => {
                m.filter.push(c);
                m.selected = 0;
            }
            KeyCode::Backspace => {
                m.filter.pop();
            }
            KeyCode::Up => m.step(-1),
            KeyCode::Down => m.step(1),
            KeyCode::PageUp => m.step(-10),
            KeyCode::PageDown => m.step(10),
            KeyCode::Home => m.selected = 0,
            KeyCode::End => m.step(isize::MAX),
            KeyCode::Enter => return self.enter(term),
            _ => {}
        }
        self.model.clamp();
        Action::Redraw
    }

    fn password_key(&mut self, term: &mut Term, k: usize, code: KeyCode, password: &mut Zeroizing<String>) -> Action {
        match code {
            KeyCode::Esc => return Action::Quit,
            KeyCode::Char(c) => password.push(c),
            KeyCode::Backspace => {
                password.pop();
            }
            KeyCode::Enter => {
                self.model.status = "checking the password...".into();
                self.draw(term, password);
                match self.unlock_with(k, password) {
                    Ok(()) => {
                        self.model.input = Input::Filter;
                        self.model.status = "unlocked".into();
                        self.refresh(term);
                    }
                    Err(e) => self.model.status = e.message,
                }
                password.clear();
            }
            _ => {}
        }
        Action::Redraw
    }

    /// Derives the access key from the typed password and proves it on the key.
    fn unlock_with(&mut self, k: usize, password: &str) -> Result<(), CliError> {
        let g = self.key_global(k);
        let access = device::with_key(&g, device::Needs::default(), |_, s| {
            let key = s.derive_key(password);
            s.unlock(&key, &device::host_challenge()).map_err(|e| match e {
                OathError::WrongPassword => CliError::new(Exit::Password, "wrong password, try again"),
                other => other.into(),
            })?;
            Ok(key)
        })?;
        let id = self.model.keys[k].device_id.clone();
        self.passwords.insert(id, access);
        Ok(())
    }

    /// The options that open key `k` only.
    fn key_global(&self, k: usize) -> Global {
        let mut g = self.g.clone();
        g.reader = Some(self.model.keys[k].reader.clone());
        g.device = None;
        g
    }

    /// Enter: copy (or print) the selected code, computing it first for touch and HOTP.
    fn enter(&mut self, term: &mut Term) -> Action {
        let Some((k, entry)) = self.model.current() else { return Action::Redraw };
        let (k, entry) = (k, entry.clone());
        let code = match &entry.code {
            Some(c) => Ok(c.value.clone()),
            None => {
                let touch = entry.credential.touch == Some(true) || entry.credential.oath_type == OathType::Hotp;
                self.model.status =
                    if touch { format!("Touch your YubiKey (it waits {} s)...", prompt::TOUCH_WAIT_SECS) } else { "computing...".into() };
                self.draw(term, "");
                self.calculate(k, &entry)
            }
        };
        let code = match code {
            Ok(c) => Zeroizing::new(c),
            Err(e) => {
                self.model.status = e.message;
                return Action::Redraw;
            }
        };
        if self.args.print {
            return Action::Print(code.to_string());
        }
        let name = entry.credential.id_str();
        self.model.status = match clip::seconds(None).and_then(|secs| clip::copy(&code, secs).map(|()| secs)) {
            Ok(secs) => format!("copied the code of {name}; the clipboard is cleared in {secs} s"),
            Err(e) => e.message,
        };
        Action::Redraw
    }

    fn calculate(&mut self, k: usize, entry: &CalculatedEntry) -> Result<String, CliError> {
        let g = self.key_global(k);
        let known = self.passwords.get(&self.model.keys[k].device_id).cloned();
        device::with_key(&g, device::Needs::default(), |_, s| {
            unlock(&g, s, known.as_ref())?;
            Ok(s.calculate(&entry.credential, super::code::now())?.value)
        })
    }

    /// Whether the set of cards present changed since last time.
    fn readers_changed(&mut self) -> bool {
        if self.g.reader.as_deref().is_some_and(|r| r.starts_with("virtual:")) {
            return false;
        }
        if self.pcsc.is_none() {
            self.pcsc = Pcsc::establish().ok();
        }
        let present: Option<Vec<String>> = match self.pcsc.as_ref().map(Pcsc::readers) {
            Some(Ok(r)) => Some(r.into_iter().filter(|(_, p)| *p).map(|(n, _)| n).collect()),
            Some(Err(_)) => {
                // pcscd restarted or went away: a new context next time
                self.pcsc = None;
                None
            }
            None => None,
        };
        let changed = present != self.readers;
        self.readers = present;
        changed
    }

    /// Reads every key again.
    fn refresh(&mut self, term: &mut Term) {
        if self.model.keys.is_empty() {
            self.model.status = "reading the keys...".into();
            self.draw(term, "");
        }
        let now = super::code::now();
        let g = self.g;
        let passwords = &self.passwords;
        let result = device::each_key(g, |ctx, s| {
            let device_id = s.device_id();
            let locked = !unlock(g, s, passwords.get(&device_id)).is_ok_and(|u| u);
            let accounts = if locked { Vec::new() } else { codes(s, now)? };
            Ok(KeyView { label: super::list::key_label(ctx), reader: ctx.reader.clone(), device_id, locked, accounts })
        });
        match result {
            Ok(keys) => {
                if self.model.status == "reading the keys..." || self.model.keys.is_empty() {
                    self.model.status.clear();
                }
                self.model.keys = keys.into_iter().map(|(_, k)| k).collect();
            }
            Err(e) => {
                self.model.keys.clear();
                self.model.status = match e.hints.first() {
                    Some(h) => format!("{} ({h})", e.message),
                    None => e.message,
                };
            }
        }
        self.model.clamp();
    }

    fn draw(&mut self, term: &mut Term, password: &str) {
        let now = super::code::now();
        let m = &self.model;
        let periods: Vec<u32> = m.periods().into_iter().collect();
        let several = m.keys.len() > 1;
        let _ = term.draw(|f| {
            let areas = Layout::vertical([
                Constraint::Length(1),
                Constraint::Length(u16::try_from(periods.len()).unwrap_or(1)),
                Constraint::Min(1),
                Constraint::Length(1),
            ])
            .split(f.area());
            let top = match m.input {
                Input::Password(k) => {
                    format!("Password for key {}: {}", m.keys.get(k).map_or("", |k| k.label.as_str()), "*".repeat(password.chars().count()))
                }
                Input::Filter => format!("Filter: {}", m.filter),
            };
            f.render_widget(Paragraph::new(top), areas[0]);
            let bars = Layout::vertical(periods.iter().map(|_| Constraint::Length(1))).split(areas[1]);
            for (p, area) in periods.iter().zip(bars.iter()) {
                let left = model::seconds_left(now, *p);
                #[allow(clippy::cast_precision_loss)]
                let ratio = (left as f64 / f64::from(*p)).clamp(0.0, 1.0);
                // distinct symbols, not only styles: the time left must show on a terminal
                // without colour or bold too (and in a screen capture)
                let gauge = LineGauge::default()
                    .ratio(ratio)
                    .filled_symbol(ratatui::symbols::line::THICK_HORIZONTAL)
                    .unfilled_symbol(ratatui::symbols::line::HORIZONTAL)
                    .unfilled_style(Style::default().add_modifier(Modifier::DIM))
                    .label(format!("{p:>3}s period  {left:>3}s left "));
                f.render_widget(gauge, *area);
            }
            let rows: Vec<Row<'_>> = m
                .rows()
                .into_iter()
                .map(|(k, e)| {
                    let code = match (&e.code, e.credential.oath_type) {
                        (Some(c), _) => c.value.clone(),
                        (None, OathType::Hotp) => "[HOTP]".into(),
                        (None, OathType::Totp) if e.credential.touch == Some(true) => "[touch]".into(),
                        (None, OathType::Totp) => "…".into(),
                    };
                    let left = match &e.code {
                        Some(c) if e.credential.oath_type == OathType::Totp => format!("{}s", c.valid_to.saturating_sub(now)),
                        _ => String::new(),
                    };
                    let mut cells = Vec::with_capacity(4);
                    if several {
                        cells.push(Cell::from(m.keys[k].label.clone()));
                    }
                    cells.extend([Cell::from(super::table::escape(&e.credential.id_str())), Cell::from(code), Cell::from(left)]);
                    Row::new(cells)
                })
                .collect();
            let mut widths = Vec::with_capacity(4);
            let mut header = Vec::with_capacity(4);
            if several {
                widths.push(Constraint::Length(12));
                header.push("KEY");
            }
            widths.extend([Constraint::Fill(1), Constraint::Length(10), Constraint::Length(5)]);
            header.extend(["ACCOUNT", "CODE", "LEFT"]);
            let table = Table::new(rows, widths)
                .header(Row::new(header).style(Style::new().add_modifier(Modifier::BOLD)))
                .row_highlight_style(Style::new().add_modifier(Modifier::REVERSED));
            let mut state = TableState::default().with_selected(Some(m.selected));
            f.render_stateful_widget(table, areas[2], &mut state);
            let help = if m.status.is_empty() {
                format!("type to filter  ↑↓ move  Enter {}  Esc quit", if self.args.print { "print" } else { "copy" })
            } else {
                m.status.clone()
            };
            f.render_widget(Paragraph::new(Line::from(help)), areas[3]);
        });
    }
}

fn io_error(e: std::io::Error) -> CliError {
    CliError::new(Exit::Other, format!("cannot read the terminal: {e}"))
}

/// Unlocks without asking on the terminal (the dashboard asks in its own line):
/// a password typed this run, --password-cmd, the remembered key. `Ok(false)` when
/// the key stays locked.
fn unlock(g: &Global, s: &mut Session<Link<'_>>, typed: Option<&AccessKey>) -> Result<bool, CliError> {
    if !s.is_locked() {
        return Ok(true);
    }
    let key = match typed {
        Some(k) => Some(k.clone()),
        None => match &g.password_cmd {
            Some(cmd) => Some(s.derive_key(secret::first_line(&secret::run_command(cmd, "--password-cmd")?))),
            None => keystore::get(&s.device_id())?,
        },
    };
    let Some(key) = key else { return Ok(false) };
    match s.unlock(&key, &device::host_challenge()) {
        Ok(()) => Ok(true),
        Err(OathError::WrongPassword) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// The codes of one key: one CALCULATE ALL per period among its accounts; Steam's
/// (which need the full HMAC) one CALCULATE each; touch and HOTP none.
fn codes(s: &mut Session<Link<'_>>, now: u64) -> Result<Vec<CalculatedEntry>, CliError> {
    let mut entries = s.calculate_all(now)?;
    let mut periods: Vec<u32> =
        entries.iter().filter(|e| e.needs_calculate() && !e.credential.is_steam()).map(|e| e.credential.period).collect();
    periods.sort_unstable();
    periods.dedup();
    for p in periods {
        let more = s.calculate_all_for(now, p)?;
        for (e, m) in entries.iter_mut().zip(more) {
            if e.code.is_none() && e.credential.id == m.credential.id {
                e.code = m.code;
            }
        }
    }
    for e in entries.iter_mut().filter(|e| e.needs_calculate()) {
        e.code = Some(s.calculate(&e.credential, now)?);
    }
    Ok(entries)
}
