//! Every plan in `tests/playthroughs/` replayed against the shipped story
//! and compared with its blessed transcript (`NAME.plan.ron` → `NAME.txt`).
//! To accept a change: `callister replay P --expect T --bless`.

use std::path::PathBuf;

use callister::tools::plan::{Plan, diff};

#[test]
fn blessed_playthroughs_of_the_shipped_story() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/playthroughs");
    let mut plans: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".plan.ron"))
        .collect();
    plans.sort();
    assert!(!plans.is_empty(), "no plans in {}", dir.display());
    let story =
        callister::story::embedded::story().unwrap_or_else(|f| panic!("{:?}", f.diagnostics));
    let mut endings = std::collections::BTreeSet::new();
    let mut failures = Vec::new();
    for path in &plans {
        let plan = Plan::parse(&std::fs::read_to_string(path).unwrap()).unwrap();
        let result = plan.replay(story.clone()).unwrap();
        let name = path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .replace(".plan.ron", "");
        if !result.failures.is_empty() {
            failures.push(format!("{name}: {}", result.failures.join("; ")));
            continue;
        }
        let expected = std::fs::read_to_string(dir.join(format!("{name}.txt"))).unwrap_or_default();
        if expected != result.transcript {
            failures.push(format!(
                "{name}: transcript differs\n{}",
                diff(&expected, &result.transcript)
            ));
        }
        if let Some(e) = result.state.ending(&story) {
            endings.insert(story.ending(e).id.clone());
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // One blessed playthrough per ending.
    let all: std::collections::BTreeSet<String> =
        story.endings.iter().map(|e| e.id.clone()).collect();
    assert_eq!(endings, all, "endings without a blessed playthrough");
}

#[test]
fn the_shipped_story_checks_clean() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenes");
    let story = callister::story::compile::load_dir(&dir).unwrap_or_else(|f| {
        panic!(
            "{}",
            callister::story::diagnostic::render_all(&f.diagnostics, &f.sources, false)
        )
    });
    let warnings = callister::tools::check::lint(&story);
    assert!(
        warnings.is_empty(),
        "{}",
        callister::story::diagnostic::render_all(&warnings, &story.sources, false)
    );
    // The embedded copy is the same story.
    let embedded =
        callister::story::embedded::story().unwrap_or_else(|f| panic!("{:?}", f.diagnostics));
    assert_eq!(
        embedded.fingerprint, story.fingerprint,
        "rebuild: the binary embeds an old scenes/"
    );
}

#[test]
fn random_playthroughs_reach_every_scene_and_ending_without_sticking() {
    let story =
        callister::story::embedded::story().unwrap_or_else(|f| panic!("{:?}", f.diagnostics));
    let report = callister::tools::explore::random(&story, 20_000, 1);
    assert_eq!(report.stuck, 0);
    assert_eq!(report.unfinished, 0);
    let missed: Vec<&str> = story
        .scenes
        .iter()
        .zip(&report.scene_hits)
        .filter(|(_, h)| **h == 0)
        .map(|(s, _)| s.id.as_str())
        .collect();
    assert!(missed.is_empty(), "never reached: {missed:?}");
    for e in &report.endings {
        assert!(e.runs > 0, "ending `{}` never reached", e.ending);
    }
}
