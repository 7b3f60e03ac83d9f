//! The table reference (`invlint tables`, `docs/tables.md`): each declared kind with how it is
//! recognised, what identifies one object, which rows its rules judge, its key and the command
//! that exports it; then the cmdlet outputs recognised but not read yet (`[[known]]`).

use std::fmt::Write;

use super::model::RuleSet;
use crate::inventory::decl::{KeyDecl, TableDecl};

fn code_list(items: &[String], joiner: &str) -> String {
    items
        .iter()
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(joiner)
}

/// How a kind is recognised: `#TYPE` names, then the header signature; for a view, which rows
/// of its base kind it takes.
fn recognition(d: &TableDecl) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    if !d.type_names.is_empty() {
        out.push(("#TYPE", code_list(&d.type_names, ", ")));
    }
    let mut signature = if d.signature.is_empty() {
        "none (recognised by `#TYPE` or configuration only)".to_string()
    } else {
        code_list(&d.signature, " + ")
    };
    if !d.signature_any.is_empty() {
        let _ = write!(signature, " + one of {}", code_list(&d.signature_any, ", "));
    }
    out.push(("header", signature));
    if let (Some(base), Some(rows)) = (&d.view_of, &d.rows) {
        out.push((
            "view of",
            format!("`{base}`: its rows where `{}`", rows.get_ref().trim()),
        ));
    }
    if !d.globs.is_empty() {
        out.push(("ties broken by file name", code_list(&d.globs, ", ")));
    }
    out
}

fn key_text(key: &KeyDecl) -> String {
    let mut text = code_list(&key.columns, " + ");
    if let Some(n) = &key.normalize {
        let _ = write!(text, ", normalised `{}`", n.get_ref());
    }
    if key.ignore_case {
        text.push_str(", case-insensitive");
    }
    text
}

/// The facts shown for one kind, in order: (label, text with Markdown code spans).
fn facts(d: &TableDecl) -> Vec<(&'static str, String)> {
    let mut out = recognition(d);
    out.push((
        "identity",
        if d.identity.is_empty() {
            "none declared (every row is its own object)".to_string()
        } else {
            code_list(&d.identity, ", ")
        },
    ));
    out.push((
        "rules judge",
        d.judged.as_ref().map_or_else(
            || "all rows".to_string(),
            |j| format!("`{}`", j.get_ref().trim()),
        ),
    ));
    out.push((
        "key",
        d.key.as_ref().map_or_else(|| "none".to_string(), key_text),
    ));
    out.push((
        "export",
        if d.export.is_empty() {
            "not declared".to_string()
        } else {
            format!("`{}`", d.export)
        },
    ));
    out
}

/// The reference as plain text (for the terminal) or as Markdown (`docs/tables.md`).
pub fn tables_reference(set: &RuleSet, markdown: bool) -> String {
    let decls = set.decls();
    let known = set.known();
    let mut out = String::new();
    if markdown {
        out.push_str(
            "# Table kinds\n\nGenerated from the table declarations by `invlint tables --markdown > \
             docs/tables.md`; do not edit. Recognition: the `#TYPE` line, then the header (the \
             longest matching signature wins; a file name only breaks a tie). Header names are \
             case-insensitive and follow the declared aliases.\n\n| kind | title |\n|---|---|\n",
        );
        for d in &decls {
            let _ = writeln!(out, "| [`{0}`](#{0}) | {1} |", d.kind, d.title);
        }
    }
    for d in &decls {
        if markdown {
            let _ = write!(out, "\n## {}\n\n{}\n\n", d.kind, d.title);
            for (label, text) in facts(d) {
                let _ = writeln!(out, "- **{label}**: {text}");
            }
            if !d.aliases.is_empty() {
                let aliases: Vec<String> = d
                    .aliases
                    .iter()
                    .map(|(c, alts)| format!("`{c}` ← {}", code_list(alts, ", ")))
                    .collect();
                let _ = writeln!(out, "- **aliases**: {}", aliases.join("; "));
            }
        } else {
            let _ = writeln!(out, "{}  {}", d.kind, d.title);
            for (label, text) in facts(d) {
                let _ = writeln!(out, "  {label:<24} {}", text.replace('`', ""));
            }
            out.push('\n');
        }
    }
    if known.is_empty() {
        return out;
    }
    if markdown {
        out.push_str(
            "\n## Recognised, not read yet\n\nA CSV matching none of the kinds above but one of \
             these is reported as `CSV005` at warning (not info), naming the cmdlet: invlint \
             sees the export and checks nothing in it.\n\n| cmdlet | what | header |\n|---|---|---|\n",
        );
        for k in &known {
            let _ = writeln!(
                out,
                "| `{}` | {} | {} |",
                k.cmdlet,
                k.title,
                code_list(&k.signature, " + ")
            );
        }
    } else {
        out.push_str("recognised, not read yet (CSV005 at warning):\n");
        for k in &known {
            let _ = writeln!(
                out,
                "  {:<36} {} ({})",
                k.cmdlet,
                k.title,
                k.signature.join(" + ")
            );
        }
    }
    out
}
