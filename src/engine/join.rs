//! **Joins**: lookups by a column of the checked row, resolved once per row for all rules.
//!
//! Several rules often look up the same thing for each row (`registrars[RegistrarPool]` in six
//! shipped rules, `registrations.user[SipAddress]` in four). Each rule evaluates on its own, so
//! without joins every one of them normalises the cell and probes the key index again. A join
//! does it once per row, in parallel, before the rules run, and keeps the result as the group
//! number in the key index (4 bytes per row). Only lookups written in two or more programs are
//! joined; others stay lazy. Evaluation reads a join through [`Tables::joined`](crate::expr::eval::Tables::joined), with the same
//! result the lazy lookup would give.
//!
//! The walk over compiled expressions here also finds the kinds read as whole tables, the
//! only ones whose list of rows is built.

use std::borrow::Cow;
use std::collections::BTreeSet;

use rayon::prelude::*;

use super::index::{KeyIndex, GROUP};
use super::Data;
use crate::expr::compile::{ColumnId, KindId, Node};
use crate::expr::eval::{by_own_column, Ctx};
use crate::expr::value::RowRef;
use crate::rule::{CompiledMessage, CompiledRule, Program};

/// The lookup key text was missing (the file lacks the column): the lookup is missing.
const MISSING: u32 = u32::MAX;
/// The key text matched no row.
const NONE: u32 = u32::MAX - 1;

/// `kind[key][column]` on rows of `from`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct JoinSpec {
    pub from: KindId,
    pub kind: KindId,
    pub key: usize,
    pub column: ColumnId,
}

/// A join's results: per file (by file index; empty for other kinds), per row, the group.
#[derive(Debug)]
pub struct Join {
    spec: JoinSpec,
    groups: Vec<Vec<u32>>,
}

/// Calls `f` on `node` and everything below it.
fn each_node<'n>(node: &'n Node, f: &mut impl FnMut(&'n Node)) {
    f(node);
    node.each_child(&mut |child| each_node(child, f));
}

fn parts(message: &CompiledMessage) -> impl Iterator<Item = &Node> {
    message.values.iter()
}

fn program_nodes(p: &Program) -> impl Iterator<Item = &Node> {
    p.bindings
        .iter()
        .chain(p.where_.iter())
        .chain(p.assert.iter())
        .chain(p.unique.iter())
        .chain(p.at.iter())
        .chain(parts(&p.message))
        .chain(
            p.related
                .iter()
                .flat_map(move |(n, m)| std::iter::once(n).chain(parts(m))),
        )
}

/// The lookups worth joining: by one column of the checked row, in two or more programs.
pub fn specs(rules: &[&CompiledRule]) -> Vec<JoinSpec> {
    let mut seen: Vec<(JoinSpec, usize)> = Vec::new();
    for rule in rules {
        for p in &rule.programs {
            let Some(from) = p.this else { continue };
            let mut here: Vec<JoinSpec> = Vec::new();
            for node in program_nodes(p) {
                each_node(node, &mut |n| {
                    if let Node::Lookup { kind, key, args } = n {
                        if let Some(column) = by_own_column(args) {
                            let spec = JoinSpec {
                                from,
                                kind: *kind,
                                key: *key,
                                column,
                            };
                            if !here.contains(&spec) {
                                here.push(spec);
                            }
                        }
                    }
                });
            }
            for spec in here {
                match seen.iter_mut().find(|(s, _)| *s == spec) {
                    Some((_, n)) => *n += 1,
                    None => seen.push((spec, 1)),
                }
            }
        }
    }
    let mut out: Vec<JoinSpec> = seen
        .into_iter()
        .filter(|&(_, n)| n >= 2)
        .map(|(s, _)| s)
        .collect();
    out.sort();
    out
}

/// The kinds whose whole list of rows an expression reads (`find(chat-addins, …)`,
/// `any(registrars, …)`).
pub fn scanned_kinds(rules: &[&CompiledRule]) -> BTreeSet<KindId> {
    let mut out = BTreeSet::new();
    for p in rules.iter().flat_map(|r| &r.programs) {
        for node in program_nodes(p) {
            each_node(node, &mut |n| {
                if let Node::AllRows(kind) = n {
                    out.insert(*kind);
                }
            });
        }
    }
    out
}

/// Rows per join task.
const CHUNK: usize = 64 * 1024;

