//! RON files → raw structs → a `Story` with every reference resolved.
//!
//! Every problem is collected, not just the first: a failed compile returns
//! all its diagnostics, each located in the source text.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::Path;

use ron::extensions::Extensions;

use crate::story::code::Code;
use crate::story::condition::{self, Expr, Name, ParseError};
use crate::story::diagnostic::{Diagnostic, suggest_within};
use crate::story::load::{self, map_parallel};
pub use crate::story::load::{InputFile, MAX_FILE_BYTES};
use crate::story::raw::{
    RawAdjust, RawBranch, RawChapter, RawChoice, RawEffect, RawEndingKind, RawItem, RawScene,
    RawStory, RawVariable, Strings,
};
use crate::story::ron_error::{FileKind, offset_of, ron_error, some_or_none_diagnostic};
use crate::story::ron_syntax::{self, Declared, Sketch, Tok, Tokens, Walker};
use crate::story::source::{FileId, Source, Sources, Span, is_terminal_control};
use crate::story::text::{self, Node, VaryKind};
use crate::story::tunnels::{self, Problem};
use crate::story::{
    Action, Adjust, Assumption, Branch, Chapter, ChapterId, Check, Choice, ChoiceId, CmpOp,
    Condition, Crew, CrewId, Effect, Ending, EndingId, EndingKind, FlagId, Invariant, Item, ItemId,
    Lit, Lookup, MAX_TUNNEL_DEPTH, Met, Named, Operand, Returns, Scene, SceneId, Scope, Segment,
    Story, Text, VarId, Variable, Variation,
};

/// The name of the story file in a story directory.
pub const STORY_FILE: &str = "story.ron";
/// Default bounds of a variable declared without them.
pub const DEFAULT_MIN: i64 = -1_000_000_000;
pub const DEFAULT_MAX: i64 = 1_000_000_000;
/// RON nested deeper than this is refused (hostile input, no stack overflow).
pub(crate) const RECURSION_LIMIT: usize = 128;
/// The did-you-mean work one compile may do for its unknown names, in
/// edit-distance cells: well under a second, however hostile the story.
const SUGGEST_WORK: usize = 20_000_000;

/// A story that did not compile: its diagnostics and the sources they point into.
#[derive(Debug)]
pub struct Failure {
    pub diagnostics: Vec<Diagnostic>,
    pub sources: Sources,
}

/// Reads every `.ron` file under `dir` and compiles the story.
pub fn load_dir(dir: &Path) -> Result<Story, Failure> {
    match load::read_story_dir(dir) {
        Ok((files, mut diagnostics)) => {
            // A story file whose extension is in capitals (`story.RON`) is
            // not a `.ron` file to the walk: say what to rename.
            if !files.iter().any(|f| f.rel.eq_ignore_ascii_case(STORY_FILE))
                && let Ok(entries) = std::fs::read_dir(dir)
                && let Some(name) = entries
                    .flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .find(|n| n.eq_ignore_ascii_case(STORY_FILE))
            {
                diagnostics.push(misnamed_story_file(&name));
            }
            compile_files(files, diagnostics, Split::Auto)
        }
        Err(diagnostics) => Err(Failure {
            diagnostics,
            sources: Sources::default(),
        }),
    }
}

/// Compiles a story from in-memory files (the embedded story, tests).
pub fn compile(files: Vec<InputFile>) -> Result<Story, Failure> {
    compile_files(files, Vec::new(), Split::Auto)
}

fn compile_files(
    mut files: Vec<InputFile>,
    mut diagnostics: Vec<Diagnostic>,
    split: Split,
) -> Result<Story, Failure> {
    let story_rel = story_file(&files, &mut diagnostics);
    sort_files(&mut files, story_rel.as_deref());
    let fingerprint = fingerprint(files.iter().map(|f| (f.rel.as_str(), f.text.as_str())));
    // Each file is indexed and parsed on its own, so large stories use
    // every core for it; the results keep the files' order, and file `i`
    // is `FileId(i)` in the sources.
    let files: Vec<(FileId, bool, InputFile)> = files
        .into_iter()
        .enumerate()
        .map(|(i, f)| {
            let is_story = story_rel.as_deref() == Some(f.rel.as_str());
            (FileId(i as u32), is_story, f)
        })
        .collect();
    let parsed = map_parallel(
        files,
        |(_, _, f)| f.text.len(),
        |(id, is_story, file)| parse_file(file, id, is_story),
    );
    compile_parsed(parsed, diagnostics, fingerprint, None, split).0
}

/// Whether the scenes' bodies are compiled on two threads: `Auto` for a
/// story of a megabyte or more on a machine of more than one core (below
/// that, starting a thread costs more than it saves); the others for the
/// tests that hold both ways to the same result. A compile that keeps
/// symbols (the language server's) stays on one thread.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Split {
    Auto,
    Never,
    #[cfg_attr(not(test), allow(dead_code))]
    Always,
}

/// The story file: `story.ron`, else a file named so in another case
/// (`Story.ron`), which is read as the story and reported.
fn story_file(files: &[InputFile], diagnostics: &mut Vec<Diagnostic>) -> Option<String> {
    story_file_of(files.iter().map(|f| f.rel.as_str()), diagnostics)
}

fn story_file_of<'a>(
    mut rels: impl Iterator<Item = &'a str> + Clone,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<String> {
    if rels.clone().any(|rel| rel == STORY_FILE) {
        return Some(STORY_FILE.to_string());
    }
    rels.find(|rel| rel.eq_ignore_ascii_case(STORY_FILE))
        .map(|rel| {
            diagnostics.push(misnamed_story_file(rel));
            rel.to_string()
        })
}

/// The story file first, then the chapters in path order: the order of
/// the files' ids, their declarations and their diagnostics.
fn sort_files(files: &mut [InputFile], story: Option<&str>) {
    files.sort_by(|a, b| order_key(&a.rel, story).cmp(&order_key(&b.rel, story)));
}

fn order_key<'a>(rel: &'a str, story: Option<&str>) -> (bool, &'a str) {
    (story != Some(rel), rel)
}

/// A hash of the story's files (paths and texts, in order), hex encoded.
fn fingerprint<'a>(files: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    let mut h = blake3::Hasher::new();
    for (rel, text) in files {
        h.update(rel.as_bytes());
        h.update(&[0]);
        h.update(text.as_bytes());
        h.update(&[0]);
    }
    h.finalize().to_hex().to_string()
}

/// One file read: its source and what reading it found, as file `id`
/// (the story file or a chapter).
#[derive(Clone)]
struct ParsedFile {
    source: Source,
    id: FileId,
    is_story: bool,
    read: Read,
}

/// Reads one file as file `id` of the story.
fn parse_file(file: InputFile, id: FileId, is_story: bool) -> ParsedFile {
    let options = ron::Options::default()
        .with_default_extension(Extensions::IMPLICIT_SOME)
        .with_recursion_limit(RECURSION_LIMIT);
    let source = Source::new(file.name, file.text);
    let read = read_file(&source, id, is_story, &options);
    ParsedFile {
        source,
        id,
        is_story,
        read,
    }
}

/// Compiles read files (in `sort_files` order, file `i` read as
/// `FileId(i)`): declarations, references, every diagnostic. With
/// `symbols`, also where each name is declared and referenced (the
/// language server); without, the compile pays nothing for it.
fn compile_parsed(
    parsed: Vec<ParsedFile>,
    mut diagnostics: Vec<Diagnostic>,
    fingerprint: String,
    symbols: Option<Symbols>,
    split: Split,
) -> (Result<Story, Failure>, Option<Symbols>) {
    let mut sources = Sources::default();
    // A file the loader could not read at all may declare anything.
    let mut held = Held {
        opaque: diagnostics
            .iter()
            .any(|d| matches!(d.code, Code::E037 | Code::E041)),
        ..Held::default()
    };
    let mut story: Option<(FileId, RawStory)> = None;
    let mut story_unreadable = false;
    let mut chapters: Vec<(FileId, RawChapter, Located)> = Vec::new();
    for ParsedFile { source, read, .. } in parsed {
        let id = sources.add(source);
        match read {
            Read::Parsed {
                parsed,
                hostile,
                problems,
                swallowed,
            } => {
                if let Some(hostile) = hostile {
                    control_characters(&sources, id, Some(hostile), &mut diagnostics);
                }
                diagnostics.extend(problems);
                // Scenes swallowed by a string do not exist: the names
                // they would declare are not reported as unknown.
                for name in swallowed {
                    held.names.insert((Kind::Scene, name.clone()));
                    held.names.insert((Kind::Ending, name));
                }
                match *parsed {
                    Parsed::Story(raw) => story = Some((id, raw)),
                    Parsed::Chapter(raw, located) => chapters.push((id, raw, located)),
                }
            }
            Read::Unreadable {
                errors,
                sketch,
                is_story,
            } => {
                // A file that does not parse shows nothing, but its author
                // is told of its control characters all the same.
                control_characters(&sources, id, None, &mut diagnostics);
                diagnostics.extend(errors);
                story_unreadable |= is_story;
                held.chapters = true;
                for (kind, name) in sketch.names {
                    let kind = match kind {
                        Declared::Scene => Kind::Scene,
                        Declared::Ending => Kind::Ending,
                        Declared::Variable => Kind::Variable,
                        Declared::Flag => Kind::Flag,
                        Declared::Item => Kind::Item,
                    };
                    held.names.insert((kind, name));
                }
                if !sketch.complete {
                    held.files.push(sources.get(id).name.clone());
                }
            }
        }
    }
    let Some((story_file, raw_story)) = story else {
        // A story file that does not parse is reported as that, and a
        // misnamed one as misnamed: not also as missing.
        if !story_unreadable && !diagnostics.iter().any(|d| d.code == Code::E004) {
            diagnostics.push(
                Diagnostic::error(Code::E004, format!("the story has no `{STORY_FILE}`")).help(
                    format!("a story directory needs a `{STORY_FILE}`: see docs/scene-format.md"),
                ),
            );
        }
        return (
            Err(Failure {
                diagnostics,
                sources,
            }),
            symbols,
        );
    };
    let decl = Cow::Owned(Declarations {
        held,
        ..Declarations::default()
    });
    let mut cx = Compiler::new(&sources, diagnostics, decl, split, symbols);
    let result = cx.compile(story_file, raw_story, chapters, fingerprint);
    let symbols = cx.symbols.take().map(Symbols::finish);
    // The compiler only borrowed the sources: they move into the result
    // (a story keeps them for its diagnostics), never copied.
    let result = match result {
        Ok(story) => Ok(Story { sources, ..story }),
        Err(failure) => Err(Failure { sources, ..failure }),
    };
    (result, symbols)
}

/// A file read: parsed, with what was found in it, or not parsed.
#[derive(Clone)]
enum Read {
    Parsed {
        /// Boxed: the raw structs are large, and an unreadable file has none.
        parsed: Box<Parsed>,
        /// The control characters in the strings the parser produced
        /// (E038): how many, and the first.
        hostile: Option<(usize, char)>,
        /// Problems found in the parsed text: a string that swallowed the
        /// file (E007), `Some(..)` or `None` (E008).
        problems: Vec<Diagnostic>,
        /// The ids in strings that swallowed scenes.
        swallowed: Vec<String>,
    },
    Unreadable {
        errors: Vec<Diagnostic>,
        /// The names the file would declare, read off its tokens.
        sketch: Sketch,
        is_story: bool,
    },
}

#[derive(Clone)]
enum Parsed {
    Story(RawStory),
    Chapter(RawChapter, Located),
}

/// What the files that cannot be read would declare: the unknown names
/// the compile holds back, or names in its help.
#[derive(Clone, Default)]
struct Held {
    /// Names an unreadable chapter's text declares, or a swallowed scene
    /// did: an unknown one of these is not reported (fixing the file
    /// declares it).
    names: std::collections::HashSet<(Kind, String), foldhash::fast::RandomState>,
    /// Unreadable chapters whose names could not all be read (an unclosed
    /// string, a bracket out of place): an unknown name's help names them.
    files: Vec<String>,
    /// A file the loader could not read at all (E037, E041).
    opaque: bool,
    /// Whether any chapter cannot be read.
    chapters: bool,
}

/// At most this many syntax errors are reported per file.
const SYNTAX_ERRORS_SHOWN: usize = 20;

/// Parses one file (on a parsing thread), with the checks that read its
/// text: or, when it does not parse, every syntax error that can be found
/// in it and the names it would declare.
fn read_file(source: &Source, file: FileId, is_story: bool, options: &ron::Options) -> Read {
    let hostile = |raw: &dyn Strings| {
        let (mut count, mut first) = (0, None);
        raw.strings(&mut |s| {
            if s.bytes().any(|b| b < 0x20 || b == 0x7f || b == 0xc2) {
                for c in s.chars().filter(|&c| is_terminal_control(c)) {
                    count += 1;
                    first.get_or_insert(c);
                }
            }
        });
        first.map(|c| (count, c))
    };
    let parsed = if is_story {
        options.from_str::<RawStory>(&source.text).map(|raw| {
            let problems = some_or_none(source, file);
            Read::Parsed {
                hostile: hostile(&raw),
                parsed: Box::new(Parsed::Story(raw)),
                problems,
                swallowed: Vec::new(),
            }
        })
    } else {
        options.from_str::<RawChapter>(&source.text).map(|raw| {
            let located = Located::new(source, &raw);
            let (mut problems, swallowed) = swallowed_structure(source, file, &raw);
            problems.extend(some_or_none(source, file));
            Read::Parsed {
                hostile: hostile(&raw),
                parsed: Box::new(Parsed::Chapter(raw, located)),
                problems,
                swallowed,
            }
        })
    };
    parsed.unwrap_or_else(|e| {
        let tokens = Tokens::new(&source.text);
        let kind = if is_story {
            FileKind::Story
        } else {
            FileKind::Chapter
        };
        let errors = syntax_errors(source, file, &tokens, kind, &e, options);
        let sketch = if is_story {
            Sketch::default()
        } else {
            ron_syntax::sketch(&tokens)
        };
        Read::Unreadable {
            errors,
            sketch,
            is_story,
        }
    })
}

