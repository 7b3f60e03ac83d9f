//! The **head** of a file: what can be learnt from its first bytes without reading it all.
//!
//! Encoding, the `#TYPE` line, the **dialect** (delimiter), the header record and the first
//! data record. Rules are compiled against the header before any row is read, so that only
//! the columns they use are kept (see [`super::table`]). The head also decides whether a file
//! is a CSV at all: `Format-Table` piped to `Export-Csv`, `Format-List`/`Out-File` text and
//! binary data are reported instead of being parsed as tables.

use std::io::{self, Read};

use super::decode::{sniff_encoding, DecodingReader, Encoding, NotUtf8};

/// The header columns `Format-Table | Export-Csv` produces.
const FORMAT_TABLE_MARKER: &str = "ClassId2e4f51ef21dd47e99d3c952918aff9cd";
const DELIMITERS: [u8; 4] = [b',', b';', b'\t', b'|'];
const FIRST_READ: usize = 256 * 1024;
/// A header larger than this is not a header (100,000 columns fit comfortably).
const MAX_HEAD: usize = 64 * 1024 * 1024;

/// What the first bytes of a file say about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub encoding: Encoding,
    /// Where the encoding came from when it was not sniffed (an override) — kept for messages.
    pub encoding_forced: bool,
    /// The .NET type name of the `#TYPE` line, if there is one.
    pub type_name: Option<String>,
    /// Decoded bytes of the `#TYPE` line including its line end (0 without one).
    pub type_line_len: usize,
    pub delimiter: u8,
    pub header: Vec<String>,
    pub first_row: Option<Vec<String>>,
    /// The file holds a header but no data row.
    pub header_only: bool,
    /// 1-based line of the header record.
    pub header_line: u64,
    /// Set when UTF-8 decoding failed and Windows-1252 is used instead.
    pub fallback_from: Option<NotUtf8>,
}

/// Why a file is not read as a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeadProblem {
    /// 0 bytes, or only a BOM / blank lines / a `#TYPE` line.
    Empty,
    /// Text that is not a CSV export; `line` is 1-based.
    NotCsv {
        reason: String,
        line: u64,
    },
    Io(String),
}

/// Options that override sniffing (from the config's table overrides).
#[derive(Debug, Clone, Copy, Default)]
pub struct HeadOptions {
    pub encoding: Option<Encoding>,
    pub delimiter: Option<u8>,
}

/// Read the head of `source`, which yields the raw bytes of the whole file.
pub fn read_head<R: Read>(mut source: R, options: HeadOptions) -> Result<Head, HeadProblem> {
    let io_err = |e: io::Error| HeadProblem::Io(e.to_string());
    let mut raw = Vec::new();
    let mut eof = fill(&mut source, &mut raw, FIRST_READ).map_err(io_err)?;
    if raw.is_empty() {
        return Err(HeadProblem::Empty);
    }
    let mut encoding = options.encoding.unwrap_or_else(|| sniff_encoding(&raw));
    if !encoding.is_utf16() && looks_binary(&raw) {
        return Err(HeadProblem::NotCsv {
            reason: "binary data, not text".into(),
            line: 1,
        });
    }
    let mut fallback_from = None;
    let text = loop {
        match decode_prefix(&raw, encoding, eof) {
            Ok(text) if eof || header_complete(&text) || raw.len() >= MAX_HEAD => break text,
            Ok(_) => {
                let want = (raw.len() * 4).min(MAX_HEAD);
                eof = fill(&mut source, &mut raw, want).map_err(io_err)?;
            }
            Err(err) => match NotUtf8::from_io(&err) {
                Some(bad) if fallback_from.is_none() => {
                    fallback_from = Some(bad);
                    encoding = Encoding::Windows1252;
                }
                _ => return Err(io_err(err)),
            },
        }
    };
    let mut head = parse_head(&text, eof, options.delimiter)?;
    head.encoding = encoding;
    head.encoding_forced = options.encoding.is_some();
    head.fallback_from = fallback_from;
    Ok(head)
}

/// Read from `source` until `raw` holds `want` bytes or the end is reached. Returns true at
/// the end of the file.
fn fill<R: Read>(source: &mut R, raw: &mut Vec<u8>, want: usize) -> io::Result<bool> {
    let start = raw.len();
    raw.resize(want.max(start), 0);
    let mut filled = start;
    while filled < raw.len() {
        match source.read(&mut raw[filled..]) {
            Ok(0) => {
                raw.truncate(filled);
                return Ok(true);
            }
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                raw.truncate(filled);
                return Err(e);
            }
        }
    }
    Ok(false)
}

/// Decode a prefix of the file, cut after its last line end so that no character (or UTF-16
/// unit) is split.
fn decode_prefix(raw: &[u8], encoding: Encoding, eof: bool) -> io::Result<String> {
    let end = if eof {
        raw.len()
    } else {
        prefix_cut(raw, encoding)
    };
    let mut text = String::new();
    DecodingReader::new(&raw[..end], encoding).read_to_string(&mut text)?;
    Ok(text)
}

