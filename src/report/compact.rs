//! `compact`: one finding per line, `file:line:col: severity[CODE] message`.

use std::io;

use crate::engine::Report;

pub fn write(report: &Report, out: &mut dyn io::Write) -> io::Result<()> {
    for f in &report.findings {
        let span = f.location.span_or_start();
        writeln!(
            out,
            "{}:{}:{}: {}[{}] {}",
            f.location.file, span.line, span.column, f.severity, f.code, f.message
        )?;
    }
    if let Some(line) = super::omitted_line(report) {
        writeln!(out, "{line}")?;
    }
    Ok(())
}
