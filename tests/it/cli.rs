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
    p.expect("An autosave exists: “The Shore”, turn 0").unwrap();
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
    assert_eq!(stdout.matches("is not a slot name").count(), 5, "{stdout}");
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
