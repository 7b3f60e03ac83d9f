//! **Reporters**: each turns the sorted findings of a run into one output format.
//!
//! Reporters only see findings and the run summary; they write to any `io::Write`, never to
//! the terminal directly.

pub mod compact;
pub mod human;
pub mod json;

use std::io;

use crate::engine::Report;
use crate::finding::Severity;
use crate::rule::RuleSet;

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Human,
    Compact,
    Json,
}

impl Format {
    pub const NAMES: &'static [&'static str] = &["human", "compact", "json"];

    pub fn parse(name: &str) -> Option<Format> {
        match name {
            "human" => Some(Format::Human),
            "compact" | "concise" => Some(Format::Compact),
            "json" => Some(Format::Json),
            _ => None,
        }
    }
}

/// Options shared by reporters.
#[derive(Debug, Clone, Copy)]
pub struct RenderOptions {
    pub color: bool,
    pub width: usize,
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions {
            color: false,
            width: 100,
        }
    }
}

/// Write `report` in `format`. `rules` gives reporters the metadata of each rule (title, help,
/// documentation link) for formats that describe rules, such as SARIF.
pub fn write(
    format: Format,
    report: &Report,
    _rules: &RuleSet,
    options: RenderOptions,
    out: &mut dyn io::Write,
) -> io::Result<()> {
    match format {
        Format::Human => human::write(report, options, out),
        Format::Compact => compact::write(report, out),
        Format::Json => json::write(report, out),
    }
}

/// The line that says how many findings `--max-findings` left out, if any.
pub fn omitted_line(report: &Report) -> Option<String> {
    let n = report.omitted.count;
    (n > 0).then(|| {
        format!(
            "{n} more finding{} not shown (--max-findings {})",
            if n == 1 { "" } else { "s" },
            report.findings.len()
        )
    })
}

/// One line summarising a run: counts per severity, files, rows, rules.
pub fn summary_line(report: &Report) -> String {
    let counts = report.counts();
    let n = |s: Severity| counts.get(&s).copied().unwrap_or(0);
    let plural = |k: usize, word: &str| format!("{k} {word}{}", if k == 1 { "" } else { "s" });
    let skipped = if report.skipped.is_empty() {
        String::new()
    } else {
        format!(", {} skipped", report.skipped.len())
    };
    format!(
        "{}, {}, {} in {} ({}, {} run{skipped})",
        plural(n(Severity::Error), "error"),
        plural(n(Severity::Warning), "warning"),
        plural(n(Severity::Info), "info"),
        plural(report.files, "file"),
        plural(report.rows, "row"),
        plural(report.rules_run, "rule"),
    )
}
