//! `html`: the **audit report**, one self-contained HTML page to show in a migration meeting.
//!
//! The page has an overview, readiness by home pool and by site, findings by severity and by
//! rule, a Persistent Chat view, one section per rule that fired (title, why, fix, docs link),
//! the inventory (files, table kinds, dialects, skipped rules) and a table of the findings.
//! It is built with maud, which escapes every interpolated value, so text from the CSV files
//! can never become markup. It makes no request of any kind: styles and the small script are
//! inline, charts are SVG generated here ([`charts`]), the favicon is an empty `data:` URL, and
//! a Content-Security-Policy forbids loading anything. Everything is readable without
//! JavaScript; the script only sorts tables and filters the findings table.
//!
//! The findings table holds at most [`HtmlOptions::table_limit`] rows (errors first) so that
//! the page of a large inventory stays small and opens fast; the JSON output has them all.

pub mod charts;
pub mod model;

use std::collections::BTreeMap;
use std::io;
use std::sync::Arc;

use maud::{html, Markup, PreEscaped, DOCTYPE};

use super::RuleInfo;
use crate::engine::Report;
use crate::finding::{builtin, Finding, Severity};
use crate::rule::RuleSet;
use charts::Segment;
use model::{Audit, Group};

const STYLE: &str = include_str!("style.css");
const SCRIPT: &str = include_str!("script.js");

/// Nothing may be loaded from anywhere; inline styles and the inline script may run.
const CSP: &str =
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:";

/// What the page says about the run, and its size limits.
#[derive(Debug, Clone)]
pub struct HtmlOptions {
    /// The inputs as given on the command line.
    pub inputs: Vec<String>,
    /// When the report was made, shown as given (the library does not read the clock).
    pub generated: Option<String>,
    /// Most rows of the findings table; the others are counted in a note.
    pub table_limit: usize,
    /// Most rows of each list of users (blocked users, chat users) and of categories.
    pub list_limit: usize,
    /// Example locations shown in each rule's section.
    pub examples_per_rule: usize,
}

impl Default for HtmlOptions {
    fn default() -> Self {
        HtmlOptions {
            inputs: Vec::new(),
            generated: None,
            table_limit: 5_000,
            list_limit: 2_000,
            examples_per_rule: 5,
        }
    }
}

/// The `html` format in the registry ([`super::REPORTERS`]): the page, with the
/// [`HtmlOptions`] of the [`super::format::Context`].
pub const REPORTER: super::format::Reporter = super::format::Reporter {
    name: "html",
    aliases: &[],
    listed: false,
    excerpts: false,
    summary: super::format::Summary::Never,
    terminal: false,
    write: |c, out| write(c.report, c.rules, c.page, out),
};

/// Write the page for `report` to `out`.
pub fn write(
    report: &Report,
    rules: &RuleSet,
    options: &HtmlOptions,
    out: &mut dyn io::Write,
) -> io::Result<()> {
    out.write_all(render(report, rules, options).as_bytes())
}

/// The page for `report`, as one string.
pub fn render(report: &Report, rules: &RuleSet, options: &HtmlOptions) -> String {
    let audit = Audit::build(report, rules);
    let page = Page {
        report,
        rules,
        audit: &audit,
        options,
        codes: code_stats(&report.findings),
        counts: crate::engine::counts(&report.findings),
        base: common_folder(
            report
                .inventory
                .files
                .iter()
                .map(|f| &*f.display)
                .chain(report.findings.iter().map(|f| &*f.location.file)),
        ),
    };
    page.render().into_string()
}

/// `YYYY-MM-DD HH:MM UTC` for seconds since the Unix epoch (for [`HtmlOptions::generated`]).
pub fn utc_timestamp(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        rem / 3_600,
        rem % 3_600 / 60
    )
}

/// The longest folder prefix (ending in `/`) shared by every path, or an empty string.
fn common_folder<'p>(mut paths: impl Iterator<Item = &'p str>) -> String {
    let Some(first) = paths.next() else {
        return String::new();
    };
    let mut prefix = match first.rfind('/') {
        Some(i) => &first[..=i],
        None => return String::new(),
    };
    for path in paths {
        while !path.starts_with(prefix) {
            // Drop the last folder of the prefix (the part after the second-to-last `/`).
            match prefix[..prefix.len() - 1].rfind('/') {
                Some(i) => prefix = &prefix[..=i],
                None => return String::new(),
            }
        }
    }
    prefix.to_string()
}

