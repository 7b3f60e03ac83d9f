//! Hostile and broken input (issue 7): every case of `testdata/hostile/` and every generated
//! one has an exact outcome (codes and positions of its findings, exit code), and a good
//! users export checked beside it keeps exactly the findings it has alone. Also: no input is
//! ever modified, `--max-findings`, panic containment, and the fuzz regressions.
//!
//! Big inputs (50 MB cell, 100,000 columns, a folder thousands of levels deep) are generated
//! in temporary folders, never committed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use invlint::finding::{Anchor, Finding, Location, Severity};
use invlint::inventory::{DiscoverOptions, Inventory};
use invlint::rule::RuleSet;
use serde_json::Value;

use crate::common::{invlint_in, root};

/// The input format of the `check_folder` fuzz target, to replay its crash inputs.
#[path = "../fuzz/fuzz_targets/folder_input.rs"]
mod folder_input;

/// The good neighbour: the sample inventory's users export.
const GOOD: &str = "testdata/inventories/contoso/users.csv";

/// (code, line, column) of one finding.
type At = (String, u64, u64);

fn run_json(dir: &Path, args: &[&str]) -> (i32, Value, String) {
    let mut all = vec!["check", "--format", "json"];
    all.extend_from_slice(args);
    let (code, out, err) = invlint_in(dir, &all);
    let report = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out:.2000}{err}"));
    (code, report, err)
}

fn findings(report: &Value) -> &Vec<Value> {
    report["findings"].as_array().expect("findings")
}

