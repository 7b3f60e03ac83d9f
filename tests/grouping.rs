//! One finding per cause (`group-by`), multi-valued keys, optional tables, and the docs links
//! of the shipped rules.

use std::path::Path;

use invlint::rule::RuleSet;

use crate::common::{invlint_in, root};

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(path, text).expect("write");
}

fn json(out: &str) -> serde_json::Value {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

/// The `group-by` rule of `docs/rules-language.md`.
fn doc_rule() -> String {
    let doc =
        std::fs::read_to_string(root().join("docs/rules-language.md")).expect("rules-language");
    let start = doc.find("```rule\n").expect("rule block") + "```rule\n".len();
    doc[start..start + doc[start..].find("```").expect("end")].to_string()
}

/// The documented `group-by` rule loads and its examples pass.
#[test]
fn docs_group_by_example_holds() {
    let text = doc_rule();
    let set = RuleSet::load_texts(false, &[("doc", "group.toml", &text)]).expect("doc rule loads");
    let outcomes = invlint::engine::examples::run_examples(&set, &["doc".to_string()]);
    assert_eq!(outcomes.len(), 1);
    assert_eq!(outcomes[0].failure, None, "{outcomes:?}");
}

const USERS: &str = "SipAddress,RegistrarPool,PersistentChatPolicy\n\
    sip:a@contoso.com,pool19.contoso.com,\n\
    sip:b@contoso.com,POOL19.contoso.com,\n\
    sip:c@contoso.com,pool19.contoso.com,\n\
    sip:d@contoso.com,pool19.contoso.com,AllowChat\n";

/// A folder with the documented rule as a pack and an inventory under `in/`.
fn setup(users: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "pack/group.toml", &doc_rule());
    write(dir.path(), "in/users.csv", users);
    write(
        dir.path(),
        "in/registrars.csv",
        "Identity,PoolFqdn,Version\nRegistrar:pool19.contoso.com,pool19.contoso.com,8\n",
    );
    write(
        dir.path(),
        "in/pchat-policies.csv",
        "Identity,EnablePersistentChat\nGlobal,True\nTag:AllowChat,True\n",
    );
    dir
}

fn check(dir: &Path, extra: &[&str]) -> (i32, serde_json::Value, String) {
    let mut args = vec![
        "check",
        "in",
        "--no-default-rules",
        "--rules",
        "pack",
        "--format",
        "json",
        "--isolated",
    ];
    args.extend_from_slice(extra);
    let (code, out, err) = invlint_in(dir, &args);
    (code, json(&out), err)
}

