//! **Parsing** one rule file: TOML into the [`Rule`] model, every expression parsed, every
//! mistake reported at once with its span in the file.
//!
//! An expression's **base** is the file offset of its first character, so that spans inside
//! the expression map back into the rule file (**exact** when no escape shifts them).

use std::sync::Arc;

use crate::finding::Severity;

use super::file::RuleFile;
use super::model::{ExprSource, Rule, Shape, TemplatePart};
use super::MAX_EXPR_DEPTH;
use crate::located::LocatedError;
use crate::located::SourceText;

/// Whether `url` is a web address (`https:` or `http:`): the only links a rule pack may give,
/// since the HTML report renders them (a `javascript:` URL would run in the reader's browser).
pub fn is_web_url(url: &str) -> bool {
    let url = url.trim_start().to_ascii_lowercase();
    (url.starts_with("https://") || url.starts_with("http://"))
        && !url.chars().any(char::is_control)
}

/// Offset of the content of the TOML string value at `span` and whether it maps exactly.
fn content_start(text: &str, span: &std::ops::Range<usize>) -> (usize, bool) {
    let raw = text.get(span.clone()).unwrap_or("");
    if let Some(rest) = raw.strip_prefix("'''") {
        let skip = if rest.starts_with("\r\n") {
            2
        } else {
            usize::from(rest.starts_with('\n'))
        };
        (span.start + 3 + skip, true)
    } else if raw.starts_with('\'') {
        (span.start + 1, true)
    } else if let Some(rest) = raw.strip_prefix("\"\"\"") {
        let skip = if rest.starts_with("\r\n") {
            2
        } else {
            usize::from(rest.starts_with('\n'))
        };
        (span.start + 3 + skip, !raw.contains('\\'))
    } else {
        (span.start + 1, !raw.contains('\\'))
    }
}

/// One rule file being parsed: its source, the expressions parsed so far (numbered in the
/// order they are met) and the mistakes found so far.
struct Parsing<'s> {
    source: &'s SourceText,
    exprs: Vec<ExprSource>,
    errors: Vec<LocatedError>,
}

impl Parsing<'_> {
    /// Parse the expression given as the TOML string `value` (the rule's `what`), returning
    /// its number.
    fn add(&mut self, what: String, value: &toml::Spanned<String>) -> usize {
        let span = value.span();
        let (base, exact) = content_start(&self.source.text, &span);
        let mut es = ExprSource {
            what,
            text: value.get_ref().clone(),
            base,
            exact,
            value_span: span,
            expr: None,
        };
        parse_into(
            self.source,
            &mut es,
            value.get_ref(),
            Some("split it into `let` bindings".into()),
            &mut self.errors,
        );
        self.exprs.push(es);
        self.exprs.len() - 1
    }

    fn template(&mut self, what: &str, value: &toml::Spanned<String>) -> Vec<TemplatePart> {
        template(self.source, what, value, &mut self.exprs, &mut self.errors)
    }
}

/// Parse `text` into `es.expr`, or record why it does not parse (`deep_help`: the help given
/// when it nests too deeply).
fn parse_into(
    source: &SourceText,
    es: &mut ExprSource,
    text: &str,
    deep_help: Option<String>,
    errors: &mut Vec<LocatedError>,
) {
    match crate::expr::parse(text) {
        Ok(expr) if crate::expr::ast::depth(&expr) > MAX_EXPR_DEPTH => errors.push(es.error(
            source,
            expr.span.clone(),
            format!("expression nested too deeply (more than {MAX_EXPR_DEPTH} levels)"),
            deep_help,
        )),
        Ok(expr) => es.expr = Some(expr),
        Err(e) => errors.push(es.error(source, e.span.clone(), e.message.clone(), e.help.clone())),
    }
}

/// The numbers of a rule's expressions, by the key that holds them.
struct Slots {
    bindings: Vec<(String, usize)>,
    where_: Option<usize>,
    assert: Option<usize>,
    unique: Option<usize>,
    group_by: Option<usize>,
    at: Option<usize>,
    message: Vec<TemplatePart>,
    related: Vec<(usize, Vec<TemplatePart>)>,
}

