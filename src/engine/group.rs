//! **Groups**: one finding per cause.
//!
//! A row rule with `group-by` reports the rows whose assertion fails once per distinct value of
//! the `group-by` expression (rendered, trimmed, case ignored, as `unique` compares): at the
//! first such row in file order, with `group_count` set for its messages, the next rows (up to
//! [`SAMPLES`]) as related locations, and the count on the finding. A row whose group value is
//! missing or empty is reported on its own, as a plain row rule would. The group finding's
//! identity is the group value, so baselines and suppressions follow the cause, not whichever
//! row happens to come first.

use crate::expr::compile::{KindId, Node};
use crate::expr::eval::Ctx;
use crate::expr::value::RowRef;
use crate::finding::{Anchor, Finding, Related};
use crate::rule::{CompiledRule, Program};

use super::data::Data;
use super::index::KeyMap;
use super::judge::{cell_target, fails, make_finding, unique_key};

/// Rows of a group shown as related locations besides the first.
pub const SAMPLES: usize = 5;

struct Group {
    key: String,
    first: RowRef,
    count: usize,
    more: Vec<RowRef>,
}

pub(super) fn eval_grouped<'a>(data: &'a Data<'a>, rule: &'a CompiledRule) -> Vec<Finding> {
    let program = &rule.programs[0];
    let (Some(kind), Some(group_by)) = (program.this, program.group_by.as_ref()) else {
        return Vec::new();
    };
    let mut ctx = Ctx::new(data, data.schema, &program.bindings, program.cache_slots);
    let mut out = Vec::new();
    let groups = collect(&mut ctx, rule, kind, group_by, &mut out);
    let kind_name = &data.schema.kinds[kind].name;
    for group in groups {
        ctx.set_row(Some(group.first));
        ctx.set_group_count(Some(group.count));
        let finding = make_finding(&mut ctx, rule, program, Some(group.first));
        ctx.set_group_count(None);
        let Some(mut finding) = finding else { continue };
        finding.count = Some(group.count);
        finding.identity = Some(format!("{kind_name}:{}", group.key).into());
        for row in group.more {
            finding.related.push(sample(&mut ctx, program, kind, row));
        }
        out.push(finding);
    }
    out
}

/// The groups of the failing rows of `kind`, in order of their first rows; the failing rows
/// with no group value go to `out` as findings of their own.
fn collect<'a>(
    ctx: &mut Ctx<'a, Data<'a>>,
    rule: &'a CompiledRule,
    kind: KindId,
    group_by: &'a Node,
    out: &mut Vec<Finding>,
) -> Vec<Group> {
    let data = ctx.tables;
    let program = &rule.programs[0];
    let mut groups: Vec<Group> = Vec::new();
    let mut by_key: KeyMap<usize> = KeyMap::default();
    let (mut value, mut key) = (String::new(), String::new());
    let runs_on = |file: u32| data.lacking(program, file as usize).is_empty();
    for part in &data.members.parts[kind] {
        if !runs_on(part.file) {
            continue;
        }
        for row in part.iter() {
            // Judged rows only, and each object once: a person in two exports counts once.
            let repeat = data
                .members
                .earlier(kind, row)
                .is_some_and(|earlier| runs_on(earlier.file));
            if !data.members.judged(kind, row) || repeat {
                continue;
            }
            if !fails(ctx, program, row) {
                continue;
            }
            if !unique_key(ctx, group_by, &mut value, &mut key) {
                out.extend(make_finding(ctx, rule, program, Some(row)));
                continue;
            }
            let next = groups.len();
            let (&mut i, inserted) = by_key.get_or_insert_with(&key, || next);
            if inserted {
                groups.push(Group {
                    key: key.clone(),
                    first: row,
                    count: 1,
                    more: Vec::new(),
                });
            } else if let Some(group) = groups.get_mut(i) {
                group.count += 1;
                if group.more.len() < SAMPLES {
                    group.more.push(row);
                }
            }
        }
    }
    groups
}

/// A row of a group besides the first, as a related location: its primary cell (or record)
/// and who it is (its identity, else the cell's value).
fn sample<'a>(
    ctx: &mut Ctx<'a, Data<'a>>,
    program: &'a Program,
    kind: KindId,
    row: RowRef,
) -> Related {
    let data = ctx.tables;
    ctx.set_row(Some(row));
    let at = program.at.as_ref().and_then(|at| cell_target(ctx, at));
    let (location, shown) = match at {
        Some((r, column, value)) if r == row => (
            data.location(r, data.anchor_of_cell(r, column), Some(value.clone())),
            value,
        ),
        _ => (
            data.location(
                row,
                Anchor::Record {
                    record: u64::from(row.row) + 1,
                },
                None,
            ),
            String::new(),
        ),
    };
    let who = data
        .identity(kind, row)
        .and_then(|id| id.split_once(':').map(|(_, k)| k.to_string()))
        .filter(|k| !k.is_empty())
        .unwrap_or(shown);
    Related {
        location,
        message: if who.is_empty() {
            format!("same cause (row {})", row.row + 1).into()
        } else {
            format!("same cause: {who} (row {})", row.row + 1).into()
        },
    }
}
