//! The `invlint` command: parse arguments, run, map the outcome to an exit code.
//! Exit codes (contract): 0 nothing at or above `--fail-on`; 1 findings at or above it;
//! 2 the run could not be trusted (bad arguments, bad rule file, unreadable input).

mod cli;

fn main() -> std::process::ExitCode {
    // Panics are contained per file and per rule inside the library; one that escapes (a bug
    // in the command itself) still ends with the exit code of an untrusted run, not 101. The
    // default hook has already printed it on stderr.
    std::process::ExitCode::from(std::panic::catch_unwind(cli::main).unwrap_or(2))
}
