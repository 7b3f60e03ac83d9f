//! Resolving names: a bare name (`it`, `this`, a binding, a column, a table kind), a member
//! (`x.Column`) and an index (`kind[v]`, `kind.key[v]`, `map[v]`). An unknown one is an error
//! with the nearest known name.

use super::node::Node;

use super::{suggest, BindingState, Compiler, KindId, Ty};
use crate::expr::ast::{Expr, ExprKind, Ident, Span};

impl Compiler<'_> {
    pub(super) fn name(&mut self, ident: &Ident) -> Option<(Node, Ty, bool)> {
        let name = ident.name.as_str();
        if !ident.quoted {
            if let Some(found) = self.reserved_name(ident) {
                return found;
            }
            if let Some(index) = self.binding_index(name) {
                if matches!(self.binding_state[index], BindingState::InProgress) {
                    self.error(
                        &ident.span,
                        format!("binding `{name}` refers to itself"),
                        Some("a binding may use other bindings, but not in a cycle".into()),
                    );
                    return None;
                }
                let (ty, dep) = self.binding(index)?;
                return Some((Node::Binding(index), ty, dep));
            }
        }
        if let Some(found) = self.column_or_table(name) {
            return Some(found);
        }
        self.unknown_name(ident);
        None
    }

    /// `it`, `this`, `_` and `group_count` (unless a binding takes that name): `None` for
    /// another name, else what it compiles to (`Some(None)` when it is not defined here).
    fn reserved_name(&mut self, ident: &Ident) -> Option<Option<(Node, Ty, bool)>> {
        let name = ident.name.as_str();
        Some(match name {
            "it" => match self.its.last() {
                Some(&k) => Some((Node::It(self.its.len() - 1), Ty::Row(k), true)),
                None => {
                    self.error(
                        &ident.span,
                        "`it` is only defined inside any(), all(), count() and find()",
                        None,
                    );
                    None
                }
            },
            "this" => match self.this {
                Some(k) => Some((Node::This, Ty::Row(k), true)),
                None => {
                    self.error(&ident.span, "`this` needs a rule with a `table`", None);
                    None
                }
            },
            "_" if self.underscore => Some((Node::Underscore, Ty::Str, true)),
            "group_count" if self.binding_index(name).is_none() => {
                if self.group {
                    return Some(Some((Node::GroupCount, Ty::Num, true)));
                }
                self.error(
                    &ident.span,
                    "`group_count` is only defined in the messages of a rule with `group-by`",
                    None,
                );
                None
            }
            _ => return None,
        })
    }

    /// A column of the candidate row (inside an aggregate's condition), a column of the row
    /// being checked, or a table kind (all its rows).
    fn column_or_table(&mut self, name: &str) -> Option<(Node, Ty, bool)> {
        if let Some(&kind) = self.its.last() {
            if let Some(column) = self.schema.column(kind, name) {
                self.columns_used.insert((kind, column));
                let base = Node::It(self.its.len() - 1);
                return Some((
                    Node::Cell {
                        base: Box::new(base),
                        column,
                    },
                    Ty::Str,
                    true,
                ));
            }
        }
        if let Some(kind) = self.this {
            if let Some(column) = self.schema.column(kind, name) {
                self.columns_used.insert((kind, column));
                return Some((
                    Node::Cell {
                        base: Box::new(Node::This),
                        column,
                    },
                    Ty::Str,
                    true,
                ));
            }
        }
        let kind = self.schema.kind(name)?;
        self.kinds_used.insert(kind);
        Some((Node::AllRows(kind), Ty::Rows(kind), false))
    }

    /// The error for a name that is nothing known, with the nearest binding, column or table.
    fn unknown_name(&mut self, ident: &Ident) {
        let name = ident.name.as_str();
        let mut candidates: Vec<&str> = self
            .binding_exprs
            .iter()
            .map(|(n, _, _)| n.as_str())
            .collect();
        for kind in self.its.iter().copied().chain(self.this) {
            candidates.extend(self.schema.kinds[kind].columns.iter().map(String::as_str));
        }
        candidates.extend(self.schema.kinds.iter().map(|k| k.name.as_str()));
        let help = suggest(name, &candidates).map(|s| format!("did you mean `{s}`?"));
        let what = match self.this.or(self.its.last().copied()) {
            Some(k) => format!(
                "unknown name `{name}`: not a binding, nor a column of `{}`, nor a table",
                self.schema.kinds[k].name
            ),
            None => format!("unknown name `{name}`: not a binding nor a table"),
        };
        self.error(&ident.span, what, help);
    }

    pub(super) fn member(
        &mut self,
        base: &Expr,
        ident: &Ident,
        span: &Span,
    ) -> Option<(Node, Ty, bool)> {
        // `kind.key` is only meaningful as the base of an index: reported there.
        if let ExprKind::Name(b) = &base.kind {
            if let Some(kind) = self.schema.kind(&b.name) {
                if self.binding_index(&b.name).is_none()
                    && self.schema.kinds[kind]
                        .keys
                        .iter()
                        .any(|k| k.name.eq_ignore_ascii_case(&ident.name))
                {
                    self.error(
                        span,
                        format!(
                            "`{}.{}` is a key: look a value up with `{}.{}[value]`",
                            b.name, ident.name, b.name, ident.name
                        ),
                        None,
                    );
                    return None;
                }
            }
        }
        let (node, ty, dep) = self.expr(base)?;
        let Some(kind) = ty.kind() else {
            self.error(
                &ident.span,
                format!(
                    "`.{}` needs a row, but this is {}",
                    ident.name,
                    ty.describe(self.schema)
                ),
                None,
            );
            return None;
        };
        match self.schema.column(kind, &ident.name) {
            Some(column) => {
                self.columns_used.insert((kind, column));
                Some((
                    Node::Cell {
                        base: Box::new(node),
                        column,
                    },
                    Ty::Str,
                    dep,
                ))
            }
            None => {
                let cols: Vec<&str> = self.schema.kinds[kind]
                    .columns
                    .iter()
                    .map(String::as_str)
                    .collect();
                let help = suggest(&ident.name, &cols).map(|s| format!("did you mean `{s}`?"));
                self.error(
                    &ident.span,
                    format!(
                        "unknown column `{}` of table `{}`",
                        ident.name, self.schema.kinds[kind].name
                    ),
                    help,
                );
                None
            }
        }
    }

    pub(super) fn index(
        &mut self,
        base: &Expr,
        args: &[Expr],
        span: &Span,
    ) -> Option<(Node, Ty, bool)> {
        let not_indexable = "only a table (`kind[v]`, `kind.key[v]`) or a map can be indexed";
        let (kind, key) = match &base.kind {
            ExprKind::Name(b) if self.binding_index(&b.name).is_none() => {
                if let Some(map) = self.schema.map(&b.name) {
                    return self.map_get(map, b, args, span);
                }
                self.primary_key(b)?
            }
            ExprKind::Member(inner, key_ident) => match &inner.kind {
                ExprKind::Name(b)
                    if self.binding_index(&b.name).is_none()
                        && self.schema.kind(&b.name).is_some() =>
                {
                    self.named_key(b, key_ident)?
                }
                _ => {
                    self.error(&base.span, not_indexable, None);
                    return None;
                }
            },
            _ => {
                self.error(&base.span, not_indexable, None);
                return None;
            }
        };
        self.lookup(kind, key, args, span)
    }

    /// `map[v]`: the value map `map` (named by `b`) read with one value.
    fn map_get(
        &mut self,
        map: usize,
        b: &Ident,
        args: &[Expr],
        span: &Span,
    ) -> Option<(Node, Ty, bool)> {
        if args.len() != 1 {
            self.error(span, format!("map `{}` takes one value", b.name), None);
            return None;
        }
        let (node, ty, dep) = self.expr(&args[0])?;
        if !ty.scalar() {
            self.error(&args[0].span, "a map is read with a value, not a row", None);
            return None;
        }
        let node = Node::MapGet {
            map,
            arg: Box::new(node),
        };
        Some((node, Ty::Str, dep))
    }

    /// The kind named `b` and its primary key (key 0), for `kind[v]`.
    fn primary_key(&mut self, b: &Ident) -> Option<(KindId, usize)> {
        match self.schema.kind(&b.name) {
            Some(kind) if self.schema.kinds[kind].has_primary => Some((kind, 0)),
            Some(kind) => {
                let keys: Vec<String> = self.schema.kinds[kind]
                    .keys
                    .iter()
                    .map(|k| format!("`{}.{}[…]`", b.name, k.name))
                    .collect();
                self.error(
                    &b.span,
                    format!("table `{}` has no primary key", b.name),
                    (!keys.is_empty()).then(|| format!("use a named key: {}", keys.join(", "))),
                );
                None
            }
            None => {
                let mut names: Vec<&str> =
                    self.schema.kinds.iter().map(|k| k.name.as_str()).collect();
                names.extend(self.schema.maps.iter().map(|m| m.name.as_str()));
                let help = suggest(&b.name, &names).map(|s| format!("did you mean `{s}`?"));
                self.error(&b.span, format!("unknown table or map `{}`", b.name), help);
                None
            }
        }
    }

    /// The kind named `b` and its key named `key_ident`, for `kind.key[v]`.
    fn named_key(&mut self, b: &Ident, key_ident: &Ident) -> Option<(KindId, usize)> {
        let kind = self.schema.kind(&b.name)?;
        let keys = &self.schema.kinds[kind].keys;
        if let Some(key) = keys
            .iter()
            .position(|k| k.name.eq_ignore_ascii_case(&key_ident.name))
        {
            return Some((kind, key));
        }
        let keys: Vec<&str> = keys.iter().map(|k| k.name.as_str()).collect();
        let help = suggest(&key_ident.name, &keys)
            .map(|s| format!("did you mean `{s}`?"))
            .or_else(|| Some(format!("keys of `{}`: {}", b.name, keys.join(", "))));
        self.error(
            &key_ident.span,
            format!("table `{}` has no key `{}`", b.name, key_ident.name),
            help,
        );
        None
    }

    /// A lookup by key `key` of `kind` with the values `args` (one per column of the key, one
    /// for a multi-valued key).
    fn lookup(
        &mut self,
        kind: KindId,
        key: usize,
        args: &[Expr],
        span: &Span,
    ) -> Option<(Node, Ty, bool)> {
        let info = &self.schema.kinds[kind].keys[key];
        // A multi-valued key is looked up by one item, whatever number of columns it reads.
        let arity = if info.split.is_some() {
            1
        } else {
            info.columns.len()
        };
        if args.len() != arity {
            self.error(
                span,
                format!(
                    "key `{}` of `{}` has {arity} column{}, but {} value{} given",
                    self.schema.kinds[kind].keys[key].name,
                    self.schema.kinds[kind].name,
                    if arity == 1 { "" } else { "s" },
                    args.len(),
                    if args.len() == 1 { " is" } else { "s are" }
                ),
                None,
            );
            return None;
        }
        let mut nodes = Vec::with_capacity(args.len());
        let mut dep = false;
        for arg in args {
            let (node, ty, d) = self.expr(arg)?;
            if !ty.scalar() {
                self.error(
                    &arg.span,
                    format!(
                        "a key value must be a value, not {}",
                        ty.describe(self.schema)
                    ),
                    Some("take a column of it, e.g. `x.Name`".into()),
                );
                return None;
            }
            dep |= d;
            nodes.push(node);
        }
        self.kinds_used.insert(kind);
        self.lookups_used.insert((kind, key));
        Some((
            Node::Lookup {
                kind,
                key,
                args: nodes,
            },
            Ty::Rows(kind),
            dep,
        ))
    }
}
