//! The holes an adversarial probe found (issue 16), part 2: rule files that make unbounded
//! work, records and findings that made memory follow the input, and hostile text in cells
//! and file names. Runs are bounded by the harness ([`run_bounded`]).

use std::path::Path;

use serde_json::Value;

use crate::adversarial::{about, findings, json_bounded, run_bounded};

const HEADER: &str = "\"SipAddress\",\"RegistrarPool\",\"DisplayName\"";

/// A rule pack `pack/` in `dir` with one rule file `name` holding `body`.
fn pack(dir: &Path, name: &str, body: &str) {
    std::fs::create_dir_all(dir.join("pack")).expect("mkdir");
    std::fs::write(dir.join("pack").join(name), body).expect("rule");
}

fn rule(code: &str, lets: &str, assert: &str) -> String {
    format!(
        "code = \"{code}\"\ntitle = \"t\"\nseverity = \"error\"\ntable = \"users\"\n{lets}\
         assert = '{assert}'\nat = 'SipAddress'\nmessage = 'm {{SipAddress}}'\nhelp = 'h'\n\
         [doc]\nwhy = 'w'\n"
    )
}

/// A users export of `sips` in `dir/users.csv`.
fn users(dir: &Path, sips: impl IntoIterator<Item = String>) {
    let mut text = format!("{HEADER}\r\n");
    for sip in sips {
        text.push_str(&format!("\"{sip}\",\"pool01.contoso.com\",\"U\"\r\n"));
    }
    std::fs::write(dir.join("users.csv"), text).expect("users");
}

#[test]
fn a_thirty_thousand_deep_let_chain_is_a_located_error() {
    for (name, refer) in [("forward", -1i64), ("backward", 1)] {
        let dir = tempfile::tempdir().expect("tempdir");
        let n = 30_000i64;
        let mut lets = String::from("[let]\n");
        for i in 0..n {
            let next = i + refer;
            if (0..n).contains(&next) {
                lets.push_str(&format!("b{i} = 'b{next}'\n"));
            } else {
                lets.push_str(&format!("b{i} = 'SipAddress'\n"));
            }
        }
        let last = if refer < 0 { n - 1 } else { 0 };
        // `[let]` is a table: the rule's other keys come before it.
        let body = rule("XX040", "", &format!("b{last} != \"\""));
        let (head, doc) = body.split_once("[doc]").expect("doc");
        pack(dir.path(), "deep.toml", &format!("{head}[doc]{doc}{lets}"));
        users(dir.path(), ["sip:a@contoso.com".to_string()]);
        let (code, _, err) = run_bounded(
            dir.path(),
            &[
                "check",
                "--isolated",
                "users.csv",
                "--no-default-rules",
                "--rules",
                "pack",
            ],
        );
        assert_eq!(code, 2, "{name}: {err:.2000}");
        assert!(err.contains("nested too deeply"), "{name}: {err:.2000}");
        assert!(err.contains("deep.toml"), "{name}: located: {err:.2000}");
    }
}

#[test]
fn a_long_in_list_is_a_set_lookup() {
    let dir = tempfile::tempdir().expect("tempdir");
    // 200,000 items over 20,000 rows: 4 billion comparisons item by item.
    let items: Vec<String> = (0..200_000)
        .map(|i| format!("\"SIP:U{}@CONTOSO.COM\"", i * 2))
        .collect();
    pack(
        dir.path(),
        "list.toml",
        &rule(
            "XX041",
            "",
            &format!("SipAddress in [{}]", items.join(", ")),
        ),
    );
    users(
        dir.path(),
        (0..20_000).map(|i| format!("sip:u{i}@contoso.com")),
    );
    let (code, report, err) = json_bounded(
        dir.path(),
        &["users.csv", "--no-default-rules", "--rules", "pack"],
    );
    assert_eq!(code, 1, "{err:.500}");
    // Odd-numbered users are not in the list (case does not matter, as with `==`).
    assert_eq!(report["summary"]["error"], 10_000);
}

#[test]
fn a_huge_regex_is_refused_with_a_short_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let alternatives: Vec<String> = (0..200_000).map(|i| format!("u{i}")).collect();
    pack(
        dir.path(),
        "regex.toml",
        &rule(
            "XX042",
            "",
            &format!("SipAddress =~ \"^({})$\"", alternatives.join("|")),
        ),
    );
    users(dir.path(), ["sip:a@contoso.com".to_string()]);
    let (code, out, err) = run_bounded(
        dir.path(),
        &[
            "check",
            "--isolated",
            "users.csv",
            "--no-default-rules",
            "--rules",
            "pack",
        ],
    );
    assert_eq!(code, 2, "{err:.500}");
    assert!(err.contains("regular expression too large"), "{err:.500}");
    assert!(err.contains("regex.toml:5:"), "{err:.500}");
    assert!(err.len() + out.len() < 4096, "{} bytes of error", err.len());
}

