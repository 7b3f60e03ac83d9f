//! Compiling a call `name(args)`: the function is looked up in [`FUNCTIONS`], the number of
//! arguments checked against it, then the special forms (`matches`, `if`, `coalesce`, the
//! aggregates) are compiled to nodes of their own and a plain function to a [`Node::Call`]
//! whose arguments are checked against the kinds the table allows.

use super::functions::{self, AggOp, Builtin, Func, Function};
use super::node::Node;
use super::{suggest, Compiler, Ty};
use crate::expr::ast::{Expr, Ident, Span};

impl Compiler<'_> {
    pub(super) fn call(
        &mut self,
        name: &Ident,
        args: &[Expr],
        span: &Span,
    ) -> Option<(Node, Ty, bool)> {
        let Some(function) = functions::find(&name.name) else {
            self.unknown_function(name);
            return None;
        };
        if !self.check_arity(function, args.len(), span) {
            return None;
        }
        match function.id {
            Builtin::Aggregate(op) => self.aggregate(function, op, args),
            Builtin::Matches => self.matches(args),
            Builtin::If => self.if_then_else(args),
            Builtin::Coalesce => self.coalesce(args),
            Builtin::Plain(func) => self.plain(function, func, args),
        }
    }

    fn unknown_function(&mut self, name: &Ident) {
        let names: Vec<&str> = functions::names().collect();
        let help = suggest(&name.name, &names).map(|s| format!("did you mean `{s}`?"));
        self.error(
            &name.span,
            format!("unknown function `{}`", name.name),
            help.or_else(|| Some(format!("functions: {}", names.join(", ")))),
        );
    }

    /// Whether `given` arguments suit `function`; an error when not.
    fn check_arity(&mut self, function: &Function, given: usize, span: &Span) -> bool {
        let (min, max) = (function.min, function.max);
        if (min..=max).contains(&given) {
            return true;
        }
        let expected = if min == max {
            format!("{min}")
        } else if max == usize::MAX {
            format!("at least {min}")
        } else {
            format!("{min} to {max}")
        };
        self.error(
            span,
            format!(
                "`{}` takes {expected} argument{}, {given} given",
                function.name,
                if expected == "1" { "" } else { "s" },
            ),
            None,
        );
        false
    }

    /// `any`, `all`, `count`, `find`, `first`: over a set of rows, the condition compiled with
    /// the candidate row as `it`; cached per run when it does not depend on the checked row.
    fn aggregate(
        &mut self,
        function: &Function,
        op: AggOp,
        args: &[Expr],
    ) -> Option<(Node, Ty, bool)> {
        let (rows, rty, rdep) = self.expr(&args[0])?;
        let Ty::Rows(kind) = rty else {
            self.error(
                &args[0].span,
                format!(
                    "`{}` needs a set of rows (a table or a lookup), found {}",
                    function.name,
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
        // `find` and `first` give a row of the set.
        let ty = function.result.unwrap_or(Ty::Row(kind));
        let node = Node::Aggregate {
            op,
            rows: Box::new(rows),
            cond,
            slot,
        };
        Some((node, ty, dep))
    }

    fn matches(&mut self, args: &[Expr]) -> Option<(Node, Ty, bool)> {
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
        let node = Node::Regex {
            value: Box::new(vn),
            regex,
            negated: false,
        };
        Some((node, Ty::Bool, vd))
    }

    fn if_then_else(&mut self, args: &[Expr]) -> Option<(Node, Ty, bool)> {
        // All three compiled even when one fails, so every mistake is reported.
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

    fn coalesce(&mut self, args: &[Expr]) -> Option<(Node, Ty, bool)> {
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

    /// A plain function: each argument compiled (all of them, so every mistake is reported)
    /// and checked against the kinds of value the function takes.
    fn plain(
        &mut self,
        function: &Function,
        func: Func,
        args: &[Expr],
    ) -> Option<(Node, Ty, bool)> {
        let mut nodes = Vec::with_capacity(args.len());
        let mut dep = false;
        let mut ok = true;
        for arg in args {
            let Some((n, t, d)) = self.expr(arg) else {
                ok = false;
                continue;
            };
            if !t.scalar() && !function.args.rows() {
                self.error(
                    &arg.span,
                    format!(
                        "`{}` needs a value, found {}",
                        function.name,
                        t.describe(self.schema)
                    ),
                    Some("take a column of it, e.g. `x.Name`".into()),
                );
                ok = false;
            } else if t == Ty::Bool && !function.args.booleans() {
                self.error(
                    &arg.span,
                    format!("`{}` needs text, found a boolean", function.name),
                    None,
                );
                ok = false;
            }
            dep |= d;
            nodes.push(n);
        }
        // Every plain function has a fixed result type.
        let ty = function.result.unwrap_or(Ty::Str);
        ok.then(|| (Node::Call { func, args: nodes }, ty, dep))
    }
}
