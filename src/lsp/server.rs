//! The server's loop: the handshake, the editor's notifications (documents
//! opened, changed, saved, closed; files changed on disk), its requests, and
//! the diagnostics published after each analysis.
//!
//! One thread does the work. An edit is analysed after a short pause (the
//! debounce), so that typing is not held up; a request about positions
//! analyses first what changed, so that its answer is about the text the
//! editor shows. Completion answers from the text at once, with the names of
//! the last analysis. A request that fails, or panics, gets an error
//! response; the server goes on. It writes nothing to stdout but the
//! protocol, and logs to stderr.

use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, select};
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, Response, ResponseError};
use lsp_types::notification::{self as note, Notification as _};
use lsp_types::request::{self as req, Request as _};
use lsp_types::{
    CodeActionKind, CodeActionOptions, CodeActionProviderCapability, CompletionOptions,
    InitializeParams, OneOf, PublishDiagnosticsParams, RenameOptions, SaveOptions,
    ServerCapabilities, ServerInfo, TextDocumentContentChangeEvent, TextDocumentSyncCapability,
    TextDocumentSyncKind, TextDocumentSyncOptions, TextDocumentSyncSaveOptions, Uri,
};
use serde_json::Value;

use crate::lsp::documents::{self, Document, Project};
use crate::lsp::features;
use crate::lsp::positions::LineIndex;
use crate::lsp::watch;

/// How the server runs.
#[derive(Debug, Clone)]
pub struct Options {
    /// The story directory; else the editor's workspace folder when it
    /// holds a `story.ron`, and the story of each file opened.
    pub root: Option<PathBuf>,
    /// How long an edit waits before it is analysed.
    pub debounce: Duration,
    /// Whether to watch the story directories for files changed on disk.
    pub watch: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            root: None,
            debounce: DEBOUNCE,
            watch: true,
        }
    }
}

/// The pause after an edit before it is analysed.
pub const DEBOUNCE: Duration = Duration::from_millis(60);

/// Speaks the protocol over stdin and stdout until the editor says `exit`.
pub fn run(options: Options) -> Result<(), String> {
    let (connection, threads) = Connection::stdio();
    serve(connection, options)?;
    threads
        .join()
        .map_err(|e| format!("the connection failed: {e}"))
}

/// Serves one connection (stdio, or one in memory for tests and benches).
pub fn serve(connection: Connection, options: Options) -> Result<(), String> {
    let (id, params) = connection
        .initialize_start()
        .map_err(|e| format!("no initialize request: {e}"))?;
    let params: InitializeParams = serde_json::from_value(params).unwrap_or_else(|e| {
        log(&format!(
            "initialize parameters not understood ({e}); using none"
        ));
        InitializeParams::default()
    });
    let result = serde_json::json!({
        "capabilities": capabilities(),
        "serverInfo": ServerInfo {
            name: "callister".into(),
            version: Some(env!("CARGO_PKG_VERSION").into()),
        },
    });
    connection
        .initialize_finish(id, result)
        .map_err(|e| format!("the handshake failed: {e}"))?;
    let mut server = Server::new(connection, options, &params);
    server.main_loop();
    Ok(())
}

/// What the server can do, as the protocol says it.
fn capabilities() -> ServerCapabilities {
    ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::INCREMENTAL),
                save: Some(TextDocumentSyncSaveOptions::SaveOptions(SaveOptions {
                    include_text: Some(false),
                })),
                ..TextDocumentSyncOptions::default()
            },
        )),
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        document_highlight_provider: Some(OneOf::Left(true)),
        rename_provider: Some(OneOf::Right(RenameOptions {
            prepare_provider: Some(true),
            work_done_progress_options: Default::default(),
        })),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(
                ["\"", "{", " ", "("]
                    .iter()
                    .map(|s| (*s).to_string())
                    .collect(),
            ),
            ..CompletionOptions::default()
        }),
        hover_provider: Some(lsp_types::HoverProviderCapability::Simple(true)),
        document_symbol_provider: Some(OneOf::Left(true)),
        workspace_symbol_provider: Some(OneOf::Left(true)),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![CodeActionKind::QUICKFIX]),
            ..CodeActionOptions::default()
        })),
        ..ServerCapabilities::default()
    }
}

/// Writes a line to stderr: the editor's log of the server.
pub(crate) fn log(message: &str) {
    eprintln!("callister lsp: {message}");
}

pub(crate) struct Server {
    connection: Connection,
    options: Options,
    pub(crate) projects: Vec<Project>,
    /// Whether the editor expands snippets in completions.
    pub(crate) snippets: bool,
    /// Files changed on disk, from the watchers.
    changes: Receiver<Vec<PathBuf>>,
    sender: crossbeam_channel::Sender<Vec<PathBuf>>,
    /// One per story directory, kept while the server runs: dropping one
    /// stops its watching.
    watchers: Vec<notify::RecommendedWatcher>,
}

