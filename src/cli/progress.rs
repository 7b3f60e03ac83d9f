//! The progress bar of `check` and `report`, drawn from the engine's progress events.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use invlint::engine::progress::{Phase, Progress, ProgressSink};

use super::console;

/// The progress bar of a check, on stderr: only when stderr is a terminal (not `TERM=dumb`),
/// not with `--quiet` nor in CI (`CI` set), and drawn only once the run has taken a second. It
/// says what is done in plain words, with the files, megabytes and rows, and the time so far.
pub fn progress_bar(quiet: bool) -> Option<(ProgressBar, ProgressSink)> {
    let ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty());
    if quiet || ci || !std::io::stderr().is_terminal() || console::dumb_terminal() {
        return None;
    }
    let bar = ProgressBar::hidden();
    let shown = bar.clone();
    let started = Instant::now();
    // Files and rows as the engine learns them, for the message of each phase.
    let counts = std::sync::Mutex::new((0u64, 0u64));
    let sink = ProgressSink::new(move |event| {
        let (files, rows) = counts.lock().map_or((0, 0), |c| *c);
        let plural = |n: u64, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
        match event {
            Progress::Counts { files, rows } => {
                if let Ok(mut c) = counts.lock() {
                    *c = (files, rows);
                }
            }
            Progress::Start { phase, total } => {
                let template = match (phase, total) {
                    (_, 0) => "{spinner} {msg}  {elapsed}",
                    (Phase::Reading, _) => {
                        "{msg} {wide_bar} {decimal_bytes}/{decimal_total_bytes}  {elapsed}"
                    }
                    _ => "{msg} {wide_bar} {percent}%  {elapsed}",
                };
                let style = ProgressStyle::with_template(template)
                    .unwrap_or_else(|_| ProgressStyle::default_bar());
                let message = match phase {
                    Phase::Reading => format!("Reading {}", plural(files, "file")),
                    Phase::Checking => format!("Checking {}", plural(rows, "row")),
                    _ => phase.label().to_string(),
                };
                shown.set_message(message);
                shown.set_length(total);
                shown.set_position(0);
                shown.set_style(style);
            }
            Progress::Advance { done, .. } => shown.inc(done),
        }
        if shown.is_hidden() && started.elapsed() >= Duration::from_secs(1) {
            shown.set_draw_target(ProgressDrawTarget::stderr());
            shown.enable_steady_tick(Duration::from_millis(120));
        }
    });
    Some((bar, sink))
}
