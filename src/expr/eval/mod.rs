//! Evaluating compiled expressions over rows.
//!
//! Strings are borrowed from the tables wherever possible, so the common path of a rule
//! (column reads, comparisons, lookups of already-normalised keys) does not allocate.
//! Bindings are computed at most once per row; aggregates that do not depend on the row are
//! computed once per evaluation context. The plain functions are evaluated in `call`, the
//! text helpers they share with key normalisation are in `text`.

mod call;
mod memo;
mod text;

use std::borrow::Cow;
use std::cmp::Ordering;

use super::compile::{AggOp, CmpOp, ColumnId, KindId, Node, Schema};
use super::value::{self, RowRef, RowSet, Value};
use text::{into_text, normalise_natively};

/// What evaluation reads: cells, key indexes, whole tables, value maps.
pub trait Tables {
    /// The cell of `column` in `row`; `None` when that row's file lacks the column.
    fn cell(&self, row: RowRef, column: ColumnId) -> Option<&str>;
    /// Rows of `kind` whose key `key` equals the normalised `value`.
    fn lookup(&self, kind: KindId, key: usize, value: &str) -> &[RowRef];
    fn all_rows(&self, kind: KindId) -> &[RowRef];
    /// The value number of the cell of `column` in `row` when its column is stored as a
    /// dictionary (equal numbers: equal text); `None` otherwise.
    fn code(&self, _row: RowRef, _column: ColumnId) -> Option<u32> {
        None
    }
    /// The result of `kind[key][column]` for `row` (`column` of `row`'s own table), when it
    /// was resolved ahead of time: `Some(None)` for a missing value, `Some(Some(rows))` for
    /// the rows found. `None` means: not resolved, look it up.
    fn joined(
        &self,
        _row: RowRef,
        _kind: KindId,
        _key: usize,
        _column: ColumnId,
    ) -> Option<Option<&[RowRef]>> {
        None
    }
}

/// The column of the checked row a lookup is made by, if that is all its key is.
pub fn by_own_column(args: &[Node]) -> Option<ColumnId> {
    match args {
        [Node::Cell { base, column }] if matches!(**base, Node::This) => Some(*column),
        _ => None,
    }
}

/// Evaluation state for one rule on one thread.
pub struct Ctx<'a, T: Tables> {
    pub tables: &'a T,
    pub schema: &'a Schema,
    bindings: &'a [Node],
    this: Option<RowRef>,
    its: Vec<RowRef>,
    underscore: Option<Value<'a>>,
    slots: Vec<Option<Value<'a>>>,
    cache: Vec<Option<Value<'a>>>,
    /// Lookups whose key is constant (`chat-policies["Global"]`), found once per context.
    constant_lookups: Vec<(&'a Node, Option<&'a [RowRef]>)>,
    /// The number of rows of the group being reported (`group_count`).
    group_count: Option<usize>,
    matches: memo::MatchMemo,
    values: memo::ValueMemo<'a>,
}

impl<'a, T: Tables> Ctx<'a, T> {
    pub fn new(
        tables: &'a T,
        schema: &'a Schema,
        bindings: &'a [Node],
        cache_slots: usize,
    ) -> Self {
        Ctx {
            tables,
            schema,
            bindings,
            this: None,
            its: Vec::new(),
            underscore: None,
            slots: vec![None; bindings.len()],
            cache: vec![None; cache_slots],
            constant_lookups: Vec::new(),
            group_count: None,
            matches: memo::MatchMemo::default(),
            values: memo::ValueMemo::default(),
        }
    }

    /// Set (or clear) what `group_count` evaluates to.
    pub fn set_group_count(&mut self, count: Option<usize>) {
        self.group_count = count;
    }

    /// Start on a new row: forget the previous row's bindings.
    pub fn set_row(&mut self, row: Option<RowRef>) {
        self.this = row;
        for slot in &mut self.slots {
            *slot = None;
        }
    }

