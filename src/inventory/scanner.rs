//! The **scanner**: one streaming pass of `csv-core` over decoded text that captures the
//! wanted records ([`RecordText`]) and counts lines itself (CRLF, LF and lone CR each end a
//! line), jumping over the text between wanted records when their positions are known.

use std::io::{self, Read};
use std::ops::Range;

use super::resolve::RecordText;

/// What to keep of each captured record, given its number and text.
pub type Keep<'k, T> = dyn Fn(u64, RecordText) -> T + Sync + 'k;

/// The scanner, reading `size` bytes at a time (small sizes in tests). With `to_end`, it
/// goes on counting lines to the end of `source` once the wanted records are found; it
/// returns the line number it stopped on. `wanted` is sorted without repeats, `positions`
/// (when known) are theirs in the same order, and the records found come in that order.
// Eight arguments: the scan's own settings, each passed by its two callers (one file, one
// part of a file); a struct for them would be built once per call and read once.
#[allow(clippy::too_many_arguments)]
pub(super) fn scan_with_buffer<R: Read, T>(
    source: R,
    delimiter: u8,
    line: u64,
    wanted: &[u64],
    positions: Option<&[u64]>,
    size: usize,
    to_end: bool,
    keep: &Keep<'_, T>,
) -> io::Result<(Vec<(u64, T)>, u64)> {
    let mut found = Vec::with_capacity(wanted.len());
    let last_wanted = wanted.last().copied();
    let mut fields = Fields::new(delimiter, size);
    let mut input = Input::new(source, size, line);
    let mut record: u64 = 0;
    // The first wanted record not yet passed: `wanted[next]`, once moved up to `record`.
    let mut next = 0;
    let mut next_wanted = |record: u64| {
        while wanted.get(next).is_some_and(|&w| w < record) {
            next += 1;
        }
        wanted.get(next).map(|&w| (next, w))
    };
    // Jumped to the record to read next (once per record: the line ends before it may take
    // more than one buffer).
    let mut positioned = false;
    // State of the record being read.
    let mut in_record = false;
    let mut capture: Option<Capture> = None;
    while let Some(last_wanted) = last_wanted {
        input.refill()?;
        if let (false, false, Some(positions)) = (in_record, positioned, positions) {
            // Jump to the next wanted record, only counting the line ends on the way.
            let Some((i, target)) = next_wanted(record) else {
                break;
            };
            input.skip_to(positions.get(i).copied().unwrap_or(u64::MAX))?;
            record = target;
            positioned = true;
        }
        // At the start of a record: it may be split without the parser.
        let mut fresh = false;
        if !in_record {
            // Skip line ends (and blank lines) before a record ourselves, so that the record
            // starts on a known line.
            input.skip_line_ends();
            if input.pos == input.end && !input.eof {
                continue;
            }
            if input.eof && input.pos == input.end {
                break;
            }
            in_record = true;
            fresh = true;
            let is_wanted = next_wanted(record).is_some_and(|(_, w)| w == record);
            capture = is_wanted.then(|| Capture::new(input.line));
        }
        let record_end = match fields.step(&mut input, capture.as_mut(), fresh)? {
            Step::Field => false,
            Step::RecordEnd => true,
            Step::TextEnd => break,
        };
        if record_end {
            if let Some(capture) = capture.take() {
                found.push((record, keep(record, capture.finish())));
            }
            (in_record, positioned) = (false, false);
            if record == last_wanted {
                break;
            }
            record += 1;
        }
    }
    if to_end {
        input.count_to_end()?;
    }
    Ok((found, input.line))
}

/// What one [`Fields::step`] read.
enum Step {
    /// A field, not the record's last.
    Field,
    /// The record's last field, or the whole record.
    RecordEnd,
    /// The end of the text.
    TextEnd,
}

/// The reading of fields: by the parser, or a whole plain record at once ([`split_plain`]).
struct Fields {
    delimiter: u8,
    parser: csv_core::Reader,
    /// Where the parser writes a field's unquoted text (not kept).
    sink: Vec<u8>,
    /// The fields of a record split by [`split_plain`] and not captured.
    skipped: Vec<Range<usize>>,
}

impl Fields {
    fn new(delimiter: u8, size: usize) -> Fields {
        Fields {
            delimiter,
            parser: csv_core::ReaderBuilder::new().delimiter(delimiter).build(),
            sink: vec![0u8; size],
            skipped: Vec::new(),
        }
    }

