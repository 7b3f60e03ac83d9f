//! Checks of the command line itself, so that a mistake ends the run with exit 2 and one clear
//! line: a mistyped subcommand, outputs that would collide. (The names a check is given are
//! checked by the library: `invlint::check::names`.)

use std::path::Path;

use invlint::suggest;

use super::args::CheckArgs;

/// The subcommands, for the did-you-mean of a first argument that is neither one nor a path.
const SUBCOMMANDS: &[&str] = &[
    "check",
    "report",
    "rules",
    "explain",
    "init",
    "completions",
    "test",
];

/// `invlint chek`: clap reads an unknown first word as a PATH of the default command. When it
/// is no existing path and is close to a subcommand, say so (exit 2) instead of reporting an
/// unreadable input.
pub fn mistyped_subcommand(args: &CheckArgs) -> Option<String> {
    let first = args.paths.first()?.to_str()?;
    if Path::new(first).symlink_metadata().is_ok() || first.contains(['/', '\\', '.', '*']) {
        return None;
    }
    let near = suggest::nearest(first, SUBCOMMANDS.iter().copied())?;
    Some(format!(
        "error: unrecognized subcommand '{first}'; did you mean '{near}'?\n\n\
         Usage: invlint [COMMAND] or invlint check <PATH>...   (try `invlint --help`)"
    ))
}

/// `--output FORMAT=-` means standard output: it takes the place of `--format` (at most one
/// output there). Two outputs to one path are refused: the second would overwrite the first.
/// Returns the format standard output gets from an `--output`, if one does.
pub fn route_outputs(
    format_given: bool,
    outputs: &mut Vec<(invlint::report::Format, std::path::PathBuf)>,
) -> Result<Option<invlint::report::Format>, String> {
    let same = |a: &Path, b: &Path| {
        a == b
            || matches!(
                (std::path::absolute(a), std::path::absolute(b)),
                (Ok(x), Ok(y)) if x == y
            )
    };
    for (i, (_, a)) in outputs.iter().enumerate() {
        if let Some((_, b)) = outputs[..i].iter().find(|(_, b)| same(a, b)) {
            return Err(if a.as_os_str() == "-" {
                "two --output options write to standard output (`-`); keep one".to_string()
            } else {
                format!(
                    "two --output options write to `{}`; give each output its own file",
                    b.display()
                )
            });
        }
    }
    let Some(index) = outputs.iter().position(|(_, p)| p.as_os_str() == "-") else {
        return Ok(None);
    };
    if format_given {
        return Err(
            "--format and --output FORMAT=- both write to standard output; keep one".to_string(),
        );
    }
    Ok(Some(outputs.remove(index).0))
}
