//! Migration targets and profiles: unknown names never pass the gate, rules written for a
//! target run only under it, and `retiring(pool)` follows `--retiring-pools`.

use std::path::Path;

use crate::common::{invlint, invlint_in};

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

#[test]
fn unknown_targets_and_profiles_exit_2_with_the_nearest_name() {
    let contoso = "testdata/inventories/contoso";
    for (args, said) in [
        (
            vec!["--target", "sfb209"],
            "unknown target `sfb209`; did you mean `sfb2019`?",
        ),
        (vec!["--target", "Teams"], ""),
        (
            vec!["--profile", "decomission"],
            "did you mean `decommission`?",
        ),
        (
            vec!["--profile", "pre-migration"],
            "unknown profile `pre-migration`",
        ),
    ] {
        let mut all = vec!["check", contoso, "--isolated", "--format", "compact"];
        all.extend_from_slice(&args);
        let (code, _, err) = invlint(&all);
        if said.is_empty() {
            assert_eq!(code, 1, "{args:?}: {err}");
        } else {
            assert_eq!(code, 2, "{args:?}");
            assert!(err.contains(said), "{args:?}: {err}");
        }
    }
    // The same mistakes in invlint.toml, located on the value.
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "invlint.toml",
        "target = \"team\"\nprofiles = [\"post-migraton\"]\n",
    );
    write(
        dir.path(),
        "exports/users.csv",
        "SipAddress,RegistrarPool\nsip:a@contoso.com,pool\n",
    );
    let (code, _, err) = invlint_in(dir.path(), &["check", "exports"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("did you mean `teams`?"), "{err}");
    assert!(err.contains("did you mean `post-migration`?"), "{err}");
    assert!(err.contains("invlint.toml:1:"), "{err}");
}

const RETIRING_RULE: &str = r#"
code = "ZZ001"
title = "User homed on a retiring pool"
severity = "error"
table = "users"
targets = ["sfb2015", "sfbse", "teams"]
where = 'retiring(RegistrarPool) || num(registrars[RegistrarPool].Version) < target_version()'
assert = 'false'
at = 'RegistrarPool'
message = '{SipAddress} is on {RegistrarPool}, retiring before the move to {target()}'
help = 'Move-CsUser'
[doc]
why = 'test'
[[example]]
name = "retiring by glob, and below the target"
expect = 2
rows = [1, 2]
retiring-pools = ["pool15*"]
[example.tables]
users = '''
SipAddress,RegistrarPool
sip:a@contoso.com,pool15.contoso.com
sip:b@contoso.com,pool13.contoso.com
sip:c@contoso.com,pool19.contoso.com
'''
registrars = '''
PoolFqdn,Version
pool13.contoso.com,6
pool15.contoso.com,7
pool19.contoso.com,8
'''
[[example]]
name = "nothing retires and every pool is at the target"
expect = 0
target = "sfb2019"
[example.tables]
users = '''
SipAddress,RegistrarPool
sip:c@contoso.com,pool19.contoso.com
'''
registrars = '''
PoolFqdn,Version
pool19.contoso.com,8
'''
"#;

#[test]
fn target_rules_run_only_under_their_targets() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "pack/retiring.toml", RETIRING_RULE);
    write(
        dir.path(),
        "exports/users.csv",
        "SipAddress,RegistrarPool\nsip:a@contoso.com,pool15.contoso.com\nsip:b@contoso.com,pool13.contoso.com\nsip:c@contoso.com,pool19.contoso.com\n",
    );
    write(
        dir.path(),
        "exports/registrars.csv",
        "PoolFqdn,Version\npool13.contoso.com,6\npool15.contoso.com,7\npool19.contoso.com,8\n",
    );
    let run = |extra: &[&str]| {
        let mut args = vec![
            "check",
            "exports",
            "--isolated",
            "--no-default-rules",
            "--rules",
            "pack",
            "--format",
            "compact",
        ];
        args.extend_from_slice(extra);
        let (code, out, err) = invlint_in(dir.path(), &args);
        assert!(code <= 1, "{err}");
        out.lines()
            .filter(|l| l.contains("[ZZ001]"))
            .map(|l| l.split_once(": error").map_or(l, |(at, _)| at).to_string())
            .collect::<Vec<_>>()
    };
    // No target: the rule is not for this run.
    assert!(run(&[]).is_empty());
    assert!(run(&["--target", "sfb2019"]).is_empty());
    // SE: the pools below Version 8 block (2013 and 2015).
    assert_eq!(
        run(&["--target", "sfbse"]),
        ["exports/users.csv:2:19", "exports/users.csv:3:19"]
    );
    // SfB 2015: only the 2013 pool, and a retiring pool whatever its version.
    assert_eq!(run(&["--target", "sfb2015"]), ["exports/users.csv:3:19"]);
    assert_eq!(
        run(&["--target", "sfb2015", "--retiring-pools", "POOL19*"]),
        ["exports/users.csv:3:19", "exports/users.csv:4:19"]
    );
    // decommission = teams with every pool retiring.
    assert_eq!(run(&["--profile", "decommission"]).len(), 3);
    // The examples run under their own target and pools.
    let (code, out, err) = invlint_in(
        dir.path(),
        &["test", "--no-default-rules", "--rules", "pack"],
    );
    assert_eq!(code, 0, "{out}{err}");
}

#[test]
fn a_rule_with_an_unknown_profile_or_target_is_a_rule_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = RETIRING_RULE.replace(
        "targets = [\"sfb2015\", \"sfbse\", \"teams\"]",
        "targets = [\"sfbs\"]\nprofiles = [\"pre-migration\"]",
    );
    write(dir.path(), "pack/retiring.toml", &bad);
    write(
        dir.path(),
        "exports/users.csv",
        "SipAddress,RegistrarPool\nsip:a@contoso.com,p\n",
    );
    for args in [
        vec!["check", "exports", "--isolated", "--rules", "pack"],
        vec!["test", "--no-default-rules", "--rules", "pack"],
    ] {
        let (code, _, err) = invlint_in(dir.path(), &args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains("did you mean `sfbse`?"), "{err}");
        assert!(err.contains("unknown profile `pre-migration`"), "{err}");
    }
}
