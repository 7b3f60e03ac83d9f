//! The **engine**: runs a RuleSet over an inventory.
//!
//! Steps: build the schema from the declarations and the real headers; compile every rule
//! (all errors at once); read the rows keeping only the columns programs use; build each
//! **lookup** (key index) once, read-only afterwards; evaluate row rules in parallel over
//! (rule × file × row range) tasks, uniqueness and whole-table rules per rule; locate the
//! findings (spans only for rows that have one) and sort them (file, position, code).
//! Output is deterministic whatever the number of threads.
//!
//! [`run`] is those stages in order, one file each: `plan` (select and compile the rules,
//! skip those missing a table, choose the columns to keep), `read` (the rows, and the early
//! indexes), `data` (the evaluation view and its indexes), `prepare` (skip what cannot run
//! after all, build the joins), `evaluate` (the tasks; `judge` makes a finding, `group` the
//! grouped ones), `finish` (locate, sort, cap, summarise). `keeper` caps the findings as they
//! arrive; `select` says what `--select`/`--ignore` let through.

mod conflicts;
mod data;
mod evaluate;
pub mod examples;
mod finish;
mod group;
pub mod index;
mod join;
mod judge;
mod keeper;
pub mod members;
mod plan;
mod prepare;
pub mod progress;
mod read;
mod select;

pub use select::code_selected;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use crate::expr::eval::Ctx;
use crate::expr::value::RowRef;
use crate::finding::{Finding, Severity};
use crate::inventory::decl::TableDecl;
use crate::inventory::{DiscoverOptions, Inventory, TableOverride};
use crate::located::LocatedError;
use crate::rule::{build_schema, RuleSet};
use data::Data;
use evaluate::evaluate;
use keeper::Keeper;
use plan::Plan;
use progress::ProgressSink;

/// Rows per evaluation task: big enough to amortise, small enough to balance two cores.
const CHUNK_ROWS: usize = 16 * 1024;

/// What to run.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub discover: DiscoverOptions,
    pub overrides: Vec<TableOverride>,
    /// Profiles selected with `--profile`; rules with profiles run only when one matches.
    pub profiles: Vec<String>,
    /// The migration target (`--target`); a profile presets one when this is `None`.
    pub target: Option<crate::target::Target>,
    /// Globs of the pools being retired (`--retiring-pools`); `decommission` presets `*`.
    pub retiring: Vec<String>,
    /// Codes or prefixes to run (empty: all) and to leave out.
    pub select: Vec<String>,
    pub ignore: Vec<String>,
    /// Columns that reporters read besides the rules' (kind, canonical column names), kept
    /// while the rows are read so that no file is read twice for them (the HTML page). With
    /// none, the cells are freed once the rules have run, and [`Outcome::extract`] finds
    /// nothing.
    pub columns: Vec<(String, Vec<String>)>,
    /// Keep the source lines of each location (for the human format).
    pub excerpts: bool,
    /// Where to send progress events (the library draws nothing).
    pub progress: Option<ProgressSink>,
    /// Keep only the first N findings in output order; the others are only counted (see
    /// [`Omitted`]), so that memory stays bounded when a file produces millions of findings.
    pub max_findings: Option<usize>,
}

/// The cap on findings kept when none is asked for (`--max-findings`): a million findings
/// take about 2 GB; past it they are counted, not kept (10 million took 15.7 GB).
pub const DEFAULT_MAX_FINDINGS: usize = 1_000_000;

/// A rule that did not run, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Skipped {
    pub code: String,
    pub reason: String,
}

/// A table kind absent from the inventory, the rules it kept from running, and the command
/// that exports it: what the summary tells an admin to export for more coverage.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MissingTable {
    pub table: String,
    /// The declaration's export command (empty when it declares none).
    pub export: String,
    /// Codes of the rules skipped for its absence (a rule needing two absent tables is listed
    /// under both), sorted.
    pub rules: Vec<String>,
}

/// The outcome of a run.
#[derive(Debug, Default)]
pub struct Outcome {
    pub findings: Vec<Finding>,
    pub files: usize,
    pub rows: usize,
    pub rules_run: usize,
    /// Codes of the rules that ran (selected, tables present, not skipped), sorted: the rules
    /// that formats describing rules (SARIF, JUnit) list.
    pub ran: Vec<Arc<str>>,
    pub skipped: Vec<Skipped>,
    /// The absent tables behind the skipped rules, most rules first.
    pub missing_tables: Vec<MissingTable>,
    /// Kind → number of files, for summaries.
    pub tables: BTreeMap<String, usize>,
    /// Kind → number of objects (rows less those repeating an object of another export, and
    /// less blank rows), for every kind with rows.
    pub objects: BTreeMap<String, usize>,
    /// What suppressions and the baseline did (filled in after the run, by the caller).
    pub gate: crate::outcome::GateSummary,
    /// The configuration file the run used, as shown to the user (`None`: none); set by the
    /// caller that read it.
    pub config: Option<String>,
    /// The inventory that was checked (files, heads, kinds, the columns rules read), for
    /// reporters that describe the input itself, such as the HTML audit report.
    pub inventory: Inventory,
    /// The columns held in memory for each file read, for memory accounting.
    pub kept: Vec<Kept>,
    /// Findings past [`Options::max_findings`]: counted, not kept.
    pub omitted: Omitted,
    /// Which rows make up each kind (by kind number, see `kinds`), for reporters that count
    /// objects.
    pub members: members::Members,
    /// Kind names by kind number.
    pub kinds: Vec<String>,
}

