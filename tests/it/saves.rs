//! Save files: corrupt and foreign files, saves across story edits, atomic
//! writes under a kill.

use std::path::{Path, PathBuf};

use callister::engine::RollMode;
use callister::play::save::{SaveDir, SaveError, SaveFile, read_save};
use callister::play::session::{Look, Session};
use callister::story::Story;
use callister::story::compile::load_dir;

fn lighthouse() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/lighthouse")
}

/// A copy of the lighthouse story that a test may edit.
fn story_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(lighthouse()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "ron") {
            std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
        }
    }
    dir
}

/// Plays keys (forcing checks to pass) and returns the session.
fn play(story: Story, keys: &[&str]) -> Session {
    let state = callister::engine::State::new(&story, 7);
    let mut session = Session::new(story, state, Look::default());
    for key in keys {
        let choice = session
            .state()
            .choices(&session.story)
            .find(|&c| session.story.choice(c).key == *key)
            .unwrap_or_else(|| panic!("no open choice `{key}`"));
        let _ = session.take(choice, RollMode::Random);
    }
    session
}

fn save_of(session: &Session) -> SaveFile {
    SaveFile::capture(
        &session.story,
        &session.tree,
        session.story.start,
        1_700_000_000,
        60,
    )
}

fn write(dir: &Path, name: &str, text: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn round_trip_restores_the_tree_and_the_state() {
    let story = load_dir(&lighthouse()).unwrap();
    let mut session = play(story.clone(), &["shed", "back", "wade"]);
    // A second branch.
    session.tree.undo(&session.story, 1);
    let choice = session
        .story
        .choice_by_key(session.state().scene, "leave")
        .unwrap();
    let _ = session.take(choice, RollMode::Random);
    let save = save_of(&session);
    let text = save.to_ron().unwrap();
    let parsed = SaveFile::parse(&text, Path::new("x")).unwrap();
    assert_eq!(parsed, save);
    let (tree, _, report) = parsed.restore(&story, Path::new("x")).unwrap();
    assert!(report.notes.is_empty(), "{:?}", report.notes);
    assert_eq!(tree.state(), session.state());
    assert_eq!(tree.log(), session.tree.log());
    assert_eq!(tree.leaves().len(), 2);
}

#[test]
fn corrupt_saves_are_refused_and_left_untouched() {
    let story = load_dir(&lighthouse()).unwrap();
    let session = play(story, &["shed", "back"]);
    let text = save_of(&session).to_ron().unwrap();
    let dir = tempfile::tempdir().unwrap();
    // Truncated at many offsets.
    for cut in (0..text.len()).step_by(7) {
        let path = write(dir.path(), "cut.ron", &text.as_bytes()[..cut]);
        match read_save(&path) {
            Err(SaveError::Corrupt(..)) => {}
            other => panic!("truncated at {cut}: {other:?}"),
        }
        assert_eq!(std::fs::read(&path).unwrap(), &text.as_bytes()[..cut]);
    }
    // Random bytes, deterministic.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for round in 0..50 {
        let bytes: Vec<u8> = (0..(round * 13 + 1))
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        let path = write(dir.path(), "noise.ron", &bytes);
        assert!(
            matches!(read_save(&path), Err(SaveError::Corrupt(..))),
            "round {round}"
        );
        assert_eq!(std::fs::read(&path).unwrap(), bytes);
    }
    // A newer format version.
    let newer = text.replacen("version: 2,", "version: 99,", 1);
    let path = write(dir.path(), "newer.ron", newer.as_bytes());
    let err = read_save(&path).unwrap_err();
    assert!(matches!(err, SaveError::Newer(_, 99)), "{err:?}");
    assert!(err.to_string().contains("newer Callister"), "{err}");
    // An unknown field.
    let unknown = text.replacen("seed:", "mystery: 1,\n    seed:", 1);
    let path = write(dir.path(), "unknown.ron", unknown.as_bytes());
    let err = read_save(&path).unwrap_err();
    assert!(err.to_string().contains("mystery"), "{err}");
    // Edited by hand into nonsense values: a variable as a string.
    let nonsense = text.replacen("\"oil\": 2", "\"oil\": \"lots\"", 1);
    assert_ne!(nonsense, text);
    let path = write(dir.path(), "nonsense.ron", nonsense.as_bytes());
    assert!(matches!(read_save(&path), Err(SaveError::Corrupt(..))));
}

