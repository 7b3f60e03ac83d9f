//! The parser's tests: round trips, spans, depth limits and generated inputs.

use super::*;
use crate::expr::ast::strip_spans;

/// Runs `f` on a thread with the default 2 MiB stack, re-raising panics.
fn on_default_stack(f: impl FnOnce() + Send + 'static) {
    let thread = std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(f)
        .expect("spawn test thread");
    if let Err(panic) = thread.join() {
        std::panic::resume_unwind(panic);
    }
}

fn parse_err(src: &str) -> ParseError {
    match parse(src) {
        Ok(e) => panic!("expected an error for {src:?}, got {e}"),
        Err(e) => e,
    }
}

fn assert_span_ok(src: &str, span: &Span) {
    assert!(
        span.start <= span.end && span.end <= src.len(),
        "span {span:?} out of bounds for {src:?}"
    );
    assert!(
        src.is_char_boundary(span.start) && src.is_char_boundary(span.end),
        "span {span:?} not on char boundaries in {src:?}"
    );
}

/// Checks every span in `e` and that children lie inside their parent.
fn check_spans(src: &str, e: &Expr) {
    assert_span_ok(src, &e.span);
    let mut children: Vec<&Expr> = Vec::new();
    let mut idents: Vec<&Ident> = Vec::new();
    match &e.kind {
        ExprKind::Str(_) | ExprKind::Num(_) | ExprKind::Bool(_) => {}
        ExprKind::Name(id) => idents.push(id),
        ExprKind::Member(base, id) => {
            children.push(base);
            idents.push(id);
        }
        ExprKind::Index(base, args) => {
            children.push(base);
            children.extend(args);
        }
        ExprKind::Call(id, args) => {
            idents.push(id);
            children.extend(args);
        }
        ExprKind::Unary(_, inner) => children.push(inner),
        ExprKind::Binary(_, l, r) => children.extend([&**l, &**r]),
        ExprKind::In { value, list, .. } => {
            children.push(value);
            children.extend(list);
        }
    }
    for id in idents {
        assert_span_ok(src, &id.span);
        assert!(e.span.start <= id.span.start && id.span.end <= e.span.end);
    }
    for child in children {
        assert!(
            e.span.start <= child.span.start && child.span.end <= e.span.end,
            "child {:?} outside parent {:?} in {src:?}",
            child.span,
            e.span
        );
        check_spans(src, child);
    }
}

fn assert_round_trip(src: &str, e: &Expr) {
    let printed = e.to_string();
    match parse(&printed) {
        Ok(again) => assert_eq!(
            strip_spans(&again),
            strip_spans(e),
            "{src:?} printed as {printed:?}"
        ),
        Err(err) => panic!("{src:?} printed as {printed:?}, which fails: {err:?}"),
    }
}

#[test]
fn round_trip_examples() {
    for src in [
        "client_major(UserAgent) >= 15 && exists(home)",
        "registrars[lower(RegistrarPool)].Version",
        "any(registrations.user[SipAddress], client_major(it.UserAgent) >= 15)",
        r#"SipAddress =~ "^sip:[^@\s]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$""#,
        r#"Version in [5, 6, "7",] || Role not in []"#,
        "!empty(`Display Name`) || Enabled == true",
        "not (a || b) and (c or d) && !(x == 1) && (!y) == false",
        "(a && b) && (c || d) || e && (f || g)",
        "(-1.5).x && 'raw\\d' != \"q\\\"\\n\\t\\r\"",
        "not not a in [1] && (a in [b]).c",
    ] {
        match parse(src) {
            Ok(e) => {
                check_spans(src, &e);
                assert_round_trip(src, &e);
            }
            Err(err) => panic!("{src:?}: {err:?}"),
        }
    }
}

