//! Locating findings: from record and field numbers to lines, columns and excerpts.
//!
//! Spans are computed lazily: once per file that has findings, one streaming pass re-scans
//! the decoded text with `csv-core` and captures only the **wanted** records. Lines are
//! counted by this pass itself (CRLF, LF and lone CR each end a line) rather than taken from
//! the csv crate's `Position`, which is off by one line on CRLF files and after blank lines.
//! Columns count characters. The end column is exclusive (SARIF's convention), so an empty
//! unquoted cell has `end_column == column`.
//!
//! This file plans the re-scan (whole file or the parts it was read in); the pass itself is
//! in `scanner.rs`, and turning a captured record into a span in [`super::resolve`].

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Read};

use rayon::prelude::*;

use super::decode::{DecodingReader, Encoding};
use super::scanner::scan_with_buffer;
use super::split::Boundary;
use super::starts::{skip_bytes, RecordStarts};
use super::Source;

pub use super::resolve::{resolve, Captured, RecordText, Resolved};
pub use super::scanner::Keep;

/// How to read a file again: its encoding, `#TYPE` line length and delimiter, and where it
/// was split when it was read in parts (each part's start with the number of data rows before
/// it; empty when read in one part).
#[derive(Debug, Clone, Copy)]
pub struct ScanPlan<'s> {
    pub encoding: Encoding,
    pub type_line_len: usize,
    pub delimiter: u8,
    pub split: &'s [(Boundary, usize)],
}

const BUF: usize = 256 * 1024;

/// Re-scan the file and return the text of the wanted records (0 = header). With the
/// positions of the records in the decoded text ([`super::table::Rows::starts`]), only the
/// wanted records are parsed and the text in between is only searched for line ends.
pub fn scan_records(
    source: &Source,
    plan: ScanPlan<'_>,
    wanted: &BTreeSet<u64>,
    starts: &RecordStarts,
) -> io::Result<BTreeMap<u64, RecordText>> {
    let wanted: Vec<u64> = wanted.iter().copied().collect();
    let found = scan_records_with(source, plan, &wanted, starts, &|_, record| record)?;
    Ok(found.into_iter().collect())
}

/// [`scan_records`] of `wanted` (sorted, without repeats), keeping of each wanted record what
/// `keep` makes of it (as it is read, so that only one record's text is held at a time), in
/// order. Vectors, not maps: at 440,000 records of one file, building the maps of positions,
/// parts and records found took a third of the locating.
pub fn scan_records_with<T: Captured>(
    source: &Source,
    plan: ScanPlan<'_>,
    wanted: &[u64],
    starts: &RecordStarts,
    keep: &Keep<'_, T>,
) -> io::Result<Vec<(u64, T)>> {
    let first_line = if plan.type_line_len > 0 { 2 } else { 1 };
    let positions = starts.positions(wanted);
    let (Some(positions), false) = (positions.as_deref(), plan.split.is_empty()) else {
        let mut text = DecodingReader::new(source.open()?, plan.encoding);
        skip_bytes(&mut text, plan.type_line_len)?;
        return scan_with_buffer(
            text,
            plan.delimiter,
            first_line,
            wanted,
            positions.as_deref(),
            BUF,
            false,
            keep,
        )
        .map(|(found, _)| found);
    };
    scan_parts(source, plan, wanted, positions, first_line, keep)
}

/// The records found in one part of a file, and the line it ended on.
type PartFound<T> = io::Result<(Vec<(u64, T)>, u64)>;

