//! **Progress** of a run, for displays. The library never draws anything itself: it sends
//! [`Progress`] events to the [`ProgressSink`] given in [`super::Options::progress`].
//!
//! A run goes through **phases**: reading the files, building the lookups, checking the
//! rules, locating the findings. Each phase starts with its amount of work (bytes of the files
//! for reading, units of work for checking; 0 when not counted) and then advances in steps.
//! Events come from worker threads, so the receiver must be `Send + Sync`, and cheap.

use std::fmt;
use std::sync::Arc;

/// A stage of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    /// Reading the rows of every file (work: bytes of the files).
    Reading,
    /// Building the key indexes and joins (not counted).
    Indexing,
    /// Evaluating the rules (work: tasks, a rule over a range of rows of one file).
    Checking,
    /// Finding the lines and columns of the findings (not counted).
    Locating,
}

impl Phase {
    /// What a person is told the run is doing.
    pub fn label(self) -> &'static str {
        match self {
            Phase::Reading => "Reading",
            Phase::Indexing => "Joining tables",
            Phase::Checking => "Checking",
            Phase::Locating => "Finding lines",
        }
    }
}

/// One progress event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// `phase` starts, with `total` units of work (0: not counted).
    Start { phase: Phase, total: u64 },
    /// `done` more units of `phase` are finished.
    Advance { phase: Phase, done: u64 },
    /// What the run is reading: `files` files, `rows` data rows (0 until they are read).
    Counts { files: u64, rows: u64 },
}

/// Where progress events go.
#[derive(Clone)]
pub struct ProgressSink(Arc<dyn Fn(Progress) + Send + Sync>);

impl ProgressSink {
    pub fn new(receive: impl Fn(Progress) + Send + Sync + 'static) -> ProgressSink {
        ProgressSink(Arc::new(receive))
    }

    pub fn send(&self, event: Progress) {
        (self.0)(event)
    }
}

impl fmt::Debug for ProgressSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ProgressSink")
    }
}

/// Send `event` when there is a sink.
pub(crate) fn send(sink: Option<&ProgressSink>, event: Progress) {
    if let Some(s) = sink {
        s.send(event);
    }
}
