//! Faults and hostile input: a disk that fills while saving, and story
//! directories built to hurt (deep nesting, huge files and lines, long ids,
//! integers at their limits, loops, FIFOs and symlink cycles). Each must end
//! in a message or a bounded, documented behaviour: never a panic, a stack
//! overflow, a hang or memory without bound. See docs/reliability.md.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::mpsc;
use std::time::Duration;

use assert_cmd::cargo::cargo_bin;
use callister::engine::State;
use callister::play::save::{SaveDir, SaveError, SaveFile, write_atomic_with};
use callister::play::session::{Look, NoHost, Session};
use callister::story::Story;
use callister::story::compile::{self, Failure, MAX_FILE_BYTES};
use callister::story::diagnostic::{self, Code};
use callister::tools::plan::Plan;

const LIGHTHOUSE: &str = "examples/lighthouse";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `f` on another thread and fails if it takes longer than `secs`: a
/// hang becomes a test failure instead of a stuck test run. (The thread is
/// left behind; the test process ends with the failure.)
fn within<T: Send + 'static>(secs: u64, what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(Duration::from_secs(secs)) {
        Ok(value) => value,
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("{what} took longer than {secs} s"),
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("{what} panicked"),
    }
}

/// A story directory from `(file, text)` pairs.
fn story_dir(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

fn compile_dir(dir: &Path) -> Result<Story, Failure> {
    compile::load_dir(dir)
}

fn rendered(failure: &Failure) -> String {
    diagnostic::render_all(&failure.diagnostics, &failure.sources, false)
}

fn codes(failure: &Failure) -> Vec<&'static str> {
    failure
        .diagnostics
        .iter()
        .map(|d| d.code.as_str())
        .collect()
}

/// The files of a saves directory, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Runs the binary with piped stdin under `sh -c PRELUDE`, so a test can set
/// limits first; returns stdout and the exit code.
#[cfg(unix)]
fn piped_sh(prelude: &str, args: &[&str], saves: &Path, input: &str) -> (String, Option<i32>) {
    let script = format!("{prelude}\nexec \"$0\" \"$@\"");
    let out = assert_cmd::Command::new("sh")
        .current_dir(root())
        .arg("-c")
        .arg(script)
        .arg(cargo_bin("callister"))
        .args(args)
        .arg("--saves")
        .arg(saves)
        .env_remove("CALLISTER_SAVES")
        .env("NO_COLOR", "1")
        .write_stdin(input)
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        out.status.code(),
    )
}

/// A first session that plays a few steps (with branches, so the save is
/// well over the 512 bytes `ulimit -f 1` allows) and saves to slot `mine`: the previous save that a
/// failed write must leave whole.
#[cfg(unix)]
fn previous_save(saves: &Path) -> Vec<u8> {
    let (out, code) = piped_sh(
        "",
        &["--scenes", LIGHTHOUSE, "--seed", "1"],
        saves,
        "shed\nback\nwade\nundo 3\nwade\nundo\nleave\nundo\nshed\nback\nleave\nundo\nwade\nsave mine\nquit\n",
    );
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("Saved to slot `mine`"), "{out}");
    let bytes = std::fs::read(saves.join("mine.ron")).unwrap();
    assert!(
        bytes.len() > 768,
        "the save must be larger than the size limit below to test a write cut short"
    );
    bytes
}

// A full disk while saving.

/// The seam: a writer that fails half-way, as a full disk does. The error
/// names the cause, the previous save is whole, no temporary file is left.
#[test]
fn a_disk_full_mid_write_leaves_the_previous_save_and_no_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("slot.ron");
    std::fs::write(&path, "the previous save").unwrap();
    for cut in [0, 1, 100, 4096] {
        let result = write_atomic_with(dir.path(), &path, |w| {
            w.write_all(&vec![b'x'; cut])?;
            Err(std::io::Error::from(std::io::ErrorKind::StorageFull))
        });
        let err = result.expect_err("the write failed");
        assert!(matches!(err, SaveError::Io(..)), "{err:?}");
        assert!(err.to_string().contains("the disk is full"), "{err}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "the previous save");
        assert_eq!(listing(dir.path()), ["slot.ron"], "cut at {cut}");
    }
    // The same seam writing everything succeeds: the test can tell.
    write_atomic_with(dir.path(), &path, |w| w.write_all(b"new")).unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
    assert_eq!(listing(dir.path()), ["slot.ron"]);
}

/// The real binary under a file-size limit (`ulimit -f`, no privilege
/// needed): every save is cut short by the kernel (EFBIG) after 512 bytes.
/// The player is told, the game goes on, and nothing partial is left.
#[cfg(unix)]
#[test]
fn a_save_cut_short_by_the_system_keeps_the_game_going() {
    let saves = tempfile::tempdir().unwrap();
    let before = previous_save(saves.path());
    let autosave = std::fs::read(saves.path().join("autosave.ron")).unwrap();
    let (out, code) = piped_sh(
        // Ignore SIGXFSZ so that the write fails instead of killing the game.
        "trap '' XFSZ; ulimit -f 1",
        &["--scenes", LIGHTHOUSE, "--slot", "mine"],
        saves.path(),
        "run\nsave mine\nlook\nstatus\nquit\n",
    );
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("Autosave failed"), "{out}");
    assert!(out.contains("Not saved"), "{out}");
    // Messages wrap at the width, so the words are looked for across lines.
    let words = out.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        words.contains("larger than the system allows"),
        "the cause is named: {out}"
    );
    // The game went on after the failed saves.
    let after_failure = &out[out.find("Not saved").unwrap()..];
    assert!(after_failure.contains("Status"), "{out}");
    assert_eq!(
        std::fs::read(saves.path().join("mine.ron")).unwrap(),
        before
    );
    assert_eq!(
        std::fs::read(saves.path().join("autosave.ron")).unwrap(),
        autosave
    );
    let left = listing(saves.path());
    assert!(
        left.iter().all(|f| !f.starts_with(".callister-")),
        "a temporary file was left: {left:?}"
    );
}

