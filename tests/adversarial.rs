//! The holes an adversarial probe found (issue 16), part 1: special files, links, races,
//! configuration that cannot be read, and outputs. Every run goes through [`run_bounded`]: a
//! case that would hang (a FIFO, a walk of `/sys`) fails the test when the harness bound
//! passes, instead of hanging the suite. Part 2 (rules, memory, hostile text) is in
//! `adversarial_text.rs`.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::root;

/// The good neighbour: the sample inventory's users export (it has planted errors: exit 1).
pub const GOOD: &str = "testdata/inventories/contoso/users.csv";

/// How long any one run may take before the harness kills it and fails the test. No test
/// asserts a duration: this only turns a hang into a failure.
const BOUND: Duration = Duration::from_secs(180);

/// Run invlint in `dir`, killed and failed past [`BOUND`]; returns (exit code, stdout, stderr).
pub fn run_bounded(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_invlint"))
        .args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("invlint runs");
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            String::from_utf8_lossy(&bytes).into_owned()
        })
    };
    let out = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let err = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > BOUND {
            let _ = child.kill();
            let _ = child.wait();
            panic!("invlint {args:?} did not finish within the harness bound");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    (
        status.code().unwrap_or(-1),
        out.join().expect("stdout"),
        err.join().expect("stderr"),
    )
}

/// `check --format json ARGS` in `dir`: (exit code, the report, stderr).
pub fn json_bounded(dir: &Path, args: &[&str]) -> (i32, Value, String) {
    let mut all = vec!["check", "--isolated", "--format", "json"];
    all.extend_from_slice(args);
    let (code, out, err) = run_bounded(dir, &all);
    let report = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out:.2000}{err}"));
    (code, report, err)
}

pub fn findings(report: &Value) -> &Vec<Value> {
    report["findings"].as_array().expect("findings")
}

/// The (code, message) of the findings about files whose path ends with `file`.
pub fn about<'r>(report: &'r Value, file: &str) -> Vec<(&'r str, &'r str)> {
    findings(report)
        .iter()
        .filter(|f| f["file"].as_str().is_some_and(|n| n.ends_with(file)))
        .map(|f| {
            (
                f["code"].as_str().unwrap_or(""),
                f["message"].as_str().unwrap_or(""),
            )
        })
        .collect()
}

fn copy_good(to: &Path) {
    std::fs::copy(root().join(GOOD), to).expect("copy");
}

#[cfg(unix)]
fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().expect("mkfifo");
    assert!(status.success());
}

#[cfg(unix)]
#[test]
fn fifos_among_exports_and_on_the_command_line_are_reported_not_opened() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join("exports")).expect("mkdir");
    copy_good(&dir.path().join("exports/users.csv"));
    mkfifo(&dir.path().join("exports/pipe.csv"));
    let (code, report, _) = json_bounded(dir.path(), &["exports"]);
    assert_eq!(code, 2);
    let pipe = about(&report, "exports/pipe.csv");
    assert_eq!(pipe.len(), 1, "{pipe:?}");
    assert_eq!(pipe[0].0, "CSV008");
    assert!(pipe[0].1.contains("FIFO"), "{}", pipe[0].1);
    assert!(about(&report, "exports/users.csv").len() >= 5);
    // Named on the command line: the same.
    let (code, report, _) = json_bounded(dir.path(), &["exports/pipe.csv"]);
    assert_eq!(code, 2);
    assert_eq!(about(&report, "pipe.csv")[0].0, "CSV008");
}

