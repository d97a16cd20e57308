//! `callister play` (and no command at all): the game at the prompt, with
//! its saves; and `callister saves`, the saves table from the shell.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::cli::watch::{self, StoryWatch};
use crate::cli::{Exit, OutputFormat, PlayArgs, SavesArgs, load, start_state, stdout_color};
use crate::play::host::{self, GameHost};
use crate::play::repl;
use crate::play::save::{self, SaveDir, SaveInfo};
use crate::play::session::{Look, Session, settle};
use crate::story::Story;
use crate::story::diagnostic::{MAX_CELL, visible, visible_cut};

pub(super) fn play(args: PlayArgs) -> Exit {
    let watch = match (args.watch, &args.scenes) {
        (false, _) => None,
        (true, None) => {
            eprintln!(
                "error: `--watch` reloads a story directory: give it with `--scenes DIR` (the shipped story is built in)"
            );
            return Exit::Usage;
        }
        (true, Some(dir)) => match StoryWatch::new(dir) {
            Ok(w) => Some(Reloader {
                dir: dir.clone(),
                watch: Some(w),
                waiting: Arc::new(AtomicBool::new(false)),
            }),
            Err(e) => {
                eprintln!("error: {e}");
                return Exit::Usage;
            }
        },
    };
    let saves = match SaveDir::resolve(args.saves.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return Exit::Usage;
        }
    };
    // Saves in the story directory (or below it) would be read back as
    // chapters by the loader, and break the story at its next start.
    if let Some(dir) = &args.scenes
        && crate::fsio::is_within(&saves.dir, dir)
    {
        eprintln!(
            "error: the saves directory `{}` is inside the story directory `{}`: the story would read the saves as chapters; give `--saves DIR` (or set `CALLISTER_SAVES`) to a directory outside it",
            visible(&saves.dir.display().to_string()),
            visible(&dir.display().to_string()),
        );
        return Exit::Usage;
    }
    let story = match load(args.scenes.as_deref()) {
        Ok(s) => s,
        Err(exit) => return exit,
    };
    let seed = args.seed.unwrap_or_else(random_seed);
    let state = match start_state(&story, seed, args.from.as_deref(), &args.set) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return Exit::Usage;
        }
    };
    let color = stdout_color();
    let look = Look {
        color,
        width: width(),
        plain: args.plain,
    };
    let start_id = story.scene(state.scene).id.clone();
    let (mut host, warning) = GameHost::new(saves, start_id, args.scenes.clone(), color);
    let mut session = Session::new(story, state, look);
    session.skip_seen = args.skip_seen;
    // A new game: a playthrough of its own, until a save is resumed.
    session.tree.playthrough = save::fresh_id();
    if let Some(w) = warning {
        eprintln!("{w}");
    }
    // Which save to resume, if any.
    let slot = if let Some(slot) = &args.slot {
        Some(slot.clone())
    } else if args.resume {
        let (good, _) = host.saves.list();
        let ours: Vec<&SaveInfo> = good
            .iter()
            .filter(|s| s.story == session.story.title)
            .collect();
        match ours.first() {
            Some(latest) => {
                println!(
                    "Continuing slot `{}`: {}.",
                    latest.slot,
                    describe(&session.story, latest)
                );
                // The autosave of another playthrough is not passed over
                // without a word.
                if let Some(auto) = ours
                    .iter()
                    .find(|s| Some(s.slot.as_str()) == host.autosave_slot())
                    .filter(|a| a.slot != latest.slot && a.playthrough != latest.playthrough)
                {
                    println!(
                        "The autosave is another playthrough ({}): `load {}` returns to it.",
                        describe(&session.story, auto),
                        auto.slot
                    );
                }
                Some(latest.slot.clone())
            }
            None => {
                eprintln!("No save of this story to continue; starting a new game.");
                None
            }
        }
    } else if args.from.is_none()
        && args.set.is_empty()
        && std::io::stdin().is_terminal()
        && let Some(slot) = host.autosave_slot().map(str::to_string)
        && offer_continue(&host, &session.story, &slot)
    {
        Some(slot)
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
                return Exit::Usage;
            }
        }
    }
    let history = host.saves.dir.join("history.txt");
    let _ = std::fs::create_dir_all(&host.saves.dir);
    // The prompt ends with 0 when the player leaves, and otherwise only
    // when its input cannot be read.
    let mut watch = watch;
    let watching = watch.as_mut().map(|w| w as &mut dyn repl::Watch);
    let code = repl::run(&mut session, &mut host, Some(history), watching);
    // However the prompt ended, the autosave is written whole.
    let leave = session.leave();
    let (text, _) = settle(&mut session, &mut host, leave);
    repl::emit(&text, &mut host);
    match code {
        0 => Exit::Success,
        _ => Exit::Usage,
    }
}