/// Every syntax error of a file that does not parse: ron's, then, in a
/// chapter, those of each scene after it, each scene read on its own from
/// where it begins (found by its brackets, or by its layout where brackets
/// out of place hide it).
fn syntax_errors(
    source: &Source,
    file: FileId,
    tokens: &Tokens<'_>,
    kind: FileKind,
    e: &ron::error::SpannedError,
    options: &ron::Options,
) -> Vec<Diagnostic> {
    use serde::Deserialize as _;
    let start = source.offset(e.span.start.line, e.span.start.col);
    let end = source.offset(e.span.end.line, e.span.end.col).max(start);
    let mut walker = Walker::default();
    let mut out = vec![ron_error(
        source,
        file,
        tokens,
        walker.to(tokens, start),
        kind,
        &e.code,
        start,
        end,
    )];
    if kind == FileKind::Story {
        return out;
    }
    let later: Vec<usize> = ron_syntax::scene_starts(tokens, start)
        .into_iter()
        .map(|i| tokens.list[i].start)
        .filter(|&s| s >= start)
        .collect();
    for (k, &scene) in later.iter().enumerate() {
        if out.len() > SYNTAX_ERRORS_SHOWN {
            break;
        }
        let until = later.get(k + 1).copied().unwrap_or(source.text.len());
        let slice = &source.text[scene..until];
        let Ok(mut de) = ron::Deserializer::from_str_with_options(slice, options) else {
            continue;
        };
        let Err(code) = RawScene::deserialize(&mut de) else {
            continue;
        };
        let e = de.span_error(code);
        let at = offset_of(source, scene, e.span.start.line, e.span.start.col);
        let to = offset_of(source, scene, e.span.end.line, e.span.end.col).max(at);
        let d = if at >= scene + slice.trim_end().len() || e.code == ron::error::Error::Eof {
            // The scene runs into the next one: it is not closed.
            ron_syntax_unclosed_scene(source, file, tokens, scene, until)
        } else {
            ron_error(
                source,
                file,
                tokens,
                walker.to(tokens, at),
                kind,
                &e.code,
                at,
                to,
            )
        };
        let repeated = out.iter().any(|o| {
            o.message == d.message
                && o.primary.as_ref().map(|p| p.span) == d.primary.as_ref().map(|p| p.span)
        });
        if !repeated {
            out.push(d);
        }
    }
    if out.len() > SYNTAX_ERRORS_SHOWN {
        out.truncate(SYNTAX_ERRORS_SHOWN);
        let name = &source.name;
        out.push(Diagnostic::error(
            Code::E001,
            format!("more scenes of `{name}` cannot be read: the first {SYNTAX_ERRORS_SHOWN} errors are shown"),
        ));
    }
    out
}

/// A scene read on its own that ran into the next scene's start.
fn ron_syntax_unclosed_scene(
    source: &Source,
    file: FileId,
    tokens: &Tokens<'_>,
    scene: usize,
    next: usize,
) -> Diagnostic {
    let i = tokens.index_at(scene);
    let name = (tokens.is_key(i + 1) && tokens.text_of(i + 1) == "id")
        .then(|| tokens.plain_string(i + 3))
        .flatten();
    let owner = name.map_or_else(|| "this scene".to_string(), |n| format!("scene `{n}`"));
    let span = |start: usize| Span {
        file,
        start,
        end: (start + 1).min(source.text.len()),
    };
    let mut d = Diagnostic::error(
        Code::E001,
        format!("{owner} is not closed before the next scene"),
    )
    .at(span(scene), "this `(` is never closed");
    if next < source.text.len() {
        d = d.related(span(next), "the next scene starts here");
    }
    d.help("close each scene with `)`, and every bracket opened inside it")
}

/// E004 for a story file named in another case: `Story.ron`.
fn misnamed_story_file(name: &str) -> Diagnostic {
    Diagnostic::error(
        Code::E004,
        format!("the story file is named `{name}`, not `{STORY_FILE}`"),
    )
    .help(format!(
        "rename `{name}` to `{STORY_FILE}`: the name is lowercase, whatever the file system"
    ))
}

/// E008 for each `Some(..)` and `None` written as a value. A file that
/// holds neither word is not read again.
fn some_or_none(source: &Source, file: FileId) -> Vec<Diagnostic> {
    let bytes = source.text.as_bytes();
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let candidate = |needle: &[u8]| {
        memchr::memmem::find_iter(bytes, needle)
            .any(|i| (i == 0 || !word(bytes[i - 1])) && !bytes.get(i + 4).is_some_and(|&b| word(b)))
    };
    if !candidate(b"Some") && !candidate(b"None") {
        return Vec::new();
    }
    let tokens = Tokens::new(&source.text);
    let mut out = Vec::new();
    for i in 0..tokens.list.len() {
        if tokens.list[i].kind != Tok::Ident {
            continue;
        }
        let next = tokens.list.get(i + 1).map(|t| t.kind);
        let value = i > 0
            && matches!(
                tokens.list[i - 1].kind,
                Tok::Colon | Tok::Comma | Tok::Open(_)
            );
        let found = match tokens.text_of(i) {
            "Some" => next == Some(Tok::Open(b'(')),
            "None" => true,
            _ => false,
        };
        if found && value {
            out.push(some_or_none_diagnostic(&tokens, file, i));
        }
    }
    out
}

/// E007: a text holding the story's own structure (`choices: [`,
/// `id: "..."`) most likely did not end where it was meant to, and
/// swallowed what followed: a raw string closed with `"` instead of `"#`
/// runs on to the next `"#`, and the scenes in between are read as prose.
/// The diagnostics, at where each such string begins, and the ids it
/// swallowed.
fn swallowed_structure(
    source: &Source,
    file: FileId,
    raw: &RawChapter,
) -> (Vec<Diagnostic>, Vec<String>) {
    let mut found = Swallowed {
        source,
        file,
        tokens: None,
        cursor: 0,
        diagnostics: Vec::new(),
        ids: Vec::new(),
    };
    for scene in &raw.scenes {
        let id = &scene.id;
        found.check(&scene.text, || format!("the text of scene `{id}`"));
        for effect in &scene.on_enter {
            if let RawEffect::Say(text) = effect {
                found.check(text, || format!("a `Say` of scene `{id}`"));
            }
        }
        for c in &scene.choices {
            let key = &c.key;
            found.check(&c.text, || {
                format!("the text of choice `{key}` in scene `{id}`")
            });
            let says = c.effects.iter().chain(
                c.check
                    .iter()
                    .flat_map(|k| k.success.iter().chain(&k.failure))
                    .flat_map(|b| &b.effects),
            );
            for effect in says {
                if let RawEffect::Say(text) = effect {
                    found.check(text, || {
                        format!("a `Say` of choice `{key}` in scene `{id}`")
                    });
                }
            }
            if let Some(check) = &c.check {
                for (which, branch) in [("success", &check.success), ("failure", &check.failure)] {
                    if let Some(text) = branch.as_ref().and_then(|b| b.text.as_ref()) {
                        found.check(text, || {
                            format!("the `{which}` text of choice `{key}` in scene `{id}`")
                        });
                    }
                }
            }
        }
    }
    (found.diagnostics, found.ids)
}

/// The state of `swallowed_structure`: the file's tokens, read at the
/// first suspect string, and where the last string was found.
struct Swallowed<'s> {
    source: &'s Source,
    file: FileId,
    tokens: Option<Tokens<'s>>,
    cursor: usize,
    diagnostics: Vec<Diagnostic>,
    ids: Vec<String>,
}

impl<'s> Swallowed<'s> {
    fn check(&mut self, text: &str, owner: impl FnOnce() -> String) {
        let Some((key_start, key_end)) = ron_syntax::structure_in(text) else {
            return;
        };
        let tokens = self
            .tokens
            .get_or_insert_with(|| Tokens::new(&self.source.text));
        // The string literal whose value this is: the first after the last
        // one found.
        let from = tokens.index_at(self.cursor);
        let literal = (from..tokens.list.len()).find(|&i| {
            matches!(tokens.list[i].kind, Tok::Str { closed: true, .. })
                && match tokens.plain_string(i) {
                    Some(s) => s == text,
                    None => ron::from_str::<String>(tokens.text_of(i)).is_ok_and(|s| s == text),
                }
        });
        let Some(literal) = literal else {
            return;
        };
        let t = tokens.list[literal];
        self.cursor = t.end;
        let written = tokens.text_of(literal);
        let hashes = written
            .strip_prefix('r')
            .map(|r| r.bytes().take_while(|&b| b == b'#').count());
        let opener = hashes.map_or(1, |h| h + 2);
        let span = |start: usize, end: usize| Span {
            file: self.file,
            start,
            end,
        };
        // Where the structure is in the file: found by its text inside the
        // literal (the same bytes in a raw string).
        let structure = &text[key_start..key_end];
        let inside =
            memchr::memmem::find(written.as_bytes(), structure.as_bytes()).map(|i| t.start + i);
        let ids = ron_syntax::ids_in(text);
        let swallowed: Vec<String> = ids.iter().map(|(id, _)| id.to_string()).collect();
        let message = format!("{} runs on into the file's structure", owner());
        let mut d = Diagnostic::error(Code::E007, message)
            .at(span(t.start, t.start + opener), "the string starts here");
        // The first structure read as prose, and the first scene lost.
        let first_id = ids.first().and_then(|(id, (s, e))| {
            let at = memchr::memmem::find(written.as_bytes(), &text.as_bytes()[*s..*e])?;
            Some((id, t.start + at, t.start + at + (e - s)))
        });
        if let Some(at) = inside
            && first_id.is_none_or(|(_, s, _)| s != at)
        {
            let label = format!("`{}` is read as prose", structure.trim_end());
            d = d.related(span(at, at + structure.len()), label);
        }
        if let Some((id, s, e)) = first_id {
            d = d.related(
                span(s, e),
                format!("read as prose: scene `{id}` does not exist"),
            );
        }
        let into = match swallowed.first() {
            Some(id) => format!("runs on into scene `{id}`"),
            None => "runs on past the fields after it".to_string(),
        };
        let help = match hashes {
            Some(h) if h > 0 => {
                let hashes = "#".repeat(h);
                format!(
                    "a raw string opened with `r{hashes}\"` ends only at `\"{hashes}`: the string that starts here {into}; close it with `\"{hashes}` where the text ends"
                )
            }
            _ => format!(
                "a string ends at the first `\"` without a `\\` before it: the string that starts here {into}; look for a closing quote written `\\\"`, or one missing"
            ),
        };
        self.diagnostics.push(d.help(help));
        self.ids.extend(swallowed);
    }
}

/// Where a chapter's scenes and their choices' keys are in its source,
/// found beside its parsing (on the parsing threads): the searches read the
/// whole file, while it is still in the cache.
#[derive(Clone)]
struct Located {
    /// Each scene's start and the span of its id, in order.
    scenes: Vec<(usize, Option<(usize, usize)>)>,
    /// The span of each choice's key, scene after scene.
    keys: Vec<Option<(usize, usize)>>,
}

impl Located {
    fn new(source: &Source, ch: &RawChapter) -> Located {
        let scenes_start = source
            .find_key(0, usize::MAX, "scenes")
            .map_or(0, |(s, _)| s);
        let mut scenes = Vec::with_capacity(ch.scenes.len());
        let mut at = scenes_start;
        for scene in &ch.scenes {
            let span = source.find_field_exact(at, usize::MAX, "id", &scene.id);
            let start = span.map_or(at, |(s, _)| s);
            scenes.push((start, span));
            if let Some((_, e)) = span {
                at = e;
            }
            // The id of the scene's ending is an `id` too: the next scene's
            // is searched after it, so that an ending named like the next
            // scene is not taken for it.
            if let Some(ending) = &scene.ending
                && let Some((_, e)) = source.find_field_exact(at, usize::MAX, "id", &ending.id)
            {
                at = e;
            }
        }
        let mut keys = Vec::with_capacity(ch.scenes.iter().map(|s| s.choices.len()).sum());
        for (i, scene) in ch.scenes.iter().enumerate() {
            // The scene's region: from its start to the next one's.
            let (start, end) = (
                scenes[i].0,
                scenes.get(i + 1).map_or(source.text.len(), |s| s.0),
            );
            let mut at = start;
            for c in &scene.choices {
                let found = source.find_field_exact(at, end, "key", &c.key);
                if let Some((_, e)) = found {
                    at = e;
                }
                keys.push(found);
            }
        }
        Located { scenes, keys }
    }
}

/// Titles and names (of the story, chapters, scenes, endings, variables,
/// items and crew) are at most this many characters (E039); ids are at
/// most 200 (E035).
pub(crate) const MAX_TITLE: usize = 500;

/// What a character is, when it may not be in a title or a name (E040): a
/// carriage return moves back over a line, the bidirectional controls
/// reorder what follows, the zero-width characters make two names that look
/// alike differ.
fn hidden_in_a_name(c: char) -> Option<&'static str> {
    match c {
        '\r' => Some("a carriage return"),
        '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => Some("a bidirectional control"),
        '\u{200b}'..='\u{200d}' | '\u{feff}' => Some("a zero-width character"),
        _ => None,
    }
}

/// Control characters reported per file; the rest are counted.
const CONTROL_SHOWN: usize = 10;

