//! One **pass** of the csv parser over the decoded text of a file, or of a part of it: the
//! kept cells go into their [`Column`]s, and the built-in checks that need every cell (ragged
//! rows, .NET type names, `?` in place of letters, NUL bytes, byte-order marks, repeated
//! headers) are counted on the way without keeping anything.

use std::io::{self, Read};

use super::column::Column;
use super::{ReadIssue, Rows};
use crate::inventory::decode::{DecodingReader, Encoding};
use crate::inventory::head::Head;
use crate::inventory::limit::{RecordLimit, MAX_RECORD};

/// U+FEFF in UTF-8: a byte-order mark, legitimate only at the start of a file.
const BOM: &[u8] = "\u{FEFF}".as_bytes();

/// What one pass over a file (or a part of it) reads.
#[derive(Debug, Clone, Copy)]
pub(super) struct Pass {
    /// It starts with the header record (the whole file, or its first part).
    pub(super) header: bool,
    /// It stops before the first data record positioned at or past this text offset, less
    /// one (the next part's start; see [`read_in_parts`]).
    pub(super) until: Option<u64>,
}

/// One pass of the csv parser over `decoded` (positioned after the `#TYPE` line, or at a
/// boundary). Returns the rows (columns not finished) and the position of the record it
/// stopped before, when `pass.until` made it stop.
pub(super) fn read_pass<R: Read>(
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
    let mut tally = Tally::new(width);
    // A header of blank names would take every blank row for a repeat.
    let header_can_repeat = head.header.iter().any(|h| !h.trim().is_empty());
    let mut record = csv::ByteRecord::new();
    let mut record_no: u64 = if pass.header { 0 } else { 1 };
    let mut stopped = None;
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let e = csv_to_io(e);
                if !crate::inventory::limit::too_long(&e) {
                    return Err(e);
                }
                let record_start = reader.get_ref().record_start();
                too_long(&mut rows, &record, record_start, record_no, head);
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
        if header_can_repeat && is_header(&record, &head.header) {
            repeated_header(&mut rows, &mut tally, position, record_no);
        } else if !read_record(&mut rows, &mut tally, &record, record_no, position)? {
            return Ok((rows, None));
        }
        record_no += 1;
    }
    rows.count = record_no.saturating_sub(1) as usize;
    tally.finish(&mut rows.issues);
    let decoded = reader.into_inner().inner;
    rows.replaced = decoded.replaced;
    rows.odd_quotes = decoded.odd_quotes;
    if encoding.is_utf16() && decoded.raw_total % 2 == 1 {
        rows.odd_utf16_len = Some(decoded.raw_total);
    }
    Ok((rows, stopped))
}

/// Record `record_no` is longer than [`MAX_RECORD`]: the rows before it are kept, the rest is
/// not read. `record_start` is where the parser's reader saw the record under way start.
fn too_long(
    rows: &mut Rows,
    record: &csv::ByteRecord,
    record_start: u64,
    record_no: u64,
    head: &Head,
) {
    // The parser set the record's position when it started it; with CR LF line ends that is
    // the LF before it, on the line before.
    let (byte, line) = record.position().map_or((0, 0), |p| (p.byte(), p.line()));
    let line = line + u64::from(byte + 1 == record_start);
    let type_line = u64::from(head.type_line_len > 0);
    rows.issues.push(ReadIssue::RecordTooLong {
        record: record_no,
        line: line + type_line,
    });
    rows.count = record_no.saturating_sub(1) as usize;
}

/// The header again (appended exports): counted, and kept as a blank row (no kind's member:
/// no rule judges it, no count includes it).
fn repeated_header(rows: &mut Rows, tally: &mut Tally, position: u64, record_no: u64) {
    rows.starts.push(position);
    rows.blank
        .push(u32::try_from(record_no - 1).unwrap_or(u32::MAX));
    match &mut tally.repeated {
        Some((_, count)) => *count += 1,
        None => tally.repeated = Some((record_no, 1)),
    }
    for column in rows.columns.iter_mut().flatten() {
        column.push("");
    }
}

