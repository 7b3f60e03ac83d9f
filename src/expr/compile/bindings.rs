//! Bindings (`let.NAME`): compiled once each, on first use, with a check that evaluating a
//! chain of them cannot overflow the stack; and whether a node reads the **outer row** (the
//! row being checked, or an enclosing aggregate's candidate) rather than only its own `it`.

use super::node::Node;

use super::{BindingState, Compiler, Ty, MAX_DEPTH};

impl Compiler<'_> {
    pub(super) fn binding(&mut self, index: usize) -> Option<(Ty, bool)> {
        match self.binding_state[index] {
            BindingState::Done(ty, dep) => Some((ty, dep)),
            BindingState::Failed => None,
            BindingState::InProgress => None,
            BindingState::Pending => {
                self.binding_state[index] = BindingState::InProgress;
                let (_, source, expr) = self.binding_exprs[index].clone();
                let saved_its = std::mem::take(&mut self.its);
                let saved_source = std::mem::replace(&mut self.source, source);
                let result = self.expr(&expr);
                self.source = saved_source;
                self.its = saved_its;
                let result = result.and_then(|(node, ty, dep)| {
                    // Evaluating reads the bindings it uses recursively: a chain of
                    // thousands of `let`s would overflow the stack at run time.
                    let height = self.height(&node);
                    if height > MAX_DEPTH {
                        let saved = std::mem::replace(&mut self.source, source);
                        self.error(
                            &expr.span,
                            format!(
                                "`let.{}` is nested too deeply with the bindings it reads \
                                 (more than {MAX_DEPTH} levels)",
                                self.binding_exprs[index].0
                            ),
                            Some("shorten the chain of bindings".into()),
                        );
                        self.source = saved;
                        return None;
                    }
                    self.binding_heights[index] = height;
                    Some((node, ty, dep))
                });
                match result {
                    Some((node, ty, dep)) => {
                        self.binding_nodes[index] = Some(node);
                        self.binding_state[index] = BindingState::Done(ty, dep);
                        Some((ty, dep))
                    }
                    None => {
                        self.binding_state[index] = BindingState::Failed;
                        None
                    }
                }
            }
        }
    }

    /// How deep evaluating `node` recurses, the bindings it reads included (their heights are
    /// known: a binding is compiled before any node that reads it).
    pub(super) fn height(&self, node: &Node) -> usize {
        let mut deepest = 0;
        let mut stack = vec![(node, 1usize)];
        while let Some((node, depth)) = stack.pop() {
            let below = match node {
                Node::Binding(i) => self.binding_heights.get(*i).copied().unwrap_or(0),
                _ => 0,
            };
            deepest = deepest.max(depth + below);
            node.each_child(&mut |child| stack.push((child, depth + 1)));
        }
        deepest
    }

    /// Whether a node (an aggregate condition) reads `this` or a row-dependent binding or an
    /// outer `it`, rather than only its own candidate row.
    pub(super) fn mentions_outer_row(&self, node: &Node) -> bool {
        self.mentions(node, self.its.len())
    }

    pub(super) fn mentions(&self, node: &Node, own_it: usize) -> bool {
        match node {
            Node::This | Node::GroupCount => true,
            Node::It(i) => *i < own_it,
            Node::Binding(i) => matches!(
                self.binding_state.get(*i),
                Some(BindingState::Done(_, true))
            ),
            Node::Const(_) | Node::Underscore | Node::AllRows(_) => false,
            Node::Cell { base, .. }
            | Node::Not(base)
            | Node::MapGet { arg: base, .. }
            | Node::Memo { inner: base, .. } => self.mentions(base, own_it),
            Node::Lookup { args, .. } | Node::Call { args, .. } | Node::Coalesce(args) => {
                args.iter().any(|a| self.mentions(a, own_it))
            }
            Node::And(a, b)
            | Node::Or(a, b)
            | Node::Cmp {
                left: a, right: b, ..
            } => self.mentions(a, own_it) || self.mentions(b, own_it),
            Node::Regex { value, .. } => self.mentions(value, own_it),
            Node::In { value, list, .. } => {
                self.mentions(value, own_it) || list.iter().any(|a| self.mentions(a, own_it))
            }
            Node::If(a, b, c) => {
                self.mentions(a, own_it) || self.mentions(b, own_it) || self.mentions(c, own_it)
            }
            Node::Aggregate { rows, cond, .. } => {
                self.mentions(rows, own_it)
                    || cond.as_ref().is_some_and(|c| self.mentions(c, own_it))
            }
        }
    }
}
