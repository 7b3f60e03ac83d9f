//! **Packed** findings: a batch of findings written as bytes, for the time between their
//! making and their locating.
//!
//! The rules' findings are all held at the end of the evaluation, beside the inventory's
//! cells and the evaluation's lookups: the run's peak of memory. As structs, each finding
//! was ~500 bytes there (a 224-byte struct, a 128-byte related location, and a small heap
//! block for each value, message, identity and list). Packed, its numbers are variable-length
//! integers, its texts are bytes in one buffer, and what findings share (codes, help texts,
//! files' places, message templates) is written once per batch and referred to by number.
//! The findings are unpacked once the evaluation's tables are gone ([`unpack_all`]).
//!
//! A **head** is the part of a packed finding the keeper needs to cap and count findings
//! without unpacking them: code, severity, place and anchor, written first.

use std::collections::HashMap;
use std::sync::Arc;

use rayon::prelude::*;

use super::{
    Anchor, Excerpt, Finding, Location, Message, Place, Related, Severity, Span, Template,
};

/// Values shared by findings, each kept once and referred to by its number.
struct Shared<T> {
    items: Vec<T>,
    /// Item number by address, once there are too many items to look through.
    index: HashMap<usize, u32>,
}

/// Items looked through one by one before [`Shared::index`] is used: a batch of one task
/// usually has one code, one help text, a template or two and one file.
const LINEAR: usize = 8;

impl<T: Clone> Shared<T> {
    fn new() -> Self {
        Shared {
            items: Vec::new(),
            index: HashMap::new(),
        }
    }

    /// The number of `item`, whose address is `address`, added when new.
    fn number(&mut self, item: &T, address: impl Fn(&T) -> usize) -> u32 {
        let key = address(item);
        if self.items.len() <= LINEAR {
            if let Some(i) = self.items.iter().position(|x| address(x) == key) {
                return i as u32;
            }
        } else if let Some(&i) = self.index.get(&key) {
            return i;
        }
        let number = self.items.len() as u32;
        self.items.push(item.clone());
        if self.items.len() > LINEAR {
            if self.index.is_empty() {
                let all = self
                    .items
                    .iter()
                    .enumerate()
                    .map(|(i, x)| (address(x), i as u32));
                self.index.extend(all);
            } else {
                self.index.insert(key, number);
            }
        }
        number
    }
}

/// Severities by the byte that stands for them.
const SEVERITIES: [Severity; 3] = [Severity::Info, Severity::Warning, Severity::Error];

fn text_address(text: &Arc<str>) -> usize {
    Arc::as_ptr(text) as *const u8 as usize
}

fn place_address(place: &Arc<Place>) -> usize {
    Arc::as_ptr(place) as usize
}

fn template_address(template: &Template) -> usize {
    template.address()
}

/// A batch of findings as bytes (see the module documentation).
pub struct Packed {
    bytes: Vec<u8>,
    /// Where each finding starts in `bytes`.
    starts: Vec<usize>,
    /// Codes, help texts and excerpt texts.
    texts: Vec<Arc<str>>,
    places: Vec<Arc<Place>>,
    templates: Vec<Template>,
}

/// What the keeper reads of a packed finding (see the module documentation).
pub struct Head<'p> {
    pub code: &'p Arc<str>,
    pub severity: Severity,
    pub place: &'p Arc<Place>,
    pub anchor: Anchor,
}

impl Packed {
    /// Pack `findings`, in their order.
    pub fn new(findings: Vec<Finding>) -> Packed {
        let mut packer = Packer {
            bytes: Vec::new(),
            texts: Shared::new(),
            places: Shared::new(),
            templates: Shared::new(),
        };
        let mut starts = Vec::with_capacity(findings.len());
        for finding in findings {
            starts.push(packer.bytes.len());
            packer.finding(finding);
        }
        packer.bytes.shrink_to_fit();
        Packed {
            bytes: packer.bytes,
            starts,
            texts: packer.texts.items,
            places: packer.places.items,
            templates: packer.templates.items,
        }
    }

    pub fn len(&self) -> usize {
        self.starts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }

