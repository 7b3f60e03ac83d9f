//! Reading the rows of a **table**, keeping only the columns rules use.
//!
//! A [`Column`] stores the cells of one field of every data row in one string, so memory is
//! proportional to the columns in use, never to the file. Built-in checks that need every cell
//! (ragged rows, .NET type names, `?` replacement characters, NUL bytes) run during the same
//! single pass without keeping anything. Rows are numbered from 0 here; the output contract's
//! 1-based data row is `row + 1`, which is also the record number (the header is record 0).

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Read};

use super::decode::{DecodingReader, Encoding, NotUtf8};
use super::head::Head;
use super::locate::{scan_records, ScanPlan};
use rayon::prelude::*;

use super::limit::{RecordLimit, MAX_RECORD};
use super::split::{find_boundaries, Boundary};
use super::Source;
use crate::keymap::KeyMap;

/// Up to this many distinct values, a column is stored as a dictionary.
const DICTIONARY_MAX: usize = 4096;

/// U+FEFF in UTF-8: a byte-order mark, legitimate only at the start of a file.
const BOM: &[u8] = "\u{FEFF}".as_bytes();

/// The cells of one field, for every data row.
///
/// Columns with few distinct values (flags, pools, policies, user agents) are stored as a
/// **dictionary**: each distinct value once, and a 2-byte code per row. Others store every
/// cell's text in one string with the end offset of each cell. A column starts as a dictionary
/// and turns plain when it passes 4,096 distinct values.
#[derive(Debug, Clone)]
pub struct Column {
    /// Plain: every cell. Dictionary: the distinct values.
    text: String,
    ends: Vec<u32>,
    /// Dictionary: the value number of each row.
    codes: Option<Vec<u16>>,
    /// Dictionary, while reading: value → number.
    values: Option<KeyMap<u16>>,
    /// Bytes of text of all the cells (what the plain form takes).
    cell_bytes: u64,
}

impl Default for Column {
    fn default() -> Self {
        Column {
            text: String::new(),
            ends: Vec::new(),
            codes: Some(Vec::new()),
            values: Some(KeyMap::default()),
            cell_bytes: 0,
        }
    }
}

impl Column {
    /// The `i`th string of `text`/`ends`.
    #[inline]
    fn piece(&self, i: usize) -> &str {
        let Some(&end) = self.ends.get(i) else {
            return "";
        };
        let start = match i.checked_sub(1) {
            Some(before) => self.ends.get(before).copied().unwrap_or(end),
            None => 0,
        };
        self.text.get(start as usize..end as usize).unwrap_or("")
    }

    #[inline]
    pub fn get(&self, row: usize) -> &str {
        match &self.codes {
            Some(codes) => codes.get(row).map_or("", |&c| self.piece(c as usize)),
            None => self.piece(row),
        }
    }

