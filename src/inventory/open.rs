//! Opening one file: pinning it, reading its head, recognising its kind (or taking the kind an
//! override forces) and the findings about the head: encoding fallback, duplicate or artefact
//! column names, missing required columns, an unrecognised or empty table.

use std::collections::BTreeMap;

use super::artefact;
use super::decl::TableDecl;
use super::file::{fallback_finding, TableFile};
use super::head::{self, Head, HeadOptions, HeadProblem};
use super::recognise::{RecognisedBy, Recogniser};
use super::source::Source;
use super::{file_name, list, TableOverride};
use crate::finding::{builtin, Anchor, FileId, Finding};

/// The header is record 0: findings about it point at it.
const HEADER: Anchor = Anchor::Record { record: 0 };

/// Open the file `id` from `source`, read its head and recognise its kind among `decls`.
pub(super) fn open_file(
    id: FileId,
    source: Source,
    display: String,
    decls: &[TableDecl],
    recogniser: &Recogniser,
    overrides: &[&TableOverride],
) -> (TableFile, Vec<Finding>) {
    crate::fault::inject("open", file_name(&display));
    let mut file = TableFile::new(id, source, &display);
    if let Err(e) = file.source.pin() {
        let finding = head_problem_finding(&file, HeadProblem::Io(e.to_string()));
        return (file, vec![finding]);
    }
    let options = HeadOptions {
        encoding: overrides.iter().find_map(|o| o.encoding),
        delimiter: overrides.iter().find_map(|o| o.delimiter),
    };
    let head = file
        .source
        .open()
        .map_err(|e| HeadProblem::Io(e.to_string()))
        .and_then(|f| head::read_head(f, options));
    let mut findings = Vec::new();
    let head = match head {
        Ok(head) => head,
        Err(problem) => {
            findings.push(head_problem_finding(&file, problem));
            return (file, findings);
        }
    };
    file.name_fields(&head.header);
    if let Some(bad) = head.fallback_from {
        findings.push(fallback_finding(&file, bad));
    }
    let forced_kind = overrides.iter().find_map(|o| o.kind.as_deref());
    let recognised = match forced_kind {
        Some(kind) => decls
            .iter()
            .position(|d| d.kind == kind)
            .map(|i| (i, RecognisedBy::Override)),
        None => recogniser.recognise(decls, &head, file_name(&file.display)),
    };
    findings.extend(duplicate_columns(&file, &head.header));
    findings.extend(artefact::head_findings(&file, &head.header));
    match recognised {
        Some((index, by)) => findings.extend(recognised_as(&mut file, decls, index, by, &head)),
        None => findings.push(unrecognised(&file, &head)),
    }
    if head.header_only {
        findings.push(file.finding(
            builtin::EMPTY,
            "header only: the export has no rows".into(),
            HEADER,
        ));
    }
    file.head = Some(head);
    (file, findings)
}

/// Duplicate header names (case-insensitive: PowerShell property names are).
fn duplicate_columns(file: &TableFile, header: &[String]) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for (i, name) in header.iter().enumerate() {
        if let Some(first) = seen.insert(name.trim().to_lowercase(), i) {
            seen.insert(name.trim().to_lowercase(), first);
            findings.push(file.finding(
                builtin::DUPLICATE_HEADER,
                format!(
                    "column `{name}` appears twice in the header (fields {} and {}); rules \
                     read the first one",
                    first + 1,
                    i + 1
                ),
                Anchor::Cell {
                    record: 0,
                    field: i,
                },
            ));
        }
    }
    findings
}

/// Mark `file` as of the kind of `decls[index]`; the finding about the required columns its
/// header lacks, if any.
fn recognised_as(
    file: &mut TableFile,
    decls: &[TableDecl],
    index: usize,
    by: RecognisedBy,
    head: &Head,
) -> Option<Finding> {
    let decl = &decls[index];
    file.decl = Some(index);
    file.set_kind(&decl.kind);
    file.recognised_by = Some(by);
    let missing: Vec<&str> = decl
        .required
        .iter()
        .filter(|c| decl.find_column(&head.header, c).is_none())
        .map(String::as_str)
        .collect();
    (!missing.is_empty()).then(|| {
        file.finding(
            builtin::MISSING_COLUMN,
            format!(
                "recognised as `{}` but the header lacks {}: add {} to the \
                 Select-Object of the export",
                decl.kind,
                list(&missing),
                if missing.len() == 1 { "it" } else { "them" }
            ),
            HEADER,
        )
    })
}

/// The finding about a file that no table declaration recognises.
fn unrecognised(file: &TableFile, head: &Head) -> Finding {
    let what = head
        .type_name
        .as_deref()
        .map_or_else(String::new, |t| format!(" (#TYPE {t})"));
    file.finding(
        builtin::UNRECOGNISED,
        format!(
            "not recognised as any declared table{what}; its {} columns start with {}",
            head.header.len(),
            list(
                &head
                    .header
                    .iter()
                    .take(4)
                    .map(String::as_str)
                    .collect::<Vec<_>>()
            )
        ),
        HEADER,
    )
}

fn head_problem_finding(file: &TableFile, problem: HeadProblem) -> Finding {
    match problem {
        HeadProblem::Empty => file.finding(
            builtin::EMPTY,
            "empty file: nothing was exported".into(),
            Anchor::File,
        ),
        HeadProblem::NotCsv { reason, line } => file.finding(
            builtin::NOT_CSV,
            format!("not a CSV: {reason}"),
            Anchor::Position { line, column: 1 },
        ),
        HeadProblem::Io(message) => file.finding(
            builtin::UNREADABLE,
            format!("cannot read `{}`: {message}", file.display),
            Anchor::File,
        ),
    }
}