    fn reader(&self, start: usize) -> Reader<'_> {
        Reader {
            packed: self,
            at: start,
        }
    }

    /// The heads of the findings, in order.
    pub fn heads(&self) -> impl Iterator<Item = Head<'_>> + '_ {
        self.starts.iter().map(|&start| self.reader(start).head())
    }

    /// Keep only the findings whose head `keep` accepts, in order.
    pub fn retain(&mut self, mut keep: impl FnMut(&Head<'_>) -> bool) {
        let ends = self
            .starts
            .iter()
            .skip(1)
            .copied()
            .chain([self.bytes.len()]);
        let kept: Vec<(usize, usize)> = self
            .starts
            .iter()
            .copied()
            .zip(ends)
            .filter(|&(start, _)| keep(&self.reader(start).head()))
            .collect();
        let mut bytes = Vec::with_capacity(kept.iter().map(|(s, e)| e - s).sum());
        let mut starts = Vec::with_capacity(kept.len());
        for (start, end) in kept {
            starts.push(bytes.len());
            bytes.extend_from_slice(&self.bytes[start..end]);
        }
        self.bytes = bytes;
        self.starts = starts;
    }

    /// The findings, in order.
    pub fn unpack(&self) -> Vec<Finding> {
        self.starts
            .iter()
            .map(|&start| self.reader(start).finding())
            .collect()
    }
}

/// Unpack `batches` into one vector, in order. A few batches (a window) at a time are
/// unpacked by the threads and then freed, so that no more than those are held twice; a
/// window's findings are moved into the vector while the next window is unpacked.
pub fn unpack_all(batches: Vec<Packed>) -> Vec<Finding> {
    let mut all = Vec::with_capacity(batches.iter().map(Packed::len).sum());
    let window = 4 * rayon::current_num_threads().max(1);
    let mut batches = batches.into_iter();
    let mut unpacked: Vec<Vec<Finding>> = Vec::new();
    loop {
        let some: Vec<Packed> = batches.by_ref().take(window).collect();
        if some.is_empty() && unpacked.is_empty() {
            return all;
        }
        // The window before goes into `all` (one thread, in order) while this one is
        // unpacked by the others.
        let (next, ()) = rayon::join(
            || some.par_iter().map(Packed::unpack).collect(),
            || {
                for findings in unpacked.drain(..) {
                    all.extend(findings);
                }
            },
        );
        drop(some);
        unpacked = next;
    }
}

struct Packer {
    bytes: Vec<u8>,
    texts: Shared<Arc<str>>,
    places: Shared<Arc<Place>>,
    templates: Shared<Template>,
}

impl Packer {
    fn number(&mut self, n: u64) {
        let mut n = n;
        while n >= 0x80 {
            self.bytes.push((n as u8) | 0x80);
            n >>= 7;
        }
        self.bytes.push(n as u8);
    }

    fn text(&mut self, text: &str) {
        self.number(text.len() as u64);
        self.bytes.extend_from_slice(text.as_bytes());
    }

    /// A byte saying whether `value` is there (1) or not (0), before the value itself.
    fn present<T>(&mut self, value: Option<T>) -> Option<T> {
        self.bytes.push(u8::from(value.is_some()));
        value
    }

    fn optional_text(&mut self, text: Option<&str>) {
        if let Some(text) = self.present(text) {
            self.text(text);
        }
    }

    fn shared_text(&mut self, text: &Arc<str>) {
        let number = self.texts.number(text, text_address);
        self.number(number.into());
    }

    fn finding(&mut self, finding: Finding) {
        let Finding {
            code,
            severity,
            message,
            help,
            location,
            related,
            identity,
            count,
        } = finding;
        // The head first (see `Reader::head`).
        self.shared_text(&code);
        let severity = SEVERITIES.iter().position(|&s| s == severity).unwrap_or(0);
        self.bytes.push(severity as u8);
        self.location(&location);
        self.message(&message);
        if let Some(help) = self.present(help.as_ref()) {
            self.shared_text(help);
        }
        self.number(related.len() as u64);
        for r in &related {
            self.location(&r.location);
            self.message(&r.message);
        }
        self.optional_text(identity.as_deref());
        if let Some(n) = self.present(count) {
            self.number(n as u64);
        }
    }

    /// Place and anchor first: they end a head.
    fn location(&mut self, location: &Location) {
        let place = self.places.number(&location.place, place_address);
        self.number(place.into());
        match location.anchor {
            Anchor::File => self.bytes.push(0),
            Anchor::Position { line, column } => {
                self.bytes.push(1);
                self.number(line);
                self.number(column);
            }
            Anchor::Record { record } => {
                self.bytes.push(2);
                self.number(record);
            }
            Anchor::Cell { record, field } => {
                self.bytes.push(3);
                self.number(record);
                self.number(field as u64);
            }
        }
        self.number(location.file_id as u64);
        self.optional_text(location.value.as_deref());
        if let Some(span) = self.present(location.span) {
            for n in [span.line, span.column, span.end_line, span.end_column] {
                self.number(n);
            }
        }
        if let Some(excerpt) = self.present(location.excerpt.as_deref()) {
            self.number(excerpt.first_line);
            self.shared_text(&excerpt.text);
            self.number(excerpt.start as u64);
            self.number(excerpt.end as u64);
        }
    }

