//! The input format of the `check_folder` target, shared with the replay of its crash inputs
//! in `tests/hostile.rs` (`fuzz_regressions`): up to six files' contents separated by
//! `\0\0FILE\0\0`, written under names like the exports of a real inventory so that
//! recognition and cross-table rules run.

use std::io;
use std::path::Path;

const SEPARATOR: &[u8] = b"\0\0FILE\0\0";
pub const NAMES: [&str; 6] = [
    "users.csv",
    "Lync_Services_Registrar.csv",
    "pchat-services.csv",
    "rooms.csv",
    "sub/EndpointRegistrations.csv",
    "policies/x.tsv",
];

/// The files of `data`, at most one per name.
fn split(data: &[u8]) -> Vec<&[u8]> {
    let mut parts = Vec::new();
    let mut rest = data;
    while parts.len() + 1 < NAMES.len() {
        match rest.windows(SEPARATOR.len()).position(|w| w == SEPARATOR) {
            Some(i) => {
                parts.push(&rest[..i]);
                rest = &rest[i + SEPARATOR.len()..];
            }
            None => break,
        }
    }
    parts.push(rest);
    parts
}

/// Write the files of `data` under `root` (which holds no other file of these names).
pub fn write_files(root: &Path, data: &[u8]) -> io::Result<()> {
    for name in NAMES {
        match std::fs::remove_file(root.join(name)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
    }
    for (name, bytes) in NAMES.iter().zip(split(data)) {
        let path = root.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, bytes)?;
    }
    Ok(())
}
