//! Command-line interface: clap definitions and the commands.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use invlint::config::{self, Config};
use invlint::engine::{self, CheckError, Options};
use invlint::files;
use invlint::finding::{builtin, sort_findings};
use invlint::gate::baseline::Baseline;
use invlint::gate::{suppress, Adjust};
use invlint::inventory::DiscoverOptions;
use invlint::report::{self, Format, RenderOptions};
use invlint::rule::{RuleError, RuleSet};
use invlint::target::Target;

mod checks;
mod commands;
mod complete;
mod console;
mod inputs;
mod progress;

use commands::{explain, init, man, rules, test};
use complete::{completions, Suggested};
use progress::progress_bar;

/// Shown at the end of `--help`.
const AFTER_HELP: &str = "\
Exit status:
  0  no finding at or above --fail-on (default: error)
  1  findings at or above --fail-on
  2  the run cannot be trusted: bad arguments or configuration, a bad rule file, an input
     that could not be read, nothing to read

Examples:
  invlint exports/                                 check a folder (check is the default)
  invlint check exports --format json > out.json   the JSON contract
  invlint check exports --select PC --fail-on warning
  invlint report exports --html audit.html         the audit page
  invlint explain PC002                            why a rule fires and how to fix it";

#[derive(Parser, Debug)]
#[command(
    name = "invlint",
    version,
    about = "Lint Lync / Skype for Business inventory CSV exports against declarative rules",
    after_help = AFTER_HELP,
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
    #[command(after_help = AFTER_HELP)]
    Check(Box<CheckArgs>),
    /// Check exports and write the audit report: one self-contained HTML page.
    // The output and exit options of `check` do not apply to the page: hidden here.
    #[command(
        mut_arg("format", |a| a.hide(true)),
        mut_arg("fail_on", |a| a.hide(true)),
        mut_arg("exit_zero", |a| a.hide(true)),
        mut_arg("color", |a| a.hide(true)),
        mut_arg("output", |a| a.hide(true)),
        mut_arg("statistics", |a| a.hide(true))
    )]
    Report(Box<ReportArgs>),
    /// List the rules: code, severity, title, pack.
    Rules(RulesArgs),
    /// List the table kinds: recognition, identity, rows judged, key, export command.
    Tables {
        #[command(flatten)]
        rules: RuleSource,
        /// Output the table reference (docs/tables.md) as Markdown.
        #[arg(long)]
        markdown: bool,
    },
    /// Explain a rule: title, why, help, example, documentation link.
    Explain {
        code: String,
        #[command(flatten)]
        rules: RuleSource,
    },
    /// Write a commented starter invlint.toml in the current folder.
    Init {
        /// Overwrite an existing invlint.toml.
        #[arg(long)]
        force: bool,
    },
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), generated from this command-line definition.
    #[command(hide = true)]
    Man,
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
struct ReportArgs {
    /// Write the HTML report to FILE (`-` for standard output).
    #[arg(long, value_name = "FILE", required = true)]
    html: PathBuf,
    /// The same inputs and options as `check` (output format and exit thresholds aside), so
    /// that everything that changes a `check` run changes the page the same way.
    #[command(flatten)]
    check: CheckArgs,
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

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
enum FailOn {
    Error,
    Warning,
    Info,
    Never,
}

impl FailOn {
    fn into_config(self) -> config::FailOn {
        match self {
            FailOn::Error => config::FailOn::Error,
            FailOn::Warning => config::FailOn::Warning,
            FailOn::Info => config::FailOn::Info,
            FailOn::Never => config::FailOn::Never,
        }
    }
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
    /// Output format: human (default on a terminal), compact (default otherwise), json, sarif,
    /// github (workflow annotations), junit, markdown (for $GITHUB_STEP_SUMMARY).
    #[arg(
        long,
        visible_alias = "output-format",
        value_name = "FORMAT",
        value_parser = Suggested::new(Format::NAMES),
        hide_possible_values = true
    )]
    format: Option<String>,
    /// Also write FORMAT to the file PATH (repeatable: `--output sarif=out.sarif --output
    /// markdown=summary.md`); standard output keeps --format.
    #[arg(long, value_name = "FORMAT=PATH")]
    output: Vec<String>,
    /// Print the number of findings per code (count, code, severity, title) instead of the
    /// findings; JSON with --format json.
    #[arg(long)]
    statistics: bool,
    /// Exit 1 when a finding at or above this severity remains [default: error].
    #[arg(long, value_enum)]
    fail_on: Option<FailOn>,
    /// Always exit 0 unless the run could not be trusted.
    #[arg(long)]
    exit_zero: bool,
    /// Worker threads (default: one per core).
    #[arg(long, short = 'j', value_name = "N")]
    jobs: Option<usize>,
    #[command(flatten)]
    rules: RuleSource,
    /// Run the rules of this profile too (post-migration, decommission); it presets a target.
    #[arg(
        long,
        value_name = "NAME",
        value_parser = Suggested::new(invlint::rule::PROFILES),
        hide_possible_values = true
    )]
    profile: Vec<String>,
    /// The migration the audit is for: lync2013, sfb2015, sfb2019, sfbse or teams.
    #[arg(
        long,
        value_name = "TARGET",
        value_parser = Suggested::new(&invlint::target::Target::NAMES),
        hide_possible_values = true
    )]
    target: Option<String>,
    /// Pools being retired (globs over pool FQDNs, comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "GLOBS")]
    retiring_pools: Vec<String>,
    /// Only these codes or prefixes, comma-separated (AD, CL, CSV, HY, INV, PC, TP or a code
    /// such as PC002; ALL: every rule; `invlint rules` lists them).
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
    /// Follow symbolic links that lead out of the input folders (never into /proc, /sys, /dev).
    #[arg(long)]
    follow_links: bool,
    /// Colours in human output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    /// Print only findings (no summary line, no progress bar).
    #[arg(long, short)]
    quiet: bool,
    /// Add these codes or prefixes to `select` (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "CODES")]
    extend_select: Vec<String>,
    /// Configuration file (default: the nearest invlint.toml to the first PATH, else to the
    /// current folder).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Ignore every configuration file.
    #[arg(long, conflicts_with = "config")]
    isolated: bool,
    /// Report only findings that this baseline file does not know.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Record the current findings as a baseline file (and exit 0 unless the run is untrusted).
    #[arg(long, value_name = "FILE", conflicts_with = "baseline")]
    write_baseline: Option<PathBuf>,
    /// Suppressions file (default: invlint-suppressions.toml beside the configuration file).
    #[arg(long, value_name = "FILE")]
    suppressions: Option<PathBuf>,
    /// Report suppression entries that match no finding as errors, not warnings.
    #[arg(long)]
    strict_suppressions: bool,
    /// Show at most N findings; the others are counted (summary, exit code), not kept
    /// [default: 1000000].
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
        Some(Command::Check(args)) => check(*args),
        Some(Command::Report(args)) => html_report(&args),
        None => match checks::mistyped_subcommand(&cli.check) {
            Some(message) => {
                eprintln!("{message}");
                2
            }
            None => check(cli.check),
        },
        Some(Command::Rules(args)) => rules(args),
        Some(Command::Tables { rules, markdown }) => match load_rules(&rules) {
            Ok(set) => {
                print!("{}", invlint::rule::tables_reference(&set, markdown));
                0
            }
            Err(code) => code,
        },
        Some(Command::Explain { code, rules }) => explain(&code, &rules),
        Some(Command::Test { packs, rules }) => test(&packs, &rules),
        Some(Command::Init { force }) => init(force),
        Some(Command::Completions { shell }) => completions(shell),
        Some(Command::Man) => man(),
    }
}

