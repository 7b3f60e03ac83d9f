//! A cap on the size of one record, enforced while the text streams in.
//!
//! The csv parser holds a whole record in memory before returning it, so one 500 MB line, a
//! quote left open near the start of a big file (it swallows the rest), or a UTF-16 file
//! without line ends would make memory follow the input. [`RecordLimit`] sits between the
//! decoded text and the parser and fails the read, with the line where the record started,
//! once a record passes [`MAX_RECORD`]: the file is then reported (CSV008, "record longer
//! than 64 MB at line L: not read") and its rows before that line are kept.
//!
//! Records are told apart by line feeds outside quotes, counting every `"` as opening or
//! closing a quoted value (RFC 4180's `""` escape toggles twice). A stray `"` inside an
//! unquoted value (which PowerShell never writes: it quotes every value) would make the
//! following lines count as one record; reading then stops at 64 MB with the same finding.

use std::io::{self, Read};

/// Largest record read, in bytes of decoded text.
pub const MAX_RECORD: u64 = 64 << 20;

/// The error a [`RecordLimit`] fails with: the record starting at `line` (1-based, counted in
/// the text it reads) is longer than [`MAX_RECORD`].
#[derive(Debug)]
pub struct RecordTooLong {
    pub line: u64,
}

impl std::fmt::Display for RecordTooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "record longer than {} MB at line {}",
            MAX_RECORD >> 20,
            self.line
        )
    }
}

impl std::error::Error for RecordTooLong {}

/// The record-length check of an I/O error, if that is what it is.
pub fn too_long(err: &io::Error) -> Option<u64> {
    err.get_ref()
        .and_then(|e| e.downcast_ref::<RecordTooLong>())
        .map(|e| e.line)
}

/// Passes text through, failing once one record passes `max` bytes.
pub struct RecordLimit<R> {
    pub inner: R,
    max: u64,
    quoted: bool,
    /// Bytes of the current record so far.
    current: u64,
    /// Line feeds seen, and the line the current record starts on.
    lines: u64,
    record_line: u64,
}

impl<R> RecordLimit<R> {
    pub fn new(inner: R, max: u64) -> RecordLimit<R> {
        RecordLimit {
            inner,
            max,
            quoted: false,
            current: 0,
            lines: 0,
            record_line: 1,
        }
    }

    fn scan(&mut self, text: &[u8]) -> io::Result<()> {
        let mut from = 0;
        for at in memchr::memchr2_iter(b'"', b'\n', text) {
            if text[at] == b'"' {
                self.quoted = !self.quoted;
                continue;
            }
            self.lines += 1;
            if !self.quoted {
                self.current += (at + 1 - from) as u64;
                self.check()?;
                from = at + 1;
                self.current = 0;
                self.record_line = self.lines + 1;
            }
        }
        self.current += (text.len() - from) as u64;
        self.check()
    }

    fn check(&self) -> io::Result<()> {
        if self.current > self.max {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                RecordTooLong {
                    line: self.record_line,
                },
            ));
        }
        Ok(())
    }
}

impl<R: Read> Read for RecordLimit<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.scan(&buf[..n])?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(text: &str, max: u64) -> Result<(), u64> {
        let mut limited = RecordLimit::new(text.as_bytes(), max);
        let mut out = Vec::new();
        limited
            .read_to_end(&mut out)
            .map(|_| ())
            .map_err(|e| too_long(&e).unwrap_or(0))
    }

    #[test]
    fn long_records_fail_with_their_first_line() {
        assert_eq!(read_all("a,b\n1,2\n3,4\n", 4), Ok(()));
        assert_eq!(read_all("a,b\n123456,2\n3,4\n", 4), Err(2));
        // A quoted line feed does not end the record that started on line 2.
        assert_eq!(read_all("a\n\"x\ny\nz\"\n", 6), Err(2));
        assert_eq!(read_all("a\n\"x\"\"y\"\nb\n", 8), Ok(()));
        // A quote never closed swallows the rest.
        assert_eq!(read_all("a\nb\n\"c\nd\ne\nf\n", 5), Err(3));
    }
}