/// E038 for each control character a file would put on the terminal.
///
/// Whether there are any is decided by `parsed`: how many the strings the
/// parser produced hold, and the first (`None` for a file that did not
/// parse). Where they are is found by scanning the text the way RON reads
/// it; should the scan find none where the parser found some, one E038 at
/// the start of the file still says so.
fn control_characters(
    sources: &Sources,
    file: FileId,
    parsed: Option<(usize, char)>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let (found, scanned) = sources.get(file).control_characters(CONTROL_SHOWN + 1);
    let total = parsed.map_or(scanned, |(count, _)| count.max(scanned));
    if found.is_empty()
        && let Some((_, c)) = parsed
    {
        diagnostics.push(
            Diagnostic::error(
                Code::E038,
                format!(
                    "a control character (U+{:04X}) in the story's text",
                    u32::from(c)
                ),
            )
            .at(
                Span {
                    file,
                    start: 0,
                    end: 0,
                },
                "in a string of this file",
            )
            .help(
                "control characters can recolour the screen, retitle the window or write to \
                 the clipboard: stories may hold newlines and tabs, and no other",
            ),
        );
        return;
    }
    for &(start, end, c) in found.iter().take(CONTROL_SHOWN) {
        diagnostics.push(
            Diagnostic::error(
                Code::E038,
                format!(
                    "a control character (U+{:04X}) in the story's text",
                    u32::from(c)
                ),
            )
            .at(Span { file, start, end }, "a terminal would act on this")
            .help(
                "control characters can recolour the screen, retitle the window or write to \
                 the clipboard: stories may hold newlines and tabs, and no other",
            ),
        );
    }
    if let Some(&(start, end, _)) = found.get(CONTROL_SHOWN) {
        diagnostics.push(
            Diagnostic::error(
                Code::E038,
                format!(
                    "{} more control characters in `{}`",
                    total - CONTROL_SHOWN,
                    sources.get(file).name
                ),
            )
            .at(Span { file, start, end }, "the next one"),
        );
    }
}

/// The compiler's hash maps. Their keys are short names looked up a few
/// times each, where SipHash costs more than the rest of the lookup;
/// foldhash's seed is random per process, so a story cannot be written to
/// make its names collide and its compile quadratic.
type NameMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// Names of one kind, with their id and where they were declared.
#[derive(Clone)]
struct Table<I> {
    map: NameMap<String, (I, Span)>,
    order: Vec<String>,
}

impl<I> Default for Table<I> {
    fn default() -> Self {
        Table {
            map: NameMap::default(),
            order: Vec::new(),
        }
    }
}

impl<I: Copy> Table<I> {
    fn get(&self, name: &str) -> Option<I> {
        self.map.get(name).map(|(i, _)| *i)
    }

    fn suggest(&self, name: &str, budget: &mut usize) -> Option<&str> {
        suggest_within(name, self.order.iter().map(String::as_str), budget)
    }

    /// The next id, and where `name` was first declared if it already was.
    fn slot(&self, name: &str) -> (usize, Option<Span>) {
        (self.order.len(), self.map.get(name).map(|(_, s)| *s))
    }
}

/// What the declarations say: the names of every kind, with what is
/// declared of each. Complete before any scene's body is compiled.
#[derive(Clone, Default)]
struct Declarations {
    vars: Table<VarId>,
    flags: Table<FlagId>,
    items: Table<ItemId>,
    crew: Table<CrewId>,
    scenes: Table<SceneId>,
    endings: Table<EndingId>,
    variables: Vec<Variable>,
    flag_list: Vec<Named>,
    item_list: Vec<Item>,
    crew_list: Vec<Crew>,
    /// Each ending's scene, by ending id: what `ending x` in a condition
    /// reads.
    ending_scenes: Vec<SceneId>,
    /// What the files that cannot be read would declare.
    held: Held,
}

struct Compiler<'a> {
    sources: &'a Sources,
    diagnostics: Vec<Diagnostic>,
    /// Every name the story declares. Owned while the declarations are
    /// read; shared, read only, by the compilers of the scenes' bodies.
    decl: Cow<'a, Declarations>,
    /// The `met` of each item and crew member that has one, with where its
    /// declaration starts: resolved once every name is declared.
    mets: Vec<(Kind, usize, Region, String)>,
    /// Did-you-mean work left for this compile (see `suggest_within`).
    suggest_budget: usize,
    suggested: NameMap<(Kind, String), Option<String>>,
    /// The string literal names were last found in, by where its content
    /// starts: a string's names are placed one after another, so it is read
    /// once however many names it holds (and one entry costs nothing per
    /// string of a large story).
    literal: std::cell::RefCell<Option<((FileId, usize), Literal)>>,
    /// The scene whose texts are being compiled: its visits drive their
    /// variations.
    text_scene: SceneId,
    /// Shuffles met so far in that scene: each one's salt.
    shuffles: u32,
    /// Whether the text being compiled is a scene's own, the one text an
    /// `{assume}` may stand in.
    scene_text: bool,
    /// Every `{#line:ID}` met, where, and how many diagnostics came
    /// before it: checked for ids used twice (E052) once all are met.
    lines: Vec<(String, Span, usize)>,
    /// Unknown names whose did-you-mean is still to find, each with its
    /// diagnostic's index: found in order once the compile is done, so
    /// that the budget is spent as one thread would spend it.
    pending: Vec<(usize, Kind, String)>,
    /// Whether the scenes' bodies may be compiled on two threads.
    split: Split,
    /// Where each name is declared and referenced, when asked for.
    symbols: Option<Symbols>,
}

/// Where in the source a scene or choice lives, to search for its references.
#[derive(Clone, Copy)]
struct Region {
    file: FileId,
    start: usize,
    end: usize,
}

/// The kinds of names a story declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Variable,
    Flag,
    Item,
    Crew,
    Scene,
    Ending,
}

impl Kind {
    /// The kind as a diagnostic names it: `scene`, `crew member`.
    pub fn word(self) -> &'static str {
        match self {
            Kind::Variable => "variable",
            Kind::Flag => "flag",
            Kind::Item => "item",
            Kind::Crew => "crew member",
            Kind::Scene => "scene",
            Kind::Ending => "ending",
        }
    }

    fn unknown_code(self) -> Code {
        match self {
            Kind::Scene => Code::E011,
            Kind::Variable => Code::E012,
            Kind::Flag => Code::E013,
            Kind::Item => Code::E014,
            Kind::Crew => Code::E015,
            Kind::Ending => Code::E016,
        }
    }
}

impl<'a> Compiler<'a> {
    /// A compiler with nothing compiled yet, over `decl`.
    fn new(
        sources: &'a Sources,
        diagnostics: Vec<Diagnostic>,
        decl: Cow<'a, Declarations>,
        split: Split,
        symbols: Option<Symbols>,
    ) -> Compiler<'a> {
        Compiler {
            sources,
            diagnostics,
            decl,
            mets: Vec::new(),
            suggest_budget: SUGGEST_WORK,
            suggested: NameMap::default(),
            literal: std::cell::RefCell::default(),
            text_scene: SceneId(0),
            scene_text: false,
            shuffles: 0,
            lines: Vec::new(),
            pending: Vec::new(),
            split,
            symbols,
        }
    }
}

