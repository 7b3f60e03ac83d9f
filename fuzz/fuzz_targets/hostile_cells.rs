//! A users export whose cells and file name carry control, bidi and zero-width characters
//! (issue 16: they reached the terminal raw, forged compact lines and GitHub commands). The
//! input bytes are cell text; some bytes stand for hostile characters. The whole check is
//! written in every text format: no raw control character but line ends, no bidi or
//! zero-width character may appear, no line may start a GitHub command it did not write,
//! and the JSON must parse.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use invlint::engine::{check, Options};
use invlint::report::visible::is_hidden_char;
use invlint::report::{self, Format, RenderOptions};
use invlint::rule::RuleSet;
use libfuzzer_sys::fuzz_target;

fn rules() -> &'static RuleSet {
    static RULES: OnceLock<RuleSet> = OnceLock::new();
    RULES.get_or_init(|| RuleSet::load(true, &[]).expect("shipped rules"))
}

fn folder() -> &'static tempfile::TempDir {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("tempdir"))
}

/// Cell text from bytes: bytes 0xF0.. stand for characters a terminal or a reader must not
/// take raw.
fn hostile_text(data: &[u8]) -> String {
    const HOSTILE: [char; 16] = [
        '\u{1b}', '\u{7}', '\r', '\n', '\u{8}', '\u{9b}', '\u{202e}', '\u{202d}', '\u{2066}',
        '\u{200b}', '\u{200d}', '\u{feff}', '\u{2028}', '\u{7f}', '\u{0}', '\u{61c}',
    ];
    data.iter()
        .map(|&b| match b {
            0xF0..=0xFF => HOSTILE[usize::from(b - 0xF0)],
            b'"' => '\'',
            b => char::from(b),
        })
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let (name_bytes, cells) = data.split_at(data.len().min(12));
    let root = folder().path();
    for entry in std::fs::read_dir(root).expect("dir").flatten() {
        let _ = std::fs::remove_file(entry.path());
    }
    let name: String = hostile_text(name_bytes)
        .chars()
        .filter(|&c| c != '/' && c != '\0')
        .collect();
    let text = hostile_text(cells);
    let mut csv = String::from("\"SipAddress\",\"RegistrarPool\",\"DisplayName\"\r\n");
    for (i, chunk) in text.split('|').take(50).enumerate() {
        csv.push_str(&format!(
            "\"sip:{chunk}@contoso.com\",\"pool{i}.{chunk}\",\"{chunk}\"\r\n"
        ));
    }
    if std::fs::write(root.join(format!("{name}.csv")), csv).is_err() {
        return;
    }
    let options = Options {
        excerpts: true,
        ..Options::default()
    };
    let report = check(&[PathBuf::from(root)], rules(), &options).expect("check runs");
    for format in [
        Format::Human,
        Format::Compact,
        Format::Github,
        Format::Markdown,
        Format::Json,
    ] {
        let mut out = Vec::new();
        report::write(format, &report, rules(), RenderOptions::default(), &mut out)
            .expect("write to memory");
        let out = String::from_utf8(out).expect("UTF-8");
        if format == Format::Json {
            serde_json::from_str::<serde_json::Value>(&out).expect("valid JSON");
            continue;
        }
        let raw = out.chars().find(|&c| c != '\n' && is_hidden_char(c));
        assert_eq!(raw, None, "{format:?} shows a hidden character raw");
        if format == Format::Github {
            assert!(
                out.lines().all(|l| l.starts_with("::")),
                "a line GitHub would not parse"
            );
        }
    }
});
