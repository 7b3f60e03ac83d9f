//! **Baselines**: the findings known at one point in time, so that a gate reports only new ones.
//!
//! A baseline entry is (code, key, value, count): the key is the row identity (see
//! [`super::finding_key`]), the value the offending cell's value (compared trimmed and
//! case-insensitively, since re-exports change neither meaning nor case reliably), and the count
//! how many findings share them. Line numbers are not recorded: a re-export with its rows in
//! another order matches the same entries.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::finding::Finding;

/// Version of the baseline file format.
pub const VERSION: u32 = 1;

/// A baseline file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    pub version: u32,
    pub entries: Vec<BaselineEntry>,
}

pub use crate::outcome::{BaselineEntry, BaselineSummary};

type MatchKey = (String, String, String);

fn match_key(code: &str, key: &str, value: &str) -> MatchKey {
    (
        code.to_ascii_uppercase(),
        key.to_string(),
        value.trim().to_lowercase(),
    )
}

fn finding_match_key(finding: &Finding) -> MatchKey {
    match_key(
        &finding.code,
        &super::finding_key(finding),
        matched_value(finding),
    )
}

/// The value a baseline records and matches: the offending cell's, except for a finding that
/// stands for a group of rows, whose key is the group itself (the first row's cell changes
/// with the order of a re-export).
fn matched_value(finding: &Finding) -> &str {
    match finding.count {
        Some(_) => "",
        None => finding.location.value.as_deref().unwrap_or(""),
    }
}

impl Baseline {
    /// The baseline of `findings`, deterministic (sorted, counted).
    pub fn from_findings(findings: &[Finding]) -> Baseline {
        let mut grouped: BTreeMap<(String, String, String), (usize, String)> = BTreeMap::new();
        for f in findings {
            let entry = grouped
                .entry((
                    f.code.to_string(),
                    super::finding_key(f),
                    matched_value(f).to_string(),
                ))
                .or_insert((0, f.message.to_string()));
            entry.0 += 1;
        }
        Baseline {
            version: VERSION,
            entries: grouped
                .into_iter()
                .map(|((code, key, value), (count, message))| BaselineEntry {
                    code,
                    key,
                    value,
                    count,
                    message,
                })
                .collect(),
        }
    }

    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }

    pub fn from_json(text: &str) -> Result<Baseline, String> {
        let baseline: Baseline = serde_json::from_str(text).map_err(|e| e.to_string())?;
        if baseline.version != VERSION {
            return Err(format!(
                "baseline version {} is not supported (expected {VERSION}); write it again with --write-baseline",
                baseline.version
            ));
        }
        Ok(baseline)
    }

    /// Remove the findings the baseline knows (up to each entry's count) from `findings`.
    pub fn apply(&self, findings: &mut Vec<Finding>) -> BaselineSummary {
        let mut remaining: BTreeMap<MatchKey, (usize, usize)> = BTreeMap::new();
        for (i, e) in self.entries.iter().enumerate() {
            let slot = remaining
                .entry(match_key(&e.code, &e.key, &e.value))
                .or_insert((0, i));
            slot.0 += e.count;
        }
        let before = findings.len();
        findings.retain(|f| match remaining.get_mut(&finding_match_key(f)) {
            Some((left, _)) if *left > 0 => {
                *left -= 1;
                false
            }
            _ => true,
        });
        let mut gone: Vec<BaselineEntry> = remaining
            .into_values()
            .filter(|(left, _)| *left > 0)
            .map(|(left, i)| BaselineEntry {
                count: left,
                ..self.entries[i].clone()
            })
            .collect();
        gone.sort();
        BaselineSummary {
            hidden: before - findings.len(),
            gone,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{Anchor, Location, Severity};
    use std::sync::Arc;

    fn finding(code: &str, identity: Option<&str>, value: &str, line: u64) -> Finding {
        let mut location = Location::new(
            0,
            Arc::from("users.csv"),
            Anchor::Cell {
                record: line,
                field: 0,
            },
        );
        location.value = Some(value.into());
        let mut f = Finding::new(code, Severity::Error, format!("line {line}"), location);
        f.identity = identity.map(Box::from);
        f
    }

    #[test]
    fn round_trip_and_counts() {
        let findings = vec![
            finding("AD002", Some("users:a@x.com"), "sip:A@x.com", 3),
            finding("AD002", Some("users:a@x.com"), "sip:A@x.com", 9),
            finding("AD001", None, "", 4),
        ];
        let baseline = Baseline::from_findings(&findings);
        assert_eq!(baseline.entries.len(), 2);
        assert_eq!(baseline.entries[1].count, 2);
        let again = Baseline::from_json(&baseline.to_json()).expect("parse");
        assert_eq!(again, baseline);
    }

    #[test]
    fn new_findings_stay_known_ones_go_missing_ones_are_listed() {
        let baseline = Baseline::from_findings(&[
            finding("AD002", Some("users:a@x.com"), "sip:A@x.com", 3),
            finding("AD001", Some("users:b@x"), "sip:b@x", 4),
        ]);
        // Same AD002 on another line and in another case; AD001 fixed; one new finding.
        let mut now = vec![
            finding("AD002", Some("users:a@x.com"), "SIP:a@x.com ", 40),
            finding("PC001", Some("users:c@x.com"), "pool10", 5),
        ];
        let summary = baseline.apply(&mut now);
        assert_eq!(summary.hidden, 1);
        assert_eq!(now.len(), 1);
        assert_eq!(&*now[0].code, "PC001");
        assert_eq!(summary.gone.len(), 1);
        assert_eq!(summary.gone[0].code, "AD001");
    }

    #[test]
    fn a_group_finding_matches_on_its_group_whatever_its_first_cell() {
        let mut group = finding("PC015", Some("users:pool19 / global"), "pool19", 3);
        group.count = Some(3);
        let baseline = Baseline::from_findings(&[group]);
        assert_eq!(baseline.entries[0].value, "");
        // Re-exported in another order: another first row, another cell value, one more user.
        let mut again = finding(
            "PC015",
            Some("users:pool19 / global"),
            "POOL19.contoso.com",
            8,
        );
        again.count = Some(4);
        let mut now = vec![again];
        assert_eq!(baseline.apply(&mut now).hidden, 1);
        assert!(now.is_empty());
    }

    #[test]
    fn wrong_version_is_refused() {
        let err = Baseline::from_json(r#"{"version": 9, "entries": []}"#).expect_err("v9");
        assert!(err.contains("version 9"), "{err}");
    }
}