/// A real full disk: a 64 KiB tmpfs, filled, in a private mount namespace.
/// Needs the right to mount (root, as on the CI machines); skipped, saying
/// so, only where mounting is impossible.
#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_keeps_the_game_going() {
    let work = tempfile::tempdir().unwrap();
    let disk = work.path().join("disk");
    let keep = work.path().join("keep");
    std::fs::create_dir_all(&disk).unwrap();
    std::fs::create_dir_all(&keep).unwrap();
    let before = previous_save(&keep);
    let input = work.path().join("input");
    std::fs::write(&input, "run\nsave mine\nlook\nstatus\nquit\n").unwrap();
    // Mount, copy the previous save in, fill the disk, play, then report
    // what is on the disk (the mount vanishes with the namespace).
    let script = r#"
        disk=$1 keep=$2 input=$3 bin=$4 root=$5
        mount -t tmpfs -o size=64k tmpfs "$disk" 2>/dev/null || exit 77
        set -e
        cp "$keep/mine.ron" "$disk/mine.ron"
        dd if=/dev/zero of="$disk/filler" bs=1024 2>/dev/null || true
        dd if=/dev/zero of="$disk/filler2" bs=1 2>/dev/null || true
        cd "$root"
        status=0
        NO_COLOR=1 "$bin" --scenes examples/lighthouse --slot mine --saves "$disk" < "$input" || status=$?
        echo "exit=$status"
        echo "--- listing"
        ls -A "$disk"
        cp "$disk/mine.ron" "$keep/mine.after"
    "#;
    let out = Command::new("unshare")
        .args([
            "--mount",
            "--propagation",
            "private",
            "sh",
            "-c",
            script,
            "sh",
        ])
        .arg(&disk)
        .arg(&keep)
        .arg(&input)
        .arg(cargo_bin("callister"))
        .arg(root())
        .env_remove("CALLISTER_SAVES")
        .output();
    let out = match out {
        Err(e) => {
            eprintln!("skipped: cannot run `unshare` ({e})");
            return;
        }
        Ok(out) => {
            let stderr = String::from_utf8_lossy(&out.stderr);
            // No right to a mount namespace, or to mount in it.
            if out.status.code() == Some(77) || stderr.contains("unshare failed") {
                eprintln!("skipped: cannot mount a tmpfs here ({})", stderr.trim());
                return;
            }
            let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
            assert!(out.status.success(), "{stdout}\n{stderr}");
            stdout
        }
    };
    assert!(out.contains("exit=0"), "{out}");
    assert!(out.contains("Autosave failed"), "{out}");
    assert!(out.contains("the disk is full"), "{out}");
    assert!(out.contains("Not saved"), "{out}");
    let after_failure = &out[out.find("Not saved").unwrap()..];
    assert!(after_failure.contains("Status"), "the game went on: {out}");
    let listed = &out[out.find("--- listing").unwrap()..];
    assert!(!listed.contains(".callister-"), "{listed}");
    assert!(!listed.contains("autosave.ron"), "{listed}");
    assert_eq!(std::fs::read(keep.join("mine.after")).unwrap(), before);
}

// Hostile story directories.

const STORY: &str = r#"Story(title: "T", start: "hall", flags: ["lit"])"#;
const END: &str =
    r#"(id: "end", title: "End", text: "x", ending: (id: "end", title: "End", kind: Good))"#;

fn chapter(scenes: &str) -> String {
    format!("Chapter(title: \"A\", scenes: [{scenes}, {END}])")
}

/// Compiles, within 30 seconds, a story whose hall has this text.
fn hall_with_text(text: &str) -> Result<Story, Failure> {
    let dir = story_dir(&[
        ("story.ron", STORY),
        (
            "a.ron",
            &chapter(&format!(
                r#"(id: "hall", title: "Hall", text: "{text}", choices: [(key: "go", text: "Go", goto: "end")])"#
            )),
        ),
    ]);
    let path = dir.path().to_path_buf();
    within(30, "compiling", move || compile_dir(&path))
}

/// Markup nested ten thousand `{if}`s deep: a diagnostic at the depth
/// limit, no stack overflow.
#[test]
fn ten_thousand_nested_ifs_are_a_diagnostic() {
    let text = format!("{}x{}", "{if lit}".repeat(10_000), "{end}".repeat(10_000));
    let failure = hall_with_text(&text).unwrap_err();
    assert_eq!(codes(&failure), ["E021"], "{}", rendered(&failure));
    assert!(rendered(&failure).contains("64"), "{}", rendered(&failure));
}

