//! README.md tells the truth: its JSON example is the real output of the command it names, and
//! its usage lists every option of `check` and `report`.

use crate::common::{invlint, root};

fn readme() -> String {
    std::fs::read_to_string(root().join("README.md")).expect("README.md")
}

/// The text of the first fenced block (```` ```LANG ````) after `marker`.
fn block_after(text: &str, marker: &str, lang: &str) -> String {
    let at = text
        .find(marker)
        .unwrap_or_else(|| panic!("README lacks {marker}"));
    let fence = format!("```{lang}\n");
    let start = text[at..].find(&fence).expect("a fenced block") + at + fence.len();
    let end = text[start..].find("\n```").expect("closed block") + start;
    text[start..end].to_string()
}

#[test]
fn json_example_is_the_real_output() {
    let command =
        "invlint check testdata/inventories/contoso --select PC002 --max-findings 1 --format json";
    let text = readme();
    let example: serde_json::Value =
        serde_json::from_str(&block_after(&text, &format!("`{command}`"), "json"))
            .expect("the README example is JSON");
    let args: Vec<&str> = command.split(' ').skip(1).collect();
    let (code, out, _) = invlint(&args);
    assert_eq!(code, 1);
    let real: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(example, real, "update the README example with:\n{out}");
}

#[test]
fn usage_lists_every_option() {
    let text = readme();
    let usage = block_after(&text, "## Using it", "");
    for command in ["check", "report"] {
        let (_, help, _) = invlint(&[command, "--help"]);
        for word in help.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-')) {
            if word.starts_with("--") && word.len() > 2 && word != "--help" {
                assert!(
                    usage.contains(word),
                    "README usage lacks {word} ({command})"
                );
            }
        }
    }
}
