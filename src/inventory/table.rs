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
use super::Source;
use crate::engine::index::KeyMap;

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
        if let (Some(codes), Some(values)) = (&mut self.codes, &mut self.values) {
            let next = values.len();
            if next < DICTIONARY_MAX || values.get(cell).is_some() {
                let (&mut code, new) = values.get_or_insert_with(cell, || next as u16);
                codes.push(code);
                return !new || self.push_text(cell);
            }
            self.make_plain();
        }
        self.push_text(cell)
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
    /// The header differs from the one read at discovery: the file changed meanwhile.
    HeaderChanged,
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
    loop {
        let mut counting = Counting {
            inner: source.open()?,
            read: 0,
            reported,
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

/// Counts the bytes read through it and reports those past `reported`.
struct Counting<'p, R> {
    inner: R,
    read: u64,
    reported: u64,
    progress: Option<&'p (dyn Fn(u64) + Sync)>,
}

impl<R> Counting<'_, R> {
    fn flush(&mut self) {
        if let Some(progress) = self.progress {
            if self.read > self.reported {
                progress(self.read - self.reported);
                self.reported = self.read;
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
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(head.delimiter)
        .has_headers(false)
        .flexible(true)
        .buffer_capacity(256 * 1024)
        .from_reader(decoded);
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
    let mut record = csv::ByteRecord::new();
    let mut record_no: u64 = 0;
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(csv_to_io(e)),
        }
        if record_no == 0 {
            let same = record.len() == width
                && record
                    .iter()
                    .zip(&head.header)
                    .all(|(a, b)| a == b.as_bytes());
            if !same {
                rows.issues.push(ReadIssue::HeaderChanged);
                return Ok(rows);
            }
            record_no = 1;
            continue;
        }
        if record.len() != width {
            rows.issues.push(ReadIssue::Ragged {
                record: record_no,
                found: record.len(),
                expected: width,
            });
        }
        rows.starts.push(record.position().map_or(0, |p| p.byte()));
        // Checked once per record, not per cell: most records have neither.
        let all = record.as_slice();
        let has_nul = memchr::memchr(0, all).is_some();
        let has_question = memchr::memchr(b'?', all).is_some();
        let has_bom = memchr::memmem::find(all, BOM).is_some();
        // The decoded text is UTF-8 and fields end at ASCII bytes, so one validation of the
        // record covers every cell.
        let text = std::str::from_utf8(all).unwrap_or("");
        let cell_of = |field: usize, _: &[u8]| cell_text(&record, text, field);
        for (field, bytes) in record.iter().enumerate() {
            if looks_like_type_name(bytes) {
                if let Some(slot) = type_names.get_mut(field) {
                    match slot {
                        Some((_, _, count)) => *count += 1,
                        None => *slot = Some((record_no, cell_of(field, bytes).to_string(), 1)),
                    }
                }
            }
            if has_question
                && memchr::memchr(b'?', bytes).is_some()
                && has_replaced_letter(cell_of(field, bytes))
            {
                match &mut question {
                    Some((_, _, _, count)) => *count += 1,
                    None => {
                        question = Some((record_no, field, cell_of(field, bytes).to_string(), 1))
                    }
                }
            }
            if has_nul && bytes.contains(&0) {
                match &mut nul {
                    Some((_, _, count)) => *count += 1,
                    None => nul = Some((record_no, field, 1)),
                }
            }
            if has_bom && memchr::memmem::find(bytes, BOM).is_some() {
                match &mut bom {
                    Some((_, _, count)) => *count += 1,
                    None => bom = Some((record_no, field, 1)),
                }
            }
            if let Some(Some(column)) = rows.columns.get_mut(field) {
                if !column.push(cell_of(field, bytes)) {
                    rows.issues.push(ReadIssue::TooLarge { record: record_no });
                    return Ok(rows);
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
    for column in rows.columns.iter_mut().flatten() {
        column.finish();
    }
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
    let decoded = reader.into_inner();
    rows.replaced = decoded.replaced;
    rows.odd_quotes = decoded.odd_quotes;
    if encoding.is_utf16() && decoded.raw_total % 2 == 1 {
        rows.odd_utf16_len = Some(decoded.raw_total);
    }
    Ok(rows)
}

/// Field `field` of `record` as text; `text` is the whole record validated as UTF-8 (empty
/// when it was not, and then the field is validated alone).
fn cell_text<'r>(record: &'r csv::ByteRecord, text: &'r str, field: usize) -> &'r str {
    record
        .range(field)
        .and_then(|r| text.get(r))
        .or_else(|| std::str::from_utf8(record.get(field)?).ok())
        .unwrap_or("")
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
