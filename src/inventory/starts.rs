//! Where each data record starts in the decoded text, and skipping the `#TYPE` line: the
//! pieces that reading rows ([`super::table`]) and locating findings ([`super::locate`]) share,
//! kept below both so that neither imports the other for them.
//!
//! A record's **start** is the csv crate's record position in the decoded text after the
//! `#TYPE` line (it may point at the line end before the record).

use std::io::{self, Read};

/// Where each data record starts in the decoded text after the `#TYPE` line (the csv crate's
/// record position: it may point at the line end before the record), kept as 4-byte distances
/// from the previous record.
#[derive(Debug, Default, Clone)]
pub struct RecordStarts {
    steps: Vec<u32>,
    last: u64,
    /// A record longer than 4 GiB: positions unknown, locate by scanning.
    overflow: bool,
}

impl RecordStarts {
    /// Add the starts of the next part of the file, whose positions count from `offset`;
    /// its first record is at `first` (where one pass puts it: the line feed of a CR LF).
    pub(super) fn append(&mut self, other: RecordStarts, offset: u64, first: u64) {
        let mut steps = other.steps.into_iter();
        let Some(own_first) = steps.next() else {
            return;
        };
        self.push(first);
        // The next record is where it was, counted from `first` now. (With no next record
        // the last position is `first`: a part of one record, between two others.)
        if let Some(second) = steps.next() {
            self.push(offset + u64::from(own_first) + u64::from(second));
            self.steps.extend(steps);
            self.last = offset + other.last;
        }
        self.overflow |= other.overflow;
    }

    pub(super) fn push(&mut self, position: u64) {
        match u32::try_from(position.saturating_sub(self.last)) {
            Ok(step) if position >= self.last => self.steps.push(step),
            _ => self.overflow = true,
        }
        self.last = position;
    }

    pub fn len(&self) -> usize {
        self.steps.len()
    }

    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// The positions of the `wanted` records (sorted, without repeats; 0 is the header, at 0),
    /// in their order, or `None` when some are not known.
    pub fn positions(&self, wanted: &[u64]) -> Option<Vec<u64>> {
        if self.overflow
            || wanted
                .last()
                .is_some_and(|&r| r as usize > self.steps.len())
        {
            return None;
        }
        let mut out = Vec::with_capacity(wanted.len());
        let (mut record, mut position) = (0u64, 0u64);
        let mut steps = self.steps.iter();
        for &w in wanted {
            while record < w {
                position += u64::from(*steps.next()?);
                record += 1;
            }
            out.push(position);
        }
        Some(out)
    }

    pub(super) fn heap_bytes(&self) -> usize {
        self.steps.capacity() * 4
    }
}

/// Skip `n` decoded bytes (the `#TYPE` line).
pub(crate) fn skip_bytes<R: Read>(reader: &mut R, n: usize) -> io::Result<()> {
    let copied = io::copy(&mut reader.take(n as u64), &mut io::sink())?;
    if copied < n as u64 {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "the file became shorter while being read",
        ));
    }
    Ok(())
}
