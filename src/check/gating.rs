//! The gate stage of a check: what happens to the engine's findings before they are sorted,
//! capped and reported. Severity overrides and per-path settings, then suppressions, then the
//! baseline (written with `write_baseline`, else compared with); see [`crate::gate`].

use crate::engine::Outcome;
use crate::files::{self, InputSet};
use crate::finding::builtin;
use crate::gate::baseline::Baseline;
use crate::gate::suppress;
use crate::rule::RuleSet;

use super::names::unknown_suppression_code;
use super::{refuse_input, Failure, Settings};

/// Apply the gate to `report`; notes for the user (a baseline written) go to `notes`.
/// Returns whether a baseline was written.
pub fn apply(
    settings: &Settings,
    rules: &RuleSet,
    report: &mut Outcome,
    inputs: &InputSet,
    notes: &mut Vec<String>,
) -> Result<bool, Failure> {
    match settings.config.file.adjust() {
        Ok(adjust) => adjust.apply(&mut report.findings),
        Err(message) => return Err(Failure::said(format!("error: configuration: {message}"))),
    }
    apply_suppressions(settings, rules, report)?;
    if let Some(path) = &settings.asked.write_baseline {
        refuse_input(path, inputs)?;
        notes.push(write_baseline(path, report)?);
        return Ok(true);
    }
    if let Some(path) = &settings.baseline {
        let baseline = files::read_text_capped(path, files::MAX_TEXT_FILE, "baseline")
            .and_then(|text| Baseline::from_json(&text));
        match baseline {
            Ok(baseline) => {
                report.gate.baseline = Some(baseline.apply(&mut report.findings));
            }
            Err(e) => {
                return Err(Failure::said(format!(
                    "error: cannot use the baseline `{}`: {e}",
                    path.display()
                )))
            }
        }
    }
    Ok(false)
}

/// Record the findings of `report` (all but the run's own, `INV…`) as the baseline `path`;
/// returns the note that says so.
fn write_baseline(path: &std::path::Path, report: &Outcome) -> Result<String, Failure> {
    let known: Vec<_> = report
        .findings
        .iter()
        .filter(|f| !f.code.starts_with("INV"))
        .cloned()
        .collect();
    let baseline = Baseline::from_findings(&known);
    if let Err(e) = files::write_atomic(path, |out| out.write_all(baseline.to_json().as_bytes())) {
        return Err(Failure::said(format!(
            "error: cannot write the baseline `{}`: {e}",
            path.display()
        )));
    }
    Ok(format!(
        "wrote {} finding{} ({} entr{}) to the baseline {}",
        known.len(),
        if known.len() == 1 { "" } else { "s" },
        baseline.entries.len(),
        if baseline.entries.len() == 1 {
            "y"
        } else {
            "ies"
        },
        path.display()
    ))
}

/// Suppressions of the configuration file and of the suppressions file, applied to `report`.
fn apply_suppressions(
    settings: &Settings,
    rules: &RuleSet,
    report: &mut Outcome,
) -> Result<(), Failure> {
    let config = &settings.config;
    let mut suppressions = match (&config.source, &config.path) {
        (Some(source), Some(path)) => suppress::from_spanned(
            &path.to_string_lossy().replace('\\', "/"),
            &source.text,
            &config.file.suppress,
        ),
        _ => Vec::new(),
    };
    if let Some(path) = &settings.suppressions {
        match suppress::load(path) {
            Ok(mut more) => suppressions.append(&mut more),
            Err(errors) => return Err(Failure::errors(errors, "in the suppressions file")),
        }
    }
    if suppressions.is_empty() {
        return Ok(());
    }
    let codes = crate::suggest::known_codes(rules.codes());
    let unknown: Vec<String> = suppressions
        .iter()
        .filter_map(|s| {
            unknown_suppression_code(&s.entry.code, &codes).map(|message| {
                format!(
                    "error: {}:{}:{}: {message}",
                    s.file, s.span.line, s.span.column
                )
            })
        })
        .collect();
    if !unknown.is_empty() {
        return Err(Failure::lines(unknown));
    }
    let codes_run = report.ran.clone();
    let ran = |code: &str| {
        builtin::ALL
            .iter()
            .any(|(c, _, _)| c.eq_ignore_ascii_case(code))
            || codes_run.iter().any(|c| c.eq_ignore_ascii_case(code))
    };
    let outcome = suppress::apply(
        &suppressions,
        &mut report.findings,
        suppress::today(),
        settings.asked.strict_suppressions,
        ran,
    );
    report.gate.suppressed = outcome.suppressed;
    report.gate.expired = outcome.expired;
    report.gate.stale = outcome.stale;
    Ok(())
}
