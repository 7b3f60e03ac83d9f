//! Synthetic inventories for tests and benchmarks: a realistic Lync / Skype for Business
//! export in Windows PowerShell `Export-Csv` style (every field quoted, CRLF, a `#TYPE` line),
//! optionally UTF-16LE or `;`-delimited, with a seeded number of planted defects per rule code.
//!
//! Each planted defect sits on its own row and every other row is clean for every shipped
//! rule, so a check of the generated inventory must report exactly [`Planted`] per code.

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

const USERS_HEADER: &[&str] = &[
    "Identity",
    "DisplayName",
    "SipAddress",
    "UserPrincipalName",
    "SamAccountName",
    "Enabled",
    "RegistrarPool",
    "HostingProvider",
    "EnterpriseVoiceEnabled",
    "LineURI",
    "AudioVideoDisabled",
    "RemoteCallControlTelephonyEnabled",
    "PersistentChatPolicy",
    "ClientPolicy",
    "ClientVersionPolicy",
    "VoicePolicy",
    "EnabledForFederation",
    "WhenCreated",
];

const FIRST: &[&str] = &[
    "Ken", "Kim", "Ty", "Molly", "David", "Hélène", "Pilar", "Jean", "Sabine", "Elodie", "Kevin",
    "Ana", "Li", "Omar", "Ines",
];
const LAST: &[&str] = &[
    "Myer", "Akers", "Carlson", "Dempsey", "Longmuir", "Dupré", "Ackerman", "Dupont", "Müller",
    "Girard", "Kennedy", "Silva", "Wei", "Haddad", "Costa",
];

/// The defects a user row can carry.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Defect {
    None,
    Pc001,
    Pc002,
    Pc003,
    Ad001,
    Ad002,
    Ad003,
    Ad004,
    Tp001,
    Tp002,
}

const DEFECTS: &[(Defect, &str)] = &[
    (Defect::Pc001, "PC001"),
    (Defect::Pc002, "PC002"),
    (Defect::Pc003, "PC003"),
    (Defect::Ad001, "AD001"),
    (Defect::Ad002, "AD002"),
    (Defect::Ad003, "AD003"),
    (Defect::Ad004, "AD004"),
    (Defect::Tp001, "TP001"),
    (Defect::Tp002, "TP002"),
];

