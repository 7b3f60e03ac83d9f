//! `human`: findings for a person at a console, laid out to the console's width.
//!
//! ```text
//! error[PC002]: sip:ty.carlson@contoso.com uses Microsoft Lync 15.0.4569.1503 on
//!   pool13.contoso.com (Lync Server 2013), but the effective Persistent Chat policy …
//!   --> exports/users.csv:9:186
//!    |
//!  9 | …,"pool13.contoso.com","SRV:","Tag:NoChat","False",
//!    |                               ^^^^^^^^^^^^ PersistentChatPolicy
//!   related evidence: the policy Tag:NoChat disables Persistent Chat
//!   --> exports/pchat-policies.csv:4:40
//!   …
//!   help: Grant a policy that enables it: `Grant-CsPersistentChatPolicy -Identity <user>
//!         -PolicyName <policy>`
//! ```
//!
//! No line is wider than [`super::RenderOptions::width`]: messages and help are wrapped at
//! spaces (a `code span` is kept on one line whenever it fits on one), and a record is shown
//! as a **window** around the offending cell, with `…` where it is cut, so the underline and
//! the label stay under the cell. A blank line separates findings.
//!
//! Each location carries a small **excerpt** (the lines of its record, windowed when very
//! long) captured when the finding was located, so rendering never scans a whole file: cost
//! is proportional to the findings shown, not to the inventory.

use std::collections::{BTreeMap, HashMap};
use std::io;

use rayon::prelude::*;
use unicode_width::UnicodeWidthChar;

use crate::engine::Outcome;
use crate::finding::{Excerpt, Finding, Location, Severity};

mod layout;
pub use layout::wrap;
use layout::{chop, text_width_of, wrap_path};

/// The narrowest layout drawn; narrower consoles get lines this wide.
pub(crate) const MIN_WIDTH: usize = 40;
/// Lines of one span shown at most (a cell holding many quoted newlines): first ones, `…`, last.
const MAX_SPAN_LINES: usize = 4;

/// The `human` format in the registry ([`super::REPORTERS`]).
pub const REPORTER: super::Reporter = super::Reporter {
    name: "human",
    aliases: &[],
    excerpts: true,
    columns: &[],
    summary: super::Summary::Own,
    terminal: true,
    write: |c, out| write(c.outcome, c.options, out),
};

pub fn write(
    report: &Outcome,
    options: super::RenderOptions,
    out: &mut dyn io::Write,
) -> io::Result<()> {
    let style = Style::new(options);
    // A rule's help is the same text for each of its findings: laid out once.
    let mut helps: HashMap<usize, String> = HashMap::new();
    for help in report.findings.iter().filter_map(|f| f.help.as_ref()) {
        helps
            .entry(help.as_ptr() as usize)
            .or_insert_with(|| help_block(help, &style));
    }
    // Findings render independently: render batches in parallel, write them in order.
    let mut first = true;
    for batch in report.findings.chunks(4096) {
        let texts: Vec<Vec<String>> = batch
            .par_chunks(64)
            .map(|findings| findings.iter().map(|f| render(f, &style, &helps)).collect())
            .collect();
        for text in texts.iter().flatten() {
            if !first {
                out.write_all(b"\n")?;
            }
            first = false;
            out.write_all(text.as_bytes())?;
        }
    }
    if !options.summary {
        if let Some(line) = super::omitted_line(report) {
            write_wrapped(out, &style, &line)?;
        }
        return Ok(());
    }
    if !first {
        out.write_all(b"\n")?;
    }
    for line in super::omitted_line(report)
        .into_iter()
        .chain(std::iter::once(super::summary_line(report)))
        .chain(super::gate_lines(report))
        .chain(skipped_lines(report))
    {
        write_wrapped(out, &style, &line)?;
    }
    Ok(())
}

