//! The **scanner**: one streaming pass of `csv-core` over decoded text that captures the
//! wanted records ([`RecordText`]) and counts lines itself (CRLF, LF and lone CR each end a
//! line), jumping over the text between wanted records when their positions are known.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Read};
use std::ops::Range;

use super::resolve::RecordText;

/// What to keep of each captured record, given its number and text.
pub type Keep<'k, T> = dyn Fn(u64, RecordText) -> T + Sync + 'k;

/// The scanner, reading `size` bytes at a time (small sizes in tests). With `to_end`, it
/// goes on counting lines to the end of `source` once the wanted records are found; it
/// returns the line number it stopped on.
// Eight arguments: the scan's own settings, each passed by its two callers (one file, one
// part of a file); a struct for them would be built once per call and read once.
#[allow(clippy::too_many_arguments)]
pub(super) fn scan_with_buffer<R: Read, T>(
    source: R,
    delimiter: u8,
    line: u64,
    wanted: &BTreeSet<u64>,
    positions: Option<&BTreeMap<u64, u64>>,
    size: usize,
    to_end: bool,
    keep: &Keep<'_, T>,
) -> io::Result<(BTreeMap<u64, T>, u64)> {
    let mut found = BTreeMap::new();
    let last_wanted = wanted.last().copied();
    let mut parser = csv_core::ReaderBuilder::new().delimiter(delimiter).build();
    let mut input = Input::new(source, size, line);
    let mut sink = vec![0u8; size];
    let mut record: u64 = 0;
    let mut next_wanted = wanted.iter().copied();
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
            let Some(target) = next_wanted.find(|&r| r >= record) else {
                break;
            };
            input.skip_to(positions.get(&target).copied().unwrap_or(u64::MAX))?;
            record = target;
            positioned = true;
        }
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
            capture = wanted.contains(&record).then(|| Capture::new(input.line));
        }
        let (result, consumed) = input.read_field(&mut parser, &mut sink, capture.as_mut());
        match result {
            csv_core::ReadFieldResult::InputEmpty | csv_core::ReadFieldResult::OutputFull => {
                if input.eof
                    && consumed == 0
                    && matches!(result, csv_core::ReadFieldResult::OutputFull)
                {
                    return Err(io::Error::other("CSV scanner made no progress"));
                }
            }
            csv_core::ReadFieldResult::Field { record_end } => {
                if let Some(capture) = capture.as_mut() {
                    capture.end_field(consumed, record_end, delimiter);
                }
                if record_end {
                    if let Some(capture) = capture.take() {
                        found.insert(record, keep(record, capture.finish()));
                    }
                    (in_record, positioned) = (false, false);
                    if record == last_wanted {
                        break;
                    }
                    record += 1;
                }
            }
            csv_core::ReadFieldResult::End => break,
        }
    }
    if to_end {
        input.count_to_end()?;
    }
    Ok((found, input.line))
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
        for &b in taken {
            count_line(b, &mut self.prev_cr, &mut self.line);
        }
        if let Some(capture) = capture {
            capture.text.extend_from_slice(taken);
        }
        self.pos += consumed;
        (result, consumed)
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
            text: String::from_utf8_lossy(&self.text).into_owned(),
            fields: self.fields,
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