#[test]
fn a_save_of_another_story_is_refused() {
    let story = load_dir(&lighthouse()).unwrap();
    let session = play(story.clone(), &["shed"]);
    let mut save = save_of(&session);
    save.story = "Another Story".into();
    let err = save.restore(&story, Path::new("s.ron")).unwrap_err();
    assert!(
        err.to_string().contains("another story, “Another Story”"),
        "{err}"
    );
}

#[test]
fn a_snapshot_edited_by_hand_is_noticed_on_an_unchanged_story() {
    let story = load_dir(&lighthouse()).unwrap();
    let session = play(story.clone(), &["shed", "back", "wade"]);
    let save = save_of(&session);
    assert_eq!(save.fingerprint, story.fingerprint);
    // A scene that does not exist: the game is rebuilt from its steps.
    let mut gone = save.clone();
    gone.snapshot.scene = "nowhere".into();
    let (tree, _, report) = gone.restore(&story, Path::new("s")).unwrap();
    assert_eq!(story.scene(tree.state().scene).id, "flats");
    assert_eq!(tree.depth(), 3);
    assert_eq!(report.notes.len(), 1, "{:?}", report.notes);
    assert!(
        report.notes[0].contains("(`nowhere`) no longer exists")
            && report.notes[0].contains("rebuilt from its steps"),
        "{:?}",
        report.notes
    );
    // Another scene that exists: the replayed state stands, silently.
    let mut elsewhere = save.clone();
    elsewhere.snapshot.scene = "shore".into();
    let (tree, _, report) = elsewhere.restore(&story, Path::new("s")).unwrap();
    assert!(report.notes.is_empty(), "{:?}", report.notes);
    assert_eq!(tree.state(), session.tree.state());
}

#[test]
fn story_edit_added_chapter_loads_without_loss() {
    let dir = story_copy();
    let story = load_dir(dir.path()).unwrap();
    let session = play(story, &["shed", "back", "wade"]);
    let save = save_of(&session);
    std::fs::write(
        dir.path().join("extra.ron"),
        r#"Chapter(title: "Extra", scenes: [(id: "cove", title: "A Cove", text: "Quiet.", ending: (id: "cove", title: "Cove", kind: Good))])"#,
    )
    .unwrap();
    let edited = load_dir(dir.path()).unwrap();
    assert_ne!(edited.fingerprint, save.fingerprint);
    let (tree, _, report) = save.restore(&edited, Path::new("s")).unwrap();
    assert!(report.notes.is_empty(), "{:?}", report.notes);
    assert_eq!(edited.scene(tree.state().scene).id, "flats");
    assert_eq!(tree.depth(), 3, "undo history kept");
}

#[test]
fn story_edit_removed_variable_is_dropped_and_said() {
    let dir = story_copy();
    let story = load_dir(dir.path()).unwrap();
    let session = play(story, &["shed", "back"]);
    let save = save_of(&session);
    // Remove `dread` everywhere.
    let story_file = dir.path().join("story.ron");
    let text = std::fs::read_to_string(&story_file).unwrap();
    std::fs::write(
        &story_file,
        text.replace(
            "        (id: \"dread\", initial: 0, min: 0, max: 10, hidden: true),\n",
            "",
        ),
    )
    .unwrap();
    let shore = dir.path().join("shore.ron");
    let text = std::fs::read_to_string(&shore).unwrap();
    std::fs::write(
        &shore,
        text.replace(
            "on_enter: [Give(\"key\"), Add(\"dread\", 1)],",
            "on_enter: [Give(\"key\")],",
        )
        .replace(
            "adjust: [Per(\"dread\", -10), When(\"alive gull\", 20)],",
            "adjust: [When(\"alive gull\", 20)],",
        ),
    )
    .unwrap();
    let edited = load_dir(dir.path()).unwrap_or_else(|f| panic!("{:?}", f.diagnostics));
    assert!(edited.var_by_id("dread").is_none());
    let (tree, _, report) = save.restore(&edited, Path::new("s")).unwrap();
    assert_eq!(
        report.notes,
        vec!["Dropped variables that the story no longer has: `dread`.".to_string()]
    );
    assert_eq!(edited.scene(tree.state().scene).id, "shore");
    assert!(tree.state().has(edited.item_by_id("key").unwrap()));
}

