//! `compact`: one finding per line, `file:line:col: severity[CODE] message`.

use std::io;

use super::visible::visible;
use crate::engine::Outcome;
use crate::finding::Finding;

/// One finding as a compact line (without the newline).
pub fn line(f: &Finding) -> String {
    styled(f, None)
}

/// One finding as a compact line, in colours when `colour` is the severity's (the position
/// bold, the severity and code in that colour). Input is made visible either way: colours go
/// to terminals.
fn styled(f: &Finding, colour: Option<&str>) -> String {
    let span = f.location.span_or_start();
    let (file, code, message) = (
        visible(f.location.file()),
        visible(&f.code),
        visible(&f.message.text()).into_owned(),
    );
    let (line, column, severity) = (span.line, span.column, f.severity);
    match colour {
        None => format!("{file}:{line}:{column}: {severity}[{code}] {message}"),
        Some(colour) => format!(
            "\x1b[1m{file}:{line}:{column}:\x1b[0m \x1b[1;{colour}m{severity}[{code}]\x1b[0m {message}"
        ),
    }
}

/// The colour of a severity.
fn colour(severity: crate::finding::Severity) -> &'static str {
    match severity {
        crate::finding::Severity::Error => "31",
        crate::finding::Severity::Warning => "33",
        crate::finding::Severity::Info => "36",
    }
}

/// The `compact` format in the registry ([`super::REPORTERS`]).
pub const REPORTER: super::Reporter = super::Reporter {
    name: "compact",
    aliases: &["concise"],
    excerpts: false,
    columns: &[],
    summary: super::Summary::Appended,
    terminal: true,
    write: |c, out| write(c.outcome, c.options, out),
};

pub fn write(
    report: &Outcome,
    options: super::RenderOptions,
    out: &mut dyn io::Write,
) -> io::Result<()> {
    for f in &report.findings {
        let colour = options.color.then(|| colour(f.severity));
        writeln!(out, "{}", styled(f, colour))?;
    }
    if let Some(line) = super::omitted_line(report) {
        writeln!(out, "{line}")?;
    }
    Ok(())
}
