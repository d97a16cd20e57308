//! The `callister` command line: the clap definitions, the options given
//! before a command, colour, exit codes, and the dispatch to each command
//! (`play` for the game and the saves, `author` for the story tools,
//! `generate` for shell completions and the man page).
//!
//! It lives in the library, behind the `cli` feature, so that it can use the
//! crate's internals; `src/main.rs` only calls [`run`].

mod author;
mod generate;
mod lsp;
mod play;
mod watch;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};

use crate::engine::State;
use crate::story::Story;
use crate::story::compile::{self, Failure};
use crate::story::diagnostic;
use crate::tools::explore;

/// Runs the command line of `std::env::args` and returns the exit code:
/// 0 success, 1 problems found, 2 bad usage or input.
pub fn run() -> ExitCode {
    // Colour is settled before parsing, so that clap's own help and errors
    // follow `--color` too.
    let early = color_given(std::env::args_os()).unwrap_or(ColorWhen::Auto);
    anstream::ColorChoice::write_global(early.choice());
    let cli = Cli::parse();
    anstream::ColorChoice::write_global(cli.color.choice());
    let command = match resolve(cli) {
        Ok(c) => c,
        Err(e) => e.exit(),
    };
    let exit = match command {
        Cmd::Play(args) => play::play(args),
        Cmd::Saves(args) => play::saves(&args),
        Cmd::Check(args) => author::check(args),
        Cmd::Stats(args) => author::stats(args),
        Cmd::Explore(args) => author::explore(args),
        Cmd::Graph(args) => author::graph(args),
        Cmd::Export(args) => author::export(args),
        Cmd::Replay(args) => author::replay(&args),
        Cmd::Synth(args) => author::synth(&args),
        Cmd::Lsp(args) => lsp::lsp(&args),
        Cmd::Explain { code } => author::explain(&code),
        Cmd::Completions { shell } => generate::completions(shell),
        Cmd::Man { command } => generate::man(command.as_deref()),
    };
    exit.into()
}

/// The exit codes every command keeps to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Exit {
    /// The command did what was asked and found nothing wrong.
    Success,
    /// The command ran and found problems: diagnostics, a denied warning, a
    /// soft-lock, a plan or transcript that does not match.
    Problems,
    /// The command could not run as asked: bad usage, or an input it
    /// cannot use (a file that cannot be read or written, a plan that does
    /// not parse, an unknown scene, a save that cannot be loaded).
    Usage,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(match exit {
            Exit::Success => 0,
            Exit::Problems => 1,
            Exit::Usage => 2,
        })
    }
}

/// The end of `--help` and of the man page.
const AFTER_HELP: &str = "\
With no command, plays the game; the play options may come before `play` or after it.

Saves go to --saves DIR, else $CALLISTER_SAVES, else the platform's data directory (on Linux $XDG_DATA_HOME/callister/saves or ~/.local/share/callister/saves).

`check`, `stats`, `explore` and `graph` read DIR, else ./scenes when it holds a story.ron, else the shipped story.

Exit status: 0 success; 1 problems found (diagnostics, a denied warning, a soft-lock, a failed plan or transcript); 2 bad usage or input (a wrong option, a file that cannot be read or written, a plan that does not parse, a save that cannot be loaded).";

#[derive(Parser)]
#[command(
    name = "callister",
    version,
    about = "USS Callister: Into Infinity — a text adventure, and the engine it runs on",
    after_help = AFTER_HELP
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    command: Option<Cmd>,
    #[command(flatten)]
    play: PlayArgs,
    /// When to colour the output: `auto` (a terminal, unless NO_COLOR is
    /// set), `always` or `never`.
    #[arg(
        long,
        value_enum,
        value_name = "WHEN",
        global = true,
        default_value_t = ColorWhen::Auto
    )]
    color: ColorWhen,
}

