//! Unit tests of reading rows: one part against many, columns, record starts.

use std::collections::{BTreeMap, BTreeSet};

use super::column::{Column, DICTIONARY_MAX};
use super::parts::read_in_parts;
use super::pass::{has_replaced_letter, looks_like_type_name};
use super::*;
use crate::inventory::split::find_boundaries;

#[test]
fn type_names_are_recognised() {
    for yes in [
        "System.Object[]",
        "System.String[]",
        "System.Collections.Generic.List`1[System.String]",
        "Microsoft.Rtc.Management.ADConnect.Collections.SipAddressCollection",
        "Deserialized.System.Object[]",
    ] {
        assert!(looks_like_type_name(yes.as_bytes()), "{yes}");
    }
    for no in [
        "System",
        "Microsoft Lync",
        "System.",
        "sip:a@b.c",
        "Microsoft.com",
        "",
    ] {
        assert!(!looks_like_type_name(no.as_bytes()), "{no}");
    }
}

#[test]
fn question_marks_between_letters() {
    assert!(has_replaced_letter("H?l?ne Dupr?"));
    assert!(has_replaced_letter("M?ller"));
    assert!(!has_replaced_letter("Why?"));
    assert!(!has_replaced_letter("Dupr?"));
    assert!(!has_replaced_letter("https://x/a.aspx?id=1"));
    assert!(!has_replaced_letter("?"));
}

#[test]
fn column_stores_cells_in_order() {
    let mut c = Column::default();
    for cell in ["a", "", "ccc", "a"] {
        assert!(c.push(cell));
    }
    assert_eq!(
        (c.get(0), c.get(1), c.get(2), c.get(3), c.get(4)),
        ("a", "", "ccc", "a", "")
    );
    assert_eq!((c.len(), c.text_bytes()), (4, 5));
    let (codes, values) = c.dictionary().expect("few values: a dictionary");
    assert_eq!(codes, &[0, 1, 2, 0]);
    assert_eq!(values.collect::<Vec<_>>(), ["a", "", "ccc"]);
}

fn head_of(bytes: &[u8]) -> Head {
    super::super::head::read_head(bytes, Default::default()).expect("a head")
}

/// Everything a reading pass produces, comparable.
fn summary(rows: &Rows) -> (usize, Vec<Vec<String>>, Vec<ReadIssue>, Vec<u64>, bool) {
    let cells = rows
        .columns
        .iter()
        .flatten()
        .map(|c| (0..c.len()).map(|r| c.get(r).to_string()).collect())
        .collect();
    let wanted: Vec<u64> = (0..=rows.count as u64).collect();
    let starts = rows.starts.positions(&wanted).unwrap_or_default();
    (
        rows.count,
        cells,
        rows.issues.clone(),
        starts,
        rows.replaced,
    )
}

/// Read `bytes` in one part and, splitting at every possible place, in two; then in many
/// parts, with boundaries every few bytes. Returns how many splits were read in parts.
fn same_in_parts(bytes: &[u8]) -> usize {
    let source = Source::Memory(std::sync::Arc::from(bytes));
    let head = head_of(bytes);
    let keep = vec![true; head.header.len()];
    let whole = read_rows(&source, &head, &keep).expect("one part");
    let every: BTreeSet<u64> = (0..=whole.count as u64).collect();
    let scan = super::super::locate::scan_records;
    fn plan<'s>(head: &Head, split: &'s [(Boundary, usize)]) -> ScanPlan<'s> {
        ScanPlan {
            encoding: head.encoding,
            type_line_len: head.type_line_len,
            delimiter: head.delimiter,
            split,
        }
    }
    let one = scan(&source, plan(&head, &[]), &every, &whole.starts).expect("scan");
    assert_eq!(one.len(), every.len());
    let singles = (0..bytes.len() as u64).map(|from| vec![from]);
    let many = [3u64, 7, 16, 41].into_iter().flat_map(|step| {
        (0..step).map(move |shift| (shift..bytes.len() as u64).step_by(step as usize).collect())
    });
    let mut split = 0;
    for froms in singles.chain(many) {
        let froms: Vec<u64> = froms;
        let boundaries =
            find_boundaries(&source, head.encoding, head.type_line_len, &froms).expect("scan");
        let mut reported = 0;
        if let Some(parts) = read_in_parts(&source, &froms, &head, &keep, None, &mut reported) {
            split += 1;
            let found: Vec<Boundary> = parts.split.iter().map(|(b, _)| *b).collect();
            assert_eq!(found, boundaries, "from {froms:?}");
            assert_eq!(summary(&parts), summary(&whole), "from {froms:?}");
            // Locating in the same parts finds the same text and lines.
            let located =
                scan(&source, plan(&head, &parts.split), &every, &parts.starts).expect("scan");
            assert_eq!(located, one, "from {froms:?}");
            // And so does locating only some records (parts without any are skipped or
            // only counted).
            let picks: &[u64] = if froms.len() > 1 { &[1, 3] } else { &[] };
            for &pick in picks {
                let some: BTreeSet<u64> = every.iter().copied().filter(|r| r % 4 == pick).collect();
                let located =
                    scan(&source, plan(&head, &parts.split), &some, &parts.starts).expect("scan");
                let expected: BTreeMap<u64, _> = one
                    .iter()
                    .filter(|(r, _)| some.contains(r))
                    .map(|(r, t)| (*r, t.clone()))
                    .collect();
                assert_eq!(located, expected, "from {froms:?}, records {some:?}");
            }
        }
    }
    split
}

