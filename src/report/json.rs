//! `json`: the machine-readable contract (`version` 1). Consumers must ignore unknown fields.

use std::collections::BTreeMap;
use std::io;

use serde::Serialize;

use crate::engine::{MissingTable, Outcome, Skipped};
use crate::finding::{Finding, Location, Message, Related, Severity};
use crate::gate::GateSummary;
use crate::rule::RuleSet;

use super::RenderOptions;

#[derive(Serialize)]
struct Document<'a> {
    version: u32,
    findings: Findings<'a>,
    summary: Summary<'a>,
    /// Code → what it is (title, help, documentation), once per code that ran or has a
    /// finding (additive to the version 1 contract).
    rules: BTreeMap<&'a str, JsonRule<'a>>,
}

/// The findings, written one by one as the document is (never gathered in memory first).
struct Findings<'a> {
    findings: &'a [Finding],
    /// Repeat each rule's help in its findings (the contract; off with `--lean-json`).
    help: bool,
}

impl Serialize for Findings<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.findings.iter().map(|f| finding(f, self.help)))
    }
}

/// The related locations of a finding, written as they are read.
struct RelatedList<'a>(&'a [Related]);

impl Serialize for RelatedList<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(|r| related(&r.location, &r.message)))
    }
}

#[derive(Serialize)]
struct JsonRule<'a> {
    title: &'a str,
    help: Option<&'a str>,
    docs: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    code: &'a str,
    severity: Severity,
    message: &'a Message,
    /// `None`: left out (`--lean-json`); `Some(None)`: `null`, a rule without help.
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<Option<&'a str>>,
    file: &'a str,
    line: u64,
    column: u64,
    end_line: u64,
    end_column: u64,
    table: Option<&'a str>,
    row: Option<u64>,
    field: Option<&'a str>,
    value: Option<&'a str>,
    /// Rows this finding stands for (a `group-by` rule); absent for one row (additive to the
    /// version 1 contract).
    #[serde(skip_serializing_if = "Option::is_none")]
    count: Option<usize>,
    related: RelatedList<'a>,
}

#[derive(Serialize)]
struct JsonRelated<'a> {
    file: &'a str,
    line: u64,
    column: u64,
    end_line: u64,
    end_column: u64,
    table: Option<&'a str>,
    row: Option<u64>,
    field: Option<&'a str>,
    value: Option<&'a str>,
    message: &'a Message,
}

#[derive(Serialize)]
struct Summary<'a> {
    files: usize,
    rows: usize,
    rules: usize,
    error: usize,
    warning: usize,
    info: usize,
    skipped: &'a [Skipped],
    /// Kind → number of objects: rows less blank ones and less those repeating an object of
    /// another export (additive to the version 1 contract).
    objects: &'a std::collections::BTreeMap<String, usize>,
    /// The absent tables behind skipped rules, with their export command (absent when none;
    /// additive to the version 1 contract).
    #[serde(skip_serializing_if = "<[MissingTable]>::is_empty")]
    missing_tables: &'a [MissingTable],
    /// Suppressions and baseline, only when used (additive to the version 1 contract).
    #[serde(skip_serializing_if = "Option::is_none")]
    gate: Option<&'a GateSummary>,
    /// The configuration file used, `null` when none was.
    config: Option<&'a str>,
    /// Findings left out by `--max-findings` (absent when none were).
    #[serde(skip_serializing_if = "Option::is_none")]
    truncated: Option<usize>,
}

fn finding(f: &Finding, help: bool) -> JsonFinding<'_> {
    let s = f.location.span_or_start();
    JsonFinding {
        code: &f.code,
        severity: f.severity,
        message: &f.message,
        help: help.then_some(f.help.as_deref()),
        file: f.location.file(),
        line: s.line,
        column: s.column,
        end_line: s.end_line,
        end_column: s.end_column,
        table: f.location.table(),
        row: f.location.row(),
        field: f.location.field(),
        value: f.location.value.as_deref(),
        count: f.count,
        related: RelatedList(&f.related),
    }
}

fn related<'a>(l: &'a Location, message: &'a Message) -> JsonRelated<'a> {
    let s = l.span_or_start();
    JsonRelated {
        file: l.file(),
        line: s.line,
        column: s.column,
        end_line: s.end_line,
        end_column: s.end_column,
        table: l.table(),
        row: l.row(),
        field: l.field(),
        value: l.value.as_deref(),
        message,
    }
}

/// The `json` format in the registry ([`super::REPORTERS`]).
pub const REPORTER: super::Reporter = super::Reporter {
    name: "json",
    aliases: &[],
    excerpts: false,
    columns: &[],
    summary: super::Summary::Never,
    terminal: true,
    write: |c, out| write(c.outcome, c.rules, c.options, out),
};

pub fn write(
    report: &Outcome,
    rules: &RuleSet,
    options: RenderOptions,
    out: &mut dyn io::Write,
) -> io::Result<()> {
    let counts = report.counts();
    let n = |s| counts.get(&s).copied().unwrap_or(0);
    let doc = Document {
        version: 1,
        findings: Findings {
            findings: &report.findings,
            help: options.help_in_findings,
        },
        summary: Summary {
            files: report.files,
            rows: report.rows,
            rules: report.rules_run,
            error: n(Severity::Error),
            warning: n(Severity::Warning),
            info: n(Severity::Info),
            skipped: &report.skipped,
            objects: &report.objects,
            missing_tables: &report.missing_tables,
            gate: (!report.gate.is_empty()).then_some(&report.gate),
            config: report.config.as_deref(),
            truncated: Some(report.omitted.count()).filter(|&n| n > 0),
        },
        rules: super::described_rules(report, rules)
            .into_iter()
            .map(|r| {
                let rule = JsonRule {
                    title: r.title,
                    help: r.help,
                    docs: r.url,
                };
                (r.code, rule)
            })
            .collect(),
    };
    serde_json::to_writer_pretty(&mut *out, &doc).map_err(io::Error::other)?;
    writeln!(out)
}
