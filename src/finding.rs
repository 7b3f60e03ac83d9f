//! Findings: what invlint reports.
//!
//! A **Finding** is one rule violation (or one problem with an input file) at one primary
//! [`Location`], with optional related locations, usually in other files. Findings are created
//! with an [`Anchor`] (which record and field of which file they are about) and are *resolved*
//! later, once per file and only for the records that have findings, into line/column spans
//! (see [`crate::inventory::locate`]). Keep the word "Diagnostic" for miette's trait.
//!
//! A run can hold hundreds of thousands of findings, so what findings share is not copied
//! into each: a location points at its file's [`Place`] (display path, table kind, header
//! names), and a [`Message`] is its rule's [`Template`] with the values of its holes, written
//! out only when a report is.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

mod message;
mod packed;
pub use message::{Filling, Message, Piece, Template};
pub use packed::{unpack_all, Head, Packed};

/// A value longer than this many bytes is quoted in a message by its first and last
/// [`QUOTED_END`] bytes, with the number of bytes left out between (`…[104857000 bytes left
/// out]…`): one 100 MB cell quoted whole made a 700 MB HTML page. The end is kept because a
/// message part often ends with the explanation (`concat(SipAddress, " is not …")`). The
/// JSON and SARIF outputs keep the whole value in `value`.
pub const MAX_QUOTED: usize = 600;
/// Bytes kept at each end of a value cut by [`push_quoted`].
pub const QUOTED_END: usize = 200;

/// Append `value` to the message `out`, cut in the middle when longer than [`MAX_QUOTED`]
/// bytes (on character boundaries) with a marker saying how many bytes were left out.
pub fn push_quoted(out: &mut String, value: &str) {
    if value.len() <= MAX_QUOTED {
        out.push_str(value);
        return;
    }
    let mut head = QUOTED_END;
    while !value.is_char_boundary(head) {
        head -= 1;
    }
    let mut tail = value.len() - QUOTED_END;
    while !value.is_char_boundary(tail) {
        tail += 1;
    }
    out.push_str(&value[..head]);
    out.push_str(&format!("…[{} bytes left out]…", tail - head));
    out.push_str(&value[tail..]);
}

/// [`push_quoted`] into a new string.
pub fn quoted(value: &str) -> String {
    let mut out = String::new();
    push_quoted(&mut out, value);
    out
}

/// How serious a finding is. Ordered: `Info < Warning < Error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    pub fn parse(text: &str) -> Option<Severity> {
        match text.to_ascii_lowercase().as_str() {
            "info" => Some(Severity::Info),
            "warning" | "warn" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            _ => None,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Index of a file in the inventory (its position in sorted discovery order).
pub type FileId = usize;

/// What part of a file a location is about, before it is resolved to line and column.
///
/// Records are numbered as in the JSON contract: 0 is the header record, 1.. are data rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Anchor {
    /// The whole file (unreadable, unrecognised, empty).
    File,
    /// A 1-based physical line and 1-based character column, already known.
    Position { line: u64, column: u64 },
    /// A whole record (e.g. a ragged row).
    Record { record: u64 },
    /// One field of one record; `field` is the 0-based field index in the file.
    Cell { record: u64, field: usize },
}

impl Anchor {
    pub fn record(self) -> Option<u64> {
        match self {
            Anchor::Record { record } | Anchor::Cell { record, .. } => Some(record),
            Anchor::File | Anchor::Position { .. } => None,
        }
    }
}

/// A resolved span: 1-based lines, 1-based character columns, end column exclusive (SARIF's
/// convention: a one-character cell has `end_column == column + 1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Span {
    pub line: u64,
    pub column: u64,
    pub end_line: u64,
    pub end_column: u64,
}

/// The source text needed to show a location to a person: the physical lines of the record
/// holding the span, and the byte range of the span inside them. Only kept when a reporter
/// needs it (the human format).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Excerpt {
    /// Line number (1-based) of the first line of `text`.
    pub first_line: u64,
    pub text: Arc<str>,
    /// Byte range of the span inside `text`.
    pub start: usize,
    pub end: usize,
}

