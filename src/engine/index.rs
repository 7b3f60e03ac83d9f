//! Compact string-keyed maps for the engine's **lookups** (key indexes) and uniqueness checks.
//!
//! A [`KeyMap`] keeps every key's text in one arena string and finds it through an
//! open-addressing table of `u32` slots, so a million keys cost their bytes plus about 40 bytes
//! each, with one allocation per map rather than one per key. Hashing is FxHash (rustc's):
//! inventories are the user's own files, so hash flooding is not a concern, and SipHash was the
//! largest single cost of lookups. Iteration order is never observable.

use std::ops::Range;

use crate::expr::value::RowRef;

/// FxHash over bytes, a word at a time.
pub fn hash(bytes: &[u8]) -> u64 {
    const K: u64 = 0xf135_7aea_2e62_a9c5;
    let mut h: u64 = bytes.len() as u64;
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let w = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        h = (h.rotate_left(5) ^ w).wrapping_mul(K);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut word = [0u8; 8];
        word[..rest.len()].copy_from_slice(rest);
        h = (h.rotate_left(5) ^ u64::from_le_bytes(word)).wrapping_mul(K);
    }
    h
}

/// One key of a [`KeyMap`]: where its text is in the arena, and its value.
#[derive(Debug, Clone)]
struct Entry<V> {
    start: usize,
    len: u32,
    value: V,
}

/// A map from key text to `V`.
#[derive(Debug, Clone)]
pub struct KeyMap<V> {
    text: String,
    entries: Vec<Entry<V>>,
    /// Entry index + 1 in the low half, the key's hash in the high half (so most probes
    /// that miss never touch the entries); 0 is a free slot. Always a power of two slots, at
    /// most half full.
    slots: Vec<u64>,
}

impl<V> Default for KeyMap<V> {
    fn default() -> Self {
        KeyMap {
            text: String::new(),
            entries: Vec::new(),
            slots: vec![0; 16],
        }
    }
}

impl<V> KeyMap<V> {
    pub fn with_capacity(keys: usize) -> Self {
        KeyMap {
            text: String::new(),
            entries: Vec::with_capacity(keys),
            slots: vec![0; (keys * 2).next_power_of_two().max(16)],
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn slot_of(&self, h: u64) -> usize {
        // Fibonacci hashing: the top bits of a multiply spread FxHash's weak low bits.
        let bits = self.slots.len().trailing_zeros();
        (h.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - bits)) as usize
    }

    /// The slot holding `key`, or the free slot where it would go.
    fn find(&self, key: &str, h: u64) -> (usize, Option<usize>) {
        let mask = self.slots.len() - 1;
        let mut slot = self.slot_of(h);
        let tag = h >> 32;
        loop {
            match self.slots[slot] {
                0 => return (slot, None),
                n if n >> 32 == tag => {
                    let i = (n as u32) as usize - 1;
                    let e = &self.entries[i];
                    if e.len as usize == key.len()
                        && self.text.as_bytes()[e.start..e.start + key.len()] == *key.as_bytes()
                    {
                        return (slot, Some(i));
                    }
                }
                _ => {}
            }
            slot = (slot + 1) & mask;
        }
    }

    pub fn get(&self, key: &str) -> Option<&V> {
        let (_, found) = self.find(key, hash(key.as_bytes()));
        found.map(|i| &self.entries[i].value)
    }

    /// The value of `key`, inserting `make()` first when absent; `true` when inserted.
    pub fn get_or_insert_with(&mut self, key: &str, make: impl FnOnce() -> V) -> (&mut V, bool) {
        let h = hash(key.as_bytes());
        let (slot, found) = self.find(key, h);
        if let Some(i) = found {
            return (&mut self.entries[i].value, false);
        }
        let Ok(len) = u32::try_from(key.len()) else {
            // Keys of 4 GiB do not occur in inventories; keep them out rather than panic.
            self.entries.push(Entry {
                start: 0,
                len: u32::MAX,
                value: make(),
            });
            let last = self.entries.len() - 1;
            return (&mut self.entries[last].value, true);
        };
        let start = self.text.len();
        self.text.push_str(key);
        self.entries.push(Entry {
            start,
            len,
            value: make(),
        });
        let index = self.entries.len() as u64;
        self.slots[slot] = (h >> 32) << 32 | index;
        if self.entries.len() * 2 > self.slots.len() {
            self.grow();
        }
        let last = self.entries.len() - 1;
        (&mut self.entries[last].value, true)
    }

    fn grow(&mut self) {
        let size = self.slots.len() * 2;
        self.slots = vec![0; size];
        let mask = size - 1;
        for (i, e) in self.entries.iter().enumerate() {
            if e.len == u32::MAX {
                continue;
            }
            let h = hash(&self.text.as_bytes()[e.start..e.start + e.len as usize]);
            let mut slot = self.slot_of(h);
            while self.slots[slot] != 0 {
                slot = (slot + 1) & mask;
            }
            self.slots[slot] = (h >> 32) << 32 | (i as u64 + 1);
        }
    }

    /// Bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.text.capacity()
            + self.entries.capacity() * std::mem::size_of::<Entry<V>>()
            + self.slots.capacity() * 8
    }
}

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
        for e in &mut groups.entries {
            let (group, count) = e.value;
            starts[group as usize] = total;
            e.value = (total, count);
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
        let (_, found) = self.groups.find(key, hash(key.as_bytes()));
        found.map(|i| i as u32)
    }

    /// The rows of group `group`.
    pub fn group(&self, group: u32) -> &[RowRef] {
        match self.groups.entries.get(group as usize) {
            Some(e) => self.range(e.value.0..e.value.0 + e.value.1),
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
