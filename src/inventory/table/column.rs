//! A [`Column`]: the cells of one field of every data row, stored as a dictionary while it
//! has few distinct values and as plain text after.

use crate::keymap::KeyMap;

/// Up to this many distinct values, a column is stored as a dictionary.
pub(super) const DICTIONARY_MAX: usize = 4096;

/// The cells of one field, for every data row.
///
/// Columns with few distinct values (flags, pools, policies, user agents) are stored as a
/// **dictionary**: each distinct value once, and a 2-byte code per row. Others store every
/// cell's text in one string with the end offset of each cell. A column starts as a dictionary
/// and turns plain when it passes 4,096 distinct values.
#[derive(Debug, Clone)]
pub struct Column {
    /// Plain: every cell. Dictionary: the distinct values.
    text: String,
    ends: Vec<u32>,
    /// Dictionary: the value number of each row.
    codes: Option<Vec<u16>>,
    /// Dictionary, while reading: value → number.
    values: Option<KeyMap<u16>>,
    /// Bytes of text of all the cells (what the plain form takes).
    cell_bytes: u64,
}

impl Default for Column {
    fn default() -> Self {
        Column {
            text: String::new(),
            ends: Vec::new(),
            codes: Some(Vec::new()),
            values: Some(KeyMap::default()),
            cell_bytes: 0,
        }
    }
}

impl Column {
    /// The `i`th string of `text`/`ends`.
    #[inline]
    fn piece(&self, i: usize) -> &str {
        let Some(&end) = self.ends.get(i) else {
            return "";
        };
        let start = match i.checked_sub(1) {
            Some(before) => self.ends.get(before).copied().unwrap_or(end),
            None => 0,
        };
        self.text.get(start as usize..end as usize).unwrap_or("")
    }

    #[inline]
    pub fn get(&self, row: usize) -> &str {
        match &self.codes {
            Some(codes) => codes.get(row).map_or("", |&c| self.piece(c as usize)),
            None => self.piece(row),
        }
    }

    /// The value number of row `row` in a dictionary column (`None` in a plain one): rows
    /// with equal numbers hold equal text.
    #[inline]
    pub fn code(&self, row: usize) -> Option<u16> {
        self.codes.as_ref()?.get(row).copied()
    }