#[test]
fn story_edit_renamed_scene_resumes_at_the_last_valid_step() {
    let dir = story_copy();
    let story = load_dir(dir.path()).unwrap();
    let session = play(story, &["shed", "back", "wade"]);
    let save = save_of(&session);
    // Rename `flats` to `sandbar`: the saved scene is gone.
    let shore = dir.path().join("shore.ron");
    let text = std::fs::read_to_string(&shore).unwrap();
    std::fs::write(&shore, text.replace("\"flats\"", "\"sandbar\"")).unwrap();
    let edited = load_dir(dir.path()).unwrap_or_else(|f| panic!("{:?}", f.diagnostics));
    let (tree, _, report) = save.restore(&edited, Path::new("s")).unwrap();
    // The log replays by key: `wade` now leads to `sandbar`, so all three steps fit.
    assert_eq!(edited.scene(tree.state().scene).id, "sandbar");
    assert_eq!(tree.depth(), 3);
    assert_eq!(report.notes.len(), 1, "{:?}", report.notes);
    assert!(
        report.notes[0].contains("(`flats`) no longer exists"),
        "{:?}",
        report.notes
    );
}

#[test]
fn story_edit_removed_choice_replays_as_far_as_it_fits() {
    let dir = story_copy();
    let story = load_dir(dir.path()).unwrap();
    let session = play(story, &["shed", "back", "wade"]);
    let save = save_of(&session);
    // Remove the flats scene and the choice that led there.
    let shore = dir.path().join("shore.ron");
    let text = std::fs::read_to_string(&shore).unwrap();
    let text = text.replace(
        "                (key: \"wade\", text: \"Wade out across the flats\", goto: \"flats\"),\n",
        "",
    );
    let start = text.find("        (\n            id: \"flats\"").unwrap();
    let end = text.find("        (\n            id: \"door\"").unwrap();
    let text = format!("{}{}", &text[..start], &text[end..]);
    std::fs::write(&shore, text).unwrap();
    let edited = load_dir(dir.path()).unwrap_or_else(|f| panic!("{:?}", f.diagnostics));
    let (tree, _, report) = save.restore(&edited, Path::new("s")).unwrap();
    assert_eq!(edited.scene(tree.state().scene).id, "shore");
    assert_eq!(
        tree.depth(),
        2,
        "resumed after the last step that still fits"
    );
    let note = report.notes.join(" ");
    assert!(note.contains("Replayed 2 of 3 steps"), "{note}");
    assert!(note.contains("no choice `wade`"), "{note}");
}

#[test]
fn slot_names_are_checked() {
    for bad in [
        "",
        "..",
        "../x",
        "a/b",
        "/etc/passwd",
        "con",
        "COM1",
        "profile",
        &"x".repeat(65),
        "a b",
        "é",
    ] {
        assert!(
            callister::play::save::check_slot(bad).is_err(),
            "{bad:?} accepted"
        );
    }
    for good in [
        "quick",
        "autosave",
        "before-the-heart",
        "slot_2",
        &"x".repeat(64),
    ] {
        assert!(
            callister::play::save::check_slot(good).is_ok(),
            "{good:?} refused"
        );
    }
}

/// The child half of the kill test: saves in a loop until killed.
#[test]
fn atomic_write_child() {
    let Ok(dir) = std::env::var("CALLISTER_KILL_TEST_DIR") else {
        return;
    };
    let story = load_dir(&lighthouse()).unwrap();
    let dir = SaveDir { dir: dir.into() };
    let mut session = play(story, &["shed", "back"]);
    // A big save: many branches, so a write takes a while.
    for i in 0..400u32 {
        session.tree.jump(&session.story, 0);
        let key = if i % 2 == 0 { "wade" } else { "leave" };
        let choice = session
            .story
            .choice_by_key(session.state().scene, key)
            .unwrap();
        let mut state = session.state().clone();
        state
            .choose(&session.story, choice, RollMode::Random)
            .unwrap();
        session.tree.push(
            callister::engine::history::Step {
                scene: "shore".into(),
                key: format!("{key}{i}"),
                roll: None,
                success: None,
            },
            choice,
            state,
        );
    }
    loop {
        dir.write("slot", &save_of(&session)).unwrap();
    }
}

