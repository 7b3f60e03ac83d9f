//! **Reading** the inventory: the rows of every file, keeping only the columns the plan
//! uses, in parallel; progress reported as bytes are read. The reading pass's findings go
//! through the keeper batch by batch (see [`Keeper`]).
//!
//! An **early** index is a key index of a table held in one file, built by the thread that
//! read the file as soon as it has, while bigger files are still being read.

use std::collections::BTreeSet;
use std::sync::Mutex;

use rayon::prelude::*;

use crate::expr::compile::{KindId, Schema};
use crate::inventory::{Inventory, TableFile};

use super::data::{guarded_index, index_of_file};
use super::index::KeyIndex;
use super::keeper::Keeper;
use super::plan::Plan;
use super::progress::{self, Phase, Progress, ProgressSink};
use super::Options;

/// A key index built (or the panic's text), by (kind, key).
pub(super) type Built = ((KindId, usize), Result<KeyIndex, String>);

/// Read the rows of `inventory` as `plan` says, adding the findings to `opened` (`read`: the
/// kinds the selected rules read, as [`Keeper::new`] takes them); returns the
/// keeper and the early indexes. Files that could not be read lose their kind in the plan.
pub(super) fn read<'o>(
    inventory: &mut Inventory,
    schema: &Schema,
    plan: &mut Plan<'_>,
    opened: Keeper<'o>,
    read: &'o BTreeSet<String>,
    options: &'o Options,
) -> (Keeper<'o>, Vec<Built>) {
    let sink = options.progress.as_ref();
    send_start(sink, inventory);
    let advance = |bytes| {
        progress::send(
            sink,
            Progress::Advance {
                phase: Phase::Reading,
                done: bytes,
            },
        )
    };
    let counted: Option<&(dyn Fn(u64) + Sync)> = sink.map(|_| &advance as _);
    let early = Mutex::new(Vec::new());
    let plan_now: &Plan<'_> = plan;
    let build_early = |file: &TableFile| add_early(schema, plan_now, file, &early);
    let batches = inventory.read_rows_batched(
        |file| plan_now.fields_to_keep(schema, file.id, file.header().len()),
        counted,
        Some(&build_early),
    );
    let keeper = opened.merge(
        batches
            .fold(
                || Keeper::new(options, Some(read)),
                |mut keeper, found| {
                    keeper.add(found);
                    keeper
                },
            )
            .reduce(|| Keeper::new(options, Some(read)), Keeper::merge),
    );
    let early = early.into_inner().unwrap_or_default();
    for (i, file) in inventory.files.iter().enumerate() {
        if file.failed {
            plan.kind_of_file[i] = None;
        }
    }
    send_end(sink, inventory);
    (keeper, early)
}

/// Tell the progress sink that reading starts: the number of files and of bytes to read.
fn send_start(sink: Option<&ProgressSink>, inventory: &Inventory) {
    progress::send(
        sink,
        Progress::Counts {
            files: inventory.files.len() as u64,
            rows: 0,
        },
    );
    progress::send(
        sink,
        Progress::Start {
            phase: Phase::Reading,
            total: inventory.bytes_to_read(),
        },
    );
}

/// Tell the progress sink that reading is over (the rows read) and indexing starts.
fn send_end(sink: Option<&ProgressSink>, inventory: &Inventory) {
    progress::send(
        sink,
        Progress::Counts {
            files: inventory.files.len() as u64,
            rows: inventory.total_rows() as u64,
        },
    );
    progress::send(
        sink,
        Progress::Start {
            phase: Phase::Indexing,
            total: 0,
        },
    );
}

/// Build the early indexes of `file` (just read) into `early`, when its kind is held in
/// this one file.
fn add_early(schema: &Schema, plan: &Plan<'_>, file: &TableFile, early: &Mutex<Vec<Built>>) {
    let Some(kind) = plan.kind_of_file[file.id].filter(|k| plan.single_file.contains(k)) else {
        return;
    };
    for &(k, key) in plan.lookups.iter().filter(|(k, _)| *k == kind) {
        let index = guarded_index(schema, k, || {
            index_of_file(schema, file, &plan.field_of[file.id], k, key)
        });
        if let Ok(mut early) = early.lock() {
            early.push(((k, key), index));
        }
    }
}
