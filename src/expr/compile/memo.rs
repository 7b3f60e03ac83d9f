//! **Memo nodes**: the parts of a program whose value depends on the checked row only through
//! one of its cells, wrapped so that evaluation remembers them per distinct value of that
//! cell.
//!
//! Most conditions of a rule over a million users read columns with a handful of distinct
//! values: `empty(HostingProvider) || trim(HostingProvider) == "SRV:"`, `Enabled == false`,
//! `num(home.Version) in [6, 7]` (where `home` is `registrars[RegistrarPool]`). Such a part is
//! a function of that one cell: the tables, the value maps and the run's parameters do not
//! change during a run. A dictionary column numbers its distinct values, so evaluation keys
//! the remembered value on (memo node, file, value number) and computes it once per distinct
//! value instead of once per row (see `crate::expr::eval`).
//!
//! A part's **dependence** is what its value may change with: nothing (constants, lookups with
//! constant keys, the run's target), one cell of the checked row, or more (two cells, the row
//! itself, an aggregate's candidate row `it`, `_`, `group_count`).

use super::node::Node;
use super::ColumnId;

/// What a node's value may change with, for one evaluation of a program on a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dependence {
    /// Nothing: the same on every row.
    Fixed,
    /// The cell of this column of the checked row.
    Cell(ColumnId),
    /// More than one cell, or something else of the row or of the evaluation.
    Row,
}

impl Dependence {
    fn and(self, other: Dependence) -> Dependence {
        match (self, other) {
            (Dependence::Fixed, d) | (d, Dependence::Fixed) => d,
            (Dependence::Cell(a), Dependence::Cell(b)) if a == b => Dependence::Cell(a),
            _ => Dependence::Row,
        }
    }
}

/// Nodes of a part below which remembering pays: smaller parts cost less to evaluate than
/// the lookup of a remembered value.
const MIN_NODES: usize = 3;

/// Wrap the parts of a program's `bindings`, `where` and `assert` that depend on one cell of
/// the checked row in [`Node::Memo`]s, numbered from 0.
pub fn memoise(bindings: &mut [Node], conditions: Vec<&mut Node>) {
    let mut pass = Pass {
        bindings: vec![None; bindings.len()],
        next: 0,
    };
    for i in 0..bindings.len() {
        pass.binding(bindings, i);
    }
    for i in 0..bindings.len() {
        let mut node = std::mem::replace(&mut bindings[i], Node::Underscore);
        pass.rewrite(bindings, &mut node, 0);
        bindings[i] = node;
    }
    for node in conditions {
        pass.rewrite(bindings, node, 0);
    }
}

struct Pass {
    /// The dependence of each binding, once known.
    bindings: Vec<Option<Dependence>>,
    next: u32,
}

impl Pass {
    fn binding(&mut self, bindings: &[Node], i: usize) -> Dependence {
        if let Some(Some(known)) = self.bindings.get(i) {
            return *known;
        }
        // A binding being computed cannot be read by itself (the compiler refuses cycles);
        // should one be, it counts as depending on the row.
        if let Some(slot) = self.bindings.get_mut(i) {
            *slot = Some(Dependence::Row);
        }
        let found = match bindings.get(i) {
            // A binding numbers its candidates `it` from 0 wherever it is first read, so one
            // with candidates is taken as depending on the row.
            Some(node) if mentions_it(node) => Dependence::Row,
            Some(node) => self.dependence(bindings, node, 0),
            None => Dependence::Row,
        };
        if let Some(slot) = self.bindings.get_mut(i) {
            *slot = Some(found);
        }
        found
    }

    /// The dependence of `node`, a part read with the candidate rows `it` numbered below
    /// `bound` already set around it (they vary as it is read again); those from `bound` up
    /// are set by the aggregates inside it, from what it reads.
    fn dependence(&mut self, bindings: &[Node], node: &Node, bound: usize) -> Dependence {
        match node {
            Node::Const(_) | Node::AllRows(_) => Dependence::Fixed,
            Node::This | Node::Underscore | Node::GroupCount => Dependence::Row,
            Node::It(i) if *i >= bound => Dependence::Fixed,
            Node::It(_) => Dependence::Row,
            Node::Binding(i) => self.binding(bindings, *i),
            Node::Cell { base, column } if matches!(**base, Node::This) => {
                Dependence::Cell(*column)
            }
            Node::Memo { column, .. } => Dependence::Cell(*column),
            other => {
                let mut all = Dependence::Fixed;
                other.each_child(&mut |child| {
                    if all != Dependence::Row {
                        all = all.and(self.dependence(bindings, child, bound));
                    }
                });
                all
            }
        }
    }

    /// Wrap the largest parts of `node` that depend on one cell; `level` is the number of
    /// aggregates around it (its own `it` would be numbered `level`).
    fn rewrite(&mut self, bindings: &[Node], node: &mut Node, level: usize) {
        if let Dependence::Cell(column) = self.dependence(bindings, node, level) {
            if !matches!(node, Node::Memo { .. }) && size(node) >= MIN_NODES {
                let inner = std::mem::replace(node, Node::Underscore);
                *node = Node::Memo {
                    inner: Box::new(inner),
                    column,
                    id: self.next,
                };
                self.next += 1;
                return;
            }
        }
        match node {
            Node::Aggregate { rows, cond, .. } => {
                self.rewrite(bindings, rows, level);
                if let Some(cond) = cond {
                    self.rewrite(bindings, cond, level + 1);
                }
            }
            other => other.each_child_mut(&mut |child| self.rewrite(bindings, child, level)),
        }
    }
}

/// Whether `node` reads a candidate row `it`.
fn mentions_it(node: &Node) -> bool {
    let mut found = matches!(node, Node::It(_));
    node.each_child(&mut |child| found = found || mentions_it(child));
    found
}

/// The nodes of a part that are not constants.
fn size(node: &Node) -> usize {
    let mut count = usize::from(!matches!(node, Node::Const(_)));
    node.each_child(&mut |child| count += size(child));
    count
}

#[cfg(test)]
mod tests;
