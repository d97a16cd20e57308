//! Reading a story directory's files: which files are chapters, symlinks
//! that stay inside the directory, regular files only, each opened once and
//! checked as opened, bounded reads; and the parallel map the parser runs on.
//!
//! Reading is two steps, so that the window between them can be tested: a
//! walk (`walk`) lists the chapter files with the file each name was when it
//! was seen (its device and inode), then `Walk::read` opens each once,
//! without following a symlink and without blocking, and reads it only if
//! the file opened is a regular file and the same one the walk saw. A file
//! swapped in between (for a symlink out of the directory, or a FIFO) is
//! refused, not read.

use std::path::{Path, PathBuf};

use crate::story::code::Code;
use crate::story::diagnostic::Diagnostic;
use crate::story::source::display_name;

/// Story files larger than this are refused.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// Chapters may live this many directories below the story directory; the
/// files of a deeper one are not read (E041).
pub const MAX_DEPTH: usize = 16;

/// One input file: its path relative to the story directory, the name shown
/// in diagnostics, and its text.
#[derive(Clone)]
pub struct InputFile {
    pub rel: String,
    pub name: String,
    pub text: String,
}

/// The chapter files of a story directory, as the walk found them, not yet
/// opened.
pub struct Walk {
    dir: PathBuf,
    files: Vec<Found>,
    diagnostics: Vec<Diagnostic>,
}

/// A file the walk found: the path it was found at (its name), the path to
/// open (the same, or a symlink's resolved target inside the directory),
/// and which file that was.
struct Found {
    path: PathBuf,
    open: PathBuf,
    identity: Option<Identity>,
}

/// A file's device and inode: what makes two opens the same file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Identity {
    device: u64,
    inode: u64,
}

/// Reads every `.ron` file under `dir`: the files, and a diagnostic for
/// each file that could not be read. `Err` when the directory itself cannot
/// be read.
pub fn read_story_dir(dir: &Path) -> Result<(Vec<InputFile>, Vec<Diagnostic>), Vec<Diagnostic>> {
    Ok(walk(dir)?.read())
}

/// Lists the chapter files under `dir` (see the module's comment).
pub fn walk(dir: &Path) -> Result<Walk, Vec<Diagnostic>> {
    let cannot = |e: std::io::Error| {
        vec![Diagnostic::error(
            Code::E004,
            format!("cannot read story directory `{}`: {e}", dir.display()),
        )]
    };
    let root = dir.canonicalize().map_err(cannot)?;
    let mut walker = Walker {
        root: &root,
        shown: dir,
        files: Vec::new(),
        diagnostics: Vec::new(),
        seen: std::collections::HashSet::from([root.clone()]),
    };
    walker.directory(dir, 0).map_err(cannot)?;
    let Walker {
        mut files,
        diagnostics,
        ..
    } = walker;
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(Walk {
        dir: dir.to_path_buf(),
        files,
        diagnostics,
    })
}

impl Walk {
    /// Opens and reads each file the walk found, once: the texts, and a
    /// diagnostic for each file refused (E037) or directory too deep (E041).
    pub fn read(self) -> (Vec<InputFile>, Vec<Diagnostic>) {
        let mut files = Vec::with_capacity(self.files.len());
        let mut diagnostics = self.diagnostics;
        for found in self.files {
            let name = display_name(&self.dir, &found.path);
            match read_checked(&found) {
                Ok(bytes) => match String::from_utf8(bytes) {
                    Ok(text) => {
                        let rel = found
                            .path
                            .strip_prefix(&self.dir)
                            .unwrap_or(&found.path)
                            .to_string_lossy()
                            .replace('\\', "/");
                        files.push(InputFile { rel, name, text });
                    }
                    Err(e) => diagnostics.push(Diagnostic::error(
                        Code::E037,
                        format!(
                            "`{name}` is not valid UTF-8 (invalid byte at offset {})",
                            e.utf8_error().valid_up_to()
                        ),
                    )),
                },
                Err(refused) => diagnostics.push(Diagnostic::error(
                    Code::E037,
                    match refused {
                        Refused::TooLarge => format!(
                            "`{name}` is larger than {} MiB",
                            MAX_FILE_BYTES / (1024 * 1024)
                        ),
                        Refused::NotRegular => format!("`{name}` is not a regular file"),
                        Refused::Changed => format!(
                            "`{name}` changed while the story was read (it is now another file)"
                        ),
                        Refused::Io(e) => format!("cannot read `{name}`: {e}"),
                    },
                )),
            }
        }
        (files, diagnostics)
    }
}

