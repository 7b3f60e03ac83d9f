//! Remembered results. A **match memo**: the results of regex matches on text borrowed from
//! the tables, by the text's address and length. A **value memo**: the values of memo nodes
//! (see `crate::expr::compile::memo`), by the value number of their cell in its dictionary
//! column.
//!
//! A dictionary column stores each distinct value once, so all its cells with one value are
//! the same text at the same address: a user-agent column of a million rows and a few dozen
//! distinct values is matched a few dozen times per rule instead of a million. Text borrowed for
//! the evaluation's lifetime cannot move or change while a context lives, so an address and
//! length stand for one content. Owned text (computed values) is never memoised.

use std::ptr;

use std::borrow::Cow;

use regex::Regex;

use crate::expr::value::Value;

/// Entries of the memo (direct-mapped: a new entry replaces the one in its place).
const ENTRIES: usize = 256;

/// One remembered match: which regex, which text, and the result.
#[derive(Clone, Copy)]
struct Entry {
    regex: *const Regex,
    text: *const u8,
    len: usize,
    matched: bool,
}

/// Remembered matches of one evaluation context.
#[derive(Default)]
pub(super) struct MatchMemo {
    /// Allocated on the first match, so contexts that match nothing cost nothing.
    entries: Vec<Option<Entry>>,
}

impl MatchMemo {
    /// Whether `regex` matches `text` (borrowed from the tables for the context's lifetime).
    pub(super) fn is_match(&mut self, regex: &Regex, text: &str) -> bool {
        if self.entries.is_empty() {
            self.entries = vec![None; ENTRIES];
        }
        let address = text.as_ptr() as usize ^ (ptr::from_ref(regex) as usize).rotate_left(17);
        // The low bits of an address repeat (alignment); a multiply spreads the high ones down.
        let at = (address.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 56) % ENTRIES;
        if let Some(Some(e)) = self.entries.get(at) {
            if ptr::eq(e.regex, regex) && ptr::eq(e.text, text.as_ptr()) && e.len == text.len() {
                return e.matched;
            }
        }
        let matched = regex.is_match(text);
        if let Some(slot) = self.entries.get_mut(at) {
            *slot = Some(Entry {
                regex,
                text: text.as_ptr(),
                len: text.len(),
                matched,
            });
        }
        matched
    }
}

/// Entries of the value memo (direct-mapped, as the match memo).
const VALUES: usize = 1024;

/// What a value is remembered under: (memo node, file, value number of the cell).
pub(super) type ValueKey = (u32, u32, u32);

/// Remembered values of memo nodes.
#[derive(Default)]
pub(super) struct ValueMemo<'a> {
    /// Allocated on the first value, so contexts without memo nodes cost nothing.
    entries: Vec<Option<(ValueKey, Value<'a>)>>,
}

impl<'a> ValueMemo<'a> {
    fn place(key: ValueKey) -> usize {
        let (id, file, code) = key;
        let mixed = (u64::from(id) << 40) ^ (u64::from(file) << 20) ^ u64::from(code);
        (mixed.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 54) as usize % VALUES
    }

    pub(super) fn get(&self, key: ValueKey) -> Option<&Value<'a>> {
        match self.entries.get(Self::place(key)) {
            Some(Some((k, value))) if *k == key => Some(value),
            _ => None,
        }
    }

    /// Remember `value` under `key`, unless it owns text (a copy per read would cost what
    /// computing it does).
    pub(super) fn put(&mut self, key: ValueKey, value: &Value<'a>) {
        if matches!(value, Value::Str(Cow::Owned(_))) {
            return;
        }
        if self.entries.is_empty() {
            self.entries = vec![None; VALUES];
        }
        if let Some(slot) = self.entries.get_mut(Self::place(key)) {
            *slot = Some((key, value.clone()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_are_remembered_per_text_and_regex() {
        let (a, b) = (Regex::new("^a").unwrap(), Regex::new("b$").unwrap());
        let texts = ["abc", "xyz", "ab", "cab"];
        let mut memo = MatchMemo::default();
        for _ in 0..3 {
            for t in texts {
                assert_eq!(memo.is_match(&a, t), a.is_match(t), "{t}");
                assert_eq!(memo.is_match(&b, t), b.is_match(t), "{t}");
            }
        }
        // Two texts at one address but of different lengths are two texts.
        let whole = "abab";
        assert!(memo.is_match(&b, &whole[..2]));
        assert!(!memo.is_match(&b, &whole[..3]));
    }

    #[test]
    fn values_are_found_under_their_own_key_only() {
        let mut memo = ValueMemo::default();
        assert!(memo.get((0, 0, 0)).is_none());
        for id in 0..4u32 {
            for file in 0..3u32 {
                for code in 0..200u32 {
                    let value = Value::Num(f64::from(id * 1_000_000 + file * 1000 + code));
                    memo.put((id, file, code), &value);
                    match memo.get((id, file, code)) {
                        Some(Value::Num(n)) => {
                            assert_eq!(*n, f64::from(id * 1_000_000 + file * 1000 + code))
                        }
                        other => panic!("{other:?}"),
                    }
                }
            }
        }
        // Whatever is still held is under its own key.
        for id in 0..4u32 {
            for file in 0..3u32 {
                for code in 0..200u32 {
                    if let Some(Value::Num(n)) = memo.get((id, file, code)) {
                        assert_eq!(*n, f64::from(id * 1_000_000 + file * 1000 + code));
                    }
                }
            }
        }
        // Owned text is not kept; borrowed text is.
        memo.put((9, 0, 1), &Value::Str(Cow::Owned("computed".into())));
        assert!(memo.get((9, 0, 1)).is_none());
        memo.put((9, 0, 2), &Value::Str(Cow::Borrowed("cell")));
        assert!(matches!(
            memo.get((9, 0, 2)),
            Some(Value::Str(Cow::Borrowed("cell")))
        ));
    }
}
