//! Parser: turns expression text into an [`Expr`], or one [`ParseError`].
//!
//! Grammar (lowest precedence first; `&&` `||` `!` have word forms `and`
//! `or` `not`):
//!
//! ```text
//! expr       = and_expr , { ( "||" | "or" ) , and_expr } ;
//! and_expr   = unary , { ( "&&" | "and" ) , unary } ;
//! unary      = { "!" | "not" } , comparison ;
//! comparison = postfix , [ cmp_op , postfix
//!                        | [ "not" ] , "in" , "[" , [ items ] , "]" ] ;
//! cmp_op     = "==" | "!=" | "<" | "<=" | ">" | ">=" | "=~" | "!~" ;
//! postfix    = primary , { "." , IDENT | "[" , items , "]" } ;
//! primary    = STRING | NUMBER | "true" | "false"
//!            | BARE_IDENT , "(" , [ items ] , ")"
//!            | IDENT | "(" , expr , ")" ;
//! items      = expr , { "," , expr } , [ "," ] ;
//! ```
//!
//! `IDENT` is a plain or backtick name, `BARE_IDENT` a plain one. Comparisons
//! do not chain. `not` right after an operand must start `not in`.
//! Parentheses, `!`, calls, indexes, member accesses and lists together may
//! nest at most [`MAX_DEPTH`] levels; `&&` / `||` chains are parsed by loops
//! and may be arbitrarily long. The error reported is the first one in source
//! order (a lexical error where the parser reaches it).

mod errors;

use std::fmt;

use super::ast::{BinaryOp, Expr, ExprKind, Ident, Span, UnaryOp};
use super::lexer::{tokenize, LexError, Token, TokenKind};

/// Deepest nesting accepted.
pub const MAX_DEPTH: usize = 128;

#[derive(Debug, Clone, PartialEq)]
pub struct ParseError {
    pub message: String,
    pub span: Span,
    pub help: Option<String>,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ParseError {}

impl From<LexError> for ParseError {
    fn from(e: LexError) -> Self {
        ParseError {
            message: e.message,
            span: e.span,
            help: e.help,
        }
    }
}

/// Parses one complete expression.
pub fn parse(src: &str) -> Result<Expr, ParseError> {
    let lexed = tokenize(src);
    let mut tokens = lexed.tokens;
    tokens.reverse();
    let eof = tokens.first().cloned().unwrap_or(Token {
        kind: TokenKind::Eof,
        span: src.len()..src.len(),
    });
    let mut parser = Parser {
        src,
        tokens,
        eof,
        prev: None,
        depth: 0,
    };
    let result = parser.root();
    // The parser stops where lexing stopped; if it got there (with or without
    // an error of its own), the lexical error is the real cause.
    match lexed.error {
        Some(e) if parser.peek().kind == TokenKind::Eof => Err(e.into()),
        _ => result.map(|e| *e).map_err(|e| *e),
    }
}

// Internally, results are boxed on both sides: the recursive functions then
// move 8-byte values, which keeps their (unoptimised) stack frames small.
type PResult<T = Box<Expr>> = Result<T, Box<ParseError>>;

struct Parser<'s> {
    src: &'s str,
    /// Remaining tokens, reversed: the next one is last.
    tokens: Vec<Token>,
    eof: Token,
    /// Span of the last consumed token.
    prev: Option<Span>,
    depth: usize,
}

fn error(message: impl Into<String>, span: Span, help: Option<String>) -> Box<ParseError> {
    Box::new(ParseError {
        message: message.into(),
        span,
        help,
    })
}

fn cmp_op(kind: &TokenKind) -> Option<BinaryOp> {
    Some(match kind {
        TokenKind::EqEq => BinaryOp::Eq,
        TokenKind::NotEq => BinaryOp::Ne,
        TokenKind::Lt => BinaryOp::Lt,
        TokenKind::Le => BinaryOp::Le,
        TokenKind::Gt => BinaryOp::Gt,
        TokenKind::Ge => BinaryOp::Ge,
        TokenKind::Match => BinaryOp::Match,
        TokenKind::NotMatch => BinaryOp::NotMatch,
        _ => return None,
    })
}

fn can_start_expr(kind: &TokenKind) -> bool {
    matches!(
        kind,
        TokenKind::Ident { .. }
            | TokenKind::Str(_)
            | TokenKind::Num(_)
            | TokenKind::True
            | TokenKind::False
            | TokenKind::Not
            | TokenKind::Bang
            | TokenKind::LParen
    )
}

fn node(kind: ExprKind, span: Span) -> Box<Expr> {
    Box::new(Expr { kind, span })
}