impl Server {
    fn new(connection: Connection, options: Options, params: &InitializeParams) -> Server {
        let (sender, changes) = crossbeam_channel::unbounded();
        let mut server = Server {
            connection,
            options,
            projects: Vec::new(),
            snippets: params
                .capabilities
                .text_document
                .as_ref()
                .and_then(|t| t.completion.as_ref())
                .and_then(|c| c.completion_item.as_ref())
                .and_then(|i| i.snippet_support)
                .unwrap_or(false),
            changes,
            sender,
            watchers: Vec::new(),
        };
        let roots = match &server.options.root {
            Some(root) => vec![root.clone()],
            None => workspace_roots(params),
        };
        for root in roots {
            if root.join(crate::story::compile::STORY_FILE).is_file() {
                server.add_project(&root);
            } else if server.options.root.is_some() {
                log(&format!(
                    "`{}` has no `story.ron`: only the stories of the files opened are read",
                    root.display()
                ));
            }
        }
        server
    }

    fn main_loop(&mut self) {
        loop {
            self.analyse_due();
            let now = Instant::now();
            let wait = self
                .projects
                .iter()
                .filter_map(|p| p.due)
                .min()
                .map_or(Duration::from_secs(3600), |due| {
                    due.saturating_duration_since(now)
                });
            let changes = self.changes.clone();
            select! {
                recv(self.connection.receiver) -> message => match message {
                    Ok(message) => {
                        if !self.message(message) {
                            return;
                        }
                    }
                    Err(_) => return,
                },
                recv(changes) -> paths => {
                    if let Ok(paths) = paths {
                        self.disk_changed(&paths);
                    }
                },
                default(wait) => {},
            }
        }
    }

    /// Handles one message; `false` when the server is to stop.
    fn message(&mut self, message: Message) -> bool {
        match message {
            Message::Request(request) => {
                match self.connection.handle_shutdown(&request) {
                    Ok(true) => return false,
                    Ok(false) => {}
                    Err(e) => {
                        log(&format!("shutdown: {e}"));
                        return false;
                    }
                }
                let response = self.request(request);
                self.send(Message::Response(response));
            }
            Message::Notification(notification) => {
                if notification.method == note::Exit::METHOD {
                    return false;
                }
                let method = notification.method.clone();
                let done = std::panic::catch_unwind(AssertUnwindSafe(|| {
                    self.notification(notification);
                }));
                if done.is_err() {
                    log(&format!("`{method}` failed; going on"));
                }
            }
            Message::Response(_) => {}
        }
        true
    }

    fn request(&mut self, request: Request) -> Response {
        let id = request.id.clone();
        let method = request.method.clone();
        let started = Instant::now();
        let result = std::panic::catch_unwind(AssertUnwindSafe(|| self.dispatch(request)));
        let response = match result {
            Ok(response_result) => Response {
                id,
                response_result,
            },
            Err(_) => Response::new_err(
                id,
                ErrorCode::InternalError as i32,
                format!("`{method}` failed inside the server (see its log)"),
            ),
        };
        let took = started.elapsed();
        if took > Duration::from_millis(200) {
            log(&format!("`{method}` took {} ms", took.as_millis()));
        }
        response
    }

    fn dispatch(&mut self, request: Request) -> Result<Value, ResponseError> {
        let Request { method, params, .. } = request;
        match method.as_str() {
            req::GotoDefinition::METHOD => {
                on::<req::GotoDefinition>(self, params, features::navigate::definition)
            }
            req::References::METHOD => {
                on::<req::References>(self, params, features::navigate::references)
            }
            req::DocumentHighlightRequest::METHOD => {
                on::<req::DocumentHighlightRequest>(self, params, features::navigate::highlight)
            }
            req::PrepareRenameRequest::METHOD => {
                on::<req::PrepareRenameRequest>(self, params, features::navigate::prepare_rename)
            }
            req::Rename::METHOD => on::<req::Rename>(self, params, features::navigate::rename),
            req::Completion::METHOD => {
                on::<req::Completion>(self, params, features::complete::completion)
            }
            req::HoverRequest::METHOD => {
                on::<req::HoverRequest>(self, params, features::hover::hover)
            }
            req::DocumentSymbolRequest::METHOD => {
                on::<req::DocumentSymbolRequest>(self, params, features::outline::document)
            }
            req::WorkspaceSymbolRequest::METHOD => {
                on::<req::WorkspaceSymbolRequest>(self, params, features::outline::workspace)
            }
            req::CodeActionRequest::METHOD => {
                on::<req::CodeActionRequest>(self, params, features::actions::code_actions)
            }
            _ => Err(ResponseError {
                code: ErrorCode::MethodNotFound as i32,
                message: format!("`{method}` is not a method this server knows"),
                data: None,
            }),
        }
    }

