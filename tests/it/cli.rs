//! The real binary: through a pseudo-terminal (the prompt as a player meets
//! it) and with piped stdin (a session that reads like a transcript).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use assert_cmd::cargo::cargo_bin;
use expectrl::Expect;
use expectrl::session::OsSession as Session;

const LIGHTHOUSE: &str = "examples/lighthouse";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Starts `callister` in a pseudo-terminal with a fresh saves directory.
fn pty(args: &[&str], saves: &Path) -> Session {
    let mut cmd = Command::new(cargo_bin("callister"));
    cmd.current_dir(root())
        .args(args)
        .arg("--saves")
        .arg(saves)
        .env("NO_COLOR", "1")
        .env("TERM", "xterm")
        .env_remove("CALLISTER_SAVES");
    let mut session = expectrl::Session::spawn(cmd).expect("spawn callister in a pty");
    session.set_expect_timeout(Some(Duration::from_secs(20)));
    session
}

/// Waits for the prompt, so the line editor is reading in raw mode (it
/// discards input that arrives before), then sends a line.
fn say(p: &mut Session, line: &str) {
    ready(p);
    p.send_line(line).unwrap();
}

fn ready(p: &mut Session) {
    p.expect("> ").unwrap();
    std::thread::sleep(Duration::from_millis(100));
}

fn exit_status(session: &Session) -> String {
    format!(
        "{:?}",
        session.get_process().wait().expect("wait for callister")
    )
}

#[test]
fn prompt_by_number_key_completion_unknown_and_ctrl_d() {
    let saves = tempfile::tempdir().unwrap();
    let mut p = pty(&["--scenes", LIGHTHOUSE, "--seed", "1"], saves.path());
    p.expect("Go home and let someone else worry").unwrap();
    // By number.
    say(&mut p, "1");
    p.expect("The Boat Shed").unwrap();
    p.expect("Take the key").unwrap();
    // By key.
    say(&mut p, "back");
    p.expect("Wade out across the flats").unwrap();
    // By tab completion: `wa` completes to `wade`.
    ready(&mut p);
    p.send("wa\t").unwrap();
    p.send("\r").unwrap();
    p.expect("The Flats").unwrap();
    p.expect("Run for the rock").unwrap();
    // An unknown command changes nothing.
    say(&mut p, "xyzzy");
    p.expect("is not a choice or a command").unwrap();
    p.expect("Nothing changed.").unwrap();
    // Ctrl-C clears the line: the half-typed word is not taken.
    ready(&mut p);
    p.send("tur").unwrap();
    std::thread::sleep(Duration::from_millis(300));
    p.send(expectrl::ControlCode::EndOfText).unwrap();
    say(&mut p, "look");
    p.expect("The Flats").unwrap();
    // Ctrl-D leaves with exit code 0.
    ready(&mut p);
    p.send(expectrl::ControlCode::EndOfTransmission).unwrap();
    p.expect(expectrl::Eof).unwrap();
    let status = exit_status(&p);
    assert!(
        status.contains("Exited") && status.ends_with(", 0)"),
        "{status}"
    );
}

#[test]
fn prompt_save_quit_continue_undo_rewind_branch() {
    let saves = tempfile::tempdir().unwrap();
    let mut p = pty(&["--scenes", LIGHTHOUSE, "--seed", "1"], saves.path());
    p.expect("Go home").unwrap();
    say(&mut p, "shed");
    p.expect("The Boat Shed").unwrap();
    say(&mut p, "back");
    p.expect("Wade out").unwrap();
    say(&mut p, "save mine");
    p.expect("Saved to slot `mine`").unwrap();
    say(&mut p, "quit");
    p.expect(expectrl::Eof).unwrap();

    // --continue resumes the latest save, with its history.
    let mut p = pty(&["--scenes", LIGHTHOUSE, "--continue"], saves.path());
    p.expect("Wade out").unwrap();
    say(&mut p, "history");
    p.expect("1. The Shore: Search the boat shed [shed]")
        .unwrap();
    p.expect("2. The Boat Shed").unwrap();
    // Undo works after a load: the event log is in the save.
    say(&mut p, "undo 2");
    p.expect("Undid 2 steps: you are back at the start.")
        .unwrap();
    p.expect("Search the boat shed").unwrap();
    // A different choice here starts a second branch.
    say(&mut p, "leave");
    p.expect("THE END: Nobody Asks").unwrap();
    say(&mut p, "branches");
    p.expect("Branches (2)").unwrap();
    say(&mut p, "branch 1");
    p.expect("Jumped to the end of branch 1").unwrap();
    p.expect("Wade out").unwrap();
    say(&mut p, "rewind 1");
    p.expect("Rewound to step 1").unwrap();
    say(&mut p, "quit");
    p.expect(expectrl::Eof).unwrap();

    // An interactive start offers the autosave.
    let mut p = pty(&["--scenes", LIGHTHOUSE], saves.path());
    // The autosave followed the rewind: back at the start.
    p.expect("An autosave exists in slot `autosave`: “The Shore”, turn 0")
        .unwrap();
    p.send_line("y").unwrap();
    p.expect("Search the boat shed").unwrap();
    ready(&mut p);
    p.send(expectrl::ControlCode::EndOfTransmission).unwrap();
    p.expect(expectrl::Eof).unwrap();
}

