//! **Reporters**: each turns the sorted findings of a run into one output format.
//!
//! Reporters see the findings, the run summary, the rule set (for rule metadata) and the
//! inventory that was read (the HTML page describes the input too); they write to any
//! `io::Write`, never to the terminal directly.
//!
//! A **described rule** is a code a rule-describing format (SARIF, JUnit, Markdown) lists:
//! every rule that ran plus every code that has a finding (built-in `CSV`/`INV` codes
//! included), with its [`RuleInfo`].

mod builtin_docs;
pub mod compact;
pub mod format;
pub mod github;
pub mod html;
pub mod human;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod sarif;
pub mod statistics;

use std::collections::BTreeSet;
use std::fmt;
use std::io;

use crate::engine::Outcome;
use crate::finding::{builtin, Anchor, Location, Severity, Span};
use crate::rule::{Rule, RuleSet};
pub use crate::visible;
pub use builtin_docs::builtin_doc;
pub use format::Format;
use html::HtmlOptions;

/// Who writes the run's summary lines ([`summary_line`], [`gate_lines`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Summary {
    /// The reporter writes them itself, when [`RenderOptions::summary`] asks for them.
    Own,
    /// The caller appends them after the reporter's output (unless `--quiet`): a format of
    /// one line per finding, whose lines tools read, keeps the summary out of its writer.
    Appended,
    /// None: the output is a document a program reads, nothing may follow it.
    Never,
}

/// Everything a reporter may read to write its format.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub outcome: &'a Outcome,
    /// The metadata of each rule (title, help, documentation link).
    pub rules: &'a RuleSet,
    pub options: RenderOptions,
    /// What the HTML page says about the run (inputs, when it was made) and its limits.
    pub page: &'a HtmlOptions,
}

/// Writes one format of a run.
pub type WriteFn = fn(&Context<'_>, &mut dyn io::Write) -> io::Result<()>;

/// A table kind and the columns a reporter reads from it (canonical names or aliases), in
/// the order it destructures its cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Source {
    pub kind: &'static str,
    pub columns: &'static [&'static str],
}

/// One output format, declared by its file as `pub const REPORTER`.
#[derive(Clone, Copy)]
pub struct Reporter {
    /// The name `--format` and `--output` take.
    pub name: &'static str,
    /// Other names accepted for it (`concise` for `compact`), never listed.
    pub aliases: &'static [&'static str],
    /// It shows source excerpts, which the reader must keep for it (they cost memory).
    pub excerpts: bool,
    /// The table columns it reads besides the rules' (kept while the rows are read).
    pub columns: &'static [Source],
    /// Who writes the summary lines.
    pub summary: Summary,
    /// Its output is fit to print on an interactive terminal (text or lines, not a page).
    pub terminal: bool,
    pub write: WriteFn,
}

impl fmt::Debug for Reporter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reporter")
            .field("name", &self.name)
            .field("aliases", &self.aliases)
            .field("excerpts", &self.excerpts)
            .field("summary", &self.summary)
            .field("terminal", &self.terminal)
            .finish_non_exhaustive()
    }
}

/// Every output format, in the order users see them (see [`mod@format`]): one line per format.
pub const REPORTERS: &[&Reporter] = &[
    &human::REPORTER,
    &compact::REPORTER,
    &json::REPORTER,
    &sarif::REPORTER,
    &github::REPORTER,
    &junit::REPORTER,
    &markdown::REPORTER,
    &html::REPORTER,
    &statistics::REPORTER,
    &statistics::REPORTER_JSON,
];

/// What a reporter knows about a code: from the rule set, or from the built-in table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleInfo<'a> {
    pub code: &'a str,
    pub severity: Severity,
    /// Empty for a code neither built in nor in the rule set.
    pub title: &'a str,
    pub why: Option<&'a str>,
    pub help: Option<&'a str>,
    pub url: Option<&'a str>,
    /// The rule's pack, `built-in` for the reader's own codes, empty when unknown.
    pub pack: &'a str,
}

