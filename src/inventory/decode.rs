//! Decoding: bytes of one file → UTF-8 text, streamed.
//!
//! The **encoding** of a file is decided from its first bytes ([`sniff_encoding`]): a BOM
//! (UTF-8, UTF-16LE, UTF-16BE), else the NUL pattern of BOM-less UTF-16, else UTF-8. UTF-8 is
//! decoded strictly: [`DecodingReader`] fails with [`NotUtf8`] at the first invalid byte so the
//! caller can start again as Windows-1252 (the ANSI code page of `Set-Content` and
//! `Export-Csv -Encoding Default`). All positions invlint reports refer to the decoded text;
//! byte offsets are never published because they differ from file offsets in UTF-16 files.

use std::fmt;
use std::io::{self, Read};

/// How a file's bytes are turned into text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    Utf8,
    Utf8Bom,
    Utf16Le { bom: bool },
    Utf16Be { bom: bool },
    Windows1252,
}

impl Encoding {
    /// Bytes of BOM at the start of the file.
    pub fn bom_len(self) -> usize {
        match self {
            Encoding::Utf8Bom => 3,
            Encoding::Utf16Le { bom: true } | Encoding::Utf16Be { bom: true } => 2,
            _ => 0,
        }
    }

    /// The label used in output and accepted by overrides.
    pub fn label(self) -> &'static str {
        match self {
            Encoding::Utf8 => "utf-8",
            Encoding::Utf8Bom => "utf-8-bom",
            Encoding::Utf16Le { bom: true } => "utf-16le-bom",
            Encoding::Utf16Le { bom: false } => "utf-16le",
            Encoding::Utf16Be { bom: true } => "utf-16be-bom",
            Encoding::Utf16Be { bom: false } => "utf-16be",
            Encoding::Windows1252 => "windows-1252",
        }
    }

    /// Parse a label given in a config file or on the command line.
    pub fn from_label(label: &str) -> Option<Encoding> {
        Some(
            match label.to_ascii_lowercase().replace('_', "-").as_str() {
                "utf-8" | "utf8" => Encoding::Utf8,
                "utf-8-bom" | "utf8-bom" => Encoding::Utf8Bom,
                "utf-16le" | "utf16le" | "unicode" => Encoding::Utf16Le { bom: false },
                "utf-16be" | "utf16be" | "bigendianunicode" => Encoding::Utf16Be { bom: false },
                "windows-1252" | "cp1252" | "ansi" | "default" => Encoding::Windows1252,
                _ => return None,
            },
        )
    }

    fn codec(self) -> &'static encoding_rs::Encoding {
        match self {
            Encoding::Utf8 | Encoding::Utf8Bom => encoding_rs::UTF_8,
            Encoding::Utf16Le { .. } => encoding_rs::UTF_16LE,
            Encoding::Utf16Be { .. } => encoding_rs::UTF_16BE,
            Encoding::Windows1252 => encoding_rs::WINDOWS_1252,
        }
    }

    /// The same encoding, for reading from a point after the BOM.
    pub fn without_bom(self) -> Encoding {
        match self {
            Encoding::Utf8Bom => Encoding::Utf8,
            Encoding::Utf16Le { .. } => Encoding::Utf16Le { bom: false },
            Encoding::Utf16Be { .. } => Encoding::Utf16Be { bom: false },
            other => other,
        }
    }

    pub fn is_utf16(self) -> bool {
        matches!(self, Encoding::Utf16Le { .. } | Encoding::Utf16Be { .. })
    }
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Decide the encoding from the first bytes of a file (up to a few KiB are enough).
pub fn sniff_encoding(prefix: &[u8]) -> Encoding {
    if prefix.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return Encoding::Utf8Bom;
    }
    if prefix.starts_with(&[0xFF, 0xFE]) {
        return Encoding::Utf16Le { bom: true };
    }
    if prefix.starts_with(&[0xFE, 0xFF]) {
        return Encoding::Utf16Be { bom: true };
    }
    // BOM-less UTF-16 of mostly-ASCII text has a NUL in every other byte.
    let sample = &prefix[..prefix.len().min(4096) & !1];
    if sample.len() >= 4 {
        let pairs = sample.len() / 2;
        let (mut even, mut odd) = (0usize, 0usize);
        for pair in sample.chunks_exact(2) {
            even += usize::from(pair[0] == 0);
            odd += usize::from(pair[1] == 0);
        }
        if odd * 10 >= pairs * 7 && even * 10 <= pairs {
            return Encoding::Utf16Le { bom: false };
        }
        if even * 10 >= pairs * 7 && odd * 10 <= pairs {
            return Encoding::Utf16Be { bom: false };
        }
    }
    Encoding::Utf8
}

