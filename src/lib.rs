//! invlint: a linter for directory trees of exported inventory CSVs (Lync / Skype for
//! Business Server), checked against declarative rule files.
//!
//! The pipeline: discover → decode + parse tables (parallel per file) → load and compile
//! rules against headers → build lookups → evaluate (parallel over rules × row ranges) →
//! sort findings → the gate (severity overrides, suppressions, baseline) → reporters. The whole
//! check up to the reporters is one call: [`check::run`] with [`check::Settings`] resolved from
//! what the user asked and the configuration file. The library never prints or exits;
//! `main.rs` does.

pub mod check;
pub mod config;
pub mod engine;
pub mod expr;
mod fault;
pub mod files;
pub mod finding;
pub mod gate;
pub mod gen;
pub mod inventory;
pub mod keymap;
pub mod located;
pub mod outcome;
pub mod report;
pub mod rule;
pub mod suggest;
pub mod target;
pub mod visible;
