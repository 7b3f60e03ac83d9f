//! Where a file's bytes come from (a [`Source`]): a file on disk, pinned to the state it had
//! when its head was read, or bytes in memory.

use std::io::{self, Read};
use std::path::PathBuf;
use std::sync::Arc;

/// Where a file's bytes come from: disk, or memory (rule examples, tests).
#[derive(Debug, Clone)]
pub enum Source {
    /// A file, and its [`Stamp`](crate::files::Stamp) once its head was read: every later
    /// read checks the file has not changed since.
    File(PathBuf, Option<crate::files::Stamp>),
    Memory(Arc<[u8]>),
}

impl Source {
    /// Size in bytes (0 when it cannot be known).
    pub fn len(&self) -> u64 {
        match self {
            Source::File(path, _) => std::fs::metadata(path).map_or(0, |m| m.len()),
            Source::Memory(bytes) => bytes.len() as u64,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Take the file's stamp: later reads fail when the file differs from it.
    pub fn pin(&mut self) -> io::Result<()> {
        if let Source::File(path, stamp) = self {
            let (_, meta) = crate::files::open_regular(path)?;
            *stamp = Some(crate::files::Stamp::of(&meta));
        }
        Ok(())
    }

    /// Whether the file is still the one pinned (always true in memory).
    pub fn check_unchanged(&self) -> io::Result<()> {
        match self {
            Source::File(path, Some(stamp)) => crate::files::check_unchanged(path, *stamp),
            _ => Ok(()),
        }
    }

    pub fn open(&self) -> io::Result<Box<dyn Read + Send>> {
        Ok(match self {
            Source::File(path, stamp) => Box::new(crate::files::Guarded::open(path, *stamp)?),
            Source::Memory(bytes) => Box::new(io::Cursor::new(bytes.clone())),
        })
    }

    /// Open at byte `offset`.
    pub fn open_at(&self, offset: u64) -> io::Result<Box<dyn Read + Send>> {
        Ok(match self {
            Source::File(path, stamp) => {
                let mut file = crate::files::Guarded::open(path, *stamp)?;
                file.seek_to(offset)?;
                Box::new(file)
            }
            Source::Memory(bytes) => {
                let mut cursor = io::Cursor::new(bytes.clone());
                cursor.set_position(offset);
                Box::new(cursor)
            }
        })
    }
}
