//! The authoring commands: `check`, `stats`, `explore`, `graph`, `replay`
//! and the hidden `synth`.

use std::path::{Path, PathBuf};

use crate::cli::watch::{self, StoryWatch};
use crate::cli::{
    CheckArgs, Exit, ExploreArgs, GraphArgs, GraphFormat, OutputFormat, ReplayArgs, StatsArgs,
    SynthArgs, load, report_failure, start_state, stderr_color,
};
use crate::engine::State;
use crate::play::save;
use crate::story::compile::{self, Failure, STORY_FILE};
use crate::story::diagnostic::{self, Severity};
use crate::story::{Story, embedded};
use crate::tools::explore::report::plural;
use crate::tools::plan::{self, Plan};
use crate::tools::{check as lints, explore as explorer, graph as graphs, stats as counts};

pub(super) fn check(args: CheckArgs) -> Exit {
    let source = StorySource::pick(args.dir.clone());
    if !args.watch {
        return check_once(&args, &source);
    }
    let StorySource::Dir(dir) = &source else {
        eprintln!("error: `--watch` needs a story directory: `callister check --watch DIR`");
        return Exit::Usage;
    };
    // Watching starts before the first check, so that an edit made while
    // it runs is not missed.
    let watch = match StoryWatch::new(dir) {
        Ok(w) => w,
        Err(e) => {
            eprintln!("error: {e}");
            return Exit::Usage;
        }
    };
    let mut exit = check_once(&args, &source);
    eprintln!("watching `{}` for changes (Ctrl-C stops)", dir.display());
    while let Some(changed) = watch.wait() {
        eprintln!("\n{} changed: checking again", watch::files(&changed));
        exit = check_once(&args, &source);
    }
    exit
}

/// One `check` of the story.
fn check_once(args: &CheckArgs, source: &StorySource) -> Exit {
    let (diagnostics, sources, summary) = match source.compile() {
        Ok(story) => {
            let summary = format!(
                "{}: {}, {}, {}",
                source.label(),
                plural(story.scenes.len(), "scene"),
                plural(story.choices.len(), "choice"),
                plural(story.endings.len(), "ending")
            );
            (lints::lint(&story), story.sources, Some(summary))
        }
        Err(f) => (f.diagnostics, f.sources, None),
    };
    let errors = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = diagnostics.len() - errors;
    if args.format == OutputFormat::Json {
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
    if errors > 0 || (args.deny.is_some() && warnings > 0) {
        Exit::Problems
    } else {
        Exit::Success
    }
}

pub(super) fn stats(args: StatsArgs) -> Exit {
    let story = match StorySource::pick(args.dir).load() {
        Ok(s) => s,
        Err(exit) => return exit,
    };
    if args.format == OutputFormat::Json {
        println!("{}", stats_json(&story));
    } else {
        print!("{}", counts::render(&story));
    }
    Exit::Success
}

pub(super) fn explore(args: ExploreArgs) -> Exit {
    let story = match StorySource::pick(args.dir).load() {
        Ok(s) => s,
        Err(exit) => return exit,
    };
    let json = args.json || args.format == OutputFormat::Json;
    if let Some(runs) = args.random {
        let r = explorer::random(&story, runs, args.seed);
        if let Some(dir) = &args.plans {
            let found = explorer::Report {
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
            if let Err(e) = explorer::report::write_plans(&story, &found, dir, None, &[]) {
                eprintln!("error: cannot write plans to `{}`: {e}", dir.display());
                return Exit::Usage;
            }
        }
        if json {
            println!("{}", diagnostic::json_string(&r));
        } else {
            print!("{}", explorer::report::render_random(&story, &r));
        }
        return if r.stuck > 0 {
            Exit::Problems
        } else {
            Exit::Success
        };
    }
    let start = match start_state(&story, 0, args.from.as_deref(), &args.set) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return Exit::Usage;
        }
    };
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
    let started = std::time::Instant::now();
    let report = explorer::explore(&story, start, args.max_states, &progress);
    bar.finish_and_clear();
    let elapsed = started.elapsed();
    if let Some(dir) = &args.plans
        && let Err(e) =
            explorer::report::write_plans(&story, &report, dir, args.from.as_deref(), &args.set)
    {
        eprintln!("error: cannot write plans to `{}`: {e}", dir.display());
        return Exit::Usage;
    }
    let problems = !report.soft_locks.is_empty() || !report.complete;
    if json {
        println!(
            "{}",
            explorer::report::to_json(&story, &report, elapsed.as_secs_f64())
        );
    } else {
        print!(
            "{}",
            explorer::report::render(&story, &report, elapsed, args.plans.as_deref())
        );
    }
    if problems {
        Exit::Problems
    } else {
        Exit::Success
    }
}

pub(super) fn graph(args: GraphArgs) -> Exit {
    let story = match StorySource::pick(args.dir).load() {
        Ok(s) => s,
        Err(exit) => return exit,
    };
    let unreached = args.coverage.then(|| {
        let r = explorer::explore(&story, State::new(&story, 0), args.max_states, &|_, _| {});
        r.scenes_reached.iter().map(|b| !b).collect::<Vec<_>>()
    });
    let format = match args.format {
        GraphFormat::Dot => graphs::Format::Dot,
        GraphFormat::Mermaid => graphs::Format::Mermaid,
    };
    print!("{}", graphs::render(&story, format, unreached.as_deref()));
    Exit::Success
}