/// The findings about files whose display path ends with `file`.
fn located(report: &Value, file: &str) -> Vec<At> {
    findings(report)
        .iter()
        .filter(|f| f["file"].as_str().is_some_and(|n| n.ends_with(file)))
        .map(|f| {
            (
                f["code"].as_str().unwrap_or("").to_string(),
                f["line"].as_u64().unwrap_or(0),
                f["column"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

fn at(code: &str, line: u64, column: u64) -> At {
    (code.to_string(), line, column)
}

/// Check `bad` (relative to `dir`) alone, then beside the good users export: its findings
/// are the same both times and the good export keeps the findings it has alone. Returns
/// the exit code alone, the findings of `bad`, and the exit code of the run with both.
fn hostile(dir: &Path, bad: &str) -> (i32, Vec<At>, i32) {
    let good = root().join(GOOD);
    let good = good.to_str().expect("utf-8 path");
    let (_, alone_good, _) = run_json(&root(), &[GOOD]);
    let good_findings = located(&alone_good, "users.csv");
    assert!(good_findings.len() >= 5, "{good_findings:?}");
    let (code, alone, _) = run_json(dir, &[bad]);
    let bad_findings = located(&alone, bad);
    assert_eq!(
        findings(&alone).len(),
        bad_findings.len(),
        "only `{bad}` is reported: {alone}"
    );
    let (both_code, both, _) = run_json(dir, &[bad, good]);
    assert_eq!(
        located(&both, bad),
        bad_findings,
        "{bad} beside the good export"
    );
    assert_eq!(
        located(&both, good),
        good_findings,
        "the run went on over the good export"
    );
    (code, bad_findings, both_code)
}

fn committed(name: &str) -> (i32, Vec<At>, i32) {
    hostile(&root().join("testdata/hostile"), name)
}

#[test]
fn binary_file_named_csv() {
    assert_eq!(
        committed("binary.csv"),
        (1, vec![at("CSV004", 1, 1)], 1),
        "not a CSV (error)"
    );
}

#[test]
fn empty_file_and_bom_only() {
    for name in ["empty.csv", "bom-only.csv"] {
        assert_eq!(committed(name), (0, vec![at("CSV009", 1, 1)], 1), "{name}");
    }
}

#[test]
fn nul_bytes_inside_utf8() {
    // Row 4's DisplayName (line 5, after `"sip:user4@contoso.com","pool01.contoso.com",`).
    assert_eq!(
        committed("nul-in-utf8.csv"),
        (0, vec![at("CSV003", 5, 46)], 1)
    );
}

#[test]
fn utf16_with_an_odd_byte_count() {
    // The lone last byte is decoded as U+FFFD on a line of its own: a one-field row. One
    // CSV003 (odd byte count), not a second one for that same U+FFFD.
    assert_eq!(
        committed("utf16-odd.csv"),
        (
            1,
            vec![at("CSV003", 1, 1), at("CSV001", 4, 1), at("AD001", 4, 1)],
            1
        )
    );
}

#[test]
fn bom_in_the_middle() {
    // Two exports concatenated: the second header is row 2, its first cell starts with a BOM.
    let (code, found, both) = committed("bom-middle.csv");
    assert_eq!(
        (code, found, both),
        (1, vec![at("AD001", 3, 1), at("CSV003", 3, 1)], 1)
    );
    let (_, report, _) = run_json(&root(), &["testdata/hostile/bom-middle.csv"]);
    let message = findings(&report)
        .iter()
        .find(|f| f["code"] == "CSV003")
        .and_then(|f| f["message"].as_str())
        .unwrap_or("")
        .to_string();
    assert!(message.contains("byte-order mark"), "{message}");
}

#[test]
fn mixed_crlf_lf_and_cr() {
    // Lines end CRLF, LF, lone CR, CRLF: the bad address on the fifth line is found there.
    assert_eq!(committed("mixed-eol.csv"), (1, vec![at("AD001", 5, 1)], 1));
}

#[test]
fn unterminated_quote_at_the_end() {
    // Row 2's DisplayName opens a quote that the truncated copy never closes.
    assert_eq!(
        committed("unterminated-quote.csv"),
        (1, vec![at("CSV001", 3, 42)], 1)
    );
}

/// A UTF-8 copy cut in the middle of `é` (`C3` then the end): read as Windows-1252 from
/// the bad byte's line, and the quote it leaves open. This input crashed invlint (an
/// underflow in the decoder, found by fuzzing `check_folder`).
#[test]
fn utf8_cut_inside_a_character() {
    assert_eq!(
        committed("truncated-utf8.csv"),
        (1, vec![at("CSV003", 3, 1), at("CSV001", 3, 46)], 1)
    );
}

const HEADER: &str = "\"SipAddress\",\"RegistrarPool\",\"DisplayName\"";

#[test]
fn fifty_megabyte_cell() {
    let dir = tempfile::tempdir().expect("tempdir");
    let big = "x".repeat(50 * 1024 * 1024);
    let text = format!(
        "{HEADER}\r\n\"sip:big@contoso.com\",\"pool01.contoso.com\",\"{big}\"\r\n\
         \"nobody.contoso.com\",\"pool01.contoso.com\",\"After\"\r\n"
    );
    std::fs::write(dir.path().join("big.csv"), text).expect("write");
    drop(big);
    // The row after the huge cell is read and located on its own line.
    assert_eq!(
        hostile(dir.path(), "big.csv"),
        (1, vec![at("AD001", 3, 1)], 1)
    );
}

#[test]
fn hundred_thousand_columns() {
    let dir = tempfile::tempdir().expect("tempdir");
    let columns = 100_000;
    let mut header: Vec<String> = (1..columns - 1).map(|i| format!("\"C{i}\"")).collect();
    header.push("\"RegistrarPool\"".into());
    header.push("\"SipAddress\"".into());
    let row = |sip: &str| {
        let mut cells = vec!["\"v\"".to_string(); columns - 2];
        cells.push("\"pool01.contoso.com\"".into());
        cells.push(format!("\"{sip}\""));
        cells.join(",")
    };
    let good_row = row("sip:a@contoso.com");
    let bad_row = row("nobody");
    let text = format!("{}\r\n{good_row}\r\n{bad_row}\r\n", header.join(","));
    std::fs::write(dir.path().join("wide.csv"), text).expect("write");
    // The bad SipAddress is the last cell of line 3.
    let column = bad_row.rfind("\"nobody\"").expect("cell") as u64 + 1;
    assert_eq!(
        hostile(dir.path(), "wide.csv"),
        (1, vec![at("AD001", 3, column)], 1)
    );
}

/// Run a shell script in `dir` (creating what Rust's absolute paths cannot reach).
fn sh(dir: &Path, script: &str) {
    let status = Command::new("sh")
        .arg("-c")
        .arg(script)
        .current_dir(dir)
        .status()
        .expect("sh runs");
    assert!(status.success(), "{script}");
}

/// A folder 10,000 levels deep (paths past PATH_MAX, 4096 bytes on Linux) with an export at
/// the bottom: where the path becomes too long, a located CSV008, and the run goes on.
#[cfg(unix)]
#[test]
fn folder_deeper_than_path_max() {
    let dir = tempfile::tempdir().expect("tempdir");
    // `mkdir -p` and `cd -P` (physical: a plain chdir) with relative paths of 200 levels at
    // a time stay under PATH_MAX.
    let chunk = vec!["d"; 200].join("/");
    sh(
        dir.path(),
        &format!(
            "mkdir deep && cd deep && i=0; while [ $i -lt 50 ]; do mkdir -p {chunk} && cd -P {chunk} \
             || exit 1; i=$((i+1)); done; printf 'SipAddress,RegistrarPool\\nx,y\\n' > users.csv"
        ),
    );
    let (code, report, _) = run_json(dir.path(), &["deep", &root().join(GOOD).to_string_lossy()]);
    // Remove the tree with rm, which handles paths longer than PATH_MAX.
    sh(dir.path(), "rm -rf deep");
    assert_eq!(code, 2, "an unreadable entry makes the run untrusted");
    let unreadable: Vec<&Value> = findings(&report)
        .iter()
        .filter(|f| f["code"] == "CSV008")
        .collect();
    assert_eq!(unreadable.len(), 1, "{unreadable:?}");
    let message = unreadable[0]["message"].as_str().unwrap_or("");
    assert!(message.contains("too long"), "{message:.300}");
    assert!(unreadable[0]["file"]
        .as_str()
        .is_some_and(|f| f.starts_with("deep/d/d/") && f.len() > 4000));
    assert!(located(&report, "contoso/users.csv").len() >= 5);
}

#[cfg(unix)]
#[test]
fn symlink_loop() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join("exports")).expect("mkdir");
    std::os::unix::fs::symlink(".", dir.path().join("exports/again")).expect("link");
    std::fs::copy(root().join(GOOD), dir.path().join("exports/users.csv")).expect("copy");
    let (code, report, _) = run_json(dir.path(), &["exports"]);
    assert_eq!(code, 2);
    assert_eq!(located(&report, "exports/again"), vec![at("CSV008", 1, 1)]);
    let message = findings(&report)
        .iter()
        .find(|f| f["code"] == "CSV008")
        .and_then(|f| f["message"].as_str())
        .unwrap_or("");
    assert!(message.contains("symbolic link loop"), "{message}");
    assert!(located(&report, "exports/users.csv").len() >= 5);
}

/// A file that cannot be opened: a Unix socket named `.csv` (open fails with ENXIO, without
/// blocking as a FIFO would), and a file without read permission when not running as root.
#[cfg(unix)]
#[test]
#[allow(clippy::print_stdout)]
fn unreadable_files() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let _socket =
        std::os::unix::net::UnixListener::bind(dir.path().join("socket.csv")).expect("socket");
    let (code, found, both) = hostile(dir.path(), "socket.csv");
    assert_eq!((code, found, both), (2, vec![at("CSV008", 1, 1)], 2));
    let locked = dir.path().join("locked.csv");
    std::fs::copy(root().join(GOOD), &locked).expect("copy");
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).expect("chmod");
    if std::fs::read(&locked).is_ok() {
        // Root reads whatever the mode says; the test prints why it skips this case.
        println!("skipped the chmod 000 case: this process can read a mode-000 file (root)");
    } else {
        assert_eq!(
            hostile(dir.path(), "locked.csv"),
            (2, vec![at("CSV008", 1, 1)], 2)
        );
    }
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o644)).expect("chmod");
}