impl Compiler<'_> {
    fn compile(
        &mut self,
        story_file: FileId,
        raw: RawStory,
        chapters: Vec<(FileId, RawChapter, Located)>,
        fingerprint: String,
    ) -> Result<Story, Failure> {
        let whole = |file: FileId| Region {
            file,
            start: 0,
            end: self.sources.get(file).text.len(),
        };
        // Declarations: the story file's first, then each chapter's.
        let story_region = whole(story_file);
        let mut cursor = Cursor::default();
        for v in &raw.variables {
            self.declare_variable(story_region, &mut cursor, v);
        }
        for f in &raw.flags {
            self.declare_flag(story_region, &mut cursor, f);
        }
        for i in &raw.items {
            self.declare_item(story_region, &mut cursor, i);
        }
        self.check_name(story_region, "title", &raw.title, || {
            "the story's title".into()
        });
        if let Some(author) = &raw.author {
            self.check_name(story_region, "author", author, || {
                "the story's author".into()
            });
        }
        for c in &raw.crew {
            let span = self.locate_decl(story_region, &mut cursor.crew, &c.id);
            self.check_id(&c.id, span);
            let after = Region {
                start: span.start,
                ..story_region
            };
            self.check_name(after, "name", &c.name, || {
                format!("the name of crew member `{}`", c.id)
            });
            if let Some(role) = &c.role {
                self.check_name(after, "role", role, || {
                    format!("the role of crew member `{}`", c.id)
                });
            }
            if let Some(span) = self.declare(Kind::Crew, &c.id, span) {
                if let Some(met) = &c.met {
                    self.mets
                        .push((Kind::Crew, self.decl.crew_list.len(), after, met.clone()));
                }
                self.decl.to_mut().crew_list.push(Crew {
                    id: c.id.clone(),
                    name: c.name.clone(),
                    role: c.role.clone(),
                    met: None,
                    span,
                });
            }
        }
        for (file, ch, _) in &chapters {
            let region = whole(*file);
            let mut cursor = Cursor::default();
            for v in &ch.variables {
                self.declare_variable(region, &mut cursor, v);
            }
            for f in &ch.flags {
                self.declare_flag(region, &mut cursor, f);
            }
            for i in &ch.items {
                self.declare_item(region, &mut cursor, i);
            }
        }

        // Scenes and endings: ids first, so that references resolve in any order.
        let mut located: Vec<(ChapterId, Region, Span, &RawScene)> = Vec::new();
        let mut chapter_list = Vec::new();
        for (file, ch, found) in &chapters {
            let chapter = ChapterId(chapter_list.len() as u32);
            chapter_list.push(Chapter {
                title: ch.title.clone(),
                file: *file,
            });
            let shown = &self.sources.get(*file).name;
            self.check_name(whole(*file), "title", &ch.title, || {
                format!("the title of the chapter in `{shown}`")
            });
            let source = self.sources.get(*file);
            let starts = &found.scenes;
            for (i, scene) in ch.scenes.iter().enumerate() {
                let (start, span) = starts[i];
                let end = starts.get(i + 1).map_or(source.text.len(), |s| s.0);
                let region = Region {
                    file: *file,
                    start,
                    end,
                };
                let id_span = span.map_or(
                    Span {
                        file: *file,
                        start,
                        end: start,
                    },
                    |(s, e)| Span {
                        file: *file,
                        start: s,
                        end: e,
                    },
                );
                self.check_id(&scene.id, id_span);
                self.declare(Kind::Scene, &scene.id, id_span);
                self.check_name(region, "title", &scene.title, || {
                    format!("the title of scene `{}`", scene.id)
                });
                located.push((chapter, region, id_span, scene));
            }
        }
        let mut ending_list = Vec::new();
        // The ending each scene declares, when it was declared.
        let mut ending_of: NameMap<usize, EndingId> = NameMap::default();
        for (index, (_, region, _, scene)) in located.iter().enumerate() {
            if let Some(ending) = &scene.ending {
                // The ending's own `id`, after its `ending:` key (a scene
                // and its ending often share a name).
                let after = self
                    .sources
                    .get(region.file)
                    .find_key(region.start, region.end, "ending")
                    .map_or(*region, |(_, v)| Region {
                        start: v,
                        ..*region
                    });
                let span = self.span_of(after, "id", &ending.id);
                self.check_id(&ending.id, span);
                self.check_name(after, "title", &ending.title, || {
                    format!("the title of ending `{}`", ending.id)
                });
                if self.declare(Kind::Ending, &ending.id, span).is_some() {
                    ending_of.insert(index, EndingId(ending_list.len() as u32));
                    self.decl.to_mut().ending_scenes.push(SceneId(index as u32));
                    ending_list.push(Ending {
                        id: ending.id.clone(),
                        title: ending.title.clone(),
                        kind: match ending.kind {
                            RawEndingKind::Good => EndingKind::Good,
                            RawEndingKind::Bittersweet => EndingKind::Bittersweet,
                            RawEndingKind::Bad => EndingKind::Bad,
                        },
                        scene: SceneId(index as u32),
                        hint: ending.hint.clone(),
                    });
                }
            }
        }
        // Every name is declared: the `met` conditions can resolve, and the
        // invariants.
        self.resolve_mets();
        let mut invariants = Vec::new();
        for rule in self.invariant_list(story_region, &raw.invariants) {
            invariants.push(Invariant {
                rule,
                scope: Scope::Story,
            });
        }
        for (i, (file, ch, _)) in chapters.iter().enumerate() {
            for rule in self.invariant_list(whole(*file), &ch.invariants) {
                invariants.push(Invariant {
                    rule,
                    scope: Scope::Chapter(ChapterId(i as u32)),
                });
            }
        }

        // Bodies. Each raw scene is consumed as it is compiled, so that the
        // raw story shrinks as the compiled one grows.
        let places: Vec<(ChapterId, Region, Span)> =
            located.into_iter().map(|(c, r, s, _)| (c, r, s)).collect();
        let (scenes, mut choices) = self.all_bodies(&places, chapters, &ending_of);
        self.line_ids_used_twice();

        if self.symbols.is_some() {
            let span = self.span_of(story_region, "start", &raw.start);
            if let Some(symbols) = &mut self.symbols {
                symbols.referenced(Kind::Scene, &raw.start, span, Usage::Start);
            }
        }
        let start = match self.decl.scenes.get(&raw.start) {
            Some(s) => Some(s),
            // With a chapter that cannot be read, scenes may yet be there.
            None if places.is_empty() && !self.decl.held.chapters => {
                self.diagnostics.push(
                    Diagnostic::error(Code::E005, "the story has no scenes")
                        .at(self.span_of(story_region, "start", &raw.start), "the start scene is never defined")
                        .help("scenes live in chapter files: any other `.ron` file beside `story.ron`"),
                );
                None
            }
            None => {
                let span = self.span_of(story_region, "start", &raw.start);
                self.unknown(Kind::Scene, &raw.start, span);
                None
            }
        };
        let mut inventory = Vec::new();
        for i in &raw.inventory {
            let span = self.span_of_string(story_region, i);
            if let Some(id) = self.resolve(Kind::Item, i, span, Usage::Inventory) {
                inventory.push(ItemId(id));
            }
        }
        // Tunnels, once every choice has its place: on a story without
        // errors, so that a choice dropped by one does not look like a
        // missing way in or out.
        let mut tunnel_depth = 0;
        if let Some(start) = start
            && self.diagnostics.iter().all(|d| !d.is_error())
        {
            let found = tunnels::analyse(start, &scenes, &mut choices);
            tunnel_depth = found.depth;
            self.tunnel_problems(&scenes, &choices, found.problems);
        }
        self.suggest_pending();
        let diagnostics = std::mem::take(&mut self.diagnostics);
        match start {
            Some(start) if diagnostics.iter().all(|d| !d.is_error()) => Ok(Story::indexed(Story {
                title: raw.title,
                author: raw.author,
                start,
                variables: std::mem::take(&mut self.decl.to_mut().variables),
                flags: std::mem::take(&mut self.decl.to_mut().flag_list),
                items: std::mem::take(&mut self.decl.to_mut().item_list),
                crew: std::mem::take(&mut self.decl.to_mut().crew_list),
                inventory,
                chapters: chapter_list,
                scenes,
                choices,
                endings: ending_list,
                invariants,
                tunnel_depth,
                fingerprint,
                sources: Sources::default(),
                lookup: Lookup::default(),
            })),
            _ => Err(Failure {
                diagnostics,
                sources: Sources::default(),
            }),
        }
    }

    /// Compiles the bodies of the scenes: on two threads for a large
    /// story (see `Split`), else on this one. Either way the scenes, the
    /// choices and the diagnostics come out as one thread gives them.
    fn all_bodies(
        &mut self,
        places: &[(ChapterId, Region, Span)],
        mut chapters: Vec<(FileId, RawChapter, Located)>,
        ending_of: &NameMap<usize, EndingId>,
    ) -> (Vec<Scene>, Vec<Choice>) {
        // Cut between chapters, where about half the scenes are before.
        let total: usize = chapters.iter().map(|(_, ch, _)| ch.scenes.len()).sum();
        let bytes: usize = chapters
            .iter()
            .map(|(f, _, _)| self.sources.get(*f).text.len())
            .sum();
        let mut before = 0;
        let cut = chapters
            .iter()
            .position(|(_, ch, _)| {
                before += ch.scenes.len();
                2 * before >= total
            })
            .map_or(chapters.len(), |i| i + 1);
        let split = match self.split {
            Split::Never => false,
            Split::Always => true,
            Split::Auto => {
                bytes >= load::PARALLEL_FROM
                    && std::thread::available_parallelism().is_ok_and(|n| n.get() > 1)
            }
        };
        if !split || self.symbols.is_some() || cut == 0 || cut >= chapters.len() {
            return self.bodies(0, places, chapters, ending_of);
        }
        let later = chapters.split_off(cut);
        let first_later = before;
        // The declarations move out of this compiler for the while, to be
        // shared by both; each thread keeps its own diagnostics.
        let decl = std::mem::take(&mut self.decl).into_owned();
        let worker = |diagnostics| {
            Compiler::new(
                self.sources,
                diagnostics,
                Cow::Borrowed(&decl),
                Split::Never,
                None,
            )
        };
        let mut here = worker(std::mem::take(&mut self.diagnostics));
        let mut there = worker(Vec::new());
        let ((mut scenes, mut choices), (later_scenes, later_choices)) =
            std::thread::scope(|scope| {
                let (early, late) = places.split_at(first_later);
                let thread = scope.spawn(|| there.bodies(first_later, late, later, ending_of));
                let early = here.bodies(0, early, chapters, ending_of);
                let late = thread
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
                (early, late)
            });
        // The later half's choices and diagnostics go after the earlier's.
        let offset = choices.len() as u32;
        let shift = here.diagnostics.len();
        let (here_lines, here_pending) = (here.lines, here.pending);
        let (there_lines, there_pending) = (there.lines, there.pending);
        self.diagnostics = here.diagnostics;
        self.diagnostics.extend(there.diagnostics);
        self.lines.extend(here_lines);
        self.lines.extend(
            there_lines
                .into_iter()
                .map(|(id, span, at)| (id, span, at + shift)),
        );
        self.pending.extend(here_pending);
        self.pending.extend(
            there_pending
                .into_iter()
                .map(|(at, kind, name)| (at + shift, kind, name)),
        );
        for mut scene in later_scenes {
            for c in &mut scene.choices {
                c.0 += offset;
            }
            scenes.push(scene);
        }
        choices.extend(later_choices);
        self.decl = Cow::Owned(decl);
        (scenes, choices)
    }

    /// Compiles the bodies of `chapters`' scenes, the first of which is
    /// scene `first`, at `places`. Each raw scene is consumed as it is
    /// compiled, so that the raw story shrinks as the compiled one grows.
    fn bodies(
        &mut self,
        first: usize,
        places: &[(ChapterId, Region, Span)],
        chapters: Vec<(FileId, RawChapter, Located)>,
        ending_of: &NameMap<usize, EndingId>,
    ) -> (Vec<Scene>, Vec<Choice>) {
        let mut scenes = Vec::with_capacity(places.len());
        let mut choices = Vec::with_capacity(
            chapters
                .iter()
                .flat_map(|(_, ch, _)| &ch.scenes)
                .map(|s| s.choices.len())
                .sum(),
        );
        // With each scene, the spans of its choices' keys.
        let raw_scenes = chapters.into_iter().flat_map(|(_, ch, located)| {
            let mut keys = located.keys.into_iter();
            ch.scenes.into_iter().map(move |scene| {
                let spans: Vec<_> = keys.by_ref().take(scene.choices.len()).collect();
                (scene, spans)
            })
        });
        for (index, ((chapter, region, scene_span), (raw, key_spans))) in
            places.iter().zip(raw_scenes).enumerate()
        {
            let scene_span = *scene_span;
            let index = first + index;
            let scene_id = SceneId(index as u32);
            self.text_scene = scene_id;
            self.shuffles = 0;
            self.scene_text = true;
            let text = self.text(*region, "text", &raw.text);
            self.scene_text = false;
            let assume = raw
                .assume
                .as_deref()
                .map(|src| self.assumption_field(*region, "assume", src));
            let tags = self.tags(*region, &raw.tags, false);
            let on_enter = self.effects(*region, &raw.on_enter);
            let mut ids = Vec::new();
            let has_choices = !raw.choices.is_empty();
            for (i, c) in raw.choices.into_iter().enumerate() {
                let start = key_spans[i].map_or(region.start, |(s, _)| s);
                let end = key_spans[i + 1..]
                    .iter()
                    .flatten()
                    .next()
                    .map_or(region.end, |(s, _)| *s);
                let choice_region = Region {
                    file: region.file,
                    start,
                    end,
                };
                let span = match key_spans[i] {
                    Some((s, e)) => Span {
                        file: region.file,
                        start: s,
                        end: e,
                    },
                    None => self.region_span(*region),
                };
                if let Some(choice) = self.choice(scene_id, choice_region, span, c) {
                    ids.push(ChoiceId(choices.len() as u32));
                    choices.push(choice);
                }
            }
            if raw.ending.is_none() && !has_choices {
                self.diagnostics.push(
                    Diagnostic::error(
                        Code::E030,
                        format!("scene `{}` has no choices and is not an ending", raw.id),
                    )
                    .at(scene_span, "a player would be stuck here")
                    .help("add a choice, or an `ending: (id: .., title: .., kind: ..)`"),
                );
            }
            if raw.ending.is_some() && has_choices {
                self.diagnostics.push(
                    Diagnostic::error(Code::E031, format!("ending scene `{}` has choices", raw.id))
                        .at(
                            scene_span,
                            "the game stops at an ending; its choices could never be taken",
                        ),
                );
            }
            scenes.push(Scene {
                id: raw.id.into_string(),
                title: raw.title.into_string(),
                chapter: *chapter,
                text,
                on_enter,
                choices: ids,
                ending: ending_of.get(&index).copied(),
                status: raw.status,
                tags,
                assume,
                span: scene_span,
            });
        }

        (scenes, choices)
    }

    /// A `{#line:..}` id used a second time is E052, where it was used:
    /// found once every body is compiled, on however many threads.
    fn line_ids_used_twice(&mut self) {
        let mut first_use: NameMap<&str, Span> = NameMap::default();
        let mut twice = Vec::new();
        for (id, span, at) in &self.lines {
            match first_use.get(id.as_str()) {
                Some(&first) => twice.push((
                    *at,
                    Diagnostic::error(Code::E052, format!("line id `{id}` is used twice"))
                        .at(*span, "used again here")
                        .related(first, "first used here")
                        .help("each `{#line:..}` names one line: give this one an id of its own"),
                )),
                None => {
                    first_use.insert(id, *span);
                }
            }
        }
        if twice.is_empty() {
            return;
        }
        // Each goes where one thread would have pushed it, and the
        // suggestions still to find move with what they belong to.
        for (at, _, _) in &mut self.pending {
            *at += twice.iter().filter(|(k, _)| *k <= *at).count();
        }
        let old = std::mem::take(&mut self.diagnostics);
        let mut twice = twice.into_iter().peekable();
        for (i, d) in old.into_iter().enumerate() {
            while let Some((_, e)) = twice.next_if(|(k, _)| *k <= i) {
                self.diagnostics.push(e);
            }
            self.diagnostics.push(d);
        }
        self.diagnostics.extend(twice.map(|(_, e)| e));
    }

    /// Finds the did-you-mean of every unknown name that waits for one,
    /// in the order they were met, within the compile's budget.
    fn suggest_pending(&mut self) {
        for (at, kind, name) in std::mem::take(&mut self.pending) {
            let near = match self.suggested.get(&(kind, name.clone())) {
                Some(near) => near.clone(),
                None => {
                    let budget = &mut self.suggest_budget;
                    let near = match kind {
                        Kind::Variable => self.decl.vars.suggest(&name, budget),
                        Kind::Flag => self.decl.flags.suggest(&name, budget),
                        Kind::Item => self.decl.items.suggest(&name, budget),
                        Kind::Crew => self.decl.crew.suggest(&name, budget),
                        Kind::Scene => self.decl.scenes.suggest(&name, budget),
                        Kind::Ending => self.decl.endings.suggest(&name, budget),
                    }
                    .map(str::to_string);
                    self.suggested.insert((kind, name.clone()), near.clone());
                    near
                }
            };
            if let Some(near) = near {
                let help = self.unknown_help(kind, &name, None, Some(&near));
                if let Some(d) = self.diagnostics.get_mut(at) {
                    d.help = help;
                }
            }
        }
    }

    /// A condition field the explorer checks (a scene's `assume`), with
    /// the span of its text.
    fn assumption_field(&mut self, region: Region, field: &str, src: &str) -> Assumption {
        let when = self.condition_field(region, field, src);
        let span = self.span_of(region, field, src);
        Assumption { when, span }
    }

    /// The conditions of an `invariants: [..]` list of a file, each with
    /// the span of its text: searched for one after another from the
    /// list's key, so two equal strings get their own places.
    fn invariant_list(&mut self, region: Region, list: &[String]) -> Vec<Assumption> {
        let mut at = self
            .sources
            .get(region.file)
            .find_key(region.start, region.end, "invariants")
            .map_or(region.start, |(_, v)| v);
        let mut out = Vec::with_capacity(list.len());
        for src in list {
            let found = self
                .sources
                .get(region.file)
                .find_quoted(at, region.end, src);
            let (base, span) = match found {
                Some((s, e)) => {
                    at = e;
                    (
                        Some((region.file, s + 1)),
                        Span {
                            file: region.file,
                            start: s + 1,
                            end: e - 1,
                        },
                    )
                }
                None => (
                    None,
                    self.region_span(Region {
                        start: at,
                        ..region
                    }),
                ),
            };
            let when = match condition::parse(src) {
                Ok(expr) => self.condition(region, base, expr),
                Err(e) => {
                    let span = self.inner_span(region, base, &e);
                    self.diagnostics.push(
                        Diagnostic::error(Code::E020, format!("bad condition: {}", e.message))
                            .at(span, ""),
                    );
                    Condition::False
                }
            };
            out.push(Assumption { when, span });
        }
        out
    }

    /// Compiles each declaration's `met`, where it is written.
    fn resolve_mets(&mut self) {
        for (kind, index, region, src) in std::mem::take(&mut self.mets) {
            let when = self.condition_field(region, "met", &src);
            let span = self.span_of(region, "met", &src);
            let met = Some(Met { when, span });
            match kind {
                Kind::Crew => self.decl.to_mut().crew_list[index].met = met,
                Kind::Item => self.decl.to_mut().item_list[index].met = met,
                Kind::Variable | Kind::Flag | Kind::Scene | Kind::Ending => {}
            }
        }
    }

    fn region_span(&self, r: Region) -> Span {
        Span {
            file: r.file,
            start: r.start,
            end: r.start,
        }
    }

    fn locate_decl(&self, region: Region, at: &mut usize, id: &str) -> Span {
        let source = self.sources.get(region.file);
        match source.find_field_exact((*at).max(region.start), region.end, "id", id) {
            Some((s, e)) => {
                *at = e;
                Span {
                    file: region.file,
                    start: s,
                    end: e,
                }
            }
            None => self.span_of_string(region, id),
        }
    }

    fn declare_variable(&mut self, region: Region, cursor: &mut Cursor, v: &RawVariable) {
        let span = self.locate_decl(region, &mut cursor.variables, &v.id);
        self.check_id(&v.id, span);
        if let Some(name) = &v.name {
            let after = Region {
                start: span.start,
                ..region
            };
            self.check_name(after, "name", name, || {
                format!("the name of variable `{}`", v.id)
            });
        }
        let min = v.min.unwrap_or(DEFAULT_MIN);
        let max = v.max.unwrap_or(DEFAULT_MAX);
        // The variable's own fields: from its id to the next one's.
        let own = {
            let source = self.sources.get(region.file);
            let end = source
                .find_key(span.end, region.end, "id")
                .map_or(region.end, |(s, _)| s);
            Region {
                start: span.start,
                end,
                ..region
            }
        };
        // The number as written in the field, else the variable's id.
        let number = |this: &Self, field: &str, n: i64| {
            let at = this.span_of_number(own, field, n);
            if at.start == at.end { span } else { at }
        };
        if min > max {
            let at = number(self, "min", min);
            self.diagnostics.push(
                Diagnostic::error(
                    Code::E034,
                    format!("variable `{}` has `min` {min} above `max` {max}", v.id),
                )
                .at(at, "above `max`"),
            );
        } else if v.initial < min || v.initial > max {
            let at = number(self, "initial", v.initial);
            self.diagnostics.push(
                Diagnostic::error(
                    Code::E034,
                    format!(
                        "variable `{}` starts at {} outside its bounds {min}..={max}",
                        v.id, v.initial
                    ),
                )
                .at(at, format!("outside {min}..={max}")),
            );
        }
        if let Some(span) = self.declare(Kind::Variable, &v.id, span) {
            self.decl.to_mut().variables.push(Variable {
                id: v.id.clone(),
                name: v.name.clone().unwrap_or_else(|| v.id.clone()),
                initial: v.initial.clamp(min, max.max(min)),
                min,
                max: max.max(min),
                hidden: v.hidden,
                span,
            });
        }
    }

    fn declare_flag(&mut self, region: Region, cursor: &mut Cursor, f: &str) {
        let source = self.sources.get(region.file);
        let flags_start = source
            .find_key(region.start, region.end, "flags")
            .map_or(region.start, |(s, _)| s);
        let from = cursor.flags.max(flags_start);
        let span = match source.find_quoted(from, region.end, f) {
            Some((s, e)) => {
                cursor.flags = e;
                Span {
                    file: region.file,
                    start: s + 1,
                    end: e - 1,
                }
            }
            None => self.region_span(region),
        };
        self.check_id(f, span);
        if let Some(span) = self.declare(Kind::Flag, f, span) {
            self.decl.to_mut().flag_list.push(Named {
                id: f.to_string(),
                span,
            });
        }
    }

    fn declare_item(&mut self, region: Region, cursor: &mut Cursor, i: &RawItem) {
        let span = self.locate_decl(region, &mut cursor.items, &i.id);
        self.check_id(&i.id, span);
        let after = Region {
            start: span.start,
            ..region
        };
        self.check_name(after, "name", &i.name, || {
            format!("the name of item `{}`", i.id)
        });
        if let Some(span) = self.declare(Kind::Item, &i.id, span) {
            if let Some(met) = &i.met {
                self.mets
                    .push((Kind::Item, self.decl.item_list.len(), after, met.clone()));
            }
            self.decl.to_mut().item_list.push(Item {
                id: i.id.clone(),
                name: i.name.clone(),
                met: None,
                span,
            });
        }
    }

    /// Records a name; a duplicate is reported with the first definition.
    fn declare(&mut self, kind: Kind, name: &str, span: Span) -> Option<Span> {
        let (len, previous) = match kind {
            Kind::Variable => self.decl.vars.slot(name),
            Kind::Flag => self.decl.flags.slot(name),
            Kind::Item => self.decl.items.slot(name),
            Kind::Crew => self.decl.crew.slot(name),
            Kind::Scene => self.decl.scenes.slot(name),
            Kind::Ending => self.decl.endings.slot(name),
        };
        if let Some(symbols) = &mut self.symbols {
            symbols.declared_at(kind, name, span);
        }
        if let Some(first) = previous {
            self.diagnostics.push(
                Diagnostic::error(Code::E010, format!("duplicate {} `{name}`", kind.word()))
                    .at(span, "defined again here")
                    .related(first, "first defined here"),
            );
            return None;
        }
        let id = len as u32;
        let name = name.to_string();
        match kind {
            Kind::Variable => insert(&mut self.decl.to_mut().vars, name, VarId(id), span),
            Kind::Flag => insert(&mut self.decl.to_mut().flags, name, FlagId(id), span),
            Kind::Item => insert(&mut self.decl.to_mut().items, name, ItemId(id), span),
            Kind::Crew => insert(&mut self.decl.to_mut().crew, name, CrewId(id), span),
            Kind::Scene => insert(&mut self.decl.to_mut().scenes, name, SceneId(id), span),
            Kind::Ending => insert(&mut self.decl.to_mut().endings, name, EndingId(id), span),
        }
        Some(span)
    }

    /// E039 for a title or name longer than `MAX_TITLE` characters, E040
    /// for one holding a character that would hide or reorder what a
    /// one-line display shows (`owner` says whose it is, as "the title of
    /// scene `hall`").
    fn check_name(
        &mut self,
        region: Region,
        field: &str,
        value: &str,
        owner: impl FnOnce() -> String,
    ) {
        let long = value.len() > MAX_TITLE && value.chars().count() > MAX_TITLE;
        let hidden = value
            .char_indices()
            .find(|&(_, c)| hidden_in_a_name(c).is_some());
        if !long && hidden.is_none() {
            return;
        }
        let owner = owner();
        let base = self.string_base(region, field, value);
        let span = |this: &Self, start: usize, end: usize| match base {
            Some((file, b)) => this.value_span(file, b, start, end),
            None => this.region_span(region),
        };
        if long {
            let length = value.chars().count();
            let at = span(self, 0, value.len());
            self.diagnostics.push(
                Diagnostic::error(
                    Code::E039,
                    format!("{owner} is {length} characters long"),
                )
                .at(at, format!("at most {MAX_TITLE}"))
                .help("titles and names are shown on one line: keep this short, and put the rest in the text"),
            );
        }
        if let Some((at, c)) = hidden {
            let what = hidden_in_a_name(c).unwrap_or_default();
            let at = span(self, at, at + c.len_utf8());
            self.diagnostics.push(
                Diagnostic::error(
                    Code::E040,
                    format!("{owner} holds {what} (U+{:04X})", u32::from(c)),
                )
                .at(at, "the player would not see this as it is written")
                .help("write the title or name without it"),
            );
        }
    }

    fn check_id(&mut self, id: &str, span: Span) {
        if !valid_id(id) {
            let shown: String = id.chars().take(40).collect();
            let more = if id.chars().count() > 40 { "…" } else { "" };
            self.diagnostics.push(
                Diagnostic::error(Code::E035, format!("`{shown}{more}` is not a valid id"))
                    .at(span, "")
                    .help("ids are 1 to 200 letters, digits and `_`, not starting with a digit"),
            );
        }
    }

    /// Resolves a name of some kind, used as `usage` says, reporting it
    /// when unknown.
    fn resolve(&mut self, kind: Kind, name: &str, span: Span, usage: Usage) -> Option<u32> {
        if let Some(symbols) = &mut self.symbols {
            symbols.referenced(kind, name, span, usage);
        }
        let found = match kind {
            Kind::Variable => self.decl.vars.get(name).map(|i| i.0),
            Kind::Flag => self.decl.flags.get(name).map(|i| i.0),
            Kind::Item => self.decl.items.get(name).map(|i| i.0),
            Kind::Crew => self.decl.crew.get(name).map(|i| i.0),
            Kind::Scene => self.decl.scenes.get(name).map(|i| i.0),
            Kind::Ending => self.decl.endings.get(name).map(|i| i.0),
        };
        if found.is_none() {
            self.unknown(kind, name, span);
        }
        found
    }

    fn unknown(&mut self, kind: Kind, name: &str, span: Span) {
        // A chapter that cannot be read declares nothing yet: a name its
        // text declares is held back until it reads.
        if self.decl.held.names.contains(&(kind, name.to_string())) {
            return;
        }
        // A name of another kind is a likelier mistake than a typo.
        let other = [
            Kind::Variable,
            Kind::Flag,
            Kind::Item,
            Kind::Crew,
            Kind::Scene,
        ]
        .into_iter()
        .filter(|k| *k != kind)
        .find(|k| match k {
            Kind::Variable => self.decl.vars.get(name).is_some(),
            Kind::Flag => self.decl.flags.get(name).is_some(),
            Kind::Item => self.decl.items.get(name).is_some(),
            Kind::Crew => self.decl.crew.get(name).is_some(),
            Kind::Scene => self.decl.scenes.get(name).is_some(),
            Kind::Ending => false,
        });
        let mut d = Diagnostic::error(
            kind.unknown_code(),
            format!("unknown {} `{name}`", kind.word()),
        )
        .at(span, format!("no {} has this name", kind.word()));
        d.help = self.unknown_help(kind, name, other, None);
        // A name misspelt many times is looked up once, at the end.
        if other.is_none() {
            self.pending
                .push((self.diagnostics.len(), kind, name.to_string()));
        }
        self.diagnostics.push(d);
    }

    /// The help of an unknown name: a name of another `other` kind, the
    /// `near` name it may be a typo of, else where to declare it; and the
    /// files that cannot be read, which may declare it.
    fn unknown_help(
        &self,
        kind: Kind,
        name: &str,
        other: Option<Kind>,
        near: Option<&str>,
    ) -> Option<String> {
        let mut help = if let Some(other) = other {
            let hint = match other {
                Kind::Variable => format!("`{name}` is a variable: compare it, as in `{name} > 0`"),
                Kind::Flag => format!("`{name}` is a flag"),
                Kind::Item => format!("`{name}` is an item: test it with `has {name}`"),
                Kind::Crew => format!("`{name}` is a crew member: test it with `alive {name}`"),
                _ => format!("`{name}` is a {}", other.word()),
            };
            Some(hint)
        } else if let Some(near) = near {
            Some(format!("did you mean `{near}`?"))
        } else {
            // Where a name of this kind is declared: the crew only in
            // `story.ron`; scenes and endings by writing them.
            let declare = match kind {
                Kind::Variable => Some("declare it in `story.ron` or in the chapter's `variables`"),
                Kind::Flag => Some("declare it in `story.ron` or in the chapter's `flags`"),
                Kind::Item => Some("declare it in `story.ron` or in the chapter's `items`"),
                Kind::Crew => Some("add it to the `crew` of `story.ron`"),
                Kind::Scene | Kind::Ending => None,
            };
            declare.map(String::from)
        };
        // A file that cannot be read, and whose names could not all be
        // read off its text, may declare this one: say so, and which.
        if kind != Kind::Crew && (self.decl.held.opaque || !self.decl.held.files.is_empty()) {
            let note = match self.decl.held.files.as_slice() {
                [] => "it may be declared in a file that was not read (see above)".to_string(),
                [one] => format!("fix `{one}`, which cannot be read and may declare it"),
                [first, rest @ ..] => format!(
                    "fix `{first}` and {} more, which cannot be read and may declare it",
                    rest.len()
                ),
            };
            help = Some(match help.take() {
                Some(help) if help.ends_with('?') => format!("{help} or {note}"),
                Some(help) => format!("{help}, or {note}"),
                None => note,
            });
        }
        help
    }

    /// The span of `field: "value"` in a region, else of `"value"`, else the region start.
    fn span_of(&self, region: Region, field: &str, value: &str) -> Span {
        match self
            .sources
            .get(region.file)
            .find_field_exact(region.start, region.end, field, value)
        {
            Some((s, e)) => Span {
                file: region.file,
                start: s,
                end: e,
            },
            None => self.span_of_string(region, value),
        }
    }

    fn span_of_string(&self, region: Region, value: &str) -> Span {
        match self
            .sources
            .get(region.file)
            .find_quoted(region.start, region.end, value)
        {
            Some((s, e)) => Span {
                file: region.file,
                start: s + 1,
                end: e - 1,
            },
            None => self.region_span(region),
        }
    }

    /// Where a string field's content starts, for offsets inside it. Matching
    /// uses a prefix up to the first character that an escape could change.
    fn string_base(&self, region: Region, field: &str, value: &str) -> Option<(FileId, usize)> {
        // Any character but plain ASCII may be written as an escape.
        // (Only the first 40 bytes matter: a character that is not plain
        // ASCII starts with a byte that is not.)
        let head = &value.as_bytes()[..value.len().min(40)];
        let cut = head
            .iter()
            .position(|&b| !(b == b' ' || b.is_ascii_graphic()) || b == b'\\' || b == b'"')
            .unwrap_or(head.len());
        let prefix = &value[..floor_boundary(value, cut)];
        let source = self.sources.get(region.file);
        // Else the field's first string: even a letter may be written as an
        // escape (`\u{6c}it`), and no prefix of the value is then in the file.
        source
            .find_field(region.start, region.end, field, prefix)
            .or_else(|| source.find_field(region.start, region.end, field, ""))
            .map(|(s, _)| (region.file, s))
    }

    fn text(&mut self, region: Region, field: &str, src: &str) -> Text {
        match text::parse(src) {
            Ok(nodes) => {
                // Where the string starts in the file places the names in
                // it; text that is literals alone (most labels) names none,
                // and is not looked for.
                let names = nodes.iter().any(|n| !matches!(n, Node::Literal(_)));
                let base = if names {
                    self.string_base(region, field, src)
                } else {
                    None
                };
                Text {
                    segments: self.segments(region, base, nodes),
                }
            }
            Err(e) => {
                let base = self.string_base(region, field, src);
                let span = self.inner_span(region, base, &e);
                self.diagnostics.push(
                    Diagnostic::error(Code::E021, format!("bad markup in {field}: {}", e.message))
                        .at(span, ""),
                );
                Text::default()
            }
        }
    }

    fn inner_span(&self, region: Region, base: Option<(FileId, usize)>, e: &ParseError) -> Span {
        match base {
            Some((file, b)) => self.value_span(file, b, e.start, e.end),
            None => self.region_span(region),
        }
    }

    /// The source span of bytes `start..end` of the value of the string
    /// literal whose content starts at `b`: escapes before them moved them.
    ///
    /// The literal is read once (up to its first `\` or `"`, and its
    /// escapes if a name lies past one), then each name costs a lookup: a
    /// condition of a million names compiles in linear time.
    fn value_span(&self, file: FileId, b: usize, start: usize, end: usize) -> Span {
        let source = self.sources.get(file);
        let mut cache = self.literal.borrow_mut();
        if cache.as_ref().is_some_and(|(at, _)| *at != (file, b)) {
            *cache = None;
        }
        let (_, literal) = cache.get_or_insert_with(|| ((file, b), Literal::new(source, b)));
        // No escape starts before byte `plain` of the value: offsets up to
        // there are the same in the value and the source.
        if start.max(end) <= literal.plain {
            return Span {
                file,
                start: b + start,
                end: b + end,
            };
        }
        let escapes = literal.escapes(source, b);
        Span {
            file,
            start: Source::value_offset(b, escapes, start),
            end: Source::value_offset(b, escapes, end),
        }
    }

    fn segments(
        &mut self,
        region: Region,
        base: Option<(FileId, usize)>,
        nodes: Vec<Node<'_>>,
    ) -> Vec<Segment> {
        // Collected into a new vector (not in place, as `collect` would):
        // a `Node` is larger than a `Segment`, and the story keeps these.
        let mut segments = Vec::with_capacity(nodes.len());
        segments.extend(nodes.into_iter().filter_map(|n| match n {
            // Allocated at its length (and a byte of shape): the story
            // keeps it.
            Node::Literal(s) => Some(Segment::Literal(Lit::new(&s))),
            Node::Var(name) => {
                let span = self.name_span(region, base, &name);
                self.resolve(Kind::Variable, name.text, span, Usage::Shown)
                    .map(|i| Segment::Var(VarId(i)))
            }
            Node::If(cond, then, otherwise) => {
                let cond = self.condition(region, base, cond);
                let then = self.segments(region, base, then);
                let otherwise = self.segments(region, base, otherwise);
                Some(Segment::If(Box::new((cond, then, otherwise))))
            }
            Node::Vary(kind, items) => {
                // Numbered before the items, so that a shuffle's salt
                // follows the order the shuffles are written in.
                let salt = self.shuffles;
                if kind == VaryKind::Shuffle {
                    self.shuffles = self.shuffles.saturating_add(1);
                }
                let mut compiled = Vec::with_capacity(items.len());
                for item in items {
                    compiled.push(self.segments(region, base, item));
                }
                Some(Segment::Vary(Box::new(Variation {
                    kind,
                    scene: self.text_scene,
                    salt,
                    items: compiled,
                })))
            }
            Node::Assume(cond, start, end) => {
                let span = match base {
                    Some((file, b)) => self.value_span(file, b, start, end),
                    None => self.region_span(region),
                };
                if !self.scene_text {
                    self.diagnostics.push(
                        Diagnostic::error(
                            Code::E021,
                            "bad markup in text: `{assume}` stands only in a scene's text",
                        )
                        .at(span, "a choice's, a branch's or a `Say`'s text cannot assume")
                        .help("move it to the start of a paragraph of the scene's `text`, or give the scene an `assume: \"..\"`"),
                    );
                    return None;
                }
                let when = self.condition(region, base, cond);
                Some(Segment::Assume(Box::new(Assumption { when, span })))
            }
            Node::Tag(name) => {
                if let Some(id) = name.text.strip_prefix("line:") {
                    let span = self.name_span(region, base, &name);
                    self.line_id(id, span);
                }
                Some(Segment::Tag(Box::from(name.text)))
            }
        }));
        segments
    }

    /// Records an explicit line id; a second use of one is E052.
    fn line_id(&mut self, id: &str, span: Span) {
        self.lines
            .push((id.to_string(), span, self.diagnostics.len()));
    }

    /// A scene's or a choice's `tags`, each checked (E053).
    fn tags(&mut self, region: Region, raw: &[Box<str>], choice: bool) -> Vec<String> {
        let mut out = Vec::with_capacity(raw.len());
        let tags_at = self
            .sources
            .get(region.file)
            .find_key(region.start, region.end, "tags")
            .map_or(region, |(s, _)| Region { start: s, ..region });
        for tag in raw {
            let problem = if tag.starts_with("line:") {
                Some(if choice {
                    "a line id goes in the text it names: `text: \"Buy it{#line:..}\"`".to_string()
                } else {
                    "a line id goes in the text it names: `{#line:..}` in the paragraph".to_string()
                })
            } else {
                text::tag_problem(tag)
            };
            if let Some(problem) = problem {
                let span = self.span_of_string(tags_at, tag);
                let shown: String = tag.chars().take(40).collect();
                self.diagnostics.push(
                    Diagnostic::error(Code::E053, format!("`{shown}` is not a valid tag"))
                        .at(span, problem)
                        .help("tags are one word of at most 200 bytes, no spaces or braces: `voice:kabir_12`, `mood:dread`"),
                );
            }
            out.push(tag.to_string());
        }
        out
    }

    /// E050 and E051, from the tunnel analysis.
    fn tunnel_problems(&mut self, scenes: &[Scene], choices: &[Choice], problems: Vec<Problem>) {
        for problem in problems {
            let d = match problem {
                Problem::ReturnOutside(c) => {
                    let choice = &choices[c.index()];
                    let scene = &scenes[choice.scene.index()].id;
                    Diagnostic::error(
                        Code::E050,
                        format!(
                            "choice `{}` of `{scene}` returns, but a player can reach `{scene}` without entering a tunnel",
                            choice.key
                        ),
                    )
                    .at(choice.span, "with no tunnel entered, there is nowhere to return to")
                    .help(format!(
                        "reach `{scene}` only through a choice with `tunnel: \"..\"`, or leave it with `goto` instead"
                    ))
                }
                Problem::Recursive(c) => {
                    let choice = &choices[c.index()];
                    let Action::Tunnel { into, .. } = choice.action else {
                        continue;
                    };
                    let into = &scenes[into.index()].id;
                    Diagnostic::error(
                        Code::E051,
                        format!("tunnel `{into}` can be entered again before it returns"),
                    )
                    .at(choice.span, format!("a path from `{into}` leads back to this choice"))
                    .help(format!(
                        "inside a tunnel, move with `goto` and leave with `return: true`: each time a tunnel is entered again from inside itself it nests one level deeper (at most {MAX_TUNNEL_DEPTH})"
                    ))
                }
                Problem::TooDeep(c, depth) => {
                    let choice = &choices[c.index()];
                    Diagnostic::error(
                        Code::E051,
                        format!(
                            "tunnels nest {depth} deep from choice `{}` of `{}`, more than {MAX_TUNNEL_DEPTH}",
                            choice.key,
                            scenes[choice.scene.index()].id
                        ),
                    )
                    .at(choice.span, "the outermost of the tunnels nested too deep")
                    .help("return from a tunnel before entering the next, or move between its scenes with `goto`")
                }
            };
            self.diagnostics.push(d);
        }
    }

    fn name_span(&self, region: Region, base: Option<(FileId, usize)>, name: &Name<'_>) -> Span {
        match base {
            Some((file, b)) => self.value_span(file, b, name.start, name.end),
            // Not searched for: a search per name would make a string of
            // many names quadratic (and `string_base` finds any field).
            None => self.region_span(region),
        }
    }

    /// Parses and resolves a condition string of a field.
    fn condition_field(&mut self, region: Region, field: &str, src: &str) -> Condition {
        let base = self.string_base(region, field, src);
        match condition::parse(src) {
            Ok(expr) => self.condition(region, base, expr),
            Err(e) => {
                let span = self.inner_span(region, base, &e);
                self.diagnostics.push(
                    Diagnostic::error(Code::E020, format!("bad condition: {}", e.message))
                        .at(span, ""),
                );
                Condition::False
            }
        }
    }

    /// Resolves a parsed condition of a field: each unknown name is
    /// reported where it is written, and its leaf becomes `False`.
    fn condition(
        &mut self,
        region: Region,
        base: Option<(FileId, usize)>,
        expr: Expr<'_>,
    ) -> Condition {
        lower(
            expr,
            &mut InSource {
                compiler: self,
                region,
                base,
            },
        )
    }

    fn effects(&mut self, region: Region, effects: &[RawEffect]) -> Vec<Effect> {
        let mut out = Vec::new();
        // Search each effect's name after the previous one, so spans are exact
        // when the same name appears twice.
        let mut at = region.start;
        for e in effects {
            let (kind, variant, name) = match e {
                RawEffect::SetFlag(f) => (Kind::Flag, "SetFlag", f.as_ref()),
                RawEffect::ClearFlag(f) => (Kind::Flag, "ClearFlag", f.as_ref()),
                RawEffect::Add(v, _) => (Kind::Variable, "Add", v.as_ref()),
                RawEffect::SetVar(v, _) => (Kind::Variable, "SetVar", v.as_ref()),
                RawEffect::Give(i) => (Kind::Item, "Give", i.as_ref()),
                RawEffect::Take(i) => (Kind::Item, "Take", i.as_ref()),
                RawEffect::Kill(c) => (Kind::Crew, "Kill", c.as_ref()),
                RawEffect::Say(text) => {
                    let sub = Region {
                        file: region.file,
                        start: at,
                        end: region.end,
                    };
                    // Where the text of this `Say("...")` starts.
                    let base = self
                        .sources
                        .get(region.file)
                        .find_call_string(at, region.end, "Say")
                        .map(|(_, content)| {
                            at = content;
                            (region.file, content)
                        });
                    let text = match text::parse(text) {
                        Ok(nodes) => Text {
                            segments: self.segments(sub, base, nodes),
                        },
                        Err(err) => {
                            let span = self.inner_span(sub, base, &err);
                            self.diagnostics.push(
                                Diagnostic::error(
                                    Code::E021,
                                    format!("bad markup in `Say`: {}", err.message),
                                )
                                .at(span, ""),
                            );
                            Text::default()
                        }
                    };
                    out.push(Effect::Say(text));
                    continue;
                }
            };
            // The effect's own argument (`Give("lamp")`), not the first
            // `"lamp"` of the region (a choice's key or text).
            let span = match self
                .sources
                .get(region.file)
                .find_call(at, region.end, variant, name)
            {
                Some((s, e)) => {
                    at = e;
                    Span {
                        file: region.file,
                        start: s,
                        end: e,
                    }
                }
                None => self.span_of_string(
                    Region {
                        start: at,
                        ..region
                    },
                    name,
                ),
            };
            let Some(id) = self.resolve(kind, name, span, Usage::Effect) else {
                continue;
            };
            out.push(match e {
                RawEffect::SetFlag(_) => Effect::SetFlag(FlagId(id)),
                RawEffect::ClearFlag(_) => Effect::ClearFlag(FlagId(id)),
                RawEffect::Add(_, n) => Effect::Add(VarId(id), *n),
                RawEffect::SetVar(_, n) => Effect::SetVar(VarId(id), *n),
                RawEffect::Give(_) => Effect::Give(ItemId(id)),
                RawEffect::Take(_) => Effect::Take(ItemId(id)),
                RawEffect::Kill(_) => Effect::Kill(CrewId(id)),
                RawEffect::Say(_) => continue,
            });
        }
        out
    }

    fn choice(
        &mut self,
        scene: SceneId,
        region: Region,
        span: Span,
        c: RawChoice,
    ) -> Option<Choice> {
        self.check_key(&c.key, span);
        let text = self.text(region, "text", &c.text);
        let when = c
            .when
            .as_ref()
            .map(|w| self.condition_field(region, "when", w));
        let effects = self.effects(region, &c.effects);
        let tags = self.tags(region, &c.tags, true);
        // `return` stands alone; `tunnel` takes a `goto` as its way back.
        let with_return = [
            ("goto", c.goto.is_some()),
            ("check", c.check.is_some()),
            ("tunnel", c.tunnel.is_some()),
        ]
        .into_iter()
        .find(|&(_, on)| on && c.returns);
        if let Some((other, _)) = with_return {
            self.diagnostics.push(
                Diagnostic::error(
                    Code::E032,
                    format!("choice `{}` has both `return` and `{other}`", c.key),
                )
                .at(span, "")
                .help(format!(
                    "a `return` goes back to where the tunnel was entered from: remove `{other}`, or `return`"
                )),
            );
            return None;
        }
        if c.returns {
            return Some(Choice {
                scene,
                key: c.key.into_string(),
                text,
                when,
                effects,
                once: c.once,
                action: Action::Return(Returns::default()),
                tags,
                span,
            });
        }
        if let Some(tunnel) = &c.tunnel {
            if c.check.is_some() {
                self.diagnostics.push(
                    Diagnostic::error(
                        Code::E032,
                        format!("choice `{}` has both `tunnel` and `check`", c.key),
                    )
                    .at(span, "")
                    .help("a tunnel enters one scene: roll the check in a choice of the tunnel's scenes"),
                );
                return None;
            }
            let into_span = self.span_of(region, "tunnel", tunnel);
            let into = self.resolve(Kind::Scene, tunnel, into_span, Usage::Tunnel);
            let back = match &c.goto {
                Some(goto) => {
                    let back_span = self.span_of(region, "goto", goto);
                    self.resolve(Kind::Scene, goto, back_span, Usage::Goto)
                        .map(SceneId)
                }
                None => Some(scene),
            };
            return Some(Choice {
                scene,
                key: c.key.into_string(),
                text,
                when,
                effects,
                once: c.once,
                action: Action::Tunnel {
                    into: SceneId(into?),
                    back: back?,
                },
                tags,
                span,
            });
        }
        let action = match (&c.goto, &c.check) {
            (Some(_), Some(_)) => {
                self.diagnostics.push(
                    Diagnostic::error(
                        Code::E032,
                        format!("choice `{}` has both `goto` and `check`", c.key),
                    )
                    .at(span, "")
                    .help("a check's branches each have their own `goto`: remove this one"),
                );
                return None;
            }
            (None, None) => {
                self.diagnostics.push(
                    Diagnostic::error(
                        Code::E032,
                        format!("choice `{}` has neither `goto` nor `check`", c.key),
                    )
                    .at(span, "it leads nowhere")
                    .help("give it a `goto`, a `check`, a `tunnel` or `return: true`"),
                );
                return None;
            }
            (Some(goto), None) => {
                let target_span = self.span_of(region, "goto", goto);
                Action::Goto(SceneId(self.resolve(
                    Kind::Scene,
                    goto,
                    target_span,
                    Usage::Goto,
                )?))
            }
            (None, Some(check)) => {
                if !(0..=100).contains(&check.chance) {
                    self.diagnostics.push(
                        Diagnostic::error(
                            Code::E036,
                            format!("chance {} is not a percentage", check.chance),
                        )
                        .at(
                            self.span_of_number(region, "chance", check.chance),
                            "expected 0 to 100",
                        ),
                    );
                }
                let check_start = self
                    .sources
                    .get(region.file)
                    .find_key(region.start, region.end, "check")
                    .map_or(region.start, |(s, _)| s);
                let check_region = Region {
                    start: check_start,
                    ..region
                };
                let mut adjust = Vec::new();
                for a in &check.adjust {
                    match a {
                        RawAdjust::Per(var, n) => {
                            let span = self.span_of_string(check_region, var);
                            if let Some(v) = self.resolve(Kind::Variable, var, span, Usage::Scaled)
                            {
                                adjust.push(Adjust::Per(VarId(v), *n));
                            }
                        }
                        RawAdjust::When(cond, n) => {
                            let base = self
                                .sources
                                .get(region.file)
                                .find_quoted(check_region.start, check_region.end, cond)
                                .map(|(s, _)| (region.file, s + 1));
                            let cond = match condition::parse(cond) {
                                Ok(expr) => self.condition(check_region, base, expr),
                                Err(e) => {
                                    let span = self.inner_span(check_region, base, &e);
                                    self.diagnostics.push(
                                        Diagnostic::error(
                                            Code::E020,
                                            format!("bad condition: {}", e.message),
                                        )
                                        .at(span, ""),
                                    );
                                    Condition::False
                                }
                            };
                            adjust.push(Adjust::When(cond, *n));
                        }
                    }
                }
                let success =
                    self.branch(check_region, span, &c, "success", check.success.as_ref());
                let failure =
                    self.branch(check_region, span, &c, "failure", check.failure.as_ref());
                Action::Check(Box::new(Check {
                    chance: check.chance.clamp(0, 100),
                    adjust,
                    success: success?,
                    failure: failure?,
                }))
            }
        };
        Some(Choice {
            scene,
            key: c.key.into_string(),
            text,
            when,
            effects,
            once: c.once,
            action,
            tags,
            span,
        })
    }

    fn span_of_number(&self, region: Region, field: &str, n: i64) -> Span {
        let source = self.sources.get(region.file);
        // The field's value: the number as written (`150`, `+150`, `1_50`).
        let number = |v: usize| {
            let len = source.text[v..region.end.min(source.text.len())]
                .bytes()
                .take_while(|&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'+'))
                .count();
            Span {
                file: region.file,
                start: v,
                end: v + len,
            }
        };
        let mut at = region.start;
        while let Some((_, v)) = source.find_key(at, region.end, field) {
            let span = number(v);
            let written: String = source.text[span.start..span.end]
                .chars()
                .filter(|&c| c != '_' && c != '+')
                .collect();
            if written == n.to_string() {
                return span;
            }
            at = v;
        }
        self.region_span(region)
    }

    fn branch(
        &mut self,
        region: Region,
        span: Span,
        c: &RawChoice,
        which: &str,
        raw: Option<&RawBranch>,
    ) -> Option<Branch> {
        let Some(raw) = raw else {
            self.diagnostics.push(
                Diagnostic::error(
                    Code::E033,
                    format!("the check of choice `{}` has no `{which}` branch", c.key),
                )
                .at(span, "")
                .help("a random check needs both `success` and `failure`"),
            );
            return None;
        };
        let source = self.sources.get(region.file);
        let sub = match source.find_key(region.start, region.end, which) {
            Some((s, _)) => Region { start: s, ..region },
            None => region,
        };
        let text = raw.text.as_ref().map(|t| self.text(sub, "text", t));
        let effects = self.effects(sub, &raw.effects);
        let target_span = self.span_of(sub, "goto", &raw.goto);
        let goto = SceneId(self.resolve(Kind::Scene, &raw.goto, target_span, Usage::Branch)?);
        Some(Branch {
            text,
            effects,
            goto,
        })
    }

    fn check_key(&mut self, key: &str, span: Span) {
        let valid = !key.is_empty()
            && key.len() <= 32
            && key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
            && !key.bytes().all(|b| b.is_ascii_digit());
        if !valid {
            self.diagnostics.push(
                Diagnostic::error(Code::E035, format!("`{key}` is not a valid choice key"))
                    .at(span, "")
                    .help("keys are 1 to 32 letters, digits, `-` and `_`, and not a number (numbers pick by position)"),
            );
        }
    }
}

