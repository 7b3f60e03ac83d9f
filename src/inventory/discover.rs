//! Discovery: which files under the input paths are read.
//!
//! Each input path is walked recursively (walkdir), in file-name order, following symbolic
//! links that stay inside the input folder (walkdir detects loops). A link that leaves it is
//! not followed unless asked (`--follow-links`) and is reported (CSV008): an export folder
//! shared on a server must not make invlint read `/proc` of other processes or walk `/sys`
//! forever. `/proc`, `/sys` and `/dev` are never walked, even when asked. Only regular files
//! are read: a FIFO, socket or device is reported without being opened (a FIFO would block).
//! Globs are case-insensitive, as Windows file names are.
//! Hidden folders and files (name starting with `.`) are
//! skipped unless asked for. Files named on the command line are always read; files found in
//! folders must match an include glob (default `*.csv`, `*.tsv`) and no exclude glob. Entries
//! that cannot be read become errors, never a stop. A file reached twice (overlapping input
//! paths) is read once, under the first path that reached it.

use std::path::{Path, PathBuf};

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use walkdir::DirEntry;

/// Options of discovery.
#[derive(Debug, Clone)]
pub struct DiscoverOptions {
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    pub hidden: bool,
    /// Follow symbolic links that leave the input folder.
    pub follow_links: bool,
}

impl Default for DiscoverOptions {
    fn default() -> Self {
        DiscoverOptions {
            include: vec!["*.csv".into(), "*.tsv".into()],
            exclude: Vec::new(),
            hidden: false,
            follow_links: false,
        }
    }
}

/// A file to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundFile {
    pub path: PathBuf,
    /// The input path as given, joined with the path found under it, `/`-separated.
    pub display: String,
}

/// An entry that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscoverError {
    pub display: String,
    pub message: String,
}

/// Compile glob patterns; they match the path relative to the input folder and, for patterns
/// without `/`, the file name.
pub fn glob_set(patterns: &[String]) -> Result<GlobSet, String> {
    let mut builder = GlobSetBuilder::new();
    for p in patterns {
        let compile = |pattern: &str| {
            GlobBuilder::new(pattern)
                .case_insensitive(true)
                .literal_separator(true)
                .build()
                .map_err(|e| format!("invalid glob `{p}`: {e}"))
        };
        builder.add(compile(p)?);
        if !p.contains('/') {
            builder.add(compile(&format!("**/{p}"))?);
        }
    }
    builder.build().map_err(|e| e.to_string())
}

/// Walk `roots` and return the files to read (in order) and the entries that failed.
pub fn discover(
    roots: &[PathBuf],
    options: &DiscoverOptions,
) -> Result<(Vec<FoundFile>, Vec<DiscoverError>), String> {
    let filters = Filters {
        include: glob_set(&options.include)?,
        exclude: glob_set(&options.exclude)?,
        options,
    };
    let mut found = Found::default();
    for root in roots {
        let root_display = display_root(root);
        if let Some(canonical_root) = found.root(root, &root_display) {
            walk_folder(&filters, root, &root_display, &canonical_root, &mut found);
        }
    }
    read_once(&mut found.files);
    Ok((found.files, found.errors))
}

/// What decides which entries of a folder are read.
struct Filters<'o> {
    include: GlobSet,
    exclude: GlobSet,
    options: &'o DiscoverOptions,
}

impl Filters<'_> {
    /// A file at `relative` (`/`-separated, under its input folder) matches the globs.
    fn wants(&self, relative: &str) -> bool {
        self.include.is_match(relative) && !self.exclude.is_match(relative)
    }
}

/// The files found so far, and the entries that failed.
#[derive(Default)]
struct Found {
    files: Vec<FoundFile>,
    errors: Vec<DiscoverError>,
}

impl Found {
    fn error(&mut self, display: String, message: String) {
        self.errors.push(DiscoverError { display, message });
    }

