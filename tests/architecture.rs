//! The shape of the code, read from `src/` as text: the layer order of the library's top
//! modules (docs/ARCHITECTURE.md), no circle of imports between modules or between the files of
//! one module folder, no file over 600 lines and no function over 80 lines without a comment
//! saying why.
//!
//! An **edge** is a path `crate::m…` (or, inside a folder, `super::f…`) written outside a
//! comment; the **module** of a file is its first folder or file name under `src/`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The library's top modules, lowest first: a module may use its own layer and those below.
const LAYERS: &[&[&str]] = &[
    &[
        "fault", "files", "finding", "suggest", "target", "visible", "keymap", "gen", "located",
        "outcome",
    ],
    &["expr", "inventory"],
    &["rule"],
    &["engine"],
    &["gate"],
    &["report"],
    &["config"],
    &["check"],
];

const MAX_FILE_LINES: usize = 600;

/// Known breaches being cut (issue 19), one per line as the tests word them. A breach not on
/// the list fails its test, and so does an entry that no longer happens: the list only shrinks.
const UNTIL_CUT: &[&str] = &[];

/// Fails on a breach not in [`UNTIL_CUT`] and on an entry of `UNTIL_CUT` (of this test's kind,
/// `mine`) that no longer happens.
fn judge(what: &str, found: Vec<String>, mine: impl Fn(&str) -> bool) {
    let new: Vec<&String> = found
        .iter()
        .filter(|f| !UNTIL_CUT.contains(&f.as_str()))
        .collect();
    let gone: Vec<&&str> = UNTIL_CUT
        .iter()
        .filter(|k| mine(k) && !found.iter().any(|f| f == *k))
        .collect();
    assert!(
        new.is_empty() && gone.is_empty(),
        "{what}:\nnew (fix them):\n{}\nfixed (remove them from UNTIL_CUT):\n{}",
        new.iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n"),
        gone.iter().map(|s| **s).collect::<Vec<_>>().join("\n"),
    );
}
const MAX_FN_LINES: usize = 80;

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `src/` that belongs to the library (not the binary's `cli`, `main`).
fn library_files() -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(src()).sort_by_file_name() {
        let entry = entry.expect("walk src/");
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(path).expect("read a source file");
            out.push((path.to_path_buf(), text));
        }
    }
    out
}

fn relative(path: &Path) -> String {
    path.strip_prefix(src())
        .expect("under src/")
        .to_string_lossy()
        .replace('\\', "/")
}

/// The top module a file under `src/` belongs to (`engine/data.rs` → `engine`).
fn module_of(rel: &str) -> &str {
    let first = rel.split('/').next().unwrap_or(rel);
    first.strip_suffix(".rs").unwrap_or(first)
}

fn is_binary(rel: &str) -> bool {
    rel == "main.rs" || rel == "lib.rs" || module_of(rel) == "cli"
}

/// The code of a file without comments (line and doc comments; block comments are not used).
fn code_lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines().map(|line| {
        let trimmed = line.trim_start();
        if trimmed.starts_with("//") {
            ""
        } else {
            // A trailing comment: cut at ` //` (strings holding ` //` would be cut too, which
            // only loses an edge that a string cannot make anyway).
            line.find(" //").map_or(line, |i| &line[..i])
        }
    })
}

/// The names following `prefix` in the code of `text` (`crate::engine::x` → `engine`).
fn names_after<'t>(text: &'t str, prefix: &str) -> BTreeSet<&'t str> {
    let mut names = BTreeSet::new();
    for line in code_lines(text) {
        let mut rest = line;
        while let Some(i) = rest.find(prefix) {
            let before = rest[..i].chars().next_back();
            rest = &rest[i + prefix.len()..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            if end > 0 {
                names.insert(&rest[..end]);
            }
        }
    }
    names
}

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

/// A circle in `graph`, as the names along it, if there is one.
fn find_circle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(node.to_string(), 1);
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            match state.get(next.as_str()) {
                Some(1) => {
                    let start = path.iter().position(|n| n == next).unwrap_or(0);
                    let mut circle = path[start..].to_vec();
                    circle.push(next.clone());
                    return Some(circle);
                }
                Some(_) => {}
                None => {
                    if let Some(circle) = visit(next, graph, state, path) {
                        return Some(circle);
                    }
                }
            }
        }
        path.pop();
        state.insert(node.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for node in graph.keys() {
        if !state.contains_key(node) {
            let mut path = Vec::new();
            if let Some(circle) = visit(node, graph, &mut state, &mut path) {
                return Some(circle);
            }
        }
    }
    None
}