pub(super) fn replay(args: &ReplayArgs) -> Exit {
    let path = &args.plan;
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: cannot read plan `{}`: {e}", path.display());
            return Exit::Usage;
        }
    };
    let plan = match Plan::parse(&text) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: `{}` is not a valid plan: {e}", path.display());
            return Exit::Usage;
        }
    };
    let story = match load(args.scenes.as_deref()) {
        Ok(s) => s,
        Err(exit) => return exit,
    };
    let result = match plan.replay(story) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return Exit::Problems;
        }
    };
    let mut exit = Exit::Success;
    for f in &result.failures {
        eprintln!("plan failed: {f}");
        exit = Exit::Problems;
    }
    match (&args.expect, args.bless) {
        (Some(expected), true) => {
            let dir = expected
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            if let Err(e) = save::write_atomic(dir, expected, result.transcript.as_bytes()) {
                eprintln!("error: {e}");
                return Exit::Usage;
            }
            eprintln!("blessed `{}`", expected.display());
        }
        (Some(expected_path), false) => match std::fs::read_to_string(expected_path) {
            Ok(expected) if expected == result.transcript => {}
            Ok(expected) => {
                eprintln!(
                    "transcript differs from `{}` (run with --bless to accept):",
                    expected_path.display()
                );
                eprint!("{}", plan::diff(&expected, &result.transcript));
                exit = Exit::Problems;
            }
            Err(e) => {
                eprintln!(
                    "error: cannot read `{}`: {e} (run with --bless to create it)",
                    expected_path.display()
                );
                return Exit::Usage;
            }
        },
        (None, _) => print!("{}", result.transcript),
    }
    exit
}

pub(super) fn synth(args: &SynthArgs) -> Exit {
    match crate::tools::synth::write_dir(&args.out, args.scenes, args.seed) {
        Ok(bytes) => {
            println!(
                "wrote {} ({bytes} bytes of RON) to {}",
                plural(args.scenes.max(1), "scene"),
                args.out.display()
            );
            Exit::Success
        }
        Err(e) => {
            eprintln!("error: cannot write to `{}`: {e}", args.out.display());
            Exit::Usage
        }
    }
}

/// The story an authoring command reads: the directory given; else
/// `./scenes` when it holds a story (the repository); else the shipped
/// story, which is said on stderr.
enum StorySource {
    Dir(PathBuf),
    Shipped,
}

impl StorySource {
    fn pick(dir: Option<PathBuf>) -> StorySource {
        match dir {
            Some(dir) => StorySource::Dir(dir),
            None if Path::new("scenes").join(STORY_FILE).is_file() => {
                StorySource::Dir(PathBuf::from("scenes"))
            }
            None => {
                eprintln!("using the shipped story (no ./scenes/{STORY_FILE} here)");
                StorySource::Shipped
            }
        }
    }

    fn compile(&self) -> Result<Story, Failure> {
        match self {
            StorySource::Dir(dir) => compile::load_dir(dir),
            StorySource::Shipped => embedded::story(),
        }
    }

    /// The story compiled, or its diagnostics shown and `Exit::Problems`.
    fn load(&self) -> Result<Story, Exit> {
        self.compile().map_err(|f| {
            report_failure(&f);
            Exit::Problems
        })
    }

    fn label(&self) -> String {
        match self {
            StorySource::Dir(dir) => dir.display().to_string(),
            StorySource::Shipped => "the shipped story".to_string(),
        }
    }
}

/// `stats --format json`: the same counts as the table, and the
/// consequences by choice (`scene/key`).
fn stats_json(story: &Story) -> String {
    let (total, chapters) = counts::count(story);
    let counted = |c: &counts::Counts| {
        serde_json::json!({
            "scenes": c.scenes,
            "choices": c.choices,
            "endings": c.endings,
            "checks": c.checks,
            "words": c.words,
        })
    };
    let later = counts::consequences(story);
    let keys = |ids: &[crate::story::ChoiceId]| {
        ids.iter()
            .map(|&c| crate::play::ledger::choice_key(story, c))
            .collect::<Vec<_>>()
    };
    serde_json::json!({
        "title": story.title,
        "total": counted(&total),
        "chapters": chapters
            .iter()
            .map(|(title, c)| {
                let mut row = counted(c);
                row["title"] = serde_json::Value::from(title.as_str());
                row
            })
            .collect::<Vec<_>>(),
        "consequences": {
            "open": keys(&later.open),
            "told": keys(&later.told),
        },
    })
    .to_string()
}

/// `callister explain CODE`: a diagnostic code's explanation.
pub(super) fn explain(code: &str) -> Exit {
    match crate::story::code::Code::lookup(code) {
        Ok(code) => {
            print!("{}", code.explain());
            Exit::Success
        }
        Err(message) => {
            eprintln!("error: {message}");
            Exit::Usage
        }
    }
}
