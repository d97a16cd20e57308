//! The `callister` binary: play the game, and the authoring tools.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use callister::compile::{self, Failure};
use callister::diagnostic;
use callister::engine::State;
use callister::repl;
use callister::session::{Look, NoHost, Session};
use callister::story::Story;

#[derive(Parser)]
#[command(name = "callister", version, about = "A text adventure inside Infinity, and the engine it runs on")]
struct Cli {
    #[command(subcommand)]
    command: Option<Cmd>,
    #[command(flatten)]
    play: PlayArgs,
}

#[derive(Subcommand)]
enum Cmd {
    /// Play the game (the default).
    Play(PlayArgs),
    /// Check a story directory and report every problem.
    Check {
        /// The story directory.
        #[arg(default_value = "scenes")]
        dir: PathBuf,
    },
    /// Count scenes, choices, endings, checks and words.
    Stats {
        /// The story directory.
        #[arg(default_value = "scenes")]
        dir: PathBuf,
    },
}

#[derive(Args, Clone, Default)]
struct PlayArgs {
    /// Play the story in DIR instead of the shipped one.
    #[arg(long, value_name = "DIR")]
    scenes: Option<PathBuf>,
    /// Seed the random checks (the default is random).
    #[arg(long)]
    seed: Option<u64>,
    /// Start at this scene instead of the story's start (authors).
    #[arg(long, value_name = "SCENE")]
    from: Option<String>,
    /// Preset a variable, flag, item or crew member: `credits=500`,
    /// `walton_aboard=true`, `cutlass=true`, `karl=dead`. Repeatable.
    #[arg(long = "set", value_name = "NAME=VALUE")]
    set: Vec<String>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        None => play(cli.play),
        Some(Cmd::Play(args)) => play(args),
        Some(Cmd::Check { dir }) => check(&dir),
        Some(Cmd::Stats { dir }) => stats(&dir),
    }
}

fn stderr_color() -> bool {
    anstream::AutoStream::choice(&std::io::stderr()) != anstream::ColorChoice::Never
}

fn stdout_color() -> bool {
    anstream::AutoStream::choice(&std::io::stdout()) != anstream::ColorChoice::Never
}

/// Prints a failed compile's diagnostics to stderr.
fn report(failure: &Failure) {
    let text = diagnostic::render_all(&failure.diagnostics, &failure.sources, stderr_color());
    anstream::eprint!("{text}");
}

fn load(dir: Option<&Path>) -> Result<Story, ExitCode> {
    let result = match dir {
        Some(dir) => compile::load_dir(dir),
        None => callister::embedded::story(),
    };
    result.map_err(|f| {
        report(&f);
        ExitCode::from(1)
    })
}

fn check(dir: &Path) -> ExitCode {
    match compile::load_dir(dir) {
        Ok(story) => {
            println!(
                "{}: {} scenes, {} choices, {} endings: no problems found",
                dir.display(),
                story.scenes.len(),
                story.choices.len(),
                story.endings.len()
            );
            ExitCode::SUCCESS
        }
        Err(f) => {
            report(&f);
            ExitCode::from(1)
        }
    }
}

fn stats(dir: &Path) -> ExitCode {
    match load(Some(dir)) {
        Ok(story) => {
            print!("{}", callister::stats::render(&story));
            ExitCode::SUCCESS
        }
        Err(code) => code,
    }
}

fn width() -> usize {
    let columns = terminal_size::terminal_size()
        .map(|(w, _)| w.0 as usize)
        .or_else(|| std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()))
        .unwrap_or(80);
    columns.clamp(20, 88) - 2
}

fn play(args: PlayArgs) -> ExitCode {
    let story = match load(args.scenes.as_deref()) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let seed = args.seed.unwrap_or_else(random_seed);
    let start = match &args.from {
        Some(id) => match story.scene_by_id(id) {
            Some(s) => s,
            None => {
                let near = diagnostic::suggest(id, story.scenes.iter().map(|s| s.id.as_str()));
                let hint = near.map(|n| format!(" (did you mean `{n}`?)")).unwrap_or_default();
                eprintln!("error: unknown scene `{id}`{hint}");
                return ExitCode::from(2);
            }
        },
        None => story.start,
    };
    let mut state = State::at(&story, seed, start);
    for assignment in &args.set {
        if let Err(e) = callister::preset::apply(&story, &mut state, assignment) {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    }
    let look = Look {
        color: stdout_color(),
        width: width(),
    };
    let mut session = Session::new(story, state, look);
    let code = repl::run(&mut session, &mut NoHost, None);
    ExitCode::from(code as u8)
}

/// A seed from the process's hasher keys, which the OS randomises.
fn random_seed() -> u64 {
    use std::hash::BuildHasher;
    std::collections::hash_map::RandomState::new().hash_one(std::time::SystemTime::now())
}
