//! `json`: the machine-readable contract (`version` 1). Consumers must ignore unknown fields.

use std::collections::BTreeMap;
use std::io;

use rayon::prelude::*;
use serde::Serialize;

use crate::engine::{MissingTable, Outcome, Skipped};
use crate::finding::{Finding, Severity};
#[cfg(test)]
use crate::finding::{Location, Message, Related};
use crate::gate::GateSummary;
use crate::rule::RuleSet;

use super::RenderOptions;

mod write;

/// Findings serialised at once by the threads, then written in order: one window at a time,
/// so that the text held is a few chunks, never the document (448 MB at 400,000 findings).
const CHUNK: usize = 1024;
const WINDOW: usize = 16;

#[cfg(test)]
/// The related locations of a finding, written as they are read.
struct RelatedList<'a>(&'a [Related]);

#[cfg(test)]
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

/// A finding as the contract has it: what [`write::finding`] writes by hand, kept as the
/// reference its test compares with.
#[cfg(test)]
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

#[cfg(test)]
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

#[cfg(test)]
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

#[cfg(test)]
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
    let summary = Summary {
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
    };
    // Code → what it is (title, help, documentation), once per code that ran or has a
    // finding (additive to the version 1 contract).
    let rules: BTreeMap<&str, JsonRule<'_>> = super::described_rules(report, rules)
        .into_iter()
        .map(|r| {
            let rule = JsonRule {
                title: r.title,
                help: r.help,
                docs: r.url,
            };
            (r.code, rule)
        })
        .collect();
    // What `serde_json::to_writer_pretty` wrote for the whole document, byte for byte.
    out.write_all(b"{\n  \"version\": 1,\n  \"findings\": ")?;
    write_findings(&report.findings, options.help_in_findings, out)?;
    let mut text = b",\n  \"summary\": ".to_vec();
    pretty(&summary, 1, &mut text)?;
    text.extend_from_slice(b",\n  \"rules\": ");
    pretty(&rules, 1, &mut text)?;
    text.extend_from_slice(b"\n}\n");
    out.write_all(&text)
}

/// The `findings` array, its elements serialised by the threads a window at a time.
fn write_findings(findings: &[Finding], help: bool, out: &mut dyn io::Write) -> io::Result<()> {
    if findings.is_empty() {
        return out.write_all(b"[]");
    }
    out.write_all(b"[")?;
    // One buffer per chunk of a window, reused by the next window: fresh ones grew a megabyte
    // each by doubling, a tenth of the writing at 400,000 findings.
    let mut texts: Vec<Vec<u8>> = vec![Vec::new(); WINDOW];
    for (w, window) in findings.chunks(CHUNK * WINDOW).enumerate() {
        let written: Vec<io::Result<()>> = texts
            .par_iter_mut()
            .zip(window.par_chunks(CHUNK))
            .enumerate()
            .map(|(c, (text, chunk))| {
                text.clear();
                let mut message = String::new();
                for (i, f) in chunk.iter().enumerate() {
                    if (w, c, i) != (0, 0, 0) {
                        text.push(b',');
                    }
                    text.extend_from_slice(b"\n    ");
                    write::finding(text, f, help, &mut message)?;
                }
                Ok(())
            })
            .collect();
        for (text, result) in texts.iter().zip(written) {
            result?;
            out.write_all(text)?;
        }
    }
    out.write_all(b"\n  ]")
}

/// Append `value` to `out` as `to_writer_pretty` writes it at `depth` (the findings' objects
/// are at depth 2: in the document, in its `findings` array).
fn pretty<T: Serialize>(value: &T, depth: usize, out: &mut Vec<u8>) -> io::Result<()> {
    let mut serializer = serde_json::Serializer::with_formatter(
        out,
        Indented {
            depth,
            has_value: false,
        },
    );
    value.serialize(&mut serializer).map_err(io::Error::other)
}

/// `serde_json`'s `PrettyFormatter` (two spaces a level) starting at a depth.
struct Indented {
    depth: usize,
    /// The array or object under way has a value.
    has_value: bool,
}

