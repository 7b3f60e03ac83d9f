//! Rule files whose `let` bindings chain deep (issue 16: a 30,000-deep chain overflowed the
//! stack). The input picks how many bindings (up to 40,000), and for each one which other
//! binding it reads and in what small expression, so chains run forwards, backwards, fan out
//! and form cycles. Loading, compiling against the shipped declarations and running the
//! rule's example must not panic or overflow: a chain too deep is a located error.
#![no_main]

use std::fmt::Write;
use std::sync::OnceLock;

use invlint::engine::examples::run_examples;
use invlint::expr::compile::Schema;
use invlint::rule::{build_schema, RuleSet};
use libfuzzer_sys::fuzz_target;

fn schema() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let set = RuleSet::load(true, &[]).expect("shipped rules");
        build_schema(&set.decls(), &set.maps(), None).0
    })
}

/// The rule file the input describes.
pub fn rule_text(data: &[u8]) -> String {
    let (count, shapes) = match data {
        [a, b, rest @ ..] => ((usize::from(*a) << 8 | usize::from(*b)) % 40_000 + 1, rest),
        _ => (1, data),
    };
    let mut lets = String::from("[let]\n");
    for i in 0..count {
        let byte = shapes.get(i % shapes.len().max(1)).copied().unwrap_or(0);
        let step = usize::from(byte >> 3) % 5;
        // Which binding it reads: the one before (a forward chain), the one after (the
        // first binding compiled reads the whole chain), itself, one far off, or a column.
        let target = match step {
            0 => i.checked_sub(1),
            1 => (i + 1 < count).then_some(i + 1),
            2 => Some(i),
            3 => Some((i * 7919 + usize::from(byte)) % count),
            _ => None,
        };
        let read = target.map_or_else(|| "SipAddress".to_string(), |t| format!("b{t}"));
        let expr = match byte & 7 {
            0 => read,
            1 => format!("lower({read})"),
            2 => format!("concat({read}, \"x\")"),
            3 => format!("if(empty({read}), \"a\", {read})"),
            4 => format!("coalesce({read}, SipAddress)"),
            5 => format!("trim({read})"),
            6 => format!("({read})"),
            _ => format!("upper(trim({read}))"),
        };
        let _ = writeln!(lets, "b{i} = '{expr}'");
    }
    let first = shapes.first().map_or(0, |&b| usize::from(b)) % count;
    format!(
        "code = \"FZ001\"\ntitle = \"t\"\nseverity = \"error\"\ntable = \"users\"\n\
         assert = 'b{first} != \"\"'\nat = 'SipAddress'\nmessage = 'm {{b{first}}}'\n\
         help = 'h'\n[doc]\nwhy = 'w'\n[[example]]\nname = \"one user\"\nexpect = 0\n\
         [example.tables]\nusers = '''\nSipAddress\nsip:a@contoso.com\n'''\n{lets}"
    )
}

fuzz_target!(|data: &[u8]| {
    let text = rule_text(data);
    let Ok(set) = RuleSet::load_texts(true, &[("fuzz", "deep.toml", &text)]) else {
        return;
    };
    for rule in set.rules() {
        let _ = rule.compile(schema());
    }
    let _ = run_examples(&set, &["fuzz".to_string()]);
});
