//! Text that reaches a terminal or a CI log shows every character visibly.
//!
//! Cells, file names, suppression keys and baseline values come from files anyone with write
//! access to an export folder controls. Written raw, an `ESC` sequence clears the screen,
//! retitles the window or plants a hyperlink; a CR or LF forges a whole finding line, or a
//! compact line starting with `::error` that GitHub Actions executes; a bidi override (U+202E)
//! shows text reversed and zero-width characters hide a difference. Every text output (human,
//! compact, github, markdown, statistics, summary lines) passes what comes from input through
//! [`visible`], which writes such characters as Rust escapes (`\u{1b}`, `\u{202e}`). JSON,
//! SARIF, JUnit and HTML keep exact values under their own escaping.

use std::borrow::Cow;

use crate::finding::Excerpt;

/// Whether `c` must not reach a terminal raw: control characters (C0, DEL, C1), bidi
/// controls, zero-width and other invisible format characters, line/paragraph separators.
pub fn is_hidden_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{00AD}'
                | '\u{034F}'
                | '\u{061C}'
                | '\u{115F}'
                | '\u{1160}'
                | '\u{17B4}'
                | '\u{17B5}'
                | '\u{180B}'..='\u{180F}'
                | '\u{200B}'..='\u{200F}'
                | '\u{2028}'..='\u{202E}'
                | '\u{2060}'..='\u{206F}'
                | '\u{3164}'
                | '\u{FE00}'..='\u{FE0F}'
                | '\u{FEFF}'
                | '\u{FFA0}'
                | '\u{FFF9}'..='\u{FFFB}'
                | '\u{1D173}'..='\u{1D17A}'
                | '\u{E0000}'..='\u{E0FFF}'
        )
}

/// Append `c` to `out`, as `\u{…}` when it is hidden.
pub fn push_visible(out: &mut String, c: char) {
    if is_hidden_char(c) {
        use std::fmt::Write;
        // Writing to a String cannot fail.
        let _ = write!(out, "\\u{{{:x}}}", c as u32);
    } else {
        out.push(c);
    }
}

/// The length in characters of the escape [`push_visible`] writes for `c`, `None` when `c`
/// is shown as itself.
pub fn escape_len(c: char) -> Option<usize> {
    is_hidden_char(c).then(|| {
        let hex_digits = (32 - (c as u32).leading_zeros()).div_ceil(4).max(1) as usize;
        "\\u{}".len() + hex_digits
    })
}

/// `text` with every hidden character written as `\u{…}` (borrowed when there is none).
pub fn visible(text: &str) -> Cow<'_, str> {
    // Printable ASCII is the common case: nothing to do.
    if text.bytes().all(|b| (0x20..0x7f).contains(&b)) || !text.chars().any(is_hidden_char) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        push_visible(&mut out, c);
    }
    Cow::Owned(out)
}

/// An excerpt made visible, its span moved with its text. Line ends stay line ends (a CR LF
/// or a lone CR, which invlint counts as a line end, becomes LF so the lines keep their
/// numbers); every other hidden character is escaped.
pub fn visible_excerpt(excerpt: &Excerpt) -> Excerpt {
    let text = &*excerpt.text;
    if text.chars().all(|c| c == '\n' || !is_hidden_char(c)) {
        return excerpt.clone();
    }
    let mut out = String::with_capacity(text.len() + 16);
    let (mut start, mut end) = (None, None);
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if i == excerpt.start {
            start = Some(out.len());
        }
        if i == excerpt.end {
            end = Some(out.len());
        }
        match c {
            '\n' => out.push('\n'),
            '\r' => {
                if chars.peek().is_none_or(|&(_, next)| next != '\n') {
                    out.push('\n');
                }
            }
            c => push_visible(&mut out, c),
        }
    }
    let start = start.unwrap_or(out.len());
    Excerpt {
        first_line: excerpt.first_line,
        start,
        end: end.unwrap_or(out.len()).max(start),
        text: out.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_len_is_the_length_of_the_escape() {
        for c in [
            'a',
            '\u{0}',
            '\u{1b}',
            '\u{7f}',
            '\u{9b}',
            '\u{202e}',
            '\u{feff}',
            '\u{e0001}',
        ] {
            let mut out = String::new();
            push_visible(&mut out, c);
            let expected = is_hidden_char(c).then(|| out.chars().count());
            assert_eq!(escape_len(c), expected, "{c:?} written as {out}");
        }
    }

    #[test]
    fn terminal_escapes_bidi_and_zero_width_become_visible() {
        assert_eq!(visible("plain text, é"), "plain text, é");
        assert!(matches!(visible("plain"), Cow::Borrowed(_)));
        assert_eq!(visible("a\u{1b}[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(visible("x\r\n::error::y"), "x\\u{d}\\u{a}::error::y");
        assert_eq!(visible("\u{7}\u{9b}"), "\\u{7}\\u{9b}");
        assert_eq!(visible("abc\u{202e}def"), "abc\\u{202e}def");
        assert_eq!(visible("ke\u{200b}n"), "ke\\u{200b}n");
        assert_eq!(visible("\u{feff}x"), "\\u{feff}x");
    }

    #[test]
    fn excerpts_keep_their_lines_and_span() {
        let text = "a,\"b\u{1b}]0;t\u{7}\"\r\nc,d";
        let start = text.find('"').unwrap();
        let end = text.rfind('"').unwrap() + 1;
        let excerpt = Excerpt {
            first_line: 4,
            text: text.into(),
            start,
            end,
        };
        let shown = visible_excerpt(&excerpt);
        assert_eq!(&*shown.text, "a,\"b\\u{1b}]0;t\\u{7}\"\nc,d");
        assert_eq!(
            &shown.text[shown.start..shown.end],
            "\"b\\u{1b}]0;t\\u{7}\""
        );
        assert_eq!(shown.first_line, 4);
    }
}
