//! Command-line interface: clap definitions and the commands.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use invlint::engine::{self, CheckError, Options};
use invlint::finding::{builtin, Severity};
use invlint::inventory::DiscoverOptions;
use invlint::report::{self, Format, RenderOptions};
use invlint::rule::{RuleError, RuleSet};

#[derive(Parser, Debug)]
#[command(
    name = "invlint",
    version,
    about = "Lint Lync / Skype for Business inventory CSV exports against declarative rules",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    check: CheckArgs,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Check exports (the default command).
    Check(CheckArgs),
    /// List the rules: code, severity, title, pack.
    Rules(RulesArgs),
    /// Explain a rule: title, why, help, example, documentation link.
    Explain {
        code: String,
        #[command(flatten)]
        rules: RuleSource,
    },
    /// Run the examples embedded in rule files (each must fire or stay quiet as declared).
    Test {
        /// Packs to test (all when none given).
        packs: Vec<String>,
        #[command(flatten)]
        rules: RuleSource,
    },
}

#[derive(Args, Debug, Clone, Default)]
struct RuleSource {
    /// Add the rule packs in DIR (repeatable).
    #[arg(long = "rules", value_name = "DIR")]
    rules: Vec<PathBuf>,
    /// Do not load the embedded rule packs (their table declarations stay).
    #[arg(long)]
    no_default_rules: bool,
}

#[derive(Args, Debug, Clone, Default)]
struct RulesArgs {
    #[command(flatten)]
    rules: RuleSource,
    /// Output as JSON.
    #[arg(long)]
    json: bool,
    /// Output the rule reference (docs/rules.md) as Markdown.
    #[arg(long, conflicts_with = "json")]
    markdown: bool,
    /// Output the JSON Schema of rule files (for editors: `#:schema ./rule.schema.json`).
    #[arg(long, conflicts_with_all = ["json", "markdown"])]
    schema: bool,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum, Default)]
enum FailOn {
    #[default]
    Error,
    Warning,
    Info,
    Never,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum, Default)]
enum ColorChoice {
    #[default]
    Auto,
    Always,
    Never,
}

#[derive(Args, Debug, Clone, Default)]
struct CheckArgs {
    /// Files and folders of exports.
    #[arg(value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Output format: human (default on a terminal), compact, json.
    #[arg(long, value_name = "FORMAT")]
    format: Option<String>,
    /// Exit 1 when a finding at or above this severity remains.
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    fail_on: FailOn,
    /// Always exit 0 unless the run could not be trusted.
    #[arg(long)]
    exit_zero: bool,
    /// Worker threads (default: one per core).
    #[arg(long, short = 'j', value_name = "N")]
    jobs: Option<usize>,
    #[command(flatten)]
    rules: RuleSource,
    /// Run the rules of this profile too (pre-migration, post-migration, decommission).
    #[arg(long, value_name = "NAME")]
    profile: Vec<String>,
    /// Only these codes or prefixes (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "CODES")]
    select: Vec<String>,
    /// Leave out these codes or prefixes (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "CODES")]
    ignore: Vec<String>,
    /// Read files matching these globs in folders (default: *.csv, *.tsv).
    #[arg(long, value_name = "GLOB")]
    include: Vec<String>,
    /// Skip files matching these globs.
    #[arg(long, value_name = "GLOB")]
    exclude: Vec<String>,
    /// Also read hidden files and folders.
    #[arg(long)]
    hidden: bool,
    /// Colours in human output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    /// Print only findings (no summary line).
    #[arg(long, short)]
    quiet: bool,
    /// Show at most N findings; the others are counted (summary, exit code), not kept.
    #[arg(long, value_name = "N")]
    max_findings: Option<usize>,
}

pub fn main() -> u8 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    match cli.command {
        Some(Command::Check(args)) => check(args),
        None => check(cli.check),
        Some(Command::Rules(args)) => rules(args),
        Some(Command::Explain { code, rules }) => explain(&code, &rules),
        Some(Command::Test { packs, rules }) => test(&packs, &rules),
    }
}

fn load_rules(source: &RuleSource) -> Result<RuleSet, u8> {
    RuleSet::load(!source.no_default_rules, &source.rules).map_err(|errors| {
        print_rule_errors(&errors);
        2
    })
}

fn print_rule_errors(errors: &[RuleError]) {
    let handler = miette::GraphicalReportHandler::new_themed(if std::io::stderr().is_terminal() {
        miette::GraphicalTheme::unicode()
    } else {
        miette::GraphicalTheme::unicode_nocolor()
    })
    .with_links(false);
    let mut out = String::new();
    for e in errors {
        if handler.render_report(&mut out, e).is_err() {
            out.push_str(&e.compact());
            out.push('\n');
        }
    }
    eprint!("{out}");
    eprintln!(
        "{} error{} in rule files",
        errors.len(),
        if errors.len() == 1 { "" } else { "s" }
    );
}

/// A finished run, ready to be written in any format.
struct Checked {
    report: engine::Report,
    rules: RuleSet,
}

