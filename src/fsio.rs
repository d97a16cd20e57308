//! Every file the program writes or reads that is not a story chapter (saves,
//! the profile, the prompt history, transcripts, plans, blessed and expected
//! transcripts) goes through here, so that no file a story repository ships
//! or a stranger leaves in the saves directory can redirect a write, hang a
//! read or grow one without bound. (Chapters are read by `story::load`,
//! which holds the same rules for a story directory.)
//!
//! - One write primitive, `write_atomic`: a new temporary file in the
//!   target's directory (created exclusively, mode 0600 or 0644), filled,
//!   synced, then renamed over the target. A target that is a symbolic
//!   link, a FIFO, a device, a socket or a directory is refused before
//!   anything is written (`lstat`, not `stat`). The rename replaces the
//!   directory entry itself, so even a link swapped in after the check is
//!   replaced, never written through.
//! - `check_confined`: a file named by a path inside the current directory
//!   (a story repository the user works in) is not reached through a
//!   symbolic link that leads out of the directory the link is in. The path
//!   the user typed is theirs; a link inside the repository is the
//!   repository's.
//! - One read primitive, `read_bounded`: only a regular file is read (a FIFO
//!   would block, a device might never end), at most a given number of
//!   bytes whatever the file claims. The program's own files are opened
//!   without following a symbolic link.
//! - `open_append` for a file written as it goes (a
//!   transcript): the same refusals, and no blocking on a FIFO.
//!
//! A refusal is an `io::Error` whose inner error is a `Refusal`, so that it
//! reads as a sentence wherever an I/O error is shown, and `refusal` tells it
//! apart by type.

use std::fs::File;
use std::io::{self, Read as _, Write};
use std::path::{Component, Path, PathBuf};

/// Plans and expected transcripts larger than this are refused unread: the
/// longest blessed transcript of the shipped story is under 200 KB.
pub const MAX_PLAN_BYTES: u64 = 16 * 1024 * 1024;

/// Why a file was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Refusal {
    /// A symbolic link, where the program reads or writes only files.
    Link,
    Fifo,
    Device,
    Socket,
    Directory,
    /// Larger than the limit, in bytes.
    TooLarge(u64),
    /// Reached through this symbolic link, which leads out of the directory
    /// it is in.
    LinkOut(PathBuf),
    /// The file changed between the check and the open.
    Changed,
    /// Its directory does not exist (and is not created for it).
    NoDirectory(PathBuf),
    /// A file of the saves directory the game keeps (a save, the profile,
    /// the prompt history).
    OwnFile,
    /// An existing file that does not start with the transcript header.
    NotATranscript,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Link => f.write_str(
                "it is a symbolic link, and Callister never reads or writes through one",
            ),
            Refusal::Fifo => f.write_str("it is a FIFO (a named pipe), not a regular file"),
            Refusal::Device => f.write_str("it is a device, not a regular file"),
            Refusal::Socket => f.write_str("it is a socket, not a regular file"),
            Refusal::Directory => f.write_str("it is a directory, not a regular file"),
            Refusal::TooLarge(max) => write!(f, "it is larger than {}", bytes(*max)),
            Refusal::LinkOut(link) => write!(
                f,
                "`{}` is a symbolic link that leads out of the directory it is in; \
                 give the real path if that is where you mean",
                link.display()
            ),
            Refusal::Changed => f.write_str("it changed while it was opened"),
            Refusal::NoDirectory(dir) => write!(
                f,
                "the directory `{}` does not exist (it is not created for you)",
                dir.display()
            ),
            Refusal::OwnFile => f.write_str(
                "it is one of the game's own files in the saves directory (a save, \
                 the profile or the prompt history)",
            ),
            Refusal::NotATranscript => {
                f.write_str("it exists and is not a Callister transcript, so it is left untouched")
            }
        }
    }
}

impl std::error::Error for Refusal {}