impl<'a> RuleInfo<'a> {
    /// A built-in code of the reader (`CSV`/`INV`), if `code` is one.
    pub fn builtin(code: &str) -> Option<RuleInfo<'static>> {
        let (code, severity, title) = builtin::ALL.iter().find(|(c, _, _)| *c == code)?;
        let doc = builtin_doc(code);
        Some(RuleInfo {
            code,
            severity: *severity,
            title,
            why: doc.map(|(why, _)| why),
            help: doc.map(|(_, fix)| fix),
            url: None,
            pack: "built-in",
        })
    }

    /// A rule of the rule set.
    pub fn of_rule(rule: &'a Rule) -> RuleInfo<'a> {
        RuleInfo {
            code: &rule.code,
            severity: rule.severity,
            title: &rule.title,
            why: Some(rule.doc.why.trim()).filter(|w| !w.is_empty()),
            help: Some(rule.help.trim()).filter(|h| !h.is_empty()),
            url: rule
                .doc
                .url
                .as_deref()
                .filter(|u| crate::rule::is_web_url(u)),
            pack: &rule.pack,
        }
    }
}

/// Metadata of `code`, if it is built in or in `rules`.
pub fn rule_info<'a>(rules: &'a RuleSet, code: &str) -> Option<RuleInfo<'a>> {
    RuleInfo::builtin(code).or_else(|| rules.rule(code).map(RuleInfo::of_rule))
}

/// The described rules of a run (see the module doc), sorted by code.
pub fn described_rules<'a>(report: &'a Outcome, rules: &'a RuleSet) -> Vec<RuleInfo<'a>> {
    let codes: BTreeSet<&str> = report
        .ran
        .iter()
        .map(|c| &**c)
        .chain(report.findings.iter().map(|f| &*f.code))
        .collect();
    codes
        .into_iter()
        .map(|code| {
            rule_info(rules, code).unwrap_or_else(|| RuleInfo {
                code,
                // Unknown code (a rule set other than the run's): its findings tell.
                severity: report
                    .findings
                    .iter()
                    .find(|f| &*f.code == code)
                    .map_or(Severity::Error, |f| f.severity),
                title: "",
                why: None,
                help: None,
                url: None,
                pack: "",
            })
        })
        .collect()
}

/// The span a code-scanning region (SARIF, GitHub annotations) shows for `l`: none for a
/// finding on the whole file or without a position.
pub fn region(l: &Location) -> Option<Span> {
    match l.anchor {
        Anchor::File => None,
        _ => l.span,
    }
}

/// Options shared by reporters.
#[derive(Debug, Clone, Copy)]
pub struct RenderOptions {
    /// ANSI colours (human and compact formats).
    pub color: bool,
    /// Columns of the console: no line of the human format is wider.
    pub width: usize,
    /// Only ASCII decorations (`...` for `…`): `TERM=dumb`, `--color never`.
    pub ascii: bool,
    /// End with the summary lines (counts, gate, skipped rules); off with `--quiet`.
    pub summary: bool,
    /// The lowest severity that fails the run (`--fail-on`; `None`: never), for formats that
    /// mark failures (JUnit).
    pub fail_on: Option<Severity>,
    /// Repeat each rule's `help` in every JSON finding (the contract); off with `--lean-json`,
    /// which leaves it to the document's `rules` object, once per code.
    pub help_in_findings: bool,
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions {
            color: false,
            width: 80,
            ascii: false,
            summary: true,
            fail_on: Some(Severity::Error),
            help_in_findings: true,
        }
    }
}

/// Write `report` in `format`. `rules` gives reporters the metadata of each rule (title, help,
/// documentation link) for formats that describe rules, such as SARIF. The HTML page gets
/// the default [`html::HtmlOptions`]; [`write_with`] chooses them.
pub fn write(
    format: Format,
    report: &Outcome,
    rules: &RuleSet,
    options: RenderOptions,
    out: &mut dyn io::Write,
) -> io::Result<()> {
    let page = html::HtmlOptions::default();
    let context = Context {
        outcome: report,
        rules,
        options,
        page: &page,
    };
    format.write(&context, out)
}

/// Write the run of `context` in `format`.
pub fn write_with(
    format: Format,
    context: &Context<'_>,
    out: &mut dyn io::Write,
) -> io::Result<()> {
    format.write(context, out)
}

