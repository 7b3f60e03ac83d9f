//! The PATH arguments as a shell would not prepare them: glob patterns expanded here (PowerShell
//! passes `exports\*.csv` to a native program as is), and `-` for standard input.

use std::io::Read;
use std::path::{Path, PathBuf};

use globset::GlobBuilder;
use invlint::engine::Report;

/// The display name of standard input in findings.
pub const STDIN: &str = "-";

/// Whether `text` holds glob metacharacters.
fn is_pattern(text: &str) -> bool {
    text.contains(['*', '?', '['])
}

/// Expand the PATH arguments that are glob patterns naming no existing file, each into the
/// files and folders it matches (sorted, spelled from the pattern's own folder as typed).
/// A pattern that matches nothing is an error.
pub fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for path in paths {
        let text = path.to_string_lossy();
        if !is_pattern(&text) || path.symlink_metadata().is_ok() {
            out.push(path.clone());
            continue;
        }
        let matched = matches(&text)?;
        if matched.is_empty() {
            return Err(format!("no file or folder matches `{text}`"));
        }
        out.extend(matched);
    }
    Ok(out)
}

/// The paths matching `pattern`: its leading components without metacharacters are the folder
/// walked, the rest is matched against the paths under it (`*` never crosses a separator,
/// `**` does; case-insensitive, as Windows file names are).
fn matches(pattern: &str) -> Result<Vec<PathBuf>, String> {
    let separators: &[char] = if cfg!(windows) { &['/', '\\'] } else { &['/'] };
    let components: Vec<&str> = pattern.split(separators).collect();
    let fixed = components
        .iter()
        .position(|c| is_pattern(c))
        .unwrap_or(components.len());
    let base_text = components[..fixed].join("/");
    let rest = components[fixed..].join("/");
    let base = if base_text.is_empty() && !pattern.starts_with(separators) {
        PathBuf::from(".")
    } else if base_text.is_empty() {
        PathBuf::from("/")
    } else {
        PathBuf::from(&base_text)
    };
    let glob = GlobBuilder::new(&rest)
        .literal_separator(true)
        .case_insensitive(true)
        .build()
        .map_err(|e| format!("invalid pattern `{pattern}`: {}", e.kind()))?
        .compile_matcher();
    let depth = if rest.contains("**") {
        usize::MAX
    } else {
        rest.split('/').count()
    };
    let mut found = Vec::new();
    for entry in walkdir::WalkDir::new(&base)
        .min_depth(1)
        .max_depth(depth)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
    {
        let Ok(relative) = entry.path().strip_prefix(&base) else {
            continue;
        };
        let relative = relative.to_string_lossy().replace('\\', "/");
        if glob.is_match(&relative) {
            found.push(if base_text.is_empty() && base == Path::new(".") {
                PathBuf::from(relative)
            } else {
                PathBuf::from(format!("{}/{relative}", base_text.trim_end_matches('/')))
            });
        }
    }
    // A folder matched together with files under it would be read twice: keep the folder.
    let folders: Vec<PathBuf> = found.iter().filter(|p| p.is_dir()).cloned().collect();
    found.retain(|p| !folders.iter().any(|f| p != f && p.starts_with(f)));
    Ok(found)
}

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
        invlint::inventory::discover::slash_path(&self.path)
    }
}

impl Drop for StdinCopy {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Show the file named `from` as `to` everywhere in `report` (findings, related cells, the
/// files read).
pub fn rename(report: &mut Report, from: &str, to: &str) {
    let to: std::sync::Arc<str> = std::sync::Arc::from(to);
    let swap = |name: &mut std::sync::Arc<str>| {
        if &**name == from {
            *name = to.clone();
        }
    };
    for f in &mut report.findings {
        swap(&mut f.location.file);
        f.message = f.message.replace(from, &to);
        for r in &mut f.related {
            swap(&mut r.location.file);
        }
    }
    for k in &mut report.kept {
        swap(&mut k.file);
    }
    for file in &mut report.inventory.files {
        swap(&mut file.display);
    }
}