/// Why a file the walk found was not read.
enum Refused {
    TooLarge,
    NotRegular,
    /// The file opened is not the one the walk saw.
    Changed,
    Io(std::io::Error),
}

/// Opens `found` once, checks what was opened, and reads at most one byte
/// more than `MAX_FILE_BYTES`, whatever the file claims its size is.
fn read_checked(found: &Found) -> Result<Vec<u8>, Refused> {
    use std::io::Read as _;
    let file = open_once(&found.open).map_err(|e| {
        if is_symlink_refusal(&e) {
            Refused::Changed
        } else {
            Refused::Io(e)
        }
    })?;
    let meta = file.metadata().map_err(Refused::Io)?;
    if found.identity.is_some() && found.identity != identity(&meta) {
        return Err(Refused::Changed);
    }
    // A FIFO or a device would block or never end: only regular files are
    // read.
    if !meta.is_file() {
        return Err(Refused::NotRegular);
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(Refused::TooLarge);
    }
    // Room for what the file claims to hold, so that reading it does not
    // grow (and double) the buffer.
    let mut bytes = Vec::with_capacity(meta.len() as usize + 1);
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(Refused::Io)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        // It grew after its size was checked.
        return Err(Refused::TooLarge);
    }
    Ok(bytes)
}

/// Opens a file for reading without following a symlink in its last
/// component and without blocking (a FIFO opens at once, then fails the
/// regular-file check).
#[cfg(unix)]
fn open_once(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt as _;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
}

#[cfg(not(unix))]
fn open_once(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::File::open(path)
}

/// The error `O_NOFOLLOW` gives for a symlink.
#[cfg(unix)]
fn is_symlink_refusal(e: &std::io::Error) -> bool {
    e.raw_os_error() == Some(libc::ELOOP)
}

#[cfg(not(unix))]
fn is_symlink_refusal(_: &std::io::Error) -> bool {
    false
}

#[cfg(unix)]
fn identity(meta: &std::fs::Metadata) -> Option<Identity> {
    use std::os::unix::fs::MetadataExt as _;
    Some(Identity {
        device: meta.dev(),
        inode: meta.ino(),
    })
}

#[cfg(not(unix))]
fn identity(_: &std::fs::Metadata) -> Option<Identity> {
    None
}

/// The walk over a story directory.
struct Walker<'a> {
    /// The story directory, resolved: nothing outside it is read.
    root: &'a Path,
    /// The story directory as given, for names in diagnostics.
    shown: &'a Path,
    files: Vec<Found>,
    diagnostics: Vec<Diagnostic>,
    /// Each directory (by its resolved path) is read once, so symlinks that
    /// loop inside the story directory cannot multiply the walk.
    seen: std::collections::HashSet<PathBuf>,
}

impl Walker<'_> {
    fn directory(&mut self, dir: &Path, depth: usize) -> std::io::Result<()> {
        if depth > MAX_DEPTH {
            self.diagnostics.push(
                Diagnostic::error(
                    Code::E041,
                    format!(
                        "`{}` is more than {MAX_DEPTH} directories below the story directory",
                        display_name(self.shown, dir)
                    ),
                )
                .help("the chapters in it are not read: move them nearer the story directory"),
            );
            return Ok(());
        }
        let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
        entries.sort_by_key(std::fs::DirEntry::file_name);
        for entry in entries {
            let path = entry.path();
            // What the name is, without following it.
            let Ok(meta) = std::fs::symlink_metadata(&path) else {
                continue;
            };
            let (open, meta) = if meta.file_type().is_symlink() {
                // Symlinks are followed only while they stay inside the story
                // directory: the resolved target is what is opened, and it
                // must still be the file resolved here when it is.
                let Ok(target) = path.canonicalize() else {
                    continue;
                };
                if !target.starts_with(self.root) {
                    continue;
                }
                let Ok(meta) = std::fs::symlink_metadata(&target) else {
                    continue;
                };
                (target, meta)
            } else {
                (path.clone(), meta)
            };
            if meta.is_dir() {
                let resolved = open.canonicalize()?;
                if resolved.starts_with(self.root) && self.seen.insert(resolved) {
                    self.directory(&path, depth + 1)?;
                }
            } else if is_chapter_name(&path) {
                self.files.push(Found {
                    path,
                    open,
                    identity: identity(&meta),
                });
            }
        }
        Ok(())
    }
}