/// The line that says how many findings `--max-findings` left out, if any.
pub fn omitted_line(report: &Outcome) -> Option<String> {
    let n = report.omitted.count();
    (n > 0).then(|| {
        format!(
            "{n} more finding{} not shown (--max-findings {})",
            if n == 1 { "" } else { "s" },
            report.findings.len()
        )
    })
}

/// One line summarising a run: counts per severity, files, rows, rules.
pub fn summary_line(report: &Outcome) -> String {
    let counts = report.counts();
    let n = |s: Severity| counts.get(&s).copied().unwrap_or(0);
    let plural = |k: usize, word: &str| format!("{k} {word}{}", if k == 1 { "" } else { "s" });
    let skipped = if report.skipped.is_empty() {
        String::new()
    } else {
        format!(", {} skipped", report.skipped.len())
    };
    format!(
        "{}, {}, {} in {} ({}, {} run{skipped}; config: {})",
        plural(n(Severity::Error), "error"),
        plural(n(Severity::Warning), "warning"),
        plural(n(Severity::Info), "info"),
        plural(report.files, "file"),
        plural(report.rows, "row"),
        plural(report.rules_run, "rule"),
        report.config.as_deref().unwrap_or("none"),
    )
}

/// One line per table whose absence kept rules from running, with the command that exports
/// it: `no `registrars` table: 9 rules skipped (PC001, …); export it with `…``.
pub fn coverage_lines(report: &Outcome) -> Vec<String> {
    const SHOWN: usize = 5;
    report
        .missing_tables
        .iter()
        .map(|m| {
            let n = m.rules.len();
            let mut codes = m
                .rules
                .iter()
                .take(SHOWN)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ");
            if n > SHOWN {
                codes.push_str(", …");
            }
            let export = if m.export.is_empty() {
                String::new()
            } else {
                format!("; export it with `{}`", m.export)
            };
            format!(
                "no `{}` table: {n} rule{} skipped ({codes}){export}",
                m.table,
                if n == 1 { "" } else { "s" }
            )
        })
        .collect()
}

/// Whether `code` was skipped because a table is absent (said once per table by
/// [`coverage_lines`], not once per rule).
pub fn skipped_for_missing_table(report: &Outcome, code: &str) -> bool {
    report
        .missing_tables
        .iter()
        .any(|m| m.rules.iter().any(|r| r == code))
}

/// Lines telling what suppressions and the baseline did (empty when neither was used).
pub fn gate_lines(report: &Outcome) -> Vec<String> {
    let gate = &report.gate;
    let plural =
        |k: usize, one: &str, many: &str| format!("{k} {}", if k == 1 { one } else { many });
    let mut lines = Vec::new();
    if gate.suppressed + gate.expired + gate.stale > 0 {
        let mut parts = vec![format!(
            "{} hidden",
            plural(gate.suppressed, "finding", "findings")
        )];
        if gate.expired > 0 {
            parts.push(format!("{} reported again (expired)", gate.expired));
        }
        if gate.stale > 0 {
            parts.push(plural(gate.stale, "stale entry", "stale entries"));
        }
        lines.push(format!("suppressions: {}", parts.join(", ")));
    }
    if let Some(baseline) = &gate.baseline {
        let gone: usize = baseline.gone.iter().map(|e| e.count).sum();
        lines.push(format!(
            "baseline: {} hidden, {} no longer occur{}",
            plural(baseline.hidden, "known finding", "known findings"),
            plural(gone, "recorded finding", "recorded findings"),
            if gone == 1 { "s" } else { "" },
        ));
        for entry in &baseline.gone {
            let value = if entry.value.is_empty() {
                String::new()
            } else {
                format!(" `{}`", visible::visible(&entry.value))
            };
            let times = if entry.count > 1 {
                format!(" (x{})", entry.count)
            } else {
                String::new()
            };
            lines.push(format!(
                "  gone: {} {}{value}{times}",
                visible::visible(&entry.code),
                visible::visible(&entry.key)
            ));
        }
    }
    lines
}
