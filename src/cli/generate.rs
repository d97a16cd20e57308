//! `callister completions SHELL` and `callister man`: generated from the
//! same clap definitions as `--help`, so they cannot drift from it.

use std::io::Write as _;

use crate::cli::{Exit, command};

pub(super) fn completions(shell: clap_complete::Shell) -> Exit {
    let mut cli = command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cli, "callister", &mut out);
    print_bytes(&out)
}

/// The man page of `callister`, or of one of its commands
/// (`callister-check(1)`).
pub(super) fn man(name: Option<&str>) -> Exit {
    let mut cli = command();
    cli.build();
    let page = match name {
        None => cli,
        Some(name) => {
            let Some(sub) = cli
                .get_subcommands()
                .find(|c| c.get_name() == name && shown(c))
            else {
                let known: Vec<&str> = cli
                    .get_subcommands()
                    .filter(|c| shown(c))
                    .map(|c| c.get_name())
                    .collect();
                let hint = crate::story::diagnostic::suggest(name, known.iter().copied())
                    .map(|n| format!(" (did you mean `{n}`?)"))
                    .unwrap_or_default();
                eprintln!(
                    "error: `{name}` is not a command{hint}; the commands are {}",
                    known.join(", ")
                );
                return Exit::Usage;
            };
            sub.clone()
        }
    };
    let mut out = Vec::new();
    let source = format!("callister {}", env!("CARGO_PKG_VERSION"));
    if let Err(e) = clap_mangen::Man::new(page).source(source).render(&mut out) {
        eprintln!("error: cannot render the man page: {e}");
        return Exit::Usage;
    }
    print_bytes(&out)
}

/// A command with a page of its own: not hidden, and not clap's `help`.
fn shown(command: &clap::Command) -> bool {
    !command.is_hide_set() && command.get_name() != "help"
}

fn print_bytes(bytes: &[u8]) -> Exit {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Ok(()) => Exit::Success,
        Err(e) => {
            eprintln!("error: cannot write to stdout: {e}");
            Exit::Usage
        }
    }
}