/// A line per missing table with the command that exports it, then the other skipped rules
/// grouped by reason: `skipped (no `Version` column …): TP005`.
fn skipped_lines(report: &Outcome) -> Vec<String> {
    let mut by_reason: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for s in report
        .skipped
        .iter()
        .filter(|s| !super::skipped_for_missing_table(report, &s.code))
    {
        by_reason.entry(&s.reason).or_default().push(&s.code);
    }
    super::coverage_lines(report)
        .into_iter()
        .map(|line| format!("  {line}"))
        .chain(
            by_reason
                .into_iter()
                .map(|(reason, codes)| format!("  skipped ({reason}): {}", codes.join(", "))),
        )
        .map(|line| super::visible::visible(&line).into_owned())
        .collect()
}

fn write_wrapped(out: &mut dyn io::Write, style: &Style, line: &str) -> io::Result<()> {
    let first = " ".repeat(line.len() - line.trim_start().len());
    let indent = format!("{first}  ");
    for l in wrap(line, style.width, &first, &indent) {
        writeln!(out, "{l}")?;
    }
    Ok(())
}

/// One finding, laid out (ends with a newline); `helps` holds the help texts laid out, by
/// the address of their text.
fn render(finding: &Finding, style: &Style, helps: &HashMap<usize, String>) -> String {
    let mut out = String::new();
    let color = severity_color(finding.severity);
    let head = format!("{}[{}]", finding.severity, finding.code);
    let message = shown(&finding.message.text());
    let lines = wrap(&format!("{head}: {message}"), style.width, "", "  ");
    for (i, line) in lines.iter().enumerate() {
        if i == 0 {
            let rest = line.get(head.len()..).unwrap_or_default();
            style.paint_into(&mut out, &head, color);
            style.paint_into(&mut out, rest, BOLD);
        } else {
            style.paint_into(&mut out, line, BOLD);
        }
        out.push('\n');
    }
    location(&mut out, style, &finding.location, color);
    for related in &finding.related {
        let title = "related evidence:";
        let text = format!("{title} {}", shown(&related.message.text()));
        for (i, line) in wrap(&text, style.width, "  ", "    ").iter().enumerate() {
            if i == 0 {
                out.push_str("  ");
                style.paint_into(&mut out, title, BOLD);
                out.push_str(line.get(2 + title.len()..).unwrap_or_default());
            } else {
                out.push_str(line);
            }
            out.push('\n');
        }
        location(&mut out, style, &related.location, RELATED);
    }
    if let Some(help) = &finding.help {
        match helps.get(&(help.as_ptr() as usize)) {
            Some(block) => out.push_str(block),
            None => out.push_str(&help_block(help, style)),
        }
    }
    out
}

