//! The **sources** of the audit model: every table kind and column it reads, in one table.
//!
//! The page's figures are about Lync objects (users, Registrar pools, chat pools) whose
//! meaning the rule packs do not declare, so the model names the kinds and columns it reads
//! here and nowhere else. Each name is a kind or a canonical column of the shipped table
//! declarations (`rules/*/tables.toml`), which the test below checks, so a renamed
//! declaration fails the tests instead of emptying a section of the page; aliases are
//! resolved by [`crate::engine::Outcome::extract`] as for rules.

pub use crate::report::Source;

/// Registrar pools (Get-CsService -Registrar): FQDN, version, site.
pub const REGISTRARS: Source = Source {
    kind: "registrars",
    columns: &["PoolFqdn", "Version", "SiteId"],
};

/// Users (Get-CsUser): SIP address, name, home pool, hosting provider.
pub const USERS: Source = Source {
    kind: "users",
    columns: &[
        "SipAddress",
        "DisplayName",
        "RegistrarPool",
        "HostingProvider",
    ],
};

/// Chat pools (Get-CsService -PersistentChatServer): FQDN, version, host Registrar, site.
pub const CHAT_SERVICES: Source = Source {
    kind: "chat-services",
    columns: &["PoolFqdn", "Version", "Registrar", "SiteId"],
};

/// Chat rooms: their pool and category.
pub const CHAT_ROOMS: Source = Source {
    kind: "chat-rooms",
    columns: &["PersistentChatPoolFqdn", "Category"],
};

/// Chat categories: their pool and name.
pub const CHAT_CATEGORIES: Source = Source {
    kind: "chat-categories",
    columns: &["PersistentChatPoolFqdn", "Name"],
};

/// Chat add-ins: their pool.
pub const CHAT_ADDINS: Source = Source {
    kind: "chat-addins",
    columns: &["PersistentChatPoolFqdn"],
};

/// Client registrations: a chat finding's related location in this kind names the client.
pub const REGISTRATIONS: Source = Source {
    kind: "registrations",
    columns: &[],
};

/// Every source, for the test that checks them against the declarations.
pub const SOURCES: &[Source] = &[
    REGISTRARS,
    USERS,
    CHAT_SERVICES,
    CHAT_ROOMS,
    CHAT_CATEGORIES,
    CHAT_ADDINS,
    REGISTRATIONS,
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::RuleSet;

    #[test]
    fn every_source_is_a_declared_kind_and_column() {
        let rules = RuleSet::load(true, &[]).expect("the shipped packs load");
        let decls = rules.decls();
        for source in SOURCES {
            let decl = decls
                .iter()
                .find(|d| d.kind == source.kind)
                .unwrap_or_else(|| panic!("no declared table kind `{}`", source.kind));
            for column in source.columns {
                assert!(
                    decl.columns.iter().any(|c| c == column),
                    "`{column}` is not a declared column of `{}`",
                    source.kind
                );
            }
        }
    }

    #[test]
    fn pools_and_users_are_read_by_their_declared_keys() {
        let rules = RuleSet::load(true, &[]).expect("the shipped packs load");
        let decls = rules.decls();
        // The first column of each is the one its declared key indexes (pools by FQDN, users
        // by SIP address): the model matches rows the way rule lookups do.
        for source in [REGISTRARS, USERS, CHAT_SERVICES] {
            let decl = decls.iter().find(|d| d.kind == source.kind);
            let key = decl.and_then(|d| d.key.as_ref()).map(|k| k.columns.clone());
            assert_eq!(
                key,
                Some(vec![source.columns[0].to_string()]),
                "{}",
                source.kind
            );
        }
    }
}