/// Runs the binary with piped stdin and returns stdout.
fn piped(args: &[&str], input: &str, saves: &Path) -> (String, String, i32) {
    let out = assert_cmd::Command::new(cargo_bin("callister"))
        .current_dir(root())
        .args(args)
        .arg("--saves")
        .arg(saves)
        .env_remove("CALLISTER_SAVES")
        .env("NO_COLOR", "1")
        .write_stdin(input)
        .output()
        .expect("run callister");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

#[test]
fn piped_session_reads_like_a_transcript() {
    let saves = tempfile::tempdir().unwrap();
    let input = "shed\n1\nwade\nrun\nstatus\nfoo\nundo\nturn\nleave\n";
    let (stdout, stderr, code) = piped(
        &["--scenes", LIGHTHOUSE, "--seed", "4"],
        input,
        saves.path(),
    );
    assert_eq!(code, 0, "{stderr}");
    insta::assert_snapshot!("piped_lighthouse", stdout);
    // The ledger remembers the ending in a later session.
    let (stdout, _, _) = piped(
        &["--scenes", LIGHTHOUSE, "--seed", "4"],
        "endings\n",
        saves.path(),
    );
    assert!(stdout.contains("Endings found: 1/2"), "{stdout}");
    assert!(
        stdout.contains("Nobody Asks (bad) — first reached"),
        "{stdout}"
    );
    assert!(stdout.contains("??? (not yet found)"), "{stdout}");
}

/// A game begun with `--set` loads in the state it was saved in, and its
/// start keeps the presets (the steps are replayed from the preset state,
/// which the save records).
#[test]
fn a_game_begun_with_presets_loads_as_saved() {
    let saves = tempfile::tempdir().unwrap();
    let (stdout, stderr, code) = piped(
        &["--plain", "--seed", "7", "--set", "credits=500"],
        "1\n1\n1\nsave z\nquit\n",
        saves.path(),
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("Credits: 500,"), "{stdout}");
    let saved = std::fs::read_to_string(saves.path().join("z.ron")).unwrap();
    assert!(saved.contains("root: Snapshot("), "{saved}");
    for resume in [&["--slot", "z"][..], &["--continue"][..]] {
        let args = [&["--plain"][..], resume].concat();
        let (stdout, stderr, code) = piped(&args, "look\nundo 3\nquit\n", saves.path());
        assert_eq!(code, 0, "{stderr}");
        // Where it resumes, and at the start after `undo` (the autosave
        // that `--continue` takes is already back there).
        assert!(!stdout.contains("Credits: 60,"), "{stdout}");
        assert!(stdout.matches("Credits: 500,").count() >= 2, "{stdout}");
    }
    // Without presets, no `root` is written.
    let plain = tempfile::tempdir().unwrap();
    piped(
        &["--plain", "--seed", "7"],
        "1\nsave z\nquit\n",
        plain.path(),
    );
    let saved = std::fs::read_to_string(plain.path().join("z.ron")).unwrap();
    assert!(!saved.contains("root:"), "{saved}");
}

#[test]
fn piped_bad_input_changes_nothing() {
    let saves = tempfile::tempdir().unwrap();
    let mut input = Vec::new();
    input.extend_from_slice(&vec![b'x'; 1 << 20]);
    input.push(b'\n');
    input.extend_from_slice(b"a\0b\n");
    input.extend_from_slice(&[0xff, 0xfe, b'\n']);
    input.extend_from_slice(b"look\n");
    let out = assert_cmd::Command::new(cargo_bin("callister"))
        .current_dir(root())
        .args(["--scenes", LIGHTHOUSE, "--seed", "1", "--saves"])
        .arg(saves.path())
        .env("NO_COLOR", "1")
        .write_stdin(input)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout.contains("bytes long"), "{stdout}");
    assert!(stdout.contains("NUL byte"), "{stdout}");
    assert!(stdout.contains("not valid UTF-8"), "{stdout}");
    // Still at the start, unchanged.
    assert_eq!(stdout.matches("The tide has gone out").count(), 2);
    assert!(!saves.path().join("autosave.ron").exists());
}

#[test]
fn shipped_game_plays_from_any_directory() {
    let elsewhere = tempfile::tempdir().unwrap();
    let out = assert_cmd::Command::new(cargo_bin("callister"))
        .current_dir(elsewhere.path())
        .args(["--seed", "1", "--saves"])
        .arg(elsewhere.path().join("s"))
        .env("NO_COLOR", "1")
        .write_stdin("status\nquit\n")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("USS CALLISTER"), "{stdout}");
    assert!(stdout.contains("Credits"), "{stdout}");
}

#[test]
fn broken_story_exits_1_with_diagnostics() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("story.ron"),
        "Story(title: \"x\", start: \"a\")",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("a.ron"),
        "Chapter(title: \"A\", scenes: [(id: \"a\", title: \"A\", choices: [(key: \"go\", text: \"Go\", goto: \"b\")])])",
    )
    .unwrap();
    let out = assert_cmd::Command::new(cargo_bin("callister"))
        .args(["--scenes"])
        .arg(dir.path())
        .env("NO_COLOR", "1")
        .write_stdin("")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("error[E011]: unknown scene `b`"),
        "{stderr}"
    );
    assert!(stderr.contains("a.ron:1:"), "{stderr}");
}

