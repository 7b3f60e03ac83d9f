//! The **inventory**: every file found under the input paths, decoded and parsed.
//!
//! Words used here: a **table** is one CSV file with its **kind** (from a table declaration,
//! see [`decl`]), header and rows; a **row** is a data record (header and `#TYPE` line
//! excluded); a **column** is a header name; a **cell** is one field of one row. The
//! **dialect** of a file is its encoding, delimiter and `#TYPE` line.
//!
//! Loading is two-phase so that memory follows the columns in use: [`Inventory::open`]
//! discovers files and reads their heads (recognising each table's kind), then, once rules
//! are compiled against the headers, [`Inventory::read_rows`] reads every file once in
//! parallel keeping only the columns asked for. [`Inventory::locate`] resolves the findings'
//! anchors to lines and columns at the end, reading again only files that have findings.
//!
//! Where things are: `source.rs` (where bytes come from), `file.rs` (one [`TableFile`]),
//! `open.rs` (opening a file: head, kind, head findings), `issues.rs` (the reading pass's
//! findings), `position.rs` ([`Inventory::locate`]), [`table`] (reading rows), [`locate`]
//! (re-scanning records), [`starts`] (what those two share).

pub mod artefact;
pub mod decl;
pub mod decode;
pub mod discover;
pub mod extract;
mod file;
pub mod head;
mod issues;
pub mod known;
pub mod limit;
pub mod locate;
mod open;
mod position;
pub mod recognise;
pub mod resolve;
mod scanner;
mod source;
pub mod split;
pub mod starts;
pub mod table;

use std::collections::BTreeSet;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::Arc;

use rayon::prelude::*;

use crate::finding::{builtin, Anchor, FileId, Finding, Location};
use decl::TableDecl;
use decode::Encoding;
use issues::read_findings;
use open::open_file;
use recognise::Recogniser;
use table::ReadIssue;

pub use discover::{DiscoverOptions, FoundFile};
pub use file::TableFile;
pub use issues::BATCH;
pub use source::Source;

/// Per-glob overrides of what sniffing decides (from the config file).
#[derive(Debug, Clone, Default)]
pub struct TableOverride {
    pub glob: String,
    pub kind: Option<String>,
    pub delimiter: Option<u8>,
    pub encoding: Option<Encoding>,
}

/// All the files of a run.
#[derive(Debug, Default)]
pub struct Inventory {
    pub files: Vec<TableFile>,
    pub decls: Vec<TableDecl>,
}

impl Inventory {
    /// Discover the files under `roots`, read their heads and recognise their kinds.
    pub fn open(
        roots: &[PathBuf],
        discover_options: &DiscoverOptions,
        decls: Vec<TableDecl>,
        overrides: &[TableOverride],
    ) -> Result<(Inventory, Vec<Finding>), String> {
        let (found, errors) = discover::discover(roots, discover_options)?;
        let (recogniser, decl_errors) = Recogniser::new(&decls);
        if let Some((kind, message)) = decl_errors.into_iter().next() {
            return Err(format!("table declaration `{kind}`: {message}"));
        }
        let override_sets: Vec<(globset::GlobSet, &TableOverride)> = overrides
            .iter()
            .map(|o| discover::glob_set(std::slice::from_ref(&o.glob)).map(|g| (g, o)))
            .collect::<Result<_, _>>()?;
        let mut findings = Vec::new();
        for error in errors {
            let mut location =
                Location::new(usize::MAX, Arc::from(error.display.as_str()), Anchor::File);
            location.file_id = usize::MAX;
            findings.push(Finding::new(
                builtin::UNREADABLE.0,
                builtin::UNREADABLE.1,
                format!("cannot read `{}`: {}", error.display, error.message),
                location,
            ));
        }
        let sources = found
            .into_iter()
            .map(|f| (Source::File(f.path, None), f.display))
            .collect();
        let (inventory, more) =
            Inventory::from_sources(sources, decls, &recogniser, &override_sets);
        findings.extend(more);
        Ok((inventory, findings))
    }

    /// An inventory of in-memory tables, each named `display` and forced to a kind when
    /// one is given (rule examples).
    pub fn from_memory(
        tables: Vec<(String, Option<String>, Vec<u8>)>,
        decls: Vec<TableDecl>,
    ) -> Result<(Inventory, Vec<Finding>), String> {
        let (recogniser, _) = Recogniser::new(&decls);
        let overrides: Vec<TableOverride> = tables
            .iter()
            .filter_map(|(display, kind, _)| {
                kind.as_ref().map(|k| TableOverride {
                    glob: globset::escape(display),
                    kind: Some(k.clone()),
                    ..TableOverride::default()
                })
            })
            .collect();
        let override_sets: Vec<(globset::GlobSet, &TableOverride)> = overrides
            .iter()
            .map(|o| discover::glob_set(std::slice::from_ref(&o.glob)).map(|g| (g, o)))
            .collect::<Result<_, _>>()?;
        let sources = tables
            .into_iter()
            .map(|(display, _, bytes)| (Source::Memory(Arc::from(bytes)), display))
            .collect();
        Ok(Inventory::from_sources(
            sources,
            decls,
            &recogniser,
            &override_sets,
        ))
    }

