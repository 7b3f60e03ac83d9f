//! `markdown`: a summary for `$GITHUB_STEP_SUMMARY` (also fine for merge-request comments):
//! totals by severity, a table by code, a table by file, and the first findings.
//!
//! GitHub rejects a step summary over 1 MiB, so the document keeps to a **budget** of
//! [`Limits::budget`] bytes (900 KiB by default): tables stop early, long cells are shortened,
//! and a closing line says how many findings are not shown. Markdown only, no HTML; text from
//! the inventory is escaped so that it cannot break a table or become markup.

use std::collections::BTreeMap;
use std::io;

use crate::engine::Outcome;
use crate::finding::{Finding, Severity};
use crate::rule::RuleSet;

/// How much the summary may hold.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Bytes of the whole document.
    pub budget: usize,
    /// Findings listed.
    pub findings: usize,
    /// Rows of the per-file table.
    pub files: usize,
    /// Characters of one table cell.
    pub cell: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            budget: 900 * 1024,
            findings: 1000,
            files: 100,
            cell: 500,
        }
    }
}

/// Escape text for one table cell: line ends become spaces; `|`, `\` and the punctuation
/// that starts inline markup are backslash-escaped; text over `max` characters is cut with `…`.
pub fn cell(text: &str, max: usize) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, c) in text.chars().enumerate() {
        if i == max {
            out.push('…');
            break;
        }
        match c {
            '\r' | '\n' => out.push(' '),
            '\\' | '|' | '*' | '_' | '`' | '[' | ']' | '<' | '>' | '&' | '~' => {
                out.push('\\');
                out.push(c);
            }
            c => super::visible::push_visible(&mut out, c),
        }
    }
    out
}

/// Bytes kept free for the lines that close a section and the document.
const RESERVE: usize = 4096;

/// Append `rows` to `doc` while each fits the budget with `reserve` bytes to spare; returns
/// how many were appended (rows after the first that does not fit are not even formatted).
fn push_rows(
    doc: &mut String,
    rows: impl Iterator<Item = String>,
    reserve: usize,
    limits: &Limits,
) -> usize {
    let mut pushed = 0;
    for row in rows {
        if doc.len() + row.len() + reserve > limits.budget {
            break;
        }
        doc.push_str(&row);
        pushed += 1;
    }
    pushed
}

fn location(f: &Finding) -> String {
    match f.location.span {
        Some(s) => format!("{}:{}", f.location.file(), s.line),
        None => f.location.file().to_string(),
    }
}

/// Render the summary of `report` within `limits`.
pub fn render(report: &Outcome, rules: &RuleSet, limits: Limits) -> String {
    let mut doc = String::new();
    doc.push_str("## invlint\n\n");
    doc.push_str(&format!("{}\n\n", cell(&super::summary_line(report), 1000)));
    if report.findings.is_empty() {
        doc.push_str("No findings.\n");
    } else {
        by_severity(&mut doc, report);
        by_rule(&mut doc, report, rules, &limits);
        by_file(&mut doc, report, &limits);
        findings(&mut doc, report, &limits);
    }
    if !report.skipped.is_empty() {
        not_run(&mut doc, report, &limits);
    }
    doc
}

/// The table of findings per severity.
fn by_severity(doc: &mut String, report: &Outcome) {
    let counts = crate::engine::counts(&report.findings);
    let n = |s: Severity| counts.get(&s).copied().unwrap_or(0);
    doc.push_str("| Severity | Findings |\n| --- | ---: |\n");
    for s in [Severity::Error, Severity::Warning, Severity::Info] {
        doc.push_str(&format!("| {s} | {} |\n", n(s)));
    }
}

/// Counts per code, by code.
fn by_rule(doc: &mut String, report: &Outcome, rules: &RuleSet, limits: &Limits) {
    doc.push_str(
        "\n### By rule\n\n| Code | Severity | Title | Findings |\n| --- | --- | --- | ---: |\n",
    );
    let mut by_code = super::statistics::statistics(report, rules);
    by_code.sort_by(|a, b| a.code.cmp(b.code));
    let rows = by_code.iter().map(|s| {
        format!(
            "| {} | {} | {} | {} |\n",
            cell(s.code, limits.cell),
            s.severity,
            cell(s.title, limits.cell),
            s.count
        )
    });
    let left = by_code.len() - push_rows(doc, rows, RESERVE, limits);
    if left > 0 {
        doc.push_str(&format!("\n{left} more codes not shown.\n"));
    }
}

/// Counts per file and severity, by file.
fn by_file(doc: &mut String, report: &Outcome, limits: &Limits) {
    doc.push_str(
        "\n### By file\n\n| File | Errors | Warnings | Infos |\n| --- | ---: | ---: | ---: |\n",
    );
    let mut by_file: BTreeMap<&str, [usize; 3]> = BTreeMap::new();
    for f in &report.findings {
        by_file.entry(f.location.file()).or_insert([0; 3])[f.severity as usize] += 1;
    }
    let rows = by_file
        .iter()
        .take(limits.files)
        .map(|(file, [info, warning, error])| {
            format!(
                "| {} | {error} | {warning} | {info} |\n",
                cell(file, limits.cell)
            )
        });
    let left = by_file.len() - push_rows(doc, rows, RESERVE, limits);
    if left > 0 {
        doc.push_str(&format!("\n{left} more files not shown.\n"));
    }
}

