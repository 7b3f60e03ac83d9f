//! Standard input as an export: the path `-` names it. It is kept in a file for the run (an
//! inventory is read more than once) and shown as `-` in everything the run reports.

use std::io::Read;
use std::path::PathBuf;

use crate::engine::Outcome;

/// The path that names standard input, and its display name in findings.
pub const STDIN: &str = "-";

/// Standard input saved to a file for the run (inventories are read more than once), removed
/// when dropped.
pub struct StdinCopy {
    dir: PathBuf,
    pub path: PathBuf,
}

impl StdinCopy {
    pub fn read() -> Result<StdinCopy, String> {
        if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
            return Err(
                "`-` reads standard input, which is a terminal here: pipe an export into it \
                 (`Get-CsUser | ConvertTo-Csv -NoTypeInformation | invlint check -`)"
                    .to_string(),
            );
        }
        let dir = std::env::temp_dir().join(format!("invlint-stdin-{}", std::process::id()));
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot keep standard input in {}: {e}", dir.display()))?;
        let path = dir.join("stdin.csv");
        let mut bytes = Vec::new();
        std::io::stdin()
            .lock()
            .read_to_end(&mut bytes)
            .map_err(|e| format!("cannot read standard input: {e}"))?;
        std::fs::write(&path, bytes)
            .map_err(|e| format!("cannot keep standard input in {}: {e}", path.display()))?;
        Ok(StdinCopy { dir, path })
    }

    /// The copy's name as the engine shows it.
    pub fn display(&self) -> String {
        crate::inventory::discover::slash_path(&self.path)
    }
}

impl Drop for StdinCopy {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Show the file named `from` as `to` everywhere in `report` (findings, related cells, the
/// files read).
pub fn rename(report: &mut Outcome, from: &str, to: &str) {
    let to: std::sync::Arc<str> = std::sync::Arc::from(to);
    let swap = |name: &mut std::sync::Arc<str>| {
        if &**name == from {
            *name = to.clone();
        }
    };
    let rename = |location: &mut crate::finding::Location| {
        if &**location.file() == from {
            location.rename_file(to.clone());
        }
    };
    for f in &mut report.findings {
        rename(&mut f.location);
        f.message = f.message.text().replace(from, &to).into();
        for r in &mut f.related {
            rename(&mut r.location);
        }
    }
    for k in &mut report.kept {
        swap(&mut k.file);
    }
    for file in &mut report.inventory.files {
        swap(&mut file.display);
    }
}