#[test]
fn a_javascript_doc_url_is_a_rule_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let body = rule("XX043", "", "SipAddress != \"\"") + "url = \"javascript:alert(1)\"\n";
    pack(dir.path(), "link.toml", &body);
    users(dir.path(), ["sip:a@contoso.com".to_string()]);
    let (code, _, err) = run_bounded(
        dir.path(),
        &[
            "report",
            "--isolated",
            "users.csv",
            "--rules",
            "pack",
            "--html",
            "page.html",
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("https:"), "{err}");
    assert!(!dir.path().join("page.html").exists());
}

#[test]
fn a_record_longer_than_the_cap_is_reported_with_its_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cap = invlint::inventory::limit::MAX_RECORD as usize;
    let long = "x".repeat(cap + 1024);
    // An unquoted line past the cap, and a quote left open before lines past it.
    let cases = [
        format!("{HEADER}\r\n\"bad\",\"p\",\"U\"\r\n{long}\r\n\"sip:b@c.com\",\"p\",\"U\"\r\n"),
        format!(
            "{HEADER}\r\n\"bad\",\"p\",\"U\"\r\n\"sip:a@c.com\",\"p\",\"{}\r\n",
            "line\r\n".repeat(cap / 6 + 1024)
        ),
        // LF line ends.
        format!("{HEADER}\n\"bad\",\"p\",\"U\"\n{long}\n\"sip:b@c.com\",\"p\",\"U\"\n"),
    ];
    for (i, text) in cases.into_iter().enumerate() {
        std::fs::write(dir.path().join("users.csv"), text).expect("write");
        let (code, report, _) = json_bounded(dir.path(), &["users.csv"]);
        assert_eq!(code, 2, "case {i}");
        let found = about(&report, "users.csv");
        assert!(
            found.iter().any(|(code, message)| *code == "CSV008"
                && message.starts_with("record longer than 64 MB at line 3")),
            "case {i}: {found:?}"
        );
        // The rows before it are read and checked.
        let ad001: Vec<&Value> = findings(&report)
            .iter()
            .filter(|f| f["code"] == "AD001")
            .collect();
        assert_eq!(ad001.len(), 1, "case {i}");
        assert_eq!(ad001[0]["line"], 2);
    }
}

#[test]
fn duplicate_value_findings_are_capped_as_they_are_made() {
    let dir = tempfile::tempdir().expect("tempdir");
    users(
        dir.path(),
        (0..50_000).map(|_| "sip:same@contoso.com".to_string()),
    );
    let (code, report, _) = json_bounded(dir.path(), &["users.csv", "--max-findings", "10"]);
    assert_eq!(code, 1);
    assert_eq!(findings(&report).len(), 10);
    assert_eq!(report["summary"]["error"], 49_999);
    assert_eq!(report["summary"]["truncated"], 49_989);
}