    pub fn len(&self) -> usize {
        self.codes.as_ref().map_or(self.ends.len(), Vec::len)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// For a dictionary column: the value number of each row, and the values.
    pub fn dictionary(&self) -> Option<(&[u16], impl Iterator<Item = &str>)> {
        let codes = self.codes.as_deref()?;
        Some((codes, (0..self.ends.len()).map(|i| self.piece(i))))
    }

    /// Bytes of the cells' text.
    pub fn text_bytes(&self) -> usize {
        self.cell_bytes as usize
    }

    /// Bytes held (text, offsets, codes).
    pub fn heap_bytes(&self) -> usize {
        self.text.capacity()
            + self.ends.capacity() * 4
            + self.codes.as_ref().map_or(0, |c| c.capacity() * 2)
            + self.values.as_ref().map_or(0, KeyMap::heap_bytes)
    }

    fn push_text(&mut self, cell: &str) -> bool {
        self.text.push_str(cell);
        match u32::try_from(self.text.len()) {
            Ok(end) => {
                self.ends.push(end);
                true
            }
            Err(_) => false,
        }
    }

    fn push(&mut self, cell: &str) -> bool {
        self.cell_bytes += cell.len() as u64;
        if self.codes.is_some() {
            match self.dictionary_code(cell) {
                Some(code) => {
                    if let Some(codes) = &mut self.codes {
                        codes.push(code);
                    }
                    return true;
                }
                None => self.make_plain(),
            }
        }
        self.push_text(cell)
    }

    /// The dictionary number of `value`, added when new and there is room; `None` when the
    /// dictionary is full (or the column is plain).
    fn dictionary_code(&mut self, value: &str) -> Option<u16> {
        let values = self.values.as_mut()?;
        let next = values.len();
        if next >= DICTIONARY_MAX && values.get(value).is_none() {
            return None;
        }
        let (&mut code, new) = values.get_or_insert_with(value, || next as u16);
        if new && !self.push_text(value) {
            return None;
        }
        Some(code)
    }

    /// Add the rows of `other` (the next part of the same column) after these.
    fn append(&mut self, other: Column) -> bool {
        let Column {
            text,
            ends,
            codes,
            cell_bytes,
            ..
        } = other;
        let piece = |i: usize| {
            let end = ends.get(i).copied().unwrap_or(0) as usize;
            let start = i
                .checked_sub(1)
                .and_then(|b| ends.get(b))
                .map_or(0, |&e| e as usize);
            text.get(start..end).unwrap_or("")
        };
        self.cell_bytes += cell_bytes;
        match codes {
            // Dictionary into dictionary: number the other's values in this dictionary.
            Some(codes) if self.codes.is_some() => {
                let mut renumbered = Vec::with_capacity(ends.len());
                for i in 0..ends.len() {
                    match self.dictionary_code(piece(i)) {
                        Some(code) => renumbered.push(code),
                        None => {
                            self.make_plain();
                            return codes.iter().all(|&c| self.push_text(piece(c as usize)));
                        }
                    }
                }
                if let Some(mine) = &mut self.codes {
                    mine.extend(codes.iter().map(|&c| renumbered[c as usize]));
                }
                true
            }
            Some(codes) => codes.iter().all(|&c| self.push_text(piece(c as usize))),
            None => {
                self.make_plain();
                let base = self.text.len();
                self.text.push_str(&text);
                self.ends.reserve(ends.len());
                ends.iter()
                    .all(|&e| match u32::try_from(base + e as usize) {
                        Ok(end) => {
                            self.ends.push(end);
                            true
                        }
                        Err(_) => false,
                    })
            }
        }
    }

    /// Leave the dictionary form: write every row's text.
    fn make_plain(&mut self) {
        let Some(codes) = self.codes.take() else {
            return;
        };
        self.values = None;
        let values = std::mem::take(&mut self.text);
        let value_ends = std::mem::take(&mut self.ends);
        self.ends.reserve(codes.len());
        let value = |i: usize| {
            let end = value_ends.get(i).copied().unwrap_or(0) as usize;
            let start = i
                .checked_sub(1)
                .and_then(|b| value_ends.get(b))
                .map_or(0, |&e| e as usize);
            values.get(start..end).unwrap_or("")
        };
        for code in codes {
            self.push_text(value(code as usize));
        }
    }

    /// Reading is over: drop what only reading needed.
    fn finish(&mut self) {
        self.values = None;
        self.text.shrink_to_fit();
        self.ends.shrink_to_fit();
        if let Some(codes) = &mut self.codes {
            codes.shrink_to_fit();
        }
    }
}

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

/// Where each data record starts in the decoded text after the `#TYPE` line (the csv crate's
/// record position: it may point at the line end before the record), kept as 4-byte distances
/// from the previous record.
#[derive(Debug, Default, Clone)]
pub struct RecordStarts {
    steps: Vec<u32>,
    last: u64,
    /// A record longer than 4 GiB: positions unknown, locate by scanning.
    overflow: bool,
}

impl RecordStarts {
    /// Add the starts of the next part of the file, whose positions count from `offset`;
    /// its first record is at `first` (where one pass puts it: the line feed of a CR LF).
    fn append(&mut self, other: RecordStarts, offset: u64, first: u64) {
        let mut steps = other.steps.into_iter();
        let Some(own_first) = steps.next() else {
            return;
        };
        self.push(first);
        // The next record is where it was, counted from `first` now. (With no next record
        // the last position is `first`: a part of one record, between two others.)
        if let Some(second) = steps.next() {
            self.push(offset + u64::from(own_first) + u64::from(second));
            self.steps.extend(steps);
            self.last = offset + other.last;
        }
        self.overflow |= other.overflow;
    }

    fn push(&mut self, position: u64) {
        match u32::try_from(position.saturating_sub(self.last)) {
            Ok(step) if position >= self.last => self.steps.push(step),
            _ => self.overflow = true,
        }
        self.last = position;
    }