    fn from_sources(
        sources: Vec<(Source, String)>,
        decls: Vec<TableDecl>,
        recogniser: &Recogniser,
        override_sets: &[(globset::GlobSet, &TableOverride)],
    ) -> (Inventory, Vec<Finding>) {
        let mut findings = Vec::new();
        let opened: Vec<(TableFile, Vec<Finding>)> = sources
            .into_par_iter()
            .enumerate()
            .map(|(id, (source, display))| {
                let applicable: Vec<&TableOverride> = override_sets
                    .iter()
                    .filter(|(set, _)| set.is_match(&display))
                    .map(|(_, o)| *o)
                    .collect();
                // A panic while reading one file is reported on that file; the run goes on.
                let (kept_source, kept_display) = (source.clone(), display.clone());
                catch_unwind(AssertUnwindSafe(|| {
                    open_file(id, source, display, &decls, recogniser, &applicable)
                }))
                .unwrap_or_else(|payload| {
                    let mut file = TableFile::new(id, kept_source, &kept_display);
                    file.failed = true;
                    let finding = file.internal_error("reading", payload.as_ref());
                    (file, vec![finding])
                })
            })
            .collect();
        let mut files = Vec::with_capacity(opened.len());
        for (file, file_findings) in opened {
            files.push(file);
            findings.extend(file_findings);
        }
        (Inventory { files, decls }, findings)
    }

    /// Free the cells read (once the rules have run and no reporter reads them); the files,
    /// heads and record positions stay.
    pub fn drop_cells(&mut self) {
        for file in &mut self.files {
            file.rows.columns = Vec::new();
        }
    }

    /// Read the rows of every file with a head, in parallel, keeping the fields for which
    /// `keep(file)` is true. Returns the built-in findings of the reading pass.
    pub fn read_rows<F>(&mut self, keep: F) -> Vec<Finding>
    where
        F: Fn(&TableFile) -> Vec<bool> + Sync,
    {
        self.read_rows_batched(&keep, None, None)
            .flatten_iter()
            .collect()
    }

    /// [`Inventory::read_rows`] yielding the findings in batches of at most [`BATCH`], made as
    /// they are consumed: a caller that counts rather than keeps them (`--max-findings`) never
    /// holds the millions of findings of a file whose every row is ragged. `progress` is called
    /// with the bytes read as reading goes (from several threads; the calls add up to
    /// [`Inventory::bytes_to_read`]), and `then` with each file read successfully, on the
    /// thread that read it, as soon as it is read.
    pub fn read_rows_batched<'s, F>(
        &'s mut self,
        keep: F,
        progress: Option<&'s (dyn Fn(u64) + Sync)>,
        then: Option<&'s (dyn Fn(&TableFile) + Sync)>,
    ) -> impl ParallelIterator<Item = Vec<Finding>> + 's
    where
        F: Fn(&TableFile) -> Vec<bool> + Sync + Send + 's,
    {
        self.files.par_iter_mut().flat_map_iter(
            move |file| -> Box<dyn Iterator<Item = Vec<Finding>> + Send + 's> {
                let Some(head) = file.head.as_ref() else {
                    return Box::new(std::iter::empty());
                };
                let keep_fields = keep(file);
                // A panic while reading one file is reported on that file; the run goes on.
                let read = catch_unwind(AssertUnwindSafe(|| {
                    crate::fault::inject("read", file_name(&file.display));
                    table::read_rows_counted(&file.source, head, &keep_fields, progress)
                }));
                // Rows of a file that changed while read are not to be trusted.
                let read = read
                    .map(|rows| rows.and_then(|rows| file.source.check_unchanged().map(|()| rows)));
                match read {
                    Ok(Ok(rows)) => {
                        // Rows of another header than the one rules were compiled for.
                        file.failed |= rows.issues.contains(&ReadIssue::HeaderChanged);
                        file.rows = rows;
                        if let Some(then) = then {
                            then(file);
                        }
                        let file: &TableFile = file;
                        let batches = file.rows.issues.len().div_ceil(BATCH).max(1);
                        Box::new((0..batches).map(move |batch| read_findings(file, batch)))
                    }
                    Ok(Err(e)) => {
                        file.failed = true;
                        Box::new(std::iter::once(vec![file.finding(
                            builtin::UNREADABLE,
                            format!("cannot read `{}`: {e}", file.display),
                            Anchor::File,
                        )]))
                    }
                    Err(payload) => {
                        file.failed = true;
                        Box::new(std::iter::once(vec![
                            file.internal_error("reading", payload.as_ref())
                        ]))
                    }
                }
            },
        )
    }

    /// A CSV008 for each file that changed since its head was read, among those not yet
    /// reported unreadable (`reported`: file ids). Asked once the run is over: a file emptied
    /// and rewritten around the moment it was read gives a consistent but wrong picture
    /// ("0 rows"), never to be reported as a clean result.
    pub fn changed_files(&self, reported: &BTreeSet<FileId>) -> Vec<Finding> {
        self.files
            .iter()
            .filter(|f| !f.failed && !reported.contains(&f.id))
            .filter_map(|f| {
                let e = f.source.check_unchanged().err()?;
                Some(f.finding(
                    builtin::UNREADABLE,
                    format!(
                        "`{}` changed while this run read it ({e}): its findings cannot be \
                         trusted",
                        f.display
                    ),
                    Anchor::File,
                ))
            })
            .collect()
    }

    /// The files of a kind, in discovery order.
    pub fn files_of<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a TableFile> + 'a {
        self.files
            .iter()
            .filter(move |f| f.kind.as_deref() == Some(kind) && !f.failed)
    }

    /// Bytes of the files whose rows are to be read (those with a head).
    pub fn bytes_to_read(&self) -> u64 {
        self.files
            .iter()
            .filter(|f| f.head.is_some())
            .map(|f| f.source.len())
            .sum()
    }

    pub fn total_rows(&self) -> usize {
        self.files.iter().map(|f| f.rows.count).sum()
    }
}

fn file_name(display: &str) -> &str {
    display.rsplit('/').next().unwrap_or(display)
}

/// `a`, `a and b`, `a, b and c` with backticks.
pub fn list(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => format!("`{one}`"),
        [init @ .., last] => format!(
            "{} and `{last}`",
            init.iter()
                .map(|i| format!("`{i}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}
