//! Compact string-keyed maps for the engine's **lookups** (key indexes) and uniqueness checks.
//!
//! The maps themselves are [`KeyMap`]s (`crate::keymap`).

use std::ops::Range;

use crate::expr::value::RowRef;
pub use crate::keymap::{hash, KeyMap, GROUP};

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
        // First pass: group of each row, and group sizes (in `.1`); the pairs go in by
        // groups whose slots are read together first (see `KeyMap::warm`).
        let mut group_of: Vec<(u32, RowRef)> = Vec::with_capacity(low);
        let mut pairs = pairs;
        let mut batch: Vec<(std::borrow::Cow<'k, str>, RowRef)> = Vec::with_capacity(GROUP);
        let mut hashes: Vec<u64> = Vec::with_capacity(GROUP);
        loop {
            batch.extend(pairs.by_ref().take(GROUP));
            if batch.is_empty() {
                break;
            }
            hashes.clear();
            hashes.extend(batch.iter().map(|(key, _)| hash(key.as_bytes())));
            groups.warm(&hashes);
            for ((key, row), &h) in batch.drain(..).zip(&hashes) {
                let next = groups.len() as u32;
                let (value, _) = groups.get_or_insert_hashed(&key, h, || (next, 0));
                value.1 += 1;
                group_of.push((value.0, row));
            }
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

    /// [`group_of`](Self::group_of) for each of `keys`, pushed to `out` in order (probed in
    /// groups: see [`KeyMap::indexes_of`]).
    pub fn groups_of(&self, keys: &[&str], out: &mut Vec<Option<usize>>) {
        self.groups.indexes_of(keys, out);
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
    /// Room for about `keys` keys without growing (growing places every row again, each at
    /// a random slot).
    pub fn with_capacity(keys: usize) -> Self {
        FirstSeen {
            slots: vec![(0, EMPTY); (keys * 2).next_power_of_two().max(64)],
            len: 0,
        }
    }

    /// Read the slots where the probes for `hashes` start, so that they are in cache when
    /// the rows are checked one by one (see `KeyMap::warm`).
    pub fn warm(&self, hashes: &[u64]) {
        let len = self.slots.len();
        let rows = hashes.iter().fold(0, |all, &h| {
            all | self.slots[Self::slot_of((h >> 32) as u32, len)].1.row
        });
        // Without a use, the reads would be optimised away.
        std::hint::black_box(rows);
    }

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
    fn grouped_probes_find_what_single_probes_find() {
        let mut map: KeyMap<usize> = KeyMap::with_capacity(8);
        for i in 0..5_000usize {
            map.get_or_insert_with(&format!("k{}", i * 3), || i);
        }
        // Present and absent keys, a repeat, the empty key, and a count that is not a
        // multiple of the group.
        let keys: Vec<String> = (0..1_003usize)
            .map(|i| format!("k{}", i * 7))
            .chain(["".to_string(), "k0".to_string()])
            .collect();
        let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
        let mut grouped = Vec::new();
        map.indexes_of(&refs, &mut grouped);
        let single: Vec<Option<usize>> = refs.iter().map(|k| map.index_of(k)).collect();
        assert_eq!(grouped, single);
        assert!(single.iter().filter(|f| f.is_some()).count() > 300);
        assert!(single.iter().filter(|f| f.is_none()).count() > 300);
    }

    #[test]
    fn hashed_inserts_after_warming_agree_with_plain_ones() {
        let keys: Vec<String> = (0..3_000).map(|i| format!("k{}", i % 1_100)).collect();
        let mut plain: KeyMap<usize> = KeyMap::default();
        let mut hashed: KeyMap<usize> = KeyMap::default();
        for group in keys.chunks(GROUP) {
            let hashes: Vec<u64> = group.iter().map(|k| hash(k.as_bytes())).collect();
            hashed.warm(&hashes);
            for (key, &h) in group.iter().zip(&hashes) {
                let (a, a_new) = plain.get_or_insert_with(key, || 0);
                *a += 1;
                let (b, b_new) = hashed.get_or_insert_hashed(key, h, || 0);
                *b += 1;
                assert_eq!(a_new, b_new, "{key}");
            }
        }
        assert_eq!(plain.len(), 1_100);
        for key in &keys {
            assert_eq!(plain.get(key), hashed.get(key));
            assert_eq!(plain.index_of(key), hashed.index_of(key));
        }
    }

    #[test]
    fn first_seen_sized_ahead_and_warmed_finds_the_same_rows() {
        let keys: Vec<String> = (0..10_000).map(|i| format!("k{}", i % 4_000)).collect();
        let mut grown = FirstSeen::default();
        let mut sized = FirstSeen::with_capacity(keys.len());
        for (n, group) in keys.chunks(GROUP).enumerate() {
            let hashes: Vec<u64> = group.iter().map(|k| hash(k.as_bytes())).collect();
            sized.warm(&hashes);
            for (i, (key, &h)) in group.iter().zip(&hashes).enumerate() {
                let at = n * GROUP + i;
                let same = |r: RowRef| keys[r.row as usize] == *key;
                let a = grown.first_or_insert(h, row(at as u32), same);
                let b = sized.first_or_insert(h, row(at as u32), same);
                assert_eq!(a, b, "{key}");
                assert_eq!(a, (at >= 4_000).then(|| row((at % 4_000) as u32)));
            }
        }
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
    fn index_of_many_rows_groups_them_in_order() {
        // More rows than a group, keys repeating across groups.
        let keys: Vec<String> = (0..100).map(|i| format!("k{}", (i * 7) % 13)).collect();
        let index = KeyIndex::build(
            keys.iter()
                .enumerate()
                .map(|(i, k)| (Cow::Borrowed(k.as_str()), row(i as u32))),
            keys.len(),
        );
        for k in 0..13 {
            let key = format!("k{k}");
            let expected: Vec<RowRef> = (0..100u32)
                .filter(|&i| keys[i as usize] == key)
                .map(row)
                .collect();
            assert_eq!(index.get(&key), expected.as_slice(), "{key}");
        }
        let wanted = ["k3", "nope", "k12", "k0"];
        let mut groups = Vec::new();
        index.groups_of(&wanted, &mut groups);
        for (key, group) in wanted.iter().zip(groups) {
            assert_eq!(group.map(|g| g as u32), index.group_of(key));
        }
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
