use std::borrow::Cow;

use super::*;
use crate::expr::compile::{AggOp, CmpOp, Func};
use crate::expr::value::Value;

fn cell(column: ColumnId) -> Node {
    Node::Cell {
        base: Box::new(Node::This),
        column,
    }
}

fn text(s: &'static str) -> Node {
    Node::Const(Value::Str(Cow::Borrowed(s)))
}

fn eq(left: Node, right: Node) -> Node {
    Node::Cmp {
        op: CmpOp::Eq,
        left: Box::new(left),
        right: Box::new(right),
    }
}

fn call(func: Func, args: Vec<Node>) -> Node {
    Node::Call { func, args }
}

fn and(a: Node, b: Node) -> Node {
    Node::And(Box::new(a), Box::new(b))
}

fn any(rows: Node, cond: Node) -> Node {
    Node::Aggregate {
        op: AggOp::Any,
        rows: Box::new(rows),
        cond: Some(Box::new(cond)),
        slot: None,
    }
}

fn lookup(column: ColumnId) -> Node {
    Node::Lookup {
        kind: 1,
        key: 0,
        args: vec![cell(column)],
    }
}

/// The memo nodes of `node`, outermost first: (id, column, what they wrap, rendered).
fn memos(node: &Node) -> Vec<(u32, ColumnId, String)> {
    let mut out = Vec::new();
    if let Node::Memo { inner, column, id } = node {
        out.push((*id, *column, format!("{inner:?}")));
    }
    node.each_child(&mut |child| out.extend(memos(child)));
    out
}

fn run(bindings: &mut [Node], mut condition: Node) -> Node {
    memoise(bindings, vec![&mut condition]);
    condition
}

#[test]
fn a_condition_on_one_cell_is_remembered_whole() {
    // `empty(HostingProvider) || trim(HostingProvider) == "SRV:"`
    let or = Node::Or(
        Box::new(call(Func::Empty, vec![cell(3)])),
        Box::new(eq(call(Func::Trim, vec![cell(3)]), text("SRV:"))),
    );
    let done = run(&mut [], or);
    assert!(
        matches!(
            done,
            Node::Memo {
                column: 3,
                id: 0,
                ..
            }
        ),
        "{done:?}"
    );
    assert_eq!(memos(&done).len(), 1);
}

#[test]
fn a_condition_on_two_cells_is_remembered_in_parts() {
    let both = and(eq(cell(1), text("True")), call(Func::Empty, vec![cell(2)]));
    let done = run(&mut [], both);
    assert!(matches!(done, Node::And(..)), "{done:?}");
    let found: Vec<(u32, ColumnId)> = memos(&done).iter().map(|m| (m.0, m.1)).collect();
    assert_eq!(found, vec![(0, 1), (1, 2)]);
}

#[test]
fn small_parts_and_the_row_itself_are_left_alone() {
    // A bare cell costs less than remembering it.
    assert!(memos(&run(&mut [], cell(0))).is_empty());
    // `this`, `_` and `group_count` are not cells.
    for other in [Node::This, Node::Underscore, Node::GroupCount] {
        let node = eq(call(Func::Trim, vec![other]), text("x"));
        assert!(memos(&run(&mut [], node)).is_empty());
    }
    // A constant condition depends on no cell.
    let fixed = eq(call(Func::Trim, vec![text("a")]), text("a"));
    assert!(memos(&run(&mut [], fixed)).is_empty());
}

#[test]
fn a_binding_looked_up_by_one_cell_counts_as_that_cell() {
    // let.home = registrars[RegistrarPool]; where = num(home.Version) in [6, 7]
    let mut bindings = vec![lookup(6)];
    let version = Node::Cell {
        base: Box::new(Node::Binding(0)),
        column: 2,
    };
    let check = Node::In {
        value: Box::new(call(Func::Num, vec![version])),
        list: vec![Node::Const(Value::Num(6.0)), Node::Const(Value::Num(7.0))],
        negated: false,
        set: None,
    };
    let done = run(&mut bindings, check);
    assert!(matches!(done, Node::Memo { column: 6, .. }), "{done:?}");
    // The binding itself is remembered too, under its own number.
    assert!(
        matches!(
            bindings[0],
            Node::Memo {
                column: 6,
                id: 0,
                ..
            }
        ),
        "{:?}",
        bindings[0]
    );
    assert!(matches!(done, Node::Memo { id: 1, .. }));
}

#[test]
fn a_binding_with_candidate_rows_counts_as_the_row() {
    // let.client = any(registrations[c0], it.UserAgent == "x"): `it` is numbered where the
    // binding is first read, so the binding is not judged.
    let candidate = Node::Cell {
        base: Box::new(Node::It(0)),
        column: 4,
    };
    let mut bindings = vec![any(lookup(0), eq(candidate, text("x")))];
    let done = run(&mut bindings, call(Func::Exists, vec![Node::Binding(0)]));
    assert!(memos(&done).is_empty(), "{done:?}");
}

#[test]
fn an_aggregate_over_rows_found_by_one_cell_is_remembered() {
    let candidate = Node::Cell {
        base: Box::new(Node::It(0)),
        column: 4,
    };
    let done = run(&mut [], any(lookup(0), eq(candidate, text("x"))));
    assert!(matches!(done, Node::Memo { column: 0, .. }), "{done:?}");
}

#[test]
fn inside_an_aggregate_only_parts_free_of_the_candidate_are_remembered() {
    // any(registrations[c0 && c5], it.x == "a" && trim(c7) == "b"): the whole reads two cells;
    // in the condition, the part on `it` varies per candidate, the part on c7 does not.
    let candidate = Node::Cell {
        base: Box::new(Node::It(0)),
        column: 4,
    };
    let rows = Node::Lookup {
        kind: 1,
        key: 0,
        args: vec![cell(0), cell(5)],
    };
    let cond = and(
        eq(call(Func::Trim, vec![candidate]), text("a")),
        eq(call(Func::Trim, vec![cell(7)]), text("b")),
    );
    let done = run(&mut [], any(rows, cond));
    let found: Vec<ColumnId> = memos(&done).iter().map(|m| m.1).collect();
    assert_eq!(found, vec![7], "{done:?}");
}