fn binary(op: BinaryOp, lhs: Box<Expr>, rhs: Box<Expr>) -> Box<Expr> {
    let span = lhs.span.start..rhs.span.end;
    node(ExprKind::Binary(op, lhs, rhs), span)
}

/// Wraps `e` in one `!` per start offset, innermost last.
fn negate(mut e: Box<Expr>, mut starts: Vec<usize>) -> Box<Expr> {
    while let Some(start) = starts.pop() {
        let span = start..e.span.end;
        e = node(ExprKind::Unary(UnaryOp::Not, e), span);
    }
    e
}

fn membership(value: Box<Expr>, list: Vec<Expr>, negated: bool, end: usize) -> Box<Expr> {
    let span = value.span.start..end;
    node(
        ExprKind::In {
            value,
            list,
            negated,
        },
        span,
    )
}

fn member(base: Box<Expr>, name: Ident) -> Box<Expr> {
    let span = base.span.start..name.span.end;
    node(ExprKind::Member(base, name), span)
}

fn index(base: Box<Expr>, keys: Vec<Expr>, end: usize) -> Box<Expr> {
    let span = base.span.start..end;
    node(ExprKind::Index(base, keys), span)
}

/// Builds a call from the name token and its arguments.
fn call(name: Token, args: Vec<Expr>, end: usize) -> Box<Expr> {
    let span = name.span.start..end;
    let ident = match name.kind {
        TokenKind::Ident { name: text, quoted } => Ident {
            name: text,
            span: name.span,
            quoted,
        },
        _ => Ident {
            name: String::new(),
            span: name.span,
            quoted: false,
        },
    };
    node(ExprKind::Call(ident, args), span)
}

/// Turns a literal or name token into an expression.
fn atom(tok: Token) -> Option<Box<Expr>> {
    let kind = match tok.kind {
        TokenKind::Str(s) => ExprKind::Str(s),
        TokenKind::Num(n) => ExprKind::Num(n),
        TokenKind::True => ExprKind::Bool(true),
        TokenKind::False => ExprKind::Bool(false),
        TokenKind::Ident { name, quoted } => ExprKind::Name(Ident {
            name,
            span: tok.span.clone(),
            quoted,
        }),
        _ => return None,
    };
    Some(node(kind, tok.span))
}

