//! Checks of what the user asked for, before and right after the engine runs, so that a
//! mistake ends the check with a clear message instead of a green gate that checked nothing:
//! unknown codes, profiles and table kinds, suppressions of unknown codes, a path that reads
//! no CSV.

use crate::engine::Outcome;
use crate::finding::{builtin, Finding};
use crate::rule::RuleSet;
use crate::suggest;

use super::Settings;

/// Every code or prefix named on the command line or in the configuration must name a known
/// code (or be `ALL`); every profile must be one that some rule has. All mistakes are listed.
pub fn unknown_names(settings: &Settings, rules: &RuleSet) -> Vec<String> {
    let (asked, config) = (&settings.asked, &settings.config);
    let codes = suggest::known_codes(rules.codes());
    let name = config
        .path
        .as_deref()
        .map_or_else(|| "invlint.toml".to_string(), |p| p.display().to_string());
    let file = &config.file;
    let mut lists: Vec<(String, Vec<String>)> = vec![
        ("--select".into(), asked.select.clone()),
        ("--extend-select".into(), asked.extend_select.clone()),
        ("--ignore".into(), asked.ignore.clone()),
        (format!("{name}: select"), file.select.clone()),
        (format!("{name}: extend-select"), file.extend_select.clone()),
        (format!("{name}: ignore"), file.ignore.clone()),
        (
            format!("{name}: [severity]"),
            file.severity.keys().cloned().collect(),
        ),
    ];
    for entry in &file.per_path {
        lists.push((format!("{name}: [[per-path]] ignore"), entry.ignore.clone()));
        lists.push((
            format!("{name}: [[per-path]] severity"),
            entry.severity.keys().cloned().collect(),
        ));
    }
    let mut errors: Vec<String> = lists
        .iter()
        .flat_map(|(what, patterns)| {
            patterns
                .iter()
                .filter(|p| !p.trim().is_empty())
                .filter_map(|p| suggest::unknown_pattern(what, p.trim(), &codes))
        })
        .collect();
    errors.extend(unknown_profiles(settings, rules, &name));
    let kinds: Vec<String> = rules.decls().into_iter().map(|d| d.kind).collect();
    for kind in file.table.iter().filter_map(|t| t.kind.as_deref()) {
        if !kinds.iter().any(|k| k == kind) {
            errors.push(format!(
                "{name}: [[table]] kind: unknown table kind `{kind}`{} (kinds: {})",
                suggest::did_you_mean(kind, kinds.iter().map(String::as_str)),
                kinds.join(", ")
            ));
        }
    }
    errors
}

/// The asked and configured profiles that no rule has (`name`: the configuration's name).
fn unknown_profiles(settings: &Settings, rules: &RuleSet, name: &str) -> Vec<String> {
    let mut profiles: Vec<&str> = rules
        .rules()
        .flat_map(|r| r.profiles.iter().map(String::as_str))
        .chain(crate::rule::PROFILES.iter().copied())
        .collect();
    profiles.sort_unstable();
    profiles.dedup();
    let configured: Vec<String> = settings
        .config
        .file
        .profiles
        .iter()
        .map(|p| p.get_ref().clone())
        .collect();
    let mut errors = Vec::new();
    for (what, asked) in [
        ("--profile", &settings.asked.profiles),
        (&*format!("{name}: profiles"), &configured),
    ] {
        for p in asked {
            if !profiles.iter().any(|known| known.eq_ignore_ascii_case(p)) {
                errors.push(format!(
                    "{what}: unknown profile `{p}`{} (profiles: {})",
                    suggest::did_you_mean(p, profiles.iter().copied()),
                    profiles.join(", ")
                ));
            }
        }
    }
    errors
}

/// A suppression entry's code must be a known code, exactly.
pub fn unknown_suppression_code(code: &str, codes: &[String]) -> Option<String> {
    let code = code.trim();
    if codes.iter().any(|c| c.eq_ignore_ascii_case(code)) {
        return None;
    }
    Some(format!(
        "unknown rule code `{code}`{}",
        suggest::did_you_mean(code, codes.iter().map(String::as_str))
    ))
}

/// When a run read no file at all, the one line that says why (nothing else is worth showing:
/// no rule could run). `None` when some file was read.
pub fn nothing_read(report: &Outcome, settings: &Settings) -> Option<String> {
    if report.files > 0 {
        return None;
    }
    let unreadable: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| &*f.code == builtin::UNREADABLE.0)
        .collect();
    // Paths that do not exist are said in one line each; an input that exists but cannot be
    // read (a FIFO, a socket) is a finding of the report, in whatever format was asked for.
    let missing = |f: &&Finding| std::fs::symlink_metadata(&**f.location.file()).is_err();
    if !unreadable.is_empty() {
        if !unreadable.iter().all(missing) {
            return None;
        }
        let lines: Vec<String> = unreadable
            .iter()
            .map(|f| format!("error: {}", f.message))
            .collect();
        return Some(lines.join("\n"));
    }
    let paths: Vec<String> = settings
        .asked
        .paths
        .iter()
        .map(|p| format!("{}", p.display()))
        .collect();
    let include = &settings.options.discover.include;
    let patterns = if include.is_empty() {
        "*.csv, *.tsv".to_string()
    } else {
        include.join(", ")
    };
    Some(format!(
        "error: no CSV under {} (files matching {patterns}; --include changes that)",
        paths.join(", ")
    ))
}
