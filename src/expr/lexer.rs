//! Lexer: splits expression text into tokens with byte spans.
//!
//! Tokens: identifiers `[A-Za-z_][A-Za-z0-9_-]*` or `` `any text` ``;
//! strings `"..."` (escapes `\" \\ \n \t \r`, any other `\x` kept as is) or
//! `'...'` (raw); numbers `-?[0-9]+(\.[0-9]+)?`; keywords `true false in not
//! and or`; operators `== != < <= > >= && || ! =~ !~ ( ) [ ] , .`.
//! Whitespace is space, tab, CR and LF. Lexing stops at the first error.

use super::ast::Span;

#[derive(Debug, Clone, PartialEq)]
pub enum TokenKind {
    Ident {
        name: String,
        quoted: bool,
    },
    Str(String),
    Num(f64),
    True,
    False,
    In,
    Not,
    And,
    Or,
    EqEq,
    NotEq,
    Lt,
    Le,
    Gt,
    Ge,
    Match,
    NotMatch,
    AndAnd,
    OrOr,
    Bang,
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Dot,
    /// End of input (or the point where lexing failed).
    Eof,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub kind: TokenKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LexError {
    pub message: String,
    pub span: Span,
    pub help: Option<String>,
}

/// The tokens of a source text. `tokens` always ends with an `Eof` token,
/// placed at the start of `error` if lexing failed.
#[derive(Debug, Clone, PartialEq)]
pub struct Lexed {
    pub tokens: Vec<Token>,
    pub error: Option<LexError>,
}

/// Tokenizes `src` up to its end or its first lexical error.
pub fn tokenize(src: &str) -> Lexed {
    let mut lexer = Lexer { src, pos: 0 };
    let mut tokens = Vec::new();
    loop {
        match lexer.next_token() {
            Ok(Some(tok)) => tokens.push(tok),
            Ok(None) => {
                tokens.push(Token {
                    kind: TokenKind::Eof,
                    span: src.len()..src.len(),
                });
                return Lexed {
                    tokens,
                    error: None,
                };
            }
            Err(error) => {
                let at = error.span.start;
                tokens.push(Token {
                    kind: TokenKind::Eof,
                    span: at..at,
                });
                return Lexed {
                    tokens,
                    error: Some(error),
                };
            }
        }
    }
}

struct Lexer<'s> {
    src: &'s str,
    pos: usize,
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_ident_continue(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

fn err(message: impl Into<String>, span: Span, help: Option<&str>) -> LexError {
    LexError {
        message: message.into(),
        span,
        help: help.map(str::to_owned),
    }
}

/// Help for PowerShell comparison operators such as `-eq`.
fn powershell_help(word: &str) -> Option<&'static str> {
    Some(match word {
        "eq" | "ieq" | "ceq" => "use `==`",
        "ne" | "ine" | "cne" => "use `!=`",
        "lt" => "use `<`",
        "le" => "use `<=`",
        "gt" => "use `>`",
        "ge" => "use `>=`",
        "and" => "use `&&` (or `and`)",
        "or" => "use `||` (or `or`)",
        "not" => "use `!` (or `not`)",
        "match" | "imatch" | "cmatch" => "use `=~`",
        "notmatch" => "use `!~`",
        "like" | "ilike" | "clike" => "use starts_with/ends_with/contains or =~",
        "notlike" => "use !starts_with/!ends_with/!contains or !~",
        "in" => "use `x in [a, b]`",
        "notin" => "use `x not in [a, b]`",
        _ => return None,
    })
}

/// The fixed tokens of one or two ASCII bytes: `b` (at `start`) and the byte after it.
fn fixed_token(
    b: u8,
    next: Option<u8>,
    start: usize,
) -> Result<Option<(TokenKind, usize)>, LexError> {
    Ok(match (b, next) {
        (b'=', Some(b'=')) => Some((TokenKind::EqEq, 2)),
        (b'=', Some(b'~')) => Some((TokenKind::Match, 2)),
        (b'!', Some(b'=')) => Some((TokenKind::NotEq, 2)),
        (b'!', Some(b'~')) => Some((TokenKind::NotMatch, 2)),
        (b'!', _) => Some((TokenKind::Bang, 1)),
        (b'<', Some(b'=')) => Some((TokenKind::Le, 2)),
        (b'<', Some(b'>')) => {
            return Err(err(
                "`<>` is not an operator",
                start..start + 2,
                Some("use `!=`"),
            ))
        }
        (b'<', _) => Some((TokenKind::Lt, 1)),
        (b'>', Some(b'=')) => Some((TokenKind::Ge, 2)),
        (b'>', _) => Some((TokenKind::Gt, 1)),
        (b'&', Some(b'&')) => Some((TokenKind::AndAnd, 2)),
        (b'|', Some(b'|')) => Some((TokenKind::OrOr, 2)),
        (b'(', _) => Some((TokenKind::LParen, 1)),
        (b')', _) => Some((TokenKind::RParen, 1)),
        (b'[', _) => Some((TokenKind::LBracket, 1)),
        (b']', _) => Some((TokenKind::RBracket, 1)),
        (b',', _) => Some((TokenKind::Comma, 1)),
        (b'.', _) => Some((TokenKind::Dot, 1)),
        _ => None,
    })
}

/// The error for a lone `=`, `&` or `|` (or `=<`, `=>`) at `start`, with the operator meant.
fn not_an_operator(b: u8, next: Option<u8>, start: usize) -> LexError {
    let (op, help) = match (b, next) {
        (b'&', _) => ("&", "use `&&`"),
        (b'|', _) => ("|", "use `||`"),
        (_, Some(b'<')) => ("=<", "use `<=`"),
        (_, Some(b'>')) => ("=>", "use `>=`"),
        _ => ("=", "use `==` to compare"),
    };
    err(
        format!("`{op}` is not an operator"),
        start..start + op.len(),
        Some(help),
    )
}

impl Lexer<'_> {
    fn peek_at(&self, offset: usize) -> Option<u8> {
        self.src.as_bytes().get(self.pos + offset).copied()
    }

