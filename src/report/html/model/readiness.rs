//! **Readiness** of the users exports: each user ready or blocked (see [`super`] for the
//! words), counted for everyone, by home pool and by site, with the blocked users listed.
//!
//! A **group key** sorts the groups of a table: known pools and sites first (rank 0), then
//! the special groups (pool not in the registrars export, no home pool, homed online).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use super::{key, pool_name, BlockedUser, Group, Readiness, Registrar, RowFindings};
use crate::finding::Severity;
use crate::inventory::extract::ExtractRow;

/// Rank, then key: the order of a group in its table.
type GroupKey = (u8, String);

/// Readiness of the users of `rows` (the columns of [`super::sources::USERS`]).
pub(super) fn readiness(
    rows: &[ExtractRow],
    registrars: &HashMap<String, Registrar>,
    by_row: &RowFindings<'_>,
    product: &BTreeMap<String, String>,
) -> Readiness {
    let mut pools: BTreeMap<GroupKey, Group> = BTreeMap::new();
    let mut sites: BTreeMap<GroupKey, Group> = BTreeMap::new();
    let mut total = Group {
        label: "All users".into(),
        ..Group::default()
    };
    let mut blocked_users = Vec::new();
    for r in rows {
        let [sip, name, pool, hosting] = &r.cells[..] else {
            continue;
        };
        let findings = by_row.of(r.file, r.row);
        let worst = findings.iter().map(|f| f.severity).max();
        let ((pool_key, pool_group), (site_key, site_group)) =
            groups_of(pool, hosting, registrars, product);
        for group in [
            pools.entry(pool_key).or_insert(pool_group),
            sites.entry(site_key).or_insert(site_group),
            &mut total,
        ] {
            group.users += 1;
            match worst {
                Some(Severity::Error) => group.blocked += 1,
                Some(Severity::Warning) => group.warned += 1,
                _ => {}
            }
        }
        if worst == Some(Severity::Error) {
            let codes: BTreeSet<Arc<str>> = findings
                .iter()
                .filter(|f| f.severity == Severity::Error)
                .map(|f| f.code.clone())
                .collect();
            blocked_users.push(BlockedUser {
                sip: sip.trim().to_string(),
                name: name.trim().to_string(),
                pool: pool_name(registrars, pool),
                codes: codes.into_iter().collect(),
            });
        }
    }
    name_site_pools(&mut sites, registrars);
    Readiness {
        total,
        by_pool: pools.into_values().collect(),
        by_site: sites.into_values().collect(),
        blocked: blocked_users,
    }
}

/// The pool group and the site group of a user homed on `pool` (empty: none) with hosting
/// provider `hosting`, each with its key; a new group has no users yet.
fn groups_of(
    pool: &str,
    hosting: &str,
    registrars: &HashMap<String, Registrar>,
    product: &BTreeMap<String, String>,
) -> ((GroupKey, Group), (GroupKey, Group)) {
    if pool.trim().is_empty() {
        return homeless_groups(hosting);
    }
    match registrars.get(&key(pool)) {
        Some(reg) => {
            let product = product
                .get(&reg.version)
                .cloned()
                .unwrap_or_else(|| format!("Version {}", reg.version));
            let site = if reg.site.is_empty() {
                "(site unknown)".to_string()
            } else {
                reg.site.clone()
            };
            let g = Group {
                label: reg.fqdn.clone(),
                detail: format!("{product} · {site}"),
                ..Group::default()
            };
            let s = Group {
                special: reg.site.is_empty(),
                label: site.clone(),
                ..Group::default()
            };
            let site_rank = u8::from(reg.site.is_empty());
            (((0, key(pool)), g), ((site_rank, key(&site)), s))
        }
        None => {
            let g = Group {
                label: pool.trim().to_string(),
                detail: "not in the registrars export".into(),
                ..Group::default()
            };
            let s = Group {
                special: true,
                label: "(pool not in the registrars export)".into(),
                ..Group::default()
            };
            (((1, key(pool)), g), ((1, "~unknown".into()), s))
        }
    }
}

/// The groups of a user without a home pool: homed online when a hosting provider other
/// than an on-premises one (`SRV:…`) is named, else without a pool.
fn homeless_groups(hosting: &str) -> ((GroupKey, Group), (GroupKey, Group)) {
    let online =
        !hosting.trim().is_empty() && !hosting.trim().to_ascii_uppercase().starts_with("SRV:");
    if online {
        let g = Group {
            special: true,
            label: "(homed online)".into(),
            detail: format!("no RegistrarPool; HostingProvider {}", hosting.trim()),
            ..Group::default()
        };
        let s = Group {
            special: true,
            label: "(online)".into(),
            detail: "users moved to the cloud".into(),
            ..Group::default()
        };
        (((3, String::new()), g), ((3, String::new()), s))
    } else {
        let g = Group {
            special: true,
            label: "(no RegistrarPool)".into(),
            detail: "enabled users without a home pool cannot sign in".into(),
            ..Group::default()
        };
        let s = Group {
            special: true,
            label: "(no home pool)".into(),
            detail: String::new(),
            ..Group::default()
        };
        (((2, String::new()), g), ((2, String::new()), s))
    }
}

/// Site details: the pools that feed each known site.
fn name_site_pools(sites: &mut BTreeMap<GroupKey, Group>, registrars: &HashMap<String, Registrar>) {
    let mut site_pools: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for reg in registrars.values() {
        site_pools
            .entry(key(&reg.site))
            .or_default()
            .insert(reg.fqdn.clone());
    }
    for ((rank, k), group) in sites.iter_mut() {
        if *rank == 0 {
            if let Some(p) = site_pools.get(k) {
                group.detail = p.iter().cloned().collect::<Vec<_>>().join(", ");
            }
        }
    }
}
