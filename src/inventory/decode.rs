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
pub struct DecodingReader<R> {
    inner: R,
    encoding: Encoding,
    decoder: encoding_rs::Decoder,
    input: Vec<u8>,
    in_start: usize,
    in_end: usize,
    output: Vec<u8>,
    out_start: usize,
    out_end: usize,
    eof: bool,
    finished: bool,
    bom_to_skip: usize,
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

impl<R: Read> DecodingReader<R> {
    pub fn new(inner: R, encoding: Encoding) -> DecodingReader<R> {
        DecodingReader {
            inner,
            encoding,
            decoder: encoding.codec().new_decoder_without_bom_handling(),
            input: vec![0; CHUNK],
            in_start: 0,
            in_end: 0,
            output: vec![0; CHUNK * 3 + 16],
            out_start: 0,
            out_end: 0,
            eof: false,
            finished: false,
            bom_to_skip: encoding.bom_len(),
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

    fn refill_input(&mut self) -> io::Result<()> {
        if self.in_start > 0 {
            self.input.copy_within(self.in_start..self.in_end, 0);
            self.in_end -= self.in_start;
            self.in_start = 0;
        }
        while self.in_end < self.input.len() && !self.eof {
            match self.inner.read(&mut self.input[self.in_end..]) {
                Ok(0) => self.eof = true,
                Ok(n) => {
                    self.in_end += n;
                    self.raw_total += n as u64;
                    break;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        if self.bom_to_skip > 0 {
            let skip = self.bom_to_skip.min(self.in_end - self.in_start);
            self.in_start += skip;
            self.bom_to_skip -= skip;
            self.raw_consumed += skip as u64;
        }
        Ok(())
    }

    /// Decode the next chunk into `output`. Returns false at the end of the text.
    fn decode_chunk(&mut self) -> io::Result<bool> {
        loop {
            if self.finished {
                return Ok(false);
            }
            if self.in_start == self.in_end || (self.in_end - self.in_start < 4 && !self.eof) {
                self.refill_input()?;
            }
            let last = self.eof;
            let src = &self.input[self.in_start..self.in_end];
            let strict = matches!(self.encoding, Encoding::Utf8 | Encoding::Utf8Bom);
            let (read, written) = if strict {
                let (result, read, written) =
                    self.decoder
                        .decode_to_utf8_without_replacement(src, &mut self.output, last);
                if let encoding_rs::DecoderResult::Malformed(bad, after) = result {
                    // The malformed sequence ends `after` bytes before `read`, and may have
                    // begun in the previous chunk (then none of `src` precedes it).
                    let end = read.saturating_sub(usize::from(after));
                    let good = &src[..end.saturating_sub(usize::from(bad))];
                    let lines = self.raw_lines + memchr::memchr_iter(b'\n', good).count() as u64;
                    let err = NotUtf8 {
                        byte_offset: (self.raw_consumed + end as u64)
                            .saturating_sub(u64::from(bad)),
                        line: lines + 1,
                    };
                    return Err(io::Error::new(io::ErrorKind::InvalidData, err));
                }
                (read, written)
            } else {
                let (_, read, written, replaced) =
                    self.decoder.decode_to_utf8(src, &mut self.output, last);
                self.replaced |= replaced;
                (read, written)
            };
            if strict {
                self.raw_lines += memchr::memchr_iter(b'\n', &src[..read]).count() as u64;
            }
            self.raw_consumed += read as u64;
            self.in_start += read;
            self.out_start = 0;
            self.out_end = written;
            // A plain count vectorises: a small cost next to decoding.
            let quotes = self.output[..written]
                .iter()
                .filter(|&&b| b == b'"')
                .count();
            self.odd_quotes ^= quotes % 2 == 1;
            if last && self.in_start == self.in_end {
                self.finished = true;
            }
            if written > 0 {
                return Ok(true);
            }
            if self.finished {
                return Ok(false);
            }
        }
    }
}

impl<R: Read> Read for DecodingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.out_start == self.out_end && !self.decode_chunk()? {
            return Ok(0);
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
        assert!(reader.replaced);
        assert_eq!(reader.raw_total, 7);
    }

    #[test]
    fn large_input_crosses_chunk_boundaries_intact() {
        let text: String = (0..50_000).map(|i| format!("é{i},€\n")).collect();
        assert_eq!(decode(text.as_bytes()).unwrap(), text);
        assert_eq!(decode(&utf16le(&text, true)).unwrap(), text);
    }
}
