//! The inventory section: tables by kind, skipped rules, and the files read (encoding,
//! delimiter, `#TYPE` line).

use std::collections::BTreeMap;

use maud::{html, Markup};

use super::text::{delimiter_name, num, rich, rule_info};
use super::Page;

impl Page<'_> {
    pub(super) fn inventory(&self) -> Markup {
        html! {
            section #inventory {
                h2 { "Inventory" }
                div.grid2 {
                    (self.table_kinds())
                    (self.skipped_rules())
                }
                (self.files())
            }
        }
    }

    /// Files and rows per table kind.
    fn table_kinds(&self) -> Markup {
        let inventory = &self.report.inventory;
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
        }
    }

    /// The rules that did not run, and why.
    fn skipped_rules(&self) -> Markup {
        html! {
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
    }

    /// The files read: kind, rows, encoding, delimiter, `#TYPE` line.
    fn files(&self) -> Markup {
        let inventory = &self.report.inventory;
        let limit = self.options.list_limit;
        html! {
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
