//! The **configuration file** `invlint.toml`: project defaults for `check` and `report`.
//!
//! It is the nearest one to the first checked PATH (its folder or a parent), else the nearest
//! to the current folder (or given with `--config`); the checked folder's wins, being the one
//! kept with the exports. Paths inside it are relative to its own folder. Command-line options win over
//! it: `--select` replaces `select`, `--ignore` and `--extend-select` add to theirs, and so on.
//! Unknown keys are errors located in the file, like every other mistake in it.
//!
//! Words: a **per-path override** changes which codes run and their severities for the files
//! matching some globs; a **table override** forces the kind, delimiter or encoding of the files
//! matching some globs (for exports that content recognition cannot place).

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;
use toml::Spanned;

use crate::finding::Severity;
use crate::gate::suppress::SuppressEntry;
use crate::gate::{Adjust, ForPaths};
use crate::inventory::decode::Encoding;
use crate::inventory::TableOverride;
use crate::located::{LocatedError, SourceText};

/// The file name looked for in the current folder and its parents.
pub const FILE_NAME: &str = "invlint.toml";

/// `fail-on` of the configuration (and of `--fail-on`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum FailOn {
    #[default]
    Error,
    Warning,
    Info,
    Never,
}

impl FailOn {
    /// The lowest severity that fails the run, if any.
    pub fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::Error => Some(Severity::Error),
            FailOn::Warning => Some(Severity::Warning),
            FailOn::Info => Some(Severity::Info),
            FailOn::Never => None,
        }
    }
}

/// `invlint.toml` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ConfigFile {
    /// Rule pack folders added to the embedded packs.
    #[serde(default)]
    pub rule_packs: Vec<String>,
    /// `false` drops the embedded packs (their table declarations stay).
    pub default_rules: Option<bool>,
    #[serde(default)]
    pub select: Vec<String>,
    #[serde(default)]
    pub extend_select: Vec<String>,
    #[serde(default)]
    pub ignore: Vec<String>,
    #[serde(default)]
    pub profiles: Vec<Spanned<String>>,
    /// The migration target (`lync2013`, `sfb2015`, `sfb2019`, `sfbse`, `teams`).
    pub target: Option<Spanned<String>>,
    /// Globs of the pool FQDNs being retired.
    #[serde(default)]
    pub retiring_pools: Vec<String>,
    #[serde(default)]
    pub include: Vec<String>,
    #[serde(default)]
    pub exclude: Vec<String>,
    pub hidden: Option<bool>,
    pub format: Option<Spanned<String>>,
    pub fail_on: Option<FailOn>,
    pub baseline: Option<String>,
    pub suppressions: Option<String>,
    /// Severity per code (or code prefix).
    #[serde(default)]
    pub severity: BTreeMap<String, Severity>,
    #[serde(default)]
    pub per_path: Vec<PerPath>,
    #[serde(default)]
    pub table: Vec<TableEntry>,
    #[serde(default)]
    pub suppress: Vec<Spanned<SuppressEntry>>,
}

impl ConfigFile {
    /// The gate's severity overrides and per-path settings, compiled from `[severity]` and
    /// `[[per-path]]` (the configuration builds the gate's inputs; the gate never reads it).
    pub fn adjust(&self) -> Result<Adjust, String> {
        Adjust::new(
            &self.severity,
            self.per_path.iter().map(|p| ForPaths {
                paths: &p.paths,
                ignore: &p.ignore,
                severity: &p.severity,
            }),
        )
    }
}

/// `[[per-path]]`: settings for the files matching `paths`.
#[derive(Debug, Default, Deserialize, Clone)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PerPath {
    pub paths: Vec<String>,
    #[serde(default)]
    pub ignore: Vec<String>,
    #[serde(default)]
    pub severity: BTreeMap<String, Severity>,
}

/// `[[table]]`: how to read the files matching `paths`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct TableEntry {
    pub paths: Vec<String>,
    pub kind: Option<String>,
    pub delimiter: Option<Spanned<String>>,
    pub encoding: Option<Spanned<String>>,
}