/// What is known about one code that fired.
struct CodeStats<'a> {
    code: Arc<str>,
    severity: Severity,
    count: usize,
    findings: Vec<&'a Finding>,
}

/// Codes that fired, most severe first, then most frequent, then by code.
fn code_stats(findings: &[Finding]) -> Vec<CodeStats<'_>> {
    let mut map: BTreeMap<&str, CodeStats<'_>> = BTreeMap::new();
    for f in findings {
        let entry = map.entry(&f.code).or_insert_with(|| CodeStats {
            code: f.code.clone(),
            severity: f.severity,
            count: 0,
            findings: Vec::new(),
        });
        entry.count += 1;
        entry.severity = entry.severity.max(f.severity);
        entry.findings.push(f);
    }
    let mut out: Vec<CodeStats<'_>> = map.into_values().collect();
    out.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(b.count.cmp(&a.count))
            .then(a.code.cmp(&b.code))
    });
    out
}

/// What the reader's built-in codes matter for, shown as their "why".
const BUILTIN_WHY: &str = "A built-in check of the CSV reader: the export itself has a problem, so rules may miss rows or columns of this file.";

/// A rule's documentation, for shipped rules and built-in codes alike: the shared
/// [`super::RuleInfo`], the rule set first, built-in codes with [`BUILTIN_WHY`].
fn rule_info<'a>(rules: &'a RuleSet, code: &str) -> Option<RuleInfo<'a>> {
    if let Some(rule) = rules.rule(code) {
        return Some(RuleInfo::of_rule(rule));
    }
    // Built-in codes are upper case; look them up without case, as rules are.
    RuleInfo::builtin(&code.to_ascii_uppercase()).map(|info| RuleInfo {
        why: Some(BUILTIN_WHY),
        ..info
    })
}

/// The fragment id of a code's section.
fn rule_id(code: &str) -> String {
    let safe: String = code
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("rule-{safe}")
}

fn code_link(code: &str) -> Markup {
    html! { a.code href={ "#" (rule_id(code)) } { (code) } }
}

fn badge(severity: Severity) -> Markup {
    html! { span class={ "badge " (severity.as_str()) } { (severity.as_str()) } }
}

/// `12,345`.
fn num(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn percent(part: usize, total: usize) -> String {
    if total == 0 {
        "–".into()
    } else {
        let p = part as f64 * 100.0 / total as f64;
        if part < total && p > 99.5 {
            ">99%".into()
        } else if part > 0 && p < 0.5 {
            "<1%".into()
        } else {
            format!("{p:.0}%")
        }
    }
}

fn plural(n: usize, word: &str) -> String {
    format!("{} {word}{}", num(n), if n == 1 { "" } else { "s" })
}

/// Text where `backticks` mark code, as in rule help and messages.
fn rich(text: &str) -> Markup {
    html! {
        @for (i, part) in text.split('`').enumerate() {
            @if i % 2 == 1 { code { (part) } } @else { (part) }
        }
    }
}

fn severity_rank(s: Severity) -> u8 {
    match s {
        Severity::Error => 3,
        Severity::Warning => 2,
        Severity::Info => 1,
    }
}

struct Page<'a> {
    report: &'a Report,
    rules: &'a RuleSet,
    audit: &'a Audit,
    options: &'a HtmlOptions,
    codes: Vec<CodeStats<'a>>,
    /// Findings per severity (of the findings the report holds).
    counts: BTreeMap<Severity, usize>,
    /// The folder all file paths start with (with its trailing `/`), left out of tables.
    base: String,
}

