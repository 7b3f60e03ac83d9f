//! **Data**: the evaluation view of an inventory — the kept cells of each file by schema
//! column, the members of each kind, the key indexes (built once, read-only afterwards) and the
//! joins; and the key text of a row.

use std::borrow::Cow;
use std::collections::BTreeSet;

use rayon::prelude::*;

use crate::expr::compile::{ColumnId, KindId, Schema};
use crate::expr::eval::{Ctx, Tables};
use crate::expr::value::RowRef;
use crate::finding::{Anchor, Location};
use crate::inventory::table::Column;
use crate::inventory::{Inventory, TableFile};
use crate::rule::Program;

use super::index::KeyIndex;
use super::{join, members};

/// The evaluation view of an inventory.
pub struct Data<'a> {
    pub(super) inventory: &'a Inventory,
    pub(super) schema: &'a Schema,
    pub(super) kind_of_file: &'a [Option<KindId>],
    pub(super) field_of: Vec<Vec<Option<usize>>>,
    /// The kept cells of each column (by file, then schema column), for cell reads.
    pub(super) columns: Vec<Vec<Option<&'a Column>>>,
    pub(super) all_rows: Vec<Vec<RowRef>>,
    /// Key indexes by kind, then key (`None` where no rule looks the key up).
    pub(super) indexes: Vec<Vec<Option<KeyIndex>>>,
    /// Key indexes whose building panicked, with the panic's text.
    pub(super) failed: Vec<((KindId, usize), String)>,
    pub(super) joins: Vec<join::Join>,
    /// Which rows make up each kind, which are judged, which are one object.
    pub(super) members: members::Members,
}