/// Write an inventory into `dir` (created if needed) and return what was planted.
pub fn generate(dir: &Path, options: &GenOptions) -> io::Result<Planted> {
    std::fs::create_dir_all(dir)?;
    let mut rng = Rng(options.seed);
    let mut planted = Planted::new();
    // Topology: Lync 2010 (pool10), Lync 2013 (pool13, Redmond), SfB 2015 (pool15, Paris).
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
    registrars.finish()?;
    // Lync 2010, 2013 and SfB 2015 registrars at once: unsupported (TP003, once).
    planted.insert("TP003".into(), 1);
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
    policies.finish()?;
    // Chat services: one per 10,000 users (at least 10), hosted on pool13 (Version 6); planted: a Version 6
    // service on the Version 5 pool (PC004), a Version 8 service on pool19 (PC005).
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
            *planted.entry("PC004".into()).or_insert(0) += 1;
        }
        if i % 10 == 7 {
            *planted.entry("PC005".into()).or_insert(0) += 1;
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
    chat.finish()?;

    let mut users = Table::create(
        dir,
        "users.csv",
        "Microsoft.Rtc.Management.ADConnect.Schema.OCSADUser",
        USERS_HEADER,
        options,
    )?;
    let mut registrations = Table::create(
        dir,
        "EndpointRegistrations.csv",
        "System.Management.Automation.PSCustomObject",
        &[
            "ClientVersion",
            "UserAgent",
            "UserName",
            "Server",
            "EndpointId",
            "ExpiresAt",
        ],
        options,
    )?;
    let mut previous_clean: Option<(String, String, String)> = None; // (sip, pool, policy) for AD002
                                                                     // Chat evidence: SIP addresses listed in rooms (PC001/PC002 plant it; some clean users with a
                                                                     // policy enabling chat are members too).
    let mut members: Vec<String> = Vec::new();
    for i in 0..options.users {
        let defect = if rng.chance(options.defect_rate) {
            DEFECTS[rng.below(DEFECTS.len() as u64) as usize].0
        } else {
            Defect::None
        };
        let first = FIRST[rng.below(FIRST.len() as u64) as usize];
        let last = LAST[rng.below(LAST.len() as u64) as usize];
        let login = format!("{}.{}{i}", ascii(first), ascii(last));
        let upn = format!("{login}@contoso.com");
        let mut sip = format!("sip:{upn}");
        // A clean user lives on one of three pools, with a client and policy that fit.
        let home = rng.below(3);
        let (mut pool, mut policy, mut agent) = match home {
            0 => (
                "pool10.contoso.com".to_string(),
                String::new(),
                "OC/4.0.7577.314 (Microsoft Lync 2010)",
            ),
            1 => (
                "pool13.contoso.com".to_string(),
                "AllowChat".to_string(),
                "OC/15.0.4569.1503 (Microsoft Lync)",
            ),
            _ => (
                "pool15.contoso.com".to_string(),
                String::new(),
                "OC/15.0.4867.1000 (Skype for Business)",
            ),
        };
        let mut ev = "True";
        let mut line_uri = format!("tel:+1425{:07};ext={}", i % 10_000_000, i % 100_000);
        let mut registered = true;
        match defect {
            // Healthy shapes that must stay quiet: Lync 2013 users who chat (room members with
            // AllowChat), and users deliberately without chat (NoChat, in no room).
            Defect::None if home == 1 && i % 5 == 0 => members.push(sip.clone()),
            Defect::None if home == 1 && i % 7 == 3 => policy = "NoChat".into(),
            Defect::None => {}
            Defect::Pc001 => {
                // Lync 2013 client on Lync Server 2010 with chat evidence: a room (even rows)
                // or a per-user policy enabling chat (odd rows).
                pool = "pool10.contoso.com".into();
                agent = "OC/15.0.4569.1503 (Microsoft Lync)";
                if i % 2 == 0 {
                    policy.clear();
                    members.push(sip.clone());
                } else {
                    policy = "AllowChat".into();
                }
            }
            Defect::Pc002 => {
                // A room member on Lync Server 2013 whose effective policy disables chat: the
                // per-user NoChat (even rows) or the Global policy (odd rows).
                pool = "pool13.contoso.com".into();
                policy = if i % 2 == 0 {
                    "NoChat".into()
                } else {
                    String::new()
                };
                members.push(sip.clone());
            }
            Defect::Pc003 => {
                policy = format!("Chat{i}");
                pool = "pool10.contoso.com".into();
                agent = "OC/4.0.7577.314 (Microsoft Lync 2010)";
            }
            Defect::Ad001 => {
                sip = upn.clone();
                registered = false;
            }
            Defect::Ad002 => {
                // A repeat of the last clean user's address, in other case, on the same pool
                // and policy so that no other rule sees a difference.
                if let Some((earlier_sip, earlier_pool, earlier_policy)) = &previous_clean {
                    sip = earlier_sip.to_uppercase().replacen("SIP:", "sip:", 1);
                    pool = earlier_pool.clone();
                    policy = earlier_policy.clone();
                    ev = "False";
                    line_uri.clear();
                    registered = false;
                }
            }
            Defect::Ad003 => line_uri = format!("tel:425{:07}", i % 10_000_000),
            Defect::Ad004 => line_uri.clear(),
            Defect::Tp001 => {
                pool = "pool07.contoso.com".into();
                registered = false;
            }
            Defect::Tp002 => {
                pool.clear();
                registered = false;
            }
        }
        let really_planted = !(defect == Defect::Ad002 && previous_clean.is_none());
        if defect != Defect::None && really_planted {
            if let Some((_, code)) = DEFECTS.iter().find(|(d, _)| *d == defect) {
                *planted.entry((*code).into()).or_insert(0) += 1;
            }
        }
        // The UPN follows the SIP address, as in single-domain deployments.
        let upn_cell = strip_sip(&sip).to_string();
        let display = format!("{first} {last}");
        users.row(&[
            format!("CN={display} {i},OU=Users,DC=contoso,DC=com"),
            display.clone(),
            sip.clone(),
            upn_cell.clone(),
            login.chars().take(20).collect::<String>(),
            "True".into(),
            pool.clone(),
            "SRV:".into(),
            ev.into(),
            line_uri,
            "False".into(),
            "False".into(),
            policy.clone(),
            String::new(),
            String::new(),
            "RedmondVoice".into(),
            "True".into(),
            "12/4/2009 6:11:07 PM".into(),
        ])?;
        if registered {
            let version = agent.split(['/', ' ']).nth(1).unwrap_or("15.0.4569.1503");
            registrations.row(&[
                format!("UCCAPI/{version}"),
                agent.to_string(),
                upn_cell,
                format!("fe{}.contoso.com", home),
                format!("{:016x}", rng.next()),
                "3/18/2021 6:02:42 PM".into(),
            ])?;
        }
        if defect == Defect::None {
            previous_clean = Some((sip, pool, policy));
        }
    }
    users.finish()?;
    registrations.finish()?;
    // Persistent Chat content: categories and rooms per chat pool; planted PC006/PC007.
    let mut categories = Table::create(
        dir,
        "categories.csv",
        "Microsoft.Rtc.Management.PersistentChat.Cmdlets.CategoryObject",
        &[
            "Identity",
            "Name",
            "Description",
            "PersistentChatPoolFqdn",
            "AllowedMembers",
            "DeniedMembers",
            "Creators",
            "Invitations",
            "FileUpload",
            "ChatHistory",
        ],
        options,
    )?;
    let mut addins = Table::create(
        dir,
        "addins.csv",
        "Microsoft.Rtc.Management.PersistentChat.Cmdlets.AddinObject",
        &["Identity", "Name", "PersistentChatPoolFqdn", "Url"],
        options,
    )?;
    let mut rooms = Table::create(
        dir,
        "rooms.csv",
        "Microsoft.Rtc.Management.PersistentChat.Cmdlets.ChatRoomObject",
        &[
            "Identity",
            "Name",
            "Description",
            "Category",
            "PersistentChatPoolFqdn",
            "Type",
            "Privacy",
            "Invitations",
            "Addin",
            "Disabled",
            "Members",
            "Managers",
            "Presenters",
        ],
        options,
    )?;
    let pool = "chat000.contoso.com";
    categories.row(&[
        format!("{pool}\\General"),
        "General".into(),
        String::new(),
        pool.into(),
        "OU=Users,DC=contoso,DC=com".into(),
        String::new(),
        String::new(),
        "True".into(),
        "False".into(),
        "True".into(),
    ])?;
    addins.row(&[
        format!("{pool}\\Wiki"),
        "Wiki".into(),
        pool.into(),
        "https://wiki.contoso.com/pchat".into(),
    ])?;
    let room_count = (options.users / 100).max(1);
    let mut room_members: Vec<Vec<String>> = vec![Vec::new(); room_count];
    for (j, sip) in members.iter().enumerate() {
        room_members[j % room_count].push(sip.clone());
    }
    for (r, listed) in room_members.iter().enumerate() {
        let (category, addin) = if rng.chance(options.defect_rate) {
            if rng.below(2) == 0 {
                *planted.entry("PC006".into()).or_insert(0) += 1;
                ("Archive".to_string(), "Wiki".to_string())
            } else {
                *planted.entry("PC007".into()).or_insert(0) += 1;
                ("General".to_string(), "Tracker".to_string())
            }
        } else {
            (
                "General".to_string(),
                if r % 2 == 0 {
                    "Wiki".to_string()
                } else {
                    String::new()
                },
            )
        };
        let name = format!("Room {r}");
        rooms.row(&[
            format!("{pool}\\{name}"),
            name,
            String::new(),
            category,
            pool.into(),
            "Normal".into(),
            "Closed".into(),
            "Inherit".into(),
            addin,
            "False".into(),
            listed.join("; "),
            String::new(),
            String::new(),
        ])?;
    }
    categories.finish()?;
    addins.finish()?;
    rooms.finish()?;
    planted.retain(|_, n| *n > 0);
    Ok(planted)
}

fn strip_sip(s: &str) -> &str {
    s.strip_prefix("sip:").unwrap_or(s)
}

fn ascii(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'é' | 'è' => 'e',
            'ü' => 'u',
            c => c,
        })
        .collect::<String>()
        .to_lowercase()
}
