//! **Table declarations**: what a kind of table looks like, read from a pack's `tables.toml`.
//!
//! A declaration names a **kind** (`users`, `registrars`, …), the .NET type names of its
//! `#TYPE` line, the header **signature** that identifies it, file-name globs, the columns it
//! knows (with **aliases**: other header names for the same column, e.g. `Pool` for
//! `RegistrarPool`), the columns it requires, and its **keys** (what lookups index it by).
//! Header matching is always case-insensitive.

use std::collections::BTreeMap;

use serde::Deserialize;

/// One `[[table]]` of a `tables.toml`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct TableDecl {
    pub kind: String,
    #[serde(default)]
    pub title: String,
    /// The PowerShell command that produces the table (shown in docs and messages).
    #[serde(default)]
    pub export: String,
    /// .NET type names of the `#TYPE` line (without `Selected.`/`Deserialized.` prefixes; a
    /// trailing `*` matches any name that starts with the rest).
    #[serde(default)]
    pub type_names: Vec<String>,
    /// Columns that must all be present for the header to identify this kind.
    #[serde(default)]
    pub signature: Vec<String>,
    /// Of these, at least one must be present too (when non-empty).
    #[serde(default)]
    pub signature_any: Vec<String>,
    /// A **view**: the kind is also made of the rows of every table of kind `view-of` that
    /// match `rows` (registrars are the `Registrar:` rows of a plain `Get-CsService` export).
    #[serde(default)]
    pub view_of: Option<String>,
    /// With `view-of`: an expression over the base kind's columns selecting the rows.
    #[serde(default)]
    pub rows: Option<toml::Spanned<String>>,
    /// Columns a table of this kind cannot do without (CSV006 when absent).
    #[serde(default)]
    pub required: Vec<String>,
    /// Every column the kind is known to have; rules may reference these and the header's.
    #[serde(default)]
    pub columns: Vec<String>,
    /// Canonical column name → other header names for it.
    #[serde(default)]
    pub aliases: BTreeMap<String, Vec<String>>,
    /// File-name globs: they only break a tie between kinds whose header matches.
    #[serde(default)]
    pub globs: Vec<String>,
    /// The primary key: `kind[value]` looks it up.
    #[serde(default)]
    pub key: Option<KeyDecl>,
    /// Named keys: `kind.name[value]` looks them up.
    #[serde(default)]
    pub keys: BTreeMap<String, KeyDecl>,
    /// The columns that identify one **object** (a user, a pool, a phone), most stable first
    /// (`Guid`, `Identity`, `SipAddress`): rows of a run that share a non-empty value of any
    /// of them (trimmed, case-insensitive, `sip:` ignored) describe the same object, whatever
    /// file they come from.
    #[serde(default)]
    pub identity: Vec<String>,
    /// An expression selecting the rows this kind's rules **judge** (users: the SIP-enabled
    /// ones); the other rows are still read, looked up and counted, but no rule reports them.
    #[serde(default)]
    pub judged: Option<toml::Spanned<String>>,
}

/// A key: one or more columns, each normalised the same way on both sides of a lookup.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct KeyDecl {
    pub columns: Vec<String>,
    /// An expression over `_` (the cell or lookup value), e.g. `strip_prefix(trim(_), "sip:")`.
    #[serde(default)]
    pub normalize: Option<toml::Spanned<String>>,
    /// Compare case-insensitively (FQDNs, SIP addresses).
    #[serde(default)]
    pub ignore_case: bool,
    /// A multi-valued key: each cell of each of its columns is split at this separator and
    /// the row is found by any one item (a room by any of its `Members`, `Managers`,
    /// `Presenters`). Without it, several columns make one composite key.
    #[serde(default)]
    pub split: Option<String>,
}

