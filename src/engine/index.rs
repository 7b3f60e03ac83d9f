//! Compact string-keyed maps for the engine's **lookups** (key indexes) and uniqueness checks.
//!
//! The maps themselves are [`KeyMap`]s (`crate::keymap`).

use std::ops::Range;

use crate::expr::value::RowRef;
pub use crate::keymap::{hash, KeyMap};

/// A key index: the rows of a table grouped by normalised key, rows with the same key in
/// their original order.
#[derive(Debug, Default, Clone)]
pub struct KeyIndex {
    groups: KeyMap<(u32, u32)>,
    rows: Vec<RowRef>,
}

impl KeyIndex {
    /// Build from `(key, row)` pairs given in row order; `rows` is about how many.
    pub fn build<'k>(
        pairs: impl Iterator<Item = (std::borrow::Cow<'k, str>, RowRef)>,
        rows: usize,
    ) -> Self {
        let low = pairs.size_hint().0.max(rows);
        let mut groups: KeyMap<(u32, u32)> = KeyMap::with_capacity(low);
        // First pass: group of each row, and group sizes (in `.1`).
        let mut group_of: Vec<(u32, RowRef)> = Vec::with_capacity(low);
        for (key, row) in pairs {
            let next = groups.len() as u32;
            let (value, _) = groups.get_or_insert_with(&key, || (next, 0));
            value.1 += 1;
            group_of.push((value.0, row));
        }
        // Second pass: each group's start, then place the rows (a counting sort, stable).
        let mut starts = vec![0u32; groups.len()];
        let mut total = 0u32;
        for value in groups.values_mut() {
            let (group, count) = *value;
            starts[group as usize] = total;
            *value = (total, count);
            total += count;
        }
        let mut rows = vec![RowRef { file: 0, row: 0 }; group_of.len()];
        for (group, row) in group_of {
            let at = &mut starts[group as usize];
            rows[*at as usize] = row;
            *at += 1;
        }
        KeyIndex { groups, rows }
    }

    /// The group number of `key` (stable for the life of the index).
    pub fn group_of(&self, key: &str) -> Option<u32> {
        self.groups.index_of(key).map(|i| i as u32)
    }

    /// The rows of group `group`.
    pub fn group(&self, group: u32) -> &[RowRef] {
        match self.groups.value_at(group as usize) {
            Some(&(start, len)) => self.range(start..start + len),
            None => &[],
        }
    }

    /// The rows whose key is `key`.
    pub fn get(&self, key: &str) -> &[RowRef] {
        match self.groups.get(key) {
            Some(&(start, len)) => self.range(start..start + len),
            None => &[],
        }
    }

    fn range(&self, r: Range<u32>) -> &[RowRef] {
        self.rows
            .get(r.start as usize..r.end as usize)
            .unwrap_or(&[])
    }

    pub fn heap_bytes(&self) -> usize {
        self.groups.heap_bytes() + self.rows.capacity() * std::mem::size_of::<RowRef>()
    }
}

/// The first row of each key, found by hash: the keys themselves are not stored (a million
/// distinct keys take 24 MB). When a probe meets a row whose hash matches, the caller decides
/// whether that row's key is the same, computing it again; equal hashes of different keys are
/// rare, so that happens about once per repeated key.
#[derive(Debug)]
pub struct FirstSeen {
    /// (high half of the hash, row); `EMPTY` rows mark free slots. Power-of-two sized, at
    /// most half full.
    slots: Vec<(u32, RowRef)>,
    len: usize,
}

const EMPTY: RowRef = RowRef {
    file: u32::MAX,
    row: u32::MAX,
};

impl Default for FirstSeen {
    fn default() -> Self {
        FirstSeen {
            slots: vec![(0, EMPTY); 64],
            len: 0,
        }
    }
}