#[test]
fn killing_a_save_mid_write_keeps_the_previous_save() {
    let dir = tempfile::tempdir().unwrap();
    let story = load_dir(&lighthouse()).unwrap();
    let first = save_of(&play(story, &["shed"]));
    SaveDir {
        dir: dir.path().into(),
    }
    .write("slot", &first)
    .unwrap();
    let me = std::env::current_exe().unwrap();
    for round in 0..8u64 {
        let mut child = std::process::Command::new(&me)
            .args([
                "--exact",
                "saves::atomic_write_child",
                "--nocapture",
                "--test-threads",
                "1",
            ])
            .env("CALLISTER_KILL_TEST_DIR", dir.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(150 + round * 37));
        child.kill().unwrap();
        child.wait().unwrap();
        // Whatever moment the kill came, the slot holds a whole save.
        let save = read_save(&dir.path().join("slot.ron")).unwrap();
        assert_eq!(save.story, "The Lighthouse");
    }
}

/// Regression: loading into an edited story kept seed 0 instead of the save's.
#[test]
fn restoring_into_an_edited_story_keeps_the_seed() {
    let dir = story_copy();
    let story = load_dir(dir.path()).unwrap();
    let session = play(story, &["shed", "back"]);
    let save = save_of(&session);
    let shore = dir.path().join("shore.ron");
    let text = std::fs::read_to_string(&shore).unwrap();
    std::fs::write(&shore, text.replace("Nets, a smell of tar", "Nets and tar")).unwrap();
    let edited = load_dir(dir.path()).unwrap();
    let (tree, _, _) = save.restore(&edited, Path::new("s")).unwrap();
    assert_eq!(tree.state().seed, 7);
    assert_eq!(tree.state().rng, session.state().rng);
}

/// Regression: with two choices keyed alike, replay took the first even when
/// hidden; the prompt takes the first open one.
#[test]
fn replay_takes_the_open_choice_when_keys_repeat() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("story.ron"),
        r#"Story(title: "Keys", start: "hall", flags: ["open"])"#,
    )
    .unwrap();
    std::fs::write(
        dir.path().join("a.ron"),
        r#"Chapter(title: "A", scenes: [
    (id: "hall", title: "Hall", text: "x", choices: [
        (key: "go", text: "Go through", when: "open", goto: "end"),
        (key: "go", text: "Go round", goto: "yard"),
    ]),
    (id: "yard", title: "Yard", text: "y", choices: [(key: "back", text: "Back", effects: [SetFlag("open")], goto: "hall")]),
    (id: "end", title: "End", text: "z", ending: (id: "end", title: "End", kind: Good)),
])"#,
    )
    .unwrap();
    let story = load_dir(dir.path()).unwrap();
    let session = play(story.clone(), &["go"]);
    let save = save_of(&session);
    let (tree, _, report) = save.restore(&story, Path::new("s")).unwrap();
    assert!(report.notes.is_empty(), "{:?}", report.notes);
    assert_eq!(story.scene(tree.state().scene).id, "yard");
    assert_eq!(tree.depth(), 1);
}

/// A save can come from a stranger: what it names reaches the terminal with
/// its control characters made visible, whether the save loads (a note
/// about a scene that is gone) or is refused (another story's title).
#[test]
fn control_characters_in_a_save_are_shown_not_sent() {
    let story = load_dir(&lighthouse()).unwrap();
    let session = play(story.clone(), &["shed", "back"]);
    let hostile = "\u{1b}]0;pwned\u{7}\u{1b}[2J";
    let mut gone = save_of(&session);
    gone.snapshot.scene = hostile.into();
    let mut other = save_of(&session);
    other.story = hostile.into();
    let saves = tempfile::tempdir().unwrap();
    write(saves.path(), "gone.ron", gone.to_ron().unwrap().as_bytes());
    write(
        saves.path(),
        "other.ron",
        other.to_ron().unwrap().as_bytes(),
    );
    for slot in ["gone", "other"] {
        let out = assert_cmd::Command::new(assert_cmd::cargo::cargo_bin("callister"))
            .args(["--scenes", "examples/lighthouse", "--saves"])
            .arg(saves.path())
            .args(["--slot", slot])
            .env("NO_COLOR", "1")
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .write_stdin("quit\n")
            .output()
            .unwrap();
        let shown = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(shown.contains("␛]0;pwned␇␛[2J"), "{slot}: {shown}");
        assert!(
            !shown.chars().any(|c| c.is_control() && c != '\n'),
            "{slot}: a control character reached the terminal: {shown:?}"
        );
    }
}

// Issue 13 and 14: save format 2, the autosave's journal, two games on one
// directory, nothing lost without being asked.

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/saves")
        .join(name)
}

