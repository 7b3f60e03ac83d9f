//! **Suppressions**: findings a team has accepted, one entry each, with a reason.
//!
//! A CSV cannot carry comments, so suppressions live in a file (`invlint-suppressions.toml`, or
//! `[[suppress]]` tables in `invlint.toml`). An entry names a `code` and a `key` (the row's key
//! as the table declares it, such as a SIP address — `sip:` and case do not matter — or the
//! offending value, or the file path for findings about a whole file), optionally a `table`
//! kind, a mandatory `reason` and an optional `expires` date.
//!
//! - An entry **suppresses** the findings it matches; they are counted, not shown.
//! - An **expired** entry suppresses nothing: its findings are reported again, with a note.
//! - A **stale** entry matches no finding (the problem was fixed, or the key is wrong): it is
//!   reported as `INV002`, located in the file, so the list does not rot.

use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use serde::Deserialize;
use toml::Spanned;

use crate::finding::{builtin, Anchor, Excerpt, Finding, Location, Severity, Span};
use crate::located::{LocatedError, SourceText};

/// The file name looked for beside `invlint.toml` (or in the current folder).
pub const FILE_NAME: &str = "invlint-suppressions.toml";

/// One suppression as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuppressEntry {
    pub code: String,
    pub key: String,
    pub table: Option<String>,
    #[serde(default)]
    pub reason: String,
    pub expires: Option<toml::value::Datetime>,
}

impl SuppressEntry {
    /// Mistakes serde cannot see.
    pub fn validate(&self) -> Result<(), String> {
        if self.code.trim().is_empty() {
            return Err("suppression without a `code`".into());
        }
        if self.key.trim().is_empty() {
            return Err("suppression without a `key`".into());
        }
        if self.reason.trim().is_empty() {
            return Err(format!(
                "suppression of {} for `{}` has no `reason`",
                self.code, self.key
            ));
        }
        if let Some(expires) = &self.expires {
            if expires.date.is_none() || expires.time.is_some() {
                return Err(format!(
                    "`expires` must be a date such as 2027-03-31, not `{expires}`"
                ));
            }
        }
        Ok(())
    }

    /// The expiry as (year, month, day).
    pub fn expiry(&self) -> Option<Date> {
        let date = self.expires.as_ref()?.date?;
        Some((date.year.into(), date.month.into(), date.day.into()))
    }
}

/// (year, month, day).
pub type Date = (i32, u32, u32);

/// Today's date in UTC, from the system clock.
pub fn today() -> Date {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    civil_from_days((secs / 86_400) as i64)
}

/// Days since 1970-01-01 → civil date (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> Date {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
    (year, month, day)
}

