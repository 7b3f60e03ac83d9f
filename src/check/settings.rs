//! **Settings**: what a check runs with, resolved once from what the user **asked** (the
//! command-line options, [`Asked`]) merged with the **configuration** file ([`Config`]).
//!
//! Command-line options win over the file: `--select` replaces `select`, `--ignore` and
//! `--extend-select` add to theirs, `--include` replaces `include`, and so on (the rules of
//! merging are those of docs/configuration; they live here and nowhere else).

use std::path::{Path, PathBuf};

use crate::config::{self, Config};
use crate::engine::{self, Options};
use crate::gate::suppress;
use crate::inventory::DiscoverOptions;
use crate::target::Target;

use super::Failure;

/// The options of a check as the user gave them, before the configuration file is merged in.
/// Empty lists and `None` mean "not given".
#[derive(Debug, Clone, Default)]
pub struct Asked {
    /// Files and folders of exports (`-`: standard input), glob patterns already expanded.
    pub paths: Vec<PathBuf>,
    /// Worker threads (`--jobs`).
    pub jobs: Option<usize>,
    /// Rule pack folders added (`--rules`).
    pub rule_dirs: Vec<PathBuf>,
    /// Leave out the embedded rule packs (`--no-default-rules`).
    pub no_default_rules: bool,
    pub profiles: Vec<String>,
    pub target: Option<String>,
    pub retiring_pools: Vec<String>,
    pub select: Vec<String>,
    pub extend_select: Vec<String>,
    pub ignore: Vec<String>,
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    pub hidden: bool,
    pub follow_links: bool,
    /// No notes (`--quiet`).
    pub quiet: bool,
    /// The configuration file (`--config`), else the nearest one is looked for.
    pub config: Option<PathBuf>,
    /// Ignore every configuration file (`--isolated`).
    pub isolated: bool,
    pub baseline: Option<PathBuf>,
    pub write_baseline: Option<PathBuf>,
    pub suppressions: Option<PathBuf>,
    pub strict_suppressions: bool,
    pub max_findings: Option<usize>,
    /// The lowest severity that fails the check (`--fail-on`), else the configuration's.
    pub fail_on: Option<config::FailOn>,
    /// Never fail on findings, only on an untrusted check (`--exit-zero`).
    pub exit_zero: bool,
    /// Keep the source lines of each location (for the formats that show them).
    pub excerpts: bool,
    /// Columns the asked formats read besides the rules' (see [`engine::Options::columns`]).
    pub columns: Vec<(String, Vec<String>)>,
}

impl Asked {
    /// The configuration for a check: `config`, else the nearest invlint.toml, else defaults
    /// (`isolated`: always the defaults).
    pub fn load_config(&self) -> Result<Config, Failure> {
        if self.isolated {
            return Ok(Config::default());
        }
        let path = match &self.config {
            Some(path) => path.clone(),
            None => match self.discover_config() {
                Some(found) => relative_to_cwd(&found),
                None => return Ok(Config::default()),
            },
        };
        config::load(&path).map_err(|errors| Failure::errors(errors, "in the configuration file"))
    }

    /// The configuration file of a run without `config`: the nearest invlint.toml to the
    /// first path (its folder, or the folder of a file, or a parent), else the nearest to the
    /// current folder. The checked folder's wins: it is the one kept with the exports it
    /// describes.
    fn discover_config(&self) -> Option<PathBuf> {
        let checked = self
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
}

/// `path` relative to the current folder when it is below it (shorter messages and locations).
fn relative_to_cwd(path: &Path) -> PathBuf {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(PathBuf::from))
        .unwrap_or_else(|| path.to_path_buf())
}

/// Everything a check runs with: the merged options, and the two sources they came from (kept
/// for the messages that name where a setting was written).
#[derive(Debug)]
pub struct Settings {
    /// What the user asked for on the command line.
    pub asked: Asked,
    /// The configuration file (or the defaults).
    pub config: Config,
    /// Rule pack folders: the asked ones, then the configuration's.
    pub rule_dirs: Vec<PathBuf>,
    /// Whether the embedded rule packs are loaded.
    pub default_rules: bool,
    /// What the engine runs (its progress sink is the caller's to set, see
    /// [`Settings::progress`]).
    pub options: Options,
    /// The suppressions file, if any (asked, configured, or found beside the configuration).
    pub suppressions: Option<PathBuf>,
    /// The baseline to compare with, if any.
    pub baseline: Option<PathBuf>,
    /// Findings kept at most after the gate; the others are counted.
    pub max_findings: usize,
}

