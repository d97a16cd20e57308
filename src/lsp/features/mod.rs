//! What the server answers: each request's feature in a module of its own,
//! all of them reading the compiler's analysis (diagnostics, the story,
//! its symbols) rather than the files.

pub mod actions;
pub mod complete;
pub mod context;
pub mod diagnostics;
pub mod hover;
pub mod navigate;
pub mod outline;

use lsp_types::{Location, Position, Uri};

use crate::lsp::documents::{Analysis, Project};
use crate::lsp::server::Server;
use crate::story::source::{FileId, Span};

/// A position of a request, in the analysis of the text the editor shows.
pub struct At<'a> {
    pub project: &'a Project,
    pub analysis: &'a Analysis,
    pub file: FileId,
    pub offset: usize,
}

/// Where a request points: the project analysed first if anything changed;
/// `None` for a file of no story, or a position past the end.
pub fn at<'a>(server: &'a mut Server, uri: &Uri, position: Position) -> Option<At<'a>> {
    let (project, rel) = server.fresh(uri)?;
    let project: &Project = project;
    let analysis = project.analysis.as_ref()?;
    let file = analysis.file(&rel)?;
    let offset = analysis.offset(file, position)?;
    Some(At {
        project,
        analysis,
        file,
        offset,
    })
}

/// A span as a location the editor can open.
pub fn location(project: &Project, analysis: &Analysis, span: Span) -> Option<Location> {
    let rel = analysis.files.get(span.file.0 as usize)?;
    Some(Location {
        uri: project.uri(rel)?,
        range: analysis.range(span),
    })
}
