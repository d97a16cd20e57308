//! The `callister` binary: play the game, and the authoring tools.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use callister::engine::State;
use callister::play::host::{self, GameHost};
use callister::play::repl;
use callister::play::save::{self, AUTOSAVE, SaveDir};
use callister::play::session::{Look, Session};
use callister::story::Story;
use callister::story::compile::{self, Failure};
use callister::story::diagnostic::{self, Severity};
use callister::tools::explore;
use callister::tools::graph;
use callister::tools::plan::{self, Plan};

#[derive(Parser)]
#[command(
    name = "callister",
    version,
    about = "USS Callister: Into Infinity — a text adventure, and the engine it runs on",
    after_help = "With no command, plays the game. Saves go to --saves DIR, else $CALLISTER_SAVES, else ./saves if it exists, else the platform's data directory."
)]
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
        /// `--deny warnings` makes warnings fail the check too.
        #[arg(long, value_name = "LEVEL")]
        deny: Option<DenyLevel>,
        #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
        format: OutputFormat,
    },
    /// Count scenes, choices, endings, checks and words.
    Stats {
        #[arg(default_value = "scenes")]
        dir: PathBuf,
    },
    /// Walk every reachable state: coverage, soft-locks, shortest paths to endings.
    Explore(ExploreArgs),
    /// Draw the scene graph (Graphviz dot or Mermaid).
    Graph {
        #[arg(default_value = "scenes")]
        dir: PathBuf,
        #[arg(long, value_enum, default_value_t = GraphFormat::Dot)]
        format: GraphFormat,
        /// Overlay an exploration: highlight scenes it never reached.
        #[arg(long)]
        coverage: bool,
        #[arg(long, default_value_t = explore::DEFAULT_MAX_STATES)]
        max_states: usize,
    },
    /// Replay a plan without a terminal and print its transcript.
    Replay {
        /// The plan file.
        plan: PathBuf,
        /// The story directory (default: the shipped story).
        #[arg(long, value_name = "DIR")]
        scenes: Option<PathBuf>,
        /// Compare with a blessed transcript; exit 1 with a diff on a mismatch.
        #[arg(long, value_name = "FILE")]
        expect: Option<PathBuf>,
        /// Write the transcript as the blessed one (to --expect FILE).
        #[arg(long, requires = "expect")]
        bless: bool,
    },
    /// List the saved games.
    Saves {
        #[arg(long, value_name = "DIR")]
        saves: Option<PathBuf>,
        #[arg(long, value_name = "DIR")]
        scenes: Option<PathBuf>,
    },
    /// Explain a diagnostic code, as `check` prints it (`callister explain E011`).
    Explain { code: String },
    /// Write a synthetic story for benches and scale tests (see docs/performance.md).
    #[command(hide = true)]
    Synth(SynthArgs),
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

#[derive(Args)]
struct ExploreArgs {
    #[arg(default_value = "scenes")]
    dir: PathBuf,
    /// Stop after this many states.
    #[arg(long, default_value_t = explore::DEFAULT_MAX_STATES)]
    max_states: usize,
    /// Write a plan for the shortest path to every ending into DIR.
    #[arg(long, value_name = "DIR")]
    plans: Option<PathBuf>,
    /// Instead of the exhaustive walk, play N random playthroughs (with
    /// --plans: the shortest run to each ending).
    #[arg(long, value_name = "N")]
    random: Option<usize>,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Explore from this scene instead of the story's start.
    #[arg(long, value_name = "SCENE")]
    from: Option<String>,
    /// Preset state before exploring, as `play --set` does. Repeatable.
    #[arg(long = "set", value_name = "NAME=VALUE")]
    set: Vec<String>,
    /// Machine-readable output.
    #[arg(long)]
    json: bool,
}

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
}

fn main() -> ExitCode {
    // Rust ignores SIGPIPE, so printing to a closed pipe (`| head`) would
    // panic; the default action ends the process quietly, like other tools.
    #[cfg(unix)]
    // SAFETY: called first thing, before any thread starts; SIG_DFL is a
    // valid disposition for SIGPIPE.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    match cli.command {
        None => play(cli.play),
        Some(Cmd::Play(args)) => play(args),
        Some(Cmd::Check { dir, deny, format }) => check(&dir, deny.is_some(), format),
        Some(Cmd::Stats { dir }) => stats(&dir),
        Some(Cmd::Explore(args)) => explore_cmd(&args),
        Some(Cmd::Graph {
            dir,
            format,
            coverage,
            max_states,
        }) => graph_cmd(&dir, format, coverage, max_states),
        Some(Cmd::Replay {
            plan,
            scenes,
            expect,
            bless,
        }) => replay(&plan, scenes.as_deref(), expect.as_deref(), bless),
        Some(Cmd::Saves { saves, scenes }) => saves_cmd(saves.as_deref(), scenes.as_deref()),
        Some(Cmd::Synth(args)) => synth_cmd(&args),
        Some(Cmd::Explain { code }) => explain(&code),
    }
}

