//! Reading the rows of a **table**, keeping only the columns rules use.
//!
//! A [`Column`] stores the cells of one field of every data row in one string, so memory is
//! proportional to the columns in use, never to the file. Built-in checks that need every cell
//! (ragged rows, .NET type names, `?` replacement characters, NUL bytes) run during the same
//! single pass without keeping anything. Rows are numbered from 0 here; the output contract's
//! 1-based data row is `row + 1`, which is also the record number (the header is record 0).

use std::collections::BTreeSet;
use std::io::{self, Read};

use super::decode::{DecodingReader, Encoding, NotUtf8};
use super::head::Head;
use super::locate::{scan_records, ScanPlan};
use super::Source;

/// U+FEFF in UTF-8: a byte-order mark, legitimate only at the start of a file.
const BOM: &[u8] = "\u{FEFF}".as_bytes();

/// The cells of one field, for every data row.
#[derive(Debug, Default, Clone)]
pub struct Column {
    text: String,
    ends: Vec<u32>,
}

impl Column {
    pub fn get(&self, row: usize) -> &str {
        let end = self.ends.get(row).map_or(0, |&e| e as usize);
        let start = if row == 0 {
            0
        } else {
            self.ends.get(row - 1).map_or(end, |&e| e as usize)
        };
        self.text.get(start..end).unwrap_or("")
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Bytes held (cell text plus offsets).
    pub fn heap_bytes(&self) -> usize {
        self.text.len() + self.ends.len() * 4
    }

    fn push(&mut self, cell: &str) -> bool {
        self.text.push_str(cell);
        match u32::try_from(self.text.len()) {
            Ok(end) => {
                self.ends.push(end);
                true
            }
            Err(_) => false,
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
    /// The text holds an odd number of `"` (checked further by [`read_rows`]).
    pub odd_quotes: bool,
}

impl Rows {
    pub fn cell(&self, row: usize, field: usize) -> Option<&str> {
        self.columns.get(field)?.as_ref().map(|c| c.get(row))
    }

    pub fn heap_bytes(&self) -> usize {
        self.columns.iter().flatten().map(Column::heap_bytes).sum()
    }
}

/// Read every data row of the file at `path`, whose head is `head`, keeping the fields whose
/// `keep` flag is set.
pub fn read_rows(source: &Source, head: &Head, keep: &[bool]) -> io::Result<Rows> {
    let mut encoding = head.encoding;
    let mut fallback_from = head.fallback_from;
    loop {
        match read_rows_as(source, head, keep, encoding) {
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

fn read_rows_as(
    source: &Source,
    head: &Head,
    keep: &[bool],
    encoding: Encoding,
) -> io::Result<Rows> {
    let mut decoded = DecodingReader::new(source.open()?, encoding);
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
        let has_nul = memchr::memchr(0, record.as_slice()).is_some();
        let has_bom = memchr::memmem::find(record.as_slice(), BOM).is_some();
        for (field, bytes) in record.iter().enumerate() {
            let cell = std::str::from_utf8(bytes).unwrap_or("");
            if looks_like_type_name(bytes) {
                if let Some(slot) = type_names.get_mut(field) {
                    match slot {
                        Some((_, _, count)) => *count += 1,
                        None => *slot = Some((record_no, cell.to_string(), 1)),
                    }
                }
            }
            if memchr::memchr(b'?', bytes).is_some() && has_replaced_letter(cell) {
                match &mut question {
                    Some((_, _, _, count)) => *count += 1,
                    None => question = Some((record_no, field, cell.to_string(), 1)),
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
                if !column.push(cell) {
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
    let scanned = scan_records(source, plan, &BTreeSet::from([last])).ok()?;
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
        for cell in ["a", "", "ccc"] {
            assert!(c.push(cell));
        }
        assert_eq!(
            (c.get(0), c.get(1), c.get(2), c.get(3)),
            ("a", "", "ccc", "")
        );
        assert_eq!(c.len(), 3);
    }
}