#[derive(Subcommand)]
enum Cmd {
    /// Play the game (the default).
    Play(PlayArgs),
    /// Check a story directory and report every problem.
    Check(CheckArgs),
    /// Count scenes, choices, endings, checks and words.
    Stats(StatsArgs),
    /// Walk every reachable state: coverage, soft-locks, shortest paths to endings.
    Explore(ExploreArgs),
    /// Draw the scene graph (Graphviz dot or Mermaid).
    Graph(GraphArgs),
    /// Write every line of text with its id and tags, for translation and voice recording.
    Export(ExportArgs),
    /// Replay a plan without a terminal and print its transcript.
    Replay(ReplayArgs),
    /// List the saved games.
    Saves(SavesArgs),
    /// Run the language server for editors, over stdin and stdout (see docs/authoring.md).
    Lsp(LspArgs),
    /// Explain a diagnostic code, as `check` prints it (`callister explain E011`).
    Explain {
        /// The code, such as `E011` or `w004`.
        code: String,
    },
    /// Print a shell's completion script (see the README for where it goes).
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page, as roff: `callister man | man -l -`.
    Man {
        /// The page of one command (`callister man check`) instead of the
        /// main page.
        command: Option<String>,
    },
    /// Write a synthetic story for benches and scale tests (see docs/performance.md).
    #[command(hide = true)]
    Synth(SynthArgs),
}

/// The play options, accepted before `play` (or with no command) as well as
/// after it.
#[derive(Args, Clone, Default)]
struct PlayArgs {
    /// Play the story in DIR instead of the shipped one.
    #[arg(long, value_name = "DIR")]
    scenes: Option<PathBuf>,
    /// Where saves, the endings ledger and the prompt history live.
    #[arg(long, value_name = "DIR")]
    saves: Option<PathBuf>,
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
    /// Resume the latest save.
    #[arg(long = "continue", conflicts_with = "slot")]
    resume: bool,
    /// Load this save slot.
    #[arg(long, value_name = "NAME")]
    slot: Option<String>,
    /// Plain output for screen readers: no colour, box drawing or inline
    /// hints (automatic under TERM=dumb).
    #[arg(long)]
    plain: bool,
    /// Skip mode from the start: a scene whose text was read in any
    /// playthrough shows as its title and one line (`skip on` at the prompt
    /// remembers it).
    #[arg(long)]
    skip_seen: bool,
    /// Reload the story when a file of --scenes DIR changes, keeping the
    /// game (as `reload` does); a broken version is shown and the old one
    /// plays on.
    #[arg(long)]
    watch: bool,
}

#[derive(Args)]
struct CheckArgs {
    /// The story directory (default: ./scenes when it holds a story, else
    /// the shipped story).
    dir: Option<PathBuf>,
    /// `--deny warnings` makes warnings fail the check too.
    #[arg(long, value_name = "LEVEL")]
    deny: Option<DenyLevel>,
    /// `json`: one diagnostic per line, for editors and scripts.
    #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
    format: OutputFormat,
    /// Check again each time a file of the story changes (Ctrl-C stops).
    #[arg(long)]
    watch: bool,
}

#[derive(Args)]
struct LspArgs {
    /// The story directory (default: the editor's workspace folder when it
    /// holds a story.ron, and the story of each file opened).
    dir: Option<PathBuf>,
}

#[derive(Args)]
struct StatsArgs {
    /// The story directory (default: ./scenes when it holds a story, else
    /// the shipped story).
    dir: Option<PathBuf>,
    /// `json`: the counts as one JSON object.
    #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
    format: OutputFormat,
}

#[derive(Args)]
struct ExploreArgs {
    /// The story directory (default: ./scenes when it holds a story, else
    /// the shipped story).
    dir: Option<PathBuf>,
    /// Stop admitting states past this many (default: no bound but
    /// memory).
    #[arg(long, value_name = "N")]
    max_states: Option<usize>,
    /// The memory the walk may use, as `512M`, `4G` or bytes (default
    /// `2G`); past it, the walk is cut off.
    #[arg(long, value_name = "SIZE", value_parser = author::parse_size)]
    max_memory: Option<usize>,
    /// Write a plan for the shortest path to every ending into DIR.
    #[arg(long, value_name = "DIR")]
    plans: Option<PathBuf>,
    /// Instead of the exhaustive walk, play N random playthroughs (with
    /// --plans: the shortest run to each ending).
    #[arg(long, value_name = "N")]
    random: Option<usize>,
    /// The seed of the random playthroughs.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Explore from this scene instead of the story's start.
    #[arg(long, value_name = "SCENE")]
    from: Option<String>,
    /// Preset state before exploring, as `play --set` does. Repeatable.
    #[arg(long = "set", value_name = "NAME=VALUE")]
    set: Vec<String>,
    /// `json`: the report as one JSON object.
    #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
    format: OutputFormat,
    /// The old spelling of `--format json`, kept for scripts.
    #[arg(long, hide = true, conflicts_with = "format")]
    json: bool,
    /// Also find the shortest playthrough to a state where COND holds (a
    /// condition, as in `when`), or prove that none exists.
    #[arg(long, value_name = "COND", conflicts_with = "random")]
    witness: Option<String>,
}

