//! Reading a story directory's files: which files are chapters, symlinks
//! that stay inside the directory, regular files only, bounded reads, and
//! the parallel map the parser runs on.

use std::path::{Path, PathBuf};

use crate::story::code::Code;
use crate::story::diagnostic::Diagnostic;
use crate::story::source::display_name;

/// Story files larger than this are refused.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// One input file: its path relative to the story directory, the name shown
/// in diagnostics, and its text.
pub struct InputFile {
    pub rel: String,
    pub name: String,
    pub text: String,
}

/// Reads every `.ron` file under `dir`: the files, and a diagnostic for
/// each file that could not be read. `Err` when the directory itself cannot
/// be read.
pub fn read_story_dir(dir: &Path) -> Result<(Vec<InputFile>, Vec<Diagnostic>), Vec<Diagnostic>> {
    let mut files = Vec::new();
    let mut diagnostics = Vec::new();
    let mut paths = Vec::new();
    if let Err(e) = collect_ron_files(dir, dir, &mut paths, 0) {
        diagnostics.push(Diagnostic::error(
            Code::E004,
            format!("cannot read story directory `{}`: {e}", dir.display()),
        ));
        return Err(diagnostics);
    }
    paths.sort();
    let too_large = |name: &str| {
        Diagnostic::error(
            Code::E037,
            format!(
                "`{name}` is larger than {} MiB",
                MAX_FILE_BYTES / (1024 * 1024)
            ),
        )
    };
    for path in paths {
        let name = display_name(dir, &path);
        match std::fs::metadata(&path) {
            Ok(m) if m.len() > MAX_FILE_BYTES => {
                diagnostics.push(too_large(&name));
                continue;
            }
            // A FIFO or a device would block or never end: only regular
            // files are read.
            Ok(m) if !m.is_file() => {
                diagnostics.push(Diagnostic::error(
                    Code::E037,
                    format!("`{name}` is not a regular file"),
                ));
                continue;
            }
            _ => {}
        }
        match read_bounded(&path) {
            Ok(bytes) if bytes.len() as u64 > MAX_FILE_BYTES => {
                // It grew after its size was checked.
                diagnostics.push(too_large(&name));
            }
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => {
                    let rel = path
                        .strip_prefix(dir)
                        .unwrap_or(&path)
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
            Err(e) => diagnostics.push(Diagnostic::error(
                Code::E037,
                format!("cannot read `{name}`: {e}"),
            )),
        }
    }
    Ok((files, diagnostics))
}

/// Reads at most one byte more than `MAX_FILE_BYTES`, whatever the file
/// claims its size is.
fn read_bounded(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read as _;
    let file = std::fs::File::open(path)?;
    // Room for what the file claims to hold, so that reading it does not
    // grow (and double) the buffer.
    let claimed = file.metadata().map_or(0, |m| m.len()).min(MAX_FILE_BYTES);
    let mut bytes = Vec::with_capacity(claimed as usize + 1);
    file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes)?;
    Ok(bytes)
}

fn collect_ron_files(
    root: &Path,
    dir: &Path,
    out: &mut Vec<PathBuf>,
    depth: usize,
) -> std::io::Result<()> {
    let mut seen = std::collections::HashSet::new();
    seen.insert(root.canonicalize()?);
    collect_in(root, dir, out, depth, &mut seen)
}

/// Each directory (by its canonical path) is read once, so symlinks that
/// loop inside the story directory cannot multiply the walk.
fn collect_in(
    root: &Path,
    dir: &Path,
    out: &mut Vec<PathBuf>,
    depth: usize,
    seen: &mut std::collections::HashSet<PathBuf>,
) -> std::io::Result<()> {
    if depth > 16 {
        return Ok(());
    }
    let root_canon = root.canonicalize()?;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        // Symlinks are followed only while they stay inside the story directory.
        let Ok(canon) = path.canonicalize() else {
            continue;
        };
        if !canon.starts_with(&root_canon) {
            continue;
        }
        let meta = std::fs::metadata(&path)?;
        if meta.is_dir() {
            if seen.insert(canon) {
                collect_in(root, &path, out, depth + 1, seen)?;
            }
        } else if path.extension().is_some_and(|e| e == "ron")
            && !path.to_string_lossy().ends_with(".plan.ron")
        {
            // Plans (`*.plan.ron`) may live beside the scenes; they are not chapters.
            out.push(path);
        }
    }
    Ok(())
}

/// Maps `f` over `items`, keeping their order, on as many threads as the
/// machine has: each thread takes a run of items of about the same total
/// `weight`. Inputs of less than a megabyte stay on this thread, where
/// starting threads would cost more than it saves.
pub(crate) fn map_parallel<T: Send, U: Send>(
    items: Vec<T>,
    weight: impl Fn(&T) -> usize,
    f: impl Fn(T) -> U + Sync,
) -> Vec<U> {
    let total: usize = items.iter().map(&weight).sum();
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .min(items.len());
    if threads <= 1 || total < 1 << 20 {
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
