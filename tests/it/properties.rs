//! The fuzz targets' properties (see `fuzz/`), bounded so that every
//! `cargo test` checks them in a few seconds without the nightly toolchain:
//! the story compiler, the save loader and the plan loader on arbitrary and
//! on mutated input, and the prompt's command parser and session on
//! arbitrary lines.
//!
//! Every input that a fuzzer once broke is kept in `tests/fuzz_findings/`
//! (one directory per target) and replayed by `fuzz_findings_stay_fixed`.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use callister::engine::State;
use callister::engine::history::Tree;
use callister::play::command::{self, Command};
use callister::play::save::{SaveError, SaveFile};
use callister::play::session::{Flow, Look, NoHost, Session};
use callister::story::Story;
use callister::story::compile::{self, InputFile};
use callister::story::diagnostic;
use callister::tools::plan::Plan;
use proptest::prelude::*;

// The harness: one function per fuzz target, the same checks as there.

/// The byte that separates story files in a compile input (never in UTF-8).
const FILE_SEPARATOR: u8 = 0xFF;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn lighthouse() -> &'static Story {
    static STORY: OnceLock<Story> = OnceLock::new();
    STORY.get_or_init(|| compile::load_dir(&root().join("examples/lighthouse")).unwrap())
}

/// A synthetic story of 200 scenes (`callister synth`): it loops, with
/// checks, `once` choices and visit counts, so a walk goes on for as long
/// as it is asked to.
fn looping() -> &'static Story {
    static STORY: OnceLock<Story> = OnceLock::new();
    STORY.get_or_init(|| {
        compile::compile(callister::tools::synth::input_files(200, 7))
            .unwrap_or_else(|f| panic!("{:?}", f.diagnostics))
    })
}

/// The lighthouse's files joined as a compile input: `story.ron` first.
fn lighthouse_input() -> Vec<u8> {
    let dir = root().join("examples/lighthouse");
    let mut out = std::fs::read(dir.join("story.ron")).unwrap();
    out.push(FILE_SEPARATOR);
    out.extend(std::fs::read(dir.join("shore.ron")).unwrap());
    out
}

/// A real save of the lighthouse, written by the game: two branches.
fn lighthouse_save() -> String {
    let story = lighthouse();
    let mut session = new_session(story, 3);
    for line in ["shed", "back", "wade", "undo 2", "leave"] {
        session.input(line, &mut NoHost);
    }
    SaveFile::capture(story, &session.tree, story.start, 1_700_000_000, 42)
        .to_ron()
        .unwrap()
}

fn new_session(story: &Story, seed: u64) -> Session {
    Session::new(story.clone(), State::new(story, seed), Look::default())
}

/// Splits input into story files as the `compile` fuzz target does.
fn story_files(data: &[u8]) -> Vec<InputFile> {
    data.split(|&b| b == FILE_SEPARATOR)
        .enumerate()
        .map(|(i, chunk)| {
            let rel = if i == 0 {
                "story.ron".to_string()
            } else {
                format!("chapter{i}.ron")
            };
            InputFile {
                name: rel.clone(),
                rel,
                text: String::from_utf8_lossy(chunk).into_owned(),
            }
        })
        .collect()
}

fn assert_in_bounds(story: &Story, state: &State) {
    for (v, &x) in story.variables.iter().zip(&state.vars) {
        assert!(
            (v.min..=v.max).contains(&x),
            "`{}` = {x} is outside {}..={}",
            v.id,
            v.min,
            v.max
        );
    }
}