/// A string literal names were found in.
struct Literal {
    /// How many bytes of its content hold no escape: up to its first `\`,
    /// or all of it when its closing `"` comes first.
    plain: usize,
    /// Its escapes, read the first time a name lies past `plain`.
    escapes: Option<Vec<crate::story::source::Escape>>,
}

impl Literal {
    fn new(source: &Source, b: usize) -> Literal {
        let text = source.text.as_bytes();
        let rest = text.get(b..).unwrap_or_default();
        let raw = source.text[..b.min(source.text.len())]
            .strip_suffix('"')
            .is_some_and(|q| q.trim_end_matches('#').ends_with('r'));
        let first = crate::story::source::position_of_either(rest, b'\\', b'"');
        #[cfg(test)]
        tests::scanned(first.map_or(rest.len(), |i| i + 1));
        let plain = match first {
            Some(i) if !raw && rest[i] == b'\\' => i,
            // The closing quote comes first, or a raw string: no escapes.
            _ => usize::MAX,
        };
        Literal {
            plain,
            escapes: None,
        }
    }

    fn escapes(&mut self, source: &Source, b: usize) -> &[crate::story::source::Escape] {
        self.escapes.get_or_insert_with(|| {
            let escapes = source.escapes(b);
            #[cfg(test)]
            tests::scanned(escapes.last().map_or(0, |e| e.raw.1 - b));
            escapes
        })
    }
}

