//! The synthetic stories of `callister::tools::synth` (benches, scale tests): they
//! compile, `check` finds nothing, they have the promised shape, they are
//! deterministic for a seed, and no playthrough gets stuck in them.

use callister::engine::State;
use callister::story::compile;
use callister::story::{Action, Story};
use callister::tools::check;
use callister::tools::explore;
use callister::tools::synth;

fn story(scenes: usize, seed: u64) -> Story {
    compile::compile(synth::input_files(scenes, seed)).unwrap_or_else(|f| {
        panic!(
            "a synthetic story of {scenes} scenes (seed {seed}) does not compile: {:#?}",
            f.diagnostics
        )
    })
}

#[test]
fn compiles_and_checks_clean() {
    for (scenes, seed) in [(1000, 1), (1000, 2), (2500, 7)] {
        let story = story(scenes, seed);
        assert_eq!(story.scenes.len(), scenes);
        let lints = check::lint(&story);
        assert!(
            lints.is_empty(),
            "{scenes} scenes, seed {seed}: {} warning(s), the first: {:?}",
            lints.len(),
            lints.first()
        );
    }
}

#[test]
fn small_stories_check_clean_too() {
    for scenes in [1, 2, 3, 5, 10, 40, 100, 999, 1001] {
        let story = story(scenes, 3);
        assert_eq!(story.scenes.len(), scenes);
        let lints = check::lint(&story);
        assert!(
            lints.is_empty(),
            "{scenes} scenes: {} warning(s), the first: {:?}",
            lints.len(),
            lints.first()
        );
    }
}

#[test]
fn has_the_promised_shape() {
    let files = synth::generate(1000, 1);
    let bytes: usize = files.iter().map(|(_, text)| text.len()).sum();
    let per_scene = bytes / 1000;
    assert!(
        (400..=800).contains(&per_scene),
        "{per_scene} bytes of RON per scene"
    );
    assert_eq!(files[0].0, "story.ron");
    assert_eq!(files.len(), 2, "story.ron and one chapter per 1,000 scenes");

    let story = story(1000, 1);
    let endings = story.scenes.iter().filter(|s| s.ending.is_some()).count();
    assert!((50..=70).contains(&endings), "{endings} endings in 1,000");
    assert_eq!(story.endings.len(), endings);
    for scene in &story.scenes {
        let expected = if scene.ending.is_some() { 0 } else { 3 };
        assert_eq!(scene.choices.len(), expected, "scene `{}`", scene.id);
    }
    let choices = story.choices.len();
    let gated = story.choices.iter().filter(|c| c.when.is_some()).count();
    let share = gated as f64 / choices as f64;
    assert!(
        (0.40..=0.50).contains(&share),
        "{gated} of {choices} choices gated ({:.1}%)",
        share * 100.0
    );
    let once = story.choices.iter().filter(|c| c.once).count();
    assert!(once > 0, "some `once` choices");
    let checks = story
        .choices
        .iter()
        .filter(|c| matches!(c.action, Action::Check(_)))
        .count();
    assert!(checks > 0, "some random checks");
    // Every kind of gate appears: comparison, flag, visit count.
    let text: String = files.iter().map(|(_, t)| t.as_str()).collect();
    for needle in ["when: \"visits(", " >= ", " < ", "when: \"not "] {
        assert!(text.contains(needle), "no `{needle}` in the story");
    }
    assert!(text.contains("{if ") && text.contains("{else}"));
    assert!(!story.variables.is_empty() && !story.flags.is_empty());
    for v in &story.variables {
        assert!(v.min == 0 && v.max == synth::VAR_MAX, "`{}` bounds", v.id);
    }
    // About 60 words per scene, choices included.
    let (counts, _) = callister::tools::stats::count(&story);
    let words = counts.words / story.scenes.len();
    assert!((50..=70).contains(&words), "{words} words per scene");
}

