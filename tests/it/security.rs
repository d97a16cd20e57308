//! Stories are data: a story directory cannot reach outside itself.

#[cfg(unix)]
#[test]
fn symlinks_out_of_the_story_directory_are_not_followed() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(
        outside.path().join("secret.ron"),
        r#"Chapter(title: "Outside", scenes: [(id: "secret", title: "Secret", text: "x", ending: (id: "s", title: "S", kind: Good))])"#,
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("story.ron"),
        r#"Story(title: "T", start: "a")"#,
    )
    .unwrap();
    std::fs::write(
        dir.path().join("a.ron"),
        r#"Chapter(title: "A", scenes: [(id: "a", title: "A", text: "x", ending: (id: "a", title: "A", kind: Good))])"#,
    )
    .unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("secret.ron"),
        dir.path().join("link.ron"),
    )
    .unwrap();
    std::os::unix::fs::symlink(outside.path(), dir.path().join("linked-dir")).unwrap();
    let story = callister::story::compile::load_dir(dir.path()).unwrap();
    assert!(story.scene_by_id("secret").is_none());
    assert_eq!(story.scenes.len(), 1);
}

/// Every file under `dir`, with its contents, relative to `dir`.
#[cfg(unix)]
fn tree(dir: &std::path::Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut out = std::collections::BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                out.insert(rel, std::fs::read(&path).unwrap_or_default());
            }
        }
    }
    out
}

/// A story written to look like paths and commands, played through the real
/// binary (every choice, a save, a transcript, undo, the endings ledger):
/// the only files written are in the saves directory, the story directory is
/// left as it was, and nothing the story names is run or created.
#[cfg(unix)]
#[test]
fn a_hostile_story_writes_only_to_the_saves_directory() {
    let home = tempfile::tempdir().unwrap();
    let story = home.path().join("story");
    std::fs::create_dir_all(&story).unwrap();
    std::fs::write(
        story.join("story.ron"),
        r#"Story(title: "../../../tmp/pwned-title", author: "$(touch pwned-author)", start: "a",
             variables: [(id: "x", name: "`touch pwned-var`", initial: 0, min: 0, max: 9)])"#,
    )
    .unwrap();
    std::fs::write(
        story.join("a.ron"),
        r#"Chapter(title: "/etc/passwd", scenes: [
            (id: "a", title: "; touch pwned-scene", text: "$(touch pwned-text) {x} ../../saves/../../escape",
             choices: [
                (key: "go", text: "| tee pwned-choice", effects: [Add("x", 1)], goto: "b"),
             ]),
            (id: "b", title: "~/.bashrc", text: "%s%s%s%n",
             ending: (id: "pwned", title: "../pwned-ending", kind: Good)),
        ])"#,
    )
    .unwrap();
    let saves = home.path().join("saves");
    let before = tree(&story);
    let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("callister"))
        .current_dir(home.path())
        .env("HOME", home.path())
        .env("XDG_DATA_HOME", home.path().join("data"))
        .env_remove("CALLISTER_SAVES")
        .env("NO_COLOR", "1")
        .args(["--scenes", "story", "--saves", "saves", "--seed", "1"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write as _;
            child.stdin.take().unwrap().write_all(
                b"transcript on\nsave mine\ngo\nundo\ngo\nsave ../../escape\nstatus\nquit\n",
            )?;
            child.wait_with_output()
        })
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("../pwned-ending"),
        "the game reached its ending: {stdout}"
    );
    // The story directory is as it was.
    assert_eq!(tree(&story), before);
    // Everything else written is under the saves directory.
    let written: Vec<String> = tree(home.path())
        .into_keys()
        .filter(|f| !f.starts_with("story/"))
        .collect();
    assert!(!written.is_empty());
    for f in &written {
        assert!(
            f.starts_with("saves/"),
            "written outside the saves directory: {f}"
        );
        assert!(
            !f.contains("pwned") && !f.contains("escape"),
            "a name the story chose: {f}"
        );
    }
    assert!(saves.join("mine.ron").is_file(), "{written:?}");
}

