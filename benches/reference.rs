//! The **reference checker**: the yardstick for the rule engine's overhead.
//!
//! A hand-written, single-purpose checker over the csv crate (no rule engine, no expression
//! language) for the six rules PC001, PC002, AD001, AD002, TP001 and PC004, with the exact
//! semantics of their rule files (rules/*/*.toml) and of the table keys of rules/lync/tables.toml:
//! SIP addresses compare without case and without `sip:`, pool FQDNs and policy identities
//! without case after trimming, and the effective Persistent Chat policy of PC002 falls back
//! from the user's `Tag:` policy to the `Site:` policy of the home pool's site, then `Global`.
//!
//! It is written the way a competent engineer would write it for speed: `ByteRecord`s reused,
//! columns resolved once from the header, a fast non-cryptographic hash, the `#TYPE` line
//! skipped by the parser, UTF-16 decoded in a stream, and two phases that use every thread:
//! the users files and the registrations files are read at the same time (the user checks that
//! need no registration run during that pass, the others keep only their candidate rows), then
//! the candidates are joined with the registrations.
//!
//! ```text
//! cargo bench --bench reference -- DIR [--jobs N] [--list] [--verify]
//! cargo bench --bench reference -- DIR --columns
//! ```
//!
//! Prints the findings per code as one JSON object. `--list` prints every finding as
//! `CODE<TAB>file<TAB>record` instead (record 0 is the header, 1 the first data row).
//! `--verify` also runs invlint's engine on the same folder with only these six rules and
//! exits 1 unless both found exactly the same (code, file, record) set.
//!
//! `--columns` does not check anything: it runs invlint with the default rule packs and prints,
//! per file, the columns invlint held in memory (the **referenced columns**) and the bytes of
//! their cells, then a `TOTAL` line, for the memory target of benches/run.sh. `--phases` runs
//! invlint the same way (with `--jobs N`) and prints how long each phase took, from its
//! progress events.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fs::File;
use std::hash::{BuildHasherDefault, Hasher};
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use rayon::prelude::*;

const CODES: [&str; 6] = ["PC001", "PC002", "AD001", "AD002", "TP001", "PC004"];

/// FxHash (rustc's hasher): keys are the admin's own data, so no HashDoS concern.
#[derive(Default, Clone, Copy)]
struct Fx(u64);

impl Hasher for Fx {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0xf135_7aea_2e62_a9c5;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let w = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
            self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(K);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
        }
    }
    fn write_u8(&mut self, b: u8) {
        self.write(&[b]);
    }
    fn finish(&self) -> u64 {
        self.0.rotate_left(26)
    }
}

type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<Fx>>;
type FxSet<K> = HashSet<K, BuildHasherDefault<Fx>>;

/// A finding: code, file index, record number.
type Hit = (&'static str, usize, u64);

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Users,
    Registrations,
    Registrars,
    ChatServices,
    ChatPolicies,
}

struct Table {
    path: PathBuf,
    kind: Kind,
    utf16: bool,
    header: Vec<String>,
}

impl Table {
    fn column(&self, name: &str) -> Option<usize> {
        self.header
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
    }

    fn reader(&self) -> io::Result<csv::Reader<Box<dyn Read + Send>>> {
        let file = File::open(&self.path)?;
        let input: Box<dyn Read + Send> = if self.utf16 {
            Box::new(Utf16Reader::new(file))
        } else {
            Box::new(file)
        };
        // The csv crate strips a UTF-8 BOM; `comment` skips the `#TYPE` line.
        Ok(csv::ReaderBuilder::new()
            .comment(Some(b'#'))
            .flexible(true)
            .buffer_capacity(256 * 1024)
            .from_reader(input))
    }
}

/// Streams UTF-8 out of a UTF-16LE file (BOM skipped by the decoder).
struct Utf16Reader<R> {
    inner: R,
    decoder: encoding_rs::Decoder,
    input: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
    output: Vec<u8>,
    out_start: usize,
    out_end: usize,
}

impl<R: Read> Utf16Reader<R> {
    fn new(inner: R) -> Self {
        Utf16Reader {
            inner,
            decoder: encoding_rs::UTF_16LE.new_decoder_with_bom_removal(),
            input: vec![0; 128 * 1024],
            start: 0,
            end: 0,
            eof: false,
            output: vec![0; 3 * 128 * 1024 + 16],
            out_start: 0,
            out_end: 0,
        }
    }
}