fn load_rules(source: &RuleSource) -> Result<RuleSet, u8> {
    RuleSet::load(!source.no_default_rules, &source.rules).map_err(|errors| {
        print_rule_errors(&errors);
        2
    })
}

fn print_rule_errors(errors: &[RuleError]) {
    print_errors(errors, "in rule files");
}

fn print_errors(errors: &[RuleError], what: &str) {
    let theme = if console::dumb_terminal() {
        miette::GraphicalTheme::ascii()
    } else if std::io::stderr().is_terminal() {
        miette::GraphicalTheme::unicode()
    } else {
        miette::GraphicalTheme::unicode_nocolor()
    };
    let handler = miette::GraphicalReportHandler::new_themed(theme)
        .with_width(console::Console::detect(ColorChoice::Auto).width)
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
        "{} error{} {what}",
        errors.len(),
        if errors.len() == 1 { "" } else { "s" }
    );
}

/// A finished run, ready to be written in any format.
struct Checked {
    report: engine::Report,
    rules: RuleSet,
    /// `fail-on` of the configuration file, when it sets one.
    fail_on: Option<config::FailOn>,
    /// Set when `--write-baseline` wrote a file.
    wrote_baseline: bool,
    /// Every file the run read: no output may be one of them.
    inputs: files::InputSet,
}

