//! **Members** of a kind: which rows make it up, which of them its rules judge, and which rows
//! describe the same object.
//!
//! - A kind's rows are the rows of its own tables and, for a **view** (`view-of`), the rows of
//!   its base kind's tables that match the view's `rows` predicate (the `Registrar:` rows of a
//!   plain `Get-CsService` export are registrars). **Blank rows** (every field empty) belong
//!   to no kind.
//! - **Judged** rows are those the declaration's `judged` predicate selects (users: the
//!   SIP-enabled ones); the others are still looked up and counted, never reported.
//! - An **object** is one real thing whatever number of rows describe it. Rows of *different*
//!   files are the same object when the first identity column (declaration order, most stable
//!   first) that both have filled holds the same value (trimmed, case-insensitive, `sip:` and
//!   `tel:` ignored); rows of one file are always distinct objects (a cmdlet writes each
//!   object once; the same file reached twice is read once). Objects are only worked out for
//!   kinds whose rows come from several files.

use std::collections::{BTreeMap, HashMap};

use crate::expr::compile::{ColumnId, KindId, RowPredicate, Schema};
use crate::expr::eval::{Ctx, Tables};
use crate::expr::value::RowRef;

/// The rows of one file that belong to a kind.
#[derive(Debug)]
pub struct FileRows {
    pub file: u32,
    /// Sorted row indices; `None`: every row of the file.
    pub rows: Option<Vec<u32>>,
    /// Row count of the file.
    pub count: u32,
}

impl FileRows {
    pub fn len(&self) -> usize {
        self.rows.as_ref().map_or(self.count as usize, Vec::len)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The `i`-th member row of the file.
    pub fn row(&self, i: usize) -> u32 {
        self.rows.as_ref().map_or(i as u32, |rows| rows[i])
    }

    pub fn iter(&self) -> impl Iterator<Item = RowRef> + '_ {
        (0..self.len()).map(|i| RowRef {
            file: self.file,
            row: self.row(i),
        })
    }
}

/// Object numbers of the rows of one kind.
#[derive(Debug, Default)]
pub struct Objects {
    /// File → object number of each row (`u32::MAX` for rows that are not members).
    by_file: BTreeMap<u32, Vec<u32>>,
    /// Object number → its first row.
    first: Vec<RowRef>,
}

impl Objects {
    pub fn of(&self, row: RowRef) -> Option<u32> {
        let id = *self.by_file.get(&row.file)?.get(row.row as usize)?;
        (id != u32::MAX).then_some(id)
    }

    /// The first row of `row`'s object when it is another row.
    pub fn earlier(&self, row: RowRef) -> Option<RowRef> {
        let first = *self.first.get(self.of(row)? as usize)?;
        (first != row).then_some(first)
    }

    pub fn count(&self) -> usize {
        self.first.len()
    }
}

/// The members of every kind.
#[derive(Debug, Default)]
pub struct Members {
    /// Kind → the files holding its rows, in file order.
    pub parts: Vec<Vec<FileRows>>,
    /// Kind → file → judged flag of each row (absent: every row judged).
    judged: Vec<BTreeMap<u32, Vec<bool>>>,
    /// Kind → objects, for kinds whose rows come from several files.
    pub objects: Vec<Option<Objects>>,
}

impl Members {
    /// Work out the members of every kind. `kind_of_file` is each file's own kind, `counts`
    /// its row count, `blank` its blank rows (sorted); `tables` reads the kept cells.
    pub fn build<T: Tables>(
        schema: &Schema,
        tables: &T,
        kind_of_file: &[Option<KindId>],
        counts: &[u32],
        blank: &[&[u32]],
    ) -> Members {
        let kinds = schema.kinds.len();
        let mut members = Members {
            parts: (0..kinds).map(|_| Vec::new()).collect(),
            judged: (0..kinds).map(|_| BTreeMap::new()).collect(),
            objects: (0..kinds).map(|_| None).collect(),
        };
        for (kind, info) in schema.kinds.iter().enumerate() {
            for (file, own) in kind_of_file.iter().enumerate() {
                let Some(own) = *own else { continue };
                let predicate = if own == kind {
                    None
                } else if info.base == Some(own) {
                    match &info.rows {
                        Some(p) => Some(p),
                        None => continue,
                    }
                } else {
                    continue;
                };
                let count = counts[file];
                let blank = blank[file];
                let rows = if predicate.is_none() && blank.is_empty() {
                    None
                } else {
                    let mut ctx = predicate.map(|p| Ctx::new(tables, schema, &[], p.cache_slots));
                    let rows: Vec<u32> = (0..count)
                        .filter(|row| blank.binary_search(row).is_err())
                        .filter(|&row| match (predicate, ctx.as_mut()) {
                            (Some(p), Some(ctx)) => holds(ctx, p, file as u32, row),
                            _ => true,
                        })
                        .collect();
                    if rows.is_empty() {
                        continue;
                    }
                    Some(rows)
                };
                members.parts[kind].push(FileRows {
                    file: file as u32,
                    rows,
                    count,
                });
            }
            if let Some(judged) = &info.judged {
                let mut ctx = Ctx::new(tables, schema, &[], judged.cache_slots);
                for part in &members.parts[kind] {
                    let flags: Vec<bool> = (0..part.count)
                        .map(|row| holds(&mut ctx, judged, part.file, row))
                        .collect();
                    if flags.iter().any(|f| !f) {
                        members.judged[kind].insert(part.file, flags);
                    }
                }
            }
            if members.parts[kind].len() > 1 && !info.identity.is_empty() {
                members.objects[kind] = Some(objects(tables, &info.identity, &members.parts[kind]));
            }
        }
        members
    }

