//! The command line as a user runs it: exit codes, commands, errors.

use crate::common::{invlint, invlint_in};

#[test]
fn exit_codes_follow_fail_on() {
    let contoso = "testdata/inventories/contoso";
    assert_eq!(invlint(&["check", contoso, "--format", "compact"]).0, 1);
    assert_eq!(
        invlint(&[
            "check",
            contoso,
            "--format",
            "compact",
            "--fail-on",
            "never"
        ])
        .0,
        0
    );
    assert_eq!(
        invlint(&["check", contoso, "--format", "compact", "--exit-zero"]).0,
        0
    );
    // Only warnings/info: 0 by default, 1 with --fail-on warning.
    let clean = "testdata/inventories/quirks/ascii-question-marks";
    assert_eq!(invlint(&["check", clean, "--format", "compact"]).0, 0);
    assert_eq!(
        invlint(&[
            "check",
            clean,
            "--format",
            "compact",
            "--fail-on",
            "warning"
        ])
        .0,
        1
    );
    let info_only = "testdata/inventories/quirks/unrecognised";
    assert_eq!(
        invlint(&[
            "check",
            info_only,
            "--format",
            "compact",
            "--fail-on",
            "warning"
        ])
        .0,
        0
    );
    assert_eq!(
        invlint(&[
            "check",
            info_only,
            "--format",
            "compact",
            "--fail-on",
            "info"
        ])
        .0,
        1
    );
}

#[test]
fn untrusted_runs_exit_2() {
    let (code, out, _) = invlint(&[
        "check",
        "testdata/inventories/contoso",
        "does/not/exist",
        "--format",
        "compact",
    ]);
    assert_eq!(code, 2);
    assert!(out.contains("does/not/exist:1:1: error[CSV008]"), "{out}");
    assert!(
        out.contains("[PC001]"),
        "the rest of the run went on: {out}"
    );
    assert_eq!(invlint(&["check"]).0, 2);
    assert_eq!(invlint(&["check", ".", "--format", "xml"]).0, 2);
    assert_eq!(invlint(&["check", ".", "--fail-on", "sometimes"]).0, 2);
}

#[test]
fn default_command_is_check() {
    let (code, out, _) = invlint(&[
        "testdata/inventories/quirks/ragged-rows",
        "--format",
        "compact",
    ]);
    assert_eq!(code, 1);
    assert!(out.contains("[CSV001]"), "{out}");
}

#[test]
fn rules_explain_and_test_commands() {
    let (code, out, _) = invlint(&["rules"]);
    assert_eq!(code, 0);
    assert!(out.contains("PC001") && out.contains("CSV001"), "{out}");
    let (code, out, _) = invlint(&["explain", "PC001"]);
    assert_eq!(code, 0);
    for part in ["Why", "Fix", "Move-CsUser", "Example", "Documentation"] {
        assert!(out.contains(part), "{part} in {out}");
    }
    assert_eq!(invlint(&["explain", "NOPE999"]).0, 2);
    let (code, out, _) = invlint(&["test"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(" 0 failed"), "{out}");
}

#[test]
fn failing_example_fails_invlint_test() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("always-wrong.toml"),
        r#"code = "ZZ001"
title = "Claims a finding that never comes"
severity = "error"
table = "users"
assert = 'true'
message = 'never'
help = 'none'
[doc]
why = 'test'
[[example]]
name = "expects one"
expect = 1
[example.tables]
users = '''
SipAddress,RegistrarPool
sip:a@b.com,pool
'''
"#,
    )
    .expect("write rule");
    let pack = dir.path().to_string_lossy().into_owned();
    let (code, out, _) = invlint_in(
        dir.path(),
        &["test", "--no-default-rules", "--rules", &pack],
    );
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("FAILED ZZ001 expects one: expected 1 finding(s), got 0"),
        "{out}"
    );
}

#[test]
fn rule_reference_is_up_to_date() {
    let (code, generated, _) = invlint(&["rules", "--markdown"]);
    assert_eq!(code, 0);
    let committed =
        std::fs::read_to_string(crate::common::root().join("docs/rules.md")).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/rules.md is stale: run `cargo run -- rules --markdown > docs/rules.md`"
    );
    assert!(generated.contains("### PC001"));
}

#[test]
fn table_reference_is_up_to_date() {
    let (code, generated, _) = invlint(&["tables", "--markdown"]);
    assert_eq!(code, 0);
    let committed =
        std::fs::read_to_string(crate::common::root().join("docs/tables.md")).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/tables.md is stale: run `cargo run -- tables --markdown > docs/tables.md`"
    );
    for needle in [
        "## online-users",
        "## ad-users",
        "`Get-CsVoiceRoute`",
        "## voice-policies",
        "**rules judge**",
    ] {
        assert!(generated.contains(needle), "{needle}");
    }
    let (code, text, _) = invlint(&["tables"]);
    assert_eq!(code, 0);
    assert!(text.contains("common-area-phones  Common area phones (Get-CsCommonAreaPhone)"));
}

