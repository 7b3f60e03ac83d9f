//! A cap on the size of one record, enforced while the text streams in.
//!
//! The csv parser holds a whole record in memory before returning it, so one 500 MB line, a
//! quote left open near the start of a big file (it swallows the rest), or a UTF-16 file
//! without line ends would make memory follow the input. [`RecordLimit`] sits between the
//! decoded text and the parser and fails the read once a record passes [`MAX_RECORD`]: the
//! file is then reported (CSV008, "record longer than 64 MB at line L: not read", L from the
//! parser's position of the record) and its rows before that line are kept.
//!
//! Records are told apart by line feeds outside quotes, counting every `"` as opening or
//! closing a quoted value (RFC 4180's `""` escape toggles twice). A stray `"` inside an
//! unquoted value (which PowerShell never writes: it quotes every value) would make the
//! following lines count as one record; reading then stops at 64 MB with the same finding.

use std::io::{self, Read};

/// Largest record read, in bytes of decoded text.
pub const MAX_RECORD: u64 = 64 << 20;

/// The error a [`RecordLimit`] fails with: the record being read is longer than
/// [`MAX_RECORD`]. (Its line is the csv reader's: the position of the record it was reading.)
#[derive(Debug)]
pub struct RecordTooLong;

impl std::fmt::Display for RecordTooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "record longer than {} MB", MAX_RECORD >> 20)
    }
}

impl std::error::Error for RecordTooLong {}

/// Whether an I/O error is a [`RecordLimit`]'s.
pub fn too_long(err: &io::Error) -> bool {
    err.get_ref()
        .is_some_and(|e| e.downcast_ref::<RecordTooLong>().is_some())
}

/// Passes text through, failing once one record passes `max` bytes (a record wholly inside one
/// piece read is not measured: pieces are far smaller than `max`).
///
/// Per piece of text it counts the quotes once (memchr) and looks for the first and the last
/// line feed outside quotes, walking line feeds from each end until one is found: one step
/// each for ordinary CSV, whose records end at the first line feed; every line feed only in a
/// piece that is all inside quotes. (The reading pass is the hot path: tracking the state at
/// every quote and line feed cost 5-10 % of a run.)
pub struct RecordLimit<R> {
    pub inner: R,
    max: u64,
    /// The text read so far ends inside quotes.
    quoted: bool,
    /// Bytes of the current record so far.
    current: u64,
    /// Bytes read before the current piece, and where the current record starts.
    consumed: u64,
    record_start: u64,
}

impl<R> RecordLimit<R> {
    pub fn new(inner: R, max: u64) -> RecordLimit<R> {
        RecordLimit {
            inner,
            max,
            quoted: false,
            current: 0,
            consumed: 0,
            record_start: 0,
        }
    }

    /// Byte offset of the start of the record under way (after the last line feed outside
    /// quotes).
    pub fn record_start(&self) -> u64 {
        self.record_start
    }

    fn scan(&mut self, text: &[u8]) -> io::Result<()> {
        let odd = |part: &[u8]| memchr::memchr_iter(b'"', part).count() % 2 == 1;
        let end_quoted = self.quoted ^ odd(text);
        // The first line feed outside quotes ends the record under way.
        let mut quoted = self.quoted;
        let mut from = 0;
        let mut first = None;
        for at in memchr::memchr_iter(b'\n', text) {
            quoted ^= odd(&text[from..at]);
            from = at;
            if !quoted {
                first = Some(at);
                break;
            }
        }
        let Some(first) = first else {
            self.quoted = end_quoted;
            self.current += text.len() as u64;
            return self.check();
        };
        self.current += first as u64 + 1;
        self.check()?;
        // The last one starts the record the next piece continues.
        let mut quoted = end_quoted;
        let mut to = text.len();
        let mut last = first;
        for at in memchr::memrchr_iter(b'\n', &text[first + 1..]).map(|i| first + 1 + i) {
            quoted ^= odd(&text[at + 1..to]);
            to = at + 1;
            if !quoted {
                last = at;
                break;
            }
        }
        self.quoted = end_quoted;
        self.current = (text.len() - last - 1) as u64;
        self.record_start = self.consumed + last as u64 + 1;
        self.check()
    }

    fn check(&self) -> io::Result<()> {
        if self.current > self.max {
            return Err(io::Error::new(io::ErrorKind::InvalidData, RecordTooLong));
        }
        Ok(())
    }
}

impl<R: Read> Read for RecordLimit<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.scan(&buf[..n])?;
        self.consumed += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Read `text` in pieces of `piece` bytes; whether it passes.
    fn passes(text: &str, max: u64, piece: usize) -> bool {
        let mut limited = RecordLimit::new(text.as_bytes(), max);
        let mut buf = vec![0; piece];
        loop {
            match limited.read(&mut buf) {
                Ok(0) => return true,
                Ok(_) => {}
                Err(e) => {
                    assert!(too_long(&e));
                    return false;
                }
            }
        }
    }

    /// Pieces no larger than the cap, as in use (the parser reads 256 KB at a time, the cap
    /// is 64 MB): a record inside one piece is never longer than the cap.
    #[test]
    fn records_longer_than_the_cap_fail_whatever_the_pieces() {
        for piece in [1, 2, 3, 4] {
            assert!(passes("a,b\n1,2\n3,4\n", 4, piece), "{piece}");
            assert!(!passes("a,b\n123456,2\n3,4\n", 4, piece), "{piece}");
            // A quoted line feed does not end the record.
            assert!(!passes("a\n\"x\ny\nz\"\n", 6, piece), "{piece}");
            assert!(passes("a\n\"x\"\"y\"\nb\n", 8, piece), "{piece}");
            // A quote never closed swallows the rest.
            assert!(!passes("a\nb\n\"c\nd\ne\nf\n", 5, piece), "{piece}");
            assert!(passes("ab\n\"c\"\nd\ne\n\"\"\nf\n", 4, piece), "{piece}");
        }
    }
}
