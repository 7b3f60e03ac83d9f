//! **Key maps**: compact string-keyed maps shared by the reader (header names) and the
//! engine (lookups, uniqueness checks).
//!
//! A [`KeyMap`] keeps every key's text in one arena string and finds it through an
//! open-addressing table of `u32` slots, so a million keys cost their bytes plus about 40 bytes
//! each, with one allocation per map rather than one per key. Hashing is FxHash (rustc's):
//! inventories are the user's own files, so hash flooding is not a concern, and SipHash was the
//! largest single cost of lookups. Iteration order is never observable.
//!
//! A map of a million keys is far larger than the caches, so a probe is a chain of memory
//! reads (slot, entry, key text) that each wait on main memory. Bulk work goes through the
//! **grouped** methods ([`KeyMap::indexes_of`], [`KeyMap::warm`]): they start the reads of a
//! [`GROUP`] of keys before using any of them, so the waits overlap (3–4× faster per key on a
//! million keys).

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

/// Keys whose memory reads the grouped methods start together: enough reads in flight to
/// overlap most of the wait on memory, few enough to stay in registers.
pub const GROUP: usize = 16;

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
        self.probe(key, h, self.slot_of(h))
    }

    /// [`find`](Self::find), from `slot` (where the probe for `h` starts).
    fn probe(&self, key: &str, h: u64, mut slot: usize) -> (usize, Option<usize>) {
        let mask = self.slots.len() - 1;
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
        self.get_or_insert_hashed(key, hash(key.as_bytes()), make)
    }

    /// [`get_or_insert_with`](Self::get_or_insert_with) for a key whose [`hash`] is `h`.
    pub fn get_or_insert_hashed(
        &mut self,
        key: &str,
        h: u64,
        make: impl FnOnce() -> V,
    ) -> (&mut V, bool) {
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

    /// The insertion number of `key` (0 for the first key inserted), if present.
    pub fn index_of(&self, key: &str) -> Option<usize> {
        self.find(key, hash(key.as_bytes())).1
    }

    /// Read the slots where the probes for the keys hashed to `hashes` start, so that they
    /// are in cache when the keys are inserted one by one: the reads of a group overlap.
    pub fn warm(&self, hashes: &[u64]) {
        let words = hashes
            .iter()
            .fold(0, |all, &h| all | self.slots[self.slot_of(h)]);
        // Without a use, the reads would be optimised away.
        std::hint::black_box(words);
    }

    /// [`index_of`](Self::index_of) for each of `keys`, pushed to `out` in order; the keys are
    /// probed [`GROUP`] at a time, each step's memory reads started for the whole group
    /// before the next step uses them.
    pub fn indexes_of(&self, keys: &[&str], out: &mut Vec<Option<usize>>) {
        for group in keys.chunks(GROUP) {
            let mut hashes = [0u64; GROUP];
            let mut slots = [0usize; GROUP];
            let mut words = [0u64; GROUP];
            for (i, key) in group.iter().enumerate() {
                hashes[i] = hash(key.as_bytes());
                slots[i] = self.slot_of(hashes[i]);
            }
            for i in 0..group.len() {
                words[i] = self.slots[slots[i]];
            }
            // The entries and key texts of the slots whose tags match: most are the keys.
            let mut first_bytes = 0u8;
            for i in 0..group.len() {
                let n = words[i];
                if n != 0 && n >> 32 == hashes[i] >> 32 {
                    let start = self.entries[(n as u32) as usize - 1].start;
                    first_bytes ^= self.text.as_bytes().get(start).copied().unwrap_or(0);
                }
            }
            std::hint::black_box(first_bytes);
            for (i, key) in group.iter().enumerate() {
                out.push(self.probe(key, hashes[i], slots[i]).1);
            }
        }
    }

    /// The value of the key inserted `index`-th.
    pub fn value_at(&self, index: usize) -> Option<&V> {
        self.entries.get(index).map(|e| &e.value)
    }

    /// Every value, in insertion order.
    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut V> {
        self.entries.iter_mut().map(|e| &mut e.value)
    }

    /// Bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.text.capacity()
            + self.entries.capacity() * std::mem::size_of::<Entry<V>>()
            + self.slots.capacity() * 8
    }
}