impl Slots {
    /// Parse every expression of `parsed`, in the order of the file's keys.
    fn parse(p: &mut Parsing<'_>, parsed: &RuleFile) -> Slots {
        let mut bindings = Vec::new();
        for (name, value) in &parsed.bindings {
            let i = p.add(format!("let.{name}"), value);
            bindings.push((name.clone(), i));
        }
        let where_ = parsed.where_.as_ref().map(|w| p.add("where".into(), w));
        let assert = parsed.assert.as_ref().map(|a| p.add("assert".into(), a));
        let unique = parsed.unique.as_ref().map(|u| p.add("unique".into(), u));
        let group_by = parsed
            .group_by
            .as_ref()
            .map(|g| p.add("group-by".into(), g));
        let at = parsed.at.as_ref().map(|a| p.add("at".into(), a));
        let message = p.template("message", &parsed.message);
        let mut related = Vec::new();
        for (i, r) in parsed.related.iter().enumerate() {
            let at = p.add(format!("related[{i}].at"), &r.at);
            let msg = match &r.message {
                Some(m) => p.template(&format!("related[{i}].message"), m),
                None => Vec::new(),
            };
            related.push((at, msg));
        }
        Slots {
            bindings,
            where_,
            assert,
            unique,
            group_by,
            at,
            message,
            related,
        }
    }
}

pub(super) fn load_rule(
    pack: &str,
    file_name: &str,
    source: SourceText,
) -> Result<Rule, Vec<LocatedError>> {
    let parsed: RuleFile =
        toml::from_str(&source.text).map_err(|e| vec![LocatedError::toml(&source, &e)])?;
    let mut p = Parsing {
        source: &source,
        exprs: Vec::new(),
        errors: Vec::new(),
    };
    let severity = severity(&source, &parsed, &mut p.errors);
    let code = code(&source, &parsed, &mut p.errors);
    let slots = Slots::parse(&mut p, &parsed);
    let Parsing {
        exprs, mut errors, ..
    } = p;
    let shape = shape(&source, &parsed, &mut errors);
    check_shape(&source, &parsed, &shape, slots.assert, &mut errors);
    let (profiles, targets) = profiles_and_targets(&source, &parsed, &mut errors);
    if let (Some(group_by), false) = (&parsed.group_by, matches!(shape, Shape::Rows(_))) {
        errors.push(LocatedError::at_value(
            &source,
            group_by.span(),
            "`group-by` groups the rows of a row rule: it needs `table` (and no `unique`)".into(),
            None,
        ));
    }
    let stem = file_name.trim_end_matches(".toml");
    if stem.is_empty() {
        errors.push(LocatedError::plain(format!(
            "{}: empty rule file name",
            source.name
        )));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let names = |list: &[toml::Spanned<String>]| list.iter().map(|t| t.get_ref().clone()).collect();
    Ok(Rule {
        code: Arc::from(code.as_str()),
        title: parsed.title,
        severity,
        help: Arc::from(parsed.help.as_str()),
        doc: parsed.doc,
        pack: pack.to_string(),
        source,
        profiles,
        targets,
        shape,
        exprs,
        bindings: slots.bindings,
        where_: slots.where_,
        assert: slots.assert,
        unique: slots.unique,
        group_by: slots.group_by,
        optional_tables: names(&parsed.optional_tables),
        optional_columns: names(&parsed.optional_columns),
        at: slots.at,
        message: slots.message,
        related: slots.related,
        examples: parsed.examples,
    })
}

/// The rule's severity (`error` standing in for an unknown one, reported).
fn severity(source: &SourceText, parsed: &RuleFile, errors: &mut Vec<LocatedError>) -> Severity {
    match Severity::parse(parsed.severity.get_ref()) {
        Some(s) => s,
        None => {
            errors.push(LocatedError::at_value(
                source,
                parsed.severity.span(),
                format!("unknown severity `{}`", parsed.severity.get_ref()),
                Some("use `error`, `warning` or `info`".into()),
            ));
            Severity::Error
        }
    }
}

/// The rule's code, checked, and its `[doc] url`, checked.
fn code(source: &SourceText, parsed: &RuleFile, errors: &mut Vec<LocatedError>) -> String {
    let code = parsed.code.get_ref().trim().to_string();
    if code.is_empty()
        || !code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        errors.push(LocatedError::at_value(
            source,
            parsed.code.span(),
            "a rule code is letters and digits, e.g. `PC001`".into(),
            None,
        ));
    }
    if let Some(url) = parsed.doc.url.as_deref() {
        if !is_web_url(url) {
            errors.push(LocatedError::plain(format!(
                "{}: [doc] url `{}` must be an https: (or http:) address",
                source.name,
                crate::visible::visible(url)
            )));
        }
    }
    code
}

