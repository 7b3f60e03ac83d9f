//! The **audit model**: the numbers and lists the HTML page shows, computed from the report,
//! the findings and a few columns of the inventory's tables.
//!
//! Words used here: a user is **blocked** when at least one error finding points at their row
//! of a users export (Get-CsUser); otherwise the user is **ready**, and **ready with warnings**
//! when a warning points there. A user's **home pool** is their `RegistrarPool`; the **site** of
//! a pool is the `SiteId` of its row in the registrars export (Get-CsService -Registrar). A
//! **chat pool** is a row of the chat-services export (Get-CsService -PersistentChatServer);
//! its **host** is the Registrar pool named in its `Registrar` column.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use crate::engine::Report;
use crate::finding::{FileId, Finding, Severity};
use crate::inventory::extract::Extract;
use crate::rule::RuleSet;

/// Rule codes whose findings list users with chat evidence (rooms, categories, a per-user policy)
/// who cannot reach Persistent Chat: PC001 (Lync 2013+ client on a Lync Server 2010 home), PC002
/// (listed in a room or category, but the effective policy disables chat).
pub const CHAT_USER_CODES: &[&str] = &["PC001", "PC002"];

/// Readiness counts of a group of users (a pool, a site, everyone).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Group {
    /// What the group is (a pool FQDN, a site name, or a description in parentheses).
    pub label: String,
    /// More about it (the product a pool runs, the site of a pool, why it is special).
    pub detail: String,
    /// True for groups that are not a pool or site (no pool, pool unknown, homed online).
    pub special: bool,
    pub users: usize,
    /// Users with at least one error finding.
    pub blocked: usize,
    /// Users with a warning finding but no error finding.
    pub warned: usize,
}

impl Group {
    pub fn ready(&self) -> usize {
        self.users - self.blocked
    }

    /// Ready users without any warning.
    pub fn clean(&self) -> usize {
        self.users - self.blocked - self.warned
    }
}

/// One blocked user, for the list of who to fix first.
#[derive(Debug, Clone)]
pub struct BlockedUser {
    pub sip: String,
    pub name: String,
    pub pool: String,
    pub codes: Vec<Arc<str>>,
}

/// Readiness of the users exports.
#[derive(Debug, Clone, Default)]
pub struct Readiness {
    pub total: Group,
    pub by_pool: Vec<Group>,
    pub by_site: Vec<Group>,
    /// Blocked users in file order.
    pub blocked: Vec<BlockedUser>,
}

/// One Persistent Chat (or legacy Group Chat) pool.
#[derive(Debug, Clone, Default)]
pub struct ChatPool {
    pub fqdn: String,
    /// `Version` of the chat service; empty when the pool is only named by rooms or categories.
    pub version: String,
    pub host: String,
    /// `Version` of the host Registrar pool, when it is in the registrars export.
    pub host_version: Option<String>,
    pub site: String,
    pub rooms: usize,
    pub categories: usize,
    pub addins: usize,
    /// Findings on the pool's chat-services row.
    pub findings: Vec<(Arc<str>, Severity)>,
    /// False when no chat-services row describes the pool.
    pub listed: bool,
}

/// A category name across the chat pools: per pool (same order as [`Chat::pools`]) whether it
/// is defined there and how many rooms of that pool use it.
#[derive(Debug, Clone)]
pub struct CategoryRow {
    pub name: String,
    pub cells: Vec<CategoryCell>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CategoryCell {
    pub defined: bool,
    pub rooms: usize,
}

/// A Persistent Chat user who cannot reach it (a PC001 or PC002 finding); `client` is the
/// registration the finding names, if any.
#[derive(Debug, Clone)]
pub struct ChatUser {
    pub sip: String,
    pub name: String,
    pub pool: String,
    pub client: String,
    pub code: Arc<str>,
}

/// The Persistent Chat view.
#[derive(Debug, Clone, Default)]
pub struct Chat {
    pub pools: Vec<ChatPool>,
    pub categories: Vec<CategoryRow>,
    pub users: Vec<ChatUser>,
    pub room_count: usize,
}

/// Everything the page shows beyond the report itself.
#[derive(Debug, Clone, Default)]
pub struct Audit {
    /// `None` when the inventory has no users export.
    pub readiness: Option<Readiness>,
    pub chat: Chat,
    /// Registrar `Version` → product name (the rule packs' `product` map).
    pub product: BTreeMap<String, String>,
    /// Files that could not be read again for the page (display path, reason).
    pub errors: Vec<(String, String)>,
}

/// A Registrar pool as the registrars export describes it.
struct Registrar {
    fqdn: String,
    version: String,
    site: String,
}

fn key(text: &str) -> String {
    text.trim().to_lowercase()
}

/// `prefix:rest` → `rest` when the prefix matches without case (`Site:Paris`, `Registrar:…`).
fn strip_prefix_ci<'a>(text: &'a str, prefix: &str) -> &'a str {
    let text = text.trim();
    match text.get(..prefix.len()) {
        Some(head) if head.eq_ignore_ascii_case(prefix) => text[prefix.len()..].trim(),
        _ => text,
    }
}