    fn notification(&mut self, notification: Notification) {
        let Notification { method, params } = notification;
        match method.as_str() {
            note::DidOpenTextDocument::METHOD => {
                if let Some(p) = params_of::<note::DidOpenTextDocument>(&method, params) {
                    let doc = p.text_document;
                    self.opened(doc.uri, doc.version, doc.text);
                }
            }
            note::DidChangeTextDocument::METHOD => {
                if let Some(p) = params_of::<note::DidChangeTextDocument>(&method, params) {
                    self.changed(
                        &p.text_document.uri,
                        p.text_document.version,
                        p.content_changes,
                    );
                }
            }
            note::DidSaveTextDocument::METHOD => {
                if let Some(p) = params_of::<note::DidSaveTextDocument>(&method, params)
                    && let Some(path) = documents::path_of(&p.text_document.uri)
                {
                    self.disk_changed(&[path]);
                }
            }
            note::DidCloseTextDocument::METHOD => {
                if let Some(p) = params_of::<note::DidCloseTextDocument>(&method, params)
                    && let Some((i, rel)) = self.find(&p.text_document.uri)
                {
                    self.projects[i].close(&rel);
                }
            }
            note::DidChangeWatchedFiles::METHOD => {
                if let Some(p) = params_of::<note::DidChangeWatchedFiles>(&method, params) {
                    let paths: Vec<PathBuf> = p
                        .changes
                        .iter()
                        .filter_map(|c| documents::path_of(&c.uri))
                        .collect();
                    self.disk_changed(&paths);
                }
            }
            // `initialized`, `$/cancelRequest` (every request is answered in
            // turn, so there is nothing to cancel), `$/setTrace` and any
            // other: nothing to do.
            _ => {}
        }
    }

    fn send(&self, message: Message) {
        if self.connection.sender.send(message).is_err() {
            log("the editor is gone");
        }
    }

    /// The project holding a story directory, made if new (and watched).
    fn add_project(&mut self, root: &Path) -> usize {
        let root = documents::resolve(root);
        if let Some(i) = self.projects.iter().position(|p| p.root == root) {
            return i;
        }
        if self.options.watch {
            let sender = self.sender.clone();
            match watch::watch(&root, move |paths| {
                let _ = sender.send(paths);
            }) {
                Ok(w) => self.watchers.push(w),
                Err(e) => log(&format!("`{}` is not watched: {e}", root.display())),
            }
        }
        self.projects.push(Project::new(root));
        self.projects.len() - 1
    }

    /// The project and the relative path of a story file, by URI.
    pub(crate) fn find(&self, uri: &Uri) -> Option<(usize, String)> {
        let path = documents::path_of(uri)?;
        // The innermost story directory holding it.
        self.projects
            .iter()
            .enumerate()
            .filter_map(|(i, p)| {
                p.relative(&path)
                    .map(|rel| (i, rel, p.root.as_os_str().len()))
            })
            .max_by_key(|&(_, _, depth)| depth)
            .map(|(i, rel, _)| (i, rel))
    }

    fn opened(&mut self, uri: Uri, version: i32, text: String) {
        let found = match self.find(&uri) {
            Some(found) => Some(found),
            None if self.options.root.is_none() => {
                // A file of a story not met yet: its directory is read.
                documents::path_of(&uri)
                    .and_then(|path| documents::story_dir_of(&path))
                    .and_then(|dir| {
                        let i = self.add_project(&dir);
                        self.find(&uri).filter(|(j, _)| *j == i)
                    })
            }
            None => None,
        };
        let Some((i, rel)) = found else {
            log(&format!(
                "`{}` is not a file of a story; ignored",
                uri.as_str()
            ));
            return;
        };
        let project = &mut self.projects[i];
        project.set_open(rel, Document { uri, version, text });
        project.due = Some(Instant::now());
    }

    fn changed(&mut self, uri: &Uri, version: i32, changes: Vec<TextDocumentContentChangeEvent>) {
        let Some((i, rel)) = self.find(uri) else {
            return;
        };
        let project = &mut self.projects[i];
        let Some(doc) = project.open.remove(&rel) else {
            log(&format!("`{}` changed but was never opened", uri.as_str()));
            return;
        };
        let mut text = doc.text;
        for change in changes {
            match change.range {
                Some(range) => {
                    let lines = LineIndex::new(&text);
                    let start = lines.offset(&text, range.start);
                    let end = lines.offset(&text, range.end);
                    match (start, end) {
                        (Some(s), Some(e)) if s <= e => text.replace_range(s..e, &change.text),
                        // An edit past the end appends.
                        (Some(s), None) => text.replace_range(s.., &change.text),
                        (None, _) => text.push_str(&change.text),
                        (Some(_), Some(_)) => {
                            log("an edit whose range ends before it starts; ignored");
                        }
                    }
                }
                None => text = change.text,
            }
        }
        project.set_open(
            rel,
            Document {
                uri: doc.uri,
                version,
                text,
            },
        );
        project.due = Some(Instant::now() + self.options.debounce);
    }