/// The `compile` target: a failure says why, in diagnostics that render; a
/// story can be linted, drawn, played by number and key with undo, rewind
/// and branches, and saved and restored as the same game.
fn check_compile(data: &[u8], walk: &[u8]) {
    let story = match compile::compile(story_files(data)) {
        Err(failure) => {
            assert!(
                failure.diagnostics.iter().any(|d| d.is_error()),
                "a failed compile must say why"
            );
            diagnostic::render_all(&failure.diagnostics, &failure.sources, false);
            diagnostic::render_all(&failure.diagnostics, &failure.sources, true);
            for d in &failure.diagnostics {
                d.to_json(&failure.sources);
            }
            return;
        }
        Ok(story) => story,
    };
    let lints = callister::tools::check::lint(&story);
    diagnostic::render_all(&lints, &story.sources, true);
    callister::tools::stats::render(&story);
    callister::tools::graph::render(&story, callister::tools::graph::Format::Dot, None);
    callister::tools::graph::render(&story, callister::tools::graph::Format::Mermaid, None);
    let mut session = new_session(&story, walk.len() as u64);
    let intro = session.intro();
    callister::play::session::settle(&mut session, &mut NoHost, intro);
    for &b in walk {
        let open = session.state().choices(&story).count();
        let line = match b % 8 {
            0 => "undo".to_string(),
            1 => "history".to_string(),
            2 => format!("rewind {}", b / 8),
            3 => format!("branch {}", b / 8),
            4 => match session.state().choices(&story).nth(usize::from(b / 8)) {
                Some(c) => story.choice(c).key.clone(),
                None => "look".to_string(),
            },
            _ => (usize::from(b / 8) % (open + 1) + 1).to_string(),
        };
        let (_, flow) = session.input(&line, &mut NoHost);
        assert_eq!(flow, Flow::Continue);
        assert_in_bounds(&story, session.state());
    }
    // Saved and read back: the same file, the same game.
    let save = SaveFile::capture(&story, &session.tree, story.start, 1_700_000_000, 5);
    let parsed = SaveFile::parse(&save.to_ron().unwrap(), Path::new("s.ron")).unwrap();
    assert_eq!(parsed, save);
    let (tree, _, report) = parsed.restore(&story, Path::new("s.ron")).unwrap();
    assert!(report.notes.is_empty(), "{:?}", report.notes);
    assert_eq!(tree.state(), session.state());
    assert_eq!(tree.log(), session.tree.log());
}

/// The `save` target: text that is not a save is refused as corrupt (or
/// newer), never a panic; a save that parses writes back the same, and one
/// that restores gives a game that can be shown and played on.
fn check_save(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = Path::new("s.ron");
    let save = match SaveFile::parse(text, path) {
        Ok(save) => save,
        Err(SaveError::Corrupt(..) | SaveError::Newer(..)) => return,
        Err(e) => panic!("parsing gave neither a save nor `Corrupt`: {e:?}"),
    };
    assert_eq!(
        SaveFile::parse(&save.to_ron().unwrap(), path).unwrap(),
        save
    );
    let story = lighthouse();
    check_saves_table(story, &save);
    if let Ok((tree, _, _)) = save.restore(story, path) {
        play_on(story, tree);
    }
}

/// What the player's terminal gets from a file (issue 13) holds no control
/// character but the line end and the tab, which `diagnostic::visible`
/// passes (they move the cursor, never command the terminal).
fn assert_inert(what: &str, shown: &str) {
    assert!(
        !shown
            .chars()
            .any(|c| !matches!(c, '\n' | '\t') && c.is_control()),
        "{what} sends a control character to the terminal: {shown:?}"
    );
}

/// A save's row of the saves table: rendered (a name of any length cut to
/// a column), and inert.
fn check_saves_table(story: &Story, save: &SaveFile) {
    let info = callister::play::save::SaveInfo {
        slot: "s".into(),
        story: save.story.clone(),
        scene: save.snapshot.scene.clone(),
        turn: save.snapshot.turn,
        saved_at: save.saved_at,
        playthrough: save.playthrough,
        future: false,
        order: save.saved_at,
    };
    let table = callister::play::session::render_saves_table(story, &[info], &[]);
    assert_inert("the saves table", &table);
}

fn play_on(story: &Story, tree: Tree) {
    let mut session = Session::new(story.clone(), tree.state().clone(), Look::default());
    session.replace_tree(tree);
    assert_in_bounds(story, session.state());
    for line in ["look", "history", "branches", "status", "undo", "1"] {
        session.input(line, &mut NoHost);
        assert_in_bounds(story, session.state());
    }
}

