//! The **engine**: runs a RuleSet over an inventory.
//!
//! Steps: build the schema from the declarations and the real headers; compile every rule
//! (all errors at once); read the rows keeping only the columns programs use; build each
//! **lookup** (key index) once, read-only afterwards; evaluate row rules in parallel over
//! (rule × file × row range) tasks, uniqueness and whole-table rules per rule; locate the
//! findings (spans only for rows that have one) and sort them (file, position, code).
//! Output is deterministic whatever the number of threads.

mod conflicts;
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
    pub gate: crate::gate::GateSummary,
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

use index::KeyIndex;

/// The evaluation view of an inventory.
pub struct Data<'a> {
    inventory: &'a Inventory,
    schema: &'a Schema,
    kind_of_file: &'a [Option<KindId>],
    field_of: Vec<Vec<Option<usize>>>,
    /// The kept cells of each column (by file, then schema column), for cell reads.
    columns: Vec<Vec<Option<&'a Column>>>,
    all_rows: Vec<Vec<RowRef>>,
    /// Key indexes by kind, then key (`None` where no rule looks the key up).
    indexes: Vec<Vec<Option<KeyIndex>>>,
    /// Key indexes whose building panicked, with the panic's text.
    failed: Vec<((KindId, usize), String)>,
    joins: Vec<join::Join>,
    /// Which rows make up each kind, which are judged, which are one object.
    members: members::Members,
}

