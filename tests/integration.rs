//! The one integration-test binary (`autotests = false`): each module is a topic.

mod cli;
mod common;
mod expr_fixtures;
mod generated;
mod hostile;
mod inventories;
mod rule_files;
mod spans;
