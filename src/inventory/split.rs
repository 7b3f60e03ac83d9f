//! Splitting one large file into **parts** read at the same time.
//!
//! A **boundary** is a position where a record starts: the byte after a line feed that is
//! outside quotes. In RFC 4180 text (what `Export-Csv` writes) a quote toggles "inside
//! quotes" and a doubled quote toggles it twice, so the parity of the quotes before a line
//! feed tells whether it ends a record. [`find_boundaries`] counts quotes from the start of
//! the data, in one pass, and takes the first line feed outside quotes after each place asked
//! for (about every 32 MiB). Text that is not RFC 4180 (a quote in the middle of an unquoted
//! field) can fool the count; the reader of each part checks that a record really starts at
//! the boundary where it stops, and the file is read in one part otherwise (see
//! [`super::table`]).
//!
//! Positions come in two units: **raw** bytes of the file (where a later part's reader
//! opens it) and **text** bytes of the decoded UTF-8 after the `#TYPE` line (the unit of
//! record positions). For UTF-8 they differ by the BOM and the `#TYPE` line; for UTF-16 the
//! scan adds up the UTF-8 length of each code unit.

use std::io::{self, Read};

use super::decode::Encoding;
use super::Source;

/// Where a part after the first starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Boundary {
    /// Offset in the file.
    pub raw: u64,
    /// Offset in the decoded text after the `#TYPE` line.
    pub text: u64,
}

/// The unit readers: UTF-8 bytes, or UTF-16 code units in either byte order.
#[derive(Clone, Copy)]
enum Units {
    Bytes,
    Utf16 { big_endian: bool },
}

/// A boundary at or after raw offset `from`, for a file in `encoding` whose `#TYPE` line
/// decodes to `type_line_len` bytes. `None` when the encoding cannot be split or no line feed
/// outside quotes follows `from`.
pub fn find_boundary(
    source: &Source,
    encoding: Encoding,
    type_line_len: usize,
    from: u64,
) -> io::Result<Option<Boundary>> {
    Ok(find_boundaries(source, encoding, type_line_len, &[from])?
        .into_iter()
        .next())
}

/// Boundaries at or after each raw offset of `froms` (ascending), in one pass over the file:
/// the first boundary at or after `froms[0]`, then the first after it and at or after
/// `froms[1]`, and so on. Fewer when the file ends first; none when the encoding cannot be
/// split.
pub fn find_boundaries(
    source: &Source,
    encoding: Encoding,
    type_line_len: usize,
    froms: &[u64],
) -> io::Result<Vec<Boundary>> {
    let units = match encoding {
        Encoding::Utf8 | Encoding::Utf8Bom => Units::Bytes,
        Encoding::Utf16Le { .. } => Units::Utf16 { big_endian: false },
        Encoding::Utf16Be { .. } => Units::Utf16 { big_endian: true },
        Encoding::Windows1252 => return Ok(Vec::new()),
    };
    let Some(&first_from) = froms.first() else {
        return Ok(Vec::new());
    };
    // Text offset of the unit being read: negative over the BOM (UTF-8) and the `#TYPE` line.
    let mut text: i64 = -(type_line_len as i64);
    if let Units::Bytes = units {
        text -= encoding.bom_len() as i64;
    }
    let mut scan = Scan {
        froms,
        found: Vec::with_capacity(froms.len()),
        from: first_from,
        raw: 0,
        text,
        inside: false,
        pending_high: false,
    };
    let mut input = source.open()?;
    let mut buf = vec![0u8; 256 * 1024];
    let mut carry: Option<u8> = None; // UTF-16: odd byte at the end of a read
    loop {
        let mut filled = 0;
        if let Some(b) = carry.take() {
            buf[0] = b;
            filled = 1;
        }
        let n = read_some(&mut input, &mut buf[filled..])?;
        if n == 0 {
            break;
        }
        filled += n;
        let chunk = &buf[..filled];
        let done = match units {
            Units::Bytes => scan.bytes(chunk),
            Units::Utf16 { big_endian } => {
                let whole = filled & !1;
                if whole < filled {
                    carry = Some(chunk[whole]);
                }
                scan.utf16(&chunk[..whole], big_endian, encoding.bom_len() as u64)
            }
        };
        if done {
            break;
        }
    }
    Ok(scan.found)
}

/// The state of the one pass of [`find_boundaries`].
struct Scan<'f> {
    froms: &'f [u64],
    found: Vec<Boundary>,
    /// The raw offset at or after which the next boundary is wanted.
    from: u64,
    /// Raw offset of the chunk being scanned.
    raw: u64,
    /// Text offset of the unit being read: negative over the BOM (UTF-8) and the `#TYPE`
    /// line.
    text: i64,
    /// Inside quotes.
    inside: bool,
    /// UTF-16: a high surrogate waits for its pair.
    pending_high: bool,
}

