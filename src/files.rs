//! How invlint touches the file system when the files may be hostile (issue 16).
//!
//! - Only regular files are read. A FIFO, socket or device is reported without being opened
//!   for reading: files are opened non-blocking (a FIFO would otherwise block the open until
//!   a writer comes) and checked with `fstat` on the handle before the first byte is read.
//! - Files invlint reads whole (rule, configuration, suppressions and baseline files) are read
//!   up to a size cap ([`MAX_TEXT_FILE`]), with a clear error past it.
//! - A file's [`Stamp`] (device, inode, size, modification time) is taken when its head is
//!   read and compared whenever it is opened again and once it is read: a file rewritten,
//!   truncated or replaced meanwhile is an error, never a clean result.
//! - Outputs are written to a temporary file beside the target and renamed over it on
//!   success ([`write_atomic`]): an interrupted run never leaves a truncated file that looks
//!   complete, and writing never goes through a symbolic link at the target.

use std::fs::{File, Metadata};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

/// Rule, configuration, suppressions and baseline files larger than this are refused.
pub const MAX_TEXT_FILE: u64 = 64 << 20;

/// What changed files are told by: identity, size and modification time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    device: u64,
    inode: u64,
    len: u64,
    modified: Option<std::time::SystemTime>,
}

impl Stamp {
    pub fn of(meta: &Metadata) -> Stamp {
        let (device, inode) = identity(meta);
        Stamp {
            device,
            inode,
            len: meta.len(),
            modified: meta.modified().ok(),
        }
    }
}

#[cfg(unix)]
fn identity(meta: &Metadata) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    (meta.dev(), meta.ino())
}

#[cfg(not(unix))]
fn identity(_: &Metadata) -> (u64, u64) {
    (0, 0)
}

/// The error of a file that changed since its [`Stamp`] was taken.
pub fn changed_error() -> io::Error {
    io::Error::other("the file changed while it was being read; run again")
}

/// What a file that is not a regular file is, for messages (`None` for a regular file).
pub fn not_regular(file_type: std::fs::FileType) -> Option<&'static str> {
    if file_type.is_file() {
        return None;
    }
    if file_type.is_dir() {
        return Some("a folder");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return Some("a FIFO (named pipe)");
        }
        if file_type.is_socket() {
            return Some("a socket");
        }
        if file_type.is_char_device() {
            return Some("a character device");
        }
        if file_type.is_block_device() {
            return Some("a block device");
        }
    }
    Some("not a regular file")
}

fn not_regular_error(what: &str) -> io::Error {
    io::Error::other(format!("{what}, not a regular file: not read"))
}

/// Open `path` for reading if it is a regular file, without blocking on a FIFO, and return
/// it with its metadata (taken on the handle, so it describes what is read).
pub fn open_regular(path: &Path) -> io::Result<(File, Metadata)> {
    // Refuse what is known not to be a file before opening it at all (a FIFO is not even
    // opened), then check the handle: the path may have changed in between.
    let before = std::fs::metadata(path)?;
    if let Some(what) = not_regular(before.file_type()) {
        return Err(not_regular_error(what));
    }
    let file = open_nonblocking(path)?;
    let meta = file.metadata()?;
    if let Some(what) = not_regular(meta.file_type()) {
        return Err(not_regular_error(what));
    }
    Ok((file, meta))
}

#[cfg(unix)]
fn open_nonblocking(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    // O_NONBLOCK: opening a FIFO swapped in after the check returns at once instead of
    // waiting for a writer; reads of a regular file ignore the flag.
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
}

#[cfg(not(unix))]
fn open_nonblocking(path: &Path) -> io::Result<File> {
    File::open(path)
}

/// Read a whole text file of at most `cap` bytes; `what` names it in errors ("rule file").
pub fn read_text_capped(path: &Path, cap: u64, what: &str) -> Result<String, String> {
    let shown = path.display();
    let (file, meta) =
        open_regular(path).map_err(|e| format!("cannot read the {what} `{shown}`: {e}"))?;
    let too_big = || {
        format!(
            "the {what} `{shown}` is larger than {} MB: not read",
            cap >> 20
        )
    };
    if meta.len() > cap {
        return Err(too_big());
    }
    let mut bytes = Vec::new();
    file.take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read the {what} `{shown}`: {e}"))?;
    if bytes.len() as u64 > cap {
        return Err(too_big());
    }
    String::from_utf8(bytes).map_err(|_| format!("the {what} `{shown}` is not UTF-8"))
}

/// A reader of a regular file that, at its end, checks the file still is what `stamp` says,
/// and that it ended where the stamp's size says: modification times move by clock ticks of
/// a few milliseconds, so a file truncated and written again within one tick keeps its stamp,
/// but a read that met the truncated file ends early.
pub struct Guarded {
    file: File,
    path: PathBuf,
    stamp: Option<Stamp>,
    /// Byte offset of the next read.
    position: u64,
}

