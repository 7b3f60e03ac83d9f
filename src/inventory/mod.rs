//! The **inventory**: every file found under the input paths, decoded and parsed.
//!
//! Words used here: a **table** is one CSV file with its **kind** (from a table declaration,
//! see [`decl`]), header and rows; a **row** is a data record (header and `#TYPE` line
//! excluded); a **column** is a header name; a **cell** is one field of one row. The
//! **dialect** of a file is its encoding, delimiter and `#TYPE` line.
//!
//! Loading is two-phase so that memory follows the columns in use: [`Inventory::open`]
//! discovers files and reads their heads (recognising each table's kind), then, once rules
//! are compiled against the headers, [`Inventory::read_rows`] reads every file once in
//! parallel keeping only the columns asked for. [`Inventory::locate`] resolves the findings'
//! anchors to lines and columns at the end, reading again only files that have findings.

pub mod artefact;
pub mod decl;
pub mod decode;
pub mod discover;
pub mod extract;
pub mod head;
pub mod known;
pub mod limit;
pub mod locate;
pub mod recognise;
pub mod split;
pub mod starts;
pub mod table;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Read};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::Arc;

use rayon::prelude::*;

use crate::finding::{builtin, Anchor, FileId, Finding, Location};
use decl::TableDecl;
use decode::Encoding;
use head::{Head, HeadOptions, HeadProblem};
use recognise::{RecognisedBy, Recogniser};
use table::{ReadIssue, Rows};

pub use discover::{DiscoverOptions, FoundFile};

/// Per-glob overrides of what sniffing decides (from the config file).
#[derive(Debug, Clone, Default)]
pub struct TableOverride {
    pub glob: String,
    pub kind: Option<String>,
    pub delimiter: Option<u8>,
    pub encoding: Option<Encoding>,
}

const LOCATING: &str = "locating findings in";

/// Where a file's bytes come from: disk, or memory (rule examples, tests).
#[derive(Debug, Clone)]
pub enum Source {
    /// A file, and its [`Stamp`](crate::files::Stamp) once its head was read: every later
    /// read checks the file has not changed since.
    File(PathBuf, Option<crate::files::Stamp>),
    Memory(Arc<[u8]>),
}

