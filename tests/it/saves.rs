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
    session.tree.undo(1);
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
        session.tree.current = 0;
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
