//! `callister lsp`: the language server, over stdin and stdout.

use std::io::IsTerminal;

use crate::cli::{Exit, LspArgs};

pub(super) fn lsp(args: &LspArgs) -> Exit {
    if std::io::stdin().is_terminal() {
        eprintln!(
            "callister lsp speaks the Language Server Protocol on stdin and stdout: \
             an editor starts it (see docs/authoring.md, \"In your editor\")"
        );
    }
    let options = crate::lsp::Options {
        root: args.dir.clone(),
        ..crate::lsp::Options::default()
    };
    match crate::lsp::run(options) {
        Ok(()) => Exit::Success,
        Err(e) => {
            eprintln!("error: {e}");
            Exit::Usage
        }
    }
}
