//! Runtime values of expressions.
//!
//! **Missing** is the value of a lookup that found no row, of a column of a missing row, and
//! of a function applied to a missing value. It is not the empty string: an empty cell is `""`
//! and exists. Every comparison with a missing value is false (`==` and `!=` alike); in a
//! condition a missing value counts as false; `exists(x)` tests for it.

use std::borrow::Cow;
use std::cmp::Ordering;

/// A row of some table: file index and 0-based data row in that file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RowRef {
    pub file: u32,
    pub row: u32,
}

/// A set of rows: the result of a lookup or a whole table.
#[derive(Debug, Clone, Copy)]
pub enum RowSet<'a> {
    Slice(&'a [RowRef]),
    One(RowRef),
}

impl<'a> RowSet<'a> {
    pub fn first(&self) -> Option<RowRef> {
        match self {
            RowSet::Slice(s) => s.first().copied(),
            RowSet::One(r) => Some(*r),
        }
    }

    pub fn len(&self) -> usize {
        match self {
            RowSet::Slice(s) => s.len(),
            RowSet::One(_) => 1,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn get(&self, i: usize) -> Option<RowRef> {
        match self {
            RowSet::Slice(s) => s.get(i).copied(),
            RowSet::One(r) => (i == 0).then_some(*r),
        }
    }
}

/// A dotted version such as `15.0.4569.1503`; missing parts compare as 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Version {
    parts: [u64; 4],
}

impl Version {
    pub fn parse(text: &str) -> Option<Version> {
        let text = trim(text);
        let text = text.strip_prefix(['v', 'V']).unwrap_or(text);
        // One to four dot-separated runs of digits, each fitting a u64.
        let mut parts = [0u64; 4];
        let (mut n, mut digits) = (0, 0);
        for &b in text.as_bytes() {
            match b {
                b'0'..=b'9' => {
                    let part = parts.get_mut(n)?;
                    *part = part.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
                    digits += 1;
                }
                b'.' if digits > 0 => {
                    n += 1;
                    digits = 0;
                }
                _ => return None,
            }
        }
        (digits > 0).then_some(Version { parts })
    }

    pub fn major(&self) -> u64 {
        self.parts[0]
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.parts.cmp(&other.parts))
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let used = self
            .parts
            .iter()
            .rposition(|&p| p != 0)
            .map_or(1, |i| i + 1)
            .max(2);
        let text: Vec<String> = self.parts[..used].iter().map(u64::to_string).collect();
        f.write_str(&text.join("."))
    }
}

