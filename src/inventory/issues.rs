//! The findings of the reading pass: one per [`ReadIssue`] the pass noticed, and those about
//! the whole file (encoding fallback past the head, replaced characters, an odd UTF-16 byte
//! count), made in batches of at most [`BATCH`] as they are consumed.

use super::artefact;
use super::file::{fallback_finding, TableFile};
use super::limit;
use super::table::ReadIssue;
use crate::finding::{builtin, Anchor, Finding};

/// Findings per batch of the reading pass.
pub const BATCH: usize = 16 * 1024;

/// Findings of the reading pass, batch `batch`: the issues `batch * BATCH..` (at most
/// [`BATCH`]), and with batch 0 those about the whole file.
pub(super) fn read_findings(file: &TableFile, batch: usize) -> Vec<Finding> {
    let first = batch == 0;
    let mut findings = Vec::new();
    if let Some(bad) = file.rows.fallback_from.filter(|_| first) {
        if file
            .head
            .as_ref()
            .is_some_and(|h| h.fallback_from.is_none())
        {
            findings.push(fallback_finding(file, bad));
        }
    }
    for issue in file.rows.issues.iter().skip(batch * BATCH).take(BATCH) {
        findings.push(issue_finding(file, issue));
    }
    if first && file.rows.replaced {
        findings.push(file.finding(
            builtin::ENCODING,
            format!(
                "malformed {} was replaced by U+FFFD; the file may be truncated or mixed",
                file.rows.encoding.map_or("text", |e| e.label())
            ),
            Anchor::File,
        ));
    }
    if let Some(len) = file.rows.odd_utf16_len.filter(|_| first) {
        findings.push(file.finding(
            builtin::ENCODING,
            format!("UTF-16 file with an odd byte count ({len}): its last byte is incomplete"),
            Anchor::File,
        ));
    }
    findings
}

/// The name of field `field` in the header (`?` past its end).
fn name(file: &TableFile, field: usize) -> &str {
    file.header().get(field).map_or("?", String::as_str)
}

/// ` (N WHAT in all)` when a summary counts more than one cell.
fn more(count: u64, what: &str) -> String {
    if count > 1 {
        format!(" ({count} {what} in all)")
    } else {
        String::new()
    }
}

/// The finding about one issue of the reading pass.
fn issue_finding(file: &TableFile, issue: &ReadIssue) -> Finding {
    match issue {
        ReadIssue::Ragged {
            record,
            found,
            expected,
        } => file.finding(
            builtin::RAGGED_ROW,
            format!(
                "row {record} has {found} field{} but the header has {expected}; a value \
                 probably holds an unquoted delimiter, or the export was appended to with \
                 other columns",
                if *found == 1 { "" } else { "s" }
            ),
            Anchor::Record { record: *record },
        ),
        ReadIssue::TypeNameCells {
            record,
            field,
            value,
            count,
        } => type_name_cells(file, *record, *field, value, *count),
        ReadIssue::QuestionMarks {
            record,
            field,
            value,
            count,
        } => question_marks(file, *record, *field, value, *count),
        ReadIssue::Nul {
            record,
            field,
            count,
        } => nul_cells(file, *record, *field, *count),
        ReadIssue::Bom {
            record,
            field,
            count,
        } => bom_cells(file, *record, *field, *count),
        ReadIssue::UnterminatedQuote { record, field } => file.finding(
            builtin::RAGGED_ROW,
            format!(
                "the file ends inside the quoted value of `{}` opened at row {record}: the \
                 copy is probably truncated, and that value holds the rest of the file",
                name(file, *field)
            ),
            Anchor::Cell {
                record: *record,
                field: *field,
            },
        ),
        ReadIssue::TooLarge { record } => file.finding(
            builtin::UNREADABLE,
            format!(
                "a column is larger than 4 GiB at row {record}; the rest of the file was not read"
            ),
            Anchor::Record { record: *record },
        ),
        ReadIssue::RepeatedHeader { record, count } => {
            artefact::repeated_header(file, *record, *count)
        }
        ReadIssue::RecordTooLong { record, line } => record_too_long(file, *record, *line),
        ReadIssue::HeaderChanged => file.finding(
            builtin::UNREADABLE,
            "the file changed while it was being read; run again".into(),
            Anchor::File,
        ),
    }
}

/// Cells of field `field` holding a .NET type name, the first at `record`.
fn type_name_cells(
    file: &TableFile,
    record: u64,
    field: usize,
    value: &str,
    count: u64,
) -> Finding {
    let mut f = file
        .finding(
            builtin::TYPE_NAME_CELL,
            format!(
                "`{}` holds the .NET type name `{}` instead of values{}: the \
             property is a collection that Export-Csv cannot write",
                name(file, field),
                crate::finding::quoted(value),
                more(count, "such cells in this column")
            ),
            Anchor::Cell { record, field },
        )
        .with_help(format!(
            "join it before exporting: `Select-Object …, @{{n='{0}';e={{$_.{0} -join '; '}}}}`",
            name(file, field)
        ));
    f.location.value = Some(value.into());
    f
}

/// Cells with `?` in place of letters, the first at `record`, field `field`.
fn question_marks(file: &TableFile, record: u64, field: usize, value: &str, count: u64) -> Finding {
    let mut f = file
        .finding(
            builtin::ENCODING,
            format!(
                "`{}` has `?` in place of letters{}: Windows PowerShell's Export-Csv \
             writes ASCII by default and replaces accented characters",
                crate::finding::quoted(value),
                more(count, "cells like this")
            ),
            Anchor::Cell { record, field },
        )
        .with_help("re-export with `Export-Csv -Encoding UTF8`");
    f.location.value = Some(value.into());
    f
}

/// Cells holding NUL characters, the first at `record`, field `field`.
fn nul_cells(file: &TableFile, record: u64, field: usize, count: u64) -> Finding {
    file.finding(
        builtin::ENCODING,
        format!(
            "`{}` holds NUL characters{}: the file is damaged or mixes encodings",
            name(file, field),
            more(count, "cells with NULs")
        ),
        Anchor::Cell { record, field },
    )
}

/// Cells holding a byte-order mark, the first at `record`, field `field`.
fn bom_cells(file: &TableFile, record: u64, field: usize, count: u64) -> Finding {
    file.finding(
        builtin::ENCODING,
        format!(
            "`{}` holds a byte-order mark (U+FEFF){}: files were probably concatenated \
             (`Get-Content a.csv, b.csv > c.csv`), so a second header is read as data",
            name(file, field),
            more(count, "cells with one")
        ),
        Anchor::Cell { record, field },
    )
    .with_help("export each table into its own file, or remove the repeated header lines")
}

/// A record over [`limit::MAX_RECORD`] at line `line`: reading stopped before it.
fn record_too_long(file: &TableFile, record: u64, line: u64) -> Finding {
    file.finding(
        builtin::UNREADABLE,
        format!(
            "record longer than {} MB at line {line} (row {record}): not read, nor the \
             rest of the file; a value probably holds a whole file, or a quote is never \
             closed",
            limit::MAX_RECORD >> 20
        ),
        Anchor::Position { line, column: 1 },
    )
}