#[derive(Default)]
struct Cursor {
    variables: usize,
    flags: usize,
    items: usize,
    crew: usize,
}

fn insert<I: Copy>(table: &mut Table<I>, name: String, id: I, span: Span) {
    table.order.push(name.clone());
    table.map.insert(name, (id, span));
}

fn floor_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Compiles a condition against a compiled story (plans' expectations):
/// the first unknown name is the error.
pub fn condition_in(story: &Story, src: &str) -> Result<Condition, String> {
    let expr = condition::parse(src).map_err(|e| e.message)?;
    let mut names = InStory {
        story,
        unknown: None,
    };
    let c = lower(expr, &mut names);
    match names.unknown {
        Some(e) => Err(e),
        None => Ok(c),
    }
}

/// Where `lower` looks names up: each gives the id, or `None` for a name
/// it does not know (having said so in its own way).
trait Names {
    fn var(&mut self, name: &Name<'_>) -> Option<VarId>;
    fn flag(&mut self, name: &Name<'_>) -> Option<FlagId>;
    fn item(&mut self, name: &Name<'_>) -> Option<ItemId>;
    fn crew(&mut self, name: &Name<'_>) -> Option<CrewId>;
    fn scene(&mut self, name: &Name<'_>) -> Option<SceneId>;
    /// An ending, as the scene that is it.
    fn ending(&mut self, name: &Name<'_>) -> Option<SceneId>;
}

/// The one lowering of a parsed condition into the model, for the
/// compiler and for conditions given against a compiled story. Every name
/// is looked up, left to right; an unknown one makes its leaf `False` (a
/// comparison with an unknown side too).
fn lower(expr: Expr<'_>, names: &mut dyn Names) -> Condition {
    use crate::story::condition::Operand as O;
    let operand = |o: O<'_>, names: &mut dyn Names| -> Option<Operand> {
        match o {
            O::Number(n) => Some(Operand::Const(n)),
            O::Var(n) => names.var(&n).map(Operand::Var),
            O::Visits(n) => names.scene(&n).map(Operand::Visits),
        }
    };
    match expr {
        Expr::True => Condition::True,
        Expr::False => Condition::False,
        Expr::Flag(n) => names.flag(&n).map_or(Condition::False, Condition::Flag),
        Expr::Has(n) => names.item(&n).map_or(Condition::False, Condition::Has),
        Expr::Alive(n) => names.crew(&n).map_or(Condition::False, Condition::Alive),
        Expr::Dead(n) => names.crew(&n).map_or(Condition::False, |c| {
            Condition::Not(Box::new(Condition::Alive(c)))
        }),
        // At an ending is having entered its scene: the game stops there,
        // so a state that has entered it is at it.
        Expr::Ending(n) => names.ending(&n).map_or(Condition::False, |s| {
            Condition::Cmp(Operand::Visits(s), CmpOp::Ge, Operand::Const(1))
        }),
        Expr::Visited(n) => names.scene(&n).map_or(Condition::False, |s| {
            Condition::Cmp(Operand::Visits(s), CmpOp::Ge, Operand::Const(1))
        }),
        Expr::Cmp(a, op, b) => {
            let a = operand(a, names);
            let b = operand(b, names);
            match (a, b) {
                (Some(a), Some(b)) => Condition::Cmp(a, op, b),
                (None, _) | (_, None) => Condition::False,
            }
        }
        Expr::Not(e) => Condition::Not(Box::new(lower(*e, names))),
        Expr::And(v) => Condition::All(lower_all(v, names)),
        Expr::Or(v) => Condition::Any(lower_all(v, names)),
    }
}

/// Lowers a list of conditions into a vector of its own: collecting in
/// place would keep the larger allocation of the expressions.
fn lower_all(exprs: Vec<Expr<'_>>, names: &mut dyn Names) -> Vec<Condition> {
    let mut out = Vec::with_capacity(exprs.len());
    for e in exprs {
        out.push(lower(e, names));
    }
    out
}

/// Names in a field of a source file: an unknown one is a diagnostic at
/// the name, with a did-you-mean.
struct InSource<'a, 'c> {
    compiler: &'a mut Compiler<'c>,
    region: Region,
    base: Option<(FileId, usize)>,
}

impl InSource<'_, '_> {
    fn resolve(&mut self, kind: Kind, name: &Name<'_>) -> Option<u32> {
        let span = self.compiler.name_span(self.region, self.base, name);
        self.compiler
            .resolve(kind, name.text, span, Usage::Condition)
    }
}

impl Names for InSource<'_, '_> {
    fn var(&mut self, name: &Name<'_>) -> Option<VarId> {
        self.resolve(Kind::Variable, name).map(VarId)
    }
    fn flag(&mut self, name: &Name<'_>) -> Option<FlagId> {
        self.resolve(Kind::Flag, name).map(FlagId)
    }
    fn item(&mut self, name: &Name<'_>) -> Option<ItemId> {
        self.resolve(Kind::Item, name).map(ItemId)
    }
    fn crew(&mut self, name: &Name<'_>) -> Option<CrewId> {
        self.resolve(Kind::Crew, name).map(CrewId)
    }
    fn scene(&mut self, name: &Name<'_>) -> Option<SceneId> {
        self.resolve(Kind::Scene, name).map(SceneId)
    }
    fn ending(&mut self, name: &Name<'_>) -> Option<SceneId> {
        let e = self.resolve(Kind::Ending, name)?;
        self.compiler.decl.ending_scenes.get(e as usize).copied()
    }
}

/// Names in a compiled story: the first unknown one is kept as the error.
struct InStory<'s> {
    story: &'s Story,
    unknown: Option<String>,
}

impl InStory<'_> {
    fn found<T>(&mut self, id: Option<T>, kind: &str, name: &Name<'_>) -> Option<T> {
        if id.is_none() && self.unknown.is_none() {
            self.unknown = Some(format!("unknown {kind} `{}`", name.text));
        }
        id
    }
}

impl Names for InStory<'_> {
    fn var(&mut self, name: &Name<'_>) -> Option<VarId> {
        let id = self.story.var_by_id(name.text);
        self.found(id, "variable", name)
    }
    fn flag(&mut self, name: &Name<'_>) -> Option<FlagId> {
        let id = self.story.flag_by_id(name.text);
        self.found(id, "flag", name)
    }
    fn item(&mut self, name: &Name<'_>) -> Option<ItemId> {
        let id = self.story.item_by_id(name.text);
        self.found(id, "item", name)
    }
    fn crew(&mut self, name: &Name<'_>) -> Option<CrewId> {
        let id = self.story.crew_by_id(name.text);
        self.found(id, "crew member", name)
    }
    fn scene(&mut self, name: &Name<'_>) -> Option<SceneId> {
        let id = self.story.scene_by_id(name.text);
        self.found(id, "scene", name)
    }
    fn ending(&mut self, name: &Name<'_>) -> Option<SceneId> {
        let id = self.story.ending_by_id(name.text);
        self.found(id, "ending", name)
            .map(|e| self.story.ending(e).scene)
    }
}

// What an editor needs beyond the story: where every name is, and a
// compile that re-parses only the files that changed. Both are asked for
// (the language server); `load_dir` and `compile` pay nothing for them.

/// Whether a name is a valid id: 1 to 200 letters, digits and `_`, not
/// starting with a digit (E035).
pub fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 200
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && !id.as_bytes()[0].is_ascii_digit()
}

/// How a reference uses the name it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Usage {
    /// A choice's `goto`.
    Goto,
    /// A choice's `tunnel`: the scene it enters.
    Tunnel,
    /// The `goto` of a check's `success` or `failure`.
    Branch,
    /// The story's `start`.
    Start,
    /// Read in a condition (a `when`, an `{if}`, a check's `When`): a flag
    /// tested, an item held, a crew member alive or dead, a variable
    /// compared, a scene's visits.
    Condition,
    /// Shown in text: `{var}`.
    Shown,
    /// Written by an effect: `SetFlag`, `ClearFlag`, `Add`, `SetVar`,
    /// `Give`, `Take`, `Kill`.
    Effect,
    /// Scaled into a check's chance: `Per`.
    Scaled,
    /// Held when the story starts: `inventory`.
    Inventory,
}

impl Usage {
    /// Whether the reference changes the state (an effect).
    pub fn writes(self) -> bool {
        match self {
            Usage::Effect => true,
            Usage::Goto
            | Usage::Tunnel
            | Usage::Branch
            | Usage::Start
            | Usage::Condition
            | Usage::Shown
            | Usage::Scaled
            | Usage::Inventory => false,
        }
    }
}

/// One name of a story: where it is declared and where it is used.
#[derive(Debug, Clone)]
pub struct Symbol {
    pub kind: Kind,
    pub name: String,
    /// Its declarations, first to last: more than one is error E010.
    pub declarations: Vec<Span>,
    /// Its references, in the order the compiler met them (a name nobody
    /// declared has only these).
    pub references: Vec<Reference>,
}

/// A name used somewhere, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reference {
    pub span: Span,
    pub usage: Usage,
}