/// What the locations in one file have in common: its display path, its table kind once
/// recognised, and its header names. One per file, shared by all its locations (as three
/// string pointers in each location, they were 48 bytes of every finding and of every
/// related location).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Place {
    /// Display path: the path as given on the command line joined with the path found under
    /// it, `/`-separated.
    pub file: Arc<str>,
    /// Table kind, when the file was recognised.
    pub table: Option<Arc<str>>,
    /// Header names, in field order (empty when not known).
    pub fields: Box<[Box<str>]>,
}

impl Place {
    /// The place of a file that has no table kind or header (a rule file, a suppression file,
    /// a file that is not a CSV).
    pub fn of_file(file: impl Into<Arc<str>>) -> Arc<Place> {
        Arc::new(Place {
            file: file.into(),
            ..Place::default()
        })
    }
}

/// Where a finding points.
#[derive(Debug, Clone, PartialEq)]
pub struct Location {
    pub file_id: FileId,
    pub place: Arc<Place>,
    pub anchor: Anchor,
    /// The cell's value (unquoted), for cell anchors.
    pub value: Option<Box<str>>,
    /// Filled in by resolution.
    pub span: Option<Span>,
    /// Boxed: most runs keep none, and a location is in every finding.
    pub excerpt: Option<Box<Excerpt>>,
}

impl Location {
    pub fn new(file_id: FileId, file: Arc<str>, anchor: Anchor) -> Location {
        Location::at(file_id, Place::of_file(file), anchor)
    }

    /// A location in the file of `place`.
    pub fn at(file_id: FileId, place: Arc<Place>, anchor: Anchor) -> Location {
        Location {
            file_id,
            place,
            anchor,
            value: None,
            span: None,
            excerpt: None,
        }
    }

    /// Display path of the file.
    pub fn file(&self) -> &Arc<str> {
        &self.place.file
    }

    /// Table kind of the file, when it was recognised.
    pub fn table(&self) -> Option<&str> {
        self.place.table.as_deref()
    }

    /// Header name of the field, for cell anchors.
    pub fn field(&self) -> Option<&str> {
        match self.anchor {
            Anchor::Cell { field, .. } => self.place.fields.get(field).map(|f| &**f),
            _ => None,
        }
    }

    /// Point at another display path (the same file under another name).
    pub fn rename_file(&mut self, file: Arc<str>) {
        Arc::make_mut(&mut self.place).file = file;
    }

    /// 1-based data row (header and `#TYPE` line excluded), if this is a row or cell location.
    pub fn row(&self) -> Option<u64> {
        self.anchor.record().filter(|r| *r > 0)
    }

    /// Span, or the start of the file when the location could not be resolved.
    pub fn span_or_start(&self) -> Span {
        self.span.unwrap_or(Span {
            line: 1,
            column: 1,
            end_line: 1,
            end_column: 1,
        })
    }
}

/// A related location with its own message ("home registrar defined here").
#[derive(Debug, Clone, PartialEq)]
pub struct Related {
    pub location: Location,
    pub message: Message,
}

/// One rule violation or input problem.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub code: Arc<str>,
    pub severity: Severity,
    pub message: Message,
    pub help: Option<Arc<str>>,
    pub location: Location,
    pub related: Vec<Related>,
    /// Row identity for baselines and fingerprints: `kind:key`, the table key value of the row
    /// the finding is about (e.g. `users:ken.myer@contoso.com`), independent of line numbers.
    /// For uniqueness rules it is the repeated value instead, since which row is "the repeat"
    /// depends on row order.
    pub identity: Option<Box<str>>,
    /// For a finding that stands for a group of rows (a `group-by` rule): how many. Its
    /// identity is then the group's value, and baselines and suppressions match on that.
    pub count: Option<usize>,
}

impl Finding {
    pub fn new(
        code: impl Into<Arc<str>>,
        severity: Severity,
        message: impl Into<Message>,
        location: Location,
    ) -> Finding {
        Finding {
            code: code.into(),
            severity,
            message: message.into(),
            help: None,
            location,
            related: Vec::new(),
            identity: None,
            count: None,
        }
    }

    pub fn with_help(mut self, help: impl Into<Arc<str>>) -> Finding {
        self.help = Some(help.into());
        self
    }