#[derive(Args)]
struct GraphArgs {
    /// The story directory (default: ./scenes when it holds a story, else
    /// the shipped story).
    dir: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = GraphFormat::Dot)]
    format: GraphFormat,
    /// Only the scenes of one chapter (its title or file stem), with the
    /// scenes it leads to and comes from drawn as stubs.
    #[arg(long, value_name = "NAME", conflicts_with = "around")]
    chapter: Option<String>,
    /// Only the scenes near SCENE, both ways (see --depth).
    #[arg(long, value_name = "SCENE")]
    around: Option<String>,
    /// With --around: how many choices away.
    #[arg(long, value_name = "N", default_value_t = 2, requires = "around")]
    depth: usize,
    /// Overlay an exploration: highlight scenes it never reached.
    #[arg(long)]
    coverage: bool,
    /// With --coverage: stop exploring after this many states.
    #[arg(long, default_value_t = explore::DEFAULT_MAX_STATES)]
    max_states: usize,
}

#[derive(Args)]
struct ExportArgs {
    /// The story directory (default: ./scenes when it holds a story, else
    /// the shipped story).
    dir: Option<PathBuf>,
    /// `json`: one object with the story's title and its lines; `csv`: a
    /// header, then a row a line.
    #[arg(long, value_enum, default_value_t = ExportFormat::Json)]
    format: ExportFormat,
}

#[derive(Clone, Copy, ValueEnum)]
enum ExportFormat {
    Json,
    Csv,
}

#[derive(Args)]
struct ReplayArgs {
    /// The plan file.
    plan: PathBuf,
    /// The story directory (default: the plan's `story`, else the
    /// shipped story).
    #[arg(long, value_name = "DIR")]
    scenes: Option<PathBuf>,
    /// Compare with a blessed transcript; exit 1 with a diff on a mismatch.
    #[arg(long, value_name = "FILE")]
    expect: Option<PathBuf>,
    /// Write the transcript as the blessed one (to --expect FILE).
    #[arg(long, requires = "expect")]
    bless: bool,
}

#[derive(Args)]
struct SavesArgs {
    /// The saves directory (default: $CALLISTER_SAVES, else the platform's
    /// data directory).
    #[arg(long, value_name = "DIR")]
    saves: Option<PathBuf>,
    /// The story the saves are of, to name their scenes (default: the
    /// shipped story).
    #[arg(long, value_name = "DIR")]
    scenes: Option<PathBuf>,
    /// `json`: the saves as one JSON object.
    #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
    format: OutputFormat,
}

#[derive(Args)]
struct SynthArgs {
    /// How many scenes.
    #[arg(long, default_value_t = 1000)]
    scenes: usize,
    /// The same seed writes the same story, byte for byte.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// The directory to write `story.ron` and the chapter files into.
    out: PathBuf,
}

#[derive(Clone, Copy, ValueEnum)]
enum DenyLevel {
    Warnings,
}