/// The configuration for a check: `--config`, else the nearest invlint.toml, else defaults.
fn load_config(args: &CheckArgs) -> Result<Config, u8> {
    if args.isolated {
        return Ok(Config::default());
    }
    let path = match &args.config {
        Some(path) => path.clone(),
        None => match discover_config(args) {
            Some(found) => relative_to_cwd(&found),
            None => return Ok(Config::default()),
        },
    };
    config::load(&path).map_err(|errors| {
        print_errors(&errors, "in the configuration file");
        2
    })
}

/// The configuration file of a run without `--config`: the nearest invlint.toml to the first
/// PATH (its folder, or the folder of a file, or a parent), else the nearest to the current
/// folder. The checked folder's wins: it is the one kept with the exports it describes.
fn discover_config(args: &CheckArgs) -> Option<PathBuf> {
    let checked = args
        .paths
        .first()
        .filter(|p| p.as_os_str() != "-")
        .and_then(|p| std::path::absolute(p).ok())
        .map(|p| {
            if p.is_dir() {
                p
            } else {
                p.parent().map(PathBuf::from).unwrap_or(p)
            }
        });
    checked.and_then(|dir| config::discover(&dir)).or_else(|| {
        std::env::current_dir()
            .ok()
            .and_then(|dir| config::discover(&dir))
    })
}

/// `path` relative to the current folder when it is below it (shorter messages and locations).
fn relative_to_cwd(path: &std::path::Path) -> PathBuf {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(PathBuf::from))
        .unwrap_or_else(|| path.to_path_buf())
}

/// The part of `check` that `report` shares: arguments and configuration → rules → inventory
/// → findings, with selection, severity overrides, suppressions and the baseline applied. On
/// failure, the error is already printed and the exit code returned.
fn run_check(args: &CheckArgs, excerpts: bool) -> Result<Checked, u8> {
    let mut args = args.clone();
    args.paths = inputs::expand(&args.paths).map_err(|message| {
        eprintln!("error: {message}");
        2u8
    })?;
    let config = load_config(&args)?;
    run_check_with(&args, &config, excerpts)
}

