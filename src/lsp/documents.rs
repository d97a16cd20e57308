//! The story directories the server knows, their files (an open document
//! overrides the file on disk), the parse cache and the last analysis: the
//! same compile and lints as `callister check`, over the texts an editor
//! holds.

use std::cell::OnceCell;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::Instant;

use lsp_types::{Range, Uri};
use percent_encoding::{AsciiSet, CONTROLS, percent_decode_str, utf8_percent_encode};

use crate::lsp::positions::LineIndex;
use crate::story::Story;
use crate::story::compile::{Cache, InputFile, STORY_FILE, Symbols};
use crate::story::diagnostic::Diagnostic;
use crate::story::load;
use crate::story::source::{FileId, Sources, Span};
use crate::tools::check;

/// A story directory and what the server holds of it.
pub struct Project {
    /// The story directory, resolved (symlinks followed).
    pub root: PathBuf,
    /// Every file of the story, parsed: the open documents' texts, and the
    /// others as they are on disk.
    cache: Cache,
    /// The documents the editor has open, by path relative to `root`.
    pub open: BTreeMap<String, Document>,
    /// The problems reading the directory gave (E037, E041).
    read_diagnostics: Vec<Diagnostic>,
    /// The last analysis, of the texts as they were then.
    pub analysis: Option<Analysis>,
    /// When the texts changed since the analysis: the time to analyse them
    /// again (edits wait a little, so that typing is not held up).
    pub due: Option<Instant>,
    /// Whether files changed on disk since they were read.
    pub disk_stale: bool,
    /// The files whose diagnostics were last published non-empty, to clear
    /// them when they are fixed.
    pub published: BTreeSet<String>,
    /// The last story that compiled, for what an analysis with errors
    /// cannot say (a scene's title, a variable's bounds).
    pub last_good: Option<Rc<Story>>,
}

/// A document the editor has open.
pub struct Document {
    /// The document's URI as the editor wrote it, for what is sent back.
    pub uri: Uri,
    pub version: i32,
    pub text: String,
}

/// One compile and its lints, of the texts the cache held.
pub struct Analysis {
    pub outcome: Outcome,
    /// What `callister check` reports: the compile's diagnostics, or the
    /// lints of the story that compiled.
    pub diagnostics: Vec<Diagnostic>,
    pub symbols: Symbols,
    /// Each file's path relative to the root, by `FileId`.
    pub files: Vec<String>,
    lines: Vec<OnceCell<LineIndex>>,
}

/// What a compile gave.
pub enum Outcome {
    /// The story (which holds its sources).
    Compiled(Rc<Story>),
    /// The sources of a story that did not compile.
    Failed(Sources),
}

impl Project {
    /// The story directory `root`, read from disk.
    pub fn new(root: PathBuf) -> Project {
        let mut project = Project {
            root,
            cache: Cache::new(),
            open: BTreeMap::new(),
            read_diagnostics: Vec::new(),
            analysis: None,
            due: Some(Instant::now()),
            disk_stale: false,
            published: BTreeSet::new(),
            last_good: None,
        };
        project.read_disk();
        project
    }

    /// The path of `path` relative to the root, when it is a story file of
    /// this directory (a `.ron` file below it that is not a plan).
    pub fn relative(&self, path: &Path) -> Option<String> {
        let resolved = resolve(path);
        let rel = resolved.strip_prefix(&self.root).ok()?;
        if !load::is_chapter_name(rel) {
            return None;
        }
        Some(rel.to_string_lossy().replace('\\', "/"))
    }

    /// The URI of a file of the story: the open document's as the editor
    /// wrote it, else the file's own.
    pub fn uri(&self, rel: &str) -> Option<Uri> {
        match self.open.get(rel) {
            Some(doc) => Some(doc.uri.clone()),
            None => uri_of(&self.root.join(rel)),
        }
    }

    /// Reads the files that are not open from disk again: changed ones are
    /// parsed again, deleted ones forgotten, new ones added.
    pub fn read_disk(&mut self) {
        let (files, diagnostics) = match load::read_story_dir(&self.root) {
            Ok(read) => read,
            Err(diagnostics) => (Vec::new(), diagnostics),
        };
        self.read_diagnostics = diagnostics;
        self.disk_stale = false;
        let on_disk: BTreeSet<String> = files.iter().map(|f| f.rel.clone()).collect();
        let gone: Vec<String> = self
            .cache
            .files()
            .filter(|rel| !on_disk.contains(*rel) && !self.open.contains_key(*rel))
            .map(str::to_string)
            .collect();
        for rel in gone {
            self.cache.remove(&rel);
        }
        for file in files {
            if !self.open.contains_key(&file.rel) {
                self.cache.set(InputFile {
                    name: file.rel.clone(),
                    ..file
                });
            }
        }
        self.due.get_or_insert_with(Instant::now);
    }

    /// An open document's text, new or changed: it replaces the file's.
    pub fn set_open(&mut self, rel: String, doc: Document) {
        self.cache.set(InputFile {
            rel: rel.clone(),
            name: rel.clone(),
            text: doc.text.clone(),
        });
        self.open.insert(rel, doc);
    }

