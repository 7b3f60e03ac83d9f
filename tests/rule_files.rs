//! Rule files: all mistakes reported at once with exact spans; set rules across tables;
//! whole-inventory rules; profiles.

use std::path::Path;

use invlint::located::LocatedError;
use invlint::rule::{build_schema, RuleSet};

use crate::common::invlint_in;

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::create_dir_all(dir.join(name).parent().expect("parent")).expect("mkdir");
    std::fs::write(dir.join(name), text).expect("write");
}

fn compile_errors(rule: &str) -> (String, Vec<LocatedError>) {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "pack/broken.toml", rule);
    let set =
        RuleSet::load(false, &[dir.path().join("pack")]).unwrap_or_else(|e| panic!("load: {e:?}"));
    let (schema, errors) = build_schema(&set.decls(), &set.maps(), None);
    assert!(errors.is_empty(), "{errors:?}");
    let rule = set.rule("XX001").expect("rule");
    (
        rule.source.text.to_string(),
        rule.compile(&schema).err().unwrap_or_default(),
    )
}

#[test]
fn five_mistakes_are_reported_together_with_exact_spans() {
    let rule = r#"code = "XX001"
title = "Five mistakes"
severity = "error"
table = "users"
let.home = 'registrar[RegistrarPool]'
where = 'lowr(SipAddress) == "x"'
assert = 'SipAdress =~ "(" && len(LineURI)'
at = 'RegistrarPool'
message = '{DisplayName}'
help = 'none'
[doc]
why = 'test'
"#;
    let (text, errors) = compile_errors(rule);
    let mut got: Vec<(String, String)> = errors
        .iter()
        .map(|e| {
            (
                text[e.span.clone().expect("span")].to_string(),
                e.message.clone(),
            )
        })
        .collect();
    got.sort();
    let expected = [
        ("\"(\"", "invalid regular expression"),
        ("SipAdress", "unknown name `SipAdress`"),
        ("len(LineURI)", "expected a condition, found a number"),
        ("lowr", "unknown function `lowr`"),
        ("registrar", "unknown table or map `registrar`"),
    ];
    assert_eq!(got.len(), 5, "{got:#?}");
    for ((span_text, message), (want_text, want_message)) in got.iter().zip(expected) {
        assert_eq!(span_text, want_text, "{message}");
        assert!(
            message.contains(want_message),
            "{message} should say {want_message}"
        );
    }
    let help: Vec<_> = errors.iter().filter_map(|e| e.help.clone()).collect();
    assert!(help.iter().any(|h| h.contains("`SipAddress`")), "{help:?}");
    assert!(help.iter().any(|h| h.contains("`lower`")), "{help:?}");
    assert!(help.iter().any(|h| h.contains("`registrars`")), "{help:?}");
}

#[test]
fn bad_toml_and_unknown_keys_are_located() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "pack/a.toml",
        "code = \"A1\"\nseverty = \"error\"\n",
    );
    write(dir.path(), "pack/b.toml", "code = \"B1\"\ntitle = \"x\"\nseverity = \"fatal\"\ntable = \"users\"\nassert = 'a &&'\nmessage = 'm {x'\nhelp = ''\n[doc]\nwhy = ''\n");
    let errors = RuleSet::load(false, &[dir.path().join("pack")]).expect_err("errors");
    let text: Vec<String> = errors.iter().map(LocatedError::compact).collect();
    assert_eq!(errors.len(), 4, "{text:#?}");
    assert!(
        text[0].contains("a.toml:2:1: error: unknown field `severty`"),
        "{text:#?}"
    );
    assert!(
        text.iter()
            .any(|t| t.contains("b.toml:3:12") && t.contains("unknown severity `fatal`")),
        "{text:#?}"
    );
    assert!(
        text.iter()
            .any(|t| t.contains("b.toml:5:15") && t.contains("in `assert`")),
        "{text:#?}"
    );
    assert!(
        text.iter()
            .any(|t| t.contains("b.toml:6:14") && t.contains("unclosed `{`")),
        "{text:#?}"
    );
    // The CLI exits 2 and prints the diagnostics.
    let pack = dir.path().join("pack").to_string_lossy().into_owned();
    let (code, _, err) = invlint_in(dir.path(), &["check", ".", "--rules", &pack]);
    assert_eq!(code, 2);
    assert!(err.contains("4 errors in rule files"), "{err}");
}

#[test]
fn uniqueness_across_tables_aggregates_and_profiles() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "pack/sip-unique.toml",
        r#"code = "XX010"
