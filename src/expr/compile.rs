//! Compiling: from a parsed [`Expr`] to a [`Node`] tree bound to real table kinds.
//!
//! Names are resolved once, here: a bare name is (in this order) `it` (the candidate row of
//! the innermost `any`/`all`/`count`/`find`), `this` (the row being checked), `_` (the value
//! a key's `normalize` expression works on), a binding of the rule, a column of the candidate
//! row inside an aggregate condition, a column of the row being checked, or a table kind (all
//! its rows). `kind[v]` looks a table up by its primary key, `kind.key[v]` by a named key,
//! `map[v]` reads a value map. Types are checked here so that evaluation never meets a type
//! error; every mistake is collected with the span of the characters at fault.

use std::collections::{BTreeMap, BTreeSet};

use regex::Regex;

use super::ast::{BinaryOp, Expr, ExprKind, Ident, Span, UnaryOp};
use super::value::Value;

pub type KindId = usize;
pub type ColumnId = usize;

/// What a compiler knows about the tables: kinds with their columns and keys, value maps.
#[derive(Debug, Default)]
pub struct Schema {
    pub kinds: Vec<KindInfo>,
    pub maps: Vec<MapInfo>,
    /// The migration target and retiring pools of the run (`target()`, `retiring(pool)`).
    pub run: RunParams,
}

/// What a run is for, read by the expression functions `target()`, `target_version()` and
/// `retiring(pool)`.
#[derive(Debug, Default)]
pub struct RunParams {
    pub target: Option<crate::target::Target>,
    pub retiring: crate::target::Retiring,
}

#[derive(Debug)]
pub struct KindInfo {
    pub name: String,
    /// Canonical column names: declared ones first, then header names seen in files.
    pub columns: Vec<String>,
    /// Other header names (lower-case) → column.
    pub aliases: BTreeMap<String, ColumnId>,
    /// Key 0 is the primary key when `has_primary`.
    pub keys: Vec<KeyInfo>,
    pub has_primary: bool,
    /// For a view: the kind whose tables also hold its rows (the columns are the same).
    pub base: Option<KindId>,
    /// For a view: which rows of the base kind's tables belong to it.
    pub rows: Option<RowPredicate>,
    /// The rows the kind's rules judge (all when `None`).
    pub judged: Option<RowPredicate>,
    /// Columns identifying an object, most stable first.
    pub identity: Vec<ColumnId>,
}

/// A compiled row predicate of a table declaration (`rows`, `judged`).
#[derive(Debug)]
pub struct RowPredicate {
    pub node: Node,
    pub cache_slots: usize,
    /// Columns it reads (they are kept when reading).
    pub columns: Vec<ColumnId>,
}

#[derive(Debug)]
pub struct KeyInfo {
    pub name: String,
    pub columns: Vec<ColumnId>,
    /// Compiled `normalize` expression over `_`, applied to cells and looked-up values alike.
    pub normalize: Option<Node>,
    pub ignore_case: bool,
    /// Separator of a multi-valued key (see `KeyDecl::split`).
    pub split: Option<String>,
}

#[derive(Debug)]
pub struct MapInfo {
    pub name: String,
    /// Lower-case key → value.
    pub entries: BTreeMap<String, String>,
}

impl Schema {
    pub fn kind(&self, name: &str) -> Option<KindId> {
        self.kinds
            .iter()
            .position(|k| k.name.eq_ignore_ascii_case(name))
    }

    pub fn column(&self, kind: KindId, name: &str) -> Option<ColumnId> {
        let info = &self.kinds[kind];
        info.columns
            .iter()
            .position(|c| c.eq_ignore_ascii_case(name))
            .or_else(|| info.aliases.get(&name.to_ascii_lowercase()).copied())
    }

    fn map(&self, name: &str) -> Option<usize> {
        self.maps
            .iter()
            .position(|m| m.name.eq_ignore_ascii_case(name))
    }
}

/// Static type of an expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    Str,
    Num,
    Bool,
    Ver,
    Row(KindId),
    Rows(KindId),
}

impl Ty {
    fn describe(self, schema: &Schema) -> String {
        match self {
            Ty::Str => "a string".into(),
            Ty::Num => "a number".into(),
            Ty::Bool => "a boolean".into(),
            Ty::Ver => "a version".into(),
            Ty::Row(k) => format!("a `{}` row", schema.kinds[k].name),
            Ty::Rows(k) => format!("a set of `{}` rows", schema.kinds[k].name),
        }
    }

    fn kind(self) -> Option<KindId> {
        match self {
            Ty::Row(k) | Ty::Rows(k) => Some(k),
            _ => None,
        }
    }

