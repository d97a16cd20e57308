//! Go to definition, find references, document highlight and rename: all
//! read the compiler's symbol table, so they find what its diagnostics
//! find, in every file of the story.

use std::collections::HashMap;

use lsp_server::ResponseError;
use lsp_types::{
    DocumentHighlight, DocumentHighlightKind, DocumentHighlightParams, GotoDefinitionParams,
    GotoDefinitionResponse, Location, PrepareRenameResponse, ReferenceParams, RenameParams,
    TextDocumentPositionParams, TextEdit, WorkspaceEdit,
};

use crate::lsp::features::context::Context;
use crate::lsp::features::{At, at, location};
use crate::lsp::server::{Server, refused};
use crate::story::compile::{Kind, Occurrence, Symbol, valid_id};
use crate::story::condition::{self, Expr, Name, Operand as ConditionOperand};
use crate::story::source::Span;
use crate::story::text::{self, Node};

pub fn definition(
    server: &mut Server,
    params: GotoDefinitionParams,
) -> Result<Option<GotoDefinitionResponse>, ResponseError> {
    let p = params.text_document_position_params;
    let Some(at) = at(server, &p.text_document.uri, p.position) else {
        return Ok(None);
    };
    let symbol = match under(&at) {
        Some((_, symbol)) => symbol,
        // A file that does not parse declared and resolved nothing: the
        // name is read off its string with the real condition and markup
        // parsers, and looked up among the other files' declarations.
        None => match written(&at).and_then(|(kind, name)| at.analysis.symbols.get(kind, &name)) {
            Some((_, symbol)) => symbol,
            None => return Ok(None),
        },
    };
    let mut found: Vec<Location> = symbol
        .declarations
        .iter()
        .filter_map(|&span| location(at.project, at.analysis, span))
        .collect();
    Ok(match found.len() {
        0 => None,
        1 => found.pop().map(GotoDefinitionResponse::Scalar),
        _ => Some(GotoDefinitionResponse::Array(found)),
    })
}

pub fn references(
    server: &mut Server,
    params: ReferenceParams,
) -> Result<Option<Vec<Location>>, ResponseError> {
    let p = params.text_document_position;
    let Some(at) = at(server, &p.text_document.uri, p.position) else {
        return Ok(None);
    };
    let Some((_, symbol)) = under(&at) else {
        return Ok(None);
    };
    let declarations = params
        .context
        .include_declaration
        .then_some(&symbol.declarations)
        .into_iter()
        .flatten()
        .copied();
    let references = symbol.references.iter().map(|r| r.span);
    Ok(Some(
        declarations
            .chain(references)
            .filter_map(|span| location(at.project, at.analysis, span))
            .collect(),
    ))
}

pub fn highlight(
    server: &mut Server,
    params: DocumentHighlightParams,
) -> Result<Option<Vec<DocumentHighlight>>, ResponseError> {
    let p = params.text_document_position_params;
    let Some(at) = at(server, &p.text_document.uri, p.position) else {
        return Ok(None);
    };
    let Some((o, _)) = under(&at) else {
        return Ok(None);
    };
    let highlights = at
        .analysis
        .symbols
        .in_file(at.file)
        .iter()
        .filter(|other| other.symbol == o.symbol)
        .map(|other| DocumentHighlight {
            range: at.analysis.range(other.span),
            kind: Some(match other.usage {
                None => DocumentHighlightKind::TEXT,
                Some(u) if u.writes() => DocumentHighlightKind::WRITE,
                Some(_) => DocumentHighlightKind::READ,
            }),
        })
        .collect();
    Ok(Some(highlights))
}

pub fn prepare_rename(
    server: &mut Server,
    params: TextDocumentPositionParams,
) -> Result<Option<PrepareRenameResponse>, ResponseError> {
    let Some(at) = at(server, &params.text_document.uri, params.position) else {
        return Ok(None);
    };
    let Some((o, symbol)) = under(&at) else {
        return Ok(None);
    };
    renamable(symbol)?;
    Ok(Some(PrepareRenameResponse::RangeWithPlaceholder {
        range: at.analysis.range(o.span),
        placeholder: symbol.name.clone(),
    }))
}

pub fn rename(
    server: &mut Server,
    params: RenameParams,
) -> Result<Option<WorkspaceEdit>, ResponseError> {
    let p = params.text_document_position;
    let Some(at) = at(server, &p.text_document.uri, p.position) else {
        return Ok(None);
    };
    let Some((_, symbol)) = under(&at) else {
        return Err(refused("there is no name here to rename"));
    };
    renamable(symbol)?;
    let new = params.new_name.trim();
    if !valid_id(new) {
        return Err(refused(format!(
            "`{new}` is not a valid id: ids are 1 to 200 letters, digits and `_`, not starting with a digit"
        )));
    }
    if new == symbol.name {
        return Ok(Some(WorkspaceEdit::default()));
    }
    if let Some((_, taken)) = at.analysis.symbols.get(symbol.kind, new)
        && let Some(&first) = taken.declarations.first()
    {
        return Err(refused(format!(
            "there is already a {} `{new}` ({})",
            symbol.kind.word(),
            place(&at, first)
        )));
    }
    let spans = symbol
        .declarations
        .iter()
        .copied()
        .chain(symbol.references.iter().map(|r| r.span));
    // `WorkspaceEdit` keys its edits by `Uri`, whose hash is its text:
    // the cell inside it (a parsed port) never changes that.
    #[allow(clippy::mutable_key_type)]
    let mut changes: HashMap<lsp_types::Uri, Vec<TextEdit>> = HashMap::new();
    for span in spans {
        let written = at.analysis.text(span.file).get(span.start..span.end);
        if written != Some(symbol.name.as_str()) {
            return Err(refused(format!(
                "`{}` is written differently at {} (with an escape?): rename it there by hand first",
                symbol.name,
                place(&at, span)
            )));
        }
        let Some(loc) = location(at.project, at.analysis, span) else {
            continue;
        };
        changes.entry(loc.uri).or_default().push(TextEdit {
            range: loc.range,
            new_text: new.to_string(),
        });
    }
    Ok(Some(WorkspaceEdit {
        changes: Some(changes),
        ..WorkspaceEdit::default()
    }))
}

