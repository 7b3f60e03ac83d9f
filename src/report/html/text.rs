//! Text helpers of the page: numbers, shares, plurals, code links, badges and rule metadata,
//! each the one place a kind of value is turned into text or markup.

use maud::{html, Markup};

use crate::finding::Severity;
use crate::report::RuleInfo;
use crate::rule::RuleSet;

/// What the reader's built-in codes matter for, shown as their "why".
const BUILTIN_WHY: &str = "A built-in check of the CSV reader: the export itself has a problem, so rules may miss rows or columns of this file.";

/// A rule's documentation, for shipped rules and built-in codes alike: the shared
/// [`RuleInfo`], the rule set first, built-in codes with [`BUILTIN_WHY`].
pub(super) fn rule_info<'a>(rules: &'a RuleSet, code: &str) -> Option<RuleInfo<'a>> {
    if let Some(rule) = rules.rule(code) {
        return Some(RuleInfo::of_rule(rule));
    }
    // Built-in codes are upper case; look them up without case, as rules are.
    RuleInfo::builtin(&code.to_ascii_uppercase()).map(|info| RuleInfo {
        why: Some(BUILTIN_WHY),
        ..info
    })
}

/// The fragment id of a code's section.
pub(super) fn rule_id(code: &str) -> String {
    let safe: String = code
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("rule-{safe}")
}

pub(super) fn code_link(code: &str) -> Markup {
    html! { a.code href={ "#" (rule_id(code)) } { (code) } }
}

pub(super) fn badge(severity: Severity) -> Markup {
    html! { span class={ "badge " (severity.as_str()) } { (severity.as_str()) } }
}

/// `12,345`.
pub(super) fn num(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

pub(super) fn percent(part: usize, total: usize) -> String {
    if total == 0 {
        "–".into()
    } else {
        let p = part as f64 * 100.0 / total as f64;
        if part < total && p > 99.5 {
            ">99%".into()
        } else if part > 0 && p < 0.5 {
            "<1%".into()
        } else {
            format!("{p:.0}%")
        }
    }
}

pub(super) fn plural(n: usize, word: &str) -> String {
    format!("{} {word}{}", num(n), if n == 1 { "" } else { "s" })
}

/// Text where `backticks` mark code, as in rule help and messages.
pub(super) fn rich(text: &str) -> Markup {
    html! {
        @for (i, part) in text.split('`').enumerate() {
            @if i % 2 == 1 { code { (part) } } @else { (part) }
        }
    }
}

pub(super) fn severity_rank(s: Severity) -> u8 {
    match s {
        Severity::Error => 3,
        Severity::Warning => 2,
        Severity::Info => 1,
    }
}

pub(super) fn delimiter_name(d: u8) -> String {
    match d {
        b',' => "comma".into(),
        b';' => "semicolon".into(),
        b'\t' => "tab".into(),
        b'|' => "pipe".into(),
        other => format!("{:?}", other as char),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_shares_read_well() {
        assert_eq!(num(0), "0");
        assert_eq!(num(999), "999");
        assert_eq!(num(100_000), "100,000");
        assert_eq!(num(1_234_567), "1,234,567");
        assert_eq!(percent(1, 3), "33%");
        assert_eq!(percent(999, 1000), ">99%");
        assert_eq!(percent(1, 1000), "<1%");
        assert_eq!(percent(0, 0), "–");
    }

    #[test]
    fn rich_text_escapes_and_marks_code() {
        assert_eq!(
            rich("use `Move-CsUser` <b>").into_string(),
            "use <code>Move-CsUser</code> &lt;b&gt;"
        );
    }

    #[test]
    fn rule_ids_are_safe_fragments() {
        assert_eq!(rule_id("PC001"), "rule-PC001");
        assert_eq!(rule_id("a b\"c"), "rule-a-b-c");
    }
}
