//! **Rules**, **packs** and the **RuleSet** of a run.
//!
//! A rule is one TOML file under `rules/<pack>/` (see [`mod@file`]); a pack is a folder of rules
//! plus its `tables.toml` (table declarations and value maps). The shipped packs are embedded
//! in the binary. Loading parses every file and every expression and reports *all* mistakes
//! at once as [`RuleError`]s with spans inside the rule file; [`Rule::compile`] then binds
//! the expressions to the kinds and headers of the inventory.

pub mod error;
pub mod file;
pub mod tables;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::expr::ast::Expr;
use crate::expr::compile::{
    ColumnId, Compiler, KeyInfo, KindId, KindInfo, MapInfo, Node, RowPredicate, Schema,
};
use crate::finding::Severity;
use crate::inventory::decl::{KnownDecl, TableDecl, TablesFile};
use crate::inventory::Inventory;
pub use error::RuleError;

/// The migration phases a rule can belong to (`profiles = [...]` in a rule file, `--profile`).
pub const PROFILES: &[&str] = &crate::target::PROFILE_NAMES;
use file::{Doc, Example, RuleFile};
pub use tables::tables_reference;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded_rules.rs"));
}

/// Deepest expression tree accepted: compiling and evaluating recurse over the tree, and a
/// 1 MB `a && a && …` chain must be an error, not a stack overflow.
pub const MAX_EXPR_DEPTH: usize = 256;

/// One source text of a rule file, with where its expressions start.
#[derive(Debug, Clone)]
pub struct RuleSource {
    /// Display name (`rules/persistent-chat/client-needs-2013-home.toml` or `<embedded>/…`).
    pub name: Arc<str>,
    pub text: Arc<str>,
}

/// One expression of a rule and where it sits in the rule file.
#[derive(Debug, Clone)]
pub struct ExprSource {
    pub what: String,
    pub text: String,
    /// File offset of the expression's first character.
    pub base: usize,
    /// False when offsets inside the expression do not map one to one (escapes).
    pub exact: bool,
    /// Span of the whole TOML value.
    pub value_span: std::ops::Range<usize>,
    pub expr: Option<Expr>,
}

/// A part of a message template.
#[derive(Debug, Clone)]
pub enum Segment {
    Text(String),
    /// Index into the rule's expression sources.
    Expr(usize),
}

/// What a rule iterates.
#[derive(Debug, Clone)]
pub enum Shape {
    /// Row by row over one table kind.
    Rows(String),
    /// Uniqueness of an expression over one or more table kinds.
    Unique(Vec<String>),
    /// Once over the whole inventory.
    Whole,
}

/// A loaded (parsed, not yet compiled) rule.
#[derive(Debug, Clone)]
pub struct Rule {
    pub code: Arc<str>,
    pub title: String,
    pub severity: Severity,
    pub help: Arc<str>,
    pub doc: Doc,
    pub pack: String,
    pub source: RuleSource,
    pub profiles: Vec<String>,
    /// Targets the rule is for (empty: every target, and none).
    pub targets: Vec<crate::target::Target>,
    pub shape: Shape,
    pub exprs: Vec<ExprSource>,
    pub bindings: Vec<(String, usize)>,
    pub where_: Option<usize>,
    pub assert: Option<usize>,
    pub unique: Option<usize>,
    /// `group-by`: one finding per distinct value (row rules only).
    pub group_by: Option<usize>,
    /// Kinds the rule runs without (`optional-tables`).
    pub optional_tables: Vec<String>,
    /// Columns of the checked table a file may lack (`optional-columns`).
    pub optional_columns: Vec<String>,
    pub at: Option<usize>,
    pub message: Vec<Segment>,
    pub related: Vec<(usize, Vec<Segment>)>,
    pub examples: Vec<Example>,
}

/// A pack: its name, its table declarations and maps, its rules.
#[derive(Debug, Clone, Default)]
pub struct Pack {
    pub name: String,
    pub tables: TablesFile,
    pub rules: Vec<Rule>,
}

/// Every loaded pack of a run.
#[derive(Debug, Default)]
pub struct RuleSet {
    pub packs: Vec<Pack>,
}

impl RuleSet {
    /// Load the embedded packs (when `defaults`) and the packs in `dirs`. A directory holding
    /// `tables.toml` or `*.toml` rules directly is one pack; otherwise each sub-folder is.
    pub fn load(defaults: bool, dirs: &[PathBuf]) -> Result<RuleSet, Vec<RuleError>> {
        let mut files = embedded_files(defaults);
        let mut errors = Vec::new();
        for dir in dirs {
            match read_pack_dir(dir) {
                Ok(found) => files.extend(found),
                Err(e) => errors.push(*e),
            }
        }
        RuleSet::from_files(files, errors)
    }