impl Data<'_> {
    /// Resolve `specs` for every row (after the key indexes are built).
    pub(super) fn build_joins(&self, specs: &[JoinSpec]) -> Vec<Join> {
        let mut tasks: Vec<(usize, usize, usize, usize)> = Vec::new(); // (spec, file, start, end)
        for (s, spec) in specs.iter().enumerate() {
            for (file, kind) in self.kind_of_file.iter().enumerate() {
                if *kind != Some(spec.from) {
                    continue;
                }
                let count = self.inventory.files[file].rows.count;
                let mut start = 0;
                while start < count {
                    let end = (start + CHUNK).min(count);
                    tasks.push((s, file, start, end));
                    start = end;
                }
            }
        }
        let done: Vec<Vec<u32>> = tasks
            .par_iter()
            .map(|&(s, file, start, end)| self.resolve(specs[s], file, start..end))
            .collect();
        let mut joins: Vec<Join> = specs
            .iter()
            .map(|&spec| Join {
                spec,
                groups: vec![Vec::new(); self.kind_of_file.len()],
            })
            .collect();
        for ((s, file, _, _), part) in tasks.into_iter().zip(done) {
            joins[s].groups[file].extend(part);
        }
        joins
    }

    /// What `kind[key][column]` gives for rows `rows` of `file`, as the lazy lookup computes it.
    fn resolve<'s>(
        &'s self,
        spec: JoinSpec,
        file: usize,
        rows: std::ops::Range<usize>,
    ) -> Vec<u32> {
        let index = self.index(spec.kind, spec.key);
        let mut ctx = Ctx::new(self, self.schema, &[], 0);
        let column = self
            .columns
            .get(file)
            .and_then(|c| c.get(spec.column))
            .copied()
            .flatten();
        let Some(column) = column else {
            return vec![MISSING; rows.len()];
        };
        let Some(index) = index else {
            return vec![NONE; rows.len()];
        };
        // A dictionary column (RegistrarPool, policies): one lookup per distinct value.
        if let Some((codes, values)) = column.dictionary() {
            let groups: Vec<u32> = values
                .map(|value| {
                    let key = ctx.normalise(spec.kind, spec.key, 0, Cow::Borrowed(value));
                    index.group_of(&key).unwrap_or(NONE)
                })
                .collect();
            return codes[rows]
                .iter()
                .map(|&c| groups.get(c as usize).copied().unwrap_or(NONE))
                .collect();
        }
        // Any other: the keys of a group of rows probed together (see `KeyMap::indexes_of`).
        let mut out = Vec::with_capacity(rows.len());
        let mut keys: Vec<Cow<'s, str>> = Vec::with_capacity(GROUP);
        let mut found = Vec::with_capacity(GROUP);
        for start in rows.clone().step_by(GROUP) {
            let end = (start + GROUP).min(rows.end);
            keys.clear();
            keys.extend(
                (start..end).map(|row| {
                    ctx.normalise(spec.kind, spec.key, 0, Cow::Borrowed(column.get(row)))
                }),
            );
            let mut texts = [""; GROUP];
            for (text, key) in texts.iter_mut().zip(&keys) {
                *text = key;
            }
            found.clear();
            index.groups_of(&texts[..keys.len()], &mut found);
            out.extend(found.iter().map(|g| g.map_or(NONE, |g| g as u32)));
        }
        out
    }

    pub(super) fn index(&self, kind: KindId, key: usize) -> Option<&KeyIndex> {
        self.indexes.get(kind)?.get(key)?.as_ref()
    }

    /// The joined result of `kind[key][column]` for `row`, when that lookup was joined.
    pub(super) fn joined_rows(
        &self,
        row: RowRef,
        kind: KindId,
        key: usize,
        column: ColumnId,
    ) -> Option<Option<&[RowRef]>> {
        let from = self.file_kind(row)?;
        let join = self.joins.iter().find(|j| {
            j.spec.kind == kind
                && j.spec.key == key
                && j.spec.column == column
                && j.spec.from == from
        })?;
        let group = *join.groups.get(row.file as usize)?.get(row.row as usize)?;
        Some(match group {
            MISSING => None,
            NONE => Some(&[]),
            g => Some(self.index(kind, key).map_or(&[][..], |i| i.group(g))),
        })
    }
}