impl<'a> Data<'a> {
    fn build(
        inventory: &'a Inventory,
        schema: &'a Schema,
        kind_of_file: &'a [Option<KindId>],
        field_of: Vec<Vec<Option<usize>>>,
        lookups: &BTreeSet<(KindId, usize)>,
        built: Vec<((KindId, usize), Result<KeyIndex, String>)>,
        scanned: Option<&BTreeSet<KindId>>,
    ) -> Data<'a> {
        let columns = field_of
            .iter()
            .zip(&inventory.files)
            .map(|(fields, file)| {
                fields
                    .iter()
                    .map(|f| f.and_then(|f| file.rows.columns.get(f)?.as_ref()))
                    .collect()
            })
            .collect();
        let mut data = Data {
            inventory,
            schema,
            kind_of_file,
            field_of,
            columns,
            all_rows: Vec::new(),
            indexes: Vec::new(),
            failed: Vec::new(),
            joins: Vec::new(),
            members: members::Members::default(),
        };
        let counts: Vec<u32> = inventory
            .files
            .iter()
            .map(|f| u32::try_from(f.rows.count).unwrap_or(u32::MAX))
            .collect();
        let blank: Vec<&[u32]> = inventory
            .files
            .iter()
            .map(|f| f.rows.blank.as_slice())
            .collect();
        data.members = members::Members::build(schema, &data, kind_of_file, &counts, &blank);
        // Lists of all rows, for the kinds expressions scan whole (`find(chat-addins, …)`).
        data.all_rows = (0..schema.kinds.len())
            .map(|k| {
                if scanned.is_none_or(|s| s.contains(&k)) {
                    data.members.parts[k]
                        .iter()
                        .flat_map(|p| p.iter())
                        .collect()
                } else {
                    Vec::new()
                }
            })
            .collect();
        let missing: Vec<(KindId, usize)> = lookups
            .iter()
            .filter(|l| !built.iter().any(|(b, _)| b == *l))
            .copied()
            .collect();
        let more: Vec<((KindId, usize), Result<KeyIndex, String>)> = missing
            .par_iter()
            .map(|&(kind, key)| {
                let index = guarded_index(schema, kind, || data.build_index(kind, key));
                ((kind, key), index)
            })
            .collect();
        let mut indexes: Vec<Vec<Option<KeyIndex>>> = schema
            .kinds
            .iter()
            .map(|k| vec![None; k.keys.len()])
            .collect();
        for ((kind, key), index) in built.into_iter().chain(more) {
            match index {
                Ok(index) => {
                    if let Some(slot) = indexes.get_mut(kind).and_then(|k| k.get_mut(key)) {
                        *slot = Some(index);
                    }
                }
                Err(what) => data.failed.push(((kind, key), what)),
            }
        }
        data.failed.sort_by_key(|(lookup, _)| *lookup);
        data.failed.dedup_by_key(|(lookup, _)| *lookup);
        data.indexes = indexes;
        data
    }

    /// Key text of a row for key `key`, `None` when a key column is absent or empty.
    fn row_key<'s>(
        &'s self,
        ctx: &mut Ctx<'s, Self>,
        kind: KindId,
        key: usize,
        row: RowRef,
    ) -> Option<Cow<'s, str>> {
        row_key(self, self.schema, ctx, kind, key, row)
    }

    fn build_index(&self, kind: KindId, key: usize) -> KeyIndex {
        let mut ctx = Ctx::new(self, self.schema, &[], 0);
        // Rows with the same key stay in file order.
        let parts = &self.members.parts[kind];
        let rows = parts.iter().flat_map(|p| p.iter());
        let count = self.members.rows(kind);
        KeyIndex::build(
            rows.flat_map(|row| row_keys(self, self.schema, &mut ctx, kind, key, row)),
            count,
        )
    }

    /// The essential columns of `program` (on its own table) that `file` lacks.
    fn lacking(&self, program: &Program, file: usize) -> Vec<String> {
        let Some(kind) = program.this else {
            return Vec::new();
        };
        program
            .essential_columns
            .iter()
            .filter(|(k, c)| *k == kind && self.field_of[file].get(*c).copied().flatten().is_none())
            .map(|(_, c)| self.schema.kinds[kind].columns[*c].clone())
            .collect()
    }

    fn file_kind(&self, row: RowRef) -> Option<KindId> {
        self.kind_of_file.get(row.file as usize).copied().flatten()
    }

    fn anchor_of_cell(&self, row: RowRef, column: ColumnId) -> Anchor {
        let record = u64::from(row.row) + 1;
        match self
            .field_of
            .get(row.file as usize)
            .and_then(|f| f.get(column))
            .copied()
            .flatten()
        {
            Some(field) => Anchor::Cell { record, field },
            None => Anchor::Record { record },
        }
    }

    fn location(&self, row: RowRef, anchor: Anchor, value: Option<String>) -> Location {
        let mut location = self.inventory.files[row.file as usize].location(anchor);
        location.value = value;
        location
    }

    /// Identity of a row of `kind` for baselines: its primary key, else its record number.
    fn identity(&self, kind: KindId, row: RowRef) -> Option<String> {
        let info = &self.schema.kinds[kind];
        if !info.has_primary {
            return None;
        }
        let mut ctx = Ctx::new(self, self.schema, &[], 0);
        // Composite keys are joined with `|` here: identities are written into baselines and
        // suppression files by people, where the internal separator would be invisible.
        self.row_key(&mut ctx, kind, 0, row)
            .map(|k| format!("{}:{}", info.name, k.replace('\u{1f}', "|")))
    }
}

impl Tables for Data<'_> {
    fn cell(&self, row: RowRef, column: ColumnId) -> Option<&str> {
        let cells = (*self.columns.get(row.file as usize)?.get(column)?)?;
        Some(cells.get(row.row as usize))
    }

    fn lookup(&self, kind: KindId, key: usize, value: &str) -> &[RowRef] {
        self.index(kind, key).map_or(&[], |index| index.get(value))
    }

    fn all_rows(&self, kind: KindId) -> &[RowRef] {
        self.all_rows.get(kind).map_or(&[], Vec::as_slice)
    }

    fn joined(
        &self,
        row: RowRef,
        kind: KindId,
        key: usize,
        column: ColumnId,
    ) -> Option<Option<&[RowRef]>> {
        self.joined_rows(row, kind, key, column)
    }
}