/// The columns of one file that a run held in memory: those the rules read, the key columns
/// of their lookups and the primary key (for identities). All others were parsed and dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kept {
    pub file: Arc<str>,
    pub kind: Option<Arc<str>>,
    pub rows: usize,
    pub columns: Vec<String>,
    /// Bytes of text of their cells (UTF-8).
    pub bytes: u64,
}

impl Outcome {
    /// Columns `columns` of the objects of `kind`: the rows of its own tables and, for a
    /// view, of its base kind's tables that belong to it; one row per object (its first),
    /// and only the rows the kind's rules judge when `judged_only`.
    pub fn extract(
        &self,
        kind: &str,
        columns: &[&str],
        judged_only: bool,
    ) -> crate::inventory::extract::Extract {
        let members = &self.members;
        let Some(k) = self.kinds.iter().position(|n| n == kind) else {
            return Default::default();
        };
        let wanted: Vec<(usize, Option<Vec<usize>>)> = members
            .parts
            .get(k)
            .map(|parts| {
                parts
                    .iter()
                    .map(|part| {
                        let rows = part
                            .iter()
                            .filter(|&r| !judged_only || members.judged(k, r))
                            .filter(|&r| members.earlier(k, r).is_none())
                            .map(|r| r.row as usize)
                            .collect();
                        (part.file as usize, Some(rows))
                    })
                    .collect()
            })
            .unwrap_or_default();
        self.inventory.extract_rows(&wanted, columns)
    }

    /// Keep the first `max` findings (in output order) and count the others as omitted: the
    /// cap applied after the run, when findings were filtered after the engine (suppressions,
    /// baselines) and the engine could not cap them itself.
    pub fn truncate_findings(&mut self, max: usize) {
        if self.findings.len() > max {
            for finding in self.findings.split_off(max) {
                self.omitted.add(&finding.code, finding.severity);
            }
        }
    }

    /// Counts per severity of every finding of the run, kept or omitted.
    pub fn counts(&self) -> BTreeMap<Severity, usize> {
        let mut out = counts(&self.findings);
        for (severity, n) in &self.omitted.severities {
            *out.entry(*severity).or_insert(0) += n;
        }
        out
    }

    /// Whether any finding of the run, kept or omitted, has `code`.
    pub fn has_code(&self, code: &str) -> bool {
        self.omitted.codes.contains_key(code) || self.findings.iter().any(|f| &*f.code == code)
    }
}

/// Findings counted but not kept because of [`Options::max_findings`].
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Omitted {
    pub severities: BTreeMap<Severity, usize>,
    pub codes: BTreeMap<Arc<str>, usize>,
}

impl Omitted {
    /// How many findings were left out.
    pub fn count(&self) -> usize {
        self.severities.values().sum()
    }

    fn add(&mut self, code: &Arc<str>, severity: Severity) {
        *self.severities.entry(severity).or_insert(0) += 1;
        *self.codes.entry(code.clone()).or_insert(0) += 1;
    }

    fn merge(&mut self, other: Omitted) {
        for (severity, n) in other.severities {
            *self.severities.entry(severity).or_insert(0) += n;
        }
        for (code, n) in other.codes {
            *self.codes.entry(code).or_insert(0) += n;
        }
    }
}

/// Why a run could not start.
#[derive(Debug)]
pub enum CheckError {
    Rules(Vec<LocatedError>),
    Input(String),
}

/// Check `roots` against `rules`.
pub fn check(roots: &[PathBuf], rules: &RuleSet, options: &Options) -> Result<Outcome, CheckError> {
    let decls = rules.decls();
    let (inventory, findings) =
        Inventory::open(roots, &options.discover, decls.clone(), &options.overrides)
            .map_err(CheckError::Input)?;
    run(inventory, findings, rules, &decls, options)
}