/// The `plan` target: a plan parses or gives a message; a parsed plan writes
/// back the same and replays with failures as sentences.
fn check_plan(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(plan) = Plan::parse(text) else {
        return;
    };
    assert_eq!(Plan::parse(&plan.to_ron().unwrap()).as_ref(), Ok(&plan));
    match plan.replay(lighthouse().clone()) {
        Ok(replay) => {
            assert_in_bounds(lighthouse(), &replay.state);
            // What `callister replay` prints of it.
            for failure in &replay.failures {
                assert_inert("a plan failure", &diagnostic::visible(failure));
            }
            assert_inert(
                "a replay transcript",
                &diagnostic::visible(&replay.transcript),
            );
        }
        Err(e) => assert_inert("a plan error", &diagnostic::visible(&e)),
    }
}

/// The `command` target: parsing is total and ignores surrounding
/// whitespace; a session takes any line without leaving a variable out of
/// bounds.
fn check_command(text: &str) {
    for line in text.split('\n') {
        let cmd = command::parse(line);
        assert_eq!(command::parse(&format!("  {line}\t ")), cmd, "{line:?}");
        if line.trim().is_empty() {
            assert_eq!(cmd, Command::Empty);
        }
        if let Command::Word(w) = &cmd {
            assert_eq!(*w, w.to_lowercase());
        }
    }
    let story = lighthouse();
    let mut session = new_session(story, text.len() as u64);
    for line in text.split('\n').take(64) {
        session.input(line, &mut NoHost);
        assert_in_bounds(story, session.state());
    }
}

// Mutations of real input, for the properties that start from a seed.

/// Words of the formats that random bytes rarely spell.
const TOKENS: &[&str] = &[
    "(",
    ")",
    "[",
    "]",
    "\"",
    ",",
    ":",
    "\\",
    "\\u{1F600}",
    "\\\"",
    "r#\"",
    "\"#",
    "é",
    "\u{0}",
    "\n",
    "id: ",
    "key: ",
    "goto: ",
    "when: ",
    "text: ",
    "choices: ",
    "scenes: ",
    "ending: ",
    "check: ",
    "chance: ",
    "min: ",
    "max: ",
    "initial: ",
    "on_enter: ",
    "effects: ",
    "once: true",
    "Add(\"oil\", 9223372036854775807)",
    "SetVar(\"oil\", -9223372036854775808)",
    "9223372036854775807",
    "-9223372036854775808",
    "18446744073709551616",
    "{if ",
    "{else}",
    "{end}",
    "{oil}",
    " and ",
    " or ",
    "not ",
    "has key",
    "visited shore",
    "oil >= ",
    "version: ",
    "seed: ",
    "log: ",
    "branches: ",
    "Step(scene: \"shore\", key: \"shed\")",
    "snapshot: ",
    "vars: ",
    "visits: ",
    "used: ",
    "turn: 4294967295",
    "choices: [",
    "from: ",
    "set: [\"oil=9223372036854775807\"]",
    "hold: [\"oil > 1\"]",
    ":pass",
    ":fail",
];

/// Numbers that sit at the edges of the types and of the story's bounds.
const NUMBERS: &[&str] = &[
    "0",
    "1",
    "-1",
    "2",
    "5",
    "6",
    "99",
    "100",
    "101",
    "255",
    "256",
    "4294967295",
    "4294967296",
    "-2147483648",
    "9223372036854775807",
    "-9223372036854775808",
    "18446744073709551615",
    "-1000000000",
    "1000000001",
];

/// Names of the lighthouse and names it does not have.
const NAMES: &[&str] = &[
    "shore",
    "shed",
    "flats",
    "door",
    "lamp",
    "home",
    "lit",
    "back",
    "wade",
    "run",
    "leave",
    "unlock",
    "light",
    "oil",
    "dread",
    "key",
    "gull",
    "met_keeper",
    "The Lighthouse",
    "",
    "x",
    "shore/shed",
    "run:pass",
    "oil=9",
    "has key and oil > 1",
    "{oil}",
    "é",
];