/// The `help:` lines of a finding.
fn help_block(help: &str, style: &Style) -> String {
    let mut out = String::new();
    let indent = "        ";
    for (i, line) in wrap(&format!("help: {}", shown(help)), style.width, "  ", indent)
        .iter()
        .enumerate()
    {
        if i == 0 {
            out.push_str("  ");
            style.paint_into(&mut out, "help:", HELP);
            out.push_str(line.get(7..).unwrap_or_default());
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}

/// `--> file:line:col` and, when there is an excerpt, the window of the record with the span
/// underlined and labelled with its column name.
fn location(out: &mut String, style: &Style, l: &Location, color: &str) {
    let position = match (l.span, l.anchor) {
        (_, crate::finding::Anchor::File) | (None, _) => shown(l.file()),
        (Some(s), _) => format!("{}:{}:{}", shown(l.file()), s.line, s.column),
    };
    let arrow = "  --> ";
    for (i, line) in wrap_path(&position, style.width - arrow.len())
        .iter()
        .enumerate()
    {
        let lead = if i == 0 { arrow } else { "      " };
        style.paint_into(out, lead, GUTTER);
        out.push_str(line);
        out.push('\n');
    }
    let (Some(excerpt), Some(span)) = (&l.excerpt, l.span) else {
        return;
    };
    let rows = snippet_rows(excerpt, span.column, style);
    let Some(last) = rows.last() else {
        return;
    };
    let number_width = last.number.map_or(1, |n| n.to_string().len()).max(1);
    let blank = format!("{} |", " ".repeat(number_width + 1));
    style.paint_into(out, &blank, GUTTER);
    out.push('\n');
    let text_width = style.width.saturating_sub(number_width + 4).max(10);
    for (i, row) in rows.iter().enumerate() {
        let number = row.number.map_or_else(
            || " ".repeat(number_width),
            |n| format!("{n:>number_width$}"),
        );
        style.paint_into(out, &format!(" {number} |"), GUTTER);
        if !row.text.is_empty() {
            out.push(' ');
            out.push_str(&row.text);
        }
        out.push('\n');
        let Some((start, len)) = row.underline else {
            continue;
        };
        style.paint_into(out, &blank, GUTTER);
        out.push(' ');
        push_spaces(out, start);
        style.paint_into(out, &"^".repeat(len.max(1)), color);
        let label = l.field().map(shown).unwrap_or_default();
        let last_row = i + 1 == rows.len();
        if last_row && !label.is_empty() {
            let used = start + len.max(1) + 1;
            if used + text_width_of(&label) <= text_width {
                out.push(' ');
                style.paint_into(out, &label, color);
            } else {
                out.push('\n');
                style.paint_into(out, &blank, GUTTER);
                out.push(' ');
                let label = fit(&label, text_width, style);
                let pad = start.min(text_width - text_width_of(&label));
                push_spaces(out, pad);
                style.paint_into(out, &label, color);
            }
        }
        out.push('\n');
    }
}

/// A line of a snippet: its line number (none for an elision line), its text as shown, and
/// where its underline starts and how wide it is, in columns of the text.
struct Row {
    number: Option<u64>,
    text: String,
    underline: Option<(usize, usize)>,
}

/// The lines of `excerpt` that the span covers, each cut to a window that fits the width.
/// `column` is the span's real 1-based column (to tell whether the excerpt starts mid-line).
fn snippet_rows(excerpt: &Excerpt, column: u64, style: &Style) -> Vec<Row> {
    let text = &*excerpt.text;
    let start = excerpt.start.min(text.len());
    let end = excerpt.end.clamp(start, text.len());
    let number_width = (excerpt.first_line + text.matches('\n').count() as u64)
        .to_string()
        .len();
    let avail = style.width.saturating_sub(number_width + 4).max(10);
    let mut rows = Vec::new();
    let mut offset = 0;
    let mut covered: Vec<(u64, &str, usize, usize, bool)> = Vec::new();
    for (i, raw) in text.split('\n').enumerate() {
        let line_start = offset;
        let line_end = offset + raw.len();
        offset = line_end + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        // The line is covered when the span starts on or before its end and ends after its
        // start (an empty span covers the line it starts on).
        let covers =
            start <= line_end && (end > line_start || (start == end && start >= line_start));
        if !covers {
            continue;
        }
        let s = start.saturating_sub(line_start).min(line.len());
        let e = end.saturating_sub(line_start).min(line.len()).max(s);
        let chars_before = line.get(..s).map_or(0, |t| t.chars().count()) as u64;
        let cut_before = i == 0 && start >= line_start && column > chars_before + 1;
        covered.push((excerpt.first_line + i as u64, line, s, e, cut_before));
    }
    let shown_lines: Vec<Option<usize>> = if covered.len() > MAX_SPAN_LINES {
        let mut v: Vec<Option<usize>> = (0..MAX_SPAN_LINES - 1).map(Some).collect();
        v.push(None);
        v.push(Some(covered.len() - 1));
        v
    } else {
        (0..covered.len()).map(Some).collect()
    };
    for index in shown_lines {
        match index {
            None => rows.push(Row {
                number: None,
                text: style.ellipsis().to_string(),
                underline: None,
            }),
            Some(k) => {
                let (number, line, s, e, cut_before) = covered[k];
                let (text, underline) = window(line, s, e, cut_before, avail, style);
                rows.push(Row {
                    number: Some(number),
                    text,
                    underline: Some(underline),
                });
            }
        }
    }
    rows
}

/// The part of `line` shown around the byte range `s..e`, at most `avail` columns wide, with
/// `…` where it is cut; and the underline (start column, width) of the range inside it.
fn window(
    line: &str,
    s: usize,
    e: usize,
    cut_before: bool,
    avail: usize,
    style: &Style,
) -> (String, (usize, usize)) {
    // Each character with its byte offset and shown width, and the widths summed: the window
    // is measured many times, and a string per character was most of this format's time.
    let cells: Vec<(usize, char, usize)> = line
        .char_indices()
        .map(|(at, c)| (at, c, shown_width(c)))
        .collect();
    let mut sums = Vec::with_capacity(cells.len() + 1);
    sums.push(0);
    for &(_, _, w) in &cells {
        sums.push(sums[sums.len() - 1] + w);
    }
    let first = cells
        .iter()
        .position(|(at, _, _)| *at >= s)
        .unwrap_or(cells.len());
    let last = cells
        .iter()
        .position(|(at, _, _)| *at >= e)
        .unwrap_or(cells.len());
    let width = |from: usize, to: usize| -> usize { sums[to] - sums[from] };
    let mark = style.ellipsis_width();
    // Room for a mark at each end, so the window never needs to be recomputed.
    let room = avail.saturating_sub(2 * mark).max(1);
    let (mut a, mut b) = (first, last);
    if width(first, last) > room {
        // The cell alone is wider than the room: show its start.
        while b > a + 1 && width(a, b) > room {
            b -= 1;
        }
    } else {
        // Some context before the cell (a third of what is left), then as much after it as
        // fits, then more before if the line ended.
        let mut before = (room - width(first, last)) / 3;
        while a > 0 && cells[a - 1].2 <= before {
            a -= 1;
            before -= cells[a].2;
        }
        while b < cells.len() && width(a, b + 1) <= room {
            b += 1;
        }
        while a > 0 && width(a - 1, b) <= room {
            a -= 1;
        }
    }
    let left_mark = a > 0 || cut_before;
    let right_mark = b < cells.len();
    let mut text = String::new();
    let mut column = 0;
    if left_mark {
        text.push_str(style.ellipsis());
        column += mark;
    }
    let mut underline_start = column;
    for (k, &(_, c, w)) in cells.iter().enumerate().take(b).skip(a) {
        if k == first {
            underline_start = column;
        }
        super::visible::push_visible(&mut text, c);
        column += w;
    }
    if first >= b {
        underline_start = column;
    }
    if right_mark {
        text.push_str(style.ellipsis());
    }
    let underline_width = width(first.max(a), last.min(b).max(first.max(a)));
    (text, (underline_start, underline_width))
}

/// `text` cut to `width` columns, with `…` when cut.
fn fit(text: &str, width: usize, style: &Style) -> String {
    if text_width_of(text) <= width {
        return text.to_string();
    }
    let mut out = chop(text, width.saturating_sub(style.ellipsis_width()).max(1))
        .into_iter()
        .next()
        .unwrap_or_default();
    out.push_str(style.ellipsis());
    out
}

// ---- Display text: the one place where input (cell values, file names, messages that quote
// them) becomes text on a console.

/// Input text as shown: control, bidi and invisible characters are written as `\u{…}`
/// escapes (raw, they would move the cursor, retitle the window, reverse text or hide a
/// difference; see [`super::visible`]).
/// `count` spaces onto `out`.
fn push_spaces(out: &mut String, count: usize) {
    out.extend(std::iter::repeat_n(' ', count));
}

fn shown(text: &str) -> String {
    super::visible::visible(text).into_owned()
}

/// The console columns character `c` takes once shown (an escape `\u{…}` for a hidden one).
fn shown_width(c: char) -> usize {
    super::visible::escape_len(c).unwrap_or_else(|| c.width().unwrap_or(0))
}

// ---- Style: colours and the glyphs the console can show.

const BOLD: &str = "1";
const GUTTER: &str = "1;34";
const HELP: &str = "1;36";
const RELATED: &str = "36";

fn severity_color(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "1;31",
        Severity::Warning => "1;33",
        Severity::Info => "1;36",
    }
}

struct Style {
    color: bool,
    ascii: bool,
    width: usize,
}

impl Style {
    fn new(options: super::RenderOptions) -> Style {
        Style {
            color: options.color,
            ascii: options.ascii,
            width: options.width.max(MIN_WIDTH),
        }
    }

    /// `text` in the ANSI style `code` (`1;31`: bold red), when colours are on.
    /// `text` painted with the SGR `code` (as is without colour), onto `out`.
    fn paint_into(&self, out: &mut String, text: &str, code: &str) {
        if self.color && !text.is_empty() {
            out.push_str("\x1b[");
            out.push_str(code);
            out.push('m');
            out.push_str(text);
            out.push_str("\x1b[0m");
        } else {
            out.push_str(text);
        }
    }

    fn ellipsis(&self) -> &'static str {
        if self.ascii {
            "..."
        } else {
            "…"
        }
    }

    fn ellipsis_width(&self) -> usize {
        if self.ascii {
            3
        } else {
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_width_is_the_width_of_what_is_shown() {
        for c in [
            'a',
            'é',
            '漢',
            '\u{1b}',
            '\u{7f}',
            '\u{202e}',
            '\u{200b}',
            '\u{feff}',
            '\u{e0001}',
        ] {
            let mut out = String::new();
            super::super::visible::push_visible(&mut out, c);
            assert_eq!(shown_width(c), text_width_of(&out), "{c:?} shown as {out}");
        }
    }

    #[test]
    fn window_keeps_the_cell_in_view_and_marks_cuts() {
        let style = Style {
            color: false,
            ascii: false,
            width: 80,
        };
        let line = format!("{}\"target\"{}", "a,".repeat(100), ",b".repeat(100));
        let s = 200;
        let e = s + "\"target\"".len();
        let (text, (start, width)) = window(&line, s, e, false, 30, &style);
        assert!(text_width_of(&text) <= 30, "{text}");
        assert!(text.starts_with('…') && text.ends_with('…'), "{text}");
        let shown: String = text.chars().skip(start).take(width).collect();
        assert_eq!(shown, "\"target\"");
    }

    #[test]
    fn window_of_a_short_line_is_the_line() {
        let style = Style {
            color: false,
            ascii: true,
            width: 80,
        };
        let (text, underline) = window("a,bb,c", 2, 4, false, 70, &style);
        assert_eq!(text, "a,bb,c");
        assert_eq!(underline, (2, 2));
        let (text, underline) = window("a,bb,c", 2, 4, true, 70, &style);
        assert_eq!(text, "...a,bb,c");
        assert_eq!(underline, (5, 2));
    }

    proptest::proptest! {
        /// Any line, any span in it, any width: a window that fits, the span's start in view.
        #[test]
        fn window_always_fits(line in "[a-z,\"é漢\u{301}]{0,300}", a in 0usize..400, len in 0usize..400, avail in 10usize..200) {
            let s = floor(&line, a);
            let e = floor(&line, s + len).max(s);
            for ascii in [false, true] {
                let style = Style { color: false, ascii, width: 80 };
                let (text, (start, width)) = window(&line, s, e, a % 2 == 0, avail, &style);
                proptest::prop_assert!(text_width_of(&text) <= avail.max(2 * style.ellipsis_width() + 2), "{text}");
                proptest::prop_assert!(start + width <= text_width_of(&text) + 1);
            }
        }

    }

    fn floor(text: &str, mut i: usize) -> usize {
        i = i.min(text.len());
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        i
    }
}