/// A name written at one place: a declaration (`usage` is `None`) or a
/// reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Occurrence {
    pub symbol: usize,
    pub span: Span,
    pub usage: Option<Usage>,
}

/// Every name of a story with its declarations and references, each at its
/// span in the source: what go-to-definition, references and rename read.
/// The spans are the compiler's own (the ones its diagnostics point at).
#[derive(Debug, Clone, Default)]
pub struct Symbols {
    symbols: Vec<Symbol>,
    index: NameMap<(Kind, String), usize>,
    /// Every occurrence with a span of its own (not a placeholder at a
    /// region's start), by file and start.
    by_place: Vec<Occurrence>,
}

impl Symbols {
    /// Every symbol, declared or only referenced, in the order first met.
    pub fn iter(&self) -> impl Iterator<Item = &Symbol> {
        self.symbols.iter()
    }

    /// The symbol at an index of `Occurrence::symbol`.
    pub fn symbol(&self, index: usize) -> &Symbol {
        &self.symbols[index]
    }

    /// The symbol of a kind and name, with its index.
    pub fn get(&self, kind: Kind, name: &str) -> Option<(usize, &Symbol)> {
        let &i = self.index.get(&(kind, name.to_string()))?;
        Some((i, &self.symbols[i]))
    }

    /// The declared names of a kind, in the order declared.
    pub fn declared(&self, kind: Kind) -> impl Iterator<Item = &Symbol> {
        self.symbols
            .iter()
            .filter(move |s| s.kind == kind && !s.declarations.is_empty())
    }