    pub fn len(&self) -> usize {
        self.steps.len()
    }

    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// The positions of the `wanted` records (0 is the header, at 0), or `None` when some are
    /// not known.
    pub fn positions(&self, wanted: &BTreeSet<u64>) -> Option<BTreeMap<u64, u64>> {
        if self.overflow
            || wanted
                .last()
                .is_some_and(|&r| r as usize > self.steps.len())
        {
            return None;
        }
        let mut out = BTreeMap::new();
        let (mut record, mut position) = (0u64, 0u64);
        let mut steps = self.steps.iter();
        for &w in wanted {
            while record < w {
                position += u64::from(*steps.next()?);
                record += 1;
            }
            out.insert(w, position);
        }
        Some(out)
    }

    fn heap_bytes(&self) -> usize {
        self.steps.capacity() * 4
    }
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

/// Skip `n` decoded bytes (the `#TYPE` line).
pub(crate) fn skip_bytes<R: Read>(reader: &mut R, n: usize) -> io::Result<()> {
    let copied = io::copy(&mut reader.take(n as u64), &mut io::sink())?;
    if copied < n as u64 {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "the file became shorter while being read",
        ));
    }
    Ok(())
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

/// Files of at least this size are read in parts at once, when there are threads.
const SPLIT_MIN: u64 = 32 << 20;
/// About the smallest size of a part. Parts this small let the parts of all the large files
/// of an inventory share the threads evenly (two halves each left one thread reading alone for
/// a tenth of the run at the end of reading).
const PART_SIZE: u64 = 32 << 20;
/// At most this many parts per thread and file: enough to balance, and each part costs some
/// memory (its own growing buffers), so their number must not grow with the file.
const PARTS_PER_THREAD: u64 = 4;

/// What reading one part gives: its rows, the position of the record it stopped before (see
/// [`read_pass`]), and the bytes it reported as read.
type PartRead = io::Result<((Rows, Option<u64>), u64)>;

/// Where to look for the boundaries of a file of `size` bytes read in parts by `threads`.
fn part_starts(size: u64, threads: usize) -> Vec<u64> {
    let most = (threads as u64 * PARTS_PER_THREAD).max(2);
    let parts = (size / PART_SIZE).clamp(2, most);
    (1..parts).map(|k| size / parts * k).collect()
}

/// Read a file in parts at once: part 0 up to the first [`Boundary`] at or after raw offset
/// `froms[0]`, part 1 from there to the next boundary at or after `froms[1]`, and so on, then
/// join them. `None` when the file cannot be split or a part finds no record starting at the
/// boundary where it stops (text that is not RFC 4180 fooled the quote count): it is then
/// read in one part.
fn read_in_parts(
    source: &Source,
    froms: &[u64],
    head: &Head,
    keep: &[bool],
    progress: Option<&(dyn Fn(u64) + Sync)>,
    reported: &mut u64,
) -> Option<Rows> {
    let boundaries = find_boundaries(source, head.encoding, head.type_line_len, froms).ok()?;
    if boundaries.is_empty() {
        return None;
    }
    let encoding = head.encoding;
    let read_part = |k: usize| -> PartRead {
        let start = k.checked_sub(1).map(|i| boundaries[i]);
        let end = boundaries.get(k).copied();
        let (raw_start, text_start) = start.map_or((0, 0), |b| (b.raw, b.text));
        let mut counting = Counting {
            // Not limited: a part stops at the record at its end boundary, reading a buffer
            // past it at most (a limit could cut a character in two).
            inner: source.open_at(raw_start)?,
            read: 0,
            reported: 0,
            cap: end.map_or(u64::MAX, |e| e.raw - raw_start),
            progress,
        };
        // The first part has the BOM, the `#TYPE` line and the header; a later one starts at
        // a data record.
        let first = start.is_none();
        let mut decoded = DecodingReader::new(
            &mut counting,
            if first {
                encoding
            } else {
                encoding.without_bom()
            },
        );
        if first {
            skip_bytes(&mut decoded, head.type_line_len)?;
        }
        let pass = Pass {
            header: first,
            until: end.map(|e| e.text - text_start),
        };
        let read = read_pass(decoded, head, keep, encoding, pass)?;
        counting.flush();
        Ok((read, counting.reported))
    };
    let parts: Vec<PartRead> = (0..=boundaries.len())
        .into_par_iter()
        .map(read_part)
        .collect();
    *reported = parts.iter().map(|p| p.as_ref().map_or(0, |r| r.1)).sum();
    let mut parts = parts.into_iter();
    let ((mut rows, mut stopped), _) = parts.next()?.ok()?;
    if rows.issues.iter().any(|i| {
        matches!(
            i,
            ReadIssue::HeaderChanged | ReadIssue::TooLarge { .. } | ReadIssue::RecordTooLong { .. }
        )
    }) {
        return None;
    }
    let mut splits = Vec::with_capacity(boundaries.len());
    for (k, part) in parts.enumerate() {
        let boundary = boundaries[k];
        let text_start = k.checked_sub(1).map_or(0, |i| boundaries[i].text);
        // A record must start at the boundary (at its line feed when lines end with CR LF).
        let at = text_start + stopped?;
        if !(at == boundary.text || at + 1 == boundary.text) {
            return None;
        }
        let ((rest, rest_stopped), _) = part.ok()?;
        // Its line is known only counting from the start: read in one part.
        if rest
            .issues
            .iter()
            .any(|i| matches!(i, ReadIssue::RecordTooLong { .. }))
        {
            return None;
        }
        splits.push((boundary, rows.count));
        if !join_parts(&mut rows, rest, boundary.text, at) {
            return None;
        }
        stopped = rest_stopped;
    }
    for column in rows.columns.iter_mut().flatten() {
        column.finish();
    }
    rows.split = splits;
    let size = source.len();
    if encoding.is_utf16() && size % 2 == 1 {
        rows.odd_utf16_len = Some(size);
    }
    Some(rows)
}

/// Join the rows of the next part (text positions from `offset`, its first record at
/// `first`) to the first's, as if the file had been read in one part.
fn join_parts(rows: &mut Rows, rest: Rows, offset: u64, first: u64) -> bool {
    let shift = rows.count as u64;
    for (mine, theirs) in rows.columns.iter_mut().zip(rest.columns) {
        if let (Some(mine), Some(theirs)) = (mine, theirs) {
            if !mine.append(theirs) {
                return false;
            }
        }
    }
    rows.starts.append(rest.starts, offset, first);
    rows.blank.extend(
        rest.blank
            .iter()
            .map(|&row| row.saturating_add(shift as u32)),
    );
    rows.count += rest.count;
    rows.replaced |= rest.replaced;
    rows.odd_quotes ^= rest.odd_quotes;
    // Issues in the order one pass gives: those found on the way, then the summaries (one
    // per kind, or per field for type names, counting the cells of every part).
    let (mut summaries, mut issues): (Vec<ReadIssue>, Vec<ReadIssue>) =
        std::mem::take(&mut rows.issues)
            .into_iter()
            .partition(|i| i.summary_rank().is_some());
    for mut issue in rest.issues {
        issue.shift_records(shift);
        let Some(rank) = issue.summary_rank() else {
            issues.push(issue);
            continue;
        };
        match summaries
            .iter_mut()
            .find(|s| s.summary_rank() == Some(rank))
        {
            Some(summary) => {
                if let (Some(total), Some(more)) = (summary.count_mut(), issue.count_mut()) {
                    *total += *more;
                }
            }
            None => summaries.push(issue),
        }
    }
    summaries.sort_by_key(ReadIssue::summary_rank);
    issues.extend(summaries);
    rows.issues = issues;
    true
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

/// What one pass over a file (or a part of it) reads.
#[derive(Debug, Clone, Copy)]
struct Pass {
    /// It starts with the header record (the whole file, or its first part).
    header: bool,
    /// It stops before the first data record positioned at or past this text offset, less
    /// one (the next part's start; see [`read_in_parts`]).
    until: Option<u64>,
}

/// One pass of the csv parser over `decoded` (positioned after the `#TYPE` line, or at a
/// boundary). Returns the rows (columns not finished) and the position of the record it
/// stopped before, when `pass.until` made it stop.
fn read_pass<R: Read>(
    decoded: DecodingReader<R>,
    head: &Head,
    keep: &[bool],
    encoding: Encoding,
    pass: Pass,
) -> io::Result<(Rows, Option<u64>)> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(head.delimiter)
        .has_headers(false)
        .flexible(true)
        .buffer_capacity(256 * 1024)
        .from_reader(RecordLimit::new(decoded, MAX_RECORD));
    let width = head.header.len();
    let mut rows = Rows {
        columns: (0..width)
            .map(|i| keep.get(i).copied().unwrap_or(false).then(Column::default))
            .collect(),
        ..Rows::default()
    };
    let mut type_names: Vec<Option<(u64, String, u64)>> = vec![None; width];
    let mut question: Option<(u64, usize, String, u64)> = None;
    let mut nul: Option<(u64, usize, u64)> = None;
    let mut bom: Option<(u64, usize, u64)> = None;
    let mut repeated: Option<(u64, u64)> = None;
    // A header of blank names would take every blank row for a repeat.
    let header_can_repeat = head.header.iter().any(|h| !h.trim().is_empty());
    let mut record = csv::ByteRecord::new();
    // Built once: `memmem::find` builds a searcher on every call, i.e. for every record.
    let bom_finder = memchr::memmem::Finder::new(BOM);
    let mut record_no: u64 = if pass.header { 0 } else { 1 };
    let mut stopped = None;
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let e = csv_to_io(e);
                if !super::limit::too_long(&e) {
                    return Err(e);
                }
                // The parser set the record's position when it started it; with CR LF line
                // ends that is the LF before it, on the line before.
                let (byte, line) = record.position().map_or((0, 0), |p| (p.byte(), p.line()));
                let line = line + u64::from(byte + 1 == reader.get_ref().record_start());
                // The rows before it are kept, the rest is not read.
                let type_line = u64::from(head.type_line_len > 0);
                rows.issues.push(ReadIssue::RecordTooLong {
                    record: record_no,
                    line: line + type_line,
                });
                rows.count = record_no.saturating_sub(1) as usize;
                return Ok((rows, None));
            }
        }
        let position = record.position().map_or(0, |p| p.byte());
        if pass
            .until
            .is_some_and(|until| record_no > 0 && position + 1 >= until)
        {
            stopped = Some(position);
            break;
        }
        if record_no == 0 {
            let same = record.len() == width
                && record
                    .iter()
                    .zip(&head.header)
                    .all(|(a, b)| a == b.as_bytes());
            if !same {
                rows.issues.push(ReadIssue::HeaderChanged);
                return Ok((rows, None));
            }
            record_no = 1;
            continue;
        }
        // The header again (appended exports): counted, and kept as a blank row (no kind's
        // member: no rule judges it, no count includes it).
        if header_can_repeat && is_header(&record, &head.header) {
            rows.starts.push(position);
            rows.blank
                .push(u32::try_from(record_no - 1).unwrap_or(u32::MAX));
            match &mut repeated {
                Some((_, count)) => *count += 1,
                None => repeated = Some((record_no, 1)),
            }
            for column in rows.columns.iter_mut().flatten() {
                column.push("");
            }
            record_no += 1;
            continue;
        }
        if record.len() != width {
            rows.issues.push(ReadIssue::Ragged {
                record: record_no,
                found: record.len(),
                expected: width,
            });
        }
        rows.starts.push(position);
        // Checked once per record, not per cell: most records have neither.
        let all = record.as_slice();
        // `as_slice` is the fields' unescaped bytes, without delimiters or quotes.
        if all.iter().all(u8::is_ascii_whitespace) {
            rows.blank
                .push(u32::try_from(record_no - 1).unwrap_or(u32::MAX));
        }
        let has_nul = memchr::memchr(0, all).is_some();
        let has_question = memchr::memchr(b'?', all).is_some();
        let has_bom = bom_finder.find(all).is_some();
        // The decoded text is UTF-8 and fields end at ASCII bytes, so one validation of the
        // record covers every cell. (Failing it would be a bug in decoding: say so rather than
        // read the record as empty cells.)
        let Ok(text) = simdutf8::basic::from_utf8(all) else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("record {record_no} is not UTF-8 after decoding"),
            ));
        };
        let cell_of = |field: usize| cell_text(&record, text, field);
        for (field, bytes) in record.iter().enumerate() {
            if looks_like_type_name(bytes) {
                if let Some(slot) = type_names.get_mut(field) {
                    match slot {
                        Some((_, _, count)) => *count += 1,
                        None => *slot = Some((record_no, cell_of(field).to_string(), 1)),
                    }
                }
            }
            if has_question
                && memchr::memchr(b'?', bytes).is_some()
                && has_replaced_letter(cell_of(field))
            {
                match &mut question {
                    Some((_, _, _, count)) => *count += 1,
                    None => question = Some((record_no, field, cell_of(field).to_string(), 1)),
                }
            }
            if has_nul && bytes.contains(&0) {
                match &mut nul {
                    Some((_, _, count)) => *count += 1,
                    None => nul = Some((record_no, field, 1)),
                }
            }
            if has_bom && bom_finder.find(bytes).is_some() {
                match &mut bom {
                    Some((_, _, count)) => *count += 1,
                    None => bom = Some((record_no, field, 1)),
                }
            }
            if let Some(Some(column)) = rows.columns.get_mut(field) {
                if !column.push(cell_of(field)) {
                    rows.issues.push(ReadIssue::TooLarge { record: record_no });
                    return Ok((rows, None));
                }
            }
        }
        // Short rows still get a cell in every kept column, so row numbers stay aligned.
        for column in rows.columns.iter_mut().skip(record.len()).flatten() {
            column.push("");
        }
        record_no += 1;
    }
    rows.count = record_no.saturating_sub(1) as usize;
    for (field, slot) in type_names.into_iter().enumerate() {
        if let Some((record, value, count)) = slot {
            rows.issues.push(ReadIssue::TypeNameCells {
                record,
                field,
                value,
                count,
            });
        }
    }
    if let Some((record, field, value, count)) = question {
        rows.issues.push(ReadIssue::QuestionMarks {
            record,
            field,
            value,
            count,
        });
    }
    if let Some((record, field, count)) = nul {
        rows.issues.push(ReadIssue::Nul {
            record,
            field,
            count,
        });
    }
    if let Some((record, field, count)) = bom {
        rows.issues.push(ReadIssue::Bom {
            record,
            field,
            count,
        });
    }
    if let Some((record, count)) = repeated {
        rows.issues
            .push(ReadIssue::RepeatedHeader { record, count });
    }
    let decoded = reader.into_inner().inner;
    rows.replaced = decoded.replaced;
    rows.odd_quotes = decoded.odd_quotes;
    if encoding.is_utf16() && decoded.raw_total % 2 == 1 {
        rows.odd_utf16_len = Some(decoded.raw_total);
    }
    Ok((rows, stopped))
}

