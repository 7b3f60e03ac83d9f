//! The **check** as one library call: from resolved [`Settings`] to a [`Checked`] outcome
//! ready for any reporter, the way the `invlint check` and `invlint report` commands run it.
//!
//! The stages: start (`--jobs`, the target named) → load the rules and check every name the
//! user gave (codes, profiles, table kinds) → discover and read the exports, compile and
//! evaluate the rules ([`engine::check`]) → the gate (severity overrides,
//! per-path settings, suppressions, baseline) → sort and cap → the outcome.
//!
//! Words: a **note** is a line for the user that does not stop the check (a clamped `--jobs`,
//! a baseline written); a [`Failure`] is what stops it (the check cannot be trusted: exit 2 in
//! the command). The library prints nothing and never exits: notes and failures are returned
//! for the caller to show.

mod gating;
pub mod names;
mod settings;
pub mod stdin;

use std::path::{Path, PathBuf};

use crate::config::FailOn;
use crate::engine::{self, CheckError, Outcome};
use crate::files::InputSet;
use crate::finding::{builtin, sort_findings, Severity};
use crate::located::LocatedError;
use crate::rule::RuleSet;
use crate::target::Target;

pub use settings::{Asked, Settings};

/// A finished check, ready to be written in any format.
#[derive(Debug)]
pub struct Checked {
    pub outcome: Outcome,
    pub rules: RuleSet,
    /// What fails the check (asked, else configured, else errors).
    pub fail_on: FailOn,
    /// Findings fail nothing: asked (`exit_zero`), or a baseline was written.
    pub exit_zero: bool,
    /// Set when a baseline file was written (`write_baseline`).
    pub wrote_baseline: bool,
    /// Every file the check read: no output may be one of them.
    pub inputs: InputSet,
    /// Lines for the user, in the order they arose (see the module docs).
    pub notes: Vec<String>,
}

impl Checked {
    /// The lowest severity that fails the check, if findings can fail it (for the formats
    /// that mark failures, such as JUnit).
    pub fn threshold(&self) -> Option<Severity> {
        self.fail_on.threshold().filter(|_| !self.exit_zero)
    }

    /// Whether a finding says the check cannot be trusted (an input was not read, a check
    /// crashed).
    pub fn untrusted(&self) -> bool {
        self.outcome.has_code(builtin::UNREADABLE.0) || self.outcome.has_code(builtin::INTERNAL.0)
    }

    /// The verdict as the command's exit status: 2 untrusted, 1 a finding (kept or counted
    /// past the cap) at or above the threshold, else 0.
    pub fn exit_code(&self) -> u8 {
        if self.untrusted() {
            return 2;
        }
        let counts = self.outcome.counts();
        match self.threshold() {
            Some(t) if counts.range(t..).any(|(_, n)| *n > 0) => 1,
            _ => 0,
        }
    }
}

/// Why a check stopped, with the notes that came before.
#[derive(Debug)]
pub struct Failure {
    /// Lines for the user that arose before the failure, shown before it.
    pub notes: Vec<String>,
    pub problem: Problem,
}

/// What stopped a check.
#[derive(Debug)]
pub enum Problem {
    /// Complete lines to show as they are (`error: …`).
    Said(Vec<String>),
    /// Located errors in files the check read, and what those files are (`in rule files`,
    /// `in the configuration file`, `in the suppressions file`).
    Errors {
        errors: Vec<LocatedError>,
        what: &'static str,
    },
}

impl Failure {
    /// A failure said in one message (which may hold several lines).
    pub fn said(message: String) -> Failure {
        Failure::lines(vec![message])
    }

    /// A failure said in several messages, one per line.
    pub fn lines(messages: Vec<String>) -> Failure {
        Failure {
            notes: Vec::new(),
            problem: Problem::Said(messages),
        }
    }

    /// Located errors in the files `what` names.
    pub fn errors(errors: Vec<LocatedError>, what: &'static str) -> Failure {
        Failure {
            notes: Vec::new(),
            problem: Problem::Errors { errors, what },
        }
    }
}

/// Threads per core at most: beyond a few, threads only contend (`-j 100000` spawned
/// 100,000 threads and ran for minutes on a few files).
pub const JOBS_PER_CORE: usize = 4;

/// Run a whole check. `jobs`, when asked, sizes the process's global thread pool (once per
/// process, as a command does).
pub fn run(settings: &Settings) -> Result<Checked, Failure> {
    let mut notes = Vec::new();
    match run_noted(settings, &mut notes) {
        Ok(mut checked) => {
            checked.notes = notes;
            Ok(checked)
        }
        Err(mut failure) => {
            notes.append(&mut failure.notes);
            failure.notes = notes;
            Err(failure)
        }
    }
}

