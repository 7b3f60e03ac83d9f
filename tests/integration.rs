//! The one integration-test binary (`autotests = false`): each module is a topic.

mod adversarial;
mod adversarial_text;
mod cli;
mod common;
mod expr_fixtures;
mod formats;
mod gate;
mod generated;
mod hostile;
mod html_report;
mod inventories;
mod kinds;
mod progress;
mod real_folders;
mod rule_files;
mod spans;
mod targets;
