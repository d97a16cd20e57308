//! `callister graph`: Graphviz and Mermaid output, with a coverage overlay.

use std::path::PathBuf;

use callister::engine::State;
use callister::tools::graph::{Format, View, render, render_view};

fn story(dir: &str) -> callister::story::Story {
    callister::story::compile::load_dir(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(dir))
        .unwrap()
}

#[test]
fn the_whole_graph_is_the_view_of_every_scene() {
    let s = story("examples/lighthouse");
    for format in [Format::Dot, Format::Mermaid] {
        assert_eq!(
            render(&s, format, None),
            render_view(&s, format, &View::all(&s), None)
        );
    }
}

/// Each view of the lighthouse, in both formats, with and without the
/// coverage overlay (of a walk cut off after six states, so that some
/// scenes are unreached): the whole story, its one chapter (by title and by
/// file stem, the same), and the scenes around the door.
#[test]
fn every_view_of_the_lighthouse() {
    let s = story("examples/lighthouse");
    let report = callister::tools::explore::explore(&s, State::new(&s, 0), 6, &|_, _| {});
    assert!(!report.complete);
    let unreached: Vec<bool> = report.scenes_reached.iter().map(|b| !b).collect();
    let by_title = View::chapter(&s, "the shore").unwrap();
    assert_eq!(by_title, View::chapter(&s, "SHORE").unwrap());
    let views = [
        ("all", View::all(&s)),
        ("chapter", by_title),
        ("around_door", View::around(&s, "door", 1).unwrap()),
    ];
    for (name, view) in &views {
        for (format, ext) in [(Format::Dot, "dot"), (Format::Mermaid, "mermaid")] {
            insta::assert_snapshot!(
                format!("lighthouse_{name}_{ext}"),
                render_view(&s, format, view, None)
            );
            insta::assert_snapshot!(
                format!("lighthouse_{name}_{ext}_coverage"),
                render_view(&s, format, view, Some(&unreached))
            );
        }
    }
}

/// One chapter of a story of two: the other's scenes it leads to are
/// stubs, outside any chapter's box, and nothing else of it is drawn.
#[test]
fn a_chapter_draws_its_exits_as_stubs() {
    let s = story("examples/side-mission");
    let green = View::chapter(&s, "1-green").unwrap();
    for (format, ext) in [(Format::Dot, "dot"), (Format::Mermaid, "mermaid")] {
        insta::assert_snapshot!(
            format!("side_mission_green_{ext}"),
            render_view(&s, format, &green, None)
        );
    }
    let dot = render_view(&s, Format::Dot, &green, None);
    assert_eq!(dot.matches("subgraph cluster_").count(), 1, "{dot}");
    assert!(dot.contains("shape=plain"), "no stub: {dot}");
    let miss = View::chapter(&s, "1-gren").unwrap_err();
    assert_eq!(miss, "no chapter `1-gren`: did you mean `1-green`?");
    let miss = View::around(&s, "gren", 1).unwrap_err();
    assert!(miss.starts_with("unknown scene `gren`"), "{miss}");
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