/// A plan's expectation nested ten thousand parentheses deep: a failure
/// sentence, no stack overflow.
#[test]
fn a_plan_expectation_nested_ten_thousand_deep_is_a_failure() {
    let hold = format!("{}true{}", "(".repeat(10_000), ")".repeat(10_000));
    let plan = Plan {
        choices: vec!["leave".into()],
        expect: callister::tools::plan::Expect {
            hold: vec![hold, format!("{}true", "not ".repeat(10_000))],
            ..Default::default()
        },
        ..Default::default()
    };
    let story = compile_dir(&root().join(LIGHTHOUSE)).unwrap();
    let replay = within(30, "replaying", move || plan.replay(story)).unwrap();
    assert_eq!(replay.failures.len(), 2, "{:?}", replay.failures);
    assert!(
        replay.failures.iter().all(|f| f.contains("nested")),
        "{:?}",
        replay.failures
    );
}

/// A 100 MB file is refused by its size, without being read: a sparse file
/// costs no disk and would take seconds to read if it were.
#[test]
fn a_file_over_the_size_limit_is_refused_unread() {
    for size in [MAX_FILE_BYTES + 1, 100 * 1024 * 1024] {
        let dir = story_dir(&[
            ("story.ron", STORY),
            (
                "a.ron",
                &chapter(
                    r#"(id: "hall", title: "H", text: "x", choices: [(key: "go", text: "Go", goto: "end")])"#,
                ),
            ),
        ]);
        let huge = std::fs::File::create(dir.path().join("huge.ron")).unwrap();
        huge.set_len(size).unwrap();
        let path = dir.path().to_path_buf();
        let failure = within(10, "loading", move || compile_dir(&path)).unwrap_err();
        assert_eq!(codes(&failure), ["E037"], "{}", rendered(&failure));
        assert!(
            rendered(&failure).contains("larger than 16 MiB"),
            "{}",
            rendered(&failure)
        );
    }
}

/// A long string just under the limit loads, plays and reports in time
/// linear in its size; on a line of megabytes a diagnostic shows an
/// excerpt, not the line: its size does not grow with the line.
#[test]
fn a_line_of_megabytes_loads_and_its_diagnostics_stay_short() {
    let words = "word ".repeat(400_000); // 2 MB on one line
    let scenes = format!(
        r#"(id: "hall", title: "Hall", text: "{words}", choices: [(key: "go", text: "Go", when: "{words_cond}", goto: "end"), (key: "on", text: "On", goto: "nowhere")])"#,
        words_cond = "lit"
    );
    let text = chapter(&scenes).replace('\n', " ");
    let dir = story_dir(&[("story.ron", STORY), ("a.ron", &text)]);
    let path = dir.path().to_path_buf();
    let failure = within(60, "compiling", move || compile_dir(&path)).unwrap_err();
    assert_eq!(codes(&failure), ["E011"]);
    let shown = rendered(&failure);
    assert!(shown.len() < 1024, "{} bytes:\n{shown}", shown.len());
    assert!(shown.contains("…"), "{shown}");
    // The caret still points at the unknown name in the excerpt.
    let lines: Vec<&str> = shown.lines().collect();
    let source = lines
        .iter()
        .position(|l| l.contains("\"nowhere\""))
        .unwrap();
    let caret = lines[source + 1].find('^').unwrap();
    let name = lines[source].find("nowhere").unwrap();
    assert_eq!(
        lines[source][..name].chars().count(),
        lines[source + 1][..caret].chars().count(),
        "{shown}"
    );
    // The column is the real one, counted in characters.
    let (_, line, column) = failure.diagnostics[0].location(&failure.sources).unwrap();
    let at = text.find("nowhere").unwrap();
    assert_eq!((line, column), (1, text[..at].chars().count() + 1));

    // Fixed, it compiles and plays.
    let fixed = text.replace("nowhere", "end");
    let dir = story_dir(&[("story.ron", STORY), ("a.ron", &fixed)]);
    let path = dir.path().to_path_buf();
    within(60, "compiling and playing", move || {
        let story = compile_dir(&path).unwrap();
        let mut session = Session::new(story.clone(), State::new(&story, 1), Look::default());
        let (out, _) = session.input("look", &mut NoHost);
        assert!(out.len() > 2_000_000);
        let (out, _) = session.input("on", &mut NoHost);
        assert!(out.contains("THE END"), "{}", &out[out.len() - 200..]);
    });
}