#[cfg(unix)]
#[test]
fn fifos_devices_and_huge_files_as_rule_config_suppressions_or_baseline() {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_good(&dir.path().join("users.csv"));
    mkfifo(&dir.path().join("fifo"));
    std::fs::create_dir(dir.path().join("pack")).expect("mkdir");
    mkfifo(&dir.path().join("pack/rule.toml"));
    // 65 MB, sparse: past the cap without writing it.
    let huge = std::fs::File::create(dir.path().join("huge.json")).expect("create");
    huge.set_len(65 << 20).expect("set_len");
    let cases: [(&[&str], &str); 7] = [
        (&["--rules", "pack"], "FIFO"),
        (&["--config", "fifo"], "FIFO"),
        (&["--suppressions", "fifo"], "FIFO"),
        (&["--baseline", "fifo"], "FIFO"),
        (&["--suppressions", "/dev/zero"], "character device"),
        (&["--rules", "/dev/zero"], "rule"),
        (&["--baseline", "huge.json"], "larger than 64 MB"),
    ];
    for (options, expected) in cases {
        let mut args = vec!["check", "users.csv"];
        args.extend_from_slice(options);
        let (code, _, err) = run_bounded(dir.path(), &args);
        assert_eq!(code, 2, "{options:?}: {err}");
        assert!(err.contains(expected), "{options:?}: {err}");
    }
}

#[cfg(unix)]
#[test]
fn links_out_of_the_input_folder_are_not_followed_unless_asked() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().expect("tempdir");
    for sub in ["exports", "elsewhere"] {
        std::fs::create_dir(dir.path().join(sub)).expect("mkdir");
    }
    copy_good(&dir.path().join("exports/users.csv"));
    // Other people than users.csv's (the same people in two files are one object each, and
    // their findings would be told once).
    let other = std::fs::read_to_string(root().join(GOOD)).expect("read");
    std::fs::write(
        dir.path().join("elsewhere/other.csv"),
        other.replace("contoso", "fabrikam"),
    )
    .expect("write");
    symlink("../elsewhere/other.csv", dir.path().join("exports/out.csv")).expect("link");
    symlink("../elsewhere", dir.path().join("exports/outdir")).expect("link");
    symlink("users.csv", dir.path().join("exports/inside.csv")).expect("link");
    symlink("/proc", dir.path().join("exports/proc")).expect("link");
    symlink("/sys", dir.path().join("exports/sys")).expect("link");
    let (code, report, _) = json_bounded(dir.path(), &["exports"]);
    assert_eq!(code, 2, "links not followed are reported");
    for link in ["exports/out.csv", "exports/outdir"] {
        let found = about(&report, link);
        assert_eq!(found.len(), 1, "{link}: {found:?}");
        assert_eq!(found[0].0, "CSV008");
        assert!(found[0].1.contains("--follow-links"), "{}", found[0].1);
    }
    for link in ["exports/proc", "exports/sys"] {
        let found = about(&report, link);
        assert_eq!(found.len(), 1, "{link}: {found:?}");
        assert!(found[0].1.contains("kernel file system"), "{}", found[0].1);
    }
    assert!(
        about(&report, "exports/inside.csv").len() >= 5,
        "inside links are read"
    );
    assert!(!findings(&report)
        .iter()
        .any(|f| f["file"].as_str().is_some_and(|n| n.contains("other.csv"))));
    // Asked: the links out are followed, never those into /proc and /sys.
    let (_, report, _) = json_bounded(dir.path(), &["exports", "--follow-links"]);
    assert!(about(&report, "exports/out.csv").len() >= 5);
    // `outdir/other.csv` is the file `out.csv` leads to: read once, under the first path.
    assert!(about(&report, "exports/outdir/other.csv").is_empty());
    assert_eq!(about(&report, "exports/proc").len(), 1);
    // Nor when named as the input.
    let (code, report, _) = json_bounded(dir.path(), &["/proc", "/sys/kernel"]);
    assert_eq!(code, 2);
    assert_eq!(findings(&report).len(), 2, "{report}");
}

#[test]
fn jobs_are_clamped_with_a_note() {
    let (code, out, err) = run_bounded(
        &root(),
        &[
            "check",
            "--isolated",
            "--format",
            "json",
            "-j",
            "100000",
            GOOD,
        ],
    );
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("--jobs 100000 clamped to"), "{err}");
    let (_, one, _) = run_bounded(
        &root(),
        &["check", "--isolated", "--format", "json", "-j", "1", GOOD],
    );
    assert_eq!(out, one, "same output");
}

