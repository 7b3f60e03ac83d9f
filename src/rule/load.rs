//! **Loading**: finding the rule files of the embedded packs and of pack folders, and
//! turning them into a [`RuleSet`].
//!
//! A **pack** is a folder of rule files plus its `tables.toml` (table declarations and value
//! maps). The shipped packs are embedded in the binary at build time.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::inventory::decl::TablesFile;

use super::model::{Pack, Rule, RuleSet};
use super::parse::load_rule;
use crate::located::LocatedError;
use crate::located::SourceText;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded_rules.rs"));
}

impl RuleSet {
    /// Load the embedded packs (when `defaults`) and the packs in `dirs`. A directory holding
    /// `tables.toml` or `*.toml` rules directly is one pack; otherwise each sub-folder is.
    pub fn load(defaults: bool, dirs: &[PathBuf]) -> Result<RuleSet, Vec<LocatedError>> {
        let mut files = embedded_files(defaults);
        let mut errors = Vec::new();
        for dir in dirs {
            match read_pack_dir(dir) {
                Ok(found) => files.extend(found),
                Err(e) => errors.push(*e),
            }
        }
        RuleSet::from_files(files, errors)
    }

    /// Load the embedded packs (when `defaults`) plus rule files given as text:
    /// `(pack, file name, text)`, a file named `tables.toml` holding declarations. For tools
    /// and fuzzing, which have no folder of rules.
    pub fn load_texts(
        defaults: bool,
        texts: &[(&str, &str, &str)],
    ) -> Result<RuleSet, Vec<LocatedError>> {
        let mut files = embedded_files(defaults);
        files.extend(texts.iter().map(|(pack, name, text)| {
            (
                pack.to_string(),
                name.to_string(),
                SourceText {
                    name: Arc::from(format!("{pack}/{name}").as_str()),
                    text: Arc::from(*text),
                },
            )
        }));
        RuleSet::from_files(files, Vec::new())
    }

    fn from_files(
        files: Vec<(String, String, SourceText)>,
        mut errors: Vec<LocatedError>,
    ) -> Result<RuleSet, Vec<LocatedError>> {
        let mut packs: BTreeMap<String, Pack> = BTreeMap::new();
        let mut order: Vec<String> = Vec::new();
        for (pack_name, name, source) in files {
            if !order.contains(&pack_name) {
                order.push(pack_name.clone());
            }
            let pack = packs.entry(pack_name.clone()).or_insert_with(|| Pack {
                name: pack_name.clone(),
                ..Pack::default()
            });
            if name == "tables.toml" || name.ends_with("/tables.toml") {
                match toml::from_str::<TablesFile>(&source.text) {
                    Ok(tables) => {
                        pack.tables.table.extend(tables.table);
                        pack.tables.maps.extend(tables.maps);
                        pack.tables.known.extend(tables.known);
                    }
                    Err(e) => errors.push(LocatedError::toml(&source, &e)),
                }
                continue;
            }
            match load_rule(&pack_name, &name, source) {
                Ok(rule) => pack.rules.push(rule),
                Err(mut e) => errors.append(&mut e),
            }
        }
        let set = RuleSet {
            packs: order.into_iter().filter_map(|n| packs.remove(&n)).collect(),
        };
        // Codes are unique across the run.
        let mut seen: BTreeMap<&str, &Rule> = BTreeMap::new();
        for rule in set.rules() {
            if let Some(first) = seen.insert(&rule.code, rule) {
                errors.push(LocatedError::at_value(
                    &rule.source,
                    0..0,
                    format!(
                        "rule code `{}` is already used by {}",
                        rule.code, first.source.name
                    ),
                    Some("codes are stable and never reused: pick a new one".into()),
                ));
            }
        }
        if errors.is_empty() {
            Ok(set)
        } else {
            Err(errors)
        }
    }
}

/// The embedded rule files as `(pack, file name, source)`; only the table declarations when
/// not `defaults`.
fn embedded_files(defaults: bool) -> Vec<(String, String, SourceText)> {
    let mut files = Vec::new();
    for (path, text) in embedded::EMBEDDED {
        let (pack, name) = path.split_once('/').unwrap_or(("default", path));
        if !defaults && !name.ends_with("tables.toml") {
            continue;
        }
        files.push((
            pack.to_string(),
            name.to_string(),
            SourceText {
                name: Arc::from(format!("<embedded>/{path}").as_str()),
                text: Arc::from(*text),
            },
        ));
    }
    files
}

fn read_pack_dir(dir: &Path) -> Result<Vec<(String, String, SourceText)>, Box<LocatedError>> {
    let is_pack = |d: &Path| {
        std::fs::read_dir(d)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .any(|e| e.path().extension().is_some_and(|x| x == "toml"))
            })
            .unwrap_or(false)
    };
    let mut packs: Vec<PathBuf> = Vec::new();
    if is_pack(dir) {
        packs.push(dir.to_path_buf());
    } else {
        let entries = std::fs::read_dir(dir).map_err(|e| {
            Box::new(LocatedError::plain(format!(
                "cannot read rule folder `{}`: {e}",
                dir.display()
            )))
        })?;
        let mut subdirs: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect();
        subdirs.sort();
        packs.extend(subdirs.into_iter().filter(|d| is_pack(d)));
        if packs.is_empty() {
            return Err(Box::new(LocatedError::plain(format!(
                "no rule files (*.toml) in `{}`",
                dir.display()
            ))));
        }
    }
    let mut out = Vec::new();
    for pack in packs {
        let pack_name = pack
            .file_name()
            .map_or_else(|| "rules".into(), |n| n.to_string_lossy().into_owned());
        let mut entries: Vec<PathBuf> = std::fs::read_dir(&pack)
            .map_err(|e| {
                Box::new(LocatedError::plain(format!(
                    "cannot read rule folder `{}`: {e}",
                    pack.display()
                )))
            })?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        entries.sort();
        for path in entries {
            let display = path.to_string_lossy().replace('\\', "/");
            let text =
                crate::files::read_text_capped(&path, crate::files::MAX_TEXT_FILE, "rule file")
                    .map_err(|e| Box::new(LocatedError::plain(e)))?;
            let name = path
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
            out.push((
                pack_name.clone(),
                name,
                SourceText {
                    name: Arc::from(display.as_str()),
                    text: Arc::from(text.as_str()),
                },
            ));
        }
    }
    Ok(out)
}