impl Page<'_> {
    /// A display path without the common folder.
    fn rel<'p>(&self, path: &'p str) -> &'p str {
        path.strip_prefix(self.base.as_str()).unwrap_or(path)
    }

    fn base_note(&self) -> Markup {
        html! {
            @if !self.base.is_empty() {
                " Paths are relative to " code { (self.base) } "."
            }
        }
    }

    fn count(&self, severity: Severity) -> usize {
        self.counts.get(&severity).copied().unwrap_or(0)
    }

    fn render(&self) -> Markup {
        let title = match self.options.inputs.as_slice() {
            [one] => format!("Inventory audit: {one}"),
            _ => "Inventory audit".to_string(),
        };
        html! {
            (DOCTYPE)
            html lang="en" {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    meta http-equiv="Content-Security-Policy" content=(CSP);
                    meta name="referrer" content="no-referrer";
                    meta name="generator" content={ "invlint " (env!("CARGO_PKG_VERSION")) };
                    title { (title) }
                    link rel="icon" href="data:,";
                    style { (PreEscaped(STYLE)) }
                }
                body {
                    (self.header())
                    nav.toc aria-label="Sections" {
                        a href="#overview" { "Overview" }
                        a href="#readiness" { "Readiness" }
                        a href="#findings" { "Findings" }
                        a href="#persistent-chat" { "Persistent Chat" }
                        a href="#rules" { "Rules" }
                        a href="#inventory" { "Inventory" }
                        a href="#all-findings" { "All findings" }
                    }
                    main {
                        (self.overview())
                        (self.readiness())
                        (self.findings())
                        (self.chat())
                        (self.rule_sections())
                        (self.inventory())
                        (self.findings_table())
                    }
                    footer {
                        "Made by invlint " (env!("CARGO_PKG_VERSION"))
                        " from the CSV exports listed under Inventory. The page is self-contained: it loads nothing from the network."
                    }
                    script { (PreEscaped(SCRIPT)) }
                }
            }
        }
    }

    fn header(&self) -> Markup {
        html! {
            header.top {
                h1 { "Lync / Skype for Business inventory audit" }
                p.sub {
                    @if !self.options.inputs.is_empty() {
                        "Exports in "
                        @for (i, input) in self.options.inputs.iter().enumerate() {
                            @if i > 0 { ", " }
                            code { (input) }
                        }
                        " · "
                    }
                    @if let Some(when) = &self.options.generated {
                        "generated " (when) " · "
                    }
                    "invlint " (env!("CARGO_PKG_VERSION"))
                }
            }
        }
    }

    fn overview(&self) -> Markup {
        let report = self.report;
        let (errors, warnings, infos) = (
            self.count(Severity::Error),
            self.count(Severity::Warning),
            self.count(Severity::Info),
        );
        let untrusted: Vec<&Finding> = report
            .findings
            .iter()
            .filter(|f| *f.code == *builtin::UNREADABLE.0 || *f.code == *builtin::INTERNAL.0)
            .collect();
        html! {
            section #overview {
                h2 { "Overview" }
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

    fn readiness(&self) -> Markup {
        html! {
            section #readiness {
                h2 { "Readiness" }
                @match &self.audit.readiness {
                    None => {
                        p.lead { "The inventory has no users export (Get-CsUser), so readiness per pool and site cannot be computed." }
                    }
                    Some(r) => {
                        p.lead {
                            "A user is " strong { "ready" } " when no error finding points at their row of the users export, "
                            "and " strong { "blocked" } " otherwise. Home pool is the user's RegistrarPool; a pool's site is its SiteId in the registrars export."
                        }
                        div.panel.flush {
                            h3 { "By home pool" }
                            (group_table("readiness-pools", "Home pool", &r.by_pool))
                            (legend())
                        }
                        div.panel.flush {
                            h3 { "By site" }
                            (group_table("readiness-sites", "Site", &r.by_site))
                            (legend())
                        }
                        @if !r.blocked.is_empty() {
                            details.panel #blocked-list open {
                                summary { "Blocked users to fix first (" (num(r.blocked.len())) ")" }
                                div.scroll {
                                    table.sortable {
                                        thead { tr { th { "SIP address" } th { "Name" } th { "Home pool" } th { "Error codes" } } }
                                        tbody {
                                            @for u in r.blocked.iter().take(self.options.list_limit) {
                                                tr {
                                                    td.mono { (u.sip) }
                                                    td { (u.name) }
                                                    td.mono { (u.pool) }
                                                    td.codes { @for c in &u.codes { (code_link(c)) } }
                                                }
                                            }
                                        }
                                    }
                                }
                                @if r.blocked.len() > self.options.list_limit {
                                    p.dim { (num(r.blocked.len() - self.options.list_limit)) " more blocked users are in the JSON output (" code { "invlint check --format json" } ")." }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    fn findings(&self) -> Markup {
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

    fn chat(&self) -> Markup {
        let chat = &self.audit.chat;
        let pools = &chat.pools;
        let limit = self.options.list_limit;
        html! {
            section #persistent-chat {
                h2 { "Persistent Chat" }
                p.lead {
                    "Lync 2013 clients reach only a Lync Server 2013 (or Skype for Business Server 2015) Persistent Chat pool, and only for users homed on such a pool and enabled by policy. "
                    "Categories, rooms and add-ins of one chat pool are not shared with another."
                }
                @if pools.is_empty() && chat.users.is_empty() {
                    p.lead { "The inventory has no Persistent Chat exports (chat services, rooms, categories) and no user without Persistent Chat was found." }
                }
                @if !pools.is_empty() {
                    div.panel.flush {
                        h3 { "Chat pools and their hosts" }
                        div.scroll {
                            table.sortable #chat-pools {
                                thead { tr {
                                    th { "Chat pool" } th { "Runs" } th { "Host Registrar pool" } th { "Host runs" } th { "Site" }
                                    th.num { "Rooms" } th.num { "Categories" } th.num { "Add-ins" } th { "Findings" }
                                } }
                                tbody {
                                    @for p in pools {
                                        @let mismatch = p.listed && p.host_version.as_deref().is_some_and(|h| h.trim() != p.version.trim());
                                        tr data-pool=(p.fqdn) {
                                            td.mono.nowrap { (p.fqdn) }
                                            td {
                                                @if p.listed { (self.audit.product_of(&p.version)) }
                                                @else { span.dim { "not in the chat-services export" } }
                                            }
                                            td.mono.nowrap { (p.host) }
                                            td {
                                                @match &p.host_version {
                                                    Some(v) => { span class=[mismatch.then_some("missing")] { (self.audit.product_of(v)) } }
                                                    None if p.listed => { span.dim { "not in the registrars export" } }
                                                    None => {}
                                                }
                                            }
                                            td { (p.site) }
                                            td.num.rooms { (num(p.rooms)) }
                                            td.num.categories { (num(p.categories)) }
                                            td.num.addins { (num(p.addins)) }
                                            td.codes {
                                                @if p.findings.is_empty() && p.listed { span.badge.ok { "ok" } }
                                                @for (code, _) in &p.findings { (code_link(code)) }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                @if !chat.categories.is_empty() {
                    div.panel.flush {
                        h3 { "Categories across chat pools" }
                        p.dim style="margin:0 16px 8px" {
                            "✓ the category exists on that pool; ✗ rooms of that pool use a category the pool does not have (PC006). The number is the pool's rooms in the category."
                        }
                        // Only the pools that have rooms or categories: a column per Front End
                        // pool named by nothing would be all dashes.
                        @let columns: Vec<usize> = pools.iter().enumerate()
                            .filter(|(_, p)| p.rooms > 0 || p.categories > 0)
                            .map(|(i, _)| i)
                            .collect();
                        div.scroll.matrix {
                            table #chat-categories {
                                thead { tr {
                                    th { "Category" }
                                    @for &i in &columns { th.mono.pool { (pools[i].fqdn) } }
                                } }
                                tbody {
                                    @for row in chat.categories.iter().take(limit) {
                                        tr {
                                            td { (row.name) }
                                            @for cell in columns.iter().filter_map(|&i| row.cells.get(i)) {
                                                @if cell.defined {
                                                    td.yes data-rooms=(cell.rooms) { "✓ " (plural(cell.rooms, "room")) }
                                                } @else if cell.rooms > 0 {
                                                    td.missing data-rooms=(cell.rooms) { "✗ " (plural(cell.rooms, "room")) }
                                                } @else {
                                                    td.dim { "–" }
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                        @if chat.categories.len() > limit {
                            p.dim style="margin:8px 16px" { (num(chat.categories.len() - limit)) " more categories are not shown." }
                        }
                    }
                }
                details.panel.flush #chat-users-panel open[chat.users.len() <= 25] {
                    summary { "Persistent Chat users who cannot reach it (" (num(chat.users.len())) ")" }
                    @if chat.users.is_empty() {
                        p.dim style="margin:0 16px 14px" { "None found (rules PC001 and PC002)." }
                    } @else {
                        div.scroll {
                            table.sortable #chat-users {
                                thead { tr { th { "SIP address" } th { "Name" } th { "Home pool" } th { "Client" } th { "Reason" } } }
                                tbody {
                                    @for u in chat.users.iter().take(limit) {
                                        tr {
                                            td.mono { (u.sip) }
                                            td { (u.name) }
                                            td.mono { (u.pool) }
                                            td { (u.client) }
                                            td {
                                                (code_link(&u.code)) " "
                                                @match &*u.code {
                                                    "PC001" => { "Lync 2013+ client on a Lync Server 2010 home" }
                                                    "PC002" => { "listed in a room, but policy disables chat" }
                                                    other => { (rule_info(self.rules, other).map_or("", |i| i.title)) }
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                        @if chat.users.len() > limit {
                            p.dim style="margin:8px 16px" { (num(chat.users.len() - limit)) " more are in the JSON output." }
                        }
                    }
                }
            }
        }
    }

    fn rule_sections(&self) -> Markup {
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
                                            span.mono { (self.rel(&f.location.file)) ":" (s.line) ":" (s.column) } " — " (f.message)
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

    fn inventory(&self) -> Markup {
        let inventory = &self.report.inventory;
        let limit = self.options.list_limit;
        let mut kinds: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
        for f in &inventory.files {
            if let Some(k) = &f.kind {
                let e = kinds.entry(k).or_default();
                e.0 += 1;
                e.1 += f.rows.count;
            }
        }
        let title_of = |kind: &str| {
            inventory
                .decls
                .iter()
                .find(|d| d.kind == kind)
                .map_or("", |d| d.title.as_str())
        };
        html! {
            section #inventory {
                h2 { "Inventory" }
                div.grid2 {
                    div.panel.flush {
                        h3 { "Tables by kind" }
                        table.sortable #table-kinds {
                            thead { tr { th { "Kind" } th { "What" } th.num { "Files" } th.num { "Rows" } } }
                            tbody {
                                @for (kind, (files, rows)) in &kinds {
                                    tr data-kind=(kind) {
                                        td.mono.nowrap { (kind) }
                                        td { (title_of(kind)) }
                                        td.num.files { (num(*files)) }
                                        td.num.rows { (num(*rows)) }
                                    }
                                }
                            }
                        }
                    }
                    div.panel.flush {
                        h3 { "Skipped rules (" (self.report.skipped.len()) ")" }
                        @if self.report.skipped.is_empty() {
                            p.dim style="margin:0 16px 14px" { "None: every selected rule found the tables and columns it needs." }
                        } @else {
                            table #skipped-rules {
                                thead { tr { th { "Code" } th { "Rule" } th { "Why it did not run" } } }
                                tbody {
                                    @for s in &self.report.skipped {
                                        tr {
                                            td.mono { (s.code) }
                                            td { (rule_info(self.rules, &s.code).map_or("", |i| i.title)) }
                                            td { (rich(&s.reason)) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                div.panel.flush {
                    h3 { "Files (" (num(inventory.files.len())) ")" }
                    @if !self.base.is_empty() { p.dim style="margin:0 16px 8px" { "In " code { (self.base) } } }
                    div.scroll {
                        table.sortable #files {
                            thead { tr { th { "File" } th { "Kind" } th.num { "Rows" } th { "Encoding" } th { "Delimiter" } th { "#TYPE" } } }
                            tbody {
                                @for f in inventory.files.iter().take(limit) {
                                    @let head = f.head.as_ref();
                                    tr {
                                        td.mono.nowrap { (self.rel(&f.display)) }
                                        td.mono.nowrap { @if let Some(k) = &f.kind { (k) } @else { span.dim { "not recognised" } } }
                                        td.num { (num(f.rows.count)) }
                                        td.mono { @if let Some(h) = head { (f.rows.encoding.unwrap_or(h.encoding).label()) } }
                                        td.mono { @if let Some(h) = head { (delimiter_name(h.delimiter)) } }
                                        td.mono.dim.type { @if let Some(t) = head.and_then(|h| h.type_name.as_deref()) { (t) } @else { "–" } }
                                    }
                                }
                            }
                        }
                    }
                    @if inventory.files.len() > limit {
                        p.dim style="margin:8px 16px" { (num(inventory.files.len() - limit)) " more files are not listed." }
                    }
                }
            }
        }
    }

    fn findings_table(&self) -> Markup {
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
                                        td.file.mono { (self.rel(&f.location.file)) }
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

fn readiness_segments(g: &Group) -> [Segment<'static>; 3] {
    [
        Segment {
            value: g.clean(),
            class: "ready",
            label: "ready",
        },
        Segment {
            value: g.warned,
            class: "warned",
            label: "ready with warnings",
        },
        Segment {
            value: g.blocked,
            class: "blocked",
            label: "blocked",
        },
    ]
}

fn legend() -> Markup {
    html! {
        div.legend {
            span.ready { "ready" }
            span.warned { "ready, with warnings" }
            span.blocked { "blocked (error finding)" }
        }
    }
}

fn group_table(id: &str, what: &str, groups: &[Group]) -> Markup {
    html! {
        table.sortable.groups id=(id) {
            thead { tr {
                th { (what) } th.num { "Users" } th.num { "Ready" } th.num { "Blocked" } th.num { "Ready %" }
                th.nosort { "Ready · with warnings · blocked" }
            } }
            tbody {
                @for g in groups {
                    tr data-group=(g.label) {
                        td {
                            @if g.special { span.special { (g.label) } } @else { span.mono { (g.label) } }
                            @if !g.detail.is_empty() { br; span.dim.small { (g.detail) } }
                        }
                        td.num.users { (num(g.users)) }
                        td.num.ready { (num(g.ready())) }
                        td.num.blocked { (num(g.blocked)) }
                        td.num { (percent(g.ready(), g.users)) }
                        td.chart { (charts::stacked_bar(&readiness_segments(g))) }
                    }
                }
            }
        }
    }
}

fn delimiter_name(d: u8) -> String {
    match d {
        b',' => "comma".into(),
        b';' => "semicolon".into(),
        b'\t' => "tab".into(),
        b'|' => "pipe".into(),
        other => format!("{:?}", other as char),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_civil_utc() {
        assert_eq!(utc_timestamp(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc_timestamp(951_782_400), "2000-02-29 00:00 UTC");
        assert_eq!(utc_timestamp(1_767_225_599), "2025-12-31 23:59 UTC");
    }

    #[test]
    fn numbers_and_shares_read_well() {
        assert_eq!(num(0), "0");
        assert_eq!(num(999), "999");
        assert_eq!(num(100_000), "100,000");
        assert_eq!(num(1_234_567), "1,234,567");
        assert_eq!(percent(1, 3), "33%");
        assert_eq!(percent(999, 1000), ">99%");
        assert_eq!(percent(1, 1000), "<1%");
        assert_eq!(percent(0, 0), "–");
    }

    #[test]
    fn rich_text_escapes_and_marks_code() {
        assert_eq!(
            rich("use `Move-CsUser` <b>").into_string(),
            "use <code>Move-CsUser</code> &lt;b&gt;"
        );
    }

    #[test]
    fn common_folder_is_a_whole_folder() {
        let f = |paths: &[&str]| common_folder(paths.iter().copied());
        assert_eq!(f(&["a/b/c.csv", "a/b/d/e.csv"]), "a/b/");
        assert_eq!(f(&["a/bc/x.csv", "a/bd/y.csv"]), "a/");
        assert_eq!(f(&["a/x.csv", "b/y.csv"]), "");
        assert_eq!(f(&["x.csv"]), "");
        assert_eq!(f(&[]), "");
    }

    #[test]
    fn rule_ids_are_safe_fragments() {
        assert_eq!(rule_id("PC001"), "rule-PC001");
        assert_eq!(rule_id("a b\"c"), "rule-a-b-c");
    }
}
