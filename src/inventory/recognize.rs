//! Recognising a table: which declared kind a file is, from its content first.
//!
//! Order (the design's contract): the `#TYPE` line's .NET type name; then the header
//! signature, disambiguated by the declarations' `row-match` on the first data row and then by
//! the most specific signature; then the file-name globs. File names alone never override
//! content.

use globset::{Glob, GlobMatcher};
use regex::Regex;

use super::decl::TableDecl;
use super::head::Head;

/// How a kind was recognised, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecognisedBy {
    TypeName,
    Header,
    FileName,
    Override,
}

/// Declarations compiled for recognition.
pub struct Recognizer {
    decls: Vec<CompiledDecl>,
}

struct CompiledDecl {
    index: usize,
    row_match: Vec<(String, Regex)>,
    globs: Vec<GlobMatcher>,
}

impl Recognizer {
    /// Compile the globs and row-match regexes of `decls`. Invalid ones are returned as errors
    /// (declaration kind, message) and left out.
    pub fn new(decls: &[TableDecl]) -> (Recognizer, Vec<(String, String)>) {
        let mut errors = Vec::new();
        let compiled = decls
            .iter()
            .enumerate()
            .map(|(index, d)| CompiledDecl {
                index,
                row_match: d
                    .row_match
                    .iter()
                    .filter_map(|(col, re)| match Regex::new(re) {
                        Ok(r) => Some((col.clone(), r)),
                        Err(e) => {
                            errors.push((d.kind.clone(), format!("row-match `{col}`: {e}")));
                            None
                        }
                    })
                    .collect(),
                globs: d
                    .globs
                    .iter()
                    .filter_map(|g| match Glob::new(&g.to_ascii_lowercase()) {
                        Ok(g) => Some(g.compile_matcher()),
                        Err(e) => {
                            errors.push((d.kind.clone(), format!("glob `{g}`: {e}")));
                            None
                        }
                    })
                    .collect(),
            })
            .collect();
        (Recognizer { decls: compiled }, errors)
    }

    /// The index of the declaration `head` (of a file named `file_name`) is, if any.
    pub fn recognise(
        &self,
        decls: &[TableDecl],
        head: &Head,
        file_name: &str,
    ) -> Option<(usize, RecognisedBy)> {
        if let Some(type_name) = &head.type_name {
            let by_type: Vec<&CompiledDecl> = self
                .decls
                .iter()
                .filter(|c| decls[c.index].type_name_matches(type_name))
                .collect();
            if let Some(best) = self.best(decls, head, &by_type, file_name) {
                return Some((best, RecognisedBy::TypeName));
            }
        }
        let by_header: Vec<&CompiledDecl> = self
            .decls
            .iter()
            .filter(|c| decls[c.index].signature_matches(&head.header))
            .collect();
        if let Some(best) = self.best(decls, head, &by_header, file_name) {
            return Some((best, RecognisedBy::Header));
        }
        let name = file_name.to_ascii_lowercase();
        self.decls
            .iter()
            .find(|c| c.globs.iter().any(|g| g.is_match(&name)))
            .map(|c| (c.index, RecognisedBy::FileName))
    }

    /// Choose among candidates: row-match first, then the most specific signature, then the
    /// file-name globs, then declaration order.
    fn best(
        &self,
        decls: &[TableDecl],
        head: &Head,
        candidates: &[&CompiledDecl],
        file_name: &str,
    ) -> Option<usize> {
        if candidates.len() <= 1 {
            return candidates.first().map(|c| c.index);
        }
        let row_ok = |c: &CompiledDecl| -> Option<bool> {
            if c.row_match.is_empty() {
                return None;
            }
            let row = head.first_row.as_ref()?;
            Some(c.row_match.iter().all(|(col, re)| {
                decls[c.index]
                    .find_column(&head.header, col)
                    .and_then(|i| row.get(i))
                    .is_some_and(|v| re.is_match(v))
            }))
        };
        let name = file_name.to_ascii_lowercase();
        candidates
            .iter()
            .filter(|c| row_ok(c) != Some(false))
            .max_by_key(|c| {
                (
                    row_ok(c) == Some(true),
                    decls[c.index].signature.len() + decls[c.index].signature_any.len().min(1),
                    c.globs.iter().any(|g| g.is_match(&name)),
                    std::cmp::Reverse(c.index),
                )
            })
            .map(|c| c.index)
    }
}
