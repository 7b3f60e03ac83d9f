//! `github`: GitHub Actions workflow commands, one **annotation** per finding:
//! `::error file=…,line=…,endLine=…,col=…,endColumn=…,title=CODE::message`
//! (`warning` for warnings, `notice` for infos).
//!
//! GitHub shows at most [`PER_LEVEL`] annotations of each level per step and drops the rest
//! silently, so this format writes the first [`PER_LEVEL`] of each level (errors first, each
//! level in output order) and then one `notice` counting the findings left out. Notices are
//! treated as capped too: when anything is left out, the count takes the last notice slot.

use std::io;

use crate::engine::Outcome;
use crate::finding::{Finding, Severity};

/// Annotations of one level GitHub shows per step.
pub const PER_LEVEL: usize = 10;

/// Escape a command's message, as actions/toolkit's `escapeData`: `%`, CR, LF; other hidden
/// characters are made visible ([`super::visible`]).
pub fn escape_data(text: &str) -> String {
    escape(text, false)
}

/// Escape a command property value, as actions/toolkit's `escapeProperty`: the data escapes
/// plus `:` and `,`.
pub fn escape_property(text: &str) -> String {
    escape(text, true)
}

fn escape(text: &str, property: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            ':' if property => out.push_str("%3A"),
            ',' if property => out.push_str("%2C"),
            // ESC, BEL, bidi overrides… reach the log raw otherwise.
            c => super::visible::push_visible(&mut out, c),
        }
    }
    out
}

fn command(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "notice",
    }
}

/// One annotation line (without the newline).
pub fn annotation(f: &Finding) -> String {
    let l = &f.location;
    let file = l.file().strip_prefix("./").unwrap_or(l.file());
    let mut props = format!("file={}", escape_property(file));
    if let Some(s) = super::region(l) {
        props.push_str(&format!(
            ",line={},endLine={},col={},endColumn={}",
            s.line, s.end_line, s.column, s.end_column
        ));
    }
    props.push_str(&format!(",title={}", escape_property(&f.code)));
    format!(
        "::{} {props}::{}",
        command(f.severity),
        escape_data(&f.message.text())
    )
}

/// The `github` format in the registry ([`super::REPORTERS`]).
pub const REPORTER: super::Reporter = super::Reporter {
    name: "github",
    aliases: &[],
    excerpts: false,
    columns: &[],
    summary: super::Summary::Never,
    terminal: true,
    write: |c, out| write(c.outcome, out),
};

pub fn write(report: &Outcome, out: &mut dyn io::Write) -> io::Result<()> {
    let levels = [Severity::Error, Severity::Warning, Severity::Info];
    let total = |s: Severity| report.findings.iter().filter(|f| f.severity == s).count();
    let totals = levels.map(total);
    let left_out = |limit: [usize; 3]| -> usize {
        totals
            .iter()
            .zip(limit)
            .map(|(t, l)| t.saturating_sub(l))
            .sum()
    };
    // Findings `--max-findings` left out never reached the reporter: said in the last notice.
    let capped = report.omitted.count();
    let mut limit = [PER_LEVEL; 3];
    if left_out(limit) > 0 || capped > 0 {
        limit[2] = PER_LEVEL - 1;
    }
    for (severity, limit) in levels.iter().zip(limit) {
        for f in report
            .findings
            .iter()
            .filter(|f| f.severity == *severity)
            .take(limit)
        {
            writeln!(out, "{}", annotation(f))?;
        }
    }
    let omitted = left_out(limit);
    let mut notes = Vec::new();
    if capped > 0 {
        notes.push(format!(
            "{capped} more finding{} not shown (--max-findings {}); the exit code counts them",
            if capped == 1 { "" } else { "s" },
            report.findings.len()
        ));
    }
    if omitted > 0 {
        let parts: Vec<String> = levels
            .iter()
            .zip(totals.iter().zip(limit))
            .filter(|(_, (t, l))| *t > l)
            .map(|(s, (t, l))| format!("{} {s}{}", t - l, if t - l == 1 { "" } else { "s" }))
            .collect();
        let message = format!(
            "{omitted} more finding{} not annotated ({}): GitHub shows {PER_LEVEL} annotations \
             of each level per step; see the step summary or the SARIF/JSON output for all {}",
            if omitted == 1 { "" } else { "s" },
            parts.join(", "),
            report.findings.len()
        );
        notes.push(message);
    }
    if !notes.is_empty() {
        writeln!(
            out,
            "::notice title={}::{}",
            escape_property("invlint"),
            escape_data(&notes.join("; "))
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_escapes_percent_cr_lf_only() {
        assert_eq!(escape_data("50% a:b,c\r\nd"), "50%25 a:b,c%0D%0Ad");
        assert_eq!(escape_data("%0A"), "%250A");
    }

    #[test]
    fn properties_also_escape_colon_and_comma() {
        assert_eq!(escape_property("a:b,c%\r\n"), "a%3Ab%2Cc%25%0D%0A");
        assert_eq!(escape_property("plain/path.csv"), "plain/path.csv");
    }
}
