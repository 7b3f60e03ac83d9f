//! Write a synthetic inventory: `cargo run --release --example gen -- --users N --seed S --out DIR
//! [--defects RATE] [--utf16] [--semicolon]`. Prints the planted counts as JSON and writes them
//! to `DIR/planted.json`.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::PathBuf;

use invlint::gen::{generate, GenOptions};

fn main() -> std::process::ExitCode {
    let mut options = GenOptions::default();
    let mut out = PathBuf::from("generated");
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        let parsed: Result<(), String> = match arg.as_str() {
            "--users" => value("--users").and_then(|v| {
                v.parse()
                    .map(|n| options.users = n)
                    .map_err(|e| format!("--users: {e}"))
            }),
            "--seed" => value("--seed").and_then(|v| {
                v.parse()
                    .map(|n| options.seed = n)
                    .map_err(|e| format!("--seed: {e}"))
            }),
            "--defects" => value("--defects").and_then(|v| {
                v.parse()
                    .map(|n| options.defect_rate = n)
                    .map_err(|e| format!("--defects: {e}"))
            }),
            "--out" => value("--out").map(|v| out = PathBuf::from(v)),
            "--utf16" => {
                options.utf16 = true;
                Ok(())
            }
            "--semicolon" => {
                options.semicolon = true;
                Ok(())
            }
            other => Err(format!("unknown argument `{other}`")),
        };
        if let Err(e) = parsed {
            eprintln!("error: {e}");
            return std::process::ExitCode::from(2);
        }
    }
    match generate(&out, &options) {
        Ok(planted) => {
            let json = serde_json::to_string_pretty(&planted).unwrap_or_default();
            if let Err(e) = std::fs::write(out.join("planted.json"), &json) {
                eprintln!("error: {e}");
                return std::process::ExitCode::from(2);
            }
            println!("{json}");
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::from(2)
        }
    }
}