#[test]
fn check_json_and_deny_warnings() {
    let out = assert_cmd::Command::new(cargo_bin("callister"))
        .current_dir(root())
        .args([
            "check",
            "tests/fixtures/lint_unused_flag",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let first: serde_json::Value = serde_json::from_str(stdout.lines().next().unwrap()).unwrap();
    assert_eq!(first["code"], "W003");
    assert_eq!(first["severity"], "warning");
    assert_eq!(first["line"], 1);
    let out = assert_cmd::Command::new(cargo_bin("callister"))
        .current_dir(root())
        .args([
            "check",
            "tests/fixtures/lint_unused_flag",
            "--deny",
            "warnings",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn saves_command_lists_slots() {
    let saves = tempfile::tempdir().unwrap();
    let (_, _, code) = piped(
        &["--scenes", LIGHTHOUSE, "--seed", "1"],
        "shed\nsave first\nquit\n",
        saves.path(),
    );
    assert_eq!(code, 0);
    let out = assert_cmd::Command::new(cargo_bin("callister"))
        .current_dir(root())
        .args(["saves", "--scenes", LIGHTHOUSE, "--saves"])
        .arg(saves.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("first"), "{stdout}");
    assert!(stdout.contains("autosave"), "{stdout}");
    assert!(stdout.contains("The Boat Shed"), "{stdout}");
}

#[test]
fn hostile_slot_names_are_refused() {
    let saves = tempfile::tempdir().unwrap();
    let input = "save ../escape\nsave /etc/passwd\nsave con\nload ..\ndelete a/b\nquit\n";
    let (stdout, _, code) = piped(
        &["--scenes", LIGHTHOUSE, "--seed", "1"],
        input,
        saves.path(),
    );
    assert_eq!(code, 0);
    assert_eq!(stdout.matches("is not a slot name").count(), 4, "{stdout}");
    assert!(stdout.contains("`con` is a reserved name"), "{stdout}");
    assert!(!saves.path().parent().unwrap().join("escape.ron").exists());
}

#[test]
fn unwritable_saves_directory_keeps_the_game_going() {
    // A saves "directory" that is a file: every write fails.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, "occupied").unwrap();
    let (stdout, _, code) = piped(
        &["--scenes", LIGHTHOUSE, "--seed", "1"],
        "shed\nsave\nback\n",
        &file,
    );
    assert_eq!(code, 0);
    assert!(stdout.contains("Autosave failed"), "{stdout}");
    assert!(stdout.contains("Not saved"), "{stdout}");
    // The game went on.
    assert!(stdout.contains("The Boat Shed"));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "occupied");
}

#[test]
fn transcript_on_and_off() {
    let saves = tempfile::tempdir().unwrap();
    let file = saves.path().join("t.txt");
    let input = format!(
        "transcript on {}\nshed\ntranscript off\nback\n",
        file.display()
    );
    let (stdout, _, code) = piped(
        &["--scenes", LIGHTHOUSE, "--seed", "1"],
        &input,
        saves.path(),
    );
    assert_eq!(code, 0);
    assert!(stdout.contains("Transcript on"), "{stdout}");
    let text = std::fs::read_to_string(&file).unwrap();
    // What was shown and typed while it was on, and nothing after.
    assert!(text.contains("> shed"), "{text}");
    assert!(text.contains("The Boat Shed"), "{text}");
    assert!(text.contains("> transcript off"), "{text}");
    assert!(!text.contains("> back"), "{text}");
}

// Terminals of every kind: dumb, narrow, without colour; Ctrl-C and Ctrl-D at
// every prompt the game has (the line editor's, the plain one of a dumb
// terminal, and the question that offers to continue the autosave).

/// The lighthouse at seed 1 in a pseudo-terminal of 80 columns, without
/// colour: what most of the prompt tests play.
fn pty_lighthouse(saves: &Path) -> Session {
    pty_env(
        &["--scenes", LIGHTHOUSE, "--seed", "1"],
        saves,
        &[("NO_COLOR", "1")],
        None,
    )
}

/// Starts `callister` in a pseudo-terminal with the given environment (over
/// `TERM=xterm` and colour allowed) and, when given, a width: set on the
/// terminal once it is spawned (which resets it to 80 columns), the game
/// starting only when it sees it.
fn pty_env(args: &[&str], saves: &Path, env: &[(&str, &str)], columns: Option<u16>) -> Session {
    let wait = columns.map_or_else(String::new, |c| {
        format!("until [ \"$(stty size)\" = \"24 {c}\" ]; do sleep 0.05; done; ")
    });
    let mut cmd = Command::new("sh");
    cmd.current_dir(root())
        .arg("-c")
        .arg(format!("{wait}exec \"$0\" \"$@\""))
        .arg(cargo_bin("callister"))
        .args(args)
        .arg("--saves")
        .arg(saves)
        .env_remove("CALLISTER_SAVES")
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR")
        .env_remove("CLICOLOR_FORCE")
        .env("TERM", "xterm");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut session = expectrl::Session::spawn(cmd).expect("spawn callister in a pty");
    if let Some(c) = columns {
        session
            .get_process_mut()
            .set_window_size(c, 24)
            .expect("set the terminal's size");
    }
    session.set_expect_timeout(Some(Duration::from_secs(20)));
    session
}

/// Everything shown up to the next prompt.
fn until_prompt(p: &mut Session) -> String {
    let found = p.expect("> ").unwrap();
    String::from_utf8_lossy(found.before()).into_owned()
}

/// Whether text holds an ANSI colour or style (SGR) sequence.
fn has_sgr(text: &str) -> bool {
    text.match_indices("\x1b[").any(|(i, _)| {
        text[i + 2..]
            .chars()
            .find(|c| !(c.is_ascii_digit() || *c == ';'))
            == Some('m')
    })
}

/// Writes an autosave by playing one step, so the next start asks.
fn with_autosave(saves: &Path) {
    let (_, _, code) = piped(&["--scenes", LIGHTHOUSE, "--seed", "1"], "shed\n", saves);
    assert_eq!(code, 0);
    assert!(saves.join("autosave.ron").exists());
}

#[test]
fn no_color_means_no_colour_at_the_prompt() {
    let saves = tempfile::tempdir().unwrap();
    let mut shown = String::new();
    let mut p = pty_lighthouse(saves.path());
    shown.push_str(&until_prompt(&mut p));
    std::thread::sleep(Duration::from_millis(100));
    for line in ["shed", "status", "back", "xyzzy", "endings"] {
        p.send_line(line).unwrap();
        shown.push_str(&until_prompt(&mut p));
        std::thread::sleep(Duration::from_millis(100));
    }
    p.send(expectrl::ControlCode::EndOfTransmission).unwrap();
    p.expect(expectrl::Eof).unwrap();
    assert!(shown.contains("The Boat Shed"), "{shown}");
    assert!(
        !has_sgr(&shown),
        "a colour sequence with NO_COLOR:\n{shown:?}"
    );

    // The same session in colour does colour: the check above can fail.
    let saves = tempfile::tempdir().unwrap();
    let mut p = pty_env(
        &["--scenes", LIGHTHOUSE, "--seed", "1"],
        saves.path(),
        &[],
        None,
    );
    let coloured = until_prompt(&mut p);
    assert!(has_sgr(&coloured), "{coloured:?}");
    std::thread::sleep(Duration::from_millis(100));
    p.send(expectrl::ControlCode::EndOfTransmission).unwrap();
    p.expect(expectrl::Eof).unwrap();
}

#[test]
fn a_narrow_terminal_wraps_prose_and_plays() {
    for columns in [12, 1] {
        let saves = tempfile::tempdir().unwrap();
        let mut p = pty_env(
            &["--scenes", LIGHTHOUSE, "--seed", "1"],
            saves.path(),
            &[("NO_COLOR", "1")],
            Some(columns),
        );
        until_prompt(&mut p);
        std::thread::sleep(Duration::from_millis(100));
        p.send_line("shed").unwrap();
        p.expect("The Boat Shed").unwrap();
        let shown = until_prompt(&mut p);
        // The prose is wrapped at the narrowest width the game uses (20
        // columns; the terminal folds it further), every word of it kept.
        let prose: Vec<&str> = shown
            .lines()
            .map(|l| l.trim_end_matches('\r'))
            .take_while(|l| !l.contains("1."))
            .filter(|l| !l.is_empty() && !l.contains("Lamp oil"))
            .collect();
        assert!(prose.len() > 4, "{columns} columns: {shown:?}");
        for line in &prose {
            assert!(line.chars().count() <= 20, "{columns} columns: {line:?}");
        }
        let words = prose.join(" ");
        assert!(words.contains("Nets, a smell of tar"), "{words}");
        // It plays on: by key, by number, and Ctrl-D leaves.
        std::thread::sleep(Duration::from_millis(100));
        p.send_line("1").unwrap();
        p.expect("The Shore").unwrap();
        ready(&mut p);
        p.send(expectrl::ControlCode::EndOfTransmission).unwrap();
        p.expect(expectrl::Eof).unwrap();
        let status = exit_status(&p);
        assert!(status.ends_with(", 0)"), "{columns} columns: {status}");
    }
}

/// `TERM=dumb`: no line editing, the prompt reads plain lines. Ctrl-D
/// leaves cleanly; Ctrl-C interrupts the program as in any plain terminal
/// program, and the autosave of the last step is whole.
#[test]
fn a_dumb_terminal_reads_plain_lines() {
    let saves = tempfile::tempdir().unwrap();
    let dumb = [("TERM", "dumb"), ("NO_COLOR", "1")];
    let args = ["--scenes", LIGHTHOUSE, "--seed", "1"];
    let mut p = pty_env(&args, saves.path(), &dumb, None);
    let intro = until_prompt(&mut p);
    assert!(intro.contains("Go home"), "{intro}");
    p.send_line("shed").unwrap();
    let shown = until_prompt(&mut p);
    assert!(shown.contains("The Boat Shed"), "{shown}");
    // No line editor: nothing but text and line ends on the way.
    assert!(!shown.contains('\x1b'), "{shown:?}");
    p.send(expectrl::ControlCode::EndOfTransmission).unwrap();
    p.expect(expectrl::Eof).unwrap();
    let status = exit_status(&p);
    assert!(status.ends_with(", 0)"), "{status}");

    let mut p = pty_env(&args, saves.path(), &dumb, None);
    // The autosave is offered: `n` starts anew.
    p.expect("Continue it? [Y/n]").unwrap();
    p.send_line("n").unwrap();
    until_prompt(&mut p);
    p.send_line("wade").unwrap();
    p.expect("The Flats").unwrap();
    until_prompt(&mut p);
    p.send(expectrl::ControlCode::EndOfText).unwrap();
    p.expect(expectrl::Eof).unwrap();
    let status = exit_status(&p);
    assert!(status.contains("SIGINT"), "{status}");
    let save = callister::play::save::read_save(&saves.path().join("autosave.ron")).unwrap();
    assert_eq!(save.snapshot.scene, "flats");
}

/// The question at start: Ctrl-D takes the default (continue); Ctrl-C
/// interrupts before anything was written.
#[test]
fn ctrl_c_and_ctrl_d_at_the_continue_question() {
    let saves = tempfile::tempdir().unwrap();
    with_autosave(saves.path());
    let autosave = std::fs::read(saves.path().join("autosave.ron")).unwrap();
    let args = ["--scenes", LIGHTHOUSE];

    let mut p = pty_env(&args, saves.path(), &[("NO_COLOR", "1")], None);
    p.expect("Continue it? [Y/n]").unwrap();
    std::thread::sleep(Duration::from_millis(100));
    p.send(expectrl::ControlCode::EndOfTransmission).unwrap();
    // Continued: in the boat shed, at the line editor's prompt.
    p.expect("Take the key").unwrap();
    ready(&mut p);
    p.send_line("look").unwrap();
    p.expect("The Boat Shed").unwrap();
    ready(&mut p);
    p.send(expectrl::ControlCode::EndOfTransmission).unwrap();
    p.expect(expectrl::Eof).unwrap();
    assert!(exit_status(&p).ends_with(", 0)"));

    let mut p = pty_env(&args, saves.path(), &[("NO_COLOR", "1")], None);
    p.expect("Continue it? [Y/n]").unwrap();
    std::thread::sleep(Duration::from_millis(100));
    p.send(expectrl::ControlCode::EndOfText).unwrap();
    p.expect(expectrl::Eof).unwrap();
    let status = exit_status(&p);
    assert!(status.contains("SIGINT"), "{status}");
    // Nothing was written: the autosave is as it was.
    let now = std::fs::read(saves.path().join("autosave.ron")).unwrap();
    assert_eq!(now, autosave);
}

/// At the line editor's prompt, with half a line typed: Ctrl-D deletes
/// (nothing, at the end of the line) and does not leave; Ctrl-C drops the
/// line and the prompt goes on; on an empty line Ctrl-D leaves, autosaved.
#[test]
fn ctrl_c_and_ctrl_d_with_text_typed() {
    let saves = tempfile::tempdir().unwrap();
    let mut p = pty_lighthouse(saves.path());
    ready(&mut p);
    p.send("sh").unwrap();
    std::thread::sleep(Duration::from_millis(200));
    p.send(expectrl::ControlCode::EndOfTransmission).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    p.send("ed\r").unwrap();
    p.expect("The Boat Shed").unwrap();
    ready(&mut p);
    p.send("back").unwrap();
    std::thread::sleep(Duration::from_millis(200));
    p.send(expectrl::ControlCode::EndOfText).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    p.send("look\r").unwrap();
    p.expect("The Boat Shed").unwrap();
    ready(&mut p);
    p.send(expectrl::ControlCode::EndOfTransmission).unwrap();
    p.expect(expectrl::Eof).unwrap();
    assert!(exit_status(&p).ends_with(", 0)"));
    let save = callister::play::save::read_save(&saves.path().join("autosave.ron")).unwrap();
    assert_eq!(save.snapshot.scene, "shed");
}

/// Hostile input typed or pasted at the line editor's prompt: bytes that are
/// not UTF-8 drop the line being typed (they used to end the game with exit
/// code 1), a NUL is a control key the editor ignores, and a pasted megabyte
/// is refused as too long. Nothing changes; the game goes on.
#[test]
fn hostile_input_at_the_line_editor() {
    let saves = tempfile::tempdir().unwrap();
    let mut p = pty_lighthouse(saves.path());
    ready(&mut p);
    p.send(&[b's', 0xff, 0xfe, b'\r'][..]).unwrap();
    p.expect("not valid UTF-8; the line was dropped").unwrap();
    ready(&mut p);
    p.send(&b"a\0b\r"[..]).unwrap();
    p.expect("`ab` is not a choice").unwrap();
    // A paste, as a terminal sends it (bracketed), of a megabyte.
    ready(&mut p);
    p.send("\x1b[200~").unwrap();
    p.send(&vec![b'y'; 1 << 20][..]).unwrap();
    p.send("\x1b[201~\r").unwrap();
    p.expect("That line is 1048576 bytes long").unwrap();
    p.expect("Nothing changed.").unwrap();
    say(&mut p, "look");
    p.expect("The tide has gone out").unwrap();
    ready(&mut p);
    p.send(expectrl::ControlCode::EndOfTransmission).unwrap();
    p.expect(expectrl::Eof).unwrap();
    assert!(exit_status(&p).ends_with(", 0)"));
    // No step was taken, so nothing was autosaved.
    assert!(!saves.path().join("autosave.ron").exists());
}

// The command line itself: where saves go, options before a command, the
// authoring tools outside the repository, machine output, exit codes,
// colour, completions and the man page.

/// `callister ARGS` with the environment cleared of what picks the saves
/// directory and colour, then `env` set; run in `dir`, stdin `input`.
/// Without `HOME` (unless `env` sets it), a command that would fall back to
/// the data directory fails rather than write in the developer's home.
/// Returns (stdout, stderr, exit code).
fn run_in(dir: &Path, args: &[&str], env: &[(&str, &Path)], input: &str) -> (String, String, i32) {
    let mut cmd = assert_cmd::Command::new(cargo_bin("callister"));
    cmd.current_dir(dir)
        .args(args)
        .env_remove("CALLISTER_SAVES")
        .env_remove("HOME")
        .env_remove("XDG_DATA_HOME")
        .env_remove("CLICOLOR_FORCE")
        .env("NO_COLOR", "1");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.write_stdin(input).output().expect("run callister");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

fn lighthouse_dir() -> String {
    root().join(LIGHTHOUSE).display().to_string()
}

#[test]
fn saves_go_to_the_flag_else_the_variable_else_the_data_directory() {
    let work = tempfile::tempdir().unwrap();
    let flag = work.path().join("flag");
    let var = work.path().join("var");
    let home = work.path().join("home");
    let scenes = lighthouse_dir();
    let saves_of = |args: &[&str], env: &[(&str, &Path)]| {
        let mut all = vec!["saves", "--scenes", &scenes];
        all.extend_from_slice(args);
        let (stdout, stderr, code) = run_in(work.path(), &all, env, "");
        assert_eq!(code, 0, "{stderr}");
        stdout
    };
    let flag_arg = flag.display().to_string();
    // `--saves` wins over the variable.
    let shown = saves_of(
        &["--saves", &flag_arg],
        &[("CALLISTER_SAVES", &var), ("HOME", &home)],
    );
    assert_eq!(shown, format!("No saves in `{}`.\n", flag.display()));
    // The variable wins over the data directory.
    let shown = saves_of(&[], &[("CALLISTER_SAVES", &var), ("HOME", &home)]);
    assert_eq!(shown, format!("No saves in `{}`.\n", var.display()));
    // Then the platform's data directory.
    if cfg!(target_os = "linux") {
        let shown = saves_of(&[], &[("HOME", &home)]);
        let expected = home.join(".local/share/callister/saves");
        assert_eq!(shown, format!("No saves in `{}`.\n", expected.display()));
        let data = work.path().join("data");
        let shown = saves_of(&[], &[("HOME", &home), ("XDG_DATA_HOME", &data)]);
        let expected = data.join("callister/saves");
        assert_eq!(shown, format!("No saves in `{}`.\n", expected.display()));
    }
}

/// Any folder named `saves` used to catch the saves of a game started in
/// its parent; now only `--saves`, `CALLISTER_SAVES` and the data directory
/// count (the repository's own `saves/` is named by `.cargo/config.toml`).
#[test]
fn a_saves_folder_in_the_current_directory_is_not_used() {
    let work = tempfile::tempdir().unwrap();
    let home = work.path().join("home");
    let local = work.path().join("saves");
    std::fs::create_dir_all(&local).unwrap();
    let (_, stderr, code) = run_in(
        work.path(),
        &["--scenes", &lighthouse_dir(), "--seed", "1"],
        &[("HOME", &home)],
        "shed\nsave here\nquit\n",
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(std::fs::read_dir(&local).unwrap().count(), 0);
    let data = if cfg!(target_os = "linux") {
        home.join(".local/share/callister/saves")
    } else {
        return;
    };
    assert!(data.join("here.ron").is_file());
    assert!(data.join("autosave.ron").is_file());
}

#[test]
fn without_a_home_directory_saves_are_an_error_not_a_guess() {
    let work = tempfile::tempdir().unwrap();
    for args in [vec!["saves"], vec!["--seed", "1"], vec!["play"]] {
        let mut cmd = assert_cmd::Command::new(cargo_bin("callister"));
        let out = cmd
            .current_dir(work.path())
            .args(&args)
            .env_remove("CALLISTER_SAVES")
            .env_remove("HOME")
            .env_remove("XDG_DATA_HOME")
            .write_stdin("1\n")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains("there is no home directory to keep saves in")
                && stderr.contains("--saves DIR"),
            "{args:?}: {stderr}"
        );
        assert!(out.stdout.is_empty(), "{args:?}: the game started");
    }
    // Nothing was written where the game was started.
    assert_eq!(std::fs::read_dir(work.path()).unwrap().count(), 0);
}

#[test]
fn play_options_before_the_command_mean_the_same_as_after() {
    let work = tempfile::tempdir().unwrap();
    let scenes = lighthouse_dir();
    let input = "wade\nrun\nstatus\nquit\n";
    let play = |args: &[&str], saves: &str| {
        let saves = work.path().join(saves);
        let saves = saves.display().to_string();
        let args: Vec<&str> = args
            .iter()
            .map(|a| if *a == "SAVES" { saves.as_str() } else { a })
            .collect();
        let (stdout, stderr, code) = run_in(work.path(), &args, &[], input);
        assert_eq!(code, 0, "{args:?}: {stderr}");
        assert!(
            work.path().join(&saves).join("autosave.ron").is_file(),
            "{args:?}: the saves went elsewhere"
        );
        stdout
    };
    let after = play(
        &[
            "play", "--scenes", &scenes, "--seed", "5", "--saves", "SAVES",
        ],
        "a",
    );
    let before = play(
        &[
            "--scenes", &scenes, "--seed", "5", "--saves", "SAVES", "play",
        ],
        "b",
    );
    let none = play(
        &["--scenes", &scenes, "--seed", "5", "--saves", "SAVES"],
        "c",
    );
    let mixed = play(
        &[
            "--seed", "5", "play", "--scenes", &scenes, "--saves", "SAVES",
        ],
        "d",
    );
    assert_eq!(before, after);
    assert_eq!(none, after);
    assert_eq!(mixed, after);
    // The seed is honoured: another seed rolls the check differently.
    let other = (0..20)
        .map(|seed| {
            play(
                &[
                    "--seed",
                    &seed.to_string(),
                    "--scenes",
                    &scenes,
                    "--saves",
                    "SAVES",
                    "play",
                ],
                "e",
            )
        })
        .any(|out| out != after);
    assert!(other, "no seed changes the game: the seed is not read");

    // `saves` takes `--saves` and `--scenes` before it too.
    let saves = work.path().join("a").display().to_string();
    let (stdout, _, code) = run_in(
        work.path(),
        &["--saves", &saves, "--scenes", &scenes, "saves"],
        &[],
        "",
    );
    assert_eq!(code, 0);
    assert!(stdout.contains(&format!("Saves in `{saves}`")), "{stdout}");
    assert!(stdout.contains("autosave"), "{stdout}");
}

#[test]
fn options_before_a_command_that_does_not_take_them_are_refused() {
    let work = tempfile::tempdir().unwrap();
    let cases: &[(&[&str], &str)] = &[
        (
            &["--seed", "5", "check"],
            "`--seed` is an option of `play`; `check` does not take it",
        ),
        (
            &["--saves", "x", "stats"],
            "`--saves` is an option of `play`; `stats` does not take it",
        ),
        (
            &["--seed", "5", "explore"],
            "`--seed` before `explore` is a play option; for `explore`'s own, put it after",
        ),
        (
            &["--slot", "a", "saves"],
            "`--slot` is an option of `play`; `saves` does not take it",
        ),
        (
            &["--seed", "1", "play", "--seed", "2"],
            "`--seed` is given both before and after `play`",
        ),
        (
            &["--saves", "x", "saves", "--saves", "y"],
            "`--saves` is given both before and after `saves`",
        ),
        (
            &["--continue", "play", "--slot", "a"],
            "`--continue` and `--slot` cannot be used together",
        ),
    ];
    for (args, message) in cases {
        let (stdout, stderr, code) = run_in(work.path(), args, &[], "");
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(stderr.contains(message), "{args:?}: {stderr}");
        assert!(stdout.is_empty(), "{args:?}: {stdout}");
    }
    assert_eq!(std::fs::read_dir(work.path()).unwrap().count(), 0);
}

#[test]
fn authoring_tools_outside_the_repository_use_the_shipped_story() {
    let elsewhere = tempfile::tempdir().unwrap();
    let shipped = "using the shipped story";
    let (stdout, stderr, code) = run_in(elsewhere.path(), &["check"], &[], "");
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains(shipped), "{stderr}");
    assert!(
        stdout.starts_with("the shipped story: ") && stdout.ends_with(": no problems found\n"),
        "{stdout}"
    );
    let (stdout, stderr, code) = run_in(elsewhere.path(), &["stats"], &[], "");
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains(shipped), "{stderr}");
    assert!(stdout.starts_with("USS Callister"), "{stdout}");
    let (stdout, stderr, code) = run_in(elsewhere.path(), &["graph"], &[], "");
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains(shipped), "{stderr}");
    assert!(stdout.starts_with("digraph"), "{stdout}");
    // Cut off after 50 states: problems found, but the story was read.
    let (stdout, stderr, code) = run_in(
        elsewhere.path(),
        &["explore", "--max-states", "50"],
        &[],
        "",
    );
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains(shipped), "{stderr}");
    assert!(stdout.contains("cut off at --max-states"), "{stdout}");
    // In the repository, `./scenes` is read, and nothing is said.
    let (stdout, stderr, code) = run_in(&root(), &["check"], &[], "");
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains(shipped), "{stderr}");
    assert!(stdout.starts_with("scenes: "), "{stdout}");
}

