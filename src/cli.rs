//! The `invlint` command line: parse the arguments ([`args`]), resolve the settings of a check
//! and run it with the library ([`invlint::check`]), then hand the outcome to the reporters and
//! turn it into an exit code. The other commands are in [`commands`].
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::Parser;

use invlint::check::{self, Asked, Checked, Failure, Problem, Settings};
use invlint::config::Config;
use invlint::files;
use invlint::located::LocatedError;
use invlint::report::{self, Format, RenderOptions};
use invlint::rule::RuleSet;

mod args;
mod checks;
mod commands;
mod complete;
mod console;
mod inputs;
mod progress;

use args::{CheckArgs, Cli, ColorChoice, Command, PackArgs, ReportArgs};
use commands::{explain, init, man, rules, test};
use complete::completions;
use progress::progress_bar;

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

fn load_rules(source: &PackArgs) -> Result<RuleSet, u8> {
    RuleSet::load(!source.no_default_rules, &source.rules).map_err(|errors| {
        print_rule_errors(&errors);
        2
    })
}

fn print_rule_errors(errors: &[LocatedError]) {
    print_errors(errors, "in rule files");
}

fn print_errors(errors: &[LocatedError], what: &str) {
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

/// Show what stopped a check (the notes that came before it first); the exit code: 2.
fn failed(failure: Failure) -> u8 {
    for note in &failure.notes {
        eprintln!("{note}");
    }
    match failure.problem {
        Problem::Said(lines) => {
            for line in lines {
                eprintln!("{line}");
            }
        }
        Problem::Errors { errors, what } => print_errors(&errors, what),
    }
    2
}

/// What `check` and `report` share before the output is chosen: the PATH globs expanded and
/// the configuration loaded. On failure, the error is already printed and the exit code
/// returned.
fn prepare(args: &mut CheckArgs) -> Result<(Asked, Config), u8> {
    args.paths = inputs::expand(&args.paths).map_err(|message| {
        eprintln!("error: {message}");
        2u8
    })?;
    let asked = args.asked(false);
    let config = asked.load_config().map_err(failed)?;
    Ok((asked, config))
}

/// Run the check that `asked` and `config` resolve to, with a progress bar; its notes are
/// printed. On failure, the error is already printed and the exit code returned.
fn run_check(asked: Asked, config: Config) -> Result<Checked, u8> {
    let mut settings = Settings::resolve(asked, config);
    let progress = progress_bar(settings.asked.quiet);
    if let Some((_, sink)) = &progress {
        settings.progress(sink.clone());
    }
    let result = check::run(&settings);
    if let Some((bar, _)) = progress {
        bar.finish_and_clear();
    }
    let checked = result.map_err(failed)?;
    for note in &checked.notes {
        eprintln!("{note}");
    }
    Ok(checked)
}

/// Refuse to write `path` when it is a file the run read (exit 2, nothing written).
fn refuse_input(path: &std::path::Path, inputs: &files::InputSet) -> Result<(), u8> {
    check::refuse_input(path, inputs).map_err(failed)
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

/// What the HTML page says about the run: the inputs as typed (globs unexpanded, the page's
/// record of what was checked) and when it was made (`SOURCE_DATE_EPOCH` for reproducible
/// pages).
fn page_options(typed: &[PathBuf]) -> report::html::HtmlOptions {
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
    report::html::HtmlOptions {
        inputs: typed.iter().map(|p| p.display().to_string()).collect(),
        generated,
        ..report::html::HtmlOptions::default()
    }
}

/// Write `format` of the run to `out`, the same for standard output and `--output` files: a
/// format whose summary the caller appends (compact) ends with the summary and the gate's
/// lines unless `options.summary` is off (`-q`).
fn write_format(
    format: Format,
    checked: &Checked,
    page: &report::html::HtmlOptions,
    options: RenderOptions,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let context = report::Context {
        outcome: &checked.outcome,
        rules: &checked.rules,
        options,
        page,
    };
    report::write_with(format, &context, out)?;
    if format.summary_appended() && options.summary {
        writeln!(out, "{}", report::summary_line(&checked.outcome))?;
        for line in report::gate_lines(&checked.outcome) {
            writeln!(out, "{line}")?;
        }
    }
    Ok(())
}

/// Write each `--output` file; every failure is reported. Returns whether all were written.
fn write_outputs(
    outputs: &[(Format, PathBuf)],
    checked: &Checked,
    page: &report::html::HtmlOptions,
    options: RenderOptions,
) -> bool {
    let mut ok = true;
    for (format, path) in outputs {
        let written = files::write_atomic(path, |out| {
            write_format(*format, checked, page, options, out)
        });
        if let Err(e) = written {
            eprintln!("error: cannot write {}: {e}", path.display());
            ok = false;
        }
    }
    ok
}

fn check(args: CheckArgs) -> u8 {
    check_steps(args).unwrap_or_else(|code| code)
}

/// `check`: resolve the outputs, run, write every output; the exit code (`Err` when the run
/// stopped early).
fn check_steps(mut args: CheckArgs) -> Result<u8, u8> {
    let typed = args.paths.clone();
    let (mut asked, config) = prepare(&mut args)?;
    let stdout_tty = std::io::stdout().is_terminal();
    let configured_format = config.file.format.as_ref().map(|f| f.get_ref().as_str());
    let format = parse_format(args.format.as_deref().or(configured_format), stdout_tty)?;
    let mut outputs = parse_outputs(&args.output)?;
    let format = match checks::route_outputs(args.format.is_some(), &mut outputs) {
        Ok(to_stdout) => to_stdout.unwrap_or(format),
        Err(message) => {
            eprintln!("error: {message}");
            return Err(2);
        }
    };
    // `--statistics` is the statistics format, as JSON when JSON was asked for.
    let format = match (args.statistics, format == Format::Json) {
        (true, true) => Format::StatisticsJson,
        (true, false) => Format::Statistics,
        (false, _) => format,
    };
    if stdout_tty && !format.terminal_ok() {
        eprintln!(
            "error: the {} format is a document, not terminal text: write it to a file with \
             --output {}=FILE or redirect standard output",
            format.name(),
            format.name()
        );
        return Err(2);
    }
    asked.excerpts = format.needs_excerpts() || outputs.iter().any(|(f, _)| f.needs_excerpts());
    let formats = std::iter::once(format).chain(outputs.iter().map(|(f, _)| *f));
    asked.columns = formats.flat_map(Format::columns).collect();
    let checked = run_check(asked, config)?;
    for (_, path) in &outputs {
        refuse_input(path, &checked.inputs)?;
    }
    let threshold = checked.threshold();
    let page = page_options(&typed);
    let options = RenderOptions {
        fail_on: threshold,
        summary: !args.quiet,
        help_in_findings: !args.lean_json,
        ..RenderOptions::default()
    };
    let outputs_ok = write_outputs(&outputs, &checked, &page, options);
    write_stdout(&args, format, &checked, &page, options)?;
    let code = match outputs_ok {
        true => Ok(checked.exit_code()),
        false => Err(2),
    };
    // The process ends with the run: its findings, hundreds of thousands of small allocations
    // after a first audit, go back to the system at once instead of one by one (0.1 s at
    // 400,000 findings). Nothing in `Checked` has work to do when dropped (the copy of
    // standard input is removed when `check::evaluate` returns); it must stay so.
    std::mem::forget(checked);
    code
}

/// Write `format` of `checked` to standard output, coloured and wrapped for the terminal it
/// finds. A closed pipe is no error.
fn write_stdout(
    args: &CheckArgs,
    format: Format,
    checked: &Checked,
    page: &report::html::HtmlOptions,
    options: RenderOptions,
) -> Result<(), u8> {
    let console = console::Console::detect(args.color);
    let options = RenderOptions {
        color: console.color,
        width: console.width,
        ascii: console.ascii,
        ..options
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let written = write_format(format, checked, page, options, &mut out);
    if let Err(e) = written.and_then(|()| out.flush()) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("error: cannot write output: {e}");
            return Err(2);
        }
    }
    Ok(())
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
    // The paths as typed (globs unexpanded) are the page's record of what was checked.
    let mut check_args = args.check.clone();
    let checked = match prepare(&mut check_args).and_then(|(mut asked, config)| {
        asked.columns = Format::Html.columns();
        run_check(asked, config)
    }) {
        Ok(c) => c,
        Err(code) => return code,
    };
    if args.html.as_os_str() != "-" {
        if let Err(code) = refuse_input(&args.html, &checked.inputs) {
            return code;
        }
    }
    write_page(args, &checked)
}

/// Write the page of `checked` to the `--html` file (or standard output); the exit code.
fn write_page(args: &ReportArgs, checked: &Checked) -> u8 {
    let mut page = Vec::new();
    let written = write_format(
        Format::Html,
        checked,
        &page_options(&args.check.paths),
        RenderOptions::default(),
        &mut page,
    );
    if let Err(e) = written {
        eprintln!("error: cannot write {}: {e}", args.html.display());
        return 2;
    }
    let to_stdout = args.html.as_os_str() == "-";
    let written = if to_stdout {
        let mut out = std::io::stdout().lock();
        out.write_all(&page).and_then(|()| out.flush())
    } else {
        files::write_atomic(&args.html, |out| out.write_all(&page))
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
            report::summary_line(&checked.outcome)
        );
    }
    // The page is written either way, and says it is incomplete; the exit code says so too.
    if checked.untrusted() {
        2
    } else {
        0
    }
}