/// Ids of 10,000 characters: refused (ids are at most 200), and reported in
/// time: did-you-mean does not compare names that long (it used to take
/// half a minute for one pair).
#[test]
fn ids_of_ten_thousand_characters_are_refused_in_time() {
    let long = "a".repeat(10_000);
    let longer = format!("{}b", "a".repeat(9_999));
    let dir = story_dir(&[
        (
            "story.ron",
            &format!(r#"Story(title: "T", start: "{longer}", flags: ["{long}"])"#),
        ),
        (
            "a.ron",
            &format!(
                r#"Chapter(title: "A", scenes: [(id: "{long}", title: "x", text: "x", choices: [(key: "go", text: "x", when: "{longer}", goto: "{longer}")]), {END}])"#
            ),
        ),
    ]);
    let path = dir.path().to_path_buf();
    let failure = within(10, "compiling", move || compile_dir(&path)).unwrap_err();
    let codes = codes(&failure);
    assert!(codes.contains(&"E035"), "{codes:?}");
    assert!(codes.contains(&"E011"), "{codes:?}");
    assert!(codes.contains(&"E013"), "{codes:?}");
    // Names are cut in the messages.
    let e035 = failure
        .diagnostics
        .iter()
        .find(|d| d.code == Code::E035)
        .unwrap();
    assert!(e035.message.len() < 100, "{}", e035.message);
}

/// Thousands of unknown names, each near a declared one: every one is
/// reported, and did-you-mean shares a budget so the whole stays bounded.
#[test]
fn thousands_of_unknown_names_are_reported_in_time() {
    let n = 2_000;
    let flags: Vec<String> = (0..n).map(|i| format!("\"f{i:029}\"")).collect();
    let choices: Vec<String> = (0..n)
        .map(|i| format!(r#"(key: "k{i}", text: "x", when: "g{i:029}", goto: "end")"#))
        .collect();
    let story = format!(
        r#"Story(title: "T", start: "hall", flags: [{}])"#,
        flags.join(",")
    );
    let scenes = format!(
        r#"(id: "hall", title: "H", text: "x", choices: [{}])"#,
        choices.join(",")
    );
    let dir = story_dir(&[("story.ron", &story), ("a.ron", &chapter(&scenes))]);
    let path = dir.path().to_path_buf();
    let (count, suggested, shown) = within(90, "compiling and rendering", move || {
        let failure = compile_dir(&path).unwrap_err();
        let suggested = failure
            .diagnostics
            .iter()
            .filter(|d| {
                d.help
                    .as_deref()
                    .is_some_and(|h| h.contains("did you mean"))
            })
            .count();
        (
            failure.diagnostics.len(),
            suggested,
            rendered(&failure).len(),
        )
    });
    assert_eq!(count, n);
    // The first ones still get their suggestion.
    assert!(suggested > 10, "{suggested}");
    // Each diagnostic is a few lines, however long the line it points into.
    assert!(shown < n * 1024, "{shown} bytes");
}

/// Every integer field and operand at `i64::MIN` and `i64::MAX`: the story
/// compiles (with warnings for comparisons that always hold), plays with
/// saturating arithmetic and clamping, and saves and loads as the same
/// game.
#[test]
fn integers_at_their_limits_saturate_and_round_trip() {
    let story = r#"Story(
    title: "Limits",
    start: "hall",
    variables: [
        (id: "big", initial: 9223372036854775807, min: -9223372036854775808, max: 9223372036854775807),
        (id: "small", initial: -9223372036854775808, min: -9223372036854775808, max: 9223372036854775807),
        (id: "plain", initial: 0),
    ],
)"#;
    let chapter = r#"Chapter(title: "A", scenes: [
    (id: "hall", title: "Hall", text: "{big} {small} {plain} {if big == 9223372036854775807 and small == -9223372036854775808}limits{end}",
        on_enter: [Add("big", 9223372036854775807), Add("small", -9223372036854775808), Add("plain", 9223372036854775807)],
        choices: [
            (key: "up", text: "Up {big}", when: "big >= -9223372036854775808 and small <= 9223372036854775807 and visits(hall) < 9223372036854775807",
                effects: [Add("big", 9223372036854775807), Add("small", -9223372036854775808), SetVar("plain", -9223372036854775808)], goto: "hall"),
            (key: "down", text: "Down", effects: [Add("big", -9223372036854775808), Add("small", 9223372036854775807), SetVar("plain", 9223372036854775807)], goto: "hall"),
            (key: "roll", text: "Roll", check: (chance: 100, adjust: [Per("big", 9223372036854775807), Per("small", 9223372036854775807), Per("small", -9223372036854775808), When("plain < 0", -9223372036854775808)],
                success: (effects: [SetVar("big", -9223372036854775808)], goto: "hall"), failure: (goto: "hall"))),
            (key: "end", text: "End", goto: "end"),
        ]),
    (id: "end", title: "End", text: "x", ending: (id: "end", title: "End", kind: Good)),
])"#;
    let dir = story_dir(&[("story.ron", story), ("a.ron", chapter)]);
    let story = compile_dir(dir.path()).unwrap_or_else(|f| panic!("{}", rendered(&f)));
    let lints = callister::tools::check::lint(&story);
    assert!(lints.iter().all(|d| !d.is_error()));

    let big = story.var_by_id("big").unwrap();
    let plain = story.var_by_id("plain").unwrap();
    let mut session = Session::new(story.clone(), State::new(&story, 9), Look::default());
    // Entering saturates at the bounds; the default bounds clamp `plain`.
    assert_eq!(session.state().var(big), i64::MAX);
    assert_eq!(
        session.state().var(plain),
        callister::story::compile::DEFAULT_MAX
    );
    for line in [
        "up", "down", "roll", "up", "roll", "down", "up", "undo", "roll", "status",
    ] {
        let (out, _) = session.input(line, &mut NoHost);
        assert!(!out.contains("Nothing changed"), "{line}: {out}");
        for (v, &x) in story.variables.iter().zip(&session.state().vars) {
            assert!((v.min..=v.max).contains(&x), "{}: {x}", v.id);
        }
    }
    let (out, _) = session.input("end", &mut NoHost);
    assert!(out.contains("THE END"), "{out}");

    let save = SaveFile::capture(&story, &session.tree, story.start, 0, 0);
    let parsed = SaveFile::parse(&save.to_ron().unwrap(), Path::new("s")).unwrap();
    assert_eq!(parsed, save);
    let (tree, _, notes) = parsed.restore(&story, Path::new("s")).unwrap();
    assert!(notes.notes.is_empty(), "{:?}", notes.notes);
    assert_eq!(tree.state(), session.state());

    // Presets and plans take the limits too.
    let plan = Plan {
        set: vec![
            "big=-9223372036854775808".into(),
            "plain=9223372036854775807".into(),
        ],
        choices: vec!["roll:pass".into(), "down".into()],
        expect: callister::tools::plan::Expect {
            hold: vec!["big == -1".into(), "plain == 1000000000".into()],
            ..Default::default()
        },
        ..Default::default()
    };
    let replay = plan.replay(story).unwrap();
    assert!(replay.failures.is_empty(), "{:?}", replay.failures);
}

