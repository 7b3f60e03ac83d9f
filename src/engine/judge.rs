//! **Judging** one row and **making a finding** of it: whether a row fails a program
//! (`where`, then `assert`), the uniqueness key of a row, and the finding itself (message,
//! primary and related cells, identity). Shared by every kind of evaluation task.

use crate::expr::compile::{ColumnId, Node};
use crate::expr::eval::{Ctx, Tables};
use crate::expr::value::{RowRef, Value};
use crate::finding::{Anchor, Finding, Message, Related};
use crate::rule::{CompiledMessage, CompiledRule, Program};

use super::data::Data;

/// A message of `compiled` for the context's row: its template and the values of its holes,
/// a long one cut as [`crate::finding::push_quoted`] cuts it.
fn fill<'a>(ctx: &mut Ctx<'a, Data<'a>>, compiled: &'a CompiledMessage) -> Message {
    let mut filling = Message::fill(&compiled.template);
    let mut value = String::new();
    for node in &compiled.values {
        value.clear();
        ctx.eval(node).render(&mut value);
        filling.push_quoted(&value);
    }
    filling.finish()
}

/// The row and column a cell node (`Col`, `x.Col`) points at.
pub(super) fn cell_target<'a>(
    ctx: &mut Ctx<'a, Data<'a>>,
    node: &'a Node,
) -> Option<(RowRef, ColumnId, String)> {
    let Node::Cell { base, column } = node else {
        return None;
    };
    let row = match ctx.eval(base) {
        Value::Row(r) => r,
        Value::Rows(set) => set.first()?,
        _ => return None,
    };
    let value = ctx.tables.cell(row, *column).unwrap_or("").to_string();
    Some((row, *column, value))
}

pub(super) fn make_finding<'a>(
    ctx: &mut Ctx<'a, Data<'a>>,
    rule: &'a CompiledRule,
    program: &'a Program,
    row: Option<RowRef>,
) -> Option<Finding> {
    let data = ctx.tables;
    let message = fill(ctx, &program.message);
    let primary = program.at.as_ref().and_then(|at| cell_target(ctx, at));
    let location = match (primary, row) {
        (Some((r, column, value)), _) => {
            data.location(r, data.anchor_of_cell(r, column), Some(value))
        }
        (None, Some(r)) => data.location(
            r,
            Anchor::Record {
                record: u64::from(r.row) + 1,
            },
            None,
        ),
        (None, None) => return None,
    };
    let mut finding = Finding::new(
        rule.rule.code.clone(),
        rule.rule.severity,
        message,
        location,
    );
    finding.help = Some(rule.rule.help.clone());
    // Exactly as many as the rule declares: a first push would reserve four.
    finding.related.reserve_exact(program.related.len());
    for (at, compiled) in &program.related {
        if let Some((r, column, value)) = cell_target(ctx, at) {
            let message = if compiled.template.is_empty() {
                Message::from(format!(
                    "{} = {value}",
                    data.schema.kinds[data.file_kind(r).unwrap_or(0)].columns[column]
                ))
            } else {
                fill(ctx, compiled)
            };
            finding.related.push(Related {
                location: data.location(r, data.anchor_of_cell(r, column), Some(value)),
                message,
            });
        }
    }
    finding.identity = row.and_then(|r| data.identity(program.this?, r));
    Some(finding)
}

/// Whether `row` is one the program applies to (`where`) and it fails its `assert`.
pub(super) fn fails<'a>(ctx: &mut Ctx<'a, Data<'a>>, program: &'a Program, row: RowRef) -> bool {
    ctx.set_row(Some(row));
    if program
        .where_
        .as_ref()
        .is_some_and(|w| !ctx.eval(w).truthy())
    {
        return false;
    }
    program
        .assert
        .as_ref()
        .is_some_and(|a| !ctx.eval(a).truthy())
}

/// The uniqueness key of the context's row (the `unique` value rendered into `value`, then
/// trimmed and without case, in `key`); `false` when it has none (missing or empty).
pub(super) fn unique_key<'a>(
    ctx: &mut Ctx<'a, Data<'a>>,
    unique: &'a Node,
    value: &mut String,
    key: &mut String,
) -> bool {
    value.clear();
    let v = ctx.eval(unique);
    if v.is_missing() {
        return false;
    }
    v.render(value);
    key.clear();
    let trimmed = crate::expr::value::trim(value);
    if trimmed.is_ascii() {
        key.push_str(trimmed);
        key.make_ascii_lowercase();
    } else {
        // Control, bidi and zero-width characters do not make a value another one: a
        // repeat hidden by a U+200B is still a repeat.
        let visible = trimmed
            .chars()
            .filter(|&c| !crate::visible::is_hidden_char(c));
        key.extend(visible.flat_map(char::to_lowercase));
    }
    if key.bytes().any(|b| b < 0x20 || b == 0x7f) {
        key.retain(|c| !c.is_control());
    }
    !key.is_empty()
}