impl Settings {
    /// Merge `asked` with `config`.
    pub fn resolve(asked: Asked, config: Config) -> Settings {
        let file = &config.file;
        let mut rule_dirs = asked.rule_dirs.clone();
        rule_dirs.extend(file.rule_packs.iter().map(|p| config.resolve(p)));
        let default_rules = !(asked.no_default_rules || file.default_rules == Some(false));
        let suppressions = suppressions_path(&asked, &config);
        let baseline = asked
            .baseline
            .clone()
            .or_else(|| file.baseline.as_deref().map(|p| config.resolve(p)));
        let max_findings = asked.max_findings.unwrap_or(engine::DEFAULT_MAX_FINDINGS);
        // Findings the gate would drop (suppressed, known to the baseline, ignored per path)
        // must not fill the cap, nor count in the exit code: then the cap comes after it.
        let filters_after_run = asked.write_baseline.is_some()
            || baseline.is_some()
            || suppressions.is_some()
            || !file.suppress.is_empty()
            || !file.per_path.is_empty()
            || !file.severity.is_empty();
        let options = Options {
            max_findings: Some(max_findings).filter(|_| !filters_after_run),
            ..engine_options(&asked, &config)
        };
        Settings {
            asked,
            config,
            rule_dirs,
            default_rules,
            options,
            suppressions,
            baseline,
            max_findings,
        }
    }

    /// Where the engine sends its progress events (a progress bar of the caller's).
    pub fn progress(&mut self, sink: crate::engine::progress::ProgressSink) {
        self.options.progress = Some(sink);
    }

    /// What fails the check: `--fail-on`, else the configuration's `fail-on`, else errors.
    pub fn fail_on(&self) -> config::FailOn {
        self.asked
            .fail_on
            .or(self.config.file.fail_on)
            .unwrap_or_default()
    }
}

/// The engine's options: discovery, table overrides, profiles, target, retiring pools, the
/// codes selected and ignored, excerpts.
fn engine_options(asked: &Asked, config: &Config) -> Options {
    let file = &config.file;
    let mut discover = DiscoverOptions {
        hidden: asked.hidden || file.hidden == Some(true),
        follow_links: asked.follow_links,
        exclude: file.exclude.iter().chain(&asked.exclude).cloned().collect(),
        ..DiscoverOptions::default()
    };
    if !asked.include.is_empty() {
        discover.include = asked.include.clone();
    } else if !file.include.is_empty() {
        discover.include = file.include.clone();
    }
    let mut select = if asked.select.is_empty() {
        file.select.clone()
    } else {
        asked.select.clone()
    };
    if !select.is_empty() {
        select.extend(
            file.extend_select
                .iter()
                .chain(&asked.extend_select)
                .cloned(),
        );
    }
    Options {
        discover,
        overrides: config.overrides.clone(),
        profiles: file
            .profiles
            .iter()
            .map(|p| p.get_ref())
            .chain(&asked.profiles)
            .cloned()
            .collect(),
        target: asked
            .target
            .as_deref()
            .or(file.target.as_ref().map(|t| t.get_ref().as_str()))
            .and_then(|t| Target::parse(t).ok()),
        retiring: if asked.retiring_pools.is_empty() {
            file.retiring_pools.clone()
        } else {
            asked.retiring_pools.clone()
        },
        select,
        ignore: file.ignore.iter().chain(&asked.ignore).cloned().collect(),
        excerpts: asked.excerpts,
        columns: asked.columns.clone(),
        progress: None,
        max_findings: None,
    }
}

/// The suppressions file: asked, else the configuration's `suppressions`, else
/// `invlint-suppressions.toml` beside the configuration (or in the current folder) if any.
fn suppressions_path(asked: &Asked, config: &Config) -> Option<PathBuf> {
    if let Some(path) = &asked.suppressions {
        return Some(path.clone());
    }
    if let Some(path) = &config.file.suppressions {
        return Some(config.resolve(path));
    }
    // Anything of that name counts (a dangling link or a FIFO is an error to load).
    let beside = config.resolve(suppress::FILE_NAME);
    std::fs::symlink_metadata(&beside).is_ok().then_some(beside)
}
