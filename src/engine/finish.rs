//! **Finishing** a run: the kept findings located (lines and excerpts), sorted and capped,
//! and the [`Outcome`] with its summaries (rules run and skipped, absent tables, files and
//! objects per kind, the columns held in memory).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use crate::expr::compile::Schema;
use crate::finding::{builtin, sort_findings, Finding};
use crate::inventory::decl::TableDecl;
use crate::inventory::Inventory;

use super::members::Members;
use super::plan::Plan;
use super::progress::{self, Phase, Progress};
use super::{Kept, MissingTable, Omitted, Options, Outcome};

/// Locate `findings` in their files, add those about files changed while read, sort them and
/// keep the first `--max-findings`, counting the others in `omitted`.
pub(super) fn locate(
    inventory: &Inventory,
    mut findings: Vec<Finding>,
    omitted: &mut Omitted,
    options: &Options,
) -> Vec<Finding> {
    progress::send(
        options.progress.as_ref(),
        Progress::Start {
            phase: Phase::Locating,
            total: 0,
        },
    );
    let mut internal = inventory.locate(&mut findings, options.excerpts);
    findings.append(&mut internal);
    let reported: BTreeSet<usize> = findings
        .iter()
        .filter(|f| *f.code == *builtin::UNREADABLE.0)
        .map(|f| f.location.file_id)
        .collect();
    findings.extend(inventory.changed_files(&reported));
    sort_findings(&mut findings);
    if let Some(max) = options.max_findings {
        for f in findings.drain(max.min(findings.len())..) {
            omitted.add(&f.code, f.severity);
        }
    }
    findings
}

/// The report of a run, from what the stages left.
#[allow(clippy::too_many_arguments)]
pub(super) fn report(
    inventory: Inventory,
    kept: Vec<Kept>,
    schema: &Schema,
    plan: Plan<'_>,
    members: Members,
    findings: Vec<Finding>,
    omitted: Omitted,
    decls: &[TableDecl],
) -> Outcome {
    let Plan {
        runnable,
        mut skipped,
        missing_rules,
        ..
    } = plan;
    skipped.sort_by(|a, b| a.code.cmp(&b.code));
    let mut ran: Vec<Arc<str>> = runnable
        .iter()
        .map(|r| r.rule.code.clone())
        .filter(|c| !skipped.iter().any(|s| *s.code == **c))
        .collect();
    ran.sort();
    let mut tables = BTreeMap::new();
    for f in &inventory.files {
        if let Some(k) = &f.kind {
            *tables.entry(k.to_string()).or_insert(0) += 1;
        }
    }
    let objects = schema
        .kinds
        .iter()
        .enumerate()
        .filter(|(k, _)| members.rows(*k) > 0)
        .map(|(k, info)| (info.name.clone(), members.objects(k)))
        .collect();
    Outcome {
        missing_tables: missing_tables(missing_rules, decls),
        kept,
        findings,
        files: inventory.files.len(),
        rows: inventory.total_rows(),
        rules_run: runnable.len(),
        ran,
        skipped,
        tables,
        objects,
        kinds: schema.kinds.iter().map(|k| k.name.clone()).collect(),
        members,
        gate: Default::default(),
        config: None,
        inventory,
        omitted,
    }
}

/// The columns each file read held in memory.
pub(super) fn kept(inventory: &Inventory) -> Vec<Kept> {
    inventory
        .files
        .iter()
        .filter(|f| f.head.is_some())
        .map(|f| {
            let columns = f.rows.columns.iter().enumerate().filter_map(|(i, c)| {
                c.as_ref().map(|c| {
                    (
                        f.header().get(i).cloned().unwrap_or_default(),
                        c.text_bytes(),
                    )
                })
            });
            let (columns, bytes): (Vec<String>, Vec<usize>) = columns.unzip();
            Kept {
                file: f.display.clone(),
                kind: f.kind.clone(),
                rows: f.rows.count,
                columns,
                bytes: bytes.iter().sum::<usize>() as u64,
            }
        })
        .collect()
}

/// The absent tables with the rules they kept from running, most rules first, then by name.
fn missing_tables(by_kind: BTreeMap<&str, Vec<String>>, decls: &[TableDecl]) -> Vec<MissingTable> {
    let mut out: Vec<MissingTable> = by_kind
        .into_iter()
        .map(|(kind, mut rules)| {
            rules.sort();
            rules.dedup();
            MissingTable {
                table: kind.to_string(),
                export: decls
                    .iter()
                    .find(|d| d.kind == kind)
                    .map_or_else(String::new, |d| d.export.clone()),
                rules,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.rules
            .len()
            .cmp(&a.rules.len())
            .then(a.table.cmp(&b.table))
    });
    out
}
