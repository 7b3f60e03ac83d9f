//! The **built-in functions**, in one table ([`FUNCTIONS`]): the compiler reads it for the
//! names, the number and kinds of arguments, the result type and the did-you-mean of an
//! unknown name; the evaluator dispatches on the [`Func`] it stores in a compiled
//! [`Node::Call`](super::Node::Call); `docs/rules-language.md` lists it ([`markdown_table`]).
//!
//! A **plain** function is evaluated from its argument values; the **special forms**
//! (`matches`, `if`, `coalesce` and the aggregates `any`, `all`, `count`, `find`, `first`)
//! are compiled to nodes of their own.
//!
//! To add a function: a [`Func`] variant, a row here, its case in `expr/eval/call.rs`, and
//! the regenerated table in `docs/rules-language.md`.

use super::Ty;
use Args::{Anything, Scalar, Special, Text, TextOrRows};
use Builtin::{Aggregate, Plain};

/// An aggregate over a set of rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AggOp {
    Any,
    All,
    Count,
    Find,
    First,
}

/// A plain function: what a [`Node::Call`](super::Node::Call) evaluates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Func {
    Exists,
    Empty,
    Lower,
    Upper,
    Trim,
    Len,
    StartsWith,
    EndsWith,
    Contains,
    StripPrefix,
    StripSuffix,
    Concat,
    Version,
    Num,
    ClientMajor,
    ClientVersion,
    ClientName,
    Target,
    TargetVersion,
    Retiring,
    EqCase,
    Left,
    After,
}

/// How a function is compiled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Builtin {
    /// Evaluated from its argument values.
    Plain(Func),
    /// Over a set of rows, with a condition read per row as `it`.
    Aggregate(AggOp),
    /// `matches(s, "re")`, the same as `s =~ "re"`.
    Matches,
    /// `if(c, a, b)`.
    If,
    /// `coalesce(a, b, …)`.
    Coalesce,
}

/// What the arguments of a plain function may be (a special form checks its own).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Args {
    /// Text, numbers or versions.
    Text,
    /// Text, numbers, versions or booleans.
    Scalar,
    /// Text, numbers, versions or a set of rows.
    TextOrRows,
    /// Any value, rows included.
    Anything,
    /// Checked by the special form.
    Special,
}

impl Args {
    /// Whether an argument may be a row or a set of rows.
    pub fn rows(self) -> bool {
        matches!(self, Args::TextOrRows | Args::Anything)
    }

    /// Whether an argument may be a boolean.
    pub fn booleans(self) -> bool {
        matches!(self, Args::Scalar | Args::Anything)
    }
}

/// One built-in function.
#[derive(Debug)]
pub struct Function {
    pub name: &'static str,
    pub id: Builtin,
    /// The fewest and most arguments (`usize::MAX`: any number).
    pub min: usize,
    pub max: usize,
    pub args: Args,
    /// The result type; `None` when it depends on the arguments (a row found, `if`'s branches).
    pub result: Option<Ty>,
    /// A call as the docs write it (`count(rows[, c])`).
    pub call: &'static str,
    /// What it gives, one line of Markdown. Functions documented together have the same text
    /// (the docs show them in one row).
    pub doc: &'static str,
}

const fn f(
    name: &'static str,
    id: Builtin,
    (min, max): (usize, usize),
    args: Args,
    result: Option<Ty>,
    call: &'static str,
    doc: &'static str,
) -> Function {
    Function {
        name,
        id,
        min,
        max,
        args,
        result,
        call,
        doc,
    }
}

const ANY_NUMBER: usize = usize::MAX;
const TESTS: &str = "see above";
const TEXT: &str = "text; `len` counts characters (or rows of a set)";
const CASE_TESTS: &str = "case-insensitive tests";
const STRIP: &str = "`s` without `p` (case-insensitive), else `s`";
const PARSE: &str = "a dotted version / a number, or missing";
const CLIENT: &str = "from a SIP user agent such as \
    `UCCAPI/15.0.4569.1503 OC/15.0.4569.1503 (Microsoft Lync)`: the major version of the `OC/` \
    token and its version (missing for agents without one: Lync Web App, mobile, UCWA), and \
    the product in parentheses";
const OVER_ROWS: &str = "over a set of rows; in `c`, bare names are the candidate row's \
    columns (`it`); the checked row is `this`";
const FIND: &str = "the first row matching `c` / the first row, or missing";
const TARGET: &str = "the run's migration target (`sfbse`) and the registrar `Version` of its \
    pools (6 Lync Server 2013, 7 SfB 2015, 8 SfB 2019 and Subscription Edition; missing for \
    `teams` and without a target)";