/// A suppression with where it was written.
#[derive(Debug, Clone)]
pub struct Suppression {
    pub entry: SuppressEntry,
    /// The file it comes from and the entry's span there (for stale reports).
    pub file: Arc<str>,
    pub span: Span,
    pub excerpt: Excerpt,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SuppressionsFile {
    #[serde(default)]
    suppress: Vec<Spanned<SuppressEntry>>,
}

/// Read a suppressions file; every mistake is returned, located.
pub fn load(path: &Path) -> Result<Vec<Suppression>, Vec<LocatedError>> {
    let text =
        crate::files::read_text_capped(path, crate::files::MAX_TEXT_FILE, "suppressions file")
            .map_err(|e| vec![LocatedError::plain(e)])?;
    parse(&display_path(path), &text)
}

/// Parse suppressions text; `name` is the file name shown in messages and locations.
pub fn parse(name: &str, text: &str) -> Result<Vec<Suppression>, Vec<LocatedError>> {
    let source = SourceText {
        name: Arc::from(name),
        text: Arc::from(text),
    };
    let file: SuppressionsFile =
        toml::from_str(text).map_err(|e| vec![LocatedError::toml(&source, &e)])?;
    let mut errors = Vec::new();
    for entry in &file.suppress {
        if let Err(message) = entry.get_ref().validate() {
            errors.push(LocatedError::at_value(
                &source,
                entry.span(),
                message,
                Some("every suppression needs `code`, `key` and a non-empty `reason`".into()),
            ));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(from_spanned(name, text, &file.suppress))
}

/// Suppressions from already parsed entries of `text` (the `[[suppress]]` of a config file).
pub fn from_spanned(
    name: &str,
    text: &str,
    entries: &[Spanned<SuppressEntry>],
) -> Vec<Suppression> {
    let file: Arc<str> = Arc::from(name);
    // Where each line starts, found once (counting line feeds per entry was quadratic).
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1))
        .collect();
    entries
        .iter()
        .map(|e| {
            let (span, excerpt) = locate(text, &line_starts, e.span());
            Suppression {
                entry: e.get_ref().clone(),
                file: file.clone(),
                span,
                excerpt,
            }
        })
        .collect()
}

fn display_path(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

/// The span of an entry: its first line (where `code = …` or the table header is), and that
/// line as the excerpt.
fn locate(text: &str, line_starts: &[usize], range: Range<usize>) -> (Span, Excerpt) {
    let mut start = range.start.min(text.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let line_index = line_starts.partition_point(|&s| s <= start).max(1) - 1;
    let line_start = line_starts.get(line_index).copied().unwrap_or(0);
    let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    let line_text = text[line_start..line_end].trim_end_matches('\r');
    let line = line_index as u64 + 1;
    let column = text[line_start..start].chars().count() as u64 + 1;
    let end_column = column
        + line_text[(start - line_start).min(line_text.len())..]
            .chars()
            .count() as u64;
    (
        Span {
            line,
            column,
            end_line: line,
            end_column,
        },
        Excerpt {
            first_line: line,
            text: Arc::from(line_text),
            start: (start - line_start).min(line_text.len()),
            end: line_text.len(),
        },
    )
}

/// Normalise a key or value for matching: trimmed, lower case, without `sip:`.
fn normalise(text: &str) -> String {
    let t = text.trim().to_lowercase();
    match t.strip_prefix("sip:") {
        Some(rest) => rest.to_string(),
        None => t,
    }
}

/// The entries by code and normalised key: a finding is matched by looking up its keys, not
/// by trying every entry (100,000 findings × 10,000 entries took 104 s).
struct Index<'s> {
    entries: &'s [Suppression],
    by_code: std::collections::HashMap<String, std::collections::HashMap<String, Vec<usize>>>,
}

impl<'s> Index<'s> {
    fn new(entries: &'s [Suppression]) -> Index<'s> {
        let mut by_code: std::collections::HashMap<_, std::collections::HashMap<_, Vec<usize>>> =
            std::collections::HashMap::new();
        for (i, s) in entries.iter().enumerate() {
            by_code
                .entry(s.entry.code.trim().to_ascii_uppercase())
                .or_default()
                .entry(normalise(&s.entry.key))
                .or_default()
                .push(i);
        }
        Index { entries, by_code }
    }

    /// The first entry (in file order) matching `finding`: same code, its table if it names
    /// one, and a key equal to the finding's row key, offending value or file.
    fn first_match(&self, finding: &Finding) -> Option<usize> {
        let keys = self.by_code.get(&finding.code.to_ascii_uppercase())?;
        let identity_key = finding
            .identity
            .as_deref()
            .map(|id| id.split_once(':').map_or(id, |(_, k)| k))
            .map(normalise);
        // A group finding (see `group-by`) is matched on its group, never on the cell of
        // whichever row came first.
        let value_key = finding
            .location
            .value
            .as_deref()
            .filter(|_| finding.count.is_none())
            .map(normalise);
        let file_key = Some(normalise(finding.location.file()));
        [identity_key, value_key, file_key]
            .iter()
            .flatten()
            .filter_map(|key| keys.get(key))
            .flatten()
            .copied()
            .filter(|&i| {
                self.entries[i]
                    .entry
                    .table
                    .as_ref()
                    .is_none_or(|table| finding.location.table() == Some(table.trim()))
            })
            .min()
    }
}

/// What applying suppressions did (counts).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Applied {
    pub suppressed: usize,
    pub expired: usize,
    pub stale: usize,
}

/// Apply `suppressions` to `findings` as of `today`. Entries that matched nothing although their
/// code `ran` are stale and added as `INV002` findings (errors when `strict`); an entry for a
/// rule that did not run (skipped, not selected) is not judged. The caller re-sorts.
pub fn apply(
    suppressions: &[Suppression],
    findings: &mut Vec<Finding>,
    today: Date,
    strict: bool,
    ran: impl Fn(&str) -> bool,
) -> Applied {
    let mut used = vec![false; suppressions.len()];
    let mut outcome = Applied::default();
    let index = Index::new(suppressions);
    findings.retain_mut(|f| {
        let Some(i) = index.first_match(f) else {
            return true;
        };
        used[i] = true;
        let s = &suppressions[i];
        match s.entry.expiry() {
            Some(expiry) if expiry < today => {
                outcome.expired += 1;
                let (y, m, d) = expiry;
                f.message = format!(
                    "{} (suppression expired on {y:04}-{m:02}-{d:02}: {})",
                    f.message,
                    s.entry.reason.trim()
                )
                .into();
                true
            }
            _ => {
                outcome.suppressed += 1;
                false
            }
        }
    });
    for (s, used) in suppressions.iter().zip(used) {
        if used || !ran(s.entry.code.trim()) {
            continue;
        }
        outcome.stale += 1;
        let mut location = Location::new(
            usize::MAX,
            s.file.clone(),
            Anchor::Position {
                line: s.span.line,
                column: s.span.column,
            },
        );
        location.span = Some(s.span);
        location.excerpt = Some(Box::new(s.excerpt.clone()));
        let (code, default_severity) = builtin::STALE_SUPPRESSION;
        let severity = if strict {
            Severity::Error
        } else {
            default_severity
        };
        findings.push(
            Finding::new(
                code,
                severity,
                format!(
                    "suppression of {} for `{}` matches no finding: the problem is fixed or the key is wrong",
                    s.entry.code.trim(),
                    s.entry.key.trim()
                ),
                location,
            )
            .with_help("delete the entry, or correct its `key` (the row's key, e.g. the SIP address, or the offending value) and `table`"),
        );
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(code: &str, identity: &str, value: &str) -> Finding {
        let place = crate::finding::Place {
            file: Arc::from("exports/users.csv"),
            table: Some(Arc::from("users")),
            fields: Box::default(),
        };
        let mut location = Location::at(
            0,
            Arc::new(place),
            Anchor::Cell {
                record: 3,
                field: 1,
            },
        );
        location.value = Some(value.into());
        let mut f = Finding::new(code, Severity::Error, "dup", location);
        f.identity = Some(identity.into());
        f
    }

    const FILE: &str = r#"
[[suppress]]
code = "AD002"
key = "sip:Ken.Myer@contoso.com"
table = "users"
reason = "admin account until cut-over"

[[suppress]]
code = "PC001"
key = "kim.akers@contoso.com"
reason = "moving next week"
expires = 2000-01-31

[[suppress]]
code = "TP001"
key = "nobody@contoso.com"
reason = "typo"
"#;

    #[test]
    fn suppress_expire_and_stale() {
        let suppressions = parse("invlint-suppressions.toml", FILE).expect("parse");
        let mut findings = vec![
            finding(
                "AD002",
                "users:ken.myer@contoso.com",
                "sip:Ken.Myer@contoso.com",
            ),
            finding("PC001", "users:kim.akers@contoso.com", "pool10.contoso.com"),
            finding("PC001", "users:don.hall@contoso.com", "pool10.contoso.com"),
        ];
        let outcome = apply(&suppressions, &mut findings, (2026, 11, 24), false, |_| {
            true
        });
        assert_eq!(
            outcome,
            Applied {
                suppressed: 1,
                expired: 1,
                stale: 1
            }
        );
        let codes: Vec<&str> = findings.iter().map(|f| &*f.code).collect();
        assert_eq!(codes, ["PC001", "PC001", "INV002"]);
        assert!(findings[0]
            .message
            .text()
            .ends_with("(suppression expired on 2000-01-31: moving next week)"));
        let stale = &findings[2];
        assert_eq!(stale.severity, Severity::Warning);
        assert_eq!(stale.location.span.map(|s| s.line), Some(14));
        assert!(stale.message.contains("nobody@contoso.com"));
    }

    #[test]
    fn strict_makes_stale_an_error() {
        let suppressions = parse("s.toml", FILE).expect("parse");
        let mut findings = Vec::new();
        apply(&suppressions, &mut findings, (2026, 1, 1), true, |_| true);
        assert_eq!(findings.len(), 3);
        assert!(findings.iter().all(|f| f.severity == Severity::Error));
        // Entries for rules that did not run are not stale.
        let mut findings = Vec::new();
        let outcome = apply(&suppressions, &mut findings, (2026, 1, 1), true, |c| {
            c != "TP001"
        });
        assert_eq!(outcome.stale, 2);
    }

    #[test]
    fn reason_is_mandatory_and_located() {
        let errors = parse(
            "s.toml",
            "[[suppress]]\ncode = \"AD002\"\nkey = \"x\"\nreason = \"  \"\n",
        )
        .expect_err("no reason");
        assert_eq!(errors.len(), 1);
        assert!(errors[0].message.contains("no `reason`"));
        let errors = parse(
            "s.toml",
            "[[suppress]]\ncode = \"AD002\"\nkey = \"x\"\nreason = \"r\"\nwhy = 1\n",
        )
        .expect_err("unknown key");
        assert!(errors[0].message.contains("why"), "{}", errors[0].message);
    }

    #[test]
    fn dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_416), (2025, 11, 24));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }
}