/// Issue 13, item 4: the loader checked a path, then opened it again, so a
/// file swapped between the two (for a symlink out of the story directory,
/// or a FIFO) was read, or blocked the load. Each file is now opened once,
/// without following a symlink or blocking, and read only if what was
/// opened is the regular file the walk saw. The swap happens here between
/// the walk and the read.
#[cfg(unix)]
#[test]
fn a_file_swapped_after_the_walk_is_refused_not_read() {
    use callister::story::code::Code;
    use callister::story::load;

    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("secret.ron");
    std::fs::write(&secret, r#"Chapter(title: "SECRET", scenes: [])"#).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let chapter = r#"Chapter(title: "A", scenes: [])"#;
    for name in ["story.ron", "a.ron", "b.ron", "c.ron"] {
        std::fs::write(dir.path().join(name), chapter).unwrap();
    }
    // `c.ron` is a symlink inside the directory, to `a.ron`: followed.
    std::fs::remove_file(dir.path().join("c.ron")).unwrap();
    std::os::unix::fs::symlink(dir.path().join("a.ron"), dir.path().join("c.ron")).unwrap();
    let walk = load::walk(dir.path()).expect("the directory is readable");

    // `a.ron` becomes a symlink out of the directory (and so does what
    // `c.ron` resolved to); `b.ron` becomes a FIFO.
    std::fs::remove_file(dir.path().join("a.ron")).unwrap();
    std::os::unix::fs::symlink(&secret, dir.path().join("a.ron")).unwrap();
    std::fs::remove_file(dir.path().join("b.ron")).unwrap();
    let made = std::process::Command::new("mkfifo")
        .arg(dir.path().join("b.ron"))
        .status()
        .unwrap();
    assert!(made.success());

    // Reading must neither block on the FIFO nor read the secret: done on
    // a thread, so that a regression fails instead of hanging.
    let (send, receive) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = send.send(walk.read());
    });
    let (files, diagnostics) = receive
        .recv_timeout(std::time::Duration::from_secs(20))
        .expect("reading the story blocked on a FIFO");
    let names: Vec<&str> = files.iter().map(|f| f.rel.as_str()).collect();
    assert_eq!(names, ["story.ron"], "read a swapped file");
    assert!(files.iter().all(|f| !f.text.contains("SECRET")));
    let messages: Vec<String> = diagnostics.iter().map(|d| d.message.clone()).collect();
    assert!(
        diagnostics.iter().all(|d| d.code == Code::E037),
        "{messages:?}"
    );
    assert_eq!(diagnostics.len(), 3, "{messages:?}");
    assert!(
        messages
            .iter()
            .any(|m| m.contains("b.ron` is not a regular file") || m.contains("b.ron` changed")),
        "{messages:?}"
    );
    assert!(
        messages
            .iter()
            .filter(|m| m.contains("changed while the story was read"))
            .count()
            >= 2,
        "{messages:?}"
    );
}

/// A symlink out of the directory is skipped, and a FIFO is refused
/// without blocking, when they are there from the start.
#[cfg(unix)]
#[test]
fn a_fifo_and_a_symlink_out_are_neither_read_nor_waited_on() {
    use callister::story::code::Code;

    let outside = tempfile::tempdir().unwrap();
    std::fs::write(
        outside.path().join("secret.ron"),
        r#"Chapter(title: "SECRET", scenes: [])"#,
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("secret.ron"),
        dir.path().join("out.ron"),
    )
    .unwrap();
    let made = std::process::Command::new("mkfifo")
        .arg(dir.path().join("pipe.ron"))
        .status()
        .unwrap();
    assert!(made.success());
    let path = dir.path().to_path_buf();
    let (send, receive) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = send.send(callister::story::load::read_story_dir(&path));
    });
    let (files, diagnostics) = receive
        .recv_timeout(std::time::Duration::from_secs(20))
        .expect("reading the story blocked on a FIFO")
        .unwrap_or_else(|_| panic!("the directory is readable"));
    assert!(files.is_empty());
    assert_eq!(diagnostics.len(), 1);
    assert_eq!(diagnostics[0].code, Code::E037);
    assert!(diagnostics[0].message.contains("not a regular file"));
}

