//! The CI formats (sarif, github, junit, markdown), `--output`, `--statistics` and the exit
//! codes of the gate. Snapshots are of one fixed set of findings: the contoso sample.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use serde_json::Value;

use invlint::engine::Outcome;
use invlint::finding::{Anchor, Finding, Location, Place, Related, Severity, Span};
use invlint::report::{github, sarif, Format, RenderOptions};
use invlint::rule::RuleSet;

use crate::common::{invlint, invlint_in, root};

const CONTOSO: &str = "testdata/inventories/contoso";

fn stdout_of(args: &[&str]) -> String {
    let (code, stdout, stderr) = invlint(args);
    assert!(code == 0 || code == 1, "exit {code}: {stderr}");
    stdout
}

/// The tool version changes with every release; the snapshots should not.
fn redact_version(text: &str) -> String {
    let v = env!("CARGO_PKG_VERSION");
    text.replace(
        &format!("\"version\": \"{v}\",\n          \"semanticVersion\": \"{v}\""),
        "\"version\": \"[version]\",\n          \"semanticVersion\": \"[version]\"",
    )
}

#[test]
fn contoso_snapshots_per_format() {
    for format in ["sarif", "github", "junit", "markdown"] {
        let out = stdout_of(&["check", CONTOSO, "--format", format]);
        let out = if format == "sarif" {
            let redacted = redact_version(&out);
            assert_ne!(redacted, out, "the version was redacted");
            redacted
        } else {
            out
        };
        insta::assert_snapshot!(format!("contoso_{format}"), out);
    }
}

#[test]
fn contoso_statistics_snapshot() {
    let out = stdout_of(&["check", CONTOSO, "--statistics"]);
    insta::assert_snapshot!("contoso_statistics", out);
}

// ---------------------------------------------------------------------------------------
// SARIF against the official schema

/// The SARIF 2.1.0 schema (testdata/schemas/README.md says where it comes from), compiled
/// with format assertions on (`uri`, `uri-reference`, `date-time` are checked).
struct SarifSchema {
    schemas: boon::Schemas,
    index: boon::SchemaIndex,
}

impl SarifSchema {
    fn load() -> SarifSchema {
        let text = std::fs::read_to_string(root().join("testdata/schemas/sarif-2.1.0.json"))
            .expect("schema file");
        let schema: Value = serde_json::from_str(&text).expect("schema is JSON");
        let id = schema["$id"].as_str().expect("schema $id").to_string();
        let mut compiler = boon::Compiler::new();
        compiler.enable_format_assertions();
        compiler.add_resource(&id, schema).expect("schema resource");
        let mut schemas = boon::Schemas::new();
        let index = compiler
            .compile(&id, &mut schemas)
            .expect("schema compiles");
        SarifSchema { schemas, index }
    }

    fn check(&self, what: &str, doc: &Value) {
        if let Err(e) = self.schemas.validate(doc, self.index) {
            panic!("{what}: SARIF does not validate:\n{e:#}");
        }
    }

    fn is_valid(&self, doc: &Value) -> bool {
        self.schemas.validate(doc, self.index).is_ok()
    }
}

fn sarif_of(dir: &str) -> Value {
    let out = stdout_of(&["check", dir, "--format", "sarif"]);
    serde_json::from_str(&out).expect("SARIF is JSON")
}