#[test]
fn machine_output_is_format_json_everywhere() {
    let work = tempfile::tempdir().unwrap();
    let json = |args: &[&str]| -> serde_json::Value {
        let (stdout, stderr, code) = run_in(&root(), args, &[], "");
        assert_eq!(code, 0, "{args:?}: {stderr}");
        serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{args:?}: {e}: {stdout}"))
    };
    let stats = json(&["stats", LIGHTHOUSE, "--format", "json"]);
    assert_eq!(stats["title"], "The Lighthouse");
    assert_eq!(stats["total"]["endings"], 2);
    assert_eq!(stats["chapters"][0]["title"], "The Shore");
    assert!(stats["consequences"]["open"].is_array(), "{stats}");
    let explored = json(&["explore", LIGHTHOUSE, "--format", "json"]);
    assert_eq!(explored["complete"], true);
    // The old spelling still works, and says the same.
    let old = json(&["explore", LIGHTHOUSE, "--json"]);
    assert_eq!(old["states"], explored["states"]);
    let (_, stderr, code) = run_in(
        &root(),
        &["explore", LIGHTHOUSE, "--json", "--format", "human"],
        &[],
        "",
    );
    assert_eq!(code, 2, "{stderr}");
    // `saves`.
    let saves = work.path().join("s");
    let saves_arg = saves.display().to_string();
    let (_, _, code) = run_in(
        &root(),
        &["--scenes", LIGHTHOUSE, "--seed", "1", "--saves", &saves_arg],
        &[],
        "shed\nsave mine\n",
    );
    assert_eq!(code, 0);
    std::fs::write(saves.join("broken.ron"), "Save(").unwrap();
    let listed = json(&["saves", "--saves", &saves_arg, "--format", "json"]);
    assert_eq!(listed["dir"], saves_arg);
    let slots: Vec<&str> = listed["saves"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["slot"].as_str().unwrap())
        .collect();
    assert!(
        slots.contains(&"mine") && slots.contains(&"autosave"),
        "{listed}"
    );
    assert_eq!(listed["saves"][0]["scene"], "shed");
    assert_eq!(listed["unreadable"][0]["slot"], "broken");
}

