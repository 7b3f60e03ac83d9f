//! **Rules**, **packs** and the **RuleSet** of a run.
//!
//! A rule is one TOML file under `rules/<pack>/` (see [`mod@file`]); a pack is a folder of rules
//! plus its `tables.toml` (table declarations and value maps). The shipped packs are embedded
//! in the binary. Loading parses every file and every expression and reports *all* mistakes
//! at once as [`LocatedError`](crate::located::LocatedError)s with spans inside the rule file; [`Rule::compile`] then binds
//! the expressions to the kinds and headers of the inventory.
//!
//! The files, in the order a rule goes through them: `load` (packs and files → [`RuleSet`]),
//! `parse` (one rule file → [`Rule`]), `schema` ([`build_schema`]: the kinds and columns of a
//! run), `compile` ([`Rule`] → [`CompiledRule`]), `reference` (the Markdown reference); the
//! types they share are in `model`.

mod compile;

pub mod file;
mod load;
mod model;
mod parse;
mod reference;
mod schema;
pub mod tables;

pub use model::{
    CompiledMessage, CompiledRule, ExprSource, Pack, Program, Rule, RuleSet, Shape, TemplatePart,
};
pub use parse::is_web_url;
pub use reference::reference_markdown;
pub use schema::build_schema;
pub use tables::tables_reference;

/// The migration phases a rule can belong to (`profiles = [...]` in a rule file, `--profile`).
pub const PROFILES: &[&str] = &crate::target::PROFILE_NAMES;

/// Deepest expression tree accepted: compiling and evaluating recurse over the tree, and a
/// 1 MB `a && a && …` chain must be an error, not a stack overflow.
pub const MAX_EXPR_DEPTH: usize = 256;
