//! The **gate**: what happens to the engine's findings before they are reported and turned into
//! an exit code.
//!
//! In order: severity overrides and per-path settings of the configuration ([`Adjust`]), then
//! suppressions ([`suppress`]: accepted findings, each with a reason), then the baseline
//! ([`baseline`]: findings known when it was written). Findings are matched on **row identity**
//! (the table's key, such as the normalised SIP address, see [`Finding::identity`]) and never
//! on line numbers, so a re-export with its rows in another order changes nothing.

pub mod baseline;
pub mod suppress;

use std::collections::BTreeMap;

use globset::{Glob, GlobSet, GlobSetBuilder};

use crate::finding::{Finding, Severity};

pub use crate::outcome::GateSummary;

/// Severity overrides and per-path settings, compiled.
#[derive(Debug, Default)]
pub struct Adjust {
    /// (code or prefix, severity), longest first so the most specific wins.
    severity: Vec<(String, Severity)>,
    per_path: Vec<PathSettings>,
}

/// Settings for the files matching some globs (a `[[per-path]]` entry of the configuration,
/// which builds these): codes left out there and severities changed there.
#[derive(Debug, Clone, Copy)]
pub struct ForPaths<'a> {
    pub paths: &'a [String],
    pub ignore: &'a [String],
    pub severity: &'a BTreeMap<String, Severity>,
}

/// A per-path entry, compiled.
#[derive(Debug)]
struct PathSettings {
    paths: GlobSet,
    ignore: Vec<String>,
    severity: Vec<(String, Severity)>,
}

/// Severity table sorted so that the longest (most specific) code or prefix comes first.
fn severity_table(map: &BTreeMap<String, Severity>) -> Vec<(String, Severity)> {
    let mut table: Vec<(String, Severity)> = map
        .iter()
        .map(|(code, s)| (code.to_ascii_uppercase(), *s))
        .collect();
    table.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.0.cmp(&b.0)));
    table
}

impl Adjust {
    /// Compile severity overrides (code or prefix → severity) and per-path settings (applied
    /// in the order given); an error names a bad glob.
    pub fn new<'a>(
        severity: &BTreeMap<String, Severity>,
        for_paths: impl IntoIterator<Item = ForPaths<'a>>,
    ) -> Result<Adjust, String> {
        let severity = severity_table(severity);
        let mut per_path = Vec::new();
        for entry in for_paths {
            let mut builder = GlobSetBuilder::new();
            for glob in entry.paths {
                builder.add(Glob::new(glob).map_err(|e| format!("bad glob `{glob}`: {e}"))?);
            }
            per_path.push(PathSettings {
                paths: builder.build().map_err(|e| e.to_string())?,
                ignore: entry.ignore.to_vec(),
                severity: severity_table(entry.severity),
            });
        }
        Ok(Adjust { severity, per_path })
    }

    pub fn is_empty(&self) -> bool {
        self.severity.is_empty() && self.per_path.is_empty()
    }

    /// Apply severity overrides, then per-path `ignore` and `severity`, in file order.
    pub fn apply(&self, findings: &mut Vec<Finding>) {
        if self.is_empty() {
            return;
        }
        findings.retain_mut(|f| {
            if let Some(s) = lookup(&self.severity, &f.code) {
                f.severity = s;
            }
            for settings in &self.per_path {
                if !settings.paths.is_match(&**f.location.file()) {
                    continue;
                }
                if settings.ignore.iter().any(|p| code_matches(&f.code, p)) {
                    return false;
                }
                if let Some(s) = lookup(&settings.severity, &f.code) {
                    f.severity = s;
                }
            }
            true
        });
    }
}

fn lookup(table: &[(String, Severity)], code: &str) -> Option<Severity> {
    table
        .iter()
        .find(|(prefix, _)| code_matches(code, prefix))
        .map(|(_, s)| *s)
}

/// Whether `code` is `pattern` or starts with it (case-insensitive): `PC` matches `PC001`.
pub fn code_matches(code: &str, pattern: &str) -> bool {
    code.len() >= pattern.len()
        && code.as_bytes()[..pattern.len()].eq_ignore_ascii_case(pattern.as_bytes())
}

/// The key a finding is matched on in baselines and suppressions: its row identity; for a row
/// whose key is empty, its table kind (`users:`), which survives renamed and moved exports;
/// else its file (findings about a whole file).
pub fn finding_key(finding: &Finding) -> String {
    match (&finding.identity, finding.location.table()) {
        (Some(identity), _) => identity.to_string(),
        (None, Some(table)) if finding.location.row().is_some() => format!("{table}:"),
        (None, _) => format!("file:{}", finding.location.file()),
    }
}