/// What the rule iterates, from `table`, `tables` and `unique`.
fn shape(source: &SourceText, parsed: &RuleFile, errors: &mut Vec<LocatedError>) -> Shape {
    match (&parsed.table, &parsed.unique, parsed.tables.is_empty()) {
        (Some(t), None, true) => Shape::Rows(t.get_ref().clone()),
        (table, Some(unique), _) => {
            let mut kinds: Vec<String> =
                parsed.tables.iter().map(|t| t.get_ref().clone()).collect();
            if let Some(t) = table {
                kinds.insert(0, t.get_ref().clone());
            }
            if kinds.is_empty() {
                errors.push(LocatedError::at_value(
                    source,
                    unique.span(),
                    "a `unique` rule needs `table` or `tables`".into(),
                    None,
                ));
            }
            Shape::Unique(kinds)
        }
        (None, None, true) => Shape::Whole,
        (_, None, false) => {
            errors.push(LocatedError::at_value(
                source,
                parsed.tables[0].span(),
                "`tables` is for `unique` rules; a row rule names one `table`".into(),
                None,
            ));
            Shape::Whole
        }
    }
}

/// Whether the rule has an `assert` exactly when its shape needs one.
fn check_shape(
    source: &SourceText,
    parsed: &RuleFile,
    shape: &Shape,
    assert: Option<usize>,
    errors: &mut Vec<LocatedError>,
) {
    match (shape, assert) {
        (Shape::Unique(_), Some(_)) => errors.push(LocatedError::at_value(
            source,
            parsed.assert.as_ref().map_or(0..0, |a| a.span()),
            "a `unique` rule has no `assert`".into(),
            None,
        )),
        (Shape::Rows(_) | Shape::Whole, None) => errors.push(LocatedError::at_value(
            source,
            parsed.message.span(),
            "this rule has no `assert` (what must hold)".into(),
            Some("add `assert = '…'`, or `unique = '…'` for a uniqueness rule".into()),
        )),
        _ => {}
    }
}

/// The rule's profiles and targets, and its examples' targets, checked: a typo would
/// silently never run the rule.
fn profiles_and_targets(
    source: &SourceText,
    parsed: &RuleFile,
    errors: &mut Vec<LocatedError>,
) -> (Vec<String>, Vec<crate::target::Target>) {
    let mut profiles = Vec::new();
    for p in &parsed.profiles {
        match crate::target::parse_profile(p) {
            Ok(p) => profiles.push(p.to_string()),
            Err(e) => errors.push(LocatedError::plain(format!("{}: {e}", source.name))),
        }
    }
    let mut targets = Vec::new();
    for t in &parsed.targets {
        match crate::target::Target::parse(t) {
            Ok(t) => targets.push(t),
            Err(e) => errors.push(LocatedError::plain(format!("{}: {e}", source.name))),
        }
    }
    for example in &parsed.examples {
        if let Some(Err(e)) = example.target.as_deref().map(crate::target::Target::parse) {
            errors.push(LocatedError::plain(format!(
                "{}: example `{}`: {e}",
                source.name, example.name
            )));
        }
    }
    (profiles, targets)
}

/// Split a message template into text and `{expression}` placeholders (`{{`/`}}` escape).
fn template(
    source: &SourceText,
    what: &str,
    value: &toml::Spanned<String>,
    exprs: &mut Vec<ExprSource>,
    errors: &mut Vec<LocatedError>,
) -> Vec<TemplatePart> {
    let text = value.get_ref();
    let span = value.span();
    let (base, exact) = content_start(&source.text, &span);
    let source_at = |text: String, base: usize| ExprSource {
        what: what.into(),
        text,
        base,
        exact,
        value_span: span.clone(),
        expr: None,
    };
    let mut segments = Vec::new();
    let mut literal = String::new();
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '{' if chars.peek().is_some_and(|(_, n)| *n == '{') => {
                chars.next();
                literal.push('{');
            }
            '}' if chars.peek().is_some_and(|(_, n)| *n == '}') => {
                chars.next();
                literal.push('}');
            }
            '{' => {
                let Some(end) = closing_brace(&mut chars) else {
                    errors.push(source_at(text.clone(), base).error(
                        source,
                        i..text.len(),
                        "unclosed `{` in the message".into(),
                        Some("write `{{` for a literal brace".into()),
                    ));
                    return segments;
                };
                if !literal.is_empty() {
                    segments.push(TemplatePart::Text(std::mem::take(&mut literal)));
                }
                let inner = &text[i + 1..end];
                let mut es = source_at(inner.to_string(), base + i + 1);
                parse_into(source, &mut es, inner, None, errors);
                exprs.push(es);
                segments.push(TemplatePart::Expr(exprs.len() - 1));
            }
            c => literal.push(c),
        }
    }
    if !literal.is_empty() {
        segments.push(TemplatePart::Text(literal));
    }
    segments
}

/// The offset of the `}` closing a placeholder, skipping braces inside string literals.
fn closing_brace(chars: &mut impl Iterator<Item = (usize, char)>) -> Option<usize> {
    let mut quote: Option<char> = None;
    for (j, d) in chars {
        match (quote, d) {
            (Some(q), d) if d == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(d),
            (None, '}') => return Some(j),
            _ => {}
        }
    }
    None
}