/// A home pool as shown: the registrars export's spelling of its FQDN when it is there.
fn pool_name(registrars: &HashMap<String, Registrar>, pool: &str) -> String {
    registrars
        .get(&key(pool))
        .map_or_else(|| pool.trim().to_string(), |g| g.fqdn.clone())
}

/// Category key → (display name, pool index → that pool's cell).
type Categories = BTreeMap<String, (String, BTreeMap<usize, CategoryCell>)>;

/// The cell of category `name` on pool `p`, adding the category (named as first seen) if it
/// is new; `None` for a blank name.
fn category_cell<'c>(
    categories: &'c mut Categories,
    name: &str,
    p: usize,
) -> Option<&'c mut CategoryCell> {
    if name.trim().is_empty() {
        return None;
    }
    let (_, cells) = categories
        .entry(key(name))
        .or_insert_with(|| (name.trim().to_string(), BTreeMap::new()));
    Some(cells.entry(p).or_default())
}

/// Findings by (file, record), for rows of any table.
struct RowFindings<'a> {
    map: HashMap<(FileId, u64), Vec<&'a Finding>>,
}

impl<'a> RowFindings<'a> {
    fn new(findings: &'a [Finding]) -> RowFindings<'a> {
        let mut map: HashMap<(FileId, u64), Vec<&Finding>> = HashMap::new();
        for f in findings {
            if let Some(record) = f.location.row() {
                map.entry((f.location.file_id, record)).or_default().push(f);
            }
        }
        RowFindings { map }
    }

    fn of(&self, file: FileId, row: usize) -> &[&'a Finding] {
        self.map
            .get(&(file, row as u64 + 1))
            .map_or(&[], Vec::as_slice)
    }
}

impl Audit {
    /// Build the model from a finished run.
    pub fn build(report: &Report, rules: &RuleSet) -> Audit {
        let product = rules.maps().remove("product").unwrap_or_default();
        let inventory = &report.inventory;
        let mut errors = Vec::new();
        let mut take = |extract: Extract| {
            errors.extend(extract.errors);
            extract.rows
        };
        let registrar_rows =
            take(report.extract("registrars", &["PoolFqdn", "Version", "SiteId"], false));
        let mut registrars: HashMap<String, Registrar> = HashMap::new();
        for r in &registrar_rows {
            let [fqdn, version, site] = &r.cells[..] else {
                continue;
            };
            if fqdn.trim().is_empty() {
                continue;
            }
            registrars.entry(key(fqdn)).or_insert_with(|| Registrar {
                fqdn: fqdn.trim().to_string(),
                version: version.trim().to_string(),
                site: strip_prefix_ci(site, "Site:").to_string(),
            });
        }
        let by_row = RowFindings::new(&report.findings);
        let has_users = inventory.files_of("users").next().is_some();
        // People, not rows: one row per user object, SIP-enabled rows only.
        let user_rows = take(report.extract(
            "users",
            &[
                "SipAddress",
                "DisplayName",
                "RegistrarPool",
                "HostingProvider",
            ],
            true,
        ));
        let readiness = has_users.then(|| readiness(&user_rows, &registrars, &by_row, &product));
        let users: HashMap<(FileId, usize), (&str, &str, &str)> = user_rows
            .iter()
            .filter_map(|r| match &r.cells[..] {
                [sip, name, pool, _] => Some((
                    (r.file, r.row),
                    (sip.as_str(), name.as_str(), pool.as_str()),
                )),
                _ => None,
            })
            .collect();
        let chat_rows = take(report.extract(
            "chat-services",
            &["PoolFqdn", "Version", "Registrar", "SiteId"],
            false,
        ));
        let room_rows =
            take(report.extract("chat-rooms", &["PersistentChatPoolFqdn", "Category"], false));
        let category_rows = take(report.extract(
            "chat-categories",
            &["PersistentChatPoolFqdn", "Name"],
            false,
        ));
        let addin_rows = take(report.extract("chat-addins", &["PersistentChatPoolFqdn"], false));

        // Chat pools: the chat-services rows first, then pools only rooms/categories name.
        let mut pools: Vec<ChatPool> = Vec::new();
        let mut pool_index: HashMap<String, usize> = HashMap::new();
        for r in &chat_rows {
            let [fqdn, version, host, site] = &r.cells[..] else {
                continue;
            };
            let host = strip_prefix_ci(host, "Registrar:").to_string();
            let registrar = registrars.get(&key(&host));
            let findings = by_row
                .of(r.file, r.row)
                .iter()
                .map(|f| (f.code.clone(), f.severity))
                .collect();
            pool_index.entry(key(fqdn)).or_insert(pools.len());
            pools.push(ChatPool {
                fqdn: fqdn.trim().to_string(),
                version: version.trim().to_string(),
                host_version: registrar.map(|g| g.version.clone()),
                host: registrar.map_or(host, |g| g.fqdn.clone()),
                site: strip_prefix_ci(site, "Site:").to_string(),
                findings,
                listed: true,
                ..ChatPool::default()
            });
        }
        let mut pool_of = |fqdn: &str, pools: &mut Vec<ChatPool>| -> Option<usize> {
            if fqdn.trim().is_empty() {
                return None;
            }
            Some(*pool_index.entry(key(fqdn)).or_insert_with(|| {
                pools.push(ChatPool {
                    fqdn: fqdn.trim().to_string(),
                    ..ChatPool::default()
                });
                pools.len() - 1
            }))
        };
        let mut categories = Categories::new();
        for r in &category_rows {
            let [pool, name] = &r.cells[..] else { continue };
            let Some(p) = pool_of(pool, &mut pools) else {
                continue;
            };
            pools[p].categories += 1;
            if let Some(cell) = category_cell(&mut categories, name, p) {
                cell.defined = true;
            }
        }
        let mut room_count = 0;
        for r in &room_rows {
            let [pool, category] = &r.cells[..] else {
                continue;
            };
            room_count += 1;
            let Some(p) = pool_of(pool, &mut pools) else {
                continue;
            };
            pools[p].rooms += 1;
            if let Some(cell) = category_cell(&mut categories, category, p) {
                cell.rooms += 1;
            }
        }
        for r in &addin_rows {
            if let Some(p) = pool_of(&r.cells[0], &mut pools) {
                pools[p].addins += 1;
            }
        }
        let categories = categories
            .into_values()
            .map(|(name, cells)| CategoryRow {
                name,
                cells: (0..pools.len())
                    .map(|p| cells.get(&p).copied().unwrap_or_default())
                    .collect(),
            })
            .collect();

        let chat_users = report
            .findings
            .iter()
            .filter(|f| CHAT_USER_CODES.contains(&&*f.code))
            .map(|f| {
                let user = f
                    .location
                    .row()
                    .and_then(|r| users.get(&(f.location.file_id, r as usize - 1)));
                let client = f
                    .related
                    .iter()
                    .find(|r| r.location.table.as_deref() == Some("registrations"))
                    .and_then(|r| r.location.value.clone())
                    .unwrap_or_default();
                let pool = user.map_or("", |u| u.2);
                ChatUser {
                    sip: user.map_or_else(
                        || f.identity.clone().unwrap_or_default(),
                        |u| u.0.to_string(),
                    ),
                    name: user.map_or("", |u| u.1).to_string(),
                    pool: pool_name(&registrars, pool),
                    client,
                    code: f.code.clone(),
                }
            })
            .collect();
        Audit {
            readiness,
            chat: Chat {
                pools,
                categories,
                users: chat_users,
                room_count,
            },
            product,
            errors,
        }
    }