    fn scalar(self) -> bool {
        self.kind().is_none()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AggOp {
    Any,
    All,
    Count,
    Find,
    First,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Func {
    Exists,
    Empty,
    Lower,
    Upper,
    Trim,
    Len,
    StartsWith,
    EndsWith,
    Contains,
    StripPrefix,
    StripSuffix,
    Concat,
    Version,
    Num,
    ClientMajor,
    ClientVersion,
    ClientName,
    Target,
    TargetVersion,
    Retiring,
    EqCase,
    Left,
    After,
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
}

/// Lists at least this long, of text literals only, are looked up in a set.
const SET_MIN: usize = 8;

/// The case-folded items of an `in` list of text literals, when it is long enough to gain.
fn literal_set(items: &[Node]) -> Option<std::collections::HashSet<Box<str>>> {
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

impl Node {
    /// Calls `f` on each node directly below this one.
    pub fn each_child<'n>(&'n self, f: &mut impl FnMut(&'n Node)) {
        match self {
            Node::Const(_)
            | Node::This
            | Node::It(_)
            | Node::Underscore
            | Node::GroupCount
            | Node::Binding(_)
            | Node::AllRows(_) => {}
            Node::Cell { base: a, .. } | Node::MapGet { arg: a, .. } | Node::Not(a) => f(a),
            Node::Regex { value, .. } => f(value),
            Node::And(a, b)
            | Node::Or(a, b)
            | Node::Cmp {
                left: a, right: b, ..
            } => {
                f(a);
                f(b);
            }
            Node::If(a, b, c) => {
                f(a);
                f(b);
                f(c);
            }
            Node::In { value, list, .. } => {
                f(value);
                list.iter().for_each(f);
            }
            Node::Lookup { args, .. } | Node::Call { args, .. } | Node::Coalesce(args) => {
                args.iter().for_each(f)
            }
            Node::Aggregate { rows, cond, .. } => {
                f(rows);
                if let Some(c) = cond {
                    f(c);
                }
            }
        }
    }
}

/// A compile error, with the span in the expression it comes from.
#[derive(Debug, Clone, PartialEq)]
pub struct CompileError {
    /// Which expression (the caller's numbering).
    pub source: usize,
    pub span: Span,
    pub message: String,
    pub help: Option<String>,
}

/// A compiled expression and its facts.
pub struct Compiled {
    pub node: Node,
    pub ty: Ty,
    /// Depends on the row being checked (else it is constant over a run).
    pub row_dependent: bool,
}

/// Longest regular expression pattern, in bytes.
const MAX_REGEX_LEN: usize = 64 << 10;

/// Deepest recursion of compiling or evaluating one expression, bindings included: well
/// within a 2 MiB thread stack, far past any real rule (the shipped ones stay under 20).
pub const MAX_DEPTH: usize = 512;

/// Compiles the expressions of one rule, sharing its bindings.
pub struct Compiler<'s> {
    schema: &'s Schema,
    this: Option<KindId>,
    /// Binding name → (source number, parsed expression).
    binding_exprs: Vec<(String, usize, Expr)>,
    /// Binding name → index (looked up for every name in every expression).
    binding_names: std::collections::HashMap<String, usize>,
    binding_state: Vec<BindingState>,
    binding_nodes: Vec<Option<Node>>,
    /// Per compiled binding: the depth of evaluating it, bindings it reads included.
    binding_heights: Vec<usize>,
    /// Depth of [`Compiler::expr`] calls now, through the bindings being compiled.
    depth: usize,
    its: Vec<KindId>,
    underscore: bool,
    source: usize,
    /// Whether `group_count` is defined (the messages of a `group-by` rule).
    pub group: bool,
    pub errors: Vec<CompileError>,
    pub cache_slots: usize,
    /// Columns read, per kind (so the engine keeps just these).
    pub columns_used: BTreeSet<(KindId, ColumnId)>,
    /// Kinds whose rows are read.
    pub kinds_used: BTreeSet<KindId>,
    pub lookups_used: BTreeSet<(KindId, usize)>,
}

#[derive(Clone, Copy)]
enum BindingState {
    Pending,
    InProgress,
    Done(Ty, bool),
    Failed,
}

const FUNCTIONS: &[&str] = &[
    "exists",
    "empty",
    "lower",
    "upper",
    "trim",
    "len",
    "starts_with",
    "ends_with",
    "contains",
    "strip_prefix",
    "strip_suffix",
    "concat",
    "version",
    "num",
    "client_major",
    "client_version",
    "client_name",
    "eq_case",
    "left",
    "after",
    "matches",
    "if",
    "coalesce",
    "any",
    "all",
    "count",
    "find",
    "first",
    "target",
    "target_version",
    "retiring",
];

impl<'s> Compiler<'s> {
    /// `this` is the kind of the rows being checked (none for a rule over whole tables).
    /// Bindings are `(name, source number, expression)`.
    pub fn new(
        schema: &'s Schema,
        this: Option<KindId>,
        bindings: Vec<(String, usize, Expr)>,
    ) -> Self {
        let n = bindings.len();
        Compiler {
            schema,
            this,
            binding_names: bindings
                .iter()
                .enumerate()
                .rev()
                .map(|(i, (name, _, _))| (name.clone(), i))
                .collect(),
            binding_exprs: bindings,
            binding_state: vec![BindingState::Pending; n],
            binding_nodes: (0..n).map(|_| None).collect(),
            binding_heights: vec![0; n],
            depth: 0,
            its: Vec::new(),
            underscore: false,
            source: 0,
            group: false,
            errors: Vec::new(),
            cache_slots: 0,
            columns_used: BTreeSet::new(),
            kinds_used: BTreeSet::new(),
            lookups_used: BTreeSet::new(),
        }
    }

    /// A compiler for a key's `normalize` expression: only `_` and functions.
    pub fn for_normalize(schema: &'s Schema) -> Self {
        let mut c = Compiler::new(schema, None, Vec::new());
        c.underscore = true;
        c
    }

    /// Compile one expression numbered `source`.
    pub fn compile(&mut self, source: usize, expr: &Expr) -> Option<Compiled> {
        let saved = std::mem::replace(&mut self.source, source);
        let result = self.expr(expr);
        self.source = saved;
        result.map(|(node, ty, row_dependent)| Compiled {
            node,
            ty,
            row_dependent,
        })
    }

    /// Compile a condition (must be usable as true/false).
    pub fn condition(&mut self, source: usize, expr: &Expr) -> Option<Compiled> {
        let compiled = self.compile(source, expr)?;
        let saved = std::mem::replace(&mut self.source, source);
        let ok = self.check_condition(compiled.ty, &expr.span);
        self.source = saved;
        ok.then_some(compiled)
    }

    /// Compile every binding (so unused ones are checked too) and return their nodes.
    pub fn finish_bindings(&mut self) -> Vec<Node> {
        for i in 0..self.binding_exprs.len() {
            self.binding(i);
        }
        self.binding_nodes
            .iter_mut()
            .map(|n| n.take().unwrap_or(Node::Const(Value::Missing)))
            .collect()
    }

    pub fn binding_index(&self, name: &str) -> Option<usize> {
        self.binding_names.get(name).copied()
    }

    fn error(&mut self, span: &Span, message: impl Into<String>, help: Option<String>) {
        self.errors.push(CompileError {
            source: self.source,
            span: span.clone(),
            message: message.into(),
            help,
        });
    }

    fn check_condition(&mut self, ty: Ty, span: &Span) -> bool {
        match ty {
            Ty::Bool | Ty::Str => true,
            Ty::Rows(_) | Ty::Row(_) => {
                self.error(
                    span,
                    format!("expected a condition, found {}", ty.describe(self.schema)),
                    Some("test a lookup with `exists(...)`, or compare one of its columns".into()),
                );
                false
            }
            _ => {
                self.error(
                    span,
                    format!("expected a condition, found {}", ty.describe(self.schema)),
                    Some("compare it, e.g. `x >= 6`".into()),
                );
                false
            }
        }
    }

    fn binding(&mut self, index: usize) -> Option<(Ty, bool)> {
        match self.binding_state[index] {
            BindingState::Done(ty, dep) => Some((ty, dep)),
            BindingState::Failed => None,
            BindingState::InProgress => None,
            BindingState::Pending => {
                self.binding_state[index] = BindingState::InProgress;
                let (_, source, expr) = self.binding_exprs[index].clone();
                let saved_its = std::mem::take(&mut self.its);
                let saved_source = std::mem::replace(&mut self.source, source);
                let result = self.expr(&expr);
                self.source = saved_source;
                self.its = saved_its;
                let result = result.and_then(|(node, ty, dep)| {
                    // Evaluating reads the bindings it uses recursively: a chain of
                    // thousands of `let`s would overflow the stack at run time.
                    let height = self.height(&node);
                    if height > MAX_DEPTH {
                        let saved = std::mem::replace(&mut self.source, source);
                        self.error(
                            &expr.span,
                            format!(
                                "`let.{}` is nested too deeply with the bindings it reads \
                                 (more than {MAX_DEPTH} levels)",
                                self.binding_exprs[index].0
                            ),
                            Some("shorten the chain of bindings".into()),
                        );
                        self.source = saved;
                        return None;
                    }
                    self.binding_heights[index] = height;
                    Some((node, ty, dep))
                });
                match result {
                    Some((node, ty, dep)) => {
                        self.binding_nodes[index] = Some(node);
                        self.binding_state[index] = BindingState::Done(ty, dep);
                        Some((ty, dep))
                    }
                    None => {
                        self.binding_state[index] = BindingState::Failed;
                        None
                    }
                }
            }
        }
    }

    /// How deep evaluating `node` recurses, the bindings it reads included (their heights are
    /// known: a binding is compiled before any node that reads it).
    fn height(&self, node: &Node) -> usize {
        let mut deepest = 0;
        let mut stack = vec![(node, 1usize)];
        while let Some((node, depth)) = stack.pop() {
            let below = match node {
                Node::Binding(i) => self.binding_heights.get(*i).copied().unwrap_or(0),
                _ => 0,
            };
            deepest = deepest.max(depth + below);
            node.each_child(&mut |child| stack.push((child, depth + 1)));
        }
        deepest
    }

    /// Compile `expr`, refusing to recurse past [`MAX_DEPTH`] (counted through the bindings
    /// compiled on the way, so a long chain of `let`s is an error, not a stack overflow).
    fn expr(&mut self, expr: &Expr) -> Option<(Node, Ty, bool)> {
        if self.depth >= MAX_DEPTH {
            self.error(
                &expr.span,
                format!(
                    "expression nested too deeply with the bindings it reads (more than \
                     {MAX_DEPTH} levels)"
                ),
                Some("shorten the chain of bindings".into()),
            );
            return None;
        }
        self.depth += 1;
        let result = self.expr_node(expr);
        self.depth -= 1;
        result
    }

    fn expr_node(&mut self, expr: &Expr) -> Option<(Node, Ty, bool)> {
        match &expr.kind {
            ExprKind::Str(s) => Some((Node::Const(Value::Str(s.clone().into())), Ty::Str, false)),
            ExprKind::Num(n) => Some((Node::Const(Value::Num(*n)), Ty::Num, false)),
            ExprKind::Bool(b) => Some((Node::Const(Value::Bool(*b)), Ty::Bool, false)),
            ExprKind::Name(ident) => self.name(ident),
            ExprKind::Member(base, ident) => self.member(base, ident, &expr.span),
            ExprKind::Index(base, args) => self.index(base, args, &expr.span),
            ExprKind::Call(name, args) => self.call(name, args, &expr.span),
            ExprKind::Unary(UnaryOp::Not, inner) => {
                let (node, ty, dep) = self.expr(inner)?;
                self.check_condition(ty, &inner.span)
                    .then(|| (Node::Not(Box::new(node)), Ty::Bool, dep))
            }
            ExprKind::Binary(op, left, right) => self.binary(*op, left, right),
            ExprKind::In {
                value,
                list,
                negated,
            } => {
                let (vnode, vty, mut dep) = self.expr(value)?;
                let mut nodes = Vec::with_capacity(list.len());
                let mut ok = self.check_comparable(vty, vty, &value.span, true);
                for item in list {
                    if let Some((n, t, d)) = self.expr(item) {
                        ok &= self.check_comparable(vty, t, &item.span, true);
                        dep |= d;
                        nodes.push(n);
                    } else {
                        ok = false;
                    }
                }
                ok.then(|| {
                    let set = literal_set(&nodes);
                    (
                        Node::In {
                            value: Box::new(vnode),
                            list: nodes,
                            negated: *negated,
                            set,
                        },
                        Ty::Bool,
                        dep,
                    )
                })
            }
        }
    }

    fn name(&mut self, ident: &Ident) -> Option<(Node, Ty, bool)> {
        let name = ident.name.as_str();
        if !ident.quoted {
            match name {
                "it" => {
                    return match self.its.last() {
                        Some(&k) => Some((Node::It(self.its.len() - 1), Ty::Row(k), true)),
                        None => {
                            self.error(
                                &ident.span,
                                "`it` is only defined inside any(), all(), count() and find()",
                                None,
                            );
                            None
                        }
                    }
                }
                "this" => {
                    return match self.this {
                        Some(k) => Some((Node::This, Ty::Row(k), true)),
                        None => {
                            self.error(&ident.span, "`this` needs a rule with a `table`", None);
                            None
                        }
                    }
                }
                "_" if self.underscore => return Some((Node::Underscore, Ty::Str, true)),
                "group_count" if self.binding_index(name).is_none() => {
                    if self.group {
                        return Some((Node::GroupCount, Ty::Num, true));
                    }
                    self.error(
                        &ident.span,
                        "`group_count` is only defined in the messages of a rule with `group-by`",
                        None,
                    );
                    return None;
                }
                _ => {}
            }
            if let Some(index) = self.binding_index(name) {
                if matches!(self.binding_state[index], BindingState::InProgress) {
                    self.error(
                        &ident.span,
                        format!("binding `{name}` refers to itself"),
                        Some("a binding may use other bindings, but not in a cycle".into()),
                    );
                    return None;
                }
                let (ty, dep) = self.binding(index)?;
                return Some((Node::Binding(index), ty, dep));
            }
        }
        if let Some(&kind) = self.its.last() {
            if let Some(column) = self.schema.column(kind, name) {
                self.columns_used.insert((kind, column));
                let base = Node::It(self.its.len() - 1);
                return Some((
                    Node::Cell {
                        base: Box::new(base),
                        column,
                    },
                    Ty::Str,
                    true,
                ));
            }
        }
        if let Some(kind) = self.this {
            if let Some(column) = self.schema.column(kind, name) {
                self.columns_used.insert((kind, column));
                return Some((
                    Node::Cell {
                        base: Box::new(Node::This),
                        column,
                    },
                    Ty::Str,
                    true,
                ));
            }
        }
        if let Some(kind) = self.schema.kind(name) {
            self.kinds_used.insert(kind);
            return Some((Node::AllRows(kind), Ty::Rows(kind), false));
        }
        let mut candidates: Vec<&str> = self
            .binding_exprs
            .iter()
            .map(|(n, _, _)| n.as_str())
            .collect();
        for kind in self.its.iter().copied().chain(self.this) {
            candidates.extend(self.schema.kinds[kind].columns.iter().map(String::as_str));
        }
        candidates.extend(self.schema.kinds.iter().map(|k| k.name.as_str()));
        let help = suggest(name, &candidates).map(|s| format!("did you mean `{s}`?"));
        let what = match self.this.or(self.its.last().copied()) {
            Some(k) => format!(
                "unknown name `{name}`: not a binding, nor a column of `{}`, nor a table",
                self.schema.kinds[k].name
            ),
            None => format!("unknown name `{name}`: not a binding nor a table"),
        };
        self.error(&ident.span, what, help);
        None
    }

    fn member(&mut self, base: &Expr, ident: &Ident, span: &Span) -> Option<(Node, Ty, bool)> {
        // `kind.key` is only meaningful as the base of an index: reported there.
        if let ExprKind::Name(b) = &base.kind {
            if let Some(kind) = self.schema.kind(&b.name) {
                if self.binding_index(&b.name).is_none()
                    && self.schema.kinds[kind]
                        .keys
                        .iter()
                        .any(|k| k.name.eq_ignore_ascii_case(&ident.name))
                {
                    self.error(
                        span,
                        format!(
                            "`{}.{}` is a key: look a value up with `{}.{}[value]`",
                            b.name, ident.name, b.name, ident.name
                        ),
                        None,
                    );
                    return None;
                }
            }
        }
        let (node, ty, dep) = self.expr(base)?;
        let Some(kind) = ty.kind() else {
            self.error(
                &ident.span,
                format!(
                    "`.{}` needs a row, but this is {}",
                    ident.name,
                    ty.describe(self.schema)
                ),
                None,
            );
            return None;
        };
        match self.schema.column(kind, &ident.name) {
            Some(column) => {
                self.columns_used.insert((kind, column));
                Some((
                    Node::Cell {
                        base: Box::new(node),
                        column,
                    },
                    Ty::Str,
                    dep,
                ))
            }
            None => {
                let cols: Vec<&str> = self.schema.kinds[kind]
                    .columns
                    .iter()
                    .map(String::as_str)
                    .collect();
                let help = suggest(&ident.name, &cols).map(|s| format!("did you mean `{s}`?"));
                self.error(
                    &ident.span,
                    format!(
                        "unknown column `{}` of table `{}`",
                        ident.name, self.schema.kinds[kind].name
                    ),
                    help,
                );
                None
            }
        }
    }

    fn index(&mut self, base: &Expr, args: &[Expr], span: &Span) -> Option<(Node, Ty, bool)> {
        let (kind, key, base_span) = match &base.kind {
            ExprKind::Name(b) if self.binding_index(&b.name).is_none() => {
                if let Some(map) = self.schema.map(&b.name) {
                    if args.len() != 1 {
                        self.error(span, format!("map `{}` takes one value", b.name), None);
                        return None;
                    }
                    let (node, ty, dep) = self.expr(&args[0])?;
                    if !ty.scalar() {
                        self.error(&args[0].span, "a map is read with a value, not a row", None);
                        return None;
                    }
                    return Some((
                        Node::MapGet {
                            map,
                            arg: Box::new(node),
                        },
                        Ty::Str,
                        dep,
                    ));
                }
                match self.schema.kind(&b.name) {
                    Some(kind) if self.schema.kinds[kind].has_primary => (kind, 0, b.span.clone()),
                    Some(kind) => {
                        let keys: Vec<String> = self.schema.kinds[kind]
                            .keys
                            .iter()
                            .map(|k| format!("`{}.{}[…]`", b.name, k.name))
                            .collect();
                        self.error(
                            &b.span,
                            format!("table `{}` has no primary key", b.name),
                            (!keys.is_empty())
                                .then(|| format!("use a named key: {}", keys.join(", "))),
                        );
                        return None;
                    }
                    None => {
                        let mut names: Vec<&str> =
                            self.schema.kinds.iter().map(|k| k.name.as_str()).collect();
                        names.extend(self.schema.maps.iter().map(|m| m.name.as_str()));
                        let help = suggest(&b.name, &names).map(|s| format!("did you mean `{s}`?"));
                        self.error(&b.span, format!("unknown table or map `{}`", b.name), help);
                        return None;
                    }
                }
            }
            ExprKind::Member(inner, key_ident) => match &inner.kind {
                ExprKind::Name(b)
                    if self.binding_index(&b.name).is_none()
                        && self.schema.kind(&b.name).is_some() =>
                {
                    let kind = self.schema.kind(&b.name)?;
                    match self.schema.kinds[kind]
                        .keys
                        .iter()
                        .position(|k| k.name.eq_ignore_ascii_case(&key_ident.name))
                    {
                        Some(key) => (kind, key, base.span.clone()),
                        None => {
                            let keys: Vec<&str> = self.schema.kinds[kind]
                                .keys
                                .iter()
                                .map(|k| k.name.as_str())
                                .collect();
                            let help = suggest(&key_ident.name, &keys)
                                .map(|s| format!("did you mean `{s}`?"))
                                .or_else(|| {
                                    Some(format!("keys of `{}`: {}", b.name, keys.join(", ")))
                                });
                            self.error(
                                &key_ident.span,
                                format!("table `{}` has no key `{}`", b.name, key_ident.name),
                                help,
                            );
                            return None;
                        }
                    }
                }
                _ => {
                    self.error(
                        &base.span,
                        "only a table (`kind[v]`, `kind.key[v]`) or a map can be indexed",
                        None,
                    );
                    return None;
                }
            },
            _ => {
                self.error(
                    &base.span,
                    "only a table (`kind[v]`, `kind.key[v]`) or a map can be indexed",
                    None,
                );
                return None;
            }
        };
        let info = &self.schema.kinds[kind].keys[key];
        // A multi-valued key is looked up by one item, whatever number of columns it reads.
        let arity = if info.split.is_some() {
            1
        } else {
            info.columns.len()
        };
        if args.len() != arity {
            self.error(
                span,
                format!(
                    "key `{}` of `{}` has {arity} column{}, but {} value{} given",
                    self.schema.kinds[kind].keys[key].name,
                    self.schema.kinds[kind].name,
                    if arity == 1 { "" } else { "s" },
                    args.len(),
                    if args.len() == 1 { " is" } else { "s are" }
                ),
                None,
            );
            return None;
        }
        let _ = base_span;
        let mut nodes = Vec::with_capacity(args.len());
        let mut dep = false;
        for arg in args {
            let (node, ty, d) = self.expr(arg)?;
            if !ty.scalar() {
                self.error(
                    &arg.span,
                    format!(
                        "a key value must be a value, not {}",
                        ty.describe(self.schema)
                    ),
                    Some("take a column of it, e.g. `x.Name`".into()),
                );
                return None;
            }
            dep |= d;
            nodes.push(node);
        }
        self.kinds_used.insert(kind);
        self.lookups_used.insert((kind, key));
        Some((
            Node::Lookup {
                kind,
                key,
                args: nodes,
            },
            Ty::Rows(kind),
            dep,
        ))
    }

    fn binary(&mut self, op: BinaryOp, left: &Expr, right: &Expr) -> Option<(Node, Ty, bool)> {
        match op {
            BinaryOp::And | BinaryOp::Or => {
                // Compile both sides even when one fails, so every mistake is reported.
                let l = self.expr(left);
                let r = self.expr(right);
                let l_ok = l
                    .as_ref()
                    .is_some_and(|(_, t, _)| self.check_condition(*t, &left.span));
                let r_ok = r
                    .as_ref()
                    .is_some_and(|(_, t, _)| self.check_condition(*t, &right.span));
                let ((ln, _, ld), (rn, _, rd)) = (l?, r?);
                (l_ok && r_ok).then(|| {
                    let node = if op == BinaryOp::And {
                        Node::And(Box::new(ln), Box::new(rn))
                    } else {
                        Node::Or(Box::new(ln), Box::new(rn))
                    };
                    (node, Ty::Bool, ld || rd)
                })
            }
            BinaryOp::Match | BinaryOp::NotMatch => {
                let value = self.expr(left);
                let regex = self.regex(right);
                let (vn, vt, vd) = value?;
                if !matches!(vt, Ty::Str | Ty::Num | Ty::Ver) {
                    self.error(
                        &left.span,
                        format!("`=~` matches text, not {}", vt.describe(self.schema)),
                        None,
                    );
                    return None;
                }
                let regex = regex?;
                Some((
                    Node::Regex {
                        value: Box::new(vn),
                        regex,
                        negated: op == BinaryOp::NotMatch,
                    },
                    Ty::Bool,
                    vd,
                ))
            }
            _ => {
                let l = self.expr(left);
                let r = self.expr(right);
                let (ln, lt, ld) = l?;
                let (rn, rt, rd) = r?;
                let ordering = !matches!(op, BinaryOp::Eq | BinaryOp::Ne);
                if !self.check_comparable(lt, rt, &right.span, !ordering) {
                    return None;
                }
                let cmp = match op {
                    BinaryOp::Eq => CmpOp::Eq,
                    BinaryOp::Ne => CmpOp::Ne,
                    BinaryOp::Lt => CmpOp::Lt,
                    BinaryOp::Le => CmpOp::Le,
                    BinaryOp::Gt => CmpOp::Gt,
                    _ => CmpOp::Ge,
                };
                Some((
                    Node::Cmp {
                        op: cmp,
                        left: Box::new(ln),
                        right: Box::new(rn),
                    },
                    Ty::Bool,
                    ld || rd,
                ))
            }
        }
    }

    fn check_comparable(&mut self, a: Ty, b: Ty, span: &Span, equality: bool) -> bool {
        let problem = match (a, b) {
            (Ty::Row(_) | Ty::Rows(_), _) | (_, Ty::Row(_) | Ty::Rows(_)) => {
                Some("rows cannot be compared; compare one of their columns, e.g. `x.Name`")
            }
            (Ty::Bool, Ty::Num | Ty::Ver) | (Ty::Num | Ty::Ver, Ty::Bool) => {
                Some("a boolean cannot be compared with a number or a version")
            }
            (Ty::Bool, _) | (_, Ty::Bool) if !equality => Some("booleans have no order"),
            _ => None,
        };
        match problem {
            Some(p) => {
                self.error(
                    span,
                    format!(
                        "cannot compare {} with {}",
                        a.describe(self.schema),
                        b.describe(self.schema)
                    ),
                    Some(p.into()),
                );
                false
            }
            None => true,
        }
    }

    fn regex(&mut self, pattern: &Expr) -> Option<Regex> {
        let ExprKind::Str(text) = &pattern.kind else {
            self.error(
                &pattern.span,
                "a regular expression must be a string literal",
                Some("it is compiled once, when the rule is loaded".into()),
            );
            return None;
        };
        if text.len() > MAX_REGEX_LEN {
            // Parsing alone would take gigabytes before the compiled-size limit is checked.
            self.error(
                &(pattern.span.start..pattern.span.start + 1),
                format!(
                    "regular expression too large ({} bytes; at most {MAX_REGEX_LEN})",
                    text.len()
                ),
                None,
            );
            return None;
        }
        match regex::RegexBuilder::new(text)
            .size_limit(1 << 20)
            .dfa_size_limit(4 << 20)
            .build()
        {
            Ok(r) => Some(r),
            Err(e) => {
                let message = match &e {
                    regex::Error::CompiledTooBig(limit) => {
                        format!("regular expression too large (over the {limit}-byte limit)")
                    }
                    _ => format!(
                        "invalid regular expression: {}",
                        e.to_string().lines().last().unwrap_or("").trim()
                    ),
                };
                self.error(&pattern.span, message, None);
                None
            }
        }
    }

    fn call(&mut self, name: &Ident, args: &[Expr], span: &Span) -> Option<(Node, Ty, bool)> {
        let fname = name.name.as_str();
        let arity = |this: &mut Self, min: usize, max: usize| -> bool {
            if args.len() < min || args.len() > max {
                let expected = if min == max {
                    format!("{min}")
                } else if max == usize::MAX {
                    format!("at least {min}")
                } else {
                    format!("{min} to {max}")
                };
                this.error(
                    span,
                    format!(
                        "`{fname}` takes {expected} argument{}, {} given",
                        if expected == "1" { "" } else { "s" },
                        args.len()
                    ),
                    None,
                );
                false
            } else {
                true
            }
        };
        match fname {
            "any" | "all" | "count" | "find" | "first" => {
                let op = match fname {
                    "any" => AggOp::Any,
                    "all" => AggOp::All,
                    "count" => AggOp::Count,
                    "find" => AggOp::Find,
                    _ => AggOp::First,
                };
                let (min, max) = match op {
                    AggOp::Count => (1, 2),
                    AggOp::First => (1, 1),
                    _ => (2, 2),
                };
                if !arity(self, min, max) {
                    return None;
                }
                let (rows, rty, rdep) = self.expr(&args[0])?;
                let Ty::Rows(kind) = rty else {
                    self.error(
                        &args[0].span,
                        format!(
                            "`{fname}` needs a set of rows (a table or a lookup), found {}",
                            rty.describe(self.schema)
                        ),
                        None,
                    );
                    return None;
                };
                let mut dep = rdep;
                let cond = match args.get(1) {
                    Some(c) => {
                        self.its.push(kind);
                        let compiled = self.expr(c);
                        self.its.pop();
                        let (node, ty, d) = compiled?;
                        if !self.check_condition(ty, &c.span) {
                            return None;
                        }
                        // A condition reading only `it` does not depend on the checked row.
                        dep |= d && self.mentions_outer_row(&node);
                        Some(Box::new(node))
                    }
                    None => None,
                };
                let slot = (!dep).then(|| {
                    self.cache_slots += 1;
                    self.cache_slots - 1
                });
                let ty = match op {
                    AggOp::Any | AggOp::All => Ty::Bool,
                    AggOp::Count => Ty::Num,
                    AggOp::Find | AggOp::First => Ty::Row(kind),
                };
                Some((
                    Node::Aggregate {
                        op,
                        rows: Box::new(rows),
                        cond,
                        slot,
                    },
                    ty,
                    dep,
                ))
            }
            "matches" => {
                if !arity(self, 2, 2) {
                    return None;
                }
                let (vn, vt, vd) = self.expr(&args[0])?;
                if !vt.scalar() {
                    self.error(
                        &args[0].span,
                        format!("`matches` needs text, found {}", vt.describe(self.schema)),
                        None,
                    );
                    return None;
                }
                let regex = self.regex(&args[1])?;
                Some((
                    Node::Regex {
                        value: Box::new(vn),
                        regex,
                        negated: false,
                    },
                    Ty::Bool,
                    vd,
                ))
            }
            "if" => {
                if !arity(self, 3, 3) {
                    return None;
                }
                let c = self.expr(&args[0]);
                let a = self.expr(&args[1]);
                let b = self.expr(&args[2]);
                let ((cn, ct, cd), (an, at, ad), (bn, bt, bd)) = (c?, a?, b?);
                if !self.check_condition(ct, &args[0].span) {
                    return None;
                }
                let ty = self.unify(at, bt, &args[2].span)?;
                Some((
                    Node::If(Box::new(cn), Box::new(an), Box::new(bn)),
                    ty,
                    cd || ad || bd,
                ))
            }
            "coalesce" => {
                if !arity(self, 1, usize::MAX) {
                    return None;
                }
                let mut nodes = Vec::new();
                let mut ty: Option<Ty> = None;
                let mut dep = false;
                for arg in args {
                    let (n, t, d) = self.expr(arg)?;
                    ty = Some(match ty {
                        Some(prev) => self.unify(prev, t, &arg.span)?,
                        None => t,
                    });
                    dep |= d;
                    nodes.push(n);
                }
                Some((Node::Coalesce(nodes), ty.unwrap_or(Ty::Str), dep))
            }
            _ => {
                let (func, min, max, ret) = match fname {
                    "exists" => (Func::Exists, 1, 1, Ty::Bool),
                    "empty" => (Func::Empty, 1, 1, Ty::Bool),
                    "lower" => (Func::Lower, 1, 1, Ty::Str),
                    "upper" => (Func::Upper, 1, 1, Ty::Str),
                    "trim" => (Func::Trim, 1, 1, Ty::Str),
                    "len" => (Func::Len, 1, 1, Ty::Num),
                    "starts_with" => (Func::StartsWith, 2, 2, Ty::Bool),
                    "ends_with" => (Func::EndsWith, 2, 2, Ty::Bool),
                    "contains" => (Func::Contains, 2, 2, Ty::Bool),
                    "strip_prefix" => (Func::StripPrefix, 2, 2, Ty::Str),
                    "strip_suffix" => (Func::StripSuffix, 2, 2, Ty::Str),
                    "concat" => (Func::Concat, 1, usize::MAX, Ty::Str),
                    "version" => (Func::Version, 1, 1, Ty::Ver),
                    "num" => (Func::Num, 1, 1, Ty::Num),
                    "client_major" => (Func::ClientMajor, 1, 1, Ty::Num),
                    "client_version" => (Func::ClientVersion, 1, 1, Ty::Ver),
                    "client_name" => (Func::ClientName, 1, 1, Ty::Str),
                    "eq_case" => (Func::EqCase, 2, 2, Ty::Bool),
                    "target" => (Func::Target, 0, 0, Ty::Str),
                    "target_version" => (Func::TargetVersion, 0, 0, Ty::Num),
                    "retiring" => (Func::Retiring, 1, 1, Ty::Bool),
                    "left" => (Func::Left, 2, 2, Ty::Str),
                    "after" => (Func::After, 2, 2, Ty::Str),
                    _ => {
                        let help =
                            suggest(fname, FUNCTIONS).map(|s| format!("did you mean `{s}`?"));
                        self.error(
                            &name.span,
                            format!("unknown function `{fname}`"),
                            help.or_else(|| Some(format!("functions: {}", FUNCTIONS.join(", ")))),
                        );
                        return None;
                    }
                };
                if !arity(self, min, max) {
                    return None;
                }
                let mut nodes = Vec::with_capacity(args.len());
                let mut dep = false;
                let mut ok = true;
                for arg in args {
                    let Some((n, t, d)) = self.expr(arg) else {
                        ok = false;
                        continue;
                    };
                    let accepts_rows = matches!(func, Func::Exists | Func::Empty | Func::Len);
                    if !t.scalar() && !accepts_rows {
                        self.error(
                            &arg.span,
                            format!("`{fname}` needs a value, found {}", t.describe(self.schema)),
                            Some("take a column of it, e.g. `x.Name`".into()),
                        );
                        ok = false;
                    } else if t == Ty::Bool
                        && !matches!(func, Func::Exists | Func::Empty | Func::Concat)
                    {
                        self.error(
                            &arg.span,
                            format!("`{fname}` needs text, found a boolean"),
                            None,
                        );
                        ok = false;
                    }
                    dep |= d;
                    nodes.push(n);
                }
                ok.then(|| (Node::Call { func, args: nodes }, ret, dep))
            }
        }
    }

    fn unify(&mut self, a: Ty, b: Ty, span: &Span) -> Option<Ty> {
        if a == b {
            return Some(a);
        }
        match (a, b) {
            (Ty::Str, t) | (t, Ty::Str) if t.scalar() => Some(Ty::Str),
            (Ty::Row(k), Ty::Rows(l)) | (Ty::Rows(k), Ty::Row(l)) if k == l => Some(Ty::Rows(k)),
            _ => {
                self.error(
                    span,
                    format!(
                        "both branches must have the same type: {} and {}",
                        a.describe(self.schema),
                        b.describe(self.schema)
                    ),
                    None,
                );
                None
            }
        }
    }

    /// Whether a node (an aggregate condition) reads `this` or a row-dependent binding or an
    /// outer `it`, rather than only its own candidate row.
    fn mentions_outer_row(&self, node: &Node) -> bool {
        self.mentions(node, self.its.len())
    }

    fn mentions(&self, node: &Node, own_it: usize) -> bool {
        match node {
            Node::This | Node::GroupCount => true,
            Node::It(i) => *i < own_it,
            Node::Binding(i) => matches!(
                self.binding_state.get(*i),
                Some(BindingState::Done(_, true))
            ),
            Node::Const(_) | Node::Underscore | Node::AllRows(_) => false,
            Node::Cell { base, .. } | Node::Not(base) | Node::MapGet { arg: base, .. } => {
                self.mentions(base, own_it)
            }
            Node::Lookup { args, .. } | Node::Call { args, .. } | Node::Coalesce(args) => {
                args.iter().any(|a| self.mentions(a, own_it))
            }
            Node::And(a, b)
            | Node::Or(a, b)
            | Node::Cmp {
                left: a, right: b, ..
            } => self.mentions(a, own_it) || self.mentions(b, own_it),
            Node::Regex { value, .. } => self.mentions(value, own_it),
            Node::In { value, list, .. } => {
                self.mentions(value, own_it) || list.iter().any(|a| self.mentions(a, own_it))
            }
            Node::If(a, b, c) => {
                self.mentions(a, own_it) || self.mentions(b, own_it) || self.mentions(c, own_it)
            }
            Node::Aggregate { rows, cond, .. } => {
                self.mentions(rows, own_it)
                    || cond.as_ref().is_some_and(|c| self.mentions(c, own_it))
            }
        }
    }
}

/// The closest candidate by edit distance, if close enough to be a likely typo.
pub fn suggest<'a>(name: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let lower = name.to_lowercase();
    candidates
        .iter()
        .map(|c| (edit_distance(&lower, &c.to_lowercase()), *c))
        .filter(|(d, c)| *d <= (c.chars().count() / 3).max(1))
        .min_by_key(|(d, c)| (*d, *c))
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}
