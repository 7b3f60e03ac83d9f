//! Mistakes that must never make the gate green: each ends with exit 2 and one clear message
//! (with a did-you-mean when a name is close), never with zero rules run and exit 0. What the
//! check itself decides (names in the configuration, selection) is checked through the library
//! ([`invlint::check::run`]); what the command line says and does, by running the command.

use invlint::check::Asked;
use invlint::report::Format;

use crate::common::{invlint, invlint_in, root};
use crate::gate::{asked, checked, json_of, render, stopped};

const CONTOSO: &str = "testdata/inventories/contoso";

/// Runs `args` and returns stderr, asserting exit 2 and an empty stdout.
fn refused(args: &[&str]) -> String {
    let (code, out, err) = invlint(args);
    assert_eq!(code, 2, "{args:?}: {out}{err}");
    assert!(out.is_empty(), "{args:?}: {out}");
    err
}

#[test]
fn unknown_codes_on_the_command_line() {
    let err = refused(&["check", CONTOSO, "--select", "PC999"]);
    assert_eq!(
        err.trim(),
        "error: --select: unknown rule code or prefix `PC999`; did you mean `PC009`? \
         (`invlint rules` lists them)"
    );
    let err = refused(&["check", CONTOSO, "--select", "XX"]);
    assert!(err.contains("unknown rule code or prefix `XX`"), "{err}");
    assert!(!err.contains("did you mean"), "{err}");
    let err = refused(&["check", CONTOSO, "--ignore", "CVS005"]);
    assert!(err.contains("--ignore"), "{err}");
    assert!(err.contains("did you mean `CSV005`?"), "{err}");
    let err = refused(&["check", CONTOSO, "--extend-select", "pc0l"]);
    assert!(err.contains("--extend-select"), "{err}");
}

#[test]
fn all_selects_every_rule() {
    let contoso = root().join(CONTOSO);
    let every = checked(asked(&contoso));
    let all = checked(Asked {
        select: vec!["ALL".to_string()],
        ..asked(&contoso)
    });
    assert_eq!(all.exit_code(), 1);
    assert_eq!(json_of(&all), json_of(&every));
}

#[test]
fn unknown_codes_in_the_configuration() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("invlint.toml");
    for (text, expected) in [
        ("select = [\"PC999\"]\n", "invlint.toml: select: unknown rule code or prefix `PC999`; did you mean `PC009`?"),
        ("ignore = [\"XX\"]\n", "invlint.toml: ignore: unknown rule code or prefix `XX`"),
        ("[severity]\nTP05 = \"error\"\n", "invlint.toml: [severity]: unknown rule code or prefix `TP05`; did you mean `TP005`?"),
        ("[[per-path]]\npaths = [\"**\"]\nignore = [\"AD9\"]\n", "invlint.toml: [[per-path]] ignore: unknown rule code or prefix `AD9`"),
        ("[[per-path]]\npaths = [\"**\"]\nseverity = { TP0055 = \"info\" }\n", "invlint.toml: [[per-path]] severity: unknown rule code or prefix `TP0055`; did you mean `TP005`?"),
        ("[[table]]\npaths = [\"*.csv\"]\nkind = \"user\"\n", "invlint.toml: [[table]] kind: unknown table kind `user`; did you mean `users`?"),
        ("profiles = [\"post-migraton\"]\n", "unknown profile `post-migraton`; did you mean `post-migration`?"),
    ] {
        std::fs::write(&config, text).expect("write");
        let err = stopped(Asked {
            config: Some(config.clone()),
            ..asked(&root().join(CONTOSO))
        });
        assert!(err.contains(expected), "{text}: {err}");
    }
}

#[test]
fn unknown_code_in_a_suppression() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("invlint-suppressions.toml"),
        "[[suppress]]\ncode = \"AD02\"\nkey = \"sip:a@b.c\"\nreason = \"known\"\n",
    )
    .expect("write");
    let contoso = root().join(CONTOSO);
    let (code, _, err) = invlint_in(
        dir.path(),
        &[
            "check",
            contoso.to_str().expect("utf-8"),
            "--suppressions",
            "invlint-suppressions.toml",
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(
            "invlint-suppressions.toml:1:1: unknown rule code `AD02`; did you mean `AD002`?"
        ),
        "{err}"
    );
}