/// The error [`DecodingReader`] returns (wrapped in an `io::Error` of kind `InvalidData`) at
/// the first byte that is not valid UTF-8, for a file read as UTF-8.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotUtf8 {
    /// Offset of the bad byte in the file.
    pub byte_offset: u64,
    /// 1-based line of the bad byte.
    pub line: u64,
}

impl fmt::Display for NotUtf8 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid UTF-8 at byte {} (line {})",
            self.byte_offset, self.line
        )
    }
}

impl std::error::Error for NotUtf8 {}

impl NotUtf8 {
    /// Recover a `NotUtf8` from an error returned by a reader stack over a `DecodingReader`.
    pub fn from_io(err: &io::Error) -> Option<NotUtf8> {
        err.get_ref()
            .and_then(|inner| inner.downcast_ref::<NotUtf8>())
            .copied()
    }
}

const CHUNK: usize = 64 * 1024;

/// Streams the UTF-8 text of `inner` (the whole file, BOM included: the BOM is skipped here).
///
/// UTF-8 input is read straight into the caller's buffer and validated there (no copy);
/// other encodings are decoded straight into it when it is large enough.
pub struct DecodingReader<R> {
    inner: R,
    encoding: Encoding,
    decoder: encoding_rs::Decoder,
    input: Vec<u8>,
    in_start: usize,
    in_end: usize,
    /// Text decoded ahead, for callers reading in small pieces.
    output: Vec<u8>,
    out_start: usize,
    out_end: usize,
    eof: bool,
    finished: bool,
    bom_to_skip: usize,
    /// UTF-8 only: the start of a character cut by the end of the previous read.
    carry: [u8; 4],
    carry_len: usize,
    /// Raw bytes consumed so far (BOM included).
    raw_consumed: u64,
    /// Newlines seen in the consumed raw bytes (meaningful for UTF-8 only).
    raw_lines: u64,
    /// Whether a replacement character was produced (malformed UTF-16).
    pub replaced: bool,
    /// Total raw bytes read, to report an odd UTF-16 length.
    pub raw_total: u64,
    /// Whether the decoded text so far holds an odd number of `"`: at the end, a hint that
    /// the file ends inside a quoted value (see [`super::table::read_rows`]).
    pub odd_quotes: bool,
}

/// Whether `text` holds an odd number of `"`. memchr's count uses AVX2 where there is some;
/// a plain `filter().count()` compiles to SSE2 four bytes at a time on the baseline target
/// and was 8 % of a one-thread run.
fn odd_quote_count(text: &[u8]) -> bool {
    memchr::memchr_iter(b'"', text).count() % 2 == 1
}

/// U+FFFD in UTF-8.
const REPLACEMENT: &[u8] = "\u{FFFD}".as_bytes();

/// Below this, reads are served from the reader's own buffer.
const DIRECT: usize = 64;

impl<R: Read> DecodingReader<R> {
    pub fn new(inner: R, encoding: Encoding) -> DecodingReader<R> {
        let strict = matches!(encoding, Encoding::Utf8 | Encoding::Utf8Bom);
        DecodingReader {
            inner,
            encoding,
            decoder: encoding.codec().new_decoder_without_bom_handling(),
            input: if strict { Vec::new() } else { vec![0; CHUNK] },
            in_start: 0,
            in_end: 0,
            output: Vec::new(),
            out_start: 0,
            out_end: 0,
            eof: false,
            finished: false,
            bom_to_skip: encoding.bom_len(),
            carry: [0; 4],
            carry_len: 0,
            raw_consumed: 0,
            raw_lines: 0,
            replaced: false,
            raw_total: 0,
            odd_quotes: false,
        }
    }

    pub fn encoding(&self) -> Encoding {
        self.encoding
    }

