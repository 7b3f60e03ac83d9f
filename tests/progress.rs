//! Progress: the library reports phases and work done (bytes read, tasks checked) and never
//! prints; the CLI draws a bar only on a terminal.

use std::io::Write;
use std::sync::{Arc, Mutex};

use invlint::engine::progress::{Phase, Progress, ProgressSink};
use invlint::engine::{check, Options};
use invlint::gen::{generate, GenOptions};
use invlint::rule::RuleSet;

use crate::common::invlint;

/// Run a check of `dir` and return the progress events it sent.
fn events(dir: &std::path::Path) -> Vec<Progress> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = {
        let seen = seen.clone();
        ProgressSink::new(move |e| seen.lock().expect("lock").push(e))
    };
    let rules = RuleSet::load(true, &[]).expect("rules");
    let options = Options {
        progress: Some(sink),
        ..Options::default()
    };
    check(&[dir.to_path_buf()], &rules, &options).expect("check");
    let out = seen.lock().expect("lock").clone();
    out
}

fn csv_bytes(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .expect("dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "csv"))
        .map(|p| std::fs::metadata(p).expect("metadata").len())
        .sum()
}

fn done(events: &[Progress], phase: Phase) -> u64 {
    events
        .iter()
        .map(|e| match e {
            Progress::Advance { phase: p, done } if *p == phase => *done,
            _ => 0,
        })
        .sum()
}

fn total(events: &[Progress], phase: Phase) -> Option<u64> {
    events.iter().find_map(|e| match e {
        Progress::Start { phase: p, total } if *p == phase => Some(*total),
        _ => None,
    })
}

#[test]
fn phases_in_order_with_bytes_and_tasks_adding_up() {
    for utf16 in [false, true] {
        let dir = tempfile::tempdir().expect("tempdir");
        generate(
            dir.path(),
            &GenOptions {
                users: 20_000,
                utf16,
                ..GenOptions::default()
            },
        )
        .expect("generate");
        let events = events(dir.path());
        let starts: Vec<Phase> = events
            .iter()
            .filter_map(|e| match e {
                Progress::Start { phase, .. } => Some(*phase),
                Progress::Advance { .. } | Progress::Counts { .. } => None,
            })
            .collect();
        assert_eq!(
            starts,
            [
                Phase::Reading,
                Phase::Indexing,
                Phase::Checking,
                Phase::Locating
            ]
        );
        let bytes = csv_bytes(dir.path());
        assert_eq!(total(&events, Phase::Reading), Some(bytes), "utf16={utf16}");
        assert_eq!(done(&events, Phase::Reading), bytes, "utf16={utf16}");
        let tasks = total(&events, Phase::Checking).expect("checking");
        assert!(tasks > 20, "{tasks}");
        assert_eq!(done(&events, Phase::Checking), tasks);
    }
}

#[test]
fn a_file_read_again_as_windows_1252_counts_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    generate(
        dir.path(),
        &GenOptions {
            users: 20_000,
            ..GenOptions::default()
        },
    )
    .expect("generate");
    // An ANSI (Windows-1252) row at the end of a file of several MiB: the first read fails
    // there and the file is read again from the start. (Without the UTF-8 BOM, which the
    // Windows-1252 reading does not expect.)
    let users = dir.path().join("users.csv");
    let text = std::fs::read(&users).expect("users.csv");
    let mut file = std::fs::File::create(&users).expect("users.csv");
    file.write_all(text.strip_prefix(b"\xEF\xBB\xBF").expect("BOM"))
        .expect("write");
    file.write_all(b"\"CN=H\xE9l\xE8ne\",\"H\xE9l\xE8ne\",\"sip:helene@contoso.com\"\r\n")
        .expect("append");
    drop(file);
    assert!(std::fs::metadata(&users).expect("size").len() > 3 << 20);
    let events = events(dir.path());
    let bytes = csv_bytes(dir.path());
    assert_eq!(total(&events, Phase::Reading), Some(bytes));
    assert_eq!(done(&events, Phase::Reading), bytes);
    let path = dir.path().to_string_lossy().into_owned();
    let (_, out, _) = invlint(&["check", &path, "--format", "compact", "--select", "CSV"]);
    assert!(out.contains("read as Windows-1252"), "{out}");
    assert!(!out.contains("changed while"), "{out}");
}

#[test]
fn no_progress_on_stderr_when_it_is_not_a_terminal() {
    let dir = tempfile::tempdir().expect("tempdir");
    generate(
        dir.path(),
        &GenOptions {
            users: 50_000,
            ..GenOptions::default()
        },
    )
    .expect("generate");
    let path = dir.path().to_string_lossy().into_owned();
    let (code, out, err) = invlint(&["check", &path, "--format", "compact"]);
    assert_eq!(code, 1);
    assert!(out.contains("errors"), "{out}");
    assert_eq!(err, "", "stderr is a pipe here: nothing may be drawn on it");
}

/// On a terminal (a pseudo-terminal made by util-linux `script`) a run of a few seconds draws
/// the bar on stderr, and `--quiet` keeps it silent; stdout never gets any of it.
#[test]
#[allow(clippy::print_stderr)] // says why the test is skipped
fn progress_bar_on_a_terminal_unless_quiet() {
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: util-linux `script` (to make a terminal) is not installed");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("inventory");
    // Big enough that the debug binary runs for well over the second before the bar shows.
    generate(
        &data,
        &GenOptions {
            users: 150_000,
            ..GenOptions::default()
        },
    )
    .expect("generate");
    let on_terminal = |extra: &str| -> (String, String) {
        let stdout = dir.path().join("stdout.txt");
        let command = format!(
            "'{}' check '{}' --format compact {extra} > '{}'",
            env!("CARGO_BIN_EXE_invlint"),
            data.display(),
            stdout.display()
        );
        // `script` copies what the program writes on the terminal (here only stderr) to its
        // own stdout; `-e` returns the program's exit code.
        let out = std::process::Command::new("script")
            .args(["-qec", &command, "/dev/null"])
            .env_remove("CI")
            .output()
            .expect("script runs");
        assert_eq!(out.status.code(), Some(1), "{out:?}");
        (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            std::fs::read_to_string(&stdout).expect("stdout.txt"),
        )
    };
    let (terminal, stdout) = on_terminal("");
    // Which phases are still running after the first second depends on the machine.
    let labels = ["Reading", "Joining tables", "Checking", "Finding lines"];
    assert!(
        labels.iter().any(|l| terminal.contains(l)),
        "{terminal:.2000}"
    );
    assert!(
        !stdout.contains('\x1b') && stdout.contains("errors"),
        "{stdout:.2000}"
    );
    let (terminal, quiet_stdout) = on_terminal("--quiet");
    assert!(
        !labels.iter().any(|l| terminal.contains(l)),
        "{terminal:.2000}"
    );
    assert!(!quiet_stdout.contains('\x1b'));
}
