//! A finding's **message**, kept as the values of its rule's template and written out only
//! when a report is. A **template** is the text of a rule's `message` (or of a related
//! location's) cut into literal pieces and **holes**; a hole is filled by the value of one of
//! its expressions for the row found. Rendering the whole text at evaluation held ~180 bytes
//! per finding of which most was the rule's literal text, repeated in every finding: a run
//! with 400,000 findings kept 70 MB of copies. A message now holds one shared template and
//! its hole values; reporters write it straight into their output.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt;
use std::sync::Arc;

/// One piece of a template.
#[derive(Debug, PartialEq, Eq)]
pub enum Piece {
    Text(Box<str>),
    /// The next value of the message.
    Hole,
}

/// A message template, shared by every message made from it. (A thin pointer: a message
/// is in every finding and related location.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template(Arc<Vec<Piece>>);

impl Template {
    pub fn new(pieces: Vec<Piece>) -> Template {
        Template(Arc::new(pieces))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Which template this is: one address per template while it lives.
    pub(super) fn address(&self) -> usize {
        Arc::as_ptr(&self.0) as usize
    }
}

/// The text of a finding or related location: plain, or a template with its values.
#[derive(Clone)]
pub struct Message {
    template: Option<Template>,
    /// The plain text; with a template, its values, each as `length:value` (the length in
    /// bytes, in decimal), in the order of the holes.
    text: Box<str>,
}

/// Fills the holes of a template one value at a time.
pub struct Filling {
    template: Template,
    values: String,
}

impl Filling {
    /// Append the next hole's value.
    pub fn push(&mut self, value: &str) {
        use fmt::Write;
        // Writing to a String cannot fail.
        let _ = write!(self.values, "{}:", value.len());
        self.values.push_str(value);
    }

    /// Append the next hole's value, cut in the middle when long as
    /// [`super::push_quoted`] cuts it.
    pub fn push_quoted(&mut self, value: &str) {
        if value.len() <= super::MAX_QUOTED {
            self.push(value);
        } else {
            self.push(&super::quoted(value));
        }
    }

    pub fn finish(self) -> Message {
        Message {
            template: Some(self.template),
            text: self.values.into_boxed_str(),
        }
    }
}

impl Message {
    pub fn plain(text: impl Into<Box<str>>) -> Message {
        Message {
            template: None,
            text: text.into(),
        }
    }

    pub fn fill(template: &Template) -> Filling {
        Filling {
            template: template.clone(),
            values: String::new(),
        }
    }

    /// The template and the plain text or values, for [`super::packed`].
    pub(super) fn parts(&self) -> (Option<&Template>, &str) {
        (self.template.as_ref(), &self.text)
    }

    /// A message from what [`Message::parts`] gave.
    pub(super) fn from_parts(template: Option<Template>, text: Box<str>) -> Message {
        Message { template, text }
    }

    /// The pieces of the text in order (literal text and values).
    fn pieces(&self) -> Pieces<'_> {
        Pieces {
            template: self.template.as_ref().map(|t| &t.0[..]),
            values: &self.text,
            plain: false,
        }
    }

    /// The text, borrowed when the message is plain.
    pub fn text(&self) -> Cow<'_, str> {
        match self.template {
            None => Cow::Borrowed(&self.text),
            Some(_) => Cow::Owned(self.to_string()),
        }
    }

    pub fn contains(&self, needle: &str) -> bool {
        self.text().contains(needle)
    }
}

/// The literal pieces and values of a message, in order.
struct Pieces<'a> {
    /// The template pieces not yet written; `None` for a plain message.
    template: Option<&'a [Piece]>,
    /// Plain text, or the values not yet written.
    values: &'a str,
    /// Whether the plain text was written.
    plain: bool,
}

impl<'a> Iterator for Pieces<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let Some(pieces) = self.template.as_mut() else {
            if self.plain {
                return None;
            }
            self.plain = true;
            return Some(self.values);
        };
        let (first, rest) = pieces.split_first()?;
        *pieces = rest;
        match first {
            Piece::Text(t) => Some(t),
            Piece::Hole => {
                // The values were written by `Filling::push`: a length, `:`, that many bytes.
                let (length, rest) = self.values.split_once(':')?;
                let length: usize = length.parse().ok()?;
                let value = rest.get(..length)?;
                self.values = &rest[length..];
                Some(value)
            }
        }
    }
}

