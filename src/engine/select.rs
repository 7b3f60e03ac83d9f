//! **Selection**: which rules and which findings `--select`, `--ignore` and `--profile` let
//! through. A **pattern** is a rule code or a prefix of one (`ALL` matches every code).

use std::collections::BTreeSet;

use crate::finding::{builtin, Finding};

use super::Options;

/// `--select`/`--ignore` by code or prefix, and profiles.
pub(super) fn is_selected(code: &str, profiles: &[String], options: &Options) -> bool {
    let matches = |patterns: &[String]| matches_any(code, patterns);
    let profile_ok = profiles.is_empty()
        || profiles
            .iter()
            .any(|p| options.profiles.iter().any(|q| q.eq_ignore_ascii_case(p)));
    profile_ok
        && (options.select.is_empty() || matches(&options.select))
        && !matches(&options.ignore)
}

/// Whether `code` matches one of the codes or prefixes `patterns` (`ALL` matches every code).
pub(super) fn matches_any(code: &str, patterns: &[String]) -> bool {
    patterns.iter().any(|p| {
        p.eq_ignore_ascii_case(crate::suggest::ALL)
            || code
                .to_ascii_uppercase()
                .starts_with(&p.to_ascii_uppercase())
    })
}

/// Whether a finding's code passes `--select`/`--ignore` (built-in codes included). The
/// findings that say the run cannot be trusted (an input not read, a check that crashed) are
/// never filtered out: `--select AD` must not turn a crash in AD001 into a clean exit 1.
pub fn code_selected(code: &str, options: &Options) -> bool {
    code == builtin::UNREADABLE.0 || code == builtin::INTERNAL.0 || is_selected(code, &[], options)
}

/// Whether `finding` says that a table a selected rule reads could not be read whole: not a
/// CSV at all (`CSV004`, whatever it was meant to be), ragged rows (`CSV001`) or a missing
/// column (`CSV006`) of a kind in `read`. Hiding it would let `--select` pass a run whose
/// rules never saw the rows.
pub(super) fn guards_selected_rules(finding: &Finding, read: &BTreeSet<String>) -> bool {
    let code = &*finding.code;
    if read.is_empty() {
        return false;
    }
    code == builtin::NOT_CSV.0
        || ((code == builtin::RAGGED_ROW.0 || code == builtin::MISSING_COLUMN.0)
            && finding.location.table().is_none_or(|t| read.contains(t)))
}
