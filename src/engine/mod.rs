//! The **engine**: runs a RuleSet over an inventory.
//!
//! Steps: build the schema from the declarations and the real headers; compile every rule
//! (all errors at once); read the rows keeping only the columns programs use; build each
//! **lookup** (key index) once, read-only afterwards; evaluate row rules in parallel over
//! (rule × file × row range) tasks, uniqueness and whole-table rules per rule; locate the
//! findings (spans only for rows that have one) and sort them (file, position, code).
//! Output is deterministic whatever the number of threads.

mod conflicts;
mod data;
mod evaluate;
pub mod examples;
mod group;
pub mod index;
mod join;
pub mod members;
pub mod progress;

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;

use rayon::prelude::*;

use crate::expr::compile::{ColumnId, KindId, Node, RunParams, Schema};
use crate::expr::eval::{Ctx, Tables};
use crate::expr::value::{RowRef, Value};
use crate::finding::{builtin, sort_findings, Anchor, Finding, Location, Related, Severity};
use crate::inventory::decl::TableDecl;
use crate::inventory::table::Column;
use crate::inventory::{DiscoverOptions, Inventory, TableFile, TableOverride};
use crate::rule::{build_schema, CompiledRule, Part, Program, RuleError, RuleSet, Shape};
use crate::target::Retiring;
use data::{guarded_index, index_of_file, Data};
use evaluate::evaluate;
use index::KeyIndex;
use progress::{Phase, Progress, ProgressSink};

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
pub struct Report {
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

impl Report {
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
                self.omitted.add(&finding);
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

    fn add(&mut self, finding: &Finding) {
        *self.severities.entry(finding.severity).or_insert(0) += 1;
        *self.codes.entry(finding.code.clone()).or_insert(0) += 1;
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

/// Keeps (a superset of) the first `max` findings in output order and counts the others,
/// without knowing their lines yet. Record and cell anchors order findings within a file as
/// their spans will (a later record or field starts later in the file), so the findings whose
/// (file, record, field) is above the `max`-th smallest can be dropped early; findings about a
/// whole file or a known position are always kept (there are few per file). Ties are kept, so
/// the exact cut is made after locating and sorting.
struct Keeper<'o> {
    /// `None`: keep everything.
    max: Option<usize>,
    options: &'o Options,
    /// Kinds of table the selected rules read (see [`guards_selected_rules`]).
    read: Option<&'o BTreeSet<String>>,
    kept: Vec<Finding>,
    omitted: Omitted,
}

impl<'o> Keeper<'o> {
    fn new(options: &'o Options, read: Option<&'o BTreeSet<String>>) -> Keeper<'o> {
        Keeper {
            max: options.max_findings,
            options,
            read,
            kept: Vec::new(),
            omitted: Omitted::default(),
        }
    }

    fn add(&mut self, mut found: Vec<Finding>) {
        let read = self.read;
        found.retain(|f| {
            code_selected(&f.code, self.options)
                || (read.is_some_and(|kinds| guards_selected_rules(f, kinds))
                    && !matches_any(&f.code, &self.options.ignore))
        });
        self.kept.append(&mut found);
        // Pruning costs a pass over what is kept: do it when that has doubled.
        if let Some(max) = self.max {
            if self.kept.len() > max.saturating_mul(2).max(max.saturating_add(16 * 1024)) {
                self.prune();
            }
        }
    }