    /// Read on from `input`, adding what was read to `capture`: the whole record when it is
    /// plain and this is its start (`fresh`), else up to the end of a field.
    fn step<R: Read>(
        &mut self,
        input: &mut Input<R>,
        mut capture: Option<&mut Capture>,
        fresh: bool,
    ) -> io::Result<Step> {
        if fresh {
            // A captured record's fields go straight to it; the others' are only counted past.
            let fields = match capture.as_deref_mut() {
                Some(capture) => &mut capture.fields,
                None => &mut self.skipped,
            };
            if let Some(taken) = input.take_plain(self.delimiter, fields) {
                match capture {
                    Some(capture) => capture.text.extend_from_slice(&input.buf[taken]),
                    None => self.skipped.clear(),
                }
                return Ok(Step::RecordEnd);
            }
        }
        let (result, consumed) =
            input.read_field(&mut self.parser, &mut self.sink, capture.as_deref_mut());
        match result {
            csv_core::ReadFieldResult::InputEmpty | csv_core::ReadFieldResult::OutputFull => {
                if input.eof
                    && consumed == 0
                    && matches!(result, csv_core::ReadFieldResult::OutputFull)
                {
                    return Err(io::Error::other("CSV scanner made no progress"));
                }
                Ok(Step::Field)
            }
            csv_core::ReadFieldResult::Field { record_end } => {
                if let Some(capture) = capture {
                    capture.end_field(consumed, record_end, self.delimiter);
                }
                Ok(match record_end {
                    true => Step::RecordEnd,
                    false => Step::Field,
                })
            }
            csv_core::ReadFieldResult::End => Ok(Step::TextEnd),
        }
    }
}

/// The text being scanned, a buffer at a time, with the line number reached at `pos`.
struct Input<R> {
    source: R,
    buf: Vec<u8>,
    /// The next byte to scan in `buf`, and the end of what `buf` holds.
    pos: usize,
    end: usize,
    /// `source` has no more bytes.
    eof: bool,
    /// Offset in the text of `buf[0]`.
    base: u64,
    line: u64,
    /// The last byte counted was a `\r` (a `\n` right after it ends no other line).
    prev_cr: bool,
}

impl<R: Read> Input<R> {
    fn new(source: R, size: usize, line: u64) -> Input<R> {
        Input {
            source,
            buf: vec![0u8; size],
            pos: 0,
            end: 0,
            eof: false,
            base: 0,
            line,
            prev_cr: false,
        }
    }

    /// Read the next buffer when this one is used up and the source is not.
    fn refill(&mut self) -> io::Result<()> {
        if self.pos == self.end && !self.eof {
            self.base += self.end as u64;
            self.end = read_full(&mut self.source, &mut self.buf)?;
            self.pos = 0;
            self.eof = self.end == 0;
        }
        Ok(())
    }

    /// Move on to text offset `at` (or the end), only counting the line ends on the way.
    fn skip_to(&mut self, at: u64) -> io::Result<()> {
        while self.base + (self.pos as u64) < at && !(self.eof && self.pos == self.end) {
            if self.pos == self.end {
                self.refill()?;
                continue;
            }
            let n = (self.end - self.pos).min((at - self.base - self.pos as u64) as usize);
            count_lines(
                &self.buf[self.pos..self.pos + n],
                &mut self.prev_cr,
                &mut self.line,
            );
            self.pos += n;
        }
        Ok(())
    }

    /// Feed the parser from `pos`; the bytes it takes are counted and added to `capture`.
    fn read_field(
        &mut self,
        parser: &mut csv_core::Reader,
        sink: &mut [u8],
        capture: Option<&mut Capture>,
    ) -> (csv_core::ReadFieldResult, usize) {
        let (result, consumed, _) = parser.read_field(&self.buf[self.pos..self.end], sink);
        let taken = &self.buf[self.pos..self.pos + consumed];
        count_lines(taken, &mut self.prev_cr, &mut self.line);
        if let Some(capture) = capture {
            capture.text.extend_from_slice(taken);
        }
        self.pos += consumed;
        (result, consumed)
    }

    /// The record at `pos` when [`split_plain`] can split it within this buffer (its fields
    /// pushed on `fields`): its bytes are counted and consumed, and their range returned.
    fn take_plain(
        &mut self,
        delimiter: u8,
        fields: &mut Vec<Range<usize>>,
    ) -> Option<Range<usize>> {
        let len = split_plain(&self.buf[self.pos..self.end], delimiter, fields)?;
        let taken = self.pos..self.pos + len;
        count_lines(&self.buf[taken.clone()], &mut self.prev_cr, &mut self.line);
        self.pos += len;
        Some(taken)
    }