    /// The order of the output contract: file, then position, then code, then message.
    pub fn contract_order(&self, other: &Finding) -> std::cmp::Ordering {
        let (a, b) = (&self.location, &other.location);
        // Findings of one file share its path, and of one rule its code: most comparisons of
        // a large run meet the same text twice, told equal without reading it.
        let same = |x: &Arc<str>, y: &Arc<str>| {
            if Arc::ptr_eq(x, y) {
                std::cmp::Ordering::Equal
            } else {
                x.cmp(y)
            }
        };
        same(a.file(), b.file())
            .then_with(|| (a.span_or_start(), a.anchor).cmp(&(b.span_or_start(), b.anchor)))
            .then_with(|| same(&self.code, &other.code))
            .then_with(|| self.message.cmp(&other.message))
    }
}

/// Sort findings in the order of the output contract (file, position, code, message). In
/// place: a stable sort's buffer was half the findings again at the peak of a large run. The
/// result is the same whatever the number of threads: the findings come in the order the
/// rules and rows were checked in, and the parallel sort splits them as one thread would.
pub fn sort_findings(findings: &mut [Finding]) {
    use rayon::slice::ParallelSliceMut;
    // The numbers of the findings are sorted (ties by number), then the findings moved once
    // each: equal findings keep their order, without a stable sort's buffer of half the
    // findings. (No faster than sorting the findings themselves: 2.69 s either way on
    // 400,000.)
    let Ok(count) = u32::try_from(findings.len()) else {
        findings.par_sort_by(Finding::contract_order);
        return;
    };
    let mut order: Vec<u32> = (0..count).collect();
    {
        let all: &[Finding] = findings;
        order.par_sort_unstable_by(|&a, &b| {
            let (x, y) = (&all[a as usize], &all[b as usize]);
            x.contract_order(y).then(a.cmp(&b))
        });
    }
    permute(findings, &mut order);
}

/// Reorder `items` so that position `k` holds what was at `order[k]` (a permutation of the
/// positions), following its cycles; `order` is used up.
fn permute<T>(items: &mut [T], order: &mut [u32]) {
    for start in 0..order.len() {
        let mut at = start;
        // Along the cycle through `start`: the item for `at` is at `order[at]`.
        while let Some(&from) = order.get(at) {
            let from = from as usize;
            if from == start {
                break;
            }
            items.swap(at, from);
            if let Some(done) = order.get_mut(at) {
                *done = at as u32;
            }
            at = from;
        }
        if let Some(done) = order.get_mut(at) {
            *done = at as u32;
        }
    }
}

/// Built-in codes for problems with the input files themselves (contract).
pub mod builtin {
    use super::Severity;

    pub const RAGGED_ROW: (&str, Severity) = ("CSV001", Severity::Error);
    pub const TYPE_NAME_CELL: (&str, Severity) = ("CSV002", Severity::Warning);
    pub const ENCODING: (&str, Severity) = ("CSV003", Severity::Warning);
    pub const NOT_CSV: (&str, Severity) = ("CSV004", Severity::Error);
    /// Info for a CSV nobody declares; raised to warning when its header is a known cmdlet's
    /// output that no table declaration reads yet (a `[[known]]` of `tables.toml`).
    pub const UNRECOGNISED: (&str, Severity) = ("CSV005", Severity::Info);
    pub const MISSING_COLUMN: (&str, Severity) = ("CSV006", Severity::Error);
    pub const DUPLICATE_HEADER: (&str, Severity) = ("CSV007", Severity::Error);
    pub const UNREADABLE: (&str, Severity) = ("CSV008", Severity::Error);
    pub const EMPTY: (&str, Severity) = ("CSV009", Severity::Info);
    /// PowerShell plumbing exported with the data: DataTable rows, remoting columns, a string
    /// piped to Export-Csv, a header repeated by appending.
    pub const EXPORT_ARTEFACT: (&str, Severity) = ("CSV010", Severity::Warning);
    /// A panic caught at a file or rule boundary.
    pub const INTERNAL: (&str, Severity) = ("INV001", Severity::Error);
    /// A suppression entry that matches no finding.
    pub const STALE_SUPPRESSION: (&str, Severity) = ("INV002", Severity::Warning);
    /// One object (a user in two overlapping exports) with different values in two files.
    pub const CONFLICT: (&str, Severity) = ("INV003", Severity::Warning);