    /// Take the input path `root`: a file is found as it is; a folder gives its canonical
    /// path, to be walked (`None` when it is not to be, or cannot be, read).
    fn root(&mut self, root: &Path, root_display: &str) -> Option<PathBuf> {
        let meta = match std::fs::metadata(root) {
            Ok(m) => m,
            Err(e) => {
                self.error(root_display.to_string(), e.to_string());
                return None;
            }
        };
        if !meta.is_dir() {
            match crate::files::not_regular(meta.file_type()) {
                Some(what) => self.error(
                    root_display.to_string(),
                    format!("{what}, not a regular file: not read"),
                ),
                None => self.files.push(FoundFile {
                    path: root.to_path_buf(),
                    display: root_display.to_string(),
                }),
            }
            return None;
        }
        let canonical_root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
        if let Some(pseudo) = pseudo_file_system(&canonical_root) {
            self.error(
                root_display.to_string(),
                format!("`{pseudo}` is a kernel file system, not exports: not walked"),
            );
            return None;
        }
        Some(canonical_root)
    }

    /// An entry of the walk of `root` that is not a folder: found if the globs want it.
    fn entry(&mut self, filters: &Filters, root: &Path, root_display: &str, entry: &DirEntry) {
        let relative = entry.path().strip_prefix(root).unwrap_or(entry.path());
        let relative_text = slash_path(relative);
        if !filters.wants(&relative_text) {
            return;
        }
        let display = join_display(root_display, &relative_text);
        if let Some(what) = crate::files::not_regular(entry.file_type()) {
            self.error(display, format!("{what}, not a regular file: not read"));
            return;
        }
        self.files.push(FoundFile {
            path: entry.path().to_path_buf(),
            display,
        });
    }

    /// An entry of the walk of `root` that could not be read.
    fn walk_error(&mut self, root: &Path, root_display: &str, err: &walkdir::Error) {
        let path = err.path().unwrap_or(root);
        let relative = path.strip_prefix(root).unwrap_or(path);
        let message = if let Some(ancestor) = err.loop_ancestor() {
            format!(
                "symbolic link loop: it leads back to `{}`",
                slash_path(ancestor)
            )
        } else {
            err.io_error()
                .map_or_else(|| err.to_string(), |e| e.to_string())
        };
        self.error(join_display(root_display, &slash_path(relative)), message);
    }
}

/// Walk the folder `root` (whose canonical path is `canonical_root`) in file-name order.
fn walk_folder(
    filters: &Filters,
    root: &Path,
    root_display: &str,
    canonical_root: &Path,
    found: &mut Found,
) {
    let options = filters.options;
    // Links left unfollowed, reported once the walk is over (the filter owns them).
    let refused = std::cell::RefCell::new(Vec::new());
    let walker = walkdir::WalkDir::new(root)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            if !(options.hidden || e.depth() == 0 || !is_hidden(e.file_name())) {
                return false;
            }
            if e.depth() == 0 || !e.path_is_symlink() {
                return true;
            }
            match refuse_link(e.path(), canonical_root, options.follow_links) {
                Some(reason) => {
                    let relevant = e.file_type().is_dir() || {
                        let relative = slash_path(e.path().strip_prefix(root).unwrap_or(e.path()));
                        filters.wants(&relative)
                    };
                    if relevant {
                        refused.borrow_mut().push((e.path().to_path_buf(), reason));
                    }
                    false
                }
                None => true,
            }
        });
    for entry in walker {
        match entry {
            Ok(entry) if entry.file_type().is_dir() => {}
            Ok(entry) => found.entry(filters, root, root_display, &entry),
            Err(err) => found.walk_error(root, root_display, &err),
        }
    }
    for (path, message) in refused.into_inner() {
        let relative = path.strip_prefix(root).unwrap_or(&path);
        found.error(join_display(root_display, &slash_path(relative)), message);
    }
}

/// Keep the first of the entries that are the same file (overlapping input paths, `exports
/// exports/*.csv`, a link to a file also found): its rows would otherwise be read twice and
/// every object in it repeated.
fn read_once(files: &mut Vec<FoundFile>) {
    let mut seen = std::collections::HashSet::new();
    files.retain(|f| match file_identity(&f.path) {
        Some(id) => seen.insert(id),
        None => true,
    });
}