    /// Skip the line ends (and blank lines) at `pos`, within this buffer.
    fn skip_line_ends(&mut self) {
        while self.pos < self.end && matches!(self.buf[self.pos], b'\r' | b'\n') {
            count_line(self.buf[self.pos], &mut self.prev_cr, &mut self.line);
            self.pos += 1;
        }
    }

    /// Count the lines from `pos` to the end of the source.
    fn count_to_end(&mut self) -> io::Result<()> {
        loop {
            count_lines(
                &self.buf[self.pos..self.end],
                &mut self.prev_cr,
                &mut self.line,
            );
            if self.eof {
                return Ok(());
            }
            self.end = read_full(&mut self.source, &mut self.buf)?;
            self.pos = 0;
            self.eof = self.end == 0;
        }
    }
}

/// A wanted record being captured: its first line, its raw text so far, the ranges of its
/// fields ended so far and where the field under way starts in the text.
struct Capture {
    first_line: u64,
    text: Vec<u8>,
    fields: Vec<Range<usize>>,
    field_start: usize,
}

impl Capture {
    fn new(first_line: u64) -> Capture {
        Capture {
            first_line,
            text: Vec::new(),
            fields: Vec::new(),
            field_start: 0,
        }
    }

    /// The field under way ended (`record_end`: and with it the record); the call that ended
    /// it consumed `consumed` bytes.
    fn end_field(&mut self, consumed: usize, record_end: bool, delimiter: u8) {
        let mut field_end = self.text.len();
        // The separator is consumed by the call that ends the field; at the end of the input
        // (`consumed == 0`) the last byte is content, e.g. the line end inside a quote left
        // open at the end of the file.
        if field_end > self.field_start && consumed > 0 {
            let last = self.text[field_end - 1];
            let ends_with_separator = if record_end {
                matches!(last, b'\r' | b'\n')
            } else {
                last == delimiter
            };
            if ends_with_separator {
                field_end -= 1;
            }
        }
        self.fields.push(self.field_start..field_end);
        self.field_start = self.text.len();
    }

    /// The record's text without its line end.
    fn finish(mut self) -> RecordText {
        let keep = self.fields.last().map_or(0, |f| f.end);
        self.text.truncate(keep);
        RecordText {
            first_line: self.first_line,
            // Almost always valid: checked without a copy, replaced as before when not.
            text: String::from_utf8(self.text)
                .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
            fields: self.fields,
        }
    }
}

/// Split the record at the start of `bytes` into its raw fields (quotes included, separators
/// not) as `csv-core` does, without it, and return its length with its line end; `None`
/// (nothing pushed) unless the record is **plain**: whole in `bytes`, every quoted field
/// closed right before a delimiter or line end. The others (a quote closed mid-field, a
/// record cut by the buffer's end, a delimiter that is a quote or line end) go to the parser.
///
/// The parser's rules followed: a field starting with a quote runs to a quote that is not
/// doubled; any other field runs to the first delimiter, CR or LF (a quote in it is text);
/// the one byte after a field (delimiter, CR or LF) is consumed with it. Whole records that
/// are plain are what Export-Csv writes, and splitting them with `memchr` is several times
/// faster than the parser's byte-at-a-time state machine.
fn split_plain(bytes: &[u8], delimiter: u8, fields: &mut Vec<Range<usize>>) -> Option<usize> {
    if matches!(delimiter, b'"' | b'\r' | b'\n') || matches!(bytes.first(), Some(b'\r' | b'\n')) {
        return None;
    }
    let before = fields.len();
    let mut start = 0;
    let end = loop {
        let separator = match bytes.get(start) {
            None => None,
            Some(b'"') => closing_quote(bytes, start + 1, delimiter).map(|quote| quote + 1),
            Some(_) => memchr::memchr3(delimiter, b'\r', b'\n', &bytes[start..]).map(|i| start + i),
        };
        let Some(separator) = separator else {
            fields.truncate(before);
            return None;
        };
        fields.push(start..separator);
        start = separator + 1;
        if bytes[separator] != delimiter {
            break start;
        }
    };
    Some(end)
}

/// The quote that closes a quoted field whose content starts at `from`: the first quote not
/// doubled, when a delimiter or line end follows it within `bytes`.
fn closing_quote(bytes: &[u8], mut from: usize, delimiter: u8) -> Option<usize> {
    loop {
        let quote = from + memchr::memchr(b'"', bytes.get(from..)?)?;
        match *bytes.get(quote + 1)? {
            b'"' => from = quote + 2,
            b'\r' | b'\n' => return Some(quote),
            after if after == delimiter => return Some(quote),
            _ => return None,
        }
    }
}