    /// Load the embedded packs (when `defaults`) plus rule files given as text:
    /// `(pack, file name, text)`, a file named `tables.toml` holding declarations. For tools
    /// and fuzzing, which have no folder of rules.
    pub fn load_texts(
        defaults: bool,
        texts: &[(&str, &str, &str)],
    ) -> Result<RuleSet, Vec<RuleError>> {
        let mut files = embedded_files(defaults);
        files.extend(texts.iter().map(|(pack, name, text)| {
            (
                pack.to_string(),
                name.to_string(),
                RuleSource {
                    name: Arc::from(format!("{pack}/{name}").as_str()),
                    text: Arc::from(*text),
                },
            )
        }));
        RuleSet::from_files(files, Vec::new())
    }

    fn from_files(
        files: Vec<(String, String, RuleSource)>,
        mut errors: Vec<RuleError>,
    ) -> Result<RuleSet, Vec<RuleError>> {
        let mut packs: BTreeMap<String, Pack> = BTreeMap::new();
        let mut order: Vec<String> = Vec::new();
        for (pack_name, name, source) in files {
            if !order.contains(&pack_name) {
                order.push(pack_name.clone());
            }
            let pack = packs.entry(pack_name.clone()).or_insert_with(|| Pack {
                name: pack_name.clone(),
                ..Pack::default()
            });
            if name == "tables.toml" || name.ends_with("/tables.toml") {
                match toml::from_str::<TablesFile>(&source.text) {
                    Ok(tables) => {
                        pack.tables.table.extend(tables.table);
                        pack.tables.maps.extend(tables.maps);
                        pack.tables.known.extend(tables.known);
                    }
                    Err(e) => errors.push(RuleError::toml(&source, &e)),
                }
                continue;
            }
            match load_rule(&pack_name, &name, source) {
                Ok(rule) => pack.rules.push(rule),
                Err(mut e) => errors.append(&mut e),
            }
        }
        let set = RuleSet {
            packs: order.into_iter().filter_map(|n| packs.remove(&n)).collect(),
        };
        // Codes are unique across the run.
        let mut seen: BTreeMap<&str, &Rule> = BTreeMap::new();
        for rule in set.rules() {
            if let Some(first) = seen.insert(&rule.code, rule) {
                errors.push(RuleError::at_value(
                    &rule.source,
                    0..0,
                    format!(
                        "rule code `{}` is already used by {}",
                        rule.code, first.source.name
                    ),
                    Some("codes are stable and never reused: pick a new one".into()),
                ));
            }
        }
        if errors.is_empty() {
            Ok(set)
        } else {
            Err(errors)
        }
    }

    pub fn rules(&self) -> impl Iterator<Item = &Rule> {
        self.packs.iter().flat_map(|p| p.rules.iter())
    }

    /// The codes of every rule, in pack order.
    pub fn codes(&self) -> impl Iterator<Item = &str> {
        self.rules().map(|r| &*r.code)
    }

    pub fn rule(&self, code: &str) -> Option<&Rule> {
        self.rules().find(|r| r.code.eq_ignore_ascii_case(code))
    }

    /// All table declarations, first declaration of a kind winning.
    pub fn decls(&self) -> Vec<TableDecl> {
        let mut out: Vec<TableDecl> = Vec::new();
        for pack in &self.packs {
            for decl in &pack.tables.table {
                if !out.iter().any(|d| d.kind == decl.kind) {
                    out.push(decl.clone());
                }
            }
        }
        out
    }

    /// Every pack's `[[known]]` shapes (cmdlet outputs recognised but not read yet).
    pub fn known(&self) -> Vec<KnownDecl> {
        self.packs
            .iter()
            .flat_map(|p| p.tables.known.iter().cloned())
            .collect()
    }

    pub fn maps(&self) -> BTreeMap<String, BTreeMap<String, String>> {
        let mut out = BTreeMap::new();
        for pack in &self.packs {
            for (name, map) in &pack.tables.maps {
                out.entry(name.clone()).or_insert_with(|| map.clone());
            }
        }
        out
    }
}

/// The embedded rule files as `(pack, file name, source)`; only the table declarations when
/// not `defaults`.
fn embedded_files(defaults: bool) -> Vec<(String, String, RuleSource)> {
    let mut files = Vec::new();
    for (path, text) in embedded::EMBEDDED {
        let (pack, name) = path.split_once('/').unwrap_or(("default", path));
        if !defaults && !name.ends_with("tables.toml") {
            continue;
        }
        files.push((
            pack.to_string(),
            name.to_string(),
            RuleSource {
                name: Arc::from(format!("<embedded>/{path}").as_str()),
                text: Arc::from(*text),
            },
        ));
    }
    files
}