impl From<Refusal> for io::Error {
    fn from(r: Refusal) -> io::Error {
        let kind = match r {
            Refusal::TooLarge(_) => io::ErrorKind::FileTooLarge,
            Refusal::Directory => io::ErrorKind::IsADirectory,
            Refusal::NoDirectory(_) => io::ErrorKind::NotFound,
            Refusal::Link
            | Refusal::Fifo
            | Refusal::Device
            | Refusal::Socket
            | Refusal::LinkOut(_)
            | Refusal::Changed
            | Refusal::OwnFile
            | Refusal::NotATranscript => io::ErrorKind::InvalidInput,
        };
        io::Error::new(kind, r)
    }
}

/// The refusal an I/O error carries, if it is one.
pub fn refusal(e: &io::Error) -> Option<&Refusal> {
    e.get_ref()
        .and_then(|inner| inner.downcast_ref::<Refusal>())
}

/// Who may read a file the program writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Mode 0600: saves, the profile, the prompt history.
    Private,
    /// Mode 0644 (less the umask): plans and transcripts, meant to be
    /// shared and committed.
    Shared,
}

impl Access {
    #[cfg_attr(not(unix), allow(dead_code))]
    fn mode(self) -> u32 {
        match self {
            Access::Private => 0o600,
            Access::Shared => 0o644,
        }
    }
}

/// Whether a read follows a symbolic link at the path itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Follow {
    /// The program's own files (saves, the profile, the history): a link
    /// there was put by someone else, and is refused.
    No,
    /// A file the user named on the command line (a plan, an expected
    /// transcript): their link, followed; what it leads to must still be a
    /// regular file.
    Yes,
}

/// Writes a file atomically: `fill` writes into a new temporary file in the
/// target's directory, which is synced and renamed over `path`. Refused,
/// before anything is written, when `path` is a symbolic link, a FIFO, a
/// device, a socket or a directory. On any failure the target is as it was
/// and no temporary file is left. The directory must exist.
pub fn write_atomic(
    path: &Path,
    access: Access,
    fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    check_target(path)?;
    let dir = parent(path);
    let mut builder = tempfile::Builder::new();
    builder.prefix(".callister-").suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        builder.permissions(std::fs::Permissions::from_mode(access.mode()));
    }
    #[cfg(not(unix))]
    let _ = access;
    // `tempfile` creates the file exclusively (`O_EXCL`, which never
    // follows a link at the name) under a random name.
    let mut tmp = builder.tempfile_in(dir)?;
    fill(&mut tmp)?;
    tmp.flush()?;
    // The data and what reading it back needs (its size) reach the disk
    // before the rename: a crash leaves the old file or the whole new one.
    // `sync_data` is enough for that (the timestamps `sync_all` would also
    // write do not matter); the cost of either is the disk's flush (see
    // docs/performance.md). The directory is not synced: a crash before it
    // reaches the disk leaves the old file, which is whole.
    tmp.as_file().sync_data()?;
    // On failure the temporary file is removed when it drops.
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Refuses a target that exists and is not a regular file, by what the
/// directory entry itself is (`lstat`): a symbolic link is refused whatever
/// it points to. A missing target is fine.
pub fn check_target(path: &Path) -> io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) => match kind_refusal(&meta) {
            Some(r) => Err(r.into()),
            None => Ok(()),
        },
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// Refuses a directory inside the current directory that is reached
/// through a symbolic link leading out of the directory that link is in
/// (`plans -> ../../home/me`, shipped by a story repository): each of its
/// components below the current directory is looked at. A directory
/// outside the current directory, typed as such, is the user's choice and
/// is not checked; nor are directories that do not exist yet (they will be
/// made as directories). A file in the directory is `check_target`'s.
pub fn check_confined(dir: &Path) -> io::Result<()> {
    let cwd = std::env::current_dir()?;
    let absolute = normalise(&cwd.join(dir));
    let Ok(inside) = absolute.strip_prefix(&cwd) else {
        return Ok(());
    };
    let mut here = cwd.clone();
    for component in inside.components() {
        let Component::Normal(name) = component else {
            continue;
        };
        let next = here.join(name);
        match std::fs::symlink_metadata(&next) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let target = std::fs::canonicalize(&next)?;
                let holder = std::fs::canonicalize(&here)?;
                if !target.starts_with(&holder) {
                    let shown = next.strip_prefix(&cwd).unwrap_or(&next).to_path_buf();
                    return Err(Refusal::LinkOut(shown).into());
                }
            }
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        }
        here = next;
    }
    Ok(())
}

