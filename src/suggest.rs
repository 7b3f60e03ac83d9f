//! **Did you mean**: the nearest known name to a mistyped one, and the check that the codes
//! and prefixes a user names (`--select`, `ignore`, `[severity]`, a suppression…) exist.
//! [`nearest`] is the one rule for every suggestion: codes, subcommands, formats, targets and
//! profiles, and the names, columns, keys and functions of rule expressions.
//!
//! A gate that silently runs zero rules because of a typo would pass by mistake: every code
//! pattern must match at least one known code, or be `ALL`.

use crate::finding::builtin;

/// The pattern that selects every rule (as in ruff).
pub const ALL: &str = "ALL";

/// Edit distance between two strings (insertions, deletions, substitutions and swaps of two
/// neighbours, the commonest typo), by characters.
pub fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let width = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * width];
    for i in 0..=a.len() {
        d[i * width] = i;
    }
    for (j, cell) in d.iter_mut().enumerate().take(width) {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[(i - 1) * width + j] + 1)
                .min(d[i * width + j - 1] + 1)
                .min(d[(i - 1) * width + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[(i - 2) * width + j - 2] + 1);
            }
            d[i * width + j] = best;
        }
    }
    d[a.len() * width + b.len()]
}

/// The candidate nearest to `word` (case-insensitive), if it is close enough to be the word
/// meant: about a third of its letters differ at most (one for short words). Ties go to the
/// first.
pub fn nearest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let word = word.to_ascii_lowercase();
    let limit = word.chars().count().div_ceil(3).max(1);
    let mut best: Option<(usize, &str)> = None;
    for candidate in candidates {
        let d = distance(&word, &candidate.to_ascii_lowercase());
        if d <= limit && best.is_none_or(|(b, _)| d < b) {
            best = Some((d, candidate));
        }
    }
    best.map(|(_, c)| c)
}

/// `"; did you mean `X`?"` when a candidate is near, else an empty string.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    nearest(word, candidates).map_or_else(String::new, |c| format!("; did you mean `{c}`?"))
}

/// Every code a run knows: the built-in codes and `rule_codes` (a rule set's), sorted.
pub fn known_codes<'a>(rule_codes: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut codes: Vec<String> = builtin::ALL
        .iter()
        .map(|(c, _, _)| c.to_string())
        .chain(rule_codes.into_iter().map(str::to_string))
        .collect();
    codes.sort();
    codes.dedup();
    codes
}

/// The letter prefixes of `codes` (`PC`, `CSV`…), for suggestions of a prefix.
fn prefixes(codes: &[String]) -> Vec<String> {
    let mut prefixes: Vec<String> = codes
        .iter()
        .map(|c| {
            c.trim_end_matches(|ch: char| ch.is_ascii_digit())
                .to_string()
        })
        .filter(|p| !p.is_empty())
        .collect();
    prefixes.sort();
    prefixes.dedup();
    prefixes
}

/// Whether `pattern` (a code or a prefix, any case) names at least one of `codes`.
pub fn pattern_matches_any(pattern: &str, codes: &[String]) -> bool {
    let pattern = pattern.to_ascii_uppercase();
    pattern == ALL || codes.iter().any(|c| c.starts_with(&pattern))
}

/// The error for a code pattern that names no known code (`None` when it names one): where
/// it was written (`what`, e.g. `--select`) and the nearest code or prefix.
pub fn unknown_pattern(what: &str, pattern: &str, codes: &[String]) -> Option<String> {
    if pattern_matches_any(pattern, codes) {
        return None;
    }
    let prefixes = prefixes(codes);
    let candidates = codes.iter().chain(&prefixes).map(String::as_str);
    Some(format!(
        "{what}: unknown rule code or prefix `{pattern}`{} (`invlint rules` lists them)",
        did_you_mean(pattern, candidates)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes() -> Vec<String> {
        ["AD001", "CSV003", "PC001", "PC009", "PC010"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    #[test]
    fn distance_counts_edits() {
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("chek", "check"), 1);
        assert_eq!(distance("CVS", "CSV"), 1);
    }

    #[test]
    fn nearest_is_close_or_nothing() {
        assert_eq!(
            nearest("chek", ["check", "rules", "explain"]),
            Some("check")
        );
        assert_eq!(nearest("zzzz", ["check", "rules"]), None);
        assert_eq!(nearest("pc999", ["PC009", "PC001"]), Some("PC009"));
    }

    #[test]
    fn patterns_must_name_a_code() {
        let codes = codes();
        assert!(unknown_pattern("--select", "pc", &codes).is_none());
        assert!(unknown_pattern("--select", "all", &codes).is_none());
        assert!(unknown_pattern("--select", "CSV", &codes).is_none());
        let message = unknown_pattern("--select", "PC999", &codes).expect("unknown");
        assert!(message.contains("did you mean `PC009`?"), "{message}");
        let message = unknown_pattern("ignore", "XX", &codes).expect("unknown");
        assert!(!message.contains("did you mean"), "{message}");
        let message = unknown_pattern("ignore", "CVS", &codes).expect("unknown");
        assert!(message.contains("did you mean `CSV`?"), "{message}");
    }
}
