//! Serves the virtual key to pcscd through the vsmartcard `vpcd` driver
//! (pcsc-virtual-card.md §2): the card is a TCP client of vpcd; every message is a
//! 2-byte big-endian length and a payload; a 1-byte payload is a control message
//! (0 power off, 1 power on, 2 reset: no reply; 4 get ATR: reply with the ATR).

use super::applet::VirtualKey;
use super::card::OsEnv;
use super::store;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// The YubiKey 5 NFC ATR as seen over NFC: ykman 5 then treats the reader as NFC and
/// does not insist on "Yubico YubiKey" in the reader name.
pub const ATR: [u8; 18] = [0x3B, 0x8D, 0x80, 0x01, 0x80, 0x73, 0xC0, 0x21, 0xC0, 0x57, 0x59, 0x75, 0x62, 0x69, 0x4B, 0x65, 0x79, 0xF9];

/// vpcd's default port for its first slot.
pub const DEFAULT_ADDR: &str = "127.0.0.1:35963";

const POLL: Duration = Duration::from_millis(100);

/// How the key is served.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Simulated card latency: half before a command is processed, half before the
    /// answer is sent (tests pull the card in between).
    pub latency: Duration,
}

/// Serves until `stop` is set. Reconnects when pcscd goes away and comes back.
pub fn serve(
    addr: &str,
    state_path: &Path,
    key: &mut VirtualKey,
    env: &mut OsEnv,
    stop: &AtomicBool,
    log: &mut dyn Write,
    options: Options,
) -> io::Result<()> {
    let mut announced_wait = false;
    while !stop.load(Ordering::Relaxed) {
        let mut stream = match TcpStream::connect(addr) {
            Ok(s) => s,
            Err(_) => {
                if !announced_wait {
                    let _ = writeln!(log, "virtual key: waiting for vpcd on {addr} (is pcscd running?)");
                    announced_wait = true;
                }
                std::thread::sleep(POLL);
                continue;
            }
        };
        announced_wait = false;
        let _ = writeln!(log, "virtual key: connected to vpcd on {addr}");
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(POLL))?;
        key.power_cycle();
        match session(&mut stream, state_path, key, env, stop, options) {
            Ok(()) => return Ok(()),
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof || e.kind() == io::ErrorKind::ConnectionReset => {
                let _ = writeln!(log, "virtual key: vpcd closed the connection; reconnecting");
                key.power_cycle();
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

fn session(
    stream: &mut TcpStream,
    state_path: &Path,
    key: &mut VirtualKey,
    env: &mut OsEnv,
    stop: &AtomicBool,
    options: Options,
) -> io::Result<()> {
    loop {
        let Some(len) = read_message_len(stream, stop)? else {
            return Ok(());
        };
        // a PUT or SET CODE carries a key
        let mut payload = zeroize::Zeroizing::new(vec![0u8; len]);
        read_exact(stream, &mut payload, stop)?;
        let reply = match payload[..] {
            [0x04] => Some(ATR.to_vec()),
            [_] => {
                key.power_cycle();
                None
            }
            _ => {
                std::thread::sleep(options.latency / 2);
                // None: the never-answers quirk; pcscd waits for an answer that never comes
                let response = key.respond(&payload, env);
                if key.take_dirty() {
                    store::save(state_path, &key.state).map_err(io::Error::other)?;
                }
                std::thread::sleep(options.latency / 2);
                response
            }
        };
        if let Some(r) = reply {
            // one write: length and payload together, so Nagle cannot split them
            let mut out = Vec::with_capacity(r.len() + 2);
            out.extend_from_slice(&(r.len() as u16).to_be_bytes());
            out.extend_from_slice(&r);
            stream.write_all(&out)?;
        }
    }
}

fn read_message_len(stream: &mut TcpStream, stop: &AtomicBool) -> io::Result<Option<usize>> {
    let mut len = [0u8; 2];
    // Waiting for the first byte is where a stop request is honoured.
    loop {
        if stop.load(Ordering::Relaxed) {
            return Ok(None);
        }
        quickack(stream);
        match stream.read(&mut len[..1]) {
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(_) => break,
            Err(e) if is_timeout(&e) => continue,
            Err(e) => return Err(e),
        }
    }
    read_exact(stream, &mut len[1..], stop)?;
    Ok(Some(u16::from_be_bytes(len) as usize))
}

fn read_exact(stream: &mut TcpStream, mut buf: &mut [u8], stop: &AtomicBool) -> io::Result<()> {
    while !buf.is_empty() {
        quickack(stream);
        match stream.read(buf) {
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => buf = &mut buf[n..],
            Err(e) if is_timeout(&e) && !stop.load(Ordering::Relaxed) => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

fn is_timeout(e: &io::Error) -> bool {
    matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted)
}

/// Debian's vpcd sends the length and the payload in two writes with Nagle on; with
/// delayed ACKs every APDU would stall ~40 ms. Quick ACK mode is not sticky, so it is
/// re-armed before every read (pcsc-virtual-card.md, "The Nagle / delayed-ACK stall").
#[cfg(any(target_os = "linux", target_os = "android"))]
fn quickack(stream: &TcpStream) {
    let _ = socket2::SockRef::from(stream).set_tcp_quickack(true);
}

/// TCP_QUICKACK is Linux's; elsewhere (macOS, the BSDs) there is no per-read switch, and
/// vpcd's two writes may cost a delayed ACK each: slower, never wrong.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn quickack(_stream: &TcpStream) {}
