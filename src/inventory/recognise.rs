//! Recognising a table: which declared kind a file is, from its content.
//!
//! Order (the design's contract): the `#TYPE` line's .NET type name; then the header
//! signature, the most specific signature winning; a file-name glob only breaks a tie between
//! kinds whose header already matches. A file whose content matches no declaration is not
//! recognised, whatever its name, and the same header always gives the same kind unless its
//! file name breaks a tie.

use globset::{Glob, GlobMatcher};

use super::decl::TableDecl;
use super::head::Head;

/// How a kind was recognised, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecognisedBy {
    TypeName,
    Header,
    Override,
}

/// Declarations compiled for recognition.
pub struct Recogniser {
    /// File-name globs of each declaration, in declaration order.
    globs: Vec<Vec<GlobMatcher>>,
}

impl Recogniser {
    /// Compile the globs of `decls`. Invalid ones are returned as errors (declaration kind,
    /// message) and left out.
    pub fn new(decls: &[TableDecl]) -> (Recogniser, Vec<(String, String)>) {
        let mut errors = Vec::new();
        let globs = decls
            .iter()
            .map(|d| {
                d.globs
                    .iter()
                    .filter_map(|g| match Glob::new(&g.to_ascii_lowercase()) {
                        Ok(g) => Some(g.compile_matcher()),
                        Err(e) => {
                            errors.push((d.kind.clone(), format!("glob `{g}`: {e}")));
                            None
                        }
                    })
                    .collect()
            })
            .collect();
        (Recogniser { globs }, errors)
    }

    /// The index of the declaration `head` (of a file named `file_name`) is, if any.
    pub fn recognise(
        &self,
        decls: &[TableDecl],
        head: &Head,
        file_name: &str,
    ) -> Option<(usize, RecognisedBy)> {
        if let Some(type_name) = &head.type_name {
            let by_type: Vec<usize> = (0..decls.len())
                .filter(|&i| decls[i].type_name_matches(type_name))
                .collect();
            // Of the kinds the type names: those whose signature the header has first
            // (`Selected.` exports keep the type name but not every column), the most specific
            // signature next (a plain `Get-CsService` export carries the first object's type,
            // `DisplayRegistrar`, over rows of every role: it is `services`), then the kind the
            // type names exactly rather than a family of types (`Display*`).
            let name = file_name.to_ascii_lowercase();
            // (Among kinds whose signature the header lacks, the exact one: its CSV006 names
            // the missing column.)
            let best = by_type.iter().copied().max_by_key(|&i| {
                let fits = decls[i].signature_matches(&head.header);
                (
                    fits,
                    if fits {
                        decls[i].signature.len() + decls[i].signature_any.len().min(1)
                    } else {
                        0
                    },
                    decls[i].type_name_is_exact(type_name),
                    self.globs[i].iter().any(|g| g.is_match(&name)),
                    std::cmp::Reverse(i),
                )
            });
            if let Some(best) = best {
                return Some((best, RecognisedBy::TypeName));
            }
        }
        let by_header: Vec<usize> = (0..decls.len())
            .filter(|&i| decls[i].signature_matches(&head.header))
            .collect();
        self.best(decls, &by_header, file_name)
            .map(|best| (best, RecognisedBy::Header))
    }

    /// Choose among candidates: the most specific signature, then the file-name globs, then
    /// declaration order.
    fn best(&self, decls: &[TableDecl], candidates: &[usize], file_name: &str) -> Option<usize> {
        let name = file_name.to_ascii_lowercase();
        candidates.iter().copied().max_by_key(|&i| {
            (
                decls[i].signature.len() + decls[i].signature_any.len().min(1),
                self.globs[i].iter().any(|g| g.is_match(&name)),
                std::cmp::Reverse(i),
            )
        })
    }
}
