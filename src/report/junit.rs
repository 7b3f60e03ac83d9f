//! `junit`: JUnit XML for CI test-report views (GitLab `artifacts:reports:junit`, Azure
//! `PublishTestResults`, Jenkins).
//!
//! One `<testsuite>`; one **test case** per described rule (see [`super::described_rules`]),
//! failed when the rule has findings at or above `--fail-on` (the gate's threshold), with a
//! `<failure>` listing them as `file:line:col: severity message`; a rule with findings below
//! the threshold passes and lists them in its `<system-out>`; one skipped test case per rule
//! that did not run.
//! No times are written, so the output is deterministic.
//!
//! Written by hand: the subset is a dozen elements, and a serializer crate would bring a
//! date-time, UUID and XML stack for it.

use std::io;

use crate::engine::Outcome;
use crate::finding::{Finding, Severity};
use crate::rule::RuleSet;

use super::RuleInfo;

/// Escape text for XML 1.0 content and attribute values. Characters XML 1.0 cannot hold
/// at all (most C0 controls) become U+FFFD; in attributes, tab and line ends become
/// character references so parsers keep them.
pub fn escape(text: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            '\'' if attribute => out.push_str("&apos;"),
            '\t' if attribute => out.push_str("&#9;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' | '\n' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

fn line(f: &Finding) -> String {
    let s = f.location.span_or_start();
    format!(
        "{}:{}:{}: {} {}",
        f.location.file(),
        s.line,
        s.column,
        f.severity,
        f.message
    )
}

/// A test case's opening `<testcase name="CODE: title" classname="invlint.pack"` (unclosed),
/// from what is known about the code (`None`: nothing, the bare code under `invlint`).
fn open_case(code: &str, info: Option<&RuleInfo<'_>>) -> String {
    let name = match info {
        Some(r) if !r.title.is_empty() => format!("{code}: {}", r.title),
        _ => code.to_string(),
    };
    let classname = match info {
        Some(r) if !r.pack.is_empty() => format!("invlint.{}", r.pack),
        _ => "invlint".to_string(),
    };
    format!(
        r#"    <testcase name="{}" classname="{}""#,
        escape(&name, true),
        escape(&classname, true)
    )
}

/// The `junit` format in the registry ([`super::REPORTERS`]).
pub const REPORTER: super::Reporter = super::Reporter {
    name: "junit",
    aliases: &[],
    excerpts: false,
    columns: &[],
    summary: super::Summary::Never,
    terminal: true,
    write: |c, out| write(c.outcome, c.rules, c.options.fail_on, out),
};

/// `fail_on`: the lowest severity that fails the run (`None`: nothing fails).
pub fn write(
    report: &Outcome,
    rules: &RuleSet,
    fail_on: Option<Severity>,
    out: &mut dyn io::Write,
) -> io::Result<()> {
    let described = super::described_rules(report, rules);
    let mut failed = 0;
    let mut cases: Vec<(&str, String)> = Vec::new();
    for r in &described {
        let mut case = open_case(r.code, Some(r));
        let findings: Vec<&Finding> = report
            .findings
            .iter()
            .filter(|f| &*f.code == r.code)
            .collect();
        let fails = findings
            .iter()
            .any(|f| fail_on.is_some_and(|t| f.severity >= t));
        if findings.is_empty() {
            case.push_str("/>\n");
        } else if !fails {
            let body: Vec<String> = findings.iter().map(|f| escape(&line(f), false)).collect();
            case.push_str(&format!(
                ">\n      <system-out>{}</system-out>\n    </testcase>\n",
                body.join("\n")
            ));
        } else {
            failed += 1;
            let n = findings.len();
            let body: Vec<String> = findings.iter().map(|f| escape(&line(f), false)).collect();
            case.push_str(&format!(
                ">\n      <failure message=\"{n} finding{}\" type=\"{}\">{}</failure>\n    </testcase>\n",
                if n == 1 { "" } else { "s" },
                r.severity,
                body.join("\n")
            ));
        }
        cases.push((r.code, case));
    }
    // A rule skipped for one reason and described for another is listed once.
    let mut skipped = 0;
    for s in &report.skipped {
        if described.iter().any(|r| r.code == s.code) {
            continue;
        }
        skipped += 1;
        let info = super::rule_info(rules, &s.code);
        cases.push((
            &s.code,
            format!(
                "{}>\n      <skipped message=\"{}\"/>\n    </testcase>\n",
                open_case(&s.code, info.as_ref()),
                escape(&s.reason, true)
            ),
        ));
    }
    let tests = cases.len();
    cases.sort_by(|a, b| a.0.cmp(b.0));
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<testsuites name="invlint" tests="{tests}" failures="{failed}" errors="0" skipped="{skipped}">"#
    )?;
    writeln!(
        out,
        r#"  <testsuite name="invlint" tests="{tests}" failures="{failed}" errors="0" skipped="{skipped}">"#
    )?;
    for (_, case) in cases {
        out.write_all(case.as_bytes())?;
    }
    writeln!(
        out,
        "    <system-out>{}</system-out>",
        escape(&super::summary_line(report), false)
    )?;
    writeln!(out, "  </testsuite>")?;
    writeln!(out, "</testsuites>")
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_markup_and_control_characters() {
        assert_eq!(escape("a<b>&c", false), "a&lt;b&gt;&amp;c");
        assert_eq!(escape("\"q\" 'a'", true), "&quot;q&quot; &apos;a&apos;");
        assert_eq!(escape("\"q\"", false), "\"q\"");
        assert_eq!(escape("l1\nl2\r", true), "l1&#10;l2&#13;");
        assert_eq!(escape("l1\nl2", false), "l1\nl2");
        assert_eq!(escape("bell\u{7}", false), "bell\u{FFFD}");
    }
}