fn prefix_cut(raw: &[u8], encoding: Encoding) -> usize {
    match encoding {
        Encoding::Utf16Le { .. } => (0..raw.len().saturating_sub(1))
            .rev()
            .find(|&i| i % 2 == 0 && raw[i] == b'\n' && raw[i + 1] == 0)
            .map_or(raw.len() & !1, |i| i + 2),
        Encoding::Utf16Be { .. } => (1..raw.len())
            .rev()
            .find(|&i| i % 2 == 1 && raw[i] == b'\n' && raw[i - 1] == 0)
            .map_or(raw.len() & !1, |i| i + 1),
        _ => raw
            .iter()
            .rposition(|&b| b == b'\n')
            .or_else(|| raw.iter().rposition(|&b| b < 0x80))
            .map_or(0, |i| i + 1),
    }
}

/// Binary data: NUL bytes or many control characters in the first KiBs of a non-UTF-16 file.
fn looks_binary(raw: &[u8]) -> bool {
    let sample = &raw[..raw.len().min(8192)];
    let controls = sample
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\r' | b'\n' | 0x0C))
        .count();
    let nuls = sample.iter().filter(|&&b| b == 0).count();
    controls * 10 > sample.len() || nuls * 100 > sample.len()
}

/// Whether the text holds the `#TYPE` line, the header and one data record completely.
fn header_complete(text: &str) -> bool {
    // Records end at a line end outside quotes; count line ends with even quote parity.
    let mut in_quotes = false;
    let mut ends = 0;
    for b in text.bytes() {
        match b {
            b'"' => in_quotes = !in_quotes,
            b'\n' if !in_quotes => {
                ends += 1;
                if ends >= 3 {
                    return true;
                }
            }
            _ => {}
        }
    }
    false
}

/// Length of the first line including its line end (`\r\n`, `\n` or `\r`).
fn first_line_len(text: &str) -> usize {
    let bytes = text.as_bytes();
    match memchr::memchr2(b'\n', b'\r', bytes) {
        Some(i) if bytes[i] == b'\r' && bytes.get(i + 1) == Some(&b'\n') => i + 2,
        Some(i) => i + 1,
        None => bytes.len(),
    }
}

fn parse_head(text: &str, eof: bool, delimiter: Option<u8>) -> Result<Head, HeadProblem> {
    // Blank lines before the header are skipped by the CSV parser; count them for line numbers.
    let mut offset = 0;
    let mut line = 1;
    let mut type_name = None;
    let mut type_line_len = 0;
    if text.starts_with("#TYPE") {
        type_line_len = first_line_len(text);
        let name = text[5..type_line_len].trim();
        type_name = (!name.is_empty()).then(|| name.to_string());
        offset = type_line_len;
        line = 2;
    }
    let rest = &text[offset..];
    let skipped = rest.len() - rest.trim_start_matches(['\r', '\n']).len();
    line += count_lines(&rest[..skipped]);
    let body = &rest[skipped..];
    if body.trim().is_empty() {
        return Err(HeadProblem::Empty);
    }
    let header_line_text = &body[..first_line_len(body)];
    if let Some(problem) = not_a_csv(body, line) {
        return Err(problem);
    }
    let delimiter = delimiter.unwrap_or_else(|| sniff_delimiter(header_line_text));
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(body.as_bytes());
    let mut records = reader.records();
    let header: Vec<String> = match records.next() {
        Some(Ok(record)) => record.iter().map(str::to_string).collect(),
        Some(Err(e)) => {
            return Err(HeadProblem::NotCsv {
                reason: format!("the header cannot be parsed: {e}"),
                line,
            })
        }
        None => return Err(HeadProblem::Empty),
    };
    let first_row = match records.next() {
        Some(Ok(record)) => Some(record.iter().map(str::to_string).collect()),
        _ => None,
    };
    let header_only = eof && first_row.is_none();
    Ok(Head {
        encoding: Encoding::Utf8,
        encoding_forced: false,
        type_name,
        type_line_len,
        delimiter,
        header,
        first_row,
        header_only,
        header_line: line,
        fallback_from: None,
    })
}

fn count_lines(text: &str) -> u64 {
    let bytes = text.as_bytes();
    let mut lines = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n')) {
            lines += 1;
        }
    }
    lines
}

/// Pick the delimiter occurring most often outside quotes in the header line; `,` on ties.
pub fn sniff_delimiter(header_line: &str) -> u8 {
    let mut counts = [0usize; DELIMITERS.len()];
    let mut in_quotes = false;
    for b in header_line.bytes() {
        if b == b'"' {
            in_quotes = !in_quotes;
        } else if !in_quotes {
            if let Some(i) = DELIMITERS.iter().position(|&d| d == b) {
                counts[i] += 1;
            }
        }
    }
    let mut best = 0;
    for i in 1..DELIMITERS.len() {
        if counts[i] > counts[best] {
            best = i;
        }
    }
    DELIMITERS[best]
}