#[test]
fn string_literals_round_trip() {
    let mut rng = Lcg(7);
    let alphabet = ["\\", "\"", "'", "n", "t", "r", "d", "é", "\n", "\t", " "];
    for _ in 0..2_000 {
        let len = rng.next() % 8;
        let text: String = (0..len).map(|_| rng.pick(&alphabet)).collect();
        let lit = Expr {
            kind: ExprKind::Str(text.clone()),
            span: 0..0,
        };
        let printed = lit.to_string();
        let again = parse(&printed).map(|e| strip_spans(&e));
        assert_eq!(again, Ok(lit), "{text:?} printed as {printed}");
    }
    let regex = parse(r#""^\d+\.[a-z]\\$""#).expect("parses");
    // Unknown escapes are printed bare; `\\$` needs no escape either.
    assert_eq!(regex.to_string(), r#""^\d+\.[a-z]\$""#);
}

#[test]
fn spans_cover_source() {
    let src = "(a || b) && f(x)[1].`y z`";
    let e = parse(src).expect("parses");
    assert_eq!(e.span, 0..src.len());
    let ExprKind::Binary(BinaryOp::And, l, r) = &e.kind else {
        panic!("not an and: {e:?}");
    };
    assert_eq!(l.span, 0..8);
    assert_eq!(r.span, 12..src.len());
    let ExprKind::Member(base, name) = &r.kind else {
        panic!("not a member: {r:?}");
    };
    assert_eq!(base.span, 12..19);
    assert_eq!(name.span, 20..src.len());
    assert_eq!(name.name, "y z");
}

#[test]
fn depth_limit_boundaries() {
    let ok_and_err = |build: &dyn Fn(usize) -> String| {
        let ok = build(MAX_DEPTH);
        assert!(parse(&ok).is_ok(), "{ok}");
        let err = parse_err(&build(MAX_DEPTH + 1));
        assert_eq!(
            err.message,
            "expression nested too deeply (more than 128 levels)"
        );
    };
    ok_and_err(&|n| format!("{}a{}", "(".repeat(n), ")".repeat(n)));
    ok_and_err(&|n| format!("{}a", "!".repeat(n)));
    ok_and_err(&|n| format!("{}a", "not ".repeat(n)));
    ok_and_err(&|n| format!("{}a{}", "f(".repeat(n), ")".repeat(n)));
    ok_and_err(&|n| format!("a{}", "[1]".repeat(n)));
    ok_and_err(&|n| format!("a{}", ".b".repeat(n)));
    ok_and_err(&|n| format!("{}a{}", "x in [".repeat(n), "]".repeat(n)));
    ok_and_err(&|n| {
        let (pairs, odd) = (n / 2, "!".repeat(n % 2));
        format!("{odd}{}a{}", "(!".repeat(pairs), ")".repeat(pairs))
    });
}

#[test]
fn million_open_parens_do_not_overflow() {
    on_default_stack(|| {
        let src = "(".repeat(1_000_000);
        let err = parse_err(&src);
        assert_eq!(
            err.message,
            "expression nested too deeply (more than 128 levels)"
        );
        assert_eq!(err.span, 128..129);
    });
}

#[test]
fn million_bangs_do_not_overflow() {
    on_default_stack(|| {
        let src = format!("{}a", "!".repeat(1_000_000));
        let err = parse_err(&src);
        assert_eq!(
            err.message,
            "expression nested too deeply (more than 128 levels)"
        );
        assert_eq!(err.span, 128..129);
    });
}

#[test]
fn one_megabyte_and_chain() {
    on_default_stack(|| {
        let operands = 1024 * 1024 / "a && ".len();
        let src = vec!["a"; operands].join(" && ");
        assert!(src.len() >= 1_000_000);
        let e = parse(&src).expect("flat chain parses");
        assert_eq!(e.span, 0..src.len());
        // Count the left spine without recursion.
        let mut count = 1;
        let mut cur = &e;
        while let ExprKind::Binary(BinaryOp::And, l, _) = &cur.kind {
            count += 1;
            cur = l;
        }
        assert_eq!(count, operands);
        // Display and strip_spans walk chains iteratively, too.
        assert_eq!(e.to_string(), src);
        let stripped = strip_spans(&e);
        assert_eq!(stripped.span, 0..0);
        let mixed = vec!["(a || b)"; operands / 4].join(" && ");
        let m = parse(&mixed).expect("mixed chain parses");
        assert_eq!(m.to_string(), mixed);
        // Dropping `e`, `stripped` and `m` must not recurse either.
    });
}

#[test]
fn non_ascii_input() {
    let e = parse("\"é\" == Nom").expect("parses");
    assert_eq!(e.span, 0..11);
    let ExprKind::Binary(BinaryOp::Eq, l, r) = &e.kind else {
        panic!("not ==: {e:?}");
    };
    assert_eq!(l.kind, ExprKind::Str("é".to_owned()));
    assert_eq!(l.span, 0..4);
    assert_eq!(r.span, 8..11);

    let err = parse_err("Nom == € && x");
    assert_eq!(err.message, "unexpected character `€`");
    assert_eq!(err.span, 7..10);

    let err = parse_err("Prénom == 1");
    assert_eq!(err.message, "unexpected character `é`");
    assert_eq!(err.span, 2..4);

    let e = parse("`Prénom €` == 'ü'").expect("quoted names take any text");
    assert_eq!(e.to_string(), "`Prénom €` == \"ü\"");

    let err = parse_err("\"€");
    assert_eq!(err.message, "unterminated string");
    assert_eq!(err.span, 0..4);
}

#[test]
fn errors_are_reported_in_source_order() {
    // A parse error before a lexical error wins ...
    assert_eq!(
        parse_err("a == && €").message,
        "expected an expression, found `&&`"
    );
    assert_eq!(
        parse_err("a == b == c €").message,
        "comparisons cannot be chained"
    );
    // ... but a lexical error explains a parse failure at the same place.
    assert_eq!(parse_err("(a €").message, "unexpected character `€`");
    assert_eq!(parse_err("a && =").message, "`=` is not an operator");
}

/// A tiny deterministic LCG.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items
            .get(self.next() % items.len().max(1))
            .copied()
            .unwrap_or("")
    }
}

