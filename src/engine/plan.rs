//! The **plan** of a run, made before any row is read: the rules selected and compiled
//! against the schema (built from the declarations and the real headers), the rules that
//! cannot run for want of a table, and the columns each file must keep.
//!
//! A kind is **present** when a file of it (or, for a view, of its base kind) was found; a
//! rule is **runnable** when every table it reads is present or optional. A kind's
//! **sources** are the files its rows may come from: its own, and its base kind's for a view.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use crate::expr::compile::{ColumnId, KindId, RunParams, Schema};
use crate::finding::{builtin, Anchor, Finding, Location};
use crate::inventory::decl::TableDecl;
use crate::inventory::Inventory;
use crate::located::LocatedError;
use crate::rule::{build_schema, CompiledRule, Rule, RuleSet, Shape};
use crate::target::Retiring;

use super::select::is_selected;
use super::{CheckError, Options, Skipped};

/// Build the schema of the run and compile the selected rules against it, all errors at
/// once. A rule whose compiling panics is reported in `findings` and left out.
pub(super) fn compile(
    rules: &RuleSet,
    decls: &[TableDecl],
    inventory: &Inventory,
    options: &Options,
    findings: &mut Vec<Finding>,
) -> Result<(Schema, Vec<CompiledRule>), CheckError> {
    let (mut schema, mut errors) = build_schema(decls, &rules.maps(), Some(inventory));
    let (target, retiring) =
        crate::target::resolve(options.target, &options.retiring, &options.profiles);
    schema.run = RunParams {
        target,
        retiring: Retiring::new(&retiring).map_err(CheckError::Input)?,
    };
    let selected = rules
        .rules()
        .filter(|r| is_selected(&r.code, &r.profiles, options))
        .filter(|r| r.targets.is_empty() || target.is_some_and(|t| r.targets.contains(&t)));
    let mut compiled = Vec::new();
    for rule in selected {
        compiled.extend(compile_one(rule, &schema, &mut errors, findings));
    }
    if !errors.is_empty() {
        return Err(CheckError::Rules(errors));
    }
    Ok((schema, compiled))
}

/// Compile one rule, its errors going to `errors`. A panic costs that rule only: it is
/// reported in `findings`, and the others run.
fn compile_one(
    rule: &Rule,
    schema: &Schema,
    errors: &mut Vec<LocatedError>,
    findings: &mut Vec<Finding>,
) -> Option<CompiledRule> {
    let compile = || {
        crate::fault::inject("compile", &rule.code);
        rule.compile(schema)
    };
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(compile)) {
        Ok(Ok(c)) => return Some(c),
        Ok(Err(mut e)) => errors.append(&mut e),
        Err(panic) => findings.push(Finding::new(
            builtin::INTERNAL.0,
            builtin::INTERNAL.1,
            format!(
                "internal error while compiling {}: {}; the rule did not run. Please report it",
                rule.code,
                crate::fault::panic_text(panic.as_ref())
            ),
            Location::new(
                usize::MAX,
                Arc::from(rule.source.name.as_ref()),
                Anchor::File,
            ),
        )),
    }
    None
}

/// Kinds of table the compiled rules read: the findings saying such a table could not be
/// read whole are shown whatever `--select` says.
pub(super) fn kinds_read(schema: &Schema, compiled: &[CompiledRule]) -> BTreeSet<String> {
    compiled
        .iter()
        .flat_map(|r| r.programs.iter().flat_map(|p| p.kinds_used.iter()))
        .map(|&k| schema.kinds[k].name.clone())
        .collect()
}

/// What to read and what to run.
pub(super) struct Plan<'a> {
    /// The kind of each file (`None`: not a table, or not read whole).
    pub(super) kind_of_file: Vec<Option<KindId>>,
    pub(super) present: BTreeSet<KindId>,
    pub(super) runnable: Vec<&'a CompiledRule>,
    pub(super) skipped: Vec<Skipped>,
    /// Absent kind → codes of the rules it kept from running.
    pub(super) missing_rules: BTreeMap<&'a str, Vec<String>>,
    /// Columns to keep per kind: what the programs read plus the key columns of lookups.
    pub(super) used: BTreeSet<(KindId, ColumnId)>,
    /// The (kind, key) indexes the programs look up.
    pub(super) lookups: BTreeSet<(KindId, usize)>,
    /// Per file, the field holding each schema column of its kind.
    pub(super) field_of: Vec<Vec<Option<usize>>>,
    /// Kinds whose rows all come from one file: their indexes are built as soon as it is read.
    pub(super) single_file: BTreeSet<KindId>,
}

