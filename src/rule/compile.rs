//! **Compiling** a rule: binding its parsed expressions to the [`Schema`] of a run, one
//! [`Program`] per table kind the rule checks.

use crate::expr::ast::Expr;
use crate::expr::compile::{Compiler, KindId, Node, Schema};

use super::model::{CompiledMessage, CompiledRule, Program, Rule, Shape, TemplatePart};
use crate::finding::{Piece, Template};
use crate::located::LocatedError;
use crate::located::SourceText;

impl Rule {
    /// Compile for `schema`. Errors carry spans in the rule file.
    pub fn compile(&self, schema: &Schema) -> Result<CompiledRule, Vec<LocatedError>> {
        let kinds: Vec<Option<String>> = match &self.shape {
            Shape::Rows(k) => vec![Some(k.clone())],
            Shape::Unique(ks) => ks.iter().cloned().map(Some).collect(),
            Shape::Whole => vec![None],
        };
        let mut errors = Vec::new();
        for name in &self.optional_tables {
            if schema.kind(name).is_none() {
                errors.push(LocatedError::at_value(
                    &self.source,
                    table_span(&self.source, name),
                    format!("unknown table `{name}` in `optional-tables`"),
                    None,
                ));
            }
        }
        let mut programs = Vec::new();
        for kind_name in kinds {
            let this = match &kind_name {
                Some(name) => match schema.kind(name) {
                    Some(k) => Some(k),
                    None => {
                        let names: Vec<&str> =
                            schema.kinds.iter().map(|k| k.name.as_str()).collect();
                        let help = crate::expr::compile::suggest(name, &names)
                            .map(|s| format!("did you mean `{s}`?"))
                            .or_else(|| Some(format!("declared tables: {}", names.join(", "))));
                        errors.push(LocatedError::at_value(
                            &self.source,
                            table_span(&self.source, name),
                            format!("unknown table `{name}`"),
                            help,
                        ));
                        continue;
                    }
                },
                None => None,
            };
            match self.compile_for(schema, this) {
                Ok(p) => programs.push(p),
                Err(mut e) => errors.append(&mut e),
            }
        }
        if errors.is_empty() {
            Ok(CompiledRule {
                rule: self.clone(),
                programs,
            })
        } else {
            Err(errors)
        }
    }

    /// The rule's expressions compiled for the kind `this` (`None`: the whole inventory).
    /// The order of the steps is the order the compiler numbers its cache slots in.
    fn compile_for(
        &self,
        schema: &Schema,
        this: Option<KindId>,
    ) -> Result<Program, Vec<LocatedError>> {
        let binding_exprs: Vec<(String, usize, Expr)> = self
            .bindings
            .iter()
            .filter_map(|(n, i)| Some((n.clone(), *i, self.exprs[*i].expr.clone()?)))
            .collect();
        let mut c = Compiler::new(schema, this, binding_exprs);
        let where_ = self
            .where_
            .and_then(|i| c.condition(i, self.expr(i)?))
            .map(|x| x.node);
        let assert = self
            .assert
            .and_then(|i| c.condition(i, self.expr(i)?))
            .map(|x| x.node);
        let unique = self.unique.and_then(|i| self.unique_value(&mut c, i));
        let essential = self.essential_columns(&mut c, schema, this);
        let group_by = self.group_by.and_then(|i| self.group_value(&mut c, i));
        let at = self.at.and_then(|i| self.cell(&mut c, i));
        if this.is_none() && self.at.is_none() {
            c.errors.push(crate::expr::CompileError {
                source: self.assert.unwrap_or(0),
                span: 0..0,
                message: "a rule without `table` needs `at`: the cell to report".into(),
                help: None,
            });
        }
        c.group = self.group_by.is_some();
        let message = self.parts(&mut c, &self.message);
        let related = self
            .related
            .iter()
            .filter_map(|(at, msg)| {
                let node = self.cell(&mut c, *at)?;
                Some((node, self.parts(&mut c, msg)))
            })
            .collect();
        c.group = false;
        let mut bindings = c.finish_bindings();
        if !c.errors.is_empty() {
            return Err(self.errors_of(&c));
        }
        let (mut where_, mut assert) = (where_, assert);
        let conditions: Vec<&mut Node> = where_.iter_mut().chain(assert.iter_mut()).collect();
        crate::expr::compile::memo::memoise(&mut bindings, conditions);
        let mut kinds_used: Vec<KindId> = c.kinds_used.iter().copied().chain(this).collect();
        kinds_used.sort_unstable();
        kinds_used.dedup();
        Ok(Program {
            this,
            bindings,
            cache_slots: c.cache_slots,
            where_,
            assert,
            unique,
            group_by,
            at,
            message,
            related,
            kinds_used,
            columns_used: c.columns_used.iter().copied().collect(),
            essential_columns: essential,
            lookups_used: c.lookups_used.iter().copied().collect(),
        })
    }

