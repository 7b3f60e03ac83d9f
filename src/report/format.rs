//! The **format registry**: what an output format is, said once.
//!
//! A **reporter** ([`Reporter`], declared in the parent module, where the formats' files
//! and this registry both read it without reading each other) describes one format: its name and aliases, whether users
//! see it in the list of formats, whether it needs source excerpts, who prints the run's
//! summary lines, whether its output suits a terminal, and the function that writes it. Each
//! format's file declares its `pub const REPORTER`; [`super::REPORTERS`] lists them all, in
//! the order users see them. A [`Format`] is the handle callers hold: a reporter of the list.
//!
//! Adding a format: one file with its writer and its `REPORTER`, one line in
//! [`super::REPORTERS`] (and its `mod` line).

use std::fmt;

use std::io;

use super::{Context, Reporter, Summary, REPORTERS};

/// Whether two names are the same, byte for byte (`==` on `str` is not `const`).
const fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// The names of the reporters, in the registry's order.
const NAMES: [&str; REPORTERS.len()] = {
    let mut names = [""; REPORTERS.len()];
    let mut i = 0;
    while i < REPORTERS.len() {
        names[i] = REPORTERS[i].name;
        i += 1;
    }
    names
};

/// An output format: a reporter of [`super::REPORTERS`] (its position there).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Format(usize);

impl fmt::Debug for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Format({})", self.name())
    }
}

// The constants name formats as the enum they replace did (`Format::Human`), so that callers
// keep comparing and matching on them.
#[allow(non_upper_case_globals)]
impl Format {
    pub const Human: Format = Format::named("human");
    pub const Compact: Format = Format::named("compact");
    pub const Json: Format = Format::named("json");
    pub const Sarif: Format = Format::named("sarif");
    pub const Github: Format = Format::named("github");
    pub const Junit: Format = Format::named("junit");
    pub const Markdown: Format = Format::named("markdown");
    pub const Html: Format = Format::named("html");
    pub const Statistics: Format = Format::named("statistics");
    pub const StatisticsJson: Format = Format::named("statistics-json");

    /// The names users may give (without aliases), in order.
    pub const NAMES: &'static [&'static str] = &NAMES;

    /// The format registered as `name`; a name missing from the registry stops the build.
    const fn named(name: &str) -> Format {
        let mut i = 0;
        while i < REPORTERS.len() {
            if same(REPORTERS[i].name, name) {
                return Format(i);
            }
            i += 1;
        }
        panic!("a Format constant names no reporter of REPORTERS")
    }

    /// A format by its name or an alias.
    pub fn parse(name: &str) -> Option<Format> {
        REPORTERS
            .iter()
            .position(|r| r.name == name || r.aliases.contains(&name))
            .map(Format)
    }

    /// Every registered format, in the registry's order.
    pub fn all() -> impl Iterator<Item = Format> {
        (0..REPORTERS.len()).map(Format)
    }

    /// The format's descriptor.
    pub fn reporter(self) -> &'static Reporter {
        REPORTERS[self.0]
    }

    pub fn name(self) -> &'static str {
        self.reporter().name
    }

    /// The table columns this format reads besides the rules', as kind and canonical names.
    pub fn columns(self) -> Vec<(String, Vec<String>)> {
        self.reporter()
            .columns
            .iter()
            .map(|s| {
                let names = s.columns.iter().map(|c| c.to_string()).collect();
                (s.kind.to_string(), names)
            })
            .collect()
    }

    /// Whether the reader must keep source excerpts for this format.
    pub fn needs_excerpts(self) -> bool {
        self.reporter().excerpts
    }

    /// Whether the format writes the summary lines itself ([`Summary::Own`]).
    pub fn prints_own_summary(self) -> bool {
        self.reporter().summary == Summary::Own
    }

    /// Whether the caller appends the summary lines after it ([`Summary::Appended`]).
    pub fn summary_appended(self) -> bool {
        self.reporter().summary == Summary::Appended
    }

    /// Whether its output is fit to print on an interactive terminal.
    pub fn terminal_ok(self) -> bool {
        self.reporter().terminal
    }

    /// Write `context` in this format.
    pub fn write(self, context: &Context<'_>, out: &mut dyn io::Write) -> io::Result<()> {
        (self.reporter().write)(context, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_aliases() {
        assert_eq!(
            Format::NAMES,
            [
                "human",
                "compact",
                "json",
                "sarif",
                "github",
                "junit",
                "markdown",
                "html",
                "statistics",
                "statistics-json"
            ]
        );
        assert_eq!(Format::parse("concise"), Some(Format::Compact));
        assert_eq!(Format::parse("html"), Some(Format::Html));
        assert_eq!(
            Format::parse("statistics-json"),
            Some(Format::StatisticsJson)
        );
        assert_eq!(Format::parse("nope"), None);
    }

    #[test]
    fn every_name_is_registered_once() {
        let mut seen = std::collections::BTreeSet::new();
        for f in Format::all() {
            let r = f.reporter();
            for name in std::iter::once(&r.name).chain(r.aliases) {
                assert!(seen.insert(*name), "`{name}` names two formats");
            }
            assert_eq!(Format::parse(r.name), Some(f));
        }
    }

    #[test]
    fn the_descriptors_say_what_the_callers_did() {
        let excerpts: Vec<&str> = Format::all()
            .filter(|f| f.needs_excerpts())
            .map(Format::name)
            .collect();
        assert_eq!(excerpts, ["human"]);
        assert!(Format::Human.prints_own_summary());
        assert!(Format::Compact.summary_appended());
        assert!(!Format::Json.summary_appended() && !Format::Json.prints_own_summary());
        assert!(!Format::Html.terminal_ok());
    }
}