/// Key text of a row for key `key`, `None` when a key column is absent or empty.
fn row_key<'s, T: Tables>(
    tables: &'s T,
    schema: &Schema,
    ctx: &mut Ctx<'s, T>,
    kind: KindId,
    key: usize,
    row: RowRef,
) -> Option<Cow<'s, str>> {
    let info = &schema.kinds[kind].keys[key];
    let mut joined: Option<String> = None;
    let mut single: Option<Cow<'s, str>> = None;
    for (i, &column) in info.columns.iter().enumerate() {
        let cell = tables.cell(row, column)?;
        if crate::expr::value::trim(cell).is_empty() {
            return None;
        }
        let norm = ctx.normalize(kind, key, i, Cow::Borrowed(cell));
        if info.columns.len() == 1 {
            single = Some(norm);
        } else {
            let j = joined.get_or_insert_with(String::new);
            if i > 0 {
                j.push('\u{1f}');
            }
            j.push_str(&norm);
        }
    }
    single.or(joined.map(Cow::Owned))
}

/// The `(key text, row)` pairs a row puts in the index of key `key`: its key, or for a
/// multi-valued (`split`) key every distinct item of every key column, in cell order.
fn row_keys<'s, T: Tables>(
    tables: &'s T,
    schema: &Schema,
    ctx: &mut Ctx<'s, T>,
    kind: KindId,
    key: usize,
    row: RowRef,
) -> Vec<(Cow<'s, str>, RowRef)> {
    let info = &schema.kinds[kind].keys[key];
    let Some(separator) = info.split.as_deref() else {
        return row_key(tables, schema, ctx, kind, key, row)
            .map(|k| (k, row))
            .into_iter()
            .collect();
    };
    let mut out: Vec<(Cow<'s, str>, RowRef)> = Vec::new();
    for (i, &column) in info.columns.iter().enumerate() {
        let Some(cell) = tables.cell(row, column) else {
            continue;
        };
        for item in cell.split(separator) {
            let item = crate::expr::value::trim(item);
            if item.is_empty() {
                continue;
            }
            let norm = ctx.normalize(kind, key, i, Cow::Borrowed(item));
            if !norm.is_empty() {
                out.push((norm, row));
            }
        }
    }
    // A member listed twice (or as member and manager) is one row of its group.
    out.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    out.dedup_by(|a, b| a.0 == b.0);
    out
}

/// The cells of one file, to build its key indexes before the other files are read.
struct OneFile<'a> {
    file: &'a TableFile,
    fields: &'a [Option<usize>],
}

impl Tables for OneFile<'_> {
    fn cell(&self, row: RowRef, column: ColumnId) -> Option<&str> {
        let field = (*self.fields.get(column)?)?;
        self.file.rows.cell(row.row as usize, field)
    }

    fn lookup(&self, _: KindId, _: usize, _: &str) -> &[RowRef] {
        &[]
    }

    fn all_rows(&self, _: KindId) -> &[RowRef] {
        &[]
    }
}

/// Builds a key index of `kind`, turning a panic into its text (a bug in one index costs the
/// rules that use it, not the run).
fn guarded_index(
    schema: &Schema,
    kind: KindId,
    build: impl FnOnce() -> KeyIndex,
) -> Result<KeyIndex, String> {
    let run = || {
        crate::fault::inject("index", &schema.kinds[kind].name);
        build()
    };
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(run))
        .map_err(|panic| crate::fault::panic_text(panic.as_ref()))
}

/// Key index `key` of `kind` over the rows of `file` (the only file of its kind).
fn index_of_file(
    schema: &Schema,
    file: &TableFile,
    fields: &[Option<usize>],
    kind: KindId,
    key: usize,
) -> KeyIndex {
    let one = OneFile { file, fields };
    let mut ctx = Ctx::new(&one, schema, &[], 0);
    let count = file.rows.count;
    let rows = (0..count as u32).map(|row| RowRef {
        file: file.id as u32,
        row,
    });
    KeyIndex::build(
        rows.flat_map(|row| row_keys(&one, schema, &mut ctx, kind, key, row)),
        count,
    )
}

