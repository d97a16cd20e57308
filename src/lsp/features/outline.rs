//! Document symbols (a file's scenes, with their choices, and the state it
//! declares, as an outline) and workspace symbols (any scene or name of
//! any story, by name).

use std::collections::HashMap;

use lsp_server::ResponseError;
use lsp_types::{
    DocumentSymbol, DocumentSymbolParams, DocumentSymbolResponse, SymbolInformation, SymbolKind,
    WorkspaceSymbolParams, WorkspaceSymbolResponse,
};

use crate::lsp::features::location;
use crate::lsp::server::Server;
use crate::story::compile::Kind;
use crate::story::source::Span;

/// At most this many workspace symbols are sent.
const MAX_SYMBOLS: usize = 200;

pub fn document(
    server: &mut Server,
    params: DocumentSymbolParams,
) -> Result<Option<DocumentSymbolResponse>, ResponseError> {
    let Some((project, rel)) = server.fresh(&params.text_document.uri) else {
        return Ok(None);
    };
    let Some(analysis) = project.analysis.as_ref() else {
        return Ok(None);
    };
    let Some(file) = analysis.file(&rel) else {
        return Ok(None);
    };
    let story = analysis.story().or(project.last_good.as_ref());
    let titles: HashMap<&str, &str> = story
        .map(|s| {
            s.scenes
                .iter()
                .map(|sc| (sc.id.as_str(), sc.title.as_str()))
                .collect()
        })
        .unwrap_or_default();
    let declarations: Vec<(Kind, &str, Span)> = analysis
        .symbols
        .in_file(file)
        .iter()
        .filter(|o| o.usage.is_none())
        .map(|o| {
            let s = analysis.symbols.symbol(o.symbol);
            (s.kind, s.name.as_str(), o.span)
        })
        .collect();
    let text_end = analysis.text(file).len();
    let scene_starts: Vec<usize> = declarations
        .iter()
        .filter(|(k, ..)| *k == Kind::Scene)
        .map(|(_, _, s)| s.start)
        .collect();
    let mut out = Vec::new();
    for &(kind, name, span) in &declarations {
        let selection = analysis.range(span);
        let (range, children) = if kind == Kind::Scene {
            // A scene reaches to the next one.
            let end = scene_starts
                .iter()
                .find(|&&s| s > span.start)
                .map_or(text_end, |&s| s.saturating_sub(1));
            let region = Span { end, ..span };
            let children = analysis.story().and_then(|story| {
                let id = story.scene_by_id(name)?;
                let choices: Vec<DocumentSymbol> = story
                    .scene(id)
                    .choices
                    .iter()
                    .map(|&c| {
                        let choice = story.choice(c);
                        let range = analysis.range(choice.span);
                        symbol(
                            choice.key.clone(),
                            Some(text_of(&choice.text)),
                            SymbolKind::METHOD,
                            range,
                            range,
                            None,
                        )
                    })
                    .collect();
                Some(choices)
            });
            (analysis.range(region), children)
        } else {
            (selection, None)
        };
        let detail = match kind {
            Kind::Scene => titles.get(name).map(|t| (*t).to_string()),
            Kind::Variable | Kind::Flag | Kind::Item | Kind::Crew | Kind::Ending => {
                Some(kind.word().to_string())
            }
        };
        out.push(symbol(
            name.to_string(),
            detail,
            symbol_kind(kind),
            range,
            selection,
            children,
        ));
    }
    Ok(Some(DocumentSymbolResponse::Nested(out)))
}

pub fn workspace(
    server: &mut Server,
    params: WorkspaceSymbolParams,
) -> Result<Option<WorkspaceSymbolResponse>, ResponseError> {
    let query = params.query.to_lowercase();
    let mut out = Vec::new();
    for project in &mut server.projects {
        if project.due.is_some() || project.analysis.is_none() {
            project.analyse();
        }
    }
    for project in &server.projects {
        let Some(analysis) = &project.analysis else {
            continue;
        };
        for s in analysis.symbols.iter() {
            if out.len() >= MAX_SYMBOLS {
                break;
            }
            let Some(&span) = s.declarations.first() else {
                continue;
            };
            if !subsequence(&s.name.to_lowercase(), &query) {
                continue;
            }
            let Some(location) = location(project, analysis, span) else {
                continue;
            };
            #[allow(deprecated)]
            out.push(SymbolInformation {
                name: s.name.clone(),
                kind: symbol_kind(s.kind),
                tags: None,
                deprecated: None,
                location,
                container_name: Some(s.kind.word().to_string()),
            });
        }
    }
    Ok(Some(WorkspaceSymbolResponse::Flat(out)))
}

fn subsequence(name: &str, query: &str) -> bool {
    let mut chars = name.chars();
    query.chars().all(|q| chars.any(|c| c == q))
}

fn symbol_kind(kind: Kind) -> SymbolKind {
    match kind {
        Kind::Scene => SymbolKind::MODULE,
        Kind::Variable => SymbolKind::VARIABLE,
        Kind::Flag => SymbolKind::BOOLEAN,
        Kind::Item => SymbolKind::OBJECT,
        Kind::Crew => SymbolKind::STRUCT,
        Kind::Ending => SymbolKind::EVENT,
    }
}

/// A choice's text as written, markup aside.
fn text_of(text: &crate::story::Text) -> String {
    let mut out = String::new();
    for s in &text.segments {
        if let crate::story::Segment::Literal(l) = s {
            out.push_str(l);
        }
    }
    out
}

fn symbol(
    name: String,
    detail: Option<String>,
    kind: SymbolKind,
    range: lsp_types::Range,
    selection_range: lsp_types::Range,
    children: Option<Vec<DocumentSymbol>>,
) -> DocumentSymbol {
    #[allow(deprecated)]
    DocumentSymbol {
        name,
        detail,
        kind,
        tags: None,
        deprecated: None,
        range,
        selection_range,
        children,
    }
}