impl Indented {
    fn begin<W: ?Sized + io::Write>(&mut self, writer: &mut W, open: &[u8]) -> io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        writer.write_all(open)
    }

    fn end<W: ?Sized + io::Write>(&mut self, writer: &mut W, close: &[u8]) -> io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            self.line(writer)?;
        }
        writer.write_all(close)
    }

    /// A new line at the current depth.
    fn line<W: ?Sized + io::Write>(&self, writer: &mut W) -> io::Result<()> {
        writer.write_all(b"\n")?;
        for _ in 0..self.depth {
            writer.write_all(b"  ")?;
        }
        Ok(())
    }

    fn next<W: ?Sized + io::Write>(&self, writer: &mut W, first: bool) -> io::Result<()> {
        if !first {
            writer.write_all(b",")?;
        }
        self.line(writer)
    }
}

impl serde_json::ser::Formatter for Indented {
    fn begin_array<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.begin(writer, b"[")
    }

    fn end_array<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.end(writer, b"]")
    }

    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.next(writer, first)
    }

    fn end_array_value<W: ?Sized + io::Write>(&mut self, _writer: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.begin(writer, b"{")
    }

    fn end_object<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.end(writer, b"}")
    }

    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.next(writer, first)
    }

    fn begin_object_value<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        writer.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + io::Write>(&mut self, _writer: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Anchor;

    /// The findings array written by hand, by the threads in windows, is what one serialiser
    /// writes of the whole array: empty, one finding, one chunk, and across windows.
    #[test]
    fn findings_written_in_windows_are_what_one_serialiser_writes() {
        #[derive(Serialize)]
        struct Whole<'a> {
            findings: Vec<JsonFinding<'a>>,
        }
        for n in [0, 1, CHUNK, CHUNK * WINDOW + 3] {
            let findings: Vec<Finding> = (0..n)
                .map(|i| {
                    let at = |record: usize| Anchor::Cell {
                        record: record as u64,
                        field: 0,
                    };
                    // Plain and escaped text (quotes, line ends, a backslash, a control
                    // character, letters beyond ASCII), help or none, a count, values and
                    // spans, none to three related locations.
                    let message = match i % 3 {
                        0 => format!("m{i} \"quoted\"\nnext line"),
                        1 => format!("m{i} plain Müller"),
                        _ => format!("m{i} C:\\path\ttab \u{1}"),
                    };
                    let mut location = Location::new(0, "f.csv".into(), at(i + 1));
                    if i % 4 == 1 {
                        location.value = Some(format!("v{i} \"x\"").into());
                        location.span = Some(crate::finding::Span {
                            line: i as u64 + 2,
                            column: 3,
                            end_line: i as u64 + 2,
                            end_column: 9,
                        });
                    }
                    let mut f = Finding::new("T001", Severity::Warning, message, location);
                    if i % 5 != 2 {
                        f = f.with_help(if i % 2 == 0 { "help" } else { "`run` \"this\"" });
                    }
                    if i % 7 == 3 {
                        f.count = Some(i * 1000);
                        f.severity = Severity::Error;
                    }
                    for k in 0..(i % 4) {
                        f.related.push(Related {
                            location: Location::new(1, "g.csv".into(), at(i + k)),
                            message: Message::plain(if k == 1 { "here \"q\"" } else { "here" }),
                        });
                    }
                    f
                })
                .collect();
            for help in [true, false] {
                let mut windowed = b"{\n  \"findings\": ".to_vec();
                write_findings(&findings, help, &mut windowed).expect("write");
                windowed.extend_from_slice(b"\n}");
                let whole = Whole {
                    findings: findings.iter().map(|f| finding(f, help)).collect(),
                };
                let whole = serde_json::to_vec_pretty(&whole).expect("serialise");
                assert_eq!(
                    String::from_utf8_lossy(&windowed),
                    String::from_utf8_lossy(&whole),
                    "{n} {help}"
                );
            }
        }
    }
}
