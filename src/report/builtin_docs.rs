//! Why and how to fix each built-in code of the reader (`CSV…`, `INV…`): what `explain`
//! prints and what the rule-describing formats (SARIF, Markdown, HTML) show, as for rules.

/// `(code, why, fix)` for every built-in code.
const DOCS: &[(&str, &str, &str)] = &[
    (
        "CSV001",
        "A row has more or fewer fields than the header: a value holds the delimiter without \
         quotes, the export was appended to with other columns, or the file was cut short (a \
         quote left open at the end). The cells of such a row cannot be matched to their \
         columns, so no rule reads it.",
        "Re-export the table with `Export-Csv -NoTypeInformation -Encoding UTF8` (it quotes \
         every value) instead of editing or concatenating CSV files by hand; copy the whole \
         file again if it was truncated.",
    ),
    (
        "CSV002",
        "A cell holds a .NET type name such as `System.Object[]`: a multi-valued property \
         (room members, pool services) was exported as is, so its values are lost.",
        "Join the values before exporting: `Select-Object *, @{n='Members';e={$_.Members -join \
         '; '}} -ExcludeProperty Members | Export-Csv …` (the README has the command per \
         table).",
    ),
    (
        "CSV003",
        "The text is not clean UTF-8: it was read as Windows-1252, letters were replaced by \
         `?` (Windows PowerShell's ASCII default), or it holds NUL bytes, malformed UTF-16 or \
         a byte-order mark in the middle (two exports concatenated). Names and addresses may \
         not match between tables.",
        "Re-export with `Export-Csv -NoTypeInformation -Encoding UTF8`, one command per file; \
         or declare the encoding of old exports in invlint.toml (`[[table]] encoding = \
         \"windows-1252\"`).",
    ),
    (
        "CSV004",
        "The file is not a CSV: `Format-Table` output piped to `Export-Csv` (columns named \
         `ClassId2e4f51ef…`), `Format-List` or `Out-File` text, or binary data. No row of it \
         can be read, so the rules that need this table do not see it.",
        "Export the objects themselves: `Get-CsUser | Select-Object … | Export-Csv users.csv \
         -NoTypeInformation -Encoding UTF8`, never through `Format-Table`, `Format-List` or \
         `Out-File`.",
    ),
    (
        "CSV005",
        "No table declaration recognises the file (by its `#TYPE` line, its header or its \
         name), so no rule reads it. Often a file that does not belong to the inventory, or an \
         export with renamed columns.",
        "Leave it out (`--exclude`), export the table with its usual columns, or force its \
         kind in invlint.toml: `[[table]] paths = [\"old-users.csv\"] kind = \"users\"`.",
    ),
    (
        "CSV006",
        "The file was recognised as a table but lacks a column its declaration requires: the \
         rules reading that column cannot check it.",
        "Add the column to the export's `Select-Object` (or export every property with \
         `Select-Object *`).",
    ),
    (
        "CSV007",
        "Two columns of the header have the same name (the comparison ignores case): a value \
         cannot be told apart from the other.",
        "Rename or drop one of the columns in the export's `Select-Object`.",
    ),
    (
        "CSV008",
        "A file or folder given or found could not be read (missing, no permission, a broken \
         link): the run did not see all the inventory, so it cannot be trusted (exit code 2).",
        "Check the path and the permissions, then run again.",
    ),
    (
        "CSV009",
        "The file is empty or has a header and no rows: the export may have failed, or the \
         command found nothing.",
        "Check the export command (and its filter) and run it again; delete the file if the \
         table is really empty.",
    ),
    (
        "INV001",
        "invlint failed while checking a file or a rule (a bug): what it covers was not \
         checked, so the run cannot be trusted (exit code 2).",
        "Please report it with the message; meanwhile `--ignore` the rule named in it.",
    ),
    (
        "INV002",
        "A suppression entry matches no finding of a rule that ran: the problem was fixed, or \
         the entry's key or code is wrong. Stale entries hide future findings.",
        "Delete the entry, or correct its `code` and `key` (`--strict-suppressions` makes this \
         an error).",
    ),
    (
        "CSV010",
        "The export carries something that is not the cmdlet's data: whole DataTable rows \
         (`RowError`, `RowState`, `ItemArray`…), implicit-remoting columns (`PSComputerName`, \
         `RunspaceId`), a string piped to Export-Csv (a lone `Length` column), or a header \
         repeated inside the file (exports appended to one another).",
        "Select the properties before exporting (`Select-Object … -ExcludeProperty \
         PSComputerName,RunspaceId,PSShowComputerName`), use `Out-File` for text, and export \
         into a new file each time (or `Export-Csv -Append` alone).",
    ),
    (
        "INV003",
        "One object (the same user, pool or phone, by its identity columns) is described by \
         rows of two exports with different values in a column rules read: the exports were \
         taken at different times or one was edited, and each rule reads the file it checks.",
        "Export the tables again at the same time, or remove the stale export from the folder.",
    ),
];

/// Why a built-in code fires and how to fix it.
pub fn builtin_doc(code: &str) -> Option<(&'static str, &'static str)> {
    DOCS.iter()
        .find(|(c, _, _)| c.eq_ignore_ascii_case(code))
        .map(|(_, why, fix)| (*why, *fix))
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_builtin_code_is_documented() {
        for (code, _, _) in crate::finding::builtin::ALL {
            assert!(super::builtin_doc(code).is_some(), "{code}");
        }
    }
}