#[test]
fn is_deterministic_for_the_seed() {
    assert_eq!(synth::generate(1000, 5), synth::generate(1000, 5));
    assert_ne!(synth::generate(1000, 5), synth::generate(1000, 6));
    let dir = tempfile::tempdir().expect("a temporary directory");
    let bytes = synth::write_dir(dir.path(), 1000, 5).expect("written");
    let expected: usize = synth::generate(1000, 5).iter().map(|(_, t)| t.len()).sum();
    assert_eq!(bytes, expected);
    let from_disk = compile::load_dir(dir.path()).expect("loads from disk");
    assert_eq!(from_disk.fingerprint, story(1000, 5).fingerprint);
}

#[test]
fn chapters_hold_a_thousand_scenes_each() {
    let files = synth::generate(2500, 1);
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["story.ron", "ch000.ron", "ch001.ron", "ch002.ron"]);
}

#[test]
fn every_scene_is_reachable() {
    let story = story(1000, 1);
    let reachable = check::reachable(&story);
    let unreached: Vec<&str> = story
        .scenes
        .iter()
        .zip(&reachable)
        .filter(|(_, r)| !**r)
        .map(|(s, _)| s.id.as_str())
        .collect();
    assert!(unreached.is_empty(), "unreachable: {unreached:?}");
}

/// Reachable in play too, not only in the graph: following only the choices
/// that are always open (no `when`, not `once`, a plain `goto`) reaches every
/// scene, so whatever the state, every scene can still be reached.
#[test]
fn every_scene_is_reachable_in_play() {
    let story = story(1000, 1);
    let mut seen = vec![false; story.scenes.len()];
    let mut stack = vec![story.start];
    seen[story.start.index()] = true;
    while let Some(s) = stack.pop() {
        for &c in &story.scene(s).choices {
            let choice = story.choice(c);
            if let (None, false, Action::Goto(t)) = (&choice.when, choice.once, &choice.action)
                && !seen[t.index()]
            {
                seen[t.index()] = true;
                stack.push(*t);
            }
        }
    }
    let missed = seen.iter().filter(|s| !**s).count();
    assert_eq!(missed, 0, "{missed} scenes reachable only through gates");
}

#[test]
fn no_playthrough_gets_stuck() {
    let story = story(1000, 1);
    let r = explore::random(&story, 2000, 9);
    assert_eq!(r.stuck, 0, "random playthroughs got stuck");
    assert_eq!(r.unfinished, 0, "random playthroughs ran past the step cap");
    let steps: u64 = r.scene_hits.iter().sum::<u64>() - r.runs as u64;
    assert!(steps >= 5000, "only {steps} steps in 2,000 runs");
    let ended: usize = r.endings.iter().map(|e| e.runs).sum();
    assert_eq!(ended, 2000);

    let report = explore::explore(&story, State::new(&story, 0), 50_000, &|_, _| {});
    assert!(
        report.soft_locks.is_empty(),
        "soft-locks at {:?}",
        report
            .soft_locks
            .iter()
            .map(|l| &story.scene(l.scenes[0]).id)
            .collect::<Vec<_>>()
    );
    let reached = report.scenes_reached.iter().filter(|r| **r).count();
    assert!(reached > 100, "the exploration reached {reached} scenes");
}

/// Every scene that is not an ending keeps a choice that is open whatever the
/// state: no `when`, not `once`. That is why nothing can soft-lock.
#[test]
fn every_scene_keeps_an_open_choice() {
    for seed in 0..4 {
        let story = story(1000, seed);
        for scene in story.scenes.iter().filter(|s| s.ending.is_none()) {
            assert!(
                scene.choices.iter().any(|&c| {
                    let c = story.choice(c);
                    c.when.is_none() && !c.once
                }),
                "seed {seed}: scene `{}` has no always-open choice",
                scene.id
            );
        }
    }
}