    /// Whether the rules of `kind` judge `row` (a member of it).
    pub fn judged(&self, kind: KindId, row: RowRef) -> bool {
        self.judged
            .get(kind)
            .and_then(|files| files.get(&row.file))
            .is_none_or(|flags| flags.get(row.row as usize).copied().unwrap_or(true))
    }

    /// Whether `row` is one of `kind`'s rows.
    pub fn contains(&self, kind: KindId, row: RowRef) -> bool {
        self.parts.get(kind).is_some_and(|parts| {
            parts.iter().any(|p| {
                p.file == row.file
                    && row.row < p.count
                    && p.rows
                        .as_ref()
                        .is_none_or(|r| r.binary_search(&row.row).is_ok())
            })
        })
    }

    /// Number of member rows of `kind`.
    pub fn rows(&self, kind: KindId) -> usize {
        self.parts
            .get(kind)
            .map_or(0, |p| p.iter().map(FileRows::len).sum())
    }

    /// Number of objects of `kind`: its rows, less those that repeat an object.
    pub fn objects(&self, kind: KindId) -> usize {
        match self.objects.get(kind).and_then(Option::as_ref) {
            Some(objects) => objects.count(),
            None => self.rows(kind),
        }
    }

    /// The object number of `row` in `kind`, for kinds whose objects were worked out.
    pub fn object_id(&self, kind: KindId, row: RowRef) -> Option<u32> {
        self.objects.get(kind)?.as_ref()?.of(row)
    }

    /// Whether `a` and `b` (rows of `kind`) are one object.
    pub fn same_object(&self, kind: KindId, a: RowRef, b: RowRef) -> bool {
        match self.objects.get(kind).and_then(Option::as_ref) {
            Some(objects) => objects.of(a).is_some() && objects.of(a) == objects.of(b),
            None => a == b,
        }
    }

    /// The first row of `row`'s object, when that is another row (of another file).
    pub fn earlier(&self, kind: KindId, row: RowRef) -> Option<RowRef> {
        self.objects.get(kind)?.as_ref()?.earlier(row)
    }
}

fn holds<'a, T: Tables>(ctx: &mut Ctx<'a, T>, p: &'a RowPredicate, file: u32, row: u32) -> bool {
    ctx.set_row(Some(RowRef { file, row }));
    ctx.eval(&p.node).truthy()
}

/// An identity value as compared: trimmed, lower-case, without a `sip:`/`tel:` prefix.
pub fn normalised(cell: &str) -> String {
    without_scheme(cell).to_lowercase()
}

/// `cell` trimmed and without a `sip:`/`tel:` prefix (in any case).
fn without_scheme(cell: &str) -> &str {
    let cell = crate::expr::value::trim(cell);
    ["sip:", "tel:"]
        .iter()
        .find_map(|p| {
            cell.get(..p.len())
                .filter(|head| head.eq_ignore_ascii_case(p))
                .map(|_| &cell[p.len()..])
        })
        .unwrap_or(cell)
}

/// The identity values of a row into `out`: (position in `identity`, hash of the value as
/// [`normalised`] writes it) for each filled column. `buf` is scratch space: the hashing
/// allocates nothing per row once warm.
fn identity_into<T: Tables>(
    tables: &T,
    identity: &[ColumnId],
    row: RowRef,
    buf: &mut String,
    out: &mut Vec<(usize, u64)>,
) {
    out.clear();
    for (i, &c) in identity.iter().enumerate() {
        let Some(cell) = tables.cell(row, c) else {
            continue;
        };
        let cell = without_scheme(cell);
        if cell.is_empty() {
            continue;
        }
        buf.clear();
        buf.extend(cell.chars().flat_map(char::to_lowercase));
        out.push((i, super::index::hash(buf.as_bytes())));
    }
}

