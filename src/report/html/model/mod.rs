//! The **audit model**: the numbers and lists the HTML page shows, computed from the report,
//! the findings and a few columns of the inventory's tables.
//!
//! Words used here: a user is **blocked** when at least one error finding points at their row
//! of a users export (Get-CsUser); otherwise the user is **ready**, and **ready with warnings**
//! when a warning points there. A user's **home pool** is their `RegistrarPool`; the **site** of
//! a pool is the `SiteId` of its row in the registrars export (Get-CsService -Registrar). A
//! **chat pool** is a row of the chat-services export (Get-CsService -PersistentChatServer);
//! its **host** is the Registrar pool named in its `Registrar` column.
//!
//! The kinds and columns read are all in [`sources`], checked against the declarations;
//! readiness (`readiness.rs`) and the chat view (`chat.rs`) are built in files of their own.

mod chat;
mod readiness;
pub mod sources;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use crate::engine::Outcome;
use crate::finding::{FileId, Finding, Severity};
use crate::inventory::extract::ExtractRow;
use crate::rule::RuleSet;
use sources::{Source, CHAT_ADDINS, CHAT_CATEGORIES, CHAT_ROOMS, CHAT_SERVICES, REGISTRARS, USERS};

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

/// The Registrar pools of the registrars rows (the columns of [`REGISTRARS`]) by FQDN key,
/// the first row of a pool kept.
fn registrars(rows: &[ExtractRow]) -> HashMap<String, Registrar> {
    let mut registrars: HashMap<String, Registrar> = HashMap::new();
    for r in rows {
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
    registrars
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
    pub fn build(report: &Outcome, rules: &RuleSet) -> Audit {
        let product = rules.maps().remove("product").unwrap_or_default();
        let mut errors = Vec::new();
        let mut take = |source: Source, judged_only: bool| {
            let extract = report.extract(source.kind, source.columns, judged_only);
            errors.extend(extract.errors);
            extract.rows
        };
        let registrars = registrars(&take(REGISTRARS, false));
        let by_row = RowFindings::new(&report.findings);
        let has_users = report.inventory.files_of(USERS.kind).next().is_some();
        // People, not rows: one row per user object, SIP-enabled rows only.
        let user_rows = take(USERS, true);
        let readiness =
            has_users.then(|| readiness::readiness(&user_rows, &registrars, &by_row, &product));
        let chat_rows = chat::ChatRows {
            services: take(CHAT_SERVICES, false),
            rooms: take(CHAT_ROOMS, false),
            categories: take(CHAT_CATEGORIES, false),
            addins: take(CHAT_ADDINS, false),
        };
        let chat = chat::chat(report, &chat_rows, &user_rows, &registrars, &by_row);
        Audit {
            readiness,
            chat,
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