/// Issue 13, item 2: comments nest in RON, and the E038 scan once stopped a
/// block comment at its first `*/`, so a comment such as `/* /* */ " */`
/// put the scan out of step with the parser and hid the control characters
/// after it. Whatever comments surround a story's strings, E038 is reported
/// exactly for the control characters of the strings the game would show.
#[cfg(test)]
mod nested_comments {
    use callister::story::code::Code;
    use callister::story::compile;
    use proptest::prelude::*;

    /// A block comment, nested up to `depth`, holding quotes, escapes and
    /// raw-string openers that must not count.
    fn comment(depth: u32) -> BoxedStrategy<String> {
        let filler = prop::collection::vec(
            prop::sample::select(vec!["\"", " ", "\\u{1b}", "x", "r#\"", "\\", "\n", "\u{7}"]),
            0..6,
        )
        .prop_map(|v| v.concat());
        if depth == 0 {
            filler.prop_map(|f| format!("/*{f}*/")).boxed()
        } else {
            (filler.clone(), prop::option::of(comment(depth - 1)), filler)
                .prop_map(|(a, inner, b)| format!("/*{a}{}{b}*/", inner.unwrap_or_default()))
                .boxed()
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        #[test]
        fn e038_sees_what_the_parser_sees(
            before in comment(3),
            between in comment(3),
            after in prop::option::of(comment(2)),
            escapes in 0usize..4,
            raw in any::<bool>(),
        ) {
            // The scene's text holds `escapes` control characters: as
            // `\u{1b}` escapes, or as the raw character in a raw string.
            let text = if raw {
                format!("r#\"a{}b\"#", "\u{1b}".repeat(escapes))
            } else {
                format!("\"a{}b\"", "\\u{1b}".repeat(escapes))
            };
            let chapter = format!(
                "{before}\nChapter(title: \"One\", {between} scenes: [(id: \"hall\", title: \"Hall\", text: {text}, ending: (id: \"e\", title: \"E\", kind: Good))]){}",
                after.unwrap_or_default()
            );
            let files = vec![
                compile::InputFile { rel: "story.ron".into(), name: "story.ron".into(), text: "Story(title: \"T\", start: \"hall\")".into() },
                compile::InputFile { rel: "a.ron".into(), name: "a.ron".into(), text: chapter.clone() },
            ];
            let diagnostics = match compile::compile(files) {
                Ok(_) => Vec::new(),
                Err(failure) => failure.diagnostics,
            };
            let others: Vec<_> = diagnostics.iter().filter(|d| d.code != Code::E038).map(|d| d.message.clone()).collect();
            prop_assert!(others.is_empty(), "{chapter}\n{others:?}");
            let e038: Vec<_> = diagnostics.iter().filter(|d| d.code == Code::E038).collect();
            prop_assert_eq!(e038.len(), escapes, "{}", chapter);
            // Each is at the escape (or the character) in the text, not in a comment.
            let text_at = chapter.find("text: ").expect("a text") + 6;
            for d in e038 {
                let start = d.primary.as_ref().expect("a place").span.start;
                prop_assert!(start > text_at && start < text_at + text.len(), "{}", chapter);
            }
        }
    }
}

// Issue 13: files the program writes and reads that are not chapters.

/// The binary, run in `cwd` with `stdin` piped, `NO_COLOR`, no
/// `CALLISTER_SAVES`; at most a minute (a read that blocks fails the test).
#[cfg(unix)]
fn run_in(cwd: &std::path::Path, args: &[&str], stdin: &str) -> std::process::Output {
    assert_cmd::Command::new(assert_cmd::cargo::cargo_bin("callister"))
        .current_dir(cwd)
        .args(args)
        .env_remove("CALLISTER_SAVES")
        .env("NO_COLOR", "1")
        .write_stdin(stdin)
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap()
}

#[cfg(unix)]
fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A copy of the lighthouse story and its `home` plan in `repo`, as a story
/// repository would hold them.
#[cfg(unix)]
fn lighthouse_repo(repo: &std::path::Path) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/lighthouse");
    std::fs::create_dir_all(repo.join("story")).unwrap();
    std::fs::create_dir_all(repo.join("plans")).unwrap();
    for f in ["story.ron", "shore.ron"] {
        std::fs::copy(root.join(f), repo.join("story").join(f)).unwrap();
    }
    std::fs::copy(
        root.join("plans/home.plan.ron"),
        repo.join("plans/home.plan.ron"),
    )
    .unwrap();
}

