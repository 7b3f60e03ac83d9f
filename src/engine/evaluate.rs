//! **Evaluation**: the rules of a run over the members of their kinds, in parallel tasks
//! (row ranges of one part, one uniqueness rule, one grouped rule, one whole-inventory rule),
//! each task's panic contained to the rule; and the making of a finding (message, primary and
//! related cells, identity).

use std::collections::BTreeSet;
use std::sync::Arc;

use rayon::prelude::*;

use crate::expr::compile::{KindId, Node};
use crate::expr::eval::Ctx;
use crate::expr::value::RowRef;
use crate::finding::{builtin, Anchor, Finding, Location, Packed, Related};
use crate::rule::{CompiledRule, Program, Shape};

use super::data::Data;
use super::judge::{fails, make_finding, unique_key};
use super::keeper::Keeper;
use super::progress::{self, Phase, Progress};
use super::{group, index, Omitted, Options, Skipped, CHUNK_ROWS};

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

/// Evaluate `rules` over `data`: the findings kept (capped as [`Keeper`] does) and those
/// only counted. A rule none of whose files has the columns it needs is added to `skipped`.
pub(super) fn evaluate(
    data: &Data<'_>,
    rules: &[&CompiledRule],
    skipped: &mut Vec<Skipped>,
    options: &Options,
) -> (Vec<Packed>, Omitted) {
    let sink = options.progress.as_ref();
    let mut tasks = Vec::new();
    for rule in rules {
        match rule.rule.shape {
            Shape::Rows(_) => row_tasks(data, rule, &mut tasks, skipped),
            Shape::Unique(_) => unique_task(data, rule, &mut tasks, skipped),
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
        .map(|task| run_task(data, task, options))
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
            |mut keeper, kept| {
                keeper.add_kept(kept);
                keeper
            },
        )
        .reduce(|| Keeper::new(options, None), Keeper::merge)
        .into_parts()
}

/// The tasks of a row rule: row ranges of each part whose file has the columns it needs, or
/// one task over all of them for a grouped rule; skipped when no file has them.
fn row_tasks<'r>(
    data: &Data<'_>,
    rule: &'r CompiledRule,
    tasks: &mut Vec<Task<'r>>,
    skipped: &mut Vec<Skipped>,
) {
    let program = &rule.programs[0];
    let Some(kind) = program.this else { return };
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
                "no `{}` export has the column{}",
                data.schema.kinds[kind].name,
                columns_named(&absent)
            ),
        });
    }
}

/// The task of a uniqueness rule, or its skipping when no file has the columns it needs.
fn unique_task<'r>(
    data: &Data<'_>,
    rule: &'r CompiledRule,
    tasks: &mut Vec<Task<'r>>,
    skipped: &mut Vec<Skipped>,
) {
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
            reason: format!("no export has the column{}", columns_named(&absent)),
        });
    }
}

/// The plural ending and the list of the `absent` columns: what follows "the column" in the
/// reason a rule was skipped.
fn columns_named(absent: &BTreeSet<String>) -> String {
    format!(
        "{} {}",
        if absent.len() == 1 { "" } else { "s" },
        absent
            .iter()
            .map(|c| format!("`{c}`"))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// Run one task, a panic contained to its rule (reported as an internal-error finding):
/// what it kept, packed, and what it only counted.
fn run_task(data: &Data<'_>, task: &Task<'_>, options: &Options) -> (Vec<Packed>, Omitted) {
    let mut keeper = Keeper::new(options, None);
    let eval = |keeper: &mut Keeper<'_>| match *task {
        Task::Rows {
            rule,
            part,
            start,
            end,
        } => keeper.add(eval_rows(data, rule, part, start, end)),
        Task::Unique(rule) => {
            // One task over every row (a file of one repeated value gives a finding per
            // row): it caps what it keeps as it goes.
            eval_unique(data, rule, &mut |found| keeper.add(found));
            keeper.prune();
        }
        Task::Grouped(rule) => keeper.add(group::eval_grouped(data, rule)),
        Task::Whole(rule) => keeper.add(eval_whole(data, rule)),
    };
    let run = || {
        crate::fault::inject("rule", task_code(task));
        eval(&mut keeper)
    };
    if let Err(panic) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)) {
        let what = crate::fault::panic_text(panic.as_ref());
        // What the task found before is dropped, as when its findings came back at its end.
        keeper = Keeper::new(options, None);
        keeper.add(vec![panic_finding(data, task, &what)]);
    }
    keeper.into_parts()
}

/// The finding reporting that `task` panicked with `what`: on the file of its rows, or on
/// the rule file.
fn panic_finding(data: &Data<'_>, task: &Task<'_>, what: &str) -> Finding {
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
    Finding::new(
        builtin::INTERNAL.0,
        builtin::INTERNAL.1,
        format!(
            "internal error while running {}{on}: {what}; its findings may be incomplete. \
             Please report it",
            rule.rule.code
        ),
        location,
    )
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

/// Findings of a uniqueness rule go to `emit` in batches, so the caller can cap them.
///
/// The keys of the judged rows are computed a group at a time ([`index::GROUP`]) and the
/// group checked against the rows before it together, so that the memory reads of its probes
/// overlap; the rows are still checked in order.
fn eval_unique<'a>(data: &'a Data<'a>, rule: &'a CompiledRule, emit: &mut dyn FnMut(Vec<Finding>)) {
    let rows: usize = rule
        .programs
        .iter()
        .filter_map(|p| p.this)
        .flat_map(|kind| &data.members.parts[kind])
        .map(|part| part.len())
        .sum();
    let mut check = Uniqueness {
        data,
        rule,
        first: index::FirstSeen::with_capacity(rows),
        reported: Default::default(),
        earlier_value: String::new(),
        earlier_key: String::new(),
        out: Vec::new(),
    };
    let mut pending: Vec<Pending> = (0..index::GROUP).map(|_| Pending::default()).collect();
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
            let mut waiting = 0;
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
                let next = &mut pending[waiting];
                if !unique_key(&mut ctx, unique, &mut next.value, &mut next.key) {
                    continue;
                }
                next.row = row;
                next.hash = index::hash(next.key.as_bytes());
                waiting += 1;
                if waiting == pending.len() {
                    check.group(&mut ctx, program, kind, &pending, emit);
                    waiting = 0;
                }
            }
            check.group(&mut ctx, program, kind, &pending[..waiting], emit);
        }
    }
    emit(check.out);
}

