//! The **schema** a compiler resolves names against: the table **kinds** (declared columns
//! and the header names seen in files, keys, views), the value **maps**, and the run's
//! target and retiring pools. A **kind id** and a **column id** are indexes into it.

use std::collections::BTreeMap;

use super::node::Node;
use super::{ColumnId, KindId};

/// What a compiler knows about the tables: kinds with their columns and keys, value maps.
#[derive(Debug, Default)]
pub struct Schema {
    pub kinds: Vec<KindInfo>,
    pub maps: Vec<MapInfo>,
    /// The migration target and retiring pools of the run (`target()`, `retiring(pool)`).
    pub run: RunParams,
}

/// What a run is for, read by the expression functions `target()`, `target_version()` and
/// `retiring(pool)`.
#[derive(Debug, Default)]
pub struct RunParams {
    pub target: Option<crate::target::Target>,
    pub retiring: crate::target::Retiring,
}

#[derive(Debug)]
pub struct KindInfo {
    pub name: String,
    /// Canonical column names: declared ones first, then header names seen in files.
    pub columns: Vec<String>,
    /// Other header names (lower-case) → column.
    pub aliases: BTreeMap<String, ColumnId>,
    /// Key 0 is the primary key when `has_primary`.
    pub keys: Vec<KeyInfo>,
    pub has_primary: bool,
    /// For a view: the kind whose tables also hold its rows (the columns are the same).
    pub base: Option<KindId>,
    /// For a view: which rows of the base kind's tables belong to it.
    pub rows: Option<RowPredicate>,
    /// The rows the kind's rules judge (all when `None`).
    pub judged: Option<RowPredicate>,
    /// Columns identifying an object, most stable first.
    pub identity: Vec<ColumnId>,
}

/// A compiled row predicate of a table declaration (`rows`, `judged`).
#[derive(Debug)]
pub struct RowPredicate {
    pub node: Node,
    pub cache_slots: usize,
    /// Columns it reads (they are kept when reading).
    pub columns: Vec<ColumnId>,
}

#[derive(Debug)]
pub struct KeyInfo {
    pub name: String,
    pub columns: Vec<ColumnId>,
    /// Compiled `normalize` expression over `_`, applied to cells and looked-up values alike.
    pub normalise: Option<Node>,
    pub ignore_case: bool,
    /// Separator of a multi-valued key (see `KeyDecl::split`).
    pub split: Option<String>,
}

#[derive(Debug)]
pub struct MapInfo {
    pub name: String,
    /// Lower-case key → value.
    pub entries: BTreeMap<String, String>,
}

impl Schema {
    pub fn kind(&self, name: &str) -> Option<KindId> {
        self.kinds
            .iter()
            .position(|k| k.name.eq_ignore_ascii_case(name))
    }

    pub fn column(&self, kind: KindId, name: &str) -> Option<ColumnId> {
        let info = &self.kinds[kind];
        info.columns
            .iter()
            .position(|c| c.eq_ignore_ascii_case(name))
            .or_else(|| info.aliases.get(&name.to_ascii_lowercase()).copied())
    }

    pub(super) fn map(&self, name: &str) -> Option<usize> {
        self.maps
            .iter()
            .position(|m| m.name.eq_ignore_ascii_case(name))
    }
}