    pub fn binding(&mut self, index: usize) -> Value<'a> {
        if let Some(Some(v)) = self.slots.get(index) {
            return v.clone();
        }
        let Some(node) = self.bindings.get(index) else {
            return Value::Missing;
        };
        let value = self.eval(node);
        if let Some(slot) = self.slots.get_mut(index) {
            *slot = Some(value.clone());
        }
        value
    }

    pub fn eval(&mut self, node: &'a Node) -> Value<'a> {
        match node {
            Node::Const(v) => match v {
                Value::Str(s) => Value::Str(Cow::Borrowed(s.as_ref())),
                other => other.clone(),
            },
            Node::This => self.this.map_or(Value::Missing, Value::Row),
            Node::It(i) => self.its.get(*i).copied().map_or(Value::Missing, Value::Row),
            Node::Underscore => self.underscore.clone().unwrap_or(Value::Missing),
            Node::GroupCount => self
                .group_count
                .map_or(Value::Missing, |n| Value::Num(n as f64)),
            Node::Binding(i) => self.binding(*i),
            Node::AllRows(kind) => Value::Rows(RowSet::Slice(self.tables.all_rows(*kind))),
            Node::Cell { base, column } => self.cell(base, *column),
            Node::Lookup { kind, key, args } => self.lookup(node, *kind, *key, args),
            Node::MapGet { map, arg } => self.map_get(*map, arg),
            Node::Not(inner) => Value::Bool(!self.eval(inner).truthy()),
            Node::And(a, b) => Value::Bool(self.eval(a).truthy() && self.eval(b).truthy()),
            Node::Or(a, b) => Value::Bool(self.eval(a).truthy() || self.eval(b).truthy()),
            Node::Cmp { op, left, right } => {
                let l = self.eval(left);
                let r = self.eval(right);
                Value::Bool(compare(*op, &l, &r))
            }
            Node::Regex {
                value,
                regex,
                negated,
            } => {
                let matched = match self.eval(value) {
                    Value::Str(Cow::Borrowed(text)) => self.matches.is_match(regex, text),
                    v => match into_text(v) {
                        Some(text) => regex.is_match(&text),
                        None => return Value::Bool(false),
                    },
                };
                Value::Bool(matched != *negated)
            }
            Node::In {
                value,
                list,
                negated,
                set,
            } => self.membership(value, list, *negated, set.as_ref()),
            Node::If(c, a, b) => {
                if self.eval(c).truthy() {
                    self.eval(a)
                } else {
                    self.eval(b)
                }
            }
            Node::Coalesce(args) => self.coalesce(args),
            Node::Call { func, args } => self.call(*func, args),
            Node::Aggregate {
                op,
                rows,
                cond,
                slot,
            } => self.cached_aggregate(*op, rows, cond.as_deref(), *slot),
            Node::Memo { inner, column, id } => self.memo(inner, *column, *id),
        }
    }

    /// A memo node's value: remembered for the value number of the checked row's cell of
    /// `column`, when its column is a dictionary.
    fn memo(&mut self, inner: &'a Node, column: ColumnId, id: u32) -> Value<'a> {
        let code = self
            .this
            .and_then(|row| Some((row.file, self.tables.code(row, column)?)));
        let Some((file, code)) = code else {
            return self.eval(inner);
        };
        if let Some(value) = self.values.get((id, file, code)) {
            return value.clone();
        }
        let value = self.eval(inner);
        self.values.put((id, file, code), &value);
        value
    }

    /// A column of the row `base` evaluates to (the first row of a set).
    #[inline]
    fn cell(&mut self, base: &'a Node, column: ColumnId) -> Value<'a> {
        let row = match base {
            // The checked row's own columns: the most frequent node, without recursion.
            Node::This => self.this,
            Node::It(i) => self.its.get(*i).copied(),
            base => match self.eval(base) {
                Value::Row(r) => Some(r),
                Value::Rows(set) => set.first(),
                _ => None,
            },
        };
        match row.and_then(|r| self.tables.cell(r, column)) {
            Some(text) => Value::Str(Cow::Borrowed(text)),
            None => Value::Missing,
        }
    }

    /// The rows of `kind` whose key `key` equals `args`: joined ahead of time, found once per
    /// context for a constant key, else looked up.
    fn lookup(&mut self, node: &'a Node, kind: KindId, key: usize, args: &'a [Node]) -> Value<'a> {
        if let (Some(row), Some(column)) = (self.this, by_own_column(args)) {
            if let Some(found) = self.tables.joined(row, kind, key, column) {
                return found.map_or(Value::Missing, |rows| Value::Rows(RowSet::Slice(rows)));
            }
        }
        let constant = args.iter().all(|a| matches!(a, Node::Const(_)));
        if constant {
            if let Some((_, found)) = self
                .constant_lookups
                .iter()
                .find(|(n, _)| std::ptr::eq(*n, node))
            {
                return found.map_or(Value::Missing, |r| Value::Rows(RowSet::Slice(r)));
            }
        }
        let found = self
            .key_text(kind, key, args)
            .map(|key_text| self.tables.lookup(kind, key, &key_text));
        if constant {
            self.constant_lookups.push((node, found));
        }
        found.map_or(Value::Missing, |rows| Value::Rows(RowSet::Slice(rows)))
    }

    /// The value map `map` read with the value of `arg`.
    fn map_get(&mut self, map: usize, arg: &'a Node) -> Value<'a> {
        let v = self.eval(arg);
        let Some(info) = self.schema.maps.get(map) else {
            return Value::Missing;
        };
        let mut text = String::new();
        if v.is_missing() {
            return Value::Missing;
        }
        v.render(&mut text);
        match info
            .entries
            .get(value::lower(Cow::Borrowed(value::trim(&text))).as_ref())
        {
            Some(found) => Value::Str(Cow::Borrowed(found.as_str())),
            None => Value::Missing,
        }
    }

    /// `value in list` (`not in` when `negated`), through `set` when the list was folded to one.
    fn membership(
        &mut self,
        value: &'a Node,
        list: &'a [Node],
        negated: bool,
        set: Option<&std::collections::HashSet<Box<str>>>,
    ) -> Value<'a> {
        let v = self.eval(value);
        if v.is_missing() {
            return Value::Bool(false);
        }
        if let (Some(set), Value::Str(text)) = (set, &v) {
            let found = set.contains(&*value::fold_case(text));
            return Value::Bool(found != negated);
        }
        let found = list.iter().any(|item| {
            let item = self.eval(item);
            compare(CmpOp::Eq, &v, &item)
        });
        Value::Bool(found != negated)
    }

    /// The first argument that is neither missing, blank, nor an empty set of rows.
    fn coalesce(&mut self, args: &'a [Node]) -> Value<'a> {
        for arg in args {
            let v = self.eval(arg);
            let present = match &v {
                Value::Missing => false,
                Value::Str(s) => !value::trim(s).is_empty(),
                Value::Rows(r) => !r.is_empty(),
                _ => true,
            };
            if present {
                return v;
            }
        }
        Value::Missing
    }

    /// An aggregate, from its cache slot when it has one and was computed.
    fn cached_aggregate(
        &mut self,
        op: AggOp,
        rows: &'a Node,
        cond: Option<&'a Node>,
        slot: Option<usize>,
    ) -> Value<'a> {
        if let Some(Some(cached)) = slot.and_then(|s| self.cache.get(s)) {
            return cached.clone();
        }
        let value = self.aggregate(op, rows, cond);
        if let Some(s) = slot {
            if let Some(c) = self.cache.get_mut(s) {
                *c = Some(value.clone());
            }
        }
        value
    }

    fn aggregate(&mut self, op: AggOp, rows: &'a Node, cond: Option<&'a Node>) -> Value<'a> {
        let set = match self.eval(rows) {
            Value::Rows(set) => set,
            Value::Row(r) => RowSet::One(r),
            _ => RowSet::Slice(&[]),
        };
        if op == AggOp::First {
            return set.first().map_or(Value::Missing, Value::Row);
        }
        let mut count = 0usize;
        for i in 0..set.len() {
            let Some(row) = set.get(i) else { break };
            let hit = match cond {
                Some(c) => {
                    self.its.push(row);
                    let hit = self.eval(c).truthy();
                    self.its.pop();
                    hit
                }
                None => true,
            };
            match (op, hit) {
                (AggOp::Any, true) => return Value::Bool(true),
                (AggOp::All, false) => return Value::Bool(false),
                (AggOp::Find, true) => return Value::Row(row),
                (AggOp::Count, true) => count += 1,
                _ => {}
            }
        }
        match op {
            AggOp::Any => Value::Bool(false),
            AggOp::All => Value::Bool(true),
            AggOp::Count => Value::Num(count as f64),
            _ => Value::Missing,
        }
    }

    /// The normalised key text for a lookup, `None` when a value is missing.
    fn key_text(&mut self, kind: KindId, key: usize, args: &'a [Node]) -> Option<Cow<'a, str>> {
        if let [single] = args {
            let v = self.eval(single);
            let text = into_text(v)?;
            return Some(self.normalise(kind, key, 0, text));
        }
        let mut joined = String::new();
        for (i, arg) in args.iter().enumerate() {
            let v = self.eval(arg);
            let text = into_text(v)?;
            if i > 0 {
                joined.push('\u{1f}');
            }
            joined.push_str(&self.normalise(kind, key, i, text));
        }
        Some(Cow::Owned(joined))
    }

    /// Apply a key's normalisation to one value (also used when building the index).
    pub fn normalise(
        &mut self,
        kind: KindId,
        key: usize,
        _column: usize,
        text: Cow<'a, str>,
    ) -> Cow<'a, str> {
        let schema = self.schema;
        let Some(info) = schema.kinds.get(kind).and_then(|k| k.keys.get(key)) else {
            return text;
        };
        let normalised = match &info.normalise {
            None => text,
            Some(norm) => match normalise_natively(norm, text) {
                Ok(done) => done,
                Err(text) => {
                    let saved = self.underscore.replace(Value::Str(text));
                    let v = self.eval(norm);
                    self.underscore = saved;
                    match v {
                        Value::Str(s) => s,
                        other => {
                            let mut s = String::new();
                            other.render(&mut s);
                            Cow::Owned(s)
                        }
                    }
                }
            },
        };
        if info.ignore_case {
            value::lower(normalised)
        } else {
            normalised
        }
    }
}

