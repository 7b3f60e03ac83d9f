//! The CI gate around the engine: configuration file, baselines, suppressions, `init`,
//! completions and the man page. The gate's behaviour is checked through the library's check
//! ([`invlint::check::run`]); what only the command line shows (finding the configuration from
//! the current folder, the output format chosen, `init`, completions, the man page, messages
//! of a bad configuration) is checked by running the command.

use std::path::{Path, PathBuf};

use invlint::check::{self, Asked, Checked, Failure, Problem, Settings};
use invlint::config::FailOn;
use invlint::report::{self, Format, RenderOptions};

use crate::common::{invlint_in, root};

/// A check through the library, its configuration found (or named in `asked`) as the command
/// finds it.
fn run(asked: Asked) -> Result<Checked, Failure> {
    let config = asked.load_config()?;
    check::run(&Settings::resolve(asked, config))
}

/// A check that must finish.
pub(crate) fn checked(asked: Asked) -> Checked {
    run(asked).unwrap_or_else(|f| panic!("the check stopped: {}", said(&f)))
}

/// A check that must stop: what it says (each line, or each located error in compact form).
pub(crate) fn stopped(asked: Asked) -> String {
    match run(asked) {
        Ok(c) => panic!("the check finished: {:?}", c.outcome.findings),
        Err(f) => said(&f),
    }
}

fn said(failure: &Failure) -> String {
    let lines: Vec<String> = match &failure.problem {
        Problem::Said(lines) => lines.clone(),
        Problem::Errors { errors, .. } => errors.iter().map(|e| e.compact()).collect(),
    };
    failure
        .notes
        .iter()
        .chain(&lines)
        .cloned()
        .collect::<Vec<_>>()
        .join("\n")
}

/// `path` checked with the defaults (as `invlint check PATH`).
pub(crate) fn asked(path: &Path) -> Asked {
    Asked {
        paths: vec![path.to_path_buf()],
        ..Asked::default()
    }
}

/// The outcome as the JSON format writes it.
pub(crate) fn json_of(checked: &Checked) -> serde_json::Value {
    json(&render(checked, Format::Json))
}

pub(crate) fn render(checked: &Checked, format: Format) -> String {
    let mut out = Vec::new();
    report::write(
        format,
        &checked.outcome,
        &checked.rules,
        RenderOptions::default(),
        &mut out,
    )
    .expect("rendered");
    String::from_utf8(out).expect("utf-8")
}

/// A copy of the sample inventory in a fresh folder: (tempdir guard, its path).
fn contoso_copy() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_tree(
        &root().join("testdata/inventories/contoso"),
        &dir.path().join("contoso"),
    );
    let path = dir.path().to_path_buf();
    (dir, path)
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read") {
        let path = entry.expect("entry").path();
        let target = to.join(path.file_name().expect("name"));
        if path.is_dir() {
            copy_tree(&path, &target);
        } else {
            std::fs::copy(&path, target).expect("copy");
        }
    }
}

fn json(out: &str) -> serde_json::Value {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

fn codes(report: &serde_json::Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["code"].as_str().unwrap_or("").to_string())
        .collect()
}

/// Rewrite an export (no quoted line breaks) with its data rows reversed (`#TYPE` line and
/// header kept first).
fn reverse_rows(path: &Path) {
    let text = std::fs::read_to_string(path).expect("read");
    let eol = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let mut lines: Vec<&str> = text.split_terminator(eol).collect();
    assert!(lines.len() > 3, "{}", path.display());
    let head_len = if lines[0].trim_start_matches('\u{feff}').starts_with("#TYPE") {
        2
    } else {
        1
    };
    let mut rows = lines.split_off(head_len);
    rows.reverse();
    lines.extend(rows);
    let mut out = lines.join(eol);
    out.push_str(eol);
    std::fs::write(path, out).expect("write");
}

