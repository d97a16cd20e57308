//! The compiler's outputs for editors: the symbol table (every name's
//! declarations and references, at the spans diagnostics use) and the cache
//! that re-parses only the files that changed.

use std::path::{Path, PathBuf};

use callister::story::compile::{self, Cache, InputFile, Kind, Usage};
use callister::story::load;
use callister::tools::synth;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn files_of(dir: &Path) -> Vec<InputFile> {
    let (files, diagnostics) = load::read_story_dir(dir).expect("the story directory reads");
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    files
}

fn cache_of(files: Vec<InputFile>) -> Cache {
    let mut cache = Cache::new();
    for f in files {
        cache.set(f);
    }
    cache
}

/// Every story the repository ships, as files.
fn shipped_stories() -> Vec<Vec<InputFile>> {
    vec![
        files_of(&root().join("scenes")),
        files_of(&root().join("examples/lighthouse")),
        files_of(&root().join("examples/side-mission")),
        synth::input_files(300, 7),
    ]
}

/// Each occurrence's span holds its name as written (a name written with
/// an escape excepted): a rename that rewrites the spans rewrites exactly
/// the names.
#[test]
fn every_span_of_the_shipped_stories_holds_its_name() {
    for files in shipped_stories() {
        let compiled = cache_of(files).compile(Vec::new(), true);
        let story = compiled.result.expect("the story compiles");
        let symbols = compiled.symbols.expect("symbols were asked for");
        let mut seen = 0;
        for s in symbols.iter() {
            assert!(
                !s.declarations.is_empty(),
                "`{}` is referenced but never declared",
                s.name
            );
            let spans = s
                .declarations
                .iter()
                .copied()
                .chain(s.references.iter().map(|r| r.span));
            for span in spans {
                let text = &story.sources.get(span.file).text[span.start..span.end];
                assert!(
                    text == s.name || text.contains('\\'),
                    "{} `{}` at {}:{}: the span holds `{text}`",
                    s.kind.word(),
                    s.name,
                    story.sources.get(span.file).name,
                    span.start
                );
                seen += 1;
            }
        }
        assert!(seen > story.scenes.len(), "only {seen} occurrences");
        // Every scene is declared once, and the start is a reference.
        for scene in &story.scenes {
            let (_, symbol) = symbols.get(Kind::Scene, &scene.id).expect("a symbol");
            assert_eq!(symbol.declarations, vec![scene.span]);
        }
        let start = &story.scene(story.start).id;
        let (_, symbol) = symbols.get(Kind::Scene, start).expect("the start scene");
        assert!(symbol.references.iter().any(|r| r.usage == Usage::Start));
    }
}

/// The lighthouse's names, by kind and use: each reference is found where
/// it is written, and `at` finds it from any offset inside it.
#[test]
fn the_lighthouse_symbols() {
    let compiled =
        cache_of(files_of(&root().join("examples/lighthouse"))).compile(Vec::new(), true);
    let story = compiled.result.expect("compiles");
    let symbols = compiled.symbols.expect("symbols");
    let summary = |kind: Kind, name: &str| {
        let (_, s) = symbols.get(kind, name).expect("declared");
        let mut uses: Vec<String> = s
            .references
            .iter()
            .map(|r| {
                let source = story.sources.get(r.span.file);
                let (line, col) = source.line_col(r.span.start);
                format!(
                    "{:?}@{}:{line}:{col}",
                    r.usage,
                    source.name.rsplit('/').next().unwrap_or_default()
                )
            })
            .collect();
        uses.sort();
        uses.join(" ")
    };
    insta::assert_snapshot!(
        [
            ("scene flats", summary(Kind::Scene, "flats")),
            ("scene shore", summary(Kind::Scene, "shore")),
            ("variable oil", summary(Kind::Variable, "oil")),
            ("variable dread", summary(Kind::Variable, "dread")),
            ("flag met_keeper", summary(Kind::Flag, "met_keeper")),
            ("item key", summary(Kind::Item, "key")),
            ("crew gull", summary(Kind::Crew, "gull")),
        ]
        .iter()
        .map(|(what, uses)| format!("{what}: {uses}"))
        .collect::<Vec<_>>()
        .join("\n")
    );
    for s in symbols.iter() {
        for r in &s.references {
            for offset in r.span.start..=r.span.end {
                let o = symbols.at(r.span.file, offset).expect("an occurrence");
                assert_eq!(symbols.symbol(o.symbol).name, s.name);
            }
        }
    }
}