/// Nothing moves a scene but a choice: a scene without one is a compile
/// error (E030), and a loop back to the same scene advances one step per
/// line the player types. Ten thousand laps stay bounded: the turn and
/// visit counters saturate, memory is one state per step (the undo
/// history), and the explorer finishes.
#[test]
fn a_scene_that_loops_to_itself_advances_only_when_chosen() {
    let dir = story_dir(&[
        ("story.ron", STORY),
        (
            "a.ron",
            &chapter(r#"(id: "hall", title: "Hall", text: "x", on_enter: [SetFlag("lit")])"#),
        ),
    ]);
    let failure = compile_dir(dir.path()).unwrap_err();
    assert_eq!(codes(&failure), ["E030"], "{}", rendered(&failure));

    let looping = chapter(
        r#"(id: "hall", title: "Hall", text: "Again.", on_enter: [SetFlag("lit")], choices: [(key: "stay", text: "Stay", goto: "hall"), (key: "leave", text: "Leave", when: "not lit", goto: "end")])"#,
    );
    let dir = story_dir(&[("story.ron", STORY), ("a.ron", &looping)]);
    let story = compile_dir(dir.path()).unwrap();
    let laps = 10_000;
    let hall = story.scene_by_id("hall").unwrap();
    let (turn, visits, nodes) = within(60, "looping", move || {
        let mut session = Session::new(story.clone(), State::new(&story, 1), Look::default());
        for _ in 0..laps {
            session.input("stay", &mut NoHost);
        }
        let state = session.state();
        (state.turn, state.visits.get(hall), session.tree.nodes.len())
    });
    assert_eq!(turn, laps);
    assert_eq!(visits, laps + 1);
    assert_eq!(nodes, laps as usize + 1);

    // The explorer sees the loop as one state, stops, says that the ending
    // is never reached, and reports the loop as a soft-lock (issue 18).
    let out = assert_cmd::Command::new(cargo_bin("callister"))
        .arg("explore")
        .arg(dir.path())
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("`end` never reached"), "{text}");
    assert!(text.contains("soft-locks: 1"), "{text}");
}

/// A FIFO named like a chapter would block the loader forever: only
/// regular files are read.
#[cfg(unix)]
#[test]
fn a_fifo_in_the_story_directory_is_refused() {
    let dir = story_dir(&[
        ("story.ron", STORY),
        (
            "a.ron",
            &chapter(
                r#"(id: "hall", title: "H", text: "x", choices: [(key: "go", text: "Go", goto: "end")])"#,
            ),
        ),
    ]);
    let fifo = dir.path().join("pipe.ron");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let path = dir.path().to_path_buf();
    let failure = within(10, "loading", move || compile_dir(&path)).unwrap_err();
    assert_eq!(codes(&failure), ["E037"], "{}", rendered(&failure));
    assert!(rendered(&failure).contains("not a regular file"));
}

/// Symlinks that loop inside the story directory: each directory is read
/// once (three self-links used to mean 3^16 directory reads).
#[cfg(unix)]
#[test]
fn symlink_loops_inside_the_story_directory_are_walked_once() {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(root().join(LIGHTHOUSE)).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "ron") {
            std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
        }
    }
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    for name in ["a", "b", "c", "sub/up", "sub/again"] {
        let target = if name.starts_with("sub/") { ".." } else { "." };
        std::os::unix::fs::symlink(target, dir.path().join(name)).unwrap();
    }
    let path = dir.path().to_path_buf();
    let story = within(20, "loading", move || compile_dir(&path))
        .unwrap_or_else(|f| panic!("{}", rendered(&f)));
    assert_eq!(story.scenes.len(), 7);
}

