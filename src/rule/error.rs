//! Rule-file errors as miette diagnostics, labelled inside the rule file.

use std::fmt;
use std::ops::Range;

use miette::{Diagnostic, LabeledSpan, NamedSource, SourceCode};

use super::model::{ExprSource, RuleSource};

/// A mistake in a rule file or a pack.
#[derive(Debug, Clone)]
pub struct RuleError {
    pub file: Option<String>,
    pub message: String,
    pub help: Option<String>,
    pub span: Option<Range<usize>>,
    // Boxed: errors travel in `Result`s, keep them small.
    source: Option<Box<NamedSource<String>>>,
    /// 1-based line and column of the span start, for compact output.
    pub line_col: Option<(usize, usize)>,
}

impl RuleError {
    pub fn plain(message: String) -> RuleError {
        RuleError {
            file: None,
            message,
            help: None,
            span: None,
            source: None,
            line_col: None,
        }
    }

    pub fn at_value(
        source: &RuleSource,
        span: Range<usize>,
        message: String,
        help: Option<String>,
    ) -> RuleError {
        let text = &*source.text;
        let span = clamp(text, span);
        let line_col = line_col(text, span.start);
        let line = text[..span.start].rfind('\n').map_or(0, |i| i + 1)
            ..text[span.end..]
                .find('\n')
                .map_or(text.len(), |i| span.end + i);
        if text.len() > MAX_SNIPPET_FILE || line.len() > MAX_SNIPPET_LINE {
            // Each error holds a copy of its file, and miette prints the whole line: for a
            // huge rule file or line, the position only (errors stay small and short).
            return RuleError {
                message: format!("{}:{}:{}: {message}", source.name, line_col.0, line_col.1),
                help,
                ..RuleError::plain(String::new())
            };
        }
        let text = text.to_string();
        RuleError {
            file: Some(source.name.to_string()),
            message,
            help,
            span: Some(span),
            source: Some(Box::new(
                NamedSource::new(&source.name, text).with_language("TOML"),
            )),
            line_col: Some(line_col),
        }
    }

    /// An error at `span` (offsets in the expression text) of an expression.
    pub fn in_expr(
        source: &RuleSource,
        expr: &ExprSource,
        span: Range<usize>,
        message: String,
        help: Option<String>,
    ) -> RuleError {
        let file_span = if expr.exact {
            expr.base + span.start..expr.base + span.end.max(span.start)
        } else {
            expr.value_span.clone()
        };
        let message = format!("in `{}`: {message}", expr.what);
        RuleError::at_value(source, file_span, message, help)
    }

    pub fn toml(source: &RuleSource, err: &toml::de::Error) -> RuleError {
        let message = err.message().trim().to_string();
        match err.span() {
            Some(span) => RuleError::at_value(source, span, message, None),
            None => RuleError {
                file: Some(source.name.to_string()),
                ..RuleError::plain(message)
            },
        }
    }

    /// `file:line:col: message` for compact output.
    pub fn compact(&self) -> String {
        match (&self.file, self.line_col) {
            (Some(f), Some((l, c))) => format!("{f}:{l}:{c}: error: {}", self.message),
            (Some(f), None) => format!("{f}: error: {}", self.message),
            _ => format!("error: {}", self.message),
        }
    }
}

/// Rule files larger than this are not quoted in errors.
const MAX_SNIPPET_FILE: usize = 256 << 10;
/// Nor lines longer than this.
const MAX_SNIPPET_LINE: usize = 4 << 10;

fn clamp(text: &str, span: Range<usize>) -> Range<usize> {
    let mut start = span.start.min(text.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = span.end.clamp(start, text.len());
    while !text.is_char_boundary(end) {
        end += 1;
    }
    start..end
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    // memchr: a file with thousands of errors counts its lines for each.
    let line = memchr::memchr_iter(b'\n', before.as_bytes()).count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for RuleError {}

impl Diagnostic for RuleError {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new("invlint::rule"))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_deref().map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let span = self.span.clone()?;
        Some(Box::new(std::iter::once(LabeledSpan::new_with_span(
            Some("here".into()),
            span,
        ))))
    }
}
