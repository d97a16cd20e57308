//! The live authoring loop: `play --watch` reloads the story when a file
//! changes (the game kept, a broken version shown and the old one kept),
//! and `check --watch` checks again.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc::channel;
use std::time::Duration;

use assert_cmd::cargo::cargo_bin;
use expectrl::Expect;

fn lighthouse() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/lighthouse");
    for f in ["story.ron", "shore.ron"] {
        std::fs::copy(src.join(f), dir.path().join(f)).expect("copied");
    }
    dir
}

fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).expect("the file");
    assert!(text.contains(from), "no `{from}` in {}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).expect("the edit");
}

#[test]
fn play_watch_reloads_and_keeps_the_game() {
    let dir = lighthouse();
    let saves = tempfile::tempdir().expect("a saves directory");
    let mut cmd = Command::new(cargo_bin("callister"));
    cmd.args(["play", "--watch", "--seed", "1", "--scenes"])
        .arg(dir.path())
        .arg("--saves")
        .arg(saves.path())
        .env("NO_COLOR", "1")
        .env("TERM", "xterm")
        .env_remove("CALLISTER_SAVES");
    let mut p = expectrl::Session::spawn(cmd).expect("callister in a pty");
    p.set_expect_timeout(Some(Duration::from_secs(30)));
    p.expect("> ").expect("the prompt");
    std::thread::sleep(Duration::from_millis(200));
    p.send_line("shed").expect("typed");
    p.expect("The Boat Shed").expect("the shed");
    p.expect("> ").expect("the prompt");
    let shore = dir.path().join("shore.ron");
    // A broken edit is shown at once, and the old version plays on.
    edit(&shore, "goto: \"flats\"", "goto: \"flatz\"");
    p.expect("unknown scene `flatz`").expect("the diagnostic");
    p.expect("The old version plays on.")
        .expect("the old version");
    // Fixed, with new text: loaded at the next line, in the same game.
    edit(&shore, "goto: \"flatz\"", "goto: \"flats\"");
    edit(&shore, "Nets, a smell of tar", "Nets, a smell of creosote");
    p.expect("press Enter to play the new version")
        .expect("the news");
    p.send_line("").expect("Enter");
    p.expect("Reloaded").expect("reloaded");
    p.expect("a smell of creosote").expect("the new text");
    p.send_line("undo").expect("typed");
    p.expect("The tide has gone out")
        .expect("the history survived");
    p.send_line("quit").expect("typed");
}

#[test]
fn play_watch_needs_a_story_directory() {
    let out = Command::new(cargo_bin("callister"))
        .args(["play", "--watch"])
        .stdin(Stdio::null())
        .output()
        .expect("callister runs");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("`--watch` reloads a story directory"), "{err}");
}

#[test]
fn check_watch_checks_again() {
    let dir = lighthouse();
    let mut child = Command::new(cargo_bin("callister"))
        .args(["check", "--watch"])
        .arg(dir.path())
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("callister runs");
    let (sender, lines) = channel();
    for stream in [
        Box::new(child.stdout.take().expect("stdout")) as Box<dyn std::io::Read + Send>,
        Box::new(child.stderr.take().expect("stderr")),
    ] {
        let sender = sender.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                let _ = sender.send(line);
            }
        });
    }
    // stdout and stderr arrive on one channel in either order: a line is
    // looked for among those not yet matched, then among those to come.
    let mut seen = Vec::new();
    let mut unmatched: Vec<String> = Vec::new();
    let mut wait_for = |wanted: &str| {
        if let Some(i) = unmatched.iter().position(|l| l.contains(wanted)) {
            unmatched.remove(i);
            return;
        }
        loop {
            match lines.recv_timeout(Duration::from_secs(30)) {
                Ok(line) => {
                    seen.push(line.clone());
                    if line.contains(wanted) {
                        return;
                    }
                    unmatched.push(line);
                }
                Err(_) => panic!("no `{wanted}` in:\n{}", seen.join("\n")),
            }
        }
    };
    wait_for("no problems found");
    wait_for("watching");
    let story = dir.path().join("story.ron");
    edit(
        &story,
        "initial: 2, min: 0, max: 5",
        "initial: 9, min: 0, max: 5",
    );
    wait_for("changed: checking again");
    wait_for("error[E034]: variable `oil` starts at 9 outside its bounds 0..=5");
    edit(
        &story,
        "initial: 9, min: 0, max: 5",
        "initial: 2, min: 0, max: 5",
    );
    wait_for("no problems found");
    let _ = child.kill();
    let _ = child.wait();
}
