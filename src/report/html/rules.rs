//! The rules section: one article per code that fired (what, why, how to fix, where), then
//! the rules that ran without findings.

use maud::{html, Markup};

use super::text::{badge, num, plural, rich, rule_id, rule_info, severity_rank};
use super::Page;

impl Page<'_> {
    pub(super) fn rule_sections(&self) -> Markup {
        let fired: Vec<&str> = self.codes.iter().map(|c| &*c.code).collect();
        let quiet: Vec<&crate::rule::Rule> = self
            .rules
            .rules()
            .filter(|r| !fired.iter().any(|c| c.eq_ignore_ascii_case(&r.code)))
            .filter(|r| !self.report.skipped.iter().any(|s| s.code == *r.code))
            .collect();
        html! {
            section #rules {
                h2 { "Rules" }
                p.lead { "Each rule that fired: what it checks, why it matters for the migration, how to fix it, and where it fired." (self.base_note()) }
                @for c in &self.codes {
                    @let info = rule_info(self.rules, &c.code);
                    article class={ "rule " (c.severity.as_str()) } id=(rule_id(&c.code)) data-count=(c.count) {
                        h3 {
                            span.code { (c.code) }
                            span { (info.as_ref().map_or("", |i| i.title)) }
                            (badge(c.severity))
                            span.count { (plural(c.count, "finding")) }
                        }
                        dl {
                            @if let Some(i) = &info {
                                dt { "Pack" } dd { (i.pack) }
                                @if let Some(why) = i.why { dt { "Why" } dd.why { (rich(why)) } }
                                @if let Some(help) = i.help.or(c.findings.first().and_then(|f| f.help.as_deref())) {
                                    dt { "How to fix" } dd.help { (rich(help)) }
                                }
                                @if let Some(url) = i.url {
                                    dt { "Docs" } dd.docs { a href=(url) rel="noopener noreferrer" { (url) } }
                                }
                            }
                            dt { "Where" }
                            dd {
                                ul.where {
                                    @for f in c.findings.iter().take(self.options.examples_per_rule) {
                                        @let s = f.location.span_or_start();
                                        li {
                                            span.mono { (self.rel(f.location.file())) ":" (s.line) ":" (s.column) } " — " (f.message)
                                        }
                                    }
                                }
                                @if c.count > self.options.examples_per_rule {
                                    @let more = num(c.count - self.options.examples_per_rule);
                                    @if self.report.findings.len() > self.options.table_limit {
                                        span.dim { "and " (more) " more: the JSON output has them all (" code { "invlint check --format json" } ")" }
                                    } @else {
                                        span.dim { "and " (more) " more in the table of all findings" }
                                    }
                                }
                            }
                        }
                    }
                }
                @if !quiet.is_empty() {
                    details.panel {
                        summary { "Rules that ran without findings (" (quiet.len()) ")" }
                        table.sortable #quiet-rules {
                            thead { tr { th { "Code" } th { "Rule" } th { "Severity" } th { "Pack" } } }
                            tbody {
                                @for r in &quiet {
                                    tr { td.mono { (r.code) } td { (r.title) } td data-k=(severity_rank(r.severity)) { (badge(r.severity)) } td { (r.pack) } }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
