//! The command line as clap reads it: the commands, their options and help texts, and the
//! options of a check turned into what the library's check asks for ([`Asked`]).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use invlint::check::Asked;
use invlint::config;
use invlint::report::Format;

use super::complete::Suggested;

/// Shown at the end of `--help`.
pub const AFTER_HELP: &str = "\
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
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub check: CheckArgs,
}

#[derive(Subcommand, Debug)]
pub enum Command {
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
        mut_arg("statistics", |a| a.hide(true)),
        mut_arg("lean_json", |a| a.hide(true))
    )]
    Report(Box<ReportArgs>),
    /// List the rules: code, severity, title, pack.
    Rules(RulesArgs),
    /// List the table kinds: recognition, identity, rows judged, key, export command.
    Tables {
        #[command(flatten)]
        rules: PackArgs,
        /// Output the table reference (docs/tables.md) as Markdown.
        #[arg(long)]
        markdown: bool,
    },
    /// Explain a rule: title, why, help, example, documentation link.
    Explain {
        code: String,
        #[command(flatten)]
        rules: PackArgs,
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
        rules: PackArgs,
    },
}

#[derive(Args, Debug, Clone, Default)]
pub struct PackArgs {
    /// Add the rule packs in DIR (repeatable).
    #[arg(long = "rules", value_name = "DIR")]
    pub rules: Vec<PathBuf>,
    /// Do not load the embedded rule packs (their table declarations stay).
    #[arg(long)]
    pub no_default_rules: bool,
}

#[derive(Args, Debug, Clone, Default)]
pub struct ReportArgs {
    /// Write the HTML report to FILE (`-` for standard output).
    #[arg(long, value_name = "FILE", required = true)]
    pub html: PathBuf,
    /// The same inputs and options as `check` (output format and exit thresholds aside), so
    /// that everything that changes a `check` run changes the page the same way.
    #[command(flatten)]
    pub check: CheckArgs,
}

#[derive(Args, Debug, Clone, Default)]
pub struct RulesArgs {
    #[command(flatten)]
    pub rules: PackArgs,
    /// Output as JSON.
    #[arg(long)]
    pub json: bool,
    /// Output the rule reference (docs/rules.md) as Markdown.
    #[arg(long, conflicts_with = "json")]
    pub markdown: bool,
    /// Output the JSON Schema of rule files (for editors: `#:schema ./rule.schema.json`).
    #[arg(long, conflicts_with_all = ["json", "markdown"])]
    pub schema: bool,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
    Info,
    Never,
}

impl FailOn {
    pub fn into_config(self) -> config::FailOn {
        match self {
            FailOn::Error => config::FailOn::Error,
            FailOn::Warning => config::FailOn::Warning,
            FailOn::Info => config::FailOn::Info,
            FailOn::Never => config::FailOn::Never,
        }
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum, Default)]
pub enum ColorChoice {
    #[default]
    Auto,
    Always,
    Never,
}

