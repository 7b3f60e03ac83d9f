//! The **schema** of a run: the declared table kinds with their columns (declared ones plus
//! those of the inventory's headers), keys, row predicates and value maps, numbered for the
//! expression compiler.
//!
//! A kind's **family** is the kind and its views (`view-of`): they share one list of columns,
//! so a column number means the same cell in the base kind's files and in the view's own.

use std::collections::BTreeMap;

use crate::expr::compile::{
    ColumnId, Compiler, KeyInfo, KindId, KindInfo, MapInfo, Node, RowPredicate, Schema,
};
use crate::inventory::decl::TableDecl;
use crate::inventory::Inventory;

use crate::located::LocatedError;

/// The columns of one family of kinds (a kind and its views): the declared ones, then the
/// header names of the family's files; and the aliases (lower-case) → column.
fn family_schema(
    members: &[&TableDecl],
    inventory: Option<&Inventory>,
) -> (Vec<String>, BTreeMap<String, ColumnId>) {
    let mut columns: Vec<String> = Vec::new();
    // Lower-case names already in `columns`: headers can have 100,000 columns.
    let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
    let mut push = |c: &str, columns: &mut Vec<String>| {
        if seen.insert(c.to_ascii_lowercase()) {
            columns.push(c.to_string());
        }
    };
    for decl in members {
        for c in decl
            .columns
            .iter()
            .chain(decl.aliases.keys())
            .chain(decl.required.iter())
            .chain(decl.signature.iter())
            .chain(decl.signature_any.iter())
            .chain(decl.identity.iter())
        {
            push(c, &mut columns);
        }
    }
    let mut aliases = BTreeMap::new();
    for decl in members {
        for (canonical, alts) in &decl.aliases {
            if let Some(i) = columns
                .iter()
                .position(|c| c.eq_ignore_ascii_case(canonical))
            {
                for a in alts {
                    aliases.entry(a.to_ascii_lowercase()).or_insert(i);
                }
            }
        }
    }
    if let Some(inv) = inventory {
        for file in inv.files.iter().filter(|f| {
            members
                .iter()
                .any(|d| f.kind.as_deref() == Some(d.kind.as_str()))
        }) {
            for h in file.header() {
                let h = h.trim();
                let known = members.iter().any(|d| d.canonical(h).is_some());
                if !known && !aliases.contains_key(&h.to_ascii_lowercase()) {
                    push(h, &mut columns);
                }
            }
        }
    }
    (columns, aliases)
}

/// Compile a declaration's row predicate (`rows`, `judged`) over the rows of `kind`: cells
/// and functions only, no lookups (it is evaluated before any index exists).
fn predicate(
    schema: &Schema,
    kind: KindId,
    decl: &TableDecl,
    what: &str,
    text: &toml::Spanned<String>,
    errors: &mut Vec<LocatedError>,
) -> Option<RowPredicate> {
    let fail =
        |m: String| LocatedError::plain(format!("table `{}`: `{what}` expression: {m}", decl.kind));
    let expr = match crate::expr::parse(text.get_ref()) {
        Ok(e) => e,
        Err(e) => {
            errors.push(fail(e.message));
            return None;
        }
    };
    let mut c = Compiler::new(schema, Some(kind), Vec::new());
    let compiled = c.condition(0, &expr);
    if let Some(e) = c.errors.first() {
        errors.push(fail(e.message.clone()));
        return None;
    }
    if !c.lookups_used.is_empty() || c.kinds_used.iter().any(|k| *k != kind) {
        errors.push(fail(
            "it may read only the row's own cells, not other tables".into(),
        ));
        return None;
    }
    Some(RowPredicate {
        node: compiled?.node,
        cache_slots: c.cache_slots,
        columns: c.columns_used.iter().map(|&(_, col)| col).collect(),
    })
}

/// The schema of a run: the declared kinds, with the columns of the inventory's headers.
pub fn build_schema(
    decls: &[TableDecl],
    maps: &BTreeMap<String, BTreeMap<String, String>>,
    inventory: Option<&Inventory>,
) -> (Schema, Vec<LocatedError>) {
    let mut schema = Schema::default();
    let mut errors = Vec::new();
    let family = families(decls, &mut errors);
    schema.kinds = kinds(decls, &family, inventory);
    // Row predicates and identity columns, against the finished columns.
    for (kind, decl) in decls.iter().enumerate() {
        let on = family[kind];
        if let Some(rows) = decl.rows.as_ref().filter(|_| on != kind) {
            schema.kinds[kind].rows = predicate(&schema, on, decl, "rows", rows, &mut errors);
        }
        if let Some(judged) = &decl.judged {
            schema.kinds[kind].judged =
                predicate(&schema, kind, decl, "judged", judged, &mut errors);
        }
        let mut identity = Vec::new();
        for c in &decl.identity {
            match schema.column(kind, c) {
                Some(i) => identity.push(i),
                None => errors.push(LocatedError::plain(format!(
                    "table `{}`: `identity` names unknown column `{c}`",
                    decl.kind
                ))),
            }
        }
        schema.kinds[kind].identity = identity;
    }
    // Keys next: their normalise expressions are compiled against the finished schema.
    for (kind, decl) in decls.iter().enumerate() {
        schema.kinds[kind].keys = keys(&schema, kind, decl, &mut errors);
    }
    for (name, map) in maps {
        schema.maps.push(MapInfo {
            name: name.clone(),
            entries: map
                .iter()
                .map(|(k, v)| (k.trim().to_lowercase(), v.clone()))
                .collect(),
        });
    }
    (schema, errors)
}

