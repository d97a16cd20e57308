//! Watching a story directory for `play --watch` and `check --watch`,
//! through the server's watcher (`lsp::watch`).

use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, channel};

/// A story directory being watched.
pub(crate) struct StoryWatch {
    dir: PathBuf,
    root: PathBuf,
    events: Receiver<Vec<PathBuf>>,
    /// Dropping it stops the watching.
    _watcher: notify::RecommendedWatcher,
}

impl StoryWatch {
    pub(crate) fn new(dir: &Path) -> Result<StoryWatch, String> {
        let (sender, events) = channel();
        let watcher = crate::lsp::watch::watch(dir, move |paths| {
            let _ = sender.send(paths);
        })
        .map_err(|e| format!("cannot watch `{}`: {e}", dir.display()))?;
        Ok(StoryWatch {
            dir: dir.to_path_buf(),
            root: dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf()),
            events,
            _watcher: watcher,
        })
    }

    /// Waits until story files change: their paths, as the directory given
    /// reaches them. `None` when watching stopped.
    pub(crate) fn wait(&self) -> Option<Vec<String>> {
        let paths = crate::lsp::watch::settle(&self.events)?;
        let mut shown: Vec<String> = paths.iter().map(|p| self.shown(p)).collect();
        shown.dedup();
        Some(shown)
    }

    fn shown(&self, path: &Path) -> String {
        match path.strip_prefix(&self.root) {
            Ok(rel) => self.dir.join(rel).display().to_string(),
            Err(_) => path.display().to_string(),
        }
    }
}

/// `a.ron`, or `a.ron` and `b.ron`, or `a.ron` and 2 more.
pub(crate) fn files(changed: &[String]) -> String {
    match changed {
        [] => "the story".to_string(),
        [one] => format!("`{one}`"),
        [one, two] => format!("`{one}` and `{two}`"),
        [one, rest @ ..] => format!("`{one}` and {} more", rest.len()),
    }
}