impl FirstSeen {
    /// Where the probe for a tag starts. Positions depend on the stored tag only, so that
    /// growing can place rows again.
    fn slot_of(tag: u32, len: usize) -> usize {
        (u64::from(tag).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - len.trailing_zeros())) as usize
    }

    /// The earlier row whose key is the one hashed to `h` (`same(row)` tells), or `None`
    /// after recording `row` as its first.
    pub fn first_or_insert(
        &mut self,
        h: u64,
        row: RowRef,
        mut same: impl FnMut(RowRef) -> bool,
    ) -> Option<RowRef> {
        let tag = (h >> 32) as u32;
        let mask = self.slots.len() - 1;
        let mut slot = Self::slot_of(tag, self.slots.len());
        loop {
            let (t, r) = self.slots[slot];
            if r == EMPTY {
                break;
            }
            if t == tag && same(r) {
                return Some(r);
            }
            slot = (slot + 1) & mask;
        }
        self.slots[slot] = (tag, row);
        self.len += 1;
        if self.len * 2 > self.slots.len() {
            self.grow();
        }
        None
    }

    fn grow(&mut self) {
        let size = self.slots.len() * 2;
        let old = std::mem::replace(&mut self.slots, vec![(0, EMPTY); size]);
        let mask = self.slots.len() - 1;
        for (tag, row) in old.into_iter().filter(|&(_, r)| r != EMPTY) {
            let mut slot = Self::slot_of(tag, self.slots.len());
            while self.slots[slot].1 != EMPTY {
                slot = (slot + 1) & mask;
            }
            self.slots[slot] = (tag, row);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;
    use std::collections::HashMap;

    fn row(n: u32) -> RowRef {
        RowRef {
            file: n % 3,
            row: n,
        }
    }

    #[test]
    fn map_agrees_with_std_hashmap() {
        let mut ours: KeyMap<usize> = KeyMap::default();
        let mut std: HashMap<String, usize> = HashMap::new();
        for i in 0..20_000usize {
            let key = format!("k{}", (i * 7919) % 5003);
            let (v, inserted) = ours.get_or_insert_with(&key, || i);
            assert_eq!(inserted, !std.contains_key(&key));
            *v += 1;
            *std.entry(key).or_insert(i) += 1;
        }
        assert_eq!(ours.len(), std.len());
        for (k, v) in &std {
            assert_eq!(ours.get(k), Some(v));
        }
        assert_eq!(ours.get("absent"), None);
        assert_eq!(ours.get(""), None);
    }

    #[test]
    fn first_seen_finds_earlier_rows_through_collisions() {
        let keys: Vec<String> = (0..50_000).map(|i| format!("k{}", i % 20_000)).collect();
        let mut seen = FirstSeen::default();
        let mut recomputed = 0;
        for (i, key) in keys.iter().enumerate() {
            // A weak hash, to force many equal tags.
            let h = (hash(key.as_bytes()) & 0xFFF) << 32;
            let found = seen.first_or_insert(h, row(i as u32), |r| {
                recomputed += 1;
                keys[r.row as usize] == *key
            });
            let expected = (i >= 20_000).then(|| row((i % 20_000) as u32));
            assert_eq!(found, expected, "{key}");
        }
        assert!(recomputed > 50_000);
    }

    #[test]
    fn index_groups_rows_in_order() {
        let keys = ["b", "a", "b", "", "c", "a", "b"];
        let index = KeyIndex::build(
            keys.iter()
                .enumerate()
                .map(|(i, k)| (Cow::Borrowed(*k), row(i as u32))),
            keys.len(),
        );
        assert_eq!(index.get("b"), &[row(0), row(2), row(6)]);
        assert_eq!(index.get("a"), &[row(1), row(5)]);
        assert_eq!(index.get(""), &[row(3)]);
        assert_eq!(index.get("c"), &[row(4)]);
        assert_eq!(index.get("d"), &[] as &[RowRef]);
        let b = index.group_of("b").unwrap();
        assert_eq!(index.group(b), index.get("b"));
        assert_eq!(index.group_of("d"), None);
    }
}