/// Names in a story that does not compile are still found: the broken
/// reference too, which no declaration holds.
#[test]
fn symbols_of_a_story_with_errors() {
    let mut files = files_of(&root().join("examples/lighthouse"));
    let shore = files
        .iter_mut()
        .find(|f| f.rel == "shore.ron")
        .expect("shore.ron");
    shore.text = shore.text.replace("goto: \"flats\"", "goto: \"flatz\"");
    let compiled = cache_of(files).compile(Vec::new(), true);
    let failure = compiled.result.expect_err("an unknown scene");
    assert!(
        failure
            .diagnostics
            .iter()
            .any(|d| d.message == "unknown scene `flatz`")
    );
    let symbols = compiled.symbols.expect("symbols");
    let (_, flatz) = symbols.get(Kind::Scene, "flatz").expect("the unknown name");
    assert!(flatz.declarations.is_empty());
    assert_eq!(flatz.references.len(), 1);
    assert!(symbols.get(Kind::Scene, "flats").is_some());
    assert!(symbols.declared(Kind::Scene).all(|s| s.name != "flatz"));
}

/// A compile from the cache gives what a compile from scratch gives, edit
/// after edit, and parses only the files that changed.
#[test]
fn the_cache_compiles_as_a_fresh_compile_does() {
    let files = synth::input_files(2500, 3);
    let mut cache = cache_of(synth::input_files(2500, 3));
    let parsed = cache.parses();
    assert_eq!(parsed, files.len());
    let render = |result: &Result<callister::story::Story, compile::Failure>| match result {
        Ok(story) => format!("ok {} {}", story.fingerprint, story.scenes.len()),
        Err(f) => callister::story::diagnostic::render_all(&f.diagnostics, &f.sources, false),
    };
    let mut texts: Vec<(String, String)> = files
        .iter()
        .map(|f| (f.rel.clone(), f.text.clone()))
        .collect();
    let edits: [(&str, &str); 3] = [
        ("goto: \"s1\"", "goto: \"s1x\""),
        ("goto: \"s1x\"", "goto: \"s1\""),
        ("title: \"", "title: \"\u{202e}"),
    ];
    for (from, to) in edits {
        let (rel, text) = texts
            .iter_mut()
            .rev()
            .find(|(_, t)| t.contains(from))
            .expect("an edit");
        *text = text.replacen(from, to, 1);
        let changed = InputFile {
            rel: rel.clone(),
            name: rel.clone(),
            text: text.clone(),
        };
        let before = cache.parses();
        assert!(cache.set(changed));
        assert_eq!(cache.parses(), before + 1, "one file is parsed again");
        // Setting the same text again parses nothing.
        let same = InputFile {
            rel: rel.clone(),
            name: rel.clone(),
            text: text.clone(),
        };
        assert!(!cache.set(same));
        let fresh = compile::compile(
            texts
                .iter()
                .map(|(rel, text)| InputFile {
                    rel: rel.clone(),
                    name: rel.clone(),
                    text: text.clone(),
                })
                .collect(),
        );
        assert_eq!(
            render(&cache.compile(Vec::new(), false).result),
            render(&fresh)
        );
    }
    // A file removed is gone from the next compile.
    let last = texts.pop().expect("a chapter").0;
    assert!(cache.remove(&last));
    assert!(!cache.files().any(|f| f == last));
    // A broken file added before every chapter moves them all to another
    // file id: their diagnostics still point into the right files.
    let broken = (
        "0-first.ron".to_string(),
        "Chapter(title: \"x\", scenes: [(id: )])".to_string(),
    );
    texts.push(broken.clone());
    texts.push((
        "zz-last.ron".to_string(),
        "Chapter(title: \"z\", scenes: [(id: \"zz\", title: \"Z\", text: \"z\", choices: [(key: \"a\", text: \"a\", goto: \"nowhere\")])])".to_string(),
    ));
    for (rel, text) in &texts[texts.len() - 2..] {
        cache.set(InputFile {
            rel: rel.clone(),
            name: rel.clone(),
            text: text.clone(),
        });
    }
    let fresh = compile::compile(
        texts
            .iter()
            .map(|(rel, text)| InputFile {
                rel: rel.clone(),
                name: rel.clone(),
                text: text.clone(),
            })
            .collect(),
    );
    let shown = render(&cache.compile(Vec::new(), false).result);
    assert!(
        shown.contains("0-first.ron") && shown.contains("zz-last.ron"),
        "{shown}"
    );
    assert_eq!(shown, render(&fresh));
}