/// A loaded configuration: the file, where it lives, and its text (for located messages).
#[derive(Debug, Default)]
pub struct Config {
    pub file: ConfigFile,
    /// The configuration file, `None` for the built-in defaults.
    pub path: Option<PathBuf>,
    pub source: Option<SourceText>,
    /// Table overrides, validated.
    pub overrides: Vec<TableOverride>,
}

impl Config {
    /// Folder that relative paths in the configuration are relative to.
    pub fn base_dir(&self) -> PathBuf {
        self.path
            .as_deref()
            .and_then(Path::parent)
            .map(Path::to_path_buf)
            .unwrap_or_default()
    }

    /// A path from the configuration, resolved against its folder.
    pub fn resolve(&self, path: &str) -> PathBuf {
        let p = PathBuf::from(path);
        if p.is_absolute() {
            p
        } else {
            let base = self.base_dir();
            if base.as_os_str().is_empty() {
                p
            } else {
                base.join(p)
            }
        }
    }
}

/// The nearest `invlint.toml` in `start` or its parents. Anything of that name counts,
/// even a dangling link or a FIFO: it is then an error to load, never skipped for a parent's.
pub fn discover(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .map(|dir| dir.join(FILE_NAME))
        .find(|candidate| std::fs::symlink_metadata(candidate).is_ok())
}

/// Load and validate a configuration file. Every mistake is returned, located in the file.
pub fn load(path: &Path) -> Result<Config, Vec<LocatedError>> {
    let text =
        crate::files::read_text_capped(path, crate::files::MAX_TEXT_FILE, "configuration file")
            .map_err(|e| vec![LocatedError::plain(e)])?;
    parse(&path.display().to_string(), &text).map(|mut config| {
        config.path = Some(path.to_path_buf());
        config
    })
}

