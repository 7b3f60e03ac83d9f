//! The Teams pack (rules/teams, `--target teams`) and the per-user policy rules
//! (rules/policies) on testdata/inventories/teams-pack, whose EXPECTED.md lists every finding.

use std::path::Path;

use crate::common::invlint;

const PACK: &str = "testdata/inventories/teams-pack";

fn codes(extra: &[&str]) -> Vec<String> {
    let mut args = vec!["check", PACK, "--isolated", "--format", "json"];
    args.extend_from_slice(extra);
    let (code, out, err) = invlint(&args);
    assert_eq!(code, 1, "{err}");
    let report: serde_json::Value = serde_json::from_str(&out).expect("json");
    let mut codes: Vec<String> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["code"].as_str().expect("code").to_string())
        .collect();
    codes.sort();
    codes
}

#[test]
fn teams_pack_fires_as_expected_md_says() {
    let teams = codes(&["--target", "teams"]);
    assert_eq!(
        teams,
        [
            "AD003", "PL001", "PL002", "PL003", "PL004", "PL005", "PL006", "TM001", "TM002",
            "TM003", "TM003", "TM004", "TM005", "TM006", "TM007", "TP003"
        ]
    );
    // Without a target the TM rules do not run; the policy rules do.
    let default = codes(&[]);
    assert_eq!(
        default,
        ["AD003", "PL001", "PL002", "PL003", "PL004", "PL005", "PL006", "TP003"]
    );
}

#[test]
fn teams_pack_compact_output() {
    let (_, out, _) = invlint(&[
        "check",
        PACK,
        "--isolated",
        "--format",
        "compact",
        "--color",
        "never",
        "--target",
        "teams",
    ]);
    insta::assert_snapshot!("teams_pack_compact", out);
}

/// Without the policy exports the PL rules judge nothing and add no "table missing" notice:
/// they are optional evidence, not a table every run must have.
#[test]
fn policy_rules_are_quiet_without_their_exports() {
    let dir = tempfile::tempdir().expect("tempdir");
    for name in ["users.csv", "registrars.csv"] {
        std::fs::copy(Path::new(PACK).join(name), dir.path().join(name)).expect("copy");
    }
    let path = dir.path().to_string_lossy().into_owned();
    let (_, out, err) = invlint(&["check", &path, "--isolated", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&out).expect(&err);
    // The findings and the summary (the `rules` object lists the PL rules: they ran).
    let text = serde_json::json!([report["findings"], report["summary"]]).to_string();
    assert!(!text.contains("\"PL0"), "{text}");
    assert!(!text.contains("voice-policies"), "{text}");
    // TP003 and AD003 still fire: the run itself is not empty.
    assert!(text.contains("TP003") && text.contains("AD003"), "{text}");
}