fn read_pack_dir(dir: &Path) -> Result<Vec<(String, String, RuleSource)>, Box<RuleError>> {
    let is_pack = |d: &Path| {
        std::fs::read_dir(d)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .any(|e| e.path().extension().is_some_and(|x| x == "toml"))
            })
            .unwrap_or(false)
    };
    let mut packs: Vec<PathBuf> = Vec::new();
    if is_pack(dir) {
        packs.push(dir.to_path_buf());
    } else {
        let entries = std::fs::read_dir(dir).map_err(|e| {
            Box::new(RuleError::plain(format!(
                "cannot read rule folder `{}`: {e}",
                dir.display()
            )))
        })?;
        let mut subdirs: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect();
        subdirs.sort();
        packs.extend(subdirs.into_iter().filter(|d| is_pack(d)));
        if packs.is_empty() {
            return Err(Box::new(RuleError::plain(format!(
                "no rule files (*.toml) in `{}`",
                dir.display()
            ))));
        }
    }
    let mut out = Vec::new();
    for pack in packs {
        let pack_name = pack
            .file_name()
            .map_or_else(|| "rules".into(), |n| n.to_string_lossy().into_owned());
        let mut entries: Vec<PathBuf> = std::fs::read_dir(&pack)
            .map_err(|e| {
                Box::new(RuleError::plain(format!(
                    "cannot read rule folder `{}`: {e}",
                    pack.display()
                )))
            })?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        entries.sort();
        for path in entries {
            let display = path.to_string_lossy().replace('\\', "/");
            let text =
                crate::files::read_text_capped(&path, crate::files::MAX_TEXT_FILE, "rule file")
                    .map_err(|e| Box::new(RuleError::plain(e)))?;
            let name = path
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
            out.push((
                pack_name.clone(),
                name,
                RuleSource {
                    name: Arc::from(display.as_str()),
                    text: Arc::from(text.as_str()),
                },
            ));
        }
    }
    Ok(out)
}

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

fn load_rule(pack: &str, file_name: &str, source: RuleSource) -> Result<Rule, Vec<RuleError>> {
    let parsed: RuleFile =
        toml::from_str(&source.text).map_err(|e| vec![RuleError::toml(&source, &e)])?;
    let mut errors = Vec::new();
    let mut exprs: Vec<ExprSource> = Vec::new();
    let add = |what: String,
               value: &toml::Spanned<String>,
               exprs: &mut Vec<ExprSource>,
               errors: &mut Vec<RuleError>|
     -> usize {
        let span = value.span();
        let (base, exact) = content_start(&source.text, &span);
        let mut es = ExprSource {
            what,
            text: value.get_ref().clone(),
            base,
            exact,
            value_span: span,
            expr: None,
        };
        match crate::expr::parse(&es.text) {
            Ok(expr) if crate::expr::ast::depth(&expr) > MAX_EXPR_DEPTH => {
                errors.push(RuleError::in_expr(
                    &source,
                    &es,
                    expr.span.clone(),
                    format!("expression nested too deeply (more than {MAX_EXPR_DEPTH} levels)"),
                    Some("split it into `let` bindings".into()),
                ))
            }
            Ok(expr) => es.expr = Some(expr),
            Err(e) => errors.push(RuleError::in_expr(
                &source,
                &es,
                e.span.clone(),
                e.message.clone(),
                e.help.clone(),
            )),
        }
        exprs.push(es);
        exprs.len() - 1
    };
    let severity = match Severity::parse(parsed.severity.get_ref()) {
        Some(s) => s,
        None => {
            errors.push(RuleError::at_value(
                &source,
                parsed.severity.span(),
                format!("unknown severity `{}`", parsed.severity.get_ref()),
                Some("use `error`, `warning` or `info`".into()),
            ));
            Severity::Error
        }
    };
    let code = parsed.code.get_ref().trim().to_string();
    if code.is_empty()
        || !code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        errors.push(RuleError::at_value(
            &source,
            parsed.code.span(),
            "a rule code is letters and digits, e.g. `PC001`".into(),
            None,
        ));
    }
    if let Some(url) = parsed.doc.url.as_deref() {
        if !is_web_url(url) {
            errors.push(RuleError::plain(format!(
                "{}: [doc] url `{}` must be an https: (or http:) address",
                source.name,
                crate::visible::visible(url)
            )));
        }
    }
    let mut bindings = Vec::new();
    for (name, value) in &parsed.bindings {
        let i = add(format!("let.{name}"), value, &mut exprs, &mut errors);
        bindings.push((name.clone(), i));
    }
    let where_ = parsed
        .where_
        .as_ref()
        .map(|w| add("where".into(), w, &mut exprs, &mut errors));
    let assert = parsed
        .assert
        .as_ref()
        .map(|a| add("assert".into(), a, &mut exprs, &mut errors));
    let unique = parsed
        .unique
        .as_ref()
        .map(|u| add("unique".into(), u, &mut exprs, &mut errors));
    let group_by = parsed
        .group_by
        .as_ref()
        .map(|g| add("group-by".into(), g, &mut exprs, &mut errors));
    let at = parsed
        .at
        .as_ref()
        .map(|a| add("at".into(), a, &mut exprs, &mut errors));
    let message = template(&source, "message", &parsed.message, &mut exprs, &mut errors);
    let mut related = Vec::new();
    for (i, r) in parsed.related.iter().enumerate() {
        let at = add(format!("related[{i}].at"), &r.at, &mut exprs, &mut errors);
        let msg = match &r.message {
            Some(m) => template(
                &source,
                &format!("related[{i}].message"),
                m,
                &mut exprs,
                &mut errors,
            ),
            None => Vec::new(),
        };
        related.push((at, msg));
    }
    let whole_span = 0..0;
    let shape = match (&parsed.table, &parsed.unique, parsed.tables.is_empty()) {
        (Some(t), None, true) => Shape::Rows(t.get_ref().clone()),
        (table, Some(_), _) => {
            let mut kinds: Vec<String> =
                parsed.tables.iter().map(|t| t.get_ref().clone()).collect();
            if let Some(t) = table {
                kinds.insert(0, t.get_ref().clone());
            }
            if kinds.is_empty() {
                errors.push(RuleError::at_value(
                    &source,
                    parsed
                        .unique
                        .as_ref()
                        .map_or(whole_span.clone(), |u| u.span()),
                    "a `unique` rule needs `table` or `tables`".into(),
                    None,
                ));
            }
            Shape::Unique(kinds)
        }
        (None, None, true) => Shape::Whole,
        (_, None, false) => {
            errors.push(RuleError::at_value(
                &source,
                parsed.tables[0].span(),
                "`tables` is for `unique` rules; a row rule names one `table`".into(),
                None,
            ));
            Shape::Whole
        }
    };
    match (&shape, assert) {
        (Shape::Unique(_), Some(_)) => errors.push(RuleError::at_value(
            &source,
            parsed.assert.as_ref().map_or(0..0, |a| a.span()),
            "a `unique` rule has no `assert`".into(),
            None,
        )),
        (Shape::Rows(_) | Shape::Whole, None) => errors.push(RuleError::at_value(
            &source,
            parsed.message.span(),
            "this rule has no `assert` (what must hold)".into(),
            Some("add `assert = '…'`, or `unique = '…'` for a uniqueness rule".into()),
        )),
        _ => {}
    }
    // Profile and target names are checked here: a typo would silently never run the rule.
    let mut profiles = Vec::new();
    for p in &parsed.profiles {
        match crate::target::parse_profile(p) {
            Ok(p) => profiles.push(p.to_string()),
            Err(e) => errors.push(RuleError::plain(format!("{}: {e}", source.name))),
        }
    }
    let mut targets = Vec::new();
    for t in &parsed.targets {
        match crate::target::Target::parse(t) {
            Ok(t) => targets.push(t),
            Err(e) => errors.push(RuleError::plain(format!("{}: {e}", source.name))),
        }
    }
    for example in &parsed.examples {
        if let Some(Err(e)) = example.target.as_deref().map(crate::target::Target::parse) {
            errors.push(RuleError::plain(format!(
                "{}: example `{}`: {e}",
                source.name, example.name
            )));
        }
    }
    if let (Some(group_by), false) = (&parsed.group_by, matches!(shape, Shape::Rows(_))) {
        errors.push(RuleError::at_value(
            &source,
            group_by.span(),
            "`group-by` groups the rows of a row rule: it needs `table` (and no `unique`)".into(),
            None,
        ));
    }
    let stem = file_name.trim_end_matches(".toml");
    if stem.is_empty() {
        errors.push(RuleError::plain(format!(
            "{}: empty rule file name",
            source.name
        )));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
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
        bindings,
        where_,
        assert,
        unique,
        group_by,
        optional_tables: parsed
            .optional_tables
            .iter()
            .map(|t| t.get_ref().clone())
            .collect(),
        optional_columns: parsed
            .optional_columns
            .iter()
            .map(|c| c.get_ref().clone())
            .collect(),
        at,
        message,
        related,
        examples: parsed.examples,
    })
}

