//! The operators: `&&`, `||`, comparisons, `=~`/`!~` (with the regular expression compiled
//! once, size-limited), and the type both branches of an `if` or `coalesce` share.

use regex::Regex;

use super::node::{literal_set, CmpOp, Node};

use super::{Compiler, Ty, MAX_REGEX_LEN};
use crate::expr::ast::{BinaryOp, Expr, ExprKind, Span};

impl Compiler<'_> {
    pub(super) fn binary(
        &mut self,
        op: BinaryOp,
        left: &Expr,
        right: &Expr,
    ) -> Option<(Node, Ty, bool)> {
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

    pub(super) fn check_comparable(&mut self, a: Ty, b: Ty, span: &Span, equality: bool) -> bool {
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

    pub(super) fn regex(&mut self, pattern: &Expr) -> Option<Regex> {
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

    pub(super) fn unify(&mut self, a: Ty, b: Ty, span: &Span) -> Option<Ty> {
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

    /// `value in [list]` (`not in` when `negated`): long lists of text literals are looked up
    /// in a set.
    pub(super) fn membership(
        &mut self,
        value: &Expr,
        list: &[Expr],
        negated: bool,
    ) -> Option<(Node, Ty, bool)> {
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
                    negated,
                    set,
                },
                Ty::Bool,
                dep,
            )
        })
    }
}
