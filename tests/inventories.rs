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

#[test]
fn quirk_inventories_json() {
    let mut dirs: Vec<_> =
        std::fs::read_dir(crate::common::root().join("testdata/inventories/quirks"))
            .expect("quirks folder")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
    dirs.sort();
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
    for dir in [
        "quoted-newlines",
        "ragged-rows",
        "type-name-cells",
        "utf16le-bom-type",
        "mixed-line-endings",
        "windows-1252",
    ] {
        for format in ["human", "compact"] {
            let (_, out) = check(&format!("testdata/inventories/quirks/{dir}"), format, &[]);
            insta::assert_snapshot!(format!("quirk_{dir}_{format}"), out);
        }
    }
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