#[test]
fn sarif_validates_against_the_schema() {
    let schema = SarifSchema::load();
    let doc = sarif_of(CONTOSO);
    schema.check("contoso", &doc);
    let run = &doc["runs"][0];
    assert_eq!(run["columnKind"], "unicodeCodePoints");
    assert_eq!(run["results"].as_array().map(Vec::len), Some(34));
    // One descriptor per rule that ran, each result pointing at its own.
    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    for result in run["results"].as_array().expect("results") {
        let index = result["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
    }
    let ad001 = rules.iter().find(|r| r["id"] == "AD001").expect("AD001");
    assert!(ad001["helpUri"]
        .as_str()
        .is_some_and(|u| u.starts_with("https://")));
    assert!(ad001["help"]["text"]
        .as_str()
        .is_some_and(|t| !t.is_empty()));
    assert!(ad001["fullDescription"]["text"]
        .as_str()
        .is_some_and(|t| !t.is_empty()));

    // The quirk inventories bring built-in codes, whole-file locations, odd encodings.
    let quirks = root().join("testdata/inventories/quirks");
    let mut builtin_seen = 0;
    for entry in std::fs::read_dir(&quirks).expect("quirks") {
        let name = entry.expect("entry").file_name();
        let dir = format!("testdata/inventories/quirks/{}", name.to_string_lossy());
        let doc = sarif_of(&dir);
        schema.check(&dir, &doc);
        let rules = doc["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .expect("rules");
        builtin_seen += rules
            .iter()
            .filter(|r| r["id"].as_str().is_some_and(|c| c.starts_with("CSV")))
            .count();
    }
    assert!(builtin_seen > 5, "built-in codes are described too");

    // The validator does reject what the schema forbids.
    let mut broken = doc.clone();
    broken["runs"][0]["columnKind"] = "bytes".into();
    assert!(!schema.is_valid(&broken));
    let mut broken = doc.clone();
    broken["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] =
        0.into();
    assert!(!schema.is_valid(&broken));
    let mut broken = doc;
    broken["runs"][0]["tool"]["driver"]["rules"][0]["helpUri"] = "not a uri".into();
    assert!(!schema.is_valid(&broken));
}

fn location(file: &str, anchor: Anchor, span: Option<Span>) -> Location {
    let mut l = Location::new(0, Arc::from(file), anchor);
    l.span = span;
    l
}

/// Findings that stress the mapping: whole-file and unresolved locations, a zero-width span,
/// paths needing percent-encoding, an absolute path, related locations, an unknown code.
fn edge_report() -> Outcome {
    let span = |line, column, end_column| {
        Some(Span {
            line,
            column,
            end_line: line,
            end_column,
        })
    };
    let mut cell = Finding::new(
        "AD001",
        Severity::Error,
        "bad \"sip\"\nvalue <x> & 100%",
        location(
            "exports/Café #1/users,v2.csv",
            Anchor::Cell {
                record: 3,
                field: 1,
            },
            span(5, 10, 10),
        ),
    );
    cell.location.place = std::sync::Arc::new(Place {
        file: cell.location.file().clone(),
        table: Some("users".into()),
        fields: vec!["Identity".into(), "SipAddress".into()].into(),
    });
    cell.location.value = Some("".into());
    cell.identity = Some("users:a@contoso.com".into());
    cell.related.push(Related {
        location: location(
            "/abs/path/registrars.csv",
            Anchor::Position { line: 2, column: 3 },
            span(2, 3, 7),
        ),
        message: "defined here".into(),
    });
    let file = Finding::new(
        "CSV004",
        Severity::Error,
        "not a CSV",
        location("exports/report.csv", Anchor::File, None),
    );
    let unresolved = Finding::new(
        "ZZ999",
        Severity::Info,
        "from another rule set",
        location("x.csv", Anchor::Record { record: 2 }, None),
    );
    let warning = Finding::new(
        "CSV003",
        Severity::Warning,
        "encoding",
        location(
            "y.csv",
            Anchor::Position { line: 1, column: 1 },
            span(1, 1, 2),
        ),
    );
    Outcome {
        findings: vec![cell, file, unresolved, warning],
        files: 4,
        rows: 3,
        rules_run: 0,
        ..Outcome::default()
    }
}

#[test]
fn sarif_edge_cases_and_the_cap_validate() {
    let schema = SarifSchema::load();
    let report = edge_report();
    let rules = RuleSet::default();
    let mut out = Vec::new();
    sarif::write(&report, &rules, &mut out).expect("written");
    let doc: Value = serde_json::from_slice(&out).expect("JSON");
    schema.check("edge cases", &doc);
    let results = doc["runs"][0]["results"].as_array().expect("results");
    let loc = &results[0]["locations"][0]["physicalLocation"];
    assert_eq!(
        loc["artifactLocation"]["uri"],
        "exports/Caf%C3%A9%20%231/users%2Cv2.csv"
    );
    assert_eq!(loc["region"]["startColumn"], 10);
    assert_eq!(loc["region"]["endColumn"], 10);
    assert_eq!(
        results[0]["relatedLocations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "file:///abs/path/registrars.csv"
    );
    assert!(results[1]["locations"][0]["physicalLocation"]
        .get("region")
        .is_none());
    assert_eq!(results[2]["level"], "note");

    // Capped at 2: both errors kept, the warning and the info left out, and said so.
    let mut out = Vec::new();
    sarif::write_capped(&report, &rules, 2, &mut out).expect("written");
    let doc: Value = serde_json::from_slice(&out).expect("JSON");
    schema.check("capped", &doc);
    let run = &doc["runs"][0];
    let ids: Vec<&str> = run["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter_map(|r| r["ruleId"].as_str())
        .collect();
    assert_eq!(ids, ["AD001", "CSV004"]);
    assert_eq!(run["properties"]["truncated"], true);
    assert_eq!(run["properties"]["resultsTotal"], 4);
    assert_eq!(run["properties"]["resultsOmitted"], 2);
    assert!(run["properties"]["truncationNote"]
        .as_str()
        .is_some_and(|n| n.contains("2 of 4 findings left out")));
}

/// (code, identity or message) → fingerprint of a SARIF run.
fn fingerprints(doc: &Value) -> BTreeMap<(String, String), (String, u64)> {
    let mut map = BTreeMap::new();
    for r in doc["runs"][0]["results"].as_array().expect("results") {
        let key = (
            r["ruleId"].as_str().expect("ruleId").to_string(),
            r["properties"]["identity"]
                .as_str()
                .or(r["message"]["text"].as_str())
                .expect("key")
                .to_string(),
        );
        let print = r["partialFingerprints"]["invlint/v1"]
            .as_str()
            .expect("fingerprint")
            .to_string();
        let line = r["locations"][0]["physicalLocation"]["region"]["startLine"]
            .as_u64()
            .unwrap_or(0);
        assert!(map.insert(key, (print, line)).is_none(), "keys are unique");
    }
    map
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}

#[test]
fn fingerprints_survive_reordered_rows() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let original = tmp.path().join("a");
    let shuffled = tmp.path().join("b");
    copy_dir(&root().join(CONTOSO), &original.join("contoso"));
    copy_dir(&root().join(CONTOSO), &shuffled.join("contoso"));
    // users.csv: #TYPE line, header, data rows, CRLF, no quoted newlines. Reverse the rows.
    let users = shuffled.join("contoso/users.csv");
    let text = std::fs::read_to_string(&users).expect("users.csv");
    let mut lines: Vec<&str> = text.split_terminator("\r\n").collect();
    assert!(
        lines[0].starts_with("\u{feff}#TYPE") && lines.len() > 50,
        "{}",
        lines[0]
    );
    lines[2..].reverse();
    std::fs::write(&users, lines.join("\r\n") + "\r\n").expect("write");

    let run = |dir: &Path| -> Value {
        let (code, out, err) = invlint_in(dir, &["check", "contoso", "--format", "sarif"]);
        assert_eq!(code, 1, "{err}");
        serde_json::from_str(&out).expect("JSON")
    };
    let before = fingerprints(&run(&original));
    let after = fingerprints(&run(&shuffled));
    let mut moved = 0;
    // Every finding keeps its fingerprint, uniqueness findings included: their identity is the
    // repeated value, not which of the rows came later.
    assert_eq!(before.len(), after.len());
    for (key, (print, line)) in &before {
        let (print_after, line_after) = after
            .get(key)
            .unwrap_or_else(|| panic!("{key:?} disappeared"));
        assert_eq!(print, print_after, "{key:?}");
        moved += usize::from(line != line_after);
    }
    assert!(before.len() >= 34, "{} findings compared", before.len());
    assert!(moved >= 20, "rows did move: {moved} findings changed line");
}

// ---------------------------------------------------------------------------------------
// github

fn synthetic(counts: [(Severity, usize); 3]) -> Outcome {
    let mut findings = Vec::new();
    for (severity, n) in counts {
        for i in 0..n {
            findings.push(Finding::new(
                "XX001",
                severity,
                format!("{severity} {i}"),
                location(
                    "f.csv",
                    Anchor::Record { record: 1 },
                    Some(Span {
                        line: i as u64 + 2,
                        column: 1,
                        end_line: i as u64 + 2,
                        end_column: 4,
                    }),
                ),
            ));
        }
    }
    invlint::finding::sort_findings(&mut findings);
    Outcome {
        findings,
        ..Outcome::default()
    }
}

fn github_lines(report: &Outcome) -> Vec<String> {
    let mut out = Vec::new();
    invlint::report::write(
        Format::Github,
        report,
        &RuleSet::default(),
        RenderOptions::default(),
        &mut out,
    )
    .expect("written");
    String::from_utf8(out)
        .expect("UTF-8")
        .lines()
        .map(String::from)
        .collect()
}

#[test]
fn github_annotations_are_capped_per_level_with_a_count() {
    let lines = github_lines(&synthetic([
        (Severity::Error, 25),
        (Severity::Warning, 12),
        (Severity::Info, 15),
    ]));
    let count = |prefix: &str| lines.iter().filter(|l| l.starts_with(prefix)).count();
    assert_eq!(count("::error "), 10);
    assert_eq!(count("::warning "), 10);
    // Nine info notices and the count notice: ten notices in all.
    assert_eq!(count("::notice "), 10);
    assert_eq!(lines.len(), 30);
    // Errors first, then warnings, then notices; each the first of its level.
    assert!(lines[0].ends_with("::error 0"), "{}", lines[0]);
    assert!(lines[9].ends_with("::error 9"));
    assert!(lines[10].ends_with("::warning 0"));
    assert!(lines[28].ends_with("::info 8"));
    assert_eq!(
        lines[29],
        "::notice title=invlint::23 more findings not annotated (15 errors, 2 warnings, 6 infos): \
         GitHub shows 10 annotations of each level per step; see the step summary or the \
         SARIF/JSON output for all 52"
    );

    // Under the limits: everything, no count line.
    let lines = github_lines(&synthetic([
        (Severity::Error, 10),
        (Severity::Warning, 3),
        (Severity::Info, 10),
    ]));
    assert_eq!(lines.len(), 23);
    assert!(lines.iter().all(|l| !l.contains("not annotated")));

    // Only errors over the limit.
    let lines = github_lines(&synthetic([
        (Severity::Error, 11),
        (Severity::Warning, 0),
        (Severity::Info, 0),
    ]));
    assert_eq!(lines.len(), 11);
    assert!(lines[10].contains("::1 more finding not annotated (1 error)"));
}

#[test]
fn github_escapes_properties_and_message() {
    let mut f = Finding::new(
        "AD001",
        Severity::Warning,
        "100% wrong\r\nsee: a, b",
        location(
            "./exp,orts/a:b.csv",
            Anchor::Cell {
                record: 1,
                field: 0,
            },
            Some(Span {
                line: 3,
                column: 7,
                end_line: 3,
                end_column: 12,
            }),
        ),
    );
    assert_eq!(
        github::annotation(&f),
        "::warning file=exp%2Corts/a%3Ab.csv,line=3,endLine=3,col=7,endColumn=12,title=AD001::\
         100%25 wrong%0D%0Asee: a, b"
    );
    f.location.anchor = Anchor::File;
    f.severity = Severity::Info;
    assert_eq!(
        github::annotation(&f),
        "::notice file=exp%2Corts/a%3Ab.csv,title=AD001::100%25 wrong%0D%0Asee: a, b"
    );
}

// ---------------------------------------------------------------------------------------
// The command line: --output, --statistics, exit codes

#[test]
fn output_writes_several_formats_in_one_run() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let path = |name: &str| tmp.path().join(name).to_string_lossy().into_owned();
    let (sarif_path, junit_path, md_path, json_path) = (
        path("out.sarif"),
        path("out.xml"),
        path("summary.md"),
        path("out.json"),
    );
    let (code, stdout, stderr) = invlint(&[
        "check",
        CONTOSO,
        "--format",
        "compact",
        "--output",
        &format!("sarif={sarif_path}"),
        "--output",
        &format!("junit={junit_path}"),
        "--output",
        &format!("markdown={md_path}"),
        "--output",
        &format!("json={json_path}"),
    ]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
    assert!(stdout.starts_with(
        "testdata/inventories/contoso/Lync_Services_Registrar.csv:3:148: error[TP003]"
    ));
    // Each file is byte-identical to the same format on standard output.
    for (format, file) in [
        ("sarif", &sarif_path),
        ("junit", &junit_path),
        ("markdown", &md_path),
        ("json", &json_path),
    ] {
        let written = std::fs::read_to_string(file).expect("output file");
        assert_eq!(
            written,
            stdout_of(&["check", CONTOSO, "--format", format]),
            "{format}"
        );
    }
}

#[test]
fn output_errors_exit_2() {
    let (code, _, stderr) = invlint(&["check", CONTOSO, "--output", "yaml=out.yaml"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("unknown format `yaml`"), "{stderr}");
    assert!(
        stderr.contains("sarif, github, junit, markdown"),
        "{stderr}"
    );
    let (code, _, stderr) = invlint(&["check", CONTOSO, "--output", "sarif"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("expected FORMAT=PATH"), "{stderr}");
    let tmp = tempfile::tempdir().expect("tempdir");
    let missing = tmp.path().join("no/such/dir/out.sarif");
    let (code, stdout, stderr) = invlint(&[
        "check",
        CONTOSO,
        "--format",
        "compact",
        "--output",
        &format!("sarif={}", missing.display()),
    ]);
    assert_eq!(code, 2, "an unwritable output makes the run fail");
    assert!(
        stderr.contains("cannot write") && stderr.contains("out.sarif"),
        "{stderr}"
    );
    assert!(
        stdout.contains("[TP003]"),
        "standard output is still written"
    );
    let (code, _, stderr) = invlint(&["check", CONTOSO, "--format", "yaml"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("github"), "{stderr}");
}

#[test]
fn statistics_count_per_code() {
    let (code, text, _) = invlint(&["check", CONTOSO, "--statistics"]);
    assert_eq!(code, 1, "--statistics keeps the exit code");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 29, "{text}");
    assert!(
        lines[0].starts_with("3  AD001  error    User's SIP address"),
        "{text}"
    );
    assert!(lines.contains(
        &"1  TP005  warning  Registrar pool is paired with a backup pool of another server version"
    ));
    let (_, json, _) = invlint(&["check", CONTOSO, "--statistics", "--format", "json"]);
    let stats: Vec<Value> = serde_json::from_str(&json).expect("JSON");
    assert_eq!(stats.len(), 29);
    let total: u64 = stats.iter().filter_map(|s| s["count"].as_u64()).sum();
    assert_eq!(total, 34);
    assert_eq!(stats[0]["code"], "AD001");
    assert_eq!(stats[0]["severity"], "error");
}

#[test]
fn exit_codes_for_each_fail_on_level() {
    // contoso has errors, warnings and infos; --select narrows it to the top severity wanted.
    let cases: [(&[&str], [i32; 4]); 3] = [
        // error, warning, info, never
        (&[], [1, 1, 1, 0]),
        (&["--select", "TP005,PC009"], [0, 1, 1, 0]),
        (&["--select", "PC009"], [0, 0, 1, 0]),
    ];
    for (select, expected) in cases {
        for (level, want) in ["error", "warning", "info", "never"].iter().zip(expected) {
            let mut args = vec!["check", CONTOSO, "--format", "compact", "--fail-on", level];
            args.extend_from_slice(select);
            assert_eq!(invlint(&args).0, want, "--fail-on {level} {select:?}");
            args.push("--exit-zero");
            assert_eq!(
                invlint(&args).0,
                0,
                "--exit-zero --fail-on {level} {select:?}"
            );
        }
    }
    // --exit-zero does not hide a run that cannot be trusted.
    let (code, _, _) = invlint(&[
        "check",
        CONTOSO,
        "does/not/exist",
        "--format",
        "compact",
        "--exit-zero",
    ]);
    assert_eq!(code, 2);
}

/// JUnit consumers reject malformed XML outright: parse the document, and with a hostile
/// message (markup characters, a control character XML 1.0 cannot carry) in a finding.
#[test]
fn junit_is_well_formed_xml() {
    let (_, out, _) = invlint(&["check", CONTOSO, "--format", "junit"]);
    let doc = roxmltree::Document::parse(&out).expect("well-formed JUnit XML");
    let cases: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    // 29 rules with findings or checks on contoso, the six per-user policy rules (PL), which
    // run and pass (contoso has no policy exports), and three default client rules (CL005,
    // CL007, CL009).
    assert_eq!(cases.len(), 38);
    let failures = doc
        .descendants()
        .filter(|n| n.has_tag_name("failure"))
        .count();
    // The 13 rules with only warnings or infos (or no finding) pass under the default --fail-on error.
    assert_eq!(failures, 19);
    let suite = doc.root_element();
    assert_eq!(suite.attribute("tests"), Some("38"));

    let mut report = synthetic([
        (Severity::Error, 1),
        (Severity::Warning, 0),
        (Severity::Info, 0),
    ]);
    report.findings[0].message = "<b>&\"quoted\"\u{1} ]]> end".into();
    let rules = RuleSet::load(true, &[]).expect("rules");
    let mut buf = Vec::new();
    invlint::report::write(
        Format::Junit,
        &report,
        &rules,
        invlint::report::RenderOptions::default(),
        &mut buf,
    )
    .expect("write");
    let text = String::from_utf8(buf).expect("utf-8");
    let doc = roxmltree::Document::parse(&text).expect("well-formed with hostile text");
    let failure = doc
        .descendants()
        .find(|n| n.has_tag_name("failure"))
        .expect("failure");
    assert!(
        failure.text().unwrap_or("").contains("<b>&\"quoted\""),
        "{text}"
    );
}