/// A symlink loop and a dangling link are each reported as CSV008 with their path; the run
/// still checks the real export next to them and exits 2.
#[cfg(unix)]
/// `--select` and `--ignore` choose rules; they never hide that an input was not read (and
/// the exit code still says the run cannot be trusted).
#[test]
fn select_does_not_hide_unreadable_inputs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    std::fs::copy(
        crate::common::root().join("testdata/inventories/contoso/users.csv"),
        root.join("users.csv"),
    )
    .expect("copy");
    std::os::unix::fs::symlink("nowhere.csv", root.join("gone.csv")).expect("dangling link");
    for filter in [["--select", "AD"], ["--ignore", "CSV"]] {
        let (code, out, _) = crate::common::invlint_in(
            root,
            &["check", ".", "--format", "compact", filter[0], filter[1]],
        );
        assert_eq!(code, 2, "{filter:?}: {out}");
        assert!(
            out.contains("gone.csv") && out.contains("[CSV008]"),
            "{filter:?}: {out}"
        );
    }
}

#[test]
fn loops_and_unreadable_entries_are_reported_not_fatal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    std::fs::copy(
        crate::common::root().join("testdata/inventories/contoso/users.csv"),
        root.join("users.csv"),
    )
    .expect("copy");
    std::fs::create_dir(root.join("sub")).expect("sub");
    std::os::unix::fs::symlink("..", root.join("sub/loop")).expect("loop link");
    std::os::unix::fs::symlink("nowhere.csv", root.join("gone.csv")).expect("dangling link");
    let (code, out, _) = crate::common::invlint_in(root, &["check", ".", "--format", "json"]);
    assert_eq!(code, 2, "{out}");
    let report: serde_json::Value = serde_json::from_str(&out).expect("json");
    let findings = report["findings"].as_array().expect("findings");
    let unreadable: Vec<String> = findings
        .iter()
        .filter(|f| f["code"] == "CSV008")
        .map(|f| {
            format!(
                "{} {}",
                f["file"].as_str().unwrap_or(""),
                f["message"].as_str().unwrap_or("")
            )
        })
        .collect();
    assert!(
        unreadable
            .iter()
            .any(|m| m.contains("loop") && m.contains("symbolic link loop")),
        "{unreadable:?}"
    );
    assert!(
        unreadable.iter().any(|m| m.contains("gone.csv")),
        "{unreadable:?}"
    );
    // The users export beside them was still read and checked.
    assert!(findings.iter().any(|f| f["code"] == "AD001"), "{out}");
}

#[test]
fn rules_lists_sorted_codes_under_a_header_with_profiles() {
    let (code, out, _) = invlint(&["rules"]);
    assert_eq!(code, 0);
    let mut lines = out.lines();
    let header = lines.next().unwrap_or_default();
    assert!(
        header.starts_with("CODE") && header.contains("RUNS") && header.ends_with("TITLE"),
        "{header}"
    );
    let codes: Vec<&str> = lines.filter_map(|l| l.split_whitespace().next()).collect();
    let mut sorted = codes.clone();
    sorted.sort_unstable();
    assert_eq!(codes, sorted);
    assert!(out.contains("decommission"), "{out}");
    assert!(
        out.contains("any target") && out.contains("target sfb2019/sfbse/teams"),
        "{out}"
    );
    let (_, json, _) = invlint(&["rules", "--json"]);
    let json: serde_json::Value = serde_json::from_str(&json).expect("json");
    assert!(json[0]["profiles"].is_array(), "{json}");
    let dc010 = json
        .as_array()
        .and_then(|rules| rules.iter().find(|r| r["code"] == "DC010"))
        .expect("DC010");
    assert_eq!(
        dc010["targets"],
        serde_json::json!(["sfb2019", "sfbse", "teams"])
    );
}

#[test]
fn explain_gives_why_and_fix_for_builtin_codes_and_suggests_a_code() {
    for code in ["CSV001", "CSV003", "CSV004", "INV002"] {
        let (exit, out, _) = invlint(&["explain", code]);
        assert_eq!(exit, 0);
        assert!(
            out.contains("\nWhy\n  ") && out.contains("\nFix\n  "),
            "{out}"
        );
        assert!(!out.contains("see README.md"), "{out}");
    }
    let (code, _, err) = invlint(&["explain", "PC999"]);
    assert_eq!(code, 2);
    assert!(err.contains("did you mean `PC009`?"), "{err}");
}

#[test]
fn output_format_is_an_alias_of_format() {
    let contoso = "testdata/inventories/contoso";
    let (code, out, _) = invlint(&["check", contoso, "--output-format", "json"]);
    assert_eq!(code, 1);
    assert!(out.starts_with('{'), "{out}");
    let (code, _, err) = invlint(&["check", contoso, "--format", "jsn"]);
    assert_eq!(code, 2);
    assert!(err.contains("did you mean `json`?"), "{err}");
}

#[test]
fn help_lists_values_and_exit_codes_and_completions_offer_them() {
    let (_, help, _) = invlint(&["check", "--help"]);
    assert!(help.contains("Exit status:"), "{help}");
    assert!(help.contains("[alias: --output-format]"), "{help}");
    let (_, top, _) = invlint(&["--help"]);
    assert!(
        top.contains("Exit status:") && top.contains("Examples:"),
        "{top}"
    );
    let (_, bash, _) = invlint(&["completions", "bash"]);
    assert!(
        bash.contains("human compact json sarif github junit markdown"),
        "{bash}"
    );
    assert!(bash.contains("post-migration decommission"), "{bash}");
    assert!(bash.contains("PC001") && bash.contains(" CSV "), "{bash}");
}

#[test]
fn init_says_what_to_do_next() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (code, _, err) = invlint_in(dir.path(), &["init"]);
    assert_eq!(code, 0);
    assert!(err.contains("Next: `invlint check"), "{err}");
}
