//! Syntax tree of rule expressions, with byte spans into the source text.
//!
//! `Display` prints a canonical form that parses back to the same tree
//! (modulo spans). Long `&&` / `||` chains are left-deep and may be hundreds
//! of thousands of nodes deep, so `Drop`, `Display` and [`strip_spans`] walk
//! them without recursion; the derived `Debug`, `Clone` and `PartialEq` do
//! recurse. Because `Expr` implements `Drop`, match on `&expr.kind`.

use std::fmt;

/// Byte offsets into the expression text.
pub type Span = std::ops::Range<usize>;

#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
    pub quoted: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    Not,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Match,
    NotMatch,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Str(String),
    Num(f64),
    Bool(bool),
    Name(Ident),
    Member(Box<Expr>, Ident),
    Index(Box<Expr>, Vec<Expr>),
    Call(Ident, Vec<Expr>),
    Unary(UnaryOp, Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    In {
        value: Box<Expr>,
        list: Vec<Expr>,
        negated: bool,
    },
}

impl BinaryOp {
    /// The operator as written in canonical source.
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Or => "||",
            BinaryOp::And => "&&",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::Match => "=~",
            BinaryOp::NotMatch => "!~",
        }
    }
}

// Binding strength, matching the parser's levels.
const PREC_OR: u8 = 1;
const PREC_AND: u8 = 2;
const PREC_UNARY: u8 = 3;
const PREC_CMP: u8 = 4;
const PREC_POSTFIX: u8 = 5;

fn binary_prec(op: BinaryOp) -> u8 {
    match op {
        BinaryOp::Or => PREC_OR,
        BinaryOp::And => PREC_AND,
        _ => PREC_CMP,
    }
}

fn prec(e: &Expr) -> u8 {
    match &e.kind {
        ExprKind::Binary(op, ..) => binary_prec(*op),
        ExprKind::In { .. } => PREC_CMP,
        ExprKind::Unary(..) => PREC_UNARY,
        _ => PREC_POSTFIX,
    }
}

fn has_children(kind: &ExprKind) -> bool {
    match kind {
        ExprKind::Str(_) | ExprKind::Num(_) | ExprKind::Bool(_) | ExprKind::Name(_) => false,
        ExprKind::Call(_, args) => !args.is_empty(),
        _ => true,
    }
}

fn placeholder() -> Expr {
    Expr {
        kind: ExprKind::Bool(false),
        span: 0..0,
    }
}

/// Moves every child that has children of its own onto `out`, leaving leaves.
fn detach_children(kind: &mut ExprKind, out: &mut Vec<Expr>) {
    fn take(e: &mut Expr, out: &mut Vec<Expr>) {
        if has_children(&e.kind) {
            out.push(std::mem::replace(e, placeholder()));
        }
    }
    match kind {
        ExprKind::Str(_) | ExprKind::Num(_) | ExprKind::Bool(_) | ExprKind::Name(_) => {}
        ExprKind::Member(base, _) | ExprKind::Unary(_, base) => take(base, out),
        ExprKind::Index(base, args) => {
            take(base, out);
            args.iter_mut().for_each(|a| take(a, out));
        }
        ExprKind::Call(_, args) => args.iter_mut().for_each(|a| take(a, out)),
        ExprKind::Binary(_, l, r) => {
            take(l, out);
            take(r, out);
        }
        ExprKind::In { value, list, .. } => {
            take(value, out);
            list.iter_mut().for_each(|a| take(a, out));
        }
    }
}

impl Drop for Expr {
    fn drop(&mut self) {
        let mut stack = Vec::new();
        detach_children(&mut self.kind, &mut stack);
        while let Some(mut e) = stack.pop() {
            detach_children(&mut e.kind, &mut stack);
        }
    }
}

/// A copy of `e` with every span (including identifiers') set to `0..0`.
pub fn strip_spans(e: &Expr) -> Expr {
    let kind = match &e.kind {
        ExprKind::Str(s) => ExprKind::Str(s.clone()),
        ExprKind::Num(n) => ExprKind::Num(*n),
        ExprKind::Bool(b) => ExprKind::Bool(*b),
        ExprKind::Name(id) => ExprKind::Name(strip_ident(id)),
        ExprKind::Member(base, id) => {
            ExprKind::Member(Box::new(strip_spans(base)), strip_ident(id))
        }
        ExprKind::Index(base, args) => {
            ExprKind::Index(Box::new(strip_spans(base)), strip_all(args))
        }
        ExprKind::Call(id, args) => ExprKind::Call(strip_ident(id), strip_all(args)),
        ExprKind::Unary(op, inner) => ExprKind::Unary(*op, Box::new(strip_spans(inner))),
        ExprKind::Binary(..) => {
            // Walk the left spine iteratively: chains can be very long.
            let mut rights = Vec::new();
            let mut cur = e;
            while let ExprKind::Binary(op, l, r) = &cur.kind {
                rights.push((*op, &**r));
                cur = l;
            }
            let mut acc = strip_spans(cur);
            while let Some((op, r)) = rights.pop() {
                acc = Expr {
                    kind: ExprKind::Binary(op, Box::new(acc), Box::new(strip_spans(r))),
                    span: 0..0,
                };
            }
            return acc;
        }
        ExprKind::In {
            value,
            list,
            negated,
        } => ExprKind::In {
            value: Box::new(strip_spans(value)),
            list: strip_all(list),
            negated: *negated,
        },
    };
    Expr { kind, span: 0..0 }
}

