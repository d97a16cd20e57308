//! The authoring commands: `check`, `stats`, `explore`, `graph`, `export`,
//! `replay` and the hidden `synth`.

use std::path::{Path, PathBuf};

use crate::cli::watch::{self, StoryWatch};
use crate::cli::{
    CheckArgs, Exit, ExploreArgs, ExportArgs, ExportFormat, GraphArgs, GraphFormat, OutputFormat,
    ReplayArgs, StatsArgs, SynthArgs, load, report_failure, start_state, stderr_color,
};
use crate::engine::State;
use crate::fsio::{self, Follow};
use crate::story::compile::{self, Failure, STORY_FILE};
use crate::story::diagnostic::{self, Severity, visible};
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
            let mut story = story;
            let diagnostics = lints::lint(&story);
            let sources = std::mem::take(&mut story.sources);
            if !args.watch {
                left_to_exit(story);
            }
            (diagnostics, sources, Some(summary))
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

pub(super) fn export(args: ExportArgs) -> Exit {
    let story = match StorySource::pick(args.dir).load() {
        Ok(s) => s,
        Err(exit) => return exit,
    };
    let lines = crate::tools::export::lines(&story);
    match args.format {
        ExportFormat::Json => println!("{}", crate::tools::export::json(&story, &lines)),
        ExportFormat::Csv => match crate::tools::export::csv(&lines) {
            Ok(table) => print!("{table}"),
            Err(e) => {
                eprintln!("error: cannot write the table: {e}");
                return Exit::Usage;
            }
        },
    }
    Exit::Success
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
    left_to_exit(story);
    Exit::Success
}

/// A story a command is done with just before the process ends: its memory
/// is left for the exit to take back at once, rather than freed a scene at
/// a time (a sixth of `check`'s time on a story of 100,000 scenes).
fn left_to_exit(story: Story) {
    std::mem::forget(story);
}

pub(super) fn explore(args: ExploreArgs) -> Exit {
    let source = StorySource::pick(args.dir.clone());
    let story = match source.load() {
        Ok(s) => s,
        Err(exit) => return exit,
    };
    let json = args.json || args.format == OutputFormat::Json;
    if let Some(runs) = args.random {
        let r = explorer::random(&story, runs, args.seed);
        if let Some(dir) = &args.plans {
            let found = explorer::Report {
                complete: false,
                endings: r.shortest.clone(),
                ..explorer::Report::empty(&story)
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
    let witness = match &args.witness {
        Some(src) => match crate::story::compile::condition_in(&story, src) {
            Ok(c) => Some(c),
            Err(e) => {
                eprintln!("error: bad --witness `{src}`: {e}");
                return Exit::Usage;
            }
        },
        None => None,
    };
    let budget = args.max_memory.unwrap_or(explorer::DEFAULT_MAX_MEMORY);
    let limits = explorer::Limits {
        max_states: args.max_states,
        max_bytes: Some(budget),
    };
    // Hidden when stderr is not a terminal.
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(budget as u64),
        indicatif::ProgressDrawTarget::stderr(),
    );
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} {msg} [{bar:24}] {percent}% of the memory budget",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    let started = std::time::Instant::now();
    let progress = |p: &explorer::Progress| {
        let secs = started.elapsed().as_secs_f64().max(1e-3);
        bar.set_position(p.bytes.min(budget) as u64);
        let mut msg = format!(
            "{} states ({:.0}k/s), {} queued",
            p.states,
            p.states as f64 / secs / 1000.0,
            p.queued
        );
        if let Some(max) = args.max_states {
            msg.push_str(&format!(
                ", {:.0}% of --max-states",
                100.0 * p.states as f64 / max.max(1) as f64
            ));
        }
        bar.set_message(msg);
    };
    let report = explorer::explore_with(&story, start, limits, None, witness.as_ref(), &progress);
    bar.finish_and_clear();
    let elapsed = started.elapsed();
    if let Some(dir) = &args.plans
        && let Err(e) =
            explorer::report::write_plans(&story, &report, dir, args.from.as_deref(), &args.set)
    {
        eprintln!("error: cannot write plans to `{}`: {e}", dir.display());
        return Exit::Usage;
    }
    let problems = !report.soft_locks.is_empty()
        || !report.complete
        || !report.violations.is_empty()
        || matches!(report.witness, Some(None));
    if json {
        println!(
            "{}",
            explorer::report::to_json(
                &story,
                &report,
                elapsed.as_secs_f64(),
                args.witness.as_deref()
            )
        );
    } else {
        print!(
            "{}",
            explorer::report::render(
                &story,
                &report,
                elapsed,
                args.plans.as_deref(),
                &explorer::report::Asked {
                    witness: args.witness.as_deref(),
                    scenes: match &source {
                        StorySource::Dir(d) => Some(d.as_path()),
                        StorySource::Shipped => None,
                    },
                }
            )
        );
    }
    if problems {
        Exit::Problems
    } else {
        Exit::Success
    }
}

/// A size in bytes: a number with an optional binary unit, `512M`, `4G`,
/// `1.5GiB`, `100000` (bytes).
pub(super) fn parse_size(text: &str) -> Result<usize, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a size (say `512M` or `4G`)"))?;
    let unit = unit.trim().to_ascii_lowercase();
    let shift = match unit.trim_end_matches('b').trim_end_matches('i') {
        "" => 0,
        "k" => 10,
        "m" => 20,
        "g" => 30,
        "t" => 40,
        _ => return Err(format!("`{text}`: the unit is one of K, M, G or T")),
    };
    let bytes = value * (1u64 << shift) as f64;
    if !bytes.is_finite() || bytes < 1.0 || bytes > usize::MAX as f64 {
        return Err(format!("`{text}` is not a size this machine can hold"));
    }
    Ok(bytes as usize)
}

