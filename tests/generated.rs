//! Generated inventories: a check reports exactly the defects the generator planted, per code,
//! whatever the encoding and delimiter of the export.

use std::collections::BTreeMap;

use invlint::gen::{generate, GenOptions};

use crate::common::invlint;

fn counts_match(options: GenOptions) {
    let dir = tempfile::tempdir().expect("tempdir");
    let planted = generate(dir.path(), &options).expect("generate");
    let path = dir.path().to_string_lossy().into_owned();
    let (code, out, err) = invlint(&["check", &path, "--format", "json"]);
    assert_eq!(code, 1, "{err}");
    let json: serde_json::Value = serde_json::from_str(&out).expect("json");
    let mut got: BTreeMap<String, usize> = BTreeMap::new();
    for f in json["findings"].as_array().expect("findings") {
        *got.entry(f["code"].as_str().expect("code").to_string())
            .or_insert(0) += 1;
    }
    assert_eq!(
        got, planted,
        "utf16={} semicolon={}",
        options.utf16, options.semicolon
    );
    assert!(planted.len() >= 12, "{planted:?}");
    let rows = json["summary"]["rows"].as_u64().expect("rows") as usize;
    assert!(
        rows > options.users,
        "users and registrations are counted: {rows}"
    );
}

#[test]
fn planted_counts_100k_users() {
    counts_match(GenOptions {
        users: 100_000,
        seed: 7,
        ..GenOptions::default()
    });
}

#[test]
fn planted_counts_utf16_and_semicolon() {
    counts_match(GenOptions {
        users: 10_000,
        seed: 3,
        utf16: true,
        ..GenOptions::default()
    });
    counts_match(GenOptions {
        users: 10_000,
        seed: 4,
        semicolon: true,
        defect_rate: 0.05,
        ..GenOptions::default()
    });
}
