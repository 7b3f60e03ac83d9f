//! Checks of what the user asked for, before and right after a run, so that a mistake ends the
//! run with exit 2 and one clear line instead of a green gate that checked nothing: unknown
//! codes and profiles, a path that reads no CSV, a mistyped subcommand.

use std::path::Path;

use invlint::config::Config;
use invlint::engine::Report;
use invlint::finding::builtin;
use invlint::rule::RuleSet;
use invlint::suggest;

use super::CheckArgs;

/// The subcommands, for the did-you-mean of a first argument that is neither one nor a path.
const SUBCOMMANDS: &[&str] = &[
    "check",
    "report",
    "rules",
    "explain",
    "init",
    "completions",
    "test",
];

/// `invlint chek`: clap reads an unknown first word as a PATH of the default command. When it
/// is no existing path and is close to a subcommand, say so (exit 2) instead of reporting an
/// unreadable input.
pub fn mistyped_subcommand(args: &CheckArgs) -> Option<String> {
    let first = args.paths.first()?.to_str()?;
    if Path::new(first).symlink_metadata().is_ok() || first.contains(['/', '\\', '.', '*']) {
        return None;
    }
    let near = suggest::nearest(first, SUBCOMMANDS.iter().copied())?;
    Some(format!(
        "error: unrecognized subcommand '{first}'; did you mean '{near}'?\n\n\
         Usage: invlint [COMMAND] or invlint check <PATH>...   (try `invlint --help`)"
    ))
}

/// Every code or prefix named on the command line or in the configuration must name a known
/// code (or be `ALL`); every profile must be one that some rule has. All mistakes are listed.
pub fn unknown_names(args: &CheckArgs, config: &Config, rules: &RuleSet) -> Vec<String> {
    let codes = suggest::known_codes(rules.codes());
    let name = config
        .path
        .as_deref()
        .map_or_else(|| "invlint.toml".to_string(), |p| p.display().to_string());
    let file = &config.file;
    let mut lists: Vec<(String, Vec<String>)> = vec![
        ("--select".into(), args.select.clone()),
        ("--extend-select".into(), args.extend_select.clone()),
        ("--ignore".into(), args.ignore.clone()),
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
    let mut profiles: Vec<&str> = rules
        .rules()
        .flat_map(|r| r.profiles.iter().map(String::as_str))
        .chain(invlint::rule::PROFILES.iter().copied())
        .collect();
    profiles.sort_unstable();
    profiles.dedup();
    let configured: Vec<String> = file.profiles.iter().map(|p| p.get_ref().clone()).collect();
    for (what, asked) in [
        ("--profile", &args.profile),
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
pub fn nothing_read(report: &Report, args: &CheckArgs, include: &[String]) -> Option<String> {
    if report.files > 0 {
        return None;
    }
    let unreadable: Vec<&invlint::finding::Finding> = report
        .findings
        .iter()
        .filter(|f| &*f.code == builtin::UNREADABLE.0)
        .collect();
    // Paths that do not exist are said in one line each; an input that exists but cannot be
    // read (a FIFO, a socket) is a finding of the report, in whatever format was asked for.
    let missing =
        |f: &&invlint::finding::Finding| std::fs::symlink_metadata(&*f.location.file).is_err();
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
    let paths: Vec<String> = args
        .paths
        .iter()
        .map(|p| format!("{}", p.display()))
        .collect();
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

/// `--output FORMAT=-` means standard output: it takes the place of `--format` (at most one
/// output there). Two outputs to one path are refused: the second would overwrite the first.
/// Returns the format standard output gets from an `--output`, if one does.
pub fn route_outputs(
    format_given: bool,
    outputs: &mut Vec<(invlint::report::Format, std::path::PathBuf)>,
) -> Result<Option<invlint::report::Format>, String> {
    let same = |a: &Path, b: &Path| {
        a == b
            || matches!(
                (std::path::absolute(a), std::path::absolute(b)),
                (Ok(x), Ok(y)) if x == y
            )
    };
    for (i, (_, a)) in outputs.iter().enumerate() {
        if let Some((_, b)) = outputs[..i].iter().find(|(_, b)| same(a, b)) {
            return Err(if a.as_os_str() == "-" {
                "two --output options write to standard output (`-`); keep one".to_string()
            } else {
                format!(
                    "two --output options write to `{}`; give each output its own file",
                    b.display()
                )
            });
        }
    }
    let Some(index) = outputs.iter().position(|(_, p)| p.as_os_str() == "-") else {
        return Ok(None);
    };
    if format_given {
        return Err(
            "--format and --output FORMAT=- both write to standard output; keep one".to_string(),
        );
    }
    Ok(Some(outputs.remove(index).0))
}