impl Source {
    /// Size in bytes (0 when it cannot be known).
    pub fn len(&self) -> u64 {
        match self {
            Source::File(path, _) => std::fs::metadata(path).map_or(0, |m| m.len()),
            Source::Memory(bytes) => bytes.len() as u64,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Take the file's stamp: later reads fail when the file differs from it.
    pub fn pin(&mut self) -> io::Result<()> {
        if let Source::File(path, stamp) = self {
            let (_, meta) = crate::files::open_regular(path)?;
            *stamp = Some(crate::files::Stamp::of(&meta));
        }
        Ok(())
    }

    /// Whether the file is still the one pinned (always true in memory).
    pub fn check_unchanged(&self) -> io::Result<()> {
        match self {
            Source::File(path, Some(stamp)) => crate::files::check_unchanged(path, *stamp),
            _ => Ok(()),
        }
    }

    pub fn open(&self) -> io::Result<Box<dyn Read + Send>> {
        Ok(match self {
            Source::File(path, stamp) => Box::new(crate::files::Guarded::open(path, *stamp)?),
            Source::Memory(bytes) => Box::new(io::Cursor::new(bytes.clone())),
        })
    }

    /// Open at byte `offset`.
    pub fn open_at(&self, offset: u64) -> io::Result<Box<dyn Read + Send>> {
        Ok(match self {
            Source::File(path, stamp) => {
                let mut file = crate::files::Guarded::open(path, *stamp)?;
                file.seek_to(offset)?;
                Box::new(file)
            }
            Source::Memory(bytes) => {
                let mut cursor = io::Cursor::new(bytes.clone());
                cursor.set_position(offset);
                Box::new(cursor)
            }
        })
    }
}

/// One discovered file.
#[derive(Debug)]
pub struct TableFile {
    pub id: FileId,
    pub source: Source,
    pub display: Arc<str>,
    /// The head, when the file is a readable CSV.
    pub head: Option<Head>,
    /// Index of the table declaration, when recognised.
    pub decl: Option<usize>,
    pub kind: Option<Arc<str>>,
    pub recognised_by: Option<RecognisedBy>,
    pub rows: Rows,
    /// The rows could not be read (the file vanished, changed or failed mid-way).
    pub failed: bool,
}

impl TableFile {
    fn new(id: FileId, source: Source, display: &str) -> TableFile {
        TableFile {
            id,
            source,
            display: Arc::from(display),
            head: None,
            decl: None,
            kind: None,
            recognised_by: None,
            rows: Rows::default(),
            failed: false,
        }
    }

    /// The internal-error finding for a panic caught while `doing` this file.
    fn internal_error(&self, doing: &str, payload: &(dyn std::any::Any + Send)) -> Finding {
        let consequence = if doing == LOCATING {
            "its findings are shown without positions"
        } else {
            "the file was not checked"
        };
        self.finding(
            builtin::INTERNAL,
            format!(
                "internal error while {doing} `{}`: {}; {consequence}. Please report it",
                self.display,
                crate::fault::panic_text(payload)
            ),
            Anchor::File,
        )
    }

    pub fn location(&self, anchor: Anchor) -> Location {
        let mut location = Location::new(self.id, self.display.clone(), anchor);
        location.table = self.kind.clone();
        location
    }

    fn finding(
        &self,
        code: (&str, crate::finding::Severity),
        message: String,
        anchor: Anchor,
    ) -> Finding {
        Finding::new(code.0, code.1, message, self.location(anchor))
    }

    /// Header names, empty when the file has no head.
    pub fn header(&self) -> &[String] {
        self.head.as_ref().map_or(&[], |h| h.header.as_slice())
    }
}

/// All the files of a run.
#[derive(Debug, Default)]
pub struct Inventory {
    pub files: Vec<TableFile>,
    pub decls: Vec<TableDecl>,
}

impl Inventory {
    /// Discover the files under `roots`, read their heads and recognise their kinds.
    pub fn open(
        roots: &[PathBuf],
        discover_options: &DiscoverOptions,
        decls: Vec<TableDecl>,
        overrides: &[TableOverride],
    ) -> Result<(Inventory, Vec<Finding>), String> {
        let (found, errors) = discover::discover(roots, discover_options)?;
        let (recogniser, decl_errors) = Recogniser::new(&decls);
        if let Some((kind, message)) = decl_errors.into_iter().next() {
            return Err(format!("table declaration `{kind}`: {message}"));
        }
        let override_sets: Vec<(globset::GlobSet, &TableOverride)> = overrides
            .iter()
            .map(|o| discover::glob_set(std::slice::from_ref(&o.glob)).map(|g| (g, o)))
            .collect::<Result<_, _>>()?;
        let mut findings = Vec::new();
        for error in errors {
            let mut location =
                Location::new(usize::MAX, Arc::from(error.display.as_str()), Anchor::File);
            location.file_id = usize::MAX;
            findings.push(Finding::new(
                builtin::UNREADABLE.0,
                builtin::UNREADABLE.1,
                format!("cannot read `{}`: {}", error.display, error.message),
                location,
            ));
        }
        let sources = found
            .into_iter()
            .map(|f| (Source::File(f.path, None), f.display))
            .collect();
        let (inventory, more) =
            Inventory::from_sources(sources, decls, &recogniser, &override_sets);
        findings.extend(more);
        Ok((inventory, findings))
    }

    /// An inventory of in-memory tables, each named `display` and forced to a kind when
    /// one is given (rule examples).
    pub fn from_memory(
        tables: Vec<(String, Option<String>, Vec<u8>)>,
        decls: Vec<TableDecl>,
    ) -> Result<(Inventory, Vec<Finding>), String> {
        let (recogniser, _) = Recogniser::new(&decls);
        let overrides: Vec<TableOverride> = tables
            .iter()
            .filter_map(|(display, kind, _)| {
                kind.as_ref().map(|k| TableOverride {
                    glob: globset::escape(display),
                    kind: Some(k.clone()),
                    ..TableOverride::default()
                })
            })
            .collect();
        let override_sets: Vec<(globset::GlobSet, &TableOverride)> = overrides
            .iter()
            .map(|o| discover::glob_set(std::slice::from_ref(&o.glob)).map(|g| (g, o)))
            .collect::<Result<_, _>>()?;
        let sources = tables
            .into_iter()
            .map(|(display, _, bytes)| (Source::Memory(Arc::from(bytes)), display))
            .collect();
        Ok(Inventory::from_sources(
            sources,
            decls,
            &recogniser,
            &override_sets,
        ))
    }

    fn from_sources(
        sources: Vec<(Source, String)>,
        decls: Vec<TableDecl>,
        recogniser: &Recogniser,
        override_sets: &[(globset::GlobSet, &TableOverride)],
    ) -> (Inventory, Vec<Finding>) {
        let mut findings = Vec::new();
        let opened: Vec<(TableFile, Vec<Finding>)> = sources
            .into_par_iter()
            .enumerate()
            .map(|(id, (source, display))| {
                let applicable: Vec<&TableOverride> = override_sets
                    .iter()
                    .filter(|(set, _)| set.is_match(&display))
                    .map(|(_, o)| *o)
                    .collect();
                // A panic while reading one file is reported on that file; the run goes on.
                let (kept_source, kept_display) = (source.clone(), display.clone());
                catch_unwind(AssertUnwindSafe(|| {
                    open_file(id, source, display, &decls, recogniser, &applicable)
                }))
                .unwrap_or_else(|payload| {
                    let mut file = TableFile::new(id, kept_source, &kept_display);
                    file.failed = true;
                    let finding = file.internal_error("reading", payload.as_ref());
                    (file, vec![finding])
                })
            })
            .collect();
        let mut files = Vec::with_capacity(opened.len());
        for (file, file_findings) in opened {
            files.push(file);
            findings.extend(file_findings);
        }
        (Inventory { files, decls }, findings)
    }

    /// Read the rows of every file with a head, in parallel, keeping the fields for which
    /// `keep(file)` is true. Returns the built-in findings of the reading pass.
    pub fn read_rows<F>(&mut self, keep: F) -> Vec<Finding>
    where
        F: Fn(&TableFile) -> Vec<bool> + Sync,
    {
        self.read_rows_batched(&keep, None, None)
            .flatten_iter()
            .collect()
    }

    /// [`Inventory::read_rows`] yielding the findings in batches of at most [`BATCH`], made as
    /// they are consumed: a caller that counts rather than keeps them (`--max-findings`) never
    /// holds the millions of findings of a file whose every row is ragged. `progress` is called
    /// with the bytes read as reading goes (from several threads; the calls add up to
    /// [`Inventory::bytes_to_read`]), and `then` with each file read successfully, on the
    /// thread that read it, as soon as it is read.
    pub fn read_rows_batched<'s, F>(
        &'s mut self,
        keep: F,
        progress: Option<&'s (dyn Fn(u64) + Sync)>,
        then: Option<&'s (dyn Fn(&TableFile) + Sync)>,
    ) -> impl ParallelIterator<Item = Vec<Finding>> + 's
    where
        F: Fn(&TableFile) -> Vec<bool> + Sync + Send + 's,
    {
        self.files.par_iter_mut().flat_map_iter(
            move |file| -> Box<dyn Iterator<Item = Vec<Finding>> + Send + 's> {
                let Some(head) = file.head.as_ref() else {
                    return Box::new(std::iter::empty());
                };
                let keep_fields = keep(file);
                // A panic while reading one file is reported on that file; the run goes on.
                let read = catch_unwind(AssertUnwindSafe(|| {
                    crate::fault::inject("read", file_name(&file.display));
                    table::read_rows_counted(&file.source, head, &keep_fields, progress)
                }));
                // Rows of a file that changed while read are not to be trusted.
                let read = read
                    .map(|rows| rows.and_then(|rows| file.source.check_unchanged().map(|()| rows)));
                match read {
                    Ok(Ok(rows)) => {
                        // Rows of another header than the one rules were compiled for.
                        file.failed |= rows.issues.contains(&ReadIssue::HeaderChanged);
                        file.rows = rows;
                        if let Some(then) = then {
                            then(file);
                        }
                        let file: &TableFile = file;
                        let batches = file.rows.issues.len().div_ceil(BATCH).max(1);
                        Box::new((0..batches).map(move |batch| read_findings(file, batch)))
                    }
                    Ok(Err(e)) => {
                        file.failed = true;
                        Box::new(std::iter::once(vec![file.finding(
                            builtin::UNREADABLE,
                            format!("cannot read `{}`: {e}", file.display),
                            Anchor::File,
                        )]))
                    }
                    Err(payload) => {
                        file.failed = true;
                        Box::new(std::iter::once(vec![
                            file.internal_error("reading", payload.as_ref())
                        ]))
                    }
                }
            },
        )
    }

