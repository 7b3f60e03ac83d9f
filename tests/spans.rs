//! Property: for random CSVs written by a CSV writer (any delimiter, quoting style and line
//! end, cells with quotes, delimiters, newlines and non-ASCII text), every located cell's
//! line/column span covers exactly the raw cell that holds the value.

use std::collections::BTreeSet;

use invlint::finding::Anchor;
use invlint::inventory::locate::{resolve, scan_text};
use proptest::prelude::*;

/// Byte offset of a 1-based line and character column, counting CRLF, LF and CR as line ends.
fn offset_of(text: &str, line: u64, column: u64) -> usize {
    let bytes = text.as_bytes();
    let mut current = 1;
    let mut start = 0;
    let mut i = 0;
    while current < line && i < bytes.len() {
        if bytes[i] == b'\n' || (bytes[i] == b'\r' && bytes.get(i + 1) != Some(&b'\n')) {
            current += 1;
            start = i + 1;
        }
        i += 1;
    }
    let rest = &text[start..];
    start
        + rest
            .char_indices()
            .nth(column as usize - 1)
            .map_or(rest.len(), |(j, _)| j)
}

fn unquote(raw: &str) -> String {
    match raw.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
        Some(inner) => inner.replace("\"\"", "\""),
        None => raw.to_string(),
    }
}

fn cell() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[a-zé€ ,;|\t\"\r\n]{0,8}").expect("regex")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    #[test]
    fn located_cells_hold_their_values(
        rows in proptest::collection::vec(proptest::collection::vec(cell(), 3), 1..6),
        delimiter in prop_oneof![Just(b','), Just(b';'), Just(b'\t'), Just(b'|')],
        always in any::<bool>(),
        crlf in any::<bool>(),
    ) {
        let mut writer = csv::WriterBuilder::new()
            .delimiter(delimiter)
            .quote_style(if always { csv::QuoteStyle::Always } else { csv::QuoteStyle::Necessary })
            .terminator(if crlf { csv::Terminator::CRLF } else { csv::Terminator::Any(b'\n') })
            .from_writer(Vec::new());
        writer.write_record(["A", "B", "C"]).expect("header");
        // A record of one empty field is an empty line, which CSV readers skip: avoid it.
        let rows: Vec<Vec<String>> = rows.into_iter().filter(|r| r.iter().any(|c| !c.is_empty()) || always).collect();
        for row in &rows {
            writer.write_record(row).expect("row");
        }
        let text = String::from_utf8(writer.into_inner().expect("flush")).expect("utf-8");
        let wanted: BTreeSet<u64> = (1..=rows.len() as u64).collect();
        let records = scan_text(text.as_bytes(), delimiter, 1, &wanted).expect("scan");
        for (r, row) in rows.iter().enumerate() {
            let record = &records[&(r as u64 + 1)];
            for (field, value) in row.iter().enumerate() {
                let anchor = Anchor::Cell { record: r as u64 + 1, field };
                let (span, _) = resolve(record, anchor, false).expect("resolved");
                let start = offset_of(&text, span.line, span.column);
                let end = offset_of(&text, span.end_line, span.end_column);
                prop_assert_eq!(unquote(&text[start..end]), value.clone(), "row {} field {} in {:?}", r + 1, field, text);
            }
        }
    }
}

/// End to end: a rule that fires on every row points at the reported value, in a UTF-16
/// file with a `#TYPE` line and CRLF.
#[test]
fn rule_findings_point_at_their_values_in_utf16() {
    let dir = tempfile::tempdir().expect("tempdir");
    let csv = "#TYPE Microsoft.Rtc.Management.ADConnect.Schema.OCSADUser\r\n\"SipAddress\",\"RegistrarPool\",\"LineURI\"\r\n\"sip:é@x.com\",\"pool\",\"tel:1\"\r\n\"sip:b@x.com\",\"po\"\"ol\",\"a\r\nb\"\r\n\"sip:c@x.com\",\"\",\"tel:+\"\r\n";
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(csv.encode_utf16().flat_map(u16::to_le_bytes));
    std::fs::write(dir.path().join("u.csv"), &bytes).expect("write");
    std::fs::create_dir(dir.path().join("pack")).expect("mkdir");
    std::fs::write(
        dir.path().join("pack/every-row.toml"),
        "code = 'XX020'\ntitle = 'x'\nseverity = 'error'\ntable = 'users'\nassert = 'false'\nat = 'LineURI'\nmessage = '{LineURI}'\nhelp = 'x'\n[doc]\nwhy = 'x'\n",
    )
    .expect("write rule");
    let (_, out, err) = crate::common::invlint_in(
        dir.path(),
        &[
            "check",
            "u.csv",
            "--format",
            "json",
            "--no-default-rules",
            "--rules",
            "pack",
        ],
    );
    let json: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out} {err}"));
    let findings = json["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 3, "{out}");
    for f in findings {
        let start = offset_of(
            csv,
            f["line"].as_u64().expect("line"),
            f["column"].as_u64().expect("column"),
        );
        let end = offset_of(
            csv,
            f["end_line"].as_u64().expect("end"),
            f["end_column"].as_u64().expect("end col"),
        );
        assert_eq!(
            unquote(&csv[start..end]),
            f["value"].as_str().expect("value"),
            "{f}"
        );
    }
}