/// Recognise PowerShell text that is not CSV: Format-Table piped to Export-Csv, and
/// Format-List / Format-Table text written with Out-File.
fn not_a_csv(body: &str, header_line: u64) -> Option<HeadProblem> {
    let first = body.lines().next().unwrap_or("");
    if first.contains(FORMAT_TABLE_MARKER) {
        return Some(HeadProblem::NotCsv {
            reason: "Format-Table output piped to Export-Csv (ClassId2e4f51ef… columns): export \
                     the objects instead, e.g. `Get-CsUser | Select-Object … | Export-Csv`"
                .into(),
            line: header_line,
        });
    }
    let has_delimiter = first.bytes().any(|b| DELIMITERS.contains(&b));
    let list_line = |l: &str| {
        let l = l.trim_end();
        match l.find(" : ").or_else(|| l.strip_suffix(" :").map(str::len)) {
            Some(i) => {
                let key = l[..i].trim();
                !key.is_empty() && !key.contains('"') && !key.contains(' ')
            }
            None => false,
        }
    };
    let sample: Vec<&str> = body
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(8)
        .collect();
    if !sample.is_empty() && sample.iter().filter(|l| list_line(l)).count() * 2 > sample.len() {
        return Some(HeadProblem::NotCsv {
            reason: "Format-List / Out-File text (`Name : Value` lines), not CSV: use \
                     `Export-Csv -NoTypeInformation -Encoding UTF8` instead of Out-File or `>`"
                .into(),
            line: header_line,
        });
    }
    let second = body.lines().nth(1).unwrap_or("").trim();
    if !has_delimiter
        && !second.is_empty()
        && second.bytes().all(|b| b == b'-' || b == b' ')
        && second.contains("--")
    {
        return Some(HeadProblem::NotCsv {
            reason: "Format-Table text (a `----` underline under the column names), not CSV: \
                     use Export-Csv instead of Out-File or `>`"
                .into(),
            line: header_line,
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(text: &str) -> Result<Head, HeadProblem> {
        read_head(text.as_bytes(), HeadOptions::default())
    }

    #[test]
    fn type_line_header_and_first_row() {
        let h = head("#TYPE Selected.Foo.Bar\r\n\"A\",\"B\"\r\n\"1\",\"2\"\r\n").unwrap();
        assert_eq!(h.type_name.as_deref(), Some("Selected.Foo.Bar"));
        assert_eq!(h.type_line_len, 24);
        assert_eq!(h.header, ["A", "B"]);
        assert_eq!(h.first_row, Some(vec!["1".into(), "2".into()]));
        assert_eq!(h.header_line, 2);
        assert!(!h.header_only);
    }

    #[test]
    fn delimiters_are_sniffed_outside_quotes() {
        assert_eq!(sniff_delimiter("\"a,b\";\"c\";\"d\""), b';');
        assert_eq!(sniff_delimiter("a\tb\tc"), b'\t');
        assert_eq!(sniff_delimiter("a|b|c"), b'|');
        assert_eq!(sniff_delimiter("single"), b',');
    }

    #[test]
    fn empty_and_header_only() {
        assert_eq!(head(""), Err(HeadProblem::Empty));
        assert_eq!(head("\u{FEFF}"), Err(HeadProblem::Empty));
        assert_eq!(head("#TYPE X\r\n"), Err(HeadProblem::Empty));
        assert!(head("\"A\",\"B\"\r\n").unwrap().header_only);
    }

    #[test]
    fn powershell_text_is_not_csv() {
        let ft = "\"ClassId2e4f51ef21dd47e99d3c952918aff9cd\",\"pageHeaderEntry\"\r\n\"x\",\r\n";
        assert!(matches!(head(ft), Err(HeadProblem::NotCsv { line: 1, .. })));
        let fl =
            "\r\nIdentity   : CN=Ken\r\nSipAddress : sip:ken@contoso.com\r\nEnabled    : True\r\n";
        assert!(matches!(head(fl), Err(HeadProblem::NotCsv { line: 2, .. })));
        let table = "Name       Version\r\n----       -------\r\npool01     6\r\n";
        assert!(matches!(head(table), Err(HeadProblem::NotCsv { .. })));
        assert!(matches!(
            read_head(
                &b"\x00\x01\x02\x03binary\x00\x00"[..],
                HeadOptions::default()
            ),
            Err(HeadProblem::NotCsv { .. })
        ));
    }

    #[test]
    fn windows_1252_fallback_is_recorded() {
        let h = read_head(
            &b"\"Name\"\r\n\"H\xE9l\xE8ne\"\r\n"[..],
            HeadOptions::default(),
        )
        .unwrap();
        assert_eq!(h.encoding, Encoding::Windows1252);
        assert_eq!(h.first_row, Some(vec!["Hélène".into()]));
        assert_eq!(h.fallback_from.map(|b| b.line), Some(2));
    }
}