#[test]
fn baseline_ignores_row_order_and_lists_the_fixed_finding() {
    let (_guard, dir) = contoso_copy();
    let contoso = dir.join("contoso");
    let path = dir.join("baseline.json");
    let written = checked(Asked {
        write_baseline: Some(path.clone()),
        ..asked(&contoso)
    });
    assert_eq!(
        written.exit_code(),
        0,
        "writing a baseline accepts the findings: {:?}",
        written.notes
    );
    let note = format!("to the baseline {}", path.display());
    assert!(
        written.notes.iter().any(|n| n.contains(&note)),
        "{:?}",
        written.notes
    );
    let recorded = json(&std::fs::read_to_string(&path).expect("baseline"));
    let recorded_total: u64 = recorded["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["count"].as_u64().unwrap_or(0))
        .sum();
    assert!(recorded_total > 30, "{recorded}");

    // The re-export: every users row in the opposite order, and one row fixed (Toni Poe's
    // LineURI gains its `+`, which clears AD003 and nothing else).
    let users = contoso.join("users.csv");
    reverse_rows(&users);
    reverse_rows(&contoso.join("EndpointRegistrations.csv"));
    let text = std::fs::read_to_string(&users).expect("users");
    assert_eq!(text.matches("\"tel:4255550123\"").count(), 1);
    std::fs::write(
        &users,
        text.replace("\"tel:4255550123\"", "\"tel:+14255550123\""),
    )
    .expect("fix");

    let again = checked(Asked {
        baseline: Some(path.clone()),
        ..asked(&contoso)
    });
    let report = json_of(&again);
    assert_eq!(codes(&report), Vec::<String>::new(), "{report}");
    assert_eq!(again.exit_code(), 0, "{:?}", again.notes);
    let baseline = &report["summary"]["gate"]["baseline"];
    assert_eq!(baseline["hidden"].as_u64(), Some(recorded_total - 1));
    let gone = baseline["gone"].as_array().expect("gone");
    assert_eq!(gone.len(), 1, "{baseline}");
    assert_eq!(gone[0]["code"], "AD003");
    assert_eq!(gone[0]["key"], "users:toni.poe@contoso.com");

    // The compact summary's gate lines say the same to a person.
    let out = report::gate_lines(&again.outcome).join("\n");
    assert!(
        out.contains(&format!(
            "baseline: {} known findings hidden, 1 recorded finding no longer occurs",
            recorded_total - 1
        )),
        "{out}"
    );
    assert!(
        out.contains("  gone: AD003 users:toni.poe@contoso.com `tel:4255550123`"),
        "{out}"
    );
}

#[test]
fn unusable_baseline_is_an_error() {
    let (_guard, dir) = contoso_copy();
    let bad = dir.join("bad.json");
    std::fs::write(&bad, "{\"version\": 1}").expect("write");
    let err = stopped(Asked {
        baseline: Some(bad.clone()),
        ..asked(&dir.join("contoso"))
    });
    let expected = format!("cannot use the baseline `{}`", bad.display());
    assert!(err.contains(&expected), "{err}");
    let err = stopped(Asked {
        baseline: Some(dir.join("missing.json")),
        ..asked(&dir.join("contoso"))
    });
    assert!(err.contains("missing.json"), "{err}");
}

const SUPPRESSIONS: &str = r#"# Accepted findings of the contoso audit.
[[suppress]]
code = "AD002"
key = "sip:Ken.Myer@contoso.com"
table = "users"
reason = "Admin account kept until the cut-over, CHG-1234"
expires = 2999-12-31

[[suppress]]
code = "PC001"
key = "kim.akers@contoso.com"
reason = "Kim moves to pool13 next week"
expires = 2001-01-31

[[suppress]]
code = "TP001"
key = "sip:nobody@contoso.com"
reason = "typo in the key"
"#;

#[test]
fn suppressions_hide_expire_and_go_stale() {
    let (_guard, dir) = contoso_copy();
    std::fs::write(dir.join("invlint-suppressions.toml"), SUPPRESSIONS).expect("write");
    // Found beside the configuration file, or in the current folder when there is none.
    let (code, out, _) = invlint_in(&dir, &["check", "contoso", "--format", "json"]);
    assert_eq!(code, 1);
    let report = json(&out);
    let findings = report["findings"].as_array().expect("findings");
    assert!(!codes(&report).contains(&"AD002".to_string()), "{out}");
    let kim: Vec<&serde_json::Value> = findings
        .iter()
        .filter(|f| f["code"] == "PC001" && f["value"] == "pool10.contoso.com")
        .collect();
    assert_eq!(kim.len(), 1, "{out}");
    assert!(
        kim[0]["message"]
            .as_str()
            .unwrap_or("")
            .ends_with("(suppression expired on 2001-01-31: Kim moves to pool13 next week)"),
        "{}",
        kim[0]
    );
    let stale: Vec<&serde_json::Value> =
        findings.iter().filter(|f| f["code"] == "INV002").collect();
    assert_eq!(stale.len(), 1, "{out}");
    assert_eq!(stale[0]["file"], "invlint-suppressions.toml");
    assert_eq!(stale[0]["line"], 15);
    assert_eq!(stale[0]["severity"], "warning");
    let gate = &report["summary"]["gate"];
    assert_eq!(
        (
            gate["suppressed"].as_u64(),
            gate["expired"].as_u64(),
            gate["stale"].as_u64()
        ),
        (Some(1), Some(1), Some(1))
    );

    // --strict-suppressions: the stale entry is an error.
    let strict = checked(Asked {
        suppressions: Some(dir.join("invlint-suppressions.toml")),
        strict_suppressions: true,
        ..asked(&dir.join("contoso"))
    });
    let report = json_of(&strict);
    let stale = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["code"] == "INV002")
        .cloned()
        .expect("stale");
    assert_eq!(stale["severity"], "error");

    // A stale entry alone fails a `--fail-on warning` gate, and only with it.
    // (CSV001 always runs; an entry for a rule that was skipped is not judged stale.)
    let only_stale = "[[suppress]]\ncode = \"CSV001\"\nkey = \"x\"\nreason = \"r\"\n\n[[suppress]]\ncode = \"TP001\"\nkey = \"y\"\nreason = \"r\"\n";
    let file = dir.join("s.toml");
    std::fs::write(&file, only_stale).expect("write");
    let only = Asked {
        suppressions: Some(file.clone()),
        ..asked(&dir.join("contoso/addins.csv"))
    };
    let outcome = checked(only.clone());
    let out = render(&outcome, Format::Compact);
    assert_eq!(outcome.exit_code(), 0, "{out}");
    assert!(
        out.contains(&format!(
            "{}:1:1: warning[INV002] suppression of CSV001 for `x` matches no finding",
            file.display()
        )) && !out.contains("TP001"),
        "{out}"
    );
    let strict = Asked {
        fail_on: Some(FailOn::Warning),
        ..only
    };
    assert_eq!(checked(strict).exit_code(), 1);
}