/// Reads a regular file, at most `max` bytes of it: a FIFO, a device, a
/// socket or a directory is refused without being read (and never blocks),
/// and so is a file larger than `max`, whatever its size claimed. With
/// `Follow::No` a symbolic link at `path` is refused too.
pub fn read_bounded(path: &Path, max: u64, follow: Follow) -> io::Result<Vec<u8>> {
    let seen = match follow {
        Follow::No => std::fs::symlink_metadata(path)?,
        Follow::Yes => std::fs::metadata(path)?,
    };
    if let Some(r) = kind_refusal(&seen) {
        return Err(r.into());
    }
    if seen.len() > max {
        return Err(Refusal::TooLarge(max).into());
    }
    let file = open_read(path, follow)?;
    let meta = file.metadata()?;
    if let Some(r) = kind_refusal(&meta) {
        return Err(r.into());
    }
    if !same_file(&seen, &meta) {
        return Err(Refusal::Changed.into());
    }
    let mut bytes = Vec::new();
    file.take(max + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(Refusal::TooLarge(max).into());
    }
    Ok(bytes)
}

/// `read_bounded`, as UTF-8 text (`InvalidData` otherwise).
pub fn read_text(path: &Path, max: u64, follow: Follow) -> io::Result<String> {
    String::from_utf8(read_bounded(path, max, follow)?)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "it is not UTF-8 text"))
}

/// Opens a file to append to, creating it if it is missing; read access
/// too, so the caller can look at what it holds. A symbolic link, a FIFO
/// (which would block), a device, a socket or a directory is refused, and
/// so is a missing directory. Returns the file and whether it already
/// existed.
pub fn open_append(path: &Path, access: Access) -> io::Result<(File, bool)> {
    let dir = parent(path);
    if !dir.is_dir() {
        return Err(Refusal::NoDirectory(dir.to_path_buf()).into());
    }
    let existed = match std::fs::symlink_metadata(path) {
        Ok(meta) => {
            if let Some(r) = kind_refusal(&meta) {
                return Err(r.into());
            }
            true
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => false,
        Err(e) => return Err(e),
    };
    let mut options = std::fs::OpenOptions::new();
    options.read(true).append(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options
            .mode(access.mode())
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC);
    }
    #[cfg(not(unix))]
    let _ = access;
    let file = options.open(path).map_err(link_error)?;
    if let Some(r) = kind_refusal(&file.metadata()?) {
        return Err(r.into());
    }
    Ok((file, existed))
}

/// The directory a path's file is in (`.` for a bare name).
pub fn parent(path: &Path) -> &Path {
    path.parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Whether `inner` is `outer` or inside it, by their real paths; a path
/// that does not exist yet counts by its nearest existing ancestor.
pub fn is_within(inner: &Path, outer: &Path) -> bool {
    match (real_path(inner), real_path(outer)) {
        (Some(inner), Some(outer)) => inner.starts_with(outer),
        _ => false,
    }
}

/// A path made absolute and real (symbolic links resolved) as far as it
/// exists, the rest appended as written.
fn real_path(path: &Path) -> Option<PathBuf> {
    let absolute = normalise(&std::env::current_dir().ok()?.join(path));
    let mut existing = absolute.as_path();
    let mut rest = Vec::new();
    loop {
        if let Ok(real) = std::fs::canonicalize(existing) {
            let mut out = real;
            for part in rest.iter().rev() {
                out.push(part);
            }
            return Some(out);
        }
        rest.push(existing.file_name()?.to_os_string());
        existing = existing.parent()?;
    }
}

/// `a/./b/../c` as `a/c`, without touching the disk.
fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            Component::Prefix(_) | Component::RootDir | Component::Normal(_) => {
                out.push(component.as_os_str());
            }
        }
    }
    out
}

/// What makes a directory entry something other than a regular file.
fn kind_refusal(meta: &std::fs::Metadata) -> Option<Refusal> {
    let kind = meta.file_type();
    if kind.is_file() {
        return None;
    }
    if kind.is_symlink() {
        return Some(Refusal::Link);
    }
    if kind.is_dir() {
        return Some(Refusal::Directory);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        if kind.is_fifo() {
            return Some(Refusal::Fifo);
        }
        if kind.is_socket() {
            return Some(Refusal::Socket);
        }
    }
    Some(Refusal::Device)
}

