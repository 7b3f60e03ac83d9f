//! Values offered to `--help` and to shell completions, and the completion scripts.

use invlint::rule::RuleSet;

use super::Cli;

/// A value parser that accepts any text but offers `values` to `--help` and to shell
/// completions: unknown values are refused later, with a did-you-mean (and rule packs may add
/// profiles of their own).
#[derive(Clone, Debug)]
pub struct Suggested(Vec<String>);

impl Suggested {
    pub fn new(values: &[&str]) -> Suggested {
        Suggested(values.iter().map(|v| v.to_string()).collect())
    }
}

impl clap::builder::TypedValueParser for Suggested {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        _arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        value
            .to_str()
            .map(str::to_owned)
            .ok_or_else(|| clap::Error::new(clap::error::ErrorKind::InvalidUtf8).with_cmd(cmd))
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(
            self.0
                .iter()
                .map(|v| clap::builder::PossibleValue::new(v.clone())),
        ))
    }
}

/// The completion script of `shell`: formats, profiles, and the codes and prefixes of the
/// embedded rules for `--select`, `--ignore` and `--extend-select` (`--target` does not exist
/// yet).
pub fn completions(shell: clap_complete::Shell) -> u8 {
    let mut codes = RuleSet::load(true, &[])
        .map(|set| invlint::suggest::known_codes(set.codes()))
        .unwrap_or_default();
    let mut prefixes: Vec<String> = codes
        .iter()
        .map(|c| {
            c.trim_end_matches(|ch: char| ch.is_ascii_digit())
                .to_string()
        })
        .collect();
    prefixes.sort();
    prefixes.dedup();
    prefixes.push(invlint::suggest::ALL.to_string());
    codes.extend(prefixes);
    let suggest = Suggested(codes);
    let with_codes = |cmd: clap::Command| {
        ["select", "ignore", "extend_select"]
            .iter()
            .fold(cmd, |cmd, id| {
                cmd.mut_arg(*id, |a| a.value_parser(suggest.clone()))
            })
    };
    let mut command = <Cli as clap::CommandFactory>::command();
    command = with_codes(command);
    for sub in ["check", "report"] {
        command = command.mut_subcommand(sub, with_codes);
    }
    clap_complete::generate(shell, &mut command, "invlint", &mut std::io::stdout());
    0
}
