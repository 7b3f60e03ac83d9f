//! The **model** of a rule: the types loading produces and compiling consumes.
//!
//! A [`Rule`] is one parsed rule file: its metadata, its [`Shape`] (what it iterates) and its
//! expressions as [`ExprSource`]s (source text plus where it sits in the file, for error
//! spans). A message **template** is a list of [`TemplatePart`]s. Compiling a rule against a
//! [`Schema`](crate::expr::compile::Schema) gives a [`CompiledRule`]: one [`Program`] per
//! table kind it checks, message templates compiled to [`CompiledMessage`]s.

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::Arc;

use crate::expr::ast::Expr;
use crate::expr::compile::{KindId, Node};
use crate::finding::Severity;
use crate::inventory::decl::{KnownDecl, TableDecl, TablesFile};

use super::file::{Doc, Example};
use crate::located::{LocatedError, SourceText};

/// One expression of a rule and where it sits in the rule file.
#[derive(Debug, Clone)]
pub struct ExprSource {
    pub what: String,
    pub text: String,
    /// File offset of the expression's first character.
    pub base: usize,
    /// False when offsets inside the expression do not map one to one (escapes).
    pub exact: bool,
    /// Span of the whole TOML value.
    pub value_span: std::ops::Range<usize>,
    pub expr: Option<Expr>,
}

impl ExprSource {
    /// An error at `span` (offsets in the expression text) of an expression.
    pub fn error(
        &self,
        source: &SourceText,
        span: Range<usize>,
        message: String,
        help: Option<String>,
    ) -> LocatedError {
        let file_span = if self.exact {
            self.base + span.start..self.base + span.end.max(span.start)
        } else {
            self.value_span.clone()
        };
        let message = format!("in `{}`: {message}", self.what);
        LocatedError::at_value(source, file_span, message, help)
    }
}

/// A part of a message template.
#[derive(Debug, Clone)]
pub enum TemplatePart {
    Text(String),
    /// Index into the rule's expression sources.
    Expr(usize),
}

/// What a rule iterates.
#[derive(Debug, Clone)]
pub enum Shape {
    /// Row by row over one table kind.
    Rows(String),
    /// Uniqueness of an expression over one or more table kinds.
    Unique(Vec<String>),
    /// Once over the whole inventory.
    Whole,
}

/// A loaded (parsed, not yet compiled) rule.
#[derive(Debug, Clone)]
pub struct Rule {
    pub code: Arc<str>,
    pub title: String,
    pub severity: Severity,
    pub help: Arc<str>,
    pub doc: Doc,
    pub pack: String,
    pub source: SourceText,
    pub profiles: Vec<String>,
    /// Targets the rule is for (empty: every target, and none).
    pub targets: Vec<crate::target::Target>,
    pub shape: Shape,
    pub exprs: Vec<ExprSource>,
    pub bindings: Vec<(String, usize)>,
    pub where_: Option<usize>,
    pub assert: Option<usize>,
    pub unique: Option<usize>,
    /// `group-by`: one finding per distinct value (row rules only).
    pub group_by: Option<usize>,
    /// Kinds the rule runs without (`optional-tables`).
    pub optional_tables: Vec<String>,
    /// Columns of the checked table a file may lack (`optional-columns`).
    pub optional_columns: Vec<String>,
    pub at: Option<usize>,
    pub message: Vec<TemplatePart>,
    pub related: Vec<(usize, Vec<TemplatePart>)>,
    pub examples: Vec<Example>,
}

/// A pack: its name, its table declarations and maps, its rules.
#[derive(Debug, Clone, Default)]
pub struct Pack {
    pub name: String,
    pub tables: TablesFile,
    pub rules: Vec<Rule>,
}

/// Every loaded pack of a run.
#[derive(Debug, Default)]
pub struct RuleSet {
    pub packs: Vec<Pack>,
}

impl RuleSet {
    pub fn rules(&self) -> impl Iterator<Item = &Rule> {
        self.packs.iter().flat_map(|p| p.rules.iter())
    }

    /// The codes of every rule, in pack order.
    pub fn codes(&self) -> impl Iterator<Item = &str> {
        self.rules().map(|r| &*r.code)
    }

    pub fn rule(&self, code: &str) -> Option<&Rule> {
        self.rules().find(|r| r.code.eq_ignore_ascii_case(code))
    }

    /// All table declarations, first declaration of a kind winning.
    pub fn decls(&self) -> Vec<TableDecl> {
        let mut out: Vec<TableDecl> = Vec::new();
        for pack in &self.packs {
            for decl in &pack.tables.table {
                if !out.iter().any(|d| d.kind == decl.kind) {
                    out.push(decl.clone());
                }
            }
        }
        out
    }

    /// Every pack's `[[known]]` shapes (cmdlet outputs recognised but not read yet).
    pub fn known(&self) -> Vec<KnownDecl> {
        self.packs
            .iter()
            .flat_map(|p| p.tables.known.iter().cloned())
            .collect()
    }

    pub fn maps(&self) -> BTreeMap<String, BTreeMap<String, String>> {
        let mut out = BTreeMap::new();
        for pack in &self.packs {
            for (name, map) in &pack.tables.maps {
                out.entry(name.clone()).or_insert_with(|| map.clone());
            }
        }
        out
    }
}

/// A rule's expressions compiled for one table kind (or for the whole inventory).
#[derive(Debug)]
pub struct Program {
    pub this: Option<KindId>,
    pub bindings: Vec<Node>,
    pub cache_slots: usize,
    pub where_: Option<Node>,
    pub assert: Option<Node>,
    pub unique: Option<Node>,
    pub group_by: Option<Node>,
    pub at: Option<Node>,
    pub message: CompiledMessage,
    pub related: Vec<(Node, CompiledMessage)>,
    /// Kinds read (rule skipped when one is absent) and columns read per kind.
    pub kinds_used: Vec<KindId>,
    pub columns_used: Vec<(KindId, usize)>,
    /// The columns read by `where`, `assert` and `unique` (and the bindings they use): a file
    /// of the checked table lacking one of these is skipped.
    pub essential_columns: Vec<(KindId, usize)>,
    pub lookups_used: Vec<(KindId, usize)>,
}

/// A message template compiled: its literal text and holes, and the expression whose value
/// fills each hole, in order.
#[derive(Debug)]
pub struct CompiledMessage {
    pub template: crate::finding::Template,
    pub values: Vec<Node>,
}

/// A rule compiled against the schema.
#[derive(Debug)]
pub struct CompiledRule {
    pub rule: Rule,
    /// One program per kind checked (one for row and whole rules, one per table for unique).
    pub programs: Vec<Program>,
}