    /// The occurrence whose span holds byte `offset` of `file` (its end
    /// included, where a cursor after the name's last letter is).
    pub fn at(&self, file: FileId, offset: usize) -> Option<Occurrence> {
        let after = self
            .by_place
            .partition_point(|o| (o.span.file, o.span.start) <= (file, offset));
        let o = *self.by_place[..after].last()?;
        (o.span.file == file && o.span.end >= offset).then_some(o)
    }

    /// Every occurrence in a file, in order.
    pub fn in_file(&self, file: FileId) -> &[Occurrence] {
        let start = self.by_place.partition_point(|o| o.span.file < file);
        let end = self.by_place.partition_point(|o| o.span.file <= file);
        &self.by_place[start..end]
    }

    fn entry(&mut self, kind: Kind, name: &str) -> usize {
        let next = self.symbols.len();
        let i = *self.index.entry((kind, name.to_string())).or_insert(next);
        if i == next {
            self.symbols.push(Symbol {
                kind,
                name: name.to_string(),
                declarations: Vec::new(),
                references: Vec::new(),
            });
        }
        i
    }

    fn declared_at(&mut self, kind: Kind, name: &str, span: Span) {
        let i = self.entry(kind, name);
        self.symbols[i].declarations.push(span);
    }

    fn referenced(&mut self, kind: Kind, name: &str, span: Span, usage: Usage) {
        let i = self.entry(kind, name);
        self.symbols[i].references.push(Reference { span, usage });
    }

    /// Builds the index by place, once the compile is done.
    fn finish(mut self) -> Symbols {
        let mut by_place = Vec::new();
        for (i, s) in self.symbols.iter().enumerate() {
            let declarations = s.declarations.iter().map(|&span| (span, None));
            let references = s.references.iter().map(|r| (r.span, Some(r.usage)));
            for (span, usage) in declarations.chain(references) {
                if span.end > span.start {
                    by_place.push(Occurrence {
                        symbol: i,
                        span,
                        usage,
                    });
                }
            }
        }
        by_place.sort_by_key(|o| (o.span.file, o.span.start));
        self.by_place = by_place;
        self
    }
}

/// What a compile from the cache gives: the story or its diagnostics, and
/// the symbols when they were asked for (empty when `story.ron` did not
/// parse: nothing was declared).
#[derive(Debug)]
pub struct Compiled {
    pub result: Result<Story, Failure>,
    pub symbols: Option<Symbols>,
}

/// The files of a story, each kept parsed, so that a compile after an edit
/// re-parses only the files that changed (the language server: an edit
/// re-parses one file, then the names are declared and resolved again over
/// all of them).
#[derive(Default)]
pub struct Cache {
    /// In `sort_files` order, so that a file's index is its `FileId` in
    /// what `compile` returns.
    files: Vec<(String, ParsedFile)>,
    parses: usize,
}

impl Cache {
    pub fn new() -> Cache {
        Cache::default()
    }

    /// Adds a file or replaces it; it is parsed again only when its name or
    /// text changed (or, rarely, when adding or removing a file moved it to
    /// another `FileId`). Returns whether it was parsed.
    pub fn set(&mut self, file: InputFile) -> bool {
        if let Some((_, kept)) = self.files.iter().find(|(rel, _)| *rel == file.rel)
            && kept.source.text == file.text
            && kept.source.name == file.name
        {
            return false;
        }
        self.files.retain(|(rel, _)| *rel != file.rel);
        let rel = file.rel.clone();
        // Parsed as it will be placed: `resync` parses it again only if
        // the story file changed with it.
        let rels: Vec<&str> = self
            .files
            .iter()
            .map(|(r, _)| r.as_str())
            .chain([rel.as_str()])
            .collect();
        let story = story_file_of(rels.iter().copied(), &mut Vec::new());
        let at = self.files.partition_point(|(r, _)| {
            order_key(r, story.as_deref()) < order_key(&rel, story.as_deref())
        });
        let is_story = story.as_deref() == Some(rel.as_str());
        let parsed = parse_file(file, FileId(at as u32), is_story);
        self.files.insert(at, (rel, parsed));
        self.parses += 1;
        self.resync();
        true
    }

    /// Forgets a file (deleted or renamed); whether it was there.
    pub fn remove(&mut self, rel: &str) -> bool {
        let before = self.files.len();
        self.files.retain(|(r, _)| r != rel);
        let removed = self.files.len() < before;
        if removed {
            self.resync();
        }
        removed
    }

    /// Keeps every file read as what it is now: file `i` as `FileId(i)`,
    /// the story file as the story. A file's diagnostics name its id, so a
    /// file whose place changed (one added or removed before it, the story
    /// file renamed) is read again.
    fn resync(&mut self) {
        let story = story_file_of(self.files.iter().map(|(r, _)| r.as_str()), &mut Vec::new());
        self.files.sort_by(|(a, _), (b, _)| {
            order_key(a, story.as_deref()).cmp(&order_key(b, story.as_deref()))
        });
        for (i, (rel, parsed)) in self.files.iter_mut().enumerate() {
            let id = FileId(i as u32);
            let is_story = story.as_deref() == Some(rel.as_str());
            if parsed.id != id || parsed.is_story != is_story {
                let file = InputFile {
                    name: parsed.source.name.clone(),
                    rel: rel.clone(),
                    text: parsed.source.text.clone(),
                };
                *parsed = parse_file(file, id, is_story);
                self.parses += 1;
            }
        }
    }

    /// The files' paths relative to the story directory, in `FileId` order.
    pub fn files(&self) -> impl Iterator<Item = &str> {
        self.files.iter().map(|(rel, _)| rel.as_str())
    }

    /// The text held for a file.
    pub fn text(&self, rel: &str) -> Option<&str> {
        self.files
            .iter()
            .find(|(r, _)| r == rel)
            .map(|(_, f)| f.source.text.as_str())
    }

    /// How many files were parsed since the cache was made.
    pub fn parses(&self) -> usize {
        self.parses
    }

    /// Compiles the story from the parsed files, with `diagnostics` from
    /// reading them (E037, E041) first, as `load_dir` does; with `symbols`,
    /// the symbol table too. The parsed files are copied, never parsed
    /// again.
    pub fn compile(&self, mut diagnostics: Vec<Diagnostic>, symbols: bool) -> Compiled {
        story_file_of(self.files.iter().map(|(r, _)| r.as_str()), &mut diagnostics);
        let fingerprint = fingerprint(
            self.files
                .iter()
                .map(|(rel, f)| (rel.as_str(), f.source.text.as_str())),
        );
        let parsed = self.files.iter().map(|(_, f)| f.clone()).collect();
        let (result, symbols) = compile_parsed(
            parsed,
            diagnostics,
            fingerprint,
            symbols.then(Symbols::default),
            Split::Auto,
        );
        Compiled { result, symbols }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;

    fn file(rel: &str, text: &str) -> InputFile {
        InputFile {
            rel: rel.into(),
            name: rel.into(),
            text: text.into(),
        }
    }

    /// What a compile gives, in full: the story's scenes, choices and
    /// endings, or every diagnostic, in order.
    fn outcome(result: Result<Story, Failure>) -> String {
        match result {
            Ok(story) => format!(
                "{:?}\n{:?}\n{:?}\n{:?}",
                story.scenes, story.choices, story.endings, story.start
            ),
            Err(failure) => format!("{:#?}", failure.diagnostics),
        }
    }

    fn both_ways(files: Vec<InputFile>, diagnostics: Vec<Diagnostic>) -> (String, String) {
        let one = outcome(compile_files(
            files.clone(),
            diagnostics.clone(),
            Split::Never,
        ));
        let two = outcome(compile_files(files, diagnostics, Split::Always));
        (one, two)
    }

    /// The bodies compiled on two threads give what one thread gives: the
    /// shipped story and every fixture, broken ones included.
    #[test]
    fn two_threads_compile_what_one_does() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut dirs = vec![root.join("scenes")];
        for group in ["tests/fixtures", "tests/fixtures/diagnostics"] {
            for entry in std::fs::read_dir(root.join(group)).unwrap() {
                let path = entry.unwrap().path();
                if path.join("story.ron").is_file() {
                    dirs.push(path);
                }
            }
        }
        assert!(dirs.len() > 80, "found {} story directories", dirs.len());
        for dir in dirs {
            let Ok((files, diagnostics)) = load::read_story_dir(&dir) else {
                continue;
            };
            let (one, two) = both_ways(files, diagnostics);
            assert_eq!(one, two, "{}", dir.display());
        }
    }

    /// The problems that cross the cut between the threads: a line id
    /// used again after it (E052, in the place one thread gives it, and
    /// the unknown names after it keep their suggestions), and unknown
    /// names on both sides, each with its did-you-mean.
    #[test]
    fn problems_across_the_cut_are_reported_as_one_thread_does() {
        let chapter = |n: usize, text: &str, goto: &str| {
            format!(
                "Chapter(title: \"C{n}\", scenes: [(id: \"s{n}\", title: \"S\", text: \"{text}\", \
                 choices: [(key: \"go\", text: \"Go{{#line:go{n}}}\", goto: \"{goto}\")])])"
            )
        };
        let files = vec![
            file(
                "story.ron",
                "Story(title: \"T\", start: \"s1\", variables: [(id: \"fuel\", initial: 1)])",
            ),
            file("a.ron", &chapter(1, "One.{#line:shared}{fule}", "s2")),
            file("b.ron", &chapter(2, "Two.{#line:shared}", "s33")),
            file("c.ron", &chapter(3, "Three.{#line:shared}{fuell}", "s4")),
            file(
                "d.ron",
                "Chapter(title: \"C4\", scenes: [(id: \"s4\", title: \"S\", text: \"{#line:go1}{fue}\", \
                 ending: (id: \"e\", title: \"E\", kind: Good))])",
            ),
        ];
        let (one, two) = both_ways(files.clone(), Vec::new());
        assert_eq!(one, two);
        let Err(failure) = compile_files(files, Vec::new(), Split::Always) else {
            panic!("the story compiled");
        };
        let codes: Vec<_> = failure
            .diagnostics
            .iter()
            .map(|d| (d.code, d.help.as_deref().unwrap_or("")))
            .collect();
        use Code::{E011, E012, E052};
        let line = "each `{#line:..}` names one line: give this one an id of its own";
        assert_eq!(
            codes,
            [
                (E012, "did you mean `fuel`?"),
                (E052, line),
                (E011, "did you mean `s3`?"),
                (E052, line),
                (E012, "did you mean `fuel`?"),
                (E052, line),
                (E012, "did you mean `fuel`?"),
            ]
        );
    }

    thread_local! {
        /// Bytes of string literals read to place names (`Literal`).
        static SCANNED: Cell<usize> = const { Cell::new(0) };
    }

    pub(super) fn scanned(bytes: usize) {
        SCANNED.with(|s| s.set(s.get() + bytes));
    }

    /// Issue 13, item 11: placing each name of a string rescanned the
    /// string from its start, so a condition of a million bytes took
    /// quadratic time (10 s). The work is counted here, not timed: each
    /// literal is read about once, whatever the number of names in it.
    #[test]
    fn names_in_one_string_are_placed_in_linear_work() {
        for escaped in [false, true] {
            let names = 150_000;
            // `lit and lit and ...`: 7 bytes a name, 1 MB; with an
            // escape at the start every name lies past it.
            let mut when = String::from(if escaped { "\\u{6c}it" } else { "lit" });
            for _ in 1..names {
                when.push_str(" and lit");
            }
            let mut text = String::from("{oil}");
            while text.len() < 600_000 {
                text.push_str(" {oil} and {if lit}x{end}");
            }
            let chapter = format!(
                "Chapter(title: \"One\", scenes: [(id: \"hall\", title: \"Hall\", text: \"{text}\", choices: [(key: \"go\", text: \"Go\", when: \"{when}\", goto: \"hall\")])])"
            );
            let files = vec![
                InputFile {
                    rel: STORY_FILE.into(),
                    name: STORY_FILE.into(),
                    text: "Story(title: \"T\", start: \"hall\", variables: [(id: \"oil\")], flags: [\"lit\"])".into(),
                },
                InputFile {
                    rel: "a.ron".into(),
                    name: "a.ron".into(),
                    text: chapter.clone(),
                },
            ];
            SCANNED.with(|s| s.set(0));
            let result = compile(files);
            if let Err(failure) = &result {
                panic!(
                    "{:?}",
                    failure
                        .diagnostics
                        .iter()
                        .map(|d| &d.message)
                        .collect::<Vec<_>>()
                );
            }
            let scanned = SCANNED.with(Cell::get);
            assert!(
                scanned <= 2 * chapter.len(),
                "{scanned} bytes read to place the names of a {}-byte file",
                chapter.len()
            );
        }
    }
}
