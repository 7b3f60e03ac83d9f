//! The commands other than `check` and `report`: `rules`, `explain`, `test`, `init`, `man`.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::Write;

use invlint::config;
use invlint::engine;
use invlint::finding::{builtin, Severity};
use invlint::suggest;

use super::args::{Cli, PackArgs, RulesArgs};
use super::load_rules;

pub fn init(force: bool) -> u8 {
    let path = std::path::Path::new(config::FILE_NAME);
    if path.exists() && !force {
        eprintln!(
            "error: {} already exists; `invlint init --force` overwrites it",
            config::FILE_NAME
        );
        return 2;
    }
    match std::fs::write(path, config::STARTER) {
        Ok(()) => {
            eprintln!(
                "wrote {name}: every setting is commented out; uncomment what you need.\n\
                 Next: `invlint check <folder of exports>` (it reads {name} from this folder).",
                name = config::FILE_NAME
            );
            0
        }
        Err(e) => {
            eprintln!("error: cannot write {}: {e}", config::FILE_NAME);
            2
        }
    }
}

/// The man page: clap's sections, then EXIT STATUS and EXAMPLES written here (the same facts
/// as the end of `--help`, in roff), then the version.
pub fn man() -> u8 {
    // `--help`'s plain-text epilogue would be a section named EXTRA: the real sections replace it.
    let command = <Cli as clap::CommandFactory>::command().after_help(None::<&str>);
    let man = clap_mangen::Man::new(command);
    let mut out = Vec::new();
    let rendered = (|| {
        man.render_title(&mut out)?;
        man.render_name_section(&mut out)?;
        man.render_synopsis_section(&mut out)?;
        man.render_description_section(&mut out)?;
        man.render_options_section(&mut out)?;
        man.render_subcommands_section(&mut out)?;
        out.write_all(MAN_EXIT_STATUS.as_bytes())?;
        out.write_all(MAN_EXAMPLES.as_bytes())?;
        man.render_version_section(&mut out)
    })();
    if let Err(e) = rendered {
        eprintln!("error: cannot render the man page: {e}");
        return 2;
    }
    match std::io::stdout().write_all(&out) {
        Ok(()) => 0,
        Err(_) => 2,
    }
}

const MAN_EXIT_STATUS: &str = r#".SH "EXIT STATUS"
.TP
\fB0\fR
No finding at or above \fB\-\-fail\-on\fR (default: error), or \fB\-\-exit\-zero\fR.
.TP
\fB1\fR
Findings at or above \fB\-\-fail\-on\fR remain.
.TP
\fB2\fR
The run cannot be trusted: bad arguments or configuration (an unknown code, profile or table
kind), a bad rule or suppressions file, an input that could not be read (CSV008), an internal
error (INV001), or no CSV to read.
"#;

const MAN_EXAMPLES: &str = r#".SH EXAMPLES
.TP
\fBinvlint exports/\fR
Check a folder of exports (\fBcheck\fR is the default command).
.TP
\fBinvlint check exports \-\-format json > invlint.json\fR
Write the findings as JSON (a stable contract).
.TP
\fBinvlint check exports \-\-select PC \-\-fail\-on warning\fR
Only the Persistent Chat rules; warnings fail the run too.
.TP
\fBinvlint check exports \-\-format github \-\-output sarif=invlint.sarif\fR
In GitHub Actions: annotations on standard output, SARIF for code scanning.
.TP
\fBinvlint report exports \-\-html audit.html\fR
Write the audit page.
.TP
\fBinvlint explain PC002\fR
Why a rule fires and how to fix it.
"#;

pub fn rules(args: RulesArgs) -> u8 {
    if args.schema {
        print!("{}", include_str!("../../docs/rule.schema.json"));
        return 0;
    }
    let set = match load_rules(&args.rules) {
        Ok(r) => r,
        Err(code) => return code,
    };
    if args.markdown {
        print!("{}", invlint::rule::reference_markdown(&set));
        return 0;
    }
    let rows = rule_rows(&set);
    if args.json {
        print_rules_json(&rows, &set);
    } else {
        print_rules_table(&rows);
    }
    0
}

/// One line of `invlint rules`: code, severity, pack, when it runs (profiles,
/// `target sfbse/teams`), title.
type RuleRow = (String, Severity, String, Vec<String>, String);

/// The built-in checks and the rules of `set`, by code.
fn rule_rows(set: &invlint::rule::RuleSet) -> Vec<RuleRow> {
    let mut rows: Vec<RuleRow> = builtin::ALL
        .iter()
        .map(|(c, s, t)| {
            let pack = "built-in".to_string();
            (c.to_string(), *s, pack, Vec::new(), t.to_string())
        })
        .collect();
    rows.extend(set.rules().map(|r| {
        (
            r.code.to_string(),
            r.severity,
            r.pack.clone(),
            r.profiles
                .iter()
                .cloned()
                .chain((!r.targets.is_empty()).then(|| {
                    if r.targets.len() == invlint::target::Target::ALL.len() {
                        "any target".to_string()
                    } else {
                        let names: Vec<&str> = r.targets.iter().map(|t| t.name()).collect();
                        format!("target {}", names.join("/"))
                    }
                }))
                .collect(),
            r.title.clone(),
        )
    }));
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    rows
}

