//! The **reference checker**: the yardstick for the rule engine's overhead.
//!
//! A hand-written, single-purpose checker over the csv crate (no rule engine, no expression
//! language) for the six rules PC001, PC002, AD001, AD002, TP001 and PC004, with the exact
//! semantics of their rule files (rules/*/*.toml) and of the table declarations of
//! rules/lync/tables.toml:
//!
//! - keys: SIP addresses compare without case and without `sip:`, pool FQDNs and policy
//!   identities without case after trimming; a lookup finds the first row of its key;
//! - users: only the **judged** rows are checked (`Enabled` True or a SIP address), and the
//!   Persistent Chat and topology rules judge on-premises users only (`HostingProvider` empty or
//!   `SRV:`, a missing column reading as empty), PC001 / PC002 enabled ones only (`Enabled` not
//!   False);
//! - **chat evidence** (PC001, PC002): the user is listed in a room (chat-rooms `Members`,
//!   `Managers`, `Presenters`) or a category (chat-categories `AllowedMembers`, `Creators`) of a
//!   chat pool whose chat-services `Version` is 6 or more. Those cells are `; `-joined lists:
//!   each item, trimmed, without `sip:` and without case, is a member (the `member` keys of
//!   tables.toml); OU and group DNs among them match no SIP address;
//! - PC001: a user homed on Version 5 with a Lync 2013-or-later client (an `OC/` user agent of
//!   major version 15 or more, found by SIP address, else by UPN when the SIP address has no
//!   registration at all) who has chat evidence or a per-user policy enabling Persistent Chat;
//! - PC002: a user homed on Version 6 or 7 with chat evidence whose effective Persistent Chat
//!   policy has `EnablePersistentChat` False: the per-user policy (`Tag:<name>`, the cell with
//!   or without `Tag:`), else the `Site:` policy of the home registrar's site, else `Global`;
//!   no registrations are needed;
//! - TP001 runs only when the inventory has registrars; AD001 uses the rule's regular
//!   expression.
//!
//! Files are recognised by their header (delimiter sniffed as invlint does: the most frequent
//! of `,` `;` tab `|` outside quotes in the header line), in UTF-8, UTF-16 (with or without a
//! BOM) or, when the start is not UTF-8, Windows-1252; a `PoolFqdn`/`Version` file is a chat
//! pools export when it has a `Registrar` column or a `pchat`-like name, else registrars (the
//! rows of one plain Get-CsService export are not split by role). With several users files,
//! invlint's **objects** are mirrored: rows of different files whose first identity column
//! both have filled (Guid, Identity, SipAddress, UserPrincipalName) holds the same value are one
//! user, reported once for the same failure, and AD002 only counts another object holding the
//! address. That path keeps a record per row; with one users file (the generated inventories)
//! it does not run.
//!
//! It is written the way a competent engineer would write it for speed: `ByteRecord`s reused,
//! columns resolved once from the header, a fast non-cryptographic hash, the `#TYPE` line
//! skipped by the parser, other encodings decoded in a stream, the small tables (registrars,
//! policies, chat pools, rooms, categories) read first into hash maps and one set of chat
//! members, then two phases that use every thread: the users files and the registrations files
//! are read at the same time (every check but PC001 runs during that pass, PC001 keeps its few
//! candidate rows), then the candidates are joined with the registrations.
//!
//! One file of about 1,300 lines on purpose: a bench target is one source file, and a
//! yardstick is easiest to trust when it shares no code with what it measures.
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

/// Column names and their aliases (tables.toml), canonical name first.
const POOL: &[&str] = &[
    "RegistrarPool",
    "Pool",
    "RegistrarPoolFqdn",
    "HomePool",
    "SBAPool",
];
const ENABLED: &[&str] = &["Enabled", "LyncEnabled", "IsSipEnabled", "SipEnabled"];
const UPN: &[&str] = &["UserPrincipalName", "UPN"];
const CHAT_POOL: &[&str] = &["PersistentChatPoolFqdn", "PoolFqdn", "Pool"];
const POOL_FQDN: &[&str] = &["PoolFqdn", "PoolFQDN", "Fqdn"];
/// The columns of the `member` keys of chat-rooms and chat-categories.
const ROOM_MEMBERS: &[&str] = &["Members", "Managers", "Presenters"];
const CATEGORY_MEMBERS: &[&str] = &["AllowedMembers", "Creators"];
/// AD001's regular expression (rules/addressing/sip-address-malformed.toml).
const SIP_RE: &str = r"^(?i:sip):[^\s@\p{Cc}\p{Cf}]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$";

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
    ChatRooms,
    ChatCategories,
}