    /// A document closed: the file on disk counts again.
    pub fn close(&mut self, rel: &str) {
        if self.open.remove(rel).is_some() {
            self.cache.remove(rel);
            self.read_disk();
        }
    }

    /// The text of a story file as the server holds it.
    pub fn text(&self, rel: &str) -> Option<&str> {
        match self.open.get(rel) {
            Some(doc) => Some(&doc.text),
            None => self.cache.text(rel),
        }
    }

    /// Compiles and lints the story as the cache holds it now.
    pub fn analyse(&mut self) {
        if self.disk_stale {
            self.read_disk();
        }
        let compiled = self.cache.compile(self.read_diagnostics.clone(), true);
        let files: Vec<String> = self.cache.files().map(str::to_string).collect();
        let symbols = compiled.symbols.unwrap_or_default();
        let (outcome, diagnostics) = match compiled.result {
            Ok(story) => {
                let lints = check::lint(&story);
                let story = Rc::new(story);
                self.last_good = Some(Rc::clone(&story));
                (Outcome::Compiled(story), lints)
            }
            Err(failure) => (Outcome::Failed(failure.sources), failure.diagnostics),
        };
        let lines = files.iter().map(|_| OnceCell::new()).collect();
        self.analysis = Some(Analysis {
            outcome,
            diagnostics,
            symbols,
            files,
            lines,
        });
        self.due = None;
    }
}

impl Analysis {
    pub fn sources(&self) -> &Sources {
        match &self.outcome {
            Outcome::Compiled(story) => &story.sources,
            Outcome::Failed(sources) => sources,
        }
    }

    /// The story, when it compiled.
    pub fn story(&self) -> Option<&Rc<Story>> {
        match &self.outcome {
            Outcome::Compiled(story) => Some(story),
            Outcome::Failed(_) => None,
        }
    }

    /// The file of a path relative to the root.
    pub fn file(&self, rel: &str) -> Option<FileId> {
        self.files
            .iter()
            .position(|f| f == rel)
            .map(|i| FileId(i as u32))
    }

    /// The text a file had when it was analysed.
    pub fn text(&self, file: FileId) -> &str {
        &self.sources().get(file).text
    }

    /// The line index of a file, built the first time it is asked for.
    pub fn lines(&self, file: FileId) -> &LineIndex {
        self.lines[file.0 as usize].get_or_init(|| LineIndex::new(self.text(file)))
    }

    /// A span as a protocol range.
    pub fn range(&self, span: Span) -> Range {
        self.lines(span.file)
            .range(self.text(span.file), span.start, span.end)
    }

    /// The byte offset of a position in a file, as analysed.
    pub fn offset(&self, file: FileId, position: lsp_types::Position) -> Option<usize> {
        self.lines(file).offset(self.text(file), position)
    }
}

/// The path of a `file:` URI.
pub fn path_of(uri: &Uri) -> Option<PathBuf> {
    let rest = uri.as_str().strip_prefix("file://")?;
    let rest = rest.strip_prefix("localhost").unwrap_or(rest);
    if !rest.starts_with('/') {
        return None;
    }
    let path = rest.split(['?', '#']).next().unwrap_or(rest);
    let decoded = percent_decode_str(path).decode_utf8().ok()?;
    Some(PathBuf::from(decoded.as_ref()))
}

/// What a path may not hold as it is in a URI.
const PATH: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// The `file:` URI of an absolute path.
pub fn uri_of(path: &Path) -> Option<Uri> {
    let path = path.to_str()?;
    format!("file://{}", utf8_percent_encode(path, PATH))
        .parse()
        .ok()
}

/// A path with its symlinks resolved: the file's own when it exists, else
/// its directory's (a new file not saved yet).
pub fn resolve(path: &Path) -> PathBuf {
    if let Ok(p) = path.canonicalize() {
        return p;
    }
    match (path.parent().map(Path::canonicalize), path.file_name()) {
        (Some(Ok(dir)), Some(name)) => dir.join(name),
        _ => path.to_path_buf(),
    }
}

/// The story directory a file belongs to: the nearest directory at or
/// above it holding a `story.ron`.
pub fn story_dir_of(path: &Path) -> Option<PathBuf> {
    let resolved = resolve(path);
    resolved
        .ancestors()
        .skip(1)
        .find(|dir| dir.join(STORY_FILE).is_file())
        .map(Path::to_path_buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_and_paths() {
        let path = Path::new("/tmp/my story/ch #1/日本.ron");
        let uri = uri_of(path).expect("a URI");
        assert_eq!(
            uri.as_str(),
            "file:///tmp/my%20story/ch%20%231/%E6%97%A5%E6%9C%AC.ron"
        );
        assert_eq!(path_of(&uri).as_deref(), Some(path));
        let other: Uri = "untitled:Untitled-1".parse().expect("a URI");
        assert_eq!(path_of(&other), None);
    }
}