    fn merge(mut self, other: Keeper<'o>) -> Keeper<'o> {
        self.omitted.merge(other.omitted);
        self.add(other.kept);
        self
    }

    fn into_parts(self) -> (Vec<Finding>, Omitted) {
        (self.kept, self.omitted)
    }

    fn prune(&mut self) {
        let Some(max) = self.max else {
            return;
        };
        fn key(f: &Finding) -> Option<(&str, u64, usize)> {
            let file = &*f.location.file;
            match f.location.anchor {
                Anchor::Record { record } => Some((file, record, 0)),
                Anchor::Cell { record, field } => Some((file, record, field)),
                Anchor::File | Anchor::Position { .. } => None,
            }
        }
        let mut keys: Vec<(&str, u64, usize)> = self.kept.iter().filter_map(key).collect();
        if keys.len() <= max {
            return;
        }
        let boundary = match max.checked_sub(1) {
            Some(nth) => {
                let (file, record, field) = *keys.select_nth_unstable(nth).1;
                Some((file.to_string(), record, field))
            }
            None => None,
        };
        let omitted = &mut self.omitted;
        self.kept.retain(|f| {
            let keep = match (key(f), &boundary) {
                (None, _) => true,
                (Some(_), None) => false,
                (Some(k), Some((file, record, field))) => k <= (file.as_str(), *record, *field),
            };
            if !keep {
                omitted.add(f);
            }
            keep
        });
    }
}

/// Why a run could not start.
#[derive(Debug)]
pub enum CheckError {
    Rules(Vec<RuleError>),
    Input(String),
}

/// Check `roots` against `rules`.
pub fn check(roots: &[PathBuf], rules: &RuleSet, options: &Options) -> Result<Report, CheckError> {
    let decls = rules.decls();
    let (inventory, findings) =
        Inventory::open(roots, &options.discover, decls.clone(), &options.overrides)
            .map_err(CheckError::Input)?;
    run(inventory, findings, rules, &decls, options)
}

/// Check an already opened inventory (used by `check` and by rule examples).
pub fn run(
    mut inventory: Inventory,
    mut findings: Vec<Finding>,
    rules: &RuleSet,
    decls: &[TableDecl],
    options: &Options,
) -> Result<Report, CheckError> {
    crate::inventory::known::raise_known(&inventory, &rules.known(), &mut findings);
    let (mut schema, mut errors) = build_schema(decls, &rules.maps(), Some(&inventory));
    let (target, retiring) =
        crate::target::resolve(options.target, &options.retiring, &options.profiles);
    schema.run = RunParams {
        target,
        retiring: Retiring::new(&retiring).map_err(CheckError::Input)?,
    };
    let selected: Vec<&crate::rule::Rule> = rules
        .rules()
        .filter(|r| is_selected(&r.code, &r.profiles, options))
        .filter(|r| r.targets.is_empty() || target.is_some_and(|t| r.targets.contains(&t)))
        .collect();
    let mut compiled = Vec::new();
    for rule in selected {
        // A panic compiling one rule costs that rule only: reported, the others run.
        let compile = || {
            crate::fault::inject("compile", &rule.code);
            rule.compile(&schema)
        };
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(compile)) {
            Ok(Ok(c)) => compiled.push(c),
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
    }
    if !errors.is_empty() {
        return Err(CheckError::Rules(errors));
    }
    // Which kinds are present, and which rules must be skipped.
    let mut kind_of_file: Vec<Option<KindId>> = inventory
        .files
        .iter()
        .map(|f| f.kind.as_deref().and_then(|k| schema.kind(k)))
        .collect();
    let mut present: BTreeSet<KindId> = kind_of_file.iter().flatten().copied().collect();
    // A view is present where its base kind is (whether it has rows is known once read).
    for (kind, info) in schema.kinds.iter().enumerate() {
        if info.base.is_some_and(|b| present.contains(&b)) {
            present.insert(kind);
        }
    }
    // Files a kind's rows may come from: its own, and its base kind's for a view.
    let sources = |kind: KindId| -> usize {
        kind_of_file
            .iter()
            .filter(|k| **k == Some(kind) || (k.is_some() && *k == &schema.kinds[kind].base))
            .count()
    };
    let mut skipped = Vec::new();
    let mut missing_rules: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let mut runnable: Vec<&CompiledRule> = Vec::new();
    for rule in &compiled {
        let missing: BTreeSet<&str> = rule
            .programs
            .iter()
            .flat_map(|p| p.kinds_used.iter())
            .filter(|k| !present.contains(k))
            .map(|&k| schema.kinds[k].name.as_str())
            .filter(|name| !rule.rule.optional_tables.iter().any(|o| o == name))
            .collect();
        let unique_some_present = matches!(rule.rule.shape, Shape::Unique(_))
            && rule
                .programs
                .iter()
                .any(|p| p.this.is_some_and(|k| present.contains(&k)));
        if !missing.is_empty() && !unique_some_present {
            for kind in &missing {
                missing_rules
                    .entry(kind)
                    .or_default()
                    .push(rule.rule.code.to_string());
            }
            skipped.push(Skipped {
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
        } else {
            runnable.push(rule);
        }
    }
    // Columns to keep per file: what the programs read plus the key columns of lookups.
    let mut used: BTreeSet<(KindId, ColumnId)> = BTreeSet::new();
    let mut lookups: BTreeSet<(KindId, usize)> = BTreeSet::new();
    for rule in &runnable {
        for p in &rule.programs {
            used.extend(p.columns_used.iter().copied());
            lookups.extend(p.lookups_used.iter().copied());
        }
    }
    for &(kind, key) in &lookups {
        for &c in &schema.kinds[kind].keys[key].columns {
            used.insert((kind, c));
        }
    }
    // Identity of rows (baselines): the primary key columns of the tables rules check.
    let checked: BTreeSet<KindId> = runnable
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
        if present.contains(&kind) {
            let predicates = info.rows.iter().chain(&info.judged);
            used.extend(predicates.flat_map(|p| p.columns.iter().map(|&c| (kind, c))));
            if sources(kind) > 1 {
                used.extend(info.identity.iter().map(|&c| (kind, c)));
            }
        }
    }
    let field_of: Vec<Vec<Option<usize>>> = inventory
        .files
        .iter()
        .zip(&kind_of_file)
        .map(|(file, kind)| match (kind, file.decl) {
            (Some(k), Some(d)) => {
                let decl = &inventory.decls[d];
                decl.find_columns(file.header(), &schema.kinds[*k].columns)
            }
            _ => Vec::new(),
        })
        .collect();
    let sink = options.progress.as_ref();
    progress::send(
        sink,
        Progress::Counts {
            files: inventory.files.len() as u64,
            rows: 0,
        },
    );
    progress::send(
        sink,
        Progress::Start {
            phase: Phase::Reading,
            total: inventory.bytes_to_read(),
        },
    );
    let read = |bytes| {
        progress::send(
            sink,
            Progress::Advance {
                phase: Phase::Reading,
                done: bytes,
            },
        )
    };
    let counted: Option<&(dyn Fn(u64) + Sync)> = sink.map(|_| &read as _);
    // The key indexes of a table held in one file are built by the thread that read it, as
    // soon as it has, while bigger files are still being read. (Not for a view's rows in its
    // base kind's files: which rows are the view's is known only once every file is read.)
    let single_file: BTreeSet<KindId> = present
        .iter()
        .copied()
        .filter(|&k| sources(k) == 1 && kind_of_file.contains(&Some(k)))
        .collect();
    let early = std::sync::Mutex::new(Vec::new());
    let build_early = |file: &TableFile| {
        let Some(kind) = kind_of_file[file.id].filter(|k| single_file.contains(k)) else {
            return;
        };
        for &(k, key) in lookups.iter().filter(|(k, _)| *k == kind) {
            let index = guarded_index(&schema, k, || {
                index_of_file(&schema, file, &field_of[file.id], k, key)
            });
            if let Ok(mut early) = early.lock() {
                early.push(((k, key), index));
            }
        }
    };
    // The reading pass's findings go through the keeper batch by batch (see `Keeper`).
    // Kinds the selected rules read: the findings saying such a table could not be read
    // whole are shown whatever `--select` says.
    let read: BTreeSet<String> = compiled
        .iter()
        .flat_map(|r| r.programs.iter().flat_map(|p| p.kinds_used.iter()))
        .map(|&k| schema.kinds[k].name.clone())
        .collect();
    let mut opened = Keeper::new(options, Some(&read));
    opened.add(findings);
    let batches = inventory.read_rows_batched(
        |file| {
            let mut keep = vec![false; file.header().len()];
            if let Some(kind) = kind_of_file[file.id] {
                for &(k, c) in &used {
                    // A view's columns are its base kind's: they are read from its files too.
                    if k == kind || schema.kinds[k].base == Some(kind) {
                        if let Some(Some(f)) = field_of[file.id].get(c) {
                            keep[*f] = true;
                        }
                    }
                }
            }
            keep
        },
        counted,
        Some(&build_early),
    );
    let mut keeper = opened.merge(
        batches
            .fold(
                || Keeper::new(options, Some(&read)),
                |mut keeper, found| {
                    keeper.add(found);
                    keeper
                },
            )
            .reduce(|| Keeper::new(options, Some(&read)), Keeper::merge),
    );
    let early = early.into_inner().unwrap_or_default();
    for (i, file) in inventory.files.iter().enumerate() {
        if file.failed {
            kind_of_file[i] = None;
        }
    }
    progress::send(
        sink,
        Progress::Counts {
            files: inventory.files.len() as u64,
            rows: inventory.total_rows() as u64,
        },
    );
    progress::send(
        sink,
        Progress::Start {
            phase: Phase::Indexing,
            total: 0,
        },
    );
    let scanned = join::scanned_kinds(&runnable);
    let mut data = Data::build(
        &inventory,
        &schema,
        &kind_of_file,
        field_of,
        &lookups,
        early,
        Some(&scanned),
    );
    // A view whose base tables hold none of its rows is absent after all.
    // (An optional table may be absent: the rule runs, its lookups find nothing.)
    let empty_view_of = |rule: &CompiledRule, k: KindId| {
        let info = &schema.kinds[k];
        info.base.is_some()
            && data.members.rows(k) == 0
            && !rule.rule.optional_tables.contains(&info.name)
    };
    let (empty, kept): (Vec<&CompiledRule>, Vec<&CompiledRule>) =
        runnable.into_iter().partition(|rule| {
            let empty_view = |k: &KindId| empty_view_of(rule, *k);
            match rule.rule.shape {
                Shape::Unique(_) => rule
                    .programs
                    .iter()
                    .all(|p| p.this.as_ref().is_none_or(empty_view)),
                _ => rule
                    .programs
                    .iter()
                    .any(|p| p.kinds_used.iter().any(empty_view)),
            }
        });
    runnable = kept;
    for rule in empty {
        let views: BTreeSet<&str> = rule
            .programs
            .iter()
            .flat_map(|p| p.kinds_used.iter())
            .filter(|k| empty_view_of(rule, **k))
            .map(|k| schema.kinds[*k].name.as_str())
            .collect();
        let views: Vec<&str> = views.into_iter().collect();
        skipped.push(Skipped {
            code: rule.rule.code.to_string(),
            reason: format!(
                "no {} rows in the exports of their services",
                crate::inventory::list(&views)
            ),
        });
    }
    keeper.add(conflicts::findings(&data));
    // A rule that looks up a key whose index could not be built does not run (it would see
    // every lookup as missing); each file of that table gets an internal-error finding.
    for ((kind, key), what) in std::mem::take(&mut data.failed) {
        let (lost, kept): (Vec<&CompiledRule>, Vec<&CompiledRule>) =
            runnable.into_iter().partition(|r| {
                r.programs
                    .iter()
                    .any(|p| p.lookups_used.contains(&(kind, key)))
            });
        runnable = kept;
        let mut codes: Vec<&str> = lost.iter().map(|r| &*r.rule.code).collect();
        codes.sort_unstable();
        let table = &schema.kinds[kind].name;
        for rule in &lost {
            skipped.push(Skipped {
                code: rule.rule.code.to_string(),
                reason: format!("internal error while indexing the `{table}` table"),
            });
        }
        let files: Vec<usize> = data.members.parts[kind]
            .iter()
            .map(|p| p.file as usize)
            .collect();
        for file in files {
            keeper.add(vec![Finding::new(
                builtin::INTERNAL.0,
                builtin::INTERNAL.1,
                format!(
                    "internal error while indexing the `{table}` table by {}: {what}; rules \
                     that look it up did not run ({}). Please report it",
                    schema.kinds[kind].keys[key]
                        .columns
                        .iter()
                        .map(|&c| format!("`{}`", schema.kinds[kind].columns[c]))
                        .collect::<Vec<_>>()
                        .join(" + "),
                    codes.join(", ")
                ),
                inventory.files[file].location(Anchor::File),
            )]);
        }
    }
    // Joins only save work: when building them panics, evaluation falls back to the lazy
    // lookups, which give the same results (or fail, contained, in the rule that needs them).
    let specs = join::specs(&runnable);
    let build_joins = || {
        crate::fault::inject("join", "all");
        data.build_joins(&specs)
    };
    data.joins =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(build_joins)).unwrap_or_default();
    let (rule_findings, mut omitted) = evaluate(&data, &runnable, &mut skipped, options);
    keeper.add(rule_findings);
    keeper.prune();
    let (mut findings, more) = keeper.into_parts();
    omitted.merge(more);
    progress::send(
        sink,
        Progress::Start {
            phase: Phase::Locating,
            total: 0,
        },
    );
    let mut internal = inventory.locate(&mut findings, options.excerpts);
    findings.append(&mut internal);
    let reported: BTreeSet<usize> = findings
        .iter()
        .filter(|f| *f.code == *builtin::UNREADABLE.0)
        .map(|f| f.location.file_id)
        .collect();
    findings.extend(inventory.changed_files(&reported));
    sort_findings(&mut findings);
    if let Some(max) = options.max_findings {
        for f in findings.drain(max.min(findings.len())..) {
            omitted.add(&f);
        }
    }
    skipped.sort_by(|a, b| a.code.cmp(&b.code));
    let mut ran: Vec<Arc<str>> = runnable
        .iter()
        .map(|r| r.rule.code.clone())
        .filter(|c| !skipped.iter().any(|s| *s.code == **c))
        .collect();
    ran.sort();
    let mut tables = BTreeMap::new();
    for f in &inventory.files {
        if let Some(k) = &f.kind {
            *tables.entry(k.to_string()).or_insert(0) += 1;
        }
    }
    let objects = schema
        .kinds
        .iter()
        .enumerate()
        .filter(|(k, _)| data.members.rows(*k) > 0)
        .map(|(k, info)| (info.name.clone(), data.members.objects(k)))
        .collect();
    let members = std::mem::take(&mut data.members);
    drop(data);
    let kept = inventory
        .files
        .iter()
        .filter(|f| f.head.is_some())
        .map(|f| {
            let columns = f.rows.columns.iter().enumerate().filter_map(|(i, c)| {
                c.as_ref().map(|c| {
                    (
                        f.header().get(i).cloned().unwrap_or_default(),
                        c.text_bytes(),
                    )
                })
            });
            let (columns, bytes): (Vec<String>, Vec<usize>) = columns.unzip();
            Kept {
                file: f.display.clone(),
                kind: f.kind.clone(),
                rows: f.rows.count,
                columns,
                bytes: bytes.iter().sum::<usize>() as u64,
            }
        })
        .collect();
    let missing_tables = missing_tables(missing_rules, decls);
    Ok(Report {
        missing_tables,
        kept,
        findings,
        files: inventory.files.len(),
        rows: inventory.total_rows(),
        rules_run: runnable.len(),
        ran,
        skipped,
        tables,
        objects,
        kinds: schema.kinds.iter().map(|k| k.name.clone()).collect(),
        members,
        gate: Default::default(),
        config: None,
        inventory,
        omitted,
    })
}

/// The absent tables with the rules they kept from running, most rules first, then by name.
fn missing_tables(by_kind: BTreeMap<&str, Vec<String>>, decls: &[TableDecl]) -> Vec<MissingTable> {
    let mut out: Vec<MissingTable> = by_kind
        .into_iter()
        .map(|(kind, mut rules)| {
            rules.sort();
            rules.dedup();
            MissingTable {
                table: kind.to_string(),
                export: decls
                    .iter()
                    .find(|d| d.kind == kind)
                    .map_or_else(String::new, |d| d.export.clone()),
                rules,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.rules
            .len()
            .cmp(&a.rules.len())
            .then(a.table.cmp(&b.table))
    });
    out
}

/// `--select`/`--ignore` by code or prefix, and profiles.
fn is_selected(code: &str, profiles: &[String], options: &Options) -> bool {
    let matches = |patterns: &[String]| matches_any(code, patterns);
    let profile_ok = profiles.is_empty()
        || profiles
            .iter()
            .any(|p| options.profiles.iter().any(|q| q.eq_ignore_ascii_case(p)));
    profile_ok
        && (options.select.is_empty() || matches(&options.select))
        && !matches(&options.ignore)
}

/// Whether `code` matches one of the codes or prefixes `patterns` (`ALL` matches every code).
fn matches_any(code: &str, patterns: &[String]) -> bool {
    patterns.iter().any(|p| {
        p.eq_ignore_ascii_case(crate::suggest::ALL)
            || code
                .to_ascii_uppercase()
                .starts_with(&p.to_ascii_uppercase())
    })
}

/// Whether a finding's code passes `--select`/`--ignore` (built-in codes included). The
/// findings that say the run cannot be trusted (an input not read, a check that crashed) are
/// never filtered out: `--select AD` must not turn a crash in AD001 into a clean exit 1.
pub fn code_selected(code: &str, options: &Options) -> bool {
    code == builtin::UNREADABLE.0 || code == builtin::INTERNAL.0 || is_selected(code, &[], options)
}

/// Whether `finding` says that a table a selected rule reads could not be read whole: not a
/// CSV at all (`CSV004`, whatever it was meant to be), ragged rows (`CSV001`) or a missing
/// column (`CSV006`) of a kind in `read`. Hiding it would let `--select` pass a run whose
/// rules never saw the rows.
fn guards_selected_rules(finding: &Finding, read: &BTreeSet<String>) -> bool {
    let code = &*finding.code;
    if read.is_empty() {
        return false;
    }
    code == builtin::NOT_CSV.0
        || ((code == builtin::RAGGED_ROW.0 || code == builtin::MISSING_COLUMN.0)
            && finding
                .location
                .table
                .as_deref()
                .is_none_or(|t| read.contains(t)))
}

/// Counts per severity.
pub fn counts(findings: &[Finding]) -> BTreeMap<Severity, usize> {
    let mut out = BTreeMap::new();
    for f in findings {
        *out.entry(f.severity).or_insert(0) += 1;
    }
    out
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
    let kind_of_file: Vec<Option<KindId>> = inventory
        .files
        .iter()
        .map(|f| f.kind.as_deref().and_then(|k| schema.kind(k)))
        .collect();
    let field_of = inventory
        .files
        .iter()
        .zip(&kind_of_file)
        .map(|(file, k)| match (k, file.decl) {
            (Some(k), Some(d)) => {
                inventory.decls[d].find_columns(file.header(), &schema.kinds[*k].columns)
            }
            _ => Vec::new(),
        })
        .collect();
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