#[test]
fn exit_codes_are_0_1_and_2() {
    let work = tempfile::tempdir().unwrap();
    let saves = work.path().display().to_string();
    let code = |args: &[&str]| run_in(&root(), args, &[], "").2;
    // 0: done, nothing wrong.
    assert_eq!(code(&["check", LIGHTHOUSE]), 0);
    assert_eq!(code(&["completions", "fish"]), 0);
    // 1: problems found.
    assert_eq!(
        code(&["check", "tests/fixtures/diagnostics/e011_unknown_scene"]),
        1
    );
    assert_eq!(
        code(&[
            "check",
            "tests/fixtures/lint_unused_flag",
            "--deny",
            "warnings"
        ]),
        1
    );
    assert_eq!(
        code(&["stats", "tests/fixtures/diagnostics/e011_unknown_scene"]),
        1
    );
    // 2: bad usage or input.
    assert_eq!(code(&["--no-such-option"]), 2);
    assert_eq!(code(&["check", "--format", "yaml"]), 2);
    assert_eq!(code(&["completions", "tcsh"]), 2);
    assert_eq!(code(&["man", "nope"]), 2);
    assert_eq!(code(&["replay", "no-such.plan.ron"]), 2);
    assert_eq!(code(&["replay", "Cargo.toml"]), 2);
    assert_eq!(
        code(&[
            "play", "--scenes", LIGHTHOUSE, "--from", "nowhere", "--saves", &saves
        ]),
        2
    );
    assert_eq!(code(&["explore", LIGHTHOUSE, "--from", "nowhere"]), 2);
    assert_eq!(
        code(&[
            "--scenes", LIGHTHOUSE, "--slot", "missing", "--saves", &saves
        ]),
        2
    );
    assert_eq!(
        code(&[
            "--scenes", LIGHTHOUSE, "--set", "nobody=3", "--saves", &saves
        ]),
        2
    );
    // `--help` says so.
    let (help, _, _) = run_in(&root(), &["--help"], &[], "");
    assert!(
        help.contains("Exit status: 0 success; 1 problems found"),
        "{help}"
    );
}