impl<'a> Data<'a> {
    /// The view of `inventory` for evaluation: its kept cells by schema column, the members
    /// of each kind, the rows of the kinds scanned whole (`scanned`, `None`: all) and the key
    /// indexes `lookups` (those in `built` already built while reading).
    pub(super) fn build(
        inventory: &'a Inventory,
        schema: &'a Schema,
        kind_of_file: &'a [Option<KindId>],
        field_of: Vec<Vec<Option<usize>>>,
        lookups: &BTreeSet<(KindId, usize)>,
        built: Vec<((KindId, usize), Result<KeyIndex, String>)>,
        scanned: Option<&BTreeSet<KindId>>,
    ) -> Data<'a> {
        let columns = field_of
            .iter()
            .zip(&inventory.files)
            .map(|(fields, file)| {
                fields
                    .iter()
                    .map(|f| f.and_then(|f| file.rows.columns.get(f)?.as_ref()))
                    .collect()
            })
            .collect();
        let mut data = Data {
            inventory,
            schema,
            kind_of_file,
            field_of,
            columns,
            all_rows: Vec::new(),
            indexes: Vec::new(),
            failed: Vec::new(),
            joins: Vec::new(),
            members: members::Members::default(),
        };
        let counts: Vec<u32> = inventory
            .files
            .iter()
            .map(|f| u32::try_from(f.rows.count).unwrap_or(u32::MAX))
            .collect();
        let blank: Vec<&[u32]> = inventory
            .files
            .iter()
            .map(|f| f.rows.blank.as_slice())
            .collect();
        data.members = members::Members::build(schema, &data, kind_of_file, &counts, &blank);
        // Lists of all rows, for the kinds expressions scan whole (`find(chat-addins, …)`).
        data.all_rows = (0..schema.kinds.len())
            .map(|k| {
                if scanned.is_none_or(|s| s.contains(&k)) {
                    data.members.parts[k]
                        .iter()
                        .flat_map(|p| p.iter())
                        .collect()
                } else {
                    Vec::new()
                }
            })
            .collect();
        data.add_indexes(lookups, built);
        data
    }

    /// Build the indexes of `lookups` not in `built` (in parallel) and file them all by kind
    /// and key; those whose building panicked go to `failed`.
    fn add_indexes(
        &mut self,
        lookups: &BTreeSet<(KindId, usize)>,
        built: Vec<((KindId, usize), Result<KeyIndex, String>)>,
    ) {
        let schema = self.schema;
        let missing: Vec<(KindId, usize)> = lookups
            .iter()
            .filter(|l| !built.iter().any(|(b, _)| b == *l))
            .copied()
            .collect();
        let more: Vec<((KindId, usize), Result<KeyIndex, String>)> = missing
            .par_iter()
            .map(|&(kind, key)| {
                let index = guarded_index(schema, kind, || self.build_index(kind, key));
                ((kind, key), index)
            })
            .collect();
        let mut indexes: Vec<Vec<Option<KeyIndex>>> = schema
            .kinds
            .iter()
            .map(|k| vec![None; k.keys.len()])
            .collect();
        for ((kind, key), index) in built.into_iter().chain(more) {
            match index {
                Ok(index) => {
                    if let Some(slot) = indexes.get_mut(kind).and_then(|k| k.get_mut(key)) {
                        *slot = Some(index);
                    }
                }
                Err(what) => self.failed.push(((kind, key), what)),
            }
        }
        self.failed.sort_by_key(|(lookup, _)| *lookup);
        self.failed.dedup_by_key(|(lookup, _)| *lookup);
        self.indexes = indexes;
    }

    /// Key text of a row for key `key`, `None` when a key column is absent or empty.
    pub(super) fn row_key<'s>(
        &'s self,
        ctx: &mut Ctx<'s, Self>,
        kind: KindId,
        key: usize,
        row: RowRef,
    ) -> Option<Cow<'s, str>> {
        row_key(self, self.schema, ctx, kind, key, row)
    }

    pub(super) fn build_index(&self, kind: KindId, key: usize) -> KeyIndex {
        let mut ctx = Ctx::new(self, self.schema, &[], 0);
        // Rows with the same key stay in file order.
        let parts = &self.members.parts[kind];
        let rows = parts.iter().flat_map(|p| p.iter());
        let count = self.members.rows(kind);
        KeyIndex::build(
            rows.flat_map(|row| row_keys(self, self.schema, &mut ctx, kind, key, row)),
            count,
        )
    }

    /// The essential columns of `program` (on its own table) that `file` lacks.
    pub(super) fn lacking(&self, program: &Program, file: usize) -> Vec<String> {
        let Some(kind) = program.this else {
            return Vec::new();
        };
        program
            .essential_columns
            .iter()
            .filter(|(k, c)| *k == kind && self.field_of[file].get(*c).copied().flatten().is_none())
            .map(|(_, c)| self.schema.kinds[kind].columns[*c].clone())
            .collect()
    }

    pub(super) fn file_kind(&self, row: RowRef) -> Option<KindId> {
        self.kind_of_file.get(row.file as usize).copied().flatten()
    }

    pub(super) fn anchor_of_cell(&self, row: RowRef, column: ColumnId) -> Anchor {
        let record = u64::from(row.row) + 1;
        match self
            .field_of
            .get(row.file as usize)
            .and_then(|f| f.get(column))
            .copied()
            .flatten()
        {
            Some(field) => Anchor::Cell { record, field },
            None => Anchor::Record { record },
        }
    }

    pub(super) fn location(&self, row: RowRef, anchor: Anchor, value: Option<String>) -> Location {
        let mut location = self.inventory.files[row.file as usize].location(anchor);
        location.value = value.map(String::into_boxed_str);
        location
    }

    /// Identity of a row of `kind` for baselines: its primary key, else its record number.
    pub(super) fn identity(&self, kind: KindId, row: RowRef) -> Option<Box<str>> {
        let info = &self.schema.kinds[kind];
        if !info.has_primary {
            return None;
        }
        let mut ctx = Ctx::new(self, self.schema, &[], 0);
        // Composite keys are joined with `|` here: identities are written into baselines and
        // suppression files by people, where the internal separator would be invisible.
        self.row_key(&mut ctx, kind, 0, row)
            .map(|k| format!("{}:{}", info.name, k.replace('\u{1f}', "|")).into())
    }
}

impl Tables for Data<'_> {
    fn code(&self, row: RowRef, column: ColumnId) -> Option<u32> {
        let cells = (*self.columns.get(row.file as usize)?.get(column)?)?;
        cells.code(row.row as usize).map(u32::from)
    }

    fn cell(&self, row: RowRef, column: ColumnId) -> Option<&str> {
        let cells = (*self.columns.get(row.file as usize)?.get(column)?)?;
        Some(cells.get(row.row as usize))
    }

    fn lookup(&self, kind: KindId, key: usize, value: &str) -> &[RowRef] {
        self.index(kind, key).map_or(&[], |index| index.get(value))
    }

    fn all_rows(&self, kind: KindId) -> &[RowRef] {
        self.all_rows.get(kind).map_or(&[], Vec::as_slice)
    }

    fn joined(
        &self,
        row: RowRef,
        kind: KindId,
        key: usize,
        column: ColumnId,
    ) -> Option<Option<&[RowRef]>> {
        self.joined_rows(row, kind, key, column)
    }
}

