//! A finding's JSON object written by hand, byte for byte what `serde_json`'s pretty printer
//! writes of `JsonFinding` at depth 2 (the test in `super` compares them). At 400,000
//! findings the generic serialiser spent a third of its time finding characters to escape
//! one byte at a time; here a string without any is copied whole, and one with some is left
//! to `serde_json`.

use std::fmt::Write as _;
use std::io;

use crate::finding::{Finding, Location, Message};

/// Where the keys of a finding start (depth 3), and of a related location (depth 5).
const KEY: &[u8] = b"\n      ";
const RELATED_KEY: &[u8] = b"\n          ";

/// Append the object of finding `f` (with its `help` unless `help` is false); `text` is a
/// buffer for messages.
pub(super) fn finding(
    out: &mut Vec<u8>,
    f: &Finding,
    help: bool,
    text: &mut String,
) -> io::Result<()> {
    out.push(b'{');
    key(out, KEY, "code", true);
    string(out, &f.code)?;
    key(out, KEY, "severity", false);
    string(out, f.severity.as_str())?;
    key(out, KEY, "message", false);
    message(out, &f.message, text)?;
    if help {
        key(out, KEY, "help", false);
        optional_string(out, f.help.as_deref())?;
    }
    location(out, KEY, &f.location, false)?;
    if let Some(count) = f.count {
        key(out, KEY, "count", false);
        number(out, count as u64);
    }
    key(out, KEY, "related", false);
    if f.related.is_empty() {
        out.extend_from_slice(b"[]");
    } else {
        out.push(b'[');
        for (i, related) in f.related.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(b"\n        {");
            // `file` comes first: the location's keys start the object.
            location(out, RELATED_KEY, &related.location, true)?;
            key(out, RELATED_KEY, "message", false);
            message(out, &related.message, text)?;
            out.extend_from_slice(b"\n        }");
        }
        out.extend_from_slice(b"\n      ]");
    }
    out.extend_from_slice(b"\n    }");
    Ok(())
}

/// The keys of a location (`file` … `value`) at the indentation `at`; `first` when `file` is
/// the object's first key (a related location).
fn location(out: &mut Vec<u8>, at: &[u8], l: &Location, first: bool) -> io::Result<()> {
    let span = l.span_or_start();
    key(out, at, "file", first);
    string(out, l.file())?;
    for (name, n) in [
        ("line", span.line),
        ("column", span.column),
        ("end_line", span.end_line),
        ("end_column", span.end_column),
    ] {
        key(out, at, name, false);
        number(out, n);
    }
    key(out, at, "table", false);
    optional_string(out, l.table())?;
    key(out, at, "row", false);
    match l.row() {
        Some(row) => number(out, row),
        None => out.extend_from_slice(b"null"),
    }
    key(out, at, "field", false);
    optional_string(out, l.field())?;
    key(out, at, "value", false);
    optional_string(out, l.value.as_deref())
}

/// `,` unless `first`, the line and indentation `at`, and `"name": `.
fn key(out: &mut Vec<u8>, at: &[u8], name: &str, first: bool) {
    if !first {
        out.push(b',');
    }
    out.extend_from_slice(at);
    out.push(b'"');
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"\": ");
}

fn message(out: &mut Vec<u8>, m: &Message, text: &mut String) -> io::Result<()> {
    text.clear();
    // Writing to a `String` cannot fail.
    let _ = write!(text, "{m}");
    string(out, text)
}

fn optional_string(out: &mut Vec<u8>, s: Option<&str>) -> io::Result<()> {
    match s {
        Some(s) => string(out, s),
        None => {
            out.extend_from_slice(b"null");
            Ok(())
        }
    }
}

/// `s` as a JSON string: copied whole when nothing in it needs escaping, else by `serde_json`.
pub(super) fn string(out: &mut Vec<u8>, s: &str) -> io::Result<()> {
    // Without an early exit, so that the check runs over many bytes at once.
    let escaped = s.bytes().fold(false, |any, b| {
        any | (b < 0x20) | (b == b'"') | (b == b'\\')
    });
    if escaped {
        return serde_json::to_writer(&mut *out, s).map_err(io::Error::other);
    }
    out.push(b'"');
    out.extend_from_slice(s.as_bytes());
    out.push(b'"');
    Ok(())
}

/// `n` in decimal.
pub(super) fn number(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    for slot in digits.iter_mut().rev() {
        *slot = b'0' + (n % 10) as u8;
        start -= 1;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(digits.get(start..).unwrap_or_default());
}
