//! `human`: miette's graphical output, one diagnostic per finding, related cells from other
//! files shown after it.
//!
//! Each location carries a small **excerpt** (the lines of its record, windowed when very
//! long) captured when the finding was located, so rendering never scans a whole file: cost
//! is proportional to the findings shown, not to the inventory.

use std::fmt;
use std::io;

use rayon::prelude::*;

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError,
    MietteSpanContents, SourceCode, SourceSpan, SpanContents,
};

use super::visible::visible;
use crate::engine::Report;
use crate::finding::{Excerpt, Finding, Location, Severity, Span};

/// The source of one location: its excerpt, with the real line and column numbers.
struct ExcerptSource {
    name: String,
    excerpt: Excerpt,
    span: Span,
}

impl SourceCode for ExcerptSource {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let text = self.excerpt.text.as_bytes();
        if span.offset() > text.len() {
            return Err(MietteError::OutOfBounds);
        }
        if before == 0 && after == 0 {
            // miette asks this to print `[file:line:col]`: give the finding's real position.
            let end = (span.offset() + span.len()).min(text.len());
            return Ok(Box::new(MietteSpanContents::new_named(
                self.name.clone(),
                &text[span.offset()..end],
                *span,
                (self.span.line - 1) as usize,
                (self.span.column - 1) as usize,
                self.span.end_line.saturating_sub(self.span.line) as usize + 1,
            )));
        }
        let lines = self.excerpt.text.lines().count().max(1);
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            text,
            SourceSpan::from((0, text.len())),
            (self.excerpt.first_line - 1) as usize,
            0,
            lines,
        )))
    }
}

struct Shown {
    message: String,
    code: Option<String>,
    severity: miette::Severity,
    help: Option<String>,
    label: Option<String>,
    source: Option<ExcerptSource>,
    related: Vec<Shown>,
}

impl Shown {
    fn new(location: &Location, message: String, severity: Severity) -> Shown {
        let source = match (&location.excerpt, location.span) {
            (Some(excerpt), Some(span)) => Some(ExcerptSource {
                name: visible(&location.file).into_owned(),
                excerpt: super::visible::visible_excerpt(excerpt),
                span,
            }),
            _ => None,
        };
        let message = visible(&message);
        let message = if source.is_some() {
            message.into_owned()
        } else {
            let s = location.span_or_start();
            let file = visible(&location.file);
            format!("{file}:{}:{}: {message}", s.line, s.column)
        };
        Shown {
            message,
            code: None,
            severity: match severity {
                Severity::Error => miette::Severity::Error,
                Severity::Warning => miette::Severity::Warning,
                Severity::Info => miette::Severity::Advice,
            },
            help: None,
            label: location.field.as_ref().map(|f| visible(f).into_owned()),
            source,
            related: Vec::new(),
        }
    }

    fn from_finding(f: &Finding) -> Shown {
        let mut shown = Shown::new(&f.location, f.message.clone(), f.severity);
        shown.code = Some(visible(&f.code).into_owned());
        shown.help = f.help.as_ref().map(|h| visible(h).into_owned());
        shown.related = f
            .related
            .iter()
            .map(|r| {
                let mut s = Shown::new(&r.location, r.message.clone(), Severity::Info);
                s.label = Some(r.location.field.as_deref().map_or_else(
                    || visible(&r.message).into_owned(),
                    |f| visible(f).into_owned(),
                ));
                s
            })
            .collect();
        shown
    }
}

impl fmt::Debug for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Shown {}

impl Diagnostic for Shown {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.code
            .as_ref()
            .map(|c| Box::new(c) as Box<dyn fmt::Display>)
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let source = self.source.as_ref()?;
        let e = &source.excerpt;
        let span = LabeledSpan::new(self.label.clone(), e.start, e.end.saturating_sub(e.start));
        Some(Box::new(std::iter::once(span)))
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        if self.related.is_empty() {
            return None;
        }
        Some(Box::new(self.related.iter().map(|r| r as &dyn Diagnostic)))
    }
}

pub fn write(
    report: &Report,
    options: super::RenderOptions,
    out: &mut dyn io::Write,
) -> io::Result<()> {
    let theme = if options.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(options.width)
        .with_links(false)
        .with_context_lines(1);
    // Findings render independently: render batches in parallel, write them in order.
    for batch in report.findings.chunks(4096) {
        let texts: Vec<String> = batch
            .par_chunks(64)
            .map(|findings| {
                let mut text = String::new();
                for finding in findings {
                    text.push_str(&render_one(&handler, finding));
                }
                text
            })
            .collect();
        for text in texts {
            out.write_all(text.as_bytes())?;
        }
    }
    if let Some(line) = super::omitted_line(report) {
        writeln!(out, "{line}")?;
    }
    writeln!(out, "{}", super::summary_line(report))?;
    for line in super::gate_lines(report) {
        writeln!(out, "{line}")?;
    }
    for line in super::coverage_lines(report) {
        writeln!(out, "  {}", visible(&line))?;
    }
    for s in report
        .skipped
        .iter()
        .filter(|s| !super::skipped_for_missing_table(report, &s.code))
    {
        writeln!(
            out,
            "  skipped {}: {}",
            visible(&s.code),
            visible(&s.reason)
        )?;
    }
    Ok(())
}

/// One finding drawn by miette. A rendering failure, or a panic inside miette, costs this
/// finding its drawing only: it is written as a compact line ([`super::compact::line`]) instead.
fn render_one(handler: &GraphicalReportHandler, finding: &Finding) -> String {
    let rendered = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut text = String::new();
        let shown = Shown::from_finding(finding);
        handler.render_report(&mut text, &shown).map(|()| text)
    }));
    match rendered {
        Ok(Ok(text)) => text,
        _ => format!("{}\n", super::compact::line(finding)),
    }
}
