//! **Extracts**: chosen columns of every table of one kind, read from an opened inventory.
//!
//! The engine keeps only the columns its rules read, so a reporter that needs other columns
//! (the HTML report's readiness needs each user's home pool and each pool's site, whatever
//! rules ran) asks for them by canonical name here. Cells the run already kept are used as
//! they are (a reporter declares its columns, `Reporter::columns`, and the check keeps them
//! while it reads the rows); a file lacking one of them is read again, that file only and
//! those columns only, with the dialect (encoding, delimiter, `#TYPE` line) found when the
//! inventory was opened.

use rayon::prelude::*;

use super::{table, Inventory, TableFile};
use crate::finding::FileId;

/// One row of an extract: where it comes from and its cells, in the order the columns were
/// asked for. A column the file does not have reads as an empty cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtractRow {
    pub file: FileId,
    /// 0-based data row; the record number of findings is `row + 1`.
    pub row: usize,
    pub cells: Vec<String>,
}

/// The rows of every table of a kind, in file order, and the files that could not be read
/// again (display path and reason).
#[derive(Debug, Clone, Default)]
pub struct Extract {
    pub rows: Vec<ExtractRow>,
    pub errors: Vec<(String, String)>,
}

impl Inventory {
    /// Columns `columns` (canonical names or their aliases) of every readable table of `kind`.
    pub fn extract(&self, kind: &str, columns: &[&str]) -> Extract {
        let wanted: Vec<(FileId, Option<Vec<usize>>)> =
            self.files_of(kind).map(|f| (f.id, None)).collect();
        self.extract_rows(&wanted, columns)
    }

    /// Columns `columns` of the given rows (sorted, 0-based; `None`: every row) of the given
    /// files, in the order given.
    pub fn extract_rows(
        &self,
        wanted: &[(FileId, Option<Vec<usize>>)],
        columns: &[&str],
    ) -> Extract {
        let parts: Vec<Result<Vec<ExtractRow>, (String, String)>> = wanted
            .par_iter()
            .filter_map(|(id, rows)| Some((self.files.get(*id)?, rows)))
            .map(|(file, rows)| {
                let mut all = self.extract_file(file, columns)?;
                if let Some(rows) = rows {
                    all.retain(|r| rows.binary_search(&r.row).is_ok());
                }
                Ok(all)
            })
            .collect();
        let mut out = Extract::default();
        for part in parts {
            match part {
                Ok(mut rows) => out.rows.append(&mut rows),
                Err(e) => out.errors.push(e),
            }
        }
        out
    }

    fn extract_file(
        &self,
        file: &TableFile,
        columns: &[&str],
    ) -> Result<Vec<ExtractRow>, (String, String)> {
        let (Some(head), Some(decl)) = (file.head.as_ref(), file.decl) else {
            return Ok(Vec::new());
        };
        let decl = &self.decls[decl];
        let fields: Vec<Option<usize>> = columns
            .iter()
            .map(|c| decl.find_column(&head.header, c))
            .collect();
        let kept = |rows: &table::Rows| {
            fields
                .iter()
                .flatten()
                .all(|&f| rows.columns.get(f).is_some_and(Option::is_some))
        };
        let reread;
        let rows = if kept(&file.rows) {
            &file.rows
        } else {
            let mut keep = vec![false; head.header.len()];
            for &f in fields.iter().flatten() {
                if let Some(k) = keep.get_mut(f) {
                    *k = true;
                }
            }
            crate::fault::inject("reread", super::file_name(&file.display));
            reread = table::read_rows(&file.source, head, &keep)
                .map_err(|e| (file.display.to_string(), e.to_string()))?;
            &reread
        };
        Ok((0..rows.count)
            .map(|row| ExtractRow {
                file: file.id,
                row,
                cells: fields
                    .iter()
                    .map(|f| f.and_then(|f| rows.cell(row, f)).unwrap_or("").to_string())
                    .collect(),
            })
            .collect())
    }
}
