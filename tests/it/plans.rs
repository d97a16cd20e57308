//! `callister replay`: which story a plan replays against, `--bless` only
//! for a plan that passed, and failed expectations that say what the state
//! was.

use std::path::{Path, PathBuf};

use assert_cmd::cargo::cargo_bin;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `callister` in `dir`: exit code, stdout, stderr.
fn run(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(cargo_bin("callister"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("callister runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A copy of the lighthouse with one plan in its `plans/`, which names the
/// story as `..`.
fn lighthouse_with(plan: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let story = tmp.path().join("lighthouse");
    std::fs::create_dir_all(story.join("plans")).expect("plans/");
    for file in ["story.ron", "shore.ron"] {
        std::fs::copy(
            root().join("examples/lighthouse").join(file),
            story.join(file),
        )
        .expect("the lighthouse");
    }
    std::fs::write(story.join("plans/p.plan.ron"), plan).expect("the plan");
    tmp
}

#[test]
fn a_plan_that_names_its_story_replays_against_it() {
    let tmp = lighthouse_with(r#"Plan(story: "..", choices: ["leave"], expect: (ending: "home"))"#);
    let (code, out, err) = run(tmp.path(), &["replay", "lighthouse/plans/p.plan.ron"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("THE LIGHTHOUSE"), "{out}");
    assert!(!err.contains("shipped"), "{err}");
    // A `story` that is not a story directory is refused, not guessed.
    let bad = lighthouse_with(r#"Plan(story: "../nowhere", choices: [])"#);
    let (code, _, err) = run(bad.path(), &["replay", "lighthouse/plans/p.plan.ron"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("is not a story directory"), "{err}");
}

#[test]
fn a_plan_without_a_story_says_it_replays_the_shipped_one() {
    let tmp = tempfile::tempdir().expect("a temporary directory");
    std::fs::write(tmp.path().join("p.plan.ron"), r#"Plan(choices: [])"#).expect("the plan");
    let (code, _, err) = run(tmp.path(), &["replay", "p.plan.ron"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("replaying against the shipped story"), "{err}");
}

#[test]
fn bless_refuses_a_failed_plan_and_writes_nothing() {
    let tmp = lighthouse_with(r#"Plan(story: "..", choices: ["leave"], expect: (ending: "lit"))"#);
    let expected = tmp.path().join("lighthouse/plans/p.txt");
    let (code, _, err) = run(
        tmp.path(),
        &[
            "replay",
            "lighthouse/plans/p.plan.ron",
            "--expect",
            "lighthouse/plans/p.txt",
            "--bless",
        ],
    );
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("not blessed: the plan failed"), "{err}");
    assert!(!expected.exists(), "a transcript was written");
    // A plan that passes is blessed.
    std::fs::write(
        tmp.path().join("lighthouse/plans/p.plan.ron"),
        r#"Plan(story: "..", choices: ["leave"], expect: (ending: "home"))"#,
    )
    .expect("the plan");
    let (code, _, err) = run(
        tmp.path(),
        &[
            "replay",
            "lighthouse/plans/p.plan.ron",
            "--expect",
            "lighthouse/plans/p.txt",
            "--bless",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(expected.exists());
}

#[test]
fn a_failed_expectation_says_the_actual_values() {
    let tmp = lighthouse_with(
        r#"Plan(story: "..", choices: ["shed"], expect: (hold: ["oil == 5 and has key", "not alive gull or met_keeper"]))"#,
    );
    let (code, _, err) = run(tmp.path(), &["replay", "lighthouse/plans/p.plan.ron"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("plan failed: `oil == 5 and has key` does not hold at the end: `oil` is 2, `key` is held"),
        "{err}"
    );
    assert!(
        err.contains("plan failed: `not alive gull or met_keeper` does not hold at the end: `gull` is alive, `met_keeper` is clear"),
        "{err}"
    );
}
