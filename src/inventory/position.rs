//! [`Inventory::locate`]: resolving the findings' **anchors** (record and field numbers) into
//! spans (lines and columns) and excerpts, reading again only the files that have findings
//! and, in them, only the records wanted.

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Mutex, PoisonError};

use rayon::prelude::*;

use super::file::{TableFile, LOCATING};
use super::locate::{self, Resolved};
use super::{file_name, Inventory};
use crate::finding::{builtin, Anchor, FileId, Finding, Location};

/// The anchors wanted, as (file, record, anchor), sorted and without repeats: one flat
/// vector (a map of maps of vectors cost 170 bytes and 0.7 µs per finding at 400,000). The
/// record is the anchor's, kept first so that the anchors of one record sort together (a
/// record anchor and the cell anchors of its record are different variants).
type Wanted = Vec<(FileId, u64, Anchor)>;

/// The resolved anchors of each file, by record number.
type Scanned = BTreeMap<FileId, ByRecord>;

/// The resolved records of one file in record order, found by record number in two steps
/// when they are dense (a search of a map of 400,000 records was a tenth of the locating at
/// 400,000 findings): `slots` has, for each record number up to the last resolved one, 1 +
/// its index in `resolved`, or 0. At most [`SLOTS_PER_RECORD`] 4-byte slots per resolved
/// record; sparser records are found by binary search.
struct ByRecord {
    slots: Option<Vec<u32>>,
    resolved: Vec<(u64, Resolved)>,
}

/// Most slots per resolved record: beyond, the slots would outweigh the records.
const SLOTS_PER_RECORD: usize = 16;

impl ByRecord {
    /// `resolved` is sorted by record number, without repeats.
    fn new(resolved: Vec<(u64, Resolved)>) -> ByRecord {
        let len = resolved
            .last()
            .and_then(|(r, _)| usize::try_from(*r).ok()?.checked_add(1));
        let dense = len.filter(|&len| len / SLOTS_PER_RECORD <= resolved.len());
        let slots = match (dense, u32::try_from(resolved.len())) {
            (Some(len), Ok(_)) => {
                let mut slots = vec![0u32; len];
                for (i, (record, _)) in resolved.iter().enumerate() {
                    // The records are sorted, so each is below `len`; the count fits in a u32.
                    // (Built outside the scan's panic guard: no indexing.)
                    if let Some(slot) = slots.get_mut(*record as usize) {
                        *slot = i as u32 + 1;
                    }
                }
                Some(slots)
            }
            _ => None,
        };
        ByRecord { slots, resolved }
    }

    fn get(&self, record: u64) -> Option<&Resolved> {
        let i = match &self.slots {
            Some(slots) => (*slots.get(usize::try_from(record).ok()?)? as usize).checked_sub(1)?,
            None => self
                .resolved
                .binary_search_by_key(&record, |(r, _)| *r)
                .ok()?,
        };
        self.resolved.get(i).map(|(_, r)| r)
    }
}

/// The findings about locating itself, gathered from several threads.
#[derive(Default)]
struct Caught(Mutex<Vec<Finding>>);

