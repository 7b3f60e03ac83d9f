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

/// Run the binary with `SOURCE_DATE_EPOCH` set, so that pages made at different times match.
fn invlint_at_epoch(args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_invlint"))
        .args(args)
        .current_dir(crate::common::root())
        .env("SOURCE_DATE_EPOCH", "0")
        .output()
        .expect("invlint runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// HTML is a format like the others: `--output html=FILE` and `--format html` (to a pipe)
/// write the same page as `invlint report --html`.
#[test]
fn html_is_a_format_like_the_others() {
    let dir = tempfile::tempdir().expect("tempdir");
    let by_report = dir.path().join("report.html");
    let by_output = dir.path().join("output.html");
    let (code, _, err) =
        invlint_at_epoch(&["report", CONTOSO, "--html", &by_report.to_string_lossy()]);
    assert_eq!(code, 0, "{err}");
    let html_arg = format!("html={}", by_output.display());
    let (code, compact, err) = invlint_at_epoch(&[
        "check", CONTOSO, "--format", "compact", "--output", &html_arg,
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(compact.contains("error[PC002]"), "{compact}");
    let page = std::fs::read_to_string(&by_report).expect("page by report");
    assert!(
        page.starts_with("<!DOCTYPE html>"),
        "{}",
        &page[..40.min(page.len())]
    );
    assert_eq!(
        std::fs::read_to_string(&by_output).expect("page by output"),
        page
    );
    let (_, piped, _) = invlint_at_epoch(&["check", CONTOSO, "--format", "html"]);
    assert_eq!(piped, page);
}

/// `statistics` and `statistics-json` are formats; `--statistics` is a shorthand for them.
#[test]
fn statistics_are_formats() {
    let (_, by_flag, _) = invlint(&["check", CONTOSO, "--statistics"]);
    let (_, by_format, _) = invlint(&["check", CONTOSO, "--format", "statistics"]);
    assert!(by_flag.contains("PC002"), "{by_flag}");
    assert_eq!(by_flag, by_format);
    let (_, json_flag, _) = invlint(&["check", CONTOSO, "--statistics", "--format", "json"]);
    let (_, json_format, _) = invlint(&["check", CONTOSO, "--format", "statistics-json"]);
    serde_json::from_str::<serde_json::Value>(&json_format).expect("statistics JSON");
    assert_eq!(json_flag, json_format);
}

/// A format reads the same on standard output and in an `--output` file, and `-q` drops the
/// summary lines from both (compact appends them, human writes its own).
#[test]
fn quiet_is_the_same_for_every_text_output() {
    let dir = tempfile::tempdir().expect("tempdir");
    for format in ["compact", "human"] {
        for quiet in [false, true] {
            let file = dir.path().join(format!("{format}-{quiet}.txt"));
            let output = format!("{format}={}", file.display());
            let mut args = vec!["check", CONTOSO, "--format", format, "--output", &output];
            if quiet {
                args.push("-q");
            }
            let (_, stdout, _) = invlint(&args);
            let written = std::fs::read_to_string(&file).expect("output file");
            assert_eq!(written, stdout, "{format} quiet={quiet}");
            let summary = stdout
                .lines()
                .any(|l| l.contains(" rules") && l.contains("files"));
            assert_eq!(summary, !quiet, "{format} quiet={quiet}:\n{stdout}");
        }
    }
}

/// The JSON document describes each code once in `rules`; `--lean-json` leaves `help` out of
/// the findings and changes nothing else.
#[test]
fn json_rules_once_and_lean_findings() {
    let parse = |extra: &[&str]| -> serde_json::Value {
        let mut args = vec!["check", CONTOSO, "--format", "json"];
        args.extend_from_slice(extra);
        serde_json::from_str(&invlint(&args).1).expect("json")
    };
    let full = parse(&[]);
    let lean = parse(&["--lean-json"]);
    let findings = full["findings"].as_array().expect("findings");
    assert!(findings.len() > 10, "{}", findings.len());
    for f in findings {
        let code = f["code"].as_str().expect("code");
        let rule = &full["rules"][code];
        assert!(
            rule["title"].as_str().is_some_and(|t| !t.is_empty()),
            "{code}: {rule}"
        );
        assert_eq!(f["help"], rule["help"], "{code}");
    }
    assert_eq!(
        full["rules"]["PC002"]["docs"]
            .as_str()
            .map(|d| d.starts_with("https://")),
        Some(true)
    );
    let mut stripped = full.clone();
    for f in stripped["findings"].as_array_mut().expect("findings") {
        f.as_object_mut().expect("object").remove("help");
    }
    assert_eq!(stripped, lean);
}