/// Split a message template into text and `{expression}` placeholders (`{{`/`}}` escape).
fn template(
    source: &RuleSource,
    what: &str,
    value: &toml::Spanned<String>,
    exprs: &mut Vec<ExprSource>,
    errors: &mut Vec<RuleError>,
) -> Vec<Segment> {
    let text = value.get_ref();
    let span = value.span();
    let (base, exact) = content_start(&source.text, &span);
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
                // Find the closing brace outside string literals.
                let mut quote: Option<char> = None;
                let mut end = None;
                for (j, d) in chars.by_ref() {
                    match (quote, d) {
                        (Some(q), d) if d == q => quote = None,
                        (Some(_), _) => {}
                        (None, '"' | '\'') => quote = Some(d),
                        (None, '}') => {
                            end = Some(j);
                            break;
                        }
                        _ => {}
                    }
                }
                let Some(end) = end else {
                    let es = ExprSource {
                        what: what.into(),
                        text: text.clone(),
                        base,
                        exact,
                        value_span: span.clone(),
                        expr: None,
                    };
                    errors.push(RuleError::in_expr(
                        source,
                        &es,
                        i..text.len(),
                        "unclosed `{` in the message".into(),
                        Some("write `{{` for a literal brace".into()),
                    ));
                    return segments;
                };
                if !literal.is_empty() {
                    segments.push(Segment::Text(std::mem::take(&mut literal)));
                }
                let inner = &text[i + 1..end];
                let mut es = ExprSource {
                    what: what.into(),
                    text: inner.to_string(),
                    base: base + i + 1,
                    exact,
                    value_span: span.clone(),
                    expr: None,
                };
                match crate::expr::parse(inner) {
                    Ok(e) if crate::expr::ast::depth(&e) > MAX_EXPR_DEPTH => {
                        errors.push(RuleError::in_expr(
                            source,
                            &es,
                            e.span.clone(),
                            format!(
                                "expression nested too deeply (more than {MAX_EXPR_DEPTH} levels)"
                            ),
                            None,
                        ))
                    }
                    Ok(e) => es.expr = Some(e),
                    Err(e) => errors.push(RuleError::in_expr(
                        source,
                        &es,
                        e.span.clone(),
                        e.message.clone(),
                        e.help.clone(),
                    )),
                }
                exprs.push(es);
                segments.push(Segment::Expr(exprs.len() - 1));
            }
            c => literal.push(c),
        }
    }
    if !literal.is_empty() {
        segments.push(Segment::Text(literal));
    }
    segments
}

