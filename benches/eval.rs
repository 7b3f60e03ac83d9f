//! Per-row cost of rules, whole-run: `cargo bench --bench eval [-- USERS]`.
//!
//! Generates an inventory (default 200,000 users, plus as many registrations) and times
//! `engine::check` with: no rule (decode + parse + built-in checks only: the baseline), the
//! lookup-chain rules PC001 (users → registrations, registrars) and PC002 (users →
//! registrations, registrars, chat-policies with site/global fallback), and every shipped
//! rule. Reports the median of 5 runs and the cost per user row above the baseline.
#![allow(clippy::print_stdout)]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use invlint::engine::{check, Options};
use invlint::gen::{generate, GenOptions};
use invlint::rule::RuleSet;

fn median(mut runs: Vec<Duration>) -> Duration {
    runs.sort();
    runs[runs.len() / 2]
}

fn main() {
    let users: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(200_000);
    let dir = tempfile::tempdir().expect("tempdir");
    generate(
        dir.path(),
        &GenOptions {
            users,
            seed: 42,
            ..GenOptions::default()
        },
    )
    .expect("generate");
    let bytes: u64 = std::fs::read_dir(dir.path())
        .expect("dir")
        .filter_map(|e| e.ok()?.metadata().ok())
        .map(|m| m.len())
        .sum();
    let rules = RuleSet::load(true, &[]).expect("rules");
    let roots = vec![PathBuf::from(dir.path())];
    let time = |select: &[&str]| {
        let options = Options {
            select: select.iter().map(|s| s.to_string()).collect(),
            ..Options::default()
        };
        median(
            (0..5)
                .map(|_| {
                    let start = Instant::now();
                    let report = check(&roots, &rules, &options).expect("check");
                    std::hint::black_box(report.findings.len());
                    start.elapsed()
                })
                .collect(),
        )
    };
    println!(
        "inventory: {users} users, {:.1} MB, {} threads",
        bytes as f64 / 1e6,
        rayon::current_num_threads()
    );
    let baseline = time(&["NONE"]);
    println!(
        "{:<34} {:>9.3} s  {:>7.1} MB/s",
        "read only (no rule)",
        baseline.as_secs_f64(),
        bytes as f64 / 1e6 / baseline.as_secs_f64()
    );
    for (name, select) in [
        ("PC001 (lookup chain, 3 tables)", &["PC001"][..]),
        ("PC002 (lookup chain, 4 tables)", &["PC002"][..]),
        ("all shipped rules", &[][..]),
    ] {
        let t = time(select);
        let extra = t.saturating_sub(baseline);
        println!(
            "{name:<34} {:>9.3} s  {:>7.1} MB/s  {:>6.0} ns/user row above read-only",
            t.as_secs_f64(),
            bytes as f64 / 1e6 / t.as_secs_f64(),
            extra.as_nanos() as f64 / users as f64
        );
    }
}
