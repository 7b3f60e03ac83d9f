//! Synthetic inventories for tests and benchmarks: a realistic Lync / Skype for Business
//! export in Windows PowerShell `Export-Csv` style (every field quoted, CRLF, a `#TYPE` line),
//! optionally UTF-16LE or `;`-delimited, with a seeded number of planted defects per rule code.
//!
//! Each planted defect sits on its own row and every other row is clean for every shipped
//! rule, so a check of the generated inventory must report exactly [`Planted`] per code.
//!
//! [`generate`] writes one table after the other, drawing from one seeded generator in a
//! fixed order (the output is byte-identical for the same options): the topology here, the
//! users and their registrations in `users.rs`, the chat content in `chat.rs`.

mod chat;
mod users;

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

/// What to generate.
#[derive(Debug, Clone)]
pub struct GenOptions {
    pub users: usize,
    pub seed: u64,
    /// Fraction of users carrying one planted defect (spread over the defect kinds).
    pub defect_rate: f64,
    pub utf16: bool,
    pub semicolon: bool,
}

impl Default for GenOptions {
    fn default() -> Self {
        GenOptions {
            users: 1000,
            seed: 1,
            defect_rate: 0.02,
            utf16: false,
            semicolon: false,
        }
    }
}

/// Planted defects: rule code → number of findings a check must report.
pub type Planted = BTreeMap<String, usize>;

/// splitmix64: deterministic, dependency-free.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
}

/// A CSV file being written in `Export-Csv` style.
struct Table {
    out: BufWriter<File>,
    utf16: bool,
    delimiter: char,
    line: String,
}

impl Table {
    fn create(
        dir: &Path,
        name: &str,
        type_name: &str,
        header: &[&str],
        options: &GenOptions,
    ) -> io::Result<Table> {
        let mut out = BufWriter::with_capacity(1 << 20, File::create(dir.join(name))?);
        if options.utf16 {
            out.write_all(&[0xFF, 0xFE])?;
        } else {
            out.write_all("\u{FEFF}".as_bytes())?;
        }
        let mut table = Table {
            out,
            utf16: options.utf16,
            delimiter: if options.semicolon { ';' } else { ',' },
            line: String::new(),
        };
        table.raw(&format!("#TYPE {type_name}\r\n"))?;
        table.row(header)?;
        Ok(table)
    }

    fn raw(&mut self, text: &str) -> io::Result<()> {
        if self.utf16 {
            let bytes: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
            self.out.write_all(&bytes)
        } else {
            self.out.write_all(text.as_bytes())
        }
    }

    fn row<S: AsRef<str>>(&mut self, cells: &[S]) -> io::Result<()> {
        let mut line = std::mem::take(&mut self.line);
        line.clear();
        for (i, cell) in cells.iter().enumerate() {
            if i > 0 {
                line.push(self.delimiter);
            }
            line.push('"');
            line.push_str(&cell.as_ref().replace('"', "\"\""));
            line.push('"');
        }
        line.push_str("\r\n");
        let result = self.raw(&line);
        self.line = line;
        result
    }

    fn finish(mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Write an inventory into `dir` (created if needed) and return what was planted.
pub fn generate(dir: &Path, options: &GenOptions) -> io::Result<Planted> {
    std::fs::create_dir_all(dir)?;
    let mut rng = Rng(options.seed);
    let mut planted = Planted::new();
    write_registrars(dir, options)?;
    // Lync 2010, 2013 and SfB 2015 registrars at once: unsupported (TP003, once).
    planted.insert("TP003".into(), 1);
    write_chat_policies(dir, options)?;
    write_chat_services(dir, options, &mut planted)?;
    let members = users::write_users(dir, options, &mut rng, &mut planted)?;
    chat::write_chat_content(dir, options, &members, &mut rng, &mut planted)?;
    planted.retain(|_, n| *n > 0);
    Ok(planted)
}

/// Count one more planted finding of `code`.
fn plant(planted: &mut Planted, code: &str) {
    *planted.entry(code.into()).or_insert(0) += 1;
}

/// Topology: Lync 2010 (pool10), Lync 2013 (pool13, Redmond), SfB 2015 (pool15, Paris).
fn write_registrars(dir: &Path, options: &GenOptions) -> io::Result<()> {
    let mut registrars = Table::create(
        dir,
        "registrars.csv",
        "Microsoft.Rtc.Management.Xds.DisplayRegistrar",
        &[
            "Identity",
            "UserServer",
            "ServiceId",
            "SiteId",
            "PoolFqdn",
            "Version",
            "Role",
        ],
        options,
    )?;
    for (pool, version, site) in [
        ("pool10.contoso.com", "5", "Redmond"),
        ("pool13.contoso.com", "6", "Redmond"),
        ("pool15.contoso.com", "7", "Paris"),
        ("pool19.contoso.com", "8", "Paris"),
    ] {
        registrars.row(&[
            format!("Registrar:{pool}"),
            format!("UserServer:{pool}"),
            format!("1-Registrar-{version}"),
            format!("Site:{site}"),
            pool.to_string(),
            version.to_string(),
            "Registrar".into(),
        ])?;
    }
    registrars.finish()
}

/// The Persistent Chat policies: Global and Tag:NoChat disable chat, the others enable it.
fn write_chat_policies(dir: &Path, options: &GenOptions) -> io::Result<()> {
    let mut policies = Table::create(
        dir,
        "pchat-policies.csv",
        "Microsoft.Rtc.Management.WritableConfig.Policy.PersistentChat.PersistentChatPolicy",
        &["Identity", "Description", "EnablePersistentChat"],
        options,
    )?;
    for (identity, enabled) in [
        ("Global", "False"),
        ("Site:Paris", "True"),
        ("Tag:AllowChat", "True"),
        ("Tag:NoChat", "False"),
    ] {
        policies.row(&[identity, "", enabled])?;
    }
    policies.finish()
}

/// Chat services: one per 10,000 users (at least 10), hosted on pool13 (Version 6); planted:
/// a Version 6 service on the Version 5 pool (PC004), a Version 8 service on pool19 (PC005).
fn write_chat_services(dir: &Path, options: &GenOptions, planted: &mut Planted) -> io::Result<()> {
    let mut chat = Table::create(
        dir,
        "pchat-services.csv",
        "Microsoft.Rtc.Management.Xds.DisplayPersistentChatServer",
        &[
            "Identity",
            "PersistentChatDatabase",
            "Registrar",
            "ServiceId",
            "SiteId",
            "PoolFqdn",
            "Version",
            "Role",
        ],
        options,
    )?;
    let services = (options.users / 10_000).max(10);
    for i in 0..services {
        let (registrar, version) = match i % 10 {
            3 => ("pool10.contoso.com", "6"),
            7 => ("pool19.contoso.com", "8"),
            _ => ("pool13.contoso.com", "6"),
        };
        if i % 10 == 3 {
            plant(planted, "PC004");
        }
        if i % 10 == 7 {
            plant(planted, "PC005");
        }
        let fqdn = format!("chat{i:03}.contoso.com");
        chat.row(&[
            format!("PersistentChatServer:{fqdn}"),
            format!("PersistentChatStore:sql{i:03}.contoso.com\\PChat"),
            format!("Registrar:{registrar}"),
            format!("1-PersistentChatServer-{i}"),
            "Site:Redmond".into(),
            fqdn,
            version.into(),
            "PersistentChatServer".into(),
        ])?;
    }
    chat.finish()
}
