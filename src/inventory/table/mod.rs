//! Reading the rows of a **table**, keeping only the columns rules use.
//!
//! A [`Column`] stores the cells of one field of every data row in one string, so memory is
//! proportional to the columns in use, never to the file. Built-in checks that need every cell
//! (ragged rows, .NET type names, `?` replacement characters, NUL bytes) run during the same
//! single pass (`pass.rs`) without keeping anything; a large file is read in parts at once
//! (`parts.rs`).
//! Rows are numbered from 0 here; the output contract's 1-based data row is `row + 1`, which is
//! also the record number (the header is record 0).

mod column;
mod parts;
mod pass;
#[cfg(test)]
mod tests;

use std::collections::BTreeSet;
use std::io::{self, Read};

use super::decode::{DecodingReader, Encoding, NotUtf8};
use super::head::Head;
use super::locate::{scan_records, ScanPlan};
use super::split::Boundary;
use super::starts::skip_bytes;
use super::Source;
use parts::{part_starts, read_in_parts, SPLIT_MIN};
use pass::{read_pass, Pass};

pub use super::starts::RecordStarts;
pub use column::Column;
pub use pass::looks_like_type_name;

/// Something the reading pass noticed about the file's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadIssue {
    /// Record `record` has `found` fields where the header has `expected`.
    Ragged {
        record: u64,
        found: usize,
        expected: usize,
    },
    /// The first cell of field `field` holding a bare .NET type name, and how many do.
    TypeNameCells {
        record: u64,
        field: usize,
        value: String,
        count: u64,
    },
    /// Cells where `?` stands between letters (Windows PowerShell's ASCII encoding).
    QuestionMarks {
        record: u64,
        field: usize,
        value: String,
        count: u64,
    },
    /// Cells holding NUL characters.
    Nul {
        record: u64,
        field: usize,
        count: u64,
    },
    /// Cells holding a byte-order mark: files were concatenated.
    Bom {
        record: u64,
        field: usize,
        count: u64,
    },
    /// The file ends inside the quoted value of field `field` of record `record`, which
    /// swallowed the rest of the file.
    UnterminatedQuote { record: u64, field: usize },
    /// A column grew past 4 GiB; reading stopped.
    TooLarge { record: u64 },
    /// The first record equal to the header (case-insensitive), and how many are: exports
    /// appended to one file. They are kept as blank rows, so that rows stay numbered as records.
    RepeatedHeader { record: u64, count: u64 },
    /// Record `record`, starting at line `line` of the file, is longer than
    /// [`super::limit::MAX_RECORD`]; reading stopped before it.
    RecordTooLong { record: u64, line: u64 },
    /// The header differs from the one read at discovery: the file changed meanwhile.
    HeaderChanged,
}

impl ReadIssue {
    /// For the issues that summarise many cells (one per kind, per field for type names):
    /// their order at the end of a pass. `None` for issues about one record.
    fn summary_rank(&self) -> Option<(u8, usize)> {
        match self {
            ReadIssue::TypeNameCells { field, .. } => Some((0, *field)),
            ReadIssue::QuestionMarks { .. } => Some((1, 0)),
            ReadIssue::Nul { .. } => Some((2, 0)),
            ReadIssue::Bom { .. } => Some((3, 0)),
            ReadIssue::RepeatedHeader { .. } => Some((4, 0)),
            ReadIssue::Ragged { .. }
            | ReadIssue::UnterminatedQuote { .. }
            | ReadIssue::TooLarge { .. }
            | ReadIssue::RecordTooLong { .. }
            | ReadIssue::HeaderChanged => None,
        }
    }

    /// Move the issue `shift` records on (it was found in a later part of the file).
    fn shift_records(&mut self, shift: u64) {
        match self {
            ReadIssue::Ragged { record, .. }
            | ReadIssue::TypeNameCells { record, .. }
            | ReadIssue::QuestionMarks { record, .. }
            | ReadIssue::Nul { record, .. }
            | ReadIssue::Bom { record, .. }
            | ReadIssue::UnterminatedQuote { record, .. }
            | ReadIssue::RepeatedHeader { record, .. }
            | ReadIssue::TooLarge { record }
            | ReadIssue::RecordTooLong { record, .. } => *record += shift,
            ReadIssue::HeaderChanged => {}
        }
    }

    /// How many cells a summary counts (`None` for issues about one record).
    fn count_mut(&mut self) -> Option<&mut u64> {
        match self {
            ReadIssue::TypeNameCells { count, .. }
            | ReadIssue::QuestionMarks { count, .. }
            | ReadIssue::Nul { count, .. }
            | ReadIssue::Bom { count, .. }
            | ReadIssue::RepeatedHeader { count, .. } => Some(count),
            _ => None,
        }
    }
}