/// `callister synth` writes the same files as the library, and
/// `callister check` passes them.
#[test]
fn the_synth_command_writes_a_story_that_checks_clean() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let out = dir.path().join("story");
    let bin = env!("CARGO_BIN_EXE_callister");
    let synth = std::process::Command::new(bin)
        .args(["synth", "--scenes", "1500", "--seed", "4"])
        .arg(&out)
        .output()
        .expect("callister synth runs");
    assert!(synth.status.success(), "{synth:?}");
    let said = String::from_utf8_lossy(&synth.stdout);
    assert!(said.starts_with("wrote 1500 scenes"), "{said}");
    for (name, text) in synth::generate(1500, 4) {
        let written = std::fs::read_to_string(out.join(&name)).expect("the file is written");
        assert!(written == text, "{name} differs from `synth::generate`");
    }
    let check = std::process::Command::new(bin)
        .args(["check", "--deny", "warnings"])
        .arg(&out)
        .output()
        .expect("callister check runs");
    assert!(check.status.success(), "{check:?}");
    let said = String::from_utf8_lossy(&check.stdout);
    assert!(said.contains("no problems found"), "{said}");
}

/// A story of several megabytes is parsed on every core, file by file: what
/// comes out is the same as from one file at a time. Broken chapters are
/// reported in the files' order, and a story that compiles has its scenes
/// in that order too.
#[test]
fn a_large_story_parsed_in_parallel_keeps_the_files_order() {
    let files = synth::input_files(4000, 5);
    assert!(files.iter().map(|f| f.text.len()).sum::<usize>() > 2 << 20);
    let whole = story(4000, 5);
    let ids: Vec<&str> = whole.scenes.iter().map(|s| s.id.as_str()).collect();
    let mut sorted = ids.clone();
    sorted.sort_by_key(|id| id.trim_start_matches('s').parse::<usize>().unwrap_or(0));
    assert_eq!(ids, sorted, "scenes out of the files' order");
    // Break the last chapter and the first one, in that order.
    let mut files = files;
    let chapters: Vec<usize> = (0..files.len())
        .filter(|&i| files[i].rel != "story.ron")
        .collect();
    for i in [chapters[chapters.len() - 1], chapters[0]] {
        files[i].text.push_str("\n)))\n");
    }
    let names: Vec<String> = chapters.iter().map(|&i| files[i].name.clone()).collect();
    let Err(failure) = compile::compile(files) else {
        panic!("two chapters are broken, yet the story compiled");
    };
    let e001: Vec<String> = failure
        .diagnostics
        .iter()
        .filter(|d| d.code == callister::story::code::Code::E001)
        .map(|d| d.location(&failure.sources).expect("a place").0)
        .collect();
    assert_eq!(e001.len(), 2, "{e001:#?}");
    assert_eq!(e001, [names[0].clone(), names[names.len() - 1].clone()]);
}

/// Every scene's id finds that scene through the story's index (the
/// packed copy of the ids it compares against), and nothing finds a
/// scene but its own id whole: not a prefix, an extension or a neighbour
/// run together (`s1` + `s2` is `s1s2`, no scene).
#[test]
fn scene_ids_find_their_scenes_and_nothing_else() {
    let story = story(1000, 5);
    for (i, scene) in story.scenes.iter().enumerate() {
        assert_eq!(
            story.scene_by_id(&scene.id).map(|s| s.index()),
            Some(i),
            "{}",
            scene.id
        );
        for near in [
            format!("{}x", scene.id),
            scene.id[..scene.id.len() - 1].to_string(),
        ] {
            assert!(
                story
                    .scene_by_id(&near)
                    .is_none_or(|s| story.scenes[s.index()].id == near),
                "`{near}` found a scene not its own"
            );
        }
    }
    let joined = format!("{}{}", story.scenes[1].id, story.scenes[2].id);
    assert!(
        story
            .scene_by_id(&joined)
            .is_none_or(|s| story.scenes[s.index()].id == joined)
    );
    assert_eq!(story.scene_by_id(""), None);
}
