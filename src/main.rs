//! The `ykotp` binary: parse, run, render the error, exit with its documented code.

fn main() -> std::process::ExitCode {
    ykotp::cli::main()
}
