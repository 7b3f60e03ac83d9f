//! Text laid out in columns: wrapping at spaces with `code spans` kept whole, paths broken
//! after a `/`, widths in console columns (wide letters count two).

use std::borrow::Cow;

use unicode_width::UnicodeWidthChar;

use super::MIN_WIDTH;

/// Wrap `text` to `width` columns at spaces: the first line starts with `first`, the others
/// with `rest`. A `code span` stays on one line when it fits on one; a word or span wider than
/// a line is broken at its spaces, then (a long word) between characters.
pub fn wrap(text: &str, width: usize, first: &str, rest: &str) -> Vec<String> {
    let width = width.max(MIN_WIDTH);
    let room = width - text_width_of(rest).min(width - 1);
    let mut lines = Vec::new();
    let mut line = first.to_string();
    let mut line_width = text_width_of(first);
    let mut empty = true;
    let mut place = |piece: &str| {
        let w = text_width_of(piece);
        if !empty && line_width + 1 + w > width {
            lines.push(std::mem::take(&mut line));
            line = rest.to_string();
            line_width = text_width_of(rest);
            empty = true;
        }
        if !empty {
            line.push(' ');
            line_width += 1;
        }
        line.push_str(piece);
        line_width += w;
        empty = false;
    };
    for unit in units(text) {
        if text_width_of(&unit) <= room {
            place(&unit);
        } else {
            // Too wide for any line: its words, then the characters of a too long word.
            for piece in unit.split(' ').flat_map(|w| chop(w, room)) {
                place(&piece);
            }
        }
    }
    lines.push(line);
    lines
}

/// Words of `text` split at spaces, except inside a `code span`, which is one unit together
/// with what is glued to it (`(`Move-CsUser …`),`). A unit is borrowed from `text` unless a
/// line break or tab inside a span had to become a space.
fn units(text: &str) -> Vec<Cow<'_, str>> {
    let mut units = Vec::new();
    let mut start = None;
    let mut in_code = false;
    let mut breaks = false;
    let mut end_unit = |from: Option<usize>, to: usize, breaks: bool| {
        if let Some(from) = from {
            let unit = &text[from..to];
            units.push(if breaks {
                Cow::Owned(unit.replace(['\n', '\t'], " "))
            } else {
                Cow::Borrowed(unit)
            });
        }
    };
    for (i, c) in text.char_indices() {
        match c {
            '`' => {
                in_code = !in_code;
                start.get_or_insert(i);
            }
            ' ' | '\n' | '\t' if !in_code => {
                end_unit(start.take(), i, std::mem::take(&mut breaks));
            }
            '\n' | '\t' => {
                start.get_or_insert(i);
                breaks = true;
            }
            _ => {
                start.get_or_insert(i);
            }
        }
    }
    end_unit(start, text.len(), breaks);
    units
}

/// `word` in pieces of at most `width` columns.
pub(super) fn chop(word: &str, width: usize) -> Vec<String> {
    let mut pieces = vec![String::new()];
    let mut w = 0;
    for c in word.chars() {
        let cw = c.width().unwrap_or(0);
        if w + cw > width && w > 0 {
            pieces.push(String::new());
            w = 0;
        }
        if let Some(p) = pieces.last_mut() {
            p.push(c);
        }
        w += cw;
    }
    pieces
}

/// A path (with its `:line:col`) in lines of at most `width` columns, broken after a `/`.
pub(super) fn wrap_path(path: &str, width: usize) -> Vec<String> {
    let width = width.max(10);
    // The usual path fits: one line, as the pieces below would join it.
    if text_width_of(path) <= width {
        return vec![path.to_string()];
    }
    let mut lines = vec![String::new()];
    for part in path.split_inclusive('/') {
        for piece in chop(part, width) {
            let current = lines.last().map_or(0, |l| text_width_of(l));
            if current > 0 && current + text_width_of(&piece) > width {
                lines.push(String::new());
            }
            if let Some(l) = lines.last_mut() {
                l.push_str(&piece);
            }
        }
    }
    lines
}

pub(super) fn text_width_of(text: &str) -> usize {
    text.chars().map(|c| c.width().unwrap_or(0)).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_split_at_spaces_outside_code_spans() {
        let units = units("Run `Move-CsUser\n -Target x`, then\tpublish  it");
        assert_eq!(
            units,
            ["Run", "`Move-CsUser  -Target x`,", "then", "publish", "it"]
        );
        assert!(matches!(units[0], Cow::Borrowed(_)));
        assert!(matches!(units[1], Cow::Owned(_)));
    }

    #[test]
    fn wrap_keeps_code_spans_whole_when_they_fit() {
        let help = "Move the user first (`Move-CsUser -Identity <user> -Target <pool>`), then \
                    publish the topology with `Publish-CsTopology`.";
        let lines = wrap(&format!("help: {help}"), 60, "  ", "        ");
        for line in &lines {
            assert!(text_width_of(line) <= 60, "{line}");
            assert_eq!(line.matches('`').count() % 2, 0, "span cut: {lines:?}");
        }
    }

    #[test]
    fn wrap_breaks_a_span_wider_than_a_line_at_spaces_only() {
        let lines = wrap(
            "`New-CsPersistentChatEndpoint -SipAddress <SIP address> -PersistentChatPoolFqdn <pool>`",
            40,
            "",
            "  ",
        );
        assert!(lines.iter().all(|l| text_width_of(l) <= 40), "{lines:?}");
        let words: Vec<&str> = lines.iter().flat_map(|l| l.split_whitespace()).collect();
        assert!(words.contains(&"-PersistentChatPoolFqdn"), "{lines:?}");
    }

    proptest::proptest! {
        #[test]
        fn paths_wrap_after_slashes_within_the_width(
            path in "(/[a-zé0-9.-]{0,30}){0,8}(:[0-9]{1,4}:[0-9]{1,3})?",
            width in 10usize..80,
        ) {
            let lines = wrap_path(&path, width);
            // Nothing lost or added, each line fits, and a path that fits is one line.
            proptest::prop_assert_eq!(lines.concat(), path.clone());
            for line in &lines {
                proptest::prop_assert!(text_width_of(line) <= width.max(10), "{line}");
            }
            if text_width_of(&path) <= width.max(10) {
                proptest::prop_assert_eq!(lines.len(), 1);
            }
        }

        #[test]
        fn wrap_always_fits(text in "[a-z `é-]{0,400}", width in 40usize..140) {
            for line in wrap(&text, width, "  ", "    ") {
                proptest::prop_assert!(text_width_of(&line) <= width, "{line}");
            }
        }
    }
}