#[test]
fn two_parts_read_like_one() {
    let mut text = String::from("#TYPE T\r\n\"Name\",\"Note\",\"Obj\"\r\n");
    for i in 0..40 {
        let note = match i % 8 {
            0 => "multi\r\nline".to_string(),
            1 => "H?l?ne".to_string(),
            2 => "quote \"\"x\"\"".to_string(),
            3 => "NUL \u{0} here".to_string(),
            4 => "é€😀".to_string(),
            _ => format!("n{i}"),
        };
        let obj = if i % 5 == 0 { "System.Object[]" } else { "x" };
        if i % 13 == 7 {
            text.push_str(&format!("\"short{i}\"\r\n\r\n"));
        } else if i % 11 == 4 {
            // Appended exports: the header again, counted across parts.
            text.push_str("\"name\",\"NOTE\",\"Obj\"\r\n");
        } else {
            text.push_str(&format!("\"row{i}\",\"{note}\",\"{obj}\"\r\n"));
        }
    }
    let mut utf8 = "\u{FEFF}".as_bytes().to_vec();
    utf8.extend_from_slice(text.as_bytes());
    assert!(same_in_parts(&utf8) > 20);
    let lf = text.replace("\r\n", "\n");
    assert!(same_in_parts(lf.as_bytes()) > 20);
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    assert!(same_in_parts(&utf16) > 20);
    let mut be = vec![0xFE, 0xFF];
    be.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
    assert!(same_in_parts(&be) > 20);
}

#[test]
fn a_repeated_header_is_counted_once_and_read_as_a_blank_row() {
    let bytes = b"\"A\",\"B\"\r\n\"1\",\"2\"\r\n\"a\",\"b\"\r\n\"3\",\"4\"\r\n\"A\",\"B\"\r\n";
    let source = Source::Memory(std::sync::Arc::from(&bytes[..]));
    let head = head_of(bytes);
    let rows = read_rows(&source, &head, &[true, true]).expect("rows");
    assert_eq!(rows.count, 4);
    assert_eq!(
        rows.issues,
        [ReadIssue::RepeatedHeader {
            record: 2,
            count: 2
        }]
    );
    let cells: Vec<&str> = (0..4).map(|r| rows.cell(r, 0).unwrap_or("?")).collect();
    assert_eq!(cells, ["1", "", "3", ""]);
    // Blank rows to the engine: members of no kind, judged by no rule.
    assert_eq!(rows.blank, [1, 3]);
    // A header of blank names does not take blank rows for repeats.
    let blank = b",\r\n,\r\n";
    let source = Source::Memory(std::sync::Arc::from(&blank[..]));
    let rows = read_rows(&source, &head_of(blank), &[true, true]).expect("rows");
    assert!(rows.issues.is_empty(), "{:?}", rows.issues);
}

#[test]
fn a_stray_quote_makes_one_part_or_the_same_rows() {
    // Not RFC 4180: quotes inside unquoted fields shift the quote count.
    let mut text = String::from("Name,Note\n");
    for i in 0..30 {
        text.push_str(&format!("a{i},5'11\" tall\nb{i},\"ok\"\n"));
    }
    same_in_parts(text.as_bytes());
}

#[test]
fn record_starts_give_positions_of_wanted_records() {
    let mut starts = RecordStarts::default();
    for p in [10, 25, 25, 90] {
        starts.push(p);
    }
    let wanted = [0, 1, 3, 4];
    assert_eq!(starts.positions(&wanted).unwrap(), [0, 10, 25, 90]);
    assert!(starts.positions(&[5]).is_none());
    starts.push(90 + (1 << 33));
    assert!(starts.positions(&wanted).is_none());
}

#[test]
fn column_turns_plain_past_the_dictionary_limit() {
    let mut c = Column::default();
    let cells: Vec<String> = (0..DICTIONARY_MAX + 10)
        .map(|i| format!("v{}", i % (DICTIONARY_MAX + 5)))
        .collect();
    for cell in &cells {
        assert!(c.push(cell));
    }
    c.finish();
    assert!(c.dictionary().is_none());
    assert_eq!(c.len(), cells.len());
    for (i, cell) in cells.iter().enumerate() {
        assert_eq!(c.get(i), cell);
    }
}

#[test]
fn columns_read_in_parts_concatenate_in_order_whatever_their_form() {
    // Parts as the parts of a file give them: a dictionary, one that turned plain, a
    // dictionary again, an empty one; the joined column reads like one column of every cell.
    let many = |from: usize| -> Vec<String> {
        (0..DICTIONARY_MAX + 20)
            .map(|i| format!("u{}", from + i))
            .collect()
    };
    let few = |tag: &str| -> Vec<String> { (0..50).map(|i| format!("{tag}{}", i % 3)).collect() };
    let shapes: Vec<Vec<Vec<String>>> = vec![
        vec![few("a"), few("b")],
        vec![few("a"), many(0), few("c")],
        vec![many(0), few("a"), Vec::new(), many(9000)],
        vec![Vec::new(), few("a")],
    ];
    for parts in shapes {
        let columns: Vec<Column> = parts
            .iter()
            .map(|cells| {
                let mut c = Column::default();
                for cell in cells {
                    assert!(c.push(cell));
                }
                c
            })
            .collect();
        let mut joined = Column::concat(columns).expect("joined");
        joined.finish();
        let all: Vec<&String> = parts.iter().flatten().collect();
        assert_eq!(joined.len(), all.len());
        assert_eq!(
            joined.text_bytes(),
            all.iter().map(|c| c.len()).sum::<usize>()
        );
        for (i, cell) in all.iter().enumerate() {
            assert_eq!(joined.get(i), cell.as_str(), "row {i}");
        }
    }
}
