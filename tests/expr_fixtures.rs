//! Snapshot and round-trip tests over `testdata/expr/*.txt`: one expression
//! per file; files named `err_*` must fail to parse, all others must parse.

use std::path::{Path, PathBuf};

use invlint::expr::ast::strip_spans;
use invlint::expr::parser::parse;

fn is_err_fixture(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with("err_"))
}

fn fixture_paths() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/expr");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("fixture directory")
        .map(|entry| entry.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    paths.sort();
    paths
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).expect("fixture is readable UTF-8")
}

#[test]
fn fixtures() {
    insta::glob!("../testdata", "expr/*.txt", |path| {
        let src = read(path);
        let result = parse(&src);
        if is_err_fixture(path) {
            assert!(result.is_err(), "{}: parsed: {result:?}", path.display());
        } else {
            assert!(result.is_ok(), "{}: {result:?}", path.display());
        }
        insta::with_settings!({ description => src.as_str(), omit_expression => true }, {
            insta::assert_debug_snapshot!(result);
        });
    });
}

#[test]
fn ok_fixtures_round_trip() {
    for path in fixture_paths().iter().filter(|p| !is_err_fixture(p)) {
        let src = read(path);
        let first = parse(&src).expect("ok fixture parses");
        let printed = first.to_string();
        match parse(&printed) {
            Ok(second) => assert_eq!(
                strip_spans(&second),
                strip_spans(&first),
                "{}: printed as {printed:?}",
                path.display()
            ),
            Err(e) => panic!("{}: printed as {printed:?}: {e:?}", path.display()),
        }
        // Printing is canonical: printing the re-parsed tree changes nothing.
        assert_eq!(parse(&printed).map(|e| e.to_string()), Ok(printed));
    }
}

#[test]
fn enough_fixtures() {
    let paths = fixture_paths();
    let errors = paths.iter().filter(|p| is_err_fixture(p)).count();
    assert!(
        paths.len() - errors >= 25,
        "ok fixtures: {}",
        paths.len() - errors
    );
    assert!(errors >= 20, "err fixtures: {errors}");
}