/// A row waiting in its group to be checked by [`Uniqueness::group`]: its value as rendered,
/// its key, and the key's hash.
struct Pending {
    row: RowRef,
    value: String,
    key: String,
    hash: u64,
}

impl Default for Pending {
    fn default() -> Self {
        Pending {
            row: RowRef { file: 0, row: 0 },
            value: String::new(),
            key: String::new(),
            hash: 0,
        }
    }
}

/// What a uniqueness rule has seen so far, and found.
struct Uniqueness<'a> {
    data: &'a Data<'a>,
    rule: &'a CompiledRule,
    first: index::FirstSeen,
    /// (repeated key, object) pairs already reported.
    reported: std::collections::HashSet<(String, (usize, u64))>,
    /// Buffers for the key of an earlier row, computed again.
    earlier_value: String,
    earlier_key: String,
    out: Vec<Finding>,
}

impl<'a> Uniqueness<'a> {
    /// Check the rows of `group` (of `kind`, judged by `program`) in order: record each
    /// key's first row, and report the rows repeating one.
    fn group(
        &mut self,
        ctx: &mut Ctx<'a, Data<'a>>,
        program: &'a Program,
        kind: KindId,
        group: &[Pending],
        emit: &mut dyn FnMut(Vec<Finding>),
    ) {
        let mut hashes = [0u64; index::GROUP];
        for (h, pending) in hashes.iter_mut().zip(group) {
            *h = pending.hash;
        }
        self.first.warm(&hashes[..group.len()]);
        let (data, rule) = (self.data, self.rule);
        for Pending {
            row,
            value,
            key,
            hash,
        } in group
        {
            let row = *row;
            // Is an earlier row's key this one? Compute it again to tell.
            let (earlier_value, earlier_key) = (&mut self.earlier_value, &mut self.earlier_key);
            let same =
                |earlier: RowRef| same_key(data, rule, earlier, key, earlier_value, earlier_key);
            let Some(earlier) = self.first.first_or_insert(*hash, row, same) else {
                continue;
            };
            // The same object seen in another export is no repeat; and an object repeating
            // a value is reported once, however many exports hold it.
            let object_of = |r: RowRef| match data.members.object_id(kind, r) {
                Some(id) => (kind, u64::from(id)),
                None => (usize::MAX, (u64::from(r.file) << 32) | u64::from(r.row)),
            };
            if data.members.same_object(kind, row, earlier)
                || !self.reported.insert((key.clone(), object_of(row)))
            {
                continue;
            }
            ctx.set_row(Some(row));
            if let Some(mut finding) = make_finding(ctx, rule, program, Some(row)) {
                // Which row counts as the repeat depends on row order; the repeated value
                // does not, so baselines and suppressions key on it.
                finding.identity = Some(format!("{}:{key}", data.schema.kinds[kind].name).into());
                finding
                    .related
                    .insert(0, first_use(data, rule, earlier, value));
                self.out.push(finding);
                if self.out.len() >= UNIQUE_BATCH {
                    emit(std::mem::take(&mut self.out));
                }
            }
        }
    }
}

/// The program of `rule` for the kind `row` belongs to.
fn program_of<'a>(data: &Data<'_>, rule: &'a CompiledRule, row: RowRef) -> Option<&'a Program> {
    rule.programs
        .iter()
        .find(|p| p.this.is_some_and(|k| data.members.contains(k, row)))
}

/// Whether the uniqueness key of the `earlier` row is `key` (computed again, into the
/// buffers `value` and `earlier_key`).
fn same_key<'a>(
    data: &'a Data<'a>,
    rule: &'a CompiledRule,
    earlier: RowRef,
    key: &str,
    value: &mut String,
    earlier_key: &mut String,
) -> bool {
    let Some(p) = program_of(data, rule, earlier) else {
        return false;
    };
    let Some(u) = &p.unique else { return false };
    let mut c = Ctx::new(data, data.schema, &p.bindings, p.cache_slots);
    c.set_row(Some(earlier));
    unique_key(&mut c, u, value, earlier_key) && earlier_key == key
}

/// The related location of a repeat: where its value (`value`) was first used.
fn first_use(data: &Data<'_>, rule: &CompiledRule, earlier: RowRef, value: &str) -> Related {
    let earlier_at = program_of(data, rule, earlier).and_then(|p| p.at.as_ref());
    let anchor = match earlier_at {
        Some(Node::Cell { column, .. }) => data.anchor_of_cell(earlier, *column),
        _ => Anchor::Record {
            record: u64::from(earlier.row) + 1,
        },
    };
    Related {
        location: data.location(earlier, anchor, Some(value.to_string())),
        message: format!("first used here (row {})", earlier.row + 1).into(),
    }
}

/// Findings of a uniqueness rule handed on at once.
const UNIQUE_BATCH: usize = 4096;