fn run_noted(settings: &Settings, notes: &mut Vec<String>) -> Result<Checked, Failure> {
    start(settings, notes)?;
    let rules = load_rules(settings)?;
    let mut report = evaluate(settings, &rules)?;
    let inputs = inputs_of_run(&report, settings);
    let wrote_baseline = gating::apply(settings, &rules, &mut report, &inputs, notes)?;
    sort_findings(&mut report.findings);
    report.truncate_findings(settings.max_findings);
    report.config = settings
        .config
        .path
        .as_ref()
        .map(|p| p.to_string_lossy().replace('\\', "/"));
    Ok(Checked {
        outcome: report,
        rules,
        fail_on: settings.fail_on(),
        exit_zero: settings.asked.exit_zero || wrote_baseline,
        wrote_baseline,
        inputs,
        notes: Vec::new(),
    })
}

/// What is refused before anything is read: no path, a bad `--jobs`, an unknown `--target`.
fn start(settings: &Settings, notes: &mut Vec<String>) -> Result<(), Failure> {
    let asked = &settings.asked;
    if asked.paths.is_empty() {
        return Err(Failure::said(
            "error: no PATH given\n\nUsage: invlint check <PATH>...   (try `invlint --help`)"
                .to_string(),
        ));
    }
    if let Some(jobs_asked) = asked.jobs {
        let jobs = clamp_jobs(jobs_asked);
        if jobs < jobs_asked && !asked.quiet {
            notes.push(format!(
                "note: --jobs {jobs_asked} clamped to {jobs} ({JOBS_PER_CORE} per core on this machine)"
            ));
        }
        if jobs == 0
            || rayon::ThreadPoolBuilder::new()
                .num_threads(jobs)
                .build_global()
                .is_err()
        {
            return Err(Failure::said(
                "error: --jobs must be a positive number".to_string(),
            ));
        }
    }
    // (Unknown profiles are refused with the other names the run checks first.)
    if let Some(Err(message)) = asked.target.as_deref().map(Target::parse) {
        return Err(Failure::said(format!("error: --target: {message}")));
    }
    Ok(())
}

/// `--jobs N` bounded by the machine's parallelism times [`JOBS_PER_CORE`] (0 stays 0: an
/// error).
fn clamp_jobs(asked: usize) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    asked.min(cores.saturating_mul(JOBS_PER_CORE))
}

/// The rule packs, and every code, profile and table kind the user named checked against them.
fn load_rules(settings: &Settings) -> Result<RuleSet, Failure> {
    let rules = RuleSet::load(settings.default_rules, &settings.rule_dirs)
        .map_err(|errors| Failure::errors(errors, "in rule files"))?;
    let unknown = names::unknown_names(settings, &rules);
    if !unknown.is_empty() {
        return Err(Failure::lines(
            unknown.into_iter().map(|m| format!("error: {m}")).collect(),
        ));
    }
    Ok(rules)
}

/// Discover and read the exports (`-`: standard input), and run the rules over them.
fn evaluate(settings: &Settings, rules: &RuleSet) -> Result<Outcome, Failure> {
    let asked = &settings.asked;
    // `-` reads standard input, kept in a file for the run and shown as `-`.
    let stdin = if asked.paths.iter().any(|p| p.as_os_str() == stdin::STDIN) {
        Some(stdin::StdinCopy::read().map_err(|m| Failure::said(format!("error: {m}")))?)
    } else {
        None
    };
    let paths: Vec<PathBuf> = asked
        .paths
        .iter()
        .map(|p| match &stdin {
            Some(copy) if p.as_os_str() == stdin::STDIN => copy.path.clone(),
            _ => p.clone(),
        })
        .collect();
    let mut report = match engine::check(&paths, rules, &settings.options) {
        Ok(report) => report,
        Err(CheckError::Rules(errors)) => return Err(Failure::errors(errors, "in rule files")),
        Err(CheckError::Input(message)) => return Err(Failure::said(format!("error: {message}"))),
    };
    if let Some(copy) = &stdin {
        stdin::rename(&mut report, &copy.display(), stdin::STDIN);
    }
    if let Some(message) = names::nothing_read(&report, settings) {
        return Err(Failure::said(message));
    }
    Ok(report)
}

/// The files a check read: exports, rule files, the configuration, suppressions and baseline.
fn inputs_of_run(report: &Outcome, settings: &Settings) -> InputSet {
    let mut inputs = InputSet::default();
    for file in &report.inventory.files {
        if let crate::inventory::Source::File(path, _) = &file.source {
            inputs.add(path);
        }
    }
    for dir in &settings.rule_dirs {
        // A pack folder, or a folder of packs.
        for entry in walkdir::WalkDir::new(dir)
            .max_depth(2)
            .into_iter()
            .flatten()
        {
            inputs.add(entry.path());
        }
    }
    let others = [
        settings.config.path.clone(),
        settings.suppressions.clone(),
        settings.baseline.clone(),
    ];
    for path in others.iter().flatten() {
        inputs.add(path);
    }
    inputs
}

/// Refuse to write `path` when it is a file the check read (nothing is written).
pub fn refuse_input(path: &Path, inputs: &InputSet) -> Result<(), Failure> {
    if inputs.contains(path) {
        return Err(Failure::said(format!(
            "error: refusing to write `{}`: it is a file this run read (an export, rule, \
             configuration, suppressions or baseline file); choose another path",
            path.display()
        )));
    }
    Ok(())
}