    /// Advances past bytes matching `pred` (ASCII only), returning the new position.
    fn eat_while(&mut self, pred: impl Fn(u8) -> bool) -> usize {
        while self.peek_at(0).is_some_and(&pred) {
            self.pos += 1;
        }
        self.pos
    }

    fn next_token(&mut self) -> Result<Option<Token>, LexError> {
        self.eat_while(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'));
        let start = self.pos;
        let Some(b) = self.peek_at(0) else {
            return Ok(None);
        };
        let next = self.peek_at(1);
        if let Some((kind, len)) = fixed_token(b, next, start)? {
            self.pos += len;
            return Ok(Some(Token {
                kind,
                span: start..self.pos,
            }));
        }
        let kind = match b {
            b'=' | b'&' | b'|' => return Err(not_an_operator(b, next, start)),
            b'"' => self.double_quoted()?,
            b'\'' => self.single_quoted()?,
            b'`' => self.backtick_ident()?,
            b'-' if next.is_some_and(|c| c.is_ascii_digit()) => self.number()?,
            b'0'..=b'9' => self.number()?,
            b'-' if next.is_some_and(|c| c.is_ascii_alphabetic()) => {
                return Err(self.powershell_operator(start))
            }
            b if is_ident_start(b) => self.word(start),
            _ => return Err(self.unexpected_char()),
        };
        Ok(Some(Token {
            kind,
            span: start..self.pos,
        }))
    }

    /// A `-word` (at `start`): a PowerShell operator such as `-eq` gets the one to use.
    fn powershell_operator(&mut self, start: usize) -> LexError {
        self.pos += 1;
        let end = self.eat_while(|c| c.is_ascii_alphabetic());
        let word = self.src[start + 1..end].to_ascii_lowercase();
        match powershell_help(&word) {
            Some(help) => err(
                format!("`{}` is not an operator", &self.src[start..end]),
                start..end,
                Some(help),
            ),
            None => err(
                "unexpected character `-`",
                start..start + 1,
                Some("`-` may only appear inside a name or before a number"),
            ),
        }
    }

    /// A bare word starting at `start`: a keyword or a name.
    fn word(&mut self, start: usize) -> TokenKind {
        let end = self.eat_while(is_ident_continue);
        let word = &self.src[start..end];
        match word {
            "true" => TokenKind::True,
            "false" => TokenKind::False,
            "in" => TokenKind::In,
            "not" => TokenKind::Not,
            "and" => TokenKind::And,
            "or" => TokenKind::Or,
            _ => TokenKind::Ident {
                name: word.to_owned(),
                quoted: false,
            },
        }
    }

    fn unexpected_char(&self) -> LexError {
        let start = self.pos;
        let c = self.src[start..].chars().next().unwrap_or('\u{FFFD}');
        let shown: String = if c.is_control() {
            c.escape_debug().collect()
        } else {
            c.to_string()
        };
        let help = match c {
            '~' => Some("use `=~` to match a regular expression"),
            '-' => Some("`-` may only appear inside a name or before a number"),
            '\u{A0}' | '\u{2000}'..='\u{200B}' | '\u{3000}' | '\u{FEFF}' | '\u{0C}' => {
                Some("only spaces, tabs and line breaks may separate tokens")
            }
            '\u{201C}' | '\u{201D}' | '\u{2018}' | '\u{2019}' => {
                Some("use straight quotes `\"` or `'` for strings")
            }
            _ => None,
        };
        err(
            format!("unexpected character `{shown}`"),
            start..start + c.len_utf8(),
            help,
        )
    }

    fn number(&mut self) -> Result<TokenKind, LexError> {
        let start = self.pos;
        if self.peek_at(0) == Some(b'-') {
            self.pos += 1;
        }
        self.eat_while(|b| b.is_ascii_digit());
        if self.peek_at(0) == Some(b'.') && self.peek_at(1).is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
            self.eat_while(|b| b.is_ascii_digit());
        }
        let text = &self.src[start..self.pos];
        if self.peek_at(0).is_some_and(is_ident_start) {
            let end = self.eat_while(is_ident_continue);
            return Err(err(
                format!("invalid number `{}`", &self.src[start..end]),
                start..end,
                Some("numbers look like `15`, `-2` or `6.5`; names cannot start with a digit"),
            ));
        }
        match text.parse::<f64>() {
            Ok(n) if n.is_finite() => Ok(TokenKind::Num(n)),
            _ => Err(err("number is too large", start..self.pos, None)),
        }
    }

