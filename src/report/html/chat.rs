//! The Persistent Chat section: chat pools and their hosts, categories across pools, and the
//! users who cannot reach Persistent Chat (see [`super::model`] for the words).

use maud::{html, Markup};

use super::text::{code_link, num, plural, rule_info};
use super::Page;

impl Page<'_> {
    pub(super) fn chat(&self) -> Markup {
        let chat = &self.audit.chat;
        let pools = &chat.pools;
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
                    (self.chat_pools())
                }
                @if !chat.categories.is_empty() {
                    (self.chat_categories())
                }
                (self.chat_users())
            }
        }
    }

    /// The chat pools, their hosts and what each holds.
    fn chat_pools(&self) -> Markup {
        let pools = &self.audit.chat.pools;
        html! {
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
    }

    /// Which category each chat pool defines, and how many of its rooms use it.
    fn chat_categories(&self) -> Markup {
        let chat = &self.audit.chat;
        let pools = &chat.pools;
        let limit = self.options.list_limit;
        html! {
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
    }

    /// The users who cannot reach Persistent Chat.
    fn chat_users(&self) -> Markup {
        let chat = &self.audit.chat;
        let limit = self.options.list_limit;
        html! {
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
