//! A stand-in Nitrokey 3 for ykotp's PC/SC tests: Nitrokey's own OATH applet
//! (`secrets-app`, the "Secrets" app of the Nitrokey 3 firmware, built with the
//! firmware's CCID features) behind the firmware's APDU layer (`apdu-dispatch`), on
//! trussed's software platform instead of the device's hardware: RAM storage, a
//! fixed-seed random generator, a simulated touch button. Test use only.
//!
//! It is served to pcscd through vsmartcard's vpcd driver: the card is a TCP client
//! of vpcd; every message is a 2-byte big-endian length and a payload; a 1-byte payload
//! is a control message (0 power off, 1 power on, 2 reset: no reply; 4 get ATR).
//!
//! Usage: nitrokey3-card [--vpcd HOST:PORT] [--touch approve|deny] [--log]
//!   --touch deny: every touch request is refused at once (a real key waits 15 s first)
//!   --log: one line per APDU on stderr: header and status word, never the data

mod backend;

use apdu_dispatch::dispatch::ApduDispatch;
use apdu_dispatch::interchanges::{Channel, Data};
use secrets_app::{Authenticator, Options};
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::Duration;
use trussed::platform::{Platform as _, UserInterface};
use trussed::virt::{self, StoreConfig, UptimeOffset};
use trussed_core::types::consent::Level;
use trussed_core::types::Location;

/// The Nitrokey 3's ATR: T=1, historical bytes "Nitrokey".
const ATR: [u8; 19] = [0x3B, 0x8F, 0x01, 0x80, 0x5D, 0x4E, 0x69, 0x74, 0x72, 0x6F, 0x6B, 0x65, 0x79, 0x00, 0x00, 0x00, 0x00, 0x00, 0x6A];
const OATH_SELECT: [u8; 12] = [0x00, 0xA4, 0x04, 0x00, 0x07, 0xA0, 0x00, 0x00, 0x05, 0x27, 0x21, 0x01];
/// What the firmware passes the applet (Options::new in the NK3 runner): external
/// flash, room for 100 credentials; the serial is the first 4 bytes of the chip's UUID.
const SERIAL: [u8; 4] = [0x4E, 0x4B, 0x33, 0x01];
const MAX_CREDENTIALS: u16 = 100;

struct Args {
    vpcd: String,
    approve_touch: bool,
    log: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args { vpcd: "127.0.0.1:35963".into(), approve_touch: true, log: false };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--vpcd" => args.vpcd = it.next().ok_or("--vpcd needs HOST:PORT")?,
            "--touch" => {
                args.approve_touch = match it.next().as_deref() {
                    Some("approve") => true,
                    Some("deny") => false,
                    _ => return Err("--touch needs approve or deny".into()),
                }
            }
            "--log" => args.log = true,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(args)
}

/// The touch button. Denying makes the platform's clock jump past the applet's 15 s
/// touch timeout, so a refusal is answered at once.
struct Button {
    approve: bool,
    clock: UptimeOffset,
}

impl UserInterface for Button {
    fn check_user_presence(&mut self) -> Level {
        if self.approve {
            Level::Normal
        } else {
            self.clock.add(Duration::from_secs(60));
            Level::None
        }
    }
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("nitrokey3-card: {e}");
            std::process::exit(2);
        }
    };
    virt::with_platform(StoreConfig::ram(), |mut platform| {
        let clock = platform.user_interface().uptime_offset();
        platform.user_interface().set_inner(Box::new(Button { approve: args.approve_touch, clock }));
        platform.run_client_with_backends("secrets", backend::Dispatch::new(), backend::BACKENDS, |client| {
            let options = Options::new(Location::External, 0, 1, SERIAL, MAX_CREDENTIALS);
            let mut app = Authenticator::new(client, options);
            if let Err(e) = serve(&args, &mut app) {
                eprintln!("nitrokey3-card: {e}");
                std::process::exit(1);
            }
        })
    });
}