    /// Expression number `i`, when it parsed.
    fn expr(&self, i: usize) -> Option<&Expr> {
        self.exprs[i].expr.as_ref()
    }

    /// The `unique` expression: a value (text or number).
    fn unique_value(&self, c: &mut Compiler<'_>, i: usize) -> Option<Node> {
        let compiled = c.compile(i, self.expr(i)?)?;
        if !matches!(
            compiled.ty,
            crate::expr::Ty::Str | crate::expr::Ty::Num | crate::expr::Ty::Ver
        ) {
            c.errors.push(crate::expr::CompileError {
                source: i,
                span: self.expr(i)?.span.clone(),
                message: "`unique` needs a value (text or number)".into(),
                help: None,
            });
        }
        Some(compiled.node)
    }

    /// Columns the rule cannot judge a row without: those read so far (`where`, `assert`,
    /// `unique` and their bindings) less `optional-columns`. The rest (messages, related
    /// cells, the primary cell) are optional: a file lacking them still gets checked.
    fn essential_columns(
        &self,
        c: &mut Compiler<'_>,
        schema: &Schema,
        this: Option<KindId>,
    ) -> Vec<(KindId, usize)> {
        let mut essential: Vec<(KindId, usize)> = c.columns_used.iter().copied().collect();
        if let Some(kind) = this {
            for name in &self.optional_columns {
                match schema.column(kind, name) {
                    Some(column) => essential.retain(|&e| e != (kind, column)),
                    None => c.errors.push(crate::expr::CompileError {
                        source: self.assert.unwrap_or(0),
                        span: 0..0,
                        message: format!(
                            "`optional-columns` names `{name}`, not a column of `{}`",
                            schema.kinds[kind].name
                        ),
                        help: None,
                    }),
                }
            }
        }
        essential
    }

    /// The `group-by` expression: a value, not rows.
    fn group_value(&self, c: &mut Compiler<'_>, i: usize) -> Option<Node> {
        self.value(
            c,
            i,
            "`group-by` needs a value (text or number), not rows",
            Some("name a column: `home.PoolFqdn`"),
        )
    }

    /// Expression `i` compiled, with the error `message` (and `help`) when it gives rows
    /// instead of a value.
    fn value(
        &self,
        c: &mut Compiler<'_>,
        i: usize,
        message: &str,
        help: Option<&str>,
    ) -> Option<Node> {
        let compiled = c.compile(i, self.expr(i)?)?;
        if matches!(
            compiled.ty,
            crate::expr::Ty::Row(_) | crate::expr::Ty::Rows(_)
        ) {
            c.errors.push(crate::expr::CompileError {
                source: i,
                span: self.expr(i)?.span.clone(),
                message: message.into(),
                help: help.map(Into::into),
            });
        }
        Some(compiled.node)
    }

    /// Expression `i` as a cell (`at`, `related.at`).
    fn cell(&self, c: &mut Compiler<'_>, i: usize) -> Option<Node> {
        let e = self.expr(i)?;
        let compiled = c.compile(i, e)?;
        if matches!(compiled.node, Node::Cell { .. }) {
            Some(compiled.node)
        } else {
            c.errors.push(crate::expr::CompileError {
                source: i,
                span: e.span.clone(),
                message: "this must name a cell: a column (`RegistrarPool`) or a column of a \
                          looked-up row (`home.Version`)"
                    .into(),
                help: None,
            });
            None
        }
    }

    /// A message template compiled: its placeholders must show values, not rows.
    fn parts(&self, c: &mut Compiler<'_>, segs: &[TemplatePart]) -> CompiledMessage {
        let mut pieces = Vec::with_capacity(segs.len());
        let mut values = Vec::new();
        for seg in segs {
            match seg {
                TemplatePart::Text(t) => pieces.push(Piece::Text(t.as_str().into())),
                TemplatePart::Expr(i) => {
                    if let Some(node) = self.value(
                        c,
                        *i,
                        "a message shows values, not rows: name a column",
                        None,
                    ) {
                        pieces.push(Piece::Hole);
                        values.push(node);
                    }
                }
            }
        }
        CompiledMessage {
            template: Template::new(pieces),
            values,
        }
    }

    /// The compiler's errors, with spans in the rule file.
    fn errors_of(&self, c: &Compiler<'_>) -> Vec<LocatedError> {
        c.errors
            .iter()
            .map(|e| {
                self.exprs[e.source].error(
                    &self.source,
                    e.span.clone(),
                    e.message.clone(),
                    e.help.clone(),
                )
            })
            .collect()
    }
}

/// The span of `table = "name"` (or the name inside `tables`) in a rule file.
fn table_span(source: &SourceText, name: &str) -> std::ops::Range<usize> {
    let quoted = [format!("\"{name}\""), format!("'{name}'")];
    quoted
        .iter()
        .find_map(|q| source.text.find(q.as_str()).map(|i| i..i + q.len()))
        .unwrap_or(0..0)
}
