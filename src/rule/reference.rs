//! The rule **reference** (`docs/rules.md`): Markdown generated from the loaded rule files.

use super::model::{Rule, RuleSet, Shape};

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
