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
    // The Persistent Chat rules judge only users with chat evidence: the generator plants it
    // (room membership, per-user policies), so both must have fired.
    assert!(
        planted.get("PC001").is_some_and(|n| *n > 0)
            && planted.get("PC002").is_some_and(|n| *n > 0),
        "{planted:?}"
    );
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

/// A users export over 32 MiB is read (and its findings located) in several parts at once
/// when there are threads: the output is byte-identical to reading it in one part, in every
/// format that locates cells.
#[test]
fn a_large_export_read_in_parts_reads_like_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    generate(
        dir.path(),
        &GenOptions {
            users: 120_000,
            seed: 11,
            defect_rate: 0.05,
            ..GenOptions::default()
        },
    )
    .expect("generate");
    let users = dir.path().join("users.csv");
    assert!(std::fs::metadata(&users).expect("users.csv").len() > 32 << 20);
    // The reader splits it when there are two threads (a program can't see it from outside).
    let rules = invlint::rule::RuleSet::load(true, &[]).expect("rules");
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .expect("pool");
    let parts = pool.install(|| {
        let (mut inventory, _) = invlint::inventory::Inventory::open(
            &[dir.path().to_path_buf()],
            &Default::default(),
            rules.decls(),
            &[],
        )
        .expect("open");
        inventory.read_rows(|file| vec![true; file.header().len()]);
        let users = inventory
            .files
            .iter()
            .find(|f| f.display.ends_with("users.csv"))
            .expect("users.csv");
        users.rows.split.len() + 1
    });
    assert!(parts > 1, "{parts}");
    let path = dir.path().to_string_lossy().into_owned();
    for format in ["json", "human"] {
        let run = |jobs: &str| {
            invlint(&[
                "check", &path, "--format", format, "--color", "never", "--jobs", jobs,
            ])
        };
        let (one_code, one, _) = run("1");
        let (code, parallel, _) = run("2");
        assert_eq!(one_code, 1);
        assert_eq!(code, 1);
        assert!(one.len() > 100_000, "{format}: {}", one.len());
        assert!(
            one == parallel,
            "{format}: output differs between 1 and 2 threads"
        );
    }
}
