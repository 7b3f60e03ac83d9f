//! The users and their endpoint registrations: each [`User`] is drawn from the seeded
//! generator, then given its planted **defect** (one per row at most) or a healthy shape that
//! must stay quiet.

use std::io;
use std::path::Path;

use super::{plant, GenOptions, Planted, Rng, Table};

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

/// One user as drawn: names, where it lives, its policy and client, and what it exports.
struct User {
    /// Index of the user (numbers its account, line and row).
    i: usize,
    defect: Defect,
    first: &'static str,
    last: &'static str,
    login: String,
    upn: String,
    sip: String,
    /// The pool (0, 1 or 2) a clean user lives on, which also names its front end.
    home: u64,
    pool: String,
    policy: String,
    agent: &'static str,
    ev: &'static str,
    line_uri: String,
    /// It has an endpoint registration.
    registered: bool,
}

impl User {
    /// Draw user `i`: a defect (at `defect_rate`), names and a home pool, with a client and
    /// policy that fit it.
    fn draw(i: usize, rng: &mut Rng, defect_rate: f64) -> User {
        let defect = if rng.chance(defect_rate) {
            DEFECTS[rng.below(DEFECTS.len() as u64) as usize].0
        } else {
            Defect::None
        };
        let first = FIRST[rng.below(FIRST.len() as u64) as usize];
        let last = LAST[rng.below(LAST.len() as u64) as usize];
        let login = format!("{}.{}{i}", ascii(first), ascii(last));
        let upn = format!("{login}@contoso.com");
        let sip = format!("sip:{upn}");
        // A clean user lives on one of three pools, with a client and policy that fit.
        let home = rng.below(3);
        let (pool, policy, agent) = match home {
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
        User {
            i,
            defect,
            first,
            last,
            login,
            upn,
            sip,
            home,
            pool,
            policy,
            agent,
            ev: "True",
            line_uri: format!("tel:+1425{:07};ext={}", i % 10_000_000, i % 100_000),
            registered: true,
        }
    }

    /// Give the user its defect (or a healthy shape to stay quiet on). `previous_clean` is the
    /// (sip, pool, policy) of the last clean user; `members` the SIP addresses listed in chat
    /// rooms. Whether a defect was planted (AD002 needs an earlier clean user).
    fn plant(
        &mut self,
        previous_clean: &Option<(String, String, String)>,
        members: &mut Vec<String>,
    ) -> bool {
        let i = self.i;
        match self.defect {
            // Healthy shapes that must stay quiet: Lync 2013 users who chat (room members with
            // AllowChat), and users deliberately without chat (NoChat, in no room).
            Defect::None if self.home == 1 && i.is_multiple_of(5) => members.push(self.sip.clone()),
            Defect::None if self.home == 1 && i % 7 == 3 => self.policy = "NoChat".into(),
            Defect::None => {}
            Defect::Pc001 => {
                // Lync 2013 client on Lync Server 2010 with chat evidence: a room (even rows)
                // or a per-user policy enabling chat (odd rows).
                self.pool = "pool10.contoso.com".into();
                self.agent = "OC/15.0.4569.1503 (Microsoft Lync)";
                if i.is_multiple_of(2) {
                    self.policy.clear();
                    members.push(self.sip.clone());
                } else {
                    self.policy = "AllowChat".into();
                }
            }
            Defect::Pc002 => {
                // A room member on Lync Server 2013 whose effective policy disables chat: the
                // per-user NoChat (even rows) or the Global policy (odd rows).
                self.pool = "pool13.contoso.com".into();
                self.policy = if i.is_multiple_of(2) {
                    "NoChat".into()
                } else {
                    String::new()
                };
                members.push(self.sip.clone());
            }
            Defect::Pc003 => {
                self.policy = format!("Chat{i}");
                self.pool = "pool10.contoso.com".into();
                self.agent = "OC/4.0.7577.314 (Microsoft Lync 2010)";
            }
            Defect::Ad001 => {
                self.sip = self.upn.clone();
                self.registered = false;
            }
            Defect::Ad002 => {
                // A repeat of the last clean user's address, in other case, on the same pool
                // and policy so that no other rule sees a difference.
                if let Some((earlier_sip, earlier_pool, earlier_policy)) = previous_clean {
                    self.sip = earlier_sip.to_uppercase().replacen("SIP:", "sip:", 1);
                    self.pool = earlier_pool.clone();
                    self.policy = earlier_policy.clone();
                    self.ev = "False";
                    self.line_uri.clear();
                    self.registered = false;
                }
            }
            Defect::Ad003 => self.line_uri = format!("tel:425{:07}", i % 10_000_000),
            Defect::Ad004 => self.line_uri.clear(),
            Defect::Tp001 => {
                self.pool = "pool07.contoso.com".into();
                self.registered = false;
            }
            Defect::Tp002 => {
                self.pool.clear();
                self.registered = false;
            }
        }
        !(self.defect == Defect::Ad002 && previous_clean.is_none())
    }
}

/// Users and their endpoint registrations, with the user defects planted; returns the SIP
/// addresses to list in chat rooms.
pub(super) fn write_users(
    dir: &Path,
    options: &GenOptions,
    rng: &mut Rng,
    planted: &mut Planted,
) -> io::Result<Vec<String>> {
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
    // (sip, pool, policy) of the last clean user, for AD002.
    let mut previous_clean: Option<(String, String, String)> = None;
    // Chat evidence: SIP addresses listed in rooms (PC001/PC002 plant it; some clean users
    // with a policy enabling chat are members too).
    let mut members: Vec<String> = Vec::new();
    for i in 0..options.users {
        let mut user = User::draw(i, rng, options.defect_rate);
        let really_planted = user.plant(&previous_clean, &mut members);
        if user.defect != Defect::None && really_planted {
            if let Some((_, code)) = DEFECTS.iter().find(|(d, _)| *d == user.defect) {
                plant(planted, code);
            }
        }
        write_user(&mut users, &mut registrations, &user, rng)?;
        if user.defect == Defect::None {
            previous_clean = Some((user.sip, user.pool, user.policy));
        }
    }
    users.finish()?;
    registrations.finish()?;
    Ok(members)
}

/// The user's row, and its endpoint registration when it has one.
fn write_user(
    users: &mut Table,
    registrations: &mut Table,
    user: &User,
    rng: &mut Rng,
) -> io::Result<()> {
    // The UPN follows the SIP address, as in single-domain deployments.
    let upn_cell = strip_sip(&user.sip).to_string();
    let display = format!("{} {}", user.first, user.last);
    users.row(&[
        format!("CN={display} {},OU=Users,DC=contoso,DC=com", user.i),
        display.clone(),
        user.sip.clone(),
        upn_cell.clone(),
        user.login.chars().take(20).collect::<String>(),
        "True".into(),
        user.pool.clone(),
        "SRV:".into(),
        user.ev.into(),
        user.line_uri.clone(),
        "False".into(),
        "False".into(),
        user.policy.clone(),
        String::new(),
        String::new(),
        "RedmondVoice".into(),
        "True".into(),
        "12/4/2009 6:11:07 PM".into(),
    ])?;
    if user.registered {
        let agent = user.agent;
        let version = agent.split(['/', ' ']).nth(1).unwrap_or("15.0.4569.1503");
        registrations.row(&[
            format!("UCCAPI/{version}"),
            agent.to_string(),
            upn_cell,
            format!("fe{}.contoso.com", user.home),
            format!("{:016x}", rng.next()),
            "3/18/2021 6:02:42 PM".into(),
        ])?;
    }
    Ok(())
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
