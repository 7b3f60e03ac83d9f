//! The rule **expression** language: text in a rule file (an **Expr**) compiled against the
//! real table headers into a **Program** ([`compile::Node`] trees) and evaluated per row.
//!
//! The grammar, the functions and the semantics of missing values are documented in
//! `docs/rules-language.md` (its function table generated from
//! [`compile::functions::FUNCTIONS`]); in short: comparisons of strings ignore case (as
//! PowerShell's `-eq` does), any comparison with a missing value is false, and `exists(x)`
//! tests for one.

pub mod ast;
pub mod compile;
pub mod eval;
pub mod lexer;
pub mod parser;
pub mod value;

pub use ast::{Expr, Span};
pub use compile::{CompileError, Compiler, Node, Schema, Ty};
pub use eval::{Ctx, Tables};
pub use parser::{parse, ParseError};
pub use value::{RowRef, Value};