#[derive(Debug, Clone)]
enum Mutation {
    Delete(prop::sample::Index, u8),
    Insert(prop::sample::Index, prop::sample::Index),
    Duplicate(prop::sample::Index, u8, prop::sample::Index),
    Byte(prop::sample::Index, u8),
    /// Replace the n-th number with one of `NUMBERS`.
    Number(prop::sample::Index, prop::sample::Index),
    /// Replace the n-th string's content with one of `NAMES`.
    Name(prop::sample::Index, prop::sample::Index),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => (any::<prop::sample::Index>(), any::<prop::sample::Index>())
            .prop_map(|(i, n)| Mutation::Number(i, n)),
        3 => (any::<prop::sample::Index>(), any::<prop::sample::Index>())
            .prop_map(|(i, n)| Mutation::Name(i, n)),
        1 => (any::<prop::sample::Index>(), any::<u8>()).prop_map(|(i, n)| Mutation::Delete(i, n)),
        1 => (any::<prop::sample::Index>(), any::<prop::sample::Index>())
            .prop_map(|(i, t)| Mutation::Insert(i, t)),
        1 => (
            any::<prop::sample::Index>(),
            any::<u8>(),
            any::<prop::sample::Index>()
        )
            .prop_map(|(i, n, j)| Mutation::Duplicate(i, n, j)),
        1 => (any::<prop::sample::Index>(), any::<u8>()).prop_map(|(i, b)| Mutation::Byte(i, b)),
    ]
}

fn mutate(mut data: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        let len = data.len().max(1);
        match m {
            Mutation::Delete(i, n) => {
                let at = i.index(len).min(data.len());
                let end = (at + usize::from(*n)).min(data.len());
                data.drain(at..end);
            }
            Mutation::Insert(i, t) => {
                let at = i.index(len).min(data.len());
                let token = TOKENS[t.index(TOKENS.len())].as_bytes();
                data.splice(at..at, token.iter().copied());
            }
            Mutation::Duplicate(i, n, j) => {
                let from = i.index(len).min(data.len());
                let end = (from + usize::from(*n)).min(data.len());
                let copy = data[from..end].to_vec();
                let to = j.index(len).min(data.len());
                data.splice(to..to, copy);
            }
            Mutation::Byte(i, b) => {
                if !data.is_empty() {
                    let at = i.index(len);
                    data[at] = *b;
                }
            }
            Mutation::Number(i, n) => {
                let numbers = runs(&data, |b| b.is_ascii_digit());
                if !numbers.is_empty() {
                    let (start, end) = numbers[i.index(numbers.len())];
                    let start = if start > 0 && data[start - 1] == b'-' {
                        start - 1
                    } else {
                        start
                    };
                    let number = NUMBERS[n.index(NUMBERS.len())].bytes();
                    data.splice(start..end, number);
                }
            }
            Mutation::Name(i, n) => {
                let quotes: Vec<usize> = (0..data.len()).filter(|&j| data[j] == b'"').collect();
                let strings: Vec<(usize, usize)> =
                    quotes.chunks_exact(2).map(|q| (q[0] + 1, q[1])).collect();
                if !strings.is_empty() {
                    let (start, end) = strings[i.index(strings.len())];
                    let name = NAMES[n.index(NAMES.len())].bytes();
                    data.splice(start..end, name);
                }
            }
        }
    }
    data
}

/// The maximal runs of bytes that match, as `(start, end)`.
fn runs(data: &[u8], matches: impl Fn(u8) -> bool) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, &b) in data.iter().enumerate() {
        match (matches(b), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, data.len()));
    }
    out
}

/// A few seconds each in a debug build.
fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn compiler_takes_any_bytes(data in prop::collection::vec(any::<u8>(), 0..2048)) {
        check_compile(&data, &[]);
    }

    #[test]
    fn save_loader_takes_any_bytes(data in prop::collection::vec(any::<u8>(), 0..2048)) {
        check_save(&data);
    }

    #[test]
    fn plan_loader_takes_any_bytes(data in prop::collection::vec(any::<u8>(), 0..1024)) {
        check_plan(&data);
    }

    #[test]
    fn command_parser_and_session_take_any_text(text in "\\PC{0,200}(\n\\PC{0,40}){0,20}") {
        check_command(&text);
    }
}