impl<'a> Plan<'a> {
    pub(super) fn new(
        schema: &'a Schema,
        inventory: &Inventory,
        compiled: &'a [CompiledRule],
    ) -> Plan<'a> {
        let kind_of_file = kinds_of_files(schema, inventory);
        let present = present_kinds(schema, &kind_of_file);
        let field_of = fields_of(schema, inventory, &kind_of_file);
        let mut plan = Plan {
            kind_of_file,
            present,
            runnable: Vec::new(),
            skipped: Vec::new(),
            missing_rules: BTreeMap::new(),
            used: BTreeSet::new(),
            lookups: BTreeSet::new(),
            field_of,
            single_file: BTreeSet::new(),
        };
        for rule in compiled {
            plan.sort_rule(schema, rule);
        }
        plan.columns_to_keep(schema);
        // (Not for a view's rows in its base kind's files: which rows are the view's is
        // known only once every file is read.)
        plan.single_file = plan
            .present
            .iter()
            .copied()
            .filter(|&k| {
                sources(schema, &plan.kind_of_file, k) == 1 && plan.kind_of_file.contains(&Some(k))
            })
            .collect();
        plan
    }

    /// Runnable, or skipped for the tables it reads that are absent.
    fn sort_rule(&mut self, schema: &'a Schema, rule: &'a CompiledRule) {
        let missing: BTreeSet<&str> = rule
            .programs
            .iter()
            .flat_map(|p| p.kinds_used.iter())
            .filter(|k| !self.present.contains(k))
            .map(|&k| schema.kinds[k].name.as_str())
            .filter(|name| !rule.rule.optional_tables.iter().any(|o| o == name))
            .collect();
        let unique_some_present = matches!(rule.rule.shape, Shape::Unique(_))
            && rule
                .programs
                .iter()
                .any(|p| p.this.is_some_and(|k| self.present.contains(&k)));
        if missing.is_empty() || unique_some_present {
            self.runnable.push(rule);
            return;
        }
        for kind in &missing {
            self.missing_rules
                .entry(kind)
                .or_default()
                .push(rule.rule.code.to_string());
        }
        self.skipped.push(Skipped {
            code: rule.rule.code.to_string(),
            reason: format!(
                "no {} table in the inventory",
                missing
                    .into_iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        });
    }

    /// The columns to keep per kind (`used`) and the lookups (`lookups`) of the runnable rules.
    fn columns_to_keep(&mut self, schema: &Schema) {
        let used = &mut self.used;
        for rule in &self.runnable {
            for p in &rule.programs {
                used.extend(p.columns_used.iter().copied());
                self.lookups.extend(p.lookups_used.iter().copied());
            }
        }
        for &(kind, key) in &self.lookups {
            for &c in &schema.kinds[kind].keys[key].columns {
                used.insert((kind, c));
            }
        }
        // Identity of rows (baselines): the primary key columns of the tables rules check.
        let checked: BTreeSet<KindId> = self
            .runnable
            .iter()
            .flat_map(|r| r.programs.iter().filter_map(|p| p.this))
            .collect();
        for (kind, info) in schema.kinds.iter().enumerate() {
            if info.has_primary && checked.contains(&kind) {
                for &c in &info.keys[0].columns {
                    used.insert((kind, c));
                }
            }
            // What decides membership, judging and objects is read too.
            if self.present.contains(&kind) {
                let predicates = info.rows.iter().chain(&info.judged);
                used.extend(predicates.flat_map(|p| p.columns.iter().map(|&c| (kind, c))));
                if sources(schema, &self.kind_of_file, kind) > 1 {
                    used.extend(info.identity.iter().map(|&c| (kind, c)));
                }
            }
        }
    }

    /// Keep also the columns reporters asked for (`kind` → canonical names or aliases); names
    /// the schema does not know are left out, as the reporter reads them as empty anyway.
    pub(super) fn keep_reported(&mut self, schema: &Schema, columns: &[(String, Vec<String>)]) {
        for (kind, names) in columns {
            let Some(k) = schema.kind(kind) else { continue };
            let columns = names.iter().filter_map(|name| schema.column(k, name));
            self.used.extend(columns.map(|c| (k, c)));
        }
    }

    /// Which fields of `file` to keep: the columns the plan uses of its kind (a view's
    /// columns are its base kind's: they are read from its files too).
    pub(super) fn fields_to_keep(&self, schema: &Schema, file: usize, width: usize) -> Vec<bool> {
        let mut keep = vec![false; width];
        if let Some(kind) = self.kind_of_file[file] {
            for &(k, c) in &self.used {
                if k == kind || schema.kinds[k].base == Some(kind) {
                    if let Some(Some(f)) = self.field_of[file].get(c) {
                        keep[*f] = true;
                    }
                }
            }
        }
        keep
    }
}

/// The kind of each file of `inventory` in `schema`.
pub(super) fn kinds_of_files(schema: &Schema, inventory: &Inventory) -> Vec<Option<KindId>> {
    inventory
        .files
        .iter()
        .map(|f| f.kind.as_deref().and_then(|k| schema.kind(k)))
        .collect()
}

/// Per file, the field holding each schema column of its kind.
pub(super) fn fields_of(
    schema: &Schema,
    inventory: &Inventory,
    kind_of_file: &[Option<KindId>],
) -> Vec<Vec<Option<usize>>> {
    inventory
        .files
        .iter()
        .zip(kind_of_file)
        .map(|(file, kind)| match (kind, file.decl) {
            (Some(k), Some(d)) => {
                inventory.decls[d].find_columns(file.header(), &schema.kinds[*k].columns)
            }
            _ => Vec::new(),
        })
        .collect()
}

/// The kinds with a file, and the views of those (whether a view has rows is known once
/// read).
fn present_kinds(schema: &Schema, kind_of_file: &[Option<KindId>]) -> BTreeSet<KindId> {
    let mut present: BTreeSet<KindId> = kind_of_file.iter().flatten().copied().collect();
    for (kind, info) in schema.kinds.iter().enumerate() {
        if info.base.is_some_and(|b| present.contains(&b)) {
            present.insert(kind);
        }
    }
    present
}

/// How many files the rows of `kind` may come from.
fn sources(schema: &Schema, kind_of_file: &[Option<KindId>], kind: KindId) -> usize {
    kind_of_file
        .iter()
        .filter(|k| **k == Some(kind) || (k.is_some() && *k == &schema.kinds[kind].base))
        .count()
}
