//! Files that hold secrets or state: written atomically through a temp file with an
//! unpredictable name (created `O_CREAT|O_EXCL|O_NOFOLLOW`, mode 0600, in the target's
//! directory, fsynced, renamed over the target), read with a size cap, locked with an
//! advisory lock on a side file opened without following symlinks, and refused when
//! another user could have written them (OpenSSH's StrictModes rule).

use std::fs;
use std::io::{self, Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use zeroize::Zeroizing;

/// The part of a temp file's name after `.NAME`: what marks a file as one of ours. The
/// PID-suffixed temp files of earlier versions (`.NAME.tmp1234`) share it.
const TEMP_MARK: &str = ".tmp";

fn dir_of(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

fn temp_prefix(path: &Path) -> String {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    format!(".{name}{TEMP_MARK}")
}

/// Writes `bytes` to `path` atomically, readable only by the owner.
///
/// Callers that may race other writers of the same file hold its [`lock`] first: temp
/// files left by a writer that crashed are removed here, and without the lock a
/// concurrent writer's temp file could be taken for one.
pub fn write(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = dir_of(path);
    let prefix = temp_prefix(path);
    remove_stale(dir, &prefix);
    // O_EXCL refuses any existing name, symlinks included; O_NOFOLLOW says so twice.
    let mut tmp = tempfile::Builder::new()
        .prefix(&prefix)
        .rand_bytes(12)
        .make_in(dir, |p| fs::OpenOptions::new().write(true).create_new(true).mode(0o600).custom_flags(libc::O_NOFOLLOW).open(p))?;
    tmp.as_file_mut().write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Removes temp files a crashed writer of the same target left behind.
fn remove_stale(dir: &Path, prefix: &str) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let is_ours = name.to_str().is_some_and(|n| n.starts_with(prefix));
        // never descend into or remove a directory someone put there
        if is_ours && entry.file_type().is_ok_and(|t| !t.is_dir()) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Creates `dir` and its parents with mode 0700 for new directories.
pub fn create_dir(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)
}

/// Why a file was not read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file could not be opened or read.
    #[error("{0}")]
    Io(#[from] io::Error),
    /// The file is larger than any file of this kind we write.
    #[error("it is larger than {cap} bytes")]
    TooLarge {
        /// The cap.
        cap: u64,
    },
}

/// Reads at most `cap` bytes of `path`; `Ok(None)` when it does not exist. The buffer is
/// zeroized when dropped (these files hold secrets).
pub fn read_capped(path: &Path, cap: u64) -> Result<Option<Zeroizing<Vec<u8>>>, ReadError> {
    let file = match fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let mut buf = Zeroizing::new(Vec::new());
    file.take(cap + 1).read_to_end(&mut buf)?;
    if buf.len() as u64 > cap {
        return Err(ReadError::TooLarge { cap });
    }
    Ok(Some(buf))
}

/// What is wrong with a damaged JSON file, by position only: serde's own messages quote
/// the values they reject, and these files hold secrets.
pub fn json_problem(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let what = match e.classify() {
        Category::Syntax => "it is not valid JSON",
        Category::Eof => "it is cut short",
        Category::Data => "a value has the wrong type or form",
        Category::Io => "it cannot be read",
    };
    format!("{what} (line {}, column {})", e.line(), e.column())
}

/// An advisory lock, held until dropped.
#[derive(Debug)]
pub struct Lock {
    _file: fs::File,
}

/// Why a lock was not taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// The lock file could not be opened or locked (a symlink there is refused).
    #[error("cannot lock {path}: {source}")]
    Io {
        /// The lock file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// The lock file is not a regular file of ours.
    #[error("cannot lock {path}: {problem}")]
    Untrusted {
        /// The lock file.
        path: PathBuf,
        /// What is wrong with it.
        problem: Problem,
    },
    /// Another process held the lock for longer than the deadline.
    #[error("{path} is locked by another process (waited {}s)", waited.as_secs())]
    Timeout {
        /// The lock file.
        path: PathBuf,
        /// How long we waited.
        waited: Duration,
    },
}

/// Takes an exclusive advisory lock on `lock_path` (created 0600 if missing, never
/// through a symlink), waiting at most `wait` for another holder.
pub fn lock(lock_path: &Path, wait: Duration) -> Result<Lock, LockError> {
    let io = |source| LockError::Io { path: lock_path.to_owned(), source };
    // O_NONBLOCK: a FIFO planted at the name must not hang the open
    let file = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(lock_path)
        .map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    if let Some(problem) = judge(Kind::File, meta.file_type().is_file(), meta.uid(), meta.mode(), my_uid()) {
        return Err(LockError::Untrusted { path: lock_path.to_owned(), problem });
    }
    let start = Instant::now();
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(Lock { _file: file }),
            Err(fs::TryLockError::WouldBlock) if start.elapsed() < wait => std::thread::sleep(Duration::from_millis(10)),
            Err(fs::TryLockError::WouldBlock) => return Err(LockError::Timeout { path: lock_path.to_owned(), waited: wait }),
            Err(fs::TryLockError::Error(e)) => return Err(io(e)),
        }
    }
}

