//! Compiling: from a parsed [`Expr`] to a [`Node`] tree bound to real table kinds.
//!
//! Names are resolved once, here: a bare name is (in this order) `it` (the candidate row of
//! the innermost `any`/`all`/`count`/`find`), `this` (the row being checked), `_` (the value
//! a key's `normalize` expression works on), a binding of the rule, a column of the candidate
//! row inside an aggregate condition, a column of the row being checked, or a table kind (all
//! its rows). `kind[v]` looks a table up by its primary key, `kind.key[v]` by a named key,
//! `map[v]` reads a value map. Types are checked here so that evaluation never meets a type
//! error; every mistake is collected with the span of the characters at fault.
//!
//! The compiler's steps live in the files of this folder: [`schema`] (what names resolve
//! against), [`node`] (the compiled tree), [`functions`] (the built-in functions),
//! `bindings`, `names`, `operators` and `call` (the parts of [`Compiler`]), and [`memo`] (a
//! pass over compiled programs).

mod bindings;
mod call;
pub mod functions;
pub mod memo;
mod names;
pub mod node;
mod operators;
pub mod schema;

use std::collections::BTreeSet;

use super::ast::{Expr, ExprKind, Span, UnaryOp};
use super::value::Value;

pub use functions::{AggOp, Func};
pub use node::{CmpOp, Node};
pub use schema::{KeyInfo, KindInfo, MapInfo, RowPredicate, RunParams, Schema};

/// The index of a table kind in a [`Schema`].
pub type KindId = usize;
/// The index of a column in a kind's columns.
pub type ColumnId = usize;

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
    pub fn for_normalise(schema: &'s Schema) -> Self {
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
            } => self.membership(value, list, *negated),
        }
    }
}

/// The candidate nearest to `name`, if close enough to be a likely typo (the one rule of
/// [`crate::suggest::nearest`]; kept here for the rule loader).
pub fn suggest<'a>(name: &str, candidates: &[&'a str]) -> Option<&'a str> {
    crate::suggest::nearest(name, candidates.iter().copied())
}