/// `.ron` files are chapters, but for plans (`*.plan.ron`), which may live
/// beside the scenes.
pub(crate) fn is_chapter_name(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "ron") && !path.to_string_lossy().ends_with(".plan.ron")
}

/// The bytes of input below which work stays on the calling thread:
/// starting a thread would cost more than it saves.
pub(crate) const PARALLEL_FROM: usize = 1 << 20;

/// Maps `f` over `items`, keeping their order, on as many threads as the
/// machine has: each thread takes a run of items of about the same total
/// `weight`, and this thread takes the first. Inputs of less than a
/// megabyte stay on this thread, where starting threads would cost more
/// than it saves.
///
/// Not rayon: its workers are never the calling thread, so with glibc's
/// arena per thread every parsed chapter lands in an arena the compile
/// (on this thread) cannot reuse; on the 100,000-scene story that raised
/// the peak from 335 to 375 MB (see ARCHITECTURE.md).
pub(crate) fn map_parallel<T: Send, U: Send>(
    items: Vec<T>,
    weight: impl Fn(&T) -> usize,
    f: impl Fn(T) -> U + Sync,
) -> Vec<U> {
    let total: usize = items.iter().map(&weight).sum();
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .min(items.len());
    if threads <= 1 || total < PARALLEL_FROM {
        return items.into_iter().map(f).collect();
    }
    // Cut the items into `threads` runs of about `total / threads` each.
    let mut runs: Vec<Vec<T>> = Vec::with_capacity(threads);
    let mut run = Vec::new();
    let mut filled = 0;
    for item in items {
        filled += weight(&item);
        run.push(item);
        if filled >= total * (runs.len() + 1) / threads && runs.len() + 1 < threads {
            runs.push(std::mem::take(&mut run));
        }
    }
    runs.push(run);
    let f = &f;
    std::thread::scope(|scope| {
        let mut runs = runs.into_iter();
        let first = runs.next().unwrap_or_default();
        let others: Vec<_> = runs
            .map(|run| scope.spawn(move || run.into_iter().map(f).collect::<Vec<U>>()))
            .collect();
        let mut out: Vec<U> = first.into_iter().map(f).collect();
        for handle in others {
            match handle.join() {
                Ok(part) => out.extend(part),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The parallel map keeps the items' order and gives the same result as
    /// a sequential map, run after run, whatever the items' weights.
    #[test]
    fn the_parallel_map_keeps_order() {
        let items: Vec<usize> = (0..500).collect();
        // Uneven weights (some items far heavier), over the 1 MiB threshold.
        let weight = |i: &usize| if i.is_multiple_of(7) { 50_000 } else { 1_000 };
        let expected: Vec<(usize, u64)> = items.iter().map(|&i| (i, slow_hash(i))).collect();
        for _ in 0..5 {
            let got = map_parallel(items.clone(), weight, |i| (i, slow_hash(i)));
            assert_eq!(got, expected);
        }
        // Below the threshold, the same.
        let small = map_parallel(items.clone(), |_| 1, |i| (i, slow_hash(i)));
        assert_eq!(small, expected);
    }

    /// Some work per item, so that threads finish out of order.
    fn slow_hash(i: usize) -> u64 {
        let rounds = if i.is_multiple_of(3) { 20_000 } else { 10 };
        (0..rounds).fold(i as u64, |h, r| {
            h.rotate_left(5) ^ (r as u64).wrapping_mul(0x9e37)
        })
    }
}