proptest! {
    #![proptest_config(config(96))]

    /// The example story, edited at random: diagnostics or a playable
    /// story, whose saves round-trip.
    #[test]
    fn compiler_takes_mutated_stories(
        mutations in prop::collection::vec(mutation(), 1..4),
        walk in prop::collection::vec(any::<u8>(), 0..40),
    ) {
        check_compile(&mutate(lighthouse_input(), &mutations), &walk);
    }

    /// A real save, edited at random: refused, or restored into a game that
    /// plays on.
    #[test]
    fn save_loader_takes_mutated_saves(mutations in prop::collection::vec(mutation(), 1..4)) {
        check_save(&mutate(lighthouse_save().into_bytes(), &mutations));
    }

    /// A real plan, edited at random.
    #[test]
    fn plan_loader_takes_mutated_plans(mutations in prop::collection::vec(mutation(), 1..4)) {
        let plan = std::fs::read(root().join("examples/lighthouse/plans/lit.plan.ron")).unwrap();
        check_plan(&mutate(plan, &mutations));
    }

    /// Command words with arguments of every kind.
    #[test]
    fn commands_with_any_arguments(
        word in prop::sample::select(command::all_names().collect::<Vec<_>>()),
        args in prop::collection::vec("[0-9]{0,25}|-?[0-9]{1,3}|\\PC{0,12}", 0..3),
    ) {
        check_command(&format!("{word} {}", args.join(" ")));
    }
}

/// Each fuzz target's checks over its seed corpus (`fuzz/seeds/`), so the
/// seeds of every input class (issue 13's long names and control
/// characters in plans and saves among them) are run on every `cargo test`,
/// nightly or not.
#[test]
fn fuzz_seeds_pass_their_targets_checks() {
    let dir = root().join("fuzz/seeds");
    let mut seen = 0;
    for (target, check) in [
        (
            "compile",
            (|d: &[u8]| check_compile(d, &[0; 24])) as fn(&[u8]),
        ),
        ("save", check_save),
        ("plan", check_plan),
        ("command", |d: &[u8]| {
            check_command(&String::from_utf8_lossy(d))
        }),
    ] {
        for entry in std::fs::read_dir(dir.join(target)).unwrap() {
            let path = entry.unwrap().path();
            let data = std::fs::read(&path).unwrap();
            let caught = std::panic::catch_unwind(|| check(&data));
            assert!(
                caught.is_ok(),
                "{} fails its target's checks",
                path.display()
            );
            seen += 1;
        }
    }
    assert!(seen > 40, "only {seen} seeds under {}", dir.display());
}

/// Every input that once broke a target (a panic, a hang, a blow-up in time
/// or memory, found by a fuzzer or by review), replayed through the same
/// checks, each within a time limit: a regression to slow is a failure too.
#[test]
fn fuzz_findings_stay_fixed() {
    let dir = root().join("tests/fuzz_findings");
    let mut seen = 0;
    for (target, check) in [
        (
            "compile",
            (|d: &[u8]| check_compile(d, &[0; 24])) as fn(&[u8]),
        ),
        ("save", check_save),
        ("plan", check_plan),
        ("command", |d: &[u8]| {
            check_command(&String::from_utf8_lossy(d))
        }),
    ] {
        let Ok(entries) = std::fs::read_dir(dir.join(target)) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            let data = std::fs::read(&path).unwrap();
            let (tx, rx) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                check(&data);
                let _ = tx.send(());
            });
            match rx.recv_timeout(std::time::Duration::from_secs(10)) {
                Ok(()) => {}
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                    panic!("{} takes longer than 10 s again", path.display())
                }
                Err(_) => panic!("{} fails again", path.display()),
            }
            seen += 1;
        }
    }
    assert!(seen > 0, "no findings under {}", dir.display());
}

// The dice rule (issue 14): a check's roll is a pure function of the
// seed and the position, the same choice at the same point rolls the same,
// different choices roll independently, and saves of format 1 replay
// exactly under the stream they were made with.

/// A walk: at each step the `n`th open choice.
fn walk(story: &Story, tree: &mut Tree, picks: &[u8]) {
    for &p in picks {
        let mut state = tree.state().clone();
        let open: Vec<_> = state.choices(story).collect();
        if open.is_empty() {
            break;
        }
        let c = open[usize::from(p) % open.len()];
        let scene = story.scene(state.scene).id.clone();
        let roll = state
            .advance(story, c, callister::engine::RollMode::Random)
            .unwrap();
        tree.push(
            callister::engine::history::Step {
                scene,
                key: story.choice(c).key.clone(),
                roll: roll.as_ref().and_then(|r| r.roll),
                success: roll.as_ref().map(|r| r.success),
            },
            c,
            state,
        );
    }
}