/// A save as the player knows it: `“The Door”, turn 4, saved 2026-11-24 06:12`.
fn describe(story: &Story, s: &SaveInfo) -> String {
    // The scene's title in this story, else the name the save gives, which
    // is shown, not sent, and cut to a line's length.
    let scene = story.scene_by_id(&s.scene).map_or_else(
        || visible_cut(&s.scene, MAX_CELL).into_owned(),
        |id| story.scene(id).title.clone(),
    );
    let future = if s.future { " (in the future)" } else { "" };
    format!(
        "“{scene}”, turn {}, saved {}{future}",
        s.turn,
        save::format_time(s.saved_at)
    )
}

pub(super) fn saves(args: &SavesArgs) -> Exit {
    let story = match load(args.scenes.as_deref()) {
        Ok(s) => s,
        Err(exit) => return exit,
    };
    let dir = match SaveDir::resolve(args.saves.as_deref()) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: {e}");
            return Exit::Usage;
        }
    };
    let (good, bad) = dir.list();
    if args.format == OutputFormat::Json {
        let value = serde_json::json!({
            "dir": dir.dir.display().to_string(),
            "saves": good.iter().map(|s| serde_json::json!({
                "slot": s.slot,
                "story": s.story,
                "scene": s.scene,
                "turn": s.turn,
                "saved_at": s.saved_at,
                "in_the_future": s.future,
            })).collect::<Vec<_>>(),
            "unreadable": bad.iter().map(|(slot, e)| serde_json::json!({
                "slot": slot,
                "error": e.to_string(),
            })).collect::<Vec<_>>(),
        });
        println!("{value}");
    } else if good.is_empty() && bad.is_empty() {
        println!("No saves in `{}`.", dir.dir.display());
    } else {
        println!("Saves in `{}`:", dir.dir.display());
        print!("{}", host::render_saves_table(&story, &good, &bad));
    }
    Exit::Success
}

/// The width to wrap prose at: the terminal's, else `COLUMNS`, else 80,
/// kept readable.
fn width() -> usize {
    let columns = terminal_size::terminal_size()
        .map(|(w, _)| w.0 as usize)
        .or_else(|| std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()))
        .unwrap_or(80);
    columns.clamp(20, 88) - 2
}

/// Asks whether to continue from the autosave, when there is one.
fn offer_continue(host: &GameHost, story: &Story, slot: &str) -> bool {
    let Ok(Some(info)) = host.saves.peek(slot) else {
        return false;
    };
    if info.story != story.title {
        return false;
    }
    print!(
        "An autosave exists in slot `{slot}`: {}. Continue it? [Y/n] ",
        describe(story, &info)
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

/// `play --watch`: a thread waits for the story's files to change and
/// compiles the new version; a broken one is shown at once and the old one
/// plays on, a good one is loaded before the next line the player enters.
struct Reloader {
    dir: PathBuf,
    /// Moved to the thread when watching starts.
    watch: Option<StoryWatch>,
    /// Set when a version that compiles is waiting.
    waiting: Arc<AtomicBool>,
}

impl repl::Watch for Reloader {
    fn start(&mut self, mut say: Box<dyn FnMut(String) + Send>) {
        let Some(watch) = self.watch.take() else {
            return;
        };
        let dir = self.dir.clone();
        let waiting = Arc::clone(&self.waiting);
        let color = stdout_color();
        std::thread::spawn(move || {
            while let Some(changed) = watch.wait() {
                let files = watch::files(&changed);
                match crate::story::compile::load_dir(&dir) {
                    Ok(story) => {
                        waiting.store(true, Ordering::SeqCst);
                        say(format!(
                            "\n{files} changed: press Enter to play the new version ({} scenes).\n",
                            story.scenes.len()
                        ));
                    }
                    Err(failure) => say(format!(
                        "\n{files} changed, and the story has errors:\n\n{}The old version plays on.\n",
                        crate::story::diagnostic::render_all(
                            &failure.diagnostics,
                            &failure.sources,
                            color
                        )
                    )),
                }
            }
        });
    }

    fn changed(&mut self) -> bool {
        self.waiting.swap(false, Ordering::SeqCst)
    }
}
