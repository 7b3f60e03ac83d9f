//! A record's raw text as the scanner captured it ([`RecordText`]), and resolving an
//! [`Anchor`] in it into a [`Span`] (1-based lines, columns in characters, the end column
//! exclusive) and, for display, an [`Excerpt`] of the lines around it.

use std::ops::Range;
use std::sync::Arc;

use crate::finding::{Anchor, Excerpt, Span};

/// What the scanner keeps of a captured record: the record itself ([`RecordText`]) or only
/// what was wanted of it ([`Resolved`]). Records of a file read in parts are captured with
/// line numbers counted from their part's start, and shifted once the parts are joined.
pub trait Captured: Send {
    fn shift_lines(&mut self, by: u64);
}

/// The spans (and excerpts) of the anchors wanted in one record, resolved as it was read, so
/// that a record's text is never held longer than it takes to resolve them: at 400,000
/// findings, the captured records held 430 MB more than their spans.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resolved(pub Vec<(Anchor, Span, Option<Excerpt>)>);

impl Resolved {
    /// Resolve `anchors` (of one record) in `record`.
    pub fn of(
        record: &RecordText,
        anchors: impl ExactSizeIterator<Item = Anchor>,
        with_excerpt: bool,
    ) -> Resolved {
        let mut out = Vec::with_capacity(anchors.len());
        for anchor in anchors {
            if let Some((span, excerpt)) = resolve(record, anchor, with_excerpt) {
                out.push((anchor, span, excerpt));
            }
        }
        Resolved(out)
    }

    pub fn get(&self, anchor: Anchor) -> Option<(Span, Option<&Excerpt>)> {
        self.0
            .iter()
            .find(|(a, _, _)| *a == anchor)
            .map(|(_, span, excerpt)| (*span, excerpt.as_ref()))
    }
}

impl Captured for Resolved {
    fn shift_lines(&mut self, by: u64) {
        for (_, span, excerpt) in &mut self.0 {
            span.line += by;
            span.end_line += by;
            if let Some(e) = excerpt {
                e.first_line += by;
            }
        }
    }
}

impl Captured for RecordText {
    fn shift_lines(&mut self, by: u64) {
        self.first_line += by;
    }
}

/// The raw text of one record and where its fields are in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordText {
    /// 1-based line of the record's first character.
    pub first_line: u64,
    /// The record's raw text, without its line end.
    pub text: String,
    /// Byte ranges of the raw fields (quotes included) inside `text`.
    pub fields: Vec<Range<usize>>,
}

/// Line and column (1-based, characters) of byte `offset` in a record's text.
fn line_col(record: &RecordText, offset: usize) -> (u64, u64) {
    let before = record.text.get(..offset).unwrap_or(&record.text);
    let bytes = before.as_bytes();
    let mut line = record.first_line;
    let mut line_start = 0;
    // Only the line ends are visited: most records have none.
    for i in memchr::memchr2_iter(b'\n', b'\r', bytes) {
        let breaks = bytes[i] == b'\n' || bytes.get(i + 1) != Some(&b'\n');
        if breaks {
            line += 1;
            line_start = i + 1;
        }
    }
    (line, before[line_start..].chars().count() as u64 + 1)
}

/// Widest excerpt kept around a span for display.
pub(super) const EXCERPT_WINDOW: usize = 160;

/// The span (and, if asked, the excerpt) of `anchor` in a captured record.
pub fn resolve(
    record: &RecordText,
    anchor: Anchor,
    with_excerpt: bool,
) -> Option<(Span, Option<Excerpt>)> {
    let range = match anchor {
        Anchor::Cell { field, .. } => match record.fields.get(field) {
            Some(r) => r.clone(),
            // A field past the end of a short row: point at the end of the record.
            None => record.text.len()..record.text.len(),
        },
        Anchor::Record { .. } => 0..record.text.len(),
        Anchor::File | Anchor::Position { .. } => return None,
    };
    let (line, column) = line_col(record, range.start);
    let (end_line, end_column) = line_col(record, range.end);
    let span = Span {
        line,
        column,
        end_line,
        end_column,
    };
    let excerpt = with_excerpt.then(|| excerpt(record, range));
    Some((span, excerpt))
}

/// The lines of the record around `range`, cut to a window when they are very long.
fn excerpt(record: &RecordText, range: Range<usize>) -> Excerpt {
    let text = record.text.as_str();
    let line_start = text[..range.start].rfind(['\n', '\r']).map_or(0, |i| i + 1);
    let line_end = text[range.end..]
        .find(['\r', '\n'])
        .map_or(text.len(), |i| range.end + i);
    let mut from = line_start;
    let mut to = line_end;
    if range.start - from > EXCERPT_WINDOW {
        from = floor_char(text, range.start - EXCERPT_WINDOW / 2);
    }
    if to - range.end > EXCERPT_WINDOW {
        to = floor_char(text, range.end + EXCERPT_WINDOW / 2);
    }
    if range.end - range.start > 4 * EXCERPT_WINDOW {
        to = floor_char(text, range.start + 4 * EXCERPT_WINDOW).max(from);
    }
    let (first_line, _) = line_col(record, from);
    Excerpt {
        first_line,
        text: Arc::from(&text[from..to]),
        start: range.start - from,
        end: range.end.min(to) - from,
    }
}

fn floor_char(text: &str, mut i: usize) -> usize {
    i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}
