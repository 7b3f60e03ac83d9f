//! **Located errors**: a mistake in a text the user wrote (a rule file, the configuration, a
//! suppressions file), as a miette diagnostic labelled at its place in that text.
//!
//! A [`SourceText`] is one such text with its display name; a [`LocatedError`] holds the
//! message, the help and the span, and prints as `file:line:col: message` in compact output.

use std::fmt;
use std::ops::Range;

use std::sync::Arc;

use miette::{Diagnostic, LabeledSpan, NamedSource, SourceCode};

/// One text the user wrote (a rule file, the configuration…) and its display name.
#[derive(Debug, Clone)]
pub struct SourceText {
    /// Display name (`rules/persistent-chat/client-needs-2013-home.toml` or `<embedded>/…`).
    pub name: Arc<str>,
    pub text: Arc<str>,
}

/// A mistake in a rule file, a pack, the configuration or a suppressions file.
#[derive(Debug, Clone)]
pub struct LocatedError {
    pub file: Option<String>,
    pub message: String,
    pub help: Option<String>,
    pub span: Option<Range<usize>>,
    // Boxed: errors travel in `Result`s, keep them small.
    source: Option<Box<NamedSource<String>>>,
    /// 1-based line and column of the span start, for compact output.
    pub line_col: Option<(usize, usize)>,
}

impl LocatedError {
    pub fn plain(message: String) -> LocatedError {
        LocatedError {
            file: None,
            message,
            help: None,
            span: None,
            source: None,
            line_col: None,
        }
    }

    pub fn at_value(
        source: &SourceText,
        span: Range<usize>,
        message: String,
        help: Option<String>,
    ) -> LocatedError {
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
            return LocatedError {
                message: format!("{}:{}:{}: {message}", source.name, line_col.0, line_col.1),
                help,
                ..LocatedError::plain(String::new())
            };
        }
        let text = text.to_string();
        LocatedError {
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

    pub fn toml(source: &SourceText, err: &toml::de::Error) -> LocatedError {
        let message = err.message().trim().to_string();
        match err.span() {
            Some(span) => LocatedError::at_value(source, span, message, None),
            None => LocatedError {
                file: Some(source.name.to_string()),
                ..LocatedError::plain(message)
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

impl fmt::Display for LocatedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for LocatedError {}

impl Diagnostic for LocatedError {
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