/// The columns of one family of kinds (a kind and its views): the declared ones, then the
/// header names of the family's files; and the aliases (lower-case) → column.
fn family_schema(
    members: &[&TableDecl],
    inventory: Option<&Inventory>,
) -> (Vec<String>, BTreeMap<String, ColumnId>) {
    let mut columns: Vec<String> = Vec::new();
    // Lower-case names already in `columns`: headers can have 100,000 columns.
    let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
    let mut push = |c: &str, columns: &mut Vec<String>| {
        if seen.insert(c.to_ascii_lowercase()) {
            columns.push(c.to_string());
        }
    };
    for decl in members {
        for c in decl
            .columns
            .iter()
            .chain(decl.aliases.keys())
            .chain(decl.required.iter())
            .chain(decl.signature.iter())
            .chain(decl.signature_any.iter())
            .chain(decl.identity.iter())
        {
            push(c, &mut columns);
        }
    }
    let mut aliases = BTreeMap::new();
    for decl in members {
        for (canonical, alts) in &decl.aliases {
            if let Some(i) = columns
                .iter()
                .position(|c| c.eq_ignore_ascii_case(canonical))
            {
                for a in alts {
                    aliases.entry(a.to_ascii_lowercase()).or_insert(i);
                }
            }
        }
    }
    if let Some(inv) = inventory {
        for file in inv.files.iter().filter(|f| {
            members
                .iter()
                .any(|d| f.kind.as_deref() == Some(d.kind.as_str()))
        }) {
            for h in file.header() {
                let h = h.trim();
                let known = members.iter().any(|d| d.canonical(h).is_some());
                if !known && !aliases.contains_key(&h.to_ascii_lowercase()) {
                    push(h, &mut columns);
                }
            }
        }
    }
    (columns, aliases)
}

/// Compile a declaration's row predicate (`rows`, `judged`) over the rows of `kind`: cells
/// and functions only, no lookups (it is evaluated before any index exists).
fn predicate(
    schema: &Schema,
    kind: KindId,
    decl: &TableDecl,
    what: &str,
    text: &toml::Spanned<String>,
    errors: &mut Vec<RuleError>,
) -> Option<RowPredicate> {
    let fail =
        |m: String| RuleError::plain(format!("table `{}`: `{what}` expression: {m}", decl.kind));
    let expr = match crate::expr::parse(text.get_ref()) {
        Ok(e) => e,
        Err(e) => {
            errors.push(fail(e.message));
            return None;
        }
    };
    let mut c = Compiler::new(schema, Some(kind), Vec::new());
    let compiled = c.condition(0, &expr);
    if let Some(e) = c.errors.first() {
        errors.push(fail(e.message.clone()));
        return None;
    }
    if !c.lookups_used.is_empty() || c.kinds_used.iter().any(|k| *k != kind) {
        errors.push(fail(
            "it may read only the row's own cells, not other tables".into(),
        ));
        return None;
    }
    Some(RowPredicate {
        node: compiled?.node,
        cache_slots: c.cache_slots,
        columns: c.columns_used.iter().map(|&(_, col)| col).collect(),
    })
}