title = "SIP unique across users and chat endpoints"
severity = "error"
unique = 'lower(strip_prefix(SipAddress, "sip:"))'
tables = ["users", "chat-endpoints"]
at = 'SipAddress'
message = '{SipAddress} is used twice'
help = 'x'
[doc]
why = 'x'
"#,
    );
    write(
        dir.path(),
        "pack/three.toml",
        r#"code = "XX011"
title = "Three generations"
severity = "error"
profiles = ["post-migration"]
let.old = 'find(registrars, num(Version) == 5)'
assert = '!(exists(old) && any(registrars, num(Version) == 6) && any(registrars, num(Version) == 7))'
at = 'old.Version'
message = 'pools of Lync 2010, 2013 and 2015 coexist ({count(registrars)} registrars)'
help = 'x'
[doc]
why = 'x'
"#,
    );
    write(
        dir.path(),
        "in/users.csv",
        "SipAddress,RegistrarPool\r\nsip:A@x.com,p5\r\nsip:b@x.com,p6\r\n",
    );
    write(dir.path(), "in/endpoints.csv", "#TYPE Microsoft.Rtc.Management.ADConnect.Schema.OCSPersistentChatContact\r\nSipAddress,PersistentChatPoolFqdn\r\nSIP:a@X.com,chat\r\n");
    write(dir.path(), "in/registrars.csv", "Identity,PoolFqdn,Version\r\nRegistrar:p5,p5,5\r\nRegistrar:p6,p6,6\r\nRegistrar:p7,p7,7\r\n");
    let pack = dir.path().join("pack").to_string_lossy().into_owned();
    let run = |extra: &[&str]| {
        let mut args = vec![
            "check",
            "in",
            "--no-default-rules",
            "--rules",
            &pack,
            "--format",
            "json",
        ];
        args.extend_from_slice(extra);
        let (code, out, err) = invlint_in(dir.path(), &args);
        (
            code,
            serde_json::from_str::<serde_json::Value>(&out)
                .unwrap_or_else(|e| panic!("{e}: {out} {err}")),
        )
    };
    let (code, json) = run(&[]);
    assert_eq!(code, 1);
    let findings = json["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 1, "{json:#}");
    let f = &findings[0];
    assert_eq!(
        (f["code"].as_str(), f["file"].as_str(), f["row"].as_u64()),
        (Some("XX010"), Some("in/endpoints.csv"), Some(1))
    );
    assert_eq!(
        (
            f["related"][0]["file"].as_str(),
            f["related"][0]["line"].as_u64(),
            f["related"][0]["column"].as_u64()
        ),
        (Some("in/users.csv"), Some(2), Some(1))
    );
    let (_, json) = run(&["--profile", "post-migration"]);
    let codes: Vec<&str> = json["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["code"].as_str())
        .collect();
    assert_eq!(codes, ["XX010", "XX011"], "{json:#}");
    let three = &json["findings"][1];
    assert_eq!(
        (
            three["file"].as_str(),
            three["row"].as_u64(),
            three["field"].as_str()
        ),
        (Some("in/registrars.csv"), Some(1), Some("Version"))
    );
    assert!(
        three["message"]
            .as_str()
            .unwrap_or("")
            .contains("(3 registrars)"),
        "{three}"
    );
}

#[test]
fn huge_and_deep_expressions_are_errors_not_crashes() {
    let chain = vec!["SipAddress == \"x\""; 60_000].join(" && ");
    let parens = format!("{}true{}", "(".repeat(5_000), ")".repeat(5_000));
    let regex_bomb = format!(
        "SipAddress =~ \"{}\"",
        "(a|aa)*".repeat(2_000) + &"a{1000}".repeat(20)
    );
    for (name, assert, want) in [
        ("chain", chain.as_str(), "nested too deeply"),
        ("parens", parens.as_str(), "nested too deeply"),
        ("regex", regex_bomb.as_str(), "regular expression too large"),
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        let rule = format!(
            "code = \"XX030\"\ntitle = \"t\"\nseverity = \"error\"\ntable = \"users\"\nassert = '{assert}'\nmessage = 'm'\nhelp = 'h'\n[doc]\nwhy = 'w'\n"
        );
        write(dir.path(), "pack/big.toml", &rule);
        let (code, _, err) = invlint_in(
            dir.path(),
            &["check", ".", "--no-default-rules", "--rules", "pack"],
        );
        assert_eq!(code, 2, "{name}");
        assert!(
            err.contains(want),
            "{name}: {}",
            &err[..err.len().min(2000)]
        );
        assert!(assert.len() > 10_000, "{name} is big");
    }
}

/// The function table of `docs/rules-language.md` is the one generated from the compiler's
/// table of built-in functions.
#[test]
fn docs_function_table_is_generated() {
    let doc =
        std::fs::read_to_string(crate::common::root().join("docs/rules-language.md")).expect("doc");
    let heading = "## Functions\n\n";
    let start = doc.find(heading).expect("a `## Functions` section") + heading.len();
    let end = start + doc[start..].find("\n\n").expect("the end of the table") + 1;
    let generated = invlint::expr::compile::functions::markdown_table();
    assert!(
        doc[start..end] == generated,
        "docs/rules-language.md: the table under `## Functions` is stale; replace it with the \
         output of `invlint::expr::compile::functions::markdown_table()`:\n{generated}"
    );
}

/// Every worked example of `docs/rules-language.md` renders as documented.
#[test]
fn docs_examples_hold() {
    let doc =
        std::fs::read_to_string(crate::common::root().join("docs/rules-language.md")).expect("doc");
    let block = |tag: &str| {
        let start = doc.find(&format!("```{tag}\n")).expect("block") + tag.len() + 4;
        doc[start..start + doc[start..].find("```").expect("end")].to_string()
    };
    // Tables: a line with a kind name, then its CSV lines.
    let tables_text = block("tables");
    let mut tables: Vec<(String, String)> = Vec::new();
    for line in tables_text.lines() {
        if !line.contains(',') {
            tables.push((line.trim().to_string(), String::new()));
        } else if let Some((_, csv)) = tables.last_mut() {
            csv.push_str(line);
            csv.push('\n');
        }
    }
    let borrowed: Vec<(&str, &str)> = tables
        .iter()
        .map(|(k, c)| (k.as_str(), c.as_str()))
        .collect();
    let set = RuleSet::load(false, &[]).expect("embedded declarations");
    let examples = block("examples");
    let mut count = 0;
    for line in examples.lines().filter(|l| !l.trim().is_empty()) {
        let (expr, want) = line.rsplit_once("=>").expect("expr => result");
        let got = invlint::engine::evaluate_on(&set, &borrowed, "users", 1, expr.trim());
        assert_eq!(got.as_deref(), Ok(want.trim()), "{}", expr.trim());
        count += 1;
    }
    assert!(count >= 15, "{count} examples");
}

/// Columns used only by messages are optional: a file without them is still checked, and
/// `coalesce` falls back. Columns the assertion reads are essential: the rule skips the file.
#[test]
fn message_columns_are_optional_assert_columns_are_not() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "pack/named.toml", "code = 'XX040'\ntitle = 't'\nseverity = 'error'\ntable = 'users'\nassert = 'false'\nmessage = '{coalesce(DisplayName, SipAddress)} on {RegistrarPool}'\nhelp = 'h'\n[doc]\nwhy = 'w'\n");
    write(dir.path(), "pack/voice.toml", "code = 'XX041'\ntitle = 't'\nseverity = 'error'\ntable = 'users'\nassert = 'EnterpriseVoiceEnabled == false'\nmessage = 'm'\nhelp = 'h'\n[doc]\nwhy = 'w'\n");
    write(
        dir.path(),
        "in/users.csv",
        "SipAddress,RegistrarPool\nsip:a@x.com,pool13\n",
    );
    let (code, out, err) = invlint_in(
        dir.path(),
        &[
            "check",
            "in",
            "--no-default-rules",
            "--rules",
            "pack",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 1, "{err}");
    let json: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(
        json["findings"][0]["message"].as_str(),
        Some("sip:a@x.com on pool13"),
        "{json:#}"
    );
    assert_eq!(json["findings"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        json["summary"]["skipped"][0]["code"].as_str(),
        Some("XX041")
    );
    assert!(json["summary"]["skipped"][0]["reason"]
        .as_str()
        .unwrap_or("")
        .contains("`EnterpriseVoiceEnabled`"));
}

/// The JSON Schema printed by `invlint rules --schema` names exactly the keys rule files accept.
#[test]
fn schema_matches_the_rule_file_format() {
    let (code, out, _) = crate::common::invlint(&["rules", "--schema"]);
    assert_eq!(code, 0);
    let schema: serde_json::Value = serde_json::from_str(&out).expect("schema is JSON");
    let mut in_schema: Vec<String> = schema["properties"]
        .as_object()
        .expect("properties")
        .keys()
        .cloned()
        .collect();
    in_schema.sort();
    // serde lists the accepted fields when it meets an unknown one.
    let err = toml::from_str::<invlint::rule::file::RuleFile>("zzz = 1")
        .expect_err("unknown field")
        .to_string();
    let listed = &err[err.find("expected").expect("expected list")..];
    let mut accepted: Vec<String> = listed
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect();
    accepted.sort();
    assert_eq!(in_schema, accepted);
    assert_eq!(
        schema["additionalProperties"],
        serde_json::Value::Bool(false)
    );
}

/// `help` is shown as written (it is no template): doubled braces there would reach the admin
/// as `{{…}}` in a PowerShell filter.
#[test]
fn help_texts_are_shown_as_written() {
    let set = invlint::rule::RuleSet::load(true, &[]).expect("embedded rules");
    let doubled: Vec<&str> = set
        .rules()
        .filter(|r| r.help.contains("{{") || r.help.contains("}}"))
        .map(|r| &*r.code)
        .collect();
    assert!(doubled.is_empty(), "{doubled:?}");
}