/// Autosaves and `saves` keep working beside unreadable and hostile files
/// in the saves directory (a FIFO, a directory named like a save, a huge
/// file): they are listed as unreadable, never read forever.
#[cfg(unix)]
#[test]
fn hostile_files_in_the_saves_directory_are_listed_not_read() {
    let saves = tempfile::tempdir().unwrap();
    let made = Command::new("mkfifo")
        .arg(saves.path().join("fifo.ron"))
        .status()
        .unwrap();
    assert!(made.success());
    std::fs::create_dir(saves.path().join("folder.ron")).unwrap();
    let huge = std::fs::File::create(saves.path().join("huge.ron")).unwrap();
    huge.set_len(callister::play::save::MAX_SAVE_BYTES + 1)
        .unwrap();
    let dir = SaveDir {
        dir: saves.path().to_path_buf(),
    };
    let (good, bad) = within(10, "listing saves", move || dir.list());
    assert!(good.is_empty());
    let bad: Vec<&str> = bad.iter().map(|(slot, _)| slot.as_str()).collect();
    assert_eq!(bad, ["fifo", "folder", "huge"]);

    // A FIFO as the endings ledger: the ledger is off, the game plays.
    let made = Command::new("mkfifo")
        .arg(saves.path().join("profile.ron"))
        .status()
        .unwrap();
    assert!(made.success());
    let (out, code) = piped_sh(
        "",
        &["--scenes", LIGHTHOUSE, "--seed", "1"],
        saves.path(),
        "shed
saves
quit
",
    );
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("The Boat Shed"), "{out}");
    assert!(out.contains("fifo: unreadable"), "{out}");
}