fn users_rules() -> RuleSet {
    RuleSet::load(true, &[]).expect("shipped rules")
}

/// Discovery and heads first, then the file goes away (or changes) before its rows are read:
/// a CSV008 on that file, which no rule then reads.
#[test]
fn file_disappears_or_changes_between_discovery_and_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::copy(root().join(GOOD), dir.path().join("users.csv")).expect("copy");
    std::fs::copy(root().join(GOOD), dir.path().join("changed.csv")).expect("copy");
    let rules = users_rules();
    let (mut inventory, opened) = Inventory::open(
        &[dir.path().to_path_buf()],
        &DiscoverOptions::default(),
        rules.decls(),
        &[],
    )
    .expect("open");
    assert!(opened.iter().all(|f| &*f.code != "CSV008"), "{opened:?}");
    std::fs::remove_file(dir.path().join("users.csv")).expect("remove");
    // Same `#TYPE` line, another header: an export written again meanwhile.
    let original = std::fs::read_to_string(root().join(GOOD)).expect("read");
    let type_line = original.lines().next().expect("#TYPE line");
    std::fs::write(
        dir.path().join("changed.csv"),
        format!("{type_line}\r\n\"Other\",\"Header\"\r\n\"a\",\"b\"\r\n"),
    )
    .expect("rewrite");
    let read = inventory.read_rows(|file| vec![true; file.header().len()]);
    let messages: BTreeMap<String, String> = read
        .iter()
        .map(|f| {
            (
                f.location.file().to_string(),
                format!("{} {}", f.code, f.message),
            )
        })
        .collect();
    let gone = messages
        .iter()
        .find(|(file, _)| file.ends_with("/users.csv"))
        .map(|(_, m)| m.as_str())
        .unwrap_or("");
    assert!(gone.starts_with("CSV008 cannot read"), "{messages:?}");
    let changed = messages
        .iter()
        .find(|(file, _)| file.ends_with("/changed.csv"))
        .map(|(_, m)| m.as_str())
        .unwrap_or("");
    assert!(
        changed.contains("changed while it was being read"),
        "{messages:?}"
    );
    assert_eq!(
        inventory.files_of("users").count(),
        0,
        "failed files are left out"
    );
    // Locating a finding in a file that is gone leaves it unlocated, without a panic.
    let file = inventory
        .files
        .iter()
        .find(|f| f.display.ends_with("/users.csv"))
        .expect("users.csv");
    let mut findings = vec![Finding::new(
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
    assert!(inventory.locate(&mut findings, true).is_empty());
    assert_eq!(findings[0].location.span, None);
}

/// A file read whole that goes away before its findings are located: they stay unlocated,
/// and a CSV008 on the file says why.
#[test]
fn file_disappears_between_read_and_locate() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::copy(root().join(GOOD), dir.path().join("users.csv")).expect("copy");
    let rules = users_rules();
    let (mut inventory, _) = Inventory::open(
        &[dir.path().to_path_buf()],
        &DiscoverOptions::default(),
        rules.decls(),
        &[],
    )
    .expect("open");
    inventory.read_rows(|file| vec![true; file.header().len()]);
    std::fs::remove_file(dir.path().join("users.csv")).expect("remove");
    let file = &inventory.files[0];
    let mut findings = vec![Finding::new(
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
    let about_locating = inventory.locate(&mut findings, true);
    assert_eq!(findings[0].location.span, None);
    assert_eq!(about_locating.len(), 1, "{about_locating:?}");
    assert_eq!(&*about_locating[0].code, "CSV008");
    assert!(
        about_locating[0].message.contains("cannot read")
            && about_locating[0]
                .message
                .contains("without line and column"),
        "{}",
        about_locating[0].message
    );
}

/// A rule pack holding one rule whose `assert` is `assert`, next to a users export.
fn rule_run(assert: &str) -> (i32, String, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join("pack")).expect("mkdir");
    std::fs::write(
        dir.path().join("pack/big.toml"),
        format!(
            "code = \"XX030\"\ntitle = \"t\"\nseverity = \"error\"\ntable = \"users\"\n\
             assert = '{assert}'\nmessage = 'm'\nhelp = 'h'\n[doc]\nwhy = 'w'\n"
        ),
    )
    .expect("write");
    let good = root().join(GOOD);
    invlint_in(
        dir.path(),
        &[
            "check",
            &good.to_string_lossy(),
            "--no-default-rules",
            "--rules",
            "pack",
            "--format",
            "compact",
        ],
    )
}

#[test]
fn megabyte_expression_that_is_flat_runs() {
    // 1 MB of alternatives in one `in` list: flat, so it compiles and runs.
    let items: Vec<String> = (0..70_000).map(|i| format!("\"sip:u{i}@x.com\"")).collect();
    let assert = format!("SipAddress not in [{}]", items.join(", "));
    assert!(assert.len() > 1_000_000);
    let (code, out, err) = rule_run(&assert);
    assert_eq!(code, 0, "{err:.2000}");
    assert!(out.contains("0 errors"), "{out}");
}

#[test]
fn megabyte_chain_and_deep_parentheses_are_located_errors() {
    let chain = vec!["SipAddress == \"x\""; 55_000].join(" || ");
    assert!(chain.len() > 1_000_000);
    let parens = format!("{}true{}", "(".repeat(100_000), ")".repeat(100_000));
    for (name, assert) in [("chain", chain), ("parens", parens)] {
        let (code, _, err) = rule_run(&assert);
        assert_eq!(code, 2, "{name}");
        assert!(err.contains("nested too deeply"), "{name}: {err:.500}");
        assert!(err.contains("big.toml:5:"), "{name} is located: {err:.500}");
    }
}

/// TOML nested 100,000 levels deep: the TOML parser's recursion limit, as a located error.
#[test]
fn deeply_nested_toml_is_a_located_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join("pack")).expect("mkdir");
    let nested = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    std::fs::write(
        dir.path().join("pack/deep.toml"),
        format!("code = \"XX032\"\nx = {nested}\n"),
    )
    .expect("write");
    let good = root().join(GOOD);
    let (code, _, err) = invlint_in(
        dir.path(),
        &["check", &good.to_string_lossy(), "--rules", "pack"],
    );
    assert_eq!(code, 2);
    assert!(err.contains("recursion"), "{err:.300}");
    assert!(err.contains("pack/deep.toml:2:"), "{err:.300}");
}

