//! The one integration-test binary (`autotests = false`): each module is a topic.

mod adversarial;
mod adversarial_text;
mod architecture;
mod cli;
mod common;
mod console;
mod export_script;
mod expr_fixtures;
mod formats;
mod gate;
mod gate_cases;
mod generated;
mod grouping;
mod hostile;
mod html_items;
mod html_report;
mod inventories;
mod kinds;
mod outputs;
mod progress;
mod readme;
mod real_folders;
mod rule_files;
mod spans;
mod targets;
mod teams_pack;
