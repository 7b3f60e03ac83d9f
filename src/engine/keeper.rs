//! The **keeper**: the findings kept so far, capped by `--max-findings` as they arrive, so
//! that memory stays bounded when a run finds millions; the ones dropped are counted as
//! [`Omitted`].

use std::collections::BTreeSet;

use crate::finding::{Anchor, Finding};

use super::select::{code_selected, guards_selected_rules, matches_any};
use super::{Omitted, Options};

/// Keeps (a superset of) the first `max` findings in output order and counts the others,
/// without knowing their lines yet. Record and cell anchors order findings within a file as
/// their spans will (a later record or field starts later in the file), so the findings whose
/// (file, record, field) is above the `max`-th smallest can be dropped early; findings about a
/// whole file or a known position are always kept (there are few per file). Ties are kept, so
/// the exact cut is made after locating and sorting.
pub(super) struct Keeper<'o> {
    /// `None`: keep everything.
    max: Option<usize>,
    options: &'o Options,
    /// Kinds of table the selected rules read (see [`guards_selected_rules`]).
    read: Option<&'o BTreeSet<String>>,
    /// The findings as the tasks handed them over, joined once at the end: appending each
    /// batch to one vector made it double and copy itself, a third more memory at the peak.
    kept: Vec<Vec<Finding>>,
    /// Findings in `kept`.
    count: usize,
    pub(super) omitted: Omitted,
}

impl<'o> Keeper<'o> {
    pub(super) fn new(options: &'o Options, read: Option<&'o BTreeSet<String>>) -> Keeper<'o> {
        Keeper {
            max: options.max_findings,
            options,
            read,
            kept: Vec::new(),
            count: 0,
            omitted: Omitted::default(),
        }
    }

    pub(super) fn add(&mut self, mut found: Vec<Finding>) {
        let read = self.read;
        found.retain(|f| {
            code_selected(&f.code, self.options)
                || (read.is_some_and(|kinds| guards_selected_rules(f, kinds))
                    && !matches_any(&f.code, &self.options.ignore))
        });
        if !found.is_empty() {
            // A task's vector grew by doubling: up to half of it is slack, held to the end.
            found.shrink_to_fit();
            self.count += found.len();
            self.kept.push(found);
        }
        self.prune_when_over();
    }

    pub(super) fn merge(mut self, other: Keeper<'o>) -> Keeper<'o> {
        self.omitted.merge(other.omitted);
        self.count += other.count;
        self.kept.extend(other.kept);
        self.prune_when_over();
        self
    }

    /// Pruning costs a pass over what is kept: done when that has doubled.
    fn prune_when_over(&mut self) {
        if let Some(max) = self.max {
            if self.count > max.saturating_mul(2).max(max.saturating_add(16 * 1024)) {
                self.prune();
            }
        }
    }

    /// The kept findings in one vector, in the order they were handed over (each batch is
    /// freed as soon as it is moved). The largest batch grows in place: a large vector is
    /// remapped when it grows, not copied, and the run's second join (the evaluation's
    /// findings after the few found while reading) then moves them only within it.
    fn joined(&mut self) -> Vec<Finding> {
        let count = std::mem::take(&mut self.count);
        let Some(largest) = (0..self.kept.len()).max_by_key(|&i| self.kept[i].len()) else {
            return Vec::new();
        };
        let after = self.kept.split_off(largest + 1);
        let mut all = self.kept.pop().unwrap_or_default();
        all.reserve_exact(count.saturating_sub(all.len()));
        // The batches before the largest are added after it, then turned to the front.
        let mut before = 0;
        for batch in std::mem::take(&mut self.kept) {
            before += batch.len();
            all.extend(batch);
        }
        all.rotate_right(before);
        for batch in after {
            all.extend(batch);
        }
        all
    }

    pub(super) fn into_parts(mut self) -> (Vec<Finding>, Omitted) {
        let kept = self.joined();
        (kept, self.omitted)
    }

    pub(super) fn prune(&mut self) {
        let Some(max) = self.max else {
            return;
        };
        fn key(f: &Finding) -> Option<(&str, u64, usize)> {
            let file = f.location.file();
            match f.location.anchor {
                Anchor::Record { record } => Some((file, record, 0)),
                Anchor::Cell { record, field } => Some((file, record, field)),
                Anchor::File | Anchor::Position { .. } => None,
            }
        }
        let mut kept = self.joined();
        let mut keys: Vec<(&str, u64, usize)> = kept.iter().filter_map(key).collect();
        if keys.len() <= max {
            drop(keys);
            self.count = kept.len();
            self.kept.push(kept);
            return;
        }
        let boundary = match max.checked_sub(1) {
            Some(nth) => {
                let (file, record, field) = *keys.select_nth_unstable(nth).1;
                Some((file.to_string(), record, field))
            }
            None => None,
        };
        drop(keys);
        let omitted = &mut self.omitted;
        kept.retain(|f| {
            let keep = match (key(f), &boundary) {
                (None, _) => true,
                (Some(_), None) => false,
                (Some(k), Some((file, record, field))) => k <= (file.as_str(), *record, *field),
            };
            if !keep {
                omitted.add(f);
            }
            keep
        });
        self.count = kept.len();
        self.kept.push(kept);
    }
}