/// The rows of a table: the kept columns and what the pass noticed.
#[derive(Debug, Default)]
pub struct Rows {
    pub count: usize,
    /// Indexed by field index; `Some` for the fields that were asked for.
    pub columns: Vec<Option<Column>>,
    pub issues: Vec<ReadIssue>,
    /// Final encoding (Windows-1252 when invalid UTF-8 was found past the head).
    pub encoding: Option<Encoding>,
    pub fallback_from: Option<NotUtf8>,
    /// Malformed UTF-16 was replaced by U+FFFD.
    pub replaced: bool,
    /// Byte count of a UTF-16 file, when odd.
    pub odd_utf16_len: Option<u64>,
    /// Where each data row's record starts, so that locating findings parses only the records
    /// it needs.
    pub starts: RecordStarts,
    /// The text holds an odd number of `"` (checked further by [`read_rows`]).
    pub odd_quotes: bool,
    /// Where each part after the first started, when the file was read in parts at once,
    /// with the number of data rows before it (empty: read in one part).
    pub split: Vec<(Boundary, usize)>,
    /// Data rows (0-based) whose every field is empty or blank: trailing `,,,,` lines and
    /// the like, which no rule judges and no count includes.
    pub blank: Vec<u32>,
}

impl Rows {
    pub fn cell(&self, row: usize, field: usize) -> Option<&str> {
        self.columns.get(field)?.as_ref().map(|c| c.get(row))
    }

    pub fn heap_bytes(&self) -> usize {
        self.columns
            .iter()
            .flatten()
            .map(Column::heap_bytes)
            .sum::<usize>()
            + self.starts.heap_bytes()
    }
}

/// Read every data row of the file at `path`, whose head is `head`, keeping the fields whose
/// `keep` flag is set.
pub fn read_rows(source: &Source, head: &Head, keep: &[bool]) -> io::Result<Rows> {
    read_rows_counted(source, head, keep, None)
}

/// [`read_rows`], calling `progress` with the bytes of the file read, in steps of about
/// 1 MiB; the steps add up to the file's size once, even when it is read again.
pub fn read_rows_counted(
    source: &Source,
    head: &Head,
    keep: &[bool],
    progress: Option<&(dyn Fn(u64) + Sync)>,
) -> io::Result<Rows> {
    let mut encoding = head.encoding;
    let mut fallback_from = head.fallback_from;
    let mut reported = 0;
    let size = source.len();
    if size >= SPLIT_MIN && rayon::current_num_threads() >= 2 {
        let froms = part_starts(size, rayon::current_num_threads());
        if let Some(mut rows) = read_in_parts(source, &froms, head, keep, progress, &mut reported) {
            rows.encoding = Some(encoding);
            rows.fallback_from = fallback_from;
            return Ok(rows);
        }
    }
    loop {
        let mut counting = Counting {
            inner: source.open()?,
            read: 0,
            reported,
            cap: u64::MAX,
            progress,
        };
        let result = read_rows_as(&mut counting, head, keep, encoding);
        reported = counting.reported;
        if result.is_ok() {
            counting.flush();
        }
        match result {
            Err(err) => match NotUtf8::from_io(&err) {
                Some(bad) if encoding != Encoding::Windows1252 && !head.encoding_forced => {
                    fallback_from = Some(bad);
                    encoding = Encoding::Windows1252;
                }
                _ => return Err(err),
            },
            Ok(mut rows) => {
                rows.encoding = Some(encoding);
                rows.fallback_from = fallback_from;
                if rows.odd_quotes {
                    rows.issues
                        .extend(unterminated_quote(source, head, encoding, &rows));
                }
                return Ok(rows);
            }
        }
    }
}

/// Counts the bytes read through it and reports those past `reported`, up to `cap`.
struct Counting<'p, R> {
    inner: R,
    read: u64,
    reported: u64,
    cap: u64,
    progress: Option<&'p (dyn Fn(u64) + Sync)>,
}

impl<R> Counting<'_, R> {
    fn flush(&mut self) {
        let read = self.read.min(self.cap);
        if let Some(progress) = self.progress {
            if read > self.reported {
                progress(read - self.reported);
                self.reported = read;
            }
        }
    }
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        if self.read >= self.reported + (1 << 20) {
            self.flush();
        }
        Ok(n)
    }
}

fn read_rows_as<R: Read>(
    source: R,
    head: &Head,
    keep: &[bool],
    encoding: Encoding,
) -> io::Result<Rows> {
    let mut decoded = DecodingReader::new(source, encoding);
    skip_bytes(&mut decoded, head.type_line_len)?;
    let pass = Pass {
        header: true,
        until: None,
    };
    let (mut rows, _) = read_pass(decoded, head, keep, encoding, pass)?;
    for column in rows.columns.iter_mut().flatten() {
        column.finish();
    }
    Ok(rows)
}

/// Whether the last record ends inside a quoted value: its last field opens a quote and
/// holds an odd number of them. Re-reads the file, so it is asked only when the whole text
/// holds an odd number of quotes (a stray `"` inside an unquoted value also makes it odd).
fn unterminated_quote(
    source: &Source,
    head: &Head,
    encoding: Encoding,
    rows: &Rows,
) -> Option<ReadIssue> {
    let last = rows.count as u64;
    let plan = ScanPlan {
        encoding,
        type_line_len: head.type_line_len,
        delimiter: head.delimiter,
        split: &rows.split,
    };
    let scanned = scan_records(source, plan, &BTreeSet::from([last]), &rows.starts).ok()?;
    let text = scanned.get(&last)?;
    let (field, range) = text.fields.iter().enumerate().next_back()?;
    let raw = text.text.get(range.clone())?;
    let open = raw.starts_with('"') && raw.bytes().filter(|&b| b == b'"').count() % 2 == 1;
    open.then_some(ReadIssue::UnterminatedQuote {
        record: last,
        field,
    })
}