/// Check an already opened inventory (used by `check` and by rule examples): the stages of a
/// run in order, each in its own file.
pub fn run(
    mut inventory: Inventory,
    mut findings: Vec<Finding>,
    rules: &RuleSet,
    decls: &[TableDecl],
    options: &Options,
) -> Result<Outcome, CheckError> {
    crate::inventory::known::raise_known(&inventory, &rules.known(), &mut findings);
    let (schema, compiled) = plan::compile(rules, decls, &inventory, options, &mut findings)?;
    let mut plan = Plan::new(&schema, &inventory, &compiled);
    plan.keep_reported(&schema, &options.columns);
    let read = plan::kinds_read(&schema, &compiled);
    let mut opened = Keeper::new(options, Some(&read));
    opened.add(findings);
    let (mut keeper, early) =
        read::read(&mut inventory, &schema, &mut plan, opened, &read, options);
    let scanned = join::scanned_kinds(&plan.runnable);
    let field_of = std::mem::take(&mut plan.field_of);
    let mut data = Data::build(
        &inventory,
        &schema,
        &plan.kind_of_file,
        field_of,
        &plan.lookups,
        early,
        Some(&scanned),
    );
    prepare::skip_empty_views(&schema, &data, &mut plan.runnable, &mut plan.skipped);
    keeper.add(conflicts::findings(&data));
    prepare::skip_failed_indexes(
        &schema,
        &inventory,
        &mut data,
        &mut plan.runnable,
        &mut plan.skipped,
        &mut keeper,
    );
    prepare::build_joins(&mut data, &plan.runnable);
    keeper.add_kept(evaluate(&data, &plan.runnable, &mut plan.skipped, options));
    keeper.prune();
    let (packed, mut omitted) = keeper.into_parts();
    // The evaluation's tables and lookups go before the files are read again to locate the
    // findings: 64 MB of the peak on 1M users. So do the cells when no reporter reads them
    // (only the HTML page does), before the findings are unpacked.
    let members = std::mem::take(&mut data.members);
    drop(data);
    let kept = finish::kept(&inventory);
    if options.columns.is_empty() {
        inventory.drop_cells();
    }
    let findings = crate::finding::unpack_all(packed);
    let findings = finish::locate(&inventory, findings, &mut omitted, options);
    Ok(finish::report(
        inventory, kept, &schema, plan, members, findings, omitted, decls,
    ))
}

/// Counts per severity.
pub fn counts(findings: &[Finding]) -> BTreeMap<Severity, usize> {
    // Counted in an array first: a map entry per finding cost 20 ms at 400,000 findings, and
    // the count is asked for by the reporters and the exit code.
    let (mut info, mut warning, mut error) = (0, 0, 0);
    for f in findings {
        match f.severity {
            Severity::Info => info += 1,
            Severity::Warning => warning += 1,
            Severity::Error => error += 1,
        }
    }
    [
        (Severity::Info, info),
        (Severity::Warning, warning),
        (Severity::Error, error),
    ]
    .into_iter()
    .filter(|&(_, n)| n > 0)
    .collect()
}

/// Evaluate one expression on data row `row` (1-based) of table `kind` of an in-memory
/// inventory made of `(kind, csv)` tables, and render the value as a message would. For
/// documentation examples and tests.
pub fn evaluate_on(
    rules: &RuleSet,
    tables: &[(&str, &str)],
    kind: &str,
    row: usize,
    text: &str,
) -> Result<String, String> {
    let decls = rules.decls();
    let memory = tables
        .iter()
        .map(|(k, csv)| {
            (
                format!("{k}.csv"),
                Some(k.to_string()),
                csv.as_bytes().to_vec(),
            )
        })
        .collect();
    let (mut inventory, _) = Inventory::from_memory(memory, decls.clone())?;
    inventory.read_rows(|file| vec![true; file.header().len()]);
    let (schema, errors) = build_schema(&decls, &rules.maps(), Some(&inventory));
    if let Some(e) = errors.first() {
        return Err(e.message.to_string());
    }
    let this = schema
        .kind(kind)
        .ok_or_else(|| format!("unknown table `{kind}`"))?;
    let expr = crate::expr::parse(text).map_err(|e| e.message)?;
    let mut compiler = crate::expr::Compiler::new(&schema, Some(this), Vec::new());
    let compiled = compiler.compile(0, &expr);
    if let Some(e) = compiler.errors.first() {
        return Err(e.message.clone());
    }
    let compiled = compiled.ok_or("does not compile")?;
    let kind_of_file = plan::kinds_of_files(&schema, &inventory);
    let field_of = plan::fields_of(&schema, &inventory, &kind_of_file);
    let data = Data::build(
        &inventory,
        &schema,
        &kind_of_file,
        field_of,
        &compiler.lookups_used,
        Vec::new(),
        None,
    );
    let file = kind_of_file
        .iter()
        .position(|k| *k == Some(this))
        .ok_or("no such table")?;
    let mut ctx = Ctx::new(&data, &schema, &[], compiler.cache_slots);
    ctx.set_row(Some(RowRef {
        file: file as u32,
        row: row.saturating_sub(1) as u32,
    }));
    let mut out = String::new();
    ctx.eval(&compiled.node).render(&mut out);
    Ok(out)
}