    fn double_quoted(&mut self) -> Result<TokenKind, LexError> {
        let start = self.pos;
        self.pos += 1;
        let mut out = String::new();
        let mut seg = self.pos;
        loop {
            // Only ASCII bytes are compared, so `pos` stays on char boundaries.
            match self.peek_at(0) {
                None => return Err(self.unterminated(start, "\"")),
                Some(b'"') => {
                    out.push_str(&self.src[seg..self.pos]);
                    self.pos += 1;
                    return Ok(TokenKind::Str(out));
                }
                Some(b'\\') => {
                    out.push_str(&self.src[seg..self.pos]);
                    let escaped = match self.peek_at(1) {
                        None => return Err(self.unterminated(start, "\"")),
                        Some(b'"') => Some('"'),
                        Some(b'\\') => Some('\\'),
                        Some(b'n') => Some('\n'),
                        Some(b't') => Some('\t'),
                        Some(b'r') => Some('\r'),
                        Some(_) => None,
                    };
                    match escaped {
                        Some(c) => {
                            out.push(c);
                            self.pos += 2;
                        }
                        None => {
                            // Keep `\` and let the next char be copied as is.
                            out.push('\\');
                            self.pos += 1;
                        }
                    }
                    seg = self.pos;
                }
                Some(_) => self.pos += 1,
            }
        }
    }

    fn single_quoted(&mut self) -> Result<TokenKind, LexError> {
        let start = self.pos;
        let body = start + 1;
        match self.src[body..].find('\'') {
            Some(len) => {
                self.pos = body + len + 1;
                Ok(TokenKind::Str(self.src[body..body + len].to_owned()))
            }
            None => Err(self.unterminated(start, "'")),
        }
    }

    fn backtick_ident(&mut self) -> Result<TokenKind, LexError> {
        let start = self.pos;
        let body = start + 1;
        match self.src[body..].find('`') {
            Some(0) => Err(err(
                "empty quoted name",
                start..body + 1,
                Some("write a column name between the backticks, e.g. `Display Name`"),
            )),
            Some(len) => {
                self.pos = body + len + 1;
                Ok(TokenKind::Ident {
                    name: self.src[body..body + len].to_owned(),
                    quoted: true,
                })
            }
            None => Err(err(
                "unterminated quoted name",
                start..self.src.len(),
                Some("add a closing backtick"),
            )),
        }
    }

    fn unterminated(&self, start: usize, quote: &str) -> LexError {
        LexError {
            message: "unterminated string".to_owned(),
            span: start..self.src.len(),
            help: Some(format!("add a closing `{quote}`")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<TokenKind> {
        let lexed = tokenize(src);
        assert_eq!(lexed.error, None, "{src}");
        lexed.tokens.into_iter().map(|t| t.kind).collect()
    }

    fn ident(name: &str, quoted: bool) -> TokenKind {
        TokenKind::Ident {
            name: name.to_owned(),
            quoted,
        }
    }

    #[test]
    fn operators_and_keywords() {
        use TokenKind::*;
        assert_eq!(
            kinds("== != < <= > >= && || ! =~ !~ ( ) [ ] , . true false in not and or"),
            vec![
                EqEq, NotEq, Lt, Le, Gt, Ge, AndAnd, OrOr, Bang, Match, NotMatch, LParen, RParen,
                LBracket, RBracket, Comma, Dot, True, False, In, Not, And, Or, Eof
            ]
        );
    }

    #[test]
    fn names_numbers_and_strings() {
        use TokenKind::*;
        assert_eq!(
            kinds(r#"chat-rooms `Display Name` _x1 -2.5 15 1.x "a\"b\\c\n\d" 'r\n'"#),
            vec![
                ident("chat-rooms", false),
                ident("Display Name", true),
                ident("_x1", false),
                Num(-2.5),
                Num(15.0),
                Num(1.0),
                Dot,
                ident("x", false),
                Str("a\"b\\c\n\\d".to_owned()),
                Str("r\\n".to_owned()),
                Eof
            ]
        );
    }

    #[test]
    fn error_stops_lexing_and_places_eof() {
        let lexed = tokenize("a € b");
        assert_eq!(lexed.tokens.len(), 2);
        assert_eq!(lexed.tokens[1].span, 2..2);
        let error = lexed.error.expect("error");
        assert_eq!(error.message, "unexpected character `€`");
        assert_eq!(error.span, 2..5);
    }

    #[test]
    fn spans_are_byte_offsets() {
        let lexed = tokenize("é == \"é\"");
        assert_eq!(lexed.error.map(|e| e.span), Some(0..2));
        let lexed = tokenize("\"é\" == x");
        let spans: Vec<_> = lexed.tokens.iter().map(|t| t.span.clone()).collect();
        assert_eq!(spans, vec![0..4, 5..7, 8..9, 9..9]);
    }
}
