//! The `invlint` command: parse arguments, run, map the outcome to an exit code.
//! Exit codes (contract): 0 nothing at or above `--fail-on`; 1 findings at or above it;
//! 2 the run could not be trusted (bad arguments, bad rule file, unreadable input).

mod cli;

fn main() -> std::process::ExitCode {
    std::process::ExitCode::from(cli::main())
}
