//! The findings sections: counts by severity and by rule, and the table of all findings
//! (capped at [`super::HtmlOptions::table_limit`] rows, a share kept for each severity).

use maud::{html, Markup};

use super::text::{badge, code_link, num, rule_info, severity_rank};
use super::{charts, Page};
use crate::finding::{Finding, Severity};

impl Page<'_> {
    pub(super) fn findings(&self) -> Markup {
        let by_severity =
            [Severity::Error, Severity::Warning, Severity::Info].map(|s| (s, self.count(s)));
        let max_sev = by_severity.iter().map(|(_, n)| *n).max().unwrap_or(0);
        let max_code = self.codes.iter().map(|c| c.count).max().unwrap_or(0);
        html! {
            section #findings {
                h2 { "Findings" }
                @if self.codes.is_empty() {
                    p.lead { "No findings: every rule that ran passed." }
                } @else {
                    div.split {
                        div.panel.flush {
                            h3 { "By severity" }
                            table #by-severity {
                                thead { tr { th { "Severity" } th.num { "Findings" } th.nosort { "" } } }
                                tbody {
                                    @for (s, n) in by_severity {
                                        tr #{ "sev-" (s.as_str()) } {
                                            td { (badge(s)) }
                                            td.num.count { (num(n)) }
                                            td.chart { (charts::bar(n, max_sev, s.as_str(), s.as_str())) }
                                        }
                                    }
                                }
                            }
                        }
                        div.panel.flush {
                            h3 { "By rule" }
                            table.sortable.middle #by-rule {
                                thead { tr { th { "Code" } th { "Rule" } th { "Severity" } th.num { "Findings" } th.nosort { "" } } }
                                tbody {
                                    @for c in &self.codes {
                                        @let info = rule_info(self.rules, &c.code);
                                        tr #{ "by-rule-" (c.code) } data-code=(c.code) {
                                            td { (code_link(&c.code)) }
                                            td { (info.as_ref().map_or("", |i| i.title)) }
                                            td data-k=(severity_rank(c.severity)) { (badge(c.severity)) }
                                            td.num.count { (num(c.count)) }
                                            td.chart { (charts::bar(c.count, max_code, c.severity.as_str(), "findings")) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    pub(super) fn findings_table(&self) -> Markup {
        let total = self.report.findings.len();
        let (rows, shown) = table_rows(&self.report.findings, self.options.table_limit);
        html! {
            section #all-findings {
                h2 { "All findings (" (num(total)) ")" }
                p.lead { "Errors first, then by file and position; click a column to sort, a code to read its rule." (self.base_note()) }
                @if total > rows.len() {
                    div.notice #findings-capped {
                        "The table shows " (num(rows.len())) " of " (num(total)) " findings ("
                        (shown.iter().map(|(s, k, n)| format!("{} of {} {}s", num(*k), num(*n), s.as_str())).collect::<Vec<_>>().join(", "))
                        "), errors first, with a share kept for each severity; "
                        strong { (num(total - rows.len())) " more" } " are in the JSON output ("
                        code { "invlint check --format json PATH" } ")."
                    }
                }
                @if total == 0 {
                    p.lead { "No findings." }
                } @else {
                    div #findings-controls hidden {
                        input #findings-query type="search" placeholder="Filter: code, file, user, text…" aria-label="Filter findings";
                        select #findings-severity aria-label="Severity" {
                            option value="" { "All severities" }
                            option value="error" { "Errors" }
                            option value="warning" { "Warnings" }
                            option value="info" { "Infos" }
                        }
                        span #findings-count {}
                    }
                    div.panel.flush.scroll {
                        table.sortable #findings-table {
                            thead { tr {
                                th { "Severity" } th { "Code" } th { "File" } th.num { "Line" } th.num { "Col" } th { "Message" }
                            } }
                            tbody {
                                @for f in &rows {
                                    @let s = f.location.span_or_start();
                                    tr data-sev=(f.severity.as_str()) {
                                        td data-k=(severity_rank(f.severity)) { (badge(f.severity)) }
                                        td { (code_link(&f.code)) }
                                        td.file.mono { (self.rel(f.location.file())) }
                                        td.num { (s.line) }
                                        td.num { (s.column) }
                                        td.msg { (f.message) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The findings the table shows, at most `limit`: errors first, then warnings, then infos,
/// each severity keeping a share (a fifth of the table, or all it has when fewer) so that a
/// flood of errors never hides every warning. Within a severity, the output order. Also
/// returns (severity, shown, total) for each severity that has findings.
fn table_rows(
    findings: &[Finding],
    limit: usize,
) -> (Vec<&Finding>, Vec<(Severity, usize, usize)>) {
    let levels = [Severity::Error, Severity::Warning, Severity::Info];
    let of = |s: Severity| findings.iter().filter(move |f| f.severity == s);
    let totals = levels.map(|s| of(s).count());
    let share = limit / 5;
    let mut take = totals.map(|n| n.min(share));
    let mut left = limit.saturating_sub(take.iter().sum());
    for (t, n) in take.iter_mut().zip(totals) {
        let more = (n - *t).min(left);
        *t += more;
        left -= more;
    }
    let rows = levels
        .iter()
        .zip(take)
        .flat_map(|(s, k)| of(*s).take(k))
        .collect();
    let shown = levels
        .iter()
        .zip(take.iter().zip(totals))
        .filter(|(_, (_, n))| *n > 0)
        .map(|(s, (k, n))| (*s, *k, n))
        .collect();
    (rows, shown)
}