pub(super) fn graph(args: GraphArgs) -> Exit {
    let story = match StorySource::pick(args.dir).load() {
        Ok(s) => s,
        Err(exit) => return exit,
    };
    let view = match (&args.chapter, &args.around) {
        (Some(name), _) => graphs::View::chapter(&story, name),
        (None, Some(scene)) => graphs::View::around(&story, scene, args.depth),
        (None, None) => Ok(graphs::View::all(&story)),
    };
    let view = match view {
        Ok(v) => v,
        Err(e) => {
            eprintln!("error: {e}");
            return Exit::Usage;
        }
    };
    let unreached = args.coverage.then(|| {
        let limits = explorer::Limits {
            max_states: Some(args.max_states),
            max_bytes: Some(explorer::DEFAULT_MAX_MEMORY),
        };
        let r = explorer::explore_within(&story, State::new(&story, 0), limits, None, &|_| {});
        if !r.complete {
            eprintln!(
                "the exploration was cut off after {}: scenes marked unreached were not reached before the cut-off",
                plural(r.states, "state")
            );
        }
        r.scenes_reached.iter().map(|b| !b).collect::<Vec<_>>()
    });
    let format = match args.format {
        GraphFormat::Dot => graphs::Format::Dot,
        GraphFormat::Mermaid => graphs::Format::Mermaid,
    };
    print!(
        "{}",
        graphs::render_view(&story, format, &view, unreached.as_deref())
    );
    Exit::Success
}

pub(super) fn replay(args: &ReplayArgs) -> Exit {
    let path = &args.plan;
    // A plan and an expected transcript are files the user names: read only
    // if they are regular files (a FIFO would block, `/dev/zero` never
    // ends), and at most `fsio::MAX_PLAN_BYTES`.
    let text = match fsio::read_text(path, fsio::MAX_PLAN_BYTES, Follow::Yes) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: cannot read plan `{}`: {e}", shown(path));
            return Exit::Usage;
        }
    };
    let plan = match Plan::parse(&text) {
        Ok(p) => p,
        Err(e) => {
            eprintln!(
                "error: `{}` is not a valid plan: {}",
                shown(path),
                visible(&e)
            );
            return Exit::Usage;
        }
    };
    // The story: `--scenes`, else the plan's own `story` (relative to the
    // plan file), else the shipped story, which is said.
    let dir = match (&args.scenes, &plan.story) {
        (Some(dir), _) => Some(dir.clone()),
        (None, Some(rel)) => Some(
            path.parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(Path::new("."))
                .join(rel),
        ),
        (None, None) => {
            eprintln!(
                "replaying against the shipped story (the plan names no `story`; --scenes DIR picks another)"
            );
            None
        }
    };
    if let (None, Some(dir)) = (&args.scenes, &dir)
        && !dir.join(STORY_FILE).is_file()
    {
        eprintln!(
            "error: the plan's story `{}` is not a story directory (no {STORY_FILE} in `{}`)",
            plan.story.as_deref().unwrap_or_default(),
            dir.display()
        );
        return Exit::Usage;
    }
    let story = match load(dir.as_deref()) {
        Ok(s) => s,
        Err(exit) => return exit,
    };
    let result = match plan.replay(story) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {}", visible(&e));
            return Exit::Problems;
        }
    };
    let mut exit = Exit::Success;
    // A plan's keys are echoed into the transcript and named in failures:
    // what came from the file is shown with its control characters visible.
    for f in &result.failures {
        eprintln!("plan failed: {}", visible(f));
        exit = Exit::Problems;
    }
    match (&args.expect, args.bless) {
        (Some(expected), true) if !result.failures.is_empty() => {
            eprintln!(
                "not blessed: the plan failed, so `{}` is left as it was",
                expected.display()
            );
            return Exit::Problems;
        }
        (Some(expected), true) => {
            if let Err(e) = bless(expected, &result.transcript) {
                eprintln!("error: cannot bless `{}`: {e}", shown(expected));
                return Exit::Usage;
            }
            eprintln!("blessed `{}`", shown(expected));
        }
        (Some(expected_path), false) => {
            match fsio::read_text(expected_path, fsio::MAX_PLAN_BYTES, Follow::Yes) {
                Ok(expected) if expected == result.transcript => {}
                Ok(expected) => {
                    eprintln!(
                        "transcript differs from `{}` (run with --bless to accept):",
                        shown(expected_path)
                    );
                    eprint!("{}", visible(&plan::diff(&expected, &result.transcript)));
                    exit = Exit::Problems;
                }
                Err(e) => {
                    eprintln!(
                        "error: cannot read `{}`: {e} (run with --bless to create it)",
                        shown(expected_path)
                    );
                    return Exit::Usage;
                }
            }
        }
        (None, _) => print!("{}", visible(&result.transcript)),
    }
    exit
}

/// Writes a blessed transcript: never through a symbolic link (at the file,
/// or at a directory of a story repository that leads out of it), atomically,
/// readable by others (it is meant to be committed).
fn bless(path: &Path, transcript: &str) -> std::io::Result<()> {
    let dir = fsio::parent(path);
    fsio::check_confined(dir)?;
    std::fs::create_dir_all(dir)?;
    fsio::write_atomic(path, fsio::Access::Shared, |w| {
        w.write_all(transcript.as_bytes())
    })
}

/// A path for a message, control characters visible.
fn shown(path: &Path) -> String {
    visible(&path.display().to_string()).into_owned()
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