struct Table {
    path: PathBuf,
    kind: Kind,
    /// `None`: UTF-8 (a BOM is stripped by the csv crate); else the encoding to decode.
    encoding: Option<&'static encoding_rs::Encoding>,
    delimiter: u8,
    header: Vec<String>,
}

impl Table {
    fn column(&self, name: &str) -> Option<usize> {
        self.header
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
    }

    /// The first of `names` (a column and its aliases) the header has.
    fn column_of(&self, names: &[&str]) -> Option<usize> {
        names.iter().find_map(|n| self.column(n))
    }

    fn reader(&self) -> io::Result<csv::Reader<Box<dyn Read + Send>>> {
        let file = File::open(&self.path)?;
        let input: Box<dyn Read + Send> = match self.encoding {
            Some(encoding) => Box::new(Decoding::new(file, encoding)),
            None => Box::new(file),
        };
        // The csv crate strips a UTF-8 BOM; `comment` skips the `#TYPE` line.
        Ok(csv::ReaderBuilder::new()
            .comment(Some(b'#'))
            .delimiter(self.delimiter)
            .flexible(true)
            .buffer_capacity(256 * 1024)
            .from_reader(input))
    }
}

/// Streams UTF-8 out of a file in another encoding (a BOM of that encoding skipped).
struct Decoding<R> {
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

impl<R: Read> Decoding<R> {
    fn new(inner: R, encoding: &'static encoding_rs::Encoding) -> Self {
        Decoding {
            inner,
            decoder: encoding.new_decoder_with_bom_removal(),
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

impl<R: Read> Read for Decoding<R> {
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

/// The encoding of a file from its first bytes, as invlint sniffs it: a BOM, else a NUL in
/// every other byte (UTF-16 without BOM), else UTF-8 unless the start is not UTF-8
/// (Windows-1252).
fn sniff_encoding(head: &[u8], whole: bool) -> Option<&'static encoding_rs::Encoding> {
    if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return None;
    }
    if head.starts_with(&[0xFF, 0xFE]) {
        return Some(encoding_rs::UTF_16LE);
    }
    if head.starts_with(&[0xFE, 0xFF]) {
        return Some(encoding_rs::UTF_16BE);
    }
    let sample = &head[..head.len().min(4096) & !1];
    if sample.len() >= 4 {
        let pairs = sample.len() / 2;
        let (mut even, mut odd) = (0usize, 0usize);
        for pair in sample.chunks_exact(2) {
            even += usize::from(pair[0] == 0);
            odd += usize::from(pair[1] == 0);
        }
        if odd * 10 >= pairs * 7 && even * 10 <= pairs {
            return Some(encoding_rs::UTF_16LE);
        }
        if even * 10 >= pairs * 7 && odd * 10 <= pairs {
            return Some(encoding_rs::UTF_16BE);
        }
    }
    // A prefix may end inside a character: a sequence cut at its end is no error unless
    // `head` is the whole file.
    match std::str::from_utf8(head) {
        Err(e) if e.error_len().is_some() || whole => Some(encoding_rs::WINDOWS_1252),
        _ => None,
    }
}

/// The delimiter occurring most often outside quotes in the header line; `,` on ties.
fn sniff_delimiter(text: &str) -> u8 {
    const DELIMITERS: [u8; 4] = [b',', b';', b'\t', b'|'];
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut rest = text;
    if rest.starts_with("#TYPE") {
        rest = rest.split_once('\n').map_or("", |(_, r)| r);
    }
    let rest = rest.trim_start_matches(['\r', '\n']);
    let line = rest.split(['\r', '\n']).next().unwrap_or("");
    let mut counts = [0usize; DELIMITERS.len()];
    let mut in_quotes = false;
    for b in line.bytes() {
        if b == b'"' {
            in_quotes = !in_quotes;
        } else if !in_quotes {
            if let Some(i) = DELIMITERS.iter().position(|&d| d == b) {
                counts[i] += 1;
            }
        }
    }
    let mut best = 0;
    for i in 1..DELIMITERS.len() {
        if counts[i] > counts[best] {
            best = i;
        }
    }
    DELIMITERS[best]
}

/// A name the chat-services globs of tables.toml match (`*pchat*.csv`, `*persistentchat*.csv`,
/// `*groupchat*.csv`): they break the tie with registrars, whose header is the same.
fn chat_named(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    ["pchat", "persistentchat", "groupchat"]
        .iter()
        .any(|g| name.contains(g))
}

fn open_table(path: &Path) -> io::Result<Option<Table>> {
    const HEAD: usize = 64 * 1024;
    let mut head = Vec::with_capacity(HEAD + 1);
    File::open(path)?
        .take(HEAD as u64 + 1)
        .read_to_end(&mut head)?;
    let whole = head.len() <= HEAD;
    head.truncate(HEAD);
    let encoding = sniff_encoding(&head, whole);
    let text = match encoding {
        Some(e) => e.decode_with_bom_removal(&head).0,
        None => String::from_utf8_lossy(&head),
    };
    let mut table = Table {
        path: path.to_path_buf(),
        kind: Kind::Users,
        encoding,
        delimiter: sniff_delimiter(&text),
        header: Vec::new(),
    };
    let mut reader = table.reader()?;
    table.header = match reader.headers() {
        Ok(h) => h.iter().map(str::to_string).collect(),
        Err(_) => return Ok(None),
    };
    let has = |n: &str| table.column(n).is_some();
    let has_any = |names: &[&str]| table.column_of(names).is_some();
    table.kind = if has("UserAgent") && has("UserName") {
        Kind::Registrations
    } else if has("EnablePersistentChat") && has("Identity") {
        Kind::ChatPolicies
    } else if has("SipAddress") && has_any(POOL) {
        Kind::Users
    } else if has("Name") && has_any(CHAT_POOL) && has("Category") {
        Kind::ChatRooms
    } else if has("Name")
        && has_any(CHAT_POOL)
        && has_any(&[
            "AllowedMembers",
            "DeniedMembers",
            "Creators",
            "FileUpload",
            "ChatHistory",
        ])
    {
        Kind::ChatCategories
    } else if has_any(POOL_FQDN) && has("Version") && (has("Registrar") || chat_named(path)) {
        Kind::ChatServices
    } else if has_any(POOL_FQDN) && has("Version") {
        Kind::Registrars
    } else {
        return Ok(None);
    };
    Ok(Some(table))
}

fn text(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap_or("")
}

/// The cell of column `c` of `r` as text, `""` past the end of a short row.
fn cell(r: &csv::ByteRecord, c: usize) -> &str {
    text(r.get(c).unwrap_or(b""))
}

/// Lower-case `out` in place (the tables' `ignore-case = true`).
fn lower_in_place(out: &mut String) {
    if out.is_ascii() {
        out.make_ascii_lowercase();
    } else {
        *out = out.to_lowercase();
    }
}

/// Lower-cased key text, reusing `out`.
fn lower_into(s: &str, out: &mut String) {
    out.clear();
    out.push_str(s);
    lower_in_place(out);
}

/// `strip_prefix(s, p)` of the rule language: case-insensitive prefix.
fn strip_ci<'s>(s: &'s str, prefix: &str) -> &'s str {
    match s.get(..prefix.len()) {
        Some(head) if head.eq_ignore_ascii_case(prefix) => &s[prefix.len()..],
        _ => s,
    }
}

/// The key of a SIP address (`strip_prefix(trim(_), "sip:")`, without case): the users,
/// registrations.user and chat `member` keys.
fn sip_key(cell: &str, out: &mut String) {
    lower_into(strip_ci(cell.trim(), "sip:"), out);
}

/// AD002's uniqueness value: `strip_prefix(trim(SipAddress), "sip:")`, trimmed, without case,
/// without control characters and (in non-ASCII text) the invisible ones invlint ignores.
fn unique_key(cell: &str, out: &mut String) {
    let value = strip_ci(cell.trim(), "sip:").trim();
    out.clear();
    if value.is_ascii() {
        out.push_str(value);
        out.make_ascii_lowercase();
    } else {
        out.extend(
            value
                .chars()
                .filter(|&c| !is_hidden_char(c))
                .flat_map(char::to_lowercase),
        );
    }
    if out.bytes().any(|b| b < 0x20 || b == 0x7f) {
        out.retain(|c| !c.is_control());
    }
}

/// Control, bidi, zero-width and other invisible characters (invlint's `visible`).
fn is_hidden_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{00AD}'
                | '\u{034F}'
                | '\u{061C}'
                | '\u{115F}'
                | '\u{1160}'
                | '\u{17B4}'
                | '\u{17B5}'
                | '\u{180B}'..='\u{180F}'
                | '\u{200B}'..='\u{200F}'
                | '\u{2028}'..='\u{202E}'
                | '\u{2060}'..='\u{206F}'
                | '\u{3164}'
                | '\u{FE00}'..='\u{FE0F}'
                | '\u{FEFF}'
                | '\u{FFA0}'
                | '\u{FFF9}'..='\u{FFFB}'
                | '\u{1D173}'..='\u{1D17A}'
                | '\u{E0000}'..='\u{E0FFF}'
        )
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