/// Keep the cells of data record `record_no` (at text `position`) and count what its cells
/// show. `Ok(false)` when a column grew too large: reading stops there.
fn read_record(
    rows: &mut Rows,
    tally: &mut Tally,
    record: &csv::ByteRecord,
    record_no: u64,
    position: u64,
) -> io::Result<bool> {
    let width = rows.columns.len();
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
    let has = Has {
        nul: memchr::memchr(0, all).is_some(),
        question: memchr::memchr(b'?', all).is_some(),
        bom: tally.bom_finder.find(all).is_some(),
    };
    // The decoded text is UTF-8 and fields end at ASCII bytes, so one validation of the
    // record covers every cell. (Failing it would be a bug in decoding: say so rather than
    // read the record as empty cells.)
    let Ok(text) = simdutf8::basic::from_utf8(all) else {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("record {record_no} is not UTF-8 after decoding"),
        ));
    };
    let cell_of = |field: usize| cell_text(record, text, field);
    for (field, bytes) in record.iter().enumerate() {
        tally.cell(record_no, field, bytes, has, || cell_of(field));
        if let Some(Some(column)) = rows.columns.get_mut(field) {
            if !column.push(cell_of(field)) {
                rows.issues.push(ReadIssue::TooLarge { record: record_no });
                return Ok(false);
            }
        }
    }
    // Short rows still get a cell in every kept column, so row numbers stay aligned.
    for column in rows.columns.iter_mut().skip(record.len()).flatten() {
        column.push("");
    }
    Ok(true)
}

/// What a whole record holds somewhere, so that its cells are searched only when it does.
#[derive(Debug, Clone, Copy)]
struct Has {
    nul: bool,
    question: bool,
    bom: bool,
}

/// The summaries a pass keeps of the cells it reads: for each kind of issue its first cell
/// (record, field, and value where shown) and how many cells have it.
struct Tally {
    type_names: Vec<Option<(u64, String, u64)>>,
    question: Option<(u64, usize, String, u64)>,
    nul: Option<(u64, usize, u64)>,
    bom: Option<(u64, usize, u64)>,
    repeated: Option<(u64, u64)>,
    // Built once: `memmem::find` builds a searcher on every call, i.e. for every record.
    bom_finder: memchr::memmem::Finder<'static>,
}

impl Tally {
    fn new(width: usize) -> Tally {
        Tally {
            type_names: vec![None; width],
            question: None,
            nul: None,
            bom: None,
            repeated: None,
            bom_finder: memchr::memmem::Finder::new(BOM),
        }
    }

    /// Count field `field` of record `record_no`, whose raw bytes are `bytes` and whose text
    /// `cell` gives (asked only for a cell kept as an example).
    fn cell<'c>(
        &mut self,
        record_no: u64,
        field: usize,
        bytes: &[u8],
        has: Has,
        cell: impl Fn() -> &'c str,
    ) {
        if looks_like_type_name(bytes) {
            if let Some(slot) = self.type_names.get_mut(field) {
                match slot {
                    Some((_, _, count)) => *count += 1,
                    None => *slot = Some((record_no, cell().to_string(), 1)),
                }
            }
        }
        if has.question && memchr::memchr(b'?', bytes).is_some() && has_replaced_letter(cell()) {
            match &mut self.question {
                Some((_, _, _, count)) => *count += 1,
                None => self.question = Some((record_no, field, cell().to_string(), 1)),
            }
        }
        if has.nul && bytes.contains(&0) {
            match &mut self.nul {
                Some((_, _, count)) => *count += 1,
                None => self.nul = Some((record_no, field, 1)),
            }
        }
        if has.bom && self.bom_finder.find(bytes).is_some() {
            match &mut self.bom {
                Some((_, _, count)) => *count += 1,
                None => self.bom = Some((record_no, field, 1)),
            }
        }
    }

    /// The summaries as issues, in the order [`ReadIssue`]'s summary rank gives.
    fn finish(self, issues: &mut Vec<ReadIssue>) {
        for (field, slot) in self.type_names.into_iter().enumerate() {
            if let Some((record, value, count)) = slot {
                issues.push(ReadIssue::TypeNameCells {
                    record,
                    field,
                    value,
                    count,
                });
            }
        }
        if let Some((record, field, value, count)) = self.question {
            issues.push(ReadIssue::QuestionMarks {
                record,
                field,
                value,
                count,
            });
        }
        if let Some((record, field, count)) = self.nul {
            issues.push(ReadIssue::Nul {
                record,
                field,
                count,
            });
        }
        if let Some((record, field, count)) = self.bom {
            issues.push(ReadIssue::Bom {
                record,
                field,
                count,
            });
        }
        if let Some((record, count)) = self.repeated {
            issues.push(ReadIssue::RepeatedHeader { record, count });
        }
    }
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
pub(super) fn has_replaced_letter(cell: &str) -> bool {
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