#[test]
fn the_html_report_says_when_findings_were_counted_not_kept() {
    let dir = tempfile::tempdir().expect("tempdir");
    users(dir.path(), (0..50).map(|i| format!("bad{i}")));
    let (code, _, err) = run_bounded(
        dir.path(),
        &[
            "report",
            "--isolated",
            "users.csv",
            "--max-findings",
            "5",
            "--html",
            "page.html",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let page = std::fs::read_to_string(dir.path().join("page.html")).expect("page");
    assert!(page.contains("counted, not kept"));
}

#[test]
fn long_values_are_quoted_by_a_bounded_prefix() {
    let dir = tempfile::tempdir().expect("tempdir");
    let big = format!("sip:{}", "y".repeat(1 << 20));
    users(dir.path(), [big.clone()]);
    let (code, report, _) = json_bounded(dir.path(), &["users.csv"]);
    assert_eq!(code, 1);
    let ad001 = findings(&report)
        .iter()
        .find(|f| f["code"] == "AD001")
        .expect("AD001");
    let message = ad001["message"].as_str().unwrap_or("");
    assert!(message.len() < 1000, "{} bytes", message.len());
    assert!(message.contains("bytes left out]…"), "{message}");
    assert!(
        message.ends_with("such as contoso.com"),
        "the explanation stays: {message}"
    );
    assert_eq!(
        ad001["value"].as_str().map(str::len),
        Some(big.len()),
        "JSON keeps it whole"
    );
}

/// Terminal escapes, CR/LF, BEL, bidi overrides and zero-width characters in cells and file
/// names: shown as `\u{…}` in every text format, exact in JSON.
#[test]
fn hidden_characters_are_visible_in_text_outputs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let hostile = [
        "sip:a\u{1b}[2J\u{1b}]0;owned\u{7}@contoso.com",
        "sip:b\u{1b}]8;;https://evil.example\u{1b}\\x@contoso.com",
        "sip:c\r\n::error file=x::forged@contoso.com",
        "sip:d\u{202e}moc.osotnoc@contoso.com",
    ];
    users(dir.path(), hostile.iter().map(|s| s.to_string()));
    let name = if cfg!(unix) {
        "evil\n::error::forged\u{1b}[31m.csv"
    } else {
        "evil.csv"
    };
    std::fs::copy(dir.path().join("users.csv"), dir.path().join(name)).expect("copy");
    let raw = |text: &str| {
        text.chars()
            .find(|&c| (c.is_control() && c != '\n') || c == '\u{202e}')
    };
    // In colour too: the only escapes are then invlint's own colours (`ESC [ digits ; m`).
    let own_colours = regex::Regex::new(r"\x1b\[[0-9;]*m").expect("regex");
    let runs = ["compact", "human", "github", "markdown"]
        .map(|f| (f, "never"))
        .into_iter()
        .chain([("compact", "always"), ("human", "always")]);
    for (format, color) in runs {
        let (code, out, err) = run_bounded(
            dir.path(),
            &[
                "check",
                "--isolated",
                ".",
                "--format",
                format,
                "--color",
                color,
            ],
        );
        assert_eq!(code, 1, "{format}: {err}");
        let uncoloured = own_colours.replace_all(&out, "");
        assert_eq!(raw(&uncoloured), None, "{format}, colour {color}: {out}");
        assert!(out.contains("\\u{1b}"), "{format}, colour {color}: {out}");
        if format == "compact" || format == "github" {
            // One line per finding (and the summary): none forged.
            assert!(
                out.lines()
                    .all(|l| !l.starts_with("::error file=x") && !l.starts_with("::error::forged")),
                "{format}: {out}"
            );
        }
    }
    let (_, report, _) = json_bounded(dir.path(), &["users.csv"]);
    let values: Vec<&str> = findings(&report)
        .iter()
        .filter_map(|f| f["value"].as_str())
        .collect();
    assert!(values.contains(&hostile[0]), "{values:?}");
}

/// AD001 calls an address with control, bidi or zero-width characters malformed, and AD002
/// sees through a zero-width character hiding a repeat.
#[test]
fn sip_rules_see_hidden_characters() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sips = [
        "sip:ken.myer@contoso.com",
        "sip:ken\u{200b}.myer@contoso.com",
        "sip:an\u{202e}na@contoso.com",
        "sip:bo\u{7}b@contoso.com",
        "sip:kim@contoso.com",
    ];
    users(dir.path(), sips.iter().map(|s| s.to_string()));
    let (_, report, _) = json_bounded(dir.path(), &["users.csv"]);
    let at = |code: &str| -> Vec<u64> {
        findings(&report)
            .iter()
            .filter(|f| f["code"] == code)
            .filter_map(|f| f["line"].as_u64())
            .collect()
    };
    assert_eq!(at("AD001"), [3, 4, 5]);
    assert_eq!(at("AD002"), [3]);
}

/// Many suppression entries over many findings: matched through an index.
#[test]
fn many_suppressions_over_many_findings() {
    let dir = tempfile::tempdir().expect("tempdir");
    users(dir.path(), (0..40_000).map(|i| format!("bad{i}")));
    let mut entries = String::new();
    for i in 0..20_000 {
        entries.push_str(&format!(
            "[[suppress]]\ncode = \"AD001\"\nkey = \"bad{}\"\nreason = \"r\"\n",
            i * 2
        ));
    }
    std::fs::write(dir.path().join("s.toml"), entries).expect("suppressions");
    let (code, report, _) = json_bounded(dir.path(), &["users.csv", "--suppressions", "s.toml"]);
    assert_eq!(code, 1);
    assert_eq!(report["summary"]["error"], 20_000);
}
