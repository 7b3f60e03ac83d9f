//! The one integration-test binary (`autotests = false`): each module is a topic.

mod cli;
mod common;
mod expr_fixtures;
mod formats;
mod gate;
mod generated;
mod grouping;
mod hostile;
mod html_report;
mod inventories;
mod progress;
mod rule_files;
mod spans;