/// The schema of a run: the declared kinds, with the columns of the inventory's headers.
pub fn build_schema(
    decls: &[TableDecl],
    maps: &BTreeMap<String, BTreeMap<String, String>>,
    inventory: Option<&Inventory>,
) -> (Schema, Vec<RuleError>) {
    let mut schema = Schema::default();
    let mut errors = Vec::new();
    // A view shares the columns of the kind it is a view of (its **family**), so that a
    // column number means the same cell in the base kind's files and in the view's own.
    let family: Vec<usize> = decls
        .iter()
        .enumerate()
        .map(|(i, decl)| {
            let Some(base) = &decl.view_of else { return i };
            match decls.iter().position(|d| d.kind.eq_ignore_ascii_case(base)) {
                Some(b) if decls[b].view_of.is_none() && b != i => b,
                _ => {
                    errors.push(RuleError::plain(format!(
                        "table `{}`: `view-of` names `{base}`, which is not a declared table \
                         (or is a view itself)",
                        decl.kind
                    )));
                    i
                }
            }
        })
        .collect();
    let mut family_columns: BTreeMap<usize, (Vec<String>, BTreeMap<String, ColumnId>)> =
        BTreeMap::new();
    for &root in &family {
        if family_columns.contains_key(&root) {
            continue;
        }
        let members: Vec<&TableDecl> = decls
            .iter()
            .zip(&family)
            .filter(|(_, f)| **f == root)
            .map(|(d, _)| d)
            .collect();
        family_columns.insert(root, family_schema(&members, inventory));
    }
    for (i, decl) in decls.iter().enumerate() {
        let (columns, aliases) = family_columns[&family[i]].clone();
        schema.kinds.push(KindInfo {
            name: decl.kind.clone(),
            columns,
            aliases,
            keys: Vec::new(),
            has_primary: decl.key.is_some(),
            base: (family[i] != i).then_some(family[i]),
            rows: None,
            judged: None,
            identity: Vec::new(),
        });
    }
    // Row predicates and identity columns, against the finished columns.
    for (kind, decl) in decls.iter().enumerate() {
        let on = family[kind];
        if let Some(rows) = decl.rows.as_ref().filter(|_| on != kind) {
            schema.kinds[kind].rows = predicate(&schema, on, decl, "rows", rows, &mut errors);
        }
        if let Some(judged) = &decl.judged {
            schema.kinds[kind].judged =
                predicate(&schema, kind, decl, "judged", judged, &mut errors);
        }
        let mut identity = Vec::new();
        for c in &decl.identity {
            match schema.column(kind, c) {
                Some(i) => identity.push(i),
                None => errors.push(RuleError::plain(format!(
                    "table `{}`: `identity` names unknown column `{c}`",
                    decl.kind
                ))),
            }
        }
        schema.kinds[kind].identity = identity;
    }
    // Keys next: their normalize expressions are compiled against the finished schema.
    for (kind, decl) in decls.iter().enumerate() {
        let all: Vec<(String, &crate::inventory::decl::KeyDecl)> = decl
            .key
            .iter()
            .map(|k| ("key".to_string(), k))
            .chain(decl.keys.iter().map(|(n, k)| (n.clone(), k)))
            .collect();
        let mut keys = Vec::new();
        for (name, key) in all {
            let mut columns = Vec::new();
            for c in &key.columns {
                match schema.column(kind, c) {
                    Some(i) => columns.push(i),
                    None => errors.push(RuleError::plain(format!(
                        "table `{}`: key `{name}` names unknown column `{c}`",
                        decl.kind
                    ))),
                }
            }
            let normalize = key.normalize.as_ref().and_then(|n| {
                let result = crate::expr::parse(n.get_ref())
                    .map_err(|e| e.message)
                    .and_then(|expr| {
                        let mut c = Compiler::for_normalize(&schema);
                        let compiled = c.compile(0, &expr);
                        match (compiled, c.errors.first()) {
                            (Some(compiled), None) => Ok(compiled.node),
                            (_, Some(e)) => Err(e.message.clone()),
                            (None, None) => Err("invalid expression".into()),
                        }
                    });
                result
                    .map_err(|m| {
                        errors.push(RuleError::plain(format!(
                            "table `{}`: key `{name}` normalize: {m}",
                            decl.kind
                        )))
                    })
                    .ok()
            });
            keys.push(KeyInfo {
                name,
                columns,
                normalize,
                ignore_case: key.ignore_case,
                split: key.split.clone().filter(|s| !s.is_empty()),
            });
        }
        schema.kinds[kind].keys = keys;
    }
    for (name, map) in maps {
        schema.maps.push(MapInfo {
            name: name.clone(),
            entries: map
                .iter()
                .map(|(k, v)| (k.trim().to_lowercase(), v.clone()))
                .collect(),
        });
    }
    (schema, errors)
}

/// A rule's expressions compiled for one table kind (or for the whole inventory).
#[derive(Debug)]
pub struct Program {
    pub this: Option<KindId>,
    pub bindings: Vec<Node>,
    pub cache_slots: usize,
    pub where_: Option<Node>,
    pub assert: Option<Node>,
    pub unique: Option<Node>,
    pub group_by: Option<Node>,
    pub at: Option<Node>,
    pub message: Vec<Part>,
    pub related: Vec<(Node, Vec<Part>)>,
    /// Kinds read (rule skipped when one is absent) and columns read per kind.
    pub kinds_used: Vec<KindId>,
    pub columns_used: Vec<(KindId, usize)>,
    /// The columns read by `where`, `assert` and `unique` (and the bindings they use): a file
    /// of the checked table lacking one of these is skipped.
    pub essential_columns: Vec<(KindId, usize)>,
    pub lookups_used: Vec<(KindId, usize)>,
}

#[derive(Debug)]
pub enum Part {
    Text(String),
    Expr(Node),
}

/// A rule compiled against the schema.
#[derive(Debug)]
pub struct CompiledRule {
    pub rule: Rule,
    /// One program per kind checked (one for row and whole rules, one per table for unique).
    pub programs: Vec<Program>,
}