#[test]
fn suppression_without_reason_is_a_located_error() {
    let (_guard, dir) = contoso_copy();
    let file = dir.join("s.toml");
    std::fs::write(
        &file,
        "[[suppress]]\ncode = \"AD002\"\nkey = \"sip:ken.myer@contoso.com\"\n",
    )
    .expect("write");
    let err = stopped(Asked {
        suppressions: Some(file),
        ..asked(&dir.join("contoso"))
    });
    assert!(err.contains("has no `reason`"), "{err}");
    assert!(err.contains("s.toml:1:1"), "{err}");
}

#[test]
fn configuration_file_is_found_upwards_and_applied() {
    let (_guard, dir) = contoso_copy();
    std::fs::write(
        dir.join("invlint.toml"),
        r#"
select = ["AD", "TP"]
ignore = ["TP005"]
fail-on = "warning"
format = "compact"

[severity]
AD001 = "info"

[[per-path]]
paths = ["**/Lync_Services_Registrar.csv"]
severity = { TP = "warning" }
"#,
    )
    .expect("config");
    let nested = dir.join("contoso");
    // Run inside the export folder: the configuration one level up applies.
    let (code, out, err) = invlint_in(&nested, &["check", "."]);
    assert_eq!(code, 1, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines
            .iter()
            .all(|l| !l.contains("[PC") && !l.contains("[TP005]")),
        "{out}"
    );
    assert!(
        out.contains("info[AD001] This user has an empty SipAddress"),
        "{out}"
    );
    assert!(
        out.contains("./Lync_Services_Registrar.csv:3:148: warning[TP003]"),
        "{out}"
    );
    assert!(out.contains("error[TP001]"), "{out}");
    // fail-on from the file, overridden by the command line.
    let never = checked(Asked {
        fail_on: Some(FailOn::Never),
        ..asked(&nested)
    });
    assert_eq!(never.exit_code(), 0);
    // --isolated ignores the file: every rule runs again.
    let isolated = checked(Asked {
        isolated: true,
        ..asked(&nested)
    });
    assert!(codes(&json_of(&isolated)).contains(&"PC001".to_string()));
    // The configured format is the default; --format wins over it.
    std::fs::write(
        dir.join("json.toml"),
        "format = \"json\"\nselect = [\"TP001\"]\n",
    )
    .expect("config");
    let (_, out, _) = invlint_in(&nested, &["check", ".", "--config", "../json.toml"]);
    assert_eq!(codes(&json(&out)), ["TP001"]);
    let (_, out, _) = invlint_in(
        &nested,
        &[
            "check",
            ".",
            "--config",
            "../json.toml",
            "--format",
            "compact",
        ],
    );
    assert!(out.starts_with("./users.csv:29:135: error[TP001]"), "{out}");
}