/// Parse configuration text; `name` is the file name shown in messages.
pub fn parse(name: &str, text: &str) -> Result<Config, Vec<LocatedError>> {
    let source = SourceText {
        name: Arc::from(name),
        text: Arc::from(text),
    };
    let file: ConfigFile =
        toml::from_str(text).map_err(|e| vec![LocatedError::toml(&source, &e)])?;
    let mut errors = check_names(&file, &source);
    let overrides = table_overrides(&file, &source, &mut errors);
    errors.extend(check_globs(&file, name));
    for entry in &file.suppress {
        if let Err(message) = entry.get_ref().validate() {
            errors.push(located(
                &source,
                entry.span(),
                message,
                "every suppression needs `code`, `key` and a non-empty `reason`",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Config {
        file,
        path: None,
        source: Some(source),
        overrides,
    })
}

/// The format, profiles and target the file names, each a known one.
fn check_names(file: &ConfigFile, source: &SourceText) -> Vec<LocatedError> {
    let mut errors = Vec::new();
    if let Some(format) = &file.format {
        if crate::report::Format::parse(format.get_ref()).is_none() {
            errors.push(LocatedError::at_value(
                source,
                format.span(),
                format!("unknown format `{}`", format.get_ref()),
                Some(format!(
                    "use one of: {}",
                    crate::report::Format::NAMES.join(", ")
                )),
            ));
        }
    }
    // A misspelt profile or target would silently run none of its rules.
    let named = file
        .profiles
        .iter()
        .map(|p| (p, crate::target::parse_profile(p.get_ref()).err()))
        .chain(
            file.target
                .iter()
                .map(|t| (t, crate::target::Target::parse(t.get_ref()).err())),
        );
    for (value, error) in named {
        if let Some(message) = error {
            errors.push(LocatedError::at_value(source, value.span(), message, None));
        }
    }
    errors
}

/// The `[[table]]` entries as table overrides, one per glob; a bad delimiter or encoding is
/// added to `errors` (and left out of the override).
fn table_overrides(
    file: &ConfigFile,
    source: &SourceText,
    errors: &mut Vec<LocatedError>,
) -> Vec<TableOverride> {
    let mut overrides = Vec::new();
    for entry in &file.table {
        let delimiter = match &entry.delimiter {
            None => None,
            Some(d) => match parse_delimiter(d.get_ref()) {
                Some(b) => Some(b),
                None => {
                    errors.push(located(
                        source,
                        d.span(),
                        format!("unusable delimiter `{}`", d.get_ref()),
                        "use one character: \",\", \";\", \"|\" or \"\\t\" (tab)",
                    ));
                    None
                }
            },
        };
        let encoding = match &entry.encoding {
            None => None,
            Some(e) => match Encoding::from_label(e.get_ref()) {
                Some(enc) => Some(enc),
                None => {
                    errors.push(located(
                        source,
                        e.span(),
                        format!("unknown encoding `{}`", e.get_ref()),
                        "use utf-8, utf-8-bom, utf-16le, utf-16be or windows-1252",
                    ));
                    None
                }
            },
        };
        for glob in &entry.paths {
            overrides.push(TableOverride {
                glob: glob.clone(),
                kind: entry.kind.clone(),
                delimiter,
                encoding,
            });
        }
    }
    overrides
}

/// Every glob of the file (per-path, table, include, exclude, retiring pools), each valid.
fn check_globs(file: &ConfigFile, name: &str) -> Vec<LocatedError> {
    file.per_path
        .iter()
        .flat_map(|p| p.paths.iter())
        .chain(file.table.iter().flat_map(|t| t.paths.iter()))
        .chain(file.include.iter())
        .chain(file.exclude.iter())
        .chain(file.retiring_pools.iter())
        .filter_map(|glob| {
            globset::Glob::new(glob)
                .err()
                .map(|e| LocatedError::plain(format!("{name}: bad glob `{glob}`: {}", e.kind())))
        })
        .collect()
}

fn located(source: &SourceText, span: Range<usize>, message: String, help: &str) -> LocatedError {
    LocatedError::at_value(source, span, message, Some(help.to_string()))
}

fn parse_delimiter(text: &str) -> Option<u8> {
    match text {
        "\\t" | "tab" => Some(b'\t'),
        _ if text.len() == 1 && text.is_ascii() && text != "\"" => text.bytes().next(),
        _ => None,
    }
}

/// The commented starter file written by `invlint init`.
pub const STARTER: &str = r#"# invlint configuration (README.md, "Configuration, baselines and suppressions").
# Paths are relative to this file. Command-line options win over these settings.

# Extra rule packs (folders of rule files) added to the embedded Lync / Skype for Business packs.
# rule-packs = ["rules/local"]
# default-rules = true

# Which codes run: codes or prefixes. `select` empty means every rule.
# select = ["PC", "AD", "TP", "CL", "CSV"]
# extend-select = []
# ignore = ["CSV005"]

# The migration this audit is for: lync2013, sfb2015, sfb2019, sfbse (Subscription Edition)
# or teams; rules written for a target run only under it. The pools being retired (globs over
# pool FQDNs): objects still homed there block the move.
# target = "sfbse"
# retiring-pools = ["pool15*.contoso.com"]

# Profiles turn on the rules written for one phase of the migration and preset a target:
# post-migration (target lync2013), decommission (target teams, every pool retiring).
# profiles = ["decommission"]

# Files read inside the folders given on the command line.
# include = ["*.csv", "*.tsv"]
# exclude = ["**/archive/**"]
# hidden = false

# Output and gate. Formats: human, compact, json, and the CI formats.
# format = "human"
# fail-on = "error"   # error | warning | info | never

# Known findings (`invlint check --write-baseline invlint-baseline.json`) and accepted ones.
# baseline = "invlint-baseline.json"
# suppressions = "invlint-suppressions.toml"

# Severity per code or prefix.
# [severity]
# TP005 = "error"
# CSV003 = "info"

# Settings for some files only (globs match the path as invlint prints it).
# [[per-path]]
# paths = ["**/lab/**"]
# ignore = ["AD004"]
# severity = { PC012 = "info" }

# Exports that content recognition cannot place, or that need a fixed delimiter or encoding.
# [[table]]
# paths = ["**/old-users-*.csv"]
# kind = "users"
# delimiter = ";"
# encoding = "windows-1252"

# Accepted findings, each with a reason (and an optional expiry date); the same entries can
# live in invlint-suppressions.toml.
# [[suppress]]
# code = "AD002"
# key = "sip:ken.myer@contoso.com"
# table = "users"
# reason = "Admin account kept until the cut-over, CHG-1234"
# expires = 2027-03-31
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starter_file_parses() {
        let config = parse("invlint.toml", STARTER).expect("starter parses");
        assert!(config.file.select.is_empty());
        // And with every example uncommented, it is still valid.
        let uncommented: String = STARTER
            .lines()
            .map(|l| {
                l.strip_prefix("# ")
                    .filter(|rest| {
                        rest.contains(" = ") || rest.starts_with('[') || rest.starts_with("TP005")
                    })
                    .unwrap_or(l)
            })
            .collect::<Vec<_>>()
            .join("\n");
        let config = parse("invlint.toml", &uncommented).expect("uncommented starter parses");
        assert_eq!(config.file.select.len(), 5);
        assert_eq!(config.file.fail_on, Some(FailOn::Error));
        assert_eq!(config.overrides.len(), 1);
        assert_eq!(config.overrides[0].delimiter, Some(b';'));
        assert_eq!(config.file.suppress.len(), 1);
        assert_eq!(config.file.severity.get("TP005"), Some(&Severity::Error));
    }

    #[test]
    fn unknown_key_is_located() {
        let errors = parse("invlint.toml", "select = [\"PC\"]\nfail_on = \"warning\"\n")
            .expect_err("unknown key");
        assert_eq!(errors.len(), 1);
        assert!(
            errors[0].message.contains("fail_on"),
            "{}",
            errors[0].message
        );
        assert_eq!(errors[0].line_col, Some((2, 1)));
    }

    #[test]
    fn bad_values_are_all_reported() {
        let text = "format = \"xml\"\n[[table]]\npaths = [\"*.csv\"]\ndelimiter = \"::\"\nencoding = \"latin-9\"\n";
        let errors = parse("invlint.toml", text).expect_err("bad values");
        let lines: Vec<_> = errors.iter().map(|e| e.line_col).collect();
        assert_eq!(lines, vec![Some((1, 10)), Some((4, 13)), Some((5, 12))]);
    }

    #[test]
    fn most_specific_severity_wins_and_per_path_ignores() {
        use crate::finding::{Anchor, Finding, Location};
        let finding = |code: &str, file: &str| {
            Finding::new(
                code,
                Severity::Error,
                "m",
                Location::new(0, Arc::from(file), Anchor::File),
            )
        };
        let config: ConfigFile = toml::from_str(
            r#"
            [severity]
            PC = "info"
            PC002 = "warning"
            [[per-path]]
            paths = ["lab/**"]
            ignore = ["AD"]
            severity = { PC = "error" }
            "#,
        )
        .expect("config");
        let adjust = config.adjust().expect("adjust");
        let mut findings = vec![
            finding("PC001", "prod/users.csv"),
            finding("PC002", "prod/users.csv"),
            finding("AD001", "lab/users.csv"),
            finding("AD001", "prod/users.csv"),
            finding("PC001", "lab/users.csv"),
        ];
        adjust.apply(&mut findings);
        let got: Vec<(&str, &str, Severity)> = findings
            .iter()
            .map(|f| (&*f.code, &**f.location.file(), f.severity))
            .collect();
        assert_eq!(
            got,
            vec![
                ("PC001", "prod/users.csv", Severity::Info),
                ("PC002", "prod/users.csv", Severity::Warning),
                ("AD001", "prod/users.csv", Severity::Error),
                ("PC001", "lab/users.csv", Severity::Error),
            ]
        );
    }

    #[test]
    fn discovery_walks_up() {
        let dir = tempfile::tempdir().expect("tempdir");
        let nested = dir.path().join("a/b");
        std::fs::create_dir_all(&nested).expect("mkdir");
        assert_eq!(discover(&nested), None);
        std::fs::write(dir.path().join(FILE_NAME), "").expect("write");
        assert_eq!(discover(&nested), Some(dir.path().join(FILE_NAME)));
    }
}