impl<R: Read> Read for Utf16Reader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.out_start == self.out_end {
            if self.start == self.end && !self.eof {
                self.start = 0;
                self.end = self.inner.read(&mut self.input)?;
                self.eof = self.end == 0;
            }
            if self.eof && self.start == self.end && self.out_end == usize::MAX {
                return Ok(0);
            }
            let (_, read, written, _) = self.decoder.decode_to_utf8(
                &self.input[self.start..self.end],
                &mut self.output,
                self.eof,
            );
            self.start += read;
            self.out_start = 0;
            self.out_end = written;
            if written == 0 && self.eof {
                self.out_end = usize::MAX;
                self.out_start = usize::MAX;
                return Ok(0);
            }
        }
        let n = buf.len().min(self.out_end - self.out_start);
        buf[..n].copy_from_slice(&self.output[self.out_start..self.out_start + n]);
        self.out_start += n;
        Ok(n)
    }
}

fn open_table(path: &Path) -> io::Result<Option<Table>> {
    let mut head = [0u8; 2];
    let utf16 = File::open(path)?.read(&mut head)? == 2 && head == [0xFF, 0xFE];
    let mut table = Table {
        path: path.to_path_buf(),
        kind: Kind::Users,
        utf16,
        header: Vec::new(),
    };
    let mut reader = table.reader()?;
    table.header = reader
        .headers()
        .map_err(io::Error::other)?
        .iter()
        .map(str::to_string)
        .collect();
    let has = |n: &str| table.column(n).is_some();
    table.kind = if has("UserAgent") && has("UserName") {
        Kind::Registrations
    } else if has("EnablePersistentChat") && has("Identity") {
        Kind::ChatPolicies
    } else if has("SipAddress") && has("RegistrarPool") {
        Kind::Users
    } else if has("PoolFqdn") && has("Version") && has("Registrar") {
        Kind::ChatServices
    } else if has("PoolFqdn") && has("Version") {
        Kind::Registrars
    } else {
        return Ok(None);
    };
    Ok(Some(table))
}

fn text(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap_or("")
}

/// Lower-cased key text (the tables' `ignore-case = true`), reusing `out`.
fn lower_into(s: &str, out: &mut String) {
    out.clear();
    if s.is_ascii() {
        out.push_str(s);
        out.make_ascii_lowercase();
    } else {
        out.push_str(&s.to_lowercase());
    }
}

/// `strip_prefix(trim(s), p)` of the rule language: case-insensitive prefix.
fn strip_ci<'s>(s: &'s str, prefix: &str) -> &'s str {
    match s.get(..prefix.len()) {
        Some(head) if head.eq_ignore_ascii_case(prefix) => &s[prefix.len()..],
        _ => s,
    }
}

/// The key of a SIP address in a lookup (the users and registrations.user keys:
/// `strip_prefix(trim(_), "sip:")`, without case).
fn sip_key(cell: &str, out: &mut String) {
    lower_into(strip_ci(cell.trim(), "sip:"), out);
}

/// AD002's uniqueness value: `strip_prefix(trim(SipAddress), "sip:")`, trimmed, without case.
fn unique_key(cell: &str, out: &mut String) {
    lower_into(strip_ci(cell.trim(), "sip:").trim(), out);
}

/// `num(x)`: the trimmed text as a number.
fn num(s: &str) -> Option<f64> {
    s.trim().parse().ok()
}

/// Major version of the `OC/` token of a user agent (`client_major`).
fn client_major(ua: &str) -> Option<u64> {
    let (_, v) = ua
        .split_whitespace()
        .filter_map(|t| t.split_once('/'))
        .find(|(product, _)| product.eq_ignore_ascii_case("OC"))?;
    let v = v.trim_end_matches([',', ';']).trim();
    let v = v.strip_prefix(['v', 'V']).unwrap_or(v);
    let mut major = None;
    for (n, part) in v.split('.').enumerate() {
        if n == 4 || part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let value: u64 = part.parse().ok()?;
        if n == 0 {
            major = Some(value);
        }
    }
    major
}

