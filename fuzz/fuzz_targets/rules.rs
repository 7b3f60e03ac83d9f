//! Arbitrary text as a rule file (or a `tables.toml` when it declares tables) and as one
//! expression: TOML, expression parsing, compilation against the shipped declarations, and
//! the rule's own examples run through the engine. Nothing may panic; every error span must
//! lie inside the text on character boundaries, and render.
#![no_main]

use std::sync::OnceLock;

use invlint::engine::examples::run_examples;
use invlint::expr::compile::Schema;
use invlint::expr::Compiler;
use invlint::located::LocatedError;
use invlint::rule::{build_schema, RuleSet};
use libfuzzer_sys::fuzz_target;

fn schema() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let set = RuleSet::load(false, &[]).expect("embedded declarations");
        build_schema(&set.decls(), &set.maps(), None).0
    })
}

fn check_spans(text: &str, name: &str, errors: &[LocatedError]) {
    let handler =
        miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor());
    for e in errors {
        if e.file.as_deref() == Some(name) {
            if let Some(span) = &e.span {
                assert!(span.start <= span.end && span.end <= text.len(), "{span:?}");
                assert!(text.is_char_boundary(span.start) && text.is_char_boundary(span.end));
            }
        }
        let mut out = String::new();
        let _ = handler.render_report(&mut out, e);
        let _ = e.compact();
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // The text as one expression.
    match invlint::expr::parse(text) {
        Ok(expr) => {
            let schema = schema();
            let mut compiler = Compiler::new(schema, schema.kind("users"), Vec::new());
            let _ = compiler.condition(0, &expr);
            for e in &compiler.errors {
                assert!(
                    e.span.start <= e.span.end && e.span.end <= text.len(),
                    "{e:?}"
                );
            }
            let _ = expr.to_string();
        }
        Err(e) => {
            assert!(
                e.span.start <= e.span.end && e.span.end <= text.len(),
                "{e:?}"
            );
            assert!(text.is_char_boundary(e.span.start) && text.is_char_boundary(e.span.end));
        }
    }
    // The text as a rule file.
    let name = if text.contains("[[table]]") {
        "tables.toml"
    } else {
        "rule.toml"
    };
    let full = format!("fuzz/{name}");
    match RuleSet::load_texts(false, &[("fuzz", name, text)]) {
        Err(errors) => check_spans(text, &full, &errors),
        Ok(set) => {
            let (schema, errors) = build_schema(&set.decls(), &set.maps(), None);
            check_spans(text, &full, &errors);
            if !errors.is_empty() {
                return;
            }
            let _ = invlint::inventory::recognise::Recogniser::new(&set.decls());
            for rule in set.rules() {
                if let Err(errors) = rule.compile(&schema) {
                    check_spans(text, &full, &errors);
                }
            }
            let _ = run_examples(&set, &[]);
        }
    }
});
