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

    // ----- errors (all raised while `peek()` is the offending token) -----

    /// The source text of a token for messages, shortened if long.
    fn describe(&self, tok: &Token) -> String {
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
    fn err_too_deep(&self) -> Box<ParseError> {
        error(
            format!("expression nested too deeply (more than {MAX_DEPTH} levels)"),
            self.peek().span.clone(),
            Some("split the expression or remove redundant parentheses".to_owned()),
        )
    }

    #[cold]
    #[inline(never)]
    fn err_trailing(&self) -> Box<ParseError> {
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
    fn err_expected_expr(&self) -> Box<ParseError> {
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
    fn err_negated_operand(&self) -> Box<ParseError> {
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
    fn err_in_without_list(&self) -> Box<ParseError> {
        let tok = self.peek();
        error(
            format!("expected `[` after `in`, found {}", self.describe(tok)),
            tok.span.clone(),
            Some("membership takes a list, e.g. `x in [1, 2]`".to_owned()),
        )
    }

    #[cold]
    #[inline(never)]
    fn err_not_without_in(&self) -> Box<ParseError> {
        error(
            "expected `in` after `not`",
            self.peek().span.clone(),
            Some("to negate a condition, put `!` or `not` before it".to_owned()),
        )
    }

    #[cold]
    #[inline(never)]
    fn err_chained(&self) -> Box<ParseError> {
        error(
            "comparisons cannot be chained",
            self.peek().span.clone(),
            Some("use `&&` to combine comparisons, e.g. `a < b && b < c`".to_owned()),
        )
    }

    #[cold]
    #[inline(never)]
    fn err_empty_index(&self) -> Box<ParseError> {
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
    fn err_not_callable(&self, callee: &Expr) -> Box<ParseError> {
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
    fn err_member_name(&self) -> Box<ParseError> {
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
    fn err_unclosed(&self, open: Span, open_text: &str, what: &str) -> Box<ParseError> {
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

#[cfg(test)]
mod tests {
    use super::super::ast::strip_spans;
    use super::*;

    /// Runs `f` on a thread with the default 2 MiB stack, re-raising panics.
    fn on_default_stack(f: impl FnOnce() + Send + 'static) {
        let thread = std::thread::Builder::new()
            .stack_size(2 * 1024 * 1024)
            .spawn(f)
            .expect("spawn test thread");
        if let Err(panic) = thread.join() {
            std::panic::resume_unwind(panic);
        }
    }

    fn parse_err(src: &str) -> ParseError {
        match parse(src) {
            Ok(e) => panic!("expected an error for {src:?}, got {e}"),
            Err(e) => e,
        }
    }

    fn assert_span_ok(src: &str, span: &Span) {
        assert!(
            span.start <= span.end && span.end <= src.len(),
            "span {span:?} out of bounds for {src:?}"
        );
        assert!(
            src.is_char_boundary(span.start) && src.is_char_boundary(span.end),
            "span {span:?} not on char boundaries in {src:?}"
        );
    }

    /// Checks every span in `e` and that children lie inside their parent.
    fn check_spans(src: &str, e: &Expr) {
        assert_span_ok(src, &e.span);
        let mut children: Vec<&Expr> = Vec::new();
        let mut idents: Vec<&Ident> = Vec::new();
        match &e.kind {
            ExprKind::Str(_) | ExprKind::Num(_) | ExprKind::Bool(_) => {}
            ExprKind::Name(id) => idents.push(id),
            ExprKind::Member(base, id) => {
                children.push(base);
                idents.push(id);
            }
            ExprKind::Index(base, args) => {
                children.push(base);
                children.extend(args);
            }
            ExprKind::Call(id, args) => {
                idents.push(id);
                children.extend(args);
            }
            ExprKind::Unary(_, inner) => children.push(inner),
            ExprKind::Binary(_, l, r) => children.extend([&**l, &**r]),
            ExprKind::In { value, list, .. } => {
                children.push(value);
                children.extend(list);
            }
        }
        for id in idents {
            assert_span_ok(src, &id.span);
            assert!(e.span.start <= id.span.start && id.span.end <= e.span.end);
        }
        for child in children {
            assert!(
                e.span.start <= child.span.start && child.span.end <= e.span.end,
                "child {:?} outside parent {:?} in {src:?}",
                child.span,
                e.span
            );
            check_spans(src, child);
        }
    }

    fn assert_round_trip(src: &str, e: &Expr) {
        let printed = e.to_string();
        match parse(&printed) {
            Ok(again) => assert_eq!(
                strip_spans(&again),
                strip_spans(e),
                "{src:?} printed as {printed:?}"
            ),
            Err(err) => panic!("{src:?} printed as {printed:?}, which fails: {err:?}"),
        }
    }

    #[test]
    fn round_trip_examples() {
        for src in [
            "client_major(UserAgent) >= 15 && exists(home)",
            "registrars[lower(RegistrarPool)].Version",
            "any(registrations.user[SipAddress], client_major(it.UserAgent) >= 15)",
            r#"SipAddress =~ "^sip:[^@\s]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$""#,
            r#"Version in [5, 6, "7",] || Role not in []"#,
            "!empty(`Display Name`) || Enabled == true",
            "not (a || b) and (c or d) && !(x == 1) && (!y) == false",
            "(a && b) && (c || d) || e && (f || g)",
            "(-1.5).x && 'raw\\d' != \"q\\\"\\n\\t\\r\"",
            "not not a in [1] && (a in [b]).c",
        ] {
            match parse(src) {
                Ok(e) => {
                    check_spans(src, &e);
                    assert_round_trip(src, &e);
                }
                Err(err) => panic!("{src:?}: {err:?}"),
            }
        }
    }

    #[test]
    fn string_literals_round_trip() {
        let mut rng = Lcg(7);
        let alphabet = ["\\", "\"", "'", "n", "t", "r", "d", "é", "\n", "\t", " "];
        for _ in 0..2_000 {
            let len = rng.next() % 8;
            let text: String = (0..len).map(|_| rng.pick(&alphabet)).collect();
            let lit = Expr {
                kind: ExprKind::Str(text.clone()),
                span: 0..0,
            };
            let printed = lit.to_string();
            let again = parse(&printed).map(|e| strip_spans(&e));
            assert_eq!(again, Ok(lit), "{text:?} printed as {printed}");
        }
        let regex = parse(r#""^\d+\.[a-z]\\$""#).expect("parses");
        // Unknown escapes are printed bare; `\\$` needs no escape either.
        assert_eq!(regex.to_string(), r#""^\d+\.[a-z]\$""#);
    }

    #[test]
    fn spans_cover_source() {
        let src = "(a || b) && f(x)[1].`y z`";
        let e = parse(src).expect("parses");
        assert_eq!(e.span, 0..src.len());
        let ExprKind::Binary(BinaryOp::And, l, r) = &e.kind else {
            panic!("not an and: {e:?}");
        };
        assert_eq!(l.span, 0..8);
        assert_eq!(r.span, 12..src.len());
        let ExprKind::Member(base, name) = &r.kind else {
            panic!("not a member: {r:?}");
        };
        assert_eq!(base.span, 12..19);
        assert_eq!(name.span, 20..src.len());
        assert_eq!(name.name, "y z");
    }

    #[test]
    fn depth_limit_boundaries() {
        let ok_and_err = |build: &dyn Fn(usize) -> String| {
            let ok = build(MAX_DEPTH);
            assert!(parse(&ok).is_ok(), "{ok}");
            let err = parse_err(&build(MAX_DEPTH + 1));
            assert_eq!(
                err.message,
                "expression nested too deeply (more than 128 levels)"
            );
        };
        ok_and_err(&|n| format!("{}a{}", "(".repeat(n), ")".repeat(n)));
        ok_and_err(&|n| format!("{}a", "!".repeat(n)));
        ok_and_err(&|n| format!("{}a", "not ".repeat(n)));
        ok_and_err(&|n| format!("{}a{}", "f(".repeat(n), ")".repeat(n)));
        ok_and_err(&|n| format!("a{}", "[1]".repeat(n)));
        ok_and_err(&|n| format!("a{}", ".b".repeat(n)));
        ok_and_err(&|n| format!("{}a{}", "x in [".repeat(n), "]".repeat(n)));
        ok_and_err(&|n| {
            let (pairs, odd) = (n / 2, "!".repeat(n % 2));
            format!("{odd}{}a{}", "(!".repeat(pairs), ")".repeat(pairs))
        });
    }

    #[test]
    fn million_open_parens_do_not_overflow() {
        on_default_stack(|| {
            let src = "(".repeat(1_000_000);
            let err = parse_err(&src);
            assert_eq!(
                err.message,
                "expression nested too deeply (more than 128 levels)"
            );
            assert_eq!(err.span, 128..129);
        });
    }

    #[test]
    fn million_bangs_do_not_overflow() {
        on_default_stack(|| {
            let src = format!("{}a", "!".repeat(1_000_000));
            let err = parse_err(&src);
            assert_eq!(
                err.message,
                "expression nested too deeply (more than 128 levels)"
            );
            assert_eq!(err.span, 128..129);
        });
    }

    #[test]
    fn one_megabyte_and_chain() {
        on_default_stack(|| {
            let operands = 1024 * 1024 / "a && ".len();
            let src = vec!["a"; operands].join(" && ");
            assert!(src.len() >= 1_000_000);
            let e = parse(&src).expect("flat chain parses");
            assert_eq!(e.span, 0..src.len());
            // Count the left spine without recursion.
            let mut count = 1;
            let mut cur = &e;
            while let ExprKind::Binary(BinaryOp::And, l, _) = &cur.kind {
                count += 1;
                cur = l;
            }
            assert_eq!(count, operands);
            // Display and strip_spans walk chains iteratively, too.
            assert_eq!(e.to_string(), src);
            let stripped = strip_spans(&e);
            assert_eq!(stripped.span, 0..0);
            let mixed = vec!["(a || b)"; operands / 4].join(" && ");
            let m = parse(&mixed).expect("mixed chain parses");
            assert_eq!(m.to_string(), mixed);
            // Dropping `e`, `stripped` and `m` must not recurse either.
        });
    }

    #[test]
    fn non_ascii_input() {
        let e = parse("\"é\" == Nom").expect("parses");
        assert_eq!(e.span, 0..11);
        let ExprKind::Binary(BinaryOp::Eq, l, r) = &e.kind else {
            panic!("not ==: {e:?}");
        };
        assert_eq!(l.kind, ExprKind::Str("é".to_owned()));
        assert_eq!(l.span, 0..4);
        assert_eq!(r.span, 8..11);

        let err = parse_err("Nom == € && x");
        assert_eq!(err.message, "unexpected character `€`");
        assert_eq!(err.span, 7..10);

        let err = parse_err("Prénom == 1");
        assert_eq!(err.message, "unexpected character `é`");
        assert_eq!(err.span, 2..4);

        let e = parse("`Prénom €` == 'ü'").expect("quoted names take any text");
        assert_eq!(e.to_string(), "`Prénom €` == \"ü\"");

        let err = parse_err("\"€");
        assert_eq!(err.message, "unterminated string");
        assert_eq!(err.span, 0..4);
    }

    #[test]
    fn errors_are_reported_in_source_order() {
        // A parse error before a lexical error wins ...
        assert_eq!(
            parse_err("a == && €").message,
            "expected an expression, found `&&`"
        );
        assert_eq!(
            parse_err("a == b == c €").message,
            "comparisons cannot be chained"
        );
        // ... but a lexical error explains a parse failure at the same place.
        assert_eq!(parse_err("(a €").message, "unexpected character `€`");
        assert_eq!(parse_err("a && =").message, "`=` is not an operator");
    }

    /// A tiny deterministic LCG.
    struct Lcg(u64);

    impl Lcg {
        fn next(&mut self) -> usize {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (self.0 >> 33) as usize
        }

        fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
            items
                .get(self.next() % items.len().max(1))
                .copied()
                .unwrap_or("")
        }
    }

    const PIECES: &[&str] = &[
        "a", "b-c", "`x y`", "`", "``", "\"s\"", "\"\\\"", "\\", "'r'", "'", "\"", "1", "-2.5",
        "-", "(", ")", "[", "]", ",", ".", "!", "not", "in", "and", "or", "true", "&&", "||", "==",
        "!=", "<", "<=", ">", ">=", "=~", "!~", "=", "&", "|", "-eq", "-like", "é", "€", " ", "\n",
        "\t", "f(", "x.y", "~", "1.", "9e", "<>",
    ];

    /// A random, mostly valid expression.
    fn gen_expr(rng: &mut Lcg, depth: usize) -> String {
        let leaf = depth == 0 || rng.next().is_multiple_of(3);
        if leaf {
            return rng
                .pick(&[
                    "a",
                    "Role",
                    "chat-rooms",
                    "`Display Name`",
                    "`é €`",
                    "\"x\\\"y\\\\\"",
                    "\"\\d+\\.é\"",
                    "'raw\\'",
                    "15",
                    "-2.5",
                    "0",
                    "true",
                    "false",
                ])
                .to_owned();
        }
        let d = depth - 1;
        match rng.next() % 10 {
            0 => format!("({})", gen_expr(rng, d)),
            1 => format!(
                "{} {} {}",
                gen_expr(rng, d),
                rng.pick(&["&&", "and"]),
                gen_expr(rng, d)
            ),
            2 => format!(
                "{} {} {}",
                gen_expr(rng, d),
                rng.pick(&["||", "or"]),
                gen_expr(rng, d)
            ),
            3 => format!("{}{}", rng.pick(&["!", "not ", "! "]), gen_expr(rng, d)),
            4 => format!(
                "{} {} {}",
                gen_expr(rng, d),
                rng.pick(&["==", "!=", "<", "<=", ">", ">=", "=~", "!~"]),
                gen_expr(rng, d)
            ),
            5 => format!(
                "{} {} [{}]",
                gen_expr(rng, d),
                rng.pick(&["in", "not in"]),
                gen_list(rng, d, 0)
            ),
            6 => format!(
                "{}({})",
                rng.pick(&["f", "lower", "any"]),
                gen_list(rng, d, 0)
            ),
            7 => format!(
                "{}.{}",
                gen_expr(rng, d),
                rng.pick(&["Version", "`a b`", "x-y"])
            ),
            8 => format!("{}[{}]", gen_expr(rng, d), gen_list(rng, d, 1)),
            _ => gen_expr(rng, d),
        }
    }

    fn gen_list(rng: &mut Lcg, depth: usize, min: usize) -> String {
        let n = min + rng.next() % 3;
        let items: Vec<String> = (0..n).map(|_| gen_expr(rng, depth)).collect();
        let trailing = if n > 0 && rng.next().is_multiple_of(4) {
            ","
        } else {
            ""
        };
        format!("{}{trailing}", items.join(", "))
    }

    /// Deterministic fuzzing: no panics, spans in bounds, round trips.
    #[test]
    fn generated_inputs_never_panic() {
        let mut rng = Lcg(0x2545_f491_4f6c_dd1d);
        let mut parsed = 0;
        for i in 0..20_000 {
            let src: String = match i % 4 {
                0 => {
                    let len = rng.next() % 24;
                    let bytes: Vec<u8> = (0..len).map(|_| (rng.next() % 256) as u8).collect();
                    String::from_utf8_lossy(&bytes).into_owned()
                }
                1 => {
                    let len = rng.next() % 24;
                    (0..len).map(|_| rng.pick(PIECES)).collect()
                }
                2 => gen_expr(&mut rng, 5),
                _ => {
                    // A valid expression with one piece inserted somewhere.
                    let mut s = gen_expr(&mut rng, 5);
                    let mut at = rng.next() % (s.len() + 1);
                    while !s.is_char_boundary(at) {
                        at -= 1;
                    }
                    s.insert_str(at, rng.pick(PIECES));
                    s
                }
            };
            match parse(&src) {
                Ok(e) => {
                    parsed += 1;
                    check_spans(&src, &e);
                    assert_round_trip(&src, &e);
                }
                Err(err) => {
                    assert_span_ok(&src, &err.span);
                    assert!(!err.message.is_empty());
                }
            }
        }
        assert!(parsed > 3_000, "too few generated inputs parse: {parsed}");
    }
}
