//! Running the `[[example]]`s of rule files: each is a tiny in-memory inventory and the number
//! (and rows) of findings the rule must give on it, like `semgrep --test`.

use std::collections::BTreeMap;

use crate::finding::Finding;
use crate::inventory::decl::TableDecl;
use crate::inventory::Inventory;
use crate::rule::file::Example;
use crate::rule::{Pack, Rule, RuleSet};

use super::{run, CheckError, Options, Outcome};

/// The outcome of one example.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExampleOutcome {
    pub code: String,
    pub example: String,
    /// `None` when it passed, else what went wrong.
    pub failure: Option<String>,
}

/// Run the examples of every rule of `set` whose pack is in `packs` (all when empty).
pub fn run_examples(set: &RuleSet, packs: &[String]) -> Vec<ExampleOutcome> {
    let decls = set.decls();
    let maps = set.maps();
    let mut outcomes = Vec::new();
    for rule in set.rules() {
        if !packs.is_empty() && !packs.iter().any(|p| p.eq_ignore_ascii_case(&rule.pack)) {
            continue;
        }
        if rule.examples.is_empty() {
            outcomes.push(ExampleOutcome {
                code: rule.code.to_string(),
                example: "(none)".into(),
                failure: Some(
                    "the rule has no example: add one that fires and one that stays quiet".into(),
                ),
            });
            continue;
        }
        for example in &rule.examples {
            outcomes.push(ExampleOutcome {
                code: rule.code.to_string(),
                example: example.name.clone(),
                failure: run_one(rule, example, &decls, &maps).err(),
            });
        }
    }
    outcomes
}

/// Run one example: the rule alone over the example's tables.
fn run_one(
    rule: &Rule,
    example: &Example,
    decls: &[TableDecl],
    maps: &BTreeMap<String, BTreeMap<String, String>>,
) -> Result<(), String> {
    let single = RuleSet {
        packs: vec![Pack {
            name: rule.pack.clone(),
            tables: crate::inventory::decl::TablesFile {
                table: decls.to_vec(),
                maps: maps.clone(),
                known: Vec::new(),
            },
            rules: vec![rule.clone()],
        }],
    };
    let tables = example
        .tables
        .iter()
        .map(|(kind, csv)| {
            (
                format!("example/{kind}.csv"),
                Some(kind.clone()),
                csv.trim_start_matches('\n').as_bytes().to_vec(),
            )
        })
        .collect();
    let (inventory, findings) = Inventory::from_memory(tables, decls.to_vec())?;
    let target = match &example.target {
        Some(t) => Some(crate::target::Target::parse(t)?),
        None => rule.targets.first().copied(),
    };
    let options = Options {
        profiles: rule.profiles.clone(),
        target,
        retiring: example.retiring_pools.clone(),
        ..Options::default()
    };
    let report = run(inventory, findings, &single, decls, &options).map_err(|e| match e {
        CheckError::Rules(errors) => errors
            .iter()
            .map(|e| e.compact())
            .collect::<Vec<_>>()
            .join("; "),
        CheckError::Input(m) => m,
    })?;
    judge(rule, example, &report)
}

/// Whether `report` gives what `example` expects of `rule`: the rule ran, the tables were
/// well formed, and the number (and rows) of its findings are those expected.
fn judge(rule: &Rule, example: &Example, report: &Outcome) -> Result<(), String> {
    if let Some(s) = report.skipped.iter().find(|s| s.code == *rule.code) {
        return Err(format!("the rule was skipped: {}", s.reason));
    }
    let hits: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.code == rule.code)
        .collect();
    let problems: Vec<String> = report
        .findings
        .iter()
        .filter(|f| f.severity == crate::finding::Severity::Error && f.code.starts_with("CSV"))
        .map(|f| format!("{} {}", f.code, f.message))
        .collect();
    if !problems.is_empty() {
        return Err(format!(
            "the example tables are malformed: {}",
            problems.join("; ")
        ));
    }
    if hits.len() != example.expect {
        let got: Vec<String> = hits
            .iter()
            .map(|f| format!("row {}: {}", f.location.row().unwrap_or(0), f.message))
            .collect();
        return Err(format!(
            "expected {} finding(s), got {}{}",
            example.expect,
            hits.len(),
            if got.is_empty() {
                String::new()
            } else {
                format!(" ({})", got.join("; "))
            }
        ));
    }
    if let Some(rows) = &example.rows {
        let got: Vec<u64> = hits.iter().map(|f| f.location.row().unwrap_or(0)).collect();
        if &got != rows {
            return Err(format!(
                "expected findings on rows {rows:?}, got rows {got:?}"
            ));
        }
    }
    Ok(())
}
