//! The rule-file format: serde structures mirroring one rule TOML file.
//!
//! Expressions are kept with their spans (`toml::Spanned`) so that an error inside an
//! expression is labelled on the exact characters in the file. Write them as TOML literal
//! strings (`'…'`, `'''…'''`): they have no escapes, so offsets map one to one.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleFile {
    /// Stable code, never reused (`PC001`).
    pub code: Spanned<String>,
    pub title: String,
    /// `error`, `warning` or `info`.
    pub severity: Spanned<String>,
    /// The table kind checked row by row (at most one finding per row). Omit it for a rule
    /// over whole tables (aggregates).
    #[serde(default)]
    pub table: Option<Spanned<String>>,
    /// A uniqueness rule: this expression must not repeat. With `tables`, across tables.
    #[serde(default)]
    pub unique: Option<Spanned<String>>,
    #[serde(default)]
    pub tables: Vec<Spanned<String>>,
    /// One finding per cause: rows whose assertion fails are reported once per distinct value
    /// of this expression (trimmed, case ignored), at the first such row, with the count
    /// (`group_count` in messages) and the next rows as related locations. An empty or
    /// missing value reports the row on its own. Only with `table`.
    #[serde(default, rename = "group-by")]
    pub group_by: Option<Spanned<String>>,
    /// Tables the rule runs without: when absent, their lookups find nothing (instead of the
    /// rule being skipped). For evidence gathered from several optional exports.
    #[serde(default, rename = "optional-tables")]
    pub optional_tables: Vec<Spanned<String>>,
    /// Columns of the checked table that `where`/`assert` read but an export may lack: such a
    /// file is still checked, the column reading as missing (instead of the file being skipped).
    #[serde(default, rename = "optional-columns")]
    pub optional_columns: Vec<Spanned<String>>,
    /// Rows the rule applies to.
    #[serde(default, rename = "where")]
    pub where_: Option<Spanned<String>>,
    /// Named bindings, usable in every expression of the rule (and in each other).
    #[serde(default, rename = "let")]
    pub bindings: BTreeMap<String, Spanned<String>>,
    /// What must hold; a finding is reported where it is false.
    #[serde(default)]
    pub assert: Option<Spanned<String>>,
    /// The primary cell: a column of the row, or of a looked-up row (`home.Version`).
    #[serde(default)]
    pub at: Option<Spanned<String>>,
    /// Message template with `{expression}` placeholders.
    pub message: Spanned<String>,
    /// The concrete fix.
    pub help: String,
    /// Phases the rule belongs to (`post-migration`, `decommission`). A rule without
    /// profiles always runs; one with profiles runs only under `--profile`.
    #[serde(default)]
    pub profiles: Vec<String>,
    /// Migration targets the rule is for (`lync2013`, `sfb2015`, `sfb2019`, `sfbse`,
    /// `teams`): it runs only when the run's target (`--target`, or a profile's) is one of
    /// them. A rule without targets runs whatever the target.
    #[serde(default)]
    pub targets: Vec<String>,
    #[serde(default)]
    pub related: Vec<RelatedDecl>,
    pub doc: Doc,
    #[serde(default, rename = "example")]
    pub examples: Vec<Example>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelatedDecl {
    pub at: Spanned<String>,
    #[serde(default)]
    pub message: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct Doc {
    /// Why the rule exists: the coexistence fact behind it.
    pub why: String,
    /// The Microsoft documentation it follows.
    #[serde(default)]
    pub url: Option<String>,
}

/// An example: a few CSV lines per table and how many findings of this rule they give.
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Example {
    pub name: String,
    /// Number of findings of this rule expected (0: the rule stays quiet).
    pub expect: usize,
    /// Data rows (1-based, in the rule's table) the findings must be on, in order.
    #[serde(default)]
    pub rows: Option<Vec<u64>>,
    /// Table kind → CSV text (header first).
    pub tables: BTreeMap<String, String>,
    /// The target the example runs under (default: the rule's first target, if any).
    #[serde(default)]
    pub target: Option<String>,
    /// Retiring-pool globs the example runs with.
    #[serde(default)]
    pub retiring_pools: Vec<String>,
}