fn run_check_with(args: &CheckArgs, config: &Config, excerpts: bool) -> Result<Checked, u8> {
    if args.paths.is_empty() {
        eprintln!(
            "error: no PATH given\n\nUsage: invlint check <PATH>...   (try `invlint --help`)"
        );
        return Err(2);
    }
    if let Some(asked) = args.jobs {
        let jobs = clamp_jobs(asked);
        if jobs < asked && !args.quiet {
            eprintln!(
                "note: --jobs {asked} clamped to {jobs} ({JOBS_PER_CORE} per core on this machine)"
            );
        }
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
    let file = &config.file;
    // (Unknown profiles are refused with the other names the run checks first.)
    if let Some(Err(message)) = args.target.as_deref().map(Target::parse) {
        eprintln!("error: --target: {message}");
        return Err(2);
    }
    let target = args
        .target
        .as_deref()
        .or(file.target.as_ref().map(|t| t.get_ref().as_str()))
        .and_then(|t| Target::parse(t).ok());
    let mut source = args.rules.clone();
    source
        .rules
        .extend(file.rule_packs.iter().map(|p| config.resolve(p)));
    source.no_default_rules |= file.default_rules == Some(false);
    let rules = load_rules(&source)?;
    let unknown = checks::unknown_names(args, config, &rules);
    if !unknown.is_empty() {
        for message in unknown {
            eprintln!("error: {message}");
        }
        return Err(2);
    }
    let mut discover = DiscoverOptions {
        hidden: args.hidden || file.hidden == Some(true),
        follow_links: args.follow_links,
        exclude: file.exclude.iter().chain(&args.exclude).cloned().collect(),
        ..DiscoverOptions::default()
    };
    if !args.include.is_empty() {
        discover.include = args.include.clone();
    } else if !file.include.is_empty() {
        discover.include = file.include.clone();
    }
    let mut select = if args.select.is_empty() {
        file.select.clone()
    } else {
        args.select.clone()
    };
    if !select.is_empty() {
        select.extend(
            file.extend_select
                .iter()
                .chain(&args.extend_select)
                .cloned(),
        );
    }
    let progress = progress_bar(args.quiet);
    let options = Options {
        discover,
        overrides: config.overrides.clone(),
        profiles: file
            .profiles
            .iter()
            .map(|p| p.get_ref())
            .chain(&args.profile)
            .cloned()
            .collect(),
        target,
        retiring: if args.retiring_pools.is_empty() {
            file.retiring_pools.clone()
        } else {
            args.retiring_pools.clone()
        },
        select,
        ignore: file.ignore.iter().chain(&args.ignore).cloned().collect(),
        excerpts,
        progress: progress.as_ref().map(|(_, sink)| sink.clone()),
        // Findings the gate would drop (suppressed, known to the baseline, ignored per path)
        // must not fill the cap, nor count in the exit code: then the cap comes after it.
        max_findings: Some(max_findings(args)).filter(|_| !filters_after_run(args, config)),
    };
    // `-` reads standard input, kept in a file for the run and shown as `-`.
    let stdin = if args.paths.iter().any(|p| p.as_os_str() == inputs::STDIN) {
        match inputs::StdinCopy::read() {
            Ok(copy) => Some(copy),
            Err(message) => {
                eprintln!("error: {message}");
                return Err(2);
            }
        }
    } else {
        None
    };
    let paths: Vec<PathBuf> = args
        .paths
        .iter()
        .map(|p| match &stdin {
            Some(copy) if p.as_os_str() == inputs::STDIN => copy.path.clone(),
            _ => p.clone(),
        })
        .collect();
    let checked = engine::check(&paths, &rules, &options);
    if let Some((bar, _)) = progress {
        bar.finish_and_clear();
    }
    let mut checked = checked;
    if let (Some(copy), Ok(report)) = (&stdin, &mut checked) {
        inputs::rename(report, &copy.display(), inputs::STDIN);
    }
    let mut report = match checked {
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
    if let Some(message) = checks::nothing_read(&report, args, &options.discover.include) {
        eprintln!("{message}");
        return Err(2);
    }
    match Adjust::new(file) {
        Ok(adjust) => adjust.apply(&mut report.findings),
        Err(message) => {
            eprintln!("error: configuration: {message}");
            return Err(2);
        }
    }
    apply_suppressions(args, config, &rules, &mut report)?;
    let inputs = inputs_of_run(&report, &source, args, config);
    let mut wrote_baseline = false;
    if let Some(path) = &args.write_baseline {
        refuse_input(path, &inputs)?;
        let known: Vec<_> = report
            .findings
            .iter()
            .filter(|f| !f.code.starts_with("INV"))
            .cloned()
            .collect();
        let baseline = Baseline::from_findings(&known);
        if let Err(e) =
            files::write_atomic(path, |out| out.write_all(baseline.to_json().as_bytes()))
        {
            eprintln!("error: cannot write the baseline `{}`: {e}", path.display());
            return Err(2);
        }
        eprintln!(
            "wrote {} finding{} ({} entr{}) to the baseline {}",
            known.len(),
            if known.len() == 1 { "" } else { "s" },
            baseline.entries.len(),
            if baseline.entries.len() == 1 {
                "y"
            } else {
                "ies"
            },
            path.display()
        );
        wrote_baseline = true;
    } else if let Some(path) = baseline_path(args, config) {
        let baseline =
            invlint::files::read_text_capped(&path, invlint::files::MAX_TEXT_FILE, "baseline")
                .and_then(|text| Baseline::from_json(&text));
        match baseline {
            Ok(baseline) => {
                report.gate.baseline = Some(baseline.apply(&mut report.findings));
            }
            Err(e) => {
                eprintln!("error: cannot use the baseline `{}`: {e}", path.display());
                return Err(2);
            }
        }
    }
    sort_findings(&mut report.findings);
    report.truncate_findings(max_findings(args));
    report.config = config
        .path
        .as_ref()
        .map(|p| p.to_string_lossy().replace('\\', "/"));
    Ok(Checked {
        report,
        rules,
        fail_on: file.fail_on,
        wrote_baseline,
        inputs,
    })
}

/// The files a run read: exports, rule files, the configuration, suppressions and baseline.
fn inputs_of_run(
    report: &engine::Report,
    rules: &RuleSource,
    args: &CheckArgs,
    config: &Config,
) -> files::InputSet {
    let mut inputs = files::InputSet::default();
    for file in &report.inventory.files {
        if let invlint::inventory::Source::File(path, _) = &file.source {
            inputs.add(path);
        }
    }
    for dir in &rules.rules {
        // A pack folder, or a folder of packs.
        for entry in walkdir::WalkDir::new(dir)
            .max_depth(2)
            .into_iter()
            .flatten()
        {
            inputs.add(entry.path());
        }
    }
    let others = [
        config.path.clone(),
        suppressions_path(args, config),
        baseline_path(args, config),
    ];
    for path in others.iter().flatten() {
        inputs.add(path);
    }
    inputs
}

/// Refuse to write `path` when it is a file the run read (exit 2, nothing written).
fn refuse_input(path: &std::path::Path, inputs: &files::InputSet) -> Result<(), u8> {
    if inputs.contains(path) {
        eprintln!(
            "error: refusing to write `{}`: it is a file this run read (an export, rule, \
             configuration, suppressions or baseline file); choose another path",
            path.display()
        );
        return Err(2);
    }
    Ok(())
}

/// `--max-findings`, else the default cap: past it findings are counted, not kept, so that
/// memory never follows millions of findings.
fn max_findings(args: &CheckArgs) -> usize {
    args.max_findings.unwrap_or(engine::DEFAULT_MAX_FINDINGS)
}

/// Threads per core at most: beyond a few, threads only contend (`-j 100000` spawned
/// 100,000 threads and ran for minutes on a few files).
const JOBS_PER_CORE: usize = 4;

/// `--jobs N` bounded by the machine's parallelism times [`JOBS_PER_CORE`] (0 stays 0: an error).
fn clamp_jobs(asked: usize) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    asked.min(cores.saturating_mul(JOBS_PER_CORE))
}

/// Whether findings are dropped or changed after the engine (suppressions, a baseline, per-path
/// settings, severity overrides), or all of them are needed (writing a baseline).
fn filters_after_run(args: &CheckArgs, config: &Config) -> bool {
    let file = &config.file;
    args.write_baseline.is_some()
        || baseline_path(args, config).is_some()
        || suppressions_path(args, config).is_some()
        || !file.suppress.is_empty()
        || !file.per_path.is_empty()
        || !file.severity.is_empty()
}

/// The baseline to compare with: `--baseline`, else the configuration's `baseline`.
fn baseline_path(args: &CheckArgs, config: &Config) -> Option<PathBuf> {
    args.baseline
        .clone()
        .or_else(|| config.file.baseline.as_deref().map(|p| config.resolve(p)))
}

/// The suppressions file: `--suppressions`, else the configuration's `suppressions`, else
/// `invlint-suppressions.toml` beside the configuration (or in the current folder) if any.
fn suppressions_path(args: &CheckArgs, config: &Config) -> Option<PathBuf> {
    if let Some(path) = &args.suppressions {
        return Some(path.clone());
    }
    if let Some(path) = &config.file.suppressions {
        return Some(config.resolve(path));
    }
    // Anything of that name counts (a dangling link or a FIFO is an error to load).
    let beside = config.resolve(suppress::FILE_NAME);
    std::fs::symlink_metadata(&beside).is_ok().then_some(beside)
}

/// Suppressions of the configuration file and of the suppressions file, applied to `report`.
fn apply_suppressions(
    args: &CheckArgs,
    config: &Config,
    rules: &RuleSet,
    report: &mut engine::Report,
) -> Result<(), u8> {
    let mut suppressions = match (&config.source, &config.path) {
        (Some(source), Some(path)) => suppress::from_spanned(
            &path.to_string_lossy().replace('\\', "/"),
            &source.text,
            &config.file.suppress,
        ),
        _ => Vec::new(),
    };
    if let Some(path) = suppressions_path(args, config) {
        match suppress::load(&path) {
            Ok(mut more) => suppressions.append(&mut more),
            Err(errors) => {
                print_errors(&errors, "in the suppressions file");
                return Err(2);
            }
        }
    }
    if suppressions.is_empty() {
        return Ok(());
    }
    let codes = invlint::suggest::known_codes(rules.codes());
    let mut unknown = false;
    for s in &suppressions {
        if let Some(message) = checks::unknown_suppression_code(&s.entry.code, &codes) {
            eprintln!(
                "error: {}:{}:{}: {message}",
                s.file, s.span.line, s.span.column
            );
            unknown = true;
        }
    }
    if unknown {
        return Err(2);
    }
    let codes_run = report.ran.clone();
    let ran = |code: &str| {
        builtin::ALL
            .iter()
            .any(|(c, _, _)| c.eq_ignore_ascii_case(code))
            || codes_run.iter().any(|c| c.eq_ignore_ascii_case(code))
    };
    let outcome = suppress::apply(
        &suppressions,
        &mut report.findings,
        suppress::today(),
        args.strict_suppressions,
        ran,
    );
    report.gate.suppressed = outcome.suppressed;
    report.gate.expired = outcome.expired;
    report.gate.stale = outcome.stale;
    Ok(())
}

fn parse_format(name: Option<&str>, stdout_tty: bool) -> Result<Format, u8> {
    match name {
        None if stdout_tty => Ok(Format::Human),
        None => Ok(Format::Compact),
        Some(name) => Format::parse(name).ok_or_else(|| {
            eprintln!(
                "error: unknown format `{name}`{} (formats: {})",
                invlint::suggest::did_you_mean(name, Format::NAMES.iter().copied()),
                Format::NAMES.join(", ")
            );
            2
        }),
    }
}

/// `--output FORMAT=PATH` values, checked before the run so a typo costs nothing.
fn parse_outputs(values: &[String]) -> Result<Vec<(Format, PathBuf)>, u8> {
    values
        .iter()
        .map(|value| {
            let Some((name, path)) = value.split_once('=').filter(|(_, p)| !p.is_empty()) else {
                eprintln!(
                    "error: --output `{value}`: expected FORMAT=PATH, e.g. sarif=invlint.sarif"
                );
                return Err(2);
            };
            match Format::parse(name) {
                Some(format) => Ok((format, PathBuf::from(path))),
                None => {
                    eprintln!(
                        "error: --output `{value}`: unknown format `{name}`{} (formats: {})",
                        invlint::suggest::did_you_mean(name, Format::NAMES.iter().copied()),
                        Format::NAMES.join(", ")
                    );
                    Err(2)
                }
            }
        })
        .collect()
}

/// Write each `--output` file; every failure is reported. Returns whether all were written.
fn write_outputs(
    outputs: &[(Format, PathBuf)],
    checked: &Checked,
    fail_on: Option<invlint::finding::Severity>,
) -> bool {
    let mut ok = true;
    for (format, path) in outputs {
        let written = files::write_atomic(path, |out| {
            report::write(
                *format,
                &checked.report,
                &checked.rules,
                RenderOptions {
                    fail_on,
                    ..RenderOptions::default()
                },
                out,
            )
        });
        if let Err(e) = written {
            eprintln!("error: cannot write {}: {e}", path.display());
            ok = false;
        }
    }
    ok
}

fn check(mut args: CheckArgs) -> u8 {
    match inputs::expand(&args.paths) {
        Ok(paths) => args.paths = paths,
        Err(message) => {
            eprintln!("error: {message}");
            return 2;
        }
    }
    let stdout_tty = std::io::stdout().is_terminal();
    let config = match load_config(&args) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let configured_format = config.file.format.as_ref().map(|f| f.get_ref().as_str());
    let format = match parse_format(args.format.as_deref().or(configured_format), stdout_tty) {
        Ok(f) => f,
        Err(code) => return code,
    };
    let mut outputs = match parse_outputs(&args.output) {
        Ok(o) => o,
        Err(code) => return code,
    };
    let format = match checks::route_outputs(args.format.is_some(), &mut outputs) {
        Ok(to_stdout) => to_stdout.unwrap_or(format),
        Err(message) => {
            eprintln!("error: {message}");
            return 2;
        }
    };
    let excerpts = (format == Format::Human && !args.statistics)
        || outputs.iter().any(|(f, _)| *f == Format::Human);
    let checked = match run_check_with(&args, &config, excerpts) {
        Ok(c) => c,
        Err(code) => return code,
    };
    for (_, path) in &outputs {
        if let Err(code) = refuse_input(path, &checked.inputs) {
            return code;
        }
    }
    let fail_on = args
        .fail_on
        .map(FailOn::into_config)
        .or(checked.fail_on)
        .unwrap_or_default();
    let exit_zero = args.exit_zero || checked.wrote_baseline;
    // What fails the run, for the formats that mark failures (JUnit).
    let threshold = fail_on.threshold().filter(|_| !exit_zero);
    let outputs_ok = write_outputs(&outputs, &checked, threshold);
    let report = &checked.report;
    let console = console::Console::detect(args.color);
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut written = match (args.statistics, format) {
        (true, Format::Json) => report::statistics::write_json(report, &checked.rules, &mut out),
        (true, _) => report::statistics::write_text(report, &checked.rules, &mut out),
        (false, _) => report::write(
            format,
            report,
            &checked.rules,
            RenderOptions {
                color: console.color,
                width: console.width,
                ascii: console.ascii,
                summary: !args.quiet,
                fail_on: threshold,
            },
            &mut out,
        ),
    };
    if written.is_ok() && format == Format::Compact && !args.quiet && !args.statistics {
        written = writeln!(out, "{}", report::summary_line(report));
        for line in report::gate_lines(report) {
            if written.is_ok() {
                written = writeln!(out, "{line}");
            }
        }
    }
    if let Err(e) = written.and_then(|()| out.flush()) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("error: cannot write output: {e}");
            return 2;
        }
    }
    if !outputs_ok {
        return 2;
    }
    exit_code(report, fail_on, exit_zero)
}

