//! `html`: the **audit report**, one self-contained HTML page to show in a migration meeting.
//!
//! The page has an overview, readiness by home pool and by site, findings by severity and by
//! rule, a Persistent Chat view, one section per rule that fired (title, why, fix, docs link),
//! the inventory (files, table kinds, dialects, skipped rules) and a table of the findings.
//! It is built with maud, which escapes every interpolated value, so text from the CSV files
//! can never become markup. It makes no request of any kind: styles and the small script are
//! inline, charts are SVG generated here ([`charts`]), the favicon is an empty `data:` URL, and
//! a Content-Security-Policy forbids loading anything. Everything is readable without
//! JavaScript; the script only sorts tables and filters the findings table.
//!
//! The findings table holds at most [`HtmlOptions::table_limit`] rows (errors first) so that
//! the page of a large inventory stays small and opens fast; the JSON output has them all.
//!
//! The **page** (`Page`) is the run, its [`model::Audit`] and the options; each section is
//! a method of it in a file of its own (`overview`, `readiness`, `findings`, `chat`, `rules`,
//! `inventory`), and `text` turns numbers, codes and rule metadata into text and markup.

pub mod charts;
mod chat;
mod findings;
mod inventory;
pub mod model;
mod overview;
mod readiness;
mod rules;
mod text;

use std::collections::BTreeMap;
use std::io;
use std::sync::Arc;

use maud::{html, Markup, PreEscaped, DOCTYPE};

use crate::engine::Outcome;
use crate::finding::{Finding, Severity};
use crate::rule::RuleSet;
use model::Audit;

const STYLE: &str = include_str!("style.css");
const SCRIPT: &str = include_str!("script.js");

/// Nothing may be loaded from anywhere; inline styles and the inline script may run.
const CSP: &str =
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:";

/// What the page says about the run, and its size limits.
#[derive(Debug, Clone)]
pub struct HtmlOptions {
    /// The inputs as given on the command line.
    pub inputs: Vec<String>,
    /// When the report was made, shown as given (the library does not read the clock).
    pub generated: Option<String>,
    /// Most rows of the findings table; the others are counted in a note.
    pub table_limit: usize,
    /// Most rows of each list of users (blocked users, chat users) and of categories.
    pub list_limit: usize,
    /// Example locations shown in each rule's section.
    pub examples_per_rule: usize,
}

impl Default for HtmlOptions {
    fn default() -> Self {
        HtmlOptions {
            inputs: Vec::new(),
            generated: None,
            table_limit: 5_000,
            list_limit: 2_000,
            examples_per_rule: 5,
        }
    }
}

/// The `html` format in the registry ([`super::REPORTERS`]): the page, with the
/// [`HtmlOptions`] of the [`super::Context`].
pub const REPORTER: super::Reporter = super::Reporter {
    name: "html",
    aliases: &[],
    excerpts: false,
    columns: model::sources::SOURCES,
    summary: super::Summary::Never,
    terminal: false,
    write: |c, out| write(c.outcome, c.rules, c.page, out),
};

/// Write the page for `report` to `out`.
pub fn write(
    report: &Outcome,
    rules: &RuleSet,
    options: &HtmlOptions,
    out: &mut dyn io::Write,
) -> io::Result<()> {
    out.write_all(render(report, rules, options).as_bytes())
}

/// The page for `report`, as one string.
pub fn render(report: &Outcome, rules: &RuleSet, options: &HtmlOptions) -> String {
    let audit = Audit::build(report, rules);
    let page = Page {
        report,
        rules,
        audit: &audit,
        options,
        codes: code_stats(&report.findings),
        counts: crate::engine::counts(&report.findings),
        base: common_folder(
            report
                .inventory
                .files
                .iter()
                .map(|f| &*f.display)
                .chain(report.findings.iter().map(|f| &**f.location.file())),
        ),
    };
    page.render().into_string()
}

/// `YYYY-MM-DD HH:MM UTC` for seconds since the Unix epoch (for [`HtmlOptions::generated`]).
pub fn utc_timestamp(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        rem / 3_600,
        rem % 3_600 / 60
    )
}

/// The longest folder prefix (ending in `/`) shared by every path, or an empty string.
fn common_folder<'p>(mut paths: impl Iterator<Item = &'p str>) -> String {
    let Some(first) = paths.next() else {
        return String::new();
    };
    let mut prefix = match first.rfind('/') {
        Some(i) => &first[..=i],
        None => return String::new(),
    };
    for path in paths {
        while !path.starts_with(prefix) {
            // Drop the last folder of the prefix (the part after the second-to-last `/`).
            match prefix[..prefix.len() - 1].rfind('/') {
                Some(i) => prefix = &prefix[..=i],
                None => return String::new(),
            }
        }
    }
    prefix.to_string()
}

