//! **Conflicts**: one object described by rows of several exports with different values.
//!
//! A person in a full `Get-CsUser` export and in a voice-only view is one object (see
//! [`super::members`]); where the two rows disagree on a column both files hold and rules
//! read (the pool, the LineURI), the exports were taken at different times or one was edited.
//! Each such column is one `INV003` finding at the later row's cell, related to the earlier
//! row's. An empty cell is "not exported", not a conflict.

use std::collections::BTreeSet;

use super::members::normalised;
use super::Data;
use crate::expr::eval::Tables;
use crate::finding::{builtin, quoted, Anchor, Finding, Related};

/// The conflict findings of every kind whose rows come from several files.
pub(super) fn findings(data: &Data<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    // (later cell, earlier cell) pairs reported: a view shares its rows with its base kind.
    let mut seen: BTreeSet<(u32, Anchor, u32, Anchor)> = BTreeSet::new();
    for (kind, info) in data.schema.kinds.iter().enumerate() {
        let Some(objects) = data.members.objects[kind].as_ref() else {
            continue;
        };
        for part in &data.members.parts[kind] {
            for row in part.iter() {
                let Some(earlier) = objects.earlier(row) else {
                    continue;
                };
                for (column, name) in info.columns.iter().enumerate() {
                    let (Some(here), Some(there)) =
                        (data.cell(row, column), data.cell(earlier, column))
                    else {
                        continue;
                    };
                    let (a, b) = (normalised(here), normalised(there));
                    if a.is_empty() || b.is_empty() || a == b {
                        continue;
                    }
                    let (at, from) = (
                        data.anchor_of_cell(row, column),
                        data.anchor_of_cell(earlier, column),
                    );
                    if !seen.insert((row.file, at, earlier.file, from)) {
                        continue;
                    }
                    let other = &data.inventory.files[earlier.file as usize].display;
                    // Named by its key (a user by SIP address), else its first identity.
                    let key = info.keys.first().filter(|_| info.has_primary);
                    let who = key
                        .iter()
                        .flat_map(|k| k.columns.iter())
                        .chain(&info.identity)
                        .find_map(|&c| data.cell(row, c).filter(|v| !v.trim().is_empty()))
                        .map_or_else(|| "this object".to_string(), quoted);
                    let mut finding = Finding::new(
                        builtin::CONFLICT.0,
                        builtin::CONFLICT.1,
                        format!(
                            "`{name}` of {who} is `{}` here but `{}` in `{other}` (row {}): two \
                             exports of this `{}` object disagree",
                            quoted(here.trim()),
                            quoted(there.trim()),
                            earlier.row + 1,
                            info.name
                        ),
                        data.location(row, at, Some(here.to_string())),
                    )
                    .with_help(
                        "Export the tables again at the same time (or drop the stale file): each \
                         rule reads the value of the file it checks",
                    );
                    finding.identity = data.identity(kind, row);
                    finding.related.push(Related {
                        location: data.location(earlier, from, Some(there.to_string())),
                        message: format!(
                            "the same {} with `{name}` = `{}`",
                            info.name,
                            there.trim()
                        )
                        .into(),
                    });
                    out.push(finding);
                }
            }
        }
    }
    out
}