/// Whether `record` repeats the header (case-insensitive; the first field decides cheaply).
fn is_header(record: &csv::ByteRecord, header: &[String]) -> bool {
    record.len() == header.len()
        && record
            .iter()
            .zip(header)
            .all(|(cell, name)| cell.eq_ignore_ascii_case(name.as_bytes()))
}

/// Field `field` of `record` as text; `text` is the whole record, validated as UTF-8.
fn cell_text<'r>(record: &'r csv::ByteRecord, text: &'r str, field: usize) -> &'r str {
    record.range(field).and_then(|r| text.get(r)).unwrap_or("")
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

fn csv_to_io(err: csv::Error) -> io::Error {
    match err.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("{other:?}")),
    }
}

/// A bare .NET type name, as `Export-Csv` writes a collection it cannot stringify:
/// `System.Object[]`, ``System.Collections.Generic.List`1[System.String]``,
/// `Microsoft.Rtc.Management.…Collection`.
pub fn looks_like_type_name(cell: &[u8]) -> bool {
    if !matches!(cell.first(), Some(b'D' | b'S' | b'M')) {
        return false;
    }
    let rest = cell.strip_prefix(b"Deserialized.").unwrap_or(cell);
    let rest = if let Some(r) = rest.strip_prefix(b"System.") {
        r
    } else if let Some(r) = rest.strip_prefix(b"Microsoft.") {
        r
    } else {
        return false;
    };
    // A dotted identifier path, optionally with generic arity and brackets; never spaces.
    let mut segments = 1;
    for &b in rest {
        match b {
            b'.' => segments += 1,
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'`' | b'[' | b']' | b',' | b'+' => {}
            _ => return false,
        }
    }
    !rest.is_empty()
        && rest[0].is_ascii_alphabetic()
        && (segments >= 2 || rest.contains(&b'[') || rest.ends_with(b"Collection"))
}