// The recursive path (expr -> operand -> postfix [-> items] -> expr) is kept
// to a few small frames: nodes are built by the helpers above and messages by
// the `#[cold]` functions below.
impl Parser<'_> {
    fn peek(&self) -> &Token {
        self.tokens.last().unwrap_or(&self.eof)
    }

    fn peek2(&self) -> &TokenKind {
        match self.tokens.len().checked_sub(2) {
            Some(i) => self.tokens.get(i).map_or(&TokenKind::Eof, |t| &t.kind),
            None => &TokenKind::Eof,
        }
    }

    fn at(&self, kind: &TokenKind) -> bool {
        &self.peek().kind == kind
    }

    /// Consumes the next token (the end-of-input token is never consumed).
    fn bump(&mut self) -> Token {
        let tok = match self.tokens.pop() {
            Some(t) if t.kind != TokenKind::Eof => t,
            _ => self.eof.clone(),
        };
        self.prev = Some(tok.span.clone());
        tok
    }

    /// Consumes a token that opens one more nesting level.
    ///
    /// Every error is raised while `peek()` is the offending token, so that
    /// `parse` can tell whether the parser reached a lexical error.
    fn bump_nested(&mut self) -> PResult<Token> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err_too_deep());
        }
        Ok(self.bump())
    }

    /// `not in` or `in` next?
    fn at_in(&self) -> bool {
        match self.peek().kind {
            TokenKind::In => true,
            TokenKind::Not => self.peek2() == &TokenKind::In,
            _ => false,
        }
    }

    fn at_atom(&self) -> bool {
        matches!(
            self.peek().kind,
            TokenKind::Str(_)
                | TokenKind::Num(_)
                | TokenKind::True
                | TokenKind::False
                | TokenKind::Ident { .. }
        )
    }

    fn root(&mut self) -> PResult {
        let e = self.expr()?;
        if self.at(&TokenKind::Eof) {
            Ok(e)
        } else {
            Err(self.err_trailing())
        }
    }

    /// `||` and `&&` chains, both left-associative, in one loop.
    fn expr(&mut self) -> PResult {
        let mut or_lhs: Option<Box<Expr>> = None;
        let mut and_lhs = self.operand()?;
        loop {
            let is_or = match self.peek().kind {
                TokenKind::AndAnd | TokenKind::And => false,
                TokenKind::OrOr | TokenKind::Or => true,
                _ => break,
            };
            self.bump();
            let rhs = self.operand()?;
            if is_or {
                let done = std::mem::replace(&mut and_lhs, rhs);
                or_lhs = Some(match or_lhs.take() {
                    Some(l) => binary(BinaryOp::Or, l, done),
                    None => done,
                });
            } else {
                and_lhs = binary(BinaryOp::And, and_lhs, rhs);
            }
        }
        Ok(match or_lhs {
            Some(l) => binary(BinaryOp::Or, l, and_lhs),
            None => and_lhs,
        })
    }

    /// Prefix `!` / `not`, then a comparison or membership test.
    fn operand(&mut self) -> PResult {
        let saved = self.depth;
        let mut nots = Vec::new();
        while matches!(self.peek().kind, TokenKind::Bang | TokenKind::Not) {
            nots.push(self.bump_nested()?.span.start);
        }
        let lhs = self.postfix()?;
        let e = if let Some(op) = cmp_op(&self.peek().kind) {
            self.bump();
            if matches!(self.peek().kind, TokenKind::Bang | TokenKind::Not) {
                return Err(self.err_negated_operand());
            }
            let rhs = self.postfix()?;
            binary(op, lhs, rhs)
        } else if self.at_in() {
            let negated = self.bump().kind == TokenKind::Not;
            if negated {
                self.bump();
            }
            if !self.at(&TokenKind::LBracket) {
                return Err(self.err_in_without_list());
            }
            let (list, end) = self.items("items")?;
            membership(lhs, list, negated, end)
        } else if self.at(&TokenKind::Not) {
            return Err(self.err_not_without_in());
        } else {
            lhs
        };
        if cmp_op(&self.peek().kind).is_some() || self.at_in() {
            return Err(self.err_chained());
        }
        self.depth = saved;
        Ok(negate(e, nots))
    }

    /// A primary expression followed by `.name` / `[keys]`.
    fn postfix(&mut self) -> PResult {
        let saved = self.depth;
        let mut e = if self.at(&TokenKind::LParen) {
            let open = self.bump_nested()?.span;
            let mut inner = self.expr()?;
            if !self.at(&TokenKind::RParen) {
                return Err(self.err_unclosed(open, "(", ""));
            }
            inner.span = open.start..self.bump().span.end;
            inner
        } else if matches!(self.peek().kind, TokenKind::Ident { quoted: false, .. })
            && self.peek2() == &TokenKind::LParen
        {
            let name = self.bump();
            let (args, end) = self.items("arguments")?;
            call(name, args, end)
        } else if self.at_atom() {
            let tok = self.bump();
            atom(tok).ok_or_else(|| self.err_expected_expr())?
        } else {
            return Err(self.err_expected_expr());
        };
        loop {
            match self.peek().kind {
                TokenKind::Dot => {
                    self.bump_nested()?;
                    let name = self.member_name()?;
                    e = member(e, name);
                }
                TokenKind::LBracket => {
                    if self.peek2() == &TokenKind::RBracket {
                        return Err(self.err_empty_index());
                    }
                    let (keys, end) = self.items("keys")?;
                    e = index(e, keys, end);
                }
                TokenKind::LParen => return Err(self.err_not_callable(&e)),
                _ => break,
            }
        }
        self.depth = saved;
        Ok(e)
    }

    fn member_name(&mut self) -> PResult<Ident> {
        if !matches!(self.peek().kind, TokenKind::Ident { .. }) {
            return Err(self.err_member_name());
        }
        let tok = self.bump();
        match tok.kind {
            TokenKind::Ident { name, quoted } => Ok(Ident {
                name,
                span: tok.span,
                quoted,
            }),
            _ => Err(self.err_member_name()),
        }
    }

    /// Parses `( items )` or `[ items ]` starting at the opening token, which
    /// counts as one nesting level (the caller restores `depth`); returns the
    /// items and the closing end. `what` names the items in messages.
    fn items(&mut self, what: &'static str) -> PResult<(Vec<Expr>, usize)> {
        let open = self.bump_nested()?;
        let (close, open_text) = match open.kind {
            TokenKind::LParen => (TokenKind::RParen, "("),
            _ => (TokenKind::RBracket, "["),
        };
        let mut items = Vec::new();
        loop {
            if self.at(&close) {
                return Ok((items, self.bump().span.end));
            }
            items.push(*self.expr()?);
            if self.at(&TokenKind::Comma) {
                self.bump();
            } else if !self.at(&close) {
                return Err(self.err_unclosed(open.span, open_text, what));
            }
        }
    }
}

#[cfg(test)]
mod tests;