impl Rule {
    /// Compile for `schema`. Errors carry spans in the rule file.
    pub fn compile(&self, schema: &Schema) -> Result<CompiledRule, Vec<RuleError>> {
        let kinds: Vec<Option<String>> = match &self.shape {
            Shape::Rows(k) => vec![Some(k.clone())],
            Shape::Unique(ks) => ks.iter().cloned().map(Some).collect(),
            Shape::Whole => vec![None],
        };
        let mut errors = Vec::new();
        for name in &self.optional_tables {
            if schema.kind(name).is_none() {
                errors.push(RuleError::at_value(
                    &self.source,
                    table_span(&self.source, name),
                    format!("unknown table `{name}` in `optional-tables`"),
                    None,
                ));
            }
        }
        let mut programs = Vec::new();
        for kind_name in kinds {
            let this = match &kind_name {
                Some(name) => match schema.kind(name) {
                    Some(k) => Some(k),
                    None => {
                        let names: Vec<&str> =
                            schema.kinds.iter().map(|k| k.name.as_str()).collect();
                        let help = crate::expr::compile::suggest(name, &names)
                            .map(|s| format!("did you mean `{s}`?"))
                            .or_else(|| Some(format!("declared tables: {}", names.join(", "))));
                        errors.push(RuleError::at_value(
                            &self.source,
                            table_span(&self.source, name),
                            format!("unknown table `{name}`"),
                            help,
                        ));
                        continue;
                    }
                },
                None => None,
            };
            match self.compile_for(schema, this) {
                Ok(p) => programs.push(p),
                Err(mut e) => errors.append(&mut e),
            }
        }
        if errors.is_empty() {
            Ok(CompiledRule {
                rule: self.clone(),
                programs,
            })
        } else {
            Err(errors)
        }
    }

    fn compile_for(
        &self,
        schema: &Schema,
        this: Option<KindId>,
    ) -> Result<Program, Vec<RuleError>> {
        let binding_exprs: Vec<(String, usize, Expr)> = self
            .bindings
            .iter()
            .filter_map(|(n, i)| Some((n.clone(), *i, self.exprs[*i].expr.clone()?)))
            .collect();
        let mut c = Compiler::new(schema, this, binding_exprs);
        let expr = |i: usize| self.exprs[i].expr.as_ref();
        let where_ = self
            .where_
            .and_then(|i| c.condition(i, expr(i)?))
            .map(|x| x.node);
        let assert = self
            .assert
            .and_then(|i| c.condition(i, expr(i)?))
            .map(|x| x.node);
        let unique = self.unique.and_then(|i| {
            let compiled = c.compile(i, expr(i)?)?;
            if !matches!(
                compiled.ty,
                crate::expr::Ty::Str | crate::expr::Ty::Num | crate::expr::Ty::Ver
            ) {
                c.errors.push(crate::expr::CompileError {
                    source: i,
                    span: expr(i)?.span.clone(),
                    message: "`unique` needs a value (text or number)".into(),
                    help: None,
                });
            }
            Some(compiled.node)
        });
        // Columns the rule cannot judge a row without; the rest (messages, related cells, the
        // primary cell) are optional: a file lacking them still gets checked.
        let mut essential: Vec<(KindId, usize)> = c.columns_used.iter().copied().collect();
        if let Some(kind) = this {
            for name in &self.optional_columns {
                match schema.column(kind, name) {
                    Some(column) => essential.retain(|&e| e != (kind, column)),
                    None => c.errors.push(crate::expr::CompileError {
                        source: self.assert.unwrap_or(0),
                        span: 0..0,
                        message: format!(
                            "`optional-columns` names `{name}`, not a column of `{}`",
                            schema.kinds[kind].name
                        ),
                        help: None,
                    }),
                }
            }
        }
        let group_by = self.group_by.and_then(|i| {
            let compiled = c.compile(i, expr(i)?)?;
            if matches!(
                compiled.ty,
                crate::expr::Ty::Row(_) | crate::expr::Ty::Rows(_)
            ) {
                c.errors.push(crate::expr::CompileError {
                    source: i,
                    span: expr(i)?.span.clone(),
                    message: "`group-by` needs a value (text or number), not rows".into(),
                    help: Some("name a column: `home.PoolFqdn`".into()),
                });
            }
            Some(compiled.node)
        });
        let cell = |c: &mut Compiler, i: usize| -> Option<Node> {
            let e = expr(i)?;
            let compiled = c.compile(i, e)?;
            if matches!(compiled.node, Node::Cell { .. }) {
                Some(compiled.node)
            } else {
                c.errors.push(crate::expr::CompileError { source: i, span: e.span.clone(), message: "this must name a cell: a column (`RegistrarPool`) or a column of a looked-up row (`home.Version`)".into(), help: None });
                None
            }
        };
        let at = self.at.and_then(|i| cell(&mut c, i));
        if this.is_none() && self.at.is_none() {
            c.errors.push(crate::expr::CompileError {
                source: self.assert.unwrap_or(0),
                span: 0..0,
                message: "a rule without `table` needs `at`: the cell to report".into(),
                help: None,
            });
        }
        let parts = |c: &mut Compiler, segs: &[Segment]| -> Vec<Part> {
            segs.iter()
                .filter_map(|s| match s {
                    Segment::Text(t) => Some(Part::Text(t.clone())),
                    Segment::Expr(i) => {
                        let compiled = c.compile(*i, expr(*i)?)?;
                        if matches!(
                            compiled.ty,
                            crate::expr::Ty::Row(_) | crate::expr::Ty::Rows(_)
                        ) {
                            c.errors.push(crate::expr::CompileError {
                                source: *i,
                                span: expr(*i)?.span.clone(),
                                message: "a message shows values, not rows: name a column".into(),
                                help: None,
                            });
                        }
                        Some(Part::Expr(compiled.node))
                    }
                })
                .collect()
        };
        c.group = self.group_by.is_some();
        let message = parts(&mut c, &self.message);
        let related = self
            .related
            .iter()
            .filter_map(|(at, msg)| {
                let node = cell(&mut c, *at)?;
                Some((node, parts(&mut c, msg)))
            })
            .collect();
        c.group = false;
        let bindings = c.finish_bindings();
        if !c.errors.is_empty() {
            let errors = c
                .errors
                .iter()
                .map(|e| {
                    RuleError::in_expr(
                        &self.source,
                        &self.exprs[e.source],
                        e.span.clone(),
                        e.message.clone(),
                        e.help.clone(),
                    )
                })
                .collect();
            return Err(errors);
        }
        let mut kinds_used: Vec<KindId> = c.kinds_used.iter().copied().chain(this).collect();
        kinds_used.sort_unstable();
        kinds_used.dedup();
        Ok(Program {
            this,
            bindings,
            cache_slots: c.cache_slots,
            where_,
            assert,
            unique,
            group_by,
            at,
            message,
            related,
            kinds_used,
            columns_used: c.columns_used.iter().copied().collect(),
            essential_columns: essential,
            lookups_used: c.lookups_used.iter().copied().collect(),
        })
    }
}