/// `walk`, noting the state each node was made with, by node.
fn walk_noting(story: &Story, tree: &mut Tree, picks: &[u8], made: &mut Vec<State>) {
    for &p in picks {
        walk(story, tree, &[p]);
        let node = tree.current();
        if node >= made.len() {
            made.resize(node + 1, tree.state().clone());
        }
        made[node] = tree.state().clone();
    }
}

proptest! {
    #![proptest_config(config(64))]

    /// The tree keeps a state only every few steps and rebuilds the rest
    /// by replay: every node's rebuilt state is the one it was made with,
    /// under either dice rule, wherever play moved in between.
    #[test]
    fn states_rebuilt_from_the_kept_ones_are_the_states_played(
        seed in any::<u64>(),
        stream in any::<bool>(),
        picks in prop::collection::vec(any::<u8>(), 0..80),
        moves in prop::collection::vec((0u8..4, any::<u8>(), prop::collection::vec(any::<u8>(), 0..40)), 0..8),
    ) {
        let story = looping();
        let mut root = State::new(story, seed);
        if stream {
            root.dice = callister::engine::Dice::Stream;
        }
        let mut made = vec![root.clone()];
        let mut tree = Tree::new(root);
        walk_noting(story, &mut tree, &picks, &mut made);
        for (how, n, more) in &moves {
            let n = usize::from(*n);
            match how {
                0 => {
                    tree.undo(story, n % 20);
                }
                1 => {
                    tree.redo(story, n % 20);
                }
                2 => tree.go_to(story, n % tree.nodes.len()),
                _ => {
                    tree.rewind(story, n % 20);
                }
            }
            prop_assert_eq!(tree.state(), &made[tree.current()]);
            walk_noting(story, &mut tree, more, &mut made);
        }
        for (node, state) in made.iter().enumerate() {
            prop_assert_eq!(&tree.state_at(story, node), state);
        }
        let mut along = Vec::new();
        tree.along(story, tree.current(), &mut |n, s| along.push((n, s.clone())));
        let expected: Vec<_> = tree.path().into_iter().map(|n| (n, made[n].clone())).collect();
        prop_assert_eq!(along, expected);
    }

    /// The same choice at the same point rolls the same: however the game
    /// got there, whatever was tried and undone there before.
    #[test]
    fn the_same_choice_at_the_same_point_rolls_the_same(
        seed in any::<u64>(),
        picks in prop::collection::vec(any::<u8>(), 0..30),
        detours in prop::collection::vec(any::<u8>(), 1..6),
    ) {
        let story = lighthouse();
        let mut tree = Tree::new(State::new(story, seed));
        walk(story, &mut tree, &picks);
        let here = tree.current();
        let state = tree.state().clone();
        for c in state.choices(story).collect::<Vec<_>>() {
            // Try something else first, and come back.
            walk(story, &mut tree, &detours);
            tree.go_to(story, here);
            let mut a = tree.state().clone();
            let mut b = state.clone();
            let ra = a.advance(story, c, callister::engine::RollMode::Random).unwrap();
            let rb = b.advance(story, c, callister::engine::RollMode::Random).unwrap();
            prop_assert_eq!(&ra, &rb);
            prop_assert_eq!(&a, &b);
            if let Some(r) = ra.and_then(|r| r.roll) {
                let choice = story.choice(c);
                prop_assert_eq!(
                    r,
                    callister::engine::position_roll(
                        seed,
                        state.turn + 1,
                        &story.scene(choice.scene).id,
                        &choice.key
                    )
                );
            }
        }
    }

    /// Saves of format 1 replay exactly: a game played under the stream
    /// dice, written as format 1 wrote it, loads to the same tree, every
    /// node's state (stream included) as it was played.
    #[test]
    fn format_1_saves_replay_exactly(
        seed in any::<u64>(),
        picks in prop::collection::vec(any::<u8>(), 0..40),
        forks in prop::collection::vec((any::<u8>(), prop::collection::vec(any::<u8>(), 1..8)), 0..4),
    ) {
        let story = lighthouse();
        let mut root = State::new(story, seed);
        root.dice = callister::engine::Dice::Stream;
        let mut tree = Tree::new(root);
        walk(story, &mut tree, &picks);
        for (at, more) in &forks {
            let path = tree.path();
            tree.go_to(story, path[usize::from(*at) % path.len()]);
            walk(story, &mut tree, more);
        }
        let current = tree.path();
        let old = callister::play::save::SaveV1 {
            version: 1,
            story: story.title.clone(),
            fingerprint: story.fingerprint.clone(),
            seed,
            start: story.scene(story.start).id.clone(),
            saved_at: 1_700_000_000,
            played_secs: 5,
            log: tree.log(),
            branches: tree
                .leaves()
                .into_iter()
                .filter(|l| !current.contains(l))
                .map(|l| tree.log_to(l))
                .collect(),
            snapshot: callister::play::save::Snapshot::of(story, tree.state()),
        };
        let text = ron::ser::to_string_pretty(
            &old,
            ron::ser::PrettyConfig::new()
                .struct_names(true)
                .extensions(ron::extensions::Extensions::IMPLICIT_SOME),
        )
        .unwrap();
        prop_assert!(text.contains("version: 1,"));
        let save = SaveFile::parse(&text, Path::new("v1.ron")).unwrap();
        let (loaded, _, report) = save.restore(story, Path::new("v1.ron")).unwrap();
        prop_assert!(report.notes.is_empty(), "{:?}", report.notes);
        prop_assert_eq!(loaded.state(), tree.state());
        prop_assert_eq!(loaded.log(), tree.log());
        // Every path of the old game, each node's state as it was played.
        for leaf in tree.leaves() {
            let log = tree.log_to(leaf);
            let there = loaded
                .leaves()
                .into_iter()
                .chain([loaded.current()])
                .find(|&l| loaded.log_to(l) == log);
            let there = there.ok_or_else(|| TestCaseError::fail("a path is missing"))?;
            prop_assert_eq!(loaded.state_at(story, there), tree.state_at(story, leaf));
        }
        // Played on, it rolls by the stream still, as the old game would.
        let mut a = loaded.state().clone();
        let mut b = tree.state().clone();
        for c in a.choices(story).collect::<Vec<_>>().into_iter().take(1) {
            prop_assert_eq!(
                a.advance(story, c, callister::engine::RollMode::Random),
                b.advance(story, c, callister::engine::RollMode::Random)
            );
        }
    }
}