#[test]
fn huge_and_catastrophic_regexes() {
    // Too big for the regex size limit: a located rule error, not a panic or a hang.
    let nested = "SipAddress =~ \"((((a{50}){50}){50}){50})\"";
    let (code, _, err) = rule_run(nested);
    assert_eq!(code, 2, "{err:.500}");
    assert!(err.contains("regular expression too large"), "{err:.500}");
    assert!(err.contains("big.toml:5:"), "{err:.500}");
    // A backtracking bomb elsewhere is linear here: it runs over a long cell at once.
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join("pack")).expect("mkdir");
    std::fs::write(
        dir.path().join("pack/bomb.toml"),
        "code = \"XX031\"\ntitle = \"t\"\nseverity = \"error\"\ntable = \"users\"\n\
         assert = 'DisplayName !~ \"^(a+)+$\"'\nat = 'DisplayName'\nmessage = 'm'\nhelp = 'h'\n\
         [doc]\nwhy = 'w'\n",
    )
    .expect("rule");
    let long = "a".repeat(100_000);
    std::fs::write(
        dir.path().join("users.csv"),
        format!(
            "{HEADER}\r\n\"sip:a@b.com\",\"p\",\"{long}!\"\r\n\"sip:b@b.com\",\"p\",\"{long}\"\r\n"
        ),
    )
    .expect("users");
    let (code, report, _) = run_json(
        dir.path(),
        &["users.csv", "--no-default-rules", "--rules", "pack"],
    );
    assert_eq!(code, 1);
    assert_eq!(located(&report, "users.csv"), vec![at("XX031", 3, 19)]);
}

