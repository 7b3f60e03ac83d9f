//! **Export artefacts** (`CSV010`): PowerShell plumbing exported along with the data, named
//! for what it is and with the PowerShell that avoids it.
//!
//! Read from the header (`head_findings`): the properties of a .NET `DataRow` (a SQL query's
//! `DataTable` rows exported whole), the columns implicit remoting adds to every object, and
//! the lone `Length` column of strings piped to `Export-Csv`. Found while reading rows
//! (`repeated_header`): the header repeated inside the file, as appending exports one after
//! the other leaves it; those records are read as blank rows, not as data.

use super::TableFile;
use crate::finding::{builtin, Anchor, Finding};

/// The properties of `System.Data.DataRow` that `Export-Csv` writes when given rows whole.
const DATA_ROW: [&str; 5] = ["RowError", "RowState", "Table", "ItemArray", "HasErrors"];
/// Properties implicit remoting (`Import-PSSession`, a remote Lync or Teams session) adds.
const REMOTING: [&str; 3] = ["PSComputerName", "RunspaceId", "PSShowComputerName"];

/// Indices of the header names among `names`, in header order.
fn columns_named(header: &[String], names: &[&str]) -> Vec<usize> {
    header
        .iter()
        .enumerate()
        .filter(|(_, h)| names.iter().any(|n| n.eq_ignore_ascii_case(h.trim())))
        .map(|(i, _)| i)
        .collect()
}

fn quoted(header: &[String], fields: &[usize]) -> String {
    let names: Vec<&str> = fields
        .iter()
        .filter_map(|&i| header.get(i).map(|h| h.trim()))
        .collect();
    super::list(&names)
}

/// The `CSV010` findings the header of `file` shows, anchored at the header cell concerned.
pub(super) fn head_findings(file: &TableFile, header: &[String]) -> Vec<Finding> {
    let mut findings = Vec::new();
    let at = |field: usize| Anchor::Cell { record: 0, field };
    // Three of the five: a real table may well have a `Table` or `HasErrors` column of its own.
    let data_row = columns_named(header, &DATA_ROW);
    if data_row.len() >= 3 {
        findings.push(
            file.finding(
                builtin::EXPORT_ARTEFACT,
                format!(
                    "{} are the properties of a .NET DataRow: the rows of a DataTable (a SQL \
                     query's result) were exported whole, with their plumbing",
                    quoted(header, &data_row)
                ),
                at(data_row[0]),
            )
            .with_help(
                "pipe `$table | Select-Object <columns>`, or `$dt.Rows | Select-Object * \
                 -ExcludeProperty RowError,RowState,Table,ItemArray,HasErrors`, to Export-Csv",
            ),
        );
    }
    let remoting = columns_named(header, &REMOTING);
    if let Some(&first) = remoting.first() {
        findings.push(
            file.finding(
                builtin::EXPORT_ARTEFACT,
                format!(
                    "{} {} added by implicit remoting (a remote Lync or Teams session), not \
                     by the cmdlet",
                    quoted(header, &remoting),
                    if remoting.len() == 1 { "is" } else { "are" }
                ),
                at(first),
            )
            .with_help(
                "add `Select-Object * -ExcludeProperty PSComputerName,RunspaceId,\
                 PSShowComputerName` before Export-Csv",
            ),
        );
    }
    if let [only] = header {
        if only.trim().eq_ignore_ascii_case("Length") {
            findings.push(
                file.finding(
                    builtin::EXPORT_ARTEFACT,
                    "the only column is `Length`: strings were piped to Export-Csv, which \
                     writes the properties of objects, and a string's only property is its \
                     length; the text itself is lost"
                        .into(),
                    at(0),
                )
                .with_help(
                    "write text with Out-File or Set-Content, or Select-Object the \
                     properties of the objects before Export-Csv",
                ),
            );
        }
    }
    findings
}

/// `CSV010` at the first record that repeats the header, `count` such records in all.
pub(super) fn repeated_header(file: &TableFile, record: u64, count: u64) -> Finding {
    let times = if count > 1 {
        format!(" ({count} times in all)")
    } else {
        String::new()
    };
    file.finding(
        builtin::EXPORT_ARTEFACT,
        format!(
            "row {record} repeats the header{times}: exports were concatenated into one \
             file (`ConvertTo-Csv | Add-Content`, `>>`); such rows are read as blank rows, \
             not as data"
        ),
        Anchor::Record { record },
    )
    .with_help(
        "export into a new file each time, or append with `Export-Csv -Append` alone \
         (it writes no second header)",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::FileId;
    use crate::inventory::Source;
    use std::sync::Arc;

    fn file() -> TableFile {
        TableFile::new(0 as FileId, Source::Memory(Arc::from(&b""[..])), "f.csv")
    }

    fn header(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    fn messages(names: &[&str]) -> Vec<(String, Anchor)> {
        head_findings(&file(), &header(names))
            .into_iter()
            .map(|f| (f.message.to_string(), f.location.anchor))
            .collect()
    }

    #[test]
    fn data_rows_need_three_of_their_properties() {
        let found = messages(&[
            "Name",
            "rowerror",
            "RowState",
            "Table",
            "ItemArray",
            "HasErrors",
        ]);
        assert_eq!(found.len(), 1);
        assert!(found[0]
            .0
            .starts_with("`rowerror`, `RowState`, `Table`, `ItemArray` and"));
        assert_eq!(
            found[0].1,
            Anchor::Cell {
                record: 0,
                field: 1
            }
        );
        assert!(messages(&["Name", "Table", "HasErrors"]).is_empty());
    }

    #[test]
    fn remoting_columns_and_a_lone_length() {
        let found = messages(&["SipAddress", "RunspaceId", "PSComputerName"]);
        assert_eq!(found.len(), 1);
        assert!(found[0]
            .0
            .starts_with("`RunspaceId` and `PSComputerName` are added"));
        assert_eq!(
            found[0].1,
            Anchor::Cell {
                record: 0,
                field: 1
            }
        );
        assert_eq!(messages(&["Length"]).len(), 1);
        assert!(messages(&["Length", "Name"]).is_empty());
    }
}
