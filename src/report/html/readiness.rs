//! The readiness section: users ready or blocked, by home pool and by site (see
//! [`super::model`] for the words), and the list of blocked users.

use maud::{html, Markup};

use super::charts::Segment;
use super::model::Group;
use super::text::{code_link, num, percent};
use super::{charts, Page};

impl Page<'_> {
    pub(super) fn readiness(&self) -> Markup {
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
}

pub(super) fn readiness_segments(g: &Group) -> [Segment<'static>; 3] {
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