/// Key text of a row for key `key`, `None` when a key column is absent or empty.
pub(super) fn row_key<'s, T: Tables>(
    tables: &'s T,
    schema: &Schema,
    ctx: &mut Ctx<'s, T>,
    kind: KindId,
    key: usize,
    row: RowRef,
) -> Option<Cow<'s, str>> {
    let info = &schema.kinds[kind].keys[key];
    let mut joined: Option<String> = None;
    let mut single: Option<Cow<'s, str>> = None;
    for (i, &column) in info.columns.iter().enumerate() {
        let cell = tables.cell(row, column)?;
        if crate::expr::value::trim(cell).is_empty() {
            return None;
        }
        let norm = ctx.normalise(kind, key, i, Cow::Borrowed(cell));
        if info.columns.len() == 1 {
            single = Some(norm);
        } else {
            let j = joined.get_or_insert_with(String::new);
            if i > 0 {
                j.push('\u{1f}');
            }
            j.push_str(&norm);
        }
    }
    single.or(joined.map(Cow::Owned))
}

/// The `(key text, row)` pairs a row puts in the index of key `key`: its key, or for a
/// multi-valued (`split`) key every distinct item of every key column, in cell order.
pub(super) fn row_keys<'s, T: Tables>(
    tables: &'s T,
    schema: &Schema,
    ctx: &mut Ctx<'s, T>,
    kind: KindId,
    key: usize,
    row: RowRef,
) -> RowKeys<'s> {
    let info = &schema.kinds[kind].keys[key];
    let Some(separator) = info.split.as_deref() else {
        // One key: no vector (an empty one does not allocate).
        let one = row_key(tables, schema, ctx, kind, key, row).map(|k| (k, row));
        return one.into_iter().chain(Vec::new());
    };
    let mut out: Vec<(Cow<'s, str>, RowRef)> = Vec::new();
    for (i, &column) in info.columns.iter().enumerate() {
        let Some(cell) = tables.cell(row, column) else {
            continue;
        };
        for item in cell.split(separator) {
            let item = crate::expr::value::trim(item);
            if item.is_empty() {
                continue;
            }
            let norm = ctx.normalise(kind, key, i, Cow::Borrowed(item));
            if !norm.is_empty() {
                out.push((norm, row));
            }
        }
    }
    // A member listed twice (or as member and manager) is one row of its group.
    out.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    out.dedup_by(|a, b| a.0 == b.0);
    None.into_iter().chain(out)
}

/// What [`row_keys`] gives: the key of a row with one, or the items of a split key.
pub(super) type RowKeys<'s> = std::iter::Chain<
    std::option::IntoIter<(Cow<'s, str>, RowRef)>,
    std::vec::IntoIter<(Cow<'s, str>, RowRef)>,
>;

/// The cells of one file, to build its key indexes before the other files are read.
struct OneFile<'a> {
    file: &'a TableFile,
    fields: &'a [Option<usize>],
}

impl Tables for OneFile<'_> {
    fn cell(&self, row: RowRef, column: ColumnId) -> Option<&str> {
        let field = (*self.fields.get(column)?)?;
        self.file.rows.cell(row.row as usize, field)
    }

    fn lookup(&self, _: KindId, _: usize, _: &str) -> &[RowRef] {
        &[]
    }

    fn all_rows(&self, _: KindId) -> &[RowRef] {
        &[]
    }
}

/// Builds a key index of `kind`, turning a panic into its text (a bug in one index costs the
/// rules that use it, not the run).
pub(super) fn guarded_index(
    schema: &Schema,
    kind: KindId,
    build: impl FnOnce() -> KeyIndex,
) -> Result<KeyIndex, String> {
    let run = || {
        crate::fault::inject("index", &schema.kinds[kind].name);
        build()
    };
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(run))
        .map_err(|panic| crate::fault::panic_text(panic.as_ref()))
}

/// Key index `key` of `kind` over the rows of `file` (the only file of its kind).
pub(super) fn index_of_file(
    schema: &Schema,
    file: &TableFile,
    fields: &[Option<usize>],
    kind: KindId,
    key: usize,
) -> KeyIndex {
    let one = OneFile { file, fields };
    let mut ctx = Ctx::new(&one, schema, &[], 0);
    let count = file.rows.count;
    let rows = (0..count as u32).map(|row| RowRef {
        file: file.id as u32,
        row,
    });
    KeyIndex::build(
        rows.flat_map(|row| row_keys(&one, schema, &mut ctx, kind, key, row)),
        count,
    )
}