/// The control-character scan (E038) reads escapes, comments and raw
/// strings of any text, never splitting a character: crafted cases, then
/// 20,000 random strings of the characters that matter.
#[test]
fn the_control_character_scan_takes_any_text() {
    use callister::story::source::Source;
    use rand::{RngExt, SeedableRng};
    let scan = |text: &str| Source::new("f.ron", text).control_characters(usize::MAX).0;
    assert_eq!(scan(r#""\é""#), []);
    assert_eq!(scan("\"\\"), []);
    assert_eq!(scan(r#""a\u{1b}b""#), [(2, 8, '\u{1b}')]);
    assert_eq!(scan(r#""\\u{1b}""#), []);
    assert_eq!(scan("// \u{1b}\n\"\u{7}\""), [(6, 7, '\u{7}')]);
    assert_eq!(
        scan("/* \\x1b */ r#\"\\x1b\"# \"\\x1b\""),
        [(22, 26, '\u{1b}')]
    );
    // Only the first few are kept, all are counted.
    let many = format!("\"{}\"", "\u{1b}".repeat(100_000));
    let (kept, total) = Source::new("f.ron", many).control_characters(11);
    assert_eq!((kept.len(), total), (11, 100_000));
    let alphabet = [
        '\\', '"', 'é', '/', '*', 'r', '#', 'x', 'u', '{', '}', '1', 'b', '0', '\u{1b}', '\n', '漢',
    ];
    let mut rng = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(38);
    for _ in 0..20_000 {
        let len = rng.random_range(0..24);
        let text: String = (0..len)
            .map(|_| alphabet[rng.random_range(0..alphabet.len())])
            .collect();
        for (start, end, _) in scan(&text) {
            assert!(start < end && end <= text.len(), "{text:?}");
            assert!(
                text.is_char_boundary(start) && text.is_char_boundary(end),
                "{text:?}"
            );
        }
    }
}

/// A story of a million control characters: ten diagnostics and a count,
/// in time, whatever the number.
#[test]
fn a_million_control_characters_are_ten_diagnostics_and_a_count() {
    let text = "\u{1b}".repeat(1_000_000);
    let failure = hall_with_text(&text).unwrap_err();
    assert_eq!(codes(&failure), ["E038"; 11]);
    let shown = rendered(&failure);
    assert!(
        shown.contains("999990 more control characters in"),
        "{shown}"
    );
    assert!(
        !shown.contains('\u{1b}'),
        "a control character reached the output"
    );
}

// Issue 13: the prompt and the files it reads.

/// The game at a terminal, started by `sh`, which prints the terminal's
/// settings (`stty -a`) before it, then `started`, and after it the exit
/// code and the settings as the game left them. The shell
/// traps the signals a test sends to the whole process group, so that it
/// outlives the game; the game itself starts with their default actions.
#[cfg(unix)]
fn pty_then_stty(saves: &Path) -> expectrl::session::OsSession {
    let mut cmd = Command::new("sh");
    cmd.current_dir(root())
        .arg("-c")
        .arg(
            "stty -a; echo started; trap : TERM HUP QUIT; \"$0\" \"$@\"; echo \"exit $?\"; stty -a",
        )
        .arg(cargo_bin("callister"))
        .args(["--scenes", LIGHTHOUSE, "--seed", "1", "--saves"])
        .arg(saves)
        .env("NO_COLOR", "1")
        .env("TERM", "xterm")
        .env_remove("CALLISTER_SAVES");
    let mut p = expectrl::Session::spawn(cmd).expect("spawn callister in a pty");
    p.set_expect_timeout(Some(Duration::from_secs(20)));
    p
}

/// The flags of `stty -a`'s output (`icanon`, `-echo`…), sorted.
#[cfg(unix)]
fn settings(stty: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(stty);
    let mut flags: Vec<String> = text
        .split([' ', ';', '\r', '\n'])
        .filter(|w| {
            !w.is_empty()
                && w.trim_start_matches('-')
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
        .map(str::to_string)
        .collect();
    flags.sort();
    flags
}

/// Waits for the prompt and for the line editor to read in raw mode.
#[cfg(unix)]
fn at_prompt(p: &mut expectrl::session::OsSession) {
    use expectrl::Expect as _;
    p.expect("> ").unwrap();
    std::thread::sleep(Duration::from_millis(150));
}

/// Issue 13, item 15: SIGTERM, SIGHUP or SIGQUIT at the line editor ended
/// the program on the spot: the terminal stayed in the editor's raw mode
/// (no echo, no line editing: the shell after it unusable) and the
/// session's prompt history was lost. Each now ends the game as Ctrl-D
/// does: exit code 0, the terminal back in cooked mode with echo, the
/// history written, the last step autosaved.
#[cfg(unix)]
#[test]
fn signals_at_the_line_editor_leave_the_terminal_cooked_and_the_history_saved() {
    use expectrl::Expect as _;

    for (signal, name) in [
        (libc::SIGTERM, "SIGTERM"),
        (libc::SIGHUP, "SIGHUP"),
        (libc::SIGQUIT, "SIGQUIT"),
    ] {
        let saves = tempfile::tempdir().unwrap();
        let mut p = pty_then_stty(saves.path());
        let found = p.expect("started").unwrap();
        let before = settings(found.before());
        at_prompt(&mut p);
        p.send_line("shed").unwrap();
        p.expect("Take the key").unwrap();
        at_prompt(&mut p);
        // Half a line typed, then the signal to the terminal's process
        // group, as a terminal that closes sends SIGHUP.
        p.send("ba").unwrap();
        std::thread::sleep(Duration::from_millis(150));
        let group = p.get_process().pid().as_raw();
        // SAFETY: a signal to the process group the test started.
        assert_eq!(unsafe { libc::kill(-group, signal) }, 0);
        let end = p.expect(expectrl::Eof).unwrap();
        let after = String::from_utf8_lossy(&[end.before(), end.as_bytes()].concat()).into_owned();
        assert!(after.contains("exit 0"), "{name}: {after}");
        assert!(
            after.contains(&format!("{name}: leaving the game")),
            "{name}: {after}"
        );
        // The terminal as the game found it: cooked (`icanon`), signals
        // from keys (`isig`), echo as it was (the pty starts without).
        let left = settings(after.rsplit("exit 0").next().unwrap().as_bytes());
        assert!(left.contains(&"icanon".to_string()), "{name}: {after}");
        assert_eq!(left, before, "{name}: the terminal was left changed");
        let history = std::fs::read_to_string(saves.path().join("history.txt"))
            .unwrap_or_else(|e| panic!("{name}: no history written: {e}"));
        assert_eq!(history, "#V2\nshed\n", "{name}");
        let save = callister::play::save::read_save(&saves.path().join("autosave.ron")).unwrap();
        assert_eq!(save.snapshot.scene, "shed", "{name}");
    }
}

/// Issue 13, item 15: piped input that ends in the middle of a line (a
/// writer killed, a file without its last line end) ran the partial line.
/// It is not run: the game says so and ends as at the end of input.
#[test]
fn an_unfinished_last_line_is_not_run() {
    let saves = tempfile::tempdir().unwrap();
    let out = assert_cmd::Command::new(cargo_bin("callister"))
        .current_dir(root())
        .args(["--scenes", LIGHTHOUSE, "--seed", "1", "--saves"])
        .arg(saves.path())
        .env_remove("CALLISTER_SAVES")
        .env("NO_COLOR", "1")
        .write_stdin("shed\nsave mine")
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("The Boat Shed"), "{stdout}");
    let words = stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        words.contains("The input ended in the middle of a line; that unfinished line was ignored"),
        "{stdout}"
    );
    assert!(!stdout.contains("Saved to slot"), "{stdout}");
    assert!(!saves.path().join("mine.ron").exists());
}

/// Issue 13, item 14: `replay PLAN` and `--expect FILE` read without a
/// size limit or a file-type check: `/dev/zero` grew to gigabytes, a FIFO
/// blocked forever. Both are read only if they are regular files, and at
/// most 16 MiB (`fsio::MAX_PLAN_BYTES`).
#[cfg(unix)]
#[test]
fn replay_reads_only_regular_files_of_bounded_size() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo.plan.ron");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let huge = dir.path().join("huge.plan.ron");
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(16 * 1024 * 1024 + 1)
        .unwrap();
    let plan = root().join(LIGHTHOUSE).join("plans/home.plan.ron");
    let replay = |args: &[&std::ffi::OsStr]| {
        let out = assert_cmd::Command::new(cargo_bin("callister"))
            .current_dir(root())
            .arg("replay")
            .args(args)
            .args(["--scenes", LIGHTHOUSE])
            .timeout(Duration::from_secs(60))
            .output()
            .unwrap();
        (
            String::from_utf8_lossy(&out.stderr).into_owned(),
            out.status.code(),
        )
    };
    let zero = std::ffi::OsStr::new("/dev/zero");
    for (args, why) in [
        (vec![zero], "cannot read plan `/dev/zero`: it is a device"),
        (vec![fifo.as_os_str()], "it is a FIFO"),
        (vec![huge.as_os_str()], "it is larger than 16 MiB"),
        (
            vec![plan.as_os_str(), "--expect".as_ref(), zero],
            "cannot read `/dev/zero`: it is a device",
        ),
        (
            vec![plan.as_os_str(), "--expect".as_ref(), fifo.as_os_str()],
            "it is a FIFO",
        ),
    ] {
        let (stderr, code) = replay(&args);
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(why), "{args:?}: {stderr}");
    }
}

/// Issue 13, item 5: the prompt history (`history.txt`) was read and
/// written by rustyline without the checks saves get: a FIFO there hung
/// the game before its first prompt, a link to `/dev/zero` made it read
/// without end. Neither is read now (nor written over): the game says the
/// history is off and plays.
#[cfg(unix)]
#[test]
fn a_history_file_that_is_a_fifo_or_a_device_is_left_alone() {
    use expectrl::Expect as _;

    for hostile in ["fifo", "zero"] {
        let saves = tempfile::tempdir().unwrap();
        let history = saves.path().join("history.txt");
        if hostile == "fifo" {
            assert!(
                Command::new("mkfifo")
                    .arg(&history)
                    .status()
                    .unwrap()
                    .success()
            );
        } else {
            std::os::unix::fs::symlink("/dev/zero", &history).unwrap();
        }
        let mut p = pty_then_stty(saves.path());
        p.expect("The prompt history is off for this session")
            .unwrap();
        at_prompt(&mut p);
        p.send_line("shed").unwrap();
        p.expect("Take the key").unwrap();
        at_prompt(&mut p);
        p.send("\u{4}").unwrap();
        let end = p.expect(expectrl::Eof).unwrap();
        let after = String::from_utf8_lossy(&[end.before(), end.as_bytes()].concat()).into_owned();
        assert!(after.contains("exit 0"), "{hostile}: {after}");
        let meta = std::fs::symlink_metadata(&history).unwrap();
        let kind = meta.file_type();
        {
            use std::os::unix::fs::FileTypeExt as _;
            assert!(
                kind.is_fifo() || kind.is_symlink(),
                "{hostile} was replaced"
            );
        }
    }
}

/// Issue 13, item 5: a history file that is a symbolic link had its target
/// rewritten with the session's lines when the game ended.
#[cfg(unix)]
#[test]
fn a_history_file_link_is_neither_read_nor_rewritten() {
    use expectrl::Expect as _;

    let elsewhere = tempfile::tempdir().unwrap();
    let target = elsewhere.path().join("important.txt");
    std::fs::write(&target, "keep me\n").unwrap();
    let saves = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(&target, saves.path().join("history.txt")).unwrap();
    let mut p = pty_then_stty(saves.path());
    let before = p
        .expect("The prompt history is off for this session")
        .unwrap();
    let _ = before;
    p.expect("symbolic link").unwrap();
    at_prompt(&mut p);
    p.send_line("shed").unwrap();
    p.expect("Take the key").unwrap();
    at_prompt(&mut p);
    p.send("\u{4}").unwrap();
    p.expect(expectrl::Eof).unwrap();
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep me\n");
}

/// Issue 13, item 10: a name longer than 65,535 characters in a padded
/// column panicked the formatter ("Formatting argument out of range").
/// Names are capped when a story loads (E039), but a save's are not: a
/// save naming a scene of 70,000 characters is listed, by `callister saves`
/// and at the prompt, cut to a column's width.
#[test]
fn a_save_with_a_name_longer_than_a_column_is_listed() {
    let saves = tempfile::tempdir().unwrap();
    let (out, code) = piped(
        &["--scenes", LIGHTHOUSE, "--seed", "1"],
        saves.path(),
        "shed\nsave mine\nquit\n",
    );
    assert_eq!(code, Some(0), "{out}");
    let dir = SaveDir {
        dir: saves.path().to_path_buf(),
    };
    let mut save = dir.read("mine").unwrap();
    save.snapshot.scene = "long".repeat(17_500);
    dir.write("long", &save).unwrap();
    save.story = "Other".repeat(14_000);
    dir.write("other", &save).unwrap();
    let listed = assert_cmd::Command::new(cargo_bin("callister"))
        .current_dir(root())
        .args(["saves", "--scenes", LIGHTHOUSE, "--saves"])
        .arg(saves.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&listed.stdout);
    assert_eq!(
        listed.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&listed.stderr)
    );
    assert!(stdout.lines().all(|l| l.chars().count() < 200), "{stdout}");
    assert!(
        stdout.contains("longlong") && stdout.contains('…'),
        "{stdout}"
    );
    let (out, code) = piped(
        &["--scenes", LIGHTHOUSE, "--seed", "1"],
        saves.path(),
        "saves\nquit\n",
    );
    assert_eq!(code, Some(0), "{out}");
    let words = out.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(words.contains("(another story: OtherOther"), "{out}");
}

/// Runs the lighthouse with piped stdin in `saves`: stdout and the exit code.
fn piped(args: &[&str], saves: &Path, input: &str) -> (String, Option<i32>) {
    let out = assert_cmd::Command::new(cargo_bin("callister"))
        .current_dir(root())
        .args(args)
        .arg("--saves")
        .arg(saves)
        .env_remove("CALLISTER_SAVES")
        .env("NO_COLOR", "1")
        .write_stdin(input)
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        out.status.code(),
    )
}