/// A value during evaluation. Strings borrow from the tables whenever they can.
#[derive(Debug, Clone)]
pub enum Value<'a> {
    Missing,
    Bool(bool),
    Num(f64),
    Str(Cow<'a, str>),
    Ver(Version),
    Row(RowRef),
    Rows(RowSet<'a>),
}

impl<'a> Value<'a> {
    pub fn is_missing(&self) -> bool {
        matches!(self, Value::Missing)
    }

    /// Truth in a condition: `true`/`True` strings are true; missing and anything else false.
    pub fn truthy(&self) -> bool {
        match self {
            Value::Bool(b) => *b,
            Value::Str(s) => parse_bool(s) == Some(true),
            Value::Num(n) => *n != 0.0,
            Value::Row(_) => true,
            Value::Rows(r) => !r.is_empty(),
            Value::Missing | Value::Ver(_) => false,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// As a number: numbers, and strings that parse as one.
    pub fn as_num(&self) -> Option<f64> {
        match self {
            Value::Num(n) => Some(*n),
            Value::Str(s) => trim(s).parse().ok(),
            Value::Bool(b) => Some(f64::from(u8::from(*b))),
            _ => None,
        }
    }

    pub fn as_version(&self) -> Option<Version> {
        match self {
            Value::Ver(v) => Some(*v),
            Value::Str(s) => Version::parse(s),
            Value::Num(n) if *n >= 0.0 && n.fract() == 0.0 => Some(Version {
                parts: [*n as u64, 0, 0, 0],
            }),
            _ => None,
        }
    }

    /// How the value reads in a message.
    pub fn render(&self, out: &mut String) {
        use std::fmt::Write;
        match self {
            Value::Missing => out.push_str("(none)"),
            Value::Bool(true) => out.push_str("True"),
            Value::Bool(false) => out.push_str("False"),
            Value::Num(n) if n.fract() == 0.0 && n.abs() < 1e15 => {
                let _ = write!(out, "{}", *n as i64);
            }
            Value::Num(n) => {
                let _ = write!(out, "{n}");
            }
            Value::Str(s) => out.push_str(s),
            Value::Ver(v) => {
                let _ = write!(out, "{v}");
            }
            Value::Row(_) => out.push_str("(row)"),
            Value::Rows(r) => {
                let _ = write!(out, "({} rows)", r.len());
            }
        }
    }
}

/// `str::trim`, without looking at characters when the text starts and ends with visible
/// ASCII (every Unicode space is either ASCII or outside ASCII).
#[inline]
pub fn trim(s: &str) -> &str {
    match (s.as_bytes().first(), s.as_bytes().last()) {
        (Some(&a), Some(&b)) if (0x21..0x7F).contains(&a) && (0x21..0x7F).contains(&b) => s,
        _ => s.trim(),
    }
}

/// [`trim`] of text that may be owned: borrowed text stays borrowed, owned text is only
/// copied when there is something to cut.
pub fn trim_cow(s: Cow<'_, str>) -> Cow<'_, str> {
    match s {
        Cow::Borrowed(b) => Cow::Borrowed(trim(b)),
        Cow::Owned(o) if trim(&o).len() == o.len() => Cow::Owned(o),
        Cow::Owned(o) => Cow::Owned(trim(&o).to_string()),
    }
}

pub fn parse_bool(s: &str) -> Option<bool> {
    let s = trim(s);
    if s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// Case-insensitive string equality without allocating.
pub fn eq_ignore_case(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        return a.eq_ignore_ascii_case(b);
    }
    a.chars()
        .flat_map(char::to_lowercase)
        .eq(b.chars().flat_map(char::to_lowercase))
}

/// `text` lower-cased as [`eq_ignore_case`] compares: two texts are equal ignoring case
/// exactly when their folds are equal.
pub fn fold_case(text: &str) -> std::borrow::Cow<'_, str> {
    if text.is_ascii() {
        if text.bytes().any(|b| b.is_ascii_uppercase()) {
            return std::borrow::Cow::Owned(text.to_ascii_lowercase());
        }
        return std::borrow::Cow::Borrowed(text);
    }
    std::borrow::Cow::Owned(text.chars().flat_map(char::to_lowercase).collect())
}

/// Case-insensitive ordering without allocating.
pub fn cmp_ignore_case(a: &str, b: &str) -> Ordering {
    a.chars()
        .flat_map(char::to_lowercase)
        .cmp(b.chars().flat_map(char::to_lowercase))
}

/// Lower-case, borrowing when there is nothing to change.
pub fn lower(s: Cow<'_, str>) -> Cow<'_, str> {
    if s.is_ascii() {
        // The common case, without decoding characters.
        if !s.bytes().any(|b| b.is_ascii_uppercase()) {
            return s;
        }
        let mut owned = s.into_owned();
        owned.make_ascii_lowercase();
        return Cow::Owned(owned);
    }
    if s.chars().any(char::is_uppercase) {
        Cow::Owned(s.to_lowercase())
    } else {
        s
    }
}

/// Find `needle` in `haystack` ignoring case; returns the byte range in `haystack`.
pub fn find_ignore_case(haystack: &str, needle: &str) -> Option<std::ops::Range<usize>> {
    if needle.is_empty() {
        return Some(0..0);
    }
    if haystack.is_ascii() && needle.is_ascii() {
        let (h, n) = (haystack.as_bytes(), needle.as_bytes());
        return (0..=h.len().checked_sub(n.len())?)
            .find(|&i| h[i..i + n.len()].eq_ignore_ascii_case(n))
            .map(|i| i..i + n.len());
    }
    haystack.char_indices().find_map(|(i, _)| {
        let rest = &haystack[i..];
        let mut end = i;
        let mut hay = rest.char_indices();
        for nc in needle.chars() {
            let (j, hc) = hay.next()?;
            if !hc.to_lowercase().eq(nc.to_lowercase()) {
                return None;
            }
            end = i + j + hc.len_utf8();
        }
        Some(i..end)
    })
}

/// Parts of a SIP user agent such as `UCCAPI/15.0.4569.1503 OC/15.0.4569.1503 (Microsoft Lync)`.
pub mod user_agent {
    use super::Version;

    /// The version of the `OC/` token (Office Communicator, Lync and Skype for Business
    /// desktop clients all use it). Other agents (Lync Web App, mobile, UCWA) have none.
    pub fn version(ua: &str) -> Option<Version> {
        if ua.is_ascii() {
            // The same as below without splitting into tokens: the first `OC/` that starts a
            // token (at the start or after ASCII whitespace, which is all of it here).
            let b = ua.as_bytes();
            let space = |c: u8| matches!(c, b'\t' | b'\n' | 0x0B | 0x0C | b'\r' | b' ');
            let at = memchr::memchr_iter(b'/', b).find(|&slash| {
                slash >= 2
                    && b[slash - 2..slash].eq_ignore_ascii_case(b"OC")
                    && (slash == 2 || space(b[slash - 3]))
            })?;
            let end = b[at..]
                .iter()
                .position(|&c| space(c))
                .map_or(b.len(), |n| at + n);
            return Version::parse(ua[at + 1..end].trim_end_matches([',', ';']));
        }
        ua.split_whitespace()
            .filter_map(|t| t.split_once('/'))
            .find(|(product, _)| product.eq_ignore_ascii_case("OC"))
            .and_then(|(_, v)| Version::parse(v.trim_end_matches([',', ';'])))
    }

    /// The product name in the last parentheses, else the first token's product.
    pub fn name(ua: &str) -> Option<&str> {
        if let (Some(open), Some(close)) = (ua.rfind('('), ua.rfind(')')) {
            if open < close {
                return Some(ua[open + 1..close].trim());
            }
        }
        ua.split_whitespace().next()?.split('/').next()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_numerically_with_missing_parts_as_zero() {
        let v = |s| Version::parse(s).unwrap();
        assert!(v("15.0.4569.1503") > v("15.0.4420"));
        assert!(v("4.0.7577.314") < v("15"));
        assert_eq!(v("6"), v("6.0.0"));
        assert!(Version::parse("15.x").is_none());
        assert!(Version::parse("1.2.3.4.5").is_none());
        for bad in [
            "",
            ".",
            "1.",
            ".1",
            "1..2",
            "1.x",
            "-1",
            "1 .2",
            "99999999999999999999",
        ] {
            assert!(Version::parse(bad).is_none(), "{bad}");
        }
        assert_eq!(v(" v1.2 "), v("1.2.0.0"));
        assert_eq!(v("18446744073709551615").major(), u64::MAX);
        assert_eq!(v("15.0.4569.1503").to_string(), "15.0.4569.1503");
    }

    #[test]
    fn user_agents() {
        let lync = "UCCAPI/15.0.4569.1503 OC/15.0.4569.1503 (Microsoft Lync)";
        assert_eq!(user_agent::version(lync).map(|v| v.major()), Some(15));
        assert_eq!(user_agent::name(lync), Some("Microsoft Lync"));
        assert_eq!(
            user_agent::version("OC/4.0.7577.314 (Microsoft Lync 2010)").map(|v| v.major()),
            Some(4)
        );
        assert_eq!(user_agent::version("UCCAPI/16.0.4405.1000"), None);
        assert_eq!(user_agent::version("UCWA/15.0.0.0 (Lync Web App)"), None);
        assert_eq!(user_agent::version("garbage"), None);
        // Only a token that starts with OC/ counts, and only the first one.
        assert_eq!(user_agent::version("XOC/15.0 (x)"), None);
        assert_eq!(user_agent::version("OC/"), None);
        assert_eq!(user_agent::version("a\x0BOC/16.0"), Version::parse("16"));
        assert_eq!(
            user_agent::version("oc/v15.1,  OC/4.0"),
            Version::parse("15.1")
        );
        assert_eq!(user_agent::version("OC/1/2 OC/15.0"), None);
        assert_eq!(
            user_agent::version("Lync\u{a0}OC/15.0"),
            Version::parse("15")
        );
        assert_eq!(user_agent::version("é OC/15.0"), Version::parse("15"));
    }

    #[test]
    fn trim_agrees_with_std() {
        for s in [
            "", " ", "a", " a ", "a b", "\u{a0}x", "x\u{85}", "\tx\n", "é", "~!", "!~",
        ] {
            assert_eq!(trim(s), s.trim(), "{s:?}");
        }
    }

    #[test]
    fn case_insensitive_helpers() {
        assert!(eq_ignore_case("Pool13.Contoso.COM", "pool13.contoso.com"));
        assert!(eq_ignore_case("HÉLÈNE", "hélène"));
        assert_eq!(find_ignore_case("sip:Ken@x", "KEN"), Some(4..7));
        assert_eq!(find_ignore_case("ÉCOLE", "co"), Some(2..4));
        assert_eq!(cmp_ignore_case("a", "B"), Ordering::Less);
    }
}