/// The family root of each declaration (its own number, or the base kind's for a view). A
/// view shares the columns of the kind it is a view of, so that a column number means the
/// same cell in the base kind's files and in the view's own.
fn families(decls: &[TableDecl], errors: &mut Vec<LocatedError>) -> Vec<usize> {
    decls
        .iter()
        .enumerate()
        .map(|(i, decl)| {
            let Some(base) = &decl.view_of else { return i };
            match decls.iter().position(|d| d.kind.eq_ignore_ascii_case(base)) {
                Some(b) if decls[b].view_of.is_none() && b != i => b,
                _ => {
                    errors.push(LocatedError::plain(format!(
                        "table `{}`: `view-of` names `{base}`, which is not a declared table \
                         (or is a view itself)",
                        decl.kind
                    )));
                    i
                }
            }
        })
        .collect()
}

/// The kinds of `decls` with their family's columns; keys, predicates and identity are
/// filled in later, against these columns.
fn kinds(decls: &[TableDecl], family: &[usize], inventory: Option<&Inventory>) -> Vec<KindInfo> {
    let mut family_columns: BTreeMap<usize, (Vec<String>, BTreeMap<String, ColumnId>)> =
        BTreeMap::new();
    for &root in family {
        if family_columns.contains_key(&root) {
            continue;
        }
        let members: Vec<&TableDecl> = decls
            .iter()
            .zip(family)
            .filter(|(_, f)| **f == root)
            .map(|(d, _)| d)
            .collect();
        family_columns.insert(root, family_schema(&members, inventory));
    }
    decls
        .iter()
        .enumerate()
        .map(|(i, decl)| {
            let (columns, aliases) = family_columns[&family[i]].clone();
            KindInfo {
                name: decl.kind.clone(),
                columns,
                aliases,
                keys: Vec::new(),
                has_primary: decl.key.is_some(),
                base: (family[i] != i).then_some(family[i]),
                rows: None,
                judged: None,
                identity: Vec::new(),
            }
        })
        .collect()
}

/// The keys of `kind` (the primary `key` first, then the named `keys`), their columns
/// resolved and their `normalize` expressions compiled.
fn keys(
    schema: &Schema,
    kind: KindId,
    decl: &TableDecl,
    errors: &mut Vec<LocatedError>,
) -> Vec<KeyInfo> {
    let all: Vec<(String, &crate::inventory::decl::KeyDecl)> = decl
        .key
        .iter()
        .map(|k| ("key".to_string(), k))
        .chain(decl.keys.iter().map(|(n, k)| (n.clone(), k)))
        .collect();
    let mut keys = Vec::new();
    for (name, key) in all {
        let mut columns = Vec::new();
        for c in &key.columns {
            match schema.column(kind, c) {
                Some(i) => columns.push(i),
                None => errors.push(LocatedError::plain(format!(
                    "table `{}`: key `{name}` names unknown column `{c}`",
                    decl.kind
                ))),
            }
        }
        let normalise = key.normalize.as_ref().and_then(|n| {
            normaliser(schema, n.get_ref())
                .map_err(|m| {
                    errors.push(LocatedError::plain(format!(
                        "table `{}`: key `{name}` normalize: {m}",
                        decl.kind
                    )))
                })
                .ok()
        });
        keys.push(KeyInfo {
            name,
            columns,
            normalise,
            ignore_case: key.ignore_case,
            split: key.split.clone().filter(|s| !s.is_empty()),
        });
    }
    keys
}

/// A key's `normalize` expression compiled, or why it does not compile.
fn normaliser(schema: &Schema, text: &str) -> Result<Node, String> {
    let expr = crate::expr::parse(text).map_err(|e| e.message)?;
    let mut c = Compiler::for_normalise(schema);
    let compiled = c.compile(0, &expr);
    match (compiled, c.errors.first()) {
        (Some(compiled), None) => Ok(compiled.node),
        (_, Some(e)) => Err(e.message.clone()),
        (None, None) => Err("invalid expression".into()),
    }
}