    fn strict(&self) -> bool {
        matches!(self.encoding, Encoding::Utf8 | Encoding::Utf8Bom)
    }

    /// One `read` of the inner reader, retrying on interruption; 0 at the end.
    fn read_inner(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match self.inner.read(buf) {
                Ok(n) => {
                    self.raw_total += n as u64;
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Skip the BOM (the first bytes of the file).
    fn skip_bom(&mut self) -> io::Result<()> {
        let mut bom = [0u8; 3];
        while self.bom_to_skip > 0 {
            let want = self.bom_to_skip;
            let n = self.read_inner(&mut bom[..want])?;
            if n == 0 {
                self.bom_to_skip = 0;
                break;
            }
            self.bom_to_skip -= n;
            self.raw_consumed += n as u64;
        }
        Ok(())
    }

    /// UTF-8: read into `buf` (at least 4 bytes) and validate it in place.
    fn read_utf8(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.skip_bom()?;
        loop {
            let carried = self.carry_len;
            buf[..carried].copy_from_slice(&self.carry[..carried]);
            self.carry_len = 0;
            let n = if self.eof {
                0
            } else {
                self.read_inner(&mut buf[carried..])?
            };
            self.eof |= n == 0;
            let filled = carried + n;
            // The SIMD check first; the standard one says where and why when it fails.
            let checked = match simdutf8::basic::from_utf8(&buf[..filled]) {
                Ok(_) => Ok(()),
                Err(_) => std::str::from_utf8(&buf[..filled]).map(|_| ()),
            };
            let valid = match checked {
                Ok(()) => filled,
                // A character cut by the end of this read: keep its start for the next one.
                Err(e) if e.error_len().is_none() && !self.eof => e.valid_up_to(),
                Err(e) => {
                    let good = &buf[..e.valid_up_to()];
                    let lines = self.raw_lines + memchr::memchr_iter(b'\n', good).count() as u64;
                    let err = NotUtf8 {
                        byte_offset: self.raw_consumed + e.valid_up_to() as u64,
                        line: lines + 1,
                    };
                    return Err(io::Error::new(io::ErrorKind::InvalidData, err));
                }
            };
            self.carry_len = filled - valid;
            self.carry[..self.carry_len].copy_from_slice(&buf[valid..filled]);
            self.raw_lines += memchr::memchr_iter(b'\n', &buf[..valid]).count() as u64;
            self.raw_consumed += valid as u64;
            self.odd_quotes ^= odd_quote_count(&buf[..valid]);
            if valid > 0 || self.eof {
                return Ok(valid);
            }
        }
    }

    fn refill_input(&mut self) -> io::Result<()> {
        if self.in_start > 0 {
            self.input.copy_within(self.in_start..self.in_end, 0);
            self.in_end -= self.in_start;
            self.in_start = 0;
        }
        if self.in_end < self.input.len() && !self.eof {
            let mut input = std::mem::take(&mut self.input);
            let n = self.read_inner(&mut input[self.in_end..]);
            self.input = input;
            match n? {
                0 => self.eof = true,
                n => self.in_end += n,
            }
        }
        Ok(())
    }

    /// Other encodings: decode the next piece into `out` (at least 4 bytes). 0 at the end.
    fn decode_into(&mut self, out: &mut [u8]) -> io::Result<usize> {
        self.skip_bom()?;
        loop {
            if self.finished {
                return Ok(0);
            }
            if self.in_start == self.in_end || (self.in_end - self.in_start < 4 && !self.eof) {
                self.refill_input()?;
            }
            let last = self.eof;
            let src = &self.input[self.in_start..self.in_end];
            let (_, read, written, replaced) = self.decoder.decode_to_utf8(src, out, last);
            // The odd last byte of a UTF-16 file decodes to one U+FFFD at the very end. It has
            // its own finding (odd byte count), so it alone does not make the text malformed.
            let odd_tail_only = last
                && read == src.len()
                && self.encoding.is_utf16()
                && self.raw_total % 2 == 1
                && out[..written].ends_with(REPLACEMENT)
                && memchr::memmem::find_iter(&out[..written], REPLACEMENT).count() == 1;
            self.replaced |= replaced && !odd_tail_only;
            self.raw_consumed += read as u64;
            self.in_start += read;
            self.odd_quotes ^= odd_quote_count(&out[..written]);
            if last && self.in_start == self.in_end {
                self.finished = true;
            }
            if written > 0 || self.finished {
                return Ok(written);
            }
        }
    }

    /// Fill `self.output` with the next piece of text. Returns false at the end.
    fn fill_output(&mut self) -> io::Result<bool> {
        let mut output = std::mem::take(&mut self.output);
        if output.is_empty() {
            output = vec![0; CHUNK * 3 + 16];
        }
        let n = if self.strict() {
            self.read_utf8(&mut output)
        } else {
            self.decode_into(&mut output)
        };
        self.output = output;
        self.out_start = 0;
        self.out_end = n?;
        Ok(self.out_end > 0)
    }
}

impl<R: Read> Read for DecodingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.out_start == self.out_end {
            if buf.len() >= DIRECT {
                return if self.strict() {
                    self.read_utf8(buf)
                } else {
                    self.decode_into(buf)
                };
            }
            if !self.fill_output()? {
                return Ok(0);
            }
        }
        let n = buf.len().min(self.out_end - self.out_start);
        buf[..n].copy_from_slice(&self.output[self.out_start..self.out_start + n]);
        self.out_start += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(bytes: &[u8]) -> io::Result<String> {
        let mut text = String::new();
        DecodingReader::new(bytes, sniff_encoding(bytes)).read_to_string(&mut text)?;
        Ok(text)
    }

    fn utf16le(text: &str, bom: bool) -> Vec<u8> {
        let mut out = if bom { vec![0xFF, 0xFE] } else { vec![] };
        out.extend(text.encode_utf16().flat_map(|u| u.to_le_bytes()));
        out
    }

    #[test]
    fn sniffs_boms_and_nul_patterns() {
        assert_eq!(sniff_encoding(b"\xEF\xBB\xBFa,b"), Encoding::Utf8Bom);
        assert_eq!(
            sniff_encoding(b"\xFF\xFEa\0"),
            Encoding::Utf16Le { bom: true }
        );
        assert_eq!(
            sniff_encoding(b"\xFE\xFF\0a"),
            Encoding::Utf16Be { bom: true }
        );
        assert_eq!(
            sniff_encoding(&utf16le("\"a\",\"b\"\r\n", false)),
            Encoding::Utf16Le { bom: false }
        );
        assert_eq!(
            sniff_encoding(b"\0a\0,\0b\0\r"),
            Encoding::Utf16Be { bom: false }
        );
        assert_eq!(sniff_encoding(b"a,b\r\n"), Encoding::Utf8);
        assert_eq!(sniff_encoding(b""), Encoding::Utf8);
    }

    #[test]
    fn decodes_each_encoding_and_strips_the_bom() {
        assert_eq!(decode("\u{FEFF}é,b".as_bytes()).unwrap(), "é,b");
        assert_eq!(decode(&utf16le("Hélène,€", true)).unwrap(), "Hélène,€");
        assert_eq!(decode(&utf16le("Hélène,x", false)).unwrap(), "Hélène,x");
        let mut be = vec![0xFE, 0xFF];
        be.extend("Müller".encode_utf16().flat_map(|u| u.to_be_bytes()));
        assert_eq!(decode(&be).unwrap(), "Müller");
    }

    #[test]
    fn invalid_utf8_reports_offset_and_line_then_1252_decodes() {
        let bytes = b"a,b\r\nH\xE9l\xE8ne,c\r\n";
        let err = decode(bytes).unwrap_err();
        let bad = NotUtf8::from_io(&err).expect("NotUtf8 inside the io::Error");
        assert_eq!(
            bad,
            NotUtf8 {
                byte_offset: 6,
                line: 2
            }
        );
        let mut text = String::new();
        DecodingReader::new(&bytes[..], Encoding::Windows1252)
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text, "a,b\r\nHélène,c\r\n");
    }

    /// Found by fuzzing: a malformed sequence that began at the end of one chunk, or that the
    /// end of the file cuts short, is reported after its bytes were consumed (an underflow
    /// before).
    #[test]
    fn malformed_sequence_across_chunks_is_located() {
        let err = decode(b"a,b\nH\xC3").unwrap_err();
        assert_eq!(
            NotUtf8::from_io(&err),
            Some(NotUtf8 {
                byte_offset: 5,
                line: 2
            })
        );
        let mut bytes = b"a,b\n".to_vec();
        bytes.resize(CHUNK - 2, b'a');
        bytes.extend_from_slice(&[0xE2, 0x82]);
        bytes.extend_from_slice(b"x,b\n");
        let err = decode(&bytes).unwrap_err();
        assert_eq!(
            NotUtf8::from_io(&err),
            Some(NotUtf8 {
                byte_offset: (CHUNK - 2) as u64,
                line: 2
            })
        );
    }

    #[test]
    fn odd_utf16_length_is_replaced_not_lost() {
        let mut bytes = utf16le("ab", true);
        bytes.push(b'c');
        let mut reader = DecodingReader::new(&bytes[..], sniff_encoding(&bytes));
        let mut text = String::new();
        reader.read_to_string(&mut text).unwrap();
        assert_eq!(text, "ab\u{FFFD}");
        // Reported as an odd byte count, not as malformed text as well.
        assert!(!reader.replaced);
        assert_eq!(reader.raw_total, 7);
        // A lone surrogate before the odd byte is malformed text.
        let mut bytes = utf16le("a", true);
        bytes.extend([0x00, 0xD8, b'b', 0x00, b'c']);
        let mut reader = DecodingReader::new(&bytes[..], sniff_encoding(&bytes));
        let mut text = String::new();
        reader.read_to_string(&mut text).unwrap();
        assert_eq!(text, "a\u{FFFD}b\u{FFFD}");
        assert!(reader.replaced);
    }

    /// Reads in pieces of `size` bytes.
    fn decode_by(bytes: &[u8], size: usize) -> io::Result<String> {
        let mut reader = DecodingReader::new(bytes, sniff_encoding(bytes));
        let mut out = Vec::new();
        let mut buf = vec![0u8; size];
        loop {
            let n = reader.read(&mut buf)?;
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
        }
        Ok(String::from_utf8(out).expect("valid UTF-8"))
    }

    /// A reader that returns at most `step` bytes per read, to cut characters.
    struct Trickle<'a>(&'a [u8], usize);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.1.min(buf.len()).min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn any_read_sizes_and_cut_characters_give_the_same_text() {
        let text: String = (0..2000).map(|i| format!("é{i},€😀\r\n")).collect();
        let mut bom = "\u{FEFF}".as_bytes().to_vec();
        bom.extend_from_slice(text.as_bytes());
        for bytes in [text.as_bytes().to_vec(), bom, utf16le(&text, true)] {
            for size in [1, 3, 5, 63, 64, 100, 4096] {
                assert_eq!(decode_by(&bytes, size).unwrap(), text, "size {size}");
            }
            for step in [1, 2, 3, 7] {
                let mut out = String::new();
                DecodingReader::new(Trickle(&bytes, step), sniff_encoding(&bytes))
                    .read_to_string(&mut out)
                    .unwrap();
                assert_eq!(out, text, "step {step}");
            }
        }
    }

    #[test]
    fn invalid_utf8_is_found_at_any_read_size() {
        let mut bytes = "ab\ncd\né".repeat(100).into_bytes();
        bytes.extend_from_slice(b"\n\xE9x");
        let offset = bytes.len() as u64 - 2;
        for size in [4, 64, 100, 4096] {
            let err = decode_by(&bytes, size).unwrap_err();
            let bad = NotUtf8::from_io(&err).expect("NotUtf8");
            assert_eq!(
                bad,
                NotUtf8 {
                    byte_offset: offset,
                    line: 202
                },
                "size {size}"
            );
        }
        // A character cut by the end of the file.
        let err = decode_by(b"ab\xC3", 64).unwrap_err();
        assert_eq!(NotUtf8::from_io(&err).map(|b| b.byte_offset), Some(2));
    }

    #[test]
    fn large_input_crosses_chunk_boundaries_intact() {
        let text: String = (0..50_000).map(|i| format!("é{i},€\n")).collect();
        assert_eq!(decode(text.as_bytes()).unwrap(), text);
        assert_eq!(decode(&utf16le(&text, true)).unwrap(), text);
    }
}
