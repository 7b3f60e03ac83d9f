//! The human output on a console: laid out to its width, plain ASCII when asked, colours when
//! forced, the summary hidden by `--quiet`.

use std::process::Command;

use unicode_width::UnicodeWidthStr;

/// Runs invlint with `env` set (and the console variables of the test run removed).
fn run(args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_invlint"));
    command
        .args(args)
        .current_dir(crate::common::root())
        .env_remove("NO_COLOR")
        .env_remove("COLUMNS")
        .env_remove("FORCE_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("TERM");
    for (k, v) in env {
        command.env(k, v);
    }
    let out = command.output().expect("invlint runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

const INPUTS: &[&str] = &[
    "testdata/inventories/contoso",
    "testdata/inventories/quirks",
    "testdata/hostile",
];

#[test]
fn no_line_is_wider_than_the_console() {
    for width in ["80", "120"] {
        for input in INPUTS {
            let (_, out) = run(
                &["check", input, "--format", "human"],
                &[("COLUMNS", width)],
            );
            let limit: usize = width.parse().expect("number");
            assert!(out.lines().count() > 5, "{input}: {out}");
            for line in out.lines() {
                assert!(
                    line.width() <= limit,
                    "{input} at {width} columns: {} columns: {line}",
                    line.width()
                );
            }
        }
    }
}

#[test]
fn the_window_of_a_long_record_keeps_the_cell_under_its_label() {
    let (_, out) = run(
        &["check", "testdata/inventories/contoso", "--format", "human"],
        &[("COLUMNS", "80")],
    );
    // PC011's endpoint row is 210 characters long: shown cut, the cell in view.
    let finding = out
        .split("\n\n")
        .find(|f| f.starts_with("error[PC011]"))
        .expect("PC011 shown");
    let lines: Vec<&str> = finding.lines().collect();
    let row = lines
        .iter()
        .position(|l| l.starts_with(" 3 | "))
        .expect("row 3");
    assert!(lines[row].contains('…'), "{finding}");
    let underline = lines[row + 1];
    let start = underline.find('^').expect("underline");
    let end = underline.rfind('^').expect("underline") + 1;
    let cell: String = lines[row].chars().skip(start).take(end - start).collect();
    assert_eq!(cell, "\"sip:ocschat@contoso.com\"");
    assert!(underline.ends_with("^ SipAddress"), "{underline}");
    assert!(
        finding.contains("\n  related evidence: user account holding the same SIP address\n"),
        "{finding}"
    );
    assert!(!out.contains("Advice"), "{out}");
}

#[test]
fn findings_are_separated_and_name_their_severity() {
    let (_, out) = run(
        &["check", "testdata/inventories/contoso", "--format", "human"],
        &[("COLUMNS", "100")],
    );
    let findings: Vec<&str> = out.split("\n\n").collect();
    assert!(findings.len() > 30, "{out}");
    for f in &findings[..findings.len() - 1] {
        let head = f.lines().next().unwrap_or_default();
        assert!(
            ["error[", "warning[", "info["]
                .iter()
                .any(|p| head.starts_with(p)),
            "{head}"
        );
    }
}

#[test]
fn help_never_breaks_a_command_that_fits_on_a_line() {
    let (_, out) = run(
        &["check", "testdata/inventories/contoso", "--format", "human"],
        &[("COLUMNS", "80")],
    );
    // miette used to break `Invoke-CsBackupServiceSync` at its hyphen.
    assert!(
        out.contains("`Invoke-CsBackupServiceSync -PoolFqdn <pool>`"),
        "{out}"
    );
    for line in out.lines() {
        assert!(
            !line.trim_end().ends_with('-') || line.contains("--"),
            "{line}"
        );
    }
}

#[test]
fn plain_ascii_for_dumb_terminals_and_color_never() {
    for (args, env) in [
        (&["--color", "never"][..], &[][..]),
        (&[][..], &[("TERM", "dumb")][..]),
    ] {
        let mut all = vec!["check", "testdata/inventories/contoso", "--format", "human"];
        all.extend_from_slice(args);
        let (_, out) = run(&all, env);
        let decorations: String = out
            .lines()
            .filter(|l| l.starts_with(' ') && l.contains(" | "))
            .collect();
        assert!(decorations.contains("..."), "{out}");
        assert!(
            decorations.is_ascii() || !decorations.contains('…'),
            "{out}"
        );
        assert!(!out.contains('\x1b'), "{out}");
    }
}

#[test]
fn forced_colours_when_piped() {
    for var in ["FORCE_COLOR", "CLICOLOR_FORCE"] {
        for format in ["human", "compact"] {
            let (_, out) = run(
                &["check", "testdata/inventories/contoso", "--format", format],
                &[(var, "1")],
            );
            assert!(out.contains("\x1b[1;31merror[PC"), "{var} {format}: {out}");
        }
    }
    let (_, out) = run(
        &[
            "check",
            "testdata/inventories/contoso",
            "--format",
            "compact",
        ],
        &[("FORCE_COLOR", "1"), ("NO_COLOR", "1")],
    );
    assert!(!out.contains('\x1b'), "{out}");
}

#[test]
fn quiet_hides_the_summary() {
    for format in ["human", "compact"] {
        let (code, out) = run(
            &[
                "check",
                "testdata/inventories/contoso",
                "--format",
                format,
                "-q",
            ],
            &[],
        );
        assert_eq!(code, 1);
        assert!(!out.contains("errors,"), "{format}: {out}");
        assert!(out.contains("PC001"), "{format}: {out}");
    }
    let (_, out) = run(
        &[
            "check",
            "testdata/inventories/quirks/quoted-newlines",
            "--format",
            "human",
            "-q",
        ],
        &[],
    );
    assert!(!out.contains("skipped"), "{out}");
}
