//! `callister lsp` driven over its stdio as an editor drives it: the
//! handshake, documents opened and changed, every request it answers, bad
//! input of every kind, shutdown. Responses are snapshotted with the story
//! directory written as `file:///STORY`.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use assert_cmd::cargo::cargo_bin;
use callister::lsp::positions::LineIndex;
use serde_json::{Value, json};

/// How long a test waits for any one message before it fails.
const PATIENCE: Duration = Duration::from_secs(30);

/// The server, and what it sent that was not yet read.
struct Client {
    child: Child,
    stdin: ChildStdin,
    messages: Receiver<Value>,
    /// Notifications read while waiting for a response.
    pending: Vec<Value>,
    next_id: i64,
    root: PathBuf,
}

impl Client {
    /// Starts `callister lsp` for the story in `root` and shakes hands.
    fn start(root: &Path) -> Client {
        let mut child = Command::new(cargo_bin("callister"))
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("callister lsp starts");
        let stdin = child.stdin.take().expect("a stdin pipe");
        let stdout = child.stdout.take().expect("a stdout pipe");
        let (sender, messages) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            loop {
                let mut length = None;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(n) = line.strip_prefix("Content-Length: ") {
                        length = n.parse::<usize>().ok();
                    }
                }
                let mut body = vec![0; length.expect("a Content-Length header")];
                if reader.read_exact(&mut body).is_err() {
                    return;
                }
                let message = serde_json::from_slice(&body).expect("the server writes JSON");
                if sender.send(message).is_err() {
                    return;
                }
            }
        });
        let root = root.canonicalize().expect("the story directory");
        let mut client = Client {
            child,
            stdin,
            messages,
            pending: Vec::new(),
            next_id: 0,
            root,
        };
        let uri = client.uri("");
        let capabilities = client.request(
            "initialize",
            json!({
                "processId": null,
                "rootUri": uri.trim_end_matches('/'),
                "capabilities": {},
            }),
        );
        assert!(
            capabilities["result"]["capabilities"].is_object(),
            "{capabilities}"
        );
        client.notify("initialized", json!({}));
        client
    }

    fn uri(&self, rel: &str) -> String {
        format!("file://{}/{rel}", self.root.display())
    }

    fn send(&mut self, message: Value) {
        let body = message.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len())
            .expect("the server reads");
        self.stdin.flush().expect("the server reads");
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Sends a request and waits for its response.
    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let message = self.next();
            if message["id"] == json!(id) && message.get("method").is_none() {
                return message;
            }
            self.pending.push(message);
        }
    }

    fn next(&mut self) -> Value {
        match self.messages.recv_timeout(PATIENCE) {
            Ok(m) => m,
            Err(RecvTimeoutError::Timeout) => panic!("the server said nothing for {PATIENCE:?}"),
            Err(RecvTimeoutError::Disconnected) => panic!("the server is gone"),
        }
    }

    /// The diagnostics published for a file, waiting until `wanted` holds
    /// of them.
    fn diagnostics(&mut self, rel: &str, wanted: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let uri = self.uri(rel);
        let deadline = Instant::now() + PATIENCE;
        let mut last: Option<Vec<Value>> = None;
        loop {
            for m in std::mem::take(&mut self.pending) {
                if m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri {
                    last = Some(
                        m["params"]["diagnostics"]
                            .as_array()
                            .cloned()
                            .unwrap_or_default(),
                    );
                }
            }
            if let Some(d) = &last
                && wanted(d)
            {
                return d.clone();
            }
            assert!(
                Instant::now() < deadline,
                "no diagnostics as wanted for {rel}; the last: {last:?}"
            );
            let m = self.next();
            self.pending.push(m);
        }
    }

    fn open(&mut self, rel: &str, text: &str) {
        let uri = self.uri(rel);
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "ron", "version": 1, "text": text}}),
        );
    }

    fn change(&mut self, rel: &str, version: i64, text: &str) {
        let uri = self.uri(rel);
        self.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]}),
        );
    }

    /// A request at a position of a file.
    fn at(
        &mut self,
        method: &str,
        rel: &str,
        (line, character): (usize, usize),
        extra: Value,
    ) -> Value {
        let mut params = json!({
            "textDocument": {"uri": self.uri(rel)},
            "position": {"line": line, "character": character},
        });
        if let (Some(p), Some(e)) = (params.as_object_mut(), extra.as_object()) {
            p.extend(e.clone());
        }
        self.request(method, params)
    }

    /// The response with the story directory written `file:///STORY`.
    fn shown(&self, response: &Value) -> String {
        let text = serde_json::to_string_pretty(&response["result"]).expect("JSON");
        text.replace(&format!("file://{}", self.root.display()), "file:///STORY")
    }

    /// Shuts the server down as an editor does; its exit status.
    fn shutdown(mut self) -> std::process::ExitStatus {
        let r = self.request("shutdown", Value::Null);
        assert!(r.get("error").is_none(), "{r}");
        self.notify("exit", Value::Null);
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.child.try_wait().expect("the server's status") {
                return status;
            }
            assert!(Instant::now() < deadline, "the server did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A copy of the lighthouse to edit.
fn lighthouse() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    for f in ["story.ron", "shore.ron"] {
        std::fs::copy(
            root().join("examples/lighthouse").join(f),
            dir.path().join(f),
        )
        .expect("the lighthouse is copied");
    }
    dir
}

/// The 0-based line and UTF-16 column of the `nth` `needle` in `text`, at
/// `offset` bytes into it.
fn find(text: &str, needle: &str, offset: usize) -> (usize, usize) {
    let at = text.find(needle).unwrap_or_else(|| panic!("no `{needle}`")) + offset;
    let p = LineIndex::new(text).position(text, at);
    (p.line as usize, p.character as usize)
}

/// Applies a workspace edit's changes to one file's text.
fn apply(text: &str, edits: &Value) -> String {
    let lines = LineIndex::new(text);
    let mut spans: Vec<(usize, usize, String)> = edits
        .as_array()
        .expect("edits")
        .iter()
        .map(|e| {
            let pos = |p: &Value| lsp_position(p);
            let start = lines
                .offset(text, pos(&e["range"]["start"]))
                .expect("in the text");
            let end = lines
                .offset(text, pos(&e["range"]["end"]))
                .expect("in the text");
            (start, end, e["newText"].as_str().expect("text").to_string())
        })
        .collect();
    spans.sort_by_key(|s| std::cmp::Reverse(s.0));
    let mut out = text.to_string();
    for (start, end, new) in spans {
        out.replace_range(start..end, &new);
    }
    out
}

fn lsp_position(p: &Value) -> lsp_types::Position {
    lsp_types::Position {
        line: p["line"].as_u64().expect("a line") as u32,
        character: p["character"].as_u64().expect("a column") as u32,
    }
}

fn labels(response: &Value) -> Vec<String> {
    response["result"]["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["label"].as_str().expect("a label").to_string())
        .collect()
}

/// Every request on the lighthouse, as an editor makes them.
#[test]
fn a_session_on_the_lighthouse() {
    let dir = lighthouse();
    let mut c = Client::start(dir.path());
    let shore = std::fs::read_to_string(dir.path().join("shore.ron")).expect("shore.ron");
    let story = std::fs::read_to_string(dir.path().join("story.ron")).expect("story.ron");

    // A typo: the diagnostic of `check`, at the name, with its did-you-mean.
    let typo = shore.replace("goto: \"flats\"", "goto: \"flatz\"");
    c.open("shore.ron", &typo);
    let diagnostics = c.diagnostics("shore.ron", |d| !d.is_empty());
    insta::assert_snapshot!(
        "typo_diagnostics",
        serde_json::to_string_pretty(&diagnostics).expect("JSON")
    );

    // Quick fixes: the did-you-mean, applied, leaves no problem.
    let (line, col) = find(&typo, "goto: \"flatz\"", 7);
    let actions = c.request(
        "textDocument/codeAction",
        json!({
            "textDocument": {"uri": c.uri("shore.ron")},
            "range": {"start": {"line": line, "character": col}, "end": {"line": line, "character": col}},
            "context": {"diagnostics": []},
        }),
    );
    let titles: Vec<&str> = actions["result"]
        .as_array()
        .expect("actions")
        .iter()
        .map(|a| a["title"].as_str().expect("a title"))
        .collect();
    assert_eq!(titles, ["Change to `flats`"]);
    let fix = &actions["result"][0]["edit"]["changes"][c.uri("shore.ron")];
    let fixed = apply(&typo, fix);
    assert_eq!(fixed, shore);

    // Definitions: a goto, a check's failure target, a condition's name,
    // `{var}` markup, an effect's argument, the story's start; each with
    // the declaration's line.
    c.change("shore.ron", 2, &shore);
    let mut defs = Vec::new();
    for (file, text, needle, offset) in [
        ("shore.ron", &shore, "goto: \"shed\"", 7),
        ("shore.ron", &shore, "goto: \"shore\",\n", 7),
        ("shore.ron", &shore, "alive gull", 6),
        ("shore.ron", &shore, "{oil}", 1),
        ("shore.ron", &shore, "Give(\"key\")", 6),
        ("story.ron", &story, "start: \"shore\"", 8),
    ] {
        let at = find(text, needle, offset);
        let r = c.at("textDocument/definition", file, at, json!({}));
        defs.push(format!(
            "{needle:?} → {}",
            c.shown(&r).replace('\n', " ").replace("  ", "")
        ));
    }
    insta::assert_snapshot!("definitions", defs.join("\n"));

    // References and highlights of `oil`, from its `{oil}`.
    let at = find(&shore, "{oil}", 2);
    let refs = c.at(
        "textDocument/references",
        "shore.ron",
        at,
        json!({"context": {"includeDeclaration": true}}),
    );
    insta::assert_snapshot!("references_oil", c.shown(&refs));
    let highlights = c.at("textDocument/documentHighlight", "shore.ron", at, json!({}));
    insta::assert_snapshot!("highlights_oil", c.shown(&highlights));

    // Completion where a scene, a name, markup, an effect or a field goes.
    let mut completions = Vec::new();
    for (what, edited, needle) in [
        (
            "a goto",
            shore.replace("goto: \"shed\"", "goto: \"s\""),
            "goto: \"s",
        ),
        (
            "after has",
            shore.replace("when: \"has key\"", "when: \"has \""),
            "when: \"has ",
        ),
        (
            "a condition",
            shore.replace("when: \"oil >= 2\"", "when: \"o\""),
            "when: \"o",
        ),
        ("markup", shore.replace("{if oil >= 2}", "{d"), "{d"),
        (
            "an effect list",
            shore.replace("effects: [Kill(\"gull\"), ", "effects: [K"),
            "effects: [K",
        ),
        (
            "Kill's argument",
            shore.replace("Kill(\"gull\")", "Kill(\"\")"),
            "Kill(\"",
        ),
        (
            "a choice's fields",
            shore.replace("(key: \"turn\", text:", "(key: \"turn\", w"),
            "\"turn\", w",
        ),
        (
            "an ending's kind",
            shore.replace("kind: Good", "kind: B"),
            "kind: B",
        ),
    ] {
        c.change("shore.ron", 3, &edited);
        let at = find(&edited, needle, needle.len());
        let r = c.at("textDocument/completion", "shore.ron", at, json!({}));
        completions.push(format!("{what}: {}", labels(&r).join(" ")));
    }
    insta::assert_snapshot!("completions", completions.join("\n"));
    c.change("shore.ron", 4, &shore);

    // Hover: a scene, a variable, a check.
    let mut hovers = Vec::new();
    for (needle, offset) in [("goto: \"flats\"", 7), ("{oil}", 1), ("chance: 50", 2)] {
        let at = find(&shore, needle, offset);
        let r = c.at("textDocument/hover", "shore.ron", at, json!({}));
        hovers.push(format!(
            "## {needle}\n{}",
            r["result"]["contents"]["value"]
                .as_str()
                .unwrap_or("(none)")
        ));
    }
    insta::assert_snapshot!("hovers", hovers.join("\n\n"));

    // The outline of the chapter, and any scene by name.
    let outline = c.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": c.uri("shore.ron")}}),
    );
    let names: Vec<String> = outline["result"]
        .as_array()
        .expect("symbols")
        .iter()
        .map(|s| {
            let children: Vec<&str> = s["children"]
                .as_array()
                .map(|c| c.iter().filter_map(|c| c["name"].as_str()).collect())
                .unwrap_or_default();
            format!(
                "{} ({}) [{}]",
                s["name"].as_str().unwrap_or(""),
                s["detail"].as_str().unwrap_or(""),
                children.join(" ")
            )
        })
        .collect();
    insta::assert_snapshot!("outline", names.join("\n"));
    let found = c.request("workspace/symbol", json!({"query": "fl"}));
    insta::assert_snapshot!("workspace_symbols", c.shown(&found));

    // Rename a scene everywhere; a name taken, or not an id, is refused.
    let at = find(&shore, "goto: \"flats\"", 8);
    let prepared = c.at("textDocument/prepareRename", "shore.ron", at, json!({}));
    assert_eq!(prepared["result"]["placeholder"], "flats", "{prepared}");
    let renamed = c.at(
        "textDocument/rename",
        "shore.ron",
        at,
        json!({"newName": "mudflats"}),
    );
    let edits = &renamed["result"]["changes"][c.uri("shore.ron")];
    let after = apply(&shore, edits);
    assert_eq!(after, shore.replace("\"flats\"", "\"mudflats\""));
    for taken in ["shed", "not an id", "9lives"] {
        let r = c.at(
            "textDocument/rename",
            "shore.ron",
            at,
            json!({"newName": taken}),
        );
        assert!(r["error"]["message"].is_string(), "{taken}: {r}");
    }
    let r = c.at(
        "textDocument/rename",
        "shore.ron",
        at,
        json!({"newName": "shed"}),
    );
    insta::assert_snapshot!(
        "rename_refused",
        r["error"]["message"].as_str().unwrap_or("")
    );

    // Declaring an unknown variable and an unknown flag in story.ron.
    let unknown = shore.replace("when: \"oil >= 2\"", "when: \"tide > 1 and stormy\"");
    c.change("shore.ron", 5, &unknown);
    c.diagnostics("shore.ron", |d| d.len() == 2);
    let mut story_now = story.clone();
    for (i, (needle, offset)) in [("tide > 1", 0), ("stormy", 0)].into_iter().enumerate() {
        let (line, col) = find(&unknown, needle, offset);
        let actions = c.request(
            "textDocument/codeAction",
            json!({
                "textDocument": {"uri": c.uri("shore.ron")},
                "range": {"start": {"line": line, "character": col}, "end": {"line": line, "character": col + 1}},
                "context": {"diagnostics": []},
            }),
        );
        let declare = actions["result"]
            .as_array()
            .expect("actions")
            .iter()
            .find(|a| {
                a["title"]
                    .as_str()
                    .is_some_and(|t| t.starts_with("Declare"))
            })
            .unwrap_or_else(|| panic!("no declaration offered: {actions}"))
            .clone();
        story_now = apply(&story_now, &declare["edit"]["changes"][c.uri("story.ron")]);
        // The editor applies the edit to its buffer of story.ron.
        if i == 0 {
            c.open("story.ron", &story_now);
        } else {
            c.change("story.ron", 2, &story_now);
        }
    }
    c.diagnostics("shore.ron", |d| {
        d.iter().all(|d| d["code"] != "E012" && d["code"] != "E013")
    });
    insta::assert_snapshot!("declared", story_now);

    assert!(c.shutdown().success());
}

/// Files not open are analysed too, their columns counted in UTF-16 after
/// CJK and emoji; a file changed on disk is read again, and its
/// diagnostics clear when it is fixed.
#[test]
fn unopened_files_and_utf16_columns() {
    let dir = lighthouse();
    let extra = dir.path().join("tower.ron");
    let broken = "Chapter(title: \"塔\", scenes: [(id: \"tower\", title: \"灯台 🗼\", text: \"x\", choices: [(key: \"k\", text: \"日本語😀\", goto: \"nowhere\")])])\n";
    std::fs::write(&extra, broken).expect("a chapter");
    let mut c = Client::start(dir.path());
    let d = c.diagnostics("tower.ron", |d| !d.is_empty());
    let codes: Vec<&str> = d.iter().filter_map(|d| d["code"].as_str()).collect();
    assert!(codes.contains(&"E011"), "{d:?}");
    let e011 = d.iter().find(|d| d["code"] == "E011").expect("E011");
    let nowhere = broken.find("nowhere").expect("the typo");
    let utf16 = broken[..nowhere].encode_utf16().count();
    assert_eq!(e011["range"]["start"]["character"], json!(utf16));
    assert_eq!(
        e011["range"]["end"]["character"],
        json!(utf16 + "nowhere".len())
    );
    // A byte or character count would differ.
    assert_ne!(utf16, nowhere);
    assert_ne!(utf16, broken[..nowhere].chars().count());

    std::fs::write(&extra, broken.replace("nowhere", "shore")).expect("the fix");
    let d = c.diagnostics("tower.ron", |d| d.iter().all(|d| d["code"] != "E011"));
    assert!(d.iter().all(|d| d["code"] != "E001"), "{d:?}");
    std::fs::remove_file(&extra).expect("the chapter is deleted");
    c.diagnostics("tower.ron", <[Value]>::is_empty);

    // A chapter being typed does not parse, and declares nothing; its
    // names are still found among the other files' declarations.
    let half = "Chapter(title: \"Tower\", scenes: [(id: \"t\", title: \"T\", text: \"{if has key}{oil}{end}\", choices: [(key: \"k\", text: \"x\", when: \"alive gull\", goto: \"flats\"";
    c.open("tower.ron", half);
    c.diagnostics("tower.ron", |d| d.iter().any(|d| d["code"] == "E001"));
    let mut found = Vec::new();
    for (needle, offset) in [("flats", 2), ("gull", 1), ("has key", 5), ("{oil}", 2)] {
        let r = c.at(
            "textDocument/definition",
            "tower.ron",
            find(half, needle, offset),
            json!({}),
        );
        let uri = r["result"]["uri"]
            .as_str()
            .unwrap_or("none")
            .rsplit('/')
            .next()
            .unwrap_or("")
            .to_string();
        found.push(format!(
            "{needle} → {uri}:{}",
            r["result"]["range"]["start"]["line"]
        ));
    }
    assert_eq!(
        found,
        [
            "flats → shore.ron:33",
            "gull → story.ron:11",
            "has key → story.ron:10",
            "{oil} → story.ron:6"
        ]
    );
    assert!(c.shutdown().success());
}

/// Half-typed files, garbage, a deleted file, positions past the end,
/// unknown methods and bad parameters: each gets an error response or an
/// empty result, and the server goes on.
#[test]
fn bad_input_never_takes_the_server_down() {
    let dir = lighthouse();
    let mut c = Client::start(dir.path());
    let shore = std::fs::read_to_string(dir.path().join("shore.ron")).expect("shore.ron");

    let half = &shore[..shore.len() / 2];
    c.open("shore.ron", half);
    let d = c.diagnostics("shore.ron", |d| !d.is_empty());
    assert_eq!(d[0]["code"], "E001", "{d:?}");
    for at in [(3, 5), (0, 0), (10_000, 0), (5, 10_000)] {
        for method in [
            "textDocument/definition",
            "textDocument/hover",
            "textDocument/completion",
            "textDocument/documentHighlight",
        ] {
            let r = c.at(
                method,
                "shore.ron",
                at,
                json!({"context": {"includeDeclaration": true}}),
            );
            assert!(
                r.get("result").is_some() || r.get("error").is_some(),
                "{method}: {r}"
            );
        }
    }
    c.change("shore.ron", 2, "\u{0}\u{1b}]0;garbage\u{7}((((\"\"\"}}}{{{");
    let d = c.diagnostics("shore.ron", |d| d.iter().any(|d| d["code"] == "E038"));
    assert!(d.iter().any(|d| d["code"] == "E001"), "{d:?}");
    let r = c.at(
        "textDocument/rename",
        "shore.ron",
        (0, 2),
        json!({"newName": "x"}),
    );
    assert!(r["error"]["message"].is_string(), "{r}");

    // Methods and parameters the server does not know.
    let r = c.request("callister/nonsense", json!({}));
    assert_eq!(r["error"]["code"], json!(-32601), "{r}");
    let r = c.request("textDocument/definition", json!({"nonsense": true}));
    assert_eq!(r["error"]["code"], json!(-32602), "{r}");
    c.notify("textDocument/didChange", json!({"nonsense": 1}));
    c.notify("callister/unknownNotification", json!({}));
    // A file of no story, and one never opened.
    let r = c.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": "file:///nowhere/at/all.ron"}, "position": {"line": 0, "character": 0}}),
    );
    assert!(r["result"].is_null(), "{r}");
    c.change("never-opened.ron", 2, "Chapter(title: \"x\")");

    // The file deleted while open: the editor's text still counts; closed,
    // it is gone, and so are its diagnostics.
    std::fs::remove_file(dir.path().join("shore.ron")).expect("deleted");
    c.change("shore.ron", 3, &shore);
    c.diagnostics("shore.ron", <[Value]>::is_empty);
    let uri = c.uri("shore.ron");
    c.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": uri}}),
    );
    let d = c.diagnostics("story.ron", |d| !d.is_empty());
    assert!(d.iter().any(|d| d["code"] == "E005"), "{d:?}");

    // It still answers.
    let r = c.request("workspace/symbol", json!({"query": ""}));
    assert!(r["result"].is_array(), "{r}");
    assert!(c.shutdown().success());
}
