//! Arbitrary bytes as one export file: decoding, head and `#TYPE` line, recognition, row
//! reading and cell location. Nothing may panic; every located span and excerpt must be in
//! bounds and on character boundaries; a located cell's source text must unquote to the value
//! the row reader kept.
#![no_main]

use std::collections::BTreeSet;
use std::sync::OnceLock;

use invlint::finding::{Anchor, Finding, Location, Severity};
use invlint::inventory::decl::TableDecl;
use invlint::inventory::locate::{scan_records, ScanPlan};
use invlint::inventory::Inventory;
use invlint::rule::RuleSet;
use libfuzzer_sys::fuzz_target;

/// Records and fields looked at per input: enough to cover every code path, bounded so that
/// one input stays fast.
const RECORDS: u64 = 24;
const FIELDS: usize = 24;

fn decls() -> &'static Vec<TableDecl> {
    static DECLS: OnceLock<Vec<TableDecl>> = OnceLock::new();
    DECLS.get_or_init(|| {
        RuleSet::load(false, &[])
            .expect("embedded declarations")
            .decls()
    })
}

/// The value of a raw CSV field as the CSV parser reads it (quotes removed, `""` collapsed,
/// text after a closing quote kept).
fn unquote(parser: &mut csv_core::Reader, raw: &str) -> String {
    // Unquoted fields are taken literally (and the parser would strip a leading BOM).
    if !raw.starts_with('"') {
        return raw.to_string();
    }
    parser.reset();
    let mut out = vec![0u8; raw.len() + 1];
    let (mut input, mut written) = (raw.as_bytes(), 0);
    loop {
        let (result, read, n) = parser.read_field(input, &mut out[written..]);
        input = &input[read..];
        written += n;
        match result {
            csv_core::ReadFieldResult::InputEmpty if input.is_empty() => {
                let (_, _, n) = parser.read_field(&[], &mut out[written..]);
                written += n;
                break;
            }
            csv_core::ReadFieldResult::InputEmpty | csv_core::ReadFieldResult::OutputFull => {}
            _ => break,
        }
    }
    String::from_utf8_lossy(&out[..written]).into_owned()
}

fuzz_target!(|data: &[u8]| {
    let (mut inventory, _) =
        Inventory::from_memory(vec![("f.csv".into(), None, data.to_vec())], decls().clone())
            .expect("in-memory inventory");
    inventory.read_rows(|file| vec![true; file.header().len()]);
    let file = &inventory.files[0];
    let Some(head) = file.head.as_ref() else {
        return;
    };
    let rows = &file.rows;
    // Every stored cell can be read back.
    for row in 0..rows.count.min(RECORDS as usize) {
        for field in 0..head.header.len().min(FIELDS) {
            let _ = rows.cell(row, field);
        }
    }
    // Locate the header, the first rows, one record past the end and one field past the
    // end of each.
    let last = (rows.count as u64 + 1).min(RECORDS);
    let mut findings = Vec::new();
    for record in 0..=last {
        let mut anchors = vec![Anchor::Record { record }];
        anchors.extend(
            (0..=head.header.len().min(FIELDS)).map(|field| Anchor::Cell { record, field }),
        );
        for anchor in anchors {
            findings.push(Finding::new(
                "FZ001",
                Severity::Error,
                "fuzz",
                Location::new(file.id, file.display.clone(), anchor),
            ));
        }
    }
    inventory.locate(&mut findings, true);
    for f in &findings {
        if let Some(s) = f.location.span {
            assert!(s.line >= 1 && s.column >= 1, "{s:?}");
            assert!((s.end_line, s.end_column) >= (s.line, s.column), "{s:?}");
        }
        if let Some(e) = &f.location.excerpt {
            assert!(e.start <= e.end && e.end <= e.text.len(), "{e:?}");
            assert!(
                e.text.is_char_boundary(e.start) && e.text.is_char_boundary(e.end),
                "{e:?}"
            );
            assert!(e.first_line >= 1);
        }
    }
    // The scanner's fields agree with what the reader kept, when the whole file was read
    // in one encoding (a Windows-1252 fallback decided past the head changes the text).
    if rows.fallback_from.is_some() != head.fallback_from.is_some() {
        return;
    }
    let plan = ScanPlan {
        encoding: rows.encoding.unwrap_or(head.encoding),
        type_line_len: head.type_line_len,
        delimiter: head.delimiter,
        split: &rows.split,
    };
    let wanted: BTreeSet<u64> = (1..=last.min(rows.count as u64)).collect();
    let Ok(scanned) = scan_records(&file.source, plan, &wanted, &file.rows.starts) else {
        return;
    };
    let mut parser = csv_core::ReaderBuilder::new()
        .delimiter(head.delimiter)
        .build();
    for (&record, text) in &scanned {
        for (field, range) in text.fields.iter().enumerate().take(FIELDS) {
            assert!(range.start <= range.end && range.end <= text.text.len());
            assert!(
                text.text.is_char_boundary(range.start) && text.text.is_char_boundary(range.end)
            );
            let Some(value) = rows.cell(record as usize - 1, field) else {
                continue;
            };
            let raw = unquote(&mut parser, &text.text[range.clone()]);
            assert_eq!(raw, value, "record {record} field {field}");
        }
    }
});