/// (content, mtime) of every file under `dir`.
fn fingerprint(dir: &Path) -> BTreeMap<PathBuf, (u64, std::time::SystemTime, Vec<u8>)> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read_dir") {
            let path = entry.expect("entry").path();
            let meta = std::fs::symlink_metadata(&path).expect("metadata");
            if meta.is_dir() {
                stack.push(path);
            } else if meta.is_file() {
                let bytes = std::fs::read(&path).expect("read");
                // A cheap content hash plus the bytes themselves: equality is exact.
                let hash = bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, &b| {
                    (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
                });
                out.insert(path, (hash, meta.modified().expect("mtime"), bytes));
            }
        }
    }
    out
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// No run changes an input: content and modification time of every file are the same
/// after a run in every format.
#[test]
fn nothing_is_modified() {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_tree(
        &root().join("testdata/inventories"),
        &dir.path().join("inventories"),
    );
    copy_tree(
        &root().join("testdata/hostile"),
        &dir.path().join("hostile"),
    );
    let before = fingerprint(dir.path());
    assert!(before.len() > 40, "{}", before.len());
    for format in ["compact", "json", "human"] {
        let (code, out, _) = invlint_in(
            dir.path(),
            &["check", ".", "--format", format, "--color", "never"],
        );
        assert_eq!(code, 1, "{format}");
        assert!(out.len() > 1000, "{format}");
    }
    assert_eq!(fingerprint(dir.path()), before);
}