/// One unit of parallel work.
enum Task<'r> {
    /// Member rows `start..end` of part `part` of the rule's kind.
    Rows {
        rule: &'r CompiledRule,
        part: usize,
        start: usize,
        end: usize,
    },
    Unique(&'r CompiledRule),
    /// A `group-by` row rule, over all the files of its table.
    Grouped(&'r CompiledRule),
    Whole(&'r CompiledRule),
}

/// The code of the rule a task runs.
fn task_code<'r>(task: &Task<'r>) -> &'r str {
    match *task {
        Task::Rows { rule, .. } | Task::Unique(rule) | Task::Grouped(rule) | Task::Whole(rule) => {
            &rule.rule.code
        }
    }
}

fn evaluate(
    data: &Data<'_>,
    rules: &[&CompiledRule],
    skipped: &mut Vec<Skipped>,
    options: &Options,
) -> (Vec<Finding>, Omitted) {
    let sink = options.progress.as_ref();
    let mut tasks = Vec::new();
    for rule in rules {
        match rule.rule.shape {
            Shape::Rows(_) => {
                let program = &rule.programs[0];
                let Some(kind) = program.this else { continue };
                let mut ran = false;
                let mut absent: BTreeSet<String> = BTreeSet::new();
                for (index, part) in data.members.parts[kind].iter().enumerate() {
                    let lacking = data.lacking(program, part.file as usize);
                    if !lacking.is_empty() {
                        absent.extend(lacking);
                        continue;
                    }
                    ran = true;
                    if program.group_by.is_some() {
                        // Groups span files and row ranges: one task walks them all in order.
                        continue;
                    }
                    let count = part.len();
                    let mut start = 0;
                    while start < count {
                        let end = (start + CHUNK_ROWS).min(count);
                        tasks.push(Task::Rows {
                            rule,
                            part: index,
                            start,
                            end,
                        });
                        start = end;
                    }
                }
                if ran && program.group_by.is_some() {
                    tasks.push(Task::Grouped(rule));
                }
                if !ran {
                    skipped.push(Skipped {
                        code: rule.rule.code.to_string(),
                        reason: format!(
                            "no `{}` export has the column{} {}",
                            data.schema.kinds[kind].name,
                            if absent.len() == 1 { "" } else { "s" },
                            absent
                                .iter()
                                .map(|c| format!("`{c}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    });
                }
            }
            Shape::Unique(_) => {
                let mut absent: BTreeSet<String> = BTreeSet::new();
                let mut ran = false;
                for program in &rule.programs {
                    let Some(kind) = program.this else { continue };
                    for part in &data.members.parts[kind] {
                        let lacking = data.lacking(program, part.file as usize);
                        ran |= lacking.is_empty();
                        absent.extend(lacking);
                    }
                }
                if ran {
                    tasks.push(Task::Unique(rule));
                } else {
                    skipped.push(Skipped {
                        code: rule.rule.code.to_string(),
                        reason: format!(
                            "no export has the column{} {}",
                            if absent.len() == 1 { "" } else { "s" },
                            absent
                                .iter()
                                .map(|c| format!("`{c}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    });
                }
            }
            Shape::Whole => tasks.push(Task::Whole(rule)),
        }
    }
    progress::send(
        sink,
        Progress::Start {
            phase: Phase::Checking,
            total: tasks.len() as u64,
        },
    );
    tasks
        .par_iter()
        .map(|task| {
            let eval = || match *task {
                Task::Rows {
                    rule,
                    part,
                    start,
                    end,
                } => (eval_rows(data, rule, part, start, end), Omitted::default()),
                Task::Unique(rule) => {
                    // One task over every row (a file of one repeated value gives a finding
                    // per row): it caps what it keeps as it goes.
                    let mut keeper = Keeper::new(options, None);
                    eval_unique(data, rule, &mut |found| keeper.add(found));
                    keeper.prune();
                    keeper.into_parts()
                }
                Task::Grouped(rule) => (group::eval_grouped(data, rule), Omitted::default()),
                Task::Whole(rule) => (eval_whole(data, rule), Omitted::default()),
            };
            let run = || {
                crate::fault::inject("rule", task_code(task));
                eval()
            };
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)).unwrap_or_else(|panic| {
                let what = crate::fault::panic_text(panic.as_ref());
                let (rule, file) = match *task {
                    Task::Rows { rule, part, .. } => (
                        rule,
                        rule.programs[0]
                            .this
                            .and_then(|k| data.members.parts[k].get(part))
                            .map(|p| p.file as usize),
                    ),
                    Task::Unique(rule) | Task::Grouped(rule) | Task::Whole(rule) => (rule, None),
                };
                let location = match file {
                    Some(f) => data.inventory.files[f].location(Anchor::File),
                    None => Location::new(
                        usize::MAX,
                        Arc::from(rule.rule.source.name.as_ref()),
                        Anchor::File,
                    ),
                };
                let on = file.map_or_else(String::new, |f| {
                    format!(" on `{}`", data.inventory.files[f].display)
                });
                let finding = Finding::new(
                    builtin::INTERNAL.0,
                    builtin::INTERNAL.1,
                    format!(
                        "internal error while running {}{on}: {what}; its findings may be \
                         incomplete. Please report it",
                        rule.rule.code
                    ),
                    location,
                );
                (vec![finding], Omitted::default())
            })
        })
        .inspect(|_| {
            progress::send(
                sink,
                Progress::Advance {
                    phase: Phase::Checking,
                    done: 1,
                },
            )
        })
        .fold(
            || Keeper::new(options, None),
            |mut keeper, (found, omitted)| {
                keeper.omitted.merge(omitted);
                keeper.add(found);
                keeper
            },
        )
        .reduce(|| Keeper::new(options, None), Keeper::merge)
        .into_parts()
}

fn render<'a>(ctx: &mut Ctx<'a, Data<'a>>, parts: &'a [Part]) -> String {
    let mut out = String::new();
    let mut value = String::new();
    for part in parts {
        match part {
            Part::Text(t) => out.push_str(t),
            Part::Expr(node) => {
                value.clear();
                ctx.eval(node).render(&mut value);
                crate::finding::push_quoted(&mut out, &value);
            }
        }
    }
    out
}

/// The row and column a cell node (`Col`, `x.Col`) points at.
fn cell_target<'a>(
    ctx: &mut Ctx<'a, Data<'a>>,
    node: &'a Node,
) -> Option<(RowRef, ColumnId, String)> {
    let Node::Cell { base, column } = node else {
        return None;
    };
    let row = match ctx.eval(base) {
        Value::Row(r) => r,
        Value::Rows(set) => set.first()?,
        _ => return None,
    };
    let value = ctx.tables.cell(row, *column).unwrap_or("").to_string();
    Some((row, *column, value))
}

fn make_finding<'a>(
    ctx: &mut Ctx<'a, Data<'a>>,
    rule: &'a CompiledRule,
    program: &'a Program,
    row: Option<RowRef>,
) -> Option<Finding> {
    let data = ctx.tables;
    let message = render(ctx, &program.message);
    let primary = program.at.as_ref().and_then(|at| cell_target(ctx, at));
    let location = match (primary, row) {
        (Some((r, column, value)), _) => {
            data.location(r, data.anchor_of_cell(r, column), Some(value))
        }
        (None, Some(r)) => data.location(
            r,
            Anchor::Record {
                record: u64::from(r.row) + 1,
            },
            None,
        ),
        (None, None) => return None,
    };
    let mut finding = Finding::new(
        rule.rule.code.clone(),
        rule.rule.severity,
        message,
        location,
    );
    finding.help = Some(rule.rule.help.clone());
    for (at, parts) in &program.related {
        if let Some((r, column, value)) = cell_target(ctx, at) {
            let message = if parts.is_empty() {
                format!(
                    "{} = {value}",
                    data.schema.kinds[data.file_kind(r).unwrap_or(0)].columns[column]
                )
            } else {
                render(ctx, parts)
            };
            finding.related.push(Related {
                location: data.location(r, data.anchor_of_cell(r, column), Some(value)),
                message,
            });
        }
    }
    finding.identity = row.and_then(|r| data.identity(program.this?, r));
    Some(finding)
}

fn eval_rows<'a>(
    data: &'a Data<'a>,
    rule: &'a CompiledRule,
    part: usize,
    start: usize,
    end: usize,
) -> Vec<Finding> {
    let program = &rule.programs[0];
    let Some(kind) = program.this else {
        return Vec::new();
    };
    let Some(part) = data.members.parts[kind].get(part) else {
        return Vec::new();
    };
    let mut ctx = Ctx::new(data, data.schema, &program.bindings, program.cache_slots);
    let mut out = Vec::new();
    for i in start..end {
        let r = RowRef {
            file: part.file,
            row: part.row(i),
        };
        if !data.members.judged(kind, r) || !fails(&mut ctx, program, r) {
            continue;
        }
        let Some(finding) = make_finding(&mut ctx, rule, program, Some(r)) else {
            continue;
        };
        // One finding per object: a row repeating an object of an earlier export that fails
        // the same way is that finding again.
        if let Some(earlier) = data.members.earlier(kind, r) {
            let runs_there = data.lacking(program, earlier.file as usize).is_empty();
            if runs_there && data.members.judged(kind, earlier) && fails(&mut ctx, program, earlier)
            {
                let again = make_finding(&mut ctx, rule, program, Some(earlier));
                if again.is_some_and(|f| f.message == finding.message) {
                    continue;
                }
            }
        }
        out.push(finding);
    }
    out
}

/// Whether `row` is one the program applies to (`where`) and it fails its `assert`.
fn fails<'a>(ctx: &mut Ctx<'a, Data<'a>>, program: &'a Program, row: RowRef) -> bool {
    ctx.set_row(Some(row));
    if program
        .where_
        .as_ref()
        .is_some_and(|w| !ctx.eval(w).truthy())
    {
        return false;
    }
    program
        .assert
        .as_ref()
        .is_some_and(|a| !ctx.eval(a).truthy())
}

fn eval_whole<'a>(data: &'a Data<'a>, rule: &'a CompiledRule) -> Vec<Finding> {
    let program = &rule.programs[0];
    let mut ctx = Ctx::new(data, data.schema, &program.bindings, program.cache_slots);
    ctx.set_row(None);
    if program
        .where_
        .as_ref()
        .is_some_and(|w| !ctx.eval(w).truthy())
    {
        return Vec::new();
    }
    match &program.assert {
        Some(a) if !ctx.eval(a).truthy() => make_finding(&mut ctx, rule, program, None)
            .into_iter()
            .collect(),
        _ => Vec::new(),
    }
}

/// The uniqueness key of the context's row (the `unique` value rendered into `value`, then
/// trimmed and without case, in `key`); `false` when it has none (missing or empty).
fn unique_key<'a>(
    ctx: &mut Ctx<'a, Data<'a>>,
    unique: &'a Node,
    value: &mut String,
    key: &mut String,
) -> bool {
    value.clear();
    let v = ctx.eval(unique);
    if v.is_missing() {
        return false;
    }
    v.render(value);
    key.clear();
    let trimmed = crate::expr::value::trim(value);
    if trimmed.is_ascii() {
        key.push_str(trimmed);
        key.make_ascii_lowercase();
    } else {
        // Control, bidi and zero-width characters do not make a value another one: a
        // repeat hidden by a U+200B is still a repeat.
        let visible = trimmed
            .chars()
            .filter(|&c| !crate::report::visible::is_hidden_char(c));
        key.extend(visible.flat_map(char::to_lowercase));
    }
    if key.bytes().any(|b| b < 0x20 || b == 0x7f) {
        key.retain(|c| !c.is_control());
    }
    !key.is_empty()
}

/// Findings of a uniqueness rule go to `emit` in batches, so the caller can cap them.
fn eval_unique<'a>(data: &'a Data<'a>, rule: &'a CompiledRule, emit: &mut dyn FnMut(Vec<Finding>)) {
    let mut first = index::FirstSeen::default();
    // (repeated key, object) pairs already reported.
    let mut reported: std::collections::HashSet<(String, (usize, u64))> = Default::default();
    let (mut value, mut key) = (String::new(), String::new());
    let (mut earlier_value, mut earlier_key) = (String::new(), String::new());
    let mut out = Vec::new();
    for program in &rule.programs {
        let Some(kind) = program.this else { continue };
        let Some(unique) = &program.unique else {
            continue;
        };
        let mut ctx = Ctx::new(data, data.schema, &program.bindings, program.cache_slots);
        for part in &data.members.parts[kind] {
            if !data.lacking(program, part.file as usize).is_empty() {
                continue;
            }
            for row in part.iter() {
                if !data.members.judged(kind, row) {
                    continue;
                }
                ctx.set_row(Some(row));
                if program
                    .where_
                    .as_ref()
                    .is_some_and(|w| !ctx.eval(w).truthy())
                {
                    continue;
                }
                if !unique_key(&mut ctx, unique, &mut value, &mut key) {
                    continue;
                }
                // Is an earlier row's key this one? Compute it again to tell.
                let same = |earlier: RowRef| {
                    let Some(p) = rule
                        .programs
                        .iter()
                        .find(|p| p.this.is_some_and(|k| data.members.contains(k, earlier)))
                    else {
                        return false;
                    };
                    let Some(u) = &p.unique else { return false };
                    let mut c = Ctx::new(data, data.schema, &p.bindings, p.cache_slots);
                    c.set_row(Some(earlier));
                    unique_key(&mut c, u, &mut earlier_value, &mut earlier_key)
                        && earlier_key == key
                };
                let Some(earlier) = first.first_or_insert(index::hash(key.as_bytes()), row, same)
                else {
                    continue;
                };
                // The same object seen in another export is no repeat; and an object repeating
                // a value is reported once, however many exports hold it.
                let object_of = |r: RowRef| match data.members.object_id(kind, r) {
                    Some(id) => (kind, u64::from(id)),
                    None => (usize::MAX, (u64::from(r.file) << 32) | u64::from(r.row)),
                };
                if data.members.same_object(kind, row, earlier)
                    || !reported.insert((key.clone(), object_of(row)))
                {
                    continue;
                }
                if let Some(mut finding) = make_finding(&mut ctx, rule, program, Some(row)) {
                    // Which row counts as the repeat depends on row order; the repeated value
                    // does not, so baselines and suppressions key on it.
                    finding.identity = Some(format!("{}:{key}", data.schema.kinds[kind].name));
                    let earlier_at = rule
                        .programs
                        .iter()
                        .find(|p| p.this.is_some_and(|k| data.members.contains(k, earlier)))
                        .and_then(|p| p.at.as_ref());
                    let anchor = match earlier_at {
                        Some(Node::Cell { column, .. }) => data.anchor_of_cell(earlier, *column),
                        _ => Anchor::Record {
                            record: u64::from(earlier.row) + 1,
                        },
                    };
                    finding.related.insert(
                        0,
                        Related {
                            location: data.location(earlier, anchor, Some(value.clone())),
                            message: format!("first used here (row {})", earlier.row + 1),
                        },
                    );
                    out.push(finding);
                    if out.len() >= UNIQUE_BATCH {
                        emit(std::mem::take(&mut out));
                    }
                }
            }
        }
    }
    emit(out);
}

/// Findings of a uniqueness rule handed on at once.
const UNIQUE_BATCH: usize = 4096;

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