#[test]
fn bad_configuration_exits_2_with_the_location() {
    let (_guard, dir) = contoso_copy();
    std::fs::write(
        dir.join("invlint.toml"),
        "select = [\"PC\"]\nfail_on = \"warning\"\n",
    )
    .expect("config");
    let (code, out, err) = invlint_in(&dir, &["check", "contoso", "--color", "never"]);
    assert_eq!(code, 2, "{out}");
    assert!(err.contains("unknown field `fail_on`"), "{err}");
    assert!(err.contains("invlint.toml:2:1"), "{err}");
    assert!(out.is_empty(), "{out}");

    std::fs::write(dir.join("other.toml"), "[severity]\nAD001 = \"fatal\"\n").expect("config");
    let (code, _, err) = invlint_in(
        &dir,
        &[
            "check",
            "contoso",
            "--config",
            "other.toml",
            "--color",
            "never",
        ],
    );
    assert_eq!(code, 2);
    assert!(err.contains("other.toml:2:9"), "{err}");
    let (code, _, err) = invlint_in(&dir, &["check", "contoso", "--config", "nope.toml"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("cannot read the configuration file `nope.toml`"),
        "{err}"
    );
}

#[test]
fn table_override_places_an_unrecognisable_export() {
    let dir = tempfile::tempdir().expect("tempdir");
    let exports = dir.path().join("exports");
    std::fs::create_dir(&exports).expect("mkdir");
    std::fs::write(
        exports.join("odd.csv"),
        "Address;Name\r\nbob@contoso.com;Bob\r\n",
    )
    .expect("write");
    let out = render(&checked(asked(&exports)), Format::Compact);
    assert!(out.contains("info[CSV005]"), "{out}");
    // The configuration is found from the checked folder upwards.
    std::fs::write(
        dir.path().join("invlint.toml"),
        "[[table]]\npaths = [\"**/odd.csv\"]\nkind = \"users\"\ndelimiter = \";\"\n",
    )
    .expect("config");
    let out = render(&checked(asked(&exports)), Format::Compact);
    assert!(!out.contains("CSV005"), "{out}");
    assert!(out.contains("exports/odd.csv"), "{out}");
}

#[test]
fn init_writes_a_starter_that_check_accepts() {
    let (_guard, dir) = contoso_copy();
    let (code, _, err) = invlint_in(&dir, &["init"]);
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(dir.join("invlint.toml")).expect("written");
    assert!(text.contains("# [[suppress]]"));
    let (code, _, err) = invlint_in(&dir, &["init"]);
    assert_eq!(code, 2);
    assert!(err.contains("already exists"), "{err}");
    assert_eq!(invlint_in(&dir, &["init", "--force"]).0, 0);
    // The starter changes nothing: same findings as without it.
    let (_, with, _) = invlint_in(&dir, &["check", "contoso", "--format", "json"]);
    let (_, without, _) = invlint_in(
        &dir,
        &["check", "contoso", "--format", "json", "--isolated"],
    );
    let with: serde_json::Value = serde_json::from_str(&with).expect("json");
    let without: serde_json::Value = serde_json::from_str(&without).expect("json");
    assert_eq!(with["findings"], without["findings"]);
    // Only the configuration used differs: named in the summary.
    assert_eq!(with["summary"]["config"], "invlint.toml");
    assert!(without["summary"]["config"].is_null());
}

#[test]
fn completions_and_man_page() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let (code, out, err) = invlint_in(&root(), &["completions", shell]);
        assert_eq!(code, 0, "{shell}: {err}");
        assert!(out.contains("write-baseline"), "{shell}");
    }
    let (code, out, _) = invlint_in(&root(), &["man"]);
    assert_eq!(code, 0);
    assert!(out.starts_with(".ie"), "{}", &out[..out.len().min(200)]);
    assert!(out.contains(".TH invlint"));
    assert!(out.contains(".SH \"EXIT STATUS\"") && out.contains(".SH EXAMPLES"));
    let shipped = std::fs::read_to_string(root().join("docs/invlint.1")).expect("docs/invlint.1");
    assert!(
        shipped == out,
        "docs/invlint.1 is stale: run `cargo run -- man > docs/invlint.1`"
    );
}

