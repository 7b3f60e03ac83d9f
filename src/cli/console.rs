//! What the console can show: colours, width, ASCII only. Decided once per run from the
//! command line and the usual environment variables.

use std::io::IsTerminal;

use super::ColorChoice;

/// Colours, width and glyphs for standard output.
#[derive(Debug, Clone, Copy)]
pub struct Console {
    pub color: bool,
    pub width: usize,
    pub ascii: bool,
}

/// The value of an environment variable, when set and not empty.
fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// `TERM=dumb`: a console that cannot move the cursor nor show colours or box drawing.
pub fn dumb_terminal() -> bool {
    env("TERM").is_some_and(|t| t == "dumb")
}

impl Console {
    /// `--color always|never` wins; with `auto`: `NO_COLOR` turns colours off, `FORCE_COLOR`
    /// or `CLICOLOR_FORCE` (not `0`) turn them on even when piped, `TERM=dumb` turns them off,
    /// else colours when standard output is a terminal. The width is `COLUMNS` when set, else
    /// the terminal's, else 80. `TERM=dumb` and `--color never` also mean ASCII decorations.
    pub fn detect(choice: ColorChoice) -> Console {
        let tty = std::io::stdout().is_terminal();
        let forced = |name: &str| env(name).is_some_and(|v| v != "0" && v != "false");
        let color = match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                if env("NO_COLOR").is_some() {
                    false
                } else if forced("FORCE_COLOR") || forced("CLICOLOR_FORCE") {
                    true
                } else {
                    tty && !dumb_terminal()
                }
            }
        };
        let width = env("COLUMNS")
            .and_then(|c| c.trim().parse::<usize>().ok())
            .filter(|w| *w > 0)
            .or_else(|| {
                terminal_size::terminal_size_of(std::io::stdout())
                    .map(|(terminal_size::Width(w), _)| usize::from(w))
            })
            .unwrap_or(80);
        Console {
            color,
            width,
            ascii: dumb_terminal() || choice == ColorChoice::Never,
        }
    }
}