/// Connects to vpcd (again whenever it goes away) and answers it.
fn serve<A: apdu_dispatch::App>(args: &Args, app: &mut A) -> io::Result<()> {
    loop {
        let mut stream = match TcpStream::connect(&args.vpcd) {
            Ok(s) => s,
            Err(_) => {
                // vpcd listens only while pcscd runs
                std::thread::sleep(Duration::from_millis(100));
                continue;
            }
        };
        stream.set_nodelay(true)?;
        eprintln!("nitrokey3-card: connected to vpcd on {}", args.vpcd);
        loop {
            match powered(&mut stream, app, args.log) {
                Ok(()) => continue, // a power cycle: the APDU layer starts afresh
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof || e.kind() == io::ErrorKind::ConnectionReset => {
                    eprintln!("nitrokey3-card: vpcd closed the connection; reconnecting");
                    break;
                }
                Err(e) => return Err(e),
            }
        }
    }
}

/// One powered period of the card: returns at power off, power on or reset.
fn powered<A: apdu_dispatch::App>(stream: &mut TcpStream, app: &mut A, log: bool) -> io::Result<()> {
    let contact = Channel::new();
    let contactless = Channel::new();
    let (mut host, contact_end) = contact.split().expect("fresh channel");
    let (_, contactless_end) = contactless.split().expect("fresh channel");
    let mut dispatch = ApduDispatch::new(contact_end, contactless_end);
    let mut exchange = |dispatch: &mut ApduDispatch<'_>, app: &mut A, apdu: &[u8]| -> Vec<u8> {
        let Ok(request) = Data::from_slice(apdu) else {
            return vec![0x67, 0x00];
        };
        if host.request(request).is_err() {
            return vec![0x6F, 0x00];
        }
        dispatch.poll(&mut [app]);
        match host.take_response() {
            Some(r) => r.to_vec(),
            None => vec![0x6F, 0x00],
        }
    };
    loop {
        let message = read_message(stream)?;
        match message[..] {
            [0x04] => write_message(stream, &ATR)?,
            [_] => {
                // The device loses its RAM on a power cycle; the applet keeps a PIN
                // key from VERIFY PIN until its next command, so give it one.
                exchange(&mut dispatch, app, &OATH_SELECT);
                return Ok(());
            }
            _ => {
                let response = exchange(&mut dispatch, app, &message);
                if log {
                    log_apdu(&message, &response);
                }
                write_message(stream, &response)?;
            }
        }
    }
}

fn log_apdu(apdu: &[u8], response: &[u8]) {
    let header: Vec<String> = apdu.iter().take(4).map(|b| format!("{b:02X}")).collect();
    let sw = &response[response.len().saturating_sub(2)..];
    eprintln!(
        "nitrokey3-card: {} (Lc+data+Le {} bytes) -> {} data bytes, SW {:02X}{:02X}",
        header.join(" "),
        apdu.len().saturating_sub(4),
        response.len().saturating_sub(2),
        sw.first().copied().unwrap_or(0),
        sw.get(1).copied().unwrap_or(0)
    );
}

fn read_message(stream: &mut TcpStream) -> io::Result<Vec<u8>> {
    let mut len = [0u8; 2];
    read_exact(stream, &mut len)?;
    let mut payload = vec![0u8; u16::from_be_bytes(len) as usize];
    read_exact(stream, &mut payload)?;
    Ok(payload)
}

fn read_exact(stream: &mut TcpStream, mut buf: &mut [u8]) -> io::Result<()> {
    while !buf.is_empty() {
        quickack(stream);
        match stream.read(buf)? {
            0 => return Err(io::ErrorKind::UnexpectedEof.into()),
            n => buf = &mut buf[n..],
        }
    }
    Ok(())
}

fn write_message(stream: &mut TcpStream, payload: &[u8]) -> io::Result<()> {
    // one write: length and payload together, so Nagle cannot hold the payload back
    let mut out = Vec::with_capacity(payload.len() + 2);
    out.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    out.extend_from_slice(payload);
    stream.write_all(&out)
}

/// vpcd (virtualsmartcard 0.8) writes the length and the payload separately with Nagle
/// on; without a quick ACK every APDU stalls ~40 ms on Linux's delayed ACK.
#[cfg(target_os = "linux")]
fn quickack(stream: &TcpStream) {
    use std::os::fd::AsRawFd;
    let one: libc::c_int = 1;
    // SAFETY: a valid socket and a c_int option of the right size.
    unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_QUICKACK,
            (&one as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        );
    }
}

#[cfg(not(target_os = "linux"))]
fn quickack(_: &TcpStream) {}
