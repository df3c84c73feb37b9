//! Keeping secrets out of core dumps and debuggers. Set once at start, before any secret
//! is read: no core file (RLIMIT_CORE 0, soft and hard), and on Linux the process is
//! not dumpable, so other processes of the same user cannot ptrace it or read its
//! memory through /proc (root still can). macOS has no safe equivalent of
//! PT_DENY_ATTACH here: there only core dumps are prevented.

/// Disables core dumps and (on Linux) ptrace attach. Failures are ignored: they leave
/// the process as it was, and `ykotp doctor` reports the state.
pub fn protect() {
    let none = rustix::process::Rlimit { current: Some(0), maximum: Some(0) };
    let _ = rustix::process::setrlimit(rustix::process::Resource::Core, none);
    #[cfg(any(target_os = "linux", target_os = "android"))]
    let _ = rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable);
}

/// Whether core dumps, and (on Linux) attaching, are disabled in this process.
pub fn protected() -> bool {
    let core = rustix::process::getrlimit(rustix::process::Resource::Core);
    let no_core = core.current == Some(0) && core.maximum == Some(0);
    #[cfg(any(target_os = "linux", target_os = "android"))]
    let no_attach = matches!(rustix::process::dumpable_behavior(), Ok(rustix::process::DumpableBehavior::NotDumpable));
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let no_attach = true;
    no_core && no_attach
}