#[test]
fn modules_use_only_their_layer_and_those_below() {
    let mut wrong = Vec::new();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (path, text) in library_files() {
        let rel = relative(&path);
        if is_binary(&rel) {
            continue;
        }
        let module = module_of(&rel);
        let Some(layer) = layer_of(module) else {
            wrong.push(format!(
                "src/{rel}: module `{module}` has no layer in tests/architecture.rs (add it, \
                 and to docs/ARCHITECTURE.md)"
            ));
            continue;
        };
        for used in names_after(&text, "crate::") {
            if used == module {
                continue;
            }
            graph
                .entry(module.to_string())
                .or_default()
                .insert(used.to_string());
            match layer_of(used) {
                Some(l) if l <= layer => {}
                Some(_) => wrong.push(format!("src/{rel} uses crate::{used}, a higher layer")),
                None => wrong.push(format!(
                    "src/{rel}: uses `crate::{used}`, a module with no layer"
                )),
            }
        }
    }
    // The edges already listed as known are left out of the circle search: each is a circle
    // to cut, and listed once is enough.
    for known in UNTIL_CUT {
        if let Some((from, to)) = known.split_once(" uses crate::") {
            let from = module_of(from.trim_start_matches("src/")).to_string();
            let to = to.trim_end_matches(", a higher layer").to_string();
            if let Some(edges) = graph.get_mut(&from) {
                edges.remove(&to);
            }
        }
    }
    if let Some(circle) = find_circle(&graph) {
        wrong.push(format!("circle of modules: {}", circle.join(" -> ")));
    }
    judge("module layers", wrong, |k| {
        k.contains(" uses crate::") || k.starts_with("circle of modules")
    });
}

/// The module path of a file (`inventory/table/mod.rs` → `[inventory, table]`).
fn module_path(rel: &str) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .trim_end_matches(".rs")
        .split('/')
        .map(str::to_string)
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts
}

/// Every path a file names through `crate::` or `super::`, as absolute module paths (the
/// first names of a `{…}` group count, each as its own path).
fn paths_named(text: &str, module: &[String]) -> Vec<Vec<String>> {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut out = Vec::new();
    for line in code_lines(text) {
        let mut rest = line;
        while let Some(i) = rest.find(['c', 's']) {
            let before = rest[..i].chars().next_back();
            let tail = &rest[i..];
            rest = &rest[i + 1..];
            if before.is_some_and(word) {
                continue;
            }
            // Where the path starts: `crate::` is the root; each `super::` goes up one module
            // (a folder's `mod.rs` is the folder's module, so from it `super::` is the parent).
            let (mut base, mut after) = if let Some(t) = tail.strip_prefix("crate::") {
                (Vec::new(), t)
            } else if tail.starts_with("super::") {
                let mut base = module.to_vec();
                let mut t = tail;
                while let Some(r) = t.strip_prefix("super::") {
                    base.pop();
                    t = r;
                }
                (base, t)
            } else {
                continue;
            };
            // Follow `a::b::` segments, then a name or a `{…}` group.
            loop {
                let end = after.find(|c: char| !word(c)).unwrap_or(after.len());
                if end == 0 {
                    if let Some(group) = after.strip_prefix('{') {
                        let group = &group[..group.find('}').unwrap_or(group.len())];
                        for item in group.split(',') {
                            let item = item.trim();
                            let end = item.find(|c: char| !word(c)).unwrap_or(item.len());
                            if end > 0 && item[..end] != *"self" {
                                let mut p = base.clone();
                                p.push(item[..end].to_string());
                                out.push(p);
                            }
                        }
                    }
                    break;
                }
                base.push(after[..end].to_string());
                match after[end..].strip_prefix("::") {
                    Some(r) => after = r,
                    None => {
                        out.push(base);
                        break;
                    }
                }
            }
        }
    }
    out
}

