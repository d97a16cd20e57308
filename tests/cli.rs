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
    p.expect("Undid 2 steps.").unwrap();
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