/// A users export of `n` rows whose SIP addresses all fail AD001.
fn all_bad_users(dir: &Path, n: usize) {
    let mut text = format!("{HEADER}\r\n");
    for i in 0..n {
        text.push_str(&format!(
            "\"user{i}\",\"pool01.contoso.com\",\"User {i}\"\r\n"
        ));
    }
    std::fs::write(dir.join("users.csv"), text).expect("write");
}

#[test]
fn max_findings_keeps_the_first_and_counts_the_rest() {
    let dir = tempfile::tempdir().expect("tempdir");
    all_bad_users(dir.path(), 5_000);
    // `a.csv` sorts first and has one info finding; the errors come after it.
    std::fs::write(dir.path().join("a.csv"), "").expect("empty");
    let (code, full, _) = run_json(dir.path(), &["."]);
    assert_eq!(code, 1);
    assert_eq!(findings(&full).len(), 5_001);
    assert_eq!(
        full["summary"].get("truncated"),
        None,
        "additive: absent unless truncated"
    );
    let (code, limited, _) = run_json(dir.path(), &[".", "--max-findings", "10"]);
    assert_eq!(code, 1);
    assert_eq!(
        findings(&limited)[..],
        findings(&full)[..10],
        "the first 10, in order"
    );
    assert_eq!(limited["summary"]["truncated"], 4_991);
    assert_eq!(limited["summary"]["error"], 5_000);
    assert_eq!(limited["summary"]["info"], 1);
    // Only the info is shown, but the exit code still sees the 5,000 errors.
    for format in ["compact", "human"] {
        let (code, out, _) = invlint_in(
            dir.path(),
            &[
                "check",
                ".",
                "--max-findings",
                "1",
                "--format",
                format,
                "--color",
                "never",
            ],
        );
        assert_eq!(code, 1, "{format}");
        assert_eq!(out.matches("CSV009").count(), 1, "{format}: {out}");
        assert!(!out.contains("AD001"), "{format}: {out}");
        assert!(
            out.contains("5000 more findings not shown (--max-findings 1)"),
            "{format}: {out}"
        );
        assert!(out.contains("5000 errors"), "{format}: {out}");
    }
    // An omitted CSV008 still makes the run untrusted.
    let (code, limited, _) = run_json(dir.path(), &[".", "missing.csv", "--max-findings", "0"]);
    assert_eq!(code, 2);
    assert!(findings(&limited).is_empty());
    assert_eq!(limited["summary"]["truncated"], 5_002);
}

/// Ragged rows come from the reading pass, in batches: counted the same way.
#[test]
fn max_findings_counts_ragged_rows_past_one_batch() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rows = invlint::inventory::BATCH + 1_000;
    let mut text = format!("{HEADER}\r\n");
    for i in 0..rows {
        text.push_str(&format!(
            "\"sip:u{i}@contoso.com\",\"pool01.contoso.com\"\r\n"
        ));
    }
    std::fs::write(dir.path().join("users.csv"), text).expect("write");
    let (code, full, _) = run_json(dir.path(), &["."]);
    assert_eq!(code, 1);
    assert_eq!(located(&full, "users.csv").len(), rows);
    let (code, limited, _) = run_json(dir.path(), &[".", "--max-findings", "5"]);
    assert_eq!(code, 1);
    assert_eq!(findings(&limited)[..], findings(&full)[..5]);
    assert_eq!(limited["summary"]["truncated"], rows - 5);
    assert_eq!(limited["summary"]["error"], rows);
}

