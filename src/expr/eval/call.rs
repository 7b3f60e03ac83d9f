//! Evaluating a call of a plain function ([`Func`]): the run's target, tests of a value, and
//! functions of the text of one or two arguments. Text comparisons ignore case.

use std::borrow::Cow;

use super::text::{cut, ends_ci, into_text, starts_ci, text_of};
use super::{Ctx, Tables};
use crate::expr::compile::{Func, Node};
use crate::expr::value::{self, Value, Version};

impl<'a, T: Tables> Ctx<'a, T> {
    /// A plain function, dispatched on its id (the table of functions is in
    /// [`crate::expr::compile::functions`]).
    pub(super) fn call(&mut self, func: Func, args: &'a [Node]) -> Value<'a> {
        let a = args.first().map_or(Value::Missing, |n| self.eval(n));
        match func {
            Func::Target => self
                .schema
                .run
                .target
                .map_or(Value::Missing, |t| Value::Str(Cow::Borrowed(t.name()))),
            Func::TargetVersion => self
                .schema
                .run
                .target
                .and_then(crate::target::Target::version)
                .map_or(Value::Missing, |v| Value::Num(f64::from(v))),
            Func::Retiring => {
                Value::Bool(text_of(&a).is_some_and(|s| self.schema.run.retiring.contains(&s)))
            }
            Func::Exists => Value::Bool(match &a {
                Value::Missing => false,
                Value::Rows(r) => !r.is_empty(),
                _ => true,
            }),
            Func::Empty => Value::Bool(match &a {
                Value::Missing => true,
                Value::Str(s) => value::trim(s).is_empty(),
                Value::Rows(r) => r.is_empty(),
                _ => false,
            }),
            Func::Concat => self.concat(args),
            Func::Len => match &a {
                Value::Rows(r) => Value::Num(r.len() as f64),
                v => text_of(v).map_or(Value::Missing, |s| Value::Num(s.chars().count() as f64)),
            },
            _ => match into_text(a) {
                Some(s) => self.of_text(func, s, args),
                None => Value::Missing,
            },
        }
    }

    /// `concat`: the arguments rendered one after the other, missing if one is.
    fn concat(&mut self, args: &'a [Node]) -> Value<'a> {
        let mut out = String::new();
        for node in args {
            let v = self.eval(node);
            if v.is_missing() {
                return Value::Missing;
            }
            v.render(&mut out);
        }
        Value::Str(Cow::Owned(out))
    }

    /// A function of the text `s` of its first argument (and of its second, read only now).
    fn of_text(&mut self, func: Func, s: Cow<'a, str>, args: &'a [Node]) -> Value<'a> {
        match func {
            Func::Lower => Value::Str(value::lower(s)),
            Func::Upper => Value::Str(Cow::Owned(s.to_uppercase())),
            Func::Trim => Value::Str(value::trim_cow(s)),
            Func::Version => Version::parse(&s).map_or(Value::Missing, Value::Ver),
            Func::Num => value::trim(&s).parse().map_or(Value::Missing, Value::Num),
            Func::ClientMajor => value::user_agent::version(&s)
                .map_or(Value::Missing, |v| Value::Num(v.major() as f64)),
            Func::ClientVersion => {
                value::user_agent::version(&s).map_or(Value::Missing, Value::Ver)
            }
            Func::ClientName => match value::user_agent::name(&s) {
                Some(n) => Value::Str(Cow::Owned(n.to_string())),
                None => Value::Missing,
            },
            _ => {
                let b = args.get(1).map_or(Value::Missing, |n| self.eval(n));
                match into_text(b) {
                    Some(t) => of_two_texts(func, s, t),
                    None => Value::Missing,
                }
            }
        }
    }
}

/// A function of two texts: `s`, the first argument's, and `t`, the second's.
fn of_two_texts<'a>(func: Func, s: Cow<'a, str>, t: Cow<'a, str>) -> Value<'a> {
    match func {
        Func::StartsWith => Value::Bool(
            value::find_ignore_case(&s, &t).is_some_and(|r| r.start == 0) && starts_ci(&s, &t),
        ),
        Func::EndsWith => Value::Bool(ends_ci(&s, &t)),
        Func::Contains => Value::Bool(value::find_ignore_case(&s, &t).is_some()),
        Func::EqCase => Value::Bool(s == t),
        // What follows the first `t` (case ignored), missing without one.
        Func::After => match value::find_ignore_case(&s, &t) {
            Some(r) => Value::Str(cut(s, r.end, None)),
            None => Value::Missing,
        },
        // The first `n` characters (all of `s` when shorter).
        Func::Left => match t.trim().parse::<f64>() {
            Ok(n) if n >= 0.0 => match s.char_indices().nth(n as usize) {
                Some((end, _)) => Value::Str(cut(s, 0, Some(end))),
                None => Value::Str(s),
            },
            _ => Value::Missing,
        },
        Func::StripPrefix => Value::Str(if starts_ci(&s, &t) {
            cut(s, t.len(), None)
        } else {
            s
        }),
        Func::StripSuffix => Value::Str(if ends_ci(&s, &t) {
            let end = s.len() - t.len();
            cut(s, 0, Some(end))
        } else {
            s
        }),
        _ => Value::Missing,
    }
}