/// `H?l?ne`, `M?ller`: a `?` between two letters, in a cell that is not a URL or a query.
/// (A trailing `Dupr?` is indistinguishable from a question, so it does not count alone.)
fn has_replaced_letter(cell: &str) -> bool {
    if cell.contains(['/', '=', '&']) {
        return false;
    }
    let chars: Vec<char> = cell.chars().collect();
    chars.iter().enumerate().any(|(i, &c)| {
        c == '?'
            && i > 0
            && chars[i - 1].is_alphabetic()
            && chars.get(i + 1).is_some_and(|n| n.is_alphabetic())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names_are_recognised() {
        for yes in [
            "System.Object[]",
            "System.String[]",
            "System.Collections.Generic.List`1[System.String]",
            "Microsoft.Rtc.Management.ADConnect.Collections.SipAddressCollection",
            "Deserialized.System.Object[]",
        ] {
            assert!(looks_like_type_name(yes.as_bytes()), "{yes}");
        }
        for no in [
            "System",
            "Microsoft Lync",
            "System.",
            "sip:a@b.c",
            "Microsoft.com",
            "",
        ] {
            assert!(!looks_like_type_name(no.as_bytes()), "{no}");
        }
    }

    #[test]
    fn question_marks_between_letters() {
        assert!(has_replaced_letter("H?l?ne Dupr?"));
        assert!(has_replaced_letter("M?ller"));
        assert!(!has_replaced_letter("Why?"));
        assert!(!has_replaced_letter("Dupr?"));
        assert!(!has_replaced_letter("https://x/a.aspx?id=1"));
        assert!(!has_replaced_letter("?"));
    }

    #[test]
    fn column_stores_cells_in_order() {
        let mut c = Column::default();
        for cell in ["a", "", "ccc", "a"] {
            assert!(c.push(cell));
        }
        assert_eq!(
            (c.get(0), c.get(1), c.get(2), c.get(3), c.get(4)),
            ("a", "", "ccc", "a", "")
        );
        assert_eq!((c.len(), c.text_bytes()), (4, 5));
        let (codes, values) = c.dictionary().expect("few values: a dictionary");
        assert_eq!(codes, &[0, 1, 2, 0]);
        assert_eq!(values.collect::<Vec<_>>(), ["a", "", "ccc"]);
    }

    fn head_of(bytes: &[u8]) -> Head {
        super::super::head::read_head(bytes, Default::default()).expect("a head")
    }

    /// Everything a reading pass produces, comparable.
    fn summary(rows: &Rows) -> (usize, Vec<Vec<String>>, Vec<ReadIssue>, Vec<u64>, bool) {
        let cells = rows
            .columns
            .iter()
            .flatten()
            .map(|c| (0..c.len()).map(|r| c.get(r).to_string()).collect())
            .collect();
        let wanted: BTreeSet<u64> = (0..=rows.count as u64).collect();
        let starts = rows
            .starts
            .positions(&wanted)
            .map(|p| p.into_values().collect())
            .unwrap_or_default();
        (
            rows.count,
            cells,
            rows.issues.clone(),
            starts,
            rows.replaced,
        )
    }

    /// Read `bytes` in one part and, splitting at every possible place, in two; then in many
    /// parts, with boundaries every few bytes. Returns how many splits were read in parts.
    fn same_in_parts(bytes: &[u8]) -> usize {
        let source = Source::Memory(std::sync::Arc::from(bytes));
        let head = head_of(bytes);
        let keep = vec![true; head.header.len()];
        let whole = read_rows(&source, &head, &keep).expect("one part");
        let every: BTreeSet<u64> = (0..=whole.count as u64).collect();
        let scan = super::super::locate::scan_records;
        fn plan<'s>(head: &Head, split: &'s [(Boundary, usize)]) -> ScanPlan<'s> {
            ScanPlan {
                encoding: head.encoding,
                type_line_len: head.type_line_len,
                delimiter: head.delimiter,
                split,
            }
        }
        let one = scan(&source, plan(&head, &[]), &every, &whole.starts).expect("scan");
        assert_eq!(one.len(), every.len());
        let singles = (0..bytes.len() as u64).map(|from| vec![from]);
        let many = [3u64, 7, 16, 41].into_iter().flat_map(|step| {
            (0..step).map(move |shift| (shift..bytes.len() as u64).step_by(step as usize).collect())
        });
        let mut split = 0;
        for froms in singles.chain(many) {
            let froms: Vec<u64> = froms;
            let boundaries =
                find_boundaries(&source, head.encoding, head.type_line_len, &froms).expect("scan");
            let mut reported = 0;
            if let Some(parts) = read_in_parts(&source, &froms, &head, &keep, None, &mut reported) {
                split += 1;
                let found: Vec<Boundary> = parts.split.iter().map(|(b, _)| *b).collect();
                assert_eq!(found, boundaries, "from {froms:?}");
                assert_eq!(summary(&parts), summary(&whole), "from {froms:?}");
                // Locating in the same parts finds the same text and lines.
                let located =
                    scan(&source, plan(&head, &parts.split), &every, &parts.starts).expect("scan");
                assert_eq!(located, one, "from {froms:?}");
                // And so does locating only some records (parts without any are skipped or
                // only counted).
                let picks: &[u64] = if froms.len() > 1 { &[1, 3] } else { &[] };
                for &pick in picks {
                    let some: BTreeSet<u64> =
                        every.iter().copied().filter(|r| r % 4 == pick).collect();
                    let located = scan(&source, plan(&head, &parts.split), &some, &parts.starts)
                        .expect("scan");
                    let expected: BTreeMap<u64, _> = one
                        .iter()
                        .filter(|(r, _)| some.contains(r))
                        .map(|(r, t)| (*r, t.clone()))
                        .collect();
                    assert_eq!(located, expected, "from {froms:?}, records {some:?}");
                }
            }
        }
        split
    }

    #[test]
    fn two_parts_read_like_one() {
        let mut text = String::from("#TYPE T\r\n\"Name\",\"Note\",\"Obj\"\r\n");
        for i in 0..40 {
            let note = match i % 8 {
                0 => "multi\r\nline".to_string(),
                1 => "H?l?ne".to_string(),
                2 => "quote \"\"x\"\"".to_string(),
                3 => "NUL \u{0} here".to_string(),
                4 => "é€😀".to_string(),
                _ => format!("n{i}"),
            };
            let obj = if i % 5 == 0 { "System.Object[]" } else { "x" };
            if i % 13 == 7 {
                text.push_str(&format!("\"short{i}\"\r\n\r\n"));
            } else if i % 11 == 4 {
                // Appended exports: the header again, counted across parts.
                text.push_str("\"name\",\"NOTE\",\"Obj\"\r\n");
            } else {
                text.push_str(&format!("\"row{i}\",\"{note}\",\"{obj}\"\r\n"));
            }
        }
        let mut utf8 = "\u{FEFF}".as_bytes().to_vec();
        utf8.extend_from_slice(text.as_bytes());
        assert!(same_in_parts(&utf8) > 20);
        let lf = text.replace("\r\n", "\n");
        assert!(same_in_parts(lf.as_bytes()) > 20);
        let mut utf16 = vec![0xFF, 0xFE];
        utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        assert!(same_in_parts(&utf16) > 20);
        let mut be = vec![0xFE, 0xFF];
        be.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
        assert!(same_in_parts(&be) > 20);
    }

    #[test]
    fn a_repeated_header_is_counted_once_and_read_as_a_blank_row() {
        let bytes = b"\"A\",\"B\"\r\n\"1\",\"2\"\r\n\"a\",\"b\"\r\n\"3\",\"4\"\r\n\"A\",\"B\"\r\n";
        let source = Source::Memory(std::sync::Arc::from(&bytes[..]));
        let head = head_of(bytes);
        let rows = read_rows(&source, &head, &[true, true]).expect("rows");
        assert_eq!(rows.count, 4);
        assert_eq!(
            rows.issues,
            [ReadIssue::RepeatedHeader {
                record: 2,
                count: 2
            }]
        );
        let cells: Vec<&str> = (0..4).map(|r| rows.cell(r, 0).unwrap_or("?")).collect();
        assert_eq!(cells, ["1", "", "3", ""]);
        // Blank rows to the engine: members of no kind, judged by no rule.
        assert_eq!(rows.blank, [1, 3]);
        // A header of blank names does not take blank rows for repeats.
        let blank = b",\r\n,\r\n";
        let source = Source::Memory(std::sync::Arc::from(&blank[..]));
        let rows = read_rows(&source, &head_of(blank), &[true, true]).expect("rows");
        assert!(rows.issues.is_empty(), "{:?}", rows.issues);
    }

    #[test]
    fn a_stray_quote_makes_one_part_or_the_same_rows() {
        // Not RFC 4180: quotes inside unquoted fields shift the quote count.
        let mut text = String::from("Name,Note\n");
        for i in 0..30 {
            text.push_str(&format!("a{i},5'11\" tall\nb{i},\"ok\"\n"));
        }
        same_in_parts(text.as_bytes());
    }

    #[test]
    fn record_starts_give_positions_of_wanted_records() {
        let mut starts = RecordStarts::default();
        for p in [10, 25, 25, 90] {
            starts.push(p);
        }
        let wanted: BTreeSet<u64> = [0, 1, 3, 4].into_iter().collect();
        let positions = starts.positions(&wanted).unwrap();
        assert_eq!(
            positions.into_iter().collect::<Vec<_>>(),
            [(0, 0), (1, 10), (3, 25), (4, 90)]
        );
        assert!(starts.positions(&[5].into_iter().collect()).is_none());
        starts.push(90 + (1 << 33));
        assert!(starts.positions(&wanted).is_none());
    }

    #[test]
    fn column_turns_plain_past_the_dictionary_limit() {
        let mut c = Column::default();
        let cells: Vec<String> = (0..DICTIONARY_MAX + 10)
            .map(|i| format!("v{}", i % (DICTIONARY_MAX + 5)))
            .collect();
        for cell in &cells {
            assert!(c.push(cell));
        }
        c.finish();
        assert!(c.dictionary().is_none());
        assert_eq!(c.len(), cells.len());
        for (i, cell) in cells.iter().enumerate() {
            assert_eq!(c.get(i), cell);
        }
    }
}
