//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};
use std::process::Command;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Run the built `invlint` binary in the project root; returns (exit code, stdout, stderr).
pub fn invlint(args: &[&str]) -> (i32, String, String) {
    invlint_in(&root(), args)
}

pub fn invlint_in(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_invlint"))
        .args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        // The console the output is laid out for: never the one the tests run in.
        .env_remove("COLUMNS")
        .env_remove("FORCE_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("TERM")
        .output()
        .expect("invlint runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