#[test]
fn files_of_a_folder_do_not_import_each_other_in_a_circle() {
    // The parts of a folder are its files and sub-folders (a sub-folder counts as one part,
    // whatever file in it names the other part). A folder's own `mod.rs` is not a part: it
    // declares the parts and they use its types, which is the folder itself, not a circle.
    let files = library_files();
    let folders: BTreeSet<Vec<String>> = files
        .iter()
        .map(|(path, _)| module_path(&relative(path)))
        .flat_map(|m| (1..m.len()).map(move |k| m[..k].to_vec()))
        .collect();
    let mut graphs: BTreeMap<Vec<String>, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for (path, text) in &files {
        let rel = relative(path);
        let module = module_path(&rel);
        for used in paths_named(text, &module) {
            for k in 1..module.len() {
                let folder = &module[..k];
                if !folders.contains(folder) || used.len() <= k || used[..k] != *folder {
                    continue;
                }
                let (from, to) = (&module[k], &used[k]);
                let is_part = files.iter().any(|(p, _)| {
                    let m = module_path(&relative(p));
                    m.len() > k && m[..k] == *folder && m[k] == *to
                });
                if from != to && is_part {
                    graphs
                        .entry(folder.to_vec())
                        .or_default()
                        .entry(from.clone())
                        .or_default()
                        .insert(to.clone());
                }
            }
        }
    }
    let circles: Vec<String> = graphs
        .iter()
        .filter_map(|(folder, graph)| {
            find_circle(graph)
                .map(|c| format!("circle in src/{}: {}", folder.join("/"), c.join(" -> ")))
        })
        .collect();
    judge("circles of files", circles, |k| k.starts_with("circle in "));
}

#[test]
fn no_source_file_is_over_600_lines() {
    let long: Vec<String> = library_files()
        .into_iter()
        .map(|(path, text)| (relative(&path), text.lines().count()))
        .filter(|(_, lines)| *lines > MAX_FILE_LINES)
        .map(|(rel, _)| format!("file src/{rel} is over {MAX_FILE_LINES} lines"))
        .collect();
    judge("long files", long, |k| k.starts_with("file "));
}

/// The name of the function whose signature starts on `line`.
fn fn_name(line: &str) -> &str {
    let after = line.split("fn ").nth(1).unwrap_or(line);
    let end = after
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(after.len());
    &after[..end]
}

/// Whether `line` starts a function (`fn name`, with any visibility and qualifiers).
fn starts_fn(line: &str) -> bool {
    let mut rest = line.trim_start();
    for word in [
        "pub(crate) ",
        "pub(super) ",
        "pub ",
        "const ",
        "async ",
        "unsafe ",
    ] {
        rest = rest.strip_prefix(word).unwrap_or(rest);
    }
    rest.starts_with("fn ") && !line.trim_end().ends_with(';')
}

#[test]
fn no_function_is_over_80_lines_without_a_reason() {
    let mut long = Vec::new();
    for (path, text) in library_files() {
        let rel = relative(&path);
        let lines: Vec<&str> = text.lines().collect();
        // Test modules sit at the end of a file: their helpers and cases are not checked.
        let end = lines
            .iter()
            .position(|l| l.trim() == "#[cfg(test)]")
            .unwrap_or(lines.len());
        let mut i = 0;
        while i < end {
            if !starts_fn(lines[i]) {
                i += 1;
                continue;
            }
            let indent = lines[i].len() - lines[i].trim_start().len();
            let close = format!("{}}}", " ".repeat(indent));
            let Some(len) = lines[i..end].iter().position(|l| l.starts_with(&close)) else {
                i += 1;
                continue;
            };
            if len + 1 > MAX_FN_LINES {
                // The reason: a comment among the lines just above the signature (its docs
                // and attributes) that says why it stays long.
                let above = lines[..i]
                    .iter()
                    .rev()
                    .take_while(|l| {
                        let t = l.trim_start();
                        t.starts_with("//") || t.starts_with("#[")
                    })
                    .any(|l| l.to_ascii_lowercase().contains("long"));
                if !above {
                    long.push(format!("fn {} in src/{rel} is long", fn_name(lines[i])));
                }
            }
            i += len + 1;
        }
    }
    judge(
        &format!("functions over {MAX_FN_LINES} lines without a comment above saying why"),
        long,
        |k| k.starts_with("fn "),
    );
}