impl Caught {
    fn push(&self, finding: Finding) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(finding);
    }

    /// A panic caught while locating, reported as an internal error on its file.
    fn panic(&self, file: &TableFile, payload: &(dyn std::any::Any + Send)) {
        self.push(file.internal_error(LOCATING, payload));
    }

    fn into_inner(self) -> Vec<Finding> {
        self.0.into_inner().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Inventory {
    /// Resolve the anchors of `findings` (and their related locations) into spans and, when
    /// `with_excerpt`, the source lines for display. Returns the
    /// findings about locating itself: internal errors (panics caught while locating) and
    /// files that could not be read again; the findings concerned keep no span.
    pub fn locate(&self, findings: &mut [Finding], with_excerpt: bool) -> Vec<Finding> {
        let caught = Caught::default();
        let wanted = wanted_records(findings);
        let by_file: Vec<_> = wanted.chunk_by(|a, b| a.0 == b.0).collect();
        let scanned: Scanned = by_file
            .into_par_iter()
            .filter_map(|anchors| self.scan_file(anchors, with_excerpt, &caught))
            .collect();
        drop(wanted);
        findings.par_iter_mut().for_each(|finding| {
            let filled = catch_unwind(AssertUnwindSafe(|| {
                let related = finding.related.iter_mut().map(|r| &mut r.location);
                for location in std::iter::once(&mut finding.location).chain(related) {
                    fill(location, &scanned);
                }
            }));
            if let (Err(payload), Some(file)) = (filled, self.files.get(finding.location.file_id)) {
                finding.location.span = None;
                finding.location.excerpt = None;
                caught.panic(file, payload.as_ref());
            }
        });
        caught.into_inner()
    }

    /// Read the file of `anchors` (all of one file, sorted) again and resolve them; `None`
    /// (with a finding in `caught` saying why, when it is news) when that fails.
    fn scan_file(
        &self,
        anchors: &[(FileId, u64, Anchor)],
        with_excerpt: bool,
        caught: &Caught,
    ) -> Option<(FileId, ByRecord)> {
        let id = anchors.first()?.0;
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
            // The records, and where the anchors of each start: a captured record finds its
            // anchors with one search in the records, not two in the (larger) anchors.
            let mut records: Vec<u64> = Vec::with_capacity(anchors.len());
            let mut firsts: Vec<usize> = Vec::with_capacity(anchors.len() + 1);
            for (i, anchor) in anchors.iter().enumerate() {
                if records.last() != Some(&anchor.1) {
                    records.push(anchor.1);
                    firsts.push(i);
                }
            }
            firsts.push(anchors.len());
            let keep = |record: u64, text: locate::RecordText| {
                let range = records
                    .binary_search(&record)
                    .ok()
                    .and_then(|i| Some(*firsts.get(i)?..*firsts.get(i + 1)?))
                    .unwrap_or(0..0);
                let wanted = anchors.get(range).unwrap_or(&[]).iter().map(|a| a.2);
                Resolved::of(&text, wanted, with_excerpt)
            };
            locate::scan_records_with(&file.source, plan, &records, &file.rows.starts, &keep)
                // Positions in a file that changed since it was read would point
                // at other rows.
                .and_then(|found| file.source.check_unchanged().map(|()| found))
        }));
        match scanned {
            Ok(Ok(found)) => Some((id, ByRecord::new(found))),
            // Unreadable now though it was read: say why its findings lack lines and
            // columns. (A file that failed to read has already been reported.)
            Ok(Err(e)) => {
                if !file.failed {
                    caught.push(file.finding(
                        builtin::UNREADABLE,
                        format!(
                            "cannot read `{}` again to locate its findings ({e}): \
                             they are reported without line and column",
                            file.display
                        ),
                        Anchor::File,
                    ));
                }
                None
            }
            Err(payload) => {
                caught.panic(file, payload.as_ref());
                None
            }
        }
    }
}

/// Fill in `location`'s span (and excerpt) from the resolved records, and its field name.
fn fill(location: &mut Location, scanned: &Scanned) {
    if let Anchor::Position { line, column } = location.anchor {
        location.span = Some(crate::finding::Span {
            line,
            column,
            end_line: line,
            end_column: column,
        });
        return;
    }
    // `scanned` only holds files of the inventory: an unknown id finds nothing.
    let Some(record) = location.anchor.record() else {
        return;
    };
    let Some(resolved) = scanned.get(&location.file_id).and_then(|m| m.get(record)) else {
        return;
    };
    if let Some((span, excerpt)) = resolved.get(location.anchor) {
        location.span = Some(span);
        location.excerpt = excerpt.cloned().map(Box::new);
    }
}

/// The anchors the findings (and their related locations) point at.
fn wanted_records(findings: &[Finding]) -> Wanted {
    let mut wanted: Wanted = findings
        .par_iter()
        .flat_map_iter(|finding| {
            std::iter::once(&finding.location)
                .chain(finding.related.iter().map(|r| &r.location))
                .filter_map(|l| Some((l.file_id, l.anchor.record()?, l.anchor)))
        })
        .collect();
    wanted.par_sort_unstable();
    wanted.dedup();
    wanted
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Span;

    fn resolved(record: u64) -> (u64, Resolved) {
        let span = Span {
            line: record + 1,
            column: 1,
            end_line: record + 1,
            end_column: 2,
        };
        (
            record,
            Resolved(vec![(Anchor::Record { record }, span, None)]),
        )
    }

    /// Dense records are found through slots, sparse ones by search: both find exactly the
    /// records resolved.
    #[test]
    fn records_are_found_dense_or_sparse() {
        let dense: Vec<u64> = (0..100).filter(|r| r % 3 != 1).collect();
        let sparse: Vec<u64> = vec![2, 50, 4_000, 1 << 40];
        for (records, slotted) in [(dense, true), (sparse, false), (vec![], false)] {
            let by_record = ByRecord::new(records.iter().map(|&r| resolved(r)).collect());
            assert_eq!(by_record.slots.is_some(), slotted, "{records:?}");
            for record in (0..5_000).chain([1 << 40, u64::MAX]) {
                let found = by_record.get(record).map(|r| r.0[0].1.line);
                let expected = records.contains(&record).then(|| record + 1);
                assert_eq!(found, expected, "record {record} of {records:?}");
            }
        }
    }
}