/// The name under the cursor, with its symbol.
fn under<'a>(at: &At<'a>) -> Option<(Occurrence, &'a Symbol)> {
    let o = at.analysis.symbols.at(at.file, at.offset)?;
    Some((o, at.analysis.symbols.symbol(o.symbol)))
}

/// Scenes, variables, flags, items and crew can be renamed; an ending's id
/// is what the endings ledger keeps, and a name no one declared is fixed by
/// declaring it (a code action).
fn renamable(symbol: &Symbol) -> Result<(), ResponseError> {
    if symbol.declarations.is_empty() {
        return Err(refused(format!(
            "no {} is named `{}`: declare it, or fix the name",
            symbol.kind.word(),
            symbol.name
        )));
    }
    match symbol.kind {
        Kind::Scene | Kind::Variable | Kind::Flag | Kind::Item | Kind::Crew => Ok(()),
        Kind::Ending => Err(refused(
            "an ending's id is what the endings ledger remembers: it is not renamed",
        )),
    }
}

/// `file:line:column` of a span, for messages.
fn place(at: &At<'_>, span: Span) -> String {
    let source = at.analysis.sources().get(span.file);
    let (line, col) = source.line_col(span.start);
    format!("{}:{line}:{col}", source.name)
}

/// The name at the cursor and its kind, read off the string it is in (a
/// `goto`, an effect's argument, a condition, text markup), for a file the
/// compiler could not read.
fn written(at: &At<'_>) -> Option<(Kind, String)> {
    let text = at.analysis.text(at.file);
    let cx = Context::at(text, at.offset);
    let string = cx.string.as_ref()?;
    let content = &text[string.content..string_end(text, string.content)];
    let offset = at.offset - string.content;
    let call = cx.innermost().filter(|_| string.key.is_none());
    let whole = |kind| Some((kind, content.to_string()));
    match (string.key.as_deref(), call) {
        (Some("goto" | "start" | "tunnel"), _) => whole(Kind::Scene),
        (None, Some("SetFlag" | "ClearFlag")) => whole(Kind::Flag),
        (None, Some("Add" | "SetVar" | "Per")) => whole(Kind::Variable),
        (None, Some("Give" | "Take")) => whole(Kind::Item),
        (None, Some("Kill")) => whole(Kind::Crew),
        (Some("when" | "met"), _) | (None, Some("When")) => {
            let expr = condition::parse(content).ok()?;
            let mut names = Vec::new();
            condition_names(&expr, &mut names);
            named_at(names, offset)
        }
        (Some("text"), _) | (None, Some("Say")) => {
            let nodes = text::parse(content).ok()?;
            let mut names = Vec::new();
            markup_names(&nodes, &mut names);
            named_at(names, offset)
        }
        _ => None,
    }
}

/// Where the string whose content starts at `start` ends (its closing
/// quote), escapes skipped; raw strings hold none.
fn string_end(text: &str, start: usize) -> usize {
    let bytes = text.as_bytes();
    let mut i = start;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return i,
            _ => i += 1,
        }
    }
    bytes.len()
}

fn named_at(names: Vec<(Kind, Name<'_>)>, offset: usize) -> Option<(Kind, String)> {
    names
        .into_iter()
        .find(|(_, n)| n.start <= offset && offset <= n.end)
        .map(|(kind, n)| (kind, n.text.to_string()))
}

/// Every name of a parsed condition, with the kind the parser read it as.
fn condition_names<'a>(expr: &Expr<'a>, out: &mut Vec<(Kind, Name<'a>)>) {
    let operand = |o: &ConditionOperand<'a>, out: &mut Vec<(Kind, Name<'a>)>| match o {
        ConditionOperand::Number(_) => {}
        ConditionOperand::Var(n) => out.push((Kind::Variable, n.clone())),
        ConditionOperand::Visits(n) => out.push((Kind::Scene, n.clone())),
    };
    match expr {
        Expr::True | Expr::False => {}
        Expr::Flag(n) => out.push((Kind::Flag, n.clone())),
        Expr::Has(n) => out.push((Kind::Item, n.clone())),
        Expr::Alive(n) | Expr::Dead(n) => out.push((Kind::Crew, n.clone())),
        Expr::Visited(n) => out.push((Kind::Scene, n.clone())),
        Expr::Ending(n) => out.push((Kind::Ending, n.clone())),
        Expr::Cmp(a, _, b) => {
            operand(a, out);
            operand(b, out);
        }
        Expr::Not(e) => condition_names(e, out),
        Expr::And(es) | Expr::Or(es) => {
            for e in es {
                condition_names(e, out);
            }
        }
    }
}

fn markup_names<'a>(nodes: &[Node<'a>], out: &mut Vec<(Kind, Name<'a>)>) {
    for node in nodes {
        match node {
            Node::Literal(_) | Node::Tag(_) => {}
            Node::Var(n) => out.push((Kind::Variable, n.clone())),
            Node::Assume(cond, ..) => condition_names(cond, out),
            Node::If(cond, then, otherwise) => {
                condition_names(cond, out);
                markup_names(then, out);
                markup_names(otherwise, out);
            }
            Node::Vary(_, items) => {
                for item in items {
                    markup_names(item, out);
                }
            }
        }
    }
}