/// `invlint report --html FILE`: 0 once the page is written, 2 when it cannot be.
fn html_report(args: &ReportArgs) -> u8 {
    // The options that choose what goes to standard output or other files do not apply to
    // the page: refused rather than silently dropped.
    for (given, option) in [
        (!args.check.output.is_empty(), "--output"),
        (args.check.statistics, "--statistics"),
        (args.check.format.is_some(), "--format"),
    ] {
        if given {
            eprintln!(
                "error: `invlint report` writes only the HTML page: {option} is not supported \
                 here; run `invlint check` with {option} for that output"
            );
            return 2;
        }
    }
    let checked = match run_check(&args.check, false) {
        Ok(c) => c,
        Err(code) => return code,
    };
    if args.html.as_os_str() != "-" {
        if let Err(code) = refuse_input(&args.html, &checked.inputs) {
            return code;
        }
    }
    let generated = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .ok()
                .map(|d| d.as_secs())
        })
        .map(report::html::utc_timestamp);
    let options = report::html::HtmlOptions {
        inputs: args
            .check
            .paths
            .iter()
            .map(|p| p.display().to_string())
            .collect(),
        generated,
        ..report::html::HtmlOptions::default()
    };
    let page = report::html::render(&checked.report, &checked.rules, &options);
    let to_stdout = args.html.as_os_str() == "-";
    let written = if to_stdout {
        let mut out = std::io::stdout().lock();
        out.write_all(page.as_bytes()).and_then(|()| out.flush())
    } else {
        files::write_atomic(&args.html, |out| out.write_all(page.as_bytes()))
    };
    if let Err(e) = written {
        if !(to_stdout && e.kind() == std::io::ErrorKind::BrokenPipe) {
            eprintln!("error: cannot write {}: {e}", args.html.display());
            return 2;
        }
    }
    if !args.check.quiet && !to_stdout {
        eprintln!(
            "wrote {} ({} KB): {}",
            args.html.display(),
            page.len().div_ceil(1024),
            report::summary_line(&checked.report)
        );
    }
    // The page is written either way, and says it is incomplete; the exit code says so too.
    if untrusted(&checked.report) {
        2
    } else {
        0
    }
}

/// From every finding of the run, including those `--max-findings` left out.
fn exit_code(report: &engine::Report, fail_on: config::FailOn, exit_zero: bool) -> u8 {
    if untrusted(report) {
        return 2;
    }
    let counts = report.counts();
    match fail_on.threshold() {
        Some(t) if !exit_zero && counts.range(t..).any(|(_, n)| *n > 0) => 1,
        _ => 0,
    }
}

/// Whether a finding says the run cannot be trusted (an input was not read, a check crashed).
fn untrusted(report: &engine::Report) -> bool {
    report.has_code(builtin::UNREADABLE.0) || report.has_code(builtin::INTERNAL.0)
}