#[derive(Args, Debug, Clone, Default)]
pub struct CheckArgs {
    /// Files and folders of exports.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Output format: human (default on a terminal), compact (default otherwise), json, sarif,
    /// github (workflow annotations), junit, markdown (for $GITHUB_STEP_SUMMARY), html (the
    /// audit page, not to a terminal), statistics, statistics-json.
    #[arg(
        long,
        visible_alias = "output-format",
        value_name = "FORMAT",
        value_parser = Suggested::new(Format::NAMES),
        hide_possible_values = true
    )]
    pub format: Option<String>,
    /// Also write FORMAT to the file PATH (repeatable: `--output sarif=out.sarif --output
    /// markdown=summary.md`); standard output keeps --format.
    #[arg(long, value_name = "FORMAT=PATH")]
    pub output: Vec<String>,
    /// Print the number of findings per code (count, code, severity, title) instead of the
    /// findings; JSON with --format json.
    #[arg(long)]
    pub statistics: bool,
    /// JSON findings leave out `help`, which the document's `rules` object gives once per
    /// code: a smaller document when the findings are many.
    #[arg(long)]
    pub lean_json: bool,
    /// Exit 1 when a finding at or above this severity remains [default: error].
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,
    /// Always exit 0 unless the run could not be trusted.
    #[arg(long)]
    pub exit_zero: bool,
    /// Worker threads (default: one per core).
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
    #[command(flatten)]
    pub rules: PackArgs,
    /// Run the rules of this profile too (post-migration, decommission); it presets a target.
    #[arg(
        long,
        value_name = "NAME",
        value_parser = Suggested::new(invlint::rule::PROFILES),
        hide_possible_values = true
    )]
    pub profile: Vec<String>,
    /// The migration the audit is for: lync2013, sfb2015, sfb2019, sfbse or teams.
    #[arg(
        long,
        value_name = "TARGET",
        value_parser = Suggested::new(&invlint::target::Target::NAMES),
        hide_possible_values = true
    )]
    pub target: Option<String>,
    /// Pools being retired (globs over pool FQDNs, comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "GLOBS")]
    pub retiring_pools: Vec<String>,
    /// Only these codes or prefixes, comma-separated (AD, CL, CSV, HY, INV, PC, TP or a code
    /// such as PC002; ALL: every rule; `invlint rules` lists them).
    #[arg(long, value_delimiter = ',', value_name = "CODES")]
    pub select: Vec<String>,
    /// Leave out these codes or prefixes (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "CODES")]
    pub ignore: Vec<String>,
    /// Read files matching these globs in folders (default: *.csv, *.tsv).
    #[arg(long, value_name = "GLOB")]
    pub include: Vec<String>,
    /// Skip files matching these globs.
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Also read hidden files and folders.
    #[arg(long)]
    pub hidden: bool,
    /// Follow symbolic links that lead out of the input folders (never into /proc, /sys, /dev).
    #[arg(long)]
    pub follow_links: bool,
    /// Colours in human output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Print only findings (no summary line, no progress bar).
    #[arg(long, short)]
    pub quiet: bool,
    /// Add these codes or prefixes to `select` (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "CODES")]
    pub extend_select: Vec<String>,
    /// Configuration file (default: the nearest invlint.toml to the first PATH, else to the
    /// current folder).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Ignore every configuration file.
    #[arg(long, conflicts_with = "config")]
    pub isolated: bool,
    /// Report only findings that this baseline file does not know.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Record the current findings as a baseline file (and exit 0 unless the run is untrusted).
    #[arg(long, value_name = "FILE", conflicts_with = "baseline")]
    pub write_baseline: Option<PathBuf>,
    /// Suppressions file (default: invlint-suppressions.toml beside the configuration file).
    #[arg(long, value_name = "FILE")]
    pub suppressions: Option<PathBuf>,
    /// Report suppression entries that match no finding as errors, not warnings.
    #[arg(long)]
    pub strict_suppressions: bool,
    /// Show at most N findings; the others are counted (summary, exit code), not kept
    /// [default: 1000000].
    #[arg(long, value_name = "N")]
    pub max_findings: Option<usize>,
}

impl CheckArgs {
    /// What this check asks the library for (`excerpts`: whether an output shows source lines).
    pub fn asked(&self, excerpts: bool) -> Asked {
        Asked {
            paths: self.paths.clone(),
            jobs: self.jobs,
            rule_dirs: self.rules.rules.clone(),
            no_default_rules: self.rules.no_default_rules,
            profiles: self.profile.clone(),
            target: self.target.clone(),
            retiring_pools: self.retiring_pools.clone(),
            select: self.select.clone(),
            extend_select: self.extend_select.clone(),
            ignore: self.ignore.clone(),
            include: self.include.clone(),
            exclude: self.exclude.clone(),
            hidden: self.hidden,
            follow_links: self.follow_links,
            quiet: self.quiet,
            config: self.config.clone(),
            isolated: self.isolated,
            baseline: self.baseline.clone(),
            write_baseline: self.write_baseline.clone(),
            suppressions: self.suppressions.clone(),
            strict_suppressions: self.strict_suppressions,
            max_findings: self.max_findings,
            fail_on: self.fail_on.map(FailOn::into_config),
            exit_zero: self.exit_zero,
            excerpts,
            columns: Vec::new(),
        }
    }
}