impl TableDecl {
    /// The canonical name of a header name, if the declaration knows it.
    pub fn canonical<'a>(&'a self, header_name: &str) -> Option<&'a str> {
        let name = header_name.trim();
        if let Some(c) = self.columns.iter().find(|c| c.eq_ignore_ascii_case(name)) {
            return Some(c);
        }
        self.aliases
            .iter()
            .find(|(canonical, alts)| {
                canonical.eq_ignore_ascii_case(name)
                    || alts.iter().any(|a| a.eq_ignore_ascii_case(name))
            })
            .map(|(canonical, _)| canonical.as_str())
    }

    /// Field index in `header` of the column `canonical` (directly or through an alias).
    /// [`TableDecl::find_column`] for many columns: one pass over the header, so that a
    /// header of 100,000 columns does not cost 100,000² comparisons.
    pub fn find_columns(&self, header: &[String], canonicals: &[String]) -> Vec<Option<usize>> {
        let mut first: std::collections::HashMap<String, usize> =
            std::collections::HashMap::with_capacity(header.len());
        for (i, h) in header.iter().enumerate() {
            first.entry(h.trim().to_ascii_lowercase()).or_insert(i);
        }
        canonicals
            .iter()
            .map(|canonical| {
                first
                    .get(&canonical.to_ascii_lowercase())
                    .copied()
                    .or_else(|| {
                        self.aliases_of(canonical)
                            .iter()
                            .filter_map(|a| first.get(&a.to_ascii_lowercase()).copied())
                            .min()
                    })
            })
            .collect()
    }

    pub fn find_column(&self, header: &[String], canonical: &str) -> Option<usize> {
        header
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(canonical))
            .or_else(|| {
                let alts = self.aliases_of(canonical);
                header
                    .iter()
                    .position(|h| alts.iter().any(|a| a.eq_ignore_ascii_case(h.trim())))
            })
    }

    /// The other header names declared for column `canonical` (none when it has none).
    fn aliases_of(&self, canonical: &str) -> &[String] {
        self.aliases
            .iter()
            .find(|(c, _)| c.eq_ignore_ascii_case(canonical))
            .map_or(&[], |(_, alts)| alts.as_slice())
    }

    /// Whether one of the declared type names is `type_name` itself (not a `*` family).
    pub fn type_name_is_exact(&self, type_name: &str) -> bool {
        let name = bare_type_name(type_name);
        self.type_names.iter().any(|t| t.eq_ignore_ascii_case(name))
    }

    pub fn type_name_matches(&self, type_name: &str) -> bool {
        let name = bare_type_name(type_name);
        // A trailing `*` matches a family of types (`…Xds.Display*`: every service role).
        self.type_names.iter().any(|t| match t.strip_suffix('*') {
            Some(prefix) => name
                .get(..prefix.len())
                .is_some_and(|p| p.eq_ignore_ascii_case(prefix)),
            None => t.eq_ignore_ascii_case(name),
        })
    }

    pub fn signature_matches(&self, header: &[String]) -> bool {
        !self.signature.is_empty()
            && self
                .signature
                .iter()
                .all(|c| self.find_column(header, c).is_some())
            && (self.signature_any.is_empty()
                || self
                    .signature_any
                    .iter()
                    .any(|c| self.find_column(header, c).is_some()))
    }
}

/// One `[[known]]` of a `tables.toml`: the shape of a cmdlet's export that invlint recognises
/// but does not read yet (no rule uses it). A CSV matching no `[[table]]` but one of these is
/// reported as `CSV005` at warning, naming the cmdlet, instead of info.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct KnownDecl {
    pub title: String,
    /// The cmdlet that writes it, e.g. `Get-CsVoicePolicy`.
    pub cmdlet: String,
    /// .NET type names of its `#TYPE` line (without `Selected.`/`Deserialized.` prefixes).
    #[serde(default)]
    pub type_names: Vec<String>,
    /// Columns that must all be present (case-insensitive).
    pub signature: Vec<String>,
}

impl KnownDecl {
    /// Whether a file with this `#TYPE` name and header is this cmdlet's output.
    pub fn matches(&self, type_name: Option<&str>, header: &[String]) -> bool {
        let by_type = type_name.is_some_and(|t| {
            let name = bare_type_name(t);
            self.type_names.iter().any(|n| n.eq_ignore_ascii_case(name))
        });
        let by_header = !self.signature.is_empty()
            && self
                .signature
                .iter()
                .all(|c| header.iter().any(|h| h.trim().eq_ignore_ascii_case(c)));
        by_type || by_header
    }
}

/// A `#TYPE` name without the `Deserialized.`/`Selected.` prefixes remoting and
/// `Select-Object` add.
fn bare_type_name(type_name: &str) -> &str {
    let mut name = type_name.trim();
    while let Some(rest) = name
        .strip_prefix("Deserialized.")
        .or_else(|| name.strip_prefix("Selected."))
    {
        name = rest;
    }
    name
}

/// The `tables.toml` of a pack.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct TablesFile {
    #[serde(default)]
    pub table: Vec<TableDecl>,
    /// Cmdlet outputs recognised but not read yet (see [`KnownDecl`]).
    #[serde(default)]
    pub known: Vec<KnownDecl>,
    /// Value maps usable in expressions: map name → (value → text).
    #[serde(default)]
    pub maps: BTreeMap<String, BTreeMap<String, String>>,
}