/// A Persistent Chat policy found by a lookup: its `EnablePersistentChat` as a boolean.
type Policy = Option<bool>;

struct Registrar {
    version: Option<f64>,
    site: Option<String>,
    /// PC002's policy for a user of this pool without a per-user policy: the `Site:` policy
    /// of its site, else `Global` (`None`: neither exists).
    site_policy: Option<Policy>,
}

/// The small tables, keyed as in tables.toml.
#[derive(Default)]
struct Small {
    /// A registrars table is present (TP001 runs).
    has_registrars: bool,
    registrars: FxMap<String, Registrar>,
    /// Identity key → EnablePersistentChat.
    policies: FxMap<String, Policy>,
    /// PoolFqdn key → `num(Version)` of the chat pool.
    chat_pools: FxMap<String, Option<f64>>,
    /// Chat evidence: the member keys of the rooms and categories of chat pools of Version 6
    /// or more.
    members: FxSet<String>,
}

impl Small {
    /// `chat-policies[concat("Tag:", strip_prefix(trim(cell), "Tag:"))]`; `buf` is scratch.
    fn tag_policy(&self, cell: &str, buf: &mut String) -> Option<Policy> {
        buf.clear();
        buf.push_str("Tag:");
        buf.push_str(strip_ci(cell.trim(), "Tag:"));
        lower_in_place(buf);
        self.policies.get(buf.as_str()).copied()
    }