impl fmt::Display for Message {
    /// The text written piece by piece, straight into the output.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.pieces().try_for_each(|p| f.write_str(p))
    }
}

impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.text(), f)
    }
}

impl PartialEq for Message {
    fn eq(&self, other: &Message) -> bool {
        // Two messages of one template (or two plain ones) are equal when their values are:
        // no need to compare the template's text with itself.
        let same_shape = match (&self.template, &other.template) {
            (Some(a), Some(b)) => Arc::ptr_eq(&a.0, &b.0),
            (None, None) => true,
            _ => false,
        };
        if same_shape {
            return self.text == other.text;
        }
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Message {}

impl PartialOrd for Message {
    fn partial_cmp(&self, other: &Message) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Message {
    /// The order of the texts, compared piece by piece without rendering them.
    fn cmp(&self, other: &Message) -> Ordering {
        let mut left = self.pieces().flat_map(str::bytes);
        let mut right = other.pieces().flat_map(str::bytes);
        loop {
            match (left.next(), right.next()) {
                (None, None) => return Ordering::Equal,
                (a, b) if a != b => return a.cmp(&b),
                _ => {}
            }
        }
    }
}

impl PartialEq<str> for Message {
    fn eq(&self, other: &str) -> bool {
        self.pieces().flat_map(str::bytes).eq(other.bytes())
    }
}

impl PartialEq<&str> for Message {
    fn eq(&self, other: &&str) -> bool {
        *self == **other
    }
}

impl From<String> for Message {
    fn from(text: String) -> Message {
        Message::plain(text)
    }
}

impl From<&str> for Message {
    fn from(text: &str) -> Message {
        Message::plain(text)
    }
}

impl serde::Serialize for Message {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template() -> Template {
        Template::new(vec![
            Piece::Hole,
            Piece::Text(" is homed on ".into()),
            Piece::Hole,
            Piece::Text(": no such pool".into()),
        ])
    }

    fn message(values: &[&str]) -> Message {
        let mut filling = Message::fill(&template());
        for v in values {
            filling.push(v);
        }
        filling.finish()
    }

    #[test]
    fn a_template_is_written_with_its_values() {
        let m = message(&["sip:ken@contoso.com", "pool1:5061"]);
        assert_eq!(
            m.to_string(),
            "sip:ken@contoso.com is homed on pool1:5061: no such pool"
        );
        assert_eq!(m.text(), m.to_string());
    }

    #[test]
    fn values_holding_the_separator_or_nothing_are_kept_whole() {
        let m = message(&["12:ab:", ""]);
        assert_eq!(m.to_string(), "12:ab: is homed on : no such pool");
    }

    #[test]
    fn long_values_are_cut_as_quoted_cuts_them() {
        let long = "x".repeat(1000);
        let mut filling = Message::fill(&template());
        filling.push_quoted(&long);
        filling.push_quoted("pool1");
        let expected = format!(
            "{} is homed on pool1: no such pool",
            super::super::quoted(&long)
        );
        assert_eq!(filling.finish().to_string(), expected);
    }

    #[test]
    fn messages_compare_by_their_text() {
        let templated = message(&["a", "b"]);
        let plain = Message::plain("a is homed on b: no such pool");
        assert_eq!(templated, plain);
        assert!(templated == "a is homed on b: no such pool");
        let shared = template();
        let of_shared = |values: &[&str]| {
            let mut filling = Message::fill(&shared);
            values.iter().for_each(|v| filling.push(v));
            filling.finish()
        };
        assert_eq!(of_shared(&["a", "b"]), of_shared(&["a", "b"]));
        assert_ne!(of_shared(&["a", "b"]), of_shared(&["ab", ""]));
        assert_eq!(of_shared(&["a", "b"]), message(&["a", "b"]));
        assert!(message(&["a", "b"]) < message(&["a", "c"]));
        assert!(message(&["a", "b"]) < Message::plain("b"));
        assert!(Message::plain("a") < Message::plain("ab"));
        assert_eq!(
            serde_json::to_string(&templated).ok().as_deref(),
            Some("\"a is homed on b: no such pool\"")
        );
    }
}