/// Issue 13, item 1: `replay --bless` and `explore --plans` wrote through
/// symbolic links a story repository ships, so the story's prose could land
/// in the player's shell start-up file. A link at the file, or a directory
/// inside the repository linked out of it, is now refused with a message,
/// and the file it points to is untouched; a path the user gives outside
/// the repository is still theirs to choose.
#[cfg(unix)]
#[test]
fn bless_and_plans_never_write_through_a_story_symlink() {
    use std::os::unix::fs::symlink;

    let home = tempfile::tempdir().unwrap();
    let bashrc = home.path().join(".bashrc");
    std::fs::write(&bashrc, "export PATH=/usr/bin\n").unwrap();
    let repo_dir = tempfile::tempdir().unwrap();
    let repo = repo_dir.path();
    lighthouse_repo(repo);
    symlink(&bashrc, repo.join("plans/done.txt")).unwrap();
    symlink(home.path(), repo.join("out")).unwrap();
    std::fs::create_dir(repo.join("found")).unwrap();
    symlink(&bashrc, repo.join("found/home.plan.ron")).unwrap();
    let untouched = |what: &str| {
        assert_eq!(
            std::fs::read_to_string(&bashrc).unwrap(),
            "export PATH=/usr/bin\n",
            "{what}"
        );
        let mut names: Vec<String> = std::fs::read_dir(home.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, [".bashrc"], "{what}");
    };
    let replay = ["replay", "plans/home.plan.ron", "--scenes", "story"];

    // A blessed transcript at a link: refused, the link left as it is.
    let out = run_in(
        repo,
        &[&replay[..], &["--expect", "plans/done.txt", "--bless"]].concat(),
        "",
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("symbolic link"),
        "{}",
        text(&out.stderr)
    );
    assert!(
        std::fs::symlink_metadata(repo.join("plans/done.txt"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    untouched("bless at a link");

    // In a directory of the repository linked out of it: refused.
    let out = run_in(
        repo,
        &[&replay[..], &["--expect", "out/new.txt", "--bless"]].concat(),
        "",
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr)
            .contains("`out` is a symbolic link that leads out of the directory it is in"),
        "{}",
        text(&out.stderr)
    );
    untouched("bless through a linked directory");

    // Plans: a plan file that is a link, and a plans directory linked out.
    for dir in ["found", "out"] {
        let out = run_in(repo, &["explore", "story", "--plans", dir], "");
        assert_eq!(out.status.code(), Some(2), "{dir}: {}", text(&out.stderr));
        assert!(
            text(&out.stderr).contains("symbolic link"),
            "{}",
            text(&out.stderr)
        );
        untouched(dir);
    }

    // A regular target is written, and a path outside the repository the
    // user names is theirs.
    let out = run_in(
        repo,
        &[&replay[..], &["--expect", "plans/home.txt", "--bless"]].concat(),
        "",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let elsewhere = tempfile::tempdir().unwrap();
    let chosen = elsewhere.path().join("home.txt");
    let out = run_in(
        repo,
        &[
            &replay[..],
            &["--expect", chosen.to_str().unwrap(), "--bless"],
        ]
        .concat(),
        "",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        std::fs::read(&chosen).unwrap(),
        std::fs::read(repo.join("plans/home.txt")).unwrap()
    );
    let out = run_in(repo, &["explore", "story", "--plans", "plans"], "");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(repo.join("plans/lit.plan.ron").is_file());
}

/// Issue 13, item 1, the game's own files: a save, the profile or the prompt
/// history that is a symbolic link is neither read nor written through;
/// the game says so and plays on. (The prompt history's link is tested at
/// the line editor, in `a_history_file_link_is_neither_read_nor_rewritten`.)
#[cfg(unix)]
#[test]
fn the_saves_directory_s_links_are_refused() {
    use std::os::unix::fs::symlink;

    let home = tempfile::tempdir().unwrap();
    let secret = home.path().join("secret.ron");
    std::fs::write(&secret, "not yours").unwrap();
    let saves = tempfile::tempdir().unwrap();
    for name in ["autosave.ron", "mine.ron", "profile.ron"] {
        symlink(&secret, saves.path().join(name)).unwrap();
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = run_in(
        root,
        &[
            "--scenes",
            "examples/lighthouse",
            "--seed",
            "1",
            "--saves",
            saves.path().to_str().unwrap(),
        ],
        "shed\nsave mine\nload mine\nsaves\nquit\n",
    );
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("The Boat Shed"), "{stdout}");
    assert!(stderr.contains("The endings ledger is off"), "{stderr}");
    assert!(stdout.contains("Not saved"), "{stdout}");
    assert!(stdout.contains("symbolic link"), "{stdout}");
    assert!(stdout.contains("Not loaded"), "{stdout}");
    assert!(stdout.contains("mine: unreadable"), "{stdout}");
    assert_eq!(std::fs::read_to_string(&secret).unwrap(), "not yours");
    for name in ["autosave.ron", "mine.ron", "profile.ron"] {
        let meta = std::fs::symlink_metadata(saves.path().join(name)).unwrap();
        assert!(meta.file_type().is_symlink(), "{name} was replaced");
    }
}

/// A real save of the lighthouse, written by the game in `saves` (slot
/// `mine`), parsed.
#[cfg(unix)]
fn a_real_save(saves: &std::path::Path) -> callister::play::save::SaveFile {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = run_in(
        root,
        &[
            "--scenes",
            "examples/lighthouse",
            "--seed",
            "1",
            "--saves",
            saves.to_str().unwrap(),
        ],
        "shed\nsave mine\nquit\n",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    callister::play::save::read_save(&saves.join("mine.ron")).unwrap()
}

/// Escape sequences that act on a terminal: a window title, a clipboard
/// write, a screen clear, a bell.
const HOSTILE: &str = "\u{1b}]0;pwned\u{7}\u{1b}]52;c;cHduZWQ=\u{7}\u{1b}[2J\u{9b}31m";

/// No byte that a terminal acts on: the escape, the bell, the C1 CSI.
#[cfg(unix)]
fn assert_inert(what: &str, shown: &str) {
    assert!(
        !shown.contains(['\u{1b}', '\u{7}', '\u{9b}']),
        "{what} sent a control character: {shown:?}"
    );
}

/// Issue 13, items 2 and 3: `callister saves`, the in-game `saves` table and
/// the "Continue it?" question printed a save's names raw, and `replay`
/// printed a plan's keys raw in its failures and transcript: a save or a
/// plan could retitle the window, write the clipboard, clear the screen.
/// All of it is now shown through `diagnostic::visible`.
#[cfg(unix)]
#[test]
fn saves_and_plans_cannot_control_the_terminal() {
    use callister::play::save::SaveDir;

    let saves = tempfile::tempdir().unwrap();
    let mut save = a_real_save(saves.path());
    let dir = SaveDir {
        dir: saves.path().to_path_buf(),
    };
    save.snapshot.scene = format!("gone{HOSTILE}");
    dir.write("autosave", &save).unwrap();
    save.story = format!("Other{HOSTILE}");
    dir.write("other", &save).unwrap();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let saves_arg = saves.path().to_str().unwrap();

    let out = run_in(
        root,
        &[
            "saves",
            "--scenes",
            "examples/lighthouse",
            "--saves",
            saves_arg,
        ],
        "",
    );
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("gone␛]0;pwned␇"), "{stdout}");
    assert!(
        stdout.contains("(another story: Other␛]0;pwned␇"),
        "{stdout}"
    );
    assert_inert("callister saves", &stdout);

    let out = run_in(
        root,
        &[
            "--scenes",
            "examples/lighthouse",
            "--seed",
            "1",
            "--saves",
            saves_arg,
        ],
        "saves\nquit\n",
    );
    let stdout = text(&out.stdout);
    assert!(stdout.contains("gone␛]0;pwned␇"), "{stdout}");
    assert_inert("the in-game saves table", &stdout);

    // The question that offers the autosave (only asked at a terminal).
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("callister"));
    cmd.current_dir(root)
        .args(["--scenes", "examples/lighthouse", "--saves", saves_arg])
        .env("NO_COLOR", "1")
        .env("TERM", "xterm")
        .env_remove("CALLISTER_SAVES");
    let mut p = expectrl::Session::spawn(cmd).unwrap();
    p.set_expect_timeout(Some(std::time::Duration::from_secs(20)));
    let asked = expectrl::Expect::expect(&mut p, "Continue it? [Y/n]").unwrap();
    let asked = text(asked.before());
    assert!(
        asked.contains("An autosave exists in slot `autosave`: “gone␛]0;pwned␇"),
        "{asked}"
    );
    assert_inert("the continue question", &asked);
    expectrl::Expect::send_line(&mut p, "n").unwrap();
    expectrl::Expect::expect(&mut p, "> ").unwrap();
    std::thread::sleep(std::time::Duration::from_millis(150));
    expectrl::Expect::send(&mut p, "\u{4}").unwrap();
    expectrl::Expect::expect(&mut p, expectrl::Eof).unwrap();

    // A plan whose key is an escape sequence: in its failure and in the
    // transcript it prints.
    let plan_dir = tempfile::tempdir().unwrap();
    let plan = plan_dir.path().join("p.plan.ron");
    std::fs::write(
        &plan,
        format!(
            "Plan(choices: [{:?}], expect: (scene: {:?}))",
            HOSTILE, HOSTILE
        ),
    )
    .unwrap();
    let out = run_in(
        root,
        &[
            "replay",
            plan.to_str().unwrap(),
            "--scenes",
            "examples/lighthouse",
        ],
        "",
    );
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("plan failed: step 1: `␛]0;pwned␇"),
        "{stderr}"
    );
    assert!(stdout.contains("> ␛]0;pwned␇"), "{stdout}");
    assert_inert("replay's failures", &stderr);
    assert_inert("replay's transcript", &stdout);
}

/// The one gate at the prompt's output: the session's own styling (SGR)
/// passes, every other control character is shown, not sent.
#[test]
fn the_prompt_s_output_keeps_its_styles_and_nothing_else() {
    use callister::story::diagnostic::{visible_but_styles, visible_cut};

    let styled = "\u{1b}[1;36mHall\u{1b}[0m and \u{1b}[3mitalics\u{1b}[23m\n\tend";
    assert_eq!(visible_but_styles(styled), styled);
    assert_eq!(
        visible_but_styles("a\u{1b}]0;t\u{7}b\u{1b}[2Jc\u{9b}d\u{7f}\u{1b}[1m"),
        "a␛]0;t␇b␛[2Jc\u{fffd}d␡\u{1b}[1m"
    );
    assert_eq!(visible_but_styles("\u{1b}"), "␛");
    assert_eq!(visible_but_styles("\u{1b}[12"), "␛[12");
    // A name cut for a column: at most the number of characters given.
    assert_eq!(visible_cut("abcdef", 4), "abc…");
    assert_eq!(visible_cut("ab\u{1b}", 4), "ab␛");
    assert_eq!(visible_cut(&"é".repeat(70_000), 100).chars().count(), 100);
}

/// Issue 13, item 15: playing a story with its saves directory inside it
/// (`--saves saves` from the story's own directory) wrote saves where the
/// loader reads chapters, and the story broke at its next start. It is
/// refused, before anything is written.
#[cfg(unix)]
#[test]
fn a_saves_directory_inside_the_story_directory_is_refused() {
    let repo = tempfile::tempdir().unwrap();
    lighthouse_repo(repo.path());
    let story = repo.path().join("story");
    for saves in ["saves", "."] {
        let out = run_in(
            &story,
            &["--scenes", ".", "--saves", saves, "--seed", "1"],
            "shed\nquit\n",
        );
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("is inside the story directory"), "{stderr}");
        let mut files: Vec<String> = std::fs::read_dir(&story)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        files.sort();
        assert_eq!(files, ["shore.ron", "story.ron"], "{saves}");
    }
    // Beside the story, the saves are fine.
    let out = run_in(
        &story,
        &["--scenes", ".", "--saves", "../saves", "--seed", "1"],
        "shed\nquit\n",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(repo.path().join("saves/autosave.ron").is_file());
}

/// Issue 13, item 15: `transcript on FILE` blocked on a FIFO, wrote through
/// a symbolic link, appended to any file (a save, a document) and made
/// missing directories; the default name was the minute's date, so it
/// could be guessed and planted ahead. Each is now refused with a message
/// and the game goes on; a transcript starts with a header line, and only
/// a file that starts with it is appended to; the default name has a
/// random part and is created exclusively.
#[cfg(unix)]
#[test]
fn transcripts_go_only_to_transcripts() {
    let place = tempfile::tempdir().unwrap();
    let saves = tempfile::tempdir().unwrap();
    let fifo = place.path().join("fifo.txt");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let victim = place.path().join("victim.txt");
    std::fs::write(&victim, "mine").unwrap();
    std::os::unix::fs::symlink(&victim, place.path().join("link.txt")).unwrap();
    let notes = place.path().join("notes.txt");
    std::fs::write(&notes, "my notes\n").unwrap();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let saves_arg = saves.path().to_str().unwrap();
    let at = |name: &str| place.path().join(name).display().to_string();
    let in_saves = |name: &str| saves.path().join(name).display().to_string();
    let refused = [
        (at("fifo.txt"), "FIFO"),
        (at("link.txt"), "symbolic link"),
        (at("notes.txt"), "not a Callister transcript"),
        (at("missing/t.txt"), "does not exist"),
        (in_saves("new.ron"), "the game's own files"),
        (in_saves("history.txt"), "the game's own files"),
    ];
    let mut input = String::from("save mine\n");
    for (path, _) in &refused {
        input.push_str(&format!("transcript on {path}\n"));
    }
    input.push_str(&format!(
        "transcript on {}\nshed\ntranscript off\n",
        at("t.txt")
    ));
    input.push_str(&format!(
        "transcript on {}\nback\ntranscript off\n",
        at("t.txt")
    ));
    input.push_str("transcript on\ntranscript off\ntranscript on\nquit\n");
    let out = run_in(
        root,
        &[
            "--scenes",
            "examples/lighthouse",
            "--seed",
            "1",
            "--saves",
            saves_arg,
        ],
        &input,
    );
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    // Messages wrap at the width: looked for across lines.
    let words = stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    for (path, why) in &refused {
        let said = format!("Cannot open `{path}` for the transcript: ");
        let at = words
            .find(&said)
            .unwrap_or_else(|| panic!("{said} in {stdout}"));
        let message = words[at..].split(". ").next().unwrap();
        assert!(message.contains(why), "{message}");
    }
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "mine");
    assert_eq!(std::fs::read_to_string(&notes).unwrap(), "my notes\n");
    assert!(!place.path().join("missing").exists());
    assert!(!saves.path().join("new.ron").exists());
    // The transcript: a header each time it is opened, what was shown.
    let t = std::fs::read_to_string(place.path().join("t.txt")).unwrap();
    assert!(
        t.starts_with("# Callister transcript of “The Lighthouse"),
        "{t}"
    );
    assert!(t.contains("resumed"), "{t}");
    assert!(t.contains("> shed") && t.contains("> back"), "{t}");
    // Default names: two transcripts, two files, each with a random part.
    let mut made: Vec<String> = std::fs::read_dir(saves.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("transcript-"))
        .collect();
    made.sort();
    assert_eq!(made.len(), 2, "{made:?}");
    for name in &made {
        // transcript-YYYY-MM-DD-HH-MM-XXXXXXXX.txt
        let random = name.trim_end_matches(".txt").rsplit('-').next().unwrap();
        assert_eq!(random.len(), 8, "{name}");
        let t = std::fs::read_to_string(saves.path().join(name)).unwrap();
        assert!(t.starts_with("# Callister transcript"), "{t}");
    }
}