    /// `num(chat-services[pool].Version) >= 6`.
    fn chat_pool_is_v6(&self, pool: &str, buf: &mut String) -> bool {
        lower_into(pool.trim(), buf);
        self.chat_pools
            .get(buf.as_str())
            .copied()
            .flatten()
            .is_some_and(|v| v >= 6.0)
    }
}

/// Reads the rows of `t` into `row` (a closure given each record).
fn each_row(t: &Table, mut row: impl FnMut(&csv::ByteRecord)) -> io::Result<()> {
    let mut reader = t.reader()?;
    let mut r = csv::ByteRecord::new();
    while reader.read_byte_record(&mut r).map_err(io::Error::other)? {
        row(&r);
    }
    Ok(())
}

fn read_small(tables: &[Table], small: &mut Small) -> io::Result<()> {
    let mut key = String::new();
    for t in tables {
        match t.kind {
            Kind::Registrars => {
                small.has_registrars = true;
                let (Some(fqdn), version, site) = (
                    t.column_of(POOL_FQDN),
                    t.column("Version"),
                    t.column_of(&["SiteId", "Site"]),
                ) else {
                    continue;
                };
                each_row(t, |r| {
                    lower_into(cell(r, fqdn).trim(), &mut key);
                    if key.is_empty() || small.registrars.contains_key(&key) {
                        return; // a lookup returns the first row of a key
                    }
                    let registrar = Registrar {
                        version: version.and_then(|c| num(cell(r, c))),
                        site: site.map(|c| cell(r, c).to_string()),
                        site_policy: None,
                    };
                    small.registrars.insert(key.clone(), registrar);
                })?;
            }
            Kind::ChatPolicies => {
                let (Some(id), Some(enable)) =
                    (t.column("Identity"), t.column("EnablePersistentChat"))
                else {
                    continue;
                };
                each_row(t, |r| {
                    lower_into(cell(r, id).trim(), &mut key);
                    if !key.is_empty() && !small.policies.contains_key(&key) {
                        small.policies.insert(key.clone(), boolean(cell(r, enable)));
                    }
                })?;
            }
            Kind::ChatServices => {
                let (Some(fqdn), Some(version)) = (t.column_of(POOL_FQDN), t.column("Version"))
                else {
                    continue;
                };
                each_row(t, |r| {
                    lower_into(cell(r, fqdn).trim(), &mut key);
                    if !key.is_empty() && !small.chat_pools.contains_key(&key) {
                        small.chat_pools.insert(key.clone(), num(cell(r, version)));
                    }
                })?;
            }
            _ => {}
        }
    }
    // The policy of each registrar's site (`Site:` + its SiteId without `Site:`), else Global.
    let global = small.policies.get("global").copied();
    for registrar in small.registrars.values_mut() {
        let site = registrar.site.as_deref().and_then(|s| {
            key.clear();
            key.push_str("Site:");
            key.push_str(strip_ci(s, "Site:"));
            let trimmed = key.trim().to_string();
            lower_into(&trimmed, &mut key);
            small.policies.get(&key).copied()
        });
        registrar.site_policy = site.or(global);
    }
    // Chat evidence, once the chat pools are known.
    let mut pool_key = String::new();
    for t in tables {
        let names = match t.kind {
            Kind::ChatRooms => ROOM_MEMBERS,
            Kind::ChatCategories => CATEGORY_MEMBERS,
            _ => continue,
        };
        let Some(pool) = t.column_of(CHAT_POOL) else {
            continue;
        };
        let columns: Vec<usize> = names.iter().filter_map(|n| t.column(n)).collect();
        each_row(t, |r| {
            if !small.chat_pool_is_v6(cell(r, pool), &mut pool_key) {
                return;
            }
            for &c in &columns {
                for item in cell(r, c).split(';') {
                    if item.trim().is_empty() {
                        continue;
                    }
                    sip_key(item, &mut key);
                    if !key.is_empty() && !small.members.contains(&key) {
                        small.members.insert(key.clone());
                    }
                }
            }
        })?;
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
    let mut key = String::new();
    let mut record = 0;
    each_row(t, |r| {
        record += 1;
        let host = strip_ci(cell(r, registrar).trim(), "Registrar:");
        lower_into(host.trim(), &mut key);
        let host_version = small.registrars.get(&key).and_then(|h| h.version);
        if let (Some(h), Some(v)) = (host_version, num(cell(r, version))) {
            if h != v {
                hits.push(("PC004", file, record));
            }
        }
    })
}

/// A PC001 row still to be joined with the registrations: record, SIP key, UPN key.
type Candidate = (u64, String, Option<String>);

/// What one pass over a users file found.
struct UsersOut {
    file: usize,
    hits: Vec<Hit>,
    /// AD002 with one users file: key → record of its first occurrence.
    first: FxMap<String, u64>,
    /// Users PC001 reports if they have a Lync 2013-or-later client.
    candidates: Vec<Candidate>,
    /// Whether the file has the columns AD001/AD002, TP001 and PC001/PC002 need.
    runs: [bool; 3],
    /// With several users files only: every record, for invlint's objects.
    rows: Vec<UserRow>,
}

/// A record of a users file when users come from several files (see [`objects`]).
#[derive(Default)]
struct UserRow {
    judged: bool,
    /// Identity values (Guid, Identity, SipAddress, UserPrincipalName), compared as invlint
    /// does: trimmed, without `sip:`/`tel:`, without case.
    identity: [Option<String>; 4],
    /// AD002's value.
    unique: Option<String>,
    /// For the rules the row fails (AD001, TP001, PC001 candidate, PC002), what their message
    /// shows: a repeat of an object fails "the same way" when that is the same.
    failing: [Option<String>; 4],
}

/// Which `failing` slot, and which `runs` flag, a code has.
fn slot(code: &str) -> Option<(usize, usize)> {
    match code {
        "AD001" => Some((0, 0)),
        "TP001" => Some((1, 1)),
        "PC001" => Some((2, 2)),
        "PC002" => Some((3, 2)),
        _ => None,
    }
}

/// An identity value as invlint compares them (`members::normalised`).
fn identity_value(cell: &str) -> Option<String> {
    let cell = cell.trim();
    let cell = ["sip:", "tel:"]
        .iter()
        .find_map(|p| {
            cell.get(..p.len())
                .filter(|head| head.eq_ignore_ascii_case(p))
                .map(|_| &cell[p.len()..])
        })
        .unwrap_or(cell);
    (!cell.is_empty()).then(|| cell.chars().flat_map(char::to_lowercase).collect())
}

/// One pass over a users file: AD001, TP001, PC002 and AD002, and the PC001 candidates.
/// `detail`: keep every record's [`UserRow`] (several users files).
fn check_users(t: &Table, file: usize, small: &Small, detail: bool) -> io::Result<UsersOut> {
    let sip = t.column("SipAddress");
    let pool = t.column_of(POOL);
    let policy = t.column("PersistentChatPolicy");
    let hosting = t.column("HostingProvider");
    let enabled = t.column_of(ENABLED);
    let upn = t.column_of(UPN);
    let identity = [
        t.column("Guid"),
        t.column_of(&["Identity", "DistinguishedName"]),
        sip,
        upn,
    ];
    // PC001 and PC002 need these columns (the others are optional-columns).
    let chat_rules = sip.is_some() && pool.is_some() && policy.is_some();
    let sip_re = regex::bytes::Regex::new(SIP_RE).map_err(io::Error::other)?;
    let mut out = UsersOut {
        file,
        hits: Vec::new(),
        first: FxMap::default(),
        candidates: Vec::new(),
        runs: [sip.is_some(), pool.is_some(), chat_rules],
        rows: Vec::new(),
    };
    let (mut key, mut pool_key, mut buf) = (String::new(), String::new(), String::new());
    let mut record = 0u64;
    each_row(t, |r| {
        record += 1;
        if detail {
            out.rows.push(UserRow::default());
        }
        let mut scratch = UserRow::default();
        let row = match out.rows.last_mut() {
            Some(last) if detail => last,
            _ => &mut scratch,
        };
        if detail {
            for (value, column) in row.identity.iter_mut().zip(identity) {
                *value = column.and_then(|c| identity_value(cell(r, c)));
            }
        }
        let sip_cell = sip.and_then(|c| r.get(c)).unwrap_or(b"");
        let sip_text = text(sip_cell);
        let enabled = enabled.and_then(|c| boolean(cell(r, c)));
        // The users' `judged`: `Enabled == true || !empty(SipAddress)`.
        if enabled != Some(true) && sip_text.trim().is_empty() {
            return;
        }
        row.judged = true;
        // A finding; with `detail`, also what its message shows.
        macro_rules! fails {
            ($code:expr, $signature:expr) => {{
                out.hits.push(($code, file, record));
                if let (true, Some((i, _))) = (detail, slot($code)) {
                    row.failing[i] = Some($signature);
                }
            }};
        }
        let shown_sip = || {
            if sip_text.trim().is_empty() {
                String::new()
            } else {
                sip_text.to_string()
            }
        };
        // AD001
        if sip.is_some() && !sip_re.is_match(sip_cell) {
            fails!("AD001", shown_sip());
        }
        // AD002: the same address (trimmed, without sip:, without case) as an earlier row.
        if sip.is_some() {
            unique_key(sip_text, &mut key);
            if !key.is_empty() {
                if detail {
                    row.unique = Some(key.clone());
                } else if out.first.contains_key(&key) {
                    out.hits.push(("AD002", file, record));
                } else {
                    out.first.insert(key.clone(), record);
                }
            }
        }
        let Some(pool) = pool else { return };
        let pool_cell = cell(r, pool);
        lower_into(pool_cell.trim(), &mut pool_key);
        let home = small.registrars.get(&pool_key);
        let on_premises = hosting.is_none_or(|c| {
            let h = cell(r, c).trim();
            h.is_empty() || h.eq_ignore_ascii_case("SRV:")
        });
        // TP001
        if small.has_registrars && on_premises && !pool_cell.trim().is_empty() && home.is_none() {
            fails!("TP001", format!("{}\u{1f}{pool_cell}", shown_sip()));
        }
        if !chat_rules || !on_premises || enabled == Some(false) {
            return;
        }
        let Some(version) = home.and_then(|h| h.version) else {
            return;
        };
        let per_user = policy.map_or("", |c| cell(r, c));
        if version == 5.0 {
            // PC001: chat evidence or a per-user policy enabling chat; a client joined later.
            sip_key(sip_text, &mut key);
            if small.members.contains(&key)
                || small.tag_policy(per_user, &mut buf) == Some(Some(true))
            {
                let upn = upn.map(|c| {
                    let mut k = String::new();
                    sip_key(cell(r, c), &mut k);
                    k
                });
                if detail {
                    // (`buf` holds the per-user policy's key, also when `||` did not look.)
                    small.tag_policy(per_user, &mut buf);
                    row.failing[2] = Some(format!(
                        "{sip_text}\u{1f}{buf}\u{1f}{}\u{1f}{pool_cell}",
                        upn.as_deref().unwrap_or("")
                    ));
                }
                out.candidates.push((record, key.clone(), upn));
            }
        } else if version == 6.0 || version == 7.0 {
            // PC002: chat evidence and an effective policy disabling chat.
            sip_key(sip_text, &mut key);
            if !small.members.contains(&key) {
                return;
            }
            let (effective, policy_key) = if per_user.trim().is_empty() {
                (home.and_then(|h| h.site_policy), &pool_key)
            } else {
                (small.tag_policy(per_user, &mut buf), &buf)
            };
            if effective == Some(Some(false)) {
                fails!("PC002", format!("{sip_text}\u{1f}{policy_key}"));
            }
        }
    })?;
    Ok(out)
}

/// Which rows of the users files are one **object** (invlint's `members::objects`): rows of
/// different files are when the first identity column both have filled holds the same value;
/// rows of one file never are. Returns, per file and record, the object number, and each
/// object's first row (file position, record index).
fn objects(files: &[UsersOut]) -> (Vec<Vec<u32>>, Vec<(usize, usize)>) {
    let decides_same = |a: &[Option<String>; 4], b: &[Option<String>; 4]| {
        a.iter()
            .zip(b)
            .find_map(|(x, y)| match (x, y) {
                (Some(x), Some(y)) => Some(x == y),
                _ => None,
            })
            .unwrap_or(false)
    };
    // Identity column → value → the objects that had it.
    let mut seen: [FxMap<&str, Vec<u32>>; 4] = Default::default();
    let mut first: Vec<(usize, usize)> = Vec::new();
    let mut last_file: Vec<usize> = Vec::new();
    let mut ids = Vec::new();
    let mut candidates: Vec<u32> = Vec::new();
    for (f, out) in files.iter().enumerate() {
        let mut of_file = Vec::with_capacity(out.rows.len());
        for (i, row) in out.rows.iter().enumerate() {
            candidates.clear();
            for (c, value) in row.identity.iter().enumerate() {
                if let Some(holders) = value.as_deref().and_then(|v| seen[c].get(v)) {
                    candidates.extend(holders.iter().filter(|&&id| last_file[id as usize] != f));
                }
            }
            candidates.sort_unstable();
            candidates.dedup();
            // Of the objects the deciding column says this row is, the one it agrees with on
            // most identity columns (the smallest number on a tie).
            let mut found: Option<(usize, std::cmp::Reverse<u32>)> = None;
            for &id in &candidates {
                let (ff, fi) = first[id as usize];
                let other = &files[ff].rows[fi].identity;
                if decides_same(&row.identity, other) {
                    let agree = row
                        .identity
                        .iter()
                        .zip(other)
                        .filter(|(x, y)| x.is_some() && x == y)
                        .count();
                    found = found.max(Some((agree, std::cmp::Reverse(id))));
                }
            }
            let id = match found {
                Some((_, std::cmp::Reverse(id))) => id,
                None => {
                    first.push((f, i));
                    last_file.push(f);
                    (first.len() - 1) as u32
                }
            };
            last_file[id as usize] = f;
            for (c, value) in row.identity.iter().enumerate() {
                if let Some(v) = value.as_deref() {
                    let holders = seen[c].entry(v).or_default();
                    if !holders.contains(&id) {
                        holders.push(id);
                    }
                }
            }
            of_file.push(id);
        }
        ids.push(of_file);
    }
    (ids, first)
}

/// Several users files: invlint's objects decide. A row repeating an object of an earlier
/// file that fails the same way is that finding again; AD002 reports a value an earlier
/// *other* object holds, once per (value, object).
fn across_files(files: &[UsersOut], pc001: &FxSet<(usize, u64)>, hits: &mut Vec<Hit>) {
    let (ids, first) = objects(files);
    let fails = |f: usize, i: usize, s: usize| -> Option<&str> {
        let out = &files[f];
        let failing = out.rows[i].failing[s].as_deref()?;
        (s != 2 || pc001.contains(&(out.file, i as u64 + 1))).then_some(failing)
    };
    for (f, out) in files.iter().enumerate() {
        for &(code, file, record) in out.hits.iter().filter(|h| h.0 != "AD002") {
            let i = (record - 1) as usize;
            let repeat = slot(code).is_some_and(|(s, run)| {
                let (ef, ei) = first[ids[f][i] as usize];
                (ef, ei) != (f, i)
                    && files[ef].runs[run]
                    && files[ef].rows[ei].judged
                    && fails(ef, ei, s).is_some()
                    && fails(ef, ei, s) == fails(f, i, s)
            });
            if !repeat {
                hits.push((code, file, record));
            }
        }
    }
    // AD002, as invlint's uniqueness check walks the rows.
    let mut first_of: FxMap<&str, (usize, usize)> = FxMap::default();
    let mut reported: FxSet<(&str, u32)> = FxSet::default();
    for (f, out) in files.iter().enumerate().filter(|(_, o)| o.runs[0]) {
        for (i, row) in out.rows.iter().enumerate() {
            let Some(key) = row.unique.as_deref().filter(|_| row.judged) else {
                continue;
            };
            let Some(&(ef, ei)) = first_of.get(key) else {
                first_of.insert(key, (f, i));
                continue;
            };
            let object = ids[f][i];
            if ids[ef][ei] == object || !reported.insert((key, object)) {
                continue;
            }
            hits.push(("AD002", out.file, i as u64 + 1));
        }
    }
}

/// Keys of the users registered with a Lync 2013-or-later client (an `OC/` token at the start
/// or after a space, of major version 15 or more).
fn read_registrations(t: &Table) -> io::Result<FxSet<String>> {
    let (Some(user), Some(agent)) = (
        t.column("UserName"),
        t.column("UserAgent").or_else(|| t.column("ClientApp")),
    ) else {
        return Ok(FxSet::default());
    };
    let oc = regex::Regex::new(r"(?i)(^|\s)OC/").map_err(io::Error::other)?;
    let mut clients = FxSet::default();
    let mut key = String::new();
    each_row(t, |r| {
        let ua = cell(r, agent);
        if client_major(ua).is_none_or(|m| m < 15) || !oc.is_match(ua) {
            return;
        }
        let user = cell(r, user);
        if user.trim().is_empty() {
            return; // empty keys are not indexed
        }
        sip_key(user, &mut key);
        if !clients.contains(&key) {
            clients.insert(key.clone());
        }
    })?;
    Ok(clients)
}

/// Which of `wanted` have a registration at all (any user agent).
fn registered(t: &Table, wanted: &FxSet<String>) -> io::Result<FxSet<String>> {
    let Some(user) = t.column("UserName") else {
        return Ok(FxSet::default());
    };
    let mut found = FxSet::default();
    let mut key = String::new();
    each_row(t, |r| {
        let user = cell(r, user);
        if user.trim().is_empty() {
            return;
        }
        sip_key(user, &mut key);
        if wanted.contains(&key) && !found.contains(&key) {
            found.insert(key.clone());
        }
    })?;
    Ok(found)
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
    let detail = users.len() > 1;
    let (users_out, clients) = rayon::join(
        || -> io::Result<Vec<UsersOut>> {
            users
                .par_iter()
                .map(|&(file, t)| check_users(t, file, &small, detail))
                .collect()
        },
        || -> io::Result<Vec<FxSet<String>>> {
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
    // Phase 2: PC001's client, `find(coalesce(registrations.user[SipAddress],
    // registrations.user[UserPrincipalName]), …)`: by SIP address, else by UPN when the SIP
    // address has no registration at all. Which SIP addresses have one is only read again
    // when a UPN would decide.
    let client = |key: &str| clients.iter().any(|c| c.contains(key));
    let by_upn_only: FxSet<String> = users_out
        .iter()
        .flat_map(|u| &u.candidates)
        .filter(|(_, sip, upn)| !client(sip) && upn.as_deref().is_some_and(client))
        .map(|(_, sip, _)| sip.clone())
        .collect();
    let mut registered_sip = FxSet::default();
    if !by_upn_only.is_empty() {
        for (_, t) in &registrations {
            registered_sip.extend(registered(t, &by_upn_only)?);
        }
    }
    let mut pc001 = FxSet::default();
    for u in &users_out {
        for (record, sip, upn) in &u.candidates {
            let found = client(sip)
                || (!registered_sip.contains(sip) && upn.as_deref().is_some_and(client));
            if found {
                pc001.insert((u.file, *record));
            }
        }
    }
    if detail {
        let mut users_hits: Vec<Hit> = Vec::new();
        let mut all = users_out;
        for u in &mut all {
            u.hits.extend(
                pc001
                    .iter()
                    .filter(|h| h.0 == u.file)
                    .map(|h| ("PC001", h.0, h.1)),
            );
        }
        across_files(&all, &pc001, &mut users_hits);
        hits.extend(users_hits);
    } else {
        // AD002 across users files does not arise: one file.
        for u in &users_out {
            hits.extend(u.hits.iter().copied());
        }
        hits.extend(pc001.iter().map(|&(file, record)| ("PC001", file, record)));
    }
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
                file_name(f.location.file()).to_string(),
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