#[test]
fn color_always_and_never_override_the_terminal_and_no_color() {
    let broken = "tests/fixtures/diagnostics/e011_unknown_scene";
    let (_, stderr, code) = run_in(&root(), &["check", broken, "--color", "always"], &[], "");
    assert_eq!(code, 1);
    assert!(has_sgr(&stderr), "{stderr:?}");
    let (_, stderr, _) = run_in(&root(), &["--color=always", "check", broken], &[], "");
    assert!(has_sgr(&stderr), "{stderr:?}");
    let (_, stderr, _) = run_in(&root(), &["check", broken, "--color", "never"], &[], "");
    assert!(!has_sgr(&stderr), "{stderr:?}");
    // The game, piped, in colour when asked.
    let saves = tempfile::tempdir().unwrap();
    let saves = saves.path().display().to_string();
    let args = ["--scenes", LIGHTHOUSE, "--seed", "1", "--saves", &saves];
    let (stdout, _, _) = run_in(
        &root(),
        &[&args[..], &["--color", "always"]].concat(),
        &[],
        "look\n",
    );
    assert!(has_sgr(&stdout), "{stdout:?}");
    let (stdout, _, _) = run_in(&root(), &args, &[], "look\n");
    assert!(!has_sgr(&stdout), "{stdout:?}");
    // And clap's own help.
    let (help, _, _) = run_in(&root(), &["--help", "--color", "always"], &[], "");
    assert!(has_sgr(&help), "{help:?}");
    let (help, _, _) = run_in(&root(), &["--help"], &[], "");
    assert!(!has_sgr(&help), "{help:?}");
}