/// The side file that [`lock`] uses for `path`: `PATH.lock`.
pub fn lock_path(path: &Path) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(".lock");
    PathBuf::from(p)
}

/// What a trusted file or directory must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A regular file.
    File,
    /// A directory we created for ourselves (`…/ykotp`): no sticky-bit exception.
    OwnDir,
    /// The directory a file was put in by the user (`--config`, a virtual key's state):
    /// a world-writable directory with the sticky bit (`/tmp`) is fine, since others
    /// cannot replace files in it.
    ParentDir,
}

/// Why a file or directory is not trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    /// Owned by another user (neither us nor root).
    #[error("it is owned by another user (uid {0})")]
    Owner(u32),
    /// Group or others may write it.
    #[error("it is writable by {} (mode {:04o})", if .0 & 0o002 != 0 { "others" } else { "its group" }, .0 & 0o7777)]
    Writable(u32),
    /// Not the kind of file expected (a directory, a FIFO, a device…).
    #[error("it is not a {0}")]
    NotA(&'static str),
}

impl Problem {
    /// The command that fixes it.
    pub fn fix(&self, path: &Path) -> String {
        match self {
            Problem::Owner(_) => format!("if you trust it, take it: chown \"$(id -un)\" '{}'; otherwise remove it", path.display()),
            Problem::Writable(_) => format!("chmod go-w '{}'", path.display()),
            Problem::NotA(_) => format!("remove or rename '{}'", path.display()),
        }
    }
}

/// A file or directory that failed [`check_trusted`].
#[derive(Debug, thiserror::Error)]
#[error("{path} is not safe to use: {problem}")]
pub struct Untrusted {
    /// The file or directory.
    pub path: PathBuf,
    /// What is wrong with it.
    pub problem: Problem,
}

/// Our effective uid.
pub fn my_uid() -> u32 {
    rustix::process::geteuid().as_raw()
}

/// The StrictModes rule, on already-read metadata: the owner must be `me` or root, and
/// neither group nor others may write (a sticky `ParentDir` excepted).
pub fn judge(kind: Kind, right_type: bool, uid: u32, mode: u32, me: u32) -> Option<Problem> {
    if !right_type {
        return Some(Problem::NotA(if kind == Kind::File { "regular file" } else { "directory" }));
    }
    if uid != me && uid != 0 {
        return Some(Problem::Owner(uid));
    }
    let sticky = mode & 0o1000 != 0;
    if mode & 0o022 != 0 && !(kind == Kind::ParentDir && sticky) {
        return Some(Problem::Writable(mode));
    }
    None
}

/// Checks `path` (following symlinks, as reading it would) with [`judge`]. A path that
/// does not exist is fine: we create it ourselves, privately.
pub fn check_trusted(path: &Path, kind: Kind) -> Result<(), Untrusted> {
    let meta = match fs::metadata(path) {
        Ok(m) => m,
        Err(_) => return Ok(()),
    };
    let right_type = if kind == Kind::File { meta.is_file() } else { meta.is_dir() };
    match judge(kind, right_type, meta.uid(), meta.mode(), my_uid()) {
        Some(problem) => Err(Untrusted { path: path.to_owned(), problem }),
        None => Ok(()),
    }
}