/// What is known about one code that fired.
struct CodeStats<'a> {
    code: Arc<str>,
    severity: Severity,
    count: usize,
    findings: Vec<&'a Finding>,
}

/// Codes that fired, most severe first, then most frequent, then by code.
fn code_stats(findings: &[Finding]) -> Vec<CodeStats<'_>> {
    let mut map: BTreeMap<&str, CodeStats<'_>> = BTreeMap::new();
    for f in findings {
        let entry = map.entry(&f.code).or_insert_with(|| CodeStats {
            code: f.code.clone(),
            severity: f.severity,
            count: 0,
            findings: Vec::new(),
        });
        entry.count += 1;
        entry.severity = entry.severity.max(f.severity);
        entry.findings.push(f);
    }
    let mut out: Vec<CodeStats<'_>> = map.into_values().collect();
    out.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(b.count.cmp(&a.count))
            .then(a.code.cmp(&b.code))
    });
    out
}

/// What every section reads: the run, its audit model, the options, and figures computed once.
struct Page<'a> {
    report: &'a Outcome,
    rules: &'a RuleSet,
    audit: &'a Audit,
    options: &'a HtmlOptions,
    codes: Vec<CodeStats<'a>>,
    /// Findings per severity (of the findings the report holds).
    counts: BTreeMap<Severity, usize>,
    /// The folder all file paths start with (with its trailing `/`), left out of tables.
    base: String,
}

impl Page<'_> {
    /// A display path without the common folder.
    fn rel<'p>(&self, path: &'p str) -> &'p str {
        path.strip_prefix(self.base.as_str()).unwrap_or(path)
    }

    fn base_note(&self) -> Markup {
        html! {
            @if !self.base.is_empty() {
                " Paths are relative to " code { (self.base) } "."
            }
        }
    }

    fn count(&self, severity: Severity) -> usize {
        self.counts.get(&severity).copied().unwrap_or(0)
    }

    fn render(&self) -> Markup {
        let title = match self.options.inputs.as_slice() {
            [one] => format!("Inventory audit: {one}"),
            _ => "Inventory audit".to_string(),
        };
        html! {
            (DOCTYPE)
            html lang="en" {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    meta http-equiv="Content-Security-Policy" content=(CSP);
                    meta name="referrer" content="no-referrer";
                    meta name="generator" content={ "invlint " (env!("CARGO_PKG_VERSION")) };
                    title { (title) }
                    link rel="icon" href="data:,";
                    style { (PreEscaped(STYLE)) }
                }
                body {
                    (self.header())
                    nav.toc aria-label="Sections" {
                        a href="#overview" { "Overview" }
                        a href="#readiness" { "Readiness" }
                        a href="#findings" { "Findings" }
                        a href="#persistent-chat" { "Persistent Chat" }
                        a href="#rules" { "Rules" }
                        a href="#inventory" { "Inventory" }
                        a href="#all-findings" { "All findings" }
                    }
                    main {
                        (self.overview())
                        (self.readiness())
                        (self.findings())
                        (self.chat())
                        (self.rule_sections())
                        (self.inventory())
                        (self.findings_table())
                    }
                    footer {
                        "Made by invlint " (env!("CARGO_PKG_VERSION"))
                        " from the CSV exports listed under Inventory. The page is self-contained: it loads nothing from the network."
                    }
                    script { (PreEscaped(SCRIPT)) }
                }
            }
        }
    }

    fn header(&self) -> Markup {
        html! {
            header.top {
                h1 { "Lync / Skype for Business inventory audit" }
                p.sub {
                    @if !self.options.inputs.is_empty() {
                        "Exports in "
                        @for (i, input) in self.options.inputs.iter().enumerate() {
                            @if i > 0 { ", " }
                            code { (input) }
                        }
                        " · "
                    }
                    @if let Some(when) = &self.options.generated {
                        "generated " (when) " · "
                    }
                    "invlint " (env!("CARGO_PKG_VERSION"))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_civil_utc() {
        assert_eq!(utc_timestamp(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc_timestamp(951_782_400), "2000-02-29 00:00 UTC");
        assert_eq!(utc_timestamp(1_767_225_599), "2025-12-31 23:59 UTC");
    }

    #[test]
    fn common_folder_is_a_whole_folder() {
        let f = |paths: &[&str]| common_folder(paths.iter().copied());
        assert_eq!(f(&["a/b/c.csv", "a/b/d/e.csv"]), "a/b/");
        assert_eq!(f(&["a/bc/x.csv", "a/bd/y.csv"]), "a/");
        assert_eq!(f(&["a/x.csv", "b/y.csv"]), "");
        assert_eq!(f(&["x.csv"]), "");
        assert_eq!(f(&[]), "");
    }
}