/// The commands `--help` lists (clap's `help` aside).
fn commands() -> Vec<String> {
    let (help, _, _) = run_in(&root(), &["--help"], &[], "");
    let listed = help
        .split("Commands:\n")
        .nth(1)
        .and_then(|rest| rest.split("\n\n").next())
        .expect("a list of commands in --help");
    let names: Vec<String> = listed
        .lines()
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|n| *n != "help")
        .map(str::to_string)
        .collect();
    assert!(names.len() >= 9, "{names:?}");
    names
}

#[test]
fn completions_and_the_man_page_hold_every_command() {
    let commands = commands();
    let (bash, _, code) = run_in(&root(), &["completions", "bash"], &[], "");
    assert_eq!(code, 0);
    assert!(bash.contains("complete -F _callister"), "{bash}");
    for shell in ["zsh", "fish", "elvish", "powershell"] {
        let (script, _, code) = run_in(&root(), &["completions", shell], &[], "");
        assert_eq!(code, 0, "{shell}");
        assert!(script.contains("explore"), "{shell}: {script}");
    }
    let (man, _, code) = run_in(&root(), &["man"], &[], "");
    assert_eq!(code, 0);
    assert!(man.contains(".TH callister 1"), "{man}");
    assert!(man.contains("Exit status: 0 success"), "{man}");
    for command in &commands {
        assert!(
            bash.contains(&format!("callister,{command})")),
            "bash lacks {command}"
        );
        assert!(
            man.contains(&format!("callister\\-{command}(1)")),
            "the man page lacks {command}"
        );
        let (page, _, code) = run_in(&root(), &["man", command], &[], "");
        assert_eq!(code, 0, "{command}");
        assert!(
            page.contains(&format!(".TH callister-{command} 1")),
            "{page}"
        );
    }
    // The hidden `synth` is in neither.
    assert!(!commands.contains(&"synth".to_string()));
    assert!(!man.contains("synth"));
}

