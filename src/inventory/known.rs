//! **Known shapes**: exports of cmdlets that invlint recognises but does not read yet.
//!
//! A CSV that matches no table declaration is `CSV005` at info: it may be anything (an AD
//! dump, a script's input list). When its header (or `#TYPE` line) is the output of a cmdlet
//! declared as a `[[known]]` shape in a pack's `tables.toml` (voice policies, dial plans…), the
//! admin exported something invlint could check and does not: the finding is raised to warning
//! and names the cmdlet, so that the gap in coverage is seen rather than buried among infos.

use super::decl::KnownDecl;
use super::Inventory;
use crate::finding::{builtin, Finding, Severity};

/// Raise the `CSV005` findings of files whose head is a known cmdlet's output to warning, with
/// a message naming the cmdlet. Other findings are left as they are.
pub fn raise_known(inventory: &Inventory, known: &[KnownDecl], findings: &mut [Finding]) {
    if known.is_empty() {
        return;
    }
    for finding in findings
        .iter_mut()
        .filter(|f| &*f.code == builtin::UNRECOGNISED.0)
    {
        let Some(file) = inventory.files.get(finding.location.file_id) else {
            continue;
        };
        let Some(head) = file.head.as_ref().filter(|_| file.kind.is_none()) else {
            continue;
        };
        let Some(shape) = known
            .iter()
            .find(|k| k.matches(head.type_name.as_deref(), &head.header))
        else {
            continue;
        };
        finding.severity = Severity::Warning;
        finding.message = format!(
            "`{}` output ({}): invlint recognises it but no table declaration reads it yet, so \
             no rule checks its {} columns",
            shape.cmdlet,
            shape.title,
            head.header.len()
        )
        .into();
        finding.help = Some(
            "nothing in this file was checked; ignore CSV005 for it (`[[per-path]]` in \
             invlint.toml), or declare the table and its rules in a rule pack"
                .into(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(signature: &[&str], type_names: &[&str]) -> KnownDecl {
        KnownDecl {
            title: "voice policies".into(),
            cmdlet: "Get-CsVoicePolicy".into(),
            type_names: type_names.iter().map(|s| s.to_string()).collect(),
            signature: signature.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn header(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_shape_matches_by_header_case_insensitively_or_by_type_name() {
        let k = shape(
            &["Identity", "PstnUsages"],
            &["Microsoft.Rtc.X.VoicePolicy"],
        );
        assert!(k.matches(None, &header(&["identity", " PSTNUSAGES ", "Description"])));
        assert!(!k.matches(None, &header(&["Identity", "Description"])));
        assert!(k.matches(
            Some("Deserialized.Selected.Microsoft.Rtc.X.VoicePolicy"),
            &header(&["A"])
        ));
        assert!(!k.matches(Some("Microsoft.Rtc.X.Other"), &header(&["A"])));
        // An empty signature never matches by header.
        assert!(!shape(&[], &[]).matches(None, &header(&["Identity"])));
    }
}
