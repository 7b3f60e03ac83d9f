//! `sarif`: SARIF 2.1.0 for code scanning (GitHub, Azure DevOps, IDE viewers).
//!
//! Hand-written serde structs for the subset invlint emits; the output is checked against the
//! official schema in the tests. Words used here:
//!
//! - **descriptor**: a SARIF `reportingDescriptor`, one per described rule
//!   (see [`super::described_rules`]);
//! - **fingerprint**: the `partialFingerprints["invlint/v1"]` of a result, a stable hash of the
//!   finding's code, table, row identity and field (see [`fingerprint`]). It does not contain
//!   line numbers, so a re-export with rows in another order keeps every alert;
//! - **cap**: at most [`MAX_RESULTS`] results per run (GitHub's limit), the most severe kept.
//!
//! Columns are Unicode code points (`columnKind: unicodeCodePoints`), 1-based, with an
//! exclusive end column, as in [`crate::finding::Span`].

use std::collections::{BTreeMap, HashMap};
use std::io;

use serde::Serialize;

use super::RuleInfo;
use crate::engine::{Outcome, Skipped};
use crate::finding::{Finding, Location, Severity};
use crate::rule::RuleSet;

/// Results per run GitHub code scanning accepts.
pub const MAX_RESULTS: usize = 25_000;

/// The key of invlint's entry in `partialFingerprints` (versioned: a change of the hashed
/// fields must change the key, or code scanning would close and reopen every alert).
pub const FINGERPRINT_KEY: &str = "invlint/v1";

const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Vec<Run<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Tool<'a>,
    column_kind: &'static str,
    results: Vec<SarifResult<'a>>,
    properties: RunProperties<'a>,
}

#[derive(Serialize)]
struct Tool<'a> {
    driver: Driver<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver<'a> {
    name: &'static str,
    version: &'static str,
    semantic_version: &'static str,
    rules: Vec<Descriptor<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Descriptor<'a> {
    id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    short_description: Option<Text<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    full_description: Option<Text<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<Text<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    help_uri: Option<&'a str>,
    default_configuration: Configuration,
    #[serde(skip_serializing_if = "Option::is_none")]
    properties: Option<DescriptorProperties<'a>>,
}

#[derive(Serialize)]
struct Text<'a> {
    text: &'a str,
}

