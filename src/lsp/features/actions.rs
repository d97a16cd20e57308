//! Code actions: a diagnostic's did-you-mean as a quick fix, and an
//! unknown variable, flag, item or crew member declared in `story.ron`.

use std::collections::HashMap;

use lsp_server::ResponseError;
use lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, CodeActionParams, CodeActionResponse,
    TextEdit, WorkspaceEdit,
};

use crate::lsp::documents::{Analysis, Project};
use crate::lsp::features::context::closing;
use crate::lsp::features::diagnostics::convert;
use crate::lsp::server::Server;
use crate::story::code::Code;
use crate::story::compile::{Kind, STORY_FILE};
use crate::story::diagnostic::suggest;
use crate::story::source::{FileId, Source, Span};

pub fn code_actions(
    server: &mut Server,
    params: CodeActionParams,
) -> Result<Option<CodeActionResponse>, ResponseError> {
    let Some((project, rel)) = server.fresh(&params.text_document.uri) else {
        return Ok(None);
    };
    let project: &Project = project;
    let Some(analysis) = project.analysis.as_ref() else {
        return Ok(None);
    };
    let Some(file) = analysis.file(&rel) else {
        return Ok(None);
    };
    let wanted = (
        analysis.offset(file, params.range.start),
        analysis.offset(file, params.range.end),
    );
    let (Some(from), Some(to)) = wanted else {
        return Ok(None);
    };
    let mut out = Vec::new();
    for d in &analysis.diagnostics {
        let Some(label) = &d.primary else { continue };
        let span = label.span;
        if span.file != file || span.end < from || span.start > to {
            continue;
        }
        let Some(kind) = unknown_kind(d.code) else {
            continue;
        };
        let name = analysis.text(file)[span.start..span.end].to_string();
        let fixed = convert(project, analysis, d, span);
        let declared = analysis.symbols.declared(kind).map(|s| s.name.as_str());
        if let Some(near) = suggest(&name, declared) {
            out.push(action(
                format!("Change to `{near}`"),
                edit(project, analysis, span, near.to_string()),
                &fixed,
                true,
            ));
        }
        if let Some(edit) = declare(project, analysis, kind, &name) {
            out.push(action(
                format!("Declare {} `{name}` in `{STORY_FILE}`", kind.word()),
                Some(edit),
                &fixed,
                false,
            ));
        }
    }
    Ok(Some(out))
}

/// The kind of name a diagnostic says is unknown.
fn unknown_kind(code: Code) -> Option<Kind> {
    match code {
        Code::E011 => Some(Kind::Scene),
        Code::E012 => Some(Kind::Variable),
        Code::E013 => Some(Kind::Flag),
        Code::E014 => Some(Kind::Item),
        Code::E015 => Some(Kind::Crew),
        Code::E016 => Some(Kind::Ending),
        _ => None,
    }
}

fn action(
    title: String,
    edit: Option<WorkspaceEdit>,
    fixes: &lsp_types::Diagnostic,
    preferred: bool,
) -> CodeActionOrCommand {
    CodeActionOrCommand::CodeAction(CodeAction {
        title,
        kind: Some(CodeActionKind::QUICKFIX),
        diagnostics: Some(vec![fixes.clone()]),
        edit,
        is_preferred: preferred.then_some(true),
        ..CodeAction::default()
    })
}

fn edit(
    project: &Project,
    analysis: &Analysis,
    span: Span,
    new_text: String,
) -> Option<WorkspaceEdit> {
    let rel = analysis.files.get(span.file.0 as usize)?;
    let uri = project.uri(rel)?;
    // `WorkspaceEdit` keys its edits by `Uri`, whose hash is its text:
    // the cell inside it (a parsed port) never changes that.
    #[allow(clippy::mutable_key_type)]
    let mut changes = HashMap::new();
    changes.insert(
        uri,
        vec![TextEdit {
            range: analysis.range(span),
            new_text,
        }],
    );
    Some(WorkspaceEdit {
        changes: Some(changes),
        ..WorkspaceEdit::default()
    })
}