#[test]
fn unknown_profile() {
    let err = refused(&["check", CONTOSO, "--profile", "decomission"]);
    assert!(
        err.contains("--profile: unknown profile `decomission`; did you mean `decommission`?"),
        "{err}"
    );
}

#[test]
fn nothing_to_read_is_one_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join("empty")).expect("mkdir");
    std::fs::create_dir(dir.path().join("notes")).expect("mkdir");
    std::fs::write(dir.path().join("notes/readme.txt"), "hello").expect("write");
    for (path, expected) in [
        (
            "empty",
            "error: no CSV under empty (files matching *.csv, *.tsv; --include changes that)\n",
        ),
        (
            "notes",
            "error: no CSV under notes (files matching *.csv, *.tsv; --include changes that)\n",
        ),
    ] {
        let (code, out, err) = invlint_in(dir.path(), &["check", path]);
        assert_eq!((code, out.as_str(), err.as_str()), (2, "", expected));
    }
    let (code, out, err) = invlint_in(dir.path(), &["check", "exports"]);
    assert_eq!(code, 2);
    assert_eq!(out, "");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("error: cannot read `exports`"), "{err}");
    assert!(!err.contains("skipped"), "{err}");
}

#[test]
fn mistyped_subcommand() {
    let err = refused(&["chek"]);
    assert!(
        err.starts_with("error: unrecognized subcommand 'chek'; did you mean 'check'?"),
        "{err}"
    );
    let err = refused(&["explian", "PC001"]);
    assert!(err.contains("did you mean 'explain'?"), "{err}");
}

#[test]
fn unknown_pack_to_test() {
    let err = refused(&["test", "nosuchpack"]);
    assert!(
        err.starts_with("error: no rule pack `nosuchpack` (packs: "),
        "{err}"
    );
    let err = refused(&["test", "persistent-chatt"]);
    assert!(err.contains("did you mean `persistent-chat`?"), "{err}");
}

#[test]
fn report_refuses_options_it_would_drop() {
    for option in [
        &["--output", "json=x.json"][..],
        &["--statistics"][..],
        &["--format", "json"][..],
    ] {
        let mut args = vec!["report", CONTOSO, "--html", "-"];
        args.extend_from_slice(option);
        let err = refused(&args);
        assert!(err.contains(option[0]), "{err}");
        assert!(err.contains("not supported"), "{err}");
    }
}

/// `--select` never hides that a table a selected rule reads could not be read whole.
#[test]
fn select_keeps_findings_about_the_tables_it_reads() {
    let quirks = root().join("testdata/inventories/quirks");
    let select = |quirk: &str| Asked {
        select: vec!["PC".to_string()],
        ..asked(&quirks.join(quirk))
    };
    for (quirk, code) in [
        ("ragged-rows", "CSV001"),
        ("format-table", "CSV004"),
        ("missing-required-column", "CSV006"),
    ] {
        let outcome = checked(select(quirk));
        let out = render(&outcome, Format::Compact);
        assert_eq!(outcome.exit_code(), 1, "{quirk}: {out}");
        assert!(out.contains(code), "{quirk}: {out}");
    }
    // An explicit --ignore still wins.
    let outcome = checked(Asked {
        ignore: vec!["CSV001".to_string()],
        ..select("ragged-rows")
    });
    assert_eq!(
        outcome.exit_code(),
        0,
        "{}",
        render(&outcome, Format::Compact)
    );
}