    /// Resolve the anchors of `findings` (and their related locations) into spans, filling in
    /// field names and, when `with_excerpt`, the source lines for display. Returns the
    /// findings about locating itself: internal errors (panics caught while locating) and
    /// files that could not be read again; the findings concerned keep no span.
    pub fn locate(&self, findings: &mut [Finding], with_excerpt: bool) -> Vec<Finding> {
        let mut wanted: BTreeMap<FileId, BTreeSet<u64>> = BTreeMap::new();
        for finding in findings.iter() {
            for location in std::iter::once(&finding.location)
                .chain(finding.related.iter().map(|r| &r.location))
            {
                if let Some(record) = location.anchor.record() {
                    wanted.entry(location.file_id).or_default().insert(record);
                }
            }
        }
        // Panics caught while locating, reported as internal errors on their file.
        let caught = std::sync::Mutex::new(Vec::new());
        let report = |file: &TableFile, payload: &(dyn std::any::Any + Send)| {
            let finding = file.internal_error(LOCATING, payload);
            caught
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(finding);
        };
        let scanned: BTreeMap<FileId, BTreeMap<u64, locate::RecordText>> = wanted
            .into_par_iter()
            .filter_map(|(id, records)| {
                let file = self.files.get(id)?;
                let head = file.head.as_ref()?;
                let plan = locate::ScanPlan {
                    encoding: file.rows.encoding.unwrap_or(head.encoding),
                    type_line_len: head.type_line_len,
                    delimiter: head.delimiter,
                    split: &file.rows.split,
                };
                let scanned = catch_unwind(AssertUnwindSafe(|| {
                    crate::fault::inject("locate", file_name(&file.display));
                    locate::scan_records(&file.source, plan, &records, &file.rows.starts)
                        // Positions in a file that changed since it was read would point
                        // at other rows.
                        .and_then(|found| file.source.check_unchanged().map(|()| found))
                }));
                match scanned {
                    Ok(Ok(found)) => Some((id, found)),
                    // Unreadable now though it was read: say why its findings lack lines and
                    // columns. (A file that failed to read has already been reported.)
                    Ok(Err(e)) => {
                        if !file.failed {
                            let finding = file.finding(
                                builtin::UNREADABLE,
                                format!(
                                    "cannot read `{}` again to locate its findings ({e}): \
                                     they are reported without line and column",
                                    file.display
                                ),
                                Anchor::File,
                            );
                            caught
                                .lock()
                                .unwrap_or_else(std::sync::PoisonError::into_inner)
                                .push(finding);
                        }
                        None
                    }
                    Err(payload) => {
                        report(file, payload.as_ref());
                        None
                    }
                }
            })
            .collect();
        findings.par_iter_mut().for_each(|finding| {
            let filled = catch_unwind(AssertUnwindSafe(|| {
                let related = finding.related.iter_mut().map(|r| &mut r.location);
                for location in std::iter::once(&mut finding.location).chain(related) {
                    self.fill(location, &scanned, with_excerpt);
                }
            }));
            if let (Err(payload), Some(file)) = (filled, self.files.get(finding.location.file_id)) {
                finding.location.span = None;
                finding.location.excerpt = None;
                report(file, payload.as_ref());
            }
        });
        caught
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn fill(
        &self,
        location: &mut Location,
        scanned: &BTreeMap<FileId, BTreeMap<u64, locate::RecordText>>,
        with_excerpt: bool,
    ) {
        if let Anchor::Position { line, column } = location.anchor {
            location.span = Some(crate::finding::Span {
                line,
                column,
                end_line: line,
                end_column: column,
            });
            return;
        }
        let Some(file) = self.files.get(location.file_id) else {
            return;
        };
        if let Anchor::Cell { field, .. } = location.anchor {
            if location.field.is_none() {
                location.field = file.header().get(field).map(|h| Arc::from(h.as_str()));
            }
        }
        let Some(record) = location.anchor.record() else {
            return;
        };
        let Some(text) = scanned.get(&location.file_id).and_then(|m| m.get(&record)) else {
            return;
        };
        if let Some((span, excerpt)) = locate::resolve(text, location.anchor, with_excerpt) {
            location.span = Some(span);
            location.excerpt = excerpt;
        }
    }

    /// A CSV008 for each file that changed since its head was read, among those not yet
    /// reported unreadable (`reported`: file ids). Asked once the run is over: a file emptied
    /// and rewritten around the moment it was read gives a consistent but wrong picture
    /// ("0 rows"), never to be reported as a clean result.
    pub fn changed_files(&self, reported: &BTreeSet<FileId>) -> Vec<Finding> {
        self.files
            .iter()
            .filter(|f| !f.failed && !reported.contains(&f.id))
            .filter_map(|f| {
                let e = f.source.check_unchanged().err()?;
                Some(f.finding(
                    builtin::UNREADABLE,
                    format!(
                        "`{}` changed while this run read it ({e}): its findings cannot be \
                         trusted",
                        f.display
                    ),
                    Anchor::File,
                ))
            })
            .collect()
    }

    /// The files of a kind, in discovery order.
    pub fn files_of<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a TableFile> + 'a {
        self.files
            .iter()
            .filter(move |f| f.kind.as_deref() == Some(kind) && !f.failed)
    }