/// Text for people, or JSON for programs: one spelling for every command.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum OutputFormat {
    Human,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum GraphFormat {
    Dot,
    Mermaid,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ColorWhen {
    Auto,
    Always,
    Never,
}

impl ColorWhen {
    fn choice(self) -> anstream::ColorChoice {
        match self {
            ColorWhen::Auto => anstream::ColorChoice::Auto,
            ColorWhen::Always => anstream::ColorChoice::Always,
            ColorWhen::Never => anstream::ColorChoice::Never,
        }
    }
}

/// The clap command, for completions and the man page.
fn command() -> clap::Command {
    Cli::command()
}

/// The value of `--color` in raw arguments (`--color WHEN` or
/// `--color=WHEN`), read before clap parses them; a value clap would refuse
/// is left for clap to report.
fn color_given(args: impl IntoIterator<Item = OsString>) -> Option<ColorWhen> {
    let mut found = None;
    let mut args = args.into_iter().skip(1);
    while let Some(arg) = args.next() {
        let Some(arg) = arg.to_str() else { continue };
        let value = match arg {
            "--" => break,
            "--color" => args.next().and_then(|v| v.into_string().ok()),
            _ => arg.strip_prefix("--color=").map(str::to_string),
        };
        if let Some(v) = value.and_then(|v| ColorWhen::from_str(&v, false).ok()) {
            found = Some(v);
        }
    }
    found
}

/// The command to run, with the play options given before it moved to it:
/// `callister --seed 5 play` is `callister play --seed 5`. An option given
/// before a command it means nothing to is refused, never ignored.
fn resolve(cli: Cli) -> Result<Cmd, clap::Error> {
    let before = cli.play;
    let command = cli.command.unwrap_or(Cmd::Play(PlayArgs::default()));
    let name = command_name(&command);
    match command {
        Cmd::Play(after) => {
            let args = merge(before, after)?;
            if args.resume && args.slot.is_some() {
                return Err(usage_error(
                    "`--continue` and `--slot` cannot be used together: `--continue` loads the latest save, `--slot NAME` the one named"
                        .to_string(),
                ));
            }
            Ok(Cmd::Play(args))
        }
        Cmd::Saves(mut after) => {
            refuse_before(&before, &["--saves", "--scenes"], name)?;
            after.saves = once("--saves", name, before.saves, after.saves)?;
            after.scenes = once("--scenes", name, before.scenes, after.scenes)?;
            Ok(Cmd::Saves(after))
        }
        Cmd::Replay(mut after) => {
            refuse_before(&before, &["--scenes"], name)?;
            after.scenes = once("--scenes", name, before.scenes, after.scenes)?;
            Ok(Cmd::Replay(after))
        }
        other => {
            refuse_before(&before, &[], name)?;
            Ok(other)
        }
    }
}

fn command_name(command: &Cmd) -> &'static str {
    match command {
        Cmd::Play(_) => "play",
        Cmd::Check(_) => "check",
        Cmd::Stats(_) => "stats",
        Cmd::Explore(_) => "explore",
        Cmd::Graph(_) => "graph",
        Cmd::Export(_) => "export",
        Cmd::Replay(_) => "replay",
        Cmd::Saves(_) => "saves",
        Cmd::Explain { .. } => "explain",
        Cmd::Completions { .. } => "completions",
        Cmd::Man { .. } => "man",
        Cmd::Synth(_) => "synth",
        Cmd::Lsp(_) => "lsp",
    }
}

/// The play options given before `play`, and after it, as one set.
fn merge(before: PlayArgs, after: PlayArgs) -> Result<PlayArgs, clap::Error> {
    let name = "play";
    let mut set = before.set;
    set.extend(after.set);
    Ok(PlayArgs {
        scenes: once("--scenes", name, before.scenes, after.scenes)?,
        saves: once("--saves", name, before.saves, after.saves)?,
        seed: once("--seed", name, before.seed, after.seed)?,
        from: once("--from", name, before.from, after.from)?,
        set,
        resume: before.resume || after.resume,
        slot: once("--slot", name, before.slot, after.slot)?,
        plain: before.plain || after.plain,
        skip_seen: before.skip_seen || after.skip_seen,
        watch: before.watch || after.watch,
    })
}

/// An option given at most once, before the command or after it.
fn once<T>(
    option: &str,
    command: &str,
    before: Option<T>,
    after: Option<T>,
) -> Result<Option<T>, clap::Error> {
    match (before, after) {
        (Some(_), Some(_)) => Err(usage_error(format!(
            "`{option}` is given both before and after `{command}`: give it once"
        ))),
        (b, a) => Ok(a.or(b)),
    }
}

