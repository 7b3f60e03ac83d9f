//! **Preparing** the evaluation once the rows are read: the rules that cannot run after all
//! are skipped (a view with no rows, a lookup whose index could not be built), and the joins
//! are built.

use std::collections::BTreeSet;

use crate::expr::compile::{KindId, Schema};
use crate::finding::{builtin, Anchor, Finding};
use crate::inventory::Inventory;
use crate::rule::{CompiledRule, Shape};

use super::data::Data;
use super::join;
use super::keeper::Keeper;
use super::Skipped;

/// Skip the rules reading a view whose base tables hold none of its rows: it is absent after
/// all. (An optional table may be absent: the rule runs, its lookups find nothing.)
pub(super) fn skip_empty_views(
    schema: &Schema,
    data: &Data<'_>,
    runnable: &mut Vec<&CompiledRule>,
    skipped: &mut Vec<Skipped>,
) {
    let empty_view_of = |rule: &CompiledRule, k: KindId| {
        let info = &schema.kinds[k];
        info.base.is_some()
            && data.members.rows(k) == 0
            && !rule.rule.optional_tables.contains(&info.name)
    };
    let (empty, kept): (Vec<&CompiledRule>, Vec<&CompiledRule>) =
        std::mem::take(runnable).into_iter().partition(|rule| {
            let empty_view = |k: &KindId| empty_view_of(rule, *k);
            match rule.rule.shape {
                Shape::Unique(_) => rule
                    .programs
                    .iter()
                    .all(|p| p.this.as_ref().is_none_or(empty_view)),
                _ => rule
                    .programs
                    .iter()
                    .any(|p| p.kinds_used.iter().any(empty_view)),
            }
        });
    *runnable = kept;
    for rule in empty {
        let views: BTreeSet<&str> = rule
            .programs
            .iter()
            .flat_map(|p| p.kinds_used.iter())
            .filter(|k| empty_view_of(rule, **k))
            .map(|k| schema.kinds[*k].name.as_str())
            .collect();
        let views: Vec<&str> = views.into_iter().collect();
        skipped.push(Skipped {
            code: rule.rule.code.to_string(),
            reason: format!(
                "no {} rows in the exports of their services",
                crate::inventory::list(&views)
            ),
        });
    }
}

/// Skip the rules that look up a key whose index could not be built (they would see every
/// lookup as missing); each file of that table gets an internal-error finding.
pub(super) fn skip_failed_indexes(
    schema: &Schema,
    inventory: &Inventory,
    data: &mut Data<'_>,
    runnable: &mut Vec<&CompiledRule>,
    skipped: &mut Vec<Skipped>,
    keeper: &mut Keeper<'_>,
) {
    for ((kind, key), what) in std::mem::take(&mut data.failed) {
        let (lost, kept): (Vec<&CompiledRule>, Vec<&CompiledRule>) =
            std::mem::take(runnable).into_iter().partition(|r| {
                r.programs
                    .iter()
                    .any(|p| p.lookups_used.contains(&(kind, key)))
            });
        *runnable = kept;
        let mut codes: Vec<&str> = lost.iter().map(|r| &*r.rule.code).collect();
        codes.sort_unstable();
        let table = &schema.kinds[kind].name;
        for rule in &lost {
            skipped.push(Skipped {
                code: rule.rule.code.to_string(),
                reason: format!("internal error while indexing the `{table}` table"),
            });
        }
        let columns = schema.kinds[kind].keys[key]
            .columns
            .iter()
            .map(|&c| format!("`{}`", schema.kinds[kind].columns[c]))
            .collect::<Vec<_>>()
            .join(" + ");
        let files: Vec<usize> = data.members.parts[kind]
            .iter()
            .map(|p| p.file as usize)
            .collect();
        for file in files {
            keeper.add(vec![Finding::new(
                builtin::INTERNAL.0,
                builtin::INTERNAL.1,
                format!(
                    "internal error while indexing the `{table}` table by {columns}: {what}; \
                     rules that look it up did not run ({}). Please report it",
                    codes.join(", ")
                ),
                inventory.files[file].location(Anchor::File),
            )]);
        }
    }
}

/// Build the joins of the runnable rules. Joins only save work: when building them panics,
/// evaluation falls back to the lazy lookups, which give the same results (or fail,
/// contained, in the rule that needs them).
pub(super) fn build_joins(data: &mut Data<'_>, runnable: &[&CompiledRule]) {
    let specs = join::specs(runnable);
    let build_joins = || {
        crate::fault::inject("join", "all");
        data.build_joins(&specs)
    };
    let joins = std::panic::catch_unwind(std::panic::AssertUnwindSafe(build_joins));
    data.joins = joins.unwrap_or_default();
}
