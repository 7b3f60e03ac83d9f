//! The PATH arguments as a shell would not prepare them: glob patterns expanded here (PowerShell
//! passes `exports\*.csv` to a native program as is). (`-`, standard input, is read by the
//! check itself: `invlint::check::stdin`.)

use std::path::{Path, PathBuf};

use globset::GlobBuilder;

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