/// A finding's message as a SARIF message object, written straight from its template.
#[derive(Serialize)]
struct MessageText<'a> {
    text: &'a crate::finding::Message,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct DescriptorProperties<'a> {
    /// SARIF's standard property for grouping rules; invlint puts the pack name there.
    tags: [&'a str; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: &'a str,
    rule_index: usize,
    level: &'static str,
    message: MessageText<'a>,
    locations: [SarifLocation<'a>; 1],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<SarifLocation<'a>>,
    partial_fingerprints: BTreeMap<&'static str, String>,
    properties: ResultProperties<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifLocation<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<usize>,
    physical_location: PhysicalLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<MessageText<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<Region>,
}

#[derive(Serialize)]
struct ArtifactLocation {
    uri: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u64,
    start_column: u64,
    end_line: u64,
    end_column: u64,
}

/// The finding's cell, for people reading the SARIF file and for tools that want the row.
#[derive(Serialize)]
struct ResultProperties<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    table: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    row: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    identity: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RunProperties<'a> {
    files: usize,
    rows: usize,
    /// Findings of the run, before the cap.
    results_total: usize,
    /// Findings left out by the cap.
    results_omitted: usize,
    truncated: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    truncation_note: Option<String>,
    skipped: &'a [Skipped],
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// FNV-1a, 64 bits: written out because std's `DefaultHasher` may change between Rust
/// releases, and a fingerprint must not.
struct Fnv64(u64);

impl Fnv64 {
    fn new() -> Fnv64 {
        Fnv64(0xcbf2_9ce4_8422_2325)
    }

    fn bytes(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    /// One field, length first, so that ("ab", "c") and ("a", "bc") hash differently.
    fn field(&mut self, text: &str) {
        self.bytes(&(text.len() as u64).to_le_bytes());
        self.bytes(text.as_bytes());
    }
}

/// The stable fingerprint of a finding (16 hex digits): a hash of (code, table, row identity,
/// field), or, for findings without a row identity, of (code, file, table, field, value).
/// Line numbers never enter it.
pub fn fingerprint(f: &Finding) -> String {
    let mut h = Fnv64::new();
    let l = &f.location;
    h.field(&f.code);
    match &f.identity {
        Some(identity) => {
            h.field("row");
            h.field(l.table().unwrap_or(""));
            h.field(identity);
            h.field(l.field().unwrap_or(""));
        }
        None => {
            h.field("file");
            h.field(l.file());
            h.field(l.table().unwrap_or(""));
            h.field(l.field().unwrap_or(""));
            h.field(l.value.as_deref().unwrap_or(""));
        }
    }
    format!("{:016x}", h.0)
}

/// A display path as a SARIF URI: relative paths stay relative (GitHub resolves them against
/// the repository root) with `/` separators and everything but unreserved characters and `/`
/// percent-encoded; absolute paths become `file:` URIs.
pub fn uri(path: &str) -> String {
    let path = path.replace('\\', "/");
    let mut rest = path.as_str();
    while let Some(r) = rest.strip_prefix("./") {
        rest = r;
    }
    let drive = rest.as_bytes();
    if drive.len() >= 3 && drive[0].is_ascii_alphabetic() && &drive[1..3] == b":/" {
        return format!("file:///{}:{}", &rest[..1], encode(&rest[2..]));
    }
    if rest.starts_with('/') {
        return format!("file://{}", encode(rest));
    }
    encode(rest)
}

fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for &b in text.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn physical(l: &Location) -> PhysicalLocation {
    PhysicalLocation {
        artifact_location: ArtifactLocation { uri: uri(l.file()) },
        region: super::region(l).map(|s| Region {
            start_line: s.line,
            start_column: s.column,
            end_line: s.end_line,
            end_column: s.end_column,
        }),
    }
}

/// Which findings survive the cap of `max` results: all errors first, then warnings, then
/// infos, each in output order.
fn kept(findings: &[Finding], max: usize) -> Vec<bool> {
    let mut keep = vec![false; findings.len()];
    let mut room = max;
    for severity in [Severity::Error, Severity::Warning, Severity::Info] {
        for (i, f) in findings.iter().enumerate() {
            if room == 0 {
                return keep;
            }
            if f.severity == severity {
                keep[i] = true;
                room -= 1;
            }
        }
    }
    keep
}

/// The `sarif` format in the registry ([`super::REPORTERS`]).
pub const REPORTER: super::Reporter = super::Reporter {
    name: "sarif",
    aliases: &[],
    excerpts: false,
    columns: &[],
    summary: super::Summary::Never,
    terminal: true,
    write: |c, out| write(c.outcome, c.rules, out),
};

/// Write `report` as SARIF, capped at [`MAX_RESULTS`].
pub fn write(report: &Outcome, rules: &RuleSet, out: &mut dyn io::Write) -> io::Result<()> {
    write_capped(report, rules, MAX_RESULTS, out)
}

/// Write `report` as SARIF with at most `max_results` results.
pub fn write_capped(
    report: &Outcome,
    rules: &RuleSet,
    max_results: usize,
    out: &mut dyn io::Write,
) -> io::Result<()> {
    let described = super::described_rules(report, rules);
    let keep = kept(&report.findings, max_results);
    let results = results(report, &described, &keep);
    // Findings `--max-findings` left out never reached the reporter: counted here too.
    let capped = report.omitted.count();
    let total = report.findings.len() + capped;
    let omitted = total - results.len();
    let log = Log {
        schema: SCHEMA_URI,
        version: "2.1.0",
        runs: vec![Run {
            tool: Tool {
                driver: Driver {
                    name: "invlint",
                    version: env!("CARGO_PKG_VERSION"),
                    semantic_version: env!("CARGO_PKG_VERSION"),
                    rules: described.iter().map(descriptor).collect(),
                },
            },
            column_kind: "unicodeCodePoints",
            results,
            properties: RunProperties {
                files: report.files,
                rows: report.rows,
                results_total: total,
                results_omitted: omitted,
                truncated: omitted > 0,
                truncation_note: (omitted > 0)
                    .then(|| truncation_note(report, omitted, max_results)),
                skipped: &report.skipped,
            },
        }],
    };
    serde_json::to_writer_pretty(&mut *out, &log).map_err(io::Error::other)?;
    writeln!(out)
}

/// The descriptor of a described rule.
fn descriptor<'a>(r: &RuleInfo<'a>) -> Descriptor<'a> {
    Descriptor {
        id: r.code,
        short_description: Some(r.title)
            .filter(|t| !t.is_empty())
            .map(|text| Text { text }),
        full_description: r.why.map(|text| Text { text }),
        help: r.help.map(|text| Text { text }),
        // The schema wants an absolute URI; a rule file may hold anything.
        help_uri: r
            .url
            .filter(|u| u.starts_with("https://") || u.starts_with("http://")),
        default_configuration: Configuration {
            level: level(r.severity),
        },
        properties: Some(r.pack)
            .filter(|p| !p.is_empty())
            .map(|p| DescriptorProperties { tags: [p] }),
    }
}

/// The results of the findings `keep` marks, in output order; `described` gives each its
/// rule's index.
fn results<'a>(
    report: &'a Outcome,
    described: &[RuleInfo<'_>],
    keep: &[bool],
) -> Vec<SarifResult<'a>> {
    let index: HashMap<&str, usize> = described
        .iter()
        .enumerate()
        .map(|(i, r)| (r.code, i))
        .collect();
    // Findings that hash alike (two findings on one cell) get `:2`, `:3`… in output order so
    // every result keeps its own alert.
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut results = Vec::new();
    for (f, _) in report.findings.iter().zip(keep).filter(|(_, k)| **k) {
        let mut print = fingerprint(f);
        let n = seen.entry(print.clone()).or_insert(0);
        *n += 1;
        if *n > 1 {
            print = format!("{print}:{n}");
        }
        let l = &f.location;
        results.push(SarifResult {
            rule_id: &f.code,
            rule_index: index.get(&*f.code).copied().unwrap_or(0),
            // The finding's own level: it may differ from its rule's default (a CSV005 about a
            // known cmdlet's export is a warning; configured severities).
            level: level(f.severity),
            message: MessageText { text: &f.message },
            locations: [SarifLocation {
                id: None,
                physical_location: physical(l),
                message: None,
            }],
            related_locations: f
                .related
                .iter()
                .enumerate()
                .map(|(i, r)| SarifLocation {
                    id: Some(i + 1),
                    physical_location: physical(&r.location),
                    message: Some(MessageText { text: &r.message }),
                })
                .collect(),
            partial_fingerprints: BTreeMap::from([(FINGERPRINT_KEY, print)]),
            properties: ResultProperties {
                table: l.table(),
                row: l.row(),
                field: l.field(),
                value: l.value.as_deref(),
                identity: f.identity.as_deref(),
            },
        });
    }
    results
}