    /// Bytes of the files whose rows are to be read (those with a head).
    pub fn bytes_to_read(&self) -> u64 {
        self.files
            .iter()
            .filter(|f| f.head.is_some())
            .map(|f| f.source.len())
            .sum()
    }

    pub fn total_rows(&self) -> usize {
        self.files.iter().map(|f| f.rows.count).sum()
    }
}

fn open_file(
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
    let header_anchor = Anchor::Record { record: 0 };
    // Duplicate header names (case-insensitive: PowerShell property names are).
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for (i, name) in head.header.iter().enumerate() {
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
    findings.extend(artefact::head_findings(&file, &head.header));
    match recognised {
        Some((index, by)) => {
            let decl = &decls[index];
            file.decl = Some(index);
            file.kind = Some(Arc::from(decl.kind.as_str()));
            file.recognised_by = Some(by);
            let missing: Vec<&str> = decl
                .required
                .iter()
                .filter(|c| decl.find_column(&head.header, c).is_none())
                .map(String::as_str)
                .collect();
            if !missing.is_empty() {
                findings.push(file.finding(
                    builtin::MISSING_COLUMN,
                    format!(
                        "recognised as `{}` but the header lacks {}: add {} to the \
                         Select-Object of the export",
                        decl.kind,
                        list(&missing),
                        if missing.len() == 1 { "it" } else { "them" }
                    ),
                    header_anchor,
                ));
            }
        }
        None => {
            let what = head
                .type_name
                .as_deref()
                .map_or_else(String::new, |t| format!(" (#TYPE {t})"));
            findings.push(file.finding(
                builtin::UNRECOGNISED,
                format!(
                    "not recognised as any declared table{what}; its {} columns start with {}",
                    head.header.len(),
                    list(&head.header.iter().take(4).map(String::as_str).collect::<Vec<_>>())
                ),
                header_anchor,
            ));
        }
    }
    if head.header_only {
        findings.push(file.finding(
            builtin::EMPTY,
            "header only: the export has no rows".into(),
            header_anchor,
        ));
    }
    file.head = Some(head);
    (file, findings)
}

/// `CSV003` for a file read as Windows-1252 from its first byte that is not UTF-8.
fn fallback_finding(file: &TableFile, bad: decode::NotUtf8) -> Finding {
    file.finding(
        builtin::ENCODING,
        format!(
            "not UTF-8 ({bad}); read as Windows-1252. Re-export with \
             `Export-Csv -Encoding UTF8` so names with accents survive"
        ),
        Anchor::Position {
            line: bad.line,
            column: 1,
        },
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

/// Findings per batch of the reading pass.
pub const BATCH: usize = 16 * 1024;

/// Findings of the reading pass, batch `batch`: the issues `batch * BATCH..` (at most
/// [`BATCH`]), and with batch 0 those about the whole file.
fn read_findings(file: &TableFile, batch: usize) -> Vec<Finding> {
    let first = batch == 0;
    let mut findings = Vec::new();
    let header = file.header();
    let name = |field: usize| header.get(field).map_or("?", String::as_str);
    let more = |count: u64, what: &str| {
        if count > 1 {
            format!(" ({count} {what} in all)")
        } else {
            String::new()
        }
    };
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
        let finding = match issue {
            ReadIssue::Ragged { record, found, expected } => file.finding(
                builtin::RAGGED_ROW,
                format!(
                    "row {record} has {found} field{} but the header has {expected}; a value \
                     probably holds an unquoted delimiter, or the export was appended to with \
                     other columns",
                    if *found == 1 { "" } else { "s" }
                ),
                Anchor::Record { record: *record },
            ),
            ReadIssue::TypeNameCells { record, field, value, count } => {
                let mut f = file.finding(
                    builtin::TYPE_NAME_CELL,
                    format!(
                        "`{}` holds the .NET type name `{}` instead of values{}: the \
                         property is a collection that Export-Csv cannot write",
                        name(*field),
                        crate::finding::quoted(value),
                        more(*count, "such cells in this column")
                    ),
                    Anchor::Cell { record: *record, field: *field },
                )
                .with_help(format!(
                    "join it before exporting: `Select-Object …, @{{n='{0}';e={{$_.{0} -join '; '}}}}`",
                    name(*field)
                ));
                f.location.value = Some(value.clone());
                f
            }
            ReadIssue::QuestionMarks { record, field, value, count } => {
                let mut f = file.finding(
                    builtin::ENCODING,
                    format!(
                        "`{}` has `?` in place of letters{}: Windows PowerShell's Export-Csv \
                         writes ASCII by default and replaces accented characters",
                        crate::finding::quoted(value),
                        more(*count, "cells like this")
                    ),
                    Anchor::Cell { record: *record, field: *field },
                )
                .with_help("re-export with `Export-Csv -Encoding UTF8`");
                f.location.value = Some(value.clone());
                f
            }
            ReadIssue::Nul { record, field, count } => file.finding(
                builtin::ENCODING,
                format!(
                    "`{}` holds NUL characters{}: the file is damaged or mixes encodings",
                    name(*field),
                    more(*count, "cells with NULs")
                ),
                Anchor::Cell { record: *record, field: *field },
            ),
            ReadIssue::Bom { record, field, count } => file.finding(
                builtin::ENCODING,
                format!(
                    "`{}` holds a byte-order mark (U+FEFF){}: files were probably concatenated \
                     (`Get-Content a.csv, b.csv > c.csv`), so a second header is read as data",
                    name(*field),
                    more(*count, "cells with one")
                ),
                Anchor::Cell { record: *record, field: *field },
            )
            .with_help("export each table into its own file, or remove the repeated header lines"),
            ReadIssue::UnterminatedQuote { record, field } => file.finding(
                builtin::RAGGED_ROW,
                format!(
                    "the file ends inside the quoted value of `{}` opened at row {record}: the \
                     copy is probably truncated, and that value holds the rest of the file",
                    name(*field)
                ),
                Anchor::Cell { record: *record, field: *field },
            ),
            ReadIssue::TooLarge { record } => file.finding(
                builtin::UNREADABLE,
                format!("a column is larger than 4 GiB at row {record}; the rest of the file was not read"),
                Anchor::Record { record: *record },
            ),
            ReadIssue::RepeatedHeader { record, count } => {
                artefact::repeated_header(file, *record, *count)
            }
            ReadIssue::RecordTooLong { record, line } => file.finding(
                builtin::UNREADABLE,
                format!(
                    "record longer than {} MB at line {line} (row {record}): not read, nor the \
                     rest of the file; a value probably holds a whole file, or a quote is never \
                     closed",
                    limit::MAX_RECORD >> 20
                ),
                Anchor::Position {
                    line: *line,
                    column: 1,
                },
            ),
            ReadIssue::HeaderChanged => file.finding(
                builtin::UNREADABLE,
                "the file changed while it was being read; run again".into(),
                Anchor::File,
            ),
        };
        findings.push(finding);
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

fn file_name(display: &str) -> &str {
    display.rsplit('/').next().unwrap_or(display)
}

/// `a`, `a and b`, `a, b and c` with backticks.
pub fn list(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => format!("`{one}`"),
        [init @ .., last] => format!(
            "{} and `{last}`",
            init.iter()
                .map(|i| format!("`{i}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}
