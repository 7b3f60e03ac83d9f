//! The **keeper**: the findings kept so far, capped by `--max-findings` as they arrive, so
//! that memory stays bounded when a run finds millions; the ones dropped are counted as
//! [`Omitted`].

use std::collections::BTreeSet;

use crate::finding::{Anchor, Finding, Head, Packed};

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
    /// The findings as the tasks handed them over, each batch packed (see [`Packed`]): as
    /// structs they were most of the memory at the run's peak.
    kept: Vec<Packed>,
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
            self.count += found.len();
            self.kept.push(Packed::new(found));
        }
        self.prune_when_over();
    }

    /// Add what another keeper kept (its findings were selected by it).
    pub(super) fn add_kept(&mut self, (kept, omitted): (Vec<Packed>, Omitted)) {
        self.omitted.merge(omitted);
        self.count += kept.iter().map(Packed::len).sum::<usize>();
        self.kept.extend(kept);
        self.prune_when_over();
    }

    pub(super) fn merge(mut self, other: Keeper<'o>) -> Keeper<'o> {
        self.add_kept((other.kept, other.omitted));
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

    /// The kept batches in the order they were handed over, and the findings counted.
    pub(super) fn into_parts(self) -> (Vec<Packed>, Omitted) {
        (self.kept, self.omitted)
    }

    pub(super) fn prune(&mut self) {
        // No more than `max` findings: none to drop, and no pass over them to find that out.
        let Some(max) = self.max.filter(|&max| self.count > max) else {
            return;
        };
        fn key<'h>(h: &Head<'h>) -> Option<(&'h str, u64, usize)> {
            let file = &*h.place.file;
            match h.anchor {
                Anchor::Record { record } => Some((file, record, 0)),
                Anchor::Cell { record, field } => Some((file, record, field)),
                Anchor::File | Anchor::Position { .. } => None,
            }
        }
        let mut keys: Vec<(&str, u64, usize)> = self
            .kept
            .iter()
            .flat_map(Packed::heads)
            .filter_map(|h| key(&h))
            .collect();
        if keys.len() <= max {
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
        for batch in &mut self.kept {
            batch.retain(|h| {
                let keep = match (key(h), &boundary) {
                    (None, _) => true,
                    (Some(_), None) => false,
                    (Some(k), Some((file, record, field))) => k <= (file.as_str(), *record, *field),
                };
                if !keep {
                    omitted.add(h.code, h.severity);
                }
                keep
            });
        }
        self.kept.retain(|batch| !batch.is_empty());
        self.count = self.kept.iter().map(Packed::len).sum();
    }
}