/// Why `omitted` findings are not results: `--max-findings`, the cap per run, or both.
fn truncation_note(report: &Outcome, omitted: usize, max_results: usize) -> String {
    let capped = report.omitted.count();
    let total = report.findings.len() + capped;
    let mut reasons = Vec::new();
    if capped > 0 {
        reasons.push(format!(
            "{capped} by --max-findings {}",
            report.findings.len()
        ));
    }
    if omitted > capped {
        reasons.push(format!(
            "{} by the cap of {max_results} results per run (the most severe \
             kept)",
            omitted - capped
        ));
    }
    format!(
        "{omitted} of {total} findings left out: {}; the json format without \
         --max-findings has them all",
        reasons.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Anchor;

    #[test]
    fn fnv1a_matches_the_reference_vectors() {
        // From the FNV reference test suite (draft-eastlake-fnv): "" and "a".
        let mut h = Fnv64::new();
        h.bytes(b"");
        assert_eq!(h.0, 0xcbf2_9ce4_8422_2325);
        let mut h = Fnv64::new();
        h.bytes(b"a");
        assert_eq!(h.0, 0xaf63_dc4c_8601_ec8c);
        let mut h = Fnv64::new();
        h.bytes(b"foobar");
        assert_eq!(h.0, 0x8594_4171_f739_67e8);
    }

    #[test]
    fn uris_are_relative_and_percent_encoded() {
        assert_eq!(uri("exports/users.csv"), "exports/users.csv");
        assert_eq!(uri("./exports/users.csv"), "exports/users.csv");
        assert_eq!(
            uri("my exports/Café #1.csv"),
            "my%20exports/Caf%C3%A9%20%231.csv"
        );
        assert_eq!(uri("a:b/c.csv"), "a%3Ab/c.csv");
        assert_eq!(uri("/srv/x y.csv"), "file:///srv/x%20y.csv");
        assert_eq!(uri("C:/exports/u.csv"), "file:///C:/exports/u.csv");
        assert_eq!(uri("exports\\u.csv"), "exports/u.csv");
    }

    fn finding(code: &str, severity: Severity) -> Finding {
        let location = Location::new(0, "f.csv".into(), Anchor::Record { record: 1 });
        Finding::new(code, severity, "m", location)
    }

    #[test]
    fn the_cap_keeps_the_most_severe() {
        let findings = vec![
            finding("A", Severity::Info),
            finding("B", Severity::Warning),
            finding("C", Severity::Error),
            finding("D", Severity::Warning),
        ];
        assert_eq!(kept(&findings, 2), [false, true, true, false]);
        assert_eq!(kept(&findings, 3), [false, true, true, true]);
        assert_eq!(kept(&findings, 10), [true; 4]);
    }

    #[test]
    fn fingerprints_ignore_lines_but_not_identity() {
        let mut a = finding("AD001", Severity::Error);
        a.identity = Some("users:sip:a@contoso.com".into());
        let mut b = a.clone();
        b.location.anchor = Anchor::Record { record: 40 };
        b.location.rename_file("elsewhere/f.csv".into());
        assert_eq!(fingerprint(&a), fingerprint(&b));
        b.identity = Some("users:sip:b@contoso.com".into());
        assert_ne!(fingerprint(&a), fingerprint(&b));
        let mut c = a.clone();
        c.code = "AD003".into();
        assert_ne!(fingerprint(&a), fingerprint(&c));
        // Without identity the file and value count.
        let mut d = finding("TP003", Severity::Error);
        let e = d.clone();
        d.location.value = Some("5".into());
        assert_ne!(fingerprint(&d), fingerprint(&e));
        assert_eq!(fingerprint(&d).len(), 16);
    }
}