/// `parse_bool` of the rule language.
fn boolean(s: &str) -> Option<bool> {
    let s = s.trim();
    if s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

struct Registrar {
    version: Option<f64>,
    site: Option<String>,
}

/// The small tables, keyed as in tables.toml.
#[derive(Default)]
struct Small {
    registrars: FxMap<String, Registrar>,
    /// Identity key → EnablePersistentChat (None when the column is absent).
    policies: FxMap<String, Option<String>>,
}

fn read_small(tables: &[Table], small: &mut Small) -> io::Result<()> {
    let mut key = String::new();
    for t in tables {
        match t.kind {
            Kind::Registrars => {
                let (Some(fqdn), version, site) = (
                    t.column("PoolFqdn"),
                    t.column("Version"),
                    t.column("SiteId"),
                ) else {
                    continue;
                };
                let mut reader = t.reader()?;
                let mut r = csv::ByteRecord::new();
                while reader.read_byte_record(&mut r).map_err(io::Error::other)? {
                    lower_into(text(r.get(fqdn).unwrap_or(b"")).trim(), &mut key);
                    if key.is_empty() || small.registrars.contains_key(&key) {
                        continue; // a lookup returns the first row of a key
                    }
                    let version = version.and_then(|c| num(text(r.get(c).unwrap_or(b""))));
                    let site = site.map(|c| text(r.get(c).unwrap_or(b"")).to_string());
                    small
                        .registrars
                        .insert(key.clone(), Registrar { version, site });
                }
            }
            Kind::ChatPolicies => {
                let (Some(id), enable) = (t.column("Identity"), t.column("EnablePersistentChat"))
                else {
                    continue;
                };
                let mut reader = t.reader()?;
                let mut r = csv::ByteRecord::new();
                while reader.read_byte_record(&mut r).map_err(io::Error::other)? {
                    lower_into(text(r.get(id).unwrap_or(b"")).trim(), &mut key);
                    if key.is_empty() || small.policies.contains_key(&key) {
                        continue;
                    }
                    let enable = enable.map(|c| text(r.get(c).unwrap_or(b"")).to_string());
                    small.policies.insert(key.clone(), enable);
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// PC004 over the chat services.
fn check_chat_services(
    t: &Table,
    file: usize,
    small: &Small,
    hits: &mut Vec<Hit>,
) -> io::Result<()> {
    let (Some(registrar), Some(version)) = (t.column("Registrar"), t.column("Version")) else {
        return Ok(());
    };
    let mut reader = t.reader()?;
    let mut r = csv::ByteRecord::new();
    let mut key = String::new();
    let mut record = 0;
    while reader.read_byte_record(&mut r).map_err(io::Error::other)? {
        record += 1;
        let host = strip_ci(text(r.get(registrar).unwrap_or(b"")).trim(), "Registrar:");
        lower_into(host.trim(), &mut key);
        let host_version = small.registrars.get(&key).and_then(|h| h.version);
        if let (Some(h), Some(v)) = (host_version, num(text(r.get(version).unwrap_or(b"")))) {
            if h != v {
                hits.push(("PC004", file, record));
            }
        }
    }
    Ok(())
}

/// Which users need a Lync 2013-or-later client for PC001 / PC002 to fire.
struct Candidates {
    file: usize,
    /// (record, SIP key, rule) for users whose finding depends only on their registrations.
    rows: Vec<(u64, String, &'static str)>,
}

/// One pass over a users file: AD001, TP001 and AD002 (`first`: key → record of its first
/// occurrence in this file; merged across files afterwards), and the PC001 / PC002 candidates.
fn check_users(
    t: &Table,
    file: usize,
    small: &Small,
    hits: &mut Vec<Hit>,
    first: &mut FxMap<String, u64>,
) -> io::Result<Candidates> {
    let sip = t.column("SipAddress");
    let pool = t
        .column("RegistrarPool")
        .or_else(|| t.column("Pool"))
        .or_else(|| t.column("RegistrarPoolFqdn"))
        .or_else(|| t.column("HomePool"));
    let policy = t.column("PersistentChatPolicy");
    let sip_re = regex::bytes::Regex::new(r"^(?i:sip):[^\s@]+@[A-Za-z0-9-]*\.[A-Za-z0-9.-]*$")
        .map_err(io::Error::other)?;
    let mut reader = t.reader()?;
    let mut r = csv::ByteRecord::new();
    let mut candidates = Candidates {
        file,
        rows: Vec::new(),
    };
    let (mut key, mut pool_key, mut policy_key) = (String::new(), String::new(), String::new());
    let mut record = 0u64;
    let global = small.policies.get("global");
    while reader.read_byte_record(&mut r).map_err(io::Error::other)? {
        record += 1;
        let sip_cell = sip.and_then(|c| r.get(c)).unwrap_or(b"");
        // AD001
        if sip.is_some() && !sip_re.is_match(sip_cell) {
            hits.push(("AD001", file, record));
        }
        let sip_text = text(sip_cell);
        // AD002: the same address (trimmed, without sip:, without case) as an earlier row.
        unique_key(sip_text, &mut key);
        if sip.is_some() && !key.is_empty() {
            if first.contains_key(&key) {
                hits.push(("AD002", file, record));
            } else {
                first.insert(key.clone(), record);
            }
        }
        sip_key(sip_text, &mut key);
        let Some(pool) = pool else { continue };
        let pool_cell = text(r.get(pool).unwrap_or(b""));
        lower_into(pool_cell.trim(), &mut pool_key);
        let home = small.registrars.get(&pool_key);
        // TP001
        if !pool_cell.trim().is_empty() && home.is_none() {
            hits.push(("TP001", file, record));
        }
        let version = home.and_then(|h| h.version);
        // PC001 needs a Lync 2013+ client and a home older than Version 6.
        if let Some(v) = version {
            // `num(home.Version) >= 6` fails (NaN included).
            if v.partial_cmp(&6.0).is_none_or(|o| o.is_lt()) {
                candidates.rows.push((record, key.clone(), "PC001"));
            }
        }
        // PC002 needs a home of Version 6 or 7 whose effective policy disables chat.
        if version.is_some_and(|v| v == 6.0 || v == 7.0) {
            let per_user = policy.map(|c| text(r.get(c).unwrap_or(b""))).unwrap_or("");
            let effective = if per_user.trim().is_empty() {
                let site = home.and_then(|h| h.site.as_deref()).map(|s| {
                    let mut k = String::from("Site:");
                    k.push_str(strip_ci(s, "Site:"));
                    lower_into(k.trim(), &mut policy_key);
                    small.policies.get(&policy_key)
                });
                site.flatten().or(global)
            } else {
                let mut k = String::from("Tag:");
                k.push_str(per_user.trim());
                lower_into(k.trim(), &mut policy_key);
                small.policies.get(&policy_key)
            };
            if let Some(Some(enable)) = effective {
                if boolean(enable) == Some(false) {
                    candidates.rows.push((record, key.clone(), "PC002"));
                }
            }
        }
    }
    Ok(candidates)
}

/// Registered users with a Lync 2013-or-later client: keys for PC001, and for PC002 (which
/// also wants the `OC/` token at the start or after a space).
#[derive(Default)]
struct Clients {
    pc001: FxSet<String>,
    pc002: FxSet<String>,
}

fn read_registrations(t: &Table) -> io::Result<Clients> {
    let (Some(user), Some(agent)) = (
        t.column("UserName"),
        t.column("UserAgent").or_else(|| t.column("ClientApp")),
    ) else {
        return Ok(Clients::default());
    };
    let oc = regex::Regex::new(r"(?i)(^|\s)OC/").map_err(io::Error::other)?;
    let mut clients = Clients::default();
    let mut reader = t.reader()?;
    let mut r = csv::ByteRecord::new();
    let mut key = String::new();
    while reader.read_byte_record(&mut r).map_err(io::Error::other)? {
        let ua = text(r.get(agent).unwrap_or(b""));
        if client_major(ua).is_none_or(|m| m < 15) {
            continue;
        }
        let user = text(r.get(user).unwrap_or(b""));
        if user.trim().is_empty() {
            continue; // empty keys are not indexed
        }
        sip_key(user, &mut key);
        if oc.is_match(ua) && !clients.pc002.contains(&key) {
            clients.pc002.insert(key.clone());
        }
        if !clients.pc001.contains(&key) {
            clients.pc001.insert(key.clone());
        }
    }
    Ok(clients)
}

/// The `.csv` files under `dir`, recursively.
fn csv_files(dir: &Path, out: &mut Vec<PathBuf>) -> io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            csv_files(&path, out)?;
        } else if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
        {
            out.push(path);
        }
    }
    Ok(())
}

fn run(dir: &Path) -> io::Result<(Vec<Hit>, Vec<Table>)> {
    let mut paths = Vec::new();
    csv_files(dir, &mut paths)?;
    paths.sort();
    let tables: Vec<Table> = paths
        .par_iter()
        .map(|p| open_table(p))
        .collect::<io::Result<Vec<_>>>()?
        .into_iter()
        .flatten()
        .collect();
    let mut small = Small::default();
    read_small(&tables, &mut small)?;
    let of = |kind: Kind| -> Vec<(usize, &Table)> {
        tables
            .iter()
            .enumerate()
            .filter(|(_, t)| t.kind == kind)
            .collect()
    };
    let (users, registrations) = (of(Kind::Users), of(Kind::Registrations));
    // Phase 1: users and registrations at the same time.
    type UsersOut = (Vec<Hit>, FxMap<String, u64>, Candidates);
    let (users_out, clients) = rayon::join(
        || -> io::Result<Vec<UsersOut>> {
            users
                .par_iter()
                .map(|&(file, t)| {
                    let (mut hits, mut first) = (Vec::new(), FxMap::default());
                    let c = check_users(t, file, &small, &mut hits, &mut first)?;
                    Ok((hits, first, c))
                })
                .collect()
        },
        || -> io::Result<Vec<Clients>> {
            registrations
                .par_iter()
                .map(|&(_, t)| read_registrations(t))
                .collect()
        },
    );
    let (users_out, clients) = (users_out?, clients?);
    let mut hits = Vec::new();
    for (file, t) in of(Kind::ChatServices) {
        check_chat_services(t, file, &small, &mut hits)?;
    }
    // AD002 across users files: a first occurrence in a later file repeats an earlier file's.
    let mut candidates = Vec::new();
    for (i, (file_hits, first, c)) in users_out.iter().enumerate() {
        hits.extend(file_hits.iter().copied());
        for (key, record) in first {
            if users_out[..i]
                .iter()
                .any(|(_, earlier, _)| earlier.contains_key(key))
            {
                hits.push(("AD002", c.file, *record));
            }
        }
        candidates.push(c);
    }
    // Phase 2: join the candidates with the registrations.
    let has = |key: &str, code: &str| {
        clients.iter().any(|c| match code {
            "PC001" => c.pc001.contains(key),
            _ => c.pc002.contains(key),
        })
    };
    let joined: Vec<Hit> = candidates
        .par_iter()
        .flat_map_iter(|c| {
            c.rows
                .iter()
                .filter(|(_, key, code)| has(key, code))
                .map(|(record, _, code)| (*code, c.file, *record))
        })
        .collect();
    hits.extend(joined);
    hits.sort();
    Ok((hits, tables))
}

fn file_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

/// Run invlint's engine with only the six rules and compare (code, file, record) sets.
fn verify(dir: &Path, ours: &BTreeSet<(String, String, u64)>) -> Result<usize, String> {
    let rules = invlint::rule::RuleSet::load(true, &[]).map_err(|e| format!("{e:?}"))?;
    let options = invlint::engine::Options {
        select: CODES.iter().map(|c| c.to_string()).collect(),
        ..Default::default()
    };
    let report = invlint::engine::check(&[dir.to_path_buf()], &rules, &options)
        .map_err(|e| format!("{e:?}"))?;
    let theirs: BTreeSet<(String, String, u64)> = report
        .findings
        .iter()
        .filter(|f| CODES.contains(&&*f.code))
        .map(|f| {
            (
                f.code.to_string(),
                file_name(&f.location.file).to_string(),
                f.location.anchor.record().unwrap_or(0),
            )
        })
        .collect();
    if &theirs == ours {
        return Ok(theirs.len());
    }
    let only_ours: Vec<_> = ours.difference(&theirs).take(5).collect();
    let only_theirs: Vec<_> = theirs.difference(ours).take(5).collect();
    Err(format!(
        "the reference found {} findings, invlint {}; only in the reference: {only_ours:?}; \
         only in invlint: {only_theirs:?}",
        ours.len(),
        theirs.len()
    ))
}

/// What invlint keeps in memory with the default packs: per file, the columns and their bytes.
fn columns(dir: &Path) -> Result<(), String> {
    let rules = invlint::rule::RuleSet::load(true, &[]).map_err(|e| format!("{e:?}"))?;
    let report = invlint::engine::check(&[dir.to_path_buf()], &rules, &Default::default())
        .map_err(|e| format!("{e:?}"))?;
    let (mut rows, mut bytes) = (0, 0);
    println!("file\tkind\trows\tbytes\tcolumns");
    for k in &report.kept {
        println!(
            "{}\t{}\t{}\t{}\t{}",
            file_name(&k.file),
            k.kind.as_deref().unwrap_or("-"),
            k.rows,
            k.bytes,
            k.columns.join(",")
        );
        rows += k.rows;
        bytes += k.bytes;
    }
    println!("TOTAL\t-\t{rows}\t{bytes}\t-");
    Ok(())
}

/// invlint's phases on `dir` (default packs), timed from its progress events.
fn phases(dir: &Path) -> Result<(), String> {
    use invlint::engine::progress::{Progress, ProgressSink};
    use std::sync::{Arc, Mutex};
    use std::time::Instant;
    let rules = invlint::rule::RuleSet::load(true, &[]).map_err(|e| format!("{e:?}"))?;
    let started = Instant::now();
    let marks = Arc::new(Mutex::new(vec![("opening", started)]));
    let sink = {
        let marks = marks.clone();
        ProgressSink::new(move |e| {
            if let Progress::Start { phase, .. } = e {
                if let Ok(mut m) = marks.lock() {
                    m.push((phase.label(), Instant::now()));
                }
            }
        })
    };
    let options = invlint::engine::Options {
        progress: Some(sink),
        ..Default::default()
    };
    invlint::engine::check(&[dir.to_path_buf()], &rules, &options).map_err(|e| format!("{e:?}"))?;
    let end = Instant::now();
    let marks = marks.lock().map_err(|e| e.to_string())?;
    for (i, (label, at)) in marks.iter().enumerate() {
        let next = marks.get(i + 1).map_or(end, |(_, t)| *t);
        println!("{label}\t{:.3}", (next - *at).as_secs_f64());
    }
    println!("total\t{:.3}", (end - started).as_secs_f64());
    Ok(())
}

fn main() -> ExitCode {
    let mut dir = None;
    let (mut jobs, mut list, mut check, mut kept) = (None, false, false, false);
    let mut timed = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--jobs" | "-j" => jobs = args.next().and_then(|v| v.parse::<usize>().ok()),
            "--list" => list = true,
            "--verify" => check = true,
            "--columns" => kept = true,
            "--phases" => timed = true,
            "--bench" => {} // passed by `cargo bench`
            other => dir = Some(PathBuf::from(other)),
        }
    }
    let Some(dir) = dir else {
        eprintln!("usage: reference DIR [--jobs N] [--list] [--verify] | DIR --columns | DIR --phases [--jobs N]");
        return ExitCode::from(2);
    };
    if kept {
        return match columns(&dir) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(2)
            }
        };
    }
    let pool = match rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.unwrap_or(0))
        .build()
    {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    if timed {
        return match pool.install(|| phases(&dir)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(2)
            }
        };
    }
    let (hits, tables) = match pool.install(|| run(&dir)) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let name = |file: usize| file_name(&tables[file].path.to_string_lossy()).to_string();
    if list {
        for (code, file, record) in &hits {
            println!("{code}\t{}\t{record}", name(*file));
        }
    } else {
        let mut counts: BTreeMap<&str, usize> = CODES.iter().map(|c| (*c, 0)).collect();
        for (code, _, _) in &hits {
            *counts.entry(code).or_default() += 1;
        }
        println!("{}", serde_json::to_string(&counts).unwrap_or_default());
    }
    if check {
        let ours = hits
            .iter()
            .map(|(code, file, record)| (code.to_string(), name(*file), *record))
            .collect();
        match pool.install(|| verify(&dir, &ours)) {
            Ok(n) => eprintln!("verify: invlint and the reference agree on all {n} findings"),
            Err(e) => {
                eprintln!("verify FAILED: {e}");
                return ExitCode::from(1);
            }
        }
    }
    ExitCode::SUCCESS
}