/// Runs the game with `input` piped: (stdout, stderr).
fn run_piped(args: &[&str], input: &str, saves: &Path) -> (String, String) {
    let out = assert_cmd::Command::new(assert_cmd::cargo::cargo_bin("callister"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["--scenes", "examples/lighthouse", "--saves"])
        .arg(saves)
        .args(args)
        .env_remove("CALLISTER_SAVES")
        .env("NO_COLOR", "1")
        .write_stdin(input)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn saves_dir(dir: &Path) -> SaveDir {
    SaveDir { dir: dir.into() }
}

/// Saves written by the game in format 1 (before this change, with its
/// stream dice) load and replay exactly: every step's roll as it was, the
/// state equal to the snapshot the old game wrote, the stream where it was,
/// and every branch kept.
#[test]
fn format_1_saves_load_and_replay_exactly() {
    let story = load_dir(&lighthouse()).unwrap();
    for name in ["v1-lighthouse.ron", "v1-lighthouse-mid.ron"] {
        let path = fixture(name);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("version: 1,"), "{name}");
        let old: callister::play::save::SaveV1 = ron::Options::default()
            .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
            .from_str(&text)
            .unwrap();
        let save = read_save(&path).unwrap();
        assert_eq!(save.dice, callister::engine::Dice::Stream, "{name}");
        let (tree, _, report) = save.restore(&story, &path).unwrap();
        assert!(report.notes.is_empty(), "{name}: {:?}", report.notes);
        // The state is the one the old game saved, stream included.
        assert_eq!(
            callister::play::save::Snapshot::of(&story, tree.state()),
            old.snapshot,
            "{name}"
        );
        assert_eq!(tree.log(), old.log, "{name}");
        // Format 1 listed every end but the current path's (which may lie
        // part way along one of them).
        let at_an_end = usize::from(tree.nodes[tree.current()].children.is_empty());
        assert_eq!(
            tree.leaves().len(),
            old.branches.len() + at_an_end,
            "{name}"
        );
        // Every old branch is a path of the tree, rolls and all.
        for branch in &old.branches {
            assert!(
                tree.leaves().iter().any(|&l| &tree.log_to(l) == branch),
                "{name}: a branch is missing"
            );
        }
        // Written again, it is format 2 and means the same: the same tree,
        // the same dice.
        let again = SaveFile::capture(&story, &tree, story.start, 0, 0);
        let reread = SaveFile::parse(&again.to_ron().unwrap(), &path).unwrap();
        let (tree2, _, _) = reread.restore(&story, &path).unwrap();
        assert_eq!(tree2.state(), tree.state(), "{name}");
        assert_eq!(tree2.branches(), tree.branches(), "{name}");
    }
}

/// Regression (issue 13, item 8): every branch repeated its whole log, so
/// a save of a long game with many branches grew with their product. Now
/// each step is stored once: the size follows the steps taken.
#[test]
fn a_save_grows_with_the_steps_taken_not_with_the_branches() {
    let story = load_dir(&lighthouse()).unwrap();
    let mut session = play(story, &[]);
    // 300 steps along the shore and the flats, then 100 branches from its
    // end, each of one step.
    for _ in 0..150 {
        for key in ["wade", "turn"] {
            let c = session
                .story
                .choice_by_key(session.state().scene, key)
                .unwrap();
            let _ = session.take(c, RollMode::Force(true));
        }
    }
    let end = session.tree.current();
    for i in 0..100 {
        session.tree.jump(&session.story, end);
        let mut state = session.state().clone();
        let c = session.story.choice_by_key(state.scene, "wade").unwrap();
        state
            .choose(&session.story, c, RollMode::Force(true))
            .unwrap();
        session.tree.push(
            callister::engine::history::Step {
                scene: "shore".into(),
                key: format!("wade{i}"),
                roll: None,
                success: None,
            },
            c,
            state,
        );
    }
    let nodes = session.tree.nodes.len();
    let bytes = save_of(&session).to_ron().unwrap().len();
    // One line per step: about 50 bytes each, whatever the branching. (In
    // format 1 this save was 100 logs of 300 steps: over a megabyte.)
    assert!(bytes < 70 * nodes + 2000, "{bytes} bytes for {nodes} nodes");
}

/// The game state may gain a call stack (`stack`, scenes to return to) in
/// format 2 without another version: it is written, read and kept.
#[test]
fn the_snapshot_stack_round_trips() {
    let story = load_dir(&lighthouse()).unwrap();
    let session = play(story, &["shed"]);
    let save = save_of(&session);
    let text = save.to_ron().unwrap();
    assert!(text.contains("stack: [],"), "{text}");
    let with = text.replacen("stack: [],", "stack: [\"shore\", \"shed\"],", 1);
    let parsed = SaveFile::parse(&with, Path::new("s")).unwrap();
    assert_eq!(parsed.snapshot.stack, ["shore", "shed"]);
    let again = SaveFile::parse(&parsed.to_ron().unwrap(), Path::new("s")).unwrap();
    assert_eq!(again, parsed);
    // A save without the field (written before it existed) reads as empty.
    let without = text.replacen("        stack: [],\n", "", 1);
    assert_ne!(without, text);
    assert!(
        SaveFile::parse(&without, Path::new("s"))
            .unwrap()
            .snapshot
            .stack
            .is_empty()
    );
}

/// Regression (issue 13, item 8): the game wrote saves it would not read.
/// One limit now holds for both (`MAX_SAVE_BYTES`, which `read_save` reads
/// up to), and a save over it is refused when written, naming the limit,
/// with the old file left as it was. (A smaller limit stands in for 64 MiB
/// here, which a debug build takes a minute to serialise.)
#[test]
fn a_save_over_the_size_limit_is_refused_when_written() {
    let story = load_dir(&lighthouse()).unwrap();
    let session = play(story, &["shed"]);
    let mut save = save_of(&session);
    let dir = tempfile::tempdir().unwrap();
    let saves = saves_dir(dir.path());
    saves.write("slot", &save).unwrap();
    let before = std::fs::read(saves.path("slot")).unwrap();
    save.story = "x".repeat(4096);
    let err = saves.write_within("slot", &save, 4096).unwrap_err();
    assert!(matches!(err, SaveError::TooLarge(..)), "{err:?}");
    assert!(
        err.to_string().contains("over the 64 MiB a save may be"),
        "{err}"
    );
    assert_eq!(std::fs::read(saves.path("slot")).unwrap(), before);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

/// Regression (issue 13, item 6): an autosave that does not read (a stray
/// comma in a long game) was skipped without a word and written over by
/// the first choice of a new game. It is never written over: the player is
/// told, and the new game autosaves elsewhere.
#[test]
fn an_unreadable_autosave_is_never_written_over() {
    let dir = tempfile::tempdir().unwrap();
    run_piped(&["--seed", "3"], "shed\nback\nwade\n", dir.path());
    let autosave = dir.path().join("autosave.ron");
    let text = std::fs::read_to_string(&autosave).unwrap();
    let broken = text.replacen("seed:", ",seed:", 1);
    std::fs::write(&autosave, &broken).unwrap();
    let (stdout, stderr) = run_piped(&["--seed", "4"], "leave\n", dir.path());
    assert!(stderr.contains("The autosave cannot be read"), "{stderr}");
    assert!(
        stderr.contains("autosaves to slot `autosave-1` instead"),
        "{stderr}"
    );
    assert!(stdout.contains("THE END"), "{stdout}");
    assert_eq!(std::fs::read_to_string(&autosave).unwrap(), broken);
    let other = saves_dir(dir.path()).read("autosave-1").unwrap();
    assert_eq!(other.position().0, "home");
    // `--continue` does not pick the unreadable one, and says what it does.
    let (stdout, _) = run_piped(&["--continue"], "quit\n", dir.path());
    assert!(stdout.contains("Continuing slot `autosave-1`"), "{stdout}");
}

/// Regression (issue 13, item 7): two games on one saves directory: the
/// last writer won (100 turns lost to 1), and the ledger lost an ending the
/// other game had just found. The second game is told it does not
/// autosave, and the ledger is merged on every write.
#[test]
fn two_games_on_one_directory() {
    use std::io::Write as _;
    let dir = tempfile::tempdir().unwrap();
    let mut first = std::process::Command::new(assert_cmd::cargo::cargo_bin("callister"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["--scenes", "examples/lighthouse", "--seed", "4", "--saves"])
        .arg(dir.path())
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = first.stdin.take().unwrap();
    input.write_all(b"shed\n1\nwade\n").unwrap();
    input.flush().unwrap();
    // The first game holds the directory once its autosave is there.
    let saves = saves_dir(dir.path());
    for _ in 0..200 {
        if saves.read("autosave").is_ok_and(|s| s.position().1 == 3) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(saves.read("autosave").unwrap().position().1, 3);
    // The second plays to an ending, and does not autosave.
    let (stdout, stderr) = run_piped(&["--seed", "9"], "leave\n", dir.path());
    assert!(stdout.contains("New ending found: Nobody Asks"), "{stdout}");
    assert!(stderr.contains("Another game is playing from"), "{stderr}");
    assert!(stderr.contains("this one does not autosave"), "{stderr}");
    assert_eq!(saves.read("autosave").unwrap().position(), ("flats", 3));
    // The first goes on to the other ending: both are in the ledger.
    input.write_all(b"run\nunlock\nlight\nquit\n").unwrap();
    drop(input);
    let out = first.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("New ending found"), "{stdout}");
    assert!(stdout.contains("(2/2)"), "{stdout}");
    let profile = callister::play::ledger::Profile::load(&saves).unwrap();
    let ledger = &profile.stories["The Lighthouse"];
    let endings: Vec<&str> = ledger.endings.keys().map(String::as_str).collect();
    assert_eq!(endings, ["home", "lit"]);
    assert_eq!(saves.read("autosave").unwrap().position().0, "lit");
    // `callister saves` only reads: it runs while a game holds the lock.
    let _held = saves.lock().unwrap().expect("the lock is free again");
    let out = assert_cmd::Command::new(assert_cmd::cargo::cargo_bin("callister"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["saves", "--scenes", "examples/lighthouse", "--saves"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("autosave"));
}

/// The autosave's cost per step does not grow with the game: each step is
/// one line appended, and the full save is rewritten only as often as the
/// journal grows as long as it, so the bytes written in all are linear in
/// the steps (they were quadratic: the whole path at every step).
#[test]
fn the_autosave_costs_the_same_at_every_step() {
    use callister::play::journal::{Autosave, Stamp};
    let story = load_dir(&lighthouse()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut auto = Autosave::new(saves_dir(dir.path()), "autosave".into());
    let mut session = play(story, &[]);
    let stamp = Stamp {
        start: session.story.start,
        saved_at: 1_800_000_000,
        played_secs: 0,
    };
    let steps = 6000;
    for i in 0..steps {
        let key = if i % 2 == 0 { "wade" } else { "turn" };
        let c = session
            .story
            .choice_by_key(session.state().scene, key)
            .unwrap();
        let _ = session.take(c, RollMode::Force(true));
        auto.sync(&session.story, &session.tree, stamp).unwrap();
    }
    let full = std::fs::metadata(dir.path().join("autosave.ron"))
        .unwrap()
        .len();
    // Full saves of 1,000, 2,000 and 4,000 steps and lines of ~100 bytes:
    // a few times the last full save, where rewriting it at every step
    // would have been thousands of times.
    assert!(
        auto.written() < 6 * full + 150 * steps as u64,
        "{} bytes written, full save {full}",
        auto.written()
    );
    // And what was written reads back as the game.
    let save = saves_dir(dir.path()).read("autosave").unwrap();
    let (tree, _, report) = save.restore(&session.story, Path::new("a")).unwrap();
    assert!(report.notes.is_empty(), "{:?}", report.notes);
    assert_eq!(tree.state(), session.state());
    assert_eq!(tree.depth(), steps);
}

/// A kill while a journal line is written leaves it cut short: the load
/// ignores it with a note (one step lost); a bad line before the last makes
/// the autosave unreadable (and so never written over); a journal left from
/// before the last full save is ignored.
#[test]
fn the_journal_after_a_kill() {
    let dir = tempfile::tempdir().unwrap();
    let saves = saves_dir(dir.path());
    let story = load_dir(&lighthouse()).unwrap();
    let journal = dir.path().join("autosave.journal");
    // A game killed (not quit) after four steps: the journal holds them.
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("callister"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["--scenes", "examples/lighthouse", "--seed", "4", "--saves"])
        .arg(dir.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    {
        use std::io::Write as _;
        let mut input = child.stdin.take().unwrap();
        input.write_all(b"shed\n1\nwade\nturn\n").unwrap();
        input.flush().unwrap();
        for _ in 0..200 {
            if saves.read("autosave").is_ok_and(|s| s.position().1 == 4) {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        child.kill().unwrap();
        child.wait().unwrap();
    }
    let text = std::fs::read_to_string(&journal).unwrap();
    assert_eq!(text.lines().count(), 4, "a header and three steps:\n{text}");
    let whole = saves.read("autosave").unwrap();
    assert_eq!(whole.position(), ("shore", 4));
    let (tree, _, report) = whole.restore(&story, Path::new("a")).unwrap();
    assert!(report.notes.is_empty());
    assert_eq!(tree.depth(), 4);

    // The last line cut short.
    let cut = &text[..text.len() - 9];
    std::fs::write(&journal, cut).unwrap();
    let save = saves.read("autosave").unwrap();
    assert_eq!(save.position(), ("flats", 3));
    let (tree, _, report) = save.restore(&story, Path::new("a")).unwrap();
    assert_eq!(tree.depth(), 3);
    assert!(report.notes[0].contains("cut short"), "{:?}", report.notes);

    // A line before the last that does not read.
    let mut lines: Vec<&str> = text.lines().collect();
    lines[2] = "Entry(at: oops)";
    std::fs::write(&journal, lines.join("\n") + "\n").unwrap();
    let err = saves.read("autosave").unwrap_err();
    assert!(matches!(err, SaveError::Corrupt(..)), "{err:?}");
    assert!(err.to_string().contains("line 3"), "{err}");

    // A journal of another full save (the kill came between writing the
    // full save and starting its journal): ignored.
    std::fs::write(&journal, "Journal(follows: 12345)\n").unwrap();
    assert_eq!(
        saves.read("autosave").unwrap().position().1,
        whole.snapshot.turn
    );
}

/// Regression (issue 13, item 9): a save stamped in the future won
/// `--continue` for ever; it is ordered by when its file was written, and
/// the table says it is in the future.
#[test]
fn a_save_stamped_in_the_future_does_not_win_for_ever() {
    let dir = tempfile::tempdir().unwrap();
    let saves = saves_dir(dir.path());
    let story = load_dir(&lighthouse()).unwrap();
    let mut future = save_of(&play(story.clone(), &["shed"]));
    future.saved_at = callister::play::save::now() + 10 * 365 * 86_400;
    let path = saves.write("copied", &future).unwrap();
    // Its file was written an hour ago.
    let hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(hour_ago)
        .unwrap();
    let mut recent = save_of(&play(story, &["wade"]));
    recent.saved_at = callister::play::save::now() - 60;
    saves.write("recent", &recent).unwrap();
    let (good, _) = saves.list();
    let order: Vec<(&str, bool)> = good.iter().map(|s| (s.slot.as_str(), s.future)).collect();
    assert_eq!(order, [("recent", false), ("copied", true)]);
    let (stdout, _) = run_piped(&["--continue"], "saves\n", dir.path());
    assert!(stdout.contains("Continuing slot `recent`"), "{stdout}");
    assert!(stdout.contains("(in the future)"), "{stdout}");
}

/// Regression (issue 13, item 9): a kill mid-save left a `.callister-*.tmp`
/// file that nothing cleaned. A game starting cleans the old ones: regular
/// files of ours only, never a link, never one being written.
#[test]
fn temporary_files_left_by_a_kill_are_cleaned_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join(".callister-old.tmp");
    let fresh = dir.path().join(".callister-fresh.tmp");
    let other = dir.path().join("mine.tmp");
    for p in [&old, &fresh, &other] {
        std::fs::write(p, "x").unwrap();
    }
    let ten_minutes_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(600);
    for p in [&old, &other] {
        std::fs::File::options()
            .write(true)
            .open(p)
            .unwrap()
            .set_modified(ten_minutes_ago)
            .unwrap();
    }
    #[cfg(unix)]
    std::os::unix::fs::symlink(&other, dir.path().join(".callister-link.tmp")).unwrap();
    run_piped(&[], "quit\n", dir.path());
    assert!(!old.exists());
    assert!(fresh.exists());
    assert!(other.exists());
    #[cfg(unix)]
    assert!(
        dir.path()
            .join(".callister-link.tmp")
            .symlink_metadata()
            .is_ok()
    );
}

/// Regression (issue 13, item 9): `played_secs` near `u64::MAX` overflowed
/// (a panic in a debug build) when the time played was added to it.
#[test]
fn played_seconds_saturate() {
    let dir = tempfile::tempdir().unwrap();
    let saves = saves_dir(dir.path());
    let story = load_dir(&lighthouse()).unwrap();
    let mut save = save_of(&play(story, &["shed"]));
    save.played_secs = u64::MAX;
    saves.write("old", &save).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let (stdout, _) = run_piped(&["--slot", "old"], "back\nsave later\nquit\n", dir.path());
    assert!(stdout.contains("Saved to slot `later`"), "{stdout}");
    assert_eq!(saves.read("later").unwrap().played_secs, u64::MAX);
    assert_eq!(saves.read("autosave").unwrap().played_secs, u64::MAX);
}
