//! The overview section: the notices that qualify the numbers (an incomplete run, the
//! findings cap, files not read again) and the cards of headline figures.

use maud::{html, Markup};

use super::readiness::readiness_segments;
use super::text::{num, percent, plural};
use super::{charts, Page};
use crate::finding::{builtin, Finding, Severity};

impl Page<'_> {
    pub(super) fn overview(&self) -> Markup {
        html! {
            section #overview {
                h2 { "Overview" }
                (self.notices())
                (self.cards())
            }
        }
    }

    /// What qualifies the numbers: files or rules that failed, the findings cap, files the
    /// model could not read again.
    fn notices(&self) -> Markup {
        let report = self.report;
        let untrusted: Vec<&Finding> = report
            .findings
            .iter()
            .filter(|f| *f.code == *builtin::UNREADABLE.0 || *f.code == *builtin::INTERNAL.0)
            .collect();
        html! {
            @if !untrusted.is_empty() {
                div.notice role="alert" {
                    strong { "This report is incomplete." }
                    " " (plural(untrusted.len(), "file or rule")) " could not be read or run ("
                    @for (i, f) in untrusted.iter().take(3).enumerate() {
                        @if i > 0 { "; " }
                        (f.message)
                    }
                    @if untrusted.len() > 3 { "; …" }
                    "). Fix them and run again before relying on the numbers below."
                }
            }
            @if report.omitted.count() > 0 {
                div.notice role="alert" {
                    strong { "Findings past the cap were counted, not kept." }
                    " " (report.omitted.count()) " more findings are in the totals but not in the \
                    figures and tables below (--max-findings " (report.findings.len()) ")."
                }
            }
            @for (file, why) in &self.audit.errors {
                div.notice role="alert" {
                    "Could not read " code { (file) } " again for this page: " (why)
                    ". Readiness and Persistent Chat figures leave it out."
                }
            }
        }
    }

    /// The headline figures: users ready and blocked, findings, inventory, rules.
    fn cards(&self) -> Markup {
        let report = self.report;
        let (errors, warnings, infos) = (
            self.count(Severity::Error),
            self.count(Severity::Warning),
            self.count(Severity::Info),
        );
        html! {
            div.cards {
                @if let Some(r) = &self.audit.readiness {
                    div.card.donut-card #card-ready {
                        (charts::donut(&readiness_segments(&r.total), &percent(r.total.ready(), r.total.users), "Users ready"))
                        div {
                            div.label { "Users ready" }
                            div.value.ready { span #ready-users { (num(r.total.ready())) } }
                            div.note { "of " span #total-users { (num(r.total.users)) } " users have no error finding" }
                            div.legend {
                                span.ready { (num(r.total.clean())) " ready" }
                                span.warned { (num(r.total.warned)) " with warnings" }
                                span.blocked { (num(r.total.blocked)) " blocked" }
                            }
                        }
                    }
                    div.card #card-blocked {
                        div.label { "Users blocked" }
                        div.value.error { span #blocked-users { (num(r.total.blocked)) } }
                        div.note { "users with at least one error finding, in " (plural(r.by_pool.iter().filter(|g| g.blocked > 0).count(), "home pool group")) }
                    }
                }
                div.card #card-findings {
                    div.label { "Findings" }
                    div.value.error { span #count-error { (num(errors)) } " " span.dim style="font-size:15px;font-weight:500" { "errors" } }
                    div.note {
                        span #count-warning { (num(warnings)) } " warnings · "
                        span #count-info { (num(infos)) } " infos"
                    }
                }
                div.card #card-inventory {
                    div.label { "Inventory" }
                    div.value { span #count-files { (num(report.files)) } " " span.dim style="font-size:15px;font-weight:500" { "files" } }
                    div.note {
                        span #count-rows { (num(report.rows)) } " rows · "
                        (plural(report.tables.len(), "table kind"))
                    }
                }
                div.card #card-rules {
                    div.label { "Rules" }
                    div.value { span #count-rules { (num(report.rules_run)) } " " span.dim style="font-size:15px;font-weight:500" { "run" } }
                    div.note {
                        span #count-skipped { (num(report.skipped.len())) } " skipped for missing tables or columns"

                    }
                }
            }
        }
    }
}