/// Whether the first identity column both rows have filled holds the same value.
fn decides_same(a: &[(usize, u64)], b: &[(usize, u64)]) -> bool {
    for (i, va) in a {
        if let Some((_, vb)) = b.iter().find(|(j, _)| j == i) {
            return va == vb;
        }
    }
    false
}

/// Identity column → value hash → the objects that had it: the first in a map of its own (the
/// common case: one holder), the others (an address two accounts share) beside it.
#[derive(Default)]
struct Holders {
    first: HashMap<u64, u32>,
    more: HashMap<u64, Vec<u32>>,
}

impl Holders {
    fn of(&self, value: u64) -> impl Iterator<Item = u32> + '_ {
        self.first
            .get(&value)
            .copied()
            .into_iter()
            .chain(self.more.get(&value).into_iter().flatten().copied())
    }

    fn add(&mut self, value: u64, id: u32) {
        match self.first.get(&value) {
            None => {
                self.first.insert(value, id);
            }
            Some(&first) if first != id => {
                let more = self.more.entry(value).or_default();
                if !more.contains(&id) {
                    more.push(id);
                }
            }
            Some(_) => {}
        }
    }
}

fn objects<T: Tables>(tables: &T, identity: &[ColumnId], parts: &[FileRows]) -> Objects {
    let mut objects = Objects::default();
    let mut seen: Vec<Holders> = identity.iter().map(|_| Holders::default()).collect();
    // Object → the last file that had a row of it (rows of one file are distinct objects).
    let mut last_file: Vec<u32> = Vec::new();
    let (mut buf, mut values, mut first_values) = (String::new(), Vec::new(), Vec::new());
    let mut candidates: Vec<u32> = Vec::new();
    for part in parts {
        let mut ids = vec![u32::MAX; part.count as usize];
        for row in part.iter() {
            identity_into(tables, identity, row, &mut buf, &mut values);
            candidates.clear();
            candidates.extend(
                values
                    .iter()
                    .flat_map(|&(i, v)| seen[i].of(v))
                    .filter(|&id| last_file[id as usize] != row.file),
            );
            candidates.sort_unstable();
            candidates.dedup();
            // Of the objects the deciding column says this row is, the one it agrees with
            // on most identity columns (the admin account sharing its owner's address has
            // its own UPN).
            let mut found: Option<(usize, std::cmp::Reverse<u32>)> = None;
            for &id in &candidates {
                let first = objects.first[id as usize];
                identity_into(tables, identity, first, &mut buf, &mut first_values);
                if decides_same(&values, &first_values) {
                    let agree = values.iter().filter(|v| first_values.contains(v)).count();
                    found = found.max(Some((agree, std::cmp::Reverse(id))));
                }
            }
            let id = match found {
                Some((_, std::cmp::Reverse(id))) => id,
                None => {
                    objects.first.push(row);
                    last_file.push(row.file);
                    (objects.first.len() - 1) as u32
                }
            };
            last_file[id as usize] = row.file;
            for &(i, v) in &values {
                seen[i].add(v, id);
            }
            ids[row.row as usize] = id;
        }
        objects.by_file.insert(part.file, ids);
    }
    objects
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_values_ignore_case_blanks_and_prefixes() {
        assert_eq!(
            normalised(" SIP:Ken.Myer@Contoso.com "),
            "ken.myer@contoso.com"
        );
        assert_eq!(normalised("tel:+14255550101"), "+14255550101");
        assert_eq!(normalised("CN=Ken"), "cn=ken");
    }

    #[test]
    fn the_first_column_both_rows_have_decides() {
        let (cn_a, cn_b, sip) = (1, 2, 3);
        let dn_and_sip = vec![(1, cn_a), (2, sip)];
        let other_dn_same_sip = vec![(1, cn_b), (2, sip)];
        let sip_only = vec![(2, sip)];
        assert!(!decides_same(&dn_and_sip, &other_dn_same_sip));
        assert!(decides_same(&dn_and_sip, &sip_only));
        assert!(decides_same(&sip_only, &other_dn_same_sip));
        assert!(!decides_same(&sip_only, &[(1, cn_a)]));
    }

    #[test]
    fn a_value_held_by_two_objects_lists_both() {
        let mut holders = Holders::default();
        holders.add(7, 0);
        holders.add(7, 0);
        holders.add(7, 3);
        holders.add(9, 1);
        assert_eq!(holders.of(7).collect::<Vec<_>>(), [0, 3]);
        assert_eq!(holders.of(9).collect::<Vec<_>>(), [1]);
        assert_eq!(holders.of(8).count(), 0);
    }
}