/// A file rewritten between discovery and reading, or between reading and locating (same
/// header, so only its stamp tells): a CSV008, never a clean or misplaced result.
#[test]
fn a_file_changed_while_read_or_before_locating_is_an_error() {
    use invlint::finding::{Anchor, Finding, Location, Severity};
    use invlint::inventory::{DiscoverOptions, Inventory};
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("users.csv");
    let original = std::fs::read_to_string(root().join(GOOD)).expect("read");
    std::fs::write(&path, &original).expect("write");
    let rules = invlint::rule::RuleSet::load(true, &[]).expect("rules");
    let open = || {
        Inventory::open(
            &[dir.path().to_path_buf()],
            &DiscoverOptions::default(),
            rules.decls(),
            &[],
        )
        .expect("open")
        .0
    };
    // Rows appended after the head was read.
    let mut inventory = open();
    std::fs::write(&path, format!("{original}\"x\",\"y\"\r\n")).expect("append");
    let read = inventory.read_rows(|file| vec![true; file.header().len()]);
    assert!(
        read.iter()
            .any(|f| &*f.code == "CSV008" && f.message.contains("changed")),
        "{read:?}"
    );
    assert_eq!(inventory.files_of("users").count(), 0);
    // Rewritten (same size, other rows) after reading, before locating.
    std::fs::write(&path, &original).expect("write");
    let mut inventory = open();
    let read = inventory.read_rows(|file| vec![true; file.header().len()]);
    assert!(read.iter().all(|f| &*f.code != "CSV008"), "{read:?}");
    std::fs::write(&path, original.replacen("Ken Myer", "Ken Mier", 1)).expect("rewrite");
    let file = &inventory.files[0];
    let mut found = vec![Finding::new(
        "XX001",
        Severity::Error,
        "test",
        Location::new(
            file.id,
            file.display.clone(),
            Anchor::Cell {
                record: 1,
                field: 0,
            },
        ),
    )];
    let about_locating = inventory.locate(&mut found, false);
    assert_eq!(found[0].location.span, None, "not placed on another row");
    assert_eq!(about_locating.len(), 1, "{about_locating:?}");
    assert_eq!(&*about_locating[0].code, "CSV008");
    assert!(about_locating[0].message.contains("changed"));
}

/// An export rewritten again and again while invlint reads it: each run gives either the
/// file's own result or exit 2 saying it changed, never a partial one.
#[test]
fn an_export_rewritten_during_runs_never_gives_a_clean_result() {
    let dir = tempfile::tempdir().expect("tempdir");
    let original = std::fs::read(root().join(GOOD)).expect("read");
    // Big enough that a run overlaps a rewrite now and then.
    let mut big = original.clone();
    let body_start = original
        .windows(2)
        .position(|w| w == b"\n\"")
        .and_then(|first| {
            original[first + 1..]
                .windows(2)
                .position(|w| w == b"\n\"")
                .map(|second| first + 1 + second + 1)
        })
        .expect("a data row");
    for _ in 0..300 {
        big.extend_from_slice(&original[body_start..]);
    }
    let path = dir.path().join("users.csv");
    std::fs::write(&path, &big).expect("write");
    let (stable_code, stable, _) = json_bounded(dir.path(), &["users.csv"]);
    assert_eq!(stable_code, 1);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (stop, path, big) = (stop.clone(), path.clone(), big.clone());
        std::thread::spawn(move || {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let _ = std::fs::write(&path, &big);
                std::thread::sleep(Duration::from_millis(5));
            }
        })
    };
    for _ in 0..8 {
        let (code, report, _) = json_bounded(dir.path(), &["users.csv"]);
        let changed = findings(&report).iter().any(|f| {
            f["code"] == "CSV008" && f["message"].as_str().is_some_and(|m| m.contains("changed"))
        });
        // A run that falls wholly inside the moment the writer has truncated the file and
        // not yet written it sees an empty file from start to end: a real state of the file,
        // which nothing can tell from an empty export. Any partial read is an error.
        let empty_throughout = code == 0
            && findings(&report).len() == 1
            && report["findings"][0]["message"] == "empty file: nothing was exported";
        assert!(
            (code == 2 && changed)
                || (code == 1 && report["findings"] == stable["findings"])
                || empty_throughout,
            "exit {code}: {:.1500}",
            report.to_string()
        );
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    writer.join().expect("writer");
}

