//! Story files changed on disk, from the operating system's file events
//! (`notify`): what the server reads again, and what `play --watch` and
//! `check --watch` act on. An editor's save is a burst of events (a
//! temporary file written, renamed over the old one); the receiver folds
//! a burst into one change with a short timer (`settle`).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use notify::{EventKind, RecommendedWatcher, RecursiveMode, Watcher as _};

/// How long after the last event of a burst the change counts.
pub const SETTLE: Duration = Duration::from_millis(100);

/// Watches `dir` and below; `changed` gets the paths of each event that
/// creates, writes, renames or removes a story file (reading one, or
/// touching its times, is no change).
pub fn watch(
    dir: &Path,
    changed: impl Fn(Vec<PathBuf>) + Send + 'static,
) -> notify::Result<RecommendedWatcher> {
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        let Ok(event) = event else {
            return;
        };
        let counts = match event.kind {
            EventKind::Create(_) | EventKind::Remove(_) | EventKind::Any => true,
            EventKind::Modify(m) => !matches!(m, notify::event::ModifyKind::Metadata(_)),
            EventKind::Access(_) | EventKind::Other => false,
        };
        let paths: Vec<PathBuf> = event
            .paths
            .into_iter()
            .filter(|p| crate::story::load::is_chapter_name(p))
            .collect();
        if counts && !paths.is_empty() {
            changed(paths);
        }
    })?;
    watcher.watch(dir, RecursiveMode::Recursive)?;
    Ok(watcher)
}

/// Waits for a change on `events`, then gathers the rest of its burst:
/// every path until `SETTLE` passes with none. `None` when the sender is
/// gone.
pub fn settle(events: &std::sync::mpsc::Receiver<Vec<PathBuf>>) -> Option<Vec<PathBuf>> {
    let mut paths = events.recv().ok()?;
    let mut quiet_from = Instant::now();
    loop {
        match events.recv_timeout(SETTLE.saturating_sub(quiet_from.elapsed())) {
            Ok(more) => {
                paths.extend(more);
                quiet_from = Instant::now();
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => break,
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    paths.sort();
    paths.dedup();
    Some(paths)
}