fn explain(code: &str) -> ExitCode {
    match callister::story::code::Code::lookup(code) {
        Ok(code) => {
            print!("{}", code.explain());
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

fn synth_cmd(args: &SynthArgs) -> ExitCode {
    match callister::tools::synth::write_dir(&args.out, args.scenes, args.seed) {
        Ok(bytes) => {
            println!(
                "wrote {} ({bytes} bytes of RON) to {}",
                plural(args.scenes.max(1), "scene"),
                args.out.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: cannot write to `{}`: {e}", args.out.display());
            ExitCode::from(1)
        }
    }
}

fn stderr_color() -> bool {
    anstream::AutoStream::choice(&std::io::stderr()) != anstream::ColorChoice::Never
}

fn stdout_color() -> bool {
    anstream::AutoStream::choice(&std::io::stdout()) != anstream::ColorChoice::Never
}

fn report(failure: &Failure) {
    let text = diagnostic::render_all(&failure.diagnostics, &failure.sources, stderr_color());
    anstream::eprint!("{text}");
}

fn load(dir: Option<&Path>) -> Result<Story, ExitCode> {
    let result = match dir {
        Some(dir) => compile::load_dir(dir),
        None => callister::story::embedded::story(),
    };
    result.map_err(|f| {
        report(&f);
        ExitCode::from(1)
    })
}

fn check(dir: &Path, deny_warnings: bool, format: OutputFormat) -> ExitCode {
    let (diagnostics, sources, summary) = match compile::load_dir(dir) {
        Ok(story) => {
            let summary = format!(
                "{}: {}, {}, {}",
                dir.display(),
                plural(story.scenes.len(), "scene"),
                plural(story.choices.len(), "choice"),
                plural(story.endings.len(), "ending")
            );
            (
                callister::tools::check::lint(&story),
                story.sources,
                Some(summary),
            )
        }
        Err(f) => (f.diagnostics, f.sources, None),
    };
    let errors = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = diagnostics.len() - errors;
    if format == OutputFormat::Json {
        for d in &diagnostics {
            println!("{}", d.to_json(&sources));
        }
    } else {
        anstream::eprint!(
            "{}",
            diagnostic::render_all(&diagnostics, &sources, stderr_color())
        );
        if let Some(summary) = summary
            && diagnostics.is_empty()
        {
            println!("{summary}: no problems found");
        }
    }
    if errors > 0 || (deny_warnings && warnings > 0) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn stats(dir: &Path) -> ExitCode {
    match load(Some(dir)) {
        Ok(story) => {
            print!("{}", callister::tools::stats::render(&story));
            ExitCode::SUCCESS
        }
        Err(code) => code,
    }
}

fn explore_cmd(args: &ExploreArgs) -> ExitCode {
    let story = match load(Some(&args.dir)) {
        Ok(s) => s,
        Err(code) => return code,
    };
    if let Some(runs) = args.random {
        let r = explore::random(&story, runs, args.seed);
        if let Some(dir) = &args.plans {
            let found = explore::Report {
                states: 0,
                complete: false,
                scenes_reached: Vec::new(),
                choices_taken: Vec::new(),
                endings: r.shortest.clone(),
                soft_locks: Vec::new(),
                scene_states: Vec::new(),
                dedup_bytes: 0,
                frontier: Vec::new(),
            };
            if let Err(e) = explore::report::write_plans(&story, &found, dir, None, &[]) {
                eprintln!("error: cannot write plans to `{}`: {e}", dir.display());
                return ExitCode::from(1);
            }
        }
        if args.json {
            println!("{}", diagnostic::json_string(&r));
        } else {
            print!("{}", explore::report::render_random(&story, &r));
        }
        return if r.stuck > 0 {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        };
    }
    let bar =
        indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {pos} states explored, {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    let progress = |done: usize, queued: usize| {
        bar.set_position(done as u64);
        bar.set_message(format!("{queued} queued"));
    };
    let start = match start_state(&story, 0, args.from.as_deref(), &args.set) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let started = std::time::Instant::now();
    let report = explore::explore(&story, start, args.max_states, &progress);
    bar.finish_and_clear();
    let elapsed = started.elapsed();
    if let Some(dir) = &args.plans
        && let Err(e) =
            explore::report::write_plans(&story, &report, dir, args.from.as_deref(), &args.set)
    {
        eprintln!("error: cannot write plans to `{}`: {e}", dir.display());
        return ExitCode::from(1);
    }
    let problems = !report.soft_locks.is_empty() || !report.complete;
    if args.json {
        println!(
            "{}",
            explore::report::to_json(&story, &report, elapsed.as_secs_f64())
        );
    } else {
        print!(
            "{}",
            explore::report::render(&story, &report, elapsed, args.plans.as_deref())
        );
    }
    if problems {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn graph_cmd(dir: &Path, format: GraphFormat, coverage: bool, max_states: usize) -> ExitCode {
    let story = match load(Some(dir)) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let unreached = coverage.then(|| {
        let r = explore::explore(&story, State::new(&story, 0), max_states, &|_, _| {});
        r.scenes_reached.iter().map(|b| !b).collect::<Vec<_>>()
    });
    let format = match format {
        GraphFormat::Dot => graph::Format::Dot,
        GraphFormat::Mermaid => graph::Format::Mermaid,
    };
    print!("{}", graph::render(&story, format, unreached.as_deref()));
    ExitCode::SUCCESS
}

fn replay(plan_path: &Path, scenes: Option<&Path>, expect: Option<&Path>, bless: bool) -> ExitCode {
    let text = match std::fs::read_to_string(plan_path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: cannot read plan `{}`: {e}", plan_path.display());
            return ExitCode::from(2);
        }
    };
    let plan = match Plan::parse(&text) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: `{}` is not a valid plan: {e}", plan_path.display());
            return ExitCode::from(2);
        }
    };
    let story = match load(scenes) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let result = match plan.replay(story) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(1);
        }
    };
    let mut failed = false;
    for f in &result.failures {
        eprintln!("plan failed: {f}");
        failed = true;
    }
    match (expect, bless) {
        (Some(path), true) => {
            if let Err(e) = std::fs::write(path, &result.transcript) {
                eprintln!("error: cannot write `{}`: {e}", path.display());
                return ExitCode::from(1);
            }
            eprintln!("blessed `{}`", path.display());
        }
        (Some(path), false) => match std::fs::read_to_string(path) {
            Ok(expected) if expected == result.transcript => {}
            Ok(expected) => {
                eprintln!(
                    "transcript differs from `{}` (run with --bless to accept):",
                    path.display()
                );
                eprint!("{}", plan::diff(&expected, &result.transcript));
                failed = true;
            }
            Err(e) => {
                eprintln!(
                    "error: cannot read `{}`: {e} (run with --bless to create it)",
                    path.display()
                );
                failed = true;
            }
        },
        (None, _) => print!("{}", result.transcript),
    }
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn saves_cmd(saves: Option<&Path>, scenes: Option<&Path>) -> ExitCode {
    let story = match load(scenes) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let dir = SaveDir::resolve(saves);
    let (good, bad) = dir.list();
    if good.is_empty() && bad.is_empty() {
        println!("No saves in `{}`.", dir.dir.display());
    } else {
        println!("Saves in `{}`:", dir.dir.display());
        print!("{}", host::render_saves_table(&story, &good, &bad));
    }
    ExitCode::SUCCESS
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
    let state = match start_state(&story, seed, args.from.as_deref(), &args.set) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let start = state.scene;
    let color = stdout_color();
    let look = Look {
        color,
        width: width(),
    };
    let saves = SaveDir::resolve(args.saves.as_deref());
    let start_id = story.scene(start).id.clone();
    let (mut host, warning) = GameHost::new(saves, start_id, args.scenes.clone(), color);
    let mut session = Session::new(story, state, look);
    if let Some(w) = warning {
        eprintln!("{w}");
    }
    // Which save to resume, if any.
    let slot = if let Some(slot) = &args.slot {
        Some(slot.clone())
    } else if args.resume {
        match host
            .saves
            .list()
            .0
            .into_iter()
            .find(|s| s.story == session.story.title)
        {
            Some(latest) => Some(latest.slot),
            None => {
                eprintln!("No save of this story to continue; starting a new game.");
                None
            }
        }
    } else if args.from.is_none()
        && args.set.is_empty()
        && std::io::stdin().is_terminal()
        && offer_continue(&host, &session.story)
    {
        Some(AUTOSAVE.to_string())
    } else {
        None
    };
    if let Some(slot) = slot {
        match host.load(&mut session, &slot) {
            Ok(notes) => {
                for n in notes {
                    println!("{n}");
                }
            }
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(1);
            }
        }
    }
    let history = host.saves.dir.join("history.txt");
    let _ = std::fs::create_dir_all(&host.saves.dir);
    let code = repl::run(&mut session, &mut host, Some(history));
    ExitCode::from(code as u8)
}

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
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
        callister::engine::preset::apply(story, &mut state, assignment)?;
    }
    Ok(state)
}

/// Asks whether to continue from the autosave, when there is one.
fn offer_continue(host: &GameHost, story: &Story) -> bool {
    let Ok(save) = host.saves.read(AUTOSAVE) else {
        return false;
    };
    if save.story != story.title {
        return false;
    }
    let scene = story
        .scene_by_id(&save.snapshot.scene)
        .map_or(save.snapshot.scene.clone(), |s| {
            story.scene(s).title.clone()
        });
    print!(
        "An autosave exists: “{scene}”, turn {}, saved {} UTC. Continue it? [Y/n] ",
        save.snapshot.turn,
        save::format_time(save.saved_at)
    );
    let _ = std::io::stdout().flush();
    let mut answer = String::new();
    if std::io::stdin().lock().read_line(&mut answer).is_err() {
        return false;
    }
    !answer.trim().to_lowercase().starts_with('n')
}

/// A seed from the process's hasher keys, which the OS randomises.
fn random_seed() -> u64 {
    use std::hash::BuildHasher;
    std::collections::hash_map::RandomState::new().hash_one(std::time::SystemTime::now())
}
