//! The one integration-test binary (`autotests = false`): each module is a topic.

mod cli;
mod common;
mod console;
mod expr_fixtures;
mod formats;
mod gate;
mod gate_cases;
mod generated;
mod hostile;
mod html_items;
mod html_report;
mod inventories;
mod outputs;
mod progress;
mod readme;
mod rule_files;
mod spans;