    /// Product name of a Registrar or chat `Version`, else `Version N`.
    pub fn product_of(&self, version: &str) -> String {
        match self.product.get(version.trim()) {
            Some(p) => p.clone(),
            None if version.trim().is_empty() => String::new(),
            None => format!("Version {}", version.trim()),
        }
    }
}

fn readiness(
    rows: &[crate::inventory::extract::ExtractRow],
    registrars: &HashMap<String, Registrar>,
    by_row: &RowFindings<'_>,
    product: &BTreeMap<String, String>,
) -> Readiness {
    // Group keys sort known pools first, then the special groups.
    let mut pools: BTreeMap<(u8, String), Group> = BTreeMap::new();
    let mut sites: BTreeMap<(u8, String), Group> = BTreeMap::new();
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
        let (pool_key, pool_group, site_key, site_group) = if pool.trim().is_empty() {
            let online = !hosting.trim().is_empty()
                && !hosting.trim().to_ascii_uppercase().starts_with("SRV:");
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
                ((3, String::new()), g, (3, String::new()), s)
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
                ((2, String::new()), g, (2, String::new()), s)
            }
        } else {
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
                    ((0, key(pool)), g, (site_rank, key(&site)), s)
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
                    ((1, key(pool)), g, (1, "~unknown".into()), s)
                }
            }
        };
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
    // Site details: how many pools feed each site.
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
    Readiness {
        total,
        by_pool: pools.into_values().collect(),
        by_site: sites.into_values().collect(),
        blocked: blocked_users,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_strip_without_case() {
        assert_eq!(strip_prefix_ci(" site:Paris ", "Site:"), "Paris");
        assert_eq!(strip_prefix_ci("Registrar:pool", "registrar:"), "pool");
        assert_eq!(strip_prefix_ci("Paris", "Site:"), "Paris");
        assert_eq!(strip_prefix_ci("Sité", "Site:"), "Sité");
    }
}
