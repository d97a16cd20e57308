//! The language server on the 10,000-scene synthetic story, in process
//! (a connection in memory, the server on its own thread, as over stdio
//! less the pipes). Targets (docs/performance.md): diagnostics within
//! 300 ms of an edit to one file, completion and definition within 50 ms.

mod common;

use std::time::Duration;

use callister::lsp::{self, Options};
use callister::story::compile::{Cache, InputFile};
use callister::story::load;
use callister::tools::check;
use criterion::{Criterion, criterion_group, criterion_main};
use lsp_server::{Connection, Message, Notification, Request, RequestId};
use serde_json::{Value, json};

const SCENES: usize = 10_000;
/// The chapter edited: the sixth of ten.
const CHAPTER: &str = "ch005.ron";

/// An editor's end of the connection.
struct Editor {
    connection: Connection,
    next: i32,
}

impl Editor {
    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next += 1;
        let id = RequestId::from(self.next);
        let request = Request::new(id.clone(), method.to_string(), params);
        self.connection
            .sender
            .send(Message::Request(request))
            .expect("the server listens");
        loop {
            match self.connection.receiver.recv().expect("the server answers") {
                Message::Response(r) if r.id == id => {
                    return r.response_result.expect("the request succeeds");
                }
                _ => {}
            }
        }
    }

    fn notify(&self, method: &str, params: Value) {
        let n = Notification::new(method.to_string(), params);
        self.connection
            .sender
            .send(Message::Notification(n))
            .expect("the server listens");
    }

    /// Waits for the diagnostics of the file `uri` names, with the broken
    /// `goto` reported or, when `empty`, not (the synthetic story's own
    /// warnings may stay). The server may spell the URI another way
    /// (percent-encoded): the file's name is compared.
    fn diagnostics(&self, uri: &str, empty: bool) {
        let file = uri.rsplit('/').next().unwrap_or(uri);
        loop {
            if let Message::Notification(n) = self.connection.receiver.recv().expect("the server")
                && n.method == "textDocument/publishDiagnostics"
                && n.params["uri"].as_str().is_some_and(|u| u.ends_with(file))
            {
                let broken = n.params["diagnostics"].as_array().is_some_and(|ds| {
                    ds.iter()
                        .any(|d| d["message"].as_str().is_some_and(|m| m.contains("nowhere")))
                });
                if broken != empty {
                    return;
                }
            }
        }
    }
}

fn server(c: &mut Criterion) {
    let disk = common::OnDisk::new(SCENES);
    let root = disk.path().canonicalize().expect("the story directory");
    let (server_end, editor_end) = Connection::memory();
    let options = Options {
        root: Some(root.clone()),
        debounce: lsp::DEBOUNCE,
        watch: false,
    };
    let thread = std::thread::spawn(move || lsp::serve(server_end, options));
    let mut editor = Editor {
        connection: editor_end,
        next: 0,
    };
    editor.request(
        "initialize",
        json!({"processId": null, "rootUri": format!("file://{}", root.display()), "capabilities": {}}),
    );
    editor.notify("initialized", json!({}));
    let uri = format!("file://{}/{CHAPTER}", root.display());
    let text = std::fs::read_to_string(root.join(CHAPTER)).expect("the chapter");
    editor.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "ron", "version": 1, "text": text}}),
    );
    // A goto in the chapter's first scene, and the typo that breaks it.
    // `start` is the first character of the scene's name; the position
    // asked about is one into it.
    let (line, start) = text
        .lines()
        .enumerate()
        .find_map(|(i, l)| l.find("goto: \"s").map(|c| (i, c + "goto: \"".len())))
        .expect("a goto");
    let position =
        json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": start + 1}});
    let target = text.lines().nth(line).expect("the line")[start..]
        .split('"')
        .next()
        .expect("a scene")
        .to_string();
    let broken = text.replacen(&format!("goto: \"{target}\""), "goto: \"nowhere\"", 1);
    // Were the edit to miss, no iteration would ever publish.
    assert_ne!(broken, text, "the edit breaks the goto to `{target}`");

    let mut group = c.benchmark_group("lsp");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(8));
    let mut version = 1;
    // An edit to one file until its diagnostics are published: the debounce
    // (60 ms), one file parsed again, names resolved and the lints run over
    // the whole story, the diagnostics converted and sent. Each iteration
    // breaks the file or fixes it, so that each publishes.
    group.bench_function("edit_to_diagnostics/10000", |b| {
        b.iter(|| {
            version += 1;
            let (new, empty) = if version % 2 == 0 {
                (&broken, false)
            } else {
                (&text, true)
            };
            editor.notify(
                "textDocument/didChange",
                json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": new}]}),
            );
            editor.diagnostics(&uri, empty);
        });
    });
    // Settle on the clean text.
    if version % 2 == 0 {
        version += 1;
        editor.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]}),
        );
        editor.diagnostics(&uri, true);
    }
    group.bench_function("definition/10000", |b| {
        b.iter(|| editor.request("textDocument/definition", position.clone()));
    });
    group.bench_function("completion/10000", |b| {
        b.iter(|| editor.request("textDocument/completion", position.clone()));
    });
    group.bench_function("hover/10000", |b| {
        b.iter(|| editor.request("textDocument/hover", position.clone()));
    });
    // A definition asked at once after an edit: it waits for the analysis.
    group.bench_function("edit_then_definition/10000", |b| {
        b.iter(|| {
            version += 1;
            editor.notify(
                "textDocument/didChange",
                json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]}),
            );
            editor.request("textDocument/definition", position.clone())
        });
    });
    group.finish();
    editor.request("shutdown", Value::Null);
    editor.notify("exit", Value::Null);
    thread
        .join()
        .expect("the server thread")
        .expect("the server ends well");
}

/// The analysis alone, without the protocol: one file set again in the
/// cache and parsed, then the compile and the lints over all of them.
fn analysis(c: &mut Criterion) {
    let disk = common::OnDisk::new(SCENES);
    let (files, _) = load::read_story_dir(disk.path()).expect("the story reads");
    let mut cache = Cache::new();
    let mut chapter = None;
    for f in files {
        if f.rel == CHAPTER {
            chapter = Some(f.text.clone());
        }
        cache.set(f);
    }
    let chapter = chapter.expect("the chapter");
    let mut group = c.benchmark_group("lsp_analysis");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(8));
    let mut n = 0u64;
    group.bench_function("reparse_one_compile_lint/10000", |b| {
        b.iter(|| {
            n += 1;
            // A comment that changes each time: the file is parsed again.
            let text = format!("{chapter}// edit {n}\n");
            cache.set(InputFile {
                rel: CHAPTER.into(),
                name: CHAPTER.into(),
                text,
            });
            let compiled = cache.compile(Vec::new(), true);
            let story = compiled.result.expect("compiles");
            check::lint(&story)
        });
    });
    group.bench_function("compile_lint_no_parse/10000", |b| {
        b.iter(|| {
            let story = cache.compile(Vec::new(), true).result.expect("compiles");
            check::lint(&story)
        });
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = server, analysis
}
criterion_main!(benches);