#[test]
fn the_saves_table_shows_local_time() {
    use callister::play::save::{SaveDir, SaveFile};
    let story = callister::story::compile::load_dir(&root().join(LIGHTHOUSE)).unwrap();
    let tree = callister::engine::history::Tree::new(callister::engine::State::new(&story, 1));
    // 2026-11-24 06:12 UTC.
    let save = SaveFile::capture(&story, &tree, story.start, 1_795_500_720, 0);
    let saves = tempfile::tempdir().unwrap();
    let dir = SaveDir {
        dir: saves.path().to_path_buf(),
    };
    dir.write("mine", &save).unwrap();
    let table = |tz: &str| {
        let out = assert_cmd::Command::new(cargo_bin("callister"))
            .current_dir(root())
            .args(["saves", "--scenes", LIGHTHOUSE, "--saves"])
            .arg(saves.path())
            .env("TZ", tz)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let utc = table("UTC0");
    assert!(utc.contains("saved"), "{utc}");
    assert!(
        utc.contains("mine  The Shore     0  2026-11-24 06:12"),
        "{utc}"
    );
    // Nine hours east, as a POSIX TZ says it.
    let east = table("JST-9");
    assert!(east.contains("2026-11-24 15:12"), "{east}");
    // The file keeps Unix seconds, whatever the zone.
    let text = std::fs::read_to_string(saves.path().join("mine.ron")).unwrap();
    assert!(text.contains("saved_at: 1795500720"), "{text}");
}