fn open_read(path: &Path, follow: Follow) -> io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        let nofollow = match follow {
            Follow::No => libc::O_NOFOLLOW,
            Follow::Yes => 0,
        };
        options.custom_flags(nofollow | libc::O_NONBLOCK | libc::O_CLOEXEC);
    }
    #[cfg(not(unix))]
    let _ = follow;
    options.open(path).map_err(link_error)
}

/// The error `O_NOFOLLOW` gives for a symbolic link (`ELOOP`), as the
/// refusal it means.
fn link_error(e: io::Error) -> io::Error {
    #[cfg(unix)]
    if e.raw_os_error() == Some(libc::ELOOP) {
        return Refusal::Link.into();
    }
    e
}

/// Whether two metadata describe the same file (device and inode on Unix).
fn same_file(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        a.dev() == b.dev() && a.ino() == b.ino()
    }
    #[cfg(not(unix))]
    {
        a.len() == b.len()
    }
}

/// `16 MiB`, `64 MiB`, or bytes.
fn bytes(n: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if n >= MIB && n.is_multiple_of(MIB) {
        format!("{} MiB", n / MIB)
    } else {
        format!("{n} bytes")
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn refusals_read_as_sentences_and_are_told_apart() {
        let e: io::Error = Refusal::TooLarge(MAX_PLAN_BYTES).into();
        assert_eq!(e.to_string(), "it is larger than 16 MiB");
        assert_eq!(refusal(&e), Some(&Refusal::TooLarge(MAX_PLAN_BYTES)));
        assert_eq!(refusal(&io::Error::other("x")), None);
    }

    #[test]
    fn a_write_over_a_link_a_fifo_or_a_directory_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "mine").unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        let sub = dir.path().join("sub");
        std::fs::create_dir(&sub).unwrap();
        for (path, why) in [(&link, Refusal::Link), (&sub, Refusal::Directory)] {
            let e = write_atomic(path, Access::Shared, |w| w.write_all(b"x")).unwrap_err();
            assert_eq!(refusal(&e), Some(&why), "{e}");
        }
        assert_eq!(std::fs::read(&victim).unwrap(), b"mine");
        // Only what was there: no temporary file left behind.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 3);
    }

    #[test]
    fn modes_are_private_or_shared() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let private = dir.path().join("p");
        write_atomic(&private, Access::Private, |w| w.write_all(b"x")).unwrap();
        let mode = std::fs::metadata(&private).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let shared = dir.path().join("s");
        write_atomic(&shared, Access::Shared, |w| w.write_all(b"x")).unwrap();
        let mode = std::fs::metadata(&shared).unwrap().permissions().mode();
        assert_eq!(mode & 0o777 & !0o644, 0, "no more than 0644");
        assert_eq!(mode & 0o600, 0o600);
    }

    #[test]
    fn reads_refuse_links_devices_and_large_files() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        std::fs::write(&file, "12345").unwrap();
        let link = dir.path().join("l");
        std::os::unix::fs::symlink(&file, &link).unwrap();
        assert_eq!(read_bounded(&file, 5, Follow::No).unwrap(), b"12345");
        let e = read_bounded(&file, 4, Follow::No).unwrap_err();
        assert_eq!(refusal(&e), Some(&Refusal::TooLarge(4)));
        let e = read_bounded(&link, 5, Follow::No).unwrap_err();
        assert_eq!(refusal(&e), Some(&Refusal::Link));
        assert_eq!(read_bounded(&link, 5, Follow::Yes).unwrap(), b"12345");
        let e = read_bounded(Path::new("/dev/zero"), 5, Follow::Yes).unwrap_err();
        assert_eq!(refusal(&e), Some(&Refusal::Device));
    }

    #[test]
    fn paths_normalise_lexically() {
        assert_eq!(normalise(Path::new("/a/./b/../c")), PathBuf::from("/a/c"));
        assert_eq!(normalise(Path::new("/a/../../c")), PathBuf::from("/c"));
    }
}