    fn message(&mut self, message: &Message) {
        let (template, text) = message.parts();
        match template {
            None => self.bytes.push(0),
            Some(template) => {
                let number = self.templates.number(template, template_address);
                self.number(u64::from(number) + 1);
            }
        }
        self.text(text);
    }
}

/// Reads one packed finding. What it reads was written by [`Packer`] from valid values, so
/// a short or odd buffer cannot happen; it would read as zeros and empty texts, not panic.
struct Reader<'p> {
    packed: &'p Packed,
    at: usize,
}

impl<'p> Reader<'p> {
    fn byte(&mut self) -> u8 {
        let byte = self.packed.bytes.get(self.at).copied().unwrap_or(0);
        self.at += 1;
        byte
    }

    fn number(&mut self) -> u64 {
        let mut n = 0u64;
        let mut shift = 0;
        loop {
            let byte = self.byte();
            n |= u64::from(byte & 0x7f).checked_shl(shift).unwrap_or(0);
            if byte & 0x80 == 0 {
                return n;
            }
            shift += 7;
        }
    }

    fn index(&mut self) -> usize {
        usize::try_from(self.number()).unwrap_or(usize::MAX)
    }

    fn text(&mut self) -> &'p str {
        let length = self.index();
        let end = self.at.saturating_add(length);
        let bytes = self.packed.bytes.get(self.at..end).unwrap_or_default();
        self.at = end;
        std::str::from_utf8(bytes).unwrap_or_default()
    }

    /// Whether the value [`Packer::present`] flagged is there.
    fn present(&mut self) -> bool {
        self.byte() != 0
    }

    fn optional_text(&mut self) -> Option<Box<str>> {
        self.present().then(|| self.text().into())
    }

    fn shared_text(&mut self) -> &'p Arc<str> {
        static EMPTY: std::sync::OnceLock<Arc<str>> = std::sync::OnceLock::new();
        let number = self.index();
        let texts = &self.packed.texts;
        texts
            .get(number)
            .unwrap_or_else(|| EMPTY.get_or_init(|| Arc::from("")))
    }

    fn head(&mut self) -> Head<'p> {
        let code = self.shared_text();
        let severity = SEVERITIES
            .get(usize::from(self.byte()))
            .copied()
            .unwrap_or(Severity::Error);
        let (place, anchor) = self.place_and_anchor();
        Head {
            code,
            severity,
            place,
            anchor,
        }
    }

    fn place_and_anchor(&mut self) -> (&'p Arc<Place>, Anchor) {
        static NOWHERE: std::sync::OnceLock<Arc<Place>> = std::sync::OnceLock::new();
        let number = self.index();
        let place = self
            .packed
            .places
            .get(number)
            .unwrap_or_else(|| NOWHERE.get_or_init(|| Arc::new(Place::default())));
        let anchor = match self.byte() {
            1 => Anchor::Position {
                line: self.number(),
                column: self.number(),
            },
            2 => Anchor::Record {
                record: self.number(),
            },
            3 => Anchor::Cell {
                record: self.number(),
                field: self.index(),
            },
            _ => Anchor::File,
        };
        (place, anchor)
    }

    fn finding(&mut self) -> Finding {
        let head = self.head();
        let location = self.location_after(head.place, head.anchor);
        let message = self.message();
        let help = self.present().then(|| self.shared_text().clone());
        let related_count = self.index();
        // Exactly as many as were packed.
        let mut related = Vec::with_capacity(related_count.min(self.packed.bytes.len()));
        for _ in 0..related_count {
            let (place, anchor) = self.place_and_anchor();
            let location = self.location_after(place, anchor);
            let message = self.message();
            related.push(Related { location, message });
        }
        let identity = self.optional_text();
        let count = self.present().then(|| self.index());
        Finding {
            code: head.code.clone(),
            severity: head.severity,
            message,
            help,
            location,
            related,
            identity,
            count,
        }
    }

    /// The rest of a location whose place and anchor were read.
    fn location_after(&mut self, place: &Arc<Place>, anchor: Anchor) -> Location {
        let file_id = self.index();
        let mut location = Location::at(file_id, place.clone(), anchor);
        location.value = self.optional_text();
        location.span = self.present().then(|| Span {
            line: self.number(),
            column: self.number(),
            end_line: self.number(),
            end_column: self.number(),
        });
        location.excerpt = self.present().then(|| {
            Box::new(Excerpt {
                first_line: self.number(),
                text: self.shared_text().clone(),
                start: self.index(),
                end: self.index(),
            })
        });
        location
    }

    fn message(&mut self) -> Message {
        let template = match self.index() {
            0 => None,
            n => self.packed.templates.get(n - 1).cloned(),
        };
        Message::from_parts(template, self.text().into())
    }
}

#[cfg(test)]
mod tests;