    pub fn len(&self) -> usize {
        self.codes.as_ref().map_or(self.ends.len(), Vec::len)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// For a dictionary column: the value number of each row, and the values.
    pub fn dictionary(&self) -> Option<(&[u16], impl Iterator<Item = &str>)> {
        let codes = self.codes.as_deref()?;
        Some((codes, (0..self.ends.len()).map(|i| self.piece(i))))
    }

    /// Bytes of the cells' text.
    pub fn text_bytes(&self) -> usize {
        self.cell_bytes as usize
    }

    /// Bytes held (text, offsets, codes).
    pub fn heap_bytes(&self) -> usize {
        self.text.capacity()
            + self.ends.capacity() * 4
            + self.codes.as_ref().map_or(0, |c| c.capacity() * 2)
            + self.values.as_ref().map_or(0, KeyMap::heap_bytes)
    }

    pub(super) fn push_text(&mut self, cell: &str) -> bool {
        self.text.push_str(cell);
        match u32::try_from(self.text.len()) {
            Ok(end) => {
                self.ends.push(end);
                true
            }
            Err(_) => false,
        }
    }

    pub(super) fn push(&mut self, cell: &str) -> bool {
        self.cell_bytes += cell.len() as u64;
        if self.codes.is_some() {
            match self.dictionary_code(cell) {
                Some(code) => {
                    if let Some(codes) = &mut self.codes {
                        codes.push(code);
                    }
                    return true;
                }
                None => self.make_plain(),
            }
        }
        self.push_text(cell)
    }

    /// The dictionary number of `value`, added when new and there is room; `None` when the
    /// dictionary is full (or the column is plain).
    pub(super) fn dictionary_code(&mut self, value: &str) -> Option<u16> {
        let values = self.values.as_mut()?;
        let next = values.len();
        if next >= DICTIONARY_MAX && values.get(value).is_none() {
            return None;
        }
        let (&mut code, new) = values.get_or_insert_with(value, || next as u16);
        if new && !self.push_text(value) {
            return None;
        }
        Some(code)
    }

    /// The parts of one column (read from the parts of a file), joined in order; `None` when
    /// the text grows too large. The text is reserved once for all of them.
    pub(super) fn concat(parts: Vec<Column>) -> Option<Column> {
        let mut parts = parts.into_iter();
        let mut out = parts.next()?;
        let rest: Vec<Column> = parts.collect();
        if out.codes.is_none() || rest.iter().any(|c| c.codes.is_none()) {
            out.make_plain();
            let bytes: u64 = rest.iter().map(|c| c.cell_bytes).sum();
            out.text.reserve_exact(usize::try_from(bytes).ok()?);
            out.ends.reserve_exact(rest.iter().map(Column::len).sum());
        }
        rest.into_iter().all(|part| out.append(part)).then_some(out)
    }

    /// Add the rows of `other` (the next part of the same column) after these.
    pub(super) fn append(&mut self, other: Column) -> bool {
        let Column {
            text,
            ends,
            codes,
            cell_bytes,
            ..
        } = other;
        let piece = |i: usize| {
            let end = ends.get(i).copied().unwrap_or(0) as usize;
            let start = i
                .checked_sub(1)
                .and_then(|b| ends.get(b))
                .map_or(0, |&e| e as usize);
            text.get(start..end).unwrap_or("")
        };
        self.cell_bytes += cell_bytes;
        match codes {
            // Dictionary into dictionary: number the other's values in this dictionary.
            Some(codes) if self.codes.is_some() => {
                let mut renumbered = Vec::with_capacity(ends.len());
                for i in 0..ends.len() {
                    match self.dictionary_code(piece(i)) {
                        Some(code) => renumbered.push(code),
                        None => {
                            self.make_plain();
                            return codes.iter().all(|&c| self.push_text(piece(c as usize)));
                        }
                    }
                }
                if let Some(mine) = &mut self.codes {
                    mine.extend(codes.iter().map(|&c| renumbered[c as usize]));
                }
                true
            }
            Some(codes) => codes.iter().all(|&c| self.push_text(piece(c as usize))),
            None => {
                self.make_plain();
                let base = self.text.len();
                self.text.push_str(&text);
                self.ends.reserve(ends.len());
                ends.iter()
                    .all(|&e| match u32::try_from(base + e as usize) {
                        Ok(end) => {
                            self.ends.push(end);
                            true
                        }
                        Err(_) => false,
                    })
            }
        }
    }

    /// Leave the dictionary form: write every row's text.
    pub(super) fn make_plain(&mut self) {
        let Some(codes) = self.codes.take() else {
            return;
        };
        self.values = None;
        let values = std::mem::take(&mut self.text);
        let value_ends = std::mem::take(&mut self.ends);
        self.ends.reserve(codes.len());
        self.text
            .reserve(usize::try_from(self.cell_bytes).unwrap_or(0));
        let value = |i: usize| {
            let end = value_ends.get(i).copied().unwrap_or(0) as usize;
            let start = i
                .checked_sub(1)
                .and_then(|b| value_ends.get(b))
                .map_or(0, |&e| e as usize);
            values.get(start..end).unwrap_or("")
        };
        for code in codes {
            self.push_text(value(code as usize));
        }
    }

    /// Reading is over: drop what only reading needed.
    pub(super) fn finish(&mut self) {
        self.values = None;
        self.text.shrink_to_fit();
        self.ends.shrink_to_fit();
        if let Some(codes) = &mut self.codes {
            codes.shrink_to_fit();
        }
    }
}