/// The span of `table = "name"` (or the name inside `tables`) in a rule file.
fn table_span(source: &RuleSource, name: &str) -> std::ops::Range<usize> {
    let quoted = [format!("\"{name}\""), format!("'{name}'")];
    quoted
        .iter()
        .find_map(|q| source.text.find(q.as_str()).map(|i| i..i + q.len()))
        .unwrap_or(0..0)
}

/// The rule reference (`docs/rules.md`), generated from the rule files.
pub fn reference_markdown(set: &RuleSet) -> String {
    use std::fmt::Write;
    let mut out = String::from("# Rule reference\n\nGenerated from the rule files by `invlint rules --markdown > docs/rules.md`; do not edit.\nBuilt-in checks of the CSV reader (`CSV001`–`CSV010`) are listed in the README.\n");
    for pack in &set.packs {
        if pack.rules.is_empty() {
            continue;
        }
        let _ = write!(
            out,
            "\n## Pack `{}`\n\n| code | severity | title |\n|---|---|---|\n",
            pack.name
        );
        let mut rules: Vec<&Rule> = pack.rules.iter().collect();
        rules.sort_by(|a, b| a.code.cmp(&b.code));
        for r in &rules {
            let _ = writeln!(
                out,
                "| [{}](#{}) | {} | {} |",
                r.code,
                r.code.to_lowercase(),
                r.severity,
                r.title
            );
        }
        for r in rules {
            let _ = write!(out, "\n### {}\n\n**{}** — {}", r.code, r.severity, r.title);
            let shape = match &r.shape {
                Shape::Rows(t) => format!("checks each row of `{t}`"),
                Shape::Unique(ts) => format!(
                    "uniqueness over {}",
                    ts.iter()
                        .map(|t| format!("`{t}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                Shape::Whole => "checks the whole inventory".into(),
            };
            let mut profiles = if r.profiles.is_empty() {
                String::new()
            } else {
                format!("; profiles: {}", r.profiles.join(", "))
            };
            if !r.targets.is_empty() {
                let names: Vec<&str> = r.targets.iter().map(|t| t.name()).collect();
                let _ = write!(profiles, "; targets: {}", names.join(", "));
            }
            let _ = write!(
                out,
                "\n\n*{shape}{profiles}; file `{}`*\n\n",
                r.source.name.trim_start_matches("<embedded>/")
            );
            let _ = write!(
                out,
                "**Why.** {}\n\n**Fix.** {}\n",
                r.doc.why.trim().replace('\n', " "),
                r.help.trim()
            );
            if let Some(url) = &r.doc.url {
                let _ = write!(out, "\n**Documentation.** <{url}>\n");
            }
            let names: Vec<String> = r
                .examples
                .iter()
                .map(|e| {
                    format!(
                        "{} ({} finding{})",
                        e.name,
                        e.expect,
                        if e.expect == 1 { "" } else { "s" }
                    )
                })
                .collect();
            if !names.is_empty() {
                let _ = write!(out, "\n**Examples.** {}\n", names.join("; "));
            }
        }
    }
    out
}
