//! `compact`: one finding per line, `file:line:col: severity[CODE] message`.

use std::io;

use super::visible::visible;
use crate::engine::Report;
use crate::finding::Finding;

/// One finding as a compact line (without the newline).
pub fn line(f: &Finding) -> String {
    let span = f.location.span_or_start();
    format!(
        "{}:{}:{}: {}[{}] {}",
        visible(&f.location.file),
        span.line,
        span.column,
        f.severity,
        visible(&f.code),
        visible(&f.message)
    )
}

pub fn write(report: &Report, out: &mut dyn io::Write) -> io::Result<()> {
    for f in &report.findings {
        writeln!(out, "{}", line(f))?;
    }
    if let Some(line) = super::omitted_line(report) {
        writeln!(out, "{line}")?;
    }
    Ok(())
}
