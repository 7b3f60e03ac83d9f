//! Every fixture inventory under `testdata/inventories` checked with the embedded rules:
//! JSON snapshots (the contract), plus human and compact output for the quirks that show
//! positions best, and byte-identical output whatever the number of threads.

use crate::common::invlint;

fn check(dir: &str, format: &str, extra: &[&str]) -> (i32, String) {
    let mut args = vec!["check", dir, "--format", format, "--color", "never"];
    args.extend_from_slice(extra);
    let (code, stdout, stderr) = invlint(&args);
    assert!(stderr.is_empty() || code == 2, "stderr: {stderr}");
    (code, stdout)
}

fn quirk_dirs() -> Vec<String> {
    let mut dirs: Vec<_> =
        std::fs::read_dir(crate::common::root().join("testdata/inventories/quirks"))
            .expect("quirks folder")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
    dirs.sort();
    dirs
}

#[test]
fn quirk_inventories_json() {
    let dirs = quirk_dirs();
    assert!(dirs.len() >= 20, "{dirs:?}");
    for dir in dirs {
        let path = format!("testdata/inventories/quirks/{dir}");
        let (code, json) = check(&path, "json", &[]);
        let parsed: serde_json::Value = serde_json::from_str(&json).expect("valid JSON");
        let errors = parsed["summary"]["error"].as_u64().unwrap_or(0);
        assert_eq!(code, i32::from(errors > 0), "{dir}: exit code vs errors");
        insta::assert_snapshot!(format!("quirk_{dir}"), json);
    }
}

#[test]
fn contoso_json_human_compact() {
    for format in ["json", "human", "compact"] {
        let (code, out) = check("testdata/inventories/contoso", format, &[]);
        assert_eq!(code, 1, "{format}: the sample has errors");
        insta::assert_snapshot!(format!("contoso_{format}"), out);
    }
}

#[test]
fn quirks_human_and_compact() {
    for dir in quirk_dirs() {
        for format in ["human", "compact"] {
            let (_, out) = check(&format!("testdata/inventories/quirks/{dir}"), format, &[]);
            insta::assert_snapshot!(format!("quirk_{dir}_{format}"), out);
        }
    }
}

/// Profile rules fire only when asked for; each profile run of the sample is a snapshot.
#[test]
fn contoso_profiles() {
    for profile in ["post-migration", "decommission"] {
        let (code, out) = check(
            "testdata/inventories/contoso",
            "compact",
            &["--profile", profile],
        );
        assert_eq!(code, 1);
        insta::assert_snapshot!(format!("contoso_profile_{profile}"), out);
    }
}

/// The sample inventories exercise every shipped rule: contoso's default, profile and target
/// runs, fabrikam's target runs, the teams-pack and client-matrix samples together fire every
/// code `invlint rules` lists (built-in CSV/INV codes aside).
#[test]
fn samples_fire_every_shipped_rule() {
    let (_, listed, _) = invlint(&["rules", "--json"]);
    let listed: serde_json::Value = serde_json::from_str(&listed).expect("rules json");
    let mut shipped: Vec<String> = listed
        .as_array()
        .expect("array")
        .iter()
        .map(|r| r["code"].as_str().expect("code").to_string())
        .filter(|c| !c.starts_with("CSV") && !c.starts_with("INV"))
        .collect();
    shipped.sort();
    let mut fired = std::collections::BTreeSet::new();
    let contoso = "testdata/inventories/contoso";
    for (sample, extra) in [
        (contoso, &[][..]),
        (contoso, &["--profile", "post-migration"]),
        (contoso, &["--profile", "decommission"]),
        (FABRIKAM, &["--target", "sfbse"]),
        (FABRIKAM, &["--target", "teams"]),
        (FABRIKAM, &["--profile", "decommission"]),
        (
            FABRIKAM,
            &["--target", "sfb2015", "--retiring-pools", "pool15*"],
        ),
        (contoso, &["--target", "sfb2019"]),
        ("testdata/inventories/client-matrix/ocs-home", &[]),
        ("testdata/inventories/client-matrix/registrations-only", &[]),
    ] {
        let (_, out) = check(sample, "json", extra);
        let report: serde_json::Value = serde_json::from_str(&out).expect("json");
        for f in report["findings"].as_array().expect("findings") {
            fired.insert(f["code"].as_str().expect("code").to_string());
        }
    }
    // The Teams pack and the per-user policy rules need online users and policy exports,
    // which contoso lacks: their own sample fires each of them (tests/teams_pack.rs).
    let (_, out) = check(
        "testdata/inventories/teams-pack",
        "json",
        &["--target", "teams"],
    );
    let report: serde_json::Value = serde_json::from_str(&out).expect("json");
    for f in report["findings"].as_array().expect("findings") {
        fired.insert(f["code"].as_str().expect("code").to_string());
    }
    let missing: Vec<&String> = shipped.iter().filter(|c| !fired.contains(*c)).collect();
    assert!(
        missing.is_empty(),
        "never fired on the samples: {missing:?}"
    );
    assert!(shipped.len() >= 28, "{shipped:?}");
}

#[test]
fn one_thread_or_eight_gives_identical_output() {
    for format in ["json", "human", "compact"] {
        let one = check("testdata/inventories", format, &["--jobs", "1"]);
        let eight = check("testdata/inventories", format, &["--jobs", "8"]);
        assert_eq!(one, eight, "{format}");
        assert!(one.1.len() > 1000);
    }
}

const FABRIKAM: &str = "testdata/inventories/fabrikam-2019-to-teams";

/// The migration sample (EXPECTED.md): what blocks SfB 2015/2019 → Subscription Edition, →
/// Teams, and the decommissioning of every pool.
#[test]
fn fabrikam_per_target() {
    for (name, extra) in [
        ("default", &[][..]),
        ("sfbse", &["--target", "sfbse"]),
        ("teams", &["--target", "teams"]),
        ("decommission", &["--profile", "decommission"]),
    ] {
        let mut args = vec!["--isolated"];
        args.extend_from_slice(extra);
        let (code, out) = check(FABRIKAM, "compact", &args);
        assert_eq!(code, 1, "{name}: {out}");
        insta::assert_snapshot!(format!("fabrikam_{name}"), out);
        let (_, json) = check(FABRIKAM, "json", &args);
        let report: serde_json::Value = serde_json::from_str(&json).expect("json");
        assert_eq!(report["summary"]["objects"]["users"], 9, "{name}");
    }
}
