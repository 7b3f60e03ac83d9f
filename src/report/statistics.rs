//! `--statistics`: counts per code instead of the findings, most frequent first (like
//! `ruff --statistics`), as a text table or JSON.

use std::collections::BTreeMap;
use std::io;

use serde::Serialize;

use crate::engine::Outcome;
use crate::finding::Severity;
use crate::rule::RuleSet;

/// The findings of one code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Statistic<'a> {
    pub code: &'a str,
    pub count: usize,
    pub severity: Severity,
    pub title: &'a str,
}

/// Counts per code: most findings first, then by code.
pub fn statistics<'a>(report: &'a Outcome, rules: &'a RuleSet) -> Vec<Statistic<'a>> {
    let mut by_code: BTreeMap<&str, (Severity, usize)> = BTreeMap::new();
    for f in &report.findings {
        by_code.entry(&f.code).or_insert((f.severity, 0)).1 += 1;
    }
    let mut stats: Vec<Statistic<'a>> = by_code
        .into_iter()
        .map(|(code, (severity, count))| Statistic {
            code,
            count,
            severity,
            title: super::rule_info(rules, code).map_or("", |r| r.title),
        })
        .collect();
    stats.sort_by(|a, b| b.count.cmp(&a.count).then(a.code.cmp(b.code)));
    stats
}

/// `count  code  severity  title`, one code a line, columns aligned.
pub fn write_text(report: &Outcome, rules: &RuleSet, out: &mut dyn io::Write) -> io::Result<()> {
    let stats = statistics(report, rules);
    let count_w = stats
        .iter()
        .map(|s| s.count.to_string().len())
        .max()
        .unwrap_or(1);
    let code_w = stats.iter().map(|s| s.code.len()).max().unwrap_or(1);
    for s in &stats {
        writeln!(
            out,
            "{:>count_w$}  {:<code_w$}  {:<7}  {}",
            s.count,
            s.code,
            s.severity.as_str(),
            super::visible::visible(s.title)
        )?;
    }
    Ok(())
}

/// A JSON array of `{code, count, severity, title}`.
pub fn write_json(report: &Outcome, rules: &RuleSet, out: &mut dyn io::Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &statistics(report, rules))
        .map_err(io::Error::other)?;
    writeln!(out)
}

/// The `statistics` format (`--statistics`) in the registry ([`super::REPORTERS`]).
pub const REPORTER: super::Reporter = super::Reporter {
    name: "statistics",
    aliases: &[],
    excerpts: false,
    columns: &[],
    summary: super::Summary::Never,
    terminal: true,
    write: |c, out| write_text(c.outcome, c.rules, out),
};

/// The `statistics-json` format (`--statistics --format json`) in the registry.
pub const REPORTER_JSON: super::Reporter = super::Reporter {
    name: "statistics-json",
    aliases: &[],
    excerpts: false,
    columns: &[],
    summary: super::Summary::Never,
    terminal: true,
    write: |c, out| write_json(c.outcome, c.rules, out),
};
