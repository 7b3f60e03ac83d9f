//! A [`TableFile`]: one discovered file, with its head, its recognised kind and its rows once
//! read, and the findings made about it (all made through [`TableFile::finding`], so that they
//! carry the file's location and kind).

use std::sync::Arc;

use super::decode;
use super::head::Head;
use super::recognise::RecognisedBy;
use super::source::Source;
use super::table::Rows;
use crate::finding::{builtin, Anchor, FileId, Finding, Location, Place};

/// What is being done to a file when [`TableFile::internal_error`] reports a panic that
/// gives its findings without positions rather than leaving the file unchecked.
pub(super) const LOCATING: &str = "locating findings in";

/// One discovered file.
#[derive(Debug)]
pub struct TableFile {
    pub id: FileId,
    pub source: Source,
    pub display: Arc<str>,
    /// The head, when the file is a readable CSV.
    pub head: Option<Head>,
    /// Index of the table declaration, when recognised.
    pub decl: Option<usize>,
    pub kind: Option<Arc<str>>,
    pub recognised_by: Option<RecognisedBy>,
    pub rows: Rows,
    /// The rows could not be read (the file vanished, changed or failed mid-way).
    pub failed: bool,
    /// The place its locations share, made again when its header names or kind become known
    /// ([`TableFile::name_fields`], [`TableFile::set_kind`]): a finding made before its file was
    /// recognised keeps no table, as it always did.
    place: Arc<Place>,
}

impl TableFile {
    pub(super) fn new(id: FileId, source: Source, display: &str) -> TableFile {
        TableFile {
            id,
            source,
            display: Arc::from(display),
            head: None,
            decl: None,
            kind: None,
            recognised_by: None,
            rows: Rows::default(),
            failed: false,
            place: Place::of_file(display),
        }
    }

    /// Name its fields (as soon as its head is read, before its findings are made).
    pub(super) fn name_fields(&mut self, header: &[String]) {
        self.place = Arc::new(Place {
            fields: header.iter().map(|h| Box::from(h.as_str())).collect(),
            ..(*self.place).clone()
        });
    }

    pub(super) fn set_kind(&mut self, kind: &str) {
        self.kind = Some(Arc::from(kind));
        self.place = Arc::new(Place {
            table: self.kind.clone(),
            ..(*self.place).clone()
        });
    }

    /// The place shared by the locations in this file.
    pub fn place(&self) -> &Arc<Place> {
        &self.place
    }

    /// The internal-error finding for a panic caught while `doing` this file.
    pub(super) fn internal_error(
        &self,
        doing: &str,
        payload: &(dyn std::any::Any + Send),
    ) -> Finding {
        let consequence = if doing == LOCATING {
            "its findings are shown without positions"
        } else {
            "the file was not checked"
        };
        self.finding(
            builtin::INTERNAL,
            format!(
                "internal error while {doing} `{}`: {}; {consequence}. Please report it",
                self.display,
                crate::fault::panic_text(payload)
            ),
            Anchor::File,
        )
    }

    pub fn location(&self, anchor: Anchor) -> Location {
        Location::at(self.id, self.place().clone(), anchor)
    }

    pub(super) fn finding(
        &self,
        code: (&str, crate::finding::Severity),
        message: String,
        anchor: Anchor,
    ) -> Finding {
        Finding::new(code.0, code.1, message, self.location(anchor))
    }

    /// Header names, empty when the file has no head.
    pub fn header(&self) -> &[String] {
        self.head.as_ref().map_or(&[], |h| h.header.as_slice())
    }
}

/// `CSV003` for a file read as Windows-1252 from its first byte that is not UTF-8.
pub(super) fn fallback_finding(file: &TableFile, bad: decode::NotUtf8) -> Finding {
    file.finding(
        builtin::ENCODING,
        format!(
            "not UTF-8 ({bad}); read as Windows-1252. Re-export with \
             `Export-Csv -Encoding UTF8` so names with accents survive"
        ),
        Anchor::Position {
            line: bad.line,
            column: 1,
        },
    )
}