pub(super) fn count_line(b: u8, prev_cr: &mut bool, line: &mut u64) {
    match b {
        b'\r' => {
            *line += 1;
            *prev_cr = true;
        }
        b'\n' => {
            if !*prev_cr {
                *line += 1;
            }
            *prev_cr = false;
        }
        _ => *prev_cr = false,
    }
}

/// [`count_line`] over a slice, visiting only its line ends.
pub(super) fn count_lines(bytes: &[u8], prev_cr: &mut bool, line: &mut u64) {
    let Some(&last) = bytes.last() else {
        return;
    };
    // Index just past the last `\r` seen (0 when it ended the previous slice).
    let mut after_cr = if *prev_cr { Some(0) } else { None };
    for i in memchr::memchr2_iter(b'\r', b'\n', bytes) {
        if bytes[i] == b'\r' {
            *line += 1;
            after_cr = Some(i + 1);
        } else if after_cr != Some(i) {
            *line += 1;
        }
    }
    *prev_cr = last == b'\r';
}

fn read_full<R: Read>(source: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match source.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The record at the start of `bytes` as the parser path of the scanner reads it: its
    /// length with its line end and its fields, or `None` when it does not end in `bytes`.
    fn parsed(bytes: &[u8], delimiter: u8) -> Option<(usize, Vec<Range<usize>>)> {
        let mut parser = csv_core::ReaderBuilder::new().delimiter(delimiter).build();
        let mut sink = vec![0u8; 64];
        let mut capture = Capture::new(1);
        let mut pos = 0;
        loop {
            let (result, consumed, _) = parser.read_field(&bytes[pos..], &mut sink);
            capture.text.extend_from_slice(&bytes[pos..pos + consumed]);
            pos += consumed;
            match result {
                csv_core::ReadFieldResult::Field { record_end } => {
                    capture.end_field(consumed, record_end, delimiter);
                    if record_end {
                        return (consumed > 0).then_some((pos, capture.fields));
                    }
                }
                _ => return None,
            }
        }
    }

    /// Every string of up to 7 bytes over quotes, delimiters, line ends and text: what
    /// `split_plain` splits, it splits as the parser does (and leaves nothing pushed when it
    /// does not).
    #[test]
    fn plain_records_split_as_the_parser_splits_them() {
        // A field already there, which a record that is not split must leave alone.
        const SENTINEL: Range<usize> = 7..9;
        let alphabet = [b'a', b',', b'"', b'\r', b'\n'];
        let mut split = 0;
        for len in 1..=7u32 {
            for n in 0..alphabet.len().pow(len) {
                let mut bytes = Vec::new();
                let mut k = n;
                for _ in 0..len {
                    bytes.push(alphabet[k % alphabet.len()]);
                    k /= alphabet.len();
                }
                let mut fields = Vec::from([SENTINEL]);
                match split_plain(&bytes, b',', &mut fields) {
                    Some(end) => {
                        split += 1;
                        let fields = fields.split_off(1);
                        assert_eq!(parsed(&bytes, b','), Some((end, fields)), "{bytes:?}");
                    }
                    None => assert_eq!(fields, [SENTINEL], "{bytes:?}"),
                }
            }
        }
        assert!(split > 10_000, "{split}");
    }

    #[test]
    fn export_csv_records_are_plain_and_the_others_go_to_the_parser() {
        let mut fields = Vec::new();
        let record = b"\"a\",\"b \"\"c\"\"\",\"\",d\r\n\"next\"";
        assert_eq!(split_plain(record, b',', &mut fields), Some(19));
        assert_eq!(fields, vec![0..3, 4..13, 14..16, 17..18]);
        for other in [
            &b"\"a\"x,b\n"[..], // text after a closing quote
            b"\"a,b",           // quote still open at the end
            b"a,b",             // no line end yet
            b"\"a\"",           // closing quote at the end: is it doubled?
            b"\na,b\n",         // a line end first (the scanner skips those itself)
        ] {
            fields.clear();
            assert_eq!(split_plain(other, b',', &mut fields), None, "{other:?}");
            assert!(fields.is_empty());
        }
        assert_eq!(split_plain(b"a\"b\"c;d\n", b';', &mut fields), Some(8));
        assert_eq!(fields, vec![0..5, 6..7]);
    }
}
