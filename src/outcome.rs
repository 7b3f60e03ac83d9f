//! **Outcome types**: what the gate did to a run's findings (suppressions, expiry, the
//! baseline), kept at the bottom of the library so that the engine's run summary can carry
//! them without the engine importing the gate.

use serde::{Deserialize, Serialize};

/// What the gate did, for summaries.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct GateSummary {
    /// Findings hidden by a suppression entry.
    pub suppressed: usize,
    /// Findings reported again because their suppression expired.
    pub expired: usize,
    /// Suppression entries that matched no finding.
    pub stale: usize,
    /// Set when a baseline was applied.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineSummary>,
}

impl GateSummary {
    pub fn is_empty(&self) -> bool {
        *self == GateSummary::default()
    }
}

/// One kind of known finding.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaselineEntry {
    pub code: String,
    pub key: String,
    #[serde(default)]
    pub value: String,
    #[serde(default = "one")]
    pub count: usize,
    /// The message when the baseline was written, for people reading the file; not matched.
    #[serde(default)]
    pub message: String,
}

fn one() -> usize {
    1
}

/// What applying a baseline did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BaselineSummary {
    /// Findings hidden because the baseline knows them.
    pub hidden: usize,
    /// Entries (with the count that no longer occurs) that matched fewer findings than recorded.
    pub gone: Vec<BaselineEntry>,
}
