//! A whole `check` over a folder of up to six arbitrary files with the shipped rules, written
//! in every output format. The input is the files' contents separated by `\0\0FILE\0\0`; they
//! are named like the exports of a real inventory so that recognition and cross-table rules
//! run. Nothing may panic, including panics the engine contains (INV001 fails the target:
//! libFuzzer's panic hook aborts on any panic), and the JSON output must parse.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use invlint::engine::{check, Options};
use invlint::report::{self, Format, RenderOptions};
use invlint::rule::RuleSet;
use libfuzzer_sys::fuzz_target;

const SEPARATOR: &[u8] = b"\0\0FILE\0\0";
const NAMES: [&str; 6] = [
    "users.csv",
    "Lync_Services_Registrar.csv",
    "pchat-services.csv",
    "rooms.csv",
    "sub/EndpointRegistrations.csv",
    "policies/x.tsv",
];

fn rules() -> &'static RuleSet {
    static RULES: OnceLock<RuleSet> = OnceLock::new();
    RULES.get_or_init(|| RuleSet::load(true, &[]).expect("shipped rules"))
}

fn folder() -> &'static tempfile::TempDir {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("tempdir"))
}

fn split(data: &[u8]) -> Vec<&[u8]> {
    let mut parts = Vec::new();
    let mut rest = data;
    while parts.len() + 1 < NAMES.len() {
        match rest.windows(SEPARATOR.len()).position(|w| w == SEPARATOR) {
            Some(i) => {
                parts.push(&rest[..i]);
                rest = &rest[i + SEPARATOR.len()..];
            }
            None => break,
        }
    }
    parts.push(rest);
    parts
}

fuzz_target!(|data: &[u8]| {
    let root = folder().path();
    for name in NAMES {
        let _ = std::fs::remove_file(root.join(name));
    }
    for (name, bytes) in NAMES.iter().zip(split(data)) {
        let path = root.join(name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, bytes).expect("write");
    }
    let options = Options {
        excerpts: true,
        ..Options::default()
    };
    let report = check(&[PathBuf::from(root)], rules(), &options).expect("check runs");
    assert!(
        report.findings.iter().all(|f| &*f.code != "INV001"),
        "a contained panic"
    );
    for format in [Format::Human, Format::Compact, Format::Json] {
        let mut out = Vec::new();
        report::write(format, &report, rules(), RenderOptions::default(), &mut out)
            .expect("write to memory");
        if format == Format::Json {
            serde_json::from_slice::<serde_json::Value>(&out).expect("valid JSON");
        }
    }
});
