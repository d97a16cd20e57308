//! `callister graph`: Graphviz and Mermaid output, with a coverage overlay.

use std::path::PathBuf;

use callister::engine::State;
use callister::tools::graph::{Format, render};

fn story(dir: &str) -> callister::story::Story {
    callister::story::compile::load_dir(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(dir))
        .unwrap()
}

#[test]
fn dot_and_mermaid_of_the_lighthouse() {
    let s = story("examples/lighthouse");
    insta::assert_snapshot!("lighthouse_dot", render(&s, Format::Dot, None));
    insta::assert_snapshot!("lighthouse_mermaid", render(&s, Format::Mermaid, None));
}

#[test]
fn coverage_overlay_marks_unreached_scenes() {
    let s = story("tests/fixtures/unreachable_by_condition");
    let report = callister::tools::explore::explore(&s, State::new(&s, 0), 1000, &|_, _| {});
    assert!(report.complete);
    let unreached: Vec<bool> = report.scenes_reached.iter().map(|b| !b).collect();
    let dot = render(&s, Format::Dot, Some(&unreached));
    let hidden = s.scene_by_id("vault").unwrap().index();
    // An ending scene: drawn among the endings, with a red border.
    assert!(
        dot.contains(&format!("s{hidden} [shape=doubleoctagon")),
        "{dot}"
    );
    assert!(
        dot.contains("label=\"Rich\\n(good)\", color=red, penwidth=3]"),
        "{dot}"
    );
    let mermaid = render(&s, Format::Mermaid, Some(&unreached));
    assert!(
        mermaid.contains(&format!("class s{hidden} unreached")),
        "{mermaid}"
    );
    // The lint sees the graph edge; only the explorer knows it never opens.
    assert!(callister::tools::check::lint(&s).is_empty());
}