    /// Every built-in code with its title, for `invlint rules` and `explain`.
    pub const ALL: &[(&str, Severity, &str)] = &[
        ("CSV001", Severity::Error, "Ragged row: field count differs from the header"),
        ("CSV002", Severity::Warning, "Cell holds a bare .NET type name: a multi-valued property was exported without being joined"),
        ("CSV003", Severity::Warning, "Encoding problem: not UTF-8, or characters replaced by `?`"),
        ("CSV004", Severity::Error, "Not a CSV: Format-Table/Format-List/Out-File text or binary data saved as .csv"),
        ("CSV005", Severity::Info, "CSV not recognised by any table declaration"),
        ("CSV006", Severity::Error, "Recognised table lacks a required column"),
        ("CSV007", Severity::Error, "Duplicate header name"),
        ("CSV008", Severity::Error, "File or folder cannot be read"),
        ("CSV009", Severity::Info, "Empty file, or header only"),
        ("CSV010", Severity::Warning, "Export artefact: DataTable rows, remoting columns, a string or a repeated header exported with the data"),
        ("INV001", Severity::Error, "Internal error while checking a file or rule"),
        ("INV002", Severity::Warning, "Suppression entry matches no finding (stale)"),
        ("INV003", Severity::Warning, "One object has different values in two exports"),
    ];
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_permutation_puts_each_item_where_its_number_says() {
        // Cycles of every length, fixed points, and the identity.
        for n in [0usize, 1, 2, 5, 64, 1000] {
            for step in [1usize, 3, 7] {
                let order: Vec<u32> = (0..n)
                    .map(|k| ((k * step + n / 3) % n.max(1)) as u32)
                    .collect();
                let mut distinct = order.clone();
                distinct.sort_unstable();
                distinct.dedup();
                if distinct.len() != n {
                    continue; // not a permutation for this n and step
                }
                let mut items: Vec<usize> = (0..n).map(|k| k * 10).collect();
                let mut used = order.clone();
                super::permute(&mut items, &mut used);
                let expected: Vec<usize> = order.iter().map(|&k| k as usize * 10).collect();
                assert_eq!(items, expected, "n {n} step {step}");
            }
        }
    }

    #[test]
    fn findings_sort_in_contract_order_and_equal_ones_keep_theirs() {
        use super::*;
        let finding = |file: &str, record: u64, code: &str, message: &str, tag: &str| {
            let mut f = Finding::new(
                code,
                Severity::Warning,
                message.to_string(),
                Location::new(0, file.into(), Anchor::Record { record }),
            );
            // Not part of the order: tells equal findings apart.
            f.identity = Some(tag.into());
            f
        };
        let mut findings = vec![
            finding("b.csv", 1, "X1", "m", "1"),
            finding("a.csv", 2, "X1", "m", "2"),
            finding("a.csv", 2, "X1", "m", "3"),
            finding("a.csv", 1, "X2", "m", "4"),
            finding("a.csv", 1, "X1", "n", "5"),
            finding("a.csv", 2, "X1", "m", "6"),
            finding("a.csv", 1, "X1", "m", "7"),
        ];
        sort_findings(&mut findings);
        let tags: Vec<&str> = findings
            .iter()
            .map(|f| f.identity.as_deref().unwrap_or(""))
            .collect();
        assert_eq!(tags, ["7", "5", "4", "2", "3", "6", "1"]);
    }

    use super::*;

    #[test]
    fn long_values_are_quoted_by_a_bounded_prefix() {
        assert_eq!(quoted("short"), "short");
        let long = format!("{}{}", "é".repeat(1000), " is not valid");
        let q = quoted(&long);
        assert!(q.starts_with(&"é".repeat(100)), "{q}");
        assert!(q.contains("…[1614 bytes left out]…"), "{q}");
        assert!(q.ends_with(" is not valid"), "{q}");
        assert!(q.len() < MAX_QUOTED, "{q}");
    }
}