/// Different choices roll independently: over many seeds, the roll of one
/// choice says nothing of another's at the same point (nor of the same
/// choice's at the next step). The rolls are uniform on 1..=100 and their
/// correlation is near zero; under the stream rule the two were equal.
#[test]
fn different_choices_roll_independently() {
    use callister::engine::position_roll;
    let n = 20_000u64;
    let mut counts = [0u32; 100];
    let pairs: Vec<[(i64, i64); 3]> = (0..n)
        .map(|seed| {
            let a = position_roll(seed, 7, "flats", "run");
            counts[(a - 1) as usize] += 1;
            [
                (a, position_roll(seed, 7, "flats", "swim")),
                (a, position_roll(seed, 8, "flats", "run")),
                (a, position_roll(seed, 7, "shore", "run")),
            ]
        })
        .collect();
    // Uniform: every value within 30% of its share.
    let share = n as f64 / 100.0;
    for (v, &c) in counts.iter().enumerate() {
        assert!(
            (f64::from(c) - share).abs() < 0.3 * share,
            "{} came {c} times",
            v + 1
        );
    }
    for k in 0..3 {
        let xs: Vec<f64> = pairs.iter().map(|p| p[k].0 as f64).collect();
        let ys: Vec<f64> = pairs.iter().map(|p| p[k].1 as f64).collect();
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        let (mx, my) = (mean(&xs), mean(&ys));
        let cov: f64 = xs.iter().zip(&ys).map(|(x, y)| (x - mx) * (y - my)).sum();
        let vx: f64 = xs.iter().map(|x| (x - mx).powi(2)).sum();
        let vy: f64 = ys.iter().map(|y| (y - my).powi(2)).sum();
        let r = cov / (vx * vy).sqrt();
        // Four standard errors of a correlation of independent samples.
        assert!(
            r.abs() < 4.0 / (n as f64).sqrt(),
            "pair {k}: correlation {r}"
        );
        let same = pairs.iter().filter(|p| p[k].0 == p[k].1).count();
        assert!(same < (n as usize) / 50, "pair {k}: {same} equal rolls");
    }
}