/// `--max-findings` caps what is left after the gate: findings a baseline knows neither fill
/// the cap nor count in the exit code.
#[test]
fn max_findings_applies_after_the_baseline() {
    let (_guard, dir) = contoso_copy();
    let contoso = dir.join("contoso");
    let path = dir.join("b.json");
    let capped = |more: Asked| Asked {
        max_findings: Some(3),
        ..more
    };
    let written = checked(capped(Asked {
        write_baseline: Some(path.clone()),
        ..asked(&contoso)
    }));
    assert_eq!(written.exit_code(), 0);
    let recorded = json(&std::fs::read_to_string(&path).expect("baseline"));
    assert!(
        recorded["entries"].as_array().map_or(0, Vec::len) > 30,
        "the baseline records every finding, not the first 3"
    );
    let known = checked(capped(Asked {
        baseline: Some(path.clone()),
        ..asked(&contoso)
    }));
    let report = json_of(&known);
    assert_eq!(codes(&report), Vec::<String>::new(), "{report}");
    assert!(report["summary"].get("truncated").is_none(), "{report}");
    assert_eq!(known.exit_code(), 0);
    // Without a baseline the cap keeps 3 and counts the rest, exit code from all of them.
    let all = checked(capped(asked(&contoso)));
    let report = json_of(&all);
    assert_eq!(codes(&report).len(), 3);
    assert!(
        report["summary"]["truncated"].as_u64() > Some(30),
        "{report}"
    );
    assert_eq!(all.exit_code(), 1);
}