#[cfg(unix)]
fn file_identity(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.dev(), meta.ino()))
}

#[cfg(not(unix))]
fn file_identity(path: &Path) -> Option<PathBuf> {
    std::fs::canonicalize(path).ok()
}

/// Why the symbolic link at `path` is not followed, if it is not.
fn refuse_link(path: &Path, root: &Path, follow_links: bool) -> Option<String> {
    // A dangling link is left to walkdir, which reports it.
    let target = std::fs::canonicalize(path).ok()?;
    if let Some(pseudo) = pseudo_file_system(&target) {
        return Some(format!(
            "symbolic link to `{}` in `{pseudo}`, a kernel file system: not followed",
            slash_path(&target)
        ));
    }
    (!follow_links && !target.starts_with(root)).then(|| {
        format!(
            "symbolic link to `{}`, outside the input folder: not followed (--follow-links \
             follows it)",
            slash_path(&target)
        )
    })
}

/// The kernel file system `path` (canonical) is in, if any: never walked.
fn pseudo_file_system(path: &Path) -> Option<&'static str> {
    ["/proc", "/sys", "/dev"]
        .into_iter()
        .find(|p| path.starts_with(p))
}

fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.to_str()
        .is_some_and(|n| n.starts_with('.') && n != "." && n != "..")
}

/// A path with `/` separators.
pub fn slash_path(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

fn display_root(root: &Path) -> String {
    let text = slash_path(root);
    let trimmed = text.trim_end_matches('/');
    if trimmed.is_empty() {
        text
    } else {
        trimmed.to_string()
    }
}

fn join_display(root: &str, relative: &str) -> String {
    if relative.is_empty() {
        root.to_string()
    } else if root.ends_with('/') {
        format!("{root}{relative}")
    } else {
        format!("{root}/{relative}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_paths_join_with_slashes() {
        assert_eq!(
            join_display(&display_root(Path::new("exports/")), "a/b.csv"),
            "exports/a/b.csv"
        );
        assert_eq!(
            join_display(&display_root(Path::new("/")), "b.csv"),
            "/b.csv"
        );
        assert_eq!(join_display("x.csv", ""), "x.csv");
    }

    #[test]
    fn walks_sorted_skips_hidden_and_filters() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "b.csv",
            "a.csv",
            "notes.md",
            ".hidden/c.csv",
            "sub/d.CSV",
            "sub/e.csv",
        ] {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "x").unwrap();
        }
        let root = dir.path().to_path_buf();
        let options = DiscoverOptions {
            exclude: vec!["sub/e.csv".into()],
            ..DiscoverOptions::default()
        };
        let (files, errors) = discover(std::slice::from_ref(&root), &options).unwrap();
        let names: Vec<String> = files
            .iter()
            .map(|f| {
                f.path
                    .strip_prefix(&root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        assert_eq!(names, ["a.csv", "b.csv", "sub/d.CSV"]);
        assert!(errors.is_empty());
    }

    #[test]
    fn a_file_reached_twice_is_read_once() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("exports")).unwrap();
        std::fs::write(dir.path().join("exports/users.csv"), "x").unwrap();
        let roots = [
            dir.path().join("exports"),
            dir.path().join("exports/users.csv"),
            dir.path().join("exports/../exports"),
        ];
        let (files, _) = discover(&roots, &DiscoverOptions::default()).unwrap();
        assert_eq!(files.len(), 1);
        assert!(files[0].display.ends_with("exports/users.csv"));
    }

    #[test]
    fn missing_root_is_an_error_not_a_stop() {
        let (files, errors) = discover(
            &[PathBuf::from("/nonexistent/invlint")],
            &DiscoverOptions::default(),
        )
        .unwrap();
        assert!(files.is_empty());
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].display, "/nonexistent/invlint");
    }
}
