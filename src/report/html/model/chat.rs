//! The **Persistent Chat** view of the model: chat pools with their hosts and contents,
//! categories across pools, and the users who cannot reach Persistent Chat (see [`super`]
//! for the words).
//!
//! A pool is **listed** when a chat-services row describes it; pools that only rooms,
//! categories or add-ins name are added after the listed ones, unlisted.

use std::collections::{BTreeMap, HashMap};

use super::sources::REGISTRATIONS;
use super::{
    key, pool_name, strip_prefix_ci, CategoryCell, CategoryRow, Chat, ChatPool, ChatUser,
    Registrar, RowFindings, CHAT_USER_CODES,
};
use crate::engine::Outcome;
use crate::finding::FileId;
use crate::inventory::extract::ExtractRow;

/// The rows of the chat exports, each with the columns of its [`super::sources`] entry.
pub(super) struct ChatRows {
    pub services: Vec<ExtractRow>,
    pub rooms: Vec<ExtractRow>,
    pub categories: Vec<ExtractRow>,
    pub addins: Vec<ExtractRow>,
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

/// The chat pools found so far, and where each is by FQDN key.
#[derive(Default)]
struct Pools {
    pools: Vec<ChatPool>,
    index: HashMap<String, usize>,
}

impl Pools {
    /// The listed pools, one per chat-services row.
    fn listed(
        rows: &[ExtractRow],
        registrars: &HashMap<String, Registrar>,
        by_row: &RowFindings<'_>,
    ) -> Pools {
        let mut found = Pools::default();
        for r in rows {
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
            found.index.entry(key(fqdn)).or_insert(found.pools.len());
            found.pools.push(ChatPool {
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
        found
    }

    /// The index of pool `fqdn`, adding it unlisted if it is new; `None` for a blank name.
    fn of(&mut self, fqdn: &str) -> Option<usize> {
        if fqdn.trim().is_empty() {
            return None;
        }
        let pools = &mut self.pools;
        Some(*self.index.entry(key(fqdn)).or_insert_with(|| {
            pools.push(ChatPool {
                fqdn: fqdn.trim().to_string(),
                ..ChatPool::default()
            });
            pools.len() - 1
        }))
    }
}

/// The Persistent Chat view of a run.
pub(super) fn chat(
    report: &Outcome,
    rows: &ChatRows,
    user_rows: &[ExtractRow],
    registrars: &HashMap<String, Registrar>,
    by_row: &RowFindings<'_>,
) -> Chat {
    let mut pools = Pools::listed(&rows.services, registrars, by_row);
    let mut categories = Categories::new();
    for r in &rows.categories {
        let [pool, name] = &r.cells[..] else { continue };
        let Some(p) = pools.of(pool) else {
            continue;
        };
        pools.pools[p].categories += 1;
        if let Some(cell) = category_cell(&mut categories, name, p) {
            cell.defined = true;
        }
    }
    let mut room_count = 0;
    for r in &rows.rooms {
        let [pool, category] = &r.cells[..] else {
            continue;
        };
        room_count += 1;
        let Some(p) = pools.of(pool) else {
            continue;
        };
        pools.pools[p].rooms += 1;
        if let Some(cell) = category_cell(&mut categories, category, p) {
            cell.rooms += 1;
        }
    }
    for r in &rows.addins {
        if let Some(p) = pools.of(&r.cells[0]) {
            pools.pools[p].addins += 1;
        }
    }
    let pools = pools.pools;
    let categories = categories
        .into_values()
        .map(|(name, cells)| CategoryRow {
            name,
            cells: (0..pools.len())
                .map(|p| cells.get(&p).copied().unwrap_or_default())
                .collect(),
        })
        .collect();
    Chat {
        pools,
        categories,
        users: chat_users(report, user_rows, registrars),
        room_count,
    }
}

/// The users of the [`CHAT_USER_CODES`] findings, described by their users row when it is
/// one of `user_rows` (the columns of [`super::sources::USERS`]).
fn chat_users(
    report: &Outcome,
    user_rows: &[ExtractRow],
    registrars: &HashMap<String, Registrar>,
) -> Vec<ChatUser> {
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
    report
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
                .find(|r| r.location.table() == Some(REGISTRATIONS.kind))
                .and_then(|r| r.location.value.as_deref().map(str::to_string))
                .unwrap_or_default();
            let pool = user.map_or("", |u| u.2);
            ChatUser {
                sip: user.map_or_else(
                    || f.identity.as_deref().unwrap_or_default().to_string(),
                    |u| u.0.to_string(),
                ),
                name: user.map_or("", |u| u.1).to_string(),
                pool: pool_name(registrars, pool),
                client,
                code: f.code.clone(),
            }
        })
        .collect()
}
