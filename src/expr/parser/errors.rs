//! The parser's error messages: each built while `peek()` is the offending token, with the
//! span it marks and a help line saying what to write instead.

use super::{can_start_expr, error, ParseError, Parser, MAX_DEPTH};
use crate::expr::ast::{Expr, ExprKind, Span};
use crate::expr::lexer::{Token, TokenKind};

impl Parser<'_> {
    /// The source text of a token for messages, shortened if long.
    pub(super) fn describe(&self, tok: &Token) -> String {
        if tok.kind == TokenKind::Eof {
            return "the end of the expression".to_owned();
        }
        let text = self.src.get(tok.span.clone()).unwrap_or("?");
        if text.chars().count() > 32 {
            let short: String = text.chars().take(29).collect();
            format!("`{short}...`")
        } else {
            format!("`{text}`")
        }
    }

    #[cold]
    #[inline(never)]
    pub(super) fn err_too_deep(&self) -> Box<ParseError> {
        error(
            format!("expression nested too deeply (more than {MAX_DEPTH} levels)"),
            self.peek().span.clone(),
            Some("split the expression or remove redundant parentheses".to_owned()),
        )
    }

    #[cold]
    #[inline(never)]
    pub(super) fn err_trailing(&self) -> Box<ParseError> {
        let tok = self.peek();
        let help = match &tok.kind {
            TokenKind::RParen => Some("this `)` has no matching `(`"),
            TokenKind::RBracket => Some("this `]` has no matching `[`"),
            k if can_start_expr(k) => Some("combine conditions with `&&` or `||`"),
            _ => None,
        };
        error(
            format!(
                "unexpected {} after the end of the expression",
                self.describe(tok)
            ),
            tok.span.clone(),
            help.map(str::to_owned),
        )
    }

    #[cold]
    #[inline(never)]
    pub(super) fn err_expected_expr(&self) -> Box<ParseError> {
        let tok = self.peek();
        if tok.kind == TokenKind::Eof {
            let help = self
                .prev
                .clone()
                .and_then(|span| self.src.get(span))
                .map(|text| format!("expected an expression after `{text}`"));
            return error("unexpected end of expression", tok.span.clone(), help);
        }
        let help = match tok.kind {
            TokenKind::In => Some("`in` needs a value before it: `x in [1, 2]`".to_owned()),
            _ => None,
        };
        error(
            format!("expected an expression, found {}", self.describe(tok)),
            tok.span.clone(),
            help,
        )
    }

    #[cold]
    #[inline(never)]
    pub(super) fn err_negated_operand(&self) -> Box<ParseError> {
        let tok = self.peek();
        let op = self.prev.clone().and_then(|span| self.src.get(span));
        error(
            format!("expected an expression, found {}", self.describe(tok)),
            tok.span.clone(),
            Some(format!(
                "`!` binds looser than `{}`; put the negation in parentheses",
                op.unwrap_or("==")
            )),
        )
    }

    #[cold]
    #[inline(never)]
    pub(super) fn err_in_without_list(&self) -> Box<ParseError> {
        let tok = self.peek();
        error(
            format!("expected `[` after `in`, found {}", self.describe(tok)),
            tok.span.clone(),
            Some("membership takes a list, e.g. `x in [1, 2]`".to_owned()),
        )
    }

    #[cold]
    #[inline(never)]
    pub(super) fn err_not_without_in(&self) -> Box<ParseError> {
        error(
            "expected `in` after `not`",
            self.peek().span.clone(),
            Some("to negate a condition, put `!` or `not` before it".to_owned()),
        )
    }

    #[cold]
    #[inline(never)]
    pub(super) fn err_chained(&self) -> Box<ParseError> {
        error(
            "comparisons cannot be chained",
            self.peek().span.clone(),
            Some("use `&&` to combine comparisons, e.g. `a < b && b < c`".to_owned()),
        )
    }

    #[cold]
    #[inline(never)]
    pub(super) fn err_empty_index(&self) -> Box<ParseError> {
        let open = self.peek().span.start;
        let end = self
            .tokens
            .len()
            .checked_sub(2)
            .and_then(|i| self.tokens.get(i));
        error(
            "index brackets cannot be empty",
            open..end.map_or(open + 1, |t| t.span.end),
            Some("put a key inside, e.g. `registrars[Pool]`".to_owned()),
        )
    }

    #[cold]
    #[inline(never)]
    pub(super) fn err_not_callable(&self, callee: &Expr) -> Box<ParseError> {
        let help = match &callee.kind {
            ExprKind::Name(id) if id.quoted => {
                "functions have plain names; a backtick name cannot be called"
            }
            _ => "call a function by its name, e.g. `lower(x)`",
        };
        error(
            "only a name can be called",
            callee.span.clone(),
            Some(help.to_owned()),
        )
    }

    #[cold]
    #[inline(never)]
    pub(super) fn err_member_name(&self) -> Box<ParseError> {
        let tok = self.peek();
        let help = match &tok.kind {
            TokenKind::True
            | TokenKind::False
            | TokenKind::In
            | TokenKind::Not
            | TokenKind::And
            | TokenKind::Or => {
                let word = self.src.get(tok.span.clone()).unwrap_or("name");
                Some(format!("`{word}` is a keyword; write it in backticks"))
            }
            _ => None,
        };
        error(
            format!("expected a name after `.`, found {}", self.describe(tok)),
            tok.span.clone(),
            help,
        )
    }

    /// "expected `)` to close this `(`", pointing at the opening token.
    /// `what` names the list's items; empty for a parenthesised expression.
    #[cold]
    #[inline(never)]
    pub(super) fn err_unclosed(&self, open: Span, open_text: &str, what: &str) -> Box<ParseError> {
        let close_text = if open_text == "(" { ")" } else { "]" };
        let tok = self.peek();
        let help = if tok.kind == TokenKind::Eof {
            format!("the expression ends before `{close_text}`")
        } else if can_start_expr(&tok.kind) && !what.is_empty() {
            format!(
                "found {} where `{close_text}` was expected; separate {what} with `,`",
                self.describe(tok)
            )
        } else if can_start_expr(&tok.kind) {
            format!(
                "found {} where `{close_text}` was expected; combine conditions with `&&` or `||`",
                self.describe(tok)
            )
        } else {
            format!(
                "found {} where `{close_text}` was expected",
                self.describe(tok)
            )
        };
        error(
            format!("expected `{close_text}` to close this `{open_text}`"),
            open,
            Some(help),
        )
    }
}
