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
    kept: Vec<Finding>,
    pub(super) omitted: Omitted,
}

impl<'o> Keeper<'o> {
    pub(super) fn new(options: &'o Options, read: Option<&'o BTreeSet<String>>) -> Keeper<'o> {
        Keeper {
            max: options.max_findings,
            options,
            read,
            kept: Vec::new(),
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
        self.kept.append(&mut found);
        // Pruning costs a pass over what is kept: do it when that has doubled.
        if let Some(max) = self.max {
            if self.kept.len() > max.saturating_mul(2).max(max.saturating_add(16 * 1024)) {
                self.prune();
            }
        }
    }

    pub(super) fn merge(mut self, other: Keeper<'o>) -> Keeper<'o> {
        self.omitted.merge(other.omitted);
        self.add(other.kept);
        self
    }

    pub(super) fn into_parts(self) -> (Vec<Finding>, Omitted) {
        (self.kept, self.omitted)
    }

    pub(super) fn prune(&mut self) {
        let Some(max) = self.max else {
            return;
        };
        fn key(f: &Finding) -> Option<(&str, u64, usize)> {
            let file = &*f.location.file;
            match f.location.anchor {
                Anchor::Record { record } => Some((file, record, 0)),
                Anchor::Cell { record, field } => Some((file, record, field)),
                Anchor::File | Anchor::Position { .. } => None,
            }
        }
        let mut keys: Vec<(&str, u64, usize)> = self.kept.iter().filter_map(key).collect();
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
        let omitted = &mut self.omitted;
        self.kept.retain(|f| {
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
    }
}
