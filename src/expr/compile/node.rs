//! The compiled form of an expression: a [`Node`] tree, names already resolved to bindings,
//! columns, key lookups and built-in functions.

use regex::Regex;

use super::functions::{AggOp, Func};
use super::{ColumnId, KindId};
use crate::expr::value::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// A compiled expression.
#[derive(Debug)]
pub enum Node {
    Const(Value<'static>),
    /// A column of the row the base evaluates to (a row, or the first row of a set).
    Cell {
        base: Box<Node>,
        column: ColumnId,
    },
    This,
    It(usize),
    Underscore,
    /// `group_count`: how many rows the finding of a `group-by` rule stands for.
    GroupCount,
    Binding(usize),
    AllRows(KindId),
    Lookup {
        kind: KindId,
        key: usize,
        args: Vec<Node>,
    },
    MapGet {
        map: usize,
        arg: Box<Node>,
    },
    Not(Box<Node>),
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
    Cmp {
        op: CmpOp,
        left: Box<Node>,
        right: Box<Node>,
    },
    Regex {
        value: Box<Node>,
        regex: Regex,
        negated: bool,
    },
    In {
        value: Box<Node>,
        list: Vec<Node>,
        negated: bool,
        /// A long list of text literals, case-folded: text is looked up, not compared with
        /// each item (a million-item list over a million rows did not finish).
        set: Option<std::collections::HashSet<Box<str>>>,
    },
    Call {
        func: Func,
        args: Vec<Node>,
    },
    If(Box<Node>, Box<Node>, Box<Node>),
    Coalesce(Vec<Node>),
    /// `slot` is set when the result does not depend on the row: evaluated once, cached.
    Aggregate {
        op: AggOp,
        rows: Box<Node>,
        cond: Option<Box<Node>>,
        slot: Option<usize>,
    },
    /// `inner`, whose value depends on the checked row only through the cell of `column`:
    /// remembered per distinct value of a dictionary column (see [`super::memo`]); `id`
    /// numbers the memo nodes of a program.
    Memo {
        inner: Box<Node>,
        column: ColumnId,
        id: u32,
    },
}

/// Lists at least this long, of text literals only, are looked up in a set.
const SET_MIN: usize = 8;

/// The case-folded items of an `in` list of text literals, when it is long enough to gain.
pub(super) fn literal_set(items: &[Node]) -> Option<std::collections::HashSet<Box<str>>> {
    if items.len() < SET_MIN {
        return None;
    }
    items
        .iter()
        .map(|item| match item {
            Node::Const(Value::Str(s)) => Some(Box::from(crate::expr::value::fold_case(s))),
            _ => None,
        })
        .collect()
}

/// Calls `$f` on each node directly below `$node` (a `&Node` or a `&mut Node`); `$each` is
/// how a list of nodes is walked (`iter` or `iter_mut`). One match for both borrows.
macro_rules! each_child {
    ($node:expr, $f:expr, $each:ident) => {
        match $node {
            Node::Const(_)
            | Node::This
            | Node::It(_)
            | Node::Underscore
            | Node::GroupCount
            | Node::Binding(_)
            | Node::AllRows(_) => {}
            Node::Cell { base: a, .. }
            | Node::MapGet { arg: a, .. }
            | Node::Not(a)
            | Node::Memo { inner: a, .. } => $f(a),
            Node::Regex { value, .. } => $f(value),
            Node::And(a, b)
            | Node::Or(a, b)
            | Node::Cmp {
                left: a, right: b, ..
            } => {
                $f(a);
                $f(b);
            }
            Node::If(a, b, c) => {
                $f(a);
                $f(b);
                $f(c);
            }
            Node::In { value, list, .. } => {
                $f(value);
                list.$each().for_each(|n| $f(n));
            }
            Node::Lookup { args, .. } | Node::Call { args, .. } | Node::Coalesce(args) => {
                args.$each().for_each(|n| $f(n))
            }
            Node::Aggregate { rows, cond, .. } => {
                $f(rows);
                if let Some(c) = cond {
                    $f(c);
                }
            }
        }
    };
}

impl Node {
    /// Calls `f` on each node directly below this one, mutably.
    pub fn each_child_mut(&mut self, f: &mut impl FnMut(&mut Node)) {
        each_child!(self, f, iter_mut)
    }

    /// Calls `f` on each node directly below this one.
    pub fn each_child<'n>(&'n self, f: &mut impl FnMut(&'n Node)) {
        each_child!(self, f, iter)
    }
}