/// Checks a file and the directory it is in.
pub fn check_file_and_dir(path: &Path, dir_kind: Kind) -> Result<(), Untrusted> {
    check_trusted(dir_of(path), dir_kind)?;
    check_trusted(path, Kind::File)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    const ME: u32 = 1000;

    #[test]
    fn strict_modes() {
        assert_eq!(judge(Kind::File, true, ME, 0o100600, ME), None);
        assert_eq!(judge(Kind::File, true, 0, 0o100644, ME), None, "root's files are trusted");
        assert_eq!(judge(Kind::File, true, 1001, 0o100600, ME), Some(Problem::Owner(1001)));
        assert_eq!(judge(Kind::File, true, ME, 0o100620, ME), Some(Problem::Writable(0o100620)));
        assert_eq!(judge(Kind::File, true, ME, 0o100602, ME), Some(Problem::Writable(0o100602)));
        assert_eq!(judge(Kind::File, false, ME, 0o040700, ME), Some(Problem::NotA("regular file")));
        assert_eq!(judge(Kind::OwnDir, true, ME, 0o040755, ME), None);
        assert_eq!(judge(Kind::OwnDir, true, ME, 0o041777, ME), Some(Problem::Writable(0o041777)));
        assert_eq!(judge(Kind::ParentDir, true, 0, 0o041777, ME), None, "/tmp");
        assert_eq!(judge(Kind::ParentDir, true, 0, 0o040777, ME), Some(Problem::Writable(0o040777)));
        assert_eq!(Problem::Writable(0o100666).to_string(), "it is writable by others (mode 0666)");
        assert_eq!(Problem::Writable(0o100660).to_string(), "it is writable by its group (mode 0660)");
    }

    #[test]
    fn writes_are_private_atomic_and_clean_up_after_a_crash() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("keys.json");
        // what a crashed writer leaves: the old PID-named copy and a new random one
        fs::write(dir.path().join(".keys.json.tmp4242"), "old secret").unwrap();
        fs::write(dir.path().join(".keys.json.tmpAbCdEf123456"), "old secret").unwrap();
        fs::write(dir.path().join(".other.json.tmp1"), "not ours to remove").unwrap();
        write(&target, b"new").unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"new");
        assert_eq!(fs::metadata(&target).unwrap().permissions().mode() & 0o777, 0o600);
        let mut names: Vec<String> = fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        names.sort();
        assert_eq!(names, [".other.json.tmp1", "keys.json"]);
    }

    #[test]
    fn a_symlinked_lock_file_is_refused_and_creates_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("created-through-the-link");
        let l = dir.path().join("keys.json.lock");
        std::os::unix::fs::symlink(&victim, &l).unwrap();
        let e = lock(&l, Duration::ZERO).unwrap_err();
        assert!(matches!(e, LockError::Io { .. }), "{e}");
        assert!(!victim.exists());
    }

    #[test]
    fn a_held_lock_times_out() {
        let dir = tempfile::tempdir().unwrap();
        let l = dir.path().join("x.lock");
        let held = lock(&l, Duration::ZERO).unwrap();
        assert!(matches!(lock(&l, Duration::from_millis(30)), Err(LockError::Timeout { .. })));
        drop(held);
        lock(&l, Duration::ZERO).unwrap();
    }

    #[test]
    fn json_problems_quote_nothing_from_the_file() {
        let e = serde_json::from_str::<std::collections::BTreeMap<String, u64>>("{\"a\": \"SECRETVALUE\"}").unwrap_err();
        assert!(e.to_string().contains("SECRETVALUE"), "serde's own message would have leaked it");
        assert_eq!(json_problem(&e), "a value has the wrong type or form (line 1, column 19)");
    }

    #[test]
    fn reads_are_capped() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        assert!(read_capped(&p, 4).unwrap().is_none());
        fs::write(&p, b"1234").unwrap();
        assert_eq!(read_capped(&p, 4).unwrap().unwrap().as_slice(), b"1234");
        fs::write(&p, b"12345").unwrap();
        assert!(matches!(read_capped(&p, 4), Err(ReadError::TooLarge { cap: 4 })));
    }
}
