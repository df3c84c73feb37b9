//! Waiting for a TOTP window where a person can see it: a live countdown on the
//! terminal, rewritten in place every second and erased at the end; without a
//! terminal the wait is silent.

use super::prompt;
use std::io::Write;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Sleeps until unix second `target`, showing `what: Ns` on the terminal meanwhile.
pub fn wait_until(target: u64, what: &str) {
    let mut tty = prompt::watching();
    let target_time = UNIX_EPOCH + Duration::from_secs(target);
    while let Some(left) = target_time.duration_since(SystemTime::now()).ok().filter(|l| !l.is_zero()) {
        if let Some(t) = tty.as_mut() {
            // whole seconds rounded up: "1s" until the very end, never "0s"
            let secs = left.as_secs() + u64::from(left.subsec_nanos() > 0);
            let _ = write!(t, "\r\x1b[2K{what}: {secs}s");
            let _ = t.flush();
        }
        // wake on each whole second of the countdown, or at the target
        let tick = Duration::from_nanos(u64::from(left.subsec_nanos()));
        std::thread::sleep(if tick.is_zero() { Duration::from_secs(1) } else { tick }.min(left));
    }
    if let Some(t) = tty.as_mut() {
        let _ = write!(t, "\r\x1b[2K");
        let _ = t.flush();
    }
}
