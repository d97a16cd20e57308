//! The diagnostics of `callister check`, as the protocol carries them: the
//! same codes, messages, severities and related locations, each range the
//! span the compiler points at, in UTF-16 columns.

use std::collections::BTreeMap;

use lsp_types::{DiagnosticRelatedInformation, DiagnosticSeverity, NumberOrString};

use crate::lsp::documents::{Analysis, Project};
use crate::lsp::features::location;
use crate::story::compile::STORY_FILE;
use crate::story::diagnostic::{Diagnostic, Severity};
use crate::story::source::{FileId, Span};

/// The analysis's diagnostics by file (relative path). A diagnostic of no
/// place (a file that cannot be read, a story without `story.ron`) is put
/// at the start of `story.ron`, else of the first file.
pub fn by_file(project: &Project) -> BTreeMap<String, Vec<lsp_types::Diagnostic>> {
    let mut out: BTreeMap<String, Vec<lsp_types::Diagnostic>> = BTreeMap::new();
    let Some(analysis) = &project.analysis else {
        return out;
    };
    let fallback = analysis
        .file(STORY_FILE)
        .or_else(|| (!analysis.files.is_empty()).then_some(FileId(0)));
    for d in &analysis.diagnostics {
        let span = match (&d.primary, fallback) {
            (Some(label), _) => label.span,
            (None, Some(file)) => Span {
                file,
                start: 0,
                end: 0,
            },
            (None, None) => {
                crate::lsp::server::log(&format!("{}: {}", d.code.as_str(), d.message));
                continue;
            }
        };
        let Some(rel) = analysis.files.get(span.file.0 as usize) else {
            continue;
        };
        out.entry(rel.clone())
            .or_default()
            .push(convert(project, analysis, d, span));
    }
    out
}

/// One diagnostic at `span`: the message, then the label and the help on
/// lines of their own, as `check` shows them below the source line.
pub fn convert(
    project: &Project,
    analysis: &Analysis,
    d: &Diagnostic,
    span: Span,
) -> lsp_types::Diagnostic {
    let mut message = d.message.clone();
    if let Some(label) = &d.primary
        && !label.message.is_empty()
    {
        message.push('\n');
        message.push_str(&label.message);
    }
    if let Some(help) = &d.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    let related: Vec<DiagnosticRelatedInformation> = d
        .related
        .iter()
        .filter_map(|l| {
            Some(DiagnosticRelatedInformation {
                location: location(project, analysis, l.span)?,
                message: l.message.clone(),
            })
        })
        .collect();
    lsp_types::Diagnostic {
        range: analysis.range(span),
        severity: Some(match d.severity {
            Severity::Error => DiagnosticSeverity::ERROR,
            Severity::Warning => DiagnosticSeverity::WARNING,
        }),
        code: Some(NumberOrString::String(d.code.as_str().to_string())),
        source: Some("callister".into()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        ..lsp_types::Diagnostic::default()
    }
}
