//! `compact`: one finding per line, `file:line:col: severity[CODE] message`.

use std::io;

use super::visible::visible;
use crate::engine::Outcome;
use crate::finding::Finding;

/// One finding as a compact line (without the newline).
pub fn line(f: &Finding) -> String {
    let span = f.location.span_or_start();
    format!(
        "{}:{}:{}: {}[{}] {}",
        visible(f.location.file()),
        span.line,
        span.column,
        f.severity,
        visible(&f.code),
        visible(&f.message.text())
    )
}

/// One finding as a compact line in colours: the position bold, the severity and code in
/// the severity's colour. Input is made visible as in [`line`]: colours go to terminals.
fn coloured_line(f: &Finding) -> String {
    let span = f.location.span_or_start();
    let colour = match f.severity {
        crate::finding::Severity::Error => "31",
        crate::finding::Severity::Warning => "33",
        crate::finding::Severity::Info => "36",
    };
    format!(
        "\x1b[1m{}:{}:{}:\x1b[0m \x1b[1;{colour}m{}[{}]\x1b[0m {}",
        visible(f.location.file()),
        span.line,
        span.column,
        f.severity,
        visible(&f.code),
        visible(&f.message.text())
    )
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
        if options.color {
            writeln!(out, "{}", coloured_line(f))?;
        } else {
            writeln!(out, "{}", line(f))?;
        }
    }
    if let Some(line) = super::omitted_line(report) {
        writeln!(out, "{line}")?;
    }
    Ok(())
}