/// Runs the debug binary with a panic injected at `point` for `subject` (see `src/fault.rs`).
/// Release builds compile the fault points out, so these tests exist only in debug builds.
#[cfg(debug_assertions)]
fn with_panic(dir: &Path, point: &str, args: &[&str]) -> (i32, Value, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_invlint"))
        .args(["check", "--format", "json"])
        .args(args)
        .current_dir(dir)
        .env("INVLINT_TEST_PANIC", point)
        .output()
        .expect("invlint runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let report = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout:.2000}"));
    (
        out.status.code().unwrap_or(-1),
        report,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A panic while reading a file, locating in it or running a rule is reported as INV001 on
/// that file, the rest of the run goes on, and the exit code is 2. The panic message stays on
/// stderr (the default hook: it names the source line for a bug report), stdout stays valid.
#[cfg(debug_assertions)]
#[test]
fn panics_are_contained_per_file_and_rule() {
    let contoso = root().join("testdata/inventories/contoso");
    let (_, normal, _) = run_json(&contoso, &["."]);
    let others = |report: &Value| -> BTreeSet<String> {
        findings(report)
            .iter()
            .filter(|f| f["file"] != "./users.csv")
            .map(|f| {
                // The primary location only: related cells in users.csv may lose their span.
                format!(
                    "{} {} {} {}",
                    f["file"], f["line"], f["column"], f["message"]
                )
            })
            .collect()
    };
    for point in [
        "open:users.csv",
        "read:users.csv",
        "locate:users.csv",
        "rule:AD001",
    ] {
        let (code, report, err) = with_panic(&contoso, point, &["."]);
        assert_eq!(code, 2, "{point}");
        assert!(
            err.contains("panicked") && err.contains(point),
            "{point}: {err}"
        );
        let internal: Vec<&Value> = findings(&report)
            .iter()
            .filter(|f| f["code"] == "INV001")
            .collect();
        assert_eq!(internal.len(), 1, "{point}: {internal:?}");
        assert_eq!(internal[0]["file"], "./users.csv", "{point}");
        let message = internal[0]["message"].as_str().unwrap_or("");
        assert!(message.contains("internal error"), "{point}: {message}");
        if point.starts_with("rule") {
            assert!(message.contains("AD001 on `./users.csv`"), "{message}");
            // The other rules still report on users.csv.
            assert!(located(&report, "users.csv").iter().any(|f| f.0 == "AD004"));
        }
        if point.starts_with("locate") {
            // Its findings are all still there, unlocated.
            assert_eq!(
                located(&report, "users.csv").len(),
                located(&normal, "users.csv").len() + 1
            );
        }
        // Findings on other files are untouched, except the cross-table rules that read
        // users.csv when its rows were not read.
        let missing: Vec<String> = others(&normal)
            .difference(&others(&report))
            .cloned()
            .collect();
        if point == "locate:users.csv" || point == "rule:AD001" {
            assert!(missing.is_empty(), "{point}: {missing:?}");
        }
        assert!(findings(&report).len() > 10, "{point}: the run went on");
    }
    // A panic building a key index: the rules that look it up do not run (listed as skipped),
    // each file of that table gets INV001, every other rule's findings are unchanged.
    let (code, report, _) = with_panic(&contoso, "index:registrars", &["."]);
    assert_eq!(code, 2);
    let skipped: BTreeSet<&str> = report["summary"]["skipped"]
        .as_array()
        .expect("skipped rules")
        .iter()
        .filter(|s| s["reason"].as_str().is_some_and(|r| r.contains("indexing")))
        .filter_map(|s| s["code"].as_str())
        .collect();
    assert!(
        skipped.contains("PC001") && skipped.contains("TP001") && !skipped.contains("AD001"),
        "{skipped:?}"
    );
    let internal: Vec<&Value> = findings(&report)
        .iter()
        .filter(|f| f["code"] == "INV001")
        .collect();
    assert_eq!(internal.len(), 1, "{internal:?}");
    assert_eq!(internal[0]["file"], "./Lync_Services_Registrar.csv");
    assert!(internal[0]["message"]
        .as_str()
        .is_some_and(|m| m.contains("`registrars`") && m.contains("PC001")));
    let unaffected = |report: &Value| -> Vec<Value> {
        findings(report)
            .iter()
            .filter(|f| {
                f["code"] != "INV001" && !skipped.contains(f["code"].as_str().unwrap_or(""))
            })
            .cloned()
            .collect()
    };
    assert!(unaffected(&normal).len() > 10);
    assert_eq!(unaffected(&report), unaffected(&normal));
    // A panic resolving the shared lookups (joins): the lazy lookups give the same findings.
    let (code, report, err) = with_panic(&contoso, "join:all", &["."]);
    assert!(err.contains("join:all"), "{err}");
    assert_eq!((code, findings(&report)), (1, findings(&normal)));
    // Selecting rules does not hide a crash of one of them.
    let (code, report, _) = with_panic(&contoso, "rule:AD001", &[".", "--select", "AD"]);
    assert_eq!(code, 2);
    assert!(
        findings(&report).iter().any(|f| f["code"] == "INV001"),
        "{report}"
    );
    // A panic compiling one rule: reported on that rule's file, the other rules run.
    let (code, report, _) = with_panic(&contoso, "compile:AD001", &["."]);
    assert_eq!(code, 2);
    let internal: Vec<&Value> = findings(&report)
        .iter()
        .filter(|f| f["code"] == "INV001")
        .collect();
    assert_eq!(internal.len(), 1, "{internal:?}");
    assert!(
        internal[0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("internal error while compiling AD001"),
        "{}",
        internal[0]
    );
    assert!(internal[0]["file"]
        .as_str()
        .unwrap_or("")
        .ends_with("sip-address-malformed.toml"));
    let located_codes: BTreeSet<String> = located(&report, "users.csv")
        .into_iter()
        .map(|f| f.0)
        .collect();
    assert!(!located_codes.contains("AD001") && located_codes.contains("AD004"));
}

/// The value of a raw CSV field: quotes removed and `""` collapsed for a quoted field.
fn unquote(raw: &str) -> String {
    match raw.strip_prefix('"') {
        Some(inner) => {
            let mut out = String::new();
            let mut chars = inner.chars().peekable();
            while let Some(c) = chars.next() {
                if c == '"' {
                    if chars.peek() == Some(&'"') {
                        chars.next();
                        out.push('"');
                    } else {
                        // After the closing quote the parser keeps the rest as is.
                        out.extend(chars.by_ref());
                    }
                } else {
                    out.push(c);
                }
            }
            out
        }
        None => raw.to_string(),
    }
}

/// Every crash input the fuzz targets found (`testdata/fuzz-regressions/<target>/`) runs
/// through what its target checks: no panic, spans in bounds, located fields equal to the
/// values read.
#[test]
fn fuzz_regressions() {
    let base = root().join("testdata/fuzz-regressions");
    let mut count = 0;
    let rules = users_rules();
    for entry in std::fs::read_dir(base.join("decode_parse")).expect("folder") {
        let bytes = std::fs::read(entry.expect("entry").path()).expect("read");
        count += 1;
        let (mut inventory, _) =
            Inventory::from_memory(vec![("f.csv".into(), None, bytes)], rules.decls())
                .expect("inventory");
        inventory.read_rows(|file| vec![true; file.header().len()]);
        let file = &inventory.files[0];
        let Some(head) = file.head.as_ref() else {
            continue;
        };
        let plan = invlint::inventory::locate::ScanPlan {
            encoding: file.rows.encoding.unwrap_or(head.encoding),
            type_line_len: head.type_line_len,
            delimiter: head.delimiter,
            split: &file.rows.split,
        };
        let wanted: BTreeSet<u64> = (0..=file.rows.count as u64).collect();
        let scanned = invlint::inventory::locate::scan_records(
            &file.source,
            plan,
            &wanted,
            &file.rows.starts,
        )
        .expect("scan");
        for (&record, text) in scanned.iter().filter(|(r, _)| **r > 0) {
            for (field, range) in text.fields.iter().enumerate() {
                let raw = text.text.get(range.clone()).expect("in bounds");
                if let Some(value) = file.rows.cell(record as usize - 1, field) {
                    assert_eq!(unquote(raw), value, "record {record} field {field}");
                }
            }
        }
    }
    for target in ["rules", "check_folder"] {
        let Ok(entries) = std::fs::read_dir(base.join(target)) else {
            continue;
        };
        for entry in entries {
            let bytes = std::fs::read(entry.expect("entry").path()).expect("read");
            count += 1;
            if target == "rules" {
                let text = String::from_utf8_lossy(&bytes);
                let _ = RuleSet::load_texts(false, &[("fuzz", "rule.toml", &text)]);
            } else {
                // Files separated as the target does.
                let dir = tempfile::tempdir().expect("tempdir");
                folder_input::write_files(dir.path(), &bytes).expect("write");
                let (_, report, _) = run_json(dir.path(), &["."]);
                assert!(
                    findings(&report).iter().all(|f| f["code"] != "INV001"),
                    "{report}"
                );
            }
        }
    }
    assert!(count >= 2, "{count}");
}
