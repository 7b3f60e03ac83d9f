//! Reading a large file in **parts** at once: each part is read from a [`Boundary`] (a raw and
//! a text offset where a record starts) to the next by its own [`pass`](super::pass), then the
//! parts' rows are joined as if the file had been read in one.

use rayon::prelude::*;

use std::io;

use super::column::Column;
use super::pass::{read_pass, Pass};
use super::{Counting, ReadIssue, Rows};
use crate::inventory::decode::DecodingReader;
use crate::inventory::head::Head;
use crate::inventory::split::{find_boundaries, Boundary};
use crate::inventory::starts::skip_bytes;
use crate::inventory::Source;

/// Files of at least this size are read in parts at once, when there are threads.
pub(super) const SPLIT_MIN: u64 = 32 << 20;
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
pub(super) fn part_starts(size: u64, threads: usize) -> Vec<u64> {
    let most = (threads as u64 * PARTS_PER_THREAD).max(2);
    let parts = (size / PART_SIZE).clamp(2, most);
    (1..parts).map(|k| size / parts * k).collect()
}

/// Read a file in parts at once: part 0 up to the first [`Boundary`] at or after raw offset
/// `froms[0]`, part 1 from there to the next boundary at or after `froms[1]`, and so on, then
/// join them. `None` when the file cannot be split or a part finds no record starting at the
/// boundary where it stops (text that is not RFC 4180 fooled the quote count): it is then
/// read in one part.
pub(super) fn read_in_parts(
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
    let reading = PartReading {
        source,
        boundaries: &boundaries,
        head,
        keep,
        progress,
    };
    let parts: Vec<PartRead> = (0..=boundaries.len())
        .into_par_iter()
        .map(|k| reading.read_part(k))
        .collect();
    *reported = parts.iter().map(|p| p.as_ref().map_or(0, |r| r.1)).sum();
    let mut rows = join_all(parts, &boundaries)?;
    let size = source.len();
    if head.encoding.is_utf16() && size % 2 == 1 {
        rows.odd_utf16_len = Some(size);
    }
    Some(rows)
}

/// What every part of one file is read with.
struct PartReading<'r> {
    source: &'r Source,
    boundaries: &'r [Boundary],
    head: &'r Head,
    keep: &'r [bool],
    progress: Option<&'r (dyn Fn(u64) + Sync)>,
}

impl PartReading<'_> {
    /// Read part `k`: from the boundary before it (or the start of the file) up to the record
    /// at the boundary after it (or the end).
    fn read_part(&self, k: usize) -> PartRead {
        let (source, head, encoding) = (self.source, self.head, self.head.encoding);
        let start = k.checked_sub(1).map(|i| self.boundaries[i]);
        let end = self.boundaries.get(k).copied();
        let (raw_start, text_start) = start.map_or((0, 0), |b| (b.raw, b.text));
        let mut counting = Counting {
            // Not limited: a part stops at the record at its end boundary, reading a buffer
            // past it at most (a limit could cut a character in two).
            inner: source.open_at(raw_start)?,
            read: 0,
            reported: 0,
            cap: end.map_or(u64::MAX, |e| e.raw - raw_start),
            progress: self.progress,
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
        let read = read_pass(decoded, head, self.keep, encoding, pass)?;
        counting.flush();
        Ok((read, counting.reported))
    }
}

/// Join the parts read at `boundaries` into the rows of the whole file (columns not
/// finished), or `None` when one of them cannot be joined: it failed, the first stopped for
/// good, or a part did not stop at the record where the next one starts.
fn join_all(parts: Vec<PartRead>, boundaries: &[Boundary]) -> Option<Rows> {
    let mut parts = parts.into_iter();
    let ((mut rows, mut stopped), _) = parts.next()?.ok()?;
    // Each column's parts, joined apart from the rest (below).
    let mut columns: Vec<Vec<Column>> = std::mem::take(&mut rows.columns)
        .into_iter()
        .map(|column| column.into_iter().collect())
        .collect();
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
        let mut rest = rest;
        for (parts, column) in columns.iter_mut().zip(std::mem::take(&mut rest.columns)) {
            parts.extend(column);
        }
        join_parts(&mut rows, rest, boundary.text, at);
        stopped = rest_stopped;
    }
    rows.split = splits;
    // The columns are the bulk of the joining (copying their text): one task each.
    let joined: Vec<Option<Option<Column>>> = columns
        .into_par_iter()
        .map(|parts| {
            if parts.is_empty() {
                return Some(None);
            }
            let mut column = Column::concat(parts)?;
            column.finish();
            Some(Some(column))
        })
        .collect();
    rows.columns = joined.into_iter().collect::<Option<_>>()?;
    Some(rows)
}

/// Join the rows of the next part but their columns (text positions from `offset`, its
/// first record at `first`) to the first's, as if the file had been read in one part.
fn join_parts(rows: &mut Rows, rest: Rows, offset: u64, first: u64) {
    let shift = rows.count as u64;
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
}
