//! The latency benchmark behind `scripts/bench`: wall time of whole `ykotp` and `ykman`
//! processes through the same pcscd and virtual key, alternating, plus APDUs per ykotp
//! command and the software engine's codes per second. Prints a markdown table.
//! Needs YKOTP_BENCH_READER, YKOTP_BENCH_YKMAN and a built release `ykotp`.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const SECRET: &str = "JBSWY3DPEHPK3PXP";

struct Op {
    name: &'static str,
    ykotp: Vec<String>,
    ykman: Vec<String>,
    stdin: bool,
}

fn run(bin: &str, args: &[String], stdin: bool) -> Duration {
    let start = Instant::now();
    let mut c = Command::new(bin);
    c.args(args).stdout(Stdio::null()).stderr(Stdio::null());
    c.stdin(if stdin { Stdio::piped() } else { Stdio::null() });
    let mut child = c.spawn().expect("spawn");
    if stdin {
        use std::io::Write;
        child.stdin.take().unwrap().write_all(SECRET.as_bytes()).unwrap();
    }
    let status = child.wait().unwrap();
    let took = start.elapsed();
    assert!(status.success(), "{bin} {args:?} failed");
    took
}

fn apdus(bin: &str, args: &[String], stdin: bool) -> usize {
    let mut c = Command::new(bin);
    c.args(args).arg("--trace").stdout(Stdio::null()).stderr(Stdio::piped());
    c.stdin(if stdin { Stdio::piped() } else { Stdio::null() });
    let mut child = c.spawn().unwrap();
    if stdin {
        use std::io::Write;
        child.stdin.take().unwrap().write_all(SECRET.as_bytes()).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    String::from_utf8_lossy(&out.stderr).lines().filter(|l| l.starts_with("> ")).count()
}

fn stats(mut v: Vec<Duration>) -> (f64, f64) {
    v.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    (ms(v[v.len() / 2]), ms(v[(v.len() * 9 / 10).min(v.len() - 1)]))
}

fn main() {
    let reader = std::env::var("YKOTP_BENCH_READER").expect("scripts/bench sets YKOTP_BENCH_READER");
    let ykman = std::env::var("YKOTP_BENCH_YKMAN").expect("scripts/bench sets YKOTP_BENCH_YKMAN");
    let ykotp = concat!(env!("CARGO_MANIFEST_DIR"), "/target/release/ykotp");
    let rounds: usize = std::env::var("YKOTP_BENCH_ROUNDS").ok().and_then(|r| r.parse().ok()).unwrap_or(20);
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let r = reader.as_str();
    let ops = [
        Op {
            name: "code NAME",
            ykotp: s(&["-r", r, "code", "acct05"]),
            ykman: s(&["--reader", r, "oath", "accounts", "code", "--single", "acct05"]),
            stdin: false,
        },
        Op { name: "code (all)", ykotp: s(&["-r", r, "code"]), ykman: s(&["--reader", r, "oath", "accounts", "code"]), stdin: false },
        Op { name: "list", ykotp: s(&["-r", r, "list"]), ykman: s(&["--reader", r, "oath", "accounts", "list"]), stdin: false },
        Op {
            name: "put",
            ykotp: s(&["-r", r, "put", "bench", "-", "-f"]),
            ykman: s(&["--reader", r, "oath", "accounts", "add", "-f", "bench", SECRET]),
            stdin: true,
        },
    ];
    println!("| command | ykotp median | ykotp p90 | ykman median | ykman p90 | ykman / ykotp | APDUs (ykotp) |");
    println!("|---|---|---|---|---|---|---|");
    for op in &ops {
        let (mut ours, mut theirs) = (Vec::new(), Vec::new());
        for _ in 0..rounds {
            ours.push(run(ykotp, &op.ykotp, op.stdin));
            // ykman's put reads no stdin: the secret is its argument
            theirs.push(run(&ykman, &op.ykman, false));
        }
        let (om, o90) = stats(ours);
        let (tm, t90) = stats(theirs);
        // SELECT of the OATH applet is the first APDU after connecting; all are counted
        let n = apdus(ykotp, &op.ykotp, op.stdin);
        println!("| `{}` | {om:.1} ms | {o90:.1} ms | {tm:.0} ms | {t90:.0} ms | {:.0}x | {n} |", op.name, tm / om);
    }
    let key = ykotp::otp::decode_secret(SECRET).unwrap();
    let start = Instant::now();
    let n = 200_000u64;
    let mut sink = 0usize;
    for t in 0..n {
        sink += ykotp::otp::totp(ykotp::otp::Algorithm::Sha1, key.as_bytes(), t * 30, 30, 0, 6).len();
    }
    let per_s = n as f64 / start.elapsed().as_secs_f64();
    assert_eq!(sink, 6 * n as usize);
    println!();
    println!("software engine: {per_s:.0} TOTP codes/s (HMAC-SHA1, one core)");
}