#[cfg(unix)]
#[test]
fn a_configuration_that_exists_but_cannot_be_read_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    // The parent's configuration ignores everything: it must not be used instead.
    std::fs::write(dir.path().join("invlint.toml"), "fail-on = \"never\"\n").expect("config");
    for (name, make) in [
        ("dangling", "ln -s missing.toml invlint.toml"),
        ("fifo", "mkfifo invlint.toml"),
    ] {
        let sub = dir.path().join(name);
        std::fs::create_dir(&sub).expect("mkdir");
        copy_good(&sub.join("users.csv"));
        let status = Command::new("sh")
            .args(["-c", make])
            .current_dir(&sub)
            .status()
            .expect("sh");
        assert!(status.success());
        let (code, _, err) = run_bounded(&sub, &["check", "users.csv"]);
        assert_eq!(code, 2, "{name}: {err}");
        assert!(err.contains("configuration file"), "{name}: {err}");
    }
}

#[cfg(unix)]
#[test]
fn outputs_that_are_inputs_are_refused_before_writing() {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_good(&dir.path().join("users.csv"));
    std::os::unix::fs::symlink("users.csv", dir.path().join("link.json")).expect("link");
    std::fs::hard_link(dir.path().join("users.csv"), dir.path().join("hard.csv")).ok();
    std::fs::write(
        dir.path().join("s.toml"),
        "[[suppress]]\ncode = \"AD001\"\nkey = \"x\"\nreason = \"r\"\n",
    )
    .expect("suppressions");
    let before = std::fs::read(dir.path().join("users.csv")).expect("read");
    let suppressions_before = std::fs::read(dir.path().join("s.toml")).expect("read");
    let cases: [&[&str]; 6] = [
        &["check", "users.csv", "--output", "json=users.csv"],
        &["check", "users.csv", "--output", "sarif=link.json"],
        &["check", "users.csv", "--output", "json=./hard.csv"],
        &["check", "users.csv", "--write-baseline", "users.csv"],
        &[
            "check",
            "users.csv",
            "--suppressions",
            "s.toml",
            "--output",
            "json=s.toml",
        ],
        &["report", "users.csv", "--html", "link.json"],
    ];
    for args in cases {
        let (code, out, err) = run_bounded(dir.path(), args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains("refusing to write"), "{args:?}: {err}");
        assert!(out.is_empty(), "nothing written: {out:.300}");
    }
    assert_eq!(
        std::fs::read(dir.path().join("users.csv")).expect("read"),
        before
    );
    assert_eq!(
        std::fs::read(dir.path().join("s.toml")).expect("read"),
        suppressions_before
    );
}

/// An output is written beside its target and renamed: a link at the target is replaced,
/// not written through, and no temporary file is left.
#[cfg(unix)]
#[test]
fn outputs_replace_their_target_whole() {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_good(&dir.path().join("users.csv"));
    std::fs::write(dir.path().join("elsewhere.txt"), "keep me").expect("write");
    std::os::unix::fs::symlink("elsewhere.txt", dir.path().join("out.json")).expect("link");
    let (code, _, err) = run_bounded(
        dir.path(),
        &[
            "check",
            "--isolated",
            "users.csv",
            "--output",
            "json=out.json",
            "--write-baseline",
            "b.json",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("elsewhere.txt")).expect("read"),
        "keep me"
    );
    let meta = std::fs::symlink_metadata(dir.path().join("out.json")).expect("meta");
    assert!(meta.file_type().is_file());
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("out.json")).expect("read"))
            .expect("whole JSON");
    assert!(json["findings"].as_array().is_some_and(|f| f.len() >= 5));
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["b.json", "elsewhere.txt", "out.json", "users.csv"]);
}