/// The part of `check` that `report` shares: arguments → rules → inventory → findings, with
/// selection applied. On failure, the error is already printed and the exit code returned.
fn run_check(args: &CheckArgs, excerpts: bool) -> Result<Checked, u8> {
    if args.paths.is_empty() {
        eprintln!(
            "error: no PATH given\n\nUsage: invlint check <PATH>...   (try `invlint --help`)"
        );
        return Err(2);
    }
    if let Some(jobs) = args.jobs {
        if jobs == 0
            || rayon::ThreadPoolBuilder::new()
                .num_threads(jobs)
                .build_global()
                .is_err()
        {
            eprintln!("error: --jobs must be a positive number");
            return Err(2);
        }
    }
    let rules = load_rules(&args.rules)?;
    let mut discover = DiscoverOptions {
        hidden: args.hidden,
        exclude: args.exclude.clone(),
        ..DiscoverOptions::default()
    };
    if !args.include.is_empty() {
        discover.include = args.include.clone();
    }
    let options = Options {
        discover,
        profiles: args.profile.clone(),
        select: args.select.clone(),
        ignore: args.ignore.clone(),
        excerpts,
        max_findings: args.max_findings,
        ..Options::default()
    };
    let mut report = match engine::check(&args.paths, &rules, &options) {
        Ok(r) => r,
        Err(CheckError::Rules(errors)) => {
            print_rule_errors(&errors);
            return Err(2);
        }
        Err(CheckError::Input(message)) => {
            eprintln!("error: {message}");
            return Err(2);
        }
    };
    report
        .findings
        .retain(|f| engine::code_selected(&f.code, &options));
    Ok(Checked { report, rules })
}

fn parse_format(name: Option<&str>, stdout_tty: bool) -> Result<Format, u8> {
    match name {
        None if stdout_tty => Ok(Format::Human),
        None => Ok(Format::Compact),
        Some(name) => Format::parse(name).ok_or_else(|| {
            eprintln!(
                "error: unknown format `{name}`; use one of: {}",
                Format::NAMES.join(", ")
            );
            2
        }),
    }
}

fn check(args: CheckArgs) -> u8 {
    let stdout_tty = std::io::stdout().is_terminal();
    let format = match parse_format(args.format.as_deref(), stdout_tty) {
        Ok(f) => f,
        Err(code) => return code,
    };
    let checked = match run_check(&args, format == Format::Human) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let report = &checked.report;
    let color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            stdout_tty && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut written = report::write(
        format,
        report,
        &checked.rules,
        RenderOptions { color, width: 100 },
        &mut out,
    );
    if written.is_ok() && format == Format::Compact && !args.quiet {
        written = writeln!(out, "{}", report::summary_line(report));
    }
    if let Err(e) = written.and_then(|()| out.flush()) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("error: cannot write output: {e}");
            return 2;
        }
    }
    exit_code(report, args.fail_on, args.exit_zero)
}

/// From every finding of the run, including those `--max-findings` left out.
fn exit_code(report: &engine::Report, fail_on: FailOn, exit_zero: bool) -> u8 {
    let untrusted = report.has_code(builtin::UNREADABLE.0) || report.has_code(builtin::INTERNAL.0);
    if untrusted {
        return 2;
    }
    let threshold = match fail_on {
        FailOn::Error => Some(Severity::Error),
        FailOn::Warning => Some(Severity::Warning),
        FailOn::Info => Some(Severity::Info),
        FailOn::Never => None,
    };
    let counts = report.counts();
    match threshold {
        Some(t) if !exit_zero && counts.range(t..).any(|(_, n)| *n > 0) => 1,
        _ => 0,
    }
}

fn rules(args: RulesArgs) -> u8 {
    if args.schema {
        print!("{}", include_str!("../docs/rule.schema.json"));
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
    let mut rows: Vec<(String, Severity, String, String)> = builtin::ALL
        .iter()
        .map(|(c, s, t)| (c.to_string(), *s, t.to_string(), "built-in".to_string()))
        .collect();
    rows.extend(set.rules().map(|r| {
        (
            r.code.to_string(),
            r.severity,
            r.title.clone(),
            r.pack.clone(),
        )
    }));
    if args.json {
        let json: Vec<serde_json::Value> = rows
            .iter()
            .map(
                |(c, s, t, p)| serde_json::json!({"code": c, "severity": s, "title": t, "pack": p}),
            )
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&json).unwrap_or_default()
        );
    } else {
        for (c, s, t, p) in rows {
            println!("{c:<8} {:<8} {p:<16} {t}", s.as_str());
        }
    }
    0
}

fn explain(code: &str, source: &RuleSource) -> u8 {
    let set = match load_rules(source) {
        Ok(r) => r,
        Err(code) => return code,
    };
    if let Some((c, s, t)) = builtin::ALL
        .iter()
        .find(|(c, _, _)| c.eq_ignore_ascii_case(code))
    {
        println!("{c} [{s}] {t}\n\nA built-in check of the CSV reader; see README.md, \"What invlint reports about the files themselves\".");
        return 0;
    }
    let Some(rule) = set.rule(code) else {
        eprintln!("error: no rule `{code}`; `invlint rules` lists them");
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
    println!("\nWhy\n  {}", rule.doc.why.trim().replace('\n', "\n  "));
    println!("\nFix\n  {}", rule.help.trim().replace('\n', "\n  "));
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

fn test(packs: &[String], source: &RuleSource) -> u8 {
    let set = match load_rules(source) {
        Ok(r) => r,
        Err(code) => return code,
    };
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