/// The checked folder's invlint.toml wins over the current folder's; the one used is named in
/// the summary and in JSON.
#[test]
fn configuration_is_found_from_the_checked_folder_and_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let exports = dir.path().join("exports");
    std::fs::create_dir(&exports).expect("mkdir");
    for name in ["users.csv", "Lync_Services_Registrar.csv"] {
        std::fs::copy(root().join(CONTOSO).join(name), exports.join(name)).expect("copy");
    }
    std::fs::write(exports.join("invlint.toml"), "select = [\"TP\"]\n").expect("write");
    std::fs::write(dir.path().join("invlint.toml"), "select = [\"AD\"]\n").expect("write");
    let cwd = dir.path().join("elsewhere");
    std::fs::create_dir(&cwd).expect("mkdir");
    let exports_arg = exports.to_str().expect("utf-8");
    let (_, out, err) = invlint_in(&cwd, &["check", exports_arg, "--format", "compact"]);
    assert!(out.contains("[TP00"), "{out}{err}");
    assert!(!out.contains("[AD00"), "{out}");
    let shown = format!("config: {}/invlint.toml)", exports_arg.replace('\\', "/"));
    assert!(out.contains(&shown), "{out}");
    // From the parent folder, `exports` is checked with its own file, not the current one's.
    let (_, out, _) = invlint_in(dir.path(), &["check", "exports", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert!(
        json["summary"]["config"]
            .as_str()
            .is_some_and(|c| c.ends_with("exports/invlint.toml")),
        "{json}"
    );
    let (_, out, _) = invlint_in(
        dir.path(),
        &["check", "exports", "--isolated", "--format", "json"],
    );
    let json: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert!(json["summary"]["config"].is_null(), "{json}");
}

/// Runs invlint in the project root with `input` on standard input.
fn with_stdin(args: &[&str], input: &[u8]) -> (i32, String, String) {
    use std::io::Write;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_invlint"))
        .args(args)
        .current_dir(root())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("invlint runs");
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(input).expect("write stdin");
    }
    let out = child.wait_with_output().expect("invlint ends");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn dash_reads_standard_input_recognised_by_content() {
    let users = std::fs::read(root().join(CONTOSO).join("users.csv")).expect("read");
    let (code, out, err) = with_stdin(&["check", "-", "--format", "json"], &users);
    assert_eq!(code, 1, "{err}");
    let json: serde_json::Value = serde_json::from_str(&out).expect("json");
    let findings = json["findings"].as_array().expect("findings");
    assert!(!findings.is_empty());
    assert!(
        findings
            .iter()
            .all(|f| f["file"] == "-" && f["table"] == "users"),
        "{json}"
    );
    assert_eq!(json["summary"]["files"], 1);
}

#[test]
fn glob_patterns_are_expanded_and_echoed_as_typed() {
    let (code, out, err) = invlint(&[
        "check",
        "testdata/inventories/contoso/u*.CSV",
        "--format",
        "compact",
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(
        out.starts_with("testdata/inventories/contoso/users.csv:"),
        "{out}"
    );
    assert!(out.contains("in 1 file "), "{out}");
    let err = refused(&["check", "testdata/inventories/contoso/nothing*.csv"]);
    assert_eq!(
        err,
        "error: no file or folder matches `testdata/inventories/contoso/nothing*.csv`\n"
    );
}

#[test]
fn output_to_dash_is_standard_output_and_paths_are_not_shared() {
    let (code, out, _) = invlint(&["check", CONTOSO, "--output", "sarif=-"]);
    assert_eq!(code, 1);
    assert!(out.contains("\"version\": \"2.1.0\""), "{out}");
    let err = refused(&[
        "check", CONTOSO, "--output", "json=-", "--format", "compact",
    ]);
    assert!(err.contains("both write to standard output"), "{err}");
    let err = refused(&[
        "check", CONTOSO, "--output", "json=-", "--output", "sarif=-",
    ]);
    assert!(err.contains("standard output"), "{err}");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("out.txt");
    let path = path.to_str().expect("utf-8");
    let err = refused(&[
        "check",
        CONTOSO,
        "--output",
        &format!("json={path}"),
        "--output",
        &format!("sarif={path}"),
    ]);
    assert!(err.contains("two --output options write to"), "{err}");
    assert!(!std::path::Path::new(path).exists());
}