/// Refuses the play options given before a command that takes none of
/// them but `allowed`.
fn refuse_before(before: &PlayArgs, allowed: &[&str], command: &str) -> Result<(), clap::Error> {
    let given = [
        ("--scenes", before.scenes.is_some()),
        ("--saves", before.saves.is_some()),
        ("--seed", before.seed.is_some()),
        ("--from", before.from.is_some()),
        ("--set", !before.set.is_empty()),
        ("--continue", before.resume),
        ("--slot", before.slot.is_some()),
        ("--plain", before.plain),
        ("--skip-seen", before.skip_seen),
        ("--watch", before.watch),
    ];
    let Some((option, _)) = given
        .iter()
        .find(|(option, given)| *given && !allowed.contains(option))
    else {
        return Ok(());
    };
    let takes_it = command_takes(command, option);
    let message = if takes_it {
        format!(
            "`{option}` before `{command}` is a play option; for `{command}`'s own, put it after: `callister {command} {option} …`"
        )
    } else {
        format!("`{option}` is an option of `play`; `{command}` does not take it")
    };
    Err(usage_error(message))
}

/// Whether a subcommand has a long option of this name (`--seed`).
fn command_takes(command: &str, option: &str) -> bool {
    let long = option.trim_start_matches('-');
    let cli = Cli::command();
    cli.find_subcommand(command)
        .is_some_and(|c| c.get_arguments().any(|a| a.get_long() == Some(long)))
}

/// A usage error as clap shows its own (exit status 2).
fn usage_error(message: String) -> clap::Error {
    Cli::command().error(clap::error::ErrorKind::ArgumentConflict, message)
}

/// Whether stderr shows colour (`--color`, NO_COLOR, a terminal).
fn stderr_color() -> bool {
    anstream::AutoStream::choice(&std::io::stderr()) != anstream::ColorChoice::Never
}

/// Whether stdout shows colour (`--color`, NO_COLOR, a terminal).
fn stdout_color() -> bool {
    anstream::AutoStream::choice(&std::io::stdout()) != anstream::ColorChoice::Never
}

/// Shows a failed compile's diagnostics on stderr.
fn report_failure(failure: &Failure) {
    let text = diagnostic::render_all(&failure.diagnostics, &failure.sources, stderr_color());
    anstream::eprint!("{text}");
}

/// The story in `dir`, or the shipped one; a story that does not compile is
/// shown and is `Exit::Problems`.
fn load(dir: Option<&Path>) -> Result<Story, Exit> {
    let result = match dir {
        Some(dir) => compile::load_dir(dir),
        None => crate::story::embedded::story(),
    };
    result.map_err(|f| {
        report_failure(&f);
        Exit::Problems
    })
}

/// A state at `from` (or the start) with presets applied.
fn start_state(
    story: &Story,
    seed: u64,
    from: Option<&str>,
    set: &[String],
) -> Result<State, String> {
    let start = match from {
        Some(id) => story.scene_by_id(id).ok_or_else(|| {
            let near = diagnostic::suggest(id, story.scenes.iter().map(|s| s.id.as_str()));
            let hint = near
                .map(|n| format!(" (did you mean `{n}`?)"))
                .unwrap_or_default();
            format!("unknown scene `{id}`{hint}")
        })?,
        None => story.start,
    };
    let mut state = State::at(story, seed, start);
    for assignment in set {
        crate::engine::preset::apply(story, &mut state, assignment)?;
    }
    Ok(state)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    #[test]
    fn the_definitions_are_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn color_is_found_before_parsing() {
        let found = |args: &[&str]| color_given(os(args));
        assert!(found(&["callister", "--color", "never"]) == Some(ColorWhen::Never));
        assert!(found(&["callister", "check", "--color=always"]) == Some(ColorWhen::Always));
        assert!(found(&["callister", "--color", "sometimes"]).is_none());
        assert!(found(&["callister", "--", "--color", "never"]).is_none());
        assert!(found(&["callister", "play"]).is_none());
    }
}
