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