/// [`scan_records_with`] of a file read in parts, whose wanted records' `positions` are known.
fn scan_parts<T: Captured>(
    source: &Source,
    plan: ScanPlan<'_>,
    wanted: &[u64],
    positions: &[u64],
    first_line: u64,
    keep: &Keep<'_, T>,
) -> io::Result<Vec<(u64, T)>> {
    // A file read in parts is scanned in the same parts at once. Each part but the last
    // wanted one also counts its lines to its end, where the next part's line numbers start.
    // Part k holds the records after the rows before its start, up to the next part's: the
    // wanted ones are `wanted[ends[k - 1]..ends[k]]`.
    let mut ends: Vec<usize> = plan
        .split
        .iter()
        .map(|(_, rows)| wanted.partition_point(|&r| r <= *rows as u64))
        .collect();
    ends.push(wanted.len());
    let range = |k: usize| {
        let start = k.checked_sub(1).map_or(0, |i| ends[i]);
        start..ends[k].max(start)
    };
    let last_part = (0..ends.len())
        .rposition(|k| !range(k).is_empty())
        .unwrap_or(0);
    let scan_part = |k: usize| -> PartFound<T> {
        let (wanted, positions) = (&wanted[range(k)], &positions[range(k)]);
        let start = k.checked_sub(1).map(|i| plan.split[i].0);
        let end = plan.split.get(k).map(|(b, _)| b.text);
        // A later part starts at a record, without BOM or `#TYPE` line, on its line 1, and its
        // records' positions count from its start.
        let relative: Vec<u64>;
        let (text, line, positions) = match start {
            None => {
                let mut text = DecodingReader::new(source.open()?, plan.encoding);
                skip_bytes(&mut text, plan.type_line_len)?;
                (text, first_line, positions)
            }
            Some(start) => {
                relative = positions
                    .iter()
                    .map(|p| p.saturating_sub(start.text))
                    .collect();
                let file = source.open_at(start.raw)?;
                let text = DecodingReader::new(file, plan.encoding.without_bom());
                (text, 1, &relative[..])
            }
        };
        let text_start = start.map_or(0, |b| b.text);
        let part = text.take(end.map_or(u64::MAX, |e| e - text_start));
        let to_end = k < last_part;
        scan_with_buffer(
            part,
            plan.delimiter,
            line,
            wanted,
            Some(positions),
            BUF,
            to_end,
            keep,
        )
    };
    let scanned: Vec<PartFound<T>> = (0..=last_part).into_par_iter().map(scan_part).collect();
    join_parts(scanned, first_line)
}

/// The records of the parts of a file, their lines counted from the file's start: each part
/// but the first counts its lines from 1, and says the line it ended on.
fn join_parts<T: Captured>(
    scanned: Vec<PartFound<T>>,
    first_line: u64,
) -> io::Result<Vec<(u64, T)>> {
    let mut found = Vec::new();
    // The line number of the current part's first character.
    let mut line = first_line;
    for (k, part) in scanned.into_iter().enumerate() {
        let (records, end_line) = part?;
        let start_line = if k == 0 { first_line } else { 1 };
        found.reserve(records.len());
        for (record, mut text) in records {
            text.shift_lines(line - start_line);
            found.push((record, text));
        }
        line += end_line - start_line;
    }
    Ok(found)
}