impl Scan<'_> {
    /// Record a boundary; true once every one is found. The next must come after this one.
    fn push(&mut self, boundary: Boundary) -> bool {
        self.found.push(boundary);
        match self.froms.get(self.found.len()) {
            Some(&next) => {
                self.from = next.max(boundary.raw);
                false
            }
            None => true,
        }
    }

    /// Scan the next chunk of a UTF-8 file; true once every boundary is found.
    fn bytes(&mut self, chunk: &[u8]) -> bool {
        // The BOM and the `#TYPE` line are not text: start counting after them.
        let skip = (-self.text).clamp(0, chunk.len() as i64) as usize;
        self.text += skip as i64;
        let data = &chunk[skip..];
        let base = self.raw + skip as u64; // raw offset of data[0]
        let mut pos = 0;
        'chunk: while pos < data.len() {
            let before_from =
                (self.from.saturating_sub(base + pos as u64) as usize).min(data.len() - pos);
            // Before `from`, only the parity matters: count the quotes, fast.
            let quotes = memchr::memchr_iter(b'"', &data[pos..pos + before_from]).count();
            self.inside ^= quotes % 2 == 1;
            self.text += before_from as i64;
            pos += before_from;
            while pos < data.len() {
                let b = data[pos];
                pos += 1;
                self.text += 1;
                match b {
                    b'"' => self.inside = !self.inside,
                    b'\n' if !self.inside && self.text > 0 => {
                        let boundary = Boundary {
                            raw: base + pos as u64,
                            text: self.text as u64,
                        };
                        if self.push(boundary) {
                            return true;
                        }
                        continue 'chunk;
                    }
                    _ => {}
                }
            }
        }
        self.raw += chunk.len() as u64;
        false
    }

    /// Scan the next whole code units of a UTF-16 file, whose BOM is `bom_len` bytes; true
    /// once every boundary is found.
    fn utf16(&mut self, units: &[u8], big_endian: bool, bom_len: u64) -> bool {
        for (i, pair) in units.chunks_exact(2).enumerate() {
            let unit = if big_endian {
                u16::from_be_bytes([pair[0], pair[1]])
            } else {
                u16::from_le_bytes([pair[0], pair[1]])
            };
            let at = self.raw + 2 * i as u64; // raw offset of this unit
            if at < bom_len {
                continue;
            }
            // UTF-8 length of the unit as the decoder writes it (an unpaired surrogate
            // becomes U+FFFD, 3 bytes).
            if self.pending_high {
                self.pending_high = false;
                if (0xDC00..0xE000).contains(&unit) {
                    self.text += 1; // the pair is 4 bytes: 3 were counted for the high half
                    continue;
                }
            }
            self.text += match unit {
                0..=0x7F => 1,
                0x80..=0x7FF => 2,
                0xD800..=0xDBFF => {
                    self.pending_high = true;
                    3
                }
                _ => 3,
            };
            if self.text <= 0 {
                continue;
            }
            match unit {
                0x22 => self.inside = !self.inside,
                0x0A if !self.inside && at >= self.from => {
                    let boundary = Boundary {
                        raw: at + 2,
                        text: self.text as u64,
                    };
                    if self.push(boundary) {
                        return true;
                    }
                }
                _ => {}
            }
        }
        self.raw += units.len() as u64;
        false
    }
}

fn read_some<R: Read>(input: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match input.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn memory(bytes: &[u8]) -> Source {
        Source::Memory(Arc::from(bytes))
    }

    /// The text offset and raw offset agree with a direct computation on UTF-8.
    #[test]
    fn utf8_boundary_is_after_a_line_feed_outside_quotes() {
        let text = "\u{FEFF}#TYPE X\r\n\"a\",\"b\"\r\n\"1\",\"x\r\ny\"\r\n\"é\",\"\"\"q\"\r\n\"3\",\"4\"\r\n";
        let bytes = text.as_bytes();
        let type_len = "#TYPE X\r\n".len();
        // From inside the quoted "x\r\ny": the line feed there is skipped.
        let inside_at = text.find("x\r\ny").unwrap() as u64 + 2;
        let b = find_boundary(&memory(bytes), Encoding::Utf8Bom, type_len, inside_at)
            .unwrap()
            .unwrap();
        let expected_raw = text.find("\"é\"").unwrap() as u64;
        assert_eq!(b.raw, expected_raw);
        assert_eq!(b.text, expected_raw - 3 - type_len as u64);
        // No line feed from there on.
        assert_eq!(
            find_boundary(
                &memory(bytes),
                Encoding::Utf8Bom,
                type_len,
                bytes.len() as u64
            )
            .unwrap(),
            None
        );
    }

    #[test]
    fn utf16_boundary_counts_utf8_lengths() {
        let text = "#TYPE X\r\n\"a\",\"b\"\r\n\"é😀\",\"x\ny\"\r\n\"€\",\"2\"\r\n";
        let mut bytes = vec![0xFF, 0xFE];
        bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        let type_len = "#TYPE X\r\n".len();
        // From the line feed inside the quoted "x\ny": the next one outside quotes ends it.
        let inside = text.find("x\ny").unwrap() + 1;
        let from = 2 + 2 * text[..inside].encode_utf16().count() as u64;
        let b = find_boundary(
            &memory(&bytes),
            Encoding::Utf16Le { bom: true },
            type_len,
            from,
        )
        .unwrap()
        .unwrap();
        let utf8_at = text.find("\"€\"").unwrap();
        assert_eq!(b.text, (utf8_at - type_len) as u64);
        let units_before = text[..utf8_at].encode_utf16().count() as u64;
        assert_eq!(b.raw, 2 + 2 * units_before);
    }
}