/// The first findings, in output order.
fn findings(doc: &mut String, report: &Outcome, limits: &Limits) {
    doc.push_str(
        "\n### Findings\n\n| Location | Code | Severity | Message |\n| --- | --- | --- | --- |\n",
    );
    let rows = report.findings.iter().take(limits.findings).map(|f| {
        format!(
            "| {} | {} | {} | {} |\n",
            cell(&location(f), limits.cell),
            cell(&f.code, limits.cell),
            f.severity,
            cell(&f.message.text(), limits.cell)
        )
    });
    let more = report.findings.len() - push_rows(doc, rows, RESERVE, limits);
    if more > 0 {
        doc.push_str(&format!(
            "\n{more} more finding{} not shown; see the JSON/SARIF artifact.\n",
            if more == 1 { "" } else { "s" }
        ));
    }
}

/// The rules that did not run: once per missing table (with its export command), then the
/// rules skipped otherwise.
fn not_run(doc: &mut String, report: &Outcome, limits: &Limits) {
    doc.push_str("\n### Rules not run\n\n");
    let coverage = super::coverage_lines(report);
    let others: Vec<_> = report
        .skipped
        .iter()
        .filter(|s| !super::skipped_for_missing_table(report, &s.code))
        .collect();
    let rows = coverage
        .iter()
        .map(|line| format!("- {}\n", cell(line, limits.cell)))
        .chain(others.iter().map(|s| {
            format!(
                "- {}: {}\n",
                cell(&s.code, limits.cell),
                cell(&s.reason, limits.cell)
            )
        }));
    let left = coverage.len() + others.len() - push_rows(doc, rows, RESERVE / 2, limits);
    if left > 0 {
        doc.push_str(&format!("- and {left} more\n"));
    }
}

/// The `markdown` format in the registry ([`super::REPORTERS`]).
pub const REPORTER: super::Reporter = super::Reporter {
    name: "markdown",
    aliases: &[],
    excerpts: false,
    columns: &[],
    summary: super::Summary::Never,
    terminal: true,
    write: |c, out| write(c.outcome, c.rules, out),
};

pub fn write(report: &Outcome, rules: &RuleSet, out: &mut dyn io::Write) -> io::Result<()> {
    out.write_all(render(report, rules, Limits::default()).as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{Anchor, Location, Span};

    #[test]
    fn cells_cannot_break_the_table_or_become_markup() {
        assert_eq!(cell("a|b\nc\r\nd", 100), "a\\|b c  d");
        assert_eq!(
            cell("<b>*x*</b> [l](u)", 100),
            "\\<b\\>\\*x\\*\\</b\\> \\[l\\](u)"
        );
        assert_eq!(cell("abcdef", 3), "abc…");
    }

    fn synthetic(n: usize, message: &str) -> Outcome {
        let findings = (0..n)
            .map(|i| {
                let mut l = Location::new(
                    i % 7,
                    format!("exports/file{}.csv", i % 7).into(),
                    Anchor::Cell {
                        record: i as u64 + 1,
                        field: 2,
                    },
                );
                l.span = Some(Span {
                    line: i as u64 + 2,
                    column: 5,
                    end_line: i as u64 + 2,
                    end_column: 9,
                });
                let severity = [Severity::Error, Severity::Warning, Severity::Info][i % 3];
                Finding::new(format!("XX{:03}", i % 40), severity, message, l)
            })
            .collect();
        Outcome {
            findings,
            files: 7,
            rows: n,
            rules_run: 40,
            ..Outcome::default()
        }
    }

    #[test]
    fn fifty_thousand_findings_stay_under_one_mib() {
        let report = synthetic(
            50_000,
            "SipAddress sip:a|b@contoso.com is | not valid\nat all",
        );
        let md = render(&report, &RuleSet::default(), Limits::default());
        assert!(md.len() < 1024 * 1024, "{} bytes", md.len());
        assert!(md.len() <= 900 * 1024);
        assert!(
            md.contains("\n49000 more findings not shown; see the JSON/SARIF artifact.\n"),
            "{}",
            &md[md.len().saturating_sub(300)..]
        );
        assert!(md.contains("| error | 16667 |"));
        assert!(md.contains("\\|"));
    }

    #[test]
    fn long_messages_are_cut_by_the_byte_budget() {
        let long = "x".repeat(5_000);
        let report = synthetic(5_000, &long);
        let limits = Limits {
            cell: 10_000,
            ..Limits::default()
        };
        let md = render(&report, &RuleSet::default(), limits);
        assert!(md.len() <= limits.budget, "{} bytes", md.len());
        let listed = md.lines().filter(|l| l.contains("| XX0")).count() - 40;
        assert!(listed > 100 && listed < 1000, "{listed} findings listed");
        assert!(md.contains(&format!(
            "{} more findings not shown; see the JSON/SARIF artifact.",
            5_000 - listed
        )));
    }
}
