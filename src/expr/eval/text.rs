//! The text of values: a scalar rendered as text, slices that borrow when they can, prefix and
//! suffix tests ignoring case, and the shipped key normalisations computed without the
//! interpreter.

use std::borrow::Cow;

use crate::expr::compile::{Func, Node};
use crate::expr::value::{self, Value};

/// The key normalisations of the shipped table declarations, `trim(_)` and
/// `strip_prefix(trim(_), "…")`, computed without the interpreter (with the same result: they
/// run once per row per key index and per join). Other expressions give the text back.
pub(super) fn normalise_natively<'t>(
    norm: &Node,
    text: Cow<'t, str>,
) -> Result<Cow<'t, str>, Cow<'t, str>> {
    let is_trim = |n: &Node| matches!(n, Node::Call { func: Func::Trim, args } if matches!(args.as_slice(), [Node::Underscore]));
    match norm {
        n if is_trim(n) => Ok(value::trim_cow(text)),
        Node::Call {
            func: Func::StripPrefix,
            args,
        } => match args.as_slice() {
            [inner, Node::Const(Value::Str(prefix))] if is_trim(inner) => {
                let s = value::trim_cow(text);
                Ok(if starts_ci(&s, prefix) {
                    cut(s, prefix.len(), None)
                } else {
                    s
                })
            }
            _ => Err(text),
        },
        _ => Err(text),
    }
}

pub(super) fn starts_ci(s: &str, prefix: &str) -> bool {
    s.len() >= prefix.len()
        && s.is_char_boundary(prefix.len())
        && value::eq_ignore_case(&s[..prefix.len()], prefix)
}

pub(super) fn ends_ci(s: &str, suffix: &str) -> bool {
    s.len() >= suffix.len()
        && s.is_char_boundary(s.len() - suffix.len())
        && value::eq_ignore_case(&s[s.len() - suffix.len()..], suffix)
}

/// A sub-slice of a string value, borrowing when the value is borrowed.
pub(super) fn cut(s: Cow<'_, str>, start: usize, end: Option<usize>) -> Cow<'_, str> {
    match s {
        Cow::Borrowed(b) => Cow::Borrowed(&b[start..end.unwrap_or(b.len())]),
        Cow::Owned(o) => Cow::Owned(o[start..end.unwrap_or(o.len())].to_string()),
    }
}

/// [`text_of`], taking the value: an owned string is moved, not copied.
pub(super) fn into_text(v: Value<'_>) -> Option<Cow<'_, str>> {
    match v {
        Value::Str(s) => Some(s),
        other => text_of(&other),
    }
}

/// The text of a scalar value (numbers and versions rendered), `None` for missing or rows.
pub(super) fn text_of<'v>(v: &Value<'v>) -> Option<Cow<'v, str>> {
    match v {
        Value::Str(s) => Some(s.clone()),
        Value::Missing | Value::Row(_) | Value::Rows(_) => None,
        other => {
            let mut s = String::new();
            other.render(&mut s);
            Some(Cow::Owned(s))
        }
    }
}