/// Compare two values. Anything compared with a missing value is false, `!=` included.
pub fn compare(op: CmpOp, l: &Value<'_>, r: &Value<'_>) -> bool {
    if l.is_missing() || r.is_missing() {
        return false;
    }
    let ordering = match (l, r) {
        (Value::Ver(_), _) | (_, Value::Ver(_)) => l
            .as_version()
            .zip(r.as_version())
            .and_then(|(a, b)| a.partial_cmp(&b)),
        (Value::Num(_), _) | (_, Value::Num(_)) => l
            .as_num()
            .zip(r.as_num())
            .and_then(|(a, b)| a.partial_cmp(&b)),
        (Value::Bool(a), Value::Bool(b)) => Some(a.cmp(b)),
        (Value::Bool(a), Value::Str(s)) => value::parse_bool(s).map(|b| a.cmp(&b)),
        (Value::Str(s), Value::Bool(b)) => value::parse_bool(s).map(|a| a.cmp(b)),
        (Value::Str(a), Value::Str(b)) => {
            if matches!(op, CmpOp::Eq | CmpOp::Ne) {
                Some(if value::eq_ignore_case(a, b) {
                    Ordering::Equal
                } else {
                    Ordering::Less
                })
            } else {
                // Numbers written as text order numerically.
                match (value::trim(a).parse::<f64>(), value::trim(b).parse::<f64>()) {
                    (Ok(x), Ok(y)) => x.partial_cmp(&y),
                    _ => Some(value::cmp_ignore_case(a, b)),
                }
            }
        }
        _ => None,
    };
    match ordering {
        // Values of the same type that cannot be compared (text that is not a number):
        // unequal, and unordered.
        None => op == CmpOp::Ne,
        Some(o) => match op {
            CmpOp::Eq => o == Ordering::Equal,
            CmpOp::Ne => o != Ordering::Equal,
            CmpOp::Lt => o == Ordering::Less,
            CmpOp::Le => o != Ordering::Greater,
            CmpOp::Gt => o == Ordering::Greater,
            CmpOp::Ge => o != Ordering::Less,
        },
    }
}