/// The group finding: at the first row, the count in its message and on the finding, the next
/// rows as related locations; a row with an empty group value is reported on its own.
#[test]
fn a_group_is_one_finding_with_its_count_and_first_rows() {
    let dir = setup(USERS);
    let (code, report, err) = check(dir.path(), &["--fail-on", "never"]);
    assert_eq!(code, 0, "{err}");
    let findings = report["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 2, "{report:#}");
    let group = &findings[0];
    assert_eq!(group["row"], 1);
    assert_eq!(
        group["message"],
        "3 users of pool19.contoso.com inherit Global, which enables Persistent Chat"
    );
    assert_eq!(group["count"], 3);
    let related: Vec<(u64, &str)> = group["related"]
        .as_array()
        .expect("related")
        .iter()
        .map(|r| {
            (
                r["row"].as_u64().unwrap_or(0),
                r["message"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        related,
        vec![
            (2, "same cause: b@contoso.com (row 2)"),
            (3, "same cause: c@contoso.com (row 3)")
        ]
    );
    let single = &findings[1];
    assert_eq!(single["row"], 4);
    assert_eq!(
        single["message"],
        "sip:d@contoso.com, which enables Persistent Chat"
    );
    assert!(single.get("count").is_none(), "{single}");
}

/// Baselines key on the group: reordered rows and one more user of the same group are known;
/// suppressions name the group value.
#[test]
fn baselines_and_suppressions_key_on_the_group() {
    let dir = setup(USERS);
    let (code, _, err) = check(dir.path(), &["--write-baseline", "baseline.json"]);
    assert_eq!(code, 0, "{err}");
    let baseline = std::fs::read_to_string(dir.path().join("baseline.json")).expect("baseline");
    assert!(
        baseline.contains("\"key\": \"users:pool19.contoso.com / global\""),
        "{baseline}"
    );
    // Rows reversed, one more user in the group: the first row of the group is another one.
    write(
        dir.path(),
        "in/users.csv",
        "SipAddress,RegistrarPool,PersistentChatPolicy\n\
         sip:d@contoso.com,pool19.contoso.com,AllowChat\n\
         sip:e@contoso.com,pool19.contoso.com,\n\
         sip:c@contoso.com,pool19.contoso.com,\n\
         sip:b@contoso.com,POOL19.contoso.com,\n\
         sip:a@contoso.com,pool19.contoso.com,\n",
    );
    let (code, report, err) = check(dir.path(), &["--baseline", "baseline.json"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        report["findings"].as_array().map(Vec::len),
        Some(0),
        "{report:#}"
    );
    assert_eq!(report["summary"]["gate"]["baseline"]["hidden"], 2);
    // A suppression of the group hides it whichever row comes first; one naming the group's
    // first row (its SIP address) matches nothing: the group is not that row.
    write(
        dir.path(),
        "invlint-suppressions.toml",
        "[[suppress]]\ncode = \"XX100\"\nkey = \"pool19.contoso.com / Global\"\nreason = \"accepted\"\n\n\
         [[suppress]]\ncode = \"XX100\"\nkey = \"sip:e@contoso.com\"\nreason = \"not a group key\"\n",
    );
    let (code, report, err) = check(
        dir.path(),
        &[
            "--suppressions",
            "invlint-suppressions.toml",
            "--fail-on",
            "never",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let left: Vec<&str> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["code"].as_str().unwrap_or(""))
        .collect();
    // The per-user finding stays; the second entry matches nothing and is stale (INV002).
    assert_eq!(left, vec!["XX100", "INV002"], "{report:#}");
    assert_eq!(report["summary"]["gate"]["suppressed"], 1);
}

/// `group_count` outside a `group-by` rule, and `group-by` on a rule without `table`, are
/// compile errors located in the rule file.
#[test]
fn group_count_and_group_by_are_checked() {
    let no_group = "code = 'XX101'\ntitle = 't'\nseverity = 'info'\ntable = 'users'\nassert = 'false'\nmessage = '{group_count} users'\nhelp = 'h'\n[doc]\nwhy = 'w'\n";
    let set = RuleSet::load_texts(false, &[("p", "a.toml", no_group)]).expect("loads");
    let errors = invlint::engine::examples::run_examples(&set, &["p".to_string()]);
    assert!(errors[0]
        .failure
        .as_deref()
        .unwrap_or("")
        .contains("no example"));
    let (schema, _) = invlint::rule::build_schema(&set.decls(), &set.maps(), None);
    let rule = set.rule("XX101").expect("rule");
    let err = rule
        .compile(&schema)
        .expect_err("group_count needs group-by");
    assert!(
        err[0].message.contains("`group_count` is only defined"),
        "{}",
        err[0].message
    );
    let whole = "code = 'XX102'\ntitle = 't'\nseverity = 'info'\ngroup-by = 'x'\nassert = 'false'\nat = 'x.y'\nmessage = 'm'\nhelp = 'h'\n[doc]\nwhy = 'w'\n";
    let errors = RuleSet::load_texts(false, &[("p", "b.toml", whole)]).expect_err("no table");
    assert!(
        errors[0]
            .message
            .contains("`group-by` groups the rows of a row rule"),
        "{}",
        errors[0].message
    );
}

/// A multi-valued key finds a room by any member, manager or presenter, with or without
/// `sip:` and in any case, once per room.
#[test]
fn split_keys_find_rows_by_any_item() {
    let set = RuleSet::load(false, &[]).expect("declarations");
    let tables = [
        (
            "users",
            "SipAddress\nsip:Kim.Akers@contoso.com\nsip:nobody@contoso.com\n",
        ),
        (
            "chat-rooms",
            "Name,PersistentChatPoolFqdn,Members,Managers,Presenters\n\
             Sales,chat13.contoso.com,sip:ken@contoso.com; kim.akers@CONTOSO.com,sip:kim.akers@contoso.com,\n\
             Support,chat13.contoso.com,\"CN=Support,OU=Groups,DC=contoso,DC=com\",,SIP:Kim.Akers@contoso.com\n\
             Other,chat13.contoso.com,sip:kim.akersx@contoso.com,,\n",
        ),
    ];
    let eval = |row, text| invlint::engine::evaluate_on(&set, &tables, "users", row, text);
    assert_eq!(
        eval(1, "count(chat-rooms.member[SipAddress])").as_deref(),
        Ok("2")
    );
    assert_eq!(
        eval(1, "first(chat-rooms.member[SipAddress]).Name").as_deref(),
        Ok("Sales")
    );
    assert_eq!(
        eval(2, "exists(chat-rooms.member[SipAddress])").as_deref(),
        Ok("False")
    );
}

/// Every shipped rule cites its documentation, on a known-good Microsoft Learn path: the Lync
/// Server 2013 library, the Skype for Business PowerShell reference, or the Skype for Business
/// Server docs (the old `/lyncserver/` tree and `/module/skype/` paths are gone or redirect).
#[test]
fn docs_urls_follow_known_good_patterns() {
    let patterns = [
        r"^https://learn\.microsoft\.com/previous-versions/office/lync-server-2013/[a-z0-9-]+$",
        r"^https://learn\.microsoft\.com/powershell/module/skypeforbusiness/[a-z-]+\?view=skype-ps$",
        r"^https://learn\.microsoft\.com/skypeforbusiness/[a-z0-9.-]+(/[a-z0-9.-]+)*$",
    ];
    let patterns: Vec<regex::Regex> = patterns
        .iter()
        .map(|p| regex::Regex::new(p).expect("pattern"))
        .collect();
    let set = RuleSet::load(true, &[]).expect("embedded rules");
    let mut bad = Vec::new();
    for rule in set.rules() {
        match &rule.doc.url {
            Some(url) if patterns.iter().any(|p| p.is_match(url)) => {}
            other => bad.push(format!("{}: {other:?}", rule.code)),
        }
    }
    assert!(bad.is_empty(), "{bad:#?}");
    // The Persistent Chat coexistence page is `coexistence-considerations`, without the
    // `lync-server-2013-` prefix of most pages of that library.
    assert_eq!(
        set.rule("PC001").and_then(|r| r.doc.url.clone()).as_deref(),
        Some("https://learn.microsoft.com/previous-versions/office/lync-server-2013/coexistence-considerations")
    );
}

/// The trusted application exports are recognised by their `#TYPE` line, `Selected.` and
/// `Deserialized.` prefixes included, and by their header without one; PC008 reads Group
/// Chat from them.
#[test]
fn trusted_application_exports_are_recognised() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "in/a.csv",
        "#TYPE Selected.Microsoft.Rtc.Management.Xds.DisplayTrustedApplication\r\n\
         \"Identity\",\"ApplicationId\",\"TrustedApplicationPoolFqdn\",\"Port\"\r\n\
         \"gc10.contoso.com/urn:application:groupchat\",\"urn:application:groupchat\",\"gc10.contoso.com\",\"5041\"\r\n",
    );
    write(
        dir.path(),
        "in/b.csv",
        "#TYPE Deserialized.Microsoft.Rtc.Management.Xds.DisplayTrustedApplicationPool\r\n\
         \"Identity\",\"PoolFqdn\",\"Registrar\",\"Site\"\r\n\
         \"TrustedApplicationPool:gc10.contoso.com\",\"gc10.contoso.com\",\"Registrar:pool10.contoso.com\",\"Site:Redmond\"\r\n",
    );
    write(
        dir.path(),
        "in/c.csv",
        "PoolFqdn,Registrar,TreatAsAuthenticated\nrgs.contoso.com,Registrar:pool13.contoso.com,True\n",
    );
    let rules = RuleSet::load(true, &[]).expect("rules");
    let options = invlint::engine::Options {
        profiles: vec!["post-migration".into()],
        ..Default::default()
    };
    let report = invlint::engine::check(&[dir.path().join("in")], &rules, &options).expect("check");
    assert_eq!(report.tables.get("trusted-applications"), Some(&1));
    assert_eq!(report.tables.get("trusted-application-pools"), Some(&2));
    let pc008: Vec<&invlint::finding::Finding> = report
        .findings
        .iter()
        .filter(|f| &*f.code == "PC008")
        .collect();
    assert_eq!(pc008.len(), 1);
    assert_eq!(pc008[0].related.len(), 1, "the pool is a related cell");
}
