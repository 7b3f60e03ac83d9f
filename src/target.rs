//! **Targets** and **profiles**: what a migration audit is for.
//!
//! A **target** is the platform the users and services are moving to: `lync2013`, `sfb2015`,
//! `sfb2019`, `sfbse` (Skype for Business Server Subscription Edition) or `teams`. The
//! **retiring pools** are the pools to be removed (globs over pool FQDNs). Rules read both
//! through the expression functions `target()`, `target_version()` and `retiring(pool)`, and
//! a rule may name the targets it is for (`targets = [...]`: it runs only under one of them).
//!
//! A **profile** is a preset of the phases of a migration: `post-migration` is target
//! `lync2013` (the Lync 2010 → 2013 move the Persistent Chat rules were written for);
//! `decommission` is target `teams` with every on-premises pool retiring. Names are compared
//! without case; an unknown one is an error with the nearest known name.

use std::fmt;

/// A migration target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Target {
    Lync2013,
    Sfb2015,
    Sfb2019,
    SfbSe,
    Teams,
}

impl Target {
    pub const ALL: [Target; 5] = [
        Target::Lync2013,
        Target::Sfb2015,
        Target::Sfb2019,
        Target::SfbSe,
        Target::Teams,
    ];

    /// The names `--target` accepts.
    pub const NAMES: [&'static str; 5] = ["lync2013", "sfb2015", "sfb2019", "sfbse", "teams"];

    pub fn name(self) -> &'static str {
        match self {
            Target::Lync2013 => "lync2013",
            Target::Sfb2015 => "sfb2015",
            Target::Sfb2019 => "sfb2019",
            Target::SfbSe => "sfbse",
            Target::Teams => "teams",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Target::Lync2013 => "Lync Server 2013",
            Target::Sfb2015 => "Skype for Business Server 2015",
            Target::Sfb2019 => "Skype for Business Server 2019",
            Target::SfbSe => "Skype for Business Server Subscription Edition",
            Target::Teams => "Microsoft Teams (every on-premises pool retired)",
        }
    }

    /// The registrar `Version` (Get-CsService) of the target's pools; `None` for Teams.
    /// Subscription Edition is built on the 2019 code (RTM build 7.0.2046.x) and an in-place
    /// upgrade from 2019 is supported, so its pools report 8 like 2019's.
    pub fn version(self) -> Option<u32> {
        match self {
            Target::Lync2013 => Some(6),
            Target::Sfb2015 => Some(7),
            Target::Sfb2019 | Target::SfbSe => Some(8),
            Target::Teams => None,
        }
    }

    pub fn parse(text: &str) -> Result<Target, String> {
        let text = text.trim();
        Target::ALL
            .into_iter()
            .find(|t| t.name().eq_ignore_ascii_case(text))
            .ok_or_else(|| unknown("target", text, &Target::ALL.map(Target::name)))
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The names of the profiles.
pub const PROFILE_NAMES: [&str; 2] = ["post-migration", "decommission"];

/// The profiles rules may name, and the target each presets.
pub const PROFILES: [(&str, Option<Target>); 2] = [
    ("post-migration", Some(Target::Lync2013)),
    ("decommission", Some(Target::Teams)),
];

/// The canonical name of profile `text`, or an error naming the nearest one.
pub fn parse_profile(text: &str) -> Result<&'static str, String> {
    let text = text.trim();
    PROFILES
        .iter()
        .find(|(p, _)| p.eq_ignore_ascii_case(text))
        .map(|(p, _)| *p)
        .ok_or_else(|| unknown("profile", text, &PROFILES.map(|(p, _)| p)))
}

/// The target and retiring pools a run works with: the ones given, else the profiles' presets.
pub fn resolve(
    target: Option<Target>,
    retiring: &[String],
    profiles: &[String],
) -> (Option<Target>, Vec<String>) {
    let preset = |name: &str| {
        PROFILES
            .iter()
            .find(|(p, _)| p.eq_ignore_ascii_case(name))
            .and_then(|(_, t)| *t)
    };
    let target = target.or_else(|| profiles.iter().find_map(|p| preset(p)));
    let mut retiring = retiring.to_vec();
    if retiring.is_empty()
        && profiles
            .iter()
            .any(|p| p.eq_ignore_ascii_case("decommission"))
    {
        retiring.push("*".into());
    }
    (target, retiring)
}

fn unknown(what: &str, text: &str, known: &[&str]) -> String {
    let hint = crate::suggest::did_you_mean(text, known.iter().copied());
    format!(
        "unknown {what} `{text}`{hint} (known: {})",
        known.join(", ")
    )
}

/// Retiring-pool globs compiled once (case-insensitive, over a pool FQDN).
#[derive(Debug, Clone, Default)]
pub struct Retiring {
    set: Option<globset::GlobSet>,
}

impl Retiring {
    pub fn new(globs: &[String]) -> Result<Retiring, String> {
        if globs.is_empty() {
            return Ok(Retiring::default());
        }
        let mut builder = globset::GlobSetBuilder::new();
        for g in globs {
            let glob = globset::GlobBuilder::new(g.trim())
                .case_insensitive(true)
                .build()
                .map_err(|e| format!("retiring pool `{g}`: {e}"))?;
            builder.add(glob);
        }
        let set = builder.build().map_err(|e| e.to_string())?;
        Ok(Retiring { set: Some(set) })
    }

    /// Whether `pool` (an FQDN, a `Registrar:`/`UserServer:` service identity) retires.
    pub fn contains(&self, pool: &str) -> bool {
        let Some(set) = &self.set else { return false };
        let pool = pool.trim();
        let fqdn = pool.rsplit_once(':').map_or(pool, |(_, f)| f);
        !fqdn.is_empty() && set.is_match(fqdn.to_ascii_lowercase())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_without_case_and_suggest_the_nearest() {
        assert_eq!(Target::parse("SfbSE"), Ok(Target::SfbSe));
        let err = Target::parse("sfb209").unwrap_err();
        assert!(err.contains("did you mean `sfb2019`?"), "{err}");
        assert_eq!(parse_profile("Decommission"), Ok("decommission"));
        assert!(parse_profile("decomission")
            .unwrap_err()
            .contains("`decommission`"));
    }

    #[test]
    fn profiles_preset_a_target_and_retiring_pools() {
        let (t, r) = resolve(None, &[], &["decommission".into()]);
        assert_eq!((t, r), (Some(Target::Teams), vec!["*".to_string()]));
        let (t, r) = resolve(
            Some(Target::SfbSe),
            &["pool15*".into()],
            &["post-migration".into()],
        );
        assert_eq!((t, r), (Some(Target::SfbSe), vec!["pool15*".to_string()]));
        assert_eq!(resolve(None, &[], &[]), (None, vec![]));
    }

    #[test]
    fn retiring_pools_match_fqdns_and_service_identities() {
        let r = Retiring::new(&["pool15*.contoso.com".into()]).unwrap();
        assert!(r.contains("POOL15.contoso.com"));
        assert!(r.contains("UserServer:pool15b.contoso.com"));
        assert!(!r.contains("pool19.contoso.com"));
        assert!(!Retiring::default().contains("pool15.contoso.com"));
    }
}