const PIECES: &[&str] = &[
    "a", "b-c", "`x y`", "`", "``", "\"s\"", "\"\\\"", "\\", "'r'", "'", "\"", "1", "-2.5", "-",
    "(", ")", "[", "]", ",", ".", "!", "not", "in", "and", "or", "true", "&&", "||", "==", "!=",
    "<", "<=", ">", ">=", "=~", "!~", "=", "&", "|", "-eq", "-like", "é", "€", " ", "\n", "\t",
    "f(", "x.y", "~", "1.", "9e", "<>",
];

/// A random, mostly valid expression.
fn gen_expr(rng: &mut Lcg, depth: usize) -> String {
    let leaf = depth == 0 || rng.next().is_multiple_of(3);
    if leaf {
        return rng
            .pick(&[
                "a",
                "Role",
                "chat-rooms",
                "`Display Name`",
                "`é €`",
                "\"x\\\"y\\\\\"",
                "\"\\d+\\.é\"",
                "'raw\\'",
                "15",
                "-2.5",
                "0",
                "true",
                "false",
            ])
            .to_owned();
    }
    let d = depth - 1;
    match rng.next() % 10 {
        0 => format!("({})", gen_expr(rng, d)),
        1 => format!(
            "{} {} {}",
            gen_expr(rng, d),
            rng.pick(&["&&", "and"]),
            gen_expr(rng, d)
        ),
        2 => format!(
            "{} {} {}",
            gen_expr(rng, d),
            rng.pick(&["||", "or"]),
            gen_expr(rng, d)
        ),
        3 => format!("{}{}", rng.pick(&["!", "not ", "! "]), gen_expr(rng, d)),
        4 => format!(
            "{} {} {}",
            gen_expr(rng, d),
            rng.pick(&["==", "!=", "<", "<=", ">", ">=", "=~", "!~"]),
            gen_expr(rng, d)
        ),
        5 => format!(
            "{} {} [{}]",
            gen_expr(rng, d),
            rng.pick(&["in", "not in"]),
            gen_list(rng, d, 0)
        ),
        6 => format!(
            "{}({})",
            rng.pick(&["f", "lower", "any"]),
            gen_list(rng, d, 0)
        ),
        7 => format!(
            "{}.{}",
            gen_expr(rng, d),
            rng.pick(&["Version", "`a b`", "x-y"])
        ),
        8 => format!("{}[{}]", gen_expr(rng, d), gen_list(rng, d, 1)),
        _ => gen_expr(rng, d),
    }
}

fn gen_list(rng: &mut Lcg, depth: usize, min: usize) -> String {
    let n = min + rng.next() % 3;
    let items: Vec<String> = (0..n).map(|_| gen_expr(rng, depth)).collect();
    let trailing = if n > 0 && rng.next().is_multiple_of(4) {
        ","
    } else {
        ""
    };
    format!("{}{trailing}", items.join(", "))
}

/// Deterministic fuzzing: no panics, spans in bounds, round trips.
#[test]
fn generated_inputs_never_panic() {
    let mut rng = Lcg(0x2545_f491_4f6c_dd1d);
    let mut parsed = 0;
    for i in 0..20_000 {
        let src: String = match i % 4 {
            0 => {
                let len = rng.next() % 24;
                let bytes: Vec<u8> = (0..len).map(|_| (rng.next() % 256) as u8).collect();
                String::from_utf8_lossy(&bytes).into_owned()
            }
            1 => {
                let len = rng.next() % 24;
                (0..len).map(|_| rng.pick(PIECES)).collect()
            }
            2 => gen_expr(&mut rng, 5),
            _ => {
                // A valid expression with one piece inserted somewhere.
                let mut s = gen_expr(&mut rng, 5);
                let mut at = rng.next() % (s.len() + 1);
                while !s.is_char_boundary(at) {
                    at -= 1;
                }
                s.insert_str(at, rng.pick(PIECES));
                s
            }
        };
        match parse(&src) {
            Ok(e) => {
                parsed += 1;
                check_spans(&src, &e);
                assert_round_trip(&src, &e);
            }
            Err(err) => {
                assert_span_ok(&src, &err.span);
                assert!(!err.message.is_empty());
            }
        }
    }
    assert!(parsed > 3_000, "too few generated inputs parse: {parsed}");
}
