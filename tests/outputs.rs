//! CI formats tell what they left out, and mark as failures only what fails the run.

use crate::common::invlint;

const CONTOSO: &str = "testdata/inventories/contoso";

#[test]
fn sarif_says_when_max_findings_cut_the_list() {
    let (code, out, _) = invlint(&["check", CONTOSO, "--format", "sarif", "--max-findings", "3"]);
    assert_eq!(code, 1);
    let sarif: serde_json::Value = serde_json::from_str(&out).expect("sarif");
    let run = &sarif["runs"][0];
    assert_eq!(run["results"].as_array().map(Vec::len), Some(3));
    let props = &run["properties"];
    assert_eq!(props["truncated"], true, "{props}");
    assert_eq!(props["resultsTotal"], 34, "{props}");
    assert_eq!(props["resultsOmitted"], 31, "{props}");
    let note = props["truncationNote"].as_str().unwrap_or_default();
    assert!(note.contains("31 by --max-findings 3"), "{note}");
}

#[test]
fn github_says_when_max_findings_cut_the_list() {
    let (_, out, _) = invlint(&[
        "check",
        CONTOSO,
        "--format",
        "github",
        "--max-findings",
        "3",
    ]);
    let last = out.lines().last().unwrap_or_default();
    assert_eq!(
        last,
        "::notice title=invlint::31 more findings not shown (--max-findings 3); the exit code \
         counts them"
    );
    assert_eq!(out.lines().count(), 4, "{out}");
}

/// A test case fails only for findings at or above `--fail-on`: warnings and infos under the
/// default threshold pass, with the findings in their output.
#[test]
fn junit_fails_only_what_fails_the_run() {
    let junit = |extra: &[&str]| {
        let mut args = vec!["check", CONTOSO, "--format", "junit"];
        args.extend_from_slice(extra);
        invlint(&args).1
    };
    let failures = |xml: &str| -> Vec<String> {
        let doc = roxmltree::Document::parse(xml).expect("xml");
        doc.descendants()
            .filter(|n| n.has_tag_name("testcase"))
            .filter(|n| n.children().any(|c| c.has_tag_name("failure")))
            .map(|n| n.attribute("name").unwrap_or_default().to_string())
            .collect()
    };
    let default = junit(&[]);
    let failed = failures(&default);
    assert!(failed.iter().any(|n| n.starts_with("PC002")), "{failed:?}");
    // TP005 is a warning, PC009 an info: listed, not failed.
    assert!(!failed.iter().any(|n| n.starts_with("TP005")), "{failed:?}");
    assert!(!failed.iter().any(|n| n.starts_with("PC009")), "{failed:?}");
    assert!(
        default.contains(
            "<system-out>testdata/inventories/contoso/Lync_Services_Registrar.csv:4:200: warning"
        ),
        "{default}"
    );
    let warning = failures(&junit(&["--fail-on", "warning"]));
    assert!(
        warning.iter().any(|n| n.starts_with("TP005")),
        "{warning:?}"
    );
    assert!(
        !warning.iter().any(|n| n.starts_with("PC009")),
        "{warning:?}"
    );
    assert!(failures(&junit(&["--fail-on", "never"])).is_empty());
    assert!(failures(&junit(&["--exit-zero"])).is_empty());
}