/// The scanner over any decoded text; `line` is the line number of its first byte.
pub fn scan_text<R: Read>(
    source: R,
    delimiter: u8,
    line: u64,
    wanted: &BTreeSet<u64>,
) -> io::Result<BTreeMap<u64, RecordText>> {
    let wanted: Vec<u64> = wanted.iter().copied().collect();
    let keep = |_, record| record;
    let (found, _) = scan_with_buffer(source, delimiter, line, &wanted, None, BUF, false, &keep)?;
    Ok(found.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{Anchor, Span};
    use crate::inventory::resolve::EXCERPT_WINDOW;
    use crate::inventory::scanner::{count_line, count_lines};

    fn scan(text: &str, wanted: &[u64]) -> BTreeMap<u64, RecordText> {
        scan_text(text.as_bytes(), b',', 1, &wanted.iter().copied().collect()).unwrap()
    }

    fn cell(text: &str, record: u64, field: usize) -> (Span, String) {
        let records = scan(text, &[record]);
        let r = &records[&record];
        let (span, _) = resolve(r, Anchor::Cell { record, field }, false).unwrap();
        (span, r.text[r.fields[field].clone()].to_string())
    }

    /// Record positions as the reading pass finds them (data records only).
    fn starts(text: &str) -> Vec<u64> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        let mut record = csv::ByteRecord::new();
        let mut out = Vec::new();
        while reader.read_byte_record(&mut record).unwrap() {
            out.push(record.position().unwrap().byte());
        }
        out.remove(0);
        out
    }

    #[test]
    fn jumping_to_known_starts_finds_the_same_records_and_lines() {
        let texts = [
            "\"a\",\"b\"\r\n\r\n\"1\",\"2\"\r\n\"3\",\"é4\"\r\n\"5\",\"6\"",
            "A,B\n\"x\r\ny\",\"q\"\"\"\rlast,\"z\"\n\n\nm,\"multi\nline\"\r\r\nend,1\n",
            "A,B,C\n1,,3\n4\n\"\",\"\"\n",
        ];
        for text in texts {
            let starts = starts(text);
            let all: Vec<u64> = (0..=starts.len() as u64).collect();
            for wanted in [all.clone(), vec![1], vec![0, 2], vec![all.len() as u64 - 1]] {
                let full =
                    scan_text(text.as_bytes(), b',', 1, &wanted.iter().copied().collect()).unwrap();
                let full: Vec<(u64, RecordText)> = full.into_iter().collect();
                let positions: Vec<u64> = wanted
                    .iter()
                    .map(|&r| if r == 0 { 0 } else { starts[r as usize - 1] })
                    .collect();
                let keep = |_, r| r;
                let (jumped, _) = scan_with_buffer(
                    text.as_bytes(),
                    b',',
                    1,
                    &wanted,
                    Some(&positions),
                    BUF,
                    false,
                    &keep,
                )
                .unwrap();
                assert_eq!(full, jumped, "{text:?} {wanted:?}");
                assert_eq!(full.len(), wanted.len());
                // Buffer ends anywhere, between a CR and its LF included.
                for size in 1..12 {
                    let (small, last_line) = scan_with_buffer(
                        text.as_bytes(),
                        b',',
                        1,
                        &wanted,
                        Some(&positions),
                        size,
                        true,
                        &keep,
                    )
                    .unwrap();
                    assert_eq!(full, small, "{text:?} {wanted:?} buffer {size}");
                    // Counting on to the end gives the line after the last line end.
                    let (mut lines, mut prev_cr) = (1, false);
                    count_lines(text.as_bytes(), &mut prev_cr, &mut lines);
                    assert_eq!(last_line, lines, "{text:?} {wanted:?} buffer {size}");
                }
            }
        }
    }

    #[test]
    fn counting_lines_in_slices_agrees_with_bytewise() {
        let text = b"a\r\nb\rc\n\n\r\r\nd\r";
        for cut in 0..=text.len() {
            let (mut line, mut prev_cr) = (1, false);
            count_lines(&text[..cut], &mut prev_cr, &mut line);
            count_lines(&text[cut..], &mut prev_cr, &mut line);
            let (mut expected, mut p) = (1, false);
            for &b in text {
                count_line(b, &mut p, &mut expected);
            }
            assert_eq!((line, prev_cr), (expected, p), "cut at {cut}");
        }
    }

    #[test]
    fn crlf_and_blank_lines_do_not_shift_lines() {
        let text = "\"a\",\"b\"\r\n\r\n\"1\",\"2\"\r\n\"3\",\"é4\"\r\n";
        assert_eq!(
            cell(text, 2, 1),
            (
                Span {
                    line: 4,
                    column: 5,
                    end_line: 4,
                    end_column: 9
                },
                "\"é4\"".into()
            )
        );
        assert_eq!(cell(text, 1, 0).0.line, 3);
    }

    #[test]
    fn quoted_newlines_and_lone_cr() {
        let text = "A,B\n\"x\r\ny\",\"q\"\"\"\rlast,\"z\"";
        let (span, raw) = cell(text, 1, 0);
        assert_eq!(
            (span.line, span.column, span.end_line, span.end_column),
            (2, 1, 3, 3)
        );
        assert_eq!(raw, "\"x\r\ny\"");
        assert_eq!(
            cell(text, 1, 1),
            (
                Span {
                    line: 3,
                    column: 4,
                    end_line: 3,
                    end_column: 9
                },
                "\"q\"\"\"".into()
            )
        );
        assert_eq!(
            cell(text, 2, 1),
            (
                Span {
                    line: 4,
                    column: 6,
                    end_line: 4,
                    end_column: 9
                },
                "\"z\"".into()
            )
        );
    }

    #[test]
    fn empty_cells_and_short_rows() {
        let text = "A,B,C\n1,,3\n4\n";
        assert_eq!(
            cell(text, 1, 1).0,
            Span {
                line: 2,
                column: 3,
                end_line: 2,
                end_column: 3
            }
        );
        let records = scan(text, &[2]);
        let (span, _) = resolve(
            &records[&2],
            Anchor::Cell {
                record: 2,
                field: 2,
            },
            false,
        )
        .unwrap();
        assert_eq!((span.line, span.column), (3, 2));
    }

    #[test]
    fn unterminated_quote_runs_to_the_end() {
        let text = "A,B\n1,\"never closed\nmore";
        let (span, raw) = cell(text, 1, 1);
        assert_eq!(raw, "\"never closed\nmore");
        assert_eq!((span.line, span.end_line, span.end_column), (2, 3, 5));
    }

    #[test]
    fn excerpt_windows_long_lines() {
        let long = "x".repeat(1000);
        let text = format!("A,B,C\n{long},\"target\",{long}\n");
        let records = scan(&text, &[1]);
        let (span, excerpt) = resolve(
            &records[&1],
            Anchor::Cell {
                record: 1,
                field: 1,
            },
            true,
        )
        .unwrap();
        let excerpt = excerpt.unwrap();
        assert_eq!(span.column, 1002);
        assert_eq!(&excerpt.text[excerpt.start..excerpt.end], "\"target\"");
        assert!(excerpt.text.len() <= 2 * EXCERPT_WINDOW);
    }
}