/// Every built-in function, in the order an unknown name's help lists them (one row each: a
/// table, kept unformatted).
#[rustfmt::skip]
pub const FUNCTIONS: &[Function] = &[
    f("exists", Plain(Func::Exists), (1, 1), Anything, Some(Ty::Bool), "exists(x)", TESTS),
    f("empty", Plain(Func::Empty), (1, 1), Anything, Some(Ty::Bool), "empty(x)", TESTS),
    f("lower", Plain(Func::Lower), (1, 1), Text, Some(Ty::Str), "lower(s)", TEXT),
    f("upper", Plain(Func::Upper), (1, 1), Text, Some(Ty::Str), "upper(s)", TEXT),
    f("trim", Plain(Func::Trim), (1, 1), Text, Some(Ty::Str), "trim(s)", TEXT),
    f("len", Plain(Func::Len), (1, 1), TextOrRows, Some(Ty::Num), "len(s)", TEXT),
    f("starts_with", Plain(Func::StartsWith), (2, 2), Text, Some(Ty::Bool), "starts_with(s, p)", CASE_TESTS),
    f("ends_with", Plain(Func::EndsWith), (2, 2), Text, Some(Ty::Bool), "ends_with(s, p)", CASE_TESTS),
    f("contains", Plain(Func::Contains), (2, 2), Text, Some(Ty::Bool), "contains(s, p)", CASE_TESTS),
    f("strip_prefix", Plain(Func::StripPrefix), (2, 2), Text, Some(Ty::Str), "strip_prefix(s, p)", STRIP),
    f("strip_suffix", Plain(Func::StripSuffix), (2, 2), Text, Some(Ty::Str), "strip_suffix(s, p)", STRIP),
    f("concat", Plain(Func::Concat), (1, ANY_NUMBER), Scalar, Some(Ty::Str), "concat(a, b, …)", "text; missing if any part is missing"),
    f("version", Plain(Func::Version), (1, 1), Text, Some(Ty::Ver), "version(s)", PARSE),
    f("num", Plain(Func::Num), (1, 1), Text, Some(Ty::Num), "num(s)", PARSE),
    f("client_major", Plain(Func::ClientMajor), (1, 1), Text, Some(Ty::Num), "client_major(ua)", CLIENT),
    f("client_version", Plain(Func::ClientVersion), (1, 1), Text, Some(Ty::Ver), "client_version(ua)", CLIENT),
    f("client_name", Plain(Func::ClientName), (1, 1), Text, Some(Ty::Str), "client_name(ua)", CLIENT),
    f("eq_case", Plain(Func::EqCase), (2, 2), Text, Some(Ty::Bool), "eq_case(a, b)", "case-sensitive equality"),
    f("left", Plain(Func::Left), (2, 2), Text, Some(Ty::Str), "left(s, n)", "the first `n` characters of `s` (all of it when shorter)"),
    f("after", Plain(Func::After), (2, 2), Text, Some(Ty::Str), "after(s, t)", "what follows the first `t` in `s` (case-insensitive), missing when `s` has none: `after(UserPrincipalName, \"@\")` is the UPN's domain"),
    f("matches", Builtin::Matches, (2, 2), Special, Some(Ty::Bool), "matches(s, \"re\")", "same as `s =~ \"re\"`"),
    f("if", Builtin::If, (3, 3), Special, None, "if(c, a, b)", "`a` when `c` holds, else `b`"),
    f("coalesce", Builtin::Coalesce, (1, ANY_NUMBER), Special, None, "coalesce(a, b, …)", "the first value that is neither missing, blank, nor an empty set of rows"),
    f("any", Aggregate(AggOp::Any), (2, 2), Special, Some(Ty::Bool), "any(rows, c)", OVER_ROWS),
    f("all", Aggregate(AggOp::All), (2, 2), Special, Some(Ty::Bool), "all(rows, c)", OVER_ROWS),
    f("count", Aggregate(AggOp::Count), (1, 2), Special, Some(Ty::Num), "count(rows[, c])", OVER_ROWS),
    f("find", Aggregate(AggOp::Find), (2, 2), Special, None, "find(rows, c)", FIND),
    f("first", Aggregate(AggOp::First), (1, 1), Special, None, "first(rows)", FIND),
    f("target", Plain(Func::Target), (0, 0), Text, Some(Ty::Str), "target()", TARGET),
    f("target_version", Plain(Func::TargetVersion), (0, 0), Text, Some(Ty::Num), "target_version()", TARGET),
    f("retiring", Plain(Func::Retiring), (1, 1), Text, Some(Ty::Bool), "retiring(pool)", "whether the pool (an FQDN or a `Registrar:`/`UserServer:` service identity) matches `--retiring-pools` (`decommission`: every pool)"),
];

/// The function called `name` (exactly: names are not case-folded).
pub fn find(name: &str) -> Option<&'static Function> {
    FUNCTIONS.iter().find(|f| f.name == name)
}

/// The names of the functions, in table order.
pub fn names() -> impl Iterator<Item = &'static str> {
    FUNCTIONS.iter().map(|f| f.name)
}

/// The function list of `docs/rules-language.md`: a Markdown table, one row per run of
/// functions sharing a doc line.
pub fn markdown_table() -> String {
    let mut out = String::from("| function | result |\n|---|---|\n");
    let mut rest = FUNCTIONS;
    while let Some(first) = rest.first() {
        let n = rest.iter().take_while(|f| f.doc == first.doc).count();
        let calls: Vec<String> = rest[..n].iter().map(|f| format!("`{}`", f.call)).collect();
        out.push_str(&format!("| {} | {} |\n", calls.join(", "), first.doc));
        rest = &rest[n..];
    }
    out
}

/// The table is the one list of functions: each name once, each [`Func`] once.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_function_is_listed_once() {
        for (i, f) in FUNCTIONS.iter().enumerate() {
            assert!(
                FUNCTIONS[i + 1..]
                    .iter()
                    .all(|g| g.name != f.name && g.id != f.id),
                "{} twice",
                f.name
            );
            assert!(f.min <= f.max, "{}", f.name);
            assert!(f.call.starts_with(&format!("{}(", f.name)), "{}", f.name);
        }
    }
    /// The help for an unknown function lists them in this order (as before the table).
    #[test]
    fn the_help_lists_functions_in_table_order() {
        let listed = names().collect::<Vec<_>>().join(", ");
        assert_eq!(
            listed,
            "exists, empty, lower, upper, trim, len, starts_with, ends_with, contains, \
             strip_prefix, strip_suffix, concat, version, num, client_major, client_version, \
             client_name, eq_case, left, after, matches, if, coalesce, any, all, count, find, \
             first, target, target_version, retiring"
        );
    }
}
