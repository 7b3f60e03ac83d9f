//! A whole `check` over a folder of up to six arbitrary files with the shipped rules, written
//! in every output format (the input format is in `folder_input.rs`). Nothing may panic,
//! including panics the engine contains (INV001 fails the target: libFuzzer's panic hook
//! aborts on any panic), and the JSON output must parse.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use invlint::engine::{check, Options};
use invlint::report::{self, Format, RenderOptions};
use invlint::rule::RuleSet;
use libfuzzer_sys::fuzz_target;

#[path = "folder_input.rs"]
mod folder_input;

fn rules() -> &'static RuleSet {
    static RULES: OnceLock<RuleSet> = OnceLock::new();
    RULES.get_or_init(|| RuleSet::load(true, &[]).expect("shipped rules"))
}

fn folder() -> &'static tempfile::TempDir {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("tempdir"))
}

fuzz_target!(|data: &[u8]| {
    let root = folder().path();
    folder_input::write_files(root, data).expect("write the files");
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