impl Guarded {
    /// Open `path`, checking it against `stamp` when one is given.
    pub fn open(path: &Path, stamp: Option<Stamp>) -> io::Result<Guarded> {
        let (file, meta) = open_regular(path)?;
        if stamp.is_some_and(|s| s != Stamp::of(&meta)) {
            return Err(changed_error());
        }
        Ok(Guarded {
            file,
            path: path.to_path_buf(),
            stamp,
            position: 0,
        })
    }

    /// Go to byte `offset`.
    pub fn seek_to(&mut self, offset: u64) -> io::Result<()> {
        use std::io::{Seek, SeekFrom};
        self.position = self.file.seek(SeekFrom::Start(offset))?;
        Ok(())
    }
}

impl Read for Guarded {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.file.read(buf)?;
        self.position += n as u64;
        if n == 0 && !buf.is_empty() {
            if let Some(stamp) = self.stamp {
                // At the end: where the stamp's size says, the handle's file was not written
                // to meanwhile, and the path still names it.
                let now = self.file.metadata()?;
                let named = std::fs::metadata(&self.path).ok().map(|m| Stamp::of(&m));
                if self.position != stamp.len || Stamp::of(&now) != stamp || named != Some(stamp) {
                    return Err(changed_error());
                }
            }
        }
        Ok(n)
    }
}

/// Whether `path` still names the file of `stamp`, unchanged.
pub fn check_unchanged(path: &Path, stamp: Stamp) -> io::Result<()> {
    match std::fs::metadata(path) {
        Ok(meta) if Stamp::of(&meta) == stamp => Ok(()),
        Ok(_) => Err(changed_error()),
        Err(e) => Err(e),
    }
}

/// The identity (device, inode) of the file `path` names, following symbolic links; `None`
/// when it does not exist or identities are not known on this platform.
pub fn file_identity(path: &Path) -> Option<(u64, u64)> {
    let meta = std::fs::metadata(path).ok()?;
    let id = identity(&meta);
    (id != (0, 0)).then_some(id)
}

/// The files a run read, by identity: an output must never be one of them, however its path
/// reaches it (another spelling, a symbolic or hard link).
#[derive(Debug, Default)]
pub struct InputSet {
    identities: std::collections::HashSet<(u64, u64)>,
}

impl InputSet {
    pub fn add(&mut self, path: &Path) {
        if let Some(id) = file_identity(path) {
            self.identities.insert(id);
        }
    }

    /// Whether writing `path` would overwrite (or write through a link into) an input.
    pub fn contains(&self, path: &Path) -> bool {
        file_identity(path).is_some_and(|id| self.identities.contains(&id))
    }
}

/// Write `path` through a temporary file beside it, renamed over it once `write` succeeded.
/// The temporary file is removed on failure.
pub fn write_atomic(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map_or_else(|| "output".into(), |n| n.to_string_lossy().into_owned());
    let temp = dir.join(format!(".{name}.invlint-{}.tmp", std::process::id()));
    let result = (|| {
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)?;
        let mut out = io::BufWriter::new(file);
        write(&mut out)?;
        let file = out.into_inner().map_err(io::IntoInnerError::into_error)?;
        file.sync_all()?;
        std::fs::rename(&temp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capped_reads_refuse_large_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rules.toml");
        std::fs::write(&path, "x".repeat(100)).unwrap();
        assert_eq!(
            read_text_capped(&path, 100, "rule file").unwrap().len(),
            100
        );
        let err = read_text_capped(&path, 99, "rule file").unwrap_err();
        assert!(err.contains("larger than"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pipe.toml");
        let status = std::process::Command::new("mkfifo")
            .arg(&path)
            .status()
            .unwrap();
        assert!(status.success());
        let err = read_text_capped(&path, 100, "rule file").unwrap_err();
        assert!(err.contains("FIFO"), "{err}");
    }

    #[test]
    fn a_file_changed_after_its_stamp_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.csv");
        std::fs::write(&path, "a,b\n1,2\n").unwrap();
        let stamp = Stamp::of(&std::fs::metadata(&path).unwrap());
        let mut text = String::new();
        Guarded::open(&path, Some(stamp))
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        let mut reader = Guarded::open(&path, Some(stamp)).unwrap();
        std::fs::write(&path, "a,b\n1,2\n3,4\n").unwrap();
        assert!(reader.read_to_string(&mut text).is_err());
        assert!(Guarded::open(&path, Some(stamp)).is_err());
        assert!(check_unchanged(&path, stamp).is_err());
    }

    #[test]
    fn atomic_write_leaves_the_old_file_on_failure() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out.json");
        write_atomic(&out, |w| w.write_all(b"one")).unwrap();
        assert_eq!(std::fs::read(&out).unwrap(), b"one");
        let failed = write_atomic(&out, |w| {
            w.write_all(b"partial")?;
            Err(io::Error::other("interrupted"))
        });
        assert!(failed.is_err());
        assert_eq!(std::fs::read(&out).unwrap(), b"one", "left as it was");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