fn strip_all(es: &[Expr]) -> Vec<Expr> {
    es.iter().map(strip_spans).collect()
}

fn strip_ident(id: &Ident) -> Ident {
    Ident {
        name: id.name.clone(),
        span: 0..0,
        quoted: id.quoted,
    }
}

impl fmt::Display for Ident {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.quoted {
            write!(f, "`{}`", self.name)
        } else {
            f.write_str(&self.name)
        }
    }
}

/// Writes a double-quoted string literal. A backslash is written bare when the
/// lexer would keep it anyway (so regexes like `\d` stay readable).
fn write_str_lit(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    f.write_str("\"")?;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => match chars.peek() {
                // Where a bare `\\` would read back as part of an escape.
                None | Some('"' | '\\' | 'n' | 't' | 'r' | '\n' | '\t' | '\r') => {
                    f.write_str("\\\\")?
                }
                Some(_) => f.write_str("\\")?,
            },
            '\n' => f.write_str("\\n")?,
            '\t' => f.write_str("\\t")?,
            '\r' => f.write_str("\\r")?,
            c => write!(f, "{c}")?,
        }
    }
    f.write_str("\"")
}

/// Writes `e`, parenthesised if it binds looser than `min`.
fn write_operand(f: &mut fmt::Formatter<'_>, e: &Expr, min: u8) -> fmt::Result {
    if prec(e) < min {
        write!(f, "({e})")
    } else {
        write!(f, "{e}")
    }
}

fn write_list(f: &mut fmt::Formatter<'_>, items: &[Expr]) -> fmt::Result {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{item}")?;
    }
    Ok(())
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ExprKind::Str(s) => write_str_lit(f, s),
            ExprKind::Num(n) => write!(f, "{n}"),
            ExprKind::Bool(b) => write!(f, "{b}"),
            ExprKind::Name(id) => write!(f, "{id}"),
            ExprKind::Member(base, id) => {
                write_operand(f, base, PREC_POSTFIX)?;
                write!(f, ".{id}")
            }
            ExprKind::Index(base, args) => {
                write_operand(f, base, PREC_POSTFIX)?;
                f.write_str("[")?;
                write_list(f, args)?;
                f.write_str("]")
            }
            ExprKind::Call(id, args) => {
                write!(f, "{id}(")?;
                write_list(f, args)?;
                f.write_str(")")
            }
            ExprKind::Unary(UnaryOp::Not, inner) => {
                f.write_str("!")?;
                write_operand(f, inner, PREC_UNARY)
            }
            ExprKind::Binary(op @ (BinaryOp::And | BinaryOp::Or), ..) => {
                // Left-associative chain: walk the left spine iteratively.
                let level = binary_prec(*op);
                let mut rights = Vec::new();
                let mut cur = self;
                while let ExprKind::Binary(o, l, r) = &cur.kind {
                    if o != op {
                        break;
                    }
                    rights.push(&**r);
                    cur = l;
                }
                write_operand(f, cur, level)?;
                while let Some(r) = rights.pop() {
                    write!(f, " {} ", op.symbol())?;
                    write_operand(f, r, level + 1)?;
                }
                Ok(())
            }
            ExprKind::Binary(op, l, r) => {
                write_operand(f, l, PREC_POSTFIX)?;
                write!(f, " {} ", op.symbol())?;
                write_operand(f, r, PREC_POSTFIX)
            }
            ExprKind::In {
                value,
                list,
                negated,
            } => {
                write_operand(f, value, PREC_POSTFIX)?;
                f.write_str(if *negated { " not in [" } else { " in [" })?;
                write_list(f, list)?;
                f.write_str("]")
            }
        }
    }
}

/// Depth of the tree, computed without recursion (trees from long `&&` chains are deep).
pub fn depth(expr: &Expr) -> usize {
    let mut max = 0;
    let mut stack: Vec<(&Expr, usize)> = vec![(expr, 1)];
    while let Some((e, d)) = stack.pop() {
        max = max.max(d);
        match &e.kind {
            ExprKind::Str(_) | ExprKind::Num(_) | ExprKind::Bool(_) | ExprKind::Name(_) => {}
            ExprKind::Member(base, _) | ExprKind::Unary(_, base) => stack.push((base, d + 1)),
            ExprKind::Index(base, args) => {
                stack.push((base, d + 1));
                stack.extend(args.iter().map(|a| (a, d + 1)));
            }
            ExprKind::Call(_, args) => stack.extend(args.iter().map(|a| (a, d + 1))),
            ExprKind::Binary(_, l, r) => {
                stack.push((l, d + 1));
                stack.push((r, d + 1));
            }
            ExprKind::In { value, list, .. } => {
                stack.push((value, d + 1));
                stack.extend(list.iter().map(|a| (a, d + 1)));
            }
        }
    }
    max
}