/// `invlint rules --json`.
fn print_rules_json(rows: &[RuleRow], set: &invlint::rule::RuleSet) {
    let json: Vec<serde_json::Value> = rows
        .iter()
        .map(|(c, s, p, _, t)| {
            let rule = set.rule(c);
            let profiles = rule.map(|r| r.profiles.clone()).unwrap_or_default();
            let targets: Vec<&str> = rule
                .map(|r| r.targets.iter().map(|t| t.name()).collect())
                .unwrap_or_default();
            serde_json::json!({"code": c, "severity": s, "title": t, "pack": p,
                "profiles": profiles, "targets": targets})
        })
        .collect();
    println!(
        "{}",
        serde_json::to_string_pretty(&json).unwrap_or_default()
    );
}

/// `invlint rules`: a table with a header, columns as wide as their widest cell.
fn print_rules_table(rows: &[RuleRow]) {
    let pack_width = rows.iter().map(|r| r.2.len()).max().unwrap_or(4).max(4);
    let profile_text = |p: &[String]| {
        if p.is_empty() {
            "always".to_string()
        } else {
            p.join(",")
        }
    };
    let profile_width = rows
        .iter()
        .map(|r| profile_text(&r.3).len())
        .max()
        .unwrap_or(8)
        .max(8);
    println!(
        "{:<7} {:<8} {:<pack_width$} {:<profile_width$} TITLE",
        "CODE", "SEVERITY", "PACK", "RUNS"
    );
    for (c, s, p, profiles, t) in rows {
        println!(
            "{c:<7} {:<8} {p:<pack_width$} {:<profile_width$} {t}",
            s.as_str(),
            profile_text(profiles)
        );
    }
}

/// Paragraphs of `text` (separated by blank lines) wrapped to the console, indented by two.
fn indented(text: &str) -> String {
    let width = super::console::Console::detect(super::ColorChoice::Auto).width;
    text.trim()
        .split("\n\n")
        .map(|p| invlint::report::human::wrap(p.trim(), width, "  ", "  ").join("\n"))
        .collect::<Vec<_>>()
        .join("\n\n")
}

pub fn explain(code: &str, source: &PackArgs) -> u8 {
    let set = match load_rules(source) {
        Ok(r) => r,
        Err(code) => return code,
    };
    if let Some((c, s, t)) = builtin::ALL
        .iter()
        .find(|(c, _, _)| c.eq_ignore_ascii_case(code))
    {
        println!("{c} [{s}] {t}\n\nPack: built-in (a check of the CSV reader, always run)");
        if let Some((why, fix)) = invlint::report::builtin_doc(c) {
            println!("\nWhy\n{}", indented(why));
            println!("\nFix\n{}", indented(fix));
        }
        return 0;
    }
    let Some(rule) = set.rule(code) else {
        let codes = suggest::known_codes(set.codes());
        eprintln!(
            "error: no rule `{code}`{} (`invlint rules` lists them)",
            suggest::did_you_mean(code, codes.iter().map(String::as_str))
        );
        return 2;
    };
    println!("{} [{}] {}\n", rule.code, rule.severity, rule.title);
    println!(
        "Pack: {}{}",
        rule.pack,
        if rule.profiles.is_empty() {
            String::new()
        } else {
            format!(" (profiles: {})", rule.profiles.join(", "))
        }
    );
    if !rule.targets.is_empty() {
        let names: Vec<&str> = rule.targets.iter().map(|t| t.name()).collect();
        println!("Targets: {} (runs only under these)", names.join(", "));
    }
    println!("\nWhy\n{}", indented(&rule.doc.why));
    println!("\nFix\n{}", indented(&rule.help));
    if let Some(url) = &rule.doc.url {
        println!("\nDocumentation\n  {url}");
    }
    if let Some(example) = rule
        .examples
        .iter()
        .find(|e| e.expect > 0)
        .or(rule.examples.first())
    {
        println!(
            "\nExample: {} ({} finding{})",
            example.name,
            example.expect,
            if example.expect == 1 { "" } else { "s" }
        );
        for (kind, csv) in &example.tables {
            println!("  {kind}:");
            for line in csv.trim().lines() {
                println!("    {line}");
            }
        }
    }
    0
}

pub fn test(packs: &[String], source: &PackArgs) -> u8 {
    let set = match load_rules(source) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let mut names: Vec<&str> = set.packs.iter().map(|p| p.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    let unknown: Vec<&String> = packs
        .iter()
        .filter(|p| !names.iter().any(|n| n.eq_ignore_ascii_case(p)))
        .collect();
    for pack in &unknown {
        eprintln!(
            "error: no rule pack `{pack}`{} (packs: {})",
            invlint::suggest::did_you_mean(pack, names.iter().copied()),
            names.join(", ")
        );
    }
    if !unknown.is_empty() {
        return 2;
    }
    let outcomes = engine::examples::run_examples(&set, packs);
    let failed: Vec<_> = outcomes.iter().filter(|o| o.failure.is_some()).collect();
    for o in &outcomes {
        match &o.failure {
            None => println!("ok     {} {}", o.code, o.example),
            Some(why) => println!("FAILED {} {}: {why}", o.code, o.example),
        }
    }
    println!(
        "\n{} passed, {} failed",
        outcomes.len() - failed.len(),
        failed.len()
    );
    if failed.is_empty() {
        0
    } else {
        1
    }
}
