//! Folders shaped like real hand-overs (`testdata/inventories/real-folders`, see each
//! EXPECTED.md): objects counted once across overlapping exports, views of a plain
//! `Get-CsService`, client-version reports, the same file reached twice.

use serde_json::Value;

use crate::common::invlint;

const DIR: &str = "testdata/inventories/real-folders";

fn check(paths: &[&str], format: &str) -> (i32, String) {
    let mut args = vec!["check"];
    args.extend_from_slice(paths);
    args.extend_from_slice(&["--format", format, "--color", "never", "--isolated"]);
    let (code, stdout, stderr) = invlint(&args);
    assert!(stderr.is_empty(), "stderr: {stderr}");
    (code, stdout)
}

fn json(paths: &[&str]) -> Value {
    serde_json::from_str(&check(paths, "json").1).expect("valid JSON")
}

/// (code, file name, line) of every finding.
fn located(report: &Value) -> Vec<(String, String, u64)> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            let file = f["file"].as_str().unwrap_or("");
            (
                f["code"].as_str().unwrap_or("").to_string(),
                file.rsplit('/').next().unwrap_or(file).to_string(),
                f["line"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

fn count(report: &Value, code: &str) -> usize {
    located(report).iter().filter(|(c, _, _)| c == code).count()
}

#[test]
fn every_folder_matches_its_snapshots() {
    for folder in [
        "overlapping-views",
        "input-list-and-result",
        "plain-get-csservice",
        "client-version-report",
    ] {
        let path = format!("{DIR}/{folder}");
        for format in ["json", "compact"] {
            let (code, out) = check(&[&path], format);
            assert!(code <= 1, "{folder}: exit {code}");
            insta::assert_snapshot!(format!("real_folder_{folder}_{format}"), out);
        }
    }
}

#[test]
fn overlapping_views_count_people_not_rows() {
    let report = json(&[&format!("{DIR}/overlapping-views")]);
    assert_eq!(report["summary"]["rows"], 21);
    assert_eq!(report["summary"]["objects"]["users"], 7);
    // The admin account is a real duplicate; the views repeating both accounts are not.
    assert_eq!(count(&report, "AD002"), 1);
    assert_eq!(count(&report, "AD005"), 1);
    // SIP ≠ UPN is a decommission concern, grouped per domain pair: one person, though the
    // Summary view repeats the admin account's row.
    let decommission = json(&[
        &format!("{DIR}/overlapping-views"),
        "--profile",
        "decommission",
    ]);
    let grouped: Vec<&Value> = decommission["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["code"] == "HY001")
        .collect();
    assert_eq!(grouped.len(), 1);
    assert_eq!(grouped[0]["count"], 1);
    // One object, two values: one finding pointing at both cells.
    let conflicts: Vec<&Value> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["code"] == "INV003")
        .collect();
    assert_eq!(conflicts.len(), 1);
    let c = conflicts[0];
    assert!(c["file"]
        .as_str()
        .unwrap_or("")
        .ends_with("Voice_20210318-1015.csv"));
    assert_eq!(
        (c["line"].as_u64(), c["field"].as_str()),
        (Some(3), Some("LineURI"))
    );
    assert_eq!(c["value"], "tel:+14255550105");
    let related = &c["related"][0];
    assert!(related["file"]
        .as_str()
        .unwrap_or("")
        .ends_with("Complete_20210318-1015.csv"));
    assert_eq!(
        (related["line"].as_u64(), related["value"].as_str()),
        (Some(4), Some("tel:+14255550104"))
    );
}

#[test]
fn an_input_list_and_its_result_are_the_same_people() {
    let report = json(&[&format!("{DIR}/input-list-and-result")]);
    for code in ["AD002", "AD005", "AD001", "CSV006"] {
        assert_eq!(count(&report, code), 0, "{code}: {:?}", located(&report));
    }
    assert_eq!(report["summary"]["objects"]["users"], 5);
    assert_eq!(count(&report, "INV003"), 1);
    // The AD dump is not a users table, whatever it holds.
    assert!(located(&report).contains(&("CSV005".into(), "ad-accounts.csv".into(), 1)));
}

#[test]
fn a_plain_get_csservice_is_split_into_its_roles() {
    let report = json(&[&format!("{DIR}/plain-get-csservice")]);
    let objects = &report["summary"]["objects"];
    assert_eq!(objects["services"], 8);
    assert_eq!(objects["registrars"], 3);
    assert_eq!(objects["chat-services"], 1);
    assert_eq!(objects["edge-servers"], 1);
    assert_eq!(
        located(&report),
        [("TP001".to_string(), "users.csv".to_string(), 5)]
    );
}

#[test]
fn a_client_version_report_is_read_as_registrations() {
    let report = json(&[&format!("{DIR}/client-version-report")]);
    assert_eq!(report["summary"]["objects"]["registrations"], 4);
    let codes: Vec<String> = located(&report).into_iter().map(|l| l.0).collect();
    assert_eq!(codes, ["CL001", "CL003"]);
}

/// `exports exports/users.csv` (or a folder named twice) reads each file once: no finding
/// doubles, no person counts twice.
#[test]
fn a_file_reached_twice_is_read_once() {
    let folder = format!("{DIR}/overlapping-views");
    let once = check(&[&folder], "compact").1;
    let file = format!("{folder}/Lync_Users_Complete_20210318-1015.csv");
    let twice = check(&[&folder, &file, &format!("{folder}/")], "compact").1;
    assert_eq!(once, twice);
    let report = json(&[&file, &file]);
    assert_eq!(report["summary"]["files"], 1);
    assert_eq!(report["summary"]["objects"]["users"], 7);
    assert_eq!(count(&report, "AD002"), 1);
}