/// The edit that declares a name in `story.ron`: added to its list
/// (`variables: [...]`), which is added when the story has none. Crew live
/// only in `story.ron`; the rest may live in a chapter, but the story file
/// is where a name every chapter can use belongs.
fn declare(
    project: &Project,
    analysis: &Analysis,
    kind: Kind,
    name: &str,
) -> Option<WorkspaceEdit> {
    let (field, entry) = match kind {
        Kind::Variable => ("variables", format!("(id: \"{name}\", initial: 0)")),
        Kind::Flag => ("flags", format!("\"{name}\"")),
        Kind::Item => ("items", format!("(id: \"{name}\", name: \"{name}\")")),
        Kind::Crew => ("crew", format!("(id: \"{name}\", name: \"{name}\")")),
        Kind::Scene | Kind::Ending => return None,
    };
    let file: FileId = analysis.file(STORY_FILE)?;
    let source = analysis.sources().get(file);
    let (at, text) = insertion(source, field, &entry)?;
    edit(
        project,
        analysis,
        Span {
            file,
            start: at,
            end: at,
        },
        text,
    )
}

/// Where to insert `entry` in the list `field` of the story file, and what
/// to insert: after the list's last element (on a line of its own when the
/// list is written one element a line), or a new field before the story's
/// closing parenthesis.
fn insertion(source: &Source, field: &str, entry: &str) -> Option<(usize, String)> {
    let text = &source.text;
    if let Some((_, value)) = source.find_key(0, text.len(), field)
        && text[value..].starts_with('[')
    {
        let close = closing(text, value)?;
        let inside = &text[value + 1..close];
        let last = inside.trim_end();
        if last.trim().is_empty() {
            return Some((value + 1, entry.to_string()));
        }
        let after_last = value + 1 + last.len();
        let comma = if last.ends_with(',') { "" } else { "," };
        if inside.contains('\n') {
            // The indentation of the last element's line.
            let line_start = text[..after_last].rfind('\n').map_or(0, |i| i + 1);
            let indent: String = text[line_start..]
                .chars()
                .take_while(|c| *c == ' ' || *c == '\t')
                .collect();
            return Some((after_last, format!("{comma}\n{indent}{entry},")));
        }
        return Some((after_last, format!("{comma} {entry}")));
    }
    // No such list: a new field, before the struct's closing parenthesis.
    let open = text.find('(')?;
    let close = closing(text, open)?;
    let before = text[..close].trim_end();
    let comma = if before.ends_with(',') || before.ends_with('(') {
        ""
    } else {
        ","
    };
    Some((before.len(), format!("{comma}\n    {field}: [{entry}],")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn insert(text: &str, field: &str, entry: &str) -> String {
        let source = Source::new("story.ron", text);
        let (at, new) = insertion(&source, field, entry).expect("a place");
        let mut out = text.to_string();
        out.insert_str(at, &new);
        out
    }

    #[test]
    fn declarations_go_into_their_list() {
        assert_eq!(
            insert(
                "Story(title: \"T\", start: \"a\", flags: [\"x\"])",
                "flags",
                "\"y\""
            ),
            "Story(title: \"T\", start: \"a\", flags: [\"x\", \"y\"])"
        );
        assert_eq!(
            insert(
                "Story(\n    flags: [\n        \"x\",\n    ],\n)",
                "flags",
                "\"y\""
            ),
            "Story(\n    flags: [\n        \"x\",\n        \"y\",\n    ],\n)"
        );
        assert_eq!(
            insert("Story(flags: [])", "flags", "\"y\""),
            "Story(flags: [\"y\"])"
        );
        assert_eq!(
            insert("Story(\n    title: \"T\"\n)", "flags", "\"y\""),
            "Story(\n    title: \"T\",\n    flags: [\"y\"],\n)"
        );
    }

    /// A diagnostic's code the actions act on.
    #[test]
    fn the_unknown_names() {
        for code in Code::ALL {
            assert_eq!(
                unknown_kind(*code).is_some(),
                code.is_unknown_name(),
                "{code:?}"
            );
        }
    }
}