    /// Files changed on disk: each story holding one reads its directory
    /// again and is analysed.
    fn disk_changed(&mut self, paths: &[PathBuf]) {
        let settled = Instant::now() + watch::SETTLE;
        for project in &mut self.projects {
            if paths
                .iter()
                .any(|p| documents::resolve(p).starts_with(&project.root))
            {
                // The rest of an editor's burst of events is waited for.
                project.disk_stale = true;
                project.due = Some(settled);
            }
        }
    }

    /// Analyses the projects whose time has come and publishes their
    /// diagnostics.
    fn analyse_due(&mut self) {
        let now = Instant::now();
        for i in 0..self.projects.len() {
            if self.projects[i].due.is_some_and(|due| due <= now) {
                self.projects[i].analyse();
                self.publish(i);
            }
        }
    }

    /// Publishes a project's diagnostics: every file with problems, and an
    /// empty list for each that had some and has none now.
    fn publish(&mut self, i: usize) {
        let project = &mut self.projects[i];
        let by_file = features::diagnostics::by_file(project);
        let now: std::collections::BTreeSet<String> = by_file.keys().cloned().collect();
        let cleared: Vec<String> = project.published.difference(&now).cloned().collect();
        let mut messages = Vec::new();
        for (rel, diagnostics) in by_file
            .into_iter()
            .chain(cleared.into_iter().map(|r| (r, Vec::new())))
        {
            let Some(uri) = project.uri(&rel) else {
                continue;
            };
            let version = project.open.get(&rel).map(|d| d.version);
            messages.push(Notification::new(
                note::PublishDiagnostics::METHOD.to_string(),
                PublishDiagnosticsParams {
                    uri,
                    diagnostics,
                    version,
                },
            ));
        }
        project.published = now;
        for m in messages {
            self.send(Message::Notification(m));
        }
    }

    /// The project of a URI, analysed if anything changed, with the file's
    /// relative path.
    pub(crate) fn fresh(&mut self, uri: &Uri) -> Option<(&mut Project, String)> {
        let (i, rel) = self.find(uri)?;
        let project = &mut self.projects[i];
        if project.due.is_some() || project.analysis.is_none() {
            project.analyse();
            // Publish what this analysis found, as the timer would have.
            self.publish(i);
        }
        Some((&mut self.projects[i], rel))
    }
}

/// Parses a request's parameters, runs it, and serialises its result.
fn on<R: req::Request>(
    server: &mut Server,
    params: Value,
    f: impl FnOnce(&mut Server, R::Params) -> Result<R::Result, ResponseError>,
) -> Result<Value, ResponseError> {
    let params: R::Params = serde_json::from_value(params).map_err(|e| ResponseError {
        code: ErrorCode::InvalidParams as i32,
        message: format!("the parameters of `{}` are not valid: {e}", R::METHOD),
        data: None,
    })?;
    let result = f(server, params)?;
    serde_json::to_value(result).map_err(|e| ResponseError {
        code: ErrorCode::InternalError as i32,
        message: format!("the result of `{}` cannot be written: {e}", R::METHOD),
        data: None,
    })
}

/// A notification's parameters, or `None` (logged) when they are not valid.
fn params_of<N: note::Notification>(method: &str, params: Value) -> Option<N::Params> {
    match serde_json::from_value(params) {
        Ok(p) => Some(p),
        Err(e) => {
            log(&format!("the parameters of `{method}` are not valid: {e}"));
            None
        }
    }
}

/// The workspace's folders (or its root), as paths.
fn workspace_roots(params: &InitializeParams) -> Vec<PathBuf> {
    let mut roots: Vec<PathBuf> = params
        .workspace_folders
        .iter()
        .flatten()
        .filter_map(|f| documents::path_of(&f.uri))
        .collect();
    #[allow(deprecated)]
    if roots.is_empty()
        && let Some(uri) = &params.root_uri
        && let Some(path) = documents::path_of(uri)
    {
        roots.push(path);
    }
    roots
}

/// An error response for a request the server cannot carry out.
pub(crate) fn refused(message: impl Into<String>) -> ResponseError {
    ResponseError {
        code: ErrorCode::RequestFailed as i32,
        message: message.into(),
        data: None,
    }
}
